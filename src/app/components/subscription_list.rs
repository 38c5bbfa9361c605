//! The generic page's subscriptions: add a filter with a QoS, pick each one's colour, see what
//! the broker granted, unsubscribe.

use web_sys::HtmlInputElement;
use yew::prelude::*;

use crate::app::components::{Field, SelectField};
use crate::app::hooks::use_action;
use crate::app::services::generic::{GenericSession, SubscriptionRow};
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
    let action = use_action();
    let onsubmit = {
        let (session, filter, qos, action) = (props.session.clone(), filter.clone(), qos.clone(), action.clone());
        Callback::from(move |e: SubmitEvent| {
            e.prevent_default();
            let (session, f) = (session.clone(), (*filter).clone());
            let q = QoS::try_from(qos.parse::<u8>().unwrap_or(0)).unwrap_or_default();
            action.run("filter", async move {
                session.subscribe(&f, q).await?;
                Ok(String::new())
            });
        })
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
                    html! {
                        <li>
                            <input type="color" value={r.color.clone()} onchange={oncolor} aria-label={format!("Colour for {}", r.filter)} />
                            <code>{ &r.filter }</code>
                            <span class={classes!("hint", matches!(r.granted, Some(Err(_))).then_some("field-error"))}>{ granted }</span>
                            <button class="secondary small" onclick={onremove} aria-label={format!("Unsubscribe {}", r.filter)}>{ "Unsubscribe" }</button>
                        </li>
                    }
                }) }
            </ul>
        </section>
    }
}
