//! Checks across a namespace or the whole snapshot: each configuration or state that makes clients
//! get a particular status code, as a [`Finding`] with the object, the evidence and the fix.

pub mod controller;
mod ingress_rules;
mod workloads;

use culprit_kb::{Finding, Severity};
use k8s_openapi::api::apps::v1::Deployment;
use k8s_openapi::api::core::v1::Service;
use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;

use crate::route::{container_ports, declares_ports, endpoints, object, pod_declares, resolve_backend, selected_pods};
use crate::snapshot::Snapshot;
use serde_json::Value;

/// ingress-nginx reads only annotations with this prefix (unless the controller is configured
/// with another `--annotations-prefix`).
const NGINX_PREFIX: &str = "nginx.ingress.kubernetes.io/";
/// Prefixes of other controllers' annotations, ignored by ingress-nginx.
const FOREIGN_PREFIXES: &[&str] = &["nginx.org/", "ingress.kubernetes.io/", "traefik.ingress.kubernetes.io/"];

/// ingress-nginx annotations whose default produces a status code: (suffix, cause, code).
const ANNOTATION_EFFECTS: &[(&str, &str, u16)] = &[
    ("proxy-body-size", "body_too_large", 413),
    ("proxy-read-timeout", "upstream_timeout", 504),
    ("proxy-send-timeout", "upstream_timeout", 504),
    ("proxy-connect-timeout", "upstream_connect_timeout", 504),
    ("proxy-buffer-size", "upstream_header_too_big", 502),
    ("backend-protocol", "upstream_invalid_response", 502),
    ("ssl-redirect", "redirect_loop", 308),
    ("force-ssl-redirect", "redirect_loop", 308),
    ("limit-rps", "proxy_rate_limited", 503),
    ("limit-connections", "proxy_rate_limited", 503),
];

/// Every finding in the snapshot (or one namespace), most severe first.
pub fn check(snapshot: &Snapshot, namespace: Option<&str>) -> Vec<Finding> {
    let in_ns = |ns: Option<&String>| namespace.is_none_or(|n| ns.map(String::as_str) == Some(n));
    let mut out = Vec::new();
    for ing in snapshot.ingresses.iter().filter(|i| in_ns(i.metadata.namespace.as_ref())) {
        ingress_checks(snapshot, ing, &mut out);
        ingress_rules::ingress_rule_checks(snapshot, ing, &mut out);
    }
    ingress_rules::ingress_conflicts(snapshot, namespace, &mut out);
    for svc in snapshot.services.iter().filter(|s| in_ns(s.metadata.namespace.as_ref())) {
        service_checks(snapshot, svc, &mut out);
    }
    for pod in snapshot.pods.iter().filter(|p| in_ns(p.metadata.namespace.as_ref())) {
        out.extend(crate::route::pod_findings(snapshot, pod));
        out.extend(workloads::stuck_container(pod));
    }
    for d in snapshot.deployments.iter().filter(|d| in_ns(d.metadata.namespace.as_ref())) {
        deployment_checks(snapshot, d, &mut out);
    }
    network_policy_checks(snapshot, namespace, &mut out);
    workloads::node_checks(snapshot, namespace, &mut out);
    controller::controller_checks(snapshot, &mut out);
    for gw in snapshot
        .gateways
        .iter()
        .filter(|g| namespace.is_none_or(|n| g.pointer("/metadata/namespace").and_then(Value::as_str) == Some(n)))
    {
        gateway_checks(gw, &mut out);
    }
    for route in snapshot
        .http_routes
        .iter()
        .filter(|r| namespace.is_none_or(|n| r.pointer("/metadata/namespace").and_then(Value::as_str) == Some(n)))
    {
        http_route_checks(snapshot, route, &mut out);
    }
    for hpa in snapshot.hpas.iter().filter(|h| in_ns(h.metadata.namespace.as_ref())) {
        workloads::hpa_checks(snapshot, hpa, &mut out);
        let (Some(spec), Some(status)) = (&hpa.spec, &hpa.status) else { continue };
        if status.current_replicas.unwrap_or(0) >= spec.max_replicas {
            out.push(
                Finding::new(
                    "proxy_overloaded",
                    Severity::Warning,
                    &[503, 504],
                    object("HorizontalPodAutoscaler", hpa.metadata.namespace.as_deref(), hpa.metadata.name.as_deref()),
                    "the autoscaler is at maxReplicas: no room left to scale, so load turns into queues, timeouts and shed requests",
                )
                .with("status.currentReplicas", status.current_replicas.unwrap_or(0).to_string())
                .with("spec.maxReplicas", spec.max_replicas.to_string())
                .fix("raise spec.maxReplicas (and check the cluster has room), or find what drove the load up"),
            );
        }
    }
    out.sort_by(|a, b| b.severity.cmp(&a.severity).then_with(|| a.object.cmp(&b.object)));
    out
}

