//! MQTT 5 enhanced authentication (§4.12): a challenge and response in AUTH packets, named by the
//! Authentication Method the CONNECT gave, before the CONNACK and again on a connection that is up
//! (re-authentication, §4.12.1). The rules of the exchange live here; the session sends and reads
//! the packets.
//!
//! - The broker may answer the CONNECT, or the client's re-authentication (AUTH 0x19), with AUTH
//!   0x18 "continue authentication" and its data: the application answers with AUTH 0x18 and its
//!   own (MQTT-4.12.0-3).
//! - Every AUTH, and a CONNACK that accepts, names the CONNECT's method (MQTT-4.12.0-5).
//! - Without a method in the CONNECT, the broker sends no AUTH and no method (MQTT-4.12.0-6), and
//!   the client sends no AUTH (MQTT-4.12.0-7).
//! - A re-authentication ends with AUTH 0x00 "success" from the broker, or with its DISCONNECT.
//!
//! Anything else the broker sends is a protocol error: DISCONNECT 0x82.
//!
//! The session's side (`impl Session` below) is in builds with the `auth` feature only.

use super::packets::properties::Property;
#[cfg(feature = "auth")]
use super::{packets, packets::properties as props, Phase, ProtocolVersion};
use super::{Session, SessionError, SessionEvent};

/// The Authentication Method and Data of a received CONNACK or AUTH. Builds without the `auth`
/// feature read neither (no CONNECT of theirs names a method): `()`.
#[cfg(feature = "auth")]
pub type Received = (Option<String>, Option<Vec<u8>>);
#[cfg(not(feature = "auth"))]
pub type Received = ();

/// A packet's Authentication Method and Data.
#[cfg(feature = "auth")]
pub fn received(p: &[Property]) -> Received {
    let method = props::string(p, props::AUTHENTICATION_METHOD).map(str::to_owned);
    (method, props::binary(p, props::AUTHENTICATION_DATA).map(<[u8]>::to_vec))
}
#[cfg(not(feature = "auth"))]
pub fn received(_: &[Property]) -> Received {}

/// The Authentication Method and first Authentication Data of a CONNECT (§3.1.2.11.9–10).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Authentication {
    /// The method both sides agreed on, such as "SCRAM-SHA-256".
    pub method: String,
    /// The method's first data, if it has any.
    pub data: Option<Vec<u8>>,
}

/// AUTH reason codes (§3.15.2.1).
pub const SUCCESS: u8 = 0x00;
pub const CONTINUE: u8 = 0x18;
pub const REAUTHENTICATE: u8 = 0x19;

/// What the broker's AUTH or CONNACK may do next.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Exchange {
    /// The broker's last AUTH 0x18 waits for the application's answer.
    pub challenged: bool,
    /// The client sent AUTH 0x19; the broker's AUTH 0x00 or DISCONNECT ends it.
    pub reauthenticating: bool,
}

/// What a received AUTH means.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Step {
    /// A challenge: the application answers it with `Session::authenticate`.
    Challenge(Option<Vec<u8>>),
    /// The re-authentication succeeded.
    Reauthenticated(Option<Vec<u8>>),
}

impl Exchange {
    /// The broker's AUTH with `code`, `method` and `data`, on a connection whose CONNECT named
    /// `ours` (`connected`: the CONNACK came). An error is a protocol error's detail.
    pub fn receive(
        &mut self,
        ours: Option<&str>,
        connected: bool,
        code: u8,
        method: Option<&str>,
        data: Option<Vec<u8>>,
    ) -> Result<Step, &'static str> {
        let ours = ours.ok_or("an AUTH, when the CONNECT named no authentication method")?;
        // A success with no properties at all (Remaining Length 0, §3.15.2.1) names no method.
        if method != Some(ours) && !(code == SUCCESS && method.is_none()) {
            return Err("an AUTH with another authentication method than the CONNECT's");
        }
        match code {
            CONTINUE if !connected || self.reauthenticating => {
                self.challenged = true;
                Ok(Step::Challenge(data))
            }
            SUCCESS if connected && self.reauthenticating && !self.challenged => {
                self.reauthenticating = false;
                Ok(Step::Reauthenticated(data))
            }
            CONTINUE => Err("an AUTH to continue an authentication that is not under way"),
            SUCCESS => Err("an AUTH success outside a re-authentication"),
            _ => Err("an AUTH to re-authenticate, which only a client sends"),
        }
    }

    /// Whether a successful CONNACK's `method` fits the CONNECT's `ours`.
    pub fn accepts_connack(ours: Option<&str>, method: Option<&str>) -> Result<(), &'static str> {
        match (ours, method) {
            (None, Some(_)) => Err("a CONNACK with an authentication method the CONNECT did not name"),
            (Some(ours), method) if method != Some(ours) => {
                Err("a CONNACK without the authentication method of the CONNECT")
            }
            _ => Ok(()),
        }
    }
}

