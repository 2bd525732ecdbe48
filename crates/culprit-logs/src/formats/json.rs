//! JSON-per-line formats (Traefik, Google Cloud Load Balancing). Strings are taken as raw JSON
//! slices of the line (quotes stripped, escapes left as written) so that the observation can borrow
//! them without allocating; the fields culprit reads (paths, addresses, names) rarely carry escapes,
//! and where they do (`\u0026` in a query string) templates and keys are unaffected.

use crate::observation::{Observation, Signal, is_dash, parse_u64};
use crate::time;
use serde::Deserialize;
use serde_json::value::RawValue;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NotThisFormat;

/// serde_json over one line, its UTF-8 checked once for the whole line (std's word-at-a-time ASCII
/// path) instead of string by string as `from_slice` does: that check was a fifth of the Caddy
/// reader's time. A line not valid UTF-8 throughout goes to `from_slice`, which checks only the
/// strings it keeps (a Latin-1 user agent in a field culprit skips does not lose the line).
pub(crate) fn from_line<'a, T: Deserialize<'a>>(line: &'a [u8]) -> serde_json::Result<T> {
    match std::str::from_utf8(line) {
        Ok(s) => serde_json::from_str(s),
        Err(_) => serde_json::from_slice(line),
    }
}

/// A substring search for a fixed needle, its searcher built once per process (`memmem::find`
/// builds one per call: ~550 instructions, more than the search of a line).
macro_rules! finder {
    ($needle:expr) => {{
        static FINDER: std::sync::LazyLock<memchr::memmem::Finder<'static>> =
            std::sync::LazyLock::new(|| memchr::memmem::Finder::new($needle));
        &*FINDER
    }};
}

fn raw(v: Option<&RawValue>) -> &[u8] {
    let Some(v) = v else { return b"" };
    let s = v.get().as_bytes();
    s.strip_prefix(b"\"").and_then(|s| s.strip_suffix(b"\"")).unwrap_or(s)
}

/// `https://host:443/path?q` → (host, path).
fn split_url(url: &[u8]) -> (&[u8], &[u8]) {
    let after = memchr::memmem::find(url, b"://").map_or(url, |i| &url[i + 3..]);
    let slash = memchr::memchr(b'/', after).unwrap_or(after.len());
    (&after[..slash], if slash < after.len() { &after[slash..] } else { b"/" })
}

// ─────────────────────────── Traefik ───────────────────────────

#[derive(Deserialize)]
#[allow(non_snake_case)]
struct TraefikLine<'a> {
    #[serde(borrow)]
    StartUTC: Option<&'a RawValue>,
    /// Where `StartUTC` was dropped: `StartLocal`, or logrus's own `time`.
    #[serde(borrow)]
    StartLocal: Option<&'a RawValue>,
    #[serde(borrow)]
    time: Option<&'a RawValue>,
    #[serde(borrow)]
    ClientHost: Option<&'a RawValue>,
    #[serde(borrow)]
    RequestMethod: Option<&'a RawValue>,
    #[serde(borrow)]
    RequestPath: Option<&'a RawValue>,
    #[serde(borrow)]
    RequestHost: Option<&'a RawValue>,
    #[serde(borrow)]
    ServiceName: Option<&'a RawValue>,
    #[serde(borrow)]
    RouterName: Option<&'a RawValue>,
    #[serde(borrow)]
    ServiceAddr: Option<&'a RawValue>,
    /// A URL object (or a string): present when the load balancer picked a server.
    #[serde(borrow)]
    ServiceURL: Option<&'a RawValue>,
    /// Traefik v1: the backend and frontend.
    #[serde(borrow)]
    BackendAddr: Option<&'a RawValue>,
    #[serde(borrow)]
    BackendName: Option<&'a RawValue>,
    #[serde(borrow)]
    FrontendName: Option<&'a RawValue>,
    DownstreamStatus: Option<u16>,
    OriginStatus: Option<u16>,
    DownstreamContentSize: Option<u64>,
    OriginContentSize: Option<u64>,
    /// Nanoseconds.
    Duration: Option<u64>,
    RetryAttempts: Option<u32>,
    #[serde(borrow, rename = "request_X-Request-Id")]
    request_id: Option<&'a RawValue>,
}

