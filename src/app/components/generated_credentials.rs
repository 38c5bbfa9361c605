//! Credentials a server generated (ThingsBoard provisioning, CloudPlugs enrollment), shown once
//! with a button that copies the secret, and the choice to remember the secret in this browser when
//! the profile is saved (issue 22, point 1). What was saved is said plainly afterwards.

use yew::prelude::*;

use crate::app::components::CheckField;
use crate::app::services::clipboard::copy_text;

#[derive(Properties, PartialEq)]
pub struct GeneratedCredentialsProps {
    /// Labelled values, the secret among them.
    pub rows: Vec<(&'static str, String)>,
    /// What "Copy secret" copies.
    pub secret: AttrValue,
    /// Prefix of the remember checkbox's id (`{id}-remember`).
    pub id: AttrValue,
    pub remember: bool,
    pub onremember: Callback<bool>,
    /// The profile is saved: `Some(remembered)`, and the checkbox gives way to what happened.
    pub saved: Option<bool>,
}

#[component]
pub fn GeneratedCredentials(props: &GeneratedCredentialsProps) -> Html {
    let copied = use_state(|| None::<bool>);
    let oncopy = {
        let (copied, secret) = (copied.clone(), props.secret.to_string());
        Callback::from(move |_| {
            let (copied, secret) = (copied.clone(), secret.clone());
            wasm_bindgen_futures::spawn_local(async move { copied.set(Some(copy_text(&secret).await)) });
        })
    };
    html! {
        <section class="credentials" aria-label="Generated credentials">
            <p>{ "The server's credentials for this device. This page shows them once: copy the secret now." }</p>
            <dl class="facts">{ for props.rows.iter().map(|(k, v)| html! { <><dt>{ *k }</dt><dd><code>{ v }</code></dd></> }) }</dl>
            <div class="actions">
                if !props.secret.is_empty() { <button type="button" class="secondary" onclick={oncopy}>{ "Copy secret" }</button> }
                { match *copied {
                    Some(true) => html! { <span class="ok" role="status">{ "Copied." }</span> },
                    Some(false) => html! { <span class="field-error" role="alert">{ "This browser refused the clipboard: select the secret and copy it." }</span> },
                    None => html! {},
                } }
            </div>
            { match props.saved {
                None => html! {
                    <CheckField id={format!("{}-remember", props.id)} label="Remember the secret in this browser (otherwise it is kept until this page closes)"
                        checked={props.remember} onchange={props.onremember.clone()} />
                },
                Some(true) => html! { <p class="ok" role="status" data-testid="saved-secret">{ "Saved with its secret: the profile connects after a reload too." }</p> },
                Some(false) => html! { <p class="ok" role="status" data-testid="saved-secret">{
                    "Saved without its secret: it connects until this page closes; after a reload, paste the copied secret into the profile."
                }</p> },
            } }
        </section>
    }
}
