//! Firmware and software updates on a `ThingsBoardDevice` (docs/platforms/thingsboard.md#firmware): reacts
//! to `fw_*` attributes, downloads in chunks, verifies, reports every `fw_state`, hands the image over.

use std::cell::RefCell;
use std::future::Future;
use std::pin::Pin;
use std::rc::Rc;

use wasm_bindgen_futures::spawn_local;

use super::device::ThingsBoardDevice;
use crate::platforms::thingsboard::error::ThingsBoardError;
use crate::platforms::thingsboard::firmware::{current_telemetry, requested_keys, PackageInfo};
use crate::platforms::thingsboard::topics::PackageKind;
use crate::platforms::thingsboard::update_flow::{UpdateFlow, UpdateStep};
use crate::platforms::thingsboard::updates::UpdateDecisions;

pub use crate::platforms::thingsboard::update_flow::FirmwareEvent;

/// Installs a verified image; an `Err` is reported as FAILED with its text as `fw_error`.
pub type Installer = Rc<dyn Fn(PackageInfo, Vec<u8>) -> Pin<Box<dyn Future<Output = Result<(), String>>>>>;

type EventListener = Rc<dyn Fn(&FirmwareEvent)>;

#[derive(Debug, Clone, PartialEq)]
pub struct OtaOptions {
    pub kind: PackageKind,
    /// The title and version the device runs now, reported as `current_fw_*`.
    pub current: Option<(String, String)>,
    /// Bytes per chunk; 0 asks for the whole file at once. Capped at the session's max payload size.
    pub chunk_size: usize,
}

impl Default for OtaOptions {
    fn default() -> Self {
        Self { kind: PackageKind::Fw, current: None, chunk_size: 8 * 1024 }
    }
}

struct Ota {
    device: ThingsBoardDevice,
    options: RefCell<OtaOptions>,
    installer: Installer,
    listeners: RefCell<Vec<EventListener>>,
    /// Which announced package to download, and which download still counts.
    decisions: RefCell<UpdateDecisions>,
}

/// Runs the update flow for one package kind on a device.
#[derive(Clone)]
pub struct FirmwareUpdater {
    ota: Rc<Ota>,
}

impl FirmwareUpdater {
    /// Reports the current version, subscribes to attribute updates and chunk responses, asks for
    /// the package attributes, and updates whenever the server announces a different package.
    /// A package already announced is found during `start`: to see its events from the first one
    /// (`Available`), use [`start_with_events`](Self::start_with_events).
    pub async fn start<F, Fut>(
        device: &ThingsBoardDevice,
        options: OtaOptions,
        install: F,
    ) -> Result<Self, ThingsBoardError>
    where
        F: Fn(PackageInfo, Vec<u8>) -> Fut + 'static,
        Fut: Future<Output = Result<(), String>> + 'static,
    {
        Self::start_with_events(device, options, install, |_| {}).await
    }

    /// [`start`](Self::start) with `on_event` listening before anything is requested, so no event
    /// of an update found during `start` is missed.
    pub async fn start_with_events<F, Fut>(
        device: &ThingsBoardDevice,
        options: OtaOptions,
        install: F,
        on_event: impl Fn(&FirmwareEvent) + 'static,
    ) -> Result<Self, ThingsBoardError>
    where
        F: Fn(PackageInfo, Vec<u8>) -> Fut + 'static,
        Fut: Future<Output = Result<(), String>> + 'static,
    {
        let kind = options.kind;
        let current = options.current.clone();
        let updater = Self {
            ota: Rc::new(Ota {
                device: device.clone(),
                options: RefCell::new(options),
                installer: Rc::new(move |info, image| Box::pin(install(info, image))),
                listeners: RefCell::new(vec![Rc::new(on_event) as EventListener]),
                decisions: RefCell::new(UpdateDecisions::new(current)),
            }),
        };
        let weak = Rc::downgrade(&updater.ota);
        device.state.borrow_mut().on_shared_change.push(Rc::new(move || {
            if let Some(ota) = weak.upgrade() {
                FirmwareUpdater { ota }.check();
            }
        }));
        // Chunks and the server's chunk errors go to the device's session, which matches them to
        // the requests waiting.
        device.route(&kind.chunk_response_filter(), ThingsBoardDevice::deliver);
        device.route(&kind.error_topic(), ThingsBoardDevice::deliver);
        device.ensure_subscribed(&kind.chunk_response_filter()).await?;
        device.ensure_subscribed(&kind.error_topic()).await?;
        device.ensure_subscribed(crate::platforms::thingsboard::topics::ATTRIBUTES).await?;
        let current = updater.ota.options.borrow().current.clone();
        if let Some((title, version)) = current {
            device.publish_telemetry_value(&current_telemetry(kind, &title, &version)).await?;
        }
        let keys = requested_keys(kind);
        let keys: Vec<&str> = keys.iter().map(String::as_str).collect();
        device.request_attributes(&[], &keys).await?;
        updater.check();
        Ok(updater)
    }

