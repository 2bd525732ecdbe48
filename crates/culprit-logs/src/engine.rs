//! The batch face of the pipeline (see `pipeline`): readers cut files into chunks, one
//! [`Core`](crate::pipeline::Core) per worker parses, attributes and aggregates each chunk into
//! its own `Stats`, and the results are merged. Bounded channels keep memory constant: at most a
//! few chunks are in flight whatever the input size. A stream (stdin) goes through the streaming
//! face instead, [`Analyzer`](crate::pipeline::Analyzer), so that its error-log lines are joined
//! from a window rather than by reading the input twice.

use crate::formats::{BadLine, Format};
use crate::input::{Chunker, Source, open};
use crate::pipeline::{Analyzer, Core, Outcome, Plan, SNIFF_LINES, record, unrecognised};
use crate::stats::{LineRef, Stats};
use crate::time;
use crossbeam_channel::{bounded, unbounded};
use culprit_kb::context::ProxyTimeouts;
use culprit_kb::{Confidence, EvidenceItem, GeneratedBy, Owner};
use serde::{Deserialize, Serialize};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};

/// Default cap on one line's length.
pub const DEFAULT_MAX_LINE: usize = 1 << 20;

/// Per-service proxy timeouts: a proxy's name for its upstream → the timeouts set for it (read
/// from the cluster's Ingress annotations and controller ConfigMap).
pub type ServiceTimeouts = Arc<dyn Fn(&str) -> Option<ProxyTimeouts> + Send + Sync>;

/// What to read and how.
#[derive(Clone)]
pub struct Options {
    /// Force a format instead of sniffing each input.
    pub format: Option<Format>,
    pub threads: usize,
    pub max_line: usize,
    pub filter: Filter,
    /// Aggregation resolution in milliseconds (`--bucket`); `None` = automatic.
    pub bucket_ms: Option<i64>,
    /// Separate nginx error logs to join to the access logs (interleaved error lines are found
    /// in the inputs themselves).
    pub error_logs: Vec<Source>,
    /// The proxy's connect and read timeouts, when the user knows them (`--proxy-timeouts`):
    /// otherwise each format's defaults.
    pub timeouts: Option<crate::attribute::TimeoutOverride>,
    /// Timeouts set per upstream name, over the ones above (`--cluster`).
    pub service_timeouts: Option<ServiceTimeouts>,
    /// An input holding only Caddy error entries is joined to another input's Caddy access
    /// entries instead of being read as requests (set when one of several inputs has access
    /// entries: each error entry then has its request there).
    pub join_error_entries: bool,
    /// A never-ending stream (`culprit watch`): horizon, service cap and tallies (see
    /// [`crate::stats::Live`]).
    pub live: Option<Arc<crate::stats::Live>>,
    /// Set by the caller to stop reading early (its output was closed: `--per-request | head`);
    /// what was read so far is returned.
    pub cancel: Option<Arc<std::sync::atomic::AtomicBool>>,
}

impl Options {
    fn cancelled(&self) -> bool {
        self.cancel.as_ref().is_some_and(|c| c.load(Ordering::Relaxed))
    }
}

impl std::fmt::Debug for Options {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Options")
            .field("format", &self.format.as_ref().map(|f| &f.name))
            .field("threads", &self.threads)
            .field("max_line", &self.max_line)
            .field("filter", &self.filter)
            .field("bucket_ms", &self.bucket_ms)
            .field("error_logs", &self.error_logs)
            .field("timeouts", &self.timeouts)
            .field("service_timeouts", &self.service_timeouts.is_some())
            .field("cancel", &self.cancelled())
            .field("join_error_entries", &self.join_error_entries)
            .field("live", &self.live)
            .finish()
    }
}

