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

/// The end of a compact line's `Mmm dd hh:mm:ss.fff` timestamp (and `[node]`), at its `: `.
fn after_timestamp(line: &[u8]) -> Option<usize> {
    let month_day = line.len() > 16
        && line[..3].iter().all(u8::is_ascii_alphabetic)
        && line[3] == b' '
        && (line[4] == b' ' || line[4].is_ascii_digit())
        && line[5].is_ascii_digit()
        && line[6] == b' '
        && line[9] == b':';
    if !month_day {
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

/// A `hubble observe` compact line of an HTTP response.
pub fn compact<'a>(line: &'a [u8], obs: &mut Observation<'a>) -> Result<(), BadLine> {
    let colon = after_timestamp(line).ok_or(BadLine::Mismatch)?;
    obs.time_raw = &line[..colon];
    let body = &line[colon + 2..];
    let (left, rest) = endpoint(body);
    let (arrow, rest) = rest.split_at_checked(4).ok_or(BadLine::Mismatch)?;
    let (right, rest) = endpoint(rest);
    let rest = rest.strip_prefix(b" http-response ").ok_or(BadLine::Mismatch)?;
    let open = memchr::memmem::find(rest, b" (").ok_or(BadLine::Mismatch)?;
    let summary = rest[open + 2..].strip_suffix(b")").ok_or(BadLine::Mismatch)?;
    // `HTTP/1.1 503 0ms (GET http://host/path)`
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
            latency_ms = parse_u64(n).map(|ns| ns / 1_000_000)
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
    if line.starts_with(b"{\"flow\":") {
        return true;
    }
    after_timestamp(line).is_some_and(|c| {
        let body = &line[c..];
        [&b" -> "[..], b" <- ", b" <> "].iter().any(|a| memchr::memmem::find(body, a).is_some())
            && [
                &b" FORWARDED "[..],
                b" DROPPED ",
                b" TRACED ",
                b" TRANSLATED ",
                b" AUDIT ",
                b" ERROR ",
                b" REDIRECTED ",
            ]
            .iter()
            .any(|v| memchr::memmem::find(body, v).is_some())
    })
}
