//! Shared pieces of a diagnosis: how sure it is and the evidence behind it. Every source of
//! evidence (logs now; probe and cluster next) reports with these. A common `Finding` type will be
//! introduced with the second source, shaped by what both need.

use serde::{Deserialize, Serialize};

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
