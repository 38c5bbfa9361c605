//! The generic page's subscriptions: add a filter with a QoS (and on an MQTT 5 connection No
//! Local, Retain As Published, Retain Handling and a Subscription Identifier), pick each one's
//! colour, see what the broker granted, unsubscribe.

use web_sys::HtmlInputElement;
use yew::prelude::*;

use crate::app::components::{CheckField, Field, SelectField};
use crate::app::hooks::use_action;
use crate::app::services::generic::{GenericSession, SubscriptionRow};
use crate::app::services::subscription_options::{summary, OptionFields};
use crate::QoS;

#[derive(Properties, PartialEq)]
pub struct SubscriptionListProps {
    pub session: GenericSession,
    pub rows: Vec<SubscriptionRow>,
}

#[component]
pub fn SubscriptionList(props: &SubscriptionListProps) -> Html {
    let filter = use_state(|| "#".to_string());
    let qos = use_state(|| "1".to_string());
    let no_local = use_state(|| false);
    let as_published = use_state(|| false);
    let retain_handling = use_state(|| "0".to_string());
    let identifier = use_state(String::new);
    let v5 = props.session.v5_subscription_options();
    let action = use_action();
    let onsubmit = {
        let (session, filter, qos, action) = (props.session.clone(), filter.clone(), qos.clone(), action.clone());
        let fields = (no_local.clone(), as_published.clone(), retain_handling.clone(), identifier.clone());
        Callback::from(move |e: SubmitEvent| {
            e.prevent_default();
            let (session, f) = (session.clone(), (*filter).clone());
            let q = QoS::try_from(qos.parse::<u8>().unwrap_or(0)).unwrap_or_default();
            let (no_local, retain_as_published, retain_handling, identifier) = &fields;
            let read = match v5 {
                true => OptionFields {
                    no_local: **no_local,
                    retain_as_published: **retain_as_published,
                    retain_handling,
                    identifier,
                }
                .read(q),
                false => Ok((crate::SubscribeOptions::qos(q), None)),
            };
            action.run("filter", async move {
                let (options, identifier) = read?;
                session.subscribe(&f, options, identifier).await?;
                Ok(String::new())
            });
        })
    };
    let set = |h: &UseStateHandle<String>| {
        let h = h.clone();
        Callback::from(move |v| h.set(v))
    };
    let toggle = |h: &UseStateHandle<bool>| {
        let h = h.clone();
        Callback::from(move |v| h.set(v))
    };
    html! {
        <section class="card" aria-label="Subscriptions">
            <h3>{ "Subscriptions" }</h3>
            <form class="row" {onsubmit}>
                <Field id="sub-filter" label="Topic filter" value={(*filter).clone()} oninput={Callback::from({ let f = filter.clone(); move |v| f.set(v) })}
                    error={action.error("filter")} />
                <SelectField id="sub-qos" label="QoS" value={(*qos).clone()}
                    options={vec![("0".into(), "0".into()), ("1".into(), "1".into()), ("2".into(), "2".into())]}
                    onchange={Callback::from({ let q = qos.clone(); move |v| q.set(v) })} />
                <button type="submit" disabled={action.busy()}>{ "Subscribe" }</button>
                if v5 {
                    <details class="mqtt5 sub-options">
                        <summary>{ "MQTT 5 options" }</summary>
                        <div class="grid">
                            <CheckField id="sub-no-local" label="No Local (not my own publishes)" checked={*no_local} onchange={toggle(&no_local)} />
                            <CheckField id="sub-as-published" label="Retain As Published" checked={*as_published} onchange={toggle(&as_published)} />
                            <SelectField id="sub-retain-handling" label="Retained messages" value={(*retain_handling).clone()}
                                options={vec![("0".into(), "at every subscribe".into()), ("1".into(), "if the subscription is new".into()),
                                    ("2".into(), "never".into())]} onchange={set(&retain_handling)} />
                            <Field id="sub-identifier" label="Subscription identifier" value={(*identifier).clone()} oninput={set(&identifier)}
                                placeholder="1 to 268435455" error={action.error("subscriptionIdentifier")} />
                        </div>
                    </details>
                }
            </form>
            <ul class="subs">
                { for props.rows.iter().map(|r| {
                    let oncolor = {
                        let (s, f) = (props.session.clone(), r.filter.clone());
                        Callback::from(move |e: Event| s.set_color(&f, e.target_unchecked_into::<HtmlInputElement>().value()))
                    };
                    let onremove = {
                        let (s, f, action) = (props.session.clone(), r.filter.clone(), action.clone());
                        Callback::from(move |_| {
                            let (s, f) = (s.clone(), f.clone());
                            action.run("filter", async move { s.unsubscribe(&f).await?; Ok(String::new()) });
                        })
                    };
                    let granted = match &r.granted {
                        None => "subscribing…".to_string(),
                        Some(Ok(q)) => format!("granted QoS {q}"),
                        Some(Err(e)) => e.clone(),
                    };
                    let asked = summary(r.options, r.identifier);
                    html! {
                        <li>
                            <input type="color" value={r.color.clone()} onchange={oncolor} aria-label={format!("Colour for {}", r.filter)} />
                            <code>{ &r.filter }</code>
                            if !asked.is_empty() { <span class="hint sub-asked">{ asked }</span> }
                            <span class={classes!("hint", matches!(r.granted, Some(Err(_))).then_some("field-error"))}>{ granted }</span>
                            <button class="secondary small" onclick={onremove} aria-label={format!("Unsubscribe {}", r.filter)}>{ "Unsubscribe" }</button>
                        </li>
                    }
                }) }
            </ul>
        </section>
    }
}
