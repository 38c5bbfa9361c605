//! The dashboard's state: connection profiles, which profile each page uses, and each page's
//! connection status. It changes only through `Action`s (`impl Reducible`).

use std::cell::RefCell;
use std::collections::BTreeMap;
use std::rc::Rc;

use futures_channel::oneshot;
use serde::{Deserialize, Serialize};
use yew::Reducible;

use crate::client::AuthAnswer;
use crate::platforms::things_stack::payload::bytes_to_hex;
use crate::{ProtocolVersion, QoS};

/// The five kinds of connection, one dashboard page each.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ProfileKind {
    ThingsBoardDevice,
    ThingsBoardGateway,
    ThingsStackApp,
    CloudPlugs,
    Generic,
}

impl ProfileKind {
    pub const ALL: [ProfileKind; 5] =
        [Self::ThingsBoardDevice, Self::ThingsBoardGateway, Self::ThingsStackApp, Self::CloudPlugs, Self::Generic];

    pub fn label(self) -> &'static str {
        match self {
            Self::ThingsBoardDevice => "ThingsBoard device",
            Self::ThingsBoardGateway => "ThingsBoard gateway",
            Self::ThingsStackApp => "TTS application",
            Self::CloudPlugs => "CloudPlugs device",
            Self::Generic => "generic MQTT",
        }
    }

    pub fn slug(self) -> &'static str {
        match self {
            Self::ThingsBoardDevice => "tb-device",
            Self::ThingsBoardGateway => "tb-gateway",
            Self::ThingsStackApp => "tts",
            Self::CloudPlugs => "cloudplugs",
            Self::Generic => "generic",
        }
    }

    pub fn from_slug(slug: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.slug() == slug)
    }

    /// What the user-name field means on this platform.
    pub fn username_label(self) -> &'static str {
        match self {
            Self::ThingsBoardDevice | Self::ThingsBoardGateway => "User name (MQTT basic only)",
            Self::ThingsStackApp => "Application (app@tenant)",
            Self::CloudPlugs => "Plug-ID or account email",
            Self::Generic => "User name",
        }
    }

    /// What the secret field means on this platform.
    pub fn secret_label(self) -> &'static str {
        match self {
            Self::ThingsBoardDevice | Self::ThingsBoardGateway => "Access token, or basic password",
            Self::ThingsStackApp => "API key",
            Self::CloudPlugs => "Auth code",
            Self::Generic => "Password",
        }
    }

    pub fn client_id_label(self) -> &'static str {
        match self {
            Self::CloudPlugs => "HWID[/name] (client id)",
            _ => "Client id (empty: generated)",
        }
    }
}

/// A last will as typed in the profile form.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct WillSpec {
    pub topic: String,
    pub payload: String,
    pub qos: u8,
    pub retain: bool,
}

/// One saved connection. The secret is stored only when `remember_secret` is ticked.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Profile {
    pub id: String,
    pub name: String,
    pub kind: ProfileKind,
    pub url: String,
    pub username: String,
    pub secret: String,
    pub client_id: String,
    /// ThingsBoard: MQTT basic credentials (client id, user name, password) instead of a token.
    pub basic_auth: bool,
    pub version: ProtocolVersion,
    pub keepalive_secs: u16,
    pub will: Option<WillSpec>,
    pub remember_secret: bool,
    /// MQTT 5 enhanced authentication (§4.12) on a generic profile: the method (empty: none) and
    /// its first data, kept as the secret is.
    pub auth_method: String,
    pub auth_data: String,
    /// The profile's connection shared by every tab of this browser that connects it
    /// (`crate::client::SharedClient`): one connection at the broker.
    pub shared: bool,
}

impl Default for Profile {
    fn default() -> Self {
        Self {
            id: String::new(),
            name: String::new(),
            kind: ProfileKind::Generic,
            url: String::new(),
            username: String::new(),
            secret: String::new(),
            client_id: String::new(),
            basic_auth: false,
            version: ProtocolVersion::V3_1_1,
            keepalive_secs: 60,
            will: None,
            remember_secret: false,
            auth_method: String::new(),
            auth_data: String::new(),
            shared: false,
        }
    }
}

impl Profile {
    pub fn will_qos(&self) -> QoS {
        self.will.as_ref().and_then(|w| QoS::try_from(w.qos).ok()).unwrap_or_default()
    }
}

/// Where a page's connection stands, in words the status indicator can show.
#[derive(Debug, Clone, PartialEq, Default)]
pub enum LinkStatus {
    #[default]
    Idle,
    Connecting,
    Connected,
    /// Attempt `attempt` starts at `at_ms` (epoch ms), for the countdown.
    Reconnecting {
        attempt: u32,
        at_ms: f64,
        reason: String,
    },
    Failed(String),
    Closed,
    /// The broker challenged in an MQTT 5 enhanced authentication: the user answers.
    Challenged(AuthPrompt),
}

