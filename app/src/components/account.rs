//! Pieces the account pages share: the fetched-data wrapper with its re-login prompt, sortable headers,
//! and sort keys.

use leptos::prelude::*;
use model::account::Fetched;
use std::cmp::Ordering;

/// Shows `view(data)` for fetched data; a "log in again" prompt for an expired Kite session; the
/// broker's message for anything else.
pub fn fetched_view<T, V: IntoView + 'static>(
    result: Result<Fetched<T>, ServerFnError>,
    view: impl FnOnce(T) -> V,
) -> AnyView {
    match result {
        Ok(Fetched::Ok(data)) => view(data).into_any(),
        Ok(Fetched::SessionExpired { login_url }) => view! {
            <div class="relogin" data-testid="relogin-prompt">
                <h2>"Your Kite session has expired"</h2>
                <p>"Kite sessions end every day around 6 AM IST. Log in again to see your account; your strategies and settings are kept."</p>
                <a class="button" rel="external" href=login_url data-testid="relogin-link">"Log in to Kite"</a>
            </div>
        }
        .into_any(),
        Ok(Fetched::Failed { message }) => view! {
            <div class="error" data-testid="fetch-error">"Kite did not answer: " {message}</div>
        }
        .into_any(),
        Err(e) => view! {
            <div class="error" data-testid="fetch-error">"The server could not be reached: " {e.to_string()}</div>
        }
        .into_any(),
    }
}

/// A value a column sorts by.
#[derive(Debug, Clone, PartialEq, PartialOrd)]
pub enum SortKey {
    Num(f64),
    Text(String),
}

pub fn compare(a: &SortKey, b: &SortKey) -> Ordering {
    a.partial_cmp(b).unwrap_or(Ordering::Equal)
}

/// Which column sorts the table, and which way.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Sort {
    pub column: usize,
    pub ascending: bool,
}

/// Sorts rows by the active column's key.
pub fn sorted<T: Clone>(rows: &[T], sort: Sort, key: impl Fn(&T, usize) -> SortKey) -> Vec<T> {
    let mut out = rows.to_vec();
    out.sort_by(|a, b| {
        let o = compare(&key(a, sort.column), &key(b, sort.column));
        if sort.ascending {
            o
        } else {
            o.reverse()
        }
    });
    out
}

/// A header cell that sorts by its column when clicked (again to reverse).
#[component]
pub fn SortTh(
    label: &'static str,
    column: usize,
    sort: RwSignal<Sort>,
    #[prop(optional)] numeric: bool,
) -> impl IntoView {
    let arrow = move || {
        let s = sort.get();
        if s.column != column {
            ""
        } else if s.ascending {
            " ▲"
        } else {
            " ▼"
        }
    };
    view! {
        <th
            class=if numeric { "sortable num" } else { "sortable" }
            data-testid=format!("sort-{}", label.to_lowercase().replace(' ', "-"))
            on:click=move |_| {
                sort.update(|s| {
                    if s.column == column {
                        s.ascending = !s.ascending;
                    } else {
                        *s = Sort { column, ascending: true };
                    }
                })
            }
        >
            {label}
            {arrow}
        </th>
    }
}

/// An empty table's message.
#[component]
pub fn Empty(text: &'static str) -> impl IntoView {
    view! { <p class="empty" data-testid="empty">{text}</p> }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sorts_numbers_and_text_both_ways() {
        let rows = vec![(3.0, "b"), (1.0, "c"), (2.0, "a")];
        let key = |r: &(f64, &str), c: usize| {
            if c == 0 {
                SortKey::Num(r.0)
            } else {
                SortKey::Text(r.1.to_string())
            }
        };
        let asc = sorted(
            &rows,
            Sort {
                column: 0,
                ascending: true,
            },
            key,
        );
        assert_eq!(
            asc.iter().map(|r| r.0).collect::<Vec<_>>(),
            vec![1.0, 2.0, 3.0]
        );
        let desc = sorted(
            &rows,
            Sort {
                column: 1,
                ascending: false,
            },
            key,
        );
        assert_eq!(
            desc.iter().map(|r| r.1).collect::<Vec<_>>(),
            vec!["c", "b", "a"]
        );
    }
}
