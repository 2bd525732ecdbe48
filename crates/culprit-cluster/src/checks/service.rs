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
        crate::query::deployments_behind(snapshot, svc).iter().filter_map(|d| d.metadata.name.as_deref()).collect();
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
