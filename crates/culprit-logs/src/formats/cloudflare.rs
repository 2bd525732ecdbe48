//! Cloudflare Logpush `http_requests` records (one JSON object per line; the fields are the ones
//! the Logpush job selected, in any order). Cloudflare's field reference
//! (cloudflare-docs `logs/reference/log-fields/zone/http_requests.md`) says who answered:
//!
//! - `EdgeResponseStatus`: what the client got;
//! - `OriginResponseStatus`: what the origin answered; **0 means no request was made to the
//!   origin** and Cloudflare's edge answered (a cache hit, a security rule, a redirect rule, or
//!   a 52x about the origin connection). A job that does not select it says nothing either way;
//! - `CacheCacheStatus`: `hit`, `stale`, `updating`, `revalidated`, `stream_hit` were served from
//!   the cache; `miss`, `expired`, `bypass`, `dynamic` went to the origin (or were blocked first);
//! - `SecurityAction` (`WAFAction` before it), `SecurityActions`, `FirewallMatchesActions`: a
//!   terminating action (`block`, `challenge`, `managedChallenge`, `connectionClose`…) means a
//!   security product answered;
//! - `EdgeServerIP`: empty when no request was made to the origin.
//!
//! Cloudflare's own origin errors: 520 (empty or unexpected response), 521 (connection refused),
//! 522 (connect timed out), 523 (origin unreachable), 524 (no response within 100 s), 525/526
//! (TLS handshake / certificate), 530 (with a 1xxx error, e.g. 1016 origin DNS).

use super::jsonscan::{self, Value};
use crate::observation::{Observation, Signal, parse_u64};
use crate::time;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NotCloudflare;

/// What the record says about who answered, collected while scanning.
#[derive(Default)]
struct Facts<'a> {
    edge: Option<u64>,
    origin: Option<u64>,
    cache: &'a [u8],
    /// A terminating security action, with the product that took it when known.
    blocked: Option<&'a [u8]>,
    rate_limited: bool,
    edge_server_ip: Option<&'a [u8]>,
    start: Option<i64>,
    end: Option<i64>,
}

/// Security actions that end the request at the edge (the others only log, allow or skip).
fn terminating(action: &[u8]) -> bool {
    matches!(
        action,
        b"block"
            | b"drop"
            | b"challenge"
            | b"jschallenge"
            | b"managedChallenge"
            | b"managed_challenge"
            | b"connectionClose"
            | b"forceConnectionClose"
            | b"ban"
    )
}

/// An array of strings holding a terminating action (`["log","block"]`).
fn array_terminates(raw: &[u8]) -> Option<&[u8]> {
    raw.split(|&b| matches!(b, b',' | b'[' | b']'))
        .map(|s| {
            let s = s.trim_ascii();
            s.strip_prefix(b"\"").and_then(|s| s.strip_suffix(b"\"")).unwrap_or(s)
        })
        .find(|a| terminating(a))
}

/// Logpush timestamps: RFC 3339, or an integer in seconds, milliseconds or nanoseconds.
fn timestamp(v: Value<'_>) -> Option<i64> {
    match v {
        Value::Str(s) => time::parse_iso(s).or_else(|| number_time(s)),
        Value::Num(n) => number_time(n),
        _ => None,
    }
}

fn number_time(n: &[u8]) -> Option<i64> {
    let v = i64::try_from(parse_u64(n)?).ok()?;
    Some(match n.len() {
        ..=10 => v * 1000,
        11..=13 => v,
        14..=16 => v / 1000,
        _ => v / 1_000_000,
    })
}

