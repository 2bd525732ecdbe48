//! `culprit logs`: read logs, attribute every error, report incidents first.

use super::Status;
use crate::cli::LogsArgs;
use crate::output::doc::{Block, Doc, Line, Tone, plain, status_tone, styled};
use crate::output::emit;
use anyhow::{Context as _, Result};
use culprit_logs::engine::{self, Filter, Options, RequestRecord};
use culprit_logs::formats::Format;
use culprit_logs::incidents;
use culprit_logs::input;
use culprit_logs::report::{self, Incident, LogReport, Share, pct};
use std::io::{IsTerminal, Write};

pub fn run(args: &LogsArgs) -> Result<Status> {
    let sources = match input::expand(&args.paths) {
        Ok(s) => s,
        Err(e) => return unusable(&e.to_string()),
    };
    let format = match (&args.format, &args.nginx_format) {
        (None, None) if args.envoy_format.is_some() => {
            match Format::envoy_custom(args.envoy_format.as_deref().unwrap_or_default()) {
                Ok(f) => Some(f),
                Err(e) => return unusable(&format!("--envoy-format: {e}")),
            }
        }
        (Some(name), _) => match Format::by_name(name) {
            Some(f) => Some(f),
            None => return unusable(&format!("unknown --format '{name}'; known: {}", Format::names().join(", "))),
        },
        (None, Some(f)) => match Format::nginx_custom(f) {
            Ok(f) => Some(f),
            Err(e) => return unusable(&format!("--nginx-format: {e}")),
        },
        (None, None) => None,
    };
    let filter = match filter(args) {
        Ok(f) => f,
        Err(msg) => return unusable(&msg),
    };
    let error_logs = match input::expand(&args.error_log) {
        Ok(s) => s,
        Err(e) => return unusable(&format!("--error-log: {e}")),
    };
    let bucket_ms = match args.bucket.as_deref().map(parse_duration_ms) {
        None => None,
        Some(Some(ms)) => Some(ms),
        Some(None) => return unusable("--bucket: use a duration such as 30s, 1m, 5m or 1h (at least 10s)"),
    };
    let mut opts = Options { format, max_line: args.max_line, filter, error_logs, bucket_ms, ..Options::default() };
    if let Some(t) = args.threads {
        opts.threads = t.max(1);
    }
    let total: u64 = sources.iter().map(input::Source::size_on_disk).sum();
    let bar = progress_bar(total);
    let tick = |n: u64| bar.inc(n);
    let analysis = if args.per_request {
        let mut out = std::io::BufWriter::new(anstream::stdout().lock());
        let mut failed: Option<std::io::Error> = None;
        let mut write = |r: RequestRecord| {
            if failed.is_none() {
                if let Err(e) = serde_json::to_writer(&mut out, &r)
                    .map_err(std::io::Error::from)
                    .and_then(|()| out.write_all(b"\n"))
                {
                    failed = Some(e);
                }
            }
        };
        let a = engine::analyze(&sources, &opts, Some(&mut write), Some(&tick));
        if let Some(e) = failed {
            return Err(e).context("writing per-request output");
        }
        out.flush()?;
        a
    } else {
        engine::analyze(&sources, &opts, None, Some(&tick))
    };
    bar.finish_and_clear();
    for input in &analysis.inputs {
        if let Some(err) = &input.error {
            eprintln!("culprit: {}: {err}", input.path);
        }
    }
    let nothing_read = analysis.stats.parsed == 0;
    if !args.per_request {
        let detection = incidents::detect(&analysis.stats);
        let mut report = report::build(&analysis, &detection);
        if !args.cluster.is_empty() {
            match culprit_cluster::snapshot::Snapshot::load(&args.cluster) {
                Ok(snapshot) => {
                    for p in &snapshot.problems {
                        eprintln!("culprit: --cluster: skipped: {p}");
                    }
                    resolve_pods(&mut report, &snapshot);
                    report.refresh_findings();
                }
                Err(e) => return unusable(&format!("--cluster: {e}")),
            }
        }
        emit(args.output.format(), &report, || doc(&report))?;
    }
    if nothing_read {
        eprintln!("culprit: no request could be read from the input{}", if sources.len() > 1 { "s" } else { "" });
        return Ok(Status::Failure);
    }
    Ok(Status::Success)
}

#[allow(clippy::unnecessary_wraps)] // returned straight from `run`
fn unusable(message: &str) -> Result<Status> {
    eprintln!("culprit: {message}");
    Ok(Status::Unusable)
}

