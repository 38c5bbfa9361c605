// stub
pub mod admin;
use crate::config::CloudPlugsSeed;
use crate::mqtt::packet::Connect;
use crate::session::{PlatformGate, PlatformSession, Refusal, SessionHandle};
use std::sync::Arc;
pub struct CloudPlugs;
impl CloudPlugs {
    pub fn new(_s: &CloudPlugsSeed) -> Arc<Self> {
        Arc::new(Self)
    }
}
pub struct CloudPlugsGate(pub Arc<CloudPlugs>);
impl PlatformGate for CloudPlugsGate {
    fn name(&self) -> &'static str {
        "cloudplugs"
    }
    fn max_packet_size(&self) -> usize {
        1 << 20
    }
    fn accept(&self, _c: &Connect, _h: SessionHandle) -> Result<Box<dyn PlatformSession>, Refusal> {
        Err(Refusal { v3_code: 5, v5_code: 0x87, reason: "stub".into() })
    }
}