fn ingress_checks(snapshot: &Snapshot, ing: &k8s_openapi::api::networking::v1::Ingress, out: &mut Vec<Finding>) {
    let ns = ing.metadata.namespace.as_deref();
    let obj = object("Ingress", ns, ing.metadata.name.as_deref());
    let annotations = ing.metadata.annotations.clone().unwrap_or_default();
    let class = crate::route::class_of(ing);
    let nginx = class.as_deref().is_none_or(|c| c.contains("nginx"));
    if nginx {
        for key in annotations.keys() {
            let Some(prefix) = FOREIGN_PREFIXES.iter().find(|p| key.starts_with(*p)) else { continue };
            let suffix = &key[prefix.len()..];
            // What the intended setting would have prevented, had ingress-nginx read it.
            let Some((cause, code)) = ANNOTATION_EFFECTS.iter().find(|(s, ..)| *s == suffix).map(|(_, c, n)| (*c, *n))
            else {
                continue;
            };
            out.push(
                Finding::new(cause, Severity::Warning, &[code], obj.clone(), format!("annotation {key} is ignored by ingress-nginx (it reads {NGINX_PREFIX}{suffix}): the default applies"))
                    .with(format!("metadata.annotations[{key}]"), annotations[key].clone())
                    .fix(format!("metadata:\n  annotations:\n    {NGINX_PREFIX}{suffix}: \"{}\"", annotations[key])),
            );
        }
    }
    // backend-protocol against what the Service port says it speaks.
    let protocol = annotations.get(&format!("{NGINX_PREFIX}backend-protocol")).map(|p| p.to_ascii_uppercase());
    let mut mismatched: Vec<(Finding, String)> = Vec::new();
    for path in
        ing.spec.iter().flat_map(|s| s.rules.iter().flatten()).flat_map(|r| r.http.iter().flat_map(|h| &h.paths))
    {
        let Some(svc_ref) = &path.backend.service else { continue };
        let svc_obj = object("Service", ns, Some(&svc_ref.name));
        let (_, port) = match resolve_backend(snapshot, ns, &obj, svc_ref) {
            Ok(found) => found,
            Err(finding) => {
                if !out.contains(&*finding) {
                    out.push(*finding);
                }
                continue;
            }
        };
        let app = port.app_protocol.as_deref().unwrap_or("").to_ascii_lowercase();
        let pname = port.name.as_deref().unwrap_or("");
        let speaks_tls = app == "https" || pname == "https" || pname.starts_with("https-") || port.port == 443;
        let speaks_grpc = app.contains("grpc") || app.contains("h2c") || pname.starts_with("grpc");
        let speaks_plain = app == "http" || pname == "http" || pname.starts_with("http-");
        let said = protocol.as_deref().unwrap_or("HTTP");
        let mismatch = match said {
            "HTTPS" => speaks_plain || speaks_grpc,
            "GRPC" | "GRPCS" => speaks_plain || speaks_tls && !speaks_grpc,
            _ => speaks_tls || speaks_grpc,
        };
        if nginx && mismatch {
            let fix_to = if speaks_grpc {
                "GRPC"
            } else if speaks_tls {
                "HTTPS"
            } else {
                "HTTP"
            };
            let evidence = (
                svc_obj,
                format!(
                    "port {} named {}, appProtocol {}",
                    port.port,
                    port.name.as_deref().unwrap_or("-"),
                    port.app_protocol.as_deref().unwrap_or("-")
                ),
            );
            // The annotation covers the whole Ingress: one finding, every backend it misleads.
            match mismatched.iter_mut().find(|(f, _): &&mut (Finding, String)| f.object == obj) {
                Some((f, _)) => {
                    if !f.evidence.iter().any(|e| e.source == evidence.0) {
                        f.evidence.push(culprit_kb::EvidenceItem { source: evidence.0, value: evidence.1 });
                    }
                }
                None => mismatched.push((
                    Finding::new(
                        "upstream_invalid_response",
                        Severity::Warning,
                        &[502],
                        obj.clone(),
                        format!("ingress-nginx talks {said} to backends that speak {fix_to}"),
                    )
                    .with(
                        format!("{NGINX_PREFIX}backend-protocol"),
                        protocol.clone().unwrap_or_else(|| "(unset: HTTP)".into()),
                    )
                    .with(evidence.0, evidence.1)
                    .fix(format!("metadata:\n  annotations:\n    {NGINX_PREFIX}backend-protocol: \"{fix_to}\"")),
                    fix_to.to_owned(),
                )),
            }
        }
    }
    out.extend(mismatched.into_iter().map(|(f, _)| f));
}

