//! Envoy's text access logs, as Envoy itself, Istio (every era), Contour, Emissary and people's own
//! formats write them, read without being told the format; and Envoy's vocabulary —
//! `%RESPONSE_FLAGS%` (UF, UH, UO, UT, NR, DC…), `%RESPONSE_CODE_DETAILS%` (`via_upstream`,
//! `upstream_reset_before_response_started{connection_failure,…}`) — turned into signals, for this
//! reader, the JSON one (`envoy_json.rs`) and `--envoy-format` templates alike.
//!
//! Every text layout starts the same way, `[%START_TIME%] "%REQ(:METHOD)% %PATH% %PROTOCOL%"
//! %RESPONSE_CODE% %RESPONSE_FLAGS%` (the time is sometimes trimmed off a pasted line), and then
//! differs by era:
//!
//! | layout | after the flags |
//! |---|---|
//! | Envoy default (all versions), Istio 0.8, Contour, Emissary (`ACCESS [...]`) | `BR BS DUR UST "XFF" "UA" "ID" "AUTHORITY" "UPSTREAM_HOST"` |
//! | Istio 1.0–1.4 | `"MIXER_STATUS" BR BS DUR UST "XFF" "UA" "ID" "AUTH" "HOST" CLUSTER ULA DLA DRA SNI` |
//! | Istio 1.5–1.8 | `"MIXER_STATUS" "TRANSPORT_FAILURE" BR BS … "HOST" CLUSTER ULA DLA DRA SNI ROUTE` |
//! | Istio 1.9+ | `DETAILS CONN_TERMINATION "TRANSPORT_FAILURE" BR BS … "HOST" CLUSTER ULA DLA DRA SNI ROUTE` |
//! | common custom formats | `DETAILS BR BS DUR UST "XFF" "UA" "ID" "AUTH" "HOST" ["TRANSPORT_FAILURE"]` |
//!
//! (BR/BS bytes received/sent, DUR duration in ms, UST `x-envoy-upstream-service-time`, `-` when no
//! upstream headers came back.) So the reader does not need a template: it finds the run of byte and
//! duration counters, reads what stands between the flags and that run as details / Mixer status /
//! transport failure, and the quoted run after it as headers and upstream host. Lines written as
//! `key=value` pairs with Envoy's vocabulary (`status=503 flags=UF details=…`) are read too.
//!
//! Sources: Envoy `docs/root/configuration/observability/access_log/usage.rst` (default format, flag
//! list), Istio `pilot/pkg/model/telemetry_logging.go` and its 1.0–1.8 bootstrap/EnvoyFilter
//! formats (`%DYNAMIC_METADATA(istio.mixer:status)%`), Emissary `ACCESS [%START_TIME%] …`, Envoy
//! `stream_info.h` `ResponseCodeDetailValues` and `router.cc` (reset details, `,` then `|` before the
//! transport failure reason).

use crate::formats::BadLine;
use crate::formats::nginx::find_byte;
use crate::observation::{Observation, Signal, is_dash, parse_u16, parse_u64};
use crate::{scan, time};

/// Envoy's default access-log format.
pub const ENVOY_DEFAULT: &str = r#"[%START_TIME%] "%REQ(:METHOD)% %REQ(X-ENVOY-ORIGINAL-PATH?:PATH)% %PROTOCOL%" %RESPONSE_CODE% %RESPONSE_FLAGS% %BYTES_RECEIVED% %BYTES_SENT% %DURATION% %RESP(X-ENVOY-UPSTREAM-SERVICE-TIME)% "%REQ(X-FORWARDED-FOR)%" "%REQ(USER-AGENT)%" "%REQ(X-REQUEST-ID)%" "%REQ(:AUTHORITY)%" "%UPSTREAM_HOST%""#;
/// Istio's default text format (1.9+; `%UPSTREAM_CLUSTER%` in older releases parses the same).
pub const ISTIO_DEFAULT: &str = r#"[%START_TIME%] "%REQ(:METHOD)% %REQ(X-ENVOY-ORIGINAL-PATH?:PATH)% %PROTOCOL%" %RESPONSE_CODE% %RESPONSE_FLAGS% %RESPONSE_CODE_DETAILS% %CONNECTION_TERMINATION_DETAILS% "%UPSTREAM_TRANSPORT_FAILURE_REASON%" %BYTES_RECEIVED% %BYTES_SENT% %DURATION% %RESP(X-ENVOY-UPSTREAM-SERVICE-TIME)% "%REQ(X-FORWARDED-FOR)%" "%REQ(USER-AGENT)%" "%REQ(X-REQUEST-ID)%" "%REQ(:AUTHORITY)%" "%UPSTREAM_HOST%" %UPSTREAM_CLUSTER_RAW% %UPSTREAM_LOCAL_ADDRESS% %DOWNSTREAM_LOCAL_ADDRESS% %DOWNSTREAM_REMOTE_ADDRESS% %REQUESTED_SERVER_NAME% %ROUTE_NAME%"#;

// ───────────────────────────── Envoy's vocabulary ─────────────────────────────

/// The Envoy-specific fields of one line, before they are translated.
#[derive(Debug, Default, Clone, Copy)]
pub struct Fields<'a> {
    pub flags: &'a [u8],
    pub details: &'a [u8],
    pub transport: &'a [u8],
    /// Istio ≤ 1.8's `%DYNAMIC_METADATA(istio.mixer:status)%` (`UNAVAILABLE:no healthy upstream`).
    pub mixer: &'a [u8],
    /// `Some` when the format has the field; `-` when no upstream response headers came back.
    pub upstream_time: Option<&'a [u8]>,
}

/// Whether `needle` occurs in `hay`. The fields searched are short (a few dozen bytes): finding
/// the needle's first byte and comparing beats building a `memmem` searcher on every call.
fn has(hay: &[u8], needle: &[u8]) -> bool {
    let Some((&first, rest)) = needle.split_first() else { return true };
    let mut from = 0;
    while let Some(i) = find_byte(first, &hay[from..]) {
        let at = from + i + 1;
        if hay[at..].starts_with(rest) {
            return true;
        }
        from = at;
    }
    false
}

/// `-`, empty and JSON `null` all mean "not set".
fn unset(v: &[u8]) -> &[u8] {
    if is_dash(v) || v == b"null" { b"" } else { v }
}

/// What `%RESPONSE_CODE_DETAILS%` says about who set the status.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Said {
    /// Envoy answered, for this reason.
    Because(Signal),
    /// Envoy answered by design (a `direct_response` or redirect route, the admin endpoint).
    Answered,
    /// Envoy answered; culprit does not know this detail.
    Unknown,
    /// The detail does not decide who answered (a client that left after the status was sent).
    Nothing,
}

/// The response flags, short (`UF`) or long (`UpstreamConnectionFailure`, `%RESPONSE_FLAGS_LONG%`),
/// that mean Envoy answered by itself, with why. Flags that describe how a stream ended after its
/// status was decided (`DC`, `DR`, `SI`, `DT`), retries (`URX`) and delays (`DI`) are not here:
/// [`flag_signal`] handles the ones that can still decide.
fn local_flag(flag: &[u8]) -> Option<Signal> {
    Some(match flag {
        b"UH" | b"NoHealthyUpstream" | b"LH" | b"FailedLocalHealthCheck" => Signal::NoLiveUpstreams,
        b"UO" | b"UpstreamOverflow" => Signal::CircuitOpen,
        b"NR" | b"NoRouteFound" => Signal::NoRoute,
        b"NC" | b"NoClusterFound" => Signal::NoCluster,
        b"UT" | b"UpstreamRequestTimeout" | b"UMSDR" | b"UpstreamMaxStreamDurationReached" => {
            Signal::UpstreamReadTimeout
        }
        b"UC" | b"UpstreamConnectionTermination" => Signal::UpstreamClosedPrematurely,
        b"UR" | b"UpstreamRemoteReset" | b"LR" | b"LocalReset" => Signal::UpstreamReset,
        b"UPE" | b"UpstreamProtocolError" => Signal::UpstreamInvalidResponse,
        b"RL" | b"RateLimited" => Signal::RateLimited,
        b"RLSE" | b"RateLimitServiceError" => Signal::RateLimitServiceError,
        b"IH" | b"InvalidEnvoyRequestHeaders" | b"DPE" | b"DownstreamProtocolError" => Signal::InvalidRequest,
        b"OM" | b"OverloadManagerTerminated" | b"DO" | b"DropOverload" | b"UDO" | b"UnconditionalDropOverload" => {
            Signal::Overloaded
        }
        b"DF" | b"DnsResolutionFailed" => Signal::UpstreamDnsFailed,
        b"FI" | b"FaultInjected" => Signal::FaultInjected,
        b"NFCF" | b"NoFilterConfigFound" => Signal::FilterConfigMissing,
        _ => return None,
    })
}

