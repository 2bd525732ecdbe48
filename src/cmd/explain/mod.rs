//! `culprit explain`: a code (or a pasted status line), a class, a log-only status, any id the
//! knowledge base defines, an Envoy flag or HAProxy termination state, free text, a decision tree
//! or the chain.

mod access_line;
mod cards;
mod kubernetes;
mod signals;

use super::Status;
use crate::cli::ExplainArgs;
use crate::output::doc::{Block, Doc, Line, Tone, plain, status_tone, styled};
use crate::output::{Format, emit};
use anyhow::Result;
use culprit_kb::explain::{ChainReport, ClassReport, CodeReport, Query, TreeReport};
use culprit_kb::search::{MatchHow, SearchReport};
use culprit_kb::{Check, EvidenceKind, KnowledgeBase, LogStatus, Owner, kb};
use std::fmt::Write as _;

/// Compact reports show this many checks; `--full` shows all.
pub(crate) const COMPACT_CHECKS: usize = 3;

pub fn run(args: &ExplainArgs) -> Result<Status> {
    let kb = kb();
    let format = args.output.format();
    if let Some(id) = &args.tree {
        // A tree by its id (`5xx`), or the tree that covers a code (`502` opens `5xx`).
        let tree = kb.tree(id).or_else(|| {
            let code: u16 = id.trim().parse().ok()?;
            kb.trees.iter().find(|t| t.codes.contains(&code))
        });
        let Some(report) = tree.and_then(|t| kb.explain_tree(&t.id)) else {
            let known: Vec<String> = kb
                .trees
                .iter()
                .map(|t| {
                    let codes = t.codes.iter().map(u16::to_string).collect::<Vec<_>>().join(", ");
                    format!("--tree {} ({codes})", t.id)
                })
                .collect();
            let mut message = format!("no decision tree for '{id}'; the trees: {}", known.join("; "));
            let class = id.trim().to_ascii_lowercase();
            if class.len() == 3 && class.ends_with("xx") {
                let _ = write!(message, ". For the codes of {class}: culprit explain {class}");
            } else if let Ok(code) = id.trim().parse::<u16>() {
                let _ = write!(message, ". For {code} itself: culprit explain {code}");
            }
            return unusable(&message);
        };
        emit(format, &report, || tree_doc(&report, kb))?;
        return Ok(Status::Success);
    }
    if args.chain {
        let report = kb.explain_chain();
        emit(format, &report, || chain_doc(&report))?;
        return Ok(Status::Success);
    }
    let input = args.query.join(" ");
    match Query::parse(&input, kb) {
        Query::Code(code) => {
            let report = kb.explain_code(code).expect("codes 100–599 always have an answer");
            emit(format, &report, || code_doc(&report, args.full))?;
        }
        Query::Class(class) => {
            let report = kb.explain_class(class).expect("classes 1–5 are described");
            emit(format, &report, || class_doc(&report))?;
        }
        Query::LogStatus(value) => {
            let status = kb.log_status(&value).expect("parsed as a log status");
            emit(format, status, || log_status_doc(status, kb))?;
        }
        Query::NotAStatus(n) => {
            return unusable(&format!(
                "'{n}' is not an HTTP status code: status codes have three digits, from 100 to 599 \
                 (try `culprit explain 5xx` for a class)"
            ));
        }
        Query::Id(id, _) => {
            let card = kb.explain_id(&id).expect("parsed as an id");
            cards::emit_card(format, &card, args.full)?;
        }
        Query::KubernetesReason(text) => {
            let report = kb.explain_kubernetes_reason(&text).expect("parsed as a Kubernetes reason");
            emit(format, &report, || kubernetes::doc(&report))?;
        }
        Query::Signal(text) => {
            let report = kb.explain_signal(&text).expect("parsed as a flag or termination state");
            emit(format, &report, || signals::signal_doc(&report, kb))?;
        }
        Query::Text(text) => {
            // A pasted access-log line: what the log engine says about that request.
            if let Some(report) = access_line::read(&text) {
                emit(format, &report, || access_line::doc(&report))?;
                return Ok(Status::Success);
            }
            let report = kb.search(&text);
            let found = !report.causes.is_empty() || !report.responders.is_empty();
            if found || format == Format::Json {
                emit(format, &report, || search_doc(&report))?;
            }
            if !found {
                if let Some(read_as) = access_line::format_without_status(&text) {
                    return unusable(&format!(
                        "'{text}' is an access line ({read_as}) with no status (`-`): no response was sent \
                         for this request, usually because the client left before it started; the line \
                         cannot tell which layer was waiting (culprit logs counts such lines apart)"
                    ));
                }
                return unusable(&format!(
                    "'{text}' is not a status code or status line, a class (like 5xx), an id culprit \
                     prints, an Envoy flag or HAProxy termination state, an access-log line culprit \
                     reads, a Kubernetes reason, or a message or header that the knowledge base \
                     recognises"
                ));
            }
        }
    }
    Ok(Status::Success)
}

