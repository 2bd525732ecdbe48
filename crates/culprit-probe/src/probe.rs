//! The probe: send the request, follow and judge the redirect chain, identify who answered, and
//! explain the final status with the knowledge base; or bisect the same request along the path.

use std::time::SystemTime;

use bytes::Bytes;
use culprit_kb::{Check, Layer, Owner, kb};

use crate::bisect::{self as verdicts, Finding, PointState, PointView};
use crate::exchange::{Exchange, Failure, FailureKind, HopRequest, Response, Timings, TlsInfo, authority, exchange};
use crate::fingerprint::{self, Responder};
use crate::lint::{self, Lint};
use crate::options::Options;
use crate::ratelimit::{self, RateLimit};
pub use crate::redirect::Note;
use crate::redirect::{NoteKind, loop_note, next_request, normalise, note};
use crate::secrets::{self, Credentials, Scrubber, redact_headers};
use crate::tls::TlsSetup;

pub const SCHEMA: &str = "culprit.probe.report/1";
/// Body bytes shown per response.
const PREVIEW_BYTES: usize = 2048;
/// Causes and checks shown with an outcome.
const MAX_CAUSES: usize = 5;
const MAX_CHECKS: usize = 3;

/// The whole answer, as `--json` prints it.
#[derive(Debug, Clone, serde::Serialize)]
pub struct ProbeReport {
    pub schema: &'static str,
    pub request: RequestSummary,
    pub hops: Vec<Hop>,
    /// Findings about the redirect chain (method changes, downgrades, dropped credentials, loops).
    pub redirects: Vec<Note>,
    /// The redirect loop, when there is one: the URLs in order, the first repeated at the end.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub redirect_loop: Option<Vec<String>>,
    pub outcome: Outcome,
    pub rate_limits: Vec<RateLimit>,
    pub lint: Vec<Lint>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub bisect: Option<Bisect>,
}

#[derive(Debug, Clone, serde::Serialize)]
pub struct RequestSummary {
    pub method: String,
    /// The URL as given, with a password in it shown as `***`.
    pub url: String,
    pub headers: Vec<(String, String)>,
    pub body_bytes: usize,
    /// `-k`: certificates were not checked.
    pub insecure: bool,
}

#[derive(Debug, Clone, serde::Serialize)]
pub struct Hop {
    pub url: String,
    pub method: String,
    pub request_headers: Vec<(String, String)>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub remote: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tls: Option<TlsInfo>,
    pub timings: Timings,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub response: Option<ResponseSummary>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub failure: Option<Failure>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub responder: Option<Responder>,
}

#[derive(Debug, Clone, serde::Serialize)]
pub struct ResponseSummary {
    pub status: u16,
    /// The status line's reason phrase as received when it differs from the standard one
    /// ("Backend fetch failed"), else the standard name.
    pub reason: String,
    pub version: String,
    pub headers: Vec<(String, String)>,
    pub body_bytes: u64,
    pub capped: bool,
    /// The start of the body: text as is, binary as a note.
    pub body_preview: String,
}

/// What the final answer means.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Outcome {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status: Option<u16>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub failure: Option<Failure>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub responder: Option<Responder>,
    pub summary: String,
    /// What the failure means, when the request failed (no answer, or a body cut short).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub diagnosis: Option<Diagnosis>,
    /// Likely causes at the layer that answered (or of the failure), most likely first.
    pub causes: Vec<CauseRef>,
    /// The first checks to run.
    pub checks: Vec<CheckRef>,
    /// Why Kubernetes causes and kubectl steps are included for a component that also runs
    /// outside Kubernetes (a cluster host name, `--via pod=…`, a sidecar's header); absent when
    /// there is no such evidence.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub kubernetes_evidence: Option<String>,
    /// A total time near a well-known proxy timeout.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub timeout_hint: Option<String>,
}

/// A failure in words: the knowledge base's failure mode, filled in with the request's host.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Diagnosis {
    /// The failure mode's id (`connect_refused`, `tls_unknown_ca`…), as `failure.kind`.
    pub kind: FailureKind,
    pub title: String,
    /// What happened, for a person.
    pub says: String,
    /// Where it failed: the address (`host:port`) that refused, timed out or broke off.
    pub address: String,
    /// The layer it points to: with `layer_evidence`, the layer at that address; without, where
    /// such a failure usually lies (the failure mode's), which nothing about this address confirms.
    pub layer: Layer,
    /// What says which layer sits at the address (a cluster-internal Service name, the component
    /// that answered before the body broke off); absent for a bare address.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub layer_evidence: Option<String>,
    /// Who looks first.
    pub owner: Owner,
}