impl Default for Options {
    fn default() -> Self {
        Options {
            format: None,
            threads: std::thread::available_parallelism().map_or(2, std::num::NonZero::get),
            max_line: DEFAULT_MAX_LINE,
            filter: Filter::default(),
            bucket_ms: None,
            error_logs: Vec::new(),
            timeouts: None,
            service_timeouts: None,
            cancel: None,
            join_error_entries: false,
            live: None,
        }
    }
}

/// Which requests are shown. Every request is still read, attributed and aggregated: baselines and
/// rates are computed on all of a service's traffic, so narrowing the view never turns a rise into
/// a "chronic" error (a 5xx-only view would otherwise have a 100% error rate).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Filter {
    pub since_ms: Option<i64>,
    pub until_ms: Option<i64>,
    /// Substring of the service name.
    pub service: Option<String>,
    /// Status ranges, inclusive (`5xx` = 500..=599).
    pub statuses: Vec<(u16, u16)>,
}

impl Filter {
    pub fn is_empty(&self) -> bool {
        *self == Filter::default()
    }

    /// Whether a service name is shown.
    pub fn admits_service(&self, name: &str) -> bool {
        self.service.as_deref().is_none_or(|s| name.contains(s))
    }

    /// Whether a status is shown.
    pub fn admits_status(&self, status: u16) -> bool {
        self.statuses.is_empty() || self.statuses.iter().any(|(lo, hi)| (*lo..=*hi).contains(&status))
    }

    /// Whether a time window `[start, end)` (ms) overlaps the one shown.
    pub fn admits_window(&self, start: i64, end: i64) -> bool {
        self.since_ms.is_none_or(|s| end > s) && self.until_ms.is_none_or(|u| start < u)
    }

    /// The filter in words: `service ~ checkout, status 5xx, since 2026-03-08 13:50:00 UTC`.
    pub fn describe(&self) -> String {
        let mut parts = Vec::new();
        if let Some(s) = &self.service {
            parts.push(format!("service ~ {s}"));
        }
        if !self.statuses.is_empty() {
            let st: Vec<String> = self
                .statuses
                .iter()
                .map(|&(lo, hi)| match (lo, hi) {
                    (lo, hi) if lo == hi => lo.to_string(),
                    (lo, hi) if lo % 100 == 0 && hi == lo + 99 => format!("{}xx", lo / 100),
                    (lo, hi) => format!("{lo}-{hi}"),
                })
                .collect();
            parts.push(format!("status {}", st.join(",")));
        }
        if let Some(t) = self.since_ms {
            parts.push(format!("since {} UTC", time::format_utc(t)));
        }
        if let Some(t) = self.until_ms {
            parts.push(format!("until {} UTC", time::format_utc(t)));
        }
        parts.join(", ")
    }

    pub(crate) fn admits(&self, obs: &crate::observation::Observation<'_>) -> bool {
        if let Some(t) = obs.time_ms {
            if self.since_ms.is_some_and(|s| t < s) || self.until_ms.is_some_and(|u| t >= u) {
                return false;
            }
        } else if self.since_ms.is_some() || self.until_ms.is_some() {
            return false;
        }
        if let Some(s) = &self.service {
            if memchr::memmem::find(obs.service, s.as_bytes()).is_none() {
                return false;
            }
        }
        if !self.statuses.is_empty() {
            let st = obs.status.unwrap_or(0);
            if !self.statuses.iter().any(|(lo, hi)| (*lo..=*hi).contains(&st)) {
                return false;
            }
        }
        true
    }
}

/// What happened to one input.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct InputSummary {
    pub path: String,
    /// The format used (sniffed or forced); `None` when none fitted.
    pub format: Option<String>,
    pub wrapper: Option<String>,
    pub gzip: bool,
    pub lines: u64,
    /// A problem reading it (unreadable, truncated archive, unknown format); the rest still counts.
    pub error: Option<String>,
    /// nginx error-log lines found in it and indexed for the join.
    pub error_log_lines: u64,
    /// Lines its format did not read that another registered format did (a mixed input:
    /// `kubectl logs` across proxies, an aggregated export).
    #[serde(default)]
    pub other_format_lines: u64,
    /// Those formats with their line counts, most lines first.
    #[serde(default)]
    pub other_formats: Vec<OtherFormat>,
}

