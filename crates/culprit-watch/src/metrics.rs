//! The metrics `culprit watch` exposes on `/metrics`: names, types, labels and help texts, defined
//! once. `culprit rules` writes its recording and alerting rules against these names, and
//! docs/watch.md lists them; a test holds the three together.
//!
//! Conventions (prometheus.io/docs/practices/naming): one prefix (`culprit_`), base units
//! (`_seconds`, `_bytes`), counters end in `_total`, build metadata in `_info`. Labels are bounded:
//! services beyond `--max-services` fold into `service="other"`, files beyond [`MAX_FILE_SERIES`]
//! into `file="other"`; no pod, path or client label (those go into incident events). A series,
//! once created, is kept for the life of the state directory: counters never reset and never
//! expire (a counter that disappears and comes back looks like a reset to Prometheus).

/// What kind of metric a name is (its `# TYPE`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MetricType {
    Counter,
    Gauge,
    Histogram,
    /// A gauge of value 1 whose labels carry the information (`_info`).
    Info,
}

impl MetricType {
    pub fn name(self) -> &'static str {
        match self {
            MetricType::Counter => "counter",
            MetricType::Gauge => "gauge",
            MetricType::Histogram => "histogram",
            MetricType::Info => "info",
        }
    }
}

/// One metric family as exposed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Metric {
    /// The name as Prometheus stores it: counters with their `_total`, info metrics with `_info`,
    /// histograms without their `_bucket`/`_sum`/`_count` suffixes.
    pub name: &'static str,
    pub kind: MetricType,
    pub labels: &'static [&'static str],
    pub help: &'static str,
}

impl Metric {
    /// The name without the suffix the exposition library appends itself (`_total` for a counter,
    /// `_info` for an info metric).
    pub fn base_name(&self) -> &'static str {
        match self.kind {
            MetricType::Counter => self.name.strip_suffix("_total").unwrap_or(self.name),
            MetricType::Info => self.name.strip_suffix("_info").unwrap_or(self.name),
            _ => self.name,
        }
    }
}

/// Responses read from the logs, by who generated the status, why, and who owns the fix.
pub const HTTP_RESPONSES: Metric = Metric {
    name: "culprit_http_responses_total",
    kind: MetricType::Counter,
    labels: &["service", "status", "generated_by", "cause", "owner"],
    help: "HTTP responses read from the proxy logs, by service, status, the layer that generated the \
           status (generated_by), the attributed cause and who owns the fix (owner).",
};

/// Request duration as the proxy logged it (`$request_time` and its equivalents), per service.
pub const HTTP_REQUEST_DURATION: Metric = Metric {
    name: "culprit_http_request_duration_seconds",
    kind: MetricType::Histogram,
    labels: &["service"],
    help: "Request duration as the proxy logged it, per service (responses whose format logs no \
           duration are not observed).",
};

/// Upper bounds of [`HTTP_REQUEST_DURATION`]'s buckets, in seconds: Prometheus's default buckets
/// plus 30 s and 60 s, where proxies' read timeouts fall (nginx and ingress-nginx: 60 s).
pub const DURATION_BUCKETS: [f64; 13] = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0];

/// 1 while an incident of this kind is open on the service, 0 once it closed (the series stays).
pub const INCIDENT_OPEN: Metric = Metric {
    name: "culprit_incident_open",
    kind: MetricType::Gauge,
    labels: &["service", "status", "cause", "owner"],
    help: "1 while culprit's incident detection has an open incident of this status and cause on the \
           service (a rise over the service's own baseline), 0 after it closed.",
};

pub const WATCH_LINES: Metric = Metric {
    name: "culprit_watch_lines_total",
    kind: MetricType::Counter,
    labels: &["file"],
    help: "Lines read, per watched file (the path it was found at; rotated files keep it).",
};

pub const WATCH_UNPARSED_LINES: Metric = Metric {
    name: "culprit_watch_unparsed_lines_total",
    kind: MetricType::Counter,
    labels: &["file"],
    help: "Lines that could not be read as a request in the file's format (too long, malformed, or \
           the whole file when no format fits), per watched file.",
};

pub const WATCH_BYTES: Metric = Metric {
    name: "culprit_watch_bytes_total",
    kind: MetricType::Counter,
    labels: &["file"],
    help: "Bytes read, per watched file (decompressed bytes for gzip files).",
};

pub const WATCH_LAG: Metric = Metric {
    name: "culprit_watch_lag_seconds",
    kind: MetricType::Gauge,
    labels: &[],
    help: "Now minus the newest request timestamp read (how far behind the logs culprit is, plus how \
           long ago the proxy last logged a request).",
};

pub const WATCH_FILES: Metric = Metric {
    name: "culprit_watch_files",
    kind: MetricType::Gauge,
    labels: &[],
    help: "Files being followed now (rotated files still being read to their end included).",
};

pub const WATCH_CHECKPOINTS: Metric = Metric {
    name: "culprit_watch_checkpoints_total",
    kind: MetricType::Counter,
    labels: &[],
    help: "Checkpoints written to the state directory (--state).",
};

