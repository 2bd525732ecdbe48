//! Caddy's log shapes beyond the JSON access log (`json.rs`):
//!
//! - the console encoder, Caddy's default when it logs to a terminal (and `format console`):
//!   zap's `TIME<TAB>LEVEL<TAB>LOGGER<TAB>MSG<TAB>{fields as JSON}`, the level possibly in ANSI
//!   colours, the time as `2006/01/02 15:04:05.000` (or, in 2019–2020 releases, a float epoch
//!   such as `1.576867456328023e+09`);
//! - error entries (`http.log.error`, JSON or console) read as requests: Caddy writes one for
//!   every response it generates itself, with the status, the request and the Go error; when the
//!   access log is off (Caddy's default) or elsewhere, the error entry is all there is of the
//!   request, and it says Caddy made the status and why;
//! - Caddy v1's error log, `02/Jan/2006:15:04:05 -0700 [ERROR <status> <path>] <error>`
//!   (`caddyhttp/errors/errors.go` @ v1.0.5), each line one request Caddy answered itself.
//!
//! Sources: caddyserver/caddy `modules/logging/encoders.go`, `modules/caddyhttp/server.go`,
//! `logging.go`, `reverseproxy/reverseproxy.go`; /work/notes/research/error-messages.md §1.

use super::json::{CaddyError, caddy_access_fields, caddy_error_fields, caddy_signal};
use crate::observation::{Observation, Signal, parse_u16};
use crate::time;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NotCaddy;

/// One console-encoded line, split.
#[derive(Debug, Clone, Copy)]
pub struct Console<'a> {
    pub time: &'a [u8],
    /// The logger's name (`http.log.access.log0`); empty when the entry has none.
    pub logger: &'a [u8],
    pub msg: &'a [u8],
    /// The entry's other fields, a JSON object; empty when it has none.
    pub fields: &'a [u8],
}

/// `INFO`, `error`, `\x1b[31mERROR\x1b[0m`…: a zap level, plain or coloured (also as pasted from
/// a web page that dropped the escape bytes: `[31mERROR[0m`).
fn is_level(field: &[u8]) -> bool {
    let field = field.strip_prefix(b"\x1b").unwrap_or(field);
    let l = match field.strip_prefix(b"[") {
        Some(rest) => {
            let Some(m) = memchr::memchr(b'm', rest) else { return false };
            let inner = &rest[m + 1..];
            let inner = inner.strip_suffix(b"[0m").unwrap_or(inner);
            inner.strip_suffix(b"\x1b").unwrap_or(inner)
        }
        None => field,
    };
    [&b"debug"[..], b"info", b"warn", b"error", b"dpanic", b"panic", b"fatal"].iter().any(|n| l.eq_ignore_ascii_case(n))
}

/// Split a console-encoded line: time and level first, then the logger (and a caller, when
/// enabled), the message, and the fields as JSON.
pub fn console(line: &[u8]) -> Option<Console<'_>> {
    let t1 = memchr::memchr(b'\t', line)?;
    let rest = &line[t1 + 1..];
    let t2 = memchr::memchr(b'\t', rest)?;
    if !is_level(&rest[..t2]) {
        return None;
    }
    let mut rest = &rest[t2 + 1..];
    // What follows the level: [logger] [caller] message [fields].
    let fields = match memchr::memrchr(b'\t', rest) {
        Some(t) if rest[t + 1..].starts_with(b"{") => {
            let f = &rest[t + 1..];
            rest = &rest[..t];
            f
        }
        _ => b"",
    };
    let (logger, msg) = match memchr::memchr(b'\t', rest) {
        Some(t) => {
            let msg_at = memchr::memrchr(b'\t', rest).map_or(t + 1, |i| i + 1);
            (&rest[..t], &rest[msg_at..])
        }
        None => (&b""[..], rest),
    };
    Some(Console { time: &line[..t1], logger, msg, fields: fields.trim_ascii_end() })
}