impl LinkStatus {
    pub fn is_live(&self) -> bool {
        matches!(self, Self::Connecting | Self::Connected | Self::Reconnecting { .. } | Self::Challenged(_))
    }
}

/// A broker's challenge (AUTH 0x18) waiting for the user's answer, which goes to the client's
/// authenticator once.
#[derive(Clone)]
pub struct AuthPrompt {
    /// The challenge's Authentication Data as text, or as hex when it is not UTF-8.
    pub data: String,
    answer: Rc<RefCell<Option<oneshot::Sender<AuthAnswer>>>>,
}

impl AuthPrompt {
    pub fn new(data: Option<&[u8]>, answer: oneshot::Sender<AuthAnswer>) -> Self {
        let data = match data.map(std::str::from_utf8) {
            None => String::new(),
            Some(Ok(text)) => text.to_owned(),
            Some(Err(_)) => format!("(hex) {}", bytes_to_hex(data.unwrap_or_default())),
        };
        Self { data, answer: Rc::new(RefCell::new(Some(answer))) }
    }

    /// Answers the challenge; only the first answer counts.
    pub fn answer(&self, answer: AuthAnswer) {
        if let Some(tx) = self.answer.borrow_mut().take() {
            let _ = tx.send(answer);
        }
    }
}

impl PartialEq for AuthPrompt {
    fn eq(&self, other: &Self) -> bool {
        Rc::ptr_eq(&self.answer, &other.answer)
    }
}

impl std::fmt::Debug for AuthPrompt {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AuthPrompt").field("data", &self.data).finish()
    }
}

#[derive(Debug, Clone, PartialEq, Default)]
pub struct AppState {
    pub profiles: Vec<Profile>,
    /// The profile each page connects with.
    pub selected: BTreeMap<ProfileKind, String>,
    pub status: BTreeMap<ProfileKind, LinkStatus>,
    /// How many tabs share a page's connection, for a shared one.
    pub tabs: BTreeMap<ProfileKind, u32>,
    /// Bumped whenever a live session opens or closes, so pages look again.
    pub sessions: u64,
}

impl AppState {
    pub fn profile(&self, id: &str) -> Option<&Profile> {
        self.profiles.iter().find(|p| p.id == id)
    }

    pub fn profiles_of(&self, kind: ProfileKind) -> impl Iterator<Item = &Profile> {
        self.profiles.iter().filter(move |p| p.kind == kind)
    }

    /// The profile a page uses: the one chosen, else the first of its kind.
    pub fn selected_profile(&self, kind: ProfileKind) -> Option<&Profile> {
        self.selected
            .get(&kind)
            .and_then(|id| self.profile(id))
            .filter(|p| p.kind == kind)
            .or_else(|| self.profiles_of(kind).next())
    }

    pub fn status(&self, kind: ProfileKind) -> LinkStatus {
        self.status.get(&kind).cloned().unwrap_or_default()
    }
}

pub enum Action {
    /// Adds a profile, or replaces the one with the same id.
    Save(Profile),
    Remove(String),
    Select {
        kind: ProfileKind,
        id: String,
    },
    Status {
        kind: ProfileKind,
        status: LinkStatus,
    },
    SessionsChanged,
    /// How many tabs share the page's connection now; 0 when it is not shared (any longer).
    Tabs {
        kind: ProfileKind,
        tabs: u32,
    },
}

impl Reducible for AppState {
    type Action = Action;

    fn reduce(self: Rc<Self>, action: Action) -> Rc<Self> {
        let mut next = (*self).clone();
        match action {
            Action::Save(profile) => match next.profiles.iter_mut().find(|p| p.id == profile.id) {
                Some(existing) => *existing = profile,
                None => next.profiles.push(profile),
            },
            Action::Remove(id) => {
                next.profiles.retain(|p| p.id != id);
                next.selected.retain(|_, selected| *selected != id);
            }
            Action::Select { kind, id } => {
                next.selected.insert(kind, id);
            }
            Action::Status { kind, status } => {
                if next.status.get(&kind) == Some(&status) {
                    return self;
                }
                next.status.insert(kind, status);
            }
            Action::SessionsChanged => next.sessions += 1,
            Action::Tabs { kind, tabs: 0 } => {
                next.tabs.remove(&kind);
            }
            Action::Tabs { kind, tabs } => {
                next.tabs.insert(kind, tabs);
            }
        }
        Rc::new(next)
    }
}
