//! The batch the wasm facade hands the TypeScript shell (`src/batch`, read by `npm/src/batch.ts`):
//! the supervisor's events and errors, byte-exact, and a whole connection read back as records.
#![cfg(not(target_arch = "wasm32"))]

use iotmqtt::batch::client::{events, tag};
use iotmqtt::batch::plain::{self, Entries};
use iotmqtt::batch::{Arg, Batch, Coded};
use iotmqtt::session::options::read::{self, Item, Object};
use iotmqtt::session::reason::ReasonCode;
use iotmqtt::session::router::Router;
use iotmqtt::session::said::Words;
use iotmqtt::supervisor::{ConnectStart, Event, Supervisor};
use iotmqtt::{ClientError, ClientOptions, ConnectOptions, Message, PublishProperties, QoS, SessionError};

mod batch_reader;

use batch_reader::Reader;

/// The generic client's records, read as `npm/src/client.ts` reads them.
impl Reader<'_> {
    fn connack(&mut self) -> String {
        let present = self.u8();
        let (size, qos, receive, keepalive) = (self.opt(), self.opt(), self.opt(), self.opt());
        let id = if self.u8() == 1 { self.str() } else { "-".into() };
        let (expiry, aliases, flags) = (self.opt(), self.opt(), self.u8());
        let reason = if self.u8() == 1 { self.str() } else { "-".into() };
        let user: Vec<(String, String)> = (0..self.u32()).map(|_| (self.str(), self.str())).collect();
        // With feature `auth` (the `iotmqtt/mqtt5` entry, and these tests): the Authentication Data.
        let auth = if self.u8() == 1 { format!("{:02x?}", self.bytes()) } else { "-".into() };
        format!(
            "present={present} size={size} qos={qos} receive={receive} keepalive={keepalive} id={id} \
             expiry={expiry} aliases={aliases} flags={flags:08b} reason={reason} user={user:?} auth={auth}"
        )
    }
    /// Every record, as text.
    fn records(mut self) -> Vec<String> {
        let mut out = Vec::new();
        while self.at < self.bytes.len() {
            let line = match self.u8() {
                tag::OPEN => format!("open mqtt_only={} {}", self.u8(), self.str()),
                tag::TRANSMIT => format!("transmit {:02x?}", self.bytes()),
                tag::FLUSH => format!("flush tick={}", self.u8()),
                tag::CLOSE => "close".to_owned(),
                tag::FORGET => format!("forget {}", self.f64()),
                tag::STATE => match self.u8() {
                    2 => format!("state connected {}", self.connack()),
                    3 => format!("state reconnecting attempt={} delay={} {}", self.u32(), self.f64(), self.error()),
                    4 => format!("state disconnected {}", self.error()),
                    s => format!("state {s}"),
                },
                tag::CONNECTED => format!("connected {}", self.connack()),
                tag::CONNECT_FAILED => format!("connect failed {}", self.error()),
                tag::MESSAGE => {
                    let (topic, payload) = (self.str(), self.bytes().to_vec());
                    let (qos, retain, dup) = (self.u8(), self.u8(), self.u8());
                    assert_eq!(self.u8(), 0, "MQTT 5 properties, read by a_messages_mqtt_5_properties_...");
                    let routes: Vec<u32> = (0..self.u16()).map(|_| self.u32()).collect();
                    format!("message {topic} {payload:?} qos={qos} retain={retain} dup={dup} routes={routes:?}")
                }
                tag::PUBLISH_COMPLETED => {
                    let token = self.f64();
                    let result = if self.u8() == 0 { "ok".to_owned() } else { self.error() };
                    format!("published {token} {result}")
                }
                tag::SUBSCRIBED => {
                    let id = self.u16();
                    let results: Vec<String> = (0..self.u16())
                        .map(|_| if self.u8() == 0 { format!("qos {}", self.u8()) } else { self.error() })
                        .collect();
                    format!("subscribed {id} {results:?}")
                }
                tag::ENDED => format!("ended {}", self.error()),
                other => panic!("unexpected tag {other}"),
            };
            out.push(line);
        }
        out
    }
}

fn batch_of(events_in: &[Event], routes: &Router<()>, deadline: Option<u64>) -> Vec<u8> {
    let mut b = Batch::new();
    events(&mut b, events_in, routes);
    b.finish(deadline)
}

