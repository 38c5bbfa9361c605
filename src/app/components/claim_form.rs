//! Claim form: the secret key and duration a user then enters in ThingsBoard to claim the device.

use yew::prelude::*;

use crate::app::components::Field;
use crate::app::error::AppError;
use crate::app::hooks::use_action;
use crate::app::services::thingsboard::TbSession;

#[derive(Properties, PartialEq)]
pub struct ClaimFormProps {
    pub session: TbSession,
}

#[component]
pub fn ClaimForm(props: &ClaimFormProps) -> Html {
    let secret = use_state(|| "claim-secret".to_string());
    let duration = use_state(|| "60000".to_string());
    let action = use_action();
    let onsubmit = {
        let (s, secret, duration, a) = (props.session.clone(), secret.clone(), duration.clone(), action.clone());
        Callback::from(move |e: SubmitEvent| {
            e.prevent_default();
            let d = duration.trim();
            let ms = if d.is_empty() {
                None
            } else {
                match d.parse::<u64>() {
                    Ok(ms) if ms > 0 => Some(ms),
                    _ => {
                        return a.fail(
                            AppError::input("claim_duration", "the duration is a number of milliseconds"),
                            "claim_duration",
                        )
                    }
                }
            };
            let (s, key) = (s.clone(), Some(secret.trim().to_owned()).filter(|k| !k.is_empty()));
            a.run("claim", async move {
                s.claim(key.as_deref(), ms).await?;
                Ok("claim started: enter the secret key in ThingsBoard within the duration".into())
            });
        })
    };
    let set = |h: &UseStateHandle<String>| {
        let h = h.clone();
        Callback::from(move |v| h.set(v))
    };
    html! {
        <form class="card" {onsubmit} aria-label="Claim device" oninput={action.on_edit()} onchange={action.on_edit()}>
            <h3>{ "Claim" }</h3>
            <div class="row">
                <Field id="claim-secret" label="Secret key (optional)" value={(*secret).clone()} oninput={set(&secret)} />
                <Field id="claim-duration" label="Duration (ms, empty: one day)" value={(*duration).clone()} oninput={set(&duration)}
                    error={action.error("claim_duration")} />
                <button type="submit" disabled={action.busy()}>{ "Start claiming" }</button>
            </div>
            if let Some(e) = action.error("claim") { <p class="field-error" role="alert">{ e }</p> }
            if let Some(m) = action.message() { <p class="ok" role="status">{ m }</p> }
        </form>
    }
}
