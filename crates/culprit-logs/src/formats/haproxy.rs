//! HAProxy `option httplog`:
//!
//! ```text
//! [syslog prefix] haproxy[PID]: 10.0.1.2:33317 [06/Feb/2009:12:14:14.655] http-in static/srv1
//!     10/0/30/69/109 200 2750 - - ---- 1/1/1/1/0 0/0 {1wt.eu} {} "GET /index.html HTTP/1.1"
//! ```
//!
//! client, accept date, frontend, backend/server (`<NOSRV>` when no server was chosen), timers
//! TR/Tw/Tc/Tr/Ta in ms (`-1` = that phase never completed), status (`-1` = nothing sent), bytes,
//! two captured cookies, the four-character termination state, connection counts, queues, optional
//! captured headers `{…}`, and the quoted request. The termination state says who ended the session
//! and in which phase: it is the decisive evidence (`SC` refused, `sH` server timeout…).

use crate::observation::{Observation, Signal, parse_u64};
use crate::time;

/// Why a line is not an httplog line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NotHttplog;

fn next_token<'a>(rest: &mut &'a [u8]) -> Option<&'a [u8]> {
    let r = rest.trim_ascii_start();
    if r.is_empty() {
        return None;
    }
    let end = memchr::memchr(b' ', r).unwrap_or(r.len());
    *rest = &r[end..];
    Some(&r[..end])
}

fn ms(v: &[u8]) -> Option<i64> {
    let v = v.strip_prefix(b"+").unwrap_or(v);
    if v.first() == Some(&b'-') {
        return Some(-1);
    }
    parse_u64(v).and_then(|n| i64::try_from(n).ok())
}

pub fn parse<'a>(line: &'a [u8], obs: &mut Observation<'a>) -> Result<(), NotHttplog> {
    // Skip a syslog prefix up to "haproxy[pid]: ".
    let mut rest = match memchr::memmem::find(&line[..line.len().min(160)], b"]: ") {
        Some(i) if memchr::memmem::find(&line[..i], b"[").is_some() && !line[..i].contains(&b'/') => &line[i + 3..],
        _ => line,
    };
    let client = next_token(&mut rest).ok_or(NotHttplog)?;
    if !client.contains(&b':') || !client.first().is_some_and(|b| b.is_ascii_hexdigit() || *b == b'[') {
        return Err(NotHttplog);
    }
    let date = next_token(&mut rest).ok_or(NotHttplog)?;
    let date = date.strip_prefix(b"[").and_then(|d| d.strip_suffix(b"]")).ok_or(NotHttplog)?;
    let frontend = next_token(&mut rest).ok_or(NotHttplog)?;
    let backend_server = next_token(&mut rest).ok_or(NotHttplog)?;
    let slash = memchr::memchr(b'/', backend_server).ok_or(NotHttplog)?;
    let timers = next_token(&mut rest).ok_or(NotHttplog)?;
    let t: Vec<Option<i64>> = timers.split(|&b| b == b'/').map(ms).collect();
    if t.len() != 5 || t.iter().any(Option::is_none) {
        return Err(NotHttplog);
    }
    let status = next_token(&mut rest).ok_or(NotHttplog)?;
    let bytes = next_token(&mut rest).ok_or(NotHttplog)?;
    let _req_cookie = next_token(&mut rest).ok_or(NotHttplog)?;
    let _resp_cookie = next_token(&mut rest).ok_or(NotHttplog)?;
    let state = next_token(&mut rest).ok_or(NotHttplog)?;
    if !(state.len() == 4 || state.len() == 2) {
        return Err(NotHttplog);
    }
    let conns = next_token(&mut rest).ok_or(NotHttplog)?;
    let _queues = next_token(&mut rest).ok_or(NotHttplog)?;
    if memchr::memchr_iter(b'/', conns).count() != 4 {
        return Err(NotHttplog);
    }
    // Optional captured headers, then the quoted request (always last).
    let (captures, request) = match memchr::memchr(b'"', rest) {
        Some(q) => (&rest[..q], rest[q + 1..].strip_suffix(b"\"").unwrap_or(&rest[q + 1..])),
        None => (rest, &b""[..]),
    };
    obs.request_id = captured_request_id(captures);
    obs.client = client;
    obs.time_ms = time::parse_clf(date);
    obs.service = &backend_server[..slash];
    let server = &backend_server[slash + 1..];
    obs.upstream.addr = if server == b"<NOSRV>" || server == b"<STATS>" { b"-" } else { server };
    obs.status = if status == b"-1" { Some(0) } else { Some(crate::observation::parse_u16(status).ok_or(NotHttplog)?) };
    obs.bytes_sent = parse_u64(bytes.strip_prefix(b"+").unwrap_or(bytes));
    let ta = t[4].unwrap_or(-1);
    obs.request_time = (ta >= 0).then(|| ta as f64 / 1000.0);
    if let Some(sp) = memchr::memchr(b' ', request) {
        obs.method = &request[..sp];
        let target = &request[sp + 1..];
        obs.target = memchr::memrchr(b' ', target).map_or(target, |e| &target[..e]);
    }
    obs.detail = state;
    obs.detail_source = "HAProxy termination state";
    // `frontend frontend/<NOSRV>`: no use_backend rule matched and there is no default_backend.
    let unrouted = server == b"<NOSRV>" && &backend_server[..slash] == frontend;
    signals(state, obs.status.unwrap_or(0), server == b"<NOSRV>", unrouted, obs);
    // Tr >= 0: the server sent response headers, so the status is the server's (unless HAProxy
    // blocked the response, state P…).
    let tr = t[3].unwrap_or(-1);
    obs.upstream_answered = tr >= 0 && state.first() != Some(&b'P') && obs.upstream.addr != b"-";
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

