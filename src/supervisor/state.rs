//! Where a supervised connection stands, as the application sees it. Every change is reported once,
//! as `Event::NotifyState`, by the supervisor that owns it.

use crate::error::ClientError;
use crate::session::ConnAck;

/// Where the connection stands. Every change reaches the state listeners.
#[derive(Debug, Clone, PartialEq)]
pub enum ConnectionState {
    /// Created, never connected.
    Idle,
    Connecting,
    Connected(ConnAck),
    /// The connection dropped; attempt `attempt` starts after `delay_ms`.
    Reconnecting {
        attempt: u32,
        delay_ms: u64,
        reason: ClientError,
    },
    /// The connection ended or never came up; the error says why.
    Disconnected(ClientError),
    /// `close()` was called; the client is done.
    Closed,
}
