//! The generic fallback, registered last: an access line no known format reads is still read when
//! it carries a request line and a status, and reported as what it was read as.
//!
//! - Text (this file): a quoted request line (`"GET /path HTTP/1.1"`) followed by a status (three
//!   digits; `-` and `000` for none), as web servers, proxies and application servers write them in
//!   layouts of their own (Tomcat's and Jira's access valves, CDN exports, custom nginx
//!   `log_format`s); also a request line without quotes (`GET /x HTTP/1.1`, with a method HTTP
//!   defines and a protocol) followed by a status, a status written `status: 200` or `status=200`
//!   anywhere, or a line that starts with its status. The time is read where found
//!   (`[08/Mar/2026:14:00:00 +0000]`, ISO 8601), the client when the first field is an address,
//!   the bytes after a status that follows the request, a duration and upstream fields where they
//!   are labelled (`rt=0.004`, `us="502"`, `upstream_addr=10.0.0.1:80`, `urt: 0.016`).
//! - JSON: see [`super::json_keys`] (`generic`).
//!
//! Who wrote such a log is unknown, so attribution leans on the line alone: the format has no
//! upstream fields, confidence stays below high unless the line's own upstream fields show who
//! answered (see [`super::json_keys::judge_upstream`]).

use super::BadLine;
use super::json_keys::{self, Key};
use crate::observation::{Observation, parse_f64, parse_u64};
use crate::{scan, time};

/// The registered names (the name an input gets adds what its lines were read by).
pub const TEXT: &str = "generic text";
pub const JSON: &str = "generic JSON";

/// How a text line gave its request and status (for the format's name).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Shape {
    /// `"GET /x HTTP/1.1" 200`: the status follows the quoted request line.
    Quoted,
    /// `"GET /x HTTP/1.1 200 0"`: the status inside the quotes, after the protocol (OVH's CDN logs).
    QuotedInside,
    /// `GET /x HTTP/1.1 … 200`.
    Unquoted,
    /// `status: 200` or `status=200`.
    Labelled,
    /// `(200) | … "GET /x HTTP/1.1"`: the line starts with its status.
    Leading,
}

impl Shape {
    fn describe(self) -> &'static str {
        match self {
            Shape::Quoted => "quoted request line + status",
            Shape::QuotedInside => "quoted request line with the status inside",
            Shape::Unquoted => "request line + status",
            Shape::Labelled => "request line + labelled status",
            Shape::Leading => "status + request line",
        }
    }
}

/// Methods an unquoted request line may start with (RFC 9110 and WebDAV's): without quotes, only a
/// known method makes `WORD /path HTTP/1.1` a request line.
const METHODS: &[&[u8]] = &[
    b"GET",
    b"HEAD",
    b"POST",
    b"PUT",
    b"DELETE",
    b"CONNECT",
    b"OPTIONS",
    b"TRACE",
    b"PATCH",
    b"PROPFIND",
    b"PROPPATCH",
    b"MKCOL",
    b"COPY",
    b"MOVE",
    b"LOCK",
    b"UNLOCK",
    b"PURGE",
    b"REPORT",
    b"SEARCH",
];

/// Where a request line was found.
struct Request<'a> {
    method: &'a [u8],
    target: &'a [u8],
    /// Just past it (after the closing quote, or after the protocol).
    end: usize,
    /// A status written inside the quotes after the protocol.
    inside: Option<&'a [u8]>,
    quoted: bool,
}

/// A request target: a path, an absolute URL, `*`, or a CONNECT authority.
fn is_target(t: &[u8]) -> bool {
    match t.first() {
        Some(b'/' | b'*') => true,
        Some(_) => t.starts_with(b"http://") || t.starts_with(b"https://") || t.contains(&b':'),
        None => false,
    }
}

