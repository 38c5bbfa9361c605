//! The top of every platform page: which profile to use, Connect / Disconnect, the status
//! indicator, and why a connection failed, next to the button that tried.

use web_sys::HtmlSelectElement;
use yew::prelude::*;

use crate::app::components::{AuthenticationPanel, BridgeHelp, StatusBadge};
use crate::app::error::AppError;
use crate::app::hooks::use_app;
use crate::app::state::{Action, ProfileKind};
use crate::ProtocolVersion;

#[derive(Properties, PartialEq)]
pub struct ConnectionBarProps {
    pub kind: ProfileKind,
}

#[component]
pub fn ConnectionBar(props: &ConnectionBarProps) -> Html {
    let app = use_app();
    let error = use_state(|| None::<AppError>);
    let state = app.state();
    let kind = props.kind;
    let selected = state.selected_profile(kind).cloned();
    let status = state.status(kind);
    let live = app.live(kind).is_some() || status.is_live();

    let onselect = {
        let app = app.clone();
        Callback::from(move |e: Event| {
            let id = e.target_unchecked_into::<HtmlSelectElement>().value();
            app.dispatch(Action::Select { kind, id });
        })
    };
    let onconnect = {
        let (app, error, selected) = (app.clone(), error.clone(), selected.clone());
        Callback::from(move |_| match selected.clone() {
            Some(p) => {
                let error = error.clone();
                app.connect(p, Callback::from(move |e| error.set(e)));
            }
            None => error.set(Some(AppError::input("profile", "add a profile of this kind on the Connections page"))),
        })
    };
    let ondisconnect = {
        let app = app.clone();
        Callback::from(move |_| app.disconnect(kind))
    };
    let select_id = format!("{}-profile", kind.slug());
    let authenticates = selected.as_ref().is_some_and(|p| {
        p.kind == ProfileKind::Generic && p.version == ProtocolVersion::V5 && !p.auth_method.trim().is_empty()
    });
    html! {
        <section class="connection-bar card" aria-label="Connection">
            <div class="row">
                <div class="field">
                    <label for={select_id.clone()}>{ format!("{} profile", kind.label()) }</label>
                    <select id={select_id} onchange={onselect} disabled={live}>
                        { for state.profiles_of(kind).map(|p| html! {
                            <option value={p.id.clone()} selected={selected.as_ref().is_some_and(|s| s.id == p.id)}>{ &p.name }</option>
                        }) }
                    </select>
                </div>
                if live {
                    <button class="secondary" onclick={ondisconnect}>{ "Disconnect" }</button>
                } else {
                    <button onclick={onconnect}>{ "Connect" }</button>
                }
                <StatusBadge status={status.clone()} />
                if let Some(n) = state.tabs.get(&kind) {
                    <span class="shared-tabs" aria-live="polite">{ shared_tabs(*n) }</span>
                }
            </div>
            if let Some(p) = &selected { <p class="hint url">{ format!("{} — {}", p.url, p.version) }</p> }
            if let Some(e) = &*error { <p class="field-error" role="alert">{ e.to_string() }</p> }
            if authenticates { <AuthenticationPanel kind={kind} status={status} /> }
            <BridgeHelp kind={kind} />
        </section>
    }
}

/// The connection bar's words for a shared connection's tabs.
fn shared_tabs(n: u32) -> String {
    match n {
        1 => "only this tab on the shared connection".into(),
        n => format!("{n} tabs share this connection"),
    }
}
