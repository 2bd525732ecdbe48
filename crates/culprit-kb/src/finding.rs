//! Shared pieces of a diagnosis: how sure it is, the evidence behind it, and a [`Finding`] — a
//! configuration or state that produces a status code, as `culprit cluster` reports it. (The log
//! report's incident causes carry the same fields plus rates; folding them into `Finding` is
//! planned.)

use serde::{Deserialize, Serialize};

use crate::vocab::{Layer, Owner};

/// How sure a diagnosis is, given the evidence the source could offer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Confidence {
    /// A guess from the status alone; the source lacks the fields that would decide.
    Low,
    /// Several signals agree but none is decisive.
    Medium,
    /// A decisive signal: an error message, a flag, a termination state, an explicit field.
    High,
}

/// One piece of evidence: where it was found and what it said.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EvidenceItem {
    /// Where: a log field, an error-log line, a header, a Kubernetes object field.
    pub source: String,
    /// What it said.
    pub value: String,
}

/// How bad a finding is; `--fail-on` compares with it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Severity {
    /// Worth knowing; no status code follows from it alone.
    Info,
    /// Produces the status code under some conditions (a rollout, a load peak, one pod's restart).
    Warning,
    /// Produces the status code now.
    Error,
}

impl Severity {
    pub fn id(self) -> &'static str {
        match self {
            Severity::Info => "info",
            Severity::Warning => "warning",
            Severity::Error => "error",
        }
    }
}

/// A configuration or state that makes clients get certain status codes.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Finding {
    /// The knowledge base's finding id (`data/findings.toml`) when the finding's words come from
    /// it: stable across versions, for filtering and suppressing.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    pub severity: Severity,
    /// The status codes a client gets because of it.
    pub codes: Vec<u16>,
    /// The knowledge base's cause id.
    pub cause: String,
    pub layer: Layer,
    pub owner: Owner,
    /// What is wrong, in one sentence.
    pub title: String,
    /// The object it is about: `Kind/namespace/name`.
    pub object: String,
    pub evidence: Vec<EvidenceItem>,
    /// The change that fixes it (YAML or a command), when there is one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fix: Option<String>,
}

impl Finding {
    /// A finding for knowledge-base cause `cause`: layer and owner come from the knowledge base.
    pub fn new(
        cause: &str,
        severity: Severity,
        codes: &[u16],
        object: impl Into<String>,
        title: impl Into<String>,
    ) -> Finding {
        let kb_cause = crate::kb().cause(cause);
        Finding {
            id: None,
            severity,
            codes: codes.to_vec(),
            cause: cause.to_owned(),
            layer: kb_cause.map_or(Layer::Service, |c| c.layer),
            owner: kb_cause.map_or(Owner::Both, |c| c.owner),
            title: title.into(),
            object: object.into(),
            evidence: Vec::new(),
            fix: None,
        }
    }

    /// The knowledge base's finding `id` (`data/findings.toml`): its cause, and its title and fix
    /// with `values` filled into their `{placeholders}`.
    ///
    /// The data is validated by the knowledge base's tests and the ids and values by the checks'
    /// tests: an unknown id or a missing value panics in debug builds; a release build shows the id
    /// as the title, or the placeholder as written.
    pub fn from_kb(
        id: &str,
        severity: Severity,
        codes: &[u16],
        object: impl Into<String>,
        values: &[(&str, &str)],
    ) -> Finding {
        let cause = crate::kb().finding(id).and_then(|f| f.cause.clone());
        debug_assert!(cause.is_some(), "finding {id}: unknown, or names no cause (use from_kb_because)");
        Finding::from_kb_because(id, cause.as_deref().unwrap_or("unknown"), severity, codes, object, values)
    }

    /// Like [`Finding::from_kb`] for a finding whose cause depends on what it is about (an
    /// ingress-nginx setting: the cause its default produces).
    pub fn from_kb_because(
        id: &str,
        cause: &str,
        severity: Severity,
        codes: &[u16],
        object: impl Into<String>,
        values: &[(&str, &str)],
    ) -> Finding {
        let text = crate::kb().finding(id);
        debug_assert!(text.is_some(), "finding {id} is not in findings.toml");
        if let Some(t) = text {
            for p in &t.params {
                debug_assert!(values.iter().any(|(k, _)| k == p), "finding {id}: no value for {{{p}}}");
            }
            for (k, _) in values {
                debug_assert!(t.params.iter().any(|p| p == k), "finding {id}: {k} is not one of its params");
            }
        }
        let title = text.map_or_else(|| id.to_owned(), |t| crate::model::fill_template(&t.title, values));
        let mut finding = Finding::new(cause, severity, codes, object, title);
        finding.id = Some(id.to_owned());
        finding.fix = text.and_then(|t| t.fix.as_deref()).map(|fix| crate::model::fill_template(fix, values));
        finding
    }

    /// Adds a piece of evidence (`source` is the object field, `value` what it holds).
    #[must_use]
    pub fn with(mut self, source: impl Into<String>, value: impl Into<String>) -> Finding {
        self.evidence.push(EvidenceItem { source: source.into(), value: value.into() });
        self
    }

    #[must_use]
    pub fn fix(mut self, fix: impl Into<String>) -> Finding {
        self.fix = Some(fix.into());
        self
    }
}
