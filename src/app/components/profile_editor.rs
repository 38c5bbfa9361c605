//! The profile form: URL, credentials in the platform's terms, MQTT version, keepalive, will,
//! an MQTT 5 authentication method, and "remember secret" (otherwise the secret and the
//! authentication data live only until the page is closed).

use yew::prelude::*;

use crate::app::components::{BridgeHelp, CheckField, Field, SelectField};
use crate::app::state::{Profile, ProfileKind, WillSpec};
use crate::ProtocolVersion;

#[derive(Properties, PartialEq)]
pub struct ProfileEditorProps {
    pub profile: Profile,
    pub onsave: Callback<Profile>,
    pub ondelete: Callback<String>,
    pub onconnect: Callback<Profile>,
    #[prop_or_default]
    pub error: Option<(String, String)>,
}

fn validate(p: &Profile) -> Vec<(&'static str, String)> {
    let mut errors = Vec::new();
    if p.name.trim().is_empty() {
        errors.push(("name", "give the profile a name".to_string()));
    }
    let url = p.url.trim();
    if !(url.starts_with("ws://") || url.starts_with("wss://")) {
        errors.push((
            "url",
            "the URL must start with ws:// or wss:// (a bridge gives one for TCP-only platforms)".into(),
        ));
    }
    if p.keepalive_secs > 0 && p.kind == ProfileKind::CloudPlugs && p.keepalive_secs > 300 {
        errors.push(("keepalive", "CloudPlugs drops connections silent for 5 minutes: use 1 to 300 s".into()));
    }
    if p.kind == ProfileKind::ThingsStackApp && !p.username.contains('@') {
        errors.push(("username", "The Things Stack Cloud needs app-id@tenant (for example my-app@ttn)".into()));
    }
    if p.kind == ProfileKind::CloudPlugs && p.client_id.trim().is_empty() {
        errors.push(("client_id", "CloudPlugs needs the device's HWID as client id".into()));
    }
    let authenticates = p.kind == ProfileKind::Generic && p.version == ProtocolVersion::V5;
    if p.shared && authenticates && !p.auth_method.trim().is_empty() {
        let why = "a shared connection has no authenticator in the dashboard yet: empty the method, or untick Share";
        errors.push(("auth_method", why.into()));
    }
    errors
}

