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

/// The commands that dump every kind culprit reads into one file, for `--from` and
/// `logs --cluster` (two, so that each line fits a terminal; the JSON documents follow each other
/// in the file). The README and `--help` print them, and messages suggest them; a test keeps them
/// in one voice.
pub const DUMP_COMMAND: &str = "\
kubectl get ingress,ingressclass,svc,endpoints,endpointslices,pods -A -o json > snapshot.json
kubectl get deploy,hpa,networkpolicies,nodes,events -A -o json >> snapshot.json";

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