#[test]
fn a_message_record_is_byte_exact_and_names_the_matching_routes() {
    let mut routes = Router::new();
    let plus = routes.add("s/+/t", ());
    routes.add("other", ());
    let all = routes.add("#", ());
    let m = Message {
        topic: "s/k1/t".into(),
        payload: vec![0xBE, 0xEF],
        qos: QoS::AtLeastOnce,
        retain: true,
        dup: false,
        ..Message::default()
    };
    let bytes = batch_of(&[Event::NotifyMessage(m)], &routes, Some(1_500));
    let mut want = 1_500f64.to_le_bytes().to_vec();
    want.push(tag::MESSAGE);
    want.extend([6, 0, 0, 0]);
    want.extend(b"s/k1/t");
    // Payload, QoS 1, retain, no dup, no MQTT 5 properties (one byte), two routes.
    want.extend([2, 0, 0, 0, 0xBE, 0xEF, 1, 1, 0, 0, 2, 0]);
    want.extend((plus as u32).to_le_bytes());
    want.extend((all as u32).to_le_bytes());
    assert_eq!(bytes, want);
}

#[test]
fn every_mqtt_5_connack_property_reaches_the_record() {
    let ack = iotmqtt::ConnAck {
        session_present: true,
        session_expiry_interval: Some(60),
        receive_maximum: Some(10),
        maximum_qos: Some(QoS::AtLeastOnce),
        retain_available: Some(false),
        maximum_packet_size: Some(4096),
        assigned_client_id: Some("id".into()),
        topic_alias_maximum: Some(5),
        reason_string: Some("ok".into()),
        user_properties: vec![("k".into(), "v".into())],
        wildcard_subscription_available: None,
        subscription_identifiers_available: Some(true),
        shared_subscription_available: Some(false),
        server_keepalive_secs: Some(30),
        authentication_data: Some(b"ok".to_vec()),
    };
    let mut b = Batch::new();
    iotmqtt::batch::client::connack(&mut b, &ack);
    let bytes = b.finish(None);
    let (_, mut reader) = Reader::new(&bytes);
    // Retain false (01), wildcards absent (00), subscription identifiers true (10), shared false (01).
    assert_eq!(
        reader.connack(),
        "present=1 size=4096 qos=1 receive=10 keepalive=30 id=id expiry=60 aliases=5 flags=01100001 reason=ok \
         user=[(\"k\", \"v\")] auth=[6f, 6b]"
    );
}

#[test]
fn a_messages_mqtt_5_properties_follow_its_flags_byte_exact() {
    let m = Message {
        topic: "t".into(),
        properties: PublishProperties {
            payload_format_indicator: Some(true),
            message_expiry_interval: Some(300),
            content_type: None,
            response_topic: Some("r".into()),
            correlation_data: Some(vec![7]),
            user_properties: vec![("k".into(), "v".into()), ("k".into(), "w".into())],
        },
        subscription_identifiers: vec![9],
        ..Message::default()
    };
    let bytes = batch_of(&[Event::NotifyMessage(m)], &Router::<()>::new(), None);
    let mut want = (-1f64).to_le_bytes().to_vec();
    want.push(tag::MESSAGE);
    want.extend([1, 0, 0, 0, b't', 0, 0, 0, 0, 0, 0, 0]);
    // Indicator present and UTF-8, expiry, response topic, correlation data, user properties, ids.
    want.push(0b1111_0111);
    want.extend(300u32.to_le_bytes());
    want.extend([1, 0, 0, 0, b'r']);
    want.extend([1, 0, 0, 0, 7]);
    want.extend([2, 0, 0, 0]);
    for (k, v) in [(b'k', b'v'), (b'k', b'w')] {
        want.extend([1, 0, 0, 0, k, 1, 0, 0, 0, v]);
    }
    want.extend([1, 0, 0, 0, 9, 0, 0, 0]);
    want.extend([0, 0]);
    assert_eq!(bytes, want);
}

#[test]
fn no_deadline_reads_as_minus_one() {
    let bytes = batch_of(&[Event::RequestClose], &Router::<()>::new(), None);
    let (deadline, reader) = Reader::new(&bytes);
    assert_eq!(deadline, -1.0);
    assert_eq!(reader.records(), ["close"]);
}

