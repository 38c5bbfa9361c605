//! The reconnect policy: which failures are worth another attempt, and the source of the jitter
//! the backoff draws from (seeded by the shell, so a virtual clock replays it exactly).

use crate::error::{ClientError, SessionError};
use crate::session::reason::ConnectRefusal as R;

/// A refusal that retrying cannot fix: the credentials, the client id, a ban, the protocol, a packet
/// over the client's maximum.
pub fn refused_for_good(why: &ClientError) -> bool {
    // A packet over `maximum_packet_size` (a retained one, a queued one) would come again after
    // every reconnect: an MQTT 3.1.1 broker cannot know the client's limit.
    if matches!(why, ClientError::Session(SessionError::IncomingPacketTooLarge { .. })) {
        return true;
    }
    matches!(
        why,
        ClientError::Session(SessionError::ConnectRefused {
            refusal: R::NotAuthorized
                | R::BadUserNameOrPassword
                | R::ClientIdentifierNotValid
                | R::Banned
                | R::BadAuthenticationMethod
                | R::UnsupportedProtocolVersion,
            ..
        })
    )
}

/// An ending the application asked for.
pub fn asked_for(why: &ClientError) -> bool {
    matches!(why, ClientError::Disconnected | ClientError::Closed)
}

/// SplitMix64: uniform values from one seed the shell supplies.
#[derive(Debug, Clone)]
pub struct Jitter(u64);

impl Jitter {
    pub fn new(seed: u64) -> Self {
        Self(seed)
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in [0, 1).
    pub fn next_unit(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }
}
