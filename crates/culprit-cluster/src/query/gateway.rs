//! Gateway API: the HTTPRoute that serves a URL (hostnames, path matches) and whether it is
//! attached to a Gateway listener that admits it (status when the dump has it; else parentRefs,
//! sectionName, port, listener protocol and hostname, allowedRoutes namespaces); a Gateway's class
//! and data plane; a route's Gateways and backends.

use k8s_openapi::api::core::v1::Pod;
use k8s_openapi::api::networking::v1::IngressServiceBackend;

use super::ingress::{host_match, path_match};
use super::{Proxy, object};
use crate::snapshot::Snapshot;

/// The HTTPRoute serving `host` + `path` (hostnames incl. wildcards, PathPrefix/Exact matches,
/// longest first): its object name, the backend's namespace, the backend as a Service reference,
/// and how it matched.
pub fn choose_http_route(snapshot: &Snapshot, host: &str, path: &str, namespace: Option<&str>) -> Option<RouteMatch> {
    use serde_json::Value;
    let mut best: Option<((u8, bool, usize), RouteMatch)> = None;
    for r in &snapshot.http_routes {
        let ns = r.pointer("/metadata/namespace").and_then(Value::as_str).unwrap_or("default");
        if namespace.is_some_and(|n| n != ns) {
            continue;
        }
        let hostnames: Vec<&str> = r
            .pointer("/spec/hostnames")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .filter_map(Value::as_str)
            .collect();
        let hm = if hostnames.is_empty() {
            1
        } else {
            hostnames.iter().map(|h| host_match(Some(h), host)).max().unwrap_or(0)
        };
        if hm == 0 {
            continue;
        }
        for rule in r.pointer("/spec/rules").and_then(Value::as_array).into_iter().flatten() {
            let Some(backend) = rule.get("backendRefs").and_then(Value::as_array).and_then(|b| b.first()) else {
                continue;
            };
            if backend.get("kind").and_then(Value::as_str).is_some_and(|k| k != "Service") {
                continue;
            }
            let default_match = [serde_json::json!({"path": {"type": "PathPrefix", "value": "/"}})];
            let matches = rule.get("matches").and_then(Value::as_array).map_or(&default_match[..], Vec::as_slice);
            for m in matches {
                let kind = m.pointer("/path/type").and_then(Value::as_str).unwrap_or("PathPrefix");
                let value = m.pointer("/path/value").and_then(Value::as_str).unwrap_or("/");
                let exact = kind == "Exact";
                if kind == "RegularExpression" || !path_match(value, if exact { "Exact" } else { "Prefix" }, path) {
                    continue;
                }
                let key = (hm, exact, value.len());
                if best.as_ref().is_none_or(|(k, ..)| key > *k) {
                    let svc = IngressServiceBackend {
                        name: backend.get("name").and_then(Value::as_str).unwrap_or("?").to_owned(),
                        port: Some(k8s_openapi::api::networking::v1::ServiceBackendPort {
                            number: backend.get("port").and_then(Value::as_i64).and_then(|p| i32::try_from(p).ok()),
                            name: None,
                        }),
                    };
                    let backend_ns = backend.get("namespace").and_then(Value::as_str).unwrap_or(ns).to_owned();
                    let name = r.pointer("/metadata/name").and_then(Value::as_str);
                    let how = format!(
                        "hostnames {} · path {value} ({kind})",
                        if hostnames.is_empty() { "*".into() } else { hostnames.join(", ") }
                    );
                    best = Some((
                        key,
                        RouteMatch {
                            object: object("HTTPRoute", Some(ns), name),
                            backend_ns,
                            service: svc,
                            how,
                            route: r.clone(),
                        },
                    ));
                }
            }
        }
    }
    best.map(|(_, m)| m)
}

/// The HTTPRoute chosen for a URL.
#[derive(Debug, Clone)]
pub struct RouteMatch {
    /// `HTTPRoute/namespace/name`.
    pub object: String,
    /// Where the backend Service lives (the route's namespace unless the backendRef says otherwise).
    pub backend_ns: String,
    pub service: IngressServiceBackend,
    /// How it matched, for the trace.
    pub how: String,
    /// The route itself, to check its attachment to a Gateway.
    pub route: serde_json::Value,
}

/// How an HTTPRoute attaches to its Gateway(s).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Attachment {
    /// A listener admits it: `Gateway/ns/name` and `listener https (HTTPS 443, *.example.com)`.
    Listener { gateway: String, listener: String },
    /// Not attached: the route's status says so, or no listener admits it, and why.
    Refused { gateway: String, why: String },
}

