//! Incidents as a stream of events: detection (the same as `culprit logs`) runs on the engine's
//! aggregates every few seconds; its rises are diffed by (service, status, cause) into
//! `incident_opened` (once, with the same headline as `logs`), `incident_updated` (at most every
//! [`UPDATE_EVERY`], when the numbers moved) and `incident_closed`.
//!
//! Time is the logs' own: an incident is open while its window reaches within [`CLOSE_AFTER_MS`]
//! of the newest request read — extrapolated by the wall clock while nothing arrives, so a proxy
//! gone quiet still closes its incidents.

use culprit_kb::{GeneratedBy, Layer, Owner};
use culprit_logs::Analyzer;
use culprit_logs::attribute::Cause;
use culprit_logs::incidents::{self, Group};
use culprit_logs::report::{self, Incident};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::time::{Duration, Instant};

pub const SCHEMA: &str = "culprit.watch.event/1";
/// An incident closes once this long (log time) has passed since the end of its window.
pub const CLOSE_AFTER_MS: i64 = 30_000;
/// An open incident is reported again at most this often.
pub const UPDATE_EVERY: Duration = Duration::from_secs(30);

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EventKind {
    IncidentOpened,
    IncidentUpdated,
    IncidentClosed,
}

/// One event (`--json`: one NDJSON line; schema in docs/json.md).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Event {
    pub schema: String,
    pub event: EventKind,
    /// When culprit saw it (wall clock, UTC).
    pub time: String,
    pub service: String,
    pub status: u16,
    pub cause: String,
    pub owner: Owner,
    pub layer: Layer,
    pub generated_by: GeneratedBy,
    /// The incident's window (log time, UTC): its start, and its end so far (closed: its end).
    pub start: String,
    pub end: String,
    /// Errors of this status and cause in the window, and the requests of the service there.
    pub errors: u64,
    pub requests: u64,
    pub baseline_rate: Option<f64>,
    pub peak_rate: f64,
    /// The same sentence `culprit logs` writes for this incident.
    pub headline: String,
    /// The incident as `culprit logs --json` reports it (causes, evidence, upstreams, paths,
    /// example request, next steps), this status and cause first.
    pub incident: Incident,
}

type Key = (String, u16, Cause);

#[derive(Debug)]
struct Open {
    end_ms: i64,
    last_update: Instant,
    reported_errors: u64,
    last: Event,
}

/// The label set of `culprit_incident_open`.
pub type GaugeKey = (String, u16, String, String);

#[derive(Debug, Default)]
pub struct Tracker {
    open: BTreeMap<Key, Open>,
    /// End (ms) of the last window closed per key: a rise ending later is a new incident.
    closed_until: BTreeMap<Key, i64>,
    /// Every incident series seen: 1 open, 0 closed (kept).
    pub gauges: BTreeMap<GaugeKey, bool>,
}

fn iso(ms: i64) -> String {
    culprit_logs::time::format_utc(ms).replace(' ', "T") + "Z"
}

fn now_iso() -> String {
    let ms = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX));
    iso(ms)
}

impl Tracker {
    /// Series restored from a checkpoint: kept, at 0 until detection opens them again.
    pub fn restore(&mut self, keys: impl IntoIterator<Item = GaugeKey>) {
        for k in keys {
            self.gauges.insert(k, false);
        }
    }

    pub fn open_count(&self) -> usize {
        self.open.len()
    }

    /// Run detection on what the analyzer holds and return what changed. `now_ms`: the logs'
    /// present (the newest request time, moved on by the wall clock since it arrived).
    pub fn update(&mut self, an: &mut Analyzer, now_ms: i64) -> Vec<Event> {
        an.inspect(|analysis| {
            let stats = &analysis.stats;
            let res = stats.resolution_ms;
            let detection = incidents::detect(stats);
            // The latest rise of each key, with its group.
            let mut latest: BTreeMap<Key, (&Group, usize)> = BTreeMap::new();
            for g in &detection.incidents {
                let service = &stats.services[g.service].name;
                for (i, r) in g.rises.iter().enumerate() {
                    let key = (service.clone(), r.kind.0, r.kind.1);
                    let later = latest.get(&key).is_none_or(|(og, oi)| og.rises[*oi].end < r.end);
                    if later {
                        latest.insert(key, (g, i));
                    }
                }
            }
            let mut events = Vec::new();
            let event = |kind: EventKind, g: &Group, i: usize| -> Event {
                // The key's rise first: the headline speaks of it.
                let mut rises = g.rises.clone();
                let r = rises.remove(i);
                rises.insert(0, r);
                let g = Group { rises, ..g.clone() };
                let incident = report::incident_report(analysis, &g, None);
                let c = &incident.causes[0];
                Event {
                    schema: SCHEMA.into(),
                    event: kind,
                    time: now_iso(),
                    service: incident.service.clone(),
                    status: c.status,
                    cause: c.cause.clone(),
                    owner: c.owner,
                    layer: c.layer,
                    generated_by: c.generated_by,
                    start: incident.start.clone(),
                    end: incident.end.clone(),
                    errors: c.errors,
                    requests: incident.requests,
                    baseline_rate: c.baseline_rate,
                    peak_rate: c.peak_rate,
                    headline: incident.headline.clone(),
                    incident,
                }
            };
            for (key, (g, i)) in &latest {
                let r = &g.rises[*i];
                let (start_ms, end_ms) = (r.start * res, (r.end + 1) * res);
                let current = now_ms < end_ms + CLOSE_AFTER_MS;
                if let Some(open) = self.open.get_mut(key) {
                    open.end_ms = open.end_ms.max(end_ms);
                    if current && open.last_update.elapsed() >= UPDATE_EVERY && r.errors != open.reported_errors {
                        let e = event(EventKind::IncidentUpdated, g, *i);
                        open.last_update = Instant::now();
                        open.reported_errors = r.errors;
                        open.last = e.clone();
                        events.push(e);
                    } else if current {
                        open.last = event(EventKind::IncidentUpdated, g, *i);
                    }
                    continue;
                }
                let new = self.closed_until.get(key).is_none_or(|until| end_ms > *until && start_ms >= *until - res);
                if !new {
                    continue;
                }
                let opened = event(EventKind::IncidentOpened, g, *i);
                let gauge = (key.0.clone(), key.1, key.2.id().to_owned(), key.2.owner().id().to_owned());
                self.gauges.insert(gauge, true);
                events.push(opened.clone());
                self.open.insert(
                    key.clone(),
                    Open { end_ms, last_update: Instant::now(), reported_errors: r.errors, last: opened },
                );
                let _ = start_ms;
            }
            // Close what has been quiet long enough (whether or not detection still shows it).
            let closing: Vec<Key> =
                self.open.iter().filter(|(_, o)| now_ms >= o.end_ms + CLOSE_AFTER_MS).map(|(k, _)| k.clone()).collect();
            for key in closing {
                if let Some(open) = self.open.remove(&key) {
                    let mut e = open.last;
                    e.event = EventKind::IncidentClosed;
                    e.time = now_iso();
                    e.end = iso(open.end_ms);
                    self.closed_until.insert(key.clone(), open.end_ms);
                    let gauge = (key.0.clone(), key.1, key.2.id().to_owned(), key.2.owner().id().to_owned());
                    self.gauges.insert(gauge, false);
                    events.push(e);
                }
            }
            events
        })
    }

    /// The open incidents' last known state (for a final word at shutdown).
    pub fn open_events(&self) -> Vec<&Event> {
        self.open.values().map(|o| &o.last).collect()
    }
}
