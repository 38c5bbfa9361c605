//! ThingsBoard gateway page: add up to 1,000 simulated sub-devices at once, each sending
//! generated telemetry, paced by the session's limits as it happens; a table of their last values
//! and the RPCs they received.

use yew::prelude::*;

use crate::app::components::{ConnectionBar, Field, PacingPanel, ProgressBar};
use crate::app::hooks::{now_ms, use_action, use_app, use_redraw, use_tick};
use crate::app::services::connection::Live;
use crate::app::services::gateway::{GatewaySession, MAX_DEVICES};
use crate::app::services::payload::clock;
use crate::app::state::ProfileKind;

const PAGE_SIZE: usize = 50;

#[component]
pub fn GatewayPage() -> Html {
    let app = use_app();
    let session = match app.live(ProfileKind::ThingsBoardGateway) {
        Some(Live::Gateway(s)) => Some(s),
        _ => None,
    };
    html! {
        <div class="page gateway">
            <ConnectionBar kind={ProfileKind::ThingsBoardGateway} />
            if let Some(s) = session { <GatewayLive session={s} /> }
            else { <p class="empty card">{ "Connect a ThingsBoard gateway profile to simulate sub-devices." }</p> }
        </div>
    }
}

#[derive(Properties, PartialEq)]
struct GatewayLiveProps {
    session: GatewaySession,
}

