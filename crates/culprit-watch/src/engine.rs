//! The watch engine: one thread owns the tailer, the [`Analyzer`] and the counters, so every
//! scrape and every checkpoint sees one consistent moment. It wakes on file notifications
//! (inotify through `notify`), on a poll tick (the fallback where notifications do not work:
//! network filesystems, watch limits), on commands (a scrape, shutdown) and on stdin data.
//!
//! Before answering a scrape it writes the checkpoint if anything changed since the last one, so
//! a value `/metrics` has shown is always in the checkpoint: after a crash (even `kill -9`) the
//! counters resume at or above what Prometheus saw, never below (which it would take for a reset).

use crate::checkpoint::{self, State};
use crate::discovery::Spec;
use crate::events::{Event, Tracker};
use crate::exposition::{Durations, ResponseKey, Snapshot};
use crate::metrics::{self, ErrorKind};
use crate::tailer::{FileCounts, FormatWatch, From, Problems, TailConfig, Tailer};
use crossbeam_channel::{Receiver, Sender, bounded, select};
use culprit_logs::Analyzer;
use culprit_logs::engine::Options;
use culprit_logs::stats::Live;
use notify::Watcher as _;
use std::collections::BTreeMap;
use std::io::Read as _;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant, SystemTime};

/// What `culprit watch` was asked to do.
#[derive(Debug, Clone)]
pub struct Config {
    pub specs: Vec<Spec>,
    /// Read stdin too (`-`).
    pub stdin: bool,
    pub from: From,
    pub state_dir: Option<PathBuf>,
    /// Parsing options (format, error logs, timeouts…); `live` is set here.
    pub options: Options,
    pub max_services: usize,
    /// Detection's time window (buckets older than this are dropped).
    pub horizon: Duration,
    pub detect_every: Duration,
    pub checkpoint_every: Duration,
    /// How often files are looked at without a notification.
    pub poll_every: Duration,
    /// How often the paths are expanded again (new files, renamed ones).
    pub rescan_every: Duration,
    /// Use file notifications (inotify) besides polling.
    pub notify: bool,
    /// How long an input's first lines wait for a format that fits before culprit says none does.
    pub format_wait: Duration,
    pub version: String,
}

impl Config {
    pub fn new(specs: Vec<Spec>, version: impl Into<String>) -> Config {
        Config {
            specs,
            stdin: false,
            from: From::End,
            state_dir: None,
            options: Options::default(),
            max_services: metrics::DEFAULT_MAX_SERVICES,
            horizon: Duration::from_secs(3 * 3600),
            detect_every: Duration::from_secs(2),
            checkpoint_every: Duration::from_secs(5),
            poll_every: Duration::from_millis(250),
            rescan_every: Duration::from_secs(1),
            notify: true,
            format_wait: crate::tailer::FORMAT_WAIT,
            version: version.into(),
        }
    }
}

