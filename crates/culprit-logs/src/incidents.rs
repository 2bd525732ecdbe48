//! Incident detection: for each service and error kind (status, cause), compare every time bucket's
//! error rate with the service's own baseline for that kind, flag buckets that rise significantly,
//! merge them into windows, and group overlapping windows of one service into an incident.
//!
//! - Baseline: the pooled rate over the buckets not significantly above it, found by iterating from
//!   the overall rate, so a spike does not raise its own baseline and steady noise is not a spike.
//! - A bucket is significant when it has at least `MIN_BUCKET_ERRORS` errors, at least twice the
//!   baseline rate (and 0.5 points above it), and an exact Poisson upper-tail probability below
//!   `FALSE_ALARM` divided by the number of buckets tested.
//! - Kinds present in most buckets but never spiking are *chronic*: reported apart from incidents.
//! - Each service is analysed at its own resolution: aggregate buckets are merged until they hold
//!   about `TARGET_REQUESTS_PER_BUCKET` requests (a quiet service at 1-second buckets would show
//!   rates of 0% or 100%), while keeping at least `MIN_DETECTION_BUCKETS` over the span.
//! - A sustained, moderate rise (a 20-minute outage of one backend among several, 3% of all
//!   requests) is too thin to be significant in any one small bucket, and its quieter buckets would
//!   inflate the baseline; it is looked for again at coarser scales (`COARSER_SCALES`), and a
//!   coarse window replaces the fine ones when they explain too little of it.
//! - With too few buckets for a baseline (a short excerpt taken during the outage), a kind with a
//!   high overall rate is reported as an incident whose baseline is unknown.

use crate::stats::{Kind, Stats};

const MIN_BUCKET_ERRORS: u64 = 3;
const MIN_WINDOW_ERRORS: u64 = 5;
/// Family-wise false-alarm rate per (service, kind): each bucket is tested at this divided by the
/// number of buckets (Bonferroni), so long logs with many buckets do not alarm on noise.
const FALSE_ALARM: f64 = 0.001;
/// Flagged buckets this far apart still belong to one window.
const MAX_GAP: i64 = 2;
/// Fewer buckets with traffic than this and no baseline can be estimated.
const MIN_BUCKETS_FOR_BASELINE: usize = 4;
const HIGH_RATE_WITHOUT_BASELINE: f64 = 0.05;
/// Detection buckets should hold about this many requests, so one bucket's rate means something.
const TARGET_REQUESTS_PER_BUCKET: u64 = 100;
/// …but the span should still be cut into at least this many buckets.
const MIN_DETECTION_BUCKETS: i64 = 12;
/// Coarser views of the series, in detection buckets per coarse bucket, tried after the finest.
const COARSER_SCALES: [usize; 2] = [4, 16];
/// A coarse window replaces the fine windows inside it unless they hold this share of its errors.
const FINE_SHARE_KEPT: f64 = 0.7;
/// Share of traffic-carrying buckets a kind must appear in to be chronic.
const CHRONIC_PRESENCE: f64 = 0.5;
/// A service seen for less than this is a short capture (taken during an outage, most likely):
/// a server error present all along at a high rate is reported as an incident whose baseline is
/// unknown, not as "chronic" — nothing in the input says it was ever otherwise.
const SHORT_CAPTURE_MS: i64 = 15 * 60 * 1000;

/// One kind's rise on one service.
#[derive(Debug, Clone, PartialEq)]
pub struct Rise {
    pub kind: Kind,
    /// `None` when there were too few buckets to estimate one.
    pub baseline: Option<f64>,
    pub start: i64,
    /// Inclusive bucket index.
    pub end: i64,
    pub errors: u64,
    pub requests: u64,
    pub peak_rate: f64,
    pub peak_bucket: i64,
    /// Errors above what the baseline predicts for the window.
    pub excess: f64,
}

/// Rises of one service that overlap in time, biggest first.
#[derive(Debug, Clone, PartialEq)]
pub struct Group {
    pub service: usize,
    pub start: i64,
    pub end: i64,
    pub rises: Vec<Rise>,
}

impl Group {
    pub fn excess(&self) -> f64 {
        self.rises.iter().map(|r| r.excess).sum()
    }
}