/// Whether `route` is attached to a Gateway listener that serves `host` (any of the route's own
/// hostnames when `None`). `None` when the snapshot cannot tell: no status and no Gateways read.
pub fn gateway_attachment(snapshot: &Snapshot, route: &serde_json::Value, host: Option<&str>) -> Option<Attachment> {
    use serde_json::Value;
    let str_at = |v: &Value, p: &str| v.pointer(p).and_then(Value::as_str).map(str::to_owned);
    let route_ns = str_at(route, "/metadata/namespace").unwrap_or_else(|| "default".into());
    let parents: Vec<&Value> =
        route.pointer("/spec/parentRefs").and_then(Value::as_array).into_iter().flatten().collect();
    let gateway_of = |p: &Value| {
        let ns = str_at(p, "/namespace").unwrap_or_else(|| route_ns.clone());
        (ns.clone(), str_at(p, "/name").unwrap_or_default())
    };
    // The controller's verdict, when the dump has it, decides.
    let mut accepted_by = None;
    for parent in route.pointer("/status/parents").and_then(Value::as_array).into_iter().flatten() {
        let (ns, name) = parent.get("parentRef").map(gateway_of).unwrap_or_default();
        let accepted =
            parent.get("conditions").and_then(Value::as_array).into_iter().flatten().find(|c| c["type"] == "Accepted");
        match accepted {
            Some(c) if c["status"] == "False" => {
                return Some(Attachment::Refused {
                    gateway: object("Gateway", Some(&ns), Some(&name)),
                    why: format!(
                        "Accepted=False, {}: {}",
                        c["reason"].as_str().unwrap_or("?"),
                        c["message"].as_str().unwrap_or("")
                    ),
                });
            }
            Some(c) if c["status"] == "True" => {
                accepted_by = accepted_by.or(Some(object("Gateway", Some(&ns), Some(&name))));
            }
            _ => {}
        }
    }
    if let Some(gateway) = accepted_by {
        return Some(Attachment::Listener {
            gateway,
            listener: "accepted (status.parents[].conditions[Accepted]=True)".into(),
        });
    }
    if snapshot.gateways.is_empty() {
        return None;
    }
    let route_hosts: Vec<String> = route
        .pointer("/spec/hostnames")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(Value::as_str)
        .map(str::to_owned)
        .collect();
    let mut reasons = Vec::new();
    let mut first_gateway = None;
    for parent in parents.iter().filter(|p| p.get("kind").and_then(Value::as_str).is_none_or(|k| k == "Gateway")) {
        let (ns, name) = gateway_of(parent);
        let gw_obj = object("Gateway", Some(&ns), Some(&name));
        first_gateway.get_or_insert_with(|| gw_obj.clone());
        let Some(gw) = snapshot.gateways.iter().find(|g| {
            str_at(g, "/metadata/namespace").as_deref() == Some(ns.as_str())
                && str_at(g, "/metadata/name").as_deref() == Some(name.as_str())
        }) else {
            reasons.push(format!("{gw_obj} is not in the snapshot"));
            continue;
        };
        let section = str_at(parent, "/sectionName");
        let port = parent.get("port").and_then(Value::as_i64);
        for l in gw.pointer("/spec/listeners").and_then(Value::as_array).into_iter().flatten() {
            let lname = str_at(l, "/name").unwrap_or_default();
            if section.as_ref().is_some_and(|s| *s != lname)
                || port.is_some_and(|p| l.get("port").and_then(Value::as_i64) != Some(p))
            {
                continue;
            }
            let protocol = str_at(l, "/protocol").unwrap_or_default();
            let lhost = str_at(l, "/hostname");
            let describe = format!(
                "listener {lname} ({protocol} {}, hostname {})",
                l.get("port").and_then(Value::as_i64).unwrap_or(0),
                lhost.as_deref().unwrap_or("*")
            );
            if !matches!(protocol.as_str(), "HTTP" | "HTTPS") {
                reasons.push(format!("{describe}: serves {protocol}, not HTTPRoutes"));
                continue;
            }
            let host_ok = match (host, lhost.as_deref()) {
                (_, None) => true,
                (Some(h), Some(lh)) => gateway_host_match(lh, h),
                (None, Some(lh)) => {
                    route_hosts.is_empty()
                        || route_hosts.iter().any(|rh| gateway_host_match(lh, rh) || gateway_host_match(rh, lh))
                }
            };
            if !host_ok {
                reasons.push(format!(
                    "{describe}: hostname does not cover {}",
                    host.map_or_else(|| route_hosts.join(", "), str::to_owned)
                ));
                continue;
            }
            let from = str_at(l, "/allowedRoutes/namespaces/from").unwrap_or_else(|| "Same".into());
            if from == "Same" && ns != route_ns {
                reasons.push(format!(
                    "{describe}: admits routes from namespace {ns} only (allowedRoutes.namespaces.from: Same)"
                ));
                continue;
            }
            let note = if from == "Selector" { " (namespace selector not checked)" } else { "" };
            return Some(Attachment::Listener { gateway: gw_obj, listener: format!("{describe}{note}") });
        }
        if section.is_some() && reasons.is_empty() {
            reasons.push(format!("{gw_obj} has no listener named {}", section.unwrap_or_default()));
        }
    }
    Some(Attachment::Refused {
        gateway: first_gateway.unwrap_or_else(|| "no parentRef".into()),
        why: if reasons.is_empty() { "spec.parentRefs names no Gateway".into() } else { reasons.join("; ") },
    })
}

