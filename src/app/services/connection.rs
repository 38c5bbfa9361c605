//! Opening a profile's connection on its platform: builds the client from the profile, reports
//! every state change as a `LinkStatus`, and hands back the live session the page works with.

use std::rc::Rc;

use crate::json::Value;
use futures_channel::oneshot;

use super::cloudplugs::CloudPlugsSession;
use super::gateway::GatewaySession;
use super::generic::GenericSession;
use super::things_stack::TtsSession;
use super::thingsboard::TbSession;
use crate::app::error::AppError;
use crate::app::hooks::now_ms;
use crate::app::state::{AuthPrompt, LinkStatus, Profile, ProfileKind};
use crate::client::{ConnectionState, Link, MqttClient, SharedClient, SharedState};
use crate::platforms::cloudplugs::{CloudPlugsDevice, CloudPlugsOptions, LastWill};
use crate::platforms::things_stack::ThingsStackApp;
use crate::platforms::thingsboard::limits::parse_session_limits;
use crate::platforms::thingsboard::{
    Credentials, DeviceOptions, ThingsBoardDevice, ThingsBoardError, ThingsBoardGateway,
};
use crate::{Authentication, ClientError, ClientOptions, ConnectOptions, ProtocolVersion, Will};

pub type StatusSink = Rc<dyn Fn(LinkStatus)>;
/// How many tabs share a shared connection, each time that changes.
pub type TabsSink = Rc<dyn Fn(u32)>;

/// Where the dashboard serves the page's side of the shared session (scripts/shared-host.sh).
const SHARED_MODULE: &str = "shared/shared.js";

/// A page's open connection.
#[derive(Clone)]
pub enum Live {
    ThingsBoard(TbSession),
    Gateway(GatewaySession),
    ThingsStack(TtsSession),
    CloudPlugs(CloudPlugsSession),
    Generic(GenericSession),
}

impl Live {
    /// The page's own client; none for a page on a shared connection.
    pub fn client(&self) -> Option<MqttClient> {
        self.link().own().cloned()
    }

    /// The page's connection: its own client, or the shared session.
    fn link(&self) -> &Link {
        match self {
            Self::ThingsBoard(s) => s.device.link(),
            Self::Gateway(s) => s.gateway.device().link(),
            Self::ThingsStack(s) => s.app.link(),
            Self::CloudPlugs(s) => s.device.link(),
            Self::Generic(s) => &s.link,
        }
    }

    /// The status now: the client's state, or the shared session's as this tab sees it.
    pub fn status(&self) -> LinkStatus {
        match self.link() {
            Link::Own(c) => link_status(&c.state()),
            Link::Shared(c) => shared_status(&c.state()),
        }
    }

    /// Disconnects and frees everything the session holds.
    pub fn close(&self) {
        match self {
            Self::ThingsBoard(s) => s.close(),
            Self::Gateway(s) => s.close(),
            Self::ThingsStack(s) => s.app.close(),
            Self::CloudPlugs(s) => s.device.close(),
            Self::Generic(s) => s.close(),
        }
    }
}

/// A client state in the status indicator's words.
pub fn link_status(state: &ConnectionState) -> LinkStatus {
    match state {
        ConnectionState::Idle => LinkStatus::Idle,
        ConnectionState::Connecting => LinkStatus::Connecting,
        ConnectionState::Connected(_) => LinkStatus::Connected,
        ConnectionState::Reconnecting { attempt, delay_ms, reason } => LinkStatus::Reconnecting {
            attempt: *attempt,
            at_ms: now_ms() + *delay_ms as f64,
            reason: reason.to_string(),
        },
        ConnectionState::Disconnected(ClientError::Disconnected) | ConnectionState::Closed => LinkStatus::Closed,
        ConnectionState::Disconnected(e) => LinkStatus::Failed(e.to_string()),
    }
}

/// A shared session's state in the status indicator's words.
fn shared_status(state: &SharedState) -> LinkStatus {
    match state {
        SharedState::Idle => LinkStatus::Idle,
        SharedState::Connecting => LinkStatus::Connecting,
        SharedState::Connected => LinkStatus::Connected,
        SharedState::Reconnecting { attempt, delay_ms, reason } => LinkStatus::Reconnecting {
            attempt: *attempt,
            at_ms: now_ms() + *delay_ms as f64,
            reason: reason.to_string(),
        },
        SharedState::Disconnected(e) if e.code == "DISCONNECTED" => LinkStatus::Closed,
        SharedState::Disconnected(e) => LinkStatus::Failed(e.to_string()),
        SharedState::Closed => LinkStatus::Closed,
    }
}

