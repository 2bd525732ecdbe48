//! Ingress rules: the class an Ingress asks for, host and path matching, the backend chosen for a
//! URL, and the Service port a backend names.

use culprit_kb::{Finding, Severity};
use k8s_openapi::api::core::v1::{Service, ServicePort};
use k8s_openapi::api::networking::v1::{Ingress, IngressBackend, IngressServiceBackend};

use super::{ports_list, service_port};
use crate::snapshot::Snapshot;

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

/// The Service and port a backend names (a rule's, the Ingress's `defaultBackend` when
/// `default_backend`, or an HTTPRoute's), or the finding that says which is missing (ingress-nginx
/// answers 503 for both).
pub fn resolve_backend<'a>(
    snapshot: &'a Snapshot,
    ns: Option<&str>,
    ing_obj: &str,
    svc_ref: &IngressServiceBackend,
    default_backend: bool,
) -> Result<(&'a Service, &'a ServicePort), Box<Finding>> {
    let Some(svc) = snapshot
        .services
        .iter()
        .find(|s| s.metadata.namespace.as_deref() == ns && s.metadata.name.as_deref() == Some(&svc_ref.name))
    else {
        let id = if default_backend { "default_backend_service_missing" } else { "backend_service_missing" };
        return Err(Box::new(
            Finding::from_kb(id, Severity::Error, &[503], ing_obj, &[("service", &svc_ref.name)])
                .with("backend.service.name", svc_ref.name.clone()),
        ));
    };
    let (number, name) = svc_ref.port.as_ref().map_or((None, None), |p| (p.number, p.name.as_deref()));
    let Some(port) = service_port(svc, number, name) else {
        let wanted = number.map_or_else(|| name.unwrap_or("?").to_owned(), |n| n.to_string());
        let id = if default_backend { "default_backend_port_missing" } else { "backend_port_missing" };
        return Err(Box::new(
            Finding::from_kb(id, Severity::Error, &[503], ing_obj, &[("port", &wanted), ("service", &svc_ref.name)])
                .with("Service ports", ports_list(svc)),
        ));
    };
    Ok((svc, port))
}

/// The IngressClass marked as the cluster default.
pub fn default_class(snapshot: &Snapshot) -> Option<String> {
    snapshot.ingress_classes.iter().find_map(|c| {
        let annotations = c.metadata.annotations.as_ref()?;
        (annotations.get("ingressclass.kubernetes.io/is-default-class").map(String::as_str) == Some("true"))
            .then(|| c.metadata.name.clone())?
    })
}
