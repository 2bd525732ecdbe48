//! The route of one URL through the cluster: Ingress rule (or Gateway API HTTPRoute and its
//! Gateway listener) → Service port → endpoints → Pods, each link judged, and for a broken link the
//! status code a client gets and why. The lookups are [`crate::query`]'s; the findings about the
//! objects on the path are the checks' own ([`crate::checks`]), so a trace and `cluster check` say
//! the same thing about them.

use std::fmt::Write as _;

use culprit_kb::{Finding, Severity};
use k8s_openapi::api::networking::v1::IngressServiceBackend;
use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;

use crate::checks::gateway::class_finding;
use crate::checks::network_policy::{blocked_by_policy, blocking_policy};
use crate::checks::pods::pod_findings;
use crate::query::gateway::{
    Attachment, choose_http_route, class_problem, data_plane, find_gateway, gateway_attachment, route_gateways,
};
use crate::query::ingress::{choose, resolve_backend};
use crate::query::{
    Proxy, declares_ports, endpoints, ingress_controller, object, pod_declares, pod_state, selected_pods,
};
use crate::snapshot::Snapshot;

// Lookups that lived here before the query module; `culprit logs --cluster` calls them by these
// paths.
pub use crate::query::{container_ports, pod_at, pod_named_at, pod_with_address, ports_list};

/// One link of the chain.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Link {
    /// `ingress rule`, `service port`, `endpoints`, `pod`.
    pub step: &'static str,
    pub object: String,
    pub ok: bool,
    pub detail: String,
}

/// The whole trace.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Trace {
    pub url: String,
    pub links: Vec<Link>,
    /// What breaks the route, first the link that breaks first.
    pub findings: Vec<Finding>,
    pub verdict: String,
}

