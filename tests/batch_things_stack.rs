//! The Things Stack core the npm package's `ThingsStackApp` drives (`src/batch/things_stack.rs`, read
//! by `npm/src/things-stack/app.ts`): commands in, batches out, on a virtual clock. Each batch is
//! read back as the shell reads it, one line per record.
#![cfg(all(not(target_arch = "wasm32"), feature = "things-stack"))]

use iotmqtt::batch::client::Connection;
use iotmqtt::batch::command::Command;
use iotmqtt::batch::things_stack::{op, ThingsStackCore};
use iotmqtt::json;
use iotmqtt::json::Value;
use iotmqtt::session::ConnectOptions;

mod batch_reader;

use batch_reader::{lines, plain, returned, Reader};

const DOWN: &str = "v3/demo-app@ttn/devices/dev-1/down/#";
const PUSH_TOPIC: &str = "v3/demo-app@ttn/devices/dev-1/down/push";

/// The Things Stack's records, read as `npm/src/things-stack/app.ts` reads them.
impl Reader<'_> {
    fn record(&mut self) -> String {
        match self.u8() {
            1 => format!("subscribe {}", self.str()),
            2 => format!("publish #{} {} {}", self.f64(), self.str(), self.str()),
            3 => {
                let op = self.f64();
                if self.u8() == 1 {
                    format!("sent #{op}")
                } else {
                    format!("sent #{op} failed {}", self.error())
                }
            }
            4 => {
                let (device, kind, f_port) = (self.str(), self.str(), self.opt());
                let payload = if self.u8() == 1 { format!("{:02x?}", self.bytes()) } else { "-".into() };
                let decoded = if self.u8() == 1 { self.str() } else { "-".into() };
                format!("event {device} {kind} fPort={f_port} payload={payload} decoded={decoded}")
            }
            5 => format!("event error {}", self.error()),
            6 => format!("format #{} {}", self.u32(), self.str()),
            7 => {
                let (wait, read) = (self.f64(), self.str());
                let result = match self.u8() {
                    0 => self.str(),
                    1 => "none".into(),
                    _ => self.error(),
                };
                format!("waited #{wait} read={read} {result}")
            }
            20 => format!("throw {}", self.error()),
            other => panic!("unknown tag {other}"),
        }
    }
}

/// A batch with no return record, as lines: `deadline …` when there is one, then the records.
fn read(bytes: &[u8]) -> Vec<String> {
    lines(bytes, |r| r.record())
}

fn returns<T>(b: &[u8], fields: impl FnOnce(&mut Reader) -> T) -> (T, Vec<String>) {
    returned(b, fields, |r| r.record())
}

struct Shell {
    core: ThingsStackCore,
    now: u64,
}

impl Shell {
    fn connected() -> Self {
        let mut s = Self { core: ThingsStackCore::new(), now: 1_000 };
        let b = s.run(op::CONNECT, 0.0, "", None, &plain(&json!({"application": "demo-app@ttn", "apiKey": "NNSXS.K"})));
        let (uid, rest) = returns(&b, |r| r.str());
        assert_eq!((uid.as_str(), rest.len()), ("demo-app@ttn", 0));
        s
    }

    fn run(&mut self, op: u8, n: f64, text: &str, json: Option<&str>, bytes: &[u8]) -> Vec<u8> {
        self.core.run(&Command { op, now: self.now, n, text, json, bytes })
    }

    fn lines(&mut self, op: u8, n: f64, text: &str, bytes: &[u8]) -> Vec<String> {
        read(&self.run(op, n, text, None, bytes))
    }

    fn message(&mut self, kind: &str, body: Value) -> Vec<String> {
        let topic = format!("v3/demo-app@ttn/devices/dev-1/{kind}");
        self.lines(op::MESSAGE, 0.0, &topic, body.to_string().as_bytes())
    }

    /// Pushes one downlink; returns its correlation id and the batch's records.
    fn push(&mut self, downlink: Value) -> (String, Vec<String>) {
        let b = self.run(op::PUSH, 7.0, "dev-1", None, &plain(&json!([downlink])));
        let ((op, ids), rest) = returns(&b, |r| {
            let op = r.f64();
            let ids: Vec<(String, bool)> = (0..r.u16()).map(|_| (r.str(), r.u8() == 1)).collect();
            (op, ids)
        });
        assert_eq!(ids.len(), 1, "op {op}");
        (ids[0].0.clone(), rest)
    }
}

