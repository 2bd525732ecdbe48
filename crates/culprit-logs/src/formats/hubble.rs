//! Cilium's L7 HTTP flows as Hubble shows them: `hubble observe` compact lines and its JSON output
//! (`-o json` / `-o jsonpb`). Cilium's Envoy writes no access log of its own by default; these
//! flows are its record of each HTTP response it proxied (per-endpoint L7 policy, Cilium Ingress,
//! Gateway API).
//!
//! Compact (`hubble/pkg/printer` `WriteProtoFlow`, `"%s%s: %s %s %s %s %s %s %s (%s)"`; identities
//! printed since Hubble 0.11, a reply's endpoints swapped and the arrow turned to `<-`):
//!
//! ```text
//! ^(\w{3} [ \d]\d \d\d:\d\d:\d\d\.\d+)( \[[^\]]+\])?: (\S+)( \([^)]+\))? (<-|->|<>) (\S+)( \([^)]+\))? http-response (\w+) \((.*)\)$
//! ```
//!
//! with the summary `HTTP/1.1 503 0ms (GET http://host/path)` (protocol, code, latency, method and
//! URL). JSON flows carry the same in `l7.http.code`, `l7.latency_ns`, `is_reply` and the endpoints.
//!
//! A flow names no proxy flag, so attribution is what the flow can support: the endpoint that sent
//! the response, when it is a pod, answered a non-5xx status (a 5xx could be Cilium's Envoy failing
//! to reach that pod); a 403 sent at once (0 ms) is Cilium's L7 policy refusing the request, which
//! Envoy answers with its own `403 Access denied`; anything else is left to the status.

use crate::formats::BadLine;
use crate::formats::envoy_json::{Value, members};
use crate::observation::{Observation, parse_u16, parse_u64};
use crate::{scan, time};

/// What a flow says about who sent the response; `pod` is the responding pod, if one is named.
fn judge<'a>(obs: &mut Observation<'a>, pod: &'a [u8], latency_ms: Option<u64>) {
    let status = obs.status.unwrap_or(0);
    if status == 403 && latency_ms == Some(0) {
        obs.proxy_answered = true;
        obs.detail = b"403 sent in 0 ms: Cilium's L7 policy refused the request (Envoy's own 'Access denied')";
        obs.detail_source = "Hubble flow";
    } else if status != 0 && status < 500 && !pod.is_empty() {
        obs.upstream_answered = true;
        obs.upstream.addr = pod;
    }
}

/// Cilium's own ingress or gateway Service (`cilium-ingress`, `cilium-gateway-<name>`), which
/// answers for whatever is behind it.
fn is_cilium_proxy(name: &[u8]) -> bool {
    name.starts_with(b"cilium-ingress") || name.starts_with(b"cilium-gateway")
}

/// A compact endpoint that is a pod: `namespace/name:port`, not Cilium's ingress or gateway.
fn compact_pod(endpoint: &[u8]) -> &[u8] {
    match memchr::memchr(b'/', endpoint) {
        Some(slash) if slash + 1 < endpoint.len() && !is_cilium_proxy(&endpoint[slash + 1..]) => endpoint,
        _ => b"",
    }
}

/// Whether `line` starts with a Hubble timestamp: the default `Mmm dd hh:mm:ss.fff` (Go's
/// `StampMilli`) or an RFC 3339 one (`--time-format RFC3339Milli`).
fn stamp_start(line: &[u8]) -> bool {
    let month_day = line.len() > 16
        && line[..3].iter().all(u8::is_ascii_alphabetic)
        && line[3] == b' '
        && (line[4] == b' ' || line[4].is_ascii_digit())
        && line[5].is_ascii_digit()
        && line[6] == b' '
        && line[9] == b':';
    let rfc3339 = line.len() > 20 && line[..4].iter().all(u8::is_ascii_digit) && line[4] == b'-' && line[10] == b'T';
    month_day || rfc3339
}