/// `UF`, `UF,URX`, `UpstreamConnectionFailure`: a `%RESPONSE_FLAGS%` value that sets a flag (not
/// `-`), every item one of Envoy's.
pub(crate) fn is_flags_value(v: &[u8]) -> bool {
    !v.is_empty()
        && v != b"-"
        && v.split(|&b| b == b',').map(<[u8]>::trim_ascii).all(|f| {
            local_flag(f).is_some()
                || matches!(
                    f,
                    b"UF"
                        | b"UAEX"
                        | b"SI"
                        | b"DC"
                        | b"DR"
                        | b"URX"
                        | b"DI"
                        | b"DT"
                        | b"RFCF"
                        | b"UpstreamConnectionFailure"
                        | b"UnauthorizedExternalService"
                        | b"StreamIdleTimeout"
                        | b"DownstreamConnectionTermination"
                        | b"DownstreamRemoteReset"
                        | b"UpstreamRetryLimitExceeded"
                        | b"DelayInjected"
                        | b"DurationTimeout"
                        | b"ResponseFromCacheFilter"
                )
        })
}

/// One flag's signal, given the status and the other fields.
fn flag_signal(flag: &[u8], status: Option<u16>, f: &Fields<'_>, mixer: &[u8]) -> Option<Signal> {
    match flag {
        b"UF" | b"UpstreamConnectionFailure" => Some(connect_signal(&[f.details, f.transport])),
        b"UAEX" | b"UnauthorizedExternalService" => Some(auth_signal(f.details, mixer)),
        // A stream idle timeout decides the status only when Envoy sent its own 408/504; on a 101
        // or 200 it closed a stream the upstream had answered.
        b"SI" | b"StreamIdleTimeout" => match status {
            Some(408) => Some(Signal::ClientTimeout),
            Some(s) if s >= 400 => Some(Signal::UpstreamReadTimeout),
            _ => None,
        },
        // The client went away: it decides only when nothing was sent (status 0).
        b"DC" | b"DownstreamConnectionTermination" | b"DR" | b"DownstreamRemoteReset" => {
            (status == Some(0)).then_some(Signal::ClientAborted)
        }
        _ => local_flag(flag),
    }
}

/// ext_authz (and Istio's Mixer policy check before it): denied, or the auth service failed.
fn auth_signal(details: &[u8], mixer: &[u8]) -> Signal {
    if has(details, b"ext_authz_error") || has(details, b"ext_authz_invalid") || mixer.starts_with(b"UNAVAILABLE") {
        Signal::AuthServiceError
    } else if mixer.starts_with(b"PERMISSION_DENIED") {
        Signal::AccessDenied
    } else {
        Signal::AuthFailed
    }
}

/// A failed upstream connection, narrowed by the reset reason and transport failure Envoy wrote
/// (`connection_timeout`, `delayed_connect_error:_111`, `TLS_error:…CERTIFICATE_VERIFY_FAILED`).
fn connect_signal(why: &[&[u8]]) -> Signal {
    let any = |n: &[u8]| why.iter().any(|w| has(w, n));
    if any(b"TLS") || any(b"SSL") || any(b"CERTIFICATE") || any(b"tls") {
        Signal::UpstreamTlsFailed
    } else if any(b"timeout") || any(b"_110") || any(b"timed_out") {
        Signal::UpstreamConnectTimeout
    } else if any(b"_111") || any(b"refused") || any(b"Connection_refused") {
        // `delayed_connect_error:_111` (errno ECONNREFUSED), `:_Connection_refused` in newer Envoy.
        Signal::UpstreamConnectRefused
    } else if any(b"_104") || any(b"reset_by_peer") {
        Signal::UpstreamReset
    } else if any(b"_113") || any(b"No_route_to_host") || any(b"unreachable") {
        Signal::UpstreamConnectTimeout
    } else {
        // `UF` alone: a connection failure of some kind.
        Signal::UpstreamConnectFailed
    }
}

/// The reset reason inside `upstream_reset_before_response_started{…}` (`,` before the transport
/// failure in Envoy ≤ 1.31, `|` after), see `router.cc` `onUpstreamReset`.
fn reset_signal(reason: &[u8], transport: &[u8]) -> Signal {
    if has(reason, b"connection_failure") || has(reason, b"connection_timeout") {
        connect_signal(&[reason, transport])
    } else if has(reason, b"connection_termination") {
        Signal::UpstreamClosedPrematurely
    } else if has(reason, b"overflow") {
        Signal::CircuitOpen
    } else if has(reason, b"protocol_error") {
        Signal::UpstreamInvalidResponse
    } else if has(reason, b"overload_manager") {
        Signal::Overloaded
    } else {
        // remote_reset, remote_refused_stream_reset, local_reset…
        Signal::UpstreamReset
    }
}

/// What `%RESPONSE_CODE_DETAILS%` (without `via_upstream`) says: the values Envoy documents in
/// `response_code_details.rst` and `stream_info.h`.
fn details_said(d: &[u8], status: Option<u16>, transport: &[u8]) -> Said {
    use Signal as S;
    let starts = |p: &[u8]| d.starts_with(p);
    let timeout = |s: Option<u16>| if s == Some(408) { S::ClientTimeout } else { S::UpstreamReadTimeout };
    Said::Because(if let Some(rest) = d.strip_prefix(b"upstream_reset_before_response_started") {
        reset_signal(rest, transport)
    } else if d == b"no_healthy_upstream" {
        S::NoLiveUpstreams
    } else if matches!(
        d,
        b"response_timeout"
            | b"upstream_response_timeout"
            | b"upstream_per_try_timeout"
            | b"upstream_per_try_idle_timeout"
            | b"upstream_max_stream_duration_reached"
    ) {
        S::UpstreamReadTimeout
    } else if matches!(d, b"request_overall_timeout" | b"request_header_timeout" | b"max_duration_timeout")
        || starts(b"stream_idle_timeout")
        || starts(b"duration_timeout")
    {
        if status.is_some_and(|s| s < 400) {
            return Said::Nothing; // a stream the upstream had answered, closed later
        }
        timeout(status)
    } else if matches!(d, b"route_not_found" | b"route_configuration_not_found" | b"filter_chain_not_found") {
        S::NoRoute
    } else if d == b"cluster_not_found" {
        S::NoCluster
    } else if matches!(d, b"maintenance_mode" | b"drop_overload" | b"unconditional_drop_overload" | b"overload")
        || starts(b"overload_manager")
    {
        S::Overloaded
    } else if starts(b"ext_authz_denied") || starts(b"jwt_authn_access_denied") {
        // The auth service, or the JWT filter, refused the credentials.
        S::AuthFailed
    } else if starts(b"ext_authz_error") || starts(b"ext_authz_invalid") {
        S::AuthServiceError
    } else if starts(b"rbac_access_denied") || d == b"rejecting_because_detection_failed" {
        S::AccessDenied
    } else if matches!(d, b"request_rate_limited" | b"local_rate_limited") {
        S::RateLimited
    } else if d == b"rate_limiter_error" {
        S::RateLimitServiceError
    } else if d == b"request_payload_too_large" {
        S::BodyTooLarge
    } else if has(d, b"headers_too_large") || has(d, b"too_many_headers") {
        S::HeaderTooLarge
    } else if matches!(d, b"downstream_remote_disconnect" | b"http2.remote_reset" | b"http2.remote_refuse")
        || starts(b"http3.remote_reset")
        || starts(b"downstream_local_disconnect")
    {
        if status == Some(0) {
            S::ClientAborted
        } else {
            return Said::Nothing;
        }
    } else if starts(b"http1.")
        || starts(b"http2.")
        || starts(b"http3.")
        || matches!(
            d,
            b"missing_host_header"
                | b"missing_path_rejected"
                | b"absolute_path_rejected"
                | b"path_normalization_failed"
                | b"invalid_path"
                | b"request_headers_failed_strict_check"
                | b"upgrade_failed"
                | b"low_version"
                | b"early_connect_data"
                | b"codec_error"
        )
    {
        S::InvalidRequest
    } else if starts(b"fault_filter_abort") {
        S::FaultInjected
    } else if starts(b"dns_resolution_failure") {
        S::UpstreamDnsFailed
    } else if starts(b"filter_config_not_found") {
        S::FilterConfigMissing
    } else if starts(b"direct_response") && status == Some(500) {
        // Gateway API: a rule whose every backendRef is invalid "MUST receive a 500", which Envoy
        // Gateway and Istio answer with a direct response.
        S::NoCluster
    } else if starts(b"direct_response") && status.is_some_and(|s| s >= 400 && s != 404) {
        // A route configured to answer an error itself: the proxy's configuration, not a failure
        // culprit has a cause for (a fixed 404 reads as "no route", a redirect as the proxy's).
        S::ProxyError
    } else if starts(b"direct_response") || starts(b"admin_filter_response") || starts(b"internal_redirect") {
        return Said::Answered;
    } else {
        return Said::Unknown;
    })
}

