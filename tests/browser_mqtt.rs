//! The async client in headless Chromium against a real mosquitto (started by the test command
//! with a websockets listener, a password file and an ACL; see tests/harness/broker.py).
#![cfg(target_arch = "wasm32")]

mod common;

use std::cell::RefCell;
use std::rc::Rc;

use common::*;
use futures_util::StreamExt;
use iotmqtt::client::{ConnectionState, MqttClient, RequestError, RequestOptions};
use iotmqtt::session::reason::ConnectRefusal;
use iotmqtt::SessionError;
use iotmqtt::{
    AckPacket, Acknowledged, ClientError, ConnectOptions, Message, Outgoing, ProtocolVersion, PublishProperties, QoS,
    RetainHandling, SubscribeOptions, Words,
};
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

fn options(version: ProtocolVersion) -> ConnectOptions {
    ConnectOptions {
        version,
        username: Some("tester".into()),
        password: Some("secret".into()),
        keepalive_secs: 30,
        ..Default::default()
    }
}

async fn connected(version: ProtocolVersion) -> MqttClient {
    let c = MqttClient::new(&broker_ws(), options(version)).unwrap();
    c.connect().await.expect("connect to the test broker");
    c
}

/// Subscribes, publishes one message to itself and returns what came back.
async fn round_trip(version: ProtocolVersion, qos: QoS, payload: Vec<u8>) -> Message {
    let c = connected(version).await;
    let topic = unique("rt");
    let mut messages = c.messages();
    assert_eq!(c.subscribe(&topic, qos).await.unwrap(), qos);
    c.publish(Outgoing::new(topic.clone(), payload).qos(qos)).await.unwrap();
    let m = messages.next().await.unwrap();
    c.close();
    assert_eq!(m.topic, topic);
    m
}

#[wasm_bindgen_test]
async fn connects_with_mqtt_3_1_1_and_5() {
    for version in [ProtocolVersion::V3_1_1, ProtocolVersion::V5] {
        let c = MqttClient::new(&broker_ws(), options(version)).unwrap();
        let mut states = c.states();
        let ack = c.connect().await.unwrap();
        assert!(!ack.session_present);
        assert_eq!(states.next().await, Some(ConnectionState::Connecting));
        assert!(matches!(states.next().await, Some(ConnectionState::Connected(_))));
        assert!(c.is_connected());
        c.close();
        assert_eq!(c.state(), ConnectionState::Closed);
    }
}

#[wasm_bindgen_test]
async fn mosquitto_forwards_every_message_property_as_sent() {
    let c = connected(ProtocolVersion::V5).await;
    let topic = unique("props");
    let mut messages = c.messages();
    c.subscribe(&topic, QoS::AtLeastOnce).await.unwrap();
    let properties = PublishProperties {
        payload_format_indicator: Some(true),
        message_expiry_interval: Some(3_600),
        content_type: Some("application/json".into()),
        response_topic: Some(format!("{topic}/reply")),
        correlation_data: Some(vec![0, 1, 0xFF]),
        user_properties: vec![("k".into(), "1".into()), ("k".into(), "2".into()), ("é".into(), "".into())],
    };
    let msg = Outgoing::new(topic.clone(), b"{}".to_vec()).qos(QoS::AtLeastOnce).properties(properties.clone());
    c.publish(msg).await.unwrap();
    let m = messages.next().await.unwrap();
    c.close();
    // The expiry left is the whole interval or one second less, as mosquitto counts it.
    let expiry = m.properties.message_expiry_interval;
    assert!(matches!(expiry, Some(3_599 | 3_600)), "{expiry:?}");
    assert_eq!(m.properties, PublishProperties { message_expiry_interval: expiry, ..properties });
    assert_eq!((m.topic, m.payload, m.subscription_identifiers), (topic, b"{}".to_vec(), vec![]));
}

