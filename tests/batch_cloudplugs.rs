//! The CloudPlugs core the npm package's `CloudPlugsDevice` drives (`src/batch/cloudplugs.rs`, read by
//! `npm/src/cloudplugs/device.ts`): commands in, batches out, on a virtual clock. Each batch is read
//! back as the shell reads it, one line per record.
#![cfg(all(not(target_arch = "wasm32"), feature = "cloudplugs"))]

use iotmqtt::batch::cloudplugs::{op, CloudPlugsCore};
use iotmqtt::batch::command::Command;
use iotmqtt::json;
use iotmqtt::json::Value;

mod batch_reader;

use batch_reader::{plain, Reader};

const PLUG: &str = "dev-000000000000000000000001";
const SET_TOPIC: &str = "dev-000000000000000000000001/ag/prop/set";
const GET_TOPIC: &str = "dev-000000000000000000000001/ag/prop/get";

/// A batch as lines: `deadline …` when there is one, then one line per record.
fn read(bytes: &[u8]) -> Vec<String> {
    let mut r = Reader { bytes, at: 8 };
    let deadline = f64::from_le_bytes(bytes[..8].try_into().unwrap());
    let mut lines = Vec::new();
    if deadline >= 0.0 {
        lines.push(format!("deadline {deadline}"));
    }
    let mut returned = false;
    while r.at < bytes.len() {
        let tag = r.u8();
        lines.push(match tag {
            1 => format!("subscribe {}", r.str()),
            2 => format!("publish #{} {} {}", r.f64(), r.str(), r.str()),
            3 => format!("done #{} {}", r.f64(), r.outcome()),
            4 => format!("record {}", r.str()),
            5 => format!("data error {}", r.error()),
            6 => format!("enrolled {}", r.outcome()),
            7 => format!("lease {}", r.str()),
            8 => format!("release {}", r.str()),
            20 => format!("throw {}", r.error()),
            21 => {
                returned = true;
                "return".into()
            }
            other => panic!("unknown tag {other}"),
        });
        // What a command returned comes first; the test reads its fields itself.
        if returned {
            break;
        }
    }
    lines
}

/// CloudPlugs' records, read as `npm/src/cloudplugs/device.ts` reads them.
impl Reader<'_> {
    fn outcome(&mut self) -> String {
        if self.u8() == 1 {
            format!("ok {}", self.str())
        } else {
            format!("failed {}", self.error())
        }
    }
}

/// A core and its virtual clock.
struct Shell {
    core: CloudPlugsCore,
    now: u64,
}

impl Shell {
    fn new() -> Self {
        Self { core: CloudPlugsCore::new(), now: 1_000 }
    }

    fn run(&mut self, op: u8, n: f64, text: &str, json: Option<&str>, bytes: &[u8]) -> Vec<u8> {
        self.core.run(&Command { op, now: self.now, n, text, json, bytes })
    }

    /// A command and its batch as lines, with no return record to read.
    fn lines(&mut self, op: u8, n: f64, text: &str, bytes: &[u8]) -> Vec<String> {
        read(&self.run(op, n, text, None, bytes))
    }

    fn login(&mut self, options: Value) -> (Value, String) {
        let b = self.run(op::LOGIN, 0.0, "", None, &plain(&options));
        let (plug, rest) = returns(b, |r| r.str());
        assert_eq!(rest, Vec::<String>::new(), "login refused");
        (self.connection(), plug)
    }

    /// The connection the last command asked the shell to open, as the generic client's options.
    fn connection(&mut self) -> Value {
        serde_json::from_str(&self.core.take_connection().expect("a connection").options_json()).unwrap()
    }
}

/// A command that returned: its return record's fields read by `fields`, then the rest as lines.
fn returns<T>(b: Vec<u8>, fields: impl FnOnce(&mut Reader) -> T) -> (T, Vec<String>) {
    assert_eq!(b[8], 21, "expected a return, got {:?}", read(&b));
    let mut r = Reader { bytes: &b, at: 9 };
    let value = fields(&mut r);
    let rest = [&b[..8], &b[r.at..]].concat();
    (value, read(&rest))
}

