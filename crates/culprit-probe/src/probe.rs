//! The probe: send the request, follow and judge the redirect chain, identify who answered, and
//! explain the final status with the knowledge base; or bisect the same request along the path.

use std::time::SystemTime;

use bytes::Bytes;
use culprit_kb::{Layer, Owner, kb};

use crate::exchange::{Exchange, Failure, HopRequest, Timings, TlsInfo, authority, exchange};
use crate::fingerprint::{self, Responder};
use crate::lint::{self, Lint};
use crate::options::Options;
use crate::ratelimit::{self, RateLimit};
use crate::tls::TlsSetup;

pub const SCHEMA: &str = "culprit.probe.report/1";
/// Body bytes shown per response.
const PREVIEW_BYTES: usize = 2048;
/// Headers whose values never appear in output.
const SECRET_HEADERS: &[&str] = &["authorization", "proxy-authorization", "cookie", "set-cookie", "x-api-key"];

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
    pub reason: String,
    pub version: String,
    pub headers: Vec<(String, String)>,
    pub body_bytes: u64,
    pub capped: bool,
    /// The start of the body: text as is, binary as a note.
    pub body_preview: String,
}

#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Note {
    pub id: &'static str,
    pub message: String,
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
    /// Likely causes at the layer that answered, most likely first.
    pub causes: Vec<CauseRef>,
    /// The first checks to run, from the most likely cause.
    pub checks: Vec<CheckRef>,
    /// A total time near a well-known proxy timeout.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub timeout_hint: Option<String>,
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
    pub verdict: String,
    /// The entry point where the outcome first differs from the one behind it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub culprit: Option<String>,
}

#[derive(Debug, Clone, serde::Serialize)]
pub struct BisectPoint {
    pub name: String,
    pub url: String,
    pub hop: Hop,
    pub outcome: String,
}

fn redact(headers: &[(String, String)]) -> Vec<(String, String)> {
    headers
        .iter()
        .map(|(n, v)| {
            let secret = SECRET_HEADERS.contains(&n.to_ascii_lowercase().as_str());
            (n.clone(), if secret { format!("[redacted, {} bytes]", v.len()) } else { v.clone() })
        })
        .collect()
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

fn hop_of(request: &HopRequest, ex: Exchange) -> Hop {
    let responder = ex.response.as_ref().map(fingerprint::identify);
    Hop {
        url: request.url.to_string(),
        method: request.method.to_string(),
        request_headers: redact(&request.headers),
        remote: ex.remote.map(|r| r.to_string()),
        tls: ex.tls,
        timings: ex.timings,
        response: ex.response.map(|r| ResponseSummary {
            status: r.status,
            reason: kb().code(r.status).map_or(String::new(), |c| c.name.clone()),
            version: r.version.clone(),
            headers: redact(&r.headers),
            body_bytes: r.body_bytes,
            capped: r.capped,
            body_preview: preview(&r.body),
        }),
        failure: ex.failure,
        responder,
    }
}

/// Runs the probe (blocking: builds its own single-threaded runtime).
pub fn run(url: &str, options: &Options, vias: &[(String, String)]) -> Result<ProbeReport, String> {
    let url = parse_url(url)?;
    let vias: Vec<(String, url::Url)> =
        vias.iter().map(|(n, u)| parse_url(u).map(|u| (n.clone(), u))).collect::<Result<_, _>>()?;
    let tls = TlsSetup::new(options)?;
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| format!("cannot start the network runtime: {e}"))?;
    Ok(runtime.block_on(probe(url, options, &vias, &tls)))
}

/// A URL we can send to: http or https, with a host. A bare `host/path` gets `http://`.
pub fn parse_url(text: &str) -> Result<url::Url, String> {
    let with_scheme = if text.contains("://") { text.to_owned() } else { format!("http://{text}") };
    let url = url::Url::parse(&with_scheme).map_err(|e| format!("'{text}' is not a valid URL: {e}"))?;
    match url.scheme() {
        "http" | "https" => {}
        other => return Err(format!("'{text}': the {other}:// scheme is not supported (http or https)")),
    }
    if url.host_str().is_none_or(str::is_empty) {
        return Err(format!("'{text}' has no host"));
    }
    Ok(url)
}

