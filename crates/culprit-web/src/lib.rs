//! culprit's web face: the axum app behind `culprit serve`, and the report page that `culprit logs
//! --html` writes as one self-contained file.
//!
//! Both render the same data as the terminal and `--json` (the knowledge base's reports, the log
//! engine's [`LogReport`](culprit_logs::report::LogReport)) with the same templates ([`report`]).
//! Templates are maud macros: compiled into the binary, type-checked, and escaping every value
//! unless told otherwise — log lines are attacker-controlled, so escaping is the default and the
//! only raw HTML is the markup the templates themselves write.
//!
//! Served pages carry a Content-Security-Policy that allows scripts and styles only from this
//! server's own files (`/assets/…`), no inline script at all; the standalone report inlines its
//! script and stylesheet and allows exactly those by their SHA-256 hashes. Nothing is fetched from
//! anywhere else, and the server makes no outbound request.

pub mod assets;
mod cluster;
mod flow;
mod kbpages;
mod layout;
mod logs;
mod practice;
pub mod report;
mod store;

use axum::Router;
use axum::extract::{DefaultBodyLimit, Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use culprit_logs::report::LogReport;
use std::sync::Arc;

pub use store::{ReportStore, StoreLimits};

/// Renders a report as Markdown, the way `culprit logs --markdown` does (the renderer lives in the
/// binary, beside the terminal one, so the web's download is the same text).
pub type MarkdownRenderer = Arc<dyn Fn(&LogReport) -> String + Send + Sync>;

/// How the server behaves; `culprit serve`'s flags.
#[derive(Clone)]
pub struct Config {
    /// Largest upload accepted, in bytes (as sent: a .gz counts compressed).
    pub max_upload: u64,
    /// Reports kept in memory, and their per-request records.
    pub limits: StoreLimits,
    /// Only answer requests whose `Host` is a loopback name (a page elsewhere cannot reach a
    /// loopback server through DNS rebinding). Set when bound to a loopback address.
    pub loopback_hosts_only: bool,
    pub markdown: Option<MarkdownRenderer>,
}

impl std::fmt::Debug for Config {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Config")
            .field("max_upload", &self.max_upload)
            .field("limits", &self.limits)
            .field("loopback_hosts_only", &self.loopback_hosts_only)
            .field("markdown", &self.markdown.is_some())
            .finish()
    }
}

/// Default upload cap: 2 GiB.
pub const DEFAULT_MAX_UPLOAD: u64 = 2 << 30;

impl Default for Config {
    fn default() -> Self {
        Config {
            max_upload: DEFAULT_MAX_UPLOAD,
            limits: StoreLimits::default(),
            loopback_hosts_only: false,
            markdown: None,
        }
    }
}

/// The state every handler shares.
#[derive(Clone, Debug)]
pub struct AppState {
    pub config: Arc<Config>,
    pub reports: Arc<ReportStore>,
}

impl AppState {
    pub fn new(config: Config) -> AppState {
        let reports = Arc::new(ReportStore::new(config.limits));
        AppState { config: Arc::new(config), reports }
    }
}