/// A format that read some of an input's lines, besides the input's own.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OtherFormat {
    pub format: String,
    pub lines: u64,
}

impl InputSummary {
    /// The other formats' counts for input `i`, from the merged stats.
    pub(crate) fn note_other_formats(&mut self, i: usize, stats: &Stats) {
        let Ok(input) = u32::try_from(i) else { return };
        let mut formats: Vec<OtherFormat> = stats
            .other_formats
            .range((input, 0)..=(input, usize::MAX))
            .map(|(&(_, f), &lines)| OtherFormat { format: Format::candidates()[f].name.clone(), lines })
            .collect();
        formats.sort_by(|a, b| b.lines.cmp(&a.lines).then_with(|| a.format.cmp(&b.format)));
        self.other_format_lines = formats.iter().map(|f| f.lines).sum();
        self.other_formats = formats;
    }
}

/// One request as `--per-request` writes it (NDJSON).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RequestRecord {
    pub file: String,
    pub line: u64,
    pub time: Option<String>,
    pub request_id: Option<String>,
    pub method: Option<String>,
    pub path: Option<String>,
    pub status: u16,
    pub service: Option<String>,
    pub upstream: Option<String>,
    pub generated_by: GeneratedBy,
    pub cause: String,
    pub owner: Owner,
    pub confidence: Confidence,
    pub evidence: Vec<EvidenceItem>,
}

/// The merged result of a run.
#[derive(Debug)]
pub struct Analysis {
    pub stats: Stats,
    pub inputs: Vec<InputSummary>,
    /// What the error-log join did (`None`: no error-log lines were found).
    pub join: Option<crate::join::JoinCounts>,
    /// What is shown (everything is aggregated).
    pub filter: Filter,
    /// Per input, the number of lines in each chunk, to turn a `LineRef` into a line number.
    chunk_lines: Vec<Vec<u32>>,
}

impl Analysis {
    /// An analysis made by the streaming face: its line references count from each input's start.
    pub(crate) fn streamed(
        stats: Stats,
        inputs: Vec<InputSummary>,
        join: Option<crate::join::JoinCounts>,
        filter: Filter,
    ) -> Analysis {
        let chunk_lines = vec![Vec::new(); inputs.len()];
        Analysis { stats, inputs, join, filter, chunk_lines }
    }

    /// The 1-based line number of a line reference.
    pub fn line_number(&self, at: LineRef) -> u64 {
        let chunks = &self.chunk_lines[at.input as usize];
        if chunks.is_empty() {
            // Read as a stream (`LineRef::absolute`), or a chunk-less input.
            return (u64::from(at.chunk) << 32) | u64::from(at.line);
        }
        let before: u64 = chunks.iter().take(at.chunk as usize).map(|&n| u64::from(n)).sum();
        before + u64::from(at.line)
    }

    pub fn file(&self, at: LineRef) -> &str {
        &self.inputs[at.input as usize].path
    }
}

struct Chunk {
    input: u32,
    seq: u32,
    /// `None` marks the end of an input (so ordered per-request output can move on).
    plan: Option<Arc<Plan>>,
    data: crate::input::ChunkBuf,
    /// Lines longer than `max_line` dropped just before this chunk's data: they are numbered as
    /// its first lines, so every line after them keeps its real number.
    skipped: u32,
}

struct Done {
    input: u32,
    seq: u32,
    lines: u32,
    records: Vec<(u32, RequestRecord)>,
}

