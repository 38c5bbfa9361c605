//! What a ThingsBoard device page remembers across reloads, per profile: its RPC reply rules and
//! the RPC history, in `localStorage`. A row still waiting when the page went away is closed with
//! the reason, since its answer can no longer come to this page.
//!
//! The rules are the profile's, one list for every tab on it, under a key of their own: a tab
//! writes them only when they change, and follows another tab's changes (`rules`, on the window's
//! `storage` event). So a tab that logs a row never writes back rules another tab has changed
//! since. The history is each tab's, and the last tab to log a row is the one kept.

use gloo::storage::errors::StorageError;
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

pub fn rules_key(profile_id: &str) -> String {
    format!("iotmqtt.dashboard.rpc-rules.v1.{profile_id}")
}

/// The profile's reply rules as a tab last wrote them; `None` when none ever did, or they cannot be
/// read.
pub fn rules(profile_id: &str) -> Option<Vec<ReplyRule>> {
    LocalStorage::get(rules_key(profile_id)).ok()
}

/// Writes the profile's reply rules, for the next visit and the other tabs on the profile.
pub fn save_rules(profile_id: &str, rules: &[ReplyRule]) {
    let _ = LocalStorage::set(rules_key(profile_id), rules);
}

/// What the profile's page kept, with rows that were waiting closed and renumbered from 0.
pub fn load(profile_id: &str) -> RpcMemory {
    let mut memory: RpcMemory = LocalStorage::get(key(profile_id)).unwrap_or_default();
    // Rules kept with the history, before they had a key of their own, move there. Rules this
    // build cannot read (another version's) stay as they are: this tab starts with the history's.
    match LocalStorage::get(rules_key(profile_id)) {
        Ok(rules) => memory.rules = rules,
        Err(StorageError::KeyNotFound(_)) => save_rules(profile_id, &memory.rules),
        Err(_) => {}
    }
    let skip = memory.log.len().saturating_sub(KEPT_ROWS);
    memory.log.drain(..skip);
    for (seq, row) in memory.log.iter_mut().enumerate() {
        row.seq = seq as u64;
        row.outcome.get_or_insert_with(|| Err("no answer: the page was reloaded before it came".into()));
    }
    memory
}

/// Keeps the newest rows; a full or refused storage only loses the memory.
pub fn save_log<'a>(profile_id: &str, log: impl Iterator<Item = &'a RpcEntry>) {
    let memory = RpcMemory { rules: Vec::new(), log: log.cloned().collect() };
    let _ = LocalStorage::set(key(profile_id), memory);
}
