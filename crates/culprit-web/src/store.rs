//! Reports kept in memory for the session, with their per-request records: bounded by count and by
//! size, the oldest dropped first. Nothing is written to disk.

use crate::report::ReportView;
use culprit_logs::engine::RequestRecord;
use std::collections::VecDeque;
use std::sync::{Arc, Mutex};

/// How much the server keeps.
#[derive(Debug, Clone, Copy)]
pub struct StoreLimits {
    /// Reports kept; the oldest goes when a new one comes.
    pub reports: usize,
    /// Per-request records kept per report: the first ones of the upload (requests after them are
    /// still analysed and counted in the report, only not listed).
    pub records_per_report: usize,
    /// Estimated bytes of all reports' records together; the oldest reports go first to stay
    /// under it.
    pub bytes: usize,
}

impl Default for StoreLimits {
    fn default() -> Self {
        StoreLimits { reports: 16, records_per_report: 200_000, bytes: 256 << 20 }
    }
}

/// The per-request records of one upload, bounded.
#[derive(Debug, Default)]
pub struct Records {
    pub rows: Vec<RequestRecord>,
    pub bytes: usize,
    /// Requests seen after the bound was reached.
    pub dropped: u64,
}

impl Records {
    /// Rough heap size of a record: its strings and a fixed part.
    pub fn size_of(r: &RequestRecord) -> usize {
        let opt = |s: &Option<String>| s.as_ref().map_or(0, String::len);
        160 + r.file.len()
            + r.cause.len()
            + opt(&r.time)
            + opt(&r.request_id)
            + opt(&r.method)
            + opt(&r.path)
            + opt(&r.service)
            + opt(&r.upstream)
            + r.evidence.iter().map(|e| 48 + e.source.len() + e.value.len()).sum::<usize>()
    }
}

#[derive(Debug)]
pub struct StoredReport {
    pub id: String,
    pub view: ReportView,
    pub records: Records,
}

#[derive(Debug)]
pub struct ReportStore {
    limits: StoreLimits,
    reports: Mutex<VecDeque<Arc<StoredReport>>>,
    counter: std::sync::atomic::AtomicU64,
}

impl ReportStore {
    pub fn new(limits: StoreLimits) -> ReportStore {
        ReportStore { limits, reports: Mutex::new(VecDeque::new()), counter: std::sync::atomic::AtomicU64::new(0) }
    }

    pub fn limits(&self) -> StoreLimits {
        self.limits
    }

    /// A fresh id: not guessable from the previous one (a hash of a counter and the start time).
    pub fn next_id(&self) -> String {
        use sha2::Digest as _;
        static SEED: std::sync::LazyLock<u128> = std::sync::LazyLock::new(|| {
            std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_nanos())
        });
        let n = self.counter.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let digest = sha2::Sha256::digest(format!("{}:{n}:{}", *SEED, std::process::id()).as_bytes());
        crate::assets::hex(&digest[..8])
    }

    pub fn insert(&self, report: StoredReport) -> Arc<StoredReport> {
        let report = Arc::new(report);
        let mut all = self.reports.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        all.push_back(Arc::clone(&report));
        while all.len() > self.limits.reports
            || (all.len() > 1 && all.iter().map(|r| r.records.bytes).sum::<usize>() > self.limits.bytes)
        {
            all.pop_front();
        }
        report
    }

    pub fn get(&self, id: &str) -> Option<Arc<StoredReport>> {
        let all = self.reports.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        all.iter().find(|r| r.id == id).cloned()
    }
}
