//! Generic MQTT page: subscriptions with colours, publish in four formats, the topics seen as a
//! tree, a message history of tens of thousands (filtered by topic and text, each message opened in
//! full, exported as NDJSON or CSV), pause and clear, and a live chart of a numeric JSON field.
//! Stays responsive at 1,000 messages/s: one render per animation frame, bounded buffers, and only
//! the rows in view drawn.

use yew::prelude::*;

use std::collections::HashSet;

use crate::app::components::message_log::window;
use crate::app::components::{
    ChartView, ConnectionBar, Field, MessageDetail, MessageLog, PublishForm, SelectField, SubscriptionList,
    TopicTreeView,
};
use crate::app::hooks::{now_ms, use_app, use_redraw, use_tick};
use crate::app::services::clipboard::download;
use crate::app::services::connection::Live;
use crate::app::services::diagnostics::wasm_memory_bytes;
use crate::app::services::generic::{GenericSession, LOG_CAPACITY};
use crate::app::state::ProfileKind;
use crate::history::export::iso_time;
use crate::history::{Export, HistoryFilter, PayloadForm};

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
    let text = use_state(String::new);
    let scroll = use_state(|| 0.0f64);
    let selected = use_state(|| None::<u64>);
    let expanded = use_state(HashSet::<String>::new);
    let export_form = use_state(PayloadForm::default);
    let exported = use_state(|| None::<Result<String, String>>);
    let path = use_state(|| props.session.store.chart_path.borrow().clone());
    let store = &props.session.store;
    let history_filter = HistoryFilter::new(&filter, &text);
    let (start, count) = window(*scroll);
    let (lines, total) = store.window(&history_filter, start, count);
    let start = start.min(total);
    let detail = selected.and_then(|seq| store.line(seq));
    let tree_rows = store.tree.borrow().rows(|p| expanded.contains(p));
    let (topics, unplaced) = {
        let tree = store.tree.borrow();
        (tree.topics(), tree.unplaced())
    };
    let subs = store.subscriptions.borrow().clone();
    let paused = store.paused.get();
    let version = store.series.borrow().version;

    let onpause = {
        let s = props.session.clone();
        Callback::from(move |_| s.set_paused(!s.store.paused.get()))
    };
    let onclear = {
        let (s, selected) = (props.session.clone(), selected.clone());
        Callback::from(move |_| {
            s.clear();
            selected.set(None);
        })
    };
    let onpath = {
        let (s, path) = (props.session.clone(), path.clone());
        Callback::from(move |v: String| {
            path.set(v.clone());
            s.set_chart_path(v.trim().to_owned());
        })
    };
    let ontoggle = {
        let expanded = expanded.clone();
        Callback::from(move |p: String| {
            let mut next = (*expanded).clone();
            if !next.remove(&p) {
                next.insert(p);
            }
            expanded.set(next);
        })
    };
    let onexport = |format: Export| {
        let (store, exported, form) = (props.session.store.clone(), exported.clone(), *export_form);
        let history_filter = history_filter.clone();
        Callback::from(move |_| {
            let file = store.export(&history_filter, format, form);
            let rows = file.lines().count() - usize::from(format == Export::Csv);
            let name = format!("iotmqtt-history-{}.{}", iso_time(now_ms()).replace(':', "-"), format.extension());
            exported.set(Some(
                download(&name, format.media_type(), &file).map(|()| format!("Exported {rows} messages to {name}.")),
            ));
        })
    };
    let forms: Vec<_> =
        PayloadForm::ALL.iter().map(|f| (AttrValue::from(f.name()), AttrValue::from(f.name()))).collect();
    let rate = store.rate.borrow().current(now_ms());
    let kept = store.log.borrow().len();
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
            <TopicTreeView rows={tree_rows} {topics} {unplaced} filter={(*filter).clone()} {ontoggle}
                onselect={Callback::from({ let (f, scroll) = (filter.clone(), scroll.clone()); move |v| { f.set(v); scroll.set(0.0) } })} />
            <section class="card" aria-label="Message log">
                <div class="row">
                    <h3>{ "Messages" }</h3>
                    <span class="counter" data-testid="received">{ format!("{} received", store.received.get()) }</span>
                    <span class="counter" data-testid="rate">{ format!("{rate:.0} msg/s") }</span>
                    <span class="counter" data-testid="wasm-memory">{ format!("{:.1} MB wasm memory", wasm_memory_bytes() / 1e6) }</span>
                    <button class="secondary" onclick={onpause} aria-pressed={paused.to_string()}>{ if paused { "Resume" } else { "Pause" } }</button>
                    <button class="secondary" onclick={onclear}>{ "Clear" }</button>
                </div>
                <div class="row">
                    <Field id="log-filter" label="Topic filter" value={(*filter).clone()}
                        oninput={Callback::from({ let f = filter.clone(); move |v| f.set(v) })} placeholder="text or MQTT filter" />
                    <Field id="log-text" label="Payload contains" value={(*text).clone()}
                        oninput={Callback::from({ let t = text.clone(); move |v| t.set(v) })} placeholder="any text, any case" />
                    <SelectField id="export-form" label="Payload in exports as" value={AttrValue::from(export_form.name())} options={forms}
                        onchange={Callback::from({ let f = export_form.clone(); move |v: String| f.set(PayloadForm::from_name(&v)) })} />
                    <button type="button" class="secondary" onclick={onexport(Export::Ndjson)}>{ "Export NDJSON" }</button>
                    <button type="button" class="secondary" onclick={onexport(Export::Csv)}>{ "Export CSV" }</button>
                </div>
                { match &*exported {
                    Some(Ok(said)) => html! { <p class="ok" role="status" data-testid="exported">{ said }</p> },
                    Some(Err(why)) => html! { <p class="field-error" role="alert">{ why }</p> },
                    None => html! {},
                } }
                if paused { <p class="hint">{ format!("Paused: {} messages not shown.", store.hidden_while_paused.get()) }</p> }
                <p class="hint" data-testid="history-count">{ format!("{total} of the {kept} kept (the newest {LOG_CAPACITY}, up to {} MB, are kept).", store.log_bound >> 20) }</p>
                <MessageLog {lines} {start} {total} selected={*selected}
                    onscroll={Callback::from({ let s = scroll.clone(); move |v| s.set(v) })}
                    onselect={Callback::from({ let s = selected.clone(); move |seq| s.set(Some(seq)) })} />
            </section>
            if let Some(line) = detail {
                <MessageDetail key={line.seq.to_string()} line={line.clone()} onclose={Callback::from({ let s = selected.clone(); move |()| s.set(None) })} />
            }
        </>
    }
}