fn service_checks(snapshot: &Snapshot, svc: &Service, out: &mut Vec<Finding>) {
    let ns = svc.metadata.namespace.as_deref();
    let obj = object("Service", ns, svc.metadata.name.as_deref());
    let Some(spec) = &svc.spec else { return };
    if spec.type_.as_deref() == Some("ExternalName") {
        return;
    }
    if spec.selector.as_ref().is_none_or(std::collections::BTreeMap::is_empty) {
        // Endpoints managed by hand or by another controller; none at all means 503. Judged only
        // when the dump has endpoints of some Service (else it simply lacks the kind).
        let dump_has_endpoints = !snapshot.endpoint_slices.is_empty() || !snapshot.endpoints.is_empty();
        if dump_has_endpoints && endpoints(snapshot, svc, None).missing {
            out.push(
                Finding::new(
                    "no_ready_endpoints",
                    Severity::Warning,
                    &[503],
                    obj,
                    "no selector and no EndpointSlice or Endpoints of its own: nothing receives its traffic",
                )
                .with("spec.selector", "(none)")
                .fix("add spec.selector matching the pods' labels, or create the EndpointSlice the Service expects"),
            );
        }
        return;
    }
    let pods = selected_pods(snapshot, svc);
    if pods.is_empty() {
        out.push(
            Finding::new(
                "no_ready_endpoints",
                Severity::Error,
                &[503],
                obj,
                "the selector matches no pod: the Service has no endpoints",
            )
            .with("spec.selector", format!("{:?}", spec.selector.clone().unwrap_or_default()))
            .fix("make spec.selector equal the pod template's labels"),
        );
        return;
    }
    let selector = spec.selector.clone().unwrap_or_default();
    let workloads: Vec<&str> =
        crate::route::deployments_behind(snapshot, svc).iter().filter_map(|d| d.metadata.name.as_deref()).collect();
    if workloads.len() > 1 {
        out.push(
            Finding::new("selector_overlap", Severity::Warning, &[404, 500], obj.clone(), format!("the selector matches the pods of {} Deployments ({}): requests are spread over all of them", workloads.len(), workloads.join(", ")))
                .with("spec.selector", format!("{selector:?}"))
                .fix("spec:\n  selector:\n    app: …\n    app.kubernetes.io/instance: …   # a label only one Deployment's pods carry"),
        );
    }
    for port in spec.ports.iter().flatten() {
        let target = port.target_port.clone().unwrap_or(IntOrString::Int(port.port));
        match &target {
            IntOrString::String(name) if !pods.iter().any(|p| pod_declares(p, &target)) => {
                out.push(
                    Finding::new("no_ready_endpoints", Severity::Error, &[503], obj.clone(), format!("targetPort '{name}' names no container port of the selected pods: they are left out of the endpoints"))
                        .with("containers[].ports", container_ports(pods[0]))
                        .fix(format!("name the container port '{name}', or set targetPort to its number")),
                );
                // The empty endpoints follow from it; one finding says it.
                continue;
            }
            IntOrString::Int(n) if pods.iter().all(|p| declares_ports(p) && !pod_declares(p, &target)) => {
                out.push(
                    Finding::new(
                        "upstream_connection_refused",
                        Severity::Warning,
                        &[502],
                        obj.clone(),
                        format!(
                            "targetPort {n} is not among the ports the pods declare: connections are likely refused"
                        ),
                    )
                    .with("containers[].ports", container_ports(pods[0]))
                    .fix("set targetPort to the port the container listens on"),
                );
            }
            _ => {}
        }
        let counts = endpoints(snapshot, svc, port.name.as_deref());
        if !counts.missing && counts.ready == 0 {
            out.push(
                Finding::new(
                    "no_ready_endpoints",
                    Severity::Error,
                    &[503],
                    obj.clone(),
                    format!("no ready endpoint for port {}", port.port),
                )
                .with(
                    "EndpointSlices",
                    format!(
                        "{} ready, {} not ready, {} terminating",
                        counts.ready, counts.not_ready, counts.terminating
                    ),
                )
                .fix("see why the pods are not ready: kubectl describe pod (readiness probe, crash loop)"),
            );
        }
    }
}

