//! The pure ThingsBoard device session against the simulator's ThingsBoard, through the client's
//! core, on one virtual clock: telemetry, attributes, client-side RPC and its timeout, lazy
//! subscription, the whitelist, rate limits and firmware chunks with every checksum.
//! Rules: docs/platforms/thingsboard.md.
#![cfg(not(target_arch = "wasm32"))]

mod pair;

use iotmqtt::json;
use iotmqtt::json::Value;
use iotmqtt::platforms::thingsboard::limits::parse_session_limits;
use iotmqtt::platforms::thingsboard::session::{DeviceEvent, Outcome};
use iotmqtt::platforms::thingsboard::{ChecksumAlgorithm, PackageKind, SessionLimits, ThingsBoardError};
use iotmqtt::session::reason::ReasonCode;
use iotmqtt::{ClientError, SessionError};
use iotmqtt_sim::thingsboard::ThingsBoard;
use pair::thingsboard::{DevicePair, TOKEN};

fn thermostat_telemetry(tb: &ThingsBoard, key: &str) -> Vec<Value> {
    let st = tb.lock();
    let d = st.devices.iter().find(|d| d.access_token.as_deref() == Some(TOKEN)).unwrap();
    d.telemetry.get(key).map(|s| s.iter().map(|v| Value::from(v.value.clone())).collect()).unwrap_or_default()
}

// docs/platforms/thingsboard.md#telemetry: every documented format.
#[test]
fn telemetry_in_every_format_is_recorded_and_each_operation_ends_once() {
    let tb = pair::thingsboard();
    let mut d = DevicePair::thermostat(&tb);
    let forms = [
        json!({"temperature": 21.5}),
        json!([{"temperature": 22.0}, {"humidity": 40}]),
        json!({"ts": 1_700_000_000_000i64, "values": {"temperature": 23.0}}),
        json!([{"ts": 1_700_000_000_001i64, "values": {"temperature": 24.0}}]),
    ];
    let now = d.now();
    let ops: Vec<u64> = forms.iter().map(|f| d.device.send_telemetry(now, f).unwrap()).collect();
    d.pump();
    let done: Vec<DeviceEvent> =
        ops.iter().map(|op| DeviceEvent::NotifyDone { op: *op, result: Ok(Outcome::Done) }).collect();
    assert_eq!(d.events, done);
    assert_eq!(thermostat_telemetry(&tb, "humidity"), [json!(40)]);
    assert_eq!(thermostat_telemetry(&tb, "temperature").len(), 4);
    assert_eq!(d.subscribe_requests(), Vec::<String>::new(), "telemetry needs no subscription");
}

#[test]
fn bad_telemetry_is_refused_before_anything_is_sent() {
    let tb = pair::thingsboard();
    let mut d = DevicePair::thermostat(&tb);
    let now = d.now();
    assert!(matches!(d.device.send_telemetry(now, &json!(42)), Err(ThingsBoardError::InvalidTelemetry(_))));
    d.pump();
    assert_eq!(d.requests, []);
    assert_eq!(d.device.pending(), 0);
}

// docs/platforms/thingsboard.md#attributes: a request names its id in the topic; the answer comes on
// .../response/{id} with "client" and "shared".
#[test]
fn an_attribute_request_gets_client_and_shared_values_and_the_mirror_follows() {
    let tb = pair::thingsboard();
    let mut d = DevicePair::thermostat(&tb);
    let now = d.now();
    let sent = d.device.send_attributes(now, &json!({"firmware": "1.0"})).unwrap();
    let mut shared = serde_json::Map::new();
    shared.insert("targetTemperature".into(), serde_json::json!(21));
    tb.save_shared_attributes("Demo Thermostat", &shared).unwrap();
    d.pump();
    let asked = d.device.request_attributes(now, &["firmware"], &["targetTemperature"]).unwrap();
    d.pump();
    assert_eq!(d.done(sent), Some(Ok(Outcome::Done)));
    let Some(Ok(Outcome::Attributes(r))) = d.done(asked) else { panic!("{:?}", d.events) };
    assert_eq!(r.client.get("firmware"), Some(&json!("1.0")));
    assert_eq!(r.shared.get("targetTemperature"), Some(&json!(21)));
    assert_eq!(d.device.mirror().shared.get("targetTemperature"), Some(&json!(21)));
    assert_eq!(d.subscribe_requests(), ["v1/devices/me/attributes/response/+"]);
}

