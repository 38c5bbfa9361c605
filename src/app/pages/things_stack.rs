//! The Things Stack application page: live uplinks per device with every payload form and the
//! decoded JSON, the downlink composer, and each downlink's timeline.

use yew::prelude::*;

use crate::app::components::{ConnectionBar, DownlinkComposer, DownlinkTimeline, FormatterEditor, UplinkTable};
use crate::app::hooks::{use_app, use_redraw};
use crate::app::services::connection::Live;
use crate::app::services::payload::clock;
use crate::app::services::things_stack::TtsSession;
use crate::app::state::ProfileKind;

#[component]
pub fn ThingsStackPage() -> Html {
    let app = use_app();
    let session = match app.live(ProfileKind::ThingsStackApp) {
        Some(Live::ThingsStack(s)) => Some(s),
        _ => None,
    };
    html! {
        <div class="page tts">
            <ConnectionBar kind={ProfileKind::ThingsStackApp} />
            if let Some(s) = session { <AppLive session={s} /> }
            else { <p class="empty card">{ "Connect a TTS application profile to see live uplinks and send downlinks." }</p> }
        </div>
    }
}

#[derive(Properties, PartialEq)]
struct AppLiveProps {
    session: TtsSession,
}

#[component]
fn AppLive(props: &AppLiveProps) -> Html {
    use_redraw(Some(props.session.redraw.clone()));
    let device = use_state(String::new);
    let store = &props.session.store;
    let rows: Vec<_> = store
        .uplinks
        .borrow()
        .newest()
        .filter(|r| device.is_empty() || r.device_id == *device)
        .take(50)
        .cloned()
        .collect();
    let devices: Vec<String> = store.devices.borrow().iter().cloned().collect();
    let tracks: Vec<_> = store.downlinks.borrow().newest().take(20).cloned().collect();
    let events: Vec<_> = store.events.borrow().newest().take(8).cloned().collect();
    let errors: Vec<String> = store.errors.borrow().newest().take(3).cloned().collect();
    html! {
        <>
            if !errors.is_empty() {
                <section class="card warn" aria-label="Application errors">{ for errors.iter().map(|e| html! { <p class="field-error">{ e.clone() }</p> }) }</section>
            }
            <UplinkTable {rows} devices={devices.clone()} device={(*device).clone()}
                ondevice={Callback::from({ let d = device.clone(); move |v| d.set(v) })} decoder={store.decoder_name.borrow().clone()} />
            <div class="columns">
                <DownlinkComposer session={props.session.clone()} devices={devices} />
                <DownlinkTimeline {tracks} />
            </div>
            <div class="columns">
                <FormatterEditor session={props.session.clone()} />
                <section class="card" aria-label="Other events">
                    <h3>{ "Other events" }</h3>
                    <ul class="events">{ for events.iter().map(|(at, d, k)| html! { <li><span class="time">{ clock(*at) }</span>{ format!(" {d}: {k}") }</li> }) }</ul>
                    if events.is_empty() { <p class="empty">{ "Joins and downlink events of other clients appear here." }</p> }
                </section>
            </div>
        </>
    }
}
