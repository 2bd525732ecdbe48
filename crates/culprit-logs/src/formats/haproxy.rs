//! HAProxy access logs, in every layout HAProxy writes (`doc/configuration.txt` §8.2):
//!
//! ```text
//! option httplog       [syslog header] 10.0.1.2:33317 [06/Feb/2009:12:14:14.655] http-in static/srv1
//!                          10/0/30/69/109 200 2750 - - ---- 1/1/1/1/0 0/0 {1wt.eu} {} "GET /index.html HTTP/1.1"
//! option httpslog      the same, then ` 0/0/0/0/0 1wt.eu/TLSv1.3/TLS_AES_256_GCM_SHA384`
//! option httplog clf   10.0.1.2 - - [06/Feb/2009:12:14:14 +0000] "GET /index.html HTTP/1.1" 200 2750 "" ""
//!                          33317 655 "http-in" "static" "srv1" 10 0 30 69 109 ---- 1 1 1 1 0 0 0 "" "" "1wt.eu"
//! ```
//!
//! and custom `log-format`s: given with `--haproxy-format` ([`super::haproxy_format`]), or read
//! without it by HAProxy's own fields wherever they are ([`parse_loose`]), JSON ones by the key
//! names people give those fields ([`parse_json`]). Every layout fills one [`Session`], which
//! [`apply`] translates.
//!
//! The fields: client, accept date, frontend, backend/server (`<NOSRV>` when no server was chosen,
//! `<STATS>` for the stats page, `-/-` for HAProxy's own HTTP client), the timers TR/Tw/Tc/Tr/Ta in
//! ms (`-1`: that phase never completed; `+` under `option logasap`), status (`-1`: nothing sent),
//! bytes, two captured cookies, the four-character termination state, connection counts, queues,
//! optional captured headers `{…}`, and the quoted request. The termination state says who ended
//! the stream and in which phase (§8.5): it is the decisive evidence (`SC` refused, `sH` server
//! timeout, `LR` answered locally…); `Tr ≥ 0` says the server sent its response headers.
//!
//! Whatever syslog writes in front (BSD `Mon dd hh:mm:ss host tag[pid]: `, RFC 5424
//! `<134>1 2024-06-12T10:09:11.823+02:00 host tag pid - - `, an ISO date, a tag other than
//! `haproxy`, no pid) is skipped: the reader anchors on the bracketed accept date.

use crate::formats::nginx::find_byte;
use crate::observation::{Observation, Signal, parse_u16, parse_u64};
use crate::time;

/// Why a line is not an HAProxy access line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NotHttplog;

/// The timers HAProxy logs, in ms: `None` when the layout does not log one, `Some(-1)` when that
/// phase never completed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Timers {
    /// TR (Tq before 1.5: it then included the idle time; either says the request arrived).
    pub request: Option<i64>,
    pub queue: Option<i64>,
    pub connect: Option<i64>,
    /// Tr: waiting for the server's response headers.
    pub response: Option<i64>,
    /// Ta (Tt before 1.5): the whole request.
    pub total: Option<i64>,
}

/// One request as HAProxy logged it, in HAProxy's own terms, before translation.
#[derive(Debug, Clone, Copy, Default)]
pub struct Session<'a> {
    pub client: &'a [u8],
    /// The accept date as written, and whether it is an epoch (`%Ts`).
    pub date: &'a [u8],
    pub epoch: bool,
    pub frontend: &'a [u8],
    pub backend: &'a [u8],
    /// The server's name; empty when the layout does not log it.
    pub server: &'a [u8],
    /// The layout logs no server at all (a custom format): whether one answered is read from the
    /// termination state and the timers alone.
    pub server_unknown: bool,
    pub timers: Timers,
    /// `-1` or a three-digit status.
    pub status: &'a [u8],
    pub bytes: &'a [u8],
    /// The termination state, 2 or 4 characters.
    pub state: &'a [u8],
    /// The request line without its quotes (`GET / HTTP/1.1`, `<BADREQ>`, empty).
    pub request: &'a [u8],
    /// Method and target when the layout logs them apart (`%HM %HU`).
    pub method: &'a [u8],
    pub target: &'a [u8],
    pub host: &'a [u8],
    /// `{…}` blocks of captured headers, as written.
    pub captures: &'a [u8],
    pub request_id: &'a [u8],
}

/// A signed count of milliseconds as HAProxy writes it: `-1`, `12`, `+30` (logasap).
fn ms(v: &[u8]) -> Option<i64> {
    let v = v.strip_prefix(b"+").unwrap_or(v);
    if v == b"-1" || v == b"-" {
        return Some(-1);
    }
    parse_u64(v).and_then(|n| i64::try_from(n).ok())
}

/// `TR/Tw/Tc/Tr/Ta`: five timers, each `-1`, digits or `+digits`.
fn five_timers(token: &[u8]) -> Option<Timers> {
    let mut it = token.split(|&b| b == b'/');
    let mut next = || it.next().and_then(ms);
    let t = Timers {
        request: Some(next()?),
        queue: Some(next()?),
        connect: Some(next()?),
        response: Some(next()?),
        total: Some(next()?),
    };
    (slashes(token) == 4).then_some(t)
}

/// A termination state with cookie flags (`%tsc`, four characters): each character from its
/// position's alphabet (§8.5).
pub fn is_state(t: &[u8]) -> bool {
    t.len() == 4
        && b"-CcSsPLRIDUK".contains(&t[0])
        && b"-RQCHDLT".contains(&t[1])
        && b"-NIDVEOU".contains(&t[2])
        && b"-NIUPRD".contains(&t[3])
}

/// `-1` or a status code.
fn is_status(t: &[u8]) -> bool {
    t == b"-1" || (t.len() == 3 && parse_u16(t).is_some_and(|s| (100..=599).contains(&s)))
}

/// `06/Feb/2009:12:14:14` at the start of `s`.
fn is_clf_date(s: &[u8]) -> bool {
    s.len() >= 20
        && s[0].is_ascii_digit()
        && s[1].is_ascii_digit()
        && s[2] == b'/'
        && s[3].is_ascii_uppercase()
        && s[6] == b'/'
        && s[7..11].iter().all(u8::is_ascii_digit)
        && s[11] == b':'
        && s[14] == b':'
        && s[17] == b':'
}

/// The bracketed date HAProxy writes: `[06/Feb/2009:12:14:14.655]` (`%tr`, `%t`; 2004-era lines
/// without milliseconds) or, with `zone`, `[06/Feb/2009:12:14:14 +0000]` (`%trg`, `%T`). Returns
/// the positions of `[` and `]`. Searched for from the start of the line, past any syslog header.
fn find_date(line: &[u8], zone: bool) -> Option<(usize, usize)> {
    let head = &line[..line.len().min(640)];
    memchr::memchr_iter(b'[', head).find_map(|open| {
        let d = &line[open + 1..];
        if !is_clf_date(d) {
            return None;
        }
        let mut end = 20;
        if zone {
            let z = d.get(20..26)?;
            if !(z[0] == b' ' && matches!(z[1], b'+' | b'-') && z[2..].iter().all(u8::is_ascii_digit)) {
                return None;
            }
            end = 26;
        } else if d.get(20) == Some(&b'.') {
            end = 21 + d[21..].iter().take_while(|b| b.is_ascii_digit()).count();
        }
        (d.get(end) == Some(&b']')).then_some((open, open + 1 + end))
    })
}