/// The length of `HTTP/1.1`, `HTTP/2`, `HTTP/2.0` at the start of `s`.
fn protocol_len(s: &[u8]) -> Option<usize> {
    let rest = s.strip_prefix(b"HTTP/")?;
    rest.first().filter(|b| b.is_ascii_digit())?;
    Some(if rest.get(1) == Some(&b'.') && rest.get(2).is_some_and(u8::is_ascii_digit) { 8 } else { 6 })
}

/// The first quoted request line: `"METHOD target[ HTTP/x.y]"`.
fn quoted_request(line: &[u8]) -> Option<Request<'_>> {
    let mut from = 0;
    for _ in 0..8 {
        let q = from + memchr::memchr(b'"', &line[from..])?;
        from = q + 1;
        let rest = &line[q + 1..];
        let Some(m) = rest.iter().take(21).position(|b| !(b.is_ascii_uppercase() || *b == b'_' || *b == b'-')) else {
            continue;
        };
        if m == 0 || rest[m] != b' ' {
            continue;
        }
        // The closing quote (one not escaped).
        let mut close = q + 1 + m;
        loop {
            close += 1 + memchr::memchr(b'"', &line[close + 1..])?;
            if line[close - 1] != b'\\' {
                break;
            }
        }
        let inside = &line[q + 1..close];
        // A status the line wrote inside the quotes, after the protocol: cut it off.
        let (request, after) = match memchr::memmem::find(inside, b" HTTP/") {
            Some(p) => match protocol_len(&inside[p + 1..]) {
                Some(n) => inside.split_at(p + 1 + n),
                None => (inside, &b""[..]),
            },
            None => (inside, &b""[..]),
        };
        let (method, target) = scan::request_line(request);
        if method.is_empty() || !is_target(target) {
            continue;
        }
        let after = after.trim_ascii();
        let inside_status = (!after.is_empty()).then(|| after.split(|&b| b == b' ').next().unwrap_or_default());
        return Some(Request { method, target, end: close + 1, inside: inside_status, quoted: true });
    }
    None
}

/// The first unquoted request line: a known method, a target, a protocol.
fn unquoted_request(line: &[u8]) -> Option<Request<'_>> {
    let mut from = 0;
    for _ in 0..4 {
        let p = from + memchr::memmem::find(&line[from..], b" HTTP/")?;
        from = p + 1;
        let Some(n) = protocol_len(&line[p + 1..]) else { continue };
        let end = p + 1 + n;
        if line.get(end).is_some_and(|b| !matches!(b, b' ' | b'"' | b'|' | b',' | b';')) {
            continue;
        }
        let t = memchr::memrchr(b' ', &line[..p]).map_or(0, |i| i + 1);
        if t == 0 {
            continue;
        }
        let target = &line[t..p];
        let m = memchr::memrchr(b' ', &line[..t - 1]).map_or(0, |i| i + 1);
        let method = &line[m..t - 1];
        if METHODS.contains(&method) && is_target(target) {
            return Some(Request { method, target, end, inside: None, quoted: false });
        }
    }
    None
}

/// A status token: three digits, bare or in quotes, parentheses or brackets; `000` is 0 (no
/// status sent). `None` for anything else.
fn status_token(tok: &[u8]) -> Option<u16> {
    let t = match tok {
        [b'"', inner @ .., b'"'] | [b'(', inner @ .., b')'] | [b'[', inner @ .., b']'] => inner,
        t => t,
    };
    if t.len() != 3 || !t.iter().all(u8::is_ascii_digit) {
        return None;
    }
    let v = t.iter().fold(0u16, |n, &d| n * 10 + u16::from(d - b'0'));
    (v == 0 || (100..=599).contains(&v)).then_some(v)
}

/// The space-separated tokens of `s`.
fn tokens(s: &[u8]) -> impl Iterator<Item = &[u8]> {
    s.split(|&b| b == b' ').filter(|t| !t.is_empty())
}