#[wasm_bindgen_test]
async fn publishes_by_topic_alias_reach_mosquitto_and_come_back_by_name() {
    let c = connected(ProtocolVersion::V5).await;
    let ConnectionState::Connected(ack) = c.state() else { panic!("{:?}", c.state()) };
    assert_eq!(ack.topic_alias_maximum, Some(10), "mosquitto's max_topic_alias");
    let base = unique("alias");
    let mut messages = c.messages();
    c.subscribe(&format!("{base}/#"), QoS::AtLeastOnce).await.unwrap();
    // The first two topics get aliases 1 and 2; each later publish to them goes by alias alone.
    let topics = ["a", "b/c", "a", "a", "b/c", "d"];
    for (i, t) in topics.iter().enumerate() {
        let msg = Outgoing::new(format!("{base}/{t}"), format!("{i}").into_bytes()).qos(QoS::AtLeastOnce);
        c.publish(msg).await.unwrap();
    }
    let mut got = Vec::new();
    for _ in topics {
        let m = messages.next().await.unwrap();
        got.push(format!("{} {}", m.topic, m.payload_str().unwrap_or("?")));
    }
    let expected: Vec<String> = topics.iter().enumerate().map(|(i, t)| format!("{base}/{t} {i}")).collect();
    assert_eq!(got, expected);
    assert!(c.is_connected(), "mosquitto took every alias");
    c.close();
}

/// Answers every request on `{base}/req` on its response topic, with its correlation data.
async fn responder(base: &str) -> MqttClient {
    let r = connected(ProtocolVersion::V5).await;
    r.subscribe(&format!("{base}/req"), QoS::AtLeastOnce).await.unwrap();
    let weak = r.downgrade();
    r.on_message(&format!("{base}/req"), move |m| {
        let Some(r) = weak.upgrade() else { return };
        let properties = PublishProperties {
            correlation_data: m.properties.correlation_data.clone(),
            content_type: Some("text/plain".into()),
            ..Default::default()
        };
        let reply =
            Outgoing::new(m.properties.response_topic.clone().unwrap_or_default(), [b"re: ", &m.payload[..]].concat())
                .qos(QoS::AtLeastOnce)
                .properties(properties);
        wasm_bindgen_futures::spawn_local(async move { r.publish(reply).await.unwrap() });
    })
    .unwrap();
    r
}

#[wasm_bindgen_test]
async fn a_request_resolves_with_its_own_reply_and_times_out_without_one() {
    let base = unique("request");
    let answering = responder(&base).await;
    let c = connected(ProtocolVersion::V5).await;
    // Three requests at once on one response topic: each gets its own reply.
    let ask = |n: u32| {
        let (c, base) = (c.clone(), base.clone());
        async move { c.request(&format!("{base}/req"), format!("ping {n}").into_bytes(), RequestOptions::default()).await }
    };
    let replies = futures_util::future::join_all((1..=3).map(ask)).await;
    let got: Vec<String> = replies.into_iter().map(|r| String::from_utf8(r.unwrap().payload).unwrap()).collect();
    assert_eq!(got, ["re: ping 1", "re: ping 2", "re: ping 3"]);
    // Its own response topic, by default under the client id, subscribed once.
    let topics: Vec<String> = c.subscriptions().into_iter().map(|(f, _)| f).collect();
    assert_eq!(topics, [format!("iotmqtt/response/{}", c.client_id())]);
    // No responder on this topic: the typed timeout.
    let options =
        RequestOptions { timeout_ms: 300, response_topic: Some(format!("{base}/replies")), ..Default::default() };
    let err = c.request(&format!("{base}/nobody"), b"?".to_vec(), options).await.unwrap_err();
    assert_eq!(err, RequestError::Timeout { topic: format!("{base}/nobody"), timeout_ms: 300 });
    assert_eq!(err.code(), "REQUEST_TIMEOUT");
    // MQTT 3.1.1 has no properties to carry a request.
    let v3 = connected(ProtocolVersion::V3_1_1).await;
    let err = v3.request("t", b"?".to_vec(), RequestOptions::default()).await.unwrap_err();
    assert_eq!(err.code(), "INVALID_OPTION");
    assert_eq!(err.to_string(), "invalid option request: needs MQTT 5: this connection is MQTT 3.1.1");
    for client in [answering, c, v3] {
        client.close();
    }
}

type Messages = futures_channel::mpsc::UnboundedReceiver<Message>;

