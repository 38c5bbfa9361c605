//! RPC console: reply rules per method (fixed JSON, echo, or manual with a countdown), the log of
//! server RPCs and their replies, and client-side calls with their result or timeout.

use crate::json::Value;
use yew::prelude::*;

use crate::app::components::{Field, SelectField};
use crate::app::error::AppError;
use crate::app::hooks::{now_ms, use_action, use_tick};
use crate::app::services::payload::clock;
use crate::app::services::thingsboard::{ManualReply, ReplyMode, ReplyRule, RpcDirection, RpcEntry, TbSession};

#[derive(Properties, PartialEq)]
pub struct RpcConsoleProps {
    pub session: TbSession,
    pub rules: Vec<ReplyRule>,
    pub log: Vec<RpcEntry>,
    pub manual: Vec<ManualReply>,
}

fn mode_text(mode: &ReplyMode) -> String {
    match mode {
        ReplyMode::Fixed(v) => format!("fixed {v}"),
        ReplyMode::Echo => "echo the params".into(),
        ReplyMode::Manual { timeout_secs } => format!("manual, {timeout_secs} s to answer"),
    }
}

#[component]
pub fn RpcConsole(props: &RpcConsoleProps) -> Html {
    use_tick(500, !props.manual.is_empty());
    let method = use_state(|| "setValue".to_string());
    let mode = use_state(|| "fixed".to_string());
    let fixed = use_state(|| "{\"ok\": true}".to_string());
    let manual_secs = use_state(|| "30".to_string());
    let call_method = use_state(|| "getTime".to_string());
    let call_params = use_state(|| "{}".to_string());
    let manual_text = use_state(|| "{\"done\": true}".to_string());
    let rule_action = use_action();
    let call_action = use_action();
    let manual_action = use_action();

    let onrule = {
        let (s, method, mode, fixed, manual_secs, a) = (
            props.session.clone(),
            method.clone(),
            mode.clone(),
            fixed.clone(),
            manual_secs.clone(),
            rule_action.clone(),
        );
        Callback::from(move |e: SubmitEvent| {
            e.prevent_default();
            let name = method.trim().to_owned();
            if name.is_empty() {
                return a.fail(AppError::input("rule_method", "enter the RPC method this rule answers"), "rule_method");
            }
            let m = match mode.as_str() {
                "echo" => ReplyMode::Echo,
                "manual" => match manual_secs.trim().parse::<u32>() {
                    Ok(secs) if (1..=600).contains(&secs) => ReplyMode::Manual { timeout_secs: secs },
                    _ => {
                        return a
                            .fail(AppError::input("rule_timeout", "answer within 1 to 600 seconds"), "rule_timeout")
                    }
                },
                _ => match serde_json::from_str::<Value>(&fixed) {
                    Ok(v) => ReplyMode::Fixed(v),
                    Err(e) => {
                        return a
                            .fail(AppError::input("rule_fixed", format!("the reply must be JSON: {e}")), "rule_fixed")
                    }
                },
            };
            s.set_rule(ReplyRule { method: name, mode: m });
            a.reset();
        })
    };
    let oncall = {
        let (s, m, p, a) = (props.session.clone(), call_method.clone(), call_params.clone(), call_action.clone());
        Callback::from(move |e: SubmitEvent| {
            e.prevent_default();
            let params = match serde_json::from_str::<Value>(&p) {
                Ok(v) => v,
                Err(e) => {
                    return a.fail(AppError::input("call_params", format!("params must be JSON: {e}")), "call_params")
                }
            };
            let (s, m) = (s.clone(), m.trim().to_owned());
            a.run("call", async move {
                let v = s.call(&m, params).await?;
                Ok(format!("{m} returned {v}"))
            });
        })
    };
    let set = |h: &UseStateHandle<String>| {
        let h = h.clone();
        Callback::from(move |v| h.set(v))
    };
    let modes: Vec<(AttrValue, AttrValue)> =
        vec![("fixed".into(), "fixed JSON".into()), ("echo".into(), "echo".into()), ("manual".into(), "manual".into())];
    html! {
        <section class="card" aria-label="RPC console">
            <h3>{ "RPC" }</h3>
            <form class="row" onsubmit={onrule} aria-label="Reply rule">
                <Field id="rule-method" label="Method" value={(*method).clone()} oninput={set(&method)} error={rule_action.error("rule_method")} />
                <SelectField id="rule-mode" label="Reply" value={(*mode).clone()} options={modes} onchange={set(&mode)} />
                if *mode == "fixed" {
                    <Field id="rule-fixed" label="Reply JSON" value={(*fixed).clone()} oninput={set(&fixed)} error={rule_action.error("rule_fixed")} />
                }
                if *mode == "manual" {
                    <Field id="rule-timeout" label="Seconds to answer" input_type="number" value={(*manual_secs).clone()}
                        oninput={set(&manual_secs)} error={rule_action.error("rule_timeout")} />
                }
                <button type="submit">{ "Add rule" }</button>
            </form>
            <ul class="rules">
                { for props.rules.iter().map(|r| {
                    let onremove = { let (s, m) = (props.session.clone(), r.method.clone()); Callback::from(move |_| s.remove_rule(&m)) };
                    html! { <li><code>{ &r.method }</code><span>{ mode_text(&r.mode) }</span>
                        <button class="secondary small" onclick={onremove} aria-label={format!("Remove rule {}", r.method)}>{ "Remove" }</button></li> }
                }) }
                if props.rules.is_empty() {
                    <li class="hint">{ if props.session.device.client().is_none() {
                        "No rules here: a tab sharing this connection with a rule answers, or server RPCs get {\"error\": \"unknown method\"}."
                    } else {
                        "No rules: server RPCs get {\"error\": \"unknown method\"}."
                    } }</li>
                }
            </ul>
            { for props.manual.iter().map(|m| {
                let left = ((m.deadline - now_ms()) / 1000.0).max(0.0).ceil();
                let onreply = {
                    let (s, id, text, a) = (props.session.clone(), m.id, manual_text.clone(), manual_action.clone());
                    Callback::from(move |e: SubmitEvent| {
                        e.prevent_default();
                        match s.reply_manual(id, &text) { Ok(()) => a.reset(), Err(e) => a.fail(e, "manual_reply") }
                    })
                };
                html! {
                    <form class="manual row" onsubmit={onreply} aria-label={format!("Reply to RPC {}", m.id)}>
                        <span><strong>{ &m.method }</strong>{ format!(" #{} params {}", m.id, m.params) }</span>
                        <span class="countdown" role="timer">{ format!("{left} s left") }</span>
                        <Field id={format!("manual-reply-{}", m.id)} label="Reply JSON" value={(*manual_text).clone()} oninput={set(&manual_text)}
                            error={manual_action.error("manual_reply")} />
                        <button type="submit">{ "Send reply" }</button>
                    </form>
                }
            }) }
            <form class="row" onsubmit={oncall} aria-label="Client-side RPC" oninput={call_action.on_edit()} onchange={call_action.on_edit()}>
                <Field id="call-method" label="Call method (client-side)" value={(*call_method).clone()} oninput={set(&call_method)}
                    error={call_action.error("call_method")} />
                <Field id="call-params" label="Params JSON" value={(*call_params).clone()} oninput={set(&call_params)}
                    error={call_action.error("call_params")} />
                <button type="submit" class="secondary" disabled={call_action.busy()}>{ if call_action.busy() { "Calling…" } else { "Call" } }</button>
            </form>
            if let Some(e) = call_action.error("call") { <p class="field-error" role="alert">{ e }</p> }
            if let Some(m) = call_action.message() { <p class="ok" role="status">{ m }</p> }
            <div class="table-wrap">
                <table class="data" aria-label="RPC log">
                    <thead><tr><th>{ "Time" }</th><th>{ "Way" }</th><th>{ "Method" }</th><th>{ "Params" }</th><th>{ "Outcome" }</th></tr></thead>
                    <tbody>
                        { for props.log.iter().map(|e| {
                            let way = match e.direction { RpcDirection::Incoming { id } => format!("server #{id}"), RpcDirection::Outgoing => "client call".into() };
                            let (class, outcome) = match &e.outcome {
                                None => ("pending", "waiting…".to_string()),
                                Some(Ok(t)) => ("ok", t.clone()),
                                Some(Err(t)) => ("failed", t.clone()),
                            };
                            html! { <tr key={e.seq} class={class}><td class="time">{ clock(e.at) }</td><td>{ way }</td><td><code>{ &e.method }</code></td>
                                <td class="payload">{ &e.params }</td><td class="payload outcome">{ outcome }</td></tr> }
                        }) }
                    </tbody>
                </table>
                if props.log.is_empty() { <p class="empty">{ "No RPCs yet." }</p> }
            </div>
        </section>
    }
}
