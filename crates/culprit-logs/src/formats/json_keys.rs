//! JSON access logs read by their key names, whatever the key order, the nesting or the types:
//! nginx's own `log_format … escape=json` lines (ingress-nginx's `log-format-upstream`, plain
//! nginx), and the generic JSON fallback for any other access log written as one JSON object per
//! line (Go, Node, Java request loggers, ECS-shaped exports).
//!
//! One table, [`ALIASES`], says what each key stands for. Keys are compared normalised (lower
//! case, without `_`, `-`, `.`, `@`, `:`), so `upstream_status`, `upstreamStatus` and
//! `upstream-status` are one entry. A nested key is looked up with its parent's name first
//! (`{"upstream":{"status":502}}` is `upstreamstatus`, `{"response":{"status_code":200}}` is
//! `responsestatuscode`), then alone when the parent is a plain container of the request's fields
//! (`http`, `request`, `response`…): `{"error":{"status":429}}` in an application's log is not the
//! status of a request.
//!
//! Where the keys are found (real lines and configurations, each in a test below):
//! - ingress-nginx `log-format-upstream` JSON as users write it: snake case after nginx's variables
//!   (`upstream_status`, `proxy_upstream_name`, kubernetes/ingress-nginx#835, #6376, #11914),
//!   camel case (`upstreamStatus`, `upstreamAddr`, `proxyUpstreamName`, `requestTime`), the widely
//!   copied template that nests an `httpRequest` object for Cloud Logging (with `"latency":
//!   "$upstream_response_time s"` and `"responseSize": "$upstream_response_length"`), and ECS
//!   shapes (`http.response.status_code`, `http.upstream.status_code`, `http.upstream.address`);
//! - nginx `escape=json` formats of plain servers (`upstreamstatus`, `upstreamaddr`,
//!   `requesttime` all lower case; `us`/`ua`-style short names);
//! - application request loggers: `status`/`statusCode`/`status_code`, `method`, `path`/`url`,
//!   `latency`/`duration`/`responseTime`, `remote_ip`/`clientIp`, statuses written as strings.
//!
//! `$upstream_status` and its siblings are nginx's lists (`502, 200` after a retry, `-` or empty
//! when no upstream was contacted): the nginx readers hand them to the observation's list parsing
//! unchanged. With `escape=json`, nginx writes an unset variable as an empty string.

use crate::formats::BadLine;
use crate::formats::jsonscan::{self, Value};
use crate::observation::{Observation, is_dash, last_attempt, parse_f64, parse_u64};
use crate::{scan, time};

/// What a key stands for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Key {
    Status,
    /// `code`: a status only when no other key names one, and only an HTTP-looking value.
    Code,
    UpstreamStatus,
    UpstreamAddr,
    UpstreamTime,
    UpstreamLength,
    /// ingress-nginx's `$proxy_upstream_name`: the line is ingress-nginx's.
    ProxyUpstreamName,
    Service,
    Duration(Unit),
    /// `latency`: `$upstream_response_time` in ingress-nginx's widely copied JSON template, the
    /// request's duration elsewhere.
    Latency,
    /// `responseSize`: `$upstream_response_length` in that same template, the bytes sent
    /// elsewhere.
    ResponseSize,
    Method,
    Target,
    /// A URL, or `$host$request_uri`.
    Url,
    /// A whole request line: `GET /x HTTP/1.1`.
    Request,
    Host,
    Time,
    RequestId,
    Client,
    Bytes,
}

/// The unit of a duration written as a bare number.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Unit {
    Seconds,
    Millis,
    Micros,
    Nanos,
    /// The key does not say: a unit suffix in the value decides (`"12ms"`, `"0.004s"`), else a
    /// number with a decimal point is seconds (nginx, Go's `float64` seconds) and an integer is
    /// milliseconds (Node's and Java's request loggers).
    Guess,
}

