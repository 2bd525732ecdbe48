//! Attribution: an observation's status, upstream attempts and signals → who generated the status,
//! which cause (a knowledge-base id), and how sure we are. Knows nothing about formats.
//!
//! Order of evidence, strongest first:
//! 1. what the status itself settles (499 = the client left; 009 = a non-HTTP reply);
//! 2. explicit signals (an nginx error-log message, an Envoy flag, an HAProxy termination state…);
//! 3. the upstream fields: no upstream contacted ⇒ the proxy answered itself; the same status from
//!    the upstream with a body ⇒ passed through; a 502/504 with zero upstream bytes ⇒ nginx
//!    synthesised it after a transport failure; timings against the proxy's timeouts;
//! 4. with none of that (a format without upstream fields), the knowledge base's most likely cause
//!    for the code, at low confidence, saying what could not be told apart.

use crate::observation::{Attempt, JoinQuality, Observation, Signal, is_dash, last_attempt};
use culprit_kb::{Confidence, EvidenceItem, GeneratedBy, Owner, kb};
use std::sync::LazyLock;

macro_rules! causes {
    ($($variant:ident => $id:literal),* $(,)?) => {
        /// The knowledge-base causes the log engine can attribute (ids checked against the KB by tests).
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum Cause { $($variant),* }
        impl Cause {
            pub const ALL: &'static [Cause] = &[$(Cause::$variant),*];
            pub fn id(self) -> &'static str {
                match self { $(Cause::$variant => $id),* }
            }
        }
    };
}

causes! {
    Ok => "ok",
    Redirect => "redirect",
    ProxyRedirect => "proxy_redirect",
    RedirectLoop => "redirect_loop",
    // Not attributed from a line: named when the cluster says the pod behind the errors crashes.
    PodCrashLooping => "pod_crash_looping",
    ClientClosedRequest => "client_closed_request",
    ClientRequestTimeout => "client_request_timeout",
    MalformedRequest => "malformed_request",
    HeaderTooLarge => "header_too_large",
    BodyTooLarge => "body_too_large",
    ProxyRateLimited => "proxy_rate_limited",
    WafBlocked => "waf_blocked",
    ProxyAccessDenied => "proxy_access_denied",
    EdgeAuthRejected => "edge_auth_rejected",
    AuthServiceFailed => "auth_service_failed",
    RateLimitServiceFailed => "rate_limit_service_failed",
    FilterConfigMissing => "filter_config_missing",
    FaultInjected => "fault_injected",
    NoRoute => "no_route",
    ProxyMethodRejected => "proxy_method_rejected",
    ProtocolVersionMismatch => "protocol_version_mismatch",
    ForwardedChainTooLong => "forwarded_chain_too_long",
    UpstreamConnectionRefused => "upstream_connection_refused",
    UpstreamConnectTimeout => "upstream_connect_timeout",
    UpstreamClosedPrematurely => "upstream_closed_prematurely",
    UpstreamConnectionReset => "upstream_connection_reset",
    UpstreamInvalidResponse => "upstream_invalid_response",
    UpstreamHeaderTooBig => "upstream_header_too_big",
    UpstreamTlsFailed => "upstream_tls_failed",
    UpstreamDnsFailed => "upstream_dns_failed",
    UpstreamTimeout => "upstream_timeout",
    UpstreamDiedMidResponse => "upstream_died_mid_response",
    NoLiveUpstreams => "no_live_upstreams",
    NoReadyEndpoints => "no_ready_endpoints",
    InvalidBackendRef => "invalid_backend_ref",
    CircuitOpen => "circuit_open",
    ProxyOverloaded => "proxy_overloaded",
    ProxyError => "proxy_error",
    AppError => "app_error",
    AppNotImplemented => "app_not_implemented",
    AppBadGateway => "app_bad_gateway",
    AppUnavailable => "app_unavailable",
    AppGatewayTimeout => "app_gateway_timeout",
    AppRateLimited => "app_rate_limited",
    AppNotFound => "app_not_found",
    AppBadRequest => "app_bad_request",
    AppUnauthenticated => "app_unauthenticated",
    AppForbidden => "app_forbidden",
    AppMethodNotAllowed => "app_method_not_allowed",
    AppConflict => "app_conflict",
    AppUnsupportedMediaType => "app_unsupported_media_type",
    AppRequestTimeout => "app_request_timeout",
    AppClientError => "app_client_error",
}

static OWNERS: LazyLock<Vec<Owner>> =
    LazyLock::new(|| Cause::ALL.iter().map(|c| kb().cause(c.id()).map_or(Owner::Both, |k| k.owner)).collect());

