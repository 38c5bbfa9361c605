// stub
pub mod admin;
use crate::config::{ThingsStackSeed, Timings};
use crate::mqtt::packet::Connect;
use crate::session::{PlatformGate, PlatformSession, Refusal, SessionHandle};
use std::sync::Arc;
pub struct ThingsStack;
impl ThingsStack {
    pub fn new(_s: &ThingsStackSeed, _t: &Timings, _sd: tokio::sync::watch::Receiver<bool>) -> Arc<Self> {
        Arc::new(Self)
    }
}
pub struct ThingsStackGate(pub Arc<ThingsStack>);
impl PlatformGate for ThingsStackGate {
    fn name(&self) -> &'static str {
        "thethingsstack"
    }
    fn max_packet_size(&self) -> usize {
        1 << 20
    }
    fn accept(&self, _c: &Connect, _h: SessionHandle) -> Result<Box<dyn PlatformSession>, Refusal> {
        Err(Refusal { v3_code: 5, v5_code: 0x87, reason: "stub".into() })
    }
}
