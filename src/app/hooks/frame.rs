//! Rendering at most once per animation frame: services record what arrives in their stores and
//! call `Redraw::notify`; a page listening with `use_redraw` re-renders on the next frame only.

use std::cell::{Cell, RefCell};
use std::rc::Rc;

use gloo::render::{request_animation_frame, AnimationFrame};
use yew::prelude::*;

type Listener = (u64, Rc<dyn Fn()>);

/// Where a session announces that its stores changed. Cheap to clone.
#[derive(Clone, Default)]
pub struct Redraw {
    listeners: Rc<RefCell<Vec<Listener>>>,
    next: Rc<Cell<u64>>,
}

impl PartialEq for Redraw {
    fn eq(&self, other: &Self) -> bool {
        Rc::ptr_eq(&self.listeners, &other.listeners)
    }
}

impl Redraw {
    pub fn notify(&self) {
        let listeners: Vec<Rc<dyn Fn()>> = self.listeners.borrow().iter().map(|(_, f)| f.clone()).collect();
        for l in listeners {
            l();
        }
    }

    pub fn listen(&self, f: impl Fn() + 'static) -> u64 {
        let id = self.next.get() + 1;
        self.next.set(id);
        self.listeners.borrow_mut().push((id, Rc::new(f)));
        id
    }

    pub fn unlisten(&self, id: u64) {
        self.listeners.borrow_mut().retain(|(l, _)| *l != id);
    }
}

/// Coalesces any number of requests into one callback on the next animation frame.
#[derive(Clone)]
pub struct FrameTrigger {
    pending: Rc<Cell<bool>>,
    frame: Rc<RefCell<Option<AnimationFrame>>>,
    run: Rc<dyn Fn()>,
}

impl FrameTrigger {
    pub fn new(run: impl Fn() + 'static) -> Self {
        Self { pending: Rc::default(), frame: Rc::default(), run: Rc::new(run) }
    }

    pub fn request(&self) {
        if self.pending.replace(true) {
            return;
        }
        let (pending, run) = (self.pending.clone(), self.run.clone());
        // The previous frame's handle has fired; replacing it here (not inside its own callback)
        // frees its closure safely.
        *self.frame.borrow_mut() = Some(request_animation_frame(move |_| {
            pending.set(false);
            run();
        }));
    }
}

/// Re-renders the calling component at most once per frame while `redraw` is notified.
#[hook]
pub fn use_redraw(redraw: Option<Redraw>) {
    let update = use_force_update();
    use_effect_with(redraw, move |redraw| {
        let registration = redraw.as_ref().map(|r| {
            let trigger = FrameTrigger::new(move || update.force_update());
            (r.clone(), r.listen(move || trigger.request()))
        });
        move || {
            if let Some((r, id)) = registration {
                r.unlisten(id);
            }
        }
    });
}

/// Re-renders every `period_ms` while `active` (countdowns, "5 s ago").
#[hook]
pub fn use_tick(period_ms: u32, active: bool) {
    let update = use_force_update();
    use_effect_with(active, move |active| {
        let interval = active.then(|| gloo::timers::callback::Interval::new(period_ms, move || update.force_update()));
        move || drop(interval)
    });
}

/// Milliseconds since the epoch.
pub fn now_ms() -> f64 {
    js_sys::Date::now()
}
