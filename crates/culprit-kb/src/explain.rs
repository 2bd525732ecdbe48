//! Answers to `culprit explain`: a code, a class, a decision tree, the debugging chain.
//!
//! Each report is self-contained (it carries the causes, checks and mistakes it refers to), owns its
//! data, and is the `--json` output as is. The `schema` field names the report type and version;
//! fields are only ever added (docs/json.md).

use crate::KnowledgeBase;
use crate::cards::{CauseReport, IdKind};
use crate::model::{Cause, Chain, Check, CodeDetail, KubernetesReason, Mistake, RedirectMethod, Tree};
use crate::vocab::{Layer, Owner, class_of};
use serde::{Deserialize, Serialize};

pub const CODE_SCHEMA: &str = "culprit.explain.code/1";
pub const CLASS_SCHEMA: &str = "culprit.explain.class/1";
pub const TREE_SCHEMA: &str = "culprit.explain.tree/1";
pub const CHAIN_SCHEMA: &str = "culprit.explain.chain/1";
pub const KUBERNETES_REASON_SCHEMA: &str = "culprit.explain.kubernetes_reason/1";

/// What an input string denotes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Query {
    /// A status code, 100–599 (registered, vendor or unassigned), given as a number or pasted as a
    /// status line or reason phrase (`HTTP/1.1 502`, `502 Bad Gateway`, `status=502`, `Bad Gateway`).
    Code(u16),
    /// A class written `5xx` or `5XX`.
    Class(u8),
    /// A value proxies log in the status column that is not an HTTP code (`009`, `0`, `-1`).
    LogStatus(String),
    /// A number that cannot be a status code.
    NotAStatus(String),
    /// An id the knowledge base defines: a cause, check, layer, responder or mistake.
    Id(String, IdKind),
    /// Envoy response flags (`UF`, `UF,URX`) or an HAProxy termination state (`sH--`).
    Signal(String),
    /// A reason Kubernetes writes (`ImagePullBackOff`, `OOMKilled`), alone or in a pasted
    /// `kubectl get events` / `describe` line.
    KubernetesReason(String),
    /// Anything else: free-text search.
    Text(String),
}

impl Query {
    /// Read an input. The most specific reading wins: a number, then a pasted status line, an
    /// exact id, a flag or termination state, a reason phrase on its own, and only then free text.
    /// Digits inside free text (an address, an errno) never make it a code: a status line must be
    /// the whole input.
    pub fn parse(input: &str, kb: &KnowledgeBase) -> Query {
        let s = input.trim();
        if kb.log_status(s).is_some() {
            return Query::LogStatus(s.to_string());
        }
        let bytes = s.as_bytes();
        if bytes.len() == 3 && matches!(bytes[0], b'1'..=b'5') && bytes[1..].eq_ignore_ascii_case(b"xx") {
            return Query::Class(bytes[0] - b'0');
        }
        if !s.is_empty()
            && (s.bytes().all(|b| b.is_ascii_digit())
                || (s.starts_with('-') && s[1..].bytes().all(|b| b.is_ascii_digit()) && s.len() > 1))
        {
            return number(s);
        }
        if let Some(n) = status_line(s, kb) {
            return number(&n);
        }
        if let Some(kind) = kb.id_kind(s) {
            return Query::Id(s.to_string(), kind);
        }
        if kb.parse_envoy_flags(s).is_some() || kb.is_haproxy_state(s) {
            return Query::Signal(s.to_string());
        }
        if let Some(code) = kb.code_by_phrase(s, false) {
            return Query::Code(code);
        }
        if kb.explain_kubernetes_reason(s).is_some() {
            return Query::KubernetesReason(s.to_string());
        }
        Query::Text(s.to_string())
    }
}

/// A run of digits: a code when it has three and lies in 100–599.
fn number(s: &str) -> Query {
    match s.parse::<u16>() {
        Ok(n) if class_of(n).is_some() && s.len() == 3 => Query::Code(n),
        _ => Query::NotAStatus(s.to_string()),
    }
}