/// Traefik's JSON access log (v1's `Frontend*`/`Backend*` fields and v2/v3's `Router*`/`Service*`).
/// A request no server was picked for (no `ServiceAddr`/`ServiceURL`, v1 no `BackendAddr`) was
/// answered by Traefik: a router that matched nothing, a middleware (auth 401/403, rate limit
/// 429, allow-list 403, redirect), an internal service (`ping@internal`, `api@internal`). Since
/// v2.10.5 `OriginStatus` is also 0 then; before, it was captured at the entry point and equals the
/// status sent. Traefik's proxy errors copy their own 502/504 into `OriginStatus` too, so equal
/// statuses with a tiny origin body are Traefik's (`Bad Gateway` is 11 bytes), others the service's.
pub fn traefik<'a>(line: &'a [u8], obs: &mut Observation<'a>) -> Result<(), NotThisFormat> {
    if !line.starts_with(b"{") || finder!(b"\"DownstreamStatus\"").find(line).is_none() {
        return Err(NotThisFormat);
    }
    let t: TraefikLine<'a> = from_line(line).map_err(|_| NotThisFormat)?;
    let status = t.DownstreamStatus.ok_or(NotThisFormat)?;
    obs.status = Some(status);
    obs.time_ms = [t.StartUTC, t.StartLocal, t.time].into_iter().flatten().find_map(|v| time::parse_iso(raw(Some(v))));
    obs.client = raw(t.ClientHost);
    obs.method = raw(t.RequestMethod);
    obs.target = raw(t.RequestPath);
    obs.host = raw(t.RequestHost);
    obs.service = if t.ServiceName.is_some() { raw(t.ServiceName) } else { raw(t.RouterName) };
    obs.request_id = raw(t.request_id);
    obs.bytes_sent = t.DownstreamContentSize;
    obs.request_time = t.Duration.map(|ns| ns as f64 / 1e9);
    obs.upstream.addr = if t.ServiceAddr.is_some() { raw(t.ServiceAddr) } else { raw(t.BackendAddr) };
    if obs.service.is_empty() {
        obs.service = raw(t.BackendName);
    }
    let origin = t.OriginStatus.unwrap_or(0);
    let origin_size = t.OriginContentSize.unwrap_or(0);
    let url = raw(t.ServiceURL);
    let dialled = !is_dash(obs.upstream.addr) || !(is_dash(url) || url == b"null" || url == b"{}");
    let internal = raw(t.RouterName).ends_with(b"@internal")
        || raw(t.ServiceName).ends_with(b"@internal")
        || raw(t.BackendName) == b"Traefik"
        || raw(t.FrontendName) == b"backend not found";
    if internal || !dialled {
        // Traefik answered itself (or the client left first: Traefik logs 499).
        obs.upstream.addr = b"-";
        obs.proxy_answered = status != 499;
        return Ok(());
    }
    if origin == 0 && matches!(status, 502 | 504) {
        // A service address was picked but no response came back: Traefik's proxy error handler
        // answered (502 for a failed dial or exchange, 504 for a timeout), as in the common format.
        obs.signals.set(if status == 504 { Signal::UpstreamReadTimeout } else { Signal::UpstreamConnectFailed });
        obs.detail = b"OriginStatus 0 with a ServiceAddr: Traefik reached for the service and got no response";
        obs.detail_source = "Traefik access log";
    } else if origin == 0 {
        // A server was picked but no status came back from it (a hijacked websocket, a capture
        // Traefik lost): only the status sent tells.
    } else if matches!(status, 502 | 504) && origin == status && origin_size <= 16 {
        // Traefik's proxy error handler: body is the status text.
        obs.signals.set(if status == 504 { Signal::UpstreamReadTimeout } else { Signal::UpstreamConnectFailed });
        obs.detail = b"OriginStatus = DownstreamStatus with Traefik's own short error body";
        obs.detail_source = "Traefik access log";
    } else if origin == 499 {
        obs.signals.set(Signal::ClientAborted);
    } else {
        obs.upstream_answered = true;
    }
    let _ = t.RetryAttempts;
    Ok(())
}

// ─────────────────────── Google Cloud Load Balancing ───────────────────────

#[derive(Deserialize)]
#[allow(non_snake_case)]
struct GcpLine<'a> {
    #[serde(borrow)]
    httpRequest: Option<GcpHttp<'a>>,
    #[serde(borrow)]
    jsonPayload: Option<GcpPayload<'a>>,
    #[serde(borrow)]
    resource: Option<GcpResource<'a>>,
    #[serde(borrow)]
    timestamp: Option<&'a RawValue>,
    #[serde(borrow)]
    trace: Option<&'a RawValue>,
}

#[derive(Deserialize)]
#[allow(non_snake_case)]
struct GcpHttp<'a> {
    #[serde(borrow)]
    requestMethod: Option<&'a RawValue>,
    #[serde(borrow)]
    requestUrl: Option<&'a RawValue>,
    status: Option<u16>,
    #[serde(borrow)]
    remoteIp: Option<&'a RawValue>,
    #[serde(borrow)]
    serverIp: Option<&'a RawValue>,
    #[serde(borrow)]
    latency: Option<&'a RawValue>,
    /// Cloud CDN served the response from its cache.
    #[serde(rename = "cacheHit")]
    cache_hit: Option<bool>,
}

#[derive(Deserialize)]
#[allow(non_snake_case)]
struct GcpPayload<'a> {
    #[serde(borrow)]
    statusDetails: Option<&'a RawValue>,
}

#[derive(Deserialize)]
struct GcpResource<'a> {
    #[serde(borrow)]
    labels: Option<GcpLabels<'a>>,
    #[serde(rename = "type", borrow)]
    kind: Option<&'a RawValue>,
}

#[derive(Deserialize)]
struct GcpLabels<'a> {
    #[serde(borrow)]
    backend_service_name: Option<&'a RawValue>,
}

