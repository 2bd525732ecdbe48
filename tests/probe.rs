//! `culprit probe` against real nginx, HAProxy, Caddy, Apache httpd and Varnish on loopback (the
//! lab's configs and backends, and minimal configs for the last two): their own error pages must be
//! recognised as theirs and read on their own terms, the application's answers as the
//! application's, bisection must point at the layer that breaks, failures must be diagnosed in
//! words, and no secret sent may appear in any output. No test leaves loopback.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use culprit_lab::lab::Lab;
use culprit_lab::proxy::ProxyKind;
use serde_json::Value;

/// Runs `culprit probe …` with `format` (`--json`, `--markdown`, or "" for the terminal report);
/// returns stdout, stderr and the exit code.
fn probe_text(format: &str, args: &[&str]) -> (String, String, i32) {
    let mut command = Command::new(env!("CARGO_BIN_EXE_culprit"));
    command.arg("probe");
    if !format.is_empty() {
        command.arg(format);
    }
    let out = command.args(args).env("NO_COLOR", "1").output().expect("run culprit");
    (
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
        out.status.code().unwrap_or(-1),
    )
}

/// The widest line of a report, in characters.
fn widest(text: &str) -> usize {
    text.lines().map(|l| l.chars().count()).max().unwrap_or(0)
}

/// Runs `culprit probe --json …`; returns the report and the exit code.
fn probe(args: &[&str]) -> (Value, i32) {
    let out = Command::new(env!("CARGO_BIN_EXE_culprit"))
        .arg("probe")
        .arg("--json")
        .args(args)
        .output()
        .expect("run culprit");
    let code = out.status.code().unwrap_or(-1);
    let report = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "probe {args:?}: {e}\nstdout: {}\nstderr: {}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        )
    });
    (report, code)
}

fn status(r: &Value) -> u64 {
    r["outcome"]["status"].as_u64().unwrap_or_else(|| panic!("no status: {r:#}"))
}

fn responder(r: &Value) -> &str {
    r["outcome"]["responder"]["id"].as_str().unwrap_or("")
}

fn causes(r: &Value) -> Vec<&str> {
    r["outcome"]["causes"].as_array().map(|a| a.iter().filter_map(|c| c["id"].as_str()).collect()).unwrap_or_default()
}

fn start(kind: ProxyKind) -> (tempfile::TempDir, Lab, String) {
    let dir = tempfile::tempdir().expect("temp dir");
    let lab = Lab::start(kind, dir.path()).unwrap_or_else(|e| panic!("starting {}: {e:#}", kind.name()));
    let base = format!("http://{}", lab.proxy.addr());
    (dir, lab, base)
}

/// A body over every lab proxy's 1 MiB limit.
fn big_body() -> tempfile::NamedTempFile {
    let file = tempfile::NamedTempFile::new().unwrap();
    std::fs::write(file.path(), vec![b'a'; 2 << 20]).unwrap();
    file
}

#[test]
fn nginx_pages_loops_failures_and_bisect() {
    let (_dir, lab, base) = start(ProxyKind::Nginx);

    // The application's answer, relayed: nginx only on the path.
    let (r, code) = probe(&[&format!("{base}/shop/items/1")]);
    assert_eq!((status(&r), responder(&r), code), (200, "application", 0), "{r:#}");
    assert!(r["outcome"]["responder"]["on_path"][0].as_str().unwrap().starts_with("nginx"), "{r:#}");
    let t = &r["hops"][0]["timings"];
    assert!(t["connect_ms"].is_number() && t["wait_ms"].is_number() && t["total_ms"].as_f64().unwrap() > 0.0, "{t}");

    // nginx's own pages: nothing listens on the Service's targetPort; slower than the read timeout.
    let (r, code) = probe(&[&format!("{base}/search/query?q=1"), "--check-status"]);
    assert_eq!((status(&r), responder(&r), code), (502, "nginx", 5), "{r:#}");
    assert_eq!(r["outcome"]["responder"]["layer"], "ingress");
    assert!(causes(&r).contains(&"upstream_connection_refused"), "{r:#}");
    assert!(r["outcome"]["checks"][0]["command"].is_string());
    let (r, _) = probe(&[&format!("{base}/reports/monthly/slow")]);
    assert_eq!((status(&r), responder(&r), causes(&r)[0]), (504, "nginx", "upstream_timeout"), "{r:#}");

    // A body over client_max_body_size: the proxy's limit, said so.
    let body = big_body();
    let data = format!("@{}", body.path().display());
    let (r, _) = probe(&["-d", &data, &format!("{base}/shop/upload")]);
    assert_eq!((status(&r), responder(&r)), (413, "nginx"), "{r:#}");
    assert_eq!(r["request"]["method"], "POST");
    assert!(r["lint"][0]["message"].as_str().unwrap().contains("proxy-body-size"), "{r:#}");

    // The application's 429 with Retry-After and IETF RateLimit fields, decoded.
    let (r, _) = probe(&[&format!("{base}/shop/status/429")]);
    assert_eq!(responder(&r), "application");
    let limits = r["rate_limits"].as_array().unwrap();
    assert_eq!(limits[0]["source"], "Retry-After");
    assert_eq!(limits[0]["resets_in_seconds"], 30.0);
    assert!(
        limits.iter().any(|l| l["policy"] == "default" && l["limit"] == 100 && l["window_seconds"] == 60),
        "{limits:#?}"
    );
    assert!(r["lint"].as_array().unwrap().is_empty(), "{r:#}");

    // limit_req: some of a quick burst get nginx's own 503.
    let burst: Vec<(u64, String)> = (0..8)
        .map(|_| {
            let (r, _) = probe(&[&format!("{base}/api/v1/things/1")]);
            (status(&r), responder(&r).to_owned())
        })
        .collect();
    assert!(burst.iter().any(|(s, who)| *s == 503 && who == "nginx"), "{burst:?}");

    // A redirect loop, shown as its cycle; redirects followed hop by hop.
    let (r, code) = probe(&[&format!("{base}/shop/loop/loop-a")]);
    let cycle: Vec<&str> = r["redirect_loop"].as_array().expect("a loop").iter().map(|u| u.as_str().unwrap()).collect();
    assert_eq!(cycle.len(), 3, "{cycle:?}");
    assert_eq!(cycle[0], cycle[2]);
    assert_eq!((r["hops"].as_array().unwrap().len(), code), (2, 0));
    assert_eq!(r["redirects"][0]["id"], "redirect_loop");
    let (r, _) = probe(&["--no-follow", &format!("{base}/shop/loop/loop-a")]);
    assert_eq!((status(&r), r["hops"].as_array().unwrap().len()), (302, 1));

    // The upstream dies mid-body: the status stands, the body phase failed.
    let (r, code) = probe(&[&format!("{base}/legacy/midbody")]);
    assert_eq!((status(&r), r["outcome"]["failure"]["phase"].as_str(), code), (200, Some("body"), 0), "{r:#}");
    // nginx relays an upstream's non-HTTP bytes: no HTTP response at all.
    let (r, code) = probe(&[&format!("{base}/legacy/garbage")]);
    assert_eq!((r["outcome"]["failure"]["phase"].as_str(), code), (Some("response"), 1), "{r:#}");

    // Slower than --timeout: the wait for the response is what timed out.
    let reports = format!("http://{}", lab.backend("reports").unwrap().addr());
    let (r, code) = probe(&["--timeout", "0.5", &format!("{reports}/reports/monthly/slow")]);
    let f = &r["outcome"]["failure"];
    assert_eq!((f["phase"].as_str(), f["timed_out"].as_bool(), code), (Some("response"), Some(true), 1), "{r:#}");

    // A big body is capped at --max-body but counted whole.
    let (r, _) = probe(&["--max-body", "10", &format!("{base}/shop/items/1")]);
    let resp = &r["hops"][0]["response"];
    assert_eq!((resp["capped"].as_bool(), resp["body_bytes"].as_u64()), (Some(true), Some(35)), "{resp:#}");
    assert_eq!(resp["body_preview"], "{\"ok\":true");

    // Secrets never appear in output.
    let (r, _) = probe(&["-H", "Authorization: Bearer s3cret", &format!("{base}/shop/items/2")]);
    assert!(!r.to_string().contains("s3cret"), "{r}");

    // Bisect: through the ingress the search Service's targetPort is wrong (502); the pod itself
    // answers. The ingress is where it breaks.
    let pod = format!("http://{}", lab.backend("shop").unwrap().addr());
    let (r, _) = probe(&[
        &format!("{base}/search/query?q=1"),
        "--via",
        &format!("ingress={base}"),
        "--via",
        &format!("pod={pod}"),
    ]);
    let b = &r["bisect"];
    assert_eq!((b["culprit"].as_str(), b["finding"].as_str()), (Some("ingress"), Some("fails_in_front")), "{b:#}");
    assert_eq!(b["points"][0]["hop"]["response"]["status"], 502);
    assert_eq!(b["points"][1]["hop"]["response"]["status"], 200);
    assert_eq!(b["points"][1]["hop"]["request_headers"][0][1], lab.proxy.addr().to_string(), "same Host header: {b:#}");

    // The terminal report fits 100 columns: the cause table, the bisect table, the steps.
    let (text, _, _) = probe_text(
        "",
        &[&format!("{base}/search/query?q=boots"), "--via", &format!("ingress={base}"), "--via", &format!("pod={pod}")],
    );
    assert!(widest(&text) <= 100, "{} columns:\n{text}", widest(&text));
    assert!(text.contains("Bisect") && text.contains("What a 502 from this layer means"), "{text}");
}

