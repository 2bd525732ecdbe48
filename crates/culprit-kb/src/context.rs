//! What another source knows about the names and addresses a log shows, as plain data, so the log
//! report can be built with it in one pass (never patched as text afterwards) and the log engine
//! needs no Kubernetes code: `culprit-cluster` implements [`ClusterFacts`] for a snapshot, the log
//! report asks it.

use serde::{Deserialize, Serialize};

use crate::finding::Finding;

/// A pod behind an upstream address.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PodFact {
    pub namespace: String,
    pub name: String,
    /// `pod default/checkout-7d9f8c6b5-x2k9p on node-1 (app restarted 6×, CrashLoopBackOff, last
    /// terminated OOMKilled at 14:02:05)`: what a headline says after the address.
    pub summary: String,
    /// What the pod's own state says, when it says something: `pod_crash_looping` for a pod that
    /// keeps restarting or was OOMKilled (the errors it causes are then the app's to fix too).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cause: Option<String>,
}

/// The Service behind a proxy's name for its upstream, and what the cluster checks say about it,
/// its pods and workloads.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ServiceFact {
    pub namespace: String,
    pub name: String,
    /// `Service/default/checkout (port 8080 → http): 2 of 3 endpoints ready`.
    pub summary: String,
    pub findings: Vec<Finding>,
}

/// The timeouts a proxy applies to one upstream, in seconds: what attribution compares durations
/// with (a 504 after the read timeout is the proxy giving up; after the connect timeout, the
/// connection never completed).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProxyTimeouts {
    pub connect: f64,
    pub read: f64,
}

/// Answers about cluster objects behind log names. Implemented by `culprit-cluster` for a
/// snapshot (a dump or the live API); `None` when the cluster has no such object.
pub trait ClusterFacts {
    /// The pod at an upstream address (`10.244.1.5:8080` or `10.244.1.5`).
    fn pod_at(&self, addr: &str) -> Option<PodFact>;
    /// The Service behind a proxy's upstream name (ingress-nginx `ns-svc-port`, Traefik
    /// `ns-svc-port@kubernetes`, Envoy `outbound|port||svc.ns.svc.cluster.local`, `ns/svc`).
    fn service_for(&self, log_name: &str) -> Option<ServiceFact>;
    /// The proxy timeouts configured for that upstream name (ingress annotations over the
    /// controller's ConfigMap), when the cluster sets any.
    fn proxy_timeouts(&self, log_name: &str) -> Option<ProxyTimeouts>;
    /// The request-body limit the proxy applies to that upstream name, in bytes (0: none), and
    /// where it comes from (`annotation proxy-body-size: 8m`, `the 1m default`).
    fn body_limit(&self, _log_name: &str) -> Option<(u64, String)> {
        None
    }
}
