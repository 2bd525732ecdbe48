//! `culprit explain <id>`: the card of a cause, check, layer, responder or mistake.

use super::{check_item, owner_span};
use crate::output::doc::{Block, Doc, Line, Tone, plain, status_tone, styled};
use crate::output::{Format, emit};
use anyhow::Result;
use culprit_kb::cards::{Card, CauseReport, CheckReport, LayerReport, MistakeReport, ResponderReport};
use culprit_kb::explain::CauseBrief;
use culprit_kb::{EvidenceKind, MarkerKind};
use std::fmt::Write as _;

pub fn emit_card(format: Format, card: &Card, full: bool) -> Result<()> {
    match card {
        Card::Cause(r) => emit(format, r, || cause_doc(r, full)),
        Card::Check(r) => emit(format, r, || check_doc(r)),
        Card::Layer(r) => emit(format, r, || layer_doc(r, full)),
        Card::Responder(r) => emit(format, r, || responder_doc(r)),
        Card::Mistake(r) => emit(format, r, || mistake_doc(r)),
    }
}

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
    let mut codes = vec![styled("Codes: ", Tone::Dim)];
    codes.extend(codes_line(&r.codes));
    doc.push(Block::Para(codes));

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
    if !r.causes.is_empty() {
        doc.push(Block::Heading("Causes it is made about".into()));
        doc.push(cause_rows(&r.causes));
    }
    doc
}