#[derive(Debug, Clone, serde::Serialize)]
pub struct CauseRef {
    pub id: String,
    pub title: String,
    pub layer: Layer,
    pub owner: Owner,
}

#[derive(Debug, Clone, serde::Serialize)]
pub struct CheckRef {
    pub id: String,
    pub title: String,
    /// Shell command(s) with `<placeholders>`.
    pub command: String,
}

/// The same request through each entry point, outermost first.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Bisect {
    pub points: Vec<BisectPoint>,
    /// The shape of the result: `fails_itself`, `application_error`, `fails_in_front`,
    /// `slower_than_timeout`, `nothing_failed`.
    pub finding: Finding,
    pub verdict: String,
    /// The entry point where the request breaks: the innermost one that fails (for
    /// `slower_than_timeout`, the slow one).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub culprit: Option<String>,
    /// The knowledge base's cause, when the shape names one (`upstream_timeout` for
    /// `slower_than_timeout`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cause: Option<String>,
    /// Who looks first, with `cause`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub owner: Option<Owner>,
}

#[derive(Debug, Clone, serde::Serialize)]
pub struct BisectPoint {
    pub name: String,
    pub url: String,
    pub hop: Hop,
    pub outcome: String,
}

fn preview(body: &Bytes) -> String {
    let head = &body[..body.len().min(PREVIEW_BYTES)];
    let binary =
        head.iter().filter(|&&b| b == 0 || (b < 0x20 && !matches!(b, b'\n' | b'\r' | b'\t'))).count() > head.len() / 20;
    if binary {
        return format!("[{} bytes of binary data]", body.len());
    }
    let text = String::from_utf8_lossy(head).into_owned();
    if body.len() > head.len() { format!("{text}…") } else { text }
}

/// The reason phrase to show: the server's own when it is not the standard one.
fn reason_of(r: &Response) -> String {
    r.reason.clone().unwrap_or_else(|| kb().code(r.status).map_or(String::new(), |c| c.name.clone()))
}

fn hop_of(request: &HopRequest, ex: Exchange) -> Hop {
    let responder = ex.response.as_ref().map(fingerprint::identify);
    Hop {
        url: request.url.to_string(),
        method: request.method.to_string(),
        request_headers: redact_headers(&request.headers),
        remote: ex.remote.map(|r| r.to_string()),
        tls: ex.tls,
        timings: ex.timings,
        response: ex.response.map(|r| ResponseSummary {
            status: r.status,
            reason: reason_of(&r),
            version: r.version.clone(),
            headers: redact_headers(&r.headers),
            body_bytes: r.body_bytes,
            capped: r.capped,
            body_preview: preview(&r.body),
        }),
        failure: ex.failure,
        responder,
    }
}

/// An entry point of a bisection: its name, its URL (credentials taken out) and its credentials.
type Via = (String, url::Url, Option<Credentials>);

/// Runs the probe (blocking: builds its own single-threaded runtime).
pub fn run(url: &str, options: &Options, vias: &[(String, String)]) -> Result<ProbeReport, String> {
    let mut url = parse_url(url)?;
    let credentials = secrets::take_credentials(&mut url);
    let mut parsed: Vec<Via> = Vec::new();
    for (name, text) in vias {
        let mut via = parse_url(text).map_err(|e| format!("--via {name}: {e}"))?;
        let c = secrets::take_credentials(&mut via);
        parsed.push((name.clone(), via, c));
    }
    let tls = TlsSetup::new(options)?;
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| format!("cannot start the network runtime: {e}"))?;
    let mut report = runtime.block_on(probe(url, credentials.as_ref(), options, &parsed, &tls));
    // Whatever a server echoed or an error quoted, the secrets sent are not shown.
    let mut scrubber = Scrubber::default();
    for (name, value) in &options.headers {
        scrubber.add_header(name, value);
    }
    for c in credentials.iter().chain(parsed.iter().filter_map(|(_, _, c)| c.as_ref())) {
        scrubber.add_credentials(c);
    }
    report.scrub(&scrubber);
    Ok(report)
}

