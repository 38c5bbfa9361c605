// The same platforms over WebSocket (`/mqtt/{platform}`, subprotocol `mqtt`, binary frames), as the
// browser client reaches them: none of the real platforms serves MQTT over WebSocket, the simulator
// does (the #transport section of each docs/platforms/*.md).

mod common;

use common::raw;
use common::*;
use futures_util::{SinkExt, StreamExt};
use serde_json::{json, Value};
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::WebSocketStream;

type Ws = WebSocketStream<TcpStream>;

async fn open(port: u16, path: &str) -> Ws {
    let mut request = format!("ws://127.0.0.1:{port}{path}").into_client_request().unwrap();
    request.headers_mut().insert("Sec-WebSocket-Protocol", "mqtt".parse().unwrap());
    let stream = TcpStream::connect(("127.0.0.1", port)).await.unwrap();
    let (ws, response) = tokio_tungstenite::client_async(request, stream).await.expect("WebSocket upgrade");
    assert_eq!(response.headers().get("sec-websocket-protocol").unwrap(), "mqtt");
    ws
}

/// Reads binary messages until one whole MQTT packet is buffered; returns (first byte, body).
async fn packet(ws: &mut Ws, buf: &mut Vec<u8>) -> (u8, Vec<u8>) {
    loop {
        if buf.len() >= 2 {
            let mut len = 0usize;
            let mut i = 1;
            while buf[i] & 0x80 != 0 {
                len |= ((buf[i] & 0x7f) as usize) << (7 * (i - 1));
                i += 1;
            }
            len |= ((buf[i] & 0x7f) as usize) << (7 * (i - 1));
            if buf.len() >= i + 1 + len {
                let p = (buf[0], buf[i + 1..i + 1 + len].to_vec());
                buf.drain(..i + 1 + len);
                return p;
            }
        }
        match tokio::time::timeout(WAIT, ws.next()).await.expect("a message in time") {
            Some(Ok(Message::Binary(b))) => buf.extend_from_slice(&b),
            Some(Ok(_)) => {}
            other => panic!("WebSocket ended: {other:?}"),
        }
    }
}

async fn publish_on(ws: &mut Ws, buf: &mut Vec<u8>, topic: &str) -> Vec<u8> {
    loop {
        let (first, body) = packet(ws, buf).await;
        if first >> 4 == 3 {
            let (t, payload) = raw_publish_v311(first, &body);
            if t == topic {
                return payload;
            }
        }
    }
}

