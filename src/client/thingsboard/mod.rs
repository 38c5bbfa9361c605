//! ThingsBoard on the async client: the device, gateway, firmware updater and provisioning types the
//! browser runs. Every rule they follow is in the pure `crate::platforms::thingsboard`.

pub mod device;
#[cfg(feature = "thingsboard-gateway")]
pub mod gateway;
pub mod ota;
#[cfg(feature = "thingsboard-provision")]
pub mod provisioning;
#[cfg(all(feature = "thingsboard-shared", feature = "shared-client"))]
mod shared;

pub use device::ThingsBoardDevice;
#[cfg(feature = "thingsboard-gateway")]
pub use gateway::ThingsBoardGateway;
pub use ota::{FirmwareEvent, FirmwareUpdater, OtaOptions};
#[cfg(feature = "thingsboard-provision")]
pub use provisioning::provision;
