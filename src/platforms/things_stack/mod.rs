//! The Things Stack application API over MQTT: a pure codec (topics, typed events, downlinks with
//! validation and tracking, payload helpers, uplink decoders). The Rust `ThingsStackApp` is in
//! `crate::client::things_stack`; the npm package's is TypeScript over `crate::batch::things_stack`.

pub mod base64;
#[cfg(feature = "things-stack")]
pub mod builder;
#[cfg(feature = "things-stack")]
pub mod decoder;
#[cfg(feature = "things-stack")]
pub mod downlink;
pub mod error;
#[cfg(feature = "things-stack")]
pub mod event;
#[cfg(feature = "things-stack")]
pub mod head;
pub mod lpp;
pub mod payload;
#[cfg(feature = "things-stack")]
pub mod session;
#[cfg(feature = "things-stack")]
pub mod topic;
#[cfg(feature = "things-stack")]
pub mod tracking;
#[cfg(feature = "things-stack")]
pub mod waits;
#[cfg(feature = "things-stack")]
mod wire;

// The browser's async application type lives in the shell (src/client/things_stack); named here too.
#[cfg(all(target_arch = "wasm32", feature = "things-stack"))]
pub use crate::client::things_stack::{DownlinkHandle, JsFormatter, ThingsStackApp};
#[cfg(feature = "things-stack")]
pub use builder::DownlinkBuilder;
#[cfg(feature = "things-stack")]
pub use decoder::{CayenneLpp, DecodedUplink, DecoderRegistry, UplinkDecoder, UplinkInput};
#[cfg(feature = "things-stack")]
pub use downlink::{ClassBc, ClassBcGateway, Downlink, GatewayIds, Priority};
pub use error::{PayloadError, ThingsStackError};
#[cfg(feature = "things-stack")]
pub use event::{parse_event, ApplicationUp, ThingsStackEvent, UpMessage};
pub use lpp::decode_lpp;
#[cfg(feature = "things-stack")]
pub use topic::{ApplicationUid, EventKind, Subscription};
#[cfg(feature = "things-stack")]
pub use tracking::DownlinkStatus;
