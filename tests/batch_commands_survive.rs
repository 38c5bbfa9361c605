//! The platform cores the npm package drives take anything a shell, a caller or a server could hand
//! them: random command sequences (any op, odd numbers, odd texts, broken JSON, random plain data
//! and payloads, messages on the platforms' own topics) never panic, and every batch keeps its
//! layout's first field. A wasm panic would kill the client. Deterministic: a fixed seed.
#![cfg(all(not(target_arch = "wasm32"), feature = "cloudplugs", feature = "things-stack", feature = "thingsboard"))]

use iotmqtt::batch::command::Command;
use iotmqtt::batch::{cloudplugs, things_stack, thingsboard};
use iotmqtt::json;
use iotmqtt::json::Value;
use proptest::prelude::*;
use proptest::test_runner::{Config, RngAlgorithm, TestRng, TestRunner};

mod batch_reader;

use batch_reader::plain;

/// One command as generated: which op, and indexes into the tables below.
#[derive(Debug, Clone)]
struct Step {
    op: u8,
    n: usize,
    text: usize,
    json: usize,
    bytes: Vec<u8>,
    plain: Option<usize>,
    advance: u64,
}

const NUMBERS: &[f64] = &[0.0, 1.0, 2.0, -1.0, 3.5, 1e9, 9_007_199_254_740_993.0, -1e20, f64::NAN, f64::INFINITY];
const TEXTS: &[&str] = &[
    "",
    "t",
    "a/+",
    "#",
    "dev-000000000000000000000001/data/x",
    "dev-000000000000000000000001/ag/prop/set",
    "dev-000000000000000000000001/ag/prop/get",
    "M/thing/p",
    "v3/demo-app@ttn/devices/dev-1/up",
    "v3/demo-app@ttn/devices/dev-1/down/ack",
    "v3/demo-app@ttn/devices/dev-1/down/#",
    "v1/devices/me/rpc/request/1",
    "v1/devices/me/rpc/response/1",
    "v1/devices/me/attributes",
    "v1/devices/me/attributes/response/1",
    "v2/fw/response/1/chunk/0",
    "v1/gateway/rpc",
    "/provision/response",
    "connected",
    "disconnected",
    "CONNACK_NOT_AUTHORIZED",
    "iotmqtt:down:1",
    "\u{0}\u{ffff}",
];
const JSONS: &[Option<&str>] = &[
    None,
    Some(r#"{"end_device_ids":{"device_id":"dev-1","application_ids":{"application_id":"demo-app"}},"correlation_ids":["iotmqtt:down:1"],"downlink_ack":{"f_port":1,"frm_payload":"AQ==","correlation_ids":["iotmqtt:down:1"]}}"#),
    Some(r#"{"end_device_ids":{"device_id":"dev-1"},"uplink_message":{"f_port":2,"frm_payload":"A2cBEA=="}}"#),
    Some(r#"{"shared":{"fw_title":"TA","fw_version":"2","fw_size":1,"fw_checksum_algorithm":"CRC32","fw_checksum":"0"}}"#),
    Some(r#"{"method":"m","params":{}}"#),
    Some(r#"{"device":"D","data":{"id":1,"method":"m","params":{}}}"#),
    Some(r#"{"status":"SUCCESS","credentialsType":"ACCESS_TOKEN","credentialsValue":"t"}"#),
    Some(r#"{"id":"dev-000000000000000000000009","auth":"x"}"#),
    Some("null"),
    Some("{}"),
    Some("[]"),
    Some("1"),
    Some("\"x\""),
    Some("{\"a\":1}"),
    Some("[\"a\",2]"),
    Some("{\"data\":{\"c\":1},\"at\":5}"),
    Some("{"),
    Some("[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[]]]"),
];

fn plains() -> Vec<Vec<u8>> {
    let docs: Vec<Value> = vec![
        Value::Null,
        json!({}),
        json!("cayenne-lpp"),
        json!({"username": "dev-000000000000000000000001", "auth": "a", "hwid": "H"}),
        json!({"application": "demo-app@ttn", "apiKey": "k"}),
        json!({"token": "T"}),
        json!({"token": "T", "fetchSessionLimits": false, "requestTimeoutMs": 10}),
        json!([{"fPort": 1, "hex": "01"}]),
        json!([{"fPort": 1, "decodedPayload": {"$bytes": "{\"a\":1}"}}, {"fPort": 300}]),
        json!({"plugId": "dev-000000000000000000000002"}),
        json!({"model": "M", "hwid": "H", "pass": "p"}),
        json!({"shared": ["fw_title"], "client": ["x"]}),
        json!({"deviceId": "dev-1", "fPort": 2}),
        json!({"formatter": "function decodeUplink() {}"}),
        json!([{"provisionDeviceKey": "k", "provisionDeviceSecret": "s"}, {"timeoutMs": 5}]),
        json!({"kind": "fw", "chunkSize": 1}),
        json!({"will": {"channel": "s", "data": {"$bytes": "{nope"}}}),
    ];
    docs.iter().map(plain).collect()
}

fn step() -> impl Strategy<Value = Step> {
    (
        0u8..40,
        0..NUMBERS.len(),
        0..TEXTS.len(),
        0..JSONS.len(),
        prop::collection::vec(any::<u8>(), 0..48),
        prop::option::of(0usize..17),
        prop_oneof![Just(0u64), 1u64..20_000],
    )
        .prop_map(|(op, n, text, json, bytes, plain, advance)| Step { op, n, text, json, bytes, plain, advance })
}

/// Runs `steps` through `run`, starting with `setup`; every batch has at least its deadline.
fn survive(steps: &[Step], plains: &[Vec<u8>], mut run: impl FnMut(&Command) -> Vec<u8>, setup: &[(u8, f64, usize)]) {
    let mut now = 1_000u64;
    for &(op, n, p) in setup {
        let b = run(&Command { op, now, n, bytes: &plains[p], ..Default::default() });
        assert!(b.len() >= 8);
    }
    for s in steps {
        now += s.advance;
        // Plain data, a JSON text (a message's payload), or random bytes.
        let bytes = match (s.plain, s.bytes.first()) {
            (Some(p), _) => plains[p].as_slice(),
            (None, Some(b)) if b % 3 == 0 => JSONS[s.json].map_or(&[][..], str::as_bytes),
            _ => s.bytes.as_slice(),
        };
        let c = Command { op: s.op, now, n: NUMBERS[s.n], text: TEXTS[s.text], json: JSONS[s.json], bytes };
        let b = run(&c);
        assert!(b.len() >= 8, "{c:?}");
    }
}

fn runner() -> TestRunner {
    let config = Config { cases: 1_000, failure_persistence: None, ..Config::default() };
    TestRunner::new_with_rng(config, TestRng::deterministic_rng(RngAlgorithm::ChaCha))
}

#[test]
fn the_cloudplugs_core_survives_any_command_sequence() {
    let plains = plains();
    runner()
        .run(&prop::collection::vec(step(), 1..40), |steps| {
            let mut core = cloudplugs::CloudPlugsCore::new();
            survive(&steps, &plains, |c| core.run(c), &[(cloudplugs::op::LOGIN, 0.0, 3)]);
            let mut enrollment = cloudplugs::CloudPlugsCore::new();
            survive(&steps, &plains, |c| enrollment.run(c), &[(cloudplugs::op::ENROLL_THING, 0.0, 10)]);
            Ok(())
        })
        .unwrap();
}

#[test]
fn the_things_stack_core_survives_any_command_sequence() {
    let plains = plains();
    runner()
        .run(&prop::collection::vec(step(), 1..40), |steps| {
            let mut core = things_stack::ThingsStackCore::new();
            let setup = [(things_stack::op::CONNECT, 0.0, 4), (things_stack::op::PUSH, 3.0, 7)];
            survive(&steps, &plains, |c| core.run(c), &setup);
            Ok(())
        })
        .unwrap();
}

#[test]
fn the_thingsboard_core_survives_any_command_sequence() {
    let plains = plains();
    runner()
        .run(&prop::collection::vec(step(), 1..40), |steps| {
            let mut device = thingsboard::ThingsBoardCore::new();
            let setup = [(thingsboard::op::CONNECT, 0.0, 6), (thingsboard::op::START_FIRMWARE, 0.0, 15)];
            survive(&steps, &plains, |c| device.run(c), &setup);
            let mut gateway = thingsboard::ThingsBoardCore::new();
            survive(&steps, &plains, |c| gateway.run(c), &[(thingsboard::op::CONNECT, 1.0, 5)]);
            let mut provision = thingsboard::ThingsBoardCore::new();
            survive(&steps, &plains, |c| provision.run(c), &[(thingsboard::op::PROVISION, 0.0, 14)]);
            Ok(())
        })
        .unwrap();
}