/// A console line's time: `2023/12/08 20:24:51.157`, ISO 8601, a CLF date, or an epoch float
/// (`1.576867456328023e+09`, `1646861401.5241024`).
fn console_time(t: &[u8]) -> Option<i64> {
    time::parse_any(t).or_else(|| {
        let secs: f64 = std::str::from_utf8(t).ok()?.parse().ok()?;
        #[allow(clippy::cast_possible_truncation)]
        (secs.is_finite() && secs > 1e8).then_some((secs * 1000.0) as i64)
    })
}

/// An access entry in the console encoding (`http.log.access…`, `handled request`).
pub fn console_access<'a>(line: &'a [u8], obs: &mut Observation<'a>) -> Result<(), NotCaddy> {
    let c = console(line).ok_or(NotCaddy)?;
    if !c.logger.starts_with(b"http.log.access") || !matches!(c.msg, b"handled request" | b"NOP") {
        return Err(NotCaddy);
    }
    caddy_access_fields(c.fields, obs).map_err(|_| NotCaddy)?;
    super::json::caddy_unhandled(obs, c.msg == b"NOP");
    if obs.time_ms.is_none() {
        obs.time_ms = console_time(c.time);
    }
    Ok(())
}

/// An error entry in the console encoding.
pub(crate) fn console_error(line: &[u8]) -> Option<CaddyError<'_>> {
    let c = console(line)?;
    if !c.logger.starts_with(b"http.log.error") {
        return None;
    }
    let mut e = caddy_error_fields(c.fields, Some(c.msg))?;
    e.time_ms = e.time_ms.or_else(|| console_time(c.time));
    Some(e)
}

/// A Caddy v1 error-log line: `[ERROR 502 /index.php] dial tcp 127.0.0.1:9000: connection
/// refused`, after the log's `02/Jan/2006:15:04:05 -0700` time.
fn v1_error(line: &[u8]) -> Option<CaddyError<'_>> {
    let at = memchr::memmem::find(&line[..line.len().min(64)], b"[ERROR ")?;
    let rest = &line[at + 7..];
    let sp = memchr::memchr(b' ', rest)?;
    let status = parse_u16(&rest[..sp])?;
    let rest = &rest[sp + 1..];
    let close = memchr::memmem::find(rest, b"] ")?;
    let stamp = line[..at].trim_ascii();
    Some(CaddyError {
        time_ms: time::parse_clf(stamp),
        target: &rest[..close],
        message: &rest[close + 2..],
        status: Some(status),
        ..CaddyError::default()
    })
}

/// The upstream a dial error names: `dial tcp 127.0.0.1:9000: connect: …` → `127.0.0.1:9000`.
pub fn dialled(message: &[u8]) -> &[u8] {
    let Some(at) = memchr::memmem::find(message, b"dial tcp ").or_else(|| memchr::memmem::find(message, b"dial udp "))
    else {
        return b"";
    };
    let rest = &message[at + 9..];
    memchr::memmem::find(rest, b": ").map_or(b"", |end| &rest[..end])
}

/// A file server's own 404 (or 403): Caddy's `file_server`, not an upstream, found nothing to
/// serve (`fileserver.(*FileServer).notFound`; v1: `open …: no such file or directory`).
fn file_server_miss(e: &CaddyError<'_>) -> bool {
    let has = |h: &[u8], n: &[u8]| memchr::memmem::find(h, n).is_some();
    matches!(e.status, Some(403 | 404))
        && (e.err_trace.starts_with(b"fileserver.")
            || has(e.message, b"fileserver.")
            || !has(e.message, b"dial ") && (has(e.message, b"no such file") || has(e.message, b"permission denied")))
}

