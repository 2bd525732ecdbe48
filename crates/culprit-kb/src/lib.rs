//! culprit's vocabulary and knowledge base.
//!
//! The knowledge lives as TOML under `data/` (status codes, layers, causes, checks, common mistakes,
//! decision trees, the debugging chain, responder fingerprints, the probe's failure modes and the
//! words of its API-hygiene and redirect findings). It is compiled into the binary and
//! parsed once on first use. Everything else in culprit refers to causes, checks and layers by id
//! and never hard-codes advice text; `validate` checks every cross-reference and is run by tests.

pub mod cards;
pub mod context;
pub mod explain;
pub mod finding;
pub mod model;
pub mod search;
pub mod signals;
pub mod template;
pub mod vocab;

mod load;

pub use finding::{Confidence, EvidenceItem, Finding, Severity};
pub use load::{KbError, KnowledgeBase};
pub use model::*;
pub use vocab::{GeneratedBy, Layer, Owner, class_of};

use std::sync::LazyLock;

static KB: LazyLock<KnowledgeBase> =
    LazyLock::new(|| KnowledgeBase::load().unwrap_or_else(|e| panic!("the built-in knowledge base is invalid: {e}")));

/// The built-in knowledge base, parsed on first use.
///
/// The data is validated by this crate's tests, so a failure here means the binary was built from
/// data that never passed them.
pub fn kb() -> &'static KnowledgeBase {
    &KB
}
