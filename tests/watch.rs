//! `culprit watch` through the binary: /metrics checked by the real `promtool`, totals against
//! what was written, incident events against `culprit logs`, faults survived, and the lab's real
//! nginx written to while its log is rotated (rename and copytruncate) and culprit is killed and
//! restarted: the totals in /metrics equal the requests sent, exactly.
//!
//! promtool (Debian package `prometheus`) and nginx are installed by scripts/test; a test fails,
//! never skips, when one is missing.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

/// A running `culprit watch` with its metrics address.
struct Watch {
    child: Child,
    addr: String,
    stderr: Arc<std::sync::Mutex<String>>,
}

impl Watch {
    fn start(args: &[&str]) -> Watch {
        Watch::spawn(Command::new(env!("CARGO_BIN_EXE_culprit")), args)
    }

    /// Started by `command` (the binary, or a wrapper that runs it).
    fn spawn(mut command: Command, args: &[&str]) -> Watch {
        let mut child = command
            .arg("watch")
            .args(args)
            .args(["--metrics-listen", "127.0.0.1:0"])
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("start culprit watch");
        let stderr = Arc::new(std::sync::Mutex::new(String::new()));
        let mut lines = BufReader::new(child.stderr.take().unwrap()).lines();
        let banner = lines.next().expect("a banner").unwrap();
        let addr = banner
            .split("metrics on http://")
            .nth(1)
            .and_then(|r| r.split('/').next())
            .unwrap_or_else(|| panic!("no metrics address in {banner:?}"))
            .to_owned();
        let sink = Arc::clone(&stderr);
        std::thread::spawn(move || {
            for line in lines.map_while(Result::ok) {
                let mut s = sink.lock().unwrap();
                s.push_str(&line);
                s.push('\n');
            }
        });
        // Drain stdout so the process never blocks on it.
        let mut out = child.stdout.take().unwrap();
        std::thread::spawn(move || {
            let _ = std::io::copy(&mut out, &mut std::io::sink());
        });
        Watch { child, addr, stderr }
    }

    fn get(&self, path: &str, accept: Option<&str>) -> (String, String) {
        http_get(&self.addr, path, accept)
    }

    fn metrics(&self) -> String {
        self.get("/metrics", None).1
    }

    fn stderr(&self) -> String {
        self.stderr.lock().unwrap().clone()
    }