/// Asked of the engine by the HTTP server and the signal handler.
#[derive(Debug)]
pub enum Command {
    /// Render `/metrics` (OpenMetrics when true); the reply carries the text and its Content-Type.
    Scrape { openmetrics: bool, reply: tokio::sync::oneshot::Sender<(String, &'static str)> },
    /// Read what is there, write the checkpoint, stop.
    Shutdown,
}

/// What the engine says while it runs.
pub trait Output {
    /// An incident opened, moved or closed.
    fn event(&mut self, event: &Event);
    /// A problem or a notice, for stderr.
    fn message(&mut self, text: &str);
}

/// Bytes read before commands and timers are looked at again.
const READ_BUDGET: usize = 4 << 20;

/// Counters restored from the checkpoint, added to this run's.
#[derive(Debug, Default)]
struct Base {
    responses: BTreeMap<ResponseKey, u64>,
    durations: BTreeMap<String, Durations>,
    checkpoints: u64,
    folded: u64,
    errors: BTreeMap<ErrorKind, u64>,
}

struct Engine {
    cfg: Config,
    analyzer: Analyzer,
    tailer: Tailer,
    tracker: Tracker,
    problems: Problems,
    base: Base,
    checkpoints: u64,
    /// The last checkpoint error (reported when it starts and when it ends).
    checkpoint_error: Option<String>,
    dirty: bool,
    stdin: Option<(usize, Receiver<Option<Vec<u8>>>)>,
    stdin_format: FormatWatch,
    /// The newest request time and when it was first seen.
    newest: Option<(i64, Instant)>,
    watcher: Option<notify::RecommendedWatcher>,
    watched: Vec<PathBuf>,
    rescan_wanted: Arc<AtomicBool>,
}

fn now_ms() -> i64 {
    SystemTime::now().duration_since(SystemTime::UNIX_EPOCH).map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(0))
}

/// Run until a [`Command::Shutdown`] arrives (or stdin ends, when it is the only input).
/// `heartbeat` receives the wall clock (ms) at every turn of the loop, for `/healthz`.
pub fn run(cfg: Config, commands: &Receiver<Command>, out: &mut dyn Output, heartbeat: &AtomicU64) {
    let mut problems = Problems::default();
    let mut base = Base::default();
    let mut from = cfg.from;
    let mut resume = None;
    let mut restored_files: Vec<(String, FileCounts)> = Vec::new();
    let mut restored_incidents = Vec::new();
    if let Some(dir) = &cfg.state_dir {
        if let Err(e) = std::fs::create_dir_all(dir) {
            problems.report(
                ErrorKind::CheckpointWrite,
                format!("--state {}: {e}: running without checkpoints until it can be written", dir.display()),
            );
        }
        match checkpoint::load(dir) {
            Ok(Some(state)) => {
                let at = chrono_free_parse(&state.written).unwrap_or(SystemTime::UNIX_EPOCH);
                let c = state.counters;
                for r in c.responses {
                    base.responses.insert((r.service, r.status, r.generated_by, r.cause, r.owner), r.count);
                }
                for d in c.durations {
                    base.durations.entry(d.service).or_default().add(&d.buckets, d.sum, d.count);
                }
                base.checkpoints = c.checkpoints;
                base.folded = c.services_folded;
                for (k, v) in c.errors {
                    if let Some(kind) = ErrorKind::from_id(&k) {
                        base.errors.insert(kind, v);
                    }
                }
                restored_files = c
                    .files
                    .into_iter()
                    .map(|f| (f.file, FileCounts { lines: f.lines, unparsed: f.unparsed, bytes: f.bytes }))
                    .collect();
                restored_incidents = c.incidents.into_iter().map(|i| (i.service, i.status, i.cause, i.owner)).collect();
                resume = Some((state.files, state.known, at));
            }
            Ok(None) => {}
            Err(e) => {
                // Policy: what was counted is unknown, so nothing is counted twice — every file
                // is read from its end, counters start from zero (Prometheus takes it as a reset).
                let kept =
                    checkpoint::set_aside(dir).map(|p| format!(" (kept as {})", p.display())).unwrap_or_default();
                problems.report(
                    ErrorKind::CheckpointCorrupt,
                    format!(
                        "checkpoint unusable: {e}{kept}; following every file from its end, counters from zero \
                         (lines written while culprit was stopped are not counted)"
                    ),
                );
                from = From::End;
            }
        }
    }
    let live = Live {
        horizon_ms: i64::try_from(cfg.horizon.as_millis()).unwrap_or(i64::MAX),
        max_services: cfg.max_services,
        duration_buckets: metrics::DURATION_BUCKETS.to_vec(),
    };
    let options = Options { live: Some(Arc::new(live)), ..cfg.options.clone() };
    let mut analyzer = Analyzer::new(options);
    // The names counted before keep their own series (folding does not move between restarts).
    let mut names: Vec<&str> =
        base.responses.keys().map(|k| k.0.as_str()).filter(|n| *n != metrics::OTHER_SERVICE).collect();
    names.dedup();
    for name in names.into_iter().take(cfg.max_services) {
        analyzer.reserve_service(name);
    }
    let mut tracker = Tracker::default();
    tracker.restore(restored_incidents);
    let tail =
        TailConfig { specs: cfg.specs.clone(), from, max_line: cfg.options.max_line, format_wait: cfg.format_wait };
    let mut tailer = Tailer::new(tail, resume);
    tailer.restore_counts(restored_files);

    let (wake_tx, wake_rx) = bounded::<()>(1);
    let rescan_wanted = Arc::new(AtomicBool::new(false));
    let watcher = if cfg.notify { start_notify(&wake_tx, &rescan_wanted, &mut problems) } else { None };
    let stdin = cfg.stdin.then(|| {
        let input = analyzer.add_input("-");
        (input, spawn_stdin())
    });
    let mut engine = Engine {
        analyzer,
        tailer,
        tracker,
        problems,
        base,
        checkpoints: 0,
        checkpoint_error: None,
        dirty: true,
        stdin,
        stdin_format: FormatWatch::default(),
        newest: None,
        watcher,
        watched: Vec::new(),
        rescan_wanted,
        cfg,
    };
    engine.main_loop(commands, &wake_rx, out, heartbeat);
}

/// RFC 3339 `YYYY-MM-DDTHH:MM:SSZ` → time (the checkpoint's `written`).
fn chrono_free_parse(s: &str) -> Option<SystemTime> {
    let ms = culprit_logs::time::parse_iso(s.as_bytes())?;
    Some(SystemTime::UNIX_EPOCH + Duration::from_millis(u64::try_from(ms).ok()?))
}

fn start_notify(
    wake: &Sender<()>,
    rescan: &Arc<AtomicBool>,
    problems: &mut Problems,
) -> Option<notify::RecommendedWatcher> {
    let wake = wake.clone();
    let rescan = Arc::clone(rescan);
    let handler = move |event: notify::Result<notify::Event>| {
        match event {
            Ok(e) => {
                use notify::EventKind as K;
                if matches!(e.kind, K::Create(_) | K::Remove(_) | K::Modify(notify::event::ModifyKind::Name(_)))
                    || e.need_rescan()
                {
                    rescan.store(true, Ordering::Relaxed);
                }
            }
            Err(_) => rescan.store(true, Ordering::Relaxed),
        }
        // A wake-up, not a queue: many writes make one read.
        let _ = wake.try_send(());
    };
    match notify::recommended_watcher(handler) {
        Ok(w) => Some(w),
        Err(e) => {
            problems.report(ErrorKind::Notify, format!("file notifications unavailable ({e}): polling only"));
            None
        }
    }
}

fn spawn_stdin() -> Receiver<Option<Vec<u8>>> {
    let (tx, rx) = bounded(4);
    std::thread::Builder::new()
        .name("culprit-stdin".into())
        .spawn(move || {
            let mut stdin = std::io::stdin().lock();
            loop {
                let mut buf = vec![0u8; 1 << 20];
                match stdin.read(&mut buf) {
                    Ok(0) | Err(_) => {
                        let _ = tx.send(None);
                        return;
                    }
                    Ok(n) => {
                        buf.truncate(n);
                        if tx.send(Some(buf)).is_err() {
                            return;
                        }
                    }
                }
            }
        })
        .expect("spawning the stdin reader");
    rx
}

impl Engine {
    fn main_loop(
        &mut self,
        commands: &Receiver<Command>,
        wake: &Receiver<()>,
        out: &mut dyn Output,
        heartbeat: &AtomicU64,
    ) {
        let mut last_rescan = Instant::now();
        let mut last_detect = Instant::now();
        let mut last_checkpoint = Instant::now();
        self.tailer.rescan(&mut self.analyzer, &mut self.problems);
        self.update_watches();
        // Where each file starts, on disk before anything is read: a crash before the first
        // periodic checkpoint must not forget files that are renamed away meanwhile.
        self.checkpoint();
        loop {
            heartbeat.store(u64::try_from(now_ms()).unwrap_or(0), Ordering::Relaxed);
            let mut read = self.tailer.poll(&mut self.analyzer, &mut self.problems, READ_BUDGET);
            let mut stdin_ended = false;
            if let Some((input, rx)) = &self.stdin {
                while let Ok(chunk) = rx.try_recv() {
                    if let Some(data) = chunk {
                        read += data.len();
                        self.analyzer.push_bytes(*input, &data, None);
                    } else {
                        self.analyzer.end_input(*input, None);
                        stdin_ended = true;
                        break;
                    }
                    if read >= READ_BUDGET {
                        break;
                    }
                }
                if !stdin_ended && self.analyzer.pending_lines(*input) > 0 && rx.is_empty() {
                    self.analyzer.try_lock(*input, None);
                }
                let idle = stdin_ended || rx.is_empty();
                self.stdin_format.check(
                    &self.analyzer,
                    *input,
                    "stdin",
                    idle,
                    self.cfg.format_wait,
                    &mut self.problems,
                );
            }
            if read > 0 {
                self.dirty = true;
                if let Some(last) = self.analyzer.stats().last_ms {
                    if self.newest.is_none_or(|(t, _)| last > t) {
                        self.newest = Some((last, Instant::now()));
                    }
                }
            }
            if stdin_ended {
                self.stdin = None;
                if self.cfg.specs.is_empty() {
                    self.detect(out);
                    self.shutdown(out);
                    return;
                }
            }
            if last_rescan.elapsed() >= self.cfg.rescan_every || self.rescan_wanted.swap(false, Ordering::Relaxed) {
                last_rescan = Instant::now();
                self.tailer.rescan(&mut self.analyzer, &mut self.problems);
                self.update_watches();
            }
            if last_detect.elapsed() >= self.cfg.detect_every {
                last_detect = Instant::now();
                self.detect(out);
            }
            if last_checkpoint.elapsed() >= self.cfg.checkpoint_every {
                last_checkpoint = Instant::now();
                self.checkpoint();
            }
            self.flush_messages(out);
            // Commands between reads, so a scrape is answered while a backlog is read.
            while let Ok(cmd) = commands.try_recv() {
                if self.command(cmd, out) {
                    return;
                }
            }
            if read >= READ_BUDGET {
                continue;
            }
            let stdin_rx = self.stdin.as_ref().map_or_else(crossbeam_channel::never, |(_, rx)| rx.clone());
            select! {
                recv(commands) -> cmd => {
                    // Nobody can ask anything any more (Err): stop as on a shutdown.
                    let Ok(cmd) = cmd else {
                        self.shutdown(out);
                        return;
                    };
                    if self.command(cmd, out) {
                        return;
                    }
                },
                recv(wake) -> _ => {}
                recv(stdin_rx) -> chunk => {
                    if let (Ok(chunk), Some((input, _))) = (chunk, &self.stdin) {
                        if let Some(data) = chunk {
                            self.analyzer.push_bytes(*input, &data, None);
                        } else {
                            self.analyzer.end_input(*input, None);
                            let wait = self.cfg.format_wait;
                            self.stdin_format.check(&self.analyzer, *input, "stdin", true, wait, &mut self.problems);
                            self.stdin = None;
                            if self.cfg.specs.is_empty() {
                                self.detect(out);
                                self.shutdown(out);
                                return;
                            }
                        }
                        self.dirty = true;
                    }
                }
                default(self.cfg.poll_every) => {}
            }
        }
    }

