//! The session's own MQTT codec (src/session/packets) against mqtt-protocol-core, the codec it
//! replaced: every packet a client sends must be byte for byte what mqtt-protocol-core builds,
//! and every packet a client receives must parse to the same thing, or be refused for a rule of
//! the MQTT specification the reference does not check (each named below).
#![cfg(not(target_arch = "wasm32"))]

mod reference;

use iotmqtt::session::packets::{self, Ack, Inbound};
use iotmqtt::session::topic_alias::Naming;
use iotmqtt::session::{
    Authentication, ConnectOptions, Outgoing, ProtocolVersion, PublishProperties, QoS, SessionError, Will,
};
use proptest::prelude::*;

/// 2,000 cases from a fixed seed; `CODEC_CASES=1000000 CODEC_SEED=7 cargo test --release --test
/// codec_reference` explores further.
fn cases() -> u32 {
    std::env::var("CODEC_CASES").ok().and_then(|n| n.parse().ok()).unwrap_or(2_000)
}

fn seed() -> u64 {
    std::env::var("CODEC_SEED").ok().and_then(|n| n.parse().ok()).unwrap_or(0x0107_DA7A)
}

const VERSIONS: [ProtocolVersion; 2] = [ProtocolVersion::V3_1_1, ProtocolVersion::V5];
const QOS: [QoS; 3] = [QoS::AtMostOnce, QoS::AtLeastOnce, QoS::ExactlyOnce];

fn text() -> impl Strategy<Value = String> {
    "[a-zA-Z0-9/_é€-]{0,24}"
}

fn qos() -> impl Strategy<Value = QoS> {
    prop::sample::select(&QOS[..])
}

fn version() -> impl Strategy<Value = ProtocolVersion> {
    prop::sample::select(&VERSIONS[..])
}

/// Any set of a message's properties, repeated user property names included.
/// A topic by name, with a new alias, or by its alias alone.
fn naming() -> impl Strategy<Value = Naming> {
    prop_oneof![Just(Naming::Topic), (1u16..).prop_map(Naming::Set), (1u16..).prop_map(Naming::Alias)]
}

fn publish_properties() -> impl Strategy<Value = PublishProperties> {
    (
        proptest::option::of(any::<bool>()),
        proptest::option::of(any::<u32>()),
        proptest::option::of(text()),
        proptest::option::of("[a-z/]{1,12}"),
        proptest::option::of(prop::collection::vec(any::<u8>(), 0..16)),
        prop::collection::vec((prop::sample::select(vec!["a", "b", ""]), text()), 0..4),
    )
        .prop_map(|(format, expiry, content_type, response_topic, correlation, user)| PublishProperties {
            payload_format_indicator: format,
            message_expiry_interval: expiry,
            content_type,
            response_topic,
            correlation_data: correlation,
            user_properties: user.into_iter().map(|(k, v)| (k.to_owned(), v)).collect(),
        })
}

fn connect_options_without_authentication() -> impl Strategy<Value = ConnectOptions> {
    let will = (text(), prop::collection::vec(any::<u8>(), 0..16), qos(), any::<bool>())
        .prop_map(|(topic, payload, qos, retain)| Will { topic: format!("w{topic}"), payload, qos, retain });
    (
        version(),
        text(),
        proptest::option::of(text()),
        proptest::option::of(text()),
        any::<u16>(),
        any::<bool>(),
        proptest::option::of(will),
        proptest::option::of(any::<u32>()),
        1u32..,
        prop_oneof![Just(0u16), any::<u16>()],
    )
        .prop_map(
            |(version, client_id, username, password, keepalive_secs, clean_start, will, expiry, maximum, aliases)| {
                ConnectOptions {
                    version,
                    client_id,
                    username,
                    password,
                    keepalive_secs,
                    clean_start,
                    will,
                    session_expiry_secs: expiry,
                    maximum_packet_size: maximum,
                    topic_alias_maximum: aliases,
                    ..ConnectOptions::default()
                }
            },
        )
}

fn connect_options() -> impl Strategy<Value = ConnectOptions> {
    let auth = proptest::option::of((text(), proptest::option::of(prop::collection::vec(any::<u8>(), 0..300))));
    (connect_options_without_authentication(), auth).prop_map(|(o, auth)| {
        // Enhanced authentication is MQTT 5's, and names a method.
        let authentication = auth
            .filter(|_| o.version == ProtocolVersion::V5)
            .map(|(method, data)| Authentication { method: format!("m{method}"), data });
        ConnectOptions { authentication, ..o }
    })
}

