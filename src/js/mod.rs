//! The npm package's JavaScript API: a thin wasm-bindgen facade over the Rust client and the
//! platform adapters (camelCase, Promises, `Error`s with codes, precise TypeScript types).

mod bench;
mod client;
mod cloudplugs;
mod errors;
mod helpers;
mod listeners;
mod options;
mod payload;
mod things_stack;
mod thingsboard;
mod types;

pub use client::JsMqttClient;
pub use cloudplugs::JsCloudPlugsDevice;
pub use things_stack::{JsDownlinkTracker, JsThingsStackApp};
pub use thingsboard::{JsThingsBoardDevice, JsThingsBoardGateway};