/// What `client` received before its own marker (`{base}/mark/{n}`) came back, as
/// "topic payload[ R] [subscription identifiers]".
async fn before_marker(client: &MqttClient, messages: &mut Messages, base: &str, n: u32) -> Vec<String> {
    let marker = format!("{base}/mark/{n}");
    client.publish(Outgoing::new(marker.clone(), b"m".to_vec()).qos(QoS::AtLeastOnce)).await.unwrap();
    let mut got = Vec::new();
    while let Some(m) = messages.next().await {
        if m.topic == marker {
            break;
        }
        let retained = if m.retain { " R" } else { "" };
        got.push(format!("{} {}{retained} {:?}", m.topic, m.payload_str().unwrap_or("?"), m.subscription_identifiers));
    }
    got
}

#[wasm_bindgen_test]
async fn mosquitto_keeps_no_local_retain_handling_and_subscription_identifiers() {
    let base = unique("subopts");
    let (c, other) = (connected(ProtocolVersion::V5).await, connected(ProtocolVersion::V5).await);
    let mut messages = c.messages();
    let qos1 = SubscribeOptions::qos(QoS::AtLeastOnce);
    let send = |client: &MqttClient, topic: &str, payload: &str, retain: bool| {
        let m =
            Outgoing::new(format!("{base}/{topic}"), payload.as_bytes().to_vec()).qos(QoS::AtLeastOnce).retain(retain);
        let client = client.clone();
        async move { client.publish(m).await.unwrap() }
    };
    let granted = |results: Vec<Result<QoS, ClientError>>| results.into_iter().map(Result::unwrap).collect::<Vec<_>>();
    c.subscribe(&format!("{base}/mark/#"), QoS::AtLeastOnce).await.unwrap();

    // No Local: this client's own publish does not come back; the other client's does.
    let no_local = SubscribeOptions { no_local: true, ..qos1 };
    assert_eq!(
        granted(c.subscribe_with(&[(format!("{base}/nl/#"), no_local)], None).await.unwrap()),
        [QoS::AtLeastOnce]
    );
    send(&c, "nl/own", "x", false).await;
    send(&other, "nl/other", "y", false).await;
    assert_eq!(before_marker(&c, &mut messages, &base, 1).await, [format!("{base}/nl/other y []")]);

    // Retain handling: 0 at every subscribe, 2 never, 1 only for a subscription that is new.
    send(&other, "rh/t", "kept", true).await;
    let kept = vec![format!("{base}/rh/t kept R []")];
    let handling = |h| [(format!("{base}/rh/#"), SubscribeOptions { retain_handling: h, ..qos1 })];
    c.subscribe_with(&handling(RetainHandling::OnSubscribe), None).await.unwrap();
    assert_eq!(before_marker(&c, &mut messages, &base, 2).await, kept);
    c.subscribe_with(&handling(RetainHandling::Never), None).await.unwrap();
    assert_eq!(before_marker(&c, &mut messages, &base, 3).await, Vec::<String>::new());
    c.subscribe_with(&handling(RetainHandling::OnNewSubscription), None).await.unwrap();
    assert_eq!(before_marker(&c, &mut messages, &base, 4).await, Vec::<String>::new());
    c.unsubscribe(&[format!("{base}/rh/#")]).await.unwrap();
    c.subscribe_with(&handling(RetainHandling::OnNewSubscription), None).await.unwrap();
    assert_eq!(before_marker(&c, &mut messages, &base, 5).await, kept);
    send(&other, "rh/t", "", true).await;
    assert_eq!(before_marker(&c, &mut messages, &base, 6).await, [format!("{base}/rh/t  []")]);

    // A Subscription Identifier comes back on the messages its subscription matches.
    c.subscribe_with(&[(format!("{base}/sid/#"), qos1)], Some(7)).await.unwrap();
    send(&other, "sid/a", "s", false).await;
    assert_eq!(before_marker(&c, &mut messages, &base, 7).await, [format!("{base}/sid/a s [7]")]);

    // A shared subscription: mosquitto delivers its messages on their own topics, routed by filter.
    let routed = Rc::new(RefCell::new(Vec::new()));
    let r = routed.clone();
    c.on_message(&format!("$share/g/{base}/sh/#"), move |m| r.borrow_mut().push(m.topic.clone())).unwrap();
    c.subscribe_with(&[(format!("$share/g/{base}/sh/#"), qos1)], None).await.unwrap();
    send(&other, "sh/b", "h", false).await;
    assert_eq!(before_marker(&c, &mut messages, &base, 8).await, [format!("{base}/sh/b h []")]);
    assert_eq!(*routed.borrow(), [format!("{base}/sh/b")]);
    c.close();
    other.close();
}

