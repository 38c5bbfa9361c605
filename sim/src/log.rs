// One-line log output on stderr, prefixed with the time and the platform it concerns.
// Rejected input is logged here, since a real platform often tells the client nothing.

use std::sync::atomic::{AtomicBool, Ordering};

static QUIET: AtomicBool = AtomicBool::new(false);

pub fn set_quiet(quiet: bool) {
    QUIET.store(quiet, Ordering::Relaxed);
}

pub fn line(component: &str, message: &str) {
    if !QUIET.load(Ordering::Relaxed) {
        eprintln!("{} [{component}] {message}", crate::clock::rfc3339_ms(crate::clock::now_ms()));
    }
}

/// `sim_log!("thingsboard", "refused {}", x)`.
#[macro_export]
macro_rules! sim_log {
    ($component:expr, $($arg:tt)*) => {
        $crate::log::line($component, &format!($($arg)*))
    };
}
