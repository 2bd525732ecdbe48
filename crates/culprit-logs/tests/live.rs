//! The streaming face as `culprit watch` runs it: a never-ending stream keeps a bounded time
//! horizon at fine resolution, folds services beyond a cap into "other", and tallies every
//! response by (status, cause, generated_by) for its metrics — and the batch face is unchanged.

use culprit_logs::engine::Options;
use culprit_logs::stats::{Live, OTHER_SERVICE};
use culprit_logs::{Analyzer, incidents, report};
use std::sync::Arc;

fn generated(cfg: &culprit_gen::Config) -> Vec<u8> {
    let mut out = Vec::new();
    culprit_gen::generate(cfg, &mut out).unwrap();
    out
}

fn live(horizon_s: i64, max_services: usize) -> Options {
    Options {
        live: Some(Arc::new(Live {
            horizon_ms: horizon_s * 1000,
            max_services,
            duration_buckets: vec![0.01, 0.1, 1.0, 10.0],
        })),
        ..Options::default()
    }
}

fn feed(analyzer: &mut Analyzer, data: &[u8]) -> usize {
    let input = analyzer.add_input("gen.log");
    analyzer.push_bytes(input, data, None);
    analyzer.end_input(input, None);
    input
}

#[test]
fn every_response_is_tallied_once() {
    let cfg = culprit_gen::Config { lines: 30_000, error_log: false, ..culprit_gen::Config::default() };
    let mut a = Analyzer::new(live(6 * 3600, 300));
    feed(&mut a, &generated(&cfg));
    let stats = a.stats();
    assert_eq!(stats.parsed, 30_000);
    let mut total = 0;
    for svc in &stats.services {
        let tallied: u64 = svc.tally.responses.values().sum();
        assert_eq!(tallied, svc.requests, "{}", svc.name);
        let by_status: u64 = svc.tally.responses.iter().filter(|((s, _, _), _)| *s == 502).map(|(_, n)| n).sum();
        assert_eq!(by_status, svc.by_status.get(&502).copied().unwrap_or(0), "{}", svc.name);
        total += tallied;
        // Every response with a logged duration is in the histogram.
        assert_eq!(svc.tally.duration_counts.iter().sum::<u64>(), svc.tally.duration_count);
    }
    assert_eq!(total, 30_000);
    assert!(stats.services.iter().any(|s| s.tally.duration_count > 0));
}

#[test]
fn the_batch_face_tallies_nothing() {
    let cfg = culprit_gen::Config { lines: 2_000, error_log: false, ..culprit_gen::Config::default() };
    let mut a = Analyzer::new(Options::default());
    feed(&mut a, &generated(&cfg));
    assert!(a.stats().services.iter().all(|s| s.tally.responses.is_empty()));
}

#[test]
fn services_beyond_the_cap_fold_into_other() {
    // culprit-gen writes six services.
    let cfg = culprit_gen::Config { lines: 20_000, error_log: false, ..culprit_gen::Config::default() };
    let mut a = Analyzer::new(live(6 * 3600, 3));
    feed(&mut a, &generated(&cfg));
    let stats = a.stats();
    assert_eq!(stats.services.len(), 4, "three named, then other");
    assert_eq!(stats.services[3].name, OTHER_SERVICE);
    assert_eq!(stats.folded_services, 3);
    assert_eq!(stats.services.iter().map(|s| s.requests).sum::<u64>(), 20_000);
}

#[test]
fn reserved_names_keep_their_series_across_a_restart() {
    let cfg = culprit_gen::Config { lines: 5_000, error_log: false, ..culprit_gen::Config::default() };
    let mut a = Analyzer::new(live(6 * 3600, 2));
    a.reserve_service("payments-api-8443");
    a.reserve_service("default-users-8080");
    feed(&mut a, &generated(&cfg));
    let names: Vec<&str> = a.stats().services.iter().map(|s| s.name.as_str()).collect();
    assert_eq!(names, ["payments-api-8443", "default-users-8080", OTHER_SERVICE]);
}

#[test]
fn the_horizon_keeps_resolution_fine_and_buckets_bounded() {
    // Ten hours of traffic through a one-hour horizon.
    let cfg = culprit_gen::Config { lines: 200_000, span: 36_000, error_log: false, ..culprit_gen::Config::default() };
    let data = generated(&cfg);
    let mut a = Analyzer::new(live(3600, 300));
    feed(&mut a, &data);
    let stats = a.stats();
    // 3600 s over at most 2048 buckets: 2 s buckets, not the 32 s ten hours would need.
    assert_eq!(stats.resolution_ms, 2000);
    let last = stats.last_ms.unwrap();
    for svc in &stats.services {
        let oldest = svc.buckets.keys().min().copied().unwrap() * stats.resolution_ms;
        assert!(last - oldest <= 3600 * 1000 * 9 / 8 + stats.resolution_ms, "{}: {}", svc.name, last - oldest);
        // Cumulative counts are not pruned.
        assert!(svc.requests > stats.requests_kept(svc));
    }
    // The batch face over the same lines still spans everything.
    let mut batch = Analyzer::new(Options::default());
    feed(&mut batch, &data);
    assert_eq!(batch.stats().resolution_ms, 32_000);
}

#[test]
fn an_incident_inside_the_horizon_is_found_at_fine_resolution() {
    // Two hours, the incident from 42 to 78 minutes, a 90-minute horizon: it is inside.
    let cfg = culprit_gen::Config { lines: 60_000, span: 7200, error_log: false, ..culprit_gen::Config::default() };
    let mut a = Analyzer::new(live(5400, 300));
    feed(&mut a, &generated(&cfg));
    let found = a.inspect(|analysis| {
        let detection = incidents::detect(&analysis.stats);
        report::build(analysis, &detection).incidents
    });
    assert!(!found.is_empty());
    assert_eq!(found[0].service, "default-checkout-8080");
    assert!(found[0].headline.starts_with("502s on default-checkout-8080 rose from"), "{}", found[0].headline);
    // incident_report gives the same incident as the report.
    let again = a.inspect(|analysis| {
        let detection = incidents::detect(&analysis.stats);
        report::incident_report(analysis, &detection.incidents[0], None)
    });
    assert_eq!(again.headline, found[0].headline);
}

#[test]
fn a_few_lines_are_counted_without_waiting_for_the_sniff_sample() {
    let cfg = culprit_gen::Config { lines: 3, error_log: false, ..culprit_gen::Config::default() };
    let data = generated(&cfg);
    let mut a = Analyzer::new(live(3600, 300));
    let input = a.add_input("slow.log");
    a.push_bytes(input, &data, None);
    assert_eq!(a.pending_lines(input), 3);
    assert_eq!(a.stats().parsed, 0);
    assert!(a.try_lock(input, None));
    assert_eq!(a.pending_lines(input), 0);
    assert_eq!(a.stats().parsed, 3);
    assert_eq!(a.input_counts(input), (3, 0));
    // A line that is no log line waits: one more could still tell the format.
    let other = a.add_input("garbage.log");
    a.push_line(other, b"hello", None);
    assert!(!a.try_lock(other, None));
    assert_eq!(a.pending_lines(other), 1);
}

#[test]
fn unparsed_lines_are_counted_per_input() {
    let cfg = culprit_gen::Config { lines: 300, error_log: false, ..culprit_gen::Config::default() };
    let mut data = generated(&cfg);
    data.extend_from_slice(b"this is not an access line\n");
    let mut a = Analyzer::new(live(3600, 300));
    let input = feed(&mut a, &data);
    assert_eq!(a.input_counts(input), (301, 1));
}