fn envelope(body_key: &str, body: Value) -> Value {
    json!({
        "end_device_ids": {"device_id": "dev-1", "application_ids": {"application_id": "demo-app"}},
        "correlation_ids": [],
        body_key: body,
    })
}

fn downlink_event(body_key: &str, correlation_id: &str) -> Value {
    envelope(body_key, json!({"f_port": 1, "frm_payload": "vu8=", "correlation_ids": [correlation_id]}))
}

#[test]
fn a_login_gives_the_client_options_and_a_refused_key_is_the_platforms_error() {
    let mut s = ThingsStackCore::new();
    let options = plain(&json!({"application": "demo-app@ttn", "apiKey": "NNSXS.K", "keepaliveSecs": 30}));
    let b = s.run(&Command { op: op::CONNECT, bytes: &options, ..Default::default() });
    let (uid, _) = returns(&b, |r| r.str());
    assert_eq!(uid, "demo-app@ttn");
    let client: Value = serde_json::from_str(&s.take_connection().unwrap().options_json()).unwrap();
    assert_eq!(
        (&client["version"], &client["username"], &client["password"], &client["keepaliveSecs"]),
        (&json!("3.1.1"), &json!("demo-app@ttn"), &json!("NNSXS.K"), &json!(30))
    );
    let refused = s.run(&Command { op: op::LOGIN_FAILED, text: "CONNACK_NOT_AUTHORIZED", ..Default::default() });
    assert_eq!(read(&refused), ["throw TTS_NOT_AUTHORIZED(\"demo-app\", \"ttn\")"]);
    let other = s.run(&Command { op: op::LOGIN_FAILED, text: "SOCKET_ERROR", ..Default::default() });
    assert_eq!(other[8..], [21]);
}

// A shared session's host reads the connection as the generic client's options. Written with only
// what a login sets, it says what `options_json` says: each option it leaves out is at the generic
// client's default there (`options_json` itself reads back to the connection: src/session/options/read.rs).
#[test]
fn the_shared_options_are_the_connection_with_the_generic_defaults_left_out() {
    let defaults: Value =
        serde_json::from_str(&Connection { connect: ConnectOptions::default(), reconnect: true }.options_json())
            .unwrap();
    let logins = [
        json!({"application": "demo-app@ttn", "apiKey": "NNSXS.K"}),
        json!({"application": "app", "apiKey": "k\"\u{e9}", "clientId": "tab", "keepaliveSecs": 30, "connectTimeoutMs": 2500}),
    ];
    for login in logins {
        let connect = |s: &mut ThingsStackCore| {
            let b = s.run(&Command { op: op::CONNECT, bytes: &plain(&login), ..Default::default() });
            returns(&b, |r| r.str());
        };
        let mut s = ThingsStackCore::new();
        connect(&mut s);
        let full: Value = serde_json::from_str(&s.take_connection().unwrap().options_json()).unwrap();
        connect(&mut s);
        let shared: Value = serde_json::from_str(&s.take_shared_options().unwrap()).unwrap();
        assert_eq!(s.take_shared_options(), None, "taken once");
        let mut expected = full.as_object().unwrap().clone();
        expected.retain(|k, v| defaults[k] != *v || shared.get(k).is_some());
        assert_eq!(shared, Value::Object(expected), "{login}");
    }
}

#[test]
fn a_bad_login_is_refused_before_connecting() {
    let cases = [
        (json!({"application": "demo-app@ttn"}), "throw TTS_MISSING_API_KEY()"),
        (
            json!({"application": "demo-app@ttn", "apiKey": "k", "version": "5"}),
            "throw INVALID_OPTION(\"version\", \"unknown option; the known ones are application, apiKey, clientId, keepaliveSecs, connectTimeoutMs\")",
        ),
        (json!({"application": "Demo App", "apiKey": "k"}), "throw TTS_INVALID_ID(\"application id\", \"Demo App\", \"identifiers use lower-case letters, digits and dashes\")"),
    ];
    for (options, expected) in cases {
        let mut s = ThingsStackCore::new();
        let b = s.run(&Command { op: op::CONNECT, bytes: &plain(&options), ..Default::default() });
        assert_eq!(read(&b), [expected], "{options}");
    }
}

