//! The route of one URL through the cluster: Ingress rule → Service port → endpoints → Pods, each
//! link judged, and for a broken link the status code a client gets and why.

use std::fmt::Write as _;

use culprit_kb::{Finding, Severity};
use k8s_openapi::api::core::v1::{Pod, Service, ServicePort};
use k8s_openapi::api::networking::v1::{Ingress, IngressBackend, IngressServiceBackend};
use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;

use crate::gateway::{Attachment, choose_http_route, gateway_attachment};
use crate::snapshot::Snapshot;

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

pub fn object(kind: &str, ns: Option<&str>, name: Option<&str>) -> String {
    format!("{kind}/{}/{}", ns.unwrap_or("default"), name.unwrap_or("?"))
}

/// The ingress class an Ingress asks for (field, or the legacy annotation).
pub fn class_of(ing: &Ingress) -> Option<String> {
    ing.spec
        .as_ref()
        .and_then(|s| s.ingress_class_name.clone())
        .or_else(|| ing.metadata.annotations.as_ref().and_then(|a| a.get("kubernetes.io/ingress.class").cloned()))
}

/// How well a rule's host matches: exact 3, wildcard 2, no host 1, no match 0.
pub(crate) fn host_match(rule_host: Option<&str>, host: &str) -> u8 {
    match rule_host {
        None | Some("") => 1,
        Some(h) if h.eq_ignore_ascii_case(host) => 3,
        Some(h) => match h.strip_prefix("*.") {
            // A wildcard covers exactly one label.
            Some(suffix) => {
                let matches = host.len() > suffix.len() + 1
                    && host[host.len() - suffix.len()..].eq_ignore_ascii_case(suffix)
                    && host.as_bytes()[host.len() - suffix.len() - 1] == b'.'
                    && !host[..host.len() - suffix.len() - 1].contains('.');
                if matches { 2 } else { 0 }
            }
            None => 0,
        },
    }
}

/// Whether `path` matches a rule path of `kind` (Exact, Prefix, ImplementationSpecific as Prefix):
/// Prefix matches whole path elements (`/foo` matches `/foo/bar`, not `/foobar`).
pub(crate) fn path_match(rule: &str, kind: &str, path: &str) -> bool {
    if kind == "Exact" {
        return rule == path;
    }
    let rule = rule.trim_end_matches('/');
    rule.is_empty() || path == rule || path.starts_with(rule) && path.as_bytes().get(rule.len()) == Some(&b'/')
}

/// The backend chosen for `host` + `path`, with the Ingress it comes from and how it matched.
pub fn choose<'a>(
    snapshot: &'a Snapshot,
    host: &str,
    path: &str,
    namespace: Option<&str>,
    class: Option<&str>,
) -> Option<(&'a Ingress, IngressBackend, String)> {
    // (host match, exact path, path length) ranks candidates; the best wins.
    type Candidate<'i> = ((u8, bool, usize), &'i Ingress, IngressBackend, String);
    let mut best: Option<Candidate<'a>> = None;
    let mut fallback: Option<(&Ingress, IngressBackend)> = None;
    for ing in &snapshot.ingresses {
        if namespace.is_some_and(|n| ing.metadata.namespace.as_deref() != Some(n)) {
            continue;
        }
        if class.is_some_and(|c| class_of(ing).as_deref() != Some(c)) {
            continue;
        }
        let Some(spec) = &ing.spec else { continue };
        if let Some(b) = &spec.default_backend {
            fallback.get_or_insert((ing, b.clone()));
        }
        for rule in spec.rules.iter().flatten() {
            let hm = host_match(rule.host.as_deref(), host);
            if hm == 0 {
                continue;
            }
            for p in rule.http.iter().flat_map(|h| &h.paths) {
                let rule_path = p.path.as_deref().unwrap_or("/");
                if !path_match(rule_path, &p.path_type, path) {
                    continue;
                }
                let key = (hm, p.path_type == "Exact", rule_path.len());
                if best.as_ref().is_none_or(|(k, ..)| key > *k) {
                    let how =
                        format!("host {} · path {rule_path} ({})", rule.host.as_deref().unwrap_or("*"), p.path_type);
                    best = Some((key, ing, p.backend.clone(), how));
                }
            }
        }
    }
    best.map(|(_, i, b, how)| (i, b, how))
        .or_else(|| fallback.map(|(i, b)| (i, b, "the Ingress's defaultBackend".into())))
}