/// A URL we can send to: http or https, with a host. A bare `host/path` gets `http://`. Errors
/// quote the URL with any password in it replaced.
pub fn parse_url(text: &str) -> Result<url::Url, String> {
    let shown = hide_password(text);
    let with_scheme = if text.contains("://") { text.to_owned() } else { format!("http://{text}") };
    let url = url::Url::parse(&with_scheme).map_err(|e| format!("'{shown}' is not a valid URL: {e}"))?;
    match url.scheme() {
        "http" | "https" => {}
        other => return Err(format!("'{shown}': the {other}:// scheme is not supported (http or https)")),
    }
    if url.host_str().is_none_or(str::is_empty) {
        return Err(format!("'{shown}' has no host"));
    }
    Ok(url)
}

/// `scheme://user:secret@host…` as `scheme://user:***@host…`, on text that may not parse as a URL.
fn hide_password(text: &str) -> String {
    let start = text.find("://").map_or(0, |i| i + 3);
    let authority_end = text[start..].find(['/', '?', '#']).map_or(text.len(), |i| start + i);
    let authority = &text[start..authority_end];
    match authority.rfind('@') {
        Some(at) => {
            let userinfo = &authority[..at];
            let user = userinfo.split_once(':').map_or(userinfo, |(u, _)| u);
            let hidden = if userinfo.contains(':') { format!("{user}:***") } else { user.to_owned() };
            format!("{}{hidden}{}", &text[..start], &text[start + at..])
        }
        None => text.to_owned(),
    }
}

/// The request's headers with the Basic credentials of its URL, unless an Authorization header
/// was given (curl lets a custom header win over the one it would build).
fn with_credentials(headers: &[(String, String)], credentials: Option<&Credentials>) -> Vec<(String, String)> {
    let mut headers = headers.to_vec();
    if let Some(c) = credentials
        && !headers.iter().any(|(n, _)| n.eq_ignore_ascii_case("authorization"))
    {
        headers.push(("Authorization".into(), c.basic()));
    }
    headers
}

async fn probe(
    url: url::Url,
    credentials: Option<&Credentials>,
    options: &Options,
    vias: &[Via],
    tls: &TlsSetup,
) -> ProbeReport {
    let headers = with_credentials(&options.headers, credentials);
    let mut request = HopRequest {
        method: options.method.clone(),
        url: url.clone(),
        headers: headers.clone(),
        body: options.body.clone(),
        connect_to: options.connect_to(&url),
    };
    let summary = RequestSummary {
        method: request.method.to_string(),
        url: secrets::display_url(&url, credentials),
        headers: redact_headers(&headers),
        body_bytes: options.body.len(),
        insecure: options.insecure,
    };
    let mut hops = Vec::new();
    let mut notes = Vec::new();
    let mut visited = vec![normalise(&url)];
    let mut redirect_loop = None;
    let mut last: Option<(HopRequest, Exchange)>;
    loop {
        let ex = exchange(&request, options, tls).await;
        hops.push(hop_of(&request, ex.clone()));
        let status = ex.response.as_ref().map(|r| r.status);
        let location = ex.response.as_ref().and_then(|r| r.header("location")).map(str::to_owned);
        let is_redirect = matches!(status, Some(301 | 302 | 303 | 307 | 308));
        let current = request.clone();
        last = Some((current.clone(), ex));
        if !is_redirect || !options.follow {
            break;
        }
        let Some(location) = location else { break };
        let Ok(next) = current.url.join(&location) else {
            notes.push(note(NoteKind::BadLocation, None, &[("location", &location)]));
            break;
        };
        let key = normalise(&next);
        if let Some(first) = visited.iter().position(|v| *v == key) {
            let mut cycle: Vec<String> = visited[first..].to_vec();
            cycle.push(key);
            notes.push(loop_note(&cycle));
            redirect_loop = Some(cycle);
            break;
        }
        if hops.len() > options.max_redirects {
            notes.push(note(NoteKind::TooManyRedirects, None, &[("max", &options.max_redirects.to_string())]));
            break;
        }
        let status = status.unwrap_or(0);
        request = next_request(&current, next, status, options, &mut notes);
        visited.push(key);
    }
    let (final_request, final_exchange) = last.expect("at least one exchange");
    let kubernetes = kubernetes_evidence(&final_request.url, vias, final_exchange.response.as_ref());
    let mut outcome = outcome(
        &final_request.url,
        final_request.method.as_str(),
        &final_exchange,
        hops.last().and_then(|h| h.responder.clone()),
        kubernetes,
    );
    let (rate_limits, lint) = match &final_exchange.response {
        Some(r) => {
            let responder = fingerprint::identify(r);
            (ratelimit::decode(r, SystemTime::now()), lint::check(&final_request.method, r, &responder))
        }
        None => (Vec::new(), Vec::new()),
    };
    // A healthy answer — below 400, complete, breaking no rule, no warning about its redirects —
    // needs no next step.
    let warned =
        notes.iter().any(|n| kb().redirect_note(n.id).is_some_and(|k| k.severity != culprit_kb::Severity::Info));
    if outcome.status.is_some_and(|s| s < 400) && outcome.failure.is_none() && lint.is_empty() && !warned {
        outcome.checks.clear();
    }
    let bisect = if vias.is_empty() { None } else { Some(bisect(&url, &headers, options, vias, tls).await) };
    ProbeReport {
        schema: SCHEMA,
        request: summary,
        hops,
        redirects: notes,
        redirect_loop,
        outcome,
        rate_limits,
        lint,
        bisect,
    }
}

