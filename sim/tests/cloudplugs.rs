// CloudPlugs MQTT API, as specified in docs/platforms/cloudplugs.md, driven over TCP
// by rumqttc and hand-built packets, with the simulator's admin API.

mod common;

use common::raw::{self, RawClient};
use common::*;
use rumqttc::{ConnectReturnCode, QoS, SubscribeReasonCode};
use serde_json::{json, Value};

const PLUG: &str = "dev-000000000000000000000001";
const AUTH: &str = "demo-auth";

async fn plug(port: u16) -> Client {
    connect(port, "DEMO-HWID-1/Demo Plug", Some((PLUG, AUTH))).await.expect("plug login")
}

/// Enrolls over raw MQTT (empty username and password) and returns the answer on the enrollment topic
/// and whether the server then closed the connection.
async fn enroll(port: u16, client_id: &str, topic: &str) -> (Value, bool) {
    let mut c = RawClient::open(port).await;
    c.send(&raw::connect(4, client_id, Some(""), Some(""))).await;
    let (first, body) = c.read().await.expect("CONNACK");
    assert_eq!((first, body[1]), (0x20, 0), "enrollment CONNECT accepted");
    c.send(&raw::subscribe(4, 1, &[(topic, 0)])).await;
    let (first, _) = c.read().await.expect("SUBACK");
    assert_eq!(first, 0x90);
    let (first, body) = c.read().await.expect("enrollment answer");
    let (t, payload) = raw_publish_v311(first, &body);
    assert_eq!(t, topic);
    let answer: Value = serde_json::from_slice(&payload).unwrap();
    let closed = tokio::time::timeout(std::time::Duration::from_millis(300), c.read())
        .await
        .map(|p| p.is_none())
        .unwrap_or(false);
    (answer, closed)
}

// docs/platforms/cloudplugs.md#login: username = Plug-ID or account email, password = auth code.
#[tokio::test]
async fn login_by_plug_id_or_account_email_and_wrong_auth_is_refused() {
    let sim = start().await;
    let port = sim.ports.cloudplugs_tcp;
    plug(port).await;
    connect(port, "ANY", Some(("demo@cloudplugs.local", "demo-account-pass"))).await.expect("account login");
    assert_eq!(connect(port, "X", Some((PLUG, "wrong"))).await.err(), Some(ConnectReturnCode::BadUserNamePassword));
}

// docs/platforms/cloudplugs.md#enrollment: SUBSCRIBE MODEL/thing/PASS, answer {"id":PLUG_ID,"auth":...} on that topic.
#[tokio::test]
async fn a_thing_enrolls_and_then_logs_in_with_its_plug_id() {
    let sim = start().await;
    let port = sim.ports.cloudplugs_tcp;
    let (answer, _) = enroll(port, "HW-NEW-1/Kitchen", "DEMO-MODEL/thing/demo-pass").await;
    let id = answer["id"].as_str().expect("id").to_string();
    let auth = answer["auth"].as_str().expect("auth").to_string();
    assert!(id.starts_with("dev-"));
    connect(port, "HW-NEW-1/Kitchen", Some((&id, &auth))).await.expect("the enrolled plug logs in");
    // A controller enrolls for an enrolled thing's hardware id.
    let (answer, _) = enroll(port, "CTRL-1", "DEMO-MODEL/ctrl/HW-NEW-1/demo-pass").await;
    assert!(answer["id"].is_string() && answer["auth"].is_string());
}

// docs/platforms/cloudplugs.md#enrollment: "If an enrollment request fails, the server will automatically close the
// socket connection after publishing the failure response" {"err":Number,"msg":String}.
#[tokio::test]
async fn a_failed_enrollment_answers_err_and_closes() {
    let sim = start().await;
    let port = sim.ports.cloudplugs_tcp;
    let (answer, closed) = enroll(port, "HW-2", "DEMO-MODEL/thing/wrong-pass").await;
    assert!(answer["err"].is_number() && answer["msg"].is_string(), "{answer}");
    assert!(closed);
    let (answer, closed) = enroll(port, "HW-3", "NO-SUCH-MODEL/thing/demo-pass").await;
    assert!(answer["err"].is_number());
    assert!(closed);
    let (answer, _) = enroll(port, "CTRL-2", "DEMO-MODEL/ctrl/NOT-ENROLLED/demo-pass").await;
    assert!(answer["err"].is_number());
}

