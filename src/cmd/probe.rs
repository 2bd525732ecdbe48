//! `culprit probe`: one request like `curl -v`, rendered with what it means.

use super::Status;
use crate::cli::ProbeArgs;
use crate::output::doc::{Block, Doc, Line, Tone, plain, status_tone, styled};
use crate::output::emit;
use anyhow::Result;
use bytes::Bytes;
use culprit_probe::options::{HttpVersion, Options, parse_override};
use culprit_probe::probe::{self, Hop, ProbeReport, confidence_word};
use std::fmt::Write as _;
use std::time::Duration;

pub fn run(args: &ProbeArgs) -> Result<Status> {
    let options = match options(args) {
        Ok(o) => o,
        Err(message) => {
            eprintln!("culprit: {message}");
            return Ok(Status::Unusable);
        }
    };
    let mut vias = Vec::new();
    for via in &args.via {
        match via.split_once('=') {
            Some((name, url)) if !name.is_empty() && !url.is_empty() => vias.push((name.to_owned(), url.to_owned())),
            _ => {
                eprintln!("culprit: --via '{via}': expected NAME=URL, e.g. --via pod=http://127.0.0.1:8080");
                return Ok(Status::Unusable);
            }
        }
    }
    if args.insecure {
        eprintln!(
            "culprit: warning: -k/--insecure: the server's certificate is NOT checked; anyone on the path could answer"
        );
    }
    let report = match probe::run(&args.url, &options, &vias) {
        Ok(r) => r,
        Err(message) => {
            eprintln!("culprit: {message}");
            return Ok(Status::Unusable);
        }
    };
    emit(args.output.format(), &report, || document(&report))?;
    Ok(match report.outcome.status {
        None => Status::Failure,
        Some(s) if args.check_status => match s / 100 {
            3 => Status::Redirection,
            4 => Status::ClientError,
            5 => Status::ServerError,
            _ => Status::Success,
        },
        Some(_) => Status::Success,
    })
}

fn options(args: &ProbeArgs) -> Result<Options, String> {
    let mut headers = Vec::new();
    for h in &args.headers {
        let (name, value) = h.split_once(':').ok_or_else(|| format!("-H '{h}': expected \"Name: value\""))?;
        let name = name.trim();
        if name.is_empty() || !name.bytes().all(|b| b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b)) {
            return Err(format!("-H '{h}': '{name}' is not a valid header name"));
        }
        headers.push((name.to_owned(), value.trim().to_owned()));
    }
    let mut body = Bytes::new();
    if let Some(data) = args.data.as_deref().or(args.json_data.as_deref()) {
        body = read_data(data)?;
    }
    if args.json_data.is_some() {
        for (name, value) in [("Content-Type", "application/json"), ("Accept", "application/json, */*;q=0.5")] {
            if !headers.iter().any(|(h, _)| h.eq_ignore_ascii_case(name)) {
                headers.push((name.into(), value.into()));
            }
        }
    }
    let method_given = args.method != "GET";
    let method = if !method_given && !body.is_empty() { "POST" } else { args.method.as_str() };
    let method = http::Method::from_bytes(method.to_ascii_uppercase().as_bytes())
        .map_err(|_| format!("-X '{}': not an HTTP method", args.method))?;
    let seconds = |s: f64, flag: &str| {
        if s.is_finite() && s > 0.0 {
            Ok(Duration::from_secs_f64(s))
        } else {
            Err(format!("{flag} {s}: use a positive number of seconds"))
        }
    };
    let mut overrides = Vec::new();
    for r in &args.resolve {
        overrides.push(parse_override(r, false).map_err(|e| format!("--resolve {e}"))?);
    }
    for r in &args.connect_to {
        overrides.push(parse_override(r, true).map_err(|e| format!("--connect-to {e}"))?);
    }
    Ok(Options {
        method,
        headers,
        body,
        timeout: seconds(args.timeout, "--timeout")?,
        connect_timeout: seconds(args.connect_timeout, "--connect-timeout")?,
        http_version: if args.http1 {
            HttpVersion::Http1
        } else if args.http2 {
            HttpVersion::Http2
        } else {
            HttpVersion::Auto
        },
        insecure: args.insecure,
        cacert: args.cacert.clone(),
        follow: !args.no_follow,
        max_redirects: args.max_redirects,
        max_body: args.max_body,
        overrides,
    })
}

/// `-d` data: literal, `@file`, or `@-` for stdin.
fn read_data(data: &str) -> Result<Bytes, String> {
    match data.strip_prefix('@') {
        Some("-") => {
            let mut buf = Vec::new();
            std::io::Read::read_to_end(&mut std::io::stdin(), &mut buf)
                .map_err(|e| format!("reading the body from stdin: {e}"))?;
            Ok(buf.into())
        }
        Some(path) => std::fs::read(path).map(Bytes::from).map_err(|e| format!("-d @{path}: {e}")),
        None => Ok(Bytes::from(data.to_owned())),
    }
}