/// Why Kubernetes causes and kubectl steps fit, when something says there is a cluster: a
/// cluster-internal host name, a `--via` entry point named after a Kubernetes layer, a header only
/// a component running in Kubernetes writes.
fn kubernetes_evidence(url: &url::Url, vias: &[Via], response: Option<&Response>) -> Option<String> {
    if is_cluster_internal(url) {
        let host = url.host_str().unwrap_or("").trim_end_matches('.').to_ascii_lowercase();
        return Some(format!("{host} is a cluster-internal Service name"));
    }
    if let Some((name, _, _)) = vias.iter().find(|(n, _, _)| {
        matches!(n.to_ascii_lowercase().as_str(), "pod" | "service" | "svc" | "endpoints" | "mesh" | "sidecar")
    }) {
        return Some(format!("--via {name}=… names a Kubernetes layer"));
    }
    response.and_then(fingerprint::kubernetes_component).map(|c| format!("{c} on the path"))
}

/// What the request itself fills into a check: its method and, when it got one, its status.
#[derive(Debug, Clone, Copy)]
struct Known<'a> {
    method: &'a str,
    status: Option<u16>,
}

/// The check as shown for this request: `<METHOD>` and `<status>` filled in from the request and
/// its answer; `<host>`, `<host-port>` and `<path>` from the URL when they are safe to paste into a
/// shell unquoted. A check written for the usual case (`https://<host><path>`, `<host>:443`) gets
/// the request's own scheme and port.
fn check_ref(c: &Check, url: &url::Url, known: Known<'_>) -> CheckRef {
    let safe = |s: &str| s.chars().all(|c| c.is_ascii_alphanumeric() || "-._~/%:[]".contains(c));
    let mut command = c.command.replace("<METHOD>", known.method);
    if let Some(status) = known.status {
        command = command.replace("<status>", &status.to_string());
    }
    let Some(host) = url.host_str().filter(|h| safe(h)) else {
        return CheckRef { id: c.id.clone(), title: c.title.clone(), command };
    };
    let origin = format!("{}://{}", url.scheme(), authority(url));
    for scheme in ["https", "http"] {
        command = command.replace(&format!("{scheme}://<host><path>"), &format!("{origin}<path>"));
    }
    command = command.replace("<host>:443", "<host>:<host-port>");
    command = command.replace("<host>", host);
    if let Some(port) = url.port_or_known_default() {
        command = command.replace("<host-port>", &port.to_string());
    }
    let path = match url.query() {
        Some(q) => format!("{}?{q}", url.path()),
        None => url.path().to_owned(),
    };
    if safe(&path) {
        command = command.replace("<path>", &path);
    }
    CheckRef { id: c.id.clone(), title: c.title.clone(), command }
}

fn cause_ref(c: &culprit_kb::Cause) -> CauseRef {
    CauseRef { id: c.id.clone(), title: c.title.clone(), layer: c.layer, owner: c.owner }
}

