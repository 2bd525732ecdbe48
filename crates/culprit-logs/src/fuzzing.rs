//! Entry points shared by the fuzz targets (`fuzz/`) and the property tests: each feeds arbitrary
//! bytes to one parser and checks the invariants that must hold for any input.

use crate::formats::{Format, apache_error, jsonscan, nginx_error};
use crate::observation::{Observation, attempts, last_attempt};
use crate::{attribute, input, join, paths, time, wrapper};

/// Every built-in access format on arbitrary bytes: no panic, and what parses can be attributed.
pub fn access_line(data: &[u8]) {
    // The hand-written upstreaminfo reader reads what the compiled template reads, wherever it
    // accepts a line.
    static TEMPLATE: std::sync::OnceLock<crate::formats::nginx::NginxFormat> = std::sync::OnceLock::new();
    let template = TEMPLATE.get_or_init(|| {
        crate::formats::nginx::NginxFormat::compile(crate::formats::nginx::UPSTREAMINFO).expect("built-in format")
    });
    let mut fast = Observation::default();
    if crate::formats::upstreaminfo::parse(data, &mut fast) {
        let mut slow = Observation::default();
        assert!(template.parse_template(data, &mut slow).is_ok(), "template rejects what the fast reader read");
        assert_eq!(fast, slow);
    }
    // Lines the formats leave to the stream's other kinds (Envoy's own log, Hubble's other flows).
    let _ = crate::formats::is_known_other(data);
    // The Envoy JSON member scanner accepts every object serde_json accepts.
    let object = serde_json::from_slice::<serde_json::Map<String, serde_json::Value>>(data).is_ok();
    let scanned = crate::formats::envoy_json::members(data, |_, _| {});
    assert!(!object || scanned, "a JSON object the member scanner rejects");
    for f in Format::candidates() {
        let mut obs = Observation::default();
        if f.parse(data, &mut obs).is_ok() {
            // With lists of equal length (as nginx writes them) the fast path and the iterator agree.
            let last = last_attempt(&obs.upstream);
            let u = obs.upstream;
            let count = |f: &[u8]| crate::observation::UpstreamLists { addr: f, ..u }.item_count();
            if [u.addr, u.status, u.response_time, u.length].iter().all(|f| count(f) == count(u.addr)) {
                assert_eq!(last.map(|a| a.status), attempts(&u).last().map(|a| a.status));
            }
            if let Some(a) = attribute::attribute(&obs, &f.context(None)) {
                let _ = attribute::evidence(&obs, &a);
            }
            let _ = paths::template(obs.target);
        }
    }
}