/// The client written just before the date (`10.0.1.2:33317`, `[::1]:443`, `-:-`, `unix:1`,
/// `xxx.xxx.xxx.xxx:43608`): a token with a `:` that is not the syslog tag (`haproxy[42]:`).
fn client_before(before: &[u8]) -> &[u8] {
    let Some(before) = before.strip_suffix(b" ") else { return b"" };
    let start = memchr::memrchr(b' ', before).map_or(0, |i| i + 1);
    let token = &before[start..];
    // Short tokens: a plain loop, not core's memchr behind `contains` (its set-up cost more than the
    // search: 90 instructions a line, measured with callgrind).
    #[allow(clippy::manual_contains)]
    let has = |c: u8| token.iter().any(|&b| b == c);
    if has(b':') && token.last() != Some(&b':') && !has(b'[') || token.starts_with(b"[") { token } else { b"" }
}

/// The `/` in a short field (`12/12/3/1/0`): counted in a plain loop, a call into memchr's counter
/// per field cost more than the count.
#[allow(clippy::naive_bytecount)]
fn slashes(field: &[u8]) -> usize {
    field.iter().filter(|&&b| b == b'/').count()
}

/// The next space-separated token (short: found eight bytes at a time, see [`find_byte`]).
fn next_token<'a>(rest: &mut &'a [u8]) -> Option<&'a [u8]> {
    let r = rest.trim_ascii_start();
    if r.is_empty() {
        return None;
    }
    let end = find_byte(b' ', r).unwrap_or(r.len());
    *rest = &r[end..];
    Some(&r[..end])
}

/// The quoted request after the fields (captured headers may come first): HAProxy encodes `"` in
/// requests and captures (`#22`), so the request runs to the next quote — or to the end of a line
/// that syslog cut.
fn quoted_request(rest: &[u8]) -> (&[u8], &[u8]) {
    match memchr::memchr(b'"', rest) {
        Some(q) => {
            let body = &rest[q + 1..];
            let end = memchr::memchr(b'"', body).unwrap_or(body.len());
            (&rest[..q], &body[..end])
        }
        None => (rest, b""),
    }
}

/// `option httplog` and `option httpslog` (and custom formats that keep httplog's order with a
/// field or two added after the server).
pub fn parse<'a>(line: &'a [u8], obs: &mut Observation<'a>) -> Result<(), NotHttplog> {
    let (open, close) = find_date(line, false).ok_or(NotHttplog)?;
    let mut s = Session { client: client_before(&line[..open]), date: &line[open + 1..close], ..Session::default() };
    let mut rest = &line[close + 1..];
    if rest.first() != Some(&b' ') {
        return Err(NotHttplog);
    }
    s.frontend = next_token(&mut rest).ok_or(NotHttplog)?;
    let backend_server = next_token(&mut rest).ok_or(NotHttplog)?;
    let slash = memchr::memchr(b'/', backend_server).ok_or(NotHttplog)?;
    (s.backend, s.server) = (&backend_server[..slash], &backend_server[slash + 1..]);
    // Up to two fields a custom format added before the timers (`%[req.hdr(host)]`).
    let mut timers = None;
    for _ in 0..3 {
        if let Some(t) = five_timers(next_token(&mut rest).ok_or(NotHttplog)?) {
            timers = Some(t);
            break;
        }
    }
    s.timers = timers.ok_or(NotHttplog)?;
    s.status = next_token(&mut rest).ok_or(NotHttplog)?;
    s.bytes = next_token(&mut rest).ok_or(NotHttplog)?;
    let _request_cookie = next_token(&mut rest).ok_or(NotHttplog)?;
    let _response_cookie = next_token(&mut rest).ok_or(NotHttplog)?;
    s.state = next_token(&mut rest).ok_or(NotHttplog)?;
    let conns = next_token(&mut rest).ok_or(NotHttplog)?;
    let queues = next_token(&mut rest).ok_or(NotHttplog)?;
    if slashes(conns) != 4 || slashes(queues) != 1 {
        return Err(NotHttplog);
    }
    (s.captures, s.request) = quoted_request(rest);
    s.request_id = captured_request_id(s.captures);
    apply(&s, obs)
}

/// `option httplog clf`: CLF first (client, date with zone, request, status, bytes), then the
/// HTTP log's fields one per column (§8.2.3):
/// `%{+Q}o %{-Q}ci - - [%trg] %r %ST %B "" "" %cp %ms %ft %b %s %TR %Tw %Tc %Tr %Ta %tsc %ac %fc
/// %bc %sc %rc %sq %bq %CC %CS %hrl %hsl`. Columns a custom format adds after them are skipped.
pub fn parse_clf<'a>(line: &'a [u8], obs: &mut Observation<'a>) -> Result<(), NotHttplog> {
    let (open, close) = find_date(line, true).ok_or(NotHttplog)?;
    let before = line[..open].strip_suffix(b" - - ").ok_or(NotHttplog)?;
    let client = &before[memchr::memrchr(b' ', before).map_or(0, |i| i + 1)..];
    let client = client.strip_prefix(b"\"").and_then(|c| c.strip_suffix(b"\"")).unwrap_or(client);
    let mut s = Session { client, date: &line[open + 1..close], ..Session::default() };
    let mut rest = &line[close + 1..];
    s.request = quoted(&mut rest).ok_or(NotHttplog)?;
    // `option tcplog clf` writes `"TCP " 000`: a connection, not a request.
    if s.request == b"TCP " {
        return Err(NotHttplog);
    }
    s.status = next_token(&mut rest).ok_or(NotHttplog)?;
    s.bytes = next_token(&mut rest).ok_or(NotHttplog)?;
    // The two quoted CLF columns (empty in HAProxy's own layout), the client port and the
    // accept date's milliseconds.
    quoted(&mut rest).ok_or(NotHttplog)?;
    quoted(&mut rest).ok_or(NotHttplog)?;
    for _ in 0..2 {
        parse_u64(next_token(&mut rest).ok_or(NotHttplog)?).ok_or(NotHttplog)?;
    }
    s.frontend = quoted(&mut rest).ok_or(NotHttplog)?;
    s.backend = quoted(&mut rest).ok_or(NotHttplog)?;
    s.server = quoted(&mut rest).ok_or(NotHttplog)?;
    let mut t = [0i64; 5];
    for v in &mut t {
        *v = ms(next_token(&mut rest).ok_or(NotHttplog)?).ok_or(NotHttplog)?;
    }
    s.timers =
        Timers { request: Some(t[0]), queue: Some(t[1]), connect: Some(t[2]), response: Some(t[3]), total: Some(t[4]) };
    s.state = next_token(&mut rest).ok_or(NotHttplog)?;
    if !is_state(s.state) {
        return Err(NotHttplog);
    }
    apply(&s, obs)
}

/// A `"…"` column (quotes removed), or a bare `-`.
fn quoted<'a>(rest: &mut &'a [u8]) -> Option<&'a [u8]> {
    let r = rest.trim_ascii_start();
    if r.first() == Some(&b'-') && r.get(1).is_none_or(|b| *b == b' ') {
        *rest = &r[1..];
        return Some(b"-");
    }
    let body = r.strip_prefix(b"\"")?;
    let end = memchr::memchr(b'"', body)?;
    *rest = &body[end + 1..];
    Some(&body[..end])
}