#[wasm_bindgen_test]
async fn mqtt5_connack_announces_the_brokers_maximum_packet_size() {
    let c = connected(ProtocolVersion::V5).await;
    assert_eq!(c.maximum_packet_size(), Some(1_048_576), "the harness sets max_packet_size 1048576");
    let err = c.publish(Outgoing::new("big", vec![0u8; 1_048_576])).await.unwrap_err();
    assert!(matches!(err, ClientError::Session(SessionError::PacketTooLarge { max: 1_048_576, .. })), "{err}");
    assert!(c.is_connected(), "a refused publish leaves the connection up");
    c.close();
}

#[wasm_bindgen_test]
async fn wrong_password_is_a_clear_not_authorized_error() {
    let mut o = options(ProtocolVersion::V3_1_1);
    o.password = Some("wrong".into());
    let c = MqttClient::new(&broker_ws(), o).unwrap();
    let err = c.connect().await.unwrap_err();
    assert_eq!(err.code(), "CONNACK_NOT_AUTHORIZED", "{err}");
    assert!(err.to_string().contains("credentials"), "{err}");
    assert!(matches!(
        c.state(),
        ConnectionState::Disconnected(ClientError::Session(SessionError::ConnectRefused { .. }))
    ));

    let mut o = options(ProtocolVersion::V5);
    o.password = Some("wrong".into());
    let c = MqttClient::new(&broker_ws(), o).unwrap();
    match c.connect().await.unwrap_err() {
        ClientError::Session(SessionError::ConnectRefused { refusal, .. }) => {
            assert!(matches!(refusal, ConnectRefusal::NotAuthorized | ConnectRefusal::BadUserNameOrPassword))
        }
        other => panic!("{other}"),
    }
}

#[wasm_bindgen_test]
async fn an_unreachable_url_fails_with_a_socket_error() {
    let c = MqttClient::new("ws://127.0.0.1:9", options(ProtocolVersion::V3_1_1)).unwrap();
    let err = c.connect().await.unwrap_err();
    assert!(matches!(err, ClientError::Socket(_) | ClientError::SocketClosed { .. }), "{err}");
    assert!(MqttClient::new("http://127.0.0.1:9", options(ProtocolVersion::V3_1_1)).is_err());
}

#[wasm_bindgen_test]
async fn round_trips_at_qos_0_1_and_2_in_both_versions() {
    for version in [ProtocolVersion::V3_1_1, ProtocolVersion::V5] {
        for qos in [QoS::AtMostOnce, QoS::AtLeastOnce, QoS::ExactlyOnce] {
            let m = round_trip(version, qos, format!("hello {qos}").into_bytes()).await;
            assert_eq!(m.payload_str(), Some(format!("hello {qos}").as_str()));
            assert_eq!(m.qos, qos);
        }
    }
}

#[wasm_bindgen_test]
async fn a_binary_payload_of_all_256_byte_values_arrives_intact() {
    let all: Vec<u8> = (0..=255u8).collect();
    assert_eq!(round_trip(ProtocolVersion::V3_1_1, QoS::AtLeastOnce, all.clone()).await.payload, all);
}

#[wasm_bindgen_test]
async fn a_256_kib_payload_arrives_intact() {
    let big: Vec<u8> = (0..256 * 1024).map(|i| (i * 31 % 251) as u8).collect();
    assert_eq!(round_trip(ProtocolVersion::V5, QoS::ExactlyOnce, big.clone()).await.payload, big);
}

