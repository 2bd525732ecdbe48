#![no_main]
//! Fuzz target: see `culprit_logs::fuzzing::generic_line` for the invariants checked.

libfuzzer_sys::fuzz_target!(|data: &[u8]| culprit_logs::fuzzing::generic_line(data));
