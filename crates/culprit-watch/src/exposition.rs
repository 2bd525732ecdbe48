//! `/metrics`: the engine's counts at one moment, encoded by `prometheus-client` (the official
//! Rust client: OpenMetrics text, or the Prometheus text format 0.0.4 by content negotiation).
//!
//! The values are the engine's own aggregates (one owner, no atomics on the per-line path),
//! collected at each scrape through a [`Collector`]; the same values are written to the
//! checkpoint, so a restart resumes every counter where it was.

use crate::checkpoint::{Counters, DurationCount, FileCount, IncidentGauge, ResponseCount};
use crate::events::GaugeKey;
use crate::metrics::{self, ErrorKind, Metric};
use crate::tailer::FileCounts;
use prometheus_client::collector::Collector;
use prometheus_client::encoding::{DescriptorEncoder, EncodeMetric};
use prometheus_client::metrics::MetricType;
use prometheus_client::metrics::counter::ConstCounter;
use prometheus_client::metrics::gauge::ConstGauge;
use prometheus_client::registry::Registry;
use std::collections::BTreeMap;

/// `(service, status, generated_by, cause, owner)`.
pub type ResponseKey = (String, u16, String, String, String);

/// Per service: counts per duration bucket (not cumulative, +Inf last), sum, count.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Durations {
    pub buckets: Vec<u64>,
    pub sum: f64,
    pub count: u64,
}

impl Durations {
    pub fn add(&mut self, buckets: &[u64], sum: f64, count: u64) {
        if self.buckets.len() < buckets.len() {
            self.buckets.resize(buckets.len(), 0);
        }
        for (m, o) in self.buckets.iter_mut().zip(buckets) {
            *m += o;
        }
        self.sum += sum;
        self.count += count;
    }
}

/// Every value `/metrics` shows, at one moment.
#[derive(Debug, Clone, Default)]
pub struct Snapshot {
    pub responses: BTreeMap<ResponseKey, u64>,
    pub durations: BTreeMap<String, Durations>,
    pub incidents: BTreeMap<GaugeKey, bool>,
    pub files: BTreeMap<String, FileCounts>,
    /// `None` before any request time was read.
    pub lag_seconds: Option<f64>,
    pub files_open: usize,
    pub checkpoints: u64,
    pub services_folded: u64,
    pub errors: BTreeMap<ErrorKind, u64>,
    pub version: String,
}

impl Snapshot {
    /// The counters as a checkpoint stores them.
    pub fn counters(&self) -> Counters {
        Counters {
            responses: self
                .responses
                .iter()
                .map(|((service, status, generated_by, cause, owner), count)| ResponseCount {
                    service: service.clone(),
                    status: *status,
                    generated_by: generated_by.clone(),
                    cause: cause.clone(),
                    owner: owner.clone(),
                    count: *count,
                })
                .collect(),
            durations: self
                .durations
                .iter()
                .map(|(service, d)| DurationCount {
                    service: service.clone(),
                    buckets: d.buckets.clone(),
                    sum: d.sum,
                    count: d.count,
                })
                .collect(),
            incidents: self
                .incidents
                .iter()
                .map(|((service, status, cause, owner), open)| IncidentGauge {
                    service: service.clone(),
                    status: *status,
                    cause: cause.clone(),
                    owner: owner.clone(),
                    open: *open,
                })
                .collect(),
            files: self
                .files
                .iter()
                .map(|(file, c)| FileCount { file: file.clone(), lines: c.lines, unparsed: c.unparsed, bytes: c.bytes })
                .collect(),
            checkpoints: self.checkpoints,
            services_folded: self.services_folded,
            errors: self.errors.iter().map(|(k, v)| (k.id().to_owned(), *v)).collect(),
        }
    }

    /// The text `/metrics` serves, and its `Content-Type`.
    pub fn render(self, openmetrics: bool) -> (String, &'static str) {
        let mut registry = Registry::default();
        registry.register_collector(Box::new(self));
        let mut out = String::new();
        if openmetrics {
            prometheus_client::encoding::text::encode(&mut out, &registry).expect("writing to a String");
            (out, OPENMETRICS_CONTENT_TYPE)
        } else {
            prometheus_client::encoding::prometheus_text::encode(&mut out, &registry).expect("writing to a String");
            (out, prometheus_client::encoding::prometheus_text::CONTENT_TYPE)
        }
    }
}

