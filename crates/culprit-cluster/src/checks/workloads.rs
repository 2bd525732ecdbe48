//! Workloads behind Services: probes that let traffic in too early or restart pods under load,
//! probes aimed at a port the container does not have, containers that cannot start, Deployments
//! short of ready replicas, and autoscalers that cannot scale.

use culprit_kb::{Finding, Severity};
use k8s_openapi::api::apps::v1::Deployment;
use k8s_openapi::api::core::v1::{Container, Pod, Probe};
use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;

use crate::route::object;
use crate::snapshot::Snapshot;

/// Waiting reasons of a container that will not start on its own.
const STUCK: &[&str] = &[
    "ImagePullBackOff",
    "ErrImagePull",
    "ErrImageNeverPull",
    "InvalidImageName",
    "ImageInspectError",
    "CreateContainerConfigError",
    "CreateContainerError",
    "RunContainerError",
    "PreStartHookError",
];

/// Probe and capacity checks of a Deployment whose pods a Service selects.
pub fn deployment_workload_checks(d: &Deployment, out: &mut Vec<Finding>) {
    let obj = object("Deployment", d.metadata.namespace.as_deref(), d.metadata.name.as_deref());
    let Some(spec) = &d.spec else { return };
    let containers = spec.template.spec.as_ref().map(|s| s.containers.as_slice()).unwrap_or_default();
    // Sidecars aside, the first container serves; any container with a readiness probe will do.
    if !containers.is_empty() && containers.iter().all(|c| c.readiness_probe.is_none()) {
        out.push(
            Finding::new("upstream_connection_refused", Severity::Warning, &[502], obj.clone(), "no readiness probe: new pods get traffic as soon as they start, before the app listens (502 on every rollout and restart)")
                .with("spec.template.spec.containers[].readinessProbe", "absent")
                .fix("readinessProbe:\n  httpGet:\n    path: /healthz\n    port: http\n  periodSeconds: 5"),
        );
    }
    for c in containers {
        if let (Some(ready), Some(live)) = (&c.readiness_probe, &c.liveness_probe)
            && same_probe(ready, live)
        {
            out.push(
                Finding::new("pod_crash_looping", Severity::Warning, &[502, 503], obj.clone(), format!("container {}: the liveness probe is the readiness probe: under load both fail, and the kubelet restarts pods that only needed to shed traffic", c.name))
                    .with("livenessProbe", probe_target(live))
                    .with("readinessProbe", probe_target(ready))
                    .fix("livenessProbe:\n  httpGet:\n    path: /livez      # cheap, no dependencies\n    port: http\n  failureThreshold: 6"),
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
                    Finding::new("no_ready_endpoints", Severity::Error, &[503], obj.clone(), format!("container {}: {which} uses port '{port}', which the container does not declare: the probe fails and the pod never becomes ready", c.name))
                        .with(format!("{which}.port"), port.clone())
                        .with("containers[].ports", ports_of(c))
                        .fix(format!("name the container port '{port}', or give the probe the port number")),
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
        let mut f = Finding::new("no_ready_endpoints", if ready == 0 { Severity::Error } else { Severity::Warning }, &[503], obj.clone(), format!("{ready} of {want} replicas ready: less capacity than intended (503 when none is left, timeouts under load)"))
            .with("status.readyReplicas", ready.to_string())
            .with("spec.replicas", want.to_string())
            .fix(format!("kubectl describe deployment -n {} {}; kubectl get pods -l … (why are pods not ready?)", d.metadata.namespace.as_deref().unwrap_or("default"), d.metadata.name.as_deref().unwrap_or("?")));
        if let Some(p) = progressing {
            f = f.with("status.conditions", p);
        }
        out.push(f);
    }
}

/// A pod whose container cannot start (image, config): it never serves.
pub fn stuck_container(pod: &Pod) -> Option<Finding> {
    let status = pod.status.as_ref()?;
    let waiting = status
        .init_container_statuses
        .iter()
        .flatten()
        .chain(status.container_statuses.iter().flatten())
        .find_map(|cs| {
            let w = cs.state.as_ref()?.waiting.as_ref()?;
            let reason = w.reason.as_deref()?;
            STUCK.contains(&reason).then(|| (cs.name.clone(), reason.to_owned(), w.message.clone().unwrap_or_default()))
        })?;
    let (container, reason, message) = waiting;
    let (ns, name) = (pod.metadata.namespace.as_deref(), pod.metadata.name.as_deref());
    Some(
        Finding::new(
            "no_ready_endpoints",
            Severity::Error,
            &[503],
            object("Pod", ns, name),
            format!("container {container} cannot start ({reason}): the pod never serves"),
        )
        .with("status.containerStatuses[].state.waiting", format!("{reason}: {message}"))
        .fix(format!(
            "kubectl describe pod -n {} {}  # image name and pull secret, or the ConfigMap/Secret it needs",
            ns.unwrap_or("default"),
            name.unwrap_or("?")
        )),
    )
}

/// Autoscalers that cannot do their job: no target, metrics unavailable, or fighting a static
/// `replicas` in the Deployment. At maxReplicas is checked with the other capacity findings.
pub fn hpa_checks(
    snapshot: &Snapshot,
    hpa: &k8s_openapi::api::autoscaling::v2::HorizontalPodAutoscaler,
    out: &mut Vec<Finding>,
) {
    let ns = hpa.metadata.namespace.as_deref();
    let obj = object("HorizontalPodAutoscaler", ns, hpa.metadata.name.as_deref());
    let Some(spec) = &hpa.spec else { return };
    let target = &spec.scale_target_ref;
    let deployment = snapshot
        .deployments
        .iter()
        .find(|d| d.metadata.namespace.as_deref() == ns && d.metadata.name.as_deref() == Some(target.name.as_str()));
    if target.kind == "Deployment" && deployment.is_none() && !snapshot.deployments.is_empty() {
        out.push(
            Finding::new(
                "proxy_overloaded",
                Severity::Warning,
                &[503, 504],
                obj.clone(),
                format!("scaleTargetRef Deployment {} does not exist: nothing scales under load", target.name),
            )
            .with("spec.scaleTargetRef", format!("{} {}", target.kind, target.name))
            .fix("point spec.scaleTargetRef at the Deployment's name"),
        );
    }
    if let Some(d) = deployment {
        let containers =
            d.spec.as_ref().and_then(|s| s.template.spec.as_ref()).map(|s| s.containers.as_slice()).unwrap_or_default();
        // Resource metrics are a share of the containers' requests: without requests, no metric.
        for resource in spec.metrics.iter().flatten().filter_map(|m| m.resource.as_ref()).map(|r| r.name.as_str()) {
            let missing: Vec<&str> = containers
                .iter()
                .filter(|c| {
                    c.resources.as_ref().and_then(|r| r.requests.as_ref()).is_none_or(|r| !r.contains_key(resource))
                })
                .map(|c| c.name.as_str())
                .collect();
            if !missing.is_empty() {
                out.push(
                    Finding::new("proxy_overloaded", Severity::Warning, &[503, 504], obj.clone(), format!("it scales on {resource} utilization, but containers {} request no {resource}: the utilization cannot be computed and nothing scales", missing.join(", ")))
                        .with("spec.template.spec.containers[].resources.requests", format!("no {resource}"))
                        .fix(format!("resources:\n  requests:\n    {resource}: {}", if resource == "cpu" { "250m" } else { "256Mi" })),
                );
            }
        }
        if let Some(replicas) = d.spec.as_ref().and_then(|s| s.replicas) {
            out.push(
                Finding::new("proxy_overloaded", Severity::Info, &[503], object("Deployment", ns, d.metadata.name.as_deref()), format!("spec.replicas {replicas} while {obj} scales it: every apply resets the replicas to {replicas}, dropping capacity the autoscaler had added"))
                    .with("spec.replicas", replicas.to_string())
                    .fix("remove spec.replicas from the Deployment manifest (let the autoscaler own it)"),
            );
        }
    }
    for c in hpa.status.as_ref().and_then(|s| s.conditions.as_ref()).into_iter().flatten() {
        if c.type_ == "ScalingActive" && c.status == "False" {
            out.push(
                Finding::new("proxy_overloaded", Severity::Warning, &[503, 504], obj.clone(), "the autoscaler cannot compute its metric, so it does not scale")
                    .with("status.conditions[ScalingActive]", format!("False, {}: {}", c.reason.as_deref().unwrap_or("?"), c.message.as_deref().unwrap_or("")))
                    .fix("check metrics-server (kubectl top pods) and that the target's containers request the resource the metric uses"),
            );
        }
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

/// Nodes that are not Ready while pods behind Services run on them: those pods stop answering
/// (timeouts and resets until they leave the endpoints, then less capacity).
pub fn node_checks(snapshot: &Snapshot, namespace: Option<&str>, out: &mut Vec<Finding>) {
    for node in &snapshot.nodes {
        let Some(name) = node.metadata.name.as_deref() else { continue };
        let conditions = node.status.as_ref().and_then(|s| s.conditions.as_ref());
        let Some(ready) = conditions.and_then(|c| c.iter().find(|c| c.type_ == "Ready")) else { continue };
        if ready.status == "True" {
            continue;
        }
        let served: Vec<String> = snapshot
            .pods
            .iter()
            .filter(|p| p.spec.as_ref().and_then(|s| s.node_name.as_deref()) == Some(name))
            .filter(|p| namespace.is_none_or(|n| p.metadata.namespace.as_deref() == Some(n)))
            .filter(|p| {
                snapshot.services.iter().any(|svc| {
                    crate::route::service_selects(svc, p.metadata.namespace.as_deref(), p.metadata.labels.as_ref())
                })
            })
            .map(|p| {
                format!(
                    "{}/{}",
                    p.metadata.namespace.as_deref().unwrap_or(""),
                    p.metadata.name.as_deref().unwrap_or("?")
                )
            })
            .collect();
        if served.is_empty() {
            continue;
        }
        out.push(
            Finding::new("no_ready_endpoints", Severity::Error, &[502, 503, 504], format!("Node/{name}"), format!("node {name} is not Ready: its {} pod(s) behind Services stop answering (timeouts and resets until they leave the endpoints, then 503 if no replica is left)", served.len()))
                .with("status.conditions[Ready]", format!("{}, {}: {}", ready.status, ready.reason.as_deref().unwrap_or("?"), ready.message.as_deref().unwrap_or("")))
                .with("pods", served.join(", "))
                .fix(format!("kubectl describe node {name}; kubectl get pods -A -o wide --field-selector spec.nodeName={name}")),
        );
    }
}