/// Bisection follows the path: the innermost entry point that fails is the culprit; a point that
/// fails while the one behind it works is the culprit (or its link); nothing failing is said so.
/// Against the lab's real nginx and backends, each shape the verdict knows.
#[test]
fn bisect_names_the_layer_that_fails() {
    let (_dir, lab, base) = start(ProxyKind::Nginx);
    let shop = format!("http://{}", lab.backend("shop").unwrap().addr());
    let reports = format!("http://{}", lab.backend("reports").unwrap().addr());
    let dead = format!("http://127.0.0.1:{}", culprit_lab::proxy::free_port().unwrap());
    let bisect = |path: &str, points: &[(&str, &str)], extra: &[&str]| {
        let mut args: Vec<String> = extra.iter().map(|a| (*a).to_owned()).collect();
        args.push(format!("{base}{path}"));
        for (name, url) in points {
            args.push("--via".into());
            args.push(format!("{name}={url}"));
        }
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let (r, _) = probe(&args);
        let b = r["bisect"].clone();
        (b["culprit"].as_str().map(str::to_owned), b["finding"].as_str().unwrap().to_owned(), b)
    };

    // The reported case: the ingress answers 502 because the pod refuses connections. The pod.
    let (culprit, finding, b) = bisect("/search/query?q=1", &[("ingress", &base), ("pod", &dead)], &[]);
    assert_eq!((culprit.as_deref(), finding.as_str()), (Some("pod"), "fails_itself"), "{b:#}");
    let verdict = b["verdict"].as_str().unwrap();
    assert!(verdict.starts_with("pod fails on its own") && verdict.contains("ingress's 502"), "{verdict}");

    // The application's own 500 at the pod: the application.
    let (culprit, finding, b) = bisect("/shop/status/500", &[("ingress", &base), ("pod", &shop)], &[]);
    assert_eq!((culprit.as_deref(), finding.as_str()), (Some("pod"), "application_error"), "{b:#}");

    // Only the outer point fails: the outer point (or its link to the pod).
    let (culprit, finding, b) = bisect("/search/query?q=1", &[("ingress", &base), ("pod", &shop)], &[]);
    assert_eq!((culprit.as_deref(), finding.as_str()), (Some("ingress"), "fails_in_front"), "{b:#}");

    // Both answer: nothing failed, and no culprit.
    let (culprit, finding, b) = bisect("/shop/items/1", &[("ingress", &base), ("pod", &shop)], &[]);
    assert_eq!((culprit, finding.as_str()), (None, "nothing_failed"), "{b:#}");
    assert!(b["verdict"].as_str().unwrap().starts_with("Nothing failed along the path"), "{b:#}");

    // Timeouts are failures: nginx gives up at 1 s (504), the pod has not answered by 1.3 s.
    let (culprit, finding, b) =
        bisect("/reports/monthly/slow", &[("ingress", &base), ("pod", &reports)], &["--timeout", "1.3"]);
    assert_eq!((culprit.as_deref(), finding.as_str()), (Some("pod"), "fails_itself"), "{b:#}");
    assert_eq!(b["points"][1]["hop"]["failure"]["timed_out"], true, "{b:#}");

    // Three points: edge and ingress both 502, the pod answers: the innermost failing point.
    let (culprit, finding, b) =
        bisect("/search/query?q=1", &[("edge", &base), ("ingress", &base), ("pod", &shop)], &[]);
    assert_eq!((culprit.as_deref(), finding.as_str()), (Some("ingress"), "fails_in_front"), "{b:#}");
    // Three points ending in a refusing pod: the pod.
    let (culprit, finding, b) =
        bisect("/search/query?q=1", &[("edge", &base), ("ingress", &base), ("pod", &dead)], &[]);
    assert_eq!((culprit.as_deref(), finding.as_str()), (Some("pod"), "fails_itself"), "{b:#}");
}