pub const OPENMETRICS_CONTENT_TYPE: &str = "application/openmetrics-text; version=1.0.0; charset=utf-8";

/// Whether a scrape's `Accept` header asks for OpenMetrics (Prometheus sends it first, with the
/// text format 0.0.4 as its fallback).
pub fn wants_openmetrics(accept: &str) -> bool {
    accept.split(',').any(|part| {
        let mut fields = part.split(';').map(str::trim);
        let media = fields.next().unwrap_or_default();
        let q = fields.find_map(|f| f.strip_prefix("q=")).and_then(|q| q.parse::<f64>().ok()).unwrap_or(1.0);
        media.eq_ignore_ascii_case("application/openmetrics-text") && q > 0.0
    })
}

fn descriptor<'a>(
    encoder: &'a mut DescriptorEncoder<'_>,
    m: &'a Metric,
    ty: MetricType,
) -> Result<prometheus_client::encoding::MetricEncoder<'a>, std::fmt::Error> {
    encoder.encode_descriptor(m.base_name(), m.help, None, ty)
}

impl Collector for Snapshot {
    fn encode(&self, mut encoder: DescriptorEncoder) -> Result<(), std::fmt::Error> {
        // Responses.
        if !self.responses.is_empty() {
            let mut me = descriptor(&mut encoder, &metrics::HTTP_RESPONSES, MetricType::Counter)?;
            for ((service, status, generated_by, cause, owner), n) in &self.responses {
                let status = status.to_string();
                let labels = [
                    ("service", service.as_str()),
                    ("status", status.as_str()),
                    ("generated_by", generated_by.as_str()),
                    ("cause", cause.as_str()),
                    ("owner", owner.as_str()),
                ];
                ConstCounter::new(*n).encode(me.encode_family(&labels)?)?;
            }
        }
        if !self.durations.is_empty() {
            let mut me = descriptor(&mut encoder, &metrics::HTTP_REQUEST_DURATION, MetricType::Histogram)?;
            for (service, d) in &self.durations {
                let labels = [("service", service.as_str())];
                let mut buckets: Vec<(f64, u64)> =
                    metrics::DURATION_BUCKETS.iter().copied().zip(d.buckets.iter().copied()).collect();
                buckets.resize(metrics::DURATION_BUCKETS.len(), (0.0, 0));
                for (i, b) in buckets.iter_mut().enumerate() {
                    b.0 = metrics::DURATION_BUCKETS[i];
                }
                buckets.push((f64::INFINITY, d.buckets.get(metrics::DURATION_BUCKETS.len()).copied().unwrap_or(0)));
                me.encode_family(&labels)?
                    .encode_histogram::<prometheus_client::encoding::NoLabelSet>(d.sum, d.count, &buckets, None)?;
            }
        }
        if !self.incidents.is_empty() {
            let mut me = descriptor(&mut encoder, &metrics::INCIDENT_OPEN, MetricType::Gauge)?;
            for ((service, status, cause, owner), open) in &self.incidents {
                let status = status.to_string();
                let labels = [
                    ("service", service.as_str()),
                    ("status", status.as_str()),
                    ("cause", cause.as_str()),
                    ("owner", owner.as_str()),
                ];
                ConstGauge::new(i64::from(*open)).encode(me.encode_family(&labels)?)?;
            }
        }
        for (m, pick) in [
            (&metrics::WATCH_LINES, (|c: &FileCounts| c.lines) as fn(&FileCounts) -> u64),
            (&metrics::WATCH_UNPARSED_LINES, |c: &FileCounts| c.unparsed),
            (&metrics::WATCH_BYTES, |c: &FileCounts| c.bytes),
        ] {
            if self.files.is_empty() {
                break;
            }
            let mut me = descriptor(&mut encoder, m, MetricType::Counter)?;
            for (file, c) in &self.files {
                ConstCounter::new(pick(c)).encode(me.encode_family(&[("file", file.as_str())])?)?;
            }
        }
        if let Some(lag) = self.lag_seconds {
            let me = descriptor(&mut encoder, &metrics::WATCH_LAG, MetricType::Gauge)?;
            ConstGauge::new(lag).encode(me)?;
        }
        let me = descriptor(&mut encoder, &metrics::WATCH_FILES, MetricType::Gauge)?;
        ConstGauge::new(i64::try_from(self.files_open).unwrap_or(i64::MAX)).encode(me)?;
        let me = descriptor(&mut encoder, &metrics::WATCH_CHECKPOINTS, MetricType::Counter)?;
        ConstCounter::new(self.checkpoints).encode(me)?;
        let me = descriptor(&mut encoder, &metrics::WATCH_SERVICES_FOLDED, MetricType::Counter)?;
        ConstCounter::new(self.services_folded).encode(me)?;
        // Every kind, at 0 until it happens: an alert on a rise needs the series to exist.
        let mut me = descriptor(&mut encoder, &metrics::WATCH_ERRORS, MetricType::Counter)?;
        for kind in ErrorKind::ALL {
            let n = self.errors.get(&kind).copied().unwrap_or(0);
            ConstCounter::new(n).encode(me.encode_family(&[("kind", kind.id())])?)?;
        }
        let mut me = descriptor(&mut encoder, &metrics::BUILD_INFO, MetricType::Info)?;
        me.encode_info(&[("version", self.version.as_str())])?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accept_negotiation() {
        assert!(wants_openmetrics(
            "application/openmetrics-text;version=1.0.0,application/openmetrics-text;version=0.0.1;q=0.75,text/plain;version=0.0.4;q=0.5,*/*;q=0.1"
        ));
        assert!(!wants_openmetrics("text/plain;version=0.0.4"));
        assert!(!wants_openmetrics("*/*"));
        assert!(!wants_openmetrics(""));
    }

    #[test]
    fn both_formats_carry_every_family() {
        let mut s = Snapshot { version: "0.1.0".into(), ..Snapshot::default() };
        s.responses
            .insert(("checkout".into(), 502, "proxy".into(), "upstream_connection_refused".into(), "devops".into()), 7);
        s.durations.insert("checkout".into(), Durations { buckets: vec![1; 14], sum: 2.5, count: 14 });
        s.incidents.insert(("checkout".into(), 502, "upstream_connection_refused".into(), "devops".into()), true);
        s.files.insert("/var/log/a \"b\".log".into(), FileCounts { lines: 3, unparsed: 1, bytes: 300 });
        s.lag_seconds = Some(0.25);
        let (text, ct) = s.clone().render(false);
        assert_eq!(ct, "text/plain; version=0.0.4; charset=utf-8");
        assert!(text.contains(r#"culprit_http_responses_total{service="checkout",status="502",generated_by="proxy",cause="upstream_connection_refused",owner="devops"} 7"#), "{text}");
        assert!(
            text.contains(r#"culprit_http_request_duration_seconds_bucket{service="checkout",le="+Inf"} 14"#),
            "{text}"
        );
        assert!(
            text.contains(r#"culprit_http_request_duration_seconds_bucket{service="checkout",le="0.005"} 1"#),
            "{text}"
        );
        assert!(text.contains(r#"culprit_incident_open{service="checkout",status="502",cause="upstream_connection_refused",owner="devops"} 1"#));
        assert!(text.contains(r#"culprit_watch_lines_total{file="/var/log/a \"b\".log"} 3"#), "{text}");
        assert!(text.contains(r#"culprit_watch_errors_total{kind="gzip"} 0"#));
        assert!(text.contains(r#"culprit_build_info{version="0.1.0"} 1"#), "{text}");
        let (om, ct) = s.render(true);
        assert!(ct.starts_with("application/openmetrics-text"));
        assert!(om.ends_with("# EOF\n"));
        assert!(om.contains("# TYPE culprit_http_responses counter"), "{om}");
    }
}
