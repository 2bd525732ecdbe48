//! What the traffic driver asks for, and what culprit must conclude about each request.
//!
//! Each [`Scenario`] is one failure mode (or healthy path) from the seed documents. The expected
//! diagnosis of a request ([`expect`]) is decided from the scenario, what the client saw and what the
//! backend recorded for its request id — never from the proxy's log, which is what culprit reads.

use culprit_kb::kb;

use crate::backend::Record;
use crate::proxy::ProxyKind;

/// One kind of request the driver sends.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Scenario {
    /// GET on the healthy shop service.
    Browse,
    /// POST that creates (201 with Location).
    Create,
    /// DELETE answered with 204.
    Delete,
    /// The shop application answers this status itself.
    AppStatus(u16),
    /// The checkout service: healthy, until its pod crashes during the incident phase.
    Checkout,
    /// The cart service: one dead and one live pod, so the proxy retries.
    Cart,
    /// The inventory service: every pod gone.
    Inventory,
    /// The search service: targetPort points at a port nothing listens on.
    Search,
    /// The reports service: slower than the proxy's read timeout.
    SlowReport,
    /// The legacy service resets the connection before answering.
    LegacyReset,
    /// The legacy service closes the connection without answering.
    LegacyClose,
    /// The legacy service answers with bytes that are not HTTP.
    LegacyGarbage,
    /// The legacy service answers with ~20 KiB of headers.
    LegacyBigHeaders,
    /// The legacy service dies half-way through the body.
    LegacyMidBody,
    /// A 2 MiB upload through a proxy that allows 1 MiB.
    Upload,
    /// The rate-limited API (5 requests/s).
    Api,
    /// A path no route matches.
    Unrouted,
    /// The application redirects to the other scheme (half of an HTTP↔HTTPS loop).
    RedirectFlip,
    /// The client hangs up before the (slow) answer.
    HangUp,
    /// A request line that is not HTTP.
    Malformed,
    /// A 20 KiB cookie.
    HugeHeader,
}

/// Application statuses the shop answers in the baseline.
pub const APP_STATUSES: [u16; 11] = [401, 403, 404, 405, 409, 415, 422, 429, 500, 502, 503];

impl Scenario {
    /// Every scenario with its share of baseline traffic (per mille, roughly).
    pub fn mix() -> Vec<(Scenario, u64)> {
        let mut mix = vec![
            (Scenario::Browse, 300),
            (Scenario::Create, 30),
            (Scenario::Delete, 20),
            (Scenario::Checkout, 260),
            (Scenario::Cart, 60),
            (Scenario::Inventory, 8),
            (Scenario::Search, 8),
            (Scenario::SlowReport, 6),
            (Scenario::LegacyReset, 6),
            (Scenario::LegacyClose, 6),
            (Scenario::LegacyGarbage, 6),
            (Scenario::LegacyBigHeaders, 6),
            (Scenario::LegacyMidBody, 6),
            (Scenario::Upload, 5),
            (Scenario::Api, 120),
            (Scenario::Unrouted, 15),
            (Scenario::RedirectFlip, 10),
            (Scenario::HangUp, 8),
            (Scenario::Malformed, 4),
            (Scenario::HugeHeader, 4),
        ];
        mix.extend(APP_STATUSES.iter().map(|&code| (Scenario::AppStatus(code), 6)));
        mix
    }

