//! Logs in the browser: upload (files, `.gz` included, or pasted lines), analysed while the bytes
//! stream in through the log engine's streaming face, the report page, the per-request table and
//! the downloads.
//!
//! The upload is never held whole: each chunk of the request body goes over a bounded channel to
//! one analysis thread that pushes it (decompressed on the fly when gzip) into an
//! [`Analyzer`]; the channel's bound makes a fast client wait for the analysis, so memory stays
//! constant whatever the upload's size. The first `records_per_report` requests are kept for the
//! per-request table; every request is counted in the report.

use crate::layout::{error_page, owner_badge_short, shell, url_encode};
use crate::report::{self, Context, ReportView};
use crate::store::{Records, StoredReport};
use crate::{AppState, page};
use axum::extract::multipart::MultipartRejection;
use axum::extract::{Multipart, Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use culprit_cluster::snapshot::Snapshot;
use culprit_logs::Analyzer;
use culprit_logs::engine::{Analysis, Options, RequestRecord};
use culprit_logs::formats::Format;
use culprit_logs::{incidents, report as logreport};
use maud::{Markup, html};
use std::fmt::Write as _;
use std::io::Write as _;
use std::sync::Arc;
use tokio::sync::mpsc;

/// Rows per page of the per-request table.
const PAGE_ROWS: usize = 50;

pub fn human_bytes(n: u64) -> String {
    const UNITS: [&str; 5] = ["bytes", "KiB", "MiB", "GiB", "TiB"];
    let mut v = n as f64;
    let mut u = 0;
    while v >= 1024.0 && u < UNITS.len() - 1 {
        v /= 1024.0;
        u += 1;
    }
    if u == 0 { format!("{n} bytes") } else { format!("{v:.1} {}", UNITS[u]) }
}

pub async fn upload_page(State(state): State<AppState>) -> Response {
    let limit = human_bytes(state.config.max_upload);
    let formats = Format::names();
    let body = html! {
        h1 { "Analyse logs" }
        p.lead { "Access logs of ingress-nginx, nginx, Envoy/Istio, HAProxy, Traefik, Caddy, Apache, ALB, CloudFront… (the format is recognised), plain or .gz, with error-log lines interleaved or as separate files. They are analysed as they upload; nothing is written to disk, and the report stays in this server's memory." }
        form data-upload data-max=(state.config.max_upload) action="/logs" method="post" enctype="multipart/form-data" {
            details.small {
                summary { "Options: format (recognised by itself), cluster dump" }
                p.muted { "culprit tells the formats apart by their lines. Choose one only to force it, or to describe your proxy's own format." }
                p { label { "Format" br;
                    select name="format" {
                        option value="" { "recognise it" }
                        @for n in &formats { option value=(n) { (n) } }
                        option value="custom-nginx" { "custom nginx log_format" }
                        option value="custom-apache" { "custom Apache LogFormat / varnishncsa -F" }
                        option value="custom-envoy" { "custom Envoy format" }
                        option value="custom-haproxy" { "custom HAProxy log-format" }
                    } } }
                p { label { "Template (for a custom format)" br;
                    input type="text" name="template" placeholder="$remote_addr - $remote_user [$time_local] \"$request\" $status …" aria-label="Custom format template"; } }
                p { label { "Cluster dump (optional, as " code { "logs --cluster" } "): names the pods and Services behind the incidents" br;
                    input type="file" name="cluster" multiple accept=".json,.yaml,.yml" aria-label="Cluster dump"; } }
            }
            div.drop {
                p { strong { "Drop log files here" } " or " }
                input type="file" name="files" multiple aria-label="Log files";
                p.small.muted data-files {}
            }
            p { label { "…or paste log lines:" br; textarea name="paste" rows="6" cols="100" placeholder="10.0.0.1 - - [08/Mar/2026:14:00:00 +0000] \"GET / HTTP/1.1\" 502 …" {} } }
            p { button.primary type="submit" { "Analyse" } " " span.small.muted { "Up to " (limit) " per upload (" code { "--max-upload" } ")." } }
            progress hidden value="0" max="1" {}
            p.small data-progress-note {}
        }
    };
    page(shell("Logs", &body))
}

/// What the request handler sends the analysis thread.
enum Msg {
    Begin(String),
    Data(axum::body::Bytes),
    End,
}

/// A compressed or archive format the analysis does not read, by its magic bytes.
fn other_archive(head: &[u8]) -> Option<&'static str> {
    const MAGIC: [(&[u8], &str); 5] = [
        (&[0x28, 0xb5, 0x2f, 0xfd], "zstd-compressed"),
        (b"BZh", "bzip2-compressed"),
        (&[0xfd, b'7', b'z', b'X', b'Z', 0x00], "xz-compressed"),
        (b"PK\x03\x04", "a zip archive"),
        (&[0x04, 0x22, 0x4d, 0x18], "lz4-compressed"),
    ];
    MAGIC.iter().find(|(m, _)| head.starts_with(m)).map(|(_, k)| *k)
}

