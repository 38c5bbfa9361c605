//! Generic MQTT: subscriptions with a colour and QoS, publishing in four payload forms, a bounded
//! message log and a chart of one numeric JSON field. Messages are only recorded here; the page
//! redraws once per frame however fast they come.

use std::cell::{Cell, RefCell};
use std::rc::Rc;

use crate::json::Value;

use super::payload::{encode, number_at, PayloadFormat};
use crate::app::error::AppError;
use crate::app::hooks::{now_ms, Redraw, Ring};
use crate::chart::SeriesSet;
use crate::client::Link;
use crate::error::{ClientError, SessionError};
use crate::history::export::Entry;
use crate::history::{Export, HistoryFilter, PayloadForm, TopicTree};
use crate::session::reason::ReasonCode;
use crate::session::topic::topic_matches;
use crate::{AckPacket, Acknowledged};
use crate::{Message, Outgoing, ProtocolVersion, PublishProperties, QoS, SubscribeOptions};

/// Messages the history keeps per connection; the list draws only the rows in view.
pub const LOG_CAPACITY: usize = 50_000;
/// Megabytes the history keeps at most (payloads, their text and topics), so that large payloads
/// leave fewer messages kept instead of exhausting the tab's memory; `?historyMB=` in the page's
/// address sets another bound.
pub fn log_megabytes() -> usize {
    super::profiles::query_param("historyMB").and_then(|s| s.parse().ok()).filter(|n| *n > 0).unwrap_or(64)
}
/// Topic levels the topic tree keeps; messages on topics past it are only counted.
const TREE_LIMIT: usize = 20_000;
/// Chart series: one per JSON path charted, so a new path keeps the old one's line.
const CHART_SERIES: usize = 6;
const PALETTE: [&str; 6] = ["#2f7de1", "#e8590c", "#2b8a3e", "#c2255c", "#7048e8", "#0b7285"];

#[derive(Debug, Clone, PartialEq)]
pub struct LogLine {
    pub seq: u64,
    pub at: f64,
    pub topic: String,
    /// The payload as text (binary shown as hex): always rendered as a text node. Shared, so the
    /// rows drawn each frame are not copies of their payloads.
    pub text: Rc<str>,
    /// The payload's bytes, for the detail view and exports.
    pub payload: Rc<[u8]>,
    pub qos: QoS,
    pub retain: bool,
    pub color: Option<String>,
    /// MQTT 5 properties as labelled rows (`message_properties::rows`), empty when none.
    pub properties: Vec<(String, String)>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct SubscriptionRow {
    pub filter: String,
    /// The QoS asked and, on MQTT 5, No Local, Retain As Published and Retain Handling.
    pub options: SubscribeOptions,
    pub identifier: Option<u32>,
    pub color: String,
    /// `None` while the SUBACK is awaited.
    pub granted: Option<Result<QoS, String>>,
}

/// Messages per second over the last second.
#[derive(Debug, Default)]
pub struct RateMeter {
    window_start: f64,
    count: u64,
    /// When the last message came.
    last: f64,
    pub per_second: f64,
}

impl RateMeter {
    /// Messages per second now: the last full second's count, and 0 once a second has passed
    /// without any (issue 22, point 8: it kept showing the last rate after the stream ended).
    pub fn current(&self, now: f64) -> f64 {
        match now - self.last >= 1_000.0 {
            true => 0.0,
            false => self.per_second,
        }
    }