/// A kind present most of the time without spiking.
#[derive(Debug, Clone, PartialEq)]
pub struct ChronicKind {
    pub service: usize,
    pub kind: Kind,
    pub errors: u64,
    pub requests: u64,
    pub presence: f64,
}

#[derive(Debug)]
pub struct Detection {
    pub incidents: Vec<Group>,
    pub chronic: Vec<ChronicKind>,
}

pub fn detect(stats: &Stats) -> Detection {
    let mut incidents = Vec::new();
    let mut chronic = Vec::new();
    for (si, svc) in stats.services.iter().enumerate() {
        // A live stream keeps only its horizon's buckets: count what is in them.
        let requests = stats.requests_kept(svc);
        let factor = detection_factor(svc, requests);
        let mut merged: std::collections::BTreeMap<i64, crate::stats::Bucket> = std::collections::BTreeMap::new();
        for (i, b) in &svc.buckets {
            merged.entry(i.div_euclid(factor)).or_default().merge(b);
        }
        let buckets: Vec<(i64, &crate::stats::Bucket)> = merged.iter().map(|(k, b)| (*k, b)).collect();
        let with_traffic = buckets.iter().filter(|(_, b)| b.total > 0).count();
        let span_ms = match (svc.buckets.keys().min(), svc.buckets.keys().max()) {
            (Some(a), Some(b)) => (b - a + 1) * stats.resolution_ms,
            _ => 0,
        };
        let short = span_ms < SHORT_CAPTURE_MS;
        let mut rises = Vec::new();
        let mut kinds: Vec<(Kind, u64)> = if stats.live.is_some() {
            let mut kept: rustc_hash::FxHashMap<Kind, u64> = rustc_hash::FxHashMap::default();
            for b in svc.buckets.values() {
                for &(k, n) in &b.errors {
                    *kept.entry(k).or_default() += n;
                }
            }
            kept.into_iter().collect()
        } else {
            svc.kinds.iter().map(|(k, s)| (*k, s.count)).collect()
        };
        kinds.sort();
        for (kind, count) in kinds {
            if count < MIN_WINDOW_ERRORS {
                continue;
            }
            let series: Vec<(i64, u64, u64)> = buckets.iter().map(|(i, b)| (*i, b.errors_of(kind), b.total)).collect();
            let mut found = if with_traffic < MIN_BUCKETS_FOR_BASELINE {
                whole_span_rise(kind, &series)
            } else {
                rises_at_every_scale(kind, &series)
            };
            if found.is_empty() && short && kind.0 >= 500 {
                found = whole_span_rise(kind, &series);
            }
            let in_rises: u64 = found.iter().map(|r| r.errors).sum();
            let presence = series.iter().filter(|(_, e, _)| *e > 0).count() as f64 / with_traffic.max(1) as f64;
            if presence >= CHRONIC_PRESENCE && in_rises * 2 < count {
                chronic.push(ChronicKind { service: si, kind, errors: count, requests, presence });
            }
            // Back to aggregate-resolution bucket indices.
            rises.extend(found.into_iter().map(|mut r| {
                r.start *= factor;
                r.end = r.end * factor + factor - 1;
                r.peak_bucket *= factor;
                r
            }));
        }
        let mut groups = group(si, rises);
        // A rise's counts are every error of its kind inside its window, lulls included: windows
        // merged across a gap of a few quiet buckets would otherwise leave out the errors in the gap,
        // and the incident's "Errors" would not match the requests listed for the same window.
        for g in &mut groups {
            for r in &mut g.rises {
                let inside = svc.buckets.iter().filter(|(i, _)| (r.start..=r.end).contains(*i));
                let (errors, requests) = inside.fold((0, 0), |(e, t), (_, b)| (e + b.errors_of(r.kind), t + b.total));
                r.errors = errors;
                r.requests = requests;
                r.excess = (errors as f64 - requests as f64 * r.baseline.unwrap_or(0.0)).max(0.0);
            }
        }
        incidents.extend(groups);
    }
    // A rise over a baseline ("what changed") ranks above errors present from the start of a short
    // capture, which cannot tell whether they are new; then by errors above the baseline.
    let no_baseline = |g: &Group| g.rises.iter().all(|r| r.baseline.is_none());
    incidents.sort_by(|a, b| {
        no_baseline(a).cmp(&no_baseline(b)).then(b.excess().total_cmp(&a.excess())).then(a.start.cmp(&b.start))
    });
    chronic.sort_by_key(|c| std::cmp::Reverse(c.errors));
    Detection { incidents, chronic }
}