// Lazy subscription: three calls at once need the RPC response filter; one SUBSCRIBE goes out, and
// each call gets its own answer (ids never mixed up).
#[test]
fn concurrent_rpc_calls_share_one_subscribe_and_get_their_own_answers() {
    let tb = pair::thingsboard();
    let mut d = DevicePair::thermostat(&tb);
    let now = d.now();
    let ops: Vec<u64> = (0..3).map(|n| d.device.call(now, "echo", &json!({ "n": n })).unwrap()).collect();
    d.pump();
    assert_eq!(d.subscribe_requests(), ["v1/devices/me/rpc/response/+"]);
    let subscribes = d
        .pair
        .events
        .iter()
        .filter(|e| matches!(e, iotmqtt::supervisor::Event::RequestTransmit(b) if b[0] == 0x82))
        .count();
    assert_eq!(subscribes, 1, "one SUBSCRIBE packet");
    for (n, op) in ops.iter().enumerate() {
        assert_eq!(d.done(*op), Some(Ok(Outcome::CallResult(json!({ "n": n })))));
    }
}

// docs/platforms/thingsboard.md#session-limits: the transport answers getSessionLimits itself.
#[test]
fn get_session_limits_is_answered_and_parses() {
    let tb = pair::thingsboard();
    let mut d = DevicePair::thermostat(&tb);
    let now = d.now();
    let op = d.device.call(now, "getSessionLimits", &json!({})).unwrap();
    d.pump();
    let Some(Ok(Outcome::CallResult(v))) = d.done(op) else { panic!("{:?}", d.events) };
    let limits = parse_session_limits(&v).unwrap();
    assert_eq!(limits.max_payload_size, 65_536);
}

// A call nobody answers times out exactly request_timeout_ms after it went out, not before.
#[test]
fn an_unanswered_call_times_out_at_the_exact_instant() {
    let tb = pair::thingsboard();
    let mut d = DevicePair::thermostat(&tb);
    d.device.call(d.now(), "echo", &json!(1)).unwrap();
    d.pump();
    d.pair.frozen = true;
    let op = d.device.call(d.now(), "echo", &json!(2)).unwrap();
    let sent_at = d.now();
    d.advance(4_999);
    assert_eq!(d.done(op), None);
    d.advance(1);
    assert_eq!(d.now(), sent_at + 5_000);
    assert_eq!(d.done(op), Some(Err(ThingsBoardError::Timeout { what: "RPC call", timeout_ms: 5_000 })));
}

// docs/platforms/thingsboard.md#subscribe-whitelist: a filter off the list is refused with 0x80.
#[test]
fn a_filter_off_the_whitelist_fails_its_operation_and_may_be_asked_again() {
    let tb = pair::thingsboard();
    let mut d = DevicePair::thermostat(&tb);
    let op = d.device.subscribe(d.now(), "v1/devices/me/#");
    d.pump();
    let refused = ThingsBoardError::from(ClientError::Session(SessionError::SubscribeRefused {
        filter: "v1/devices/me/#".into(),
        reason: ReasonCode(0x80),
        said: None,
    }));
    assert_eq!(d.events, [DeviceEvent::NotifyDone { op, result: Err(refused) }]);
    assert_eq!(d.device.subscribed_filters(), Vec::<String>::new());
    let shared = d.device.subscribe(d.now(), "v1/devices/me/attributes");
    d.pump();
    assert_eq!(d.done(shared), Some(Ok(Outcome::Done)));
    assert_eq!(d.device.subscribed_filters(), ["v1/devices/me/attributes"]);
}

/// The simulator's ThingsBoard announces a firmware package for the thermostat, checksummed with
/// the algorithm named; returns the shared attributes it set.
fn announce_firmware(tb: &ThingsBoard, version: &str, algorithm: &str, image: Vec<u8>) -> Value {
    let algorithm = iotmqtt_sim::thingsboard::checksum::ChecksumAlgorithm::parse(algorithm).unwrap();
    let firmware = iotmqtt_sim::thingsboard::OtaKind::Firmware;
    Value::from(tb.assign_ota_package("Demo Thermostat", firmware, "TA652", version, algorithm, image).unwrap())
}

