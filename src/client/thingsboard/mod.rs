//! ThingsBoard on the async client: the device, gateway, firmware updater and provisioning types the
//! browser runs. Every rule they follow is in the pure `crate::platforms::thingsboard`.

pub mod device;
pub mod gateway;
pub mod ota;
pub mod provisioning;

pub use device::ThingsBoardDevice;
pub use gateway::ThingsBoardGateway;
pub use ota::{FirmwareEvent, FirmwareUpdater, OtaOptions};
pub use provisioning::provision;
