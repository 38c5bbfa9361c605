// Bad input never crashes the simulator: garbage bytes, malformed packets, invalid JSON and broken
// HTTP to every endpoint, after which other clients are still served.

mod common;

use common::raw::{self, RawClient};
use common::*;
use futures_util::{SinkExt, StreamExt};
use serde_json::json;
use tokio::io::AsyncWriteExt;
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::Message;

fn garbage() -> Vec<Vec<u8>> {
    vec![
        b"GET / HTTP/1.1\r\n\r\n".to_vec(),
        vec![0xff; 64],
        vec![0x10, 0xff, 0xff, 0xff, 0xff, 0x7f], // remaining length over 4 bytes
        vec![0x30, 0x05, 0x00, 0x09, b'a'],       // PUBLISH before CONNECT
        vec![0x10, 0x04, 0x00, 0x04, b'M', b'Q'], // truncated CONNECT
        vec![0x10, 0x0c, 0, 4, b'M', b'Q', b'T', b'T', 9, 0x02, 0, 30, 0, 0], // unknown level 9
        (0..=255u8).collect(),
    ]
}

/// After a valid CONNECT: packets that are wrong in other ways.
fn bad_after_connect() -> Vec<Vec<u8>> {
    vec![
        vec![0x80, 0x02, 0x00, 0x01],             // SUBSCRIBE with wrong flags
        vec![0x82, 0x02, 0x00, 0x01],             // SUBSCRIBE without filters
        vec![0x36, 0x03, 0x00, 0x01, b'x'],       // PUBLISH QoS 3
        vec![0x10, 0x02, 0x00, 0x00],             // a second CONNECT
        vec![0x32, 0x04, 0x00, 0x03, b'a', b'+'], // truncated
    ]
}

async fn hammer_tcp(port: u16, user: &str, pass: Option<&str>, known_topic: &str) {
    for g in garbage() {
        let mut c = RawClient::open(port).await;
        c.send(&g).await;
        let _ = c.until_closed().await;
    }
    for bad in bad_after_connect() {
        let mut c = RawClient::open(port).await;
        c.send(&raw::connect(4, "bad", Some(user), pass)).await;
        c.send(&bad).await;
        let _ = c.until_closed().await;
    }
    // Invalid JSON and binary junk on a known topic, at QoS 0 and 1.
    let mut c = RawClient::open(port).await;
    c.send(&raw::connect(4, "junk", Some(user), pass)).await;
    c.send(&raw::publish(4, known_topic, b"{\"unterminated", 1, 1)).await;
    c.send(&raw::publish(4, known_topic, &[0xc3, 0x28, 0xff], 0, 0)).await;
    c.send(&raw::publish(4, known_topic, b"[[[[[[[[[[[[[[[[", 0, 0)).await;
    drop(c);
    // A client that vanishes mid-packet.
    let mut s = TcpStream::connect(("127.0.0.1", port)).await.unwrap();
    let connect = raw::connect(4, "half", Some(user), pass);
    s.write_all(&connect[..connect.len() / 2]).await.unwrap();
    drop(s);
}

async fn hammer_websocket(http_port: u16, path: &str) {
    for g in garbage() {
        let mut request = format!("ws://127.0.0.1:{http_port}{path}").into_client_request().unwrap();
        request.headers_mut().insert("Sec-WebSocket-Protocol", "mqtt".parse().unwrap());
        let stream = TcpStream::connect(("127.0.0.1", http_port)).await.unwrap();
        let (mut ws, _) = tokio_tungstenite::client_async(request, stream).await.unwrap();
        let _ = ws.send(Message::Binary(g.into())).await;
        let _ = ws.send(Message::Text("not binary".into())).await;
        while let Ok(Some(Ok(_))) = tokio::time::timeout(WAIT, ws.next()).await {}
    }
}

async fn hammer_http(port: u16) {
    let requests: Vec<&[u8]> = vec![
        b"\x00\x01\x02garbage\r\n\r\n",
        b"GET\r\n\r\n",
        b"POST /api/rpc/twoway/Demo%20Thermostat HTTP/1.1\r\nContent-Length: 5\r\n\r\n{{{{{",
        b"POST /api/plugins/telemetry/DEVICE/x/SHARED_SCOPE HTTP/1.1\r\nContent-Length: abc\r\n\r\n",
        b"POST /api/sim/thingsboard/devices/Demo%20Thermostat/firmware?title=t&version=1&algorithm=%zz HTTP/1.1\r\nContent-Length: 1\r\n\r\nx",
        b"POST /api/v3/as/applications/demo-app/devices/demo-sensor-1/up/simulate HTTP/1.1\r\nContent-Length: 2\r\n\r\n[]",
        b"POST /api/sim/cloudplugs/data/p/c HTTP/1.1\r\nContent-Length: 4\r\n\r\nnull",
        b"GET /api/plugins/telemetry/DEVICE/%ff%fe/values/timeseries HTTP/1.1\r\n\r\n",
        b"POST /api/sim/thingsboard/devices HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
    ];
    for r in requests {
        let mut s = TcpStream::connect(("127.0.0.1", port)).await.unwrap();
        s.write_all(r).await.unwrap();
        let mut out = Vec::new();
        let _ = tokio::time::timeout(WAIT, tokio::io::AsyncReadExt::read_to_end(&mut s, &mut out)).await;
    }
}

#[tokio::test]
async fn garbage_on_every_endpoint_leaves_the_simulator_serving_others() {
    let sim = start().await;
    let p = sim.ports;
    hammer_tcp(p.thingsboard_tcp, "demo-thermostat-token", None, "v1/devices/me/telemetry").await;
    hammer_tcp(
        p.thethingsstack_tcp,
        "demo-app@ttn",
        Some("NNSXS.DEMOKEY.SIMULATOR"),
        "v3/demo-app@ttn/devices/demo-sensor-1/down/push",
    )
    .await;
    hammer_tcp(
        p.cloudplugs_tcp,
        "dev-000000000000000000000001",
        Some("demo-auth"),
        "dev-000000000000000000000001/data/x",
    )
    .await;
    for path in ["/mqtt/thingsboard", "/mqtt/thethingsstack", "/mqtt/cloudplugs"] {
        hammer_websocket(p.http, path).await;
    }
    hammer_http(p.http).await;

    // Everyone else is still served.
    let mut tb =
        connect(p.thingsboard_tcp, "after", Some(("demo-thermostat-token", ""))).await.expect("ThingsBoard alive");
    tb.subscribe("v1/devices/me/rpc/response/+", rumqttc::QoS::AtLeastOnce).await;
    tb.publish_json("v1/devices/me/rpc/request/1", &json!({"method": "echo", "params": "ok"})).await;
    assert_eq!(tb.next_json_on("v1/devices/me/rpc/response/1").await, json!("ok"));
    connect(p.thethingsstack_tcp, "after", Some(("demo-app@ttn", "NNSXS.DEMOKEY.SIMULATOR"))).await.expect("TTS alive");
    connect(p.cloudplugs_tcp, "after", Some(("dev-000000000000000000000001", "demo-auth")))
        .await
        .expect("CloudPlugs alive");
    assert!(get_json(p.http, "/api/sim/thingsboard/devices").await.is_array());
}
