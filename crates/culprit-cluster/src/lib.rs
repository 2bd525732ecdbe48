//! `culprit cluster`: the seeds' debugging chain run over Kubernetes objects — which link between
//! Ingress, Service, endpoints and Pods is broken, and which status code a client gets for it.
//! Objects come from `kubectl get -o json|yaml` dumps ([`snapshot`]) or live through the
//! kubeconfig ([`live`], read-only).
//!
//! Where things go, in the order they depend on each other (each uses only those before it):
//! - [`snapshot`] (with [`events`]): the objects read, by kind;
//! - [`query`]: lookups over the snapshot — object names, selectors, endpoints, pods by IP, Ingress
//!   rules and Gateway API routes for a URL, ingress-nginx's settings;
//! - [`checks`]: one file per family of objects, each a set of findings;
//! - [`route`]: the trace of one URL, which reports the checks' findings about the objects on it;
//! - [`logs_join`]: what the log report asks of a cluster (`culprit_kb::context::ClusterFacts`).

pub mod checks;
pub mod events;
pub mod live;
pub mod logs_join;
pub mod query;
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

#[cfg(test)]
mod source_rules {
    /// The modules depend one way: snapshot ← query ← checks ← route ← logs_join. A lookup needed
    /// by a check belongs in `query`, never in `route`.
    #[test]
    fn no_module_imports_one_that_depends_on_it() {
        let sources: &[(&str, &str, &[&str])] = &[
            ("snapshot.rs", include_str!("snapshot.rs"), &["query", "checks", "route", "logs_join", "live"]),
            ("events.rs", include_str!("events.rs"), &["query", "checks", "route", "logs_join", "live"]),
            ("query/mod.rs", include_str!("query/mod.rs"), &["checks", "route", "logs_join", "live"]),
            ("query/ingress.rs", include_str!("query/ingress.rs"), &["checks", "route", "logs_join", "live"]),
            ("query/gateway.rs", include_str!("query/gateway.rs"), &["checks", "route", "logs_join", "live"]),
            ("query/nginx.rs", include_str!("query/nginx.rs"), &["checks", "route", "logs_join", "live"]),
            ("checks/mod.rs", include_str!("checks/mod.rs"), &["route", "logs_join", "live"]),
            ("checks/ingress.rs", include_str!("checks/ingress.rs"), &["route", "logs_join", "live"]),
            ("checks/service.rs", include_str!("checks/service.rs"), &["route", "logs_join", "live"]),
            ("checks/rollout.rs", include_str!("checks/rollout.rs"), &["route", "logs_join", "live"]),
            ("checks/pods.rs", include_str!("checks/pods.rs"), &["route", "logs_join", "live"]),
            ("checks/autoscaling.rs", include_str!("checks/autoscaling.rs"), &["route", "logs_join", "live"]),
            ("checks/network_policy.rs", include_str!("checks/network_policy.rs"), &["route", "logs_join", "live"]),
            ("checks/gateway.rs", include_str!("checks/gateway.rs"), &["route", "logs_join", "live"]),
            ("checks/controller.rs", include_str!("checks/controller.rs"), &["route", "logs_join", "live"]),
            ("route.rs", include_str!("route.rs"), &["logs_join", "live"]),
        ];
        for (file, text, forbidden) in sources {
            for module in *forbidden {
                assert!(!text.contains(&format!("crate::{module}")), "{file} uses crate::{module}");
            }
        }
    }

    fn sources(dir: &std::path::Path, out: &mut Vec<(String, String)>) {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                sources(&path, out);
            } else if path.extension().is_some_and(|e| e == "rs") {
                out.push((path.display().to_string(), std::fs::read_to_string(&path).unwrap()));
            }
        }
    }

    /// Findings' words come from the knowledge base: every id the checks name is in findings.toml,
    /// and every finding there is reported by some check.
    #[test]
    fn finding_ids_and_the_knowledge_base_agree() {
        let mut files = Vec::new();
        sources(&std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src"), &mut files);
        // This file names the calls it looks for.
        files.retain(|(file, _)| !file.ends_with("lib.rs"));
        let kb = culprit_kb::kb();
        let mut named = Vec::new();
        for (file, text) in &files {
            for call in ["Finding::from_kb(", "Finding::from_kb_because("] {
                for (i, _) in text.match_indices(call) {
                    let rest = text[i + call.len()..].trim_start();
                    if let Some(literal) = rest.strip_prefix('"') {
                        let id = &literal[..literal.find('"').unwrap()];
                        assert!(kb.finding(id).is_some(), "{file}: finding {id} is not in findings.toml");
                        named.push(id.to_owned());
                    }
                }
            }
            assert!(
                !text.contains(&["Finding", "::new("].concat()),
                "{file}: a finding's words belong in findings.toml"
            );
        }
        for f in &kb.findings {
            let quoted = format!("\"{}\"", f.id);
            assert!(
                files.iter().any(|(_, text)| text.contains(&quoted)),
                "finding {} of findings.toml is reported by no check",
                f.id
            );
        }
        assert!(named.len() > 40, "{named:?}");
    }
}
