//! Which layer wrote a response: the knowledge base's responder markers (headers, body text)
//! matched against it. A proxy's `Server` header is on every response it relays, so it only says
//! the proxy was on the path; its error-page text, or a header only it writes, says it answered.

use culprit_kb::{Cause, Check, Confidence, Layer, MarkerKind, Platform, kb};

use crate::exchange::Response;

/// Who answered, with the evidence.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Responder {
    /// Knowledge-base responder id; `application` when no component's own markers matched.
    pub id: String,
    pub name: String,
    pub layer: Layer,
    pub confidence: Confidence,
    pub evidence: Vec<String>,
    /// Components seen on the path that did not write the response (`Server: nginx` on a relayed
    /// answer, `via: 1.1 google`).
    pub on_path: Vec<String>,
}

/// A pass-through answer from the application never carries a proxy's error page, so a body
/// marker (or a header only that component writes when it answers itself) decides.
pub fn identify(response: &Response) -> Responder {
    let body = String::from_utf8_lossy(&response.body[..response.body.len().min(64 * 1024)]).to_lowercase();
    let mut best: Option<(u32, &culprit_kb::Responder, Vec<String>)> = None;
    let mut on_path = Vec::new();
    for r in &kb().responders {
        let mut score = 0u32;
        let mut evidence = Vec::new();
        let mut path_only = false;
        for m in &r.markers {
            let needle = m.text.to_lowercase();
            let hit = match m.kind {
                MarkerKind::Header => {
                    let name = m.name.as_deref().unwrap_or("");
                    response.headers_named(name).find(|v| needle.is_empty() || v.to_lowercase().contains(&needle)).map(
                        |v| {
                            let weight = if name == "server" || m.passthrough { 1 } else { 3 };
                            (weight, format!("header {name}: {v}"))
                        },
                    )
                }
                MarkerKind::Body => body.contains(&needle).then(|| (4, format!("body contains \"{}\"", m.text))),
            };
            if let Some((weight, text)) = hit {
                if m.passthrough || (m.kind == MarkerKind::Header && weight == 1) {
                    path_only = true;
                    evidence.push(text);
                } else {
                    score += weight;
                    evidence.push(text);
                }
            }
        }
        if score == 0 && path_only {
            on_path.push(format!("{} ({})", r.name, evidence.join("; ")));
            // A Server header alone: the proxy answered only when the body is not the app's.
            if response.status >= 500 && !looks_like_app_body(response) && response.body_bytes < 1024 {
                score = 1;
            }
        }
        if score > 0 && best.as_ref().is_none_or(|(s, _, _)| score > *s) {
            best = Some((score, r, evidence));
        }
    }
    if let Some((score, r, evidence)) = best {
        let confidence = match score {
            s if s >= 4 => Confidence::High,
            2..=3 => Confidence::Medium,
            _ => Confidence::Low,
        };
        on_path.retain(|p| !p.starts_with(&r.name));
        Responder { id: r.id.clone(), name: r.name.clone(), layer: r.layer, confidence, evidence, on_path }
    } else {
        let mut evidence = vec!["no proxy, load balancer or CDN error page or header matched".to_owned()];
        if let Some(server) = response.header("server") {
            evidence.push(format!("header server: {server}"));
        }
        if looks_like_app_body(response) {
            evidence.push("the body is the application's (JSON or problem details)".into());
        }
        let confidence = if on_path.is_empty() { Confidence::Medium } else { Confidence::High };
        Responder {
            id: "application".into(),
            name: "the application".into(),
            layer: Layer::App,
            confidence,
            evidence,
            on_path,
        }
    }
}

fn looks_like_app_body(response: &Response) -> bool {
    let ct = response.header("content-type").unwrap_or("").to_ascii_lowercase();
    ct.contains("json") || ct.contains("problem")
}

/// The knowledge base's causes of `status` that this responder's layer generates, most likely first.
pub fn causes_at(status: u16, responder: &Responder) -> Vec<&'static culprit_kb::Cause> {
    let kb = kb();
    let all = kb.causes_for_code(status);
    let known: Vec<&str> =
        kb.responder(&responder.id).map(|r| r.causes.iter().map(String::as_str).collect()).unwrap_or_default();
    let mut picked: Vec<&culprit_kb::Cause> = all
        .iter()
        .copied()
        .filter(|c| {
            c.produces.iter().any(|p| p.code == status && p.by == responder.layer && !names_another(p, responder))
        })
        .collect();
    // Prefer what this component is known for.
    picked.sort_by_key(|c| !known.contains(&c.id.as_str()));
    if picked.is_empty() { all } else { picked }
}

/// The causes and checks that fit an answer: what the status means at the layer that wrote it, and
/// what to run next.
#[derive(Debug, Clone)]
pub struct Reading {
    /// Most likely first.
    pub causes: Vec<&'static Cause>,
    /// In the order to run them.
    pub checks: Vec<&'static Check>,
}