/// How many aggregate buckets one detection bucket spans for this service.
fn detection_factor(svc: &crate::stats::ServiceStats, requests: u64) -> i64 {
    let (Some(first), Some(last)) = (svc.buckets.keys().min(), svc.buckets.keys().max()) else { return 1 };
    let span = last - first + 1;
    let per_bucket = requests as f64 / span as f64;
    #[allow(clippy::cast_possible_truncation)]
    let want = (TARGET_REQUESTS_PER_BUCKET as f64 / per_bucket.max(1e-9)).ceil() as i64;
    want.clamp(1, (span / MIN_DETECTION_BUCKETS).max(1))
}

fn rises_of(kind: Kind, series: &[(i64, u64, u64)]) -> Vec<Rise> {
    let total_requests: u64 = series.iter().map(|s| s.2).sum();
    let floor = 0.5 / total_requests.max(1) as f64;
    let alpha = FALSE_ALARM / series.len().max(1) as f64;
    let significant = |p: f64, errors: u64, total: u64| {
        let r = rate(errors, total);
        errors >= MIN_BUCKET_ERRORS && r >= 2.0 * p && r >= p + 0.005 && poisson_tail(errors, total as f64 * p) < alpha
    };
    // Baseline: the pooled rate over the buckets that are not significantly above it. Start low —
    // the pooled rate of the quieter half of the traffic, which a spike cannot inflate — and iterate:
    // noise buckets wrongly excluded at first come back as the estimate rises to the steady rate.
    let mut by_rate: Vec<&(i64, u64, u64)> = series.iter().filter(|s| s.2 > 0).collect();
    by_rate.sort_by(|a, b| rate(a.1, a.2).total_cmp(&rate(b.1, b.2)));
    let (mut e, mut t) = (0u64, 0u64);
    for s in by_rate {
        if t * 2 >= total_requests {
            break;
        }
        e += s.1;
        t += s.2;
    }
    let mut baseline = rate(e, t);
    for _ in 0..8 {
        let p = baseline.max(floor).min(0.999);
        let (e, t) =
            series.iter().filter(|s| !significant(p, s.1, s.2)).fold((0u64, 0u64), |(e, t), s| (e + s.1, t + s.2));
        let next = rate(e, t);
        if (next - baseline).abs() < 1e-12 {
            break;
        }
        baseline = next;
    }
    let p = baseline.max(floor).min(0.999);
    let flagged: Vec<&(i64, u64, u64)> = series.iter().filter(|s| significant(p, s.1, s.2)).collect();
    let mut out: Vec<Rise> = Vec::new();
    for &&(i, errors, total) in &flagged {
        let r = rate(errors, total);
        match out.last_mut() {
            Some(w) if i - w.end <= MAX_GAP + 1 => {
                // Include the gap buckets' counts too.
                for &(gi, ge, gt) in series.iter().filter(|s| s.0 > w.end && s.0 < i) {
                    let _ = gi;
                    w.errors += ge;
                    w.requests += gt;
                }
                w.end = i;
                w.errors += errors;
                w.requests += total;
                if r > w.peak_rate {
                    w.peak_rate = r;
                    w.peak_bucket = i;
                }
            }
            _ => out.push(Rise {
                kind,
                baseline: Some(baseline),
                start: i,
                end: i,
                errors,
                requests: total,
                peak_rate: r,
                peak_bucket: i,
                excess: 0.0,
            }),
        }
    }
    out.retain(|w| w.errors >= MIN_WINDOW_ERRORS);
    for w in &mut out {
        w.excess = (w.errors as f64 - w.requests as f64 * baseline).max(0.0);
    }
    out
}

