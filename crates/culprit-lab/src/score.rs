//! Holds culprit's per-request diagnoses (`culprit logs --per-request`) against the lab's truth:
//! joined by request id, scored per field, with a per-cause confusion table for failures.

use std::collections::{BTreeMap, HashMap};
use std::fmt::Write as _;

use crate::lab::LabRun;
use crate::scenario::{Expected, Scenario};

/// The fields of culprit's `--per-request` record the lab checks (docs/json.md).
#[derive(Debug, Clone, serde::Deserialize)]
pub struct Diagnosis {
    pub line: u64,
    pub request_id: Option<String>,
    pub path: Option<String>,
    pub status: u16,
    pub service: Option<String>,
    pub generated_by: String,
    pub cause: String,
    pub owner: String,
    #[serde(default)]
    pub evidence: Vec<serde_json::Value>,
}

/// Parses culprit's NDJSON output.
pub fn parse_diagnoses(ndjson: &str) -> anyhow::Result<Vec<Diagnosis>> {
    ndjson
        .lines()
        .filter(|l| !l.trim().is_empty())
        .enumerate()
        .map(|(i, l)| serde_json::from_str(l).map_err(|e| anyhow::anyhow!("culprit output line {}: {e}: {l}", i + 1)))
        .collect()
}

/// One request the check looked at.
#[derive(Debug, Clone)]
pub struct Judged {
    pub id: String,
    pub scenario: Scenario,
    pub expected: Expected,
    /// culprit's diagnosis; `None` when no log line carried the request id.
    pub got: Option<Diagnosis>,
}

impl Judged {
    pub fn status_ok(&self) -> bool {
        self.got.as_ref().is_some_and(|g| g.status == self.expected.status)
    }
    pub fn generated_by_ok(&self) -> bool {
        self.got.as_ref().is_some_and(|g| g.generated_by == self.expected.generated_by)
    }
    pub fn cause_ok(&self) -> bool {
        self.got
            .as_ref()
            .is_some_and(|g| g.cause == self.expected.cause || Some(g.cause.as_str()) == self.expected.alternative)
    }
    pub fn owner_ok(&self) -> bool {
        // The owner follows from the cause; with an accepted alternative cause, its owner counts.
        self.got.as_ref().is_some_and(|g| {
            g.owner == self.expected.owner
                || (self.cause_ok()
                    && culprit_kb::kb().cause(&g.cause).is_some_and(|c| c.owner.id() == g.owner.as_str()))
        })
    }
    /// An error request: anything the proxy did not simply pass through as success or redirect.
    pub fn is_error(&self) -> bool {
        !matches!(self.expected.cause, "ok" | "redirect")
    }
}

/// The outcome of checking one lab run.
#[derive(Debug)]
pub struct Score {
    pub judged: Vec<Judged>,
    /// Requests whose outcome is not a fact of the setup (see `scenario::expect`), by scenario.
    pub undetermined: BTreeMap<Scenario, usize>,
    /// culprit records that match no request the driver sent.
    pub strays: Vec<Diagnosis>,
}

/// Share of `judged` passing `ok`, as a fraction (1.0 when there is nothing to judge).
pub fn ratio<'a>(judged: impl Iterator<Item = &'a Judged>, ok: impl Fn(&Judged) -> bool) -> f64 {
    let (mut good, mut all) = (0usize, 0usize);
    for j in judged {
        all += 1;
        good += usize::from(ok(j));
    }
    if all == 0 { 1.0 } else { good as f64 / all as f64 }
}

impl Score {
    pub fn new(run: &LabRun, diagnoses: Vec<Diagnosis>) -> Score {
        let ids: HashMap<&str, usize> = run.requests.iter().enumerate().map(|(i, r)| (r.id.as_str(), i)).collect();
        let mut by_request: HashMap<usize, Diagnosis> = HashMap::new();
        let mut strays = Vec::new();
        for d in diagnoses {
            // The id is in the log's request-id field, or — for a request line no proxy could
            // parse — in the path the driver put it in.
            let index = d.request_id.as_deref().and_then(|id| ids.get(id)).or_else(|| {
                let last = d.path.as_deref()?.rsplit('/').next()?;
                ids.get(last)
            });
            match index {
                Some(&i) => {
                    by_request.insert(i, d);
                }
                None => strays.push(d),
            }
        }
        let mut judged = Vec::new();
        let mut undetermined = BTreeMap::new();
        for (i, request) in run.requests.iter().enumerate() {
            match &run.expected[i] {
                Some(expected) => judged.push(Judged {
                    id: request.id.clone(),
                    scenario: request.scenario,
                    expected: expected.clone(),
                    got: by_request.remove(&i),
                }),
                None => *undetermined.entry(request.scenario).or_insert(0) += 1,
            }
        }
        // A request so broken that the proxy logs neither its id nor its path (HAProxy's
        // `<BADREQ>`) is paired, in order, with an unclaimed line of the same status.
        for j in judged
            .iter_mut()
            .filter(|j| j.got.is_none() && matches!(j.scenario, Scenario::Malformed | Scenario::HugeHeader))
        {
            if let Some(k) = strays.iter().position(|d| d.status == j.expected.status && d.request_id.is_none()) {
                j.got = Some(strays.remove(k));
            }
        }
        Score { judged, undetermined, strays }
    }

