//! Live mode end to end: a local HTTP server on loopback serves the scenario objects on the real
//! Kubernetes API paths (list, pagination with `continue`, 403 for a forbidden kind, 401 for bad
//! credentials), reached through a real kubeconfig file.

use std::io::{BufRead, BufReader, Write};
use std::net::TcpListener;
use std::path::PathBuf;

use culprit_cluster::{checks, live};
use serde_json::{Value, json};

fn items(file: &str) -> Vec<Value> {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/scenarios/crash-loop").join(file);
    let list: Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    list["items"].as_array().unwrap().clone()
}

/// Status object as the API server writes it.
fn status(code: u16, reason: &str, message: &str) -> Value {
    json!({"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure", "message": message, "reason": reason, "code": code})
}

/// Serves until the test process ends; returns the port.
fn fake_api_server() -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    std::thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            std::thread::spawn(move || {
                let mut reader = BufReader::new(stream.try_clone().unwrap());
                let mut request_line = String::new();
                if reader.read_line(&mut request_line).is_err() {
                    return;
                }
                let mut auth = String::new();
                loop {
                    let mut line = String::new();
                    if reader.read_line(&mut line).unwrap_or(0) == 0 || line == "\r\n" {
                        break;
                    }
                    if let Some(v) = line.to_ascii_lowercase().strip_prefix("authorization:") {
                        v.trim().clone_into(&mut auth);
                    }
                }
                let target = request_line.split_whitespace().nth(1).unwrap_or("/").to_owned();
                let (path, query) = target.split_once('?').unwrap_or((&target, ""));
                let (code, body) = respond(path, query, &auth);
                let body = body.to_string();
                let mut stream = stream;
                let _ = write!(
                    stream,
                    "HTTP/1.1 {code} X\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                    body.len()
                );
            });
        }
    });
    port
}

fn respond(path: &str, query: &str, auth: &str) -> (u16, Value) {
    if auth != "bearer good-token" {
        return (401, status(401, "Unauthorized", "Unauthorized"));
    }
    let list = |kind: &str, api: &str, items: Vec<Value>, cont: Option<&str>| json!({"apiVersion": api, "kind": kind, "metadata": {"resourceVersion": "4711", "continue": cont.unwrap_or("")}, "items": items});
    match path {
        // Pods come in pages of two, as with a small `limit`.
        "/api/v1/pods" => {
            let all = items("pods.json");
            let page = query.split('&').find_map(|kv| kv.strip_prefix("continue=")).unwrap_or("0");
            let start: usize = page.parse().unwrap_or(0);
            let end = (start + 2).min(all.len());
            let next = (end < all.len()).then(|| end.to_string());
            (200, list("PodList", "v1", all[start..end].to_vec(), next.as_deref()))
        }
        "/api/v1/services" => (200, list("ServiceList", "v1", items("services.json"), None)),
        "/apis/discovery.k8s.io/v1/endpointslices" => {
            (200, list("EndpointSliceList", "discovery.k8s.io/v1", items("endpointslices.json"), None))
        }
        "/apis/networking.k8s.io/v1/ingresses" => {
            (200, list("IngressList", "networking.k8s.io/v1", items("ingresses.json"), None))
        }
        "/apis/apps/v1/deployments" => (
            403,
            status(
                403,
                "Forbidden",
                "deployments.apps is forbidden: User \"culprit\" cannot list resource \"deployments\" in API group \"apps\" at the cluster scope",
            ),
        ),
        "/api/v1/endpoints" => (200, list("EndpointsList", "v1", Vec::new(), None)),
        "/apis/networking.k8s.io/v1/ingressclasses" | "/apis/networking.k8s.io/v1/networkpolicies" => {
            (200, list("List", "networking.k8s.io/v1", Vec::new(), None))
        }
        "/api/v1/namespaces/ingress-nginx/configmaps" => (
            200,
            list(
                "ConfigMapList",
                "v1",
                vec![
                    json!({"metadata": {"name": "ingress-nginx-controller", "namespace": "ingress-nginx"}, "data": {"proxy-body-size": "8m", "upstream-keepalive-timeout": "75"}}),
                    json!({"metadata": {"name": "kube-root-ca.crt", "namespace": "ingress-nginx"}, "data": {"ca.crt": "-----BEGIN CERTIFICATE-----"}}),
                ],
                None,
            ),
        ),
        "/api/v1/nodes" => (200, list("NodeList", "v1", Vec::new(), None)),
        "/api/v1/events" => (200, list("EventList", "v1", items("events.json"), None)),
        "/apis/gateway.networking.k8s.io/v1/gateways" | "/apis/gateway.networking.k8s.io/v1/httproutes" => {
            (200, list("List", "gateway.networking.k8s.io/v1", Vec::new(), None))
        }
        // Cluster-scoped: the same path whatever the namespace.
        "/apis/gateway.networking.k8s.io/v1/gatewayclasses" => (
            200,
            list(
                "GatewayClassList",
                "gateway.networking.k8s.io/v1",
                vec![
                    json!({"metadata": {"name": "eg"}, "spec": {"controllerName": "gateway.envoyproxy.io/gatewayclass-controller"}}),
                ],
                None,
            ),
        ),
        "/apis/autoscaling/v2/horizontalpodautoscalers" => {
            (200, list("HorizontalPodAutoscalerList", "autoscaling/v2", Vec::new(), None))
        }
        _ => (404, status(404, "NotFound", "the server could not find the requested resource")),
    }
}

