//! Parsing the embedded TOML files and checking every cross-reference.

use crate::model::{
    Cause, Chain, Check, EnvoyFlag, Evidence, EvidenceKind, FAILURE_FILLS, FAILURE_PHASES, FailureMode, FindingText,
    HaproxyState, HaproxyStateChar, KubernetesReason, LayerInfo, LintRule, LogStatus, Mistake, Platform, RedirectNote,
    Responder, StatusClass, StatusCode, Tree, Worded,
};
use crate::template::placeholders;
use crate::vocab::{GeneratedBy, Layer};
use serde::Deserialize;
use std::collections::{BTreeSet, HashMap, HashSet};
use std::fmt;

/// The embedded data files, by name (for error messages) and content.
const SOURCES: &[(&str, &str)] = &[
    ("codes.toml", include_str!("../data/codes.toml")),
    ("classes.toml", include_str!("../data/classes.toml")),
    ("layers.toml", include_str!("../data/layers.toml")),
    ("checks.toml", include_str!("../data/checks.toml")),
    ("causes-edge.toml", include_str!("../data/causes-edge.toml")),
    ("causes-upstream.toml", include_str!("../data/causes-upstream.toml")),
    ("causes-app.toml", include_str!("../data/causes-app.toml")),
    ("causes-client.toml", include_str!("../data/causes-client.toml")),
    ("mistakes.toml", include_str!("../data/mistakes.toml")),
    ("trees.toml", include_str!("../data/trees.toml")),
    ("chain.toml", include_str!("../data/chain.toml")),
    ("responders.toml", include_str!("../data/responders.toml")),
    ("envoy-flags.toml", include_str!("../data/envoy-flags.toml")),
    ("haproxy-states.toml", include_str!("../data/haproxy-states.toml")),
    ("failures.toml", include_str!("../data/failures.toml")),
    ("probe.toml", include_str!("../data/probe.toml")),
    ("findings.toml", include_str!("../data/findings.toml")),
    ("kubernetes.toml", include_str!("../data/kubernetes.toml")),
];

/// Problems found while loading or validating the knowledge base.
#[derive(Debug)]
pub enum KbError {
    /// A data file does not parse or does not fit the model.
    Parse { file: &'static str, message: String },
    /// Cross-reference or consistency problems, one line each.
    Invalid(Vec<String>),
}

impl fmt::Display for KbError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            KbError::Parse { file, message } => write!(f, "{file}: {message}"),
            KbError::Invalid(problems) => {
                write!(f, "{} problem(s):", problems.len())?;
                for p in problems {
                    write!(f, "\n  - {p}")?;
                }
                Ok(())
            }
        }
    }
}

impl std::error::Error for KbError {}

/// Everything culprit knows, indexed for lookups.
#[derive(Debug)]
pub struct KnowledgeBase {
    pub codes: Vec<StatusCode>,
    pub log_statuses: Vec<LogStatus>,
    pub classes: Vec<StatusClass>,
    pub layers: Vec<LayerInfo>,
    pub checks: Vec<Check>,
    pub causes: Vec<Cause>,
    pub mistakes: Vec<Mistake>,
    pub trees: Vec<Tree>,
    pub chain: Chain,
    pub responders: Vec<Responder>,
    /// Every Envoy response flag, in documentation order.
    pub envoy_flags: Vec<EnvoyFlag>,
    /// What each character of an HAProxy termination state means, by position.
    pub haproxy_chars: Vec<HaproxyStateChar>,
    /// HAProxy termination states read as pairs (first two characters).
    pub haproxy_states: Vec<HaproxyState>,
    /// What each way a request can fail without an answer means (the probe's diagnoses).
    pub failures: Vec<FailureMode>,
    /// The API-hygiene rules `culprit probe` checks, one per mistake it can see in a response.
    pub lints: Vec<LintRule>,
    /// What `culprit probe` notes about a redirect chain.
    pub redirect_notes: Vec<RedirectNote>,
    /// The titles and fixes of the cluster checks' findings, by id.
    pub findings: Vec<FindingText>,
    /// The Kubernetes reasons `culprit cluster` reads, and their causes.
    pub kubernetes_reasons: Vec<KubernetesReason>,
    code_index: HashMap<u16, usize>,
    cause_index: HashMap<String, usize>,
    check_index: HashMap<String, usize>,
    mistake_index: HashMap<String, usize>,
    finding_index: HashMap<String, usize>,
}

