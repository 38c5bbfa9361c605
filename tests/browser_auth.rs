//! MQTT 5 enhanced authentication (§4.12) in the async client, in headless Chromium, against the
//! broker's side of a challenge and response in tests/js/hostile.mjs ("/auth", method "DEMO"):
//! none of the brokers the test command runs implements AUTH without a plugin.
#![cfg(target_arch = "wasm32")]

mod common;

use std::cell::RefCell;
use std::rc::Rc;

use common::*;
use iotmqtt::client::MqttClient;
use iotmqtt::session::reason::ConnectRefusal;
use iotmqtt::{Authentication, ClientError, ClientOptions, ConnectOptions, ProtocolVersion, SessionError};
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

/// A client whose CONNECT names "DEMO" with the data "c1"; no reconnect, so a failure is final.
fn client() -> MqttClient {
    let options = ConnectOptions {
        version: ProtocolVersion::V5,
        authentication: Some(Authentication { method: "DEMO".into(), data: Some(b"c1".to_vec()) }),
        ..Default::default()
    };
    let mut client_options = ClientOptions::default();
    client_options.reconnect.enabled = false;
    MqttClient::with_options(&hostile_ws("/auth"), options, client_options).unwrap()
}

/// An authenticator that answers "s1" with `first` and "s2" with "r2", and records each challenge.
fn answering(client: &MqttClient, first: &'static str) -> Rc<RefCell<Vec<String>>> {
    let challenges = Rc::new(RefCell::new(Vec::new()));
    let seen = challenges.clone();
    client.set_authenticator(move |data| {
        let challenge = String::from_utf8(data.unwrap_or_default()).unwrap();
        seen.borrow_mut().push(challenge.clone());
        async move {
            match challenge.as_str() {
                "s1" => Ok(Some(first.as_bytes().to_vec())),
                "s2" => Ok(Some(b"r2".to_vec())),
                other => Err(format!("no answer to {other:?}")),
            }
        }
    });
    challenges
}

#[wasm_bindgen_test]
async fn the_authenticator_answers_the_challenges_of_the_connect_and_of_a_reauthentication() {
    let c = client();
    let challenges = answering(&c, "c2");
    let ack = c.connect().await.expect("authenticated");
    assert_eq!(ack.authentication_data.as_deref(), Some(&b"ok"[..]));
    assert_eq!(*challenges.borrow(), ["s1"]);
    let last = c.reauthenticate(Some(b"r1".to_vec())).await.expect("re-authenticated");
    assert_eq!(last.as_deref(), Some(&b"ok2"[..]));
    assert_eq!(*challenges.borrow(), ["s1", "s2"]);
    assert!(c.is_connected());
    c.close();
}

#[wasm_bindgen_test]
async fn a_wrong_answer_is_refused_by_the_broker() {
    let c = client();
    answering(&c, "wrong");
    let e = c.connect().await.unwrap_err();
    let refusal = e.session().and_then(|s| match s {
        SessionError::ConnectRefused { refusal, .. } => Some(*refusal),
        _ => None,
    });
    assert_eq!(refusal, Some(ConnectRefusal::NotAuthorized), "{e:?}");
    c.close();
}

#[wasm_bindgen_test]
async fn an_authenticator_that_fails_ends_the_attempt_with_its_reason() {
    let c = client();
    c.set_authenticator(|_| async { Err("the token expired".to_string()) });
    assert_eq!(c.connect().await.unwrap_err(), ClientError::Credentials("the token expired".into()));
    assert!(!c.is_connected());
    c.close();
}
