//! The browser's I/O for the session: a WebSocket speaking subprotocol `mqtt`, and timers.
//! Owns every JS closure it creates and detaches them before dropping them (no `Closure::forget`).

pub mod clock;
pub(crate) mod timers;
mod websocket;

pub use timers::TimerSet;
pub(crate) use websocket::js_error_text;
pub use websocket::{TransportEvent, WebSocketTransport, BUSY_MS};

/// Drops a value on a later microtask: a JS closure must not be freed while it is running,
/// and a socket's own close handler is where we learn to drop the socket.
pub fn drop_later<T: 'static>(value: T) {
    wasm_bindgen_futures::spawn_local(async move {
        drop(value);
    });
}
