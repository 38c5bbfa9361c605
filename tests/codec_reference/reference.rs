//! The reference: the session's packets as mqtt-protocol-core's packet types build and parse them
//! (the crate's codec until the npm package's size budget replaced it), with the fixed-header and
//! packet-id checks that ran before it.
#![allow(dead_code)]

use std::sync::Arc;

use mqtt_protocol_core::mqtt::packet::{
    v3_1_1, v5_0, AuthenticationData, AuthenticationMethod, ContentType, CorrelationData, MaximumPacketSize,
    MessageExpiryInterval, PayloadFormat, PayloadFormatIndicator, Property, Qos, ResponseTopic, SessionExpiryInterval,
    SubEntry, SubOpts, TopicAlias, TopicAliasMaximum, UserProperty,
};
use mqtt_protocol_core::mqtt::result_code::{DisconnectReasonCode, MqttError, PubcompReasonCode, PubrelReasonCode};

use iotmqtt::session::framing;
use iotmqtt::session::packets::{qos_from_u8, Ack, Inbound};
use iotmqtt::session::said::{Said, Words};
use iotmqtt::session::topic_alias::Naming;
use iotmqtt::session::{
    ConnAck, ConnectOptions, Message, Outgoing, ProtocolVersion, PublishProperties, QoS, SessionError,
};

/// The two versions' builders share no trait, only their method names: `$body` once per version.
macro_rules! per_version {
    ($version_value:expr, $version:ident => $body:block) => {
        match $version_value {
            ProtocolVersion::V3_1_1 => {
                use v3_1_1 as $version;
                $body
            }
            ProtocolVersion::V5 => {
                use v5_0 as $version;
                $body
            }
        }
    };
}

/// Parses one whole packet (as `framing::next_frame` found it) of the connection's version.
pub fn parse(version: ProtocolVersion, packet: &[u8]) -> Result<Inbound, SessionError> {
    check_packet(packet).map_err(protocol)?;
    let first = *packet.first().ok_or_else(|| protocol("an empty packet"))?;
    let body = packet.get(framing::header_len(packet)..).unwrap_or(&[]);
    let (kind, flags) = (first >> 4, first & 0x0F);
    // MQTT 3.1.1 §2.2.2: the flags are fixed for every type but PUBLISH.
    if kind != 3 && flags != if kind == 6 { 2 } else { 0 } {
        return Err(protocol("reserved fixed-header flags are set"));
    }
    let v5 = version == ProtocolVersion::V5;
    // Where the client reads more than the reference: an MQTT 3.1.1 server's refusal of an MQTT 5
    // CONNECT (its CONNACK has no properties and return code 1) is MQTT 5's 0x84 to the client.
    if v5 && kind == 2 && body.len() == 2 && body[0] <= 1 && body[1] == 1 {
        return Ok(connack(body[0] == 1, 0x84, &[]));
    }
    Ok(match kind {
        2 => per_version!(version, p => {
            let c = exact(p::Connack::parse(body), body.len())?;
            connack(c.session_present(), c.code(), c.properties())
        }),
        3 => {
            let (packet_id, message) = per_version!(version, p => {
                let p = exact(p::Publish::parse(flags, Arc::from(body)), body.len())?;
                let message = Message {
                    topic: p.topic_name().to_owned(),
                    payload: p.payload().as_slice().to_vec(),
                    qos: qos_from_u8(p.qos() as u8),
                    retain: p.retain(),
                    dup: p.dup(),
                    properties: PublishProperties::default(),
                    subscription_identifiers: Vec::new(),
                };
                (p.packet_id(), message)
            });
            let (mut message, mut alias) = (message, None);
            if v5 {
                let p = exact(v5_0::Publish::parse(flags, Arc::from(body)), body.len())?;
                (message.properties, message.subscription_identifiers) = message_properties(p.props());
                alias = p.props().iter().find_map(|p| match p {
                    Property::TopicAlias(v) => Some(v.val()),
                    _ => None,
                });
            }
            if message.topic.is_empty() && alias.is_none() {
                return Err(protocol("a PUBLISH without a topic name"));
            }
            Inbound::Publish { packet_id, message, alias }
        }
        4 => per_version!(version, p => {
            let a = exact(p::Puback::parse(body), body.len())?;
            Inbound::PubAck { packet_id: a.packet_id(), code: a.code(), said: said(a.properties()) }
        }),
        5 => per_version!(version, p => {
            let a = exact(p::Pubrec::parse(body), body.len())?;
            Inbound::PubRec { packet_id: a.packet_id(), code: a.code(), said: said(a.properties()) }
        }),
        6 => per_version!(version, p => {
            Inbound::PubRel { packet_id: exact(p::Pubrel::parse(body), body.len())?.packet_id() }
        }),
        7 => per_version!(version, p => {
            let a = exact(p::Pubcomp::parse(body), body.len())?;
            Inbound::PubComp { packet_id: a.packet_id(), code: a.code(), said: said(a.properties()) }
        }),
        9 => per_version!(version, p => {
            let a = exact(p::Suback::parse(body), body.len())?;
            Inbound::SubAck { packet_id: a.packet_id(), codes: a.codes(), said: said(a.properties()) }
        }),
        11 => per_version!(version, p => {
            let a = exact(p::Unsuback::parse(body), body.len())?;
            Inbound::UnsubAck { packet_id: a.packet_id(), codes: a.codes(), said: said(a.properties()) }
        }),
        13 => per_version!(version, p => {
            exact(p::Pingresp::parse(body), body.len())?;
            Inbound::PingResp
        }),
        14 if v5 => {
            let d = exact(v5_0::Disconnect::parse(body), body.len())?;
            let server_reference = d.props().iter().flatten().find_map(|p| match p {
                Property::ServerReference(v) => Some(v.val().to_owned()),
                _ => None,
            });
            let said = said(d.props().as_deref().unwrap_or_default());
            Inbound::Disconnect { code: d.reason_code().map_or(0, |r| r as u8), server_reference, said }
        }
        15 if v5 => {
            let a = exact(v5_0::Auth::parse(body), body.len())?;
            let authentication = authentication(a.props.as_deref().unwrap_or_default());
            Inbound::Auth { code: a.reason_code().map_or(0, |r| r as u8), authentication }
        }
        _ => return Err(protocol("a packet type a client never receives")),
    })
}

