#![no_main]
//! Fuzz target: `culprit cluster` reading an arbitrary dump, then tracing a route and checking it.

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let mut snapshot = culprit_cluster::snapshot::Snapshot::default();
    let text = String::from_utf8_lossy(data);
    snapshot.add_text("fuzz.json", &text);
    snapshot.add_yaml("fuzz.yaml", &text);
    let _ = culprit_cluster::route::trace(&snapshot, "https://shop.example.com/api/x", None, None);
    let _ = culprit_cluster::checks::check(&snapshot, None);
});
