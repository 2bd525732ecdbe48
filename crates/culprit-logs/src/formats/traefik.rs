//! Traefik's `common` access log (`pkg/middlewares/accesslog/logger_formatters.go`), v1 to v3:
//!
//! ```text
//! %s - %s [%s] "%s %s %s" %v %v %s %s %v %s %s %dms
//! 10.0.0.1 - - [16/Jan/2020:20:31:43 +0000] "GET / HTTP/2.0" 401 17 "-" "curl/8" 1 "backend@docker" - 0ms
//! ```
//!
//! client, user, time, request, status, size, referer, user agent, request count, the router
//! (`router@provider`; v1: the frontend), the server URL the request was sent to (v1: the backend
//! URL) and the duration. Absent values print as `-`, bare before Traefik 2.1.7 and `"-"` after;
//! referer and user agent were bare `-` in early v1 too. v1 to v2.10.4 print `OriginStatus` and
//! `OriginContentSize` (captured at the entry point, so what the client got), v2.10.5 and later
//! `DownstreamStatus` and `DownstreamContentSize`.
//!
//! Who answered: Traefik fills the server URL only when its load balancer picked a server. With
//! none, Traefik answered itself — a router that matched nothing (404), a middleware (basicAuth or
//! forwardAuth 401/403, rateLimit 429, ipAllowList 403, redirectScheme 301/302/307/308), an
//! internal service (`ping@internal`, `api@internal`, `dashboard@internal`), a service without a
//! healthy server (503). With one, the status is the server's, except Traefik's own proxy errors:
//! 502 `Bad Gateway` and 504 `Gateway Timeout`, whose body is exactly that text
//! (`pkg/proxy/httputil/proxy.go`), and 499 when the client left.

use crate::observation::{Observation, Signal, parse_u16, parse_u64};
use crate::{scan, time};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NotTraefik;

/// A `"quoted"` field (Traefik ≥ 2.10 escapes quotes inside as `\"`) or a bare token; the value
/// and the rest after it.
fn field(rest: &[u8]) -> Option<(&[u8], &[u8])> {
    let r = rest.strip_prefix(b" ")?;
    if let Some(body) = r.strip_prefix(b"\"") {
        let mut from = 0;
        loop {
            let q = from + memchr::memchr(b'"', &body[from..])?;
            if q > 0 && body[q - 1] == b'\\' {
                from = q + 1;
                continue;
            }
            return Some((&body[..q], &body[q + 1..]));
        }
    }
    let end = memchr::memchr(b' ', r).unwrap_or(r.len());
    Some((&r[..end], &r[end..]))
}

/// Traefik's own answer to a failed exchange with the server: the status text as the body.
fn own_error_body(status: u16, size: Option<u64>) -> bool {
    match status {
        502 => size == Some(11), // Bad Gateway
        504 => size == Some(15), // Gateway Timeout
        _ => false,
    }
}

/// Read one `common` line.
pub fn common<'a>(line: &'a [u8], obs: &mut Observation<'a>) -> Result<(), NotTraefik> {
    let sp = memchr::memchr(b' ', line).ok_or(NotTraefik)?;
    obs.client = &line[..sp];
    let rest = line[sp..].strip_prefix(b" - ").ok_or(NotTraefik)?;
    let open = memchr::memmem::find(rest, b" [").ok_or(NotTraefik)?;
    let rest = &rest[open + 2..];
    let close = memchr::memchr(b']', rest).ok_or(NotTraefik)?;
    obs.time_raw = &rest[..close];
    obs.time_ms = time::parse_clf_cached(obs.time_raw);
    let rest = rest[close..].strip_prefix(b"] \"").ok_or(NotTraefik)?;
    // The request line is not escaped: it ends at the quote before the status.
    let end = memchr::memmem::find(rest, b"\" ").ok_or(NotTraefik)?;
    (obs.method, obs.target) = scan::request_line(&rest[..end]);
    let (status, rest) = field(&rest[end + 1..]).ok_or(NotTraefik)?;
    let status = parse_u16(status).ok_or(NotTraefik)?;
    obs.status = Some(status);
    let (size, rest) = field(rest).ok_or(NotTraefik)?;
    obs.bytes_sent = parse_u64(size);
    let (_referer, rest) = field(rest).ok_or(NotTraefik)?;
    let (_agent, rest) = field(rest).ok_or(NotTraefik)?;
    let (count, rest) = field(rest).ok_or(NotTraefik)?;
    if parse_u64(count).is_none() && count != b"-" {
        return Err(NotTraefik);
    }
    let (router, rest) = field(rest).ok_or(NotTraefik)?;
    let (url, rest) = field(rest).ok_or(NotTraefik)?;
    let (duration, rest) = field(rest).ok_or(NotTraefik)?;
    if !rest.trim_ascii().is_empty() {
        return Err(NotTraefik);
    }
    let ms = duration.strip_suffix(b"ms").and_then(parse_u64).ok_or(NotTraefik)?;
    obs.request_time = Some(ms as f64 / 1000.0);
    obs.service = if router == b"-" { b"" } else { router };
    judge(status, router, url, obs);
    Ok(())
}

