//! One core, two faces: the shipped example read by the batch face (parallel chunks, error log
//! indexed first) and fed line by line to the streaming face (error lines joined from a window)
//! gives the same counts, the same incidents and the same report.

use culprit_logs::engine::{self, Options};
use culprit_logs::input::Source;
use culprit_logs::{Analyzer, incidents, report};
use std::io::Read;

const EXAMPLE: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../examples/incident-502/ingress-nginx.log.gz");

fn example() -> Vec<u8> {
    let mut out = Vec::new();
    flate2::read::GzDecoder::new(std::fs::File::open(EXAMPLE).unwrap()).read_to_end(&mut out).unwrap();
    out
}

#[test]
fn streaming_line_by_line_equals_batch() {
    let opts = Options { threads: 2, ..Options::default() };
    let batch = engine::analyze(&[Source::File(EXAMPLE.into())], &opts, None, None);

    let mut analyzer = Analyzer::new(opts.clone());
    let input = analyzer.add_input(EXAMPLE);
    let data = example();
    let mut records = Vec::new();
    let mut sink = |r| records.push(r);
    let text = data.strip_suffix(b"\n").unwrap_or(&data);
    for (i, line) in text.split(|&b| b == b'\n').enumerate() {
        analyzer.push_line(input, line, Some(&mut sink));
        if i == 5000 {
            // A snapshot mid-stream sees what was read so far and leaves the stream going.
            let snap = analyzer.snapshot();
            assert!(snap.stats.parsed > 4000 && snap.stats.parsed < 5100, "{}", snap.stats.parsed);
        }
    }
    let streamed = analyzer.finish(Some(&mut sink));

    let (b, s) = (&batch.stats, &streamed.stats);
    assert_eq!((b.lines, b.parsed, b.other, b.joined), (s.lines, s.parsed, s.other, s.joined));
    assert_eq!(records.len() as u64, s.matched);
    let mut b_services: Vec<_> = b.services.iter().map(|x| (&x.name, x.requests, x.errors)).collect();
    let mut s_services: Vec<_> = s.services.iter().map(|x| (&x.name, x.requests, x.errors)).collect();
    b_services.sort();
    s_services.sort();
    assert_eq!(b_services, s_services);

    let (rb, rs) = (
        report::build(&batch, &incidents::detect(&batch.stats)),
        report::build(&streamed, &incidents::detect(&streamed.stats)),
    );
    assert!(!rb.incidents.is_empty());
    let heads = |r: &report::LogReport| r.incidents.iter().map(|i| i.headline.clone()).collect::<Vec<_>>();
    assert_eq!(heads(&rb), heads(&rs));
    assert_eq!(rb.incidents[0].causes, rs.incidents[0].causes, "same causes, evidence and example line");
    assert_eq!(rb.chronic, rs.chronic);
    assert_eq!(rb.timeline, rs.timeline);
    let (jb, js) = (rb.join.unwrap(), rs.join.unwrap());
    assert_eq!((jb.lines, jb.used), (js.lines, js.used), "the window holds every error line its request needs");
}

#[test]
fn bytes_in_any_cuts_read_like_lines() {
    let data = example();
    let opts = Options::default();
    let mut whole = Analyzer::new(opts.clone());
    let a = whole.add_input("x");
    whole.push_bytes(a, &data, None);
    let whole = whole.finish(None);
    let mut cut = Analyzer::new(opts);
    let b = cut.add_input("x");
    for piece in data.chunks(777) {
        cut.push_bytes(b, piece, None);
    }
    let cut = cut.finish(None);
    assert_eq!((whole.stats.lines, whole.stats.parsed), (cut.stats.lines, cut.stats.parsed));
    assert_eq!(whole.stats.parsed, 12_000);
}