fn document(report: &ProbeReport) -> Doc {
    let mut doc = Doc::default();
    let o = &report.outcome;
    let mut title: Line =
        vec![styled(format!("{} {}", report.request.method, report.request.url), Tone::Strong), plain(" → ")];
    match o.status {
        Some(s) => title.push(styled(o.summary.clone(), status_tone(s))),
        None => title.push(styled(o.summary.clone(), Tone::Bad)),
    }
    doc.push(Block::Title(title));
    if report.request.insecure {
        doc.push(Block::Para(vec![styled(
            "-k/--insecure: certificates were not checked; this answer could come from anyone on the path.",
            Tone::Bad,
        )]));
    }
    let many = report.hops.len() > 1;
    for (i, hop) in report.hops.iter().enumerate() {
        if many {
            doc.push(Block::Heading(format!("Hop {} — {} {}", i + 1, hop.method, hop.url)));
        }
        hop_blocks(&mut doc, hop);
    }
    if !report.redirects.is_empty() {
        doc.push(Block::Heading("Redirects".into()));
        doc.push(Block::Bullets(
            report
                .redirects
                .iter()
                .map(|n| {
                    // The knowledge base says which notes are worth knowing and which warn.
                    let info =
                        culprit_kb::kb().redirect_note(n.id).is_some_and(|k| k.severity == culprit_kb::Severity::Info);
                    vec![styled(n.message.clone(), if info { Tone::Plain } else { Tone::Warn })]
                })
                .collect(),
        ));
    }
    if let Some(r) = &o.responder {
        doc.push(Block::Heading("Who answered".into()));
        let mut who = vec![styled(r.name.clone(), Tone::Strong)];
        // Both readings, the likelier first, when the evidence does not settle it.
        if let Some(alt) = &r.alternative {
            who.push(plain(" or "));
            who.push(styled(alt.name.clone(), Tone::Strong));
            who.push(plain(format!(
                " ({} or {} layer, {} confidence: the answer does not say which)",
                r.layer.id(),
                alt.layer.id(),
                confidence_word(r.confidence)
            )));
        } else {
            if !r.relayed_by.is_empty() {
                who.push(plain(format!(", passed through {}", r.relayed_by.join(", "))));
            }
            who.push(plain(format!(" ({} layer, {} confidence)", r.layer.id(), confidence_word(r.confidence))));
        }
        doc.push(Block::Para(who));
        let mut bullets: Vec<Line> = r.evidence.iter().map(|e| vec![plain(e.clone())]).collect();
        bullets.extend(r.on_path.iter().map(|p| vec![styled(format!("on the path: {p}"), Tone::Dim)]));
        doc.push(Block::Bullets(bullets));
    }
    if let Some(hint) = &o.timeout_hint {
        doc.push(Block::Para(vec![styled(hint.clone(), Tone::Warn)]));
    }
    if let Some(d) = &o.diagnosis {
        doc.push(Block::Heading(if o.status.is_some() { "What went wrong".into() } else { "What failed".into() }));
        doc.push(Block::Para(vec![plain(d.says.clone())]));
        // A layer only with evidence of what sits at the address; otherwise what is known.
        let mut line = match &d.layer_evidence {
            Some(why) => {
                vec![plain("Points to the "), styled(d.layer.id(), Tone::Strong), plain(format!(" layer ({why})"))]
            }
            None => vec![
                plain("At "),
                styled(d.address.clone(), Tone::Strong),
                plain(": which layer answers there is not known from here (--via NAME=URL names the hops)"),
            ],
        };
        line.push(plain(" · looks first: "));
        line.push(styled(d.owner.label(), Tone::Owner));
        doc.push(Block::Para(line));
    }
    if !o.causes.is_empty() {
        let both =
            o.responder.as_ref().and_then(|r| r.alternative.as_ref().map(|a| (r.name.as_str(), a.name.as_str())));
        let heading = match (o.status, both) {
            (Some(s), Some((first, other))) => format!("What a {s} means here, written by {first} or by {other}"),
            (Some(s), None) if o.diagnosis.is_none() || s >= 400 => format!("What a {s} from this layer means"),
            _ => "Likely causes".into(),
        };
        doc.push(Block::Heading(heading));
        // Two columns: the id, then the title and owner, which wrap within the report's width.
        doc.push(Block::Table {
            head: vec!["Cause".into(), "What it is · who looks first".into()],
            rows: o
                .causes
                .iter()
                .map(|c| {
                    vec![
                        vec![styled(c.id.clone(), Tone::Code)],
                        vec![plain(format!("{} · ", c.title)), styled(c.owner.label(), Tone::Owner)],
                    ]
                })
                .collect(),
        });
    }
    if !o.checks.is_empty() {
        doc.push(Block::Heading("Next steps".into()));
        doc.push(Block::Numbered(
            o.checks
                .iter()
                .map(|c| (vec![plain(c.title.clone())], vec![Block::Code { lang: "sh", text: c.command.clone() }]))
                .collect(),
        ));
        if let Some(why) = &o.kubernetes_evidence {
            doc.push(Block::Para(vec![styled(format!("Kubernetes causes and steps included: {why}."), Tone::Dim)]));
        }
    }
    if !report.rate_limits.is_empty() {
        doc.push(Block::Heading("Rate limits".into()));
        doc.push(Block::Bullets(
            report
                .rate_limits
                .iter()
                .map(|r| {
                    let how = r.read_as.as_deref().map(|h| format!(" (reset read as {h})")).unwrap_or_default();
                    vec![styled(r.source.clone(), Tone::Code), plain(format!(": {}{how}", r.describe()))]
                })
                .collect(),
        ));
    }
    if !report.lint.is_empty() {
        doc.push(Block::Heading("API hygiene".into()));
        doc.push(Block::Bullets(
            report.lint.iter().map(|l| vec![styled(l.id, Tone::Code), plain(format!(": {}", l.message))]).collect(),
        ));
    }
    if let Some(b) = &report.bisect {
        doc.push(Block::Heading("Bisect".into()));
        // The URL leads the outcome cell, so a long URL wraps with it instead of widening a column.
        doc.push(Block::Table {
            head: vec!["Entry point".into(), "URL → outcome".into()],
            rows: b
                .points
                .iter()
                .map(|p| {
                    let tone = match (&p.hop.response, &p.hop.failure) {
                        (Some(r), None) => status_tone(r.status),
                        _ => Tone::Bad,
                    };
                    vec![
                        vec![styled(p.name.clone(), Tone::Strong)],
                        vec![plain(format!("{} → ", p.url)), styled(p.outcome.clone(), tone)],
                    ]
                })
                .collect(),
        });
        doc.push(Block::Para(vec![styled(b.verdict.clone(), Tone::Strong)]));
        if let (Some(cause), Some(owner)) = (&b.cause, b.owner) {
            let title = culprit_kb::kb().cause(cause).map(|c| c.title.clone()).unwrap_or_default();
            doc.push(Block::Para(vec![
                plain(format!("{title} ")),
                styled(format!("[{cause}]"), Tone::Code),
                plain(" · looks first: "),
                styled(owner.label(), Tone::Owner),
            ]));
        }
    }
    doc.push(Block::Note(vec![plain("culprit explain <code or cause> for the whole picture; --json for the report.")]));
    doc
}

