//! The npm package's wasm side. `ClientCore` (`core.rs`) is the Sans-I/O facade the TypeScript
//! shell (`npm/src/`) drives: bytes, time and commands in, a batch of events out. The CloudPlugs
//! entry's wasm holds it and `CloudPlugsCore` (`cloudplugs.rs`), driven the same way. The payload
//! helpers are plain functions. ThingsBoard and The Things Stack are still wasm-bindgen facades
//! over the async Rust client (`client.rs` and one file per platform), each in its own entry's wasm.

#[cfg(all(feature = "small-alloc", not(target_feature = "atomics")))]
#[global_allocator]
static TALC: talc::wasm::WasmDynamicTalc = talc::wasm::new_wasm_dynamic_allocator();

#[cfg(feature = "bench")]
mod bench;
#[cfg(any(feature = "thingsboard", feature = "things-stack"))]
mod client;
#[cfg(feature = "cloudplugs")]
mod cloudplugs;
// The generic entry's wasm: the core and the payload helpers; a platform entry's wasm has neither.
#[cfg(not(any(feature = "thingsboard", feature = "things-stack")))]
mod core;
mod errors;
#[cfg(all(feature = "payload", not(any(feature = "thingsboard", feature = "things-stack", feature = "cloudplugs"))))]
mod helpers;
#[cfg(any(feature = "thingsboard", feature = "things-stack"))]
mod listeners;
#[cfg(any(feature = "thingsboard", feature = "things-stack"))]
mod options;
#[cfg(any(feature = "thingsboard", feature = "things-stack"))]
mod payload;
#[cfg(feature = "things-stack")]
mod things_stack;
#[cfg(feature = "thingsboard")]
mod thingsboard;
#[cfg(any(feature = "thingsboard", feature = "things-stack"))]
mod types;

#[cfg(any(feature = "thingsboard", feature = "things-stack"))]
pub use client::JsMqttClient;
#[cfg(feature = "cloudplugs")]
pub use cloudplugs::CloudPlugsCore;
#[cfg(not(any(feature = "thingsboard", feature = "things-stack")))]
pub use core::ClientCore;
#[cfg(feature = "things-stack")]
pub use things_stack::{JsDownlinkTracker, JsThingsStackApp};
#[cfg(feature = "thingsboard")]
pub use thingsboard::{JsThingsBoardDevice, JsThingsBoardGateway};

#[cfg(any(feature = "thingsboard", feature = "things-stack"))]
use std::future::Future;
#[cfg(any(feature = "thingsboard", feature = "things-stack"))]
use std::pin::Pin;

#[cfg(any(feature = "thingsboard", feature = "things-stack"))]
use wasm_bindgen::JsValue;

#[cfg(any(feature = "thingsboard", feature = "things-stack"))]
type JsResultFuture = Pin<Box<dyn Future<Output = Result<JsValue, JsValue>>>>;

/// The Promise of an async method. Every method goes through this one `future_to_promise`
/// instantiation (the future is boxed): one allocation per call instead of a copy of the executor
/// glue per method in the wasm.
#[cfg(any(feature = "thingsboard", feature = "things-stack"))]
pub(crate) fn promise(f: impl Future<Output = Result<JsValue, JsValue>> + 'static) -> js_sys::Promise {
    wasm_bindgen_futures::future_to_promise(Box::pin(f) as JsResultFuture)
}
