//! The session's timers on the browser's setTimeout: one handle per kind, re-arming a kind
//! clears its old timer. One closure per kind lives as long as the set, so none is freed mid-call.

use std::collections::HashMap;

use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;

use crate::session::TimerKind;

#[wasm_bindgen]
extern "C" {
    #[wasm_bindgen(js_name = setTimeout)]
    pub(crate) fn set_timeout(handler: &js_sys::Function, ms: i32) -> i32;
    #[wasm_bindgen(js_name = clearTimeout)]
    pub(crate) fn clear_timeout(id: i32);
}

pub struct TimerSet {
    fire: std::rc::Rc<dyn Fn(TimerKind)>,
    closures: HashMap<TimerKind, Closure<dyn FnMut()>>,
    handles: HashMap<TimerKind, i32>,
}

impl TimerSet {
    pub fn new(fire: std::rc::Rc<dyn Fn(TimerKind)>) -> Self {
        Self { fire, closures: HashMap::new(), handles: HashMap::new() }
    }

    pub fn reset(&mut self, kind: TimerKind, duration_ms: u64) {
        self.cancel(kind);
        let fire = self.fire.clone();
        let closure = self.closures.entry(kind).or_insert_with(|| Closure::<dyn FnMut()>::new(move || fire(kind)));
        let ms = duration_ms.min(i32::MAX as u64) as i32;
        let id = set_timeout(closure.as_ref().unchecked_ref(), ms);
        self.handles.insert(kind, id);
    }

    pub fn cancel(&mut self, kind: TimerKind) {
        if let Some(id) = self.handles.remove(&kind) {
            clear_timeout(id);
        }
    }

    /// Forgets the handle of a timer that just fired, so a later cancel clears nothing.
    pub fn fired(&mut self, kind: TimerKind) {
        self.handles.remove(&kind);
    }

    pub fn cancel_all(&mut self) {
        for (_, id) in self.handles.drain() {
            clear_timeout(id);
        }
    }

    pub fn armed(&self) -> usize {
        self.handles.len()
    }
}

impl Drop for TimerSet {
    fn drop(&mut self) {
        self.cancel_all();
    }
}