/// The Service and port an Ingress backend names, or the finding that says which is missing
/// (ingress-nginx answers 503 for both).
pub fn resolve_backend<'a>(
    snapshot: &'a Snapshot,
    ns: Option<&str>,
    ing_obj: &str,
    svc_ref: &IngressServiceBackend,
) -> Result<(&'a Service, &'a ServicePort), Box<Finding>> {
    // ingress-nginx answers 503 for both a missing Service and a missing port.
    let broken = |title: String, source: &str, value: String| {
        Box::new(Finding::new("invalid_backend_ref", Severity::Error, &[503], ing_obj, title).with(source, value))
    };
    let Some(svc) = snapshot
        .services
        .iter()
        .find(|s| s.metadata.namespace.as_deref() == ns && s.metadata.name.as_deref() == Some(&svc_ref.name))
    else {
        return Err(broken(
            format!("the route points at Service {}, which does not exist", svc_ref.name),
            "backend.service.name",
            svc_ref.name.clone(),
        ));
    };
    let (number, name) = svc_ref.port.as_ref().map_or((None, None), |p| (p.number, p.name.as_deref()));
    let Some(port) = service_port(svc, number, name) else {
        let wanted = number.map_or_else(|| name.unwrap_or("?").to_owned(), |n| n.to_string());
        return Err(broken(
            format!("the route asks for port {wanted} of Service {}, which has no such port", svc_ref.name),
            "Service ports",
            ports_list(svc),
        ));
    };
    Ok((svc, port))
}

/// A Service port by number or name.
pub fn service_port<'a>(svc: &'a Service, number: Option<i32>, name: Option<&str>) -> Option<&'a ServicePort> {
    svc.spec.as_ref()?.ports.iter().flatten().find(|p| match (number, name) {
        (Some(n), _) => p.port == n,
        (None, Some(name)) => p.name.as_deref() == Some(name),
        (None, None) => false,
    })
}

/// Pods a Service's selector picks, in its namespace.
pub fn selected_pods<'a>(snapshot: &'a Snapshot, svc: &Service) -> Vec<&'a Pod> {
    snapshot
        .pods
        .iter()
        .filter(|p| service_selects(svc, p.metadata.namespace.as_deref(), p.metadata.labels.as_ref()))
        .collect()
}

/// Whether `svc` selects pods in namespace `ns` with `labels` (a Service without a selector
/// selects nothing).
pub fn service_selects(
    svc: &Service,
    ns: Option<&str>,
    labels: Option<&std::collections::BTreeMap<String, String>>,
) -> bool {
    svc.metadata.namespace.as_deref() == ns
        && svc
            .spec
            .as_ref()
            .and_then(|s| s.selector.as_ref())
            .is_some_and(|sel| !sel.is_empty() && sel.iter().all(|(k, v)| labels.and_then(|l| l.get(k)) == Some(v)))
}

/// The Deployments whose pods `svc` selects (judged on their pod templates).
pub fn deployments_behind<'a>(
    snapshot: &'a Snapshot,
    svc: &Service,
) -> Vec<&'a k8s_openapi::api::apps::v1::Deployment> {
    snapshot
        .deployments
        .iter()
        .filter(|d| {
            let labels = d.spec.as_ref().and_then(|s| s.template.metadata.as_ref()).and_then(|m| m.labels.as_ref());
            service_selects(svc, d.metadata.namespace.as_deref(), labels)
        })
        .collect()
}

