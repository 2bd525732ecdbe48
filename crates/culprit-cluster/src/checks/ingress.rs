//! Ingresses: backends naming a missing Service or port, no class a controller picks up, the same
//! host and path claimed twice, rules without paths, canaries without their main Ingress,
//! annotations with another controller's prefix or values ingress-nginx cannot read (so its
//! default applies), `backend-protocol` against what the Service speaks, and notes on annotations
//! that make ingress-nginx answer by itself (rate limits, allow/deny ranges, auth).

use std::collections::BTreeMap;

use culprit_kb::{Finding, Severity};
use k8s_openapi::api::networking::v1::Ingress;

use crate::query::ingress::{class_of, default_class, resolve_backend};
use crate::query::nginx::{ANNOTATION_EFFECTS, FOREIGN_PREFIXES, NGINX_PREFIX, invalid_value};
use crate::query::object;
use crate::snapshot::Snapshot;

pub fn ingress_checks(snapshot: &Snapshot, ing: &k8s_openapi::api::networking::v1::Ingress, out: &mut Vec<Finding>) {
    let ns = ing.metadata.namespace.as_deref();
    let obj = object("Ingress", ns, ing.metadata.name.as_deref());
    let annotations = ing.metadata.annotations.clone().unwrap_or_default();
    let class = crate::query::ingress::class_of(ing);
    let nginx = class.as_deref().is_none_or(|c| c.contains("nginx"));
    if nginx {
        for key in annotations.keys() {
            let Some(prefix) = FOREIGN_PREFIXES.iter().find(|p| key.starts_with(*p)) else { continue };
            let suffix = &key[prefix.len()..];
            // What the intended setting would have prevented, had ingress-nginx read it.
            let Some((cause, code)) = ANNOTATION_EFFECTS.iter().find(|(s, ..)| *s == suffix).map(|(_, c, n)| (*c, *n))
            else {
                continue;
            };
            out.push(
                Finding::new(cause, Severity::Warning, &[code], obj.clone(), format!("annotation {key} is ignored by ingress-nginx (it reads {NGINX_PREFIX}{suffix}): the default applies"))
                    .with(format!("metadata.annotations[{key}]"), annotations[key].clone())
                    .fix(format!("metadata:\n  annotations:\n    {NGINX_PREFIX}{suffix}: \"{}\"", annotations[key])),
            );
        }
    }
    // backend-protocol against what the Service port says it speaks.
    let protocol = annotations.get(&format!("{NGINX_PREFIX}backend-protocol")).map(|p| p.to_ascii_uppercase());
    let mut mismatched: Vec<(Finding, String)> = Vec::new();
    for path in
        ing.spec.iter().flat_map(|s| s.rules.iter().flatten()).flat_map(|r| r.http.iter().flat_map(|h| &h.paths))
    {
        let Some(svc_ref) = &path.backend.service else { continue };
        let svc_obj = object("Service", ns, Some(&svc_ref.name));
        let (_, port) = match resolve_backend(snapshot, ns, &obj, svc_ref) {
            Ok(found) => found,
            Err(finding) => {
                if !out.contains(&*finding) {
                    out.push(*finding);
                }
                continue;
            }
        };
        let app = port.app_protocol.as_deref().unwrap_or("").to_ascii_lowercase();
        let pname = port.name.as_deref().unwrap_or("");
        let speaks_tls = app == "https" || pname == "https" || pname.starts_with("https-") || port.port == 443;
        let speaks_grpc = app.contains("grpc") || app.contains("h2c") || pname.starts_with("grpc");
        let speaks_plain = app == "http" || pname == "http" || pname.starts_with("http-");
        let said = protocol.as_deref().unwrap_or("HTTP");
        let mismatch = match said {
            "HTTPS" => speaks_plain || speaks_grpc,
            "GRPC" | "GRPCS" => speaks_plain || speaks_tls && !speaks_grpc,
            _ => speaks_tls || speaks_grpc,
        };
        if nginx && mismatch {
            let fix_to = if speaks_grpc {
                "GRPC"
            } else if speaks_tls {
                "HTTPS"
            } else {
                "HTTP"
            };
            let evidence = (
                svc_obj,
                format!(
                    "port {} named {}, appProtocol {}",
                    port.port,
                    port.name.as_deref().unwrap_or("-"),
                    port.app_protocol.as_deref().unwrap_or("-")
                ),
            );
            // The annotation covers the whole Ingress: one finding, every backend it misleads.
            match mismatched.iter_mut().find(|(f, _): &&mut (Finding, String)| f.object == obj) {
                Some((f, _)) => {
                    if !f.evidence.iter().any(|e| e.source == evidence.0) {
                        f.evidence.push(culprit_kb::EvidenceItem { source: evidence.0, value: evidence.1 });
                    }
                }
                None => mismatched.push((
                    Finding::new(
                        "upstream_invalid_response",
                        Severity::Warning,
                        &[502],
                        obj.clone(),
                        format!("ingress-nginx talks {said} to backends that speak {fix_to}"),
                    )
                    .with(
                        format!("{NGINX_PREFIX}backend-protocol"),
                        protocol.clone().unwrap_or_else(|| "(unset: HTTP)".into()),
                    )
                    .with(evidence.0, evidence.1)
                    .fix(format!("metadata:\n  annotations:\n    {NGINX_PREFIX}backend-protocol: \"{fix_to}\"")),
                    fix_to.to_owned(),
                )),
            }
        }
    }
    out.extend(mismatched.into_iter().map(|(f, _)| f));
}

