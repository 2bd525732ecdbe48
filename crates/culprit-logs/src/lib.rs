//! culprit's log engine (being built): reads proxy and load-balancer logs and attributes every
//! error to the layer that generated it, a cause from the knowledge base, and an owner.
//!
//! Shape (see DESIGN.md): sync, std threads, no tokio/clap/terminal code.
//! `formats/` parse bytes into [`Observation`]s; `attribute` turns observations into findings using
//! `culprit-kb`; `stats` aggregates mergeably and detects incidents.
//!
//! This crate currently defines the normalized observation the parsers will produce, so that the
//! parsers, the attribution and the lab can be built against one type.

use std::net::SocketAddr;

/// What one log line says about one request, independent of the format it came from.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Observation {
    /// Seconds since the Unix epoch (UTC), with sub-second precision where the format has it.
    pub time: Option<f64>,
    pub method: Option<String>,
    pub path: Option<String>,
    /// The status the client received (or the pseudo-status a proxy logs, e.g. nginx 499).
    pub status: Option<u16>,
    /// One entry per upstream attempt (retries), last one last.
    pub upstream: Vec<UpstreamAttempt>,
    /// Service / backend name: ingress-nginx `$proxy_upstream_name`, ALB target group, Envoy cluster.
    pub service: Option<String>,
    pub request_id: Option<String>,
    /// Total time the proxy spent, in seconds.
    pub request_time: Option<f64>,
    /// Normalized signals translated from each format's own flags and messages.
    pub signals: Vec<Signal>,
}

/// One attempt to reach an upstream.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct UpstreamAttempt {
    pub addr: Option<SocketAddr>,
    /// `None` when the proxy never got a status (logged as `-`).
    pub status: Option<u16>,
    pub response_time: Option<f64>,
    pub bytes: Option<u64>,
}

/// Format-independent facts that decide attribution.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Signal {
    UpstreamConnectRefused,
    UpstreamConnectTimeout,
    UpstreamTimedOut,
    UpstreamClosedPrematurely,
    UpstreamReset,
    UpstreamInvalidResponse,
    UpstreamHeaderTooBig,
    UpstreamTlsFailed,
    NoHealthyUpstream,
    NoEndpoints,
    CircuitOpen,
    ClientAborted,
    RateLimited,
    BodyTooLarge,
    NoRoute,
}
