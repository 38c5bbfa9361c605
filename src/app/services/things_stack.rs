//! A The Things Stack application session: live uplinks per device (payload in every form,
//! decoded by CayenneLPP or the user's JavaScript formatter), and downlinks with their timeline.

use std::cell::RefCell;
use std::collections::BTreeSet;
use std::rc::Rc;

use crate::json::Value;
use wasm_bindgen_futures::spawn_local;

use crate::app::error::AppError;
use crate::app::hooks::{now_ms, Redraw, Ring};
use crate::platforms::things_stack::{
    ApplicationUp, CayenneLpp, DownlinkBuilder, DownlinkHandle, DownlinkStatus, EventKind, JsFormatter, Subscription,
    ThingsStackApp, ThingsStackError, ThingsStackEvent, UpMessage,
};

#[derive(Debug, Clone, PartialEq)]
pub struct UplinkRow {
    pub seq: u64,
    pub at: f64,
    pub device_id: String,
    pub f_cnt: Option<u32>,
    pub f_port: Option<u32>,
    pub rssi: Option<f64>,
    pub snr: Option<f64>,
    pub bytes: Vec<u8>,
    pub decoded: Option<Result<Value, String>>,
    pub up: Rc<ApplicationUp>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct DownlinkTrack {
    pub seq: u64,
    pub device_id: String,
    pub op: &'static str,
    pub correlation_id: String,
    pub f_port: u32,
    pub hex: String,
    pub confirmed: bool,
    /// (when, status name, detail)
    pub steps: Vec<(f64, String, Option<String>)>,
    pub done: bool,
}

pub struct TtsStore {
    pub uplinks: RefCell<Ring<UplinkRow>>,
    pub devices: RefCell<BTreeSet<String>>,
    pub events: RefCell<Ring<(f64, String, &'static str)>>,
    pub downlinks: RefCell<Ring<DownlinkTrack>>,
    pub decoder_name: RefCell<String>,
    pub errors: RefCell<Ring<String>>,
}

#[derive(Clone)]
pub struct TtsSession {
    pub app: ThingsStackApp,
    pub store: Rc<TtsStore>,
    pub redraw: Redraw,
}

impl PartialEq for TtsSession {
    fn eq(&self, other: &Self) -> bool {
        Rc::ptr_eq(&self.store, &other.store)
    }
}

/// What the downlink form holds, before validation.
#[derive(Debug, Clone, PartialEq)]
pub struct DownlinkForm {
    pub device_id: String,
    pub f_port: String,
    pub format: super::payload::PayloadFormat,
    pub payload: String,
    pub priority: String,
    pub confirmed: bool,
    pub correlation_ids: String,
}

fn kind_name(kind: EventKind) -> &'static str {
    match kind {
        EventKind::Up => "uplink",
        EventKind::UpNormalized => "normalized uplink",
        EventKind::Join => "join",
        EventKind::DownQueued => "downlink queued",
        EventKind::DownSent => "downlink sent",
        EventKind::DownAck => "downlink ack",
        EventKind::DownNack => "downlink nack",
        EventKind::DownFailed => "downlink failed",
        EventKind::DownInvalidated => "downlink invalidated",
        EventKind::LocationSolved => "location solved",
        EventKind::ServiceData => "service data",
    }
}

impl TtsSession {
    /// Subscribes to the whole application and decodes uplinks as CayenneLPP until told otherwise.
    pub async fn start(app: ThingsStackApp) -> Self {
        let session = Self {
            app: app.clone(),
            store: Rc::new(TtsStore {
                uplinks: RefCell::new(Ring::new(500)),
                devices: RefCell::new(BTreeSet::new()),
                events: RefCell::new(Ring::new(200)),
                downlinks: RefCell::new(Ring::new(100)),
                decoder_name: RefCell::new("CayenneLPP".into()),
                errors: RefCell::new(Ring::new(50)),
            }),
            redraw: Redraw::default(),
        };
        app.set_default_decoder(Rc::new(CayenneLpp));
        let (store, redraw) = (Rc::downgrade(&session.store), session.redraw.clone());
        app.on_event(move |e| {
            if let Some(store) = store.upgrade() {
                record(&store, e);
                redraw.notify();
            }
        });
        let (store, redraw) = (Rc::downgrade(&session.store), session.redraw.clone());
        app.on_error(move |e| {
            if let Some(store) = store.upgrade() {
                store.errors.borrow_mut().push(e.to_string());
                redraw.notify();
            }
        });
        if let Err(e) = app.subscribe(&Subscription::application()).await {
            session.store.errors.borrow_mut().push(e.to_string());
        }
        session
    }

