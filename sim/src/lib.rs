// iotmqtt-sim: a local stand-in for ThingsBoard, The Things Stack and CloudPlugs, serving their MQTT
// APIs over WebSocket and TCP on loopback, with an admin HTTP API to drive the server side.

pub mod admin;
pub mod banner;
pub mod clock;
pub mod cloudplugs;
pub mod config;
pub mod http;
pub mod log;
pub mod mqtt;
pub mod net;
pub mod server;
pub mod session;
pub mod things_stack;
pub mod thingsboard;

pub use config::SimConfig;
pub use server::{start, BoundPorts, RunningSimulator};
