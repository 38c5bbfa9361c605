//! `MqttClient` for JavaScript: the Rust client behind camelCase methods returning Promises,
//! options as plain objects, payloads as text, bytes or JSON, and `on(event, fn)` listeners.

use std::cell::RefCell;
use std::rc::Rc;

use super::promise;
use js_sys::{Array, Function};
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;

use super::errors::{js, option_error};
use super::listeners::{self, Listeners, SharedListeners};
use super::options::plain_object;
pub(crate) use super::options::{bool_field, client_options, qos_field};
use super::payload::{get, list, payload_bytes, Obj};
use super::types::*;
use crate::client::{ConnectionState, ListenerId, MqttClient};
use crate::session::{ConnAck, Message, Outgoing};

const EVENTS: &[&str] = &["message", "state", "error"];

/// An MQTT 3.1.1 / 5 client over one browser WebSocket.
///
/// ```ts
/// const client = new MqttClient("wss://broker.example/mqtt", { username: "u", password: "p" });
/// client.on("message", (m) => console.log(m.topic, m.text));
/// await client.connect();
/// await client.subscribe("sensors/#", { qos: 1 });
/// await client.publish("sensors/k1/temp", { celsius: 21.5 }, { qos: 1 });
/// client.close();
/// ```
#[wasm_bindgen(js_name = MqttClient)]
pub struct JsMqttClient {
    client: MqttClient,
    listeners: SharedListeners,
    /// JS functions routed by topic filter, dropped with the client's routes on `close()`.
    routes: Rc<RefCell<Vec<(ListenerId, Function)>>>,
}

#[wasm_bindgen(js_class = MqttClient)]
impl JsMqttClient {
    /// A client for `url` (`ws://` or `wss://`). Nothing is opened until `connect()`.
    /// Throws `INVALID_OPTION` (with `field`) for a bad option.
    #[wasm_bindgen(constructor)]
    pub fn new(url: String, options: Option<MqttClientOptionsTs>) -> Result<JsMqttClient, JsValue> {
        let (connect, client_options) = client_options(&options.map_or(JsValue::UNDEFINED, Into::into))?;
        let client = MqttClient::with_options(&url, connect, client_options).map_err(js)?;
        Ok(Self::wrap(client))
    }

    /// Opens the socket, sends CONNECT and resolves with the CONNACK; rejects with why it failed
    /// (`CONNACK_NOT_AUTHORIZED`, `CONNECT_TIMEOUT`, `SOCKET_ERROR`, ...).
    pub fn connect(&self) -> PromiseConnAck {
        let client = self.client.clone();
        promise(async move { client.connect().await.map(|ack| connack_js(&ack)).map_err(js) }).unchecked_into()
    }

    /// Publishes `payload` (text, bytes, or a value sent as JSON) to `topic`. QoS 0 resolves once
    /// written, QoS 1 on PUBACK, QoS 2 on PUBCOMP.
    pub fn publish(&self, topic: String, payload: Option<PayloadTs>, options: Option<PublishOptionsTs>) -> PromiseVoid {
        let prepared = (|| {
            let payload = payload_bytes(&payload.map_or(JsValue::UNDEFINED, Into::into))?;
            let options: JsValue = options.map_or(JsValue::UNDEFINED, Into::into);
            plain_object(&options, "options", &["qos", "retain"])?;
            let qos = qos_field(&options, "qos")?;
            let retain = bool_field(&options, "retain")?;
            Ok::<_, JsValue>(Outgoing::new(topic, payload).qos(qos).retain(retain))
        })();
        // Handed over now, in call order; only a QoS 1/2 publish needs a task to await its ack.
        let started = prepared.and_then(|m| self.client.start_publish(m).map_err(js));
        match started {
            Ok(None) => js_sys::Promise::resolve(&JsValue::UNDEFINED),
            Ok(Some(completion)) => promise(async move {
                completion.await.map_err(js)?;
                Ok(JsValue::UNDEFINED)
            }),
            Err(e) => js_sys::Promise::reject(&e),
        }
        .unchecked_into()
    }

    /// Subscribes to one filter; resolves with the QoS the broker granted, rejects with
    /// `SUBSCRIBE_REFUSED` when it refused.
    pub fn subscribe(&self, filter: String, options: Option<SubscribeOptionsTs>) -> PromiseQoS {
        let options: JsValue = options.map_or(JsValue::UNDEFINED, Into::into);
        let qos = plain_object(&options, "options", &["qos"]).and_then(|_| qos_field(&options, "qos"));
        let client = self.client.clone();
        promise(async move {
            let granted = client.subscribe(&filter, qos?).await.map_err(js)?;
            Ok(JsValue::from(u8::from(granted)))
        })
        .unchecked_into()
    }