fn limits(messages: &str, telemetry: &str, points: &str, in_flight: usize) -> SessionLimits {
    SessionLimits::with_rates(messages, telemetry, points, in_flight).unwrap()
}

// Rate limits make the device wait, never break the session: 12 messages under "5:1" leave 5 at
// once, 5 one second later and 2 a second after that, in order, and every one is recorded.
#[test]
fn a_rate_window_spreads_publishes_over_exact_seconds() {
    let tb = pair::thingsboard();
    let mut d = DevicePair::thermostat(&tb);
    let start = d.now();
    d.device.set_limits(start, limits("5:1", "", "", 100));
    let ops: Vec<u64> = (0..12).map(|n| d.device.send_telemetry(start, &json!({ "seq": n })).unwrap()).collect();
    d.advance(3_000);
    let instants: Vec<u64> = d.published_topics().iter().map(|(t, _)| t - start).collect();
    assert_eq!(instants, [0, 0, 0, 0, 0, 1_000, 1_000, 1_000, 1_000, 1_000, 2_000, 2_000]);
    assert!(ops.iter().all(|op| d.done(*op) == Some(Ok(Outcome::Done))));
    let seq: Vec<Value> = thermostat_telemetry(&tb, "seq");
    assert_eq!(seq.len(), 12);
    assert!(matches!(d.pair.state(), iotmqtt::supervisor::ConnectionState::Connected(_)));
}

// The in-flight window: with 2 slots and the broker's PUBACKs 50 ms away, 6 publishes go 2 at a
// time, each pair once the previous pair is acknowledged.
#[test]
fn the_in_flight_window_waits_for_acknowledgements() {
    let tb = pair::thingsboard();
    let mut d = DevicePair::thermostat(&tb);
    d.pair.latency_ms = 50;
    let start = d.now();
    d.device.set_limits(start, limits("", "", "", 2));
    for n in 0..6 {
        d.device.send_telemetry(start, &json!({ "w": n })).unwrap();
    }
    d.advance(1_000);
    let instants: Vec<u64> = d.published_topics().iter().map(|(t, _)| t - start).collect();
    assert_eq!(instants, [0, 0, 50, 50, 100, 100]);
}

// docs/platforms/thingsboard.md#firmware-chunks and #checksums: a package in 1 KiB chunks, each
// requested on v2/fw/request/{id}/chunk/{n}, reassembled and verified with every algorithm.
#[test]
fn firmware_chunks_reassemble_and_verify_with_every_checksum() {
    for algorithm in [
        ChecksumAlgorithm::Md5,
        ChecksumAlgorithm::Sha256,
        ChecksumAlgorithm::Sha384,
        ChecksumAlgorithm::Sha512,
        ChecksumAlgorithm::Crc32,
        ChecksumAlgorithm::Murmur3_32,
        ChecksumAlgorithm::Murmur3_128,
    ] {
        let tb = pair::thingsboard();
        let mut d = DevicePair::thermostat(&tb);
        let image: Vec<u8> = (0..5_000u32).map(|i| (i * 7 % 251) as u8).collect();
        let attrs = announce_firmware(&tb, "1.1", algorithm.name(), image.clone());
        let request_id = d.device.request_id();
        let mut received = Vec::new();
        for index in 0..5 {
            let op = d.device.request_chunk(d.now(), PackageKind::Fw, request_id, index, 1_024).unwrap();
            d.pump();
            let Some(Ok(Outcome::Chunk(bytes))) = d.done(op) else {
                panic!("{algorithm:?} chunk {index}: {:?}", d.events)
            };
            received.extend(bytes);
        }
        assert_eq!(received, image);
        let checksum = attrs["fw_checksum"].as_str().unwrap();
        assert_eq!(algorithm.verify(&received, checksum), Ok(()), "{algorithm:?}");
    }
}

