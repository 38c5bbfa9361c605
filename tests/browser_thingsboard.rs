//! ThingsBoardDevice and ThingsBoardGateway in headless Chromium against the platform simulator
//! (docs/platforms/thingsboard.md), each feature checked end to end through the simulator's admin API.
#![cfg(target_arch = "wasm32")]

mod common;

use std::cell::RefCell;
use std::rc::Rc;

use common::*;
use iotmqtt::client::time::{sleep_ms, timeout};
use iotmqtt::json;
use iotmqtt::json::Value;
use iotmqtt::platforms::thingsboard::{
    provision, ChecksumAlgorithm, Credentials, CredentialsType, DeviceOptions, FirmwareEvent, FirmwareState,
    FirmwareUpdater, OtaOptions, ProvisionRequest, ProvisionedCredentials, SessionLimits, ThingsBoardDevice,
    ThingsBoardError, ThingsBoardGateway,
};
use iotmqtt::ProtocolVersion;
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

/// (version, image) per installed update.
type Installed = Rc<RefCell<Vec<(String, Vec<u8>)>>>;

const THERMOSTAT: &str = "Demo%20Thermostat";

fn token(t: &str) -> Credentials {
    Credentials::AccessToken { token: t.into() }
}

async fn thermostat() -> ThingsBoardDevice {
    ThingsBoardDevice::connect(&sim_ws("thingsboard"), token("demo-thermostat-token"), DeviceOptions::default())
        .await
        .expect("the demo thermostat connects")
}

async fn sim_device(id: &str) -> Value {
    get_json(&sim_http(&format!("/api/sim/thingsboard/devices/{id}"))).await
}

/// Polls until `check` holds or 5 s pass; returns whether it held.
async fn eventually(mut check: impl FnMut() -> bool) -> bool {
    for _ in 0..100 {
        if check() {
            return true;
        }
        sleep_ms(50).await;
    }
    check()
}

// docs/platforms/thingsboard.md#connack-codes: an unknown token is CONNACK 0x05 on 3.1.1 and 0x86 on MQTT 5.
#[wasm_bindgen_test]
async fn a_wrong_token_is_a_clear_error_in_both_versions() {
    for (version, code) in [(ProtocolVersion::V3_1_1, 0x05), (ProtocolVersion::V5, 0x86)] {
        let options = DeviceOptions { version, ..Default::default() };
        let err = ThingsBoardDevice::connect(&sim_ws("thingsboard"), token("no-such-token"), options)
            .await
            .err()
            .expect("refused");
        assert_eq!(err, ThingsBoardError::TokenRejected { code });
        assert!(err.to_string().starts_with("ThingsBoard refused the access token"), "{err}");
    }
}

#[wasm_bindgen_test]
async fn basic_mqtt_credentials_connect_and_wrong_ones_are_named() {
    let basic = |password: &str| Credentials::Basic {
        client_id: "demo-basic-client".into(),
        username: Some("demo-basic-user".into()),
        password: Some(password.into()),
    };
    let d = ThingsBoardDevice::connect(&sim_ws("thingsboard"), basic("demo-basic-pass"), DeviceOptions::default())
        .await
        .unwrap();
    d.send_telemetry(&json!({"basic": 1})).await.unwrap();
    d.close();
    let err = ThingsBoardDevice::connect(&sim_ws("thingsboard"), basic("wrong"), DeviceOptions::default())
        .await
        .err()
        .unwrap();
    assert_eq!(err.code(), "TB_BASIC_CREDENTIALS_REJECTED", "{err}");
}

// docs/platforms/thingsboard.md#session-limits: getSessionLimits is answered by the transport itself.
#[wasm_bindgen_test]
async fn session_limits_are_fetched_after_connecting() {
    let d = thermostat().await;
    let limits: SessionLimits = d.session_limits();
    assert_eq!(limits.max_payload_size, 65_536);
    assert_eq!(limits.max_inflight_messages, 100);
    assert_eq!(limits.rate_limits.messages.len(), 3);
    d.close();
}

