//! The session's timers: one handle per kind, re-arming a kind cancels its old timer. They run on
//! the page's clock (a Web Worker when possible, so keepalive survives background-tab throttling).

use std::collections::HashMap;
use std::rc::Rc;

use wasm_bindgen::prelude::*;

use super::clock;
use crate::session::TimerKind;

#[wasm_bindgen]
extern "C" {
    #[wasm_bindgen(js_name = setTimeout)]
    pub(crate) fn set_timeout(handler: &js_sys::Function, ms: i32) -> i32;
    #[wasm_bindgen(js_name = setTimeout)]
    pub(crate) fn set_timeout_with_id(handler: &js_sys::Function, ms: i32, id: u32) -> i32;
    #[wasm_bindgen(js_name = clearTimeout)]
    pub(crate) fn clear_timeout(id: i32);
}

pub struct TimerSet {
    fire: Rc<dyn Fn(TimerKind)>,
    handles: HashMap<TimerKind, u32>,
    main_thread: bool,
}

impl TimerSet {
    /// `main_thread` opts out of the worker clock (plain setTimeout on this thread).
    pub fn new(fire: Rc<dyn Fn(TimerKind)>, main_thread: bool) -> Self {
        Self { fire, handles: HashMap::new(), main_thread }
    }

    pub fn reset(&mut self, kind: TimerKind, duration_ms: u64) {
        self.cancel(kind);
        let fire = self.fire.clone();
        let id = clock::schedule(duration_ms, self.main_thread, Box::new(move || fire(kind)));
        self.handles.insert(kind, id);
    }

    pub fn cancel(&mut self, kind: TimerKind) {
        if let Some(id) = self.handles.remove(&kind) {
            clock::cancel(id);
        }
    }

    /// Forgets the handle of a timer that just fired, so a later cancel clears nothing.
    pub fn fired(&mut self, kind: TimerKind) {
        self.handles.remove(&kind);
    }

    pub fn cancel_all(&mut self) {
        for (_, id) in self.handles.drain() {
            clock::cancel(id);
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
