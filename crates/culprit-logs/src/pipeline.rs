//! One analysis core, two faces.
//!
//! [`Core`] takes one line: unwraps it, parses it with its input's locked format, joins the error
//! log, attributes it and aggregates it into mergeable [`Stats`]. Everything that decides what a
//! request means happens here, once:
//!
//! - the batch face (`engine::analyze`) runs one `Core` per worker thread over chunks of files and
//!   merges their `Stats`;
//! - the streaming face, [`Analyzer`], feeds one `Core` line by line as lines arrive (stdin, a
//!   tailed file), sniffs each input's format from its first lines, keeps the error-log join in a
//!   bounded window, and can be asked for an [`Analysis`] at any moment.
//!
//! Incident detection and the report work on an `Analysis` whichever face made it.

use crate::attribute::{self, Attribution, Context};
use crate::engine::{Analysis, Filter, InputSummary, Options, RequestRecord};
use crate::formats::{Format, errors, is_known_other};
use crate::join::ErrorIndex;
use crate::observation::{Observation, is_dash, last_attempt};
use crate::stats::{LineRef, Sample, Stats, is_error};
use crate::wrapper::{self, Wrapper};
use crate::{paths, time};
use culprit_kb::Confidence;
use std::borrow::Cow;

/// Lines sniffed to pick an input's format.
pub const SNIFF_LINES: usize = 200;
/// A stream keeps error-log entries this long (by their own times) for the join: longer than any
/// request a proxy waits for (ingress-nginx: 60 s read timeout, three tries).
pub const JOIN_WINDOW_MS: i64 = 10 * 60 * 1000;
/// …and at most this many.
pub const JOIN_WINDOW_ENTRIES: usize = 200_000;

/// How one input is read: its container wrapper, its format, and what attribution may rely on.
#[derive(Debug)]
pub struct Plan {
    pub format: Format,
    pub wrapper: Wrapper,
    /// The lines carry prefixes a collector or terminal put in front of them (`docker compose
    /// logs`, syslog, kail…), taken off before the format reads them; named for the summary.
    pub prefixes: Option<String>,
    /// How many prefixes are taken off each line (at most).
    pub prefix_depth: usize,
    pub context: Context,
}

impl Plan {
    /// Sniff the wrapper and the format from an input's first lines (`--format` forces the
    /// format). `None` when no format reads any of them and they are not an error log either.
    pub fn sniff(lines: &[&[u8]], opts: &Options) -> Option<Plan> {
        let lines: Vec<&[u8]> = lines
            .iter()
            .map(|l| l.strip_suffix(b"\r").unwrap_or(l))
            .filter(|l| !l.trim_ascii().is_empty())
            .take(SNIFF_LINES)
            .collect();
        let wrapper = lines.first().map_or(Wrapper::None, |l| wrapper::detect(l));
        let unwrapped: Vec<Cow<'_, [u8]>> = lines.iter().map(|l| wrapper.unwrap(l)).collect();
        let sample: Vec<&[u8]> = unwrapped.iter().map(AsRef::as_ref).collect();
        // Prefixes are taken off when that lets as many lines be read (more, for a prefix that
        // could be a format's own first field): a lenient format may read `web-1  | 10.0.0.1 - -
        // [..` with the prefix glued to the client, but a JSON log's `message` key or an ELB
        // line's leading time are the format's own.
        let levels: Vec<Vec<wrapper::Level<'_>>> =
            sample.iter().map(|l| wrapper::prefix_levels(Cow::Borrowed(*l))).collect();
        let max_depth = levels.iter().map(|ls| ls.len() - 1).max().unwrap_or(0);
        let at_depth =
            |d: usize| -> Vec<&[u8]> { levels.iter().map(|ls| ls[d.min(ls.len() - 1)].1.as_ref()).collect() };
        let score = |d: usize| -> Option<(usize, Format)> {
            let lines = at_depth(d);
            match &opts.format {
                Some(f) => Some((f.reads(&lines), f.clone())),
                None => Format::sniff_scored(&lines),
            }
        };
        let mut depth = 0;
        let mut best = score(0);
        for d in 1..=max_depth {
            let weak =
                levels.iter().find(|ls| ls.len() > d).and_then(|ls| ls[d].0).is_some_and(wrapper::prefix_is_weak);
            let s = score(d);
            let (now, then) = (s.as_ref().map_or(0, |b| b.0), best.as_ref().map_or(0, |b| b.0));
            if now > then || (now == then && now > 0 && !weak) {
                depth = d;
                best = s;
            }
        }
        let format = match best {
            Some((n, f)) if n > 0 || opts.format.is_some() => f,
            _ if Format::looks_like_error_log(&sample) => Format::error_log(),
            _ if max_depth > 0 && Format::looks_like_error_log(&at_depth(max_depth)) => {
                depth = max_depth;
                Format::error_log()
            }
            _ => return None,
        };
        let prefixes = (depth > 0).then(|| {
            let ls = levels.iter().max_by_key(|ls| ls.len()).expect("a prefixed line");
            ls[1..=depth.min(ls.len() - 1)].iter().filter_map(|(n, _)| *n).collect::<Vec<_>>().join(" + ")
        });
        // Error entries whose requests another input logs are joined to them, not counted twice.
        let format = if opts.join_error_entries && format.reads_error_entries() { Format::error_log() } else { format };
        // A fallback's name says what the lines were read by.
        let format = format.described(&at_depth(depth));
        let context = format.context(opts.timeouts);
        Some(Plan { format, wrapper, prefixes, prefix_depth: depth, context })
    }

