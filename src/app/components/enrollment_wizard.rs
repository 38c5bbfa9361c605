//! CloudPlugs enrollment wizard: thing or controller, production model, enrollment pass and HWID;
//! the credentials it returns are shown once and become a profile in one click, their secret
//! remembered only when the user asks.

use std::cell::RefCell;
use std::rc::Rc;

use yew::prelude::*;

use crate::app::components::{CheckField, Field, GeneratedCredentials};
use crate::app::hooks::{use_action, use_app};
use crate::app::services::cloudplugs::enroll;
use crate::app::services::profiles::new_id;
use crate::app::state::{Action, Profile, ProfileKind};
use crate::platforms::cloudplugs::Credentials;

#[derive(Properties, PartialEq)]
pub struct EnrollmentWizardProps {
    pub url: AttrValue,
}

#[component]
pub fn EnrollmentWizard(props: &EnrollmentWizardProps) -> Html {
    let app = use_app();
    let model = use_state(|| "DEMO-MODEL".to_string());
    let pass = use_state(|| "demo-pass".to_string());
    let hwid = use_state(|| format!("BROWSER-{}", (js_sys::Math::random() * 1e6) as u32));
    let name = use_state(|| "Browser thing".to_string());
    let controller = use_state(|| false);
    let thing = use_state(|| "DEMO-HWID-1".to_string());
    let result: Rc<RefCell<Option<Credentials>>> = use_mut_ref(|| None);
    // Saved: `Some(remembered)`.
    let added = use_state(|| None::<bool>);
    let remember = use_state(|| false);
    let action = use_action();
    let onsubmit = {
        let (url, model, pass, hwid, name, controller, thing, result, a, added) = (
            props.url.clone(),
            model.clone(),
            pass.clone(),
            hwid.clone(),
            name.clone(),
            controller.clone(),
            thing.clone(),
            result.clone(),
            action.clone(),
            added.clone(),
        );
        Callback::from(move |e: SubmitEvent| {
            e.prevent_default();
            let (url, m, p, h, n) =
                (url.to_string(), (*model).clone(), (*pass).clone(), (*hwid).clone(), (*name).clone());
            let t = controller.then(|| (*thing).clone());
            let result = result.clone();
            added.set(None);
            a.run("enroll", async move {
                let c = enroll(&url, &m, &p, &h, &n, t.as_deref()).await?;
                let text = format!("enrolled as {} (auth {})", c.plug_id, c.auth);
                *result.borrow_mut() = Some(c);
                Ok(text)
            });
        })
    };
    let onprofile = {
        let (app, url, result, hwid, name, added, remember) = (
            app.clone(),
            props.url.clone(),
            result.clone(),
            hwid.clone(),
            name.clone(),
            added.clone(),
            remember.clone(),
        );
        Callback::from(move |_| {
            if let Some(c) = result.borrow().as_ref() {
                let profile = Profile {
                    id: new_id(ProfileKind::CloudPlugs),
                    name: format!("{} ({})", name.trim(), c.plug_id),
                    kind: ProfileKind::CloudPlugs,
                    url: url.to_string(),
                    username: c.plug_id.clone(),
                    secret: c.auth.clone(),
                    client_id: hwid.trim().to_owned(),
                    keepalive_secs: 240,
                    remember_secret: *remember,
                    ..Default::default()
                };
                app.dispatch(Action::Save(profile.clone()));
                app.dispatch(Action::Select { kind: ProfileKind::CloudPlugs, id: profile.id });
                added.set(Some(*remember));
            }
        })
    };
    let set = |h: &UseStateHandle<String>| {
        let h = h.clone();
        Callback::from(move |v| h.set(v))
    };
    let credentials = result.borrow().clone();
    let have = credentials.is_some();
    html! {
        <form class="card" {onsubmit} aria-label="Enrollment">
            <h3>{ "Enroll a device" }</h3>
            <ol class="steps">
                <li class={classes!((!have).then_some("current"))}>{ "Model, pass and HWID" }</li>
                <li class={classes!(action.busy().then_some("current"))}>{ "Enroll" }</li>
                <li class={classes!(have.then_some("current"))}>{ "Use the credentials" }</li>
            </ol>
            <div class="grid">
                <Field id="cp-model" label="Production model" value={(*model).clone()} oninput={set(&model)} />
                <Field id="cp-pass" label="Enrollment pass" input_type="password" value={(*pass).clone()} oninput={set(&pass)} />
                <Field id="cp-hwid" label="Hardware id (HWID)" value={(*hwid).clone()} oninput={set(&hwid)} />
                <Field id="cp-name" label="Name (optional)" value={(*name).clone()} oninput={set(&name)} />
                <CheckField id="cp-controller" label="Enroll as a controller of a thing" checked={*controller}
                    onchange={Callback::from({ let c = controller.clone(); move |v| c.set(v) })} />
                if *controller { <Field id="cp-thing" label="The thing's HWID" value={(*thing).clone()} oninput={set(&thing)} /> }
            </div>
            <div class="actions">
                <button type="submit" disabled={action.busy()}>{ if action.busy() { "Enrolling…" } else { "Enroll" } }</button>
                if let Some(e) = action.error("enroll") { <p class="field-error" role="alert">{ e }</p> }
                if let Some(m) = action.message() { <p class="ok" role="status">{ m }</p> }
            </div>
            if let Some(c) = &credentials {
                <GeneratedCredentials rows={vec![("Plug id", c.plug_id.clone()), ("Auth", c.auth.clone())]} secret={c.auth.clone()}
                    id="cp" remember={*remember} onremember={Callback::from({ let r = remember.clone(); move |v| r.set(v) })}
                    saved={*added} />
            }
            <div class="actions">
                if have && added.is_none() { <button type="button" class="secondary" onclick={onprofile}>{ "Save as profile and select it" }</button> }
                if added.is_some() { <p class="ok" role="status">{ "Profile saved and selected: press Connect above." }</p> }
            </div>
        </form>
    }
}
