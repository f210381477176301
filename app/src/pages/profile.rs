//! Profile: who Kite says the trader is.

use crate::api::get_profile;
use crate::components::account::fetched_view;
use leptos::prelude::*;
use model::broker::Profile;

#[component]
pub fn ProfilePage() -> impl IntoView {
    let profile = Resource::new(|| (), |_| get_profile());
    view! {
        <section class="account profile">
            <div class="toolbar"><h1>"Profile"</h1></div>
            <Suspense fallback=|| view! { <div class="loading"><span class="spinner"></span>"Loading profile…"</div> }>
                {move || Suspend::new(async move {
                    fetched_view(profile.await, |p: Profile| view! {
                        <div class="card" data-testid="profile-card">
                            <h2>{p.user_name.clone()}</h2>
                            // Explicit <tbody>: the browser inserts one when parsing, and hydration must
                            // find the same tree the server rendered.
                            <table class="kv"><tbody>
                                <tr><th>"User ID"</th><td data-testid="profile-user-id">{p.user_id.clone()}</td></tr>
                                <tr><th>"Email"</th><td>{p.email.clone()}</td></tr>
                                <tr><th>"Broker"</th><td>{p.broker.clone()}</td></tr>
                                <tr><th>"Type"</th><td>{p.user_type.clone()}</td></tr>
                                <tr><th>"Exchanges"</th><td>{p.exchanges.join(", ")}</td></tr>
                                <tr><th>"Products"</th><td>{p.products.join(", ")}</td></tr>
                                <tr><th>"Order types"</th><td>{p.order_types.join(", ")}</td></tr>
                            </tbody></table>
                        </div>
                    })
                })}
            </Suspense>
        </section>
    }
}