    /// Returns true when the engine stopped.
    fn command(&mut self, cmd: Command, out: &mut dyn Output) -> bool {
        match cmd {
            Command::Scrape { openmetrics, reply } => {
                // What /metrics shows is in the checkpoint first.
                self.checkpoint();
                let _ = reply.send(self.snapshot().render(openmetrics));
                self.flush_messages(out);
                false
            }
            Command::Shutdown => {
                self.tailer.poll(&mut self.analyzer, &mut self.problems, usize::MAX);
                self.shutdown(out);
                true
            }
        }
    }

    fn shutdown(&mut self, out: &mut dyn Output) {
        self.dirty = true;
        self.checkpoint();
        self.flush_messages(out);
    }

    fn detect(&mut self, out: &mut dyn Output) {
        let Some((newest, at)) = self.newest else { return };
        let now = newest + i64::try_from(at.elapsed().as_millis()).unwrap_or(0);
        for e in self.tracker.update(&mut self.analyzer, now) {
            self.dirty = true;
            out.event(&e);
        }
    }

    fn flush_messages(&mut self, out: &mut dyn Output) {
        for m in self.problems.messages.drain(..) {
            out.message(&m);
        }
    }

    /// Ask for notifications on the directories that matter now.
    fn update_watches(&mut self) {
        let Some(w) = &mut self.watcher else { return };
        let dirs = self.tailer.watch_dirs();
        if dirs == self.watched {
            return;
        }
        for d in &self.watched {
            if !dirs.contains(d) {
                let _ = w.unwatch(d);
            }
        }
        for d in &dirs {
            if !self.watched.contains(d) && d.is_dir() {
                if let Err(e) = w.watch(d, notify::RecursiveMode::NonRecursive) {
                    self.problems.report(
                        ErrorKind::Notify,
                        format!("{}: no file notifications ({e}): polled every {:?}", d.display(), self.cfg.poll_every),
                    );
                }
            }
        }
        self.watched = dirs;
    }

