//! Firmware and software updates on a `ThingsBoardDevice` (docs/platforms/thingsboard.md#firmware): reacts
//! to `fw_*` attributes, downloads in chunks, verifies, reports every `fw_state`, hands the image over.

use std::cell::RefCell;
use std::future::Future;
use std::pin::Pin;
use std::rc::Rc;

use serde::Serialize;
use wasm_bindgen_futures::spawn_local;

use super::device::ThingsBoardDevice;
use crate::platforms::thingsboard::error::ThingsBoardError;
use crate::platforms::thingsboard::firmware::{
    current_telemetry, requested_keys, state_telemetry, Download, DownloadStep, FirmwareState, PackageInfo,
};
use crate::platforms::thingsboard::topics::PackageKind;
use crate::platforms::thingsboard::updates::UpdateDecisions;

/// What the update reports as it goes, for progress bars and logs.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "type", rename_all = "camelCase")]
pub enum FirmwareEvent {
    /// A newer package was announced.
    #[serde(rename_all = "camelCase")]
    Available { package: PackageInfo },
    /// A `fw_state` was reported to the server.
    #[serde(rename_all = "camelCase")]
    State { kind: PackageKind, state: FirmwareState, error: Option<String> },
    /// A chunk arrived.
    #[serde(rename_all = "camelCase")]
    Progress { kind: PackageKind, received: usize, total: Option<u64>, chunk_index: u32 },
}

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

    async fn report(&self, state: FirmwareState, error: Option<&str>) -> Result<(), ThingsBoardError> {
        let (kind, current) = {
            let o = self.options.borrow();
            (o.kind, o.current.clone())
        };
        self.device.publish_telemetry_value(&state_telemetry(kind, current.as_ref(), state, error)).await?;
        self.emit(FirmwareEvent::State { kind, state, error: error.map(String::from) });
        Ok(())
    }

    async fn fail(&self, error: ThingsBoardError) -> Result<(), ThingsBoardError> {
        self.report(FirmwareState::Failed, Some(&error.to_string())).await?;
        Err(error)
    }

    async fn run(&self, info: PackageInfo, generation: u64) -> Result<(), ThingsBoardError> {
        let (kind, chunk_size) = {
            let o = self.options.borrow();
            (o.kind, o.chunk_size)
        };
        // docs/platforms/thingsboard.md#firmware-chunks: a chunk size above the max payload size is
        // PAYLOAD_TOO_LARGE and a disconnect, so a larger one is capped to it (0 still asks for the whole file).
        let chunk_size = chunk_size.min(self.device.session_limits().max_payload_size);
        let request_id = self.device.next_request_id();
        let mut download = Download::new(info.clone(), request_id, chunk_size);
        self.report(FirmwareState::Downloading, None).await?;
        loop {
            if self.cancelled(generation) {
                return Ok(());
            }
            let index = download.next_index();
            let bytes = match self.device.request_chunk(kind, request_id, index, chunk_size).await {
                Ok(bytes) => bytes,
                // Cancelled by a newer package: that download reports for itself.
                Err(_) if self.cancelled(generation) => return Ok(()),
                Err(e @ ThingsBoardError::Client(_)) => return Err(e),
                Err(e) => return self.fail(e).await,
            };
            if self.cancelled(generation) {
                return Ok(());
            }
            match download.accept(index, &bytes) {
                Ok(DownloadStep::Complete) => {
                    self.emit(FirmwareEvent::Progress {
                        kind,
                        received: download.received(),
                        total: info.size,
                        chunk_index: index,
                    });
                    break;
                }
                Ok(DownloadStep::Progress { received, total, index }) => {
                    self.emit(FirmwareEvent::Progress { kind, received, total, chunk_index: index })
                }
                Err(e) => return self.fail(e).await,
            }
        }
        self.report(FirmwareState::Downloaded, None).await?;
        let image = match download.finish() {
            Ok(image) => image,
            Err(e) => return self.fail(e).await,
        };
        self.report(FirmwareState::Verified, None).await?;
        self.report(FirmwareState::Updating, None).await?;
        let installer = self.installer.clone();
        if let Err(message) = installer(info.clone(), image).await {
            return self.fail(ThingsBoardError::Firmware(message)).await;
        }
        self.options.borrow_mut().current = Some((info.title.clone(), info.version.clone()));
        self.report(FirmwareState::Updated, None).await
    }
}