    fn tick(&mut self, now: f64) {
        self.count += 1;
        self.last = now;
        let elapsed = now - self.window_start;
        if elapsed >= 1000.0 {
            self.per_second = self.count as f64 * 1000.0 / elapsed;
            self.window_start = now;
            self.count = 0;
        }
    }
}

pub struct GenericStore {
    pub log: RefCell<Ring<LogLine>>,
    /// What the history's lines hold, in bytes, and the most they may (`log_megabytes`).
    log_bytes: Cell<usize>,
    pub log_bound: usize,
    pub tree: RefCell<TopicTree>,
    pub subscriptions: RefCell<Vec<SubscriptionRow>>,
    pub chart_path: RefCell<String>,
    pub series: Rc<RefCell<SeriesSet>>,
    pub paused: Cell<bool>,
    pub hidden_while_paused: Cell<u64>,
    pub received: Cell<u64>,
    pub rate: RefCell<RateMeter>,
    /// The last publish acknowledgement that said more than "success" (MQTT 5), for the publish
    /// form's line: it comes just before the publish it answers resolves.
    said_on_publish: RefCell<Option<Acknowledged>>,
}

#[derive(Clone)]
pub struct GenericSession {
    pub link: Link,
    /// The profile's MQTT version.
    pub version: ProtocolVersion,
    pub store: Rc<GenericStore>,
    pub redraw: Redraw,
}

impl PartialEq for GenericSession {
    fn eq(&self, other: &Self) -> bool {
        Rc::ptr_eq(&self.store, &other.store)
    }
}

impl GenericSession {
    /// Wraps a client and records every message it receives.
    pub fn attach(link: Link, version: ProtocolVersion) -> Self {
        let store = Rc::new(GenericStore {
            log: RefCell::new(Ring::new(LOG_CAPACITY)),
            log_bytes: Cell::new(0),
            log_bound: log_megabytes() << 20,
            tree: RefCell::new(TopicTree::new(TREE_LIMIT)),
            subscriptions: RefCell::new(Vec::new()),
            chart_path: RefCell::new("value".into()),
            series: Rc::new(RefCell::new(SeriesSet::new(CHART_SERIES))),
            paused: Cell::new(false),
            hidden_while_paused: Cell::new(0),
            received: Cell::new(0),
            rate: RefCell::new(RateMeter::default()),
            said_on_publish: RefCell::new(None),
        });
        let redraw = Redraw::default();
        let (s, r) = (Rc::downgrade(&store), redraw.clone());
        let on_message = move |m: &Message| {
            if let Some(store) = s.upgrade() {
                record(&store, m);
                r.notify();
            }
        };
        match &link {
            Link::Own(client) => {
                client.on_any_message(on_message);
                let s = Rc::downgrade(&store);
                client.on_acknowledged(move |a| {
                    if let (Some(store), AckPacket::PubAck | AckPacket::PubRec | AckPacket::PubComp) =
                        (s.upgrade(), a.packet)
                    {
                        *store.said_on_publish.borrow_mut() = Some(a.clone());
                    }
                });
            }
            Link::Shared(client) => drop(client.on_message(on_message)),
        }
        Self { link, version, store, redraw }
    }

    /// Whether the publish form offers MQTT 5's message properties: on an MQTT 5 connection.
    pub fn v5_properties(&self) -> bool {
        self.version == ProtocolVersion::V5
    }

    /// Whether the subscribe form offers MQTT 5's subscription options: on an MQTT 5 connection, its
    /// own or the shared session (whose filters' options are their first tab's).
    pub fn v5_subscription_options(&self) -> bool {
        self.v5_properties()
    }

    /// Disconnects (or leaves the shared session) and frees what the connection holds.
    pub fn close(&self) {
        self.link.close();
    }