/// Every key the JSON readers know, normalised (see the module's documentation), sorted for a
/// binary search (a test checks it).
pub(crate) const ALIASES: &[(&str, Key)] = &[
    ("accesstime", Key::Time),
    ("authority", Key::Host),
    ("backendaddr", Key::UpstreamAddr),
    ("backendaddress", Key::UpstreamAddr),
    ("backendname", Key::Service),
    ("backendresponsetime", Key::UpstreamTime),
    ("backendstatus", Key::UpstreamStatus),
    ("backendstatuscode", Key::UpstreamStatus),
    ("bodybytessent", Key::Bytes),
    ("bytes", Key::Bytes),
    ("bytessent", Key::Bytes),
    ("client", Key::Client),
    ("clientaddr", Key::Client),
    ("clientaddress", Key::Client),
    ("clientip", Key::Client),
    ("code", Key::Code),
    ("datetime", Key::Time),
    ("duration", Key::Duration(Unit::Guess)),
    ("durationms", Key::Duration(Unit::Millis)),
    ("durationns", Key::Duration(Unit::Nanos)),
    ("durationus", Key::Duration(Unit::Micros)),
    ("elapsed", Key::Duration(Unit::Guess)),
    ("elapsedms", Key::Duration(Unit::Millis)),
    ("elapsedtime", Key::Duration(Unit::Guess)),
    ("host", Key::Host),
    ("httphost", Key::Host),
    ("httpmethod", Key::Method),
    ("httprequestmethod", Key::Method),
    ("httpresponsestatuscode", Key::Status),
    ("httpstatus", Key::Status),
    ("httpstatuscode", Key::Status),
    ("latency", Key::Latency),
    ("latencyms", Key::Duration(Unit::Millis)),
    ("method", Key::Method),
    ("msec", Key::Time),
    ("originstatus", Key::UpstreamStatus),
    ("path", Key::Target),
    ("proxyupstreamname", Key::ProxyUpstreamName),
    ("remoteaddr", Key::Client),
    ("remoteaddress", Key::Client),
    ("remoteip", Key::Client),
    ("reqid", Key::RequestId),
    ("reqmethod", Key::Method),
    ("request", Key::Request),
    ("requestduration", Key::Duration(Unit::Guess)),
    ("requestdurationms", Key::Duration(Unit::Millis)),
    ("requestid", Key::RequestId),
    ("requestline", Key::Request),
    ("requestmethod", Key::Method),
    ("requestpath", Key::Target),
    ("requesttime", Key::Duration(Unit::Seconds)),
    ("requesturi", Key::Target),
    ("requesturl", Key::Url),
    ("responsecode", Key::Status),
    ("responsesize", Key::ResponseSize),
    ("responsestatus", Key::Status),
    ("responsestatuscode", Key::Status),
    ("responsetime", Key::Duration(Unit::Guess)),
    ("responsetimems", Key::Duration(Unit::Millis)),
    ("rt", Key::Duration(Unit::Seconds)),
    ("service", Key::Service),
    ("servicename", Key::Service),
    ("size", Key::Bytes),
    ("starttime", Key::Time),
    ("status", Key::Status),
    ("statuscode", Key::Status),
    ("time", Key::Time),
    ("timeiso8601", Key::Time),
    ("timelocal", Key::Time),
    ("timestamp", Key::Time),
    ("took", Key::Duration(Unit::Guess)),
    ("ts", Key::Time),
    ("ua", Key::UpstreamAddr),
    ("ul", Key::UpstreamLength),
    ("upstream", Key::UpstreamAddr),
    ("upstreamaddr", Key::UpstreamAddr),
    ("upstreamaddress", Key::UpstreamAddr),
    ("upstreambytes", Key::UpstreamLength),
    ("upstreambytesreceived", Key::UpstreamLength),
    ("upstreamhost", Key::UpstreamAddr),
    ("upstreamlatency", Key::UpstreamTime),
    ("upstreamname", Key::Service),
    ("upstreamresponselength", Key::UpstreamLength),
    ("upstreamresponsetime", Key::UpstreamTime),
    ("upstreamstatus", Key::UpstreamStatus),
    ("upstreamstatuscode", Key::UpstreamStatus),
    ("upstreamtime", Key::UpstreamTime),
    ("uri", Key::Target),
    ("url", Key::Url),
    ("urloriginal", Key::Target),
    ("urlpath", Key::Target),
    ("urt", Key::UpstreamTime),
    ("us", Key::UpstreamStatus),
    ("ut", Key::UpstreamTime),
    ("verb", Key::Method),
    ("vhost", Key::Host),
    ("xrequestid", Key::RequestId),
];

/// nginx's own variable names among the aliases (`$upstream_status`, `$upstream_addr`): a line
/// with one of them is nginx's.
const NGINX_KEYS: &[&str] = &["upstreamaddr", "upstreamstatus"];

/// Parents whose children are the request's own fields (looked up alone when `parent + key` is
/// not an alias).
const CONTAINERS: &[&str] = &[
    "access",
    "accesslog",
    "attributes",
    "ctx",
    "data",
    "fields",
    "http",
    "httprequest",
    "json",
    "jsonpayload",
    "log",
    "nginx",
    // `"@nginx_fields":{…}`, a Logstash-era nginx JSON template.
    "nginxfields",
    "payload",
    "req",
    "request",
    "res",
    "resp",
    "response",
];

/// Parents that make a plain `status` an HTTP status.
const HTTP_PARENTS: &[&str] = &["http", "httprequest", "res", "resp", "response"];

/// Longest normalised key (or parent + key) looked up.
const MAX_KEY: usize = 48;
/// Nesting followed: a request's fields are at most this deep.
const MAX_DEPTH: usize = 4;

/// A key in normalised form, on the stack.
#[derive(Clone, Copy)]
struct Norm {
    buf: [u8; MAX_KEY],
    len: usize,
}

impl Norm {
    const EMPTY: Norm = Norm { buf: [0; MAX_KEY], len: 0 };

    /// `upstream_status` → `upstreamstatus`; `None` for a key too long or with bytes no alias has.
    fn of(raw: &[u8]) -> Option<Norm> {
        let mut n = Norm::EMPTY;
        for &b in raw {
            match b {
                b'a'..=b'z' | b'0'..=b'9' | b'A'..=b'Z' => {}
                b'_' | b'-' | b'.' | b'@' | b':' | b' ' => continue,
                _ => return None,
            }
            *n.buf.get_mut(n.len)? = b.to_ascii_lowercase();
            n.len += 1;
        }
        Some(n)
    }

    fn as_bytes(&self) -> &[u8] {
        &self.buf[..self.len]
    }