/// One column of a line read by [`parse_loose`]: a quoted string, a `{…}` capture block or a
/// space-separated token.
fn loose_tokens(line: &[u8]) -> impl Iterator<Item = &[u8]> {
    let mut rest = line;
    std::iter::from_fn(move || {
        let r = rest.trim_ascii_start();
        if r.is_empty() {
            return None;
        }
        let close = match r[0] {
            b'"' => Some(b'"'),
            b'{' => Some(b'}'),
            _ => None,
        };
        let end = close
            .and_then(|c| memchr::memchr(c, &r[1..]).map(|i| i + 2))
            .unwrap_or_else(|| memchr::memchr(b' ', r).unwrap_or(r.len()));
        rest = &r[end..];
        Some(&r[..end])
    })
}

fn unquote(t: &[u8]) -> Option<&[u8]> {
    t.strip_prefix(b"\"").and_then(|t| t.strip_suffix(b"\"").or(Some(t)))
}

/// A quoted request line: `"GET /x HTTP/1.1"`, `"<BADREQ>"`, `""`.
fn is_request(t: &[u8]) -> bool {
    unquote(t).is_some_and(|r| {
        r.is_empty()
            || r == b"<BADREQ>"
            || memchr::memchr(b' ', r).is_some_and(|sp| sp > 0 && r[..sp].iter().all(u8::is_ascii_uppercase))
    })
}

/// A custom `log-format` read by HAProxy's own fields wherever the admin put them: the four-letter
/// termination state, the five timers written `TR/Tw/Tc/Tr/Ta` before it, the status (after the
/// timers as in httplog, or after the quoted request as in CLF), `<NOSRV>`/`<STATS>` and the
/// request. Lines without a termination state, the timers and a status are not read.
pub fn parse_loose<'a>(line: &'a [u8], obs: &mut Observation<'a>) -> Result<(), NotHttplog> {
    let mut s = Session { server_unknown: true, ..Session::default() };
    // The timers are the last five-part group before the state (the connection counts after it
    // have five parts too), or the first one after it.
    let (mut timers_at, mut state_at, mut request_at) = (None, None, None);
    for (i, t) in loose_tokens(line).enumerate() {
        if state_at.is_none() && is_state(t) {
            state_at = Some(i);
            s.state = t;
        } else if (state_at.is_none() || timers_at.is_none()) && five_timers(t).is_some() {
            timers_at = Some(i);
            s.timers = five_timers(t).unwrap_or_default();
        } else if request_at.is_none() && is_request(t) {
            request_at = Some(i);
            s.request = unquote(t).unwrap_or_default();
        } else if t.ends_with(b"<NOSRV>") || t.ends_with(b"<STATS>") {
            // `backend/<NOSRV>`: the backend is named with it.
            s.server = &t[t.len() - 7..];
            s.backend = t[..t.len() - 7].strip_suffix(b"/").unwrap_or_default();
            s.server_unknown = false;
        } else if s.date.is_empty() && t.first() == Some(&b'[') && is_clf_date(&t[1..]) {
            s.date = t[1..].strip_suffix(b"]").unwrap_or(&t[1..]);
        }
    }
    let (Some(timers_at), Some(_)) = (timers_at, state_at) else { return Err(NotHttplog) };
    let after = |at: Option<usize>| at.and_then(|i| loose_tokens(line).nth(i + 1)).filter(|t| is_status(t));
    s.status = after(Some(timers_at)).or_else(|| after(request_at)).ok_or(NotHttplog)?;
    apply(&s, obs)
}

/// A JSON `log-format` an admin wrote by hand (`{"status":%ST,"termination_state":"%tsc",…}`),
/// behind any syslog header: read by the key names such formats use for HAProxy's fields, at any
/// depth (`"connection":{"termination_state":"sC"}`, `"haproxy_times":{"tr":-1}`). Only an object
/// with a termination state and a status is read.
pub fn parse_json<'a>(line: &'a [u8], obs: &mut Observation<'a>) -> Result<(), NotHttplog> {
    let open = memchr::memchr(b'{', &line[..line.len().min(320)]).ok_or(NotHttplog)?;
    let json = std::str::from_utf8(&line[open..]).map_err(|_| NotHttplog)?;
    let quoted_key = |k: &str| {
        memchr::memmem::find_iter(json.as_bytes(), k)
            .any(|i| i > 0 && json.as_bytes()[i - 1] == b'"' && json.as_bytes().get(i + k.len()) == Some(&b'"'))
    };
    if !STATE_KEYS.iter().any(|k| quoted_key(k)) {
        return Err(NotHttplog);
    }
    let mut s = Session { server_unknown: true, ..Session::default() };
    let mut request_line = "";
    walk_json(json, 0, &mut |key, value| {
        let key = key.to_ascii_lowercase();
        let text = raw_json(value);
        let number = || haproxy_number(text);
        let unset = |v: &[u8]| v.is_empty();
        match key.as_str() {
            k if STATE_KEYS.contains(&k) && unset(s.state) && (is_state(text) || is_short_state(text)) => {
                s.state = text;
            }
            "status_code" | "status" | "http_status" | "st" | "response_code" | "http_status_code"
                if unset(s.status) && is_status(text) =>
            {
                s.status = text;
            }
            "tr" | "time_server_response" | "server_response_time" | "response_time" if s.timers.response.is_none() => {
                s.timers.response = number();
            }
            "tc" | "time_to_connect" | "connect_time" if s.timers.connect.is_none() => s.timers.connect = number(),
            "tw" | "time_waiting" | "queue_time" if s.timers.queue.is_none() => s.timers.queue = number(),
            "ta" | "tt" | "time_active" | "total_time" | "duration_milliseconds" if s.timers.total.is_none() => {
                s.timers.total = number();
            }
            "backend_name" | "backend" | "be_name" if unset(s.backend) && !text.starts_with(b"{") => s.backend = text,
            "frontend_name" | "frontend" | "fe_name" if unset(s.frontend) && !text.starts_with(b"{") => {
                s.frontend = text;
            }
            "server_name" | "srv_name" | "server"
                if !text.is_empty() && !text.starts_with(b"{") && s.server_unknown =>
            {
                (s.server, s.server_unknown) = (text, false);
            }
            "method" | "http_method" | "hm" if unset(s.method) => s.method = text,
            "path" | "uri" | "url" | "target" | "request_uri" | "hu" if unset(s.target) && text.starts_with(b"/") => {
                s.target = text;
            }
            "request" | "http_request" | "request_line" if request_line.is_empty() && !text.starts_with(b"{") => {
                request_line = std::str::from_utf8(text).unwrap_or_default();
            }
            "client_ip" | "ci" | "src" | "remote_addr" | "client" if unset(s.client) && !text.starts_with(b"{") => {
                s.client = text;
            }
            "bytes_read" | "bytes" | "bytes_sent" if unset(s.bytes) => s.bytes = text,
            _ => {}
        }
    });
    // Names nested one level down: `"backend":{"name":…}`, and `"server":{"name":""}` beside
    // `"target_server":{"name":"srv000"}` (the first non-empty one).
    walk_json(json, 0, &mut |key, value| {
        let key = key.to_ascii_lowercase();
        let v = value.get();
        if !v.starts_with('{') {
            return;
        }
        let name = || -> &'a [u8] {
            let mut found: &'a [u8] = b"";
            walk_json(v, 3, &mut |k, n| {
                if k == "name" && found.is_empty() {
                    found = raw_json(n);
                }
            });
            found
        };
        match key.as_str() {
            "backend" if s.backend.is_empty() => s.backend = name(),
            "frontend" if s.frontend.is_empty() => s.frontend = name(),
            "server" | "target_server" if s.server_unknown => {
                let n = name();
                if !n.is_empty() {
                    (s.server, s.server_unknown) = (n, false);
                }
            }
            _ => {}
        }
    });
    if s.state.is_empty() || s.status.is_empty() {
        return Err(NotHttplog);
    }
    s.request = request_line.as_bytes();
    apply(&s, obs)
}

