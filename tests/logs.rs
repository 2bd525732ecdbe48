//! `culprit logs` through the binary: the shipped example's diagnosis, every read path (file,
//! directory, gzip, stdin, container wrappers), bad input, filters, and the JSON contracts.

use culprit_logs::engine::RequestRecord;
use culprit_logs::report::LogReport;
use std::fmt::Write as _;
use std::io::Write;
use std::process::{Command, Output, Stdio};

const EXAMPLE: &str = "examples/incident-502/ingress-nginx.log.gz";

fn culprit(args: &[&str], stdin: Option<&[u8]>) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_culprit"))
        .args(args)
        .env_remove("COLUMNS")
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .stdin(if stdin.is_some() { Stdio::piped() } else { Stdio::null() })
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run culprit");
    if let Some(data) = stdin {
        child.stdin.take().unwrap().write_all(data).unwrap();
    }
    child.wait_with_output().unwrap()
}

fn report(args: &[&str], stdin: Option<&[u8]>) -> LogReport {
    let mut all = vec!["logs", "--json"];
    all.extend_from_slice(args);
    let out = culprit(&all, stdin);
    assert!(out.status.success(), "{:?}: {}", all, String::from_utf8_lossy(&out.stderr));
    serde_json::from_slice(&out.stdout).expect("report matches the schema")
}

fn example_lines() -> Vec<u8> {
    let mut d = flate2::read::GzDecoder::new(
        std::fs::File::open(concat!(env!("CARGO_MANIFEST_DIR"), "/", "examples/incident-502/ingress-nginx.log.gz"))
            .unwrap(),
    );
    let mut out = Vec::new();
    std::io::Read::read_to_end(&mut d, &mut out).unwrap();
    out
}

fn tmp() -> tempfile::TempDir {
    tempfile::tempdir().unwrap()
}

#[test]
fn the_example_incident_is_diagnosed() {
    let r = report(&[EXAMPLE], None);
    assert_eq!(r.incidents.len(), 1, "{:#?}", r.incidents.iter().map(|i| &i.headline).collect::<Vec<_>>());
    let inc = &r.incidents[0];
    assert_eq!(inc.service, "default-checkout-8080");
    let top = &inc.causes[0];
    assert_eq!((top.status, top.cause.as_str()), (502, "upstream_connection_refused"));
    assert_eq!(top.generated_by, culprit_kb::GeneratedBy::Proxy);
    assert_eq!(top.confidence, culprit_kb::Confidence::High, "the interleaved error log decides");
    assert_eq!(top.owner, culprit_kb::Owner::Devops);
    assert!(inc.causes.iter().any(|c| c.cause == "upstream_closed_prematurely"));
    assert_eq!(inc.upstreams[0].key, "10.244.1.5:8080");
    assert!(inc.upstreams[0].share > 0.8);
    assert!(inc.start.as_str() >= "2026-03-08T13:49" && inc.start.as_str() <= "2026-03-08T13:52", "{}", inc.start);
    assert!(inc.end.as_str() >= "2026-03-08T14:08" && inc.end.as_str() <= "2026-03-08T14:12", "{}", inc.end);
    assert!(inc.headline.starts_with("502s on default-checkout-8080 rose from"), "{}", inc.headline);
    assert!(inc.next_steps.iter().any(|s| s.command.contains("kubectl")));
    let chronic: Vec<(&str, &str)> = r.chronic.iter().map(|c| (c.service.as_str(), c.cause.as_str())).collect();
    assert!(chronic.contains(&("upstream-default-backend", "no_route")), "{chronic:?}");
    assert_eq!(r.requests, 12_000);
    assert_eq!(r.unparsed.count, 0);
    assert!(r.unparsed.other_lines > 0, "error-log lines are recognised, not bad");
}

#[test]
fn terminal_and_markdown_lead_with_the_headline() {
    let out = culprit(&["logs", EXAMPLE], None);
    let text = String::from_utf8(out.stdout).unwrap();
    let first_incident = text.lines().position(|l| l.starts_with("Incident 1")).expect("an incident section");
    assert!(text.lines().nth(first_incident + 1).unwrap().starts_with("502s on default-checkout-8080"));
    assert!(!text.contains('\x1b'));
    for line in text.lines() {
        assert!(textwrap::core::display_width(line) <= 100, "{line}");
    }
    let md = String::from_utf8(culprit(&["logs", EXAMPLE, "--markdown"], None).stdout).unwrap();
    assert!(md.contains("**Incident 1 — default-checkout-8080**"), "{md}");
}

#[test]
fn stdin_plain_and_gzip_give_the_same_answer() {
    let plain = example_lines();
    let from_stdin = report(&["-"], Some(&plain));
    let from_file = report(&[EXAMPLE], None);
    assert_eq!(from_stdin.requests, from_file.requests);
    let causes =
        |r: &LogReport| r.incidents[0].causes.iter().map(|c| (c.status, c.cause.clone(), c.errors)).collect::<Vec<_>>();
    assert_eq!(causes(&from_stdin), causes(&from_file));
    let example = from_stdin.incidents[0].causes[0].example.as_ref().unwrap();
    assert_eq!(example.file, "-");
    assert_eq!(example.line, from_file.incidents[0].causes[0].example.as_ref().unwrap().line);
    assert_eq!(from_stdin.inputs[0].path, "-");
}

#[test]
fn directories_rotated_multi_member_gzip_and_wrappers() {
    let lines = example_lines();
    let text = String::from_utf8(lines.clone()).unwrap();
    let all: Vec<&str> = text.lines().collect();
    let (a, b) = all.split_at(all.len() / 2);
    let dir = tmp();
    // Rotated pair: the older half as a two-member gzip, the newer half plain.
    let mut gz = Vec::new();
    for part in a.chunks(a.len() / 2 + 1) {
        let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        e.write_all((part.join("\n") + "\n").as_bytes()).unwrap();
        gz.extend(e.finish().unwrap());
    }
    std::fs::create_dir(dir.path().join("rotated")).unwrap();
    std::fs::write(dir.path().join("rotated/access.log.1.gz"), gz).unwrap();
    std::fs::write(dir.path().join("rotated/access.log"), b.join("\n") + "\n").unwrap();
    let r = report(&[dir.path().to_str().unwrap()], None);
    assert_eq!(r.inputs.len(), 2);
    assert!(r.inputs.iter().any(|i| i.gzip));
    assert_eq!(r.requests, 12_000);
    assert_eq!(r.incidents[0].causes[0].cause, "upstream_connection_refused");

    // CRI (containerd) and Docker json-file wrappers, as copied from a node.
    let cri = all.iter().fold(String::new(), |mut out, l| {
        let _ = writeln!(out, "2026-03-08T13:30:00.000000000Z stdout F {l}");
        out
    });
    let r = report(&["-"], Some(cri.as_bytes()));
    assert_eq!(r.inputs[0].wrapper.as_deref(), Some("cri"));
    assert_eq!(r.requests, 12_000);
    assert_eq!(r.incidents[0].causes[0].confidence, culprit_kb::Confidence::High);
    let docker: String = all
        .iter()
        .take(3000)
        .map(|l| {
            serde_json::json!({"log": format!("{l}\n"), "stream": "stdout", "time": "2026-03-08T13:30:00.1Z"})
                .to_string()
                + "\n"
        })
        .collect();
    let r = report(&["-"], Some(docker.as_bytes()));
    assert_eq!(r.inputs[0].wrapper.as_deref(), Some("docker"));
    assert!(r.requests > 2900);
}

