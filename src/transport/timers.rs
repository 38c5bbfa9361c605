//! The one real timer a supervised connection needs: armed for the supervisor's `poll_timeout`,
//! on the page's clock (a Web Worker when possible, so keepalive survives background-tab throttling).
//! A deadline that only moves later (the keepalive, pushed back by every packet) re-arms nothing:
//! the timer fires early, the supervisor finds nothing due, and the timer is armed again.

use std::rc::Rc;

use super::clock;
use crate::supervisor::Millis;

pub struct DeadlineTimer {
    fire: Rc<dyn Fn()>,
    armed: Option<(u32, Millis)>,
    main_thread: bool,
}

/// Milliseconds on the page's clock, the time the supervisor is given.
pub fn now_ms() -> Millis {
    js_sys::Date::now() as Millis
}

impl DeadlineTimer {
    /// `main_thread` opts out of the worker clock (plain setTimeout on this thread).
    pub fn new(fire: Rc<dyn Fn()>, main_thread: bool) -> Self {
        Self { fire, armed: None, main_thread }
    }

    /// Arms the timer for `deadline` (or disarms it for `None`), unless it already fires no later.
    pub fn sync(&mut self, now: Millis, deadline: Option<Millis>) {
        match (self.armed, deadline) {
            (_, None) => self.cancel(),
            (Some((_, at)), Some(want)) if at <= want => {}
            (_, Some(want)) => {
                self.cancel();
                let fire = self.fire.clone();
                let id = clock::schedule(want.saturating_sub(now), self.main_thread, Box::new(move || fire()));
                self.armed = Some((id, want));
            }
        }
    }

    /// The clock callback ran: the timer is no longer armed.
    pub fn fired(&mut self) {
        self.armed = None;
    }

    pub fn cancel(&mut self) {
        if let Some((id, _)) = self.armed.take() {
            clock::cancel(id);
        }
    }

    pub fn is_armed(&self) -> bool {
        self.armed.is_some()
    }
}

impl Drop for DeadlineTimer {
    fn drop(&mut self) {
        self.cancel();
    }
}
