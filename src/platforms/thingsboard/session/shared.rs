//! A ThingsBoard device's session as one tab's of a connection the origin's tabs share
//! (`crate::shared`, docs/shared.md). ThingsBoard answers a request on `.../response/{id}` with the id
//! the device chose, and every tab subscribed to that filter hears the answer; it sends a server RPC
//! to the connection, and every tab that handles its method would run it. So a tab numbers its
//! requests in its own block of ids, runs a server RPC only while it holds the method's turn (one tab
//! at a time, `src/shared/lease.rs`), and paces its publishes at its share of the device's limits.
//! A device on a connection of its own does none of this (cargo feature `thingsboard-shared`).

use super::{Awaits, DeviceEvent, DeviceSession, OpId, ThingsBoardError};
use crate::error::{ClientError, SessionError};
use crate::supervisor::Millis;

/// Where a tab stands on a server RPC method's turn.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(super) enum Turn {
    /// To be asked for once the connection is up again.
    Ask,
    Asked,
    Held,
}

/// The name of the turn on server RPC `method` among the tabs of a shared connection.
pub fn rpc_turn(method: &str) -> String {
    format!("rpc/{method}")
}

impl DeviceSession {
    /// A handler for `method`: the tab asks for its turn, once.
    pub(super) fn ask_turn(&mut self, method: &str) {
        if self.is_shared() && self.turns.get(method).is_none() {
            self.events.push_back(DeviceEvent::RequestLease { topic: rpc_turn(method) });
            self.turns.insert(method.to_owned(), Turn::Asked);
        }
    }

    /// No handler for `method` any more: its turn, or the tab's place in its queue, goes back.
    pub(super) fn give_turn(&mut self, method: &str) {
        if self.is_shared() && matches!(self.turns.remove(method), Some(Turn::Asked | Turn::Held)) {
            self.events.push_back(DeviceEvent::ReleaseLease { topic: rpc_turn(method) });
        }
    }

    pub(super) fn holds_turn(&self, method: &str) -> bool {
        self.turns.get(method) == Some(&Turn::Held)
    }

    /// The session gave (`true`) or could not give the turn named `topic`.
    pub fn leased(&mut self, topic: &str, given: bool) {
        let method = topic.strip_prefix("rpc/").unwrap_or_default();
        if let Some(turn) = self.turns.get_mut(method).filter(|t| **t == Turn::Asked) {
            *turn = if given { Turn::Held } else { Turn::Ask };
        }
    }

    /// The shared connection is on its way again. The turns this tab holds go back, since a host
    /// that went away (a leader's page) took them with it; a turn still asked for stays asked, as
    /// the tab's side of the session asks the next host again. The requests that wait for an answer
    /// fail with `CONNECTION_LOST`: the next host may number this tab otherwise, and another tab's
    /// requests then take this block's ids.
    pub fn connection_lost(&mut self) {
        if !self.is_shared() {
            return;
        }
        for (method, turn) in self.turns.iter_mut() {
            if *turn == Turn::Held {
                *turn = Turn::Ask;
                self.events.push_back(DeviceEvent::ReleaseLease { topic: rpc_turn(method) });
            }
        }
        let waiting: Vec<OpId> =
            self.ops.iter().filter(|(_, o)| o.awaits != Awaits::Nothing).map(|(op, _)| *op).collect();
        for op in waiting {
            self.fail(op, ThingsBoardError::Client(ClientError::Session(SessionError::ConnectionLost)));
        }
    }

    /// The shared connection is up, with this tab numbered `tab` by its host (from 1): its request
    /// ids from now on are in its block, and it asks again for the turns it gave back.
    pub fn connection_up(&mut self, tab: u32) {
        if !self.is_shared() {
            return;
        }
        // Eleven bits of block and twenty of count keep an id a positive 32-bit integer, as
        // ThingsBoard reads it; blocks repeat only 2,047 tabs apart.
        self.block = tab.wrapping_sub(1) % 2047 + 1;
        for (method, turn) in self.turns.iter_mut() {
            if *turn == Turn::Ask {
                *turn = Turn::Asked;
                self.events.push_back(DeviceEvent::RequestLease { topic: rpc_turn(method) });
            }
        }
    }

    /// `tabs` share the connection now, and with it the device's rate limits and in-flight window:
    /// this tab paces at its share of them.
    pub fn set_tabs(&mut self, now: Millis, tabs: usize) {
        self.now = now;
        self.pacer.share(tabs);
        self.pace();
    }
}