/// Each file holds some of these top-level arrays; missing ones are empty.
#[derive(Deserialize, Default)]
// `default` on the container: every array is optional in every file (a field-level attribute is
// easy to forget when a kind is added).
#[serde(deny_unknown_fields, default)]
struct DataFile {
    code: Vec<StatusCode>,
    log_status: Vec<LogStatus>,
    class: Vec<StatusClass>,
    layer: Vec<LayerInfo>,
    check: Vec<Check>,
    cause: Vec<Cause>,
    mistake: Vec<Mistake>,
    tree: Vec<Tree>,
    responder: Vec<Responder>,
    envoy_flag: Vec<EnvoyFlag>,
    haproxy_char: Vec<HaproxyStateChar>,
    haproxy_state: Vec<HaproxyState>,
    failure: Vec<FailureMode>,
    lint: Vec<LintRule>,
    redirect_note: Vec<RedirectNote>,
    finding: Vec<FindingText>,
    kubernetes_reason: Vec<KubernetesReason>,
}

impl KnowledgeBase {
    /// Parse the embedded data and validate it.
    pub fn load() -> Result<Self, KbError> {
        let mut all = DataFile::default();
        let mut chain = None;
        for &(file, text) in SOURCES {
            if file == "chain.toml" {
                chain =
                    Some(toml::from_str::<Chain>(text).map_err(|e| KbError::Parse { file, message: e.to_string() })?);
                continue;
            }
            let part: DataFile = toml::from_str(text).map_err(|e| KbError::Parse { file, message: e.to_string() })?;
            all.code.extend(part.code);
            all.log_status.extend(part.log_status);
            all.class.extend(part.class);
            all.layer.extend(part.layer);
            all.check.extend(part.check);
            all.cause.extend(part.cause);
            all.mistake.extend(part.mistake);
            all.tree.extend(part.tree);
            all.responder.extend(part.responder);
            all.envoy_flag.extend(part.envoy_flag);
            all.haproxy_char.extend(part.haproxy_char);
            all.haproxy_state.extend(part.haproxy_state);
            all.failure.extend(part.failure);
            all.lint.extend(part.lint);
            all.redirect_note.extend(part.redirect_note);
            all.finding.extend(part.finding);
            all.kubernetes_reason.extend(part.kubernetes_reason);
        }
        let chain = chain.ok_or_else(|| KbError::Parse { file: "chain.toml", message: "missing".into() })?;
        let mut codes = all.code;
        codes.sort_by_key(|c| c.code);
        // Flags and termination states are written once, in their own files; a cause that listed
        // one itself would say it twice, and the two could drift apart.
        let mut problems = Vec::new();
        for c in &all.cause {
            for e in
                c.evidence.iter().filter(|e| matches!(e.kind, EvidenceKind::EnvoyFlag | EvidenceKind::HaproxyState))
            {
                problems.push(format!(
                    "cause {}: evidence {} '{}' belongs in envoy-flags.toml / haproxy-states.toml, which name their causes",
                    c.id,
                    e.kind.label(),
                    e.text
                ));
            }
        }
        let mut causes = all.cause;
        add_signal_evidence(&mut causes, &all.envoy_flag, &all.haproxy_state);
        let kb = KnowledgeBase {
            code_index: index(&codes, |c| c.code),
            cause_index: index(&causes, |c| c.id.clone()),
            check_index: index(&all.check, |c| c.id.clone()),
            mistake_index: index(&all.mistake, |m| m.id.clone()),
            finding_index: index(&all.finding, |f| f.id.clone()),
            codes,
            log_statuses: all.log_status,
            classes: all.class,
            layers: all.layer,
            checks: all.check,
            causes,
            mistakes: all.mistake,
            trees: all.tree,
            chain,
            responders: all.responder,
            envoy_flags: all.envoy_flag,
            haproxy_chars: all.haproxy_char,
            haproxy_states: all.haproxy_state,
            failures: all.failure,
            lints: all.lint,
            redirect_notes: all.redirect_note,
            findings: all.finding,
            kubernetes_reasons: all.kubernetes_reason,
        };
        problems.extend(kb.validate());
        if problems.is_empty() { Ok(kb) } else { Err(KbError::Invalid(problems)) }
    }

    pub fn code(&self, code: u16) -> Option<&StatusCode> {
        self.code_index.get(&code).map(|&i| &self.codes[i])
    }

    pub fn cause(&self, id: &str) -> Option<&Cause> {
        self.cause_index.get(id).map(|&i| &self.causes[i])
    }

