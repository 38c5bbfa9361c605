//! The three platforms' MQTT APIs, pure: topics, payloads, validation, correlation, pacing, tested
//! natively. The Rust async types the browser runs are in `crate::client`; the npm package's classes
//! are TypeScript (`npm/src/<platform>/`) over the platforms' cores in `crate::batch`.

//! Each platform is a cargo feature (all on by default).

#[cfg(feature = "cloudplugs")]
pub mod cloudplugs;
// The payload helpers are in it too, for builds without the rest of the platform.
#[cfg(feature = "payload")]
pub mod things_stack;
#[cfg(feature = "thingsboard")]
pub mod thingsboard;

pub mod subscriptions;