pub fn parse<'a>(line: &'a [u8], obs: &mut Observation<'a>) -> Result<(), NotCloudflare> {
    if line.first() != Some(&b'{') || memchr::memmem::find(line, b"\"EdgeResponseStatus\"").is_none() {
        return Err(NotCloudflare);
    }
    let mut f = Facts::default();
    let ok = jsonscan::scan(line, |depth, key, v| {
        if depth != 0 {
            return;
        }
        match key {
            b"EdgeResponseStatus" => f.edge = v.as_u64(),
            b"OriginResponseStatus" => f.origin = v.as_u64(),
            b"CacheCacheStatus" => f.cache = v.text(),
            b"ClientIP" => obs.client = v.text(),
            b"ClientRequestMethod" => obs.method = v.text(),
            b"ClientRequestURI" => obs.target = v.text(),
            b"ClientRequestPath" if obs.target.is_empty() => obs.target = v.text(),
            b"ClientRequestHost" => obs.host = v.text(),
            b"RayID" => obs.request_id = v.text(),
            b"OriginIP" => obs.upstream.addr = v.text(),
            b"EdgeResponseBytes" => obs.bytes_sent = v.as_u64(),
            b"EdgeStartTimestamp" => f.start = timestamp(v),
            b"EdgeEndTimestamp" => f.end = timestamp(v),
            b"EdgeServerIP" => f.edge_server_ip = Some(v.text()),
            b"SecurityAction" | b"WAFAction" if terminating(v.text()) => f.blocked = Some(v.text()),
            b"EdgePathingOp" if v.text() == b"ban" => f.blocked = Some(v.text()),
            b"SecurityActions" | b"FirewallMatchesActions" => {
                if let Value::Array(raw) = v
                    && let Some(a) = array_terminates(raw)
                {
                    f.blocked = Some(a);
                }
            }
            b"SecuritySources" | b"FirewallMatchesSources" => {
                if let Value::Array(raw) = v {
                    f.rate_limited |= memchr::memmem::find(raw, b"\"rateLimit\"").is_some();
                }
            }
            _ => {}
        }
    });
    let edge = f.edge.and_then(|s| u16::try_from(s).ok()).filter(|_| ok).ok_or(NotCloudflare)?;
    obs.status = Some(edge);
    obs.time_ms = f.end.or(f.start);
    if let (Some(s), Some(e)) = (f.start, f.end) {
        #[allow(clippy::cast_precision_loss)]
        let secs = (e - s).max(0) as f64 / 1000.0;
        obs.request_time = Some(secs);
    }
    judge(&f, edge, obs);
    Ok(())
}