impl Cause {
    /// Who looks first, from the knowledge base.
    pub fn owner(self) -> Owner {
        OWNERS[self as usize]
    }

    pub fn from_id(id: &str) -> Option<Cause> {
        Cause::ALL.iter().copied().find(|c| c.id() == id)
    }

    /// The cause an application answering `status` itself stands for.
    fn app(status: u16) -> Cause {
        match status {
            501 => Cause::AppNotImplemented,
            502 => Cause::AppBadGateway,
            503 => Cause::AppUnavailable,
            504 => Cause::AppGatewayTimeout,
            429 => Cause::AppRateLimited,
            404 => Cause::AppNotFound,
            400 | 422 => Cause::AppBadRequest,
            401 => Cause::AppUnauthenticated,
            403 => Cause::AppForbidden,
            405 => Cause::AppMethodNotAllowed,
            409 => Cause::AppConflict,
            415 => Cause::AppUnsupportedMediaType,
            408 => Cause::AppRequestTimeout,
            300..=399 => Cause::Redirect,
            400..=499 => Cause::AppClientError,
            500 | 505..=599 => Cause::AppError,
            _ => Cause::Ok,
        }
    }
}

/// Which rule decided: the evidence is rendered from it (only when someone reads it).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Rule {
    Success,
    /// The status value settles it (499, 009, 0).
    Status,
    /// A signal from the format's flags or the joined error log.
    Signal(Signal),
    /// The upstream's own status, with a body, was passed through.
    PassedThrough,
    /// nginx wrote a 502/504 into `$upstream_status` after a transport failure.
    Synthesised,
    /// No upstream was contacted: the proxy answered itself.
    NoUpstream,
    /// The proxy's own answer (nothing of an upstream's in it), in a format that does not log
    /// whether an upstream was tried.
    OwnAnswer,
    /// The ingress default backend answered.
    DefaultBackend,
    /// `$upstream_addr` holds an upstream group name: no server was available.
    NoServerInGroup,
    /// The proxy's status differs from the upstream's.
    Replaced,
    /// Only the status was known.
    StatusOnly,
    /// A CDN served the response from its cache.
    FromCache,
}

/// One request's diagnosis.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Attribution {
    pub cause: Cause,
    pub generated_by: GeneratedBy,
    pub confidence: Confidence,
    pub rule: Rule,
}

/// What the format can tell: without upstream fields, passed-through and proxy-made codes look alike.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Context {
    pub has_upstream_fields: bool,
    /// nginx writes a 502/504 into `$upstream_status` after a transport failure; other proxies log an
    /// upstream status only when the upstream answered.
    pub synthesises_upstream_status: bool,
    /// Who "the proxy" writing this log is: an ingress/proxy, or a cloud load balancer.
    pub writer: GeneratedBy,
    /// The proxy's connect timeout in seconds (ingress-nginx: 5).
    pub connect_timeout: f64,
    /// The proxy's read timeout in seconds (ingress-nginx: 60).
    pub read_timeout: f64,
    /// Who writes the log is known. When not (the generic fallback), no attribution is high
    /// confidence unless the line's own upstream fields show who answered.
    pub writer_known: bool,
}

/// Timeouts a user sets over a format's defaults (`--proxy-timeouts connect=3s`): each one given
/// replaces the default, the other stays.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct TimeoutOverride {
    pub connect: Option<f64>,
    pub read: Option<f64>,
}

impl TimeoutOverride {
    pub fn apply(self, ctx: &mut Context) {
        if let Some(c) = self.connect {
            ctx.connect_timeout = c;
        }
        if let Some(r) = self.read {
            ctx.read_timeout = r;
        }
    }
}

impl Default for Context {
    fn default() -> Self {
        Context {
            has_upstream_fields: true,
            synthesises_upstream_status: true,
            writer: GeneratedBy::Proxy,
            connect_timeout: crate::formats::NGINX_TIMEOUTS.connect,
            read_timeout: crate::formats::NGINX_TIMEOUTS.read,
            writer_known: true,
        }
    }
}

const fn a(cause: Cause, generated_by: GeneratedBy, confidence: Confidence, rule: Rule) -> Attribution {
    Attribution { cause, generated_by, confidence, rule }
}

