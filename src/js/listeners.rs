//! Event listeners registered from JavaScript: kept in Rust (dropped on `close()`, never leaked),
//! and `on(event, fn)` hands back a plain function that removes the listener.

use std::cell::RefCell;
use std::rc::{Rc, Weak};

use js_sys::{Function, Reflect};
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;

use super::errors::js_error;

/// One object's listeners, by event name.
#[derive(Default)]
pub struct Listeners {
    next: u32,
    entries: Vec<(u32, &'static str, Function)>,
}

pub type SharedListeners = Rc<RefCell<Listeners>>;

impl Listeners {
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn clear(&mut self) {
        self.entries.clear();
    }
}

/// Checks `event` against the events an object emits, returning its static name.
pub fn event_name(event: &str, known: &[&'static str]) -> Result<&'static str, JsValue> {
    known
        .iter()
        .copied()
        .find(|k| *k == event)
        .ok_or_else(|| js_error("UNKNOWN_EVENT", &format!("unknown event {event:?}: use one of {}", known.join(", "))))
}

/// Adds a listener; the returned function removes it (calling it twice, or after `close()`, is harmless).
pub fn add(set: &SharedListeners, event: &'static str, listener: Function) -> JsValue {
    let id = {
        let mut s = set.borrow_mut();
        s.next += 1;
        let id = s.next;
        s.entries.push((id, event, listener));
        id
    };
    let weak = Rc::downgrade(set);
    unsubscribe_fn(move || {
        if let Some(set) = weak.upgrade() {
            set.borrow_mut().entries.retain(|(l, _, _)| *l != id);
        }
    })
}

/// Calls every listener of `event` with `value`, outside any borrow: a listener may add or remove
/// listeners, or close the object. A listener that throws is reported, and the others still run.
pub fn emit(set: &SharedListeners, event: &str, value: &JsValue) {
    let targets: Vec<Function> =
        set.borrow().entries.iter().filter(|(_, e, _)| *e == event).map(|(_, _, f)| f.clone()).collect();
    for f in targets {
        if let Err(e) = f.call1(&JsValue::UNDEFINED, value) {
            web_sys::console::error_2(&JsValue::from_str("iotmqtt: a listener threw"), &e);
        }
    }
}

/// `emit` for closures stored in the client, which must not keep the listeners alive.
pub fn emit_weak(set: &Weak<RefCell<Listeners>>, event: &str, value: impl FnOnce() -> JsValue) {
    if let Some(set) = set.upgrade() {
        let wanted = set.borrow().entries.iter().any(|(_, e, _)| *e == event);
        if wanted {
            emit(&set, event, &value());
        }
    }
}

/// Holds what an unsubscribe function undoes. Not part of the typed API: users only see the function.
#[wasm_bindgen(skip_typescript)]
pub struct Unsubscriber {
    action: RefCell<Option<Box<dyn FnOnce()>>>,
}

#[wasm_bindgen]
impl Unsubscriber {
    pub fn off(&self) {
        let action = self.action.borrow_mut().take();
        if let Some(action) = action {
            action();
        }
    }
}

/// A JS function (`Unsubscriber.prototype.off` bound to its holder) that runs `action` once.
/// No `Closure` is involved, so nothing leaks when the function is never called.
pub fn unsubscribe_fn(action: impl FnOnce() + 'static) -> JsValue {
    let holder = JsValue::from(Unsubscriber { action: RefCell::new(Some(Box::new(action))) });
    match Reflect::get(&holder, &JsValue::from_str("off")).ok().and_then(|f| f.dyn_into::<Function>().ok()) {
        Some(off) => off.bind0(&holder).into(),
        None => JsValue::UNDEFINED,
    }
}
