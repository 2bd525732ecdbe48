//! Envoy's JSON access logs (`json_format` / `typed_json_format`), as Istio, Envoy Gateway, Contour
//! and Cilium configure them, read by their keys whatever the order:
//!
//! - Istio (`accessLogEncoding: JSON`): `response_code`, `response_flags`,
//!   `response_code_details`, `upstream_host`, `upstream_cluster`, `upstream_service_time`…; all
//!   values strings before Istio 1.17 (`"response_code":"503"`, `"-"` when unset, keys in random
//!   order, `istio_policy_status` in the Mixer era), native types and `null` after;
//! - Envoy Gateway's default: the same operators under `:authority`, `x-envoy-origin-path`,
//!   `user-agent`, `x-envoy-upstream-service-time`, `x-request-id`, keys sorted;
//! - Contour (`accesslog-format: json`): `@timestamp`, `authority`, `path`, `upstream_service_time`,
//!   `uber_trace_id`…;
//! - Cilium's Gateway API / Ingress Envoy and anyone's own `json_format` using Envoy's operator names.
//!
//! A line counts as Envoy's when it has a status key and one of Envoy's own (`response_flags`,
//! `response_code_details`, `upstream_cluster`, `upstream_service_time`…). The object is scanned
//! once, member by member, without building a tree or allocating; values are taken as written
//! (escapes left in place), which is what the fields culprit reads need.
//!
//! Sources: Envoy `usage.rst` (format dictionaries, typed JSON, `null` for unset), Istio
//! `pilot/pkg/model/telemetry_logging.go`, Envoy Gateway `internal/xds/translator/accesslog.go`
//! (`EnvoyTextLogFormat`) and its proxy-accesslog task, Contour `apis/projectcontour/v1alpha1/
//! accesslog.go` (`DefaultAccessLogJSONFields`, `jsonFields`).

use crate::formats::BadLine;
use crate::formats::envoy::Fields;
use crate::observation::{Observation, parse_u16, parse_u64};
use crate::time;

/// One member's value, as written in the line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Value<'a> {
    /// The inside of a string, escapes as written.
    Str(&'a [u8]),
    Num(&'a [u8]),
    Null,
    Bool(bool),
    /// An object or array, brackets included.
    Nested(&'a [u8]),
}

impl<'a> Value<'a> {
    /// A string's or number's bytes; empty for `null` and the rest.
    pub(crate) fn text(self) -> &'a [u8] {
        match self {
            Value::Str(s) | Value::Num(s) => s,
            _ => b"",
        }
    }
}

fn skip_ws(s: &[u8], mut i: usize) -> usize {
    while i < s.len() && matches!(s[i], b' ' | b'\t' | b'\r' | b'\n') {
        i += 1;
    }
    i
}

/// The end (index of the closing quote) of a string whose opening quote is at `open`.
fn string_end(s: &[u8], open: usize) -> Option<usize> {
    let mut i = open + 1;
    loop {
        let at = i + memchr::memchr2(b'"', b'\\', &s[i..])?;
        if s[at] == b'"' {
            return Some(at);
        }
        i = at + 2;
        if i > s.len() {
            return None;
        }
    }
}

/// The end (one past the closing bracket) of the object or array opening at `open`.
fn nested_end(s: &[u8], open: usize) -> Option<usize> {
    let mut depth = 0usize;
    let mut i = open;
    while i < s.len() {
        match s[i] {
            b'"' => i = string_end(s, i)?,
            b'{' | b'[' => depth += 1,
            b'}' | b']' => {
                depth -= 1;
                if depth == 0 {
                    return Some(i + 1);
                }
            }
            _ => {}
        }
        i += 1;
    }
    None
}

/// Calls `f` with each member of the JSON object `s` (top level only), in order. `false` when `s`
/// is not one well-formed object (members before the fault have been seen).
pub(crate) fn members<'a>(s: &'a [u8], mut f: impl FnMut(&'a [u8], Value<'a>)) -> bool {
    let mut i = skip_ws(s, 0);
    if s.get(i) != Some(&b'{') {
        return false;
    }
    i = skip_ws(s, i + 1);
    if s.get(i) == Some(&b'}') {
        return skip_ws(s, i + 1) == s.len();
    }
    loop {
        if s.get(i) != Some(&b'"') {
            return false;
        }
        let Some(kend) = string_end(s, i) else { return false };
        let key = &s[i + 1..kend];
        i = skip_ws(s, kend + 1);
        if s.get(i) != Some(&b':') {
            return false;
        }
        i = skip_ws(s, i + 1);
        let Some(&c) = s.get(i) else { return false };
        let (value, end) = match c {
            b'"' => {
                let Some(e) = string_end(s, i) else { return false };
                (Value::Str(&s[i + 1..e]), e + 1)
            }
            b'{' | b'[' => {
                let Some(e) = nested_end(s, i) else { return false };
                (Value::Nested(&s[i..e]), e)
            }
            b'n' if s[i..].starts_with(b"null") => (Value::Null, i + 4),
            b't' if s[i..].starts_with(b"true") => (Value::Bool(true), i + 4),
            b'f' if s[i..].starts_with(b"false") => (Value::Bool(false), i + 5),
            b'-' | b'0'..=b'9' => {
                let len = s[i..]
                    .iter()
                    .position(|b| !matches!(b, b'0'..=b'9' | b'-' | b'+' | b'.' | b'e' | b'E'))
                    .unwrap_or(s.len() - i);
                (Value::Num(&s[i..i + len]), i + len)
            }
            _ => return false,
        };
        f(key, value);
        i = skip_ws(s, end);
        match s.get(i) {
            Some(b',') => i = skip_ws(s, i + 1),
            Some(b'}') => return skip_ws(s, i + 1) == s.len(),
            _ => return false,
        }
    }
}