#[test]
fn bad_lines_are_counted_sampled_and_never_stop_the_run() {
    let mut data = example_lines();
    data.extend_from_slice(b"this is not a log line\r\n");
    data.extend_from_slice(&[0xff, 0xfe, 0x00, 0x01, b'\n']);
    data.extend_from_slice(
        b"1.2.3.4 - - [08/Mar/2026:14:29:59 +0000] \"GET / HTTP/1.1\" abc 0 \"-\" \"-\" 1 0.001 [x] [] - - - - id\n",
    );
    data.extend(std::iter::repeat_n(b'y', 3 << 20));
    data.extend_from_slice(b"\n");
    let r = report(&["--max-line", "1048576", "-"], Some(&data));
    assert_eq!(r.requests, 12_000, "every good line still counted");
    assert_eq!(r.unparsed.count, 4, "{:?}", r.unparsed);
    assert!(r.unparsed.samples.iter().any(|s| s.text.contains("not a log line") && s.line > 12_000));
    assert!(r.unparsed.by_reason.iter().any(|s| s.key.contains("line-length cap")));
}

#[test]
fn truncated_gzip_keeps_what_was_read_and_names_the_file() {
    let dir = tmp();
    let gz = std::fs::read(concat!(env!("CARGO_MANIFEST_DIR"), "/examples/incident-502/ingress-nginx.log.gz")).unwrap();
    let cut = dir.path().join("cut.log.gz");
    std::fs::write(&cut, &gz[..gz.len() / 2]).unwrap();
    let out = culprit(&["logs", "--json", cut.to_str().unwrap()], None);
    assert!(out.status.success());
    let r: LogReport = serde_json::from_slice(&out.stdout).unwrap();
    assert!(r.requests > 3000 && r.requests < 12_000, "{}", r.requests);
    assert!(r.inputs[0].error.as_deref().unwrap_or_default().contains("gzip"), "{:?}", r.inputs[0].error);
    assert!(String::from_utf8_lossy(&out.stderr).contains("cut.log.gz"));
}

#[test]
fn unusable_inputs_name_themselves() {
    let dir = tmp();
    let out = culprit(&["logs", dir.path().to_str().unwrap()], None);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("holds no files"));
    let out = culprit(&["logs", "/no/such/file.log"], None);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("/no/such/file.log"));
    let junk = dir.path().join("junk.txt");
    std::fs::write(&junk, "hello\nworld\n").unwrap();
    let out = culprit(&["logs", junk.to_str().unwrap()], None);
    assert_eq!(out.status.code(), Some(1), "nothing could be read");
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("junk.txt") && err.contains("unrecognised log format"), "{err}");
    let out = culprit(&["logs", "--format", "klingon", EXAMPLE], None);
    assert_eq!(out.status.code(), Some(2));
    let out = culprit(&["logs", "--status", "5yy", EXAMPLE], None);
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn filters_narrow_what_is_shown_and_keep_the_baseline() {
    // Issue 12: `--status 5xx` once turned the 0% → 15% incident into a "chronic" 73% error,
    // because the filter shrank the denominator. Every request still counts; the filter shows.
    let all = report(&[EXAMPLE], None);
    let r = report(&["--status", "5xx", EXAMPLE], None);
    assert_eq!(r.requests, 12_000, "totals cover all the traffic");
    let f = r.filter.as_ref().expect("the filter is described");
    assert!(f.requests > 100 && f.requests < 400 && f.requests == f.errors, "{f:?}");
    assert_eq!(f.description, "status 5xx");
    let inc = &r.incidents[0];
    assert_eq!(inc.service, all.incidents[0].service);
    assert_eq!(inc.headline, all.incidents[0].headline, "same incident, same words");
    assert!(inc.baseline_rate.is_some_and(|b| b < 0.01), "{:?}", inc.baseline_rate);
    assert!(r.chronic.iter().all(|c| c.status >= 500), "only 5xx shown: {:?}", r.chronic);
    assert!(r.incidents.iter().flat_map(|i| &i.causes).all(|c| c.status >= 500));
    let r = report(&["--service", "checkout", EXAMPLE], None);
    assert!(r.services.iter().all(|s| s.service.contains("checkout")));
    assert_eq!(r.incidents[0].headline, all.incidents[0].headline);
    let r = report(&["--service", "payments", EXAMPLE], None);
    assert!(r.services.iter().all(|s| s.service.contains("payments")));
    assert!(r.incidents.iter().all(|i| i.service.contains("payments")));
    // A time range shows incidents that meet it, and the timeline inside it.
    let r = report(&["--since", "2026-03-08 14:00", "--until", "2026-03-08T14:05:00Z", EXAMPLE], None);
    assert!(
        r.timeline
            .iter()
            .all(|t| t.start.as_str() >= "2026-03-08T14:00:00Z" && t.start.as_str() < "2026-03-08T14:05:00Z"),
        "{:?}",
        r.timeline
    );
    assert_eq!(r.incidents[0].headline, all.incidents[0].headline, "the 13:50–14:10 incident meets 14:00–14:05");
    let r = report(&["--since", "2026-03-08 13:30", "--until", "2026-03-08T13:40:00Z", EXAMPLE], None);
    assert!(r.incidents.is_empty(), "nothing rose before 13:50");
}

