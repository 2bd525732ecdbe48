//! Envoy and Istio access logs. The text formats compile with the same template machinery as
//! nginx's (`NginxFormat::compile_envoy`); this module holds the default formats and turns Envoy's
//! own vocabulary — `%RESPONSE_FLAGS%` (UF, UH, UO, UT, NR, DC…) and `%RESPONSE_CODE_DETAILS%`
//! (`via_upstream`, `upstream_reset_before_response_started{connection_failure,…}`) — into signals.

use crate::observation::{Observation, Signal};

/// Envoy's default access-log format.
pub const ENVOY_DEFAULT: &str = r#"[%START_TIME%] "%REQ(:METHOD)% %REQ(X-ENVOY-ORIGINAL-PATH?:PATH)% %PROTOCOL%" %RESPONSE_CODE% %RESPONSE_FLAGS% %BYTES_RECEIVED% %BYTES_SENT% %DURATION% %RESP(X-ENVOY-UPSTREAM-SERVICE-TIME)% "%REQ(X-FORWARDED-FOR)%" "%REQ(USER-AGENT)%" "%REQ(X-REQUEST-ID)%" "%REQ(:AUTHORITY)%" "%UPSTREAM_HOST%""#;
/// Istio's default text format (1.9+; `%UPSTREAM_CLUSTER%` in older releases parses the same).
pub const ISTIO_DEFAULT: &str = r#"[%START_TIME%] "%REQ(:METHOD)% %REQ(X-ENVOY-ORIGINAL-PATH?:PATH)% %PROTOCOL%" %RESPONSE_CODE% %RESPONSE_FLAGS% %RESPONSE_CODE_DETAILS% %CONNECTION_TERMINATION_DETAILS% "%UPSTREAM_TRANSPORT_FAILURE_REASON%" %BYTES_RECEIVED% %BYTES_SENT% %DURATION% %RESP(X-ENVOY-UPSTREAM-SERVICE-TIME)% "%REQ(X-FORWARDED-FOR)%" "%REQ(USER-AGENT)%" "%REQ(X-REQUEST-ID)%" "%REQ(:AUTHORITY)%" "%UPSTREAM_HOST%" %UPSTREAM_CLUSTER_RAW% %UPSTREAM_LOCAL_ADDRESS% %DOWNSTREAM_LOCAL_ADDRESS% %DOWNSTREAM_REMOTE_ADDRESS% %REQUESTED_SERVER_NAME% %ROUTE_NAME%"#;

/// The Envoy-specific fields of one line, before they are translated.
#[derive(Debug, Default, Clone, Copy)]
pub struct Fields<'a> {
    pub flags: &'a [u8],
    pub details: &'a [u8],
    pub transport: &'a [u8],
    /// `Some` when the format has the field; `-` when Envoy replied locally.
    pub upstream_time: Option<&'a [u8]>,
}

fn has(hay: &[u8], needle: &[u8]) -> bool {
    memchr::memmem::find(hay, needle).is_some()
}

fn set(obs: &mut Observation<'_>, s: Signal) {
    obs.signals.set(s);
}

