//! Practice: scenario questions built from the knowledge base's evidence — what an on-call
//! engineer actually sees (an error-log line, an Envoy flag, a header, an error page) and the code
//! the client got — then "which cause, and who looks first?", and the explanation after the answer.
//! Questions are numbered and deterministic, so a link to one can be shared.

use crate::layout::{layer_badge, owner_badge, shell, status};

use axum::extract::Query;
use axum::response::Response;
use culprit_kb::{Cause, EvidenceKind, Owner, kb};
use maud::html;

/// One question: evidence of one cause, and every cause that shows the same evidence (all are
/// right answers).
#[derive(Debug, Clone)]
struct Scenario {
    cause: &'static Cause,
    kind: EvidenceKind,
    text: &'static str,
    code: u16,
    right: Vec<&'static str>,
}

/// Evidence a person reads off a log, a response or a client: the kinds a question can show.
fn shown(kind: EvidenceKind) -> bool {
    !matches!(kind, EvidenceKind::Pattern | EvidenceKind::Timing | EvidenceKind::Cluster | EvidenceKind::AppLog)
}

fn scenarios() -> &'static [Scenario] {
    static ALL: std::sync::LazyLock<Vec<Scenario>> = std::sync::LazyLock::new(|| {
        let kb = kb();
        let mut out = Vec::new();
        for c in &kb.causes {
            if c.owner == Owner::None {
                continue;
            }
            for e in c.evidence.iter().filter(|e| shown(e.kind)) {
                let Some(code) = e.status.or_else(|| c.produces.first().map(|p| p.code)) else { continue };
                let right: Vec<&str> = kb
                    .causes
                    .iter()
                    .filter(|o| o.evidence.iter().any(|x| x.kind == e.kind && x.text == e.text))
                    .map(|o| o.id.as_str())
                    .collect();
                out.push(Scenario { cause: c, kind: e.kind, text: &e.text, code, right });
            }
        }
        out
    });
    &ALL
}

/// A small deterministic mix (no randomness: question N is the same for everyone).
fn mix(a: usize, b: usize) -> usize {
    a.wrapping_mul(2_654_435_761).wrapping_add(b.wrapping_mul(40_503)) % 1_000_003
}

/// Four choices: the cause, and three that produce the same code (or live in the same layer)
/// without showing this evidence.
fn choices(s: &Scenario, n: usize) -> Vec<&'static Cause> {
    let kb = kb();
    let mut others: Vec<&Cause> = kb
        .causes
        .iter()
        .filter(|c| !s.right.contains(&c.id.as_str()) && c.owner != Owner::None)
        .filter(|c| c.produces_code(s.code) || c.layer == s.cause.layer)
        .collect();
    others.sort_by_key(|c| mix(n, c.id.len() + c.title.len()));
    let mut out: Vec<&Cause> = others.into_iter().take(3).collect();
    out.push(s.cause);
    out.sort_by_key(|c| mix(n + 1, c.id.len() * 31 + c.summary.len()));
    out
}

#[derive(Debug, Default, serde::Deserialize)]
pub struct PracticeQuery {
    #[serde(default)]
    q: Option<usize>,
    #[serde(default)]
    cause: Option<String>,
    #[serde(default)]
    owner: Option<String>,
}

pub async fn page(Query(p): Query<PracticeQuery>) -> Response {
    let all = scenarios();
    // Past the last question, round again from the first.
    let n = (p.q.unwrap_or(1).max(1) - 1) % all.len() + 1;
    // Question N walks the scenarios in a fixed scrambled order, so neighbours differ.
    let s = &all[mix(n, 0) % all.len()];
    let options = choices(s, n);
    let answered = p.cause.is_some() || p.owner.is_some();
    let cause_right = p.cause.as_deref().is_some_and(|c| s.right.contains(&c));
    let owner_right = p.owner.as_deref() == Some(s.cause.owner.id());
    let owners = [Owner::Devops, Owner::Developer, Owner::Both];
    let body = html! {
        h1 { "Practice" }
        p.lead { "What you see on call, and the two questions that matter: which cause, and who looks first? Question " (n) " of " (all.len()) "." }
        div.card {
            p { "A client got " (status(s.code)) ". You find this — " strong { (s.kind.label()) } ":" }
            pre { code { (s.text) } }
            form method="get" action="/practice" {
                input type="hidden" name="q" value=(n);
                fieldset {
                    legend { "Which cause?" }
                    @for c in &options {
                        @let mark = answered && s.right.contains(&c.id.as_str());
                        label { input type="radio" name="cause" value=(c.id) required checked[p.cause.as_deref() == Some(c.id.as_str())];
                            " " (c.title) @if mark { " " span.right { "✓" } } }
                        br;
                    }
                }
                fieldset {
                    legend { "Who looks first?" }
                    @for o in owners {
                        label { input type="radio" name="owner" value=(o.id()) required checked[p.owner.as_deref() == Some(o.id())]; " " (o.label()) }
                        " "
                    }
                }
                button.primary type="submit" { "Answer" }
            }
        }
        @if answered {
            div.card.leaf id="explanation" {
                p {
                    "Cause: " @if cause_right { span.right { "right" } } @else { span.wrong { "not quite" } }
                    " · Who looks first: " @if owner_right { span.right { "right" } } @else { span.wrong { "not quite" } }
                }
                h2 { a href={ "/id/" (s.cause.id) } { (s.cause.title) } " " (owner_badge(s.cause.owner)) " " (layer_badge(s.cause.layer)) }
                @if s.right.len() > 1 { p.small.muted { "This evidence fits several causes, all counted right: " (s.right.join(", ")) "." } }
                p { (s.cause.explanation) }
                @if let Some(note) = &s.cause.owner_note { p.small { strong { "Who looks first: " } (note) } }
                p { strong { "Fix: " } (s.cause.fix) }
            }
        }
        p { a.button.primary href={ "/practice?q=" (n % all.len() + 1) } { "Next question →" } }
    };
    crate::page(shell("Practice", &body))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_question_has_four_distinct_choices_with_the_cause_among_them() {
        for n in 1..=scenarios().len() {
            let s = &scenarios()[mix(n, 0) % scenarios().len()];
            let c = choices(s, n);
            assert!(c.iter().any(|x| x.id == s.cause.id));
            let mut ids: Vec<&str> = c.iter().map(|x| x.id.as_str()).collect();
            ids.sort_unstable();
            ids.dedup();
            assert_eq!(ids.len(), c.len(), "question {n}");
            assert!(c.len() >= 2, "question {n}");
        }
    }
}
