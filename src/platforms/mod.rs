//! The three platforms' MQTT APIs: each has a pure codec (topics, payloads, validation,
//! correlation) tested natively, and a device/application type on the async client (wasm32).

pub mod cloudplugs;
pub mod json;
pub mod things_stack;
pub mod thingsboard;
