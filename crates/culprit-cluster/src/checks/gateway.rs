//! Gateway API: Gateways whose class does not exist or that no controller accepts, Gateways and
//! HTTPRoutes their controller did not accept, routes no listener admits, backendRefs that do not
//! resolve, and route timeouts.

use culprit_kb::{Finding, Severity};
use serde_json::Value;

use crate::query::gateway::{ClassProblem, class_problem};
use crate::query::object;
use crate::snapshot::Snapshot;

/// A Gateway whose GatewayClass does not exist or is not accepted by its controller (nothing
/// programs it: no address, or a shared data plane answers 404), or that its controller did not
/// accept or program (its listeners do not serve). The class, when it is the reason, is said once.
pub fn gateway_checks(snapshot: &Snapshot, gw: &Value, out: &mut Vec<Finding>) {
    let ns = gw.pointer("/metadata/namespace").and_then(Value::as_str);
    let obj = object("Gateway", ns, gw.pointer("/metadata/name").and_then(Value::as_str));
    let own = gw
        .pointer("/status/conditions")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .find(|c| (c["type"] == "Accepted" || c["type"] == "Programmed") && c["status"] == "False");
    if let Some(problem) = class_problem(snapshot, gw) {
        let mut f = class_finding(&obj, &problem);
        if let Some(c) = own {
            f = f.with(
                format!("status.conditions[{}]", c["type"].as_str().unwrap_or("?")),
                format!("False, {}: {}", c["reason"].as_str().unwrap_or("?"), c["message"].as_str().unwrap_or("")),
            );
        }
        out.push(f);
        return;
    }
    let conditions = gw.pointer("/status/conditions").and_then(Value::as_array).into_iter().flatten();
    if let Some(c) = conditions
        .into_iter()
        .find(|c| (c["type"] == "Accepted" || c["type"] == "Programmed") && c["status"] == "False")
    {
        out.push(
            Finding::from_kb(
                if c["type"] == "Accepted" { "gateway_not_accepted" } else { "gateway_not_programmed" },
                Severity::Error,
                &[404],
                obj,
                &[],
            )
            .with(
                format!("status.conditions[{}]", c["type"].as_str().unwrap_or("?")),
                format!("False, {}: {}", c["reason"].as_str().unwrap_or("?"), c["message"].as_str().unwrap_or("")),
            ),
        );
    }
}

/// The finding for Gateway `gateway_obj` whose class is missing or not accepted.
pub fn class_finding(gateway_obj: &str, problem: &ClassProblem) -> Finding {
    match problem {
        ClassProblem::Missing { class, known } => {
            Finding::from_kb("gateway_class_missing", Severity::Error, &[404], gateway_obj, &[("class", class)])
                .with("spec.gatewayClassName", class.clone())
                .with("GatewayClasses", known.clone())
        }
        ClassProblem::NotAccepted { class, condition } => {
            Finding::from_kb("gateway_class_not_accepted", Severity::Error, &[404], gateway_obj, &[("class", class)])
                .with("spec.gatewayClassName", class.clone())
                .with(format!("GatewayClass/{class} status.conditions[Accepted]"), condition.clone())
        }
    }
}

/// Gateway API HTTPRoutes: what the Gateway controller says in `status.parents[].conditions`
/// (not Accepted → requests do not reach the route: 404; refs not resolved → 500), and
/// cross-namespace backendRefs without a ReferenceGrant allowing them (500).
pub fn http_route_checks(snapshot: &Snapshot, route: &Value, out: &mut Vec<Finding>) {
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
        out.push(Finding::from_kb("route_not_accepted", Severity::Error, &[404], obj.clone(), &[]).with(
            "status.parents[].conditions[Accepted]",
            format!("False, {}: {}", c["reason"].as_str().unwrap_or("?"), c["message"].as_str().unwrap_or("")),
        ));
    }
    // Manifests without status (`cluster check --from manifests/`): would any listener admit it?
    if conditions.is_empty()
        && let Some(crate::query::gateway::Attachment::Refused { gateway, why }) =
            crate::query::gateway::gateway_attachment(snapshot, route, None)
    {
        out.push(
            Finding::from_kb(
                "route_admitted_by_no_listener",
                Severity::Error,
                &[404],
                obj.clone(),
                &[("gateway", &gateway)],
            )
            .with("spec.parentRefs", why),
        );
    }
    if let Some(c) = failing("ResolvedRefs") {
        out.push(Finding::from_kb("route_refs_unresolved", Severity::Error, &[500], obj.clone(), &[]).with(
            "status.parents[].conditions[ResolvedRefs]",
            format!("False, {}: {}", c["reason"].as_str().unwrap_or("?"), c["message"].as_str().unwrap_or("")),
        ));
        return; // the cross-namespace check below would say the same thing again
    }
    let refs = route
        .pointer("/spec/rules")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .flat_map(|r| r.get("backendRefs").and_then(Value::as_array).into_iter().flatten());
    for rule in route.pointer("/spec/rules").and_then(Value::as_array).into_iter().flatten() {
        for (field, id) in [("request", "route_request_timeout"), ("backendRequest", "route_backend_request_timeout")] {
            if let Some(t) = rule.pointer(&format!("/timeouts/{field}")).and_then(Value::as_str) {
                out.push(
                    Finding::from_kb(id, Severity::Info, &[504], obj.clone(), &[("timeout", t)])
                        .with(format!("spec.rules[].timeouts.{field}"), t),
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
                Finding::from_kb(
                    "route_backend_port_missing",
                    Severity::Error,
                    &[500, 503],
                    obj.clone(),
                    &[("namespace", to_ns), ("service", backend), ("port", &port.to_string())],
                )
                .with("spec.rules[].backendRefs[].port", port.to_string())
                .with("Service ports", crate::query::ports_list(svc)),
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
                Finding::from_kb(
                    "route_backend_without_grant",
                    Severity::Error,
                    &[500],
                    obj.clone(),
                    &[("namespace", to_ns), ("service", backend), ("route_namespace", ns), ("kind", kind)],
                )
                .with("spec.rules[].backendRefs[]", format!("{kind} {to_ns}/{backend}")),
            );
        }
    }
}
