//! One clock for every timer on the page. Background tabs throttle main-thread timers to about once
//! a minute, which kills an MQTT keepalive, so timers run in a dedicated Web Worker (not throttled
//! that way); where no worker can be made (a CSP forbidding blob: workers, a worker scope), setTimeout.

use std::cell::{Cell, RefCell};

use crate::collections::VecMap;
use std::rc::Rc;

use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;

#[wasm_bindgen]
extern "C" {
    #[wasm_bindgen(js_name = setTimeout)]
    pub(crate) fn set_timeout(handler: &js_sys::Function, ms: i32) -> i32;
    #[wasm_bindgen(js_name = setTimeout)]
    pub(crate) fn set_timeout_with_id(handler: &js_sys::Function, ms: i32, id: u32) -> i32;
    #[wasm_bindgen(js_name = clearTimeout)]
    pub(crate) fn clear_timeout(id: i32);
}

/// The worker: `[1, id, ms]` arms timer `id`, `[0, id]` clears it; it posts `id` back when it fires.
const WORKER_SOURCE: &str = "const t=new Map();onmessage=e=>{const [op,id,ms]=e.data;clearTimeout(t.get(id));t.delete(id);if(op===1){t.set(id,setTimeout(()=>{t.delete(id);postMessage(id);},ms));}};";

struct Clock {
    worker: Option<web_sys::Worker>,
    _on_worker_message: Option<WorkerHandler>,
    /// Main-thread fallback: one closure for every timer, told which one fired.
    on_main_timeout: Closure<dyn FnMut(u32)>,
    callbacks: RefCell<VecMap<u32, Box<dyn FnOnce()>>>,
    main_handles: RefCell<VecMap<u32, i32>>,
    next_id: Cell<u32>,
}

thread_local! {
    static CLOCK: Rc<Clock> = Clock::new();
}

fn fire(id: u32) {
    let callback = CLOCK.with(|c| {
        c.main_handles.borrow_mut().remove(&id);
        c.callbacks.borrow_mut().remove(&id)
    });
    if let Some(f) = callback {
        f();
    }
}

impl Clock {
    fn new() -> Rc<Self> {
        let (worker, on_message) = match start_worker() {
            Some((w, m)) => (Some(w), Some(m)),
            None => (None, None),
        };
        Rc::new(Self {
            worker,
            _on_worker_message: on_message,
            on_main_timeout: Closure::<dyn FnMut(u32)>::new(fire),
            callbacks: RefCell::new(VecMap::new()),
            main_handles: RefCell::new(VecMap::new()),
            next_id: Cell::new(1),
        })
    }
}

type WorkerHandler = Closure<dyn FnMut(web_sys::MessageEvent)>;

fn start_worker() -> Option<(web_sys::Worker, WorkerHandler)> {
    let parts = js_sys::Array::of1(&JsValue::from_str(WORKER_SOURCE));
    let bag = web_sys::BlobPropertyBag::new();
    bag.set_type("text/javascript");
    let blob = web_sys::Blob::new_with_str_sequence_and_options(&parts, &bag).ok()?;
    let url = web_sys::Url::create_object_url_with_blob(&blob).ok()?;
    let worker = web_sys::Worker::new(&url).ok();
    let _ = web_sys::Url::revoke_object_url(&url);
    let worker = worker?;
    let on_message = Closure::<dyn FnMut(web_sys::MessageEvent)>::new(|e: web_sys::MessageEvent| {
        if let Some(id) = e.data().as_f64() {
            fire(id as u32);
        }
    });
    worker.set_onmessage(Some(on_message.as_ref().unchecked_ref()));
    Some((worker, on_message))
}

/// Whether timers run in the worker on this page.
pub fn uses_worker() -> bool {
    CLOCK.with(|c| c.worker.is_some())
}

/// Runs `f` after `ms`, in the worker clock unless `main_thread` is asked for. Returns an id for `cancel`.
pub fn schedule(ms: u64, main_thread: bool, f: Box<dyn FnOnce()>) -> u32 {
    CLOCK.with(|c| {
        let id = c.next_id.get();
        c.next_id.set(id.wrapping_add(1).max(1));
        c.callbacks.borrow_mut().insert(id, f);
        let ms = ms.min(i32::MAX as u64) as i32;
        match (&c.worker, main_thread) {
            (Some(worker), false) => {
                let msg = js_sys::Array::of3(&JsValue::from(1), &JsValue::from(id), &JsValue::from(ms));
                if worker.post_message(&msg).is_err() {
                    let handle = set_timeout_with_id(c.on_main_timeout.as_ref().unchecked_ref(), ms, id);
                    c.main_handles.borrow_mut().insert(id, handle);
                }
            }
            _ => {
                let handle = set_timeout_with_id(c.on_main_timeout.as_ref().unchecked_ref(), ms, id);
                c.main_handles.borrow_mut().insert(id, handle);
            }
        }
        id
    })
}

/// Cancels a scheduled callback; a late message for it finds nothing to run.
pub fn cancel(id: u32) {
    CLOCK.with(|c| {
        c.callbacks.borrow_mut().remove(&id);
        if let Some(handle) = c.main_handles.borrow_mut().remove(&id) {
            clear_timeout(handle);
        } else if let Some(worker) = &c.worker {
            let _ = worker.post_message(&js_sys::Array::of2(&JsValue::from(0), &JsValue::from(id)));
        }
    })
}

/// Callbacks scheduled and not yet run or cancelled, for leak checks.
pub fn pending() -> usize {
    CLOCK.with(|c| c.callbacks.borrow().len())
}