/// Names under which logs and JSON carry a status: `status=502`, `"status": 502`, `code: 502`.
const STATUS_KEYS: &[&str] =
    &["status", "status_code", "statuscode", "http_status", "http_code", "response_code", "code"];

/// The digits of a whole-input status line, in the forms people paste: `HTTP/1.1 502 Bad Gateway`,
/// `HTTP/2 503`, `HTTP 502`, `status=502`, `status: 502`, `"status":502`, `502 Bad Gateway`,
/// `502 (Bad Gateway)`. A number followed by anything but its own reason phrase is not one.
fn status_line(s: &str, kb: &KnowledgeBase) -> Option<String> {
    let digits = |t: &str| (!t.is_empty() && t.bytes().all(|b| b.is_ascii_digit())).then(|| t.to_string());
    let mut words = s.split_whitespace();
    let first = words.next()?;
    // HTTP/1.1 502 …, HTTP/2 503, HTTP 502
    if first.len() > 5 && first.is_char_boundary(5) && first[..5].eq_ignore_ascii_case("http/") {
        let version = &first[5..];
        let is_version = version.bytes().all(|b| b.is_ascii_digit() || b == b'.');
        return if is_version { words.next().and_then(digits) } else { None };
    }
    if first.eq_ignore_ascii_case("http") {
        let code = words.next().and_then(digits)?;
        return words.next().is_none().then_some(code);
    }
    // status=502, "status": 502, {"status":502}
    let bare: String = s.chars().filter(|c| !matches!(c, '"' | '\'' | '{' | '}') && !c.is_whitespace()).collect();
    let bare = bare.trim_end_matches(',');
    if let Some(split) = bare.find(['=', ':']) {
        let (key, value) = (&bare[..split], &bare[split + 1..]);
        if STATUS_KEYS.iter().any(|k| k.eq_ignore_ascii_case(key)) {
            return digits(value);
        }
    }
    // 502 Bad Gateway, 502 (Bad Gateway), 504 Gateway Time-out
    let code = digits(first)?;
    let rest = &s[first.len()..];
    let n: u16 = code.parse().ok()?;
    (code.len() == 3 && kb.code(n).is_some_and(|c| c.names().any(|name| same_phrase(name, rest)))).then_some(code)
}

/// Reason phrases compare without case, spaces or punctuation: `Gateway Time-out` = `gateway timeout`.
fn same_phrase(a: &str, b: &str) -> bool {
    let norm =
        |s: &str| s.chars().filter(char::is_ascii_alphanumeric).map(|c| c.to_ascii_lowercase()).collect::<String>();
    let (a, b) = (norm(a), norm(b));
    !a.is_empty() && a == b
}

impl crate::model::StatusCode {
    /// Its registered reason phrase and the other phrases servers send with it. Placeholder names
    /// such as `(Unused)` are not phrases anyone sends.
    pub fn names(&self) -> impl Iterator<Item = &str> {
        std::iter::once(self.name.as_str())
            .filter(|n| !n.starts_with('('))
            .chain(self.phrases.iter().map(String::as_str))
    }
}

impl KnowledgeBase {
    /// The code whose reason phrase `phrase` is (`Bad Gateway` → 502, `Gateway Time-out` → 504).
    /// Vendor codes only with `vendor`: their names (`Connection Timed Out`) read like error
    /// messages, which free-text search should get.
    pub fn code_by_phrase(&self, phrase: &str, vendor: bool) -> Option<u16> {
        self.codes
            .iter()
            .filter(|c| vendor || c.registered())
            .find(|c| c.names().any(|name| same_phrase(name, phrase)))
            .map(|c| c.code)
    }
}

