//! The report of a `culprit logs` run: incidents first (what, where, since when, which layer, cause
//! and evidence, who looks first, what to run), then chronic errors, services, the timeline and what
//! could not be read. Serializable as is: this is the `--json` schema (docs/json.md).

use crate::attribute::Cause;
use crate::engine::{Analysis, InputSummary};
use crate::formats::Format;
use crate::incidents::{Detection, Group, rate};
use crate::stats::{KindStats, NO_SERVICE, ServiceStats, Stats};
use crate::time::format_utc;
use culprit_kb::context::ClusterFacts;
use culprit_kb::{Confidence, EvidenceItem, GeneratedBy, Layer, Owner, kb};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::fmt::Write as _;

pub const SCHEMA: &str = "culprit.logs.report/1";
const TOP: usize = 5;
const TIMELINE_ROWS: i64 = 40;
/// Round durations for timeline rows, in seconds.
const NICE_S: [i64; 16] =
    [10, 20, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 10_800, 21_600, 43_200, 86_400, 604_800];

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LogReport {
    pub schema: String,
    pub inputs: Vec<InputSummary>,
    pub lines: u64,
    pub requests: u64,
    pub errors: u64,
    /// First and last request time seen (UTC, `YYYY-MM-DDTHH:MM:SSZ`).
    pub start: Option<String>,
    pub end: Option<String>,
    /// Resolution of the aggregates, in seconds.
    pub bucket_seconds: u64,
    /// Most impactful first.
    pub incidents: Vec<Incident>,
    /// Errors present most of the time without a spike.
    pub chronic: Vec<Chronic>,
    /// Clients sent round in circles: the same redirect (or a cycle of them) again and again.
    pub redirect_loops: Vec<RedirectLoop>,
    /// The incidents (severity error) and chronic errors (warning) as the finding type `culprit
    /// cluster` uses, so both can be routed and gated the same way.
    pub findings: Vec<culprit_kb::Finding>,
    pub services: Vec<ServiceRow>,
    pub timeline: Vec<TimelineRow>,
    pub unparsed: Unparsed,
    /// With `--service`, `--status`, `--since`/`--until`: what is shown. Totals above and every
    /// baseline are computed on all the traffic; incidents, chronic errors, services and the
    /// timeline are narrowed to the filter.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub filter: Option<FilterSummary>,
    /// What the error-log join did, when error-log lines were read.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub join: Option<JoinSummary>,
    /// Where the proxy runs, as far as the logs tell: next steps use kubectl only on Kubernetes.
    pub environment: Environment,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Environment {
    /// `kubernetes` or `hosts`.
    pub kind: String,
    /// The evidence for it, in words.
    pub reason: String,
}

impl Environment {
    pub fn is_kubernetes(&self) -> bool {
        self.kind == "kubernetes"
    }
}

/// Whether the logs come from Kubernetes: an ingress controller's or mesh's format, a container
/// runtime's wrapper, or service names only a cluster gives.
fn environment(analysis: &Analysis) -> Environment {
    let k8s = |reason: String| Environment { kind: "kubernetes".into(), reason };
    for i in &analysis.inputs {
        if let Some(f) = i.format.as_deref().filter(|f| {
            f.starts_with("ingress-nginx") || *f == "istio" || f.starts_with("cilium") || f.starts_with("envoy gateway")
        }) {
            return k8s(format!("{} reads {f} lines", i.path));
        }
        if i.wrapper.as_deref() == Some("cri") {
            return k8s(format!("{} is a container log (CRI) from a Kubernetes node", i.path));
        }
    }
    // Istio's clusters, Traefik's Kubernetes providers, Envoy Gateway's `httproute/<ns>/<name>/rule/0`.
    let cluster_names = [".svc.cluster.local", "@kubernetes", "outbound|", "inbound|", "httproute/", "grpcroute/"];
    if let Some(svc) = analysis.stats.services.iter().find(|s| cluster_names.iter().any(|n| s.name.contains(n))) {
        return k8s(format!("service name {} is a cluster name", svc.name));
    }
    Environment {
        kind: "hosts".into(),
        reason: "nothing in these logs points at Kubernetes (no ingress controller or mesh format, no container \
                 runtime wrapper, no cluster service names): next steps are for the proxy's and backends' hosts"
            .into(),
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RedirectLoop {
    /// `redirect_loop`.
    pub cause: String,
    pub owner: Owner,
    pub client: String,
    pub host: String,
    pub service: String,
    /// The paths of the cycle, in the order first seen, each with its status and, where the
    /// format logs it, the `Location` it sent the client to.
    pub paths: Vec<RedirectHop>,
    pub redirects: u64,
    pub start: String,
    pub end: String,
    /// `proxy` when the proxy answered the redirects itself (no upstream contacted), `upstream`
    /// when the application did, `both` when the cycle mixes them, `unknown` when the format
    /// cannot tell (no upstream fields).
    pub generated_by: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RedirectHop {
    pub path: String,
    pub status: u16,
    pub count: u64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub location: Option<String>,
}

impl RedirectLoop {
    /// The loop as a [`culprit_kb::Finding`] (severity error: those clients get no page at all).
    pub fn finding(&self) -> culprit_kb::Finding {
        let mut codes: Vec<u16> = self.paths.iter().map(|p| p.status).collect();
        codes.sort_unstable();
        codes.dedup();
        let cycle = self.paths.iter().map(|p| p.path.as_str()).collect::<Vec<_>>().join(" → ");
        let mut f = culprit_kb::Finding::new(
            &self.cause,
            culprit_kb::Severity::Error,
            &codes,
            format!("service/{}", self.service),
            format!(
                "client {} was redirected {} times in {} on {}",
                self.client,
                self.redirects,
                span_words(&self.start, &self.end),
                if self.paths.len() > 1 { format!("the cycle {cycle}") } else { cycle }
            ),
        );
        for p in &self.paths {
            let to = p.location.as_deref().map(|l| format!(" → Location: {l}")).unwrap_or_default();
            f = f.with("redirect", format!("{} {} ×{}{to}", p.status, p.path, p.count));
        }
        f.with("generated_by", self.generated_by.clone())
    }
}

/// `3 s`, `under a second`: the length of a window given as two ISO times.
fn span_words(start: &str, end: &str) -> String {
    let ms =
        crate::time::parse_iso(end.as_bytes()).unwrap_or(0) - crate::time::parse_iso(start.as_bytes()).unwrap_or(0);
    if ms < 1000 { "under a second".into() } else { format!("{} s", ms / 1000) }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FilterSummary {
    /// `service ~ checkout, status 5xx`.
    pub description: String,
    /// Requests and errors the filter matches.
    pub requests: u64,
    pub errors: u64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct JoinSummary {
    /// Error-log lines read.
    pub lines: u64,
    /// Entries with a message culprit uses.
    pub usable: u64,
    /// Entries that explained at least one request.
    pub used: u64,
    /// Usable entries that explained no request (another time range, lines missing from the
    /// access log, requests filtered out before logging).
    pub left_over: u64,
    /// Joins that compared the error log's local times with access lines carrying no zone: their
    /// times were taken as UTC.
    pub assumed_utc: u64,
    /// Requests for which several different messages fitted (the closest was used).
    pub ambiguous: u64,
    /// Candidate entries left out because they contradicted the access line.
    pub inconsistent: u64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Incident {
    pub rank: u32,
    /// One sentence for the incident channel.
    pub headline: String,
    pub service: String,
    pub start: String,
    pub end: String,
    /// Error rate of the primary kind before the rise (`None`: too little data to tell).
    pub baseline_rate: Option<f64>,
    pub peak_rate: f64,
    /// Requests and errors (all kinds in this incident) inside the window.
    pub requests: u64,
    pub errors: u64,
    pub causes: Vec<IncidentCause>,
    /// Where the primary kind's errors went, most first.
    pub upstreams: Vec<Share>,
    pub paths: Vec<Share>,
    /// Commands from the knowledge base, placeholders filled where the logs tell.
    pub next_steps: Vec<NextStep>,
    /// With `--cluster`: the Service behind the incident's service name and what the cluster
    /// checks say about it, its pods and workloads.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cluster: Option<ClusterContext>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ClusterContext {
    /// `Service/default/checkout (port 8080 → http): 2 of 3 endpoints ready`.
    pub service: String,
    pub findings: Vec<culprit_kb::Finding>,
}

impl LogReport {
    /// Fills `findings` from the incidents and chronic errors (again after `--cluster` filled in
    /// next steps and Services).
    pub fn refresh_findings(&mut self) {
        self.findings = self
            .incidents
            .iter()
            .map(Incident::finding)
            .chain(self.redirect_loops.iter().map(RedirectLoop::finding))
            .chain(self.chronic.iter().map(Chronic::finding))
            .collect();
    }
}

impl Incident {
    /// The incident as a [`culprit_kb::Finding`]: its primary cause, every status it rose in, the
    /// headline, the evidence and the first next step.
    pub fn finding(&self) -> culprit_kb::Finding {
        let primary = &self.causes[0];
        let mut codes: Vec<u16> = self.causes.iter().map(|c| c.status).collect();
        codes.sort_unstable();
        codes.dedup();
        let mut f = culprit_kb::Finding::new(
            &primary.cause,
            culprit_kb::Severity::Error,
            &codes,
            // With --cluster, the Service it maps to (`Service/ns/name (port …): …`).
            self.cluster
                .as_ref()
                .and_then(|c| c.service.split(' ').next())
                .map_or_else(|| format!("service/{}", self.service), str::to_owned),
            self.headline.clone(),
        );
        f.evidence.clone_from(&primary.evidence);
        f.fix = self.next_steps.first().map(|s| s.command.clone());
        f
    }
}

impl Chronic {
    /// The chronic error as a [`culprit_kb::Finding`] (severity warning: present all along).
    pub fn finding(&self) -> culprit_kb::Finding {
        let mut f = culprit_kb::Finding::new(
            &self.cause,
            culprit_kb::Severity::Warning,
            &[self.status],
            format!("service/{}", self.service),
            format!(
                "{} {}: {} ({} errors, {:.1}% of requests, all along)",
                self.status,
                self.cause,
                self.title,
                self.errors,
                self.rate * 100.0
            ),
        );
        f.evidence.clone_from(&self.evidence);
        f
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct IncidentCause {
    pub status: u16,
    pub cause: String,
    pub title: String,
    /// Where the fault lives (from the knowledge base).
    pub layer: Layer,
    pub generated_by: GeneratedBy,
    pub owner: Owner,
    pub confidence: Confidence,
    pub errors: u64,
    pub baseline_rate: Option<f64>,
    pub peak_rate: f64,
    pub evidence: Vec<EvidenceItem>,
    pub example: Option<Example>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Example {
    pub file: String,
    pub line: u64,
    pub time: Option<String>,
    pub request_id: Option<String>,
    pub request: String,
    pub upstream: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Share {
    pub key: String,
    pub count: u64,
    pub share: f64,
    /// What the key is in the cluster (`logs --cluster`): the pod behind an upstream address.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resolved: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NextStep {
    pub check: String,
    pub title: String,
    pub command: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Chronic {
    pub service: String,
    pub status: u16,
    pub cause: String,
    pub title: String,
    pub generated_by: GeneratedBy,
    pub owner: Owner,
    pub confidence: Confidence,
    pub errors: u64,
    pub rate: f64,
    /// Share of time buckets with traffic in which it appears.
    pub presence: f64,
    pub evidence: Vec<EvidenceItem>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ServiceRow {
    pub service: String,
    pub requests: u64,
    pub errors: u64,
    pub error_rate: f64,
    /// Top error kinds: `{status} {cause}` with counts.
    pub top_errors: Vec<Share>,
    /// Upstreams with the most errors.
    pub top_upstreams: Vec<Share>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TimelineRow {
    pub start: String,
    pub requests: u64,
    pub client_errors: u64,
    pub server_errors: u64,
    /// Client hang-ups and non-HTTP statuses (499, 0, 009).
    pub other_errors: u64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Unparsed {
    pub count: u64,
    /// Known non-access lines skipped (error log, controller log, blank lines).
    pub other_lines: u64,
    pub lines_without_status: u64,
    pub by_reason: Vec<Share>,
    pub samples: Vec<BadLineSample>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BadLineSample {
    pub file: String,
    /// 0 when unknown (a line dropped for its length).
    pub line: u64,
    pub reason: String,
    pub text: String,
}

fn iso(ms: i64) -> String {
    format_utc(ms).replace(' ', "T") + "Z"
}

/// A clock time for a headline: `14:03`, or `14:03:27` when the window does not fall on minutes.
fn clock(ms: i64, seconds: bool) -> String {
    let end = if seconds { 19 } else { 16 };
    format_utc(ms)[11..end].to_string()
}

/// A rate as a person reads it: `0.01%`, `4.5%`, `15%`.
/// A count with thousands separators, as reports print it: `12,000`.
pub fn thousands(n: u64) -> String {
    let s = n.to_string();
    let mut out = String::with_capacity(s.len() + s.len() / 3);
    for (i, c) in s.chars().enumerate() {
        if i > 0 && (s.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    out
}

pub fn pct(r: f64) -> String {
    let p = r * 100.0;
    if p == 0.0 {
        "0%".into()
    } else if p < 0.1 {
        format!("{p:.2}%")
    } else if p < 10.0 {
        format!("{p:.1}%")
    } else {
        format!("{p:.0}%")
    }
}

fn majority<K: Copy + Ord>(map: &rustc_hash::FxHashMap<K, u64>, default: K) -> K {
    map.iter().max_by(|a, b| a.1.cmp(b.1).then(b.0.cmp(a.0))).map_or(default, |(k, _)| *k)
}

fn shares(map: &rustc_hash::FxHashMap<Box<[u8]>, u64>, total: u64) -> Vec<Share> {
    let mut v: Vec<(&Box<[u8]>, &u64)> = map.iter().collect();
    v.sort_by(|a, b| b.1.cmp(a.1).then(a.0.cmp(b.0)));
    v.into_iter()
        .take(TOP)
        .map(|(k, c)| Share {
            key: String::from_utf8_lossy(k).into_owned(),
            count: *c,
            share: rate(*c, total),
            resolved: None,
        })
        .collect()
}

pub fn build(analysis: &Analysis, detection: &Detection) -> LogReport {
    build_with(analysis, detection, None)
}

/// [`build`], with what a cluster says about the names and addresses in the logs (`logs
/// --cluster`): the pod behind an upstream address, the Service behind a service name and the
/// findings about it, the placeholders of the next steps. The report is built once, from data.
pub fn build_with(analysis: &Analysis, detection: &Detection, cluster: Option<&dyn ClusterFacts>) -> LogReport {
    let stats = &analysis.stats;
    let res = stats.resolution_ms;
    let filter = &analysis.filter;
    let env = environment(analysis);
    // The filter narrows what is shown: incidents of the services and statuses asked for, whose
    // window meets the time range (detection itself ran on all the traffic).
    let shown_groups: Vec<Group> = detection
        .incidents
        .iter()
        .filter(|g| filter.admits_service(&stats.services[g.service].name))
        .filter(|g| filter.admits_window(g.start * res, (g.end + 1) * res))
        .filter_map(|g| {
            let rises: Vec<_> = g.rises.iter().filter(|r| filter.admits_status(r.kind.0)).cloned().collect();
            (!rises.is_empty()).then(|| Group { rises, ..g.clone() })
        })
        .collect();
    let incidents: Vec<Incident> = shown_groups
        .iter()
        .enumerate()
        .map(|(i, g)| incident(analysis, g, u32::try_from(i + 1).unwrap_or(u32::MAX), &env, cluster))
        .collect();
    let chronic: Vec<Chronic> = detection
        .chronic
        .iter()
        .filter(|c| filter.admits_service(&stats.services[c.service].name) && filter.admits_status(c.kind.0))
        .filter_map(|c| {
            let svc = &stats.services[c.service];
            let ks = &svc.kinds[&c.kind];
            let cause = c.kind.1;
            // Within the time shown: the errors of this kind there, over the requests there.
            let here = shown(svc, filter, res);
            let errors = here.kinds.iter().find(|(k, _)| *k == c.kind).map_or(0, |(_, n)| *n);
            (errors > 0).then(|| Chronic {
                service: svc.name.clone(),
                status: c.kind.0,
                cause: cause.id().into(),
                title: title(cause),
                generated_by: majority(&ks.generated_by, GeneratedBy::Proxy),
                owner: cause.owner(),
                confidence: majority(&ks.confidence, Confidence::Low),
                errors,
                rate: rate(errors, here.requests),
                presence: c.presence,
                evidence: ks.sample.as_ref().map(|s| s.evidence.clone()).unwrap_or_default(),
            })
        })
        .collect();
    let mut services: Vec<ServiceRow> = stats
        .services
        .iter()
        .filter(|s| filter.admits_service(&s.name))
        .map(|s| service_row(s, filter, res))
        .filter(|row| row.requests > 0)
        .collect();
    services.sort_by(|a, b| b.errors.cmp(&a.errors).then(b.requests.cmp(&a.requests)));
    let requests = stats.services.iter().map(|s| s.requests).sum();
    let errors = stats.services.iter().map(|s| s.errors).sum();
    let mut report = LogReport {
        schema: SCHEMA.into(),
        inputs: analysis.inputs.clone(),
        lines: stats.lines,
        requests,
        errors,
        start: stats.first_ms.map(iso),
        end: stats.last_ms.map(iso),
        bucket_seconds: u64::try_from(res / 1000).unwrap_or(0),
        findings: Vec::new(),
        incidents,
        chronic,
        redirect_loops: redirect_loops(stats, filter),
        services,
        timeline: timeline(stats, filter),
        unparsed: unparsed(analysis),
        filter: (!filter.is_empty()).then(|| FilterSummary {
            description: filter.describe(),
            requests: stats.matched,
            errors: stats.matched_errors,
        }),
        join: analysis.join.map(|j| JoinSummary {
            lines: j.lines,
            usable: j.indexed,
            used: j.used,
            left_over: j.indexed.saturating_sub(j.used),
            assumed_utc: j.assumed_utc,
            ambiguous: j.ambiguous,
            inconsistent: j.inconsistent,
        }),
        environment: env,
    };
    report.refresh_findings();
    report
}

/// One incident as the report shows it (headline, causes, evidence, next steps), without building
/// the whole report: `culprit watch` prints each as it opens. The group's first rise is the one
/// the headline speaks of.
pub fn incident_report(analysis: &Analysis, g: &Group, cluster: Option<&dyn ClusterFacts>) -> Incident {
    let env = environment(analysis);
    incident(analysis, g, 1, &env, cluster)
}

fn redirect_loops(stats: &Stats, filter: &crate::engine::Filter) -> Vec<RedirectLoop> {
    let text = |b: &[u8]| String::from_utf8_lossy(b).into_owned();
    stats
        .redirects
        .loops()
        .into_iter()
        .map(|l| {
            let by_proxy = l.paths.iter().filter(|p| p.by_proxy == Some(true)).count();
            let known = l.paths.iter().filter(|p| p.by_proxy.is_some()).count();
            RedirectLoop {
                cause: Cause::RedirectLoop.id().into(),
                owner: Cause::RedirectLoop.owner(),
                client: text(&l.client),
                host: text(&l.host),
                service: l
                    .paths
                    .first()
                    .map(
                        |p| {
                            if p.service.is_empty() || &*p.service == b"-" {
                                NO_SERVICE.into()
                            } else {
                                text(&p.service)
                            }
                        },
                    )
                    .unwrap_or_default(),
                redirects: l.redirects,
                start: iso(l.first_ms),
                end: iso(l.last_ms),
                generated_by: match (by_proxy, known) {
                    (_, 0) => "unknown",
                    (0, _) => "upstream",
                    (n, k) if n == k => "proxy",
                    _ => "both",
                }
                .into(),
                paths: l
                    .paths
                    .iter()
                    .map(|p| RedirectHop {
                        path: text(&p.path),
                        status: p.status,
                        count: p.count,
                        location: (!p.location.is_empty()).then(|| text(&p.location)),
                    })
                    .collect(),
            }
        })
        .filter(|l| filter.admits_service(&l.service) && l.paths.iter().any(|p| filter.admits_status(p.status)))
        .take(TOP * 2)
        .collect()
}

fn title(cause: Cause) -> String {
    kb().cause(cause.id()).map_or_else(|| cause.id().to_string(), |c| c.title.clone())
}

fn incident(
    analysis: &Analysis,
    g: &Group,
    rank: u32,
    env: &Environment,
    cluster: Option<&dyn ClusterFacts>,
) -> Incident {
    let stats = &analysis.stats;
    let res = stats.resolution_ms;
    let svc = &stats.services[g.service];
    // Bucket edges, kept within the requests seen.
    let start_ms = stats.first_ms.map_or(g.start * res, |f| (g.start * res).max(f.div_euclid(1000) * 1000));
    let end_ms = stats.last_ms.map_or((g.end + 1) * res, |l| ((g.end + 1) * res).min(l.div_euclid(1000) * 1000 + 1000));
    let requests: u64 = svc.buckets.iter().filter(|(i, _)| (g.start..=g.end).contains(*i)).map(|(_, b)| b.total).sum();
    let causes: Vec<IncidentCause> = g
        .rises
        .iter()
        .map(|r| {
            let ks: &KindStats = &svc.kinds[&r.kind];
            let sample = window_sample(ks, (start_ms, end_ms));
            let cause = r.kind.1;
            let k = kb().cause(cause.id());
            IncidentCause {
                status: r.kind.0,
                cause: cause.id().into(),
                title: title(cause),
                layer: k.map_or(Layer::App, |k| k.layer),
                generated_by: majority(&ks.generated_by, GeneratedBy::Proxy),
                owner: cause.owner(),
                confidence: majority(&ks.confidence, Confidence::Low),
                errors: r.errors,
                baseline_rate: r.baseline,
                peak_rate: r.peak_rate,
                evidence: sample.map(|s| s.evidence.clone()).unwrap_or_default(),
                example: sample.map(|s| Example {
                    file: analysis.file(s.at).to_string(),
                    line: analysis.line_number(s.at),
                    time: s.time_ms.map(iso),
                    request_id: (!s.request_id.is_empty()).then(|| s.request_id.clone()),
                    request: s.request.clone(),
                    upstream: (!s.upstream.is_empty()).then(|| s.upstream.clone()),
                }),
            }
        })
        .collect();
    let errors = causes.iter().map(|c| c.errors).sum();
    let primary = &g.rises[0];
    let ks = &svc.kinds[&primary.kind];
    let mut upstreams = shares(&ks.upstreams, ks.count);
    let paths = shares(&ks.paths, ks.count);
    let mut top_pod = None;
    let mut service = None;
    if let Some(c) = cluster {
        for (i, u) in upstreams.iter_mut().enumerate() {
            let pod = c.pod_at(&u.key);
            u.resolved = pod.as_ref().map(|p| p.summary.clone());
            if i == 0 && u.share >= 0.5 {
                top_pod = pod;
            }
        }
        service = c.service_for(&svc.name);
    }
    let proxy = analysis
        .inputs
        .iter()
        .filter_map(|i| i.format.as_deref())
        .find_map(|name| Format::named(name).filter(|f| !f.is_error_log()));
    let ctx = StepContext {
        kubernetes: env.is_kubernetes(),
        proxy: proxy.as_ref(),
        error_log_read: analysis.join.is_some_and(|j| j.lines > 0),
    };
    let top = upstreams.first().filter(|u| u.share >= 0.5);
    // The pod behind most errors keeps crashing: its cause comes first (and its owner looks).
    let pod_cause = top_pod.as_ref().and_then(|p| p.cause.as_deref()).and_then(Cause::from_id);
    let mut next_steps: Vec<NextStep> = Vec::new();
    for cause in pod_cause.into_iter().chain(std::iter::once(primary.kind.1)) {
        for step in next_steps_for(cause, primary.kind.0, top, causes[0].example.as_ref(), &ctx) {
            if next_steps.len() < 3 && !next_steps.iter().any(|s| s.check == step.check) {
                next_steps.push(step);
            }
        }
    }
    let namespace =
        service.as_ref().map(|s| s.namespace.clone()).or_else(|| top_pod.as_ref().map(|p| p.namespace.clone()));
    for step in &mut next_steps {
        if let Some(p) = &top_pod {
            step.command = step.command.replace("<pod>", &p.name);
        }
        if let Some(ns) = &namespace {
            step.command = step.command.replace("<namespace>", ns);
        }
        if let Some(s) = &service {
            step.command = step.command.replace("<service>", &s.name);
        }
    }
    let mut headline = headline(svc, &causes[0], (start_ms, end_ms), upstreams.first(), pod_cause);
    if causes[0].status == 413 {
        if let Some((bytes, source)) = cluster.and_then(|c| c.body_limit(&svc.name)) {
            let limit = if bytes == 0 { "no limit".to_owned() } else { format!("{} KiB", bytes / 1024) };
            let _ = write!(headline, " The proxy's body limit for this service is {limit} ({source}).");
        }
    }
    Incident {
        rank,
        headline,
        service: svc.name.clone(),
        start: iso(start_ms),
        end: iso(end_ms),
        baseline_rate: primary.baseline,
        peak_rate: primary.peak_rate,
        requests,
        errors,
        causes,
        upstreams,
        paths,
        next_steps,
        cluster: service.map(|s| ClusterContext { service: s.summary, findings: s.findings }),
    }
}

/// The request that stands for a kind in an incident: one from inside its window (the middle one
/// of those kept, near the peak of most rises), else the kind's first.
fn window_sample(ks: &KindStats, (start, end): (i64, i64)) -> Option<&crate::stats::Sample> {
    let inside: Vec<&crate::stats::Sample> =
        ks.spread.values().filter(|s| s.time_ms.is_some_and(|t| (start..end).contains(&t))).collect();
    // One that went where most of the kind's errors went, when the address is known.
    let top = ks.upstreams.iter().max_by(|a, b| a.1.cmp(b.1).then(b.0.cmp(a.0))).map(|(k, _)| &**k);
    let to_top = top.and_then(|t| inside.iter().find(|s| s.upstream.as_bytes() == t));
    to_top.or_else(|| inside.get(inside.len() / 2)).copied().or(ks.sample.as_ref())
}

/// `window`: start and end of the incident, in ms.
fn headline(
    svc: &ServiceStats,
    c: &IncidentCause,
    window: (i64, i64),
    top: Option<&Share>,
    pod_cause: Option<Cause>,
) -> String {
    let (start_ms, end_ms) = window;
    let seconds = start_ms % 60_000 != 0 || end_ms % 60_000 != 0;
    let service = if svc.name == NO_SERVICE { "the service".to_string() } else { svc.name.clone() };
    let (from, to) = (clock(start_ms, seconds), clock(end_ms, seconds));
    let rise = match c.baseline_rate {
        Some(b) => format!(
            "{}s on {service} rose from {} to {} at {from} ({from}–{to} UTC)",
            c.status,
            pct(b),
            pct(c.peak_rate)
        ),
        None => format!(
            "{}s on {service} were {} of its requests from {from} to {to} UTC, from the start of these logs \
             (no earlier baseline to compare with)",
            c.status,
            pct(c.peak_rate)
        ),
    };
    let who = match c.generated_by {
        GeneratedBy::Client => "the client hung up".to_string(),
        GeneratedBy::Upstream => "passed through from the application".to_string(),
        GeneratedBy::Proxy => "generated by the proxy".to_string(),
        GeneratedBy::LoadBalancer => "generated by the load balancer".to_string(),
        GeneratedBy::Cdn => "generated by the CDN".to_string(),
    };
    let mut s = format!(
        "{rise}, {who}: {} ({} confidence).",
        c.title,
        match c.confidence {
            Confidence::High => "high",
            Confidence::Medium => "medium",
            Confidence::Low => "low",
        }
    );
    if let Some(t) = top.filter(|t| t.share >= 0.5 && t.key != "(other)") {
        match &t.resolved {
            Some(pod) => {
                let _ = write!(s, " {} of them went to {} = {pod}.", pct(t.share), t.key);
            }
            None => {
                let _ = write!(s, " {} of them went to {}.", pct(t.share), t.key);
            }
        }
    }
    if let Some(pc) = pod_cause {
        let _ = write!(s, " That pod keeps crashing ({}): {}.", title(pc), pc.owner().looks_first());
    } else {
        let who = c.owner.looks_first();
        let _ = write!(s, " {}{}.", who[..1].to_uppercase(), &who[1..]);
    }
    s
}

/// Checks culprit has already done by reading the logs: not worth sending the reader to.
const DONE_BY_READING_LOGS: [&str; 2] = ["ingress_logs", "ingress_error_log"];
/// Checks that look at one pod, first when the errors concentrate on one upstream address.
const ONE_POD: [&str; 2] = ["pod_by_ip", "pod_last_state"];

/// Where a run's requests come from, for next steps that fit: the proxy that wrote the log (its
/// format), whether the logs say Kubernetes, whether its error log was read.
struct StepContext<'a> {
    kubernetes: bool,
    proxy: Option<&'a Format>,
    error_log_read: bool,
}

/// The cause's checks from the knowledge base, with placeholders the logs can fill. When most errors
/// went to one upstream address, one pod is failing rather than the Service's configuration, so the
/// pod's checks come first.
///
/// Off Kubernetes, each check is replaced by its host-level equivalent (`on_hosts`) — checks that
/// have none are left out: kubectl commands would only send the reader astray —, a cloud load
/// balancer's checks are kept only for that load balancer's own logs, and the proxy's own checks
/// (its error log, its view of its backends: its responder's) follow.
fn next_steps_for(
    cause: Cause,
    status: u16,
    top: Option<&Share>,
    example: Option<&Example>,
    ctx: &StepContext<'_>,
) -> Vec<NextStep> {
    let kb = kb();
    let Some(k) = kb.cause(cause.id()) else { return Vec::new() };
    let top_addr = top.map(|t| t.key.as_str()).filter(|k| {
        k.rsplit_once(':').is_some_and(|(ip, _)| ip.trim_matches(['[', ']']).parse::<std::net::IpAddr>().is_ok())
    });
    let concentrated = top_addr.and_then(|a| a.rsplit_once(':'));
    let responder = ctx.proxy.and_then(Format::responder).and_then(|id| kb.responder(id));
    let cloud = ctx.proxy.is_some_and(|f| f.writer() != GeneratedBy::Proxy);
    let usable = |id: &str| -> Option<&str> {
        let c = kb.check(id)?;
        let id = match c.on_hosts.as_deref() {
            Some(host) if !ctx.kubernetes && c.needs_kubernetes() => host,
            None if !ctx.kubernetes && c.needs_kubernetes() => return None,
            _ => kb.check(id).map(|c| c.id.as_str())?,
        };
        let layer = kb.check(id)?.layer;
        if !ctx.kubernetes && !cloud && matches!(layer, Layer::LoadBalancer | Layer::Cdn) {
            return None;
        }
        // What culprit did by reading the logs (and the error log, when it was given).
        let read = DONE_BY_READING_LOGS.contains(&id) || (ctx.error_log_read && id.ends_with("error_log"));
        (!read).then_some(id)
    };
    let one_pod = if ctx.kubernetes { concentrated.map(|_| ONE_POD.as_slice()).unwrap_or_default() } else { &[] };
    let cause_checks: Vec<&str> =
        one_pod.iter().copied().chain(k.checks.iter().map(String::as_str)).filter_map(usable).collect();
    let own: Vec<&str> = if ctx.kubernetes {
        Vec::new()
    } else {
        responder.map(|r| r.checks.iter().map(String::as_str).filter_map(usable).collect()).unwrap_or_default()
    };
    // The cause's first check, then the proxy's own, alternately.
    let mut ids: Vec<&str> = Vec::new();
    for i in 0..cause_checks.len().max(own.len()) {
        for id in [cause_checks.get(i), own.get(i)].into_iter().flatten() {
            if !ids.contains(id) {
                ids.push(id);
            }
        }
    }
    let path =
        example.map(|e| e.request.split_once(' ').map_or("", |(_, p)| p)).map(|p| p.split('?').next().unwrap_or(p));
    let method = example.and_then(|e| e.request.split_once(' ').map(|(m, _)| m));
    ids.into_iter()
        .filter_map(|id| kb.check(id))
        .take(3)
        .map(|c| {
            let mut command = c.command.replace("<status>", &status.to_string());
            if let (Some(addr), Some((ip, port))) = (top_addr, concentrated) {
                command = command.replace("<pod-ip>", ip).replace("<container-port>", port);
                if !c.needs_kubernetes() {
                    // In kubectl commands `<port>` is the Service's port, not the backend's.
                    // Host-level checks name the upstream as the host to test.
                    command = command
                        .replace("<upstream>", addr)
                        .replace("<backend>", addr)
                        .replace("<backend-host>", ip.trim_matches(['[', ']']))
                        .replace("<host-port>", port)
                        .replace("<host>", ip.trim_matches(['[', ']']))
                        .replace("<port>", port);
                }
            }
            if let Some(p) = path.filter(|p| p.starts_with('/') && !p.contains(['\'', '"', ' '])) {
                command = command.replace("<path>", p);
            }
            if let Some(m) = method.filter(|m| m.bytes().all(|b| b.is_ascii_uppercase())) {
                command = command.replace("<METHOD>", m);
            }
            NextStep { check: c.id.clone(), title: c.title.clone(), command }
        })
        .collect()
}

/// A service's requests, errors and errors per kind within what the filter shows: the time range
/// (from the time buckets) and the statuses. Without a time range, the exact totals.
struct Shown {
    requests: u64,
    errors: u64,
    kinds: Vec<(crate::stats::Kind, u64)>,
}

fn shown(svc: &ServiceStats, filter: &crate::engine::Filter, res: i64) -> Shown {
    let mut kinds: BTreeMap<crate::stats::Kind, u64> = BTreeMap::new();
    let requests = if filter.since_ms.is_none() && filter.until_ms.is_none() {
        for (k, ks) in svc.kinds.iter().filter(|(k, _)| filter.admits_status(k.0)) {
            kinds.insert(*k, ks.count);
        }
        svc.requests
    } else {
        let mut requests = 0;
        for (i, b) in svc.buckets.iter().filter(|(i, _)| filter.admits_window(**i * res, (**i + 1) * res)) {
            let _ = i;
            requests += b.total;
            for &(k, n) in b.errors.iter().filter(|(k, _)| filter.admits_status(k.0)) {
                *kinds.entry(k).or_default() += n;
            }
        }
        requests
    };
    let errors = kinds.values().sum();
    let mut kinds: Vec<_> = kinds.into_iter().collect();
    kinds.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
    Shown { requests, errors, kinds }
}

fn service_row(svc: &ServiceStats, filter: &crate::engine::Filter, res: i64) -> ServiceRow {
    let shown = shown(svc, filter, res);
    let top_errors = shown
        .kinds
        .iter()
        .take(TOP)
        .map(|(k, n)| Share {
            key: format!("{} {}", k.0, k.1.id()),
            count: *n,
            share: rate(*n, shown.errors),
            resolved: None,
        })
        .collect();
    // (address, errors, requests), most errors first (over the whole input: addresses are not
    // kept per time bucket).
    let mut ups: Vec<(String, u64, u64)> = svc
        .upstreams
        .iter()
        .filter(|(_, v)| v.1 > 0)
        .map(|(k, v)| (String::from_utf8_lossy(k).into_owned(), v.1, v.0))
        .collect();
    ups.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    let top_upstreams = ups
        .into_iter()
        .take(TOP)
        .map(|(key, errors, requests)| Share { key, count: errors, share: rate(errors, requests), resolved: None })
        .collect();
    ServiceRow {
        service: svc.name.clone(),
        requests: shown.requests,
        errors: shown.errors,
        error_rate: rate(shown.errors, shown.requests),
        top_errors,
        top_upstreams,
    }
}

/// The status mix over time (of the services shown, within the time range shown), in at most
/// `TIMELINE_ROWS` rows.
fn timeline(stats: &Stats, filter: &crate::engine::Filter) -> Vec<TimelineRow> {
    let (Some(first), Some(last)) = (stats.first_ms, stats.last_ms) else { return Vec::new() };
    let res = stats.resolution_ms;
    let first = filter.since_ms.map_or(first, |s| first.max(s.div_euclid(res) * res));
    let last = filter.until_ms.map_or(last, |u| last.min(u - 1));
    if last < first {
        return Vec::new();
    }
    // Rows of a round duration (1 min, 5 min, 1 h…), a multiple of the aggregate resolution.
    let span_ms = last - first + 1;
    let row_ms = std::iter::once(res)
        .chain(NICE_S.iter().map(|s| s * 1000))
        .find(|&ms| ms % res == 0 && span_ms / ms < TIMELINE_ROWS)
        .unwrap_or_else(|| res * ((span_ms / res + TIMELINE_ROWS - 1) / TIMELINE_ROWS).max(1));
    let per_row = (row_ms / res).max(1);
    let b0 = first.div_euclid(row_ms) * per_row;
    let b1 = last.div_euclid(res);
    let rows = (b1 - b0 + 1 + per_row - 1) / per_row;
    let mut out: Vec<TimelineRow> = (0..rows)
        .map(|r| TimelineRow {
            start: iso((b0 + r * per_row) * res),
            requests: 0,
            client_errors: 0,
            server_errors: 0,
            other_errors: 0,
        })
        .collect();
    for svc in stats.services.iter().filter(|s| filter.admits_service(&s.name)) {
        for (&i, b) in &svc.buckets {
            if i < b0 || i > b1 {
                continue;
            }
            let Some(row) = usize::try_from((i - b0) / per_row).ok().and_then(|r| out.get_mut(r)) else { continue };
            row.requests += b.total;
            for &((status, _), n) in b.errors.iter().filter(|((s, _), _)| filter.admits_status(*s)) {
                match status {
                    500..=599 => row.server_errors += n,
                    400..=498 => row.client_errors += n,
                    _ => row.other_errors += n,
                }
            }
        }
    }
    out
}

fn unparsed(analysis: &Analysis) -> Unparsed {
    let stats = &analysis.stats;
    let bad = stats.bad_total();
    Unparsed {
        count: bad,
        other_lines: stats.other,
        lines_without_status: stats.no_status,
        by_reason: stats
            .bad
            .iter()
            .map(|(r, n)| Share { key: r.describe().into(), count: *n, share: rate(*n, bad), resolved: None })
            .collect(),
        samples: stats
            .bad_samples
            .iter()
            .map(|s| BadLineSample {
                file: analysis.file(s.at).to_string(),
                line: if s.at.line == 0 { 0 } else { analysis.line_number(s.at) },
                reason: s.reason.describe().into(),
                text: s.text.clone(),
            })
            .collect(),
    }
}