/// Rises at the finest scale, completed by those only a coarser scale shows: a coarse window whose
/// errors the fine windows inside it mostly miss replaces them, its edges tightened to the first and
/// last fine bucket clearly above its baseline. Short sharp spikes keep their fine timing.
fn rises_at_every_scale(kind: Kind, series: &[(i64, u64, u64)]) -> Vec<Rise> {
    let mut rises = rises_of(kind, series);
    for k in COARSER_SCALES {
        let coarse = coarsen(series, k);
        if coarse.len() < MIN_BUCKETS_FOR_BASELINE * 2 {
            break;
        }
        #[allow(clippy::cast_possible_wrap)]
        let k = k as i64;
        for c in rises_of(kind, &coarse) {
            let (start, end) = (c.start * k, c.end * k + k - 1);
            let inside = |r: &Rise| r.start <= end && r.end >= start;
            let fine_errors: u64 = rises.iter().filter(|r| inside(r)).map(|r| r.errors).sum();
            if fine_errors as f64 >= FINE_SHARE_KEPT * c.errors as f64 {
                continue;
            }
            let baseline = c.baseline.unwrap_or(0.0);
            let above = |s: &&(i64, u64, u64)| s.0 >= start && s.0 <= end && s.1 > 0 && rate(s.1, s.2) > 2.0 * baseline;
            let (Some(first), Some(last)) = (series.iter().find(above), series.iter().rev().find(above)) else {
                continue;
            };
            let (start, end) = (first.0, last.0);
            let window: Vec<_> = series.iter().filter(|s| s.0 >= start && s.0 <= end).collect();
            let errors: u64 = window.iter().map(|s| s.1).sum();
            let requests: u64 = window.iter().map(|s| s.2).sum();
            rises.retain(|r| !inside(r));
            rises.push(Rise {
                kind,
                baseline: c.baseline,
                start,
                end,
                errors,
                requests,
                peak_rate: c.peak_rate,
                peak_bucket: c.peak_bucket * k,
                excess: (errors as f64 - requests as f64 * baseline).max(0.0),
            });
        }
    }
    rises.sort_by_key(|r| r.start);
    rises
}

/// The series summed over `k` consecutive buckets.
fn coarsen(series: &[(i64, u64, u64)], k: usize) -> Vec<(i64, u64, u64)> {
    #[allow(clippy::cast_possible_wrap)]
    let k = k as i64;
    let mut out: Vec<(i64, u64, u64)> = Vec::new();
    for &(i, e, t) in series {
        let c = i.div_euclid(k);
        match out.last_mut() {
            Some(last) if last.0 == c => {
                last.1 += e;
                last.2 += t;
            }
            _ => out.push((c, e, t)),
        }
    }
    out
}

/// Too few buckets for a baseline: a high overall rate is reported as one rise over the whole span.
fn whole_span_rise(kind: Kind, series: &[(i64, u64, u64)]) -> Vec<Rise> {
    let errors: u64 = series.iter().map(|s| s.1).sum();
    let requests: u64 = series.iter().map(|s| s.2).sum();
    if errors < MIN_WINDOW_ERRORS || rate(errors, requests) < HIGH_RATE_WITHOUT_BASELINE {
        return Vec::new();
    }
    let peak = series.iter().max_by(|a, b| rate(a.1, a.2).total_cmp(&rate(b.1, b.2))).copied().unwrap_or((0, 0, 0));
    vec![Rise {
        kind,
        baseline: None,
        start: series.first().map_or(0, |s| s.0),
        end: series.last().map_or(0, |s| s.0),
        errors,
        requests,
        // Over a few small buckets a "peak" is noise (one request in a bucket is 100%): the rate
        // over the whole span is what the capture shows.
        peak_rate: rate(errors, requests),
        peak_bucket: peak.0,
        excess: errors as f64,
    }]
}

/// Merge one service's rises that overlap (with one bucket of slack) into groups.
fn group(service: usize, mut rises: Vec<Rise>) -> Vec<Group> {
    rises.sort_by_key(|r| r.start);
    let mut groups: Vec<Group> = Vec::new();
    for r in rises {
        match groups.last_mut() {
            Some(g) if r.start <= g.end + MAX_GAP + 1 => {
                g.end = g.end.max(r.end);
                // Two windows of the same kind in one incident are one rise with a lull.
                match g.rises.iter_mut().find(|x| x.kind == r.kind) {
                    Some(x) => {
                        x.end = x.end.max(r.end);
                        x.errors += r.errors;
                        x.requests += r.requests;
                        x.excess += r.excess;
                        if r.peak_rate > x.peak_rate {
                            x.peak_rate = r.peak_rate;
                            x.peak_bucket = r.peak_bucket;
                        }
                    }
                    None => g.rises.push(r),
                }
            }
            _ => groups.push(Group { service, start: r.start, end: r.end, rises: vec![r] }),
        }
    }
    for g in &mut groups {
        // The headline goes to the server errors (the service failing) before client errors that
        // rose with them, then to the biggest rise.
        g.rises.sort_by(|a, b| (b.kind.0 >= 500).cmp(&(a.kind.0 >= 500)).then(b.excess.total_cmp(&a.excess)));
    }
    groups
}