/// Gateway API hostname matching: `*.example.com` covers any name ending in `.example.com`
/// (one or more labels), never `example.com` itself.
fn gateway_host_match(pattern: &str, host: &str) -> bool {
    match pattern.strip_prefix('*') {
        Some(suffix) if suffix.starts_with('.') => {
            host.len() > suffix.len() && host[host.len() - suffix.len()..].eq_ignore_ascii_case(suffix)
        }
        _ => pattern.eq_ignore_ascii_case(host),
    }
}

/// Gateway controllers culprit knows, by their GatewayClass `controllerName`: the namespace each
/// runs a Gateway's data plane in when its pods are not in the snapshot (`None`: the Gateway's
/// own), and what its proxy answers when a backend connection times out.
const CONTROLLERS: &[(&str, Option<&str>, &[u16])] = &[
    // Envoy Gateway: its controller's namespace by default (Gateway Namespace Mode aside); Envoy
    // answers 503 (UF, connection timeout).
    ("gateway.envoyproxy.io/gatewayclass-controller", Some("envoy-gateway-system"), &[503]),
    // Istio: one Deployment per Gateway, in the Gateway's namespace.
    ("istio.io/gateway-controller", None, &[503]),
    // NGINX Gateway Fabric: one nginx Deployment per Gateway, in the Gateway's namespace.
    ("gateway.nginx.org/nginx-gateway-controller", None, &[504]),
];

fn str_at<'v>(v: &'v serde_json::Value, pointer: &str) -> Option<&'v str> {
    v.pointer(pointer).and_then(serde_json::Value::as_str)
}

/// The Gateway `ns`/`name`, if the snapshot has it.
pub fn find_gateway<'a>(snapshot: &'a Snapshot, ns: &str, name: &str) -> Option<&'a serde_json::Value> {
    snapshot
        .gateways
        .iter()
        .find(|g| str_at(g, "/metadata/namespace") == Some(ns) && str_at(g, "/metadata/name") == Some(name))
}

/// The Gateways a route names in `parentRefs` (namespace, name), its own namespace by default.
pub fn route_gateways(route: &serde_json::Value) -> Vec<(String, String)> {
    let route_ns = str_at(route, "/metadata/namespace").unwrap_or("default");
    route
        .pointer("/spec/parentRefs")
        .and_then(serde_json::Value::as_array)
        .into_iter()
        .flatten()
        .filter(|p| str_at(p, "/kind").is_none_or(|k| k == "Gateway"))
        .filter_map(|p| Some((str_at(p, "/namespace").unwrap_or(route_ns).to_owned(), str_at(p, "/name")?.to_owned())))
        .collect()
}

/// The Services a route sends traffic to (namespace, name), its own namespace by default.
pub fn route_backends(route: &serde_json::Value) -> Vec<(String, String)> {
    let route_ns = str_at(route, "/metadata/namespace").unwrap_or("default");
    route
        .pointer("/spec/rules")
        .and_then(serde_json::Value::as_array)
        .into_iter()
        .flatten()
        .flat_map(|r| r.get("backendRefs").and_then(serde_json::Value::as_array).into_iter().flatten())
        .filter(|b| str_at(b, "/kind").is_none_or(|k| k == "Service"))
        .filter_map(|b| Some((str_at(b, "/namespace").unwrap_or(route_ns).to_owned(), str_at(b, "/name")?.to_owned())))
        .collect()
}

