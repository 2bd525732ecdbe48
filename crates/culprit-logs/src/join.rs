//! Joining an error log to the access log: an access line says *that* nginx answered 502, the
//! error log says *why* ("connect() failed (111: Connection refused)", "upstream prematurely closed
//! connection"…). Entries (any registered error-log format, `formats::errors`) are keyed by client
//! address, request method and target, and matched to an access line when the error happened during
//! that request (between its start, `time - request_time`, and its end, with slack for one-second
//! timestamps) and agrees with it.
//!
//! Batch runs index whole error logs first; a stream (stdin, `watch`) keeps a bounded window of
//! recent entries instead ([`ErrorIndex::windowed`]): an error line is written when the failure
//! happens, before the access line of its request, so the window holds it when that line arrives.

use crate::formats::errors::{self, ERROR_LOGS, ErrorEntry};
use crate::input::{Chunker, Source, open};
use crate::observation::{JoinQuality, Observation, Signal, attempts, is_dash};
use crate::wrapper;
use rustc_hash::{FxHashMap, FxHasher};
use std::hash::{Hash, Hasher};
use std::io::{Read, Seek, SeekFrom};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

/// Distinct messages kept verbatim; beyond this, entries keep only their signal.
const MAX_MESSAGES: usize = 4096;
/// Entries kept; beyond this, later ones are counted but not indexed.
const MAX_ENTRIES: u64 = 4_000_000;
const SLACK_MS: i64 = 2000;
/// An error log covers the requests from an hour before its first line to an hour after its last:
/// it only has lines when something fails, so its span is narrower than the period it watched.
const COVER_MS: i64 = 3_600_000;
/// Threads whose last cause is remembered (more are forgotten at once), and for how long.
const MAX_THREADS: usize = 4096;
const THREAD_MS: i64 = 1000;

#[derive(Debug)]
struct Entry {
    /// The entry's time. nginx writes its error log in the server's local time without a zone:
    /// such times are kept as written (`local`), and compared with the access line's own local
    /// time (its UTC time plus the offset it was written with).
    time_ms: i64,
    local: bool,
    signal: Signal,
    /// Hash of the upstream the message names (0: it names none).
    peer: u64,
    /// The upstream it names, interned (`u32::MAX`: none or not kept).
    peer_text: u32,
    message: u32,
    /// Which error-log format it came from (index in `ERROR_LOGS`).
    source: u8,
    /// For an entry that names the client but not its request line (Apache's): the client's port
    /// (0: not named) and the hash of the path it names (0: none), checked against the access line.
    port: u16,
    path: u64,
    /// Some access line took this entry as its explanation.
    claimed: AtomicBool,
}

/// Error-log entries indexed for the join.
#[derive(Debug, Default)]
pub struct ErrorIndex {
    map: FxHashMap<u64, Vec<Entry>>,
    messages: Vec<Box<str>>,
    message_ids: FxHashMap<Box<str>, u32>,
    peers: Vec<Box<str>>,
    peer_ids: FxHashMap<Box<str>, u32>,
    /// Error-log lines seen, indexed (with a known signal or from Caddy), and dropped over the cap.
    pub lines: u64,
    pub indexed: u64,
    pub dropped: u64,
    /// Per error-log format (index in `ERROR_LOGS`): the first and last time of its lines, and
    /// whether those are local times.
    coverage: [Option<(i64, i64, bool)>; 8],
    /// Entries that name a client but no request line (Apache's) were indexed: access lines also
    /// look them up by client alone.
    requestless: bool,
    /// Per writing thread, the last precise cause it wrote and when (see `ingest`).
    thread_cause: FxHashMap<u64, (Signal, i64)>,
    /// A stream's window: entries older than this before the newest are dropped, and at most
    /// `cap` are kept (`None`: batch, keep everything up to `MAX_ENTRIES`).
    window: Option<Window>,
    /// Arrival order of the entries, for the window: (time, key).
    order: std::collections::VecDeque<(i64, u64)>,
    /// Entries dropped from the window after explaining a request.
    used_and_dropped: u64,
    /// Joins made by comparing local error-log times with an access line that gives no zone
    /// (its times were taken as UTC).
    assumed_utc: AtomicU64,
    /// Joins where several entries with different messages fitted one request.
    ambiguous: AtomicU64,
    /// Entries that matched a request by client, request line and time but contradicted its
    /// access line (an upstream the line does not show, a body limit on a request that reached an
    /// upstream, a status the message cannot produce), and were left out.
    inconsistent: AtomicU64,
}

