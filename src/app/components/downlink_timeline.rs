//! Each downlink's timeline: published, queued, sent, then its end (acked, failed, invalidated,
//! cleared with its queue, or no answer in time), with times.

use yew::prelude::*;

use crate::app::services::payload::clock;
use crate::app::services::things_stack::DownlinkTrack;

#[derive(Properties, PartialEq)]
pub struct DownlinkTimelineProps {
    pub tracks: Vec<DownlinkTrack>,
}

#[component]
pub fn DownlinkTimeline(props: &DownlinkTimelineProps) -> Html {
    html! {
        <section class="card" aria-label="Downlink timeline">
            <h3>{ "Downlink timeline" }</h3>
            if props.tracks.is_empty() { <p class="empty">{ "No downlinks sent yet." }</p> }
            <ul class="timelines">
                { for props.tracks.iter().map(|t| html! {
                    <li key={t.seq} class="timeline" data-correlation={t.correlation_id.clone()}>
                        <div class="row">
                            <strong>{ format!("{} {} → {}", t.op, t.hex, t.device_id) }</strong>
                            <span class="hint">{ format!("f_port {}{}", t.f_port, if t.confirmed { ", confirmed" } else { "" }) }</span>
                            <code class="hint">{ &t.correlation_id }</code>
                        </div>
                        <ol class="steps">
                            { for t.steps.iter().map(|(at, name, detail)| html! {
                                <li class={classes!("step", name.replace(' ', "-"))} title={clock(*at)}>
                                    <span class="step-name">{ name.clone() }</span>
                                    <span class="time">{ clock(*at) }</span>
                                    if let Some(d) = detail { <span class="field-error">{ d.clone() }</span> }
                                </li>
                            }) }
                        </ol>
                    </li>
                }) }
            </ul>
        </section>
    }
}