/// Signals in the order they decide, with the cause each stands for.
const SIGNAL_CAUSES: &[(Signal, Cause)] = &[
    (Signal::UpstreamConnectRefused, Cause::UpstreamConnectionRefused),
    (Signal::UpstreamConnectTimeout, Cause::UpstreamConnectTimeout),
    (Signal::UpstreamReadTimeout, Cause::UpstreamTimeout),
    (Signal::UpstreamHeaderTooBig, Cause::UpstreamHeaderTooBig),
    (Signal::UpstreamInvalidResponse, Cause::UpstreamInvalidResponse),
    (Signal::UpstreamTlsFailed, Cause::UpstreamTlsFailed),
    (Signal::UpstreamDnsFailed, Cause::UpstreamDnsFailed),
    (Signal::UpstreamReset, Cause::UpstreamConnectionReset),
    (Signal::UpstreamClosedPrematurely, Cause::UpstreamClosedPrematurely),
    (Signal::NoLiveUpstreams, Cause::NoLiveUpstreams),
    (Signal::NoEndpoints, Cause::NoReadyEndpoints),
    (Signal::CircuitOpen, Cause::CircuitOpen),
    (Signal::Overloaded, Cause::ProxyOverloaded),
    (Signal::RateLimited, Cause::ProxyRateLimited),
    (Signal::BodyTooLarge, Cause::BodyTooLarge),
    (Signal::HeaderTooLarge, Cause::HeaderTooLarge),
    (Signal::InvalidRequest, Cause::MalformedRequest),
    (Signal::ClientTimeout, Cause::ClientRequestTimeout),
    (Signal::AccessDenied, Cause::ProxyAccessDenied),
    (Signal::AuthFailed, Cause::AuthServiceFailed),
    (Signal::AuthServiceError, Cause::AuthServiceFailed),
    (Signal::RateLimitServiceError, Cause::RateLimitServiceFailed),
    (Signal::FaultInjected, Cause::FaultInjected),
    (Signal::FilterConfigMissing, Cause::FilterConfigMissing),
    (Signal::NoRoute, Cause::NoRoute),
    (Signal::NothingWritten, Cause::NoRoute),
    (Signal::NoCluster, Cause::InvalidBackendRef),
    (Signal::WafBlocked, Cause::WafBlocked),
    // The vague ones decide last: a precise message (from a joined error log) says more.
    // A failed connection whose kind the log does not give: the most common one, and the
    // confidence says the log did not name it.
    (Signal::UpstreamConnectFailed, Cause::UpstreamConnectionRefused),
    (Signal::ProxyError, Cause::ProxyError),
];

/// Attribute one observation. `None` when the line carries no status at all.
pub fn attribute(obs: &Observation<'_>, ctx: &Context) -> Option<Attribution> {
    attribute_with(obs, last_attempt(&obs.upstream), ctx)
}

/// [`attribute`] with the last upstream attempt already computed (the engine needs it too).
#[inline]
pub fn attribute_with(obs: &Observation<'_>, last: Option<Attempt<'_>>, ctx: &Context) -> Option<Attribution> {
    let mut att = decide(obs, last, ctx)?;
    if !ctx.writer_known
        && att.confidence == Confidence::High
        && obs.upstream.addr.is_empty()
        && obs.upstream.status.is_empty()
    {
        // A log of unknown origin says nothing for sure about who made the status, unless its own
        // upstream fields do.
        att.confidence = Confidence::Medium;
    }
    if att.generated_by == GeneratedBy::Proxy {
        // A load balancer's log with a cache answer has a CDN in front of it (Cloud CDN).
        att.generated_by = if att.rule == Rule::FromCache && ctx.writer == GeneratedBy::LoadBalancer {
            GeneratedBy::Cdn
        } else {
            ctx.writer
        };
    }
    Some(att)
}

