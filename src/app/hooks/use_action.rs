//! `use_action`: runs one async service call at a time for a form, and keeps what the form shows
//! about it — busy, the errors by field, and the last success message.

use std::future::Future;

use wasm_bindgen_futures::spawn_local;
use yew::prelude::*;

use crate::app::error::{AppError, FieldErrors};

#[derive(Debug, Clone, PartialEq, Default)]
pub struct ActionState {
    pub busy: bool,
    pub errors: FieldErrors,
    pub message: Option<String>,
}

#[derive(Clone, PartialEq)]
pub struct ActionHandle {
    state: UseStateHandle<ActionState>,
}

impl ActionHandle {
    pub fn busy(&self) -> bool {
        self.state.busy
    }

    /// The error to show next to `field`.
    pub fn error(&self, field: &str) -> Option<String> {
        self.state.errors.get(field)
    }

    pub fn message(&self) -> Option<String> {
        self.state.message.clone()
    }

    /// Runs `work`; an error goes to its own field, or to `fallback` (the button's spot).
    pub fn run<F>(&self, fallback: &'static str, work: F)
    where
        F: Future<Output = Result<String, AppError>> + 'static,
    {
        self.state.set(ActionState { busy: true, ..Default::default() });
        let state = self.state.clone();
        spawn_local(async move {
            let next = match work.await {
                Ok(message) => ActionState { message: Some(message).filter(|m| !m.is_empty()), ..Default::default() },
                Err(e) => ActionState { errors: FieldErrors::from_error(&e, fallback), ..Default::default() },
            };
            state.set(next);
        });
    }

    /// Shows an error found before anything was sent.
    pub fn fail(&self, e: AppError, fallback: &'static str) {
        self.state.set(ActionState { errors: FieldErrors::from_error(&e, fallback), ..Default::default() });
    }

    /// For a form's `oninput` and `onchange`: once the form is edited, its success message no
    /// longer describes what the form holds ("published to a/b" after the topic became c/d), so it
    /// goes (issue 22, point 9). Errors stay until the next try.
    pub fn on_edit<E: 'static>(&self) -> Callback<E> {
        let state = self.state.clone();
        Callback::from(move |_: E| {
            if state.message.is_some() {
                state.set(ActionState { message: None, ..(*state).clone() });
            }
        })
    }

    pub fn reset(&self) {
        self.state.set(ActionState::default());
    }
}

#[hook]
pub fn use_action() -> ActionHandle {
    ActionHandle { state: use_state(ActionState::default) }
}