/// What an access line may be joined with: the error logs of its own proxy (a bit per index in
/// `ERROR_LOGS`), and whether its format logs upstreams.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct JoinScope {
    pub sources: u8,
    pub has_upstream_fields: bool,
}

impl JoinScope {
    /// Every error log (tests, and formats whose proxy is unknown).
    pub const ANY: u8 = u8::MAX;
}

#[derive(Debug, Clone, Copy)]
struct Window {
    ms: i64,
    cap: usize,
}

/// What the join did, for the report.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct JoinCounts {
    /// Error-log lines read (in the inputs and the `--error-log` files).
    pub lines: u64,
    /// Of those, entries culprit can use (a known message, or any Caddy error entry).
    pub indexed: u64,
    /// Entries that explained at least one access line.
    pub used: u64,
    /// Joins that compared local times against an access line without a zone (taken as UTC).
    pub assumed_utc: u64,
    /// Joins where more than one entry fitted.
    pub ambiguous: u64,
    /// Candidate entries rejected because they contradicted the access line.
    pub inconsistent: u64,
}

/// `10.0.0.1:53768` → (`10.0.0.1`, 53768); `[::1]:80` → (`::1`, 80); an address without a port
/// (or an IPv6 one without brackets) stays whole, port 0.
fn split_client(client: &[u8]) -> (&[u8], u16) {
    let port = |p: &[u8]| crate::observation::parse_u16(p).unwrap_or(0);
    if let Some(rest) = client.strip_prefix(b"[") {
        if let Some(close) = memchr::memchr(b']', rest) {
            return (&rest[..close], rest.get(close + 2..).map_or(0, port));
        }
    }
    match memchr::memrchr(b':', client) {
        Some(i) if !client[..i].contains(&b':') => (&client[..i], port(&client[i + 1..])),
        _ => (client, 0),
    }
}

fn path_hash(target: &[u8]) -> u64 {
    let path = crate::scan::path_of(target);
    if path.is_empty() {
        return 0;
    }
    let mut h = FxHasher::default();
    path.hash(&mut h);
    h.finish() | 1
}

fn key(client: &[u8], method: &[u8], target: &[u8]) -> u64 {
    let mut h = FxHasher::default();
    client.hash(&mut h);
    method.hash(&mut h);
    target.hash(&mut h);
    h.finish()
}

fn peer_hash(peer: &[u8]) -> u64 {
    if is_dash(peer) {
        return 0;
    }
    let mut h = FxHasher::default();
    peer.hash(&mut h);
    h.finish() | 1
}

/// The id of `text` in an interning table (`u32::MAX` once the table is full).
fn intern(table: &mut Vec<Box<str>>, ids: &mut FxHashMap<Box<str>, u32>, text: &[u8]) -> u32 {
    let text = String::from_utf8_lossy(text);
    if let Some(&id) = ids.get(text.as_ref()) {
        return id;
    }
    if table.len() >= MAX_MESSAGES {
        return u32::MAX;
    }
    let id = u32::try_from(table.len()).unwrap_or(u32::MAX);
    let boxed: Box<str> = text.into();
    table.push(boxed.clone());
    ids.insert(boxed, id);
    id
}

/// Whether a proxy can answer `status` for the reason `signal` stands for. A message that cannot
/// have produced the access line's status belongs to another request.
fn signal_fits_status(signal: Signal, status: u16) -> bool {
    use Signal as S;
    match signal {
        // Retries may still end well; the mid-response death keeps the upstream's status.
        S::UpstreamDiedMidResponse | S::ClientAborted => true,
        // Caddy's body limit fails the proxied request with 502 (lab/README.md).
        S::BodyTooLarge => matches!(status, 413 | 502),
        S::HeaderTooLarge => matches!(status, 400 | 414 | 431 | 494),
        S::InvalidRequest => matches!(status, 400 | 405 | 414 | 494 | 501 | 505),
        S::ClientTimeout => matches!(status, 408 | 400),
        S::AccessDenied => status == 403,
        S::AuthFailed => matches!(status, 401 | 403 | 500),
        // limit_req_status / limit_conn_status may be set to any 4xx/5xx.
        S::RateLimited => status >= 400,
        S::NoRoute => status == 404,
        _ => status >= 500,
    }
}

impl ErrorIndex {
    pub fn is_empty(&self) -> bool {
        self.indexed == 0
    }

    /// What the join did so far.
    pub fn counts(&self) -> JoinCounts {
        JoinCounts {
            lines: self.lines,
            indexed: self.indexed,
            used: self.used_and_dropped
                + self.map.values().flatten().filter(|e| e.claimed.load(Ordering::Relaxed)).count() as u64,
            assumed_utc: self.assumed_utc.load(Ordering::Relaxed),
            ambiguous: self.ambiguous.load(Ordering::Relaxed),
            inconsistent: self.inconsistent.load(Ordering::Relaxed),
        }
    }