/// The analysis thread of an upload, and the channel that feeds it.
type Worker = (mpsc::Sender<Msg>, tokio::task::JoinHandle<(Analysis, Records)>);

/// The analysis thread: inputs one after the other, gzip detected from the magic bytes.
fn analyse(mut rx: mpsc::Receiver<Msg>, opts: Options, max_records: usize, max_bytes: usize) -> (Analysis, Records) {
    let mut analyzer = Analyzer::new(opts);
    let mut records = Records::default();
    let mut input: Option<usize> = None;
    let mut gz: Option<flate2::write::MultiGzDecoder<Vec<u8>>> = None;
    // The first bytes of an input, until there are two to tell gzip by.
    let mut head: Vec<u8> = Vec::new();
    let mut sniffed = false;
    let push = |analyzer: &mut Analyzer, records: &mut Records, id: usize, data: &[u8]| {
        if records.rows.len() < max_records && records.bytes < max_bytes {
            let mut keep = |r: RequestRecord| {
                if records.rows.len() < max_records && records.bytes < max_bytes {
                    records.bytes += Records::size_of(&r);
                    records.rows.push(r);
                }
            };
            analyzer.push_bytes(id, data, Some(&mut keep));
        } else {
            analyzer.push_bytes(id, data, None);
        }
    };
    let feed = |analyzer: &mut Analyzer,
                records: &mut Records,
                gz: &mut Option<flate2::write::MultiGzDecoder<Vec<u8>>>,
                id: usize,
                data: &[u8]| {
        if let Some(dec) = gz {
            dec.write_all(data)?;
            // Decompressed into the decoder's buffer: analysed, then the buffer is reused.
            let mut out = std::mem::take(dec.get_mut());
            push(analyzer, records, id, &out);
            out.clear();
            *dec.get_mut() = out;
        } else {
            push(analyzer, records, id, data);
        }
        Ok::<(), std::io::Error>(())
    };
    let mut failed: Option<String> = None;
    while let Some(msg) = rx.blocking_recv() {
        match msg {
            Msg::Begin(name) => {
                input = Some(analyzer.add_input(name));
                gz = None;
                head.clear();
                sniffed = false;
                failed = None;
            }
            Msg::Data(bytes) => {
                let Some(id) = input else { continue };
                if failed.is_some() {
                    continue;
                }
                let owned: Vec<u8>;
                let data: &[u8] = if sniffed {
                    &bytes
                } else {
                    head.extend_from_slice(&bytes);
                    if head.len() < 6 {
                        continue;
                    }
                    sniffed = true;
                    if let Some(kind) = other_archive(&head) {
                        // Not text, not gzip: say what it is rather than "unrecognised format".
                        failed = Some(format!(
                            "{kind}: culprit reads plain text and gzip; decompress it first (or gzip the text)"
                        ));
                        head.clear();
                        continue;
                    }
                    if head.starts_with(&[0x1f, 0x8b]) {
                        analyzer.note_gzip(id);
                        gz = Some(flate2::write::MultiGzDecoder::new(Vec::with_capacity(1 << 20)));
                    }
                    owned = std::mem::take(&mut head);
                    &owned
                };
                if let Err(e) = feed(&mut analyzer, &mut records, &mut gz, id, data) {
                    failed = Some(format!("not a valid gzip stream: {e}"));
                }
            }
            Msg::End => {
                let Some(id) = input.take() else { continue };
                if !sniffed && !head.is_empty() {
                    let h = std::mem::take(&mut head);
                    push(&mut analyzer, &mut records, id, &h);
                }
                if let Some(mut dec) = gz.take() {
                    if failed.is_none() {
                        if let Err(e) = dec.try_finish() {
                            failed = Some(format!("the gzip stream is cut short: {e}"));
                        }
                        let out = std::mem::take(dec.get_mut());
                        push(&mut analyzer, &mut records, id, &out);
                    }
                }
                let mut keep = |r: RequestRecord| {
                    if records.rows.len() < max_records && records.bytes < max_bytes {
                        records.bytes += Records::size_of(&r);
                        records.rows.push(r);
                    }
                };
                analyzer.end_input(id, Some(&mut keep));
                if let Some(f) = failed.take() {
                    // Reported with the input's summary, like the terminal's per-file errors.
                    analyzer.note_input_error(id, f);
                }
            }
        }
    }
    let mut keep = |r: RequestRecord| {
        if records.rows.len() < max_records && records.bytes < max_bytes {
            records.bytes += Records::size_of(&r);
            records.rows.push(r);
        }
    };
    let analysis = analyzer.finish(Some(&mut keep));
    records.dropped = analysis.stats.matched.saturating_sub(records.rows.len() as u64);
    (analysis, records)
}

