//! The app in-process (`tower::ServiceExt::oneshot`): routes, security headers, escaping, the
//! upload path (gzip, limits) and the report's downloads, without a browser or a socket.

use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use culprit_web::{AppState, Config, StoreLimits, app};
use http_body_util::BodyExt as _;
use std::io::Write as _;
use tower::ServiceExt as _;

const EXAMPLE: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../examples/incident-502/ingress-nginx.log.gz");

fn state(max_upload: u64) -> AppState {
    AppState::new(Config { max_upload, ..Config::default() })
}

async fn get(state: &AppState, uri: &str) -> (StatusCode, axum::http::HeaderMap, String) {
    let res = app(state.clone()).oneshot(Request::get(uri).body(Body::empty()).unwrap()).await.unwrap();
    let (parts, body) = res.into_parts();
    let bytes = body.collect().await.unwrap().to_bytes();
    (parts.status, parts.headers, String::from_utf8_lossy(&bytes).into_owned())
}

/// A multipart body with the given (field, file name, content) parts.
fn multipart(parts: &[(&str, Option<&str>, &[u8])]) -> (String, Vec<u8>) {
    let boundary = "culprit-test-boundary-7d3f";
    let mut body = Vec::new();
    for (name, file, data) in parts {
        write!(body, "--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"").unwrap();
        if let Some(f) = file {
            write!(body, "; filename=\"{f}\"\r\nContent-Type: application/octet-stream").unwrap();
        }
        body.extend_from_slice(b"\r\n\r\n");
        body.extend_from_slice(data);
        body.extend_from_slice(b"\r\n");
    }
    write!(body, "--{boundary}--\r\n").unwrap();
    (format!("multipart/form-data; boundary={boundary}"), body)
}

async fn post(state: &AppState, uri: &str, parts: &[(&str, Option<&str>, &[u8])]) -> (StatusCode, String, String) {
    let (ctype, body) = multipart(parts);
    let req = Request::post(uri).header(header::CONTENT_TYPE, ctype).body(Body::from(body)).unwrap();
    let res = app(state.clone()).oneshot(req).await.unwrap();
    let status = res.status();
    let location = res.headers().get(header::LOCATION).map(|l| l.to_str().unwrap().to_string()).unwrap_or_default();
    let bytes = res.into_body().collect().await.unwrap().to_bytes();
    (status, location, String::from_utf8_lossy(&bytes).into_owned())
}

#[tokio::test]
async fn every_page_answers_with_the_security_headers() {
    let s = state(1 << 20);
    for uri in [
        "/",
        "/code/502",
        "/class/5",
        "/id/no_ready_endpoints",
        "/tree/5xx",
        "/chain",
        "/matrix",
        "/practice",
        "/logs",
        "/cluster",
        "/mistakes",
        "/causes",
        "/checks",
        "/responders",
    ] {
        let (status, headers, body) = get(&s, uri).await;
        assert_eq!(status, StatusCode::OK, "{uri}");
        let csp = headers[header::CONTENT_SECURITY_POLICY].to_str().unwrap();
        assert!(csp.contains("script-src 'self'") && !csp.contains("unsafe-inline"), "{uri}: {csp}");
        assert_eq!(headers[header::X_CONTENT_TYPE_OPTIONS], "nosniff");
        // No inline script anywhere: only the file from /assets.
        assert_eq!(body.matches("<script").count(), 1, "{uri}");
        assert!(body.contains("<script src=\"/assets/app.js?v="), "{uri}");
    }
}

#[tokio::test]
async fn search_goes_where_culprit_explain_would() {
    let s = state(1 << 20);
    let res = app(s.clone()).oneshot(Request::get("/?q=502").body(Body::empty()).unwrap()).await.unwrap();
    assert_eq!(res.headers()[header::LOCATION], "/code/502");
    let res = app(s.clone()).oneshot(Request::get("/?q=5xx").body(Body::empty()).unwrap()).await.unwrap();
    assert_eq!(res.headers()[header::LOCATION], "/class/5");
    let (_, _, body) = get(&s, "/?q=UF").await;
    assert!(body.contains("Envoy response flag") && body.contains("UpstreamConnectionFailure"), "{body}");
    // Free text: the same ranking as `culprit explain` (the knowledge base's search), best first.
    let (_, _, body) = get(&s, "/?q=upstream+prematurely+closed+connection").await;
    let first = culprit_kb::kb().search("upstream prematurely closed connection").causes[0].id.clone();
    let at = body.find("<ol class=\"results\">").unwrap();
    assert!(body[at..].find(&format!("/id/{first}")).unwrap() < body[at..].find("</li>").unwrap(), "{first}");
}

#[tokio::test]
async fn the_tree_walk_lives_in_the_url() {
    let s = state(1 << 20);
    let (status, _, body) = get(&s, "/tree/5xx?walk=1.2.0.0&namespace=shop").await;
    assert_eq!(status, StatusCode::OK);
    assert!(body.contains("data-cause=\"no_ready_endpoints\""));
    assert!(body.contains("kubectl get endpointslices -n shop"), "fields fill the commands server-side");
    let (status, _, body) = get(&s, "/tree/5xx?walk=1.2.0.0.0").await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(body.contains("concludes the walk"));
}

#[tokio::test]
async fn a_gzip_upload_is_analysed_into_the_report_the_terminal_gives() {
    let s = state(8 << 20);
    let gz = std::fs::read(EXAMPLE).unwrap();
    let (status, location, _) = post(&s, "/logs", &[("files", Some("ingress-nginx.log.gz"), &gz)]).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let (status, _, page) = get(&s, &location).await;
    assert_eq!(status, StatusCode::OK);
    assert!(page.contains("502s on default-checkout-8080 rose from 0% to 15%"));
    assert!(page.contains("class=\"chart\""));
    // The JSON download is the log engine's report, as `culprit logs --json` writes it.
    let (_, headers, json) = get(&s, &format!("{location}/report.json")).await;
    assert!(headers[header::CONTENT_DISPOSITION].to_str().unwrap().contains("attachment"));
    let served: culprit_logs::report::LogReport = serde_json::from_str(&json).unwrap();
    let batch = {
        let sources = culprit_logs::input::expand(&[std::path::PathBuf::from(EXAMPLE)]).unwrap();
        let a = culprit_logs::analyze(&sources, &culprit_logs::Options::default(), None, None);
        culprit_logs::report::build(&a, &culprit_logs::incidents::detect(&a.stats))
    };
    assert_eq!(served.requests, batch.requests);
    assert_eq!(served.errors, batch.errors);
    assert_eq!(
        served.incidents.iter().map(|i| &i.headline).collect::<Vec<_>>(),
        batch.incidents.iter().map(|i| &i.headline).collect::<Vec<_>>()
    );
    // The per-request table, filtered server-side.
    let (_, _, page) = get(&s, &format!("{location}?status=502&cause=upstream_connection_refused")).await;
    let n: usize = page.split("data-matching=\"").nth(1).unwrap().split('"').next().unwrap().parse().unwrap();
    assert!(n > 50 && n < 200, "{n}");
    // The incident links to its requests; "errors" keeps every 4xx and 5xx.
    let these = format!(
        "{location}?service=default-checkout-8080&amp;status=502&amp;cause=upstream_connection_refused#requests"
    );
    assert!(page.contains(&these) || get(&s, &location).await.2.contains(&these), "the incident links its requests");
    let (_, _, page) = get(&s, &format!("{location}?status=errors")).await;
    let errors: usize = page.split("data-matching=\"").nth(1).unwrap().split('"').next().unwrap().parse().unwrap();
    assert_eq!(errors as u64, served.errors, "every error is kept for the table in this small upload");
    let (_, _, standalone) = get(&s, &format!("{location}/report.html")).await;
    assert!(standalone.contains("Content-Security-Policy") && standalone.contains("'sha256-"));
}

#[tokio::test]
async fn log_content_is_escaped() {
    let s = state(1 << 20);
    let line = r#"10.0.0.9 - - [08/Mar/2026:14:00:00 +0000] "GET /</td><script>alert(2)</script> HTTP/1.1" 502 150 "-" "<script>alert(1)</script>" 300 0.001 [default-x-80] [] 10.0.0.1:80 0 0.001 502 abc"#;
    let paste = format!("{line}\n{line}\n");
    let (status, location, _) = post(&s, "/logs", &[("paste", None, paste.as_bytes())]).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let (_, _, page) = get(&s, &location).await;
    assert!(page.contains("&lt;/td&gt;&lt;script&gt;alert(2)&lt;/script&gt;"), "the path is shown as text");
    assert_eq!(page.matches("<script").count(), 1, "only the page's own script tag");
}

#[tokio::test]
async fn an_upload_over_the_limit_gets_a_413_page_that_says_the_limit() {
    let s = state(64 << 10);
    let big = vec![b'x'; 100 << 10];
    let (status, _, body) = post(&s, "/logs", &[("files", Some("big.log"), &big)]).await;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE);
    assert!(body.contains("64.0 KiB") && body.contains("--max-upload"), "{body}");
}