fn deployment_checks(snapshot: &Snapshot, d: &Deployment, out: &mut Vec<Finding>) {
    let ns = d.metadata.namespace.as_deref();
    let obj = object("Deployment", ns, d.metadata.name.as_deref());
    let Some(spec) = &d.spec else { return };
    let labels = spec.template.metadata.as_ref().and_then(|m| m.labels.clone()).unwrap_or_default();
    // Only Deployments behind a Service matter here.
    let served = snapshot.services.iter().any(|s| crate::route::service_selects(s, ns, Some(&labels)));
    if !served {
        return;
    }
    workloads::deployment_workload_checks(d, out);
    let replicas = spec.replicas.unwrap_or(1);
    let recreate = spec.strategy.as_ref().and_then(|s| s.type_.as_deref()) == Some("Recreate");
    // Scaled to zero: nothing to roll (and nothing served by it).
    if replicas == 1 || replicas > 1 && recreate {
        let why =
            if recreate { "strategy Recreate stops every pod before starting new ones" } else { "a single replica" };
        out.push(
            Finding::new("no_ready_endpoints", Severity::Warning, &[503], obj.clone(), format!("{why}: every rollout or restart leaves the Service without endpoints"))
                .with("spec.replicas", replicas.to_string())
                .with("spec.strategy.type", if recreate { "Recreate" } else { "RollingUpdate" })
                .fix("spec:\n  replicas: 2\n  strategy:\n    type: RollingUpdate\n    rollingUpdate:\n      maxUnavailable: 0"),
        );
    }
    let pod_spec = spec.template.spec.as_ref();
    let pre_stop = pod_spec
        .is_some_and(|s| s.containers.iter().any(|c| c.lifecycle.as_ref().is_some_and(|l| l.pre_stop.is_some())));
    let grace = pod_spec.and_then(|s| s.termination_grace_period_seconds).unwrap_or(30);
    if let Some(sleep) = pod_spec.and_then(pre_stop_sleep)
        && sleep >= grace
    {
        // The grace period counts from the start of preStop: nothing is left for the app to drain.
        out.push(
            Finding::new("rollout_drain_race", Severity::Warning, &[502], obj.clone(), format!("the preStop hook sleeps {sleep} s but the grace period is {grace} s: the kubelet kills the container before it finishes in-flight requests"))
                .with("preStop sleep", format!("{sleep} s"))
                .with("terminationGracePeriodSeconds", grace.to_string())
                .fix(format!("spec:\n  template:\n    spec:\n      terminationGracePeriodSeconds: {}   # preStop sleep + the app's own drain time", sleep + 15)),
        );
    }
    for (lb, delay) in aws_deregistration_delays(snapshot, ns, &labels) {
        if delay > grace {
            out.push(
                Finding::new("rollout_drain_race", Severity::Warning, &[502, 504], obj.clone(), format!("{lb} keeps in-flight requests on a deregistering pod for up to {delay} s, but the pod is killed after {grace} s: long requests during rollouts fail"))
                    .with("deregistration_delay.timeout_seconds", format!("{delay} ({lb})"))
                    .with("terminationGracePeriodSeconds", grace.to_string())
                    .fix(format!("either lower the delay below the grace period:\n  alb.ingress.kubernetes.io/target-group-attributes: deregistration_delay.timeout_seconds={}\nor raise the pod's terminationGracePeriodSeconds above {delay}", grace.saturating_sub(5).max(1))),
            );
        }
    }
    if !pre_stop {
        out.push(
            Finding::new("rollout_drain_race", Severity::Warning, &[502], obj, "no preStop hook: pods stop while the ingress and load balancers still send to them (502 during rollouts)")
                .with("spec.template.spec.containers[].lifecycle.preStop", "absent")
                .with("terminationGracePeriodSeconds", grace.to_string())
                .fix("lifecycle:\n  preStop:\n    exec:\n      command: [\"sleep\", \"15\"]   # longer than endpoint propagation and LB deregistration"),
        );
    }
}