    /// The bar: every status parsed, ≥ 99% generated_by, ≥ 95% cause overall and ≥ 90%
    /// on error requests, and owners as right as causes.
    pub fn meets_thresholds(&self) -> bool {
        self.statuses() >= 1.0
            && self.generated_by() >= 0.99
            && self.causes() >= 0.95
            && self.error_causes() >= 0.90
            && self.owners() >= 0.95
    }

    pub fn statuses(&self) -> f64 {
        ratio(self.judged.iter(), Judged::status_ok)
    }
    pub fn generated_by(&self) -> f64 {
        ratio(self.judged.iter(), Judged::generated_by_ok)
    }
    pub fn causes(&self) -> f64 {
        ratio(self.judged.iter(), Judged::cause_ok)
    }
    pub fn error_causes(&self) -> f64 {
        ratio(self.judged.iter().filter(|j| j.is_error()), Judged::cause_ok)
    }
    pub fn owners(&self) -> f64 {
        ratio(self.judged.iter(), Judged::owner_ok)
    }

    /// A table per scenario: requests, and how many got each field right; then every mismatch
    /// kind with a count and one example.
    pub fn summary(&self) -> String {
        let mut out = String::new();
        let _ = writeln!(
            out,
            "requests judged {}  statuses {:.1}%  generated_by {:.1}%  cause {:.1}% (errors {:.1}%)  owner {:.1}%",
            self.judged.len(),
            self.statuses() * 100.0,
            self.generated_by() * 100.0,
            self.causes() * 100.0,
            self.error_causes() * 100.0,
            self.owners() * 100.0
        );
        let alternatives = self
            .judged
            .iter()
            .filter(|j| j.got.as_ref().is_some_and(|g| Some(g.cause.as_str()) == j.expected.alternative))
            .count();
        if alternatives > 0 {
            let _ = writeln!(
                out,
                "{alternatives} causes accepted as the documented alternative (the log cannot tell the pair apart)"
            );
        }
        let mut per: BTreeMap<Scenario, [usize; 5]> = BTreeMap::new();
        for j in &self.judged {
            let row = per.entry(j.scenario).or_default();
            row[0] += 1;
            row[1] += usize::from(j.status_ok());
            row[2] += usize::from(j.generated_by_ok());
            row[3] += usize::from(j.cause_ok());
            row[4] += usize::from(j.owner_ok());
        }
        let _ = writeln!(
            out,
            "{:<28} {:>5} {:>7} {:>7} {:>7} {:>7}",
            "scenario", "n", "status", "gen_by", "cause", "owner"
        );
        for (scenario, [n, s, g, c, o]) in &per {
            let _ = writeln!(out, "{:<28} {n:>5} {s:>7} {g:>7} {c:>7} {o:>7}", format!("{scenario:?}"));
        }
        let mut confusion: BTreeMap<String, (usize, String)> = BTreeMap::new();
        for j in self.judged.iter().filter(|j| !(j.status_ok() && j.generated_by_ok() && j.cause_ok() && j.owner_ok()))
        {
            let e = &j.expected;
            let (key, example) = match &j.got {
                None => (format!("{:?}: no log line with its id", j.scenario), j.id.clone()),
                Some(g) => (
                    format!(
                        "{:?}: expected {} {} {} {} — got {} {} {} {}",
                        j.scenario,
                        e.status,
                        e.generated_by,
                        e.cause,
                        e.owner,
                        g.status,
                        g.generated_by,
                        g.cause,
                        g.owner
                    ),
                    format!("line {} {}", g.line, serde_json::to_string(&g.evidence).unwrap_or_default()),
                ),
            };
            confusion.entry(key).or_insert((0, example)).0 += 1;
        }
        if !confusion.is_empty() {
            let _ = writeln!(out, "mismatches:");
            for (key, (n, example)) in &confusion {
                let _ = writeln!(out, "  {n:>4} × {key}\n         e.g. {example}");
            }
        }
        if !self.undetermined.is_empty() {
            let _ = writeln!(out, "not judged (outcome not fixed by the setup): {:?}", self.undetermined);
        }
        if !self.strays.is_empty() {
            let _ = writeln!(
                out,
                "{} log records match no request sent, e.g. line {}",
                self.strays.len(),
                self.strays[0].line
            );
        }
        out
    }
}
