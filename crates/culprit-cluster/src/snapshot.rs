//! A snapshot of the cluster objects culprit reads, from files or directories of
//! `kubectl get … -o json` output: single objects, `List`s, mixed kinds. Unknown kinds and fields
//! are ignored; an object that does not parse is named (file and object) and skipped, the rest kept.

use std::path::{Path, PathBuf};

use k8s_openapi::api::apps::v1::{DaemonSet, Deployment, StatefulSet};
use k8s_openapi::api::autoscaling::v2::HorizontalPodAutoscaler;
use k8s_openapi::api::core::v1::{ConfigMap, Endpoints, Node, Pod, Service};
use k8s_openapi::api::discovery::v1::EndpointSlice;
use k8s_openapi::api::networking::v1::{Ingress, IngressClass, NetworkPolicy};
use serde_json::Value;

/// Everything read, by kind.
#[derive(Debug, Default, Clone)]
pub struct Snapshot {
    pub ingresses: Vec<Ingress>,
    pub ingress_classes: Vec<IngressClass>,
    pub services: Vec<Service>,
    pub endpoint_slices: Vec<EndpointSlice>,
    pub endpoints: Vec<Endpoints>,
    pub pods: Vec<Pod>,
    pub deployments: Vec<Deployment>,
    /// DaemonSets and StatefulSets: read for their pod templates, which stand for the pods in a
    /// set of manifests (a dump without pods).
    pub daemon_sets: Vec<DaemonSet>,
    pub stateful_sets: Vec<StatefulSet>,
    pub hpas: Vec<HorizontalPodAutoscaler>,
    pub network_policies: Vec<NetworkPolicy>,
    pub nodes: Vec<Node>,
    /// The ingress-nginx controller's ConfigMap(s); other ConfigMaps are not kept.
    pub controller_configs: Vec<ConfigMap>,
    /// Gateway API objects, kept as JSON (their types are not in k8s-openapi).
    pub gateways: Vec<Value>,
    pub gateway_classes: Vec<Value>,
    pub http_routes: Vec<Value>,
    pub reference_grants: Vec<Value>,
    /// Events about the objects (probe failures, back-offs, scheduling failures).
    pub events: Vec<crate::events::Event>,
    /// Objects of kinds culprit does not use, by kind.
    pub ignored: std::collections::BTreeMap<String, usize>,
    /// What could not be read, with where.
    pub problems: Vec<String>,
}

impl Snapshot {
    /// Reads every `.json`, `.yaml` and `.yml` file under `paths` (files or directories, recursively).
    pub fn load(paths: &[PathBuf]) -> Result<Snapshot, String> {
        let mut files = Vec::new();
        for p in paths {
            collect(p, &mut files).map_err(|e| format!("{}: {e}", p.display()))?;
        }
        if files.is_empty() {
            return Err("no .json or .yaml files found (use kubectl get … -o json or -o yaml)".into());
        }
        files.sort();
        let mut snapshot = Snapshot::default();
        for file in files {
            let text = match std::fs::read_to_string(&file) {
                Ok(t) => t,
                Err(e) => {
                    snapshot.problems.push(format!("{}: {e}", file.display()));
                    continue;
                }
            };
            let name = file.display().to_string();
            if file.extension().is_some_and(|e| e == "yaml" || e == "yml") {
                snapshot.add_yaml(&name, &text);
            } else {
                snapshot.add_text(&name, &text);
            }
        }
        Ok(snapshot)
    }

    /// Adds the objects in one document (`name` is where it came from, for messages). Several JSON
    /// documents may follow each other (as `kubectl get a -o json; kubectl get b -o json` writes).
    pub fn add_text(&mut self, name: &str, text: &str) {
        for (i, doc) in serde_json::Deserializer::from_str(text).into_iter::<Value>().enumerate() {
            match doc {
                Ok(v) => self.add_value(name, &v),
                Err(e) => {
                    self.problems.push(format!("{name}: document {} is not valid JSON: {e}", i + 1));
                    return;
                }
            }
        }
    }

    /// Adds the objects in a YAML stream (`kubectl get … -o yaml`, documents separated by `---`).
    pub fn add_yaml(&mut self, name: &str, text: &str) {
        use serde::Deserialize as _;
        for (i, doc) in serde_yaml_ng::Deserializer::from_str(text).enumerate() {
            match Value::deserialize(doc) {
                Ok(Value::Null) => {}
                Ok(v) => self.add_value(name, &v),
                Err(e) => {
                    self.problems.push(format!("{name}: YAML document {} is not valid: {e}", i + 1));
                    return;
                }
            }
        }
    }

