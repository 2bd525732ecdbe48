//! Checks across a namespace or the whole snapshot: each configuration or state that makes clients
//! get a particular status code, as a [`Finding`] with the object, the evidence and the fix. One
//! file per family of objects; each reads the snapshot through [`crate::query`] only.

pub mod autoscaling;
pub mod controller;
pub mod gateway;
pub mod ingress;
pub mod network_policy;
pub mod pods;
pub mod rollout;
pub mod service;

use culprit_kb::Finding;
use serde_json::Value;

use crate::snapshot::Snapshot;

/// Every finding in the snapshot (or one namespace), most severe first.
pub fn check(snapshot: &Snapshot, namespace: Option<&str>) -> Vec<Finding> {
    let in_ns = |ns: Option<&String>| namespace.is_none_or(|n| ns.map(String::as_str) == Some(n));
    let mut out = Vec::new();
    for ing in snapshot.ingresses.iter().filter(|i| in_ns(i.metadata.namespace.as_ref())) {
        ingress::ingress_checks(snapshot, ing, &mut out);
        ingress::ingress_rule_checks(snapshot, ing, &mut out);
    }
    ingress::ingress_conflicts(snapshot, namespace, &mut out);
    ingress::body_size_note(snapshot, namespace, &mut out);
    for svc in snapshot.services.iter().filter(|s| in_ns(s.metadata.namespace.as_ref())) {
        service::service_checks(snapshot, svc, &mut out);
    }
    for pod in snapshot.pods.iter().filter(|p| in_ns(p.metadata.namespace.as_ref())) {
        out.extend(pods::pod_findings(snapshot, pod));
        out.extend(pods::stuck_container(pod));
    }
    for d in snapshot.deployments.iter().filter(|d| in_ns(d.metadata.namespace.as_ref())) {
        rollout::deployment_checks(snapshot, d, &mut out);
    }
    rollout::pod_workload_checks(snapshot, namespace, &mut out);
    network_policy::network_policy_checks(snapshot, namespace, &mut out);
    pods::node_checks(snapshot, namespace, &mut out);
    controller::controller_checks(snapshot, &mut out);
    for gw in snapshot
        .gateways
        .iter()
        .filter(|g| namespace.is_none_or(|n| g.pointer("/metadata/namespace").and_then(Value::as_str) == Some(n)))
    {
        gateway::gateway_checks(snapshot, gw, &mut out);
    }
    for route in snapshot
        .http_routes
        .iter()
        .filter(|r| namespace.is_none_or(|n| r.pointer("/metadata/namespace").and_then(Value::as_str) == Some(n)))
    {
        gateway::http_route_checks(snapshot, route, &mut out);
    }
    for hpa in snapshot.hpas.iter().filter(|h| in_ns(h.metadata.namespace.as_ref())) {
        autoscaling::hpa_checks(snapshot, hpa, &mut out);
    }
    out.sort_by(|a, b| b.severity.cmp(&a.severity).then_with(|| a.object.cmp(&b.object)));
    out
}
