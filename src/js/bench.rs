//! Benchmark entry point for `bench/run.mjs`: drives the Rust `MqttClient` directly, so the
//! per-message loop has no JS↔wasm crossing (the "Rust API" contestant in BENCHMARKS.md).

use std::cell::RefCell;
use std::rc::Rc;

use futures_util::stream::{FuturesUnordered, StreamExt};
use js_sys::{Float64Array, Object, Reflect};
use wasm_bindgen::prelude::*;

use super::errors::js;
use crate::client::time::sleep_ms;
use crate::client::MqttClient;
use crate::session::{ConnectOptions, Outgoing, QoS};

fn now() -> f64 {
    web_sys::window().and_then(|w| w.performance()).map_or(0.0, |p| p.now())
}

fn set(obj: &Object, key: &str, value: JsValue) {
    let _ = Reflect::set(obj, &JsValue::from_str(key), &value);
}

/// Connects, subscribes to `topic` and runs one workload through the Rust API.
/// `mode`: `"qos0"` / `"qos1"` (throughput with at most `window` messages outstanding) or
/// `"latency"` (`count` messages at `rate` per second, round trip of each).
/// Resolves with `{connectMs, ms, sent, received, acked, latencies?}`.
#[allow(clippy::too_many_arguments)]
#[wasm_bindgen(js_name = benchRust)]
pub async fn bench_rust(
    url: String,
    username: String,
    password: String,
    topic: String,
    mode: String,
    count: u32,
    size: u32,
    window: u32,
    rate: u32,
) -> Result<Object, JsValue> {
    let options = ConnectOptions {
        username: Some(username),
        password: Some(password),
        keepalive_secs: 60,
        ..ConnectOptions::default()
    };
    let client = MqttClient::new(&url, options).map_err(js)?;
    let t_connect = now();
    client.connect().await.map_err(js)?;
    let connect_ms = now() - t_connect;
    let qos = if mode == "qos1" { QoS::AtLeastOnce } else { QoS::AtMostOnce };
    client.subscribe(&topic, qos).await.map_err(js)?;
    let mut rx = client.messages();
    let payload = vec![b'x'; size.max(8) as usize];
    let out = Object::new();
    let (mut sent, mut received, mut acked) = (0u32, 0u32, 0u32);
    let t0 = now();
    match mode.as_str() {
        "qos0" => {
            while received < count {
                while sent < count && sent - received < window {
                    client.publish(Outgoing::new(topic.clone(), payload.clone())).await.map_err(js)?;
                    sent += 1;
                }
                match rx.next().await {
                    Some(_) => received += 1,
                    None => break,
                }
                while rx.try_recv().is_ok() {
                    received += 1;
                }
            }
            acked = sent;
        }
        "qos1" => {
            let mut inflight = FuturesUnordered::new();
            while acked < count {
                while sent < count && (inflight.len() as u32) < window {
                    let c = client.clone();
                    let m = Outgoing::new(topic.clone(), payload.clone()).qos(QoS::AtLeastOnce);
                    inflight.push(async move { c.publish(m).await });
                    sent += 1;
                }
                match inflight.next().await {
                    Some(r) => {
                        r.map_err(js)?;
                        acked += 1;
                    }
                    None => break,
                }
                while rx.try_recv().is_ok() {
                    received += 1;
                }
            }
            set(&out, "ackMs", JsValue::from_f64(now() - t0));
            while received < count {
                match rx.next().await {
                    Some(_) => received += 1,
                    None => break,
                }
            }
        }
        _ => {
            // Steady rate: a receiver task records each round trip by the sequence number in the payload.
            let sent_at = Rc::new(RefCell::new(vec![0f64; count as usize]));
            let latencies = Rc::new(RefCell::new(Vec::with_capacity(count as usize)));
            let (done_tx, done_rx) = futures_channel::oneshot::channel::<()>();
            {
                let sent_at = sent_at.clone();
                let latencies = latencies.clone();
                wasm_bindgen_futures::spawn_local(async move {
                    let mut n = 0;
                    while let Some(m) = rx.next().await {
                        let t = now();
                        if m.payload.len() >= 4 {
                            let seq = u32::from_le_bytes([m.payload[0], m.payload[1], m.payload[2], m.payload[3]]);
                            if let Some(s) = sent_at.borrow().get(seq as usize) {
                                latencies.borrow_mut().push(t - s);
                            }
                        }
                        n += 1;
                        if n >= count {
                            break;
                        }
                    }
                    let _ = done_tx.send(());
                });
            }
            let rate = f64::from(rate.max(1));
            while sent < count {
                let due = (((now() - t0) * rate / 1000.0) as u32 + 1).min(count);
                while sent < due {
                    let mut p = payload.clone();
                    p[..4].copy_from_slice(&sent.to_le_bytes());
                    sent_at.borrow_mut()[sent as usize] = now();
                    client.publish(Outgoing::new(topic.clone(), p)).await.map_err(js)?;
                    sent += 1;
                }
                sleep_ms(1).await;
            }
            let _ = done_rx.await;
            let l = latencies.borrow();
            received = l.len() as u32;
            acked = sent;
            set(&out, "latencies", Float64Array::from(&l[..]).into());
        }
    }
    set(&out, "ms", JsValue::from_f64(now() - t0));
    set(&out, "connectMs", JsValue::from_f64(connect_ms));
    set(&out, "sent", sent.into());
    set(&out, "received", received.into());
    set(&out, "acked", acked.into());
    client.close();
    Ok(out)
}

/// The codec workload: encodes `count` QoS 0 PUBLISH packets (MQTT 3.1.1, `topic`, a payload of
/// `size` bytes) with the session's codec, then parses one such frame `count` times, all inside
/// wasm. Resolves with `{encodeMs, decodeMs, frameBytes, checksum}`; `checksum` (the sum of the
/// encoded lengths and the decoded topic and payload lengths) keeps the work observable.
#[wasm_bindgen(js_name = benchCodec)]
pub fn bench_codec(topic: String, count: u32, size: u32) -> Result<Object, JsValue> {
    use crate::session::packets::{self, Inbound};
    use crate::session::{Outgoing, ProtocolVersion};
    let v3 = ProtocolVersion::V3_1_1;
    let message = Outgoing::new(topic, vec![b'x'; size as usize]);
    let bad = |e: crate::SessionError| JsValue::from_str(&format!("codec: {e}"));
    let mut checksum = 0f64;
    let mut frame = Vec::new();
    let t0 = now();
    for _ in 0..count {
        frame = packets::publish(v3, &message, None, false, crate::session::topic_alias::Naming::Topic).map_err(bad)?;
        checksum += frame.len() as f64;
    }
    let encode_ms = now() - t0;
    let t1 = now();
    for _ in 0..count {
        if let Inbound::Publish { message, .. } = packets::parse(v3, &frame).map_err(bad)? {
            checksum += (message.topic.len() + message.payload.len()) as f64;
        }
    }
    let decode_ms = now() - t1;
    let out = Object::new();
    set(&out, "encodeMs", JsValue::from_f64(encode_ms));
    set(&out, "decodeMs", JsValue::from_f64(decode_ms));
    set(&out, "frameBytes", JsValue::from_f64(frame.len() as f64));
    set(&out, "checksum", JsValue::from_f64(checksum));
    Ok(out)
}
