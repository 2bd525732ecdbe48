//! `culprit explain <id>`: the card of a cause, check, layer, responder, mistake, failure mode or
//! redirect note.

use super::{COMPACT_CHECKS, check_item, check_item_for, owner_span};
use crate::output::doc::{Block, Doc, Line, Tone, plain, status_tone, styled};
use crate::output::{Format, emit};
use anyhow::Result;
use culprit_kb::cards::{
    Card, CauseReport, CheckReport, FailureReport, LayerReport, MistakeReport, RedirectNoteReport, ResponderReport,
};
use culprit_kb::explain::CauseBrief;
use culprit_kb::template::show;
use culprit_kb::{Check, EvidenceKind, LintRule, MarkerKind, RedirectNote, Severity, Variant};
use std::fmt::Write as _;

pub fn emit_card(format: Format, card: &Card, full: bool) -> Result<()> {
    match card {
        Card::Cause(r) => emit(format, r, || cause_doc(r, full)),
        Card::Check(r) => emit(format, r, || check_doc(r)),
        Card::Layer(r) => emit(format, r, || layer_doc(r, full)),
        Card::Responder(r) => emit(format, r, || responder_doc(r)),
        Card::Mistake(r) => emit(format, r, || mistake_doc(r)),
        Card::Failure(r) => emit(format, r, || failure_doc(r, full)),
        Card::RedirectNote(r) => emit(format, r, || redirect_note_doc(r)),
    }
}

/// What a cause without a code says instead of an empty code list: the client's own failures
/// (no resolution, a refused connection, an untrusted certificate) end before any status exists.
const NO_STATUS: &str = "No HTTP status: the request got no answer.";

fn codes_line(codes: &[u16]) -> Line {
    let mut line = Vec::new();
    for (i, &code) in codes.iter().enumerate() {
        if i > 0 {
            line.push(plain(" "));
        }
        line.push(styled(code.to_string(), status_tone(code)));
    }
    line
}

/// One line per cause: its id, owner and summary, for cards that point at causes.
fn cause_rows(causes: &[CauseBrief]) -> Block {
    Block::Table {
        head: vec!["Cause".into(), "Owner".into(), "What it is".into()],
        rows: causes
            .iter()
            .map(|c| {
                vec![vec![styled(c.id.clone(), Tone::Code)], vec![plain(c.owner.id())], vec![plain(c.summary.clone())]]
            })
            .collect(),
    }
}

