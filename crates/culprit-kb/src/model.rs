//! The knowledge base's data model: what the TOML files under `data/` deserialize into.
//!
//! Every struct denies unknown fields, so a typo in the data fails the build's tests instead of
//! being silently ignored. The same types are serialized into `--json` output, so field names here
//! are part of the documented schema (docs/json.md).

use crate::vocab::{GeneratedBy, Layer, Owner};
use serde::{Deserialize, Serialize};

/// One status code: registered, vendor-specific, with an optional in-depth view.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StatusCode {
    pub code: u16,
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reference: Option<String>,
    /// Set for codes outside the IANA registry: who uses them.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub vendor: Option<String>,
    pub summary: String,
    /// Heuristically cacheable (RFC 9110 §15.1).
    pub cacheable: bool,
    /// 3xx only: what happens to the method when a client follows the redirect.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub redirect: Option<RedirectMethod>,
    /// Log-only vendor codes: what the client actually receives (0 = nothing at all).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_sees: Option<u16>,
    /// Other reason phrases servers send with this code (nginx's `Gateway Time-out`), so a pasted
    /// status line is recognised whichever server wrote it.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub phrases: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub detail: Option<CodeDetail>,
}

impl StatusCode {
    /// True for codes in the IANA registry.
    pub fn registered(&self) -> bool {
        self.vendor.is_none()
    }
}

/// What following a 3xx does to the request method.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RedirectMethod {
    /// 307/308: method and body must be kept.
    Preserved,
    /// 301/302: clients may (and usually do) turn a POST into a GET.
    MayChangeToGet,
    /// 303: the follow-up is a GET.
    ChangesToGet,
    /// 300: the client chooses; no automatic redirect.
    Choice,
    /// 304: not a redirect at all.
    NotARedirect,
    /// 305/306: deprecated or unused.
    Deprecated,
}

impl RedirectMethod {
    pub fn describe(self) -> &'static str {
        match self {
            RedirectMethod::Preserved => "method and body preserved",
            RedirectMethod::MayChangeToGet => "clients may change POST to GET",
            RedirectMethod::ChangesToGet => "follow-up is a GET",
            RedirectMethod::Choice => "client chooses; not followed automatically",
            RedirectMethod::NotARedirect => "not a redirect",
            RedirectMethod::Deprecated => "deprecated / unused",
        }
    }
}

/// The in-depth view of a code, written for the codes engineers meet in production.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CodeDetail {
    /// What it means at the protocol level.
    pub meaning: String,
    /// Who looks first in the common case.
    pub owner: Owner,
    /// When the owner changes, and to whom.
    pub owner_when: Vec<OwnerWhen>,
    pub infra_side: String,
    pub app_side: String,
    pub where_to_look: Vec<String>,
    /// Check ids, in the order to run them.
    pub checks: Vec<String>,
    pub fix: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fix_example: Option<String>,
    /// Cause ids, most likely first. Must list exactly the causes whose `produces` has this code.
    pub causes: Vec<String>,
    pub mistakes: Vec<String>,
    /// Where the seed documents disagree on ownership, when each view applies.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub seeds_disagree: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OwnerWhen {
    pub owner: Owner,
    pub when: String,
}

/// A value written in a log's status column that is not an HTTP status code.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LogStatus {
    pub value: String,
    pub writers: Vec<String>,
    pub meaning: String,
    pub cause: String,
}

/// A status class (1xx…5xx).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StatusClass {
    pub class: u8,
    pub title: String,
    pub meaning: String,
    pub owner: Owner,
    pub look_first: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LayerInfo {
    pub id: Layer,
    pub title: String,
    pub description: String,
    pub components: Vec<String>,
    pub owner: Owner,
    pub checks: Vec<String>,
}

/// Why a status code happened: one fault, where it lives, who looks first, how to confirm and fix it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Cause {
    /// Stable snake_case id.
    pub id: String,
    pub title: String,
    pub summary: String,
    /// Where the fault lives.
    pub layer: Layer,
    /// Who writes the status when this cause is at work.
    pub generated_by: GeneratedBy,
    /// Who looks first.
    pub owner: Owner,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub owner_note: Option<String>,
    pub explanation: String,
    /// The codes it produces and the layer that emits each.
    pub produces: Vec<Production>,
    pub evidence: Vec<Evidence>,
    /// Check ids, in the order to run them.
    pub checks: Vec<String>,
    pub fix: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fix_example: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub mistakes: Vec<String>,
}