// `v2/fw/error` fails the chunks being waited for with the server's words; a byte that is not
// UTF-8 becomes U+FFFD and the words after it are kept.
#[test]
fn a_chunk_error_from_the_server_fails_the_waiting_chunks_with_its_words() {
    let tb = pair::thingsboard();
    let mut d = DevicePair::thermostat(&tb);
    announce_firmware(&tb, "1.1", "MD5", vec![1; 2_048]);
    let request_id = d.device.request_id();
    let answered = d.device.request_chunk(d.now(), PackageKind::Fw, request_id, 0, 1_024).unwrap();
    d.pump();
    assert!(matches!(d.done(answered), Some(Ok(Outcome::Chunk(_)))), "{:?}", d.events);
    d.pair.frozen = true;
    let waiting = d.device.request_chunk(d.now(), PackageKind::Fw, request_id, 1, 1_024).unwrap();
    d.pump();
    assert_eq!(d.done(waiting), None);
    d.device.handle_message(d.now(), "v2/fw/error", b"PAYLOAD\xffTOO_LARGE");
    d.pump();
    let words = "the server refused the chunk request: PAYLOAD\u{FFFD}TOO_LARGE";
    assert_eq!(d.done(waiting), Some(Err(ThingsBoardError::Firmware(words.into()))));
}