// docs/platforms/thingsboard.md#telemetry: all four formats, values of every JSON type.
#[wasm_bindgen_test]
async fn telemetry_in_every_format_reaches_the_server() {
    let d = thermostat().await;
    d.send_telemetry(&json!({"fmtObject": 1.5, "fmtBool": true, "fmtJson": {"a": [1, 2]}})).await.unwrap();
    d.send_telemetry(&json!([{"fmtArrayA": "x"}, {"fmtArrayB": 73}])).await.unwrap();
    d.send_telemetry(&json!({"ts": 1_451_649_600_512i64, "values": {"fmtTs": 42}})).await.unwrap();
    d.send_telemetry(&json!([{"ts": 1_451_649_600_000i64, "values": {"fmtTsArray": 1}}, {"ts": 1_451_649_601_000i64, "values": {"fmtTsArray": 2}}]))
        .await
        .unwrap();
    let url =
        sim_http(&format!("/api/plugins/telemetry/DEVICE/{THERMOSTAT}/values/timeseries?useStrictDataTypes=true"));
    let v = get_json(&url).await;
    assert_eq!(v["fmtObject"][0]["value"], 1.5);
    assert_eq!(v["fmtBool"][0]["value"], true);
    assert_eq!(v["fmtArrayB"][0]["value"], 73);
    assert_eq!(v["fmtTs"][0]["ts"], 1_451_649_600_512i64);
    assert_eq!(v["fmtTsArray"][0]["value"], 2, "the latest of the two");
    d.close();
}

// docs/platforms/thingsboard.md#max-payload: a larger packet is a decode failure and the server disconnects, so split.
#[wasm_bindgen_test]
async fn a_batch_over_the_max_payload_is_split_and_nothing_is_lost() {
    let d = thermostat().await;
    let mut values = iotmqtt::json::Map::new();
    for i in 0..4_000 {
        values.insert(format!("split_{i:04}"), json!(format!("value-{i}-{}", "x".repeat(20))));
    }
    let body = Value::Object(values);
    assert!(body.to_string().len() > 3 * 65_536 / 2);
    d.send_telemetry(&body).await.unwrap();
    assert!(d.client().is_some_and(|c| c.is_connected()), "no PUBLISH went over the limit");
    let keys = get_json(&sim_http(&format!("/api/plugins/telemetry/DEVICE/{THERMOSTAT}/keys/timeseries"))).await;
    let count = keys.as_array().unwrap().iter().filter(|k| k.as_str().unwrap_or("").starts_with("split_")).count();
    assert_eq!(count, 4_000);
    d.close();
}

