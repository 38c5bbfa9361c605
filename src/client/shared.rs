//! A client in the MQTT session that every tab of the origin shares for the same URL, client id and
//! credentials (docs/shared.md). The session is hosted by the npm package's `iotmqtt/shared` entry (a
//! SharedWorker, or a leader tab), whose rules are `crate::shared`'s; this is the Rust API of the
//! page's side of it, a binding to that entry's `MqttClient` (`npm/src/shared/index.ts`), which the
//! page serves (the dashboard at `shared/shared.js`, built by scripts/shared-host.sh). It moves calls
//! and events across and holds nothing else.

use std::cell::RefCell;
use std::rc::Rc;

use js_sys::{Array, Function, Object, Promise, Reflect, Uint8Array};
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::JsFuture;

use super::ListenerId;
use crate::session::router::Router;
use crate::session::{ConnectOptions, Message, ProtocolVersion, PublishProperties, QoS, SubscribeOptions};

#[wasm_bindgen(inline_js = r#"
export async function sharedOpen(module, url, options) {
  const { MqttClient } = await import(new URL(module, document.baseURI).href);
  return new MqttClient(url, options);
}
export function sharedOnMessage(c, f) {
  return c.on("message", (m) => {
    const p = m.properties;
    // MQTT 5 properties flat, the user properties as name-value pairs in their order.
    const flat = p && [p.payloadFormatIndicator, p.messageExpiryInterval, p.contentType, p.responseTopic,
      p.correlationData, Object.entries(p.userProperties ?? {}).flatMap(([k, v]) => (Array.isArray(v) ? v : [v]).map((x) => [k, x])),
      p.subscriptionIdentifiers ?? []];
    f(m.topic, m.payload, [m.qos, m.retain, m.dup], flat);
  });
}
const stateArgs = (s, f) => f(s.type, s.attempt ?? 0, s.delayMs ?? 0, s.error?.code ?? "", s.error?.message ?? "");
export const sharedOnState = (c, f) => c.on("state", (s) => stateArgs(s, f));
export const sharedState = (c, f) => stateArgs(c.state, f);
export const sharedOnTabs = (c, f) => c.on("tabs", f);
export const sharedConnect = (c) => c.connect();
export const sharedPublish = (c, topic, payload, qos, retain, properties) =>
  c.publish(topic, payload, properties ? { qos, retain, properties } : { qos, retain });
export function sharedSubscribe(c, filter, qos, noLocal, retainAsPublished, retainHandling, identifier) {
  // Only what is asked: an MQTT 3.1.1 session refuses any MQTT 5 option but Retain Handling.
  const o = { qos };
  if (noLocal) o.noLocal = true;
  if (retainAsPublished) o.retainAsPublished = true;
  if (retainHandling) o.retainHandling = retainHandling;
  if (identifier !== undefined) o.subscriptionIdentifier = identifier;
  return c.subscribe(filter, o);
}
export const sharedUnsubscribe = (c, filter) => c.unsubscribe(filter);
export const sharedClose = (c) => c.close();
export const sharedTabs = (c) => c.tabs;
export const sharedLease = (c, topic) => c.lease(topic);
export const sharedRelease = (c, topic) => c.release(topic);
export const sharedHolder = (c, topic) => c.holder(topic);
export const sharedNumber = (c) => c.host * 2 ** 32 + c.tab;
export const errorCode = (e) => String(e?.code ?? "SHARED_HOST_FAILED");
export const errorMessage = (e) => String(e?.message ?? e);
export const errorField = (e) => (typeof e?.field === "string" ? e.field : undefined);
"#)]
extern "C" {
    #[wasm_bindgen(js_name = sharedOpen)]
    fn shared_open(module: &str, url: &str, options: &Object) -> Promise;
    #[wasm_bindgen(js_name = sharedOnMessage)]
    fn shared_on_message(c: &JsValue, f: &Function) -> Function;
    #[wasm_bindgen(js_name = sharedState)]
    fn shared_state(c: &JsValue, f: &mut dyn FnMut(JsValue, JsValue, JsValue, JsValue, JsValue));
    #[wasm_bindgen(js_name = sharedOnState)]
    fn shared_on_state(c: &JsValue, f: &Function) -> Function;
    #[wasm_bindgen(js_name = sharedOnTabs)]
    fn shared_on_tabs(c: &JsValue, f: &Function) -> Function;
    #[wasm_bindgen(js_name = sharedConnect, catch)]
    fn shared_connect(c: &JsValue) -> Result<Promise, JsValue>;
    #[wasm_bindgen(js_name = sharedPublish, catch)]
    fn shared_publish(
        c: &JsValue,
        topic: &str,
        payload: &Uint8Array,
        qos: u8,
        retain: bool,
        properties: Option<Object>,
    ) -> Result<Promise, JsValue>;
    #[wasm_bindgen(js_name = sharedSubscribe, catch)]
    fn shared_subscribe(
        c: &JsValue,
        filter: &str,
        qos: u8,
        no_local: bool,
        retain_as_published: bool,
        retain_handling: u8,
        identifier: Option<u32>,
    ) -> Result<Promise, JsValue>;
    #[wasm_bindgen(js_name = sharedUnsubscribe, catch)]
    fn shared_unsubscribe(c: &JsValue, filter: &str) -> Result<Promise, JsValue>;
    #[wasm_bindgen(js_name = sharedClose)]
    fn shared_close(c: &JsValue);
    #[wasm_bindgen(js_name = sharedTabs)]
    fn shared_tabs(c: &JsValue) -> u32;
    #[wasm_bindgen(js_name = sharedLease, catch)]
    fn shared_lease(c: &JsValue, topic: &str) -> Result<Promise, JsValue>;
    #[wasm_bindgen(js_name = sharedRelease)]
    fn shared_release(c: &JsValue, topic: &str);
    #[wasm_bindgen(js_name = sharedHolder, catch)]
    fn shared_holder(c: &JsValue, topic: &str) -> Result<Promise, JsValue>;
    #[wasm_bindgen(js_name = sharedNumber)]
    fn shared_number(c: &JsValue) -> f64;
    #[wasm_bindgen(js_name = errorCode)]
    fn error_code(e: &JsValue) -> String;
    #[wasm_bindgen(js_name = errorMessage)]
    fn error_message(e: &JsValue) -> String;
    #[wasm_bindgen(js_name = errorField)]
    fn error_field(e: &JsValue) -> Option<String>;
}

