//! Which layer wrote a response: the knowledge base's responder markers (headers, body text)
//! matched against it. A proxy's `Server` header is on every response it relays (unless the
//! knowledge base says it writes one only on its own answers), so it only says the proxy was on the
//! path; its error-page text, or a header only it writes, says it answered. When only its `Server`
//! header is on an error, what its own error answers look like (`own_errors` in the knowledge base:
//! its page, an empty body, the upstream's `Server` beside its own) decides whether it wrote the
//! error or relayed the application's; when nothing decides, both readings are given.

use culprit_kb::{Cause, Check, Confidence, ErrorBody, Layer, MarkerKind, Platform, ServerHeader, kb};

use crate::exchange::Response;

/// The id of the reading "the application behind every proxy wrote it".
pub const APPLICATION: &str = "application";

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
    /// The names of the components the answer was passed through (those of `on_path`), for the
    /// headline: "from the application, passed through nginx".
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub relayed_by: Vec<String>,
    /// When the evidence cannot tell a proxy's own error from one it relayed: the other reading
    /// (the application behind it, or the proxy in front). The confidence is then low.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub alternative: Option<Alternative>,
}

/// The other reading of an answer whose writer the evidence does not settle.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Alternative {
    pub id: String,
    pub name: String,
    pub layer: Layer,
}

impl Responder {
    /// The alternative reading as a responder of its own (for its causes and checks).
    pub fn alternative_reading(&self) -> Option<Responder> {
        self.alternative.as_ref().map(|a| Responder {
            id: a.id.clone(),
            name: a.name.clone(),
            layer: a.layer,
            confidence: Confidence::Low,
            evidence: Vec::new(),
            on_path: Vec::new(),
            relayed_by: Vec::new(),
            alternative: None,
        })
    }

    fn application(confidence: Confidence, evidence: Vec<String>, on_path: Vec<String>) -> Responder {
        Responder {
            id: APPLICATION.into(),
            name: "the application".into(),
            layer: Layer::App,
            confidence,
            evidence,
            on_path,
            relayed_by: Vec::new(),
            alternative: None,
        }
    }
}

/// What one responder's markers say about a response.
struct Seen<'k> {
    r: &'k culprit_kb::Responder,
    /// Weight of the evidence that it wrote the answer (body text 4, a header only it writes 3).
    score: u32,
    evidence: Vec<String>,
    /// Markers that only show it on the path.
    path: Vec<String>,
    /// Its `Server` header is on the answer (as a path marker).
    server: bool,
}

/// Who wrote `response`: the component whose own markers match best; else, for an error carrying
/// only a proxy's `Server` header, that proxy or the application behind it as its `own_errors`
/// decide; else the application.
pub fn identify(response: &Response) -> Responder {
    let body = String::from_utf8_lossy(&response.body[..response.body.len().min(64 * 1024)]).to_lowercase();
    let seen: Vec<Seen<'_>> = kb().responders.iter().filter_map(|r| markers_of(r, response, &body)).collect();
    // The strongest own evidence; among equals, the first the knowledge base lists.
    let mut best: Option<&Seen<'_>> = None;
    for s in &seen {
        if s.score > 0 && best.is_none_or(|b| s.score > b.score) {
            best = Some(s);
        }
    }
    let path_of = |skip: Option<&str>| -> Vec<String> {
        seen.iter()
            .filter(|s| !s.path.is_empty() && Some(s.r.id.as_str()) != skip)
            .map(|s| format!("{} ({})", s.r.name, s.path.join("; ")))
            .collect()
    };
    if let Some(b) = best {
        let confidence = match b.score {
            s if s >= 4 => Confidence::High,
            2..=3 => Confidence::Medium,
            _ => Confidence::Low,
        };
        let mut evidence = b.evidence.clone();
        evidence.extend(b.path.iter().cloned());
        return Responder {
            id: b.r.id.clone(),
            name: b.r.name.clone(),
            layer: b.r.layer,
            confidence,
            evidence,
            on_path: path_of(Some(&b.r.id)),
            relayed_by: Vec::new(),
            alternative: None,
        };
    }
    let on_path = path_of(None);
    let relayed_by: Vec<String> = seen.iter().filter(|s| !s.path.is_empty()).map(|s| s.r.name.clone()).collect();
    // An error with only a proxy's Server header on it: its own, or the application's relayed?
    if response.status >= 500
        && let Some(candidate) = seen.iter().find(|s| s.server)
    {
        return judged(response, candidate, on_path, relayed_by);
    }
    let mut evidence = vec!["no proxy, load balancer or CDN error page or header matched".to_owned()];
    if let Some(server) = upstream_server(response, &seen) {
        evidence.push(format!("header server: {server}"));
    }
    if looks_like_app_body(response) {
        evidence.push("the body is the application's (JSON or problem details)".into());
    }
    let confidence = if on_path.is_empty() { Confidence::Medium } else { Confidence::High };
    Responder { relayed_by, ..Responder::application(confidence, evidence, on_path) }
}