/// `status: 200`, `status=200`, `"status":"200"` anywhere in the line (`upstream_status=…` and
/// other longer names are not it).
fn labelled_status(line: &[u8]) -> Option<u16> {
    for at in memchr::memmem::find_iter(line, b"tatus") {
        if at == 0 || !matches!(line[at - 1], b's' | b'S') {
            continue;
        }
        if at >= 2 && (line[at - 2].is_ascii_alphanumeric() || line[at - 2] == b'_') {
            continue;
        }
        let rest = line[at + 5..].strip_prefix(b"\"").unwrap_or(&line[at + 5..]);
        let Some(rest) = rest.strip_prefix(b":").or_else(|| rest.strip_prefix(b"=")) else { continue };
        let rest = rest.trim_ascii_start();
        let rest = rest.strip_prefix(b"\"").unwrap_or(rest);
        let end = rest.iter().position(|b| !b.is_ascii_digit()).unwrap_or(rest.len());
        if let Some(s) = status_token(&rest[..end]) {
            return Some(s);
        }
    }
    None
}

/// An IPv4 or IPv6 address (a v4 one may carry a port).
fn looks_like_ip(t: &[u8]) -> bool {
    let v4 = |s: &[u8]| {
        let parts = s.split(|&b| b == b'.');
        memchr::memchr_iter(b'.', s).count() == 3
            && parts.into_iter().all(|p| !p.is_empty() && p.len() <= 3 && p.iter().all(u8::is_ascii_digit))
    };
    let host = match memchr::memrchr(b':', t) {
        Some(i) if memchr::memchr(b':', &t[..i]).is_none() => &t[..i],
        _ => t,
    };
    v4(host)
        || (memchr::memchr_iter(b':', t).count() >= 2
            && t.iter().all(|b| b.is_ascii_hexdigit() || matches!(b, b':' | b'.')))
}

/// The first `[dd/Mon/yyyy:hh:mm:ss +zzzz]` or ISO 8601 time in the line.
fn find_time(line: &[u8]) -> Option<(&[u8], i64)> {
    for i in memchr::memchr_iter(b'[', line).take(4) {
        let rest = &line[i + 1..];
        let close = memchr::memchr(b']', &rest[..rest.len().min(40)]).unwrap_or(0);
        if close >= 20 {
            let raw = &rest[..close];
            if let Some(ms) = time::parse_clf(raw).or_else(|| time::parse_iso(raw)) {
                return Some((raw, ms));
            }
        }
    }
    // `2016-03-21T06:46:24+0200`: a date's first dash has four digits before it.
    for i in memchr::memchr_iter(b'-', line).take(16) {
        if i < 4 || !line[i - 4..i].iter().all(u8::is_ascii_digit) || (i > 4 && line[i - 5].is_ascii_digit()) {
            continue;
        }
        let start = i - 4;
        let len = line[start..]
            .iter()
            .position(|b| !(b.is_ascii_digit() || matches!(b, b'-' | b':' | b'.' | b'+' | b'T' | b'Z' | b',')))
            .unwrap_or(line.len() - start);
        let raw = &line[start..start + len];
        if let Some(ms) = time::parse_iso(raw) {
            return Some((raw, ms));
        }
    }
    None
}

