//! From the names proxies write in their logs to the cluster objects behind them: the Service an
//! upstream name stands for, and what the checks say about that Service, its pods and workloads —
//! so a log incident reads "… and Service default/checkout has 2 of 3 endpoints ready". The
//! snapshot answers the log report through `culprit_kb::context::ClusterFacts` (pod at an address,
//! Service behind a name, ingress-nginx's timeouts), and [`body_limit_for`] says which
//! request-body limit ingress-nginx applies to an upstream (for 413s in the logs).

use std::collections::BTreeSet;

use culprit_kb::Finding;
use culprit_kb::context::{ClusterFacts, PodFact, ProxyTimeouts, ServiceFact};
use k8s_openapi::api::core::v1::Service;
use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;

use crate::query::nginx::{
    DEFAULT_BODY_LIMIT, DEFAULT_CONNECT_TIMEOUT, DEFAULT_READ_TIMEOUT, annotation_setting, controller_setting,
    nginx_ingresses_of, parse_nginx_size, parse_seconds,
};
use crate::query::{object, selected_pods, selects, workload_of};
use crate::snapshot::Snapshot;

/// The Service behind a proxy's name for its upstream:
/// - ingress-nginx `$proxy_upstream_name`: `<namespace>-<service>-<port>` (port number or name);
/// - Traefik: the same with `@kubernetes` (or another provider) after it;
/// - Envoy / Istio clusters: `outbound|8080||checkout.shop.svc.cluster.local`;
/// - plain `<namespace>/<service>`, or a Service name unique in the snapshot.
pub fn service_for<'a>(snapshot: &'a Snapshot, upstream_name: &str) -> Option<&'a Service> {
    let name = upstream_name.split('@').next().unwrap_or(upstream_name);
    let ns_name =
        |s: &Service| (s.metadata.namespace.clone().unwrap_or_default(), s.metadata.name.clone().unwrap_or_default());
    if let Some(host) = name.split('|').nth(3) {
        let mut labels = host.split('.');
        let (svc, ns) = (labels.next()?, labels.next()?);
        return snapshot.services.iter().find(|s| ns_name(s) == (ns.to_owned(), svc.to_owned()));
    }
    if let Some((ns, svc)) = name.split_once('/') {
        return snapshot.services.iter().find(|s| ns_name(s) == (ns.to_owned(), svc.to_owned()));
    }
    let by_port = snapshot.services.iter().find(|s| {
        let (ns, svc) = ns_name(s);
        s.spec.iter().flat_map(|sp| sp.ports.iter().flatten()).any(|p| {
            name == format!("{ns}-{svc}-{}", p.port)
                || p.name.as_ref().is_some_and(|n| name == format!("{ns}-{svc}-{n}"))
        })
    });
    if by_port.is_some() {
        return by_port;
    }
    let mut same_name = snapshot.services.iter().filter(|s| s.metadata.name.as_deref() == Some(name));
    match (same_name.next(), same_name.next()) {
        (Some(only), None) => Some(only),
        _ => None,
    }
}

/// The findings of `culprit cluster check` about a Service and what serves it: the Service
/// itself, its pods, the workloads that make them (Deployments, or the workloads named by the
/// pods' owners in a dump without them), their autoscalers, and the NetworkPolicies isolating the
/// pods. Most severe first.
pub fn findings_for_service(snapshot: &Snapshot, svc: &Service) -> Vec<Finding> {
    let ns = svc.metadata.namespace.as_deref();
    let mut related: BTreeSet<String> = BTreeSet::new();
    related.insert(object("Service", ns, svc.metadata.name.as_deref()));
    let pods = selected_pods(snapshot, svc);
    for pod in &pods {
        related.insert(object("Pod", ns, pod.metadata.name.as_deref()));
        if let Some((kind, name)) = workload_of(pod) {
            related.insert(object(kind, ns, Some(&name)));
        }
    }
    for np in snapshot.network_policies.iter().filter(|np| np.metadata.namespace.as_deref() == ns) {
        let selector = np.spec.as_ref().and_then(|s| s.pod_selector.clone()).unwrap_or_default();
        if pods.iter().any(|p| selects(&selector, p.metadata.labels.as_ref()) == Some(true)) {
            related.insert(object("NetworkPolicy", ns, np.metadata.name.as_deref()));
        }
    }
    let mut deployments = BTreeSet::new();
    for d in crate::query::deployments_behind(snapshot, svc) {
        let name = d.metadata.name.clone().unwrap_or_default();
        related.insert(object("Deployment", ns, Some(&name)));
        deployments.insert(name);
    }
    for hpa in snapshot.hpas.iter().filter(|h| h.metadata.namespace.as_deref() == ns) {
        if hpa
            .spec
            .as_ref()
            .is_some_and(|s| s.scale_target_ref.kind == "Deployment" && deployments.contains(&s.scale_target_ref.name))
        {
            related.insert(object("HorizontalPodAutoscaler", ns, hpa.metadata.name.as_deref()));
        }
    }
    crate::checks::check(snapshot, ns).into_iter().filter(|f| related.contains(&f.object)).collect()
}