/// Google Cloud external Application Load Balancer logs exported as JSON (one `LogEntry` per line).
/// `jsonPayload.statusDetails` says who produced the status.
pub fn gcp<'a>(line: &'a [u8], obs: &mut Observation<'a>) -> Result<(), NotThisFormat> {
    if !line.starts_with(b"{") || finder!(b"\"httpRequest\"").find(line).is_none() {
        return Err(NotThisFormat);
    }
    let g: GcpLine<'a> = from_line(line).map_err(|_| NotThisFormat)?;
    let http = g.httpRequest.ok_or(NotThisFormat)?;
    // `httpRequest` is Cloud Logging's shape for any request log: applications on Cloud Run, GKE
    // or App Engine write it to stdout too. Only the load balancer's own entry (its resource type,
    // or its `statusDetails`, or Cloud CDN's `cacheHit`) is the load balancer's word; anything else
    // is left to the generic reader, which does not blame the load balancer for the status.
    let lb_resource = g
        .resource
        .as_ref()
        .and_then(|r| r.kind)
        .is_some_and(|k| memchr::memmem::find(raw(Some(k)), b"load_balancer").is_some());
    let lb_payload = g.jsonPayload.as_ref().is_some_and(|p| p.statusDetails.is_some());
    if !(lb_resource || lb_payload || http.cache_hit.is_some()) {
        return Err(NotThisFormat);
    }
    obs.status = Some(http.status.unwrap_or(0));
    obs.time_ms = time::parse_iso(raw(g.timestamp));
    obs.method = raw(http.requestMethod);
    let (host, path) = split_url(raw(http.requestUrl));
    obs.host = host;
    obs.target = path;
    obs.client = raw(http.remoteIp);
    obs.upstream.addr = raw(http.serverIp);
    obs.request_id = raw(g.trace);
    obs.service = g.resource.and_then(|r| r.labels).map(|l| raw(l.backend_service_name)).unwrap_or_default();
    obs.request_time =
        std::str::from_utf8(raw(http.latency)).ok().and_then(|l| l.strip_suffix('s')).and_then(|l| l.parse().ok());
    let cache_hit = http.cache_hit == Some(true);
    let details = g.jsonPayload.map(|p| raw(p.statusDetails)).unwrap_or_default();
    if !details.is_empty() {
        obs.detail = details;
        obs.detail_source = "Google LB statusDetails";
    }
    let has = |n: &[u8]| memchr::memmem::find(details, n).is_some();
    let signal = if has(b"response_from_cache") || (cache_hit && details.is_empty()) {
        // Cloud CDN answered from its cache: the backend was not asked.
        obs.cache_hit = true;
        None
    } else if has(b"response_sent_by_backend") {
        obs.upstream_answered = true;
        None
    } else if has(b"client_disconnected") {
        Some(Signal::ClientAborted)
    } else if has(b"failed_to_connect_to_backend") {
        // Refused, timed out or unreachable: the detail does not say which.
        Some(Signal::UpstreamConnectFailed)
    } else if has(b"failed_to_pick_backend") {
        Some(Signal::NoLiveUpstreams)
    } else if has(b"backend_timeout") {
        Some(Signal::UpstreamReadTimeout)
    } else if has(b"backend_connection_closed_after_partial_response_sent") {
        Some(Signal::UpstreamDiedMidResponse)
    } else if has(b"backend_connection_closed_before_data_sent_to_client") || has(b"backend_early_response") {
        Some(Signal::UpstreamClosedPrematurely)
    } else if has(b"denied_by_security_policy") {
        Some(Signal::WafBlocked)
    } else if has(b"headers_too_long") {
        Some(Signal::HeaderTooLarge)
    } else if has(b"request_body_too_large") {
        Some(Signal::BodyTooLarge)
    } else if has(b"ssl_certificate") {
        Some(Signal::UpstreamTlsFailed)
    } else {
        None
    };
    if let Some(s) = signal {
        obs.signals.set(s);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::attribute::{Cause, Context, attribute};
    use culprit_kb::GeneratedBy;

    type Parser = for<'a> fn(&'a [u8], &mut Observation<'a>) -> Result<(), NotThisFormat>;

    fn attr(f: Parser, writer: GeneratedBy, line: &str) -> (Cause, GeneratedBy) {
        let mut obs = Observation::default();
        f(line.as_bytes(), &mut obs).unwrap_or_else(|_| panic!("{line}"));
        let ctx = Context { synthesises_upstream_status: false, writer, ..Context::default() };
        let a = attribute(&obs, &ctx).unwrap();
        (a.cause, a.generated_by)
    }

    #[test]
    fn traefik_json() {
        let p = GeneratedBy::Proxy;
        let app = r#"{"ClientHost":"10.0.0.1","DownstreamStatus":500,"OriginStatus":500,"OriginContentSize":120,"DownstreamContentSize":120,"Duration":1200000,"RequestMethod":"GET","RequestPath":"/api/x?a=1\u0026b=2","ServiceName":"app@kubernetes","ServiceAddr":"10.42.0.5:8080","StartUTC":"2026-03-08T14:00:00.1Z"}"#;
        assert_eq!(attr(traefik, p, app), (Cause::AppError, GeneratedBy::Upstream));
        let bad_gw = r#"{"DownstreamStatus":502,"OriginStatus":502,"OriginContentSize":11,"RequestMethod":"GET","RequestPath":"/","ServiceName":"app@kubernetes","ServiceAddr":"10.42.0.5:8080","StartUTC":"2026-03-08T14:00:00Z"}"#;
        assert_eq!(attr(traefik, p, bad_gw), (Cause::UpstreamConnectionRefused, GeneratedBy::Proxy));
        let no_router = r#"{"DownstreamStatus":404,"OriginStatus":0,"RequestMethod":"GET","RequestPath":"/nope","StartUTC":"2026-03-08T14:00:00Z"}"#;
        assert_eq!(attr(traefik, p, no_router).0, Cause::NoRoute);
        let gone = r#"{"DownstreamStatus":499,"OriginStatus":499,"RequestMethod":"GET","RequestPath":"/","StartUTC":"2026-03-08T14:00:00Z"}"#;
        assert_eq!(attr(traefik, p, gone).0, Cause::ClientClosedRequest);
        // Before v2.10.5 a middleware's answer has an OriginStatus too, but no server.
        let auth = r#"{"DownstreamStatus":401,"OriginStatus":401,"OriginContentSize":17,"RequestMethod":"GET","RequestPath":"/","RouterName":"app@docker","StartUTC":"2026-03-08T14:00:00Z"}"#;
        assert_eq!(attr(traefik, p, auth), (Cause::EdgeAuthRejected, GeneratedBy::Proxy));
        let ping = r#"{"DownstreamContentSize":2,"DownstreamStatus":200,"OriginContentSize":2,"OriginStatus":200,"RequestMethod":"GET","RequestPath":"/ping","RouterName":"ping@internal","ServiceName":"ping@internal"}"#;
        assert_eq!(attr(traefik, p, ping), (Cause::Ok, GeneratedBy::Proxy));
        // v1 (tests/corpus/traefik.jsonl, shortened): a backend answered; Traefik's own 404.
        let v1 = r#"{"BackendAddr":"10.10.10.10:80","BackendName":"backend-backend-docker","BackendURL":{"Scheme":"http","Host":"10.10.10.20:80"},"DownstreamStatus":200,"FrontendName":"Host-backend-docker-docker-localhost-2","OriginContentSize":383,"OriginStatus":200,"RequestMethod":"GET","RequestPath":"/"}"#;
        assert_eq!(attr(traefik, p, v1), (Cause::Ok, GeneratedBy::Upstream));
        let v1_404 = r#"{"BackendAddr":"","BackendName":"Traefik","BackendURL":{"Scheme":"","Host":"","Path":"/"},"DownstreamStatus":404,"FrontendName":"backend not found","OriginContentSize":19,"OriginStatus":404,"RequestMethod":"GET","RequestPath":"/"}"#;
        assert_eq!(attr(traefik, p, v1_404), (Cause::NoRoute, GeneratedBy::Proxy));
    }

    /// An application's own request log in Cloud Logging's `httpRequest` shape (a public line from
    /// a blog on Rust structured logs for Cloud Run) is not the load balancer's entry.
    #[test]
    fn gcp_reader_leaves_application_request_logs_alone() {
        let app = br#"{"severity":"INFO","httpRequest":{"requestMethod":"GET","requestUrl":"/health","status":200,"userAgent":"curl/7.81.0","latency":"0.000081s","responseSize":"0"},"time":"2023-11-20T03:40:46.831461102+00:00"}"#;
        assert!(gcp(app, &mut Observation::default()).is_err());
    }

    #[test]
    fn gcp_json() {
        let lb = GeneratedBy::LoadBalancer;
        let line = |status: u16, details: &str| {
            format!(
                r#"{{"httpRequest":{{"requestMethod":"GET","requestUrl":"https://shop.example.com/api/cart/1","status":{status},"remoteIp":"203.0.113.9","serverIp":"10.8.0.12","latency":"0.004s"}},"jsonPayload":{{"@type":"type.googleapis.com/google.cloud.loadbalancing.type.LoadBalancerLogEntry","statusDetails":"{details}"}},"resource":{{"type":"http_load_balancer","labels":{{"backend_service_name":"k8s1-shop-cart-80"}}}},"timestamp":"2026-03-08T14:00:00.123456Z"}}"#
            )
        };
        assert_eq!(
            attr(gcp, lb, &line(502, "failed_to_pick_backend")),
            (Cause::NoLiveUpstreams, GeneratedBy::LoadBalancer)
        );
        assert_eq!(attr(gcp, lb, &line(504, "backend_timeout")).0, Cause::UpstreamTimeout);
        assert_eq!(
            attr(gcp, lb, &line(502, "backend_connection_closed_before_data_sent_to_client")).0,
            Cause::UpstreamClosedPrematurely
        );
        assert_eq!(
            attr(gcp, lb, &line(503, "response_sent_by_backend")),
            (Cause::AppUnavailable, GeneratedBy::Upstream)
        );
        assert_eq!(attr(gcp, lb, &line(403, "denied_by_security_policy")).0, Cause::WafBlocked);
        // Cloud CDN's cache answered (elastic/integrations gcp loadbalancing_logs test file).
        assert_eq!(attr(gcp, lb, &line(304, "response_from_cache")), (Cause::Ok, GeneratedBy::Cdn));
        assert_eq!(attr(gcp, lb, &line(404, "response_from_cache")), (Cause::AppNotFound, GeneratedBy::Cdn));
    }
}