async fn probe(url: url::Url, options: &Options, vias: &[(String, url::Url)], tls: &TlsSetup) -> ProbeReport {
    let mut request = HopRequest {
        method: options.method.clone(),
        url: url.clone(),
        headers: options.headers.clone(),
        body: options.body.clone(),
        connect_to: options.connect_to(&url),
    };
    let summary = RequestSummary {
        method: request.method.to_string(),
        url: url.to_string(),
        headers: redact(&options.headers),
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
            notes.push(Note { id: "bad_location", message: format!("Location '{location}' is not a valid URL") });
            break;
        };
        let key = normalise(&next);
        if let Some(first) = visited.iter().position(|v| *v == key) {
            let mut cycle: Vec<String> = visited[first..].to_vec();
            cycle.push(key);
            notes.push(Note { id: "redirect_loop", message: loop_message(&cycle) });
            redirect_loop = Some(cycle);
            break;
        }
        if hops.len() > options.max_redirects {
            notes.push(Note {
                id: "too_many_redirects",
                message: format!(
                    "stopped after {} redirects (--max-redirects) without reaching an answer",
                    options.max_redirects
                ),
            });
            break;
        }
        let status = status.unwrap_or(0);
        request = next_request(&current, next, status, options, &mut notes);
        visited.push(key);
    }
    let (final_request, final_exchange) = last.expect("at least one exchange");
    let outcome = outcome(&final_exchange, hops.last().and_then(|h| h.responder.clone()));
    let (rate_limits, lint) = match &final_exchange.response {
        Some(r) => {
            let responder = fingerprint::identify(r);
            (ratelimit::decode(r, SystemTime::now()), lint::check(&final_request.method, r, &responder))
        }
        None => (Vec::new(), Vec::new()),
    };
    let bisect = if vias.is_empty() { None } else { Some(bisect(&url, options, vias, tls).await) };
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

/// A URL as a loop detector compares it (no fragment).
fn normalise(url: &url::Url) -> String {
    let mut u = url.clone();
    u.set_fragment(None);
    u.to_string()
}

fn loop_message(cycle: &[String]) -> String {
    let scheme_flip = cycle.iter().any(|u| u.starts_with("https://")) && cycle.iter().any(|u| u.starts_with("http://"));
    let chain = cycle.join(" → ");
    if scheme_flip {
        format!(
            "redirect loop: {chain}. One layer sends HTTP to HTTPS and another sends it back: typically the ingress's \
             ssl-redirect/force-ssl-redirect in front of a backend that does not trust X-Forwarded-Proto (or TLS ending \
             at a load balancer that talks HTTP to an ingress that forces HTTPS). See: culprit explain redirect_loop"
        )
    } else {
        format!("redirect loop: {chain}. The same URLs redirect to each other (see: culprit explain redirect_loop)")
    }
}

/// The request for the next hop, as browsers and curl build it, with what changed noted.
fn next_request(
    current: &HopRequest,
    next: url::Url,
    status: u16,
    options: &Options,
    notes: &mut Vec<Note>,
) -> HopRequest {
    let mut method = current.method.clone();
    let mut body = current.body.clone();
    let mut headers = current.headers.clone();
    let to_get = status == 303 && method != http::Method::HEAD
        || matches!(status, 301 | 302) && method != http::Method::GET && method != http::Method::HEAD;
    if to_get {
        if matches!(status, 301 | 302) {
            notes.push(Note {
                id: "method_changed",
                message: format!(
                    "{status} turned {method} into GET for {next} (clients drop the body); answer 307 or 308 to keep the method"
                ),
            });
        }
        method = http::Method::GET;
        body = Bytes::new();
        headers.retain(|(n, _)| !n.to_ascii_lowercase().starts_with("content-"));
    }
    if current.url.scheme() == "https" && next.scheme() == "http" {
        notes.push(Note {
            id: "https_downgrade",
            message: format!(
                "HTTPS → HTTP downgrade to {next}: the request (and any cookies) now travel in clear text"
            ),
        });
    } else if current.url.scheme() == "http" && next.scheme() == "https" && current.url.host_str() == next.host_str() {
        notes.push(Note { id: "https_upgrade", message: format!("HTTP → HTTPS upgrade to {next}") });
    }
    let same_origin = current.url.scheme() == next.scheme()
        && current.url.host_str() == next.host_str()
        && current.url.port_or_known_default() == next.port_or_known_default();
    if !same_origin {
        let dropped: Vec<String> = headers
            .iter()
            .filter(|(n, _)| SECRET_HEADERS.contains(&n.to_ascii_lowercase().as_str()))
            .map(|(n, _)| n.clone())
            .collect();
        if !dropped.is_empty() {
            headers.retain(|(n, _)| !SECRET_HEADERS.contains(&n.to_ascii_lowercase().as_str()));
            notes.push(Note {
                id: "credentials_dropped",
                message: format!(
                    "{} not sent to {} (a different origin), as curl and browsers do: a 401/403 after this hop is why",
                    dropped.join(", "),
                    authority(&next)
                ),
            });
        }
    }
    HopRequest { method, connect_to: options.connect_to(&next), url: next, headers, body }
}