fn watch(client: &MqttClient, sink: &StatusSink) {
    let sink = sink.clone();
    client.on_state(move |s| sink(link_status(s)));
}

/// Every state change of a platform client's connection, and on a shared one how many tabs share it.
fn watch_link(link: &Link, status: &StatusSink, tabs: &TabsSink) {
    match link {
        Link::Own(c) => watch(c, status),
        Link::Shared(c) => {
            let status = status.clone();
            c.on_state(move |s| status(shared_status(&s)));
            let sink = tabs.clone();
            c.on_tabs(move |n| sink(n));
            // What it was when the listener came: it joined before.
            tabs(c.tabs());
        }
    }
}

fn will(profile: &Profile) -> Option<Will> {
    profile.will.as_ref().filter(|w| !w.topic.trim().is_empty()).map(|w| Will {
        topic: w.topic.trim().to_owned(),
        payload: w.payload.as_bytes().to_vec(),
        qos: profile.will_qos(),
        retain: w.retain,
    })
}

/// A profile's CONNECT: its version, keepalive and will, with the credentials given.
fn connect_options(
    profile: &Profile,
    client_id: String,
    username: Option<String>,
    password: Option<String>,
) -> ConnectOptions {
    ConnectOptions {
        version: profile.version,
        client_id,
        username,
        password,
        keepalive_secs: profile.keepalive_secs,
        will: will(profile),
        ..Default::default()
    }
}

/// A generic MQTT 5 profile's enhanced authentication: its method and first data.
fn authentication(profile: &Profile) -> Option<Authentication> {
    let method = non_empty(&profile.auth_method).filter(|_| profile.version == ProtocolVersion::V5)?;
    Some(Authentication { method, data: non_empty(&profile.auth_data).map(String::into_bytes) })
}

/// Each challenge of the broker becomes the status `Challenged`, and the user's answer in the
/// connection bar goes back to it.
fn ask_for_answers(client: &MqttClient, status: StatusSink) {
    client.set_authenticator(move |data| {
        let (tx, rx) = oneshot::channel();
        status(LinkStatus::Challenged(AuthPrompt::new(data.as_deref(), tx)));
        async move { rx.await.unwrap_or_else(|_| Err("the challenge was left unanswered".into())) }
    });
}

fn non_empty(s: &str) -> Option<String> {
    Some(s.trim().to_owned()).filter(|s| !s.is_empty())
}

fn tb_credentials(profile: &Profile) -> Credentials {
    if profile.basic_auth {
        Credentials::Basic {
            client_id: profile.client_id.trim().to_owned(),
            username: non_empty(&profile.username),
            password: non_empty(&profile.secret),
        }
    } else {
        Credentials::AccessToken { token: profile.secret.trim().to_owned() }
    }
}

fn tb_options(profile: &Profile) -> DeviceOptions {
    let (version, keepalive_secs, will) = (profile.version, profile.keepalive_secs, will(profile));
    DeviceOptions { version, keepalive_secs, will, ..Default::default() }
}

fn check_url(profile: &Profile) -> Result<(), AppError> {
    let url = profile.url.trim();
    if !(url.starts_with("ws://") || url.starts_with("wss://")) {
        return Err(AppError::input(
            "url",
            format!("{url:?} is not a WebSocket URL: start it with ws:// or wss:// (see the bridge help below)"),
        ));
    }
    Ok(())
}

