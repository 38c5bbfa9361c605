//! The firmware panel's service: runs `FirmwareUpdater` on the session's device and records what
//! it reports — current and target package, bytes and chunks, every `fw_state`, the checksum.

use crate::app::error::AppError;
use crate::app::hooks::now_ms;
use crate::app::services::thingsboard::TbSession;
use crate::client::time::sleep_ms;
use crate::platforms::thingsboard::firmware::FirmwareState;
use crate::platforms::thingsboard::{FirmwareEvent, FirmwareUpdater, OtaOptions, PackageInfo, PackageKind};

#[derive(Debug, Clone, PartialEq, Default)]
pub struct FirmwareView {
    pub running: bool,
    pub current: Option<(String, String)>,
    pub target: Option<PackageInfo>,
    pub received: usize,
    pub total: Option<u64>,
    pub chunk_index: Option<u32>,
    pub chunk_size: usize,
    /// Every `fw_state` reported, with when and any error.
    pub steps: Vec<(f64, FirmwareState, Option<String>)>,
    /// The checksum check of the last image: `Ok(description)` or the mismatch.
    pub checksum: Option<Result<String, String>>,
}

impl FirmwareView {
    pub fn chunks_total(&self) -> Option<u64> {
        let size = self.total?;
        (self.chunk_size > 0).then(|| size.div_ceil(self.chunk_size as u64).max(1))
    }
}

/// Reports the current version, then follows the server's `fw_*` attributes: every new package
/// is downloaded, verified and "installed" (the dashboard has nothing to flash, so it waits a moment).
pub async fn start(session: &TbSession, title: &str, version: &str, chunk_size: usize) -> Result<(), AppError> {
    if title.trim().is_empty() || version.trim().is_empty() {
        return Err(AppError::input("fw_current", "enter the title and version the device runs now"));
    }
    if chunk_size == 0 || chunk_size > 65_000 {
        return Err(AppError::input("fw_chunk", "the chunk size must be 1 to 65,000 bytes"));
    }
    session.store.updater.borrow_mut().take();
    {
        let mut view = session.store.firmware.borrow_mut();
        // `running` turns on once the listener is in place (below): events before it are lost.
        *view = FirmwareView {
            running: false,
            current: Some((title.trim().to_owned(), version.trim().to_owned())),
            chunk_size,
            ..Default::default()
        };
    }
    session.redraw.notify();
    let store = session.store.clone();
    let redraw = session.redraw.clone();
    let options = OtaOptions {
        kind: PackageKind::Fw,
        current: Some((title.trim().to_owned(), version.trim().to_owned())),
        chunk_size,
    };
    let (s, r) = (store.clone(), redraw.clone());
    // Listening from the start: a package announced before this call shows from its first event.
    let on_event = move |event: &FirmwareEvent| {
        let mut view = s.firmware.borrow_mut();
        match event {
            FirmwareEvent::Available { package } => {
                view.target = Some(package.clone());
                view.received = 0;
                view.total = package.size;
                view.chunk_index = None;
                view.checksum = None;
                view.steps.clear();
            }
            FirmwareEvent::Progress { received, total, chunk_index, .. } => {
                view.received = *received;
                view.total = total.or(view.total);
                view.chunk_index = Some(*chunk_index);
            }
            FirmwareEvent::State { state, error, .. } => {
                view.steps.push((now_ms(), *state, error.clone()));
                if *state == FirmwareState::Updated {
                    view.current = view.target.as_ref().map(|t| (t.title.clone(), t.version.clone()));
                }
                if let Some(e) = error.as_deref().filter(|e| e.contains("checksum")) {
                    view.checksum = Some(Err(e.to_owned()));
                }
            }
        }
        drop(view);
        r.notify();
    };
    let install_store = store.clone();
    let result = FirmwareUpdater::start_with_events(
        &session.device,
        options,
        move |info: PackageInfo, image: Vec<u8>| {
            let store = install_store.clone();
            async move {
                let actual = info.algorithm.hex(&image);
                store.firmware.borrow_mut().checksum = Some(Ok(format!(
                    "{} {} matches the server's checksum ({} bytes)",
                    info.algorithm.name(),
                    actual,
                    image.len()
                )));
                sleep_ms(400).await;
                Ok(())
            }
        },
        on_event,
    )
    .await;
    let updater = match result {
        Ok(u) => u,
        Err(e) => {
            store.firmware.borrow_mut().running = false;
            redraw.notify();
            return Err(e.into());
        }
    };
    *store.updater.borrow_mut() = Some(updater);
    store.firmware.borrow_mut().running = true;
    session.sync_mirror();
    redraw.notify();
    Ok(())
}

/// Stops the agent: it no longer follows the server's packages, and a download under way is
/// dropped. On a shared connection its firmware turn goes to the next tab's agent.
pub fn stop(session: &TbSession) {
    if let Some(updater) = session.store.updater.borrow_mut().take() {
        updater.stop();
    }
    session.store.firmware.borrow_mut().running = false;
    session.redraw.notify();
}
