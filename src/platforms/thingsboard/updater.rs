//! Firmware or software updates on one device, pure (docs/platforms/thingsboard.md#firmware): the
//! shared attributes announce a package, `UpdateDecisions` says whether to take it, and each
//! update's `UpdateFlow` runs through the device session's operations (state reports as telemetry,
//! chunk requests); a SHA-2 digest of the image is the shell's to compute, and the verified image
//! goes to the shell's installer. A newer package supersedes
//! the update in progress: the old one's outcomes are dropped. Time is the session's input.

use std::collections::VecDeque;

use super::checksum::ChecksumAlgorithm;
use super::error::ThingsBoardError;
use super::firmware::{current_telemetry, requested_keys, PackageInfo};
use super::session::{DeviceSession, OpId, Outcome};
use super::topics::PackageKind;
use super::update_flow::{FirmwareEvent, UpdateFlow, UpdateStep};
use super::updates::UpdateDecisions;
use crate::supervisor::Millis;

/// What the updater tells the shell.
#[derive(Debug, Clone, PartialEq)]
pub enum UpdaterEvent {
    Firmware(FirmwareEvent),
    /// Compute `algorithm`'s digest of the image of `package` (`digest_input`; SHA-2: the browser's
    /// SubtleCrypto, or `ChecksumAlgorithm::sha2`), then call `digested` with `generation`.
    Digest {
        generation: u64,
        package: PackageInfo,
        algorithm: ChecksumAlgorithm,
    },
    /// Install this verified image of `package`, then call `installed` with `generation`.
    Install {
        generation: u64,
        package: PackageInfo,
        image: Vec<u8>,
    },
    /// Put the error that failed update `generation` in words (for `fw_error`), then call
    /// `described`.
    Describe {
        generation: u64,
        package: PackageInfo,
        error: ThingsBoardError,
    },
    /// Something outside any call went wrong: an unreadable announcement, a failed update.
    Error(ThingsBoardError),
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum Waiting {
    Report(OpId),
    Chunk(OpId),
    Digest,
    Install,
    Words,
}

struct Update {
    generation: u64,
    package: PackageInfo,
    flow: UpdateFlow,
    waiting: Waiting,
}

pub struct Updater {
    kind: PackageKind,
    chunk_size: usize,
    /// What the device runs: the last image installed, reported with every state.
    current: Option<(String, String)>,
    decisions: UpdateDecisions,
    update: Option<Update>,
    events: VecDeque<UpdaterEvent>,
    /// Whether it takes announcements: always on a connection of its own; on one the origin's tabs
    /// share, while its tab holds the device's firmware turn (`session::firmware_turn`).
    running: bool,
}

impl Updater {
    /// `current`: the package installed now (title, version), reported to the server by `start`.
    pub fn new(kind: PackageKind, current: Option<(String, String)>, chunk_size: usize) -> Self {
        let decisions = UpdateDecisions::new(current.clone());
        Self { kind, chunk_size, current, decisions, update: None, events: VecDeque::new(), running: true }
    }

    pub fn running(&self) -> bool {
        self.running
    }

    /// Takes announcements from now on, or no more (an update under way goes on to its end).
    pub fn set_running(&mut self, running: bool) {
        self.running = running;
    }

    /// Gives up the update under way, with no outcome: its tab lost the device's firmware turn on a
    /// shared connection, and the tab that holds it now (or this one, when it comes back) starts the
    /// package again. An installer already running finishes; its result counts for nothing.
    #[cfg(feature = "thingsboard-shared")]
    pub fn abandon(&mut self) {
        let Some(update) = self.update.take() else { return };
        self.decisions.abandoned(update.generation);
        let words = "the update was given up: another tab holds the device's firmware turn".into();
        self.events.push_back(UpdaterEvent::Error(ThingsBoardError::Firmware(words)));
    }

    /// A shared connection: whether this tab holds the device's firmware turn now. The updater runs
    /// while it does: `true` when it was just given it, and is to start watching (`start`); one that
    /// lost it gives up the update under way (`abandon`).
    #[cfg(feature = "thingsboard-shared")]
    pub fn follow_turn(&mut self, held: bool) -> bool {
        let start = held && !self.running;
        if !held && self.running {
            self.abandon();
        }
        self.running = held;
        start
    }

    pub fn kind(&self) -> PackageKind {
        self.kind
    }

    /// The package the device runs (title, version): the last one installed.
    pub fn current(&self) -> Option<&(String, String)> {
        self.current.as_ref()
    }

    /// Bytes per chunk for the next download; 0 asks for the whole file at once.
    pub fn set_chunk_size(&mut self, bytes: usize) {
        self.chunk_size = bytes;
    }

    /// The operations that start watching: the chunk and error topics and the shared attributes
    /// subscribed, the current package reported, the package attributes asked for. The updater
    /// is ready when all of them are done.
    pub fn start(&self, session: &mut DeviceSession, now: Millis) -> Result<Vec<OpId>, ThingsBoardError> {
        let kind = self.kind;
        let mut ops = vec![
            session.subscribe(now, &kind.chunk_response_filter()),
            session.subscribe(now, &kind.error_topic()),
            session.subscribe(now, super::topics::ATTRIBUTES),
        ];
        if let Some((title, version)) = &self.current {
            ops.push(session.send_telemetry(now, &current_telemetry(kind, title, version))?);
        }
        let keys = requested_keys(kind);
        let keys: Vec<&str> = keys.iter().map(String::as_str).collect();
        ops.push(session.request_attributes(now, &[], &keys)?);
        Ok(ops)
    }

