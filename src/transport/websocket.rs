//! One browser WebSocket carrying MQTT: subprotocol `mqtt` (plus `binary` for websockify bridges),
//! binary type arraybuffer, `ws://` or `wss://`.
//! Socket events are handed to one sink; the handlers are detached before the closures are freed.
//!
//! Sends are batched. A WebSocket message costs the browser and the broker far more than its bytes,
//! so everything handed to [`WebSocketTransport::send`] during one task goes out as one message at
//! the next microtask; and under load (the previous message left less than [`BUSY_MS`] ago) the
//! bytes wait for a zero-delay tick of the worker clock instead, gathering the sends of the tasks
//! in between (each incoming PUBLISH or PUBACK is a task of its own). Without the worker clock (its
//! setTimeout fallback is throttled in hidden tabs) every flush is a microtask. Past [`BATCH_LIMIT`]
//! bytes a batch leaves at once.

use std::cell::{Cell, RefCell};
use std::rc::Rc;

use js_sys::{ArrayBuffer, Uint8Array};
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use web_sys::{BinaryType, CloseEvent, Event, MessageEvent, WebSocket};

use crate::error::ClientError;

#[derive(Debug, Clone, PartialEq)]
pub enum TransportEvent {
    Open,
    Bytes(Vec<u8>),
    /// The socket reported an error; a `Closed` always follows.
    Error,
    Closed {
        code: u16,
        reason: String,
    },
}

/// Bytes past which a batch is sent at once rather than at the next microtask.
pub const BATCH_LIMIT: usize = 256 * 1024;
/// A send this soon (ms, by `Date.now()`) after the previous WebSocket message waits for the clock.
pub const BUSY_MS: f64 = 2.0;

/// The socket and the bytes waiting for the next flush; shared with the queued flush.
struct Outbox {
    ws: WebSocket,
    pending: RefCell<Vec<u8>>,
    scheduled: Cell<bool>,
    /// The worker-clock id of a deferred flush, cancelled if the transport goes first.
    deferred: Cell<Option<u32>>,
    last_flush_ms: Cell<f64>,
    /// Deferring needs the worker clock: on a setTimeout fallback (a CSP without blob: workers, or
    /// `workerTimers: false`) a hidden tab would hold the bytes for a throttled timer's second or more.
    may_defer: bool,
}

impl Outbox {
    fn flush(&self) {
        self.scheduled.set(false);
        if let Some(id) = self.deferred.take() {
            super::clock::cancel(id);
        }
        self.last_flush_ms.set(js_sys::Date::now());
        let bytes = std::mem::take(&mut *self.pending.borrow_mut());
        // Only a socket that is still CONNECTING throws; a closing or closed one drops the bytes,
        // as it would have at the time of the `send` call.
        if !bytes.is_empty() && self.ws.ready_state() == WebSocket::OPEN {
            let _ = self.ws.send_with_u8_array(&bytes);
        }
    }
}

pub struct WebSocketTransport {
    ws: WebSocket,
    outbox: Rc<Outbox>,
    _on_open: Closure<dyn FnMut(Event)>,
    _on_message: Closure<dyn FnMut(MessageEvent)>,
    _on_error: Closure<dyn FnMut(Event)>,
    _on_close: Closure<dyn FnMut(CloseEvent)>,
}