    /// Subscribes to `filter` with its options and (MQTT 5) a Subscription Identifier, which the
    /// messages it matches carry.
    pub async fn subscribe(
        &self,
        filter: &str,
        options: SubscribeOptions,
        identifier: Option<u32>,
    ) -> Result<(), AppError> {
        crate::session::topic::validate_topic_filter(filter).map_err(|e| AppError::input("filter", e.to_string()))?;
        {
            let mut subs = self.store.subscriptions.borrow_mut();
            if subs.iter().any(|s| s.filter == filter) {
                return Err(AppError::input("filter", format!("{filter:?} is already subscribed")));
            }
            let color = PALETTE[subs.len() % PALETTE.len()].to_string();
            subs.push(SubscriptionRow { filter: filter.to_owned(), options, identifier, color, granted: None });
        }
        self.redraw.notify();
        let result: Result<QoS, AppError> = match &self.link {
            Link::Own(c) => match c.subscribe_with(&[(filter.to_owned(), options)], identifier).await {
                Ok(mut granted) => granted.pop().unwrap_or(Err(ClientError::Session(SessionError::ConnectionLost))),
                Err(e) => Err(e),
            }
            .map_err(AppError::from),
            Link::Shared(c) => c.subscribe_with(filter, options, identifier).await.map_err(AppError::from),
        };
        let mut subs = self.store.subscriptions.borrow_mut();
        match &result {
            // Refused before anything was sent (the identifier's range, an option the broker's
            // CONNACK refuses): no row, and the error at its field.
            Err(AppError::Client(ClientError::Session(SessionError::InvalidOption { .. }))) => {
                subs.retain(|s| s.filter != filter)
            }
            // The shared session refused it before counting an interest (an option, or another
            // option than the filter's first tab asked for): no row either.
            Err(AppError::Shared(e)) if e.code == "INVALID_OPTION" || e.code == "SHARED_OPTIONS_DIFFER" => {
                subs.retain(|s| s.filter != filter)
            }
            _ => {
                if let Some(row) = subs.iter_mut().find(|s| s.filter == filter) {
                    row.granted = Some(result.clone().map_err(|e| e.to_string()));
                }
            }
        }
        drop(subs);
        self.redraw.notify();
        result.map(|_| ()).map_err(|e| match e {
            e if e.field().is_some() => e,
            e => AppError::input("filter", e.to_string()),
        })
    }

    pub async fn unsubscribe(&self, filter: &str) -> Result<(), AppError> {
        self.store.subscriptions.borrow_mut().retain(|s| s.filter != filter);
        self.redraw.notify();
        match &self.link {
            Link::Own(c) => drop(c.unsubscribe(&[filter.to_owned()]).await?),
            Link::Shared(c) => c.unsubscribe(filter).await?,
        }
        Ok(())
    }

    pub fn set_color(&self, filter: &str, color: String) {
        if let Some(row) = self.store.subscriptions.borrow_mut().iter_mut().find(|s| s.filter == filter) {
            row.color = color;
        }
        self.redraw.notify();
    }

    /// Publishes; resolves with what the broker said beyond "success" (MQTT 5), or nothing.
    pub async fn publish(
        &self,
        topic: &str,
        format: PayloadFormat,
        payload: &str,
        qos: QoS,
        retain: bool,
        properties: PublishProperties,
    ) -> Result<String, AppError> {
        crate::session::topic::validate_topic_name(topic).map_err(|e| AppError::input("topic", e.to_string()))?;
        let bytes = encode(format, payload).map_err(|e| AppError::input("payload", e))?;
        self.store.said_on_publish.take();
        match &self.link {
            Link::Own(c) => {
                c.publish(Outgoing::new(topic, bytes).qos(qos).retain(retain).properties(properties)).await?
            }
            Link::Shared(c) => c.publish(topic, &bytes, qos, retain, &properties).await?,
        }
        // What the broker said with this publish's acknowledgement, if it said more than "success".
        let said = self.store.said_on_publish.take().filter(|a| a.subjects.iter().any(|s| s == topic));
        Ok(said.map(|a| broker_said(&a)).unwrap_or_default())
    }

    /// Charts another JSON path from now on; the old path's line stays, with its own band and
    /// legend entry (issue 22, point 8: a new path used to wipe the chart).
    pub fn set_chart_path(&self, path: String) {
        *self.store.chart_path.borrow_mut() = path;
        self.redraw.notify();
    }

    pub fn set_paused(&self, paused: bool) {
        self.store.paused.set(paused);
        self.store.hidden_while_paused.set(0);
        self.redraw.notify();
    }

