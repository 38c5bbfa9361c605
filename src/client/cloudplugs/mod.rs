//! CloudPlugs on the async client: the device type the browser runs. The rules are in
//! `crate::platforms::cloudplugs`.

mod device;

pub use device::{CloudPlugsDevice, DataStream};