    /// The payload of a raw line: out of its container wrapper, its prefixes taken off.
    pub fn payload<'a>(&self, raw: &'a [u8]) -> Cow<'a, [u8]> {
        wrapper::strip_up_to(self.wrapper.unwrap(raw), self.prefix_depth)
    }

    /// What the input's summary calls the wrapper and prefixes (`cri`, `docker compose logs`).
    pub fn wrapper_name(&self) -> Option<String> {
        match (self.wrapper.name(), &self.prefixes) {
            (Some(w), Some(p)) => Some(format!("{w} + {p}")),
            (Some(w), None) => Some(w.to_owned()),
            (None, Some(p)) => Some(p.clone()),
            (None, None) => None,
        }
    }
}

/// What to say about an input no format fits: its first line (what to try is said once for all
/// inputs: [`formats_hint`]).
pub fn unrecognised(first: &[u8]) -> String {
    let head = &first[..first.len().min(160)];
    if looks_binary(head) {
        let hex: Vec<String> = head.iter().take(8).map(|b| format!("{b:02x}")).collect();
        let kind = binary_kind(head).map(|k| format!(", {k}")).unwrap_or_default();
        return format!("{UNRECOGNISED} (binary data, not a text log{kind}; first bytes {})", hex.join(" "));
    }
    let shown = String::from_utf8_lossy(head);
    format!("{UNRECOGNISED} (first line: {shown})")
}

/// Bytes no log writer produces in text: NUL, control characters other than tab/CR/ESC, or mostly
/// invalid UTF-8. Echoing them back would print garbage on the terminal.
fn looks_binary(head: &[u8]) -> bool {
    let controls = head.iter().filter(|&&b| b < 0x20 && !matches!(b, b'\t' | b'\r' | 0x1b)).count();
    let invalid = String::from_utf8_lossy(head).matches('\u{fffd}').count();
    head.contains(&0) || controls * 20 > head.len() || invalid * 10 > head.len()
}

/// Compressed or archive formats people hand to culprit by mistake (it reads gzip itself).
fn binary_kind(head: &[u8]) -> Option<&'static str> {
    let kinds: [(&[u8], &str); 5] = [
        (&[0x28, 0xb5, 0x2f, 0xfd], "zstd-compressed: zstdcat FILE | culprit logs -"),
        (b"BZh", "bzip2-compressed: bzcat FILE | culprit logs -"),
        (&[0xfd, b'7', b'z', b'X', b'Z', 0], "xz-compressed: xzcat FILE | culprit logs -"),
        (b"PK\x03\x04", "a zip archive: unzip it first"),
        (b"\x7fELF", "an executable"),
    ];
    kinds.iter().find(|(magic, _)| head.starts_with(magic)).map(|(_, k)| *k)
}