/// Read every source and aggregate. `per_request`, when given, receives every request the filter
/// shows in input order (and inputs are then read one at a time to keep that order in constant
/// memory). `progress` receives bytes read from the sources (compressed bytes for archives).
///
/// Files are read in parallel chunks, with their error-log lines indexed first; when stdin is
/// among the sources, every source is read as a stream by one [`Analyzer`].
pub fn analyze(
    sources: &[Source],
    opts: &Options,
    per_request: Option<&mut dyn FnMut(RequestRecord)>,
    progress: Option<&(dyn Fn(u64) + Sync)>,
) -> Analysis {
    // Several inputs, one with Caddy access entries: another input's error entries explain them.
    let joined;
    let opts = if sources.len() > 1 && !opts.join_error_entries && sources.iter().any(holds_caddy_access) {
        joined = Options { join_error_entries: true, ..opts.clone() };
        &joined
    } else {
        opts
    };
    if sources.iter().any(|s| matches!(s, Source::Stdin)) {
        return stream(sources, opts, per_request, progress);
    }
    let (index, found) = crate::join::build(sources, &opts.error_logs, opts.max_line, opts.threads);
    let names: Vec<String> = sources.iter().map(Source::display).collect();
    let mut analysis = run(sources, &names, opts, index.as_ref(), per_request, progress);
    for (summary, n) in analysis.inputs.iter_mut().zip(found) {
        summary.error_log_lines = n;
    }
    analysis.join = index.as_ref().map(crate::join::ErrorIndex::counts);
    analysis
}

/// Whether a file's first bytes hold a Caddy access entry (stdin is not read ahead).
fn holds_caddy_access(source: &Source) -> bool {
    use std::io::Read as _;
    if matches!(source, Source::Stdin) {
        return false;
    }
    let Ok((mut reader, _)) = open(source, Arc::new(AtomicU64::new(0))) else { return false };
    let mut buf = vec![0u8; 256 * 1024];
    let mut n = 0;
    while n < buf.len() {
        match reader.read(&mut buf[n..]) {
            Ok(0) | Err(_) => break,
            Ok(k) => n += k,
        }
    }
    crate::formats::caddy::holds_access_entries(&buf[..n])
}

/// The streaming face over whole sources: each read to its end in turn.
fn stream(
    sources: &[Source],
    opts: &Options,
    mut per_request: Option<&mut dyn FnMut(RequestRecord)>,
    progress: Option<&(dyn Fn(u64) + Sync)>,
) -> Analysis {
    let mut analyzer = Analyzer::new(opts.clone());
    for source in &opts.error_logs {
        let counter = Arc::new(AtomicU64::new(0));
        if let Ok((reader, _)) = open(source, counter) {
            let mut chunker = Chunker::new(reader, opts.max_line);
            let mut buf = crate::input::ChunkBuf::default();
            while let Ok(true) = chunker.next_chunk(&mut buf) {
                analyzer.preload_error_lines(buf.split(|&b| b == b'\n'));
            }
        }
    }
    let mut errors: Vec<(usize, String)> = Vec::new();
    for source in sources {
        let input = analyzer.add_input(source.display());
        let counter = Arc::new(AtomicU64::new(0));
        let reader = match open(source, counter.clone()) {
            Ok((r, gzip)) => {
                if gzip {
                    analyzer.note_gzip(input);
                }
                r
            }
            Err(e) => {
                errors.push((input, format!("cannot read: {e}")));
                continue;
            }
        };
        let mut chunker = Chunker::new(reader, opts.max_line);
        let mut buf = crate::input::ChunkBuf::with_capacity(crate::input::CHUNK);
        let (mut last, mut dropped) = (0, 0);
        loop {
            let more = chunker.next_chunk(&mut buf);
            // Overlong lines dropped before these bytes keep their place in the numbering.
            let sample = (dropped == 0).then(|| chunker.too_long_sample.take()).flatten();
            analyzer.skip_too_long(input, chunker.too_long - dropped, sample);
            dropped = chunker.too_long;
            match more {
                Ok(true) => {}
                Ok(false) => break,
                Err(e) => {
                    errors.push((input, format!("read error: {e}")));
                    break;
                }
            }
            analyzer.push_bytes(input, &buf, per_request.as_deref_mut());
            if opts.cancelled() {
                break;
            }
            if let Some(p) = progress {
                let now = counter.load(Ordering::Relaxed);
                p(now - last);
                last = now;
            }
        }
        analyzer.end_input(input, per_request.as_deref_mut());
    }
    let mut analysis = analyzer.finish(per_request);
    for (input, e) in errors {
        analysis.inputs[input].error.get_or_insert(e);
    }
    analysis
}

