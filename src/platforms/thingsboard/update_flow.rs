//! One firmware or software update, pure (docs/platforms/thingsboard.md#firmware, flow A(2)): report
//! DOWNLOADING, fetch the chunks in order, DOWNLOADED, verify size and checksum (a SHA-2 digest
//! computed by the shell), VERIFIED, UPDATING,
//! hand the image to the installer, UPDATED with the new current version, or FAILED with `fw_error`
//! (the error in the shell's words) at the first thing that went wrong. A lost connection ends it without a report (nothing could
//! carry one). Each input returns the next step for the shell to carry out.

use std::collections::VecDeque;

use crate::json::Value;

use super::checksum::ChecksumAlgorithm;
use super::error::ThingsBoardError;
use super::firmware::{state_telemetry, Download, DownloadStep, FirmwareState, Image, PackageInfo};
use super::topics::PackageKind;
use crate::json::{ToJson, Writer};

/// What the update reports as it goes, for progress bars and logs.
#[derive(Debug, Clone, PartialEq)]
pub enum FirmwareEvent {
    /// A newer package was announced.
    Available { package: PackageInfo },
    /// A `fw_state` was reported to the server.
    State { kind: PackageKind, state: FirmwareState, error: Option<String> },
    /// A chunk arrived.
    Progress { kind: PackageKind, received: usize, total: Option<u64>, chunk_index: u32 },
}

/// `{"type": "progress", "kind": "fw", "received": ..., "total": ..., "chunkIndex": ...}`.
impl ToJson for FirmwareEvent {
    fn write_json(&self, out: &mut Writer) {
        out.open();
        match self {
            Self::Available { package } => out.field("type", "available").field("package", package),
            Self::State { kind, state, error } => {
                out.field("type", "state").field("kind", kind).field("state", state).field("error", error)
            }
            Self::Progress { kind, received, total, chunk_index } => out
                .field("type", "progress")
                .field("kind", kind)
                .field("received", received)
                .field("total", total)
                .field("chunkIndex", chunk_index),
        };
        out.close();
    }
}

/// The next thing the shell does for the update.
#[derive(Debug, Clone, PartialEq)]
pub enum UpdateStep {
    /// Publish this telemetry (a `fw_state` report), then call `reported`.
    Report { telemetry: Value },
    /// Ask for chunk `index` of download `request_id`, then call `chunk`.
    RequestChunk { request_id: u32, index: u32, chunk_size: usize },
    /// Compute `algorithm`'s digest of the image (`digest_input`; every digest is the shell's, see
    /// `ChecksumAlgorithm::digest`), then call `digested`.
    Digest { algorithm: ChecksumAlgorithm },
    /// Hand the verified image to the installer, then call `installed`.
    Install { image: Vec<u8> },
    /// Put the error that failed the update in words (the shell's: its message table in the npm
    /// package, `Display` in Rust), then call `described`; they go to the server as `fw_error`.
    Describe { error: ThingsBoardError },
    /// The update ended; with `Ok`, the package is the current one.
    Done(Result<(), ThingsBoardError>),
}

#[derive(Debug)]
enum Stage {
    Downloading,
    Fetching,
    Downloaded,
    /// Waiting for the shell's digest of the image, to compare with the server's checksum.
    Digesting {
        image: Vec<u8>,
        algorithm: ChecksumAlgorithm,
        expected: String,
    },
    Verified(Vec<u8>),
    Updating(Vec<u8>),
    Installing,
    Updated,
    /// Failed, waiting for the error's words.
    Describing(ThingsBoardError),
    /// Failed, the error and its words.
    Failed(ThingsBoardError, String),
    Over,
}

pub struct UpdateFlow {
    info: PackageInfo,
    current: Option<(String, String)>,
    download: Option<Download>,
    stage: Stage,
    events: VecDeque<FirmwareEvent>,
}

impl UpdateFlow {
    /// An update to `info`, downloaded under `request_id` in chunks of `chunk_size` bytes (0: the
    /// whole file at once); `current` is what the device runs now, reported with every state.
    pub fn new(info: PackageInfo, current: Option<(String, String)>, request_id: u32, chunk_size: usize) -> Self {
        let download = Download::new(info.clone(), request_id, chunk_size);
        Self { info, current, download: Some(download), stage: Stage::Over, events: VecDeque::new() }
    }

    /// The first step: report DOWNLOADING.
    pub fn start(&mut self) -> UpdateStep {
        self.report(Stage::Downloading, FirmwareState::Downloading, None)
    }

    /// The version the device runs, as the flow last knew it.
    pub fn current(&self) -> Option<&(String, String)> {
        self.current.as_ref()
    }

    pub fn take_events(&mut self) -> Vec<FirmwareEvent> {
        std::mem::take(&mut self.events).into()
    }

