// Test helpers: an in-process simulator on ports 0, an independent MQTT 3.1.1 client (rumqttc),
// a hand-built raw MQTT client for MQTT 5 and garbage bytes, and a minimal HTTP client for the admin API.
#![allow(dead_code)]

use iotmqtt_sim::{RunningSimulator, SimConfig};
use rumqttc::{AsyncClient, ConnectReturnCode, Event, MqttOptions, Packet, QoS, SubscribeReasonCode};
use serde_json::Value;
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::sync::mpsc;

pub const WAIT: Duration = Duration::from_secs(3);

pub async fn start() -> RunningSimulator {
    start_with(SimConfig::for_tests()).await
}

pub async fn start_with(config: SimConfig) -> RunningSimulator {
    iotmqtt_sim::log::set_quiet(std::env::var_os("SIM_TEST_LOG").is_none());
    iotmqtt_sim::start(config).await.expect("simulator starts")
}

// ---------------------------------------------------------------- admin HTTP

pub async fn http(port: u16, method: &str, path: &str, body: &[u8]) -> (u16, Vec<u8>) {
    let mut s = TcpStream::connect(("127.0.0.1", port)).await.expect("http connect");
    let head = format!(
        "{method} {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    );
    s.write_all(head.as_bytes()).await.unwrap();
    s.write_all(body).await.unwrap();
    let mut raw = Vec::new();
    tokio::time::timeout(Duration::from_secs(15), s.read_to_end(&mut raw)).await.expect("http answer in time").unwrap();
    let end = raw.windows(4).position(|w| w == b"\r\n\r\n").expect("http head") + 4;
    let head = String::from_utf8_lossy(&raw[..end]).to_string();
    let status: u16 = head.split(' ').nth(1).unwrap().parse().unwrap();
    (status, raw[end..].to_vec())
}

pub async fn http_json(port: u16, method: &str, path: &str, body: &Value) -> (u16, Value) {
    let (status, bytes) = http(port, method, path, body.to_string().as_bytes()).await;
    (status, serde_json::from_slice(&bytes).unwrap_or(Value::Null))
}

pub async fn get_json(port: u16, path: &str) -> Value {
    let (status, bytes) = http(port, "GET", path, b"").await;
    assert_eq!(status, 200, "GET {path}: {}", String::from_utf8_lossy(&bytes));
    serde_json::from_slice(&bytes).expect("JSON body")
}

/// Raw head of an HTTP response (for header checks).
pub async fn http_head(port: u16, request: &str) -> String {
    let mut s = TcpStream::connect(("127.0.0.1", port)).await.unwrap();
    s.write_all(request.as_bytes()).await.unwrap();
    let mut raw = Vec::new();
    tokio::time::timeout(WAIT, s.read_to_end(&mut raw)).await.unwrap().unwrap();
    String::from_utf8_lossy(&raw).to_string()
}

// ---------------------------------------------------------------- rumqttc (MQTT 3.1.1)

#[derive(Debug)]
pub enum Incoming {
    Publish { topic: String, payload: Vec<u8> },
    SubAck(Vec<SubscribeReasonCode>),
    PubAck(u16),
    Closed(String),
}

pub struct Client {
    pub client: AsyncClient,
    pub events: mpsc::UnboundedReceiver<Incoming>,
}

/// Connects with rumqttc and runs its event loop; `Err` carries a refused CONNACK code.
pub async fn connect(
    port: u16,
    client_id: &str,
    credentials: Option<(&str, &str)>,
) -> Result<Client, ConnectReturnCode> {
    let mut options = MqttOptions::new(client_id, "127.0.0.1", port);
    options.set_keep_alive(Duration::from_secs(30));
    options.set_max_packet_size(16 * 1024 * 1024, 16 * 1024 * 1024);
    if let Some((u, p)) = credentials {
        options.set_credentials(u, p);
    }
    let (client, mut eventloop) = AsyncClient::new(options, 64);
    loop {
        match tokio::time::timeout(WAIT, eventloop.poll()).await.expect("CONNACK in time") {
            Ok(Event::Incoming(Packet::ConnAck(_))) => break,
            Ok(_) => continue,
            Err(rumqttc::ConnectionError::ConnectionRefused(code)) => return Err(code),
            Err(e) => panic!("connection failed: {e:?}"),
        }
    }
    let (tx, events) = mpsc::unbounded_channel();
    tokio::spawn(async move {
        loop {
            match eventloop.poll().await {
                Ok(Event::Incoming(Packet::Publish(p))) => {
                    let _ = tx.send(Incoming::Publish { topic: p.topic.clone(), payload: p.payload.to_vec() });
                }
                Ok(Event::Incoming(Packet::SubAck(s))) => {
                    let _ = tx.send(Incoming::SubAck(s.return_codes));
                }
                Ok(Event::Incoming(Packet::PubAck(a))) => {
                    let _ = tx.send(Incoming::PubAck(a.pkid));
                }
                Ok(_) => {}
                Err(e) => {
                    let _ = tx.send(Incoming::Closed(format!("{e:?}")));
                    break;
                }
            }
        }
    });
    Ok(Client { client, events })
}

impl Client {
    pub async fn next(&mut self) -> Incoming {
        tokio::time::timeout(WAIT, self.events.recv()).await.expect("an MQTT event in time").expect("event loop alive")
    }

    /// Subscribes and returns the SUBACK codes, skipping unrelated events.
    pub async fn subscribe(&mut self, filter: &str, qos: QoS) -> Vec<SubscribeReasonCode> {
        self.client.subscribe(filter, qos).await.unwrap();
        loop {
            if let Incoming::SubAck(codes) = self.next().await {
                return codes;
            }
        }
    }

    pub async fn publish(&self, topic: &str, payload: impl Into<Vec<u8>>) {
        self.client.publish(topic, QoS::AtLeastOnce, false, payload.into()).await.unwrap();
    }

    pub async fn publish_json(&self, topic: &str, payload: &Value) {
        self.publish(topic, payload.to_string()).await;
    }

    /// The next PUBLISH on `topic`, skipping others.
    pub async fn next_on(&mut self, topic: &str) -> Vec<u8> {
        loop {
            match self.next().await {
                Incoming::Publish { topic: t, payload } if t == topic => return payload,
                Incoming::Closed(e) => panic!("closed while waiting for {topic}: {e}"),
                _ => {}
            }
        }
    }

    pub async fn next_json_on(&mut self, topic: &str) -> Value {
        serde_json::from_slice(&self.next_on(topic).await).expect("JSON payload")
    }

    /// The next PUBLISH whatever its topic.
    pub async fn next_publish(&mut self) -> (String, Vec<u8>) {
        loop {
            match self.next().await {
                Incoming::Publish { topic, payload } => return (topic, payload),
                Incoming::Closed(e) => panic!("closed while waiting for a publish: {e}"),
                _ => {}
            }
        }
    }

    /// Waits until the server closes the connection.
    pub async fn closed(&mut self) -> String {
        loop {
            if let Incoming::Closed(e) = self.next().await {
                return e;
            }
        }
    }

    /// No PUBLISH arrives within `d`.
    pub async fn quiet_for(&mut self, d: Duration) -> bool {
        let deadline = tokio::time::Instant::now() + d;
        loop {
            match tokio::time::timeout_at(deadline, self.events.recv()).await {
                Err(_) => return true,
                Ok(Some(Incoming::Publish { .. })) => return false,
                Ok(Some(_)) => {}
                Ok(None) => return true,
            }
        }
    }
}

// ---------------------------------------------------------------- raw MQTT bytes (MQTT 5, garbage)

/// Hand-built packets, independent of the simulator's codec.
pub mod raw {
    use super::*;

    fn remaining(len: usize) -> Vec<u8> {
        let mut out = Vec::new();
        let mut x = len;
        loop {
            let mut b = (x % 128) as u8;
            x /= 128;
            if x > 0 {
                b |= 0x80;
            }
            out.push(b);
            if x == 0 {
                return out;
            }
        }
    }

    fn string(s: &str) -> Vec<u8> {
        let mut v = (s.len() as u16).to_be_bytes().to_vec();
        v.extend_from_slice(s.as_bytes());
        v
    }

    fn packet(first: u8, body: Vec<u8>) -> Vec<u8> {
        let mut out = vec![first];
        out.extend(remaining(body.len()));
        out.extend(body);
        out
    }

    /// CONNECT at protocol level 4 (3.1.1) or 5, clean start, keep-alive 30 s.
    pub fn connect(level: u8, client_id: &str, username: Option<&str>, password: Option<&str>) -> Vec<u8> {
        let mut body = string("MQTT");
        body.push(level);
        let mut flags = 0x02;
        if username.is_some() {
            flags |= 0x80;
        }
        if password.is_some() {
            flags |= 0x40;
        }
        body.push(flags);
        body.extend_from_slice(&30u16.to_be_bytes());
        if level == 5 {
            body.push(0);
        }
        body.extend(string(client_id));
        if let Some(u) = username {
            body.extend(string(u));
        }
        if let Some(p) = password {
            body.extend(string(p));
        }
        packet(0x10, body)
    }

    pub fn publish(level: u8, topic: &str, payload: &[u8], qos: u8, packet_id: u16) -> Vec<u8> {
        let mut body = string(topic);
        if qos > 0 {
            body.extend_from_slice(&packet_id.to_be_bytes());
        }
        if level == 5 {
            body.push(0);
        }
        body.extend_from_slice(payload);
        packet(0x30 | (qos << 1), body)
    }

    pub fn subscribe(level: u8, packet_id: u16, filters: &[(&str, u8)]) -> Vec<u8> {
        let mut body = packet_id.to_be_bytes().to_vec();
        if level == 5 {
            body.push(0);
        }
        for (f, q) in filters {
            body.extend(string(f));
            body.push(*q);
        }
        packet(0x82, body)
    }

    pub struct RawClient {
        pub stream: TcpStream,
        buf: Vec<u8>,
    }

    impl RawClient {
        pub async fn open(port: u16) -> Self {
            Self { stream: TcpStream::connect(("127.0.0.1", port)).await.unwrap(), buf: Vec::new() }
        }

        pub async fn send(&mut self, bytes: &[u8]) {
            let _ = self.stream.write_all(bytes).await;
        }

        /// The next packet as (first byte, body); `None` when the server closed the connection.
        pub async fn read(&mut self) -> Option<(u8, Vec<u8>)> {
            loop {
                if self.buf.len() >= 2 {
                    let mut len = 0usize;
                    let mut i = 1;
                    let mut complete = false;
                    while i < self.buf.len() && i <= 4 {
                        len |= ((self.buf[i] & 0x7f) as usize) << (7 * (i - 1));
                        if self.buf[i] & 0x80 == 0 {
                            complete = true;
                            break;
                        }
                        i += 1;
                    }
                    if complete && self.buf.len() >= i + 1 + len {
                        let first = self.buf[0];
                        let body = self.buf[i + 1..i + 1 + len].to_vec();
                        self.buf.drain(..i + 1 + len);
                        return Some((first, body));
                    }
                }
                let mut chunk = [0u8; 65536];
                match tokio::time::timeout(WAIT, self.stream.read(&mut chunk)).await {
                    Ok(Ok(0)) | Ok(Err(_)) => return None,
                    Ok(Ok(n)) => self.buf.extend_from_slice(&chunk[..n]),
                    Err(_) => panic!("no packet from the server in time"),
                }
            }
        }

        /// Reads until the server closes; returns the packets seen on the way.
        pub async fn until_closed(&mut self) -> Vec<(u8, Vec<u8>)> {
            let mut seen = Vec::new();
            while let Some(p) = self.read().await {
                seen.push(p);
            }
            seen
        }
    }
}

/// A PUBLISH's topic and payload from a raw packet body (MQTT 3.1.1 layout, QoS 0).
pub fn raw_publish_v311(first: u8, body: &[u8]) -> (String, Vec<u8>) {
    let len = u16::from_be_bytes([body[0], body[1]]) as usize;
    let topic = String::from_utf8_lossy(&body[2..2 + len]).to_string();
    let mut start = 2 + len;
    if (first >> 1) & 0x03 > 0 {
        start += 2;
    }
    (topic, body[start..].to_vec())
}