/// Checks of one Ingress on its own.
pub fn ingress_rule_checks(snapshot: &Snapshot, ing: &Ingress, out: &mut Vec<Finding>) {
    let ns = ing.metadata.namespace.as_deref();
    let obj = object("Ingress", ns, ing.metadata.name.as_deref());
    // No class, or one that does not exist: no controller serves it (judged only when the snapshot
    // has the IngressClasses, since a dump without them cannot tell).
    if !snapshot.ingress_classes.is_empty() {
        match class_of(ing) {
            None if default_class(snapshot).is_none() => out.push(
                Finding::new("no_route", Severity::Error, &[404], obj.clone(), "no ingressClassName and no default IngressClass: no controller serves this Ingress (its hosts get 404 from the default backend, or no address)")
                    .with("spec.ingressClassName", "(unset)")
                    .with("IngressClasses", class_names(snapshot))
                    .fix("spec:\n  ingressClassName: nginx"),
            ),
            Some(class) if !snapshot.ingress_classes.iter().any(|c| c.metadata.name.as_deref() == Some(class.as_str())) => {
                out.push(
                    Finding::new("no_route", Severity::Error, &[404], obj.clone(), format!("IngressClass {class} does not exist: no controller serves this Ingress"))
                        .with("spec.ingressClassName", class)
                        .with("IngressClasses", class_names(snapshot))
                        .fix("set spec.ingressClassName to one of the IngressClasses listed"),
                );
            }
            _ => {}
        }
    }
    let Some(spec) = &ing.spec else { return };
    for (i, rule) in spec.rules.iter().flatten().enumerate() {
        let paths = rule.http.as_ref().map_or(0, |h| h.paths.len());
        if paths == 0 {
            out.push(
                Finding::new("no_route", Severity::Warning, &[404], obj.clone(), format!("rule for host {} has no paths: it routes nothing", rule.host.as_deref().unwrap_or("*")))
                    .with(format!("spec.rules[{i}].http"), "(empty)")
                    .fix("spec:\n  rules:\n  - host: …\n    http:\n      paths:\n      - path: /\n        pathType: Prefix\n        backend:\n          service: {name: …, port: {number: 80}}"),
            );
        }
    }
    if let Some(svc_ref) = spec.default_backend.as_ref().and_then(|b| b.service.as_ref())
        && let Err(mut finding) = resolve_backend(snapshot, ns, &obj, svc_ref)
    {
        finding.title = format!("spec.defaultBackend: {}", finding.title);
        if !out.contains(&finding) {
            out.push(*finding);
        }
    }
    let annotations = ing.metadata.annotations.clone().unwrap_or_default();
    if class_of(ing).as_deref().is_none_or(|c| c.contains("nginx")) {
        annotation_values(&obj, &annotations, out);
        access_annotations(&obj, &annotations, out);
        // The Service that answers instead of a 503 when the backend has no endpoints.
        if let Some(name) = annotations.get(&format!("{NGINX_PREFIX}default-backend"))
            && !snapshot.services.is_empty()
            && !snapshot
                .services
                .iter()
                .any(|s| s.metadata.namespace.as_deref() == ns && s.metadata.name.as_deref() == Some(name.as_str()))
        {
            out.push(
                Finding::new("invalid_backend_ref", Severity::Warning, &[503], obj.clone(), format!("annotation default-backend names Service {name}, which does not exist in the namespace: clients get the plain 503 it was meant to replace"))
                    .with(format!("metadata.annotations[{NGINX_PREFIX}default-backend]"), name.clone())
                    .fix("name a Service in the Ingress's namespace (its first port is used)"),
            );
        }
        rewrite_without_capture(&obj, ing, &annotations, out);
    }
    alb_idle_timeout(&obj, &annotations, out);
}

