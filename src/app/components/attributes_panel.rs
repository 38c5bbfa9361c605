//! Attributes: client and shared in one live table (deleted keys shown as deleted), a request
//! by keys, and publishing client attributes.

use yew::prelude::*;

use crate::app::components::Field;
use crate::app::error::AppError;
use crate::app::hooks::use_action;
use crate::app::services::payload::clock;
use crate::app::services::thingsboard::{AttributeRow, Scope, TbSession};

#[derive(Properties, PartialEq)]
pub struct AttributesPanelProps {
    pub session: TbSession,
    pub rows: Vec<((Scope, String), AttributeRow)>,
}

fn keys(text: &str) -> Vec<String> {
    text.split(',').map(str::trim).filter(|s| !s.is_empty()).map(String::from).collect()
}

#[component]
pub fn AttributesPanel(props: &AttributesPanelProps) -> Html {
    let client_keys = use_state(String::new);
    let shared_keys = use_state(String::new);
    let publish = use_state(|| "{\"firmwareVersion\": \"1.0.0\", \"serial\": \"SN-001\"}".to_string());
    let request = use_action();
    let send = use_action();
    let onrequest = {
        let (s, c, sh, request) = (props.session.clone(), client_keys.clone(), shared_keys.clone(), request.clone());
        Callback::from(move |e: SubmitEvent| {
            e.prevent_default();
            let (s, c, sh) = (s.clone(), keys(&c), keys(&sh));
            request.run("attr_request", async move {
                let c: Vec<&str> = c.iter().map(String::as_str).collect();
                let sh: Vec<&str> = sh.iter().map(String::as_str).collect();
                let n = s.request_attributes(&c, &sh).await?;
                Ok(format!("{n} attributes received"))
            });
        })
    };
    let publish_value = serde_json::from_str::<crate::json::Value>(&publish);
    let publish_error = match &publish_value {
        Err(e) => Some(format!("not valid JSON: {e}")),
        Ok(v) if !v.is_object() => Some("client attributes are a JSON object".to_string()),
        _ => None,
    };
    let onpublish = {
        let (s, publish, send) = (props.session.clone(), publish.clone(), send.clone());
        Callback::from(move |e: SubmitEvent| {
            e.prevent_default();
            let s = s.clone();
            match serde_json::from_str::<crate::json::Value>(&publish) {
                Ok(v) => send.run("attr_publish", async move {
                    s.send_attributes(&v).await?;
                    Ok("client attributes published".into())
                }),
                Err(e) => send.fail(AppError::input("attr_json", e.to_string()), "attr_json"),
            }
        })
    };
    let set = |h: &UseStateHandle<String>| {
        let h = h.clone();
        Callback::from(move |v| h.set(v))
    };
    html! {
        <section class="card" aria-label="Attributes">
            <h3>{ "Attributes" }</h3>
            <div class="table-wrap">
                <table class="data" aria-label="Attribute table">
                    <thead><tr><th>{ "Scope" }</th><th>{ "Key" }</th><th>{ "Value" }</th><th>{ "Updated" }</th></tr></thead>
                    <tbody>
                        { for props.rows.iter().map(|((scope, key), row)| html! {
                            <tr class={classes!(row.deleted.then_some("deleted"))} key={format!("{}:{key}", scope.name())}>
                                <td>{ scope.name() }</td>
                                <td><code>{ key }</code></td>
                                <td class="payload">{ if row.deleted { "deleted".to_string() } else { row.value.to_string() } }</td>
                                <td class="time">{ clock(row.updated) }</td>
                            </tr>
                        }) }
                    </tbody>
                </table>
                if props.rows.is_empty() { <p class="empty">{ "No attributes yet." }</p> }
            </div>
            <form class="row" onsubmit={onrequest} oninput={request.on_edit()} onchange={request.on_edit()}>
                <Field id="attr-client-keys" label="Client keys (comma-separated)" value={(*client_keys).clone()} oninput={set(&client_keys)} />
                <Field id="attr-shared-keys" label="Shared keys (comma-separated)" value={(*shared_keys).clone()} oninput={set(&shared_keys)} />
                <button type="submit" class="secondary" disabled={request.busy()}>{ "Request" }</button>
            </form>
            if let Some(e) = request.error("attr_request") { <p class="field-error" role="alert">{ e }</p> }
            if let Some(m) = request.message() { <p class="ok" role="status">{ m }</p> }
            <form onsubmit={onpublish} oninput={send.on_edit()} onchange={send.on_edit()}>
                <Field id="attr-json" label="Client attributes to publish (JSON object)" rows={2} value={(*publish).clone()} oninput={set(&publish)}
                    error={publish_error.clone().or(send.error("attr_json"))} />
                <div class="actions">
                    <button type="submit" disabled={send.busy() || publish_error.is_some()}>{ "Publish client attributes" }</button>
                    if let Some(e) = send.error("attr_publish") { <p class="field-error" role="alert">{ e }</p> }
                    if let Some(m) = send.message() { <p class="ok" role="status">{ m }</p> }
                </div>
            </form>
        </section>
    }
}