    /// Decodes uplinks with the user's `decodeUplink` from now on; empty source = CayenneLPP.
    pub fn set_formatter(&self, source: &str) -> Result<(), AppError> {
        if source.trim().is_empty() {
            self.app.set_default_decoder(Rc::new(CayenneLpp));
            *self.store.decoder_name.borrow_mut() = "CayenneLPP".into();
        } else {
            let formatter = JsFormatter::new(source)?;
            self.app.set_default_decoder(Rc::new(formatter));
            *self.store.decoder_name.borrow_mut() = "your formatter".into();
        }
        self.redraw.notify();
        Ok(())
    }

    /// Validates the form into a downlink, or says which field is wrong.
    pub fn build(form: &DownlinkForm) -> Result<crate::platforms::things_stack::Downlink, AppError> {
        crate::platforms::things_stack::topic::validate_id("device id", form.device_id.trim())?;
        let f_port: u32 = form
            .f_port
            .trim()
            .parse()
            .map_err(|_| AppError::input("f_port", "f_port must be a whole number from 1 to 223"))?;
        let bytes = super::payload::encode(form.format, &form.payload).map_err(|e| AppError::input("payload", e))?;
        if bytes.is_empty() {
            return Err(AppError::input("payload", "enter a payload (at least one byte)"));
        }
        let mut builder = DownlinkBuilder::new(f_port).bytes(bytes).confirmed(form.confirmed);
        if !form.priority.is_empty() {
            builder = builder.priority_name(form.priority.clone());
        }
        for id in form.correlation_ids.split(',').map(str::trim).filter(|s| !s.is_empty()) {
            builder = builder.correlation_id(id);
        }
        let downlink = builder.build()?;
        downlink.validate()?;
        Ok(downlink)
    }

    /// Pushes (or, with `replace`, replaces the queue with) one downlink and follows its events.
    pub async fn send(&self, form: &DownlinkForm, replace: bool) -> Result<(), AppError> {
        let downlink = Self::build(form)?;
        let device = form.device_id.trim();
        let handles = if replace {
            self.app.replace(device, std::slice::from_ref(&downlink)).await?
        } else {
            self.app.push(device, std::slice::from_ref(&downlink)).await?
        };
        let hex = crate::platforms::things_stack::payload::bytes_to_hex(downlink.frm_payload.as_deref().unwrap_or(&[]));
        for handle in handles {
            let seq = {
                let mut downlinks = self.store.downlinks.borrow_mut();
                let seq = downlinks.total();
                downlinks.push(DownlinkTrack {
                    seq,
                    device_id: device.to_owned(),
                    op: if replace { "replace" } else { "push" },
                    correlation_id: handle.correlation_id().to_owned(),
                    f_port: downlink.f_port,
                    hex: hex.clone(),
                    confirmed: downlink.confirmed,
                    steps: vec![(now_ms(), "published".into(), None)],
                    done: false,
                });
                seq
            };
            self.follow(seq, handle);
        }
        self.redraw.notify();
        Ok(())
    }