    /// Index one line if it is an error-log line of a registered format (an unknown message is kept
    /// only for a proxy that logs every answer it makes: it still says who answered).
    pub fn add_line(&mut self, line: &[u8]) {
        self.ingest(line, true);
    }

    /// [`Self::add_line`] for an entry that stays whatever the window (a separate error log read
    /// up front).
    pub fn add_line_kept(&mut self, line: &[u8]) {
        self.ingest(line, false);
    }

    fn ingest(&mut self, line: &[u8], windowed: bool) {
        let Some((mut e, name)) = errors::parse(line) else { return };
        self.lines += 1;
        if e.thread != 0 {
            // Apache writes one failure as several entries of one thread, within microseconds:
            // AH00957 (the errno, no client) then AH01114 (the client, no errno); AH01102 (the
            // errno) then AH00898 (the path, no errno). A vague entry takes the cause its thread
            // just wrote.
            let vague = |s: Signal| matches!(s, Signal::ProxyError | Signal::UpstreamConnectFailed);
            match (e.signal, self.thread_cause.get(&e.thread)) {
                (Some(s), Some(&(before, at))) if vague(s) && !vague(before) && (e.time_ms - at).abs() <= THREAD_MS => {
                    e.signal = Some(before);
                }
                (Some(s), _) if !vague(s) => {
                    if self.thread_cause.len() >= MAX_THREADS {
                        self.thread_cause.clear();
                    }
                    self.thread_cause.insert(e.thread, (s, e.time_ms));
                }
                _ => {}
            }
        }
        let source = ERROR_LOGS.iter().position(|s| s.name == name).unwrap_or(0);
        self.add(&e, source, windowed);
    }

    /// Whether an error log of one of `sources` covers `time_ms` (its lines are around it, within
    /// `COVER_MS`): only then does the absence of an entry for a request say something.
    fn covers(&self, sources: u8, time_ms: i64, local_time_ms: i64) -> bool {
        self.coverage.iter().enumerate().any(|(i, c)| {
            let Some((first, last, local)) = *c else { return false };
            let t = if local { local_time_ms } else { time_ms };
            sources & (1 << i) != 0 && (first - COVER_MS..=last + COVER_MS).contains(&t)
        })
    }

    /// Index one entry (`source`: its format's index in `ERROR_LOGS`; `windowed`: it may leave
    /// a stream's window).
    pub fn add(&mut self, e: &ErrorEntry<'_>, source: usize, windowed: bool) {
        if let Some(c) = self.coverage.get_mut(source) {
            let (first, last, _) = c.get_or_insert((e.time_ms, e.time_ms, e.local_time));
            *first = (*first).min(e.time_ms);
            *last = (*last).max(e.time_ms);
        }
        let Some(signal) = e.join_signal() else { return };
        if self.window.is_none() && self.indexed >= MAX_ENTRIES {
            self.dropped += 1;
            return;
        }
        let message = intern(&mut self.messages, &mut self.message_ids, e.message);
        let peer_text =
            if is_dash(e.upstream) { u32::MAX } else { intern(&mut self.peers, &mut self.peer_ids, e.upstream) };
        // An entry without a request line is found by its client alone, then checked against the
        // path and the port it names.
        let requestless = e.method.is_empty();
        let k = if requestless { key(e.client, b"", b"") } else { key(e.client, e.method, e.target) };
        self.requestless |= requestless;
        self.map.entry(k).or_default().push(Entry {
            time_ms: e.time_ms,
            local: e.local_time,
            signal,
            peer: peer_hash(e.upstream),
            peer_text,
            message,
            source: u8::try_from(source).unwrap_or(0),
            port: if requestless { crate::observation::parse_u16(e.client_port).unwrap_or(0) } else { 0 },
            path: if requestless { path_hash(e.target) } else { 0 },
            claimed: AtomicBool::new(false),
        });
        self.indexed += 1;
        if let Some(w) = self.window.filter(|_| windowed) {
            self.order.push_back((e.time_ms, k));
            self.evict(w, e.time_ms);
        }
    }

    /// A stream's index: entries older than `window_ms` before the newest, and beyond `cap`,
    /// are dropped as new ones arrive.
    pub fn windowed(window_ms: i64, cap: usize) -> ErrorIndex {
        ErrorIndex { window: Some(Window { ms: window_ms, cap }), ..ErrorIndex::default() }
    }

