//! CloudPlugs' MQTT API (docs/platforms/cloudplugs.md): a pure codec for login,
//! enrollment, data channels and additional properties. The Rust `CloudPlugsDevice` is in
//! `crate::client::cloudplugs`; the npm package's is TypeScript over `crate::batch::cloudplugs`.
//!
//! # Known limits
//!
//! - **Denied PUBLISH or SUBSCRIBE cannot be reported.** CloudPlugs checks permissions per action,
//!   not at CONNECT, and MQTT 3.1.1 has no way to tell a client that a PUBLISH or SUBSCRIBE was
//!   denied (docs/platforms/cloudplugs.md#permissions). A publish the platform drops still resolves `Ok`, and a
//!   subscription it will never feed is still granted. Check the result on the platform, for
//!   example with a subscription that should see your own data.
//! - **QoS 0 only.** CloudPlugs serves QoS 0 (it stores every data document, so nothing is lost
//!   while the data retention lasts); this API offers no other level.
//! - **Property replies carry no id.** A reply is matched to its request only by the channel it
//!   arrives on, so requests on one channel are sent one at a time; a reply that arrives after
//!   its request timed out could be taken for the next request's.
//! - **No MQTT over WebSocket.** CloudPlugs serves TCP 1883 and TLS 8883 only: a browser reaches
//!   it through a WebSocket-to-TCP bridge (see the README).

pub mod channel;
pub mod data;
pub mod enrollment;
pub mod enrollment_exchange;
pub mod error;
pub mod exchange;
pub mod identity;
pub mod options;
pub mod properties;

pub use channel::{data_filter, data_topic, parse_data_topic, property_topic, PropertyOp};
pub use data::{parse_data_record, DataDocument, DataRecord};
pub use enrollment::{parse_enrollment_reply, Credentials, EnrollmentRequest};
pub use error::CloudPlugsError;
pub use identity::{ClientId, Username};
pub use options::{CloudPlugsOptions, LastWill, DEFAULT_KEEPALIVE_SECS, MAX_KEEPALIVE_SECS};
pub use properties::{PropertyMap, PropertyValue};

// The browser's async device type lives in the shell (src/client/cloudplugs); named here too.
#[cfg(target_arch = "wasm32")]
pub use crate::client::cloudplugs::{CloudPlugsDevice, DataStream};