// ─────────────────────────── Caddy ───────────────────────────

#[derive(Deserialize)]
struct CaddyLine<'a> {
    #[serde(borrow)]
    logger: Option<&'a RawValue>,
    #[serde(borrow)]
    msg: Option<&'a RawValue>,
    ts: Option<f64>,
    #[serde(borrow)]
    request: Option<CaddyRequest<'a>>,
    duration: Option<f64>,
    size: Option<u64>,
    status: Option<u16>,
    #[serde(borrow)]
    resp_headers: Option<CaddyResponseHeaders<'a>>,
    /// Error entries: where in Caddy the error was made (`reverseproxy.statusError (…)`).
    #[serde(borrow)]
    err_trace: Option<&'a RawValue>,
}

/// The response headers of a Caddy access-log entry that tell who answered. Go's net/http writes
/// `Date` outside the header map, so the map holds a `Date` only when an upstream's answer was
/// copied into it (checked against Caddy 2.6 in lab/README.md).
#[derive(Deserialize)]
struct CaddyResponseHeaders<'a> {
    #[serde(rename = "Date", borrow)]
    date: Option<Vec<&'a RawValue>>,
    #[serde(rename = "Content-Length", borrow)]
    content_length: Option<Vec<&'a RawValue>>,
    #[serde(rename = "Location", borrow)]
    location: Option<Vec<&'a RawValue>>,
}