fn demo_login() -> Value {
    json!({"username": PLUG, "auth": "demo-auth", "hwid": "DEMO-HWID-1"})
}

#[test]
fn a_login_gives_the_shell_the_client_options_and_the_plug_id() {
    let mut s = Shell::new();
    let (options, plug) = s.login(json!({
        "username": PLUG, "auth": "demo-auth", "hwid": "HW1", "name": "Pump", "keepaliveSecs": 120,
        "will": {"channel": "status", "data": {"up": false}},
    }));
    assert_eq!(plug, PLUG);
    assert_eq!(
        options,
        json!({
            "version": "3.1.1", "clientId": "HW1/Pump", "username": PLUG, "password": "demo-auth",
            "keepaliveSecs": 120, "cleanStart": true, "sessionExpirySecs": null, "connectTimeoutMs": 10000,
            "pingTimeoutMs": null, "maximumPacketSize": 16_777_216, "reconnect": {"enabled": true},
            "will": {"topic": format!("{PLUG}/data/status"), "payload": "{\"data\":{\"up\":false}}", "qos": 0, "retain": false},
        })
    );
}

// A login in a session the origin's tabs share: the host's client reads the connection as the
// generic client's options, written with only what a login sets (each option left out is at the
// generic client's default), and each property request takes the topic's turn in the session.
#[test]
fn a_shared_login_gives_the_host_the_options_and_each_property_request_takes_the_topic_s_turn() {
    let defaults: Value = serde_json::from_str(
        &iotmqtt::batch::client::Connection { connect: Default::default(), reconnect: true }.options_json(),
    )
    .unwrap();
    let login = json!({
        "username": PLUG, "auth": "a\"\u{e9}", "hwid": "HW1", "keepaliveSecs": 120,
        "will": {"channel": "status", "data": {"up": false}},
    });
    let mut s = Shell::new();
    let b = s.run(op::LOGIN, 1.0, "", None, &plain(&login));
    returns(b, |r| r.str());
    let full = s.connection();
    s.run(op::LOGIN, 1.0, "", None, &plain(&login));
    let shared: Value = serde_json::from_str(&s.core.take_shared_options().unwrap()).unwrap();
    assert_eq!(s.core.take_shared_options(), None, "taken once");
    let mut expected = full.as_object().unwrap().clone();
    expected.retain(|k, v| defaults[k.as_str()] != *v || shared.get(k).is_some());
    assert_eq!(shared, Value::Object(expected));
    assert_eq!(shared["will"]["topic"], json!(format!("{PLUG}/data/status")));

    let b = s.run(op::GET_PROPERTIES, 0.0, "", None, &plain(&Value::Null));
    let (id, rest) = returns(b, |r| r.f64());
    assert_eq!((id, rest), (1.0, vec![format!("lease {GET_TOPIC}")]), "no deadline before the turn");
    s.now = 9_000;
    assert_eq!(
        s.lines(op::LEASED, 1.0, GET_TOPIC, &[]),
        ["deadline 19000".to_string(), format!("subscribe {GET_TOPIC}")]
    );
    assert_eq!(
        s.lines(op::SUBSCRIBED, 1.0, GET_TOPIC, &[]),
        ["deadline 19000".to_string(), format!("publish #1 {GET_TOPIC} ")]
    );
    assert_eq!(
        s.lines(op::MESSAGE, 0.0, GET_TOPIC, br#"{"colour":"blue"}"#),
        [r#"done #1 ok {"colour":"blue"}"#.to_string(), format!("release {GET_TOPIC}")]
    );
    // In a shared session a connection on its way again ends the request in flight and gives its
    // turn back: the host that gave it may be gone (a leader's page), and the next could give it
    // to another tab. The next request asks again once connected.
    let b = s.run(op::GET_PROPERTIES, 0.0, "", None, &plain(&Value::Null));
    returns(b, |r| r.f64());
    s.lines(op::LEASED, 1.0, GET_TOPIC, &[]);
    let b = s.run(op::GET_PROPERTIES, 0.0, "", None, &plain(&Value::Null));
    returns(b, |r| r.f64());
    assert_eq!(
        s.lines(op::STATE, 0.0, "connecting", &[]),
        ["done #2 failed CONNECTION_LOST()".to_string(), format!("release {GET_TOPIC}")]
    );
    assert_eq!(s.lines(op::STATE, 0.0, "connected", &[]), [format!("lease {GET_TOPIC}")]);
    assert_eq!(s.lines(op::STATE, 0.0, "reconnecting", &[]), Vec::<String>::new(), "nothing in flight");
    s.lines(op::LEASED, 1.0, GET_TOPIC, &[]);
    assert_eq!(
        s.lines(op::STATE, 0.0, "reconnecting", &[]),
        ["done #3 failed CONNECTION_LOST()".to_string(), format!("release {GET_TOPIC}")]
    );
    // A turn the session could not give fails the requests waiting for it with the shell's error.
    let b = s.run(op::GET_PROPERTIES, 0.0, "", None, &plain(&Value::Null));
    returns(b, |r| r.f64());
    s.lines(op::STATE, 0.0, "connected", &[]);
    assert_eq!(s.lines(op::LEASED, 0.0, GET_TOPIC, &[]), ["done #4 failed CONNECTION_LOST()"]);
}

#[test]
fn a_bad_login_is_refused_with_its_code_and_path() {
    let cases = [
        (json!({"username": PLUG, "hwid": "H"}), "throw CLOUDPLUGS_MISSING_AUTH()"),
        (json!({"username": PLUG, "auth": "a", "hwid": "H", "keepAlive": 60}), "throw INVALID_OPTION(\"keepAlive\", \"unknown option; the known ones are will, username, auth, hwid, name, keepaliveSecs, connectTimeoutMs, replyTimeoutMs\")"),
        (json!({"username": PLUG, "auth": "a", "hwid": "H", "keepaliveSecs": 301}), "throw CLOUDPLUGS_KEEPALIVE_TOO_LONG(301)"),
        (json!({"username": PLUG, "auth": "a", "hwid": "H", "will": {"data": 1}}), "throw INVALID_OPTION(\"will.channel\", \"is required\")"),
        (json!({"username": PLUG, "auth": "a", "hwid": "H", "will": {"channel": "s", "qos": 1}}), "throw INVALID_OPTION(\"will.qos\", \"unknown option; the known ones are data, channel, plugId\")"),
        (json!("fast"), "throw INVALID_OPTION(\"options\", \"expected an object, got a string\")"),
    ];
    for (options, expected) in cases {
        let mut s = Shell::new();
        assert_eq!(s.lines(op::LOGIN, 0.0, "", &plain(&options)), [expected], "{options}");
    }
}

#[test]
fn a_publish_is_a_data_document_on_the_channel_topic() {
    let mut s = Shell::new();
    s.login(demo_login());
    let options = plain(&json!({"at": 1_700_000_000_000u64}));
    let b = s.run(op::PUBLISH, 0.0, "npm/temp", Some(r#"{"c":21.5}"#), &options);
    let ((topic, payload), rest) = returns(b, |r| (r.str(), r.str()));
    assert_eq!(
        (topic.as_str(), payload.as_str()),
        ("dev-000000000000000000000001/data/npm/temp", r#"{"data":{"c":21.5},"at":1700000000000}"#,)
    );
    assert!(rest.is_empty());
    let other = plain(&json!({"plugId": "dev-000000000000000000000002"}));
    let ((topic, _), _) = returns(s.run(op::PUBLISH, 0.0, "x", Some("1"), &other), |r| (r.str(), r.str()));
    assert_eq!(topic, "dev-000000000000000000000002/data/x");
    assert_eq!(
        read(&s.run(op::PUBLISH, 0.0, "a/+", Some("1"), &plain(&Value::Null))),
        ["throw CLOUDPLUGS_INVALID_CHANNEL(\"a/+\", \"a channel to publish to may not contain the wildcards + or #\")"]
    );
    assert_eq!(
        read(&s.run(op::PUBLISH, 0.0, "a", Some("1"), &plain(&json!({"at": -1})))),
        ["throw INVALID_OPTION(\"at\", \"expected a number from 0\")"]
    );
}

#[test]
fn filters_name_any_device_or_one() {
    let mut s = Shell::new();
    s.login(demo_login());
    let (any, _) = returns(s.run(op::FILTER, 0.0, "npm/#", None, &plain(&Value::Null)), |r| r.str());
    let (one, _) = returns(s.run(op::FILTER, 0.0, "t", None, &plain(&json!({"plugId": PLUG}))), |r| r.str());
    assert_eq!((any.as_str(), one.as_str()), ("+/data/npm/#", "dev-000000000000000000000001/data/t"));
}

#[test]
fn data_messages_become_records_and_malformed_ones_errors() {
    let mut s = Shell::new();
    s.login(demo_login());
    let topic = format!("{PLUG}/data/npm/temp");
    assert_eq!(
        s.lines(op::MESSAGE, 0.0, &topic, br#"{"data":{"c":21.5},"at":1700000000000,"id":"m1"}"#),
        [
            r#"record {"plugId":"dev-000000000000000000000001","channel":"npm/temp","data":{"c":21.5},"at":1700000000000,"id":"m1"}"#
        ]
    );
    assert_eq!(
        s.lines(op::MESSAGE, 0.0, &topic, b"[1]"),
        [format!("data error CLOUDPLUGS_MALFORMED_DATA({topic:?}, \"expected a JSON object {{\\\"data\\\":...}}\")")]
    );
    assert_eq!(s.lines(op::MESSAGE, 0.0, "some/other/topic", b"x"), Vec::<String>::new());
}

#[test]
fn a_property_request_subscribes_once_publishes_and_ends_with_the_reply() {
    let mut s = Shell::new();
    s.login(demo_login());
    let b = s.run(
        op::SET_PROPERTIES,
        0.0,
        "",
        Some(r#"{"colour":"blue","last":{"channel":"npm/temp"}}"#),
        &plain(&Value::Null),
    );
    let (id, rest) = returns(b, |r| r.f64());
    assert_eq!(id, 1.0);
    assert_eq!(rest, ["deadline 11000".to_string(), format!("subscribe {SET_TOPIC}")]);
    let set = r#"{"colour":"blue","last":{"channel":"npm/temp"}}"#;
    assert_eq!(
        s.lines(op::SUBSCRIBED, 1.0, SET_TOPIC, &[]),
        ["deadline 11000".to_string(), format!("publish #1 {SET_TOPIC} {set}")]
    );
    // The broker's copy of the request is no answer; CloudPlugs' reply is.
    assert_eq!(s.lines(op::MESSAGE, 0.0, SET_TOPIC, set.as_bytes()), ["deadline 11000"]);
    assert_eq!(s.lines(op::MESSAGE, 0.0, SET_TOPIC, b""), ["done #1 ok null"]);
    // A get on its own topic: subscribed once, answered with the values asked for.
    let b = s.run(op::GET_PROPERTIES, 0.0, "", Some(r#"["colour"]"#), &plain(&Value::Null));
    let (id, rest) = returns(b, |r| r.f64());
    assert_eq!((id, rest), (2.0, vec!["deadline 11000".to_string(), format!("subscribe {GET_TOPIC}")]));
    assert_eq!(
        s.lines(op::SUBSCRIBED, 1.0, GET_TOPIC, &[]),
        ["deadline 11000".to_string(), format!("publish #2 {GET_TOPIC} [\"colour\"]")]
    );
    assert_eq!(s.lines(op::MESSAGE, 0.0, GET_TOPIC, br#"{"colour":"blue"}"#), [r#"done #2 ok {"colour":"blue"}"#]);
    // The topic stays subscribed: the next set is published at once.
    let b = s.run(op::SET_PROPERTIES, 0.0, "", Some(r#"{"a":1}"#), &plain(&Value::Null));
    let (_, rest) = returns(b, |r| r.f64());
    assert_eq!(rest, ["deadline 11000".to_string(), format!("publish #3 {SET_TOPIC} {{\"a\":1}}")]);
}

#[test]
fn a_property_request_times_out_on_the_virtual_clock() {
    let mut s = Shell::new();
    s.login(json!({"username": PLUG, "auth": "a", "hwid": "H", "replyTimeoutMs": 500}));
    let b = s.run(op::GET_PROPERTIES, 0.0, "", None, &plain(&Value::Null));
    returns(b, |r| r.f64());
    s.lines(op::SUBSCRIBED, 1.0, GET_TOPIC, &[]);
    s.now += 499;
    assert_eq!(s.lines(op::HANDLE_TIMEOUT, 0.0, "", &[]), ["deadline 1500"]);
    s.now += 1;
    assert_eq!(
        s.lines(op::HANDLE_TIMEOUT, 0.0, "", &[]),
        ["done #1 failed CLOUDPLUGS_TIMEOUT(\"property request\", 500)"]
    );
}

#[test]
fn failures_the_shell_saw_end_the_request_and_a_lost_connection_ends_them_all() {
    let mut s = Shell::new();
    s.login(demo_login());
    let b = s.run(op::SET_PROPERTIES, 0.0, "", Some(r#"{"a":1}"#), &plain(&Value::Null));
    returns(b, |r| r.f64());
    // The SUBSCRIBE failed in the shell: the request ends in this batch (the shell rejects it with its own error).
    assert_eq!(s.lines(op::SUBSCRIBED, 0.0, SET_TOPIC, &[]), ["done #1 failed CONNECTION_LOST()"]);
    let b = s.run(op::SET_PROPERTIES, 0.0, "", Some(r#"{"b":2}"#), &plain(&Value::Null));
    let (_, rest) = returns(b, |r| r.f64());
    assert_eq!(rest, ["deadline 11000".to_string(), format!("subscribe {SET_TOPIC}")], "subscribed again");
    s.lines(op::SUBSCRIBED, 1.0, SET_TOPIC, &[]);
    assert_eq!(s.lines(op::PUBLISH_FAILED, 2.0, "", &[]), ["done #2 failed CONNECTION_LOST()"]);
    let b = s.run(op::GET_PROPERTIES, 0.0, "", None, &plain(&Value::Null));
    returns(b, |r| r.f64());
    assert_eq!(s.lines(op::STATE, 0.0, "disconnected", &[]), ["done #3 failed CONNECTION_LOST()"]);
    let b = s.run(op::GET_PROPERTIES, 0.0, "", None, &plain(&Value::Null));
    returns(b, |r| r.f64());
    assert_eq!(s.lines(op::CLOSE, 0.0, "", &[]), ["done #4 failed CLIENT_CLOSED()"]);
}

#[test]
fn property_requests_check_their_input() {
    let mut s = Shell::new();
    s.login(json!({"username": "someone@example.com", "auth": "pw", "hwid": "H"}));
    let none = plain(&Value::Null);
    assert_eq!(
        read(&s.run(op::SET_PROPERTIES, 0.0, "", Some("[1]"), &none)),
        ["throw INVALID_OPTION(\"properties\", \"expected an object\")"]
    );
    assert_eq!(read(&s.run(op::SET_PROPERTIES, 0.0, "", Some(r#"{"a":1}"#), &none)), ["throw CLOUDPLUGS_NO_PLUG_ID()"]);
    assert_eq!(
        read(&s.run(op::GET_PROPERTIES, 0.0, "", Some(r#"["a",2]"#), &plain(&json!({"plugId": PLUG})))),
        ["throw INVALID_OPTION(\"names[1]\", \"expected a string, got a number\")"]
    );
    assert_eq!(
        read(&s.run(op::GET_PROPERTIES, 0.0, "", None, &plain(&json!({"plugid": PLUG})))),
        ["throw INVALID_OPTION(\"plugid\", \"unknown option; the known ones are plugId\")"]
    );
}

#[test]
fn an_enrollment_connects_subscribes_and_ends_with_the_credentials() {
    let mut s = Shell::new();
    let options = plain(&json!({"model": "DEMO-MODEL", "hwid": "HW-9", "name": "Pump", "pass": "demo-pass"}));
    let b = s.run(op::ENROLL_THING, 0.0, "", None, &options);
    let ((), rest) = returns(b, |_| ());
    assert_eq!(rest, ["deadline 11000"]);
    let client = s.connection();
    assert_eq!(
        (&client["clientId"], &client["username"], &client["password"], &client["reconnect"]),
        (&json!("HW-9/Pump"), &json!(""), &json!(""), &json!({"enabled": false}))
    );
    assert_eq!(s.lines(op::STATE, 0.0, "connected", &[]), ["deadline 11000", "subscribe DEMO-MODEL/thing/demo-pass"]);
    assert_eq!(
        s.lines(
            op::MESSAGE,
            0.0,
            "DEMO-MODEL/thing/demo-pass",
            br#"{"id":"dev-000000000000000000000009","auth":"x1"}"#
        ),
        [r#"enrolled ok {"plugId":"dev-000000000000000000000009","auth":"x1"}"#]
    );
    // The server's close after the reply decides nothing more.
    assert_eq!(s.lines(op::STATE, 0.0, "disconnected", &[]), Vec::<String>::new());
}

#[test]
fn an_enrollment_fails_on_refusal_on_a_lost_session_and_at_its_deadline() {
    let thing = plain(&json!({"model": "M", "hwid": "H", "pass": "p"}));
    let mut s = Shell::new();
    s.run(op::ENROLL_THING, 0.0, "", None, &thing);
    s.lines(op::STATE, 0.0, "connected", &[]);
    assert_eq!(
        s.lines(op::MESSAGE, 0.0, "M/thing/p", br#"{"err":3,"msg":"bad pass"}"#),
        ["enrolled failed CLOUDPLUGS_ENROLLMENT_REFUSED(3, \"bad pass\")"]
    );
    let mut s = Shell::new();
    s.run(op::ENROLL_THING, 0.0, "", None, &thing);
    assert_eq!(s.lines(op::STATE, 0.0, "disconnected", &[]), ["enrolled failed CONNECTION_LOST()"]);
    let mut s = Shell::new();
    s.run(op::ENROLL_THING, 0.0, "", None, &thing);
    s.now += 10_000;
    assert_eq!(
        s.lines(op::HANDLE_TIMEOUT, 0.0, "", &[]),
        ["enrolled failed CLOUDPLUGS_TIMEOUT(\"enrollment reply\", 10000)"]
    );
    let controller = plain(&json!({"model": "M", "thingHwid": "T/1", "pass": "p", "controllerHwid": "C"}));
    assert_eq!(
        read(&Shell::new().run(op::ENROLL_CONTROLLER, 0.0, "", None, &controller)),
        ["throw CLOUDPLUGS_INVALID_HWID(\"T/1\", \"it may not contain '/', which separates topic levels\")"]
    );
    assert_eq!(
        read(&Shell::new().run(op::ENROLL_THING, 0.0, "", None, &plain(&json!({"model": "M", "pass": "p"})))),
        ["throw INVALID_OPTION(\"hwid\", \"is required\")"]
    );
}

#[test]
fn a_command_for_a_session_not_held_is_refused() {
    let mut s = Shell::new();
    assert_eq!(read(&s.run(op::PUBLISH, 0.0, "t", Some("1"), &plain(&Value::Null))), ["throw NOT_CONNECTED()"]);
}

#[test]
fn a_wills_data_is_json_text_from_the_shell_and_may_name_another_plug() {
    let mut s = Shell::new();
    let (options, _) = s.login(json!({
        "username": "someone@example.com", "auth": "pw", "hwid": "H",
        "will": {"channel": "status", "data": {"$bytes": "{\"up\":false,\"at\":\"2026-12-04T00:00:00.000Z\"}"}, "plugId": PLUG},
    }));
    assert_eq!(
        options["will"],
        json!({"topic": format!("{PLUG}/data/status"), "payload": "{\"data\":{\"up\":false,\"at\":\"2026-12-04T00:00:00.000Z\"}}", "qos": 0, "retain": false})
    );
    let mut s = Shell::new();
    let bad = plain(
        &json!({"username": PLUG, "auth": "a", "hwid": "H", "will": {"channel": "s", "data": {"$bytes": "{nope"}}}),
    );
    let lines = s.lines(op::LOGIN, 0.0, "", &bad);
    assert!(lines[0].starts_with("throw INVALID_OPTION(\"will.data\", "), "{lines:?}");
    // An email login has no data channel of its own to publish to.
    let mut s = Shell::new();
    s.login(json!({"username": "someone@example.com", "auth": "pw", "hwid": "H"}));
    assert_eq!(read(&s.run(op::PUBLISH, 0.0, "t", Some("1"), &plain(&Value::Null))), ["throw CLOUDPLUGS_NO_PLUG_ID()"]);
}

#[test]
fn after_a_lost_connection_a_request_subscribes_again_and_close_ends_the_queued_ones() {
    let mut s = Shell::new();
    s.login(demo_login());
    let b = s.run(op::SET_PROPERTIES, 0.0, "", Some(r#"{"a":1}"#), &plain(&Value::Null));
    returns(b, |r| r.f64());
    s.lines(op::SUBSCRIBED, 1.0, SET_TOPIC, &[]);
    assert_eq!(s.lines(op::STATE, 0.0, "closed", &[]), ["done #1 failed CONNECTION_LOST()"]);
    let b = s.run(op::SET_PROPERTIES, 0.0, "", Some(r#"{"b":2}"#), &plain(&Value::Null));
    let (_, rest) = returns(b, |r| r.f64());
    assert_eq!(rest, ["deadline 11000".to_string(), format!("subscribe {SET_TOPIC}")], "subscribed again");
    assert_eq!(
        s.lines(op::STATE, 0.0, "reconnecting", &[]),
        ["deadline 11000"],
        "only a given-up connection ends requests"
    );
    let b = s.run(op::SET_PROPERTIES, 0.0, "", Some(r#"{"c":3}"#), &plain(&Value::Null));
    returns(b, |r| r.f64());
    assert_eq!(s.lines(op::CLOSE, 0.0, "", &[]), ["done #2 failed CLIENT_CLOSED()", "done #3 failed CLIENT_CLOSED()"]);
}

#[test]
fn property_refusals_and_unreadable_replies_end_the_request() {
    let mut s = Shell::new();
    s.login(demo_login());
    let b = s.run(op::GET_PROPERTIES, 0.0, "", None, &plain(&Value::Null));
    returns(b, |r| r.f64());
    s.lines(op::SUBSCRIBED, 1.0, GET_TOPIC, &[]);
    assert_eq!(
        s.lines(op::MESSAGE, 0.0, GET_TOPIC, br#"{"err":-4,"msg":"no such plug"}"#),
        ["done #1 failed CLOUDPLUGS_PROPERTY_ERROR(-4, \"no such plug\")"]
    );
    let b = s.run(op::GET_PROPERTIES, 0.0, "", None, &plain(&Value::Null));
    returns(b, |r| r.f64());
    let lines = s.lines(op::MESSAGE, 0.0, GET_TOPIC, b"not json");
    assert_eq!(lines.len(), 1);
    assert!(lines[0].starts_with("done #2 failed CLOUDPLUGS_MALFORMED_REPLY(\"property reply\", "), "{lines:?}");
}

#[test]
fn a_controller_enrolls_and_a_refused_subscription_fails_an_enrollment() {
    let mut s = Shell::new();
    let controller = plain(
        &json!({"model": "M", "thingHwid": "T1", "pass": "p", "controllerHwid": "C1", "controllerName": "Panel"}),
    );
    returns(s.run(op::ENROLL_CONTROLLER, 0.0, "", None, &controller), |_| ());
    assert_eq!(s.connection()["clientId"], json!("C1/Panel"));
    assert_eq!(s.lines(op::STATE, 0.0, "connected", &[]), ["deadline 11000", "subscribe M/ctrl/T1/p"]);
    assert_eq!(
        s.lines(op::MESSAGE, 0.0, "M/ctrl/T1/p", br#"{"id":"dev-000000000000000000000007","auth":"c"}"#),
        [r#"enrolled ok {"plugId":"dev-000000000000000000000007","auth":"c"}"#]
    );
    let mut s = Shell::new();
    s.run(op::ENROLL_THING, 0.0, "", None, &plain(&json!({"model": "M", "hwid": "H", "pass": "p"})));
    s.lines(op::STATE, 0.0, "connected", &[]);
    assert_eq!(s.lines(op::SUBSCRIBED, 0.0, "M/thing/p", &[]), ["enrolled failed CONNECTION_LOST()"]);
}
