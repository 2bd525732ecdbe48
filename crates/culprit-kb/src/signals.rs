//! Answers to `culprit explain UF`, `UF,URX` and `sH--`: what a proxy's own failure code says, the
//! status that proxy answers with, and the causes it points to.
//!
//! Envoy flags and HAProxy termination states come from `envoy-flags.toml` and
//! `haproxy-states.toml`; the grammar of a termination state (which character may stand at which
//! position) is the data's too, so a character added there is understood here.

use crate::KnowledgeBase;
use crate::explain::CauseBrief;
use crate::model::{EnvoyFlag, HaproxyState};
use serde::{Deserialize, Serialize};

pub const SIGNAL_SCHEMA: &str = "culprit.explain.signal/1";

/// `explain UF,URX` / `explain sH--`: each Envoy flag given, or the HAProxy termination state.
///
/// A two-letter input can be both (`LR` is Envoy's local reset and HAProxy's "handled locally");
/// then both readings are given, Envoy's first — when the HAProxy one is plausible: a pair the
/// knowledge base reads together. Otherwise (`UH`: Envoy's "no healthy upstream", and characters
/// HAProxy hardly writes together) only Envoy's, and `unlikely_haproxy_state` names the state.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SignalReport {
    pub schema: String,
    pub query: String,
    pub envoy_flags: Vec<FlagAnswer>,
    pub haproxy_states: Vec<StateAnswer>,
    /// The four-character HAProxy state the input also spells, left out as unlikely (`UH--`):
    /// `culprit explain UH--` reads it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unlikely_haproxy_state: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FlagAnswer {
    pub flag: EnvoyFlag,
    /// The flag's causes, most likely first.
    pub causes: Vec<CauseBrief>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StateAnswer {
    /// As given: `sH--`, `SC`.
    pub state: String,
    /// Each character given, in order, with its meaning at its position.
    pub characters: Vec<StateChar>,
    /// The first two characters read together, when the knowledge base has that pair.
    pub pair: Option<HaproxyState>,
    /// The statuses HAProxy answers and logs with, most common first (from the pair).
    pub statuses: Vec<u16>,
    pub logged: Option<String>,
    pub status_note: Option<String>,
    /// From the pair, else from the first character; most likely first.
    pub causes: Vec<CauseBrief>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StateChar {
    pub position: u8,
    #[serde(rename = "char")]
    pub ch: String,
    pub meaning: String,
}

impl KnowledgeBase {
    /// The Envoy flags an input names: one flag or several joined by `,`, `|` or spaces (as
    /// `%RESPONSE_FLAGS%` writes them), by short or long name. `None` unless every part is a flag.
    /// Short names are matched exactly, except a lone one, which may be in any case (`uf`).
    pub fn parse_envoy_flags(&self, input: &str) -> Option<Vec<&EnvoyFlag>> {
        let parts: Vec<&str> =
            input.split(|c: char| c == ',' || c == '|' || c.is_whitespace()).filter(|p| !p.is_empty()).collect();
        if parts.is_empty() {
            return None;
        }
        let lone = parts.len() == 1;
        let mut flags: Vec<&EnvoyFlag> = Vec::new();
        for part in parts {
            let flag = self.envoy_flags.iter().find(|f| {
                f.short == part || f.long.eq_ignore_ascii_case(part) || (lone && f.short.eq_ignore_ascii_case(part))
            })?;
            if !flags.iter().any(|f| f.short == flag.short) {
                flags.push(flag);
            }
        }
        Some(flags)
    }

    /// Whether `input` is an HAProxy termination state: two characters (TCP logs) or four (HTTP
    /// logs), each one HAProxy defines for its position. Case matters (`sH` is not `SH`).
    pub fn is_haproxy_state(&self, input: &str) -> bool {
        let chars: Vec<char> = input.chars().collect();
        (chars.len() == 2 || chars.len() == 4)
            && chars.iter().zip(1u8..).all(|(&ch, position)| self.haproxy_char(position, ch).is_some())
    }

    /// `explain UF`, `explain UF,URX`, `explain sH--`; `None` when the input is neither.
    pub fn explain_signal(&self, input: &str) -> Option<SignalReport> {
        let input = input.trim();
        let flags = self.parse_envoy_flags(input).unwrap_or_default();
        let mut state = self.is_haproxy_state(input).then(|| self.explain_haproxy_state(input));
        if flags.is_empty() && state.is_none() {
            return None;
        }
        // Both an Envoy flag and the two characters of a state: HAProxy's reading only for a pair
        // it commonly writes.
        let mut unlikely_haproxy_state = None;
        if !flags.is_empty() && state.as_ref().is_some_and(|s| s.pair.is_none()) {
            state = None;
            unlikely_haproxy_state = Some(format!("{input}--"));
        }
        Some(SignalReport {
            schema: SIGNAL_SCHEMA.into(),
            query: input.to_string(),
            envoy_flags: flags
                .into_iter()
                .map(|f| FlagAnswer {
                    causes: f.causes.iter().filter_map(|c| self.cause(c)).map(CauseBrief::of).collect(),
                    flag: f.clone(),
                })
                .collect(),
            haproxy_states: state.into_iter().collect(),
            unlikely_haproxy_state,
        })
    }

    fn explain_haproxy_state(&self, state: &str) -> StateAnswer {
        let characters: Vec<StateChar> = state
            .chars()
            .zip(1u8..)
            .filter_map(|(ch, position)| {
                self.haproxy_char(position, ch).map(|c| StateChar {
                    position,
                    ch: c.ch.clone(),
                    meaning: c.meaning.clone(),
                })
            })
            .collect();
        let pair_key: String = state.chars().take(2).collect();
        let pair = self.haproxy_state(&pair_key).cloned();
        let first = state.chars().next().and_then(|ch| self.haproxy_char(1, ch));
        let cause_ids: &[String] = match (&pair, first) {
            (Some(p), _) => &p.causes,
            (None, Some(c)) => &c.causes,
            (None, None) => &[],
        };
        StateAnswer {
            state: state.to_string(),
            characters,
            statuses: pair.as_ref().map(|p| p.statuses.clone()).unwrap_or_default(),
            logged: pair.as_ref().and_then(|p| p.logged.clone()),
            status_note: pair.as_ref().and_then(|p| p.status_note.clone()),
            causes: cause_ids.iter().filter_map(|c| self.cause(c)).map(CauseBrief::of).collect(),
            pair,
        }
    }
}