/// The 413 page: the limit, how to raise it, and what to do locally instead (`elsewhere`).
pub(crate) fn too_large_with(max: u64, elsewhere: &str) -> Response {
    error_page(
        StatusCode::PAYLOAD_TOO_LARGE,
        "Upload too large",
        &format!(
            "This server accepts uploads of up to {} ({} bytes), counted as sent (a .gz counts compressed). \
             To accept larger ones, restart it with a higher limit, e.g. `culprit serve --max-upload 8GiB`; \
             {elsewhere}",
            human_bytes(max),
            max
        ),
    )
}

fn too_large(max: u64) -> Response {
    too_large_with(
        max,
        "or compress the logs (gzip), or run `culprit logs FILE --html report.html` on the machine that has \
         them: it reads any size.",
    )
}

/// The 413 page for an upload the page's script found too large before sending it (a browser may
/// report a reset connection instead of a 413 that arrives while it is still sending).
pub async fn too_large_page(State(state): State<AppState>) -> Response {
    too_large(state.config.max_upload)
}

/// The format the upload form asks for: recognised (none given), a name from `--format`'s list, or
/// a custom template of one of the four kinds.
fn chosen_format(name: &str, template: &str) -> Result<Option<Format>, String> {
    let template = template.trim();
    let custom = |kind: &str, f: fn(&str) -> Result<Format, culprit_logs::formats::nginx::FormatError>| {
        if template.is_empty() {
            return Err(format!(
                "'{kind}' was chosen as the format, but the template field is empty: paste your format's template there"
            ));
        }
        f(template).map(Some).map_err(|e| format!("the {kind} in the template field: {e}"))
    };
    match name.trim() {
        "" => Ok(None),
        "custom-nginx" => custom("nginx log_format", Format::nginx_custom),
        "custom-apache" => custom("Apache LogFormat", Format::apache_custom),
        "custom-envoy" => custom("Envoy format", Format::envoy_custom),
        "custom-haproxy" => custom("HAProxy log-format", Format::haproxy_custom),
        n => Format::by_name(n)
            .map(Some)
            .ok_or_else(|| format!("unknown format '{n}'; known: {}", Format::names_and_aliases())),
    }
}

/// The format fields of the form: read whole (they are short), before any log data.
async fn small_text(field: axum::extract::multipart::Field<'_>) -> Result<String, String> {
    let text = field.text().await.map_err(|e| e.body_text())?;
    if text.len() > 64 << 10 {
        return Err("the format field holds more than 64 KiB: it takes one log_format template".into());
    }
    Ok(text)
}

fn bad_upload(message: &str) -> Response {
    error_page(StatusCode::BAD_REQUEST, "The upload could not be read", message)
}

