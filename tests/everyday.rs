//! `culprit logs` on everyday input (issue 12): nginx's own formats, error-log joins across time
//! zones, short captures, redirect loops, the same evidence in different formats, and next steps
//! that fit where the proxy runs. Each test starts from a behaviour a user met.

use culprit_logs::report::LogReport;
use std::fmt::Write as _;
use std::process::{Command, Output, Stdio};

fn culprit(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_culprit")).args(args).stdin(Stdio::null()).output().expect("run culprit")
}

fn report(args: &[&str]) -> LogReport {
    let mut all = vec!["logs", "--json"];
    all.extend_from_slice(args);
    let out = culprit(&all);
    assert!(out.status.success(), "{all:?}: {}", String::from_utf8_lossy(&out.stderr));
    serde_json::from_slice(&out.stdout).expect("report matches the schema")
}

fn write(dir: &tempfile::TempDir, name: &str, text: &str) -> String {
    let p = dir.path().join(name);
    std::fs::write(&p, text).unwrap();
    p.to_str().unwrap().to_owned()
}

/// A 90-second capture of an outage behind nginx writing its packages' `main` format at +0100,
/// every other request sent to a dead upstream, with the error log in local time.
fn outage(access_suffix: &str) -> (String, String) {
    let (mut access, mut errors) = (String::new(), String::new());
    for i in 0..82u32 {
        let t = i * 90 / 82;
        let (m, s) = (50 + t / 60, t % 60);
        let dead = i % 2 == 0;
        let status = if dead { 502 } else { 200 };
        let client = format!("192.0.2.{}", i % 7 + 1);
        let _ = writeln!(
            access,
            r#"{client} - - [08/Mar/2026:15:{m:02}:{s:02} +0100] "GET /api/items/{i} HTTP/1.1" {status} 157 "-" "curl/8.5.0" "-"{access_suffix}"#
        );
        if dead {
            let _ = writeln!(
                errors,
                r#"2026/03/08 15:{m:02}:{s:02} [error] 29#29: *{i} connect() failed (111: Connection refused) while connecting to upstream, client: {client}, server: shop, request: "GET /api/items/{i} HTTP/1.1", upstream: "http://10.0.0.2:8080/api/items/{i}", host: "shop.example""#
            );
        }
    }
    (access, errors)
}

#[test]
fn nginx_main_format_with_a_local_time_error_log_is_read_joined_and_reported() {
    let dir = tempfile::tempdir().unwrap();
    let (access, errors) = outage("");
    let a = write(&dir, "access.log", &access);
    let e = write(&dir, "error.log", &errors);
    let r = report(&[&a, "--error-log", &e]);
    assert_eq!(r.inputs[0].format.as_deref(), Some("nginx main"));
    assert_eq!(r.requests, 82, "every line read");
    let j = r.join.as_ref().expect("join summary");
    assert_eq!((j.lines, j.used, j.left_over, j.assumed_utc), (41, 41, 0, 0), "{j:?}");
    // Too short for a baseline, still reported.
    let inc = r.incidents.first().expect("a short capture still reports what it sees");
    assert_eq!(inc.baseline_rate, None);
    let c = &inc.causes[0];
    assert_eq!((c.status, c.cause.as_str()), (502, "upstream_connection_refused"));
    assert_eq!(c.confidence, culprit_kb::Confidence::High, "the error log decides");
    assert!(inc.headline.contains("no earlier baseline"), "{}", inc.headline);
    // Plain hosts: no kubectl in the next steps.
    assert_eq!(r.environment.kind, "hosts");
    assert!(inc.next_steps.iter().all(|s| !s.command.contains("kubectl")), "{:#?}", inc.next_steps);
}

