//! The header's right end: who is logged in, and "Log out". The ID is asked of `GET /auth/session` in
//! the browser (the server renders the header without it, so nothing user-specific is cached in HTML).

use crate::auth_client;
use leptos::prelude::*;
use leptos::task::spawn_local;

/// What the menu knows of the session.
#[derive(Debug, Clone, PartialEq, Eq)]
enum UserState {
    /// Not asked yet (and always on the server).
    Loading,
    LoggedIn(String),
    /// The server says there is no session.
    LoggedOut,
    /// The server could not be asked; show nothing rather than guess.
    Unknown,
}

#[component]
pub fn UserMenu() -> impl IntoView {
    let state = RwSignal::new(UserState::Loading);
    let leaving = RwSignal::new(false);
    let logout_error = RwSignal::new(None::<String>);

    Effect::new(move |_| {
        spawn_local(async move {
            let next = match auth_client::session().await {
                Ok(s) => UserState::LoggedIn(s.user.zerodha_id),
                Err(f) if f.is_logged_out() => UserState::LoggedOut,
                Err(_) => UserState::Unknown,
            };
            state.try_set(next);
        });
    });

    let on_logout = move |_| {
        if leaving.get_untracked() {
            return;
        }
        leaving.set(true);
        logout_error.set(None);
        spawn_local(async move {
            match auth_client::logout().await {
                // Already logged out is as good as logged out.
                Ok(_) => auth_client::go_to("/login"),
                Err(f) if f.is_logged_out() => auth_client::go_to("/login"),
                Err(f) => {
                    leaving.try_set(false);
                    logout_error.try_set(Some(f.message));
                }
            }
        });
    };

    view! {
        <div class="user-menu" data-testid="user-menu">
            {move || match state.get() {
                UserState::LoggedIn(id) => {
                    view! {
                        <span class="user-id" data-testid="user-id" title="Logged in as">
                            {id}
                        </span>
                        <button
                            type="button"
                            class="button small"
                            data-testid="logout"
                            disabled=move || leaving.get()
                            on:click=on_logout
                        >
                            {move || if leaving.get() { "Logging out…" } else { "Log out" }}
                        </button>
                        {move || {
                            logout_error
                                .get()
                                .map(|m| {
                                    view! {
                                        <span class="user-menu-error" data-testid="logout-error" title=m.clone()>
                                            "Log out failed"
                                        </span>
                                    }
                                })
                        }}
                    }
                        .into_any()
                }
                UserState::LoggedOut => {
                    view! {
                        <a class="button small" rel="external" href="/login" data-testid="login-link">
                            "Log in"
                        </a>
                    }
                        .into_any()
                }
                UserState::Loading | UserState::Unknown => ().into_any(),
            }}
        </div>
    }
}