/// How an unrecognised input's error begins.
pub const UNRECOGNISED: &str = "unrecognised log format";

/// The formats tried, and how to describe an nginx `log_format` (the most common reason a file is
/// not recognised).
pub fn formats_hint() -> String {
    format!(
        "formats tried: {}. If nginx wrote it with its own log_format, give that format: --nginx-format \
         '$remote_addr - $remote_user [$time_local] \"$request\" $status …' (--envoy-format for Envoy, --haproxy-format for \
         HAProxy, --format NAME to force one)",
        Format::candidates().iter().map(|f| f.name.clone()).collect::<Vec<_>>().join(", ")
    )
}

/// What became of one line.
// Returned by value once per line and never stored: boxing the observation would cost an
// allocation per line on the hot path.
#[allow(clippy::large_enum_variant)]
#[derive(Debug)]
pub enum Outcome {
    /// A request, attributed and counted (its fields are in the caller's `obs`); `shown` when the
    /// filter admits it.
    Request { att: Attribution, shown: bool },
    /// An error-log line of a registered format (joined, not counted as a request).
    ErrorLine,
    /// Blank, or another line expected in the stream (a controller's own log).
    Other,
    /// Not readable in the input's format (counted and sampled).
    Bad,
    /// Read, but without a status.
    NoStatus,
}

/// The per-line core: attribution and aggregation into its own [`Stats`].
pub struct Core {
    pub stats: Stats,
    filter: Filter,
    /// Per-service timeouts (`--cluster`), looked up once per service name.
    service_timeouts: Option<crate::engine::ServiceTimeouts>,
    timeouts_seen: rustc_hash::FxHashMap<Box<[u8]>, Option<culprit_kb::context::ProxyTimeouts>>,
    /// The user's timeouts (`--proxy-timeouts`), for the context of a line another format reads.
    timeouts: Option<crate::attribute::TimeoutOverride>,
    /// The last other format that read a line its input's format did not (an index in the
    /// registry): tried first on the next such line, so a file of two formats stays fast.
    last_other: Option<usize>,
}

impl std::fmt::Debug for Core {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Core").field("stats", &self.stats).field("filter", &self.filter).finish_non_exhaustive()
    }
}

impl Core {
    pub fn new(opts: &Options) -> Core {
        Core {
            stats: {
                let stats = opts.bucket_ms.map_or_else(Stats::new, Stats::with_resolution);
                match &opts.live {
                    Some(live) => stats.with_live(std::sync::Arc::clone(live)),
                    None => stats,
                }
            },
            filter: opts.filter.clone(),
            service_timeouts: opts.service_timeouts.clone(),
            timeouts_seen: rustc_hash::FxHashMap::default(),
            timeouts: opts.timeouts,
            last_other: None,
        }
    }

    /// The context for one request: its format's, with the timeouts set for its service when the
    /// cluster says (only 502/504 compare durations with them, so only those look it up).
    #[inline]
    fn context_for(&mut self, mut ctx: Context, obs: &Observation<'_>) -> Context {
        let Some(lookup) = &self.service_timeouts else { return ctx };
        if !matches!(obs.status, Some(502 | 504)) || obs.service.is_empty() {
            return ctx;
        }
        let t = if let Some(t) = self.timeouts_seen.get(obs.service) {
            *t
        } else {
            let t = lookup(&String::from_utf8_lossy(obs.service));
            self.timeouts_seen.insert(obs.service.into(), t);
            t
        };
        if let Some(t) = t {
            ctx.connect_timeout = t.connect;
            ctx.read_timeout = t.read;
        }
        ctx
    }