/// The whole app. Tests call it in-process (`tower::ServiceExt::oneshot`); `culprit serve` binds it.
pub fn app(state: AppState) -> Router {
    // The body limit is enforced by the upload handlers themselves, which answer with a page that
    // says the limit; axum's own limit stays above it so that page can be reached.
    let body_limit = usize::try_from(state.config.max_upload.saturating_add(1 << 20)).unwrap_or(usize::MAX);
    Router::new()
        .route("/", get(kbpages::home))
        .route("/code/{code}", get(kbpages::code_page))
        .route("/class/{class}", get(kbpages::class_page))
        .route("/id/{id}", get(kbpages::id_page))
        .route("/causes", get(kbpages::causes_index))
        .route("/checks", get(kbpages::checks_index))
        .route("/responders", get(kbpages::responders_index))
        .route("/mistakes", get(kbpages::mistakes_index))
        .route("/matrix", get(kbpages::matrix))
        .route("/tree/{id}", get(flow::tree_page))
        .route("/chain", get(flow::chain_page))
        .route("/practice", get(practice::page))
        .route("/logs", get(logs::upload_page).post(logs::upload))
        .route("/logs/too-large", get(logs::too_large_page))
        .route("/reports/{id}", get(logs::report_page))
        .route("/reports/{id}/report.json", get(logs::download_json))
        .route("/reports/{id}/report.md", get(logs::download_markdown))
        .route("/reports/{id}/report.html", get(logs::download_html))
        .route("/cluster", get(cluster::form_page).post(cluster::upload))
        .route("/cluster/too-large", get(cluster::too_large_page))
        .route("/assets/{name}", get(assets::serve))
        .fallback(not_found)
        .layer(DefaultBodyLimit::max(body_limit))
        .layer(middleware::from_fn_with_state(state.clone(), guard))
        .with_state(state)
}

/// The Content-Security-Policy of served pages: scripts, styles and everything else from this
/// server only, no inline script, no framing, forms posting only here.
pub const CSP: &str = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; \
                       connect-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'";

/// Security headers on every answer, and the loopback `Host` check.
async fn guard(State(state): State<AppState>, req: Request, next: Next) -> Response {
    if state.config.loopback_hosts_only {
        let host = req.headers().get(header::HOST).and_then(|h| h.to_str().ok());
        if let Some(host) = host.filter(|h| !is_loopback_host(h)) {
            let page = layout::error_page(
                StatusCode::MISDIRECTED_REQUEST,
                "Not this host",
                &format!(
                    "This culprit server answers only on loopback names (localhost, 127.0.0.1, [::1]); \
                     the request named '{host}'. Start it with --listen on the address you use to reach it."
                ),
            );
            return with_security_headers(page);
        }
    }
    with_security_headers(next.run(req).await)
}

fn with_security_headers(mut res: Response) -> Response {
    let h = res.headers_mut();
    h.insert(header::CONTENT_SECURITY_POLICY, HeaderValue::from_static(CSP));
    h.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    h.insert(header::REFERRER_POLICY, HeaderValue::from_static("no-referrer"));
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    h.insert("cross-origin-opener-policy", HeaderValue::from_static("same-origin"));
    h.insert("cross-origin-resource-policy", HeaderValue::from_static("same-origin"));
    res
}

/// `localhost`, `127.x.y.z`, `[::1]`, with or without a port.
fn is_loopback_host(host: &str) -> bool {
    let name = if let Some(rest) = host.strip_prefix('[') {
        rest.split(']').next().unwrap_or("")
    } else {
        host.rsplit_once(':').map_or(host, |(n, _)| n)
    };
    name.eq_ignore_ascii_case("localhost") || name.parse::<std::net::IpAddr>().is_ok_and(|ip| ip.is_loopback())
}

async fn not_found() -> Response {
    layout::error_page(StatusCode::NOT_FOUND, "Not found", "No page here. Try the search on the home page.")
}

/// A page as a response.
pub(crate) fn page(markup: maud::Markup) -> Response {
    html_response(StatusCode::OK, markup.into_string())
}

pub(crate) fn html_response(status: StatusCode, body: String) -> Response {
    (status, [(header::CONTENT_TYPE, "text/html; charset=utf-8")], body).into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn loopback_hosts() {
        for ok in ["localhost", "localhost:8080", "127.0.0.1:8080", "127.3.4.5", "[::1]:8080", "[::1]"] {
            assert!(is_loopback_host(ok), "{ok}");
        }
        for bad in ["evil.example:8080", "10.0.0.1", "[2001:db8::1]:80", "localhost.evil.example"] {
            assert!(!is_loopback_host(bad), "{bad}");
        }
    }
}
