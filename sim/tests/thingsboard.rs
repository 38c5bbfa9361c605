// ThingsBoard device transport, as specified in docs/platforms/thingsboard.md,
// driven over TCP by rumqttc (MQTT 3.1.1) and hand-built packets (MQTT 5), with the admin REST API.

mod common;

use common::raw::{self, RawClient};
use common::*;
use rumqttc::{ConnectReturnCode, QoS, SubscribeReasonCode};
use serde_json::{json, Value};
use std::time::Duration;

const TOKEN: &str = "demo-thermostat-token";
const DEVICE: &str = "Demo%20Thermostat";

async fn thermostat(port: u16) -> Client {
    connect(port, "thermostat", Some((TOKEN, ""))).await.expect("token accepted")
}

// docs/platforms/thingsboard.md#connect: access token as username.
#[tokio::test]
async fn access_token_connects_and_unknown_token_is_refused_with_0x05() {
    let sim = start().await;
    let port = sim.ports.thingsboard_tcp;
    assert!(thermostat(port).await.client.disconnect().await.is_ok());
    let refused = connect(port, "x", Some(("no-such-token", ""))).await.err();
    assert_eq!(refused, Some(ConnectReturnCode::NotAuthorized));
}

// docs/platforms/thingsboard.md#connack-codes: bad or unknown credentials 0x05 / 0x86.
#[tokio::test]
async fn unknown_token_on_mqtt5_is_refused_with_0x86() {
    let sim = start().await;
    let mut c = RawClient::open(sim.ports.thingsboard_tcp).await;
    c.send(&raw::connect(5, "x", Some("no-such-token"), None)).await;
    let (first, body) = c.read().await.expect("CONNACK");
    assert_eq!(first, 0x20);
    assert_eq!(body[1], 0x86);
    assert!(c.read().await.is_none(), "the server closes after refusing");
}

// docs/platforms/thingsboard.md#connect: "Basic MQTT Credentials - combination of client id, username and password".
#[tokio::test]
async fn mqtt_basic_credentials_connect_and_a_wrong_password_is_refused() {
    let sim = start().await;
    let port = sim.ports.thingsboard_tcp;
    connect(port, "demo-basic-client", Some(("demo-basic-user", "demo-basic-pass"))).await.expect("basic accepted");
    let refused = connect(port, "demo-basic-client", Some(("demo-basic-user", "wrong"))).await.err();
    assert_eq!(refused, Some(ConnectReturnCode::NotAuthorized));
}

// docs/platforms/thingsboard.md#subscribe-whitelist: the exact filters; `v1/devices/me/#` or `#` get
// SUBACK failure 0x80;
// "subscriptions are granted at most QoS 1".
#[tokio::test]
async fn only_whitelisted_filters_are_granted_and_at_most_qos_1() {
    let sim = start().await;
    let mut c = thermostat(sim.ports.thingsboard_tcp).await;
    for filter in [
        "v1/devices/me/attributes",
        "v1/devices/me/attributes/response/+",
        "v1/devices/me/rpc/request/+",
        "v1/devices/me/rpc/response/+",
        "v2/fw/response/+/chunk/+",
        "v2/fw/error",
        "v2/sw/response/+/chunk/+",
        "v2/sw/error",
        "v2/a",
        "v2/a/res/+",
        "v2/r/req/+",
        "v2/r/res/+",
    ] {
        assert_eq!(
            c.subscribe(filter, QoS::ExactlyOnce).await,
            vec![SubscribeReasonCode::Success(QoS::AtLeastOnce)],
            "{filter}"
        );
    }
    for filter in ["v1/devices/me/#", "#", "v1/devices/me/rpc/request/1", "v1/gateway/rpc"] {
        assert_eq!(c.subscribe(filter, QoS::AtMostOnce).await, vec![SubscribeReasonCode::Failure], "{filter}");
    }
}