    pub fn check(&self, id: &str) -> Option<&Check> {
        self.check_index.get(id).map(|&i| &self.checks[i])
    }

    pub fn mistake(&self, id: &str) -> Option<&Mistake> {
        self.mistake_index.get(id).map(|&i| &self.mistakes[i])
    }

    pub fn class(&self, class: u8) -> Option<&StatusClass> {
        self.classes.iter().find(|c| c.class == class)
    }

    pub fn layer(&self, layer: Layer) -> Option<&LayerInfo> {
        self.layers.iter().find(|l| l.id == layer)
    }

    pub fn tree(&self, id: &str) -> Option<&Tree> {
        self.trees.iter().find(|t| t.id.eq_ignore_ascii_case(id))
    }

    pub fn responder(&self, id: &str) -> Option<&Responder> {
        self.responders.iter().find(|r| r.id == id)
    }

    pub fn failure(&self, id: &str) -> Option<&FailureMode> {
        self.failures.iter().find(|f| f.id == id)
    }

    /// The API-hygiene rule `culprit probe` reports as `id` (a mistake's id).
    pub fn lint(&self, id: &str) -> Option<&LintRule> {
        self.lints.iter().find(|l| l.id == id)
    }

    pub fn redirect_note(&self, id: &str) -> Option<&RedirectNote> {
        self.redirect_notes.iter().find(|n| n.id == id)
    }

    /// The title and fix of a cluster finding, by id.
    pub fn finding(&self, id: &str) -> Option<&FindingText> {
        self.finding_index.get(id).map(|&i| &self.findings[i])
    }

    /// The entries for a Kubernetes reason (`ImagePullBackOff`; any case): one, or one per
    /// message an event reason has (`Unhealthy`).
    pub fn kubernetes_reason(&self, reason: &str) -> Vec<&KubernetesReason> {
        self.kubernetes_reasons.iter().filter(|r| r.reason.eq_ignore_ascii_case(reason.trim())).collect()
    }

    pub fn log_status(&self, value: &str) -> Option<&LogStatus> {
        self.log_statuses.iter().find(|s| s.value == value)
    }

    /// An Envoy response flag by its short name (`UF`).
    pub fn envoy_flag(&self, short: &str) -> Option<&EnvoyFlag> {
        self.envoy_flags.iter().find(|f| f.short == short)
    }

    /// What character `ch` means at `position` (1–4) of an HAProxy termination state.
    pub fn haproxy_char(&self, position: u8, ch: char) -> Option<&HaproxyStateChar> {
        self.haproxy_chars.iter().find(|c| c.position == position && c.ch.chars().eq([ch]))
    }

    /// An HAProxy termination state's first two characters read together, when the data has them.
    pub fn haproxy_state(&self, pair: &str) -> Option<&HaproxyState> {
        self.haproxy_states.iter().find(|s| s.state == pair)
    }

    /// Causes that can produce `code`, in the order the code's detail lists them (most likely
    /// first), else in data order.
    pub fn causes_for_code(&self, code: u16) -> Vec<&Cause> {
        if let Some(detail) = self.code(code).and_then(|c| c.detail.as_ref()) {
            return detail.causes.iter().filter_map(|id| self.cause(id)).collect();
        }
        self.causes.iter().filter(|c| c.produces_code(code)).collect()
    }