#[test]
fn haproxy_pages() {
    let (_dir, _lab, base) = start(ProxyKind::Haproxy);
    let (r, _) = probe(&[&format!("{base}/search/query?q=1")]);
    assert_eq!((status(&r), responder(&r)), (503, "haproxy"), "{r:#}");
    // Its default error page is not an API's answer: no "503 without Retry-After".
    assert!(r["lint"].as_array().unwrap().is_empty(), "{r:#}");
    let (r, _) = probe(&[&format!("{base}/reports/monthly/slow")]);
    assert_eq!((status(&r), responder(&r), causes(&r)[0]), (504, "haproxy", "upstream_timeout"), "{r:#}");
    let (r, _) = probe(&[&format!("{base}/legacy/garbage")]);
    assert_eq!((status(&r), responder(&r)), (502, "haproxy"), "{r:#}");
    let body = big_body();
    let (r, _) = probe(&["-d", &format!("@{}", body.path().display()), &format!("{base}/shop/upload")]);
    assert_eq!((status(&r), responder(&r)), (413, "haproxy"), "{r:#}");
    // A burst over the stick-table limit: HAProxy's own 429, which carries no Retry-After — the
    // hygiene check must say so on every one of them.
    let burst: Vec<Value> = (0..9).map(|_| probe(&[&format!("{base}/api/v1/things/1")]).0).collect();
    let denied: Vec<&Value> = burst.iter().filter(|r| status(r) == 429).collect();
    assert!(!denied.is_empty(), "no 429 in the burst: {:?}", burst.iter().map(status).collect::<Vec<_>>());
    for r in denied {
        assert_eq!(responder(r), "haproxy", "{r:#}");
        assert_eq!(r["lint"][0]["id"], "missing_retry_after", "{r:#}");
    }
}

#[test]
fn caddy_pages() {
    let (_dir, _lab, base) = start(ProxyKind::Caddy);
    let (r, _) = probe(&[&format!("{base}/search/query?q=1")]);
    assert_eq!((status(&r), responder(&r)), (502, "caddy"), "{r:#}");
    let (r, _) = probe(&[&format!("{base}/reports/monthly/slow")]);
    assert_eq!((status(&r), responder(&r)), (504, "caddy"), "{r:#}");
    let (r, _) = probe(&[&format!("{base}/shop/items/3")]);
    assert_eq!((status(&r), responder(&r)), (200, "application"), "{r:#}");
}

#[test]
fn unusable_input_and_network_failures() {
    let (_, code) = probe(&["http://127.0.0.1:1/"]);
    assert_eq!(code, 1);
    let (r, _) = probe(&["http://127.0.0.1:1/"]);
    assert_eq!(r["outcome"]["failure"]["phase"], "connect");
    assert!(r["outcome"]["failure"]["message"].as_str().unwrap().contains("refused"));
    for bad in [
        &["ftp://example.com/"][..],
        &["http://"],
        &["-H", "no colon", "http://127.0.0.1:1/"],
        &["--via", "nourl", "http://127.0.0.1:1/"],
    ] {
        let out = Command::new(env!("CARGO_BIN_EXE_culprit")).arg("probe").args(bad).output().unwrap();
        assert_eq!(out.status.code(), Some(2), "{bad:?}: {}", String::from_utf8_lossy(&out.stderr));
        assert!(!out.stderr.is_empty());
    }
    // (A DNS failure is not tested: resolving a name could leave loopback.)
}

/// A request as a test server received it: the request line and headers.
type Received = Arc<Mutex<Vec<Vec<String>>>>;

/// An HTTP/1.1 server on loopback that records each request's head and answers by path:
/// `/redirect` with a 302 to `redirect_to`, anything else with 200 and a body that echoes every
/// request header back (the worst case for secrets), plus a Set-Cookie and an echoing header.
fn echo_server(redirect_to: Option<String>) -> (SocketAddr, Received) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let received: Received = Arc::default();
    let log = received.clone();
    std::thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            let mut reader = BufReader::new(stream.try_clone().unwrap());
            let mut head = Vec::new();
            loop {
                let mut line = String::new();
                if reader.read_line(&mut line).unwrap_or(0) == 0 || line.trim().is_empty() {
                    break;
                }
                head.push(line.trim_end().to_owned());
            }
            log.lock().unwrap().push(head.clone());
            let mut stream = stream;
            let path = head.first().and_then(|l| l.split(' ').nth(1)).unwrap_or("/").to_owned();
            let auth = head.iter().find(|h| h.to_ascii_lowercase().starts_with("authorization:")).cloned();
            let response = if let (Some(to), "/redirect") = (&redirect_to, path.as_str()) {
                format!("HTTP/1.1 302 Found\r\nLocation: {to}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
            } else {
                let body = format!("{{\"echo\": {:?}}}", head.join("\n"));
                format!(
                    "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nX-Echo: {}\r\n\
                     Set-Cookie: session=s3cr3t-cookie-7; Path=/\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                    auth.unwrap_or_default(),
                    body.len()
                )
            };
            let _ = stream.write_all(response.as_bytes());
        }
    });
    (addr, received)
}