#[wasm_bindgen_test]
async fn retained_messages_reach_a_later_subscriber_with_the_retain_flag() {
    let topic = unique("retained");
    let a = connected(ProtocolVersion::V3_1_1).await;
    a.publish(Outgoing::new(topic.clone(), b"kept".to_vec()).qos(QoS::AtLeastOnce).retain(true)).await.unwrap();
    a.close();

    let b = connected(ProtocolVersion::V3_1_1).await;
    let mut messages = b.messages();
    b.subscribe(&topic, QoS::AtLeastOnce).await.unwrap();
    let m = messages.next().await.unwrap();
    assert!(m.retain);
    assert_eq!(m.payload, b"kept");
    // Clear it, as MQTT does with an empty retained payload.
    b.publish(Outgoing::new(topic, Vec::new()).qos(QoS::AtLeastOnce).retain(true)).await.unwrap();
    b.close();
}

#[wasm_bindgen_test]
async fn wildcard_filters_route_each_message_to_the_matching_handlers() {
    let c = connected(ProtocolVersion::V5).await;
    let base = unique("wild");
    let seen: Rc<RefCell<Vec<(String, String)>>> = Rc::default();
    for filter in [format!("{base}/+/temp"), format!("{base}/#"), format!("{base}/room1/+")] {
        let s = seen.clone();
        let f = filter.clone();
        c.on_message(&filter, move |m| s.borrow_mut().push((f.clone(), m.topic.clone()))).unwrap();
    }
    c.subscribe(&format!("{base}/#"), QoS::AtLeastOnce).await.unwrap();
    for t in ["room1/temp", "room2/temp", "room1/hum"] {
        c.publish(Outgoing::new(format!("{base}/{t}"), b"1".to_vec()).qos(QoS::AtLeastOnce)).await.unwrap();
    }
    for _ in 0..50 {
        if seen.borrow().len() >= 7 {
            break;
        }
        sleep_ms(20).await;
    }
    let mut got = seen.borrow().clone();
    got.sort();
    let mut want: Vec<(String, String)> = [
        ("+/temp", "room1/temp"),
        ("+/temp", "room2/temp"),
        ("#", "room1/temp"),
        ("#", "room2/temp"),
        ("#", "room1/hum"),
        ("room1/+", "room1/temp"),
        ("room1/+", "room1/hum"),
    ]
    .iter()
    .map(|(f, t)| (format!("{base}/{f}"), format!("{base}/{t}")))
    .collect();
    want.sort();
    assert_eq!(got, want);
    c.close();
}

#[wasm_bindgen_test]
async fn subscribing_several_filters_reports_each_grant() {
    let c = connected(ProtocolVersion::V5).await;
    let base = unique("multi");
    let granted = c
        .subscribe_many(&[(format!("{base}/a"), QoS::AtMostOnce), (format!("{base}/b/#"), QoS::ExactlyOnce)])
        .await
        .unwrap();
    assert_eq!(granted, vec![Ok(QoS::AtMostOnce), Ok(QoS::ExactlyOnce)]);
    let un = c.unsubscribe(&[format!("{base}/a")]).await.unwrap();
    assert_eq!(un, vec![Ok(())]);
    c.close();
}

// The ACL gives "reader" read access only: MQTT 5 reports the denied publish as PUBACK 0x87.
#[wasm_bindgen_test]
async fn an_acl_denied_publish_is_a_typed_refusal_on_mqtt5() {
    let mut o = options(ProtocolVersion::V5);
    o.username = Some("reader".into());
    o.password = Some("readonly".into());
    let c = MqttClient::new(&broker_ws(), o).unwrap();
    c.connect().await.unwrap();
    let err = c.publish(Outgoing::new(unique("denied"), b"x".to_vec()).qos(QoS::AtLeastOnce)).await.unwrap_err();
    assert!(
        matches!(err, ClientError::Session(SessionError::PublishRefused { reason, .. }) if reason.0 == 0x87),
        "{err}"
    );
    c.close();
}