    pub fn on_event(&self, f: impl Fn(&FirmwareEvent) + 'static) {
        self.ota.listeners.borrow_mut().push(Rc::new(f));
    }

    /// The title and version the device runs, as last reported.
    pub fn current(&self) -> Option<(String, String)> {
        self.ota.options.borrow().current.clone()
    }

    pub fn set_chunk_size(&self, bytes: usize) {
        self.ota.options.borrow_mut().chunk_size = bytes;
    }

    /// Looks at the mirrored attributes and starts an update if they name another package.
    fn check(&self) {
        let kind = self.ota.options.borrow().kind;
        // Read first, so no borrow of the device's state is held while error listeners run.
        let announced = PackageInfo::from_attributes(kind, &self.ota.device.attributes().shared);
        let info = match announced {
            Ok(Some(info)) => info,
            Ok(None) => return,
            Err(e) => return self.ota.device.emit_error(e),
        };
        let Some(generation) = self.ota.decisions.borrow_mut().announced(&info) else { return };
        // A new package during a download cancels the old one: its chunk request fails now, so the
        // old download ends and frees its image at once rather than at its chunk timeout.
        self.ota.device.cancel_chunks(kind);
        self.ota.emit(FirmwareEvent::Available { package: info.clone() });
        let ota = self.ota.clone();
        spawn_local(async move {
            let outcome = ota.run(info.clone(), generation).await;
            let current = ota.decisions.borrow().is_current(generation);
            ota.decisions.borrow_mut().finished(generation, &info, outcome.is_ok());
            if let (true, Err(e)) = (current, outcome) {
                ota.device.emit_error(e);
            }
        });
    }
}

impl Ota {
    fn emit(&self, event: FirmwareEvent) {
        let listeners = self.listeners.borrow().clone();
        for l in listeners {
            l(&event);
        }
    }

    fn cancelled(&self, generation: u64) -> bool {
        !self.decisions.borrow().is_current(generation)
    }

    /// Carries out one update's steps (the rules: `platforms::thingsboard::update_flow`). A newer
    /// package supersedes it: its steps stop, and that download reports for itself.
    async fn run(&self, info: PackageInfo, generation: u64) -> Result<(), ThingsBoardError> {
        let (kind, chunk_size, current) = {
            let o = self.options.borrow();
            (o.kind, o.chunk_size, o.current.clone())
        };
        // docs/platforms/thingsboard.md#firmware-chunks: a chunk size above the max payload size is
        // PAYLOAD_TOO_LARGE and a disconnect, so a larger one is capped to it (0 still asks for the whole file).
        let chunk_size = chunk_size.min(self.device.session_limits().max_payload_size);
        let request_id = self.device.next_request_id();
        let mut flow = UpdateFlow::new(info.clone(), current, request_id, chunk_size);
        let mut step = flow.start();
        loop {
            for event in flow.take_events() {
                self.emit(event);
            }
            step = match step {
                UpdateStep::Done(result) => return result,
                UpdateStep::Report { telemetry } => {
                    let sent = self.device.publish_telemetry_value(&telemetry).await;
                    flow.reported(sent)
                }
                UpdateStep::RequestChunk { request_id, index, chunk_size } => {
                    if self.cancelled(generation) {
                        return Ok(());
                    }
                    let answer = self.device.request_chunk(kind, request_id, index, chunk_size).await;
                    if self.cancelled(generation) {
                        return Ok(());
                    }
                    flow.chunk(answer)
                }
                UpdateStep::Install { image } => {
                    let installer = self.installer.clone();
                    let outcome = installer(info.clone(), image).await;
                    let next = flow.installed(outcome);
                    // The device runs the new image from now on, whatever the UPDATED report does.
                    self.options.borrow_mut().current = flow.current().cloned();
                    next
                }
            };
        }
    }
}
