//! The Connections page: every profile with its status, the profile form, and a fresh profile
//! of any kind. Saving and connecting happen through the app handle.

use yew::prelude::*;

use web_sys::HtmlInputElement;

use crate::app::components::{CheckField, ProfileEditor, StatusBadge};
use crate::app::hooks::use_app;
use crate::app::route::{navigate, Page};
use crate::app::services::clipboard::download;
use crate::app::services::profiles::{export_file, import_file, new_id};
use crate::app::state::{Action, Profile, ProfileKind};

#[component]
pub fn ConnectionsPage() -> Html {
    let app = use_app();
    let state = app.state();
    let editing = use_state(|| state.profiles.first().map(|p| p.id.clone()));
    let draft_new = use_state(|| None::<Profile>);
    let connect_error = use_state(|| None::<(String, String)>);
    let with_secrets = use_state(|| false);
    let moved = use_state(|| None::<Result<String, String>>);

    let current: Option<Profile> =
        (*draft_new).clone().or_else(|| editing.as_ref().and_then(|id| state.profile(id).cloned()));

    let onsave = {
        let (app, editing, draft_new) = (app.clone(), editing.clone(), draft_new.clone());
        Callback::from(move |p: Profile| {
            editing.set(Some(p.id.clone()));
            draft_new.set(None);
            app.dispatch(Action::Save(p));
        })
    };
    let onconnect = {
        let (app, editing, draft_new, connect_error) =
            (app.clone(), editing.clone(), draft_new.clone(), connect_error.clone());
        Callback::from(move |p: Profile| {
            editing.set(Some(p.id.clone()));
            draft_new.set(None);
            app.dispatch(Action::Save(p.clone()));
            let err = connect_error.clone();
            app.connect(
                p.clone(),
                Callback::from(move |e: Option<crate::app::error::AppError>| {
                    err.set(e.map(|e| (e.field().unwrap_or("connect").to_string(), e.to_string())))
                }),
            );
            navigate(Page::for_kind(p.kind));
        })
    };
    let ondelete = {
        let (app, editing, draft_new) = (app.clone(), editing.clone(), draft_new.clone());
        Callback::from(move |id: String| {
            draft_new.set(None);
            editing.set(None);
            app.dispatch(Action::Remove(id));
        })
    };
    let onnew = {
        let draft_new = draft_new.clone();
        Callback::from(move |kind: ProfileKind| {
            draft_new.set(Some(Profile {
                id: new_id(kind),
                name: format!("New {}", kind.label()),
                kind,
                url: "ws://127.0.0.1:9001".into(),
                keepalive_secs: if kind == ProfileKind::CloudPlugs { 240 } else { 60 },
                ..Default::default()
            }))
        })
    };

    let onexport = {
        let (profiles, with_secrets, moved) = (state.profiles.clone(), *with_secrets, moved.clone());
        Callback::from(move |_| {
            let name = "iotmqtt-profiles.json";
            let said = download(name, "application/json", &export_file(&profiles, with_secrets)).map(|()| {
                let secrets = if with_secrets { "with their secrets" } else { "without secrets" };
                format!("Exported {} profiles {secrets} to {name}.", profiles.len())
            });
            moved.set(Some(said));
        })
    };
    let onimport = {
        let (app, moved, known) = (app.clone(), moved.clone(), state.profiles.clone());
        Callback::from(move |e: Event| {
            let input: HtmlInputElement = e.target_unchecked_into();
            let Some(file) = input.files().and_then(|f| f.get(0)) else { return };
            input.set_value("");
            let (app, moved, known) = (app.clone(), moved.clone(), known.clone());
            wasm_bindgen_futures::spawn_local(async move {
                let text = wasm_bindgen_futures::JsFuture::from(file.text()).await;
                let text = text.ok().and_then(|t| t.as_string()).ok_or_else(|| "the file could not be read".to_owned());
                moved.set(Some(text.and_then(|t| import_file(&t)).map(|profiles| {
                    let replaced = profiles.iter().filter(|p| known.iter().any(|k| k.id == p.id)).count();
                    let n = profiles.len();
                    for p in profiles {
                        app.dispatch(Action::Save(p));
                    }
                    format!("Imported {n} profiles ({replaced} replaced one with the same id).")
                })));
            });
        })
    };

    html! {
        <div class="page connections">
            <section class="card" aria-label="Profiles">
                <h2>{ "Connection profiles" }</h2>
                <ol class="start-here" aria-label="Start here">
                    <li>{ "Pick a profile below: the ready-made ones reach the local simulator, no account needed." }</li>
                    <li>{ "Press \"Save and connect\" in its form, or \"Open page\" and Connect there." }</li>
                    <li>{ "The platform's page opens: send telemetry, answer RPCs, push downlinks." }</li>
                </ol>
                <p class="hint">{ "Profiles are saved in this browser without their secrets, unless \"remember secret\" is ticked. The ready-made ones point at the local simulator." }</p>
                <ul class="profile-list">
                    { for state.profiles.iter().map(|p| {
                        let selected = current.as_ref().is_some_and(|c| c.id == p.id);
                        let onclick = {
                            let (editing, draft_new, id) = (editing.clone(), draft_new.clone(), p.id.clone());
                            Callback::from(move |_| { draft_new.set(None); editing.set(Some(id.clone())); })
                        };
                        let open = { let kind = p.kind; Callback::from(move |_| navigate(Page::for_kind(kind))) };
                        let active = state.selected_profile(p.kind).is_some_and(|s| s.id == p.id);
                        html! {
                            <li class={classes!("profile", selected.then_some("selected"))}>
                                <button class="link" onclick={onclick} aria-label={format!("Edit {}", p.name)}>
                                    <strong>{ &p.name }</strong>
                                    <span class="kind">{ p.kind.label() }</span>
                                    <span class="hint url">{ &p.url }</span>
                                </button>
                                if active { <StatusBadge status={state.status(p.kind)} /> }
                                <button class="secondary small" onclick={open}>{ "Open page" }</button>
                            </li>
                        }
                    }) }
                </ul>
                <div class="actions wrap">
                    { for ProfileKind::ALL.iter().map(|k| {
                        let (onnew, k) = (onnew.clone(), *k);
                        html! { <button class="secondary small" onclick={Callback::from(move |_| onnew.emit(k))}>{ format!("+ {}", k.label()) }</button> }
                    }) }
                </div>
                <div class="row move-profiles" aria-label="Export and import profiles">
                    <CheckField id="profiles-secrets" label="Include secrets in the export" checked={*with_secrets}
                        onchange={Callback::from({ let w = with_secrets.clone(); move |v| w.set(v) })} />
                    <button type="button" class="secondary small" onclick={onexport}>{ "Export profiles" }</button>
                    <label class="file" for="profiles-import">{ "Import profiles (JSON file)" }</label>
                    <input id="profiles-import" type="file" accept=".json,application/json" onchange={onimport} />
                </div>
                { match &*moved {
                    Some(Ok(said)) => html! { <p class="ok" role="status" data-testid="profiles-moved">{ said }</p> },
                    Some(Err(why)) => html! { <p class="field-error" role="alert" data-testid="profiles-moved">{ why }</p> },
                    None => html! {},
                } }
            </section>
            if let Some(p) = current {
                <ProfileEditor profile={p} {onsave} {onconnect} {ondelete} error={(*connect_error).clone()} />
            }
        </div>
    }
}