/// Connects with `profile`; `status` hears every state change until the session is closed.
pub async fn connect(profile: &Profile, status: StatusSink, tabs: TabsSink) -> Result<Live, AppError> {
    check_url(profile)?;
    let url = profile.url.trim();
    match profile.kind {
        ProfileKind::ThingsBoardDevice => {
            let credentials = tb_credentials(profile);
            if let Credentials::AccessToken { token } = &credentials {
                if token.is_empty() {
                    return Err(AppError::input("secret", "enter the device's access token"));
                }
            }
            if profile.shared {
                let device = ThingsBoardDevice::connect_shared(SHARED_MODULE, url, credentials, tb_options(profile));
                let device = device.await?;
                watch_link(device.link(), &status, &tabs);
                return Ok(Live::ThingsBoard(TbSession::start(device, &profile.id).await));
            }
            let basic = profile.basic_auth;
            let (client_id, username, password) = match credentials {
                Credentials::AccessToken { token } => (String::new(), Some(token), None),
                Credentials::Basic { client_id, username, password } => (client_id, username, password),
            };
            let client = MqttClient::with_options(
                url,
                connect_options(profile, client_id, username, password),
                ClientOptions::default(),
            )?;
            watch(&client, &status);
            let device = ThingsBoardDevice::attach(client.clone(), tb_options(profile));
            if let Err(e) = client.connect().await {
                client.close();
                return Err(ThingsBoardError::from_client(e, basic).into());
            }
            // As ThingsBoardDevice::connect does: obey the transport's limits when it tells them.
            if let Ok(v) = device.call("getSessionLimits", Value::Object(Default::default())).await {
                if let Ok(limits) = parse_session_limits(&v) {
                    device.set_limits(limits);
                }
            }
            Ok(Live::ThingsBoard(TbSession::start(device, &profile.id).await))
        }
        ProfileKind::ThingsBoardGateway => {
            status(LinkStatus::Connecting);
            let (credentials, options) = (tb_credentials(profile), tb_options(profile));
            let gateway = match profile.shared {
                true => ThingsBoardGateway::connect_shared(SHARED_MODULE, url, credentials, options).await?,
                false => ThingsBoardGateway::connect(url, credentials, options).await?,
            };
            watch_link(gateway.device().link(), &status, &tabs);
            Ok(Live::Gateway(GatewaySession::start(gateway).await))
        }
        ProfileKind::ThingsStackApp => {
            status(LinkStatus::Connecting);
            let options = ConnectOptions {
                client_id: profile.client_id.trim().to_owned(),
                keepalive_secs: profile.keepalive_secs,
                will: will(profile),
                ..Default::default()
            };
            let (application, key) = (profile.username.trim(), &profile.secret);
            let app = match profile.shared {
                true => ThingsStackApp::connect_shared(SHARED_MODULE, url, application, key, options).await?,
                false => ThingsStackApp::connect(url, application, key, options).await?,
            };
            watch_link(app.link(), &status, &tabs);
            Ok(Live::ThingsStack(TtsSession::start(app).await))
        }
        ProfileKind::CloudPlugs => {
            let (hwid, name) = match profile.client_id.trim().split_once('/') {
                Some((h, n)) => (h.to_owned(), Some(n.to_owned())),
                None => (profile.client_id.trim().to_owned(), None),
            };
            let options = CloudPlugsOptions {
                username: profile.username.trim().to_owned(),
                auth: profile.secret.clone(),
                hwid,
                name,
                keepalive_secs: profile.keepalive_secs,
                // CloudPlugs' will is a data document on one of the device's channels.
                will: profile.will.as_ref().filter(|w| !w.topic.trim().is_empty()).map(|w| LastWill {
                    channel: w.topic.trim().to_owned(),
                    data: serde_json::from_str(&w.payload).unwrap_or_else(|_| Value::String(w.payload.clone())),
                    plug_id: None,
                }),
                ..Default::default()
            };
            let device = match profile.shared {
                true => CloudPlugsDevice::new_shared(SHARED_MODULE, url, &options).await?,
                false => CloudPlugsDevice::new(url, &options)?,
            };
            watch_link(device.link(), &status, &tabs);
            if let Err(e) = device.connect().await {
                device.close();
                return Err(e.into());
            }
            Ok(Live::CloudPlugs(CloudPlugsSession::new(device)))
        }
        ProfileKind::Generic => {
            let (username, password) = (non_empty(&profile.username), non_empty(&profile.secret));
            let mut options = connect_options(profile, profile.client_id.trim().to_owned(), username, password);
            options.authentication = authentication(profile);
            let authenticates = options.authentication.is_some();
            if profile.shared {
                if authenticates {
                    let why =
                        "a shared connection has no authenticator in the dashboard yet: untick \"Share\" to use it";
                    return Err(AppError::input("profile", why));
                }
                return connect_shared(url, &options, status, tabs).await;
            }
            let client = MqttClient::with_options(url, options, ClientOptions::default())?;
            watch(&client, &status);
            if authenticates {
                ask_for_answers(&client, status.clone());
            }
            let session = GenericSession::attach(Link::Own(client.clone()), profile.version);
            if let Err(e) = client.connect().await {
                client.close();
                return Err(e.into());
            }
            Ok(Live::Generic(session))
        }
    }
}

/// A generic profile's connection shared by this browser's tabs: one connection at the broker for
/// every tab that connects the profile, each tab its own subscriptions and messages.
async fn connect_shared(
    url: &str,
    options: &ConnectOptions,
    status: StatusSink,
    tabs: TabsSink,
) -> Result<Live, AppError> {
    let client = SharedClient::open(SHARED_MODULE, url, options).await?;
    watch_link(&Link::Shared(client.clone()), &status, &tabs);
    let session = GenericSession::attach(Link::Shared(client.clone()), options.version);
    if let Err(e) = client.connect().await {
        client.close();
        return Err(e.into());
    }
    Ok(Live::Generic(session))
}
