//! The knowledge base as pages: the search home page (what `culprit explain` takes, the same
//! reading and ranking), a page for every code, class and id, the indexes, the DevOps-vs-Developer
//! matrix and the common mistakes.

use crate::layout::{
    Fills, cause_link, check, error_page, fields_form, layer_badge, owner_badge, owner_badge_short, prose_or_code,
    shell, status, url_encode,
};
use crate::page;
use axum::extract::{Path, Query as QueryParams};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use culprit_kb::cards::{Card, CauseReport};
use culprit_kb::explain::{CauseBrief, Query};
use culprit_kb::search::SearchReport;
use culprit_kb::signals::SignalReport;
use culprit_kb::{Cause, kb};
use maud::{Markup, html};

#[derive(Debug, serde::Deserialize)]
pub struct HomeQuery {
    #[serde(default)]
    q: Option<String>,
}

const EXAMPLES: &[&str] = &[
    "502",
    "5xx",
    "UF",
    "sH--",
    "upstream prematurely closed connection",
    "server: envoy",
    "no_ready_endpoints",
    "OOMKilled",
];

/// The home page: one box. A code, class or id goes to its page; flags, termination states, log
/// statuses, Kubernetes reasons and free text are answered here.
pub async fn home(QueryParams(params): QueryParams<HomeQuery>) -> Response {
    let q = params.q.as_deref().map_or("", str::trim);
    let kb = kb();
    let answer: Option<Markup> = if q.is_empty() {
        None
    } else {
        match Query::parse(q, kb) {
            Query::Code(code) => return Redirect::to(&format!("/code/{code}")).into_response(),
            Query::Class(class) => return Redirect::to(&format!("/class/{class}")).into_response(),
            Query::Id(id, _) => return Redirect::to(&format!("/id/{}", url_encode(&id))).into_response(),
            Query::LogStatus(value) => kb.log_status(&value).map(|s| {
                html! {
                    div.card {
                        h2 { "Log status " code { (s.value) } }
                        p { (s.meaning) }
                        p { "Written by: " (s.writers.join(", ")) ". Cause: " (cause_link(&s.cause)) }
                    }
                }
            }),
            Query::NotAStatus(n) => Some(html! {
                div.card { p { code { (n) } " is not an HTTP status code: status codes have three digits, from 100 to 599 (try " a href="/class/5" { "5xx" } " for a class)." } }
            }),
            Query::Signal(text) => kb.explain_signal(&text).map(|r| signal_answer(&r)),
            Query::KubernetesReason(text) => kb.explain_kubernetes_reason(&text).map(|r| {
                html! {
                    @for a in &r.reasons {
                        div.card {
                            h2 { "Kubernetes reason " code { (a.reason.reason) } }
                            p.muted { (a.reason.source.label()) }
                            p { (a.reason.meaning) }
                            p { "Leads to: " (cause_link(&a.reason.cause)) " — " (a.card.cause.title) " " (owner_badge(a.card.cause.owner)) }
                        }
                    }
                }
            }),
            Query::Text(text) => Some(search_answer(&kb.search(&text))),
        }
    };
    let body = html! {
        h1 { "Which layer generated this status code, why, and who owns the fix?" }
        p.lead { "Type what you have: a status code, a class, an error-log message, an Envoy flag, an HAProxy termination state, a header, a Kubernetes reason or a cause id — the same answers as " code { "culprit explain" } "." }
        form.search method="get" action="/" role="search" {
            input type="search" name="q" value=(q) placeholder="502, UF, upstream prematurely closed connection…" aria-label="What you see" autofocus;
            button.primary type="submit" { "Explain" }
        }
        @if let Some(a) = answer { (a) } @else {
            p.muted { "Try: "
                @for (i, e) in EXAMPLES.iter().enumerate() {
                    @if i > 0 { " · " }
                    a href={ "/?q=" (url_encode(e)) } { code { (e) } }
                }
            }
            div.grid {
                div.card { h3 { a href="/tree/5xx" { "The 5xx decision tree" } } p.small { "502, 503 or 504? Walk it question by question, with the command for each step." } }
                div.card { h3 { a href="/chain" { "The debugging chain" } } p.small { "Client → CDN → load balancer → ingress → Service → Pod → app: bisect the path." } }
                div.card { h3 { a href="/matrix" { "DevOps vs Developer" } } p.small { "Per code: who looks first, when the other team's view applies, the fix area." } }
                div.card { h3 { a href="/logs" { "Analyse logs" } } p.small { "Drop access logs (.gz too): incidents, charts, every request attributed." } }
                div.card { h3 { a href="/practice" { "Practice" } } p.small { "Scenario questions from real evidence, for on-call onboarding." } }
                div.card { h3 { a href="/cluster" { "Trace a route" } } p.small { "Upload a kubectl dump: Ingress → Service → endpoints → Pods, link by link." } }
            }
            h2 { "Status classes" }
            ul.plain { @for c in &kb.classes { li { a href={ "/class/" (c.class) } { (c.class) "xx — " (c.title) } " " (owner_badge(c.owner)) } } }
        }
    };
    page(shell(if q.is_empty() { "Search" } else { q }, &body))
}