    fn evict(&mut self, w: Window, newest: i64) {
        while let Some(&(t, k)) = self.order.front() {
            if t >= newest - w.ms && self.order.len() <= w.cap {
                break;
            }
            self.order.pop_front();
            // Entries of one key arrive in order: the oldest is first.
            if let Some(v) = self.map.get_mut(&k) {
                if !v.is_empty() {
                    let e = v.remove(0);
                    self.used_and_dropped += u64::from(e.claimed.load(Ordering::Relaxed));
                }
                if v.is_empty() {
                    self.map.remove(&k);
                }
            }
        }
    }

    /// Combine two indexes (built from different inputs).
    pub fn merge(&mut self, other: ErrorIndex) {
        self.lines += other.lines;
        self.dropped += other.dropped;
        for (mine, theirs) in self.coverage.iter_mut().zip(other.coverage) {
            *mine = match (*mine, theirs) {
                (Some((a, b, l)), Some((c, d, _))) => Some((a.min(c), b.max(d), l)),
                (m, t) => m.or(t),
            };
        }
        self.requestless |= other.requestless;
        self.used_and_dropped += other.used_and_dropped;
        for (k, entries) in other.map {
            for mut e in entries {
                if e.message != u32::MAX {
                    let text = other.messages[e.message as usize].as_bytes();
                    e.message = intern(&mut self.messages, &mut self.message_ids, text);
                }
                if e.peer_text != u32::MAX {
                    let text = other.peers[e.peer_text as usize].as_bytes();
                    e.peer_text = intern(&mut self.peers, &mut self.peer_ids, text);
                }
                self.map.entry(k).or_default().push(e);
                self.indexed += 1;
            }
        }
    }

