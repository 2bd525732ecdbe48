//! The real-world corpus (`tests/corpus/*.jsonl`, sources in `tests/corpus/SOURCES.md`): lines
//! nobody on this project wrote, each read alone as a pasted excerpt is, without flags. Measures
//! per family how many are read, with the right status, and — where labelled — the right
//! generating layer, and holds those counts to a floor (`tests/corpus/FLOOR.tsv`) that only rises:
//! a change that reads fewer real lines fails.
//!
//! `cargo test -p culprit-logs --test corpus -- --nocapture` prints the table and every miss.

use culprit_logs::engine::Options;
use culprit_logs::pipeline::Analyzer;
use serde::Deserialize;
use std::collections::BTreeMap;
use std::fmt::Write as _;

const DIR: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/corpus");

#[derive(Deserialize)]
struct Labelled {
    line: String,
    kind: String,
    #[allow(dead_code)]
    family: String,
    status: Option<i64>,
    generated_by: Option<String>,
    #[allow(dead_code)]
    cause: Option<String>,
    #[allow(dead_code)]
    source: String,
    #[allow(dead_code)]
    note: String,
}

#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
struct Tally {
    lines: u32,
    read: u32,
    status: u32,
    labelled: u32,
    layer: u32,
}

/// Read one line alone, as a user pasting it would: sniffed, parsed, attributed.
fn read_alone(line: &str) -> Option<culprit_logs::engine::RequestRecord> {
    let mut a = Analyzer::new(Options::default());
    let input = a.add_input("pasted");
    let mut out = None;
    let mut sink = |r| out = Some(r);
    a.push_line(input, line.as_bytes(), Some(&mut sink));
    a.finish(Some(&mut sink));
    out
}

/// The status a line records, as culprit keeps it: `-1` (HAProxy) and `000` are "no status sent".
fn status_matches(want: i64, got: u16) -> bool {
    i64::from(got) == want || (want <= 0 && got == 0)
}

fn measure() -> (BTreeMap<String, Tally>, String) {
    let mut tallies: BTreeMap<String, Tally> = BTreeMap::new();
    let mut misses = String::new();
    let mut files: Vec<_> = std::fs::read_dir(DIR)
        .unwrap()
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "jsonl"))
        .collect();
    files.sort();
    for path in files {
        let family = path.file_stem().unwrap().to_string_lossy().into_owned();
        let text = std::fs::read_to_string(&path).unwrap();
        for (n, raw) in text.lines().enumerate() {
            let l: Labelled = serde_json::from_str(raw).unwrap_or_else(|e| panic!("{}:{}: {e}", path.display(), n + 1));
            if l.kind != "access" {
                continue;
            }
            let t = tallies.entry(family.clone()).or_default();
            t.lines += 1;
            let short: String = l.line.chars().take(140).collect();
            let Some(r) = read_alone(&l.line) else {
                let _ = writeln!(misses, "{family}:{} unread: {short}", n + 1);
                continue;
            };
            t.read += 1;
            match l.status {
                Some(want) if !status_matches(want, r.status) => {
                    let _ = writeln!(misses, "{family}:{} status {} (want {want}): {short}", n + 1, r.status);
                }
                _ => t.status += 1,
            }
            if let Some(want) = &l.generated_by {
                t.labelled += 1;
                if r.generated_by.id() == want {
                    t.layer += 1;
                } else {
                    let _ = writeln!(
                        misses,
                        "{family}:{} generated_by {} (want {want}, cause {}): {short}",
                        n + 1,
                        r.generated_by.id(),
                        r.cause
                    );
                }
            }
        }
    }
    (tallies, misses)
}

fn floor() -> BTreeMap<String, Tally> {
    let text = std::fs::read_to_string(format!("{DIR}/FLOOR.tsv")).unwrap_or_default();
    text.lines()
        .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
        .map(|l| {
            let f: Vec<&str> = l.split('\t').collect();
            let n = |i: usize| f.get(i).and_then(|v| v.trim().parse().ok()).unwrap_or(0);
            (f[0].to_owned(), Tally { lines: n(1), read: n(2), status: n(3), labelled: n(4), layer: n(5) })
        })
        .collect()
}

#[test]
fn real_lines_are_read_without_flags_and_never_fewer_than_before() {
    let (tallies, misses) = measure();
    let mut table = String::from("family\tlines\tread\tstatus\tlabelled\tlayer\n");
    let mut total = Tally::default();
    for (family, t) in &tallies {
        let _ = writeln!(table, "{family}\t{}\t{}\t{}\t{}\t{}", t.lines, t.read, t.status, t.labelled, t.layer);
        total.lines += t.lines;
        total.read += t.read;
        total.status += t.status;
        total.labelled += t.labelled;
        total.layer += t.layer;
    }
    let pct = |a: u32, b: u32| if b == 0 { 100.0 } else { f64::from(a) * 100.0 / f64::from(b) };
    println!("{table}");
    println!(
        "total: read {}/{} ({:.1}%), right status {} ({:.1}% of read), right layer {}/{} ({:.1}%)\n\nmisses:\n{misses}",
        total.read,
        total.lines,
        pct(total.read, total.lines),
        total.status,
        pct(total.status, total.read),
        total.layer,
        total.labelled,
        pct(total.layer, total.labelled),
    );
    let mut fell = Vec::new();
    for (family, min) in floor() {
        let got = tallies.get(&family).copied().unwrap_or_default();
        if got.read < min.read || got.status < min.status || got.layer < min.layer {
            fell.push(format!("{family}: now {got:?}, floor {min:?}"));
        }
    }
    assert!(fell.is_empty(), "fewer real lines read right than before:\n{}\n\n{table}\n{misses}", fell.join("\n"));
}

/// The Envoy family's readers sit early in the sniffing order: they must not claim another
/// proxy's line (wrapped and generic lines may hold anything, so they are left out).
#[test]
fn envoy_family_readers_claim_no_other_proxys_line() {
    use culprit_logs::formats::Format;
    let mut claimed = Vec::new();
    for entry in std::fs::read_dir(DIR).unwrap() {
        let path = entry.unwrap().path();
        let family = path.file_stem().unwrap().to_string_lossy().into_owned();
        let ours = ["envoy", "istio", "envoy-gateway", "contour", "cilium", "wrapped", "generic"];
        if path.extension().is_none_or(|x| x != "jsonl") || ours.contains(&family.as_str()) {
            continue;
        }
        for raw in std::fs::read_to_string(&path).unwrap().lines() {
            let l: Labelled = serde_json::from_str(raw).unwrap();
            for name in ["istio", "envoy", "envoy-json", "hubble", "hubble-json"] {
                let mut o = culprit_logs::Observation::default();
                if Format::by_name(name).unwrap().parse(l.line.as_bytes(), &mut o).is_ok() {
                    claimed.push(format!("{family} read as {name}: {}", l.line));
                }
            }
        }
    }
    assert!(claimed.is_empty(), "{}", claimed.join("\n"));
}