    fn add_value(&mut self, file: &str, value: &Value) {
        let kind = value.get("kind").and_then(Value::as_str).unwrap_or("").to_owned();
        if kind == "List" || (kind.ends_with("List") && value.get("items").is_some()) {
            let item_kind = kind.strip_suffix("List").filter(|k| !k.is_empty()).map(str::to_owned);
            let api_version = value.get("apiVersion").cloned();
            if let Some(Value::Array(items)) = value.get("items").cloned() {
                for mut item in items {
                    // `kubectl get pods -o json` lists carry the kind on the list only.
                    if let (Some(k), Some(obj)) = (&item_kind, item.as_object_mut()) {
                        obj.entry("kind").or_insert_with(|| Value::String(k.clone()));
                        if let Some(v) = &api_version {
                            obj.entry("apiVersion").or_insert_with(|| v.clone());
                        }
                    }
                    self.add_value(file, &item);
                }
            }
            return;
        }
        let name = value.pointer("/metadata/name").and_then(Value::as_str).unwrap_or("?").to_owned();
        let ns = value.pointer("/metadata/namespace").and_then(Value::as_str).unwrap_or("").to_owned();
        let result = match kind.as_str() {
            "Ingress" => push(value, &mut self.ingresses),
            "IngressClass" => push(value, &mut self.ingress_classes),
            "Service" => push(value, &mut self.services),
            "EndpointSlice" => push(value, &mut self.endpoint_slices),
            "Endpoints" => push(value, &mut self.endpoints),
            "Pod" => push(value, &mut self.pods),
            "Deployment" => push(value, &mut self.deployments),
            "DaemonSet" => push(value, &mut self.daemon_sets),
            "StatefulSet" => push(value, &mut self.stateful_sets),
            "HorizontalPodAutoscaler" => push(value, &mut self.hpas),
            "NetworkPolicy" => push(value, &mut self.network_policies),
            "Node" => push(value, &mut self.nodes),
            "ConfigMap" => serde_json::from_value::<ConfigMap>(value.clone()).map(|cm| {
                if is_controller_config(&cm) {
                    self.controller_configs.push(cm);
                } else {
                    *self.ignored.entry("ConfigMap".into()).or_default() += 1;
                }
            }),
            _ => Ok(()),
        };
        let problem = match kind.as_str() {
            _ if result.is_err() => result.err().map(|e| self_problem(file, &kind, &ns, &name, &e)),
            "Ingress"
            | "IngressClass"
            | "Service"
            | "EndpointSlice"
            | "Endpoints"
            | "Pod"
            | "Deployment"
            | "DaemonSet"
            | "StatefulSet"
            | "HorizontalPodAutoscaler"
            | "NetworkPolicy"
            | "Node"
            | "ConfigMap" => None,
            "Gateway" => {
                self.gateways.push(value.clone());
                None
            }
            "GatewayClass" => {
                self.gateway_classes.push(value.clone());
                None
            }
            "HTTPRoute" => {
                self.http_routes.push(value.clone());
                None
            }
            "ReferenceGrant" => {
                self.reference_grants.push(value.clone());
                None
            }
            "Event" => match crate::events::Event::from_value(value) {
                Some(e) => {
                    self.events.push(e);
                    None
                }
                None => Some(format!("{file}: Event {name} names no object; skipped")),
            },
            "" => Some(format!("{file}: an object without a kind (name {name})")),
            other => {
                *self.ignored.entry(other.to_owned()).or_default() += 1;
                None
            }
        };
        if let Some(p) = problem {
            self.problems.push(p);
        }
    }

    /// How many objects of the kinds culprit uses were read.
    /// What was read, kind by kind, for messages: `6 Pods, 2 Services and 2 EndpointSlices`.
    pub fn kinds_read(&self) -> String {
        let counts = [
            (self.ingresses.len(), "Ingress", "Ingresses"),
            (self.ingress_classes.len(), "IngressClass", "IngressClasses"),
            (self.http_routes.len(), "HTTPRoute", "HTTPRoutes"),
            (self.gateways.len(), "Gateway", "Gateways"),
            (self.gateway_classes.len(), "GatewayClass", "GatewayClasses"),
            (self.reference_grants.len(), "ReferenceGrant", "ReferenceGrants"),
            (self.services.len(), "Service", "Services"),
            (self.endpoint_slices.len(), "EndpointSlice", "EndpointSlices"),
            (self.endpoints.len(), "Endpoints", "Endpoints"),
            (self.pods.len(), "Pod", "Pods"),
            (self.deployments.len(), "Deployment", "Deployments"),
            (self.daemon_sets.len(), "DaemonSet", "DaemonSets"),
            (self.stateful_sets.len(), "StatefulSet", "StatefulSets"),
            (self.hpas.len(), "HorizontalPodAutoscaler", "HorizontalPodAutoscalers"),
            (self.network_policies.len(), "NetworkPolicy", "NetworkPolicies"),
            (self.nodes.len(), "Node", "Nodes"),
            (self.controller_configs.len(), "controller ConfigMap", "controller ConfigMaps"),
            (self.events.len(), "Event", "Events"),
        ];
        let mut parts: Vec<String> = counts
            .iter()
            .filter(|(n, ..)| *n > 0)
            .map(|(n, one, many)| format!("{n} {}", if *n == 1 { one } else { many }))
            .collect();
        parts.extend(self.ignored.iter().map(|(kind, n)| format!("{n} {kind} (not used)")));
        match parts.len() {
            0 => "nothing".to_owned(),
            1 => parts.remove(0),
            _ => {
                let last = parts.pop().unwrap_or_default();
                format!("{} and {last}", parts.join(", "))
            }
        }
    }