fn protocol(detail: &str) -> SessionError {
    SessionError::Protocol { detail: detail.into() }
}

/// A parse must use the whole body, as mqtt-protocol-core's own connection requires.
fn exact<T>(parsed: Result<(T, usize), MqttError>, len: usize) -> Result<T, SessionError> {
    match parsed {
        Ok((packet, used)) if used == len => Ok(packet),
        Ok(_) => Err(protocol("bytes left over after the packet")),
        Err(e) => Err(SessionError::Protocol { detail: format!("{e:?}") }),
    }
}

/// The Reason String and User Properties among `props`.
fn said(props: &[Property]) -> Said {
    let mut words = Words::default();
    for p in props {
        match p {
            Property::ReasonString(v) => words.reason_string = Some(v.val().to_owned()),
            Property::UserProperty(v) => words.user_properties.push((v.key().to_owned(), v.val().to_owned())),
            _ => {}
        }
    }
    (words != Words::default()).then(|| Box::new(words))
}

/// The Authentication Method and Data among `props`.
fn authentication(props: &[Property]) -> (Option<String>, Option<Vec<u8>>) {
    let (mut method, mut data) = (None, None);
    for p in props {
        match p {
            Property::AuthenticationMethod(v) => method = Some(v.val().to_owned()),
            Property::AuthenticationData(v) => data = Some(v.val().to_vec()),
            _ => {}
        }
    }
    (method, data)
}

fn connack(session_present: bool, code: u8, props: &[Property]) -> Inbound {
    let mut server_reference = None;
    let mut ack = ConnAck { session_present, ..ConnAck::default() };
    for p in props {
        match p {
            Property::SessionExpiryInterval(v) => ack.session_expiry_interval = Some(v.val()),
            Property::ReceiveMaximum(v) => ack.receive_maximum = Some(v.val()),
            Property::MaximumQos(v) => ack.maximum_qos = Some(qos_from_u8(v.val())),
            Property::RetainAvailable(v) => ack.retain_available = Some(v.val() == 1),
            Property::MaximumPacketSize(v) => ack.maximum_packet_size = Some(v.val()),
            Property::AssignedClientIdentifier(v) => ack.assigned_client_id = Some(v.val().to_owned()),
            Property::TopicAliasMaximum(v) => ack.topic_alias_maximum = Some(v.val()),
            Property::ReasonString(v) => ack.reason_string = Some(v.val().to_owned()),
            Property::UserProperty(v) => ack.user_properties.push((v.key().to_owned(), v.val().to_owned())),
            Property::WildcardSubscriptionAvailable(v) => ack.wildcard_subscription_available = Some(v.val() == 1),
            Property::SubscriptionIdentifierAvailable(v) => ack.subscription_identifiers_available = Some(v.val() == 1),
            Property::SharedSubscriptionAvailable(v) => ack.shared_subscription_available = Some(v.val() == 1),
            Property::ServerKeepAlive(v) => ack.server_keepalive_secs = Some(v.val()),
            Property::ServerReference(v) => server_reference = Some(v.val().to_owned()),
            _ => {}
        }
    }
    let authentication = authentication(props);
    ack.authentication_data = authentication.1.clone();
    Inbound::ConnAck { code, ack, server_reference, authentication }
}

