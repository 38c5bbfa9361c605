//! Firmware and software updates on a `ThingsBoardDevice` (docs/platforms/thingsboard.md#firmware): reacts
//! to `fw_*` attributes, downloads in chunks, verifies, reports every `fw_state`, hands the image over.
//! The rules are the pure `platforms::thingsboard::updater`'s, which the device's drive loop runs; this
//! file starts one and is its handle.

use std::future::Future;
use std::pin::Pin;
use std::rc::Rc;
use std::sync::atomic::{AtomicU64, Ordering};

use futures_channel::oneshot;

use super::device::{ThingsBoardDevice, UpdaterSlot};
use crate::platforms::thingsboard::error::ThingsBoardError;
use crate::platforms::thingsboard::firmware::PackageInfo;
use crate::platforms::thingsboard::topics::PackageKind;
use crate::platforms::thingsboard::updater::Updater;
use crate::transport::now_ms;

pub use crate::platforms::thingsboard::update_flow::FirmwareEvent;

/// Installs a verified image; an `Err` is reported as FAILED with its text as `fw_error`.
pub type Installer = Rc<dyn Fn(PackageInfo, Vec<u8>) -> Pin<Box<dyn Future<Output = Result<(), String>>>>>;

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

/// Names the updaters of one page's devices.
static NEXT_UPDATER: AtomicU64 = AtomicU64::new(1);

/// Runs the update flow for one package kind on a device. Cheap to clone; clones are one updater,
/// which stops when the last of them is dropped.
#[derive(Clone)]
pub struct FirmwareUpdater {
    device: ThingsBoardDevice,
    id: u64,
    _stop: Rc<StopOnDrop>,
}

/// Removes the updater from its device when the last handle goes.
struct StopOnDrop {
    device: super::device::WeakDevice,
    id: u64,
}

impl Drop for StopOnDrop {
    fn drop(&mut self) {
        if let Some(device) = self.device.upgrade() {
            remove(&device, self.id);
        }
    }
}

/// Removes updater `id` from `device`. On a shared connection the last updater of its kind gives
/// the device's firmware turn back (or its place while it waits), so that another tab's agent takes
/// it; an updater started again asks for it anew.
fn remove(device: &ThingsBoardDevice, id: u64) {
    let gave_back = {
        let Ok(mut guard) = device.state.try_borrow_mut() else { return };
        let s = &mut *guard;
        let Some(kind) = s.updaters.iter().find(|slot| slot.id == id).map(|slot| slot.updater.kind()) else {
            return;
        };
        s.updaters.retain(|slot| slot.id != id);
        let last = !s.updaters.iter().any(|slot| slot.updater.kind() == kind);
        #[cfg(feature = "thingsboard-shared")]
        if last && s.core.is_shared() {
            s.core.give_turn(&crate::platforms::thingsboard::session::firmware_turn(kind));
        }
        last && s.core.is_shared()
    };
    if gave_back {
        device.drive();
    }
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

    /// [`start`](Self::start) with a listener from the first event on.
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
        device.route(&kind.chunk_response_filter());
        device.route(&kind.error_topic());
        let id = NEXT_UPDATER.fetch_add(1, Ordering::Relaxed);
        let installer: Installer = Rc::new(move |info, image| Box::pin(install(info, image)));
        let shared = {
            let mut s = device.state.borrow_mut();
            #[allow(unused_mut)]
            let mut updater = Updater::new(kind, options.current, options.chunk_size);
            // A tab of a shared connection updates while it holds the device's firmware turn: the
            // updater starts watching when it is given (`shared::turns`), and nothing waits for it.
            #[cfg(feature = "thingsboard-shared")]
            if s.core.is_shared() {
                updater.set_running(false);
                s.core.ask_turn(crate::platforms::thingsboard::session::firmware_turn(kind));
            }
            s.updaters.push(UpdaterSlot { id, updater, installer, listeners: vec![Rc::new(on_event)] });
            s.core.is_shared()
        };
        let stop = Rc::new(StopOnDrop { device: device.weak(), id });
        let updater = Self { device: device.clone(), id, _stop: stop };
        if shared {
            // A turn this tab holds already (another updater of the kind has it) starts it now.
            #[cfg(all(feature = "thingsboard-shared", feature = "shared-client"))]
            super::shared::turns(device);
            return Ok(updater);
        }
        let waiting = match begin(device, id) {
            Ok(waiting) => waiting,
            Err(e) => {
                updater.stop();
                return Err(e);
            }
        };
        device.drive();
        for rx in waiting {
            if let Err(e) = rx.await.unwrap_or(Err(ThingsBoardError::Client(crate::ClientError::Closed))) {
                updater.stop();
                return Err(e);
            }
        }
        device.check_updaters();
        device.drive();
        Ok(updater)
    }

    pub fn on_event(&self, f: impl Fn(&FirmwareEvent) + 'static) {
        self.with(|slot| slot.listeners.push(Rc::new(f)));
    }

    /// The package the device runs now (title, version).
    pub fn current(&self) -> Option<(String, String)> {
        self.with(|slot| slot.updater.current().cloned()).flatten()
    }

    pub fn set_chunk_size(&self, bytes: usize) {
        self.with(|slot| slot.updater.set_chunk_size(bytes));
    }

    /// Stops watching for packages; a download under way is dropped. On a shared connection the
    /// device's firmware turn goes to the next tab's agent, if this was the tab's last of its kind.
    pub fn stop(&self) {
        remove(&self.device, self.id);
    }

    fn with<R>(&self, f: impl FnOnce(&mut UpdaterSlot) -> R) -> Option<R> {
        let mut s = self.device.state.borrow_mut();
        s.updaters.iter_mut().find(|slot| slot.id == self.id).map(f)
    }
}

type Waiting = Vec<oneshot::Receiver<Result<crate::platforms::thingsboard::session::Outcome, ThingsBoardError>>>;

/// Updater `id` starts watching (`Updater::start`): its subscriptions, its current version, its
/// request for the package attributes. What waits for each of them.
fn begin(device: &ThingsBoardDevice, id: u64) -> Result<Waiting, ThingsBoardError> {
    let mut guard = device.state.borrow_mut();
    let s = &mut *guard;
    let Some(slot) = s.updaters.iter().find(|slot| slot.id == id) else { return Ok(Vec::new()) };
    let ops = slot.updater.start(&mut s.core, now_ms())?;
    Ok(ops
        .into_iter()
        .map(|op| {
            let (tx, rx) = oneshot::channel();
            s.ops.insert(op, tx);
            rx
        })
        .collect())
}

/// Updater `id` was given the device's firmware turn: it starts watching, and looks for a package
/// once it has. Nothing waits for it, so a failure is an error event.
#[cfg(all(feature = "thingsboard-shared", feature = "shared-client"))]
pub(super) fn watch_with_turn(device: &ThingsBoardDevice, id: u64) {
    let waiting = match begin(device, id) {
        Ok(waiting) => waiting,
        Err(e) => return device.emit_error(e),
    };
    let weak = device.weak();
    wasm_bindgen_futures::spawn_local(async move {
        for rx in waiting {
            let result = rx.await.unwrap_or(Err(ThingsBoardError::Client(crate::ClientError::Closed)));
            let Some(device) = weak.upgrade() else { return };
            if let Err(e) = result {
                return device.emit_error(e);
            }
        }
        if let Some(device) = weak.upgrade() {
            device.check_updaters();
            device.drive();
        }
    });
}
