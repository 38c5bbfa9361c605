//! Telemetry composer: key-value rows or raw JSON, with or without `ts`, validated as you type
//! with ThingsBoard's own telemetry rules.

use crate::json;
use crate::json::{Map, Value};
use yew::prelude::*;

use crate::app::components::{CheckField, Field};
use crate::app::hooks::{now_ms, use_action};
use crate::app::services::payload::typed_value;
use crate::app::services::thingsboard::TbSession;
use crate::platforms::thingsboard::telemetry::parse_telemetry;

#[derive(Properties, PartialEq)]
pub struct TelemetryComposerProps {
    pub session: TbSession,
}

/// The telemetry the form describes, or what is wrong with it.
fn compose(raw_mode: bool, raw: &str, rows: &[(String, String)], with_ts: bool) -> Result<Value, String> {
    let value = if raw_mode {
        serde_json::from_str::<Value>(raw).map_err(|e| format!("not valid JSON: {e}"))?
    } else {
        let mut values = Map::new();
        for (k, v) in rows.iter().filter(|(k, v)| !k.trim().is_empty() || !v.trim().is_empty()) {
            if k.trim().is_empty() {
                return Err(format!("the value {v:?} has no key"));
            }
            values.insert(k.trim().to_owned(), typed_value(v));
        }
        if values.is_empty() {
            return Err("add at least one key and value".into());
        }
        if with_ts {
            json!({ "ts": now_ms() as i64, "values": values })
        } else {
            Value::Object(values)
        }
    };
    parse_telemetry(&value).map_err(|e| e.to_string())?;
    Ok(value)
}

#[component]
pub fn TelemetryComposer(props: &TelemetryComposerProps) -> Html {
    let raw_mode = use_state(|| false);
    let raw = use_state(|| "{\"ts\": 1700000000000, \"values\": {\"temperature\": 22.5}}".to_string());
    let rows =
        use_state(|| vec![("temperature".to_string(), "22.5".to_string()), ("active".to_string(), "true".to_string())]);
    let with_ts = use_state(|| false);
    let action = use_action();
    let composed = compose(*raw_mode, &raw, &rows, *with_ts);
    let onsubmit = {
        let (s, action, raw_mode, raw, rows, with_ts) =
            (props.session.clone(), action.clone(), raw_mode.clone(), raw.clone(), rows.clone(), with_ts.clone());
        Callback::from(move |e: SubmitEvent| {
            e.prevent_default();
            let value = match compose(*raw_mode, &raw, &rows, *with_ts) {
                Ok(v) => v,
                Err(m) => return action.fail(crate::app::error::AppError::input("telemetry", m), "telemetry"),
            };
            let s = s.clone();
            action.run("send", async move {
                s.send_telemetry(&value).await?;
                Ok(format!("sent {value}"))
            });
        })
    };
    let set_row = |i: usize, key: bool| {
        let rows = rows.clone();
        Callback::from(move |v: String| {
            let mut next = (*rows).clone();
            if key {
                next[i].0 = v
            } else {
                next[i].1 = v
            }
            rows.set(next);
        })
    };
    let onadd = {
        let rows = rows.clone();
        Callback::from(move |_| {
            let mut next = (*rows).clone();
            next.push((String::new(), String::new()));
            rows.set(next);
        })
    };
    let live_error = composed.as_ref().err().cloned();
    html! {
        <form class="card" {onsubmit} aria-label="Telemetry composer" oninput={action.on_edit()} onchange={action.on_edit()}>
            <h3>{ "Send telemetry" }</h3>
            <div class="tabs" role="group" aria-label="Input mode">
                <button type="button" class={classes!("tab", (!*raw_mode).then_some("active"))} aria-pressed={(!*raw_mode).to_string()}
                    onclick={Callback::from({ let m = raw_mode.clone(); move |_| m.set(false) })}>{ "Key-value" }</button>
                <button type="button" class={classes!("tab", raw_mode.then_some("active"))} aria-pressed={raw_mode.to_string()}
                    onclick={Callback::from({ let m = raw_mode.clone(); move |_| m.set(true) })}>{ "Raw JSON" }</button>
            </div>
            if *raw_mode {
                <Field id="tb-telemetry-json" label="Telemetry JSON ({k:v}, [{...}], {ts, values})" rows={4} value={(*raw).clone()}
                    oninput={Callback::from({ let r = raw.clone(); move |v| r.set(v) })} error={live_error.clone()} />
            } else {
                <div class="kv">
                    { for rows.iter().enumerate().map(|(i, (k, v))| html! {
                        <div class="row">
                            <Field id={format!("tb-key-{i}")} label={format!("Key {}", i + 1)} value={k.clone()} oninput={set_row(i, true)} />
                            <Field id={format!("tb-value-{i}")} label={format!("Value {}", i + 1)} value={v.clone()} oninput={set_row(i, false)} />
                        </div>
                    }) }
                    <button type="button" class="secondary small" onclick={onadd}>{ "+ key" }</button>
                    <CheckField id="tb-with-ts" label="Add ts (now)" checked={*with_ts} onchange={Callback::from({ let t = with_ts.clone(); move |v| t.set(v) })} />
                    if let Some(e) = &live_error { <p class="field-error" role="alert">{ e.clone() }</p> }
                </div>
            }
            <div class="actions">
                <button type="submit" disabled={action.busy() || composed.is_err()}>{ "Send telemetry" }</button>
                if let Some(e) = action.error("send").or(action.error("telemetry")) { <p class="field-error" role="alert">{ e }</p> }
                if let Some(m) = action.message() { <p class="ok" role="status">{ m }</p> }
            </div>
        </form>
    }
}