    /// Read one raw line (without its newline) of an input read with `plan`.
    // Inlined into each face's loop: a call per line with six arguments cost ~4% of a run.
    #[inline]
    pub fn line<'a>(
        &mut self,
        plan: &Plan,
        raw: &'a [u8],
        at: LineRef,
        index: Option<&'a ErrorIndex>,
        unwrapped: &'a mut Option<Cow<'a, [u8]>>,
        // The caller's slot: returning the observation by value would copy it once per line.
        obs: &mut Observation<'a>,
    ) -> Outcome {
        let stats = &mut self.stats;
        stats.lines += 1;
        let raw = raw.strip_suffix(b"\r").unwrap_or(raw);
        if raw.trim_ascii().is_empty() {
            stats.other += 1;
            return Outcome::Other;
        }
        let line: &'a [u8] = match plan.wrapper {
            _ if plan.prefix_depth > 0 => unwrapped.insert(plan.payload(raw)),
            Wrapper::None => raw,
            Wrapper::Cri => wrapper::cri(raw).unwrap_or(raw),
            Wrapper::Docker => unwrapped.insert(Wrapper::Docker.unwrap(raw)),
        };
        // The input's format, or (a mixed input) the one that read a line it did not.
        let (format, base) = match plan.format.parse(line, obs) {
            Ok(()) => (&plan.format, plan.context),
            Err(reason) => {
                if errors::is_error_line(line) {
                    stats.other += 1;
                    return Outcome::ErrorLine;
                }
                if is_known_other(line) {
                    stats.other += 1;
                    return Outcome::Other;
                }
                *obs = Observation::default();
                let Some(f) = self.other_format(plan, line, obs) else {
                    self.stats.bad_line(at, reason, line);
                    return Outcome::Bad;
                };
                self.stats.count_other_format(at.input, f);
                (f, f.context(self.timeouts))
            }
        };
        let stats = &mut self.stats;
        if let Some(idx) = index {
            if idx.annotate(obs, format.join_scope()) {
                stats.joined += 1;
            } else if obs.error_log_silent
                && (!base.has_upstream_fields || format.silence_beats_fields())
                && !obs.proxy_answered
                && obs.status.is_some_and(|s| {
                    format.logs_errors_for(s)
                        || (s >= 400 && format.silence_beats_fields() && !is_dash(obs.upstream.addr))
                })
            {
                // The proxy logs an error for this status when it makes it, its error log covers
                // the time and has no entry for this request: the upstream made it. (A format
                // with upstream fields says so itself, better — but for Apache, whose mod_proxy
                // logs its own answers even after choosing a backend, 4xx included.)
                obs.upstream_answered = true;
            }
        }
        let last = last_attempt(&obs.upstream);
        let ctx = self.context_for(base, &*obs);
        let stats = &mut self.stats;
        let Some(att) = attribute::attribute_with(&*obs, last, &ctx) else {
            stats.no_status += 1;
            return Outcome::NoStatus;
        };
        let shown = self.filter.admits(&*obs);
        if shown {
            stats.matched += 1;
            stats.matched_errors += u64::from(is_error(att.cause));
        }
        stats.record(
            &*obs,
            last.map(|a| a.addr),
            &att,
            at,
            || sample(&*obs, att, at),
            || {
                let mut t = Vec::with_capacity(obs.target.len());
                paths::template_into(obs.target, &mut t);
                t
            },
        );
        Outcome::Request { att, shown }
    }
}

impl Core {
    /// A line its input's format does not read (a mixed input: `kubectl logs` across proxies,
    /// an aggregated export): the first registered format that reads it, in sniffing order (the
    /// most specific first), as a line pasted alone is read. The format that read the last such
    /// line is tried first, unless it is one that also reads more specific formats' lines (a
    /// fallback, `combined` with extra fields). Off the hot path: only lines the input's format
    /// fails on come here.
    #[cold]
    #[inline(never)]
    fn other_format<'a>(&mut self, plan: &Plan, line: &'a [u8], obs: &mut Observation<'a>) -> Option<&'static Format> {
        let candidates = Format::candidates();
        let locked = plan.format.registry_index();
        if let Some(i) = self.last_other.filter(|i| Some(*i) != locked) {
            if candidates[i].parse(line, obs).is_ok() {
                return Some(&candidates[i]);
            }
            *obs = Observation::default();
        }
        for (i, f) in candidates.iter().enumerate() {
            if Some(i) == locked || Some(i) == self.last_other {
                continue;
            }
            if f.parse(line, obs).is_ok() {
                self.last_other = f.specific().then_some(i);
                return Some(f);
            }
            *obs = Observation::default();
        }
        None
    }
}

