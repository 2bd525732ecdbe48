//! Mergeable aggregates: per service, per time bucket, per (status, cause), per upstream and path
//! template. Each worker fills its own `Stats`; `merge` combines them (and, at scale, results from
//! other machines), so the order in which chunks are processed does not matter.
//!
//! Memory is bounded whatever the input size: time buckets coarsen (1 s, 2 s, 4 s…) to keep at
//! most `MAX_BUCKETS` over the span seen, and per-kind upstream and path tables are capped.
//!
//! A never-ending stream (`culprit watch`) sets [`Live`]: buckets older than a time horizon are
//! dropped (so the resolution stays fine and memory flat however long it runs), services beyond a
//! cap fold into one, and every response is tallied by `(status, cause, generated_by)` with a
//! duration histogram — the cumulative counts its metrics expose.

use crate::attribute::{Attribution, Cause};
use crate::formats::BadLine;
use crate::observation::Observation;
use culprit_kb::{Confidence, EvidenceItem, GeneratedBy};
use rustc_hash::{FxHashMap, FxHashSet};
use std::collections::BTreeMap;
use std::sync::Arc;

/// The finest bucket: one second, so a 20-second excerpt still has a baseline to compare with.
pub const BASE_RESOLUTION_MS: i64 = 1_000;
/// Buckets over the whole span before the resolution doubles.
pub const MAX_BUCKETS: i64 = 2048;
/// Distinct upstreams or paths remembered per error kind; the rest are counted under "(other)".
pub const MAX_KEYS: usize = 512;
/// Bad lines kept as samples.
pub const MAX_BAD_SAMPLES: usize = 10;

/// An error kind: the status the client got and the attributed cause.
pub type Kind = (u16, Cause);

/// What a response is counted under in a [`Tally`]: status, cause, and who generated the status
/// (the owner follows from the cause).
pub type ResponseKey = (u16, Cause, GeneratedBy);

/// How a never-ending stream is aggregated (`culprit watch`).
#[derive(Debug, Clone, PartialEq)]
pub struct Live {
    /// Buckets are kept for this long back from the newest time seen: detection works on this
    /// window at the resolution it allows (`MAX_BUCKETS` over it), memory does not grow with time.
    pub horizon_ms: i64,
    /// Services counted under their own name; later ones are counted under [`OTHER_SERVICE`].
    pub max_services: usize,
    /// Upper bounds (seconds) of the request duration histogram kept per service.
    pub duration_buckets: Vec<f64>,
}

/// The service name responses of folded services are counted under.
pub const OTHER_SERVICE: &str = "other";
/// Distinct folded names remembered to count them (beyond, the count stops growing).
pub const MAX_FOLDED_REMEMBERED: usize = 100_000;

/// Cumulative counts of one service for a live stream's metrics: never pruned by the horizon.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Tally {
    pub responses: FxHashMap<ResponseKey, u64>,
    /// Per bucket of `Live::duration_buckets` (not cumulative), then one for +Inf.
    pub duration_counts: Vec<u64>,
    pub duration_sum: f64,
    pub duration_count: u64,
}

impl Tally {
    fn observe(&mut self, bounds: &[f64], seconds: f64) {
        if self.duration_counts.len() != bounds.len() + 1 {
            self.duration_counts.resize(bounds.len() + 1, 0);
        }
        let i = bounds.iter().position(|b| seconds <= *b).unwrap_or(bounds.len());
        self.duration_counts[i] += 1;
        self.duration_sum += seconds;
        self.duration_count += 1;
    }

    fn merge(&mut self, other: &Tally) {
        for (k, v) in &other.responses {
            *self.responses.entry(*k).or_default() += v;
        }
        if self.duration_counts.len() < other.duration_counts.len() {
            self.duration_counts.resize(other.duration_counts.len(), 0);
        }
        for (m, o) in self.duration_counts.iter_mut().zip(&other.duration_counts) {
            *m += o;
        }
        self.duration_sum += other.duration_sum;
        self.duration_count += other.duration_count;
    }
}

/// Where a line is: input index, chunk sequence number in that input, line number in the chunk
/// (1-based). Absolute line numbers are resolved once all chunks' line counts are known.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct LineRef {
    pub input: u32,
    pub chunk: u32,
    pub line: u32,
}

