#![no_main]
//! Fuzz target: see `culprit_logs::fuzzing::custom_format` for the invariants checked.

libfuzzer_sys::fuzz_target!(|data: &[u8]| culprit_logs::fuzzing::custom_format(data));
