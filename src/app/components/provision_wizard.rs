//! Provisioning wizard: key and secret of a device profile, a device name, then the returned
//! credentials, shown once with a copy button, which become a new connection profile in one click,
//! with their secret remembered in this browser only when the user asks (issue 22, point 1).

use std::cell::RefCell;
use std::rc::Rc;

use yew::prelude::*;

use crate::app::components::{Field, GeneratedCredentials, SelectField};
use crate::app::hooks::{use_action, use_app};
use crate::app::services::provisioning::{profile_for, provision_device, RequestedCredentials};
use crate::app::state::{Action, Profile, ProfileKind};
use crate::platforms::thingsboard::ProvisionedCredentials;

#[derive(Properties, PartialEq)]
pub struct ProvisionWizardProps {
    /// The ThingsBoard URL to provision against.
    pub url: AttrValue,
}

fn describe(c: &ProvisionedCredentials) -> String {
    match c {
        ProvisionedCredentials::AccessToken { token } => format!("access token {token}"),
        ProvisionedCredentials::MqttBasic { client_id, username, .. } => format!(
            "MQTT basic: client id {}, user {}",
            client_id.as_deref().unwrap_or("-"),
            username.as_deref().unwrap_or("-")
        ),
        ProvisionedCredentials::X509Certificate { .. } => "an X.509 certificate (not usable from a browser)".into(),
    }
}

/// The credentials as labelled rows, secrets included: shown once, right after provisioning.
fn rows_of(c: &ProvisionedCredentials) -> Vec<(&'static str, String)> {
    let or_dash = |v: &Option<String>| v.clone().unwrap_or_else(|| "-".into());
    match c {
        ProvisionedCredentials::AccessToken { token } => vec![("Access token", token.clone())],
        ProvisionedCredentials::MqttBasic { client_id, username, password } => {
            vec![("Client id", or_dash(client_id)), ("User name", or_dash(username)), ("Password", or_dash(password))]
        }
        ProvisionedCredentials::X509Certificate { .. } => Vec::new(),
    }
}

/// What "Copy secret" copies: the token, or the password.
fn secret_of(c: &ProvisionedCredentials) -> Option<String> {
    match c {
        ProvisionedCredentials::AccessToken { token } => Some(token.clone()),
        ProvisionedCredentials::MqttBasic { password, .. } => password.clone(),
        ProvisionedCredentials::X509Certificate { .. } => None,
    }
}