/// `explain 502`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CodeReport {
    pub schema: String,
    pub code: u16,
    pub name: String,
    pub class: u8,
    pub class_title: String,
    /// In the IANA registry.
    pub registered: bool,
    /// Neither registered nor a known vendor code: explained through its class's x00 code.
    pub unassigned: bool,
    /// For unassigned codes: the code a client must treat it as (RFC 9110 §15).
    pub treat_as: Option<u16>,
    pub vendor: Option<String>,
    pub reference: Option<String>,
    pub summary: String,
    pub cacheable: bool,
    pub redirect: Option<RedirectMethod>,
    /// Log-only vendor codes: what the client receives (0 = nothing).
    pub client_sees: Option<u16>,
    /// Who looks first (from the detail, else the producing causes, else the class).
    pub owner: Owner,
    pub detail: Option<CodeDetail>,
    /// Who can generate this code, layer by layer, outermost first, and the cause at each.
    pub generated_at: Vec<LayerCauses>,
    /// Full records of every cause referenced, most likely first.
    pub causes: Vec<Cause>,
    /// Full records of the checks to run, in order; `<status>` in their commands is this code.
    pub checks: Vec<Check>,
    pub mistakes: Vec<Mistake>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LayerCauses {
    pub layer: Layer,
    pub causes: Vec<CauseAtLayer>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CauseAtLayer {
    pub cause: String,
    pub title: String,
    pub owner: Owner,
    pub note: Option<String>,
    /// The components (responder ids) that answer this code for this cause; empty for any at the
    /// layer (Caddy's body limit is a 502, nginx's a 413).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub only: Vec<String>,
}

/// `explain 5xx`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ClassReport {
    pub schema: String,
    pub class: u8,
    pub title: String,
    pub meaning: String,
    pub owner: Owner,
    pub look_first: String,
    pub codes: Vec<CodeRow>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CodeRow {
    pub code: u16,
    pub name: String,
    pub owner: Owner,
    pub summary: String,
    pub vendor: Option<String>,
}

/// `explain --tree 5xx`: the tree with its checks and causes resolved, nodes numbered in the order
/// a reader meets them.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TreeReport {
    pub schema: String,
    pub tree: Tree,
    /// Node ids in reading order; step N is `order[N-1]`.
    pub order: Vec<String>,
    pub checks: Vec<Check>,
    pub causes: Vec<CauseBrief>,
}

/// `explain --chain`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ChainReport {
    pub schema: String,
    pub chain: Chain,
    pub checks: Vec<Check>,
    pub causes: Vec<CauseBrief>,
}

/// A cause in one line, for reports that only point at it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CauseBrief {
    pub id: String,
    pub title: String,
    pub layer: Layer,
    pub owner: Owner,
    pub summary: String,
}

impl CauseBrief {
    pub fn of(c: &Cause) -> Self {
        CauseBrief {
            id: c.id.clone(),
            title: c.title.clone(),
            layer: c.layer,
            owner: c.owner,
            summary: c.summary.clone(),
        }
    }
}

impl KnowledgeBase {
    /// Who looks first for `code`: the detail's owner; else the owners of the causes that produce
    /// it (`both` when they disagree); else the class default.
    pub fn owner_of(&self, code: u16) -> Owner {
        if let Some(d) = self.code(code).and_then(|c| c.detail.as_ref()) {
            return d.owner;
        }
        let mut owners = self.causes_for_code(code).into_iter().map(|c| c.owner);
        match owners.next() {
            Some(first) if owners.all(|o| o == first) => first,
            Some(_) => Owner::Both,
            None => class_of(code).and_then(|c| self.class(c)).map_or(Owner::None, |c| c.owner),
        }
    }