    /// `parent` then `self`, if it fits.
    fn after(&self, parent: &Norm) -> Option<Norm> {
        let mut n = *parent;
        n.buf.get_mut(n.len..n.len + self.len)?.copy_from_slice(self.as_bytes());
        n.len += self.len;
        Some(n)
    }
}

pub(crate) fn alias(key: &[u8]) -> Option<Key> {
    ALIASES.binary_search_by(|(k, _)| k.as_bytes().cmp(key)).ok().map(|i| ALIASES[i].1)
}

fn listed(list: &[&str], key: &[u8]) -> bool {
    list.iter().any(|k| k.as_bytes() == key)
}

/// What one line holds, by key. Strings are as written (escapes in place), numbers as text.
#[derive(Debug, Default)]
struct Found<'a> {
    status: Option<Value<'a>>,
    /// The status key names an HTTP status by itself (`status_code`, `http.status`), not a bare
    /// `status` an application might use for anything.
    status_is_http: bool,
    code: Option<Value<'a>>,
    upstream_status: Option<&'a [u8]>,
    upstream_addr: Option<&'a [u8]>,
    upstream_time: Option<&'a [u8]>,
    upstream_length: Option<&'a [u8]>,
    proxy_upstream_name: Option<&'a [u8]>,
    service: Option<&'a [u8]>,
    duration: Option<(&'a [u8], Unit)>,
    latency: Option<&'a [u8]>,
    response_size: Option<&'a [u8]>,
    method: Option<&'a [u8]>,
    target: Option<&'a [u8]>,
    url: Option<&'a [u8]>,
    request: Option<&'a [u8]>,
    host: Option<&'a [u8]>,
    time: Option<&'a [u8]>,
    request_id: Option<&'a [u8]>,
    client: Option<&'a [u8]>,
    bytes: Option<&'a [u8]>,
    /// A key spelled as nginx's variable (`upstream_status`, `upstreamAddr`…).
    nginx: bool,
}

impl<'a> Found<'a> {
    /// Keeps the first value of each key (the shallowest, in the usual layouts).
    /// `http`: the key names an HTTP status by itself (not a bare `status`, or one under an
    /// HTTP parent).
    fn take(&mut self, key: Key, value: Value<'a>, http: bool) -> bool {
        fn first<'a>(slot: &mut Option<&'a [u8]>, v: &'a [u8]) -> bool {
            slot.is_none() && {
                *slot = Some(v);
                true
            }
        }
        let text = value.text();
        match key {
            Key::Status if self.status.is_none() => {
                self.status = Some(value);
                self.status_is_http = http;
                true
            }
            Key::Code if self.code.is_none() => {
                self.code = Some(value);
                true
            }
            Key::UpstreamStatus => first(&mut self.upstream_status, text),
            Key::UpstreamAddr => first(&mut self.upstream_addr, text),
            Key::UpstreamTime => first(&mut self.upstream_time, text),
            Key::UpstreamLength => first(&mut self.upstream_length, text),
            Key::ProxyUpstreamName => first(&mut self.proxy_upstream_name, text),
            Key::Service => first(&mut self.service, text),
            Key::Duration(unit) if self.duration.is_none() => {
                self.duration = Some((text, unit));
                true
            }
            Key::Latency => first(&mut self.latency, text),
            Key::ResponseSize => first(&mut self.response_size, text),
            Key::Method => first(&mut self.method, text),
            Key::Target => first(&mut self.target, text),
            Key::Url => first(&mut self.url, text),
            Key::Request => first(&mut self.request, text),
            Key::Host => first(&mut self.host, text),
            Key::Time => first(&mut self.time, text),
            Key::RequestId => first(&mut self.request_id, text),
            Key::Client => first(&mut self.client, text),
            Key::Bytes => first(&mut self.bytes, text),
            _ => false,
        }
    }

    /// Something about the request besides its status: the line is an access log's.
    fn describes_a_request(&self) -> bool {
        self.method.is_some()
            || self.target.is_some()
            || self.url.is_some()
            || self.request.is_some()
            || self.upstream_status.is_some()
            || self.upstream_addr.is_some()
            || self.proxy_upstream_name.is_some()
    }
}

/// Reads the object's members into `found`; `note(key, parent, key as written)` hears each key
/// taken (for naming the format). `false` when the line is not one JSON object.
fn collect<'a>(line: &'a [u8], found: &mut Found<'a>, mut note: impl FnMut(Key, &'a [u8], &'a [u8])) -> bool {
    // Per depth, the object key that opened it (normalised, and as written).
    let mut parents = [(Norm::EMPTY, &b""[..]); MAX_DEPTH];
    jsonscan::scan(line, |depth, raw, value| {
        let depth = depth as usize;
        if depth >= MAX_DEPTH {
            return;
        }
        let Some(norm) = Norm::of(raw) else { return };
        if value == Value::Object {
            if depth + 1 < MAX_DEPTH {
                parents[depth] = (norm, raw);
            }
            return;
        }
        // Arrays (header lists) and objects are not values culprit reads.
        if matches!(value, Value::Array(_)) {
            return;
        }
        let (parent, parent_raw) = if depth > 0 { parents[depth - 1] } else { (Norm::EMPTY, &b""[..]) };
        let qualified =
            (depth > 0).then(|| norm.after(&parent)).flatten().and_then(|q| alias(q.as_bytes()).map(|k| (k, q)));
        let (key, matched) = match qualified {
            Some((k, q)) => (k, q),
            None if depth == 0 || listed(CONTAINERS, parent.as_bytes()) => {
                let Some(k) = alias(norm.as_bytes()) else { return };
                // A request object's own size is not the response's.
                if k == Key::Bytes && matches!(parent.as_bytes(), b"request" | b"req") {
                    return;
                }
                (k, norm)
            }
            None => return,
        };
        found.nginx |= listed(NGINX_KEYS, matched.as_bytes());
        let http = matched.as_bytes() != b"status" || (depth > 0 && listed(HTTP_PARENTS, parent.as_bytes()));
        if found.take(key, value, http) {
            note(key, parent_raw, raw);
        }
    })
}