/// The end of a compact line's timestamp (and `[node]`), at its `: `.
fn after_timestamp(line: &[u8]) -> Option<usize> {
    if !stamp_start(line) {
        return None;
    }
    memchr::memmem::find(&line[15..], b": ").map(|i| 15 + i)
}

/// An endpoint and its optional ` (identity)`, from `s` on: `(endpoint, rest)`.
fn endpoint(s: &[u8]) -> (&[u8], &[u8]) {
    let end = memchr::memchr(b' ', s).unwrap_or(s.len());
    let (ep, mut rest) = (&s[..end], &s[end..]);
    if rest.starts_with(b" (") {
        if let Some(close) = memchr::memchr(b')', rest) {
            rest = &rest[close + 1..];
        }
    }
    (ep, rest)
}

/// A `hubble observe` line of an HTTP response: compact (the default) or table (`-o table`).
pub fn compact<'a>(line: &'a [u8], obs: &mut Observation<'a>) -> Result<(), BadLine> {
    let Some(colon) = after_timestamp(line) else { return table(line, obs) };
    obs.time_raw = &line[..colon];
    // `StampMilli` carries no year: only an RFC 3339 stamp gives a time.
    obs.time_ms = time::parse_iso(obs.time_raw);
    let body = &line[colon + 2..];
    let (left, rest) = endpoint(body);
    let (arrow, rest) = rest.split_at_checked(4).ok_or(BadLine::Mismatch)?;
    let (right, rest) = endpoint(rest);
    let rest = rest.strip_prefix(b" http-response ").ok_or(BadLine::Mismatch)?;
    let open = memchr::memmem::find(rest, b" (").ok_or(BadLine::Mismatch)?;
    let summary = rest[open + 2..].strip_suffix(b")").ok_or(BadLine::Mismatch)?;
    let latency_ms = read_summary(summary, obs)?;
    let responder = match arrow {
        b" <- " => right,
        b" -> " => left,
        b" <> " => b"",
        _ => return Err(BadLine::Mismatch),
    };
    obs.client = if arrow == b" <- " { left } else { right };
    judge(obs, compact_pod(responder), latency_ms);
    Ok(())
}

/// `-o table`: `TIMESTAMP  SOURCE  DESTINATION  TYPE  VERDICT  SUMMARY`, columns padded with
/// spaces (Go's tabwriter, padding 3) and a reply's endpoints not swapped: the source answered.
fn table<'a>(line: &'a [u8], obs: &mut Observation<'a>) -> Result<(), BadLine> {
    let at = memchr::memmem::find(line, b" http-response ").ok_or(BadLine::Mismatch)?;
    let head = &line[..at];
    // The timestamp, then the two endpoints, each column ending in two or more spaces.
    let mut columns = head.split(|&b| b == b' ').filter(|c| !c.is_empty());
    let stamp_words = if head.first().is_some_and(u8::is_ascii_digit) { 1 } else { 3 };
    let stamp_end = columns.by_ref().take(stamp_words).last().ok_or(BadLine::Mismatch)?;
    let (source, destination) = (columns.next().ok_or(BadLine::Mismatch)?, columns.next().ok_or(BadLine::Mismatch)?);
    if columns.next().is_some() || !(source.contains(&b':') && destination.contains(&b':')) {
        return Err(BadLine::Mismatch);
    }
    let stamp = &line[..(stamp_end.as_ptr() as usize - line.as_ptr() as usize) + stamp_end.len()];
    if !stamp_start(stamp) {
        return Err(BadLine::Mismatch);
    }
    obs.time_raw = stamp;
    obs.time_ms = time::parse_iso(stamp);
    let rest = line[at + 15..].trim_ascii_start();
    let verdict_end = memchr::memchr(b' ', rest).ok_or(BadLine::Mismatch)?;
    let summary = rest[verdict_end..].trim_ascii();
    let latency_ms = read_summary(summary, obs)?;
    obs.client = destination;
    judge(obs, compact_pod(source), latency_ms);
    Ok(())
}

