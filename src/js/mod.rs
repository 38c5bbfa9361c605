//! The npm package's wasm side. `ClientCore` (`core.rs`) is the Sans-I/O facade the TypeScript
//! shell (`npm/src/`) drives: bytes, time and commands in, a batch of events out. Each platform
//! entry's wasm holds it and its platform's core (`cloudplugs.rs`, `things_stack.rs`,
//! `thingsboard.rs`), driven the same way. The payload helpers (`payload.rs`) are plain functions,
//! in a wasm of their own without the client (`--features payload` alone).

#[cfg(all(feature = "small-alloc", not(target_feature = "atomics")))]
#[global_allocator]
static TALC: talc::wasm::WasmDynamicTalc = talc::wasm::new_wasm_dynamic_allocator();

#[cfg(feature = "bench")]
mod bench;
#[cfg(feature = "cloudplugs")]
mod cloudplugs;
#[cfg(any(not(feature = "payload"), feature = "thingsboard", feature = "things-stack", feature = "cloudplugs"))]
mod core;
mod errors;
// The payload entry's helpers: its wasm has them and no client (`payload` alone).
#[cfg(all(feature = "payload", not(any(feature = "thingsboard", feature = "things-stack", feature = "cloudplugs"))))]
mod payload;
#[cfg(feature = "shared")]
mod shared;
#[cfg(feature = "things-stack")]
mod things_stack;
#[cfg(feature = "thingsboard")]
mod thingsboard;

#[cfg(feature = "cloudplugs")]
pub use cloudplugs::CloudPlugsCore;
#[cfg(any(not(feature = "payload"), feature = "thingsboard", feature = "things-stack", feature = "cloudplugs"))]
pub use core::ClientCore;
#[cfg(feature = "shared")]
pub use shared::SharedCore;
#[cfg(feature = "things-stack")]
pub use things_stack::ThingsStackCore;
#[cfg(feature = "thingsboard")]
pub use thingsboard::ThingsBoardCore;