    /// Subscribes to several filters in one SUBSCRIBE; one result per filter, in order.
    #[wasm_bindgen(js_name = subscribeMany)]
    pub fn subscribe_many(&self, requests: SubscriptionRequestsTs) -> PromiseSubscriptionResults {
        let parsed = (|| {
            let Some(requests) = list(&requests.into(), "requests")? else {
                return Err(option_error("requests", "expected an array of {filter, qos}"));
            };
            let mut filters = Vec::new();
            for r in requests {
                plain_object(&r, "requests", &["filter", "qos"])?;
                let filter =
                    get(&r, "filter")?.as_string().ok_or_else(|| option_error("filter", "expected a string"))?;
                filters.push((filter, qos_field(&r, "qos")?));
            }
            Ok(filters)
        })();
        let client = self.client.clone();
        promise(async move {
            let filters = parsed?;
            let results = client.subscribe_many(&filters).await.map_err(js)?;
            let out = Array::new();
            for ((filter, _), result) in filters.iter().zip(results) {
                let item = Obj::new().set("filter", filter.as_str());
                out.push(&match result {
                    Ok(q) => item.set("qos", u8::from(q)).build(),
                    Err(e) => item.set("error", js(e)).build(),
                });
            }
            Ok(out.into())
        })
        .unchecked_into()
    }

    /// Unsubscribes from one filter or several; rejects with `UNSUBSCRIBE_REFUSED` on a refusal.
    pub fn unsubscribe(&self, filters: FiltersTs) -> PromiseVoid {
        let filters: JsValue = filters.into();
        let list: Result<Vec<String>, JsValue> = match filters.as_string() {
            Some(f) => Ok(vec![f]),
            None => match list(&filters, "filters") {
                Ok(Some(items)) => items
                    .iter()
                    .map(|f| f.as_string().ok_or_else(|| option_error("filters", "expected strings")))
                    .collect(),
                Ok(None) => Err(option_error("filters", "expected a string or an array of strings")),
                Err(e) => Err(e),
            },
        };
        let client = self.client.clone();
        promise(async move {
            for result in client.unsubscribe(&list?).await.map_err(js)? {
                result.map_err(js)?;
            }
            Ok(JsValue::UNDEFINED)
        })
        .unchecked_into()
    }

    #[wasm_bindgen(skip_typescript)]
    pub fn on(&self, event: String, listener: Function) -> Result<JsValue, JsValue> {
        let event = listeners::event_name(&event, EVENTS)?;
        Ok(listeners::add(&self.listeners, event, listener))
    }

    /// Calls `listener` for messages whose topic matches `filter` (`+` and `#` wildcards). Routing
    /// only: subscribe separately. Returns the function that removes it.
    #[wasm_bindgen(js_name = onMessage)]
    pub fn on_message(&self, filter: String, listener: MessageListenerTs) -> Result<UnsubscribeTs, JsValue> {
        let f: Function = listener.unchecked_into();
        let call = f.clone();
        let id = self.client.on_message(&filter, move |m| {
            let _ = call.call1(&JsValue::UNDEFINED, &message_js(m));
        });
        let id = id.map_err(js)?;
        self.routes.borrow_mut().push((id, f));
        let client = self.client.downgrade();
        let routes = Rc::downgrade(&self.routes);
        Ok(listeners::unsubscribe_fn(move || {
            if let Some(c) = client.upgrade() {
                c.remove_listener(id);
            }
            if let Some(r) = routes.upgrade() {
                r.borrow_mut().retain(|(l, _)| *l != id);
            }
        })
        .unchecked_into())
    }

    /// Sends DISCONNECT and closes the socket; `connect()` may be called again.
    pub fn disconnect(&self) {
        self.client.disconnect();
    }

    /// Disconnects and frees every listener, closure, timer and socket. The client cannot be used again.
    pub fn close(&self) {
        self.client.close();
        self.listeners.borrow_mut().clear();
        self.routes.borrow_mut().clear();
    }

    /// What is still alive, for leak checks: all zero and `socket: false` after `close()`.
    #[wasm_bindgen(js_name = liveResources)]
    pub fn live_resources(&self) -> LiveResourcesTs {
        live_resources_js(&self.client, self.listeners.borrow().len() + self.routes.borrow().len())
    }