#[test]
fn per_request_ndjson_has_every_request_with_its_line() {
    let out = culprit(&["logs", "--per-request", EXAMPLE], None);
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).unwrap();
    let records: Vec<RequestRecord> = text.lines().map(|l| serde_json::from_str(l).expect(l)).collect();
    assert_eq!(records.len(), 12_000);
    assert!(records.windows(2).all(|w| w[0].line < w[1].line), "input order");
    let source = String::from_utf8(example_lines()).unwrap();
    let source_lines: Vec<&str> = source.lines().collect();
    for r in records.iter().step_by(997) {
        let line = source_lines[usize::try_from(r.line).unwrap() - 1];
        assert!(line.contains(r.request_id.as_deref().unwrap()), "line {} is the request's own", r.line);
    }
    let refused: Vec<&RequestRecord> = records.iter().filter(|r| r.cause == "upstream_connection_refused").collect();
    assert!(refused.len() > 50);
    assert!(refused.iter().all(|r| r.status == 502 && r.service.as_deref() == Some("default-checkout-8080")));
    assert!(
        refused[0]
            .evidence
            .iter()
            .any(|e| e.source == "nginx error log" && e.value.contains("111: Connection refused"))
    );
}

#[test]
fn custom_nginx_format() {
    let data = "10.0.0.1 [08/Mar/2026:14:00:00 +0000] \"GET /a HTTP/1.1\" 502 502 10.244.0.9:8080\n".repeat(20);
    let r = report(
        &["--nginx-format", "$remote_addr [$time_local] \"$request\" $status $upstream_status $upstream_addr", "-"],
        Some(data.as_bytes()),
    );
    assert_eq!(r.requests, 20);
    assert_eq!(r.inputs[0].format.as_deref(), Some("nginx (custom log_format)"));
    let out = culprit(&["logs", "--nginx-format", "$remote_addr $request", "-"], Some(b""));
    assert_eq!(out.status.code(), Some(2), "a format without $status is unusable");
}

#[test]
fn custom_haproxy_format() {
    // A layout of the admin's own (HAProxy's `log-format`), behind a syslog header.
    let data = concat!(
        "Mar  8 14:00:00 lb haproxy[42]: 10.0.0.1 [08/Mar/2026:14:00:00.001] shop/<NOSRV> 503 SC-- -1 \"GET /a HTTP/1.1\"\n",
        "Mar  8 14:00:01 lb haproxy[42]: 10.0.0.2 [08/Mar/2026:14:00:01.001] shop/shop-1 200 ---- 12 \"GET /b HTTP/1.1\"\n",
    );
    let out = culprit(
        &["logs", "--per-request", "--haproxy-format", "%ci [%tr] %b/%s %ST %tsc %Tr %{+Q}r", "-"],
        Some(data.as_bytes()),
    );
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let records: Vec<RequestRecord> =
        String::from_utf8_lossy(&out.stdout).lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    let got: Vec<(&str, &str)> = records.iter().map(|r| (r.cause.as_str(), r.path.as_deref().unwrap_or(""))).collect();
    assert_eq!(got, [("no_live_upstreams", "/a"), ("ok", "/b")]);
    let out = culprit(&["logs", "--haproxy-format", "%ci %tsc %r", "-"], Some(b""));
    assert_eq!(out.status.code(), Some(2), "a format without %ST is unusable");
    assert!(stderr_of(&out).contains("--haproxy-format") && stderr_of(&out).contains("%ST"), "{}", stderr_of(&out));
}

#[test]
fn each_format_is_sniffed_and_attributed() {
    let cases: &[(&str, &str, &str, &str)] = &[
        (
            "haproxy httplog",
            r#"haproxy[18989]: 10.0.0.1:34552 [15/Oct/2003:15:26:31.462] px-http px-http/srv1 3183/-1/-1/-1/11215 503 0 - - SC-- 205/202/202/115/3 0/0 "HEAD / HTTP/1.0""#,
            "upstream_connection_refused",
            "proxy",
        ),
        (
            "istio",
            r#"[2022-07-20T12:35:56.198Z] "GET /reviews/0 HTTP/1.1" 504 UT upstream_response_timeout - "-" 0 24 500 - "-" "Mozilla/5.0" "7d15bcc7-284f-965c-9306-9ae81c27c8cb" "reviews:9080" "10.0.2.12:9080" outbound|9080|v2|reviews.default.svc.cluster.local 10.0.2.10:45648 10.4.11.161:9080 10.0.2.10:37026 - -"#,
            "upstream_timeout",
            "proxy",
        ),
        (
            "envoy",
            r#"[2024-07-20T07:09:48.470Z] "GET /x HTTP/1.1" 503 UH 0 19 0 - "-" "curl/8.4.0" "44898dba-8d8e-48f4-93f7-23e4b4c592c0" "localhost:8000" "-""#,
            "no_live_upstreams",
            "proxy",
        ),
        (
            "aws alb",
            r#"h2 2023-01-07T09:22:52.872365Z app/k8s-apidev-95472999b0/x 202.102.17.226:24502 10.0.2.61:1325 -1 -1 -1 504 - 49 202 "GET https://example-api.cn:443/api/ HTTP/2.0" "curl/7.79.1" ECDHE-RSA-XXXX-GCM-SHA256 TLSv1.2 arn:aws-cn:elasticloadbalancing:cn-northwest-1:1:targetgroup/k8s-dev-api/081f "Root=1-63b939e2-312611fa7a64f07e63d24099" "example-api.cn" "-" 1 2023-01-07T09:22:42.870000Z "forward" "-" "-" "10.0.2.61:1325" "-" "-" "-""#,
            "upstream_timeout",
            "load_balancer",
        ),
        (
            "traefik json",
            r#"{"ClientHost":"10.0.0.1","DownstreamStatus":504,"OriginStatus":504,"OriginContentSize":15,"RequestMethod":"GET","RequestPath":"/slow","ServiceName":"app@kubernetes","ServiceAddr":"10.42.0.5:8080","StartUTC":"2026-03-08T14:00:00.1Z","Duration":30000000000}"#,
            "upstream_timeout",
            "proxy",
        ),
        (
            "traefik common",
            r#"192.168.0.1 - - [08/Mar/2026:14:00:00 +0000] "GET /api HTTP/1.1" 404 19 "-" "curl/8.5.0" 12 "-" "-" 0ms"#,
            "no_route",
            "proxy",
        ),
        (
            "traefik common",
            r#"192.168.100.110 - - [16/Jan/2020:20:31:43 +0000] "GET / HTTP/2.0" 401 17 "-" "-" 1 "backend@docker" - 0ms"#,
            "edge_auth_rejected",
            "proxy",
        ),
        (
            "google cloud lb json",
            r#"{"httpRequest":{"requestMethod":"GET","requestUrl":"https://shop.example.com/api/cart/1","status":502,"remoteIp":"203.0.113.9","latency":"0.004s"},"jsonPayload":{"statusDetails":"failed_to_pick_backend"},"resource":{"type":"http_load_balancer","labels":{"backend_service_name":"k8s1-shop-cart-80"}},"timestamp":"2026-03-08T14:00:00.123456Z"}"#,
            "no_live_upstreams",
            "load_balancer",
        ),
        (
            "haproxy httplog clf",
            r#"10.0.1.2 - - [06/Feb/2009:12:14:14 +0000] "GET /index.html HTTP/1.1" 504 198 "" "" 33317 655 "http-in" "static" "srv1" 10 0 30 -1 1000 sH-- 1 1 1 1 0 0 0 "" "" "" """#,
            "upstream_timeout",
            "proxy",
        ),
        (
            "haproxy (custom log-format)",
            r#"Mar 14 17:14:51 localhost haproxy[14887]: [14887] [1394817291.250] 10/5/2/0/3/0/0 48/0/0/-1/3000 SH-- 1.10.2.10:35701 10.151.122.228:443 127.0.0.1:8000 logger - - "GET /v1/ HTTP/1.0" 502 fxa-nodejs:nodejs1 "-""#,
            "upstream_closed_prematurely",
            "proxy",
        ),
        (
            "caddy console",
            "2023/12/08 20:24:51.157\t\x1b[34mINFO\x1b[0m\thttp.log.access\thandled request\t{\"request\": {\"remote_ip\": \"127.0.0.1\", \"remote_port\": \"60708\", \"method\": \"GET\", \"host\": \"a.example\", \"uri\": \"/\"}, \"duration\": 0.000034205, \"size\": 0, \"status\": 308, \"resp_headers\": {\"Server\": [\"Caddy\"], \"Location\": [\"https://a.example/\"]}}",
            "proxy_redirect",
            "proxy",
        ),
        (
            "caddy error log (entries as requests)",
            "29/Jan/2016:15:17:26 +0100 [ERROR 502 /index.php] dial tcp 127.0.0.1:9000: connection refused",
            "upstream_connection_refused",
            "proxy",
        ),
    ];
    for (format, line, cause, by) in cases {
        let data = format!("{line}\n").repeat(3);
        let out = culprit(&["logs", "--per-request", "-"], Some(data.as_bytes()));
        assert!(out.status.success(), "{format}: {}", String::from_utf8_lossy(&out.stderr));
        let first: RequestRecord =
            serde_json::from_str(String::from_utf8_lossy(&out.stdout).lines().next().unwrap()).unwrap();
        assert_eq!(
            (first.cause.as_str(), serde_json::to_value(first.generated_by).unwrap().as_str().unwrap()),
            (*cause, *by),
            "{format}"
        );
        assert_eq!(first.file, "-", "stdin is named -, not its spool file");
        let r = report(&["-"], Some(data.as_bytes()));
        assert_eq!(r.inputs[0].format.as_deref(), Some(*format));
    }
}