    /// Every cross-reference and consistency rule; an empty list means the data is sound.
    pub fn validate(&self) -> Vec<String> {
        let mut problems = Vec::new();
        duplicates(&mut problems, "code", self.codes.iter().map(|c| c.code.to_string()));
        duplicates(&mut problems, "cause", self.causes.iter().map(|c| c.id.clone()));
        duplicates(&mut problems, "check", self.checks.iter().map(|c| c.id.clone()));
        for c in &self.checks {
            if let Some(host) = &c.on_hosts {
                self.check_refs(&mut problems, &format!("check {} on_hosts", c.id), std::slice::from_ref(host));
                if self.check(host).is_some_and(Check::needs_kubernetes) {
                    problems.push(format!("check {}: on_hosts names {host}, which runs kubectl", c.id));
                }
            }
        }
        duplicates(&mut problems, "mistake", self.mistakes.iter().map(|m| m.id.clone()));
        duplicates(&mut problems, "responder", self.responders.iter().map(|r| r.id.clone()));
        duplicates(&mut problems, "tree", self.trees.iter().map(|t| t.id.clone()));
        duplicates(&mut problems, "failure", self.failures.iter().map(|f| f.id.clone()));
        self.validate_codes(&mut problems);
        self.validate_causes(&mut problems);
        self.validate_signals(&mut problems);
        self.validate_ids(&mut problems);
        self.validate_trees(&mut problems);
        self.validate_chain(&mut problems);
        self.validate_findings(&mut problems);
        for layer in Layer::ALL {
            if self.layer(layer).is_none() {
                problems.push(format!("layer {layer} is not described in layers.toml"));
            }
        }
        for l in &self.layers {
            self.check_refs(&mut problems, &format!("layer {}", l.id), &l.checks);
        }
        for class in 1..=5 {
            if self.class(class).is_none() {
                problems.push(format!("class {class}xx is not described in classes.toml"));
            }
        }
        for s in &self.log_statuses {
            if self.cause(&s.cause).is_none() {
                problems.push(format!("log status {}: unknown cause {}", s.value, s.cause));
            }
        }
        for r in &self.responders {
            self.validate_responder(&mut problems, r);
        }
        for f in &self.failures {
            let what = format!("failure {}", f.id);
            if !is_snake_case(&f.id) {
                problems.push(format!("{what}: id is not snake_case"));
            }
            if !FAILURE_PHASES.contains(&f.phase.as_str()) {
                problems.push(format!("{what}: phase {} is not one of {FAILURE_PHASES:?}", f.phase));
            }
            if f.causes.is_empty() || f.checks.is_empty() {
                problems.push(format!("{what}: needs causes and checks"));
            }
            self.cause_refs(&mut problems, &what, &f.causes);
            self.check_refs(&mut problems, &what, &f.checks);
            for name in placeholders(&f.says) {
                if !FAILURE_FILLS.contains(&name) {
                    problems.push(format!("{what}: says uses {{{name}}}, not one of {FAILURE_FILLS:?}"));
                }
            }
            // A failure is diagnosed anywhere: at least one check must work without a cluster.
            if f.checks.iter().filter_map(|c| self.check(c)).all(Check::needs_kubernetes) {
                problems.push(format!("{what}: every check needs kubectl; add one that runs anywhere"));
            }
        }
        self.validate_probe(&mut problems);
        for r in &self.kubernetes_reasons {
            let what = format!("kubernetes reason {}", r.reason);
            self.cause_refs(&mut problems, &what, std::slice::from_ref(&r.cause));
            let same = self.kubernetes_reasons.iter().filter(|o| o.reason == r.reason).count();
            if same > 1 && r.message.is_none() {
                problems.push(format!("{what}: listed {same} times, so each needs the `message` that picks it"));
            }
        }
        for m in &self.mistakes {
            for &code in &m.codes {
                if self.code(code).is_none() {
                    problems.push(format!("mistake {}: unknown code {code}", m.id));
                }
            }
        }
        problems
    }

    fn validate_responder(&self, problems: &mut Vec<String>, r: &Responder) {
        let what = format!("responder {}", r.id);
        self.cause_refs(problems, &what, &r.causes);
        self.check_refs(problems, &what, &r.checks);
        if r.markers.is_empty() {
            problems.push(format!("{what} has no markers"));
        }
        // Its own error page must be recognisable for "any other body was relayed" to hold.
        if r.own_errors.body == Some(crate::model::ErrorBody::Page)
            && !r.markers.iter().any(|m| m.kind == crate::model::MarkerKind::Body && !m.passthrough)
        {
            problems.push(format!("{what}: own_errors.body is \"page\" but no body marker recognises its page"));
        }
        if r.own_errors.server.is_some()
            && !r
                .markers
                .iter()
                .any(|m| m.kind == crate::model::MarkerKind::Header && m.name.as_deref() == Some("server"))
        {
            problems.push(format!(
                "{what}: own_errors.server says where its Server header appears, but no marker reads it"
            ));
        }
        for m in &r.means {
            let at = format!("{what} means {}", m.code);
            self.cause_refs(problems, &at, &m.causes);
            if m.causes.is_empty() {
                problems.push(format!("{at}: no causes"));
            }
            for id in &m.causes {
                if self.cause(id).is_some_and(|c| !c.produces_code(m.code)) {
                    problems.push(format!("{at}: cause {id} does not produce {}; add it to its `produces`", m.code));
                }
            }
        }
        if r.platform == Platform::Any {
            // Its answers are read on their own terms: its reading of the codes it generates and
            // checks that run where it runs (no kubectl).
            if r.means.is_empty() || r.checks.is_empty() {
                problems.push(format!("{what}: a responder that runs anywhere needs `means` and `checks`"));
            }
            for id in &r.checks {
                if self.check(id).is_some_and(Check::needs_kubernetes) {
                    problems.push(format!("{what}: check {id} needs kubectl, but the responder runs anywhere"));
                }
            }
        }
    }

