//! The npm package's wasm side. `ClientCore` (`core.rs`) is the Sans-I/O facade the TypeScript
//! shell (`npm/src/`) drives: bytes, time and commands in, a batch of events out. The CloudPlugs
//! and The Things Stack entries' wasms hold it and their platform's core (`cloudplugs.rs`,
//! `things_stack.rs`), driven the same way. The payload helpers are plain functions. ThingsBoard is
//! still a wasm-bindgen facade over the async Rust client (`client.rs`, `thingsboard.rs`).

#[cfg(all(feature = "small-alloc", not(target_feature = "atomics")))]
#[global_allocator]
static TALC: talc::wasm::WasmDynamicTalc = talc::wasm::new_wasm_dynamic_allocator();

#[cfg(feature = "bench")]
mod bench;
#[cfg(feature = "thingsboard")]
mod client;
#[cfg(feature = "cloudplugs")]
mod cloudplugs;
// The generic entry's wasm: the core and the payload helpers; a platform entry's wasm has neither.
#[cfg(not(feature = "thingsboard"))]
mod core;
mod errors;
#[cfg(all(feature = "payload", not(any(feature = "thingsboard", feature = "things-stack", feature = "cloudplugs"))))]
mod helpers;
#[cfg(feature = "thingsboard")]
mod listeners;
#[cfg(feature = "thingsboard")]
mod options;
#[cfg(feature = "thingsboard")]
mod payload;
#[cfg(feature = "things-stack")]
mod things_stack;
#[cfg(feature = "thingsboard")]
mod thingsboard;
#[cfg(feature = "thingsboard")]
mod types;

#[cfg(feature = "thingsboard")]
pub use client::JsMqttClient;
#[cfg(feature = "cloudplugs")]
pub use cloudplugs::CloudPlugsCore;
#[cfg(not(feature = "thingsboard"))]
pub use core::ClientCore;
#[cfg(feature = "things-stack")]
pub use things_stack::ThingsStackCore;
#[cfg(feature = "thingsboard")]
pub use thingsboard::{JsThingsBoardDevice, JsThingsBoardGateway};

#[cfg(feature = "thingsboard")]
use std::future::Future;
#[cfg(feature = "thingsboard")]
use std::pin::Pin;

#[cfg(feature = "thingsboard")]
use wasm_bindgen::JsValue;

#[cfg(feature = "thingsboard")]
type JsResultFuture = Pin<Box<dyn Future<Output = Result<JsValue, JsValue>>>>;

/// The Promise of an async method. Every method goes through this one `future_to_promise`
/// instantiation (the future is boxed): one allocation per call instead of a copy of the executor
/// glue per method in the wasm.
#[cfg(feature = "thingsboard")]
pub(crate) fn promise(f: impl Future<Output = Result<JsValue, JsValue>> + 'static) -> js_sys::Promise {
    wasm_bindgen_futures::future_to_promise(Box::pin(f) as JsResultFuture)
}
