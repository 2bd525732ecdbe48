//! Answers to `culprit explain <id>`: every id the knowledge base defines, and so every id a report
//! prints (causes, checks, layers, responders, mistakes, the probe's failure modes, lints and
//! redirect notes), has a card of its own.
//!
//! Like the other explain reports, each card is self-contained, owns its data and is the `--json`
//! output as is (docs/json.md).

use crate::KnowledgeBase;
use crate::explain::CauseBrief;
use crate::model::{Cause, Check, FailureMode, LayerInfo, LintRule, Mistake, RedirectNote, Responder};
use crate::vocab::Layer;
use serde::{Deserialize, Serialize};

pub const CAUSE_SCHEMA: &str = "culprit.explain.cause/1";
pub const CHECK_SCHEMA: &str = "culprit.explain.check/1";
pub const LAYER_SCHEMA: &str = "culprit.explain.layer/1";
pub const RESPONDER_SCHEMA: &str = "culprit.explain.responder/1";
pub const MISTAKE_SCHEMA: &str = "culprit.explain.mistake/1";
pub const FAILURE_SCHEMA: &str = "culprit.explain.failure/1";
pub const REDIRECT_NOTE_SCHEMA: &str = "culprit.explain.redirect_note/1";

/// What kind of thing an id names.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum IdKind {
    Cause,
    Check,
    Layer,
    Responder,
    /// A common mistake; the probe's lint for it shares its id.
    Mistake,
    /// How a request can end without an answer (`connect_refused`…), as the probe reports it.
    Failure,
    /// What the probe notes about a redirect chain (`method_changed`…).
    RedirectNote,
}

/// `explain upstream_connection_refused`: one cause, with everything it refers to resolved.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CauseReport {
    pub schema: String,
    /// The full record: evidence per source (flags and termination states included, each with the
    /// status that proxy answers), the codes it produces at each layer, check ids, fix.
    pub cause: Cause,
    /// The distinct codes it produces, in the order the cause lists them.
    pub codes: Vec<u16>,
    /// The cause's checks, in the order to run them.
    pub checks: Vec<Check>,
    pub mistakes: Vec<Mistake>,
    /// The failure modes `culprit probe` reports that point to it, when no answer came.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub failures: Vec<FailureBrief>,
    /// What `culprit probe` notes about a redirect chain that points to it.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub redirect_notes: Vec<RedirectNote>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FailureBrief {
    pub id: String,
    pub title: String,
}

/// `explain service_ports`: a check and what uses it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CheckReport {
    pub schema: String,
    pub check: Check,
    /// Causes that list it, in knowledge-base order.
    pub causes: Vec<CauseBrief>,
    /// Codes whose first checks include it.
    pub codes: Vec<u16>,
}

/// `explain ingress`: a layer of the request path.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LayerReport {
    pub schema: String,
    pub layer: LayerInfo,
    /// Codes some cause makes this layer emit, ascending.
    pub emits: Vec<u16>,
    /// Causes whose fault lives in this layer.
    pub causes: Vec<CauseBrief>,
    /// Components of this layer whose responses culprit recognises: `{id, name}`.
    pub responders: Vec<ResponderBrief>,
    pub checks: Vec<Check>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ResponderBrief {
    pub id: String,
    pub name: String,
}

/// `explain envoy`: a component that writes responses, how it is recognised, what it reports.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ResponderReport {
    pub schema: String,
    pub responder: Responder,
    /// The causes it typically reports, most typical first.
    pub causes: Vec<CauseBrief>,
}

/// `explain assume_502_means_down`: a common mistake and where it bites.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MistakeReport {
    pub schema: String,
    pub mistake: Mistake,
    /// Causes that warn about it.
    pub causes: Vec<CauseBrief>,
    /// The probe's check for it in a response, when it has one (`lint[].id` is the mistake's id).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lint: Option<LintRule>,
    /// Redirect notes of the probe that point to it.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub redirect_notes: Vec<RedirectNote>,
}

/// `explain connect_refused`: a way a request ends without a (complete) answer, as the probe
/// reports it in `failure.kind`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FailureReport {
    pub schema: String,
    pub failure: FailureMode,
    /// Its causes, most likely first.
    pub causes: Vec<CauseBrief>,
    /// Its checks, in the order to run them.
    pub checks: Vec<Check>,
}

/// `explain method_changed`: what the probe notes about a redirect chain.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RedirectNoteReport {
    pub schema: String,
    pub note: RedirectNote,
    pub causes: Vec<CauseBrief>,
    pub mistakes: Vec<Mistake>,
}

/// Any card, for callers that look an id up without knowing its kind.
#[derive(Debug, Clone, PartialEq)]
pub enum Card {
    Cause(CauseReport),
    Check(CheckReport),
    Layer(LayerReport),
    Responder(ResponderReport),
    Mistake(MistakeReport),
    Failure(FailureReport),
    RedirectNote(RedirectNoteReport),
}

impl Card {
    pub fn kind(&self) -> IdKind {
        match self {
            Card::Cause(_) => IdKind::Cause,
            Card::Check(_) => IdKind::Check,
            Card::Layer(_) => IdKind::Layer,
            Card::Responder(_) => IdKind::Responder,
            Card::Mistake(_) => IdKind::Mistake,
            Card::Failure(_) => IdKind::Failure,
            Card::RedirectNote(_) => IdKind::RedirectNote,
        }
    }
}

