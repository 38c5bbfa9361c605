//! The session's timers: one handle per kind; re-arming a kind moves its deadline. They run on
//! the page's clock (a Web Worker when possible, so keepalive survives background-tab throttling).

use crate::collections::VecMap;
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

/// An armed timer: when its clock callback fires, and when the session wants it to.
struct Armed {
    id: u32,
    fires_at: f64,
    due_at: f64,
}

pub struct TimerSet {
    fire: Rc<dyn Fn(TimerKind)>,
    armed: VecMap<TimerKind, Armed>,
    main_thread: bool,
}

fn now_ms() -> f64 {
    js_sys::Date::now()
}

impl TimerSet {
    /// `main_thread` opts out of the worker clock (plain setTimeout on this thread).
    pub fn new(fire: Rc<dyn Fn(TimerKind)>, main_thread: bool) -> Self {
        Self { fire, armed: VecMap::new(), main_thread }
    }

    /// Arms `kind` to fire after `duration_ms`. The session pushes the keepalive back on
    /// every packet sent; re-scheduling each time would cost two worker messages per packet, so a
    /// later deadline is only recorded, and the running timer re-arms for the rest when it fires.
    pub fn reset(&mut self, kind: TimerKind, duration_ms: u64) {
        let due_at = now_ms() + duration_ms as f64;
        if let Some(a) = self.armed.get_mut(&kind) {
            if a.fires_at <= due_at {
                a.due_at = due_at;
                return;
            }
        }
        self.cancel(kind);
        let id = self.schedule(kind, duration_ms);
        self.armed.insert(kind, Armed { id, fires_at: due_at, due_at });
    }

    fn schedule(&self, kind: TimerKind, duration_ms: u64) -> u32 {
        let fire = self.fire.clone();
        clock::schedule(duration_ms, self.main_thread, Box::new(move || fire(kind)))
    }

    pub fn cancel(&mut self, kind: TimerKind) {
        if let Some(a) = self.armed.remove(&kind) {
            clock::cancel(a.id);
        }
    }

    /// The clock callback of `kind` ran: returns whether the timer is really due. If its deadline
    /// was pushed back meanwhile, it is re-armed for the rest and `false` is returned.
    pub fn fired(&mut self, kind: TimerKind) -> bool {
        let Some(a) = self.armed.get(&kind) else { return false };
        let now = now_ms();
        if a.due_at > now + 1.0 {
            let rest = (a.due_at - now).ceil() as u64;
            let due_at = a.due_at;
            let id = self.schedule(kind, rest);
            self.armed.insert(kind, Armed { id, fires_at: now + rest as f64, due_at });
            return false;
        }
        self.armed.remove(&kind);
        true
    }

    pub fn cancel_all(&mut self) {
        for (_, a) in self.armed.drain() {
            clock::cancel(a.id);
        }
    }

    pub fn armed(&self) -> usize {
        self.armed.len()
    }
}

impl Drop for TimerSet {
    fn drop(&mut self) {
        self.cancel_all();
    }
}