    /// Explain a code in 100–599. Unassigned codes are explained through their class's x00 code,
    /// as RFC 9110 §15 tells clients to treat them. `None` outside 100–599.
    pub fn explain_code(&self, code: u16) -> Option<CodeReport> {
        let class = class_of(code)?;
        let class_title = self.class(class).map(|c| c.title.clone()).unwrap_or_default();
        let (entry, treat_as) = match self.code(code) {
            Some(e) => (e, None),
            None => (self.code(u16::from(class) * 100)?, Some(u16::from(class) * 100)),
        };
        let subject = entry.code;
        let causes: Vec<Cause> = self.causes_for_code(subject).into_iter().cloned().collect();
        let mut check_ids: Vec<&str> = Vec::new();
        let mut mistake_ids: Vec<&str> = Vec::new();
        if let Some(d) = &entry.detail {
            check_ids.extend(d.checks.iter().map(String::as_str));
            mistake_ids.extend(d.mistakes.iter().map(String::as_str));
        }
        for c in &causes {
            check_ids.extend(c.checks.iter().map(String::as_str));
            mistake_ids.extend(c.mistakes.iter().map(String::as_str));
        }
        let report = CodeReport {
            schema: CODE_SCHEMA.into(),
            code,
            name: if treat_as.is_some() { "Unassigned".into() } else { entry.name.clone() },
            class,
            class_title,
            registered: treat_as.is_none() && entry.registered(),
            unassigned: treat_as.is_some(),
            treat_as,
            vendor: if treat_as.is_some() { None } else { entry.vendor.clone() },
            reference: entry.reference.clone(),
            summary: entry.summary.clone(),
            cacheable: entry.cacheable,
            redirect: entry.redirect,
            client_sees: entry.client_sees,
            owner: self.owner_of(subject),
            detail: entry.detail.clone(),
            generated_at: generated_at(subject, &causes),
            // The status is known: a check that greps for `<status>` gets it.
            checks: dedup(check_ids)
                .into_iter()
                .filter_map(|id| self.check(id))
                .map(|c| Check { command: c.command.replace("<status>", &code.to_string()), ..c.clone() })
                .collect(),
            mistakes: dedup(mistake_ids).into_iter().filter_map(|id| self.mistake(id)).cloned().collect(),
            causes,
        };
        Some(report)
    }

    /// Explain a class: its meaning and a row per known code in it (registered first, then vendor).
    pub fn explain_class(&self, class: u8) -> Option<ClassReport> {
        let info = self.class(class)?;
        let mut rows: Vec<CodeRow> = self
            .codes
            .iter()
            .filter(|c| class_of(c.code) == Some(class))
            .map(|c| CodeRow {
                code: c.code,
                name: c.name.clone(),
                owner: self.owner_of(c.code),
                summary: c.summary.clone(),
                vendor: c.vendor.clone(),
            })
            .collect();
        rows.sort_by_key(|r| (r.vendor.is_some(), r.code));
        Some(ClassReport {
            schema: CLASS_SCHEMA.into(),
            class,
            title: info.title.clone(),
            meaning: info.meaning.clone(),
            owner: info.owner,
            look_first: info.look_first.clone(),
            codes: rows,
        })
    }

    /// A decision tree with nodes in reading order (depth-first from the start, answers in order).
    pub fn explain_tree(&self, id: &str) -> Option<TreeReport> {
        let tree = self.tree(id)?;
        let mut order: Vec<String> = Vec::new();
        let mut stack = vec![tree.start.as_str()];
        while let Some(node_id) = stack.pop() {
            if order.iter().any(|o| o == node_id) {
                continue;
            }
            let Some(node) = tree.node(node_id) else { continue };
            order.push(node_id.to_string());
            stack.extend(node.answers.iter().rev().filter_map(|a| a.next.as_deref()));
        }
        let checks = order.iter().filter_map(|n| tree.node(n).and_then(|n| n.check.as_deref())).collect::<Vec<_>>();
        let causes = order
            .iter()
            .filter_map(|n| tree.node(n))
            .flat_map(|n| n.answers.iter().flat_map(|a| a.causes.iter().map(String::as_str)))
            .collect::<Vec<_>>();
        Some(TreeReport {
            schema: TREE_SCHEMA.into(),
            tree: tree.clone(),
            checks: dedup(checks).into_iter().filter_map(|id| self.check(id)).cloned().collect(),
            causes: dedup(causes).into_iter().filter_map(|id| self.cause(id)).map(CauseBrief::of).collect(),
            order,
        })
    }