pub use crate::error::SharedClientError;

fn from_js(e: &JsValue) -> SharedClientError {
    SharedClientError { code: error_code(e), message: error_message(e), field: error_field(e) }
}

/// Where the shared session's connection stands, as this tab sees it.
#[derive(Debug, Clone, PartialEq)]
pub enum SharedState {
    Idle,
    Connecting,
    Connected,
    Reconnecting {
        attempt: u32,
        delay_ms: u64,
        reason: SharedClientError,
    },
    /// This tab left the session (`DISCONNECTED`), or the connection ended.
    Disconnected(SharedClientError),
    Closed,
}

/// A route's handler (`on_route`).
type Route = Rc<dyn Fn(&Message)>;

/// A listener as the JS side calls it: up to five arguments (the message's or the state's fields).
type Listener = Closure<dyn FnMut(JsValue, JsValue, JsValue, JsValue, JsValue)>;

pub(super) struct Inner {
    js: JsValue,
    /// The session's MQTT version, in whose codes its refusals are read.
    version: ProtocolVersion,
    /// The listeners' ids and closures, and the functions that take them off the JS client.
    listeners: RefCell<Vec<(u64, Function, Listener)>>,
    next_listener: std::cell::Cell<u64>,
    /// The routes by filter (`on_route`), all served by one message listener, once `routing`.
    routes: RefCell<Router<Route>>,
    routing: std::cell::Cell<bool>,
}

impl Drop for Inner {
    fn drop(&mut self) {
        for (_, off, _) in self.listeners.take() {
            let _ = off.call0(&JsValue::NULL);
        }
    }
}

/// A client of the origin's shared session. Clones are the same client.
#[derive(Clone)]
pub struct SharedClient {
    pub(super) inner: Rc<Inner>,
}

/// The generic client's options for the session: its version, client id, credentials, keepalive
/// and will. Two tabs naming the same URL, client id and credentials with another of these get
/// `SHARED_OPTIONS_DIFFER`.
fn options(o: &ConnectOptions) -> Object {
    let js = Object::new();
    let set = |obj: &Object, key: &str, value: JsValue| {
        let _ = Reflect::set(obj, &key.into(), &value);
    };
    set(&js, "version", (if o.version == ProtocolVersion::V5 { "5" } else { "3.1.1" }).into());
    set(&js, "clientId", o.client_id.as_str().into());
    if let Some(u) = &o.username {
        set(&js, "username", u.as_str().into());
    }
    if let Some(p) = &o.password {
        set(&js, "password", p.as_str().into());
    }
    set(&js, "keepaliveSecs", o.keepalive_secs.into());
    if let Some(w) = &o.will {
        let will = Object::new();
        set(&will, "topic", w.topic.as_str().into());
        set(&will, "payload", Uint8Array::from(w.payload.as_slice()).into());
        set(&will, "qos", (w.qos as u8).into());
        set(&will, "retain", w.retain.into());
        set(&js, "will", will.into());
    }
    js
}

