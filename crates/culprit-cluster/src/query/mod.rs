//! Lookups over a snapshot, shared by the route trace and the checks: how objects are named in
//! findings, which pods a Service selects and which Deployments make them, a Service's endpoints,
//! pods by IP, and a pod's state in words. Ingress rules, Gateway API routes and ingress-nginx's
//! settings have their own files.

pub mod gateway;
pub mod ingress;
pub mod nginx;

use k8s_openapi::api::core::v1::{Pod, Service, ServicePort};
use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;

use crate::snapshot::Snapshot;

pub fn object(kind: &str, ns: Option<&str>, name: Option<&str>) -> String {
    format!("{kind}/{}/{}", ns.unwrap_or("default"), name.unwrap_or("?"))
}

/// A Service port by number or name.
pub fn service_port<'a>(svc: &'a Service, number: Option<i32>, name: Option<&str>) -> Option<&'a ServicePort> {
    svc.spec.as_ref()?.ports.iter().flatten().find(|p| match (number, name) {
        (Some(n), _) => p.port == n,
        (None, Some(name)) => p.name.as_deref() == Some(name),
        (None, None) => false,
    })
}

/// Pods a Service's selector picks, in its namespace.
pub fn selected_pods<'a>(snapshot: &'a Snapshot, svc: &Service) -> Vec<&'a Pod> {
    snapshot
        .pods
        .iter()
        .filter(|p| service_selects(svc, p.metadata.namespace.as_deref(), p.metadata.labels.as_ref()))
        .collect()
}

/// The pods a set of manifests would make for `svc`: in a snapshot without any Pod (manifests to
/// lint, or `kubectl get svc,deploy`), the pod templates of the Deployments, DaemonSets and
/// StatefulSets it selects stand for their pods. Empty when the snapshot has pods: there a
/// selector that matches none of them is a finding.
pub fn template_pods(snapshot: &Snapshot, svc: &Service) -> Vec<Pod> {
    use k8s_openapi::api::core::v1::PodTemplateSpec;
    use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
    if !snapshot.pods.is_empty() {
        return Vec::new();
    }
    let templates = snapshot
        .deployments
        .iter()
        .filter_map(|d| Some((d.metadata.namespace.as_deref(), &d.spec.as_ref()?.template)))
        .chain(
            snapshot
                .daemon_sets
                .iter()
                .filter_map(|d| Some((d.metadata.namespace.as_deref(), &d.spec.as_ref()?.template))),
        )
        .chain(
            snapshot
                .stateful_sets
                .iter()
                .filter_map(|d| Some((d.metadata.namespace.as_deref(), &d.spec.as_ref()?.template))),
        );
    templates
        .filter(|(ns, t)| service_selects(svc, *ns, t.metadata.as_ref().and_then(|m| m.labels.as_ref())))
        .map(|(ns, t): (Option<&str>, &PodTemplateSpec)| Pod {
            metadata: ObjectMeta {
                namespace: ns.map(str::to_owned),
                labels: t.metadata.as_ref().and_then(|m| m.labels.clone()),
                ..ObjectMeta::default()
            },
            spec: t.spec.clone(),
            status: None,
        })
        .collect()
}

/// Whether `svc` selects pods in namespace `ns` with `labels` (a Service without a selector
/// selects nothing).
pub fn service_selects(
    svc: &Service,
    ns: Option<&str>,
    labels: Option<&std::collections::BTreeMap<String, String>>,
) -> bool {
    svc.metadata.namespace.as_deref() == ns
        && svc
            .spec
            .as_ref()
            .and_then(|s| s.selector.as_ref())
            .is_some_and(|sel| !sel.is_empty() && sel.iter().all(|(k, v)| labels.and_then(|l| l.get(k)) == Some(v)))
}

/// The Deployments whose pods `svc` selects (judged on their pod templates).
pub fn deployments_behind<'a>(
    snapshot: &'a Snapshot,
    svc: &Service,
) -> Vec<&'a k8s_openapi::api::apps::v1::Deployment> {
    snapshot
        .deployments
        .iter()
        .filter(|d| {
            let labels = d.spec.as_ref().and_then(|s| s.template.metadata.as_ref()).and_then(|m| m.labels.as_ref());
            service_selects(svc, d.metadata.namespace.as_deref(), labels)
        })
        .collect()
}

/// Endpoint counts for a Service port from its EndpointSlices (or the core Endpoints object).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct EndpointCounts {
    pub ready: usize,
    pub not_ready: usize,
    pub terminating: usize,
    /// No EndpointSlice or Endpoints object exists for the Service at all.
    pub missing: bool,
}

