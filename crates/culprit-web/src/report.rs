//! The log report page: one template for `culprit serve`'s report pages and the standalone file of
//! `culprit logs --html`. It renders a [`LogReport`] — the `--json` report, built once by the log
//! engine — plus what a page shows that a terminal cannot: a time series per service for its
//! chart and the error breakdowns, computed from the same aggregates ([`ReportView::new`]). The
//! standalone file carries aggregates only (never the per-request records), so its size does not
//! grow with the input's.

use crate::assets;
use crate::layout::{command, owner_badge};
use culprit_kb::{Layer, Owner, kb};
use culprit_logs::attribute::Cause;
use culprit_logs::engine::Analysis;
use culprit_logs::report::thousands as num;
use culprit_logs::report::{Incident, LogReport, Share, pct};
use culprit_logs::stats::{Kind, is_error};
use culprit_logs::time::{format_utc, parse_iso};
use maud::{DOCTYPE, Markup, PreEscaped, html};
use serde::Serialize;
use std::collections::BTreeMap;
use std::fmt::Write as _;

/// Charts drawn: the services with incidents first, then those with the most errors.
const MAX_CHARTS: usize = 8;
/// Points per chart at most (the aggregates are re-bucketed to fit).
const MAX_POINTS: usize = 240;
/// Rows of the breakdown and path tables.
const TOP_ROWS: usize = 15;