#[test]
fn bucket_option() {
    let r = report(&["--bucket", "5m", EXAMPLE], None);
    assert_eq!(r.bucket_seconds, 300);
    assert_eq!(r.timeline.len(), 12);
    assert_eq!(r.incidents.len(), 1);
    assert_eq!(culprit(&["logs", "--bucket", "3s", EXAMPLE], None).status.code(), Some(2));
}

#[test]
fn caddy_access_joined_with_its_error_log() {
    let access = |port: u32, uri: &str, status: u16, size: u32| {
        format!(
            r#"{{"level":"info","ts":1772978400.{port},"logger":"http.log.access","msg":"handled request","request":{{"remote_ip":"10.0.0.{port}","remote_port":"4{port}","proto":"HTTP/1.1","method":"GET","host":"shop.local","uri":"{uri}"}},"duration":0.004,"size":{size},"status":{status}}}"#
        )
    };
    let error = |port: u32, uri: &str, msg: &str| {
        format!(
            r#"{{"level":"error","ts":1772978400.{port},"logger":"http.log.error","msg":"{msg}","request":{{"remote_ip":"10.0.0.{port}","remote_port":"4{port}","method":"GET","host":"shop.local","uri":"{uri}"}},"duration":0.003,"status":502,"err_id":"x","err_trace":"reverseproxy.statusError (reverseproxy.go:1299)"}}"#
        )
    };
    let mut lines = Vec::new();
    for p in 10..15 {
        lines.push(error(p, "/down", "dial tcp 127.0.0.1:9: connect: connection refused"));
        lines.push(access(p, "/down", 502, 0));
    }
    for p in 20..23 {
        lines.push(access(p, "/app-says-502", 502, 31));
    }
    lines.push(access(30, "/left", 0, 0));
    let data = lines.join("\n") + "\n";
    let out = culprit(&["logs", "--per-request", "-"], Some(data.as_bytes()));
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let records: Vec<RequestRecord> =
        String::from_utf8(out.stdout).unwrap().lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    assert_eq!(records.len(), 9, "error entries are not requests");
    let of = |path: &str| {
        records.iter().filter(|r| r.path.as_deref() == Some(path)).map(|r| r.cause.as_str()).collect::<Vec<_>>()
    };
    assert_eq!(of("/down"), vec!["upstream_connection_refused"; 5]);
    assert_eq!(of("/app-says-502"), vec!["app_bad_gateway"; 3], "no Caddy error entry: the upstream said 502");
    assert_eq!(of("/left"), vec!["client_closed_request"]);
    let refused = records.iter().find(|r| r.path.as_deref() == Some("/down")).unwrap();
    assert!(refused.evidence.iter().any(|e| e.source == "Caddy error log"), "{:?}", refused.evidence);
}

#[test]
fn caddy_error_entries_alone_are_requests_and_beside_an_access_log_are_joined() {
    let error = |port: u32| {
        format!(
            r#"{{"level":"error","ts":1772978400.{port},"logger":"http.log.error","msg":"dial tcp 127.0.0.1:9: connect: connection refused","request":{{"remote_ip":"10.0.0.{port}","remote_port":"4{port}","method":"GET","host":"shop.local","uri":"/down"}},"duration":0.003,"status":502,"err_id":"x","err_trace":"reverseproxy.statusError (reverseproxy.go:1299)"}}"#
        )
    };
    let access = |port: u32| {
        format!(
            r#"{{"level":"error","ts":1772978400.{port},"logger":"http.log.access","msg":"handled request","request":{{"remote_ip":"10.0.0.{port}","remote_port":"4{port}","method":"GET","host":"shop.local","uri":"/down"}},"duration":0.004,"size":0,"status":502}}"#
        )
    };
    let errors: String = (10..15).map(|p| error(p) + "\n").collect();
    let records = |args: &[&str], stdin: Option<&[u8]>| -> Vec<RequestRecord> {
        let out = culprit(args, stdin);
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        String::from_utf8(out.stdout).unwrap().lines().map(|l| serde_json::from_str(l).unwrap()).collect()
    };
    // Caddy's default log holds error entries only (access logging is off): each is a request
    // Caddy answered.
    let alone = records(&["logs", "--per-request", "-"], Some(errors.as_bytes()));
    assert_eq!(alone.len(), 5);
    assert!(
        alone.iter().all(|r| r.cause == "upstream_connection_refused" && r.upstream.as_deref() == Some("127.0.0.1:9"))
    );
    // The same entries in their own file beside the access log explain its requests, once each.
    let dir = tmp();
    let (a, e) = (dir.path().join("access.log"), dir.path().join("caddy.log"));
    std::fs::write(&a, (10..15).map(|p| access(p) + "\n").collect::<String>()).unwrap();
    std::fs::write(&e, &errors).unwrap();
    let both = records(&["logs", "--per-request", a.to_str().unwrap(), e.to_str().unwrap()], None);
    assert_eq!(both.len(), 5, "{both:?}");
    assert!(both.iter().all(|r| r.cause == "upstream_connection_refused" && r.file.ends_with("access.log")));
}

