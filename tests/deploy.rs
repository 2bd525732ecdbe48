//! deploy/: the manifests that run `culprit watch` in a cluster (a DaemonSet per node, a sidecar
//! variant) pass culprit's own cluster checks, are made of fields Kubernetes knows, and carry the
//! README's read-only role.

use std::path::{Path, PathBuf};
use std::process::Command;

use serde::Deserialize as _;
use serde_json::Value;

fn deploy() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("deploy")
}

/// Every YAML document under deploy/, with the file it came from.
fn documents() -> Vec<(String, Value)> {
    let mut files = Vec::new();
    let mut dirs = vec![deploy()];
    while let Some(dir) = dirs.pop() {
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                dirs.push(path);
            } else if path.extension().is_some_and(|e| e == "yaml" || e == "yml") {
                files.push(path);
            }
        }
    }
    files.sort();
    let mut out = Vec::new();
    for file in files {
        let text = std::fs::read_to_string(&file).unwrap();
        for doc in serde_yaml_ng::Deserializer::from_str(&text) {
            let value = Value::deserialize(doc).unwrap_or_else(|e| panic!("{}: {e}", file.display()));
            if !value.is_null() {
                out.push((file.display().to_string(), value));
            }
        }
    }
    out
}

#[test]
fn culprit_cluster_check_finds_nothing_in_deploy() {
    let out = Command::new(env!("CARGO_BIN_EXE_culprit"))
        .args(["cluster", "check", "--json", "--fail-on", "info", "--from"])
        .arg(deploy())
        .output()
        .expect("run culprit");
    let report: Value = serde_json::from_slice(&out.stdout).expect("JSON report");
    assert!(out.status.success(), "findings in deploy/: {report:#}");
    assert_eq!(report["findings"], serde_json::json!([]), "{report:#}");
    assert_eq!(report["source"]["problems"], serde_json::json!([]), "{report:#}");
    // The DaemonSet, the sidecar Deployment and both Services were read and judged.
    assert!(report["source"]["objects"].as_u64() >= Some(4), "{report:#}");
}

/// `value` without nulls and empty objects, which a typed round trip may add or drop.
fn normalized(value: &Value) -> Value {
    match value {
        Value::Object(map) => Value::Object(
            map.iter()
                .filter(|(_, v)| !v.is_null())
                .map(|(k, v)| (k.clone(), normalized(v)))
                .filter(|(_, v)| v.as_object().is_none_or(|o| !o.is_empty()))
                .collect(),
        ),
        Value::Array(items) => Value::Array(items.iter().map(normalized).collect()),
        other => other.clone(),
    }
}

/// Reads `value` as `T` and back: a misspelt or misplaced field is dropped by the typed model, so
/// the round trip differs.
fn round_trips<T: serde::de::DeserializeOwned + serde::Serialize>(file: &str, value: &Value) {
    let typed: T = serde_json::from_value(value.clone()).unwrap_or_else(|e| panic!("{file}: {e}"));
    let back = serde_json::to_value(&typed).unwrap();
    assert_eq!(normalized(&back), normalized(value), "{file}: a field Kubernetes does not know");
}

#[test]
fn every_kubernetes_object_uses_only_known_fields() {
    use k8s_openapi::api::apps::v1::{DaemonSet, Deployment};
    use k8s_openapi::api::core::v1::{ConfigMap, Namespace, Service, ServiceAccount};
    use k8s_openapi::api::rbac::v1::{ClusterRole, ClusterRoleBinding};
    let mut kinds = Vec::new();
    for (file, doc) in documents() {
        let kind = doc["kind"].as_str().unwrap_or_else(|| panic!("{file}: a document without a kind")).to_string();
        match kind.as_str() {
            "DaemonSet" => round_trips::<DaemonSet>(&file, &doc),
            "Deployment" => round_trips::<Deployment>(&file, &doc),
            "Service" => round_trips::<Service>(&file, &doc),
            "ConfigMap" => round_trips::<ConfigMap>(&file, &doc),
            "Namespace" => round_trips::<Namespace>(&file, &doc),
            "ServiceAccount" => round_trips::<ServiceAccount>(&file, &doc),
            "ClusterRole" => round_trips::<ClusterRole>(&file, &doc),
            "ClusterRoleBinding" => round_trips::<ClusterRoleBinding>(&file, &doc),
            // Custom resources: checked by their own tests (PrometheusRule) or by hand.
            "ServiceMonitor" | "PodMonitor" | "PrometheusRule" | "Kustomization" => {}
            other => panic!("{file}: unexpected kind {other}"),
        }
        kinds.push(kind);
    }
    kinds.sort();
    kinds.dedup();
    assert_eq!(
        kinds,
        [
            "ClusterRole",
            "ClusterRoleBinding",
            "ConfigMap",
            "DaemonSet",
            "Deployment",
            "Kustomization",
            "Namespace",
            "PodMonitor",
            "PrometheusRule",
            "Service",
            "ServiceAccount",
            "ServiceMonitor"
        ]
    );
}

#[test]
fn the_daemonset_reads_the_node_logs_read_only_as_a_locked_down_user() {
    let (_, ds) = documents().into_iter().find(|(_, d)| d["kind"] == "DaemonSet").unwrap();
    let pod = &ds["spec"]["template"]["spec"];
    assert_eq!(pod["securityContext"]["runAsNonRoot"], true);
    let culprit = &pod["containers"][0];
    assert_eq!(culprit["securityContext"]["readOnlyRootFilesystem"], true);
    assert_eq!(culprit["securityContext"]["allowPrivilegeEscalation"], false);
    assert_eq!(culprit["securityContext"]["capabilities"]["drop"], serde_json::json!(["ALL"]));
    for mount in culprit["volumeMounts"].as_array().unwrap() {
        let path = mount["mountPath"].as_str().unwrap();
        assert_eq!(mount["readOnly"] == true, path.starts_with("/var/log/"), "{mount}");
    }
    for key in ["readinessProbe", "livenessProbe", "resources", "lifecycle"] {
        assert!(culprit.get(key).is_some(), "the culprit container has no {key}");
    }
    let args: Vec<&str> = culprit["args"].as_array().unwrap().iter().filter_map(Value::as_str).collect();
    assert_eq!(args[0], "watch");
    assert!(args.contains(&"--state=/var/lib/culprit") && args.contains(&"--metrics-listen=0.0.0.0:9464"), "{args:?}");
}

/// deploy/rbac.yaml grants what the README's `culprit cluster` section says live mode needs.
#[test]
fn the_cluster_role_is_the_readmes() {
    let readme = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("README.md")).unwrap();
    let start = readme.find("kind: ClusterRole\nmetadata:\n  name: culprit-read").expect("the README's ClusterRole");
    let block = &readme[readme[..start].rfind("```yaml").unwrap() + 7..];
    let block = &block[..block.find("```").unwrap()];
    let readme_role: Value = serde_yaml_ng::from_str(block).unwrap();
    let (_, role) = documents().into_iter().find(|(_, d)| d["kind"] == "ClusterRole").unwrap();
    assert_eq!(role["rules"], readme_role["rules"]);
    assert_eq!(role["metadata"]["name"], readme_role["metadata"]["name"]);
}
