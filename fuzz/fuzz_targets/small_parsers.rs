#![no_main]
//! Fuzz target: see `culprit_logs::fuzzing::small_parsers` for the invariants checked.

libfuzzer_sys::fuzz_target!(|data: &[u8]| culprit_logs::fuzzing::small_parsers(data));