/// Which reader: nginx's key names required (and ingress-nginx's), or any.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mode {
    IngressNginx,
    Nginx,
    Generic,
}

/// A status value: digits (as a number or a string) up to 999; `Ok(None)` for unset (`-`, empty,
/// `null`), `Err` for anything else (`"ok"`: not an HTTP status).
fn status_of(v: Value<'_>) -> Result<Option<u16>, ()> {
    match v {
        Value::Null => Ok(None),
        Value::Num(t) | Value::Str(t) if is_dash(t) => Ok(None),
        Value::Num(t) | Value::Str(t) => match parse_u64(t) {
            Some(n) if n <= 999 => Ok(Some(u16::try_from(n).map_err(|_| ())?)),
            _ => Err(()),
        },
        _ => Err(()),
    }
}

/// Seconds from a duration's text and unit: `0.004`, `"12ms"`, `"0.004s"`, `"1.2 s"`.
fn seconds(text: &[u8], unit: Unit) -> Option<f64> {
    let t = text.trim_ascii();
    let digits_end = t.iter().position(|b| !(b.is_ascii_digit() || *b == b'.')).unwrap_or(t.len());
    let (number, suffix) = t.split_at(digits_end);
    let v = parse_f64(number)?;
    let scale = match suffix.trim_ascii() {
        b"" => match unit {
            Unit::Seconds => 1.0,
            Unit::Micros => 1e-6,
            Unit::Nanos => 1e-9,
            Unit::Guess if number.contains(&b'.') => 1.0,
            Unit::Millis | Unit::Guess => 1e-3,
        },
        b"s" | b"sec" => 1.0,
        b"ms" => 1e-3,
        b"us" | b"\xc2\xb5s" | b"\\u00b5s" => 1e-6,
        b"ns" => 1e-9,
        _ => return None,
    };
    Some(v * scale)
}

/// An address without its port (`10.0.0.1:5678` → `10.0.0.1`; IPv6 and names stay).
fn without_port(addr: &[u8]) -> &[u8] {
    match memchr::memrchr(b':', addr) {
        Some(i) if memchr::memchr(b':', &addr[..i]).is_none() && addr[i + 1..].iter().all(u8::is_ascii_digit) => {
            &addr[..i]
        }
        _ => addr,
    }
}

/// `https://host/path?q`, `host/path?q` (`$host$request_uri`) or `/path?q` → (host, target).
fn split_url(url: &[u8]) -> (&[u8], &[u8]) {
    if url.starts_with(b"/") {
        return (b"", url);
    }
    let after = memchr::memmem::find(url, b"://").map_or(url, |i| &url[i + 3..]);
    match memchr::memchr(b'/', after) {
        Some(i) => (&after[..i], &after[i..]),
        None => (after, b"/"),
    }
}

fn read<'a>(line: &'a [u8], obs: &mut Observation<'a>, mode: Mode) -> Result<(), BadLine> {
    let line = line.trim_ascii();
    if line.first() != Some(&b'{') {
        return Err(BadLine::Mismatch);
    }
    let mut f = Found::default();
    if !collect(line, &mut f, |_, _, _| {}) {
        return Err(BadLine::Mismatch);
    }
    fill(&f, obs, mode)
}