    /// Method and path; `n` varies ids in the path, `id` is the request id.
    pub fn target(self, n: u64, id: &str) -> (&'static str, String) {
        match self {
            Scenario::Browse | Scenario::HugeHeader => ("GET", format!("/shop/items/{n}")),
            Scenario::Create => ("POST", "/shop/orders".into()),
            Scenario::Delete => ("DELETE", format!("/shop/items/{n}")),
            Scenario::AppStatus(code) => ("GET", format!("/shop/status/{code}")),
            Scenario::Checkout => ("GET", format!("/checkout/cart/{n}")),
            Scenario::Cart => ("GET", format!("/cart/items/{n}")),
            Scenario::Inventory => ("GET", format!("/inventory/sku/{n}")),
            Scenario::Search => ("GET", format!("/search/query?q=item{n}")),
            Scenario::SlowReport => ("GET", "/reports/monthly/slow".into()),
            Scenario::LegacyReset => ("GET", "/legacy/reset".into()),
            Scenario::LegacyClose => ("GET", "/legacy/close".into()),
            Scenario::LegacyGarbage => ("GET", "/legacy/garbage".into()),
            Scenario::LegacyBigHeaders => ("GET", "/legacy/big-headers".into()),
            Scenario::LegacyMidBody => ("GET", "/legacy/midbody".into()),
            Scenario::Upload => ("POST", "/shop/upload".into()),
            Scenario::Api => ("GET", format!("/api/v1/things/{n}")),
            Scenario::Unrouted => ("GET", format!("/old-app/page/{n}")),
            Scenario::RedirectFlip => ("GET", "/shop/account/redirect-flip".into()),
            Scenario::HangUp => ("GET", "/shop/export/hang".into()),
            // The id rides in the path: no proxy can read headers after a broken request line.
            Scenario::Malformed => ("G@T", format!("/shop/malformed/{id}")),
        }
    }

    /// Request body size in bytes.
    pub fn body_len(self) -> usize {
        match self {
            Scenario::Create => 180,
            Scenario::Upload => 2 << 20,
            _ => 0,
        }
    }
}

/// What culprit must say about one request.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Expected {
    /// The status the proxy logs.
    pub status: u16,
    pub generated_by: &'static str,
    /// The cause; `alternative` is also accepted where the proxy's log cannot tell the two apart
    /// (the pair is documented where [`expect`] sets it).
    pub cause: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub alternative: Option<&'static str>,
    /// Who looks first, from the knowledge base's entry for `cause`.
    pub owner: &'static str,
}

/// What the client saw.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct Observed {
    /// The status line's code; `None` when no HTTP response arrived (hang-up, garbage, reset).
    pub status: Option<u16>,
    /// Body bytes received.
    pub body_bytes: usize,
    /// True when the body was shorter than its Content-Length (the connection died).
    pub truncated: bool,
    /// A transport error, if any (`connection reset`, `timed out`…).
    pub error: Option<String>,
    /// How much later than planned the request was sent, in ms (a busy machine falls behind).
    pub late_ms: u64,
}