fn progress_bar(total: u64) -> indicatif::ProgressBar {
    if !std::io::stderr().is_terminal() || total < 64 << 20 {
        return indicatif::ProgressBar::hidden();
    }
    let bar = indicatif::ProgressBar::new(total);
    bar.set_style(
        indicatif::ProgressStyle::with_template("{bar:40} {bytes}/{total_bytes} {bytes_per_sec} eta {eta}")
            .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
    );
    bar
}

fn filter(args: &LogsArgs) -> Result<Filter, String> {
    let time = |flag: &str, v: &Option<String>| -> Result<Option<i64>, String> {
        v.as_deref()
            .map(|s| {
                parse_time(s)
                    .ok_or_else(|| format!("{flag} '{s}': not a time (try 2026-03-08T14:00:00Z or '2026-03-08 14:00')"))
            })
            .transpose()
    };
    let statuses = match &args.status {
        None => Vec::new(),
        Some(list) => list.split(',').map(|s| parse_status_range(s.trim())).collect::<Result<_, _>>()?,
    };
    Ok(Filter {
        since_ms: time("--since", &args.since)?,
        until_ms: time("--until", &args.until)?,
        service: args.service.clone(),
        statuses,
    })
}

/// `30s`, `1m`, `5m`, `1h`, `1d` → milliseconds (at least 10 s, the base resolution).
fn parse_duration_ms(s: &str) -> Option<i64> {
    let s = s.trim();
    let split = s.find(|c: char| !c.is_ascii_digit())?;
    let n: i64 = s[..split].parse().ok()?;
    let unit = match &s[split..] {
        "s" => 1_000,
        "m" | "min" => 60_000,
        "h" => 3_600_000,
        "d" => 86_400_000,
        _ => return None,
    };
    Some(n * unit).filter(|ms| *ms >= 10_000 && ms % 10_000 == 0)
}

fn parse_time(s: &str) -> Option<i64> {
    let s = s.trim();
    // '2026-03-08 14:00' (no seconds) is accepted too.
    let padded = if s.len() == 16 { format!("{s}:00") } else { s.to_string() };
    culprit_logs::time::parse_any(padded.as_bytes())
}

fn parse_status_range(s: &str) -> Result<(u16, u16), String> {
    let bad = || format!("--status '{s}': use codes (502), classes (5xx) or ranges (500-504)");
    if let Some(c) = s.strip_suffix("xx").or_else(|| s.strip_suffix("XX")) {
        let d: u16 = c.parse().map_err(|_| bad())?;
        return if (1..=5).contains(&d) { Ok((d * 100, d * 100 + 99)) } else { Err(bad()) };
    }
    if let Some((a, b)) = s.split_once('-') {
        return Ok((a.parse().map_err(|_| bad())?, b.parse().map_err(|_| bad())?));
    }
    let c: u16 = s.parse().map_err(|_| bad())?;
    Ok((c, c))
}