#[cfg(feature = "auth")]
impl Session {
    /// Answers the broker's challenge (`NotifyAuthChallenge`) with AUTH 0x18 and `data`.
    pub fn authenticate(&mut self, data: Option<Vec<u8>>) -> Result<Vec<SessionEvent>, SessionError> {
        if !self.auth.challenged || self.phase == Phase::Idle {
            return Err(SessionError::InvalidOption {
                field: "authenticate",
                reason: "the broker has no challenge waiting for an answer".into(),
            });
        }
        let bytes = self.auth_packet(CONTINUE, data)?;
        self.auth.challenged = false;
        let mut out = Vec::new();
        self.emit(bytes, &mut out)?;
        Ok(out)
    }

    /// Starts a re-authentication (MQTT 5 §4.12.1) with AUTH 0x19 and `data`, on a connection whose
    /// CONNECT named an authentication method. The broker's challenges follow as
    /// `NotifyAuthChallenge`; its success as `NotifyReauthenticated`, its refusal as a DISCONNECT.
    pub fn reauthenticate(&mut self, data: Option<Vec<u8>>) -> Result<Vec<SessionEvent>, SessionError> {
        self.require_connected()?;
        if self.auth.reauthenticating {
            return Err(SessionError::InvalidOption {
                field: "reauthenticate",
                reason: "a re-authentication is already under way".into(),
            });
        }
        let bytes = self.auth_packet(REAUTHENTICATE, data)?;
        let mut out = Vec::new();
        self.emit(bytes, &mut out)?;
        self.auth.reauthenticating = true;
        Ok(out)
    }

    /// The application cannot go on with an enhanced authentication: DISCONNECT 0x80 "unspecified
    /// error" (the one packet besides AUTH a client may send before the CONNACK, MQTT-3.1.2-30),
    /// and the connection ends as lost. The caller knows the better reason.
    pub fn abandon_authentication(&mut self) -> Vec<SessionEvent> {
        let mut out = Vec::new();
        if self.phase != Phase::Idle {
            self.say_why(0x80, &mut out);
            self.fail(SessionError::ConnectionLost, &mut out);
        }
        out
    }

    /// An AUTH with the CONNECT's method (MQTT-4.12.0-5, MQTT-4.12.1-1) and `data`.
    fn auth_packet(&self, code: u8, data: Option<Vec<u8>>) -> Result<Vec<u8>, SessionError> {
        match &self.options.authentication {
            Some(a) if self.options.version == ProtocolVersion::V5 => {
                packets::auth(code, &Authentication { method: a.method.clone(), data })
            }
            _ => Err(SessionError::InvalidOption {
                field: "authentication",
                reason: "the CONNECT named no authentication method (MQTT 5)".into(),
            }),
        }
    }

    /// A successful CONNACK's Authentication Method, against the CONNECT's: the exchange ends.
    pub(super) fn accept_authentication(&mut self, (method, _): Received) -> Result<(), SessionError> {
        let ours = self.options.authentication.as_ref().map(|a| a.method.as_str());
        Exchange::accepts_connack(ours, method.as_deref())
            .map_err(|detail| SessionError::Protocol { detail: detail.into() })?;
        self.auth.challenged = false;
        Ok(())
    }

    /// The broker's AUTH: a challenge or the end of a re-authentication, or a protocol error.
    pub(super) fn on_auth(
        &mut self,
        code: u8,
        (method, data): Received,
        out: &mut Vec<SessionEvent>,
    ) -> Result<(), SessionError> {
        let ours = self.options.authentication.as_ref().map(|a| a.method.as_str());
        let connected = self.phase == Phase::Connected;
        let step = self.auth.receive(ours, connected, code, method.as_deref(), data);
        out.push(match step.map_err(|detail| SessionError::Protocol { detail: detail.into() })? {
            Step::Challenge(data) => SessionEvent::NotifyAuthChallenge(data),
            Step::Reauthenticated(data) => SessionEvent::NotifyReauthenticated(data),
        });
        Ok(())
    }
}

/// Without the `auth` feature no CONNECT names a method: a CONNACK is not checked for one, and an
/// AUTH is ignored.
#[cfg(not(feature = "auth"))]
impl Session {
    pub(super) fn accept_authentication(&mut self, _: Received) -> Result<(), SessionError> {
        Ok(())
    }

    pub(super) fn on_auth(&mut self, _: u8, _: Received, _: &mut Vec<SessionEvent>) -> Result<(), SessionError> {
        Ok(())
    }
}
