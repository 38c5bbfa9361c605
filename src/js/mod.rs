//! The npm package's JavaScript API: a thin wasm-bindgen facade over the Rust client and the
//! platform adapters (camelCase, Promises, `Error`s with codes, precise TypeScript types).

#[cfg(feature = "bench")]
mod bench;
mod client;
#[cfg(feature = "cloudplugs")]
mod cloudplugs;
mod errors;
#[cfg(feature = "things-stack")]
mod helpers;
mod listeners;
mod options;
mod payload;
#[cfg(feature = "things-stack")]
mod things_stack;
#[cfg(feature = "thingsboard")]
mod thingsboard;
mod types;

pub use client::JsMqttClient;
#[cfg(feature = "cloudplugs")]
pub use cloudplugs::JsCloudPlugsDevice;
#[cfg(feature = "things-stack")]
pub use things_stack::{JsDownlinkTracker, JsThingsStackApp};
#[cfg(feature = "thingsboard")]
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
