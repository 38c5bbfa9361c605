//! MQTT 5 enhanced authentication in the connection bar (§4.12): the broker's challenge with a
//! field to answer it, and on a connection that authenticated, a re-authentication.

use yew::prelude::*;

use crate::app::components::Field;
use crate::app::hooks::{use_action, use_app};
use crate::app::state::{Action, AuthPrompt, LinkStatus, ProfileKind};

#[derive(Properties, PartialEq)]
pub struct AuthenticationPanelProps {
    pub kind: ProfileKind,
    pub status: LinkStatus,
}

#[component]
pub fn AuthenticationPanel(props: &AuthenticationPanelProps) -> Html {
    let app = use_app();
    let answer = use_state(String::new);
    let data = use_state(String::new);
    let action = use_action();
    let kind = props.kind;
    let bytes = |s: &str| Some(s.as_bytes().to_vec()).filter(|b| !b.is_empty());
    let set = |h: &UseStateHandle<String>| {
        let h = h.clone();
        Callback::from(move |v| h.set(v))
    };
    // After an answer the page shows the client's own state again (connecting, or still
    // connected in a re-authentication) until the next challenge or the CONNACK.
    let respond = |prompt: &AuthPrompt, refuse: bool| {
        let (app, prompt, answer) = (app.clone(), prompt.clone(), answer.clone());
        move || {
            prompt.answer(match refuse {
                true => Err("refused by the user".into()),
                false => Ok(bytes(&answer)),
            });
            answer.set(String::new());
            let status = app.live(kind).map_or(LinkStatus::Connecting, |l| l.status());
            app.dispatch(Action::Status { kind, status });
        }
    };
    match &props.status {
        LinkStatus::Challenged(prompt) => {
            let onsubmit = {
                let send = respond(prompt, false);
                Callback::from(move |e: SubmitEvent| {
                    e.prevent_default();
                    send();
                })
            };
            let onrefuse = {
                let refuse = respond(prompt, true);
                Callback::from(move |_: MouseEvent| refuse())
            };
            html! {
                <form class="row auth-challenge" aria-label="Authentication challenge" {onsubmit}>
                    <p class="hint" data-testid="auth-challenge">{ format!("The broker's challenge: {:?}", prompt.data) }</p>
                    <Field id="auth-answer" label="Answer" value={(*answer).clone()} oninput={set(&answer)} />
                    <button type="submit">{ "Answer" }</button>
                    <button type="button" class="secondary" onclick={onrefuse}>{ "Refuse" }</button>
                </form>
            }
        }
        LinkStatus::Connected => {
            let onsubmit = {
                let (app, data, action) = (app.clone(), data.clone(), action.clone());
                Callback::from(move |e: SubmitEvent| {
                    e.prevent_default();
                    let Some(client) = app.live(kind).and_then(|l| l.client()) else { return };
                    let first = bytes(&data);
                    action.run("reauthenticate", async move {
                        client.reauthenticate(first).await?;
                        Ok("re-authenticated".into())
                    });
                })
            };
            html! {
                <form class="row auth-again" aria-label="Re-authenticate" {onsubmit}>
                    <Field id="reauth-data" label="Re-authentication data" value={(*data).clone()} oninput={set(&data)} />
                    <button type="submit" class="secondary" disabled={action.busy()}>{ "Re-authenticate" }</button>
                    if let Some(e) = action.error("reauthenticate") { <p class="field-error" role="alert">{ e }</p> }
                    if let Some(m) = action.message() { <p class="ok" role="status">{ m }</p> }
                </form>
            }
        }
        _ => html! {},
    }
}