/// An error entry (JSON, console or v1) read as the request it stands for: Caddy answered it, for
/// the reason its message gives.
pub fn error_request<'a>(line: &'a [u8], obs: &mut Observation<'a>) -> Result<(), NotCaddy> {
    let e = if line.starts_with(b"{") {
        if !super::json::is_caddy_error(line) {
            return Err(NotCaddy);
        }
        caddy_error_fields(line, None).ok_or(NotCaddy)?
    } else {
        console_error(line).or_else(|| v1_error(line)).ok_or(NotCaddy)?
    };
    let status = e.status.ok_or(NotCaddy)?;
    obs.status = Some(status);
    obs.time_ms = e.time_ms;
    obs.client = e.client;
    obs.method = e.method;
    obs.target = e.target;
    obs.host = e.host;
    obs.service = e.host;
    obs.request_time = e.duration;
    let upstream = dialled(e.message);
    obs.upstream.addr = if upstream.is_empty() { b"-" } else { upstream };
    obs.detail = e.message;
    obs.detail_source = "Caddy error log";
    if file_server_miss(&e) {
        obs.proxy_answered = true;
        return Ok(());
    }
    let signal = match caddy_signal(e.message) {
        Some(s) => s,
        // Caddy v1 (0.9): every upstream failed or none was up.
        None if e.message == b"unreachable backend" => Signal::UpstreamConnectFailed,
        // Caddy logs an error entry for each answer it makes itself: the status is Caddy's, for
        // the reason its message gives.
        None => Signal::ProxyError,
    };
    obs.signals.set(signal);
    Ok(())
}

/// Whether some of `data`'s lines are Caddy access entries (JSON or console).
pub fn holds_access_entries(data: &[u8]) -> bool {
    memchr::memmem::find(data, b"\"msg\":\"handled request\"").is_some()
        || memchr::memmem::find(data, b"\thandled request\t").is_some()
}

