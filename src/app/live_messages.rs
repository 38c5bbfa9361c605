//! A minimal live view: broker URL and credentials, one subscription, the latest messages.
//! Payloads are rendered as text nodes only, never as HTML.

use std::collections::VecDeque;

use wasm_bindgen_futures::spawn_local;
use web_sys::HtmlInputElement;
use yew::prelude::*;

use crate::client::{ConnectionState, MqttClient};
use crate::{ConnectOptions, QoS};

const KEEP: usize = 200;

/// Demo defaults: The Things Stack application of the simulator the run command starts
/// (scripts/run.sh), whose end devices send an uplink every few seconds.
fn default_url() -> String {
    let loc = web_sys::window().and_then(|w| w.location().search().ok()).unwrap_or_default();
    loc.trim_start_matches('?')
        .split('&')
        .find_map(|kv| kv.strip_prefix("broker="))
        .map(|v| js_sys::decode_uri_component(v).map(String::from).unwrap_or_default())
        .filter(|v| !v.is_empty())
        .unwrap_or_else(|| "ws://127.0.0.1:8088/mqtt/thethingsstack".into())
}

#[derive(Clone, PartialEq)]
struct Line {
    topic: String,
    text: String,
    qos: QoS,
    retain: bool,
}

#[component]
pub fn LiveMessages() -> Html {
    let url = use_state(default_url);
    let username = use_state(|| "demo-app@ttn".to_string());
    let password = use_state(|| "NNSXS.DEMOKEY.SIMULATOR".to_string());
    let filter = use_state(|| "#".to_string());
    let status = use_state(|| "not connected".to_string());
    let error = use_state(|| None::<String>);
    let lines = use_mut_ref(VecDeque::<Line>::new);
    let tick = use_state(|| 0u64);
    let client = use_mut_ref(|| None::<MqttClient>);

    let text_input = |state: UseStateHandle<String>| {
        Callback::from(move |e: InputEvent| state.set(e.target_unchecked_into::<HtmlInputElement>().value()))
    };

    let on_connect = {
        let (url, username, password, filter) = (url.clone(), username.clone(), password.clone(), filter.clone());
        let (status, error, lines, tick, client) =
            (status.clone(), error.clone(), lines.clone(), tick.clone(), client.clone());
        Callback::from(move |e: SubmitEvent| {
            e.prevent_default();
            if let Some(old) = client.borrow_mut().take() {
                old.close();
            }
            let options = ConnectOptions {
                username: Some((*username).clone()).filter(|u| !u.is_empty()),
                password: Some((*password).clone()).filter(|p| !p.is_empty()),
                ..Default::default()
            };
            let c = match MqttClient::new(&url, options) {
                Ok(c) => c,
                Err(err) => return error.set(Some(err.to_string())),
            };
            error.set(None);
            let s = status.clone();
            c.on_state(move |st| {
                s.set(match st {
                    ConnectionState::Idle => "not connected".into(),
                    ConnectionState::Connecting => "connecting…".into(),
                    ConnectionState::Connected(_) => "connected".into(),
                    ConnectionState::Reconnecting { attempt, delay_ms, reason } => {
                        format!("reconnecting (attempt {attempt} in {} s): {reason}", delay_ms / 1000)
                    }
                    ConnectionState::Disconnected(e) => format!("disconnected: {e}"),
                    ConnectionState::Closed => "closed".into(),
                })
            });
            let (l, t) = (lines.clone(), tick.clone());
            c.on_any_message(move |m| {
                let mut buf = l.borrow_mut();
                if buf.len() == KEEP {
                    buf.pop_back();
                }
                buf.push_front(Line {
                    topic: m.topic.clone(),
                    text: String::from_utf8_lossy(&m.payload).into_owned(),
                    qos: m.qos,
                    retain: m.retain,
                });
                t.set(*t + 1);
            });
            *client.borrow_mut() = Some(c.clone());
            let (filter, error) = ((*filter).clone(), error.clone());
            spawn_local(async move {
                if let Err(e) = c.connect().await {
                    return error.set(Some(e.to_string()));
                }
                if let Err(e) = c.subscribe(&filter, QoS::AtLeastOnce).await {
                    error.set(Some(e.to_string()));
                }
            });
        })
    };

    html! {
        <section class="live">
            <form class="connect" onsubmit={on_connect}>
                <label>{ "Broker URL" }<input value={(*url).clone()} oninput={text_input(url.clone())} /></label>
                <label>{ "User name" }<input value={(*username).clone()} oninput={text_input(username.clone())} /></label>
                <label>{ "Password" }<input type="password" value={(*password).clone()} oninput={text_input(password.clone())} /></label>
                <label>{ "Subscribe to" }<input value={(*filter).clone()} oninput={text_input(filter.clone())} /></label>
                <button type="submit">{ "Connect" }</button>
            </form>
            <p class="status" role="status">{ (*status).clone() }</p>
            if let Some(e) = (*error).clone() { <p class="error" role="alert">{ e }</p> }
            <table class="messages" aria-label="Live messages">
                <thead><tr><th>{ "Topic" }</th><th>{ "Payload" }</th><th>{ "QoS" }</th><th>{ "Retained" }</th></tr></thead>
                <tbody>
                    { for lines.borrow().iter().map(|l| html! {
                        <tr><td>{ &l.topic }</td><td>{ &l.text }</td><td>{ l.qos.to_string() }</td><td>{ if l.retain { "yes" } else { "" } }</td></tr>
                    }) }
                </tbody>
            </table>
        </section>
    }
}
