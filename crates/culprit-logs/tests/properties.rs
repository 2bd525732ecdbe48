//! Property tests of the parsers: arbitrary input never panics, and structured input round-trips.

use culprit_logs::formats::nginx::{NginxFormat, UPSTREAMINFO};
use culprit_logs::observation::{attempts, last_attempt, parse_f64};
use culprit_logs::{Observation, fuzzing, time};
use proptest::prelude::*;

/// One upstream attempt: (subnet byte, port, status, bytes, milliseconds).
type Try = (u8, u16, u16, u32, u32);

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn arbitrary_bytes_never_panic(data in proptest::collection::vec(any::<u8>(), 0..600)) {
        fuzzing::access_line(&data);
        fuzzing::error_line(&data);
        fuzzing::small_parsers(&data);
        fuzzing::chunker(&data);
    }

    #[test]
    fn arbitrary_formats_never_panic(fmt in "[$a-z_ \\[\\]\"-]{0,60}", line in ".{0,120}") {
        fuzzing::custom_format(format!("{fmt}\n{line}").as_bytes());
    }

    #[test]
    fn upstreaminfo_round_trips(
        status in 100u16..600,
        service in "[a-z][a-z0-9-]{0,30}",
        tries in proptest::collection::vec((1u8..255, 1u16..65535, 100u16..600, 0u32..100_000, 0u32..60_000), 1..4),
        id in "[0-9a-f]{32}",
        path in "/[a-zA-Z0-9/_.-]{0,60}",
        ua in "[ -!#-\\[\\]-~]{0,120}",
        day in 1u32..28, hour in 0u32..24,
    ) {
        let join = |f: &dyn Fn(&Try) -> String| tries.iter().map(f).collect::<Vec<_>>().join(", ");
        let addrs = join(&|t| format!("10.0.{}.1:{}", t.0, t.1));
        let lens = join(&|t| t.3.to_string());
        let times = join(&|t| format!("{}.{:03}", t.4 / 1000, t.4 % 1000));
        let statuses = join(&|t| t.2.to_string());
        let line = format!(
            "1.2.3.4 - - [{day:02}/Mar/2026:{hour:02}:00:00 +0000] \"GET {path} HTTP/1.1\" {status} 10 \"-\" \"{ua}\" 100 0.5 [{service}] [] {addrs} {lens} {times} {statuses} {id}"
        );
        let f = NginxFormat::compile(UPSTREAMINFO).unwrap();
        let mut o = Observation::default();
        prop_assert!(f.parse(line.as_bytes(), &mut o).is_ok(), "{}", line);
        prop_assert_eq!(o.status, Some(status));
        prop_assert_eq!(o.service, service.as_bytes());
        prop_assert_eq!(o.request_id, id.as_bytes());
        prop_assert_eq!(o.target, path.as_bytes());
        let a: Vec<_> = attempts(&o.upstream).collect();
        prop_assert_eq!(a.len(), tries.len());
        for (got, want) in a.iter().zip(&tries) {
            prop_assert_eq!(got.status, Some(want.2));
            prop_assert_eq!(got.length(), Some(u64::from(want.3)));
        }
        let last = last_attempt(&o.upstream).unwrap();
        prop_assert_eq!(last.addr, a.last().unwrap().addr);
        // The parser's one-attempt shortcut and the separator search agree.
        prop_assert_eq!(o.upstream.single, tries.len() == 1);
        let searched = last_attempt(&culprit_logs::observation::UpstreamLists { single: false, ..o.upstream }).unwrap();
        prop_assert_eq!(last, searched);
        let expected = time::days_from_civil(2026, 3, day) * 86_400_000 + i64::from(hour) * 3_600_000;
        prop_assert_eq!(o.time_ms, Some(expected));
    }

    #[test]
    fn fast_decimal_matches_std(whole in 0u64..1_000_000, frac in 0u32..1000) {
        let s = format!("{whole}.{frac:03}");
        let std: f64 = s.parse().unwrap();
        let ours = parse_f64(s.as_bytes()).unwrap();
        prop_assert!((ours - std).abs() <= std.abs() * 1e-12 + 1e-12);
    }

    #[test]
    fn fast_decimal_agrees_with_std_on_any_digits_and_points(s in "[0-9.]{1,24}") {
        let std = s.parse::<f64>().ok().filter(|v| v.is_finite());
        match (parse_f64(s.as_bytes()), std) {
            (Some(ours), Some(std)) => prop_assert!((ours - std).abs() <= std.abs() * 1e-12 + 1e-12, "{} {} {}", s, ours, std),
            (ours, std) => prop_assert_eq!(ours, std, "{}", s),
        }
    }

    #[test]
    fn utc_round_trip(secs in 0i64..4_000_000_000) {
        let text = time::format_utc(secs * 1000);
        prop_assert_eq!(time::parse_iso(text.as_bytes()), Some(secs * 1000));
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

    #[test]
    fn chunker_keeps_every_line(lines in proptest::collection::vec(proptest::collection::vec(b'a'..=b'z', 0..300), 0..200)) {
        let lines: Vec<String> = lines.into_iter().map(|l| String::from_utf8(l).unwrap()).collect();
        let data = lines.join("\n");
        fuzzing::chunker(data.as_bytes());
    }
}

/// Inputs the fuzzers found (fuzz/), kept so the fixes stay fixed: file names start with the target.
#[test]
fn fuzz_regressions() {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fuzz-regressions");
    let mut seen = 0;
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        let data = std::fs::read(&path).unwrap();
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        match name.split('-').next().unwrap() {
            "access_line" => fuzzing::access_line(&data),
            "small_parsers" => fuzzing::small_parsers(&data),
            "error_line" => fuzzing::error_line(&data),
            "custom_format" => fuzzing::custom_format(&data),
            "chunker" => fuzzing::chunker(&data),
            other => panic!("unknown target {other} for {name}"),
        }
        seen += 1;
    }
    assert!(seen >= 6);
}
