//! CloudPlugs channels as MQTT topics: `PLUG_ID/data/CHANNEL` for data (no wildcards to publish,
//! `+` and `#` to subscribe) and `PLUG_ID/ag/prop/set|get` for additional properties (docs/platforms/cloudplugs.md).

use super::error::{shown, CloudPlugsError};
use super::identity::validate_plug_id;

/// Checks a channel to publish to, such as `My/Sensor`: levels separated by '/', none empty, no
/// wildcards (docs/platforms/cloudplugs.md#data-channels: "To publish data, the topic cannot have a wildcard").
pub fn validate_channel(channel: &str) -> Result<(), CloudPlugsError> {
    let reason = if channel.is_empty() {
        "it may not be empty"
    } else if channel.contains(['+', '#']) {
        "a channel to publish to may not contain the wildcards + or #"
    } else if channel.split('/').any(str::is_empty) {
        "it may not start or end with '/' or hold an empty level"
    } else if channel.chars().any(char::is_control) {
        "it may not contain control characters"
    } else {
        return Ok(());
    };
    Err(CloudPlugsError::InvalidChannel { channel: shown(channel), reason })
}

/// Checks a channel mask to subscribe to: a channel in which `+` may fill a level and `#` may
/// stand as the last level (`My/+`, `#`).
pub fn validate_channel_mask(mask: &str) -> Result<(), CloudPlugsError> {
    let levels: Vec<&str> = mask.split('/').collect();
    let last = levels.len() - 1;
    let reason = if mask.is_empty() {
        "it may not be empty (use # for every channel)"
    } else if levels.iter().any(|l| l.is_empty()) {
        "it may not start or end with '/' or hold an empty level"
    } else if levels.iter().enumerate().any(|(i, l)| l.contains('#') && (*l != "#" || i != last)) {
        "# must stand alone as the last level (as in My/#)"
    } else if levels.iter().any(|l| l.contains('+') && *l != "+") {
        "+ must fill a whole level (as in My/+/Temp)"
    } else if mask.chars().any(char::is_control) {
        "it may not contain control characters"
    } else {
        return Ok(());
    };
    Err(CloudPlugsError::InvalidChannelMask { mask: shown(mask), reason })
}

/// `PLUG_ID/data/CHANNEL`, the topic to publish data to.
pub fn data_topic(plug_id: &str, channel: &str) -> Result<String, CloudPlugsError> {
    validate_plug_id(plug_id)?;
    validate_channel(channel)?;
    Ok(format!("{plug_id}/data/{channel}"))
}

/// The filter for data from one device, or from any (`None` or `"+"`): `+/data/My/Sensor`.
pub fn data_filter(plug_id: Option<&str>, channel_mask: &str) -> Result<String, CloudPlugsError> {
    let plug = match plug_id {
        None | Some("+") => "+",
        Some(id) => {
            validate_plug_id(id)?;
            id
        }
    };
    validate_channel_mask(channel_mask)?;
    Ok(format!("{plug}/data/{channel_mask}"))
}

/// Splits `PLUG_ID/data/CHANNEL` into the sender's Plug-ID and the channel.
pub fn parse_data_topic(topic: &str) -> Option<(&str, &str)> {
    let (plug_id, rest) = topic.split_once('/')?;
    let channel = rest.strip_prefix("data/")?;
    (!plug_id.is_empty() && !channel.is_empty()).then_some((plug_id, channel))
}

/// The two additional-property requests; each is answered on its own topic.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PropertyOp {
    Set,
    Get,
}

impl PropertyOp {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Set => "set",
            Self::Get => "get",
        }
    }
}

/// `PLUG_ID/ag/prop/set` or `PLUG_ID/ag/prop/get`: where the request goes and the reply comes back.
pub fn property_topic(plug_id: &str, op: PropertyOp) -> Result<String, CloudPlugsError> {
    validate_plug_id(plug_id)?;
    Ok(format!("{plug_id}/ag/prop/{}", op.as_str()))
}

#[cfg(test)]
mod tests {
    use super::*;

    const PLUG: &str = "dev-123456789012345678901234";

    // docs/platforms/cloudplugs.md#data-channels: "PLUG_ID/data/ must be part of the target topic".
    #[test]
    fn data_topic_joins_plug_id_data_and_channel() {
        assert_eq!(data_topic(PLUG, "My/Sensor"), Ok(format!("{PLUG}/data/My/Sensor")));
    }

    // docs/platforms/cloudplugs.md#data-channels: "To publish data, the topic cannot have a wildcard."
    #[test]
    fn a_channel_with_a_wildcard_or_nothing_in_it_is_refused() {
        for bad in ["", "My/+", "#", "a/#", "/lead", "trail/", "a//b", "tab\there"] {
            assert_eq!(data_topic(PLUG, bad).map_err(|e| e.code()), Err("CLOUDPLUGS_INVALID_CHANNEL"), "{bad:?}");
        }
    }

    // docs/platforms/cloudplugs.md#data-channels: "+/data/CHANNEL", "dev-.../data/#", "+/data/My/Sensor".
    #[test]
    fn filters_take_a_plug_id_or_any_and_a_channel_mask() {
        assert_eq!(data_filter(None, "CHANNEL"), Ok("+/data/CHANNEL".to_owned()));
        assert_eq!(data_filter(Some("+"), "My/Sensor"), Ok("+/data/My/Sensor".to_owned()));
        assert_eq!(data_filter(Some(PLUG), "#"), Ok(format!("{PLUG}/data/#")));
        assert_eq!(data_filter(None, "My/+/Temp"), Ok("+/data/My/+/Temp".to_owned()));
    }

    #[test]
    fn misplaced_wildcards_in_a_mask_are_refused() {
        for bad in ["", "a#", "#/a", "a+/b", "a//b"] {
            assert_eq!(data_filter(None, bad).map_err(|e| e.code()), Err("CLOUDPLUGS_INVALID_CHANNEL_MASK"), "{bad:?}");
        }
        assert_eq!(data_filter(Some("dev/1"), "#").map_err(|e| e.code()), Err("CLOUDPLUGS_INVALID_PLUG_ID"));
    }

    #[test]
    fn a_data_topic_splits_into_sender_and_channel() {
        assert_eq!(parse_data_topic(&format!("{PLUG}/data/My/Sensor")), Some((PLUG, "My/Sensor")));
        assert_eq!(parse_data_topic(&format!("{PLUG}/ag/prop/set")), None);
        assert_eq!(parse_data_topic(&format!("{PLUG}/data/")), None);
        assert_eq!(parse_data_topic("/data/x"), None);
    }

    // docs/platforms/cloudplugs.md#properties: PLUG_ID/ag/prop/set and PLUG_ID/ag/prop/get.
    #[test]
    fn property_topics_end_in_ag_prop_set_or_get() {
        assert_eq!(property_topic(PLUG, PropertyOp::Set), Ok(format!("{PLUG}/ag/prop/set")));
        assert_eq!(property_topic(PLUG, PropertyOp::Get), Ok(format!("{PLUG}/ag/prop/get")));
    }
}