    /// Every value `/metrics` shows, now.
    fn snapshot(&self) -> Snapshot {
        let stats = self.analyzer.stats();
        let mut responses = self.base.responses.clone();
        let mut durations = self.base.durations.clone();
        for svc in &stats.services {
            for (&(status, cause, generated_by), &n) in &svc.tally.responses {
                let key = (
                    svc.name.clone(),
                    status,
                    generated_by.id().to_owned(),
                    cause.id().to_owned(),
                    cause.owner().id().to_owned(),
                );
                *responses.entry(key).or_default() += n;
            }
            if svc.tally.duration_count > 0 {
                durations.entry(svc.name.clone()).or_default().add(
                    &svc.tally.duration_counts,
                    svc.tally.duration_sum,
                    svc.tally.duration_count,
                );
            }
        }
        let mut errors = self.base.errors.clone();
        for (k, v) in &self.problems.counts {
            *errors.entry(*k).or_default() += v;
        }
        Snapshot {
            responses,
            durations,
            incidents: self.tracker.gauges.clone(),
            files: self.tailer.counts().clone(),
            lag_seconds: stats.last_ms.map(|t| (now_ms() - t) as f64 / 1000.0),
            files_open: self.tailer.file_count() + usize::from(self.stdin.is_some()),
            checkpoints: self.base.checkpoints + self.checkpoints,
            services_folded: self.base.folded + stats.folded_services,
            errors,
            version: self.cfg.version.clone(),
        }
    }

