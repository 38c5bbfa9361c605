//! MQTT 5 subscription options on the generic page (§3.8.3.1): the subscribe form's fields read
//! into `SubscribeOptions` and a Subscription Identifier, and each subscription's options as the
//! list shows them. The session checks the identifier's range and the broker's CONNACK.

use crate::app::error::AppError;
use crate::{QoS, RetainHandling, SubscribeOptions};

/// The subscribe form's MQTT 5 fields.
pub struct OptionFields<'a> {
    pub no_local: bool,
    pub retain_as_published: bool,
    /// "0", "1" or "2".
    pub retain_handling: &'a str,
    /// A number, or empty.
    pub identifier: &'a str,
}

impl OptionFields<'_> {
    pub fn read(&self, qos: QoS) -> Result<(SubscribeOptions, Option<u32>), AppError> {
        let identifier = match self.identifier.trim() {
            "" => None,
            n => Some(n.parse::<u32>().map_err(|_| AppError::input("subscriptionIdentifier", "a whole number"))?),
        };
        let retain_handling =
            self.retain_handling.parse().ok().and_then(RetainHandling::from_number).unwrap_or_default();
        let options = SubscribeOptions {
            qos,
            no_local: self.no_local,
            retain_as_published: self.retain_as_published,
            retain_handling,
        };
        Ok((options, identifier))
    }
}

/// What a subscription asked beyond its QoS, as the list shows it: "no local · id 7"; empty when
/// nothing.
pub fn summary(options: SubscribeOptions, identifier: Option<u32>) -> String {
    let mut parts: Vec<String> = Vec::new();
    if options.no_local {
        parts.push("no local".into());
    }
    if options.retain_as_published {
        parts.push("retain as published".into());
    }
    match options.retain_handling {
        RetainHandling::OnSubscribe => {}
        RetainHandling::OnNewSubscription => parts.push("retained: if new".into()),
        RetainHandling::Never => parts.push("retained: never".into()),
    }
    if let Some(id) = identifier {
        parts.push(format!("id {id}"));
    }
    parts.join(" · ")
}
