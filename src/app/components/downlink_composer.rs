//! Downlink composer: f_port, a payload typed as hex, base64 or text with a live preview of the
//! other two forms, priority, confirmed and correlation ids; push, replace or clear the queue.
//! Every validation error is shown at its field.

use yew::prelude::*;

use crate::app::components::{CheckField, Field, SelectField};
use crate::app::error::FieldErrors;
use crate::app::hooks::use_action;
use crate::app::services::payload::{encode, preview, PayloadFormat};
use crate::app::services::things_stack::{DownlinkForm, TtsSession};
use crate::platforms::things_stack::Priority;

#[derive(Properties, PartialEq)]
pub struct DownlinkComposerProps {
    pub session: TtsSession,
    pub devices: Vec<String>,
}

const PRIORITIES: [Priority; 7] = [
    Priority::Lowest,
    Priority::Low,
    Priority::BelowNormal,
    Priority::Normal,
    Priority::AboveNormal,
    Priority::High,
    Priority::Highest,
];

#[component]
pub fn DownlinkComposer(props: &DownlinkComposerProps) -> Html {
    let form = use_state(|| DownlinkForm {
        device_id: props.devices.first().cloned().unwrap_or_else(|| "demo-sensor-1".into()),
        f_port: "15".into(),
        format: PayloadFormat::Hex,
        payload: "01 02 03".into(),
        priority: "NORMAL".into(),
        confirmed: true,
        correlation_ids: String::new(),
    });
    let action = use_action();
    // Validation as you type: the same checks the send makes, shown at their fields.
    let live = match TtsSession::build(&form) {
        Ok(_) => FieldErrors::default(),
        Err(e) => FieldErrors::from_error(&e, "payload"),
    };
    let err = |f: &str| live.get(f).or_else(|| action.error(f));
    let edit = |f: fn(&mut DownlinkForm, String)| {
        let form = form.clone();
        Callback::from(move |v: String| {
            let mut next = (*form).clone();
            f(&mut next, v);
            form.set(next);
        })
    };
    let send = |replace: bool| {
        let (s, form, a) = (props.session.clone(), form.clone(), action.clone());
        Callback::from(move |_| {
            let (s, f) = (s.clone(), (*form).clone());
            a.run("send", async move {
                s.send(&f, replace).await?;
                // Handed over, not delivered: the timeline below follows it to its end.
                Ok(format!(
                    "{} for {}: follow it in the timeline",
                    if replace { "replaced the queue" } else { "pushed" },
                    f.device_id
                ))
            });
        })
    };
    let onclear = {
        let (s, form, a) = (props.session.clone(), form.clone(), action.clone());
        Callback::from(move |_| {
            let (s, d) = (s.clone(), form.device_id.clone());
            a.run("send", async move {
                s.clear(&d).await?;
                Ok(format!("cleared the queue of {d}"))
            });
        })
    };
    let bytes = encode(form.format, &form.payload);
    let pv = bytes.as_ref().ok().map(|b| preview(b));
    let formats: Vec<(AttrValue, AttrValue)> = [PayloadFormat::Hex, PayloadFormat::Base64, PayloadFormat::Text]
        .iter()
        .map(|f| (f.name().into(), f.name().into()))
        .collect();
    let priorities: Vec<(AttrValue, AttrValue)> =
        PRIORITIES.iter().map(|p| (p.as_str().into(), p.as_str().into())).collect();
    let valid = live.is_empty();
    html! {
        <section class="card" aria-label="Downlink composer">
            <h3>{ "Downlink" }</h3>
            <div class="grid">
                <Field id="dl-device" label="End device id" value={form.device_id.clone()} oninput={edit(|f, v| f.device_id = v)} error={err("device")} />
                <Field id="dl-fport" label="f_port" input_type="number" value={form.f_port.clone()} oninput={edit(|f, v| f.f_port = v)} error={err("f_port")} />
                <SelectField id="dl-format" label="Payload typed as" value={form.format.name()} options={formats}
                    onchange={edit(|f, v| f.format = PayloadFormat::from_name(&v))} />
                <SelectField id="dl-priority" label="Priority" value={form.priority.clone()} options={priorities} onchange={edit(|f, v| f.priority = v)} />
                <Field id="dl-payload" label={format!("Payload ({})", form.format.name())} value={form.payload.clone()}
                    oninput={edit(|f, v| f.payload = v)} error={err("payload")} class="wide" />
                <CheckField id="dl-confirmed" label="Confirmed (expect ack)" checked={form.confirmed}
                    onchange={Callback::from({ let form = form.clone(); move |v| { let mut n = (*form).clone(); n.confirmed = v; form.set(n); } })} />
                <Field id="dl-correlation" label="Correlation ids (comma-separated)" value={form.correlation_ids.clone()}
                    oninput={edit(|f, v| f.correlation_ids = v)} error={err("correlation_ids")} />
            </div>
            if let Some(p) = pv {
                <dl class="facts preview" aria-label="Payload preview">
                    <dt>{ "hex" }</dt><dd class="mono" data-testid="preview-hex">{ p.hex }</dd>
                    <dt>{ "base64" }</dt><dd class="mono" data-testid="preview-base64">{ p.base64 }</dd>
                    <dt>{ "text" }</dt><dd class="mono" data-testid="preview-text">{ p.text.unwrap_or_else(|| "(not UTF-8)".into()) }</dd>
                </dl>
            }
            <div class="actions">
                <button onclick={send(false)} disabled={action.busy() || !valid}>{ "Push" }</button>
                <button class="secondary" onclick={send(true)} disabled={action.busy() || !valid}>{ "Replace queue" }</button>
                <button class="danger" onclick={onclear} disabled={action.busy()}>{ "Clear queue" }</button>
                if let Some(e) = action.error("send") { <p class="field-error" role="alert">{ e }</p> }
                if let Some(m) = action.message() { <p class="ok" role="status">{ m }</p> }
            </div>
        </section>
    }
}
