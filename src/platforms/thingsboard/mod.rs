//! The ThingsBoard MQTT device API (docs/platforms/thingsboard.md), pure: a codec for every feature,
//! the session limits and their pacing, firmware updates. The Rust `ThingsBoardDevice` and the other
//! async types are in `crate::client::thingsboard`; the npm package's classes are TypeScript over
//! `crate::batch::thingsboard`.

pub mod attributes;
pub mod checksum;
pub mod error;
pub mod firmware;
pub mod gateway;
pub mod limits;
pub mod options;
pub mod pacing;
pub mod provision;
pub mod provision_exchange;
pub mod rpc;
pub mod session;
pub mod telemetry;
pub mod topics;
pub mod update_flow;
pub mod updater;
pub mod updates;

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

// The browser's async device types live in the shell (src/client/thingsboard); named here too.
#[cfg(all(target_arch = "wasm32", feature = "thingsboard-device", feature = "thingsboard-provision"))]
pub use crate::client::thingsboard::provision;
#[cfg(all(target_arch = "wasm32", feature = "thingsboard-device", feature = "thingsboard-gateway"))]
pub use crate::client::thingsboard::ThingsBoardGateway;
#[cfg(all(target_arch = "wasm32", feature = "thingsboard-device"))]
pub use crate::client::thingsboard::{FirmwareEvent, FirmwareUpdater, OtaOptions, ThingsBoardDevice};