/// One exchange as `curl -v` shows it, then its timings and body. The request lines appear only
/// when the request was sent (not after a failed DNS lookup, connect or TLS handshake).
fn hop_blocks(doc: &mut Doc, hop: &Hop) {
    let mut wire = String::new();
    if let Some(remote) = &hop.remote {
        let _ = write!(wire, "* Connected to {remote}");
        if let Some(tls) = &hop.tls {
            let alpn = tls.alpn.as_deref().map(|a| format!(", ALPN {a}")).unwrap_or_default();
            let unverified = if tls.unverified { ", certificate NOT verified" } else { "" };
            let _ = write!(wire, " ({}{alpn}{unverified})", tls.version);
        }
        wire.push('\n');
    }
    let url: url::Url = hop.url.parse().expect("hop URLs are valid");
    let target = match url.query() {
        Some(q) => format!("{}?{q}", url.path()),
        None => url.path().to_owned(),
    };
    let sent = hop.response.is_some() || hop.timings.send_ms.is_some();
    if sent {
        // The request's version: HTTP/2 when the answer came over it, else HTTP/1.1 (what is sent).
        let version = if hop.response.as_ref().is_some_and(|r| r.version == "HTTP/2") { "HTTP/2" } else { "HTTP/1.1" };
        let _ = writeln!(wire, "> {} {target} {version}", hop.method);
        if !hop.request_headers.iter().any(|(n, _)| n.eq_ignore_ascii_case("host")) {
            let _ = writeln!(wire, "> Host: {}", culprit_probe::exchange::authority(&url));
        }
        for (n, v) in &hop.request_headers {
            let _ = writeln!(wire, "> {n}: {v}");
        }
    }
    if let Some(r) = &hop.response {
        let _ = writeln!(wire, "< {} {} {}", r.version, r.status, r.reason);
        for (n, v) in &r.headers {
            let _ = writeln!(wire, "< {n}: {v}");
        }
    }
    if !wire.trim().is_empty() {
        doc.push(Block::Code { lang: "http", text: fit_lines(wire.trim_end(), usize::MAX) });
    }
    if let Some(f) = &hop.failure {
        let what = if f.timed_out { "timed out" } else { "failed" };
        doc.push(Block::Para(vec![styled(
            format!("{} {what}: {}", capitalise(f.phase.label()), f.message),
            Tone::Bad,
        )]));
    }
    let (phases, bar) = timing_line(hop);
    doc.push(Block::Para(phases));
    if let Some(bar) = bar {
        doc.push(Block::Para(bar));
    }
    if let Some(r) = &hop.response
        && !r.body_preview.is_empty()
    {
        /// Body lines shown (after long lines are folded).
        const BODY_LINES: usize = 12;
        let folded = fit_lines(&r.body_preview, BODY_LINES + 1);
        let lines: Vec<&str> = folded.lines().collect();
        let mut text = lines.iter().take(BODY_LINES).copied().collect::<Vec<_>>().join("\n");
        if lines.len() > BODY_LINES || r.capped {
            let _ = write!(text, "\n… ({} bytes in all)", r.body_bytes);
        }
        doc.push(Block::Code { lang: "text", text });
    }
}

