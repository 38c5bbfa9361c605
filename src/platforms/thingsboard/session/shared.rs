//! A ThingsBoard device's session as one tab's of a connection the origin's tabs share
//! (`crate::shared`, docs/shared.md). ThingsBoard answers a request on `.../response/{id}` with the id
//! the device chose, and every tab subscribed to that filter hears the answer; it sends a server RPC
//! to the connection, and every tab that handles its method would run it; it announces a package to
//! every tab, and each tab's updater would download and install it. So a tab numbers its requests in
//! its own block of ids, runs a server RPC only while it holds the method's turn and updates only
//! while it holds the device's firmware turn (one tab at a time, `src/shared/lease.rs`), and paces
//! its publishes at its share of the device's limits. One tab answers "unknown method" for the
//! server RPCs that no tab handles (`UNKNOWN_RPC_TURN`).
//! A device on a connection of its own does none of this (cargo feature `thingsboard-shared`).

use super::{Awaits, DeviceEvent, DeviceSession, OpId, PackageKind, ThingsBoardError};
use crate::error::{ClientError, SessionError};
use crate::supervisor::Millis;

/// Where a tab stands on a turn.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(super) enum Turn {
    /// To be asked for again at the next `connected`: the session could not give it.
    Ask,
    Asked,
    Held,
    /// Asked, and not wanted any more: given back once given, since a place in the queue given
    /// back would leave its request unanswered (and a new leader could answer it later).
    Unwanted,
}

/// The turn of the tab that answers "unknown method" for a server RPC no tab handles: every tab
/// that handles one asks for it. (No method's turn is named so: theirs start with `rpc/`.)
pub const UNKNOWN_RPC_TURN: &str = "rpc-unknown";

/// The name of the turn on server RPC `method` among the tabs of a shared connection.
pub fn rpc_turn(method: &str) -> String {
    format!("rpc/{method}")
}

/// The name of the turn on the device's updates of `kind` (one tab's updater at a time).
pub fn firmware_turn(kind: PackageKind) -> String {
    format!("firmware/{}", kind.prefix())
}

impl DeviceSession {
    /// Asks for the turn `name` (`rpc_turn`, `firmware_turn`), once.
    pub fn ask_turn(&mut self, name: String) {
        if !self.is_shared() {
            return;
        }
        match self.turns.get_mut(&name) {
            Some(turn) if *turn == Turn::Unwanted => *turn = Turn::Asked,
            Some(turn) if *turn == Turn::Ask => {
                self.events.push_back(DeviceEvent::RequestLease { topic: name.clone() });
                *turn = Turn::Asked;
            }
            Some(_) => {}
            None => {
                self.events.push_back(DeviceEvent::RequestLease { topic: name.clone() });
                self.turns.insert(name, Turn::Asked);
            }
        }
    }

    /// Gives the turn `name` back; one still asked for goes back once given.
    pub fn give_turn(&mut self, name: &str) {
        match self.turns.get_mut(name) {
            Some(turn) if *turn == Turn::Asked => *turn = Turn::Unwanted,
            Some(Turn::Ask) => {
                self.turns.remove(name);
            }
            Some(Turn::Held) => {
                self.turns.remove(name);
                self.events.push_back(DeviceEvent::ReleaseLease { topic: name.to_owned() });
            }
            _ => {}
        }
    }

    /// Whether this tab holds the turn `name` (a device of its own holds every one).
    pub fn holds_turn(&self, name: &str) -> bool {
        !self.is_shared() || self.turns.get(name) == Some(&Turn::Held)
    }

    /// The session gave (`true`) or could not give the turn `name`. One not wanted any more goes
    /// back at once; one not given is asked for again at the next `connected` (a tab that left the
    /// session with `disconnect()` and joins it again).
    pub fn leased(&mut self, name: &str, given: bool) {
        match self.turns.get_mut(name) {
            Some(turn) if *turn == Turn::Asked => *turn = if given { Turn::Held } else { Turn::Ask },
            Some(Turn::Unwanted) if given => {
                self.turns.remove(name);
                self.events.push_back(DeviceEvent::ReleaseLease { topic: name.to_owned() });
            }
            Some(Turn::Unwanted) => {
                self.turns.remove(name);
            }
            _ => {}
        }
    }

    /// The shared connection is up, with this tab numbered `tab` by host `host` (each counted from
    /// 1: a tab's side counts the hosts it joined, one more at each leader's greeting).
    ///
    /// A host that goes on (a SharedWorker whose connection came back) keeps this tab's number and
    /// turns. A new host (a leader's page went, taking its turns with it) numbers the tab anew: its
    /// request ids from now on are in its new block, the requests that wait for an answer fail with
    /// `CONNECTION_LOST` (their ids are the old block's, which the new host may give another tab),
    /// and the turns it held are asked for again (the ones asked for, the tab's side asks again).
    pub fn connection_up(&mut self, tab: u32, host: u32) {
        if !self.is_shared() || tab == 0 {
            return;
        }
        for (name, turn) in self.turns.iter_mut() {
            if *turn == Turn::Ask {
                *turn = Turn::Asked;
                self.events.push_back(DeviceEvent::RequestLease { topic: name.clone() });
            }
        }
        if (tab, host) == (self.tab, self.host) {
            return;
        }
        let new_host = self.host != 0 && host != self.host;
        (self.tab, self.host) = (tab, host);
        // Eleven bits of block and twenty of count keep an id a positive 32-bit integer, as
        // ThingsBoard reads it; blocks repeat only 2,047 joins apart.
        self.block = (tab - 1) % 2047 + 1;
        if !new_host {
            return;
        }
        for (name, turn) in self.turns.iter_mut() {
            if *turn == Turn::Held {
                *turn = Turn::Asked;
                self.events.push_back(DeviceEvent::RequestLease { topic: name.clone() });
            }
        }
        let waiting: Vec<OpId> =
            self.ops.iter().filter(|(_, o)| o.awaits != Awaits::Nothing).map(|(op, _)| *op).collect();
        for op in waiting {
            self.fail(op, ThingsBoardError::Client(ClientError::Session(SessionError::ConnectionLost)));
        }
    }

    /// The session says which tab holds the turn `topic` (0: none), as `RequestHolder` asked. A
    /// server RPC that waited to know it is answered "unknown method" when no tab holds its
    /// method's turn; otherwise that tab answers it.
    pub fn holder(&mut self, now: Millis, topic: &str, holder: u32) {
        let Some(at) = self.unknown.iter().position(|(t, ..)| t == topic) else { return };
        let (_, id, method) = self.unknown.remove(at);
        if holder == 0 {
            self.reply_rpc(now, id, &Err(format!("unknown method: {method}")));
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
