//! iotmqtt: MQTT over a browser WebSocket, with typed support for ThingsBoard, The Things Stack
//! and CloudPlugs. Module declarations and re-exports only.

pub mod batch;
// The dashboard's chart data model.
pub mod chart;
pub mod collections;
pub mod error;
// The dashboard's history model; its base64 is The Things Stack's.
#[cfg(feature = "things-stack")]
pub mod history;
pub mod json;
pub mod platforms;
pub mod session;
pub mod shared;
pub mod supervisor;

#[cfg(target_arch = "wasm32")]
pub mod client;
#[cfg(target_arch = "wasm32")]
pub mod transport;

#[cfg(all(target_arch = "wasm32", feature = "app"))]
pub mod app;
#[cfg(target_arch = "wasm32")]
pub mod js;

pub use error::{ClientError, SessionError};
pub use session::options::{ClientOptions, OfflineQueueOptions, QueueFullPolicy, ReconnectOptions};
pub use session::said::{AckPacket, Acknowledged, Words};
pub use session::{
    Authentication, ConnAck, ConnectOptions, Message, Outgoing, ProtocolVersion, PublishProperties, QoS,
    RetainHandling, SubscribeOptions, Will,
};
