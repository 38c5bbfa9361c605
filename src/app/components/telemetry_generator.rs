//! Telemetry generator: keys with a waveform (sine, random walk, constant) sent at a rate.

use yew::prelude::*;

use crate::app::components::{Field, SelectField};
use crate::app::hooks::use_action;
use crate::app::services::thingsboard::{default_generator_keys, TbSession};
use crate::app::services::waveform::{GeneratorKey, Waveform};

#[derive(Properties, PartialEq)]
pub struct TelemetryGeneratorProps {
    pub session: TbSession,
    pub running: bool,
    pub sent: u64,
    pub error: Option<String>,
}

#[component]
pub fn TelemetryGenerator(props: &TelemetryGeneratorProps) -> Html {
    let keys = use_state(default_generator_keys);
    let rate = use_state(|| "2".to_string());
    let action = use_action();
    let edit = |i: usize, f: fn(&mut GeneratorKey, String)| {
        let keys = keys.clone();
        Callback::from(move |v: String| {
            let mut next = (*keys).clone();
            f(&mut next[i], v);
            keys.set(next);
        })
    };
    let onstart = {
        let (s, keys, rate, action) = (props.session.clone(), keys.clone(), rate.clone(), action.clone());
        Callback::from(move |_| {
            let Ok(hz) = rate.trim().parse::<f64>() else {
                return action.fail(
                    crate::app::error::AppError::input("generator_rate", "the rate is a number of messages per second"),
                    "generator_rate",
                );
            };
            let named: Vec<GeneratorKey> = keys.iter().filter(|k| !k.name.trim().is_empty()).cloned().collect();
            match s.start_generator(named, hz) {
                Ok(()) => action.reset(),
                Err(e) => action.fail(e, "generator"),
            }
        })
    };
    let onstop = {
        let s = props.session.clone();
        Callback::from(move |_| s.stop_generator())
    };
    let onadd = {
        let keys = keys.clone();
        Callback::from(move |_| {
            let mut next = (*keys).clone();
            next.push(GeneratorKey {
                name: format!("key{}", next.len() + 1),
                waveform: Waveform::Constant,
                base: 1.0,
                amplitude: 0.0,
            });
            keys.set(next);
        })
    };
    let waveforms: Vec<(AttrValue, AttrValue)> =
        Waveform::ALL.iter().map(|w| (w.name().into(), w.name().into())).collect();
    html! {
        <section class="card" aria-label="Telemetry generator">
            <h3>{ "Generator" }</h3>
            { for keys.iter().enumerate().map(|(i, k)| html! {
                <div class="keyrow">
                    <Field id={format!("gen-name-{i}")} label="Key" value={k.name.clone()} oninput={edit(i, |k, v| k.name = v)} />
                    <SelectField id={format!("gen-wave-{i}")} label="Waveform" value={k.waveform.name()} options={waveforms.clone()}
                        onchange={edit(i, |k, v| k.waveform = Waveform::from_name(&v))} />
                    <Field id={format!("gen-base-{i}")} label="Centre / value" input_type="number" value={k.base.to_string()}
                        oninput={edit(i, |k, v| k.base = v.parse().unwrap_or(k.base))} />
                    <Field id={format!("gen-amp-{i}")} label="Swing / step" input_type="number" value={k.amplitude.to_string()}
                        oninput={edit(i, |k, v| k.amplitude = v.parse().unwrap_or(k.amplitude))} />
                </div>
            }) }
            <div class="row">
                <button type="button" class="secondary small" onclick={onadd}>{ "+ key" }</button>
                <Field id="gen-rate" label="Messages per second" input_type="number" value={(*rate).clone()}
                    oninput={Callback::from({ let r = rate.clone(); move |v| r.set(v) })} error={action.error("generator_rate")} />
                if props.running {
                    <button type="button" class="danger" onclick={onstop}>{ "Stop generator" }</button>
                } else {
                    <button type="button" onclick={onstart}>{ "Start generator" }</button>
                }
                <span class="counter">{ format!("{} message{} sent", props.sent, if props.sent == 1 { "" } else { "s" }) }</span>
            </div>
            if let Some(e) = action.error("generator").or(action.error("generator_keys")).or(props.error.clone()) { <p class="field-error" role="alert">{ e }</p> }
        </section>
    }
}