fn search_answer(r: &SearchReport) -> Markup {
    html! {
        @if r.causes.is_empty() && r.responders.is_empty() {
            div.card { p { "Nothing in the knowledge base matches " code { (r.query) } ". Try a code, an id, an Envoy flag, or a shorter piece of the message." } }
        }
        @if !r.codes.is_empty() {
            p { "Codes named: " @for c in &r.codes { (status(*c)) " " } }
        }
        @for resp in &r.responders {
            div.card {
                h3 { "Answered by " a href={ "/id/" (resp.id) } { (resp.name) } " " (layer_badge(resp.layer)) }
                p.small { "Matched " code { (resp.matched) } @if resp.passthrough { " (only shows it was on the path, not that it wrote the response)" } }
                p.small { (resp.note) }
                @if !resp.by_status.is_empty() {
                    ul.plain { @for s in &resp.by_status { li { (status(s.code)) " → " @for (i, c) in s.causes.iter().enumerate() { @if i > 0 { ", " } (cause_link(c)) } } } }
                }
            }
        }
        @if !r.causes.is_empty() {
            h2 { "Causes, best match first" }
            ol.results {
                @for hit in &r.causes {
                    li.card {
                        h3 { a href={ "/id/" (hit.id) } { (hit.title) } " " (owner_badge(hit.owner)) " " (layer_badge(hit.layer)) }
                        p.small { (hit.summary) }
                        p.small.muted { "Codes: " @for c in &hit.codes { (status(*c)) " " } " · score " (hit.score) }
                        @if let Some(why) = hit.why.first() {
                            p.small { "Matched " (why.field) ": " code { (why.text) } @if let Some(s) = why.status { " (answers " (status(s)) ")" } }
                        }
                    }
                }
            }
        }
    }
}

fn signal_answer(r: &SignalReport) -> Markup {
    html! {
        @for f in &r.envoy_flags {
            div.card {
                h2 { "Envoy response flag " code { (f.flag.short) } " — " (f.flag.long) }
                p { (f.flag.meaning) }
                @if !f.flag.statuses.is_empty() { p { "Envoy answers " @for s in &f.flag.statuses { (status(*s)) " " } } }
                @if let Some(n) = &f.flag.status_note { p.small.muted { (n) } }
                (brief_list("Causes, most likely first", &f.causes))
            }
        }
        @for s in &r.haproxy_states {
            div.card {
                h2 { "HAProxy termination state " code { (s.state) } }
                ul.plain { @for c in &s.characters { li { "Position " (c.position) " " code { (c.ch) } ": " (c.meaning) } } }
                @if let Some(p) = &s.pair { p { (p.meaning) } }
                @if !s.statuses.is_empty() { p { "HAProxy answers " @for st in &s.statuses { (status(*st)) " " } } }
                (brief_list("Causes, most likely first", &s.causes))
            }
        }
    }
}

fn brief_list(title: &str, causes: &[CauseBrief]) -> Markup {
    html! {
        @if !causes.is_empty() {
            h3 { (title) }
            ul.plain {
                @for c in causes {
                    li { a href={ "/id/" (c.id) } { (c.title) } " " (owner_badge(c.owner)) " " (layer_badge(c.layer)) br; span.small.muted { (c.summary) } }
                }
            }
        }
    }
}

