// MQTT on the server side: the packet codec and topic filter matching, shared by the three platforms.
// Each platform decides what a packet means; this module only knows the protocol.

pub mod packet;
pub mod topic;