/// A publish's MQTT 5 properties as the JS client takes them (`PublishProperties` of
/// npm/src/types.ts): a name that repeats holds its values in a list, in their order.
fn publish_properties(p: &PublishProperties) -> Object {
    let js = Object::new();
    let set = |key: &str, value: JsValue| {
        let _ = Reflect::set(&js, &key.into(), &value);
    };
    if let Some(f) = p.payload_format_indicator {
        set("payloadFormatIndicator", f.into());
    }
    if let Some(e) = p.message_expiry_interval {
        set("messageExpiryInterval", e.into());
    }
    if let Some(t) = &p.content_type {
        set("contentType", t.as_str().into());
    }
    if let Some(t) = &p.response_topic {
        set("responseTopic", t.as_str().into());
    }
    if let Some(d) = &p.correlation_data {
        set("correlationData", Uint8Array::from(d.as_slice()).into());
    }
    if !p.user_properties.is_empty() {
        let users = Object::new();
        for (name, value) in &p.user_properties {
            let key = JsValue::from_str(name);
            let values = Reflect::get(&users, &key).ok().filter(|v| !v.is_undefined());
            let values = values.map(|v| Array::from(&v)).unwrap_or_default();
            values.push(&value.as_str().into());
            let _ = Reflect::set(&users, &key, &values);
        }
        set("userProperties", users.into());
    }
    js
}

/// A received message's properties, flattened by `sharedOnMessage`, and its Subscription Identifiers.
fn message_properties(flat: &JsValue) -> (PublishProperties, Vec<u32>) {
    if flat.is_undefined() || flat.is_null() {
        return (PublishProperties::default(), Vec::new());
    }
    let flat = Array::from(flat);
    let text = |i: u32| flat.get(i).as_string();
    let pairs = Array::from(&flat.get(5));
    let properties = PublishProperties {
        payload_format_indicator: flat.get(0).as_bool(),
        message_expiry_interval: flat.get(1).as_f64().map(|e| e as u32),
        content_type: text(2),
        response_topic: text(3),
        correlation_data: flat.get(4).dyn_into::<Uint8Array>().ok().map(|d| d.to_vec()),
        user_properties: pairs
            .iter()
            .map(|pair| {
                let pair = Array::from(&pair);
                (pair.get(0).as_string().unwrap_or_default(), pair.get(1).as_string().unwrap_or_default())
            })
            .collect(),
    };
    let identifiers = Array::from(&flat.get(6)).iter().filter_map(|i| i.as_f64()).map(|i| i as u32).collect();
    (properties, identifiers)
}

async fn settle(started: Result<Promise, JsValue>) -> Result<JsValue, SharedClientError> {
    let promise = started.map_err(|e| from_js(&e))?;
    JsFuture::from(promise).await.map_err(|e| from_js(&e))
}

impl SharedClient {
    /// Loads the page's side of the shared session from `module` (a URL relative to the page) and
    /// makes a client for `url` in the session of every tab naming the same URL, client id and
    /// credentials. A bad option, or a host that cannot start, fails here or at `connect`.
    pub async fn open(module: &str, url: &str, connect: &ConnectOptions) -> Result<Self, SharedClientError> {
        let js = JsFuture::from(shared_open(module, url, &options(connect))).await.map_err(|e| from_js(&e))?;
        let version = connect.version;
        let (listeners, routes) = (RefCell::default(), RefCell::new(Router::new()));
        let inner =
            Inner { js, version, listeners, next_listener: Default::default(), routes, routing: Default::default() };
        Ok(Self { inner: Rc::new(inner) })
    }

    /// Joins the session's connection (the host connects it for the first tab).
    pub async fn connect(&self) -> Result<(), SharedClientError> {
        settle(shared_connect(&self.inner.js)).await.map(|_| ())
    }

    /// Resolves on the broker's PUBACK or PUBCOMP for this tab's publish (at once for QoS 0). MQTT 5
    /// properties go with it on an MQTT 5 session; the host refuses them on 3.1.1 (`INVALID_OPTION`).
    pub async fn publish(
        &self,
        topic: &str,
        payload: &[u8],
        qos: QoS,
        retain: bool,
        properties: &PublishProperties,
    ) -> Result<(), SharedClientError> {
        let properties = (!properties.is_empty()).then(|| publish_properties(properties));
        let sent = shared_publish(&self.inner.js, topic, &Uint8Array::from(payload), qos as u8, retain, properties);
        settle(sent).await.map(|_| ())
    }