#[tokio::test]
async fn a_cut_gzip_stream_is_reported_on_its_input() {
    let s = state(8 << 20);
    let gz = std::fs::read(EXAMPLE).unwrap();
    let cut = &gz[..gz.len() / 2];
    let (status, location, _) = post(&s, "/logs", &[("files", Some("cut.log.gz"), cut)]).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let (_, _, page) = get(&s, &location).await;
    assert!(page.contains("the gzip stream is cut short"), "the input's note says so");
}

#[tokio::test]
async fn reports_are_bounded_in_memory() {
    let s = AppState::new(Config {
        max_upload: 1 << 20,
        limits: StoreLimits { reports: 2, records_per_report: 3, bytes: 1 << 20 },
        ..Config::default()
    });
    let line = r#"10.0.0.9 - - [08/Mar/2026:14:00:00 +0000] "GET / HTTP/1.1" 200 150 "-" "curl" 300 0.001 [default-x-80] [] 10.0.0.1:80 150 0.001 200 abc"#;
    let paste = [line; 10].join("\n");
    let mut ids = Vec::new();
    for _ in 0..3 {
        let (_, location, _) = post(&s, "/logs", &[("paste", None, paste.as_bytes())]).await;
        ids.push(location);
    }
    assert_eq!(get(&s, &ids[0]).await.0, StatusCode::NOT_FOUND, "the oldest report was dropped");
    let (status, _, page) = get(&s, &ids[2]).await;
    assert_eq!(status, StatusCode::OK);
    assert!(page.contains("data-matching=\"3\""), "3 records kept of 10");
    assert!(page.contains("7 more were analysed"));
}