    fn validate_codes(&self, problems: &mut Vec<String>) {
        // A pasted reason phrase must name one code.
        let mut phrases: HashMap<String, u16> = HashMap::new();
        for c in &self.codes {
            for name in c.names() {
                let key: String =
                    name.chars().filter(char::is_ascii_alphanumeric).map(|c| c.to_ascii_lowercase()).collect();
                if let Some(other) = phrases.insert(key, c.code) {
                    if other != c.code {
                        problems.push(format!("code {}: reason phrase '{name}' also names {other}", c.code));
                    }
                }
            }
        }
        for c in &self.codes {
            let what = format!("code {}", c.code);
            if !(100..=599).contains(&c.code) {
                problems.push(format!("{what}: outside 100–599"));
            }
            let is_3xx = c.code / 100 == 3 && c.registered();
            if is_3xx != c.redirect.is_some() {
                problems.push(format!("{what}: `redirect` must be set exactly on registered 3xx codes"));
            }
            let Some(d) = &c.detail else { continue };
            self.check_refs(problems, &what, &d.checks);
            self.cause_refs(problems, &what, &d.causes);
            self.mistake_refs(problems, &what, &d.mistakes);
            if d.checks.is_empty() {
                problems.push(format!("{what}: detail has no checks"));
            }
            // The detail's cause list must be exactly the causes that declare this code.
            let listed: BTreeSet<&str> = d.causes.iter().map(String::as_str).collect();
            let producing: BTreeSet<&str> =
                self.causes.iter().filter(|k| k.produces_code(c.code)).map(|k| k.id.as_str()).collect();
            for missing in producing.difference(&listed) {
                problems.push(format!("{what}: cause {missing} produces it but is not in detail.causes"));
            }
            for extra in listed.difference(&producing) {
                problems.push(format!("{what}: detail.causes lists {extra}, which does not produce it"));
            }
        }
    }

    fn validate_causes(&self, problems: &mut Vec<String>) {
        for k in &self.causes {
            let what = format!("cause {}", k.id);
            if !is_snake_case(&k.id) {
                problems.push(format!("{what}: id is not snake_case"));
            }
            if k.checks.is_empty() {
                problems.push(format!("{what}: no checks"));
            }
            if k.fix.trim().is_empty() {
                problems.push(format!("{what}: no fix"));
            }
            // A failure the client meets itself (no answer at all) has no status code.
            if k.produces.is_empty() && k.generated_by != GeneratedBy::Client {
                problems.push(format!("{what}: produces no code"));
            }
            if k.evidence.is_empty() {
                problems.push(format!("{what}: no evidence"));
            }
            for p in &k.produces {
                if self.code(p.code).is_none() {
                    problems.push(format!("{what}: produces unknown code {}", p.code));
                }
                for id in &p.only {
                    match self.responder(id) {
                        None => problems.push(format!("{what}: produces {} only at unknown responder {id}", p.code)),
                        Some(r) if r.layer != p.by => problems.push(format!(
                            "{what}: produces {} at {} only in {id}, which sits at {}",
                            p.code, p.by, r.layer
                        )),
                        Some(_) => {}
                    }
                }
                // A code only some components answer for this cause needs the evidence that says
                // so: the message their log writes with that status.
                if !p.only.is_empty() && !k.evidence.iter().any(|e| e.status == Some(p.code)) {
                    problems.push(format!(
                        "{what}: produces {} only in {:?}, but no evidence says that status",
                        p.code, p.only
                    ));
                }
            }
            for e in &k.evidence {
                if let Some(status) = e.status {
                    if !k.produces_code(status) {
                        problems
                            .push(format!("{what}: evidence '{}' answers {status}, which it does not produce", e.text));
                    }
                }
            }
            self.check_refs(problems, &what, &k.checks);
            self.mistake_refs(problems, &what, &k.mistakes);
        }
    }

