//! Checks that hold for every shape of the same thing: dumps without Deployments, Gateway API
//! backends as well as Ingress backends, GatewayClasses, ingress-nginx's request-body limit, and
//! what the log report asks of a snapshot (`ClusterFacts`).

use std::path::PathBuf;

use culprit_cluster::snapshot::Snapshot;
use culprit_cluster::{checks, logs_join, route};
use culprit_kb::Severity;
use culprit_kb::context::{ClusterFacts, ProxyTimeouts};
use serde_json::json;

fn scenario(name: &str) -> Snapshot {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/scenarios").join(name);
    let s = Snapshot::load(&[dir]).unwrap();
    assert!(s.problems.is_empty(), "{name}: {:?}", s.problems);
    s
}

fn incident_502() -> Snapshot {
    Snapshot::load(&[PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../examples/incident-502/cluster")]).unwrap()
}

/// (id, object) of every finding, sorted.
fn ids(s: &Snapshot, namespace: Option<&str>) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> =
        checks::check(s, namespace).into_iter().map(|f| (f.id.unwrap_or_default(), f.object)).collect();
    out.sort();
    out
}

#[test]
fn a_pods_only_dump_gets_the_rollout_findings_once_per_workload_and_never_twice() {
    let mut s = scenario("pods-only-rollout");
    let found = checks::check(&s, None);
    let no_probe: Vec<_> = found.iter().filter(|f| f.id.as_deref() == Some("no_readiness_probe")).collect();
    assert_eq!(no_probe.len(), 1, "three pods, one workload: {found:#?}");
    assert_eq!(no_probe[0].object, "Deployment/shop/checkout", "the ReplicaSet's Deployment");
    let evidence: Vec<(&str, &str)> =
        no_probe[0].evidence.iter().map(|e| (e.source.as_str(), e.value.as_str())).collect();
    assert!(evidence.contains(&("spec.containers[].readinessProbe", "absent")), "{evidence:?}");
    assert!(evidence.iter().any(|(k, v)| *k == "pods" && v.starts_with("checkout-7d9f8c6b5-abcde, ")), "{evidence:?}");

    // The same dump with the checkout Deployment: its template is judged, its pods are not.
    s.add_text(
        "deploy.json",
        &json!({"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "checkout", "namespace": "shop"},
            "spec": {"replicas": 3, "selector": {"matchLabels": {"app": "checkout"}},
                     "template": {"metadata": {"labels": {"app": "checkout"}}, "spec": {"containers": [{"name": "app",
                         "ports": [{"name": "http", "containerPort": 8080}]}]}}},
            "status": {"replicas": 3, "readyReplicas": 3}})
        .to_string(),
    );
    let found = checks::check(&s, None);
    let checkout: Vec<_> = found.iter().filter(|f| f.object == "Deployment/shop/checkout").collect();
    assert_eq!(checkout.iter().filter(|f| f.id.as_deref() == Some("no_readiness_probe")).count(), 1, "{checkout:#?}");
    assert!(
        checkout.iter().all(|f| f.evidence.iter().all(|e| e.source != "pods")),
        "read from the Deployment: {checkout:#?}"
    );
    assert!(
        checkout
            .iter()
            .any(|f| f.evidence.iter().any(|e| e.source == "spec.template.spec.containers[].readinessProbe")),
        "{checkout:#?}"
    );
    // frontend has no Deployment in the dump: still judged on its pods.
    assert!(
        found
            .iter()
            .any(|f| f.object == "Deployment/shop/frontend" && f.id.as_deref() == Some("pre_stop_outlasts_grace"))
    );

    // Pods without an owner (or owned by a Job) are no workload to roll.
    let mut bare = scenario("pods-only-rollout");
    for p in &mut bare.pods {
        p.metadata.owner_references = None;
    }
    assert!(ids(&bare, None).is_empty(), "{:?}", ids(&bare, None));
    // -n filters them like every other finding.
    assert!(ids(&scenario("pods-only-rollout"), Some("elsewhere")).is_empty());
}

#[test]
fn gateway_backends_get_the_network_policy_verdict() {
    let s = scenario("gateway-backends-isolated");
    let trace = route::trace(&s, "https://shop.example.com/api/cart/42", None, None).unwrap();
    let first = &trace.findings[0];
    assert_eq!(first.id.as_deref(), Some("policy_keeps_gateway_out"), "{trace:#?}");
    assert_eq!(first.codes, [503], "Envoy answers 503 when the connection times out");
    assert!(first.title.contains("envoy-gateway-system"), "{}", first.title);
    assert!(
        trace
            .links
            .iter()
            .filter(|l| l.step == "pod")
            .all(|l| l.detail.contains("keeps namespace envoy-gateway-system out"))
    );

    // Letting the data plane's namespace in (or every namespace) clears it.
    let mut open = scenario("gateway-backends-isolated");
    for np in &mut open.network_policies {
        let rule = &mut np.spec.as_mut().unwrap().ingress.as_mut().unwrap()[0];
        let selector = rule.from.as_mut().unwrap()[0].namespace_selector.as_mut();
        if let Some(sel) = selector {
            sel.match_labels =
                Some([("kubernetes.io/metadata.name".to_owned(), "envoy-gateway-system".to_owned())].into());
        }
    }
    assert!(!ids(&open, None).iter().any(|(_, o)| o == "NetworkPolicy/shop/checkout-from-ingress-nginx"));

    // A Gateway in the backends' namespace (Istio) is let in by a pod selector naming its pods.
    let mut by_pods = scenario("gateway-backends-isolated");
    let frontend = by_pods
        .network_policies
        .iter_mut()
        .find(|np| np.metadata.name.as_deref() == Some("frontend-from-checkout"))
        .unwrap();
    frontend.spec.as_mut().unwrap().ingress.as_mut().unwrap()[0].from.as_mut().unwrap()[0]
        .pod_selector
        .as_mut()
        .unwrap()
        .match_labels = Some([("gateway.networking.k8s.io/gateway-name".to_owned(), "internal".to_owned())].into());
    assert!(
        !ids(&by_pods, None).iter().any(|(_, o)| o == "NetworkPolicy/shop/frontend-from-checkout"),
        "{:?}",
        ids(&by_pods, None)
    );

    // Without the Gateway's pods, its class's controller says where it runs; unknown: no verdict.
    let mut no_pods = scenario("gateway-backends-isolated");
    no_pods.pods.retain(|p| {
        p.metadata.namespace.as_deref() == Some("shop") && !p.metadata.name.as_deref().unwrap().starts_with("internal")
    });
    assert!(
        ids(&no_pods, None).iter().any(|(id, _)| id == "policy_keeps_gateway_out"),
        "envoy-gateway-system by default"
    );
    no_pods.gateway_classes.clear();
    assert!(ids(&no_pods, None).is_empty(), "nothing tells where the data plane runs: {:?}", ids(&no_pods, None));
}

#[test]
fn gateway_classes_that_are_missing_or_not_accepted() {
    let s = scenario("gateway-class-problems");
    let found = checks::check(&s, None);
    let legacy: Vec<_> = found.iter().filter(|f| f.object == "Gateway/gateway/legacy").collect();
    assert_eq!(
        legacy.len(),
        1,
        "the class is the reason; the Gateway's own Accepted=False is its evidence: {legacy:#?}"
    );
    assert_eq!(legacy[0].id.as_deref(), Some("gateway_class_not_accepted"));
    assert!(legacy[0].evidence.iter().any(|e| e.value.contains("NginxProxy nginx-old-proxy-config not found")));
    // A class still waiting for a controller (Accepted Unknown) is not accepted either.
    let mut waiting = scenario("gateway-class-problems");
    waiting.gateway_classes[0]["status"]["conditions"][0]["status"] = "Unknown".into();
    waiting.gateway_classes[0]["status"]["conditions"][0]["reason"] = "Pending".into();
    assert!(ids(&waiting, None).contains(&("gateway_class_not_accepted".into(), "Gateway/gateway/public".into())));
    // Manifests without status, or a dump without GatewayClasses: nothing to judge.
    let mut manifests = scenario("gateway-class-problems");
    for c in &mut manifests.gateway_classes {
        c.as_object_mut().unwrap().remove("status");
    }
    let found = ids(&manifests, None);
    assert!(found.contains(&("gateway_class_missing".into(), "Gateway/gateway/staging".into())), "{found:?}");
    // legacy's own status still says its controller refused it.
    assert!(found.contains(&("gateway_not_accepted".into(), "Gateway/gateway/legacy".into())), "{found:?}");
    manifests.gateway_classes.clear();
    assert!(
        ids(&manifests, None).iter().all(|(id, _)| !id.starts_with("gateway_class")),
        "{:?}",
        ids(&manifests, None)
    );
}

#[test]
fn the_request_body_limit_note() {
    let s = scenario("body-size-limit");
    let notes: Vec<_> = checks::check(&s, None).into_iter().filter(|f| f.cause == "body_too_large").collect();
    assert_eq!(notes.len(), 1, "one note listing the Ingresses: {notes:#?}");
    let note = &notes[0];
    assert_eq!(note.severity, Severity::Warning, "uploads go through /upload");
    assert!(note.title.contains("2 Ingress(es)"), "{}", note.title);
    let listed = &note.evidence[0].value;
    assert!(listed.contains("Ingress/shop/uploads") && !listed.contains("media"), "{listed}");

    // Without upload-like paths it is a note.
    let mut plain = scenario("body-size-limit");
    plain.ingresses.retain(|i| i.metadata.name.as_deref() != Some("uploads"));
    let note = checks::check(&plain, None).into_iter().find(|f| f.cause == "body_too_large").unwrap();
    assert_eq!(note.severity, Severity::Info);

    // The controller's ConfigMap raising the limit (or lifting it) answers it for every Ingress.
    for raised in ["50m", "0"] {
        let mut s = scenario("body-size-limit");
        s.controller_configs[0].data.as_mut().unwrap().insert("proxy-body-size".into(), raised.into());
        assert!(!checks::check(&s, None).iter().any(|f| f.cause == "body_too_large"), "{raised}");
    }
    // A ConfigMap value ingress-nginx cannot read leaves the default: said as such.
    let mut unreadable = scenario("body-size-limit");
    unreadable.controller_configs[0].data.as_mut().unwrap().insert("proxy-body-size".into(), "50MB".into());
    let found = checks::check(&unreadable, None);
    let note = found.iter().find(|f| f.id.as_deref() == Some("body_limit_default")).unwrap();
    assert!(note.evidence[1].value.contains("\"50MB\" (not read)"), "{note:#?}");

    // Nothing says the controller is ingress-nginx (no IngressClass, ConfigMap or pods): no note.
    let mut unknown = scenario("body-size-limit");
    unknown.ingress_classes.clear();
    unknown.controller_configs.clear();
    assert!(!checks::check(&unknown, None).iter().any(|f| f.cause == "body_too_large"));
    assert!(!checks::check(&scenario("healthy"), None).iter().any(|f| f.cause == "body_too_large"));
}

#[test]
fn body_limits_for_the_log_report() {
    let s = scenario("body-size-limit");
    let (bytes, source) = logs_join::body_limit_for(&s, "shop-checkout-80").unwrap();
    assert_eq!(bytes, 1024 * 1024);
    assert!(source.contains("default (1m)") && source.contains("Ingress/shop/shop"), "{source}");
    assert_eq!(
        logs_join::body_limit_for(&s, "shop-frontend-80"),
        Some((
            100 * 1024 * 1024,
            "annotation nginx.ingress.kubernetes.io/proxy-body-size on Ingress/shop/media".into()
        ))
    );
    let mut global = scenario("body-size-limit");
    global.controller_configs[0].data.as_mut().unwrap().insert("proxy-body-size".into(), "8m".into());
    assert_eq!(
        logs_join::body_limit_for(&global, "shop/checkout"),
        Some((8 * 1024 * 1024, "proxy-body-size in ConfigMap/ingress-nginx/ingress-nginx-controller".into()))
    );
    assert_eq!(logs_join::body_limit_for(&s, "nosuch-service-80"), None);
    assert_eq!(logs_join::body_limit_for(&scenario("gateway-class-problems"), "shop/checkout"), None, "no Ingress");
}

#[test]
fn cluster_facts_for_the_log_report() {
    let s = incident_502();
    let pod = s.pod_at("10.244.1.5:8080").unwrap();
    assert_eq!((pod.namespace.as_str(), pod.name.as_str()), ("default", "checkout-7d9f8c6b5-x2k9p"));
    assert_eq!(Some(pod.summary.clone()), route::pod_at(&s, "10.244.1.5:8080"), "the headline's words, as today");
    assert!(pod.summary.starts_with("pod default/checkout-7d9f8c6b5-x2k9p on "), "{}", pod.summary);
    assert!(s.pod_at("10.9.9.9:80").is_none());

    let svc = s.service_for("default-checkout-8080").unwrap();
    assert_eq!((svc.namespace.as_str(), svc.name.as_str()), ("default", "checkout"));
    assert_eq!(svc.summary, "Service/default/checkout (port 8080 → http): 2 of 3 endpoints ready");
    let today = logs_join::findings_for_service(&s, logs_join::service_for(&s, "default-checkout-8080").unwrap());
    assert_eq!(svc.findings, today);
    assert!(svc.findings.iter().any(|f| f.cause == "pod_crash_looping"), "{:#?}", svc.findings);
    assert!(s.service_for("upstream-default-backend").is_none());
    // Nothing in that dump sets a timeout: the log engine keeps its defaults.
    assert_eq!(s.proxy_timeouts("default-checkout-8080"), None);

    // A pods-only dump: the workloads read from the pods are the Service's too.
    let pods_only = scenario("pods-only-rollout");
    let svc = pods_only.service_for("shop-checkout-80").unwrap();
    assert!(svc.findings.iter().any(|f| f.object == "Deployment/shop/checkout"), "{:#?}", svc.findings);
    // And the NetworkPolicies isolating its pods.
    let isolated = scenario("gateway-backends-isolated").service_for("shop/checkout").unwrap();
    assert!(isolated.findings.iter().any(|f| f.object == "NetworkPolicy/shop/checkout-from-ingress-nginx"));
}

#[test]
fn proxy_timeouts_from_annotations_over_the_configmap() {
    let mut s = scenario("body-size-limit");
    assert_eq!(s.proxy_timeouts("shop-checkout-80"), None, "nothing sets them");
    s.controller_configs[0].data.as_mut().unwrap().insert("proxy-read-timeout".into(), "120".into());
    assert_eq!(s.proxy_timeouts("shop-checkout-80"), Some(ProxyTimeouts { connect: 5.0, read: 120.0 }));
    // Unknown upstream names still get the controller's global setting.
    assert_eq!(s.proxy_timeouts("upstream-default-backend"), Some(ProxyTimeouts { connect: 5.0, read: 120.0 }));
    let shop = s.ingresses.iter_mut().find(|i| i.metadata.name.as_deref() == Some("shop")).unwrap();
    let annotations = shop.metadata.annotations.get_or_insert_with(Default::default);
    annotations.insert("nginx.ingress.kubernetes.io/proxy-connect-timeout".into(), "10".into());
    annotations.insert("nginx.ingress.kubernetes.io/proxy-read-timeout".into(), "300".into());
    assert_eq!(s.proxy_timeouts("shop-checkout-80"), Some(ProxyTimeouts { connect: 10.0, read: 300.0 }));
    // An unreadable annotation ("300s") is ignored by ingress-nginx: the ConfigMap's value holds.
    let shop = s.ingresses.iter_mut().find(|i| i.metadata.name.as_deref() == Some("shop")).unwrap();
    shop.metadata
        .annotations
        .as_mut()
        .unwrap()
        .insert("nginx.ingress.kubernetes.io/proxy-read-timeout".into(), "300s".into());
    assert_eq!(s.proxy_timeouts("shop-checkout-80"), Some(ProxyTimeouts { connect: 10.0, read: 120.0 }));
}

/// A dump without EndpointSlices or Endpoints (`kubectl get svc,pods,ingress` only) cannot say a
/// Service has no endpoints: the route is judged from its ready pods (a stranger was told "503")
/// — and still fails when no selected pod is ready.
#[test]
fn a_dump_without_endpoints_is_judged_from_the_pods() {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/scenarios/healthy");
    let files: Vec<PathBuf> =
        ["ingresses.json", "services.json", "pods.json", "deployments.json"].iter().map(|f| dir.join(f)).collect();
    let snap = Snapshot::load(&files).unwrap();
    let trace = culprit_cluster::route::trace(&snap, "https://shop.example.com/api/cart/42", None, None).unwrap();
    assert!(trace.links.iter().all(|l| l.ok), "{trace:#?}");
    let ep = trace.links.iter().find(|l| l.step == "endpoints").unwrap();
    assert!(ep.detail.contains("no EndpointSlices or Endpoints"), "{}", ep.detail);
    let down = culprit_cluster::route::trace(
        &Snapshot::load(&[dir.join("ingresses.json"), dir.join("services.json")]).unwrap(),
        "https://shop.example.com/api/cart/42",
        None,
        None,
    )
    .unwrap();
    assert!(down.links.iter().any(|l| !l.ok), "no pods at all: nothing serves");
}

/// Manifests to lint have no pods: a Service is judged against the pod templates of the
/// Deployments, DaemonSets and StatefulSets it selects, never "matches no pod" for all of them.
#[test]
fn in_manifests_the_workloads_templates_stand_for_the_pods() {
    let workload = |kind: &str, name: &str, port: &str| {
        json!({"apiVersion": "apps/v1", "kind": kind, "metadata": {"name": name, "namespace": "shop"},
            "spec": {"selector": {"matchLabels": {"app": name}},
                     "template": {"metadata": {"labels": {"app": name}}, "spec": {"containers": [{"name": "app",
                         "ports": [{"name": port, "containerPort": 8080}]}]}}}})
    };
    let service = |name: &str, target: &str| {
        json!({"apiVersion": "v1", "kind": "Service", "metadata": {"name": name, "namespace": "shop"},
            "spec": {"selector": {"app": name}, "ports": [{"port": 80, "targetPort": target}]}})
    };
    let mut s = Snapshot::default();
    for doc in [
        workload("Deployment", "web", "http"),
        service("web", "http"),
        workload("DaemonSet", "agent", "metrics"),
        service("agent", "metrics"),
        workload("StatefulSet", "db", "sql"),
        service("db", "postgres"),
        service("ghost", "http"),
    ] {
        s.add_text("manifests.json", &doc.to_string());
    }
    assert!(s.problems.is_empty(), "{:?}", s.problems);
    assert!(s.kinds_read().contains("1 DaemonSet") && s.kinds_read().contains("1 StatefulSet"), "{}", s.kinds_read());
    // (The Deployment's own rollout findings — one replica, no probe — are not this test's.)
    let found: Vec<_> = ids(&s, None).into_iter().filter(|(_, object)| object.starts_with("Service/")).collect();
    assert_eq!(
        found,
        [
            ("named_target_port_missing".to_string(), "Service/shop/db".to_string()),
            ("selector_matches_no_pod".to_string(), "Service/shop/ghost".to_string()),
        ],
        "the StatefulSet's template lacks the port the Service names; nothing makes ghost's pods"
    );
    // A dump with pods is a cluster: there, a Service whose pods are gone matches no pod, whatever
    // the Deployment says.
    s.add_text(
        "pod.json",
        &json!({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "other", "namespace": "shop",
            "labels": {"app": "other"}}, "spec": {"containers": [{"name": "app"}]}})
        .to_string(),
    );
    assert!(ids(&s, None).contains(&("selector_matches_no_pod".to_string(), "Service/shop/web".to_string())));
}