fn decide(obs: &Observation<'_>, last: Option<Attempt<'_>>, ctx: &Context) -> Option<Attribution> {
    use Confidence::{High, Low, Medium};
    use GeneratedBy::{Client, Proxy, Upstream};
    let status = obs.status?;
    let sig = obs.signals;
    // 1. What the status settles.
    match status {
        499 => return Some(a(Cause::ClientClosedRequest, Client, High, Rule::Status)),
        // 0: nothing was sent, usually because the client left; unless the format says why
        // otherwise: a signal (an Envoy TCP session logged `0 UF,URX`: the proxy gave up on the
        // upstream; Front Door logs 0 when the origin timed out), or a session without HTTP that
        // went through (an Envoy TCP session logged `0 -`).
        0 if obs.upstream_answered && sig.is_empty() && is_dash(obs.method) => {
            return Some(a(Cause::Ok, Upstream, Medium, Rule::Success));
        }
        0 if sig.is_empty() => return Some(a(Cause::ClientClosedRequest, Client, Medium, Rule::Status)),
        // nginx relayed the upstream's non-HTTP bytes as an HTTP/0.9 answer: the upstream's doing.
        9 => return Some(a(Cause::UpstreamInvalidResponse, Upstream, High, Rule::Status)),
        _ => {}
    }
    if sig.has(Signal::ClientAborted) {
        return Some(a(Cause::ClientClosedRequest, Client, High, Rule::Signal(Signal::ClientAborted)));
    }
    // 2. Explicit signals. Below 400 they decide only when the format says the proxy answered by
    //    itself: Envoy answers a gRPC request it could not serve with HTTP 200 and a grpc-status.
    if (1..400).contains(&status) && !obs.proxy_answered {
        if sig.has(Signal::UpstreamDiedMidResponse) {
            let s = Rule::Signal(Signal::UpstreamDiedMidResponse);
            return Some(a(Cause::UpstreamDiedMidResponse, Upstream, High, s));
        }
    } else if let Some(&(signal, cause)) = SIGNAL_CAUSES.iter().find(|(s, _)| sig.has(*s)) {
        let cause = match (cause, status, signal) {
            // The auth service answered: a refusal (or a redirect to its login page).
            (Cause::AuthServiceFailed, 300..=399 | 401 | 403, Signal::AuthFailed) => Cause::EdgeAuthRejected,
            (c, _, _) => c,
        };
        // A message the proxy logged but culprit does not know says who, not why.
        let vague = matches!(signal, Signal::ProxyError | Signal::UpstreamConnectFailed | Signal::NothingWritten);
        let sure = if vague || obs.join != JoinQuality::Exact { Medium } else { High };
        return Some(a(cause, Proxy, sure, Rule::Signal(signal)));
    }
    // 3. The upstream fields.
    if obs.cache_hit {
        // Served from the edge's cache: the CDN answered, with what the origin once said.
        let cause = match status {
            ..300 | 304 => Cause::Ok,
            _ => Cause::app(status),
        };
        return Some(a(cause, Proxy, High, Rule::FromCache));
    }
    if status < 300 {
        let no_upstream = last.is_none() && ctx.has_upstream_fields && !obs.upstream_answered;
        let by = if obs.proxy_answered || no_upstream { Proxy } else { Upstream };
        return Some(a(Cause::Ok, by, High, Rule::Success));
    }
    if obs.upstream_answered && status >= 300 {
        return Some(a(Cause::app(status), Upstream, High, Rule::PassedThrough));
    }
    if obs.proxy_answered && !ctx.has_upstream_fields {
        return Some(own_answer(obs, status));
    }
    if obs.proxy_answered {
        return Some(no_upstream(obs, status));
    }
    if !ctx.has_upstream_fields {
        // A request line that is not HTTP (a TLS ClientHello on a plain port logs as
        // `"\x16\x03\x01…"`, a port scanner's bytes, nothing at all) never reached an
        // application: the proxy answered 400 while reading it, whatever the format logs.
        if status == 400 && !is_http_method(obs.method) {
            return Some(a(Cause::MalformedRequest, Proxy, High, Rule::Status));
        }
        // A 408 to a connection that sent no request line (`"-"`): the server timed it out
        // while waiting (Apache writes these for idle keep-alive and pre-opened connections).
        if status == 408 && obs.method.is_empty() && is_dash(obs.target) {
            return Some(a(Cause::ClientRequestTimeout, Proxy, High, Rule::Status));
        }
        return Some(status_only(status));
    }
    let Some(last) = last else { return Some(no_upstream(obs, status)) };
    if is_default_backend(obs, &last) && status == 404 {
        return Some(a(Cause::NoRoute, Proxy, High, Rule::DefaultBackend));
    }
    if !looks_like_address(last.addr) && !is_dash(last.addr) && matches!(status, 502 | 503) {
        return Some(a(Cause::NoLiveUpstreams, Proxy, High, Rule::NoServerInGroup));
    }
    if status < 400 {
        return Some(a(Cause::Redirect, Upstream, High, Rule::PassedThrough));
    }
    let bytes = last.length().unwrap_or(0);
    if last.status == Some(status) && (bytes > 0 || !ctx.synthesises_upstream_status || !matches!(status, 502 | 504)) {
        let sure = bytes > 0 || !ctx.synthesises_upstream_status;
        return Some(a(Cause::app(status), Upstream, if sure { High } else { Medium }, Rule::PassedThrough));
    }
    if last.status == Some(status) || last.status.is_none() {
        // nginx synthesised it after a transport failure; timings narrow it down.
        let t = last.response_time().unwrap_or(0.0);
        return Some(match status {
            504 if (t - ctx.connect_timeout).abs() < 0.05 => {
                a(Cause::UpstreamConnectTimeout, Proxy, Medium, Rule::Synthesised)
            }
            504 => a(
                Cause::UpstreamTimeout,
                Proxy,
                if (t - ctx.read_timeout).abs() < 0.5 { High } else { Medium },
                Rule::Synthesised,
            ),
            502 if t <= 0.001 => a(Cause::UpstreamConnectionRefused, Proxy, Low, Rule::Synthesised),
            502 => a(Cause::UpstreamClosedPrematurely, Proxy, Low, Rule::Synthesised),
            _ => status_only(status),
        });
    }
    // The proxy answered something other than the upstream's status (custom error pages, limits).
    Some(Attribution { rule: Rule::Replaced, ..status_only(status) })
}