    /// Envoy flags and HAProxy termination states: every reference resolves, and a flag's status is
    /// one its causes produce, so a link from the flag to a code leads to a report that lists them.
    fn validate_signals(&self, problems: &mut Vec<String>) {
        duplicates(problems, "envoy flag", self.envoy_flags.iter().map(|f| f.short.clone()));
        duplicates(problems, "envoy flag long name", self.envoy_flags.iter().map(|f| f.long.clone()));
        for f in &self.envoy_flags {
            let what = format!("envoy flag {}", f.short);
            if f.short.is_empty() || !f.short.bytes().all(|b| b.is_ascii_uppercase()) {
                problems.push(format!("{what}: short names are upper-case letters"));
            }
            self.signal_refs(problems, &what, &f.statuses, f.logged.as_deref(), f.status_note.as_deref(), &f.causes);
        }
        duplicates(
            problems,
            "haproxy character",
            self.haproxy_chars.iter().map(|c| format!("{} at position {}", c.ch, c.position)),
        );
        for c in &self.haproxy_chars {
            let what = format!("haproxy character '{}' at position {}", c.ch, c.position);
            if !(1..=4).contains(&c.position) {
                problems.push(format!("{what}: positions are 1 to 4"));
            }
            if c.ch.chars().count() != 1 {
                problems.push(format!("{what}: one character expected"));
            }
            if c.position != 1 && !c.causes.is_empty() {
                problems.push(format!("{what}: only first characters name causes"));
            }
            self.cause_refs(problems, &what, &c.causes);
        }
        duplicates(problems, "haproxy state", self.haproxy_states.iter().map(|s| s.state.clone()));
        for s in &self.haproxy_states {
            let what = format!("haproxy state {}", s.state);
            let mut chars = s.state.chars();
            let (first, second) = (chars.next(), chars.next());
            let known = |pos, ch: Option<char>| ch.is_some_and(|ch| self.haproxy_char(pos, ch).is_some());
            if chars.next().is_some() || !known(1, first) || !known(2, second) {
                problems.push(format!("{what}: not two characters described by haproxy_char"));
            }
            self.signal_refs(problems, &what, &s.statuses, s.logged.as_deref(), s.status_note.as_deref(), &s.causes);
        }
    }

    fn signal_refs(
        &self,
        problems: &mut Vec<String>,
        what: &str,
        statuses: &[u16],
        logged: Option<&str>,
        status_note: Option<&str>,
        causes: &[String],
    ) {
        for &code in statuses {
            if self.code(code).is_none() {
                problems.push(format!("{what}: unknown status {code}"));
            }
        }
        if let Some(value) = logged {
            if self.log_status(value).is_none() {
                problems.push(format!("{what}: logged value {value} is not a log_status"));
            }
        }
        if statuses.is_empty() && status_note.is_none() {
            problems.push(format!("{what}: without statuses, status_note must say what the status is"));
        }
        self.cause_refs(problems, what, causes);
        for id in causes {
            if let Some(cause) = self.cause(id) {
                if !statuses.is_empty() && !statuses.iter().any(|&s| cause.produces_code(s)) {
                    problems.push(format!(
                        "{what}: cause {id} produces none of {statuses:?}; add the production or drop the cause"
                    ));
                }
            }
        }
    }

    /// `culprit explain <id>` looks an id up in every namespace at once, so an id must name one thing.
    fn validate_ids(&self, problems: &mut Vec<String>) {
        let mut seen: HashMap<&str, &str> = HashMap::new();
        let all = self
            .causes
            .iter()
            .map(|c| (c.id.as_str(), "cause"))
            .chain(self.checks.iter().map(|c| (c.id.as_str(), "check")))
            .chain(self.mistakes.iter().map(|m| (m.id.as_str(), "mistake")))
            .chain(self.responders.iter().map(|r| (r.id.as_str(), "responder")))
            .chain(self.layers.iter().map(|l| (l.id.id(), "layer")))
            .chain(self.failures.iter().map(|f| (f.id.as_str(), "failure mode")))
            // A note that shares its id with a cause it names is that cause seen by the probe.
            .chain(
                self.redirect_notes
                    .iter()
                    .filter(|n| !n.causes.contains(&n.id))
                    .map(|n| (n.id.as_str(), "redirect note")),
            );
        for (id, kind) in all {
            if let Some(other) = seen.insert(id, kind) {
                if other != kind {
                    problems.push(format!("id {id} names both a {other} and a {kind}"));
                }
            }
        }
    }

