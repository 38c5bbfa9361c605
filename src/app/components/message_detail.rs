//! One message of the history in full: its topic, time, QoS, retain flag and MQTT 5 properties,
//! and its payload as text, JSON (indented, every token as sent), hex or base64, with a copy button.

use yew::prelude::*;

use crate::app::components::SelectField;
use crate::app::services::clipboard::copy_text;
use crate::app::services::generic::LogLine;
use crate::app::services::payload::{clock, PayloadFormat};
use crate::history::indent::indent;
use crate::platforms::things_stack::payload::{bytes_to_base64, bytes_to_hex};

#[derive(Properties, PartialEq)]
pub struct MessageDetailProps {
    pub line: LogLine,
    pub onclose: Callback<()>,
}

/// The payload in `form`, or why it cannot be shown that way.
fn shown(payload: &[u8], form: PayloadFormat) -> Result<String, &'static str> {
    let text = || std::str::from_utf8(payload).map_err(|_| "not UTF-8 text: choose hex or base64");
    match form {
        PayloadFormat::Text => text().map(str::to_owned),
        PayloadFormat::Json => {
            let t = text()?;
            match serde_json::from_str::<crate::json::Value>(t) {
                Ok(_) => Ok(indent(t)),
                Err(_) => Err("not JSON: choose text, hex or base64"),
            }
        }
        PayloadFormat::Hex => Ok(bytes_to_hex(payload)),
        PayloadFormat::Base64 => Ok(bytes_to_base64(payload)),
    }
}

#[component]
pub fn MessageDetail(props: &MessageDetailProps) -> Html {
    let l = &props.line;
    let looks_json = l.payload.first().is_some_and(|b| matches!(b, b'{' | b'['));
    let form = use_state(|| if looks_json { PayloadFormat::Json } else { PayloadFormat::Text });
    let copied = use_state(|| None::<bool>);
    let text = shown(&l.payload, *form);
    let onform = {
        let (form, copied) = (form.clone(), copied.clone());
        Callback::from(move |name: String| {
            form.set(PayloadFormat::from_name(&name));
            copied.set(None);
        })
    };
    let oncopy = {
        let (copied, text) = (copied.clone(), text.clone().unwrap_or_default());
        Callback::from(move |_| {
            let (copied, text) = (copied.clone(), text.clone());
            wasm_bindgen_futures::spawn_local(async move { copied.set(Some(copy_text(&text).await)) });
        })
    };
    let onclose = props.onclose.reform(|_| ());
    let forms: Vec<_> =
        PayloadFormat::ALL.iter().map(|f| (AttrValue::from(f.name()), AttrValue::from(f.name()))).collect();
    html! {
        <section class="card message-detail" aria-label="Message detail">
            <div class="row">
                <h3>{ "Message" }</h3>
                <span class="topic mono">{ &l.topic }</span>
                <span class="time">{ clock(l.at) }</span>
                <span>{ format!("QoS {}{}", l.qos as u8, if l.retain { ", retained" } else { "" }) }</span>
                <span class="counter">{ format!("{} bytes", l.payload.len()) }</span>
                <button type="button" class="secondary" onclick={onclose}>{ "Close" }</button>
            </div>
            <div class="row">
                <SelectField id="detail-form" label="Show the payload as" value={AttrValue::from(form.name())} options={forms} onchange={onform} />
                if text.is_ok() { <button type="button" class="secondary" onclick={oncopy}>{ "Copy payload" }</button> }
                { match *copied {
                    Some(true) => html! { <span class="ok" role="status">{ "Copied." }</span> },
                    Some(false) => html! { <span class="field-error" role="alert">{ "This browser refused the clipboard: select the text and copy it." }</span> },
                    None => html! {},
                } }
            </div>
            { match &text {
                Ok(t) => html! { <pre class="payload-full" data-testid="payload-full">{ t }</pre> },
                Err(why) => html! { <p class="hint" role="status">{ *why }</p> },
            } }
            if !l.properties.is_empty() {
                <h4>{ format!("MQTT 5 properties ({})", l.properties.len()) }</h4>
                <dl class="props">{ for l.properties.iter().map(|(k, v)| html! { <><dt>{ k }</dt><dd>{ v }</dd></> }) }</dl>
            }
        </section>
    }
}