/// Endpoint counts for a Service port from its EndpointSlices (or the core Endpoints object).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct EndpointCounts {
    pub ready: usize,
    pub not_ready: usize,
    pub terminating: usize,
    /// No EndpointSlice or Endpoints object exists for the Service at all.
    pub missing: bool,
}

pub fn endpoints(snapshot: &Snapshot, svc: &Service, port_name: Option<&str>) -> EndpointCounts {
    let ns = svc.metadata.namespace.as_deref();
    let name = svc.metadata.name.as_deref();
    let mut c = EndpointCounts::default();
    let slices: Vec<_> = snapshot
        .endpoint_slices
        .iter()
        .filter(|s| s.metadata.namespace.as_deref() == ns)
        .filter(|s| {
            s.metadata.labels.as_ref().and_then(|l| l.get("kubernetes.io/service-name")).map(String::as_str) == name
        })
        .collect();
    if !slices.is_empty() {
        for s in slices {
            // A slice serves the Service port of the same name (unnamed: the only port).
            let serves = s
                .ports
                .as_ref()
                .is_none_or(|ports| ports.iter().any(|p| p.name.as_deref().unwrap_or("") == port_name.unwrap_or("")));
            if !serves {
                continue;
            }
            for e in &s.endpoints {
                let cond = e.conditions.as_ref();
                if cond.and_then(|c| c.terminating).unwrap_or(false) {
                    c.terminating += 1;
                } else if cond.and_then(|c| c.ready).unwrap_or(true) {
                    c.ready += 1;
                } else {
                    c.not_ready += 1;
                }
            }
        }
        return c;
    }
    match snapshot
        .endpoints
        .iter()
        .find(|e| e.metadata.namespace.as_deref() == ns && e.metadata.name.as_deref() == name)
    {
        Some(e) => {
            for subset in e.subsets.iter().flatten() {
                c.ready += subset.addresses.as_ref().map_or(0, Vec::len);
                c.not_ready += subset.not_ready_addresses.as_ref().map_or(0, Vec::len);
            }
        }
        None => c.missing = true,
    }
    c
}

/// Whether a pod declares `target` (a container port number or name).
pub fn pod_declares(pod: &Pod, target: &IntOrString) -> bool {
    pod.spec.as_ref().is_some_and(|s| {
        s.containers.iter().flat_map(|c| c.ports.iter().flatten()).any(|p| match target {
            IntOrString::Int(n) => p.container_port == *n,
            IntOrString::String(name) => p.name.as_deref() == Some(name.as_str()),
        })
    })
}

/// Whether any container of the pod declares ports at all (declaring them is optional).
pub fn declares_ports(pod: &Pod) -> bool {
    pod.spec.as_ref().is_some_and(|s| s.containers.iter().any(|c| c.ports.as_ref().is_some_and(|p| !p.is_empty())))
}