/// How `status` from `responder` reads. A component that runs anywhere (nginx, HAProxy, Apache,
/// Varnish, Caddy…) is read on its own terms — its `means` in the knowledge base and its own
/// checks (its error log, its backend health) — unless there is evidence of Kubernetes
/// (`kubernetes`), which brings in the Kubernetes causes and kubectl steps; a component that runs
/// only in Kubernetes, or a managed one, is read by the layer it sits at. Without evidence of
/// Kubernetes, no kubectl step is offered for a component that runs anywhere.
pub fn reading(status: u16, responder: &Responder, kubernetes: bool) -> Reading {
    let kb = kb();
    let known = kb.responder(&responder.id);
    let anywhere = known.is_some_and(|r| r.platform == Platform::Any);
    let own: Vec<&'static Check> =
        known.map(|r| r.checks.iter().filter_map(|id| kb.check(id)).collect()).unwrap_or_default();
    let means = known.and_then(|r| r.means_for(status));
    let causes: Vec<&'static Cause> = match means {
        Some(m) if anywhere && !kubernetes => m.causes.iter().filter_map(|id| kb.cause(id)).collect(),
        _ => causes_at(status, responder),
    };
    let from_causes: Vec<&'static Check> =
        causes.first().map(|c| c.checks.iter().filter_map(|id| kb.check(id)).collect()).unwrap_or_default();
    let mut checks: Vec<&'static Check> = if anywhere && !kubernetes {
        let fitting: Vec<&'static Check> = from_causes.into_iter().filter(|c| !c.needs_kubernetes()).collect();
        // Its own checks for the codes it is known for; the cause's for the others, when they run
        // without a cluster.
        if means.is_some() || fitting.is_empty() { own.into_iter().chain(fitting).collect() } else { fitting }
    } else if anywhere {
        from_causes.into_iter().chain(own).collect()
    } else {
        from_causes
    };
    let mut seen = std::collections::HashSet::new();
    checks.retain(|c| seen.insert(c.id.as_str()));
    Reading { causes, checks }
}

/// Whether the response carries a header of a component that runs only in Kubernetes (an Istio
/// sidecar's `x-envoy-upstream-service-time`): evidence of a cluster. Error-page bodies do not
/// count — plain nginx with `server_tokens off` writes the same footer as ingress-nginx.
pub fn kubernetes_component(response: &Response) -> Option<String> {
    for r in kb().responders.iter().filter(|r| r.platform == Platform::Kubernetes) {
        for m in r.markers.iter().filter(|m| m.kind == MarkerKind::Header) {
            let needle = m.text.to_lowercase();
            let name = m.name.as_deref().unwrap_or("");
            if response.headers_named(name).any(|v| needle.is_empty() || v.to_lowercase().contains(&needle)) {
                return Some(format!("{} ({name} header)", r.name));
            }
        }
    }
    None
}

/// A production whose note names a different component ("Caddy request_body max_size" when nginx
/// answered) does not apply to this responder.
fn names_another(p: &culprit_kb::Production, responder: &Responder) -> bool {
    let Some(note) = p.note.as_deref() else { return false };
    let note = note.to_lowercase();
    kb().responders.iter().any(|r| {
        r.id != responder.id
            && !responder.name.to_lowercase().contains(&r.name.to_lowercase())
            && note.contains(&r.name.to_lowercase())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn known(id: &str) -> Responder {
        let r = kb().responder(id).unwrap();
        Responder {
            id: r.id.clone(),
            name: r.name.clone(),
            layer: r.layer,
            confidence: Confidence::High,
            evidence: Vec::new(),
            on_path: Vec::new(),
        }
    }

    fn ids(r: &Reading) -> (Vec<&'static str>, Vec<&'static str>) {
        (r.causes.iter().map(|&c| c.id.as_str()).collect(), r.checks.iter().map(|&c| c.id.as_str()).collect())
    }

    #[test]
    fn a_proxy_that_runs_anywhere_is_read_on_its_own_terms() {
        let (causes, checks) = ids(&reading(503, &known("apache"), false));
        assert_eq!(causes[0], "upstream_connection_refused");
        assert_eq!(checks[0], "apache_error_log");
        assert!(!causes.contains(&"no_ready_endpoints"), "{causes:?}");
        let r = reading(503, &known("varnish"), false);
        assert!(r.checks.iter().all(|c| !c.needs_kubernetes()), "{:?}", ids(&r));
        // With evidence of Kubernetes, the Kubernetes reading and its kubectl steps come in.
        let r = reading(503, &known("apache"), true);
        assert!(r.checks.iter().any(|c| c.needs_kubernetes()), "{:?}", ids(&r));
        // A note naming another component keeps its production away: nginx's read timeout is a
        // 504, Apache's is a 502.
        for kubernetes in [false, true] {
            let (causes, _) = ids(&reading(502, &known("nginx"), kubernetes));
            assert!(!causes.contains(&"upstream_timeout"), "{causes:?}");
        }
        assert!(ids(&reading(502, &known("apache"), false)).0.contains(&"upstream_timeout"));
    }

    #[test]
    fn a_kubernetes_component_is_read_as_one() {
        let (causes, checks) = ids(&reading(503, &known("ingress_nginx"), false));
        assert_eq!(causes[0], "no_ready_endpoints");
        assert!(checks.contains(&"endpoints"), "{checks:?}");
    }
}