/// A report and what its page draws.
#[derive(Debug, Clone, Serialize)]
pub struct ReportView {
    pub report: LogReport,
    pub charts: Vec<ServiceChart>,
    pub by_layer: Vec<Count>,
    pub by_cause: Vec<CauseCount>,
    pub by_owner: Vec<Count>,
    /// Path templates with the most errors.
    pub paths: Vec<PathRow>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Count {
    pub key: String,
    pub errors: u64,
}

#[derive(Debug, Clone, Serialize)]
pub struct CauseCount {
    pub status: u16,
    pub cause: String,
    pub owner: Owner,
    pub layer: Option<Layer>,
    pub errors: u64,
}

#[derive(Debug, Clone, Serialize)]
pub struct PathRow {
    pub path: String,
    pub errors: u64,
    /// The error kind with the most errors on it: `502 upstream_connection_refused`.
    pub top_kind: String,
}

/// One service's error rate over time.
#[derive(Debug, Clone, Serialize)]
pub struct ServiceChart {
    pub service: String,
    /// The kind charted: the incident's primary kind, else the service's most frequent error.
    pub status: u16,
    pub cause: String,
    pub start_ms: i64,
    pub step_ms: i64,
    /// Per point: requests, errors of the charted kind, all errors.
    pub points: Vec<(u64, u64, u64)>,
    /// Incident windows on this service, ms.
    pub windows: Vec<(i64, i64)>,
    /// The kind's rate before the rise (incident), or over the whole input.
    pub baseline: Option<f64>,
}

impl ReportView {
    /// The report with the series and breakdowns of its aggregates.
    pub fn new(analysis: &Analysis, report: LogReport) -> ReportView {
        let stats = &analysis.stats;
        let res = stats.resolution_ms.max(1);
        // Services to chart: incidents first, in rank order, then by errors.
        let mut names: Vec<&str> = Vec::new();
        for inc in &report.incidents {
            if !names.contains(&inc.service.as_str()) {
                names.push(&inc.service);
            }
        }
        let mut by_errors: Vec<_> = stats.services.iter().filter(|s| s.errors > 0).collect();
        by_errors.sort_by(|a, b| b.errors.cmp(&a.errors).then(a.name.cmp(&b.name)));
        for s in by_errors {
            if !names.contains(&s.name.as_str()) {
                names.push(&s.name);
            }
        }
        names.truncate(MAX_CHARTS);
        let (first, last) = (stats.first_ms.unwrap_or(0).div_euclid(res), stats.last_ms.unwrap_or(0).div_euclid(res));
        let span = usize::try_from(last - first + 1).unwrap_or(1).max(1);
        let factor = i64::try_from(span.div_ceil(MAX_POINTS)).unwrap_or(1).max(1);
        let n_points = usize::try_from((last - first) / factor + 1).unwrap_or(1);
        let charts = names
            .iter()
            .filter_map(|name| {
                let s = stats.services.iter().find(|s| &s.name == name)?;
                let incident = report.incidents.iter().find(|i| &i.service == name);
                let kind: Kind = match incident.and_then(|i| i.causes.first()) {
                    Some(c) => (c.status, Cause::from_id(&c.cause)?),
                    None => {
                        *s.kinds
                            .iter()
                            .filter(|(k, _)| is_error(k.1))
                            .max_by_key(|(k, v)| (v.count, std::cmp::Reverse(**k)))?
                            .0
                    }
                };
                let mut points = vec![(0u64, 0u64, 0u64); n_points];
                for (idx, b) in &s.buckets {
                    let Ok(p) = usize::try_from((idx - first) / factor) else { continue };
                    if let Some(pt) = points.get_mut(p) {
                        pt.0 += b.total;
                        pt.1 += b.errors_of(kind);
                        pt.2 += b.errors.iter().map(|(_, n)| n).sum::<u64>();
                    }
                }
                let windows = report
                    .incidents
                    .iter()
                    .filter(|i| &i.service == name)
                    .filter_map(|i| Some((parse_iso(i.start.as_bytes())?, parse_iso(i.end.as_bytes())?)))
                    .collect();
                let kind_count = s.kinds.get(&kind).map_or(0, |k| k.count);
                let baseline = match incident {
                    Some(i) => i.causes.first().and_then(|c| c.baseline_rate),
                    None => Some(culprit_logs::incidents::rate(kind_count, s.requests)),
                };
                Some(ServiceChart {
                    service: s.name.clone(),
                    status: kind.0,
                    cause: kind.1.id().to_string(),
                    start_ms: first * res,
                    step_ms: factor * res,
                    points,
                    windows,
                    baseline,
                })
            })
            .collect();
        // Breakdowns over every error kind of every service.
        let mut layer: BTreeMap<String, u64> = BTreeMap::new();
        let mut owner: BTreeMap<String, u64> = BTreeMap::new();
        let mut cause: BTreeMap<(u16, &str), u64> = BTreeMap::new();
        let mut paths: BTreeMap<&[u8], (u64, BTreeMap<Kind, u64>)> = BTreeMap::new();
        for s in &stats.services {
            for (k, ks) in &s.kinds {
                if !is_error(k.1) {
                    continue;
                }
                let kbc = kb().cause(k.1.id());
                *layer.entry(kbc.map_or("unknown", |c| c.layer.id()).to_string()).or_default() += ks.count;
                *owner.entry(k.1.owner().label().to_string()).or_default() += ks.count;
                *cause.entry((k.0, k.1.id())).or_default() += ks.count;
                for (p, n) in &ks.paths {
                    let e = paths.entry(p).or_default();
                    e.0 += n;
                    *e.1.entry(*k).or_default() += n;
                }
            }
        }
        let sorted = |m: BTreeMap<String, u64>| {
            let mut v: Vec<Count> = m.into_iter().map(|(key, errors)| Count { key, errors }).collect();
            v.sort_by(|a, b| b.errors.cmp(&a.errors).then(a.key.cmp(&b.key)));
            v
        };
        let mut by_cause: Vec<CauseCount> = cause
            .into_iter()
            .map(|((status, id), errors)| {
                let c = Cause::from_id(id);
                CauseCount {
                    status,
                    cause: id.to_string(),
                    owner: c.map_or(Owner::None, Cause::owner),
                    layer: kb().cause(id).map(|c| c.layer),
                    errors,
                }
            })
            .collect();
        by_cause.sort_by(|a, b| b.errors.cmp(&a.errors).then(a.status.cmp(&b.status)));
        by_cause.truncate(TOP_ROWS);
        let mut paths: Vec<PathRow> = paths
            .into_iter()
            .map(|(p, (errors, kinds))| {
                let top = kinds.iter().max_by_key(|(k, n)| (**n, std::cmp::Reverse(**k))).map(|(k, _)| *k);
                PathRow {
                    path: String::from_utf8_lossy(p).into_owned(),
                    errors,
                    top_kind: top.map(|(s, c)| format!("{s} {}", c.id())).unwrap_or_default(),
                }
            })
            .collect();
        paths.sort_by(|a, b| b.errors.cmp(&a.errors).then(a.path.cmp(&b.path)));
        paths.truncate(TOP_ROWS);
        ReportView { report, charts, by_layer: sorted(layer), by_cause, by_owner: sorted(owner), paths }
    }
}

/// Where the report is shown: served (links to the knowledge-base pages, downloads, the
/// per-request table) or standalone (a file: no server behind it).
#[derive(Debug, Default)]
pub struct Context {
    /// The report's id on the server; `None` for the standalone file.
    pub id: Option<String>,
    /// The per-request section (served only).
    pub requests: Option<Markup>,
}

impl Context {
    fn served(&self) -> bool {
        self.id.is_some()
    }

