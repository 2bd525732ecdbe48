//! The cluster in the browser: upload a `kubectl get … -o json|yaml` dump, get the route of a URL
//! drawn as its chain of links (✓/✗, with the status a client gets where it breaks) and the check
//! findings grouped by object, each with its fix. The dump is read from memory (never written to
//! disk) and dropped once the page is rendered; the server never contacts a cluster.

use crate::layout::{cause_link, error_page, layer_badge, owner_badge, prose_or_code, shell, status};
use crate::{AppState, page};
use axum::extract::multipart::MultipartRejection;
use axum::extract::{Multipart, State};
use axum::http::StatusCode;
use axum::response::Response;
use culprit_cluster::snapshot::Snapshot;
use culprit_cluster::{checks, route};
use culprit_kb::Finding;
use maud::{Markup, html};
use std::collections::BTreeMap;

fn form(url: &str, namespace: &str, max: u64) -> Markup {
    html! {
        form method="post" action="/cluster" enctype="multipart/form-data" data-max=(max) data-too-large="/cluster/too-large" {
            div.drop {
                p { strong { "Drop the cluster's objects here" } " or choose them: JSON or YAML, one file or several, as written by" }
                div.cmdbox { pre { code { (culprit_cluster::DUMP_COMMAND) } } button.copy type="button" data-copy { "Copy" } }
                input type="file" name="dump" multiple accept=".json,.yaml,.yml" aria-label="kubectl dump files";
                p.small.muted data-files {}
            }
            div.fields {
                label { "URL to trace (optional)" input type="text" name="url" value=(url) placeholder="https://shop.example.com/checkout" size="40"; }
                label { "Namespace (optional)" input type="text" name="namespace" value=(namespace) placeholder="all"; }
                button.primary type="submit" { "Trace and check" }
            }
        }
    }
}

pub async fn form_page(State(state): State<AppState>) -> Response {
    let body = html! {
        h1 { "Trace a route through the cluster" }
        p.lead { "Ingress (or Gateway API route) → Service port → endpoints → Pods, each link judged; and every check culprit runs on the objects. Read from the files you upload; nothing is contacted." }
        (form("", "", state.config.max_upload))
    };
    page(shell("Cluster", &body))
}

