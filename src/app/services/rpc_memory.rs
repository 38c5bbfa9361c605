//! What a ThingsBoard device page remembers across reloads, per profile: its RPC reply rules and
//! the RPC history, in `localStorage`. A row still waiting when the page went away is closed with
//! the reason, since its answer can no longer come to this page.

use gloo::storage::{LocalStorage, Storage};
use serde::{Deserialize, Serialize};

use super::thingsboard::{ReplyRule, RpcEntry};

/// Rows kept: the page's log holds as many.
pub const KEPT_ROWS: usize = 300;

#[derive(Debug, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct RpcMemory {
    pub rules: Vec<ReplyRule>,
    /// Oldest first.
    pub log: Vec<RpcEntry>,
}

fn key(profile_id: &str) -> String {
    format!("iotmqtt.dashboard.rpc.v1.{profile_id}")
}

/// What the profile's page kept, with rows that were waiting closed and renumbered from 0.
pub fn load(profile_id: &str) -> RpcMemory {
    let mut memory: RpcMemory = LocalStorage::get(key(profile_id)).unwrap_or_default();
    let skip = memory.log.len().saturating_sub(KEPT_ROWS);
    memory.log.drain(..skip);
    for (seq, row) in memory.log.iter_mut().enumerate() {
        row.seq = seq as u64;
        row.outcome.get_or_insert_with(|| Err("no answer: the page was reloaded before it came".into()));
    }
    memory
}

/// Keeps the rules and the newest rows; a full or refused storage only loses the memory.
pub fn save<'a>(profile_id: &str, rules: &[ReplyRule], log: impl Iterator<Item = &'a RpcEntry>) {
    let memory = RpcMemory { rules: rules.to_vec(), log: log.cloned().collect() };
    let _ = LocalStorage::set(key(profile_id), memory);
}