/// The proxy answered without contacting any upstream.
fn no_upstream(obs: &Observation<'_>, status: u16) -> Attribution {
    use Confidence::{High, Low, Medium};
    use GeneratedBy::Proxy;
    let r = Rule::NoUpstream;
    match status {
        // Not Modified: the proxy's own cache or file server validated the client's copy; no
        // redirect and no error.
        304 => a(Cause::Ok, Proxy, High, r),
        300..=399 => a(Cause::ProxyRedirect, Proxy, High, r),
        404 => a(Cause::NoRoute, Proxy, if obs.service.is_empty() || obs.service == b"-" { High } else { Medium }, r),
        413 => a(Cause::BodyTooLarge, Proxy, High, r),
        408 => a(Cause::ClientRequestTimeout, Proxy, High, r),
        429 => a(Cause::ProxyRateLimited, Proxy, High, r),
        400 if !is_http_method(obs.method) => a(Cause::MalformedRequest, Proxy, High, r),
        400 => a(Cause::HeaderTooLarge, Proxy, Low, r),
        401 => a(Cause::EdgeAuthRejected, Proxy, Medium, r),
        403 => a(Cause::ProxyAccessDenied, Proxy, Medium, r),
        405 => a(Cause::ProxyMethodRejected, Proxy, Medium, r),
        500 => a(Cause::AuthServiceFailed, Proxy, Low, r),
        503 => a(Cause::NoReadyEndpoints, Proxy, Medium, r),
        504 => a(Cause::UpstreamTimeout, Proxy, Low, r),
        502 => a(Cause::NoLiveUpstreams, Proxy, Low, r),
        // No upstream was contacted: whatever the code means, the proxy made it (nginx's 444).
        _ => Attribution { rule: r, generated_by: Proxy, ..status_only(status) },
    }
}

/// The proxy answered by itself (its answer carries no upstream's headers), in a format without
/// upstream fields: it may still have tried an upstream. A 5xx is then a failure to get an answer
/// from it, whose kind only the proxy's error log tells.
fn own_answer(obs: &Observation<'_>, status: u16) -> Attribution {
    use Confidence::{Low, Medium};
    use GeneratedBy::Proxy;
    let r = Rule::OwnAnswer;
    match status {
        // Any transport failure (refused, reset, closed, DNS, TLS): refused is the most common.
        502 => a(Cause::UpstreamConnectionRefused, Proxy, Low, r),
        503 => a(Cause::NoLiveUpstreams, Proxy, Medium, r),
        504 => a(Cause::UpstreamTimeout, Proxy, Medium, r),
        _ => Attribution { rule: r, ..no_upstream(obs, status) },
    }
}

/// Per status code: the knowledge base's most likely cause and who generates it (computed once).
static MOST_LIKELY: LazyLock<Vec<(Cause, GeneratedBy)>> = LazyLock::new(|| {
    let kb = kb();
    (0..600u16)
        .map(|status| {
            let cause = kb
                .causes_for_code(status)
                .into_iter()
                .find_map(|c| Cause::from_id(&c.id))
                .unwrap_or_else(|| Cause::app(status));
            (cause, kb.cause(cause.id()).map_or(GeneratedBy::Upstream, |c| c.generated_by))
        })
        .collect()
});

/// Only the status is known: the knowledge base's most likely cause for it, at low confidence.
fn status_only(status: u16) -> Attribution {
    let (cause, generated_by) =
        MOST_LIKELY.get(usize::from(status)).copied().unwrap_or((Cause::app(status), GeneratedBy::Upstream));
    a(cause, generated_by, Confidence::Low, Rule::StatusOnly)
}

/// A request method nginx would accept: upper-case letters, `_` and `-` (nginx logs what it read
/// of a broken request line, e.g. `"G@T /x HTTP/1.1"` or `"\x16\x03\x01…"`).
fn is_http_method(method: &[u8]) -> bool {
    method.iter().any(u8::is_ascii_uppercase)
        && method.iter().all(|b| b.is_ascii_uppercase() || matches!(b, b'_' | b'-'))
}