// docs/platforms/thingsboard.md#telemetry: the formats, server-side timestamp when none is given.
#[tokio::test]
async fn telemetry_in_all_formats_is_stored_with_the_right_timestamps() {
    let sim = start().await;
    let c = thermostat(sim.ports.thingsboard_tcp).await;
    let before = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_millis() as i64;
    c.publish_json("v1/devices/me/telemetry", &json!({"temperature": 21.5})).await;
    c.publish_json("v1/devices/me/telemetry", &json!([{"humidity": 40}, {"on": true}])).await;
    c.publish_json("v1/devices/me/telemetry", &json!({"ts": 1451649600512i64, "values": {"pressure": 1013}})).await;
    c.publish_json("v1/devices/me/telemetry", &json!([{"ts": 1451649600513i64, "values": {"co2": 400}}])).await;
    c.publish_json("v2/t", &json!({"short": "form"})).await;
    let path = format!("/api/plugins/telemetry/DEVICE/{DEVICE}/values/timeseries?useStrictDataTypes=true");
    let mut values = Value::Null;
    for _ in 0..50 {
        values = get_json(sim.ports.http, &path).await;
        if values.get("short").is_some() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert_eq!(values["temperature"][0]["value"], 21.5);
    assert!(values["temperature"][0]["ts"].as_i64().unwrap() >= before);
    assert_eq!(values["humidity"][0]["value"], 40);
    assert_eq!(values["on"][0]["value"], true);
    assert_eq!(values["pressure"][0]["ts"], 1451649600512i64);
    assert_eq!(values["co2"][0]["ts"], 1451649600513i64);
    // Without strict types ThingsBoard's REST API prints values as strings.
    let loose =
        get_json(sim.ports.http, &format!("/api/plugins/telemetry/DEVICE/{DEVICE}/values/timeseries?keys=humidity"))
            .await;
    assert_eq!(loose, json!({"humidity": [{"ts": values["humidity"][0]["ts"], "value": "40"}]}));
}

// docs/platforms/thingsboard.md#max-payload: 65536 bytes by default; a larger packet is a decode failure
// and the server disconnects.
#[tokio::test]
async fn a_packet_over_65536_bytes_disconnects() {
    let sim = start().await;
    let mut c = thermostat(sim.ports.thingsboard_tcp).await;
    c.publish("v1/devices/me/telemetry", vec![b' '; 70_000]).await;
    c.closed().await;
    // A payload under the limit is fine.
    let c = thermostat(sim.ports.thingsboard_tcp).await;
    let mut big = String::from("{\"blob\":\"");
    big.push_str(&"x".repeat(60_000));
    big.push_str("\"}");
    c.publish("v1/devices/me/telemetry", big).await;
}

// docs/platforms/thingsboard.md#publish-errors: invalid JSON on a known topic disconnects an MQTT 3.1.x session.
#[tokio::test]
async fn invalid_json_disconnects_on_mqtt_311() {
    let sim = start().await;
    let mut c = thermostat(sim.ports.thingsboard_tcp).await;
    c.publish("v1/devices/me/telemetry", "{not json").await;
    c.closed().await;
}

// docs/platforms/thingsboard.md#publish-errors: on MQTT 5, PUBACK 0x99 payload-format-invalid instead;
// publishing to an unknown topic: PUBACK with topic-name-invalid, no disconnect.
#[tokio::test]
async fn mqtt5_gets_puback_0x99_for_invalid_json_and_0x90_for_unknown_topics() {
    let sim = start().await;
    let mut c = RawClient::open(sim.ports.thingsboard_tcp).await;
    c.send(&raw::connect(5, "m5", Some(TOKEN), None)).await;
    let (_, connack) = c.read().await.unwrap();
    assert_eq!(connack[1], 0);
    c.send(&raw::publish(5, "v1/devices/me/telemetry", b"{oops", 1, 7)).await;
    let (first, body) = c.read().await.unwrap();
    assert_eq!((first, &body[..3]), (0x40, &[0, 7, 0x99][..]));
    c.send(&raw::publish(5, "v1/devices/me/nowhere", b"{}", 1, 8)).await;
    let (first, body) = c.read().await.unwrap();
    assert_eq!((first, &body[..3]), (0x40, &[0, 8, 0x90][..]));
    // Still connected: a valid publish is acknowledged with success.
    c.send(&raw::publish(5, "v1/devices/me/telemetry", b"{\"t\":1}", 1, 9)).await;
    let (first, body) = c.read().await.unwrap();
    assert_eq!((first, &body[..2]), (0x40, &[0, 9][..]));
    assert!(body.len() == 2 || body[2] == 0);
}

// docs/platforms/thingsboard.md#attributes: the response {"client":{..},"shared":{..}}, each only when non-empty.
#[tokio::test]
async fn attribute_requests_answer_client_and_shared_only_when_non_empty() {
    let sim = start().await;
    let mut c = thermostat(sim.ports.thingsboard_tcp).await;
    c.subscribe("v1/devices/me/attributes/response/+", QoS::AtLeastOnce).await;
    c.publish_json("v1/devices/me/attributes", &json!({"model": "T-1000", "firmware": "1.0"})).await;
    let (s, _) = http_json(
        sim.ports.http,
        "POST",
        &format!("/api/plugins/telemetry/DEVICE/{DEVICE}/SHARED_SCOPE"),
        &json!({"targetTemperature": 22}),
    )
    .await;
    assert_eq!(s, 200);
    c.publish_json(
        "v1/devices/me/attributes/request/1",
        &json!({"clientKeys": "model,missing", "sharedKeys": "targetTemperature"}),
    )
    .await;
    assert_eq!(
        c.next_json_on("v1/devices/me/attributes/response/1").await,
        json!({"client": {"model": "T-1000"}, "shared": {"targetTemperature": 22}})
    );
    c.publish_json("v1/devices/me/attributes/request/2", &json!({"sharedKeys": "targetTemperature"})).await;
    assert_eq!(
        c.next_json_on("v1/devices/me/attributes/response/2").await,
        json!({"shared": {"targetTemperature": 22}})
    );
    c.publish_json("v1/devices/me/attributes/request/3", &json!({"clientKeys": "nothing"})).await;
    assert_eq!(c.next_json_on("v1/devices/me/attributes/response/3").await, json!({}));
    let attrs =
        get_json(sim.ports.http, &format!("/api/plugins/telemetry/DEVICE/{DEVICE}/values/attributes/CLIENT_SCOPE"))
            .await;
    assert!(attrs.as_array().unwrap().iter().any(|a| a["key"] == "model" && a["value"] == "T-1000"));
}

// docs/platforms/thingsboard.md#attributes: shared attribute updates, plus "deleted":[...].
#[tokio::test]
async fn shared_attribute_changes_and_deletions_are_pushed() {
    let sim = start().await;
    let mut c = thermostat(sim.ports.thingsboard_tcp).await;
    c.subscribe("v1/devices/me/attributes", QoS::AtLeastOnce).await;
    let path = format!("/api/plugins/telemetry/DEVICE/{DEVICE}/SHARED_SCOPE");
    http_json(sim.ports.http, "POST", &path, &json!({"mode": "eco", "interval": 5})).await;
    assert_eq!(c.next_json_on("v1/devices/me/attributes").await, json!({"mode": "eco", "interval": 5}));
    let (s, _) = http(sim.ports.http, "DELETE", &format!("{path}?keys=mode"), b"").await;
    assert_eq!(s, 200);
    assert_eq!(c.next_json_on("v1/devices/me/attributes").await, json!({"deleted": ["mode"]}));
}

// docs/platforms/thingsboard.md#rpc, server-side: two-way answered by the device, one-way without a reply.
#[tokio::test]
async fn two_way_rpc_returns_the_device_reply_to_the_admin_caller() {
    let sim = start().await;
    let mut c = thermostat(sim.ports.thingsboard_tcp).await;
    c.subscribe("v1/devices/me/rpc/request/+", QoS::AtLeastOnce).await;
    let port = sim.ports.http;
    let call = tokio::spawn(async move {
        http_json(
            port,
            "POST",
            &format!("/api/rpc/twoway/{DEVICE}"),
            &json!({"method": "getValue", "params": {"pin": 3}}),
        )
        .await
    });
    let (topic, payload) = c.next_publish().await;
    let id = topic.strip_prefix("v1/devices/me/rpc/request/").expect("RPC request topic");
    assert_eq!(serde_json::from_slice::<Value>(&payload).unwrap(), json!({"method": "getValue", "params": {"pin": 3}}));
    c.publish_json(&format!("v1/devices/me/rpc/response/{id}"), &json!({"value": 42})).await;
    let (status, body) = call.await.unwrap();
    assert_eq!((status, body), (200, json!({"value": 42})));
}

#[tokio::test]
async fn two_way_rpc_times_out_with_408_and_one_way_returns_at_once() {
    let sim = start().await;
    let mut c = thermostat(sim.ports.thingsboard_tcp).await;
    c.subscribe("v1/devices/me/rpc/request/+", QoS::AtLeastOnce).await;
    let (status, _) = http_json(
        sim.ports.http,
        "POST",
        &format!("/api/rpc/twoway/{DEVICE}"),
        &json!({"method": "slow", "params": {}, "timeout": 100}),
    )
    .await;
    assert_eq!(status, 408);
    let _ = c.next_publish().await;
    let (status, _) =
        http(sim.ports.http, "POST", &format!("/api/rpc/oneway/{DEVICE}"), br#"{"method":"setSpValue","params":14.5}"#)
            .await;
    assert_eq!(status, 200);
    let (_, payload) = c.next_publish().await;
    assert_eq!(serde_json::from_slice::<Value>(&payload).unwrap(), json!({"method": "setSpValue", "params": 14.5}));
}

#[tokio::test]
async fn rpc_to_a_device_without_an_rpc_subscription_is_409() {
    let sim = start().await;
    let (status, _) =
        http_json(sim.ports.http, "POST", &format!("/api/rpc/twoway/{DEVICE}"), &json!({"method": "x"})).await;
    assert_eq!(status, 409);
    let (status, _) = http_json(sim.ports.http, "POST", "/api/rpc/twoway/nobody", &json!({"method": "x"})).await;
    assert_eq!(status, 404);
}

// docs/platforms/thingsboard.md#rpc, client-side; #session-limits: getSessionLimits is answered by the
// transport itself.
#[tokio::test]
async fn client_side_rpc_answers_get_time_session_limits_echo_and_errors() {
    let sim = start().await;
    let mut c = thermostat(sim.ports.thingsboard_tcp).await;
    c.subscribe("v1/devices/me/rpc/response/+", QoS::AtLeastOnce).await;
    c.publish_json("v1/devices/me/rpc/request/1", &json!({"method": "getSessionLimits", "params": {}})).await;
    let limits = c.next_json_on("v1/devices/me/rpc/response/1").await;
    assert_eq!(limits["maxPayloadSize"], 65536);
    assert_eq!(limits["maxInflightMessages"], 100);
    assert_eq!(limits["rateLimits"]["messages"], "200:1,6000:60,14000:3600");
    assert!(limits["rateLimits"]["telemetryMessages"].is_string());
    assert!(limits["rateLimits"]["telemetryDataPoints"].is_string());
    c.publish_json("v1/devices/me/rpc/request/2", &json!({"method": "getTime", "params": {}})).await;
    assert!(c.next_json_on("v1/devices/me/rpc/response/2").await["ts"].is_i64());
    c.publish_json("v1/devices/me/rpc/request/3", &json!({"method": "echo", "params": {"a": [1, 2]}})).await;
    assert_eq!(c.next_json_on("v1/devices/me/rpc/response/3").await, json!({"a": [1, 2]}));
    c.publish_json("v1/devices/me/rpc/request/4", &json!({"method": "reboot", "params": {}})).await;
    assert!(c.next_json_on("v1/devices/me/rpc/response/4").await["error"].is_string());
}

// docs/platforms/thingsboard.md#topics: short v2 forms `v2/a/req/{id}`, `v2/a/res/{id}`, `v2/r/req/{id}`,
// `v2/r/res/{id}`.
#[tokio::test]
async fn v2_short_topics_work_like_v1() {
    let sim = start().await;
    let mut c = thermostat(sim.ports.thingsboard_tcp).await;
    c.subscribe("v2/a/res/+", QoS::AtLeastOnce).await;
    c.subscribe("v2/r/res/+", QoS::AtLeastOnce).await;
    c.subscribe("v2/r/req/+", QoS::AtLeastOnce).await;
    c.publish_json("v2/a", &json!({"short": true})).await;
    c.publish_json("v2/a/req/5", &json!({"clientKeys": "short"})).await;
    assert_eq!(c.next_json_on("v2/a/res/5").await, json!({"client": {"short": true}}));
    c.publish_json("v2/r/req/6", &json!({"method": "echo", "params": 1})).await;
    assert_eq!(c.next_json_on("v2/r/res/6").await, json!(1));
    let port = sim.ports.http;
    let call = tokio::spawn(async move {
        http_json(port, "POST", &format!("/api/rpc/twoway/{DEVICE}"), &json!({"method": "m"})).await
    });
    let (topic, _) = c.next_publish().await;
    let id = topic.strip_prefix("v2/r/req/").expect("short RPC request topic").to_string();
    c.publish(&format!("v2/r/res/{id}"), "\"done\"").await;
    assert_eq!(call.await.unwrap(), (200, json!("done")));
}

// docs/platforms/thingsboard.md#claiming: {"secretKey":"value","durationMs":60000}, both optional.
#[tokio::test]
async fn claims_are_recorded_with_their_expiry() {
    let sim = start().await;
    let c = thermostat(sim.ports.thingsboard_tcp).await;
    c.publish_json("v1/devices/me/claim", &json!({"secretKey": "s3cret", "durationMs": 60000})).await;
    let mut device = Value::Null;
    for _ in 0..50 {
        device = get_json(sim.ports.http, &format!("/api/sim/thingsboard/devices/{DEVICE}")).await;
        if !device["claims"].as_array().unwrap().is_empty() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let claim = &device["claims"][0];
    assert_eq!(claim["secretKey"], "s3cret");
    assert_eq!(claim["expiresAt"].as_i64().unwrap() - claim["claimedAt"].as_i64().unwrap(), 60000);
}

async fn provision(port: u16, request: Value) -> (Value, Client) {
    let mut c = connect(port, "provision", Some(("provision", ""))).await.expect("provision session");
    c.subscribe("/provision/response", QoS::AtLeastOnce).await;
    c.publish_json("/provision/request", &request).await;
    let answer = c.next_json_on("/provision/response").await;
    (answer, c)
}

// docs/platforms/thingsboard.md#provisioning: SUCCESS, then close after the delay.
#[tokio::test]
async fn provisioning_creates_a_device_whose_token_then_connects() {
    let sim = start().await;
    let port = sim.ports.thingsboard_tcp;
    let (answer, mut session) = provision(
        port,
        json!({"deviceName": "New Sensor", "provisionDeviceKey": "demo-provision-key", "provisionDeviceSecret": "demo-provision-secret"}),
    )
    .await;
    assert_eq!(answer["status"], "SUCCESS");
    assert_eq!(answer["credentialsType"], "ACCESS_TOKEN");
    let token = answer["credentialsValue"].as_str().unwrap().to_string();
    session.closed().await; // provision_close_delay_ms (200 ms in tests; 60 s in ThingsBoard)
    connect(port, "new", Some((&token, ""))).await.expect("provisioned token works");
}

#[tokio::test]
async fn provisioning_mqtt_basic_and_x509_return_their_credentials() {
    let sim = start().await;
    let port = sim.ports.thingsboard_tcp;
    let (answer, _) = provision(
        port,
        json!({"deviceName": "Basic One", "provisionDeviceKey": "demo-provision-key", "provisionDeviceSecret": "demo-provision-secret",
               "credentialsType": "MQTT_BASIC", "clientId": "c1", "username": "u1", "password": "p1"}),
    )
    .await;
    assert_eq!(
        answer,
        json!({"credentialsType": "MQTT_BASIC", "credentialsValue": {"clientId": "c1", "userName": "u1", "password": "p1"}, "status": "SUCCESS"})
    );
    connect(port, "c1", Some(("u1", "p1"))).await.expect("provisioned basic credentials work");
    let (answer, _) = provision(
        port,
        json!({"deviceName": "Cert One", "provisionDeviceKey": "demo-provision-key", "provisionDeviceSecret": "demo-provision-secret",
               "credentialsType": "X509_CERTIFICATE", "hash": "abc123"}),
    )
    .await;
    assert_eq!(answer["status"], "SUCCESS");
    assert_eq!(answer["credentialsValue"], "abc123");
}

#[tokio::test]
async fn provisioning_failures_are_not_found_and_failure() {
    let sim = start().await;
    let port = sim.ports.thingsboard_tcp;
    let (answer, _) = provision(
        port,
        json!({"deviceName": "X", "provisionDeviceKey": "demo-provision-key", "provisionDeviceSecret": "wrong"}),
    )
    .await;
    assert_eq!(answer["status"], "NOT_FOUND");
    assert!(answer["errorMsg"].is_string());
    // A name that already exists, on a profile that creates new devices.
    let (answer, _) = provision(
        port,
        json!({"deviceName": "Demo Thermostat", "provisionDeviceKey": "demo-provision-key", "provisionDeviceSecret": "demo-provision-secret"}),
    )
    .await;
    assert_eq!(answer["status"], "FAILURE");
    // The pre-provisioned profile only knows existing devices.
    let (answer, _) = provision(
        port,
        json!({"deviceName": "Unknown", "provisionDeviceKey": "demo-preprovisioned-key", "provisionDeviceSecret": "demo-preprovisioned-secret"}),
    )
    .await;
    assert_eq!(answer["status"], "NOT_FOUND");
    let (answer, _) = provision(
        port,
        json!({"deviceName": "Demo Thermostat", "provisionDeviceKey": "demo-preprovisioned-key", "provisionDeviceSecret": "demo-preprovisioned-secret"}),
    )
    .await;
    assert_eq!((answer["status"].as_str(), answer["credentialsValue"].as_str()), (Some("SUCCESS"), Some(TOKEN)));
}

// docs/platforms/thingsboard.md#provisioning: only SUBSCRIBE `/provision/response` and PUBLISH `/provision/request`.
#[tokio::test]
async fn a_provision_session_allows_nothing_else() {
    let sim = start().await;
    let mut c = connect(sim.ports.thingsboard_tcp, "provision", None).await.expect("client id provision");
    assert_eq!(c.subscribe("v1/devices/me/attributes", QoS::AtMostOnce).await, vec![SubscribeReasonCode::Failure]);
    c.publish("v1/devices/me/telemetry", "{}").await;
    c.closed().await;
}

async fn upload(port: u16, query: &str, data: &[u8]) -> (u16, Value) {
    let (s, b) = http(port, "POST", &format!("/api/sim/thingsboard/devices/{DEVICE}/firmware?{query}"), data).await;
    (s, serde_json::from_slice(&b).unwrap_or(Value::Null))
}

// docs/platforms/thingsboard.md#firmware (A(2): attributes pushed) and #firmware-chunks.
#[tokio::test]
async fn firmware_upload_pushes_fw_attributes_and_chunks_are_served_like_thingsboard() {
    let sim = start().await;
    let mut c = thermostat(sim.ports.thingsboard_tcp).await;
    c.subscribe("v1/devices/me/attributes", QoS::AtLeastOnce).await;
    c.subscribe("v2/fw/response/+/chunk/+", QoS::AtLeastOnce).await;
    let data: Vec<u8> = (0..2500u32).map(|i| (i % 251) as u8).collect();
    let (status, _) = upload(sim.ports.http, "title=TA652FC&version=1.6.8&algorithm=MD5", &data).await;
    assert_eq!(status, 200);
    let attrs = c.next_json_on("v1/devices/me/attributes").await;
    assert_eq!(attrs["fw_title"], "TA652FC");
    assert_eq!(attrs["fw_version"], "1.6.8");
    assert_eq!(attrs["fw_size"], 2500);
    assert_eq!(attrs["fw_checksum_algorithm"], "MD5");
    assert_eq!(attrs["fw_checksum"].as_str().unwrap().len(), 32);

    let mut received = Vec::new();
    for idx in 0.. {
        c.publish(&format!("v2/fw/request/1/chunk/{idx}"), "1024").await;
        let chunk = c.next_on(&format!("v2/fw/response/1/chunk/{idx}")).await;
        if chunk.is_empty() {
            break;
        }
        received.extend(chunk);
    }
    assert_eq!(received, data);
    // An empty payload reuses the last size for that request id.
    c.publish("v2/fw/request/1/chunk/1", "").await;
    assert_eq!(c.next_on("v2/fw/response/1/chunk/1").await, data[1024..2048].to_vec());
    // Size 0 is the whole file.
    c.publish("v2/fw/request/2/chunk/0", "0").await;
    assert_eq!(c.next_on("v2/fw/response/2/chunk/0").await, data);
    // Past the end: a zero-length payload.
    c.publish("v2/fw/request/3/chunk/99", "1024").await;
    assert!(c.next_on("v2/fw/response/3/chunk/99").await.is_empty());

    // The device's fw_state telemetry is recorded.
    c.publish_json("v1/devices/me/telemetry", &json!({"fw_state": "DOWNLOADED"})).await;
    let mut state = Value::Null;
    for _ in 0..50 {
        state = get_json(sim.ports.http, &format!("/api/sim/thingsboard/devices/{DEVICE}")).await["fwState"].clone();
        if state == "DOWNLOADED" {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert_eq!(state, "DOWNLOADED");
}

// docs/platforms/thingsboard.md#firmware-chunks: a chunk size above the max payload: `PAYLOAD_TOO_LARGE`
// on `v2/fw/error`, then disconnect.
#[tokio::test]
async fn a_chunk_size_above_the_max_payload_is_an_error_then_a_disconnect() {
    let sim = start().await;
    upload(sim.ports.http, "title=t&version=1", b"firmware").await;
    // Raw bytes: rumqttc drops a packet that arrives together with the server's close.
    let mut c = RawClient::open(sim.ports.thingsboard_tcp).await;
    c.send(&raw::connect(4, "t", Some(TOKEN), None)).await;
    c.read().await.expect("CONNACK");
    c.send(&raw::subscribe(4, 1, &[("v2/fw/error", 0)])).await;
    c.read().await.expect("SUBACK");
    c.send(&raw::publish(4, "v2/fw/request/1/chunk/0", b"70000", 0, 0)).await;
    let seen = c.until_closed().await;
    assert_eq!(seen.len(), 1);
    assert_eq!(raw_publish_v311(seen[0].0, &seen[0].1), ("v2/fw/error".to_string(), b"PAYLOAD_TOO_LARGE".to_vec()));
}

// docs/platforms/thingsboard.md#checksums: the 7 algorithms; for CRC32 and both Murmur3 the server's hex
// string is little-endian.
#[tokio::test]
async fn every_checksum_algorithm_is_accepted_and_crc32_is_little_endian() {
    let sim = start().await;
    let expected_len = [
        ("MD5", 32),
        ("SHA256", 64),
        ("SHA384", 96),
        ("SHA512", 128),
        ("CRC32", 8),
        ("MURMUR3_32", 8),
        ("MURMUR3_128", 32),
    ];
    for (algorithm, len) in expected_len {
        let (status, attrs) =
            upload(sim.ports.http, &format!("title=t&version=1&algorithm={algorithm}"), b"123456789").await;
        assert_eq!(status, 200, "{algorithm}");
        assert_eq!(attrs["fw_checksum_algorithm"], algorithm);
        assert_eq!(attrs["fw_checksum"].as_str().unwrap().len(), len, "{algorithm}");
    }
    let (_, attrs) = upload(sim.ports.http, "title=t&version=1&algorithm=CRC32", b"123456789").await;
    assert_eq!(attrs["fw_checksum"], "2639f4cb"); // CRC32 0xCBF43926, bytes reversed
    let (status, attrs) = upload(sim.ports.http, "title=s&version=2&kind=sw", b"software").await;
    assert_eq!((status, attrs["sw_checksum_algorithm"].as_str()), (200, Some("SHA256")));
    let (status, _) = upload(sim.ports.http, "title=t&version=1&algorithm=SHA1", b"x").await;
    assert_eq!(status, 400);
}

// docs/platforms/thingsboard.md#gateway.
#[tokio::test]
async fn a_gateway_speaks_for_many_devices_on_one_connection() {
    let sim = start().await;
    let mut gw = connect(sim.ports.thingsboard_tcp, "gw", Some(("demo-gateway-token", ""))).await.unwrap();
    for f in ["v1/gateway/attributes", "v1/gateway/rpc", "v1/gateway/attributes/response"] {
        assert_eq!(gw.subscribe(f, QoS::AtLeastOnce).await, vec![SubscribeReasonCode::Success(QoS::AtLeastOnce)]);
    }
    gw.publish_json("v1/gateway/connect", &json!({"device": "Sensor A", "type": "thermometer"})).await;
    gw.publish_json("v1/gateway/telemetry", &json!({"Sensor A": [{"ts": 1000, "values": {"temperature": 20}}]})).await;
    gw.publish_json("v1/gateway/attributes", &json!({"Sensor A": {"location": "hall"}})).await;
    gw.publish_json(
        "v1/gateway/attributes/request",
        &json!({"id": 1, "device": "Sensor A", "client": true, "key": "location"}),
    )
    .await;
    assert_eq!(
        gw.next_json_on("v1/gateway/attributes/response").await,
        json!({"id": 1, "device": "Sensor A", "value": "hall"})
    );
    gw.publish_json("v1/gateway/attributes/request", &json!({"id": 2, "device": "Sensor A", "key": 5, "keys": []}))
        .await;
    assert_eq!(
        gw.next_json_on("v1/gateway/attributes/response").await,
        json!({"id": 2, "device": "Sensor A", "values": {}})
    );
    let values = get_json(sim.ports.http, "/api/plugins/telemetry/DEVICE/Sensor%20A/values/timeseries").await;
    assert_eq!(values["temperature"][0]["ts"], 1000);

    http_json(
        sim.ports.http,
        "POST",
        "/api/plugins/telemetry/DEVICE/Sensor%20A/SHARED_SCOPE",
        &json!({"setpoint": 19}),
    )
    .await;
    assert_eq!(gw.next_json_on("v1/gateway/attributes").await, json!({"device": "Sensor A", "data": {"setpoint": 19}}));

    let port = sim.ports.http;
    let call = tokio::spawn(async move {
        http_json(port, "POST", "/api/rpc/twoway/Sensor%20A", &json!({"method": "toggle", "params": {"pin": 1}})).await
    });
    let request = gw.next_json_on("v1/gateway/rpc").await;
    assert_eq!(request["device"], "Sensor A");
    assert_eq!(request["data"]["method"], "toggle");
    gw.publish_json(
        "v1/gateway/rpc",
        &json!({"device": "Sensor A", "id": request["data"]["id"], "data": {"success": true}}),
    )
    .await;
    assert_eq!(call.await.unwrap(), (200, json!({"success": true})));
}