pub async fn upload(State(state): State<AppState>, multipart: Result<Multipart, MultipartRejection>) -> Response {
    let mut multipart = match multipart {
        Ok(m) => m,
        Err(e) => {
            return bad_upload(&format!(
                "{}. Send the form of /logs (multipart/form-data: files in 'files', pasted lines in 'paste'), \
                 e.g. curl -F files=@access.log http://127.0.0.1:8080/logs",
                e.body_text()
            ));
        }
    };
    let max = state.config.max_upload;
    let limits = state.reports.limits();
    let per_report_bytes = limits.bytes / 2;
    // The analysis starts at the first log bytes, with the format fields read before them.
    let (mut format_name, mut template) = (String::new(), String::new());
    let mut snapshot: Option<Snapshot> = None;
    let mut facts: Option<Arc<Snapshot>> = None;
    let mut worker: Option<Worker> = None;
    let mut total: u64 = 0;
    let mut over = false;
    let mut inputs = 0usize;
    let mut failure: Option<String> = None;
    'fields: loop {
        let mut field = match multipart.next_field().await {
            Ok(Some(f)) => f,
            Ok(None) => break,
            Err(e) if e.status() == StatusCode::PAYLOAD_TOO_LARGE => {
                over = true;
                break;
            }
            Err(e) => {
                failure = Some(e.body_text());
                break;
            }
        };
        match field.name() {
            Some("cluster") => {
                // A kubectl dump, as `logs --cluster`: read whole (it is small), before the logs,
                // since its per-service proxy timeouts inform the attribution.
                if worker.is_some() {
                    failure = Some("the cluster dump comes after log data: send it first".into());
                    break;
                }
                let label = field.file_name().unwrap_or("cluster dump").to_string();
                let mut data = Vec::new();
                while let Some(chunk) = match field.chunk().await {
                    Ok(c) => c,
                    Err(e) => {
                        over = e.status() == StatusCode::PAYLOAD_TOO_LARGE;
                        failure = (!over).then(|| e.body_text());
                        break 'fields;
                    }
                } {
                    total += chunk.len() as u64;
                    if total > max {
                        over = true;
                        break 'fields;
                    }
                    data.extend_from_slice(&chunk);
                }
                if !data.is_empty() {
                    let text = String::from_utf8_lossy(&data);
                    let snap = snapshot.get_or_insert_with(Snapshot::default);
                    if matches!(text.trim_start().chars().next(), Some('{' | '[')) {
                        snap.add_text(&label, &text);
                    } else {
                        snap.add_yaml(&label, &text);
                    }
                }
                continue;
            }
            Some(n @ ("format" | "template")) => {
                if worker.is_some() {
                    failure = Some(format!("the '{n}' field comes after log data: send the format fields first"));
                    break;
                }
                let is_format = n == "format";
                match small_text(field).await {
                    Ok(t) if is_format => format_name = t,
                    Ok(t) => template = t,
                    Err(e) => {
                        failure = Some(e);
                        break;
                    }
                }
                continue;
            }
            _ => {}
        }
        let label = match (field.name(), field.file_name()) {
            (_, Some(f)) if !f.is_empty() => f.to_string(),
            (Some("paste"), _) => "pasted lines".to_string(),
            _ => "upload".to_string(),
        };
        let mut begun = false;
        loop {
            match field.chunk().await {
                Ok(Some(bytes)) => {
                    total += bytes.len() as u64;
                    if total > max {
                        over = true;
                    }
                    if over || bytes.is_empty() {
                        continue;
                    }
                    if worker.is_none() {
                        let format = match chosen_format(&format_name, &template) {
                            Ok(f) => f,
                            Err(e) => {
                                failure = Some(e);
                                break 'fields;
                            }
                        };
                        let mut opts = Options { format, ..Options::default() };
                        if let Some(snap) = snapshot.take() {
                            if snap.object_count() == 0 {
                                failure = Some(format!(
                                    "the cluster dump holds no Kubernetes object ({}); write it with: {}",
                                    if snap.problems.is_empty() {
                                        "nothing read".to_string()
                                    } else {
                                        snap.problems.join("; ")
                                    },
                                    culprit_cluster::DUMP_COMMAND.replace('\n', " ; ")
                                ));
                                break 'fields;
                            }
                            let snap = Arc::new(snap);
                            let timeouts = Arc::clone(&snap);
                            opts.service_timeouts = Some(Arc::new(move |name: &str| {
                                culprit_kb::context::ClusterFacts::proxy_timeouts(&*timeouts, name)
                            }));
                            facts = Some(snap);
                        }
                        let (tx, rx) = mpsc::channel::<Msg>(16);
                        let records = limits.records_per_report;
                        let handle = tokio::task::spawn_blocking(move || analyse(rx, opts, records, per_report_bytes));
                        worker = Some((tx, handle));
                    }
                    let Some((tx, _)) = &worker else { break };
                    if !begun {
                        begun = true;
                        inputs += 1;
                        if tx.send(Msg::Begin(label.clone())).await.is_err() {
                            break;
                        }
                    }
                    if tx.send(Msg::Data(bytes)).await.is_err() {
                        break;
                    }
                }
                Ok(None) => break,
                Err(e) if e.status() == StatusCode::PAYLOAD_TOO_LARGE => {
                    over = true;
                    break;
                }
                Err(e) => {
                    failure = Some(e.body_text());
                    break 'fields;
                }
            }
        }
        if begun && !over {
            if let Some((tx, _)) = &worker {
                let _ = tx.send(Msg::End).await;
            }
        }
        if over {
            break;
        }
    }
    // Closing the channel ends the analysis; its result is awaited even when it is thrown away,
    // so no thread outlives the request.
    let joined = match worker {
        Some((tx, handle)) => {
            drop(tx);
            Some(handle.await)
        }
        None => None,
    };
    if over {
        return too_large(max);
    }
    if let Some(f) = failure {
        return bad_upload(&f);
    }
    let Some(joined) = joined else {
        return error_page(StatusCode::BAD_REQUEST, "Nothing to analyse", "Choose log files or paste some lines.");
    };
    let Ok((analysis, records)) = joined else {
        return error_page(StatusCode::INTERNAL_SERVER_ERROR, "The analysis failed", "The analysis thread stopped.");
    };
    if inputs == 0 {
        return error_page(StatusCode::BAD_REQUEST, "Nothing to analyse", "Choose log files or paste some lines.");
    }
    let detection = incidents::detect(&analysis.stats);
    let report = logreport::build_with(
        &analysis,
        &detection,
        facts.as_deref().map(|s| s as &dyn culprit_kb::context::ClusterFacts),
    );
    if report.requests == 0 {
        return nothing_read(&report, !format_name.trim().is_empty());
    }
    let view = ReportView::new(&analysis, report);
    let id = state.reports.next_id();
    state.reports.insert(StoredReport { id: id.clone(), view, records });
    Redirect::to(&format!("/reports/{id}")).into_response()
}