/// `key=value`, `key="value"`, `key: value` pairs whose key is a known name for an upstream field
/// or a duration (`us="502"`, `ua=-`, `urt: 0.016`, `rt=0.004`, `upstream_addr=10.0.0.1:80`), and
/// the widely copied `to: $upstream_addr:` of nginx's `upstreamlog` format.
fn labelled_fields<'a>(line: &'a [u8], obs: &mut Observation<'a>) {
    if let Some(at) = memchr::memmem::find(line, b" to: ") {
        let rest = &line[at + 5..];
        let addr = &rest[..rest.iter().position(|b| matches!(b, b' ' | b'"' | b',')).unwrap_or(rest.len())];
        let addr = addr.strip_suffix(b":").unwrap_or(addr);
        if looks_like_ip(addr) || addr.starts_with(b"unix:") {
            obs.upstream.addr = addr;
        }
    }
    for i in memchr::memchr2_iter(b'=', b':', line) {
        let colon = line[i] == b':';
        if colon && line.get(i + 1) != Some(&b' ') {
            continue; // a time, an address, a URL
        }
        let k = line[..i].iter().rposition(|b| !(b.is_ascii_alphabetic() || *b == b'_')).map_or(0, |p| p + 1);
        if k == i || (k > 0 && !matches!(line[k - 1], b' ' | b'|' | b'"' | b'[' | b',' | b';')) {
            continue;
        }
        let mut buf = [0u8; 32];
        let key = &line[k..i];
        if key.len() > buf.len() {
            continue;
        }
        let mut n = 0;
        for &b in key {
            if b != b'_' {
                buf[n] = b.to_ascii_lowercase();
                n += 1;
            }
        }
        let Some(which) = json_keys::alias(&buf[..n]) else { continue };
        let rest = &line[i + 1..];
        let rest = if colon { &rest[1..] } else { rest };
        let value = match rest.strip_prefix(b"\"") {
            Some(q) => &q[..memchr::memchr(b'"', q).unwrap_or(q.len())],
            None => &rest[..rest.iter().position(|b| matches!(b, b' ' | b'|' | b',' | b';')).unwrap_or(rest.len())],
        };
        match which {
            Key::UpstreamStatus if obs.upstream.status.is_empty() => obs.upstream.status = value,
            Key::UpstreamAddr if obs.upstream.addr.is_empty() => obs.upstream.addr = value,
            Key::UpstreamTime if obs.upstream.response_time.is_empty() => obs.upstream.response_time = value,
            Key::UpstreamLength if obs.upstream.length.is_empty() => obs.upstream.length = value,
            Key::Duration(_) if obs.request_time.is_none() => obs.request_time = parse_f64(value),
            _ => {}
        }
    }
}

/// Labelled upstream fields and duration after a known format's last field (`combined` with
/// `rt=… ua="…" us="…"` appended, as NGINX Amplify's `main_ext` does): read as this fallback reads
/// them, turned into what attribution reads when the format itself has no upstream fields.
pub(crate) fn trailing_fields<'a>(rest: &'a [u8], obs: &mut Observation<'a>) {
    labelled_fields(rest, obs);
    if !(obs.upstream.addr.is_empty() && obs.upstream.status.is_empty()) {
        obs.upstream.single = false;
        json_keys::judge_upstream(obs);
    }
}

/// A generic text access line.
pub fn text<'a>(line: &'a [u8], obs: &mut Observation<'a>) -> Result<(), BadLine> {
    read(line, obs).map(|_| ())
}