pub const WATCH_SERVICES_FOLDED: Metric = Metric {
    name: "culprit_watch_services_folded_total",
    kind: MetricType::Counter,
    labels: &[],
    help: "Distinct services beyond --max-services, whose responses are counted under service=\"other\".",
};

pub const WATCH_ERRORS: Metric = Metric {
    name: "culprit_watch_errors_total",
    kind: MetricType::Counter,
    labels: &["kind"],
    help: "Problems culprit watch met and survived, by kind (see ErrorKind in docs/watch.md).",
};

pub const BUILD_INFO: Metric = Metric {
    name: "culprit_build_info",
    kind: MetricType::Info,
    labels: &["version"],
    help: "The culprit version serving these metrics.",
};

/// Every metric, in the order `/metrics` shows them.
pub const ALL: [Metric; 12] = [
    HTTP_RESPONSES,
    HTTP_REQUEST_DURATION,
    INCIDENT_OPEN,
    WATCH_LINES,
    WATCH_UNPARSED_LINES,
    WATCH_BYTES,
    WATCH_LAG,
    WATCH_FILES,
    WATCH_CHECKPOINTS,
    WATCH_SERVICES_FOLDED,
    WATCH_ERRORS,
    BUILD_INFO,
];

/// The service label of responses whose service was folded (beyond `--max-services`).
pub const OTHER_SERVICE: &str = "other";
/// Default of `--max-services`.
pub const DEFAULT_MAX_SERVICES: usize = 300;
/// Distinct `file` label values before further files are counted under `file="other"` (container
/// log names change with every pod restart: without a cap they would grow without end).
pub const MAX_FILE_SERIES: usize = 500;

/// The `kind` label of [`WATCH_ERRORS`]: each problem `watch` survives, with a message on stderr.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum ErrorKind {
    /// A file could not be opened or read (permissions, I/O error).
    Read,
    /// A watched path is not a regular file any more (replaced by a directory, a socket…).
    NotAFile,
    /// A gzip file is truncated or corrupt (the lines before the damage are counted).
    Gzip,
    /// No format fits a file's first lines: its lines are counted as unparsed.
    Format,
    /// The checkpoint could not be written (disk full, permissions): retried at the next interval.
    CheckpointWrite,
    /// The checkpoint could not be read at start (corrupt, another schema): see the policy in
    /// docs/watch.md.
    CheckpointCorrupt,
    /// The file notification service failed or overflowed (inotify limits): polling covers it.
    Notify,
    /// A file was truncated or replaced before its end was read: what it held past the offset read
    /// could not be read.
    Truncated,
}

impl ErrorKind {
    pub const ALL: [ErrorKind; 8] = [
        ErrorKind::Read,
        ErrorKind::NotAFile,
        ErrorKind::Gzip,
        ErrorKind::Format,
        ErrorKind::CheckpointWrite,
        ErrorKind::CheckpointCorrupt,
        ErrorKind::Notify,
        ErrorKind::Truncated,
    ];

    pub fn id(self) -> &'static str {
        match self {
            ErrorKind::Read => "read",
            ErrorKind::NotAFile => "not_a_file",
            ErrorKind::Gzip => "gzip",
            ErrorKind::Format => "format",
            ErrorKind::CheckpointWrite => "checkpoint_write",
            ErrorKind::CheckpointCorrupt => "checkpoint_corrupt",
            ErrorKind::Notify => "notify",
            ErrorKind::Truncated => "truncated",
        }
    }

    pub fn from_id(id: &str) -> Option<ErrorKind> {
        ErrorKind::ALL.into_iter().find(|k| k.id() == id)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_follow_prometheus_conventions() {
        for m in ALL {
            assert!(m.name.starts_with("culprit_"), "{}", m.name);
            match m.kind {
                MetricType::Counter => assert!(m.name.ends_with("_total"), "{}", m.name),
                MetricType::Info => assert!(m.name.ends_with("_info"), "{}", m.name),
                _ => assert!(!m.name.ends_with("_total"), "{}", m.name),
            }
            assert!(m.help.ends_with('.') || m.help.ends_with(')'), "{}", m.name);
            assert!(m.name.bytes().all(|b| b.is_ascii_lowercase() || b == b'_'), "{}", m.name);
        }
        assert!(DURATION_BUCKETS.windows(2).all(|w| w[0] < w[1]));
    }

    /// docs/watch.md's table has a row per metric with its type and labels, and names every
    /// error kind: the documentation cannot drift from what /metrics exposes.
    #[test]
    fn the_docs_list_every_metric() {
        let doc = include_str!("../../../docs/watch.md");
        for m in ALL {
            let row = doc
                .lines()
                .find(|l| l.starts_with(&format!("| `{}` |", m.name)))
                .unwrap_or_else(|| panic!("docs/watch.md has no row for {}", m.name));
            let kind = if m.kind == MetricType::Info { "gauge (info)" } else { m.kind.name() };
            assert!(row.contains(&format!("| {kind} |")), "{row}");
            for label in m.labels {
                assert!(row.contains(&format!("`{label}`")), "{row} lacks {label}");
            }
        }
        for k in ErrorKind::ALL {
            assert!(doc.contains(&format!("`{}`", k.id())), "docs/watch.md does not name the error kind {}", k.id());
        }
    }
}