/// The diagnosis culprit must give for a request of `scenario` through `proxy`, given what the
/// client observed and the backend's record for its id (`None`: no backend ever saw it).
///
/// `None` when the outcome is not a fixed fact of the setup (e.g. the driver got no answer at all
/// where one was due); the test reports those separately.
pub fn expect(proxy: ProxyKind, scenario: Scenario, observed: &Observed, record: Option<&Record>) -> Option<Expected> {
    use ProxyKind::{Apache, Caddy, Haproxy, Nginx, Varnish};
    let seen = record.is_some();
    if proxy == Varnish {
        return varnish_view(scenario, observed, seen);
    }
    // The status the proxy logs: what the client saw, except where nothing (or no HTTP) arrived.
    let status = match (scenario, proxy) {
        (Scenario::HangUp, Nginx) => 499,
        // Caddy logs a client hang-up with status 0; HAProxy waits for the server's answer and
        // logs it (without `option abortonclose`).
        (Scenario::HangUp, Caddy) => 0,
        (Scenario::HangUp, Haproxy | Apache) => 200,
        // nginx relays bytes that are not HTTP as an HTTP/0.9 answer and logs 009.
        (Scenario::LegacyGarbage, Nginx) => 9,
        _ => observed.status?,
    };
    // Go's net/http (inside Caddy) answers a broken request line with 400 before any handler
    // runs: Caddy's logs never see the request.
    if (scenario, proxy) == (Scenario::Malformed, Caddy) {
        return None;
    }
    let success = observed.status.is_some_and(|s| (200..300).contains(&s)) && !observed.truncated;
    let (generated_by, cause, alternative) = match (scenario, proxy) {
        // The proxy let through what this scenario tries to provoke (Caddy has no limit on
        // response or request header size worth the name): a plain success.
        (Scenario::LegacyBigHeaders | Scenario::HugeHeader | Scenario::Upload, _) if success && seen => {
            ("upstream", "ok", None)
        }
        // HAProxy (without `option abortonclose`) keeps waiting for the server after the client
        // left and logs the server's complete answer: nothing in its log shows the hang-up.
        // Apache (mod_proxy) too: it logs the backend's 200, 900 ms after the client left.
        (Scenario::HangUp, Haproxy | Apache) => ("upstream", "ok", Some("client_closed_request")),
        // Apache relays bytes that are not HTTP as an HTTP/0.9 answer with status 200 and writes
        // no error at warn: its logs cannot tell it from a success.
        (Scenario::LegacyGarbage, Apache) => ("upstream", "upstream_invalid_response", Some("ok")),
        // HAProxy logs a reset and a clean close before the headers alike (502 SH--).
        (Scenario::LegacyReset, Haproxy) => ("proxy", "upstream_connection_reset", Some("upstream_closed_prematurely")),
        (Scenario::LegacyClose, Haproxy) => ("proxy", "upstream_closed_prematurely", Some("upstream_connection_reset")),
        // HAProxy logs bytes that are not HTTP and oversized headers alike (502 PH--).
        (Scenario::LegacyGarbage, Haproxy) => ("proxy", "upstream_invalid_response", Some("upstream_header_too_big")),
        (Scenario::LegacyBigHeaders, Haproxy) => {
            ("proxy", "upstream_header_too_big", Some("upstream_invalid_response"))
        }
        // HAProxy logs a broken request line and headers over its buffer alike (400 PR-- <BADREQ>).
        (Scenario::Malformed, Haproxy) => ("proxy", "malformed_request", Some("header_too_large")),
        (Scenario::HugeHeader, Haproxy) => ("proxy", "header_too_large", Some("malformed_request")),
        _ => by_scenario(proxy, scenario, seen)?,
    };
    let owner = kb().cause(cause).map_or("unknown", |c| c.owner.id());
    Some(Expected { status, generated_by, cause, alternative, owner })
}

/// The diagnosis of a request in Varnish's log, Varnish being in front of the nginx: from Varnish's
/// side, whatever nginx answered (its own 502 as much as the application's 404) came from its
/// upstream; Varnish made only its cache hits, its VCL's synthetic answers, its refusals of a
/// client's request and its failed fetches. (The nginx log of the same run says why nginx
/// answered what it did.)
fn varnish_view(scenario: Scenario, observed: &Observed, seen: bool) -> Option<Expected> {
    let status = match scenario {
        // Varnish waits for the backend after the client left and logs its answer.
        Scenario::HangUp => 200,
        _ => observed.status?,
    };
    let success = (200..300).contains(&status) && !observed.truncated;
    let (generated_by, cause, alternative) = match scenario {
        // VCL answers the retired paths itself (synth) and sends /search/ to a dead origin.
        Scenario::Unrouted => ("proxy", "no_route", None),
        Scenario::Search => ("proxy", "upstream_connection_refused", None),
        // Headers over http_req_hdr_len: Varnish's own 400, logged without the request line.
        Scenario::HugeHeader => ("proxy", "header_too_large", Some("malformed_request")),
        Scenario::HangUp => ("upstream", "ok", Some("client_closed_request")),
        // The application's 404 page and the redirect are cached: later requests never reach
        // nginx.
        Scenario::AppStatus(404) | Scenario::RedirectFlip if !seen => {
            ("proxy", if status == 404 { "app_not_found" } else { "redirect" }, None)
        }
        // nginx cut the body short: Varnish delivers what it got (a 200, nothing marks it), or —
        // when the fetch failed before delivery — answers 503 itself; its log does not say how
        // the fetch failed (a refused connection looks the same).
        Scenario::LegacyMidBody if status == 503 => {
            ("proxy", "upstream_closed_prematurely", Some("upstream_connection_refused"))
        }
        Scenario::LegacyMidBody => ("upstream", "upstream_died_mid_response", Some("ok")),
        _ if success => ("upstream", "ok", None),
        _ if (300..400).contains(&status) => ("upstream", "redirect", None),
        // Everything else is what nginx sent: its own answers and the application's alike.
        _ => ("upstream", app_cause(status), None),
    };
    let owner = kb().cause(cause).map_or("unknown", |c| c.owner.id());
    Some(Expected { status, generated_by, cause, alternative, owner })
}