/// Credentials in the URL are sent as curl sends them (Basic, percent-decoded, not to another
/// origin), and no secret — userinfo, an X-Auth-Token, a cookie, their Basic encoding — appears in
/// any output format, the bisect rows, the redirect hops or an error, even when a server echoes
/// them back.
#[test]
fn secrets_are_sent_like_curl_and_never_shown() {
    let (other, other_got) = echo_server(None);
    let (addr, got) = echo_server(Some(format!("http://{other}/landing")));
    let url = format!("http://alice:s3cr3t%2Dpass@{addr}/redirect");
    let args = [
        url.as_str(),
        "-H",
        "X-Auth-Token: s3cr3t-token-42",
        "-H",
        "Cookie: session=s3cr3t-cookie-7",
        "--via",
        &format!("pod=http://{addr}"),
    ];
    // The secrets, and what they look like encoded.
    let basic = "Basic YWxpY2U6czNjcjN0LXBhc3M="; // base64("alice:s3cr3t-pass"), as curl -u sends it
    let secrets = ["s3cr3t", "YWxpY2U6czNjcjN0LXBhc3M=", "czNjcjN0"];
    for format in ["", "--json", "--markdown"] {
        let (out, err, code) = probe_text(format, &args);
        assert_eq!(code, 0, "{format}: {err}");
        for secret in secrets {
            assert!(!out.contains(secret) && !err.contains(secret), "{format} shows {secret}:\n{out}\n{err}");
        }
        let shown = if format == "--markdown" { "alice:\\*\\*\\*@" } else { "alice:***@" };
        assert!(out.contains(shown), "{format}: the URL shows who, not the password:\n{out}");
        assert!(out.contains("Basic [redacted"), "{format}: the Authorization sent is shown redacted:\n{out}");
    }

    // What the servers received: Basic auth and the other secrets on the first origin…
    let first = got.lock().unwrap()[0].clone();
    assert!(first.iter().any(|h| h.eq_ignore_ascii_case(&format!("Authorization: {basic}"))), "{first:#?}");
    assert!(first.iter().any(|h| h.eq_ignore_ascii_case("X-Auth-Token: s3cr3t-token-42")), "{first:#?}");
    assert!(first[0].starts_with("GET /redirect "), "no userinfo in the request line: {first:#?}");
    // …none of them after the redirect to another origin.
    let landing = other_got.lock().unwrap()[0].clone();
    assert!(landing[0].starts_with("GET /landing "), "{landing:#?}");
    assert!(!landing.iter().any(|h| h.contains("s3cr3t") || h.contains(basic)), "{landing:#?}");
    // The bisect point is the same origin as the URL: it gets the same credentials.
    let bisected = got.lock().unwrap().last().unwrap().clone();
    assert!(bisected.iter().any(|h| h.eq_ignore_ascii_case(&format!("Authorization: {basic}"))), "{bisected:#?}");

    // An unusable URL with a password: the error quotes it without the password.
    let (_, err, code) = probe_text("", &["http://alice:s3cr3t-pass@exa mple.com/"]);
    assert_eq!(code, 2);
    assert!(err.contains("alice:***@") && !err.contains("s3cr3t"), "{err}");
    // A failure with credentials in the URL: the headline shows none.
    let (out, _, code) = probe_text("", &["http://alice:s3cr3t-pass@127.0.0.1:1/"]);
    assert_eq!(code, 1);
    assert!(!out.contains("s3cr3t") && out.contains("alice:***@"), "{out}");
}

