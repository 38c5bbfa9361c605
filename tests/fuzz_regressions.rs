//! Replays every committed fuzz input — the corpus seeds and each crash a fuzz run found — through
//! the same harnesses the fuzzer runs (tests/fuzz_harness). A panic here is a regression.
#![cfg(not(target_arch = "wasm32"))]

mod fuzz_harness;

use std::path::Path;

fn replay(target: &str, harness: fn(&[u8])) -> usize {
    let mut count = 0;
    for dir in ["fuzz/corpus", "fuzz/regressions"] {
        let Ok(entries) = std::fs::read_dir(Path::new(env!("CARGO_MANIFEST_DIR")).join(dir).join(target)) else {
            continue;
        };
        for entry in entries.flatten() {
            let bytes = std::fs::read(entry.path()).expect("readable fuzz input");
            harness(&bytes);
            count += 1;
        }
    }
    count
}

#[test]
fn the_session_survives_every_committed_input() {
    assert!(replay("session_feed", fuzz_harness::session_feed) > 0, "the corpus is committed");
}

#[test]
fn thingsboard_parsers_survive_every_committed_input() {
    assert!(replay("thingsboard_payloads", fuzz_harness::thingsboard_payloads) > 0);
}

#[test]
fn things_stack_parsers_survive_every_committed_input() {
    assert!(replay("things_stack_payloads", fuzz_harness::things_stack_payloads) > 0);
}

#[test]
fn cloudplugs_parsers_survive_every_committed_input() {
    assert!(replay("cloudplugs_payloads", fuzz_harness::cloudplugs_payloads) > 0);
}