/// P(X ≥ k) for X ~ Poisson(λ): the chance of seeing at least `k` errors when `λ` are expected.
pub fn poisson_tail(k: u64, lambda: f64) -> f64 {
    if k == 0 {
        return 1.0;
    }
    if lambda <= 0.0 {
        return 0.0;
    }
    let k_f = k as f64;
    if lambda > 200.0 {
        // Normal approximation with continuity correction.
        let z = (k_f - 0.5 - lambda) / lambda.sqrt();
        return 0.5 * erfc(z / std::f64::consts::SQRT_2);
    }
    // The first term in log space (ln p(k) = -λ + k ln λ - ln k!, no overflow for large k), then
    // each next one from the last: p(j+1) = p(j)·λ/(j+1).
    let mut term = (-lambda + k_f * lambda.ln() - ln_factorial(k)).exp();
    if term == 0.0 {
        // Below the smallest double: k is far above λ ≤ 200, where the terms only shrink.
        return 0.0;
    }
    let mut total = 0.0;
    let mut j = k_f;
    for _ in 0..2000 {
        total += term;
        j += 1.0;
        term *= lambda / j;
        if term < total * 1e-15 {
            break;
        }
    }
    total.min(1.0)
}

/// ln k!: summed exactly for small k, Stirling's series beyond (relative error < 1e-12 from k = 20),
/// so a bucket with thousands of errors costs one logarithm, not thousands.
fn ln_factorial(k: u64) -> f64 {
    if k < 20 {
        return (2..=k).map(|j| (j as f64).ln()).sum();
    }
    let k = k as f64;
    k * k.ln() - k + 0.5 * (2.0 * std::f64::consts::PI * k).ln() + 1.0 / (12.0 * k) - 1.0 / (360.0 * k * k * k)
}

/// Complementary error function (Numerical Recipes' erfcc, relative error < 1.2e-7).
fn erfc(x: f64) -> f64 {
    let z = x.abs();
    let t = 1.0 / (1.0 + 0.5 * z);
    let r = t
        * (-z * z - 1.265_512_23
            + t * (1.000_023_68
                + t * (0.374_091_96
                    + t * (0.096_784_18
                        + t * (-0.186_288_06
                            + t * (0.278_868_07
                                + t * (-1.135_203_98
                                    + t * (1.488_515_87 + t * (-0.822_152_23 + t * 0.170_872_77)))))))))
            .exp();
    if x >= 0.0 { r } else { 2.0 - r }
}