#[component]
pub fn ProvisionWizard(props: &ProvisionWizardProps) -> Html {
    let app = use_app();
    let name = use_state(|| format!("Browser device {}", (js_sys::Math::random() * 9000.0) as u32 + 1000));
    let key = use_state(|| "demo-provision-key".to_string());
    let secret = use_state(|| "demo-provision-secret".to_string());
    let kind = use_state(|| "token".to_string());
    let token = use_state(String::new);
    let client_id = use_state(String::new);
    let username = use_state(String::new);
    let password = use_state(String::new);
    let result: Rc<RefCell<Option<(String, ProvisionedCredentials)>>> = use_mut_ref(|| None);
    let action = use_action();
    // The profile made from the credentials, once saved, and whether its secret is remembered.
    let added = use_state(|| None::<Profile>);
    let remember = use_state(|| false);
    let onsubmit = {
        let (url, name, key, secret, a, result, added) = (
            props.url.clone(),
            name.clone(),
            key.clone(),
            secret.clone(),
            action.clone(),
            result.clone(),
            added.clone(),
        );
        let (kind, token, client_id, username, password) =
            (kind.clone(), token.clone(), client_id.clone(), username.clone(), password.clone());
        Callback::from(move |e: SubmitEvent| {
            e.prevent_default();
            let (url, n, k, s, result) =
                (url.to_string(), (*name).clone(), (*key).clone(), (*secret).clone(), result.clone());
            let requested = if *kind == "basic" {
                RequestedCredentials::MqttBasic {
                    client_id: (*client_id).clone(),
                    username: (*username).clone(),
                    password: (*password).clone(),
                }
            } else {
                RequestedCredentials::AccessToken((*token).clone())
            };
            added.set(None);
            result.borrow_mut().take();
            a.run("provision", async move {
                let credentials = provision_device(&url, &n, &k, &s, requested).await?;
                let text = describe(&credentials);
                *result.borrow_mut() = Some((n, credentials));
                Ok(format!("provisioned: {text}"))
            });
        })
    };
    let onprofile = {
        let (app, url, result, added, remember) =
            (app.clone(), props.url.clone(), result.clone(), added.clone(), remember.clone());
        Callback::from(move |_| {
            if let Some((n, c)) = result.borrow().as_ref() {
                if let Some(mut p) = profile_for(&url, n, c) {
                    p.remember_secret = *remember;
                    app.dispatch(Action::Save(p.clone()));
                    added.set(Some(p));
                }
            }
        })
    };
    let credentials = result.borrow().as_ref().map(|(_, c)| c.clone());
    let set = |h: &UseStateHandle<String>| {
        let h = h.clone();
        Callback::from(move |v| h.set(v))
    };
    // While the page is connected, its profile list is locked: the new profile connects from here.
    let live = app.live(ProfileKind::ThingsBoardDevice).is_some();
    let have =
        result.borrow().as_ref().is_some_and(|(_, c)| !matches!(c, ProvisionedCredentials::X509Certificate { .. }));
    html! {
        <form class="card" {onsubmit} aria-label="Provisioning">
            <h3>{ "Provision a new device" }</h3>
            <ol class="steps">
                <li class={classes!((!have).then_some("current"))}>{ "Device profile key and secret" }</li>
                <li class={classes!(action.busy().then_some("current"))}>{ "Request" }</li>
                <li class={classes!(have.then_some("current"))}>{ "Credentials" }</li>
            </ol>
            <div class="grid">
                <Field id="prov-name" label="Device name" value={(*name).clone()} oninput={set(&name)} />
                <Field id="prov-key" label="Provision device key" value={(*key).clone()} oninput={set(&key)} error={action.error("prov_key")} />
                <Field id="prov-secret" label="Provision device secret" input_type="password" value={(*secret).clone()} oninput={set(&secret)}
                    error={action.error("prov_secret")} />
                <SelectField id="prov-credentials" label="Credentials" value={(*kind).clone()} onchange={set(&kind)}
                    options={vec![("token".into(), "access token".into()), ("basic".into(), "MQTT basic (client id, user name, password)".into())]} />
                if *kind == "basic" {
                    <Field id="prov-client-id" label="Client id" value={(*client_id).clone()} oninput={set(&client_id)} />
                    <Field id="prov-username" label="User name" value={(*username).clone()} oninput={set(&username)}
                        error={action.error("prov_username")} />
                    <Field id="prov-password" label="Password" input_type="password" value={(*password).clone()} oninput={set(&password)} />
                } else {
                    <Field id="prov-token" label="Access token to use (empty: ThingsBoard generates one)" value={(*token).clone()} oninput={set(&token)} />
                }
            </div>
            <div class="actions">
                <button type="submit" disabled={action.busy()}>{ if action.busy() { "Provisioning…" } else { "Provision" } }</button>
                if let Some(e) = action.error("provision") { <p class="field-error" role="alert">{ e }</p> }
                if let Some(m) = action.message() { <p class="ok" role="status">{ m }</p> }
            </div>
            if let (true, Some(c)) = (have, &credentials) {
                <GeneratedCredentials rows={rows_of(c)} secret={secret_of(c).unwrap_or_default()} id="prov"
                    remember={*remember} onremember={Callback::from({ let r = remember.clone(); move |v| r.set(v) })}
                    saved={added.as_ref().map(|p| p.remember_secret)} />
            }
            <div class="actions">
                if have && added.is_none() { <button type="button" class="secondary" onclick={onprofile}>{ "Save as new profile" }</button> }
                if let Some(p) = (*added).clone() {
                    <p class="ok" role="status">{ if live {
                        "Profile added. \"Connect with it\" replaces this page's connection."
                    } else {
                        "Profile added: connect with it, or pick it in the profile list above."
                    } }</p>
                    <button type="button" class="secondary" onclick={
                        let app = app.clone();
                        Callback::from(move |_| app.connect(p.clone(), Callback::noop()))
                    }>{ "Connect with it" }</button>
                }
            </div>
        </form>
    }
}
