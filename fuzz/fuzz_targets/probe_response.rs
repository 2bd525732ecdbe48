#![no_main]
//! Fuzz target: what `culprit probe` does with a response a server chose — fingerprinting,
//! rate-limit decoding, API hygiene — and the URL/override parsers, on arbitrary bytes.

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let status = data.first().map_or(200, |b| 100 + u16::from(*b) * 2);
    culprit_probe::fuzzing::analyse_response(status, data);
    culprit_probe::fuzzing::parse_inputs(&String::from_utf8_lossy(data));
});