    /// Find the error-log entry explaining `obs`, and mark the observation with its signal.
    ///
    /// Candidates share the request's client, method and target and fall inside its time window
    /// (from its start, `time - request_time`, to its end, with slack for one-second timestamps).
    /// A candidate must also agree with the access line: an upstream failure must name an
    /// upstream the line shows (when the format logs upstreams), a message about the request
    /// itself (body too large, rate limited) cannot belong to a request that reached an upstream,
    /// and the message must be able to produce the logged status. Of those left, the closest to
    /// the request's end wins; when several with different messages remain, the join says so.
    pub fn annotate<'a>(&'a self, obs: &mut Observation<'a>, scope: JoinScope) -> bool {
        let Some(end) = obs.time_ms else { return false };
        // The access line's own local time, to compare with error logs written without a zone.
        let offset = crate::time::zone_offset_s(obs.time_raw);
        let local_end = end + offset.unwrap_or(0) * 1000;
        let joined = self.join_entry(obs, scope, end, local_end, offset);
        if !joined && self.covers(scope.sources, end, local_end) {
            obs.error_log_silent = true;
        }
        joined
    }

    fn join_entry<'a>(
        &'a self,
        obs: &mut Observation<'a>,
        scope: JoinScope,
        end: i64,
        local_end: i64,
        offset: Option<i64>,
    ) -> bool {
        let has_upstream_fields = scope.has_upstream_fields;
        let (ip, logged_port) = split_client(obs.client);
        let port = crate::observation::parse_u16(obs.client_port).unwrap_or(logged_port);
        let by_request = self.map.get(&key(ip, obs.method, obs.target)).map_or(&[][..], Vec::as_slice);
        let by_client = if self.requestless && !(obs.method.is_empty() && obs.target.is_empty()) {
            self.map.get(&key(ip, b"", b"")).map_or(&[][..], Vec::as_slice)
        } else {
            &[]
        };
        if by_request.is_empty() && by_client.is_empty() {
            return false;
        }
        let path = path_hash(obs.target);
        let status = obs.status.unwrap_or(0);
        #[allow(clippy::cast_possible_truncation)]
        let duration = obs.request_time.map_or(0, |t| (t * 1000.0) as i64);
        let peers: Vec<u64> = attempts(&obs.upstream).map(|a| peer_hash(a.addr)).filter(|&h| h != 0).collect();
        let reached_upstream = !peers.is_empty();
        let last_peer = peers.last().copied().unwrap_or(0);
        // Ranked (see `Rank`): the request's own connection first, then an entry naming the
        // request, then one naming a cause over one that only says the proxy answered; with
        // retries, each failed attempt has its own message, and the last one decided what the
        // client got; then the closest in time.
        let mut best: Option<(&Entry, Rank)> = None;
        let mut fitting = 0u8;
        let mut differing = false;
        let mut needed_zone = false;
        let candidates = by_request.iter().map(|e| (e, true)).chain(by_client.iter().map(|e| (e, false)));
        for (e, named_request) in candidates {
            if scope.sources & (1 << e.source) == 0 {
                // Another proxy's error log (several proxies' logs read together).
                continue;
            }
            if !named_request {
                if (e.port != 0 && port != 0 && e.port != port) || (e.path != 0 && e.path != path) {
                    continue;
                }
                // Found by the client alone (no port, no path to compare): only an error status
                // the entry can explain — a death mid-body or a client leaving keeps a success
                // status, and one client's successes are too many to pin such an entry on.
                let pinned = (e.port != 0 && e.port == port) || e.path != 0;
                if !pinned
                    && (status < 400 || matches!(e.signal, Signal::UpstreamDiedMidResponse | Signal::ClientAborted))
                {
                    continue;
                }
            }
            let at_end = if e.local { local_end } else { end };
            // The logged time is the request's end (nginx) or its start (Apache's `%t`): the
            // entry falls within its duration either side, with slack for one-second stamps.
            if !(at_end - duration - SLACK_MS..=at_end + duration + SLACK_MS).contains(&e.time_ms) {
                continue;
            }
            let consistent = signal_fits_status(e.signal, status)
                && if e.peer != 0 {
                    // It names an upstream: the line must show that one (or show none at all
                    // because the format has no upstream fields).
                    if has_upstream_fields { peers.contains(&e.peer) } else { true }
                } else {
                    // About the request itself; or from a log that never names the upstream
                    // (Caddy's), whose access log has no upstream fields to contradict it.
                    !has_upstream_fields || !reached_upstream
                };
            if !consistent {
                self.inconsistent.fetch_add(1, Ordering::Relaxed);
                continue;
            }
            let own_connection = e.port != 0 && e.port == port;
            // Keyed by the request line, or naming the request's path (Apache's AH00898).
            let names_request = named_request || e.path != 0;
            let vague = matches!(e.signal, Signal::ProxyError | Signal::UpstreamConnectFailed);
            let rank = (!own_connection, !names_request, vague, e.peer != last_peer, (e.time_ms - at_end).abs());
            let class = |r: &Rank| (r.0, r.1, r.2, r.3);
            match best {
                Some((b, r)) if class(&r) == class(&rank) => {
                    differing |= b.signal != e.signal;
                    fitting = fitting.saturating_add(1);
                }
                // The best so far is in a better class than this one.
                Some((_, r)) if class(&r) < class(&rank) => continue,
                _ => {
                    // A better class of candidate: earlier ones no longer compete.
                    differing = false;
                    fitting = 1;
                }
            }
            if best.is_none_or(|(_, r)| rank < r) {
                best = Some((e, rank));
                needed_zone = e.local;
            }
        }
        let Some((e, _)) = best else { return false };
        e.claimed.store(true, Ordering::Relaxed);
        if needed_zone && offset.is_none() {
            self.assumed_utc.fetch_add(1, Ordering::Relaxed);
        }
        if differing {
            self.ambiguous.fetch_add(1, Ordering::Relaxed);
            obs.join = JoinQuality::Ambiguous(fitting);
        }
        obs.signals.set(e.signal);
        if !has_upstream_fields && e.peer_text != u32::MAX {
            // The access format logs no upstream; the error log names the one that failed.
            obs.upstream.addr = self.peers.get(e.peer_text as usize).map_or(b"-", |p| p.as_bytes());
            obs.upstream.single = true;
        }
        obs.detail_source = ERROR_LOGS.get(usize::from(e.source)).map_or("error log", |s| s.name);
        obs.detail = self.messages.get(e.message as usize).map_or(b"(message not kept)", |m| m.as_bytes());
        true
    }
}

/// How well an entry fits a request, lower first: (not on the request's own connection, naming
/// neither its request line nor its path, a vague message, not about the last attempt, distance in
/// time).
type Rank = (bool, bool, bool, bool, i64);

/// Windows sampled from a seekable file to decide whether it holds error-log lines at all.
const PROBES: u64 = 8;
const PROBE_BYTES: usize = 64 * 1024;