fn read<'a>(line: &'a [u8], obs: &mut Observation<'a>) -> Result<Shape, BadLine> {
    let line = line.trim_ascii();
    if line.len() < 12 || line[0] == b'{' {
        return Err(BadLine::Mismatch);
    }
    let req = quoted_request(line).or_else(|| unquoted_request(line)).ok_or(BadLine::Mismatch)?;
    let after = &line[req.end..];
    let mut next = tokens(after);
    let first = next.next();
    // The status, by the line's shape.
    let (status, shape) = if let Some(s) = first.filter(|_| req.quoted).and_then(status_token) {
        obs.bytes_sent = next.next().and_then(parse_u64);
        (Some(s), Shape::Quoted)
    } else if req.quoted && first == Some(b"-") {
        (None, Shape::Quoted)
    } else if let Some(s) = req.inside.and_then(status_token) {
        (Some(s), Shape::QuotedInside)
    } else if let Some(s) = labelled_status(line) {
        (Some(s), Shape::Labelled)
    } else if let Some(s) = status_after(after, if req.quoted { 3 } else { 6 }) {
        (Some(s), if req.quoted { Shape::Quoted } else { Shape::Unquoted })
    } else if let Some(s) = tokens(line).next().and_then(status_token).filter(|s| *s != 0) {
        (Some(s), Shape::Leading)
    } else {
        return Err(BadLine::Mismatch);
    };
    obs.status = status;
    obs.method = req.method;
    obs.target = req.target;
    let first_field = tokens(line).next().unwrap_or_default();
    let first_field = first_field.strip_prefix(b"\"").and_then(|f| f.strip_suffix(b"\"")).unwrap_or(first_field);
    if looks_like_ip(first_field) {
        obs.client = match memchr::memrchr(b':', first_field) {
            Some(i) if memchr::memchr(b':', &first_field[..i]).is_none() => &first_field[..i],
            _ => first_field,
        };
    }
    if let Some((raw, ms)) = find_time(line) {
        obs.time_raw = raw;
        obs.time_ms = Some(ms);
    }
    labelled_fields(line, obs);
    if obs.request_time.is_none() {
        obs.request_time = trailing_seconds(line);
    }
    json_keys::judge_upstream(obs);
    Ok(shape)
}

/// The first status among the next `within` tokens after an unquoted request line: tokens that are
/// not numbers (addresses, paths, `-`) are passed over, a number that is not a status stops.
fn status_after(after: &[u8], within: usize) -> Option<u16> {
    for tok in tokens(after).take(within) {
        if let Some(s) = status_token(tok) {
            return Some(s);
        }
        let bare = tok.strip_prefix(b"\"").and_then(|t| t.strip_suffix(b"\"")).unwrap_or(tok);
        if !bare.is_empty() && bare.iter().all(u8::is_ascii_digit) {
            return None;
        }
    }
    None
}

/// A last field that reads as seconds (`4.386`: `$request_time` appended to a line), not an epoch
/// time (`1427761920.280`).
fn trailing_seconds(line: &[u8]) -> Option<f64> {
    let line = line.trim_ascii_end();
    let last = &line[memchr::memrchr(b' ', line).map_or(0, |i| i + 1)..];
    let point = memchr::memchr(b'.', last)?;
    (point <= 6 && last.iter().all(|b| b.is_ascii_digit() || *b == b'.')).then(|| parse_f64(last)).flatten()
}

