//! Which session a tab asks for, and whether it asks for it the same way as the tabs already in it.
//! The URL, the client id and the credentials name the session; every other CONNECT option must be
//! the same in each tab, or the tab gets a typed error naming the first option that differs.

use crate::session::ConnectOptions;

/// What names a shared session: two tabs with the same key use one connection.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionKey {
    pub url: String,
    pub client_id: String,
    pub username: Option<String>,
    pub password: Option<String>,
}

impl SessionKey {
    pub fn new(url: &str, options: &ConnectOptions) -> Self {
        Self {
            url: url.to_owned(),
            client_id: options.client_id.clone(),
            username: options.username.clone(),
            password: options.password.clone(),
        }
    }
}

/// What a tab asks of the session's one client beyond its CONNECT: the same in every tab, since
/// that client serves them all.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ClientSide {
    /// A credentials callback (`credentials`), which the host asks a tab's before each connect.
    pub credentials_callback: bool,
    /// The store of unsettled publishes (`persistence`), which a leader's handover goes through.
    pub persistence: Option<String>,
    /// An MQTT 5 authenticator (`authenticator`), which the host asks a tab's for the answer to
    /// each of the broker's challenges.
    pub authenticator: bool,
}

/// The first CONNECT option (by its JS name, as `INVALID_OPTION` names fields) in which `asked`
/// differs from the session's `options`, if any. The session key's fields are the same already.
pub fn differing_option(options: &ConnectOptions, asked: &ConnectOptions) -> Option<&'static str> {
    let (a, b) = (options, asked);
    let differs = [
        ("protocolVersion", a.version != b.version),
        ("keepaliveSecs", a.keepalive_secs != b.keepalive_secs),
        ("cleanStart", a.clean_start != b.clean_start),
        ("will", a.will != b.will),
        ("sessionExpirySecs", a.session_expiry_secs != b.session_expiry_secs),
        ("connectTimeoutMs", a.connect_timeout_ms != b.connect_timeout_ms),
        ("pingTimeoutMs", a.ping_timeout_ms != b.ping_timeout_ms),
        ("maximumPacketSize", a.maximum_packet_size != b.maximum_packet_size),
        ("topicAliasMaximum", a.topic_alias_maximum != b.topic_alias_maximum),
    ];
    let differing = differs.into_iter().find(|(_, d)| *d).map(|(name, _)| name);
    // MQTT 5 enhanced authentication's method and first data (cargo feature `auth`).
    #[cfg(feature = "auth")]
    let differing = differing.or_else(|| (a.authentication != b.authentication).then_some("authentication"));
    differing
}
