//! A browser WebSocket to our own server that reconnects with backoff and closes itself when it goes
//! silent. Both dashboard sockets (`/ws/live`, `/ws/oi`) use it; each supplies what to do with a
//! message and with a change of link state.

use crate::live::{retry_delay_ms, LinkState, OFFLINE_AFTER};
use std::rc::Rc;

/// Handles one text message; returns the reply to send, if any.
pub type OnText = Box<dyn Fn(&str) -> Option<String>>;

/// What a socket does with its events.
pub struct Handlers {
    /// Path on this host, e.g. `/ws/live`.
    pub path: &'static str,
    /// With no message at all for this long the socket is presumed dead and replaced (servers send
    /// heartbeats or pings well inside it).
    pub silence_ms: f64,
    pub on_link: Box<dyn Fn(LinkState)>,
    pub on_text: OnText,
}

/// Opens the socket now and keeps it open for the life of the page.
pub fn open(handlers: Handlers) {
    #[cfg(feature = "hydrate")]
    browser::open(Rc::new(handlers), 0);
    #[cfg(not(feature = "hydrate"))]
    let _ = Rc::new(handlers);
}

/// The state to show while waiting `delay` ms before try number `attempt`.
pub fn waiting_state(attempt: u32, delay: u64) -> LinkState {
    if attempt >= OFFLINE_AFTER {
        LinkState::Offline { retry_in_ms: delay }
    } else {
        LinkState::Reconnecting {
            attempt,
            retry_in_ms: delay,
        }
    }
}

/// Reconnect delay for `attempt`, jittered by the clock.
pub fn delay_for(attempt: u32, now_ms: f64) -> u64 {
    retry_delay_ms(attempt, now_ms as u64)
}

#[cfg(feature = "hydrate")]
mod browser {
    use super::*;
    use leptos::prelude::{set_interval_with_handle, set_timeout, IntervalHandle};
    use std::cell::Cell;
    use std::time::Duration;
    use wasm_bindgen::prelude::*;
    use web_sys::{CloseEvent, MessageEvent, WebSocket};

    fn url(path: &str) -> Option<String> {
        let loc = web_sys::window()?.location();
        let scheme = if loc.protocol().ok()? == "https:" {
            "wss"
        } else {
            "ws"
        };
        Some(format!("{scheme}://{}{path}", loc.host().ok()?))
    }

    fn schedule(h: Rc<Handlers>, attempt: u32) {
        let delay = delay_for(attempt, js_sys::Date::now());
        (h.on_link)(waiting_state(attempt, delay));
        set_timeout(move || open(h, attempt), Duration::from_millis(delay));
    }

    pub fn open(h: Rc<Handlers>, attempt: u32) {
        let Some(url) = url(h.path) else { return };
        let ws = match WebSocket::new(&url) {
            Ok(ws) => ws,
            Err(_) => return schedule(h, attempt + 1),
        };
        let last_seen = Rc::new(Cell::new(js_sys::Date::now()));
        let closed = Rc::new(Cell::new(false));

        let onopen = Closure::<dyn FnMut()>::new({
            let last_seen = last_seen.clone();
            let h = h.clone();
            move || {
                last_seen.set(js_sys::Date::now());
                (h.on_link)(LinkState::Connected);
            }
        });
        ws.set_onopen(Some(onopen.as_ref().unchecked_ref()));
        onopen.forget();

        let onmessage = Closure::<dyn FnMut(MessageEvent)>::new({
            let ws = ws.clone();
            let last_seen = last_seen.clone();
            let h = h.clone();
            move |e: MessageEvent| {
                last_seen.set(js_sys::Date::now());
                if let Some(text) = e.data().as_string() {
                    if let Some(reply) = (h.on_text)(&text) {
                        let _ = ws.send_with_str(&reply);
                    }
                }
            }
        });
        ws.set_onmessage(Some(onmessage.as_ref().unchecked_ref()));
        onmessage.forget();

        let onclose = Closure::<dyn FnMut(CloseEvent)>::new({
            let closed = closed.clone();
            let h = h.clone();
            move |_e: CloseEvent| {
                if !closed.replace(true) {
                    schedule(h.clone(), attempt + 1);
                }
            }
        });
        ws.set_onclose(Some(onclose.as_ref().unchecked_ref()));
        onclose.forget();

        // Watchdog: a socket that stays open but silent is closed, which schedules a reconnect.
        let handle = Rc::new(Cell::new(None::<IntervalHandle>));
        let silence = h.silence_ms;
        let interval = set_interval_with_handle(
            {
                let handle = handle.clone();
                let closed = closed.clone();
                move || {
                    if closed.get() {
                        if let Some(t) = handle.take() {
                            t.clear();
                        }
                        return;
                    }
                    if js_sys::Date::now() - last_seen.get() > silence {
                        let _ = ws.close();
                        if !closed.replace(true) {
                            schedule(h.clone(), attempt + 1);
                        }
                    }
                }
            },
            Duration::from_millis(1000),
        );
        if let Ok(t) = interval {
            handle.set(Some(t));
        }
    }
}
