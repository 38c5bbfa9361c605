//! MQTT return and reason codes, turned into words a user can act on.
//! 3.1.1 CONNACK return codes map onto the same refusal names as MQTT 5 reason codes.

use core::fmt;

/// Why a broker refused a CONNECT. MQTT 3.1.1 return codes 0x01–0x05 and
/// MQTT 5 CONNACK reason codes 0x80–0x9F map onto these.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ConnectRefusal {
    UnspecifiedError,
    MalformedPacket,
    ProtocolError,
    ImplementationSpecificError,
    UnsupportedProtocolVersion,
    ClientIdentifierNotValid,
    BadUserNameOrPassword,
    NotAuthorized,
    ServerUnavailable,
    ServerBusy,
    Banned,
    BadAuthenticationMethod,
    TopicNameInvalid,
    PacketTooLarge,
    QuotaExceeded,
    PayloadFormatInvalid,
    RetainNotSupported,
    QosNotSupported,
    UseAnotherServer,
    ServerMoved,
    ConnectionRateExceeded,
    /// A code outside both tables.
    Unknown,
}

impl ConnectRefusal {
    /// MQTT 3.1.1 §3.2.2.3.
    pub fn from_v3(code: u8) -> Self {
        match code {
            0x01 => Self::UnsupportedProtocolVersion,
            0x02 => Self::ClientIdentifierNotValid,
            0x03 => Self::ServerUnavailable,
            0x04 => Self::BadUserNameOrPassword,
            0x05 => Self::NotAuthorized,
            _ => Self::Unknown,
        }
    }

    /// MQTT 5.0 §3.2.2.2.
    pub fn from_v5(code: u8) -> Self {
        match code {
            0x80 => Self::UnspecifiedError,
            0x81 => Self::MalformedPacket,
            0x82 => Self::ProtocolError,
            0x83 => Self::ImplementationSpecificError,
            0x84 => Self::UnsupportedProtocolVersion,
            0x85 => Self::ClientIdentifierNotValid,
            0x86 => Self::BadUserNameOrPassword,
            0x87 => Self::NotAuthorized,
            0x88 => Self::ServerUnavailable,
            0x89 => Self::ServerBusy,
            0x8A => Self::Banned,
            0x8C => Self::BadAuthenticationMethod,
            0x90 => Self::TopicNameInvalid,
            0x95 => Self::PacketTooLarge,
            0x97 => Self::QuotaExceeded,
            0x99 => Self::PayloadFormatInvalid,
            0x9A => Self::RetainNotSupported,
            0x9B => Self::QosNotSupported,
            0x9C => Self::UseAnotherServer,
            0x9D => Self::ServerMoved,
            0x9F => Self::ConnectionRateExceeded,
            _ => Self::Unknown,
        }
    }

