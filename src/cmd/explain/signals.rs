//! `culprit explain UF,URX` / `culprit explain sH--`: a proxy's own failure code, the status that
//! proxy answers with, and the causes it points to. The closing link goes to the code that proxy
//! answers, from the knowledge base's entry for the flag or state, never from digits in the input.

use super::owner_span;
use crate::output::doc::{Block, Doc, Line, Tone, plain, status_tone, styled};
use culprit_kb::KnowledgeBase;
use culprit_kb::explain::CauseBrief;
use culprit_kb::signals::{FlagAnswer, SignalReport, StateAnswer};

pub fn signal_doc(r: &SignalReport, kb: &KnowledgeBase) -> Doc {
    let mut doc = Doc::default();
    let what = match (r.envoy_flags.len(), r.haproxy_states.is_empty()) {
        (0, _) => "HAProxy termination state".to_string(),
        (1, true) => "Envoy response flag".to_string(),
        (_, true) => "Envoy response flags (each one counts)".to_string(),
        (_, false) => "an Envoy response flag, or an HAProxy termination state".to_string(),
    };
    let single = r.envoy_flags.len() == 1 && r.haproxy_states.is_empty();
    let mut title = vec![styled(r.query.clone(), Tone::Code)];
    if single {
        title.push(plain(format!(" · {}", r.envoy_flags[0].flag.long)));
    }
    title.push(plain(format!(" — {what}")));
    doc.push(Block::Title(title));
    let mut links: Vec<String> = Vec::new();
    for f in &r.envoy_flags {
        if !single {
            doc.push(Block::Heading(format!("{} · {}", f.flag.short, f.flag.long)));
        }
        flag_section(&mut doc, f, kb);
        links.push(link(&f.flag.statuses, f.flag.logged.as_deref(), &f.causes));
    }
    for s in &r.haproxy_states {
        if !r.envoy_flags.is_empty() {
            doc.push(Block::Heading(format!("Read as an HAProxy termination state ({})", s.state)));
        }
        state_section(&mut doc, s, kb);
        links.push(link(&s.statuses, s.logged.as_deref(), &s.causes));
    }
    if let Some(state) = &r.unlikely_haproxy_state {
        doc.push(Block::Para(vec![styled(
            format!(
                "{} also spells HAProxy termination-state characters, but not a pair HAProxy commonly \
                 writes: read as Envoy's. For the HAProxy reading: culprit explain -- {state}",
                r.query
            ),
            Tone::Dim,
        )]));
    }
    links.retain(|l| !l.is_empty());
    links.dedup();
    if !links.is_empty() {
        doc.push(Block::Note(vec![plain(format!("More: {}", links.join(" · ")))]));
    }
    doc
}

/// Where to read on: the code this proxy answers with, else the log value it writes, else the card
/// of the most likely cause.
fn link(statuses: &[u16], logged: Option<&str>, causes: &[CauseBrief]) -> String {
    match (statuses.first(), logged, causes.first()) {
        (Some(code), _, _) => format!("culprit explain {code} --full"),
        (None, Some(value), _) => format!("culprit explain {value}"),
        (None, None, Some(cause)) => format!("culprit explain {} --full", cause.id),
        (None, None, None) => String::new(),
    }
}

/// "503 Service Unavailable or 504 Gateway Timeout".
fn status_names(statuses: &[u16], kb: &KnowledgeBase) -> Line {
    let mut line = Vec::new();
    for (i, &code) in statuses.iter().enumerate() {
        if i > 0 {
            line.push(plain(if i + 1 == statuses.len() { " or " } else { ", " }));
        }
        let name = kb.code(code).map_or(String::new(), |c| format!(" {}", c.name));
        line.push(styled(format!("{code}{name}"), status_tone(code)));
    }
    line
}

fn status_para(who: &str, statuses: &[u16], logged: Option<&str>, note: Option<&str>, kb: &KnowledgeBase) -> Block {
    let mut line = Vec::new();
    if statuses.is_empty() {
        line.push(styled("Status: ", Tone::Strong));
    } else {
        line.push(styled(format!("{who} answers "), Tone::Strong));
        line.extend(status_names(statuses, kb));
        line.push(plain(". "));
    }
    match note {
        Some(note) => line.push(plain(format!("{note} "))),
        None if statuses.is_empty() && logged.is_none() => {
            line.push(plain("not known for this combination: read the log's status column."));
        }
        None => {}
    }
    if let Some(value) = logged {
        line.push(styled(format!("Logged as {value} when no response was sent."), Tone::Dim));
    }
    Block::Para(line)
}

fn causes_block(doc: &mut Doc, causes: &[CauseBrief], what: &str) {
    if causes.is_empty() {
        doc.push(Block::Para(vec![styled(format!("No fault: {what} marks nothing to fix."), Tone::Dim)]));
        return;
    }
    let heading = if causes.len() == 1 {
        "What it points to".to_string()
    } else {
        format!("What it points to: one of these, most likely first ({what} alone does not tell them apart)")
    };
    doc.push(Block::Para(vec![styled(heading, Tone::Strong)]));
    doc.push(Block::Numbered(
        causes
            .iter()
            .map(|c| {
                let head =
                    vec![styled(c.title.clone(), Tone::Strong), plain(" "), styled(format!("[{}]", c.id), Tone::Code)];
                let body = vec![Block::Para(vec![
                    plain(format!("{} Fault in: {} · looks first: ", c.summary, c.layer)),
                    owner_span(c.owner),
                ])];
                (head, body)
            })
            .collect(),
    ));
}

fn flag_section(doc: &mut Doc, a: &FlagAnswer, kb: &KnowledgeBase) {
    let f = &a.flag;
    let mut meaning = vec![plain(f.meaning.clone())];
    if f.tcp {
        meaning.push(styled(" Also set for TCP proxying, where there is no HTTP status.", Tone::Dim));
    }
    doc.push(Block::Para(meaning));
    doc.push(status_para("Envoy", &f.statuses, f.logged.as_deref(), f.status_note.as_deref(), kb));
    causes_block(doc, &a.causes, "the flag");
}

fn state_section(doc: &mut Doc, s: &StateAnswer, kb: &KnowledgeBase) {
    const POSITIONS: [&str; 4] = ["ended by", "phase", "client cookie", "server cookie"];
    doc.push(Block::Table {
        head: vec!["Char".into(), "Position".into(), "Meaning".into()],
        rows: s
            .characters
            .iter()
            .map(|c| {
                let position = POSITIONS.get(usize::from(c.position) - 1).copied().unwrap_or_default();
                vec![
                    vec![styled(c.ch.clone(), Tone::Code)],
                    vec![plain(format!("{} {position}", ordinal(c.position)))],
                    vec![plain(c.meaning.clone())],
                ]
            })
            .collect(),
    });
    let pair: String = s.state.chars().take(2).collect();
    match &s.pair {
        Some(p) => {
            doc.push(Block::Para(vec![styled(format!("{pair} together: "), Tone::Strong), plain(p.meaning.clone())]))
        }
        None => doc.push(Block::Para(vec![styled(
            format!(
                "{pair} is not a common pair: read it from its characters; the first one decides the likely causes."
            ),
            Tone::Dim,
        )])),
    };
    doc.push(status_para("HAProxy", &s.statuses, s.logged.as_deref(), s.status_note.as_deref(), kb));
    causes_block(doc, &s.causes, "the state");
}

fn ordinal(n: u8) -> &'static str {
    match n {
        1 => "1st",
        2 => "2nd",
        3 => "3rd",
        _ => "4th",
    }
}