// The max payload bounds the whole packet after the fixed header (Netty's MqttDecoder), topic
// included: a payload that fits 65,536 bytes but not with its topic must still be split.
#[wasm_bindgen_test]
async fn a_payload_that_fits_the_max_only_without_its_topic_is_split_or_refused() {
    let d = thermostat().await;
    let half = (65_520 - r#"{"edge_a":"","edge_b":""}"#.len()) / 2;
    let body = json!({"edge_a": "a".repeat(half), "edge_b": "b".repeat(65_520 - 25 - half)});
    assert_eq!(body.to_string().len(), 65_520, "between the topic's budget and the max payload");
    // Sent whole, the server would drop the connection at every (re)send: bounded, so that fails.
    let sent = timeout(10_000, d.send_telemetry(&body)).await;
    assert!(matches!(sent, Some(Ok(()))), "{sent:?}");
    let keys = get_json(&sim_http(&format!("/api/plugins/telemetry/DEVICE/{THERMOSTAT}/keys/timeseries"))).await;
    let keys: Vec<&str> = keys.as_array().unwrap().iter().filter_map(Value::as_str).collect();
    assert!(keys.contains(&"edge_a") && keys.contains(&"edge_b"), "{keys:?}");
    // Attributes are one PUBLISH: too big for it is an error, and the session goes on.
    let e = d.send_attributes(&body).await.unwrap_err();
    assert_eq!(e.code(), "TB_PAYLOAD_TOO_LARGE", "{e}");
    assert!(d.client().is_some_and(|c| c.is_connected()), "nothing went over the limit");
    d.close();
}

#[wasm_bindgen_test]
async fn bad_telemetry_is_refused_before_sending() {
    let d = thermostat().await;
    for bad in [json!(42), json!("text"), json!({"": 1}), json!([1, 2])] {
        assert_eq!(d.send_telemetry(&bad).await.unwrap_err().code(), "TB_INVALID_TELEMETRY", "{bad}");
    }
    assert_eq!(d.send_attributes(&json!([1])).await.unwrap_err().code(), "TB_INVALID_ATTRIBUTES");
    assert!(d.client().is_some_and(|c| c.is_connected()));
    d.close();
}

// docs/platforms/thingsboard.md#attributes: publish, request as comma-joined keys, shared updates with deleted.
#[wasm_bindgen_test]
async fn attributes_round_trip_and_the_mirror_follows_shared_updates() {
    let d = thermostat().await;
    d.send_attributes(&json!({"firmwareFlavor": "blue", "serial": 1234})).await.unwrap();
    let (status, _) = send_json(
        "POST",
        &sim_http(&format!("/api/plugins/telemetry/DEVICE/{THERMOSTAT}/SHARED_SCOPE")),
        &json!({"targetTemperature": 21.5, "mode": "eco"}),
    )
    .await;
    assert_eq!(status, 200);
    let r = d.request_attributes(&["firmwareFlavor", "serial"], &["targetTemperature", "mode"]).await.unwrap();
    assert_eq!(r.client["firmwareFlavor"], "blue");
    assert_eq!(r.shared["targetTemperature"], 21.5);

    let updates = Rc::new(RefCell::new(Vec::new()));
    let u = updates.clone();
    d.subscribe_shared_attributes(move |up| u.borrow_mut().push(up.clone())).await.unwrap();
    send_json(
        "POST",
        &sim_http(&format!("/api/plugins/telemetry/DEVICE/{THERMOSTAT}/SHARED_SCOPE")),
        &json!({"mode": "comfort"}),
    )
    .await;
    assert!(eventually(|| !updates.borrow().is_empty()).await);
    assert_eq!(d.attributes().shared["mode"], "comfort");
    let (status, _) = send_json(
        "DELETE",
        &sim_http(&format!("/api/plugins/telemetry/DEVICE/{THERMOSTAT}/SHARED_SCOPE?keys=mode")),
        &json!({}),
    )
    .await;
    assert_eq!(status, 200);
    assert!(eventually(|| updates.borrow().iter().any(|u| u.deleted == ["mode"])).await);
    let mirror = d.attributes();
    assert!(!mirror.shared.contains_key("mode"), "{mirror:?}");
    assert_eq!(mirror.shared["targetTemperature"], 21.5);
    assert_eq!(mirror.client["serial"], 1234);
    d.close();
}

// docs/platforms/thingsboard.md#rpc, server-side: an RPC from the admin API is answered by an async handler.
#[wasm_bindgen_test]
async fn server_side_rpc_is_answered_by_handlers_and_unknown_methods_get_an_error() {
    let d = thermostat().await;
    d.on_rpc("setSpValue", |req| async move {
        sleep_ms(20).await; // handlers may be async
        Ok(json!({"accepted": req.params}))
    });
    let one_way = Rc::new(RefCell::new(Vec::new()));
    let o = one_way.clone();
    d.on_rpc_one_way("blink", move |req| {
        o.borrow_mut().push(req.params.clone());
        async { Ok(Value::Null) }
    });
    d.enable_rpc().await.unwrap();
    let twoway = sim_http(&format!("/api/rpc/twoway/{THERMOSTAT}"));
    let (status, body) = send_json("POST", &twoway, &json!({"method": "setSpValue", "params": 14.5})).await;
    assert_eq!((status, body), (200, json!({"accepted": 14.5})));
    let (status, body) = send_json("POST", &twoway, &json!({"method": "selfDestruct", "params": {}})).await;
    assert_eq!(status, 200);
    assert_eq!(body, json!({"error": "unknown method: selfDestruct"}));
    let (status, _) = send_json(
        "POST",
        &sim_http(&format!("/api/rpc/oneway/{THERMOSTAT}")),
        &json!({"method": "blink", "params": 3}),
    )
    .await;
    assert_eq!(status, 200);
    assert!(eventually(|| one_way.borrow().as_slice() == [json!(3)]).await);
    d.close();
}

// docs/platforms/thingsboard.md#rpc, client-side, and #session-limits: getSessionLimits/getTime answered by the server.
#[wasm_bindgen_test]
async fn client_side_rpc_returns_results_errors_and_never_mixes_up_concurrent_calls() {
    let d = thermostat().await;
    let time = d.call("getTime", json!({})).await.unwrap();
    assert!(time.get("time").is_some(), "{time}");
    let err = d.call("noSuchMethod", json!({})).await.unwrap_err();
    assert!(matches!(&err, ThingsBoardError::RpcError { method, .. } if method == "noSuchMethod"), "{err}");
    let calls: Vec<_> = (0..20)
        .map(|i| {
            let d = d.clone();
            async move { (i, d.call("echo", json!({"n": i})).await) }
        })
        .collect();
    for (i, result) in futures_util::future::join_all(calls).await {
        assert_eq!(result.unwrap(), json!({"n": i}));
    }
    d.close();
}

// docs/platforms/thingsboard.md#claiming.
#[wasm_bindgen_test]
async fn a_claim_is_recorded_with_its_expiry() {
    let d = thermostat().await;
    d.claim(Some("s3cret"), Some(60_000)).await.unwrap();
    let mut claim = Value::Null;
    for _ in 0..50 {
        claim = sim_device(THERMOSTAT).await["claims"].clone();
        if claim.as_array().is_some_and(|c| !c.is_empty()) || claim.is_object() {
            break;
        }
        sleep_ms(50).await;
    }
    assert!(claim.to_string().contains("s3cret"), "{claim}");
    d.close();
}

// docs/platforms/thingsboard.md#provisioning: SUCCESS, NOT_FOUND, FAILURE, two credential types.
#[wasm_bindgen_test]
async fn provisioning_returns_credentials_that_connect_and_failures_carry_the_message() {
    let name = unique("prov").replace('/', "-");
    let request = ProvisionRequest {
        device_name: Some(name.clone()),
        provision_device_key: "demo-provision-key".into(),
        provision_device_secret: "demo-provision-secret".into(),
        ..Default::default()
    };
    let creds = provision(&sim_ws("thingsboard"), &request, ProtocolVersion::V3_1_1, 5_000).await.unwrap();
    let ProvisionedCredentials::AccessToken { token: t } = creds else { panic!("{creds:?}") };
    let d = ThingsBoardDevice::connect(&sim_ws("thingsboard"), token(&t), DeviceOptions::default()).await.unwrap();
    d.close();

    let again = provision(&sim_ws("thingsboard"), &request, ProtocolVersion::V3_1_1, 5_000).await.unwrap_err();
    assert!(matches!(&again, ThingsBoardError::ProvisionFailed { status, .. } if status == "FAILURE"), "{again}");

    let basic = ProvisionRequest {
        device_name: Some(format!("{name}-basic")),
        credentials_type: Some(CredentialsType::MqttBasic),
        client_id: Some(format!("{name}-cid")),
        username: Some("provisioned-user".into()),
        password: Some("provisioned-pass".into()),
        ..request.clone()
    };
    let creds = provision(&sim_ws("thingsboard"), &basic, ProtocolVersion::V5, 5_000).await.unwrap();
    let ProvisionedCredentials::MqttBasic { client_id, username, password } = creds else { panic!("{creds:?}") };
    let d = ThingsBoardDevice::connect(
        &sim_ws("thingsboard"),
        Credentials::Basic { client_id: client_id.unwrap_or_default(), username, password },
        DeviceOptions::default(),
    )
    .await
    .unwrap();
    d.close();

    let bad = ProvisionRequest { provision_device_key: "wrong-key".into(), ..request };
    match provision(&sim_ws("thingsboard"), &bad, ProtocolVersion::V3_1_1, 5_000).await.unwrap_err() {
        ThingsBoardError::ProvisionFailed { status, message } => {
            assert_eq!(status, "NOT_FOUND");
            assert!(!message.is_empty());
        }
        other => panic!("{other}"),
    }
}

async fn upload_firmware(version: &str, algorithm: ChecksumAlgorithm, image: &[u8]) {
    let init = web_sys::RequestInit::new();
    init.set_method("POST");
    let body = js_sys::Uint8Array::from(image);
    init.set_body(&body);
    let url = sim_http(&format!(
        "/api/sim/thingsboard/devices/{THERMOSTAT}/firmware?title=thermo-fw&version={version}&algorithm={}&kind=fw",
        algorithm.name()
    ));
    let resp = wasm_bindgen_futures::JsFuture::from(web_sys::window().unwrap().fetch_with_str_and_init(&url, &init))
        .await
        .unwrap();
    let resp: web_sys::Response = wasm_bindgen::JsCast::dyn_into(resp).unwrap();
    assert_eq!(resp.status(), 200, "firmware upload");
}

type Events = Rc<RefCell<Vec<FirmwareEvent>>>;

/// An updater whose installs and events are recorded, events from its first one on.
async fn recording_updater(d: &ThingsBoardDevice, options: OtaOptions) -> (FirmwareUpdater, Installed, Events) {
    let (installed, events): (Installed, Events) = Default::default();
    let (inst, ev) = (installed.clone(), events.clone());
    let updater = FirmwareUpdater::start_with_events(
        d,
        options,
        move |info, image| {
            inst.borrow_mut().push((info.version.clone(), image));
            async { Ok(()) }
        },
        move |e| ev.borrow_mut().push(e.clone()),
    )
    .await
    .unwrap();
    (updater, installed, events)
}

// docs/platforms/thingsboard.md#firmware (flows A and B) and #checksums: 7 algorithms, CRC32/Murmur3 little-endian.
#[wasm_bindgen_test]
async fn a_1_mib_image_downloads_in_8_kib_chunks_and_verifies_with_every_algorithm() {
    let d = thermostat().await;
    let first: Vec<u8> = (0..1024 * 1024u32).map(|i| (i.wrapping_mul(2_654_435_761) >> 24) as u8).collect();
    upload_firmware("1.0.0-md5", ChecksumAlgorithm::Md5, &first).await;
    let options =
        OtaOptions { current: Some(("thermo-fw".into(), "0.9.0".into())), chunk_size: 8 * 1024, ..Default::default() };
    let (updater, installed, events) = recording_updater(&d, options).await;
    // The package announced before `start` is seen from its first event on.
    assert!(
        matches!(events.borrow().first(), Some(FirmwareEvent::Available { package }) if package.version == "1.0.0-md5"),
        "first event: {:?}",
        events.borrow().first()
    );
    assert!(eventually(|| installed.borrow().len() == 1).await || eventually(|| installed.borrow().len() == 1).await);
    assert_eq!(installed.borrow()[0].1, first);

    for (i, alg) in ChecksumAlgorithm::ALL.into_iter().enumerate().skip(1) {
        let image: Vec<u8> = first.iter().map(|b| b.wrapping_add(i as u8)).collect();
        let version = format!("1.0.{i}-{}", alg.name());
        upload_firmware(&version, alg, &image).await;
        let mut done = false;
        for _ in 0..300 {
            if installed.borrow().len() == i + 1 {
                done = true;
                break;
            }
            sleep_ms(50).await;
        }
        assert!(done, "{alg:?} was not installed: {:?}", events.borrow().iter().rev().take(3).collect::<Vec<_>>());
        assert_eq!(installed.borrow()[i], (version.clone(), image), "{alg:?}");
        assert_eq!(updater.current(), Some(("thermo-fw".into(), version)));
    }
    let states: Vec<FirmwareState> = events
        .borrow()
        .iter()
        .filter_map(|e| match e {
            FirmwareEvent::State { state, .. } => Some(*state),
            _ => None,
        })
        .collect();
    use FirmwareState::*;
    assert_eq!(&states[..6], &[Downloading, Downloaded, Verified, Updating, Updated, Downloading]);
    let chunks = events.borrow().iter().filter(|e| matches!(e, FirmwareEvent::Progress { .. })).count();
    // The first download starts inside `start` but runs after it returns, so the listener sees all 7.
    assert_eq!(chunks, 7 * 128, "128 chunks of 8 KiB per 1 MiB image");
    // The UPDATED report is the last publish of the flow; the server may read it a moment after
    // the updater's own events, so the server's state is polled for it (5 s at most).
    let mut server_state = sim_device(THERMOSTAT).await;
    for _ in 0..100 {
        if server_state["fwState"] == "UPDATED" {
            break;
        }
        sleep_ms(50).await;
        server_state = sim_device(THERMOSTAT).await;
    }
    assert_eq!(server_state["fwState"], "UPDATED", "{server_state}");
    d.close();
}

// docs/platforms/thingsboard.md#firmware-chunks: a chunk size above the max payload is PAYLOAD_TOO_LARGE on
// v2/fw/error, then a disconnect, so a larger chunk size is capped at the max payload size.
#[wasm_bindgen_test]
async fn a_chunk_size_over_the_max_payload_is_capped_to_it() {
    let d = thermostat().await;
    let image: Vec<u8> = (0..300_000u32).map(|i| (i.wrapping_mul(40_503) >> 7) as u8).collect();
    upload_firmware("3.0.0-capped", ChecksumAlgorithm::Sha256, &image).await;
    let options =
        OtaOptions { current: Some(("thermo-fw".into(), "2.9.0".into())), chunk_size: 200_000, ..Default::default() };
    let (_updater, installed, events) = recording_updater(&d, options).await;
    assert!(
        eventually(|| !installed.borrow().is_empty()).await,
        "{:?}",
        events.borrow().iter().rev().take(3).collect::<Vec<_>>()
    );
    assert_eq!(installed.borrow()[0], ("3.0.0-capped".to_string(), image));
    let chunks = events.borrow().iter().filter(|e| matches!(e, FirmwareEvent::Progress { .. })).count();
    assert_eq!(chunks, 5, "300,000 bytes in chunks of 65,536");
    assert!(d.client().is_some_and(|c| c.is_connected()));
    d.close();
}

// An error listener may use the device at once: the firmware check that reports an unknown
// checksum algorithm holds no borrow of the device's state while listeners run.
#[wasm_bindgen_test]
async fn a_firmware_error_listener_may_use_the_device_again() {
    let basic = Credentials::Basic {
        client_id: "demo-basic-client".into(),
        username: Some("demo-basic-user".into()),
        password: Some("demo-basic-pass".into()),
    };
    let d = ThingsBoardDevice::connect(&sim_ws("thingsboard"), basic, DeviceOptions::default()).await.unwrap();
    let errors: Rc<RefCell<Vec<String>>> = Rc::default();
    let (again, seen) = (d.clone(), errors.clone());
    d.on_error(move |e| {
        seen.borrow_mut().push(e.code().to_string());
        again.on_error(|_| {});
    });
    let _updater = FirmwareUpdater::start(&d, OtaOptions::default(), |_, _| async { Ok(()) }).await.unwrap();
    let (status, _) = send_json(
        "POST",
        &sim_http("/api/plugins/telemetry/DEVICE/Demo%20Basic/SHARED_SCOPE"),
        &json!({"fw_title": "basic-fw", "fw_version": "1.0.0", "fw_size": 1, "fw_checksum_algorithm": "SHA1", "fw_checksum": "00"}),
    )
    .await;
    assert_eq!(status, 200);
    assert!(eventually(|| !errors.borrow().is_empty()).await, "no error event");
    assert_eq!(errors.borrow()[0], "TB_UNKNOWN_CHECKSUM_ALGORITHM");
    d.send_telemetry(&json!({"after_error": 1})).await.unwrap();
    d.close();
}

#[wasm_bindgen_test]
async fn a_corrupted_checksum_ends_in_failed_with_fw_error() {
    let image = vec![0x5Au8; 40_000];
    upload_firmware("2.0.0-bad", ChecksumAlgorithm::Sha256, &image).await;
    // The server now announces a checksum that does not match the package it serves.
    send_json(
        "POST",
        &sim_http(&format!("/api/plugins/telemetry/DEVICE/{THERMOSTAT}/SHARED_SCOPE")),
        &json!({"fw_checksum": ChecksumAlgorithm::Sha256.hex(b"something else")}),
    )
    .await;
    let d = thermostat().await;
    let events: Rc<RefCell<Vec<FirmwareEvent>>> = Rc::default();
    let installs = Rc::new(RefCell::new(0));
    let i = installs.clone();
    let updater = FirmwareUpdater::start(
        &d,
        OtaOptions { current: Some(("thermo-fw".into(), "1.9".into())), chunk_size: 4096, ..Default::default() },
        move |_, _| {
            *i.borrow_mut() += 1;
            async { Ok(()) }
        },
    )
    .await
    .unwrap();
    let ev = events.clone();
    updater.on_event(move |e| ev.borrow_mut().push(e.clone()));
    let failed = |events: &[FirmwareEvent]| {
        events.iter().find_map(|e| match e {
            FirmwareEvent::State { state: FirmwareState::Failed, error, .. } => error.clone(),
            _ => None,
        })
    };
    assert!(eventually(|| failed(&events.borrow()).is_some()).await, "{:?}", events.borrow());
    assert!(failed(&events.borrow()).unwrap().contains("checksum"));
    assert_eq!(*installs.borrow(), 0, "a bad image is never handed over");
    let server = sim_device(THERMOSTAT).await;
    assert_eq!(server["fwState"], "FAILED", "{server}");
    d.close();
}

// docs/platforms/thingsboard.md#session-limits: delay rather than get disconnected; maxPayloadSize applied.
#[wasm_bindgen_test]
async fn rate_limits_delay_sending_and_the_session_survives() {
    let d = thermostat().await;
    let mut limits = d.session_limits();
    limits.rate_limits.telemetry_messages = iotmqtt::platforms::thingsboard::limits::parse_rate_windows("4:1").unwrap();
    limits.max_payload_size = 1_024;
    d.set_limits(limits);
    let start = js_sys::Date::now();
    for i in 0..9 {
        d.send_telemetry(&json!({"rate": i})).await.unwrap();
    }
    let elapsed = js_sys::Date::now() - start;
    assert!(elapsed >= 2_000.0, "9 messages at 4 per second need two full windows, took {elapsed} ms");
    let mut big = iotmqtt::json::Map::new();
    for i in 0..100 {
        big.insert(format!("small_{i}"), json!(i));
    }
    d.send_telemetry(&Value::Object(big)).await.unwrap();
    assert!(d.client().is_some_and(|c| c.is_connected()));
    d.close();
}

// docs/platforms/thingsboard.md#gateway: one connection simulating 50 devices.
#[wasm_bindgen_test]
async fn a_gateway_serves_50_sub_devices() {
    let gw = ThingsBoardGateway::connect(&sim_ws("thingsboard"), token("demo-gateway-token"), DeviceOptions::default())
        .await
        .unwrap();
    let names: Vec<String> = (0..50).map(|i| format!("gw-sensor-{i:02}")).collect();
    for n in &names {
        gw.connect_device(n, Some("sensor")).await.unwrap();
    }
    let telemetry: Vec<Value> = (0..50).map(|i| json!({"temperature": 20 + i})).collect();
    let batch: Vec<(&str, &Value)> = names.iter().map(String::as_str).zip(telemetry.iter()).collect();
    gw.send_telemetry_batch(&batch).await.unwrap();
    gw.send_attributes(&names[0], &json!({"model": "T-1000"})).await.unwrap();
    gw.on_rpc(|req| async move { Ok(json!({"device": req.device, "method": req.method})) }).await.unwrap();
    let attrs = gw.request_attributes(&names[0], &["model"], true).await.unwrap();
    assert_eq!(attrs["model"], "T-1000");
    gw.claim(&names[1], Some("gw-secret"), None).await.unwrap();

    for n in [&names[0], &names[25], &names[49]] {
        let (status, body) =
            send_json("POST", &sim_http(&format!("/api/rpc/twoway/{n}")), &json!({"method": "ping", "params": {}}))
                .await;
        assert_eq!((status, body), (200, json!({"device": n, "method": "ping"})));
    }
    let all = get_json(&sim_http("/api/sim/thingsboard/devices")).await;
    let list = all.as_array().cloned().or_else(|| all["devices"].as_array().cloned()).unwrap_or_default();
    let with_telemetry = list
        .iter()
        .filter(|d| d["name"].as_str().is_some_and(|n| n.starts_with("gw-sensor-")))
        .filter(|d| d.to_string().contains("temperature"))
        .count();
    assert_eq!(with_telemetry, 50);
    assert_eq!(gw.devices().len(), 50);
    gw.disconnect_device(&names[49]).await.unwrap();
    let mut connected = names[..49].to_vec();
    connected.sort();
    assert_eq!(gw.devices(), connected, "by name, without the one disconnected");
    gw.close();
}

// docs/platforms/thingsboard.md#subscribe-whitelist: anything but the exact whitelisted filters gets
// SUBACK 0x80, so the device subscribes only to those, and only for the features it uses.
#[wasm_bindgen_test]
async fn the_device_subscribes_only_to_whitelisted_filters_for_features_in_use() {
    let options = DeviceOptions { fetch_session_limits: false, ..Default::default() };
    let d = ThingsBoardDevice::connect(&sim_ws("thingsboard"), token("demo-thermostat-token"), options).await.unwrap();
    d.send_telemetry(&json!({"quiet": 1})).await.unwrap();
    assert!(d.subscribed_filters().is_empty(), "telemetry needs no subscription");
    d.request_attributes(&[], &["targetTemperature"]).await.unwrap();
    assert_eq!(d.subscribed_filters(), ["v1/devices/me/attributes/response/+"]);
    d.call("getTime", json!({})).await.unwrap();
    d.enable_rpc().await.unwrap();
    d.subscribe_shared_attributes(|_| {}).await.unwrap();
    let filters = d.subscribed_filters();
    assert_eq!(filters.len(), 4);
    for f in &filters {
        assert!(iotmqtt::platforms::thingsboard::topics::SUBSCRIBE_WHITELIST.contains(&f.as_str()), "{f}");
    }
    d.close();
}

// docs/platforms/thingsboard.md#firmware: "The ${requestId} has to be different for each firmware
// update"; a newer package announced mid-download cancels the old download.
#[wasm_bindgen_test]
async fn a_new_package_during_a_download_cancels_it_with_a_new_request_id() {
    let d = thermostat().await;
    let slow: Vec<u8> = (0..512 * 1024u32).map(|i| (i % 253) as u8).collect();
    upload_firmware("3.0.0-slow", ChecksumAlgorithm::Sha256, &slow).await;
    let options =
        OtaOptions { current: Some(("thermo-fw".into(), "2.9".into())), chunk_size: 1024, ..Default::default() };
    let (_updater, installed, events) = recording_updater(&d, options).await;
    assert!(
        eventually(|| events.borrow().iter().filter(|e| matches!(e, FirmwareEvent::Progress { .. })).count() > 5).await
    );
    let fresh = vec![0xA5u8; 30_000];
    upload_firmware("3.1.0-fresh", ChecksumAlgorithm::Crc32, &fresh).await;
    assert!(eventually(|| !installed.borrow().is_empty()).await);
    sleep_ms(300).await;
    assert_eq!(
        installed.borrow().clone(),
        vec![("3.1.0-fresh".to_string(), fresh)],
        "only the newer package is installed"
    );
    let chunk_requests = sim_device(THERMOSTAT).await;
    assert_eq!(chunk_requests["fwState"], "UPDATED");
    d.close();
}

// docs/platforms/thingsboard.md#firmware: software likewise, with sw_ in place of fw_.
#[wasm_bindgen_test]
async fn software_packages_update_through_the_sw_topics() {
    let d = thermostat().await;
    let image = vec![0x42u8; 20_000];
    let init = web_sys::RequestInit::new();
    init.set_method("POST");
    init.set_body(&js_sys::Uint8Array::from(image.as_slice()));
    let url = sim_http(&format!(
        "/api/sim/thingsboard/devices/{THERMOSTAT}/firmware?title=thermo-sw&version=7.0&algorithm=MURMUR3_128&kind=sw"
    ));
    wasm_bindgen_futures::JsFuture::from(web_sys::window().unwrap().fetch_with_str_and_init(&url, &init))
        .await
        .unwrap();
    let options = OtaOptions {
        kind: iotmqtt::platforms::thingsboard::PackageKind::Sw,
        current: Some(("thermo-sw".into(), "6.0".into())),
        chunk_size: 4096,
    };
    let (_updater, installed, _) = recording_updater(&d, options).await;
    assert!(eventually(|| !installed.borrow().is_empty()).await);
    assert_eq!(installed.borrow()[0], ("7.0".to_string(), image));
    assert_eq!(sim_device(THERMOSTAT).await["swState"], "UPDATED");
    d.close();
}

// Bad input from the server: an attribute response or RPC request with invalid JSON, or an RPC id
// that is not an integer, is an error event; the session goes on. Injected with mosquitto_pub
// through the test broker, which (unlike ThingsBoard) lets anyone publish on these topics.
#[wasm_bindgen_test]
async fn invalid_payloads_from_the_server_are_error_events_and_the_session_goes_on() {
    let options = DeviceOptions { fetch_session_limits: false, ..Default::default() };
    let credentials = Credentials::Basic {
        client_id: unique("tb").replace('/', "-"),
        username: Some("tester".into()),
        password: Some("secret".into()),
    };
    let d = ThingsBoardDevice::connect(&broker_ws(), credentials, options).await.unwrap();
    let errors: Rc<RefCell<Vec<ThingsBoardError>>> = Rc::default();
    let e = errors.clone();
    d.on_error(move |err| e.borrow_mut().push(err.clone()));
    d.on_rpc("ping", |_| async { Ok(json!("pong")) });
    d.enable_rpc().await.unwrap();
    d.subscribe_shared_attributes(|_| {}).await.unwrap();
    let pub_raw = |topic: &'static str, body: &'static [u8]| async move {
        let r = get_json(&control_url(&format!(
            "/pub?topic={topic}&qos=1&b64={}",
            b64(body).replace('+', "%2B").replace('/', "%2F").replace('=', "%3D")
        )))
        .await;
        assert_eq!(r["ok"], true, "{r}");
    };
    pub_raw("v1/devices/me/rpc/request/abc", br#"{"method":"ping"}"#).await;
    pub_raw("v1/devices/me/rpc/request/5", b"{not json").await;
    pub_raw("v1/devices/me/attributes", b"[1,2").await;
    assert!(eventually(|| errors.borrow().len() == 3).await, "{:?}", errors.borrow());
    assert!(errors.borrow().iter().all(|e| e.code() == "TB_INVALID_PAYLOAD"));

    // The session goes on: a good RPC is still answered.
    let r = get_json(&control_url("/sub/start?name=tbreply&topic=v1/devices/me/rpc/response/6&qos=1")).await;
    assert_eq!(r["ok"], true);
    pub_raw("v1/devices/me/rpc/request/6", br#"{"method":"ping","params":{}}"#).await;
    let r = get_json(&control_url("/sub/result?name=tbreply")).await;
    assert_eq!(unb64(r["b64"].as_str().unwrap()), br#""pong""#);
    assert!(d.client().is_some_and(|c| c.is_connected()));
    d.close();
}