// A server-side RPC for a method nobody registered is answered with an error at once; a
// registered one reaches the application, whose reply goes back on the request's id.
#[test]
fn server_rpc_is_dispatched_by_method_and_unknown_methods_are_answered() {
    let tb = pair::thingsboard();
    let mut d = DevicePair::thermostat(&tb);
    d.device.register_rpc(d.now(), "setTemperature", false);
    d.pump();
    assert_eq!(d.subscribe_requests(), ["v1/devices/me/rpc/request/+"]);
    let now = d.now();
    d.device.handle_message(now, "v1/devices/me/rpc/request/7", br#"{"method":"reboot","params":{}}"#);
    d.device.handle_message(now, "v1/devices/me/rpc/request/8", br#"{"method":"setTemperature","params":22}"#);
    d.pump();
    let replies: Vec<(String, String)> = d
        .requests
        .iter()
        .filter_map(|(_, e)| match e {
            DeviceEvent::RequestPublish { topic, payload, .. } => {
                Some((topic.clone(), String::from_utf8_lossy(payload).into_owned()))
            }
            _ => None,
        })
        .collect();
    assert_eq!(
        replies,
        [("v1/devices/me/rpc/response/7".to_string(), r#"{"error":"unknown method: reboot"}"#.to_string())]
    );
    let Some(DeviceEvent::NotifyRpcRequest { request, one_way: false }) = d.events.last().cloned() else {
        panic!("{:?}", d.events)
    };
    assert_eq!((request.id, request.method.as_str(), request.params.clone()), (8, "setTemperature", json!(22)));
    d.device.reply_rpc(d.now(), request.id, &Ok(json!({"ok": true})));
    d.pump();
    assert_eq!(d.published_topics().last().unwrap().1, "v1/devices/me/rpc/response/8");
}

// The dashboard's gateway stall, explained: 500 sub-devices every second under the gateway's
// telemetry limits ("6000:60" data points) send 12 batches in the first minute, then one a second
// from 60 s, as each earlier batch leaves the window. docs/platforms/thingsboard.md#session-limits.
#[test]
fn a_gateway_batch_of_500_sub_devices_waits_for_the_data_point_window() {
    let tb = pair::thingsboard();
    let mut d = DevicePair::gateway(&tb);
    let start = d.now();
    d.device.set_limits(start, limits("200:1,6000:60", "100:1,3000:60", "6000:60", 100));
    let names: Vec<String> = (0..500).map(|n| format!("sensor-{n:03}")).collect();
    let reading = json!({"t": 20});
    for second in 0..20u64 {
        let batch: Vec<(&str, &Value)> = names.iter().map(|n| (n.as_str(), &reading)).collect();
        d.device.gateway_telemetry(d.now(), 1_700_000_000_000, &batch).unwrap();
        d.advance(1_000);
        assert_eq!(d.now(), start + (second + 1) * 1_000);
    }
    d.advance(45_000);
    let instants: Vec<u64> = d.published_topics().iter().map(|(t, _)| (t - start) / 1_000).collect();
    // Each batch that left frees its 500 points exactly 60 s later, for one waiting batch.
    assert_eq!(instants, [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 60, 61, 62, 63, 64, 65]);
    let status = d.device.pacing_status(d.now());
    assert_eq!(status.queued, 2);
    assert_eq!(status.binding, Some(iotmqtt::platforms::thingsboard::Binding::TelemetryDataPoints));
    assert_eq!(status.used, 6_000);
    assert_eq!(status.next_at, Some(start + 66_000));
}

// A sub-device's shared attribute, asked through the gateway: the answer for a single key names
// no key, so the session keeps it (docs/platforms/thingsboard.md#gateway).
#[test]
fn a_gateway_attribute_request_for_one_key_gets_its_value() {
    let tb = pair::thingsboard();
    let mut d = DevicePair::gateway(&tb);
    let connect = d
        .device
        .publish(
            d.now(),
            "v1/gateway/connect",
            br#"{"device":"Sensor A"}"#.to_vec(),
            iotmqtt::platforms::thingsboard::Budget::Message,
        )
        .unwrap();
    d.pump();
    assert_eq!(d.done(connect), Some(Ok(Outcome::Done)));
    let mut shared = serde_json::Map::new();
    shared.insert("interval".into(), serde_json::json!(30));
    tb.save_shared_attributes("Sensor A", &shared).unwrap();
    let op = d.device.gateway_request_attributes(d.now(), "Sensor A", &["interval"], false).unwrap();
    d.pump();
    let mut expected = iotmqtt::json::Map::new();
    expected.insert("interval".into(), json!(30));
    assert_eq!(d.done(op), Some(Ok(Outcome::GatewayAttributes(expected))));
    assert_eq!(d.subscribe_requests(), ["v1/gateway/attributes/response"]);
}

// A sub-device RPC with no handler enabled is answered with an error on v1/gateway/rpc.
#[test]
fn a_gateway_rpc_without_a_handler_is_answered_with_an_error() {
    let tb = pair::thingsboard();
    let mut d = DevicePair::gateway(&tb);
    let now = d.now();
    d.device.handle_message(
        now,
        "v1/gateway/rpc",
        br#"{"device":"Sensor A","data":{"id":3,"method":"reboot","params":{}}}"#,
    );
    d.pump();
    let Some((_, DeviceEvent::RequestPublish { topic, payload, .. })) = d.requests.last().cloned() else {
        panic!("{:?}", d.requests)
    };
    assert_eq!(topic, "v1/gateway/rpc");
    let reply: Value = serde_json::from_slice(&payload).unwrap();
    assert_eq!(reply, json!({"device": "Sensor A", "id": 3, "data": {"error": "unknown method: reboot"}}));
}

/// Runs one firmware update on the device pair: the pure flow's steps carried out by hand, as the
/// async updater does. `install` answers the installer step.
fn run_update(
    d: &mut DevicePair,
    info: iotmqtt::platforms::thingsboard::PackageInfo,
    chunk_size: usize,
    install: Result<(), String>,
) -> (Result<(), ThingsBoardError>, Vec<iotmqtt::platforms::thingsboard::update_flow::FirmwareEvent>) {
    use iotmqtt::platforms::thingsboard::update_flow::{UpdateFlow, UpdateStep};
    let request_id = d.device.request_id();
    let mut flow = UpdateFlow::new(info, Some(("TA652".into(), "1.0".into())), request_id, chunk_size);
    let mut events = Vec::new();
    let mut step = flow.start();
    loop {
        events.extend(flow.take_events());
        step = match step {
            UpdateStep::Done(result) => return (result, events),
            UpdateStep::Report { telemetry } => {
                let op = d.device.send_telemetry(d.now(), &telemetry).unwrap();
                d.pump();
                flow.reported(d.done(op).unwrap().map(drop))
            }
            UpdateStep::RequestChunk { request_id, index, chunk_size } => {
                let op = d.device.request_chunk(d.now(), PackageKind::Fw, request_id, index, chunk_size).unwrap();
                d.pump();
                flow.chunk(match d.done(op).unwrap() {
                    Ok(Outcome::Chunk(bytes)) => Ok(bytes),
                    Ok(other) => panic!("{other:?}"),
                    Err(e) => Err(e),
                })
            }
            // The shell's SHA-2, as the Rust client computes it.
            UpdateStep::Digest { algorithm } => {
                let digest = algorithm.digest(flow.digest_input().unwrap());
                flow.digested(Ok(digest)).unwrap()
            }
            UpdateStep::Install { .. } => flow.installed(install.clone()),
            // The words of the failure, as the Rust client gives them: its `Display`.
            UpdateStep::Describe { error } => flow.described(error.to_string()).unwrap(),
        };
    }
}

/// The package the simulator announced, read back from the device's attribute mirror.
fn announced(d: &mut DevicePair) -> iotmqtt::platforms::thingsboard::PackageInfo {
    let keys = iotmqtt::platforms::thingsboard::firmware::requested_keys(PackageKind::Fw);
    let keys: Vec<&str> = keys.iter().map(String::as_str).collect();
    d.device.request_attributes(d.now(), &[], &keys).unwrap();
    d.pump();
    iotmqtt::platforms::thingsboard::PackageInfo::from_attributes(PackageKind::Fw, &d.device.mirror().shared)
        .unwrap()
        .unwrap()
}

/// The `fw_state` values the device reported, in order. (The server's own QUEUED and INITIATED are
/// stamped with its wall clock, so they are left out of the order and counted apart.)
fn fw_states(tb: &ThingsBoard) -> Vec<Value> {
    let all = thermostat_telemetry(tb, "fw_state");
    let server = all.iter().filter(|s| *s == "QUEUED" || *s == "INITIATED").count();
    assert_eq!(server, 2, "QUEUED and INITIATED, once each: {all:?}");
    all.into_iter().filter(|s| *s != "QUEUED" && *s != "INITIATED").collect()
}

// docs/platforms/thingsboard.md#firmware, flow A(2): every state the device reports, in order, and
// the new current version with UPDATED.
#[test]
fn a_firmware_update_reports_every_state_in_order_and_the_new_version() {
    let tb = pair::thingsboard();
    let mut d = DevicePair::thermostat(&tb);
    let image: Vec<u8> = (0..3_000u32).map(|i| (i % 253) as u8).collect();
    announce_firmware(&tb, "1.1", "SHA256", image);
    let info = announced(&mut d);
    let (result, events) = run_update(&mut d, info, 1_024, Ok(()));
    assert_eq!(result, Ok(()));
    let progress: Vec<(usize, u32)> = events
        .iter()
        .filter_map(|e| match e {
            iotmqtt::platforms::thingsboard::update_flow::FirmwareEvent::Progress { received, chunk_index, .. } => {
                Some((*received, *chunk_index))
            }
            _ => None,
        })
        .collect();
    assert_eq!(progress, [(1_024, 0), (2_048, 1), (3_000, 2)]);
    assert_eq!(fw_states(&tb), ["DOWNLOADING", "DOWNLOADED", "VERIFIED", "UPDATING", "UPDATED"].map(|s| json!(s)));
    assert_eq!(thermostat_telemetry(&tb, "current_fw_version").last(), Some(&json!("1.1")));
}

// A checksum that does not match: FAILED with fw_error after DOWNLOADED, nothing installed.
#[test]
fn a_corrupted_checksum_ends_in_failed_with_its_reason() {
    let tb = pair::thingsboard();
    let mut d = DevicePair::thermostat(&tb);
    announce_firmware(&tb, "1.2", "SHA256", vec![1; 100]);
    let mut info = announced(&mut d);
    info.checksum = Some("00".repeat(32));
    let (result, _) = run_update(&mut d, info, 0, Ok(()));
    assert!(matches!(result, Err(ThingsBoardError::ChecksumMismatch { .. })), "{result:?}");
    assert_eq!(fw_states(&tb), ["DOWNLOADING", "DOWNLOADED", "FAILED"].map(|s| json!(s)));
    let error = thermostat_telemetry(&tb, "fw_error");
    assert_eq!(error.len(), 1);
}

// The installer's refusal is FAILED with its words as fw_error, after UPDATING.
#[test]
fn an_installer_refusal_is_failed_with_its_message() {
    let tb = pair::thingsboard();
    let mut d = DevicePair::thermostat(&tb);
    announce_firmware(&tb, "1.3", "SHA256", vec![2; 10]);
    let info = announced(&mut d);
    let (result, _) = run_update(&mut d, info, 0, Err("flash is write-protected".into()));
    assert_eq!(result, Err(ThingsBoardError::Firmware("flash is write-protected".into())));
    assert_eq!(fw_states(&tb), ["DOWNLOADING", "DOWNLOADED", "VERIFIED", "UPDATING", "FAILED"].map(|s| json!(s)));
    let error = thermostat_telemetry(&tb, "fw_error");
    assert!(error[0].as_str().unwrap().contains("flash is write-protected"), "{error:?}");
}