    /// A stable code for programs to switch on (the JS API's `error.code`).
    pub fn code(self) -> &'static str {
        match self {
            Self::UnspecifiedError => "CONNACK_UNSPECIFIED_ERROR",
            Self::MalformedPacket => "CONNACK_MALFORMED_PACKET",
            Self::ProtocolError => "CONNACK_PROTOCOL_ERROR",
            Self::ImplementationSpecificError => "CONNACK_IMPLEMENTATION_SPECIFIC_ERROR",
            Self::UnsupportedProtocolVersion => "CONNACK_UNSUPPORTED_PROTOCOL_VERSION",
            Self::ClientIdentifierNotValid => "CONNACK_CLIENT_IDENTIFIER_NOT_VALID",
            Self::BadUserNameOrPassword => "CONNACK_BAD_USERNAME_OR_PASSWORD",
            Self::NotAuthorized => "CONNACK_NOT_AUTHORIZED",
            Self::ServerUnavailable => "CONNACK_SERVER_UNAVAILABLE",
            Self::ServerBusy => "CONNACK_SERVER_BUSY",
            Self::Banned => "CONNACK_BANNED",
            Self::BadAuthenticationMethod => "CONNACK_BAD_AUTHENTICATION_METHOD",
            Self::TopicNameInvalid => "CONNACK_TOPIC_NAME_INVALID",
            Self::PacketTooLarge => "CONNACK_PACKET_TOO_LARGE",
            Self::QuotaExceeded => "CONNACK_QUOTA_EXCEEDED",
            Self::PayloadFormatInvalid => "CONNACK_PAYLOAD_FORMAT_INVALID",
            Self::RetainNotSupported => "CONNACK_RETAIN_NOT_SUPPORTED",
            Self::QosNotSupported => "CONNACK_QOS_NOT_SUPPORTED",
            Self::UseAnotherServer => "CONNACK_USE_ANOTHER_SERVER",
            Self::ServerMoved => "CONNACK_SERVER_MOVED",
            Self::ConnectionRateExceeded => "CONNACK_CONNECTION_RATE_EXCEEDED",
            Self::Unknown => "CONNACK_UNKNOWN",
        }
    }

    /// What the refusal most likely means and what to do about it.
    pub fn advice(self) -> &'static str {
        match self {
            Self::UnspecifiedError => "the broker gave no reason; check its log",
            Self::MalformedPacket => "the broker could not parse the CONNECT packet",
            Self::ProtocolError => "the CONNECT broke a protocol rule the broker enforces",
            Self::ImplementationSpecificError => {
                "the broker rejected the CONNECT for a reason of its own; check its log"
            }
            Self::UnsupportedProtocolVersion => {
                "the broker does not speak this MQTT version: try 3.1.1 instead of 5 (or the other way round)"
            }
            Self::ClientIdentifierNotValid => {
                "the client id was rejected: use 1-23 letters and digits, or give credentials with it"
            }
            Self::BadUserNameOrPassword => "the user name or password is wrong or malformed: check the credentials",
            Self::NotAuthorized => "the credentials were not accepted: check the user name, password or access token",
            Self::ServerUnavailable => "the broker is up but its MQTT service is unavailable: try again later",
            Self::ServerBusy => "the broker is busy: try again later",
            Self::Banned => "this client is banned by the broker",
            Self::BadAuthenticationMethod => "the authentication method is not supported by the broker",
            Self::TopicNameInvalid => "the will topic was rejected",
            Self::PacketTooLarge => "the CONNECT packet is larger than the broker accepts (a large will payload?)",
            Self::QuotaExceeded => "a broker quota was exceeded",
            Self::PayloadFormatInvalid => "the will payload format was rejected",
            Self::RetainNotSupported => "the broker does not support retained messages: turn off will retain",
            Self::QosNotSupported => "the broker does not support the will's QoS: lower it",
            Self::UseAnotherServer => "the broker asks the client to use another server",
            Self::ServerMoved => "the broker has moved permanently",
            Self::ConnectionRateExceeded => "too many connection attempts: wait before retrying",
            Self::Unknown => "the broker answered with a code this client does not know",
        }
    }
}

/// A reason code in an MQTT 5 PUBACK, PUBREC, SUBACK, UNSUBACK or DISCONNECT
/// (or 0x80 in a 3.1.1 SUBACK).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct ReasonCode(pub u8);

impl ReasonCode {
    /// Codes below 0x80 report success (MQTT 5.0 §2.4).
    pub fn is_error(self) -> bool {
        self.0 >= 0x80
    }

