//! ThingsBoard device page: telemetry (composer, generator, live chart), attributes, RPC console,
//! claim, provisioning and firmware, over the page's live device session.

use yew::prelude::*;

use crate::app::components::{
    AttributesPanel, ChartView, ClaimForm, ConnectionBar, FirmwarePanel, ProvisionWizard, RpcConsole,
    TelemetryComposer, TelemetryGenerator,
};
use crate::app::hooks::{use_app, use_redraw};
use crate::app::services::connection::Live;
use crate::app::services::thingsboard::TbSession;
use crate::app::state::ProfileKind;
use crate::platforms::thingsboard::topics::PackageKind;

#[component]
pub fn ThingsBoardPage() -> Html {
    let app = use_app();
    let state = app.state();
    let session = match app.live(ProfileKind::ThingsBoardDevice) {
        Some(Live::ThingsBoard(s)) => Some(s),
        _ => None,
    };
    let url = state
        .selected_profile(ProfileKind::ThingsBoardDevice)
        .map(|p| p.url.clone())
        .unwrap_or_else(|| format!("{}/mqtt/thingsboard", crate::app::services::profiles::simulator_base()));
    html! {
        <div class="page thingsboard">
            <ConnectionBar kind={ProfileKind::ThingsBoardDevice} />
            if let Some(s) = session { <DeviceLive session={s} /> }
            else { <p class="empty card">{ "Connect a ThingsBoard device profile to send telemetry, see attributes, answer RPCs and update firmware." }</p> }
            <ProvisionWizard url={url} />
        </div>
    }
}

#[derive(Properties, PartialEq)]
struct DeviceLiveProps {
    session: TbSession,
}

#[component]
fn DeviceLive(props: &DeviceLiveProps) -> Html {
    use_redraw(Some(props.session.redraw.clone()));
    let store = &props.session.store;
    let s = props.session.clone();
    let attributes: Vec<_> = store.attributes.borrow().iter().map(|(k, v)| (k.clone(), v.clone())).collect();
    let log: Vec<_> = store.rpc_log.borrow().newest().take(50).cloned().collect();
    let errors: Vec<String> = store.errors.borrow().newest().take(3).cloned().collect();
    let version = store.series.borrow().version;
    let limits = s.device.session_limits();
    html! {
        <>
            if !errors.is_empty() {
                <section class="card warn" aria-label="Device errors">{ for errors.iter().map(|e| html! { <p class="field-error">{ e.clone() }</p> }) }</section>
            }
            <div class="columns">
                <TelemetryComposer session={s.clone()} />
                <TelemetryGenerator session={s.clone()} running={store.generator.borrow().is_some()}
                    sent={store.sent_messages.get()} error={store.generator_error.borrow().clone()} />
            </div>
            <section class="card" aria-label="Telemetry chart">
                <h3>{ "Sent and received values" }</h3>
                <ChartView series={store.series.clone()} {version} label="Chart of sent telemetry and received numeric attributes" />
                <p class="hint">{ format!("Session limits: payload ≤ {} bytes, {} in flight.", limits.max_payload_size, limits.max_inflight_messages) }</p>
            </section>
            <div class="columns">
                <AttributesPanel session={s.clone()} rows={attributes} />
                <FirmwarePanel session={s.clone()} view={store.firmware.borrow().clone()}
                    updates={s.device.updates_firmware(PackageKind::Fw)} />
            </div>
            <RpcConsole session={s.clone()} rules={store.rules.borrow().clone()} {log} manual={store.manual.borrow().clone()} />
            <ClaimForm session={s} />
        </>
    }
}
