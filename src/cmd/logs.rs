//! `culprit logs`: read logs, attribute every error, report incidents first.

use super::Status;
use crate::cli::LogsArgs;
use crate::output::doc::{Block, Doc, Line, Tone, plain, status_tone, styled};
use crate::output::emit;
use crate::output::escape_controls;
use anyhow::{Context as _, Result};
use culprit_logs::engine::{self, Filter, Options, RequestRecord};
use culprit_logs::formats::Format;
use culprit_logs::incidents;
use culprit_logs::input;
use culprit_logs::report::thousands as num;
use culprit_logs::report::{self, Incident, LogReport, Share, pct};
use std::fmt::Write as _;
use std::io::{IsTerminal, Write};

pub fn run(args: &LogsArgs) -> Result<Status> {
    if args.html.as_ref().is_some_and(|p| p.as_os_str() == "-")
        && args.output.format() != crate::output::Format::Terminal
    {
        return unusable(
            "--html - writes the page to stdout: it cannot share it with --json or --markdown (give --html a file)",
        );
    }
    // No path: read stdin when it is a pipe (`kubectl logs … | culprit logs`).
    let stdin = [std::path::PathBuf::from("-")];
    let paths: &[std::path::PathBuf] = match (args.paths.is_empty(), std::io::stdin().is_terminal()) {
        (false, _) => &args.paths,
        (true, false) => &stdin,
        (true, true) => {
            return unusable(
                "give the logs to read: files, directories, or - for stdin (or pipe them in: kubectl logs … | culprit logs)",
            );
        }
    };
    let sources = match input::expand(paths) {
        Ok(s) => s,
        Err(e) => return unusable(&e.to_string()),
    };
    let format = match format_from(
        args.format.as_deref(),
        args.nginx_format.as_deref(),
        args.envoy_format.as_deref(),
        args.haproxy_format.as_deref(),
        args.apache_format.as_deref(),
    ) {
        Ok(f) => f,
        Err(msg) => return unusable(&msg),
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
    let timeouts = match args.proxy_timeouts.as_deref().map(parse_timeouts).transpose() {
        Ok(t) => t,
        Err(msg) => return unusable(&format!("--proxy-timeouts: {msg}")),
    };
    let mut opts =
        Options { format, max_line: args.max_line, filter, error_logs, bucket_ms, timeouts, ..Options::default() };
    if let Some(t) = args.threads {
        opts.threads = t.max(1);
    }
    // The cluster first: its timeouts per service inform attribution, its pods and Services the
    // report.
    let snapshot = if args.cluster.is_empty() {
        None
    } else {
        match culprit_cluster::snapshot::Snapshot::load(&args.cluster) {
            Ok(snapshot) => {
                for p in &snapshot.problems {
                    eprintln!("culprit: --cluster: skipped: {}", escape_controls(p));
                }
                Some(std::sync::Arc::new(snapshot))
            }
            Err(e) => return unusable(&format!("--cluster: {e}")),
        }
    };
    if let Some(snap) = &snapshot {
        let snap = std::sync::Arc::clone(snap);
        opts.service_timeouts = Some(std::sync::Arc::new(move |name: &str| {
            culprit_kb::context::ClusterFacts::proxy_timeouts(&*snap, name)
        }));
    }
    let total: u64 = sources.iter().map(input::Source::size_on_disk).sum();
    let bar = progress_bar(total);
    let tick = |n: u64| bar.inc(n);
    let analysis = if args.per_request {
        let mut out = std::io::BufWriter::new(anstream::stdout().lock());
        let mut failed: Option<std::io::Error> = None;
        // A closed output (`| head`) stops the reading: nothing more would be seen.
        let cancel = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
        opts.cancel = Some(cancel.clone());
        let mut write = |r: RequestRecord| {
            if failed.is_none() {
                if let Err(e) = serde_json::to_writer(&mut out, &r)
                    .map_err(std::io::Error::from)
                    .and_then(|()| out.write_all(b"\n"))
                {
                    failed = Some(e);
                    cancel.store(true, std::sync::atomic::Ordering::Relaxed);
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
            eprintln!("culprit: {}: {}", escape_controls(&input.path), escape_controls(err));
        }
    }
    let unrecognised = analysis
        .inputs
        .iter()
        .filter(|i| {
            // A binary input gets no list of text formats: it is not a log of any of them.
            i.error
                .as_deref()
                .is_some_and(|e| e.starts_with(culprit_logs::pipeline::UNRECOGNISED) && !e.contains("(binary data"))
        })
        .count();
    if unrecognised > 0 {
        eprintln!("culprit: {}", culprit_logs::pipeline::formats_hint());
    }
    let nothing_read = (analysis.stats.matched == 0).then(|| nothing_counted(args, &analysis));
    if !args.per_request {
        let detection = incidents::detect(&analysis.stats);
        let facts = snapshot.as_deref().map(|s| s as &dyn culprit_kb::context::ClusterFacts);
        let report = report::build_with(&analysis, &detection, facts);
        let mut html_on_stdout = false;
        if let Some(path) = &args.html {
            // The same page `culprit serve` shows, as one file: the report as built, rendered.
            let view = culprit_web::report::ReportView::new(&analysis, report.clone());
            let html = culprit_web::report::standalone(&view);
            if path.as_os_str() == "-" {
                // `--html -`: the page is the output (`… --html - > report.html`, or a pipe).
                std::io::Write::write_all(&mut std::io::stdout().lock(), html.as_bytes())
                    .context("--html -: writing")?;
                html_on_stdout = true;
            } else {
                std::fs::write(path, &html).with_context(|| format!("--html: writing {}", path.display()))?;
                eprintln!("culprit: wrote {} ({} KiB)", path.display(), html.len().div_ceil(1024));
            }
        }
        if !html_on_stdout {
            emit(args.output.format(), &report, || doc(&report, nothing_read.as_deref()))?;
        }
    }
    if let Some(why) = nothing_read {
        eprintln!("culprit: {why}");
        return Ok(Status::Failure);
    }
    Ok(Status::Success)
}

/// The format forced by `--format`, `--nginx-format`, `--envoy-format`, `--haproxy-format` or
/// `--apache-format` (`logs` and `watch` take the same flags); `None`: sniff each input.
pub(super) fn format_from(
    format: Option<&str>,
    nginx_format: Option<&str>,
    envoy_format: Option<&str>,
    haproxy_format: Option<&str>,
    apache_format: Option<&str>,
) -> Result<Option<Format>, String> {
    Ok(match (format, nginx_format) {
        (None, None) if haproxy_format.is_some() => match Format::haproxy_custom(haproxy_format.unwrap_or_default()) {
            Ok(f) => Some(f),
            Err(e) => return Err(format!("--haproxy-format: {e}")),
        },
        (None, None) if apache_format.is_some() => match Format::apache_custom(apache_format.unwrap_or_default()) {
            Ok(f) => Some(f),
            Err(e) => return Err(format!("--apache-format: {e}")),
        },
        (None, None) if envoy_format.is_some() => match Format::envoy_custom(envoy_format.unwrap_or_default()) {
            Ok(f) => Some(f),
            Err(e) => return Err(format!("--envoy-format: {e}")),
        },
        (Some(name), _) => match Format::by_name(name) {
            Some(f) => Some(f),
            None if name.eq_ignore_ascii_case("nginx") => {
                return Err("--format nginx: which one? combined (nginx's default log_format), upstreaminfo \
                     (ingress-nginx's default), or --nginx-format '…' for your own log_format; without \
                     --format culprit recognises them itself"
                    .into());
            }
            None => {
                return Err(format!(
                    "unknown --format '{name}'; known (aliases in brackets): {}",
                    Format::names_and_aliases()
                ));
            }
        },
        (None, Some(f)) => match Format::nginx_custom(f) {
            Ok(f) => Some(f),
            Err(e) => return Err(format!("--nginx-format: {e}")),
        },
        (None, None) => None,
    })
}

/// Why no request was counted, in words: the input was empty, the filters matched none of the
/// requests read (saying what they missed: the services and the time span seen), or no line could
/// be read as a request.
fn nothing_counted(args: &LogsArgs, a: &engine::Analysis) -> String {
    /// Services named when a filter matched nothing.
    const SHOWN: usize = 8;
    let stats = &a.stats;
    let inputs = |n: usize| if n == 1 { "the input".to_owned() } else { format!("the {n} inputs") };
    // Requests were read, but the filters show none of them.
    if stats.parsed > 0 {
        let mut filters = Vec::new();
        if let Some(s) = &args.service {
            filters.push(format!("--service {s}"));
        }
        if let Some(s) = &args.status {
            filters.push(format!("--status {s}"));
        }
        for (flag, value, ms) in
            [("--since", &args.since, a_filter_ms(args, true)), ("--until", &args.until, a_filter_ms(args, false))]
        {
            if let (Some(v), Some(ms)) = (value, ms) {
                let utc = culprit_logs::time::format_utc(ms);
                filters.push(if v.trim() == utc || v.trim() == &utc[..16] {
                    format!("{flag} {v}")
                } else {
                    format!("{flag} {v} = {utc} UTC")
                });
            }
        }
        let mut msg =
            format!("the filters ({}) matched none of the {} requests read", filters.join(", "), num(stats.parsed));
        if let (Some(first), Some(last)) = (stats.first_ms, stats.last_ms) {
            let _ = write!(
                msg,
                "; they span {} → {} UTC",
                culprit_logs::time::format_utc(first),
                culprit_logs::time::format_utc(last)
            );
            let relative = [&args.since, &args.until].into_iter().flatten().find(|v| parse_relative_ms(v).is_some());
            if let Some(v) = relative {
                let _ = write!(
                    msg,
                    "; {v} counts back from now: for an older log give a time, such as --since '{}'",
                    &culprit_logs::time::format_utc(first)[..16]
                );
            }
        }
        if args.service.is_some() {
            let mut services: Vec<(&str, u64)> = stats.services.iter().map(|s| (s.name.as_str(), s.requests)).collect();
            services.sort_by(|x, y| y.1.cmp(&x.1).then(x.0.cmp(y.0)));
            let listed: Vec<String> = services
                .iter()
                .take(SHOWN)
                .map(|(name, n)| format!("{} ({})", escape_controls(name), num(*n)))
                .collect();
            let more = services.len().saturating_sub(SHOWN);
            let _ = write!(msg, "; services seen (--service matches part of a name): {}", listed.join(", "));
            if more > 0 {
                let _ = write!(msg, " and {more} more");
            }
        }
        return msg;
    }
    if stats.lines == 0 {
        let unreadable = a.inputs.iter().filter(|i| i.error.is_some()).count();
        return match (a.inputs.len(), unreadable) {
            (_, n) if n > 0 => format!("{} could not be read", inputs(n)),
            (1, _) => format!("{} is empty: there is no line to read", escape_controls(&a.inputs[0].path)),
            (n, _) => format!("{} are empty: there is no line to read", inputs(n)),
        };
    }
    let mut msg = format!(
        "no request could be read from {}: none of its {} lines is an access-log line culprit could read",
        inputs(a.inputs.len()),
        num(stats.lines)
    );
    if let Some(f) = &args.format {
        let _ = write!(msg, "; is --format {f} right? Without it culprit recognises the format itself");
    }
    msg
}

/// The resolved `--since` (or `--until`) in Unix milliseconds, for messages.
fn a_filter_ms(args: &LogsArgs, since: bool) -> Option<i64> {
    let value = if since { args.since.as_deref() } else { args.until.as_deref() }?;
    parse_when(value, now_ms()).ok()
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
    let now = now_ms();
    let time = |flag: &str, v: &Option<String>| -> Result<Option<i64>, String> {
        v.as_deref().map(|s| parse_when(s, now).map_err(|e| format!("{flag} '{s}': {e}"))).transpose()
    };
    let statuses = match &args.status {
        None => Vec::new(),
        Some(list) => list.split(',').map(|s| parse_status_range(s.trim())).collect::<Result<_, _>>()?,
    };
    let since_ms = time("--since", &args.since)?;
    let until_ms = time("--until", &args.until)?;
    if let (Some(s), Some(u)) = (since_ms, until_ms)
        && s >= u
    {
        return Err(format!(
            "--since {} is not before --until {}: no request can be in between",
            culprit_logs::time::format_utc(s),
            culprit_logs::time::format_utc(u)
        ));
    }
    Ok(Filter { since_ms, until_ms, service: args.service.clone(), statuses })
}

fn now_ms() -> i64 {
    let since_epoch = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap_or_default();
    i64::try_from(since_epoch.as_millis()).unwrap_or(i64::MAX)
}

/// `30s`, `1m`, `5m`, `1h`, `1d` → milliseconds (at least 10 s, the base resolution).
/// `connect=3s,read=120s` (either or both; `ms`, `s`, `m`): the proxy's timeouts over the
/// format's defaults.
pub(super) fn parse_timeouts(list: &str) -> Result<culprit_logs::attribute::TimeoutOverride, String> {
    let mut t = culprit_logs::attribute::TimeoutOverride::default();
    for part in list.split(',').map(str::trim).filter(|p| !p.is_empty()) {
        let (key, value) = part.split_once('=').ok_or_else(|| format!("'{part}': use connect=5s,read=60s"))?;
        let v = value.trim();
        let (n, unit) = v.split_at(v.find(|c: char| !c.is_ascii_digit() && c != '.').unwrap_or(v.len()));
        let bad = || format!("'{value}' is not a duration (5s, 500ms, 2m)");
        let n: f64 = n.parse().map_err(|_| bad())?;
        let secs = match unit {
            "ms" => n / 1000.0,
            "" | "s" => n,
            "m" => n * 60.0,
            _ => return Err(bad()),
        };
        match key.trim() {
            "connect" => t.connect = Some(secs),
            "read" => t.read = Some(secs),
            other => return Err(format!("unknown timeout '{other}': use connect and read")),
        }
    }
    if t.connect.is_none() && t.read.is_none() {
        return Err("give connect=…, read=… or both".into());
    }
    Ok(t)
}

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

/// A span back from now as `kubectl logs --since` and journalctl take it: `1h`, `15m`, `1h30m`,
/// `90s`, `2d`, `1w`, systemd's unit words with or without spaces (`1 hour ago`, `2 hours 30 min`,
/// `45 seconds`), optionally written `-1h` or `… ago`. Milliseconds.
fn parse_relative_ms(s: &str) -> Option<i64> {
    let s = s.trim();
    let s = s.strip_prefix('-').or_else(|| s.strip_suffix("ago")).unwrap_or(s).trim();
    if s.is_empty() {
        return None;
    }
    let mut rest = s;
    let mut total: i64 = 0;
    while !rest.is_empty() {
        let digits = rest.find(|c: char| !c.is_ascii_digit())?;
        let n: i64 = rest[..digits].parse().ok()?;
        rest = rest[digits..].trim_start();
        let unit_len = rest.find(|c: char| c.is_ascii_digit() || c.is_whitespace()).unwrap_or(rest.len());
        // systemd.time(7)'s time span units.
        let unit = match &rest[..unit_len] {
            "s" | "sec" | "second" | "seconds" => 1_000,
            "m" | "min" | "minute" | "minutes" => 60_000,
            "h" | "hr" | "hour" | "hours" => 3_600_000,
            "d" | "day" | "days" => 86_400_000,
            "w" | "week" | "weeks" => 7 * 86_400_000,
            _ => return None,
        };
        total = total.checked_add(n.checked_mul(unit)?)?;
        rest = rest[unit_len..].trim_start();
    }
    Some(total)
}

/// `--since`/`--until` to Unix milliseconds: RFC 3339 (any offset), `2026-03-08 14:00[:05]` and
/// `2026-03-08T14:00` (UTC), a bare date (midnight UTC), epoch seconds, nginx's
/// `08/Mar/2026:14:00:00 +0000`, `now`/`today`/`yesterday` (UTC), or a span back from `now_ms`.
fn parse_when(s: &str, now_ms: i64) -> Result<i64, String> {
    const DAY: i64 = 86_400_000;
    let t = s.trim();
    match t.to_ascii_lowercase().as_str() {
        "now" => return Ok(now_ms),
        "today" => return Ok(now_ms - now_ms.rem_euclid(DAY)),
        "yesterday" => return Ok(now_ms - now_ms.rem_euclid(DAY) - DAY),
        _ => {}
    }
    if let Some(ms) = parse_relative_ms(t) {
        return Ok(now_ms - ms);
    }
    let b = t.as_bytes();
    // A date that does not exist (2026-02-30) must not roll over into the next month.
    let date_ok = |b: &[u8]| {
        let num = |r: std::ops::Range<usize>| t.get(r).and_then(|x| x.parse::<u32>().ok());
        if b.len() < 10 || b[4] != b'-' || b[7] != b'-' {
            return true; // not this shape: left to the parser
        }
        match (num(0..4), num(5..7), num(8..10)) {
            (Some(y), Some(m), Some(d)) if (1..=12).contains(&m) && d >= 1 => {
                let days = culprit_logs::time::days_from_civil(i64::from(y), m, d);
                culprit_logs::time::civil_from_days(days) == (i64::from(y), m, d)
            }
            _ => false,
        }
    };
    let dated = b.len() >= 10 && b[4] == b'-' && b[7] == b'-';
    let padded = match b.len() {
        // 2026-03-08
        10 if dated => format!("{t}T00:00:00Z"),
        // 2026-03-08 14:00 or 2026-03-08T14:00
        16 if dated => format!("{t}:00"),
        _ => t.to_owned(),
    };
    culprit_logs::time::parse_any(padded.as_bytes()).filter(|_| date_ok(b)).ok_or_else(|| {
        "not a time; use 2026-03-08T14:00:00Z (RFC 3339), '2026-03-08 14:00' (UTC), 2026-03-08, epoch \
         seconds, or a span back from now such as 1h, 15m, 1h30m, 2d or '1 hour ago'"
            .to_owned()
    })
}

/// A `--status` item: a code (100–599, or 0 and 009, which proxies log when no HTTP status was
/// sent or received), a class (`5xx`) or a range of codes (`500-504`).
fn parse_status_range(s: &str) -> Result<(u16, u16), String> {
    let bad = || {
        format!(
            "--status '{s}': use codes 100–599 (502), classes 1xx–5xx (5xx), ranges (500-504), or 0 \
             and 009 (logged when no HTTP status was sent or received)"
        )
    };
    let code = |c: &str| -> Result<u16, String> {
        let n: u16 = c.trim().parse().map_err(|_| bad())?;
        if (100..=599).contains(&n) || n == 0 || (n == 9 && c.trim() == "009") { Ok(n) } else { Err(bad()) }
    };
    if let Some(c) = s.strip_suffix("xx").or_else(|| s.strip_suffix("XX")) {
        let d: u16 = c.parse().map_err(|_| bad())?;
        return if (1..=5).contains(&d) { Ok((d * 100, d * 100 + 99)) } else { Err(bad()) };
    }
    if let Some((a, b)) = s.split_once('-') {
        let (a, b) = (code(a)?, code(b)?);
        return if a <= b { Ok((a, b)) } else { Err(format!("--status '{s}': the range is backwards ({b}-{a}?)")) };
    }
    let c = code(s)?;
    Ok((c, c))
}

/// `1 line`, `2,048 lines`.
fn lines_word(n: u64) -> String {
    counted(n, "line")
}

/// `1 request`, `2,048 requests`: a count with its noun.
fn counted(n: u64, noun: &str) -> String {
    format!("{} {noun}{}", num(n), if n == 1 { "" } else { "s" })
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

/// The report as a document; `nothing_counted` says why no request was counted, if none was.
pub(crate) fn doc(r: &LogReport, nothing_counted: Option<&str>) -> Doc {
    let mut d = Doc::default();
    let span = match (&r.start, &r.end) {
        (Some(s), Some(e)) => format!("{} → {} UTC", s.replace('T', " ").trim_end_matches('Z'), &e[11..19]),
        _ => "no timestamps".into(),
    };
    d.push(Block::Title(vec![
        styled("culprit logs", Tone::Strong),
        plain(format!(
            " — {}, {} ({}), {span}, {} input{}",
            counted(r.requests, "request"),
            counted(r.errors, "error"),
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
                    ": {}, {}. Baselines and rates are computed on all the traffic.",
                    counted(f.requests, "request"),
                    counted(f.errors, "error")
                ),
                Tone::Dim,
            ),
        ]));
    }
    if let Some(why) = nothing_counted {
        d.push(Block::Para(vec![styled(format!("No request counted: {why}."), Tone::Warn)]));
    } else if r.incidents.is_empty() {
        d.push(Block::Para(vec![styled(
            if r.filter.is_some() {
                "No incident among what the filter shows: no service's error rate rose significantly above \
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
        let at = |i: usize| culprit_logs::time::parse_iso(r.timeline[i].start.as_bytes()).unwrap_or(0) / 1000;
        let step = at(1) - at(0);
        d.push(Block::Heading(format!("Timeline (one row = {})", duration(step))));
        let max_rate = r.timeline.iter().map(row_rate).fold(0.0, f64::max);
        let several_days = r.timeline.first().map(|t| &t.start[..10]) != r.timeline.last().map(|t| &t.start[..10]);
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
                        vec![plain(row_label(&t.start, step, several_days))],
                        vec![plain(num(t.requests))],
                        vec![plain(num(t.client_errors))],
                        vec![styled(num(t.server_errors), if t.server_errors > 0 { Tone::Bad } else { Tone::Plain })],
                        vec![plain(num(t.other_errors))],
                        vec![plain(format!("{} {}", bar(rate, max_rate), pct(rate)).trim_start().to_owned())],
                    ]
                })
                .collect(),
        });
    }
    inputs(&mut d, r);
    d
}

/// A timeline row's label from its start (`2026-03-08T13:30:10Z`): `13:30`, with seconds when rows
/// are shorter than a minute (`13:30:10`), with the date when the rows span several days.
fn row_label(start: &str, step_secs: i64, several_days: bool) -> String {
    let time = if step_secs < 60 { &start[11..19] } else { &start[11..16] };
    if several_days { format!("{} {time}", &start[5..10]) } else { time.to_owned() }
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
            if i.other_format_lines > 0 {
                // A mixed input: lines its format did not read, read by others line by line.
                let others: Vec<String> =
                    i.other_formats.iter().map(|o| format!("{} {}", num(o.lines), o.format)).collect();
                line.push(plain(format!("; other lines read as {}", others.join(", "))));
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
            "error log: {} read, {} with a message culprit uses, {} explained a request, {} left over",
            lines_word(j.lines),
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
            .push(vec![styled(format!("{} not read", lines_word(u.count)), Tone::Warn), plain(format!(": {reasons}"))]);
        for s in u.samples.iter().take(3) {
            bullets.push(vec![
                styled(format!("{}:{} ", s.file, s.line), Tone::Dim),
                plain(s.text.chars().take(120).collect::<String>()),
            ]);
        }
    }
    if u.lines_without_status > 0 {
        // Requests that got no response (Express/morgan and common-log writers log `-` when the
        // connection closed before the headers were sent): not counted, but never silently.
        bullets.push(vec![
            styled(format!("{} without a status", lines_word(u.lines_without_status)), Tone::Warn),
            plain(
                " (`-`: no response was sent, usually because the client left first): read, not counted as requests"
                    .to_owned(),
            ),
        ]);
    }
    if u.other_lines > 0 {
        bullets.push(vec![styled(
            format!("{} other lines skipped (error log, controller log, blank)", num(u.other_lines)),
            Tone::Dim,
        )]);
    }
    d.push(Block::Bullets(bullets));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spans_are_read_as_kubectl_and_journalctl_write_them() {
        let h = 3_600_000;
        for (text, ms) in [
            ("1h", h),
            ("-1h", h),
            ("1h ago", h),
            ("1 hour ago", h),
            ("2 hours ago", 2 * h),
            ("1h30m", h + 30 * 60_000),
            ("2 hours 30 min", 2 * h + 30 * 60_000),
            ("45 seconds", 45_000),
            ("1 week", 7 * 24 * h),
        ] {
            assert_eq!(parse_relative_ms(text), Some(ms), "{text}");
        }
        for bad in ["", "ago", "1 fortnight", "hour", "1.5h"] {
            assert_eq!(parse_relative_ms(bad), None, "{bad}");
        }
        assert_eq!(parse_when("1 hour ago", 10 * h), Ok(9 * h));
    }
}
