//! `culprit cluster route|check`: read the snapshot, trace or check, render.

use super::Status;
use crate::cli::{ClusterCommand, ClusterSourceArgs, FailOn};
use crate::output::doc::{Block, Doc, Line, Tone, plain, styled};
use crate::output::emit;
use anyhow::Result;
use culprit_cluster::snapshot::Snapshot;
use culprit_cluster::{CHECK_SCHEMA, CheckReport, ROUTE_SCHEMA, RouteReport, Source, checks, route};
use culprit_kb::{Finding, Severity};

pub fn run(command: &ClusterCommand) -> Result<Status> {
    match command {
        ClusterCommand::Route(args) => {
            let Some((snapshot, source)) = load(&args.source) else { return Ok(Status::Unusable) };
            let trace = match route::trace(
                &snapshot,
                &args.url,
                args.source.namespace.as_deref(),
                args.ingress_class.as_deref(),
            ) {
                Ok(t) => t,
                Err(e) => {
                    eprintln!("culprit: {e}");
                    return Ok(Status::Unusable);
                }
            };
            let broken = !trace.findings.is_empty();
            let report = RouteReport { schema: ROUTE_SCHEMA, source, trace };
            emit(args.output.format(), &report, || route_doc(&report))?;
            Ok(if broken { Status::Failure } else { Status::Success })
        }
        ClusterCommand::Check(args) => {
            let Some((snapshot, source)) = load(&args.source) else { return Ok(Status::Unusable) };
            let findings = checks::check(&snapshot, args.source.namespace.as_deref());
            let threshold = match args.fail_on {
                FailOn::Info => Some(Severity::Info),
                FailOn::Warning => Some(Severity::Warning),
                FailOn::Error => Some(Severity::Error),
                FailOn::Never => None,
            };
            let failing = threshold.is_some_and(|t| findings.iter().any(|f| f.severity >= t));
            let report =
                CheckReport { schema: CHECK_SCHEMA, source, namespace: args.source.namespace.clone(), findings };
            emit(args.output.format(), &report, || check_doc(&report))?;
            Ok(if failing { Status::Failure } else { Status::Success })
        }
    }
}

fn load(args: &ClusterSourceArgs) -> Option<(Snapshot, Source)> {
    let (loaded, from) = if args.from.is_empty() {
        let what = format!(
            "live (kubeconfig {}, context {})",
            args.kubeconfig.as_ref().map_or_else(|| "default".to_owned(), |p| p.display().to_string()),
            args.context.as_deref().unwrap_or("current")
        );
        let live =
            culprit_cluster::live::load(args.kubeconfig.as_deref(), args.context.as_deref(), args.namespace.as_deref())
                .map_err(|e| match e {
                    culprit_cluster::live::LiveError::NoKubeconfig { .. } => format!(
                        "{e}. Without --from, culprit reads the cluster live through a kubeconfig: give one \
                     with --kubeconfig FILE or $KUBECONFIG. To read a dump of the cluster instead, use \
                     --from <file or dir>, made where kubectl works with:\n  {}",
                        culprit_cluster::DUMP_COMMAND.replace('\n', "\n  ")
                    ),
                    other @ culprit_cluster::live::LiveError::Other(_) => other.to_string(),
                });
        (live, vec![what])
    } else {
        (
            Snapshot::load(&args.from).map_err(|e| format!("--from: {e}")),
            args.from.iter().map(|p| p.display().to_string()).collect(),
        )
    };
    match loaded {
        Ok(s) => {
            for p in &s.problems {
                eprintln!("culprit: skipped: {}", crate::output::escape_controls(p));
            }
            if s.object_count() == 0 {
                eprintln!(
                    "culprit: no object culprit reads was found in {} (it holds {}); make a dump with:\n  {}",
                    from.join(", "),
                    s.kinds_read(),
                    culprit_cluster::DUMP_COMMAND.replace('\n', "\n  ")
                );
                return None;
            }
            let source = Source { from, objects: s.object_count(), problems: s.problems.clone() };
            Some((s, source))
        }
        Err(e) => {
            eprintln!("culprit: {e}");
            None
        }
    }
}

