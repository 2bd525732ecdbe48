//! `culprit explain '<an access-log line>'`: a pasted request line read by the log engine as `culprit
//! logs` reads it (any format it knows, sniffed from the line alone), what the engine says about
//! that request, then the card of the cause it names, compact.

use super::cards::brief_cause_card_with;
use super::owner_span;
use crate::output::doc::{Block, Doc, Tone, plain, status_tone, styled};
use culprit_kb::cards::{Card, CauseReport};
use culprit_kb::{Check, Confidence, EvidenceItem, GeneratedBy, Owner, kb};
use culprit_logs::engine::{Options, RequestRecord};
use culprit_logs::pipeline::Analyzer;
use serde::Serialize;

pub const SCHEMA: &str = "culprit.explain.access_line/1";

/// What the log engine says about one pasted access-log line.
#[derive(Debug, Clone, Serialize)]
pub struct AccessLineReport {
    pub schema: &'static str,
    /// The line as given.
    pub line: String,
    /// The format the engine read it as (`nginx combined`, `HAProxy httplog`…).
    pub format: String,
    pub time: Option<String>,
    pub request_id: Option<String>,
    pub method: Option<String>,
    pub path: Option<String>,
    /// The status the line records (`0` when none was sent).
    pub status: u16,
    pub service: Option<String>,
    pub upstream: Option<String>,
    pub generated_by: GeneratedBy,
    /// The cause's id, as `culprit logs --per-request` gives it.
    pub cause: String,
    pub owner: Owner,
    pub confidence: Confidence,
    /// What in the line decided, and what it could not tell.
    pub evidence: Vec<EvidenceItem>,
    /// Whether the line points at Kubernetes (an ingress controller's or mesh's format, a cluster
    /// service name), and why; without it the checks run on the proxy's and backends' hosts.
    pub kubernetes: Option<String>,
    /// The checks to run for this request: the cause's, `<status>` filled in, each kubectl one
    /// replaced by its host-level equivalent when nothing points at Kubernetes.
    pub checks: Vec<Check>,
    /// The cause's card (`culprit.explain.cause/1`), when the knowledge base has one.
    pub card: Option<CauseReport>,
}

/// The report for `text` when the log engine reads it as one request; `None` when it is not an
/// access-log line culprit reads (an error-log message, a header, free text).
/// The log engine on one line: its request record (if it was a request with a status) and the
/// analysis (the format it was read in, what was counted).
fn analyse(line: &str) -> (Option<RequestRecord>, culprit_logs::engine::Analysis) {
    let mut analyzer = Analyzer::new(Options::default());
    let input = analyzer.add_input("pasted");
    let mut record: Option<RequestRecord> = None;
    let mut sink = |r| record = Some(r);
    analyzer.push_line(input, line.as_bytes(), Some(&mut sink));
    let analysis = analyzer.finish(Some(&mut sink));
    (record, analysis)
}

/// The format of a pasted access line that records no status (`-`: Express's morgan, a common-log
/// writer whose response never started), so the answer can say that rather than "not recognised".
pub fn format_without_status(text: &str) -> Option<String> {
    let line = one_line(text)?;
    let (record, analysis) = analyse(&line);
    (record.is_none() && analysis.stats.no_status > 0)
        .then(|| analysis.inputs.first().and_then(|i| i.format.clone()).unwrap_or_else(|| "access log".into()))
}

/// The pasted text as one log line: itself, or a JSON entry pretty-printed over several lines (as
/// `jq`, Kibana and Cloud Logging show them) written back compact. Several lines of anything else
/// are an excerpt, which is for `culprit logs`.
fn one_line(text: &str) -> Option<String> {
    let line = text.trim();
    if line.is_empty() {
        return None;
    }
    if !line.contains('\n') {
        return Some(line.to_owned());
    }
    if !(line.starts_with('{') && line.ends_with('}')) {
        return None;
    }
    let entry: serde_json::Value = serde_json::from_str(line).ok()?;
    entry.is_object().then(|| entry.to_string())
}

