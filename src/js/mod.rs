//! The npm package's JavaScript API: a thin wasm-bindgen facade over the Rust client and the
//! platform adapters (camelCase, Promises, `Error`s with codes, precise TypeScript types).

#[cfg(feature = "bench")]
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

use std::future::Future;
use std::pin::Pin;

use wasm_bindgen::JsValue;

type JsResultFuture = Pin<Box<dyn Future<Output = Result<JsValue, JsValue>>>>;

/// The Promise of an async method. Every method goes through this one `future_to_promise`
/// instantiation (the future is boxed): one allocation per call instead of a copy of the executor
/// glue per method in the wasm.
pub(crate) fn promise(f: impl Future<Output = Result<JsValue, JsValue>> + 'static) -> js_sys::Promise {
    wasm_bindgen_futures::future_to_promise(Box::pin(f) as JsResultFuture)
}
