//! `culprit cluster`: the seeds' debugging chain run over Kubernetes objects — which link between
//! Ingress, Service, endpoints and Pods is broken, and which status code a client gets for it.
//! Objects come from `kubectl get -o json|yaml` dumps ([`snapshot`]) or live through the
//! kubeconfig ([`live`], read-only).

pub mod checks;
pub mod events;
pub mod gateway;
pub mod live;
pub mod logs_join;
pub mod route;
pub mod snapshot;

use culprit_kb::Finding;

/// The command that dumps every kind culprit reads, for `--from` and `logs --cluster`. The README
/// and `--help` print it, and messages suggest it; a test keeps them in one voice.
pub const DUMP_COMMAND: &str = "kubectl get ingresses,ingressclasses,services,endpoints,endpointslices,pods,\
deployments,hpa,networkpolicies,nodes,events -A -o json > snapshot.json";

pub const ROUTE_SCHEMA: &str = "culprit.cluster.route/1";
pub const CHECK_SCHEMA: &str = "culprit.cluster.check/1";

/// What was read, for the reports.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Source {
    /// The dump files or directories, or `live (…)`.
    pub from: Vec<String>,
    pub objects: usize,
    /// Objects or files that could not be read (named), skipped.
    pub problems: Vec<String>,
}

impl Source {
    pub fn of(paths: &[std::path::PathBuf], s: &snapshot::Snapshot) -> Source {
        Source {
            from: paths.iter().map(|p| p.display().to_string()).collect(),
            objects: s.object_count(),
            problems: s.problems.clone(),
        }
    }
}

/// `culprit cluster route --json`.
#[derive(Debug, Clone, serde::Serialize)]
pub struct RouteReport {
    pub schema: &'static str,
    pub source: Source,
    #[serde(flatten)]
    pub trace: route::Trace,
}

/// `culprit cluster check --json`.
#[derive(Debug, Clone, serde::Serialize)]
pub struct CheckReport {
    pub schema: &'static str,
    pub source: Source,
    pub namespace: Option<String>,
    pub findings: Vec<Finding>,
}