// The accessors whose names or presence differ between the versions, so that `per_version!`
// bodies can call one name.
trait Code {
    /// The return or reason code; MQTT 3.1.1 acknowledgements have none (0, success).
    fn code(&self) -> u8;
}
trait Codes {
    fn codes(&self) -> Vec<u8>;
}
trait Props {
    fn properties(&self) -> &[Property];
}
macro_rules! no_code {
    ($($t:ty),*) => {$(impl Code for $t { fn code(&self) -> u8 { 0 } })*};
}
macro_rules! optional_code {
    ($($t:ty),*) => {$(impl Code for $t { fn code(&self) -> u8 { self.reason_code().map_or(0, |r| r as u8) } })*};
}
no_code!(v3_1_1::Puback, v3_1_1::Pubrec, v3_1_1::Pubcomp);
optional_code!(v5_0::Puback, v5_0::Pubrec, v5_0::Pubcomp);
impl Code for v3_1_1::Connack {
    fn code(&self) -> u8 {
        self.return_code() as u8
    }
}
impl Code for v5_0::Connack {
    fn code(&self) -> u8 {
        self.reason_code() as u8
    }
}
impl Props for v3_1_1::Connack {
    fn properties(&self) -> &[Property] {
        &[]
    }
}
impl Props for v5_0::Connack {
    fn properties(&self) -> &[Property] {
        self.props()
    }
}
macro_rules! no_props {
    ($($t:ty),*) => {$(impl Props for $t { fn properties(&self) -> &[Property] { &[] } })*};
}
no_props!(v3_1_1::Puback, v3_1_1::Pubrec, v3_1_1::Pubcomp, v3_1_1::Suback, v3_1_1::Unsuback);
impl Props for v5_0::Puback {
    fn properties(&self) -> &[Property] {
        self.props.as_deref().unwrap_or_default()
    }
}
impl Props for v5_0::Pubrec {
    fn properties(&self) -> &[Property] {
        self.props.as_deref().unwrap_or_default()
    }
}
impl Props for v5_0::Pubcomp {
    fn properties(&self) -> &[Property] {
        self.props.as_deref().unwrap_or_default()
    }
}
impl Props for v5_0::Suback {
    fn properties(&self) -> &[Property] {
        &self.props
    }
}
impl Props for v5_0::Unsuback {
    fn properties(&self) -> &[Property] {
        &self.props
    }
}
impl Codes for v3_1_1::Suback {
    fn codes(&self) -> Vec<u8> {
        self.return_codes().into_iter().map(|c| c as u8).collect()
    }
}
impl Codes for v5_0::Suback {
    fn codes(&self) -> Vec<u8> {
        self.reason_codes().into_iter().map(|c| c as u8).collect()
    }
}
impl Codes for v3_1_1::Unsuback {
    fn codes(&self) -> Vec<u8> {
        Vec::new()
    }
}
impl Codes for v5_0::Unsuback {
    fn codes(&self) -> Vec<u8> {
        self.reason_codes().into_iter().map(|c| c as u8).collect()
    }
}

