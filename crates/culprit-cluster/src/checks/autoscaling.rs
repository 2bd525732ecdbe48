//! HorizontalPodAutoscalers that cannot do their job: at maxReplicas, no target, metrics
//! unavailable, or fighting a static `replicas` in the Deployment.

use culprit_kb::{Finding, Severity};

use crate::query::object;
use crate::snapshot::Snapshot;

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
            Finding::from_kb(
                "hpa_target_missing",
                Severity::Warning,
                &[503, 504],
                obj.clone(),
                &[("deployment", &target.name)],
            )
            .with("spec.scaleTargetRef", format!("{} {}", target.kind, target.name)),
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
                // HPA resource metrics are cpu or memory; the fix suggests a request of each.
                let id = if resource == "cpu" { "hpa_cpu_not_requested" } else { "hpa_memory_not_requested" };
                out.push(
                    Finding::from_kb(
                        id,
                        Severity::Warning,
                        &[503, 504],
                        obj.clone(),
                        &[("resource", resource), ("containers", &missing.join(", "))],
                    )
                    .with("spec.template.spec.containers[].resources.requests", format!("no {resource}")),
                );
            }
        }
        if let Some(replicas) = d.spec.as_ref().and_then(|s| s.replicas) {
            out.push(
                Finding::from_kb(
                    "replicas_under_autoscaler",
                    Severity::Info,
                    &[503],
                    object("Deployment", ns, d.metadata.name.as_deref()),
                    &[("replicas", &replicas.to_string()), ("hpa", &obj)],
                )
                .with("spec.replicas", replicas.to_string()),
            );
        }
    }
    for c in hpa.status.as_ref().and_then(|s| s.conditions.as_ref()).into_iter().flatten() {
        if c.type_ == "ScalingActive" && c.status == "False" {
            out.push(
                Finding::from_kb("hpa_metric_unavailable", Severity::Warning, &[503, 504], obj.clone(), &[]).with(
                    "status.conditions[ScalingActive]",
                    format!("False, {}: {}", c.reason.as_deref().unwrap_or("?"), c.message.as_deref().unwrap_or("")),
                ),
            );
        }
    }
    if let Some(status) = &hpa.status
        && status.current_replicas.unwrap_or(0) >= spec.max_replicas
    {
        out.push(
            Finding::from_kb("hpa_at_max_replicas", Severity::Warning, &[503, 504], obj, &[])
                .with("status.currentReplicas", status.current_replicas.unwrap_or(0).to_string())
                .with("spec.maxReplicas", spec.max_replicas.to_string()),
        );
    }
}