// docs/platforms/cloudplugs.md#data-channels: subscribing to +/data/CHANNEL and PLUG/data/#, and publishing.
#[tokio::test]
async fn data_is_routed_between_connections_by_channel_filter() {
    let sim = start().await;
    let port = sim.ports.cloudplugs_tcp;
    let mut watcher = connect(port, "WATCH", Some(("demo@cloudplugs.local", "demo-account-pass"))).await.unwrap();
    assert_eq!(
        watcher.subscribe("+/data/temp", QoS::AtLeastOnce).await,
        vec![SubscribeReasonCode::Success(QoS::AtMostOnce)]
    );
    let mut all = connect(port, "ALL", Some(("demo@cloudplugs.local", "demo-account-pass"))).await.unwrap();
    all.subscribe(&format!("{PLUG}/data/#"), QoS::AtMostOnce).await;
    let p = plug(port).await;
    p.client
        .publish(format!("{PLUG}/data/temp"), QoS::AtMostOnce, false, json!({"data": 21.5}).to_string())
        .await
        .unwrap();
    let doc = watcher.next_json_on(&format!("{PLUG}/data/temp")).await;
    assert_eq!(doc["data"], 21.5);
    assert!(doc["at"].is_i64(), "the server stamps `at` when missing");
    assert_eq!(all.next_json_on(&format!("{PLUG}/data/temp")).await["data"], 21.5);
    p.client
        .publish(format!("{PLUG}/data/hum"), QoS::AtMostOnce, false, json!({"data": 40, "at": 5}).to_string())
        .await
        .unwrap();
    assert_eq!(all.next_json_on(&format!("{PLUG}/data/hum")).await["at"], 5);
    assert!(watcher.quiet_for(std::time::Duration::from_millis(100)).await, "+/data/temp does not match hum");
    let state = get_json(sim.ports.http, "/api/sim/cloudplugs").await;
    assert_eq!(state["lastData"][format!("{PLUG}/data/hum")]["data"], 40);
}

// docs/platforms/cloudplugs.md#properties: set and get are answered on the same channel.
#[tokio::test]
async fn additional_properties_are_set_and_read_back_on_the_same_channel() {
    let sim = start().await;
    let mut p = plug(sim.ports.cloudplugs_tcp).await;
    let set = format!("{PLUG}/ag/prop/set");
    let get = format!("{PLUG}/ag/prop/get");
    p.client
        .publish(
            &set,
            QoS::AtMostOnce,
            false,
            json!({"color": "red", "size": 3, "last": {"channel": "temp"}}).to_string(),
        )
        .await
        .unwrap();
    assert!(p.next_on(&set).await.is_empty(), "empty answer = OK");
    p.client
        .publish(format!("{PLUG}/data/temp"), QoS::AtMostOnce, false, json!({"data": 19}).to_string())
        .await
        .unwrap();
    p.client.publish(&get, QoS::AtMostOnce, false, json!(["color", "last"]).to_string()).await.unwrap();
    assert_eq!(p.next_json_on(&get).await, json!({"color": "red", "last": 19}));
    p.client.publish(&get, QoS::AtMostOnce, false, Vec::new()).await.unwrap();
    assert_eq!(p.next_json_on(&get).await["size"], 3);
    p.client.publish(&set, QoS::AtMostOnce, false, "[1,2]").await.unwrap();
    assert!(p.next_json_on(&set).await["err"].is_number());
}

// docs/platforms/cloudplugs.md#last-will: the last will is supported.
#[tokio::test]
async fn the_last_will_is_routed_when_a_plug_drops() {
    let sim = start().await;
    let port = sim.ports.cloudplugs_tcp;
    let mut watcher = connect(port, "W", Some(("demo@cloudplugs.local", "demo-account-pass"))).await.unwrap();
    watcher.subscribe("+/data/status", QoS::AtMostOnce).await;
    // A CONNECT with a will, sent raw so that the socket can be dropped without DISCONNECT.
    let mut c = RawClient::open(port).await;
    let mut body = vec![0, 4, b'M', b'Q', b'T', b'T', 4, 0x02 | 0x04 | 0x80 | 0x40, 0, 30];
    let push_str = |b: &mut Vec<u8>, s: &[u8]| {
        b.extend_from_slice(&(s.len() as u16).to_be_bytes());
        b.extend_from_slice(s);
    };
    push_str(&mut body, b"DEMO-HWID-1");
    push_str(&mut body, format!("{PLUG}/data/status").as_bytes());
    push_str(&mut body, br#"{"data":"offline"}"#);
    push_str(&mut body, PLUG.as_bytes());
    push_str(&mut body, AUTH.as_bytes());
    let mut packet = vec![0x10, body.len() as u8];
    packet.extend(body);
    c.send(&packet).await;
    assert_eq!(c.read().await.expect("CONNACK").1[1], 0);
    drop(c);
    assert_eq!(watcher.next_json_on(&format!("{PLUG}/data/status")).await, json!({"data": "offline"}));
}
