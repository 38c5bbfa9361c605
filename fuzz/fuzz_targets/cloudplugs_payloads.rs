//! CloudPlugs: data records, enrollment replies and property replies, from arbitrary bytes.
#![no_main]

#[path = "../../tests/fuzz_harness/mod.rs"]
mod harness;

libfuzzer_sys::fuzz_target!(|data: &[u8]| harness::cloudplugs_payloads(data));