/// The knowledge base's reading of the final answer at the layer that gave it.
fn outcome(ex: &Exchange, responder: Option<Responder>) -> Outcome {
    let kb = kb();
    let timeout_hint = timeout_hint(ex.timings.total_ms);
    let Some(response) = &ex.response else {
        let failure = ex.failure.clone();
        let summary = failure
            .as_ref()
            .map_or("no response".into(), |f| format!("failed while {}: {}", f.phase.label(), f.message));
        return Outcome {
            status: None,
            failure,
            responder: None,
            summary,
            causes: Vec::new(),
            checks: Vec::new(),
            timeout_hint,
        };
    };
    let responder = responder.unwrap_or_else(|| fingerprint::identify(response));
    let causes = fingerprint::causes_at(response.status, &responder);
    let name = kb.code(response.status).map_or("", |c| c.name.as_str());
    let summary = format!(
        "{} {name} from {} ({} layer, {} confidence)",
        response.status,
        responder.name,
        responder.layer.id(),
        confidence_word(responder.confidence)
    );
    let checks = causes
        .first()
        .map(|c| {
            c.checks
                .iter()
                .take(3)
                .filter_map(|id| kb.check(id))
                .map(|c| CheckRef { id: c.id.clone(), title: c.title.clone(), command: c.command.clone() })
                .collect()
        })
        .unwrap_or_default();
    Outcome {
        status: Some(response.status),
        failure: ex.failure.clone(),
        summary,
        causes: causes
            .iter()
            .take(5)
            .map(|c| CauseRef { id: c.id.clone(), title: c.title.clone(), layer: c.layer, owner: c.owner })
            .collect(),
        checks,
        responder: Some(responder),
        timeout_hint,
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
async fn bisect(url: &url::Url, options: &Options, vias: &[(String, url::Url)], tls: &TlsSetup) -> Bisect {
    let mut points = Vec::new();
    for (name, via) in vias {
        let mut target = via.clone();
        target.set_path(url.path());
        target.set_query(url.query());
        let mut headers = options.headers.clone();
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
    let key = |p: &BisectPoint| match (&p.hop.response, &p.hop.failure) {
        (Some(r), _) => format!("status {}", r.status),
        (None, Some(f)) => format!("failed at {:?}", f.phase),
        (None, None) => "nothing".into(),
    };
    // Worse = no answer, or a 5xx; the outer point of the first pair that differs is where the
    // request goes wrong when it is the worse one.
    let bad = |p: &BisectPoint| p.hop.response.as_ref().is_none_or(|r| r.status >= 500);
    let differs = points.windows(2).position(|w| key(&w[0]) != key(&w[1]));
    let (verdict, culprit) = match differs {
        Some(i) if bad(&points[i]) || !bad(&points[i + 1]) => (
            format!(
                "{} gives {} while {} behind it gives {}: the problem is at {} (or on the way from it to {})",
                points[i].name,
                points[i].outcome,
                points[i + 1].name,
                points[i + 1].outcome,
                points[i].name,
                points[i + 1].name
            ),
            Some(points[i].name.clone()),
        ),
        Some(i) => (
            format!(
                "{} gives {} but {} behind it gives {}: the outer layer hides the failure (a cache, a retry to \
                 another backend) or {} is not the backend {} uses",
                points[i].name,
                points[i].outcome,
                points[i + 1].name,
                points[i + 1].outcome,
                points[i + 1].name,
                points[i].name
            ),
            None,
        ),
        None => {
            let last = points.last().map_or("the innermost", |p| p.name.as_str());
            (
                format!("every entry point gives the same outcome: the cause is at {last} or behind it"),
                points.last().map(|p| p.name.clone()),
            )
        }
    };
    Bisect { points, verdict, culprit }
}

fn describe_point(hop: &Hop) -> String {
    match (&hop.response, &hop.failure) {
        (Some(r), _) => {
            let who = hop.responder.as_ref().map_or(String::new(), |x| format!(" from {}", x.name));
            let t = hop.timings.total_ms;
            let took = if t < 10.0 { format!("{t:.1} ms") } else { format!("{t:.0} ms") };
            format!("{} {}{who} in {took}", r.status, r.reason)
        }
        (None, Some(f)) => format!("no answer ({}: {})", f.phase.label(), f.message),
        (None, None) => "no answer".into(),
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
    }

    #[test]
    fn redirects_change_method_and_drop_credentials() {
        let current = HopRequest {
            method: http::Method::POST,
            url: "https://a.example/login".parse().unwrap(),
            headers: vec![
                ("Authorization".into(), "Bearer x".into()),
                ("Content-Type".into(), "application/json".into()),
            ],
            body: Bytes::from_static(b"{}"),
            connect_to: None,
        };
        let mut notes = Vec::new();
        let next =
            next_request(&current, "http://b.example/home".parse().unwrap(), 302, &Options::default(), &mut notes);
        assert_eq!(next.method, http::Method::GET);
        assert!(next.body.is_empty() && next.headers.is_empty());
        let ids: Vec<_> = notes.iter().map(|n| n.id).collect();
        assert_eq!(ids, ["method_changed", "https_downgrade", "credentials_dropped"]);
        let mut notes = Vec::new();
        let kept =
            next_request(&current, "https://a.example/v2/login".parse().unwrap(), 308, &Options::default(), &mut notes);
        assert_eq!((kept.method, kept.body.len(), notes.len()), (http::Method::POST, 2, 0));
    }

    #[test]
    fn loops_name_the_scheme_flip() {
        let m = loop_message(&["http://a/".into(), "https://a/".into(), "http://a/".into()]);
        assert!(m.contains("http://a/ → https://a/ → http://a/") && m.contains("X-Forwarded-Proto"), "{m}");
    }

    #[test]
    fn timeout_hints() {
        assert!(timeout_hint(60_020.0).unwrap().contains("60 s"));
        assert!(timeout_hint(1_000.0).is_none());
    }
}