/// A failure read with the knowledge base's failure mode: in words, its layer, causes and checks
/// (kubectl ones only with evidence of Kubernetes).
fn diagnose(
    failure: &Failure,
    url: &url::Url,
    kubernetes: bool,
    known: Known<'_>,
) -> Option<(Diagnosis, Vec<CauseRef>, Vec<CheckRef>)> {
    let kb = kb();
    let mode = kb.failure(failure.kind.id())?;
    let host = url.host_str().unwrap_or("");
    let port = url.port_or_known_default().map_or(String::new(), |p| p.to_string());
    let addr = failure.address.clone().unwrap_or_else(|| format!("{host}:{port}"));
    // The failure mode's layer is where such failures usually are; what sits at this address is
    // known only from its name (a cluster-internal Service).
    let (layer, layer_evidence) = if is_cluster_internal(url) {
        (Layer::Service, Some(format!("{host} is a cluster-internal Service name")))
    } else {
        (mode.layer, None)
    };
    // The placeholders `culprit_kb::FAILURE_FILLS` allows, each filled in.
    let says = culprit_kb::template::fill(&mode.says, &[("host", host), ("port", &port), ("addr", &addr)]);
    let causes = mode.causes.iter().filter_map(|id| kb.cause(id)).take(MAX_CAUSES).map(cause_ref).collect();
    let checks = mode
        .checks
        .iter()
        .filter_map(|id| kb.check(id))
        .filter(|c| kubernetes || !c.needs_kubernetes())
        .take(MAX_CHECKS)
        .map(|c| check_ref(c, url, known))
        .collect();
    let diagnosis = Diagnosis {
        kind: failure.kind,
        title: mode.title.clone(),
        says,
        address: addr,
        layer,
        layer_evidence,
        owner: mode.owner,
    };
    Some((diagnosis, causes, checks))
}

fn is_cluster_internal(url: &url::Url) -> bool {
    let host = url.host_str().unwrap_or("").trim_end_matches('.').to_ascii_lowercase();
    // Host names, not file names: `host` is already lowercase.
    #[allow(clippy::case_sensitive_file_extension_comparisons)]
    let internal = host.ends_with(".svc") || host.contains(".svc.") || host.ends_with(".cluster.local");
    internal
}

/// The knowledge base's reading of the final answer at the layer that gave it, or of the failure.
fn outcome(
    url: &url::Url,
    method: &str,
    ex: &Exchange,
    responder: Option<Responder>,
    kubernetes: Option<String>,
) -> Outcome {
    let timeout_hint = timeout_hint(ex.timings.total_ms);
    let known = Known { method, status: ex.response.as_ref().map(|r| r.status) };
    let diagnosed = ex.failure.as_ref().and_then(|f| diagnose(f, url, kubernetes.is_some(), known));
    let Some(response) = &ex.response else {
        let failure = ex.failure.clone();
        let summary = match (&failure, &diagnosed) {
            (Some(f), Some((d, _, _))) => format!("no answer: {} ({})", lowercase_first(&d.title), f.phase.label()),
            (Some(f), None) => format!("no answer: {} failed: {}", f.phase.label(), f.message),
            _ => "no answer".into(),
        };
        let (diagnosis, causes, checks) = match diagnosed {
            Some((d, causes, checks)) => (Some(d), causes, checks),
            None => (None, Vec::new(), Vec::new()),
        };
        return Outcome {
            status: None,
            failure,
            responder: None,
            summary,
            diagnosis,
            causes,
            checks,
            kubernetes_evidence: kubernetes,
            timeout_hint,
        };
    };
    let responder = responder.unwrap_or_else(|| fingerprint::identify(response));
    let k8s = kubernetes.is_some();
    let reading = fingerprint::reading(response.status, &responder, k8s);
    // Unsettled: the other reading's likeliest causes and first check come in beside the first's.
    let other = responder.alternative_reading().map(|a| fingerprint::reading(response.status, &a, k8s));
    let (causes, checks) = match &other {
        Some(o) => (
            merge(&reading.causes, &o.causes, 3, MAX_CAUSES, |c| c.id.as_str()),
            merge(&reading.checks, &o.checks, 2, MAX_CHECKS, |c| c.id.as_str()),
        ),
        None => (
            reading.causes.iter().take(MAX_CAUSES).copied().collect(),
            reading.checks.iter().take(MAX_CHECKS).copied().collect(),
        ),
    };
    // The evidence is reported where it changes the reading: for a component that also runs
    // outside Kubernetes (the application too), or a failure's checks.
    let runs_anywhere = responder.id == fingerprint::APPLICATION
        || kb().responder(&responder.id).is_some_and(|r| r.platform == culprit_kb::Platform::Any);
    let kubernetes = kubernetes.filter(|_| runs_anywhere || ex.failure.is_some());
    let summary = summary_of(response, &responder);
    let mut causes: Vec<CauseRef> = causes.into_iter().map(cause_ref).collect();
    let mut checks: Vec<CheckRef> = checks.into_iter().map(|c| check_ref(c, url, known)).collect();
    let mut diagnosis = None;
    if let Some((mut d, failure_causes, failure_checks)) = diagnosed {
        // A success cut short is about the failure; an error status stays the headline.
        if response.status < 400 {
            causes = failure_causes;
            checks = failure_checks;
        }
        // The component that answered is where the body broke off, or behind it.
        if d.layer_evidence.is_none() && responder.alternative.is_none() {
            d.layer = responder.layer;
            d.layer_evidence = Some(format!("{} answered before it broke off", responder.name));
        }
        diagnosis = Some(d);
    }
    Outcome {
        status: Some(response.status),
        failure: ex.failure.clone(),
        summary,
        diagnosis,
        causes,
        checks,
        kubernetes_evidence: kubernetes,
        responder: Some(responder),
        timeout_hint,
    }
}