impl WebSocketTransport {
    /// Opens the socket; events go to `sink` until the transport is dropped. `worker_clock`: whether
    /// the client may use the worker clock (its `worker_timers` option) to gather sends under load.
    pub fn open(
        url: &str,
        protocols: &[String],
        worker_clock: bool,
        sink: Rc<dyn Fn(TransportEvent)>,
    ) -> Result<Self, ClientError> {
        if !(url.starts_with("ws://") || url.starts_with("wss://")) {
            return Err(ClientError::InvalidOption {
                field: "url",
                reason: format!("{url:?} is not a WebSocket URL: it must start with ws:// or wss://"),
            });
        }
        let offered: js_sys::Array = protocols.iter().map(|p| wasm_bindgen::JsValue::from_str(p)).collect();
        let ws = WebSocket::new_with_str_sequence(url, &offered)
            .map_err(|e| ClientError::InvalidOption { field: "url", reason: js_error_text(&e) })?;
        ws.set_binary_type(BinaryType::Arraybuffer);

        let s = sink.clone();
        let on_open = Closure::<dyn FnMut(Event)>::new(move |_| s(TransportEvent::Open));
        let s = sink.clone();
        let on_message = Closure::<dyn FnMut(MessageEvent)>::new(move |e: MessageEvent| {
            // MQTT over WebSocket is binary only (MQTT 5.0 §6); text frames are ignored.
            if let Ok(buf) = e.data().dyn_into::<ArrayBuffer>() {
                s(TransportEvent::Bytes(Uint8Array::new(&buf).to_vec()));
            }
        });
        let s = sink.clone();
        let on_error = Closure::<dyn FnMut(Event)>::new(move |_| s(TransportEvent::Error));
        let s = sink;
        let on_close = Closure::<dyn FnMut(CloseEvent)>::new(move |e: CloseEvent| {
            s(TransportEvent::Closed { code: e.code(), reason: e.reason() })
        });
        ws.set_onopen(Some(on_open.as_ref().unchecked_ref()));
        ws.set_onmessage(Some(on_message.as_ref().unchecked_ref()));
        ws.set_onerror(Some(on_error.as_ref().unchecked_ref()));
        ws.set_onclose(Some(on_close.as_ref().unchecked_ref()));
        let outbox = Rc::new(Outbox {
            ws: ws.clone(),
            pending: RefCell::new(Vec::new()),
            scheduled: Cell::new(false),
            deferred: Cell::new(None),
            last_flush_ms: Cell::new(f64::NEG_INFINITY),
            may_defer: worker_clock && super::clock::uses_worker(),
        });
        Ok(Self { ws, outbox, _on_open: on_open, _on_message: on_message, _on_error: on_error, _on_close: on_close })
    }

    /// Queues bytes for the socket: they leave, with everything else sent in this task, as one
    /// WebSocket message at the next microtask. Fails only when the socket is not open.
    pub fn send(&self, bytes: &[u8]) -> Result<(), ClientError> {
        if self.ws.ready_state() != WebSocket::OPEN {
            return Err(ClientError::NotConnected);
        }
        let full = {
            let mut pending = self.outbox.pending.borrow_mut();
            pending.extend_from_slice(bytes);
            pending.len() >= BATCH_LIMIT
        };
        if full {
            self.outbox.flush();
        } else if !self.outbox.scheduled.replace(true) {
            // Either way the flush owns an `Rc` of the outbox, so it is safe to run after the
            // transport is gone (whose drop flushes and cancels a deferred one anyway).
            let outbox = self.outbox.clone();
            if self.outbox.may_defer && js_sys::Date::now() - self.outbox.last_flush_ms.get() < BUSY_MS {
                let weak = Rc::downgrade(&outbox);
                let id = super::clock::schedule(
                    0,
                    false,
                    Box::new(move || {
                        if let Some(o) = weak.upgrade() {
                            o.deferred.set(None);
                            o.flush();
                        }
                    }),
                );
                outbox.deferred.set(Some(id));
            } else {
                // The microtask owns its closure, freed after it runs.
                let flush = Closure::once_into_js(move || {
                    if outbox.scheduled.get() {
                        outbox.flush();
                    }
                });
                queue_microtask(flush.unchecked_ref());
            }
        }
        Ok(())
    }

    /// Bytes queued in the browser and not yet on the wire.
    pub fn buffered_amount(&self) -> u32 {
        self.ws.buffered_amount()
    }

    pub fn is_open(&self) -> bool {
        self.ws.ready_state() == WebSocket::OPEN
    }
}

#[wasm_bindgen]
extern "C" {
    #[wasm_bindgen(js_name = queueMicrotask)]
    fn queue_microtask(f: &js_sys::Function);
}

impl Drop for WebSocketTransport {
    fn drop(&mut self) {
        // What this task queued (a DISCONNECT, say) goes out before the close frame.
        self.outbox.flush();
        self.ws.set_onopen(None);
        self.ws.set_onmessage(None);
        self.ws.set_onerror(None);
        self.ws.set_onclose(None);
        let _ = self.ws.close_with_code(1000);
    }
}

pub(crate) fn js_error_text(e: &JsValue) -> String {
    e.dyn_ref::<js_sys::Error>()
        .map(|e| String::from(e.message()))
        .or_else(|| e.as_string())
        .unwrap_or_else(|| format!("{e:?}"))
}