pub async fn code_page(Path(code): Path<String>, QueryParams(fills): QueryParams<Fills>) -> Response {
    let kb = kb();
    let Some(r) = code.parse::<u16>().ok().and_then(|c| kb.explain_code(c)) else {
        return error_page(
            StatusCode::NOT_FOUND,
            "No such code",
            &format!("'{code}' is not a status code from 100 to 599."),
        );
    };
    let body = html! {
        p.crumbs { a href="/" { "Search" } " / " a href={ "/class/" (r.class) } { (r.class) "xx " (r.class_title) } }
        h1 { span class={ "s" (r.class) } { (r.code) " " (r.name) } }
        @if let Some(t) = r.treat_as { p.card { (r.code) " is not assigned in the IANA registry; clients treat it as " (status(t)) " (RFC 9110 §15). What follows is " (t) "." } }
        p { (r.summary)
            @if let Some(v) = &r.vendor { " " span.muted { "Not in the IANA registry; used by " (v) "." } }
            @if let Some(0) = r.client_sees { " " span.muted { "It exists only in logs: the client receives no response." } }
            @if let Some(c) = r.client_sees.filter(|c| *c != 0) { " " span.muted { "It exists only in logs: the client receives " (c) "." } }
            @if let Some(rd) = r.redirect { " " span.muted { "Redirect: " (rd.describe()) "." } }
            @if let Some(rf) = &r.reference { " " span.muted { (rf) } }
        }
        h2 { "Who looks first" }
        p { (owner_badge(r.owner)) }
        @if let Some(d) = &r.detail {
            ul { @for w in &d.owner_when { li { (owner_badge(w.owner)) " when " (w.when) } } }
            @if let Some(dis) = &d.seeds_disagree { div.card { h3 { "When each team's view applies" } p { (dis) } } }
            h2 { "What it means" }
            p { (d.meaning) }
            div.grid {
                div.card { h3 { "Infrastructure side (DevOps)" } p { (d.infra_side) } }
                div.card { h3 { "Application side (Developer)" } p { (d.app_side) } }
            }
            h3 { "Where to look" }
            ul { @for w in &d.where_to_look { li { (w) } } }
        }
        @if !r.generated_at.is_empty() {
            h2 { "Who can generate it, layer by layer" }
            table {
                thead { tr { th { "Layer" } th { "Cause" } th { "Who looks first" } th { "Note" } } }
                tbody {
                    @for l in &r.generated_at {
                        @for (i, c) in l.causes.iter().enumerate() {
                            tr {
                                td { @if i == 0 { (layer_badge(l.layer)) } }
                                td { a href={ "/id/" (c.cause) } { (c.title) } }
                                td { (owner_badge(c.owner)) }
                                td.small { @if let Some(n) = &c.note { (n) } @if !c.only.is_empty() { " (only " (c.only.join(", ")) ")" } }
                            }
                        }
                    }
                }
            }
        }
        @if !r.causes.is_empty() {
            h2 { "Causes and their evidence" }
            @for c in &r.causes { (cause_summary(c)) }
        }
        @if !r.checks.is_empty() {
            h2 { "Checks, in order" }
            (fields_form(&fills, &[]))
            @for c in &r.checks { (check(c, &fills)) }
        }
        @if let Some(d) = &r.detail {
            h2 { "Fix" }
            p { (d.fix) }
            @if let Some(ex) = &d.fix_example { pre { code { (ex) } } }
        }
        @if !r.mistakes.is_empty() {
            h2 { "Common mistakes" }
            @for m in &r.mistakes { div.card { h3 { a href={ "/id/" (m.id) } { (m.title) } } p.small { (m.why) } p.small { strong { "Instead: " } (m.instead) } } }
        }
    };
    page(shell(&format!("{} {}", r.code, r.name), &body))
}

fn cause_summary(c: &Cause) -> Markup {
    html! {
        div.card {
            h3 { a href={ "/id/" (c.id) } { (c.title) } " " (owner_badge(c.owner)) " " (layer_badge(c.layer)) }
            p.small { (c.summary) }
            @if !c.evidence.is_empty() {
                ul.small { @for e in c.evidence.iter().take(4) { li { span.muted { (e.kind.label()) ": " } code { (e.text) } } } }
            }
        }
    }
}

