//! The CloudPlugs codec through its public API: what one device publishes is what another reads,
//! and no bytes from the network make the codec panic (docs/platforms/cloudplugs.md).
#![cfg(not(target_arch = "wasm32"))]

use iotmqtt::json;
use iotmqtt::platforms::cloudplugs::properties::{read_get_reply, read_set_reply};
use iotmqtt::platforms::cloudplugs::{
    data_filter, data_topic, parse_data_record, parse_enrollment_reply, CloudPlugsError, DataDocument,
};
use iotmqtt::session::topic::topic_matches;
use iotmqtt::SessionError;
use proptest::prelude::*;

const SENDER: &str = "dev-123456789012345678901234";

// docs/platforms/cloudplugs.md#data-channels: data published to PLUG_ID/data/CHANNEL reaches a
// subscriber of +/data/CHANNEL.
#[test]
fn what_one_device_publishes_another_reads_as_a_record() {
    let topic = data_topic(SENDER, "My/Sensor").map_err(|e| e.code());
    let filter = data_filter(None, "My/Sensor").map_err(|e| e.code());
    assert!(matches!((&filter, &topic), (Ok(f), Ok(t)) if topic_matches(f, t)), "{filter:?} {topic:?}");

    let payload = DataDocument::new(json!({"temp": 21.5}), Some(1_700_000_000_000)).to_payload();
    let record = topic.map_err(|_| ()).and_then(|t| parse_data_record(&t, &payload).map_err(|_| ()));
    let fields = record.map(|r| (r.plug_id, r.channel, r.data, r.at));
    assert_eq!(fields, Ok((SENDER.into(), "My/Sensor".into(), json!({"temp": 21.5}), Some(1_700_000_000_000))));
}

// docs/platforms/cloudplugs.md#data-channels: "dev-.../data/#" takes every channel of that device, none
// of another.
#[test]
fn a_plug_id_filter_matches_only_that_devices_channels() {
    let filter = data_filter(Some(SENDER), "#").unwrap_or_default();
    assert!(topic_matches(&filter, &format!("{SENDER}/data/a/b/c")));
    assert!(!topic_matches(&filter, "dev-000000000000000000000001/data/a"));
    assert!(!topic_matches(&filter, &format!("{SENDER}/ag/prop/set")));
}

#[test]
fn every_error_code_is_namespaced_except_the_clients_own() {
    let errors = [
        CloudPlugsError::EnrollmentRefused { err: 1, msg: String::new() },
        CloudPlugsError::PropertyError { err: 1, msg: String::new() },
        CloudPlugsError::KeepaliveTooLong { secs: 301 },
        CloudPlugsError::Timeout { what: "x", ms: 1 },
        CloudPlugsError::NoPlugId,
    ];
    for e in errors {
        assert!(e.code().starts_with("CLOUDPLUGS_"), "{}", e.code());
    }
    let client = CloudPlugsError::from(iotmqtt::ClientError::Session(SessionError::NotConnected));
    assert_eq!(client.code(), "NOT_CONNECTED");
}

// A refusal's message names CloudPlugs' err and msg, so a user can act on it.
#[test]
fn an_enrollment_refusal_reads_with_its_err_and_msg() {
    let e = parse_enrollment_reply(br#"{"err":401,"msg":"wrong enrollment pass"}"#).err().map(|e| e.to_string());
    assert!(e.as_deref().is_some_and(|t| t.contains("401") && t.contains("wrong enrollment pass")), "{e:?}");
}

proptest! {
    #[test]
    fn garbage_on_a_data_channel_is_an_error_never_a_panic(bytes in proptest::collection::vec(any::<u8>(), 0..64)) {
        let _ = parse_data_record(&format!("{SENDER}/data/x"), &bytes);
    }

    #[test]
    fn garbage_as_an_enrollment_reply_is_an_error_never_a_panic(bytes in proptest::collection::vec(any::<u8>(), 0..64)) {
        let r = parse_enrollment_reply(&bytes);
        prop_assert!(r.is_err() || serde_json::from_slice::<iotmqtt::json::Value>(&bytes).is_ok());
    }

    #[test]
    fn garbage_as_a_property_reply_is_an_error_never_a_panic(bytes in proptest::collection::vec(any::<u8>(), 0..64)) {
        let _ = read_set_reply(b"{}", &bytes);
        let _ = read_get_reply(b"", None, &bytes);
    }

    #[test]
    fn json_shaped_garbage_is_read_without_panicking(text in r#"\{("(id|data|at|err|msg|auth)":(-?[0-9.e]{1,8}|"[a-z]{0,4}"|null|\[\]|\{\}),?){0,4}\}"#) {
        let _ = parse_data_record(&format!("{SENDER}/data/x"), text.as_bytes());
        let _ = parse_enrollment_reply(text.as_bytes());
        let _ = read_get_reply(b"", None, text.as_bytes());
    }
}
