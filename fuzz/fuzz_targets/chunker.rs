#![no_main]
//! Fuzz target: see `culprit_logs::fuzzing::chunker` for the invariants checked.

libfuzzer_sys::fuzz_target!(|data: &[u8]| culprit_logs::fuzzing::chunker(data));
