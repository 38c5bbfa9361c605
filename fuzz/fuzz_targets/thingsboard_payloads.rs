//! Every ThingsBoard payload the server can send, parsed from arbitrary bytes. Nothing may panic.
#![no_main]

#[path = "../../tests/fuzz_harness/mod.rs"]
mod harness;

libfuzzer_sys::fuzz_target!(|data: &[u8]| harness::thingsboard_payloads(data));