impl Cause {
    /// Whether this cause can produce `code` (at any layer).
    pub fn produces_code(&self, code: u16) -> bool {
        self.produces.iter().any(|p| p.code == code)
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Production {
    pub code: u16,
    /// The layer that emits the status.
    pub by: Layer,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
    /// The components (responder ids) that answer `code` for this cause; empty when any component
    /// at that layer does. Caddy's body limit is a 502 where nginx's is a 413: the 502 is Caddy's
    /// only, and a reader of 502 sees it marked so.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub only: Vec<String>,
}

/// Something that points to a cause.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Evidence {
    pub kind: EvidenceKind,
    pub text: String,
    /// The status the component that writes this evidence answers with when it sees it (nginx
    /// answers 502 after `connect() failed (111: …)`, Envoy 503 with `UF`). Absent when that
    /// component's status varies or the evidence is not tied to one response.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<u16>,
}

/// Where a piece of evidence is found. Flags and termination states are matched exactly; the rest
/// as text.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EvidenceKind {
    /// nginx error-log message.
    NginxError,
    /// nginx / ingress-nginx access-log fields.
    NginxAccess,
    /// ingress-nginx controller log (not the nginx error log).
    IngressNginx,
    /// AWS ALB access-log fields.
    AlbLog,
    /// Envoy %RESPONSE_FLAGS% short code, matched exactly. Listed in `envoy-flags.toml`, which
    /// adds it to the causes it names.
    EnvoyFlag,
    /// Envoy %RESPONSE_CODE_DETAILS%.
    EnvoyDetails,
    /// Body of an Envoy local reply.
    EnvoyBody,
    /// HAProxy termination state (first two characters), matched exactly. Listed in
    /// `haproxy-states.toml`, which adds it to the causes it names.
    HaproxyState,
    HaproxyLog,
    TraefikLog,
    CaddyLog,
    /// Google Cloud LB `statusDetails`.
    GcpStatus,
    /// Azure Application Gateway `error_info`.
    AzureErrorInfo,
    /// Kong message or log.
    Kong,
    ApacheError,
    /// Varnish's shared-memory log (`varnishlog`), e.g. its FetchError records.
    VarnishLog,
    /// What a client such as curl prints when it gets no answer (a refused connection, a
    /// certificate it does not trust).
    ClientError,
    /// A response header.
    Header,
    /// Text in a response body (error page).
    Body,
    /// A fact about Kubernetes objects.
    Cluster,
    /// A timing relationship.
    Timing,
    /// Application log content.
    AppLog,
    /// A pattern over many requests.
    Pattern,
}

impl EvidenceKind {
    /// How a person would name where to find it.
    pub fn label(self) -> &'static str {
        match self {
            EvidenceKind::NginxError => "nginx error log",
            EvidenceKind::NginxAccess => "ingress/nginx access log",
            EvidenceKind::IngressNginx => "ingress-nginx controller log",
            EvidenceKind::AlbLog => "ALB access log",
            EvidenceKind::EnvoyFlag => "Envoy response flag",
            EvidenceKind::EnvoyDetails => "Envoy response code details",
            EvidenceKind::EnvoyBody => "Envoy reply body",
            EvidenceKind::HaproxyState => "HAProxy termination state",
            EvidenceKind::HaproxyLog => "HAProxy log",
            EvidenceKind::TraefikLog => "Traefik log",
            EvidenceKind::CaddyLog => "Caddy log",
            EvidenceKind::GcpStatus => "Google LB statusDetails",
            EvidenceKind::AzureErrorInfo => "Azure App Gateway error_info",
            EvidenceKind::Kong => "Kong",
            EvidenceKind::ApacheError => "Apache error log",
            EvidenceKind::VarnishLog => "varnishlog",
            EvidenceKind::ClientError => "client error message",
            EvidenceKind::Header => "response header",
            EvidenceKind::Body => "response body",
            EvidenceKind::Cluster => "cluster",
            EvidenceKind::Timing => "timing",
            EvidenceKind::AppLog => "application log",
            EvidenceKind::Pattern => "pattern",
        }
    }
}

