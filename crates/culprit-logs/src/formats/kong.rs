//! Kong Gateway's proxy access log (`kong_log_format`, Kong ≥ 3.5): nginx `combined` plus
//! `kong_request_id: "…"`. The line has no upstream fields; what tells Kong's own answers apart
//! is their body: Kong answers errors with a short JSON message of a fixed size
//! (`kong/error_handlers.lua`, `kong/pdk/response.lua`): `{"message":"…"}` (Kong ≤ 2.x),
//! `{\n  "message":"…"\n}` (3.0–3.4) or `{\n  "message":"…",\n  "request_id":"<32 hex>"\n}`
//! (3.5+). A 502 of 126 bytes is Kong's "An invalid response was received from the upstream
//! server", never the service's. Kong's error log is nginx's (`server: kong`), joined like it: it
//! says why.

use super::nginx::{KONG, NginxFormat};
use crate::observation::{Observation, Signal};
use std::sync::LazyLock;

static TEMPLATE: LazyLock<NginxFormat> =
    LazyLock::new(|| NginxFormat::compile(KONG).expect("Kong's log format compiles"));

/// Kong's own error messages by status, with the body sizes of the three JSON layouts and what
/// each stands for.
const OWN_ANSWERS: &[(u16, &str, Signal)] = &[
    // Written after a failed exchange with the service (refused, reset, TLS, invalid header):
    // which one, only the error log says.
    (502, "An invalid response was received from the upstream server", Signal::UpstreamConnectFailed),
    (503, "The upstream server is currently unavailable", Signal::NoLiveUpstreams),
    (503, "failure to get a peer from the ring-balancer", Signal::NoLiveUpstreams),
    (503, "name resolution failed", Signal::UpstreamDnsFailed),
    (504, "The upstream server is timing out", Signal::UpstreamReadTimeout),
    (500, "An unexpected error occurred", Signal::ProxyError),
    (404, "no Route matched with those values", Signal::NoRoute),
];

/// The body sizes of `message` in Kong's three JSON layouts.
fn sizes(message: &str) -> [u64; 3] {
    let m = message.len() as u64;
    // {"message":"…"} / {\n  "message":"…"\n} / {\n  "message":"…",\n  "request_id":"<32>"\n}
    [m + 14, m + 18, m + 15 + 19 + 32 + 3]
}

pub fn parse<'a>(line: &'a [u8], obs: &mut Observation<'a>) -> Result<(), super::BadLine> {
    TEMPLATE.parse(line, obs).map_err(|e| match e {
        super::nginx::LineError::Status => super::BadLine::BadStatus,
        _ => super::BadLine::Mismatch,
    })?;
    let (Some(status), Some(bytes)) = (obs.status, obs.bytes_sent) else { return Ok(()) };
    if let Some(&(_, message, signal)) = OWN_ANSWERS.iter().find(|(s, m, _)| *s == status && sizes(m).contains(&bytes))
    {
        obs.signals.set(signal);
        obs.detail = message.as_bytes();
        obs.detail_source = "Kong's own error body (by its size)";
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::attribute::{Cause, attribute};
    use culprit_kb::GeneratedBy;

    fn judge(line: &str) -> (Cause, GeneratedBy) {
        crate::formats::judged("kong", line)
    }

    /// Kong's docs (kubernetes-ingress-controller verify-upstream-tls guide): the access line and
    /// the error line of one request.
    const ACCESS: &str = r#"192.168.194.1 - - [28/Nov/2024:18:04:05 +0000] "GET /echo HTTP/1.1" 502 126 "-" "curl/8.7.1" kong_request_id: "e2b3182856c96c23d61e880d0a28012f""#;
    const ERROR: &str = r#"2024/11/28 18:04:05 [error] 1280#0: *20004 upstream SSL certificate verify error: (20:unable to get local issuer certificate) while SSL handshaking to upstream, client: 192.168.194.1, server: kong, request: "GET /echo HTTP/1.1", upstream: "https://192.168.194.9:443/", host: "kong.example", request_id: "e2b3182856c96c23d61e880d0a28012f""#;

    #[test]
    fn kongs_own_bodies() {
        assert_eq!(sizes("An invalid response was received from the upstream server")[2], 126);
        // Kong #6624 (2.x): `503 36` is {"message":"name resolution failed"}; #4746: `500 42`.
        assert_eq!(sizes("name resolution failed")[0], 36);
        assert_eq!(sizes("An unexpected error occurred")[0], 42);
        assert_eq!(judge(ACCESS).1, GeneratedBy::Proxy);
        let mut obs = Observation::default();
        parse(ACCESS.as_bytes(), &mut obs).unwrap();
        assert_eq!(obs.request_id, b"e2b3182856c96c23d61e880d0a28012f");
        let app = ACCESS.replace(" 502 126 ", " 502 312 ");
        assert_eq!(judge(&app).1, GeneratedBy::Proxy, "a bare 502 stays the knowledge base's guess");
        let slow = ACCESS.replace(" 502 126 ", " 504 102 ");
        assert_eq!(judge(&slow), (Cause::UpstreamTimeout, GeneratedBy::Proxy));
        let ok = ACCESS.replace(" 502 126 ", " 200 126 ");
        assert_eq!(judge(&ok), (Cause::Ok, GeneratedBy::Upstream));
    }

    #[test]
    fn the_error_log_says_why() {
        let mut idx = crate::join::ErrorIndex::default();
        idx.add_line(ERROR.as_bytes());
        let mut obs = Observation::default();
        parse(ACCESS.as_bytes(), &mut obs).unwrap();
        assert!(idx.annotate(
            &mut obs,
            crate::join::JoinScope { sources: crate::join::JoinScope::ANY, has_upstream_fields: false }
        ));
        let ctx = crate::formats::Format::by_name("kong").unwrap().context(None);
        let a = attribute(&obs, &ctx).unwrap();
        assert_eq!((a.cause, a.generated_by), (Cause::UpstreamTlsFailed, GeneratedBy::Proxy));
    }
}
