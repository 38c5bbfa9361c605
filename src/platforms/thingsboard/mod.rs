//! The ThingsBoard MQTT device API (docs/platforms/thingsboard.md): a pure codec for every feature,
//! and `ThingsBoardDevice` / `ThingsBoardGateway` on the async client in the browser.

pub mod attributes;
pub mod checksum;
pub mod error;
pub mod firmware;
pub mod gateway;
pub mod limits;
pub mod options;
pub mod pacing;
pub mod provision;
pub mod rpc;
pub mod telemetry;
pub mod topics;

pub use attributes::{AttributeMirror, AttributeResponse, SharedAttributesUpdate};
pub use checksum::ChecksumAlgorithm;
pub use error::ThingsBoardError;
pub use firmware::{FirmwareState, PackageInfo, PackageKind};
pub use limits::SessionLimits;
pub use options::{Credentials, DeviceOptions};
pub use pacing::{Binding, Budget, Pacer, PacingStatus};
pub use provision::{CredentialsType, ProvisionRequest, ProvisionedCredentials};
pub use rpc::RpcRequest;
pub use telemetry::TelemetryRecord;

#[cfg(target_arch = "wasm32")]
pub mod device;
#[cfg(target_arch = "wasm32")]
pub mod gateway_client;
#[cfg(target_arch = "wasm32")]
pub mod ota;
#[cfg(target_arch = "wasm32")]
pub mod provisioning;

#[cfg(target_arch = "wasm32")]
pub use device::ThingsBoardDevice;
#[cfg(target_arch = "wasm32")]
pub use gateway_client::ThingsBoardGateway;
#[cfg(target_arch = "wasm32")]
pub use ota::{FirmwareEvent, FirmwareUpdater, OtaOptions};
#[cfg(target_arch = "wasm32")]
pub use provisioning::provision;