pub async fn class_page(Path(class): Path<String>) -> Response {
    let kb = kb();
    let n = class.trim_end_matches(['x', 'X']).parse::<u8>().ok();
    let Some(r) = n.and_then(|c| kb.explain_class(c)) else {
        return error_page(StatusCode::NOT_FOUND, "No such class", &format!("'{class}' is not a class from 1 to 5."));
    };
    let tree = kb.trees.iter().find(|t| t.codes.iter().any(|c| c / 100 == u16::from(r.class)));
    let body = html! {
        p.crumbs { a href="/" { "Search" } }
        h1 { (r.class) "xx — " (r.title) }
        p { (r.meaning) }
        p { "Who looks first: " (owner_badge(r.owner)) ". " (r.look_first) }
        @if let Some(t) = tree { p { a.button.primary href={ "/tree/" (t.id) } { "Walk the " (t.id) " decision tree" } } }
        table {
            thead { tr { th { "Code" } th { "Name" } th { "Who looks first" } th { "Summary" } } }
            tbody { @for c in &r.codes { tr { td { (status(c.code)) } td { (c.name) @if let Some(v) = &c.vendor { br; span.small.muted { (v) } } } td { (owner_badge(c.owner)) } td.small { (c.summary) } } } }
        }
    };
    page(shell(&format!("{}xx", r.class), &body))
}

/// Any id the knowledge base defines: cause, check, layer, responder, mistake, failure mode,
/// redirect note.
pub async fn id_page(Path(id): Path<String>, QueryParams(fills): QueryParams<Fills>) -> Response {
    let kb = kb();
    let Some(card) = kb.explain_id(&id) else {
        return error_page(
            StatusCode::NOT_FOUND,
            "Unknown id",
            &format!("'{id}' is not an id of the knowledge base (a cause, check, layer, responder or mistake)."),
        );
    };
    let (title, body) = match &card {
        Card::Cause(r) => (r.cause.title.clone(), cause_page(r, &fills)),
        Card::Check(r) => (
            r.check.title.clone(),
            html! {
                p.crumbs { a href="/checks" { "Checks" } }
                h1 { (r.check.title) }
                (fields_form(&fills, &[]))
                (check(&r.check, &fills))
                @if !r.codes.is_empty() { p { "First checks for " @for c in &r.codes { (status(*c)) " " } } }
                (brief_list("Causes it confirms", &r.causes))
            },
        ),
        Card::Layer(r) => (
            r.layer.title.clone(),
            html! {
                p.crumbs { a href="/chain" { "Debugging chain" } }
                h1 { (r.layer.title) " " (owner_badge(r.layer.owner)) }
                p { (r.layer.description) }
                p.small { "Components: " (r.layer.components.join(", ")) }
                @if !r.emits.is_empty() { p { "Emits " @for c in &r.emits { (status(*c)) " " } } }
                @if !r.responders.is_empty() { p { "Recognised components: " @for (i, x) in r.responders.iter().enumerate() { @if i > 0 { ", " } a href={ "/id/" (x.id) } { (x.name) } } } }
                (brief_list("Causes whose fault lives here", &r.causes))
                @if !r.checks.is_empty() { h2 { "Checks" } (fields_form(&fills, &[])) @for c in &r.checks { (check(c, &fills)) } }
            },
        ),
        Card::Responder(r) => (
            r.responder.name.clone(),
            html! {
                p.crumbs { a href="/responders" { "Responders" } }
                h1 { (r.responder.name) " " (layer_badge(r.responder.layer)) }
                p { (r.responder.note) }
                h2 { "How its answers are recognised" }
                ul { @for m in &r.responder.markers { li { (format!("{:?}", m.kind).to_lowercase()) @if let Some(n) = &m.name { " " code { (n) } } ": " code { (m.text) } @if m.passthrough { " (on the path only)" } } } }
                @if !r.responder.means.is_empty() {
                    h2 { "What its own statuses mean" }
                    ul.plain { @for m in &r.responder.means { li { (status(m.code)) " → " @for (i, c) in m.causes.iter().enumerate() { @if i > 0 { ", " } (cause_link(c)) } } } }
                }
                @if let Some(t) = &r.responder.read_timeout { p { "Read timeout setting: " code { (t) } } }
                (brief_list("Causes it typically reports", &r.causes))
                @if !r.responder.checks.is_empty() {
                    h2 { "Its own checks" } (fields_form(&fills, &[]))
                    @for id in &r.responder.checks { @if let Some(c) = kb.check(id) { (check(c, &fills)) } }
                }
            },
        ),
        Card::Mistake(r) => (
            r.mistake.title.clone(),
            html! {
                p.crumbs { a href="/mistakes" { "Common mistakes" } }
                h1 { (r.mistake.title) }
                p { (r.mistake.why) }
                div.card { strong { "Instead: " } (r.mistake.instead) }
                @if !r.mistake.codes.is_empty() { p { "Codes: " @for c in &r.mistake.codes { (status(*c)) " " } } }
                @if let Some(l) = &r.lint { p.small.muted { code { "culprit probe" } " flags it " (l.when) "." } }
                (brief_list("Causes that warn about it", &r.causes))
            },
        ),
        Card::Failure(r) => (
            r.failure.title.clone(),
            html! {
                h1 { (r.failure.title) " " (owner_badge(r.failure.owner)) " " (layer_badge(r.failure.layer)) }
                p { (r.failure.says) }
                p.small.muted { "Phase: " (r.failure.phase) }
                (brief_list("Causes, most likely first", &r.causes))
                @if !r.checks.is_empty() { h2 { "Checks" } (fields_form(&fills, &[])) @for c in &r.checks { (check(c, &fills)) } }
            },
        ),
        Card::RedirectNote(r) => (
            r.note.title.clone(),
            html! {
                h1 { (r.note.title) }
                p { (r.note.why) }
                p.small.muted { "Noted " (r.note.when) "." }
                @if let Some(f) = &r.note.fix { h2 { "Fix" } (prose_or_code(f)) }
                (brief_list("Causes", &r.causes))
            },
        ),
    };
    page(shell(&title, &body))
}