/// The responder's markers that match, or `None` when none does.
fn markers_of<'k>(r: &'k culprit_kb::Responder, response: &Response, body: &str) -> Option<Seen<'k>> {
    let mut seen = Seen { r, score: 0, evidence: Vec::new(), path: Vec::new(), server: false };
    for m in &r.markers {
        let needle = m.text.to_lowercase();
        match m.kind {
            MarkerKind::Header => {
                let name = m.name.as_deref().unwrap_or("");
                let Some(v) =
                    response.headers_named(name).find(|v| needle.is_empty() || v.to_lowercase().contains(&needle))
                else {
                    continue;
                };
                let text = format!("header {name}: {v}");
                let own_server = name == "server" && r.own_errors.server == Some(ServerHeader::Own);
                if own_server || (name != "server" && !m.passthrough) {
                    seen.score += 3;
                    seen.evidence.push(text);
                } else {
                    seen.server |= name == "server";
                    seen.path.push(text);
                }
            }
            MarkerKind::Body if body.contains(&needle) => {
                let text = format!("body contains \"{}\"", m.text);
                if m.passthrough {
                    seen.path.push(text);
                } else {
                    seen.score += 4;
                    seen.evidence.push(text);
                }
            }
            MarkerKind::Body => {}
        }
    }
    (seen.score > 0 || !seen.path.is_empty()).then_some(seen)
}