fn signals(state: &[u8], status: u16, nosrv: bool, unrouted: bool, obs: &mut Observation<'_>) {
    let (who, phase) = (state[0], state[1]);
    let s = match (who, phase) {
        _ if unrouted && status == 503 => Some(Signal::NoRoute),
        (b'C', _) => Some(Signal::ClientAborted),
        (b'c', _) => Some(Signal::ClientTimeout),
        (b'S', b'C') => Some(Signal::UpstreamConnectRefused),
        (b'S', b'H') => Some(Signal::UpstreamClosedPrematurely),
        (b'S' | b's', b'D' | b'L') => Some(Signal::UpstreamDiedMidResponse),
        (b's', b'C') => Some(Signal::UpstreamConnectTimeout),
        (b's', b'H') => Some(Signal::UpstreamReadTimeout),
        (b's', b'Q') | (b'R' | b'P', b'C') => Some(Signal::Overloaded),
        (b'P', b'H' | b'D') => Some(Signal::UpstreamInvalidResponse),
        // HAProxy writes `<BADREQ>` with 400 PR-- both for a broken request line and for headers
        // over tune.bufsize: the log cannot tell the two apart (lab/README.md).
        (b'P', b'R') if status == 400 => Some(Signal::InvalidRequest),
        // `http-request deny deny_status N`: the status says which limit refused.
        (b'P', b'R') if status == 429 => Some(Signal::RateLimited),
        (b'P', b'R') if status == 413 => Some(Signal::BodyTooLarge),
        (b'P', b'R' | b'T') => Some(Signal::AccessDenied),
        (b'D', _) => Some(Signal::NoLiveUpstreams),
        _ if nosrv && status == 503 => Some(Signal::NoLiveUpstreams),
        _ => None,
    };
    if let Some(s) = s {
        obs.signals.set(s);
    }
}

/// HAProxy's own messages in the same stream (`Server app/s1 is DOWN, reason: …`, `Proxy … started.`).
pub fn is_message(line: &[u8]) -> bool {
    let has = |n: &[u8]| memchr::memmem::find(line, n).is_some();
    has(b" is DOWN")
        || has(b" is UP")
        || has(b"[WARNING]")
        || has(b"[NOTICE]")
        || has(b"[ALERT]")
        || (has(b"Proxy ") && has(b" started"))
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
    }

    #[test]
    fn raw_stdout_lines_and_passthrough() {
        assert_eq!(
            attr(
                r#"10.0.0.9:5555 [08/Mar/2026:14:00:00.001] fe be_app/s1 0/0/1/5/6 500 90 - - ---- 1/1/0/0/0 0/0 "GET /x HTTP/1.1""#
            ),
            (Cause::AppError, GeneratedBy::Upstream)
        );
        assert_eq!(attr(r#"10.0.0.9:5555 [08/Mar/2026:14:00:00.001] fe be_app/s1 0/0/1/-1/2001 504 194 - - sH-- 1/1/0/0/0 0/0 "GET /slow HTTP/1.1""#).0, Cause::UpstreamTimeout);
        assert_eq!(attr(r#"10.0.0.9:5555 [08/Mar/2026:14:00:00.001] fe be_app/<NOSRV> 0/-1/-1/-1/0 503 217 - - SC-- 1/1/0/0/0 0/0 "GET / HTTP/1.1""#).0, Cause::UpstreamConnectionRefused);
        assert!(is_message(b"[WARNING]  (8) : Server be_app/s1 is DOWN, reason: Layer4 connection problem"));
        let mut o = Observation::default();
        assert!(parse(b"hello world", &mut o).is_err());
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
    }
}
