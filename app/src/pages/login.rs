//! `/login`: log in with a one-time code. Step one asks for the Zerodha ID and its registered email
//! and has a code mailed; step two takes the 6-digit code. Success is a full page load of `next`
//! (a path on this site) so that the dashboard's feeds open under the new session.

use crate::auth_client::{self, AuthFailure};
use leptos::prelude::*;
use leptos::task::spawn_local;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

/// Which form the card shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Step {
    /// Zerodha ID and email, to have a code sent.
    Request,
    /// The mailed code.
    Verify,
}

/// A line under a form: the server's answer, good or bad.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Notice {
    Info(String),
    Error(String),
}

impl Notice {
    fn class(&self) -> &'static str {
        match self {
            Notice::Info(_) => "login-notice info",
            Notice::Error(_) => "login-notice error-text",
        }
    }

    fn text(&self) -> String {
        match self {
            Notice::Info(t) | Notice::Error(t) => t.clone(),
        }
    }
}

/// The message for a failed code check; a locked code can only be replaced, so it says so.
fn verify_error(f: &AuthFailure) -> String {
    if f.status == 423 || f.code == auth_client::codes::CODE_LOCKED {
        format!("{} Use “Send a new code” below.", f.message)
    } else {
        f.message.clone()
    }
}

#[component]
pub fn LoginPage() -> impl IntoView {
    let query = use_query_map();
    let step = RwSignal::new(Step::Request);
    let zerodha_id = RwSignal::new(String::new());
    let email = RwSignal::new(String::new());
    let code = RwSignal::new(String::new());
    // The ID and email the current code was sent for (what was typed may change afterwards).
    let sent_for = RwSignal::new(None::<(String, String)>);
    let busy = RwSignal::new(false);
    let message = RwSignal::new(None::<Notice>);
    let error = RwSignal::new(None::<String>);
    // Until the page has hydrated the forms would submit as plain HTML (putting the email in the URL):
    // the inputs are read-only and the buttons disabled until then.
    let hydrated = RwSignal::new(false);
    Effect::new(move |_| hydrated.set(true));
    let locked = move || !hydrated.get() || busy.get();

    let send_code = move |id: String, mail: String| {
        busy.set(true);
        error.set(None);
        spawn_local(async move {
            let reply = auth_client::request_code(&id, &mail).await;
            busy.set(false);
            match reply {
                Ok(sent) => {
                    let text = if sent.message.trim().is_empty() {
                        "If the ID and email match, a code was sent.".to_string()
                    } else {
                        sent.message
                    };
                    message.set(Some(Notice::Info(text)));
                    sent_for.set(Some((id, mail)));
                    code.set(String::new());
                    step.set(Step::Verify);
                }
                Err(f) => message.set(Some(Notice::Error(f.message))),
            }
        });
    };

    let on_request = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        if locked() {
            return;
        }
        match auth_client::login_request(&zerodha_id.get_untracked(), &email.get_untracked()) {
            Ok((id, mail)) => {
                message.set(None);
                send_code(id, mail);
            }
            Err(text) => message.set(Some(Notice::Error(text.to_string()))),
        }
    };

    let on_verify = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        if locked() {
            return;
        }
        let Some((id, _)) = sent_for.get_untracked() else {
            step.set(Step::Request);
            return;
        };
        let Some(entered) = auth_client::normalize_code(&code.get_untracked()) else {
            error.set(Some("Enter the 6-digit code from the email.".to_string()));
            return;
        };
        busy.set(true);
        error.set(None);
        spawn_local(async move {
            match auth_client::verify_code(&id, &entered).await {
                Ok(_) => {
                    let next = query.with_untracked(|q| q.get("next"));
                    // Stays busy: the page is being replaced.
                    auth_client::go_to(&auth_client::safe_next(next.as_deref()));
                }
                Err(f) => {
                    busy.set(false);
                    if f.status == 423 {
                        code.set(String::new());
                    }
                    error.set(Some(verify_error(&f)));
                }
            }
        });
    };

    let on_resend = move |_| {
        if locked() {
            return;
        }
        match sent_for.get_untracked() {
            Some((id, mail)) => send_code(id, mail),
            None => step.set(Step::Request),
        }
    };

    let on_back = move |_| {
        if busy.get_untracked() {
            return;
        }
        step.set(Step::Request);
        code.set(String::new());
        message.set(None);
        error.set(None);
    };

    let code_input = NodeRef::<leptos::html::Input>::new();
    Effect::new(move |_| {
        if step.get() == Step::Verify {
            if let Some(input) = code_input.get() {
                let _ = input.focus();
            }
        }
    });

    let notice = move || {
        message.get().map(|n| {
            view! {
                <p class=n.class() data-testid="login-message" role="status">
                    {n.text()}
                </p>
            }
        })
    };

    view! {
        <Title text="Log in — Kite Trading Agent"/>
        <div class="login-page">
            <section class="login-card" data-testid="login-card">
                <div class="login-brand">
                    <span class="logo">"◆"</span>
                    <h1>"Log in to Kite Trading Agent"</h1>
                </div>
                <Show
                    when=move || step.get() == Step::Verify
                    fallback=move || {
                        view! {
                            <form class="login-form" on:submit=on_request novalidate=true>
                                <label>
                                    "Zerodha ID"
                                    <input
                                        type="text"
                                        name="zerodha_id"
                                        class="login-id"
                                        data-testid="login-id"
                                        autocomplete="username"
                                        autocapitalize="characters"
                                        spellcheck="false"
                                        maxlength="10"
                                        placeholder="AB1234"
                                        autofocus=true
                                        required=true
                                        readonly=move || !hydrated.get()
                                        bind:value=zerodha_id
                                    />
                                </label>
                                <label>
                                    "Email"
                                    <input
                                        type="email"
                                        name="email"
                                        data-testid="login-email"
                                        autocomplete="email"
                                        placeholder="you@example.com"
                                        required=true
                                        readonly=move || !hydrated.get()
                                        bind:value=email
                                    />
                                </label>
                                <button
                                    type="submit"
                                    class="button primary"
                                    data-testid="login-send"
                                    disabled=locked
                                    aria-busy=move || busy.get().to_string()
                                >
                                    <Show when=move || busy.get()>
                                        <span class="spinner" aria-hidden="true"></span>
                                    </Show>
                                    {move || if busy.get() { "Sending…" } else { "Send code" }}
                                </button>
                                {notice}
                                <p class="login-hint">
                                    "A 6-digit code is sent to the email registered for your Zerodha ID."
                                </p>
                            </form>
                        }
                    }
                >
                    <form class="login-form" on:submit=on_verify novalidate=true>
                        {notice}
                        <p class="login-for">
                            "Code for "
                            <b>{move || sent_for.get().map(|(id, _)| id).unwrap_or_default()}</b>
                        </p>
                        <label>
                            "6-digit code"
                            <input
                                type="text"
                                name="code"
                                class="login-code"
                                data-testid="login-code"
                                inputmode="numeric"
                                autocomplete="one-time-code"
                                pattern="[0-9]*"
                                maxlength="9"
                                placeholder="123456"
                                required=true
                                node_ref=code_input
                                readonly=move || !hydrated.get()
                                bind:value=code
                            />
                        </label>
                        <button
                            type="submit"
                            class="button primary"
                            data-testid="login-submit"
                            disabled=locked
                            aria-busy=move || busy.get().to_string()
                        >
                            <Show when=move || busy.get()>
                                <span class="spinner" aria-hidden="true"></span>
                            </Show>
                            {move || if busy.get() { "Checking…" } else { "Log in" }}
                        </button>
                        {move || {
                            error
                                .get()
                                .map(|text| {
                                    view! {
                                        <p class="login-notice error-text" data-testid="login-error" role="alert">
                                            {text}
                                        </p>
                                    }
                                })
                        }}
                        <p class="login-links">
                            <button type="button" class="link" data-testid="login-resend" on:click=on_resend disabled=locked>
                                "Send a new code"
                            </button>
                            " · "
                            <button type="button" class="link" data-testid="login-back" on:click=on_back disabled=locked>
                                "Use a different ID"
                            </button>
                        </p>
                    </form>
                </Show>
            </section>
        </div>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_locked_code_points_at_a_new_one() {
        let locked = AuthFailure {
            status: 423,
            code: "code_locked".into(),
            message: "Too many wrong codes.".into(),
        };
        assert!(verify_error(&locked).contains("Send a new code"));
        let wrong = AuthFailure {
            status: 401,
            code: "invalid_code".into(),
            message: "The code is wrong or has expired.".into(),
        };
        assert_eq!(verify_error(&wrong), "The code is wrong or has expired.");
    }
}