fn num(n: u64) -> String {
    let s = n.to_string();
    let mut out = String::new();
    for (i, c) in s.chars().enumerate() {
        if i > 0 && (s.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// `--cluster`: the pod behind each incident's upstream addresses (the headline names the pod
/// that took most of the errors), the Service behind its service name with what the cluster checks
/// say about it, and the next steps' `<pod>`, `<namespace>` and `<service>` filled in.
fn resolve_pods(report: &mut LogReport, snapshot: &culprit_cluster::snapshot::Snapshot) {
    use culprit_cluster::logs_join;
    for inc in &mut report.incidents {
        for share in &mut inc.upstreams {
            share.resolved = culprit_cluster::route::pod_at(snapshot, &share.key);
        }
        let top_pod = inc
            .upstreams
            .first()
            .filter(|u| u.share >= 0.5)
            .and_then(|u| culprit_cluster::route::pod_named_at(snapshot, &u.key));
        if let Some(top) = inc.upstreams.first()
            && let Some(pod) = &top.resolved
        {
            let before = format!("went to {}.", top.key);
            inc.headline = inc.headline.replace(&before, &format!("went to {} = {pod}.", top.key));
        }
        let service = logs_join::service_for(snapshot, &inc.service);
        let namespace =
            service.and_then(|s| s.metadata.namespace.clone()).or_else(|| top_pod.as_ref().map(|(ns, _)| ns.clone()));
        for step in &mut inc.next_steps {
            if let Some((_, pod)) = &top_pod {
                step.command = step.command.replace("<pod>", pod);
            }
            if let Some(ns) = &namespace {
                step.command = step.command.replace("<namespace>", ns);
            }
            if let Some(name) = service.and_then(|s| s.metadata.name.as_deref()) {
                step.command = step.command.replace("<service>", name);
            }
        }
        if let Some(svc) = service {
            inc.cluster = Some(culprit_logs::report::ClusterContext {
                service: logs_join::service_summary(snapshot, svc),
                findings: logs_join::findings_for_service(snapshot, svc),
            });
        }
    }
}

fn shares_line(label: &str, shares: &[Share]) -> Line {
    let mut line = vec![styled(format!("{label}: "), Tone::Strong)];
    for (i, s) in shares.iter().enumerate() {
        if i > 0 {
            line.push(plain(" · "));
        }
        line.push(styled(s.key.clone(), Tone::Code));
        if let Some(r) = &s.resolved {
            line.push(plain(format!(" = {r}")));
        }
        line.push(plain(format!(" {} ({})", pct(s.share), num(s.count))));
    }
    line
}

fn doc(r: &LogReport) -> Doc {
    let mut d = Doc::default();
    let span = match (&r.start, &r.end) {
        (Some(s), Some(e)) => format!("{} → {} UTC", s.replace('T', " ").trim_end_matches('Z'), &e[11..19]),
        _ => "no timestamps".into(),
    };
    d.push(Block::Title(vec![
        styled("culprit logs", Tone::Strong),
        plain(format!(
            " — {} requests, {} errors ({}), {span}, {} input{}",
            num(r.requests),
            num(r.errors),
            pct(if r.requests == 0 { 0.0 } else { r.errors as f64 / r.requests as f64 }),
            r.inputs.len(),
            if r.inputs.len() == 1 { "" } else { "s" }
        )),
    ]));
    if let Some(f) = &r.filter {
        d.push(Block::Para(vec![
            styled("Showing ", Tone::Dim),
            plain(f.description.clone()),
            styled(
                format!(
                    ": {} requests, {} errors. Baselines and rates are computed on all the traffic.",
                    num(f.requests),
                    num(f.errors)
                ),
                Tone::Dim,
            ),
        ]));
    }
    if r.incidents.is_empty() {
        d.push(Block::Para(vec![styled(
            if r.filter.is_some() {
                "No incident among what the filter shows: no such service's error rate rose significantly above \
                 its own baseline."
            } else {
                "No incident: no service's error rate rose significantly above its own baseline."
            },
            Tone::Good,
        )]));
    }
    for inc in &r.incidents {
        incident(&mut d, inc);
    }
    if !r.redirect_loops.is_empty() {
        d.push(Block::Heading("Redirect loops (a client sent round in circles)".into()));
        let bullets = r
            .redirect_loops
            .iter()
            .map(|l| {
                let hops = l
                    .paths
                    .iter()
                    .map(|p| {
                        let to = p.location.as_deref().map(|l| format!(" → {l}")).unwrap_or_default();
                        format!("{} {} ×{}{to}", p.status, p.path, num(p.count))
                    })
                    .collect::<Vec<_>>()
                    .join(" · ");
                let host = if l.host.is_empty() || l.host == "-" { String::new() } else { format!(" on {}", l.host) };
                let by = match l.generated_by.as_str() {
                    "upstream" => "answered by the application",
                    "proxy" => "answered by the proxy",
                    "both" => "answered by the proxy and the application",
                    _ => "who answered cannot be told from this format",
                };
                vec![
                    plain(format!("client {}{host}: {} redirects, ", l.client, num(l.redirects))),
                    plain(hops),
                    styled(format!(" ({by}; {} looks first)", l.owner.label()), Tone::Dim),
                ]
            })
            .collect();
        d.push(Block::Bullets(bullets));
        d.push(Block::Para(vec![styled("culprit explain redirect_loop for the usual causes and fixes", Tone::Dim)]));
    }
    if !r.chronic.is_empty() {
        d.push(Block::Heading("Chronic errors (present all along, not a spike)".into()));
        d.push(Block::Table {
            head: vec![
                "Service".into(),
                "Status".into(),
                "Cause".into(),
                "Errors".into(),
                "Rate".into(),
                "Owner".into(),
            ],
            rows: r
                .chronic
                .iter()
                .map(|c| {
                    vec![
                        vec![plain(c.service.clone())],
                        vec![styled(c.status.to_string(), status_tone(c.status))],
                        vec![styled(c.cause.clone(), Tone::Code)],
                        vec![plain(num(c.errors))],
                        vec![plain(pct(c.rate))],
                        vec![plain(c.owner.id())],
                    ]
                })
                .collect(),
        });
    }
    if !r.services.is_empty() {
        d.push(Block::Heading("Services".into()));
        d.push(Block::Table {
            head: vec!["Service".into(), "Requests".into(), "Errors".into(), "Rate".into(), "Top errors".into()],
            rows: r
                .services
                .iter()
                .take(12)
                .map(|s| {
                    let top = s
                        .top_errors
                        .iter()
                        .take(3)
                        .map(|t| format!("{} ({})", t.key, num(t.count)))
                        .collect::<Vec<_>>()
                        .join(", ");
                    vec![
                        vec![plain(s.service.clone())],
                        vec![plain(num(s.requests))],
                        vec![plain(num(s.errors))],
                        vec![plain(pct(s.error_rate))],
                        vec![plain(top)],
                    ]
                })
                .collect(),
        });
    }
    if r.timeline.len() > 1 {
        let step = r.timeline.get(1).map_or(String::new(), |t1| {
            let secs = culprit_logs::time::parse_iso(t1.start.as_bytes()).unwrap_or(0)
                - culprit_logs::time::parse_iso(r.timeline[0].start.as_bytes()).unwrap_or(0);
            format!(" (one row = {})", duration(secs / 1000))
        });
        d.push(Block::Heading(format!("Timeline{step}")));
        let max_rate = r.timeline.iter().map(row_rate).fold(0.0, f64::max);
        d.push(Block::Table {
            head: vec![
                "UTC".into(),
                "Requests".into(),
                "4xx".into(),
                "5xx".into(),
                "Other".into(),
                "Error rate".into(),
            ],
            rows: r
                .timeline
                .iter()
                .map(|t| {
                    let rate = row_rate(t);
                    vec![
                        vec![plain(t.start[11..16].to_string())],
                        vec![plain(num(t.requests))],
                        vec![plain(num(t.client_errors))],
                        vec![styled(num(t.server_errors), if t.server_errors > 0 { Tone::Bad } else { Tone::Plain })],
                        vec![plain(num(t.other_errors))],
                        vec![plain(format!("{} {}", bar(rate, max_rate), pct(rate)))],
                    ]
                })
                .collect(),
        });
    }
    inputs(&mut d, r);
    d
}

fn row_rate(t: &report::TimelineRow) -> f64 {
    if t.requests == 0 { 0.0 } else { (t.client_errors + t.server_errors + t.other_errors) as f64 / t.requests as f64 }
}

fn bar(rate: f64, max: f64) -> String {
    const WIDTH: f64 = 20.0;
    if max <= 0.0 {
        return String::new();
    }
    #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
    let n = ((rate / max) * WIDTH).round() as usize;
    "█".repeat(n)
}

fn duration(secs: i64) -> String {
    match secs {
        s if s % 3600 == 0 && s >= 3600 => format!("{} h", s / 3600),
        s if s % 60 == 0 && s >= 60 => format!("{} min", s / 60),
        s => format!("{s} s"),
    }
}

fn incident(d: &mut Doc, inc: &Incident) {
    let service = if inc.service == culprit_logs::stats::NO_SERVICE {
        "all requests (this format names no service)"
    } else {
        inc.service.as_str()
    };
    d.push(Block::Heading(format!("Incident {} — {service}", inc.rank)));
    d.push(Block::Para(vec![styled(inc.headline.clone(), Tone::Strong)]));
    d.push(Block::Table {
        head: vec![
            "Status".into(),
            "Cause".into(),
            "Errors".into(),
            "Peak".into(),
            "Generated by".into(),
            "Owner".into(),
            "Confidence".into(),
        ],
        rows: inc
            .causes
            .iter()
            .map(|c| {
                vec![
                    vec![styled(c.status.to_string(), status_tone(c.status))],
                    vec![styled(c.cause.clone(), Tone::Code)],
                    vec![plain(num(c.errors))],
                    vec![plain(pct(c.peak_rate))],
                    vec![plain(c.generated_by.id())],
                    vec![styled(c.owner.id(), Tone::Owner)],
                    vec![plain(format!("{:?}", c.confidence).to_lowercase())],
                ]
            })
            .collect(),
    });
    let primary = &inc.causes[0];
    let mut bullets: Vec<Line> = primary
        .evidence
        .iter()
        .map(|e| vec![styled(format!("{}: ", e.source), Tone::Dim), plain(e.value.clone())])
        .collect();
    if let Some(ex) = &primary.example {
        let mut line = vec![
            styled("example: ", Tone::Dim),
            styled(format!("{}:{}", ex.file, ex.line), Tone::Code),
            plain(format!(" {}", ex.request)),
        ];
        if let Some(id) = &ex.request_id {
            line.push(plain(format!(" request_id={id}")));
        }
        bullets.push(line);
    }
    if !inc.upstreams.is_empty() {
        bullets.push(shares_line("upstreams", &inc.upstreams));
    }
    if !inc.paths.is_empty() {
        bullets.push(shares_line("paths", &inc.paths));
    }
    d.push(Block::Bullets(bullets));
    if let Some(cluster) = &inc.cluster {
        let verdict = match cluster.findings.len() {
            0 => " — no finding about it, its pods or workloads".to_owned(),
            n => format!(" — {n} finding{} about it, its pods or workloads:", if n == 1 { "" } else { "s" }),
        };
        d.push(Block::Para(vec![styled("Cluster: ", Tone::Strong), plain(cluster.service.clone()), plain(verdict)]));
        super::cluster::findings_blocks(d, &cluster.findings);
    }
    if !inc.next_steps.is_empty() {
        d.push(Block::Para(vec![
            styled("Next steps", Tone::Strong),
            styled(format!(" (culprit explain {} --full for more)", primary.cause), Tone::Dim),
        ]));
        d.push(Block::Numbered(
            inc.next_steps
                .iter()
                .map(|s| (vec![plain(s.title.clone())], vec![Block::Code { lang: "sh", text: s.command.clone() }]))
                .collect(),
        ));
    }
}

fn inputs(d: &mut Doc, r: &LogReport) {
    d.push(Block::Heading("Inputs".into()));
    let mut bullets: Vec<Line> = r
        .inputs
        .iter()
        .map(|i| {
            let mut line = vec![styled(i.path.clone(), Tone::Code), plain(format!(": {} lines", num(i.lines)))];
            if let Some(f) = &i.format {
                line.push(plain(format!(", {f}")));
            }
            if let Some(w) = &i.wrapper {
                line.push(plain(format!(" in {w} wrapper")));
            }
            if i.gzip {
                line.push(plain(", gzip"));
            }
            if let Some(e) = &i.error {
                line.push(styled(format!(" — {e}"), Tone::Warn));
            }
            line
        })
        .collect();
    if !r.environment.is_kubernetes() && r.incidents.iter().any(|i| !i.next_steps.is_empty()) {
        bullets.push(vec![styled(format!("next steps without kubectl: {}", r.environment.reason), Tone::Dim)]);
    }
    if let Some(j) = &r.join {
        let mut line = vec![plain(format!(
            "error log: {} lines read, {} with a message culprit uses, {} explained a request, {} left over",
            num(j.lines),
            num(j.usable),
            num(j.used),
            num(j.left_over)
        ))];
        if j.inconsistent > 0 {
            line.push(styled(
                format!("; {} candidates left out because they contradicted the access line", num(j.inconsistent)),
                Tone::Dim,
            ));
        }
        if j.ambiguous > 0 {
            line.push(styled(format!("; {} requests had several fitting messages", num(j.ambiguous)), Tone::Dim));
        }
        bullets.push(line);
        if j.assumed_utc > 0 {
            bullets.push(vec![styled(
                format!(
                    "{} joins compared the error log's local times with access lines that give no time zone: \
                     both were taken as UTC",
                    num(j.assumed_utc)
                ),
                Tone::Warn,
            )]);
        }
    }
    let u = &r.unparsed;
    if u.count > 0 {
        let reasons = u.by_reason.iter().map(|s| format!("{} {}", num(s.count), s.key)).collect::<Vec<_>>().join(", ");
        bullets
            .push(vec![styled(format!("{} lines not read", num(u.count)), Tone::Warn), plain(format!(": {reasons}"))]);
        for s in u.samples.iter().take(3) {
            bullets.push(vec![
                styled(format!("{}:{} ", s.file, s.line), Tone::Dim),
                plain(s.text.chars().take(120).collect::<String>()),
            ]);
        }
    }
    if u.other_lines > 0 {
        bullets.push(vec![styled(
            format!("{} other lines skipped (error log, controller log, blank)", num(u.other_lines)),
            Tone::Dim,
        )]);
    }
    d.push(Block::Bullets(bullets));
}