/// `first`'s leading `lead` items, then `second`'s first two, then the rest of both, each id once,
/// at most `max`.
fn merge<T: Copy>(first: &[T], second: &[T], lead: usize, max: usize, id: impl Fn(&T) -> &str) -> Vec<T> {
    let ordered = first
        .iter()
        .take(lead)
        .chain(second.iter().take(2))
        .chain(first.iter().skip(lead))
        .chain(second.iter().skip(2));
    let mut seen = std::collections::HashSet::new();
    ordered.filter(|x| seen.insert(id(x).to_owned())).take(max).copied().collect()
}

/// The headline: "500 Internal Server Error from the application, passed through nginx (app
/// layer, medium confidence)", or both readings when the writer is not settled.
fn summary_of(response: &Response, responder: &Responder) -> String {
    let head = format!("{} {}", response.status, reason_of(response));
    let confidence = confidence_word(responder.confidence);
    let app = responder.id == fingerprint::APPLICATION;
    match &responder.alternative {
        Some(alt) if app => {
            format!("{head} from the application, or from {} in front of it ({confidence} confidence)", alt.name)
        }
        Some(alt) => {
            format!("{head} from {}, or from {} behind it ({confidence} confidence)", responder.name, alt.name)
        }
        None => {
            let through = if app && !responder.relayed_by.is_empty() {
                format!(", passed through {}", and_list(&responder.relayed_by))
            } else {
                String::new()
            };
            format!("{head} from {}{through} ({} layer, {confidence} confidence)", responder.name, responder.layer.id())
        }
    }
}

/// "nginx", "Cloudflare and nginx", "a, b and c".
fn and_list(names: &[String]) -> String {
    match names {
        [] => String::new(),
        [one] => one.clone(),
        [rest @ .., last] => format!("{} and {last}", rest.join(", ")),
    }
}

fn lowercase_first(s: &str) -> String {
    let mut c = s.chars();
    match c.next() {
        // Keep acronyms and schemes as written ("TLS failed", "https:// to…").
        Some(f) if c.clone().next().is_some_and(char::is_lowercase) || !f.is_uppercase() => {
            f.to_lowercase().chain(c).collect()
        }
        Some(f) => std::iter::once(f).chain(c).collect(),
        None => String::new(),
    }
}

pub fn confidence_word(c: culprit_kb::Confidence) -> &'static str {
    match c {
        culprit_kb::Confidence::High => "high",
        culprit_kb::Confidence::Medium => "medium",
        culprit_kb::Confidence::Low => "low",
    }
}

/// A total close to a default proxy timeout is the likely 504 boundary.
fn timeout_hint(total_ms: f64) -> Option<String> {
    let s = total_ms / 1000.0;
    let near = |t: f64| (s - t).abs() <= t * 0.05;
    if near(60.0) {
        Some("took ≈60 s: ingress-nginx's proxy-read-timeout and the AWS ALB idle timeout default to 60 s — the likely 504 boundary".into())
    } else if near(30.0) {
        Some(
            "took ≈30 s: the Google Cloud load balancer's backend timeout defaults to 30 s — the likely 504 boundary"
                .into(),
        )
    } else if near(15.0) {
        Some("took ≈15 s: Envoy's default route timeout is 15 s — the likely 504 boundary".into())
    } else {
        None
    }
}