    /// The name the MQTT 5 specification gives the code.
    pub fn name(self) -> &'static str {
        match self.0 {
            0x00 => "Success",
            0x01 => "Granted QoS 1",
            0x02 => "Granted QoS 2",
            0x04 => "Disconnect with Will Message",
            0x10 => "No matching subscribers",
            0x11 => "No subscription existed",
            0x18 => "Continue authentication",
            0x19 => "Re-authenticate",
            0x80 => "Unspecified error",
            0x81 => "Malformed Packet",
            0x82 => "Protocol Error",
            0x83 => "Implementation specific error",
            0x84 => "Unsupported Protocol Version",
            0x85 => "Client Identifier not valid",
            0x86 => "Bad User Name or Password",
            0x87 => "Not authorized",
            0x88 => "Server unavailable",
            0x89 => "Server busy",
            0x8A => "Banned",
            0x8B => "Server shutting down",
            0x8C => "Bad authentication method",
            0x8D => "Keep Alive timeout",
            0x8E => "Session taken over",
            0x8F => "Topic Filter invalid",
            0x90 => "Topic Name invalid",
            0x91 => "Packet Identifier in use",
            0x92 => "Packet Identifier not found",
            0x93 => "Receive Maximum exceeded",
            0x94 => "Topic Alias invalid",
            0x95 => "Packet too large",
            0x96 => "Message rate too high",
            0x97 => "Quota exceeded",
            0x98 => "Administrative action",
            0x99 => "Payload format invalid",
            0x9A => "Retain not supported",
            0x9B => "QoS not supported",
            0x9C => "Use another server",
            0x9D => "Server moved",
            0x9E => "Shared Subscriptions not supported",
            0x9F => "Connection rate exceeded",
            0xA0 => "Maximum connect time",
            0xA1 => "Subscription Identifiers not supported",
            0xA2 => "Wildcard Subscriptions not supported",
            _ => "Unknown reason code",
        }
    }

    /// What the code usually means for the user, when there is more to say than its name.
    pub fn advice(self) -> &'static str {
        match self.0 {
            0x80 => "the broker refused without a reason; on ThingsBoard this is a filter outside its whitelist",
            0x87 => "the broker's access control denies this topic to these credentials",
            0x8B => "the broker is shutting down; the client may reconnect later",
            0x8D => "the broker saw no packet within 1.5 x keepalive",
            0x8E => "another client connected with the same client id",
            0x8F => "the broker does not accept this topic filter",
            0x90 => "the broker does not accept this topic name",
            0x95 => "the packet is larger than the broker accepts",
            0x96 | 0x97 => "slow down: the broker limits how much this client may send",
            0x99 => "the broker could not parse the payload (for a platform topic: check the JSON)",
            0x9A => "the broker does not support retained messages",
            0x9B => "the broker does not support this QoS: use a lower one",
            0x9E => "the broker does not support shared subscriptions",
            0xA2 => "the broker does not support wildcard subscriptions: subscribe to exact topics",
            _ => "",
        }
    }
}

impl fmt::Display for ReasonCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "0x{:02X} {}", self.0, self.name())?;
        let advice = self.advice();
        if !advice.is_empty() {
            write!(f, " ({advice})")?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // MQTT 3.1.1 §3.2.2.3, table 3.1: return codes 1-5.
    #[test]
    fn every_v3_connack_code_has_its_own_refusal() {
        let mapped: Vec<_> = (1..=5).map(ConnectRefusal::from_v3).collect();
        assert_eq!(
            mapped,
            [
                ConnectRefusal::UnsupportedProtocolVersion,
                ConnectRefusal::ClientIdentifierNotValid,
                ConnectRefusal::ServerUnavailable,
                ConnectRefusal::BadUserNameOrPassword,
                ConnectRefusal::NotAuthorized,
            ]
        );
        assert_eq!(ConnectRefusal::from_v3(6), ConnectRefusal::Unknown);
    }

    // MQTT 5.0 §3.2.2.2: every CONNACK error reason code is known, and the gaps are not.
    #[test]
    fn every_v5_connack_error_code_is_known() {
        let known = [
            0x80, 0x81, 0x82, 0x83, 0x84, 0x85, 0x86, 0x87, 0x88, 0x89, 0x8A, 0x8C, 0x90, 0x95, 0x97, 0x99, 0x9A, 0x9B,
            0x9C, 0x9D, 0x9F,
        ];
        for code in 0x80..=0xFFu8 {
            let refusal = ConnectRefusal::from_v5(code);
            assert_eq!(refusal != ConnectRefusal::Unknown, known.contains(&code), "0x{code:02X}");
        }
        let mut codes: Vec<_> = known.iter().map(|c| ConnectRefusal::from_v5(*c).code()).collect();
        codes.sort();
        codes.dedup();
        assert_eq!(codes.len(), known.len(), "each refusal has its own stable code");
    }

    #[test]
    fn reason_codes_print_hex_name_and_advice() {
        assert_eq!(ReasonCode(0x99).to_string().split(" (").next(), Some("0x99 Payload format invalid"));
        assert!(ReasonCode(0x80).is_error());
        assert!(!ReasonCode(0x10).is_error());
        assert_eq!(ReasonCode(0x03).name(), "Unknown reason code");
    }
}