#[test]
fn errors_carry_their_code_and_the_values_of_their_message() {
    let cases: Vec<(ClientError, &str, Vec<Arg>)> = vec![
        (SessionError::PingTimeout.into(), "PING_TIMEOUT", vec![]),
        (
            SessionError::SubscribeRefused { filter: "a/#".into(), reason: ReasonCode(0x87), said: None }.into(),
            "SUBSCRIBE_REFUSED",
            vec![Arg::Str("a/#".into()), Arg::Num(135.0)],
        ),
        (
            SessionError::InvalidOption { field: "keepaliveSecs", reason: "too big".into() }.into(),
            "INVALID_OPTION",
            vec![Arg::Str("keepaliveSecs".into()), Arg::Str("too big".into())],
        ),
        (
            ClientError::SocketClosed { code: 1006, reason: String::new() },
            "SOCKET_CLOSED",
            vec![Arg::Num(1006.0), Arg::Str(String::new())],
        ),
        (ClientError::ReconnectGaveUp { attempts: 3 }, "RECONNECT_GAVE_UP", vec![Arg::Num(3.0)]),
        // The broker's words follow a refusal's values: its Reason String, then each User Property.
        (
            SessionError::PublishRefused {
                topic: "a/b".into(),
                reason: ReasonCode(0x87),
                said: Some(Box::new(Words {
                    reason_string: Some("not yours".into()),
                    user_properties: vec![("k".into(), "1".into()), ("k".into(), "2".into())],
                })),
            }
            .into(),
            "PUBLISH_REFUSED",
            vec![
                Arg::Str("a/b".into()),
                Arg::Num(135.0),
                Arg::Str("not yours".into()),
                Arg::Str("k".into()),
                Arg::Str("1".into()),
                Arg::Str("k".into()),
                Arg::Str("2".into()),
            ],
        ),
        // Only User Properties: an empty Reason String before them.
        (
            SessionError::ServerDisconnected {
                reason: ReasonCode(0x98),
                said: Some(Box::new(Words { reason_string: None, user_properties: vec![("k".into(), "v".into())] })),
            }
            .into(),
            "SERVER_DISCONNECTED",
            vec![Arg::Num(152.0), Arg::Str(String::new()), Arg::Str("k".into()), Arg::Str("v".into())],
        ),
    ];
    for (error, code, args) in cases {
        assert_eq!((error.code(), error.args()), (code, args));
    }
}

#[test]
fn a_connection_reads_back_as_the_records_the_shell_carries_out() {
    let options = ConnectOptions { client_id: "c1".into(), keepalive_secs: 0, ..Default::default() };
    let mut sup = Supervisor::new("ws://127.0.0.1:1/mqtt", options, ClientOptions::default(), 7, true).unwrap();
    let routes = Router::<()>::new();
    let ConnectStart::Started(start) = sup.connect(1_000).unwrap() else { panic!("not started") };
    let mut all = start;
    all.extend(sup.socket_opened(1_010));
    all.extend(sup.flush(1_010));
    all.extend(sup.socket_bytes(1_020, &[0x20, 0x02, 0x00, 0x00]));
    let (_, subscribe) = sup.subscribe(1_030, &[("a/#".into(), QoS::AtLeastOnce)]).unwrap();
    all.extend(subscribe);
    all.extend(sup.flush(1_030));
    all.extend(sup.socket_bytes(1_040, &[0x90, 0x03, 0x00, 0x01, 0x80]));
    let bytes = batch_of(&all, &routes, sup.poll_timeout());
    let (_, reader) = Reader::new(&bytes);
    let connack =
        "present=0 size=- qos=- receive=- keepalive=- id=- expiry=- aliases=- flags=00000000 reason=- user=[] auth=-";
    assert_eq!(
        reader.records(),
        [
            "open mqtt_only=0 ws://127.0.0.1:1/mqtt".to_owned(),
            "state 1".into(),
            "flush tick=0".into(),
            "transmit [10, 0e, 00, 04, 4d, 51, 54, 54, 04, 02, 00, 00, 00, 02, 63, 31]".into(),
            format!("connected {connack}"),
            format!("state connected {connack}"),
            "flush tick=0".into(),
            "transmit [82, 08, 00, 01, 00, 03, 61, 2f, 23, 01]".into(),
            "subscribed 1 [\"SUBSCRIBE_REFUSED(\\\"a/#\\\", 128)\"]".into(),
        ]
    );
}

// `decodeCayenneLpp`'s batch: the lorawan-stack test vector's temperature, accelerometer and GPS,
// and a second temperature on the same channel, which the shell's object keeps as the last value.
#[cfg(feature = "payload")]
#[test]
fn cayenne_lpp_readings_are_keys_and_numbers() {
    let bytes = [
        7, 0x67, 0xFF, 100, 9, 0x71, 254, 88, 0, 15, 6, 130, 12, 0x88, 7, 253, 135, 0, 190, 245, 0, 8, 106, 7, 0x67, 0,
        213, 200, 0x66, 50,
    ];
    let readings = iotmqtt::platforms::things_stack::lpp::read_lpp(&bytes).unwrap();
    let batch = iotmqtt::batch::lpp::readings(&readings);
    let (deadline, mut r) = Reader::new(&batch);
    assert_eq!(deadline, -1.0);
    let mut lines = Vec::new();
    while r.at < batch.len() {
        let key = r.str();
        let value = match r.u8() {
            0 => r.f64().to_string(),
            _ => (0..3).map(|_| format!("{}={}", r.str(), r.f64())).collect::<Vec<_>>().join(" "),
        };
        lines.push(format!("{key} {value}"));
    }
    assert_eq!(
        lines,
        [
            "temperature_7 -15.6",
            "accelerometer_9 x=-0.424 y=0.015 z=1.666",
            "gps_12 latitude=52.3655 longitude=4.8885 altitude=21.54",
            "temperature_7 21.3",
            "presence_200 50",
        ]
    );
}