/// The name an input read by the text fallback gets: what its first readable line was read by.
pub fn describe(sample: &[&[u8]]) -> Option<String> {
    sample.iter().find_map(|l| {
        let mut o = Observation::default();
        let shape = read(l, &mut o).ok()?;
        let upstream =
            if o.upstream.addr.is_empty() && o.upstream.status.is_empty() { "" } else { ", upstream fields" };
        Some(format!("{TEXT} ({}{upstream})", shape.describe()))
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::attribute::attribute;
    use crate::formats::Format;
    use culprit_kb::{Confidence, GeneratedBy};

    fn read_line(line: &str) -> (Observation<'static>, Shape) {
        let line: &'static str = Box::leak(line.to_owned().into_boxed_str());
        let mut o = Observation::default();
        let shape = read(line.as_bytes(), &mut o).unwrap_or_else(|e| panic!("{e:?}: {line}"));
        (o, shape)
    }

    /// Lines from tests/corpus/generic.jsonl and nginx.jsonl (their sources are there).
    #[test]
    fn real_lines() {
        // tstack/lnav test/logfile_regexp_access_log.0: vhost:port first, trailing duration.
        let (o, shape) = read_line(
            r#"localhost:443 178.20.184.42 1j0vhgd jsmith [26/Jul/2023:00:01:26 -0700] "GET /secure/RapidBoard.jspa?rapidView=1295 HTTP/2.0" 200 17163 "-" "Mozilla/5.0" 1160"#,
        );
        assert_eq!((o.status, o.bytes_sent, o.method), (Some(200), Some(17163), &b"GET"[..]));
        assert_eq!(o.time_ms, Some(1_690_354_886_000));
        assert!(o.client.is_empty(), "localhost:443 is not the client");
        assert_eq!(shape, Shape::Quoted);
        // lnav's logfile_bad_access_log.0: no ident and user fields.
        let (o, _) = read_line(
            r#"192.168.202.254 [20/Jul/2009:22:59:29 +0000] "GET /vmw/vSphere/default/vmkboot.gz HTTP/1.0" 404 46210 "-" "gPXE/0.9.7""#,
        );
        assert_eq!(
            (o.status, o.client, o.target),
            (Some(404), &b"192.168.202.254"[..], &b"/vmw/vSphere/default/vmkboot.gz"[..])
        );
        // Tomcat without a date, a trailing duration in seconds.
        let (o, _) = read_line(r#"127.0.0.1 - - "GET /bad.foo HTTP/1.1" 404 65508 4.386"#);
        assert_eq!((o.status, o.request_time), (Some(404), Some(4.386)));
        // OVH's CDN: the status inside the quotes (goaccess#218).
        let (o, shape) = read_line(
            r#"84.152.142.102 www.customerdomain.es - [04/Mar/2015:00:00:05 +0100] "GET /skin/frontend/flags/flag-poland.png HTTP/1.1 200 0" http://www.salewa.es/es/ Mozilla/5.0 (Linux) "" """#,
        );
        assert_eq!(
            (o.status, o.target, shape),
            (Some(200), &b"/skin/frontend/flags/flag-poland.png"[..], Shape::QuotedInside)
        );
        // A custom nginx format: unquoted request line, status in quotes (nginx.jsonl).
        let (o, shape) = read_line(
            r#"83.99.151.67 - - [19/Sep/2024:06:25:03 +0300] GET /brillant/67970.html HTTP/1.1 "200" 72151 "-" "Mozilla/5.0" "www.eperde.com to: 192.168.100.99:80" rt="0.489" uct="0.000" uht="0.492" urt="0.492""#,
        );
        assert_eq!((o.status, shape, o.request_time), (Some(200), Shape::Unquoted, Some(0.489)));
        assert_eq!(o.upstream.response_time, b"0.492");
        // Labelled status after an unquoted request.
        let (o, shape) = read_line(
            "[05/Aug/2019:20:45:55 +0100] 127.0.0.1 -> 127.0.0.1 | https POST /api/post HTTP/1.1 | urt: 0.016 msec | rt: 0.016 msec | status: 200",
        );
        assert_eq!((o.status, shape, o.method), (Some(200), Shape::Labelled, &b"POST"[..]));
        // Unquoted request, other fields before the status.
        let (o, _) = read_line(
            r#"204.13.193.38 - POST /rtb/getAd/12 HTTP/1.1 108.15.29.154 /rtb/getAd/12 192.168.23.82:9558 499 "u status" -  "U Response" - "MSec" 1429233379.104"#,
        );
        assert_eq!((o.status, o.request_time), (Some(499), None));
        // The status first.
        let (o, shape) = read_line(
            r#"(200) | [24/Feb/2020:06:25:05 +0300] | 37.9.113.142 | RequestTime: 3.057 | UpstreamConnect: 0.000 | UpstreamResponse: 3.060 | Request: "GET /comments/page4579/ HTTP/1.1" | Referrer: "-""#,
        );
        assert_eq!((o.status, shape, o.request_time), (Some(200), Shape::Leading, Some(3.057)));
        // ISO time in brackets, an upstream address after the client.
        let (o, _) = read_line(
            r#"192.168.1.1 -> 192.168.1.2:80 [2016-03-21T06:46:24+0200] "GET /my-app?key1=value1 HTTP/1.1" 200 154 "-" "Java/1.6.0_38" 0.004 0.004"#,
        );
        assert_eq!((o.status, o.time_ms), (Some(200), Some(1_458_535_584_000)));
    }

    #[test]
    fn upstream_fields_in_the_line_decide_and_raise_confidence() {
        let ctx = Format::by_name("generic-text").unwrap().context(None);
        // Centmin Mod's main_ext (nginx.jsonl): every upstream field `-`: the server answered.
        let (o, _) = read_line(
            r#"10.1.1.1 - - [22/Feb/2017:22:59:47 +0000] "GET / HTTP/1.1" 200 6050 "-" "Siege/4.0.2" "-" rt=0.000 ua="-" us="-" ut="-" ul="-" cs=-"#,
        );
        let a = attribute(&o, &ctx).unwrap();
        assert_eq!((a.generated_by, a.confidence), (GeneratedBy::Proxy, Confidence::High));
        let (o, _) = read_line(
            r#"10.1.1.1 - - [22/Feb/2017:22:59:47 +0000] "GET /x HTTP/1.1" 404 60 rt=0.010 ua="10.0.0.5:80" us="404""#,
        );
        let a = attribute(&o, &ctx).unwrap();
        assert_eq!((a.generated_by, a.confidence), (GeneratedBy::Upstream, Confidence::High));
        // nginx's `upstreamlog` layout (allinurl/goaccess#394, nginx.jsonl): `to: $upstream_addr:`
        // and no upstream status: a 404 after an upstream was contacted is the upstream's.
        let (o, _) = read_line(
            r#"182.69.143.120 - - [31/Mar/2016:03:10:51 +0530] "GET /api/check_delivery.php?authkey=9450AW2qTKYe453be757c&requestid=36626f6a3530323439383831 HTTP/1.1" control.msg91.com 404 39 "-" "-" "-" "control.msg91.com" "-" to: 10.0.0.62:8080: upstream_response_time 0.003 request_time 0.003"#,
        );
        assert_eq!(o.upstream.addr, b"10.0.0.62:8080");
        let a = attribute(&o, &ctx).unwrap();
        assert_eq!((a.cause, a.generated_by), (crate::attribute::Cause::AppNotFound, GeneratedBy::Upstream));
        // Nothing about the upstream: never high.
        let (o, _) = read_line(r#"10.1.1.1 - - [22/Feb/2017:22:59:47 +0000] "GET /x HTTP/1.1" 200 60"#);
        assert_ne!(attribute(&o, &ctx).unwrap().confidence, Confidence::High);
    }

    #[test]
    fn what_generic_text_does_not_read() {
        for line in [
            // An nginx error line names a request but no status follows it.
            r#"2024/03/08 14:00:00 [error] 7#7: *1 connect() failed (111: Connection refused) while connecting to upstream, client: 10.0.0.1, server: _, request: "GET / HTTP/1.1", upstream: "http://10.0.0.2:80/", host: "x""#,
            "GET is not a request line HTTP/1.1 200",
            r#"plain text with "quotes" and 200"#,
            r#"10.0.0.1 "GET /x HTTP/1.1" 1234 200"#,
            "",
        ] {
            assert!(text(line.as_bytes(), &mut Observation::default()).is_err(), "{line}");
        }
        let (o, _) = read_line(r#"10.0.0.1 "GET /x HTTP/1.1" - 0"#);
        assert_eq!(o.status, None);
        let (o, _) = read_line(r#"10.0.0.1 "GET /x HTTP/1.1" 000 0"#);
        assert_eq!(o.status, Some(0));
    }

    #[test]
    fn the_name_says_how_the_line_was_read() {
        let lines: [&[u8]; 2] = [b"nothing here", br#"1.2.3.4 "GET / HTTP/1.1" 200 5 us=200 ua=10.0.0.1:80"#];
        assert_eq!(describe(&lines).as_deref(), Some("generic text (quoted request line + status, upstream fields)"));
    }
}