/// The request headers of a Caddy log entry that culprit reads (Go canonicalises the names).
#[derive(Deserialize)]
struct CaddyRequestHeaders<'a> {
    #[serde(rename = "X-Request-Id", borrow)]
    request_id: Option<Vec<&'a RawValue>>,
}

#[derive(Deserialize)]
struct CaddyRequest<'a> {
    #[serde(borrow)]
    remote_ip: Option<&'a RawValue>,
    /// Caddy before 2.5: `ip:port`.
    #[serde(borrow)]
    remote_addr: Option<&'a RawValue>,
    #[serde(borrow)]
    method: Option<&'a RawValue>,
    #[serde(borrow)]
    host: Option<&'a RawValue>,
    #[serde(borrow)]
    uri: Option<&'a RawValue>,
    #[serde(borrow)]
    headers: Option<CaddyRequestHeaders<'a>>,
}

/// The client address of a Caddy request object, without port.
fn caddy_client<'a>(r: &CaddyRequest<'a>) -> &'a [u8] {
    if r.remote_ip.is_some() {
        return raw(r.remote_ip);
    }
    let addr = raw(r.remote_addr);
    memchr::memrchr(b':', addr).map_or(addr, |i| &addr[..i])
}

/// Caddy's JSON access log (`"msg":"handled request"`). Status 0 means the client left before a
/// response. Whether a 5xx is Caddy's own is told by its error log (`http.log.error`), joined like
/// nginx's (see `join.rs`).
pub fn caddy<'a>(line: &'a [u8], obs: &mut Observation<'a>) -> Result<(), NotThisFormat> {
    // `NOP`: no route matched; Caddy answered an empty 200.
    if !line.starts_with(b"{") {
        return Err(NotThisFormat);
    }
    let nop = || finder!(b"\"msg\":\"NOP\"").find(line).is_some();
    let handled = finder!(b"\"handled request\"").find(line).is_some();
    let unhandled = !handled && nop();
    if !(handled || unhandled) {
        return Err(NotThisFormat);
    }
    caddy_access_fields(line, obs)?;
    caddy_unhandled(obs, unhandled);
    Ok(())
}

/// An access entry's fields (a whole JSON line, or the JSON after the console encoder's prefix,
/// which then holds no `ts`).
pub(crate) fn caddy_access_fields<'a>(json: &'a [u8], obs: &mut Observation<'a>) -> Result<(), NotThisFormat> {
    let c: CaddyLine<'a> = from_line(json).map_err(|_| NotThisFormat)?;
    let req = c.request.ok_or(NotThisFormat)?;
    obs.status = Some(c.status.ok_or(NotThisFormat)?);
    #[allow(clippy::cast_possible_truncation)]
    {
        obs.time_ms = c.ts.map(|t| (t * 1000.0) as i64);
    }
    obs.client = caddy_client(&req);
    obs.method = raw(req.method);
    obs.host = raw(req.host);
    obs.target = raw(req.uri);
    obs.service = raw(req.host);
    obs.request_time = c.duration;
    obs.bytes_sent = c.size;
    obs.request_id =
        req.headers.and_then(|h| h.request_id).and_then(|v| v.first().copied()).map_or(&b""[..], |v| raw(Some(v)));
    if let Some(headers) = c.resp_headers {
        if let Some(l) = headers.location.as_ref().and_then(|v| v.first().copied()) {
            obs.location = raw(Some(l));
        }
        obs.upstream_answered = headers.date.is_some();
        obs.proxy_answered = headers.date.is_none();
        // A relayed answer shorter than the Content-Length it announced: the upstream died mid-body
        // (Caddy's `aborting with incomplete response` error carries no request to join on).
        let declared = headers.content_length.and_then(|v| v.first().copied()).and_then(|v| parse_u64(raw(Some(v))));
        let status = c.status.unwrap_or(0);
        if obs.upstream_answered
            && (200..400).contains(&status)
            && !matches!(status, 204 | 304)
            && obs.method != b"HEAD"
            && declared.is_some_and(|d| c.size.is_some_and(|s| s < d))
        {
            obs.signals.set(Signal::UpstreamDiedMidResponse);
            obs.detail = b"response shorter than its Content-Length";
            obs.detail_source = "Caddy access log";
        }
    }
    let _ = (c.logger, c.msg);
    Ok(())
}