#[component]
pub fn ProfileEditor(props: &ProfileEditorProps) -> Html {
    let draft = use_state(|| props.profile.clone());
    // Delete asks once more, for the profile it was pressed on (issue 22: it removed at once).
    let confirming = use_state(|| false);
    {
        let (draft, confirming) = (draft.clone(), confirming.clone());
        use_effect_with(props.profile.clone(), move |p| {
            draft.set(p.clone());
            confirming.set(false);
        });
    }
    let p = (*draft).clone();
    let errors = validate(&p);
    let err = |field: &str| {
        errors
            .iter()
            .find(|(f, _)| *f == field)
            .map(|(_, m)| m.clone())
            .or_else(|| props.error.as_ref().filter(|(f, _)| f == field).map(|(_, m)| m.clone()))
    };
    let edit = |f: fn(&mut Profile, String)| {
        let draft = draft.clone();
        Callback::from(move |v: String| {
            let mut next = (*draft).clone();
            f(&mut next, v);
            draft.set(next);
        })
    };
    let edit_bool = |f: fn(&mut Profile, bool)| {
        let draft = draft.clone();
        Callback::from(move |v: bool| {
            let mut next = (*draft).clone();
            f(&mut next, v);
            draft.set(next);
        })
    };
    let will = p.will.clone().unwrap_or_default();
    let tb = matches!(p.kind, ProfileKind::ThingsBoardDevice | ProfileKind::ThingsBoardGateway);
    let id = |f: &str| format!("profile-{f}");
    let valid = errors.is_empty();
    let onsave = {
        let (draft, cb) = (draft.clone(), props.onsave.clone());
        Callback::from(move |e: SubmitEvent| {
            e.prevent_default();
            cb.emit((*draft).clone());
        })
    };
    let onconnect = {
        let (draft, cb) = (draft.clone(), props.onconnect.clone());
        Callback::from(move |_| cb.emit((*draft).clone()))
    };
    let ondelete = {
        let (pid, cb) = (p.id.clone(), props.ondelete.clone());
        Callback::from(move |_| cb.emit(pid.clone()))
    };
    let ask = |value: bool| {
        let confirming = confirming.clone();
        Callback::from(move |_| confirming.set(value))
    };
    let kinds: Vec<(AttrValue, AttrValue)> =
        ProfileKind::ALL.iter().map(|k| (AttrValue::from(k.slug()), AttrValue::from(k.label()))).collect();
    html! {
        <form class="card profile-editor" onsubmit={onsave} aria-label="Profile">
            <h3>{ "Profile" }</h3>
            <div class="grid">
                <Field id={id("name")} label="Name" value={p.name.clone()} oninput={edit(|p, v| p.name = v)} error={err("name")} />
                <SelectField id={id("kind")} label="Kind" value={p.kind.slug()} options={kinds}
                    onchange={edit(|p, v| p.kind = ProfileKind::from_slug(&v).unwrap_or(p.kind))} />
                <Field id={id("url")} label="WebSocket URL" value={p.url.clone()} oninput={edit(|p, v| p.url = v)} error={err("url")}
                    placeholder="ws://127.0.0.1:8088/mqtt/thingsboard" class="wide" />
                if tb {
                    <CheckField id={id("basic")} label="MQTT basic credentials (instead of an access token)" checked={p.basic_auth}
                        onchange={edit_bool(|p, v| p.basic_auth = v)} />
                }
                if !tb || p.basic_auth {
                    <Field id={id("username")} label={p.kind.username_label()} value={p.username.clone()}
                        oninput={edit(|p, v| p.username = v)} error={err("username")} />
                }
                <Field id={id("secret")} label={p.kind.secret_label()} value={p.secret.clone()} input_type="password"
                    oninput={edit(|p, v| p.secret = v)} error={err("secret")} />
                <CheckField id={id("remember")} label="Remember secret in this browser" checked={p.remember_secret}
                    onchange={edit_bool(|p, v| p.remember_secret = v)} />
                if !tb || p.basic_auth || p.kind != ProfileKind::ThingsBoardDevice {
                    <Field id={id("client-id")} label={p.kind.client_id_label()} value={p.client_id.clone()}
                        oninput={edit(|p, v| p.client_id = v)} error={err("client_id")} />
                }
                <SelectField id={id("version")} label="MQTT version" value={p.version.to_string()}
                    options={vec![("3.1.1".into(), "3.1.1".into()), ("5".into(), "5".into())]}
                    onchange={edit(|p, v| p.version = if v == "5" { ProtocolVersion::V5 } else { ProtocolVersion::V3_1_1 })} />
                <Field id={id("keepalive")} label="Keepalive (s)" input_type="number" value={p.keepalive_secs.to_string()}
                    oninput={edit(|p, v| p.keepalive_secs = v.trim().parse().unwrap_or(p.keepalive_secs))} error={err("keepalive")} />
                <Field id={id("will-topic")} label="Will topic (empty: no will)" value={will.topic.clone()}
                    oninput={edit(|p, v| p.will.get_or_insert_with(WillSpec::default).topic = v)} />
                <Field id={id("will-payload")} label="Will payload" value={will.payload.clone()}
                    oninput={edit(|p, v| p.will.get_or_insert_with(WillSpec::default).payload = v)} />
                <SelectField id={id("will-qos")} label="Will QoS" value={will.qos.to_string()}
                    options={vec![("0".into(), "0".into()), ("1".into(), "1".into()), ("2".into(), "2".into())]}
                    onchange={edit(|p, v| p.will.get_or_insert_with(WillSpec::default).qos = v.parse().unwrap_or(0))} />
                <CheckField id={id("will-retain")} label="Retain will" checked={will.retain}
                    onchange={edit_bool(|p, v| p.will.get_or_insert_with(WillSpec::default).retain = v)} />
                <CheckField id={id("shared")} label="Share one connection with this browser's other tabs" checked={p.shared}
                    onchange={edit_bool(|p, v| p.shared = v)} />
                if p.kind == ProfileKind::Generic && p.version == ProtocolVersion::V5 {
                    <Field id={id("auth-method")} label="Authentication method (MQTT 5, empty: none)" value={p.auth_method.clone()}
                        oninput={edit(|p, v| p.auth_method = v)} placeholder="SCRAM-SHA-256" error={err("auth_method")} />
                    <Field id={id("auth-data")} label="Authentication data" value={p.auth_data.clone()} input_type="password"
                        oninput={edit(|p, v| p.auth_data = v)} />
                }
            </div>
            if p.kind == ProfileKind::ThingsStackApp || p.kind == ProfileKind::CloudPlugs {
                <p class="hint">{ "This platform speaks MQTT 3.1.1 only: the connection uses 3.1.1 whatever is chosen." }</p>
            }
            <div class="actions">
                <button type="submit" disabled={!valid}>{ "Save profile" }</button>
                <button type="button" class="secondary" onclick={onconnect} disabled={!valid}>{ "Save and connect" }</button>
                if !*confirming {
                    <button type="button" class="danger" onclick={ask(true)}>{ "Delete" }</button>
                }
            </div>
            if *confirming {
                <div class="confirm" role="group" aria-label="Confirm delete">
                    <p>{ format!("Delete the profile \"{}\"? ", props.profile.name) }
                        { if props.profile.remember_secret { "Its remembered secret goes with it." } else { "" } }</p>
                    <button type="button" class="danger" onclick={ondelete}>{ "Delete for good" }</button>
                    <button type="button" class="secondary" onclick={ask(false)}>{ "Keep it" }</button>
                </div>
            }
            <BridgeHelp kind={p.kind} />
        </form>
    }
}