#[test]
fn cluster_dump_names_the_pod_behind_the_upstream() {
    const LOG: &str = "examples/incident-502/ingress-nginx.log.gz";
    let r = report(&[LOG, "--cluster", "examples/incident-502/cluster"], None);
    let top = &r.incidents[0];
    let pod = top.upstreams[0].resolved.as_deref().expect("the top upstream resolved to a pod");
    assert!(
        pod.contains("checkout-7d9f8c6b5-x2k9p") && pod.contains("restarted 6×") && pod.contains("OOMKilled"),
        "{pod}"
    );
    assert!(top.headline.contains("10.244.1.5:8080 = pod default/checkout-7d9f8c6b5-x2k9p"), "{}", top.headline);
    // The service name default-checkout-8080 is the Service default/checkout; what the checks say
    // about it comes with the incident, and the next steps name the pod and namespace.
    let cluster = top.cluster.as_ref().expect("the incident's Service resolved");
    assert_eq!(cluster.service, "Service/default/checkout (port 8080 → http): 2 of 3 endpoints ready");
    let crash = cluster.findings.iter().find(|f| f.cause == "pod_crash_looping").expect("the crash is a finding");
    assert_eq!(crash.object, "Pod/default/checkout-7d9f8c6b5-x2k9p");
    assert!(crash.evidence.iter().any(|e| e.value.contains("Readiness probe failed")), "{crash:?}");
    let commands: Vec<&str> = top.next_steps.iter().map(|s| s.command.as_str()).collect();
    assert!(
        commands.iter().any(|c| c.contains("kubectl logs checkout-7d9f8c6b5-x2k9p -n default --previous")),
        "{commands:?}"
    );
    assert!(commands.iter().all(|c| !c.contains("<namespace>") && !c.contains("<pod>")), "{commands:?}");
    // The incident is also a finding of the type `culprit cluster` uses, aimed at the Service.
    let f = &r.findings[0];
    assert_eq!(
        (f.severity, f.cause.as_str(), f.object.as_str()),
        (culprit_kb::Severity::Error, "upstream_connection_refused", "Service/default/checkout")
    );
    assert_eq!(f.codes, vec![502]);
    assert!(
        r.findings.iter().skip(1).all(|f| f.severity == culprit_kb::Severity::Warning),
        "chronic errors are warnings"
    );
    // Without the dump, nothing is resolved and the schema carries no field for it.
    let plain = culprit(&["logs", LOG, "--json"], None);
    assert!(!String::from_utf8_lossy(&plain.stdout).contains("\"resolved\""));
    let missing = culprit(&["logs", LOG, "--cluster", "no/such/dump.json"], None);
    assert_eq!(missing.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&missing.stderr).contains("--cluster"));
}

fn stderr_of(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

#[test]
fn filters_that_match_nothing_say_what_they_missed() {
    let out = culprit(&["logs", EXAMPLE, "--service", "nosuch"], None);
    assert_eq!(out.status.code(), Some(1), "nothing counted");
    let err = stderr_of(&out);
    assert!(err.contains("(--service nosuch) matched none of the 12,000 requests read"), "{err}");
    assert!(err.contains("default-catalog-8080 (3,538), default-checkout-8080 (3,015)"), "the services seen: {err}");
    assert!(!err.contains("no request could be read"), "{err}");
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.contains("No request counted: the filters") && !text.contains("No incident"), "{text}");

    let out = culprit(&["logs", EXAMPLE, "--since", "2026-03-09"], None);
    let err = stderr_of(&out);
    assert!(err.contains("--since 2026-03-09 = 2026-03-09 00:00:00 UTC"), "{err}");
    assert!(err.contains("they span 2026-03-08 13:30:00 → 2026-03-08 14:29:59 UTC"), "the input's time range: {err}");
    let out = culprit(&["logs", EXAMPLE, "--since", "1h"], None);
    let err = stderr_of(&out);
    assert!(err.contains("1h counts back from now") && err.contains("--since '2026-03-08 13:30'"), "{err}");
}

#[test]
fn an_empty_input_says_it_is_empty() {
    let dir = tmp();
    let empty = dir.path().join("empty.log");
    std::fs::write(&empty, "").unwrap();
    let out = culprit(&["logs", empty.to_str().unwrap()], None);
    assert_eq!(out.status.code(), Some(1));
    let err = stderr_of(&out);
    assert!(err.contains("empty.log is empty"), "{err}");
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(!text.contains("No incident") && text.contains("is empty"), "{text}");
    let out = culprit(&["logs", "-"], Some(b""));
    assert!(stderr_of(&out).contains("- is empty"), "{}", stderr_of(&out));
}

#[test]
fn overlong_lines_keep_their_line_numbers() {
    let example = example_lines();
    let lines: Vec<&[u8]> = example.split(|&b| b == b'\n').collect();
    let mut data = Vec::new();
    for l in &lines[..3] {
        data.extend_from_slice(l);
        data.push(b'\n');
    }
    data.extend(std::iter::repeat_n(b'x', 2 << 20)); // line 4: over the 1 MiB cap
    data.extend_from_slice(b"\nnot a log line\n"); // line 5
    for l in &lines[3..6] {
        data.extend_from_slice(l);
        data.push(b'\n');
    }
    data.extend(std::iter::repeat_n(b'y', 3 << 20)); // line 9
    data.push(b'\n');
    for l in &lines[6..8] {
        data.extend_from_slice(l);
        data.push(b'\n');
    }
    let dir = tmp();
    let huge = dir.path().join("huge.log");
    std::fs::write(&huge, &data).unwrap();
    let path = huge.to_str().unwrap();
    let r = report(&[path], None);
    assert_eq!(r.inputs[0].lines, 11);
    let samples: Vec<(u64, &str)> = r.unparsed.samples.iter().map(|s| (s.line, s.reason.as_str())).collect();
    assert_eq!(samples, [(4, "over the line-length cap"), (5, "not in the input's format")], "{samples:?}");
    let out = culprit(&["logs", "--per-request", path], None);
    let numbers: Vec<u64> = String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str::<RequestRecord>(l).unwrap().line)
        .collect();
    assert_eq!(numbers, [1, 2, 3, 6, 7, 8, 10, 11], "lines after an overlong one keep their numbers");
    let text = String::from_utf8(culprit(&["logs", path], None).stdout).unwrap();
    assert!(text.contains("huge.log:4"), "{text}");
}