/// Traces `url` (host and path) through the snapshot.
pub fn trace(snapshot: &Snapshot, url: &str, namespace: Option<&str>, class: Option<&str>) -> Result<Trace, String> {
    let with_scheme = if url.contains("://") { url.to_owned() } else { format!("http://{url}") };
    let parsed = url::Url::parse(&with_scheme).map_err(|e| format!("'{url}' is not a valid URL: {e}"))?;
    let host = parsed.host_str().ok_or_else(|| format!("'{url}' has no host"))?.to_owned();
    let path = parsed.path().to_owned();
    if snapshot.ingresses.is_empty() && snapshot.http_routes.is_empty() {
        // Without any routing object there is no verdict to give: a 404 would blame the cluster
        // for what the dump left out.
        return Err(format!(
            "the snapshot has no Ingress or HTTPRoute (it holds {}), so nothing says what serves \
             {host}{path}; add them to the dump: kubectl get ingresses -A -o json (and httproutes \
             with the Gateway API)",
            snapshot.kinds_read()
        ));
    }
    let mut links = Vec::new();
    let mut findings = Vec::new();
    let done = |links: Vec<Link>, findings: Vec<Finding>| {
        let verdict = findings.first().map_or_else(
            || "every link holds: the route reaches ready pods".to_owned(),
            |f: &Finding| {
                let codes: Vec<String> = f.codes.iter().map(u16::to_string).collect();
                format!("{} → clients get {} ({})", f.title, codes.join("/"), f.cause)
            },
        );
        Ok(Trace { url: parsed.to_string(), links, findings, verdict })
    };

    // An Ingress rule first; else a Gateway API HTTPRoute; else nothing serves the URL.
    // The proxy in front of the backends (NetworkPolicies must let it in): the ingress controller,
    // or the data plane of the Gateway the route is attached to.
    let (ns, route_obj, svc_ref, proxy): (Option<String>, String, IngressServiceBackend, Option<Proxy<'_>>) =
        if let Some((ing, backend, how)) = choose(snapshot, &host, &path, namespace, class) {
            let ns = ing.metadata.namespace.clone();
            let ing_obj = object("Ingress", ns.as_deref(), ing.metadata.name.as_deref());
            links.push(Link { step: "ingress rule", object: ing_obj.clone(), ok: true, detail: how });
            let Some(svc_ref) = backend.service else {
                links.push(Link {
                    step: "service port",
                    object: ing_obj,
                    ok: true,
                    detail: "a resource backend (not a Service)".into(),
                });
                return done(links, findings);
            };
            (ns, ing_obj, svc_ref, Some(ingress_controller(snapshot)))
        } else if let Some(m) = choose_http_route(snapshot, &host, &path, namespace) {
            links.push(Link { step: "http route", object: m.object.clone(), ok: true, detail: m.how });
            // The Gateway carrying the route: the one whose listener admits it, else the first named.
            let mut carrier = route_gateways(&m.route).into_iter().next();
            if let Some(attached) = gateway_attachment(snapshot, &m.route, Some(&host)) {
                let (gateway, ok, detail) = match attached {
                    Attachment::Listener { gateway, listener } => (gateway, true, listener),
                    Attachment::Refused { gateway, why } => (gateway, false, why),
                };
                links.push(Link { step: "gateway listener", object: gateway.clone(), ok, detail: detail.clone() });
                if !ok {
                    findings.push(
                        Finding::from_kb(
                            "route_not_attached_for_host",
                            Severity::Error,
                            &[404],
                            m.object.clone(),
                            &[("route", &m.object), ("host", &host)],
                        )
                        .with("parentRefs", detail),
                    );
                    return done(links, findings);
                }
                if let Some((gw_ns, gw_name)) = gateway.strip_prefix("Gateway/").and_then(|g| g.split_once('/')) {
                    carrier = Some((gw_ns.to_owned(), gw_name.to_owned()));
                }
            }
            if let Some((gw_ns, gw_name)) = &carrier
                && let Some(gw) = find_gateway(snapshot, gw_ns, gw_name)
                && let Some(problem) = class_problem(snapshot, gw)
            {
                let finding = class_finding(&object("Gateway", Some(gw_ns), Some(gw_name)), &problem);
                let class = gw.pointer("/spec/gatewayClassName").and_then(serde_json::Value::as_str).unwrap_or("?");
                links.push(Link {
                    step: "gateway class",
                    object: format!("GatewayClass/{class}"),
                    ok: false,
                    detail: finding.title.clone(),
                });
                findings.push(finding);
                return done(links, findings);
            }
            let proxy = carrier.and_then(|(gw_ns, gw_name)| data_plane(snapshot, &gw_ns, &gw_name));
            (Some(m.backend_ns), m.object, m.service, proxy)
        } else {
            let obj = format!("host {host} path {path}");
            links.push(Link {
                step: "ingress rule",
                object: obj.clone(),
                ok: false,
                detail: "no Ingress rule or HTTPRoute matches".into(),
            });
            findings.push(
                Finding::from_kb("no_rule_for_url", Severity::Error, &[404], obj, &[("host", &host), ("path", &path)])
                    .with(
                        "routes",
                        format!(
                            "{} Ingresses and {} HTTPRoutes read; none serves this host and path",
                            snapshot.ingresses.len(),
                            snapshot.http_routes.len()
                        ),
                    ),
            );
            return done(links, findings);
        };
    let ns = ns.as_deref();
    let ing_obj = route_obj;
    let svc_ref = &svc_ref;
    let svc_obj = object("Service", ns, Some(&svc_ref.name));
    let (svc, port) = match resolve_backend(snapshot, ns, &ing_obj, svc_ref, false) {
        Ok(found) => found,
        Err(finding) => {
            links.push(Link { step: "service port", object: svc_obj, ok: false, detail: finding.title.clone() });
            findings.push(*finding);
            return done(links, findings);
        }
    };
    let target = port.target_port.clone().unwrap_or(IntOrString::Int(port.port));
    let target_text = match &target {
        IntOrString::Int(n) => n.to_string(),
        IntOrString::String(s) => s.clone(),
    };
    links.push(Link {
        step: "service port",
        object: svc_obj.clone(),
        ok: true,
        detail: format!("port {} → targetPort {target_text}", port.port),
    });

    let pods = selected_pods(snapshot, svc);
    let mut counts = endpoints(snapshot, svc, port.name.as_deref());
    let mut ep_detail =
        format!("{} ready, {} not ready, {} terminating", counts.ready, counts.not_ready, counts.terminating);
    // A dump without EndpointSlices or Endpoints at all (`kubectl get svc,pods` only) says nothing
    // about endpoints: judge from the selected pods that are ready and declare the target port.
    let dumped = !snapshot.endpoint_slices.is_empty() || !snapshot.endpoints.is_empty();
    if !dumped {
        let ready = pods.iter().filter(|p| pod_state(p).0 && (!declares_ports(p) || pod_declares(p, &target))).count();
        counts.ready = ready;
        ep_detail = format!(
            "the snapshot has no EndpointSlices or Endpoints: judged from the selected pods, {ready} ready and \
             serving the target port"
        );
    }
    links.push(Link {
        step: "endpoints",
        object: format!("EndpointSlices of {svc_obj}"),
        ok: counts.ready > 0,
        detail: if counts.missing && dumped { "none found in the snapshot".into() } else { ep_detail.clone() },
    });
    if counts.ready == 0 {
        let mut f = Finding::from_kb(
            "route_no_ready_endpoints",
            Severity::Error,
            &[503],
            svc_obj.clone(),
            &[("service", &svc_ref.name)],
        )
        .with("endpoints", ep_detail);
        if pods.is_empty() {
            f = f.with(
                "spec.selector",
                format!(
                    "{:?} matches no pod in the namespace",
                    svc.spec.as_ref().and_then(|s| s.selector.clone()).unwrap_or_default()
                ),
            );
        } else if let IntOrString::String(name) = &target
            && !pods.iter().any(|p| pod_declares(p, &target))
        {
            f = f.with(
                "targetPort",
                format!(
                    "'{name}' is not a container port name in the selected pods: they are left out of the endpoints"
                ),
            );
        }
        findings.push(f);
    }
    for pod in &pods {
        let (ready, state) = pod_state(pod);
        let pod_obj = object("Pod", pod.metadata.namespace.as_deref(), pod.metadata.name.as_deref());
        let ip = pod.status.as_ref().and_then(|s| s.pod_ip.clone()).unwrap_or_else(|| "no IP".into());
        let mut ok = ready;
        let mut detail = format!("{ip} · {state}");
        if let IntOrString::Int(n) = target
            && declares_ports(pod)
            && !pod_declares(pod, &target)
        {
            ok = false;
            let _ = write!(detail, " · declares no container port {n}");
            findings.push(
                Finding::from_kb(
                    "pod_lacks_target_port",
                    Severity::Warning,
                    &[502],
                    pod_obj.clone(),
                    &[("port", &n.to_string())],
                )
                .with("containers[].ports", container_ports(pod)),
            );
        }
        let about = crate::events::warnings_about(
            &snapshot.events,
            "Pod",
            pod.metadata.namespace.as_deref().unwrap_or(""),
            pod.metadata.name.as_deref().unwrap_or(""),
        );
        if let Some(e) = about.first() {
            let _ = write!(detail, " · {}", e.summary());
        }
        findings.extend(pod_findings(snapshot, pod));
        if let Some(proxy) = &proxy
            && let Some(np) = blocking_policy(snapshot, pod, proxy)
        {
            ok = false;
            let np_obj = object("NetworkPolicy", np.metadata.namespace.as_deref(), np.metadata.name.as_deref());
            let _ = write!(detail, " · {np_obj} keeps namespace {} out", proxy.namespace);
            if !findings.iter().any(|f| f.object == np_obj) {
                findings.push(blocked_by_policy(np, proxy, &svc_ref.name));
            }
        }
        links.push(Link { step: "pod", object: pod_obj, ok, detail });
    }
    findings.sort_by_key(|f| std::cmp::Reverse(f.severity));
    done(links, findings)
}