impl LineRef {
    /// A line numbered from the start of its input (a stream: no chunks), any size: the chunk
    /// field carries the high bits.
    pub fn absolute(input: u32, line: u64) -> LineRef {
        #[allow(clippy::cast_possible_truncation)]
        LineRef { input, chunk: (line >> 32) as u32, line: line as u32 }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct BadSample {
    pub at: LineRef,
    pub reason: BadLine,
    pub text: String,
}

/// One request kept as an example of an error kind.
#[derive(Debug, Clone, PartialEq)]
pub struct Sample {
    pub at: LineRef,
    pub time_ms: Option<i64>,
    pub request_id: String,
    pub request: String,
    pub upstream: String,
    pub evidence: Vec<EvidenceItem>,
}

#[derive(Debug, Clone, Default)]
pub struct Stats {
    pub lines: u64,
    pub parsed: u64,
    /// Known non-access lines in the same stream (error log, controller log).
    pub other: u64,
    pub no_status: u64,
    /// Access lines explained by a joined error-log entry.
    pub joined: u64,
    /// Redirects by client and path, to find loops.
    pub redirects: crate::redirects::Redirects,
    /// Requests (and errors among them) that the filter shows.
    pub matched: u64,
    pub matched_errors: u64,
    pub bad: BTreeMap<BadLine, u64>,
    pub bad_samples: Vec<BadSample>,
    /// Lines of a mixed input read by a format other than the input's: (input, the format's place
    /// in the registry) → lines.
    pub other_formats: BTreeMap<(u32, usize), u64>,
    pub first_ms: Option<i64>,
    pub last_ms: Option<i64>,
    pub resolution_ms: i64,
    pub services: Vec<ServiceStats>,
    index: FxHashMap<Box<[u8]>, u32>,
    /// The last time seen and its bucket: consecutive lines mostly share a timestamp, and this
    /// saves two 64-bit divisions a line.
    last_time: Option<(i64, i64)>,
    /// Set for a never-ending stream: horizon, service cap, tallies.
    pub live: Option<Arc<Live>>,
    /// Distinct services folded into [`OTHER_SERVICE`] (live only).
    pub folded_services: u64,
    folded: FxHashSet<u64>,
    /// Buckets before this index have been dropped (live only): the horizon's start.
    pruned_below: i64,
}

#[derive(Debug, Clone, Default)]
pub struct ServiceStats {
    pub name: String,
    pub requests: u64,
    pub errors: u64,
    pub by_status: FxHashMap<u16, u64>,
    pub kinds: FxHashMap<Kind, KindStats>,
    /// Bucket index (time / resolution) → counts.
    pub buckets: FxHashMap<i64, Bucket>,
    /// Upstream address → requests and errors.
    pub upstreams: FxHashMap<Box<[u8]>, (u64, u64)>,
    /// Live streams only: every response by (status, cause, generated_by), and durations.
    pub tally: Tally,
}

#[derive(Debug, Clone, Default)]
pub struct KindStats {
    pub count: u64,
    pub generated_by: FxHashMap<GeneratedBy, u64>,
    pub confidence: FxHashMap<Confidence, u64>,
    pub upstreams: FxHashMap<Box<[u8]>, u64>,
    pub paths: FxHashMap<Box<[u8]>, u64>,
    /// The first request of this kind.
    pub sample: Option<Sample>,
    /// Requests of this kind spread over the time it occurred: the first of each time slot, at
    /// most `MAX_SPREAD_SAMPLES` slots (the slots widen to keep within it), so an incident can show
    /// one from its own window. The first line of a slot, and the slot width, do not depend on how
    /// the input was cut: batch and streaming keep the same samples.
    pub spread: BTreeMap<i64, Sample>,
    /// Slot width, in milliseconds (a power-of-two multiple of a second).
    spread_ms: i64,
}

/// Samples kept per error kind across time.
pub const MAX_SPREAD_SAMPLES: usize = 32;

impl KindStats {
    fn slot_ms(&self) -> i64 {
        self.spread_ms.max(BASE_RESOLUTION_MS)
    }

    /// Keep `sample` if it is the first line of its time slot.
    fn spread_sample(&mut self, time_ms: i64, at: LineRef, sample: impl FnOnce() -> Sample) {
        let slot = time_ms.div_euclid(self.slot_ms());
        if self.spread.get(&slot).is_some_and(|s| s.at <= at) {
            return;
        }
        self.spread.insert(slot, sample());
        self.fit_spread();
    }

    /// Widen the slots until they fit; each keeps its first line.
    fn fit_spread(&mut self) {
        while self.spread.len() > MAX_SPREAD_SAMPLES {
            self.widen(self.slot_ms() * 2);
        }
    }

    fn widen(&mut self, to_ms: i64) {
        let factor = to_ms / self.slot_ms();
        let old = std::mem::take(&mut self.spread);
        for (slot, s) in old {
            match self.spread.entry(slot.div_euclid(factor)) {
                std::collections::btree_map::Entry::Occupied(mut e) => {
                    if s.at < e.get().at {
                        e.insert(s);
                    }
                }
                std::collections::btree_map::Entry::Vacant(e) => {
                    e.insert(s);
                }
            }
        }
        self.spread_ms = to_ms;
    }

    fn merge_spread(&mut self, mut other: KindStats) {
        if other.slot_ms() > self.slot_ms() {
            self.widen(other.slot_ms());
        } else if other.slot_ms() < self.slot_ms() {
            other.widen(self.slot_ms());
        }
        for (slot, s) in other.spread {
            if self.spread.get(&slot).is_none_or(|mine| s.at < mine.at) {
                self.spread.insert(slot, s);
            }
        }
        self.fit_spread();
    }
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Bucket {
    pub total: u64,
    pub errors: Vec<(Kind, u64)>,
}

impl Bucket {
    fn add(&mut self, kind: Kind, n: u64) {
        match self.errors.iter_mut().find(|(k, _)| *k == kind) {
            Some((_, c)) => *c += n,
            None => self.errors.push((kind, n)),
        }
    }

    pub fn errors_of(&self, kind: Kind) -> u64 {
        self.errors.iter().find(|(k, _)| *k == kind).map_or(0, |(_, c)| *c)
    }

    pub fn merge(&mut self, other: &Bucket) {
        self.total += other.total;
        for &(k, n) in &other.errors {
            self.add(k, n);
        }
    }
}

/// Whether a cause counts as an error (anything but success and redirects).
pub fn is_error(cause: Cause) -> bool {
    !matches!(cause, Cause::Ok | Cause::Redirect | Cause::ProxyRedirect)
}

/// Service label when the format names none.
pub const NO_SERVICE: &str = "(none)";

impl Stats {
    pub fn new() -> Self {
        Stats::with_resolution(BASE_RESOLUTION_MS)
    }

    /// Aggregate at `resolution_ms` (rounded to a multiple of the base resolution); it still doubles
    /// if the span seen would need more than `MAX_BUCKETS` buckets.
    pub fn with_resolution(resolution_ms: i64) -> Self {
        let r = (resolution_ms.max(BASE_RESOLUTION_MS) / BASE_RESOLUTION_MS) * BASE_RESOLUTION_MS;
        Stats { resolution_ms: r, ..Stats::default() }
    }

    /// Aggregate a never-ending stream: see [`Live`].
    #[must_use]
    pub fn with_live(mut self, live: Arc<Live>) -> Self {
        self.live = Some(live);
        self
    }

    /// Requests of a service within the buckets kept (for a live stream, within the horizon;
    /// otherwise every request).
    pub fn requests_kept(&self, svc: &ServiceStats) -> u64 {
        if self.live.is_some() { svc.buckets.values().map(|b| b.total).sum() } else { svc.requests }
    }

    /// Give a service its own name before any request of it is read (a restarted `watch` keeps the
    /// names it counted under before, so folding does not move between them).
    pub fn reserve_service(&mut self, name: &str) {
        self.service(name.as_bytes());
    }

    pub fn bad_line(&mut self, at: LineRef, reason: BadLine, line: &[u8]) {
        *self.bad.entry(reason).or_default() += 1;
        if self.bad_samples.len() < MAX_BAD_SAMPLES {
            let text: String = String::from_utf8_lossy(&line[..line.len().min(300)]).into_owned();
            self.bad_samples.push(BadSample { at, reason, text });
        }
    }

    /// One line of `input` read by `format`, not by the input's own format.
    pub fn count_other_format(&mut self, input: u32, format: &crate::formats::Format) {
        if let Some(i) = format.registry_index() {
            *self.other_formats.entry((input, i)).or_default() += 1;
        }
    }

    pub fn bad_total(&self) -> u64 {
        self.bad.values().sum()
    }

    fn service(&mut self, name: &[u8]) -> usize {
        let name = if name.is_empty() || name == b"-" { NO_SERVICE.as_bytes() } else { name };
        if let Some(&i) = self.index.get(name) {
            return i as usize;
        }
        if let Some(live) = &self.live {
            if self.services.len() >= live.max_services && name != OTHER_SERVICE.as_bytes() {
                // A new name past the cap: counted once as folded, its requests under "other".
                let h = {
                    use std::hash::{BuildHasher, BuildHasherDefault};
                    BuildHasherDefault::<rustc_hash::FxHasher>::default().hash_one(name)
                };
                if self.folded.len() < MAX_FOLDED_REMEMBERED && self.folded.insert(h) {
                    self.folded_services += 1;
                }
                return self.service(OTHER_SERVICE.as_bytes());
            }
        }
        let i = self.services.len();
        self.services
            .push(ServiceStats { name: String::from_utf8_lossy(name).into_owned(), ..ServiceStats::default() });
        self.index.insert(name.into(), u32::try_from(i).unwrap_or(u32::MAX));
        i
    }

    /// Count one attributed request. `path_template` is filled only for errors (it costs a scan).
    pub fn record(
        &mut self,
        obs: &Observation<'_>,
        upstream: Option<&[u8]>,
        att: &Attribution,
        at: LineRef,
        sample: impl FnOnce() -> Sample,
        template: impl FnOnce() -> Vec<u8>,
    ) {
        self.parsed += 1;
        let status = obs.status.unwrap_or(0);
        let bucket = obs.time_ms.map(|t| self.bucket_of(t));
        let s = self.service(obs.service);
        let svc = &mut self.services[s];
        if let Some(live) = &self.live {
            *svc.tally.responses.entry((status, att.cause, att.generated_by)).or_default() += 1;
            if let Some(d) = obs.request_time.filter(|d| d.is_finite() && *d >= 0.0) {
                svc.tally.observe(&live.duration_buckets, d);
            }
        }
        svc.requests += 1;
        *svc.by_status.entry(status).or_default() += 1;
        let error = is_error(att.cause);
        let upstream = upstream.filter(|a| !a.is_empty() && *a != b"-");
        if let Some(addr) = upstream {
            let entry = match svc.upstreams.get_mut(addr) {
                Some(e) => e,
                None => svc.upstreams.entry(addr.into()).or_default(),
            };
            entry.0 += 1;
            entry.1 += u64::from(error);
        }
        let kind = (status, att.cause);
        if let Some(b) = bucket {
            let bucket = svc.buckets.entry(b).or_default();
            bucket.total += 1;
            if error {
                bucket.add(kind, 1);
            }
        }
        if !error {
            if (300..400).contains(&status) && status != 304 {
                let by_proxy = (att.confidence != Confidence::Low).then_some(att.generated_by == GeneratedBy::Proxy);
                self.redirects.record(obs, status, by_proxy);
            }
            return;
        }
        svc.errors += 1;
        let k = svc.kinds.entry(kind).or_default();
        k.count += 1;
        *k.generated_by.entry(att.generated_by).or_default() += 1;
        *k.confidence.entry(att.confidence).or_default() += 1;
        if let Some(addr) = upstream {
            bump_capped(&mut k.upstreams, addr);
        }
        bump_capped(&mut k.paths, &template());
        let first = k.sample.as_ref().is_none_or(|s| at < s.at);
        match (first, obs.time_ms) {
            (true, Some(t)) => {
                let s = sample();
                k.spread_sample(t, at, || s.clone());
                k.sample = Some(s);
            }
            (true, None) => k.sample = Some(sample()),
            (false, Some(t)) => k.spread_sample(t, at, sample),
            (false, None) => {}
        }
    }

    /// The bucket of time `t`, widening the span seen (and coarsening the buckets) when needed.
    #[inline]
    fn bucket_of(&mut self, t: i64) -> i64 {
        if let Some((last, bucket)) = self.last_time {
            if last == t {
                return bucket;
            }
        }
        if self.first_ms.is_none_or(|f| t < f) || self.last_ms.is_none_or(|l| t > l) {
            self.first_ms = Some(self.first_ms.map_or(t, |f| f.min(t)));
            self.last_ms = Some(self.last_ms.map_or(t, |l| l.max(t)));
            self.fit_resolution();
        }
        let bucket = t.div_euclid(self.resolution_ms);
        self.last_time = Some((t, bucket));
        bucket
    }

    /// Keep the bucket count over the span seen under `MAX_BUCKETS` by doubling the resolution.
    fn fit_resolution(&mut self) {
        if let (Some(f), Some(l)) = (self.first_ms, self.last_ms) {
            let f = match &self.live {
                Some(live) => {
                    let horizon = live.horizon_ms;
                    self.prune(l - horizon);
                    f.max(l - horizon)
                }
                None => f,
            };
            let mut res = self.resolution_ms;
            while (l - f) / res > MAX_BUCKETS {
                res *= 2;
            }
            if res != self.resolution_ms {
                self.coarsen(res);
            }
        }
    }

    /// Drop the buckets that end before `before_ms` — in steps of an eighth of the horizon, so the
    /// cost is paid rarely and memory stays within 9/8 of the horizon.
    fn prune(&mut self, before_ms: i64) {
        let step = self.live.as_ref().map_or(0, |l| l.horizon_ms / 8).max(self.resolution_ms);
        let below = before_ms.div_euclid(step) * step;
        if below <= self.pruned_below {
            return;
        }
        self.pruned_below = below;
        let first_kept = below.div_euclid(self.resolution_ms);
        for svc in &mut self.services {
            svc.buckets.retain(|i, _| *i >= first_kept);
        }
    }

    fn coarsen(&mut self, res: i64) {
        let factor = res / self.resolution_ms;
        for svc in &mut self.services {
            let old = std::mem::take(&mut svc.buckets);
            for (i, b) in old {
                svc.buckets.entry(i.div_euclid(factor)).or_default().merge(&b);
            }
        }
        self.resolution_ms = res;
        self.last_time = None;
    }

    /// Combine another worker's (or file's) statistics into these.
    pub fn merge(&mut self, mut other: Stats) {
        // Resolutions are base × 2^k (or one user-chosen multiple of it, doubled): the larger is a
        // multiple of the smaller.
        if other.resolution_ms > self.resolution_ms {
            self.coarsen(other.resolution_ms);
        } else if other.resolution_ms < self.resolution_ms {
            other.coarsen(self.resolution_ms);
        }
        self.lines += other.lines;
        self.parsed += other.parsed;
        self.other += other.other;
        self.no_status += other.no_status;
        self.joined += other.joined;
        self.matched += other.matched;
        self.redirects.merge(std::mem::take(&mut other.redirects));
        self.matched_errors += other.matched_errors;
        for (k, v) in other.bad {
            *self.bad.entry(k).or_default() += v;
        }
        for (k, v) in other.other_formats {
            *self.other_formats.entry(k).or_default() += v;
        }
        self.bad_samples.extend(other.bad_samples);
        self.bad_samples.sort_by_key(|s| s.at);
        self.bad_samples.truncate(MAX_BAD_SAMPLES);
        self.first_ms = min_opt(self.first_ms, other.first_ms);
        self.last_ms = other.last_ms.max(self.last_ms);
        for svc in other.services {
            let i = self.service(svc.name.as_bytes());
            let mine = &mut self.services[i];
            mine.requests += svc.requests;
            mine.errors += svc.errors;
            for (k, v) in svc.by_status {
                *mine.by_status.entry(k).or_default() += v;
            }
            for (k, b) in svc.buckets {
                mine.buckets.entry(k).or_default().merge(&b);
            }
            for (k, (r, e)) in svc.upstreams {
                let m = mine.upstreams.entry(k).or_default();
                m.0 += r;
                m.1 += e;
            }
            mine.tally.merge(&svc.tally);
            for (kind, mut ks) in svc.kinds {
                let m = mine.kinds.entry(kind).or_default();
                m.count += ks.count;
                for (k, v) in ks.generated_by.drain() {
                    *m.generated_by.entry(k).or_default() += v;
                }
                for (k, v) in ks.confidence.drain() {
                    *m.confidence.entry(k).or_default() += v;
                }
                for (k, v) in ks.upstreams.drain() {
                    *m.upstreams.entry(k).or_default() += v;
                }
                for (k, v) in ks.paths.drain() {
                    *m.paths.entry(k).or_default() += v;
                }
                if let Some(s) = ks.sample.take() {
                    if m.sample.as_ref().is_none_or(|cur| s.at < cur.at) {
                        m.sample = Some(s);
                    }
                }
                m.merge_spread(ks);
            }
        }
        self.fit_resolution();
    }
}

fn min_opt(a: Option<i64>, b: Option<i64>) -> Option<i64> {
    match (a, b) {
        (Some(x), Some(y)) => Some(x.min(y)),
        (x, None) => x,
        (None, y) => y,
    }
}

fn bump_capped(map: &mut FxHashMap<Box<[u8]>, u64>, key: &[u8]) {
    if let Some(v) = map.get_mut(key) {
        *v += 1;
    } else if map.len() < MAX_KEYS {
        map.insert(key.into(), 1);
    } else {
        *map.entry((*b"(other)").into()).or_default() += 1;
    }
}