/// A pod's state in a few words, and whether it is ready.
pub fn pod_state(pod: &Pod) -> (bool, String) {
    let status = pod.status.as_ref();
    let ready = status
        .and_then(|s| s.conditions.as_ref())
        .is_some_and(|c| c.iter().any(|c| c.type_ == "Ready" && c.status == "True"));
    let mut parts = vec![status.and_then(|s| s.phase.clone()).unwrap_or_else(|| "Unknown".into())];
    for cs in status.and_then(|s| s.container_statuses.as_ref()).into_iter().flatten() {
        if cs.restart_count > 0 {
            parts.push(format!("{} restarted {}×", cs.name, cs.restart_count));
        }
        if let Some(w) = cs.state.as_ref().and_then(|s| s.waiting.as_ref()) {
            parts.push(format!("{} {}", cs.name, w.reason.as_deref().unwrap_or("waiting")));
        }
        if let Some(t) = cs.last_state.as_ref().and_then(|s| s.terminated.as_ref()) {
            let at = t.finished_at.as_ref().map(|f| format!(" at {}", f.0)).unwrap_or_default();
            parts.push(format!("last terminated {}{at}", t.reason.as_deref().unwrap_or("?")));
        }
    }
    parts.push(if ready { "ready".into() } else { "not ready".into() });
    (ready, parts.join(", "))
}

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
    let (ns, route_obj, svc_ref): (Option<String>, String, IngressServiceBackend) = if let Some((ing, backend, how)) =
        choose(snapshot, &host, &path, namespace, class)
    {
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
        (ns, ing_obj, svc_ref)
    } else if let Some(m) = choose_http_route(snapshot, &host, &path, namespace) {
        links.push(Link { step: "http route", object: m.object.clone(), ok: true, detail: m.how });
        if let Some(attached) = gateway_attachment(snapshot, &m.route, Some(&host)) {
            let (gateway, ok, detail) = match attached {
                Attachment::Listener { gateway, listener } => (gateway, true, listener),
                Attachment::Refused { gateway, why } => (gateway, false, why),
            };
            links.push(Link { step: "gateway listener", object: gateway.clone(), ok, detail: detail.clone() });
            if !ok {
                findings.push(
                        Finding::new("no_route", Severity::Error, &[404], m.object.clone(), format!("{} is not attached to a listener that serves {host}: the Gateway answers 404", m.object))
                            .with("parentRefs", detail)
                            .fix("spec.parentRefs: name the Gateway (and sectionName) whose listener serves this hostname; on the Gateway, allowedRoutes.namespaces.from: All or a Selector that admits the route's namespace"),
                    );
                return done(links, findings);
            }
        }
        (Some(m.backend_ns), m.object, m.service)
    } else {
        let obj = format!("host {host} path {path}");
        links.push(Link {
            step: "ingress rule",
            object: obj.clone(),
            ok: false,
            detail: "no Ingress rule or HTTPRoute matches".into(),
        });
        findings.push(
            Finding::new(
                "no_route",
                Severity::Error,
                &[404],
                obj,
                format!("no Ingress rule or HTTPRoute matches {host}{path}"),
            )
            .with(
                "routes",
                format!(
                    "{} Ingresses and {} HTTPRoutes read; none serves this host and path",
                    snapshot.ingresses.len(),
                    snapshot.http_routes.len()
                ),
            )
            .fix("add a rule for the host and path (check host spelling, pathType, ingressClassName)"),
        );
        return done(links, findings);
    };
    let ns = ns.as_deref();
    let ing_obj = route_obj;
    let svc_ref = &svc_ref;
    let svc_obj = object("Service", ns, Some(&svc_ref.name));
    let (svc, port) = match resolve_backend(snapshot, ns, &ing_obj, svc_ref) {
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
    let counts = endpoints(snapshot, svc, port.name.as_deref());
    let ep_detail =
        format!("{} ready, {} not ready, {} terminating", counts.ready, counts.not_ready, counts.terminating);
    links.push(Link {
        step: "endpoints",
        object: format!("EndpointSlices of {svc_obj}"),
        ok: counts.ready > 0,
        detail: if counts.missing { "none found in the snapshot".into() } else { ep_detail.clone() },
    });
    if counts.ready == 0 {
        let mut f = Finding::new(
            "no_ready_endpoints",
            Severity::Error,
            &[503],
            svc_obj.clone(),
            format!("Service {} has no ready endpoints", svc_ref.name),
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
    let controller = crate::checks::controller_namespace(snapshot);
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
                Finding::new(
                    "upstream_connection_refused",
                    Severity::Warning,
                    &[502],
                    pod_obj.clone(),
                    format!(
                        "targetPort {n} is not a port the pod's containers declare: connections are likely refused"
                    ),
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
        if let Some(np) = crate::checks::blocking_policy(snapshot, pod, &controller) {
            ok = false;
            let np_obj = object("NetworkPolicy", np.metadata.namespace.as_deref(), np.metadata.name.as_deref());
            let _ = write!(detail, " · {np_obj} keeps namespace {controller} out");
            if !findings.iter().any(|f| f.object == np_obj) {
                findings.push(crate::checks::blocked_by_policy(np, &controller, &svc_ref.name));
            }
        }
        links.push(Link { step: "pod", object: pod_obj, ok, detail });
    }
    findings.sort_by_key(|f| std::cmp::Reverse(f.severity));
    done(links, findings)
}

pub fn ports_list(svc: &Service) -> String {
    let ports: Vec<String> = svc
        .spec
        .iter()
        .flat_map(|s| s.ports.iter().flatten())
        .map(|p| format!("{}{}", p.port, p.name.as_deref().map(|n| format!(" ({n})")).unwrap_or_default()))
        .collect();
    if ports.is_empty() { "none".into() } else { ports.join(", ") }
}

pub fn container_ports(pod: &Pod) -> String {
    let ports: Vec<String> = pod
        .spec
        .iter()
        .flat_map(|s| &s.containers)
        .flat_map(|c| {
            c.ports.iter().flatten().map(move |p| {
                format!(
                    "{}:{}{}",
                    c.name,
                    p.container_port,
                    p.name.as_deref().map(|n| format!(" ({n})")).unwrap_or_default()
                )
            })
        })
        .collect();
    if ports.is_empty() { "none declared".into() } else { ports.join(", ") }
}

/// The pod that has `address` (an `ip:port`, `[v6]:port` or bare IP from a proxy log), described
/// for a person: `pod shop/checkout-7d9f-abc on node-1 (Running, app restarted 6×, …)`.
/// The pod with `address` (`ip`, `ip:port` or `[v6]:port`) as its IP, if the snapshot has it.
pub fn pod_with_address<'a>(snapshot: &'a Snapshot, address: &str) -> Option<&'a Pod> {
    let ip = match address.rsplit_once(':') {
        Some((host, port)) if port.bytes().all(|b| b.is_ascii_digit()) && !host.is_empty() => host,
        _ => address,
    };
    let ip = ip.trim_start_matches('[').trim_end_matches(']');
    snapshot.pods.iter().find(|p| {
        p.status
            .as_ref()
            .is_some_and(|s| s.pod_ip.as_deref() == Some(ip) || s.pod_ips.iter().flatten().any(|i| i.ip == ip))
    })
}