/// CONNECT. `resume` clears Clean Start so an MQTT 5 reconnect resumes the session it asked for.
pub fn connect(o: &ConnectOptions, resume: bool) -> Result<Vec<u8>, SessionError> {
    let bad = |field: &'static str| move |e: MqttError| SessionError::InvalidOption { field, reason: format!("{e:?}") };
    if o.password.is_some() && o.username.is_none() && o.version == ProtocolVersion::V3_1_1 {
        return Err(SessionError::InvalidOption {
            field: "password",
            reason: "MQTT 3.1.1 allows a password only together with a user name".into(),
        });
    }
    // The builders differ only in "clean session" (3.1.1) against "clean start" and properties (5).
    macro_rules! credentials_and_will {
        ($b:expr) => {{
            let mut b = $b;
            if let Some(u) = &o.username {
                b = b.user_name(u.as_str()).map_err(bad("username"))?;
            }
            if let Some(p) = &o.password {
                b = b.password(p.as_str()).map_err(bad("password"))?;
            }
            if let Some(w) = &o.will {
                b = b.will_message(w.topic.as_str(), &w.payload, core_qos(w.qos), w.retain).map_err(bad("will"))?;
            }
            b
        }};
    }
    let clean = o.clean_start && !resume;
    Ok(match o.version {
        ProtocolVersion::V3_1_1 => {
            let b = v3_1_1::Connect::builder().client_id(o.client_id.as_str()).map_err(bad("clientId"))?;
            let b = credentials_and_will!(b.keep_alive(o.keepalive_secs).clean_session(clean));
            b.build().map_err(bad("connect"))?.to_continuous_buffer()
        }
        ProtocolVersion::V5 => {
            let b = v5_0::Connect::builder().client_id(o.client_id.as_str()).map_err(bad("clientId"))?;
            let mut b = credentials_and_will!(b.keep_alive(o.keepalive_secs).clean_start(clean));
            let mut props: Vec<Property> = Vec::new();
            if let Some(secs) = o.session_expiry_secs {
                props.push(SessionExpiryInterval::new(secs).map_err(bad("sessionExpirySecs"))?.into());
            }
            props.push(MaximumPacketSize::new(o.maximum_packet_size).map_err(bad("maximumPacketSize"))?.into());
            if o.topic_alias_maximum > 0 {
                props.push(TopicAliasMaximum::new(o.topic_alias_maximum).map_err(bad("topicAliasMaximum"))?.into());
            }
            if let Some(a) = &o.authentication {
                props.push(AuthenticationMethod::new(a.method.as_str()).map_err(bad("authentication"))?.into());
                if let Some(d) = &a.data {
                    props.push(AuthenticationData::new(d.clone()).map_err(bad("authentication"))?.into());
                }
            }
            b = b.props(props);
            b.build().map_err(bad("connect"))?.to_continuous_buffer()
        }
    })
}

/// PUBLISH; `dup` marks a resend of an unacknowledged QoS 1 or 2 message.
pub fn publish(
    version: ProtocolVersion,
    msg: &Outgoing,
    packet_id: Option<u16>,
    dup: bool,
    naming: Naming,
) -> Result<Vec<u8>, SessionError> {
    let bad = |e: MqttError| SessionError::InvalidTopic {
        topic: msg.topic.chars().take(120).collect(),
        reason: if e == MqttError::MalformedPacket {
            "the topic could not be encoded"
        } else {
            "the publish could not be encoded"
        },
    };
    let id = if packet_id.is_some() { 2 } else { 0 };
    let mut props = publish_properties(&msg.properties);
    if let Some(alias) = naming.alias() {
        let at = props
            .iter()
            .take_while(|p| matches!(p, Property::PayloadFormatIndicator(_) | Property::MessageExpiryInterval(_)))
            .count();
        props.insert(at, Property::TopicAlias(TopicAlias::new(alias).unwrap()));
    }
    let topic = match naming {
        Naming::Alias(_) => "",
        _ => msg.topic.as_str(),
    };
    within_mqtt_limit(
        version,
        2 + topic.len() + id + props.iter().map(Property::size).sum::<usize>() + msg.payload.len(),
    )?;
    macro_rules! build {
        ($p:ident, $($props:expr)?) => {{
            let mut b = $p::Publish::builder()
                .topic_name(topic)
                .map_err(bad)?
                .qos(core_qos(msg.qos))
                .retain(msg.retain)
                .dup(dup)
                .payload(msg.payload.as_slice());
            if let Some(id) = packet_id {
                b = b.packet_id(id);
            }
            $(b = b.props($props);)?
            b.build().map_err(bad)?.to_continuous_buffer()
        }};
    }
    Ok(match version {
        ProtocolVersion::V3_1_1 => build!(v3_1_1,),
        ProtocolVersion::V5 => build!(v5_0, props),
    })
}

