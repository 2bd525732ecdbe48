//! Workloads behind Services and how they roll: replicas and strategy, preStop hooks against the
//! grace period and the load balancers' deregistration delay, probes that let traffic in too early
//! or restart pods under load, probes aimed at a port the container does not have, and fewer ready
//! replicas than wanted. Judged on the Deployment's pod template, or on the pods' own specs when
//! the dump has no Deployment for them.

use std::collections::BTreeMap;

use culprit_kb::{Finding, Severity};
use k8s_openapi::api::apps::v1::Deployment;
use k8s_openapi::api::core::v1::{Container, Pod, PodSpec, Probe, Service};
use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;

use crate::query::{object, workload_of};
use crate::snapshot::Snapshot;

/// The pod spec the rollout checks judge, and where it was read: a Deployment's template, or — in a
/// dump without the workload object (`kubectl get pods,svc,endpointslices,ingress`) — the spec
/// its pods carry, one finding per workload rather than per pod.
struct Workload<'a> {
    /// `Deployment/ns/name` (also when read from its pods).
    obj: String,
    ns: Option<&'a str>,
    labels: BTreeMap<String, String>,
    spec: Option<&'a PodSpec>,
    /// Where the containers sit in the object read: `spec.template.spec` or a pod's `spec`.
    at: &'static str,
    /// The pods read instead of the workload object, for the evidence.
    pods: Option<String>,
}

impl Workload<'_> {
    fn containers(&self) -> &[Container] {
        self.spec.map(|s| s.containers.as_slice()).unwrap_or_default()
    }

    /// The finding, with the pods it was read from when it comes from them.
    fn said(&self, f: Finding) -> Finding {
        match &self.pods {
            Some(pods) => f.with("pods", pods.clone()),
            None => f,
        }
    }
}

pub fn deployment_checks(snapshot: &Snapshot, d: &Deployment, out: &mut Vec<Finding>) {
    let ns = d.metadata.namespace.as_deref();
    let obj = object("Deployment", ns, d.metadata.name.as_deref());
    let Some(spec) = &d.spec else { return };
    let labels = spec.template.metadata.as_ref().and_then(|m| m.labels.clone()).unwrap_or_default();
    // Only Deployments behind a Service matter here.
    let served = snapshot.services.iter().any(|s| crate::query::service_selects(s, ns, Some(&labels)));
    if !served {
        return;
    }
    let workload = Workload {
        obj: obj.clone(),
        ns,
        labels,
        spec: spec.template.spec.as_ref(),
        at: "spec.template.spec",
        pods: None,
    };
    probe_checks(&workload, out);
    replicas_ready(d, out);
    let replicas = spec.replicas.unwrap_or(1);
    let recreate = spec.strategy.as_ref().and_then(|s| s.type_.as_deref()) == Some("Recreate");
    // Scaled to zero: nothing to roll (and nothing served by it).
    if replicas == 1 || replicas > 1 && recreate {
        let id = if recreate { "rollout_recreate_strategy" } else { "rollout_single_replica" };
        out.push(
            Finding::from_kb(id, Severity::Warning, &[503], obj, &[])
                .with("spec.replicas", replicas.to_string())
                .with("spec.strategy.type", if recreate { "Recreate" } else { "RollingUpdate" }),
        );
    }
    drain_checks(snapshot, &workload, out);
}

