//! The Things Stack: events on every topic and the payload helpers, from arbitrary bytes.
#![no_main]

#[path = "../../tests/fuzz_harness/mod.rs"]
mod harness;

libfuzzer_sys::fuzz_target!(|data: &[u8]| harness::things_stack_payloads(data));