proptest! {
    // A fixed seed: the same cases on every run, so a run fails only for a change in the codec.
    #![proptest_config(ProptestConfig {
        cases: cases(),
        rng_seed: proptest::test_runner::RngSeed::Fixed(seed()),
        ..ProptestConfig::default()
    })]

    #[test]
    fn connect_is_built_as_the_reference_builds_it(o in connect_options(), resume in any::<bool>()) {
        // MQTT 5 allows a password without a user name (§3.1.2.9); the reference refuses it.
        let v5_password_alone = o.version == ProtocolVersion::V5 && o.password.is_some() && o.username.is_none();
        if !v5_password_alone {
            prop_assert_eq!(packets::connect(&o, resume), reference::connect(&o, resume));
        }
    }

    #[test]
    fn publish_is_built_as_the_reference_builds_it(
        v in version(),
        topic in "[a-z/]{1,20}",
        payload in prop::collection::vec(any::<u8>(), 0..300),
        qos in qos(),
        retain in any::<bool>(),
        dup in any::<bool>(),
        id in 1u16..,
        properties in publish_properties(),
        naming in naming(),
    ) {
        // MQTT 3.1.1 has no properties or aliases: the session uses them on MQTT 5 only.
        let (properties, naming) = match v {
            ProtocolVersion::V5 => (properties, naming),
            ProtocolVersion::V3_1_1 => (PublishProperties::default(), Naming::Topic),
        };
        let msg = Outgoing { topic, payload, qos, retain, properties };
        let id = (qos != QoS::AtMostOnce).then_some(id);
        let dup = dup && id.is_some();
        prop_assert_eq!(packets::publish(v, &msg, id, dup, naming), reference::publish(v, &msg, id, dup, naming));
    }

    #[test]
    fn subscribe_and_unsubscribe_are_built_as_the_reference_builds_them(
        v in version(),
        id in 1u16..,
        filters in prop::collection::vec(("[a-z+/#]{1,12}", qos()), 1..5),
    ) {
        prop_assert_eq!(packets::subscribe(v, id, &filters), reference::subscribe(v, id, &filters));
        let names: Vec<String> = filters.into_iter().map(|(f, _)| f).collect();
        prop_assert_eq!(packets::unsubscribe(v, id, &names), reference::unsubscribe(v, id, &names));
    }

    #[test]
    fn acks_pings_and_disconnects_are_built_as_the_reference_builds_them(
        v in version(),
        id in 1u16..,
        found in any::<bool>(),
        reason in prop::sample::select(vec![0x00, 0x8D, 0x95]),
    ) {
        for kind in [Ack::PubAck, Ack::PubRec, Ack::PubRel, Ack::PubComp] {
            prop_assert_eq!(packets::ack(v, kind, id, found), reference::ack(v, kind, id, found));
        }
        prop_assert_eq!(packets::pingreq(v), reference::pingreq(v));
        prop_assert_eq!(packets::disconnect(v, reason), reference::disconnect(v, reason));
    }

    // Packets made of the fields a client receives, in any order and any count, with any flags:
    // most are malformed, and the two codecs must agree on which and on what the rest say.
    #[test]
    fn received_packets_parse_as_the_reference_parses_them(packet in inbound_packet()) {
        for v in VERSIONS {
            let ours = packets::parse(v, &packet);
            let theirs = reference::parse(v, &packet);
            match (&ours, &theirs) {
                (Ok(a), Ok(b)) => prop_assert_eq!(a, b),
                (Err(_), Err(_)) => {}
                (Err(SessionError::Protocol { detail }), Ok(_)) => prop_assert!(
                    STRICTER.contains(&detail.as_str()),
                    "refused only here ({}): {:02X?}", detail, packet
                ),
                _ => prop_assert!(false, "{:?} against the reference's {:?} for {:02X?}", ours, theirs, packet),
            }
        }
    }
}