/// Who generated the status and why, where every proxy's log can tell.
fn by_scenario(
    proxy: ProxyKind,
    scenario: Scenario,
    seen: bool,
) -> Option<(&'static str, &'static str, Option<&'static str>)> {
    let upstream = |cause: &'static str| ("upstream", cause, None);
    let proxy_made = |cause: &'static str| ("proxy", cause, None);
    Some(match scenario {
        Scenario::Browse
        | Scenario::Create
        | Scenario::Delete
        | Scenario::Cart
        | Scenario::Checkout
        | Scenario::Api
            if seen =>
        {
            upstream("ok")
        }
        Scenario::AppStatus(code) if seen => upstream(app_cause(code)),
        Scenario::RedirectFlip if seen => upstream("redirect"),
        // nginx marks both pods down after the first refusals and then answers "no live upstreams"
        // without trying; which of the two a given request met depends on timing the client cannot
        // see, so both are accepted.
        Scenario::Inventory if proxy == ProxyKind::Nginx => {
            ("proxy", "no_live_upstreams", Some("upstream_connection_refused"))
        }
        Scenario::Checkout | Scenario::Search | Scenario::Inventory => proxy_made("upstream_connection_refused"),
        Scenario::Api => proxy_made("proxy_rate_limited"),
        Scenario::SlowReport => proxy_made("upstream_timeout"),
        Scenario::LegacyReset => proxy_made("upstream_connection_reset"),
        Scenario::LegacyClose => proxy_made("upstream_closed_prematurely"),
        Scenario::LegacyGarbage if proxy == ProxyKind::Nginx => upstream("upstream_invalid_response"),
        Scenario::LegacyGarbage => proxy_made("upstream_invalid_response"),
        Scenario::LegacyBigHeaders => proxy_made("upstream_header_too_big"),
        Scenario::LegacyMidBody => upstream("upstream_died_mid_response"),
        Scenario::Upload => proxy_made("body_too_large"),
        Scenario::Unrouted => proxy_made("no_route"),
        Scenario::HangUp => ("client", "client_closed_request", None),
        Scenario::Malformed => proxy_made("malformed_request"),
        Scenario::HugeHeader => proxy_made("header_too_large"),
        // A healthy service's request that never reached its backend: not a fact of the setup.
        _ => return None,
    })
}

/// The knowledge base's cause for an application answering `code` itself (culprit's
/// `Cause::app`).
fn app_cause(code: u16) -> &'static str {
    match code {
        400 | 422 => "app_bad_request",
        501 => "app_not_implemented",
        504 => "app_gateway_timeout",
        408 => "app_request_timeout",
        401 => "app_unauthenticated",
        403 => "app_forbidden",
        404 => "app_not_found",
        405 => "app_method_not_allowed",
        409 => "app_conflict",
        415 => "app_unsupported_media_type",
        429 => "app_rate_limited",
        502 => "app_bad_gateway",
        503 => "app_unavailable",
        500..=599 => "app_error",
        _ => "app_client_error",
    }
}