/// The namespace and name of the pod at `address`.
pub fn pod_named_at(snapshot: &Snapshot, address: &str) -> Option<(String, String)> {
    let pod = pod_with_address(snapshot, address)?;
    Some((pod.metadata.namespace.clone().unwrap_or_default(), pod.metadata.name.clone().unwrap_or_default()))
}

/// `pod default/checkout-… on node-1 (Running, app restarted 6×, …)` for the pod at `address`.
pub fn pod_at(snapshot: &Snapshot, address: &str) -> Option<String> {
    let pod = pod_with_address(snapshot, address)?;
    let (_, state) = pod_state(pod);
    let node = pod.spec.as_ref().and_then(|s| s.node_name.as_deref()).map(|n| format!(" on {n}")).unwrap_or_default();
    Some(format!(
        "pod {}/{}{node} ({state})",
        pod.metadata.namespace.as_deref().unwrap_or("default"),
        pod.metadata.name.as_deref().unwrap_or("?")
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn host_and_path_matching() {
        assert_eq!(host_match(Some("shop.example.com"), "shop.example.com"), 3);
        assert_eq!(host_match(Some("*.example.com"), "shop.example.com"), 2);
        assert_eq!(host_match(Some("*.example.com"), "a.b.example.com"), 0);
        assert_eq!(host_match(Some("*.example.com"), "example.com"), 0);
        assert_eq!(host_match(None, "x"), 1);
        assert!(path_match("/api", "Prefix", "/api/users"));
        assert!(path_match("/api/", "Prefix", "/api"));
        assert!(!path_match("/api", "Prefix", "/apix"));
        assert!(path_match("/", "Prefix", "/anything"));
        assert!(!path_match("/api", "Exact", "/api/"));
    }
}
