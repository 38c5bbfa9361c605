//! One browser WebSocket carrying MQTT: subprotocol `mqtt` (plus `binary` for websockify bridges),
//! binary type arraybuffer, `ws://` or `wss://`. Socket events are handed to one sink; the
//! handlers are detached before the closures are freed. It sends what it is given, when it is
//! given it: batching is the supervisor's decision (`supervisor::outbox`).

use std::rc::Rc;

use js_sys::{ArrayBuffer, Uint8Array};
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use web_sys::{BinaryType, CloseEvent, Event, MessageEvent, WebSocket};

use crate::error::{ClientError, SessionError};

#[derive(Debug, Clone, PartialEq)]
pub enum TransportEvent {
    Open,
    Bytes(Vec<u8>),
    /// A text frame, which MQTT over WebSocket does not allow (MQTT-6.0.0-1).
    Text,
    /// The socket reported an error; a `Closed` always follows.
    Error,
    Closed {
        code: u16,
        reason: String,
    },
}

pub struct WebSocketTransport {
    ws: WebSocket,
    _on_open: Closure<dyn FnMut(Event)>,
    _on_message: Closure<dyn FnMut(MessageEvent)>,
    _on_error: Closure<dyn FnMut(Event)>,
    _on_close: Closure<dyn FnMut(CloseEvent)>,
}

impl WebSocketTransport {
    /// Opens the socket; events go to `sink` until the transport is dropped.
    pub fn open(url: &str, protocols: &[String], sink: Rc<dyn Fn(TransportEvent)>) -> Result<Self, ClientError> {
        let offered: js_sys::Array = protocols.iter().map(|p| wasm_bindgen::JsValue::from_str(p)).collect();
        let ws = WebSocket::new_with_str_sequence(url, &offered).map_err(|e| {
            ClientError::Session(SessionError::InvalidOption { field: "url", reason: js_error_text(&e) })
        })?;
        ws.set_binary_type(BinaryType::Arraybuffer);

        let s = sink.clone();
        let on_open = Closure::<dyn FnMut(Event)>::new(move |_| s(TransportEvent::Open));
        let s = sink.clone();
        let on_message = Closure::<dyn FnMut(MessageEvent)>::new(move |e: MessageEvent| {
            // MQTT over WebSocket is binary only (MQTT 5.0 §6): a text frame ends the connection.
            match e.data().dyn_into::<ArrayBuffer>() {
                Ok(buf) => s(TransportEvent::Bytes(Uint8Array::new(&buf).to_vec())),
                Err(_) => s(TransportEvent::Text),
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
        Ok(Self { ws, _on_open: on_open, _on_message: on_message, _on_error: on_error, _on_close: on_close })
    }

    /// Writes one WebSocket message; a socket that is not open drops it, as the browser would.
    pub fn send(&self, bytes: &[u8]) {
        if self.ws.ready_state() == WebSocket::OPEN {
            let _ = self.ws.send_with_u8_array(bytes);
        }
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
    pub fn queue_microtask(f: &js_sys::Function);
}

impl Drop for WebSocketTransport {
    fn drop(&mut self) {
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