/// `default/checkout port 8080 → targetPort http: 2 of 3 endpoints ready`.
pub fn service_summary(snapshot: &Snapshot, svc: &Service) -> String {
    let first_port = svc.spec.as_ref().and_then(|s| s.ports.as_ref()).and_then(|p| p.first());
    let counts = crate::query::endpoints(snapshot, svc, first_port.and_then(|p| p.name.as_deref()));
    let ports: Vec<String> = svc
        .spec
        .iter()
        .flat_map(|s| s.ports.iter().flatten())
        .map(|p| match &p.target_port {
            Some(IntOrString::Int(n)) => format!("{} → {n}", p.port),
            Some(IntOrString::String(n)) => format!("{} → {n}", p.port),
            None => p.port.to_string(),
        })
        .collect();
    let endpoints = if counts.missing {
        "no EndpointSlices in the snapshot".to_owned()
    } else {
        format!("{} of {} endpoints ready", counts.ready, counts.ready + counts.not_ready + counts.terminating)
    };
    format!(
        "{} (port {}): {endpoints}",
        object("Service", svc.metadata.namespace.as_deref(), svc.metadata.name.as_deref()),
        ports.join(", ")
    )
}

/// The request-body limit ingress-nginx applies to requests for the Service behind `log_name` (a
/// proxy's upstream name, as [`service_for`] reads it), in bytes (`0`: no limit), and where it
/// comes from: the `proxy-body-size` annotation of the Ingress that routes to it, else the
/// controller's ConfigMap, else ingress-nginx's default (1m). `None` when no Ingress ingress-nginx
/// may serve routes to that Service.
pub fn body_limit_for(snapshot: &Snapshot, log_name: &str) -> Option<(u64, String)> {
    let svc = service_for(snapshot, log_name)?;
    let ingresses = nginx_ingresses_of(snapshot, svc.metadata.namespace.as_deref()?, svc.metadata.name.as_deref()?);
    let first = ingresses.first()?;
    let setting = ingresses
        .iter()
        .find_map(|ing| annotation_setting(ing, "proxy-body-size"))
        .or_else(|| controller_setting(snapshot, "proxy-body-size"));
    if let Some((value, source)) = setting {
        return Some((parse_nginx_size(&value).unwrap_or(DEFAULT_BODY_LIMIT), source));
    }
    let ing = object("Ingress", first.metadata.namespace.as_deref(), first.metadata.name.as_deref());
    Some((
        DEFAULT_BODY_LIMIT,
        format!("ingress-nginx's default (1m): neither {ing} nor the controller's ConfigMap sets proxy-body-size"),
    ))
}

/// The snapshot answers the log report's questions: the pod at an upstream address, the Service
/// behind a proxy's name with what the checks find, and ingress-nginx's timeouts for it.
impl ClusterFacts for Snapshot {
    fn pod_at(&self, addr: &str) -> Option<PodFact> {
        let pod = crate::query::pod_with_address(self, addr)?;
        // A pod that keeps restarting, or was killed for memory, makes its errors the app's too.
        let crashing = pod.status.iter().flat_map(|s| s.container_statuses.iter().flatten()).any(|cs| {
            cs.state
                .as_ref()
                .and_then(|s| s.waiting.as_ref())
                .is_some_and(|w| w.reason.as_deref() == Some("CrashLoopBackOff"))
                || cs
                    .last_state
                    .as_ref()
                    .and_then(|s| s.terminated.as_ref())
                    .is_some_and(|t| t.reason.as_deref() == Some("OOMKilled"))
        });
        Some(PodFact {
            namespace: pod.metadata.namespace.clone().unwrap_or_default(),
            name: pod.metadata.name.clone().unwrap_or_default(),
            summary: crate::query::pod_at(self, addr)?,
            cause: crashing.then(|| "pod_crash_looping".to_owned()),
        })
    }