    /// The probe's lints and redirect notes: each lint is a mistake's check, every placeholder is
    /// declared and every declared one used, every reference resolves.
    fn validate_probe(&self, problems: &mut Vec<String>) {
        duplicates(problems, "lint", self.lints.iter().map(|l| l.id.clone()));
        duplicates(problems, "redirect note", self.redirect_notes.iter().map(|n| n.id.clone()));
        for l in &self.lints {
            let what = format!("lint {}", l.id);
            validate_wording(problems, &what, l);
            let Some(mistake) = self.mistake(&l.id) else {
                problems.push(format!(
                    "{what}: not a mistake id; a lint is the probe's check for a mistake in mistakes.toml"
                ));
                continue;
            };
            if l.statuses.is_empty() {
                problems.push(format!("{what}: no statuses"));
            }
            for &code in &l.statuses {
                if !mistake.codes.contains(&code) {
                    problems.push(format!("{what}: status {code} is not among its mistake's codes"));
                }
            }
            for &code in &l.proxy_statuses {
                if !l.statuses.contains(&code) {
                    problems.push(format!("{what}: proxy status {code} is not among its statuses"));
                }
            }
        }
        for n in &self.redirect_notes {
            let what = format!("redirect note {}", n.id);
            if !is_snake_case(&n.id) {
                problems.push(format!("{what}: id is not snake_case"));
            }
            validate_wording(problems, &what, n);
            for &code in &n.statuses {
                if code / 100 != 3 || self.code(code).is_none() {
                    problems.push(format!("{what}: {code} is not a known redirect status"));
                }
            }
            self.cause_refs(problems, &what, &n.causes);
            self.mistake_refs(problems, &what, &n.mistakes);
            if n.causes.is_empty() && n.fix.is_none() {
                problems.push(format!("{what}: needs a fix or a cause that holds one"));
            }
        }
    }

    fn validate_trees(&self, problems: &mut Vec<String>) {
        for t in &self.trees {
            let what = format!("tree {}", t.id);
            if t.node(&t.start).is_none() {
                problems.push(format!("{what}: start node {} does not exist", t.start));
            }
            duplicates(problems, &format!("{what} node"), t.nodes.iter().map(|n| n.id.clone()));
            let mut reachable = HashSet::new();
            let mut stack = vec![t.start.as_str()];
            while let Some(id) = stack.pop() {
                if !reachable.insert(id) {
                    continue;
                }
                if let Some(n) = t.node(id) {
                    stack.extend(n.answers.iter().filter_map(|a| a.next.as_deref()));
                }
            }
            for n in &t.nodes {
                let at = format!("{what} node {}", n.id);
                if !reachable.contains(n.id.as_str()) {
                    problems.push(format!("{at}: unreachable from {}", t.start));
                }
                if let Some(check) = &n.check {
                    self.check_refs(problems, &at, std::slice::from_ref(check));
                }
                if n.answers.is_empty() {
                    problems.push(format!("{at}: no answers"));
                }
                for a in &n.answers {
                    match (&a.next, a.causes.is_empty()) {
                        (Some(next), true) if t.node(next).is_some() => {}
                        (Some(next), true) => problems.push(format!("{at}: next {next} does not exist")),
                        (None, false) => self.cause_refs(problems, &at, &a.causes),
                        _ => problems.push(format!("{at}: answer '{}' needs exactly one of next / causes", a.when)),
                    }
                }
            }
        }
    }

    /// Finding texts: unique ids that name nothing else, an existing cause, well-formed templates
    /// whose placeholders are exactly the declared `params`.
    fn validate_findings(&self, problems: &mut Vec<String>) {
        duplicates(problems, "finding", self.findings.iter().map(|f| f.id.clone()));
        for f in &self.findings {
            let what = format!("finding {}", f.id);
            if !is_snake_case(&f.id) {
                problems.push(format!("{what}: id is not snake_case"));
            }
            if self.cause(&f.id).is_some() || self.check(&f.id).is_some() || self.mistake(&f.id).is_some() {
                problems.push(format!("{what}: the id also names a cause, check or mistake"));
            }
            if let Some(cause) = &f.cause {
                self.cause_refs(problems, &what, std::slice::from_ref(cause));
            }
            if f.title.trim().is_empty() {
                problems.push(format!("{what}: no title"));
            }
            duplicates(problems, &format!("{what} param"), f.params.iter().cloned());
            let mut used = BTreeSet::new();
            for (field, template) in [("title", Some(&f.title)), ("fix", f.fix.as_ref())] {
                let Some(template) = template else { continue };
                match crate::model::template_placeholders(template) {
                    Ok(names) => {
                        for name in names {
                            if !f.params.iter().any(|p| p == name) {
                                problems.push(format!("{what}: {field} uses {{{name}}}, which is not in params"));
                            }
                            used.insert(name);
                        }
                    }
                    Err(e) => problems.push(format!("{what}: {field}: {e}")),
                }
            }
            for p in f.params.iter().filter(|p| !used.contains(p.as_str())) {
                problems.push(format!("{what}: param {p} is used by neither the title nor the fix"));
            }
        }
    }