    fn kill9(mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    fn terminate(mut self) {
        let _ = Command::new("kill").arg("-TERM").arg(self.child.id().to_string()).status();
        let deadline = Instant::now() + Duration::from_secs(10);
        while Instant::now() < deadline {
            if let Ok(Some(status)) = self.child.try_wait() {
                assert!(status.success(), "culprit watch exited with {status} on SIGTERM");
                return;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        panic!("culprit watch did not stop within 10 s of SIGTERM");
    }
}

impl Drop for Watch {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A GET over a fresh connection: (head, body).
fn http_get(addr: &str, path: &str, accept: Option<&str>) -> (String, String) {
    let mut s = TcpStream::connect(addr).expect("connect to culprit watch");
    s.set_read_timeout(Some(Duration::from_secs(15))).unwrap();
    let accept = accept.map(|a| format!("Accept: {a}\r\n")).unwrap_or_default();
    write!(s, "GET {path} HTTP/1.1\r\nHost: {addr}\r\n{accept}Connection: close\r\n\r\n").unwrap();
    let mut text = String::new();
    s.read_to_string(&mut text).unwrap();
    let (head, body) = text.split_once("\r\n\r\n").unwrap_or((&text, ""));
    (head.to_owned(), body.to_owned())
}

/// The sum of a counter family's samples (every label set).
fn total(metrics: &str, name: &str) -> u64 {
    metrics
        .lines()
        .filter(|l| l.starts_with(&format!("{name}{{")) || l.starts_with(&format!("{name} ")))
        .filter_map(|l| l.rsplit(' ').next()?.parse::<u64>().ok())
        .sum()
}

fn sample(metrics: &str, prefix: &str) -> Option<u64> {
    metrics.lines().find(|l| l.starts_with(prefix)).and_then(|l| l.rsplit(' ').next()?.parse().ok())
}

fn wait_for(what: &str, limit: Duration, mut check: impl FnMut() -> bool) {
    let deadline = Instant::now() + limit;
    while !check() {
        assert!(Instant::now() < deadline, "timed out after {limit:?} waiting for {what}");
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// A child process killed when dropped (a failing test leaves nothing running).
struct Stop(Child);

impl Drop for Stop {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// A file's first `n` lines, each with its newline.
fn first_lines(path: &Path, n: usize) -> String {
    std::fs::read_to_string(path).unwrap().lines().take(n).flat_map(|l| [l, "\n"]).collect()
}

fn generated(path: &Path, cfg: &culprit_gen::Config) {
    let mut f = std::fs::File::create(path).unwrap();
    culprit_gen::generate(cfg, &mut f).unwrap();
}

fn promtool_check(text: &str) {
    let mut child = Command::new("promtool")
        .args(["check", "metrics"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("promtool (Debian package prometheus) is needed: scripts/test installs it");
    child.stdin.take().unwrap().write_all(text.as_bytes()).unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "promtool check metrics failed:\n{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn metrics_are_valid_and_count_every_response() {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("access.log");
    let cfg = culprit_gen::Config { lines: 20_000, error_log: false, ..culprit_gen::Config::default() };
    generated(&log, &cfg);
    let w = Watch::start(&[log.to_str().unwrap(), "--from", "beginning"]);
    wait_for("every line counted and detection run", Duration::from_secs(30), || {
        let m = w.metrics();
        total(&m, "culprit_http_responses_total") == 20_000 && m.contains("culprit_incident_open{")
    });
    let (head, text) = w.get("/metrics", None);
    assert!(head.to_ascii_lowercase().contains("content-type: text/plain; version=0.0.4; charset=utf-8"), "{head}");
    promtool_check(&text);
    assert_eq!(sample(&text, &format!("culprit_watch_lines_total{{file=\"{}\"}}", log.display())), Some(20_000));
    assert_eq!(sample(&text, "culprit_watch_files "), Some(1));
    assert!(text.contains(
        "culprit_http_responses_total{service=\"default-checkout-8080\",status=\"502\",generated_by=\"proxy\",cause=\"upstream_connection_refused\",owner=\"devops\"}"
    ));
    assert!(
        text.contains("culprit_http_request_duration_seconds_bucket{service=\"default-checkout-8080\",le=\"+Inf\"}")
    );
    assert!(text.contains("culprit_incident_open{service=\"default-checkout-8080\",status=\"502\",cause=\"upstream_connection_refused\",owner=\"devops\"}"), "{text}");
    // OpenMetrics when asked for it, as Prometheus does.
    let (head, om) =
        w.get("/metrics", Some("application/openmetrics-text;version=1.0.0,text/plain;version=0.0.4;q=0.5"));
    assert!(head.to_ascii_lowercase().contains("content-type: application/openmetrics-text; version=1.0.0"), "{head}");
    assert!(om.ends_with("# EOF\n"));
    let (head, landing) = w.get("/", None);
    assert!(head.contains("200") && landing.contains("href=\"/metrics\""));
    assert!(w.get("/healthz", None).1.starts_with("ok"));
    assert!(w.get("/nope", None).0.contains("404"));
    // More lines arrive: counted within the poll interval.
    let mut f = std::fs::OpenOptions::new().append(true).open(&log).unwrap();
    f.write_all(first_lines(&log, 100).as_bytes()).unwrap();
    wait_for("appended lines counted", Duration::from_secs(5), || {
        total(&w.metrics(), "culprit_http_responses_total") == 20_100
    });
}

#[test]
fn services_beyond_the_cap_are_folded() {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("access.log");
    generated(&log, &culprit_gen::Config { lines: 5_000, error_log: false, ..culprit_gen::Config::default() });
    let w = Watch::start(&[log.to_str().unwrap(), "--from", "beginning", "--max-services", "2"]);
    wait_for("every line counted", Duration::from_secs(30), || {
        total(&w.metrics(), "culprit_http_responses_total") == 5_000
    });
    let text = w.metrics();
    assert_eq!(sample(&text, "culprit_watch_services_folded_total "), Some(4), "six services, two named");
    assert!(text.contains("service=\"other\""));
    let services: std::collections::BTreeSet<&str> = text
        .lines()
        .filter(|l| l.starts_with("culprit_http_responses_total{"))
        .filter_map(|l| l.split("service=\"").nth(1)?.split('"').next())
        .collect();
    assert_eq!(services.len(), 3, "{services:?}");
}

#[test]
fn incident_events_carry_the_headline_of_logs() {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("access.log");
    generated(&log, &culprit_gen::Config { lines: 20_000, error_log: false, ..culprit_gen::Config::default() });
    let out = Command::new(env!("CARGO_BIN_EXE_culprit"))
        .args(["watch", "-", "--json", "--metrics-listen", "none"])
        .stdin(std::fs::File::open(&log).unwrap())
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let events: Vec<serde_json::Value> =
        String::from_utf8(out.stdout).unwrap().lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    let opened: Vec<&serde_json::Value> = events.iter().filter(|e| e["event"] == "incident_opened").collect();
    let refused = opened
        .iter()
        .find(|e| e["service"] == "default-checkout-8080" && e["cause"] == "upstream_connection_refused")
        .unwrap_or_else(|| panic!("no incident_opened for the refused connections: {events:#?}"));
    assert_eq!(refused["schema"], "culprit.watch.event/1");
    assert_eq!(refused["status"], 502);
    assert_eq!(refused["owner"], "devops");
    assert_eq!(refused["generated_by"], "proxy");
    // The same sentence as culprit logs.
    let logs = Command::new(env!("CARGO_BIN_EXE_culprit")).args(["logs", "--json"]).arg(&log).output().unwrap();
    let report: serde_json::Value = serde_json::from_slice(&logs.stdout).unwrap();
    assert_eq!(refused["headline"], report["incidents"][0]["headline"]);
    assert_eq!(refused["incident"]["causes"][0]["cause"], "upstream_connection_refused");
    // The stream ended long after the window: every incident opened is closed, once.
    for o in &opened {
        let closed = events
            .iter()
            .filter(|e| e["event"] == "incident_closed" && e["service"] == o["service"] && e["cause"] == o["cause"])
            .count();
        assert_eq!(closed, 1, "{o}");
    }
    // Human lines within 100 columns.
    let out = Command::new(env!("CARGO_BIN_EXE_culprit"))
        .args(["watch", "-", "--metrics-listen", "none"])
        .env("COLUMNS", "100")
        .stdin(std::fs::File::open(&log).unwrap())
        .output()
        .unwrap();
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.contains("OPENED  502 upstream_connection_refused on default-checkout-8080 (devops)"), "{text}");
    assert!(text.lines().all(|l| l.chars().count() <= 100), "{text}");
}

#[test]
fn human_events_stay_within_the_width_with_a_long_service_name() {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("access.log");
    generated(&log, &culprit_gen::Config { lines: 20_000, error_log: false, ..culprit_gen::Config::default() });
    let long_name = "payments-with-a-rather-long-name-for-checkout-billing-and-reconciliation-service-8080";
    let text = std::fs::read_to_string(&log).unwrap().replace("default-checkout-8080", long_name);
    std::fs::write(&log, text).unwrap();
    for columns in [100, 70] {
        let out = Command::new(env!("CARGO_BIN_EXE_culprit"))
            .args(["watch", "-", "--metrics-listen", "none"])
            .env("COLUMNS", columns.to_string())
            .stdin(std::fs::File::open(&log).unwrap())
            .output()
            .unwrap();
        let text = String::from_utf8(out.stdout).unwrap();
        assert!(text.contains(" CLOSED  502 upstream_connection_refused on payments-"), "{text}");
        // Nothing lost to the wrapping (words joined again; a broken word keeps its hyphen).
        let words = text.split_whitespace().collect::<Vec<_>>().join(" ").replace("- ", "-");
        assert!(
            words.contains(&format!("on {long_name} (devops): 149 errors from 13:50:24 to 14:09:36 UTC")),
            "{words}"
        );
        assert!(text.lines().all(|l| l.chars().count() <= columns), "{columns} columns:\n{text}");
        // Every line after an event's first is indented under its kind.
        assert!(text.lines().all(|l| l.starts_with(char::is_numeric) || l.starts_with(&" ".repeat(17))), "{text}");
    }
}

#[test]
fn input_no_format_fits_is_said_once_with_the_formats_tried() {
    let junk = (0..50).map(|i| format!("not a request, line {i}\n")).collect::<Vec<_>>().concat();
    let mut child = Command::new(env!("CARGO_BIN_EXE_culprit"))
        .args(["watch", "-", "--metrics-listen", "none"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(junk.as_bytes()).unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success());
    let err = String::from_utf8(out.stderr).unwrap();
    let said: Vec<&str> = err.lines().filter(|l| l.contains("unrecognised log format")).collect();
    assert_eq!(said.len(), 1, "{err}");
    assert!(
        said[0].starts_with("culprit: stdin: unrecognised log format (first line: not a request, line 0)"),
        "{err}"
    );
    assert!(said[0].contains("formats tried: ingress-nginx upstreaminfo"), "{err}");
}

/// The node's layout under /var/log as the kubelet keeps it: `containers/*.log` are symlinks to
/// `pods/<ns>_<pod>_<uid>/<container>/0.log`, in the CRI format (containerd) or Docker's
/// json-file; the kubelet rotates by renaming `0.log` to `0.log.<time>` and starting a new `0.log`
/// (the symlink then names the new file). A glob picks the controller's logs among other pods'.
#[test]
fn container_logs_through_symlinks_and_kubelet_rotation() {
    let dir = tempfile::tempdir().unwrap();
    let source = dir.path().join("source.log");
    generated(&source, &culprit_gen::Config { lines: 3_000, error_log: false, ..culprit_gen::Config::default() });
    let lines: Vec<String> = std::fs::read_to_string(&source).unwrap().lines().map(str::to_owned).collect();
    let cri = |l: &str| format!("2026-03-08T13:30:00.123456789Z stdout F {l}\n");
    let docker = |l: &str| {
        format!(
            "{{\"log\":\"{}\\n\",\"stream\":\"stdout\",\"time\":\"2026-03-08T13:30:00.1Z\"}}\n",
            l.replace('"', "\\\"")
        )
    };
    let containers = dir.path().join("containers");
    std::fs::create_dir(&containers).unwrap();
    let pod_log = |pod: &str| {
        let d = dir.path().join("pods").join(format!("ingress-nginx_{pod}_0f1e")).join("controller");
        std::fs::create_dir_all(&d).unwrap();
        let log = d.join("0.log");
        std::fs::File::create(&log).unwrap();
        std::os::unix::fs::symlink(&log, containers.join(format!("{pod}_ingress-nginx_controller-abc.log"))).unwrap();
        log
    };
    let (a, b) = (pod_log("ingress-nginx-controller-7d9f-a"), pod_log("ingress-nginx-controller-7d9f-b"));
    // Another pod's log in the same directory: not in the glob, never read.
    std::fs::write(containers.join("checkout-5c7b_shop_app-def.log"), cri("not an access line")).unwrap();
    let append = |path: &Path, text: String| {
        std::fs::OpenOptions::new().append(true).open(path).unwrap().write_all(text.as_bytes()).unwrap();
    };
    let pattern = containers.join("*ingress-nginx*.log");
    let w = Watch::start(&[pattern.to_str().unwrap(), "--from", "beginning"]);
    append(&a, lines[..1000].iter().map(|l| cri(l)).collect::<Vec<_>>().concat());
    append(&b, lines[1000..1500].iter().map(|l| docker(l)).collect::<Vec<_>>().concat());
    wait_for("both pods' lines", Duration::from_secs(20), || {
        total(&w.metrics(), "culprit_http_responses_total") == 1500
    });
    // The kubelet rotates a's log, the runtime writes a few more lines to the old file before it
    // reopens, then into the new one.
    std::fs::rename(&a, a.with_file_name("0.log.20260308-133000")).unwrap();
    append(
        &a.with_file_name("0.log.20260308-133000"),
        lines[1500..1600].iter().map(|l| cri(l)).collect::<Vec<_>>().concat(),
    );
    std::fs::File::create(&a).unwrap();
    append(&a, lines[1600..3000].iter().map(|l| cri(l)).collect::<Vec<_>>().concat());
    wait_for("every line once", Duration::from_secs(20), || {
        total(&w.metrics(), "culprit_http_responses_total") == 3000
    });
    let text = w.metrics();
    assert_eq!(total(&text, "culprit_watch_unparsed_lines_total"), 0, "{text}");
    assert!(!text.contains("checkout-5c7b"), "{text}");
    let a_label = containers.join("ingress-nginx-controller-7d9f-a_ingress-nginx_controller-abc.log");
    assert_eq!(sample(&text, &format!("culprit_watch_lines_total{{file=\"{}\"}}", a_label.display())), Some(2500));
    assert!(text.contains("status=\"502\",generated_by=\"proxy\",cause=\"upstream_connection_refused\""), "{text}");
    w.terminate();
}

/// A file culprit may not read is said once and counted, the others are read meanwhile, and it is
/// read once its permissions allow. As root (where permissions do not stop a read) culprit runs as
/// `nobody` through setpriv (util-linux).
#[test]
fn an_unreadable_file_is_said_and_read_once_it_can_be() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
    let cfg = culprit_gen::Config { lines: 500, error_log: false, ..culprit_gen::Config::default() };
    let (readable, locked) = (dir.path().join("a.log"), dir.path().join("b.log"));
    generated(&readable, &cfg);
    // Another seed: a file starting with the same bytes in the same directory is taken for a copy.
    generated(&locked, &culprit_gen::Config { seed: 8, ..cfg });
    std::fs::set_permissions(&locked, std::fs::Permissions::from_mode(0o000)).unwrap();
    let command = if runs_as_root() {
        let mut c = Command::new("setpriv");
        c.args(["--reuid=65534", "--regid=65534", "--clear-groups", env!("CARGO_BIN_EXE_culprit")]);
        c
    } else {
        Command::new(env!("CARGO_BIN_EXE_culprit"))
    };
    let w = Watch::spawn(command, &[dir.path().to_str().unwrap(), "--from", "beginning"]);
    wait_for("the readable file counted", Duration::from_secs(20), || {
        total(&w.metrics(), "culprit_http_responses_total") == 500
    });
    std::thread::sleep(Duration::from_millis(1500)); // a few rescans: said once, not at each
    let text = w.metrics();
    assert_eq!(sample(&text, "culprit_watch_errors_total{kind=\"read\"}"), Some(1), "{text}");
    let err = w.stderr();
    assert_eq!(err.matches("Permission denied").count(), 1, "{err}");
    assert!(err.contains(&format!("{}: Permission denied", locked.display())), "{err}");
    std::fs::set_permissions(&locked, std::fs::Permissions::from_mode(0o644)).unwrap();
    wait_for("the file counted once it can be read", Duration::from_secs(20), || {
        total(&w.metrics(), "culprit_http_responses_total") == 1000
    });
    w.terminate();
}

/// Whether this test runs as root (the owner of a file it creates is uid 0).
fn runs_as_root() -> bool {
    use std::os::unix::fs::MetadataExt;
    let probe = tempfile::NamedTempFile::new().unwrap();
    probe.as_file().metadata().unwrap().uid() == 0
}

#[test]
fn a_corrupt_checkpoint_and_a_full_disk_are_survived() {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("access.log");
    let state = dir.path().join("state");
    std::fs::create_dir(&state).unwrap();
    std::fs::write(state.join("checkpoint.json"), b"{\"schema\": \"culprit.watch.state/1\", \"files\": [{").unwrap();
    generated(&log, &culprit_gen::Config { lines: 1_000, error_log: false, ..culprit_gen::Config::default() });
    // The disk is full for the checkpoint: its temporary file is /dev/full.
    std::os::unix::fs::symlink("/dev/full", state.join(".checkpoint.json.tmp")).unwrap();
    let w = Watch::start(&[log.to_str().unwrap(), "--from", "beginning", "--state", state.to_str().unwrap()]);
    let text = w.metrics();
    assert_eq!(sample(&text, "culprit_watch_errors_total{kind=\"checkpoint_corrupt\"}"), Some(1), "{text}");
    assert_eq!(
        total(&text, "culprit_http_responses_total"),
        0,
        "policy: a corrupt checkpoint starts files at their end"
    );
    assert!(sample(&text, "culprit_watch_errors_total{kind=\"checkpoint_write\"}").unwrap() >= 1, "{text}");
    let err = w.stderr();
    assert!(err.contains("checkpoint unusable"), "{err}");
    assert!(err.contains("No space left on device"), "{err}");
    assert!(state.join("checkpoint.json.corrupt").exists());
    // Still running, and checkpoints again once the disk has room.
    let mut f = std::fs::OpenOptions::new().append(true).open(&log).unwrap();
    let lines = first_lines(&log, 10);
    f.write_all(lines.as_bytes()).unwrap();
    wait_for("new lines counted and a checkpoint written", Duration::from_secs(15), || {
        let m = w.metrics();
        total(&m, "culprit_http_responses_total") == 10
            && sample(&m, "culprit_watch_checkpoints_total ").unwrap_or(0) >= 1
    });
    assert!(state.join("checkpoint.json").exists());
    w.terminate();
}

/// The lab's nginx (configured like ingress-nginx) serves traffic from a few client threads;
/// its access log is rotated by rename (nginx reopens it on SIGUSR1) and by copytruncate while
/// it writes, and `culprit watch` is killed (-9 and SIGTERM) and restarted mid-stream. At the end
/// /metrics counts exactly the requests the clients sent: none lost, none twice.
#[test]
fn no_line_lost_through_rotations_and_restarts() {
    use culprit_lab::lab::Lab;
    use culprit_lab::proxy::ProxyKind;
    let dir = tempfile::tempdir().unwrap();
    let lab = Lab::start(ProxyKind::Nginx, dir.path()).expect("the lab's nginx (scripts/test installs nginx)");
    let proxy = lab.proxy.addr();
    let log = lab.proxy.logs().access.clone();
    let pid: String = std::fs::read_to_string(dir.path().join("nginx.pid")).unwrap().trim().to_owned();
    let state = dir.path().join("state");
    let args_owned = [
        log.to_str().unwrap().to_owned(),
        "--from".into(),
        "beginning".into(),
        "--state".into(),
        state.to_str().unwrap().into(),
    ];
    let args: Vec<&str> = args_owned.iter().map(String::as_str).collect();

    let sent = Arc::new(AtomicU64::new(0));
    let in_flight = Arc::new(AtomicU64::new(0));
    let paused = Arc::new(AtomicBool::new(false));
    let stop = Arc::new(AtomicBool::new(false));
    let clients: Vec<_> = (0..4)
        .map(|c| {
            let (sent, in_flight, paused, stop) = (sent.clone(), in_flight.clone(), paused.clone(), stop.clone());
            std::thread::spawn(move || {
                let mut i = 0u64;
                while !stop.load(Ordering::SeqCst) {
                    if paused.load(Ordering::SeqCst) {
                        std::thread::sleep(Duration::from_millis(5));
                        continue;
                    }
                    in_flight.fetch_add(1, Ordering::SeqCst);
                    if !paused.load(Ordering::SeqCst) {
                        i += 1;
                        let path = ["/shop/items/1", "/cart/add", "/search/q", "/nothing-here"][(i % 4) as usize];
                        if let Ok(mut s) = TcpStream::connect(proxy) {
                            s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
                            let req = format!(
                                "GET {path}?c={c}&i={i} HTTP/1.1\r\nHost: shop.lab\r\nConnection: close\r\n\r\n"
                            );
                            if s.write_all(req.as_bytes()).is_ok() {
                                let mut sink = Vec::new();
                                // nginx logs a request before it closes the connection: at EOF
                                // its line is in the file.
                                if s.read_to_end(&mut sink).is_ok() && !sink.is_empty() {
                                    sent.fetch_add(1, Ordering::SeqCst);
                                }
                            }
                        }
                    }
                    in_flight.fetch_sub(1, Ordering::SeqCst);
                    std::thread::sleep(Duration::from_millis(2));
                }
            })
        })
        .collect();
    let pause_until_quiet = || {
        paused.store(true, Ordering::SeqCst);
        wait_for("requests in flight to finish", Duration::from_secs(15), || in_flight.load(Ordering::SeqCst) == 0);
    };
    let sleep = |ms| std::thread::sleep(Duration::from_millis(ms));

    let w = Watch::start(&args);
    sleep(800);
    // Rotation by rename: nginx keeps writing to the renamed file until it reopens its log.
    std::fs::rename(&log, dir.path().join("access.log.1")).unwrap();
    sleep(300);
    assert!(Command::new("kill").args(["-USR1", &pid]).status().unwrap().success());
    sleep(700);
    // Killed without a word, restarted.
    w.kill9();
    sleep(500);
    let w = Watch::start(&args);
    sleep(800);
    // copytruncate: the copy, then the truncation. Lines written between the two would be in
    // neither file (logrotate's documented window): the clients pause for those milliseconds.
    pause_until_quiet();
    std::fs::copy(&log, dir.path().join("access.log.2")).unwrap();
    std::fs::OpenOptions::new().write(true).open(&log).unwrap().set_len(0).unwrap();
    paused.store(false, Ordering::SeqCst);
    sleep(800);
    w.terminate();
    sleep(300);
    let w = Watch::start(&args);
    sleep(700);
    // A copytruncate while culprit is down.
    w.kill9();
    pause_until_quiet();
    std::fs::copy(&log, dir.path().join("access.log.3")).unwrap();
    std::fs::OpenOptions::new().write(true).open(&log).unwrap().set_len(0).unwrap();
    paused.store(false, Ordering::SeqCst);
    sleep(500);
    let w = Watch::start(&args);
    // A scrape during a rotation.
    std::fs::rename(&log, dir.path().join("access.log.4")).unwrap();
    let during = w.metrics();
    assert!(during.contains("culprit_watch_files"), "{during}");
    assert!(Command::new("kill").args(["-USR1", &pid]).status().unwrap().success());
    sleep(800);
    stop.store(true, Ordering::SeqCst);
    for c in clients {
        c.join().unwrap();
    }
    let sent = sent.load(Ordering::SeqCst);
    assert!(sent > 200, "the clients sent only {sent} requests");
    let mut last = 0;
    let caught_up = (0..150).any(|_| {
        last = total(&w.metrics(), "culprit_http_responses_total");
        if last == sent {
            return true;
        }
        sleep(100);
        false
    });
    let text = w.metrics();
    // What nginx wrote, over the rotated files and the live one (each line is in exactly one).
    let written: usize = std::fs::read_dir(dir.path())
        .unwrap()
        .filter_map(Result::ok)
        .filter(|e| e.file_name().to_string_lossy().starts_with("access.log"))
        .map(|e| std::fs::read_to_string(e.path()).unwrap().lines().count())
        .sum();
    assert!(
        caught_up,
        "/metrics counts {last} responses, the clients sent {sent}, the log files hold {written}\n{}\n{text}",
        w.stderr()
    );
    assert_eq!(
        sample(&text, &format!("culprit_watch_lines_total{{file=\"{}\"}}", log.display())),
        Some(sent),
        "{text}"
    );
    promtool_check(&text);
    assert_eq!(sample(&text, "culprit_watch_errors_total{kind=\"truncated\"}"), Some(0), "{}", w.stderr());
    w.terminate();
    drop(lab);
}

/// A real Prometheus (Debian package `prometheus`) scrapes `culprit watch` on loopback every
/// second: the target is up with no scrape error (Prometheus asks for OpenMetrics first, so that
/// path is the one taken), and its queries see the totals culprit counted. curl checks the
/// Content-Type the way any client would see it.
#[test]
fn a_real_prometheus_scrapes_it() {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("access.log");
    generated(&log, &culprit_gen::Config { lines: 20_000, error_log: false, ..culprit_gen::Config::default() });
    let w = Watch::start(&[log.to_str().unwrap(), "--from", "beginning"]);
    wait_for("every line counted", Duration::from_secs(30), || {
        total(&w.metrics(), "culprit_http_responses_total") == 20_000
    });

    let curl = Command::new("curl")
        .args(["-sS", "-o", "/dev/null", "-w", "%{http_code} %{content_type}"])
        .arg(format!("http://{}/metrics", w.addr))
        .output()
        .expect("curl is needed: scripts/test installs it");
    assert_eq!(String::from_utf8_lossy(&curl.stdout), "200 text/plain; version=0.0.4; charset=utf-8");

    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let prom_addr = format!("127.0.0.1:{port}");
    let config = dir.path().join("prometheus.yml");
    std::fs::write(
        &config,
        format!(
            "global:\n  scrape_interval: 1s\n  scrape_timeout: 1s\n  evaluation_interval: 1s\n\
             scrape_configs:\n  - job_name: culprit\n    static_configs:\n      - targets: ['{}']\n",
            w.addr
        ),
    )
    .unwrap();
    let mut prometheus = Command::new("prometheus")
        .arg(format!("--config.file={}", config.display()))
        .arg(format!("--storage.tsdb.path={}", dir.path().join("data").display()))
        .arg(format!("--web.listen-address={prom_addr}"))
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("prometheus (Debian package prometheus) is needed: scripts/test installs it");
    let mut prom_err = prometheus.stderr.take().unwrap();
    let prometheus = Stop(prometheus);
    let query = |q: &str| -> serde_json::Value {
        let mut encoded = String::new();
        for b in q.bytes() {
            if b.is_ascii_alphanumeric() || b"_-.".contains(&b) {
                encoded.push(char::from(b));
            } else {
                let _ = std::fmt::Write::write_fmt(&mut encoded, format_args!("%{b:02X}"));
            }
        }
        let body = http_get(&prom_addr, &format!("/api/v1/query?query={encoded}"), None).1;
        serde_json::from_str(&body).unwrap_or(serde_json::Value::Null)
    };
    let value = |v: &serde_json::Value| -> Option<f64> { v["data"]["result"][0]["value"][1].as_str()?.parse().ok() };
    let deadline = Instant::now() + Duration::from_secs(60);
    let mut last = serde_json::Value::Null;
    while Instant::now() < deadline {
        if TcpStream::connect(&prom_addr).is_ok() {
            last = query("sum(culprit_http_responses_total)");
            if value(&last) == Some(20_000.0) {
                break;
            }
        }
        std::thread::sleep(Duration::from_millis(250));
    }
    if value(&last) != Some(20_000.0) {
        drop(prometheus);
        let mut err = String::new();
        let _ = prom_err.read_to_string(&mut err);
        panic!("Prometheus never saw the 20000 responses: {last}\nculprit: {}\nprometheus: {err}", w.stderr());
    }
    let targets: serde_json::Value = serde_json::from_str(&http_get(&prom_addr, "/api/v1/targets", None).1).unwrap();
    let target = &targets["data"]["activeTargets"][0];
    assert_eq!(target["health"], "up", "{target}");
    assert_eq!(target["lastError"], "", "{target}");
    assert_eq!(value(&query("up{job=\"culprit\"}")), Some(1.0));
    let refused = query(
        "culprit_http_responses_total{service=\"default-checkout-8080\",status=\"502\",cause=\"upstream_connection_refused\",owner=\"devops\"}",
    );
    assert!(value(&refused).is_some_and(|v| v > 100.0), "{refused}");
    assert_eq!(value(&query("culprit_build_info")), Some(1.0));
    assert!(value(&query("sum(culprit_http_request_duration_seconds_count)")).is_some_and(|v| v > 0.0));
    assert_eq!(value(&query("sum(culprit_watch_lines_total)")), Some(20_000.0));
    drop(prometheus);
    w.terminate();
}
