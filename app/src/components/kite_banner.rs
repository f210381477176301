//! The "Connect Kite" banner under the header. Logging in to this app and connecting the user's Kite
//! account are separate: the Kite access token lapses every morning, and until it is renewed market
//! data and orders stop while everything stored here stays. The banner says so and links to the Kite
//! login. It is rendered only once the browser knows (no flash in the server's HTML).

use crate::auth_client::{self, KITE_LOGIN_PATH};
use crate::live::LiveFeed;
use leptos::prelude::*;
use leptos::task::spawn_local;
use model::TickerState;
use std::time::Duration;

/// How often the Kite session is asked again while the banner shows.
pub const RECHECK: Duration = Duration::from_secs(30);

/// What `GET /api/kite/session` last said.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KiteLink {
    /// Not asked yet, or not answerable (no app session, server unreachable).
    Unknown,
    Connected,
    NotConnected {
        login_url: String,
    },
}

/// The Kite login link to show, or `None` to show no banner. The ticker's `AuthFailed` counts even
/// when the last check said connected: Kite refused the token since.
pub fn banner_link(kite: &KiteLink, ticker: Option<&TickerState>) -> Option<String> {
    match (kite, ticker) {
        (KiteLink::NotConnected { login_url }, _) => Some(login_url.clone()),
        (_, Some(TickerState::AuthFailed { .. })) => Some(KITE_LOGIN_PATH.to_string()),
        _ => None,
    }
}

/// A login link from the server, used only if it stays on this site or goes to an http(s) page
/// (Kite's login); anything else falls back to the fixed path.
pub fn login_href(url: &str) -> String {
    let url = url.trim();
    let ok = (url.starts_with('/') && !url.starts_with("//"))
        || url.starts_with("https://")
        || url.starts_with("http://");
    if ok && !url.chars().any(|c| c == '\\' || c.is_control()) {
        url.to_string()
    } else {
        KITE_LOGIN_PATH.to_string()
    }
}

#[component]
pub fn KiteBanner() -> impl IntoView {
    let feed = expect_context::<LiveFeed>();
    let kite = RwSignal::new(KiteLink::Unknown);
    let link = Memo::new(move |_| feed.ticker.with(|t| banner_link(&kite.get(), t.as_ref())));

    let check = move || {
        spawn_local(async move {
            match auth_client::kite_session().await {
                Ok(s) if s.connected => {
                    kite.try_set(KiteLink::Connected);
                }
                Ok(s) => {
                    kite.try_set(KiteLink::NotConnected {
                        login_url: login_href(&s.login_url),
                    });
                }
                Err(f) if f.is_logged_out() => {
                    kite.try_set(KiteLink::Unknown);
                }
                // A failed check says nothing new about Kite: keep what was known.
                Err(_) => {}
            }
        });
    };

    // Browser only: ask now, then every 30 s while the banner shows.
    Effect::new(move |_| {
        check();
        if let Ok(handle) = set_interval_with_handle(
            move || {
                if link.try_with_untracked(Option::is_some) == Some(true) {
                    check();
                }
            },
            RECHECK,
        ) {
            on_cleanup(move || handle.clear());
        }
    });

    move || {
        link.get().map(|href| {
            view! {
                <div class="kite-banner" role="status" data-testid="kite-banner">
                    <span class="kite-banner-text">
                        "Kite is not connected — your strategies, journal and settings are kept."
                    </span>
                    <a class="button" rel="external" href=href data-testid="connect-kite">
                        "Connect Kite"
                    </a>
                </div>
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shows_when_kite_is_not_connected_or_the_ticker_was_refused() {
        let refused = TickerState::AuthFailed {
            reason: "403 TokenException".into(),
        };
        let not = KiteLink::NotConnected {
            login_url: "/kite/login".into(),
        };
        assert_eq!(banner_link(&KiteLink::Unknown, None), None);
        assert_eq!(
            banner_link(&KiteLink::Connected, Some(&TickerState::Connected)),
            None
        );
        assert_eq!(banner_link(&not, None).as_deref(), Some("/kite/login"));
        assert_eq!(
            banner_link(&not, Some(&TickerState::Connected)).as_deref(),
            Some("/kite/login")
        );
        assert_eq!(
            banner_link(&KiteLink::Connected, Some(&refused)).as_deref(),
            Some(KITE_LOGIN_PATH)
        );
        assert_eq!(
            banner_link(&KiteLink::Unknown, Some(&refused)).as_deref(),
            Some(KITE_LOGIN_PATH)
        );
        assert_eq!(
            banner_link(&KiteLink::Unknown, Some(&TickerState::Stopped)),
            None
        );
    }

    #[test]
    fn login_href_keeps_site_paths_and_http_urls_only() {
        assert_eq!(login_href("/kite/login"), "/kite/login");
        assert_eq!(
            login_href("https://kite.zerodha.com/connect/login?v=3&api_key=k"),
            "https://kite.zerodha.com/connect/login?v=3&api_key=k"
        );
        assert_eq!(
            login_href("http://127.0.0.1:5100/connect/login"),
            "http://127.0.0.1:5100/connect/login"
        );
        for bad in [
            "javascript:alert(1)",
            "//evil.example",
            "",
            "/\\evil",
            "data:x",
        ] {
            assert_eq!(login_href(bad), KITE_LOGIN_PATH, "{bad:?}");
        }
    }
}