impl<'a> Fields<'a> {
    /// Translate flags and details into signals and evidence, and say who answered: the upstream
    /// (`via_upstream`, response headers timed), or Envoy itself — whatever the status, since Envoy
    /// answers a gRPC request it could not serve with HTTP 200 and a `grpc-status`.
    ///
    /// Reads `obs.status` and `obs.upstream.addr`: set them first.
    pub fn apply(&self, obs: &mut Observation<'a>) {
        let flags = unset(self.flags);
        let details = unset(self.details);
        let mixer = unset(trim_quotes(self.mixer));
        let status = obs.status;
        if !flags.is_empty() || !details.is_empty() {
            obs.detail = if details.is_empty() || (!flags.is_empty() && details == b"via_upstream") {
                self.flags
            } else {
                details
            };
            obs.detail_source =
                if obs.detail == self.flags { "Envoy response flags" } else { "Envoy response code details" };
        } else if !mixer.is_empty() {
            obs.detail = mixer;
            obs.detail_source = "Istio policy (Mixer) status";
        }
        // 1. The upstream set the status; flags then tell of earlier tries (URX) or of how the
        //    stream ended after (DC, SI).
        if details == b"via_upstream"
            || has(details, b"via_upstream")
            || details.starts_with(b"websocket_handshake_unsuccessful")
        {
            obs.upstream_answered = true;
            return;
        }
        if has(details, b"_after_response_started") {
            obs.signals.set(Signal::UpstreamDiedMidResponse);
            obs.upstream_answered = true;
            return;
        }
        // Envoy prints flags in its own fixed order (UH before DC): with nothing sent, a client
        // that left outranks the rest.
        let items = || flags.split(|&b| b == b',').map(<[u8]>::trim_ascii);
        let client_left = status == Some(0)
            && items()
                .any(|f| matches!(f, b"DC" | b"DR" | b"DownstreamConnectionTermination" | b"DownstreamRemoteReset"));
        let flag_said = if client_left {
            Some(Signal::ClientAborted)
        } else {
            items().find_map(|flag| flag_signal(flag, status, self, mixer))
        };
        // 2. Any other detail: Envoy set the status itself; the detail says why (the flag, when the
        //    detail is one culprit does not know).
        if !details.is_empty() {
            let signal = match details_said(details, status, unset(self.transport)) {
                Said::Because(s) => Some(s),
                Said::Nothing => return,
                Said::Answered => flag_said,
                Said::Unknown => flag_said.or((status.is_some_and(|s| s >= 400)).then_some(Signal::ProxyError)),
            };
            if let Some(s) = signal {
                obs.signals.set(s);
            }
            obs.proxy_answered = status != Some(0) || signal.is_some_and(|s| s != Signal::ClientAborted);
            return;
        }
        // 3. No details: the upstream's response headers came back (their time is logged), so the
        //    status is the upstream's.
        if self.upstream_time.is_some_and(|t| !unset(t).is_empty()) && status != Some(0) {
            obs.upstream_answered = true;
            return;
        }
        // 4. A flag that means Envoy answered (or, with status 0, gave up: a TCP session whose
        //    upstream could not be reached is logged `"- - -" 0 UF,URX`).
        if let Some(s) = flag_said {
            obs.signals.set(s);
            obs.proxy_answered = s != Signal::ClientAborted;
            return;
        }
        // A TCP session (`"- - -"`, no HTTP request) that ended without a flag went through: its 0
        // is not an HTTP status, and not a client that left.
        if status == Some(0) && flags.is_empty() && obs.method.is_empty() && obs.target.is_empty() {
            obs.upstream_answered = !unset(obs.upstream.addr).is_empty();
            return;
        }
        // 5. Nothing said: an upstream host means one was reached and answered; `-` means Envoy
        //    answered without one (a direct response, a redirect, the admin endpoint).
        match obs.upstream.addr {
            b"" => {}
            b"-" => obs.proxy_answered = status != Some(0),
            _ => obs.upstream_answered = status != Some(0),
        }
    }
}

/// The Mixer status as Istio writes it inside its quoted slot: `"UNAVAILABLE:…"`, `\"…\"` in JSON.
fn trim_quotes(v: &[u8]) -> &[u8] {
    let v = v.strip_prefix(b"\\\"").or_else(|| v.strip_prefix(b"\"")).unwrap_or(v);
    v.strip_suffix(b"\\\"").or_else(|| v.strip_suffix(b"\"")).unwrap_or(v)
}

// ───────────────────────────── the text reader ─────────────────────────────

/// One field of a line after the flags: a bare word or the inside of a quoted string.
#[derive(Debug, Clone, Copy, Default)]
struct Tok {
    start: u32,
    end: u32,
    quoted: bool,
}

/// Fields read after the flags; lines with more keep the first ones (every layout's interesting
/// fields come first).
const MAX_TOKS: usize = 40;

/// `“` and `”`: issue trackers and chat turn straight quotes into curly ones in pasted lines.
const CURLY_OPEN: &[u8] = "\u{201c}".as_bytes();
const CURLY_CLOSE: &[u8] = "\u{201d}".as_bytes();

/// The next field at or after `pos`: `(token, position after it)`. A quoted field ends at a quote
/// followed by a space or the end of the line, so quotes inside (`""UNAVAILABLE:…""`, a user agent
/// with a quote) stay in the value, as Envoy writes them unescaped.
fn next_tok(line: &[u8], mut pos: usize) -> Option<(Tok, usize)> {
    while line.get(pos) == Some(&b' ') {
        pos += 1;
    }
    if pos >= line.len() {
        return None;
    }
    let open = if line[pos] == b'"' {
        1
    } else if line[pos..].starts_with(CURLY_OPEN) {
        CURLY_OPEN.len()
    } else {
        0
    };
    #[allow(clippy::cast_possible_truncation)] // lines are capped far below 4 GiB
    let tok = |s: usize, e: usize, quoted| Tok { start: s as u32, end: e as u32, quoted };
    if open == 0 {
        let end = find_byte(b' ', &line[pos..]).map_or(line.len(), |i| pos + i);
        return Some((tok(pos, end, false), end));
    }
    let start = pos + open;
    let mut from = start;
    loop {
        // A straight quote closes a straight one; a curly opening may close either way.
        let found = if open == 1 {
            find_byte(b'"', &line[from..])
        } else {
            memchr::memchr2(b'"', CURLY_CLOSE[0], &line[from..])
        };
        let Some(i) = found else {
            return Some((tok(start, line.len(), true), line.len()));
        };
        let at = from + i;
        let close = if line[at] == b'"' {
            1
        } else if line[at..].starts_with(CURLY_CLOSE) {
            CURLY_CLOSE.len()
        } else {
            from = at + 1;
            continue;
        };
        let after = at + close;
        if after == line.len() || line[after] == b' ' {
            return Some((tok(start, at, true), after));
        }
        from = at + 1;
    }
}

