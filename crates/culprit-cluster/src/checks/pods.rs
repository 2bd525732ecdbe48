//! Pods and nodes as they are now, from their status and Warning events: crashing, failing
//! readiness or liveness, unschedulable, a container that cannot start, a node that is not Ready.

use culprit_kb::{Finding, Severity};
use k8s_openapi::api::core::v1::Pod;

use crate::query::{object, pod_state};
use crate::snapshot::Snapshot;

/// Whether a container's waiting reason means it will not start on its own: the knowledge base's
/// container waiting reasons (`kubernetes.toml`, which `culprit explain` reads too), but a crash loop
/// (its own check).
fn stuck(reason: &str) -> bool {
    reason != "CrashLoopBackOff"
        && culprit_kb::kb()
            .kubernetes_reasons
            .iter()
            .any(|r| r.source == culprit_kb::ReasonSource::Waiting && r.reason == reason)
}

/// What is wrong with one pod behind a Service, from its status and its Warning events: crashing
/// (502 for requests in flight, 503 when no replica is left), failing its readiness probe (out of
/// the endpoints), failing liveness (restarted), or not schedulable.
pub fn pod_findings(snapshot: &Snapshot, pod: &Pod) -> Vec<Finding> {
    use crate::events::Signal;
    let (ns, name) = (pod.metadata.namespace.as_deref(), pod.metadata.name.as_deref());
    let obj = object("Pod", ns, name);
    let values = [("namespace", ns.unwrap_or("default")), ("pod", name.unwrap_or("?"))];
    let (_, state) = pod_state(pod);
    let events = crate::events::warnings_about(&snapshot.events, "Pod", ns.unwrap_or(""), name.unwrap_or(""));
    let with = |signal: Signal| events.iter().find(|e| e.signal() == Some(signal));
    let mut out = Vec::new();
    let crashing = state.contains("CrashLoopBackOff") || state.contains("OOMKilled");
    let liveness = with(Signal::LivenessFailing);
    if crashing || liveness.is_some() {
        let (id, severity) =
            if crashing { ("pod_crashing", Severity::Error) } else { ("pod_liveness_failing", Severity::Warning) };
        let mut f = Finding::from_kb(id, severity, &[502, 503], obj.clone(), &values).with("status", state.clone());
        for e in
            [with(Signal::BackOff), liveness, with(Signal::ReadinessFailing).filter(|_| crashing)].into_iter().flatten()
        {
            f = f.with("event", e.summary());
        }
        out.push(f);
    }
    // A crashing pod fails readiness as a consequence: said above, not twice.
    if let Some(e) = with(Signal::ReadinessFailing).filter(|_| !crashing) {
        out.push(
            Finding::from_kb("pod_readiness_failing", Severity::Warning, &[503], obj.clone(), &values)
                .with("event", e.summary())
                .with("status", state.clone()),
        );
    }
    if let Some(e) = with(Signal::Unschedulable) {
        out.push(
            Finding::from_kb("pod_unschedulable", Severity::Warning, &[503], obj, &values).with("event", e.summary()),
        );
    }
    out
}

/// A pod whose container cannot start (image, config): it never serves.
pub fn stuck_container(pod: &Pod) -> Option<Finding> {
    let status = pod.status.as_ref()?;
    let waiting =
        status.init_container_statuses.iter().flatten().chain(status.container_statuses.iter().flatten()).find_map(
            |cs| {
                let w = cs.state.as_ref()?.waiting.as_ref()?;
                let reason = w.reason.as_deref()?;
                stuck(reason).then(|| (cs.name.clone(), reason.to_owned(), w.message.clone().unwrap_or_default()))
            },
        )?;
    let (container, reason, message) = waiting;
    let (ns, name) = (pod.metadata.namespace.as_deref(), pod.metadata.name.as_deref());
    Some(
        Finding::from_kb(
            "container_cannot_start",
            Severity::Error,
            &[503],
            object("Pod", ns, name),
            &[
                ("container", &container),
                ("reason", &reason),
                ("namespace", ns.unwrap_or("default")),
                ("pod", name.unwrap_or("?")),
            ],
        )
        .with("status.containerStatuses[].state.waiting", format!("{reason}: {message}")),
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
            Finding::from_kb(
                "node_not_ready",
                Severity::Error,
                &[502, 503, 504],
                format!("Node/{name}"),
                &[("node", name), ("pods", &served.len().to_string())],
            )
            .with(
                "status.conditions[Ready]",
                format!(
                    "{}, {}: {}",
                    ready.status,
                    ready.reason.as_deref().unwrap_or("?"),
                    ready.message.as_deref().unwrap_or("")
                ),
            )
            .with("pods", served.join(", ")),
        );
    }
}
