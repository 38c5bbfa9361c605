//! QoS 2 stages that outlive the page (cargo feature `durable`). A session the broker keeps is
//! resumed by whoever connects next with its client id: another page after a reload, or the next
//! leader tab of a shared session. The broker then holds each QoS 2 message it received by its
//! packet id until the PUBREL, and a PUBLISH under another id is a second message; one under an id
//! it holds for a PUBREL is acknowledged and not delivered (MQTT-4.3.3-10). So the next page must
//! send each message again under its packet id, at its stage (PUBLISH with DUP, or PUBREL: MQTT
//! 3.1.1 §4.4, MQTT 5 §4.4), and it can only if this page wrote them down first.
//!
//! With stages kept, a QoS 2 message's packet id is written (`RequestWrite`) before its PUBLISH
//! goes, and its stage before its PUBREL goes; the shell says when each write is done
//! (`written`). A page that loads what an earlier one wrote puts the messages back in flight
//! under their ids (`resume_flight`), and the CONNACK's Session Present decides: resent as they
//! were, or sent anew (new ids, written again) to a broker that kept nothing.

use super::{InFlight, Phase, QoS, Session, SessionEvent};
use crate::session::options::Outgoing;
use crate::session::topic::validate_topic_name;

/// Whether this build keeps stages at all.
pub(super) const DURABLE: bool = cfg!(feature = "durable");

impl Session {
    /// Writes each QoS 2 message's packet id and stage before sending them (`RequestWrite`):
    /// for a client whose messages are kept in a store and whose session the broker keeps.
    /// Without feature `durable` it does nothing.
    pub fn keep_stages(&mut self) {
        self.durable = DURABLE;
    }

    /// Whether a message of `qos` waits for its packet id to be written before it goes.
    #[cfg(feature = "durable")]
    pub(super) fn writes(&self, qos: QoS) -> bool {
        DURABLE && self.durable && qos == QoS::ExactlyOnce
    }

    /// The shell wrote what `RequestWrite` asked: message `token` has `packet_id` at stage
    /// `released`. Its PUBLISH or PUBREL goes now if connected, or with the next connection. A
    /// write for a message that since moved on (completed, or sent anew under another id) is
    /// ignored.
    pub fn written(&mut self, token: u64, packet_id: u16, released: bool) -> Vec<SessionEvent> {
        let mut out = Vec::new();
        let Some(flight) = self.publishes.get_mut(packet_id) else { return out };
        if flight.token != token || flight.written || flight.released.is_some() != released {
            return out;
        }
        flight.written = true;
        if self.phase != Phase::Connected {
            return out;
        }
        let flight = flight.clone();
        // A PUBLISH waits its turn under the broker's Receive Maximum (which a reconnect may have
        // lowered), behind those already waiting; a PUBREL takes no new slot.
        if flight.released.is_none() && (!self.unsent.is_empty() || self.sent_at_receive_maximum(1)) {
            self.unsent.push_back(packet_id);
            // What waited may have room now: nothing else would release it.
            self.release_unsent(&mut out);
        } else {
            // Its first PUBLISH (it never went), or the PUBREL its PUBREC asked for.
            self.send_flight(packet_id, &flight, false, &mut out);
        }
        // A message the broker now refuses (a smaller Maximum Packet Size) failed and left its
        // slot: what is held may take it.
        self.release_held(&mut out);
        out
    }

    /// Whether the PUBLISHes sent and not yet completed, less `but` of them (the one just written),
    /// fill the broker's Receive Maximum (MQTT 5).
    pub(super) fn sent_at_receive_maximum(&self, but: usize) -> bool {
        let max = self.connack.as_ref().and_then(|c| c.receive_maximum);
        max.is_some_and(|m| self.sent().saturating_sub(but) >= usize::from(m))
    }

    /// The PUBLISHes the broker counts against its Receive Maximum: sent, and not completed. A
    /// message whose packet id is not written yet has not been sent (and is never in `unsent`); one
    /// whose PUBREL waits for its stage's write has, and counts until its PUBCOMP.
    pub(super) fn sent(&self) -> usize {
        let unwritten = match DURABLE {
            true => self.publishes.iter().filter(|(_, f)| !f.written && f.released.is_none()).count(),
            false => 0,
        };
        self.publishes.len().saturating_sub(self.unsent.len() + unwritten)
    }

    /// A message an earlier page had in flight under `packet_id` (`released`: its PUBREC had
    /// come), back in flight before the first connection: resent under that id when the broker
    /// kept the session, sent anew otherwise. Returns its token; `None` (the caller sends it anew)
    /// after the first connection, for packet id 0 or one in use, a QoS 0 message, or a bad topic.
    pub fn resume_flight(&mut self, message: &Outgoing, packet_id: u16, released: bool) -> Option<u64> {
        let free = packet_id != 0 && !self.publishes.contains(packet_id);
        let idle = self.phase == Phase::Idle && !self.connected_before;
        if !free || !idle || message.qos == QoS::AtMostOnce || validate_topic_name(&message.topic).is_err() {
            return None;
        }
        let token = self.token();
        let released = released.then(|| {
            self.next_release += 1;
            self.next_release - 1
        });
        let flight = InFlight { token, message: message.clone(), released, written: true };
        self.publishes.insert(packet_id, flight);
        Some(token)
    }
}