    /// The shared attributes changed (or were read): a new package starts an update.
    pub fn check(&mut self, session: &mut DeviceSession, now: Millis) {
        if !self.running {
            return;
        }
        let package = match PackageInfo::from_attributes(self.kind, &session.mirror().shared) {
            Ok(Some(package)) => package,
            Ok(None) => return,
            Err(e) => return self.events.push_back(UpdaterEvent::Error(e)),
        };
        let Some(generation) = self.decisions.announced(&package) else { return };
        session.cancel_chunks(self.kind);
        self.events.push_back(UpdaterEvent::Firmware(FirmwareEvent::Available { package: package.clone() }));
        let chunk_size = self.chunk_size.min(session.limits().max_payload_size);
        let mut flow = UpdateFlow::new(package.clone(), self.current.clone(), session.request_id(), chunk_size);
        let step = flow.start();
        self.update = Some(Update { generation, package, flow, waiting: Waiting::Install });
        self.step(session, now, step);
    }

    /// An operation ended; false when it was not the updater's.
    pub fn op_done(
        &mut self,
        session: &mut DeviceSession,
        now: Millis,
        op: OpId,
        result: &Result<Outcome, ThingsBoardError>,
    ) -> bool {
        let Some(update) = self.update.as_mut() else { return false };
        let step = match update.waiting {
            Waiting::Report(o) if o == op => update.flow.reported(result.clone().map(drop)),
            Waiting::Chunk(o) if o == op => update.flow.chunk(match result.clone() {
                Ok(Outcome::Chunk(bytes)) => Ok(bytes),
                Ok(_) => Err(ThingsBoardError::InvalidPayload { what: "firmware chunk", detail: "not a chunk".into() }),
                Err(e) => Err(e),
            }),
            _ => return false,
        };
        self.step(session, now, step);
        true
    }

    /// The shell's digest for update `generation`, or why it has none.
    pub fn digested(
        &mut self,
        session: &mut DeviceSession,
        now: Millis,
        generation: u64,
        result: Result<Vec<u8>, String>,
    ) {
        let Some(update) = self.update.as_mut().filter(|u| u.generation == generation) else { return };
        if update.waiting != Waiting::Digest {
            return;
        }
        let Some(step) = update.flow.digested(result) else { return };
        self.step(session, now, step);
    }

    /// The shell's words for the error that failed update `generation`.
    pub fn described(&mut self, session: &mut DeviceSession, now: Millis, generation: u64, words: String) {
        let Some(update) = self.update.as_mut().filter(|u| u.generation == generation) else { return };
        if update.waiting != Waiting::Words {
            return;
        }
        let Some(step) = update.flow.described(words) else { return };
        self.step(session, now, step);
    }

    /// The image update `generation` waits for a digest of (see `UpdaterEvent::Digest`).
    pub fn digest_input(&self, generation: u64) -> Option<&[u8]> {
        let update = self.update.as_ref().filter(|u| u.generation == generation && u.waiting == Waiting::Digest)?;
        update.flow.digest_input()
    }

    /// The installer of update `generation` finished.
    pub fn installed(&mut self, session: &mut DeviceSession, now: Millis, generation: u64, result: Result<(), String>) {
        let Some(update) = self.update.as_mut().filter(|u| u.generation == generation) else { return };
        if update.waiting != Waiting::Install {
            return;
        }
        let step = update.flow.installed(result);
        // The device runs the new image from now on, whatever its UPDATED report does.
        self.current = update.flow.current().cloned();
        self.step(session, now, step);
    }

    pub fn poll_event(&mut self) -> Option<UpdaterEvent> {
        self.events.pop_front()
    }

    /// Carries out the flow's steps until one waits for an operation or the installer.
    fn step(&mut self, session: &mut DeviceSession, now: Millis, mut step: UpdateStep) {
        loop {
            let Some(update) = self.update.as_mut() else { return };
            for event in update.flow.take_events() {
                self.events.push_back(UpdaterEvent::Firmware(event));
            }
            step = match step {
                UpdateStep::Report { telemetry } => match session.send_telemetry(now, &telemetry) {
                    Ok(op) => return update.waiting = Waiting::Report(op),
                    Err(e) => update.flow.reported(Err(e)),
                },
                UpdateStep::RequestChunk { request_id, index, chunk_size } => {
                    match session.request_chunk(now, self.kind, request_id, index, chunk_size) {
                        Ok(op) => return update.waiting = Waiting::Chunk(op),
                        Err(e) => update.flow.chunk(Err(e)),
                    }
                }
                UpdateStep::Digest { algorithm } => {
                    update.waiting = Waiting::Digest;
                    let (generation, package) = (update.generation, update.package.clone());
                    return self.events.push_back(UpdaterEvent::Digest { generation, package, algorithm });
                }
                UpdateStep::Describe { error } => {
                    update.waiting = Waiting::Words;
                    let (generation, package) = (update.generation, update.package.clone());
                    return self.events.push_back(UpdaterEvent::Describe { generation, package, error });
                }
                UpdateStep::Install { image } => {
                    update.waiting = Waiting::Install;
                    let (generation, package) = (update.generation, update.package.clone());
                    return self.events.push_back(UpdaterEvent::Install { generation, package, image });
                }
                UpdateStep::Done(result) => {
                    let Some(update) = self.update.take() else { return };
                    self.decisions.finished(update.generation, &update.package, result.is_ok());
                    if let Err(e) = result {
                        self.events.push_back(UpdaterEvent::Error(e));
                    }
                    return;
                }
            };
        }
    }
}
