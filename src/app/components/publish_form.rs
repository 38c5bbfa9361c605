//! The generic page's publish form: topic, QoS, retain, and a payload typed as text, JSON, hex
//! or base64, checked as you type with a preview of the bytes; on an MQTT 5 connection, the
//! message's content type, response topic, expiry and user properties.

use yew::prelude::*;

use crate::app::components::{CheckField, Field, SelectField};
use crate::app::hooks::use_action;
use crate::app::services::generic::GenericSession;
use crate::app::services::message_properties::PropertyFields;
use crate::app::services::payload::{encode, preview, PayloadFormat};
use crate::QoS;

#[derive(Properties, PartialEq)]
pub struct PublishFormProps {
    pub session: GenericSession,
}

#[component]
pub fn PublishForm(props: &PublishFormProps) -> Html {
    let topic = use_state(|| "demo/hello".to_string());
    let payload = use_state(|| "{\"value\": 21.5}".to_string());
    let format = use_state(|| PayloadFormat::Json);
    let qos = use_state(|| "1".to_string());
    let retain = use_state(|| false);
    let content_type = use_state(String::new);
    let response_topic = use_state(String::new);
    let expiry = use_state(String::new);
    let user_properties = use_state(String::new);
    let v5 = props.session.v5_properties();
    let action = use_action();
    let encoded = encode(*format, &payload);
    let live_error = encoded.as_ref().err().cloned();
    let onsubmit = {
        let (s, topic, payload, format, qos, retain, action) = (
            props.session.clone(),
            topic.clone(),
            payload.clone(),
            format.clone(),
            qos.clone(),
            retain.clone(),
            action.clone(),
        );
        let fields = (content_type.clone(), response_topic.clone(), expiry.clone(), user_properties.clone());
        Callback::from(move |e: SubmitEvent| {
            e.prevent_default();
            let (s, t, p, f, r) = (s.clone(), (*topic).clone(), (*payload).clone(), *format, *retain);
            let q = QoS::try_from(qos.parse::<u8>().unwrap_or(0)).unwrap_or_default();
            let (content_type, response_topic, expiry, user) = &fields;
            let properties = match v5 {
                true => PropertyFields { content_type, response_topic, expiry, user_properties: user }.read(),
                false => Ok(Default::default()),
            };
            action.run("publish", async move {
                let said = s.publish(&t, f, &p, q, r, properties?).await?;
                Ok(format!("published to {t}{said}"))
            });
        })
    };
    let set = |h: &UseStateHandle<String>| {
        let h = h.clone();
        Callback::from(move |v| h.set(v))
    };
    let formats: Vec<(AttrValue, AttrValue)> =
        PayloadFormat::ALL.iter().map(|f| (f.name().into(), f.name().into())).collect();
    html! {
        <form class="card" {onsubmit} aria-label="Publish" oninput={action.on_edit()} onchange={action.on_edit()}>
            <h3>{ "Publish" }</h3>
            <div class="grid">
                <Field id="pub-topic" label="Topic" value={(*topic).clone()} oninput={set(&topic)} error={action.error("topic")} class="wide" />
                <SelectField id="pub-format" label="Payload format" value={format.name()} options={formats}
                    onchange={Callback::from({ let f = format.clone(); move |v: String| f.set(PayloadFormat::from_name(&v)) })} />
                <SelectField id="pub-qos" label="QoS" value={(*qos).clone()}
                    options={vec![("0".into(), "0".into()), ("1".into(), "1".into()), ("2".into(), "2".into())]} onchange={set(&qos)} />
                <CheckField id="pub-retain" label="Retain" checked={*retain} onchange={Callback::from({ let r = retain.clone(); move |v| r.set(v) })} />
            </div>
            <Field id="pub-payload" label="Payload" rows={3} value={(*payload).clone()} oninput={set(&payload)}
                error={live_error.or_else(|| action.error("payload"))} />
            if *format == PayloadFormat::Json {
                <p class="hint" id="pub-json-hint">{ "Checked as JSON, then sent exactly as typed." }</p>
            }
            if let Ok(bytes) = &encoded {
                <p class="hint preview">{ format!("{} bytes · hex {}", bytes.len(), preview(bytes).hex) }</p>
            }
            if v5 {
                <details class="mqtt5">
                    <summary>{ "MQTT 5 properties" }</summary>
                    <div class="grid">
                        <Field id="pub-content-type" label="Content type" value={(*content_type).clone()} oninput={set(&content_type)}
                            placeholder="application/json" />
                        <Field id="pub-response-topic" label="Response topic" value={(*response_topic).clone()} oninput={set(&response_topic)}
                            error={action.error("responseTopic")} />
                        <Field id="pub-expiry" label="Message expiry (s)" value={(*expiry).clone()} oninput={set(&expiry)}
                            error={action.error("pub-expiry")} />
                    </div>
                    <Field id="pub-user-properties" label="User properties (name=value, one per line)" rows={2}
                        value={(*user_properties).clone()} oninput={set(&user_properties)} error={action.error("pub-user-properties")} />
                </details>
            }
            <div class="actions">
                <button type="submit" disabled={action.busy() || encoded.is_err()}>{ "Publish" }</button>
                if let Some(e) = action.error("publish") { <p class="field-error" role="alert">{ e }</p> }
                // The last publish's success is not shown next to a payload that can no longer be sent.
                if let (Some(m), Ok(_)) = (action.message(), &encoded) { <p class="ok" role="status">{ m }</p> }
            </div>
        </form>
    }
}