    /// This tab's interest in `filter`; the broker sees a SUBSCRIBE for the session's first, and for
    /// this tab when another holds the filter, for the retained messages it is owed, which come to
    /// it alone (`crate::shared::interest`).
    pub async fn subscribe(&self, filter: &str, qos: QoS) -> Result<QoS, SharedClientError> {
        self.subscribe_with(filter, SubscribeOptions::qos(qos), None).await
    }

    /// MQTT 5: `subscribe` with options. No Local, Retain As Published and Retain Handling are the
    /// filter's, set by its first interest (another tab asking for others gets
    /// `SHARED_OPTIONS_DIFFER`); the Subscription Identifier is this tab's own, carried by the
    /// messages its subscriptions match (docs/shared.md).
    pub async fn subscribe_with(
        &self,
        filter: &str,
        options: SubscribeOptions,
        identifier: Option<u32>,
    ) -> Result<QoS, SharedClientError> {
        let o = options;
        let sent = shared_subscribe(
            &self.inner.js,
            filter,
            o.qos as u8,
            o.no_local,
            o.retain_as_published,
            o.retain_handling as u8,
            identifier,
        );
        let granted = settle(sent).await?;
        let refused = || SharedClientError {
            code: "SUBSCRIBE_REFUSED".into(),
            message: format!("the broker refused {filter:?}"),
            field: None,
        };
        granted.as_f64().and_then(|q| QoS::try_from(q as u8).ok()).ok_or_else(refused)
    }

    /// Takes this tab's interest in `filter` away; the broker sees an UNSUBSCRIBE for the last.
    pub async fn unsubscribe(&self, filter: &str) -> Result<(), SharedClientError> {
        settle(shared_unsubscribe(&self.inner.js, filter)).await.map(|_| ())
    }

    /// The session's MQTT version.
    pub fn version(&self) -> ProtocolVersion {
        self.inner.version
    }

    /// How many clients (tabs) share the session now.
    pub fn tabs(&self) -> u32 {
        shared_tabs(&self.inner.js)
    }

    /// For the platform clients: resolves when it is this tab's turn on `topic` among the session's
    /// tabs (`src/shared/lease.rs`), one tab at a time in the order they asked; `release` gives it
    /// back. Fails when the session cannot give it (this tab left the session).
    pub async fn lease(&self, topic: &str) -> Result<(), SharedClientError> {
        settle(shared_lease(&self.inner.js, topic)).await.map(drop)
    }

    /// Gives back this tab's turn on `topic`, or its place while it waits.
    pub fn release(&self, topic: &str) {
        shared_release(&self.inner.js, topic);
    }

    /// Which tab holds the turn `topic` now (its number in the host; 0 for none).
    pub async fn holder(&self, topic: &str) -> Result<u32, SharedClientError> {
        let holder = settle(shared_holder(&self.inner.js, topic)).await?;
        Ok(holder.as_f64().unwrap_or(0.0) as u32)
    }

    /// This tab's number in the session's host (from 1; 0 before it joined), and which host that is
    /// (1, and one more at each leader's greeting): a platform client numbers its requests in it.
    pub fn number(&self) -> (u32, u32) {
        let n = shared_number(&self.inner.js) as u64;
        (n as u32, (n >> 32) as u32)
    }

    /// Every message that reaches this tab: those its subscriptions match, once each.
    pub fn on_message(&self, f: impl Fn(&Message) + 'static) -> ListenerId {
        self.listen(shared_on_message, message_listener(f))
    }
}

/// A state as `sharedOnState` and `sharedState` give it: its type, a reconnect's attempt and delay,
/// and an error's code and words.
fn state_of(kind: JsValue, attempt: JsValue, delay: JsValue, code: JsValue, message: JsValue) -> SharedState {
    let error = SharedClientError {
        code: code.as_string().unwrap_or_default(),
        message: message.as_string().unwrap_or_default(),
        field: None,
    };
    match kind.as_string().as_deref() {
        Some("connecting") => SharedState::Connecting,
        Some("connected") => SharedState::Connected,
        Some("reconnecting") => SharedState::Reconnecting {
            attempt: attempt.as_f64().unwrap_or(0.0) as u32,
            delay_ms: delay.as_f64().unwrap_or(0.0) as u64,
            reason: error,
        },
        Some("disconnected") => SharedState::Disconnected(error),
        Some("closed") => SharedState::Closed,
        _ => SharedState::Idle,
    }
}

