//! MQTT 5 enhanced authentication in the async client (§4.12; the rules are `session::auth`'s):
//! the application's authenticator answers each challenge of the broker, before the CONNACK and
//! in a re-authentication, which `reauthenticate` starts.

use std::cell::RefCell;
use std::rc::{Rc, Weak};

use futures_channel::oneshot;
use futures_util::future::LocalBoxFuture;

use super::{process, Inner, MqttClient};
use crate::error::{ClientError, SessionError};
use crate::transport::now_ms;

/// The authenticator's answer to a challenge: its data for the broker, or why it has none.
pub type AuthAnswer = Result<Option<Vec<u8>>, String>;
pub(super) type Authenticator = Rc<dyn Fn(Option<Vec<u8>>) -> LocalBoxFuture<'static, AuthAnswer>>;
pub(super) type Reauthentication = oneshot::Sender<Result<Option<Vec<u8>>, ClientError>>;

impl MqttClient {
    /// Answers the broker's challenges of an MQTT 5 enhanced authentication: `callback` gets the
    /// challenge's Authentication Data and returns the client's. The method and first data go in
    /// `ConnectOptions::authentication`. An `Err` ends the connection (`CREDENTIALS_FAILED`).
    pub fn set_authenticator<F, Fut>(&self, callback: F)
    where
        F: Fn(Option<Vec<u8>>) -> Fut + 'static,
        Fut: std::future::Future<Output = AuthAnswer> + 'static,
    {
        let callback: Authenticator = Rc::new(move |data| Box::pin(callback(data)));
        self.inner.borrow_mut().authenticator = Some(callback);
    }

    /// Re-authenticates on the connection that is up (MQTT 5 §4.12.1), starting with `data`; the
    /// authenticator answers the broker's challenges. Resolves with the broker's last data when it
    /// accepts. A broker that refuses ends the connection with its DISCONNECT.
    pub async fn reauthenticate(&self, data: Option<Vec<u8>>) -> Result<Option<Vec<u8>>, ClientError> {
        let (tx, rx) = oneshot::channel();
        let events = {
            let mut i = self.inner.borrow_mut();
            let events = i.sup.reauthenticate(now_ms(), data)?;
            i.reauthentication = Some(tx);
            events
        };
        process(&self.inner, events);
        rx.await.unwrap_or(Err(ClientError::Session(SessionError::ConnectionLost)))
    }
}

/// The broker challenged: the authenticator answers, later.
pub(super) fn challenge(rc: &Rc<RefCell<Inner>>, i: &Inner, round: u64, data: Option<Vec<u8>>) {
    let weak = Rc::downgrade(rc);
    let callback = i.authenticator.clone();
    wasm_bindgen_futures::spawn_local(async move {
        let answer = match callback {
            Some(callback) => callback(data).await,
            None => Err("the broker asked for authentication data: call MqttClient::set_authenticator".into()),
        };
        answered(&weak, round, answer);
    });
}

fn answered(weak: &Weak<RefCell<Inner>>, round: u64, answer: AuthAnswer) {
    let Some(rc) = weak.upgrade() else { return };
    let events = rc.borrow_mut().sup.authenticate(now_ms(), round, answer);
    process(&rc, events);
}
