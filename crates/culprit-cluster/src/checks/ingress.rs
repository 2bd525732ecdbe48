//! Ingresses: backends naming a missing Service or port, no class a controller picks up, the same
//! host and path claimed twice, rules without paths, canaries without their main Ingress,
//! annotations with another controller's prefix or values ingress-nginx cannot read (so its
//! default applies), `backend-protocol` against what the Service speaks, and notes on annotations
//! that make ingress-nginx answer by itself (rate limits, allow/deny ranges, auth).

use std::collections::BTreeMap;

use culprit_kb::{Finding, Severity};
use k8s_openapi::api::networking::v1::Ingress;

use crate::query::ingress::{class_of, default_class, resolve_backend};
use crate::query::nginx::{
    ANNOTATION_EFFECTS, DEFAULT_BODY_LIMIT, FOREIGN_PREFIXES, NGINX_PREFIX, ValueKind, controller_config_object,
    controller_setting, invalid_value, parse_nginx_size, served_by_ingress_nginx,
};
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
                Finding::from_kb_because(
                    "annotation_foreign_prefix",
                    cause,
                    Severity::Warning,
                    &[code],
                    obj.clone(),
                    &[("key", key), ("nginx_key", &format!("{NGINX_PREFIX}{suffix}")), ("value", &annotations[key])],
                )
                .with(format!("metadata.annotations[{key}]"), annotations[key].clone()),
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
        let (_, port) = match resolve_backend(snapshot, ns, &obj, svc_ref, false) {
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
                    Finding::from_kb(
                        "backend_protocol_mismatch",
                        Severity::Warning,
                        &[502],
                        obj.clone(),
                        &[("said", said), ("speaks", fix_to)],
                    )
                    .with(
                        format!("{NGINX_PREFIX}backend-protocol"),
                        protocol.clone().unwrap_or_else(|| "(unset: HTTP)".into()),
                    )
                    .with(evidence.0, evidence.1),
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
                Finding::from_kb("ingress_without_class", Severity::Error, &[404], obj.clone(), &[])
                    .with("spec.ingressClassName", "(unset)")
                    .with("IngressClasses", class_names(snapshot)),
            ),
            Some(class)
                if !snapshot.ingress_classes.iter().any(|c| c.metadata.name.as_deref() == Some(class.as_str())) =>
            {
                out.push(
                    Finding::from_kb(
                        "ingress_class_missing",
                        Severity::Error,
                        &[404],
                        obj.clone(),
                        &[("class", &class)],
                    )
                    .with("spec.ingressClassName", class)
                    .with("IngressClasses", class_names(snapshot)),
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
                Finding::from_kb(
                    "rule_without_paths",
                    Severity::Warning,
                    &[404],
                    obj.clone(),
                    &[("host", rule.host.as_deref().unwrap_or("*"))],
                )
                .with(format!("spec.rules[{i}].http"), "(empty)"),
            );
        }
    }
    if let Some(svc_ref) = spec.default_backend.as_ref().and_then(|b| b.service.as_ref())
        && let Err(finding) = resolve_backend(snapshot, ns, &obj, svc_ref, true)
        && !out.contains(&finding)
    {
        out.push(*finding);
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
                Finding::from_kb(
                    "default_backend_annotation_missing",
                    Severity::Warning,
                    &[503],
                    obj.clone(),
                    &[("service", name)],
                )
                .with(format!("metadata.annotations[{NGINX_PREFIX}default-backend]"), name.clone()),
            );
        }
        rewrite_without_capture(&obj, ing, &annotations, out);
    }
    alb_idle_timeout(&obj, &annotations, out);
}

/// Annotations that make ingress-nginx itself answer 403 or 401 (notes: by design, but the first
/// suspect when those codes appear).
fn access_annotations(obj: &str, annotations: &BTreeMap<String, String>, out: &mut Vec<Finding>) {
    for (suffix, id, codes) in [
        ("whitelist-source-range", "allowlist_note", &[403][..]),
        ("denylist-source-range", "denylist_note", &[403][..]),
        ("auth-url", "auth_url_note", &[401, 403, 500][..]),
        ("auth-type", "auth_type_note", &[401][..]),
    ] {
        if let Some(value) = annotations.get(&format!("{NGINX_PREFIX}{suffix}")) {
            out.push(
                Finding::from_kb(id, Severity::Info, codes, obj, &[("value", value)])
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
            Finding::from_kb(
                "rewrite_without_capture",
                Severity::Warning,
                &[404],
                obj,
                &[("target", target), ("path", path)],
            )
            .with(format!("metadata.annotations[{NGINX_PREFIX}rewrite-target]"), target.clone())
            .with("spec.rules[].http.paths[].path", path),
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
        Finding::from_kb(
            "alb_idle_timeout_note",
            Severity::Info,
            &[502],
            obj,
            &[("idle", &idle.to_string()), ("node_ms", &((idle + 5) * 1000).to_string())],
        )
        .with("idle_timeout.timeout_seconds", idle.to_string()),
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
                Finding::from_kb_because(
                    match expected {
                        ValueKind::Seconds => "annotation_value_not_seconds",
                        ValueKind::Size => "annotation_value_not_size",
                    },
                    cause,
                    Severity::Warning,
                    &[code],
                    obj,
                    &[("key", key), ("value", value)],
                )
                .with(format!("metadata.annotations[{key}]"), value.clone()),
            );
        }
    }
    for limit in ["limit-rps", "limit-rpm", "limit-connections"] {
        if let Some(value) = annotations.get(&format!("{NGINX_PREFIX}{limit}")) {
            out.push(
                Finding::from_kb(
                    "rate_limit_note",
                    Severity::Info,
                    &[503],
                    obj,
                    &[("setting", limit), ("value", value)],
                )
                .with(format!("metadata.annotations[{NGINX_PREFIX}{limit}]"), value.clone()),
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
                Finding::from_kb(
                    "host_path_claimed_twice",
                    Severity::Warning,
                    &[404],
                    owners[1].clone(),
                    &[("host", host), ("path", path), ("other", &owners[0])],
                )
                .with("claimed by", owners.join(", ")),
            );
        }
    }
    for (obj, key) in canaries {
        if !claims.contains_key(&key) && in_ns(&obj) {
            let host = if key.1.is_empty() { "*" } else { key.1.as_str() };
            out.push(
                Finding::from_kb(
                    "canary_without_main",
                    Severity::Error,
                    &[404],
                    obj,
                    &[("host", host), ("path", &key.2)],
                )
                .with(format!("metadata.annotations[{NGINX_PREFIX}canary]"), "true"),
            );
        }
    }
}

