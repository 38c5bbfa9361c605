//! The inbound path: any bytes, in any chunking, fed to a connecting or connected session of
//! either MQTT version, with timers firing in between. Nothing may panic.
#![no_main]

#[path = "../../tests/fuzz_harness/mod.rs"]
mod harness;

libfuzzer_sys::fuzz_target!(|data: &[u8]| harness::session_feed(data));