/// A command to run, and what its output means.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Check {
    pub id: String,
    pub title: String,
    pub layer: Layer,
    /// Shell command(s) with `<placeholders>`.
    pub command: String,
    pub look_for: String,
    /// The check to run instead when the proxy and its backends run on plain hosts (VMs, bare
    /// metal, Docker without Kubernetes): a Kubernetes command there would only confuse.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub on_hosts: Option<String>,
}

impl Check {
    /// Whether the command needs a Kubernetes cluster (a line runs `kubectl` or `istioctl`): such
    /// steps fit only where there is evidence of Kubernetes.
    pub fn needs_kubernetes(&self) -> bool {
        self.command.lines().any(|line| {
            let first = line.split_whitespace().next().unwrap_or("");
            matches!(first, "kubectl" | "istioctl")
        })
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Mistake {
    pub id: String,
    pub title: String,
    pub why: String,
    pub instead: String,
    pub codes: Vec<u16>,
}

/// A decision tree: questions whose answers lead to further questions or to causes.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Tree {
    pub id: String,
    pub title: String,
    pub codes: Vec<u16>,
    pub start: String,
    #[serde(rename = "node")]
    pub nodes: Vec<TreeNode>,
}

impl Tree {
    pub fn node(&self, id: &str) -> Option<&TreeNode> {
        self.nodes.iter().find(|n| n.id == id)
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TreeNode {
    pub id: String,
    pub ask: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub check: Option<String>,
    pub answers: Vec<TreeAnswer>,
}

/// One answer: either go on to another node (`next`) or conclude with causes.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TreeAnswer {
    pub when: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub next: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub causes: Vec<String>,
}

/// The debugging chain: the request path and the steps that bisect it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Chain {
    pub title: String,
    pub summary: String,
    #[serde(rename = "hop")]
    pub hops: Vec<Hop>,
    #[serde(rename = "step")]
    pub steps: Vec<ChainStep>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Hop {
    pub layer: Layer,
    pub sees: String,
    pub generates: Vec<u16>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ChainStep {
    pub title: String,
    pub check: String,
    pub outcomes: Vec<ChainOutcome>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ChainOutcome {
    pub when: String,
    pub then: String,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub causes: Vec<String>,
}

/// A component that writes HTTP responses, and how to recognise it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Responder {
    pub id: String,
    pub name: String,
    pub layer: Layer,
    pub note: String,
    pub markers: Vec<Marker>,
    /// Causes this component typically reports (search ranks them when its fingerprint matches).
    pub causes: Vec<String>,
    /// Where it runs, which decides the causes and checks that fit its answers.
    pub platform: Platform,
    /// What a status this component generates itself means, per code, most likely cause first.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub means: Vec<Meaning>,
    /// Its own checks (its error log, its view of backend health), run before the causes' checks.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub checks: Vec<String>,
    /// What its own error answers look like, to tell them from an answer it relays.
    #[serde(default, skip_serializing_if = "OwnErrors::is_unknown")]
    pub own_errors: OwnErrors,
    /// The setting that bounds how long it waits for the upstream's answer (`timeout server`,
    /// `proxy_read_timeout`): what gives up first when the upstream is slower.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub read_timeout: Option<String>,
}

/// How a component's own error answers look: its `Server` header and its body. A response that
/// does not look like that was written behind it and relayed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OwnErrors {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub server: Option<ServerHeader>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub body: Option<ErrorBody>,
}

impl OwnErrors {
    pub fn is_unknown(&self) -> bool {
        self.server.is_none() && self.body.is_none()
    }
}

/// Where a component's `Server` header appears.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ServerHeader {
    /// Only on the answers it generates; a relayed answer keeps the upstream's (Apache httpd,
    /// Varnish, the AWS ALB): the header says it answered.
    Own,
    /// On every answer, the upstream's hidden (nginx, Envoy): it says only that it was on the path.
    Replaces,
    /// On every answer, beside the upstream's own (Caddy before 2.10): a second `Server` value is
    /// the upstream's, so the answer was relayed.
    Adds,
}

/// The body of a component's own error answers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ErrorBody {
    /// Its error page, which one of its body markers matches: any other body was relayed.
    Page,
    /// No body at all (Caddy): a body was written by someone else, or by a rule of its config.
    Empty,
}