/// What is wrong with a Gateway's class, when the snapshot can tell (it holds GatewayClasses, and
/// the class's status when it judges acceptance).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ClassProblem {
    /// No GatewayClass of that name: no controller programs the Gateway.
    Missing { class: String, known: String },
    /// The class's controller has not accepted it: `Accepted` is `False`, or still `Unknown`
    /// (no controller has taken it up).
    NotAccepted { class: String, condition: String },
}

/// The problem with Gateway `gw`'s class, if any can be seen.
pub fn class_problem(snapshot: &Snapshot, gw: &serde_json::Value) -> Option<ClassProblem> {
    if snapshot.gateway_classes.is_empty() {
        return None;
    }
    let class = str_at(gw, "/spec/gatewayClassName")?.to_owned();
    let Some(found) = snapshot.gateway_classes.iter().find(|c| str_at(c, "/metadata/name") == Some(class.as_str()))
    else {
        let known: Vec<&str> = snapshot.gateway_classes.iter().filter_map(|c| str_at(c, "/metadata/name")).collect();
        return Some(ClassProblem::Missing { class, known: known.join(", ") });
    };
    let accepted = found
        .pointer("/status/conditions")
        .and_then(serde_json::Value::as_array)
        .into_iter()
        .flatten()
        .find(|c| c["type"] == "Accepted")?;
    let status = accepted["status"].as_str().unwrap_or("Unknown");
    (status != "True").then(|| ClassProblem::NotAccepted {
        class,
        condition: format!(
            "{status}, {}: {}",
            accepted["reason"].as_str().unwrap_or("?"),
            accepted["message"].as_str().unwrap_or("")
        ),
    })
}

fn label<'p>(p: &'p Pod, key: &str) -> Option<&'p str> {
    p.metadata.labels.as_ref().and_then(|l| l.get(key)).map(String::as_str)
}

/// The data plane of Gateway `ns`/`name`: the proxy whose pods carry its traffic to the backends.
/// Found from the pods when the snapshot has them — Envoy Gateway labels its Envoy pods
/// `gateway.envoyproxy.io/owning-gateway-name` and `-namespace` (they run in the controller's
/// namespace, `envoy-gateway-system` by default); Istio, NGINX Gateway Fabric and others label a
/// Gateway's own pods `gateway.networking.k8s.io/gateway-name` in the Gateway's namespace — else
/// from the GatewayClass's `controllerName` for the controllers culprit knows. `None` when neither
/// tells.
pub fn data_plane<'a>(snapshot: &'a Snapshot, ns: &str, name: &str) -> Option<Proxy<'a>> {
    let gateway = Some(object("Gateway", Some(ns), Some(name)));
    let controller = find_gateway(snapshot, ns, name)
        .and_then(|gw| str_at(gw, "/spec/gatewayClassName"))
        .and_then(|class| snapshot.gateway_classes.iter().find(|c| str_at(c, "/metadata/name") == Some(class)))
        .and_then(|c| str_at(c, "/spec/controllerName"))
        .and_then(|controller| CONTROLLERS.iter().find(|(id, ..)| *id == controller));
    let envoy: Vec<&Pod> = snapshot
        .pods
        .iter()
        .filter(|p| {
            label(p, "gateway.envoyproxy.io/owning-gateway-name") == Some(name)
                && label(p, "gateway.envoyproxy.io/owning-gateway-namespace") == Some(ns)
        })
        .collect();
    if let Some(first) = envoy.first() {
        let namespace = first.metadata.namespace.clone().unwrap_or_default();
        let how = format!("pods labelled gateway.envoyproxy.io/owning-gateway-name={name} run in {namespace}");
        return Some(Proxy { gateway, namespace, pods: envoy, codes: &[503], how });
    }
    let own: Vec<&Pod> = snapshot
        .pods
        .iter()
        .filter(|p| {
            p.metadata.namespace.as_deref() == Some(ns)
                && label(p, "gateway.networking.k8s.io/gateway-name") == Some(name)
        })
        .collect();
    if !own.is_empty() {
        let how = format!("pods labelled gateway.networking.k8s.io/gateway-name={name} run in {ns}");
        let codes = controller.map_or(&[503, 504][..], |(_, _, codes)| codes);
        return Some(Proxy { gateway, namespace: ns.to_owned(), pods: own, codes, how });
    }
    let (id, at, codes) = controller?;
    let namespace = at.unwrap_or(ns).to_owned();
    let how = format!("no pod of it in the snapshot; its controller {id} runs it in {namespace}");
    Some(Proxy { gateway, namespace, pods: Vec::new(), codes, how })
}