/// Every field from `pos` on into `toks` (as [`next_tok`] reads them, one pass, the common
/// straight quotes inline): how many.
#[inline]
fn tokenize(line: &[u8], mut p: usize, toks: &mut [Tok; MAX_TOKS]) -> usize {
    #[allow(clippy::cast_possible_truncation)] // lines are capped far below 4 GiB
    let at = |s: usize, e: usize, quoted| Tok { start: s as u32, end: e as u32, quoted };
    let len = line.len();
    let mut n = 0;
    while n < MAX_TOKS && p < len {
        match line[p] {
            b' ' => {
                p += 1;
                continue;
            }
            b'"' => {
                let start = p + 1;
                let mut from = start;
                let end = loop {
                    match find_byte(b'"', &line[from..]) {
                        None => break len,
                        Some(i) if from + i + 1 >= len || line[from + i + 1] == b' ' => break from + i,
                        Some(i) => from += i + 1,
                    }
                };
                toks[n] = at(start, end, true);
                p = end + 1;
            }
            0xE2 => {
                // Possibly a curly quote: the general reader.
                let Some((t, after)) = next_tok(line, p) else { break };
                toks[n] = t;
                p = after;
            }
            _ => {
                let end = find_byte(b' ', &line[p..]).map_or(len, |i| p + i);
                toks[n] = at(p, end, false);
                p = end;
            }
        }
        n += 1;
    }
    n
}

fn digits(v: &[u8]) -> bool {
    !v.is_empty() && v.iter().all(u8::is_ascii_digit)
}

/// `10.0.0.1:80`, `[::1]:80`, `tcp://10.0.0.1:80`, `unix://…`: an upstream host as Envoy logs it.
fn looks_like_host(v: &[u8]) -> bool {
    let v = v.strip_prefix(b"tcp://").unwrap_or(v);
    v.starts_with(b"unix:")
        || v.first() == Some(&b'[')
        || (v.contains(&b':') && v.iter().all(|b| b.is_ascii_hexdigit() || matches!(b, b'.' | b':')))
}

/// What a text line turned out to be.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Shape {
    /// Istio's layout: the Mixer status slot, or cluster and addresses after the quoted fields.
    pub istio: bool,
}

/// An Envoy or Istio text line in any of the layouts in this module's header.
pub fn parse_text<'a>(line: &'a [u8], obs: &mut Observation<'a>) -> Result<Shape, BadLine> {
    // Emissary-ingress (Ambassador) writes its default format behind `ACCESS `.
    let mut p = usize::from(line.starts_with(b"ACCESS [")) * 7;
    // No time at all: people trim `[%START_TIME%] ` off the lines they paste, and some docs print
    // them so. The request quote then opens the line, and the fields after it must still read.
    let timeless = line.first() == Some(&b'"');
    if timeless {
        p = 0;
    } else if line.get(p) == Some(&b'[') {
        let close = find_byte(b']', &line[p..]).ok_or(BadLine::Mismatch)? + p;
        let when = &line[p + 1..close];
        obs.time_raw = when;
        obs.time_ms = time::parse_iso(when).or_else(|| time::parse_any(when));
        p = close + 1;
    } else {
        // `%START_TIME% "%REQ(:METHOD)% …"`: a format that dropped the brackets; the time must
        // then be one, and the request follow it.
        let sp = find_byte(b' ', line).ok_or(BadLine::Mismatch)?;
        obs.time_ms = Some(time::parse_iso(&line[..sp]).ok_or(BadLine::Mismatch)?);
        obs.time_raw = &line[..sp];
        if line.get(sp + 1) != Some(&b'"') {
            return Err(BadLine::Mismatch);
        }
        p = sp;
    }
    if !timeless && line.get(p) != Some(&b' ') {
        return Err(BadLine::Mismatch);
    }
    let mut fields = Fields::default();
    let Some((mut first, mut after)) = next_tok(line, p) else { return Err(BadLine::Mismatch) };
    // A word between the time and the request: Kuma's mesh name (`[%START_TIME%] %KUMA_MESH%
    // "%REQ(:METHOD)% …`), a listener name in hand-written formats.
    let mut words = 0;
    while !first.quoted && words < 2 && !line[first.start as usize..first.end as usize].contains(&b'=') {
        (first, after) = next_tok(line, after).ok_or(BadLine::Mismatch)?;
        words += 1;
    }
    if !first.quoted {
        // `[time] key=value …`: no request quote at all.
        parse_pairs(line, p, obs, &mut fields)?;
        fields.apply(obs);
        return Ok(Shape::default());
    }
    read_request(&line[first.start as usize..first.end as usize], obs);
    p = after;
    let Some((status, after)) = next_tok(line, p) else { return Err(BadLine::Mismatch) };
    let status_v = &line[status.start as usize..status.end as usize];
    if status.quoted {
        return Err(BadLine::Mismatch);
    }
    if status_v.contains(&b'=') {
        parse_pairs(line, p, obs, &mut fields)?;
        fields.apply(obs);
        return Ok(Shape::default());
    }
    obs.status = parse_u16(status_v);
    if obs.status.is_none() && status_v != b"-" {
        return Err(if status_v.iter().any(u8::is_ascii_digit) { BadLine::BadStatus } else { BadLine::Mismatch });
    }
    p = after;
    let Some((flags, after)) = next_tok(line, p) else { return Err(BadLine::Mismatch) };
    let flags_v = &line[flags.start as usize..flags.end as usize];
    if flags.quoted {
        return Err(BadLine::Mismatch);
    }
    if flags_v.contains(&b'=') {
        // `… 501 retry_attempts=1 flags=- details=via_upstream`
        parse_pairs(line, p, obs, &mut fields)?;
        fields.apply(obs);
        return Ok(Shape::default());
    }
    if !(flags_v == b"-" || flags_v.iter().all(|b| b.is_ascii_alphabetic() || *b == b',')) {
        return Err(BadLine::Mismatch);
    }
    fields.flags = flags_v;
    let shape = read_positional(line, after, obs, &mut fields, words > 0)?;
    fields.apply(obs);
    Ok(shape)
}

/// `GET /x HTTP/1.1`, or `- - -` (a TCP proxy line), or `- - HTTP/1.1` (a request Envoy could not
/// parse).
fn read_request<'a>(v: &'a [u8], obs: &mut Observation<'a>) {
    let (method, target) = scan::request_line(v);
    obs.method = if method == b"-" { b"" } else { method };
    obs.target = if target == b"-" || target == b"- -" { b"" } else { target };
}

