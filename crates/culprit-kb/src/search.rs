//! Free-text search: from an error-log message, an Envoy flag, an HAProxy termination state, a
//! response header or body, to the causes (and responders) it points at, ranked, with the reason
//! each matched.
//!
//! Scoring, highest first:
//! - an Envoy response flag or HAProxy termination state given exactly (`UF`, `sH--`): 100;
//! - a piece of evidence contained whole in the query (a pasted log line): 60 + its length;
//!   (evidence listed first by a cause, its defining signal, gets up to 10 more);
//! - the query contained in a piece of evidence (a fragment of a message): 50;
//! - most of the query's words found in a piece of evidence: up to 40;
//! - the query's words in a cause's title or summary: up to 20.
//!
//! A cause's score is its best match plus a quarter of the others', so causes that match in
//! several ways rank above one-off matches; status codes named in the query boost the causes that
//! produce them. Hits below 40% of the best one are dropped: a pasted message should not drown in
//! causes that merely share a word with it.

use crate::KnowledgeBase;
use crate::model::{Cause, Evidence, EvidenceKind, MarkerKind, Responder};
use crate::vocab::{Layer, Owner};
use serde::{Deserialize, Serialize};

pub const SEARCH_SCHEMA: &str = "culprit.explain.search/1";

/// Queries longer than this are cut (a pasted log excerpt is plenty).
const MAX_QUERY: usize = 4096;
/// Below this score a match is noise.
const MIN_SCORE: u32 = 15;
const MAX_HITS: usize = 10;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SearchReport {
    pub schema: String,
    pub query: String,
    /// Status codes the query states (a three-digit token of its own or `status=…`); digits inside
    /// other tokens, such as an address or an errno, are not codes.
    pub codes: Vec<u16>,
    /// Components whose fingerprint the query matches (a Server header, an error page).
    pub responders: Vec<ResponderHit>,
    /// Causes, best first.
    pub causes: Vec<CauseHit>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ResponderHit {
    pub id: String,
    pub name: String,
    pub layer: Layer,
    pub note: String,
    /// The marker only shows the component was on the path, not that it wrote the response.
    pub passthrough: bool,
    pub matched: String,
    /// What each status this component generates itself means, most likely cause first: the
    /// answer to a header or page given without a status ("this layer answered; which status?").
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub by_status: Vec<StatusReading>,
}

/// One status a component generates itself, and its causes there, most likely first.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StatusReading {
    pub code: u16,
    pub causes: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CauseHit {
    pub id: String,
    pub title: String,
    pub summary: String,
    pub layer: Layer,
    pub owner: Owner,
    /// Codes the cause produces.
    pub codes: Vec<u16>,
    pub score: u32,
    /// Why it matched, strongest first.
    pub why: Vec<MatchReason>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MatchReason {
    /// Where the matched text lives: an evidence kind (`nginx_error`, `envoy_flag`…), `title`,
    /// `summary`, or `responder`.
    pub field: String,
    /// The knowledge-base text that matched.
    pub text: String,
    pub how: MatchHow,
    pub score: u32,
    /// The status the component that writes this evidence answers with, when the knowledge base
    /// knows it (Envoy answers 503 with `UF`): the code a reader should look up next.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<u16>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MatchHow {
    /// An Envoy flag or HAProxy termination state, exactly.
    Exact,
    /// The whole evidence text appears in the query.
    Contains,
    /// The query appears inside the evidence text.
    Within,
    /// Enough words in common.
    Words,
    /// A response fingerprint of a component that typically produces this cause.
    Responder,
}

impl KnowledgeBase {
    pub fn search(&self, query: &str) -> SearchReport {
        let query = cut(query.trim(), MAX_QUERY);
        let mut q = Prepared::new(query);
        let mut seen = Vec::new();
        q.codes.retain(|&c| {
            self.code(c).is_some() && !seen.contains(&c) && {
                seen.push(c);
                true
            }
        });
        let mut responders = self.match_responders(&q);
        let mut hits: Vec<CauseHit> = self.causes.iter().filter_map(|c| self.score_cause(c, &q)).collect();
        // A matched fingerprint says which layer answered, not why: without a status, its causes
        // are given per status (`by_status`), not ranked; with one, that status's causes there.
        for r in &responders {
            let Some(responder) = self.responder(&r.id) else { continue };
            if q.codes.is_empty() {
                continue;
            }
            let readings = self.readings_of(responder);
            let ids: Vec<&str> = readings
                .iter()
                .filter(|m| q.codes.contains(&m.code))
                .flat_map(|m| m.causes.iter().map(String::as_str))
                .collect();
            for (rank, id) in ids.into_iter().enumerate() {
                let reason = MatchReason {
                    field: "responder".into(),
                    text: format!("{} answered ({})", responder.name, r.matched),
                    how: MatchHow::Responder,
                    score: 20u32.saturating_sub(u32::try_from(rank).unwrap_or(u32::MAX)),
                    status: None,
                };
                match hits.iter_mut().find(|h| h.id == id) {
                    Some(hit) => add_reason(hit, reason),
                    None => {
                        if let Some(cause) = self.cause(id) {
                            let mut hit = new_hit(cause);
                            add_reason(&mut hit, reason);
                            hits.push(hit);
                        }
                    }
                }
            }
        }
        for hit in &mut hits {
            if q.codes.iter().any(|c| hit.codes.contains(c)) {
                hit.score += 15;
            }
        }
        // A component's own page or header, without a status: its reading per status says more
        // than causes that merely share a word with the query.
        if !responders.is_empty() && q.codes.is_empty() {
            hits.retain(|h| h.why.iter().any(|w| w.how != MatchHow::Words));
            // A message that names its cause (`no healthy upstream`) needs no reading per status.
            if !hits.is_empty() {
                for r in &mut responders {
                    r.by_status.clear();
                }
            }
        }
        // Keep what is worth reading: above the noise floor and not far below the best match.
        let best = hits.iter().map(|h| h.score).max().unwrap_or(0);
        hits.retain(|h| h.score >= MIN_SCORE && h.score * 5 >= best * 2);
        hits.sort_by(|a, b| b.score.cmp(&a.score).then_with(|| a.id.cmp(&b.id)));
        hits.truncate(MAX_HITS);
        SearchReport {
            schema: SEARCH_SCHEMA.into(),
            query: query.to_string(),
            codes: q.codes.clone(),
            responders,
            causes: hits,
        }
    }

    fn match_responders(&self, q: &Prepared) -> Vec<ResponderHit> {
        let mut out = Vec::new();
        for r in &self.responders {
            if let Some((text, passthrough)) = match_markers(r, q) {
                out.push(ResponderHit {
                    id: r.id.clone(),
                    name: r.name.clone(),
                    layer: r.layer,
                    note: r.note.clone(),
                    passthrough,
                    matched: text,
                    by_status: if q.codes.is_empty() { self.readings_of(r) } else { Vec::new() },
                });
            }
        }
        // Generating markers before passthrough ones.
        out.sort_by_key(|h| h.passthrough);
        out
    }
}

impl KnowledgeBase {
    /// What each status `r` generates itself means: its `means`, else its typical causes grouped by
    /// the codes they produce at its layer; codes in order.
    pub fn readings_of(&self, r: &Responder) -> Vec<StatusReading> {
        let mut out: Vec<StatusReading> = if r.means.is_empty() {
            let mut grouped: Vec<StatusReading> = Vec::new();
            for c in r.causes.iter().filter_map(|id| self.cause(id)) {
                let codes =
                    c.produces.iter().filter(|p| p.by == r.layer && (p.only.is_empty() || p.only.contains(&r.id)));
                for p in codes {
                    match grouped.iter_mut().find(|g| g.code == p.code) {
                        Some(g) if !g.causes.contains(&c.id) => g.causes.push(c.id.clone()),
                        Some(_) => {}
                        None => grouped.push(StatusReading { code: p.code, causes: vec![c.id.clone()] }),
                    }
                }
            }
            grouped
        } else {
            r.means.iter().map(|m| StatusReading { code: m.code, causes: m.causes.clone() }).collect()
        };
        out.sort_by_key(|m| m.code);
        out
    }
}

/// The query, prepared once.
struct Prepared {
    lower: String,
    /// Raw tokens (case kept) for flags and termination states.
    raw_tokens: Vec<String>,
    words: Vec<String>,
    codes: Vec<u16>,
}

impl Prepared {
    fn new(query: &str) -> Self {
        let lower = collapse_ws(&query.to_lowercase());
        let raw_tokens: Vec<String> = query
            .split(|c: char| c.is_whitespace() || matches!(c, ',' | ';' | '|' | '"' | '\''))
            .filter(|t| !t.is_empty())
            .map(str::to_string)
            .collect();
        let words = words(&lower);
        let codes = raw_tokens.iter().filter_map(|t: &String| status_token(t)).collect();
        Prepared { lower, raw_tokens, words, codes }
    }
}

fn new_hit(c: &Cause) -> CauseHit {
    let mut codes: Vec<u16> = c.produces.iter().map(|p| p.code).collect();
    codes.sort_unstable();
    codes.dedup();
    CauseHit {
        id: c.id.clone(),
        title: c.title.clone(),
        summary: c.summary.clone(),
        layer: c.layer,
        owner: c.owner,
        codes,
        score: 0,
        why: Vec::new(),
    }
}

/// Add a reason and recompute the score: best + a quarter of the rest.
fn add_reason(hit: &mut CauseHit, reason: MatchReason) {
    hit.why.push(reason);
    hit.why.sort_by_key(|r| std::cmp::Reverse(r.score));
    let best = hit.why.first().map_or(0, |r| r.score);
    let rest: u32 = hit.why.iter().skip(1).map(|r| r.score).sum();
    hit.score = best + rest / 4;
}

impl KnowledgeBase {
    fn score_cause(&self, c: &Cause, q: &Prepared) -> Option<CauseHit> {
        let mut hit = new_hit(c);
        // A cause lists its defining evidence first; the same message can support several causes
        // (a premature close is also what a keep-alive race looks like), and position breaks the
        // tie. A flag or termination state ranks its causes itself, most likely first.
        for (position, e) in c.evidence.iter().enumerate() {
            let field =
                serde_json::to_value(e.kind).ok().and_then(|v| v.as_str().map(str::to_string)).unwrap_or_default();
            let (matched, rank) = match e.kind {
                EvidenceKind::EnvoyFlag => (exact_flag(&e.text, q), self.signal_rank(e, &c.id)),
                EvidenceKind::HaproxyState => (termination_state(&e.text, q), self.signal_rank(e, &c.id)),
                _ => (text_match(&e.text, q, 40), position),
            };
            if let Some((how, score)) = matched {
                let score = score + 10u32.saturating_sub(3 * u32::try_from(rank).unwrap_or(u32::MAX));
                add_reason(&mut hit, MatchReason { field, text: e.text.clone(), how, score, status: e.status });
            }
        }
        for (field, text) in [("title", &c.title), ("summary", &c.summary)] {
            if let Some((how, score)) = text_match(text, q, 20) {
                add_reason(
                    &mut hit,
                    MatchReason { field: field.into(), text: text.clone(), how, score: score.min(20), status: None },
                );
            }
        }
        (!hit.why.is_empty()).then_some(hit)
    }

    /// Where `cause` stands in the list of causes of the flag or state `e` names.
    fn signal_rank(&self, e: &Evidence, cause: &str) -> usize {
        let causes = match e.kind {
            EvidenceKind::EnvoyFlag => self.envoy_flag(&e.text).map(|f| &f.causes),
            _ => self.haproxy_state(&e.text).map(|s| &s.causes),
        };
        causes.and_then(|ids| ids.iter().position(|id| id == cause)).unwrap_or(usize::MAX)
    }
}

/// A token that states a status: three digits standing alone (`502` in an access-log line), or a
/// `status=502` / `status:502` pair. Digits inside a token (`10.244.1.5`, `(111:`) are not codes.
fn status_token(token: &str) -> Option<u16> {
    let value = match token.split_once(['=', ':']) {
        Some((key, value)) if ["status", "status_code", "code"].iter().any(|k| key.eq_ignore_ascii_case(k)) => value,
        Some(_) => return None,
        None => token,
    };
    (value.len() == 3 && value.bytes().all(|b| b.is_ascii_digit()))
        .then(|| value.parse().ok())
        .flatten()
        .filter(|c| (100..=599).contains(c))
}

/// Envoy flags are upper-case codes; a query token equal to one (or the lone query in any case).
fn exact_flag(flag: &str, q: &Prepared) -> Option<(MatchHow, u32)> {
    let lone = q.raw_tokens.len() == 1 && q.raw_tokens[0].eq_ignore_ascii_case(flag);
    (lone || q.raw_tokens.iter().any(|t| t == flag)).then_some((MatchHow::Exact, 100))
}

/// HAProxy termination states: two characters (who, phase), optionally followed by the two
/// persistence-cookie characters, e.g. `sH--`, `SC`, `cR--`.
fn termination_state(state: &str, q: &Prepared) -> Option<(MatchHow, u32)> {
    const WHO: &str = "CSPLRIDUKcs-";
    const PHASE: &str = "RQCHDLT-";
    let is_state = |t: &str| {
        let b: Vec<char> = t.chars().collect();
        (b.len() == 2 || b.len() == 4)
            && WHO.contains(b[0])
            && PHASE.contains(b[1])
            && b[0] != '-'
            && (b.len() == 2 || b[2..].iter().all(|c| c.is_ascii_uppercase() || *c == '-'))
    };
    q.raw_tokens.iter().any(|t| is_state(t) && t.starts_with(state)).then_some((MatchHow::Exact, 100))
}

/// Text evidence: containment either way, else word overlap worth up to `max_words`.
fn text_match(text: &str, q: &Prepared, max_words: u32) -> Option<(MatchHow, u32)> {
    let t = collapse_ws(&text.to_lowercase());
    if t.len() >= 4 && q.lower.contains(&t) {
        return Some((MatchHow::Contains, 60 + u32::try_from(t.len().min(60)).unwrap_or(60)));
    }
    if q.lower.len() >= 4 && t.contains(&q.lower) {
        return Some((MatchHow::Within, 50));
    }
    if q.words.is_empty() {
        return None;
    }
    let tw = words(&t);
    let shared = q.words.iter().filter(|w| tw.contains(w)).count();
    let needed = if q.words.len() == 1 { 1 } else { 2 };
    if shared < needed {
        return None;
    }
    // Fraction of the query's words found, weighted by how much of the evidence they cover.
    let of_query = shared as f64 / q.words.len() as f64;
    let of_text = shared as f64 / tw.len().max(1) as f64;
    let ratio = 0.7 * of_query + 0.3 * of_text;
    if of_query < 0.5 {
        return None;
    }
    #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
    let score = (f64::from(max_words) * ratio).round() as u32;
    Some((MatchHow::Words, score))
}

/// Match a responder's markers: `name: value` for headers, any body text.
fn match_markers(r: &Responder, q: &Prepared) -> Option<(String, bool)> {
    for m in &r.markers {
        let text = m.text.to_lowercase();
        let hit = match m.kind {
            MarkerKind::Header => {
                let name = m.name.as_deref().unwrap_or_default();
                let named = q.lower.contains(&format!("{name}:"));
                if text.is_empty() {
                    named
                } else {
                    (named || !q.lower.contains(':')) && text.len() >= 4 && q.lower.contains(&text)
                }
            }
            MarkerKind::Body => {
                text.len() >= 6 && (q.lower.contains(&text) || (q.lower.len() >= 8 && text.contains(&q.lower)))
            }
        };
        if hit {
            let shown = match (&m.kind, &m.name) {
                (MarkerKind::Header, Some(name)) if m.text.is_empty() => format!("header {name}"),
                (MarkerKind::Header, Some(name)) => format!("{name}: …{}…", m.text),
                _ => format!("body “{}”", m.text),
            };
            return Some((shown, m.passthrough));
        }
    }
    None
}

const STOPWORDS: &[&str] = &[
    "a", "an", "the", "of", "to", "in", "on", "at", "by", "for", "from", "with", "while", "and", "or", "is", "it",
    "its", "be", "was", "this", "that", "there", "no", "not", "my", "our", "we", "i",
];

/// Significant, lightly stemmed words.
fn words(text: &str) -> Vec<String> {
    let mut out: Vec<String> = text
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| w.len() > 1 && !STOPWORDS.contains(w))
        .map(stem)
        .collect();
    out.sort();
    out.dedup();
    out
}

fn stem(w: &str) -> String {
    for suffix in ["ing", "ed", "es", "s"] {
        if w.len() > suffix.len() + 3 {
            if let Some(base) = w.strip_suffix(suffix) {
                return base.to_string();
            }
        }
    }
    w.to_string()
}

fn collapse_ws(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

fn cut(s: &str, max: usize) -> &str {
    if s.len() <= max {
        return s;
    }
    let mut end = max;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    &s[..end]
}
