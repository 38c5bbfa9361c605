//! The Things Stack application API over MQTT: a pure codec (topics, typed events, downlinks with
//! validation and tracking, payload helpers, uplink decoders). `ThingsStackApp` is in `crate::client::things_stack`.

pub mod base64;
pub mod builder;
pub mod decoder;
pub mod downlink;
pub mod error;
pub mod event;
pub mod lpp;
pub mod payload;
pub mod session;
pub mod topic;
pub mod tracking;
mod wire;

// The browser's async application type lives in the shell (src/client/things_stack); named here too.
#[cfg(target_arch = "wasm32")]
pub use crate::client::things_stack::{DownlinkHandle, JsFormatter, ThingsStackApp};
pub use builder::DownlinkBuilder;
pub use decoder::{CayenneLpp, DecodedUplink, DecoderRegistry, UplinkDecoder, UplinkInput};
pub use downlink::{ClassBc, ClassBcGateway, Downlink, GatewayIds, Priority};
pub use error::ThingsStackError;
pub use event::{parse_event, ApplicationUp, ThingsStackEvent, UpMessage};
pub use lpp::decode_lpp;
pub use topic::{ApplicationUid, EventKind, Subscription};
pub use tracking::DownlinkStatus;