    fn validate_chain(&self, problems: &mut Vec<String>) {
        if self.chain.steps.len() != 5 {
            problems.push(format!("chain: expected the five debugging steps, found {}", self.chain.steps.len()));
        }
        for (i, s) in self.chain.steps.iter().enumerate() {
            let at = format!("chain step {}", i + 1);
            self.check_refs(problems, &at, std::slice::from_ref(&s.check));
            for o in &s.outcomes {
                self.cause_refs(problems, &at, &o.causes);
            }
        }
        for h in &self.chain.hops {
            for &code in &h.generates {
                if self.code(code).is_none() {
                    problems.push(format!("chain hop {}: unknown code {code}", h.layer));
                }
            }
        }
    }

    fn check_refs(&self, problems: &mut Vec<String>, at: &str, ids: &[String]) {
        for id in ids {
            if self.check(id).is_none() {
                problems.push(format!("{at}: unknown check {id}"));
            }
        }
    }

    fn cause_refs(&self, problems: &mut Vec<String>, at: &str, ids: &[String]) {
        for id in ids {
            if self.cause(id).is_none() {
                problems.push(format!("{at}: unknown cause {id}"));
            }
        }
    }

    fn mistake_refs(&self, problems: &mut Vec<String>, at: &str, ids: &[String]) {
        for id in ids {
            if self.mistake(id).is_none() {
                problems.push(format!("{at}: unknown mistake {id}"));
            }
        }
    }
}

/// Each flag and termination state becomes evidence of the causes it names, carrying the status that
/// proxy answers with, so everything that reads a cause's evidence (search, reports, JSON) sees it.
fn add_signal_evidence(causes: &mut [Cause], flags: &[EnvoyFlag], states: &[HaproxyState]) {
    let signals = flags
        .iter()
        .map(|f| (EvidenceKind::EnvoyFlag, &f.short, &f.statuses, &f.causes))
        .chain(states.iter().map(|s| (EvidenceKind::HaproxyState, &s.state, &s.statuses, &s.causes)));
    for (kind, text, statuses, ids) in signals {
        for id in ids {
            if let Some(cause) = causes.iter_mut().find(|c| &c.id == id) {
                // The proxy's status for this cause: the first of the signal's that the cause produces.
                let answered = statuses.iter().copied().find(|&s| cause.produces_code(s));
                cause.evidence.push(Evidence { kind, text: text.clone(), status: answered });
            }
        }
    }
}

/// A probe message's templates use only declared placeholders, each declared one is used, and
/// variant names are unique.
fn validate_wording(problems: &mut Vec<String>, what: &str, w: &impl Worded) {
    let templates = std::iter::once(w.message()).chain(w.variants().iter().map(|v| v.message.as_str()));
    let mut used = HashSet::new();
    for t in templates {
        for name in placeholders(t) {
            if !w.fills().iter().any(|f| f == name) {
                problems.push(format!("{what}: {{{name}}} is not declared in fills"));
            }
            used.insert(name.to_owned());
        }
    }
    for f in w.fills() {
        if !used.contains(f) {
            problems.push(format!("{what}: fills declares {f}, which no message uses"));
        }
    }
    duplicates(problems, &format!("{what} variant"), w.variants().iter().map(|v| v.name.clone()));
    for v in w.variants() {
        if !is_snake_case(&v.name) {
            problems.push(format!("{what}: variant name {} is not snake_case", v.name));
        }
    }
}

fn index<T, K: std::hash::Hash + Eq>(items: &[T], key: impl Fn(&T) -> K) -> HashMap<K, usize> {
    items.iter().enumerate().map(|(i, t)| (key(t), i)).collect()
}

fn duplicates(problems: &mut Vec<String>, what: &str, ids: impl Iterator<Item = String>) {
    let mut seen = HashSet::new();
    for id in ids {
        if !seen.insert(id.clone()) {
            problems.push(format!("{what} {id} is defined twice"));
        }
    }
}

fn is_snake_case(id: &str) -> bool {
    !id.is_empty()
        && id.starts_with(|c: char| c.is_ascii_lowercase())
        && id.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
}