// MQTT 5: mosquitto answers a QoS 1 publish nobody hears with PUBACK 0x10 "No matching
// subscribers", and an unsubscribe from a filter never subscribed with UNSUBACK 0x11; both reach
// `on_acknowledged` before the call resolves. A plain SUBACK says nothing more.
#[wasm_bindgen_test]
async fn mosquittos_no_matching_subscribers_and_no_subscription_existed_reach_on_acknowledged() {
    let c = connected(ProtocolVersion::V5).await;
    let heard: Rc<RefCell<Vec<Acknowledged>>> = Rc::default();
    let h = heard.clone();
    c.on_acknowledged(move |a| h.borrow_mut().push(a.clone()));
    let topic = unique("nobody");
    c.publish(Outgoing::new(topic.clone(), b"1".to_vec()).qos(QoS::AtLeastOnce)).await.unwrap();
    assert_eq!(heard.borrow().len(), 1);
    c.subscribe(&format!("{topic}/sub"), QoS::AtLeastOnce).await.unwrap();
    c.unsubscribe(&[format!("{topic}/sub"), format!("{topic}/never")]).await.unwrap();
    c.close();
    let ack = |packet, subjects: Vec<String>, codes: Vec<u8>| Acknowledged {
        packet,
        subjects,
        codes,
        words: Words::default(),
    };
    assert_eq!(
        *heard.borrow(),
        [
            ack(AckPacket::PubAck, vec![topic.clone()], vec![0x10]),
            ack(AckPacket::UnsubAck, vec![format!("{topic}/sub"), format!("{topic}/never")], vec![0x00, 0x11]),
        ]
    );
}

// MQTT 3.1.1 §3.1.2.10: with keepalive 1 s the broker drops a client that sends nothing for 1.5 s,
// so a connection alive after 4 idle seconds proves PINGREQs went out and PINGRESPs came back.
#[wasm_bindgen_test]
async fn an_idle_connection_is_kept_alive_by_pingreq() {
    let mut o = options(ProtocolVersion::V3_1_1);
    o.keepalive_secs = 1;
    let c = MqttClient::new(&broker_ws(), o).unwrap();
    let drops = Rc::new(RefCell::new(0));
    let d = drops.clone();
    c.on_state(move |s| {
        if matches!(s, ConnectionState::Disconnected(_)) {
            *d.borrow_mut() += 1;
        }
    });
    c.connect().await.unwrap();
    sleep_ms(4_000).await;
    assert!(c.is_connected());
    assert_eq!(*drops.borrow(), 0);
    let m = {
        let topic = unique("alive");
        let mut messages = c.messages();
        c.subscribe(&topic, QoS::AtMostOnce).await.unwrap();
        c.publish(Outgoing::new(topic, b"still here".to_vec())).await.unwrap();
        messages.next().await.unwrap()
    };
    assert_eq!(m.payload, b"still here");
    c.close();
}

// Interop with an independent client, byte for byte, both ways.
#[wasm_bindgen_test]
async fn mosquitto_pub_reaches_the_browser_and_the_browser_reaches_mosquitto_sub() {
    let bytes: Vec<u8> = (0..=255u8).chain(b"interop \xE2\x9C\x93".iter().copied()).collect();

    let c = connected(ProtocolVersion::V3_1_1).await;
    let inbound = unique("interop/in");
    let mut messages = c.messages();
    c.subscribe(&inbound, QoS::AtLeastOnce).await.unwrap();
    let r = get_json(&control_url(&format!("/pub?topic={inbound}&qos=1&b64={}", urlencode(&b64(&bytes))))).await;
    assert_eq!(r["ok"], true, "mosquitto_pub: {r}");
    assert_eq!(messages.next().await.unwrap().payload, bytes);

    let outbound = unique("interop/out");
    let r = get_json(&control_url(&format!("/sub/start?name=out&topic={outbound}&qos=1"))).await;
    assert_eq!(r["ok"], true);
    c.publish(Outgoing::new(outbound, bytes.clone()).qos(QoS::AtLeastOnce)).await.unwrap();
    let r = get_json(&control_url("/sub/result?name=out")).await;
    assert_eq!(r["ok"], true, "mosquitto_sub: {r}");
    assert_eq!(unb64(r["b64"].as_str().unwrap()), bytes);
    c.close();
}

#[wasm_bindgen_test]
async fn bad_input_from_the_application_is_refused_before_sending() {
    let c = connected(ProtocolVersion::V3_1_1).await;
    for topic in ["a/+", "#", "", "nul\0"] {
        let err = c.publish(Outgoing::new(topic, b"x".to_vec())).await.unwrap_err();
        assert_eq!(err.code(), "INVALID_TOPIC", "{topic:?}");
    }
    assert_eq!(c.subscribe("a/#/b", QoS::AtMostOnce).await.unwrap_err().code(), "INVALID_TOPIC_FILTER");
    assert_eq!(QoS::try_from(3).unwrap_err().code(), "INVALID_QOS");
    assert!(c.on_message("x/#/y", |_| {}).is_err());
    assert!(c.is_connected());
    c.close();
}