/// One ingress-nginx upstreaminfo line at `ms` (Unix milliseconds).
fn line_at(ms: i64, path: &str) -> String {
    let t = culprit_logs::time::format_utc(ms);
    let (y, mo, d, hms) = (&t[0..4], &t[5..7], &t[8..10], &t[11..19]);
    let month = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
        [mo.parse::<usize>().unwrap() - 1];
    format!(
        "10.0.0.1 - - [{d}/{month}/{y}:{hms} +0000] \"GET {path} HTTP/1.1\" 200 10 \"-\" \"curl/8\" 80 0.001 \
         [default-web-80] [] 10.244.0.5:80 10 0.001 200 0123456789abcdef\n"
    )
}

/// Requests the filters show (every request still counts in `requests`).
fn shown(r: &LogReport) -> u64 {
    r.filter.as_ref().map_or(r.requests, |f| f.requests)
}

#[test]
fn since_and_until_take_times_dates_and_spans_back_from_now() {
    for (since, requests) in [
        ("2026-03-08", 12_000),
        ("2026-03-08 14:00", 6_000),
        ("2026-03-08T14:00", 6_000),
        ("2026-03-08T14:00:00Z", 6_000),
        ("2026-03-08T15:00:00+01:00", 6_000),
        ("08/Mar/2026:14:00:00 +0000", 6_000),
        ("1772978400", 6_000),
    ] {
        assert_eq!(shown(&report(&[EXAMPLE, "--since", since], None)), requests, "--since {since}");
    }
    assert_eq!(shown(&report(&[EXAMPLE, "--until", "2026-03-08 14:00"], None)), 6_000);
    // Spans count back from now, as `kubectl logs --since` and journalctl do.
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_millis();
    let now = i64::try_from(now).unwrap();
    let log = [line_at(now - 3 * 3_600_000, "/old"), line_at(now - 20 * 60_000, "/recent")].concat();
    for since in ["1h", "-1h", "1h ago", "30m", "1h30m", "2700s"] {
        let r = report(&["-", "--since", since], Some(log.as_bytes()));
        assert_eq!(shown(&r), 1, "--since {since} keeps the recent request only");
    }
    assert_eq!(shown(&report(&["-", "--since", "4h"], Some(log.as_bytes()))), 2);
    assert_eq!(shown(&report(&["-", "--until", "1h"], Some(log.as_bytes()))), 1);
    for bad in ["2026-02-30", "1x", "soon", "2026-13-01 10:00", "15"] {
        let out = culprit(&["logs", EXAMPLE, "--since", bad], None);
        assert_eq!(out.status.code(), Some(2), "--since {bad}");
        assert!(stderr_of(&out).contains("a span back from now such as 1h"), "{}", stderr_of(&out));
    }
    let out = culprit(&["logs", EXAMPLE, "--since", "2026-03-08 14:10", "--until", "2026-03-08 14:00"], None);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr_of(&out).contains("is not before --until"), "{}", stderr_of(&out));
}

#[test]
fn status_and_format_values_are_checked() {
    for bad in ["600", "99", "6xx", "0xx", "500-600", "504-502", "abc", "5"] {
        let out = culprit(&["logs", EXAMPLE, "--status", bad], None);
        assert_eq!(out.status.code(), Some(2), "--status {bad}");
        let err = stderr_of(&out);
        assert!(err.contains("100–599") || err.contains("backwards"), "{err}");
    }
    assert_eq!(shown(&report(&[EXAMPLE, "--status", "502,504"], None)), 130);
    assert_eq!(shown(&report(&[EXAMPLE, "--status", "499"], None)), 7);
    // No request has 0 or 009 here: accepted, and nothing matches.
    assert_eq!(culprit(&["logs", EXAMPLE, "--status", "0,009"], None).status.code(), Some(1));
    let out = culprit(&["logs", EXAMPLE, "--format", "nginx"], None);
    assert_eq!(out.status.code(), Some(2), "nginx is ambiguous");
    assert!(stderr_of(&out).contains("combined") && stderr_of(&out).contains("upstreaminfo"));
    let out = culprit(&["logs", EXAMPLE, "--format", "iis"], None);
    assert_eq!(out.status.code(), Some(2));
    let err = stderr_of(&out);
    assert!(err.contains("alb (aws-alb)") && err.contains("elb (aws-elb, classic-elb)"), "names and aliases: {err}");
    let out = culprit(&["logs", EXAMPLE, "--apache-format", "%h %J %>s"], None);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr_of(&out).contains("--apache-format: %J is not an Apache log directive"), "{}", stderr_of(&out));
    assert_eq!(report(&[EXAMPLE, "--format", "ingress-nginx"], None).requests, 12_000);
}

#[test]
fn binary_input_is_never_echoed_raw() {
    let mut data = example_lines();
    data.extend_from_slice(b"\x1b[31mred\x1b]0;title\x07 and \x00 nul \xff\xfe invalid \xc2\x9b csi\n");
    let dir = tmp();
    let path = dir.path().join("bad\x1b[2Jname.log");
    std::fs::write(&path, &data).unwrap();
    let path = path.to_str().unwrap();
    for format in [None, Some("--markdown")] {
        let mut args = vec!["logs", path];
        args.extend(format);
        let out = culprit(&args, None);
        let mut text = String::from_utf8(out.stdout).expect("UTF-8 output");
        let raw: Vec<char> = text.chars().filter(|c| c.is_control() && *c != '\n').collect();
        if format.is_some() {
            for c in ["[", "]", "\\", "_", "*"] {
                text = text.replace(&format!("\\{c}"), c);
            }
        }
        assert!(raw.is_empty(), "{format:?}: raw control characters {raw:?} in:\n{text}");
        assert!(text.contains("\\x1b[31mred\\x1b]0;title\\x07 and \\x00 nul"), "{text}");
        assert!(text.contains("bad\\x1b[2Jname.log"), "{text}");
        assert!(!String::from_utf8_lossy(&out.stderr).contains('\x1b'), "stderr too");
    }
}