/// No request in the upload: say per input why (as the terminal does), and what to try, instead
/// of a report of zeros.
fn nothing_read(report: &logreport::LogReport, forced: bool) -> Response {
    let body = html! {
        div.card.error-page {
            h1 { "422 — No request could be read" }
            p { "None of the uploaded lines is an access-log line culprit could read. Per input:" }
            div.scroll { table.small {
                thead { tr { th { "Input" } th.num { "Lines" } th { "What happened" } } }
                tbody { @for i in &report.inputs { tr {
                    td { code { (i.path) } @if i.gzip { " (gzip)" } }
                    td.num { (i.lines) }
                    td { @if let Some(e) = &i.error { (e) } @else if i.lines == 0 { "empty" }
                        @else if i.format.as_deref().is_some_and(|f| f.starts_with("error log")) {
                            "an error log: its lines explain the requests of an access log — upload it together with that access log" }
                        @else {
                        "read as " (i.format.as_deref().unwrap_or("?")) ", but no line matched it" } }
                } } }
            } }
            @if forced {
                p { "A format was chosen on the form: is it the right one? Without it culprit recognises the format itself." }
            } @else {
                p { "If the proxy writes its own format, choose " em { "custom" } " under " em { "Format" }
                    " on " a href="/logs" { "the upload page" } " and paste its template (nginx " code { "log_format" }
                    ", Apache " code { "LogFormat" } ", Envoy or HAProxy " code { "log-format" } ")." }
                details.small { summary { "Formats recognised" } p { (Format::names_and_aliases()) } }
            }
            p { a href="/logs" { "Back to the upload" } }
        }
    };
    crate::html_response(StatusCode::UNPROCESSABLE_ENTITY, shell("No request read", &body).into_string())
}

