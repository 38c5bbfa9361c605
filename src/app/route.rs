//! Pages by location hash (`#/thingsboard`): a plain enum, no router crate needed.

use crate::app::state::ProfileKind;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Page {
    Connections,
    ThingsBoard,
    Gateway,
    ThingsStack,
    CloudPlugs,
    Generic,
}

impl Page {
    pub const ALL: [Page; 6] =
        [Self::Connections, Self::ThingsBoard, Self::Gateway, Self::ThingsStack, Self::CloudPlugs, Self::Generic];

    pub fn hash(self) -> &'static str {
        match self {
            Self::Connections => "#/connections",
            Self::ThingsBoard => "#/thingsboard",
            Self::Gateway => "#/gateway",
            Self::ThingsStack => "#/tts",
            Self::CloudPlugs => "#/cloudplugs",
            Self::Generic => "#/mqtt",
        }
    }

    pub fn title(self) -> &'static str {
        match self {
            Self::Connections => "Connections",
            Self::ThingsBoard => "ThingsBoard device",
            Self::Gateway => "ThingsBoard gateway",
            Self::ThingsStack => "TTS application",
            Self::CloudPlugs => "CloudPlugs",
            Self::Generic => "Generic MQTT",
        }
    }

    pub fn for_kind(kind: ProfileKind) -> Self {
        match kind {
            ProfileKind::ThingsBoardDevice => Self::ThingsBoard,
            ProfileKind::ThingsBoardGateway => Self::Gateway,
            ProfileKind::ThingsStackApp => Self::ThingsStack,
            ProfileKind::CloudPlugs => Self::CloudPlugs,
            ProfileKind::Generic => Self::Generic,
        }
    }

    pub fn kind(self) -> Option<ProfileKind> {
        Self::ALL.iter().skip(1).zip(ProfileKind::ALL).find(|(p, _)| **p == self).map(|(_, k)| k)
    }

    pub fn current() -> Self {
        let hash = web_sys::window().and_then(|w| w.location().hash().ok()).unwrap_or_default();
        Self::ALL.into_iter().find(|p| p.hash() == hash).unwrap_or(Self::Connections)
    }
}

pub fn navigate(page: Page) {
    if let Some(w) = web_sys::window() {
        let _ = w.location().set_hash(page.hash());
    }
}