fn cause_doc(r: &CauseReport, full: bool) -> Doc {
    let c = &r.cause;
    let mut doc = Doc::default();
    doc.push(Block::Title(vec![styled(c.id.clone(), Tone::Code), plain(" — "), styled(c.title.clone(), Tone::Strong)]));
    doc.push(Block::Para(vec![plain(c.summary.clone())]));
    let mut who = vec![
        styled("Fault in: ", Tone::Dim),
        styled(c.layer.id(), Tone::Strong),
        styled(" · status written by: ", Tone::Dim),
        plain(c.generated_by.id()),
        styled(" · looks first: ", Tone::Dim),
        owner_span(c.owner),
    ];
    if let Some(note) = &c.owner_note {
        who.push(styled(format!(" ({note})"), Tone::Dim));
    }
    doc.push(Block::Para(who));
    if r.codes.is_empty() {
        doc.push(Block::Para(vec![styled(NO_STATUS, Tone::Dim)]));
    } else {
        let mut codes = vec![styled("Codes: ", Tone::Dim)];
        codes.extend(codes_line(&r.codes));
        doc.push(Block::Para(codes));
    }

    if full {
        doc.push(Block::Heading("What happens".into()));
        doc.push(Block::Para(vec![plain(c.explanation.clone())]));
        doc.push(Block::Heading("Who emits which code".into()));
        doc.push(Block::Table {
            head: vec!["Code".into(), "Layer".into(), "Note".into()],
            rows: c
                .produces
                .iter()
                .map(|p| {
                    vec![
                        vec![styled(p.code.to_string(), status_tone(p.code))],
                        vec![plain(p.by.id())],
                        vec![plain(p.note.clone().unwrap_or_default())],
                    ]
                })
                .collect(),
        });
    }

    // Evidence grouped by where it is found, sources in the order the cause first lists them.
    doc.push(Block::Heading("Evidence, by source".into()));
    let mut kinds: Vec<EvidenceKind> = Vec::new();
    for e in &c.evidence {
        if !kinds.contains(&e.kind) {
            kinds.push(e.kind);
        }
    }
    for &kind in &kinds {
        doc.push(Block::Para(vec![styled(kind.label(), Tone::Strong)]));
        let lines = c
            .evidence
            .iter()
            .filter(|e| e.kind == kind)
            .map(|e| {
                let mut line = vec![styled(e.text.clone(), Tone::Code)];
                if let Some(status) = e.status {
                    line.push(styled(" → ", Tone::Dim));
                    line.push(styled(status.to_string(), status_tone(status)));
                }
                line
            })
            .collect();
        doc.push(Block::Bullets(lines));
    }

    if !r.failures.is_empty() || !r.redirect_notes.is_empty() {
        doc.push(Block::Heading("How culprit probe reports it".into()));
        if !r.failures.is_empty() {
            let mut line = vec![styled("When no answer comes: ", Tone::Dim)];
            for (i, f) in r.failures.iter().enumerate() {
                if i > 0 {
                    line.push(plain(" · "));
                }
                line.push(styled(f.id.clone(), Tone::Code));
                line.push(plain(format!(" ({})", f.title)));
            }
            doc.push(Block::Para(line));
        }
        for n in &r.redirect_notes {
            doc.push(Block::Para(vec![
                styled(n.id.clone(), Tone::Code),
                plain(format!(" — noted when {}", lowercase_first(&n.when))),
            ]));
            doc.push(Block::Bullets(wordings(&n.message, &n.variants)));
        }
    }

    if !r.checks.is_empty() {
        doc.push(Block::Heading("Checks".into()));
        doc.push(Block::Numbered(r.checks.iter().map(|k| check_item(k, full)).collect()));
    }

    doc.push(Block::Heading("Fix".into()));
    doc.push(Block::Para(vec![plain(c.fix.clone())]));
    if full {
        if let Some(example) = &c.fix_example {
            doc.push(Block::Code { lang: "yaml", text: example.clone() });
        }
    }
    if !r.mistakes.is_empty() {
        doc.push(Block::Heading("Common mistakes".into()));
        doc.push(Block::Bullets(
            r.mistakes
                .iter()
                .map(|m| {
                    let mut line = vec![styled(m.title.clone(), Tone::Strong), plain(format!(" — {}", m.why))];
                    if full {
                        line.push(plain(format!(" Instead: {}", m.instead)));
                    }
                    line
                })
                .collect(),
        ));
    }

    let mut more = String::from("More:");
    if !full {
        let _ = write!(more, " culprit explain {} --full ·", c.id);
    }
    for code in r.codes.iter().take(3) {
        let _ = write!(more, " culprit explain {code} ·");
    }
    doc.push(Block::Note(vec![plain(more.trim_end_matches(" ·").to_string())]));
    doc
}

fn check_doc(r: &CheckReport) -> Doc {
    let k = &r.check;
    let mut doc = Doc::default();
    doc.push(Block::Title(vec![styled(k.id.clone(), Tone::Code), plain(" — "), styled(k.title.clone(), Tone::Strong)]));
    doc.push(Block::Para(vec![styled("Layer: ", Tone::Dim), plain(k.layer.id())]));
    doc.push(Block::Code { lang: "sh", text: k.command.clone() });
    doc.push(Block::Heading("What to look for".into()));
    doc.push(Block::Para(vec![plain(k.look_for.clone())]));
    if !r.causes.is_empty() {
        doc.push(Block::Heading("Causes it confirms or rules out".into()));
        doc.push(cause_rows(&r.causes));
    }
    if !r.codes.is_empty() {
        let mut line = vec![styled("Among the first checks for: ", Tone::Dim)];
        line.extend(codes_line(&r.codes));
        doc.push(Block::Para(line));
    }
    doc.push(Block::Note(vec![plain("Placeholders in <angle brackets> are yours to fill in.")]));
    doc
}

fn layer_doc(r: &LayerReport, full: bool) -> Doc {
    let l = &r.layer;
    let mut doc = Doc::default();
    doc.push(Block::Title(vec![styled(l.id.id(), Tone::Code), plain(" — "), styled(l.title.clone(), Tone::Strong)]));
    doc.push(Block::Para(vec![plain(l.description.clone())]));
    doc.push(Block::Para(vec![styled("Components: ", Tone::Dim), plain(l.components.join(", "))]));
    doc.push(Block::Para(vec![styled("Looks first: ", Tone::Dim), owner_span(l.owner)]));
    if !r.emits.is_empty() {
        let mut line = vec![styled("Codes this layer emits: ", Tone::Dim)];
        line.extend(codes_line(&r.emits));
        doc.push(Block::Para(line));
    }
    if !r.responders.is_empty() {
        let names: Vec<String> = r.responders.iter().map(|x| format!("{} ({})", x.name, x.id)).collect();
        doc.push(Block::Para(vec![styled("Recognised here: ", Tone::Dim), plain(names.join(", "))]));
    }
    if !r.causes.is_empty() {
        doc.push(Block::Heading("Faults that live here".into()));
        doc.push(cause_rows(&r.causes));
    }
    if !r.checks.is_empty() {
        doc.push(Block::Heading("Checks".into()));
        doc.push(Block::Numbered(r.checks.iter().map(|k| check_item(k, full)).collect()));
    }
    doc.push(Block::Note(vec![plain("More: culprit explain <cause> · culprit explain --chain")]));
    doc
}

