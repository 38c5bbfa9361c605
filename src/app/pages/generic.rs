//! Generic MQTT page: subscriptions with colours, publish in four formats, a message log with a
//! topic filter, pause and clear, and a live chart of a numeric JSON field chosen by path.
//! Stays responsive at 1,000 messages/s: one render per animation frame, bounded buffers.

use yew::prelude::*;

use crate::app::components::{
    message_log::select_lines, ChartView, ConnectionBar, Field, MessageLog, PublishForm, SubscriptionList,
};
use crate::app::hooks::{now_ms, use_app, use_redraw, use_tick};
use crate::app::services::connection::Live;
use crate::app::services::diagnostics::wasm_memory_bytes;
use crate::app::services::generic::{GenericSession, LOG_CAPACITY};
use crate::app::state::ProfileKind;

#[component]
pub fn GenericPage() -> Html {
    let app = use_app();
    let session = match app.live(ProfileKind::Generic) {
        Some(Live::Generic(s)) => Some(s),
        _ => None,
    };
    html! {
        <div class="page generic">
            <ConnectionBar kind={ProfileKind::Generic} />
            if let Some(s) = session { <GenericLive session={s} /> }
            else { <p class="empty card">{ "Connect to a broker to subscribe, publish and watch messages." }</p> }
        </div>
    }
}

#[derive(Properties, PartialEq)]
struct GenericLiveProps {
    session: GenericSession,
}

#[component]
fn GenericLive(props: &GenericLiveProps) -> Html {
    use_redraw(Some(props.session.redraw.clone()));
    // The rate falls to 0 when messages stop, without a message to say so.
    use_tick(1_000, true);
    let filter = use_state(String::new);
    let path = use_state(|| props.session.store.chart_path.borrow().clone());
    let store = &props.session.store;
    let lines = select_lines(store.log.borrow().newest(), &filter);
    let subs = store.subscriptions.borrow().clone();
    let paused = store.paused.get();
    let version = store.series.borrow().version;

    let onpause = {
        let s = props.session.clone();
        Callback::from(move |_| s.set_paused(!s.store.paused.get()))
    };
    let onclear = {
        let s = props.session.clone();
        Callback::from(move |_| s.clear())
    };
    let onpath = {
        let (s, path) = (props.session.clone(), path.clone());
        Callback::from(move |v: String| {
            path.set(v.clone());
            s.set_chart_path(v.trim().to_owned());
        })
    };
    let rate = store.rate.borrow().current(now_ms());
    html! {
        <>
            <div class="columns">
                <SubscriptionList session={props.session.clone()} rows={subs} />
                <PublishForm session={props.session.clone()} />
            </div>
            <section class="card" aria-label="Chart">
                <div class="row">
                    <h3>{ "Chart" }</h3>
                    <Field id="chart-path" label="Numeric JSON field (path)" value={(*path).clone()} oninput={onpath}
                        placeholder="value or sensors[0].t" hint={AttrValue::from("e.g. value, data.temp, list[2]")} />
                </div>
                <ChartView series={store.series.clone()} {version} label="Chart of the chosen JSON field" />
            </section>
            <section class="card" aria-label="Message log">
                <div class="row">
                    <h3>{ "Messages" }</h3>
                    <span class="counter" data-testid="received">{ format!("{} received", store.received.get()) }</span>
                    <span class="counter" data-testid="rate">{ format!("{rate:.0} msg/s") }</span>
                    <span class="counter" data-testid="wasm-memory">{ format!("{:.1} MB wasm memory", wasm_memory_bytes() / 1e6) }</span>
                    <Field id="log-filter" label="Topic filter" value={(*filter).clone()}
                        oninput={Callback::from({ let f = filter.clone(); move |v| f.set(v) })} placeholder="text or MQTT filter" />
                    <button class="secondary" onclick={onpause} aria-pressed={paused.to_string()}>{ if paused { "Resume" } else { "Pause" } }</button>
                    <button class="secondary" onclick={onclear}>{ "Clear" }</button>
                </div>
                if paused { <p class="hint">{ format!("Paused: {} messages not shown.", store.hidden_while_paused.get()) }</p> }
                <p class="hint">{ format!("Showing the newest {} of the last {} kept.", lines.len(), LOG_CAPACITY.min(store.log.borrow().len())) }</p>
                <MessageLog {lines} filter={(*filter).clone()} />
            </section>
        </>
    }
}