/// The keys JSON formats give HAProxy's termination state.
/// (Not `ts`: Caddy and zap name their timestamps so.)
const STATE_KEYS: &[&str] = &["termination_state", "tsc", "term_state", "termination_state_cookie", "session_state"];

/// The two-character termination state (`%ts`).
fn is_short_state(t: &[u8]) -> bool {
    t.len() == 2 && b"-CcSsPLRIDUK".contains(&t[0]) && b"-RQCHDLT".contains(&t[1])
}

/// A JSON value as a slice of the line: strings without their quotes (escapes left as written).
fn raw_json(v: &serde_json::value::RawValue) -> &[u8] {
    let s = v.get().as_bytes();
    s.strip_prefix(b"\"").and_then(|s| s.strip_suffix(b"\"")).unwrap_or(s)
}

/// A timer written as a number or a string (`-1`, `"+1"`).
fn haproxy_number(v: &[u8]) -> Option<i64> {
    let v = v.strip_prefix(b"+").unwrap_or(v);
    match v.strip_prefix(b"-") {
        Some(n) => parse_u64(n).and_then(|n| i64::try_from(n).ok()).map(|n| -n),
        None => parse_u64(v).and_then(|n| i64::try_from(n).ok()),
    }
}

/// Every key and value of a JSON object, depth first in document order, down to a few levels.
fn walk_json<'a>(json: &'a str, depth: u8, f: &mut dyn FnMut(&'a str, &'a serde_json::value::RawValue)) {
    type Object<'a> = Vec<(&'a str, &'a serde_json::value::RawValue)>;
    let Ok(object) = serde_json::from_str::<OrderedObject<'a>>(json) else { return };
    let object: Object<'a> = object.0;
    for (k, v) in object {
        f(k, v);
        if depth < 4 && v.get().starts_with('{') {
            walk_json(v.get(), depth + 1, f);
        } else if v.get().starts_with('[') {
            // `"ips":["172.27.0.1"]`: the first item stands for the list.
            if let Ok(items) = serde_json::from_str::<Vec<&'a serde_json::value::RawValue>>(v.get()) {
                if let Some(first) = items.first() {
                    f(k, first);
                }
            }
        }
    }
}

/// A JSON object's entries in document order, borrowed from the text.
struct OrderedObject<'a>(Vec<(&'a str, &'a serde_json::value::RawValue)>);

impl<'de: 'a, 'a> serde::Deserialize<'de> for OrderedObject<'a> {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct Visitor<'a>(std::marker::PhantomData<&'a ()>);
        impl<'de: 'a, 'a> serde::de::Visitor<'de> for Visitor<'a> {
            type Value = OrderedObject<'a>;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("a JSON object")
            }
            fn visit_map<M: serde::de::MapAccess<'de>>(self, mut map: M) -> Result<Self::Value, M::Error> {
                let mut out = Vec::new();
                while let Some((k, v)) = map.next_entry::<&'de str, &'de serde_json::value::RawValue>()? {
                    out.push((k, v));
                }
                Ok(OrderedObject(out))
            }
        }
        d.deserialize_map(Visitor(std::marker::PhantomData))
    }
}

/// Translate one session into the observation: fields, then who answered.
pub fn apply<'a>(s: &Session<'a>, obs: &mut Observation<'a>) -> Result<(), NotHttplog> {
    obs.status = Some(if s.status == b"-1" { 0 } else { parse_u16(s.status).ok_or(NotHttplog)? });
    if !(s.state.len() == 4 || s.state.len() == 2) {
        return Err(NotHttplog);
    }
    obs.client = s.client;
    if s.epoch {
        obs.time_ms = time::parse_epoch(s.date);
    } else {
        obs.time_ms = time::parse_clf_cached(s.date);
        obs.time_raw = s.date;
    }
    if s.backend != b"-" {
        obs.service = s.backend;
    }
    let nosrv = s.server == b"<NOSRV>";
    let local = s.server == b"<STATS>" || s.state[0] == b'L';
    let no_server = nosrv || local || s.server == b"-" || s.server.is_empty() && !s.server_unknown;
    obs.upstream.addr = if no_server || s.server.is_empty() { b"-" } else { s.server };
    // One server per line: the address is one item, never a list.
    obs.upstream.single = true;
    obs.bytes_sent = parse_u64(s.bytes.strip_prefix(b"+").unwrap_or(s.bytes));
    obs.request_time = s.timers.total.filter(|t| *t >= 0).map(|t| t as f64 / 1000.0);
    if !s.request.is_empty() {
        let (method, target) = crate::scan::request_line(s.request);
        (obs.method, obs.target) = (method, target);
        // The HAProxy Kubernetes ingress controller logs `%HM %[var(txn.base)] %HV`: the host and
        // the path, `test.k8s.local/` (haproxytech/kubernetes-ingress documentation/annotations.md).
        if !target.starts_with(b"/") && method != b"CONNECT" && memchr::memmem::find(target, b"://").is_none() {
            if let Some(slash) = memchr::memchr(b'/', target) {
                (obs.host, obs.target) = (&target[..slash], &target[slash..]);
            }
        }
    }
    if !s.method.is_empty() {
        obs.method = s.method;
    }
    if !s.target.is_empty() {
        obs.target = s.target;
    }
    if !s.host.is_empty() {
        obs.host = s.host;
    }
    obs.request_id = s.request_id;
    obs.detail = s.state;
    obs.detail_source = "HAProxy termination state";
    let status = obs.status.unwrap_or(0);
    // Tr ≥ 0: the server sent its response headers, so the status is the server's — unless HAProxy
    // blocked the response (P…) or answered itself (L…).
    let server_answered = s.timers.response.is_some_and(|t| t >= 0) && !no_server && !matches!(s.state[0], b'P' | b'L');
    // `frontend frontend/<NOSRV>` with 503: no use_backend rule matched and there is no
    // default_backend (a `listen` section without servers looks the same).
    let unrouted = nosrv && !s.backend.is_empty() && s.backend == s.frontend.strip_suffix(b"~").unwrap_or(s.frontend);
    if let Some(sig) = signal(s.state, status, server_answered, nosrv, unrouted) {
        obs.signals.set(sig);
    }
    obs.upstream_answered = server_answered;
    // Nothing reached a server and no signal says why: HAProxy answered itself (a redirect, an
    // `http-request return`, the stats page, a deny rule).
    obs.proxy_answered = (no_server || s.server_unknown && s.timers.connect.is_some_and(|t| t < 0)) && !server_answered;
    Ok(())
}

