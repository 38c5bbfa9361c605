//! CloudPlugs data: publish a document to a channel, subscribe with wildcards, and the live list
//! of records received.

use yew::prelude::*;

use crate::app::components::Field;
use crate::app::hooks::use_action;
use crate::app::services::cloudplugs::{CloudPlugsSession, RecordRow};
use crate::app::services::payload::clock;

#[derive(Properties, PartialEq)]
pub struct CloudplugsDataProps {
    pub session: CloudPlugsSession,
    pub records: Vec<RecordRow>,
    pub subscriptions: Vec<String>,
}

#[component]
pub fn CloudplugsData(props: &CloudplugsDataProps) -> Html {
    let channel = use_state(|| "sensors/temperature".to_string());
    let data = use_state(|| "{\"celsius\": 21.5}".to_string());
    let at = use_state(String::new);
    let sub_plug = use_state(|| props.session.device.plug_id().unwrap_or("+").to_string());
    let mask = use_state(|| "#".to_string());
    let publish = use_action();
    let subscribe = use_action();
    let onpublish = {
        let (s, channel, data, at, a) =
            (props.session.clone(), channel.clone(), data.clone(), at.clone(), publish.clone());
        Callback::from(move |e: SubmitEvent| {
            e.prevent_default();
            let at_ms = match at.trim() {
                "" => None,
                t => match t.parse::<u64>() {
                    Ok(v) => Some(v),
                    Err(_) => {
                        return a.fail(
                            crate::app::error::AppError::input(
                                "at",
                                "\"at\" is epoch milliseconds, or empty for the server's clock",
                            ),
                            "at",
                        )
                    }
                },
            };
            let (s, c, d) = (s.clone(), (*channel).clone(), (*data).clone());
            a.run("publish", async move {
                s.publish(&c, &d, at_ms).await?;
                Ok(format!("published to {c} (CloudPlugs cannot report a denied publish)"))
            });
        })
    };
    let onsubscribe = {
        let (s, p, m, a) = (props.session.clone(), sub_plug.clone(), mask.clone(), subscribe.clone());
        Callback::from(move |e: SubmitEvent| {
            e.prevent_default();
            let (s, p, m) = (s.clone(), (*p).clone(), (*m).clone());
            a.run("mask", async move {
                s.subscribe(&p, &m).await?;
                Ok(String::new())
            });
        })
    };
    let set = |h: &UseStateHandle<String>| {
        let h = h.clone();
        Callback::from(move |v| h.set(v))
    };
    html! {
        <>
            <form class="card" onsubmit={onpublish} aria-label="Publish data" oninput={publish.on_edit()} onchange={publish.on_edit()}>
                <h3>{ "Publish data" }</h3>
                <div class="grid">
                    <Field id="cp-channel" label="Channel" value={(*channel).clone()} oninput={set(&channel)} error={publish.error("channel")} />
                    <Field id="cp-at" label="at (epoch ms, optional)" value={(*at).clone()} oninput={set(&at)} error={publish.error("at")} />
                </div>
                <Field id="cp-data" label="data (JSON)" rows={2} value={(*data).clone()} oninput={set(&data)} error={publish.error("data")} />
                <div class="actions">
                    <button type="submit" disabled={publish.busy()}>{ "Publish" }</button>
                    if let Some(e) = publish.error("publish") { <p class="field-error" role="alert">{ e }</p> }
                    if let Some(m) = publish.message() { <p class="ok" role="status">{ m }</p> }
                </div>
            </form>
            <section class="card" aria-label="Subscriptions and records">
                <h3>{ "Subscriptions" }</h3>
                <form class="row" onsubmit={onsubscribe}>
                    <Field id="cp-sub-plug" label="Plug-ID (+ for any)" value={(*sub_plug).clone()} oninput={set(&sub_plug)} />
                    <Field id="cp-mask" label="Channel mask (+ and # allowed)" value={(*mask).clone()} oninput={set(&mask)} error={subscribe.error("mask")} />
                    <button type="submit" disabled={subscribe.busy()}>{ "Subscribe" }</button>
                </form>
                <ul class="subs">{ for props.subscriptions.iter().map(|f| {
                    let onunsubscribe = {
                        let (s, f, a) = (props.session.clone(), f.clone(), subscribe.clone());
                        Callback::from(move |_| {
                            let (s, f) = (s.clone(), f.clone());
                            a.run("unsubscribe", async move {
                                s.unsubscribe(&f).await?;
                                Ok(format!("unsubscribed from {f}"))
                            });
                        })
                    };
                    html! { <li><code>{ f.clone() }</code>{ " " }
                        <button type="button" class="link" onclick={onunsubscribe} aria-label={format!("Unsubscribe {f}")}>{ "Unsubscribe" }</button></li> }
                }) }</ul>
                if let Some(e) = subscribe.error("unsubscribe") { <p class="field-error" role="alert">{ e }</p> }
                <div class="table-wrap">
                    <table class="data" aria-label="Records">
                        <thead><tr><th>{ "Received" }</th><th>{ "Plug-ID" }</th><th>{ "Channel" }</th><th>{ "at" }</th><th>{ "Data" }</th></tr></thead>
                        <tbody>
                            { for props.records.iter().map(|r| match &r.record {
                                Ok(d) => html! { <tr key={r.seq}><td class="time">{ clock(r.received) }</td><td class="mono">{ &d.plug_id }</td>
                                    <td>{ &d.channel }</td><td>{ d.at.map_or("-".into(), |a| a.to_string()) }</td><td class="payload">{ d.data.to_string() }</td></tr> },
                                Err(e) => html! { <tr key={r.seq} class="failed"><td class="time">{ clock(r.received) }</td><td colspan="4" class="field-error">{ e.clone() }</td></tr> },
                            }) }
                        </tbody>
                    </table>
                    if props.records.is_empty() { <p class="empty">{ "No records yet: subscribe, then publish." }</p> }
                </div>
            </section>
        </>
    }
}
