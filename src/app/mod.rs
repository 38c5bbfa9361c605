//! The dashboard (feature "app"), built by Trunk: a page per platform plus generic MQTT, over a
//! context that holds the live connections. Layout: state, context, services
//! (all I/O), hooks, components (one per file) and pages.

pub mod chart;
pub mod components;
pub mod context;
pub mod error;
pub mod hooks;
pub mod pages;
pub mod route;
pub mod services;
pub mod state;

use gloo::events::EventListener;
use yew::prelude::*;

use context::AppProvider;
use route::Page;

#[component]
pub fn App() -> Html {
    html! { <AppProvider><Shell /></AppProvider> }
}

#[component]
fn Shell() -> Html {
    let page = use_state(Page::current);
    {
        let page = page.clone();
        use_effect_with((), move |_| {
            let listener =
                web_sys::window().map(|w| EventListener::new(&w, "hashchange", move |_| page.set(Page::current())));
            move || drop(listener)
        });
    }
    let app = hooks::use_app();
    let state = app.state();
    html! {
        <div class="app">
            <header class="top">
                <h1>{ "iotmqtt" }<span>{ " dashboard" }</span></h1>
                <nav aria-label="Pages">
                    { for Page::ALL.iter().map(|p| {
                        let status = p.kind().map(|k| state.status(k));
                        let dot = status.map(|s| match s {
                            state::LinkStatus::Connected => "connected",
                            state::LinkStatus::Connecting
                            | state::LinkStatus::Reconnecting { .. }
                            | state::LinkStatus::Challenged(_) => "connecting",
                            state::LinkStatus::Failed(_) => "failed",
                            _ => "idle",
                        });
                        html! {
                            <a href={p.hash()} class={classes!((*page == *p).then_some("active"))}
                                aria-current={(*page == *p).then_some("page")}>
                                if let Some(d) = dot { <span class={classes!("dot", d)} aria-hidden="true"></span> }
                                { p.title() }
                            </a>
                        }
                    }) }
                </nav>
            </header>
            <main>
                { match *page {
                    Page::Connections => html! { <pages::ConnectionsPage /> },
                    Page::ThingsBoard => html! { <pages::ThingsBoardPage /> },
                    Page::Gateway => html! { <pages::GatewayPage /> },
                    Page::ThingsStack => html! { <pages::ThingsStackPage /> },
                    Page::CloudPlugs => html! { <pages::CloudPlugsPage /> },
                    Page::Generic => html! { <pages::GenericPage /> },
                } }
            </main>
        </div>
    }
}
