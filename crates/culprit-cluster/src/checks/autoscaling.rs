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
    if let Some(status) = &hpa.status
        && status.current_replicas.unwrap_or(0) >= spec.max_replicas
    {
        out.push(
            Finding::new(
                "proxy_overloaded",
                Severity::Warning,
                &[503, 504],
                obj,
                "the autoscaler is at maxReplicas: no room left to scale, so load turns into queues, timeouts and shed requests",
            )
            .with("status.currentReplicas", status.current_replicas.unwrap_or(0).to_string())
            .with("spec.maxReplicas", spec.max_replicas.to_string())
            .fix("raise spec.maxReplicas (and check the cluster has room), or find what drove the load up"),
        );
    }
}
