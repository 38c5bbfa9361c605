// The two transports a client reaches a platform by: plain TCP, and WebSocket (subprotocol `mqtt`,
// binary frames). Both turn the socket into byte chunks for `session::drive`.

use crate::http::{self, PrefixedStream, Request, Response};
use crate::session::{self, PlatformGate, WireOut};
use futures_util::{SinkExt, StreamExt};
use std::sync::Arc;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{mpsc, watch};
use tokio_tungstenite::tungstenite::handshake::derive_accept_key;
use tokio_tungstenite::tungstenite::protocol::Role;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::WebSocketStream;

/// Accepts MQTT over plain TCP for one platform until shutdown.
pub async fn serve_tcp(listener: TcpListener, gate: Arc<dyn PlatformGate>, mut shutdown: watch::Receiver<bool>) {
    loop {
        tokio::select! {
            accepted = listener.accept() => {
                let Ok((stream, peer)) = accepted else { continue };
                let _ = stream.set_nodelay(true);
                tokio::spawn(tcp_connection(stream, peer.to_string(), gate.clone(), shutdown.clone()));
            }
            _ = shutdown.changed() => break,
        }
    }
}

async fn tcp_connection(stream: TcpStream, peer: String, gate: Arc<dyn PlatformGate>, shutdown: watch::Receiver<bool>) {
    let (mut rd, mut wr) = stream.into_split();
    let (in_tx, in_rx) = mpsc::channel::<Vec<u8>>(16);
    let (out_tx, mut out_rx) = mpsc::unbounded_channel::<WireOut>();
    let reader = tokio::spawn(async move {
        let mut buf = vec![0u8; 16 * 1024];
        loop {
            match rd.read(&mut buf).await {
                Ok(0) | Err(_) => break,
                Ok(n) => {
                    if in_tx.send(buf[..n].to_vec()).await.is_err() {
                        break;
                    }
                }
            }
        }
    });
    let writer = tokio::spawn(async move {
        while let Some(out) = out_rx.recv().await {
            match out {
                WireOut::Bytes(b) => {
                    if wr.write_all(&b).await.is_err() {
                        break;
                    }
                }
                WireOut::Close => break,
            }
        }
        let _ = wr.shutdown().await;
    });
    session::drive(gate, format!("tcp {peer}"), in_rx, out_tx, shutdown).await;
    reader.abort();
    let _ = writer.await;
}

/// Upgrades an HTTP request to a WebSocket carrying MQTT. The MQTT spec (6.0) requires the
/// subprotocol `mqtt`: a client that offers others but not `mqtt` is refused.
pub async fn serve_websocket(
    mut stream: TcpStream,
    leftover: Vec<u8>,
    request: Request,
    gate: Arc<dyn PlatformGate>,
    shutdown: watch::Receiver<bool>,
) {
    let peer = stream.peer_addr().map(|a| a.to_string()).unwrap_or_default();
    let Some(key) = request.header("sec-websocket-key").map(str::to_string) else {
        let _ = http::write_response(&mut stream, &Response::error(400, "missing Sec-WebSocket-Key")).await;
        return;
    };
    let offered: Vec<String> = request
        .header("sec-websocket-protocol")
        .map(|p| p.split(',').map(|s| s.trim().to_string()).collect())
        .unwrap_or_default();
    if !offered.is_empty() && !offered.iter().any(|p| p == "mqtt") {
        crate::sim_log!(gate.name(), "WebSocket from {peer} refused: subprotocols {offered:?} lack \"mqtt\"");
        let _ =
            http::write_response(&mut stream, &Response::error(400, "Sec-WebSocket-Protocol must include mqtt")).await;
        return;
    }
    let protocol_line = if offered.is_empty() { String::new() } else { "Sec-WebSocket-Protocol: mqtt\r\n".to_string() };
    let head = format!(
        "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: {}\r\n{protocol_line}\r\n",
        derive_accept_key(key.as_bytes())
    );
    if stream.write_all(head.as_bytes()).await.is_err() {
        return;
    }
    let ws = WebSocketStream::from_raw_socket(PrefixedStream::new(leftover, stream), Role::Server, None).await;
    let (mut sink, mut source) = ws.split();
    let (in_tx, in_rx) = mpsc::channel::<Vec<u8>>(16);
    let (out_tx, mut out_rx) = mpsc::unbounded_channel::<WireOut>();
    let name = gate.name();
    let log_peer = peer.clone();
    let reader = tokio::spawn(async move {
        while let Some(message) = source.next().await {
            match message {
                Ok(Message::Binary(bytes)) => {
                    if in_tx.send(bytes.to_vec()).await.is_err() {
                        break;
                    }
                }
                Ok(Message::Text(_)) => {
                    // MQTT over WebSocket is binary only (MQTT 3.1.1 section 6.0).
                    crate::sim_log!(name, "ws {log_peer}: text frame received; closing");
                    break;
                }
                Ok(Message::Close(_)) | Err(_) => break,
                Ok(_) => {}
            }
        }
    });
    let writer = tokio::spawn(async move {
        while let Some(out) = out_rx.recv().await {
            match out {
                WireOut::Bytes(b) => {
                    if sink.send(Message::Binary(b.into())).await.is_err() {
                        break;
                    }
                }
                WireOut::Close => break,
            }
        }
        let _ = sink.send(Message::Close(None)).await;
        let _ = sink.close().await;
    });
    session::drive(gate, format!("ws {peer}"), in_rx, out_tx, shutdown).await;
    reader.abort();
    let _ = writer.await;
}