/// Seconds a pod template's preStop hooks sleep: the `sleep` action, or `sleep N` in an exec command
/// (`["sleep", "15"]`, `["sh", "-c", "… && sleep 15"]`); the longest over the containers.
fn pre_stop_sleep(spec: &k8s_openapi::api::core::v1::PodSpec) -> Option<i64> {
    spec.containers
        .iter()
        .filter_map(|c| c.lifecycle.as_ref()?.pre_stop.as_ref())
        .filter_map(|hook| {
            if let Some(sleep) = &hook.sleep {
                return Some(sleep.seconds);
            }
            let words: Vec<&str> =
                hook.exec.as_ref()?.command.iter().flatten().flat_map(|part| part.split_whitespace()).collect();
            words.windows(2).find(|w| w[0].ends_with("sleep")).and_then(|w| w[1].trim_end_matches(';').parse().ok())
        })
        .max()
}

/// AWS load balancers that send straight to pod IPs (`target-type: ip`) in front of pods with these
/// labels, with their deregistration delay (300 s unless the target group attributes say).
fn aws_deregistration_delays(
    snapshot: &Snapshot,
    ns: Option<&str>,
    labels: &std::collections::BTreeMap<String, String>,
) -> Vec<(String, i64)> {
    const DEFAULT_DELAY: i64 = 300;
    let delay_in = |attrs: Option<&String>| {
        attrs
            .and_then(|a| {
                a.split(',')
                    .find_map(|kv| kv.trim().strip_prefix("deregistration_delay.timeout_seconds=")?.parse().ok())
            })
            .unwrap_or(DEFAULT_DELAY)
    };
    let services: Vec<&Service> =
        snapshot.services.iter().filter(|s| crate::route::service_selects(s, ns, Some(labels))).collect();
    let mut out = Vec::new();
    for svc in &services {
        let a = svc.metadata.annotations.clone().unwrap_or_default();
        if a.get("service.beta.kubernetes.io/aws-load-balancer-nlb-target-type").map(String::as_str) == Some("ip") {
            let name = object("Service", ns, svc.metadata.name.as_deref());
            out.push((
                format!("the NLB of {name}"),
                delay_in(a.get("service.beta.kubernetes.io/aws-load-balancer-target-group-attributes")),
            ));
        }
    }
    for ing in snapshot.ingresses.iter().filter(|i| i.metadata.namespace.as_deref() == ns) {
        let a = ing.metadata.annotations.clone().unwrap_or_default();
        if a.get("alb.ingress.kubernetes.io/target-type").map(String::as_str) != Some("ip") {
            continue;
        }
        let routes_here = ing
            .spec
            .iter()
            .flat_map(|s| {
                s.rules
                    .iter()
                    .flatten()
                    .flat_map(|r| r.http.iter().flat_map(|h| &h.paths))
                    .map(|p| &p.backend)
                    .chain(s.default_backend.as_ref())
            })
            .filter_map(|b| b.service.as_ref())
            .any(|b| services.iter().any(|s| s.metadata.name.as_deref() == Some(b.name.as_str())));
        if routes_here {
            let name = object("Ingress", ns, ing.metadata.name.as_deref());
            out.push((
                format!("the ALB of {name}"),
                delay_in(a.get("alb.ingress.kubernetes.io/target-group-attributes")),
            ));
        }
    }
    out
}

/// The namespace the ingress controller runs in: its pods' namespace when the snapshot has them.
pub fn controller_namespace(snapshot: &Snapshot) -> String {
    snapshot
        .pods
        .iter()
        .find(|p| {
            p.metadata.labels.as_ref().and_then(|l| l.get("app.kubernetes.io/name")).map(String::as_str)
                == Some("ingress-nginx")
        })
        .and_then(|p| p.metadata.namespace.clone())
        .unwrap_or_else(|| "ingress-nginx".into())
}

/// Whether a label selector with only `matchLabels` selects `labels`; `None` when it has
/// expressions this check does not evaluate.
fn selects(
    selector: &k8s_openapi::apimachinery::pkg::apis::meta::v1::LabelSelector,
    labels: Option<&std::collections::BTreeMap<String, String>>,
) -> Option<bool> {
    if selector.match_expressions.as_ref().is_some_and(|e| !e.is_empty()) {
        return None;
    }
    Some(selector.match_labels.iter().flatten().all(|(k, v)| labels.and_then(|l| l.get(k)) == Some(v)))
}