fn run(
    sources: &[Source],
    names: &[String],
    opts: &Options,
    index: Option<&crate::join::ErrorIndex>,
    mut per_request: Option<&mut dyn FnMut(RequestRecord)>,
    progress: Option<&(dyn Fn(u64) + Sync)>,
) -> Analysis {
    let threads = opts.threads.max(1);
    let want_records = per_request.is_some();
    let readers = if want_records { 1 } else { threads.min(sources.len()).max(1) };
    let (chunk_tx, chunk_rx) = bounded::<Chunk>(threads * 2);
    let (done_tx, done_rx) = unbounded::<Done>();
    let (free_tx, free_rx) = bounded::<crate::input::ChunkBuf>(threads * 4);
    let next_input = AtomicUsize::new(0);
    let bytes_read = Arc::new(AtomicU64::new(0));
    let mut summaries: Vec<InputSummary> =
        sources.iter().map(|s| InputSummary { path: s.display(), ..InputSummary::default() }).collect();
    let mut chunk_lines: Vec<Vec<u32>> = vec![Vec::new(); sources.len()];

    let (stats, reader_results) = std::thread::scope(|scope| {
        let workers: Vec<_> = (0..threads)
            .map(|_| {
                let rx = chunk_rx.clone();
                let done = done_tx.clone();
                let free = free_tx.clone();
                scope.spawn(move || {
                    let mut core = Core::new(opts);
                    for chunk in rx {
                        let mut records = Vec::new();
                        let lines = process_chunk(
                            &chunk,
                            &mut core,
                            index,
                            want_records.then_some((&mut records, names[chunk.input as usize].as_str())),
                        );
                        let _ = done.send(Done { input: chunk.input, seq: chunk.seq, lines, records });
                        let _ = free.try_send(chunk.data);
                    }
                    core.stats
                })
            })
            .collect();
        drop(done_tx);
        // Only the workers receive chunks: if they all die, readers see a closed channel and stop
        // instead of blocking forever (the panic is then reported, not a hang).
        drop(chunk_rx);
        let reader_handles: Vec<_> = (0..readers)
            .map(|_| {
                let tx = chunk_tx.clone();
                let free = free_rx.clone();
                let next = &next_input;
                let counter = bytes_read.clone();
                scope.spawn(move || {
                    let mut results = Vec::new();
                    loop {
                        let i = next.fetch_add(1, Ordering::Relaxed);
                        if i >= sources.len() {
                            break;
                        }
                        results.push((i, read_input(i, &sources[i], opts, &tx, &free, counter.clone())));
                    }
                    results
                })
            })
            .collect();
        drop(chunk_tx);
        // Collect chunk results as they come: line counts, and per-request records in order.
        let mut pending: std::collections::BTreeMap<(u32, u32), Done> = std::collections::BTreeMap::new();
        let mut cursor = (0u32, 0u32);
        let mut last_progress = 0;
        let mut emitted_lines: Vec<u64> = vec![0; sources.len()];
        for done in done_rx {
            if let Some(p) = progress {
                let now = bytes_read.load(Ordering::Relaxed);
                p(now - last_progress);
                last_progress = now;
            }
            let lines_vec = &mut chunk_lines[done.input as usize];
            if lines_vec.len() <= done.seq as usize {
                lines_vec.resize(done.seq as usize + 1, 0);
            }
            lines_vec[done.seq as usize] = done.lines;
            if let Some(sink) = per_request.as_deref_mut() {
                pending.insert((done.input, done.seq), done);
                // Emit chunks in (input, seq) order; a reader marks the end of an input with an
                // empty sentinel chunk so the cursor can move to the next input.
                while let Some(d) = pending.remove(&cursor) {
                    let base = emitted_lines[cursor.0 as usize];
                    for (rel, mut rec) in d.records {
                        rec.line = base + u64::from(rel);
                        sink(rec);
                    }
                    emitted_lines[cursor.0 as usize] += u64::from(d.lines);
                    cursor = if d.lines == u32::MAX { (cursor.0 + 1, 0) } else { (cursor.0, cursor.1 + 1) };
                }
            }
        }
        if let Some(p) = progress {
            p(bytes_read.load(Ordering::Relaxed) - last_progress);
        }
        let mut stats = opts.bucket_ms.map_or_else(Stats::new, Stats::with_resolution);
        for w in workers {
            stats.merge(w.join().expect("worker panicked"));
        }
        let results: Vec<_> = reader_handles.into_iter().flat_map(|h| h.join().expect("reader panicked")).collect();
        (stats, results)
    });
    let mut stats = stats;
    for (i, r) in reader_results {
        let s = &mut summaries[i];
        s.format = r.format;
        s.wrapper = r.wrapper;
        s.gzip = r.gzip;
        s.error = r.error;
        // Sentinel chunks count u32::MAX lines: drop them from the line table.
        if let Some(last) = chunk_lines[i].last() {
            if *last == u32::MAX {
                chunk_lines[i].pop();
            }
        }
        // Chunks count the overlong lines dropped before them; those at the very end are extra.
        s.lines = chunk_lines[i].iter().map(|&n| u64::from(n)).sum::<u64>() + r.too_long_at_end;
        if r.too_long > 0 {
            *stats.bad.entry(BadLine::TooLong).or_default() += r.too_long;
            stats.lines += r.too_long;
        }
        if let (Some(sample), Some(chunk)) = (r.too_long_sample, r.too_long_first) {
            if stats.bad_samples.len() < crate::stats::MAX_BAD_SAMPLES {
                // The first overlong line is the first line of the chunk after it was dropped.
                let at = LineRef { input: u32::try_from(i).unwrap_or(u32::MAX), chunk, line: 1 };
                stats.bad_samples.push(crate::stats::BadSample {
                    at,
                    reason: BadLine::TooLong,
                    text: String::from_utf8_lossy(&sample).into_owned(),
                });
            }
        }
    }
    stats.bad_samples.sort_by_key(|s| s.at);
    for (i, s) in summaries.iter_mut().enumerate() {
        s.note_other_formats(i, &stats);
    }
    Analysis { stats, inputs: summaries, join: None, filter: opts.filter.clone(), chunk_lines }
}