/// The rollout checks of workloads whose object is not in the snapshot, on their pods' own specs:
/// pods grouped by their controlling owner (a ReplicaSet stands for its Deployment), judged once
/// per workload on its newest pod, when a Service selects them. Workloads whose Deployment the
/// snapshot has are left to [`deployment_checks`].
pub fn pod_workload_checks(snapshot: &Snapshot, namespace: Option<&str>, out: &mut Vec<Finding>) {
    let mut workloads: BTreeMap<(String, &'static str, String), Vec<&Pod>> = BTreeMap::new();
    for pod in &snapshot.pods {
        let ns = pod.metadata.namespace.clone().unwrap_or_default();
        if namespace.is_some_and(|n| n != ns) {
            continue;
        }
        let Some((kind, name)) = workload_of(pod) else { continue };
        let known = kind == "Deployment"
            && snapshot.deployments.iter().any(|d| {
                d.metadata.namespace.as_deref() == Some(ns.as_str()) && d.metadata.name.as_deref() == Some(&name)
            });
        if !known {
            workloads.entry((ns, kind, name)).or_default().push(pod);
        }
    }
    for ((ns, kind, name), mut pods) in workloads {
        let served = pods.iter().any(|p| {
            snapshot.services.iter().any(|s| crate::query::service_selects(s, Some(&ns), p.metadata.labels.as_ref()))
        });
        if !served {
            continue;
        }
        pods.sort_by(|a, b| a.metadata.name.cmp(&b.metadata.name));
        // Mid-rollout, pods of two ReplicaSets differ: the newest pod shows the spec being rolled out.
        let Some(newest) = pods.iter().max_by_key(|p| p.metadata.creation_timestamp.as_ref().map(|t| t.0)).copied()
        else {
            continue;
        };
        // The evidence names a few pods: the finding is about the workload.
        let names: Vec<&str> = pods.iter().filter_map(|p| p.metadata.name.as_deref()).collect();
        let shown = match names.len() {
            n if n > 3 => format!("{} and {} more", names[..3].join(", "), n - 3),
            _ => names.join(", "),
        };
        let workload = Workload {
            obj: object(kind, Some(&ns), Some(&name)),
            ns: Some(&ns),
            labels: newest.metadata.labels.clone().unwrap_or_default(),
            spec: newest.spec.as_ref(),
            at: "spec",
            pods: Some(shown),
        };
        probe_checks(&workload, out);
        drain_checks(snapshot, &workload, out);
    }
}

/// A preStop sleep as long as the grace period, an AWS load balancer whose deregistration delay
/// outlasts it, no preStop hook at all: in-flight requests fail during rollouts.
fn drain_checks(snapshot: &Snapshot, w: &Workload<'_>, out: &mut Vec<Finding>) {
    let pod_spec = w.spec;
    let pre_stop = w.containers().iter().any(|c| c.lifecycle.as_ref().is_some_and(|l| l.pre_stop.is_some()));
    let grace = pod_spec.and_then(|s| s.termination_grace_period_seconds).unwrap_or(30);
    if let Some(sleep) = pod_spec.and_then(pre_stop_sleep)
        && sleep >= grace
    {
        // The grace period counts from the start of preStop: nothing is left for the app to drain.
        out.push(
            w.said(
                Finding::from_kb(
                    "pre_stop_outlasts_grace",
                    Severity::Warning,
                    &[502],
                    w.obj.clone(),
                    &[
                        ("sleep", &sleep.to_string()),
                        ("grace", &grace.to_string()),
                        ("enough", &(sleep + 15).to_string()),
                    ],
                )
                .with("preStop sleep", format!("{sleep} s"))
                .with("terminationGracePeriodSeconds", grace.to_string()),
            ),
        );
    }
    for (lb, delay) in aws_deregistration_delays(snapshot, w.ns, &w.labels) {
        if delay > grace {
            out.push(
                w.said(
                    Finding::from_kb(
                        "deregistration_outlasts_grace",
                        Severity::Warning,
                        &[502, 504],
                        w.obj.clone(),
                        &[
                            ("lb", &lb),
                            ("delay", &delay.to_string()),
                            ("grace", &grace.to_string()),
                            ("lower", &grace.saturating_sub(5).max(1).to_string()),
                        ],
                    )
                    .with("deregistration_delay.timeout_seconds", format!("{delay} ({lb})"))
                    .with("terminationGracePeriodSeconds", grace.to_string()),
                ),
            );
        }
    }
    if !pre_stop {
        out.push(
            w.said(
                Finding::from_kb("no_pre_stop_hook", Severity::Warning, &[502], w.obj.clone(), &[])
                    .with(format!("{}.containers[].lifecycle.preStop", w.at), "absent")
                    .with("terminationGracePeriodSeconds", grace.to_string()),
            ),
        );
    }
}

/// Seconds a pod template's preStop hooks sleep: the `sleep` action, or `sleep N` in an exec command
/// (`["sleep", "15"]`, `["sh", "-c", "… && sleep 15"]`); the longest over the containers.
fn pre_stop_sleep(spec: &PodSpec) -> Option<i64> {
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
    labels: &BTreeMap<String, String>,
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
        snapshot.services.iter().filter(|s| crate::query::service_selects(s, ns, Some(labels))).collect();
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

/// Probes: none for readiness (traffic before the app listens), liveness equal to readiness
/// (restarts under load), a probe on a port name the container does not declare (never ready).
fn probe_checks(w: &Workload<'_>, out: &mut Vec<Finding>) {
    let containers = w.containers();
    // Sidecars aside, the first container serves; any container with a readiness probe will do.
    if !containers.is_empty() && containers.iter().all(|c| c.readiness_probe.is_none()) {
        out.push(
            w.said(
                Finding::from_kb("no_readiness_probe", Severity::Warning, &[502], w.obj.clone(), &[])
                    .with(format!("{}.containers[].readinessProbe", w.at), "absent"),
            ),
        );
    }
    for c in containers {
        if let (Some(ready), Some(live)) = (&c.readiness_probe, &c.liveness_probe)
            && same_probe(ready, live)
        {
            out.push(
                w.said(
                    Finding::from_kb(
                        "liveness_is_readiness",
                        Severity::Warning,
                        &[502, 503],
                        w.obj.clone(),
                        &[("container", &c.name)],
                    )
                    .with("livenessProbe", probe_target(live))
                    .with("readinessProbe", probe_target(ready)),
                ),
            );
        }
        for (which, probe) in [
            ("readinessProbe", &c.readiness_probe),
            ("livenessProbe", &c.liveness_probe),
            ("startupProbe", &c.startup_probe),
        ] {
            let Some(IntOrString::String(port)) = probe.as_ref().and_then(probe_port) else { continue };
            if !c.ports.iter().flatten().any(|p| p.name.as_deref() == Some(port.as_str())) {
                out.push(
                    w.said(
                        Finding::from_kb(
                            "probe_port_undeclared",
                            Severity::Error,
                            &[503],
                            w.obj.clone(),
                            &[("container", &c.name), ("probe", which), ("port", &port)],
                        )
                        .with(format!("{which}.port"), port.clone())
                        .with("containers[].ports", ports_of(c)),
                    ),
                );
            }
        }
    }
}

/// Fewer ready replicas than the Deployment wants: less capacity (503 when none is left).
fn replicas_ready(d: &Deployment, out: &mut Vec<Finding>) {
    let obj = object("Deployment", d.metadata.namespace.as_deref(), d.metadata.name.as_deref());
    let Some(spec) = &d.spec else { return };
    let status = d.status.as_ref();
    let want = spec.replicas.unwrap_or(1);
    let ready = status.and_then(|s| s.ready_replicas).unwrap_or(0);
    if status.is_some() && want > 0 && ready < want {
        let progressing = status
            .and_then(|s| s.conditions.as_ref())
            .and_then(|c| c.iter().find(|c| c.type_ == "Progressing" && c.status == "False"))
            .map(|c| {
                format!(
                    "Progressing=False, {}: {}",
                    c.reason.as_deref().unwrap_or("?"),
                    c.message.as_deref().unwrap_or("")
                )
            });
        let severity = if ready == 0 { Severity::Error } else { Severity::Warning };
        let mut f = Finding::from_kb(
            "replicas_not_ready",
            severity,
            &[503],
            obj.clone(),
            &[
                ("ready", &ready.to_string()),
                ("wanted", &want.to_string()),
                ("namespace", d.metadata.namespace.as_deref().unwrap_or("default")),
                ("deployment", d.metadata.name.as_deref().unwrap_or("?")),
            ],
        )
        .with("status.readyReplicas", ready.to_string())
        .with("spec.replicas", want.to_string());
        if let Some(p) = progressing {
            f = f.with("status.conditions", p);
        }
        out.push(f);
    }
}

fn probe_port(p: &Probe) -> Option<IntOrString> {
    p.http_get.as_ref().map(|h| h.port.clone()).or_else(|| p.tcp_socket.as_ref().map(|t| t.port.clone()))
}

fn probe_target(p: &Probe) -> String {
    if let Some(h) = &p.http_get {
        return format!("httpGet {}:{}", h.path.as_deref().unwrap_or("/"), port_text(&h.port));
    }
    if let Some(t) = &p.tcp_socket {
        return format!("tcpSocket {}", port_text(&t.port));
    }
    if let Some(e) = &p.exec {
        return format!("exec {}", e.command.clone().unwrap_or_default().join(" "));
    }
    "grpc".into()
}

fn port_text(p: &IntOrString) -> String {
    match p {
        IntOrString::Int(n) => n.to_string(),
        IntOrString::String(s) => s.clone(),
    }
}

/// Same check on the same target (thresholds aside): both fail together.
fn same_probe(a: &Probe, b: &Probe) -> bool {
    probe_target(a) == probe_target(b)
}

fn ports_of(c: &Container) -> String {
    let ports: Vec<String> = c
        .ports
        .iter()
        .flatten()
        .map(|p| format!("{}{}", p.container_port, p.name.as_ref().map(|n| format!(" ({n})")).unwrap_or_default()))
        .collect();
    if ports.is_empty() { "none declared".into() } else { ports.join(", ") }
}