/// Annotations that make ingress-nginx itself answer 403 or 401 (notes: by design, but the first
/// suspect when those codes appear).
fn access_annotations(obj: &str, annotations: &BTreeMap<String, String>, out: &mut Vec<Finding>) {
    for (suffix, cause, codes, what) in [
        (
            "whitelist-source-range",
            "proxy_access_denied",
            &[403][..],
            "clients outside these ranges get 403 from ingress-nginx (behind a load balancer, the ranges must match the real client IP: use-forwarded-headers / proxy protocol)",
        ),
        (
            "denylist-source-range",
            "proxy_access_denied",
            &[403][..],
            "clients in these ranges get 403 from ingress-nginx",
        ),
        (
            "auth-url",
            "edge_auth_rejected",
            &[401, 403, 500][..],
            "every request is checked by this auth service first: its 401/403 reach the client, and when it fails or is unreachable ingress-nginx answers 500",
        ),
        (
            "auth-type",
            "edge_auth_rejected",
            &[401][..],
            "requests without valid credentials get 401 (503 when the auth secret lacks the key `auth`)",
        ),
    ] {
        if let Some(value) = annotations.get(&format!("{NGINX_PREFIX}{suffix}")) {
            out.push(
                Finding::new(cause, Severity::Info, codes, obj, format!("{suffix} {value}: {what}"))
                    .with(format!("metadata.annotations[{NGINX_PREFIX}{suffix}]"), value.clone()),
            );
        }
    }
}

/// `rewrite-target` without `$1`… on an Ingress whose paths capture groups: every request under
/// those paths is sent to one fixed path of the backend (ingress-nginx's own lint warns of it).
fn rewrite_without_capture(obj: &str, ing: &Ingress, annotations: &BTreeMap<String, String>, out: &mut Vec<Finding>) {
    let Some(target) = annotations.get(&format!("{NGINX_PREFIX}rewrite-target")) else { return };
    let captures = ing
        .spec
        .iter()
        .flat_map(|s| s.rules.iter().flatten())
        .flat_map(|r| r.http.iter().flat_map(|h| &h.paths))
        .filter_map(|p| p.path.as_deref())
        .find(|p| p.contains('('));
    let references = target.as_bytes().windows(2).any(|w| w[0] == b'$' && w[1].is_ascii_digit());
    if let Some(path) = captures
        && !references
    {
        out.push(
            Finding::new("no_route", Severity::Warning, &[404], obj, format!("rewrite-target \"{target}\" uses no capture group of path {path}: every request under it reaches the backend as {target} (404s or the wrong page)"))
                .with(format!("metadata.annotations[{NGINX_PREFIX}rewrite-target]"), target.clone())
                .with("spec.rules[].http.paths[].path", path)
                .fix(format!("metadata:\n  annotations:\n    {NGINX_PREFIX}rewrite-target: /$2   # the group that holds the rest of the path")),
        );
    }
}

/// An AWS ALB keeps idle connections to targets open for its idle timeout (60 s by default): a
/// backend that closes idle keep-alive connections sooner makes it reuse dead ones (502).
fn alb_idle_timeout(obj: &str, annotations: &BTreeMap<String, String>, out: &mut Vec<Finding>) {
    if !annotations.keys().any(|k| k.starts_with("alb.ingress.kubernetes.io/")) {
        return;
    }
    let idle = annotations
        .get("alb.ingress.kubernetes.io/load-balancer-attributes")
        .and_then(|a| {
            a.split(',').find_map(|kv| kv.trim().strip_prefix("idle_timeout.timeout_seconds=")?.parse::<u32>().ok())
        })
        .unwrap_or(60);
    out.push(
        Finding::new("keepalive_timeout_mismatch", Severity::Info, &[502], obj, format!("the ALB reuses idle connections for up to {idle} s: the backends' keep-alive timeout must be longer (Node.js defaults to 5 s, gunicorn to 2 s), or random 502s follow"))
            .with("idle_timeout.timeout_seconds", idle.to_string())
            .fix(format!("set the app's keep-alive timeout above {idle} s (Node.js: server.keepAliveTimeout = {}000)", idle + 5)),
    );
}