/// Build the error-log index: every `extra` source (a separate error log) and every input that
/// holds error-log lines. Returns the index (`None` when there is nothing to join) and, per input,
/// the number of error-log lines found in it.
pub fn build(inputs: &[Source], extra: &[Source], max_line: usize, threads: usize) -> (Option<ErrorIndex>, Vec<u64>) {
    // Inputs first, then the separate error logs (always scanned), at most `threads` at a time.
    let jobs: Vec<(&Source, bool)> = inputs.iter().map(|s| (s, false)).chain(extra.iter().map(|s| (s, true))).collect();
    let next = std::sync::atomic::AtomicUsize::new(0);
    let mut results: Vec<(usize, ErrorIndex)> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..threads.clamp(1, jobs.len().max(1)))
            .map(|_| {
                let (jobs, next) = (&jobs, &next);
                scope.spawn(move || {
                    let mut done = Vec::new();
                    loop {
                        let i = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                        let Some(&(source, always)) = jobs.get(i) else { break };
                        let mut idx = ErrorIndex::default();
                        if always || holds_error_lines(source) {
                            scan(source, max_line, &mut idx);
                        }
                        done.push((i, idx));
                    }
                    done
                })
            })
            .collect();
        handles.into_iter().flat_map(|h| h.join().unwrap_or_default()).collect()
    });
    results.sort_by_key(|(i, _)| *i);
    let mut index = ErrorIndex::default();
    let mut found = Vec::with_capacity(inputs.len());
    for (i, idx) in results {
        if i < inputs.len() {
            found.push(idx.lines);
        }
        index.merge(idx);
    }
    ((!index.is_empty()).then_some(index), found)
}

/// Whether error-log lines appear in the first chunk or, for a seekable file, in a few windows
/// spread over it: a plain access log is then never read twice.
fn holds_error_lines(source: &Source) -> bool {
    let counter = Arc::new(AtomicU64::new(0));
    let Ok((mut reader, gzip)) = open(source, counter) else { return false };
    let mut buf = vec![0u8; 1 << 20];
    let n = read_full(&mut reader, &mut buf);
    if has_error_line(&buf[..n]) {
        return true;
    }
    let Source::File(path) = source else { return false };
    if gzip {
        return false;
    }
    let Ok(mut file) = std::fs::File::open(path) else { return false };
    let len = file.metadata().map_or(0, |m| m.len());
    let mut window = vec![0u8; PROBE_BYTES];
    (1..=PROBES).any(|i| {
        let at = len * i / (PROBES + 1);
        file.seek(SeekFrom::Start(at)).is_ok() && {
            let n = read_full(&mut file, &mut window);
            has_error_line(&window[..n])
        }
    })
}

fn read_full(r: &mut impl Read, buf: &mut [u8]) -> usize {
    let mut n = 0;
    while n < buf.len() {
        match r.read(&mut buf[n..]) {
            Ok(0) | Err(_) => break,
            Ok(k) => n += k,
        }
    }
    n
}

fn has_error_line(data: &[u8]) -> bool {
    data.split(|&b| b == b'\n').any(|l| errors::is_error_line(&wrapper::error_payload(l)))
}

