//! Firmware panel: the current and target firmware, a progress bar with bytes and chunk numbers,
//! every `fw_state` step, and the checksum result.

use yew::prelude::*;

use crate::app::components::{Field, ProgressBar};
use crate::app::hooks::use_action;
use crate::app::services::firmware::{self, FirmwareView};
use crate::app::services::payload::clock;
use crate::app::services::thingsboard::TbSession;
use crate::platforms::thingsboard::firmware::FirmwareState;

#[derive(Properties, PartialEq)]
pub struct FirmwarePanelProps {
    pub session: TbSession,
    pub view: FirmwareView,
    /// This tab's agent updates the device (on a shared connection: it holds the firmware turn).
    pub updates: bool,
}

#[component]
pub fn FirmwarePanel(props: &FirmwarePanelProps) -> Html {
    let title = use_state(|| "demo-firmware".to_string());
    let version = use_state(|| "1.0.0".to_string());
    let chunk = use_state(|| "4096".to_string());
    let action = use_action();
    let v = &props.view;
    let onstart = {
        let (s, title, version, chunk, a) =
            (props.session.clone(), title.clone(), version.clone(), chunk.clone(), action.clone());
        Callback::from(move |e: SubmitEvent| {
            e.prevent_default();
            let (s, t, ver) = (s.clone(), (*title).clone(), (*version).clone());
            let size = chunk.trim().parse::<usize>().unwrap_or(0);
            a.run("fw_start", async move {
                firmware::start(&s, &t, &ver, size).await?;
                Ok("waiting for a firmware package from the server".into())
            });
        })
    };
    let onstop = {
        let s = props.session.clone();
        Callback::from(move |_| firmware::stop(&s))
    };
    let set = |h: &UseStateHandle<String>| {
        let h = h.clone();
        Callback::from(move |v| h.set(v))
    };
    let last = v.steps.last().map(|(_, s, _)| *s);
    let total = v.total.unwrap_or(0);
    let chunk_text = match (v.chunk_index, v.chunks_total()) {
        (Some(i), Some(n)) => format!(", chunk {} of {n}", i + 1),
        (Some(i), None) => format!(", chunk {}", i + 1),
        _ => String::new(),
    };
    let detail =
        format!("{} / {} bytes{chunk_text}", v.received, if total > 0 { total.to_string() } else { "?".into() });
    html! {
        <section class="card" aria-label="Firmware">
            <h3>{ "Firmware" }</h3>
            if !v.running {
                <form class="row" onsubmit={onstart}>
                    <Field id="fw-title" label="Current title" value={(*title).clone()} oninput={set(&title)} error={action.error("fw_current")} />
                    <Field id="fw-version" label="Current version" value={(*version).clone()} oninput={set(&version)} />
                    <Field id="fw-chunk" label="Chunk size (bytes)" input_type="number" value={(*chunk).clone()} oninput={set(&chunk)} error={action.error("fw_chunk")} />
                    <button type="submit" disabled={action.busy()}>{ "Start firmware agent" }</button>
                </form>
            }
            if v.running {
                <div class="actions">
                    <button type="button" class="secondary" onclick={onstop}>{ "Stop firmware agent" }</button>
                </div>
            }
            if let Some(e) = action.error("fw_start") { <p class="field-error" role="alert">{ e }</p> }
            if v.running && props.session.device.client().is_none() {
                <p class="hint" data-testid="fw-turn">{ if props.updates {
                    "This tab's agent updates the device; the other tabs sharing the connection wait for their turn."
                } else {
                    "Another tab's agent updates the device: this one takes the turn when that tab disconnects."
                } }</p>
            }
            <dl class="facts">
                <dt>{ "Current" }</dt>
                <dd data-testid="fw-current">{ v.current.as_ref().map_or("-".to_string(), |(t, ver)| format!("{t} {ver}")) }</dd>
                <dt>{ "Target" }</dt>
                <dd data-testid="fw-target">{ v.target.as_ref().map_or("none announced".to_string(), |t| format!("{} {} ({} bytes, {})", t.title, t.version, t.size.unwrap_or(0), t.algorithm.name())) }</dd>
                <dt>{ "State" }</dt>
                <dd data-testid="fw-state" class={classes!(matches!(last, Some(FirmwareState::Failed)).then_some("field-error"))}>
                    { last.map_or(if v.running { "waiting" } else { "not started" }, |s| s.name()) }
                </dd>
                <dt>{ "Checksum" }</dt>
                <dd data-testid="fw-checksum">{ match &v.checksum { None => "-".to_string(), Some(Ok(t)) => t.clone(), Some(Err(e)) => e.clone() } }</dd>
            </dl>
            <ProgressBar label="Firmware download" value={v.received as f64} max={total.max(1) as f64} detail={detail} />
            <ol class="fw-steps">
                { for v.steps.iter().map(|(at, s, e)| html! {
                    <li class={classes!(matches!(s, FirmwareState::Failed).then_some("failed"))}>
                        <span class="time">{ clock(*at) }</span>
                        <strong>{ s.name() }</strong>
                        if let Some(e) = e { <span class="field-error">{ e.clone() }</span> }
                    </li>
                }) }
            </ol>
        </section>
    }
}