    pub fn clear(&self) {
        self.store.log.borrow_mut().clear();
        self.store.log_bytes.set(0);
        self.store.tree.borrow_mut().clear();
        self.store.series.borrow_mut().clear();
        self.redraw.notify();
    }
}

impl GenericStore {
    /// The `count` lines a filter lets through from the `start`th, newest first, and how many it
    /// lets through in all.
    pub fn window(&self, filter: &HistoryFilter, start: usize, count: usize) -> (Vec<LogLine>, usize) {
        let log = self.log.borrow();
        if filter.is_empty() {
            return (log.newest().skip(start).take(count).cloned().collect(), log.len());
        }
        let mut total = 0;
        let mut lines = Vec::new();
        for line in log.newest().filter(|l| filter.admits(&l.topic, &l.text)) {
            if total >= start && lines.len() < count {
                lines.push(line.clone());
            }
            total += 1;
        }
        (lines, total)
    }

    /// The line numbered `seq`, while the history keeps it.
    pub fn line(&self, seq: u64) -> Option<LogLine> {
        // Numbered in order, oldest first: found by halving, not by a scan of 50,000 per frame.
        let log = self.log.borrow();
        log.get(log.partition_point(|l| l.seq < seq)).filter(|l| l.seq == seq).cloned()
    }

    /// The lines a filter lets through as a file, oldest first.
    pub fn export(&self, filter: &HistoryFilter, format: Export, form: PayloadForm) -> String {
        let log = self.log.borrow();
        let entries = log.iter().filter(|l| filter.admits(&l.topic, &l.text)).map(|l| Entry {
            at: l.at,
            topic: &l.topic,
            qos: l.qos as u8,
            retain: l.retain,
            payload: &l.payload,
        });
        format.write(entries, form)
    }
}

fn record(store: &GenericStore, m: &Message) {
    let now = now_ms();
    store.received.set(store.received.get() + 1);
    store.rate.borrow_mut().tick(now);
    let path = store.chart_path.borrow();
    if !path.is_empty() {
        if let Ok(v) = serde_json::from_slice::<Value>(&m.payload) {
            if let Some(n) = number_at(&v, &path) {
                store.series.borrow_mut().push(&path, now, n);
            }
        }
    }
    if store.paused.get() {
        store.hidden_while_paused.set(store.hidden_while_paused.get() + 1);
        return;
    }
    let color =
        store.subscriptions.borrow().iter().find(|s| topic_matches(&s.filter, &m.topic)).map(|s| s.color.clone());
    let text = match std::str::from_utf8(&m.payload) {
        Ok(t) => t.to_owned(),
        Err(_) => format!("(binary, hex) {}", crate::platforms::things_stack::payload::bytes_to_hex(&m.payload)),
    };
    store.tree.borrow_mut().record(&m.topic, now, &text);
    let text: Rc<str> = Rc::from(text);
    let mut log = store.log.borrow_mut();
    let seq = log.total();
    let properties = super::message_properties::rows(m);
    let payload = Rc::from(m.payload.as_slice());
    let line = LogLine {
        seq,
        at: now,
        topic: m.topic.clone(),
        text,
        payload,
        qos: m.qos,
        retain: m.retain,
        color,
        properties,
    };
    let mut bytes = store.log_bytes.get() + line_bytes(&line);
    if let Some(old) = log.push(line) {
        bytes -= line_bytes(&old);
    }
    // Past the byte bound the oldest lines go too; the newest always stays.
    while bytes > store.log_bound && log.len() > 1 {
        bytes -= log.pop_oldest().map_or(0, |old| line_bytes(&old));
    }
    store.log_bytes.set(bytes);
}

/// An acknowledgement's words as the publish form shows them: "the broker: 0x10 No matching
/// subscribers ("reason")".
fn broker_said(a: &Acknowledged) -> String {
    let code = a.codes.iter().find(|c| **c != 0).map(|c| format!(" {}", ReasonCode(*c))).unwrap_or_default();
    let words = a.words.reason_string.as_deref().map(|r| format!(" ({})", crate::json::quoted(r))).unwrap_or_default();
    format!(" · the broker:{code}{words}")
}

/// What a line holds, for the history's byte bound.
fn line_bytes(line: &LogLine) -> usize {
    line.payload.len() + line.text.len() + line.topic.len()
}
