//! Property tests of the parsers: arbitrary input never panics, and structured input round-trips.

use culprit_logs::formats::Format;
use culprit_logs::formats::nginx::{NginxFormat, UPSTREAMINFO};
use culprit_logs::observation::{attempts, last_attempt, parse_f64};
use culprit_logs::{Observation, fuzzing, time};
use proptest::prelude::*;
use std::fmt::Write as _;

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
        fuzzing::generic_line(&data);
    }

    #[test]
    fn collector_prefixes_come_off_an_access_line_and_nothing_else(
        service in "[a-z][a-z0-9_-]{0,20}",
        pad in 1usize..12,
        host in "[a-z][a-z0-9-]{0,15}",
        pid in 1u32..99_999,
        day in 1u32..28,
        path in "/[a-zA-Z0-9/_.-]{0,60}",
        status in 100u16..600,
        wrap in 0usize..4,
    ) {
        let line = format!(
            "10.0.0.7 - - [{day:02}/Mar/2026:10:00:00 +0000] \"GET {path} HTTP/1.1\" {status} 12 \"-\" \"curl/8\""
        );
        let compose = format!("{service}{}| {line}", " ".repeat(pad));
        let wrapped = match wrap {
            0 => compose,
            1 => format!("Mar {day:>2} 10:00:01 {host} nginx[{pid}]: {line}"),
            2 => format!("Mar {day:>2} 10:00:01 {host} docker[{pid}]: {compose}"),
            _ => format!("2026-03-{day:02}T10:00:01.123456789Z {line}"),
        };
        let (off, bare) = (
            culprit_logs::wrapper::strip_prefixes(wrapped.as_bytes()).into_owned(),
            culprit_logs::wrapper::strip_prefixes(line.as_bytes()).into_owned(),
        );
        prop_assert_eq!(off, line.as_bytes());
        prop_assert_eq!(bare, line.as_bytes());
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

/// A syslog header as rsyslog, journald, RFC 5424 senders or nothing write it.
fn syslog_header() -> impl Strategy<Value = String> {
    prop_oneof![
        Just(String::new()),
        "[a-z][a-z0-9-]{0,12}".prop_map(|host| format!("Mar  8 14:00:00 {host} haproxy[42]: ")),
        "[a-z]{1,10}".prop_map(|tag| format!("<134>Mar  8 14:00:00 {tag}[7]: ")),
        "[a-z]{1,10}".prop_map(|tag| format!("<134>1 2026-03-08T14:00:00.123+01:00 lb {tag} 42 - - ")),
        Just("2026-03-08T14:00:00+00:00 lb haproxy[42]: ".to_owned()),
    ]
}

/// An HAProxy termination state: the first two characters from §8.5's alphabets, cookie flags.
fn termination_state() -> impl Strategy<Value = String> {
    ("[-CcSsPLRIDUK]", "[-RQCHDLT]", "[-NIDVEOU]", "[-NIUPRD]").prop_map(|(a, b, c, d)| format!("{a}{b}{c}{d}"))
}

fn haproxy_timer() -> impl Strategy<Value = i64> {
    prop_oneof![Just(-1i64), 0i64..100_000]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn arbitrary_haproxy_formats_never_panic(fmt in "[%a-zA-Z{}()\\[\\]+/:\" -]{0,60}", line in ".{0,120}") {
        fuzzing::custom_format(format!("{fmt}\n{line}").as_bytes());
    }

    /// `option httplog` lines read by the hand-written reader and by the same layout given as a
    /// `log-format` (`--haproxy-format`) give the same fields, behind any syslog header.
    #[test]
    fn haproxy_httplog_round_trips(
        header in syslog_header(),
        port in 1u16..65535,
        day in 1u32..28, hour in 0u32..24, ms in 0u32..1000,
        frontend in "[a-z][a-z0-9_-]{0,15}~?",
        backend in "[a-z][a-z0-9_-]{0,15}",
        server in prop_oneof![Just("<NOSRV>".to_owned()), "[a-z][a-z0-9_-]{0,15}"],
        timers in proptest::collection::vec(haproxy_timer(), 5),
        status in prop_oneof![Just(-1i32), 100i32..600],
        bytes in 0u64..10_000_000,
        state in termination_state(),
        captures in prop_oneof![Just(String::new()), "\\{[a-zA-Z0-9.|-]{0,30}\\} ", "\\{[a-z]{0,10}\\} \\{[a-z]{0,10}\\} "],
        path in "/[a-zA-Z0-9/_.?=&-]{0,60}",
    ) {
        let t: Vec<String> = timers.iter().map(i64::to_string).collect();
        let line = format!(
            "{header}10.0.0.7:{port} [{day:02}/Mar/2026:{hour:02}:00:00.{ms:03}] {frontend} {backend}/{server} {} {status} {bytes} - - {state} 1/1/0/0/0 0/0 {captures}\"GET {path} HTTP/1.1\"",
            t.join("/")
        );
        let httplog = Format::by_name("haproxy").unwrap();
        let custom = Format::haproxy_custom("${HAPROXY_HTTP_LOG_FMT}").unwrap();
        let (mut a, mut b) = (Observation::default(), Observation::default());
        prop_assert!(httplog.parse(line.as_bytes(), &mut a).is_ok(), "{}", line);
        prop_assert!(custom.parse(line.as_bytes(), &mut b).is_ok(), "{}", line);
        prop_assert_eq!(a.status, Some(u16::try_from(status.max(0)).unwrap()));
        prop_assert_eq!(a.service, backend.as_bytes());
        prop_assert_eq!(a.target, path.as_bytes());
        let client = format!("10.0.0.7:{port}");
        prop_assert_eq!(a.client, client.as_bytes());
        let expected = time::days_from_civil(2026, 3, day) * 86_400_000 + i64::from(hour) * 3_600_000 + i64::from(ms);
        prop_assert_eq!(a.time_ms, Some(expected));
        // HAProxy answering itself (L…) names no server that answered.
        let none = server == "<NOSRV>" || state.starts_with('L');
        prop_assert_eq!(a.upstream.addr, if none { &b"-"[..] } else { server.as_bytes() }, "{}", line);
        prop_assert_eq!(
            (a.status, a.service, a.target, a.upstream.addr, a.signals, a.upstream_answered, a.proxy_answered, a.time_ms),
            (b.status, b.service, b.target, b.upstream.addr, b.signals, b.upstream_answered, b.proxy_answered, b.time_ms)
        );
    }

    /// `option httplog clf` lines: the hand-written reader and the layout as a `log-format` agree.
    #[test]
    fn haproxy_clf_round_trips(
        header in syslog_header(),
        timers in proptest::collection::vec(haproxy_timer(), 5),
        status in 100u16..600,
        state in termination_state(),
        server in prop_oneof![Just("<NOSRV>".to_owned()), "[a-z][a-z0-9_-]{0,15}"],
        path in "/[a-zA-Z0-9/_.?=&-]{0,60}",
    ) {
        let t: Vec<String> = timers.iter().map(i64::to_string).collect();
        let line = format!(
            "{header}10.0.1.2 - - [06/Feb/2009:12:14:14 +0000] \"GET {path} HTTP/1.1\" {status} 2750 \"\" \"\" 33317 655 \"http-in\" \"static\" \"{server}\" {} {state} 1 1 1 1 0 0 0 \"\" \"\" \"1wt.eu\" \"\"",
            t.join(" ")
        );
        let clf = Format::by_name("haproxy-clf").unwrap();
        let custom = Format::haproxy_custom("${HAPROXY_HTTP_CLF_LOG_FMT}").unwrap();
        let (mut a, mut b) = (Observation::default(), Observation::default());
        prop_assert!(clf.parse(line.as_bytes(), &mut a).is_ok(), "{}", line);
        prop_assert!(custom.parse(line.as_bytes(), &mut b).is_ok(), "{}", line);
        prop_assert_eq!((a.status, a.target), (Some(status), path.as_bytes()));
        prop_assert_eq!(
            (a.status, a.service, a.target, a.upstream.addr, a.signals, a.upstream_answered, a.proxy_answered),
            (b.status, b.service, b.target, b.upstream.addr, b.signals, b.upstream_answered, b.proxy_answered)
        );
    }

    /// Traefik's `common` lines of every era (bare or quoted `-`, frontend or router, escaped
    /// quotes) give back their fields; no server URL means Traefik answered.
    #[test]
    fn traefik_common_round_trips(
        status in 100u16..600,
        size in 0u64..1_000_000,
        agent in "[ -!#-\\[\\]-~]{0,40}",
        router in prop_oneof![Just(None), "[a-z][a-z0-9-]{0,20}@(docker|kubernetes|file|internal)".prop_map(Some)],
        server in prop_oneof![Just(None), (1u8..255, 1u16..65535).prop_map(Some)],
        quoted_dash in any::<bool>(),
        ms in 0u64..100_000,
        path in "/[a-zA-Z0-9/_.?=&-]{0,60}",
    ) {
        let dash = if quoted_dash { "\"-\"" } else { "-" };
        let r = router.as_ref().map_or(dash.to_owned(), |r| format!("\"{r}\""));
        let u = server.map_or(dash.to_owned(), |(ip, port)| format!("\"http://10.1.{ip}.9:{port}\""));
        let line = format!("10.0.0.1 - - [08/Mar/2026:14:00:00 +0000] \"GET {path} HTTP/2.0\" {status} {size} {dash} \"{agent}\" 7 {r} {u} {ms}ms");
        let f = Format::by_name("traefik-common").unwrap();
        let mut o = Observation::default();
        prop_assert!(f.parse(line.as_bytes(), &mut o).is_ok(), "{}", line);
        prop_assert_eq!((o.status, o.bytes_sent, o.target), (Some(status), Some(size), path.as_bytes()));
        prop_assert_eq!(o.request_time, Some(ms as f64 / 1000.0));
        let internal = router.as_ref().is_some_and(|r| r.ends_with("@internal"));
        prop_assert_eq!(o.proxy_answered, server.is_none() || internal);
        if let (Some((ip, port)), false) = (server, internal) {
            let addr = format!("10.1.{ip}.9:{port}");
            prop_assert_eq!(o.upstream.addr, addr.as_bytes());
        }
    }

    /// One Caddy entry in the JSON and the console encodings reads the same.
    #[test]
    fn caddy_console_reads_as_json(
        status in prop_oneof![Just(0u16), 100u16..600],
        secs in 1_600_000_000i64..1_900_000_000, millis in 0i64..1000,
        uri in "/[a-zA-Z0-9/_.?=&-]{0,60}",
        date in any::<bool>(),
        error in "(dial tcp 10\\.0\\.0\\.1:80: connect: connection refused|EOF|no upstreams available|[a-z ]{1,30})",
    ) {
        let request = format!(r#""request": {{"remote_ip": "10.0.0.9", "remote_port": "5000", "method": "GET", "host": "a.example", "uri": "{uri}"}}"#);
        let headers = if date { r#", "resp_headers": {"Date": ["Sun, 08 Mar 2026 14:00:00 GMT"]}"# } else { r#", "resp_headers": {"Server": ["Caddy"]}"# };
        let fields = format!(r#"{request}, "duration": 0.25, "size": 10, "status": {status}{headers}"#);
        let ts = secs as f64 + millis as f64 / 1000.0;
        let wall = time::format_utc(secs * 1000).replace('-', "/");
        let json = format!(r#"{{"level":"info","ts":{ts},"logger":"http.log.access","msg":"handled request",{fields}}}"#);
        let console = format!("{wall}.{millis:03}\t\x1b[34mINFO\x1b[0m\thttp.log.access\thandled request\t{{{fields}}}");
        let (mut a, mut b) = (Observation::default(), Observation::default());
        prop_assert!(Format::by_name("caddy").unwrap().parse(json.as_bytes(), &mut a).is_ok(), "{}", json);
        prop_assert!(Format::by_name("caddy-console").unwrap().parse(console.as_bytes(), &mut b).is_ok(), "{}", console);
        prop_assert_eq!((a.status, a.client, a.target, a.upstream_answered), (b.status, b.client, b.target, b.upstream_answered));
        prop_assert_eq!(b.time_ms, Some(secs * 1000 + millis));
        prop_assert!(a.time_ms.is_some_and(|t| (t - (secs * 1000 + millis)).abs() <= 1));
        // The same request's error entry, alone, is a request Caddy answered.
        // (499: the client left, whatever the entry says.)
        if status >= 400 && status != 499 {
            let entry = format!("{wall}.{millis:03}\tERROR\thttp.log.error\t{error}\t{{{request}, \"duration\": 0.25, \"status\": {status}}}");
            let f = Format::by_name("caddy-errors").unwrap();
            let mut e = Observation::default();
            prop_assert!(f.parse(entry.as_bytes(), &mut e).is_ok(), "{}", entry);
            let att = culprit_logs::attribute::attribute(&e, &f.context(None)).unwrap();
            prop_assert_eq!((e.status, e.target), (Some(status), uri.as_bytes()));
            prop_assert_eq!(att.generated_by, culprit_kb::GeneratedBy::Proxy);
        }
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

/// Envoy text layouts as the proxies' format strings write them (see `formats/envoy.rs`): the
/// Envoy default, Istio 1.0 (Mixer status), Istio 1.5–1.8, Istio 1.9+, and a custom layout with the
/// details after the flags.
fn envoy_line(layout: u8, f: &EnvoyFields) -> String {
    let head = format!(
        "[2026-03-08T14:{:02}:{:02}.123Z] \"{} {} HTTP/1.1\" {} {}",
        f.minute, f.second, f.method, f.path, f.status, f.flags
    );
    let counters =
        format!("{} {} {} {}", f.received, f.sent, f.duration, f.ust.map_or("-".to_owned(), |t| t.to_string()));
    let quoted = format!("\"{}\" \"{}\" \"{}\" \"{}\" \"{}\"", f.xff, f.ua, f.id, f.authority, f.upstream);
    let istio_tail = format!("{} - 10.0.0.9:8080 10.0.0.7:41234 - default", f.cluster);
    match layout {
        0 => format!("{head} {counters} {quoted}"),
        1 => format!("{head} \"-\" {counters} {quoted} {} - 10.0.0.9:8080 10.0.0.7:41234 -", f.cluster),
        2 => format!("{head} \"-\" \"-\" {counters} {quoted} {istio_tail}"),
        3 => format!("{head} {} - \"-\" {counters} {quoted} {istio_tail}", f.details),
        _ => format!("{head} {} {counters} {quoted}", f.details),
    }
}

#[derive(Debug, Clone)]
struct EnvoyFields {
    minute: u32,
    second: u32,
    method: String,
    path: String,
    status: u16,
    flags: String,
    details: String,
    received: u32,
    sent: u32,
    duration: u32,
    ust: Option<u32>,
    xff: String,
    ua: String,
    id: String,
    authority: String,
    upstream: String,
    cluster: String,
}

fn envoy_fields() -> impl Strategy<Value = EnvoyFields> {
    let flags = proptest::sample::select(vec![
        "-", "UF", "UH", "UO", "NR", "UT", "UC", "URX", "UF,URX", "DC", "UAEX", "RL", "DPE",
    ]);
    let details = proptest::sample::select(vec![
        "via_upstream",
        "no_healthy_upstream",
        "route_not_found",
        "upstream_reset_before_response_started{connection_failure,delayed_connect_error:_111}",
        "upstream_reset_before_response_started{remote_connection_failure|delayed_connect_error:_Connection_refused}",
        "response_timeout",
        "direct_response",
        "rbac_access_denied_matched_policy[none]",
    ]);
    (
        (0u32..60, 0u32..60, "[A-Z]{3,7}", "/[a-zA-Z0-9/_.?=&-]{0,50}", 0u16..600, flags, details),
        (0u32..100_000, 0u32..100_000, 0u32..60_000, proptest::option::of(0u32..60_000)),
        (
            "[-0-9., ]{1,30}",
            "[ !#-~]{0,80}",
            "[0-9a-f-]{1,36}",
            "[a-z0-9.:-]{1,40}",
            "(-|10\\.[0-9]{1,3}\\.[0-9]{1,3}\\.[0-9]{1,3}:[0-9]{2,5})",
        ),
        "(outbound|inbound)\\|[0-9]{2,5}\\|\\|[a-z.]{1,30}",
    )
        .prop_map(
            |(
                (minute, second, method, path, status, flags, details),
                (received, sent, duration, ust),
                (xff, ua, id, authority, upstream),
                cluster,
            )| EnvoyFields {
                minute,
                second,
                method,
                path,
                status,
                flags: flags.to_owned(),
                details: details.to_owned(),
                received,
                sent,
                duration,
                ust,
                xff: xff.trim().to_owned(),
                ua: ua.trim().to_owned(),
                id,
                authority,
                upstream,
                cluster,
            },
        )
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn envoy_text_lines_round_trip_in_every_layout(layout in 0u8..5, f in envoy_fields()) {
        use culprit_logs::formats::envoy;
        let line = envoy_line(layout, &f);
        let mut o = Observation::default();
        let shape = envoy::parse_text(line.as_bytes(), &mut o);
        prop_assert!(shape.is_ok(), "{:?}: {}", shape, line);
        prop_assert_eq!(shape.unwrap().istio, (1..=3).contains(&layout), "{}", line);
        // A TCP-like line (no method) with status 0 and no flag has no status; all others keep it.
        prop_assert_eq!(o.status, Some(f.status), "{}", line);
        prop_assert_eq!(o.method, f.method.as_bytes());
        prop_assert_eq!(o.target, f.path.as_bytes());
        prop_assert_eq!(o.bytes_sent, Some(u64::from(f.sent)));
        prop_assert_eq!(o.request_time, Some(f64::from(f.duration) / 1000.0));
        prop_assert_eq!(o.request_id, f.id.as_bytes());
        prop_assert_eq!(o.host, f.authority.as_bytes());
        prop_assert_eq!(o.upstream.addr, f.upstream.as_bytes());
        let expected = time::days_from_civil(2026, 3, 8) * 86_400_000 + 14 * 3_600_000 + i64::from(f.minute) * 60_000 + i64::from(f.second) * 1000 + 123;
        prop_assert_eq!(o.time_ms, Some(expected));
        if (1..=3).contains(&layout) {
            prop_assert_eq!(o.service, f.cluster.as_bytes());
        }
        // Whatever the vocabulary says, it attributes without panicking.
        let ctx = culprit_logs::formats::Format::by_name("envoy").unwrap().context(None);
        prop_assert!(culprit_logs::attribute::attribute(&o, &ctx).is_some());
    }

    #[test]
    fn envoy_json_lines_round_trip_whatever_the_key_order_and_types(
        f in envoy_fields(),
        typed in any::<bool>(),
        order in Just((0..9).collect::<Vec<usize>>()).prop_shuffle(),
    ) {
        let num = |n: String| if typed { n } else { format!("\"{n}\"") };
        let members = [
            format!("\"response_code\":{}", num(f.status.to_string())),
            format!("\"response_flags\":\"{}\"", f.flags),
            format!("\"response_code_details\":\"{}\"", f.details),
            format!("\"method\":\"{}\"", f.method),
            format!("\"path\":\"{}\"", f.path),
            format!("\":authority\":\"{}\"", f.authority),
            format!("\"upstream_host\":{}", if f.upstream == "-" && typed { "null".to_owned() } else { format!("\"{}\"", f.upstream) }),
            format!("\"duration\":{}", num(f.duration.to_string())),
            format!("\"start_time\":\"2026-03-08T14:{:02}:{:02}.123Z\"", f.minute, f.second),
        ];
        let line = format!("{{{}}}", order.iter().map(|&i| members[i].as_str()).collect::<Vec<_>>().join(","));
        let mut o = Observation::default();
        let read = culprit_logs::formats::envoy_json::parse(line.as_bytes(), &mut o);
        prop_assert!(read.is_ok(), "{:?}: {}", read, line);
        prop_assert_eq!(o.status, Some(f.status));
        prop_assert_eq!(o.method, f.method.as_bytes());
        prop_assert_eq!(o.target, f.path.as_bytes());
        // `-` is Envoy's "not set".
        prop_assert_eq!(o.host, if f.authority == "-" { &b""[..] } else { f.authority.as_bytes() });
        prop_assert_eq!(o.upstream.addr, f.upstream.as_bytes());
        prop_assert_eq!(o.request_time, Some(f64::from(f.duration) / 1000.0));
    }

    #[test]
    fn hubble_compact_lines_round_trip(
        status in 100u16..600,
        latency in 0u32..100_000,
        pod in "[a-z][a-z0-9-]{0,30}",
        path in "/[a-zA-Z0-9/_.-]{0,40}",
        identities in any::<bool>(),
    ) {
        let id = |s: &str| if identities { format!(" ({s})") } else { String::new() };
        let line = format!(
            "Mar  8 14:00:00.123: 10.0.0.7:41234{} <- default/{pod}:8080{} http-response FORWARDED (HTTP/1.1 {status} {latency}ms (GET http://svc.default{path}))",
            id("ID:1234"), id("ID:5678")
        );
        let mut o = Observation::default();
        prop_assert!(culprit_logs::formats::hubble::compact(line.as_bytes(), &mut o).is_ok(), "{}", line);
        prop_assert_eq!(o.status, Some(status));
        prop_assert_eq!(o.request_time, Some(f64::from(latency) / 1000.0));
        prop_assert_eq!(o.target, if path.is_empty() { &b"/"[..] } else { path.as_bytes() });
        prop_assert_eq!(o.host, &b"svc.default"[..]);
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
            "generic_line" => fuzzing::generic_line(&data),
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

/// Where a generic JSON line keeps its status: (key path, as a string or a number).
fn json_status(placement: u8, status: u16) -> String {
    match placement {
        0 => format!(r#""status":{status}"#),
        1 => format!(r#""statusCode":"{status}""#),
        2 => format!(r#""res":{{"statusCode":{status}}}"#),
        3 => format!(r#""http":{{"response":{{"status_code":"{status}","bytes":12}}}}"#),
        _ => format!(r#""response_code":"{status}""#),
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    /// A text line in a layout no registered format has (fields before and after, any of them
    /// missing) gives its status, request and bytes to the generic text reader, and labelled
    /// upstream fields after it are read.
    #[test]
    fn generic_text_lines_round_trip(
        lead in prop::sample::select(vec!["", "localhost:443 ", "app-1 sess42 "]),
        client in ip(),
        user in prop::sample::select(vec!["", " - -", " - jsmith"]),
        day in 1u32..28,
        method in prop::sample::select(vec!["GET", "POST", "PUT", "DELETE", "PATCH", "PROPFIND"]),
        path in "/[a-zA-Z0-9/_.-]{0,50}",
        status in 100u16..600,
        bytes in 0u32..10_000_000,
        tail in prop::sample::select(vec!["", r#" "-" "curl/8.5.0""#, " 1160", r#" "-" "Mozilla/5.0 (X11)" 0.004"#]),
        upstream in proptest::option::of((100u16..600, ip())),
    ) {
        let mut line = format!(
            r#"{lead}{client}{user} [{day:02}/Mar/2026:10:00:00 +0000] "{method} {path} HTTP/1.1" {status} {bytes}{tail}"#
        );
        if let Some((us, ua)) = &upstream {
            let _ = write!(line, r#" us="{us}" ua="{ua}:8080""#);
        }
        let f = Format::by_name("generic-text").unwrap();
        let mut obs = Observation::default();
        prop_assert!(f.parse(line.as_bytes(), &mut obs).is_ok(), "{}", line);
        prop_assert_eq!(obs.status, Some(status));
        prop_assert_eq!(obs.method, method.as_bytes());
        prop_assert_eq!(obs.target, path.as_bytes());
        prop_assert_eq!(obs.bytes_sent, Some(u64::from(bytes)));
        prop_assert!(obs.time_ms.is_some());
        if lead.is_empty() {
            prop_assert_eq!(obs.client, client.as_bytes());
        }
        if let Some((us, _)) = upstream {
            let written = us.to_string();
            prop_assert_eq!(obs.upstream.status, written.as_bytes());
        }
    }

    /// A JSON access line read by key names: the status where it is kept (nested or not, a
    /// number or a string), the method, the path and a duration in any unit, whatever the key
    /// order and the keys around them.
    #[test]
    fn generic_json_lines_round_trip_whatever_the_keys(
        placement in 0u8..5,
        status in 100u16..600,
        method_key in prop::sample::select(vec!["method", "request_method", "verb", "httpMethod"]),
        method in prop::sample::select(vec!["GET", "POST", "DELETE"]),
        path_key in prop::sample::select(vec!["path", "uri", "request_uri", "url"]),
        path in "/[a-zA-Z0-9/_.-]{0,40}",
        ms in 0u32..100_000,
        unit in 0u8..4,
        order in Just((0..6).collect::<Vec<usize>>()).prop_shuffle(),
    ) {
        let duration = match unit {
            0 => format!(r#""request_time":{}.{:03}"#, ms / 1000, ms % 1000),
            1 => format!(r#""duration_ms":{ms}"#),
            2 => format!(r#""latency":"{ms}ms""#),
            _ => format!(r#""elapsed":"{}.{:03}s""#, ms / 1000, ms % 1000),
        };
        let members = [
            json_status(placement, status),
            format!(r#""{method_key}":"{method}""#),
            format!(r#""{path_key}":"{path}""#),
            duration,
            r#""level":"info","msg":"request done""#.to_owned(),
            r#""user_agent":"curl/8.5.0","bytes_in":42"#.to_owned(),
        ];
        let body: Vec<&str> = order.iter().map(|&i| members[i].as_str()).collect();
        let line = format!("{{{}}}", body.join(","));
        let f = Format::by_name("generic-json").unwrap();
        let mut obs = Observation::default();
        prop_assert!(f.parse(line.as_bytes(), &mut obs).is_ok(), "{}", line);
        prop_assert_eq!(obs.status, Some(status));
        prop_assert_eq!(obs.method, method.as_bytes());
        prop_assert_eq!(obs.target, path.as_bytes());
        let secs = obs.request_time.expect("a duration");
        prop_assert!((secs - f64::from(ms) / 1000.0).abs() < 1e-6, "{} s from {}", secs, line);
    }
}