#[derive(Default)]
struct ReadResult {
    format: Option<String>,
    wrapper: Option<String>,
    gzip: bool,
    error: Option<String>,
    too_long: u64,
    too_long_sample: Option<Vec<u8>>,
    /// The sequence number of the chunk the first overlong line was dropped before (one past the
    /// last chunk when it was at the end).
    too_long_first: Option<u32>,
    /// Overlong lines dropped after the last chunk.
    too_long_at_end: u64,
}

fn read_input(
    index: usize,
    source: &Source,
    opts: &Options,
    tx: &crossbeam_channel::Sender<Chunk>,
    free: &crossbeam_channel::Receiver<crate::input::ChunkBuf>,
    counter: Arc<AtomicU64>,
) -> ReadResult {
    let input = u32::try_from(index).unwrap_or(u32::MAX);
    let mut result = ReadResult::default();
    let mut seq = 0u32;
    // Tells the collector this input is finished (its result counts u32::MAX lines).
    let sentinel = |seq: u32| {
        let _ = tx.send(Chunk { input, seq, plan: None, data: crate::input::ChunkBuf::default(), skipped: 0 });
    };
    let (reader, gzip) = match open(source, counter) {
        Ok(r) => r,
        Err(e) => {
            result.error = Some(format!("cannot read: {e}"));
            sentinel(seq);
            return result;
        }
    };
    result.gzip = gzip;
    let mut chunker = Chunker::new(reader, opts.max_line);
    let mut buf = crate::input::ChunkBuf::with_capacity(crate::input::CHUNK);
    let mut plan: Option<Arc<Plan>> = None;
    // Overlong lines dropped up to the last chunk sent.
    let mut dropped = 0u64;
    loop {
        let more = match chunker.next_chunk(&mut buf) {
            Ok(m) => m,
            Err(e) => {
                result.error =
                    Some(if gzip { format!("truncated or corrupt gzip: {e}") } else { format!("read error: {e}") });
                !buf.is_empty()
            }
        };
        if chunker.too_long > dropped && result.too_long_first.is_none() {
            result.too_long_first = Some(seq);
        }
        if !more {
            break;
        }
        if plan.is_none() {
            let first_lines: Vec<&[u8]> = buf.split(|&b| b == b'\n').take(SNIFF_LINES * 2).collect();
            if let Some(p) = Plan::sniff(&first_lines, opts) {
                result.format = Some(p.format.name.clone());
                result.wrapper = p.wrapper_name();
                plan = Some(Arc::new(p));
            } else {
                let first = buf.split(|&b| b == b'\n').find(|l| !l.trim_ascii().is_empty()).unwrap_or_default();
                result.error = Some(unrecognised(first));
                break;
            }
        }
        let data = std::mem::replace(
            &mut buf,
            free.try_recv().unwrap_or_else(|_| crate::input::ChunkBuf::with_capacity(crate::input::CHUNK)),
        );
        let skipped = u32::try_from(chunker.too_long - dropped).unwrap_or(u32::MAX);
        if opts.cancelled() || tx.send(Chunk { input, seq, plan: plan.clone(), data, skipped }).is_err() {
            break;
        }
        dropped = chunker.too_long;
        seq += 1;
        if result.error.is_some() {
            break;
        }
    }
    result.too_long = chunker.too_long;
    result.too_long_at_end = chunker.too_long - dropped;
    result.too_long_sample = chunker.too_long_sample.take();
    sentinel(seq);
    result
}