#[test]
fn combined_with_extra_fields_and_common_log_format_are_sniffed() {
    let dir = tempfile::tempdir().unwrap();
    let (access, _) = outage(" 0.012");
    let combined_plus = access.replace(r#" "-" 0.012"#, " 0.012");
    let a = write(&dir, "a.log", &combined_plus);
    assert_eq!(report(&[&a]).inputs[0].format.as_deref(), Some("nginx combined + extra fields"));
    let common: String = access.lines().map(|l| l.split(r#" "-" "curl"#).next().unwrap().to_owned() + "\n").collect();
    let c = write(&dir, "c.log", &common);
    let r = report(&[&c]);
    assert_eq!(r.inputs[0].format.as_deref(), Some("common log format"));
    assert_eq!(r.requests, 82);
}

#[test]
fn an_error_log_given_as_an_input_is_joined_not_unrecognised() {
    let dir = tempfile::tempdir().unwrap();
    let (access, errors) = outage("");
    let a = write(&dir, "access.log", &access);
    let e = write(&dir, "error.log", &errors);
    let r = report(&[&a, &e]);
    assert!(r.inputs[1].error.is_none(), "{:?}", r.inputs[1]);
    assert!(r.inputs[1].format.as_deref().is_some_and(|f| f.contains("error log")));
    assert_eq!(r.join.as_ref().map(|j| j.used), Some(41));
    assert_eq!(r.incidents[0].causes[0].confidence, culprit_kb::Confidence::High);
}

#[test]
fn an_unrecognised_format_names_what_was_tried_and_how_to_describe_it() {
    let dir = tempfile::tempdir().unwrap();
    let a = write(&dir, "odd.log", "2026-03-08T14:00:00 GET /x -> 502 in 3ms\n");
    let out = culprit(&["logs", &a]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("tried: ingress-nginx upstreaminfo") && err.contains("--nginx-format"), "{err}");
}

#[test]
fn a_redirect_loop_is_one_finding_with_its_cycle() {
    let dir = tempfile::tempdir().unwrap();
    let mut log = String::new();
    for i in 0..12 {
        let p = if i % 2 == 0 { "/login" } else { "/sso/callback" };
        let _ = writeln!(
            log,
            r#"198.51.100.7 - - [08/Mar/2026:14:00:{:02} +0000] "GET {p}?n={i} HTTP/1.1" 302 0 "-" "Mozilla/5.0""#,
            i / 3
        );
        let _ = writeln!(
            log,
            r#"198.51.100.{} - - [08/Mar/2026:14:00:{:02} +0000] "GET / HTTP/1.1" 200 612 "-" "curl""#,
            i + 10,
            i / 3
        );
    }
    let a = write(&dir, "loop.log", &log);
    let r = report(&[&a]);
    assert_eq!(r.redirect_loops.len(), 1, "{:#?}", r.redirect_loops);
    let l = &r.redirect_loops[0];
    assert_eq!((l.client.as_str(), l.redirects, l.paths.len()), ("198.51.100.7", 12, 2));
    assert!(r.findings.iter().any(|f| f.cause == "redirect_loop"));
    let text = String::from_utf8_lossy(&culprit(&["logs", &a]).stdout).into_owned();
    assert!(text.contains("Redirect loops") && text.contains("/sso/callback"), "{text}");
}

#[test]
fn haproxy_on_plain_hosts_gets_host_level_next_steps() {
    let dir = tempfile::tempdir().unwrap();
    let mut log = String::new();
    for i in 0..200u32 {
        let (m, s) = (i / 60, i % 60);
        let down = i >= 120 && i % 2 == 0;
        let (status, state, server, timers) =
            if down { (503, "SC--", "api2", "0/0/-1/-1/0") } else { (200, "----", "api1", "0/0/1/2/3") };
        let _ = writeln!(
            log,
            r#"Mar  8 14:{m:02}:{s:02} lb1 haproxy[2211]: 192.0.2.{}:5{i:04} [08/Mar/2026:14:{m:02}:{s:02}.120] www api/{server} {timers} {status} 217 - - {state} 1/1/0/0/0 0/0 "GET /v1/orders/{i} HTTP/1.1""#,
            i % 9 + 1
        );
    }
    let a = write(&dir, "haproxy.log", &log);
    let r = report(&[&a]);
    assert_eq!(r.environment.kind, "hosts");
    let inc = r.incidents.first().expect("api2 refusing is an incident");
    assert_eq!(inc.causes[0].cause, "upstream_connection_refused");
    assert!(!inc.next_steps.is_empty());
    assert!(inc.next_steps.iter().all(|s| !s.command.contains("kubectl")), "{:#?}", inc.next_steps);
}

/// The same failure written by different proxies gives the same diagnosis (issue 12: a Traefik
/// JSON 502 came out as `no_live_upstreams` where the common format said the connection failed).
#[test]
fn the_same_evidence_gives_the_same_answer_whatever_format_carries_it() {
    let dir = tempfile::tempdir().unwrap();
    // An upstream that refuses connections, as each proxy logs it.
    let refused: &[(&str, String)] = &[
        (
            "ingress-nginx",
            r#"10.0.0.9 - - [08/Mar/2026:14:00:00 +0000] "GET /x HTTP/1.1" 502 150 "-" "curl" 90 0.001 [ns-svc-80] [] 10.0.0.1:8080 0 0.000 502 abc"#.to_owned(),
        ),
        (
            "traefik json",
            r#"{"ClientHost":"10.0.0.9","DownstreamStatus":502,"OriginStatus":0,"RequestMethod":"GET","RequestPath":"/x","ServiceName":"svc@kubernetes","ServiceAddr":"10.0.0.1:8080","StartUTC":"2026-03-08T14:00:00Z","Duration":1200000}"#.to_owned(),
        ),
        (
            "traefik common",
            r#"10.0.0.9 - - [08/Mar/2026:14:00:00 +0000] "GET /x HTTP/1.1" 502 11 "-" "curl" 1 "svc@kubernetes" "http://10.0.0.1:8080" 1ms"#.to_owned(),
        ),
        (
            "envoy",
            r#"[2026-03-08T14:00:00.000Z] "GET /x HTTP/1.1" 503 UF 0 91 1 - "-" "curl" "id" "svc" "10.0.0.1:8080""#.to_owned(),
        ),
        (
            "haproxy",
            r#"haproxy[1]: 10.0.0.9:5000 [08/Mar/2026:14:00:00.000] fe be/srv1 0/0/-1/-1/0 503 217 - - SC-- 1/1/0/0/3 0/0 "GET /x HTTP/1.1""#.to_owned(),
        ),
    ];
    for (name, line) in refused {
        let a = write(&dir, "one.log", &format!("{line}\n"));
        let out = culprit(&["logs", "--per-request", &a]);
        let rec: culprit_logs::engine::RequestRecord = serde_json::from_slice(&out.stdout)
            .unwrap_or_else(|e| panic!("{name}: {e}: {}", String::from_utf8_lossy(&out.stderr)));
        assert_eq!(
            (rec.cause.as_str(), rec.generated_by),
            ("upstream_connection_refused", culprit_kb::GeneratedBy::Proxy),
            "{name}: {rec:?}"
        );
    }
}

/// Timeouts come from one place and the user can set them: a 504 after 3 s is a connect timeout
/// for a proxy whose connect timeout is 3 s, not for one at nginx's default 5 s.
#[test]
fn proxy_timeouts_can_be_given() {
    let dir = tempfile::tempdir().unwrap();
    let line = r#"10.0.0.9 - - [08/Mar/2026:14:00:00 +0000] "GET /x HTTP/1.1" 504 160 "-" "curl" 90 3.001 [ns-svc-80] [] 10.0.0.1:8080 0 3.000 504 abc"#;
    let a = write(&dir, "one.log", &format!("{line}\n"));
    let cause = |extra: &[&str]| {
        let mut args = vec!["logs", "--per-request", a.as_str()];
        args.extend_from_slice(extra);
        let out = culprit(&args);
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        serde_json::from_slice::<culprit_logs::engine::RequestRecord>(&out.stdout).unwrap().cause
    };
    assert_eq!(cause(&[]), "upstream_timeout");
    assert_eq!(cause(&["--proxy-timeouts", "connect=3s"]), "upstream_connect_timeout");
    let out = culprit(&["logs", &a, "--proxy-timeouts", "connect=fast"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("not a duration"));
}

/// `kubectl logs … | culprit logs` reads stdin without `-`.
#[test]
fn a_pipe_is_read_without_a_dash() {
    use std::io::Write;
    let mut child = Command::new(env!("CARGO_BIN_EXE_culprit"))
        .args(["logs", "--json"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let line = r#"10.0.0.9 - - [08/Mar/2026:14:00:00 +0000] "GET /x HTTP/1.1" 200 5 "-" "curl""#;
    child.stdin.take().unwrap().write_all(format!("{line}\n").as_bytes()).unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let r: LogReport = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(r.requests, 1);
}

/// `culprit logs` fed by a pipe, with `--json`.
fn report_from_stdin(text: &str) -> LogReport {
    use std::io::Write;
    let mut child = Command::new(env!("CARGO_BIN_EXE_culprit"))
        .args(["logs", "--json"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    let text = text.to_owned();
    let writer = std::thread::spawn(move || stdin.write_all(text.as_bytes()));
    let out = child.wait_with_output().unwrap();
    writer.join().unwrap().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    serde_json::from_slice(&out.stdout).unwrap()
}

#[test]
fn docker_compose_and_syslog_prefixes_come_off_and_the_interleaved_error_log_still_joins() {
    // `docker compose logs nginx`: access and error lines in one stream, each behind the
    // service's padded name (nginx writes the error entry first, when the connection fails, the
    // access line when the request ends); then the same through journald's short format.
    let (access, errors) = outage("");
    let mut e = errors.lines();
    let mut compose = String::new();
    for (i, line) in access.lines().enumerate() {
        if i % 2 == 0 {
            let _ = writeln!(compose, "nginx-1  | {}", e.next().unwrap());
        }
        let _ = writeln!(compose, "nginx-1  | {line}");
    }
    let mut journald = String::new();
    for l in compose.lines() {
        let _ = writeln!(journald, "Mar  8 14:51:02 web1 docker[812]: {l}");
    }
    let dir = tempfile::tempdir().unwrap();
    for (text, wrapper) in [(&compose, "docker compose logs"), (&journald, "syslog + docker compose logs")] {
        let path = write(&dir, "compose.log", text);
        for r in [report(&[&path]), report_from_stdin(text)] {
            assert_eq!(r.inputs[0].format.as_deref(), Some("nginx main"), "{:?}", r.inputs[0]);
            assert_eq!(r.inputs[0].wrapper.as_deref(), Some(wrapper));
            assert_eq!(r.requests, 82, "every access line read");
            assert_eq!(r.unparsed.count, 0, "{:?}", r.unparsed.samples);
            assert_eq!(r.join.as_ref().map(|j| (j.lines, j.used)), Some((41, 41)), "{:?}", r.join);
            let c = &r.incidents[0].causes[0];
            assert_eq!(
                (c.status, c.cause.as_str(), c.confidence),
                (502, "upstream_connection_refused", culprit_kb::Confidence::High)
            );
        }
    }
}

/// `kubectl logs` across an ingress controller's pods and an app's: the controller's default
/// lines and its own klog lines, another nginx writing `escape=json` lines, an application's
/// request log in JSON. The input's format reads most lines; the others are read line by line by
/// the format that reads each, counted in the input's summary, and attributed with that format's
/// traits (nginx's upstream fields decide; the application's log says nothing for sure).
#[test]
fn a_mixed_input_is_read_line_by_line_and_a_layout_of_its_own_by_the_generic_fallback() {
    let mut text = String::new();
    for i in 0..30u32 {
        let status = if i % 10 == 9 { 404 } else { 200 };
        let _ = writeln!(
            text,
            r#"192.0.2.{} - - [08/Mar/2026:14:00:{i:02} +0000] "GET /api/items/{i} HTTP/1.1" {status} 157 "-" "curl/8.5.0" 85 0.004 [shop-api-80] [] 10.244.1.7:8080 157 0.004 {status} 5e9f0c1a7b2d4e8f9a0b1c2d3e4f5a{i:02}"#,
            i % 7 + 1
        );
        if i % 10 == 0 {
            let _ = writeln!(
                text,
                r#"I0308 14:00:{i:02}.123456       7 store.go:440] "Found valid IngressClass" ingress="shop/api""#
            );
        }
        if i % 15 == 5 {
            let _ = writeln!(
                text,
                r#"{{"time_iso8601": "2026-03-08T14:00:{i:02}+00:00", "request": "POST /checkout HTTP/1.1", "status": "502", "body_bytes_sent": "157", "request_time": "0.003", "upstream_addr": "10.244.2.9:8080", "upstream_response_length": "0", "upstream_response_time": "0.002", "upstream_status": "502"}}"#
            );
            let _ = writeln!(
                text,
                r#"{{"level":"info","ts":"2026-03-08T14:00:{i:02}.123Z","msg":"request","method":"GET","path":"/api/orders/42","status":"503","latency":"12.5ms","remote_ip":"10.0.0.7:51234"}}"#
            );
        }
    }
    let dir = tempfile::tempdir().unwrap();
    let path = write(&dir, "kubectl-logs.txt", &text);
    for r in [report(&[&path]), report_from_stdin(&text)] {
        let input = &r.inputs[0];
        assert_eq!(input.format.as_deref(), Some("ingress-nginx upstreaminfo"));
        assert_eq!(r.requests, 34, "every request line read: {:?}", r.unparsed.samples);
        assert_eq!(r.unparsed.count, 0, "{:?}", r.unparsed.samples);
        assert_eq!(input.other_format_lines, 4);
        let others: Vec<(&str, u64)> = input.other_formats.iter().map(|o| (o.format.as_str(), o.lines)).collect();
        assert_eq!(others, [("generic JSON", 2), ("nginx json", 2)]);
    }
    // Each line with its own format's context.
    let out = culprit(&["logs", "--per-request", &path]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let records: Vec<serde_json::Value> =
        String::from_utf8_lossy(&out.stdout).lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    let of = |status: u64| records.iter().filter(move |r| r["status"] == status).collect::<Vec<_>>();
    for r in of(502) {
        // nginx's own fields, read with nginx's traits: the upstream was contacted and sent
        // nothing back, so nginx wrote the 502.
        assert_eq!(
            (r["generated_by"].as_str(), r["cause"].as_str()),
            (Some("proxy"), Some("upstream_closed_prematurely")),
            "{r}"
        );
    }
    for r in of(503) {
        // An application's log: who made the status is not in the line.
        assert_ne!(r["confidence"].as_str(), Some("high"), "{r}");
        assert_eq!(r["path"].as_str(), Some("/api/orders/42"));
    }
    assert_eq!((of(502).len(), of(503).len()), (2, 2));
    // The summary says it in words.
    let human = culprit(&["logs", &path]);
    let shown = String::from_utf8_lossy(&human.stdout);
    let words = shown.split_whitespace().collect::<Vec<_>>().join(" ");
    assert!(words.contains("other lines read as 2 generic JSON, 2 nginx json"), "{shown}");

    // A whole input in a layout no format has (Jira's access valve): the generic fallback, named
    // after what it read, and no attribution above medium confidence.
    let mut jira = String::new();
    for i in 0..20u32 {
        let status = if i % 4 == 3 { 500 } else { 200 };
        let _ = writeln!(
            jira,
            r#"localhost:443 178.20.184.{i} 1j0vhgd jsmith [26/Jul/2023:00:01:{i:02} -0700] "GET /secure/RapidBoard.jspa?rapidView={i} HTTP/2.0" {status} 17163 "-" "Mozilla/5.0" 1160"#
        );
    }
    let path = write(&dir, "jira-access.log", &jira);
    let r = report(&[&path]);
    assert_eq!(r.inputs[0].format.as_deref(), Some("generic text (quoted request line + status)"));
    assert_eq!((r.requests, r.errors), (20, 5));
    for inc in &r.incidents {
        for c in &inc.causes {
            assert_ne!(c.confidence, culprit_kb::Confidence::High, "{c:?}");
        }
    }
}

#[test]
fn caddys_own_messages_are_skipped_an_unhandled_request_is_a_missing_route() {
    // Caddy's stderr and its access log in one file, as `journalctl -u caddy` or a container's
    // log gives them.
    let dir = tempfile::tempdir().unwrap();
    let data = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/caddy-2.6.2/");
    let text = std::fs::read_to_string(format!("{data}caddy-stderr.log")).unwrap()
        + &std::fs::read_to_string(format!("{data}access.log")).unwrap();
    let path = write(&dir, "caddy.log", &text);
    let r = report(&[&path]);
    assert_eq!(r.unparsed.count, 0, "startup and shutdown messages are not bad lines: {:?}", r.unparsed.samples);
    assert_eq!(r.requests, 2);
    let out = culprit(&["logs", "--per-request", &path]);
    let records: Vec<culprit_logs::engine::RequestRecord> = out
        .stdout
        .split(|&b| b == b'\n')
        .filter(|l| !l.is_empty())
        .map(|l| serde_json::from_slice(l).unwrap())
        .collect();
    let by_path = |p: &str| records.iter().find(|r| r.path.as_deref() == Some(p)).unwrap();
    assert_eq!(
        (by_path("/old/x").cause.as_str(), by_path("/old/x").generated_by),
        ("no_route", culprit_kb::GeneratedBy::Proxy)
    );
    let refused = by_path("/api/x");
    assert_eq!(
        (refused.cause.as_str(), refused.confidence),
        ("upstream_connection_refused", culprit_kb::Confidence::High)
    );
}

#[test]
fn lines_without_a_status_are_said_not_dropped_silently() {
    // Express's morgan logs `-` for a request whose response headers were never written (a public
    // `docker logs` excerpt); nginx's combined layout otherwise.
    let dir = tempfile::tempdir().unwrap();
    let log = write(
        &dir,
        "morgan.log",
        "::ffff:172.17.0.1 - - [07/Mar/2017:04:31:04 +0000] \"GET /public/cstrike HTTP/1.1\" - - \"-\" \"Mozilla/5.0\"\n\
         ::ffff:172.17.0.1 - - [07/Mar/2017:04:31:05 +0000] \"GET /favicon.ico HTTP/1.1\" 200 12 \"-\" \"Mozilla/5.0\"\n",
    );
    let out = culprit(&["logs", &log]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{text}");
    assert!(text.contains("1 line without a status"), "{text}");
    assert_eq!(report(&[&log]).unparsed.lines_without_status, 1);
    let html = dir.path().join("report.html");
    let out = culprit(&["logs", &log, "--html", html.to_str().unwrap()]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(std::fs::read_to_string(&html).unwrap().contains("1 line without a status"));
    // Pasted alone, the line is named for what it is, not "not recognised".
    let out = culprit(&[
        "explain",
        "::ffff:127.0.0.1 - - [19/May/2022:14:57:24 +0000] \"GET /delayed HTTP/1.1\" - - \"-\" \"-\"",
    ]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(err.contains("access line (nginx combined) with no status"), "{err}");
}

#[test]
fn a_pretty_printed_json_entry_pasted_to_explain_is_read_as_one_line() {
    // jq, Kibana and Cloud Logging show an entry over several lines; it is still one request.
    let entry = r#"{
  "ClientHost": "10.0.0.9",
  "DownstreamStatus": 502,
  "OriginStatus": 0,
  "RequestMethod": "GET",
  "RequestPath": "/api/orders",
  "ServiceName": "shop-orders-8080@kubernetes",
  "ServiceAddr": "10.244.1.7:8080",
  "StartUTC": "2026-11-29T20:01:02.123Z"
}"#;
    let out = culprit(&["explain", entry]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(text.contains("read as traefik json"), "{text}");
    assert!(text.contains("502 Bad Gateway"), "{text}");
    // Several lines of anything else are an excerpt for `culprit logs`, not one line.
    let out = culprit(&["explain", "502 Bad Gateway\n504 Gateway Timeout"]);
    assert!(!String::from_utf8_lossy(&out.stdout).contains("Access-log line"));
}