/// A message's properties as the reference's property values.
fn publish_properties(p: &PublishProperties) -> Vec<Property> {
    let mut out = Vec::new();
    if let Some(utf8) = p.payload_format_indicator {
        let format = if utf8 { PayloadFormat::String } else { PayloadFormat::Binary };
        out.push(Property::PayloadFormatIndicator(PayloadFormatIndicator::new(format).unwrap()));
    }
    if let Some(secs) = p.message_expiry_interval {
        out.push(Property::MessageExpiryInterval(MessageExpiryInterval::new(secs).unwrap()));
    }
    if let Some(t) = &p.content_type {
        out.push(Property::ContentType(ContentType::new(t).unwrap()));
    }
    if let Some(t) = &p.response_topic {
        out.push(Property::ResponseTopic(ResponseTopic::new(t).unwrap()));
    }
    if let Some(d) = &p.correlation_data {
        out.push(Property::CorrelationData(CorrelationData::new(d.clone()).unwrap()));
    }
    for (k, v) in &p.user_properties {
        out.push(Property::UserProperty(UserProperty::new(k, v).unwrap()));
    }
    out
}

/// A received PUBLISH's properties, as the reference read them.
fn message_properties(props: &[Property]) -> (PublishProperties, Vec<u32>) {
    let (mut p, mut ids) = (PublishProperties::default(), Vec::new());
    for prop in props {
        match prop {
            Property::PayloadFormatIndicator(v) => p.payload_format_indicator = Some(v.val() == 1),
            Property::MessageExpiryInterval(v) => p.message_expiry_interval = Some(v.val()),
            Property::ContentType(v) => p.content_type = Some(v.val().to_owned()),
            Property::ResponseTopic(v) => p.response_topic = Some(v.val().to_owned()),
            Property::CorrelationData(v) => p.correlation_data = Some(v.val().to_vec()),
            Property::UserProperty(v) => p.user_properties.push((v.key().to_owned(), v.val().to_owned())),
            Property::SubscriptionIdentifier(v) => ids.push(v.val()),
            _ => {}
        }
    }
    (p, ids)
}

/// MQTT's largest Remaining Length, four bytes of variable byte integer (MQTT 3.1.1 §2.2.3).
const MAX_REMAINING: usize = 268_435_455;

/// `remaining`: the packet's variable header and payload, MQTT 5's empty property length aside.
/// mqtt-protocol-core panics encoding a packet past MQTT's limit, so such a packet is refused here.
fn within_mqtt_limit(version: ProtocolVersion, remaining: usize) -> Result<(), SessionError> {
    let remaining = remaining + usize::from(version == ProtocolVersion::V5);
    match remaining > MAX_REMAINING {
        true => Err(SessionError::PacketTooLarge { size: 5 + remaining, max: 5 + MAX_REMAINING }),
        false => Ok(()),
    }
}

/// SUBSCRIBE for each filter with its QoS.
pub fn subscribe(version: ProtocolVersion, packet_id: u16, filters: &[(String, QoS)]) -> Result<Vec<u8>, SessionError> {
    within_mqtt_limit(version, 2 + filters.iter().map(|(f, _)| 3 + f.len()).sum::<usize>())?;
    let mut entries = Vec::with_capacity(filters.len());
    for (f, q) in filters {
        let entry = SubEntry::new(f.as_str(), SubOpts::new().set_qos(core_qos(*q))).map_err(|_| {
            SessionError::InvalidFilter { filter: f.clone(), reason: "the filter could not be encoded" }
        })?;
        entries.push(entry);
    }
    let failed = |e: MqttError| SessionError::Protocol { detail: format!("SUBSCRIBE could not be built: {e:?}") };
    Ok(per_version!(version, p => {
        p::Subscribe::builder().packet_id(packet_id).entries(entries).build().map_err(failed)?.to_continuous_buffer()
    }))
}

pub fn unsubscribe(version: ProtocolVersion, packet_id: u16, filters: &[String]) -> Result<Vec<u8>, SessionError> {
    within_mqtt_limit(version, 2 + filters.iter().map(|f| 2 + f.len()).sum::<usize>())?;
    let names: Vec<&str> = filters.iter().map(String::as_str).collect();
    let failed = |e: MqttError| SessionError::Protocol { detail: format!("UNSUBSCRIBE could not be built: {e:?}") };
    Ok(per_version!(version, p => {
        p::Unsubscribe::builder().packet_id(packet_id).entries(names).and_then(|b| b.build()).map_err(failed)?.to_continuous_buffer()
    }))
}