/// A request no handler answered: Caddy sends an empty 200 and logs status 0 — with the message
/// `NOP` since Caddy 2.8 (caddyserver/caddy#5182), before that only the status 0 and next to no
/// time spent tell it from a client that left (which takes at least a round trip, and usually the
/// client's own timeout).
pub(crate) fn caddy_unhandled(obs: &mut Observation<'_>, nop: bool) {
    if nop {
        obs.signals.set(Signal::NoRoute);
        obs.detail = b"NOP: no handler wrote a response, Caddy sent an empty 200";
    } else if obs.status == Some(0)
        && !obs.upstream_answered
        && obs.bytes_sent.unwrap_or(0) == 0
        && obs.request_time.is_some_and(|d| d < 0.001)
    {
        obs.signals.set(Signal::NothingWritten);
        obs.detail = b"status 0 within a millisecond: no handler wrote a response, Caddy sent an empty 200";
    } else {
        return;
    }
    obs.proxy_answered = true;
    obs.detail_source = "Caddy access log";
}

/// What a Caddy error entry (`http.log.error`) says, in any of its encodings.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct CaddyError<'a> {
    pub time_ms: Option<i64>,
    pub client: &'a [u8],
    pub method: &'a [u8],
    pub target: &'a [u8],
    pub host: &'a [u8],
    pub message: &'a [u8],
    pub status: Option<u16>,
    pub duration: Option<f64>,
    pub err_trace: &'a [u8],
}

/// An error entry's fields (a whole JSON line, or the JSON after the console encoder's prefix,
/// with the message there).
pub(crate) fn caddy_error_fields<'a>(json: &'a [u8], message: Option<&'a [u8]>) -> Option<CaddyError<'a>> {
    let c: CaddyLine<'a> = from_line(json).ok()?;
    let req = c.request?;
    #[allow(clippy::cast_possible_truncation)]
    Some(CaddyError {
        time_ms: c.ts.map(|t| (t * 1000.0) as i64),
        client: caddy_client(&req),
        method: raw(req.method),
        target: raw(req.uri),
        host: raw(req.host),
        message: message.unwrap_or_else(|| raw(c.msg)),
        status: c.status,
        duration: c.duration,
        err_trace: raw(c.err_trace),
    })
}

/// Whether the line is a Caddy error-log entry (`"logger":"http.log.error…"`), JSON or console.
pub fn is_caddy_error(line: &[u8]) -> bool {
    (line.starts_with(b"{") && finder!(b"\"http.log.error").find(line).is_some())
        || super::caddy::console(line).is_some_and(|c| c.logger.starts_with(b"http.log.error"))
}

/// A Caddy error-log entry in the shape every error log shares (see [`super::errors`]): client,
/// method, uri, time and message. Caddy writes one for each response it generates itself.
pub fn caddy_error_entry(line: &[u8]) -> Option<super::errors::ErrorEntry<'_>> {
    let e = if line.starts_with(b"{") {
        if !is_caddy_error(line) {
            return None;
        }
        caddy_error_fields(line, None)?
    } else {
        super::caddy::console_error(line)?
    };
    Some(super::errors::ErrorEntry {
        time_ms: e.time_ms?,
        local_time: false,
        client: e.client,
        client_port: b"",
        method: e.method,
        target: e.target,
        upstream: b"",
        message: e.message,
        signal: caddy_signal(e.message),
        own_answers: true,
        thread: 0,
    })
}

/// The signal a Caddy (Go) proxy error stands for; `None` for a message culprit does not map.
///
/// Caddy logs Go's transport errors verbatim. The wrapper `net/http: HTTP/1.x transport connection
/// broken: ` says nothing by itself: the text after it does. Checked in order, first hit wins
/// (`lookup` before `i/o timeout`, header limits before `EOF`). Dial errors are 502 even when they
/// time out (Caddy wraps them in a type that hides the timeout), and only the literal `no
/// upstreams available` means every upstream was down. Sources: Caddy's reverseproxy and Go's
/// net/http (docs/logs.md lists them).
pub fn caddy_signal(message: &[u8]) -> Option<Signal> {
    use Signal as S;
    let has = |n: &[u8]| memchr::memmem::find(message, n).is_some();
    let starts = |n: &[u8]| message.starts_with(n);
    Some(if has(b"no upstreams available") || has(b"no hosts available upstream") {
        S::NoLiveUpstreams
    } else if has(b"lookup ") && (has(b"no such host") || has(b"i/o timeout") || has(b"server misbehaving"))
        || has(b"Temporary failure in name resolution")
    {
        S::UpstreamDnsFailed
    } else if has(b"connection refused") || has(b"connect: no such file or directory") {
        S::UpstreamConnectRefused
    } else if has(b"dial ") && has(b"i/o timeout")
        || has(b"connect: connection timed out")
        || has(b"no route to host")
        || has(b"network is unreachable")
    {
        S::UpstreamConnectTimeout
    } else if has(b"server response headers exceeded") || has(b"read limit of") {
        S::UpstreamHeaderTooBig
    } else if has(b"malformed HTTP")
        || has(b"malformed MIME header")
        || has(b"bad Content-Length")
        || has(b"invalid Transfer-Encoding")
        || has(b"too many transfer encodings")
        || has(b"fcgi: invalid header")
        || has(b"HTTP_1_1_REQUIRED")
    {
        S::UpstreamInvalidResponse
    } else if has(b"tls: ") || has(b"x509: ") || has(b"TLS handshake timeout") {
        S::UpstreamTlsFailed
    } else if has(b"timeout awaiting response headers")
        || has(b"read tcp") && has(b"i/o timeout")
        || has(b"context deadline exceeded")
    {
        S::UpstreamReadTimeout
    } else if has(b"request body too large") {
        S::BodyTooLarge
    } else if has(b"context canceled") || has(b"operation was canceled") || has(b"request canceled") {
        S::ClientAborted
    } else if has(b"server closed idle connection")
        || has(b"reset by peer")
        || has(b"stream error: stream ID")
        || has(b"http2: client connection lost")
        || has(b"http2: client connection force closed")
    {
        S::UpstreamReset
    } else if has(b"EOF") || has(b"broken pipe") || has(b"GOAWAY") {
        S::UpstreamClosedPrematurely
    } else if starts(b"not authenticated") {
        S::AuthFailed
    } else if has(b"rfc9112 forbids empty Host") {
        S::InvalidRequest
    } else {
        return None;
    })
}

