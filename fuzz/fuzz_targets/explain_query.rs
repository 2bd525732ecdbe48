#![no_main]
//! Fuzz target: `culprit explain` query parsing and free-text search on arbitrary text.

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let kb = culprit_kb::kb();
    let _ = culprit_kb::explain::Query::parse(&text, kb);
    let report = kb.search(&text);
    assert!(report.causes.windows(2).all(|w| w[0].score >= w[1].score));
});
