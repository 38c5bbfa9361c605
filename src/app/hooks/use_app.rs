//! `use_app`: the app context as a handle with verbs — connect, disconnect, save and select
//! profiles, and reach a page's live session.

use std::cell::Cell;
use std::rc::Rc;

use wasm_bindgen_futures::spawn_local;
use yew::prelude::*;

use crate::app::context::AppContext;
use crate::app::services::connection::{self, Live};
use crate::app::state::{Action, AppState, LinkStatus, Profile, ProfileKind};

#[derive(Clone, PartialEq)]
pub struct AppHandle {
    ctx: AppContext,
}

impl AppHandle {
    /// The state as of this render (dereferences to `AppState`).
    pub fn state(&self) -> UseReducerHandle<AppState> {
        self.ctx.state.clone()
    }

    pub fn dispatch(&self, action: Action) {
        self.ctx.state.dispatch(action);
    }

    pub fn live(&self, kind: ProfileKind) -> Option<Live> {
        self.ctx.live.borrow().get(&kind).cloned()
    }

    /// Connects the page of `profile.kind` with `profile`, replacing its open connection.
    /// `on_error` hears why it failed, in the platform's words.
    pub fn connect(&self, profile: Profile, on_error: Callback<Option<crate::app::error::AppError>>) {
        let kind = profile.kind;
        self.disconnect(kind);
        let state = self.ctx.state.clone();
        state.dispatch(Action::Select { kind, id: profile.id.clone() });
        state.dispatch(Action::Status { kind, status: LinkStatus::Connecting });
        on_error.emit(None);
        let live = self.ctx.live.clone();
        // "Connected" waits until the session has subscribed to what the page shows, so what
        // arrives after the indicator turns green is never missed.
        let ready = Rc::new(Cell::new(false));
        let (sink_state, sink_ready) = (state.clone(), ready.clone());
        let sink: connection::StatusSink = Rc::new(move |status| {
            if sink_ready.get() || status != LinkStatus::Connected {
                sink_state.dispatch(Action::Status { kind, status })
            }
        });
        let tabs_state = state.clone();
        let tabs: connection::TabsSink = Rc::new(move |tabs| tabs_state.dispatch(Action::Tabs { kind, tabs }));
        spawn_local(async move {
            match connection::connect(&profile, sink, tabs).await {
                Ok(session) => {
                    let status = session.status();
                    live.borrow_mut().insert(kind, session);
                    ready.set(true);
                    state.dispatch(Action::SessionsChanged);
                    state.dispatch(Action::Status { kind, status });
                }
                Err(e) => {
                    // A shared session told its tab count before its connect failed: no tabs now.
                    state.dispatch(Action::Tabs { kind, tabs: 0 });
                    state.dispatch(Action::Status { kind, status: LinkStatus::Failed(e.to_string()) });
                    on_error.emit(Some(e));
                }
            }
        });
    }

    pub fn disconnect(&self, kind: ProfileKind) {
        let old = self.ctx.live.borrow_mut().remove(&kind);
        if let Some(old) = old {
            old.close();
            self.dispatch(Action::Tabs { kind, tabs: 0 });
            self.dispatch(Action::SessionsChanged);
            self.dispatch(Action::Status { kind, status: LinkStatus::Closed });
        }
    }
}

#[hook]
pub fn use_app() -> AppHandle {
    let ctx = use_context::<AppContext>().expect("use_app needs the AppProvider above it");
    AppHandle { ctx }
}