impl KnowledgeBase {
    /// What `id` names, if anything (ids are unique across kinds; `validate` checks it).
    pub fn id_kind(&self, id: &str) -> Option<IdKind> {
        if self.cause(id).is_some() {
            Some(IdKind::Cause)
        } else if self.check(id).is_some() {
            Some(IdKind::Check)
        } else if self.layer_by_id(id).is_some() {
            Some(IdKind::Layer)
        } else if self.responder(id).is_some() {
            Some(IdKind::Responder)
        } else if self.mistake(id).is_some() {
            Some(IdKind::Mistake)
        } else if self.failure(id).is_some() {
            Some(IdKind::Failure)
        } else if self.redirect_note(id).is_some() {
            Some(IdKind::RedirectNote)
        } else {
            None
        }
    }

    /// The card for any id the knowledge base defines.
    pub fn explain_id(&self, id: &str) -> Option<Card> {
        Some(match self.id_kind(id)? {
            IdKind::Cause => Card::Cause(self.explain_cause(id)?),
            IdKind::Check => Card::Check(self.explain_check(id)?),
            IdKind::Layer => Card::Layer(self.explain_layer(self.layer_by_id(id)?.id)?),
            IdKind::Responder => Card::Responder(self.explain_responder(id)?),
            IdKind::Mistake => Card::Mistake(self.explain_mistake(id)?),
            IdKind::Failure => Card::Failure(self.explain_failure(id)?),
            IdKind::RedirectNote => Card::RedirectNote(self.explain_redirect_note(id)?),
        })
    }

    fn layer_by_id(&self, id: &str) -> Option<&LayerInfo> {
        self.layers.iter().find(|l| l.id.id() == id)
    }

    pub fn explain_cause(&self, id: &str) -> Option<CauseReport> {
        let cause = self.cause(id)?;
        let mut codes: Vec<u16> = Vec::new();
        for p in &cause.produces {
            if !codes.contains(&p.code) {
                codes.push(p.code);
            }
        }
        Some(CauseReport {
            schema: CAUSE_SCHEMA.into(),
            codes,
            checks: cause.checks.iter().filter_map(|c| self.check(c)).cloned().collect(),
            mistakes: cause.mistakes.iter().filter_map(|m| self.mistake(m)).cloned().collect(),
            failures: self
                .failures
                .iter()
                .filter(|f| f.causes.iter().any(|c| c == id))
                .map(|f| FailureBrief { id: f.id.clone(), title: f.title.clone() })
                .collect(),
            redirect_notes: self.redirect_notes.iter().filter(|n| n.causes.iter().any(|c| c == id)).cloned().collect(),
            cause: cause.clone(),
        })
    }

    pub fn explain_check(&self, id: &str) -> Option<CheckReport> {
        let check = self.check(id)?;
        let uses = |c: &&Cause| c.checks.iter().any(|k| k == id);
        Some(CheckReport {
            schema: CHECK_SCHEMA.into(),
            check: check.clone(),
            causes: self.causes.iter().filter(uses).map(CauseBrief::of).collect(),
            codes: self
                .codes
                .iter()
                .filter(|c| c.detail.as_ref().is_some_and(|d| d.checks.iter().any(|k| k == id)))
                .map(|c| c.code)
                .collect(),
        })
    }

    pub fn explain_layer(&self, layer: Layer) -> Option<LayerReport> {
        let info = self.layer(layer)?;
        let mut emits: Vec<u16> =
            self.causes.iter().flat_map(|c| c.produces.iter().filter(|p| p.by == layer).map(|p| p.code)).collect();
        emits.sort_unstable();
        emits.dedup();
        Some(LayerReport {
            schema: LAYER_SCHEMA.into(),
            layer: info.clone(),
            emits,
            causes: self.causes.iter().filter(|c| c.layer == layer).map(CauseBrief::of).collect(),
            responders: self
                .responders
                .iter()
                .filter(|r| r.layer == layer)
                .map(|r| ResponderBrief { id: r.id.clone(), name: r.name.clone() })
                .collect(),
            checks: info.checks.iter().filter_map(|c| self.check(c)).cloned().collect(),
        })
    }

    pub fn explain_responder(&self, id: &str) -> Option<ResponderReport> {
        let responder = self.responder(id)?;
        Some(ResponderReport {
            schema: RESPONDER_SCHEMA.into(),
            causes: responder.causes.iter().filter_map(|c| self.cause(c)).map(CauseBrief::of).collect(),
            responder: responder.clone(),
        })
    }

    pub fn explain_mistake(&self, id: &str) -> Option<MistakeReport> {
        let mistake = self.mistake(id)?;
        Some(MistakeReport {
            schema: MISTAKE_SCHEMA.into(),
            causes: self.causes.iter().filter(|c| c.mistakes.iter().any(|m| m == id)).map(CauseBrief::of).collect(),
            lint: self.lint(id).cloned(),
            redirect_notes: self
                .redirect_notes
                .iter()
                .filter(|n| n.mistakes.iter().any(|m| m == id))
                .cloned()
                .collect(),
            mistake: mistake.clone(),
        })
    }

    pub fn explain_failure(&self, id: &str) -> Option<FailureReport> {
        let failure = self.failure(id)?;
        Some(FailureReport {
            schema: FAILURE_SCHEMA.into(),
            causes: failure.causes.iter().filter_map(|c| self.cause(c)).map(CauseBrief::of).collect(),
            checks: failure.checks.iter().filter_map(|c| self.check(c)).cloned().collect(),
            failure: failure.clone(),
        })
    }

    pub fn explain_redirect_note(&self, id: &str) -> Option<RedirectNoteReport> {
        let note = self.redirect_note(id)?;
        Some(RedirectNoteReport {
            schema: REDIRECT_NOTE_SCHEMA.into(),
            causes: note.causes.iter().filter_map(|c| self.cause(c)).map(CauseBrief::of).collect(),
            mistakes: note.mistakes.iter().filter_map(|m| self.mistake(m)).cloned().collect(),
            note: note.clone(),
        })
    }
}