/// A `Server` value no known component's marker explains: the application's own.
fn upstream_server<'a>(response: &'a Response, seen: &[Seen<'_>]) -> Option<&'a str> {
    response.headers_named("server").find(|v| {
        let v = v.to_lowercase();
        !seen.iter().any(|s| server_marker_matches(s.r, &v))
    })
}

fn server_marker_matches(r: &culprit_kb::Responder, value_lower: &str) -> bool {
    r.markers.iter().any(|m| {
        m.kind == MarkerKind::Header
            && m.name.as_deref() == Some("server")
            && value_lower.contains(&m.text.to_lowercase())
    })
}

/// What the answer says about who wrote an error that carries `candidate`'s `Server` header only.
enum Judgement {
    /// The application's answer, relayed.
    Relayed { why: String, confidence: Confidence },
    /// The proxy's own error.
    Own { why: String },
    /// Either: nothing in the answer decides.
    Unsure { why: String },
}

fn judge(response: &Response, r: &culprit_kb::Responder) -> Judgement {
    let name = &r.name;
    if let Some(other) = response.headers_named("server").find(|v| !server_marker_matches(r, &v.to_lowercase())) {
        return Judgement::Relayed {
            why: format!("a second Server header, {other}, is the upstream's: {name} relayed this answer"),
            confidence: Confidence::High,
        };
    }
    if looks_like_app_body(response) {
        return Judgement::Relayed {
            why: "the body is the application's (JSON or problem details)".into(),
            confidence: Confidence::Medium,
        };
    }
    match (r.own_errors.body, response.body_bytes > 0) {
        (Some(ErrorBody::Page), true) => Judgement::Relayed {
            why: format!("the body is not {name}'s own error page, which its own errors carry"),
            confidence: Confidence::Medium,
        },
        (Some(ErrorBody::Page), false) => Judgement::Unsure {
            why: format!("an empty body: {name}'s own errors carry its error page, an upstream's answer may be empty"),
        },
        (Some(ErrorBody::Empty), false) => {
            Judgement::Own { why: format!("an empty body, as {name}'s own errors have") }
        }
        (Some(ErrorBody::Empty), true) => Judgement::Unsure {
            why: format!(
                "{name}'s own errors have an empty body; this one has a body: the upstream's, or a rule of {name}'s \
                 configuration that writes one"
            ),
        },
        (None, _) => Judgement::Unsure {
            why: format!(
                "{name}'s Server header is on every answer it relays, and nothing else tells its own error apart"
            ),
        },
    }
}

/// The reading of an error with only `candidate`'s `Server` header on it.
fn judged(response: &Response, candidate: &Seen<'_>, on_path: Vec<String>, relayed_by: Vec<String>) -> Responder {
    let r = candidate.r;
    let server = candidate.path.iter().find(|p| p.starts_with("header server:")).cloned().unwrap_or_default();
    match judge(response, r) {
        Judgement::Relayed { why, confidence } => {
            Responder { relayed_by, ..Responder::application(confidence, vec![why], on_path) }
        }
        Judgement::Own { why } => Responder {
            id: r.id.clone(),
            name: r.name.clone(),
            layer: r.layer,
            confidence: Confidence::Medium,
            evidence: vec![server, why],
            on_path: on_path.into_iter().filter(|p| !p.starts_with(&r.name)).collect(),
            relayed_by: Vec::new(),
            alternative: None,
        },
        Judgement::Unsure { why } => {
            let evidence = vec![server, why];
            let proxy = Alternative { id: r.id.clone(), name: r.name.clone(), layer: r.layer };
            let app = Alternative { id: APPLICATION.into(), name: "the application".into(), layer: Layer::App };
            // A gateway code (502, 503, 504) is more likely the proxy's own; another 5xx (a 500) more
            // likely the application's.
            let gateway = matches!(response.status, 502..=504);
            let (first, other) = if gateway { (proxy, app) } else { (app, proxy) };
            Responder {
                id: first.id,
                name: first.name,
                layer: first.layer,
                confidence: Confidence::Low,
                evidence,
                on_path: on_path.into_iter().filter(|p| !p.starts_with(&r.name)).collect(),
                relayed_by: Vec::new(),
                alternative: Some(other),
            }
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
    let mut causes: Vec<&'static Cause> = match means {
        Some(m) if anywhere && !kubernetes => m.causes.iter().filter_map(|id| kb.cause(id)).collect(),
        _ => causes_at(status, responder),
    };
    // The application runs anywhere: without evidence of a cluster, causes that live in Kubernetes
    // objects (a Service's selector, a pod) are not its reading.
    if responder.id == APPLICATION && !kubernetes {
        causes.retain(|c| !matches!(c.layer, Layer::Service | Layer::Pod));
    }
    let from_causes: Vec<&'static Check> =
        causes.first().map(|c| c.checks.iter().filter_map(|id| kb.check(id)).collect()).unwrap_or_default();
    let mut checks: Vec<&'static Check> = if anywhere && !kubernetes {
        let fitting: Vec<&'static Check> = from_causes.into_iter().filter(|c| !c.needs_kubernetes()).collect();
        // Its own checks for the codes it is known for; the cause's for the others, when they run
        // without a cluster.
        if means.is_some() || fitting.is_empty() { own.into_iter().chain(fitting).collect() } else { fitting }
    } else if anywhere {
        from_causes.into_iter().chain(own).collect()
    } else if responder.id == APPLICATION && !kubernetes {
        // The application runs anywhere too: without evidence of a cluster, each kubectl step
        // becomes its host-level equivalent (or is left out).
        from_causes
            .into_iter()
            .filter_map(
                |c| if c.needs_kubernetes() { c.on_hosts.as_deref().and_then(|h| kb.check(h)) } else { Some(c) },
            )
            .collect()
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

/// A production limited to other components (`only`), or whose note names a different component
/// ("Envoy UF" when nginx answered), does not apply to this responder.
fn names_another(p: &culprit_kb::Production, responder: &Responder) -> bool {
    if !p.only.is_empty() {
        return !p.only.contains(&responder.id);
    }
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
            relayed_by: Vec::new(),
            alternative: None,
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

    fn answer(status: u16, headers: &[(&str, &str)], body: &str) -> Response {
        Response {
            status,
            reason: None,
            version: "HTTP/1.1".into(),
            headers: headers.iter().map(|(n, v)| ((*n).to_owned(), (*v).to_owned())).collect(),
            body: bytes::Bytes::from(body.to_owned()),
            body_bytes: body.len() as u64,
            capped: false,
        }
    }

    #[test]
    fn an_error_with_only_a_proxys_server_header_is_judged_by_its_own_errors() {
        let text = [("server", "nginx/1.22.1"), ("content-type", "text/plain")];
        // nginx's own errors carry its page: a text body without it was the application's.
        let who = identify(&answer(500, &text, "internal error from app\n"));
        assert_eq!((who.id.as_str(), who.relayed_by.as_slice()), (APPLICATION, &["nginx".to_owned()][..]));
        assert_eq!(who.confidence, Confidence::Medium);
        // Its page: its own.
        let page = "<html><body><center><h1>502 Bad Gateway</h1></center><hr><center>nginx/1.22.1</center>";
        assert_eq!(identify(&answer(502, &text, page)).id, "nginx");
        // An empty body: either, nginx first for a code it generates (503), else the application.
        let who = identify(&answer(503, &text, ""));
        assert_eq!((who.id.as_str(), who.alternative.as_ref().map(|a| a.id.as_str())), ("nginx", Some(APPLICATION)));
        assert_eq!(who.confidence, Confidence::Low);
        let who = identify(&answer(500, &text, ""));
        assert_eq!((who.id.as_str(), who.alternative.as_ref().map(|a| a.id.as_str())), (APPLICATION, Some("nginx")));
        // Caddy (2.6) adds its Server beside the application's: relayed, for sure.
        let both = [("server", "Caddy"), ("server", "BaseHTTP/0.6 Python/3.11.7")];
        let who = identify(&answer(503, &both, "app is unavailable\n"));
        assert_eq!((who.id.as_str(), who.confidence), (APPLICATION, Confidence::High));
        // Caddy's own errors are empty.
        let who = identify(&answer(502, &[("server", "Caddy")], ""));
        assert_eq!((who.id.as_str(), who.confidence), ("caddy", Confidence::Medium));
        // Apache writes its Server only on its own answers: it answered.
        let who = identify(&answer(503, &[("server", "Apache/2.4.71 (Debian)")], ""));
        assert_eq!(who.id, "apache");
        // A JSON body is the application's, whoever relayed it.
        let json = [("server", "nginx"), ("content-type", "application/json")];
        assert_eq!(identify(&answer(503, &json, "{\"error\":1}")).id, APPLICATION);
    }
}
