//! The three platforms' MQTT APIs: each has a pure codec (topics, payloads, validation,
//! correlation) tested natively, and a device/application type on the async client (wasm32).

//! Each platform is a cargo feature (all on by default).

#[cfg(feature = "cloudplugs")]
pub mod cloudplugs;
#[cfg(feature = "things-stack")]
pub mod things_stack;
#[cfg(feature = "thingsboard")]
pub mod thingsboard;

pub mod subscriptions;