#[test]
fn a_compressed_or_binary_file_is_named_as_such_without_a_format_list() {
    let mut zstd = vec![0x28, 0xb5, 0x2f, 0xfd, 0x24, 0x00];
    zstd.extend((0..400u32).map(|i| (i * 37 % 251) as u8));
    let out = culprit(&["logs", "-"], Some(&zstd));
    let err = stderr_of(&out);
    assert!(err.contains("binary data, not a text log, zstd-compressed: zstdcat FILE"), "{err}");
    assert!(!err.contains("formats tried"), "no text-format list for a binary input: {err}");
    assert!(!out.status.success());
}

#[test]
fn timeline_rows_under_a_minute_show_seconds() {
    let short: Vec<u8> = example_lines().split_inclusive(|&b| b == b'\n').take(1000).flatten().copied().collect();
    let text = String::from_utf8(culprit(&["logs", "-"], Some(&short)).stdout).unwrap();
    assert!(text.contains("Timeline (one row = 10 s)"), "{text}");
    let labels: Vec<&str> = text
        .lines()
        .skip_while(|l| !l.starts_with("Timeline"))
        .skip(2)
        .take_while(|l| !l.is_empty())
        .map(|l| l.split_whitespace().next().unwrap())
        .collect();
    assert_eq!(&labels[..3], ["13:30:00", "13:30:10", "13:30:20"], "{text}");
    let mut unique = labels.clone();
    unique.dedup();
    assert_eq!(unique.len(), labels.len(), "every row has its own label");
}

/// What Apache 2.4.71 wrote in the lab for a crashed backend, a slow one and an application's own
/// 503 (lab/README.md), in three shapes: the lab's LogFormat given with --apache-format, and
/// Debian's plain `combined` with the error log (each request joined by client and time).
const APACHE_ERRORS: &str = "\
[Sun Nov 29 14:16:47.970009 2026] [proxy:error] [pid 22816:tid 22838] (111)Connection refused: AH00957: http: attempt to connect to 127.0.0.1:18602 (127.0.0.1:18602) failed
[Sun Nov 29 14:16:47.970070 2026] [proxy_http:error] [pid 22816:tid 22838] [client 127.0.0.1:37400] AH01114: HTTP: failed to make connection to backend: 127.0.0.1
[Sun Nov 29 14:16:49.029512 2026] [proxy_http:error] [pid 22817:tid 22857] (70007)The timeout specified has expired: [client 127.0.0.1:37468] AH01102: error reading status line from remote server 127.0.0.1:18601
[Sun Nov 29 14:16:49.029550 2026] [proxy:error] [pid 22817:tid 22857] [client 127.0.0.1:37468] AH00898: Error reading from remote server returned by /live/slow
";

fn apache_diagnoses(access: &str, extra: &[&str]) -> Vec<RequestRecord> {
    let dir = tmp();
    let (a, e) = (dir.path().join("access.log"), dir.path().join("error.log"));
    std::fs::write(&a, access).unwrap();
    std::fs::write(&e, APACHE_ERRORS).unwrap();
    let mut args = vec!["logs", "--per-request", a.to_str().unwrap(), "--error-log", e.to_str().unwrap()];
    args.extend_from_slice(extra);
    let out = culprit(&args, None);
    assert!(out.status.success(), "{}", stderr_of(&out));
    String::from_utf8(out.stdout).unwrap().lines().map(|l| serde_json::from_str(l).unwrap()).collect()
}