    pub fn explain_chain(&self) -> ChainReport {
        let checks = self.chain.steps.iter().map(|s| s.check.as_str()).collect::<Vec<_>>();
        let causes = self
            .chain
            .steps
            .iter()
            .flat_map(|s| s.outcomes.iter().flat_map(|o| o.causes.iter().map(String::as_str)))
            .collect::<Vec<_>>();
        ChainReport {
            schema: CHAIN_SCHEMA.into(),
            chain: self.chain.clone(),
            checks: dedup(checks).into_iter().filter_map(|id| self.check(id)).cloned().collect(),
            causes: dedup(causes).into_iter().filter_map(|id| self.cause(id)).map(CauseBrief::of).collect(),
        }
    }
}

/// `explain ImagePullBackOff`: what the reason means and the cause it leads to.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct KubernetesReasonReport {
    pub schema: String,
    pub query: String,
    /// Each meaning that fits: one, or one per message an event reason has (`Unhealthy`:
    /// readiness or liveness) unless the pasted message picks one.
    pub reasons: Vec<ReasonAnswer>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReasonAnswer {
    pub reason: KubernetesReason,
    /// The card of the cause it leads to, as `culprit explain <cause> --json` prints it.
    pub card: CauseReport,
}

impl KnowledgeBase {
    /// A Kubernetes reason given alone (any case), or standing as a word of its own, as written,
    /// in a pasted line (`Warning  Unhealthy  pod/x  Readiness probe failed: …`), where the
    /// message picks among an event reason's meanings.
    pub fn explain_kubernetes_reason(&self, input: &str) -> Option<KubernetesReasonReport> {
        let input = input.trim();
        let mut found = self.kubernetes_reason(input);
        if found.is_empty() {
            let words: Vec<&str> = input.split(|c: char| !c.is_ascii_alphanumeric()).collect();
            found = self.kubernetes_reasons.iter().filter(|r| words.contains(&r.reason.as_str())).collect();
            let lower = input.to_lowercase();
            let picked: Vec<&KubernetesReason> = found
                .iter()
                .copied()
                .filter(|r| r.message.as_ref().is_some_and(|m| lower.contains(&m.to_lowercase())))
                .collect();
            if !picked.is_empty() {
                found = picked;
            }
        }
        let reasons: Vec<ReasonAnswer> = found
            .into_iter()
            .filter_map(|r| Some(ReasonAnswer { reason: r.clone(), card: self.explain_cause(&r.cause)? }))
            .collect();
        (!reasons.is_empty()).then(|| KubernetesReasonReport {
            schema: KUBERNETES_REASON_SCHEMA.into(),
            query: input.to_string(),
            reasons,
        })
    }
}

/// Who generates `code` at each layer (outermost first), from the causes' `produces` lists.
fn generated_at(code: u16, causes: &[Cause]) -> Vec<LayerCauses> {
    Layer::ALL
        .iter()
        .filter_map(|&layer| {
            let at: Vec<CauseAtLayer> = causes
                .iter()
                .flat_map(|c| {
                    c.produces.iter().filter(move |p| p.code == code && p.by == layer).map(move |p| CauseAtLayer {
                        cause: c.id.clone(),
                        title: c.title.clone(),
                        owner: c.owner,
                        note: p.note.clone(),
                        only: p.only.clone(),
                    })
                })
                .collect();
            (!at.is_empty()).then_some(LayerCauses { layer, causes: at })
        })
        .collect()
}

/// Keep the first occurrence of each id, preserving order.
fn dedup(ids: Vec<&str>) -> Vec<&str> {
    let mut out: Vec<&str> = Vec::with_capacity(ids.len());
    for id in ids {
        if !out.contains(&id) {
            out.push(id);
        }
    }
    out
}