    fn follow(&self, seq: u64, mut handle: DownlinkHandle) {
        let (store, redraw) = (self.store.clone(), self.redraw.clone());
        let first_wait_s = answer_wait_secs();
        spawn_local(async move {
            let mut answered = false;
            loop {
                // The first word (queued, or a failure) comes within seconds; after it, a class A
                // downlink waits for the device's next uplink, which may take many minutes.
                let wait_s = if answered { LATER_WAIT_S } else { first_wait_s };
                let next = handle.next(wait_s.saturating_mul(1000)).await;
                answered = true;
                let (step, detail, end) = match next {
                    Ok(Some(status)) => {
                        let detail = match &status {
                            DownlinkStatus::Failed { error } => Some(format!("{}: {}", error.name, error.message())),
                            _ => None,
                        };
                        (status.name().to_owned(), detail, handle.is_done())
                    }
                    Ok(None) => break,
                    // Every downlink ends somewhere (issue 22, point 7): one The Things Stack never
                    // answers for (an unknown device) ends as "no answer"; any other error as itself.
                    Err(ThingsStackError::DownlinkTimeout { .. }) => {
                        ("no answer".to_owned(), Some(format!("nothing from The Things Stack within {wait_s} s")), true)
                    }
                    Err(e) => ("ended".to_owned(), Some(e.to_string()), true),
                };
                match store.downlinks.borrow_mut().iter_mut().find(|t| t.seq == seq) {
                    // Ended already: cleared from the queue.
                    Some(track) if track.done => break,
                    Some(track) => {
                        track.steps.push((now_ms(), step, detail));
                        track.done = end;
                    }
                    None => break,
                }
                redraw.notify();
                if end {
                    break;
                }
            }
        });
    }

    pub async fn clear(&self, device_id: &str) -> Result<(), AppError> {
        let device = device_id.trim();
        self.app.clear(device).await?;
        // The device's downlinks still in its queue end here: they will never be sent. One sent
        // already, waiting for its acknowledgement, is not in the queue any more.
        let in_queue = |t: &DownlinkTrack| t.steps.last().is_some_and(|(_, s, _)| s == "published" || s == "queued");
        for track in
            self.store.downlinks.borrow_mut().iter_mut().filter(|t| t.device_id == device && !t.done && in_queue(t))
        {
            track.steps.push((now_ms(), "cleared".into(), Some("the queue was cleared before it was sent".into())));
            track.done = true;
        }
        self.store.events.borrow_mut().push((now_ms(), device.to_owned(), "queue cleared"));
        self.redraw.notify();
        Ok(())
    }
}

fn record(store: &TtsStore, e: &ThingsStackEvent) {
    let now = now_ms();
    store.devices.borrow_mut().insert(e.device_id.clone());
    if let UpMessage::UplinkMessage(u) = &e.up.message {
        let meta = u.rx_metadata.first();
        let decoded = match &e.decoded {
            Some(d) if d.is_ok() => Some(Ok(d.data.clone())),
            Some(d) => Some(Err(d.errors.join("; "))),
            None => u.decoded_payload.clone().map(Ok),
        };
        let mut uplinks = store.uplinks.borrow_mut();
        let seq = uplinks.total();
        uplinks.push(UplinkRow {
            seq,
            at: now,
            device_id: e.device_id.clone(),
            f_cnt: u.f_cnt,
            f_port: u.f_port,
            rssi: meta.and_then(|m| m.rssi),
            snr: meta.and_then(|m| m.snr),
            bytes: u.frm_payload.clone().unwrap_or_default(),
            decoded,
            up: Rc::new(e.up.clone()),
        });
    } else {
        store.events.borrow_mut().push((now, e.device_id.clone(), kind_name(e.kind)));
    }
}

/// How long a downlink waits for The Things Stack's first word before it ends as "no answer":
/// 30 s, or `?downlinkAnswerS=` in the page's address.
fn answer_wait_secs() -> u32 {
    super::profiles::query_param("downlinkAnswerS").and_then(|s| s.parse().ok()).filter(|s| *s > 0).unwrap_or(30)
}

/// After the first word: how long a downlink waits for the next (a class A device's next uplink).
const LATER_WAIT_S: u32 = 3_600;