/// Pods behind Ingress-served Services that some NetworkPolicy isolates for ingress traffic while
/// none lets the ingress controller's namespace in: the proxy's connections hang (504).
fn network_policy_checks(snapshot: &Snapshot, namespace: Option<&str>, out: &mut Vec<Finding>) {
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
    Finding::new(
        "upstream_connect_timeout",
        Severity::Error,
        &[504],
        np_obj,
        format!(
            "it isolates the pods of Service {service} without letting the ingress controller's namespace ({controller}) in: connections hang until the proxy's connect timeout"
        ),
    )
    .with("spec.podSelector", format!("{:?}", np.spec.as_ref().and_then(|s| s.pod_selector.as_ref()).and_then(|p| p.match_labels.clone()).unwrap_or_default()))
    .with("spec.ingress", format!("{} rules, none from namespace {controller}", np.spec.as_ref().and_then(|s| s.ingress.as_ref()).map_or(0, Vec::len)))
    .fix(format!(
        "spec:\n  ingress:\n  - from:\n    - namespaceSelector:\n        matchLabels:\n          kubernetes.io/metadata.name: {controller}"
    ))
}

/// Gateway API HTTPRoutes: what the Gateway controller says in `status.parents[].conditions`
/// (not Accepted → requests do not reach the route: 404; refs not resolved → 500), and
/// cross-namespace backendRefs without a ReferenceGrant allowing them (500).
/// A Gateway its controller did not accept or program: its listeners do not serve.
fn gateway_checks(gw: &Value, out: &mut Vec<Finding>) {
    let ns = gw.pointer("/metadata/namespace").and_then(Value::as_str);
    let obj = object("Gateway", ns, gw.pointer("/metadata/name").and_then(Value::as_str));
    let conditions = gw.pointer("/status/conditions").and_then(Value::as_array).into_iter().flatten();
    if let Some(c) = conditions
        .into_iter()
        .find(|c| (c["type"] == "Accepted" || c["type"] == "Programmed") && c["status"] == "False")
    {
        out.push(
            Finding::new("no_route", Severity::Error, &[404], obj, format!("the Gateway is not {}: its listeners do not serve (connections fail, or a shared data plane answers 404)", if c["type"] == "Accepted" { "accepted" } else { "programmed" }))
                .with(format!("status.conditions[{}]", c["type"].as_str().unwrap_or("?")), format!("False, {}: {}", c["reason"].as_str().unwrap_or("?"), c["message"].as_str().unwrap_or("")))
                .fix("kubectl describe gateway …; check spec.gatewayClassName names an accepted GatewayClass, and the listeners' ports, TLS certificateRefs and addresses"),
        );
    }
}