/// The same request through each entry point, outermost first (the seeds' port-forward technique).
async fn bisect(
    url: &url::Url,
    headers: &[(String, String)],
    options: &Options,
    vias: &[Via],
    tls: &TlsSetup,
) -> Bisect {
    let mut points = Vec::new();
    for (name, via, credentials) in vias {
        let mut target = via.clone();
        target.set_path(url.path());
        target.set_query(url.query());
        let mut headers = headers.to_vec();
        if let Some(c) = credentials {
            headers.retain(|(n, _)| !n.eq_ignore_ascii_case("authorization"));
            headers.push(("Authorization".into(), c.basic()));
        }
        if !headers.iter().any(|(n, _)| n.eq_ignore_ascii_case("host")) {
            headers.push(("Host".into(), authority(url)));
        }
        let request = HopRequest {
            method: options.method.clone(),
            url: target.clone(),
            headers,
            body: options.body.clone(),
            connect_to: None,
        };
        let ex = exchange(&request, options, tls).await;
        let hop = hop_of(&request, ex);
        let outcome = describe_point(&hop);
        points.push(BisectPoint { name: name.clone(), url: target.to_string(), hop, outcome });
    }
    let states: Vec<PointState> = points.iter().map(|p| point_state(&p.hop)).collect();
    let times: Vec<f64> = points.iter().map(|p| p.hop.timings.total_ms).collect();
    let v = verdicts::verdict(&states, &times);
    let views: Vec<PointView<'_>> = points
        .iter()
        .zip(&states)
        .map(|(p, &state)| PointView {
            name: &p.name,
            outcome: &p.outcome,
            state,
            total_ms: p.hop.timings.total_ms,
            read_timeout: p
                .hop
                .responder
                .as_ref()
                .and_then(|r| kb().responder(&r.id))
                .and_then(|r| r.read_timeout.as_deref()),
        })
        .collect();
    let verdict = verdicts::describe(&views, &v);
    let culprit = v.culprit.map(|i| points[i].name.clone());
    // Slower than the timeout in front: the knowledge base's cause for that, and who looks first.
    let (cause, owner) = match v.finding {
        Finding::SlowerThanTimeout => {
            let cause = kb().cause(SLOWER_THAN_TIMEOUT);
            (cause.map(|c| c.id.clone()), cause.map(|c| c.owner))
        }
        _ => (None, None),
    };
    Bisect { points, finding: v.finding, verdict, culprit, cause, owner }
}

/// The cause of an inner point slower than the timeout of the point in front of it.
const SLOWER_THAN_TIMEOUT: &str = "upstream_timeout";

/// What a point's answer says about the path: no (complete) answer, a 5xx written by the
/// application or by something in front of it, or an answer.
fn point_state(hop: &Hop) -> PointState {
    match (&hop.response, &hop.failure) {
        (None, f) => PointState::NoAnswer { timed_out: f.as_ref().is_some_and(|f| f.timed_out) },
        (Some(_), Some(f)) => PointState::NoAnswer { timed_out: f.timed_out },
        (Some(r), None) if r.status >= 500 => {
            if hop.responder.as_ref().is_some_and(|x| x.id == "application") {
                PointState::AppError { status: r.status }
            } else {
                PointState::ProxyError { status: r.status }
            }
        }
        (Some(r), None) => PointState::Answers { status: r.status },
    }
}

fn describe_point(hop: &Hop) -> String {
    match (&hop.response, &hop.failure) {
        (Some(r), _) => {
            let who = hop.responder.as_ref().map_or(String::new(), |x| format!(" from {}", x.name));
            let t = hop.timings.total_ms;
            let took = if t < 10.0 { format!("{t:.1} ms") } else { format!("{t:.0} ms") };
            format!("{} {}{who} in {took}", r.status, r.reason)
        }
        (None, Some(f)) => {
            let what = kb().failure(f.kind.id()).map_or_else(|| f.message.clone(), |m| lowercase_first(&m.title));
            let t = hop.timings.total_ms;
            let took = if t < 10.0 { format!("{t:.1} ms") } else { format!("{t:.0} ms") };
            format!("no answer ({}: {what}) after {took}", f.phase.label())
        }
        (None, None) => "no answer".into(),
    }
}

