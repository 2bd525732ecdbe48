//! `culprit probe` against real nginx, HAProxy and Caddy on loopback (the lab's configs and
//! backends): their own error pages must be recognised as theirs, the application's answers as the
//! application's, and bisection must point at the layer that breaks. No test leaves loopback.

use std::process::Command;

use culprit_lab::lab::Lab;
use culprit_lab::proxy::ProxyKind;
use serde_json::Value;

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
    assert_eq!(b["culprit"], "ingress", "{b:#}");
    assert_eq!(b["points"][0]["hop"]["response"]["status"], 502);
    assert_eq!(b["points"][1]["hop"]["response"]["status"], 200);
    assert_eq!(b["points"][1]["hop"]["request_headers"][0][1], lab.proxy.addr().to_string(), "same Host header: {b:#}");
}

#[test]
fn haproxy_pages() {
    let (_dir, _lab, base) = start(ProxyKind::Haproxy);
    let (r, _) = probe(&[&format!("{base}/search/query?q=1")]);
    assert_eq!((status(&r), responder(&r)), (503, "haproxy"), "{r:#}");
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