/// The fields after the flags, in one of the positional layouts.
fn read_positional<'a>(
    line: &'a [u8],
    p: usize,
    obs: &mut Observation<'a>,
    fields: &mut Fields<'a>,
    kuma: bool,
) -> Result<Shape, BadLine> {
    let mut toks = [Tok::default(); MAX_TOKS];
    let n = tokenize(line, p, &mut toks);
    let toks = &toks[..n];
    let v = |t: &Tok| &line[t.start as usize..t.end as usize];
    let number = |t: &Tok| !t.quoted && digits(v(t));
    // The counters: bytes received, bytes sent, duration (and the upstream service time, `-` when
    // no headers came back). What stands before them is details / Mixer status / transport failure.
    let run = (0..=5.min(n.saturating_sub(3)))
        .find(|&i| number(&toks[i]) && number(&toks[i + 1]) && number(&toks[i + 2]))
        .ok_or(BadLine::Mismatch)?;
    let mut shape = Shape::default();
    let mut bare = 0;
    for (i, t) in toks[..run].iter().enumerate() {
        match (t.quoted, i) {
            // Istio ≤ 1.8: `"%DYNAMIC_METADATA(istio.mixer:status)%"` right after the flags.
            (true, 0) => {
                fields.mixer = v(t);
                shape.istio = true;
            }
            (true, _) => fields.transport = v(t),
            (false, _) => {
                if bare == 0 {
                    fields.details = v(t);
                }
                bare += 1;
            }
        }
    }
    obs.bytes_sent = parse_u64(v(&toks[run + 1]));
    obs.request_time = parse_u64(v(&toks[run + 2])).map(|ms| ms as f64 / 1000.0);
    let mut q = run + 3;
    if let Some(t) = toks.get(q).filter(|t| !t.quoted && (digits(v(t)) || v(t) == b"-")) {
        fields.upstream_time = Some(v(t));
        q += 1;
    }
    let quoted = toks[q..].iter().take_while(|t| t.quoted).count();
    let h = |i: usize| v(&toks[q + i]);
    if kuma && quoted >= 8 {
        // Kuma: `… "ID" "AUTHORITY" "SOURCE_SERVICE" "DESTINATION_SERVICE" "SOURCE_ADDRESS"
        // "UPSTREAM_HOST"` (a trace id before the request id since Kuma 1.x).
        obs.request_id = h(quoted - 6);
        obs.host = h(quoted - 5);
        obs.upstream.addr = h(quoted - 1);
    } else if quoted >= 5 {
        if quoted <= 6 {
            obs.request_id = h(2);
            obs.host = h(3);
        }
        // The upstream host is the fifth quoted field; formats that add quoted headers after it
        // put the host last, and some add the transport failure reason after it.
        let host = if !looks_like_host(h(4)) && looks_like_host(h(quoted - 1)) { h(quoted - 1) } else { h(4) };
        obs.upstream.addr = host.strip_prefix(b"tcp://").unwrap_or(host);
        if quoted == 6 && fields.transport.is_empty() && !looks_like_host(h(5)) {
            fields.transport = h(5);
        }
    }
    // Istio: cluster, upstream local address, downstream local and remote addresses, SNI, route.
    let rest = &toks[q + quoted..];
    let trailing = rest.iter().take_while(|t| !t.quoted).count();
    if quoted >= 5 && trailing >= 1 {
        let cluster = v(&rest[0]);
        if trailing >= 5 || cluster.contains(&b'|') {
            shape.istio = true;
            obs.service = if is_dash(cluster) { b"" } else { cluster };
            if trailing >= 4 {
                obs.client = v(&rest[3]);
            }
        }
    }
    // Formats that put `%RESPONSE_CODE_DETAILS%` at the end: a word of Envoy's details vocabulary
    // among the fields after the quoted ones.
    if fields.details.is_empty() && !shape.istio {
        if let Some(t) = rest.iter().filter(|t| !t.quoted).map(v).find(|w| is_details_word(w)) {
            fields.details = t;
        }
    }
    Ok(shape)
}

/// A word Envoy writes in `%RESPONSE_CODE_DETAILS%` (and no other field looks like).
pub(crate) fn is_details_word(w: &[u8]) -> bool {
    w == b"via_upstream"
        || w.starts_with(b"upstream_reset_")
        || !matches!(details_said(w, Some(500), b""), Said::Unknown)
}

/// Whether an ASCII key equals `want` ignoring case and `-`/`_` (`user-agent`, `X-Request-Id`).
fn key_is(key: &[u8], want: &[u8]) -> bool {
    key.len() == want.len()
        && key.iter().zip(want).all(|(&k, &w)| {
            let k = if k == b'-' { b'_' } else { k.to_ascii_lowercase() };
            k == w
        })
}

fn key_in(key: &[u8], wants: &[&[u8]]) -> bool {
    wants.iter().any(|w| key_is(key, w))
}

/// `key=value` fields with Envoy's vocabulary, from `p` on: a status and flags or details are
/// needed for the line to count as Envoy's.
fn parse_pairs<'a>(line: &'a [u8], mut p: usize, obs: &mut Observation<'a>, f: &mut Fields<'a>) -> Result<(), BadLine> {
    let mut envoy = false;
    while let Some((t, after)) = next_tok(line, p) {
        p = after;
        let word = &line[t.start as usize..t.end as usize];
        let Some(eq) = memchr::memchr(b'=', word).filter(|_| !t.quoted) else { continue };
        let key = &word[..eq];
        let mut value = &word[eq + 1..];
        if value.first() == Some(&b'"') {
            // `key="a value with spaces"`
            let start = t.start as usize + eq + 2;
            let end = memchr::memchr(b'"', &line[start..]).map_or(line.len(), |i| start + i);
            value = &line[start..end];
            p = end + 1;
        }
        if key_in(key, &[b"status", b"response_code", b"code", b"status_code", b"responsecode"]) {
            obs.status = parse_u16(value);
        } else if key_in(key, &[b"flags", b"response_flags", b"response_flag", b"flag", b"responseflags"]) {
            f.flags = value;
            envoy = true;
        } else if key_in(key, &[b"details", b"response_code_details", b"status_details", b"code_details"]) {
            f.details = value;
            envoy = true;
        } else if key_in(key, &[b"upstream_transport_failure_reason", b"transport_failure_reason"]) {
            f.transport = value;
        } else if key_in(key, &[b"upstream", b"upstream_host", b"upstream_addr", b"upstream_address"]) {
            obs.upstream.addr = value.strip_prefix(b"tcp://").unwrap_or(value);
        } else if key_in(key, &[b"x_envoy_upstream_service_time", b"upstream_service_time"]) {
            f.upstream_time = Some(value);
        } else if key_in(key, &[b"method", b"request_method"]) {
            obs.method = value;
        } else if key_in(key, &[b"path", b"request", b"uri", b"request_path", b"x_envoy_original_path"]) {
            obs.target = value;
        } else if key_in(key, &[b"authority", b"host"]) {
            obs.host = value;
        } else if key_in(key, &[b"request_id", b"x_request_id", b"envoy_request_id"]) {
            obs.request_id = value;
        } else if key_in(key, &[b"upstream_cluster", b"cluster"]) {
            obs.service = value;
        } else if key_in(key, &[b"duration", b"duration_ms", b"total_time_ms"]) {
            obs.request_time = parse_u64(value).map(|ms| ms as f64 / 1000.0);
        }
    }
    if obs.status.is_none() || !envoy {
        return Err(BadLine::Mismatch);
    }
    Ok(())
}

/// An Envoy text line whose layout is Istio's (the `istio` format).
pub fn istio<'a>(line: &'a [u8], obs: &mut Observation<'a>) -> Result<(), BadLine> {
    match parse_text(line, obs)? {
        Shape { istio: true } => Ok(()),
        _ => Err(BadLine::Mismatch),
    }
}

/// Any Envoy text line (the `envoy` format).
pub fn envoy<'a>(line: &'a [u8], obs: &mut Observation<'a>) -> Result<(), BadLine> {
    parse_text(line, obs).map(|_| ())
}