/// The request id among the captured request headers (`capture request header X-Request-ID`):
/// the first `{…}` block holds the request captures, `|`-separated, in configuration order; the
/// id is the first value shaped like one (16+ characters of letters, digits, `-`, `_`, with a digit).
fn captured_request_id(captures: &[u8]) -> &[u8] {
    let Some(open) = memchr::memchr(b'{', captures) else { return b"" };
    let Some(len) = memchr::memchr(b'}', &captures[open..]) else { return b"" };
    captures[open + 1..open + len]
        .split(|&b| b == b'|')
        .find(|v| {
            v.len() >= 16
                && v.iter().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_'))
                && v.iter().any(u8::is_ascii_digit)
        })
        .unwrap_or(b"")
}

/// What a termination state says (§8.5), given the status and whether the server answered.
fn signal(state: &[u8], status: u16, server_answered: bool, nosrv: bool, unrouted: bool) -> Option<Signal> {
    let (who, phase) = (state[0], state[1]);
    // The client left or stalled after the server's answer began: the status is the server's.
    let answered = server_answered && status > 0;
    Some(match (who, phase) {
        _ if unrouted && status == 503 => Signal::NoRoute,
        (b'C', _) if !answered => Signal::ClientAborted,
        // `timeout client` / `timeout http-request`: HAProxy answered 408 (or logged -1).
        (b'c', _) if !answered => Signal::ClientTimeout,
        (b'C' | b'c', _) => return None,
        // HAProxy found no server to send the request to: every one is down or in maintenance.
        (b'S', b'C') if nosrv => Signal::NoLiveUpstreams,
        (b'S', b'C') => Signal::UpstreamConnectRefused,
        (b'S', b'H') => Signal::UpstreamClosedPrematurely,
        (b'S' | b's', b'D' | b'L') => Signal::UpstreamDiedMidResponse,
        (b's', b'C') => Signal::UpstreamConnectTimeout,
        (b's', b'H') => Signal::UpstreamReadTimeout,
        (b's', b'Q') | (b'P' | b'R', b'C') => Signal::Overloaded,
        (b'P', b'H' | b'D') => Signal::UpstreamInvalidResponse,
        // HAProxy writes `<BADREQ>` with 400 PR-- both for a broken request line and for headers
        // over tune.bufsize: the log cannot tell the two apart (lab/README.md).
        (b'P', b'R') if status == 400 => Signal::InvalidRequest,
        // `http-request deny deny_status N`: the status says which limit refused.
        (b'P', b'R') if status == 429 => Signal::RateLimited,
        (b'P', b'R') if status == 413 => Signal::BodyTooLarge,
        (b'P', b'R') if matches!(status, 414 | 431) => Signal::HeaderTooLarge,
        // `http-request auth` (basic auth) refused the credentials.
        (b'P', b'R') if status == 401 => Signal::AuthFailed,
        (b'P', b'R' | b'T') => Signal::AccessDenied,
        // The server was marked down (or an active one came back) and HAProxy killed the stream.
        (b'D' | b'U', _) => Signal::NoLiveUpstreams,
        // An internal error, or an admin killed the stream: HAProxy's own doing.
        (b'I' | b'K', _) => Signal::ProxyError,
        _ if nosrv && status == 503 => Signal::NoLiveUpstreams,
        _ => return None,
    })
}

/// HAProxy lines in the same stream that are not requests: server state changes, start/stop
/// notices, and the connection errors it logs before any request (`frontend/bind: SSL handshake
/// failure`, §8.2.5).
pub fn is_message(line: &[u8]) -> bool {
    let has = |n: &[u8]| memchr::memmem::find(line, n).is_some();
    has(b" is DOWN")
        || has(b" is UP")
        || has(b"[WARNING]")
        || has(b"[NOTICE]")
        || has(b"[ALERT]")
        || has(b"has no server available!")
        || has(b"Health check for ")
        || (has(b"Proxy ") && (has(b" started") || has(b" stopped")))
        || has(b"Stopping frontend ")
        || has(b"Stopping backend ")
        || is_connection_error(line)
        || is_tcplog(line)
        // The default format (§8.2.1): `Connect from 10.0.1.2:33312 to 10.0.3.31:8012 (www/HTTP)`.
        || has(b"Connect from ") && has(b" to ") && line.ends_with(b")")
}

/// `option tcplog` (§8.2.2): a TCP connection, not an HTTP request — `Tw/Tc/Tt`, bytes and a
/// two-character state after the backend/server, no status.
fn is_tcplog(line: &[u8]) -> bool {
    if memchr::memmem::find(line, b"] \"TCP \" 000 ").is_some() {
        return true; // option tcplog clf
    }
    let Some((_, close)) = find_date(line, false) else { return false };
    let mut rest = &line[close + 1..];
    let _frontend = next_token(&mut rest);
    let (Some(backend_server), Some(timers), Some(_bytes), Some(state)) =
        (next_token(&mut rest), next_token(&mut rest), next_token(&mut rest), next_token(&mut rest))
    else {
        return false;
    };
    backend_server.contains(&b'/')
        && memchr::memchr_iter(b'/', timers).count() == 2
        && timers.split(|&b| b == b'/').all(|t| ms(t).is_some())
        && is_short_state(state)
}