fn responder_doc(r: &ResponderReport) -> Doc {
    let x = &r.responder;
    let mut doc = Doc::default();
    doc.push(Block::Title(vec![styled(x.id.clone(), Tone::Code), plain(" — "), styled(x.name.clone(), Tone::Strong)]));
    doc.push(Block::Para(vec![styled("Layer: ", Tone::Dim), plain(x.layer.id())]));
    doc.push(Block::Para(vec![plain(x.note.clone())]));
    doc.push(Block::Heading("How culprit recognises it".into()));
    doc.push(Block::Bullets(
        x.markers
            .iter()
            .map(|m| {
                let what = match (m.kind, &m.name) {
                    (MarkerKind::Header, Some(name)) if m.text.is_empty() => format!("header {name} present"),
                    (MarkerKind::Header, Some(name)) => format!("header {name} contains “{}”", m.text),
                    _ => format!("body contains “{}”", m.text),
                };
                let mut line = vec![plain(what)];
                if m.passthrough {
                    line.push(styled(" (shows it was on the path, not that it answered)", Tone::Dim));
                }
                line
            })
            .collect(),
    ));
    if !r.causes.is_empty() {
        doc.push(Block::Heading("What it usually reports".into()));
        doc.push(cause_rows(&r.causes));
    }
    doc
}

fn mistake_doc(r: &MistakeReport) -> Doc {
    let m = &r.mistake;
    let mut doc = Doc::default();
    doc.push(Block::Title(vec![styled(m.id.clone(), Tone::Code), plain(" — "), styled(m.title.clone(), Tone::Strong)]));
    doc.push(Block::Para(vec![plain(m.why.clone())]));
    doc.push(Block::Para(vec![styled("Instead: ", Tone::Strong), plain(m.instead.clone())]));
    if !m.codes.is_empty() {
        let mut line = vec![styled("Codes: ", Tone::Dim)];
        line.extend(codes_line(&m.codes));
        doc.push(Block::Para(line));
    }
    if let Some(lint) = &r.lint {
        doc.push(Block::Heading("How culprit probe flags it".into()));
        doc.push(Block::Para(vec![
            styled("API hygiene: ", Tone::Dim),
            plain(format!("flags {}", lowercase_first(&lint.when))),
        ]));
        doc.push(Block::Bullets(lint_wordings(lint)));
    }
    if !r.redirect_notes.is_empty() {
        if r.lint.is_none() {
            doc.push(Block::Heading("How culprit probe flags it".into()));
        }
        doc.push(Block::Bullets(r.redirect_notes.iter().map(note_line).collect()));
    }
    if !r.causes.is_empty() {
        doc.push(Block::Heading("Causes it is made about".into()));
        doc.push(cause_rows(&r.causes));
    }
    doc
}

/// A probe message as the report prints it, `{placeholders}` shown as `<placeholders>`, and its
/// other wordings with when each applies.
fn wordings(message: &str, variants: &[Variant]) -> Vec<Line> {
    let mut lines = vec![vec![styled("prints: ", Tone::Dim), plain(show(message))]];
    for v in variants {
        let when = lowercase_first(v.when.trim_end_matches('.'));
        lines.push(vec![styled(format!("when {when}, prints: "), Tone::Dim), plain(show(&v.message))]);
    }
    lines
}

fn lint_wordings(lint: &LintRule) -> Vec<Line> {
    let mut lines = wordings(&lint.message, &lint.variants);
    for line in &mut lines {
        // The report prints the id before the message.
        line.insert(1, styled(format!("{}: ", lint.id), Tone::Code));
    }
    lines
}

/// A redirect note pointing at this card: its id, title and where to read more.
fn note_line(n: &RedirectNote) -> Line {
    vec![
        styled("in a redirect chain: ", Tone::Dim),
        styled(n.id.clone(), Tone::Code),
        plain(format!(" — {} (culprit explain {})", n.title, n.id)),
    ]
}

/// A sentence from the data continued after "when" or "flags": its first letter in lower case,
/// unless it starts an acronym ("HTTPS", "TLS").
fn lowercase_first(s: &str) -> String {
    let mut c = s.chars();
    match c.next() {
        Some(f) if c.clone().next().is_some_and(char::is_uppercase) => std::iter::once(f).chain(c).collect(),
        Some(f) => f.to_lowercase().chain(c).collect(),
        None => String::new(),
    }
}