/// Envoy's own application log, written to the same stdout as the access log:
/// `[2021-03-12 15:31:30.492][1][warning][runtime] [source/…] message` (time, thread, level).
pub fn is_app_log(line: &[u8]) -> bool {
    let Some(rest) = line.strip_prefix(b"[").and_then(|l| memchr::memchr(b']', l).map(|i| &l[i + 1..])) else {
        return false;
    };
    let Some(rest) = rest.strip_prefix(b"[") else { return false };
    let Some(close) = memchr::memchr(b']', rest) else { return false };
    if !digits(&rest[..close]) {
        return false;
    }
    let rest = &rest[close + 1..];
    [&b"[trace]"[..], b"[debug]", b"[info]", b"[warning]", b"[error]", b"[critical]"]
        .iter()
        .any(|l| rest.starts_with(l))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::attribute::{Cause, Context, attribute};
    use crate::formats::nginx::NginxFormat;
    use culprit_kb::GeneratedBy;

    fn attr(format: &str, line: &str) -> (Cause, GeneratedBy) {
        let f = NginxFormat::compile_envoy(format).unwrap();
        let mut obs = Observation::default();
        f.parse(line.as_bytes(), &mut obs).unwrap_or_else(|e| panic!("{e:?}: {line}"));
        let ctx = Context { synthesises_upstream_status: false, ..Context::default() };
        let a = attribute(&obs, &ctx).unwrap();
        (a.cause, a.generated_by)
    }

    /// Read by the template-free reader; the Envoy context.
    fn read(line: &str) -> (Option<u16>, Cause, GeneratedBy) {
        let mut obs = Observation::default();
        envoy(line.as_bytes(), &mut obs).unwrap_or_else(|e| panic!("{e:?}: {line}"));
        let ctx = crate::formats::Format::by_name("envoy").unwrap().context(None);
        let a = attribute(&obs, &ctx).unwrap();
        (obs.status, a.cause, a.generated_by)
    }

    #[test]
    fn istio_lines() {
        let i = ISTIO_DEFAULT;
        let uf = r#"[2022-06-09T16:06:06.942Z] "GET /hello HTTP/1.1" 503 UF upstream_reset_before_response_started{connection_failure,delayed_connect_error:_111} - "-" 0 145 0 - "-" "curl/7.68.0" "ffc1de9a-c7dd-9e0f-b62c-1c12b7a830ff" "10.32.13.107" "10.28.0.19:80" inbound|80|| - 10.28.0.19:80 10.28.0.1:9347 - default"#;
        assert_eq!(attr(i, uf), (Cause::UpstreamConnectionRefused, GeneratedBy::Proxy));
        assert_eq!(read(uf).1, Cause::UpstreamConnectionRefused);
        let nr = r#"[2022-06-09T02:39:01.400Z] "GET /asdf HTTP/1.1" 404 NR route_not_found - "-" 0 0 0 - "10.28.0.1" "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/102.0.0.0 Safari/537.36" "084d5dfb-4bc0-9b35-93c5-12c53d4b338f" "104.154.47.222" "-" - - 10.28.0.12:8080 10.28.0.1:1745 - -"#;
        assert_eq!(attr(i, nr).0, Cause::NoRoute);
        assert_eq!(read(nr).1, Cause::NoRoute);
        let ut = r#"[2022-07-20T12:35:56.198Z] "GET /reviews/0 HTTP/1.1" 504 UT upstream_response_timeout - "-" 0 24 500 - "-" "Mozilla/5.0" "7d15bcc7-284f-965c-9306-9ae81c27c8cb" "reviews:9080" "10.0.2.12:9080" outbound|9080|v2|reviews.default.svc.cluster.local 10.0.2.10:45648 10.4.11.161:9080 10.0.2.10:37026 - -"#;
        assert_eq!(attr(i, ut).0, Cause::UpstreamTimeout);
        assert_eq!(read(ut).1, Cause::UpstreamTimeout);
        let relayed = r#"[2022-08-28T01:25:55.173Z] "POST /orders HTTP/1.1" 504 - via_upstream - "-" 0 26 1058 1057 "10.10.10.217" "Mozilla/5.0" "b02ea4a2-b834-95a6-b5be-78db31fabf28" "orders" "10.10.10.229:80" inbound|80|| 127.0.0.6:47571 10.10.10.229:80 10.10.10.217:0 outbound_.80_._.orders.sock-shop.svc.cluster.local default"#;
        assert_eq!(attr(i, relayed), (Cause::AppGatewayTimeout, GeneratedBy::Upstream));
        assert_eq!(read(relayed).1, Cause::AppGatewayTimeout);
    }

    #[test]
    fn envoy_default_lines() {
        let e = ENVOY_DEFAULT;
        let ok = r#"[2016-04-15T20:17:00.310Z] "POST /api/v1/locations HTTP/2" 204 - 154 0 226 100 "10.0.35.28" "nsq2http" "cc21d9b0-cf5c-432b-8c7e-98aeb7988cd2" "locations" "tcp://10.0.2.1:80""#;
        assert_eq!(attr(e, ok).0, Cause::Ok);
        assert_eq!(read(ok), (Some(204), Cause::Ok, GeneratedBy::Upstream));
        let uo = r#"[2016-04-15T20:17:00.310Z] "GET /x HTTP/1.1" 503 UO 0 81 0 - "-" "curl" "id" "svc" "-""#;
        assert_eq!(attr(e, uo).0, Cause::CircuitOpen);
        assert_eq!(read(uo).1, Cause::CircuitOpen);
        let app500 =
            r#"[2016-04-15T20:17:00.310Z] "GET /x HTTP/1.1" 500 - 0 81 12 11 "-" "curl" "id" "svc" "10.0.0.1:80""#;
        assert_eq!(attr(e, app500), (Cause::AppError, GeneratedBy::Upstream));
        assert_eq!(read(app500).1, Cause::AppError);
        let dc = r#"[2016-04-15T20:17:00.310Z] "GET /x HTTP/1.1" 0 DC 0 0 3000 - "-" "curl" "id" "svc" "10.0.0.1:80""#;
        assert_eq!(attr(e, dc).0, Cause::ClientClosedRequest);
        assert_eq!(read(dc).2, GeneratedBy::Client);
    }

    /// Each era's layout, from public lines (source per line): status, cause and layer.
    #[test]
    fn every_era_and_layout() {
        use Cause as C;
        use GeneratedBy::{Client, Proxy, Upstream};
        let cases: &[(&str, u16, Cause, GeneratedBy)] = &[
            // Istio 1.0/1.1 Mixer era: `"%DYNAMIC_METADATA(istio.mixer:status)%"` after the flags
            // (istio/istio#12280).
            (
                r#"[2019-03-06T09:31:27.354Z] "GET /status/418 HTTP/1.1" 418 - "-" 0 135 11 10 "-" "curl/7.60.0" "d209e46f-9ed5-9b61-bbdd-43e22662702a" "httpbin:8000" "172.30.146.73:80" outbound|8000||httpbin.default.svc.cluster.local - 172.21.13.94:8000 172.30.146.82:60290 -"#,
                418,
                C::AppClientError,
                Upstream,
            ),
            // Istio 1.5: Mixer status with spaces inside its own quotes, then the transport failure
            // (istio/istio#21002).
            (
                r#"[2020-02-06T22:35:02.595Z] "GET /ip HTTP/1.1" 503 UAEX ""UNAVAILABLE:upstream connect error or disconnect/reset before headers. reset reason: connection failure"" "-" 0 103 0 - "-" "curl/7.64.0" "38be4818-7f4b-46de-b259-4c0050fc0dbe" "httpbin:8000" "-" - - 10.40.8.24:80 10.40.8.25:53882 - -"#,
                503,
                C::AuthServiceFailed,
                Proxy,
            ),
            // Istio 0.8, Envoy's default layout; a gRPC call Envoy answered itself with HTTP 200
            // (istio/istio#6138).
            (
                r#"[2018-06-05T17:12:18.601Z] "POST /myapi/myStream HTTP/2" 200 UH 5 0 2 - "10.132.0.6" "grpc-csharp/1.10.0 grpc-c/6.0.0 (windows; chttp2; glamorous)" "7c3abadf-8b6b-9313-8076-7dccce3ba2a1" "app.domain.site" "-""#,
                200,
                C::NoLiveUpstreams,
                Proxy,
            ),
            // Istio 1.2x, `|` before the transport failure; EINVAL: a failed connection, how not said
            // (istio/istio#52886).
            (
                r#"[2024-08-27T20:00:10.142Z] "GET / HTTP/1.1" 503 UF upstream_reset_before_response_started{remote_connection_failure|delayed_connect_error:_Invalid_argument} - "delayed_connect_error:_Invalid_argument" 0 165 0 - "10.244.0.1" "curl/8.9.1" "58c0e2c6-fa7e-4a68-a4f1-3bae11113f7c" "172.18.0.101" "envoy://connect_originate/10.244.0.17:80" outbound|80||echo.default.svc.cluster.local - 10.244.0.7:8080 10.244.0.1:10858 - -"#,
                503,
                C::UpstreamConnectionRefused,
                Proxy,
            ),
            // A TCP session whose upstream TLS failed: status 0 is the proxy giving up, not a
            // client that left (istio/istio#52886).
            (
                r#"[2024-08-27T20:00:02.995Z] "- - -" 0 UF,URX - - "TLS_error:|67108971:RSA_routines:OPENSSL_internal:BLOCK_TYPE_IS_NOT_01|67109000:RSA_routines:OPENSSL_internal:PADDING_CHECK_FAILED|184549382:X.509_certificate_routines:OPENSSL_internal:public_key_routines|268435581:SSL_routines:OPENSSL_internal:CERTIFICATE_VERIFY_FAILED:TLS_error_end" 0 0 3 - "-" "-" "-" "-" "10.244.0.17:15008" connect_originate - 10.244.0.17:80 envoy://internal_client_address/ - -"#,
                0,
                C::UpstreamTlsFailed,
                Proxy,
            ),
            // The sidecar's own gRPC reply after a refused connection: HTTP 200 (istio/istio#39758)…
            (
                r#"[2022-07-03T06:20:43.573Z] "POST /inferences.Inferences/CreateInferences HTTP/2" 200 UF upstream_reset_before_response_started{connection_failure,delayed_connect_error:_111} - "-" 5 0 0 - "192.168.65.3" "grpc-python/1.47.0 grpc-c/25.0.0 (osx; chttp2)" "e5b64c5b-d5db-90d5-9ac7-05d94ebe910b" "kagent-default.example.com" "10.1.0.16:9000" inbound|9000|| - 10.1.0.16:9000 192.168.65.3:0 outbound_.80_._.grpc-kagent.default.svc.cluster.local default"#,
                200,
                C::UpstreamConnectionRefused,
                Proxy,
            ),
            // …which the gateway in front relays: `via_upstream` after retries (URX).
            (
                r#"[2022-07-03T06:20:43.568Z] "POST /inferences.Inferences/CreateInferences HTTP/2" 200 URX via_upstream - "-" 5 0 93 92 "192.168.65.3" "grpc-python/1.47.0 grpc-c/25.0.0 (osx; chttp2)" "e5b64c5b-d5db-90d5-9ac7-05d94ebe910b" "kagent-default.example.com" "10.1.0.16:9000" outbound|80||grpc-kagent.default.svc.cluster.local 10.1.0.8:48500 10.1.0.8:8080 192.168.65.3:55808 - -"#,
                200,
                C::Ok,
                Upstream,
            ),
            // RBAC denial at an egress gateway (istio.io egress docs).
            (
                r#"[2022-05-10T21:51:49.396Z] "HEAD / HTTP/2" 403 - rbac_access_denied_matched_policy[ns[istio-system]-policy[external-deny-developer-yahoo-com]-rule[0]] - "-" 0 0 0 - "10.100.0.6" "curl/7.83.0-DEV" "a503ba03-f09a-914d-85a4-995a0c1d5b16" "developer.yahoo.com" "-" outbound|443||developer.yahoo.com - 10.100.2.6:8080 10.100.0.6:58370 developer.yahoo.com -"#,
                403,
                C::ProxyAccessDenied,
                Proxy,
            ),
            // An HTTP/2 client reset before the response: status 0.
            (
                r#"[2024-06-02T13:24:57.930Z] "GET /resources/ik3tm/welcome/keycloak/img/favicon.ico HTTP/2" 0 - http2.remote_reset - "-" 0 0 0 - "192.168.0.24" "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:126.0) Gecko/20100101 Firefox/126.0" "9f69865b-eed1-409b-8c12-12436234a191" "auth.kubefrog.fr" "10.0.0.159:8080" outbound|80||keycloak.auth.svc.cluster.local 10.0.1.244:35794 10.0.1.244:8443 192.168.0.24:8459 auth.kubefrog.fr"#,
                0,
                C::ClientClosedRequest,
                Client,
            ),
            // Flags in Envoy's order, the client's last: with status 0 the client left first
            // (built from the default format).
            (
                r#"[2024-01-10T08:00:00.000Z] "GET /x HTTP/1.1" 0 UH,DC 0 0 12 - "-" "curl/8.5.0" "3f9d" "api.local" "-""#,
                0,
                C::ClientClosedRequest,
                Client,
            ),
            // Envoy custom layout with details after the flags (renuka-fernando/examples envoy/simple):
            // a WebSocket the upstream accepted, closed later by the client or an idle timeout.
            (
                r#"[2024-07-21T08:32:59.547Z] "GET /ws HTTP/1.1" 101 DC downstream_remote_disconnect 61 105 13342 - "-" "-" "e5248829-b318-443a-a763-e2460530f070" "localhost:8000" "192.168.5.2:8080""#,
                101,
                C::Ok,
                Upstream,
            ),
            (
                r#"[2024-07-21T09:11:33.481Z] "GET /ws HTTP/1.1" 101 SI stream_idle_timeout 100 154 413322 - "-" "-" "8a458ce2-bb8d-4e80-a305-f323bbab338f" "localhost:8000" "192.168.5.2:8080""#,
                101,
                C::Ok,
                Upstream,
            ),
            (
                r#"[2024-07-20T07:23:58.586Z] "GET /upstream-connection-failure/after-response HTTP/1.1" 200 UPE upstream_reset_after_response_started{protocol_error} 0 19 1006 0 "-" "curl/8.4.0" "84ef2354-e85c-4e90-bc6e-bb81d5dc70e8" "localhost:8000" "192.168.5.2:8080""#,
                200,
                C::UpstreamDiedMidResponse,
                Upstream,
            ),
            (
                r#"[2024-07-20T07:45:34.828Z] "GET /upstream-retry-exceeds?statusCode=500 HTTP/1.1" 500 URX via_upstream 0 680 59 59 "-" "curl/8.4.0" "0df38f52-08eb-4b67-a097-ece7427c7238" "localhost:8000" "192.168.48.2:8080""#,
                500,
                C::AppError,
                Upstream,
            ),
            (
                r#"[2024-07-20T07:05:54.173Z] "GET /gateway-timeout?delayMs=5000 HTTP/1.1" 504 UT response_timeout 0 24 4497 - "-" "curl/8.4.0" "6d67d674-2122-4a2d-b172-0be70c674371" "localhost:8000" "172.27.0.2:8080""#,
                504,
                C::UpstreamTimeout,
                Proxy,
            ),
            (
                r#"[2024-07-20T07:38:15.899Z] "GET /no-upstream-cluster HTTP/1.1" 503 NC cluster_not_found 0 0 0 - "-" "curl/8.4.0" "8a23b89d-1dcd-4f5c-ae55-58e79d74d8ca" "localhost:8000" "-""#,
                503,
                C::InvalidBackendRef,
                Proxy,
            ),
            // `key=value` with Envoy's vocabulary: a gRPC call timed out by Envoy, HTTP 200
            // (envoyproxy/envoy#9242).
            (
                r"[05/12/2019T16:14:53+0000 1575562493] method=POST authority=localhost:443 txId=- request=/StudentService/get alpn=HTTP/2 response_flag=UT ssl_protocol=TLSv1.3 ssl_cipher=TLS_AES_128_GCM_SHA256 status=200 status_details=upstream_response_timeout request_size=84 response_size=0 envoy_request_id=52220e61-e045-4dc7-bdc3-c8b5e77dd2ee user-agent=grpc-go/1.24.0 xFor=49.207.48.241 x-envoy-upstream-service-time=- total_time_ms=15001 upstream=127.0.0.1:7000",
                200,
                C::UpstreamTimeout,
                Proxy,
            ),
            (
                r#"[2025-09-27T01:14:05.930Z] "HEAD /status/503" 503 retry_attempts=4 flags=URX details=via_upstream"#,
                503,
                C::AppUnavailable,
                Upstream,
            ),
            // Envoy's default layout: the admin endpoint and a direct response answer without an
            // upstream (DataDog/integrations-core envoy tests; the Envoy handbook).
            (
                r#"[2021-03-12T09:11:51.592Z] "GET /server_info HTTP/1.1" 200 - 0 27805 1 - "64.145.79.247" "Datadog Agent/7.26.0" "d0000a1f-0000-4b42-0000-0000e13d78ca" "64.145.79.247:8001" "-""#,
                200,
                C::Ok,
                Proxy,
            ),
            (
                r#"[2021-11-01T21:09:42.717Z] "GET /test HTTP/1.1" 404 NR 0 0 0 - "-" "curl/7.64.0" "1acc3559-50eb-463c-ae21-686fe34abbe8" "localhost:10000" "-""#,
                404,
                C::NoRoute,
                Proxy,
            ),
            // Curly quotes from a paste, two spaces before the status (istio/istio#25906).
            (
                "[2020-07-27T18:10:57.252Z] \"GET /products/xxx HTTP/1.1\"  503 UH \"-\" \"-\" 0 19 0 - \"-\" \u{201c}xxx-1.5.0\u{201d} \"95b75970-03a3-4548-9440-d9eff293de97\" \"externalservice.com:30445\" \"-\" - - 10.0.31.98:30445 10.0.19.196:60416 - -",
                503,
                C::NoLiveUpstreams,
                Proxy,
            ),
        ];
        for (line, status, cause, by) in cases {
            assert_eq!(read(line), (Some(*status), *cause, *by), "{line}");
        }
    }

    /// Lines pasted without their `[%START_TIME%] ` (istio/istio#45802; an Istio workshop's
    /// ingress-gateway page prints them so): the flags and details still decide.
    #[test]
    fn lines_without_their_time() {
        let uc = r#""GET /v1/status HTTP/1.1" 503 UC upstream_reset_before_response_started{connection_termination} - "-" 0 95 0 - "10.90.16.220" "Apache-HttpClient/4.5.1 (Java/1.8.0_372)" "3a7cbcc1-af72-47fb-bbac-a7672951f50f" "health.abc.com" "10.80.47.192:8181" outbound|80||health-api.production.svc.cluster.local 10.80.45.233:37132 10.80.45.233:80 10.80.46.220:59375 - -"#;
        assert_eq!(read(uc), (Some(503), Cause::UpstreamClosedPrematurely, GeneratedBy::Proxy));
        let uh = r#""GET /productpage HTTP/1.1" 503 UH no_healthy_upstream - "-" 0 19 0 - "10.42.0.1" "curl/8.7.1" "c4c58af1-2066-4c45-affb-d1345d32fc66" "localhost" "-" outbound|9080||productpage.default.svc.cluster.local - 10.42.0.7:8080 10.42.0.1:60667 - -"#;
        assert_eq!(read(uh), (Some(503), Cause::NoLiveUpstreams, GeneratedBy::Proxy));
        // A quoted first field that is not followed by a status and flags is not Envoy's.
        assert!(envoy(br#""GET / HTTP/1.1" hello world"#, &mut Observation::default()).is_err());
    }

    /// Layouts built from each proxy's documented default format string (no public line found).
    #[test]
    fn documented_defaults_of_other_envoy_control_planes() {
        // Emissary-ingress: `ACCESS [%START_TIME%] …` (python/ambassador/envoy/v3/v3listener.py).
        let emissary = r#"ACCESS [2019-02-12T18:37:42.921Z] "GET /httpbin/ip HTTP/1.1" 200 - 0 43 217 216 "172.17.0.5" "curl/7.59.0" "c62ec130-6dee-4f3b-a52b-4f0d1312d89d" "httpbin.org" "52.87.35.92:80""#;
        assert_eq!(read(emissary), (Some(200), Cause::Ok, GeneratedBy::Upstream));
        // A custom format that dropped the brackets around %START_TIME%.
        let bare = r#"2024-01-10T08:00:00.000Z "GET /x HTTP/1.1" 503 UF 0 91 2 - "-" "curl/8.5.0" "3f9d" "api.local" "10.0.0.7:8080""#;
        assert_eq!(read(bare), (Some(503), Cause::UpstreamConnectionRefused, GeneratedBy::Proxy));
        // Kuma: the mesh name before the request, source/destination services before the host
        // (kumahq/kuma pkg/plugins/policies/meshaccesslog defaultHttpAccessLogFormat).
        let kuma = r#"[2023-05-02T10:11:12.345Z] default "GET /api HTTP/1.1" 503 UF 0 91 1 - "-" "curl/8.0.1" "-" "b05ff45f-a3a0-4b61-9d3a-5b2b14bb2d1e" "backend:3001" "web_default_svc_8080" "backend_default_svc_3001" "10.244.0.12" "10.244.0.14:3001""#;
        let mut obs = Observation::default();
        envoy(kuma.as_bytes(), &mut obs).unwrap();
        assert_eq!((obs.upstream.addr, obs.host), (&b"10.244.0.14:3001"[..], &b"backend:3001"[..]));
        assert_eq!(read(kuma).1, Cause::UpstreamConnectionRefused);
    }

    #[test]
    fn shapes_fields_and_what_is_not_envoy() {
        let istio = r#"[2022-09-01T13:08:55.358Z] "GET /productpage HTTP/1.1" 0 DC downstream_remote_disconnect - "-" 0 0 746 - "10.128.0.60" "Mozilla/5.0" "2dc64af2-bd13-9962-819e-0b72064e7909" "35.232.196.88" "10.124.1.6:9080" inbound|9080|| 127.0.0.6:38601 10.124.1.6:9080 10.128.0.60:0 outbound_.9080_._.productpage.default.svc.cluster.local default"#;
        let mut obs = Observation::default();
        assert_eq!(parse_text(istio.as_bytes(), &mut obs), Ok(Shape { istio: true }));
        assert_eq!(obs.service, b"inbound|9080||");
        assert_eq!(obs.client, b"10.128.0.60:0");
        assert_eq!((obs.method, obs.target, obs.host), (&b"GET"[..], &b"/productpage"[..], &b"35.232.196.88"[..]));
        assert_eq!(obs.request_time, Some(0.746));
        assert_eq!(obs.time_ms, Some(1_662_037_735_358));
        let plain = r#"[2016-04-15T20:17:00.310Z] "GET /x HTTP/1.1" 503 UO 0 81 0 - "-" "curl" "id" "svc" "-""#;
        assert!(istio_reader_rejects(plain));
        // A TCP session that ended without a flag: status 0, but no client that left.
        let tcp = r#"[2024-05-28T18:42:53.929Z] "- - -" 0 - - - "-" 1024 2048 30000 - "-" "-" "-" "-" "100.72.2.95:7801" InboundPassthroughClusterIpv4 - 100.72.2.95:7801 100.72.9.97:33948 - -"#;
        assert_eq!(read(tcp), (Some(0), Cause::Ok, GeneratedBy::Upstream), "a TCP session that went through");
        for other in [
            r#"10.0.0.1 - - [08/Mar/2023:16:02:45 +0000] "GET / HTTP/1.1" 200 5 "-" "curl/8""#,
            r#"[08/Mar/2023:16:02:45 +0000] "GET / HTTP/1.1" 200 512 "-" "curl/8" 0.003"#,
            r"[2021-03-12 15:31:30.492][1][warning][runtime] [source/common/runtime/runtime_features.cc:31] Unable to use runtime singleton for feature envoy.http.headermap.lazy_map_min_size",
            "",
            "[",
            "[x] \"",
        ] {
            assert!(envoy(other.as_bytes(), &mut Observation::default()).is_err(), "{other}");
        }
        assert!(is_app_log(b"[2021-03-12 15:31:30.492][1][warning][runtime] [source/common/runtime/runtime_features.cc:31] Unable to use runtime singleton"));
        assert!(!is_app_log(istio.as_bytes()));
    }

    /// `%RESPONSE_CODE_DETAILS%` written after the headers (built from such a format string):
    /// the details word is found where it stands.
    #[test]
    fn details_at_the_end_of_a_custom_layout() {
        let line = r#"[2024-01-10T08:00:00.000Z] "GET /x HTTP/1.1" 503 - 0 91 2 - "-" "curl/8.5.0" "3f9d" "api.local" "10.0.0.7:8080" upstream_reset_before_response_started{connection_termination}"#;
        assert_eq!(read(line), (Some(503), Cause::UpstreamClosedPrematurely, GeneratedBy::Proxy));
        let relayed = r#"[2024-01-10T08:00:00.000Z] "GET /x HTTP/1.1" 503 - 0 91 2 - "-" "curl/8.5.0" "3f9d" "api.local" "10.0.0.7:8080" via_upstream"#;
        assert_eq!(read(relayed), (Some(503), Cause::AppUnavailable, GeneratedBy::Upstream));
        // A Gateway API rule without a valid backend: the gateway's own 500.
        let no_backend = r#"[2024-01-10T08:00:00.000Z] "GET /x HTTP/1.1" 500 - direct_response 0 0 0 - "-" "curl/8.5.0" "3f9d" "api.local" "-""#;
        assert_eq!(read(no_backend), (Some(500), Cause::InvalidBackendRef, GeneratedBy::Proxy));
        let redirect = r#"[2024-01-10T08:00:00.000Z] "GET /x HTTP/1.1" 301 - direct_response 0 0 0 - "-" "curl/8.5.0" "3f9d" "api.local" "-""#;
        assert_eq!(read(redirect), (Some(301), Cause::ProxyRedirect, GeneratedBy::Proxy));
    }

    fn istio_reader_rejects(line: &str) -> bool {
        istio(line.as_bytes(), &mut Observation::default()).is_err()
    }
}