/// An acknowledgement of `packet_id`. `found` false (PUBREL or PUBCOMP for a packet id this client
/// does not know) adds MQTT 5's reason 0x92 "packet identifier not found"; MQTT 3.1.1 has no codes.
pub fn ack(version: ProtocolVersion, kind: Ack, packet_id: u16, found: bool) -> Result<Vec<u8>, SessionError> {
    let failed = |e: MqttError| SessionError::Protocol { detail: format!("{kind:?} could not be built: {e:?}") };
    match (version, found, kind) {
        (ProtocolVersion::V5, false, Ack::PubRel) => {
            return Ok(v5_0::Pubrel::builder()
                .packet_id(packet_id)
                .reason_code(PubrelReasonCode::PacketIdentifierNotFound)
                .build()
                .map_err(failed)?
                .to_continuous_buffer())
        }
        (ProtocolVersion::V5, false, Ack::PubComp) => {
            return Ok(v5_0::Pubcomp::builder()
                .packet_id(packet_id)
                .reason_code(PubcompReasonCode::PacketIdentifierNotFound)
                .build()
                .map_err(failed)?
                .to_continuous_buffer())
        }
        _ => {}
    }
    Ok(per_version!(version, p => {
        match kind {
            Ack::PubAck => p::Puback::builder().packet_id(packet_id).build().map_err(failed)?.to_continuous_buffer(),
            Ack::PubRec => p::Pubrec::builder().packet_id(packet_id).build().map_err(failed)?.to_continuous_buffer(),
            Ack::PubRel => p::Pubrel::builder().packet_id(packet_id).build().map_err(failed)?.to_continuous_buffer(),
            Ack::PubComp => p::Pubcomp::builder().packet_id(packet_id).build().map_err(failed)?.to_continuous_buffer(),
        }
    }))
}

pub fn pingreq(version: ProtocolVersion) -> Option<Vec<u8>> {
    per_version!(version, p => { p::Pingreq::builder().build().ok().map(|p| p.to_continuous_buffer()) })
}

/// DISCONNECT: normal, or (MQTT 5) "keep alive timeout" when the broker stopped answering pings.
pub fn disconnect(version: ProtocolVersion, reason: u8) -> Vec<u8> {
    match version {
        ProtocolVersion::V3_1_1 => v3_1_1::Disconnect::builder().build().unwrap().to_continuous_buffer(),
        ProtocolVersion::V5 => {
            let reason = match reason {
                0x8D => DisconnectReasonCode::KeepAliveTimeout,
                0x95 => DisconnectReasonCode::PacketTooLarge,
                _ => DisconnectReasonCode::NormalDisconnection,
            };
            v5_0::Disconnect::builder().reason_code(reason).build().unwrap().to_continuous_buffer()
        }
    }
}

fn core_qos(q: QoS) -> Qos {
    match q {
        QoS::AtMostOnce => Qos::AtMostOnce,
        QoS::AtLeastOnce => Qos::AtLeastOnce,
        QoS::ExactlyOnce => Qos::ExactlyOnce,
    }
}

/// Rejects what the packet parsers would let through: packet id 0 where one is required, and QoS 3.
fn check_packet(packet: &[u8]) -> Result<(), &'static str> {
    let Some(&first) = packet.first() else { return Err("an empty packet") };
    let body = packet.get(framing::header_len(packet)..).unwrap_or(&[]);
    let id_at = |at: usize| body.get(at..at + 2).map(|b| u16::from_be_bytes([b[0], b[1]]));
    match first >> 4 {
        3 => {
            let qos = (first >> 1) & 3;
            if qos == 3 {
                return Err("a PUBLISH with QoS 3");
            }
            if qos > 0 {
                let topic_len = usize::from(id_at(0).ok_or("a truncated PUBLISH")?);
                if id_at(2 + topic_len).ok_or("a PUBLISH without its packet id")? == 0 {
                    return Err("a PUBLISH with packet id 0");
                }
            }
        }
        4 | 5 | 6 | 7 | 9 | 11 if id_at(0) == Some(0) => return Err("an acknowledgement for packet id 0"),
        _ => {}
    }
    Ok(())
}