    fn body_limit(&self, log_name: &str) -> Option<(u64, String)> {
        body_limit_for(self, log_name)
    }

    fn service_for(&self, log_name: &str) -> Option<ServiceFact> {
        let svc = service_for(self, log_name)?;
        Some(ServiceFact {
            namespace: svc.metadata.namespace.clone().unwrap_or_default(),
            name: svc.metadata.name.clone().unwrap_or_default(),
            summary: service_summary(self, svc),
            findings: findings_for_service(self, svc),
        })
    }

    /// ingress-nginx's `proxy-connect-timeout` and `proxy-read-timeout` for that upstream: the
    /// annotations of the Ingress routing to its Service, over the controller's ConfigMap (which
    /// holds for every upstream it proxies), the other from the defaults (5 s, 60 s). `None` when
    /// nothing in the snapshot sets either (the defaults are the log engine's own).
    fn proxy_timeouts(&self, log_name: &str) -> Option<ProxyTimeouts> {
        let ingresses = service_for(self, log_name)
            .and_then(|svc| {
                Some(nginx_ingresses_of(self, svc.metadata.namespace.as_deref()?, svc.metadata.name.as_deref()?))
            })
            .unwrap_or_default();
        let setting = |key: &str| {
            ingresses
                .iter()
                .find_map(|ing| annotation_setting(ing, key))
                .or_else(|| controller_setting(self, key))
                .and_then(|(value, _)| parse_seconds(&value))
        };
        let (connect, read) = (setting("proxy-connect-timeout"), setting("proxy-read-timeout"));
        (connect.is_some() || read.is_some()).then(|| ProxyTimeouts {
            connect: connect.unwrap_or(DEFAULT_CONNECT_TIMEOUT),
            read: read.unwrap_or(DEFAULT_READ_TIMEOUT),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn snapshot() -> Snapshot {
        let mut s = Snapshot::default();
        s.add_text(
            "svc.json",
            r#"{"kind":"List","apiVersion":"v1","items":[
              {"apiVersion":"v1","kind":"Service","metadata":{"name":"checkout","namespace":"shop"},"spec":{"ports":[{"name":"http","port":8080,"targetPort":"http"}],"selector":{"app":"checkout"}}},
              {"apiVersion":"v1","kind":"Service","metadata":{"name":"checkout","namespace":"staging"},"spec":{"ports":[{"port":80}]}},
              {"apiVersion":"v1","kind":"Service","metadata":{"name":"users","namespace":"shop"},"spec":{"ports":[{"port":80}]}}]}"#,
        );
        s
    }

    #[test]
    fn proxy_names_find_their_service() {
        let s = snapshot();
        let ns_of = |n: &str| service_for(&s, n).map(|svc| svc.metadata.namespace.clone().unwrap());
        assert_eq!(ns_of("shop-checkout-8080").as_deref(), Some("shop"));
        assert_eq!(ns_of("shop-checkout-http").as_deref(), Some("shop"));
        assert_eq!(ns_of("staging-checkout-80@kubernetes").as_deref(), Some("staging"));
        assert_eq!(ns_of("outbound|8080||checkout.shop.svc.cluster.local").as_deref(), Some("shop"));
        assert_eq!(ns_of("staging/checkout").as_deref(), Some("staging"));
        assert_eq!(ns_of("users").as_deref(), Some("shop"));
        assert_eq!(ns_of("checkout"), None, "ambiguous: two namespaces");
        assert_eq!(ns_of("upstream-default-backend"), None);
        assert_eq!(ns_of("shop-checkout-9090"), None);
    }
}