fn lossy(b: &[u8]) -> Option<String> {
    (!b.is_empty() && b != b"-").then(|| String::from_utf8_lossy(b).into_owned())
}

fn sample(obs: &Observation<'_>, att: Attribution, at: LineRef) -> Sample {
    Sample {
        at,
        time_ms: obs.time_ms,
        request_id: lossy(obs.request_id).unwrap_or_default(),
        request: format!("{} {}", String::from_utf8_lossy(obs.method), String::from_utf8_lossy(obs.target)),
        upstream: last_attempt(&obs.upstream).and_then(|a| lossy(a.addr)).unwrap_or_default(),
        evidence: attribute::evidence(obs, &att),
    }
}

/// One request as `--per-request` writes it (`line` is filled by the caller).
pub fn record(obs: &Observation<'_>, att: Attribution, file: &str, line: u64) -> RequestRecord {
    RequestRecord {
        file: file.to_string(),
        line,
        time: obs.time_ms.map(|t| time::format_utc(t).replace(' ', "T") + "Z"),
        request_id: lossy(obs.request_id),
        method: lossy(obs.method),
        path: lossy(obs.target),
        status: obs.status.unwrap_or(0),
        service: lossy(obs.service),
        upstream: last_attempt(&obs.upstream).and_then(|a| lossy(a.addr)),
        generated_by: att.generated_by,
        cause: att.cause.id().to_string(),
        owner: att.cause.owner(),
        confidence: att.confidence,
        evidence: if is_error(att.cause) || att.confidence != Confidence::High {
            attribute::evidence(obs, &att)
        } else {
            Vec::new()
        },
    }
}

/// A streaming input: its plan once sniffed, the lines waiting for it, a partial last line.
#[derive(Debug, Default)]
struct StreamInput {
    summary: InputSummary,
    plan: Option<Plan>,
    /// Lines read before the format was known (at most `SNIFF_LINES`).
    pending: Vec<Vec<u8>>,
    /// Lines read so far (the next line's number is this plus one).
    lines: u64,
    /// Bytes after the last newline of the data pushed so far.
    partial: Vec<u8>,
    /// No format fits: the rest of the input is counted, not read.
    unreadable: bool,
    /// Lines not read as a request: malformed, too long, or in an input no format fits.
    unparsed: u64,
}

/// The streaming face: lines in as they arrive, an [`Analysis`] out at any moment.
///
/// ```
/// use culprit_logs::{Analyzer, engine::Options};
/// let mut a = Analyzer::new(Options::default());
/// let input = a.add_input("stdin");
/// a.push_line(input, br#"10.0.0.9 - - [08/Mar/2026:14:00:00 +0000] "GET / HTTP/1.1" 502 150 "-" "curl""#, None);
/// let analysis = a.finish(None);
/// assert_eq!(analysis.stats.parsed, 1);
/// ```
#[derive(Debug)]
pub struct Analyzer {
    opts: Options,
    core: Core,
    index: ErrorIndex,
    inputs: Vec<StreamInput>,
}

/// Receives every request the filter shows, in input order.
pub type RecordSink<'s, 'f> = Option<&'s mut (dyn FnMut(RequestRecord) + 'f)>;

impl Analyzer {
    pub fn new(opts: Options) -> Analyzer {
        Analyzer {
            core: Core::new(&opts),
            index: ErrorIndex::windowed(JOIN_WINDOW_MS, JOIN_WINDOW_ENTRIES),
            inputs: Vec::new(),
            opts,
        }
    }