#[derive(Debug, Default, serde::Deserialize)]
pub struct RequestFilter {
    #[serde(default)]
    service: Option<String>,
    #[serde(default)]
    status: Option<String>,
    #[serde(default)]
    cause: Option<String>,
    #[serde(default)]
    owner: Option<String>,
    /// Text, not a number: a hand-edited `page=abc` shows the first page rather than an error.
    #[serde(default)]
    page: Option<String>,
}

fn some(s: Option<&String>) -> Option<&str> {
    s.map(|s| s.trim()).filter(|s| !s.is_empty())
}

impl RequestFilter {
    fn admits(&self, r: &RequestRecord) -> bool {
        if let Some(s) = some(self.service.as_ref()) {
            if r.service.as_deref() != Some(s) {
                return false;
            }
        }
        if let Some(st) = some(self.status.as_ref()) {
            if st == "errors" {
                if r.status < 400 {
                    return false;
                }
                return self.admits_rest(r);
            }
            let code = r.status.to_string();
            let class = st.len() == 3 && st.ends_with("xx") && code.starts_with(&st[..1]);
            if code != st && !class {
                return false;
            }
        }
        self.admits_rest(r)
    }

    /// The cause and owner filters.
    fn admits_rest(&self, r: &RequestRecord) -> bool {
        if let Some(c) = some(self.cause.as_ref()) {
            if r.cause != c {
                return false;
            }
        }
        if let Some(o) = some(self.owner.as_ref()) {
            if r.owner.id() != o {
                return false;
            }
        }
        true
    }

    fn query(&self, page: usize) -> String {
        let mut q = format!("page={page}");
        for (k, v) in
            [("service", &self.service), ("status", &self.status), ("cause", &self.cause), ("owner", &self.owner)]
        {
            if let Some(v) = some(v.as_ref()) {
                let _ = write!(q, "&{k}={}", url_encode(v));
            }
        }
        q
    }
}

fn select(name: &str, label: &str, current: Option<&str>, options: &[String]) -> Markup {
    html! {
        label { (label)
            select name=(name) {
                option value="" { "any" }
                @for o in options { option value=(o) selected[current == Some(o.as_str())] { (o) } }
            }
        }
    }
}

fn requests_section(id: &str, stored: &StoredReport, f: &RequestFilter) -> Markup {
    let rows = &stored.records.rows;
    let mut services: Vec<String> = stored.view.report.services.iter().map(|s| s.service.clone()).collect();
    services.sort();
    let mut statuses: Vec<u16> = rows.iter().map(|r| r.status).collect();
    statuses.sort_unstable();
    statuses.dedup();
    // "errors": every 4xx and 5xx, the view an incident starts from.
    let mut status_opts: Vec<String> = vec!["errors".to_string()];
    for s in &statuses {
        let class = format!("{}xx", s / 100);
        if !status_opts.contains(&class) {
            status_opts.push(class);
        }
        status_opts.push(s.to_string());
    }
    let mut causes: Vec<String> = rows.iter().map(|r| r.cause.clone()).collect();
    causes.sort();
    causes.dedup();
    let owners: Vec<String> = ["devops", "developer", "both", "none"].iter().map(|s| (*s).to_string()).collect();
    let matching: Vec<&RequestRecord> = rows.iter().filter(|r| f.admits(r)).collect();
    let pages = matching.len().div_ceil(PAGE_ROWS).max(1);
    let page = f.page.as_deref().and_then(|p| p.trim().parse().ok()).unwrap_or(1).clamp(1, pages);
    let shown = matching.iter().skip((page - 1) * PAGE_ROWS).take(PAGE_ROWS);
    // The file name is worth its column only when there are several.
    let many_files = stored.view.report.inputs.len() > 1;
    html! {
        h2 id="requests" { "Requests" }
        p.small.muted {
            "Every request, attributed. Kept: the first " (rows.len()) " of the upload"
            @if stored.records.dropped > 0 { " (" (stored.records.dropped) " more were analysed and counted above, but not kept for this table: the server keeps at most " (stored.records.rows.len()) " per report)" }
            "."
        }
        form.fields method="get" action={ "/reports/" (id) "#requests" } {
            (select("service", "service", some(f.service.as_ref()), &services))
            (select("status", "status", some(f.status.as_ref()), &status_opts))
            (select("cause", "cause", some(f.cause.as_ref()), &causes))
            (select("owner", "owner", some(f.owner.as_ref()), &owners))
            button type="submit" { "Filter" }
            a href={ "/reports/" (id) "#requests" } { "clear" }
        }
        p.small data-matching=(matching.len()) { (matching.len()) " matching · page " (page) " of " (pages) }
        div.scroll {
            table.small.requests {
                thead { tr { th { "Line" } th { "Time (UTC)" } th { "Service" } th { "Request" } th { "Status" } th { "Cause" } th { "Generated by" } th { "Who looks first" } th { "Upstream" } th { "Evidence" } } }
                tbody {
                    @for r in shown { tr {
                        td.nowrap title=(r.file) { @if many_files { (r.file) ":" } (r.line) }
                        td.nowrap title=(r.time.as_deref().unwrap_or("")) { (r.time.as_deref().map_or("", clock)) }
                        td { code { (r.service.as_deref().unwrap_or("")) } }
                        td { code { (r.method.as_deref().unwrap_or("")) " " (r.path.as_deref().unwrap_or("")) } }
                        td.status { (r.status) }
                        td { a href={ "/id/" (r.cause) } { code { (r.cause) } } }
                        td { (r.generated_by.id()) }
                        td { (owner_badge_short(r.owner)) }
                        td { code { (r.upstream.as_deref().unwrap_or("")) } }
                        td { @for e in r.evidence.iter().take(2) { span.muted { (e.source) ": " } code { (e.value) } br; } }
                    } }
                }
            }
        }
        div.pager {
            @if page > 1 { a.button href={ "/reports/" (id) "?" (f.query(page - 1)) "#requests" } { "← Previous" } }
            @if page < pages { a.button href={ "/reports/" (id) "?" (f.query(page + 1)) "#requests" } { "Next →" } }
        }
    }
}