fn http_route_checks(snapshot: &Snapshot, route: &Value, out: &mut Vec<Finding>) {
    let ns = route.pointer("/metadata/namespace").and_then(Value::as_str).unwrap_or("default");
    let name = route.pointer("/metadata/name").and_then(Value::as_str);
    let obj = object("HTTPRoute", Some(ns), name);
    let conditions: Vec<&Value> = route
        .pointer("/status/parents")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .flat_map(|p| p.get("conditions").and_then(Value::as_array).into_iter().flatten())
        .collect();
    let failing = |kind: &str| conditions.iter().find(|c| c["type"] == kind && c["status"] == "False").copied();
    if let Some(c) = failing("Accepted") {
        out.push(
            Finding::new(
                "no_route",
                Severity::Error,
                &[404],
                obj.clone(),
                "the Gateway did not accept the route: its hostnames and paths are not served",
            )
            .with(
                "status.parents[].conditions[Accepted]",
                format!("False, {}: {}", c["reason"].as_str().unwrap_or("?"), c["message"].as_str().unwrap_or("")),
            )
            .fix("check spec.parentRefs (Gateway name, namespace, sectionName) and the listener's allowedRoutes"),
        );
    }
    // Manifests without status (`cluster check --from manifests/`): would any listener admit it?
    if conditions.is_empty()
        && let Some(crate::gateway::Attachment::Refused { gateway, why }) =
            crate::gateway::gateway_attachment(snapshot, route, None)
    {
        out.push(
            Finding::new("no_route", Severity::Error, &[404], obj.clone(), format!("no listener of {gateway} admits the route: its hostnames and paths are not served"))
                .with("spec.parentRefs", why)
                .fix("name the Gateway (and sectionName) whose listener serves the route's hostnames; on the Gateway, allowedRoutes.namespaces.from: All or a Selector that admits the route's namespace"),
        );
    }
    if let Some(c) = failing("ResolvedRefs") {
        out.push(
            Finding::new(
                "invalid_backend_ref",
                Severity::Error,
                &[500],
                obj.clone(),
                "a backendRef does not resolve: the Gateway answers 500 for the requests it would get",
            )
            .with(
                "status.parents[].conditions[ResolvedRefs]",
                format!("False, {}: {}", c["reason"].as_str().unwrap_or("?"), c["message"].as_str().unwrap_or("")),
            ),
        );
        return; // the cross-namespace check below would say the same thing again
    }
    let refs = route
        .pointer("/spec/rules")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .flat_map(|r| r.get("backendRefs").and_then(Value::as_array).into_iter().flatten());
    for rule in route.pointer("/spec/rules").and_then(Value::as_array).into_iter().flatten() {
        for (field, what) in [("request", "the whole request"), ("backendRequest", "each try at the backend")] {
            if let Some(t) = rule.pointer(&format!("/timeouts/{field}")).and_then(Value::as_str) {
                out.push(
                    Finding::new(
                        "upstream_timeout",
                        Severity::Info,
                        &[504],
                        obj.clone(),
                        format!("timeouts.{field} {t}: the Gateway answers 504 when {what} takes longer"),
                    )
                    .with(format!("spec.rules[].timeouts.{field}"), t)
                    .fix("raise it above the slowest legitimate response (p99.9 latency of the backend)"),
                );
            }
        }
    }
    for r in refs {
        let to_ns = r.get("namespace").and_then(Value::as_str).unwrap_or(ns);
        let kind = r.get("kind").and_then(Value::as_str).unwrap_or("Service");
        let backend = r.get("name").and_then(Value::as_str).unwrap_or("?");
        if kind == "Service"
            && let Some(port) = r.get("port").and_then(Value::as_i64)
            && let Some(svc) = snapshot
                .services
                .iter()
                .find(|s| s.metadata.namespace.as_deref() == Some(to_ns) && s.metadata.name.as_deref() == Some(backend))
            && !svc.spec.iter().flat_map(|sp| sp.ports.iter().flatten()).any(|p| i64::from(p.port) == port)
        {
            out.push(
                Finding::new(
                    "invalid_backend_ref",
                    Severity::Error,
                    &[500, 503],
                    obj.clone(),
                    format!("backendRef {to_ns}/{backend} port {port} is not a port of that Service"),
                )
                .with("spec.rules[].backendRefs[].port", port.to_string())
                .with("Service ports", crate::route::ports_list(svc))
                .fix("set the backendRef's port to one of the Service's ports (the Service port, not the container's)"),
            );
        }
        if to_ns == ns {
            continue;
        }
        let granted = snapshot.reference_grants.iter().any(|g| {
            g.pointer("/metadata/namespace").and_then(Value::as_str) == Some(to_ns)
                && g.pointer("/spec/from").and_then(Value::as_array).is_some_and(|from| {
                    from.iter().any(|f| f["kind"] == "HTTPRoute" && f["namespace"].as_str() == Some(ns))
                })
                && g.pointer("/spec/to").and_then(Value::as_array).is_some_and(|to| {
                    to.iter().any(|t| {
                        t["kind"].as_str() == Some(kind)
                            && t.get("name").and_then(Value::as_str).is_none_or(|n| n == backend)
                    })
                })
        });
        if !granted {
            out.push(
                Finding::new("invalid_backend_ref", Severity::Error, &[500], obj.clone(), format!("backendRef {to_ns}/{backend} crosses namespaces without a ReferenceGrant in {to_ns}"))
                    .with("spec.rules[].backendRefs[]", format!("{kind} {to_ns}/{backend}"))
                    .fix(format!(
                        "apiVersion: gateway.networking.k8s.io/v1beta1\nkind: ReferenceGrant\nmetadata:\n  name: allow-{ns}-routes\n  namespace: {to_ns}\nspec:\n  from:\n  - group: gateway.networking.k8s.io\n    kind: HTTPRoute\n    namespace: {ns}\n  to:\n  - group: \"\"\n    kind: {kind}"
                    )),
            );
        }
    }
}