pub fn endpoints(snapshot: &Snapshot, svc: &Service, port_name: Option<&str>) -> EndpointCounts {
    let ns = svc.metadata.namespace.as_deref();
    let name = svc.metadata.name.as_deref();
    let mut c = EndpointCounts::default();
    let slices: Vec<_> = snapshot
        .endpoint_slices
        .iter()
        .filter(|s| s.metadata.namespace.as_deref() == ns)
        .filter(|s| {
            s.metadata.labels.as_ref().and_then(|l| l.get("kubernetes.io/service-name")).map(String::as_str) == name
        })
        .collect();
    if !slices.is_empty() {
        for s in slices {
            // A slice serves the Service port of the same name (unnamed: the only port).
            let serves = s
                .ports
                .as_ref()
                .is_none_or(|ports| ports.iter().any(|p| p.name.as_deref().unwrap_or("") == port_name.unwrap_or("")));
            if !serves {
                continue;
            }
            for e in &s.endpoints {
                let cond = e.conditions.as_ref();
                if cond.and_then(|c| c.terminating).unwrap_or(false) {
                    c.terminating += 1;
                } else if cond.and_then(|c| c.ready).unwrap_or(true) {
                    c.ready += 1;
                } else {
                    c.not_ready += 1;
                }
            }
        }
        return c;
    }
    match snapshot
        .endpoints
        .iter()
        .find(|e| e.metadata.namespace.as_deref() == ns && e.metadata.name.as_deref() == name)
    {
        Some(e) => {
            for subset in e.subsets.iter().flatten() {
                c.ready += subset.addresses.as_ref().map_or(0, Vec::len);
                c.not_ready += subset.not_ready_addresses.as_ref().map_or(0, Vec::len);
            }
        }
        None => c.missing = true,
    }
    c
}

/// Whether a pod declares `target` (a container port number or name).
pub fn pod_declares(pod: &Pod, target: &IntOrString) -> bool {
    pod.spec.as_ref().is_some_and(|s| {
        s.containers.iter().flat_map(|c| c.ports.iter().flatten()).any(|p| match target {
            IntOrString::Int(n) => p.container_port == *n,
            IntOrString::String(name) => p.name.as_deref() == Some(name.as_str()),
        })
    })
}

/// Whether any container of the pod declares ports at all (declaring them is optional).
pub fn declares_ports(pod: &Pod) -> bool {
    pod.spec.as_ref().is_some_and(|s| s.containers.iter().any(|c| c.ports.as_ref().is_some_and(|p| !p.is_empty())))
}

/// A pod's state in a few words, and whether it is ready.
pub fn pod_state(pod: &Pod) -> (bool, String) {
    let status = pod.status.as_ref();
    let ready = status
        .and_then(|s| s.conditions.as_ref())
        .is_some_and(|c| c.iter().any(|c| c.type_ == "Ready" && c.status == "True"));
    let mut parts = vec![status.and_then(|s| s.phase.clone()).unwrap_or_else(|| "Unknown".into())];
    for cs in status.and_then(|s| s.container_statuses.as_ref()).into_iter().flatten() {
        if cs.restart_count > 0 {
            parts.push(format!("{} restarted {}×", cs.name, cs.restart_count));
        }
        if let Some(w) = cs.state.as_ref().and_then(|s| s.waiting.as_ref()) {
            parts.push(format!("{} {}", cs.name, w.reason.as_deref().unwrap_or("waiting")));
        }
        if let Some(t) = cs.last_state.as_ref().and_then(|s| s.terminated.as_ref()) {
            let at = t.finished_at.as_ref().map(|f| format!(" at {}", f.0)).unwrap_or_default();
            parts.push(format!("last terminated {}{at}", t.reason.as_deref().unwrap_or("?")));
        }
    }
    parts.push(if ready { "ready".into() } else { "not ready".into() });
    (ready, parts.join(", "))
}

pub fn ports_list(svc: &Service) -> String {
    let ports: Vec<String> = svc
        .spec
        .iter()
        .flat_map(|s| s.ports.iter().flatten())
        .map(|p| format!("{}{}", p.port, p.name.as_deref().map(|n| format!(" ({n})")).unwrap_or_default()))
        .collect();
    if ports.is_empty() { "none".into() } else { ports.join(", ") }
}

pub fn container_ports(pod: &Pod) -> String {
    let ports: Vec<String> = pod
        .spec
        .iter()
        .flat_map(|s| &s.containers)
        .flat_map(|c| {
            c.ports.iter().flatten().map(move |p| {
                format!(
                    "{}:{}{}",
                    c.name,
                    p.container_port,
                    p.name.as_deref().map(|n| format!(" ({n})")).unwrap_or_default()
                )
            })
        })
        .collect();
    if ports.is_empty() { "none declared".into() } else { ports.join(", ") }
}

/// The pod with `address` (a bare IP, `ip:port` or `[v6]:port`, as proxies log upstreams) as its
/// IP, if the snapshot has it.
pub fn pod_with_address<'a>(snapshot: &'a Snapshot, address: &str) -> Option<&'a Pod> {
    let ip = match address.rsplit_once(':') {
        Some((host, port)) if port.bytes().all(|b| b.is_ascii_digit()) && !host.is_empty() => host,
        _ => address,
    };
    let ip = ip.trim_start_matches('[').trim_end_matches(']');
    snapshot.pods.iter().find(|p| {
        p.status
            .as_ref()
            .is_some_and(|s| s.pod_ip.as_deref() == Some(ip) || s.pod_ips.iter().flatten().any(|i| i.ip == ip))
    })
}