fn kubeconfig(port: u16) -> tempfile::NamedTempFile {
    let mut f = tempfile::NamedTempFile::new().unwrap();
    write!(
        f,
        "apiVersion: v1\nkind: Config\nclusters:\n- name: lab\n  cluster:\n    server: http://127.0.0.1:{port}\n\
         contexts:\n- name: lab\n  context: {{cluster: lab, user: good}}\n- name: expired\n  context: {{cluster: lab, user: bad}}\n\
         current-context: lab\nusers:\n- name: good\n  user: {{token: good-token}}\n- name: bad\n  user: {{token: expired-token}}\n"
    )
    .unwrap();
    f
}

#[test]
fn live_lists_with_pagination_skips_forbidden_kinds_and_finds_the_crash_loop() {
    let port = fake_api_server();
    let config = kubeconfig(port);
    let s = live::load(Some(config.path()), None, None).unwrap();
    assert_eq!(s.pods.len(), 6, "all pages read");
    assert_eq!((s.services.len(), s.endpoint_slices.len(), s.ingresses.len()), (2, 2, 1));
    assert!(s.deployments.is_empty());
    assert_eq!(s.events.len(), 2, "events read through the dynamic API");
    assert_eq!(s.controller_configs.len(), 1, "the controller's ConfigMap, from its namespace only");
    assert_eq!(s.gateway_classes.len(), 1, "GatewayClasses, cluster-scoped");
    assert_eq!(s.gateway_classes[0]["kind"], "GatewayClass");
    // Deployments are forbidden; ReferenceGrants are not served (a cluster without that CRD).
    assert_eq!(s.problems.len(), 2, "{:?}", s.problems);
    assert!(
        s.problems[0].contains("list deployments") && s.problems[0].contains("forbidden by RBAC"),
        "{:?}",
        s.problems
    );
    assert!(s.problems[1].contains("list referencegrants") && s.problems[1].contains("not served"), "{:?}", s.problems);
    let findings = checks::check(&s, None);
    assert!(findings.iter().any(|f| f.cause == "pod_crash_looping"), "{findings:#?}");
}

#[test]
fn rejected_credentials_and_unreachable_servers_say_where() {
    let port = fake_api_server();
    let config = kubeconfig(port);
    let err = live::load(Some(config.path()), Some("expired"), None).unwrap_err().to_string();
    assert!(
        err.contains("rejected the credentials")
            && err.contains(&format!("127.0.0.1:{port}"))
            && err.contains("context expired")
            && err.contains("GET /apis/networking.k8s.io/v1/ingresses"),
        "{err}"
    );
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let config = kubeconfig(closed);
    let err = live::load(Some(config.path()), None, None).unwrap_err().to_string();
    // The server, the context (the current one, named), the call, and what happened in words.
    assert!(
        err.contains(&format!("the API server http://127.0.0.1:{closed}/ (context lab)"))
            && err.contains("connection refused")
            && err.contains("GET /apis/networking.k8s.io/v1/ingresses (list ingresses)"),
        "{err}"
    );
    assert!(!err.contains("ServiceError") && !err.contains("client error (Connect)"), "{err}");
    let err = live::load(Some(config.path()), Some("nope"), None).unwrap_err().to_string();
    assert!(err.contains("has no context 'nope' (it has: lab, expired)"), "{err}");
}

#[test]
fn a_missing_kubeconfig_is_said_once_with_its_path() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("config");
    let err = live::load(Some(&path), None, None).unwrap_err();
    assert_eq!(err, live::LiveError::NoKubeconfig { paths: vec![path.clone()], from: "given with --kubeconfig" });
    let text = err.to_string();
    assert_eq!(text, format!("no kubeconfig at {} (given with --kubeconfig)", path.display()));
}

#[test]
fn the_readme_documents_the_role_culprit_needs() {
    let readme = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../../README.md")).unwrap();
    assert!(readme.contains(live::CLUSTER_ROLE), "README's ClusterRole differs from live::CLUSTER_ROLE");
}
