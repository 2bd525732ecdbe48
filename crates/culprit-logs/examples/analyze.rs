//! The batch face as `culprit logs --json` runs it (analysis, incident detection, report), without
//! the rest of the binary: a quick-to-build target for profilers. A harness, not a test.
//!
//!   cargo build --profile dist -p culprit-logs --example analyze
//!   valgrind --tool=callgrind target/dist/examples/analyze --threads 1 FILE...
//!
//! Prints the counts and the report's headline, so two builds can be checked to agree.

use culprit_logs::engine::{self, Options};
use culprit_logs::input::Source;
use culprit_logs::{incidents, report};

fn main() {
    let mut opts = Options::default();
    let mut sources = Vec::new();
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        if a == "--threads" {
            opts.threads = args.next().and_then(|n| n.parse().ok()).expect("--threads N");
        } else {
            sources.push(Source::File(a.into()));
        }
    }
    assert!(!sources.is_empty(), "usage: analyze [--threads N] FILE...");
    let analysis = engine::analyze(&sources, &opts, None, None);
    let detection = incidents::detect(&analysis.stats);
    let report = report::build_with(&analysis, &detection, None);
    let s = &analysis.stats;
    println!("lines {} parsed {} bad {} other {}", s.lines, s.parsed, s.bad.values().sum::<u64>(), s.other);
    for i in &report.incidents {
        println!("{}", i.headline);
    }
}