/// Envoy's family without flags: each kind of line is sniffed as its format and attributed, and a
/// sidecar's stdout (HTTP lines, TCP sessions, Envoy's own log lines) is read without counting
/// anything as unreadable.
#[test]
fn envoy_istio_gateway_and_hubble_lines_without_flags() {
    let cases: &[(&str, &str, &str, &str, &str)] = &[
        (
            // envoyproxy/gateway#7811: Envoy Gateway's default JSON, a route that matched nothing.
            "envoy gateway json",
            r#"{":authority":"www.example.com","bytes_received":0,"bytes_sent":0,"connection_termination_details":null,"downstream_local_address":"127.0.0.1:10080","downstream_remote_address":"127.0.0.1:39096","duration":0,"method":"GET","protocol":"HTTP/1.1","requested_server_name":null,"response_code":404,"response_code_details":"route_not_found","response_flags":"NR","route_name":null,"start_time":"2025-12-24T10:35:59.273Z","upstream_cluster":null,"upstream_host":null,"upstream_local_address":null,"upstream_transport_failure_reason":null,"user-agent":"curl/7.87.0","x-envoy-origin-path":"/nothing","x-envoy-upstream-service-time":null,"x-forwarded-for":"10.244.0.8","x-request-id":"2ab6ffcd-7221-4630-9d6a-4c38d94ed3c6"}"#,
            "no_route",
            "proxy",
            "kubernetes",
        ),
        (
            // istio/istio#19056: Istio 1.4's JSON, every value a string, the Mixer policy check
            // unreachable.
            "envoy json",
            r#"{"bytes_sent":"31","upstream_cluster":"-","downstream_remote_address":"100.100.0.0:54652","authority":"loki.example.com","path":"/api/prom/push","protocol":"HTTP/1.1","upstream_service_time":"-","upstream_local_address":"-","duration":"0","downstream_local_address":"100.108.0.25:443","upstream_transport_failure_reason":"-","route_name":"-","response_code":"503","user_agent":"Go-http-client/1.1","response_flags":"UAEX","start_time":"2019-11-19T03:27:35.402Z","method":"POST","request_id":"639632b6-8795-45e9-8435-fb5b07aede5e","upstream_host":"-","x_forwarded_for":"100.100.0.0","requested_server_name":"loki.example.com","bytes_received":"0","istio_policy_status":"\"UNAVAILABLE:no healthy upstream\""}"#,
            "auth_service_failed",
            "proxy",
            "hosts",
        ),
        (
            // istio/istio#39758: a gRPC call the sidecar answered itself, as HTTP 200.
            "istio",
            r#"[2022-07-03T06:20:43.573Z] "POST /inferences.Inferences/CreateInferences HTTP/2" 200 UF upstream_reset_before_response_started{connection_failure,delayed_connect_error:_111} - "-" 5 0 0 - "192.168.65.3" "grpc-python/1.47.0 grpc-c/25.0.0 (osx; chttp2)" "e5b64c5b-d5db-90d5-9ac7-05d94ebe910b" "kagent-default.example.com" "10.1.0.16:9000" inbound|9000|| - 10.1.0.16:9000 192.168.65.3:0 outbound_.80_._.grpc-kagent.default.svc.cluster.local default"#,
            "upstream_connection_refused",
            "proxy",
            "kubernetes",
        ),
        (
            // Emissary-ingress's `ACCESS [...]` default (elastic/beats envoyproxy module fixture).
            "envoy",
            r#"ACCESS [2019-02-12T18:37:42.921Z] "GET /httpbin/ip HTTP/1.1" 503 UH 0 19 0 - "172.17.0.5" "curl/7.59.0" "c62ec130-6dee-4f3b-a52b-4f0d1312d89d" "httpbin.org" "-""#,
            "no_live_upstreams",
            "proxy",
            "hosts",
        ),
        (
            // Cilium docs: Cilium's L7 policy refusing a request at the ingress.
            "cilium hubble",
            "Feb 29 13:00:29.389: 172.18.0.1:53866 (ingress) <- kube-system/cilium-ingress:80 (world) http-response FORWARDED (HTTP/1.1 403 0ms (GET http://172.18.255.194/details/1))",
            "proxy_access_denied",
            "proxy",
            "kubernetes",
        ),
    ];
    for (format, line, cause, by, env) in cases {
        let data = format!("{line}\n").repeat(3);
        let out = culprit(&["logs", "--per-request", "-"], Some(data.as_bytes()));
        assert!(out.status.success(), "{format}: {}", String::from_utf8_lossy(&out.stderr));
        let first: RequestRecord =
            serde_json::from_str(String::from_utf8_lossy(&out.stdout).lines().next().unwrap()).unwrap();
        let by_got = serde_json::to_value(first.generated_by).unwrap();
        assert_eq!((first.cause.as_str(), by_got.as_str().unwrap()), (*cause, *by), "{format}");
        let r = report(&["-"], Some(data.as_bytes()));
        assert_eq!(r.inputs[0].format.as_deref(), Some(*format));
        assert_eq!(r.environment.kind, *env, "{format}: {}", r.environment.reason);
    }
    // A sidecar's stdout: HTTP lines, a TCP session that went through (status 0, not an error),
    // Envoy's own log.
    let sidecar = [
        r#"[2022-09-01T13:15:57.905Z] "GET /productpage HTTP/1.1" 503 UH no_healthy_upstream - "-" 0 19 0 - "10.128.0.60" "Mozilla/5.0" "7c20db9a-f48b-9a68-a158-12ca79dfdd05" "35.232.196.88" "-" outbound|9080||productpage.default.svc.cluster.local - 10.124.2.10:8080 10.128.0.60:21742 - -"#,
        r"[2021-03-12 15:31:30.492][1][warning][runtime] [source/common/runtime/runtime_features.cc:31] Unable to use runtime singleton for feature envoy.http.headermap.lazy_map_min_size",
        r#"[2024-05-28T18:42:50.001Z] "- - -" 0 - - - "-" 1024 2048 30000 - "-" "-" "-" "-" "100.72.2.95:5432" outbound|5432||db.default.svc.cluster.local 100.72.9.97:40000 100.72.2.95:5432 100.72.9.97:33948 - -"#,
        r#"[2022-08-22T13:08:23.188Z] "GET /reviews/0 HTTP/1.1" 200 - via_upstream - "-" 0 442 12 12 "-" "curl/7.79.1" "00bcf1d7-12c4-93b9-b36a-bc0faac8e428" "reviews:9080" "10.124.1.5:9080" outbound|9080||reviews.default.svc.cluster.local 10.124.2.6:50960 10.0.18.132:9080 10.124.2.6:52930 - default"#,
    ]
    .join("\n");
    let r = report(&["-"], Some(format!("{sidecar}\n").as_bytes()));
    assert_eq!(r.inputs[0].format.as_deref(), Some("istio"));
    assert_eq!((r.requests, r.errors, r.unparsed.count), (3, 1, 0), "{:?}", r.unparsed);
}

#[test]
fn apache_access_and_error_logs_are_joined() {
    let custom = "\
127.0.0.1 - - [29/Nov/2026:14:16:47 +0000] \"GET /dead/a HTTP/1.1\" 503 339 \"-\" \"curl/7.88.1\" 290 37400 http://127.0.0.1:18602 \"id-1\"
127.0.0.1 - - [29/Nov/2026:14:16:48 +0000] \"GET /live/slow HTTP/1.1\" 502 381 \"-\" \"curl/7.88.1\" 1001112 37468 http://127.0.0.1:18601 \"id-2\"
127.0.0.1 - - [29/Nov/2026:14:16:55 +0000] \"GET /live/status/503 HTTP/1.1\" 503 5 \"-\" \"curl/7.88.1\" 1032 37374 http://127.0.0.1:18601 \"id-3\"
127.0.0.1 - - [29/Nov/2026:14:16:49 +0000] \"GET /nothere HTTP/1.1\" 404 236 \"-\" \"curl/7.88.1\" 114 37496 - \"id-4\"
";
    let format = r#"%h %l %u %t "%r" %>s %b "%{Referer}i" "%{User-Agent}i" %D %{remote}p %{BALANCER_WORKER_NAME}e "%{X-Request-ID}i""#;
    let got: Vec<(String, String)> = apache_diagnoses(custom, &["--apache-format", format])
        .iter()
        .map(|r| (r.generated_by.id().to_owned(), r.cause.clone()))
        .collect();
    let want = [
        ("proxy", "upstream_connection_refused"),
        ("proxy", "upstream_timeout"),
        ("upstream", "app_unavailable"),
        ("proxy", "no_route"),
    ];
    assert_eq!(got, want.map(|(a, b)| (a.to_owned(), b.to_owned())), "{got:?}");
    // Plain `combined`: no port, no backend, joined by client and time (an application's 5xx
    // within a second or two of an Apache failure for the same client would be taken for it:
    // the port above pairs them exactly); a 5xx without an entry of Apache's own is the
    // application's.
    let combined: String = custom
        .lines()
        .map(|l| {
            l.split(" 290 ")
                .next()
                .unwrap()
                .split(" 1001112 ")
                .next()
                .unwrap()
                .split(" 1032 ")
                .next()
                .unwrap()
                .split(" 114 ")
                .next()
                .unwrap()
        })
        .collect::<Vec<_>>()
        .join("\n");
    let got: Vec<(String, String)> =
        apache_diagnoses(&combined, &[]).iter().map(|r| (r.generated_by.id().to_owned(), r.cause.clone())).collect();
    let want: Vec<(String, String)> = want.iter().map(|(a, b)| ((*a).to_owned(), (*b).to_owned())).collect();
    assert_eq!(&got[..2], &want[..2], "{got:?}");
    assert_eq!(got[2], ("upstream".to_owned(), "app_unavailable".to_owned()), "{got:?}");
}