impl ProbeReport {
    /// Replaces every secret value that was sent wherever it appears in the report.
    pub fn scrub(&mut self, s: &Scrubber) {
        let headers = |h: &mut Vec<(String, String)>| h.iter_mut().for_each(|(_, v)| s.scrub_in_place(v));
        s.scrub_in_place(&mut self.request.url);
        headers(&mut self.request.headers);
        let hop = |h: &mut Hop| {
            s.scrub_in_place(&mut h.url);
            headers(&mut h.request_headers);
            if let Some(r) = h.response.as_mut() {
                headers(&mut r.headers);
                s.scrub_in_place(&mut r.body_preview);
                s.scrub_in_place(&mut r.reason);
            }
            if let Some(f) = h.failure.as_mut() {
                s.scrub_in_place(&mut f.message);
            }
            if let Some(r) = h.responder.as_mut() {
                r.evidence.iter_mut().chain(r.on_path.iter_mut()).for_each(|e| s.scrub_in_place(e));
            }
        };
        self.hops.iter_mut().for_each(hop);
        self.redirects.iter_mut().for_each(|n| s.scrub_in_place(&mut n.message));
        self.redirect_loop.iter_mut().flatten().for_each(|u| s.scrub_in_place(u));
        let o = &mut self.outcome;
        s.scrub_in_place(&mut o.summary);
        if let Some(f) = o.failure.as_mut() {
            s.scrub_in_place(&mut f.message);
        }
        if let Some(r) = o.responder.as_mut() {
            r.evidence.iter_mut().chain(r.on_path.iter_mut()).for_each(|e| s.scrub_in_place(e));
        }
        self.lint.iter_mut().for_each(|l| s.scrub_in_place(&mut l.message));
        if let Some(b) = self.bisect.as_mut() {
            for p in &mut b.points {
                s.scrub_in_place(&mut p.url);
                s.scrub_in_place(&mut p.outcome);
                hop(&mut p.hop);
            }
            s.scrub_in_place(&mut b.verdict);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls() {
        assert_eq!(parse_url("example.com/x").unwrap().as_str(), "http://example.com/x");
        assert!(parse_url("ftp://example.com").unwrap_err().contains("not supported"));
        assert!(parse_url("http://").is_err());
        assert!(parse_url("http://exa mple.com").is_err());
        let e = parse_url("http://user:hunter2@exa mple.com/").unwrap_err();
        assert!(e.contains("user:***@") && !e.contains("hunter2"), "{e}");
        assert_eq!(hide_password("https://u:p@h/x@y"), "https://u:***@h/x@y");
        assert_eq!(hide_password("h/x"), "h/x");
    }

    const GET: Known<'static> = Known { method: "GET", status: None };

    #[test]
    fn filled_in_checks_stay_shell_safe() {
        let kb = kb();
        let url: url::Url = "https://api.example.com:8443/v1/items".parse().unwrap();
        let c = check_ref(kb.check("tcp_connect").unwrap(), &url, GET);
        assert_eq!(c.command, "nc -vz -w 5 api.example.com 8443");
        let c = check_ref(kb.check("api_headers").unwrap(), &url, GET);
        assert!(c.command.ends_with("https://api.example.com:8443/v1/items"), "{}", c.command);
        let plain: url::Url = "http://127.0.0.1:8080/x".parse().unwrap();
        let c = check_ref(kb.check("curl_verbose").unwrap(), &plain, GET);
        assert!(c.command.contains("http://127.0.0.1:8080/x"), "the request's scheme and port: {}", c.command);
        let url: url::Url = "https://api.example.com/search?q=a&b=c".parse().unwrap();
        let c = check_ref(kb.check("port_forward_bypass").unwrap(), &url, GET);
        assert!(c.command.contains("<path>"), "a query with & stays a placeholder: {}", c.command);
        // What the request and its answer say fills the method and the status.
        let known = Known { method: "PUT", status: Some(503) };
        let c = check_ref(kb.check("api_headers").unwrap(), &plain, known);
        assert!(c.command.contains("-X PUT ") && !c.command.contains("<METHOD>"), "{}", c.command);
        let c = check_ref(kb.check("app_logs").unwrap(), &plain, known);
        assert!(c.command.contains("|503'") && !c.command.contains("<status>"), "{}", c.command);
    }

    #[test]
    fn timeout_hints() {
        assert!(timeout_hint(60_020.0).unwrap().contains("60 s"));
        assert!(timeout_hint(1_000.0).is_none());
    }
}