/// The namespace and name of the pod at `address`.
pub fn pod_named_at(snapshot: &Snapshot, address: &str) -> Option<(String, String)> {
    let pod = pod_with_address(snapshot, address)?;
    Some((pod.metadata.namespace.clone().unwrap_or_default(), pod.metadata.name.clone().unwrap_or_default()))
}

/// `pod default/checkout-… on node-1 (Running, app restarted 6×, …)` for the pod at `address`.
pub fn pod_at(snapshot: &Snapshot, address: &str) -> Option<String> {
    let pod = pod_with_address(snapshot, address)?;
    let (_, state) = pod_state(pod);
    let node = pod.spec.as_ref().and_then(|s| s.node_name.as_deref()).map(|n| format!(" on {n}")).unwrap_or_default();
    Some(format!(
        "pod {}/{}{node} ({state})",
        pod.metadata.namespace.as_deref().unwrap_or("default"),
        pod.metadata.name.as_deref().unwrap_or("?")
    ))
}

/// The namespace the ingress controller runs in: its pods' namespace when the snapshot has them.
pub fn controller_namespace(snapshot: &Snapshot) -> String {
    snapshot
        .pods
        .iter()
        .find(|p| {
            p.metadata.labels.as_ref().and_then(|l| l.get("app.kubernetes.io/name")).map(String::as_str)
                == Some("ingress-nginx")
        })
        .and_then(|p| p.metadata.namespace.clone())
        .unwrap_or_else(|| "ingress-nginx".into())
}

/// The proxy that sends a route's traffic to its backends' pods: the ingress controller, or a
/// Gateway's data plane. NetworkPolicies must let it in.
#[derive(Debug, Clone)]
pub struct Proxy<'a> {
    /// `the ingress controller`, or the Gateway object (`Gateway/gateway/public`).
    pub gateway: Option<String>,
    /// The namespace its pods run in.
    pub namespace: String,
    /// Its pods, when the snapshot has them (to judge a policy's podSelector).
    pub pods: Vec<&'a Pod>,
    /// What its clients get when it cannot connect to a backend in time.
    pub codes: &'static [u16],
    /// How the namespace was found, for the evidence.
    pub how: String,
}

/// The ingress controller (ingress-nginx) as the proxy in front of Ingress backends: its pods'
/// namespace when the snapshot has them, else `ingress-nginx`. nginx answers 504 when the
/// connection to a backend times out.
pub fn ingress_controller(snapshot: &Snapshot) -> Proxy<'_> {
    let pods: Vec<&Pod> = snapshot
        .pods
        .iter()
        .filter(|p| {
            p.metadata.labels.as_ref().and_then(|l| l.get("app.kubernetes.io/name")).map(String::as_str)
                == Some("ingress-nginx")
        })
        .collect();
    let namespace = controller_namespace(snapshot);
    let how = if pods.is_empty() {
        format!("no ingress-nginx pod in the snapshot: namespace {namespace} assumed")
    } else {
        format!("pods labelled app.kubernetes.io/name=ingress-nginx run in {namespace}")
    };
    Proxy { gateway: None, namespace, pods, codes: &[504], how }
}

/// The workload a pod belongs to, from its controlling owner reference: `("Deployment", name)`
/// for a ReplicaSet a Deployment made (its name minus the `pod-template-hash`), the StatefulSet or
/// DaemonSet itself, `("ReplicaSet", name)` for a ReplicaSet of its own; `None` for bare pods and
/// other owners (Jobs, nodes' static pods).
pub fn workload_of(pod: &Pod) -> Option<(&'static str, String)> {
    let owner = pod.metadata.owner_references.iter().flatten().find(|o| o.controller == Some(true))?;
    match owner.kind.as_str() {
        "ReplicaSet" => {
            let hash = pod.metadata.labels.as_ref().and_then(|l| l.get("pod-template-hash"));
            match hash.and_then(|h| owner.name.strip_suffix(h.as_str())?.strip_suffix('-')) {
                Some(deployment) if !deployment.is_empty() => Some(("Deployment", deployment.to_owned())),
                _ => Some(("ReplicaSet", owner.name.clone())),
            }
        }
        "StatefulSet" => Some(("StatefulSet", owner.name.clone())),
        "DaemonSet" => Some(("DaemonSet", owner.name.clone())),
        _ => None,
    }
}

/// Whether a label selector with only `matchLabels` selects `labels`; `None` when it has
/// expressions this check does not evaluate.
pub fn selects(
    selector: &k8s_openapi::apimachinery::pkg::apis::meta::v1::LabelSelector,
    labels: Option<&std::collections::BTreeMap<String, String>>,
) -> Option<bool> {
    if selector.match_expressions.as_ref().is_some_and(|e| !e.is_empty()) {
        return None;
    }
    Some(selector.match_labels.iter().flatten().all(|(k, v)| labels.and_then(|l| l.get(k)) == Some(v)))
}