/// `127.0.0.1:56059 [03/Dec/2012:17:35:10.380] frt/f1: Connection error during SSL handshake`.
fn is_connection_error(line: &[u8]) -> bool {
    let Some((_, close)) = find_date(line, false) else { return false };
    let mut rest = &line[close + 1..];
    next_token(&mut rest).is_some_and(|t| t.ends_with(b":") && t.contains(&b'/'))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::attribute::{Cause, Context, attribute};
    use culprit_kb::GeneratedBy;

    fn attr(line: &str) -> (Cause, GeneratedBy) {
        let mut obs = Observation::default();
        parse(line.as_bytes(), &mut obs).unwrap_or_else(|_| panic!("{line}"));
        let a = attribute(&obs, &Context { synthesises_upstream_status: false, ..Context::default() }).unwrap();
        (a.cause, a.generated_by)
    }

    fn read(
        f: for<'a> fn(&'a [u8], &mut Observation<'a>) -> Result<(), NotHttplog>,
        line: &str,
    ) -> (u16, Cause, GeneratedBy) {
        let mut obs = Observation::default();
        f(line.as_bytes(), &mut obs).unwrap_or_else(|_| panic!("{line}"));
        // The context of the registered format that reads with `f`.
        let format = crate::formats::Format::candidates()
            .iter()
            .find(|c| c.parse(line.as_bytes(), &mut Observation::default()).is_ok())
            .expect("a registered format reads it");
        let a = attribute(&obs, &format.context(None)).unwrap();
        (obs.status.unwrap(), a.cause, a.generated_by)
    }

    #[test]
    fn documentation_examples() {
        assert_eq!(attr(r#"haproxy[14389]: 10.0.1.2:33317 [06/Feb/2009:12:14:14.655] http-in static/srv1 10/0/30/69/109 200 2750 - - ---- 1/1/1/1/0 0/0 {1wt.eu} {} "GET /index.html HTTP/1.1""#).0, Cause::Ok);
        assert_eq!(
            attr(
                r#"haproxy[674]: 127.0.0.1:33320 [15/Oct/2003:08:32:17.925] px-http px-http/srv1 9/0/7/14/30 502 243 - - PH-- 3/2/2/0/0 0/0 "GET /cgi-bin/bug.cgi? HTTP/1.0""#
            ),
            (Cause::UpstreamInvalidResponse, GeneratedBy::Proxy)
        );
        assert_eq!(attr(r#"haproxy[18113]: 127.0.0.1:34548 [15/Oct/2003:15:18:55.798] px-http px-http/<NOSRV> -1/-1/-1/-1/8490 -1 0 - - CR-- 2/2/2/0/0 0/0 """#).0, Cause::ClientClosedRequest);
        assert_eq!(attr(r#"haproxy[18113]: 127.0.0.1:34549 [15/Oct/2003:15:19:06.103] px-http px-http/<NOSRV> -1/-1/-1/-1/50001 408 0 - - cR-- 2/2/2/0/0 0/0 """#).0, Cause::ClientRequestTimeout);
        assert_eq!(attr(r#"haproxy[18989]: 10.0.0.1:34552 [15/Oct/2003:15:26:31.462] px-http px-http/srv1 3183/-1/-1/-1/11215 503 0 - - SC-- 205/202/202/115/3 0/0 "HEAD / HTTP/1.0""#).0, Cause::UpstreamConnectionRefused);
        // option httpslog (§8.2.4): the TLS fields after the request are not part of it.
        let mut o = Observation::default();
        parse(br#"Feb  6 12:14:14 localhost haproxy[14389]: 10.0.1.2:33317 [06/Feb/2009:12:14:14.655] https-in static/srv1 10/0/30/69/109 200 2750 - - ---- 1/1/1/1/0 0/0 {1wt.eu} {} "GET /index.html HTTP/1.1" 0/0/0/0/0 1wt.eu/TLSv1.3/TLS_AES_256_GCM_SHA384"#, &mut o).unwrap();
        assert_eq!((o.method, o.target, o.client), (&b"GET"[..], &b"/index.html"[..], &b"10.0.1.2:33317"[..]));
        // A connection error (§8.2.5) is not a request, and is known.
        let e = b"Dec  3 18:27:14 localhost haproxy[6103]: 127.0.0.1:56059 [03/Dec/2012:17:35:10.380] frt/f1: Connection error during SSL handshake";
        assert!(parse(e, &mut Observation::default()).is_err() && is_message(e));
        assert!(is_message(b"Sep 20 15:42:59 67.43.156.13 haproxy[24551]: Connect from 67.43.156.13:40780 to 67.43.156.13:5000 (main/HTTP)"));
        // option tcplog (§8.2.2): a connection, not a request.
        let tcp = b"Feb  6 12:12:56 localhost haproxy[14387]: 10.0.1.2:33313 [06/Feb/2009:12:12:51.443] fnt bck/srv1 0/0/5007 212 -- 0/0/0/0/3 0/0";
        assert!(parse(tcp, &mut Observation::default()).is_err() && is_message(tcp));
    }

    /// Syslog headers as rsyslog, journald and HAProxy's own `log-format rfc5424` write them, and
    /// clients as people redact them (lines from the corpus: tests/corpus/haproxy.jsonl).
    #[test]
    fn any_syslog_header_and_client() {
        for line in [
            r#"<134>1 2024-06-12T10:09:11.823428+02:00 - custom-tag 224482 - custom-sd 127.0.0.1:53594 [12/Jun/2024:10:09:11.814] myproxy myproxy/<NOSRV> 0/-1/-1/-1/0 200 49 - - LR-- 1/1/0/0/0 0/0 "GET / HTTP/1.1""#,
            r#"<134>Mar 31 02:25:33 haproxy[8]: 172.19.0.1:34866 [31/Mar/2023:02:25:33.784] api api/<NOSRV> 0/-1/-1/-1/0 204 255 - - LR-- 2/1/0/0/0 0/0 {http://localhost} "OPTIONS /putdata HTTP/1.1""#,
            r#"Aug 11 17:06:08 XXX haproxy[3342655]: xx:xxx:xxx:xxx:xx [11/Aug/2023:17:06:08.909] https-in~ https-in/<NOSRV> 0/-1/-1/-1/0 204 166 - - LR-- 4/4/0/0/0 0/0 "OPTIONS /r0/login HTTP/1.1""#,
            r#"Apr 16 13:37:08 haproxy-test-fri4 haproxy[4720]: 127.0.0.1:34902 [16/Apr/2018:13:37:08.576] stats stats/<STATS> 0/0/0/0/0 200 1316 - - LR-- 1/1/0/0/0 0/0 "GET /haproxy_stats/;csv;norefresh HTTP/1.1""#,
        ] {
            assert_eq!(attr(line), (Cause::Ok, GeneratedBy::Proxy), "{line}");
        }
        assert_eq!(
            attr(
                r#"xxx.xxx.xxx.xxx:43608 [07/Mar/2023:11:33:48.083] ssl~ http/10.81.15.120 0/0/3/-1/600004 504 198 - - sH-- 1757/1757/11/0/0 0/0 {Go-http-client/2.0} "GET https://api.domain.com/xyz HTTP/2.0""#
            ),
            (Cause::UpstreamTimeout, GeneratedBy::Proxy)
        );
        assert_eq!(attr(r#"May 19 14:39:24 haproxy-server https[56830]: {client-ip}:51893 [19/May/2022:14:39:19.633] https-edge~ https-edge/<NOSRV> -1/-1/-1/-1/5001 408 0 - - cR-- 10/9/0/0/0 0/0 [] "<BADREQ>""#).0, Cause::ClientRequestTimeout);
        // haproxy-ingress as pasted, without a client; the client timed out while the server's 200
        // was being sent: the status is the server's.
        let mut o = Observation::default();
        parse(br#"May 21 02:54:12 ingress haproxy-ingress [21/May/2020:02:47:12.224] _front001~ default_api-service_8080/srv001 0/0/1/20190/420426 200 201155 - - cD-- 153/153/12/3/0 0/0 "GET /some/url HTTP/1.1" "#, &mut o).unwrap();
        assert_eq!((o.client, o.target), (&b""[..], &b"/some/url"[..]));
        assert_eq!(
            attr(
                r#"May 21 02:54:12 ingress haproxy-ingress [21/May/2020:02:47:12.224] _front001~ default_api-service_8080/srv001 0/0/1/20190/420426 200 201155 - - cD-- 153/153/12/3/0 0/0 "GET /some/url HTTP/1.1" "#
            ),
            (Cause::Ok, GeneratedBy::Upstream)
        );
        // A field added after the server; HAProxy's internal HTTP client (`-/-`).
        assert_eq!(
            attr(
                r#"May 22 02:22:22 server1 haproxy[5089]: -:22222 [22/May/2021:02:22:22.222] www-https~ myapp/node2 site.domain.com 0/0/0/18/18 200 200 - - ---- 222/222/2/0/0 0/0 "OPTIONS /api/v2/app/ HTTP/1.1""#
            ),
            (Cause::Ok, GeneratedBy::Upstream)
        );
        // The HAProxy Kubernetes ingress controller's default format logs the host with the path
        // (its documentation/annotations.md example).
        let mut o = Observation::default();
        parse(br#"10.244.0.1:5793 [10/Apr/2020:10:32:50.132] https~ test-echo1-8080/SRV_TFW8V 0/0/1/2/3 200 653 - - ---- 1/1/0/0/0 0/0 "GET test.k8s.local/ HTTP/2.0""#, &mut o).unwrap();
        assert_eq!((o.host, o.target, o.service), (&b"test.k8s.local"[..], &b"/"[..], &b"test-echo1-8080"[..]));
        assert_eq!(attr(r#"<133>Mar  6 11:18:55 haproxy[14872]: -:- [06/Mar/2023:11:18:52.200] <OCSP-UPDATE> -/- 2/0/-1/-1/3009 503 217 - - SC-- 0/0/0/0/3 0/0 {} "GET http://127.0.0.1:12345/MEMwQT HTTP/1.1""#).1, GeneratedBy::Proxy);
        // 2004: no milliseconds, logasap `+`.
        assert_eq!(
            attr(
                r#"Aug  9 20:30:46 localhost haproxy[2022]: 127.0.0.1:34028 [09/Aug/2004:20:30:46] proxy-out proxy-out/cache1 0/0/2/126/+128 301 +223 - - ---- 0/0/0/0/0 0/0 {www.sytadin.equipement.gouv.fr||http://trafic.1wt.eu/} {Apache|230|||http://www.sytadin.} "GET http://www.sytadin.equipement.gouv.fr/ HTTP/1.1""#
            ),
            (Cause::Redirect, GeneratedBy::Upstream)
        );
    }

    #[test]
    fn termination_states() {
        let line = |server: &str, timers: &str, status: &str, state: &str| {
            format!(
                r#"10.0.0.9:5555 [08/Mar/2026:14:00:00.001] fe be/{server} {timers} {status} 90 - - {state} 1/1/0/0/0 0/0 "GET /x HTTP/1.1""#
            )
        };
        let cases = [
            (line("s1", "0/0/1/5/6", "500", "----"), Cause::AppError, GeneratedBy::Upstream),
            // The client left during the body of the server's 200: the 200 is still the server's.
            (line("s1", "0/0/1/5/60", "200", "CD--"), Cause::Ok, GeneratedBy::Upstream),
            // HAProxy ≤ 2.4 logged 503 when the client left while it connected; later -1.
            (line("s1", "0/0/-1/-1/3", "503", "CC--"), Cause::ClientClosedRequest, GeneratedBy::Client),
            (line("s1", "0/0/-1/-1/3", "-1", "CC--"), Cause::ClientClosedRequest, GeneratedBy::Client),
            (line("s1", "0/0/1/-1/9", "-1", "CH--"), Cause::ClientClosedRequest, GeneratedBy::Client),
            (line("s1", "0/0/-1/-1/1000", "503", "sC--"), Cause::UpstreamConnectTimeout, GeneratedBy::Proxy),
            (line("s1", "0/0/1/-1/2", "502", "SH--"), Cause::UpstreamClosedPrematurely, GeneratedBy::Proxy),
            (line("s1", "0/0/1/5/20", "200", "SD--"), Cause::UpstreamDiedMidResponse, GeneratedBy::Upstream),
            (line("<NOSRV>", "0/-1/-1/-1/0", "503", "SC--"), Cause::NoLiveUpstreams, GeneratedBy::Proxy),
            (line("<NOSRV>", "0/-1/-1/-1/0", "302", "LR--"), Cause::ProxyRedirect, GeneratedBy::Proxy),
            (line("<NOSRV>", "0/-1/-1/-1/0", "403", "PR--"), Cause::ProxyAccessDenied, GeneratedBy::Proxy),
            (line("<NOSRV>", "-1/-1/-1/-1/2", "401", "PR--"), Cause::EdgeAuthRejected, GeneratedBy::Proxy),
            (line("<NOSRV>", "0/5000/-1/-1/5000", "503", "sQ--"), Cause::ProxyOverloaded, GeneratedBy::Proxy),
            (line("<NOSRV>", "0/-1/-1/-1/0", "500", "PT--"), Cause::ProxyAccessDenied, GeneratedBy::Proxy),
        ];
        for (l, cause, by) in cases {
            assert_eq!(attr(&l), (cause, by), "{l}");
        }
    }

    /// `option httplog clf` (§8.2.3) and CLF-shaped custom formats built from it.
    #[test]
    fn clf_layout() {
        let doc = r#"10.0.1.2 - - [06/Feb/2009:12:14:14 +0000] "GET /index.html HTTP/1.1" 200 2750 "" "" 33317 655 "http-in" "static" "srv1" 10 0 30 69 109 ---- 1 1 1 1 0 0 0 "" "" "" """#;
        assert_eq!(read(parse_clf, doc), (200, Cause::Ok, GeneratedBy::Upstream));
        // tests/corpus/haproxy.jsonl: a 2013 1.4 line (the server's 302) and a 2022 custom one
        // (the client left while HAProxy connected; HAProxy ≤ 2.4 logged 503).
        let old = r#"70.74.14.133 - - [18/Sep/2013:17:53:19 +0000] "GET /account/logmein?email=dasd@example.com&auth=fb0a&useMobileSite=fale 6 HTTP/1.1" 302 480 "" "" 50535 265 "cloud1" "recipes:t5engine::engine" "recipes:t5engine::engine_domU-12-22-39-13-40-4" 0 0 0 191 191 ---- 45 45 3 1 0 0 0 "" "" "www.domain.com""#;
        assert_eq!(read(parse_clf, old), (302, Cause::Redirect, GeneratedBy::Upstream));
        let custom = r#"Mar 10 14:00:56 localhost haproxy[30170]: x.x.x.x - - [10/Mar/2022:14:00:56 +0000] "GET /5.js HTTP/1.1" 503 217 "" "" 59794 528 "mail-webapp-live-https~" "mail-webapp-live-https-servers" "mail-webapp-live_052" 0 0 -1 -1 3 CC-- 4 1 0 0 0 0 0 "Session-Id=string" "" "example.com" "" "" "" "" "TLSv1.3" "TLS_AES_256_GCM_SHA384" "string" "example.com" """#;
        assert_eq!(read(parse_clf, custom), (503, Cause::ClientClosedRequest, GeneratedBy::Client));
        // nginx's combined is not HAProxy's CLF.
        let combined = r#"10.0.0.1 - - [08/Mar/2023:16:02:45 +0000] "GET / HTTP/1.1" 200 15 "-" "curl/8""#;
        assert!(parse_clf(combined.as_bytes(), &mut Observation::default()).is_err());
    }

    /// Custom layouts read by their HAProxy fields (tests/corpus/haproxy.jsonl, haproxy-aws).
    /// A JSON log-format written by hand (tests/corpus/haproxy.jsonl, haproxy/haproxy#2375).
    #[test]
    fn json_layouts() {
        let line = r#"<134>Dec  4 22:31:11 ingress[8]: {"program":"haproxy","tr":"","dw-trace":"","haproxy_dt":"04/Dec/2023:22:31:10.944","connection":{"termination_state":"sC","actconn":1,"feconn":1,"beconn":0,"srvconn":0},"queue_backend":0,"queue_srv":0,"haproxy_times":{"th":0,"ti":0,"tR":1,"tq":1,"tw":104,"tc":-1,"tr":-1,"ta":208,"td":-1,"tt":208},"retries":"+1","request":{"duration_milliseconds":208},"client":{"ips":["172.27.0.1"],"port":"48492"},"server":{"ip":"172.27.0.4","port":"80","name":""},"http":{"request":{"method":"POST","target":"/garbage","path":"/garbage","bytes":164},"version":"HTTP/1.1","response":{"status_code":503,"bytes":222}},"backend":{"name":"loadtest_service_http"},"target_server":{"name":"srv000"}}"#;
        assert_eq!(read(parse_json, line), (503, Cause::UpstreamConnectTimeout, GeneratedBy::Proxy));
        let mut o = Observation::default();
        parse_json(line.as_bytes(), &mut o).unwrap();
        assert_eq!(
            (o.method, o.target, o.service, o.upstream.addr),
            (&b"POST"[..], &b"/garbage"[..], &b"loadtest_service_http"[..], &b"srv000"[..])
        );
        let flat = r#"{"client_ip":"10.0.0.1","backend_name":"app","server_name":"app1","time_server_response":12,"status_code":200,"termination_state":"----","request":"GET /x HTTP/1.1"}"#;
        assert_eq!(read(parse_json, flat), (200, Cause::Ok, GeneratedBy::Upstream));
        // Traefik's and Caddy's JSON have no termination state.
        assert!(parse_json(br#"{"DownstreamStatus":502,"status":502}"#, &mut Observation::default()).is_err());
    }

    #[test]
    fn loose_layouts() {
        let aws = r#"Mar 14 17:14:51 localhost haproxy[14887]: [14887] [1394817291.250] 10/5/2/0/3/0/0 48/0/0/624/672 ---- 1.10.2.10:35701 10.151.122.228:443 127.0.0.1:8000 logger - - "GET /v1/ HTTP/1.0" 404 fxa-nodejs:nodejs1 "-" "{||ApacheBench/2.3|over-100-active-connections,over-100-connections-in-10-seconds,high-error-rate,high-request-rate,|47B4176E:8B75_0A977AE4:01BB_5323390B_31E0:3A27}" "-" "" ireq_size=592 resp_size=787"#;
        assert_eq!(read(parse_loose, aws), (404, Cause::AppNotFound, GeneratedBy::Upstream));
        let logasap = r#"Apr 30 08:38:15 usw02-rel-dataservices-ts-timeseries-lb haproxy[849]: [849] [1556613495.891] 1/1/1/0/1/0/0 0/0/0/33/+33 ---- 10.72.131.11:45036 10.72.148.46:80 10.72.148.49:8787 time_series - - "GET /v1/datapoints/latest?tags=default.d15ba919-4d4c-4e26-95ad-fc28ebf31768.OVPN_RX,default.d15ba919-4d4c-4e26-95ad-fc28ebf31768.OVPN_TX HTTP/1.1" 200 time_series_aeondb:10.72.148.49 - {time-series-store-pr||} - {Jetty(9.3.11.v201607||no-cache||} req_size=0 resp_size=+294"#;
        assert_eq!(read(parse_loose, logasap), (200, Cause::Ok, GeneratedBy::Upstream));
        let refused = r#"fe be/<NOSRV> 0/-1/-1/-1/0 503 SC-- "GET / HTTP/1.1""#;
        assert_eq!(read(parse_loose, refused), (503, Cause::NoLiveUpstreams, GeneratedBy::Proxy));
        for not in [
            r#"10.0.0.1 - - [08/Mar/2023:16:02:45 +0000] "GET / HTTP/1.1" 200 15 "-" "curl/8""#,
            "1/2/3/4/5 ---- no status here",
        ] {
            assert!(parse_loose(not.as_bytes(), &mut Observation::default()).is_err(), "{not}");
        }
    }

    /// Lines HAProxy 2.6.12 wrote in the lab (lab/README.md).
    #[test]
    fn lab_lines() {
        let line = |l: &'static str| {
            let mut obs = Observation::default();
            parse(l.as_bytes(), &mut obs).unwrap_or_else(|_| panic!("{l}"));
            obs
        };
        let ok = line(
            r#"127.0.0.1:58812 [22/Nov/2026:06:30:54.764] lab lab-shop-8080/shop-1 0/0/0/0/0 200 165 - - ---- 1/1/0/0/0 0/0 {0000000200019488420deab51d164184} "GET /shop/items/516 HTTP/1.1""#,
        );
        assert_eq!(ok.request_id, b"0000000200019488420deab51d164184");
        assert_eq!((ok.service, ok.upstream.addr), (&b"lab-shop-8080"[..], &b"shop-1"[..]));
        // A captured Host is not an id; the id is found among several captures.
        assert_eq!(captured_request_id(b"{1wt.eu} {}"), b"");
        assert_eq!(
            captured_request_id(b"{shop.example.com|6f1c2a9e-55e1-4c1b-9a77-0f3c2d1e4b5a} {}"),
            b"6f1c2a9e-55e1-4c1b-9a77-0f3c2d1e4b5a"
        );
        let cases = [
            (
                r#"127.0.0.1:59062 [22/Nov/2026:06:30:55.089] lab lab/<NOSRV> -1/-1/-1/-1/0 503 217 - - SC-- 1/1/0/0/0 0/0 {00000002000cb3265e703615fe7a4aef} "GET /old-app/page/4701 HTTP/1.1""#,
                Cause::NoRoute,
            ),
            (
                r#"127.0.0.1:35834 [22/Nov/2026:06:16:32.325] lab lab/<NOSRV> 0/-1/-1/-1/0 429 225 - - PR-- 1/1/0/0/0 0/0 {00000002000f0e7d03266b51d76b3920} "GET /api/v1/things/1585 HTTP/1.1""#,
                Cause::ProxyRateLimited,
            ),
            (
                r#"127.0.0.1:35578 [22/Nov/2026:06:31:01.727] lab lab/<NOSRV> 0/-1/-1/-1/0 413 214 - - PR-- 4/4/0/0/0 0/0 {000000020005e4225a7e3ae227a10c07} "POST /shop/upload HTTP/1.1""#,
                Cause::BodyTooLarge,
            ),
            (
                r#"127.0.0.1:36518 [22/Nov/2026:06:16:33.325] lab lab/<NOSRV> -1/-1/-1/-1/0 400 0 - - PR-- 5/5/0/0/0 0/0 "<BADREQ>""#,
                Cause::MalformedRequest,
            ),
            (
                r#"127.0.0.1:36274 [22/Nov/2026:06:31:02.789] lab lab-checkout-8080/checkout-1 0/2000/-1/-1/2000 503 217 - - SC-- 48/48/45/0/2 0/0 {00000002000f0dd4f3ee9589402ef2ee} "GET /checkout/cart/3819 HTTP/1.1""#,
                Cause::UpstreamConnectionRefused,
            ),
            (
                r#"127.0.0.1:58800 [22/Nov/2026:06:30:54.739] lab lab-legacy-8080/legacy-1 0/0/0/0/20 200 1123 - - SD-- 1/1/0/0/0 0/0 {000000020006e75b40992aed8663100f} "GET /legacy/midbody HTTP/1.1""#,
                Cause::UpstreamDiedMidResponse,
            ),
        ];
        for (l, cause) in cases {
            assert_eq!(attr(l).0, cause, "{l}");
        }
        assert!(is_message(b"[WARNING]  (8) : Server be_app/s1 is DOWN, reason: Layer4 connection problem"));
        assert!(parse(b"hello world", &mut Observation::default()).is_err());
    }
}