fn failure_doc(r: &FailureReport, full: bool) -> Doc {
    let f = &r.failure;
    let mut doc = Doc::default();
    doc.push(Block::Title(vec![styled(f.id.clone(), Tone::Code), plain(" — "), styled(f.title.clone(), Tone::Strong)]));
    doc.push(Block::Para(vec![plain(show(&f.says))]));
    doc.push(Block::Para(vec![
        styled("Fails in the ", Tone::Dim),
        plain(f.phase.clone()),
        styled(" phase · points to: ", Tone::Dim),
        styled(f.layer.id(), Tone::Strong),
        styled(" · looks first: ", Tone::Dim),
        owner_span(f.owner),
    ]));
    if !r.causes.is_empty() {
        doc.push(Block::Heading("Likely causes".into()));
        doc.push(cause_rows(&r.causes));
    }
    if !r.checks.is_empty() {
        doc.push(Block::Heading("Checks".into()));
        doc.push(Block::Numbered(r.checks.iter().map(|k| check_item(k, full)).collect()));
    }
    doc.push(Block::Note(vec![plain(format!(
        "culprit probe reports it as failure.kind {}, with <host>, <port> and <addr> filled in.",
        f.id
    ))]));
    doc
}

fn redirect_note_doc(r: &RedirectNoteReport) -> Doc {
    let n = &r.note;
    let mut doc = Doc::default();
    doc.push(Block::Title(vec![styled(n.id.clone(), Tone::Code), plain(" — "), styled(n.title.clone(), Tone::Strong)]));
    doc.push(Block::Para(vec![plain(n.why.clone())]));
    let severity = match n.severity {
        Severity::Info => styled("info", Tone::Dim),
        Severity::Warning | Severity::Error => styled(n.severity.id(), Tone::Warn),
    };
    let mut facts = vec![styled("Severity: ", Tone::Dim), severity, styled(" · on: ", Tone::Dim)];
    if n.statuses.is_empty() {
        facts.push(plain("any redirect"));
    } else {
        facts.extend(codes_line(&n.statuses));
    }
    doc.push(Block::Para(facts));
    doc.push(Block::Heading("When culprit probe notes it".into()));
    doc.push(Block::Para(vec![plain(n.when.clone())]));
    doc.push(Block::Bullets(wordings(&n.message, &n.variants)));
    if let Some(fix) = &n.fix {
        doc.push(Block::Heading("Fix".into()));
        doc.push(Block::Para(vec![plain(fix.clone())]));
    }
    if !r.mistakes.is_empty() {
        doc.push(Block::Heading("Common mistakes".into()));
        doc.push(Block::Bullets(
            r.mistakes
                .iter()
                .map(|m| vec![styled(m.title.clone(), Tone::Strong), plain(format!(" — {}", m.why))])
                .collect(),
        ));
    }
    if !r.causes.is_empty() {
        doc.push(Block::Heading("Related causes".into()));
        doc.push(cause_rows(&r.causes));
    }
    doc
}

/// The cause's card, compact: what it is, who looks first, the first checks and the fix.
pub(crate) fn brief_cause_card(doc: &mut Doc, r: &CauseReport, status: Option<u16>) {
    brief_cause_card_with(doc, r, &r.checks, status);
}

/// [`brief_cause_card`] with the checks chosen by the caller (host-level ones off Kubernetes).
pub(crate) fn brief_cause_card_with(doc: &mut Doc, r: &CauseReport, checks: &[Check], status: Option<u16>) {
    let c = &r.cause;
    doc.push(Block::Title(vec![styled(c.id.clone(), Tone::Code), plain(" — "), styled(c.title.clone(), Tone::Strong)]));
    doc.push(Block::Para(vec![plain(c.summary.clone())]));
    let mut who = vec![
        styled("Fault in: ", Tone::Dim),
        styled(c.layer.id(), Tone::Strong),
        styled(" · looks first: ", Tone::Dim),
        owner_span(c.owner),
    ];
    if let Some(note) = &c.owner_note {
        who.push(styled(format!(" ({note})"), Tone::Dim));
    }
    doc.push(Block::Para(who));
    if !checks.is_empty() {
        doc.push(Block::Heading("First checks".into()));
        doc.push(Block::Numbered(
            checks.iter().take(COMPACT_CHECKS).map(|k| check_item_for(k, false, status)).collect(),
        ));
    }
    doc.push(Block::Heading("Fix".into()));
    doc.push(Block::Para(vec![plain(c.fix.clone())]));
    doc.push(Block::Note(vec![plain(format!("The whole card: culprit explain {} --full", c.id))]));
}