pub async fn upload(State(state): State<AppState>, multipart: Result<Multipart, MultipartRejection>) -> Response {
    let Ok(mut multipart) = multipart else {
        return error_page(
            StatusCode::BAD_REQUEST,
            "The upload could not be read",
            "Send the form of /cluster (multipart/form-data: files in 'dump', the URL in 'url'), \
             e.g. curl -F dump=@dump.json -F url=https://shop.example.com/ http://127.0.0.1:8080/cluster",
        );
    };
    let max = state.config.max_upload;
    let mut snapshot = Snapshot::default();
    let mut url = String::new();
    let mut namespace = String::new();
    let mut total = 0u64;
    let mut files = 0usize;
    loop {
        let mut field = match multipart.next_field().await {
            Ok(Some(f)) => f,
            Ok(None) => break,
            Err(e) => return unreadable(&e, max),
        };
        let name = field.name().unwrap_or("").to_string();
        let file_name = field.file_name().map(str::to_owned);
        let mut data = Vec::new();
        loop {
            match field.chunk().await {
                Ok(Some(b)) => {
                    total += b.len() as u64;
                    if total > max {
                        return too_large(max);
                    }
                    data.extend_from_slice(&b);
                }
                Ok(None) => break,
                Err(e) => return unreadable(&e, max),
            }
        }
        let text = String::from_utf8_lossy(&data);
        match name.as_str() {
            "url" => url = text.trim().to_string(),
            "namespace" => namespace = text.trim().to_string(),
            "dump" if !data.is_empty() => {
                files += 1;
                let label = file_name.unwrap_or_else(|| "dump".into());
                let first = text.trim_start().chars().next();
                if matches!(first, Some('{' | '[')) {
                    snapshot.add_text(&label, &text);
                } else {
                    snapshot.add_yaml(&label, &text);
                }
            }
            _ => {}
        }
    }
    if files == 0 {
        return error_page(StatusCode::BAD_REQUEST, "No dump", "Choose the files kubectl wrote (JSON or YAML).");
    }
    if snapshot.object_count() == 0 {
        // Nothing to check: say why per file rather than "no check found a problem".
        let body = html! {
            div.card.error-page {
                h1 { "422 — No Kubernetes object read" }
                p { "None of the uploaded files holds an object culprit reads (Ingress, HTTPRoute, Gateway, Service, EndpointSlice, Endpoints, Pod, Deployment, Event…)." }
                @if !snapshot.problems.is_empty() { ul.small { @for p in &snapshot.problems { li { (p) } } } }
                p { "Write them with:" }
                pre { code { (culprit_cluster::DUMP_COMMAND) } }
                p { a href="/cluster" { "Back to the upload" } }
            }
        };
        return crate::html_response(StatusCode::UNPROCESSABLE_ENTITY, shell("No object read", &body).into_string());
    }
    let ns = (!namespace.is_empty()).then_some(namespace.as_str());
    let trace = (!url.is_empty()).then(|| route::trace(&snapshot, &url, ns, None));
    let findings = checks::check(&snapshot, ns);
    let mut by_object: BTreeMap<&str, Vec<&Finding>> = BTreeMap::new();
    for f in &findings {
        by_object.entry(f.object.as_str()).or_default().push(f);
    }
    let body = html! {
        h1 { "Cluster" }
        p.lead { (snapshot.object_count()) " objects read (" (snapshot.kinds_read()) ")" }
        @if !snapshot.problems.is_empty() { ul.small { @for p in &snapshot.problems { li { "Skipped: " (p) } } } }
        @match &trace {
            Some(Ok(t)) => {
                @let first_broken = t.links.iter().find(|l| !l.ok).map(|l| l.step);
                h2 { "Route of " code { (t.url) } }
                div.chain role="list" {
                    span.link role="listitem" { "client" }
                    @for l in &t.links {
                        span.arrow { "→" }
                        span role="listitem" class={ "link " (if l.ok { "ok" } else { "bad" }) } {
                            @if l.ok { span.mark-ok aria-label="works" { "✓ " } } @else { span.mark-bad aria-label="broken" { "✗ " } }
                            strong { (l.step) } br; code.small { (l.object) } br; span.small { (l.detail) }
                            // The findings come first-broken-link first: the first one is what a
                            // client gets at the first ✗.
                            @if !l.ok && first_broken == Some(l.step) {
                                @if let Some(f) = t.findings.first() {
                                    br; strong.small { "client gets " @for c in &f.codes { (status(*c)) " " } }
                                }
                            }
                        }
                    }
                }
                p.headline { (t.verdict) }
                @for f in &t.findings { (finding(f)) }
            }
            Some(Err(e)) => { div.card.error-page { p { "The route could not be traced: " (e) } } }
            None => {}
        }
        h2 { "Checks, by object" }
        @if findings.is_empty() { p { "No check found a problem." } }
        @for (object, fs) in &by_object {
            h3 { code { (object) } }
            @for f in fs { (finding(f)) }
        }
        h2 { "Another dump" }
        (form(&url, &namespace, max))
    };
    page(shell("Cluster", &body))
}

/// The 413 page for a dump the page's script found too large before sending it.
pub async fn too_large_page(State(state): State<AppState>) -> Response {
    too_large(state.config.max_upload)
}

fn too_large(max: u64) -> Response {
    crate::logs::too_large_with(
        max,
        "or run `culprit cluster check --from DUMP` (and `cluster route URL --from DUMP`) where the dump is.",
    )
}

/// A multipart error: over the body limit (axum's, just above `--max-upload`) is the 413 page.
fn unreadable(e: &axum::extract::multipart::MultipartError, max: u64) -> Response {
    if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
        return too_large(max);
    }
    error_page(e.status(), "The upload could not be read", &e.body_text())
}

fn finding(f: &Finding) -> Markup {
    html! {
        div.card {
            p { span class={ "badge sev-" (f.severity.id()) } { (f.severity.id()) } " " strong { (f.title) } }
            p.small { @for c in &f.codes { (status(*c)) " " } (cause_link(&f.cause)) " " (owner_badge(f.owner)) " " (layer_badge(f.layer)) " · " code { (f.object) } }
            @if !f.evidence.is_empty() { ul.small { @for e in &f.evidence { li { span.muted { (e.source) ": " } code { (e.value) } } } } }
            @if let Some(fix) = &f.fix { h3 { "Fix" } div.cmdbox { (prose_or_code(fix)) } }
        }
    }
}