/// `HTTP/1.1 503 0ms (GET http://host/path)`: status, latency (returned, in ms) and request.
fn read_summary<'a>(summary: &'a [u8], obs: &mut Observation<'a>) -> Result<Option<u64>, BadLine> {
    let mut parts = summary.splitn(4, |&b| b == b' ');
    let (Some(_proto), Some(code), Some(latency), Some(request)) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(BadLine::Mismatch);
    };
    obs.status = Some(parse_u16(code).ok_or(BadLine::BadStatus)?);
    let latency_ms = latency.strip_suffix(b"ms").and_then(parse_u64);
    obs.request_time = latency_ms.map(|ms| ms as f64 / 1000.0);
    let request = request.strip_prefix(b"(").and_then(|r| r.strip_suffix(b")")).unwrap_or(request);
    read_request(request, obs);
    Ok(latency_ms)
}

/// `GET http://host/path?q` into method, host and target.
fn read_request<'a>(request: &'a [u8], obs: &mut Observation<'a>) {
    let (method, url) = scan::request_line(request);
    obs.method = method;
    obs.host = scan::authority(url);
    let after = memchr::memmem::find(url, b"://").map_or(0, |i| i + 3);
    obs.target = memchr::memchr(b'/', &url[after..]).map_or(&b"/"[..], |i| &url[after + i..]);
}

/// A Hubble flow in JSON (`{"flow":{…}}` or the flow itself) that is an HTTP response.
pub fn json<'a>(line: &'a [u8], obs: &mut Observation<'a>) -> Result<(), BadLine> {
    if line.first() != Some(&b'{') || memchr::memmem::find(line, b"\"l7\"").is_none() {
        return Err(BadLine::Mismatch);
    }
    let mut flow = line;
    members(line, |k, v| {
        if let (b"flow", Value::Nested(f)) = (k, v) {
            flow = f;
        }
    });
    let (mut l7, mut source, mut destination, mut reply) = (None, None, None, None);
    let ok = members(flow, |k, v| match (k, v) {
        (b"time", Value::Str(t)) => {
            obs.time_raw = t;
            obs.time_ms = time::parse_iso(t);
        }
        (b"l7", Value::Nested(n)) => l7 = Some(n),
        (b"source", Value::Nested(n)) => source = Some(n),
        (b"destination", Value::Nested(n)) => destination = Some(n),
        (b"is_reply" | b"isReply", Value::Bool(b)) => reply = Some(b),
        _ => {}
    });
    let l7 = l7.filter(|_| ok).ok_or(BadLine::Mismatch)?;
    let (mut http, mut latency_ms, mut response) = (None, None, false);
    members(l7, |k, v| match (k, v) {
        (b"http", Value::Nested(n)) => http = Some(n),
        (b"latency_ns" | b"latencyNs", Value::Str(n) | Value::Num(n)) => {
            latency_ms = parse_u64(n).map(|ns| ns / 1_000_000);
        }
        (b"type", Value::Str(t)) => response = t == b"RESPONSE",
        (b"type", Value::Num(t)) => response = t == b"2",
        _ => {}
    });
    let http = http.ok_or(BadLine::Mismatch)?;
    let (mut code, mut method, mut url) = (None, &b""[..], &b""[..]);
    members(http, |k, v| match (k, v) {
        (b"code", Value::Num(c)) => code = parse_u16(c),
        (b"method", Value::Str(m)) => method = m,
        (b"url", Value::Str(u)) => url = u,
        _ => {}
    });
    // A request flow (no code yet) is not a request with a status.
    let status = code.filter(|&c| c != 0 && response).ok_or(BadLine::Mismatch)?;
    obs.status = Some(status);
    obs.method = method;
    obs.host = scan::authority(url);
    let after = memchr::memmem::find(url, b"://").map_or(0, |i| i + 3);
    obs.target = memchr::memchr(b'/', &url[after..]).map_or(&b"/"[..], |i| &url[after + i..]);
    obs.request_time = latency_ms.map(|ms| ms as f64 / 1000.0);
    // In a reply the source is the endpoint that sent the response.
    let responder = if reply == Some(false) { destination } else { source };
    judge(obs, responder.map(pod_of).unwrap_or_default(), latency_ms);
    Ok(())
}