impl Responder {
    /// Its own reading of `code`, when the data gives one.
    pub fn means_for(&self, code: u16) -> Option<&Meaning> {
        self.means.iter().find(|m| m.code == code)
    }
}

/// Where a responder runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Platform {
    /// Only in Kubernetes (ingress-nginx, an Istio sidecar): Kubernetes causes and kubectl steps fit.
    Kubernetes,
    /// Anywhere — a VM, a container, a cluster: its own reading and checks come first; Kubernetes
    /// causes and kubectl steps only with evidence of Kubernetes.
    Any,
    /// A provider's managed service (cloud load balancer, CDN), looked at through its own console,
    /// logs and API.
    Managed,
}

/// What one status code from a responder means: the causes, most likely first.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Meaning {
    pub code: u16,
    pub causes: Vec<String>,
}

/// A request that got no complete HTTP answer: what failed, in words, where it points, why and
/// what to run. The probe classifies each failure into one of these.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FailureMode {
    /// Stable snake_case id (`connect_refused`, `tls_unknown_ca`…), as in the probe's JSON.
    pub id: String,
    /// The phase it happens in: `dns`, `connect`, `tls`, `send`, `response` or `body`.
    pub phase: String,
    pub title: String,
    /// What happened, for a person; `{host}`, `{port}` and `{addr}` are filled in when shown.
    pub says: String,
    /// The layer it points to when nothing else is known about the address.
    pub layer: Layer,
    pub owner: Owner,
    /// Cause ids, most likely first.
    pub causes: Vec<String>,
    /// Check ids, in the order to run them.
    pub checks: Vec<String>,
}

/// The words of a finding the cluster checks report (`data/findings.toml`): its title and fix as
/// templates whose `{placeholders}` the check fills with what it found (`{service}`, `{port}`…).
/// The check keeps the logic (when, how severe, which codes); the knowledge base says it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FindingText {
    /// Stable snake_case id, as in the findings' JSON (`id`).
    pub id: String,
    /// The cause it is reported with. Absent only for findings about an ingress-nginx setting,
    /// whose cause is the one that setting's default produces (the check names it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cause: Option<String>,
    /// The values the check fills in, by placeholder name; each is used by the title or the fix.
    #[serde(default)]
    pub params: Vec<String>,
    /// What is wrong, in one sentence.
    pub title: String,
    /// The change that fixes it: YAML to apply, a command, or words.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fix: Option<String>,
}

/// The `{name}` placeholders of a finding template, in order (`{{` and `}}` are literal braces),
/// or what is malformed in it.
pub fn template_placeholders(template: &str) -> Result<Vec<&str>, String> {
    let mut out = Vec::new();
    let mut rest = template;
    while let Some(i) = rest.find(['{', '}']) {
        let (brace, after) = (rest.as_bytes()[i], &rest[i + 1..]);
        if after.as_bytes().first() == Some(&brace) {
            rest = &after[1..];
            continue;
        }
        if brace == b'}' {
            return Err(format!("a lone '}}' at byte {} (write '}}}}' for a brace)", template.len() - rest.len() + i));
        }
        let end = after.find('}').ok_or_else(|| "a '{' that is never closed (write '{{' for a brace)".to_owned())?;
        let name = &after[..end];
        if name.is_empty() || !name.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_') {
            return Err(format!("'{{{name}}}' is not a placeholder (snake_case; write '{{{{' for a brace)"));
        }
        out.push(name);
        rest = &after[end + 1..];
    }
    Ok(out)
}

/// A finding template with its placeholders filled from `values` (name, value); a placeholder
/// without a value stays as written.
pub fn fill_template(template: &str, values: &[(&str, &str)]) -> String {
    let mut out = String::with_capacity(template.len() + 32);
    let mut rest = template;
    while let Some(i) = rest.find(['{', '}']) {
        out.push_str(&rest[..i]);
        let (brace, after) = (rest.as_bytes()[i], &rest[i + 1..]);
        rest = after;
        if after.as_bytes().first() == Some(&brace) {
            // `{{` or `}}`: one literal brace.
            out.push(char::from(brace));
            rest = &after[1..];
        } else if let Some(end) = after.find('}').filter(|_| brace == b'{') {
            let name = &after[..end];
            if let Some((_, value)) = values.iter().find(|(k, _)| *k == name) {
                out.push_str(value);
            } else {
                out.push('{');
                out.push_str(name);
                out.push('}');
            }
            rest = &after[end + 1..];
        } else {
            out.push(char::from(brace));
        }
    }
    out.push_str(rest);
    out
}