/// Who answered, from the router and the server URL (see the module's notes).
fn judge<'a>(status: u16, router: &'a [u8], url: &'a [u8], obs: &mut Observation<'a>) {
    // v1 wrote the backend URL `/` (and the frontend `backend not found`) when nothing matched.
    let reached = memchr::memmem::find(url, b"://").is_some();
    let internal = router.ends_with(b"@internal");
    if internal || !reached {
        obs.upstream.addr = b"-";
        obs.proxy_answered = true;
        return;
    }
    obs.upstream.addr = scan::authority(url);
    if own_error_body(status, obs.bytes_sent) {
        // Reached for the server and got no response: refused, reset, closed (502) or timed out
        // (504); this log does not say which.
        let (signal, detail): (Signal, &'static [u8]) = if status == 504 {
            (
                Signal::UpstreamReadTimeout,
                b"504 with Traefik's own body, `Gateway Timeout`: the server did not answer in time",
            )
        } else {
            (
                Signal::UpstreamConnectFailed,
                b"502 with Traefik's own body, `Bad Gateway`: the exchange with the server failed",
            )
        };
        obs.signals.set(signal);
        obs.detail = detail;
        obs.detail_source = "Traefik access log";
    } else if status != 499 {
        obs.upstream_answered = true;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::attribute::{Cause, attribute};
    use culprit_kb::GeneratedBy;

    fn judge_line(line: &str) -> (Cause, GeneratedBy) {
        let mut obs = Observation::default();
        common(line.as_bytes(), &mut obs).unwrap_or_else(|_| panic!("{line}"));
        let ctx = crate::formats::Format::by_name("traefik-common").unwrap().context(None);
        let a = attribute(&obs, &ctx).unwrap();
        (a.cause, a.generated_by)
    }

    /// Lines from tests/corpus/traefik.jsonl (v1 and v2, sources in SOURCES.md) and Traefik's own
    /// logger tests.
    #[test]
    fn versions_and_who_answered() {
        let cases = [
            // v1.7: frontend and backend URL, quoted; the backend's 304.
            (
                r#"192.168.33.1 - - [02/Oct/2017:20:22:07 +0000] "GET /ui/favicons/favicon-16x16.png HTTP/1.1" 304 0 "http://example.com/login" "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/61.0.3163.100 Safari/537.36" 262 "Host-host-1" "http://172.19.0.3:5601" 2ms"#,
                Cause::Redirect,
                GeneratedBy::Upstream,
            ),
            // Early v1: bare `-` referer.
            (
                r#"10.255.0.3 - - [05/Jan/2018:07:01:43 +0000] "POST /login HTTP/1.1" 204 0 - "Java/1.8.0_121" 9692 "Host-app1-com-0" "http://10.0.2.9:9000" 1001ms"#,
                Cause::Ok,
                GeneratedBy::Upstream,
            ),
            // v1: no frontend matched.
            (
                r#"::1 - - [29/Nov/2018:15:03:51 +0000] "GET / HTTP/1.1" 404 19 "-" "curl/7.62.0" 10 "backend not found" "/" 0ms"#,
                Cause::NoRoute,
                GeneratedBy::Proxy,
            ),
            // v2.1: the internal ping service; a basicAuth middleware (bare `-` server URL).
            (
                r#"127.0.0.1 - - [13/Mar/2020:18:49:07 +0000] "GET /ping HTTP/1.1" 200 2 "-" "-" 1 "ping@internal" - 0ms"#,
                Cause::Ok,
                GeneratedBy::Proxy,
            ),
            (
                r#"192.168.100.110 - - [16/Jan/2020:20:31:43 +0000] "GET / HTTP/2.0" 401 17 "-" "-" 1 "backend@docker" - 0ms"#,
                Cause::EdgeAuthRejected,
                GeneratedBy::Proxy,
            ),
            // v2.2+: `"-"` quoted; a rate limit, a redirectScheme, no router at all.
            (
                r#"10.0.0.1 - - [08/Mar/2026:14:00:00 +0000] "GET /api HTTP/1.1" 429 17 "-" "curl/8.5.0" 7 "api@kubernetescrd" "-" 0ms"#,
                Cause::ProxyRateLimited,
                GeneratedBy::Proxy,
            ),
            (
                r#"10.0.0.1 - - [08/Mar/2026:14:00:00 +0000] "GET / HTTP/1.1" 308 18 "-" "curl/8.5.0" 8 "web-to-websecure@internal" "-" 0ms"#,
                Cause::ProxyRedirect,
                GeneratedBy::Proxy,
            ),
            (
                r#"192.168.0.1 - - [08/Mar/2026:14:00:00 +0000] "GET /api HTTP/1.1" 404 19 "-" "curl/8.5.0" 12 "-" "-" 0ms"#,
                Cause::NoRoute,
                GeneratedBy::Proxy,
            ),
            // The server reached: its own 502 page, then Traefik's `Bad Gateway` and `Gateway Timeout`.
            (
                r#"10.0.0.1 - - [08/Mar/2026:14:00:00 +0000] "GET /x HTTP/1.1" 502 157 "-" "curl/8.5.0" 9 "app@docker" "http://172.17.0.3:80" 3ms"#,
                Cause::AppBadGateway,
                GeneratedBy::Upstream,
            ),
            (
                r#"10.0.0.1 - - [08/Mar/2026:14:00:00 +0000] "GET /x HTTP/1.1" 502 11 "-" "curl/8.5.0" 9 "app@docker" "http://172.17.0.3:80" 1ms"#,
                Cause::UpstreamConnectionRefused,
                GeneratedBy::Proxy,
            ),
            (
                r#"10.0.0.1 - - [08/Mar/2026:14:00:00 +0000] "GET /slow HTTP/1.1" 504 15 "-" "curl/8.5.0" 9 "app@docker" "http://172.17.0.3:80" 30000ms"#,
                Cause::UpstreamTimeout,
                GeneratedBy::Proxy,
            ),
            (
                r#"10.0.0.1 - - [08/Mar/2026:14:00:00 +0000] "GET /x HTTP/1.1" 499 21 "-" "curl/8.5.0" 9 "app@docker" "http://172.17.0.3:80" 1200ms"#,
                Cause::ClientClosedRequest,
                GeneratedBy::Client,
            ),
        ];
        for (line, cause, by) in cases {
            assert_eq!(judge_line(line), (cause, by), "{line}");
        }
        // Traefik ≥ 2.10 escapes quotes inside quoted fields.
        let mut o = Observation::default();
        common(br#"1.2.3.4 - - [08/Mar/2026:14:00:00 +0000] "GET / HTTP/1.1" 200 5 "-" "say \"hi\"" 1 "r@file" "http://10.0.0.2:80" 4ms"#, &mut o).unwrap();
        assert_eq!((o.upstream.addr, o.request_time), (&b"10.0.0.2:80"[..], Some(0.004)));
        // nginx's combined is not Traefik's common.
        let combined = br#"10.0.0.1 - - [08/Mar/2023:16:02:45 +0000] "GET / HTTP/1.1" 200 15 "-" "curl/8""#;
        assert!(common(combined, &mut Observation::default()).is_err());
    }
}
