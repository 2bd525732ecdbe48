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

/// Values the cloud and Apache generators draw from.
fn ip() -> impl Strategy<Value = String> {
    (1u8..255, 0u8..255, 0u8..255, 1u8..255).prop_map(|(a, b, c, d)| format!("{a}.{b}.{c}.{d}"))
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 128, ..ProptestConfig::default() })]

    /// A Classic ELB line (AWS's field list) gives back its status, client and path.
    #[test]
    fn classic_elb_round_trips(
        client in ip(), port in 1u16..65535, status in 100u16..600, backend in proptest::option::of(100u16..600),
        path in "/[a-zA-Z0-9/_.-]{0,40}", day in 1u32..28,
    ) {
        let backend = backend.map_or("-".to_owned(), |b| b.to_string());
        let line = format!(
            r#"2015-05-{day:02}T23:39:43.945958Z my-loadbalancer {client}:{port} 10.0.0.1:80 0.000073 0.001048 0.000057 {status} {backend} 0 29 "GET http://www.example.com:80{path} HTTP/1.1" "curl/7.38.0" - -"#
        );
        let f = culprit_logs::formats::Format::by_name("elb").unwrap();
        let mut o = Observation::default();
        prop_assert!(f.parse(line.as_bytes(), &mut o).is_ok(), "{}", line);
        prop_assert_eq!(o.status, Some(status));
        prop_assert_eq!(o.client, client.as_bytes());
        let want = if path.is_empty() { "/" } else { path.as_str() };
        prop_assert_eq!(o.target, want.as_bytes());
    }

    /// A Cloudflare Logpush record reads the same whatever the order of its keys, with statuses
    /// written as numbers or strings.
    #[test]
    fn cloudflare_records_round_trip(
        edge in 100u16..600, origin in 0u16..600, client in ip(), path in "/[a-zA-Z0-9/_.-]{0,40}",
        order in Just((0..5).collect::<Vec<usize>>()).prop_shuffle(),
        quoted in any::<bool>(),
    ) {
        let q = |n: u16| if quoted { format!("\"{n}\"") } else { n.to_string() };
        let fields = [
            format!(r#""EdgeResponseStatus":{}"#, q(edge)),
            format!(r#""OriginResponseStatus":{}"#, q(origin)),
            format!(r#""ClientIP":"{client}""#),
            format!(r#""ClientRequestURI":"{path}""#),
            r#""EdgeStartTimestamp":"2020-10-13T19:49:36Z","Extra":{"a":[1,"]"]}"#.to_owned(),
        ];
        let line = format!("{{{}}}", order.iter().map(|&i| fields[i].as_str()).collect::<Vec<_>>().join(","));
        let f = culprit_logs::formats::Format::by_name("cloudflare").unwrap();
        let mut o = Observation::default();
        prop_assert!(f.parse(line.as_bytes(), &mut o).is_ok(), "{}", line);
        prop_assert_eq!(o.status, Some(edge));
        prop_assert_eq!(o.client, client.as_bytes());
        prop_assert_eq!(o.target, path.as_bytes());
        prop_assert_eq!(o.upstream_answered, origin == edge);
    }

    /// A CloudFront standard-log line (33 tab-separated fields) gives back its fields; the status
    /// 000 reads as 0.
    #[test]
    fn cloudfront_lines_round_trip(
        status in prop_oneof![Just(0u16), 100u16..600], client in ip(), path in "/[a-zA-Z0-9/_.-]{0,40}",
        result in prop::sample::select(vec!["Hit", "Miss", "Error", "RefreshHit", "Redirect"]),
    ) {
        let line = format!(
            "2019-12-04\t21:02:31\tLAX1\t392\t{client}\tGET\td111111abcdef8.cloudfront.net\t{path}\t{status:03}\t-\tcurl/8\t-\t-\t{result}\tSOX4xwn4XV6Q4rgb7XiVGOHms_BGlTAC4KyHmureZmBNrjGdRLiNIQ==\td111111abcdef8.cloudfront.net\thttps\t23\t0.001\t-\tTLSv1.2\tECDHE-RSA-AES128-GCM-SHA256\t{result}\tHTTP/2.0\t-\t-\t11040\t0.001\t{result}\ttext/html\t78\t-\t-"
        );
        let f = culprit_logs::formats::Format::by_name("cloudfront").unwrap();
        let mut o = Observation::default();
        prop_assert!(f.parse(line.as_bytes(), &mut o).is_ok(), "{}", line);
        prop_assert_eq!(o.status, Some(status));
        prop_assert_eq!(o.client, client.as_bytes());
        prop_assert_eq!(o.target, path.as_bytes());
        prop_assert_eq!(o.cache_hit, result == "Hit" || result == "RefreshHit");
    }

    /// An Apache error-log line (2.4's default ErrorLogFormat) gives back its client, port, time
    /// and, for AH00898, the path.
    #[test]
    fn apache_error_lines_round_trip(
        client in ip(), port in 1u16..65535, day in 1u32..29, hour in 0u32..24, micros in 0u32..1_000_000,
        pid in 1u32..100_000, path in "/[a-zA-Z0-9/_.-]{1,40}", errno in prop::sample::select(vec![104i64, 111, 70007, 20014]),
    ) {
        let line = format!(
            "[Sun Nov {day:2} {hour:02}:16:47.{micros:06} 2026] [proxy:error] [pid {pid}:tid 7] ({errno})Some text: [client {client}:{port}] AH00898: Error reading from remote server returned by {path}"
        );
        let e = culprit_logs::formats::apache_error::parse(line.as_bytes());
        prop_assert!(e.is_some(), "{}", line);
        let e = e.unwrap();
        prop_assert_eq!(e.client, client.as_bytes());
        let port = port.to_string();
        prop_assert_eq!(e.client_port, port.as_bytes());
        prop_assert_eq!(e.path, path.as_bytes());
        prop_assert_eq!(e.errno, Some(errno));
        let expected = time::days_from_civil(2026, 11, day) * 86_400_000 + i64::from(hour) * 3_600_000 + 16 * 60_000 + 47_000 + i64::from(micros / 1000);
        prop_assert_eq!(e.time_ms, expected);
    }

    /// A line written with an Apache LogFormat gives back what its directives hold.
    #[test]
    fn apache_formats_round_trip(
        client in ip(), port in 1u16..65535, status in 100u16..600, micros in 0u64..100_000_000,
        path in "/[a-zA-Z0-9/_.-]{0,40}", worker in proptest::option::of(1u16..65535), id in "[0-9a-f]{32}",
    ) {
        let f = culprit_logs::formats::Format::apache_custom(
            r#"%h %l %u %t "%r" %>s %b "%{Referer}i" "%{User-Agent}i" %D %{remote}p %{BALANCER_WORKER_NAME}e "%{X-Request-ID}i""#,
        ).unwrap();
        let w = worker.map_or("-".to_owned(), |p| format!("http://127.0.0.1:{p}"));
        let line = format!(r#"{client} - - [29/Nov/2026:14:16:47 +0000] "GET {path} HTTP/1.1" {status} 5 "-" "curl/8" {micros} {port} {w} "{id}""#);
        let mut o = Observation::default();
        prop_assert!(f.parse(line.as_bytes(), &mut o).is_ok(), "{}", line);
        prop_assert_eq!(o.status, Some(status));
        prop_assert_eq!(o.client, client.as_bytes());
        let port = port.to_string();
        prop_assert_eq!(o.client_port, port.as_bytes());
        prop_assert_eq!(o.request_id, id.as_bytes());
        prop_assert_eq!(o.request_time, Some(micros as f64 / 1e6));
        let addr = worker.map_or("-".to_owned(), |p| format!("127.0.0.1:{p}"));
        prop_assert_eq!(o.upstream.addr, addr.as_bytes());
    }
}
