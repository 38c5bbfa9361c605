//! The dashboard (feature "app"), built by Trunk. For now one page: connect to a broker,
//! subscribe to a filter and watch messages arrive live. The platform dashboards build on it.

mod live_messages;

pub use live_messages::LiveMessages;

use yew::prelude::*;

#[component]
pub fn App() -> Html {
    html! {
        <main class="app">
            <header><h1>{ "iotmqtt" }</h1><p>{ "MQTT over WebSocket, from the browser" }</p></header>
            <LiveMessages />
        </main>
    }
}