#[test]
fn filters_name_the_application_a_device_or_an_event_kind() {
    let mut s = Shell::connected();
    let filter = |s: &mut Shell, v: Value| returns(&s.run(op::FILTER, 0.0, "", None, &plain(&v)), |r| r.str()).0;
    assert_eq!(filter(&mut s, Value::Null), "v3/demo-app@ttn/devices/+/#");
    assert_eq!(filter(&mut s, json!({"deviceId": "dev-1", "event": "up"})), "v3/demo-app@ttn/devices/dev-1/up");
    assert_eq!(
        s.lines(op::FILTER, 0.0, "", &plain(&json!({"event": "upp"}))),
        ["throw INVALID_OPTION(\"event\", \"expected one of up, up_normalized, join, down_queued, down_sent, down_ack, down_nack, down_failed, down_invalidated, location_solved, service_data, got a string\")"]
    );
}

#[test]
fn a_push_subscribes_once_publishes_at_qos_1_and_ends_on_the_puback() {
    let mut s = Shell::connected();
    let (id, rest) = s.push(json!({"fPort": 1, "hex": "BE EF", "confirmed": true}));
    assert!(id.starts_with("iotmqtt:down:"), "{id}");
    assert_eq!(rest, [format!("subscribe {DOWN}")]);
    let body = format!(
        "{{\"downlinks\":[{{\"f_port\":1,\"frm_payload\":\"vu8=\",\"confirmed\":true,\"correlation_ids\":[\"{id}\"]}}]}}"
    );
    assert_eq!(s.lines(op::SUBSCRIBED, 1.0, DOWN, &[]), [format!("publish #1 {PUSH_TOPIC} {body}")]);
    assert_eq!(s.lines(op::PUBLISHED, 1.0, "", &[]), ["sent #1"]);
    // The device's events are subscribed: the next push is published at once.
    let (_, rest) = s.push(json!({"fPort": 2, "text": "hi"}));
    assert_eq!(rest.len(), 1);
    assert!(rest[0].starts_with(&format!("publish #2 {PUSH_TOPIC} ")), "{rest:?}");
    assert_eq!(s.lines(op::PUBLISH_FAILED, 2.0, "", &[]), ["sent #2 failed CONNECTION_LOST()"]);
}

#[test]
fn downlink_mistakes_keep_their_platform_codes() {
    let mut s = Shell::connected();
    let cases = [
        (json!({"fPort": 0, "hex": "01"}), "throw TTS_INVALID_FPORT(0)"),
        (json!({"fPort": 1, "hex": "01", "priority": "URGENT"}), "throw TTS_INVALID_PRIORITY(\"URGENT\")"),
        (json!({"fPort": 1, "hex": "01", "text": "x"}), "throw TTS_PAYLOAD_CONFLICT(1)"),
        (json!({"fPort": 1}), "throw TTS_PAYLOAD_CONFLICT(0)"),
        (json!({"fPort": 1.5, "hex": "01"}), "throw INVALID_OPTION(\"fPort\", \"expected an integer\")"),
        (json!({"fPort": 1, "hex": "01", "confirm": true}), "throw INVALID_OPTION(\"confirm\", \"unknown option; the known ones are fPort, bytes, hex, base64, text, decodedPayload, priority, confirmed, correlationIds\")"),
        (json!({"fPort": 1, "decodedPayload": [1]}), "throw TTS_INVALID_DECODED_PAYLOAD(\"an array\")"),
    ];
    for (downlink, expected) in cases {
        assert_eq!(s.lines(op::PUSH, 1.0, "dev-1", &plain(&json!([downlink]))), [expected], "{downlink}");
    }
    assert_eq!(
        s.lines(op::PUSH, 1.0, "Bad Device", &plain(&json!([{"fPort": 1, "hex": "01"}]))),
        ["throw TTS_INVALID_ID(\"device id\", \"Bad Device\", \"identifiers use lower-case letters, digits and dashes\")"]
    );
    assert_eq!(
        s.lines(op::PUSH, 1.0, "dev-1", &plain(&json!({"fPort": 1}))),
        ["throw INVALID_OPTION(\"downlinks\", \"expected an array of downlinks\")"]
    );
}