    /// Index a whole error log up front (a separate `--error-log` file): its entries stay for the
    /// whole run, beside the window of those that arrive in the stream.
    pub fn preload_error_lines<'l>(&mut self, lines: impl IntoIterator<Item = &'l [u8]>) {
        for line in lines {
            self.index.add_line_kept(&wrapper::error_payload(line));
        }
    }

    /// A new input (a file, stdin); returns its id for [`Self::push_line`].
    pub fn add_input(&mut self, name: impl Into<String>) -> usize {
        self.inputs.push(StreamInput {
            summary: InputSummary { path: name.into(), ..InputSummary::default() },
            ..StreamInput::default()
        });
        self.inputs.len() - 1
    }

    /// The input is read through gzip (for its summary).
    pub fn note_gzip(&mut self, input: usize) {
        self.inputs[input].summary.gzip = true;
    }

    /// A problem with an input that the caller found while reading it (a gzip stream cut short):
    /// reported in the input's summary, as the batch face reports its own read errors.
    pub fn note_input_error(&mut self, input: usize, error: impl Into<String>) {
        self.inputs[input].summary.error = Some(error.into());
    }

    /// Bytes of an input as they arrive: complete lines are read, a partial last line waits for
    /// the rest.
    pub fn push_bytes(&mut self, input: usize, data: &[u8], mut sink: RecordSink<'_, '_>) {
        let mut rest = data;
        while let Some(i) = memchr::memchr(b'\n', rest) {
            let partial = std::mem::take(&mut self.inputs[input].partial);
            if partial.is_empty() {
                self.push_line(input, &rest[..i], sink.as_deref_mut());
            } else {
                let mut line = partial;
                line.extend_from_slice(&rest[..i]);
                self.push_line(input, &line, sink.as_deref_mut());
            }
            rest = &rest[i + 1..];
        }
        self.inputs[input].partial.extend_from_slice(rest);
    }

    /// One line (without its newline) of an input.
    pub fn push_line(&mut self, input: usize, line: &[u8], sink: RecordSink<'_, '_>) {
        let s = &mut self.inputs[input];
        if s.unreadable {
            s.lines += 1;
            s.unparsed += 1;
            self.core.stats.lines += 1;
            return;
        }
        if s.plan.is_none() {
            s.pending.push(line.to_vec());
            if s.pending.len() >= SNIFF_LINES {
                self.lock(input, sink);
            }
            return;
        }
        self.read(input, line, sink);
    }

    /// The end of an input: its partial last line and any lines still waiting for a format.
    pub fn end_input(&mut self, input: usize, mut sink: RecordSink<'_, '_>) {
        let partial = std::mem::take(&mut self.inputs[input].partial);
        if !partial.is_empty() {
            self.push_line(input, &partial, sink.as_deref_mut());
        }
        if self.inputs[input].plan.is_none() && !self.inputs[input].unreadable {
            self.lock(input, sink);
        }
    }

    /// Sniff the input's format from its pending lines and read them. A stream that starts with
    /// error-log lines only does not lock on them: they are joined, and the next lines decide.
    fn lock(&mut self, input: usize, mut sink: RecordSink<'_, '_>) {
        let pending = std::mem::take(&mut self.inputs[input].pending);
        if pending.is_empty() {
            return;
        }
        let sample: Vec<&[u8]> = pending.iter().map(Vec::as_slice).collect();
        let plan = Plan::sniff(&sample, &self.opts);
        if plan.as_ref().is_some_and(|p| p.format.is_error_log()) {
            // Error-log lines only so far (a stream that interleaves both may start with them):
            // join them, and keep waiting for the access lines to lock a format on.
            let s = &mut self.inputs[input];
            s.summary.format = plan.map(|p| p.format.name);
            s.lines += pending.len() as u64;
            self.core.stats.lines += pending.len() as u64;
            self.core.stats.other += pending.len() as u64;
            for line in &pending {
                let payload = wrapper::error_payload(line);
                if errors::is_error_line(&payload) {
                    self.index.add_line(&payload);
                    self.inputs[input].summary.error_log_lines += 1;
                }
            }
            return;
        }
        if let Some(plan) = plan {
            let s = &mut self.inputs[input];
            // A live input whose first lines fit no format may fit one later (below).
            s.summary.error = None;
            s.summary.format = Some(plan.format.name.clone());
            s.summary.wrapper = plan.wrapper_name();
            s.plan = Some(plan);
            for line in &pending {
                self.read(input, line, sink.as_deref_mut());
            }
        } else {
            let first = pending.iter().find(|l| !l.trim_ascii().is_empty()).cloned().unwrap_or_default();
            let live = self.opts.live.is_some();
            let s = &mut self.inputs[input];
            if s.summary.error.is_none() {
                s.summary.error = Some(unrecognised(&first));
            }
            // A file read to its end is judged on its first lines. A live stream is not: an
            // ingress controller's container log can run for hundreds of lines of its own (start-up,
            // reloads) before its first request, so the next lines are sniffed again; these are
            // counted as unparsed.
            s.unreadable = !live;
            s.lines += pending.len() as u64;
            s.unparsed += pending.len() as u64;
            self.core.stats.lines += pending.len() as u64;
        }
    }

    fn read(&mut self, input: usize, line: &[u8], sink: RecordSink<'_, '_>) {
        let s = &mut self.inputs[input];
        s.lines += 1;
        let n = s.lines;
        let at = LineRef::absolute(u32::try_from(input).unwrap_or(u32::MAX), n);
        let plan = s.plan.as_ref().expect("read after the plan is locked");
        let mut unwrapped = None;
        let mut obs = Observation::default();
        let outcome = self.core.line(plan, line, at, Some(&self.index), &mut unwrapped, &mut obs);
        match outcome {
            Outcome::Request { att, shown: true } => {
                if let Some(sink) = sink {
                    sink(record(&obs, att, &self.inputs[input].summary.path, n));
                }
            }
            Outcome::ErrorLine => {
                let payload = plan.payload(line).into_owned();
                self.index.add_line(&payload);
                self.inputs[input].summary.error_log_lines += 1;
            }
            Outcome::Bad => self.inputs[input].unparsed += 1,
            _ => {}
        }
    }

    /// `n` lines longer than the cap were dropped from an input here (before the bytes pushed
    /// next): counted, numbered, and the first sampled when `sample` is given.
    pub fn skip_too_long(&mut self, input: usize, n: u64, sample: Option<Vec<u8>>) {
        if n == 0 {
            return;
        }
        let s = &mut self.inputs[input];
        let first = s.lines + 1;
        s.lines += n;
        s.unparsed += n;
        let stats = &mut self.core.stats;
        *stats.bad.entry(crate::formats::BadLine::TooLong).or_default() += n;
        stats.lines += n;
        if let Some(text) = sample.filter(|_| stats.bad_samples.len() < crate::stats::MAX_BAD_SAMPLES) {
            stats.bad_samples.push(crate::stats::BadSample {
                at: LineRef::absolute(u32::try_from(input).unwrap_or(u32::MAX), first),
                reason: crate::formats::BadLine::TooLong,
                text: String::from_utf8_lossy(&text).into_owned(),
            });
        }
    }

    /// Read the lines still waiting for an input's format now, if its first lines already tell
    /// it (a live file that writes a few lines and then pauses must not keep them uncounted).
    /// Unlike [`Self::end_input`], an input no format fits yet keeps waiting for more lines.
    /// Returns whether no line of the input is left waiting.
    pub fn try_lock(&mut self, input: usize, sink: RecordSink<'_, '_>) -> bool {
        let s = &self.inputs[input];
        if s.pending.is_empty() {
            return true;
        }
        let sample: Vec<&[u8]> = s.pending.iter().map(Vec::as_slice).collect();
        if Plan::sniff(&sample, &self.opts).is_none() {
            return false;
        }
        self.lock(input, sink);
        self.inputs[input].pending.is_empty()
    }

    /// Why the lines waiting for an input's format are still waiting: no format fits them (the
    /// same words as an unrecognised input's error). `None` when nothing waits or one fits.
    pub fn waiting_problem(&self, input: usize) -> Option<String> {
        let s = &self.inputs[input];
        if s.pending.is_empty() {
            return None;
        }
        let sample: Vec<&[u8]> = s.pending.iter().map(Vec::as_slice).collect();
        if Plan::sniff(&sample, &self.opts).is_some() {
            return None;
        }
        let first = s.pending.iter().find(|l| !l.trim_ascii().is_empty()).map_or(&[][..], Vec::as_slice);
        Some(unrecognised(first))
    }

    /// Lines of an input waiting for its format (not counted yet).
    pub fn pending_lines(&self, input: usize) -> usize {
        self.inputs[input].pending.len()
    }

    /// Lines of an input read so far (waiting ones excepted) and, among them, those not read as
    /// a request (malformed, too long, or the whole input when no format fits).
    pub fn input_counts(&self, input: usize) -> (u64, u64) {
        let s = &self.inputs[input];
        (s.lines, s.unparsed)
    }

    /// An input's summary: its name, format, wrapper, and the problem reading it if any.
    pub fn input_summary(&self, input: usize) -> &InputSummary {
        &self.inputs[input].summary
    }

    /// The aggregates so far, without copying them.
    pub fn stats(&self) -> &Stats {
        &self.core.stats
    }

    /// Reserve a service name (see [`Stats::reserve_service`]).
    pub fn reserve_service(&mut self, name: &str) {
        self.core.stats.reserve_service(name);
    }

    /// Run `f` on what has been read so far as an [`Analysis`], without copying the aggregates
    /// (what [`Self::snapshot`] does, for a caller that only looks).
    pub fn inspect<R>(&mut self, f: impl FnOnce(&Analysis) -> R) -> R {
        let stats = std::mem::take(&mut self.core.stats);
        let analysis = self.analysis(stats);
        let out = f(&analysis);
        self.core.stats = analysis.stats;
        out
    }

    /// What has been read so far, as an [`Analysis`] (the stream goes on).
    pub fn snapshot(&self) -> Analysis {
        self.analysis(self.core.stats.clone())
    }

    /// The end of the stream: every input ended, the final [`Analysis`].
    pub fn finish(mut self, mut sink: RecordSink<'_, '_>) -> Analysis {
        for i in 0..self.inputs.len() {
            self.end_input(i, sink.as_deref_mut());
        }
        let stats = std::mem::take(&mut self.core.stats);
        self.analysis(stats)
    }

    fn analysis(&self, stats: Stats) -> Analysis {
        let inputs: Vec<InputSummary> = self
            .inputs
            .iter()
            .enumerate()
            .map(|(i, s)| {
                let mut summary = InputSummary { lines: s.lines, ..s.summary.clone() };
                summary.note_other_formats(i, &stats);
                summary
            })
            .collect();
        let join = (self.index.lines > 0).then(|| self.index.counts());
        Analysis::streamed(stats, inputs, join, self.opts.filter.clone())
    }
}

#[cfg(test)]
mod tests {
    use super::unrecognised;

    #[test]
    fn binary_input_is_named_not_echoed() {
        let zstd = [0x28, 0xb5, 0x2f, 0xfd, 0x00, 0x58, 0x11, 0x00, 0x9a];
        let said = unrecognised(&zstd);
        assert!(said.contains("binary data") && said.contains("zstdcat") && said.contains("28 b5 2f fd"), "{said}");
        let noise: Vec<u8> = (0u8..=255).rev().collect();
        assert!(unrecognised(&noise).contains("binary data, not a text log; first bytes ff fe"));
        let text = unrecognised(b"hello \x1b[1mworld\x1b[0m\tline");
        assert!(text.contains("first line: hello"), "{text}");
    }
}
