//! Joining the nginx error log to the access log: an access line says *that* nginx answered 502,
//! the error log says *why* ("connect() failed (111: Connection refused)", "upstream prematurely
//! closed connection"…). Entries are keyed by client address, request method and target, and
//! upstream peer, and matched to an access line when the error happened during that request (between
//! its start, `time - request_time`, and its end, with a second of slack for the logs' one-second
//! resolution).

use crate::formats::nginx_error::{self, ErrorEntry};
use crate::input::{Chunker, Source, open};
use crate::observation::{Observation, Signal, attempts};
use crate::wrapper;
use rustc_hash::{FxHashMap, FxHasher};
use std::hash::{Hash, Hasher};
use std::io::{Read, Seek, SeekFrom};
use std::sync::Arc;
use std::sync::atomic::AtomicU64;

/// Distinct messages kept verbatim; beyond this, entries keep only their signal.
const MAX_MESSAGES: usize = 4096;
/// Entries kept; beyond this, later ones are counted but not indexed.
const MAX_ENTRIES: u64 = 4_000_000;
const SLACK_MS: i64 = 2000;

#[derive(Debug, Clone, Copy)]
struct Entry {
    time_ms: i64,
    signal: Signal,
    message: u32,
    /// From Caddy's error log rather than nginx's.
    caddy: bool,
}

/// Error-log entries indexed for the join.
#[derive(Debug, Default)]
pub struct ErrorIndex {
    map: FxHashMap<u64, Vec<Entry>>,
    messages: Vec<Box<str>>,
    message_ids: FxHashMap<Box<str>, u32>,
    /// Error-log lines seen, with a known signal, and dropped over the cap.
    pub lines: u64,
    pub indexed: u64,
    pub dropped: u64,
    /// Caddy error entries were indexed (so an unmatched Caddy 5xx is the upstream's).
    pub caddy: bool,
}

fn key(client: &[u8], method: &[u8], target: &[u8], peer: &[u8]) -> u64 {
    let mut h = FxHasher::default();
    client.hash(&mut h);
    method.hash(&mut h);
    target.hash(&mut h);
    peer.hash(&mut h);
    h.finish()
}

/// `GET /x HTTP/1.1` → (`GET`, `/x`).
fn split_request(request: &[u8]) -> (&[u8], &[u8]) {
    let Some(sp) = memchr::memchr(b' ', request) else { return (b"", request) };
    let rest = &request[sp + 1..];
    let target = match memchr::memrchr(b' ', rest) {
        Some(e) if rest[e + 1..].starts_with(b"HTTP/") => &rest[..e],
        _ => rest,
    };
    (&request[..sp], target)
}

impl ErrorIndex {
    pub fn is_empty(&self) -> bool {
        self.indexed == 0
    }

    /// Index one line if it is an error-log line with a signal we use.
    pub fn add_line(&mut self, line: &[u8]) {
        let Some(e) = nginx_error::parse(line) else { return };
        self.lines += 1;
        self.add(&e);
    }

    /// Index a Caddy `http.log.error` entry (keyed without an upstream: Caddy's access log has none).
    pub fn add_caddy_line(&mut self, line: &[u8]) {
        let Some(e) = crate::formats::json::caddy_error(line) else { return };
        self.lines += 1;
        let (Some(signal), Some(time_ms)) = (crate::formats::json::caddy_signal(e.message), e.time_ms) else { return };
        if self.indexed >= MAX_ENTRIES {
            self.dropped += 1;
            return;
        }
        let message = self.intern(e.message);
        self.map.entry(key(e.client, e.method, e.uri, b"")).or_default().push(Entry {
            time_ms,
            signal,
            message,
            caddy: true,
        });
        self.indexed += 1;
        self.caddy = true;
    }

    pub fn add(&mut self, e: &ErrorEntry<'_>) {
        let (Some(signal), Some(time_ms)) = (nginx_error::signal(e.message), e.time_ms) else { return };
        if self.indexed >= MAX_ENTRIES {
            self.dropped += 1;
            return;
        }
        let message = self.intern(e.message);
        let (method, target) = split_request(e.request);
        self.map.entry(key(e.client, method, target, e.upstream)).or_default().push(Entry {
            time_ms,
            signal,
            message,
            caddy: false,
        });
        self.indexed += 1;
    }