/// Bytes as `npm/src/plain.ts` writes them (recorded from it), read back as the readers see them.
fn plain_of(hex: &str) -> Item<Entries> {
    let bytes: Vec<u8> = (0..hex.len()).step_by(2).map(|i| u8::from_str_radix(&hex[i..i + 2], 16).unwrap()).collect();
    plain::decode(&bytes).unwrap()
}

fn shown(item: Item<Entries>) -> String {
    match item {
        Item::Null => "null".into(),
        Item::Bool(b) => b.to_string(),
        Item::Number(n) => n.to_string(),
        Item::Text(s) => format!("{s:?}"),
        Item::Bytes(b) => format!("bytes{b:?}"),
        Item::List(items) => format!("[{}]", items.into_iter().map(shown).collect::<Vec<_>>().join(", ")),
        Item::Object(mut o) => {
            let keys = o.keys().unwrap();
            let fields: Vec<String> = keys.iter().map(|k| format!("{k}: {}", shown(o.get(k).unwrap()))).collect();
            format!("{{{}}}", fields.join(", "))
        }
        Item::Other(what) => format!("<{what}>"),
    }
}

// `{keepaliveSecs: 30, reconnect: {enabled: false, factor: 1.5}, websocketProtocols: ["mqtt", null],
// will: {topic: "w", payload: Uint8Array [1, 2]}, f: () => 1, n: NaN}`, `undefined`, `"t"` and
// `[{filter: "a", qos: 1}]`.
#[test]
fn plain_data_from_the_shell_reads_back_as_written() {
    let options = "07060000000d0000006b656570616c69766553656373030000000000003e40090000007265636f6e6e6563740702000000070000\
        00656e61626c65640106000000666163746f7203000000000000f83f12000000776562736f636b657450726f746f636f6c7306020000000404\
        0000006d717474000400000077696c6c070200000005000000746f706963040100000077070000007061796c6f61640502000000010201000000\
        66080a612066756e6374696f6e010000006e08034e614e";
    assert_eq!(
        shown(plain_of(options)),
        "{keepaliveSecs: 30, reconnect: {enabled: false, factor: 1.5}, websocketProtocols: [\"mqtt\", null], \
         will: {topic: \"w\", payload: bytes[1, 2]}, f: <a function>, n: <NaN>}"
    );
    assert_eq!(shown(plain_of("00")), "null");
    assert_eq!(shown(plain_of("040100000074")), "\"t\"");
    let requests = "060100000007020000000600000066696c74657204010000006103000000716f7303000000000000f03f";
    assert_eq!(shown(plain_of(requests)), "[{filter: \"a\", qos: 1}]");
    let subscriptions = read::subscriptions(plain_of(requests)).unwrap();
    assert_eq!(subscriptions, [("a".to_owned(), QoS::AtLeastOnce)]);
}

// Bytes the shell never writes are refused, never read past their end or nested without limit.
#[test]
fn what_is_not_plain_data_is_refused() {
    let refused = |bytes: &[u8]| assert!(plain::decode(bytes).is_err(), "{bytes:02X?}");
    refused(&[]);
    refused(&[9]);
    refused(&[0, 0]);
    refused(&[3, 0, 0]);
    refused(&[4, 5, 0, 0, 0, b'a']);
    refused(&[4, 1, 0, 0, 0, 0xFF]);
    refused(&[6, 0xFF, 0xFF, 0xFF, 0xFF]);
    refused(&[7, 1, 0, 0, 0, 1, 0, 0, 0, b'k']);
    refused(&[8, 3, b'a']);
    let mut deep = [6, 1, 0, 0, 0].repeat(200);
    deep.push(0);
    refused(&deep);
    let mut fine = [6, 1, 0, 0, 0].repeat(100);
    fine.push(0);
    assert!(plain::decode(&fine).is_ok());
}

// What `MqttClient`'s constructor reads back (npm/src/client.ts): id, database, two flags, protocols.
#[test]
fn the_settings_record_names_what_the_shell_acts_on() {
    let o = ClientOptions { persistence: Some("db".into()), worker_timers: false, ..ClientOptions::default() };
    let bytes = iotmqtt::batch::client::settings("c1", &o);
    let (deadline, mut r) = Reader::new(&bytes);
    assert_eq!(deadline, -1.0);
    assert_eq!((r.str(), r.str(), r.u8(), r.u8()), ("c1".to_owned(), "db".to_owned(), 1, 0));
    let protocols: Vec<String> = (0..r.u16()).map(|_| r.str()).collect();
    assert_eq!(protocols, ["binary", "mqtt"]);
    assert_eq!(r.at, bytes.len());
}