/// The keys this reader knows, whatever their spelling in the line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Key {
    Status,
    Flags,
    Details,
    Termination,
    Transport,
    Mixer,
    UpstreamHost,
    Cluster,
    Route,
    Gateway,
    ServiceTime,
    Method,
    Path,
    Authority,
    Start,
    Duration,
    BytesSent,
    RequestId,
    Client,
}

/// `:authority`, `@timestamp`, `X-Request-Id`, `user-agent` → lower case, `-` as `_`, without the
/// leading `:`/`@`; then matched against the names Envoy's operators go by in these formats.
fn key_of(raw: &[u8]) -> Option<Key> {
    let raw = raw.strip_prefix(b":").or_else(|| raw.strip_prefix(b"@")).unwrap_or(raw);
    let mut buf = [0u8; 40];
    if raw.len() > buf.len() {
        return None;
    }
    for (b, &r) in buf.iter_mut().zip(raw) {
        *b = if r == b'-' { b'_' } else { r.to_ascii_lowercase() };
    }
    Some(match &buf[..raw.len()] {
        b"response_code" | b"responsecode" | b"status" | b"status_code" | b"code" => Key::Status,
        b"response_flags" | b"responseflags" | b"response_flag" | b"flags" => Key::Flags,
        b"response_code_details" | b"responsecodedetails" | b"details" => Key::Details,
        b"connection_termination_details" => Key::Termination,
        b"upstream_transport_failure_reason" => Key::Transport,
        b"istio_policy_status" => Key::Mixer,
        b"upstream_host" | b"upstreamhost" | b"upstream_remote_address" | b"upstream_address" | b"upstream" => {
            Key::UpstreamHost
        }
        b"upstream_cluster" | b"upstreamcluster" => Key::Cluster,
        b"route_name" | b"routename" => Key::Route,
        b"gateway" => Key::Gateway,
        b"upstream_service_time" | b"x_envoy_upstream_service_time" => Key::ServiceTime,
        b"method" | b"request_method" => Key::Method,
        b"path" | b"x_envoy_origin_path" | b"x_envoy_original_path" | b"request_path" => Key::Path,
        b"authority" | b"host" => Key::Authority,
        b"start_time" | b"starttime" | b"timestamp" | b"ts" | b"time" => Key::Start,
        b"duration" => Key::Duration,
        b"bytes_sent" => Key::BytesSent,
        b"request_id" | b"x_request_id" => Key::RequestId,
        b"downstream_remote_address" => Key::Client,
        _ => return None,
    })
}