#[tokio::test]
async fn a_foreign_host_is_refused_on_loopback() {
    let s = AppState::new(Config { loopback_hosts_only: true, ..Config::default() });
    let req = Request::get("/").header(header::HOST, "evil.example:8080").body(Body::empty()).unwrap();
    assert_eq!(app(s.clone()).oneshot(req).await.unwrap().status(), StatusCode::MISDIRECTED_REQUEST);
    let req = Request::get("/").header(header::HOST, "127.0.0.1:8080").body(Body::empty()).unwrap();
    assert_eq!(app(s).oneshot(req).await.unwrap().status(), StatusCode::OK);
}

#[tokio::test]
async fn an_upload_with_no_readable_line_says_why_per_input() {
    let s = state(1 << 20);
    let (status, location, body) =
        post(&s, "/logs", &[("files", Some("notes.txt"), b"hello world\nthis is not a log\n")]).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "no report of zeros: {location}");
    assert!(body.contains("notes.txt") && body.contains("unrecognised log format (first line: hello world)"), "{body}");
    assert!(body.contains("custom"), "it points at the custom format field");
    // An error log alone: read, but it explains an access log's requests.
    let error_log = "2026/03/08 13:51:02 [error] 41#41: *2231 connect() failed (111: Connection refused) while connecting to upstream, client: 10.0.0.1, server: shop, request: \"GET / HTTP/1.1\", upstream: \"http://10.244.1.5:8080/\", host: \"shop\"\n";
    let (status, _, body) = post(&s, "/logs", &[("files", Some("error.log"), error_log.as_bytes())]).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(body.contains("upload it together with that access log"), "{body}");
    // A format forced on the form, and still nothing read: the page asks whether it is the right one.
    let (status, _, body) =
        post(&s, "/logs", &[("format", None, b"haproxy"), ("files", Some("notes.txt"), b"hello world\n")]).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(body.contains("A format was chosen"), "{body}");
}

