//! CloudPlugs additional properties: set from a JSON object, get by names (or all).

use yew::prelude::*;

use crate::app::components::Field;
use crate::app::hooks::use_action;
use crate::app::services::cloudplugs::CloudPlugsSession;

#[derive(Properties, PartialEq)]
pub struct CloudplugsPropertiesProps {
    pub session: CloudPlugsSession,
}

#[component]
pub fn CloudplugsProperties(props: &CloudplugsPropertiesProps) -> Html {
    let set_json =
        use_state(|| "{\"location\": \"lab\", \"lastTemp\": {\"channel\": \"sensors/temperature\"}}".to_string());
    let names = use_state(String::new);
    let set_action = use_action();
    let get_action = use_action();
    let onset = {
        let (s, j, a) = (props.session.clone(), set_json.clone(), set_action.clone());
        Callback::from(move |e: SubmitEvent| {
            e.prevent_default();
            let (s, j) = (s.clone(), (*j).clone());
            a.run("props_set_result", async move {
                s.set_properties(&j).await?;
                Ok("CloudPlugs confirmed the properties".into())
            });
        })
    };
    let onget = {
        let (s, n, a) = (props.session.clone(), names.clone(), get_action.clone());
        Callback::from(move |e: SubmitEvent| {
            e.prevent_default();
            let (s, n) = (s.clone(), (*n).clone());
            a.run("props_get", async move {
                let values = s.get_properties(&n).await?;
                Ok(serde_json::to_string_pretty(&values).unwrap_or_default())
            });
        })
    };
    let set = |h: &UseStateHandle<String>| {
        let h = h.clone();
        Callback::from(move |v| h.set(v))
    };
    html! {
        <section class="card" aria-label="Properties">
            <h3>{ "Properties" }</h3>
            <form onsubmit={onset} oninput={set_action.on_edit()} onchange={set_action.on_edit()}>
                <Field id="cp-props-set" label="Set (JSON object; {\"channel\": X} = last value of channel X)" rows={2}
                    value={(*set_json).clone()} oninput={set(&set_json)} error={set_action.error("props_set")} />
                <div class="actions">
                    <button type="submit" disabled={set_action.busy()}>{ "Set properties" }</button>
                    if let Some(e) = set_action.error("props_set_result") { <p class="field-error" role="alert">{ e }</p> }
                    if let Some(m) = set_action.message() { <p class="ok" role="status">{ m }</p> }
                </div>
            </form>
            <form class="row" onsubmit={onget} oninput={get_action.on_edit()} onchange={get_action.on_edit()}>
                <Field id="cp-props-get" label="Get (names, comma-separated; empty: all)" value={(*names).clone()} oninput={set(&names)} />
                <button type="submit" class="secondary" disabled={get_action.busy()}>{ "Get properties" }</button>
            </form>
            if let Some(e) = get_action.error("props_get") { <p class="field-error" role="alert">{ e }</p> }
            if let Some(m) = get_action.message() { <pre class="json" aria-label="Properties read">{ m }</pre> }
        </section>
    }
}