fn cause_page(r: &CauseReport, fills: &Fills) -> Markup {
    let c = &r.cause;
    html! {
        p.crumbs { a href="/causes" { "Causes" } " / " @for code in &r.codes { (status(*code)) " " } }
        h1 { (c.title) }
        p { code { (c.id) } " " (owner_badge(c.owner)) " " (layer_badge(c.layer)) " generated by " strong { (c.generated_by.id()) } }
        p.lead { (c.summary) }
        p { (c.explanation) }
        @if let Some(n) = &c.owner_note { div.card { h3 { "Who looks first, and when the other team's view applies" } p { (n) } } }
        h2 { "Codes it produces, and who emits each" }
        table {
            thead { tr { th { "Code" } th { "Emitted by" } th { "Note" } } }
            tbody { @for p in &c.produces { tr { td { (status(p.code)) } td { (layer_badge(p.by)) @if !p.only.is_empty() { " " span.small { "(only " (p.only.join(", ")) ")" } } } td.small { @if let Some(n) = &p.note { (n) } } } } }
        }
        h2 { "Evidence" }
        table {
            thead { tr { th { "Where" } th { "What it says" } th { "Status" } } }
            tbody { @for e in &c.evidence { tr { td.small { (e.kind.label()) } td { code { (e.text) } } td { @if let Some(s) = e.status { (status(s)) } } } } }
        }
        @if !r.checks.is_empty() {
            h2 { "Checks, in order" }
            (fields_form(fills, &[]))
            @for ch in &r.checks { (check(ch, fills)) }
        }
        h2 { "Fix" }
        p { (c.fix) }
        @if let Some(ex) = &c.fix_example {
            div.cmdbox { pre { code { (ex) } } button.copy type="button" data-copy { "Copy" } }
        }
        @if !r.mistakes.is_empty() {
            h2 { "Common mistakes" }
            @for m in &r.mistakes { div.card { h3 { a href={ "/id/" (m.id) } { (m.title) } } p.small { (m.why) } } }
        }
        @if !r.failures.is_empty() {
            p.small { "What " code { "culprit probe" } " reports for it: " @for (i, f) in r.failures.iter().enumerate() { @if i > 0 { ", " } a href={ "/id/" (f.id) } { (f.title) } } }
        }
    }
}

