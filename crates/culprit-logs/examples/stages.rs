//! Where the time of a run goes, stage by stage, on one thread (the profile behind the README's
//! figures): splitting lines, parsing, attribution, aggregation. A harness, not a test.
//!
//!   cargo run --release -p culprit-logs --example stages -- /tmp/culprit-bench/access-4000000.log
//!
//! Reads up to 256 MiB of the file into memory first, so the disk and the page cache are out of it.

use std::io::Read as _;
use std::time::Instant;

use culprit_logs::formats::Format;
use culprit_logs::{Observation, attribute, last_attempt};

/// The literals between the fields of ingress-nginx's upstreaminfo line, in order: the walk finds
/// each one's first byte and steps over it.
const WALK: &[&[u8]] = &[
    b" - ", b" [", b"] \"", b"\" ", b" ", b" \"", b"\" \"", b"\" ", b" ", b" [", b"] [", b"] ", b" ", b" ", b" ", b" ",
];

fn main() {
    let path = std::env::args().nth(1).expect("usage: stages <ingress-nginx access log>");
    let mut data = Vec::new();
    std::fs::File::open(&path).expect("open").take(256 << 20).read_to_end(&mut data).expect("read");
    let end = data.iter().rposition(|&b| b == b'\n').map_or(0, |i| i + 1);
    data.truncate(end);
    let lines: Vec<&[u8]> = data.split(|&b| b == b'\n').filter(|l| !l.is_empty()).collect();
    let format = Format::by_name("ingress-nginx").expect("built-in format");
    let ctx = format.context(None);
    let n = lines.len() as f64;
    let per_line = |t: Instant| t.elapsed().as_secs_f64() * 1e9 / n;

    let t = Instant::now();
    let count = memchr::memchr_iter(b'\n', &data).count();
    println!("find newlines      {:6.1} ns/line ({count} lines, {} MB)", per_line(t), data.len() / 1_000_000);

    // The floor for any parser of this format: finding each separator with memchr, nothing else.
    let t = Instant::now();
    let mut walked = 0usize;
    for l in &lines {
        let mut pos = 0;
        for lit in WALK {
            match memchr::memchr(lit[0], &l[pos.min(l.len())..]) {
                Some(i) => pos += i + lit.len(),
                None => break,
            }
        }
        walked += usize::from(pos < l.len());
    }
    println!("separator walk     {:6.1} ns/line (memchr per field; {walked} lines walked to the id)", per_line(t));

    let t = Instant::now();
    let mut ok = 0usize;
    for l in &lines {
        let mut obs = Observation::default();
        ok += usize::from(format.parse(l, &mut obs).is_ok());
    }
    println!("parse              {:6.1} ns/line ({ok} parsed)", per_line(t));

    let t = Instant::now();
    let mut attributed = 0usize;
    for l in &lines {
        let mut obs = Observation::default();
        if format.parse(l, &mut obs).is_ok() {
            let last = last_attempt(&obs.upstream);
            attributed += usize::from(attribute::attribute_with(&obs, last, &ctx).is_some());
        }
    }
    println!("parse + attribute  {:6.1} ns/line ({attributed} attributed)", per_line(t));
}