    /// The report asked for by the last `Report` step went out (or did not).
    pub fn reported(&mut self, result: Result<(), ThingsBoardError>) -> UpdateStep {
        let stage = std::mem::replace(&mut self.stage, Stage::Over);
        if let Err(e) = result {
            return UpdateStep::Done(Err(e));
        }
        let (state, error) = match &stage {
            Stage::Downloading => (FirmwareState::Downloading, None),
            Stage::Downloaded => (FirmwareState::Downloaded, None),
            Stage::Verified(_) => (FirmwareState::Verified, None),
            Stage::Updating(_) => (FirmwareState::Updating, None),
            Stage::Updated => (FirmwareState::Updated, None),
            Stage::Failed(_, words) => (FirmwareState::Failed, Some(words.clone())),
            Stage::Fetching | Stage::Digesting { .. } | Stage::Installing | Stage::Describing(_) | Stage::Over => {
                return UpdateStep::Done(Ok(()))
            }
        };
        self.events.push_back(FirmwareEvent::State { kind: self.info.kind, state, error });
        match stage {
            Stage::Downloading => self.next_chunk(),
            Stage::Downloaded => match self.download.take().map(Download::finish) {
                Some(Ok(Image { bytes, checksum: None })) => self.verified(bytes),
                Some(Ok(Image { bytes, checksum: Some((algorithm, expected)) })) => {
                    self.stage = Stage::Digesting { image: bytes, algorithm, expected };
                    UpdateStep::Digest { algorithm }
                }
                Some(Err(e)) => self.fail(e),
                None => self.fail(ThingsBoardError::Firmware("the download is gone".into())),
            },
            Stage::Verified(image) => self.report(Stage::Updating(image), FirmwareState::Updating, None),
            Stage::Updating(image) => {
                self.stage = Stage::Installing;
                UpdateStep::Install { image }
            }
            Stage::Updated => UpdateStep::Done(Ok(())),
            Stage::Failed(e, _) => UpdateStep::Done(Err(e)),
            Stage::Fetching | Stage::Digesting { .. } | Stage::Installing | Stage::Describing(_) | Stage::Over => {
                UpdateStep::Done(Ok(()))
            }
        }
    }

    /// The image to digest while a `Digest` step waits (borrowed: an image can be megabytes).
    pub fn digest_input(&self) -> Option<&[u8]> {
        match &self.stage {
            Stage::Digesting { image, .. } => Some(image),
            _ => None,
        }
    }

    /// The shell's answer to `Digest`: the image's digest, or why it could not compute one.
    /// `None`, and nothing changes, when no digest is awaited.
    pub fn digested(&mut self, result: Result<Vec<u8>, String>) -> Option<UpdateStep> {
        if !matches!(self.stage, Stage::Digesting { .. }) {
            return None;
        }
        let Stage::Digesting { image, algorithm, expected } = std::mem::replace(&mut self.stage, Stage::Over) else {
            return None;
        };
        Some(match result {
            Ok(digest) => self.check(image, algorithm, &digest, &expected),
            Err(message) => {
                self.fail(ThingsBoardError::Firmware(format!("no {} digest of the image: {message}", algorithm.name())))
            }
        })
    }

    fn check(&mut self, image: Vec<u8>, algorithm: ChecksumAlgorithm, digest: &[u8], expected: &str) -> UpdateStep {
        match algorithm.matches(digest, expected) {
            Ok(()) => self.verified(image),
            Err(e) => self.fail(e),
        }
    }

    fn verified(&mut self, image: Vec<u8>) -> UpdateStep {
        self.report(Stage::Verified(image), FirmwareState::Verified, None)
    }

    /// The answer to the last `RequestChunk`.
    pub fn chunk(&mut self, result: Result<Vec<u8>, ThingsBoardError>) -> UpdateStep {
        let Some(download) = self.download.as_mut() else { return UpdateStep::Done(Ok(())) };
        let bytes = match result {
            Ok(bytes) => bytes,
            // The connection, not the package, failed: no report could go out.
            Err(e @ ThingsBoardError::Client(_)) => {
                self.stage = Stage::Over;
                return UpdateStep::Done(Err(e));
            }
            Err(e) => return self.fail(e),
        };
        let index = download.next_index();
        match download.accept(index, &bytes) {
            Ok(DownloadStep::Complete) => {
                let received = download.received();
                let progress = FirmwareEvent::Progress {
                    kind: self.info.kind,
                    received,
                    total: self.info.size,
                    chunk_index: index,
                };
                self.events.push_back(progress);
                self.report(Stage::Downloaded, FirmwareState::Downloaded, None)
            }
            Ok(DownloadStep::Progress { received, total, index }) => {
                self.events.push_back(FirmwareEvent::Progress {
                    kind: self.info.kind,
                    received,
                    total,
                    chunk_index: index,
                });
                self.next_chunk()
            }
            Err(e) => self.fail(e),
        }
    }

    /// The installer's answer: the image is running, or why it is not.
    pub fn installed(&mut self, result: Result<(), String>) -> UpdateStep {
        match result {
            Ok(()) => {
                self.current = Some((self.info.title.clone(), self.info.version.clone()));
                self.report(Stage::Updated, FirmwareState::Updated, None)
            }
            Err(message) => self.fail(ThingsBoardError::Firmware(message)),
        }
    }

    fn next_chunk(&mut self) -> UpdateStep {
        let Some(download) = self.download.as_ref() else { return UpdateStep::Done(Ok(())) };
        self.stage = Stage::Fetching;
        UpdateStep::RequestChunk {
            request_id: download.request_id,
            index: download.next_index(),
            chunk_size: download.chunk_size,
        }
    }

    /// The update failed: its words are the shell's to give (`Describe`), then FAILED is reported.
    fn fail(&mut self, error: ThingsBoardError) -> UpdateStep {
        self.download = None;
        self.stage = Stage::Describing(error.clone());
        UpdateStep::Describe { error }
    }

    /// The shell's words for the error that failed the update. `None`, and nothing changes, when
    /// no words are awaited.
    pub fn described(&mut self, words: String) -> Option<UpdateStep> {
        if !matches!(self.stage, Stage::Describing(_)) {
            return None;
        }
        let Stage::Describing(error) = std::mem::replace(&mut self.stage, Stage::Over) else { return None };
        let fw_error = words.clone();
        Some(self.report(Stage::Failed(error, words), FirmwareState::Failed, Some(&fw_error)))
    }

    fn report(&mut self, stage: Stage, state: FirmwareState, error: Option<&str>) -> UpdateStep {
        self.stage = stage;
        UpdateStep::Report { telemetry: state_telemetry(self.info.kind, self.current.as_ref(), state, error) }
    }
}