pub fn rate(errors: u64, total: u64) -> f64 {
    if total == 0 { 0.0 } else { errors as f64 / total as f64 }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::attribute::Cause;

    fn series(base: u64, errs: &[(usize, u64)]) -> Vec<(i64, u64, u64)> {
        (0..60)
            .map(|i| {
                let e = errs.iter().find(|(b, _)| *b == i).map_or(u64::from(i % 17 == 0), |x| x.1);
                (i64::try_from(i).unwrap_or(0), e, base)
            })
            .collect()
    }

    #[test]
    fn finds_a_spike_and_its_window() {
        let s = series(1000, &[(30, 150), (31, 160), (32, 155), (34, 140)]);
        let r = rises_of((502, Cause::UpstreamConnectionRefused), &s);
        assert_eq!(r.len(), 1, "{r:?}");
        assert_eq!((r[0].start, r[0].end), (30, 34));
        assert!(r[0].baseline.unwrap() < 0.001);
        assert!((r[0].peak_rate - 0.16).abs() < 1e-9);
    }

    #[test]
    fn a_long_thin_rise_is_one_window_not_a_few_peaks() {
        // 200 buckets of 100 requests; from 80 to 140 a backend among several refuses: ~4% of the
        // requests, 0 to 8 errors a bucket — rarely significant alone, plain over 2-minute views.
        let mut x: u64 = 99;
        let s: Vec<_> = (0..200i64)
            .map(|i| {
                let p = if (80..140).contains(&i) { 40 } else { 0 };
                let mut e = 0;
                for _ in 0..100 {
                    x = x.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1_442_695_040_888_963_407);
                    e += u64::from((x >> 33) % 1000 < p);
                }
                (i, e, 100)
            })
            .collect();
        let r = rises_at_every_scale((502, Cause::UpstreamConnectionRefused), &s);
        assert_eq!(r.len(), 1, "{r:?}");
        assert!(r[0].start <= 84 && r[0].end >= 135, "{r:?}");
        assert!(r[0].baseline.unwrap() < 0.002, "{r:?}");
        let in_window: u64 = s[80..140].iter().map(|b| b.1).sum();
        assert!(r[0].errors as f64 >= 0.9 * in_window as f64, "{r:?} of {in_window}");
    }

    #[test]
    fn a_sharp_spike_keeps_its_fine_timing() {
        let s = series(1000, &[(30, 150), (31, 160)]);
        let r = rises_at_every_scale((502, Cause::UpstreamConnectionRefused), &s);
        assert_eq!(r.len(), 1, "{r:?}");
        assert_eq!((r[0].start, r[0].end), (30, 31));
    }

    #[test]
    fn steady_errors_are_not_a_spike() {
        let s: Vec<_> = (0..60i64).map(|i| (i, 20 + i.unsigned_abs() % 3, 1000)).collect();
        assert!(rises_of((500, Cause::AppError), &s).is_empty());
    }

    #[test]
    fn ln_factorial_matches_the_sum() {
        for k in [0u64, 1, 2, 19, 20, 21, 50, 170, 1000, 5000] {
            let exact: f64 = (1..=k).map(|j| (j as f64).ln()).sum();
            assert!((ln_factorial(k) - exact).abs() <= 1e-9 * exact.max(1.0), "{k}: {} vs {exact}", ln_factorial(k));
        }
    }

    #[test]
    fn poisson_tail_matches_the_sum_in_log_space() {
        // The reference: every term from its own logarithm, summed until they vanish.
        let reference = |k: u64, lambda: f64| -> f64 {
            (k..k + 20_000)
                .map(|j| (-lambda + j as f64 * lambda.ln() - ln_factorial(j)).exp())
                .take_while(|t| *t > 0.0 || k as f64 > lambda)
                .sum::<f64>()
                .min(1.0)
        };
        for lambda in [0.01, 0.5, 3.0, 40.0, 150.0, 199.0] {
            for k in [1u64, 2, 5, 20, 100, 180, 300, 3000] {
                let (got, want) = (poisson_tail(k, lambda), reference(k, lambda));
                assert!((got - want).abs() <= 1e-9 * want + 1e-300, "k={k} λ={lambda}: {got} vs {want}");
            }
        }
    }

    #[test]
    fn poisson_tail_values() {
        assert!((poisson_tail(1, 1.0) - (1.0 - (-1.0f64).exp())).abs() < 1e-12);
        assert!((poisson_tail(3, 2.0) - 0.323_323_58).abs() < 1e-6);
        assert!(poisson_tail(10, 1.8) < 1e-4);
        assert!((poisson_tail(1000, 1000.0) - 0.5).abs() < 0.02);
        assert!((poisson_tail(0, 5.0) - 1.0).abs() < 1e-12);
    }

    #[test]
    fn steady_noise_over_many_buckets_is_not_an_incident() {
        // 1.8% errors, Poisson-like noise from a fixed sequence, 400 buckets of 100 requests.
        let mut x: u64 = 12345;
        let s: Vec<_> = (0..400)
            .map(|i| {
                let mut e = 0;
                for _ in 0..100 {
                    x = x.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1_442_695_040_888_963_407);
                    e += u64::from((x >> 33) % 1000 < 18);
                }
                (i, e, 100)
            })
            .collect();
        assert!(rises_of((404, Cause::AppNotFound), &s).is_empty());
        assert!(rises_at_every_scale((404, Cause::AppNotFound), &s).is_empty(), "no scale sees a rise in noise");
    }

    #[test]
    fn short_excerpt_without_baseline() {
        let s = vec![(0, 40, 100), (1, 50, 100)];
        let r = whole_span_rise((503, Cause::NoReadyEndpoints), &s);
        assert_eq!(r[0].baseline, None);
        assert_eq!(r[0].errors, 90);
    }
}
