//! Every payload example in ThingsBoard's device API documents (docs/platforms/thingsboard.md#sources) as
//! a golden vector: each one the device sends is what the codec produces, and each one it receives parses
//! to the right type.
#![cfg(not(target_arch = "wasm32"))]

use iotmqtt::json;
use iotmqtt::json::Value;
use iotmqtt::platforms::thingsboard::attributes::{
    attribute_request_payload, parse_attribute_response, parse_shared_update,
};
use iotmqtt::platforms::thingsboard::firmware::{current_telemetry, requested_keys, state_telemetry, PackageInfo};
use iotmqtt::platforms::thingsboard::rpc::{claim_payload, parse_rpc_request, rpc_call_payload, rpc_reply_payload};
use iotmqtt::platforms::thingsboard::telemetry::{parse_telemetry, validate_attributes};
use iotmqtt::platforms::thingsboard::{ChecksumAlgorithm, FirmwareState, PackageKind, ProvisionRequest};

fn parsed(text: &str) -> Value {
    serde_json::from_str(text).expect("seed JSON")
}

// docs/platforms/thingsboard.md#telemetry: "Key-value format", telemetry-data-as-object.json and
// new-attributes-values.json.
const KEY_VALUE: &str = r#"{"stringKey":"value1","booleanKey":true,"doubleKey":42.0,"longKey":73,"jsonKey":{"someNumber":42,"someArray":[1,2,3],"someNestedObject":{"key":"value"}}}"#;

