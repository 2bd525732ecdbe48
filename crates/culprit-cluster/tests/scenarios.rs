//! One directory per fault under tests/scenarios, in the shape `kubectl get … -o json` writes for
//! current Kubernetes, with the findings it must produce (`expected.json.txt`: not a `.json` file,
//! so the loader leaves it alone).

use std::path::PathBuf;

use culprit_cluster::snapshot::Snapshot;
use culprit_cluster::{checks, route};
use serde_json::Value;

fn scenarios() -> Vec<PathBuf> {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/scenarios");
    let mut dirs: Vec<PathBuf> =
        std::fs::read_dir(root).unwrap().map(|e| e.unwrap().path()).filter(|p| p.is_dir()).collect();
    dirs.sort();
    dirs
}

#[test]
fn every_scenario_gives_its_findings() {
    let dirs = scenarios();
    assert!(dirs.len() >= 10);
    for dir in dirs {
        let name = dir.file_name().unwrap().to_string_lossy().into_owned();
        let expected: Value =
            serde_json::from_str(&std::fs::read_to_string(dir.join("expected.json.txt")).unwrap()).unwrap();
        let snapshot = Snapshot::load(std::slice::from_ref(&dir)).unwrap();
        assert!(snapshot.problems.is_empty(), "{name}: {:?}", snapshot.problems);

        // The route.
        let r = &expected["route"];
        let trace = route::trace(&snapshot, r["url"].as_str().unwrap(), None, None).unwrap();
        if r["ok"] == true {
            assert!(trace.links.iter().all(|l| l.ok), "{name}: {trace:#?}");
            assert!(trace.findings.is_empty(), "{name}: {trace:#?}");
        } else {
            let first = trace.findings.first().unwrap_or_else(|| panic!("{name}: no finding: {trace:#?}"));
            assert_eq!(first.cause, r["cause"].as_str().unwrap(), "{name}: {trace:#?}");
            let codes: Vec<u64> = first.codes.iter().map(|&c| u64::from(c)).collect();
            let want: Vec<u64> = r["codes"].as_array().unwrap().iter().map(|c| c.as_u64().unwrap()).collect();
            assert_eq!(codes, want, "{name}");
            assert!(trace.links.iter().any(|l| !l.ok), "{name}: a broken link is shown: {trace:#?}");
        }

        // The checks: exactly the expected (cause, object, severity), nothing more.
        let found = checks::check(&snapshot, None);
        let mut got: Vec<(String, String, String)> =
            found.iter().map(|f| (f.cause.clone(), f.object.clone(), f.severity.id().to_owned())).collect();
        let mut want: Vec<(String, String, String)> = expected["check"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| {
                (
                    c["cause"].as_str().unwrap().to_owned(),
                    c["object"].as_str().unwrap().to_owned(),
                    c["severity"].as_str().unwrap().to_owned(),
                )
            })
            .collect();
        got.sort();
        want.sort();
        assert_eq!(got, want, "{name}: {found:#?}");
        for f in &found {
            assert!(!f.evidence.is_empty(), "{name}: {f:?} has no evidence");
            assert!(culprit_kb::kb().cause(&f.cause).is_some(), "{name}: unknown cause {}", f.cause);
        }
    }
}

#[test]
fn upstream_addresses_name_their_pod() {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/scenarios/crash-loop");
    let snapshot = Snapshot::load(&[dir]).unwrap();
    let pod = route::pod_at(&snapshot, "10.244.1.13:8080").unwrap();
    assert!(pod.starts_with("pod shop/checkout-7d9f8c6b5-abcde on node-1") && pod.contains("OOMKilled"), "{pod}");
    assert_eq!(route::pod_at(&snapshot, "10.244.1.13"), Some(pod));
    assert!(route::pod_at(&snapshot, "10.9.9.9:80").is_none());
    assert!(route::pod_at(&snapshot, "[fd00::1]:8080").is_none());
}

#[test]
fn http_routes_are_traced_when_no_ingress_serves_the_host() {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/scenarios/gateway-api");
    let snapshot = Snapshot::load(&[dir]).unwrap();
    let trace = route::trace(&snapshot, "https://api.partners.example.com/api/orders", None, None).unwrap();
    assert_eq!(trace.links[0].step, "http route", "{trace:#?}");
    assert_eq!(trace.links[0].object, "HTTPRoute/partners/partners-checkout");
    assert_eq!(trace.links[1].step, "gateway listener", "{trace:#?}");
    assert_eq!(trace.links[1].object, "Gateway/gateway/public");
    assert_eq!(trace.links[2].object, "Service/shop/checkout", "the backend's namespace: {trace:#?}");
    assert!(trace.findings.is_empty(), "{trace:#?}");
    let none = route::trace(&snapshot, "https://api.partners.example.com/other", None, None).unwrap();
    assert_eq!(none.findings[0].cause, "no_route");
}

#[test]
fn gateway_listeners_decide_attachment_when_there_is_no_status() {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/scenarios/gateway-listener-refuses");
    let mut snapshot = Snapshot::load(&[dir]).unwrap();
    let trace = route::trace(&snapshot, "https://shop.example.com/api/cart/42", None, None).unwrap();
    let listener = trace.links.iter().find(|l| l.step == "gateway listener").expect("a listener link");
    assert!(!listener.ok && listener.detail.contains("from: Same"), "{trace:#?}");
    // Opened to all namespaces, the route attaches; a host outside the listener's wildcard does not.
    for g in &mut snapshot.gateways {
        g["spec"]["listeners"][0]["allowedRoutes"]["namespaces"]["from"] = "All".into();
    }
    let trace = route::trace(&snapshot, "https://shop.example.com/api/cart/42", None, None).unwrap();
    assert!(trace.findings.is_empty(), "{trace:#?}");
    for r in &mut snapshot.http_routes {
        r["spec"]["hostnames"] = serde_json::json!(["shop.example.org"]);
    }
    let trace = route::trace(&snapshot, "https://shop.example.org/api/cart/42", None, None).unwrap();
    assert_eq!(trace.findings[0].cause, "no_route", "{trace:#?}");
    assert!(trace.links.iter().any(|l| l.detail.contains("hostname does not cover shop.example.org")), "{trace:#?}");
}

#[test]
fn the_route_trace_says_when_a_network_policy_keeps_the_controller_out() {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/scenarios/networkpolicy-blocks-ingress");
    let snapshot = Snapshot::load(&[dir]).unwrap();
    let trace = route::trace(&snapshot, "https://shop.example.com/api/cart/42", None, None).unwrap();
    let first = &trace.findings[0];
    assert_eq!((first.cause.as_str(), first.codes.as_slice()), ("upstream_connect_timeout", &[504][..]), "{trace:#?}");
    assert_eq!(first.object, "NetworkPolicy/shop/checkout-only-from-frontend");
    assert_eq!(trace.findings.len(), 1, "one finding for the policy, not one per pod: {trace:#?}");
    assert!(
        trace.links.iter().filter(|l| l.step == "pod").all(|l| !l.ok && l.detail.contains("keeps namespace")),
        "{trace:#?}"
    );
}