/// ingress-nginx's default backend: `upstream-default-backend` or the controller's 127.0.0.1:8181.
fn is_default_backend(obs: &Observation<'_>, last: &Attempt<'_>) -> bool {
    obs.service == b"upstream-default-backend" || last.addr == b"127.0.0.1:8181"
}

/// An `ip:port`, `[v6]:port` or `unix:` address, as opposed to an upstream group name.
fn looks_like_address(addr: &[u8]) -> bool {
    addr.starts_with(b"unix:")
        || addr.first() == Some(&b'[')
        || (addr.contains(&b':') && addr.iter().all(|b| b.is_ascii_hexdigit() || matches!(b, b'.' | b':')))
}

/// The evidence behind an attribution, rendered from the observation's fields.
pub fn evidence(obs: &Observation<'_>, att: &Attribution) -> Vec<EvidenceItem> {
    let text = |b: &[u8]| String::from_utf8_lossy(b).into_owned();
    let item = |source: &str, value: String| EvidenceItem { source: source.to_string(), value };
    let mut out = Vec::new();
    let status = obs.status.unwrap_or(0);
    // Format-neutral wording: nginx's $upstream_* lists, Envoy's upstream host, ALB's target;
    // only what the line holds (HAProxy names a server but logs no upstream status or size).
    let upstream = || {
        let known = |b: &[u8]| !is_dash(b);
        let mut parts = Vec::new();
        if known(obs.upstream.status) {
            parts.push(format!("status {}", text(obs.upstream.status)));
        }
        if known(obs.upstream.length) {
            parts.push(format!("{} bytes", text(obs.upstream.length)));
        }
        if known(obs.upstream.response_time) {
            parts.push(format!("{} s", text(obs.upstream.response_time)));
        }
        match (known(obs.upstream.addr), parts.is_empty()) {
            (true, false) => Some(format!("{}: {}", text(obs.upstream.addr), parts.join(", "))),
            (true, true) => Some(text(obs.upstream.addr)),
            (false, false) => Some(parts.join(", ")),
            (false, true) => None,
        }
    };
    // ` (what the line says of the upstream)`, or nothing when it says nothing.
    let upstream_note = || upstream().map_or_else(String::new, |u| format!(" ({u})"));
    match att.rule {
        Rule::Success => out.push(item("status", format!("{status}"))),
        Rule::Status => out.push(item("status", match status {
            499 => "499: the client closed the connection before the response".into(),
            9 => "009: the upstream answered with bytes that are not an HTTP status line".into(),
            408 => "408 to a connection that sent no request: the server stopped waiting for one".into(),
            400 => format!(
                "400 to a request line that is not HTTP ({}): the proxy answered while reading it (a TLS \
                 handshake sent to a plain-HTTP port, a scanner, an empty connection)",
                if obs.method.is_empty() { "empty".to_string() } else { text(obs.method).escape_debug().to_string() }
            ),
            _ => format!("{status}: no response was sent"),
        })),
        Rule::Signal(s) => {
            let what = if obs.detail.is_empty() { format!("{s:?}") } else { text(obs.detail) };
            out.push(item(if obs.detail_source.is_empty() { "signal" } else { obs.detail_source }, what));
            if s == Signal::UpstreamConnectFailed {
                out.push(item(
                    "unknown",
                    "a connection to the upstream failed, and this log does not say how: refused, timed out, \
                     reset or a TLS failure look alike here; refused is the most common"
                        .into(),
                ));
            }
            if s == Signal::ProxyError {
                out.push(item(
                    "unknown",
                    "the proxy logged this message for the request, so it generated the status; culprit does not \
                     recognise the message, so the cause is the message itself"
                        .into(),
                ));
            }
            if let JoinQuality::Ambiguous(n) = obs.join {
                out.push(item(
                    "ambiguous",
                    format!(
                        "{n} error-log entries with different messages fit this request (same client, request \
                         and time); the closest in time was used"
                    ),
                ));
            }
            if let Some(u) = upstream() {
                out.push(item("upstream", u));
            }
        }
        Rule::PassedThrough => out.push(item("upstream", format!("the upstream answered {status} with a body; the proxy passed it through{}", upstream_note()))),
        Rule::Synthesised => {
            out.push(item("upstream", format!("no response from the upstream: the proxy wrote {status} itself{}", upstream_note())));
            if status == 502 {
                out.push(item("unknown", "refused, reset and closed connections look alike in the access log; the error log (--error-log) tells them apart".into()));
            }
        }
        Rule::NoUpstream => out.push(item("upstream", format!("no upstream contacted (upstream fields '-'): the proxy answered {status} itself"))),
        Rule::OwnAnswer => {
            out.push(item("response", format!("the proxy answered {status} itself: its logged response carries nothing of an upstream's (no upstream Date header)")));
            if status >= 500 {
                out.push(item("unknown", "why is in the proxy's error log (give it with --error-log): refused, reset, closed, DNS, TLS and timeouts look alike here".into()));
            }
        }
        Rule::DefaultBackend => out.push(item("upstream", format!("the ingress default backend answered{}", upstream_note()))),
        Rule::NoServerInGroup => out.push(item("upstream", format!("$upstream_addr holds the group name '{}': no server was available", text(obs.upstream.addr)))),
        Rule::Replaced => out.push(item("upstream", format!("the proxy answered {status} while the upstream said otherwise{}", upstream_note()))),
        Rule::FromCache => out.push(item(
            if obs.detail_source.is_empty() { "cache" } else { obs.detail_source },
            format!(
                "{}: the CDN served {status} from its cache without asking the origin",
                if obs.detail.is_empty() { "cache hit".into() } else { text(obs.detail) }
            ),
        )),
        Rule::StatusOnly => out.push(item(
            "unknown",
            format!("the format has no upstream fields: whether the proxy or the application produced {status} cannot be told; most likely cause shown"),
        )),
    }
    if let Some(t) = obs.request_time {
        if matches!(att.cause, Cause::UpstreamTimeout | Cause::UpstreamConnectTimeout | Cause::ClientClosedRequest) {
            out.push(item("request_time", format!("{t:.3} s")));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::formats::nginx::{COMBINED, NginxFormat, UPSTREAMINFO};

    fn attr(format: &str, line: &str) -> Attribution {
        let f = NginxFormat::compile(format).unwrap();
        let mut obs = Observation::default();
        f.parse(line.as_bytes(), &mut obs).unwrap();
        let ctx = Context { has_upstream_fields: f.has_upstream_status, ..Context::default() };
        attribute(&obs, &ctx).unwrap()
    }

    fn line(status: &str, rest: &str) -> String {
        format!(
            r#"10.0.0.9 - - [08/Mar/2023:16:02:45 +0000] "GET /api/users/42 HTTP/1.1" {status} 150 "-" "curl/8" 90 {rest}"#
        )
    }

    #[test]
    fn every_cause_exists_in_the_knowledge_base() {
        for c in Cause::ALL {
            assert!(kb().cause(c.id()).is_some(), "{} missing from the KB", c.id());
        }
    }

    #[test]
    fn upstreaminfo_rules() {
        let u = UPSTREAMINFO;
        let r = attr(
            u,
            &line(
                "504",
                "14.998 [pc-web-80] [] 10.0.0.1:80, 10.0.0.1:80, 10.0.0.1:80 0, 0, 0 5.000, 5.000, 5.000 504, 504, 504 a",
            ),
        );
        assert_eq!((r.cause, r.generated_by), (Cause::UpstreamConnectTimeout, GeneratedBy::Proxy));
        let r = attr(u, &line("504", "60.001 [ns-svc-80] [] 10.0.0.1:80 0 60.000 504 a"));
        assert_eq!((r.cause, r.confidence), (Cause::UpstreamTimeout, Confidence::High));
        let r = attr(u, &line("502", "0.016 [ns-svc-80] [] 10.0.0.1:80 0 0.000 502 a"));
        assert_eq!(
            (r.cause, r.confidence, r.rule),
            (Cause::UpstreamConnectionRefused, Confidence::Low, Rule::Synthesised)
        );
        let r = attr(u, &line("502", "0.016 [ns-svc-80] [] 10.0.0.1:80 0 0.012 502 a"));
        assert_eq!(r.cause, Cause::UpstreamClosedPrematurely);
        let r = attr(u, &line("502", "0.016 [ns-svc-80] [] 10.0.0.1:80 74 0.012 502 a"));
        assert_eq!((r.cause, r.generated_by), (Cause::AppBadGateway, GeneratedBy::Upstream));
        let r = attr(u, &line("500", "0.016 [ns-svc-80] [] 10.0.0.1:80 35 0.012 500 a"));
        assert_eq!((r.cause, r.generated_by, r.confidence), (Cause::AppError, GeneratedBy::Upstream, Confidence::High));
        let r = attr(u, &line("503", "0.000 [ns-svc-80] [] - - - - a"));
        assert_eq!((r.cause, r.generated_by), (Cause::NoReadyEndpoints, GeneratedBy::Proxy));
        let r = attr(u, &line("413", "0.000 [ns-svc-80] [] - - - - a"));
        assert_eq!(r.cause, Cause::BodyTooLarge);
        let r = attr(u, &line("404", "0.001 [upstream-default-backend] [] 127.0.0.1:8181 146 0.001 404 a"));
        assert_eq!((r.cause, r.rule), (Cause::NoRoute, Rule::DefaultBackend));
        let r = attr(u, &line("404", "0.015 [default-search-8080] [] 10.244.0.227:8080 682 0.015 404 a"));
        assert_eq!(r.cause, Cause::AppNotFound);
        let r = attr(u, &line("499", "2.702 [svc-8080] [] 172.21.72.106:8080 0 2.702 - a"));
        assert_eq!((r.cause, r.generated_by), (Cause::ClientClosedRequest, GeneratedBy::Client));
        let r =
            attr(u, &line("200", "0.294 [auth-80] [] 172.17.0.10:8080, 172.17.0.11:8080 0, 9 0.001, 0.293 502, 200 a"));
        assert_eq!(r.cause, Cause::Ok);
        let r = attr(u, &line("308", "0.000 [labs-80] [] - - - - a"));
        assert_eq!(r.cause, Cause::ProxyRedirect);
        let r = attr(u, &line("502", "0.000 [x] [] backend 0 0.000 502 a"));
        assert_eq!((r.cause, r.rule), (Cause::NoLiveUpstreams, Rule::NoServerInGroup));
        // nginx relays the upstream's non-HTTP bytes: the upstream's doing (lab/README.md).
        let r = attr(u, &line("009", "0.002 [a-b-80] [] 10.0.0.1:80 52 0.000 200 a"));
        assert_eq!((r.cause, r.generated_by), (Cause::UpstreamInvalidResponse, GeneratedBy::Upstream));
        // A broken request line is visible in $request even when the error log says nothing.
        let r = attr(
            u,
            r#"127.0.0.1 - - [22/Nov/2026:06:30:34 +0000] "G@T /shop/malformed/1 HTTP/1.1" 400 157 "-" "-" 0 0.000 [] [] - - - - 76ce7eb7"#,
        );
        assert_eq!((r.cause, r.confidence), (Cause::MalformedRequest, Confidence::High));
        let r = attr(u, &line("400", "0.000 [] [] - - - - a"));
        assert_eq!((r.cause, r.confidence), (Cause::HeaderTooLarge, Confidence::Low));
    }

    #[test]
    fn signals_decide_over_fields() {
        let f = NginxFormat::compile(UPSTREAMINFO).unwrap();
        let l = line("502", "0.016 [ns-svc-80] [] 10.0.0.1:80 0 0.012 502 a");
        let mut obs = Observation::default();
        f.parse(l.as_bytes(), &mut obs).unwrap();
        obs.signals.set(Signal::UpstreamReset);
        let r = attribute(&obs, &Context::default()).unwrap();
        assert_eq!((r.cause, r.confidence), (Cause::UpstreamConnectionReset, Confidence::High));
    }

    #[test]
    fn a_tls_handshake_on_a_plain_port_is_the_proxys_400_in_any_format() {
        // nginx 1.22 on a plain port, `curl https://…` against it (lab, combined format).
        let r = attr(
            COMBINED,
            "127.0.0.1 - - [22/Nov/2026:06:30:34 +0000] \"\\x16\\x03\\x01\\x02\\x00\\x01\\x00\\x01\\xFC\\x03\\x03\" 400 157 \"-\" \"-\"",
        );
        assert_eq!(
            (r.cause, r.generated_by, r.confidence),
            (Cause::MalformedRequest, GeneratedBy::Proxy, Confidence::High)
        );
        let r = attr(COMBINED, r#"127.0.0.1 - - [22/Nov/2026:06:30:34 +0000] "-" 400 0 "-" "-""#);
        assert_eq!((r.cause, r.generated_by), (Cause::MalformedRequest, GeneratedBy::Proxy));
        // A well-formed request answered 400 may well be the application's.
        let r = attr(COMBINED, r#"127.0.0.1 - - [22/Nov/2026:06:30:34 +0000] "POST /api HTTP/1.1" 400 57 "-" "-""#);
        assert_eq!(r.rule, Rule::StatusOnly);
    }

    #[test]
    fn combined_format_says_what_it_cannot_know() {
        let r = attr(COMBINED, r#"1.2.3.4 - - [08/Mar/2023:16:02:45 +0000] "GET / HTTP/1.1" 502 150 "-" "curl/8""#);
        assert_eq!((r.confidence, r.rule), (Confidence::Low, Rule::StatusOnly));
        let obs = Observation { status: Some(502), ..Observation::default() };
        let ev = evidence(&obs, &r);
        assert!(ev.iter().any(|e| e.source == "unknown"), "{ev:?}");
    }
}