/// The phases a failure mode can name.
pub const FAILURE_PHASES: &[&str] = &["dns", "connect", "tls", "send", "response", "body"];

/// The placeholders a failure mode's `says` may use: the probe fills them in from the request.
pub const FAILURE_FILLS: &[&str] = &["host", "port", "addr"];

/// An API-hygiene rule `culprit probe` checks on the final response: the probe's check for one of
/// the common mistakes, whose id it shares (the mistake holds the title, why and what to do
/// instead). The condition itself is code in `culprit-probe`, keyed by this id; the words are here.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LintRule {
    /// The mistake's id, as the probe's JSON prints it (`lint[].id`).
    pub id: String,
    /// The statuses it looks at.
    pub statuses: Vec<u16>,
    /// When the probe flags it, for a person.
    pub when: String,
    /// What the report says, with `{placeholders}` from `fills`.
    pub message: String,
    /// Other wordings the probe picks by name in particular cases.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub variants: Vec<Variant>,
    /// The placeholders the probe fills in (`status`, `method`…).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub fills: Vec<String>,
    /// The statuses at which it applies to a proxy's, load balancer's or CDN's own answer too (a
    /// rate limit or body limit it enforces on purpose). At the others it is advice for an
    /// application's API, not for a proxy's default error page.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub proxy_statuses: Vec<u16>,
}

/// What `culprit probe` notes about one step of a redirect chain (a method turned into GET, an
/// HTTPS → HTTP downgrade, credentials kept from another origin, a loop). The condition is code in
/// `culprit-probe`, keyed by this id; the words are here.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RedirectNote {
    /// Stable snake_case id, as the probe's JSON prints it (`redirects[].id`).
    pub id: String,
    pub title: String,
    /// `info` for a step worth knowing, `warning` for one that breaks or weakens the request.
    pub severity: crate::finding::Severity,
    /// The redirect statuses it applies to; empty for any.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub statuses: Vec<u16>,
    /// When the probe notes it, for a person.
    pub when: String,
    /// What it means for the request, and where it usually comes from.
    pub why: String,
    /// What the report says, with `{placeholders}` from `fills`.
    pub message: String,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub variants: Vec<Variant>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub fills: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fix: Option<String>,
    /// Cause ids it relates to; the note may share its id with one of them (`redirect_loop`), whose
    /// card then shows the note.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub causes: Vec<String>,
    /// Mistake ids it relates to.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub mistakes: Vec<String>,
}

/// Another wording of a probe message, picked by name.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Variant {
    pub name: String,
    /// When this wording is used instead of the main one.
    pub when: String,
    pub message: String,
}

/// The parts of a probe message that `render` needs, shared by lints and redirect notes.
pub trait Worded {
    fn id(&self) -> &str;
    fn message(&self) -> &str;
    fn variants(&self) -> &[Variant];
    fn fills(&self) -> &[String];

    /// The message for `variant` (the main one for `None`) with the placeholders filled in.
    ///
    /// In debug builds (the tests), a variant the data lacks or values that are not exactly the
    /// declared `fills` panic: the code and the data have drifted apart.
    fn render(&self, variant: Option<&str>, values: &[(&str, &str)]) -> String {
        let found = variant.and_then(|v| self.variants().iter().find(|x| x.name == v));
        debug_assert!(
            variant.is_none() || found.is_some(),
            "{}: no variant {variant:?} in the knowledge base",
            self.id()
        );
        if cfg!(debug_assertions) {
            let mut given: Vec<&str> = values.iter().map(|(n, _)| *n).collect();
            let mut declared: Vec<&str> = self.fills().iter().map(String::as_str).collect();
            given.sort_unstable();
            declared.sort_unstable();
            assert_eq!(given, declared, "{}: the values given are not the declared fills", self.id());
        }
        let template = found.map_or(self.message(), |v| v.message.as_str());
        crate::template::fill(template, values)
    }
}