    /// The per-request table filtered to one service, status and cause (served only).
    fn requests_href(&self, service: &str, status: u16, cause: &str) -> Option<String> {
        let id = self.id.as_ref()?;
        Some(format!(
            "/reports/{id}?service={}&status={status}&cause={}#requests",
            crate::layout::url_encode(service),
            crate::layout::url_encode(cause)
        ))
    }

    /// A cause id, linked to its page when served, with its title as a tooltip.
    fn cause(&self, id: &str) -> Markup {
        let title = kb().cause(id).map_or("", |c| c.title.as_str());
        html! {
            @if self.served() { a href={ "/id/" (id) } title=(title) { code { (id) } } }
            @else { code title=(title) { (id) } }
        }
    }
}

/// `1 error`, `12,000 requests`.
fn counted(n: u64, word: &str) -> String {
    format!("{} {word}{}", num(n), if n == 1 { "" } else { "s" })
}

fn hhmm(iso: &str) -> &str {
    iso.get(11..16).unwrap_or(iso)
}

/// A small horizontal bar for a share (SVG: the pages allow no inline style).
fn share_bar(share: f64) -> Markup {
    let w = (share.clamp(0.0, 1.0) * 100.0).round();
    html! { span.bar { svg viewBox="0 0 100 8" preserveAspectRatio="none" aria-hidden="true" { rect width=(w) height="8" fill="#c42b2b" {} } } }
}

fn shares_table(title: &str, shares: &[Share]) -> Markup {
    html! {
        @if !shares.is_empty() {
            table.small {
                thead { tr { th { (title) } th.num { "Errors" } th { "Share" } } }
                tbody { @for s in shares { tr {
                    td { code { (s.key) } @if let Some(r) = &s.resolved { " " span.muted { "(" (r) ")" } } }
                    td.num { (num(s.count)) }
                    td { (share_bar(s.share)) " " (pct(s.share)) }
                } } }
            }
        }
    }
}

/// The chart of one service: the charted kind's error rate per point, the incident windows
/// shaded, the baseline dashed, all errors dotted.
pub fn chart_svg(c: &ServiceChart) -> Markup {
    const W: f64 = 720.0;
    const H: f64 = 170.0;
    const L: f64 = 46.0;
    const R: f64 = 8.0;
    const T: f64 = 10.0;
    const B: f64 = 24.0;
    let rates: Vec<Option<(f64, f64)>> =
        c.points.iter().map(|&(t, k, a)| (t > 0).then(|| (k as f64 / t as f64, a as f64 / t as f64))).collect();
    let max_rate = rates.iter().flatten().map(|(k, _)| *k).chain(c.baseline).fold(0.0_f64, f64::max).max(0.001) * 1.15;
    let max_rate = max_rate.min(1.0);
    let n = c.points.len().max(2) as f64 - 1.0;
    let x = |i: f64| L + (W - L - R) * (i / n);
    let y = |r: f64| T + (H - T - B) * (1.0 - (r / max_rate).min(1.0));
    let span_ms = c.step_ms as f64 * n;
    let x_of_ms = |ms: i64| L + (W - L - R) * (((ms - c.start_ms) as f64 / span_ms).clamp(0.0, 1.0));
    let line = |pick: fn(&(f64, f64)) -> f64| {
        let mut d = String::new();
        let mut pen_up = true;
        for (i, r) in rates.iter().enumerate() {
            match r {
                Some(r) => {
                    let _ = write!(d, "{}{:.1} {:.1} ", if pen_up { 'M' } else { 'L' }, x(i as f64), y(pick(r)));
                    pen_up = false;
                }
                None => pen_up = true,
            }
        }
        d
    };
    let drawn = rates.iter().flatten().count();
    let end_ms = c.start_ms + c.step_ms * i64::try_from(c.points.len()).unwrap_or(0);
    html! {
        svg.chart viewBox={ "0 0 " (W) " " (H) } role="img" data-points=(drawn)
            aria-label={ (c.service) ": rate of " (c.status) " " (c.cause) " over time" } {
            title { (c.service) ": " (c.status) " " (c.cause) " rate per " (c.step_ms / 1000) " s" }
            @for (s, e) in &c.windows {
                rect.shade x=(format!("{:.1}", x_of_ms(*s))) y=(T) width=(format!("{:.1}", (x_of_ms(*e) - x_of_ms(*s)).max(2.0))) height=(H - T - B) {
                    title { "incident " (format_utc(*s)) " → " (format_utc(*e)) " UTC" }
                }
            }
            line.axis x1=(L) y1=(H - B) x2=(W - R) y2=(H - B) {}
            line.axis x1=(L) y1=(T) x2=(L) y2=(H - B) {}
            text x="2" y=(T + 8.0) { (pct(max_rate)) }
            text x="2" y=(H - B) { "0%" }
            @for (ms, label) in time_ticks(c.start_ms, end_ms) {
                @let tx = x_of_ms(ms);
                line.axis x1=(format!("{tx:.1}")) y1=(H - B) x2=(format!("{tx:.1}")) y2=(H - B + 4.0) {}
                // Labels at the edges stay inside the frame.
                @let anchor = if tx < L + 20.0 { "start" } else if tx > W - R - 20.0 { "end" } else { "middle" };
                text x=(format!("{tx:.1}")) y=(H - 6.0) text-anchor=(anchor) { (label) }
            }
            @if let Some(b) = c.baseline {
                line.baseline x1=(L) y1=(format!("{:.1}", y(b))) x2=(W - R) y2=(format!("{:.1}", y(b))) { title { "baseline " (pct(b)) } }
            }
            path.all d=(line(|r| r.1)) {}
            path.rate d=(line(|r| r.0)) {}
        }
    }
}

/// Round times between `start_ms` and `end_ms` for the chart's axis (about five), labelled
/// `HH:MM`, or `MM-DD HH:MM` when the span crosses days.
fn time_ticks(start_ms: i64, end_ms: i64) -> Vec<(i64, String)> {
    const MIN: i64 = 60_000;
    let span = (end_ms - start_ms).max(1);
    let step = [1, 2, 5, 10, 15, 30, 60, 120, 180, 360, 720, 1440, 2880, 10_080]
        .iter()
        .map(|m| m * MIN)
        .find(|s| span / s < 6)
        .unwrap_or(span);
    let days = format_utc(start_ms).get(..10) != format_utc(end_ms).get(..10);
    let mut out = Vec::new();
    let mut t = start_ms.div_euclid(step) * step;
    if t < start_ms {
        t += step;
    }
    while t <= end_ms {
        let full = format_utc(t);
        let label = if days { full.get(5..16) } else { full.get(11..16) };
        out.push((t, label.unwrap_or("").to_string()));
        t += step;
    }
    out
}

fn incident_card(inc: &Incident, ctx: &Context) -> Markup {
    html! {
        div.card.incident id={ "incident-" (inc.rank) } {
            p.headline { (inc.headline) }
            p.small.muted {
                "Service " code { (inc.service) } " · " (inc.start) " → " (inc.end)
                " · baseline " (inc.baseline_rate.map_or_else(|| "unknown".to_string(), pct)) " → peak " (pct(inc.peak_rate))
                " · " (num(inc.errors)) " errors of " (num(inc.requests)) " requests"
            }
            table.small {
                thead { tr { th { "Status" } th { "Cause" } th { "Generated by" } th { "Who looks first" } th { "Confidence" } th.num { "Errors" } @if ctx.served() { th {} } } }
                tbody { @for c in &inc.causes { tr {
                    td.status { (c.status) } td { (ctx.cause(&c.cause)) br; span.muted { (c.title) } }
                    td { (c.generated_by.id()) " " span.muted { "(" (c.layer.id()) ")" } }
                    td { (owner_badge(c.owner)) }
                    td { span class={ "badge conf-" (format!("{:?}", c.confidence).to_lowercase()) } { (format!("{:?}", c.confidence).to_lowercase()) } }
                    td.num { (num(c.errors)) }
                    @if let Some(href) = ctx.requests_href(&inc.service, c.status, &c.cause) { td.nowrap { a.small href=(href) { "these requests" } } }
                } } }
            }
            @if let Some(primary) = inc.causes.first() {
                @if !primary.evidence.is_empty() {
                    h3 { "Evidence" }
                    ul.small { @for e in &primary.evidence { li { span.muted { (e.source) ": " } code { (e.value) } } } }
                }
                @if let Some(ex) = &primary.example {
                    p.small { "Example: " code { (ex.request) } " — " (ex.file) ":" (ex.line)
                        @if let Some(t) = &ex.time { " at " (t) } @if let Some(u) = &ex.upstream { " → " code { (u) } } }
                }
            }
            div.grid {
                div { (shares_table("Upstream / pod", &inc.upstreams)) }
                div { (shares_table("Path", &inc.paths)) }
            }
            @if let Some(cl) = &inc.cluster {
                h3 { "In the cluster" }
                p.small { (cl.service) }
                ul.small { @for f in &cl.findings { li {
                    span class={ "badge sev-" (f.severity.id()) } { (f.severity.id()) } " " (f.title) " " (ctx.cause(&f.cause))
                    @if let Some(fix) = &f.fix { div.cmdbox { (crate::layout::prose_or_code(fix)) } }
                } } }
            }
            @if !inc.next_steps.is_empty() {
                h3 { "Next steps" }
                @for s in &inc.next_steps {
                    p.small { strong { (s.title) } " " span.muted { "(" (s.check) ")" } }
                    (command(&s.command, &crate::layout::Fills::default()))
                }
            }
        }
    }
}

fn count_table(title: &str, rows: &[Count], total: u64, owner: bool) -> Markup {
    html! {
        table.small {
            thead { tr { th { (title) } th.num { "Errors" } th { "Share" } } }
            tbody { @for r in rows { tr {
                td { @if owner { (owner_badge(owner_of_label(&r.key))) } @else { (r.key) } }
                td.num { (num(r.errors)) }
                td { (share_bar(culprit_logs::incidents::rate(r.errors, total))) }
            } } }
        }
    }
}

fn owner_of_label(label: &str) -> Owner {
    [Owner::Devops, Owner::Developer, Owner::Both, Owner::None]
        .into_iter()
        .find(|o| o.label() == label)
        .unwrap_or(Owner::None)
}

/// The report's body: the same for served pages and the standalone file.
pub fn body(view: &ReportView, ctx: &Context) -> Markup {
    let r = &view.report;
    let errors_total: u64 = view.by_owner.iter().map(|c| c.errors).sum();
    let inputs: Vec<&str> = r.inputs.iter().map(|i| i.path.as_str()).collect();
    html! {
        h1 { "Log report" }
        p.lead {
            (counted(r.requests, "request")) ", " (counted(r.errors, "error"))
            @if let (Some(s), Some(e)) = (&r.start, &r.end) { ", " (s) " → " (e) }
            " · " (inputs.join(", "))
        }
        @if let Some(id) = &ctx.id {
            p.small { "Download: "
                a href={ "/reports/" (id) "/report.json" } { "JSON" } " · "
                a href={ "/reports/" (id) "/report.md" } { "Markdown" } " · "
                a href={ "/reports/" (id) "/report.html" } { "HTML (one file, opens anywhere)" }
            }
        }
        h2 id="incidents" { "Incidents" }
        @if r.incidents.is_empty() {
            p.muted { "No incident: no error rate rose significantly above its service's own baseline." }
        }
        @for inc in &r.incidents { (incident_card(inc, ctx)) }
        @if !view.charts.is_empty() {
            h2 id="timeline" { "Error rate per service" }
            p.legend {
                span.k-rate { "━ rate of the charted error" } span.k-base { "╌ baseline" }
                span.k-all { "┄ all errors" } span.k-shade { "▇ incident window" }
                @if let Some(s) = &r.start { span { "times UTC, from " (s.get(..10).unwrap_or(s)) } }
            }
            div.charts {
                @for c in &view.charts {
                    h3 { code { (c.service) } " — " (c.status) " " (ctx.cause(&c.cause))
                        @if let Some(b) = c.baseline { " " span.small.muted { "baseline " (pct(b)) } } }
                    (chart_svg(c))
                }
            }
        }
        @if !r.redirect_loops.is_empty() {
            h2 { "Redirect loops" }
            @for l in &r.redirect_loops {
                div.card.incident { p { "Client " code { (l.client) } " on " code { (l.host) } " redirected " (num(l.redirects)) " times (" (l.start) " → " (l.end) ")" }
                    ul.small { @for h in &l.paths { li { (h.status) " " code { (h.path) } " ×" (h.count) @if let Some(loc) = &h.location { " → " code { (loc) } } } } } }
            }
        }
        @if !r.chronic.is_empty() {
            h2 id="chronic" { "Chronic errors" }
            p.small.muted { "Present most of the time, without a rise: not incidents, but worth a ticket." }
            table.small {
                thead { tr { th { "Service" } th { "Status" } th { "Cause" } th { "Who looks first" } th.num { "Errors" } th.num { "Rate" } th.num { "Presence" } } }
                tbody { @for c in &r.chronic { tr {
                    td { code { (c.service) } } td.status { (c.status) } td { (ctx.cause(&c.cause)) }
                    td { (owner_badge(c.owner)) } td.num { (num(c.errors)) } td.num { (pct(c.rate)) } td.num { (pct(c.presence)) }
                } } }
            }
        }
        h2 id="breakdown" { "Errors by layer, cause and owner" }
        div.grid {
            div { (count_table("Layer where the fault lives", &view.by_layer, errors_total, false)) }
            div { (count_table("Who looks first", &view.by_owner, errors_total, true)) }
        }
        table.small {
            thead { tr { th { "Status" } th { "Cause" } th { "Layer" } th { "Who looks first" } th.num { "Errors" } } }
            tbody { @for c in &view.by_cause { tr {
                td.status { (c.status) } td { (ctx.cause(&c.cause)) }
                td { @if let Some(l) = c.layer { (l.id()) } } td { (owner_badge(c.owner)) } td.num { (num(c.errors)) }
            } } }
        }
        h2 id="services" { "Services and upstreams" }
        table.small {
            thead { tr { th { "Service" } th.num { "Requests" } th.num { "Errors" } th.num { "Rate" } th { "Top errors" } th { "Upstreams with the most errors" } } }
            tbody { @for s in &r.services { tr {
                td { code { (s.service) } } td.num { (num(s.requests)) } td.num { (num(s.errors)) } td.num { (pct(s.error_rate)) }
                td { @for e in &s.top_errors { (e.key) " ×" (num(e.count)) br; } }
                td { @for u in &s.top_upstreams { code { (u.key) } " " (pct(u.share)) @if let Some(rv) = &u.resolved { " (" (rv) ")" } br; } }
            } } }
        }
        @if !view.paths.is_empty() {
            h2 id="paths" { "Path templates with the most errors" }
            table.small {
                thead { tr { th { "Path" } th.num { "Errors" } th { "Main error" } } }
                tbody { @for p in &view.paths { tr { td { code { (p.path) } } td.num { (num(p.errors)) } td { (p.top_kind) } } } }
            }
        }
        @if let Some(req) = &ctx.requests { (req) }
        h2 id="inputs" { "What was read" }
        table.small {
            thead { tr { th { "Input" } th { "Format" } th.num { "Lines" } th { "Note" } } }
            tbody { @for i in &r.inputs { tr {
                td { code { (i.path) } @if i.gzip { " (gzip)" } } td { (i.format.as_deref().unwrap_or("—")) @if let Some(w) = &i.wrapper { " in " (w) } }
                td.num { (num(i.lines)) } td.small { @if let Some(e) = &i.error { (e) } @if i.error_log_lines > 0 { (num(i.error_log_lines)) " error-log lines joined" } }
            } } }
        }
        @if r.unparsed.lines_without_status > 0 {
            p.small { (counted(r.unparsed.lines_without_status, "line")) " without a status (" code { "-" } ": no response was sent, usually because the client left first): read, not counted as requests" }
        }
        @if r.unparsed.count > 0 {
            p.small { (num(r.unparsed.count)) " lines could not be read: " @for s in &r.unparsed.by_reason { (s.key) " ×" (num(s.count)) " " } }
            @if !r.unparsed.samples.is_empty() {
                ul.small { @for s in &r.unparsed.samples { li { (s.file) ":" (s.line) " (" (s.reason) ") " code { (s.text) } } } }
            }
        }
        p.small.muted { "Environment: " (r.environment.kind) " — " (r.environment.reason) ". Aggregates at " (r.bucket_seconds) " s." }
        @if r.start.is_some() { p.small.muted { "Times are UTC. Window " (r.start.as_deref().map_or("", hhmm)) "–" (r.end.as_deref().map_or("", hhmm)) "." } }
    }
}

/// The standalone report: one HTML file with its stylesheet, script and data inline, allowed by
/// a CSP that names their hashes (no other script can run in it, whatever a log line holds).
pub fn standalone(view: &ReportView) -> String {
    let csp = format!(
        "default-src 'none'; script-src {}; style-src {}; img-src data:; base-uri 'none'; form-action 'none'",
        assets::csp_hash(assets::JS),
        assets::csp_hash(assets::CSS)
    );
    let title = view.report.incidents.first().map_or_else(|| "culprit log report".to_string(), |i| i.headline.clone());
    html! {
        (DOCTYPE)
        html lang="en" {
            head {
                meta charset="utf-8";
                meta http-equiv="Content-Security-Policy" content=(csp);
                meta name="viewport" content="width=device-width, initial-scale=1";
                link rel="icon" href="data:,";
                title { (title) }
                style { (PreEscaped(assets::CSS)) }
            }
            body {
                header.top { span.brand { "culprit" } span { "log report" } }
                main { (body(view, &Context::default())) }
                footer { "Written by culprit logs --html: aggregates only, no per-request records." }
                script { (PreEscaped(assets::JS)) }
            }
        }
    }
    .into_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ticks_fall_on_round_times() {
        let start = parse_iso(b"2026-03-08T13:30:00Z").unwrap();
        let end = parse_iso(b"2026-03-08T14:30:00Z").unwrap();
        let labels: Vec<String> = time_ticks(start, end).into_iter().map(|(_, l)| l).collect();
        assert_eq!(labels, ["13:30", "13:45", "14:00", "14:15", "14:30"]);
        let end = parse_iso(b"2026-03-10T02:00:00Z").unwrap();
        let labels: Vec<String> = time_ticks(start, end).into_iter().map(|(_, l)| l).collect();
        assert_eq!(labels.first().map(String::as_str), Some("03-09 00:00"));
        assert!(labels.len() <= 6, "{labels:?}");
    }
}