/// Lines of a chunk, found with memchr (a closure-based `split` tests every byte).
fn lines(data: &[u8]) -> impl Iterator<Item = &[u8]> {
    let mut rest = Some(data);
    std::iter::from_fn(move || {
        let d = rest?;
        if let Some(i) = memchr::memchr(b'\n', d) {
            rest = Some(&d[i + 1..]);
            Some(&d[..i])
        } else {
            rest = None;
            Some(d)
        }
    })
}

/// Where a worker puts per-request records (line in chunk, record), and the input's name.
type RecordSink<'a> = (&'a mut Vec<(u32, RequestRecord)>, &'a str);

/// Read one chunk through the core; returns its line count (u32::MAX for the end marker).
fn process_chunk(
    chunk: &Chunk,
    core: &mut Core,
    index: Option<&crate::join::ErrorIndex>,
    mut records: Option<RecordSink<'_>>,
) -> u32 {
    let Some(plan) = &chunk.plan else { return u32::MAX };
    let mut data = &chunk.data[..];
    if data.last() == Some(&b'\n') {
        data = &data[..data.len() - 1];
    }
    let mut rel = chunk.skipped;
    for raw in lines(data) {
        rel += 1;
        let at = LineRef { input: chunk.input, chunk: chunk.seq, line: rel };
        let mut unwrapped = None;
        let mut obs = crate::Observation::default();
        if let Outcome::Request { att, shown: true } = core.line(plan, raw, at, index, &mut unwrapped, &mut obs) {
            if let Some((out, name)) = records.as_mut() {
                out.push((rel, record(&obs, att, name, 0)));
            }
        }
    }
    rel
}
