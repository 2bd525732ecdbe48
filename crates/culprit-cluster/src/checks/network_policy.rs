//! NetworkPolicies that isolate the pods behind a route without letting the proxy in front of them
//! in — the ingress controller for an Ingress's backends, the Gateway's data plane for an
//! HTTPRoute's: the proxy's connections hang until its connect timeout (504 from nginx, 503 from
//! Envoy).

use std::collections::BTreeMap;

use culprit_kb::{Finding, Severity};
use k8s_openapi::api::core::v1::Pod;
use k8s_openapi::api::networking::v1::NetworkPolicy;

use crate::query::gateway::{data_plane, route_backends, route_gateways};
use crate::query::{Proxy, ingress_controller, object, selected_pods, selects};
use crate::snapshot::Snapshot;

/// Pods behind Ingress- or HTTPRoute-served Services that some NetworkPolicy isolates for ingress
/// traffic while none lets the proxy's namespace in. One finding per policy and proxy.
pub fn network_policy_checks(snapshot: &Snapshot, namespace: Option<&str>, out: &mut Vec<Finding>) {
    // (namespace, Service name) → the proxies that send it traffic.
    let mut served: BTreeMap<(String, String), Vec<Proxy<'_>>> = BTreeMap::new();
    let controller = ingress_controller(snapshot);
    for ing in &snapshot.ingresses {
        let ns = ing.metadata.namespace.clone().unwrap_or_default();
        for path in
            ing.spec.iter().flat_map(|s| s.rules.iter().flatten()).flat_map(|r| r.http.iter().flat_map(|h| &h.paths))
        {
            if let Some(svc) = &path.backend.service {
                add(&mut served, (ns.clone(), svc.name.clone()), &controller);
            }
        }
    }
    for route in &snapshot.http_routes {
        let planes: Vec<Proxy<'_>> =
            route_gateways(route).iter().filter_map(|(ns, name)| data_plane(snapshot, ns, name)).collect();
        for backend in route_backends(route) {
            for plane in &planes {
                add(&mut served, backend.clone(), plane);
            }
        }
    }
    let mut reported: Vec<(String, Option<String>)> = Vec::new();
    for svc in &snapshot.services {
        let key = (svc.metadata.namespace.clone().unwrap_or_default(), svc.metadata.name.clone().unwrap_or_default());
        let Some(proxies) = served.get(&key) else { continue };
        if namespace.is_some_and(|n| n != key.0) {
            continue;
        }
        for pod in selected_pods(snapshot, svc) {
            for proxy in proxies {
                let Some(np) = blocking_policy(snapshot, pod, proxy) else { continue };
                let np_obj = object("NetworkPolicy", np.metadata.namespace.as_deref(), np.metadata.name.as_deref());
                let seen = (np_obj, proxy.gateway.clone());
                if !reported.contains(&seen) {
                    reported.push(seen);
                    out.push(blocked_by_policy(np, proxy, &key.1));
                }
            }
        }
    }
}

/// Adds a proxy for a Service once (two Ingresses share the controller).
fn add<'a>(served: &mut BTreeMap<(String, String), Vec<Proxy<'a>>>, key: (String, String), proxy: &Proxy<'a>) {
    let proxies = served.entry(key).or_default();
    if !proxies.iter().any(|p| p.gateway == proxy.gateway) {
        proxies.push(proxy.clone());
    }
}

/// The NetworkPolicy that keeps `proxy` from `pod`, when the policies isolating the pod decide it
/// (`None`: not isolated, let in, or not decidable from the snapshot).
pub fn blocking_policy<'a>(snapshot: &'a Snapshot, pod: &Pod, proxy: &Proxy<'_>) -> Option<&'a NetworkPolicy> {
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
    // namespace) or names the proxy's namespace, or — the proxy running in the policy's own
    // namespace, as Istio's per-Gateway pods may — a pod selector that selects the proxy's pods.
    // Other peers (ipBlock, custom namespace labels, pod selectors without the proxy's pods at
    // hand) cannot be judged here.
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
                        // Every namespace carries its name in this label (set by the API server):
                        // a selector naming another namespace never selects the proxy's.
                        let name_label = ml.get("kubernetes.io/metadata.name").map(String::as_str);
                        let names = name_label == Some(proxy.namespace.as_str());
                        if !empty && name_label.is_none() {
                            undecidable = true;
                        }
                        empty || names
                    }
                    (None, Some(_)) => {
                        undecidable = true;
                        false
                    }
                    (None, None) if np.metadata.namespace.as_deref() == Some(proxy.namespace.as_str()) => {
                        let sel = peer.pod_selector.clone().unwrap_or_default();
                        let picked: Vec<Option<bool>> =
                            proxy.pods.iter().map(|p| selects(&sel, p.metadata.labels.as_ref())).collect();
                        if picked.is_empty() || picked.contains(&None) {
                            undecidable = true;
                        }
                        picked.contains(&Some(true))
                    }
                    (None, None) => false,
                }),
            })
        })
    });
    if allowed || undecidable { None } else { policies.first().copied() }
}

/// The finding for a policy that keeps `proxy` from the pods of `service`.
pub fn blocked_by_policy(np: &NetworkPolicy, proxy: &Proxy<'_>, service: &str) -> Finding {
    let np_obj = object("NetworkPolicy", np.metadata.namespace.as_deref(), np.metadata.name.as_deref());
    let namespace = proxy.namespace.as_str();
    let finding = match &proxy.gateway {
        None => Finding::from_kb(
            "policy_keeps_ingress_controller_out",
            Severity::Error,
            proxy.codes,
            np_obj,
            &[("service", service), ("namespace", namespace)],
        ),
        // The Gateway's pods next to the backends (Istio, NGINX Gateway Fabric): a pod selector
        // lets them in without opening the namespace.
        Some(gateway) if np.metadata.namespace.as_deref() == Some(namespace) => Finding::from_kb(
            "policy_keeps_gateway_pods_out",
            Severity::Error,
            proxy.codes,
            np_obj,
            &[("service", service), ("gateway", gateway), ("name", gateway.rsplit('/').next().unwrap_or(gateway))],
        ),
        Some(gateway) => Finding::from_kb(
            "policy_keeps_gateway_out",
            Severity::Error,
            proxy.codes,
            np_obj,
            &[("service", service), ("gateway", gateway), ("namespace", namespace)],
        ),
    };
    let finding = finding
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
                "{} rules, none from namespace {namespace}",
                np.spec.as_ref().and_then(|s| s.ingress.as_ref()).map_or(0, Vec::len)
            ),
        );
    match &proxy.gateway {
        Some(gateway) => finding.with(format!("data plane of {gateway}"), proxy.how.clone()),
        None => finding,
    }
}