/// The generic fallbacks and the mixed-input path on arbitrary bytes: what the fallbacks read
/// carries a status HTTP can have (or none sent), a method and a target; naming what they read
/// never fails; a JSON object with a numeric `status` and a `method` is read with that status
/// whatever else it holds; an input that mixes the bytes' lines with a known format's is read
/// without panicking, every line counted once.
pub fn generic_line(data: &[u8]) {
    use crate::formats::{generic, json_keys};
    let mut obs = Observation::default();
    if generic::text(data, &mut obs).is_ok() {
        assert!(obs.status.is_none_or(|s| s == 0 || (100..=599).contains(&s)), "status {:?}", obs.status);
        assert!(!obs.method.is_empty() && !obs.target.is_empty(), "a request line without method or target");
    }
    let mut obs = Observation::default();
    if json_keys::generic(data, &mut obs).is_ok() {
        assert!(obs.status.is_none_or(|s| s <= 999));
    }
    let _ = generic::describe(&[data]);
    let _ = json_keys::describe(&[data]);
    // The bytes as a value beside a status and a method: read with that status.
    let value = String::from_utf8_lossy(data);
    let object = serde_json::json!({"method": "GET", "status": 503, "path": value, "note": value});
    let line = object.to_string();
    let mut obs = Observation::default();
    assert!(json_keys::generic(line.as_bytes(), &mut obs).is_ok(), "{line}");
    assert_eq!((obs.status, obs.method), (Some(503), &b"GET"[..]));
    // A mixed input: a combined line first (the input's format), then the bytes' lines.
    let mut a = crate::pipeline::Analyzer::new(crate::engine::Options::default());
    let input = a.add_input("mixed");
    a.push_line(input, br#"10.0.0.1 - - [08/Mar/2026:14:00:00 +0000] "GET / HTTP/1.1" 200 5 "-" "curl/8""#, None);
    for l in data.split(|&b| b == b'\n') {
        a.push_line(input, l, None);
    }
    let done = a.finish(None);
    let summary = &done.inputs[0];
    assert!(summary.other_format_lines < summary.lines.max(1));
    assert_eq!(summary.other_format_lines, summary.other_formats.iter().map(|o| o.lines).sum::<u64>());
}

/// A user-supplied format (first line of the input: an nginx `log_format`, an Envoy format or an
/// HAProxy `log-format`) applied to the rest; what parses can be attributed.
pub fn custom_format(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    let (fmt, rest) = text.split_once('\n').unwrap_or((&text, ""));
    let formats = [Format::nginx_custom(fmt), Format::envoy_custom(fmt), Format::haproxy_custom(fmt)];
    for f in formats.into_iter().flatten() {
        for line in rest.lines() {
            let mut obs = Observation::default();
            if f.parse(line.as_bytes(), &mut obs).is_ok() {
                if let Some(a) = attribute::attribute(&obs, &f.context(None)) {
                    let _ = attribute::evidence(&obs, &a);
                }
            }
        }
    }
    // The same text as an Apache LogFormat (or varnishncsa -F) string.
    if let Ok(f) = Format::apache_custom(fmt) {
        for line in rest.lines() {
            let mut obs = Observation::default();
            if f.parse(line.as_bytes(), &mut obs).is_ok() {
                let _ = attribute::attribute(&obs, &f.context(None));
            }
        }
    }
}

/// The error logs (nginx, Apache) and the join index.
pub fn error_line(data: &[u8]) {
    if let Some(e) = nginx_error::parse(data) {
        let _ = nginx_error::signal(e.message);
    }
    if let Some(e) = apache_error::parse(data) {
        let _ = apache_error::signal(&e);
    }
    let mut idx = join::ErrorIndex::default();
    idx.add_line(data);
}

/// Container wrappers, timestamps, path templates and the JSON key scanner.
pub fn small_parsers(data: &[u8]) {
    let mut keys = 0usize;
    let _ = jsonscan::scan(data, |_, k, _| keys += k.len());
    let _ = wrapper::detect(data);
    let _ = wrapper::cri(data);
    let _ = wrapper::docker(data);
    // Prefixes only ever come off: each level is shorter, and stripping to a depth is that level.
    let levels = wrapper::prefix_levels(std::borrow::Cow::Borrowed(data));
    for (d, pair) in levels.windows(2).enumerate() {
        assert!(pair[1].1.len() < pair[0].1.len());
        assert_eq!(wrapper::strip_up_to(std::borrow::Cow::Borrowed(data), d + 1), pair[1].1);
    }
    assert_eq!(wrapper::strip_prefixes(data), levels[levels.len() - 1].1);
    let _ = time::parse_any(data);
    let t = paths::template(data);
    assert!(t.len() <= 3 * 210, "templates are capped");
    if data.is_ascii() && data.len() < 150 {
        assert_eq!(paths::template(t.as_bytes()), t, "templates are stable");
    }
}

/// The chunker over arbitrary bytes: whole lines out, nothing lost but overlong lines.
pub fn chunker(data: &[u8]) {
    let mut c = input::Chunker::new(data, 4096);
    let mut out = Vec::new();
    let mut buf = input::ChunkBuf::default();
    while let Ok(true) = c.next_chunk(&mut buf) {
        out.extend_from_slice(&buf);
    }
    if c.too_long == 0 {
        assert_eq!(out, data);
    }
}