fn class_names(snapshot: &Snapshot) -> String {
    let names: Vec<&str> = snapshot.ingress_classes.iter().filter_map(|c| c.metadata.name.as_deref()).collect();
    names.join(", ")
}

/// ingress-nginx annotations whose values it cannot read: depending on the version the annotation
/// is ignored (the default applies), the Ingress is rejected, or nginx's reload fails.
fn annotation_values(obj: &str, annotations: &BTreeMap<String, String>, out: &mut Vec<Finding>) {
    for (key, value) in annotations {
        let Some(suffix) = key.strip_prefix(NGINX_PREFIX) else { continue };
        if let Some((cause, code, expected)) = invalid_value(suffix, value) {
            out.push(
                Finding::new(cause, Severity::Warning, &[code], obj, format!("annotation {key}: \"{value}\" is not a value ingress-nginx accepts: the annotation is ignored (or the Ingress rejected) and the value you meant never applies"))
                    .with(format!("metadata.annotations[{key}]"), value.clone())
                    .fix(format!("metadata:\n  annotations:\n    {key}: …   # {expected}")),
            );
        }
    }
    for limit in ["limit-rps", "limit-rpm", "limit-connections"] {
        if let Some(value) = annotations.get(&format!("{NGINX_PREFIX}{limit}")) {
            out.push(
                Finding::new("proxy_rate_limited", Severity::Info, &[503], obj, format!("{limit} {value}: requests over the limit get 503 from ingress-nginx, not 429, unless limit-req-status-code / limit-conn-status-code is set in the controller's ConfigMap; limits count per controller replica"))
                    .with(format!("metadata.annotations[{NGINX_PREFIX}{limit}]"), value.clone())
                    .fix("data:\n  limit-req-status-code: \"429\"\n  limit-conn-status-code: \"429\"   # in the ingress-nginx-controller ConfigMap"),
            );
        }
    }
}

/// Checks across Ingresses: the same host and path claimed by two Ingresses of one class (one of
/// them loses), and canary Ingresses with no main Ingress for their host and path.
pub fn ingress_conflicts(snapshot: &Snapshot, namespace: Option<&str>, out: &mut Vec<Finding>) {
    // (class, host, path) → Ingresses, canaries apart.
    let mut claims: BTreeMap<(String, String, String), Vec<String>> = BTreeMap::new();
    let mut canaries: Vec<(String, (String, String, String))> = Vec::new();
    for ing in &snapshot.ingresses {
        let obj = object("Ingress", ing.metadata.namespace.as_deref(), ing.metadata.name.as_deref());
        let class = class_of(ing).unwrap_or_default();
        let canary = ing
            .metadata
            .annotations
            .as_ref()
            .and_then(|a| a.get(&format!("{NGINX_PREFIX}canary")))
            .is_some_and(|v| v == "true");
        for rule in ing.spec.iter().flat_map(|s| s.rules.iter().flatten()) {
            for p in rule.http.iter().flat_map(|h| &h.paths) {
                let key = (
                    class.clone(),
                    rule.host.clone().unwrap_or_default(),
                    p.path.clone().unwrap_or_else(|| "/".into()),
                );
                if canary {
                    canaries.push((obj.clone(), key));
                } else {
                    claims.entry(key).or_default().push(obj.clone());
                }
            }
        }
    }
    let in_ns = |obj: &str| namespace.is_none_or(|n| obj.split('/').nth(1) == Some(n));
    for ((_, host, path), owners) in &claims {
        if owners.len() > 1 && in_ns(&owners[1]) {
            let host = if host.is_empty() { "*" } else { host.as_str() };
            out.push(
                Finding::new("no_route", Severity::Warning, &[404], owners[1].clone(), format!("host {host} path {path} is also claimed by {}: only one of them routes it (ingress-nginx keeps the oldest), the other's backend never sees these requests", owners[0]))
                    .with("claimed by", owners.join(", "))
                    .fix("keep one Ingress per host and path; split by path or merge the rules"),
            );
        }
    }
    for (obj, key) in canaries {
        if !claims.contains_key(&key) && in_ns(&obj) {
            let host = if key.1.is_empty() { "*" } else { key.1.as_str() };
            out.push(
                Finding::new("no_route", Severity::Error, &[404], obj, format!("canary for host {host} path {} has no main Ingress with the same host and path: its requests get 404", key.2))
                    .with(format!("metadata.annotations[{NGINX_PREFIX}canary]"), "true")
                    .fix("create the main (non-canary) Ingress for this host and path first"),
            );
        }
    }
}