/// The server's HTML for a path: what a browser gets before hydration.
#[cfg(all(test, feature = "ssr"))]
mod ssr_tests {
    use leptos::prelude::*;
    use leptos_router::location::RequestUrl;

    fn render(path: &str) -> String {
        // Pages start their server calls as tasks; they need an executor, not an answer.
        let _ = any_spawner::Executor::init_futures_executor();
        let owner = Owner::new();
        owner.with(|| {
            provide_context(RequestUrl::new(path));
            provide_context(leptos_meta::ServerMetaContext::new().0);
            view! { <crate::App/> }.to_html()
        })
    }

    /// The opening tag of the element with `data-testid`.
    fn tag<'a>(html: &'a str, testid: &str) -> &'a str {
        let at = html
            .find(&format!("data-testid=\"{testid}\""))
            .unwrap_or_else(|| panic!("no {testid}"));
        let start = html[..at].rfind('<').unwrap_or(0);
        let end = at + html[at..].find('>').unwrap_or(0);
        &html[start..=end]
    }

    #[test]
    fn login_page_has_its_form_and_no_dashboard_chrome() {
        let html = render("/login?next=/orders");
        for id in ["login-id", "login-email", "login-send"] {
            assert!(html.contains(&format!("data-testid=\"{id}\"")), "{id}");
        }
        assert!(html.contains("Log in to Kite Trading Agent"));
        // Nothing can be submitted as a plain HTML form before the page hydrates.
        assert!(tag(&html, "login-send").contains(" disabled"));
        assert!(tag(&html, "login-id").contains(" readonly"));
        assert!(tag(&html, "login-email").contains(" readonly"));
        assert!(!html.contains("class=\"topbar\""));
        assert!(!html.contains("data-testid=\"status-bar\""));
        assert!(!html.contains("data-testid=\"kite-banner\""));
    }

    #[test]
    fn dashboard_pages_keep_the_chrome_without_a_banner_before_the_browser_knows() {
        let html = render("/no-such-page");
        assert!(html.contains("class=\"topbar\""));
        assert!(html.contains("data-testid=\"user-menu\""));
        assert!(html.contains("data-testid=\"status-bar\""));
        assert!(!html.contains("data-testid=\"kite-banner\""));
        assert!(!html.contains("data-testid=\"user-id\""));
        assert!(!html.contains("data-testid=\"login-id\""));
    }
}