#[component]
fn GatewayLive(props: &GatewayLiveProps) -> Html {
    use_redraw(Some(props.session.redraw.clone()));
    // The pacing's countdown moves while publishes wait, even when nothing else happens.
    use_tick(1_000, true);
    let count = use_state(|| "10".to_string());
    let prefix = use_state(|| "sim-device".to_string());
    let period = use_state(|| "1000".to_string());
    let filter = use_state(String::new);
    let page = use_state(|| 0usize);
    let action = use_action();
    let store = &props.session.store;
    let onadd = {
        let (s, count, prefix, a) = (props.session.clone(), count.clone(), prefix.clone(), action.clone());
        Callback::from(move |e: SubmitEvent| {
            e.prevent_default();
            let n = count.trim().parse::<usize>().unwrap_or(0);
            let (s, p) = (s.clone(), (*prefix).clone());
            a.run("device_add", async move {
                s.add_devices(n, &p).await?;
                Ok(format!("{n} devices connected"))
            });
        })
    };
    let onperiod = {
        let (s, period, a) = (props.session.clone(), period.clone(), action.clone());
        Callback::from(move |e: SubmitEvent| {
            e.prevent_default();
            match s.set_period(period.trim().parse().unwrap_or(0)) {
                Ok(()) => a.reset(),
                Err(e) => a.fail(e, "period"),
            }
        })
    };
    let onremove = {
        let (s, a) = (props.session.clone(), action.clone());
        Callback::from(move |_| {
            let s = s.clone();
            a.run("device_add", async move {
                s.remove_all().await?;
                Ok("all sub-devices disconnected".into())
            });
        })
    };
    let devices = store.devices.borrow();
    let matching: Vec<_> = devices.iter().filter(|(n, _)| filter.is_empty() || n.contains(filter.as_str())).collect();
    let pages = matching.len().div_ceil(PAGE_SIZE).max(1);
    let current = (*page).min(pages - 1);
    let set = |h: &UseStateHandle<String>| {
        let h = h.clone();
        Callback::from(move |v| h.set(v))
    };
    let rpc_log: Vec<_> = store.rpc_log.borrow().newest().take(10).cloned().collect();
    let shared = props.session.gateway.device().client().is_none();
    let answers = props.session.gateway.answers_rpc();
    html! {
        <>
            <section class="card" aria-label="Sub-devices">
                <h3>{ "Simulated sub-devices" }</h3>
                <form class="row" onsubmit={onadd} oninput={action.on_edit()} onchange={action.on_edit()}>
                    <Field id="gw-count" label={format!("How many (1–{MAX_DEVICES})")} input_type="number" value={(*count).clone()} oninput={set(&count)}
                        error={action.error("device_count")} />
                    <Field id="gw-prefix" label="Name prefix" value={(*prefix).clone()} oninput={set(&prefix)} error={action.error("device_prefix")} />
                    <button type="submit" disabled={action.busy()}>{ "Add devices" }</button>
                    <button type="button" class="danger" onclick={onremove} disabled={action.busy() || devices.is_empty()}>{ "Disconnect all" }</button>
                </form>
                if let Some((done, total)) = store.adding.get() {
                    <ProgressBar label="Connecting sub-devices" value={done as f64} max={total as f64} detail={format!("{done} of {total} connected")} />
                }
                if let Some(e) = action.error("device_add") { <p class="field-error" role="alert">{ e }</p> }
                if let Some(m) = action.message() { <p class="ok" role="status">{ m }</p> }
                <form class="row" onsubmit={onperiod} oninput={action.on_edit()} onchange={action.on_edit()}>
                    <Field id="gw-period" label="Telemetry every (ms)" input_type="number" value={(*period).clone()} oninput={set(&period)}
                        error={action.error("period")} />
                    <button type="submit" class="secondary">{ "Set rate" }</button>
                    <span class="counter">{ format!("{} devices · telemetry batches sent: {}", devices.len(), store.batches.get()) }</span>
                </form>
                <p class="hint">{ "Batches are split at the session's payload limit and paced by its rate limits, as ThingsBoard requires:" }</p>
                <PacingPanel status={props.session.gateway.device().pacing_status()} now={now_ms() as u64} />
                if let Some(e) = store.last_error.borrow().clone() { <p class="field-error" role="alert">{ e }</p> }
            </section>
            <section class="card" aria-label="Device table">
                <div class="row">
                    <h3>{ "Devices" }</h3>
                    <Field id="gw-filter" label="Filter by name" value={(*filter).clone()} oninput={set(&filter)} />
                    <button class="secondary small" disabled={current == 0} onclick={Callback::from({ let p = page.clone(); move |_| p.set(current.saturating_sub(1)) })}>{ "‹ Previous" }</button>
                    <span class="hint">{ format!("page {} of {pages}", current + 1) }</span>
                    <button class="secondary small" disabled={current + 1 >= pages} onclick={Callback::from({ let p = page.clone(); move |_| p.set(current + 1) })}>{ "Next ›" }</button>
                </div>
                <div class="table-wrap">
                    <table class="data" aria-label="Sub-device values">
                        <thead><tr><th>{ "Device" }</th><th>{ "Last values" }</th><th>{ "Sent" }</th><th>{ "Messages" }</th><th>{ "Last RPCs" }</th></tr></thead>
                        <tbody>
                            { for matching.iter().skip(current * PAGE_SIZE).take(PAGE_SIZE).map(|(name, d)| html! {
                                <tr key={(*name).clone()}>
                                    <td>{ name.as_str() }</td>
                                    <td class="payload">{ crate::json::Value::Object(d.values.clone()).to_string() }</td>
                                    <td class="time">{ if d.sent_at > 0.0 { clock(d.sent_at) } else { "-".into() } }</td>
                                    <td>{ d.messages }</td>
                                    <td class="payload">{ d.rpcs.iter().rev().map(|(_, m, p)| format!("{m} {p}")).collect::<Vec<_>>().join("; ") }</td>
                                </tr>
                            }) }
                        </tbody>
                    </table>
                    if matching.is_empty() { <p class="empty">{ "No sub-devices yet." }</p> }
                </div>
            </section>
            <section class="card" aria-label="Gateway RPC log">
                <h3>{ "RPCs to sub-devices" }</h3>
                <p class="hint">{ "Every RPC is answered with {\"ok\": true}. Send one with POST /api/rpc/twoway/{device} on the simulator." }</p>
                if shared {
                    <p class="hint" data-testid="gateway-rpc-turn">{ if answers {
                        "This tab answers the sub-devices' RPCs; the other tabs sharing the connection wait for their turn."
                    } else {
                        "Another tab answers the sub-devices' RPCs: this one takes the turn when that tab disconnects."
                    } }</p>
                }
                <ul class="events">{ for rpc_log.iter().map(|(at, d, m)| html! { <li><span class="time">{ clock(*at) }</span>{ format!(" {d}: {m}") }</li> }) }</ul>
            </section>
        </>
    }
}
