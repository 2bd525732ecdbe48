//! Workloads behind Services and how they roll: replicas and strategy, preStop hooks against the
//! grace period and the load balancers' deregistration delay, probes that let traffic in too early
//! or restart pods under load, probes aimed at a port the container does not have, and fewer ready
//! replicas than wanted.

use culprit_kb::{Finding, Severity};
use k8s_openapi::api::apps::v1::Deployment;
use k8s_openapi::api::core::v1::{Container, Probe, Service};
use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;

use crate::query::object;
use crate::snapshot::Snapshot;

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
    deployment_workload_checks(d, out);
    let replicas = spec.replicas.unwrap_or(1);
    let recreate = spec.strategy.as_ref().and_then(|s| s.type_.as_deref()) == Some("Recreate");
    // Scaled to zero: nothing to roll (and nothing served by it).
    if replicas == 1 || replicas > 1 && recreate {
        let id = if recreate { "rollout_recreate_strategy" } else { "rollout_single_replica" };
        out.push(
            Finding::from_kb(id, Severity::Warning, &[503], obj.clone(), &[])
                .with("spec.replicas", replicas.to_string())
                .with("spec.strategy.type", if recreate { "Recreate" } else { "RollingUpdate" }),
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
            Finding::from_kb(
                "pre_stop_outlasts_grace",
                Severity::Warning,
                &[502],
                obj.clone(),
                &[("sleep", &sleep.to_string()), ("grace", &grace.to_string()), ("enough", &(sleep + 15).to_string())],
            )
            .with("preStop sleep", format!("{sleep} s"))
            .with("terminationGracePeriodSeconds", grace.to_string()),
        );
    }
    for (lb, delay) in aws_deregistration_delays(snapshot, ns, &labels) {
        if delay > grace {
            out.push(
                Finding::from_kb(
                    "deregistration_outlasts_grace",
                    Severity::Warning,
                    &[502, 504],
                    obj.clone(),
                    &[
                        ("lb", &lb),
                        ("delay", &delay.to_string()),
                        ("grace", &grace.to_string()),
                        ("lower", &grace.saturating_sub(5).max(1).to_string()),
                    ],
                )
                .with("deregistration_delay.timeout_seconds", format!("{delay} ({lb})"))
                .with("terminationGracePeriodSeconds", grace.to_string()),
            );
        }
    }
    if !pre_stop {
        out.push(
            Finding::from_kb("no_pre_stop_hook", Severity::Warning, &[502], obj, &[])
                .with("spec.template.spec.containers[].lifecycle.preStop", "absent")
                .with("terminationGracePeriodSeconds", grace.to_string()),
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

/// Probe and capacity checks of a Deployment whose pods a Service selects.
pub fn deployment_workload_checks(d: &Deployment, out: &mut Vec<Finding>) {
    let obj = object("Deployment", d.metadata.namespace.as_deref(), d.metadata.name.as_deref());
    let Some(spec) = &d.spec else { return };
    let containers = spec.template.spec.as_ref().map(|s| s.containers.as_slice()).unwrap_or_default();
    // Sidecars aside, the first container serves; any container with a readiness probe will do.
    if !containers.is_empty() && containers.iter().all(|c| c.readiness_probe.is_none()) {
        out.push(
            Finding::from_kb("no_readiness_probe", Severity::Warning, &[502], obj.clone(), &[])
                .with("spec.template.spec.containers[].readinessProbe", "absent"),
        );
    }
    for c in containers {
        if let (Some(ready), Some(live)) = (&c.readiness_probe, &c.liveness_probe)
            && same_probe(ready, live)
        {
            out.push(
                Finding::from_kb(
                    "liveness_is_readiness",
                    Severity::Warning,
                    &[502, 503],
                    obj.clone(),
                    &[("container", &c.name)],
                )
                .with("livenessProbe", probe_target(live))
                .with("readinessProbe", probe_target(ready)),
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
                    Finding::from_kb(
                        "probe_port_undeclared",
                        Severity::Error,
                        &[503],
                        obj.clone(),
                        &[("container", &c.name), ("probe", which), ("port", &port)],
                    )
                    .with(format!("{which}.port"), port.clone())
                    .with("containers[].ports", ports_of(c)),
                );
            }
        }
    }
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