fn judge<'a>(f: &Facts<'a>, edge: u16, obs: &mut Observation<'a>) {
    let origin = f.origin.and_then(|s| u16::try_from(s).ok());
    // Origin contacted: by its status, else by the edge server that would have made the request.
    let reached = match (origin, f.edge_server_ip) {
        (Some(0), _) => Some(false),
        (Some(_), _) => Some(true),
        (None, Some(ip)) => Some(!ip.is_empty()),
        (None, None) => None,
    };
    if origin == Some(edge) && edge != 0 {
        obs.upstream_answered = true;
        obs.upstream.status = b"";
        return;
    }
    let detail = |obs: &mut Observation<'a>, what: &'a [u8], source: &'static str| {
        obs.detail = what;
        obs.detail_source = source;
    };
    if reached != Some(true)
        && let Some(action) = f.blocked
    {
        detail(obs, action, "Cloudflare security action");
        obs.signals.set(if f.rate_limited || edge == 429 { Signal::RateLimited } else { Signal::WafBlocked });
        return;
    }
    let origin_error = match edge {
        520 => Some(Signal::UpstreamInvalidResponse),
        521 => Some(Signal::UpstreamConnectRefused),
        522 => Some(Signal::UpstreamConnectTimeout),
        // Unreachable: no route to the origin's address.
        523 => Some(Signal::UpstreamConnectFailed),
        524 => Some(Signal::UpstreamReadTimeout),
        525 | 526 => Some(Signal::UpstreamTlsFailed),
        // 527 (Railgun) and 530 (a 1xxx error): Cloudflare's, for a reason the page names.
        527 | 530 => Some(Signal::ProxyError),
        _ => None,
    };
    if let Some(s) = origin_error {
        detail(obs, b"52x: Cloudflare's own answer about the origin connection", "Cloudflare EdgeResponseStatus");
        obs.signals.set(s);
        return;
    }
    if matches!(f.cache, b"hit" | b"stale" | b"updating" | b"revalidated" | b"stream_hit") && reached != Some(true) {
        detail(obs, f.cache, "Cloudflare CacheCacheStatus");
        obs.cache_hit = true;
        return;
    }
    match reached {
        Some(false) => {
            // No request to the origin and not from the cache: the edge answered (a redirect or
            // a configuration rule, a Worker).
            detail(obs, b"OriginResponseStatus 0: no request was made to the origin", "Cloudflare log");
            obs.proxy_answered = true;
        }
        Some(true) if origin.is_none_or(|o| o == 0) => obs.upstream_answered = true,
        // The origin answered one status, the client got another (a Worker or an error page
        // rewrote it): who made the final one, the line does not say.
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::attribute::{Cause, attribute};
    use culprit_kb::GeneratedBy;

    fn judge_line(line: &str) -> (Cause, GeneratedBy) {
        let mut obs = Observation::default();
        parse(line.as_bytes(), &mut obs).unwrap_or_else(|_| panic!("{line}"));
        let ctx = crate::formats::Format::by_name("cloudflare").unwrap().context(None);
        let a = attribute(&obs, &ctx).unwrap();
        (a.cause, a.generated_by)
    }

    /// IBM QRadar's Cloudflare sample (docs "Cloudflare Logs sample event messages"), shortened to
    /// the fields that matter, with the statuses varied.
    fn line(edge: u16, origin: u16, cache: &str, action: &str) -> String {
        format!(
            r#"{{"ClientIP":"10.0.0.1","ClientRequestHost":"host.domain.test","ClientRequestMethod":"GET","ClientRequestURI":"/cdn-cgi/images/cf-icon-cloud.png","EdgeEndTimestamp":"2020-10-13T19:49:36Z","EdgeResponseBytes":1895,"EdgeResponseStatus":{edge},"EdgeStartTimestamp":"2020-10-13T19:49:36Z","RayID":"5e1b95b9ea390cc5","SecurityAction":"{action}","WAFFlags":"0","CacheCacheStatus":"{cache}","CacheResponseBytes":0,"CacheResponseStatus":0,"OriginResponseStatus":{origin}}}"#
        )
    }

    #[test]
    fn who_answered() {
        assert_eq!(judge_line(&line(200, 200, "miss", "unknown")), (Cause::Ok, GeneratedBy::Upstream));
        assert_eq!(judge_line(&line(502, 502, "dynamic", "unknown")), (Cause::AppBadGateway, GeneratedBy::Upstream));
        assert_eq!(judge_line(&line(200, 0, "hit", "unknown")), (Cause::Ok, GeneratedBy::Cdn));
        assert_eq!(judge_line(&line(403, 0, "dynamic", "block")), (Cause::WafBlocked, GeneratedBy::Cdn));
        assert_eq!(
            judge_line(&line(521, 0, "dynamic", "unknown")),
            (Cause::UpstreamConnectionRefused, GeneratedBy::Cdn)
        );
        assert_eq!(judge_line(&line(522, 0, "dynamic", "unknown")), (Cause::UpstreamConnectTimeout, GeneratedBy::Cdn));
        assert_eq!(judge_line(&line(524, 0, "dynamic", "unknown")), (Cause::UpstreamTimeout, GeneratedBy::Cdn));
        assert_eq!(judge_line(&line(301, 0, "dynamic", "unknown")), (Cause::ProxyRedirect, GeneratedBy::Cdn));
        let ok = line(200, 200, "miss", "unknown");
        let mut obs = Observation::default();
        parse(ok.as_bytes(), &mut obs).unwrap();
        assert_eq!(obs.time_ms, time::parse_iso(b"2020-10-13T19:49:36Z"));
        assert_eq!((obs.method, obs.request_id), (&b"GET"[..], &b"5e1b95b9ea390cc5"[..]));
    }

    #[test]
    fn lnav_fixture_lines() {
        // tstack/lnav test/logfile_cloudflare.1: WAF block, no OriginResponseStatus selected.
        let waf = r#"{"ClientIP":"192.0.2.88","ClientRequestHost":"www.example.com","ClientRequestMethod":"GET","ClientRequestURI":"/admin/config.php","ClientRequestUserAgent":"python-requests/2.31.0","ClientRequestReferer":"","EdgeEndTimestamp":1712790004600000000,"EdgeResponseBytes":178,"EdgeResponseStatus":403,"EdgeStartTimestamp":1712790004590000000,"RayID":"87a1b2c3d4e5f005","CacheCacheStatus":"dynamic","CacheResponseStatus":403,"ClientCountry":"CN","ClientRequestProtocol":"HTTP/1.1","EdgeColoCode":"HKG","WAFAction":"block","WAFRuleID":"100015","FirewallMatchesActions":["block"],"FirewallMatchesRuleIDs":["100015"]}"#;
        assert_eq!(judge_line(waf), (Cause::WafBlocked, GeneratedBy::Cdn));
        let mut obs = Observation::default();
        parse(waf.as_bytes(), &mut obs).unwrap();
        assert_eq!(obs.time_ms, Some(1_712_790_004_600));
        assert!((obs.request_time.unwrap() - 0.01).abs() < 1e-9);
        // Nothing says who made a 401 when the job selects no origin fields: a guess, said so.
        let unsure =
            waf.replace(r#""EdgeResponseStatus":403"#, r#""EdgeResponseStatus":401"#).replace("block", "allow");
        let mut obs = Observation::default();
        parse(unsure.as_bytes(), &mut obs).unwrap();
        let ctx = crate::formats::Format::by_name("cloudflare").unwrap().context(None);
        assert_eq!(attribute(&obs, &ctx).unwrap().confidence, culprit_kb::Confidence::Low);
        assert!(parse(br#"{"status":200}"#, &mut Observation::default()).is_err());
        assert!(parse(br#"{"EdgeResponseStatus":"x"}"#, &mut Observation::default()).is_err());
    }
}