/// Counts `WebSocket.prototype.send` calls on this page from now on; `ws_sends()` reads the count.
fn count_ws_sends() {
    js_sys::Function::new_no_args(
        "const p = WebSocket.prototype; if (!p.send.__counting) { const o = p.send; \
         const f = function (d) { globalThis.__wsSends++; return o.call(this, d); }; \
         f.__counting = true; p.send = f; } globalThis.__wsSends = 0;",
    )
    .call0(&wasm_bindgen::JsValue::NULL)
    .unwrap();
}

fn ws_sends() -> u32 {
    js_sys::Reflect::get(&js_sys::global(), &"__wsSends".into()).unwrap().as_f64().unwrap() as u32
}

#[wasm_bindgen_test]
async fn a_burst_of_publishes_leaves_as_one_websocket_message_and_arrives_in_order() {
    for version in [ProtocolVersion::V3_1_1, ProtocolVersion::V5] {
        let c = connected(version).await;
        let topic = unique("burst");
        let mut messages = c.messages();
        // QoS 0 downstream: the client itself sends nothing (no PUBACK) while the burst is under way.
        c.subscribe(&topic, QoS::AtMostOnce).await.unwrap();
        count_ws_sends();
        let publishes: Vec<_> = (0..300u32)
            .map(|i| {
                c.publish(Outgoing::new(topic.clone(), format!("{i:05}").into_bytes()).qos(if i % 2 == 0 {
                    QoS::AtMostOnce
                } else {
                    QoS::AtLeastOnce
                }))
            })
            .collect();
        for r in futures_util::future::join_all(publishes).await {
            r.unwrap();
        }
        let sends_for_burst = ws_sends();
        for i in 0..300u32 {
            let m = messages.next().await.unwrap();
            assert_eq!(String::from_utf8(m.payload).unwrap(), format!("{i:05}"), "{version:?}: order");
        }
        c.close();
        // 300 PUBLISH packets in one task: one WebSocket message, however the flush was scheduled.
        assert_eq!(sends_for_burst, 1, "{version:?}: 300 publishes left as {sends_for_burst} WebSocket messages");
    }
}

// MQTT 5 §4.9: mosquitto announces its max_inflight_messages as Receive Maximum. A burst of QoS 1
// publishes beyond it waits for PUBACKs to free slots: every one completes and arrives in order.
#[wasm_bindgen_test]
async fn qos1_publishes_beyond_the_brokers_receive_maximum_all_complete_in_order() {
    let c = MqttClient::new(&limited_broker_ws(), options(ProtocolVersion::V5)).unwrap();
    let ack = c.connect().await.unwrap();
    assert_eq!(ack.receive_maximum, Some(5), "the harness sets max_inflight_messages 5");
    let topic = unique("receive-max");
    let mut messages = c.messages();
    c.subscribe(&topic, QoS::AtMostOnce).await.unwrap();
    let publishes: Vec<_> = (0..60u32)
        .map(|i| c.publish(Outgoing::new(topic.clone(), format!("{i:03}").into_bytes()).qos(QoS::AtLeastOnce)))
        .collect();
    let mut all = Box::pin(futures_util::future::join_all(publishes));
    assert!(futures_util::FutureExt::now_or_never(all.as_mut()).is_none(), "no PUBACK can have come yet");
    assert_eq!(c.pending(), (55, 5), "5 in flight, 55 waiting for a slot");
    for (i, r) in all.await.into_iter().enumerate() {
        assert!(r.is_ok(), "publish {i}: {r:?}");
    }
    assert_eq!(c.pending(), (0, 0));
    for i in 0..60u32 {
        let m = messages.next().await.unwrap();
        assert_eq!(String::from_utf8(m.payload).unwrap(), format!("{i:03}"), "order");
    }
    assert!(c.is_connected());
    c.close();
}

/// Lets the microtasks queued so far run (a transport flush among them).
async fn next_microtask() {
    wasm_bindgen_futures::JsFuture::from(js_sys::Promise::resolve(&wasm_bindgen::JsValue::NULL)).await.unwrap();
}