/// A JS message listener's arguments (`sharedOnMessage`) read into a `Message` for `f`.
fn message_listener(f: impl Fn(&Message) + 'static) -> impl FnMut(JsValue, JsValue, JsValue, JsValue, JsValue) {
    move |topic, payload, flags, properties, _| {
        let flags = Array::from(&flags);
        let (properties, subscription_identifiers) = message_properties(&properties);
        let message = Message {
            topic: topic.as_string().unwrap_or_default(),
            payload: payload.dyn_into::<Uint8Array>().map(|p| p.to_vec()).unwrap_or_default(),
            qos: flags.get(0).as_f64().and_then(|q| QoS::try_from(q as u8).ok()).unwrap_or(QoS::AtMostOnce),
            retain: flags.get(1).is_truthy(),
            dup: flags.get(2).is_truthy(),
            properties,
            subscription_identifiers,
        };
        f(&message);
    }
}

impl SharedClient {
    /// Every change of the session's state, as this tab sees it.
    pub fn on_state(&self, f: impl Fn(SharedState) + 'static) -> ListenerId {
        self.listen(shared_on_state, move |kind, attempt, delay, code, message| {
            f(state_of(kind, attempt, delay, code, message))
        })
    }

    /// Where the session's connection stands now, as this tab sees it.
    pub fn state(&self) -> SharedState {
        let mut state = SharedState::Idle;
        shared_state(&self.inner.js, &mut |kind, attempt, delay, code, message| {
            state = state_of(kind, attempt, delay, code, message)
        });
        state
    }

    /// How many tabs share the session, each time that changes.
    pub fn on_tabs(&self, f: impl Fn(u32) + 'static) -> ListenerId {
        self.listen(shared_on_tabs, move |n, _, _, _, _| f(n.as_f64().unwrap_or(0.0) as u32))
    }

    /// Calls `f` for this tab's messages whose topic matches `filter` (MQTT matching rules).
    /// Routing only: subscribe separately. Every route is served by one listener, which reads each
    /// message once.
    pub fn on_route(&self, filter: &str, f: impl Fn(&Message) + 'static) -> ListenerId {
        if !self.inner.routing.replace(true) {
            // The routes' listener holds the client weakly: the client holds it.
            let weak = Rc::downgrade(&self.inner);
            self.listen(
                shared_on_message,
                message_listener(move |m: &Message| {
                    let Some(inner) = weak.upgrade() else { return };
                    let routes: Vec<Route> = inner.routes.borrow().matching(&m.topic).cloned().collect();
                    for route in routes {
                        route(m);
                    }
                }),
            );
        }
        ListenerId::Route(self.inner.routes.borrow_mut().add(filter, Rc::new(f)))
    }

    /// Takes a listener off; `false` when it was not this client's (any more).
    pub fn remove_listener(&self, id: ListenerId) -> bool {
        let id = match id {
            ListenerId::Route(route) => return self.inner.routes.borrow_mut().remove(route),
            ListenerId::Shared(id) => id,
            _ => return false,
        };
        let mut listeners = self.inner.listeners.borrow_mut();
        let Some(at) = listeners.iter().position(|(l, _, _)| *l == id) else { return false };
        let (_, off, closure) = listeners.remove(at);
        drop(listeners);
        let _ = off.call0(&JsValue::NULL);
        // A listener may take itself off while it runs: its closure goes after this call returns.
        crate::transport::drop_later(closure);
        true
    }

    fn listen(
        &self,
        on: fn(&JsValue, &Function) -> Function,
        f: impl FnMut(JsValue, JsValue, JsValue, JsValue, JsValue) + 'static,
    ) -> ListenerId {
        let closure = Listener::new(f);
        let off = on(&self.inner.js, closure.as_ref().unchecked_ref());
        let id = self.inner.next_listener.get() + 1;
        self.inner.next_listener.set(id);
        self.inner.listeners.borrow_mut().push((id, off, closure));
        ListenerId::Shared(id)
    }

    /// Leaves the session: this tab's subscriptions go, and the last tab's leaving closes the
    /// connection. Listeners are dropped.
    pub fn close(&self) {
        shared_close(&self.inner.js);
        for (_, off, _) in self.inner.listeners.take() {
            let _ = off.call0(&JsValue::NULL);
        }
    }
}