impl<'a> Fields<'a> {
    /// Translate flags and details into signals and evidence; mark responses the upstream produced.
    pub fn apply(&self, obs: &mut Observation<'a>) {
        let flags = if self.flags == b"-" { &b""[..] } else { self.flags };
        let details = if self.details == b"-" { &b""[..] } else { self.details };
        let connect = |obs: &mut Observation<'a>| {
            let why = [details, self.transport];
            if why.iter().any(|w| has(w, b"timeout")) {
                set(obs, Signal::UpstreamConnectTimeout);
            } else if why.iter().any(|w| has(w, b"TLS") || has(w, b"SSL") || has(w, b"CERTIFICATE")) {
                set(obs, Signal::UpstreamTlsFailed);
            } else if why.iter().any(|w| has(w, b"_111") || has(w, b"refused")) {
                // `delayed_connect_error:_111`: errno 111, ECONNREFUSED.
                set(obs, Signal::UpstreamConnectRefused);
            } else if why.iter().any(|w| has(w, b"_104") || has(w, b"reset")) {
                set(obs, Signal::UpstreamReset);
            } else {
                // `UF` alone: a connection failure of some kind.
                set(obs, Signal::UpstreamConnectFailed);
            }
        };
        for flag in flags.split(|&b| b == b',').map(<[u8]>::trim_ascii) {
            match flag {
                b"UF" => connect(obs),
                b"UH" | b"LH" => set(obs, Signal::NoLiveUpstreams),
                b"UO" => set(obs, Signal::CircuitOpen),
                b"NR" => set(obs, Signal::NoRoute),
                b"NC" => set(obs, Signal::NoCluster),
                b"UT" | b"SI" => set(obs, Signal::UpstreamReadTimeout),
                b"UC" => set(obs, Signal::UpstreamClosedPrematurely),
                b"UR" | b"LR" => set(obs, Signal::UpstreamReset),
                b"UPE" => set(obs, Signal::UpstreamInvalidResponse),
                b"DC" => set(obs, Signal::ClientAborted),
                b"RL" => set(obs, Signal::RateLimited),
                b"UAEX" => set(obs, Signal::AccessDenied),
                b"IH" | b"DPE" => set(obs, Signal::InvalidRequest),
                b"OM" | b"DO" | b"UDO" => set(obs, Signal::Overloaded),
                b"DF" => set(obs, Signal::UpstreamDnsFailed),
                _ => {}
            }
        }
        // Details say more than flags (and are the only hint when no flag is set).
        if obs.signals.is_empty() && !details.is_empty() {
            if has(details, b"reset_after_response_started") {
                set(obs, Signal::UpstreamDiedMidResponse);
            } else if has(details, b"connection_failure") || has(details, b"delayed_connect_error") {
                connect(obs);
            } else if has(details, b"connection_termination") {
                set(obs, Signal::UpstreamClosedPrematurely);
            } else if has(details, b"remote_reset") || has(details, b"local_reset") {
                set(obs, Signal::UpstreamReset);
            } else if has(details, b"protocol_error") {
                set(obs, Signal::UpstreamInvalidResponse);
            } else if has(details, b"overflow") {
                set(obs, Signal::CircuitOpen);
            } else if has(details, b"no_healthy_upstream") {
                set(obs, Signal::NoLiveUpstreams);
            } else if has(details, b"route_not_found") {
                set(obs, Signal::NoRoute);
            } else if has(details, b"cluster_not_found") {
                set(obs, Signal::NoCluster);
            } else if has(details, b"upstream_response_timeout") || has(details, b"upstream_per_try_timeout") {
                set(obs, Signal::UpstreamReadTimeout);
            } else if has(details, b"downstream_remote_disconnect") {
                set(obs, Signal::ClientAborted);
            } else if has(details, b"rbac_access_denied") {
                set(obs, Signal::AccessDenied);
            } else if has(details, b"request_payload_too_large") {
                set(obs, Signal::BodyTooLarge);
            } else if has(details, b"headers_too_large") {
                set(obs, Signal::HeaderTooLarge);
            }
        }
        if !flags.is_empty() || !details.is_empty() {
            obs.detail = if flags.is_empty() { details } else { self.flags };
            obs.detail_source = if flags.is_empty() { "Envoy response code details" } else { "Envoy response flags" };
        }
        // No flag and the next hop answered: the status came from upstream.
        let answered = has(details, b"via_upstream") || self.upstream_time.is_some_and(|t| !t.is_empty() && t != b"-");
        if flags.is_empty() && answered {
            obs.upstream_answered = true;
        }
    }
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

    #[test]
    fn istio_lines() {
        let i = ISTIO_DEFAULT;
        let uf = r#"[2022-06-09T16:06:06.942Z] "GET /hello HTTP/1.1" 503 UF upstream_reset_before_response_started{connection_failure,delayed_connect_error:_111} - "-" 0 145 0 - "-" "curl/7.68.0" "ffc1de9a-c7dd-9e0f-b62c-1c12b7a830ff" "10.32.13.107" "10.28.0.19:80" inbound|80|| - 10.28.0.19:80 10.28.0.1:9347 - default"#;
        assert_eq!(attr(i, uf), (Cause::UpstreamConnectionRefused, GeneratedBy::Proxy));
        let nr = r#"[2022-06-09T02:39:01.400Z] "GET /asdf HTTP/1.1" 404 NR route_not_found - "-" 0 0 0 - "10.28.0.1" "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/102.0.0.0 Safari/537.36" "084d5dfb-4bc0-9b35-93c5-12c53d4b338f" "104.154.47.222" "-" - - 10.28.0.12:8080 10.28.0.1:1745 - -"#;
        assert_eq!(attr(i, nr).0, Cause::NoRoute);
        let ut = r#"[2022-07-20T12:35:56.198Z] "GET /reviews/0 HTTP/1.1" 504 UT upstream_response_timeout - "-" 0 24 500 - "-" "Mozilla/5.0" "7d15bcc7-284f-965c-9306-9ae81c27c8cb" "reviews:9080" "10.0.2.12:9080" outbound|9080|v2|reviews.default.svc.cluster.local 10.0.2.10:45648 10.4.11.161:9080 10.0.2.10:37026 - -"#;
        assert_eq!(attr(i, ut).0, Cause::UpstreamTimeout);
        let relayed = r#"[2022-08-28T01:25:55.173Z] "POST /orders HTTP/1.1" 504 - via_upstream - "-" 0 26 1058 1057 "10.10.10.217" "Mozilla/5.0" "b02ea4a2-b834-95a6-b5be-78db31fabf28" "orders" "10.10.10.229:80" inbound|80|| 127.0.0.6:47571 10.10.10.229:80 10.10.10.217:0 outbound_.80_._.orders.sock-shop.svc.cluster.local default"#;
        assert_eq!(attr(i, relayed), (Cause::AppGatewayTimeout, GeneratedBy::Upstream));
    }

    #[test]
    fn envoy_default_lines() {
        let e = ENVOY_DEFAULT;
        let ok = r#"[2016-04-15T20:17:00.310Z] "POST /api/v1/locations HTTP/2" 204 - 154 0 226 100 "10.0.35.28" "nsq2http" "cc21d9b0-cf5c-432b-8c7e-98aeb7988cd2" "locations" "tcp://10.0.2.1:80""#;
        assert_eq!(attr(e, ok).0, Cause::Ok);
        let uo = r#"[2016-04-15T20:17:00.310Z] "GET /x HTTP/1.1" 503 UO 0 81 0 - "-" "curl" "id" "svc" "-""#;
        assert_eq!(attr(e, uo).0, Cause::CircuitOpen);
        let app500 =
            r#"[2016-04-15T20:17:00.310Z] "GET /x HTTP/1.1" 500 - 0 81 12 11 "-" "curl" "id" "svc" "10.0.0.1:80""#;
        assert_eq!(attr(e, app500), (Cause::AppError, GeneratedBy::Upstream));
        let dc = r#"[2016-04-15T20:17:00.310Z] "GET /x HTTP/1.1" 0 DC 0 0 3000 - "-" "curl" "id" "svc" "10.0.0.1:80""#;
        assert_eq!(attr(e, dc).0, Cause::ClientClosedRequest);
    }
}