/// A request that gets no answer is diagnosed in words, in every format: what failed, the layer,
/// the causes, who looks first, the checks; and no request line is shown when nothing was sent.
#[test]
fn failures_are_diagnosed_in_words() {
    let port = culprit_lab::proxy::free_port().unwrap();
    let url = format!("http://127.0.0.1:{port}/health");
    let (text, _, code) = probe_text("", &[&url]);
    assert_eq!(code, 1);
    assert!(!text.contains("> GET"), "nothing was sent:\n{text}");
    assert!(
        text.contains("What failed") && text.contains(&format!("Nothing accepted the connection to 127.0.0.1:{port}")),
        "{text}"
    );
    assert!(text.contains("which layer answers there is not known from here"), "{text}");
    assert!(text.contains("looks first: DevOps / platform"), "{text}");
    assert!(text.contains("server_not_listening") && text.contains(&format!("nc -vz -w 5 127.0.0.1 {port}")), "{text}");
    assert!(!text.contains("kubectl"), "no sign of Kubernetes, no kubectl:\n{text}");
    assert!(widest(&text) <= 100, "{text}");
    let (md, _, _) = probe_text("--markdown", &[&url]);
    assert!(md.contains("**What failed**") && md.contains("`server_not_listening`"), "{md}");
    let (r, _) = probe(&[&url]);
    let d = &r["outcome"]["diagnosis"];
    assert_eq!(
        (d["kind"].as_str(), d["layer_evidence"].as_str(), d["owner"].as_str()),
        (Some("connect_refused"), None, Some("devops")),
        "{r:#}"
    );
    assert_eq!(r["outcome"]["failure"]["kind"], "connect_refused");
    assert_eq!(r["outcome"]["causes"][0]["id"], "server_not_listening");

    // With a sign of Kubernetes (a pod in the path), the kubectl steps come in.
    let (r, _) = probe(&[&url, "--via", &format!("pod={url}")]);
    assert!(r["outcome"]["kubernetes_evidence"].as_str().unwrap().contains("--via pod"), "{r:#}");
    assert_eq!(r["bisect"]["culprit"], "pod");

    // https:// to a plain-HTTP port (it answers the TLS hello with an HTTP 400, as nginx and most
    // servers do): said in words, not as a TLS library's error.
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let plain = format!("https://{}/", listener.local_addr().unwrap());
    std::thread::spawn(move || {
        for mut stream in listener.incoming().flatten() {
            let _ = stream.read(&mut [0u8; 1024]);
            let _ = stream.write_all(b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
        }
    });
    let (text, _, code) = probe_text("", &[&plain]);
    assert_eq!(code, 1);
    assert!(!text.contains("InvalidContentType") && !text.contains("corrupt message"), "{text}");
    assert!(text.contains("this port speaks http://, not https://") && !text.contains("> GET"), "{text}");
}

/// A daemon started for a test, stopped by pid when dropped.
struct Daemon {
    child: Child,
}

impl Daemon {
    /// Starts `program` (which must be installed: scripts/test installs it) and waits until it
    /// accepts connections on `addr`.
    fn start(program: &str, args: &[&str], addr: SocketAddr, dir: &Path) -> Daemon {
        let out = std::fs::File::create(dir.join(format!("{}.out", program.rsplit('/').next().unwrap()))).unwrap();
        let child = Command::new(program)
            .args(args)
            .current_dir(dir)
            .stdin(Stdio::null())
            .stdout(out.try_clone().unwrap())
            .stderr(out)
            .spawn()
            .unwrap_or_else(|e| {
                panic!("starting {program} ({e}): install it (scripts/test installs apache2 and varnish)")
            });
        let mut daemon = Daemon { child };
        let deadline = Instant::now() + Duration::from_secs(30);
        while TcpStream::connect_timeout(&addr, Duration::from_millis(200)).is_err() {
            let exited = daemon.child.try_wait().ok().flatten();
            if exited.is_some() || Instant::now() > deadline {
                let mut log = String::new();
                for entry in std::fs::read_dir(dir).unwrap().flatten() {
                    if entry.path().extension().is_some_and(|e| e == "out" || e == "log") {
                        let _ = std::fs::File::open(entry.path()).and_then(|mut f| f.read_to_string(&mut log));
                    }
                }
                panic!("{program} did not open {addr} ({exited:?}):\n{log}");
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        daemon
    }
}

impl Drop for Daemon {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn loopback_port() -> SocketAddr {
    SocketAddr::from(([127, 0, 0, 1], culprit_lab::proxy::free_port().unwrap()))
}

fn running_as_root() -> bool {
    Command::new("id").arg("-u").output().is_ok_and(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
}

/// The report's cause ids and check commands.
fn reading(r: &Value) -> (Vec<String>, Vec<String>) {
    let ids = r["outcome"]["causes"].as_array().unwrap().iter().map(|c| c["id"].as_str().unwrap().to_owned()).collect();
    let commands =
        r["outcome"]["checks"].as_array().unwrap().iter().map(|c| c["command"].as_str().unwrap().to_owned()).collect();
    (ids, commands)
}

/// Real Apache httpd (mod_proxy) in front of a backend that refuses connections: its own 503 page,
/// read as Apache's — the origin refused or could not be reached, Apache's error log to read — and
/// never as Kubernetes endpoints or kubectl steps. A backend slower than ProxyTimeout gets Apache's
/// 502 (not a 504), which must list the timeout.
#[test]
fn apache_mod_proxy_503_reads_as_apache() {
    let dir = tempfile::tempdir().unwrap();
    let addr = loopback_port();
    let dead = culprit_lab::proxy::free_port().unwrap();
    // A backend that accepts and never answers.
    let silent = TcpListener::bind("127.0.0.1:0").unwrap();
    let slow = silent.local_addr().unwrap().port();
    std::thread::spawn(move || {
        let mut held = Vec::new();
        for stream in silent.incoming().flatten() {
            held.push(stream);
        }
    });
    let modules = "/usr/lib/apache2/modules";
    let user = if running_as_root() { "User nobody\nGroup nogroup\n" } else { "" };
    let conf = format!(
        "ServerRoot {d}\nPidFile {d}/httpd.pid\nListen {addr}\nServerName localhost\nErrorLog {d}/error.log\n\
         LogLevel warn\n{user}\
         LoadModule mpm_event_module {modules}/mod_mpm_event.so\n\
         LoadModule authz_core_module {modules}/mod_authz_core.so\n\
         LoadModule proxy_module {modules}/mod_proxy.so\n\
         LoadModule proxy_http_module {modules}/mod_proxy_http.so\n\
         ProxyPass \"/slow/\" \"http://127.0.0.1:{slow}/\" timeout=1\n\
         ProxyPass \"/\" \"http://127.0.0.1:{dead}/\"\n",
        d = dir.path().display()
    );
    std::fs::write(dir.path().join("httpd.conf"), conf).unwrap();
    let conf_path = dir.path().join("httpd.conf");
    let _apache = Daemon::start("/usr/sbin/apache2", &["-X", "-f", conf_path.to_str().unwrap()], addr, dir.path());

    let (r, _) = probe(&[&format!("http://{addr}/orders")]);
    assert_eq!((status(&r), responder(&r)), (503, "apache"), "{r:#}");
    assert_eq!(r["outcome"]["responder"]["confidence"], "high", "its 503 page is recognised: {r:#}");
    let (causes, commands) = reading(&r);
    assert_eq!(causes[0], "upstream_connection_refused", "{causes:?}");
    assert!(!causes.iter().any(|c| c == "no_ready_endpoints" || c == "pod_crash_looping"), "{causes:?}");
    assert!(commands[0].contains("/var/log/apache2/error.log") && commands[0].contains("AH01114"), "{commands:?}");
    assert!(!commands.iter().any(|c| c.contains("kubectl")), "{commands:?}");
    // What the check looks for is what this Apache wrote.
    let log = std::fs::read_to_string(dir.path().join("error.log")).unwrap();
    assert!(log.contains("AH00957") && log.contains("AH01114"), "{log}");
    let (text, _, _) = probe_text("", &[&format!("http://{addr}/orders")]);
    assert!(widest(&text) <= 100, "{text}");

    let (r, _) = probe(&[&format!("http://{addr}/slow/report")]);
    assert_eq!((status(&r), responder(&r)), (502, "apache"), "{r:#}");
    let (causes, _) = reading(&r);
    assert!(causes.iter().any(|c| c == "upstream_timeout"), "{causes:?}");
    let log = std::fs::read_to_string(dir.path().join("error.log")).unwrap();
    assert!(log.contains("The timeout specified has expired") && log.contains("AH01102"), "{log}");
}

/// Real Varnish in front of a backend that refuses connections: its synthetic "503 Backend fetch
/// failed", read as Varnish's — refused, timed out, sick or garbage origins — with varnishlog and
/// varnishadm to look, never Kubernetes.
#[test]
fn varnish_backend_fetch_failed_reads_as_varnish() {
    let dir = tempfile::tempdir().unwrap();
    // The worker runs as another user when started as root: it must read the work directory.
    std::fs::set_permissions(dir.path(), std::os::unix::fs::PermissionsExt::from_mode(0o755)).unwrap();
    let addr = loopback_port();
    let dead = culprit_lab::proxy::free_port().unwrap();
    let work = dir.path().join("varnish");
    let _varnish = Daemon::start(
        "/usr/sbin/varnishd",
        &[
            "-F",
            "-a",
            &addr.to_string(),
            "-b",
            &format!("127.0.0.1:{dead}"),
            "-n",
            work.to_str().unwrap(),
            "-s",
            "malloc,16m",
        ],
        addr,
        dir.path(),
    );

    let (r, _) = probe(&[&format!("http://{addr}/catalog")]);
    assert_eq!((status(&r), responder(&r)), (503, "varnish"), "{r:#}");
    assert_eq!(r["hops"][0]["response"]["reason"], "Backend fetch failed", "its own reason phrase: {r:#}");
    let (causes, commands) = reading(&r);
    assert_eq!(causes[0], "upstream_connection_refused", "{causes:?}");
    assert!(causes.iter().any(|c| c == "upstream_timeout"), "first_byte_timeout is a Varnish 503: {causes:?}");
    assert!(!causes.iter().any(|c| c == "no_ready_endpoints" || c == "pod_crash_looping"), "{causes:?}");
    assert!(commands.iter().any(|c| c.starts_with("varnishlog")), "{commands:?}");
    assert!(commands.iter().any(|c| c == "varnishadm backend.list"), "{commands:?}");
    assert!(!commands.iter().any(|c| c.contains("kubectl")), "{commands:?}");
    let (text, _, _) = probe_text("", &[&format!("http://{addr}/catalog")]);
    assert!(widest(&text) <= 100, "{text}");
}

/// A long header value (a Content-Security-Policy) and a one-line body (minified JSON) are folded
/// under their first line: the terminal report stays within 100 columns.
#[test]
fn long_headers_and_bodies_fit_the_width() {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    std::thread::spawn(move || {
        let csp = (0..40).map(|i| format!("script-src-{i} https://cdn{i}.example.com")).collect::<Vec<_>>().join("; ");
        let body =
            format!("{{\"items\":[{}]}}", (0..300).map(|i| format!("{{\"id\":{i}}}")).collect::<Vec<_>>().join(","));
        for mut stream in listener.incoming().flatten() {
            let _ = stream.read(&mut [0u8; 4096]);
            let head = format!(
                "HTTP/1.1 200 OK\r\nContent-Security-Policy: {csp}\r\nContent-Type: application/json\r\n\
                 Content-Length: {}\r\nConnection: close\r\n\r\n",
                body.len()
            );
            let _ = stream.write_all(head.as_bytes());
            let _ = stream.write_all(body.as_bytes());
        }
    });
    let (text, _, code) = probe_text("", &[&format!("http://{addr}/items")]);
    assert_eq!(code, 0);
    assert!(widest(&text) <= 100, "{} columns:\n{text}", widest(&text));
    assert!(text.contains("< content-security-policy: script-src-0"), "{text}");
    assert!(text.contains("… ("), "the folded body is cut at its 12 lines:\n{text}");
}

/// A loopback server that answers each path with a canned response: the API-hygiene mistakes and
/// redirect chains the probe reports. `other` is another origin to redirect to.
fn canned_server(other: Option<SocketAddr>) -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    std::thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            let mut reader = BufReader::new(stream.try_clone().unwrap());
            let mut head = Vec::new();
            loop {
                let mut line = String::new();
                if reader.read_line(&mut line).unwrap_or(0) == 0 || line.trim().is_empty() {
                    break;
                }
                head.push(line.trim_end().to_owned());
            }
            let length = head
                .iter()
                .find_map(|h| h.to_ascii_lowercase().strip_prefix("content-length:").map(|v| v.trim().to_owned()))
                .and_then(|v| v.parse::<u64>().ok())
                .unwrap_or(0);
            let _ = std::io::copy(&mut reader.by_ref().take(length), &mut std::io::sink());
            let path = head.first().and_then(|l| l.split(' ').nth(1)).unwrap_or("/").to_owned();
            let cross = other.map(|o| format!("Location: http://{o}/landed\r\n")).unwrap_or_default();
            let (status, headers, body): (&str, String, &str) = match path.as_str() {
                "/created" => ("201 Created", String::new(), ""),
                "/slow" => ("429 Too Many Requests", String::new(), ""),
                "/method" => ("405 Method Not Allowed", String::new(), ""),
                "/unauth" => ("401 Unauthorized", String::new(), ""),
                "/err" => ("200 OK", "Content-Type: application/json\r\n".into(), r#"{"error":"no such item"}"#),
                "/noloc" => ("302 Found", String::new(), ""),
                "/post" => ("302 Found", "Location: /landed\r\n".into(), ""),
                "/loop-a" => ("302 Found", "Location: /loop-b\r\n".into(), ""),
                "/loop-b" => ("301 Moved Permanently", "Location: /loop-a\r\n".into(), ""),
                "/cross" => ("302 Found", cross, ""),
                "/chain" => ("302 Found", "Location: /chain-2\r\n".into(), ""),
                "/chain-2" => ("307 Temporary Redirect", "Location: /landed\r\n".into(), ""),
                "/badloc" => ("302 Found", "Location: http://[::1\r\n".into(), ""),
                "/big" => {
                    ("413 Payload Too Large", "Content-Type: application/json\r\n".into(), r#"{"error":"too big"}"#)
                }
                _ => ("200 OK", String::new(), "ok"),
            };
            let response = format!(
                "HTTP/1.1 {status}\r\n{headers}Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
                body.len()
            );
            let mut stream = stream;
            let _ = stream.write_all(response.as_bytes());
        }
    });
    addr
}

/// Every id `culprit probe` prints — lint ids, redirect-note ids, failure kinds — leads to its card
/// with `culprit explain <id>`, and the report's words are the knowledge base's.
#[test]
fn every_id_probe_prints_explains_itself() {
    let other = canned_server(None);
    let base = format!("http://{}", canned_server(Some(other)));
    let refused = format!("http://127.0.0.1:{}/", culprit_lab::proxy::free_port().unwrap());
    let cases: Vec<Vec<String>> = [
        &["/created"][..],
        &["/slow"],
        &["/method"],
        &["/unauth"],
        &["/err"],
        &["/noloc"],
        &["/post", "-d", "x", "--no-follow"],
        &["/post", "-d", "x"],
        &["/loop-a"],
        &["/cross", "-H", "Authorization: Bearer abc"],
        &["/chain", "--max-redirects", "1"],
        &["/badloc"],
        &["/big", "-d", "x"],
    ]
    .iter()
    .map(|c| {
        let mut args = vec![format!("{base}{}", c[0])];
        args.extend(c[1..].iter().map(|s| (*s).to_owned()));
        args
    })
    .chain(std::iter::once(vec![refused]))
    .collect();
    let mut ids = Vec::new();
    for args in &cases {
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let (r, _) = probe(&args);
        let (text, _, _) = probe_text("", &args);
        for l in r["lint"].as_array().unwrap() {
            let (id, message) = (l["id"].as_str().unwrap(), l["message"].as_str().unwrap());
            // The report prints what the knowledge base says, placeholders filled in.
            assert!(!message.contains('{'), "{id}: {message}");
            assert!(text.contains(&format!("• {id}: ")), "the terminal report names {id}:\n{text}");
            ids.push(id.to_owned());
        }
        for n in r["redirects"].as_array().unwrap() {
            assert!(!n["message"].as_str().unwrap().contains('{'), "{n}");
            ids.push(n["id"].as_str().unwrap().to_owned());
        }
        if let Some(kind) = r["outcome"]["failure"]["kind"].as_str() {
            ids.push(kind.to_owned());
        }
    }
    ids.sort();
    ids.dedup();
    let expected = [
        "bad_location",
        "confuse_401_403",
        "connect_refused",
        "credentials_dropped",
        "method_changed",
        "missing_allow_on_405",
        "missing_location_on_201",
        "missing_proxy_body_size",
        "missing_retry_after",
        "redirect_loop",
        "redirect_post_with_301_302",
        "redirect_without_location",
        "status_in_body",
        "too_many_redirects",
    ];
    assert_eq!(ids, expected);
    for id in &ids {
        let out = Command::new(env!("CARGO_BIN_EXE_culprit")).args(["explain", id, "--json"]).output().unwrap();
        assert!(out.status.success(), "explain {id}: {}", String::from_utf8_lossy(&out.stderr));
        let card: Value = serde_json::from_slice(&out.stdout).unwrap();
        let named = ["mistake", "failure", "note", "cause"].iter().find_map(|k| card[k]["id"].as_str());
        assert_eq!(named, Some(id.as_str()), "explain {id} answers with its own card: {card:#}");
    }
}

/// A plain application on loopback, like the stranger's Python one: `/err` 500 and `/unavail` 503
/// with a text body and its own `Server` header; `/quiet500` a 500 with a text body and no Server
/// header; `/empty503` a 503 with neither body nor Server header; `/slow` a 200 after 2.5 s;
/// anything else 200. One thread per connection, so a slow answer holds up nothing.
fn plain_app() -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    std::thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            std::thread::spawn(move || {
                let mut reader = BufReader::new(stream.try_clone().unwrap());
                let mut stream = stream;
                loop {
                    let mut request_line = String::new();
                    if reader.read_line(&mut request_line).unwrap_or(0) == 0 {
                        return;
                    }
                    loop {
                        let mut line = String::new();
                        if reader.read_line(&mut line).unwrap_or(0) == 0 || line.trim().is_empty() {
                            break;
                        }
                    }
                    let path = request_line.split(' ').nth(1).unwrap_or("/").to_owned();
                    let server = "Server: BaseHTTP/0.6 Python/3.11.7\r\n";
                    let (status, headers, body) = if path.ends_with("/err") {
                        ("500 Internal Server Error", server, "internal error from app\n")
                    } else if path.ends_with("/unavail") {
                        ("503 Service Unavailable", server, "app is unavailable\n")
                    } else if path.ends_with("/quiet500") {
                        ("500 Internal Server Error", "", "internal error from app\n")
                    } else if path.ends_with("/empty503") {
                        ("503 Service Unavailable", "", "")
                    } else {
                        if path.ends_with("/slow") {
                            std::thread::sleep(Duration::from_millis(2500));
                        }
                        ("200 OK", server, "ok\n")
                    };
                    let response = format!(
                        "HTTP/1.1 {status}\r\n{headers}Content-Type: text/plain\r\nContent-Length: {}\r\n\r\n{body}",
                        body.len()
                    );
                    if stream.write_all(response.as_bytes()).is_err() {
                        return;
                    }
                }
            });
        }
    });
    addr
}