    pub fn object_count(&self) -> usize {
        self.ingresses.len()
            + self.ingress_classes.len()
            + self.services.len()
            + self.endpoint_slices.len()
            + self.endpoints.len()
            + self.pods.len()
            + self.deployments.len()
            + self.daemon_sets.len()
            + self.stateful_sets.len()
            + self.hpas.len()
            + self.network_policies.len()
            + self.nodes.len()
            + self.controller_configs.len()
            + self.gateways.len()
            + self.gateway_classes.len()
            + self.http_routes.len()
            + self.reference_grants.len()
            + self.events.len()
    }
}

/// Keys of the ingress-nginx ConfigMap that culprit reads; a ConfigMap holding any of them is taken
/// for the controller's.
pub const CONTROLLER_KEYS: &[&str] = &[
    "proxy-body-size",
    "proxy-read-timeout",
    "proxy-send-timeout",
    "proxy-connect-timeout",
    "proxy-buffer-size",
    "upstream-keepalive-timeout",
    "client-header-buffer-size",
    "large-client-header-buffers",
    "client-header-timeout",
    "client-body-timeout",
    "worker-shutdown-timeout",
    "use-forwarded-headers",
    "limit-req-status-code",
    "allow-snippet-annotations",
];

/// Whether a ConfigMap is (very likely) the ingress-nginx controller's configuration.
pub fn is_controller_config(cm: &ConfigMap) -> bool {
    let name = cm.metadata.name.as_deref().unwrap_or("");
    name.ends_with("ingress-nginx-controller")
        || name == "nginx-configuration"
        || cm.data.as_ref().is_some_and(|d| d.keys().any(|k| CONTROLLER_KEYS.contains(&k.as_str())))
}

fn push<T: serde::de::DeserializeOwned>(value: &Value, into: &mut Vec<T>) -> Result<(), serde_json::Error> {
    into.push(T::deserialize(value)?);
    Ok(())
}

fn self_problem(file: &str, kind: &str, ns: &str, name: &str, e: &serde_json::Error) -> String {
    let ns = if ns.is_empty() { String::new() } else { format!("{ns}/") };
    format!("{file}: {kind} {ns}{name} skipped: {e}")
}

fn collect(path: &Path, out: &mut Vec<PathBuf>) -> std::io::Result<()> {
    let meta = std::fs::metadata(path)?;
    if meta.is_file() {
        out.push(path.to_owned());
        return Ok(());
    }
    for entry in std::fs::read_dir(path)? {
        let p = entry?.path();
        if p.is_dir() {
            collect(&p, out)?;
        } else if p.extension().is_some_and(|e| e == "json" || e == "yaml" || e == "yml") {
            out.push(p);
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lists_mixed_kinds_and_broken_objects() {
        let mut s = Snapshot::default();
        s.add_text(
            "dump.json",
            r#"{"apiVersion":"v1","kind":"List","items":[
                {"apiVersion":"v1","kind":"Service","metadata":{"name":"a","namespace":"shop"},"spec":{"ports":[{"port":80}]},"someFutureField":1},
                {"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"c"}},
                {"apiVersion":"v1","kind":"Pod","metadata":{"name":"p","namespace":"shop"},"spec":{"containers":"not a list"}}
            ]}
            {"apiVersion":"v1","kind":"PodList","items":[{"metadata":{"name":"q","namespace":"shop"},"spec":{"containers":[{"name":"app"}]}}]}"#,
        );
        assert_eq!((s.services.len(), s.pods.len()), (1, 1));
        assert_eq!(s.ignored.get("ConfigMap"), Some(&1));
        assert_eq!(s.problems.len(), 1, "{:?}", s.problems);
        assert!(s.problems[0].contains("Pod shop/p skipped"), "{:?}", s.problems);
        s.add_text("bad.json", "{not json");
        assert!(s.problems[1].starts_with("bad.json: document 1"));
    }

    #[test]
    fn yaml_streams() {
        let mut s = Snapshot::default();
        s.add_yaml(
            "dump.yaml",
            "apiVersion: v1\nkind: Service\nmetadata:\n  name: a\n  namespace: shop\nspec:\n  ports:\n  - port: 80\n    targetPort: http\n---\napiVersion: v1\nkind: List\nitems:\n- apiVersion: v1\n  kind: Pod\n  metadata: {name: p, namespace: shop}\n  spec: {containers: [{name: app}]}\n---\n",
        );
        assert_eq!((s.services.len(), s.pods.len(), s.problems.len()), (1, 1, 0), "{:?}", s.problems);
        s.add_yaml("bad.yaml", "kind: Service\n  metadata: [unclosed");
        assert!(s.problems[0].starts_with("bad.yaml: YAML document 1"), "{:?}", s.problems);
    }
}