/// What this codec refuses and the reference lets through, each a rule of the specification.
const STRICTER: &[&str] = &[
    // MQTT 5.0 §1.5.4 and MQTT 3.1.1 §1.5.3: a malformed packet.
    "a string with the NUL character",
    // MQTT 3.1.1 §3.2.2.1, MQTT 5.0 §3.2.2.1: bits 7–1 of the acknowledge flags are reserved.
    "reserved CONNACK flags are set",
    // MQTT 5.0 §2.2.2.2: the byte properties that are booleans take only 0 and 1.
    "a property that only takes 0 or 1",
    // MQTT 3.1.1 §3.9.3, MQTT 5.0 §3.9.3 and §3.11.3: one code per filter, so at least one.
    "an acknowledgement without its codes",
    // MQTT 5.0 §3.3.4: a subscription identifier is 1 to 268,435,455.
    "a subscription identifier of 0",
    // MQTT 5.0 §3.3.2.3: the property length is part of every PUBLISH's variable header.
    "an MQTT 5 PUBLISH without its property length",
    // MQTT 3.1.1 §3.4.1–§3.7.1 and §3.11.1: a remaining length of 2.
    "an MQTT 3.1.1 acknowledgement longer than its packet id",
];

/// The pieces of a received packet's variable header and payload.
fn field() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        any::<u16>().prop_map(|id| id.to_be_bytes().to_vec()),
        prop::sample::select(&[0x00u8, 0x01, 0x02, 0x04, 0x10, 0x11, 0x80, 0x87, 0x8D, 0x92, 0x9C, 0xFF][..])
            .prop_map(|c| vec![c]),
        "[a-z/\0]{0,6}".prop_map(|s| string(s.as_bytes())),
        prop::collection::vec(property(), 0..4).prop_map(|ps| {
            let block: Vec<u8> = ps.concat();
            let mut out = vec![block.len() as u8];
            out.extend(block);
            out
        }),
        prop::collection::vec(any::<u8>(), 0..4),
    ]
}

fn string(bytes: &[u8]) -> Vec<u8> {
    let mut out = (bytes.len() as u16).to_be_bytes().to_vec();
    out.extend_from_slice(bytes);
    out
}

/// One property of any identifier, with a value of the type its identifier takes.
fn property() -> impl Strategy<Value = Vec<u8>> {
    (0u8..0x2C, any::<u32>(), "[a-z\0]{0,3}").prop_map(|(id, n, s)| {
        let mut out = vec![id];
        match id {
            0x01 | 0x17 | 0x19 | 0x24 | 0x25 | 0x28 | 0x29 | 0x2A => out.push(n as u8 % 3),
            0x13 | 0x21 | 0x22 | 0x23 => out.extend_from_slice(&(n as u16 % 3).to_be_bytes()),
            0x02 | 0x11 | 0x18 | 0x27 => out.extend_from_slice(&(n % 3).to_be_bytes()),
            0x0B => out.push(n as u8 & 0x7F),
            0x09 | 0x16 | 0x03 | 0x08 | 0x12 | 0x15 | 0x1A | 0x1C | 0x1F => out.extend(string(s.as_bytes())),
            0x26 => {
                out.extend(string(s.as_bytes()));
                out.extend(string(b"v"));
            }
            _ => out.push(n as u8),
        }
        out
    })
}

fn inbound_packet() -> impl Strategy<Value = Vec<u8>> {
    let kind = prop::sample::select(&[1u8, 2, 3, 4, 5, 6, 7, 9, 11, 13, 14, 15][..]);
    (kind, 0u8..16, any::<bool>(), prop::collection::vec(field(), 0..5)).prop_map(|(kind, flags, fixed, fields)| {
        let flags = match (fixed, kind) {
            (false, _) | (_, 3) => flags,
            (true, 6) => 2,
            (true, _) => 0,
        };
        let body = fields.concat();
        let mut out = vec![kind << 4 | flags, body.len() as u8];
        out.extend(body);
        out
    })
}

/// Each rule the reference does not check, refused here with its name.
#[test]
fn the_rules_the_reference_skips_are_refused_by_name() {
    let v5 = ProtocolVersion::V5;
    let v3 = ProtocolVersion::V3_1_1;
    let cases: [(ProtocolVersion, &[u8], &str); 6] = [
        (v3, &[0x30, 0x05, 0x00, 0x03, b'a', 0, b'b'], "a string with the NUL character"),
        (v3, &[0x20, 0x02, 0x02, 0x00], "reserved CONNACK flags are set"),
        (v5, &[0x20, 0x05, 0x00, 0x00, 0x02, 0x24, 0x02], "a property that only takes 0 or 1"),
        (v3, &[0x90, 0x02, 0x00, 0x01], "an acknowledgement without its codes"),
        (v5, &[0x30, 0x06, 0x00, 0x01, b't', 0x02, 0x0B, 0x00], "a subscription identifier of 0"),
        (v5, &[0x40, 0x03, 0x00, 0x01, 0x05], "a reason code this packet cannot carry"),
    ];
    for (v, packet, detail) in cases {
        assert_eq!(packets::parse(v, packet), Err(SessionError::Protocol { detail: detail.into() }), "{packet:02X?}");
    }
}