pub fn read(text: &str) -> Option<AccessLineReport> {
    let line = one_line(text)?;
    let (record, analysis) = analyse(&line);
    let r = record?;
    let format = analysis.inputs.first().and_then(|i| i.format.clone()).unwrap_or_else(|| "access log".into());
    let card = match kb().explain_id(&r.cause) {
        Some(Card::Cause(c)) => Some(c),
        _ => None,
    };
    // As `culprit logs` decides it: an ingress controller's or mesh's format, or a cluster name.
    let cluster_names = [".svc.cluster.local", "@kubernetes", "outbound|", "inbound|"];
    let kubernetes = if format.starts_with("ingress-nginx") || format == "istio" {
        Some(format!("the line is in {format} format"))
    } else {
        r.service
            .as_deref()
            .filter(|s| cluster_names.iter().any(|n| s.contains(n)))
            .map(|s| format!("service {s} is a cluster name"))
    };
    let status = r.status.to_string();
    // What the line says fills the checks: its status, method and path (when shell-safe).
    let safe_path = r.path.as_deref().filter(|p| p.chars().all(|c| c.is_ascii_alphanumeric() || "-._~/%:".contains(c)));
    let fill = |command: &str| {
        let mut command = command.to_owned();
        if r.status >= 100 {
            command = command.replace("<status>", &status);
        }
        if let Some(method) = r.method.as_deref().filter(|m| m.bytes().all(|b| b.is_ascii_uppercase())) {
            command = command.replace("<METHOD>", method);
        }
        if let Some(path) = safe_path {
            command = command.replace("<path>", path);
        }
        command
    };
    // A request that went well needs no next step.
    let healthy = (100..400).contains(&r.status);
    let checks = card
        .iter()
        .filter(|_| !healthy)
        .flat_map(|c| c.checks.iter())
        .filter_map(|c| match c.on_hosts.as_deref() {
            Some(host) if kubernetes.is_none() && c.needs_kubernetes() => kb().check(host),
            _ if kubernetes.is_none() && c.needs_kubernetes() => None,
            _ => Some(c),
        })
        .fold(Vec::<Check>::new(), |mut out, c| {
            if !out.iter().any(|o| o.id == c.id) {
                out.push(Check { command: fill(&c.command), ..c.clone() });
            }
            out
        });
    Some(AccessLineReport {
        schema: SCHEMA,
        line,
        format,
        time: r.time,
        request_id: r.request_id,
        method: r.method,
        path: r.path,
        status: r.status,
        service: r.service,
        upstream: r.upstream,
        generated_by: r.generated_by,
        cause: r.cause,
        owner: r.owner,
        confidence: r.confidence,
        evidence: r.evidence,
        kubernetes,
        checks,
        card,
    })
}

fn confidence_word(c: Confidence) -> &'static str {
    match c {
        Confidence::High => "high",
        Confidence::Medium => "medium",
        Confidence::Low => "low",
    }
}

pub fn doc(r: &AccessLineReport) -> Doc {
    let kb = kb();
    let mut doc = Doc::default();
    doc.push(Block::Title(vec![styled("Access-log line", Tone::Strong), plain(format!(" — read as {}", r.format))]));
    let mut request = Vec::new();
    if let (Some(method), Some(path)) = (&r.method, &r.path) {
        request.push(styled(format!("{method} {path}"), Tone::Code));
        request.push(plain(" → "));
    }
    let name = kb.code(r.status).map_or(String::new(), |c| format!(" {}", c.name));
    let status = if r.status == 0 { "no status sent (0)".to_owned() } else { format!("{}{name}", r.status) };
    request.push(styled(status, status_tone(r.status)));
    for (label, value) in [("at", &r.time), ("service", &r.service), ("upstream", &r.upstream)] {
        if let Some(v) = value {
            request.push(styled(format!(" · {label} {v}"), Tone::Dim));
        }
    }
    doc.push(Block::Para(request));
    doc.push(Block::Para(vec![
        styled("Status written by: ", Tone::Dim),
        styled(r.generated_by.id(), Tone::Strong),
        styled(" · cause: ", Tone::Dim),
        styled(r.cause.clone(), Tone::Code),
        styled(" · looks first: ", Tone::Dim),
        owner_span(r.owner),
        styled(format!(" · {} confidence", confidence_word(r.confidence)), Tone::Dim),
    ]));
    if !r.evidence.is_empty() {
        doc.push(Block::Heading("What the line says".into()));
        doc.push(Block::Bullets(
            r.evidence
                .iter()
                .map(|e| vec![styled(format!("{}: ", e.source), Tone::Dim), plain(e.value.clone())])
                .collect(),
        ));
    }
    if let Some(card) = &r.card {
        if r.kubernetes.is_none() && !r.checks.is_empty() && card.checks.iter().any(Check::needs_kubernetes) {
            doc.push(Block::Para(vec![styled(
                "Nothing in the line points at Kubernetes: the checks below run on the proxy's and backends' hosts.",
                Tone::Dim,
            )]));
        }
        brief_cause_card_with(&mut doc, card, &r.checks, None);
    }
    let mut more = String::from("More: culprit logs FILE for the whole log");
    if r.confidence != Confidence::High {
        more.push_str(" (with --error-log, the proxy's error log decides the cause)");
    }
    doc.push(Block::Note(vec![plain(more)]));
    doc
}