#[tokio::test]
async fn the_form_takes_a_format_or_a_custom_template() {
    let s = state(1 << 20);
    let lines = b"10.1.1.1 GET 200\n10.1.1.2 GET 502\n";
    let (status, location, body) = post(
        &s,
        "/logs",
        &[
            ("format", None, b"custom-nginx"),
            ("template", None, b"$remote_addr $request_method $status"),
            ("files", Some("own.log"), lines),
        ],
    )
    .await;
    assert_eq!(status, StatusCode::SEE_OTHER, "{body}");
    let (_, _, page) = get(&s, &location).await;
    assert!(page.contains("2 requests, 1 error ·"), "{page}");
    assert!(page.contains("nginx (custom log_format)"));
    for (parts, says) in [
        (vec![("format", None, &b"zzz"[..]), ("files", Some("a.log"), &lines[..])], "unknown format 'zzz'"),
        (vec![("format", None, &b"custom-nginx"[..]), ("files", Some("a.log"), &lines[..])], "template field is empty"),
        (
            vec![
                ("format", None, &b"custom-nginx"[..]),
                ("template", None, b"$remote_addr"),
                ("files", Some("a.log"), lines),
            ],
            "needs the status code",
        ),
        (vec![("files", Some("a.log"), &lines[..]), ("format", None, b"combined")], "send the format fields first"),
    ] {
        let (status, _, body) = post(&s, "/logs", &parts).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{says}");
        assert!(body.contains(says), "{says}: {body}");
    }
}

#[tokio::test]
async fn a_post_that_is_not_the_form_gets_a_page_saying_what_to_send() {
    let s = state(1 << 20);
    let req = Request::post("/logs")
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .body(Body::from("paste=abc"))
        .unwrap();
    let res = app(s).oneshot(req).await.unwrap();
    assert_eq!(res.status(), StatusCode::BAD_REQUEST);
    assert!(res.headers()[header::CONTENT_TYPE].to_str().unwrap().starts_with("text/html"));
    let body = String::from_utf8_lossy(&res.into_body().collect().await.unwrap().to_bytes()).into_owned();
    assert!(body.contains("curl -F files=@access.log"), "{body}");
}

#[tokio::test]
async fn a_cluster_upload_with_no_object_says_so() {
    let s = state(1 << 20);
    let (status, _, body) = post(&s, "/cluster", &[("dump", Some("notes.txt"), b"hello world\n")]).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "not 'no check found a problem'");
    assert!(body.contains("No Kubernetes object read") && body.contains("notes.txt"), "{body}");
    assert!(body.contains("kubectl get ingress,ingressclass,svc"), "it says how to write the dump");
    let big = vec![b' '; 2 << 20];
    let (status, _, body) = post(&s, "/cluster", &[("dump", Some("big.json"), &big)]).await;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE);
    assert!(body.contains("--max-upload") && body.contains("culprit cluster check --from"), "{body}");
}

#[tokio::test]
async fn a_cluster_dump_with_the_logs_names_the_pod_as_logs_cluster_does() {
    let s = state(8 << 20);
    let gz = std::fs::read(EXAMPLE).unwrap();
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/../../examples/incident-502/cluster");
    let dumps: Vec<(String, Vec<u8>)> = ["pods", "services", "endpointslices", "deployments", "events"]
        .iter()
        .map(|k| (format!("{k}.json"), std::fs::read(format!("{dir}/{k}.json")).unwrap()))
        .collect();
    let mut parts: Vec<(&str, Option<&str>, &[u8])> =
        dumps.iter().map(|(n, d)| ("cluster", Some(n.as_str()), d.as_slice())).collect();
    parts.push(("files", Some("ingress-nginx.log.gz"), &gz));
    let (status, location, body) = post(&s, "/logs", &parts).await;
    assert_eq!(status, StatusCode::SEE_OTHER, "{body}");
    let (_, _, page) = get(&s, &location).await;
    assert!(page.contains("pod default/checkout-7d9f8c6b5-x2k9p"), "the headline names the pod");
    assert!(page.contains("In the cluster"));
    // A dump with no object is refused with the reason, not silently ignored.
    let (status, _, body) =
        post(&s, "/logs", &[("cluster", Some("notes.txt"), b"hello\n"), ("files", Some("a.log.gz"), &gz)]).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(body.contains("the cluster dump holds no Kubernetes object"), "{body}");
}

#[tokio::test]
async fn an_archive_that_is_not_gzip_is_named() {
    let s = state(1 << 20);
    let zstd = [0x28, 0xb5, 0x2f, 0xfd, 0x24, 0x05, 0x29, 0x00, 0x00, 0x68, 0x65];
    let (status, _, body) = post(&s, "/logs", &[("files", Some("access.log.zst"), &zstd)]).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(body.contains("zstd-compressed: culprit reads plain text and gzip"), "{body}");
}