/// `2026-03-08T13:52:20Z` → `13:52:20` (the date is in the report's header; the full time is the
/// cell's tooltip).
fn clock(iso: &str) -> &str {
    iso.get(11..19).filter(|_| iso.len() >= 19).unwrap_or(iso)
}

fn missing(id: &str) -> Response {
    error_page(
        StatusCode::NOT_FOUND,
        "No such report",
        &format!(
            "No report '{id}' on this server: reports live in its memory only, for this session, and the oldest \
             go when more are uploaded. Upload the logs again."
        ),
    )
}

pub async fn report_page(
    State(state): State<AppState>,
    Path(id): Path<String>,
    Query(f): Query<RequestFilter>,
) -> Response {
    let Some(stored) = state.reports.get(&id) else { return missing(&id) };
    let ctx = Context { id: Some(id.clone()), requests: Some(requests_section(&id, &stored, &f)) };
    let title = stored.view.report.incidents.first().map_or("Log report", |i| i.headline.as_str()).to_string();
    page(shell(&title, &report::body(&stored.view, &ctx)))
}

pub async fn download_json(State(state): State<AppState>, Path(id): Path<String>) -> Response {
    let Some(stored) = state.reports.get(&id) else { return missing(&id) };
    match serde_json::to_string_pretty(&stored.view.report) {
        Ok(json) => crate::kbpages::download(json + "\n", "application/json", "culprit-report.json"),
        Err(e) => error_page(StatusCode::INTERNAL_SERVER_ERROR, "JSON failed", &e.to_string()),
    }
}

pub async fn download_markdown(State(state): State<AppState>, Path(id): Path<String>) -> Response {
    let Some(stored) = state.reports.get(&id) else { return missing(&id) };
    match &state.config.markdown {
        Some(render) => {
            crate::kbpages::download(render(&stored.view.report), "text/markdown; charset=utf-8", "culprit-report.md")
        }
        None => error_page(
            StatusCode::NOT_IMPLEMENTED,
            "No Markdown here",
            "This server was built without the Markdown renderer.",
        ),
    }
}

pub async fn download_html(State(state): State<AppState>, Path(id): Path<String>) -> Response {
    let Some(stored) = state.reports.get(&id) else { return missing(&id) };
    crate::kbpages::download(report::standalone(&stored.view), "text/html; charset=utf-8", "culprit-report.html")
}
