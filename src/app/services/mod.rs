//! All of the dashboard's I/O: profile storage, connections per platform, and the sessions that
//! record what arrives for the pages to show. Components call these; they never talk to the network.

pub mod clipboard;
pub mod cloudplugs;
pub mod connection;
pub mod diagnostics;
pub mod firmware;
pub mod gateway;
pub mod generic;
pub mod message_properties;
pub mod payload;
pub mod profiles;
pub mod provisioning;
pub mod rpc_memory;
pub mod subscription_options;
pub mod things_stack;
pub mod thingsboard;
pub mod waveform;