fn route_doc(report: &RouteReport) -> Doc {
    let mut doc = Doc::default();
    let t = &report.trace;
    let tone = if t.findings.is_empty() { Tone::Good } else { Tone::Bad };
    doc.push(Block::Title(vec![styled(format!("Route of {}", t.url), Tone::Strong)]));
    doc.push(Block::Table {
        head: vec![String::new(), "Link".into(), "Object".into(), "Detail".into()],
        rows: t
            .links
            .iter()
            .map(|l| {
                let mark = if l.ok { styled("✓", Tone::Good) } else { styled("✗", Tone::Bad) };
                vec![
                    vec![mark],
                    vec![plain(l.step)],
                    vec![styled(l.object.clone(), Tone::Code)],
                    vec![plain(l.detail.clone())],
                ]
            })
            .collect(),
    });
    doc.push(Block::Para(vec![styled(t.verdict.clone(), tone)]));
    findings_blocks(&mut doc, &t.findings);
    source_note(&mut doc, &report.source);
    doc
}

fn check_doc(report: &CheckReport) -> Doc {
    let mut doc = Doc::default();
    let scope = report.namespace.as_deref().map_or("the snapshot".to_owned(), |n| format!("namespace {n}"));
    let count = |s: Severity| report.findings.iter().filter(|f| f.severity == s).count();
    doc.push(Block::Title(vec![styled(
        format!(
            "Cluster check of {scope}: {}, {}, {}",
            plural(count(Severity::Error), "error"),
            plural(count(Severity::Warning), "warning"),
            plural(count(Severity::Info), "note")
        ),
        Tone::Strong,
    )]));
    if report.findings.is_empty() {
        doc.push(Block::Para(vec![styled("nothing found that produces a status code", Tone::Good)]));
    }
    findings_blocks(&mut doc, &report.findings);
    source_note(&mut doc, &report.source);
    doc
}

pub fn findings_blocks(doc: &mut Doc, findings: &[Finding]) {
    if findings.is_empty() {
        return;
    }
    doc.push(Block::Numbered(
        findings
            .iter()
            .map(|f| {
                let tone = match f.severity {
                    Severity::Error => Tone::Bad,
                    Severity::Warning => Tone::Warn,
                    Severity::Info => Tone::Dim,
                };
                let codes: Vec<String> = f.codes.iter().map(u16::to_string).collect();
                let mut head: Line = vec![styled(f.severity.id(), tone), plain(" ")];
                if !codes.is_empty() {
                    head.push(styled(codes.join("/"), tone));
                    head.push(plain(" "));
                }
                head.extend([
                    styled(f.object.clone(), Tone::Code),
                    plain(format!(": {} — ", f.title)),
                    styled(f.cause.clone(), Tone::Code),
                    plain(", "),
                    styled(f.owner.label(), Tone::Owner),
                ]);
                let mut nested = vec![Block::Bullets(
                    f.evidence
                        .iter()
                        .map(|e| vec![styled(e.source.clone(), Tone::Dim), plain(format!(": {}", e.value))])
                        .collect(),
                )];
                if let Some(fix) = &f.fix {
                    nested.push(Block::Code { lang: fix_lang(fix), text: fix.clone() });
                }
                (head, nested)
            })
            .collect(),
    ));
}

/// A fix is YAML to apply, a command to run, or an instruction in words (wrapped as text: a shell
/// line continuation in the middle of a sentence would read as part of it).
fn fix_lang(fix: &str) -> &'static str {
    const COMMANDS: [&str; 8] = ["kubectl", "helm", "curl", "aws", "gcloud", "az", "istioctl", "openssl"];
    if fix.contains(":\n") {
        "yaml"
    } else if fix.split_whitespace().next().is_some_and(|w| COMMANDS.contains(&w)) {
        "sh"
    } else {
        "text"
    }
}

fn source_note(doc: &mut Doc, source: &Source) {
    let skipped = if source.problems.is_empty() {
        String::new()
    } else {
        format!("; {} skipped (see stderr)", source.problems.len())
    };
    doc.push(Block::Note(vec![plain(format!(
        "{} objects read from {}{skipped}",
        source.objects,
        source.from.join(", ")
    ))]));
}

/// `1 error`, `3 errors`.
fn plural(n: usize, noun: &str) -> String {
    format!("{n} {noun}{}", if n == 1 { "" } else { "s" })
}