#[test]
fn seed_telemetry_examples() {
    assert_eq!(parse_telemetry(&parsed(KEY_VALUE)).unwrap()[0].values.len(), 5);
    assert_eq!(parse_telemetry(&parsed(r#"{"key1":"value1", "key2":"value2"}"#)).unwrap()[0].values.len(), 2);
    assert_eq!(parse_telemetry(&parsed(r#"[{"key1":"value1"}, {"key2":"value2"}]"#)).unwrap().len(), 2);
    assert_eq!(parse_telemetry(&parsed(r#"[{"key1":"value1"}, {"key2":true}]"#)).unwrap()[1].values["key2"], true);
    let with_ts =
        parse_telemetry(&parsed(r#"{"ts":1451649600512, "values":{"key1":"value1", "key2":"value2"}}"#)).unwrap();
    assert_eq!(with_ts[0].ts, Some(1_451_649_600_512));
    let seed_file = format!(r#"{{"ts":1451649600512,"values":{KEY_VALUE}}}"#);
    assert_eq!(parse_telemetry(&parsed(&seed_file)).unwrap()[0].values["jsonKey"]["someArray"], json!([1, 2, 3]));
}

#[test]
fn seed_attribute_examples() {
    assert!(validate_attributes(&parsed(KEY_VALUE)).is_ok());
    assert!(validate_attributes(&parsed(r#"{"attribute1":"value1","attribute2":true}"#)).is_ok());
    // mqtt-js-attributes-request.js
    assert_eq!(
        parsed(&attribute_request_payload(&["attribute1", "attribute2"], &["shared1", "shared2"]).unwrap()),
        parsed(r#"{"clientKeys":"attribute1,attribute2", "sharedKeys":"shared1,shared2"}"#)
    );
    // docs/platforms/thingsboard.md#attributes: the response to that request (its duplicate "shared1" key
    // keeps the last value).
    let r = parse_attribute_response(
        br#"{"client":{"attribute1":"value1","attribute2":"value2"},"shared":{"shared1":"value1","shared1":"value2"}}"#,
    )
    .unwrap();
    assert_eq!((r.client.len(), r.shared["shared1"].as_str()), (2, Some("value2")));
    // docs/platforms/thingsboard.md#attributes: a shared-attribute update {"key1":"value1"}
    let u = parse_shared_update(br#"{"key1":"value1"}"#).unwrap();
    assert_eq!((u.values["key1"].as_str(), u.deleted.len()), (Some("value1"), 0));
    // docs/platforms/thingsboard.md#attributes: {"attribute1":"value1","attribute2":"value2"} pushed on
    // v1/devices/me/attributes
    assert_eq!(parse_shared_update(br#"{"attribute1":"value1","attribute2":"value2"}"#).unwrap().values.len(), 2);
}

#[test]
fn seed_rpc_examples() {
    let r = parse_rpc_request("v1/devices/me/rpc/request/1", br#"{"method":"setSpValue","params":14.5}"#).unwrap();
    assert_eq!((r.method.as_str(), r.params.clone()), ("setSpValue", json!(14.5)));
    let ota = parse_rpc_request(
        "v1/devices/me/rpc/request/2",
        br#"{"method":"remoteOTA","params":"http://192.168.xx.xxx/abc.bin"}"#,
    )
    .unwrap();
    assert_eq!(ota.params, "http://192.168.xx.xxx/abc.bin");
    // docs/platforms/thingsboard.md#rpc: the device's reply {"method":"remoteOTA","results":{"result":"success"}}
    let reply = json!({"method":"remoteOTA","results":{"result":"success"}});
    assert_eq!(parsed(&rpc_reply_payload(&Ok(reply.clone()))), reply);
    // docs/platforms/thingsboard.md#rpc: mqtt-js-rpc-from-client.js
    assert_eq!(
        parsed(&rpc_call_payload("getTime", &json!({})).unwrap()),
        parsed(r#"{"method":"getTime","params":{}}"#)
    );
}

#[test]
fn seed_claim_example() {
    assert_eq!(
        parsed(&claim_payload(Some("value"), Some(60_000))),
        parsed(r#"{"secretKey":"value", "durationMs":60000}"#)
    );
}

#[test]
fn seed_provisioning_example() {
    let request = ProvisionRequest {
        device_name: Some("DEVICE_NAME".into()),
        provision_device_key: "u7piawkboq8v32dmcmpp".into(),
        provision_device_secret: "jpmwdn8ptlswmf4m29bw".into(),
        ..Default::default()
    };
    assert_eq!(
        parsed(&request.to_payload().unwrap()),
        parsed(
            r#"{"deviceName": "DEVICE_NAME","provisionDeviceKey": "u7piawkboq8v32dmcmpp","provisionDeviceSecret": "jpmwdn8ptlswmf4m29bw"}"#
        )
    );
}

// docs/platforms/thingsboard.md#firmware: flows A(1), A(2) and B.
#[test]
fn seed_firmware_examples() {
    let current = ("TA652FC-W-TB".to_string(), "1.6.6".to_string());
    assert_eq!(
        current_telemetry(PackageKind::Fw, &current.0, &current.1),
        parsed(r#"{"current_fw_title":"TA652FC-W-TB","current_fw_version":"1.6.6"}"#)
    );
    let keys = requested_keys(PackageKind::Fw);
    for k in ["fw_title", "fw_version", "fw_size", "fw_checksum", "fw_checksum_algorithm"] {
        assert!(keys.iter().any(|x| x == k), "{k}");
    }
    let response = parse_attribute_response(br#"{"shared":{"fw_title":"TA652FC-W-TB","fw_version":"1.6.8","fw_size":1315392,"fw_checksum_algorithm":"MD5","fw_checksum":"9cd4197f260254ac7b6e761b89c7cb66"}}"#).unwrap();
    let info = PackageInfo::from_attributes(PackageKind::Fw, &response.shared).unwrap().unwrap();
    assert_eq!((info.version.as_str(), info.size, info.algorithm), ("1.6.8", Some(1_315_392), ChecksumAlgorithm::Md5));
    let pushed = parse_shared_update(br#"{"fw_title":"TA652FC-W-TB","fw_version":"1.6.8","fw_tag":"TA652FC-W-TB 1.6.8","fw_size":1315392,"fw_checksum_algorithm":"MD5","fw_checksum":"9cd4197f260254ac7b6e761b89c7cb66"}"#).unwrap();
    let info = PackageInfo::from_attributes(PackageKind::Fw, &pushed.values).unwrap().unwrap();
    assert_eq!(info.tag.as_deref(), Some("TA652FC-W-TB 1.6.8"));
    for (state, text) in [
        (FirmwareState::Downloading, "DOWNLOADING"),
        (FirmwareState::Downloaded, "DOWNLOADED"),
        (FirmwareState::Verified, "VERIFIED"),
        (FirmwareState::Updating, "UPDATING"),
        (FirmwareState::Updated, "UPDATED"),
    ] {
        let expected =
            format!(r#"{{"current_fw_title":"TA652FC-W-TB","current_fw_version":"1.6.6","fw_state":"{text}"}}"#);
        assert_eq!(state_telemetry(PackageKind::Fw, Some(&current), state, None), parsed(&expected));
    }
    // "Payload: 8192" on v2/fw/request/${requestId}/chunk/${chunkIndex}
    assert_eq!(PackageKind::Fw.chunk_request(1, 0), "v2/fw/request/1/chunk/0");
}