#[wasm_bindgen_test]
async fn under_load_sends_wait_for_the_worker_clock_unless_worker_timers_are_off() {
    for worker_timers in [true, false] {
        let client_options = iotmqtt::ClientOptions { worker_timers, ..Default::default() };
        let c = MqttClient::with_options(&broker_ws(), options(ProtocolVersion::V3_1_1), client_options).unwrap();
        c.connect().await.unwrap();
        let topic = unique("load");
        let burst = || {
            let publishes: Vec<_> = (0..10).map(|i| c.publish(Outgoing::new(topic.clone(), vec![i]))).collect();
            futures_util::future::join_all(publishes)
        };
        // "Under load" is a clock reading (the transport's Date.now(), whole milliseconds): a slow
        // or busy machine may take longer than BUSY_MS between the two bursts. Such a try proves
        // nothing and is repeated; only a try whose two flushes fell within the window is checked.
        let mut checked = false;
        for _try in 0..50 {
            sleep_ms(20).await; // well past the busy window of the previous flush
            count_ws_sends();
            for r in burst().await {
                r.unwrap();
            }
            let before_first_flush = js_sys::Date::now();
            next_microtask().await;
            assert_eq!(ws_sends(), 1, "worker_timers {worker_timers}: an idle socket's burst leaves at the microtask");
            // Microseconds after that message: busy.
            for r in burst().await {
                r.unwrap();
            }
            next_microtask().await;
            let within_window = js_sys::Date::now() - before_first_flush < iotmqtt::transport::BUSY_MS;
            if !worker_timers {
                assert_eq!(ws_sends(), 2, "without the worker clock nothing waits for a (throttlable) timer");
                checked = true;
                break;
            }
            if !within_window {
                for _ in 0..100 {
                    if ws_sends() == 2 {
                        break;
                    }
                    sleep_ms(5).await;
                }
                continue;
            }
            assert_eq!(ws_sends(), 1, "under load the second burst waits for the worker clock's tick");
            for _ in 0..100 {
                if ws_sends() == 2 {
                    break;
                }
                sleep_ms(5).await;
            }
            assert_eq!(ws_sends(), 2, "and leaves at that tick");
            checked = true;
            break;
        }
        assert!(checked, "worker_timers {worker_timers}: no try had both bursts within the busy window");
        c.close();
    }
}

#[wasm_bindgen_test]
async fn close_leaves_no_timer_or_socket_behind() {
    let c = connected(ProtocolVersion::V3_1_1).await;
    assert!(c.live_resources().1);
    c.close();
    assert_eq!(c.live_resources(), (0, false));
    assert_eq!(c.connect().await.unwrap_err(), ClientError::Closed);
}

fn urlencode(s: &str) -> String {
    s.replace('+', "%2B").replace('/', "%2F").replace('=', "%3D")
}

// Issue 21: the credentials callback of the Rust client, before every connect (MQTT.js issue 828).
// The broker's password file decides: the callback's password is used, not the options' one.
#[wasm_bindgen_test]
async fn a_credentials_callback_gives_each_connect_its_login() {
    let asking = iotmqtt::ClientOptions { credentials: true, ..Default::default() };
    let stale = ConnectOptions { password: Some("expired".into()), ..options(ProtocolVersion::V3_1_1) };
    let calls = Rc::new(RefCell::new(0));
    let c = MqttClient::with_options(&broker_ws(), stale.clone(), asking.clone()).unwrap();
    let counted = calls.clone();
    c.set_credentials(move || {
        *counted.borrow_mut() += 1;
        async { Ok((Some("tester".to_owned()), Some("secret".to_owned()))) }
    });
    c.connect().await.expect("the callback's login is accepted");
    assert_eq!(*calls.borrow(), 1);
    c.close();

    let c = MqttClient::with_options(&broker_ws(), stale, asking).unwrap();
    c.set_credentials(|| async { Err("the token service is down".to_owned()) });
    let err = c.connect().await.unwrap_err();
    assert_eq!(err, ClientError::Credentials("the token service is down".into()));
    assert_eq!(err.code(), "CREDENTIALS_FAILED");
    c.close();
}