    /// Write the checkpoint if anything changed since the last one.
    fn checkpoint(&mut self) {
        let Some(dir) = self.cfg.state_dir.clone() else { return };
        if !self.dirty {
            return;
        }
        let (files, known) = self.tailer.states();
        let mut snapshot = self.snapshot();
        snapshot.checkpoints += 1;
        let state = State {
            schema: checkpoint::SCHEMA.into(),
            written: culprit_logs::time::format_utc(now_ms()).replace(' ', "T") + "Z",
            files,
            known,
            counters: snapshot.counters(),
        };
        match checkpoint::write(&dir, &state) {
            Ok(()) => {
                self.checkpoints += 1;
                self.dirty = false;
                if self.checkpoint_error.take().is_some() {
                    self.problems.messages.push(format!("checkpoint written again in {}", dir.display()));
                }
            }
            Err(e) => {
                let msg = format!(
                    "checkpoint {}: {e}: not written; retried every {:?} (a restart now resumes from the last checkpoint written)",
                    checkpoint::path_in(&dir).display(),
                    self.cfg.checkpoint_every
                );
                if self.checkpoint_error.as_deref() == Some(msg.as_str()) {
                    *self.problems.counts.entry(ErrorKind::CheckpointWrite).or_default() += 1;
                } else {
                    self.problems.report(ErrorKind::CheckpointWrite, msg.clone());
                    self.checkpoint_error = Some(msg);
                }
            }
        }
    }
}