#[allow(clippy::unnecessary_wraps)] // returned straight from `run`
/// Say why the input cannot be answered (stderr) and end with the "unusable input" status.
fn unusable(message: &str) -> Result<Status> {
    eprintln!("culprit: {message}");
    Ok(Status::Unusable)
}

pub(crate) fn owner_span(owner: Owner) -> crate::output::doc::Span {
    styled(owner.label(), Tone::Owner)
}

pub(crate) fn check_item(check: &Check, full: bool) -> (Line, Vec<Block>) {
    check_item_for(check, full, None)
}

/// A check, with `<status>` filled in when the status is known (a pasted log line's).
pub(crate) fn check_item_for(check: &Check, full: bool, status: Option<u16>) -> (Line, Vec<Block>) {
    let command = match status {
        Some(code) => check.command.replace("<status>", &code.to_string()),
        None => check.command.clone(),
    };
    let mut nested = vec![Block::Code { lang: "sh", text: command }];
    if full {
        nested.push(Block::Para(vec![styled(check.look_for.clone(), Tone::Dim)]));
    }
    (vec![styled(check.title.clone(), Tone::Strong)], nested)
}

fn code_doc(r: &CodeReport, full: bool) -> Doc {
    let mut doc = Doc::default();
    let mut title = vec![styled(format!("{} {}", r.code, r.name), status_tone(r.code))];
    title.push(plain(format!(" — {}xx {}", r.class, r.class_title)));
    if let Some(reference) = &r.reference {
        title.push(styled(format!(" · {reference}"), Tone::Dim));
    }
    doc.push(Block::Title(title));
    if let Some(treat_as) = r.treat_as {
        doc.push(Block::Para(vec![styled(
            format!(
                "{} is not assigned in the IANA registry. RFC 9110 §15: a client treats an unrecognised \
                 code as the x00 code of its class, so read it as {treat_as}. What follows is {treat_as}.",
                r.code
            ),
            Tone::Warn,
        )]));
    }
    let mut facts = vec![plain(r.summary.clone())];
    if let Some(vendor) = &r.vendor {
        facts.push(styled(format!(" Not in the IANA registry; used by {vendor}."), Tone::Dim));
    }
    match r.client_sees {
        Some(0) => facts.push(styled(" It exists only in logs: the client receives no response.", Tone::Dim)),
        Some(code) => facts.push(styled(format!(" It exists only in logs: the client receives {code}."), Tone::Dim)),
        None => {}
    }
    if let Some(redirect) = r.redirect {
        facts.push(styled(format!(" Redirect: {}.", redirect.describe()), Tone::Dim));
    }
    facts.push(styled(
        if r.cacheable { " Heuristically cacheable." } else { " Not heuristically cacheable." },
        Tone::Dim,
    ));
    doc.push(Block::Para(facts));

    doc.push(Block::Heading("Who looks first".into()));
    doc.push(Block::Para(vec![owner_span(r.owner)]));
    if let Some(d) = &r.detail {
        doc.push(Block::Bullets(
            d.owner_when.iter().map(|w| vec![owner_span(w.owner), plain(format!(" when {}", w.when))]).collect(),
        ));
        if full {
            doc.push(Block::Heading("What it means".into()));
            doc.push(Block::Para(vec![plain(d.meaning.clone())]));
            doc.push(Block::Heading("Infrastructure side".into()));
            doc.push(Block::Para(vec![plain(d.infra_side.clone())]));
            doc.push(Block::Heading("Application side".into()));
            doc.push(Block::Para(vec![plain(d.app_side.clone())]));
            if let Some(disagree) = &d.seeds_disagree {
                doc.push(Block::Heading("When each team's view applies".into()));
                doc.push(Block::Para(vec![plain(disagree.clone())]));
            }
            doc.push(Block::Heading("Where to look".into()));
            doc.push(Block::Bullets(d.where_to_look.iter().map(|w| vec![plain(w.clone())]).collect()));
        }
    }

    if !r.generated_at.is_empty() {
        doc.push(Block::Heading("Who can generate it".into()));
        doc.push(if full { generators_table(r) } else { generators_by_layer(r) });
    }

    if !r.checks.is_empty() {
        doc.push(Block::Heading("First checks".into()));
        let shown = if full { r.checks.len() } else { COMPACT_CHECKS.min(r.checks.len()) };
        doc.push(Block::Numbered(r.checks.iter().take(shown).map(|c| check_item(c, full)).collect()));
    }

    if let Some(d) = &r.detail {
        doc.push(Block::Heading("Fix".into()));
        doc.push(Block::Para(vec![plain(d.fix.clone())]));
        if let Some(example) = &d.fix_example {
            doc.push(Block::Code { lang: "yaml", text: example.clone() });
        }
    }

    if full && !r.causes.is_empty() {
        doc.push(Block::Heading("Causes in detail".into()));
        let items = r
            .causes
            .iter()
            .map(|c| {
                let head =
                    vec![styled(c.title.clone(), Tone::Strong), plain(" "), styled(format!("[{}]", c.id), Tone::Code)];
                let mut owner = vec![
                    plain("Fault in: "),
                    styled(c.layer.id(), Tone::Strong),
                    plain(" · looks first: "),
                    owner_span(c.owner),
                ];
                if let Some(note) = &c.owner_note {
                    owner.push(styled(format!(" ({note})"), Tone::Dim));
                }
                let mut nested = vec![Block::Para(vec![plain(c.explanation.clone())]), Block::Para(owner)];
                nested.push(Block::Para(vec![styled("Evidence:", Tone::Strong)]));
                nested.push(Block::Bullets(
                    c.evidence
                        .iter()
                        .map(|e| {
                            let mut line = vec![
                                styled(format!("{}: ", e.kind.label()), Tone::Dim),
                                styled(e.text.clone(), Tone::Code),
                            ];
                            if let Some(status) = e.status {
                                line.push(styled(format!(" → {status}"), Tone::Dim));
                            }
                            line
                        })
                        .collect(),
                ));
                nested.push(Block::Para(vec![styled("Fix: ", Tone::Strong), plain(c.fix.clone())]));
                if let Some(example) = &c.fix_example {
                    nested.push(Block::Code { lang: "yaml", text: example.clone() });
                }
                nested.push(Block::Para(vec![styled("Checks: ", Tone::Dim), styled(c.checks.join(", "), Tone::Code)]));
                (head, nested)
            })
            .collect();
        doc.push(Block::Numbered(items));
    }

    // Compact: the code's own mistakes; full: also those of every cause.
    let own: Vec<&String> = r.detail.iter().flat_map(|d| d.mistakes.iter()).collect();
    let mistakes: Vec<_> = r.mistakes.iter().filter(|m| full || own.is_empty() || own.contains(&&m.id)).collect();
    if !mistakes.is_empty() {
        doc.push(Block::Heading("Common mistakes".into()));
        doc.push(Block::Bullets(
            mistakes
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

    if !full {
        let mut more = format!("More: culprit explain {} --full", r.code);
        if let Some(tree) = kb().trees.iter().find(|t| t.codes.contains(&r.treat_as.unwrap_or(r.code))) {
            let _ = write!(more, " · culprit explain --tree {}", tree.id);
        }
        more.push_str(" · culprit explain --chain");
        doc.push(Block::Note(vec![plain(more)]));
    }
    doc
}

/// Compact: one row per layer, its causes in likelihood order.
fn generators_by_layer(r: &CodeReport) -> Block {
    let rows = r
        .generated_at
        .iter()
        .map(|layer| {
            let mut causes = Vec::new();
            for (i, c) in layer.causes.iter().enumerate() {
                if i > 0 {
                    causes.push(plain(", "));
                }
                causes.push(styled(c.cause.clone(), Tone::Code));
                // A cause that gives this code only in some components says which.
                if !c.only.is_empty() {
                    causes.push(styled(format!(" ({} only)", c.only.join(", ")), Tone::Dim));
                }
            }
            vec![vec![styled(layer.layer.id(), Tone::Strong)], causes]
        })
        .collect();
    Block::Table { head: vec!["Layer".into(), "Likely causes there (most likely first)".into()], rows }
}

/// Full: one row per cause and layer, with what happens there.
fn generators_table(r: &CodeReport) -> Block {
    let mut rows = Vec::new();
    for layer in &r.generated_at {
        for (i, c) in layer.causes.iter().enumerate() {
            let mut what = vec![plain(c.title.clone())];
            if let Some(note) = &c.note {
                what.push(styled(format!(" ({note})"), Tone::Dim));
            }
            rows.push(vec![
                vec![styled(if i == 0 { layer.layer.id() } else { "" }, Tone::Strong)],
                vec![styled(c.cause.clone(), Tone::Code)],
                vec![plain(c.owner.id())],
                what,
            ]);
        }
    }
    Block::Table { head: vec!["Layer".into(), "Cause".into(), "Owner".into(), "What happens".into()], rows }
}

fn class_doc(r: &ClassReport) -> Doc {
    let mut doc = Doc::default();
    let tone = status_tone(u16::from(r.class) * 100);
    doc.push(Block::Title(vec![styled(format!("{}xx {}", r.class, r.title), tone)]));
    doc.push(Block::Para(vec![plain(r.meaning.clone())]));
    doc.push(Block::Para(vec![
        styled("Who looks first: ", Tone::Strong),
        owner_span(r.owner),
        plain(format!(". {}", r.look_first)),
    ]));
    let row = |c: &culprit_kb::explain::CodeRow| {
        vec![
            vec![styled(c.code.to_string(), status_tone(c.code))],
            vec![plain(c.name.clone())],
            vec![plain(c.owner.id())],
            vec![plain(c.summary.clone())],
        ]
    };
    let head = || vec!["Code".into(), "Name".into(), "Owner".into(), "Meaning".into()];
    let registered: Vec<_> = r.codes.iter().filter(|c| c.vendor.is_none()).map(row).collect();
    let vendor: Vec<_> = r.codes.iter().filter(|c| c.vendor.is_some()).map(row).collect();
    doc.push(Block::Heading("Registered codes (IANA)".into()));
    doc.push(Block::Table { head: head(), rows: registered });
    if !vendor.is_empty() {
        doc.push(Block::Heading("Vendor codes seen in production".into()));
        doc.push(Block::Table { head: head(), rows: vendor });
    }
    let tree = kb().trees.iter().find(|t| t.id == format!("{}xx", r.class));
    let mut more = String::from("More: culprit explain <code>");
    if let Some(t) = tree {
        let _ = write!(more, " · culprit explain --tree {}", t.id);
    }
    doc.push(Block::Note(vec![plain(more)]));
    doc
}

fn log_status_doc(s: &LogStatus, kb: &KnowledgeBase) -> Doc {
    let mut doc = Doc::default();
    doc.push(Block::Title(vec![
        styled(format!("status {}", s.value), Tone::Warn),
        plain(" — not an HTTP status code: a value proxies write in their logs"),
    ]));
    doc.push(Block::Para(vec![plain(s.meaning.clone())]));
    doc.push(Block::Para(vec![styled("Written by: ", Tone::Strong), plain(s.writers.join(", "))]));
    if let Some(cause) = kb.cause(&s.cause) {
        doc.push(Block::Heading("Likely cause".into()));
        doc.push(Block::Para(vec![
            styled(cause.title.clone(), Tone::Strong),
            plain(" "),
            styled(cause.id.clone(), Tone::Code),
            plain(" — looks first: "),
            owner_span(cause.owner),
        ]));
        doc.push(Block::Para(vec![plain(cause.summary.clone())]));
        doc.push(Block::Heading("First checks".into()));
        let checks = cause.checks.iter().filter_map(|id| kb.check(id)).take(COMPACT_CHECKS);
        doc.push(Block::Numbered(checks.map(|c| check_item(c, false)).collect()));
    }
    doc
}

fn search_doc(r: &SearchReport) -> Doc {
    let mut doc = Doc::default();
    doc.push(Block::Title(vec![plain("Matches for "), styled(r.query.clone(), Tone::Code)]));
    if !r.responders.is_empty() {
        doc.push(Block::Heading("Who answered".into()));
        doc.push(Block::Bullets(
            r.responders
                .iter()
                .map(|h| {
                    let role = if h.passthrough {
                        "was on the path (this marker does not prove it wrote the response)"
                    } else {
                        "wrote the response"
                    };
                    vec![
                        styled(h.name.clone(), Tone::Strong),
                        plain(format!(" ({} layer) {role} — matched {}. ", h.layer, h.matched)),
                        styled(h.note.clone(), Tone::Dim),
                    ]
                })
                .collect(),
        ));
        // A header or page without a status says who answered, not why: the reading per status.
        for h in r.responders.iter().filter(|h| !h.by_status.is_empty()) {
            let lead = if h.passthrough {
                format!("If {} wrote the answer itself (its own error page), what was the status?", h.name)
            } else {
                format!("{} answered; what was the status?", h.name)
            };
            doc.push(Block::Heading(lead));
            let kb = kb();
            doc.push(Block::Bullets(
                h.by_status
                    .iter()
                    .map(|m| {
                        let name = kb.code(m.code).map_or(String::new(), |c| format!(" {}", c.name));
                        let mut line = vec![styled(format!("{}{name}", m.code), status_tone(m.code)), plain(" ⇒ ")];
                        for (i, id) in m.causes.iter().enumerate() {
                            if i > 0 {
                                line.push(plain(", "));
                            }
                            line.push(styled(id.clone(), Tone::Code));
                        }
                        line
                    })
                    .collect(),
            ));
            let example = h.by_status.iter().map(|m| m.code).find(|c| *c >= 500).unwrap_or(h.by_status[0].code);
            doc.push(Block::Note(vec![plain(format!(
                "With the status, the causes are ranked: culprit explain '{} {example}' · the component: culprit \
                 explain {}",
                r.query, h.id
            ))]));
        }
    }
    if !r.causes.is_empty() {
        doc.push(Block::Heading("Likely causes, best match first".into()));
        let items = r
            .causes
            .iter()
            .map(|h| {
                let head =
                    vec![styled(h.title.clone(), Tone::Strong), plain(" "), styled(format!("[{}]", h.id), Tone::Code)];
                let codes = if h.codes.is_empty() {
                    " · no HTTP status: the request got no answer".to_string()
                } else {
                    format!(" · codes: {}", h.codes.iter().map(u16::to_string).collect::<Vec<_>>().join(" "))
                };
                let mut nested = vec![Block::Para(vec![
                    plain(format!("{} Fault in: {} · looks first: ", h.summary, h.layer)),
                    owner_span(h.owner),
                    styled(codes, Tone::Dim),
                ])];
                nested.push(Block::Bullets(h.why.iter().take(3).map(reason_line).collect()));
                (head, nested)
            })
            .collect();
        doc.push(Block::Numbered(items));
        // The link follows the evidence that matched: the status its proxy answers with (Envoy's
        // 503 for UF), else the cause's own card. Digits in the query (an address, an errno) are
        // never taken for a code.
        let top = &r.causes[0];
        let mut more = String::from("More:");
        if let Some(status) = top.why.iter().find_map(|w| w.status) {
            let _ = write!(more, " culprit explain {status} --full ·");
        }
        let _ = write!(more, " culprit explain {} --full", top.id);
        doc.push(Block::Note(vec![plain(more)]));
    }
    doc
}

fn reason_line(m: &culprit_kb::search::MatchReason) -> Line {
    let place = match m.field.as_str() {
        "title" => "the cause's title".to_string(),
        "summary" => "the cause's summary".to_string(),
        "responder" => "fingerprint".to_string(),
        other => serde_json::from_value::<EvidenceKind>(serde_json::Value::String(other.to_string()))
            .map_or_else(|_| other.to_string(), |k| k.label().to_string()),
    };
    let how = match m.how {
        // A flag or state names a family of causes, not this one for sure.
        MatchHow::Exact => format!("named in your text: culprit explain {}", m.text),
        MatchHow::Contains => "found in your text".to_string(),
        MatchHow::Within => "your text is part of it".to_string(),
        MatchHow::Words => "shares words".to_string(),
        MatchHow::Responder => "typical of that responder".to_string(),
    };
    let mut line = vec![styled(format!("{place}: "), Tone::Dim), styled(m.text.clone(), Tone::Code)];
    if let Some(status) = m.status {
        line.push(styled(format!(" → {status}"), Tone::Dim));
    }
    line.push(styled(format!(" ({how})"), Tone::Dim));
    line
}

fn tree_doc(r: &TreeReport, kb: &KnowledgeBase) -> Doc {
    let mut doc = Doc::default();
    doc.push(Block::Title(vec![
        styled(format!("Decision tree {}", r.tree.id), Tone::Strong),
        plain(format!(" — {}", r.tree.title)),
    ]));
    let codes = r.tree.codes.iter().map(u16::to_string).collect::<Vec<_>>().join(", ");
    doc.push(Block::Para(vec![styled(
        format!("For {codes}. Start at step 1 and follow the answer that fits."),
        Tone::Dim,
    )]));
    let step_of = |id: &str| r.order.iter().position(|o| o == id).map_or(0, |i| i + 1);
    let items = r
        .order
        .iter()
        .filter_map(|id| r.tree.node(id))
        .map(|node| {
            let mut nested = Vec::new();
            if let Some(check) = node.check.as_deref().and_then(|c| kb.check(c)) {
                nested.push(Block::Para(vec![styled(format!("Check: {}", check.title), Tone::Dim)]));
                nested.push(Block::Code { lang: "sh", text: check.command.clone() });
            }
            let answers = node
                .answers
                .iter()
                .map(|a| {
                    let mut line = vec![plain(a.when.clone())];
                    if let Some(next) = &a.next {
                        line.push(styled(format!(" → step {}", step_of(next)), Tone::Strong));
                    } else {
                        line.push(styled(" ⇒ ", Tone::Strong));
                        for (i, id) in a.causes.iter().enumerate() {
                            if i > 0 {
                                line.push(plain(", "));
                            }
                            line.push(styled(id.clone(), Tone::Code));
                        }
                    }
                    line
                })
                .collect();
            nested.push(Block::Bullets(answers));
            (vec![styled(node.ask.clone(), Tone::Strong)], nested)
        })
        .collect();
    doc.push(Block::Numbered(items));
    doc.push(Block::Heading("Causes named above".into()));
    doc.push(Block::Table {
        head: vec!["Cause".into(), "Owner".into(), "What it is".into()],
        rows: r
            .causes
            .iter()
            .map(|c| {
                vec![vec![styled(c.id.clone(), Tone::Code)], vec![plain(c.owner.id())], vec![plain(c.summary.clone())]]
            })
            .collect(),
    });
    doc
}

fn chain_doc(r: &ChainReport) -> Doc {
    let mut doc = Doc::default();
    doc.push(Block::Title(vec![styled(r.chain.title.clone(), Tone::Strong)]));
    doc.push(Block::Para(vec![plain(r.chain.summary.clone())]));
    doc.push(Block::Heading("The request path".into()));
    doc.push(Block::Table {
        head: vec!["Layer".into(), "Codes it can generate".into(), "What it knows".into()],
        rows: r
            .chain
            .hops
            .iter()
            .map(|h| {
                let codes = if h.generates.is_empty() {
                    "— (passes traffic)".to_string()
                } else {
                    h.generates.iter().map(u16::to_string).collect::<Vec<_>>().join(" ")
                };
                vec![vec![styled(h.layer.id(), Tone::Strong)], vec![plain(codes)], vec![plain(h.sees.clone())]]
            })
            .collect(),
    });
    doc.push(Block::Heading("Five steps".into()));
    let items = r
        .chain
        .steps
        .iter()
        .map(|s| {
            let mut nested = Vec::new();
            if let Some(check) = r.checks.iter().find(|c| c.id == s.check) {
                nested.push(Block::Code { lang: "sh", text: check.command.clone() });
            }
            nested.push(Block::Bullets(
                s.outcomes
                    .iter()
                    .map(|o| {
                        let mut line = vec![plain(format!("{} → ", o.when)), styled(o.then.clone(), Tone::Strong)];
                        if !o.causes.is_empty() {
                            line.push(styled(format!(" ({})", o.causes.join(", ")), Tone::Dim));
                        }
                        line
                    })
                    .collect(),
            ));
            (vec![styled(s.title.clone(), Tone::Strong)], nested)
        })
        .collect();
    doc.push(Block::Numbered(items));
    doc
}
