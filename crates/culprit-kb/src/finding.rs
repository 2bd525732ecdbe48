//! The one diagnosis type every source of evidence produces: logs, probes and cluster checks all
//! end in `Finding`s, rendered by the same reporting layer.

use crate::vocab::{GeneratedBy, Layer, Owner};
use serde::{Deserialize, Serialize};

/// A diagnosis: which status codes, generated where, by which cause, owned by whom, and why we
/// believe it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Finding {
    /// Status codes the finding explains.
    pub codes: Vec<u16>,
    /// Cause id from the knowledge base.
    pub cause: String,
    /// The layer where the fault lives.
    pub layer: Layer,
    pub generated_by: GeneratedBy,
    pub owner: Owner,
    pub confidence: Confidence,
    /// What produced the finding, most decisive first.
    pub evidence: Vec<EvidenceItem>,
}

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