    /// Where the connection stands.
    #[wasm_bindgen(getter)]
    pub fn state(&self) -> ConnectionStateTs {
        state_js(&self.client.state()).unchecked_into()
    }

    #[wasm_bindgen(getter)]
    pub fn connected(&self) -> bool {
        self.client.is_connected()
    }

    /// The client id sent in CONNECT (generated when none was given).
    #[wasm_bindgen(getter, js_name = clientId)]
    pub fn client_id(&self) -> String {
        self.client.client_id()
    }

    #[wasm_bindgen(getter)]
    pub fn url(&self) -> String {
        self.client.url()
    }
}

impl JsMqttClient {
    /// Wraps a Rust client and forwards its messages and state changes to the JS listeners.
    pub(crate) fn wrap(client: MqttClient) -> Self {
        let listeners: SharedListeners = Rc::new(RefCell::new(Listeners::default()));
        forward_state(&client, &listeners);
        let weak = Rc::downgrade(&listeners);
        client.on_any_message(move |m| listeners::emit_weak(&weak, "message", || message_js(m)));
        Self { client, listeners, routes: Rc::default() }
    }
}

/// Sends the client's state changes to `"state"` listeners, and a connection it gave up on to `"error"`.
pub(crate) fn forward_state(client: &MqttClient, listeners: &SharedListeners) {
    let weak = Rc::downgrade(listeners);
    client.on_state(move |s| {
        listeners::emit_weak(&weak, "state", || state_js(s));
        if let ConnectionState::Disconnected(e) = s {
            listeners::emit_weak(&weak, "error", || js(e.clone()));
        }
    });
}

pub(crate) fn live_resources_js(client: &MqttClient, listeners: usize) -> LiveResourcesTs {
    let (timers, socket) = client.live_resources();
    Obj::new()
        .set("timers", timers as u32)
        .set("socket", socket)
        .set("listeners", listeners as u32)
        .build()
        .unchecked_into()
}

pub(crate) fn connack_js(ack: &ConnAck) -> JsValue {
    Obj::new()
        .set("sessionPresent", ack.session_present)
        .opt("maximumPacketSize", ack.maximum_packet_size)
        .opt("maximumQos", ack.maximum_qos.map(u8::from))
        .opt("receiveMaximum", ack.receive_maximum)
        .opt("assignedClientId", ack.assigned_client_id.clone())
        .opt("serverKeepaliveSecs", ack.server_keepalive_secs)
        .build()
}

pub(crate) fn state_js(state: &ConnectionState) -> JsValue {
    let typed = |t: &str| Obj::new().set("type", t);
    match state {
        ConnectionState::Idle => typed("idle"),
        ConnectionState::Connecting => typed("connecting"),
        ConnectionState::Connected(ack) => typed("connected").set("connack", connack_js(ack)),
        ConnectionState::Reconnecting { attempt, delay_ms, reason } => typed("reconnecting")
            .set("attempt", *attempt)
            .set("delayMs", *delay_ms as f64)
            .set("error", js(reason.clone())),
        ConnectionState::Disconnected(e) => typed("disconnected").set("error", js(e.clone())),
        ConnectionState::Closed => typed("closed"),
    }
    .build()
}

pub(crate) fn message_js(m: &Message) -> JsValue {
    mqtt_message(&m.topic, &m.payload, u8::from(m.qos), m.retain, m.dup)
}

// Messages are built in one call on the JS side: property names are JS literals rather than strings
// made from wasm for every message, and `text` is decoded only when read.
#[wasm_bindgen(inline_js = r#"
const utf8 = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });
class MqttMessage {
  constructor(topic, payload, qos, retain, dup) {
    this.topic = topic; this.payload = payload; this.qos = qos; this.retain = retain; this.dup = dup;
  }
  get text() {
    try { return utf8.decode(this.payload); } catch { return null; }
  }
  toJSON() {
    return { topic: this.topic, payload: this.payload, text: this.text, qos: this.qos, retain: this.retain, dup: this.dup };
  }
}
export function mqttMessage(topic, view, qos, retain, dup) {
  return new MqttMessage(topic, view.slice(), qos, retain, dup);
}
"#)]
extern "C" {
    /// `view` is a view of wasm memory for the length of the call; the message keeps a copy.
    #[wasm_bindgen(js_name = mqttMessage)]
    fn mqtt_message(topic: &str, view: &[u8], qos: u8, retain: bool, dup: bool) -> JsValue;
}