#[tokio::test]
async fn thingsboard_over_websocket_with_packets_split_and_coalesced() {
    let sim = start().await;
    let mut ws = open(sim.ports.http, "/mqtt/thingsboard").await;
    let mut buf = Vec::new();
    // One CONNECT across two WebSocket messages.
    let connect = raw::connect(4, "ws-client", Some("demo-thermostat-token"), None);
    ws.send(Message::Binary(connect[..7].to_vec().into())).await.unwrap();
    ws.send(Message::Binary(connect[7..].to_vec().into())).await.unwrap();
    let (first, body) = packet(&mut ws, &mut buf).await;
    assert_eq!((first, body[1]), (0x20, 0));
    // SUBSCRIBE, client attributes and an attribute request in one message.
    let mut batch = raw::subscribe(4, 1, &[("v1/devices/me/attributes/response/+", 1)]);
    batch.extend(raw::publish(4, "v1/devices/me/attributes", br#"{"via":"ws"}"#, 0, 0));
    batch.extend(raw::publish(4, "v1/devices/me/attributes/request/9", br#"{"clientKeys":"via"}"#, 0, 0));
    ws.send(Message::Binary(batch.into())).await.unwrap();
    let (first, body) = packet(&mut ws, &mut buf).await;
    assert_eq!((first, body[2]), (0x90, 1), "SUBACK granted QoS 1");
    let (first, body) = packet(&mut ws, &mut buf).await;
    assert_eq!(first >> 4, 3);
    // The response was sent at the subscription's QoS 1: skip the packet id.
    let topic_len = u16::from_be_bytes([body[0], body[1]]) as usize;
    let payload: Value = serde_json::from_slice(&body[2 + topic_len + 2..]).unwrap();
    assert_eq!(payload, json!({"client": {"via": "ws"}}));
}

#[tokio::test]
async fn the_things_stack_and_cloudplugs_over_websocket() {
    let sim = start().await;
    let mut ws = open(sim.ports.http, "/mqtt/thethingsstack").await;
    let mut buf = Vec::new();
    ws.send(Message::Binary(raw::connect(4, "tts-ws", Some("demo-app@ttn"), Some("NNSXS.DEMOKEY.SIMULATOR")).into()))
        .await
        .unwrap();
    assert_eq!(packet(&mut ws, &mut buf).await.1[1], 0);
    ws.send(Message::Binary(raw::subscribe(4, 1, &[("#", 0)]).into())).await.unwrap();
    assert_eq!(packet(&mut ws, &mut buf).await.0, 0x90);
    let join = publish_on(&mut ws, &mut buf, "v3/demo-app@ttn/devices/demo-sensor-1/join").await;
    assert!(serde_json::from_slice::<Value>(&join).unwrap()["join_accept"].is_object());

    let mut ws = open(sim.ports.http, "/mqtt/cloudplugs").await;
    let mut buf = Vec::new();
    let plug = "dev-000000000000000000000001";
    ws.send(Message::Binary(raw::connect(4, "DEMO-HWID-1", Some(plug), Some("demo-auth")).into())).await.unwrap();
    assert_eq!(packet(&mut ws, &mut buf).await.1[1], 0);
    let get = format!("{plug}/ag/prop/get");
    ws.send(Message::Binary(raw::publish(4, &get, b"", 0, 0).into())).await.unwrap();
    assert_eq!(publish_on(&mut ws, &mut buf, &get).await, b"{}".to_vec());
}

// MQTT 3.1.1 section 6.0: the client offers the subprotocol "mqtt"; one offering others only is refused.
#[tokio::test]
async fn a_websocket_without_the_mqtt_subprotocol_is_refused() {
    let sim = start().await;
    let head = http_head(
        sim.ports.http,
        "GET /mqtt/thingsboard HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Protocol: chat\r\n\r\n",
    )
    .await;
    assert!(head.starts_with("HTTP/1.1 400"), "{head}");
    let head = http_head(
        sim.ports.http,
        "GET /mqtt/nowhere HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Protocol: mqtt\r\n\r\n",
    )
    .await;
    assert!(head.starts_with("HTTP/1.1 404"), "{head}");
}

// Browser tests call the admin API from another origin: CORS headers and the OPTIONS preflight.
#[tokio::test]
async fn the_admin_api_answers_cors_preflight() {
    let sim = start().await;
    let head = http_head(
        sim.ports.http,
        "OPTIONS /api/rpc/twoway/x HTTP/1.1\r\nHost: x\r\nOrigin: http://localhost:8080\r\nAccess-Control-Request-Method: POST\r\nAccess-Control-Request-Headers: content-type\r\n\r\n",
    )
    .await;
    assert!(head.starts_with("HTTP/1.1 204"), "{head}");
    assert!(head.contains("Access-Control-Allow-Origin: *"));
    assert!(head.contains("Access-Control-Allow-Methods: GET, POST, PUT, DELETE, OPTIONS"));
    assert!(head.to_ascii_lowercase().contains("access-control-allow-headers: content-type"));
    let head = http_head(sim.ports.http, "GET /api/sim/thingsboard/devices HTTP/1.1\r\nHost: x\r\n\r\n").await;
    assert!(head.starts_with("HTTP/1.1 200") && head.contains("Access-Control-Allow-Origin: *"));
}