#[cfg(test)]
mod caddy_tests {
    use super::*;

    /// Messages Caddy writes in `http.log.error` for upstream failures (from Caddy's and Go's
    /// sources and real logs), each with the signal it stands for.
    #[test]
    fn caddy_messages_to_signals() {
        let cases: &[(&[u8], Signal)] = &[
            (b"dial tcp 10.0.0.1:8080: connect: connection refused", Signal::UpstreamConnectRefused),
            (b"dial tcp 10.10.79.117:8080: i/o timeout", Signal::UpstreamConnectTimeout),
            (b"dial tcp: lookup windmill_server: i/o timeout", Signal::UpstreamDnsFailed),
            (b"dial tcp: lookup foo on 127.0.0.11:53: no such host", Signal::UpstreamDnsFailed),
            (b"net/http: HTTP/1.x transport connection broken: net/http: server response headers exceeded 10485760 bytes; aborted", Signal::UpstreamHeaderTooBig),
            (b"net/http: HTTP/1.x transport connection broken: malformed MIME header line: Broken header without colon", Signal::UpstreamInvalidResponse),
            (b"malformed MIME header: missing colon: \"X\"", Signal::UpstreamInvalidResponse),
            (b"net/http: HTTP/1.x transport connection broken: malformed HTTP response \"\\x00\\x00\\x1e\\x04\"", Signal::UpstreamInvalidResponse),
            (b"tls: first record does not look like a TLS handshake", Signal::UpstreamTlsFailed),
            (b"tls: failed to verify certificate: x509: certificate signed by unknown authority", Signal::UpstreamTlsFailed),
            (b"net/http: timeout awaiting response headers", Signal::UpstreamReadTimeout),
            (b"read tcp 10.0.0.2:41234->10.0.0.1:8080: i/o timeout", Signal::UpstreamReadTimeout),
            (b"read tcp 127.0.0.1:59660->127.0.0.1:5443: read: connection reset by peer", Signal::UpstreamReset),
            (b"stream error: stream ID 3; INTERNAL_ERROR; received from peer", Signal::UpstreamReset),
            (b"EOF", Signal::UpstreamClosedPrematurely),
            (b"unexpected EOF", Signal::UpstreamClosedPrematurely),
            (b"readfrom tcp 172.18.0.14:49552->172.18.0.15:8080: write tcp 172.18.0.14:49552->172.18.0.15:8080: write: broken pipe", Signal::UpstreamClosedPrematurely),
            (b"no upstreams available", Signal::NoLiveUpstreams),
        ];
        for (m, want) in cases {
            assert_eq!(caddy_signal(m), Some(*want), "{}", String::from_utf8_lossy(m));
        }
        // A message culprit does not know is not given an unrelated cause.
        assert_eq!(caddy_signal(b"making dial info: upstream {http.request.host}:8080: invalid dial address"), None);
    }

    #[test]
    fn caddy_unhandled_requests_are_a_missing_route_not_a_client_that_left() {
        use crate::attribute::{Cause, Context, attribute};
        // Caddy 2.6.2, `handle /api/*` only, `curl /old/x`: an empty 200 on the wire.
        let nothing = br#"{"level":"info","ts":1795966574.9621153,"logger":"http.log.access.log0","msg":"handled request","request":{"remote_ip":"127.0.0.1","remote_port":"43002","proto":"HTTP/1.1","method":"GET","host":"127.0.0.1:18571","uri":"/old/x","headers":{"User-Agent":["curl/7.88.1"],"Accept":["*/*"]}},"user_id":"","duration":0.00000672,"size":0,"status":0,"resp_headers":{"Server":["Caddy"]}}"#;
        let ctx = Context::default();
        let mut o = Observation::default();
        caddy(nothing, &mut o).unwrap();
        let a = attribute(&o, &ctx).unwrap();
        assert_eq!((a.cause, a.confidence), (Cause::NoRoute, culprit_kb::Confidence::Medium));
        // Caddy 2.8 says so itself.
        let nop = String::from_utf8_lossy(nothing).replace("handled request", "NOP");
        let mut o = Observation::default();
        caddy(nop.as_bytes(), &mut o).unwrap();
        let a = attribute(&o, &ctx).unwrap();
        assert_eq!((a.cause, a.confidence), (Cause::NoRoute, culprit_kb::Confidence::High));
        // A client that gave up after 0.3 s also leaves status 0.
        let left = String::from_utf8_lossy(nothing).replace("0.00000672", "0.3012");
        let mut o = Observation::default();
        caddy(left.as_bytes(), &mut o).unwrap();
        assert_eq!(attribute(&o, &ctx).unwrap().cause, Cause::ClientClosedRequest);
    }