/// Path segments that take request bodies larger than ingress-nginx's 1 MiB default: uploads,
/// imports, files and media (matched at the start of a segment: `/uploads`, `/images/…`).
const UPLOAD_WORDS: &[&str] =
    &["upload", "file", "import", "attachment", "media", "avatar", "image", "photo", "video", "document"];

/// The seeds' most-cited mistake: ingress-nginx Ingresses that set no `proxy-body-size` while the
/// controller's ConfigMap does not raise the 1 MiB default either — bodies over it get 413. One
/// note listing them (a warning when their paths look like uploads). Ingresses whose annotation
/// is misspelled or unreadable are reported as such already; canaries take their main Ingress's.
pub fn body_size_note(snapshot: &Snapshot, namespace: Option<&str>, out: &mut Vec<Finding>) {
    let (limit, limit_source) = if let Some((value, source)) = controller_setting(snapshot, "proxy-body-size") {
        (parse_nginx_size(&value).unwrap_or(DEFAULT_BODY_LIMIT), source)
    } else {
        let unreadable = snapshot
            .controller_configs
            .iter()
            .find_map(|cm| cm.data.as_ref()?.get("proxy-body-size").map(|v| format!("\"{v}\" (not read)")));
        let said = unreadable.unwrap_or_else(|| "unset".into());
        (DEFAULT_BODY_LIMIT, format!("controller's ConfigMap: {said}, so ingress-nginx's default 1m applies"))
    };
    // 0 is no limit; a larger one was raised on purpose.
    if limit == 0 || limit > DEFAULT_BODY_LIMIT {
        return;
    }
    let mut listed = Vec::new();
    let mut uploads = Vec::new();
    for ing in &snapshot.ingresses {
        let ns = ing.metadata.namespace.as_deref();
        if namespace.is_some_and(|n| ns != Some(n)) || !served_by_ingress_nginx(snapshot, ing) {
            continue;
        }
        let annotations = ing.metadata.annotations.clone().unwrap_or_default();
        let sets_it = annotations.keys().any(|k| k.ends_with("/proxy-body-size"));
        let canary = annotations.get(&format!("{NGINX_PREFIX}canary")).is_some_and(|v| v == "true");
        let paths: Vec<&str> = ing
            .spec
            .iter()
            .flat_map(|s| s.rules.iter().flatten())
            .flat_map(|r| r.http.iter().flat_map(|h| &h.paths))
            .map(|p| p.path.as_deref().unwrap_or("/"))
            .collect();
        if sets_it || canary || paths.is_empty() {
            continue;
        }
        let obj = object("Ingress", ns, ing.metadata.name.as_deref());
        let upload: Vec<&str> = paths.iter().copied().filter(|p| takes_uploads(p)).collect();
        if !upload.is_empty() {
            uploads.push(format!("{obj} {}", upload.join(", ")));
        }
        listed.push(obj);
    }
    if listed.is_empty() {
        return;
    }
    let severity = if uploads.is_empty() { Severity::Info } else { Severity::Warning };
    let limit_text = if limit == DEFAULT_BODY_LIMIT { "1 MiB".to_owned() } else { format!("{limit} bytes") };
    let config = controller_config_object(snapshot);
    let mut f = Finding::from_kb(
        "body_limit_default",
        severity,
        &[413],
        config.clone(),
        &[("limit", &limit_text), ("count", &listed.len().to_string()), ("configmap", &config)],
    )
    .with("Ingresses without proxy-body-size", listed.join(", "))
    .with("proxy-body-size", limit_source);
    if !uploads.is_empty() {
        f = f.with("paths that take uploads", uploads.join("; "));
    }
    out.push(f);
}

fn takes_uploads(path: &str) -> bool {
    path.split('/').any(|segment| {
        let segment = segment.to_ascii_lowercase();
        UPLOAD_WORDS.iter().any(|w| segment.starts_with(w))
    })
}