pub async fn causes_index() -> Response {
    let kb = kb();
    let body = html! {
        h1 { "Causes" }
        p.lead { "Every cause culprit can name, by the layer where the fault lives." }
        @for layer in culprit_kb::Layer::ALL {
            @let causes: Vec<&Cause> = kb.causes.iter().filter(|c| c.layer == layer).collect();
            @if !causes.is_empty() {
                h2 { (layer_badge(layer)) }
                table { tbody { @for c in causes { tr {
                    td { a href={ "/id/" (c.id) } { (c.title) } br; code.small { (c.id) } }
                    td { (owner_badge(c.owner)) }
                    td { @for p in dedup_codes(c) { (status(p)) " " } }
                    td.small { (c.summary) }
                } } } }
            }
        }
    };
    page(shell("Causes", &body))
}

fn dedup_codes(c: &Cause) -> Vec<u16> {
    let mut v: Vec<u16> = Vec::new();
    for p in &c.produces {
        if !v.contains(&p.code) {
            v.push(p.code);
        }
    }
    v
}

pub async fn checks_index(QueryParams(fills): QueryParams<Fills>) -> Response {
    let kb = kb();
    let body = html! {
        h1 { "Checks" }
        p.lead { "Every command the knowledge base asks you to run. Fill the fields once: every command on the page follows." }
        (fields_form(&fills, &[]))
        @for c in &kb.checks { (check(c, &fills)) }
    };
    page(shell("Checks", &body))
}

pub async fn responders_index() -> Response {
    let kb = kb();
    let body = html! {
        h1 { "Responders" }
        p.lead { "Components that write HTTP answers, and how culprit recognises which one answered." }
        table { tbody { @for r in &kb.responders { tr { td { a href={ "/id/" (r.id) } { (r.name) } } td { (layer_badge(r.layer)) } td.small { (r.note) } } } } }
    };
    page(shell("Responders", &body))
}

pub async fn mistakes_index() -> Response {
    let kb = kb();
    let body = html! {
        h1 { "Common mistakes" }
        p.lead { "What teams get wrong about status codes, why it hurts, and what to do instead." }
        @for m in &kb.mistakes {
            div.card {
                h3 { a href={ "/id/" (m.id) } { (m.title) } }
                p { (m.why) }
                p { strong { "Instead: " } (m.instead) }
                @if !m.codes.is_empty() { p.small { @for c in &m.codes { (status(*c)) " " } } }
            }
        }
    };
    page(shell("Common mistakes", &body))
}

/// The DevOps-vs-Developer matrix: per code with an in-depth view, who looks first, when the other
/// team's view applies, each side's likely root cause, the fix area and the causes it maps to.
pub async fn matrix() -> Response {
    let kb = kb();
    let rows: Vec<_> = kb.codes.iter().filter_map(|c| c.detail.as_ref().map(|d| (c, d))).collect();
    let body = html! {
        h1 { "DevOps vs Developer: who looks first" }
        p.lead { "For each symptom: the team that looks first, when the other team's view applies, what each side usually finds, where the fix goes, and the causes it maps to." }
        p.small { "Open " em { "what each side finds" } " for the infrastructure and application views side by side. "
            a href="/mistakes" { "The common mistakes" } " are the other half of this table." }
        div.scroll {
            table.matrix {
                thead { tr { th { "Symptom" } th { "Who looks first" } th { "Fix area" } th { "Causes it maps to" } } }
                tbody {
                    @for (c, d) in rows {
                        tr id={ "c" (c.code) } {
                            td { (status(c.code)) br; (c.name) }
                            td {
                                (owner_badge(d.owner))
                                ul.plain.small { @for w in &d.owner_when { li { (owner_badge(w.owner)) " " (w.when) } } }
                                details.small {
                                    summary { "What each side finds" }
                                    p { strong { "Infrastructure: " } (d.infra_side) }
                                    p { strong { "Application: " } (d.app_side) }
                                }
                            }
                            td.small { (d.fix) }
                            td.small { ul.plain { @for id in &d.causes { @if let Some(cause) = kb.cause(id) { li { a href={ "/id/" (id) } { (cause.title) } " " (owner_badge_short(cause.owner)) } } } } }
                        }
                    }
                }
            }
        }
    };
    page(shell("DevOps vs Developer", &body))
}

/// Headers for a download.
pub(crate) fn download(body: String, mime: &'static str, filename: &str) -> Response {
    (
        StatusCode::OK,
        [
            (header::CONTENT_TYPE, mime.to_string()),
            (header::CONTENT_DISPOSITION, format!("attachment; filename=\"{filename}\"")),
        ],
        body,
    )
        .into_response()
}
