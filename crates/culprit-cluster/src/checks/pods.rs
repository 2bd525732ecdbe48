//! Pods and nodes as they are now, from their status and Warning events: crashing, failing
//! readiness or liveness, unschedulable, a container that cannot start, a node that is not Ready.

use culprit_kb::{Finding, Severity};
use k8s_openapi::api::core::v1::Pod;

use crate::query::{object, pod_state};
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

/// What is wrong with one pod behind a Service, from its status and its Warning events: crashing
/// (502 for requests in flight, 503 when no replica is left), failing its readiness probe (out of
/// the endpoints), failing liveness (restarted), or not schedulable.
pub fn pod_findings(snapshot: &Snapshot, pod: &Pod) -> Vec<Finding> {
    use crate::events::Signal;
    let (ns, name) = (pod.metadata.namespace.as_deref(), pod.metadata.name.as_deref());
    let obj = object("Pod", ns, name);
    let describe = format!("kubectl describe pod -n {} {}", ns.unwrap_or("default"), name.unwrap_or("?"));
    let (_, state) = pod_state(pod);
    let events = crate::events::warnings_about(&snapshot.events, "Pod", ns.unwrap_or(""), name.unwrap_or(""));
    let with = |signal: Signal| events.iter().find(|e| e.signal() == Some(signal));
    let mut out = Vec::new();
    let crashing = state.contains("CrashLoopBackOff") || state.contains("OOMKilled");
    let liveness = with(Signal::LivenessFailing);
    if crashing || liveness.is_some() {
        let (severity, title) = if crashing {
            (Severity::Error, format!("pod {} keeps crashing", name.unwrap_or("?")))
        } else {
            (
                Severity::Warning,
                format!("pod {} fails its liveness probe: the kubelet restarts it", name.unwrap_or("?")),
            )
        };
        let mut f =
            Finding::new("pod_crash_looping", severity, &[502, 503], obj.clone(), title).with("status", state.clone());
        for e in
            [with(Signal::BackOff), liveness, with(Signal::ReadinessFailing).filter(|_| crashing)].into_iter().flatten()
        {
            f = f.with("event", e.summary());
        }
        out.push(f.fix(format!(
            "kubectl logs -n {} {} --previous; raise memory limits if OOMKilled; check the liveness probe's timeouts",
            ns.unwrap_or("default"),
            name.unwrap_or("?")
        )));
    }
    // A crashing pod fails readiness as a consequence: said above, not twice.
    if let Some(e) = with(Signal::ReadinessFailing).filter(|_| !crashing) {
        out.push(
            Finding::new(
                "no_ready_endpoints",
                Severity::Warning,
                &[503],
                obj.clone(),
                format!(
                    "pod {} fails its readiness probe: it is out of the endpoints (503 once no replica is left)",
                    name.unwrap_or("?")
                ),
            )
            .with("event", e.summary())
            .with("status", state.clone())
            .fix(format!(
                "{describe}; compare the probe's path, port and timeoutSeconds (default 1 s) with what the app serves"
            )),
        );
    }
    if let Some(e) = with(Signal::Unschedulable) {
        out.push(
            Finding::new(
                "no_ready_endpoints",
                Severity::Warning,
                &[503],
                obj,
                format!(
                    "pod {} cannot be scheduled: the Service has one replica fewer than intended",
                    name.unwrap_or("?")
                ),
            )
            .with("event", e.summary())
            .fix(format!("{describe}; free or add node capacity, or lower the pod's requests")),
        );
    }
    out
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
                    crate::query::service_selects(svc, p.metadata.namespace.as_deref(), p.metadata.labels.as_ref())
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