fn scan(source: &Source, max_line: usize, idx: &mut ErrorIndex) {
    let counter = Arc::new(AtomicU64::new(0));
    let Ok((reader, _)) = open(source, counter) else { return };
    let mut chunker = Chunker::new(reader, max_line);
    let mut buf = crate::input::ChunkBuf::default();
    while let Ok(true) = chunker.next_chunk(&mut buf) {
        for line in buf.split(|&b| b == b'\n') {
            idx.add_line(&wrapper::error_payload(line.strip_suffix(b"\r").unwrap_or(line)));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::formats::nginx::{NginxFormat, UPSTREAMINFO};

    #[test]
    fn joins_by_client_request_upstream_and_time() {
        let mut idx = ErrorIndex::default();
        idx.add_line(br#"2023/04/17 20:24:55 [error] 397#397: *56382572 upstream prematurely closed connection while reading response header from upstream, client: 3.18.201.127, server: api, request: "POST /api/authentication/token HTTP/1.1", upstream: "http://10.1.2.3:8080/api/authentication/token", host: "api""#);
        idx.add_line(br#"2023/04/17 20:24:55 [error] 397#397: *56382573 connect() failed (111: Connection refused) while connecting to upstream, client: 9.9.9.9, server: api, request: "POST /api/authentication/token HTTP/1.1", upstream: "http://10.1.2.3:8080/api/authentication/token", host: "api""#);
        assert_eq!(idx.indexed, 2);
        let f = NginxFormat::compile(UPSTREAMINFO).unwrap();
        let line = br#"3.18.201.127 - - [17/Apr/2023:20:24:55 +0000] "POST /api/authentication/token HTTP/1.1" 502 150 "-" "axios/0.23.0" 340 0.016 [ns-auth-8080] [] 10.1.2.3:8080 0 0.000 502 baef50777d0f3651f32233c609ad0e7e"#;
        let mut obs = Observation::default();
        f.parse(line, &mut obs).unwrap();
        assert!(idx.annotate(&mut obs, JoinScope { sources: JoinScope::ANY, has_upstream_fields: true }));
        assert!(obs.signals.has(Signal::UpstreamClosedPrematurely));
        assert!(!obs.signals.has(Signal::UpstreamConnectRefused), "another client's error must not match");
        // Same request an hour later: no match.
        let later = String::from_utf8_lossy(line).replace("20:24:55", "21:24:55");
        let mut obs = Observation::default();
        f.parse(later.as_bytes(), &mut obs).unwrap();
        assert!(!idx.annotate(&mut obs, JoinScope { sources: JoinScope::ANY, has_upstream_fields: true }));
    }

    fn parsed<'a>(format: &str, line: &'a str) -> Observation<'a> {
        let f = NginxFormat::compile(format).unwrap();
        let mut obs = Observation::default();
        f.parse(line.as_bytes(), &mut obs).unwrap();
        obs
    }

    const REFUSED: &[u8] = br#"2026/03/08 14:50:01 [error] 31#31: *5 connect() failed (111: Connection refused) while connecting to upstream, client: 10.0.0.9, server: _, request: "GET /api/x HTTP/1.1", upstream: "http://10.0.0.1:8080/api/x", host: "shop""#;

    #[test]
    fn combined_lines_join_without_upstream_fields() {
        let mut idx = ErrorIndex::default();
        idx.add_line(REFUSED);
        let mut obs = parsed(
            crate::formats::nginx::COMBINED,
            r#"10.0.0.9 - - [08/Mar/2026:14:50:01 +0000] "GET /api/x HTTP/1.1" 502 157 "-" "curl/8""#,
        );
        assert!(idx.annotate(&mut obs, JoinScope { sources: JoinScope::ANY, has_upstream_fields: false }));
        assert!(obs.signals.has(Signal::UpstreamConnectRefused));
        assert_eq!(idx.counts().used, 1);
        // A 200 for the same request cannot be what a refused connection produced.
        let mut ok = parsed(
            crate::formats::nginx::COMBINED,
            r#"10.0.0.9 - - [08/Mar/2026:14:50:01 +0000] "GET /api/x HTTP/1.1" 200 157 "-" "curl/8""#,
        );
        assert!(!idx.annotate(&mut ok, JoinScope { sources: JoinScope::ANY, has_upstream_fields: false }));
    }

    #[test]
    fn local_error_log_times_follow_the_access_lines_zone() {
        // The server runs at +0100: the access line says 15:50 +0100, the error log 15:50 (local).
        let mut idx = ErrorIndex::default();
        idx.add_line(&String::from_utf8_lossy(REFUSED).replace("14:50:01", "15:50:01").into_bytes());
        let mut obs = parsed(
            crate::formats::nginx::COMBINED,
            r#"10.0.0.9 - - [08/Mar/2026:15:50:01 +0100] "GET /api/x HTTP/1.1" 502 157 "-" "curl/8""#,
        );
        assert!(
            idx.annotate(&mut obs, JoinScope { sources: JoinScope::ANY, has_upstream_fields: false }),
            "local times compared in the access line's zone"
        );
        assert_eq!(idx.counts().assumed_utc, 0);
    }

    #[test]
    fn an_entry_that_contradicts_the_access_line_is_not_joined() {
        // The upstream answered this request with its own 413 (53 bytes): nginx's body limit
        // message about the same client, request and second belongs to another request.
        let mut idx = ErrorIndex::default();
        idx.add_line(br#"2026/03/08 14:50:01 [error] 31#31: *7 client intended to send too large body: 2097152 bytes, client: 10.0.0.9, server: _, request: "POST /upload HTTP/1.1", host: "shop""#);
        let reached = r#"10.0.0.9 - - [08/Mar/2026:14:50:01 +0000] "POST /upload HTTP/1.1" 413 53 "-" "curl/8" 90 0.004 [ns-up-80] [] 10.0.0.1:8080 53 0.004 413 id1"#;
        let mut obs = parsed(crate::formats::nginx::UPSTREAMINFO, reached);
        assert!(!idx.annotate(&mut obs, JoinScope { sources: JoinScope::ANY, has_upstream_fields: true }));
        assert!(idx.counts().inconsistent >= 1);
        let own = r#"10.0.0.9 - - [08/Mar/2026:14:50:01 +0000] "POST /upload HTTP/1.1" 413 176 "-" "curl/8" 90 0.000 [ns-up-80] [] - - - - id2"#;
        let mut obs = parsed(crate::formats::nginx::UPSTREAMINFO, own);
        assert!(idx.annotate(&mut obs, JoinScope { sources: JoinScope::ANY, has_upstream_fields: true }));
        assert!(obs.signals.has(Signal::BodyTooLarge));
        // An upstream failure naming another upstream than the line's is someone else's.
        let mut idx = ErrorIndex::default();
        idx.add_line(REFUSED);
        let other = r#"10.0.0.9 - - [08/Mar/2026:14:50:01 +0000] "GET /api/x HTTP/1.1" 502 157 "-" "curl/8" 90 0.001 [ns-x-80] [] 10.0.0.2:8080 0 0.000 502 id3"#;
        let mut obs = parsed(crate::formats::nginx::UPSTREAMINFO, other);
        assert!(!idx.annotate(&mut obs, JoinScope { sources: JoinScope::ANY, has_upstream_fields: true }));
    }

    #[test]
    fn two_fitting_messages_lower_the_confidence() {
        let mut idx = ErrorIndex::default();
        idx.add_line(REFUSED);
        idx.add_line(
            &String::from_utf8_lossy(REFUSED)
                .replace(
                    "connect() failed (111: Connection refused) while connecting to upstream",
                    "upstream prematurely closed connection while reading response header from upstream",
                )
                .into_bytes(),
        );
        let mut obs = parsed(
            crate::formats::nginx::COMBINED,
            r#"10.0.0.9 - - [08/Mar/2026:14:50:01 +0000] "GET /api/x HTTP/1.1" 502 157 "-" "curl/8""#,
        );
        assert!(idx.annotate(&mut obs, JoinScope { sources: JoinScope::ANY, has_upstream_fields: false }));
        assert_eq!(obs.join, JoinQuality::Ambiguous(2));
        let a = crate::attribute::attribute(
            &obs,
            &crate::attribute::Context { has_upstream_fields: false, ..Default::default() },
        )
        .unwrap();
        assert_eq!(a.confidence, culprit_kb::Confidence::Medium);
    }

    #[test]
    fn apache_entries_join_by_client_port_and_thread() {
        // Apache 2.4.71 in the lab: the errno is on AH00957 (no client), the client on AH01114.
        let mut idx = ErrorIndex::default();
        idx.add_line(b"[Sun Nov 29 14:16:47.970009 2026] [proxy:error] [pid 22816:tid 22838] (110)Connection timed out: AH00957: http: attempt to connect to 127.0.0.1:18602 (127.0.0.1:18602) failed");
        idx.add_line(b"[Sun Nov 29 14:16:47.970064 2026] [proxy:error] [pid 22816:tid 22838] AH00959: ap_proxy_connect_backend disabling worker for (127.0.0.1:18602) for 0s");
        idx.add_line(b"[Sun Nov 29 14:16:47.970070 2026] [proxy_http:error] [pid 22816:tid 22838] [client 127.0.0.1:37400] AH01114: HTTP: failed to make connection to backend: 127.0.0.1");
        let line =
            "127.0.0.1:37400 - - [29/Nov/2026:14:16:47 +0000] \"GET /dead/a HTTP/1.1\" 503 339 \"-\" \"curl/7.88.1\"";
        let mut obs = parsed(crate::formats::nginx::COMBINED_ANY_IDENT, line);
        assert!(idx.annotate(&mut obs, JoinScope { sources: JoinScope::ANY, has_upstream_fields: false }));
        assert!(obs.signals.has(Signal::UpstreamConnectTimeout), "the thread's AH00957 says why");
        // Without the port (plain `combined`), an entry found by the client alone explains only an
        // error status: Apache's death mid-body (AH01110, no path) is not pinned on a success.
        idx.add_line(b"[Sun Nov 29 14:16:47.980000 2026] [proxy_http:error] [pid 22816:tid 22839] (104)Connection reset by peer: [client 127.0.0.1:37402] AH01110: error reading response");
        let ok = "127.0.0.1 - - [29/Nov/2026:14:16:47 +0000] \"GET /shop/a HTTP/1.1\" 200 39 \"-\" \"curl/7.88.1\"";
        let mut obs = parsed(crate::formats::nginx::COMBINED, ok);
        assert!(!idx.annotate(&mut obs, JoinScope { sources: JoinScope::ANY, has_upstream_fields: false }));
        // Another connection's request at the same time is not this entry's.
        let other = line.replace(":37400", ":37401");
        let mut obs = parsed(crate::formats::nginx::COMBINED_ANY_IDENT, &other);
        assert!(!idx.annotate(&mut obs, JoinScope { sources: JoinScope::ANY, has_upstream_fields: false }));
    }
}