fn fill<'a>(f: &Found<'a>, obs: &mut Observation<'a>, mode: Mode) -> Result<(), BadLine> {
    match mode {
        // nginx's traits read `$upstream_status` as the decisive evidence: a layout without it
        // (many `json_analytics` copies log `$upstream_addr` and `$upstream_response_time` only)
        // is read by the generic reader, which says only what the line's own fields show.
        Mode::IngressNginx if f.proxy_upstream_name.is_none() || f.upstream_status.is_none() => {
            return Err(BadLine::Mismatch);
        }
        Mode::Nginx if !f.nginx || f.upstream_status.is_none() => return Err(BadLine::Mismatch),
        _ => {}
    }
    // The status: a status key, else an HTTP-looking `code` beside a request's fields.
    let status = match (f.status, f.code) {
        (Some(v), _) => status_of(v).map_err(|()| BadLine::Mismatch)?,
        (None, Some(v)) if f.describes_a_request() => match status_of(v) {
            Ok(Some(s)) if (100..=599).contains(&s) => Some(s),
            _ => return Err(BadLine::Mismatch),
        },
        _ => return Err(BadLine::Mismatch),
    };
    if mode == Mode::Generic && !(f.describes_a_request() || f.status_is_http) {
        return Err(BadLine::Mismatch);
    }
    obs.status = status;
    let text = |v: Option<&'a [u8]>| v.filter(|v| !is_dash(v)).unwrap_or_default();
    if let Some(r) = f.request {
        (obs.method, obs.target) = scan::request_line(r);
    }
    if let Some(m) = f.method.filter(|m| !is_dash(m)) {
        obs.method = m;
    }
    if let Some(u) = f.url.filter(|u| !is_dash(u)) {
        let (host, target) = split_url(u);
        obs.host = host;
        obs.target = target;
    }
    if let Some(t) = f.target.filter(|t| !is_dash(t)) {
        obs.target = t;
    }
    if let Some(h) = f.host.filter(|h| !is_dash(h)) {
        obs.host = h;
    }
    if let Some(t) = f.time {
        obs.time_raw = t;
        obs.time_ms = time::parse_any(t);
    }
    obs.client = without_port(text(f.client));
    obs.request_id = text(f.request_id);
    obs.service = text(f.proxy_upstream_name.or(f.service));
    let nginx = mode != Mode::Generic;
    obs.request_time = f.duration.and_then(|(t, u)| seconds(t, u));
    // ingress-nginx's Cloud Logging template: `latency` is `$upstream_response_time s` and
    // `responseSize` is `$upstream_response_length`; elsewhere they describe the response.
    let latency_is_upstream = nginx && f.upstream_time.is_none();
    let size_is_upstream = nginx && f.upstream_length.is_none();
    if let Some(l) = f.latency {
        if latency_is_upstream {
            obs.upstream.response_time = l.strip_suffix(b" s").or_else(|| l.strip_suffix(b"s")).unwrap_or(l);
        } else if obs.request_time.is_none() {
            obs.request_time = seconds(l, Unit::Guess);
        }
    }
    obs.bytes_sent = f.bytes.and_then(parse_u64);
    match f.response_size {
        Some(s) if size_is_upstream => obs.upstream.length = s,
        Some(s) if obs.bytes_sent.is_none() => obs.bytes_sent = parse_u64(s),
        _ => {}
    }
    // Upstream fields exactly as written: nginx's lists are read by the observation's list code.
    // A key the line has with an empty value is kept as `-`: the line says no upstream answered.
    let dash = |v: Option<&'a [u8]>| v.map(|v| if v.is_empty() { &b"-"[..] } else { v });
    if let Some(s) = dash(f.upstream_status) {
        obs.upstream.status = s;
    }
    if let Some(a) = dash(f.upstream_addr) {
        obs.upstream.addr = a;
    }
    if let Some(t) = f.upstream_time {
        obs.upstream.response_time = t;
    }
    if let Some(l) = f.upstream_length {
        obs.upstream.length = l;
    }
    if !nginx {
        judge_upstream(obs);
    }
    Ok(())
}

/// For a log whose writer is unknown (no upstream fields in its context), what the line's own
/// upstream fields say, as the flags attribution reads: every upstream field `-` ⇒ the writer
/// answered by itself; the last upstream status equal to the status (and, for 502/504, which nginx
/// writes after a failed exchange too, a body from the upstream) ⇒ the upstream answered; an
/// upstream contacted, no upstream status logged and a 4xx other than a client's leaving (499) or
/// timing out (408) ⇒ the upstream answered too: a proxy makes those before it picks an upstream.
pub(crate) fn judge_upstream(obs: &mut Observation<'_>) {
    let u = obs.upstream;
    if u.addr.is_empty() && u.status.is_empty() {
        return; // the line has no upstream fields
    }
    let Some(status) = obs.status else { return };
    match last_attempt(&u) {
        None => obs.proxy_answered = true,
        Some(a) if a.status == Some(status) && (!matches!(status, 502 | 504) || a.length().is_some_and(|l| l > 0)) => {
            obs.upstream_answered = true;
        }
        Some(a) if a.status.is_none() && is_dash(u.status) && !is_dash(a.addr) => {
            obs.upstream_answered = (400..500).contains(&status) && !matches!(status, 408 | 499);
        }
        Some(_) => {}
    }
}

/// ingress-nginx's JSON `log-format-upstream` (`$proxy_upstream_name` and `$upstream_status`
/// among the keys).
pub fn ingress_nginx<'a>(line: &'a [u8], obs: &mut Observation<'a>) -> Result<(), BadLine> {
    read(line, obs, Mode::IngressNginx)
}

/// nginx's `log_format … escape=json` with its upstream variables among the keys
/// (`$upstream_status` always).
pub fn nginx<'a>(line: &'a [u8], obs: &mut Observation<'a>) -> Result<(), BadLine> {
    read(line, obs, Mode::Nginx)
}

/// Any JSON access log: a status key and something of a request (method, path, URL, request
/// line, upstream fields), or a key that names an HTTP status by itself.
pub fn generic<'a>(line: &'a [u8], obs: &mut Observation<'a>) -> Result<(), BadLine> {
    read(line, obs, Mode::Generic)
}

