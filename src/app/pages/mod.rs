//! One page per platform, plus generic MQTT and the connection profiles.

mod cloudplugs;
mod connections;
mod gateway;
mod generic;
mod things_stack;
mod thingsboard;

pub use cloudplugs::CloudPlugsPage;
pub use connections::ConnectionsPage;
pub use gateway::GatewayPage;
pub use generic::GenericPage;
pub use things_stack::ThingsStackPage;
pub use thingsboard::ThingsBoardPage;