/// The checks that ran before the reference parser (fuzzing once found it panicking without them).
#[test]
fn packet_id_zero_and_qos_3_are_refused() {
    for v in VERSIONS {
        let refused = |packet: &[u8]| assert!(packets::parse(v, packet).is_err(), "{v:?} {packet:02X?}");
        refused(&[0x32, 0x05, 0x00, 0x01, b't', 0x00, 0x00]);
        refused(&[0x34, 0x05, 0x00, 0x01, b't', 0x00, 0x00]);
        refused(&[0x36, 0x03, 0x00, 0x01, b't']);
        refused(&[0x32, 0x03, 0x00, 0x01, b't']);
        for kind in [0x40, 0x50, 0x62, 0x70, 0x90, 0xB0] {
            refused(&[kind, 0x02, 0x00, 0x00]);
        }
    }
    let publish = packets::parse(ProtocolVersion::V3_1_1, &[0x3B, 0x07, 0x00, 0x01, b't', 0x00, 0x07, b'h', b'i']);
    let Ok(Inbound::Publish { packet_id: Some(7), message, alias: None }) = publish else { panic!("{publish:?}") };
    assert_eq!((message.topic.as_str(), &message.payload[..], message.qos), ("t", &b"hi"[..], QoS::AtLeastOnce));
    assert!(message.dup && message.retain);
}

/// Every CONNACK property the session uses, read from an MQTT 5 CONNACK.
#[test]
fn connack_properties_reach_the_session() {
    let packet = [
        0x20, 0x15, 0x01, 0x00, 0x12, // session present, accepted, 18 bytes of properties
        0x27, 0x00, 0x00, 0x04, 0x00, // maximum packet size 1,024
        0x24, 0x01, // maximum QoS 1
        0x21, 0x00, 0x0A, // receive maximum 10
        0x13, 0x00, 0x1E, // server keep alive 30
        0x12, 0x00, 0x02, b'i', b'd', // assigned client identifier "id"
    ];
    let Ok(Inbound::ConnAck { code: 0, ack, .. }) = packets::parse(ProtocolVersion::V5, &packet) else { panic!() };
    assert!(ack.session_present);
    assert_eq!(ack.maximum_packet_size, Some(1024));
    assert_eq!(ack.maximum_qos, Some(QoS::AtLeastOnce));
    assert_eq!(ack.receive_maximum, Some(10));
    assert_eq!(ack.server_keepalive_secs, Some(30));
    assert_eq!(ack.assigned_client_id.as_deref(), Some("id"));
    assert_eq!(packets::parse(ProtocolVersion::V5, &packet), reference::parse(ProtocolVersion::V5, &packet));
}

/// MQTT 5 allows a password without a user name (§3.1.2.9), which the reference refused.
#[test]
fn an_mqtt_5_password_may_come_without_a_user_name() {
    let o = ConnectOptions {
        version: ProtocolVersion::V5,
        client_id: "c".into(),
        password: Some("pw".into()),
        ..ConnectOptions::default()
    };
    let expected = [
        0x10, 0x17, 0, 4, b'M', b'Q', b'T', b'T', 5, 0x42, 0, 60, 5, 0x27, 0x01, 0, 0, 0, 0, 1, b'c', 0, 2, b'p', b'w',
    ];
    assert_eq!(packets::connect(&o, false).unwrap(), expected);
    let v3 = ConnectOptions { version: ProtocolVersion::V3_1_1, ..o };
    assert!(matches!(packets::connect(&v3, false), Err(SessionError::InvalidOption { field: "password", .. })));
}

/// MQTT 3.1.1 §1.5.3, MQTT 5.0 §1.5.4: no U+0000 in a UTF-8 string, which the reference sends.
#[test]
fn a_nul_in_a_connect_string_is_refused_before_sending() {
    for (client_id, username, field) in [("a\0b", None, "clientId"), ("c", Some("u\0"), "username")] {
        let o = ConnectOptions {
            client_id: client_id.into(),
            username: username.map(str::to_owned),
            ..ConnectOptions::default()
        };
        let e = packets::connect(&o, false).unwrap_err();
        assert!(matches!(e, SessionError::InvalidOption { field: f, .. } if f == field), "{e:?}");
    }
}