/// The keys the generic JSON reader read the status, upstream and duration from in `sample`, as
/// written (`response.status`): the format's name says what it was read as.
pub fn describe(sample: &[&[u8]]) -> Option<String> {
    let mut keys: Vec<(u8, String)> = Vec::new();
    for line in sample {
        let line = line.trim_ascii();
        if !line.starts_with(b"{") {
            continue;
        }
        let mut f = Found::default();
        let mut seen: Vec<(u8, String)> = Vec::new();
        let whole = collect(line, &mut f, |key, parent, raw| {
            let rank = match key {
                Key::Status | Key::Code => 0,
                Key::UpstreamStatus => 1,
                Key::UpstreamAddr => 2,
                Key::Duration(_) | Key::Latency => 3,
                _ => return,
            };
            let mut name = String::new();
            if !parent.is_empty() {
                name.push_str(&String::from_utf8_lossy(parent));
                name.push('.');
            }
            name.push_str(&String::from_utf8_lossy(raw));
            seen.push((rank, name));
        });
        if whole && fill(&f, &mut Observation::default(), Mode::Generic).is_ok() {
            for k in seen {
                if !keys.iter().any(|(r, _)| *r == k.0) {
                    keys.push(k);
                }
            }
        }
    }
    if keys.is_empty() {
        return None;
    }
    keys.sort();
    Some(keys.into_iter().map(|(_, k)| k).collect::<Vec<_>>().join(", "))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::attribute::{Cause, attribute};
    use crate::formats::Format;
    use culprit_kb::{Confidence, GeneratedBy};

    #[test]
    fn the_alias_table_is_sorted_unique_and_normalised() {
        for w in ALIASES.windows(2) {
            assert!(w[0].0 < w[1].0, "{} before {}", w[0].0, w[1].0);
        }
        for (k, _) in ALIASES {
            assert_eq!(Norm::of(k.as_bytes()).unwrap().as_bytes(), k.as_bytes());
        }
        for k in NGINX_KEYS {
            assert!(alias(k.as_bytes()).is_some(), "{k}");
        }
    }

    fn judge(format: &str, line: &str) -> (Observation<'static>, Cause, GeneratedBy, Confidence) {
        let line: &'static str = Box::leak(line.to_owned().into_boxed_str());
        let f = Format::by_name(format).unwrap();
        let mut obs = Observation::default();
        f.parse(line.as_bytes(), &mut obs).unwrap_or_else(|e| panic!("{e:?}: {line}"));
        let a = attribute(&obs, &f.context(None)).unwrap();
        (obs, a.cause, a.generated_by, a.confidence)
    }

    /// The camel-case template many ingress-nginx users copy (with the `httpRequest` object Cloud
    /// Logging reads), values as nginx writes them with `escape=json`.
    fn camel(status: u16, upstream_status: &str, upstream_addr: &str, size: &str) -> String {
        format!(
            r#"{{"timestamp": "2024-06-03T10:15:42+00:00", "requestID": "5e9f0c1a7b2d4e8f9a0b1c2d3e4f5a6b", "proxyUpstreamName": "shop-cart-80", "proxyAlternativeUpstreamName": "", "upstreamStatus": "{upstream_status}", "upstreamAddr": "{upstream_addr}", "httpRequest": {{"requestMethod": "POST", "requestUrl": "shop.example.com/api/cart?id=7", "status": {status}, "requestSize": "512", "responseSize": "{size}", "userAgent": "curl/8.4.0", "remoteIp": "203.0.113.9", "referer": "", "latency": "{upstream_status_time} s", "protocol": "HTTP/1.1"}}}}"#,
            upstream_status_time = if upstream_status.is_empty() { "" } else { "0.004" }
        )
    }

    #[test]
    fn ingress_nginx_json_is_read_with_nginx_traits() {
        let (o, cause, by, _) = judge("ingress-nginx-json", &camel(502, "502", "10.244.1.7:8080", "0"));
        assert_eq!(
            (o.status, o.method, o.target, o.host),
            (Some(502), &b"POST"[..], &b"/api/cart?id=7"[..], &b"shop.example.com"[..])
        );
        assert_eq!(
            (o.service, o.client, o.request_id),
            (&b"shop-cart-80"[..], &b"203.0.113.9"[..], &b"5e9f0c1a7b2d4e8f9a0b1c2d3e4f5a6b"[..])
        );
        assert_eq!(o.upstream.response_time, b"0.004");
        assert_eq!(o.time_ms, Some(1_717_409_742_000));
        // nginx wrote the 502 after a failed exchange (no bytes from the upstream).
        assert_eq!((cause, by), (Cause::UpstreamClosedPrematurely, GeneratedBy::Proxy));
        let (_, cause, by, _) = judge("ingress-nginx-json", &camel(502, "502", "10.244.1.7:8080", "74"));
        assert_eq!((cause, by), (Cause::AppBadGateway, GeneratedBy::Upstream));
        // A retry: the second attempt answered.
        let (_, cause, by, _) =
            judge("ingress-nginx-json", &camel(200, "502, 200", "10.244.1.7:8080, 10.244.2.9:8080", "0, 912"));
        assert_eq!((cause, by), (Cause::Ok, GeneratedBy::Upstream));
        // No endpoints: every upstream variable unset (written empty by escape=json).
        let (_, cause, by, _) = judge("ingress-nginx-json", &camel(503, "", "", ""));
        assert_eq!((cause, by), (Cause::NoReadyEndpoints, GeneratedBy::Proxy));
        // Not read as Google's load balancer for its `httpRequest` object.
        assert_eq!(Format::sniff(&[camel(503, "", "", "").as_bytes()]).unwrap().name, "ingress-nginx json");
    }

    /// kubernetes/ingress-nginx#6376 (the line inside the Docker `log` envelope it was shown in):
    /// snake-case keys after nginx's variables, an internal redirect between two upstream groups.
    #[test]
    fn snake_case_with_an_internal_redirect() {
        let line = r#"{"time": "2020-10-27T07:41:44+00:00", "proxy_remote_addr": "", "remote_addr": "100.125.67.69", "x-forward-for": "100.125.67.69", "request_id": "185da566cc4374563e38b1184baf56b3", "remote_user": "", "bytes_sent": 846, "request_time": 0.527, "status":404, "vhost": "mailweb.openeuler.org", "request_proto": "HTTP/1.1", "path": "/", "request_query": "next=%2Fhyperkitty", "request_length": "430", "duration": "0.518 : 0.009", "upstream_status": "500 : 404", "method": "GET", "http_referrer": "", "upstream_addr": "172.17.0.124:80 : 172.17.0.80:80"}"#;
        let (o, cause, by, _) = judge("nginx-json", line);
        assert_eq!((o.status, o.request_time, o.host), (Some(404), Some(0.527), &b"mailweb.openeuler.org"[..]));
        assert_eq!(last_attempt(&o.upstream).map(|a| a.addr), Some(&b"172.17.0.80:80"[..]));
        assert_eq!((cause, by), (Cause::AppNotFound, GeneratedBy::Upstream));
        assert!(ingress_nginx(line.as_bytes(), &mut Observation::default()).is_err(), "no $proxy_upstream_name");
    }

    /// The ECS layout of petrausch.info's ingress-nginx template: nested `http.response` and
    /// `http.upstream` objects, statuses written as strings.
    #[test]
    fn nested_ecs_objects() {
        let line = r#"{"timestamp":"2020-05-30T08:00:01+00:00","network":{"forwarded_ip":"10.0.0.1"},"user":{"name":""},"user_agent":{"original":"curl/7.68"},"http":{"version":"HTTP/1.1","request":{"body":{"bytes":0},"bytes":80,"method":"GET","referrer":""},"response":{"body":{"bytes":0},"bytes":0,"status_code":"504","time":60.003},"upstream":{"bytes":0,"status_code":"504","time":60.001,"address":"10.1.2.3:80","name":"default-api-80"}},"url":{"domain":"api.example.com","path":"/v1/slow","query":"","original":"/v1/slow"}}"#;
        // Nothing in the keys says nginx (`upstream.status_code` is anyone's name): generic.
        assert!(nginx(line.as_bytes(), &mut Observation::default()).is_err());
        let (o, _, _, confidence) = judge("generic-json", line);
        assert_eq!((o.status, o.method, o.target), (Some(504), &b"GET"[..], &b"/v1/slow"[..]));
        assert_eq!((o.service, o.request_time, o.bytes_sent), (&b"default-api-80"[..], Some(60.003), Some(0)));
        assert_eq!((o.upstream.status, o.upstream.addr), (&b"504"[..], &b"10.1.2.3:80"[..]));
        // A 504 the upstream's own status list repeats, with no body from it: who wrote it is not
        // in the line.
        assert_eq!(confidence, Confidence::Low);
    }

    /// Layouts people copy, each line in its template's keys and nesting.
    #[test]
    fn copied_nginx_json_templates() {
        // ferama/crauti pkg/middleware/logger (a comment quoting an ingress-nginx line, joined).
        let crauti = r#"{"timestamp":"2023-03-18T20:30:38+00:00","requestID":"0f9c2aecee8c1deae250e017d4f4d960","proxyUpstreamName":"elk-elk-kibana-http","proxyAlternativeUpstreamName":"","upstreamStatus":"200","upstreamAddr":"172.20.36.212:5601","httpRequest":{"requestMethod":"POST","requestUrl":"kibana.paas.relatech.link/api/lens/stats","status":200,"requestSize":"96","responseSize":"2","userAgent":"Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/111.0.0.0 Safari/537.36","remoteIp":"10.99.99.2","referer":"https://kibana.paas.relatech.link/app/lens","latency":"1.007 s","protocol":"HTTP/2.0"}}"#;
        assert_eq!(Format::sniff(&[crauti.as_bytes()]).unwrap().name, "ingress-nginx json");
        let (o, cause, by, confidence) = judge("ingress-nginx-json", crauti);
        assert_eq!((o.status, o.target, o.upstream.response_time), (Some(200), &b"/api/lens/stats"[..], &b"1.007"[..]));
        assert_eq!((cause, by, confidence), (Cause::Ok, GeneratedBy::Upstream, Confidence::High));
        // The `json_analytics` template (dokku docs, nginx/nginx#177): `$upstream_addr` as
        // `upstream`, no `$upstream_status`: nginx's traits would read the missing status as a
        // failed exchange; the generic reader says what the fields show.
        let analytics = r#"{"msec": "1725000000.123", "connection": "1234", "connection_requests": "1", "pid": "31", "request_id": "4c6f0b0d2e", "request_length": "412", "remote_addr": "10.0.0.5", "remote_user": "", "remote_port": "51234", "time_local": "30/Aug/2024:06:40:00 +0000", "time_iso8601": "2024-08-30T06:40:00+00:00", "request": "GET /api/v1/items?id=3 HTTP/1.1", "request_uri": "/api/v1/items?id=3", "args": "id=3", "status": "504", "body_bytes_sent": "160", "bytes_sent": "320", "http_referer": "", "http_user_agent": "curl/8.4.0", "request_time": "60.001", "upstream": "10.1.2.3:8080", "upstream_connect_time": "-", "upstream_header_time": "-", "upstream_response_time": "60.000", "upstream_response_length": "0", "upstream_cache_status": "", "scheme": "http", "request_method": "GET", "server_protocol": "HTTP/1.1"}"#;
        assert!(nginx(analytics.as_bytes(), &mut Observation::default()).is_err());
        let f = Format::sniff(&[analytics.as_bytes()]).unwrap().described(&[analytics.as_bytes()]);
        assert_eq!(f.name, "generic JSON (keys status, upstream, request_time)");
        let (o, _, _, confidence) = judge("generic-json", analytics);
        assert_eq!((o.status, o.method, o.target), (Some(504), &b"GET"[..], &b"/api/v1/items?id=3"[..]));
        assert_eq!((o.upstream.addr, o.request_time), (&b"10.1.2.3:8080"[..], Some(60.001)));
        assert_ne!(confidence, Confidence::High);
        // A Logstash-era template nesting nginx's variables under `@nginx_fields`.
        let nested = r#"{"@timestamp":"2024-08-30T06:40:00+00:00","@source":"10.0.0.1","@nginx_fields":{"remote_addr":"10.0.0.5","remote_user":"","body_bytes_sent":"157","request_time":"0.004","status":"502","host":"a.example.com","uri":"/x","request_method":"GET","upstream_response_time":"0.003","upstream_addr":"10.1.2.3:80"}}"#;
        let (o, ..) = judge("generic-json", nested);
        assert_eq!((o.status, o.method, o.target, o.host), (Some(502), &b"GET"[..], &b"/x"[..], &b"a.example.com"[..]));
    }

    #[test]
    fn generic_json_reads_keys_nesting_and_strings() {
        // A Go request logger: status as a string, latency as a Go duration.
        let go = r#"{"level":"info","ts":"2024-03-08T14:00:00.123Z","msg":"request","method":"GET","path":"/api/orders/42","status":"503","latency":"12.5ms","remote_ip":"10.0.0.7:51234"}"#;
        let (o, cause, by, confidence) = judge("generic-json", go);
        assert_eq!((o.status, o.client, o.target), (Some(503), &b"10.0.0.7"[..], &b"/api/orders/42"[..]));
        assert_eq!(o.request_time, Some(0.0125));
        assert_eq!(o.time_ms, Some(1_709_906_400_123));
        assert_eq!(confidence, Confidence::Low, "{cause:?} {by:?}");
        // Nested request/response objects (pino-http style).
        let node = r#"{"level":30,"time":1709906400123,"req":{"id":7,"method":"POST","url":"/checkout"},"res":{"statusCode":500},"responseTime":42}"#;
        let (o, ..) = judge("generic-json", node);
        assert_eq!((o.status, o.method, o.target), (Some(500), &b"POST"[..], &b"/checkout"[..]));
        assert_eq!(o.request_time, Some(0.042));
        // A status under an HTTP parent stands alone.
        let (o, ..) = judge("generic-json", r#"{"http":{"status":502}}"#);
        assert_eq!(o.status, Some(502));
        // An upstream that answered, in the line itself: high confidence.
        let up = r#"{"status":404,"method":"GET","uri":"/x","backend_status":"404","backend_addr":"10.0.0.9:80"}"#;
        let (_, cause, by, confidence) = judge("generic-json", up);
        assert_eq!((cause, by, confidence), (Cause::AppNotFound, GeneratedBy::Upstream, Confidence::High));
        // No upstream contacted, by the line's own fields.
        let own = r#"{"status":503,"method":"GET","uri":"/x","backend_status":"-","backend_addr":"-"}"#;
        assert_eq!(judge("generic-json", own).2, GeneratedBy::Proxy);
    }

    #[test]
    fn what_generic_json_does_not_read() {
        for line in [
            // An application's own log: a status that is not HTTP's, an error object.
            r#"{"level":"info","msg":"job done","status":"ok","path":"/tmp/x"}"#,
            r#"{"level":"warn","msg":"upstream limited","error":{"status":429}}"#,
            r#"{"status":200}"#,
            r#"{"code":"E42","method":"GET"}"#,
            r#"{"code":0,"method":"GET","path":"/"}"#,
            "not json",
            r#"{"status":200,"method":"GET""#,
        ] {
            assert!(generic(line.as_bytes(), &mut Observation::default()).is_err(), "{line}");
        }
        assert!(generic(br#"{"code":"404","method":"GET","path":"/"}"#, &mut Observation::default()).is_ok());
    }

    #[test]
    fn the_name_says_which_keys() {
        let lines: [&[u8]; 2] = [
            br#"{"status":502,"method":"GET","path":"/","upstream":"10.0.0.1:80","duration":"1.2s"}"#,
            br#"{"res":{"statusCode":200},"req":{"method":"GET","url":"/"}}"#,
        ];
        assert_eq!(describe(&lines).as_deref(), Some("status, upstream, duration"));
        assert_eq!(describe(&lines[1..]).as_deref(), Some("res.statusCode"));
    }
}