    fn intern(&mut self, message: &[u8]) -> u32 {
        let text = String::from_utf8_lossy(message);
        if let Some(&id) = self.message_ids.get(text.as_ref()) {
            return id;
        }
        if self.messages.len() >= MAX_MESSAGES {
            return u32::MAX;
        }
        let id = u32::try_from(self.messages.len()).unwrap_or(u32::MAX);
        let boxed: Box<str> = text.into();
        self.messages.push(boxed.clone());
        self.message_ids.insert(boxed, id);
        id
    }

    /// Combine two indexes (built from different inputs).
    pub fn merge(&mut self, other: ErrorIndex) {
        self.lines += other.lines;
        self.dropped += other.dropped;
        self.caddy |= other.caddy;
        for (k, entries) in other.map {
            for mut e in entries {
                if e.message != u32::MAX {
                    let text = other.messages[e.message as usize].clone();
                    e.message = self.intern(text.as_bytes());
                }
                self.map.entry(k).or_default().push(e);
                self.indexed += 1;
            }
        }
    }

    /// Find the error-log entry explaining `obs`, and mark the observation with its signal. Only
    /// entries inside the request's time window match; of several, the closest to the request's end.
    pub fn annotate<'a>(&'a self, obs: &mut Observation<'a>) -> bool {
        let Some(end) = obs.time_ms else { return false };
        #[allow(clippy::cast_possible_truncation)]
        let duration = obs.request_time.map_or(0, |t| (t * 1000.0) as i64);
        let (from, to) = (end - duration - SLACK_MS, end + SLACK_MS);
        let key_of = |peer: &[u8]| key(obs.client, obs.method, obs.target, peer);
        let closest = |peer: &[u8]| -> Option<&Entry> {
            self.map
                .get(&key_of(peer))?
                .iter()
                .filter(|e| (from..=to).contains(&e.time_ms))
                .min_by_key(|e| (e.time_ms - end).abs())
        };
        let mut best: Option<&Entry> = None;
        for a in attempts(&obs.upstream).filter(|a| a.addr != b"-") {
            if let Some(e) = closest(a.addr) {
                if best.is_none_or(|b| (e.time_ms - end).abs() < (b.time_ms - end).abs()) {
                    best = Some(e);
                }
            }
        }
        // Errors logged without an upstream (body too large, rate limited, no live upstreams).
        let best = best.or_else(|| closest(b""));
        let Some(e) = best else { return false };
        obs.signals.set(e.signal);
        obs.detail_source = if e.caddy { "Caddy error log" } else { "nginx error log" };
        obs.detail = self.messages.get(e.message as usize).map_or(b"(message not kept)", |m| m.as_bytes());
        true
    }
}

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
    memchr::memmem::find(data, b"\"http.log.error").is_some()
        || data.split(|&b| b == b'\n').any(|l| nginx_error::is_error_line(unwrap(l)))
}

fn unwrap(line: &[u8]) -> &[u8] {
    wrapper::cri(line).unwrap_or(line)
}

fn scan(source: &Source, max_line: usize, idx: &mut ErrorIndex) {
    let counter = Arc::new(AtomicU64::new(0));
    let Ok((reader, _)) = open(source, counter) else { return };
    let mut chunker = Chunker::new(reader, max_line);
    let mut buf = crate::input::ChunkBuf::default();
    while let Ok(true) = chunker.next_chunk(&mut buf) {
        for line in buf.split(|&b| b == b'\n') {
            let line = line.strip_suffix(b"\r").unwrap_or(line);
            if line.starts_with(b"{\"log\":") {
                if let Some(inner) = wrapper::docker(line) {
                    idx.add_line(&inner);
                }
            } else {
                let l = unwrap(line);
                if nginx_error::is_error_line(l) {
                    idx.add_line(l);
                } else if l.starts_with(b"{") {
                    idx.add_caddy_line(l);
                }
            }
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
        assert!(idx.annotate(&mut obs));
        assert!(obs.signals.has(Signal::UpstreamClosedPrematurely));
        assert!(!obs.signals.has(Signal::UpstreamConnectRefused), "another client's error must not match");
        // Same request an hour later: no match.
        let later = String::from_utf8_lossy(line).replace("20:24:55", "21:24:55");
        let mut obs = Observation::default();
        f.parse(later.as_bytes(), &mut obs).unwrap();
        assert!(!idx.annotate(&mut obs));
    }
}