/// Long header values (a Content-Security-Policy, a cookie) and one-line bodies (minified JSON)
/// folded to the report's width under their first line, as verbatim blocks are never wrapped by
/// the renderer; at most `max_lines` lines are produced.
fn fit_lines(text: &str, max_lines: usize) -> String {
    // The renderer indents verbatim blocks by two columns.
    let width = crate::output::width() - 2;
    let mut out: Vec<String> = Vec::new();
    for line in text.lines() {
        if out.len() >= max_lines {
            break;
        }
        if textwrap::core::display_width(line) <= width {
            out.push(line.to_owned());
            continue;
        }
        let options = textwrap::Options::new(width).subsequent_indent("    ").break_words(true);
        out.extend(textwrap::wrap(line, options).into_iter().map(std::borrow::Cow::into_owned));
    }
    out.truncate(max_lines);
    out.join("\n")
}

fn capitalise(s: &str) -> String {
    let mut c = s.chars();
    c.next().map_or(String::new(), |f| f.to_uppercase().chain(c).collect())
}

/// `DNS 1 ms · connect 0.3 ms · TLS 4 ms · wait 120 ms · transfer 2 ms · total 128 ms`, and a bar
/// like httpstat's, each phase's share of the total, on its own line (so neither wraps mid-value).
fn timing_line(hop: &Hop) -> (Line, Option<Line>) {
    /// Cells in the bar.
    const WIDTH: f64 = 30.0;
    let t = &hop.timings;
    let phases = [
        ("DNS", t.dns_ms),
        ("connect", t.connect_ms),
        ("TLS", t.tls_ms),
        ("send", t.send_ms),
        ("wait", t.wait_ms),
        ("transfer", t.transfer_ms),
    ];
    let mut line = Vec::new();
    let mut bar = String::new();
    let mut legend = Vec::new();
    for (name, value) in phases {
        let Some(v) = value else { continue };
        line.push(plain(format!("{name} {} · ", fmt_ms(v))));
        // The share is in 0..=1, so the cell count is in 0..=WIDTH.
        #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
        let cells = if t.total_ms > 0.0 { (v / t.total_ms * WIDTH).round().clamp(0.0, WIDTH) as usize } else { 0 };
        let mark = bar_mark(name);
        bar.extend(std::iter::repeat_n(mark, cells));
        if cells > 0 {
            legend.push(format!("{mark} {name}"));
        }
    }
    line.push(styled(format!("total {}", fmt_ms(t.total_ms)), Tone::Strong));
    // A code span: Markdown shows the brackets as they are, not escaped.
    let bar = (!bar.is_empty())
        .then(|| vec![styled(format!("[{bar}]"), Tone::Code), styled(format!("  {}", legend.join(" · ")), Tone::Dim)]);
    (line, bar)
}

/// The bar's letter for a phase: its initial, except transfer (`x`), which TLS's `t` already has.
fn bar_mark(phase: &str) -> char {
    match phase {
        "transfer" => 'x',
        other => other.chars().next().unwrap_or('?').to_ascii_lowercase(),
    }
}

fn fmt_ms(v: f64) -> String {
    if v < 10.0 {
        format!("{v:.1} ms")
    } else if v < 10_000.0 {
        format!("{v:.0} ms")
    } else {
        format!("{:.1} s", v / 1000.0)
    }
}