/// A line of Caddy's own log in the console encoding (TLS, admin, health checks, reverse-proxy
/// debug entries) between access entries: expected, not a request.
pub fn is_console_line(line: &[u8]) -> bool {
    console(line).is_some_and(|c| !c.fields.is_empty() || c.logger.contains(&b'.'))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::attribute::{Cause, attribute};
    use culprit_kb::GeneratedBy;

    fn judge(format: &str, line: &str) -> (u16, Cause, GeneratedBy) {
        let f = crate::formats::Format::by_name(format).unwrap();
        let mut obs = Observation::default();
        f.parse(line.as_bytes(), &mut obs).unwrap_or_else(|e| panic!("{e:?}: {line}"));
        let a = attribute(&obs, &f.context(None)).unwrap();
        (obs.status.unwrap(), a.cause, a.generated_by)
    }

    /// Console lines from tests/corpus/caddy.jsonl (caddyserver/website's demo.cast, caddy#2943)
    /// and the research notes (windmill#5263).
    #[test]
    fn console_encoder() {
        let coloured = "2023/12/08 20:24:51.157\t\x1b[34mINFO\x1b[0m\thttp.log.access\thandled request\t{\"request\": {\"remote_ip\": \"127.0.0.1\", \"remote_port\": \"60708\", \"client_ip\": \"127.0.0.1\", \"proto\": \"HTTP/1.1\", \"method\": \"GET\", \"host\": \"caddy.dyanim.com\", \"uri\": \"/\", \"headers\": {\"User-Agent\": [\"curl/8.4.0\"], \"Accept\": [\"*/*\"]}}, \"bytes_read\": 0, \"user_id\": \"\", \"duration\": 0.000034205, \"size\": 0, \"status\": 308, \"resp_headers\": {\"Server\": [\"Caddy\"], \"Connection\": [\"close\"], \"Location\": [\"https://caddy.dyanim.com/\"], \"Content-Type\": []}}";
        assert_eq!(judge("caddy-console", coloured), (308, Cause::ProxyRedirect, GeneratedBy::Proxy));
        let mut o = Observation::default();
        console_access(coloured.as_bytes(), &mut o).unwrap();
        assert_eq!((o.time_ms, o.location), (Some(1_702_067_091_157), &b"https://caddy.dyanim.com/"[..]));
        let beta = "1.576867456328023e+09\terror\thttp.log.error\tread tcp 127.0.0.1:59660->127.0.0.1:5443: read: connection reset by peer\t{\"request\": {\"method\": \"GET\", \"uri\": \"/favicon.ico\", \"proto\": \"HTTP/2.0\", \"remote_addr\": \"13.52.196.42:58217\", \"host\": \"bitwarden.sethammons.com\"}, \"duration\": 0.001135466, \"status\": 502, \"err_id\": \"4t0bnerf1\", \"err_trace\": \"reverseproxy.(*Handler).ServeHTTP (reverseproxy.go:327)\"}";
        assert_eq!(judge("caddy-errors", beta), (502, Cause::UpstreamConnectionReset, GeneratedBy::Proxy));
        let e = console_error(beta.as_bytes()).unwrap();
        assert_eq!(
            (e.time_ms, e.client, e.target),
            (Some(1_576_867_456_328), &b"13.52.196.42"[..], &b"/favicon.ico"[..])
        );
        let dns = "2025/02/11 04:27:47.487\tERROR\thttp.log.error\tdial tcp: lookup windmill_server: i/o timeout\t{\"request\": {\"remote_ip\": \"127.0.0.1\", \"remote_port\": \"59452\", \"method\": \"GET\", \"host\": \"localhost\", \"uri\": \"/api\"}, \"duration\": 3.002232109, \"status\": 502, \"err_id\": \"dufnex8kh\", \"err_trace\": \"reverseproxy.statusError (reverseproxy.go:1373)\"}";
        assert_eq!(judge("caddy-errors", dns), (502, Cause::UpstreamDnsFailed, GeneratedBy::Proxy));
        // Other loggers are Caddy's own lines, not requests.
        let other = "2021/12/31 23:59:59\terror\thttp.handlers.reverse_proxy\taborting with incomplete response\t{\"error\": \"context canceled\"}";
        assert!(is_console_line(other.as_bytes()) && console_error(other.as_bytes()).is_none());
        assert!(console(b"plain text line").is_none());
        assert!(is_level(b"[34mINFO[0m") && is_level(b"\x1b[31mERROR\x1b[0m") && !is_level(b"[x]"));
    }

    /// JSON error entries standing alone (tests/corpus/wrapped.jsonl without its journald prefix,
    /// caddy-docker-proxy#825, the research notes §1.3).
    #[test]
    fn error_entries_are_requests() {
        let refused = r#"{"level":"error","ts":1641801941.1505146,"logger":"http.log.error.log0","msg":"dial tcp 127.0.0.1:8080: connect: connection refused","request":{"remote_addr":"127.0.0.1:57796","proto":"HTTP/2.0","method":"GET","host":"test.local","uri":"/.well-known/mercure?topic=2db5d020"},"duration":0.000561,"status":502,"err_id":"0ev6fhcp5","err_trace":"reverseproxy.statusError (reverseproxy.go:858)"}"#;
        assert_eq!(judge("caddy-errors", refused), (502, Cause::UpstreamConnectionRefused, GeneratedBy::Proxy));
        let mut o = Observation::default();
        error_request(refused.as_bytes(), &mut o).unwrap();
        assert_eq!((o.upstream.addr, o.client), (&b"127.0.0.1:8080"[..], &b"127.0.0.1"[..]));
        let none_up = r#"{"level":"error","ts":1700000000.1,"logger":"http.log.error","msg":"no upstreams available","request":{"remote_ip":"10.0.0.1","remote_port":"5000","method":"GET","host":"a.example","uri":"/"},"duration":0.0001,"status":503,"err_id":"x","err_trace":"reverseproxy.(*Handler).proxyLoopIteration (reverseproxy.go:640)"}"#;
        assert_eq!(judge("caddy-errors", none_up), (503, Cause::NoLiveUpstreams, GeneratedBy::Proxy));
        // A dial that timed out is 502, not 504 (Caddy hides the timeout in its DialError).
        let dial_timeout = r#"{"level":"error","ts":1740659996.9736793,"logger":"http.log.error","msg":"dial tcp 10.10.79.117:8080: i/o timeout","request":{"remote_ip":"192.168.52.4","remote_port":"28484","method":"GET","host":"192.168.57.52:8080","uri":"/"},"duration":3.001237397,"status":502,"err_id":"7h19aqc3g","err_trace":"reverseproxy.statusError (reverseproxy.go:1267)"}"#;
        assert_eq!(judge("caddy-errors", dial_timeout), (502, Cause::UpstreamConnectTimeout, GeneratedBy::Proxy));
        // The file server's own 404 (logged at debug).
        let miss = r#"{"level":"debug","ts":1700000000.2,"logger":"http.log.error","msg":"{id=abc} fileserver.(*FileServer).notFound (staticfiles.go:737): HTTP 404","request":{"remote_ip":"10.0.0.1","remote_port":"5000","method":"GET","host":"a.example","uri":"/missing.png"},"duration":0.0002,"status":404,"err_id":"abc","err_trace":"fileserver.(*FileServer).notFound (staticfiles.go:737)"}"#;
        assert_eq!(judge("caddy-errors", miss).2, GeneratedBy::Proxy);
        // A message culprit does not know: still Caddy's, cause unknown.
        let odd = r#"{"level":"error","ts":1700000000.3,"logger":"http.log.error","msg":"making dial info: upstream {http.request.host}:8080: invalid dial address","request":{"remote_ip":"10.0.0.1","remote_port":"5000","method":"GET","host":"a.example","uri":"/"},"status":502}"#;
        assert_eq!(judge("caddy-errors", odd), (502, Cause::ProxyError, GeneratedBy::Proxy));
        // An access entry is not an error entry.
        let access = br#"{"level":"info","ts":1646861401.5241024,"logger":"http.log.access","msg":"handled request","request":{"remote_ip":"127.0.0.1","method":"GET","host":"localhost","uri":"/"},"duration":0.0009,"size":10900,"status":200}"#;
        assert!(error_request(access, &mut Observation::default()).is_err());
    }

    /// Caddy's file server is the origin: its answers (here a 304 from an `If-None-Match`) carry
    /// no upstream `Date` (tstack/lnav test/logfile_caddy_log.0, shortened).
    #[test]
    fn file_server_answers_are_caddys() {
        let not_modified = r#"{"level":"info","ts":1761019828.6153953,"logger":"http.log.access","msg":"handled request","request":{"remote_ip":"172.19.0.1","remote_port":"46628","client_ip":"172.19.0.1","proto":"HTTP/1.1","method":"GET","host":"localhost","uri":"/","headers":{"If-None-Match":["\"ddnp8sh5vg3i58\""]}},"bytes_read":0,"user_id":"","duration":0.001674508,"size":0,"status":304,"resp_headers":{"Etag":["\"ddnp8sh5vg3i58\""],"Server":["Caddy"],"Vary":["Accept-Encoding"]}}"#;
        assert_eq!(judge("caddy", not_modified), (304, Cause::Ok, GeneratedBy::Proxy));
    }

    /// Caddy v1's error log (caddy#546, caddy#1080).
    #[test]
    fn v1_error_lines() {
        let cases = [
            (
                "29/Jan/2016:15:17:26 +0100 [ERROR 502 /index.php] dial tcp 127.0.0.1:9000: connection refused",
                Cause::UpstreamConnectionRefused,
            ),
            ("05/Sep/2016:17:17:29 +0000 [ERROR 502 /] unreachable backend", Cause::UpstreamConnectionRefused),
        ];
        for (line, cause) in cases {
            assert_eq!(judge("caddy-errors", line), (502, cause, GeneratedBy::Proxy), "{line}");
        }
        let mut o = Observation::default();
        error_request(cases[0].0.as_bytes(), &mut o).unwrap();
        assert_eq!((o.target, o.time_ms), (&b"/index.php"[..], Some(1_454_077_046_000)));
    }
}