    #[test]
    fn caddy_lines() {
        let access = br#"{"level":"info","ts":1646861401.5241024,"logger":"http.log.access","msg":"handled request","request":{"remote_ip":"127.0.0.1","remote_port":"41342","client_ip":"127.0.0.1","proto":"HTTP/2.0","method":"GET","host":"localhost","uri":"/","headers":{"User-Agent":["curl/7.82.0"]}},"bytes_read": 0,"user_id":"","duration":0.000929675,"size":10900,"status":200,"resp_headers":{"Server":["Caddy"]}}"#;
        let mut o = Observation::default();
        caddy(access, &mut o).unwrap();
        assert_eq!((o.status, o.client, o.target), (Some(200), &b"127.0.0.1"[..], &b"/"[..]));
        assert_eq!(o.time_ms, Some(1_646_861_401_524));
        let err = br#"{"level":"error","ts":1615135306.509363,"logger":"http.log.error","msg":"dial tcp 127.0.0.1:9070: connect: connection refused","request":{"remote_addr":"172.17.0.1:51436","proto":"HTTP/2.0","method":"GET","host":"localhost:9090","uri":"/healthy"},"duration":0.000472143,"status":502,"err_id":"x41mreg93","err_trace":"reverseproxy.statusError (reverseproxy.go:783)"}"#;
        let e = caddy_error_entry(err).unwrap();
        assert_eq!((e.client, e.target), (&b"172.17.0.1"[..], &b"/healthy"[..]));
        assert_eq!(caddy_signal(e.message), Some(Signal::UpstreamConnectRefused));
        assert!(caddy(err, &mut Observation::default()).is_err());
    }

    /// Entries Caddy 2.6.2 wrote in the lab (lab/README.md).
    #[test]
    fn lab_entries() {
        use crate::attribute::{Cause, attribute};
        use culprit_kb::GeneratedBy;
        let ctx = crate::formats::Format::by_name("caddy").unwrap().context(None);
        let judge = |l: &[u8]| {
            let mut o = Observation::default();
            caddy(l, &mut o).unwrap();
            let a = attribute(&o, &ctx).unwrap();
            (o.request_id.to_vec(), a.cause, a.generated_by)
        };
        let passed = br#"{"level":"error","ts":1795329077.469731,"logger":"http.log.access.log0","msg":"handled request","request":{"remote_ip":"127.0.0.1","remote_port":"46942","proto":"HTTP/1.1","method":"GET","host":"shop.lab.test","uri":"/shop/status/404","headers":{"User-Agent":["culprit-lab/1"],"Connection":["close"],"X-Request-Id":["00000003000f3ee4510ddce4f501a0b3"]}},"user_id":"","duration":0.000219933,"size":35,"status":404,"resp_headers":{"Server":["Caddy","lab-backend"],"Date":["Sun, 22 Nov 2026 06:31:17 GMT"],"Content-Type":["application/json"],"Content-Length":["35"]}}"#;
        assert_eq!(
            judge(passed),
            (b"00000003000f3ee4510ddce4f501a0b3".to_vec(), Cause::AppNotFound, GeneratedBy::Upstream)
        );
        let own = br#"{"level":"error","ts":1795329077.2195318,"logger":"http.log.access.log0","msg":"handled request","request":{"remote_ip":"127.0.0.1","remote_port":"46776","proto":"HTTP/1.1","method":"GET","host":"shop.lab.test","uri":"/old-app/page/4701","headers":{"X-Request-Id":["00000003000cb3265e703615fe7a4aef"]}},"user_id":"","duration":0.000035106,"size":8,"status":404,"resp_headers":{"Content-Type":["text/plain; charset=utf-8"],"Server":["Caddy"]}}"#;
        assert_eq!(judge(own).1, Cause::NoRoute);
        let cut = br#"{"level":"info","ts":1795329076.8901477,"logger":"http.log.access.log0","msg":"handled request","request":{"remote_ip":"127.0.0.1","remote_port":"46512","proto":"HTTP/1.1","method":"GET","host":"shop.lab.test","uri":"/legacy/midbody","headers":{"X-Request-Id":["000000030006e75b40992aed8663100f"]}},"user_id":"","duration":0.020622583,"size":1000,"status":200,"resp_headers":{"Server":["Caddy"],"Date":["Sun, 22 Nov 2026 06:31:16 GMT"],"Content-Type":["application/octet-stream"],"Content-Length":["100000"]}}"#;
        assert_eq!(judge(cut).1, Cause::UpstreamDiedMidResponse);
        let big_body = b"readfrom tcp 127.0.0.1:59092->127.0.0.1:41393: {id=8ghpdqgjs} requestbody.errorWrapper.Read (requestbody.go:63): HTTP 413: http: request body too large";
        assert_eq!(caddy_signal(big_body), Some(Signal::BodyTooLarge));
        assert_eq!(caddy_signal(b"net/http: timeout awaiting response headers"), Some(Signal::UpstreamReadTimeout));
        assert_eq!(
            caddy_signal(br#"net/http: HTTP/1.x transport connection broken: malformed HTTP status code "Debian-2""#),
            Some(Signal::UpstreamInvalidResponse)
        );
        assert_eq!(caddy_signal(b"EOF"), Some(Signal::UpstreamClosedPrematurely));
    }
}