/// nginx in front of `app` (`/app/…`) and of a port nothing listens on (`/dead/…`).
const NGINX_IN_FRONT: &str = "daemon off;
master_process off;
pid @@DIR@@/nginx.pid;
error_log @@DIR@@/error-warn.log warn;
events { worker_connections 64; }
http {
    client_body_temp_path @@DIR@@/tmp/client_body;
    proxy_temp_path @@DIR@@/tmp/proxy;
    fastcgi_temp_path @@DIR@@/tmp/fastcgi;
    uwsgi_temp_path @@DIR@@/tmp/uwsgi;
    scgi_temp_path @@DIR@@/tmp/scgi;
    access_log @@DIR@@/access.log;
    proxy_read_timeout 1s;
    server {
        listen 127.0.0.1:@@PORT@@;
        location /app/ { proxy_pass http://127.0.0.1:@@APP@@; }
        location /dead/ { proxy_pass http://127.0.0.1:@@DEAD@@; }
    }
}
";

/// Caddy (2.6: it adds its own `Server` beside the upstream's) in front of the same two.
const CADDY_IN_FRONT: &str = "{
\tadmin off
\tauto_https off
}
:@@PORT@@ {
\tbind 127.0.0.1
\thandle /app/* {
\t\treverse_proxy 127.0.0.1:@@APP@@
\t}
\thandle /dead/* {
\t\treverse_proxy 127.0.0.1:@@DEAD@@
\t}
}
";

fn in_front(kind: ProxyKind, app: SocketAddr, dir: &Path) -> culprit_lab::proxy::Proxy {
    let mut vars = std::collections::BTreeMap::new();
    vars.insert("APP", app.port().to_string());
    vars.insert("DEAD", culprit_lab::proxy::free_port().unwrap().to_string());
    let config = match kind {
        ProxyKind::Nginx => ("nginx.conf", NGINX_IN_FRONT),
        _ => ("Caddyfile", CADDY_IN_FRONT),
    };
    culprit_lab::proxy::Proxy::start_with(kind, dir, config, &vars, &[])
        .unwrap_or_else(|e| panic!("starting {}: {e:#}", kind.name()))
}

fn commands(r: &Value) -> Vec<String> {
    reading(r).1
}

/// The application's own 500/503 passed through real nginx or Caddy is the application's — its
/// text body is not nginx's error page; Caddy puts the application's Server header beside its own —
/// with the application's causes, never the proxy's (auth-url, a missing backend ref, a rate limit).
/// The proxy's own page stays the proxy's. An answer that does not say (an empty 503 behind nginx,
/// a Server-less text 500 behind Caddy) gets both readings at low confidence.
#[test]
fn an_applications_error_relayed_by_nginx_or_caddy_is_the_applications() {
    let app = plain_app();
    let not_the_proxys = ["auth_service_failed", "invalid_backend_ref", "proxy_error", "proxy_rate_limited"];
    for kind in [ProxyKind::Nginx, ProxyKind::Caddy] {
        let dir = tempfile::tempdir().unwrap();
        let proxy = in_front(kind, app, dir.path());
        let base = format!("http://{}", proxy.addr());
        let name = if kind == ProxyKind::Nginx { "nginx" } else { "Caddy" };

        for (path, cause) in [("/app/err", "app_error"), ("/app/unavail", "app_unavailable")] {
            let (r, _) = probe(&[&format!("{base}{path}")]);
            let who = &r["outcome"]["responder"];
            assert_eq!((responder(&r), who["relayed_by"][0].as_str()), ("application", Some(name)), "{path}: {r:#}");
            assert!(who["alternative"].is_null(), "{path}: settled: {r:#}");
            let summary = r["outcome"]["summary"].as_str().unwrap();
            assert!(summary.contains(&format!("from the application, passed through {name}")), "{summary}");
            let (causes, commands) = reading(&r);
            assert_eq!(causes[0], cause, "{path}: {causes:?}");
            assert!(!causes.iter().any(|c| not_the_proxys.contains(&c.as_str())), "{path}: {causes:?}");
            assert!(!commands.iter().any(|c| c.contains("kubectl")), "no sign of Kubernetes: {commands:?}");
        }
        // Caddy 2.6 says it outright: the application's Server header came through beside its own.
        if kind == ProxyKind::Caddy {
            let (r, _) = probe(&[&format!("{base}/app/err")]);
            assert_eq!(r["outcome"]["responder"]["confidence"], "high", "{r:#}");
            assert!(r["outcome"]["responder"]["evidence"][0].as_str().unwrap().contains("BaseHTTP"), "{r:#}");
        }
        let (text, _, _) = probe_text("", &[&format!("{base}/app/err")]);
        let flowed = text.split_whitespace().collect::<Vec<_>>().join(" ");
        let headline = format!("500 Internal Server Error from the application, passed through {name}");
        assert!(flowed.contains(&headline), "{text}");

        // The proxy's own 502 (nothing listens behind it): the proxy's, with its causes, and no API
        // hygiene advice for its default error page.
        let (r, _) = probe(&[&format!("{base}/dead/x")]);
        assert_eq!((status(&r), responder(&r)), (502, kind.name()), "{r:#}");
        assert!(causes(&r).contains(&"upstream_connection_refused"), "{r:#}");
        assert!(r["lint"].as_array().unwrap().is_empty(), "{r:#}");

        // Nothing decides: both readings, low confidence, the causes of each.
        let (path, first, other, proxy_cause, app_cause) = match kind {
            // nginx generates 503s itself (limit_req): its reading first.
            ProxyKind::Nginx => ("/app/empty503", "nginx", "application", "proxy_rate_limited", "app_unavailable"),
            // Caddy does not generate 500s of its own: the application's reading first.
            _ => ("/app/quiet500", "application", "caddy", "proxy_error", "app_error"),
        };
        let (r, _) = probe(&[&format!("{base}{path}")]);
        let who = &r["outcome"]["responder"];
        assert_eq!((who["id"].as_str(), who["alternative"]["id"].as_str()), (Some(first), Some(other)), "{r:#}");
        assert_eq!(who["confidence"], "low", "{r:#}");
        let both = causes(&r);
        assert!(both.contains(&proxy_cause) && both.contains(&app_cause), "{path}: {both:?}");
        assert!(r["outcome"]["summary"].as_str().unwrap().contains(" or from "), "{r:#}");
        assert!(!commands(&r).is_empty());
        let (text, _, _) = probe_text("", &[&format!("{base}{path}")]);
        assert!(widest(&text) <= 100, "{text}");
    }
}

/// The stranger's case: HAProxy (`timeout server 1s`) gives up with a 504 while the backend behind
/// it answers 200 — after longer than HAProxy waited. Not HAProxy's fault: the backend is slower
/// than the timeout. Against the lab's real HAProxy and its slow backend (1.6 s), and nginx (1 s).
#[test]
fn bisect_reads_an_inner_point_slower_than_the_outer_timeout() {
    for kind in [ProxyKind::Haproxy, ProxyKind::Nginx] {
        let (_dir, lab, base) = start(kind);
        let reports = format!("http://{}", lab.backend("reports").unwrap().addr());
        let (r, _) = probe(&[
            &format!("{base}/reports/monthly/slow"),
            "--via",
            &format!("proxy={base}"),
            "--via",
            &format!("backend={reports}"),
        ]);
        let b = &r["bisect"];
        assert_eq!(b["points"][0]["hop"]["response"]["status"], 504, "{b:#}");
        assert_eq!(b["points"][1]["hop"]["response"]["status"], 200, "{b:#}");
        assert_eq!(
            (b["finding"].as_str(), b["culprit"].as_str(), b["cause"].as_str(), b["owner"].as_str()),
            (Some("slower_than_timeout"), Some("backend"), Some("upstream_timeout"), Some("both")),
            "{b:#}"
        );
        let verdict = b["verdict"].as_str().unwrap();
        let setting = if kind == ProxyKind::Haproxy { "`timeout server`" } else { "`proxy_read_timeout`" };
        assert!(verdict.contains("backend is slower than the 1.0 s proxy waits for it"), "{verdict}");
        assert!(verdict.contains(&format!("proxy's {setting} is too short")), "{verdict}");
        assert!(!verdict.contains("the problem is at proxy"), "{verdict}");
    }
}

/// A healthy answer gets no next steps; a failure at a bare address names what is known (the
/// address), not a layer guessed from nothing; the Markdown timing bar is a code span with its
/// legend.
#[test]
fn healthy_answers_and_bare_addresses_get_no_guesses() {
    let app = plain_app();
    let url = format!("http://{app}/ok");
    let (text, _, code) = probe_text("", &[&url]);
    assert_eq!(code, 0);
    assert!(!text.contains("Next steps") && !text.contains("<METHOD>"), "{text}");
    let (r, _) = probe(&[&url]);
    assert!(r["outcome"]["checks"].as_array().unwrap().is_empty(), "{r:#}");
    assert!(text.contains("c connect") && text.contains("w wait"), "the bar's legend:\n{text}");
    let (md, _, _) = probe_text("--markdown", &[&url]);
    assert!(md.contains("`[") && !md.contains("\\["), "{md}");

    let port = culprit_lab::proxy::free_port().unwrap();
    let (text, _, _) = probe_text("", &[&format!("http://127.0.0.1:{port}/")]);
    assert!(!text.contains("Points to the"), "no layer without evidence:\n{text}");
    assert!(text.contains(&format!("At 127.0.0.1:{port}: which layer answers there is not known")), "{text}");
    let (r, _) = probe(&[&format!("http://127.0.0.1:{port}/")]);
    let d = &r["outcome"]["diagnosis"];
    assert!(d["layer_evidence"].is_null() && d["address"] == format!("127.0.0.1:{port}"), "{d:#}");
}
