//! Services and their endpoints: a selector that matches no pod or the pods of several
//! Deployments, a targetPort the pods do not declare, no ready endpoint.

use culprit_kb::{Finding, Severity};
use k8s_openapi::api::core::v1::Service;
use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;

use crate::query::{container_ports, declares_ports, endpoints, object, pod_declares, selected_pods};
use crate::snapshot::Snapshot;

pub fn service_checks(snapshot: &Snapshot, svc: &Service, out: &mut Vec<Finding>) {
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
                Finding::from_kb("service_without_selector_or_endpoints", Severity::Warning, &[503], obj, &[])
                    .with("spec.selector", "(none)"),
            );
        }
        return;
    }
    // In manifests (no pods at all), the workloads' pod templates stand for the pods.
    let templates = crate::query::template_pods(snapshot, svc);
    let mut pods = selected_pods(snapshot, svc);
    pods.extend(templates.iter());
    if pods.is_empty() {
        out.push(
            Finding::from_kb("selector_matches_no_pod", Severity::Error, &[503], obj, &[])
                .with("spec.selector", format!("{:?}", spec.selector.clone().unwrap_or_default())),
        );
        return;
    }
    let selector = spec.selector.clone().unwrap_or_default();
    let workloads: Vec<&str> =
        crate::query::deployments_behind(snapshot, svc).iter().filter_map(|d| d.metadata.name.as_deref()).collect();
    if workloads.len() > 1 {
        out.push(
            Finding::from_kb(
                "selector_spans_deployments",
                Severity::Warning,
                &[404, 500],
                obj.clone(),
                &[("count", &workloads.len().to_string()), ("deployments", &workloads.join(", "))],
            )
            .with("spec.selector", format!("{selector:?}")),
        );
    }
    for port in spec.ports.iter().flatten() {
        let target = port.target_port.clone().unwrap_or(IntOrString::Int(port.port));
        match &target {
            IntOrString::String(name) if !pods.iter().any(|p| pod_declares(p, &target)) => {
                out.push(
                    Finding::from_kb(
                        "named_target_port_missing",
                        Severity::Error,
                        &[503],
                        obj.clone(),
                        &[("port", name)],
                    )
                    .with("containers[].ports", container_ports(pods[0])),
                );
                // The empty endpoints follow from it; one finding says it.
                continue;
            }
            IntOrString::Int(n) if pods.iter().all(|p| declares_ports(p) && !pod_declares(p, &target)) => {
                out.push(
                    Finding::from_kb(
                        "numeric_target_port_undeclared",
                        Severity::Warning,
                        &[502],
                        obj.clone(),
                        &[("port", &n.to_string())],
                    )
                    .with("containers[].ports", container_ports(pods[0])),
                );
            }
            _ => {}
        }
        let counts = endpoints(snapshot, svc, port.name.as_deref());
        if !counts.missing && counts.ready == 0 {
            out.push(
                Finding::from_kb(
                    "port_without_ready_endpoint",
                    Severity::Error,
                    &[503],
                    obj.clone(),
                    &[("port", &port.port.to_string())],
                )
                .with(
                    "EndpointSlices",
                    format!(
                        "{} ready, {} not ready, {} terminating",
                        counts.ready, counts.not_ready, counts.terminating
                    ),
                ),
            );
        }
    }
}