/// One Envoy JSON access-log line (the `envoy json` format).
pub fn parse<'a>(line: &'a [u8], obs: &mut Observation<'a>) -> Result<(), BadLine> {
    read(line, obs).map(|_| ())
}

/// A line in Envoy Gateway's default JSON (the `envoy gateway json` format): its keys are the
/// request headers' own names (`:authority`, `x-envoy-origin-path`), which no other default uses.
pub fn envoy_gateway<'a>(line: &'a [u8], obs: &mut Observation<'a>) -> Result<(), BadLine> {
    if read(line, obs)? { Ok(()) } else { Err(BadLine::Mismatch) }
}

/// Reads a line; whether it is written with Envoy Gateway's key names.
fn read<'a>(line: &'a [u8], obs: &mut Observation<'a>) -> Result<bool, BadLine> {
    if line.first() != Some(&b'{') {
        return Err(BadLine::Mismatch);
    }
    let mut f = Fields::default();
    let (mut status, mut envoy, mut gateway_keys) = (None, false, false);
    let (mut cluster, mut route, mut gateway) = (&b""[..], &b""[..], &b""[..]);
    let whole = members(line, |k, v| {
        gateway_keys |= k == b":authority" || k == b"x-envoy-origin-path";
        let Some(key) = key_of(k) else { return };
        let text = v.text();
        match key {
            Key::Status => status = Some(v),
            // `flags` and `details` alone are too common as keys to mark the line as Envoy's:
            // their values must be Envoy's vocabulary.
            Key::Flags => {
                f.flags = text;
                envoy |= k.len() > 5 || crate::formats::envoy::is_flags_value(text);
            }
            Key::Details => {
                f.details = text;
                envoy |= k.len() > 7 || crate::formats::envoy::is_details_word(text);
            }
            Key::Transport => {
                f.transport = text;
                envoy = true;
            }
            Key::Mixer => {
                f.mixer = text;
                envoy = true;
            }
            Key::ServiceTime => {
                f.upstream_time = Some(text);
                envoy = true;
            }
            Key::Cluster => {
                cluster = text;
                envoy = true;
            }
            Key::Termination => envoy = true,
            // A host the line names as unset (`"-"`, `null`) is still a host field: Envoy reached
            // no upstream.
            Key::UpstreamHost => obs.upstream.addr = if text.is_empty() { b"-" } else { text },
            Key::Route => route = text,
            Key::Gateway => gateway = text,
            Key::Method => obs.method = text,
            Key::Path => obs.target = text,
            Key::Authority => obs.host = text,
            Key::Start => {
                obs.time_raw = text;
                obs.time_ms = time::parse_iso(text);
            }
            Key::Duration => obs.request_time = parse_u64(text).map(|ms| ms as f64 / 1000.0),
            Key::BytesSent => obs.bytes_sent = parse_u64(text),
            Key::RequestId => obs.request_id = text,
            Key::Client => obs.client = text,
        }
    });
    let Some(status) = status.filter(|_| whole && envoy) else { return Err(BadLine::Mismatch) };
    obs.status = match status {
        Value::Num(n) | Value::Str(n) => match parse_u16(n) {
            Some(s) => Some(s),
            None if n == b"-" => None,
            None => return Err(BadLine::BadStatus),
        },
        Value::Null => None,
        _ => return Err(BadLine::BadStatus),
    };
    for m in [&mut obs.method, &mut obs.target, &mut obs.host, &mut obs.request_id] {
        if *m == b"-" {
            *m = b"";
        }
    }
    if let Some(host) = obs.upstream.addr.strip_prefix(b"tcp://") {
        obs.upstream.addr = host;
    }
    // The service: Envoy's cluster, else the route, else Cilium's Gateway.
    obs.service = [cluster, route, gateway].into_iter().find(|s| !s.is_empty() && *s != b"-").unwrap_or_default();
    f.apply(obs);
    Ok(gateway_keys)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::attribute::{Cause, attribute};
    use culprit_kb::GeneratedBy;

    fn judge(line: &str) -> (Option<u16>, Cause, GeneratedBy) {
        let mut obs = Observation::default();
        parse(line.as_bytes(), &mut obs).unwrap_or_else(|e| panic!("{e:?}: {line}"));
        let ctx = crate::formats::Format::by_name("envoy-json").unwrap().context(None);
        let a = attribute(&obs, &ctx).unwrap();
        (obs.status, a.cause, a.generated_by)
    }

    #[test]
    fn members_in_order_with_every_kind_of_value() {
        let mut seen = Vec::new();
        let ok = members(br#" {"a":"x\"y","b":-1.5e3,"c":null,"d":{"e":[1,"}"]},"f":true} "#, |k, v| seen.push((k, v)));
        assert!(ok);
        assert_eq!(seen[0], (&b"a"[..], Value::Str(br#"x\"y"#)));
        assert_eq!(seen[1], (&b"b"[..], Value::Num(b"-1.5e3")));
        assert_eq!(seen[2], (&b"c"[..], Value::Null));
        assert_eq!(seen[3], (&b"d"[..], Value::Nested(br#"{"e":[1,"}"]}"#)));
        assert_eq!(seen[4], (&b"f"[..], Value::Bool(true)));
        for bad in [&b"{"[..], b"{\"a\":}", b"{\"a\":1", b"[1]", b"{\"a\":1} x", b"{\"a\" 1}"] {
            assert!(!members(bad, |_, _| {}), "{}", String::from_utf8_lossy(bad));
        }
    }

    #[test]
    fn istio_envoy_gateway_contour_and_cilium_lines() {
        // Istio 1.4 ingress gateway (istio/istio#19298 era): every value a string.
        let mixer = r#"{"bytes_sent":"31","upstream_cluster":"-","downstream_remote_address":"100.100.0.0:54652","authority":"loki.example.com","path":"/api/prom/push","protocol":"HTTP/1.1","upstream_service_time":"-","upstream_local_address":"-","duration":"0","downstream_local_address":"100.108.0.25:443","upstream_transport_failure_reason":"-","route_name":"-","response_code":"503","user_agent":"Go-http-client/1.1","response_flags":"UAEX","start_time":"2019-11-19T03:27:35.402Z","method":"POST","request_id":"639632b6-8795-45e9-8435-fb5b07aede5e","upstream_host":"-","x_forwarded_for":"100.100.0.0","requested_server_name":"loki.example.com","bytes_received":"0","istio_policy_status":"\"UNAVAILABLE:no healthy upstream\""}"#;
        assert_eq!(judge(mixer), (Some(503), Cause::AuthServiceFailed, GeneratedBy::Proxy));
        // Envoy Gateway default (sorted keys, nulls).
        let eg = r#"{":authority":"localhost:8888","bytes_received":0,"bytes_sent":19,"connection_termination_details":null,"downstream_local_address":"127.0.0.1:10080","downstream_remote_address":"127.0.0.1:47350","duration":0,"method":"POST","protocol":"HTTP/1.1","requested_server_name":null,"response_code":503,"response_code_details":"no_healthy_upstream","response_flags":"UH","route_name":"original_route","start_time":"2025-08-21T03:23:19.513Z","upstream_cluster":"original_destination_cluster","upstream_host":null,"upstream_local_address":null,"upstream_transport_failure_reason":null,"user-agent":"curl/8.7.1","x-envoy-origin-path":"/v1/chat/completions","x-envoy-upstream-service-time":null,"x-forwarded-for":"10.244.0.34","x-request-id":"34137566-5a0d-4835-878e-bfebcb2e67fd"}"#;
        assert_eq!(judge(eg), (Some(503), Cause::NoLiveUpstreams, GeneratedBy::Proxy));
        assert!(envoy_gateway(eg.as_bytes(), &mut Observation::default()).is_ok());
        assert!(envoy_gateway(mixer.as_bytes(), &mut Observation::default()).is_err(), "Istio's keys");
        let eg_ok = r#"{":authority":"www.example.com","bytes_received":0,"bytes_sent":466,"connection_termination_details":null,"downstream_local_address":"127.0.0.1:10080","downstream_remote_address":"127.0.0.1:50548","duration":7,"method":"GET","protocol":"HTTP/1.1","requested_server_name":null,"response_code":200,"response_code_details":"via_upstream","response_flags":"-","route_name":"httproute/default/backend/rule/0/match/0/www_example_com","start_time":"2025-12-24T10:30:50.941Z","upstream_cluster":"httproute/default/backend/rule/0","upstream_host":"10.244.0.7:3000","upstream_local_address":"10.244.0.8:40258","upstream_transport_failure_reason":null,"user-agent":"curl/7.87.0","x-envoy-origin-path":"/get","x-envoy-upstream-service-time":null,"x-forwarded-for":"10.244.0.8","x-request-id":"2ab6ffcd-7221-4630-9d6a-4c38d94ed3c6"}"#;
        assert_eq!(judge(eg_ok), (Some(200), Cause::Ok, GeneratedBy::Upstream));
        let mut obs = Observation::default();
        parse(eg_ok.as_bytes(), &mut obs).unwrap();
        assert_eq!((obs.method, obs.target, obs.host), (&b"GET"[..], &b"/get"[..], &b"www.example.com"[..]));
        assert_eq!(obs.service, b"httproute/default/backend/rule/0");
        assert_eq!(obs.time_ms, Some(1_766_572_250_941));
        // Contour's default JSON fields (docs/logging.md), a refused connection.
        let contour = r#"{"@timestamp":"2021-04-14T16:36:00.361Z","authority":"example.com","bytes_received":0,"bytes_sent":91,"downstream_local_address":"10.0.0.2:8080","downstream_remote_address":"10.0.0.9:4123","duration":2,"method":"GET","path":"/","protocol":"HTTP/1.1","request_id":"837aa8dc","requested_server_name":"-","response_code":503,"response_flags":"UF","uber_trace_id":"-","upstream_cluster":"default/app/80/da39a3ee5e","upstream_host":"10.244.8.27:8080","upstream_local_address":"-","upstream_service_time":"-","user_agent":"curl/8.4.0","x_forwarded_for":"-"}"#;
        assert_eq!(judge(contour).2, GeneratedBy::Proxy);
        // A gRPC call Envoy answered itself: HTTP 200, flag UH.
        let grpc =
            r#"{"response_code":200,"response_flags":"UH","upstream_host":null,"method":"POST","path":"/pkg.Svc/Get"}"#;
        assert_eq!(judge(grpc), (Some(200), Cause::NoLiveUpstreams, GeneratedBy::Proxy));
        // Short keys count when their values are Envoy's vocabulary.
        assert_eq!(
            judge(r#"{"status":"503","flags":"UF,URX","upstream":"10.0.0.7:8080"}"#).1,
            Cause::UpstreamConnectionRefused
        );
        assert_eq!(
            judge(r#"{"code":503,"details":"via_upstream"}"#),
            (Some(503), Cause::AppUnavailable, GeneratedBy::Upstream)
        );
        // Not Envoy's: a status without any of Envoy's keys or words.
        assert!(parse(br#"{"status":200,"flags":"x"}"#, &mut Observation::default()).is_err());
        assert!(parse(br#"{"status":200,"flags":"-","details":"ok"}"#, &mut Observation::default()).is_err());
    }
}
