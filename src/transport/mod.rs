//! The browser's I/O for the supervisor: a WebSocket speaking subprotocol `mqtt`, one deadline timer
//! and the flush callbacks. Owns every JS closure it creates and detaches them before dropping them
//! (no `Closure::forget`). No policy lives here: the supervisor decides what and when.

pub mod clock;
pub(crate) mod timers;
mod websocket;

pub use timers::{now_ms, DeadlineTimer};
pub(crate) use websocket::js_error_text;
pub use websocket::{queue_microtask, TransportEvent, WebSocketTransport};

/// The supervisor's busy window, for tests that time it against `Date.now()`.
pub const BUSY_MS: f64 = crate::supervisor::BUSY_MS as f64;

/// Drops a value on a later microtask: a JS closure must not be freed while it is running,
/// and a socket's own close handler is where we learn to drop the socket.
pub fn drop_later<T: 'static>(value: T) {
    wasm_bindgen_futures::spawn_local(async move {
        drop(value);
    });
}