#[test]
fn events_move_the_waits_on_a_downlink_to_its_outcome() {
    let mut s = Shell::connected();
    let (id, _) = s.push(json!({"fPort": 1, "hex": "BEEF", "confirmed": true}));
    s.lines(op::SUBSCRIBED, 1.0, DOWN, &[]);
    s.lines(op::PUBLISHED, 1.0, "", &[]);
    let (wait, rest) = returns(&s.run(op::WAIT, 5_000.0, &id, None, &[1]), |r| r.f64());
    assert_eq!((wait, rest), (1.0, vec!["deadline 6000".to_string()]));
    assert_eq!(
        s.message("down/queued", downlink_event("downlink_queued", &id)),
        ["deadline 6000", "event dev-1 down_queued fPort=1 payload=[be, ef] decoded=-"]
    );
    assert_eq!(
        s.message("down/ack", downlink_event("downlink_ack", &id)),
        [
            r#"waited #1 read=[{"status":"queued"},{"status":"acked"}] {"status":"acked"}"#,
            "event dev-1 down_ack fPort=1 payload=[be, ef] decoded=-",
        ]
    );
    // Once finished: `next` has nothing more, `outcome` is the final status again.
    let wait = |s: &mut Shell, kind: u8| returns(&s.run(op::WAIT, 1_000.0, &id, None, &[kind]), |r| r.f64());
    assert_eq!(wait(&mut s, 0), (2.0, vec!["waited #2 read=[] none".to_string()]));
    assert_eq!(wait(&mut s, 1), (3.0, vec![r#"waited #3 read=[] {"status":"acked"}"#.to_string()]));
}

#[test]
fn a_wait_times_out_on_the_virtual_clock_and_close_ends_the_others() {
    let mut s = Shell::connected();
    let (id, _) = s.push(json!({"fPort": 1, "hex": "01", "confirmed": true}));
    s.run(op::WAIT, 500.0, &id, None, &[0]);
    s.now += 499;
    assert_eq!(s.lines(op::HANDLE_TIMEOUT, 0.0, "", &[]), ["deadline 1500"]);
    s.now += 1;
    assert_eq!(
        s.lines(op::HANDLE_TIMEOUT, 0.0, "", &[]),
        [format!("waited #1 read=[] TTS_DOWNLINK_TIMEOUT({id:?}, 500, \"published\")")]
    );
    s.run(op::WAIT, 10_000.0, &id, None, &[1]);
    // The push never got its SUBSCRIBE through: closing ends it too.
    assert_eq!(
        s.lines(op::CLOSE, 0.0, "", &[]),
        ["sent #1 failed CLIENT_CLOSED()", "waited #2 read=[] CLIENT_CLOSED()"]
    );
}

#[test]
fn uplinks_are_decoded_by_cayenne_lpp_or_by_the_shells_formatter() {
    let mut s = Shell::connected();
    let uplink = |payload: &str, f_port: u32| {
        envelope(
            "uplink_message",
            json!({"f_port": f_port, "frm_payload": payload, "received_at": "2026-12-04T00:00:00Z"}),
        )
    };
    assert_eq!(s.message("up", uplink("A2cBEA==", 2)), ["event dev-1 up fPort=2 payload=[03, 67, 01, 10] decoded=-"]);
    assert_eq!(returns(&s.run(op::SET_DECODER, -1.0, "", None, &plain(&json!({"fPort": 2}))), |_| ()).1.len(), 0);
    assert_eq!(
        s.message("up", uplink("A2cBEA==", 2)),
        [
            r#"event dev-1 up fPort=2 payload=[03, 67, 01, 10] decoded={"data":{"temperature_3":27.2},"warnings":[],"errors":[]}"#
        ]
    );
    // The device's formatter wins over the FPort's decoder; its output comes back through FORMATTED.
    s.run(op::SET_DECODER, 0.0, "", None, &plain(&json!({"deviceId": "dev-1"})));
    assert_eq!(
        s.message("up", uplink("AQ==", 2)),
        [r#"format #0 {"bytes":[1],"fPort":2,"recvTime":"2026-12-04T00:00:00Z"}"#]
    );
    assert_eq!(
        read(&s.run(op::FORMATTED, 0.0, "", Some(r#"{"data":{"on":true},"warnings":["w"]}"#), &[])),
        [r#"event dev-1 up fPort=2 payload=[01] decoded={"data":{"on":true},"warnings":["w"],"errors":[]}"#]
    );
    s.message("up", uplink("AQ==", 2));
    assert_eq!(
        read(&s.run(op::FORMATTED, 1.0, "boom", None, &[])),
        [
            r#"event dev-1 up fPort=2 payload=[01] decoded={"data":null,"warnings":[],"errors":["decodeUplink threw: boom"]}"#
        ]
    );
}

#[test]
fn decoders_and_their_targets_are_checked() {
    let mut s = Shell::connected();
    let decoder = |s: &mut Shell, v: Value| read(&s.run(op::DECODER, 0.0, "", None, &plain(&v)));
    assert_eq!(returns(&s.run(op::DECODER, 0.0, "", None, &plain(&json!("cayenne-lpp"))), |r| r.u8()).0, 0);
    let (source, _) = returns(&s.run(op::DECODER, 0.0, "", None, &plain(&json!({"formatter": "x"}))), |r| {
        assert_eq!(r.u8(), 1);
        r.str()
    });
    assert_eq!(source, iotmqtt::platforms::things_stack::decoder::formatter_body("x"));
    assert!(source.starts_with("x\n;return typeof decodeUplink === 'function'"), "{source}");
    let wrong = "throw INVALID_OPTION(\"decoder\", \"expected \\\"cayenne-lpp\\\" or {formatter: source}\")";
    assert_eq!(decoder(&mut s, json!("lpp")), [wrong]);
    assert_eq!(decoder(&mut s, json!({})), [wrong]);
    let target = |s: &mut Shell, v: Value| read(&s.run(op::SET_DECODER, -1.0, "", None, &plain(&v)));
    assert_eq!(
        target(&mut s, json!({"fport": 2})),
        ["throw INVALID_OPTION(\"fport\", \"unknown option; the known ones are deviceId, fPort\")"]
    );
    assert_eq!(
        target(&mut s, json!({"fPort": 2.5})),
        ["throw INVALID_OPTION(\"fPort\", \"expected a whole number from 1 to 223\")"]
    );
    assert_eq!(
        target(&mut s, json!({"fPort": 224})),
        ["throw INVALID_OPTION(\"fPort\", \"expected a whole number from 1 to 223\")"]
    );
}

#[test]
fn a_message_that_is_not_an_event_is_an_error_and_other_topics_are_nothing() {
    let mut s = Shell::connected();
    assert_eq!(s.lines(op::MESSAGE, 0.0, "v3/demo-app@ttn/devices/dev-1/up", b"[]").len(), 1);
    assert!(s.lines(op::MESSAGE, 0.0, "v3/demo-app@ttn/devices/dev-1/up", b"[]")[0]
        .starts_with("event error TTS_INVALID_EVENT("));
    assert_eq!(s.lines(op::MESSAGE, 0.0, "v3/other-app/devices/dev-1/up", b"{}"), Vec::<String>::new());
}

#[test]
fn a_subscription_the_shell_saw_fail_fails_every_push_waiting_for_it() {
    let mut s = Shell::connected();
    s.push(json!({"fPort": 1, "hex": "01"}));
    s.push(json!({"fPort": 1, "hex": "02"}));
    assert_eq!(
        s.lines(op::SUBSCRIBED, 0.0, DOWN, &[]),
        ["sent #1 failed CONNECTION_LOST()", "sent #2 failed CONNECTION_LOST()"]
    );
    assert_eq!(returns(&s.run(op::TRACKED, 0.0, "", None, &[]), |r| r.f64()).0, 0.0);
}

#[test]
fn replace_and_clear_write_the_replace_topic_and_a_failed_push_forgets_its_downlinks() {
    let mut s = Shell::connected();
    let b = s.run(op::REPLACE, 7.0, "dev-1", None, &plain(&json!([{"fPort": 1, "hex": "01"}])));
    let (id, rest) = returns(&b, |r| {
        let _op = r.f64();
        assert_eq!(r.u16(), 1);
        let id = r.str();
        r.u8();
        id
    });
    assert_eq!(rest, [format!("subscribe {DOWN}")]);
    let published = s.lines(op::SUBSCRIBED, 1.0, DOWN, &[]);
    assert!(
        published[0].starts_with("publish #1 v3/demo-app@ttn/devices/dev-1/down/replace {\"downlinks\":[{"),
        "{published:?}"
    );
    assert_eq!(s.lines(op::PUBLISH_FAILED, 1.0, "", &[]), ["sent #1 failed CONNECTION_LOST()"]);
    let refused = read(&s.run(op::WAIT, 100.0, &id, None, &[0]));
    assert_eq!(
        refused,
        ["throw INVALID_OPTION(\"downlink\", \"no such downlink\")"],
        "a failed push leaves no downlink to wait on"
    );
    let (count, rest) = returns(&s.run(op::CLEAR, 7.0, "dev-1", None, &[]), |r| (r.f64(), r.u16()));
    assert_eq!(
        (count.1, rest),
        (0, vec!["publish #2 v3/demo-app@ttn/devices/dev-1/down/replace {\"downlinks\":[]}".to_string()])
    );
}

#[test]
fn waits_take_the_default_timeout_refuse_a_second_wait_and_end_when_forgotten() {
    let mut s = Shell::connected();
    let (id, _) = s.push(json!({"fPort": 1, "decodedPayload": {"$bytes": "{\"on\":true}"}}));
    let (_, rest) = returns(&s.run(op::WAIT, -1.0, &id, None, &[1]), |r| r.f64());
    assert_eq!(rest, ["deadline 31000"], "the default wait is 30 s");
    assert_eq!(
        read(&s.run(op::WAIT, 100.0, &id, None, &[0])),
        ["deadline 31000", "throw INVALID_OPTION(\"downlink\", \"another wait on this downlink is under way\")"]
    );
    assert_eq!(s.lines(op::FORGET, 0.0, &id, &[]), ["waited #1 read=[] CLIENT_CLOSED()"]);
    assert_eq!(
        returns(&s.run(op::TRACKED, 0.0, "", None, &[]), |r| r.f64()).0,
        1.0,
        "the session still tracks it until its news ends"
    );
}

#[test]
fn a_wrong_user_name_is_the_platforms_refusal_too_and_formatter_output_must_be_an_object() {
    let mut s = Shell::connected();
    let refused = s.run(op::LOGIN_FAILED, 0.0, "CONNACK_BAD_USERNAME_OR_PASSWORD", None, &[]);
    assert_eq!(read(&refused), ["throw TTS_NOT_AUTHORIZED(\"demo-app\", \"ttn\")"]);
    s.run(op::SET_DECODER, 0.0, "", None, &plain(&Value::Null));
    let uplink = envelope("uplink_message", json!({"f_port": 9, "frm_payload": "AQ=="}));
    assert_eq!(s.message("up", uplink.clone()), [r#"format #0 {"bytes":[1],"fPort":9}"#]);
    assert_eq!(
        read(&s.run(op::FORMATTED, 0.0, "", None, &[])),
        [
            r#"event dev-1 up fPort=9 payload=[01] decoded={"data":null,"warnings":[],"errors":["decodeUplink returned something that is not JSON data"]}"#
        ]
    );
    s.message("up", uplink);
    assert_eq!(
        read(&s.run(op::FORMATTED, 0.0, "", Some(r#"{"data":7}"#), &[])),
        [
            r#"event dev-1 up fPort=9 payload=[01] decoded={"data":null,"warnings":[],"errors":["data must be an object"]}"#
        ]
    );
}
