//! NetworkPolicies that isolate the pods behind a route without letting the proxy in front of them
//! in: its connections hang until its connect timeout (504).

use culprit_kb::{Finding, Severity};

use crate::query::{controller_namespace, object, selected_pods, selects};
use crate::snapshot::Snapshot;

/// Pods behind Ingress-served Services that some NetworkPolicy isolates for ingress traffic while
/// none lets the ingress controller's namespace in: the proxy's connections hang (504).
pub fn network_policy_checks(snapshot: &Snapshot, namespace: Option<&str>, out: &mut Vec<Finding>) {
    let controller = controller_namespace(snapshot);
    // (namespace, Service name) pairs an Ingress sends traffic to.
    let served: std::collections::BTreeSet<(String, String)> = snapshot
        .ingresses
        .iter()
        .flat_map(|i| {
            let ns = i.metadata.namespace.clone().unwrap_or_default();
            i.spec
                .iter()
                .flat_map(|s| s.rules.iter().flatten())
                .flat_map(|r| r.http.iter().flat_map(|h| &h.paths))
                .filter_map(move |p| p.backend.service.as_ref().map(|s| (ns.clone(), s.name.clone())))
        })
        .collect();
    let mut reported: Vec<String> = Vec::new();
    for svc in &snapshot.services {
        let key = (svc.metadata.namespace.clone().unwrap_or_default(), svc.metadata.name.clone().unwrap_or_default());
        if !served.contains(&key) || namespace.is_some_and(|n| n != key.0) {
            continue;
        }
        for pod in selected_pods(snapshot, svc) {
            let Some(np) = blocking_policy(snapshot, pod, &controller) else { continue };
            let np_obj = object("NetworkPolicy", np.metadata.namespace.as_deref(), np.metadata.name.as_deref());
            if !reported.contains(&np_obj) {
                reported.push(np_obj);
                out.push(blocked_by_policy(np, &controller, &key.1));
            }
        }
    }
}

/// The NetworkPolicy that keeps the ingress controller's namespace from `pod`, when the policies
/// isolating the pod decide it (`None`: not isolated, let in, or not decidable from the snapshot).
pub fn blocking_policy<'a>(
    snapshot: &'a Snapshot,
    pod: &k8s_openapi::api::core::v1::Pod,
    controller: &str,
) -> Option<&'a k8s_openapi::api::networking::v1::NetworkPolicy> {
    let labels = pod.metadata.labels.as_ref();
    let policies: Vec<_> = snapshot
        .network_policies
        .iter()
        .filter(|np| np.metadata.namespace == pod.metadata.namespace)
        .filter(|np| {
            np.spec.as_ref().is_some_and(|s| {
                let ingress_type = s.policy_types.as_ref().is_none_or(|t| t.iter().any(|t| t == "Ingress"));
                ingress_type && selects(&s.pod_selector.clone().unwrap_or_default(), labels) == Some(true)
            })
        })
        .collect();
    // Allowed when a rule has no `from` (anyone), or a peer is an empty namespace selector (every
    // namespace) or names the controller's namespace; other peers (ipBlock, custom namespace
    // labels, pod selectors in other namespaces) cannot be judged here.
    let mut undecidable = false;
    let allowed = policies.iter().any(|np| {
        np.spec.as_ref().and_then(|s| s.ingress.as_ref()).is_some_and(|rules| {
            rules.iter().any(|rule| match &rule.from {
                None => true,
                Some(peers) if peers.is_empty() => true,
                Some(peers) => peers.iter().any(|peer| match (&peer.namespace_selector, &peer.ip_block) {
                    (Some(sel), _) => {
                        let ml = sel.match_labels.clone().unwrap_or_default();
                        let empty = ml.is_empty() && sel.match_expressions.as_ref().is_none_or(Vec::is_empty);
                        let names = ml.get("kubernetes.io/metadata.name").map(String::as_str) == Some(controller);
                        if !empty && !names {
                            undecidable = true;
                        }
                        empty || names
                    }
                    (None, Some(_)) => {
                        undecidable = true;
                        false
                    }
                    (None, None) => false,
                }),
            })
        })
    });
    if allowed || undecidable { None } else { policies.first().copied() }
}

/// The finding for a policy that keeps the ingress controller from the pods of `service`.
pub fn blocked_by_policy(
    np: &k8s_openapi::api::networking::v1::NetworkPolicy,
    controller: &str,
    service: &str,
) -> Finding {
    let np_obj = object("NetworkPolicy", np.metadata.namespace.as_deref(), np.metadata.name.as_deref());
    Finding::from_kb(
        "policy_keeps_ingress_controller_out",
        Severity::Error,
        &[504],
        np_obj,
        &[("service", service), ("namespace", controller)],
    )
    .with(
        "spec.podSelector",
        format!(
            "{:?}",
            np.spec
                .as_ref()
                .and_then(|s| s.pod_selector.as_ref())
                .and_then(|p| p.match_labels.clone())
                .unwrap_or_default()
        ),
    )
    .with(
        "spec.ingress",
        format!(
            "{} rules, none from namespace {controller}",
            np.spec.as_ref().and_then(|s| s.ingress.as_ref()).map_or(0, Vec::len)
        ),
    )
}