impl Worded for LintRule {
    fn id(&self) -> &str {
        &self.id
    }
    fn message(&self) -> &str {
        &self.message
    }
    fn variants(&self) -> &[Variant] {
        &self.variants
    }
    fn fills(&self) -> &[String] {
        &self.fills
    }
}

impl Worded for RedirectNote {
    fn id(&self) -> &str {
        &self.id
    }
    fn message(&self) -> &str {
        &self.message
    }
    fn variants(&self) -> &[Variant] {
        &self.variants
    }
    fn fills(&self) -> &[String] {
        &self.fills
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Marker {
    pub kind: MarkerKind,
    /// Header name (lowercase), for header markers.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Text the header value or body contains (case-insensitive); empty = the header's presence.
    pub text: String,
    /// The marker shows the component was on the path, not that it generated the response.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub passthrough: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MarkerKind {
    Header,
    Body,
}

/// One Envoy response flag (`%RESPONSE_FLAGS%`), from Envoy's access-log documentation.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EnvoyFlag {
    /// As `%RESPONSE_FLAGS%` prints it: `UF`.
    pub short: String,
    /// As `%RESPONSE_FLAGS_LONG%` prints it: `UpstreamConnectionFailure`.
    pub long: String,
    /// What happened, in a sentence or two.
    pub meaning: String,
    /// Also set by Envoy's TCP proxy (where no HTTP status exists).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub tcp: bool,
    /// The statuses Envoy answers with when it sets the flag, most common first; empty when the
    /// flag does not decide the status (the response had started, or the status is configured).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub statuses: Vec<u16>,
    /// A value Envoy logs in the status column instead of a code (`0`), a `log_status` value.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub logged: Option<String>,
    /// When each status applies, or what the status is when the flag does not decide it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status_note: Option<String>,
    /// Cause ids the flag points to, most likely first. Several when the flag cannot tell them
    /// apart (`UF` is refused, timed out or TLS); empty only for flags that mark no fault.
    #[serde(default)]
    pub causes: Vec<String>,
}

/// What one character of an HAProxy termination state means (section "Stream state at
/// disconnection" of HAProxy's configuration manual).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HaproxyStateChar {
    /// 1: the first event that ended the stream; 2: the phase it was in; 3: the persistence
    /// cookie the client sent; 4: what happened to the cookie in the response.
    pub position: u8,
    #[serde(rename = "char")]
    pub ch: String,
    pub meaning: String,
    /// First characters only: the causes when no `haproxy_state` entry names the pair.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub causes: Vec<String>,
}

/// An HAProxy termination state's first two characters read together, with the status HAProxy
/// logs for it and the causes it points to.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HaproxyState {
    /// Two characters: `SC`, `sH`, `--`.
    pub state: String,
    pub meaning: String,
    /// The statuses HAProxy answers (and logs) with, most common first; empty when the status is
    /// the one already sent or set by a rule.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub statuses: Vec<u16>,
    /// A value HAProxy logs in the status column instead of a code (`-1`), a `log_status` value.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub logged: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status_note: Option<String>,
    /// Cause ids, most likely first; empty only for states that mark no fault.
    #[serde(default)]
    pub causes: Vec<String>,
}

/// A reason Kubernetes writes in a container's state or an event (`ImagePullBackOff`,
/// `OOMKilled`, `Unhealthy`), as `culprit cluster` reads it, and the cause it leads to.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct KubernetesReason {
    /// As Kubernetes writes it (case matters there; `culprit explain` ignores it).
    pub reason: String,
    pub source: ReasonSource,
    /// For an event reason with several meanings, the start of the event's message that picks
    /// this one (`Readiness probe failed`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
    /// What it means for the pod and for the requests it should serve.
    pub meaning: String,
    /// The cause it leads to.
    pub cause: String,
}

/// Where Kubernetes writes a reason.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ReasonSource {
    /// `status.containerStatuses[].state.waiting.reason`.
    Waiting,
    /// `state.terminated.reason` or `lastState.terminated.reason`.
    Terminated,
    /// An event's `reason`.
    Event,
}

impl ReasonSource {
    pub fn label(self) -> &'static str {
        match self {
            ReasonSource::Waiting => "a container's waiting reason (state.waiting.reason)",
            ReasonSource::Terminated => "a container's termination reason (lastState.terminated.reason)",
            ReasonSource::Event => "an event's reason (kubectl get events)",
        }
    }
}
