//! `culprit watch`: follow logs live, report incidents as they open and close, serve /metrics.
//! The work is in the culprit-watch crate; this is the glue: arguments → engine config, the
//! HTTP endpoint and signals started, events written as human lines or NDJSON.

use super::Status;
use super::logs::{format_from, parse_timeouts};
use crate::cli::{WatchArgs, WatchFrom};
use crate::output::{escape_controls, width};
use anyhow::Result;
use culprit_logs::report::pct;
use culprit_watch::discovery::Spec;
use culprit_watch::engine::{self, Command, Config, Output};
use culprit_watch::events::{Event, EventKind};
use culprit_watch::tailer::From;
use std::io::{IsTerminal, Write};
use std::sync::Arc;
use std::sync::atomic::AtomicU64;

fn unusable(message: &str) -> Status {
    eprintln!("culprit: {message}");
    Status::Unusable
}

/// `30m`, `3h`, `1d`, `90s` → seconds.
fn parse_span(s: &str) -> Option<u64> {
    let s = s.trim();
    let split = s.find(|c: char| !c.is_ascii_digit())?;
    let n: u64 = s[..split].parse().ok()?;
    let unit = match &s[split..] {
        "s" => 1,
        "m" | "min" => 60,
        "h" => 3600,
        "d" => 86_400,
        _ => return None,
    };
    Some(n * unit).filter(|s| *s >= 60)
}

pub fn run(args: &WatchArgs) -> Result<Status> {
    let format = match format_from(
        args.format.as_deref(),
        args.nginx_format.as_deref(),
        args.envoy_format.as_deref(),
        args.haproxy_format.as_deref(),
        args.apache_format.as_deref(),
    ) {
        Ok(f) => f,
        Err(msg) => return Ok(unusable(&msg)),
    };
    let timeouts = match args.proxy_timeouts.as_deref().map(parse_timeouts).transpose() {
        Ok(t) => t,
        Err(msg) => return Ok(unusable(&format!("--proxy-timeouts: {msg}"))),
    };
    let Some(horizon) = parse_span(&args.horizon) else {
        return Ok(unusable("--horizon: use a duration such as 30m, 3h or 1d (at least 1m)"));
    };
    if args.max_services == 0 {
        return Ok(unusable("--max-services: at least 1"));
    }
    let stdin = args.paths.iter().any(|p| p.as_os_str() == "-");
    let specs: Vec<Spec> = args.paths.iter().filter(|p| p.as_os_str() != "-").map(|p| Spec::parse(p)).collect();
    let listener = if args.metrics_listen.eq_ignore_ascii_case("none") {
        None
    } else {
        match std::net::TcpListener::bind(&args.metrics_listen) {
            Ok(l) => Some(l),
            Err(e) => return Ok(unusable(&format!("--metrics-listen {}: {e}", args.metrics_listen))),
        }
    };
    let mut cfg = Config::new(specs, env!("CARGO_PKG_VERSION"));
    cfg.stdin = stdin;
    cfg.from = match args.from {
        WatchFrom::Beginning => From::Beginning,
        WatchFrom::End => From::End,
    };
    cfg.state_dir.clone_from(&args.state);
    cfg.max_services = args.max_services;
    cfg.horizon = std::time::Duration::from_secs(horizon);
    cfg.notify = !args.poll_only;
    cfg.options =
        culprit_logs::Options { format, timeouts, max_line: args.max_line.max(1), ..culprit_logs::Options::default() };

    let where_ = listener.as_ref().and_then(|l| l.local_addr().ok());
    let (tx, rx) = crossbeam_channel::unbounded::<Command>();
    let heartbeat = Arc::new(AtomicU64::new(0));
    engine_banner(args, where_);
    culprit_watch::server::spawn(listener, tx.clone(), Arc::clone(&heartbeat))?;
    let mut out = Lines { json: args.json, commands: tx, closed: false, width: width() };
    engine::run(cfg, &rx, &mut out, &heartbeat);
    Ok(Status::Success)
}

fn engine_banner(args: &WatchArgs, addr: Option<std::net::SocketAddr>) {
    let what: Vec<String> = args.paths.iter().map(|p| escape_controls(&p.display().to_string()).into_owned()).collect();
    let metrics = addr.map_or_else(|| "no metrics endpoint".to_owned(), |a| format!("metrics on http://{a}/metrics"));
    let state = args.state.as_ref().map_or_else(
        || "no --state: a restart starts again per --from".to_owned(),
        |d| format!("checkpoints in {}", d.display()),
    );
    eprintln!("culprit: watching {}; {metrics}; {state}", what.join(" "));
}

/// Events on stdout, one line each (JSON) or a few (human); messages on stderr.
struct Lines {
    json: bool,
    commands: crossbeam_channel::Sender<Command>,
    /// stdout was closed (`| head`): culprit stops.
    closed: bool,
    width: usize,
}

impl Lines {
    fn write(&mut self, text: &str) {
        if self.closed {
            return;
        }
        let mut out = anstream::stdout().lock();
        if out.write_all(text.as_bytes()).and_then(|()| out.flush()).is_err() {
            self.closed = true;
            let _ = self.commands.send(Command::Shutdown);
        }
    }
}

/// Where an event's following lines start: under its cause, after `HH:MM:SS OPENED  `.
const INDENT: usize = 17;

fn clock(iso: &str) -> &str {
    iso.get(11..19).unwrap_or(iso)
}

impl Output for Lines {
    fn event(&mut self, e: &Event) {
        if self.json {
            let mut line = serde_json::to_string(e).unwrap_or_default();
            line.push('\n');
            self.write(&line);
            return;
        }
        let what = format!("{} {} on {} ({})", e.status, e.cause, escape_controls(&e.service), e.owner);
        let mut text = String::new();
        let indent = " ".repeat(INDENT);
        let mut put = |first: &str, line: &str| {
            // Within the width: what goes on is indented under the event's kind, and a word
            // longer than the width (a long service name) is broken.
            let opts = textwrap::Options::new(self.width).initial_indent(first).subsequent_indent(&indent);
            for l in textwrap::wrap(line, opts) {
                text.push_str(&l);
                text.push('\n');
            }
        };
        match e.event {
            EventKind::IncidentOpened => {
                put("", &format!("{} OPENED  {what}", clock(&e.time)));
                put(&indent, &escape_controls(&e.headline));
                if let Some(step) = e.incident.next_steps.first() {
                    put(&indent, &format!("next: {}", escape_controls(&step.command)));
                }
            }
            EventKind::IncidentUpdated => put(
                "",
                &format!(
                    "{} UPDATED {what}: {} errors since {} UTC, peak {}",
                    clock(&e.time),
                    e.errors,
                    clock(&e.start),
                    pct(e.peak_rate)
                ),
            ),
            EventKind::IncidentClosed => put(
                "",
                &format!(
                    "{} CLOSED  {what}: {} errors from {} to {} UTC",
                    clock(&e.time),
                    e.errors,
                    clock(&e.start),
                    clock(&e.end)
                ),
            ),
        }
        self.write(&text);
    }

    fn message(&mut self, text: &str) {
        let text = escape_controls(text);
        // One line per message where stderr is collected as a log (a container's, a file): a
        // reader greps it. Wrapped to the width on a terminal.
        if std::io::stderr().is_terminal() {
            let opts = textwrap::Options::new(self.width).initial_indent("culprit: ").subsequent_indent("  ");
            eprintln!("{}", textwrap::wrap(&text, opts).join("\n"));
        } else {
            eprintln!("culprit: {text}");
        }
    }
}