/// An endpoint object's pod name, when the endpoint is a pod other than Cilium's own ingress or
/// gateway.
fn pod_of(endpoint: &[u8]) -> &[u8] {
    let mut pod = &b""[..];
    members(endpoint, |k, v| {
        if let (b"pod_name" | b"podName", Value::Str(p)) = (k, v) {
            pod = p;
        }
    });
    if is_cilium_proxy(pod) { b"" } else { pod }
}

/// A Hubble flow that is not an HTTP response (requests, L3/L4 flows, DNS): expected in the same
/// output, not a request with a status.
pub fn is_flow(line: &[u8]) -> bool {
    const VERDICTS: [&[u8]; 7] =
        [b" FORWARDED ", b" DROPPED ", b" TRACED ", b" TRANSLATED ", b" AUDIT ", b" ERROR ", b" REDIRECTED "];
    let has = |n: &[u8]| memchr::memmem::find(line, n).is_some();
    // JSON flows, the table's header, and flow lines: a timestamp, endpoints joined by an arrow
    // (compact) or padded columns (table), and a verdict.
    line.starts_with(b"{\"flow\":")
        || line.starts_with(b"TIMESTAMP ")
        || stamp_start(line)
            && (has(b" -> ") || has(b" <- ") || has(b" <> ") || has(b"   "))
            && VERDICTS.iter().any(|v| has(v))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::attribute::{Cause, attribute};
    use culprit_kb::GeneratedBy;

    fn read(f: crate::formats::ParseFn, line: &str) -> (Option<u16>, Cause, GeneratedBy) {
        let mut obs = Observation::default();
        f(line.as_bytes(), &mut obs).unwrap_or_else(|e| panic!("{e:?}: {line}"));
        let ctx = crate::formats::Format::by_name("hubble").unwrap().context(None);
        let a = attribute(&obs, &ctx).unwrap();
        (obs.status, a.cause, a.generated_by)
    }

    #[test]
    fn compact_lines() {
        // Cilium docs (ingress / gateway tasks): a pod answered 200 in 1 ms.
        let pod = "Jul  7 13:07:46.727: 192.168.49.1:59608 <- default/details-v1-5498c86cf5-cnt9q:9080 http-response FORWARDED (HTTP/1.1 200 1ms (GET http://10.97.60.117/details/1))";
        assert_eq!(read(compact, pod), (Some(200), Cause::Ok, GeneratedBy::Upstream));
        let mut obs = Observation::default();
        compact(pod.as_bytes(), &mut obs).unwrap();
        assert_eq!((obs.method, obs.host, obs.target), (&b"GET"[..], &b"10.97.60.117"[..], &b"/details/1"[..]));
        assert_eq!(obs.upstream.addr, b"default/details-v1-5498c86cf5-cnt9q:9080");
        // Identities printed (Hubble ≥ 0.11); Cilium's L7 policy refusing at once.
        let denied = "Feb 29 13:00:29.389: 172.18.0.1:53866 (ingress) <- kube-system/cilium-ingress:80 (world) http-response FORWARDED (HTTP/1.1 403 0ms (GET http://172.18.255.194/details/1))";
        assert_eq!(read(compact, denied), (Some(403), Cause::ProxyAccessDenied, GeneratedBy::Proxy));
        // A 503 from behind the ingress: the flow cannot tell Envoy's from the pod's.
        // `--time-format RFC3339Milli` and `--print-node-name` (hubble observe flags).
        let rfc = "2024-03-01T10:00:00.123Z [kind-worker]: 10.244.1.9:41234 (ID:1234) <- default/details-v1-5498c86cf5-cnt9q:9080 (ID:5678) http-response FORWARDED (HTTP/1.1 404 2ms (GET http://details:9080/details/0))";
        assert_eq!(read(compact, rfc), (Some(404), Cause::AppNotFound, GeneratedBy::Upstream));
        let mut obs = Observation::default();
        compact(rfc.as_bytes(), &mut obs).unwrap();
        assert_eq!(obs.time_ms, Some(1_709_287_200_123));
        let unknown = "Jul  7 12:28:27.970: 127.0.0.1:54704 <- 127.0.0.1:13681 http-response FORWARDED (HTTP/1.1 503 0ms (GET http://localhost:31911/))";
        let (status, _, _) = read(compact, unknown);
        assert_eq!(status, Some(503));
        // `-o table` (built from the printer's columns): the source column answered.
        let table = "Jun  2 10:04:30.170   default/deathstar-c74d84667-cx5kp:80   default/tiefighter:45468   http-response   FORWARDED   HTTP/1.1 200 2ms (POST http://deathstar.default.svc.cluster.local/v1/request-landing)";
        assert_eq!(read(compact, table), (Some(200), Cause::Ok, GeneratedBy::Upstream));
        let mut obs = Observation::default();
        compact(table.as_bytes(), &mut obs).unwrap();
        assert_eq!((obs.time_raw, obs.target), (&b"Jun  2 10:04:30.170"[..], &b"/v1/request-landing"[..]));
        // Requests and L3/L4 flows are flows, not requests with a status.
        let request = "Jul  7 12:28:27.969: 127.0.0.1:54704 -> 127.0.0.1:13681 http-request FORWARDED (HTTP/1.1 GET http://localhost:31911/)";
        assert!(compact(request.as_bytes(), &mut Observation::default()).is_err());
        assert!(is_flow(request.as_bytes()));
        assert!(is_flow(b"Jun  2 12:47:39.445: default/xwing:40312 (ID:2364) -> default/deathstar-6fb5694d48-5hmds:80 (ID:12345) to-endpoint FORWARDED (TCP Flags: SYN)"));
        assert!(!is_flow(b"Jul  7 12:28:27 host sshd[1]: Accepted publickey"));
        assert!(!is_flow(b"May 22 02:22:22 server1 app[7]: ERROR could not open file"));
    }

    #[test]
    fn json_flows() {
        // Built from api/v1/flow/flow.proto field names as `hubble observe -o jsonpb` writes them.
        let reply = r#"{"flow":{"time":"2024-03-01T10:00:00.123456789Z","verdict":"FORWARDED","IP":{"source":"10.244.1.5","destination":"10.244.2.7"},"source":{"ID":1234,"identity":5678,"namespace":"default","pod_name":"details-v1-5498c86cf5-cnt9q"},"destination":{"identity":2,"namespace":"default","pod_name":"productpage-v1-675fc69cf-xk9zp"},"Type":"L7","l7":{"type":"RESPONSE","latency_ns":"1843000","http":{"code":404,"method":"GET","url":"http://details:9080/details/0","protocol":"HTTP/1.1"}},"is_reply":true,"Summary":"HTTP/1.1 404 1ms (GET http://details:9080/details/0)"},"node_name":"kind-worker","time":"2024-03-01T10:00:00.123456789Z"}"#;
        assert_eq!(read(json, reply), (Some(404), Cause::AppNotFound, GeneratedBy::Upstream));
        let mut obs = Observation::default();
        json(reply.as_bytes(), &mut obs).unwrap();
        assert_eq!(obs.time_ms, Some(1_709_287_200_123));
        assert_eq!(obs.target, b"/details/0");
        let request = r#"{"flow":{"time":"2024-03-01T10:00:00.1Z","verdict":"DROPPED","Type":"L7","l7":{"type":"REQUEST","http":{"method":"PUT","url":"http://deathstar/v1/exhaust-port","protocol":"HTTP/1.1"}},"is_reply":false}}"#;
        assert!(json(request.as_bytes(), &mut Observation::default()).is_err());
        assert!(is_flow(request.as_bytes()));
    }
}
