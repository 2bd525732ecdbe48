//! End to end with the real engine: a real Prometheus (Debian's `prometheus`, 2.42) scrapes
//! `culprit_http_responses_total` every second and evaluates the rules `culprit rules` generates;
//! a real Alertmanager (`prometheus-alertmanager`, 0.25) routes the alerts with the configuration
//! `culprit rules --alertmanager` generates, to two webhook receivers on loopback (small servers
//! in this test) that record what reaches the platform team and the application team.
//!
//! The service has an hour of healthy history (backfilled into Prometheus's storage with `promtool
//! tsdb create-blocks-from openmetrics`), so the alerts are measured against a real baseline, as
//! in production, rather than against the few seconds a test could wait.
//!
//! The metrics come from one of two sources, driven by the same traffic model:
//! - a loopback endpoint serving the text exposition `culprit watch` serves (the same metric name
//!   and labels, crates/culprit-watch/src/metrics.rs on the watch branch);
//! - `culprit watch` itself, tailing an ingress-nginx log (upstreaminfo lines) that a writer
//!   thread appends to as the traffic model says.
//!
//! A missing program fails the test (scripts/test installs both packages); every wait is bounded
//! in time and says what it waited for, with what Prometheus and Alertmanager held, when it gives
//! up.

// Request counts and Unix times are small positive numbers, converted between f64 and integers.
#![allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use serde_json::Value;

/// The services, named as ingress-nginx names upstreams (`$proxy_upstream_name`:
/// namespace-service-port), which is the `service` label `culprit watch` gives them.
const CHECKOUT: &str = "shop-checkout-8080";
const WEB: &str = "shop-web-8080";
const CART: &str = "shop-cart-8080";

/// Short windows so that the test runs in a minute; the baseline is the hour of history.
const RULE_FLAGS: [&str; 14] = [
    "--window",
    "10s",
    "--long-window",
    "1m",
    "--baseline-window",
    "1h",
    "--for",
    "2s",
    "--group-wait",
    "1s",
    "--group-interval",
    "1s",
    "--repeat-interval",
    "1h",
];

/// How long the backfilled history lasts, and its resolution.
const HISTORY: Duration = Duration::from_secs(3600);
const HISTORY_STEP: Duration = Duration::from_secs(15);

// ---------------------------------------------------------------------------------------------
// The traffic: per series of culprit_http_responses_total, a rate the test sets; the counters
// integrate it over time.

/// The labels of one series of `culprit_http_responses_total`; `generated_by` and `owner` are the
/// knowledge base's for the cause (what `culprit watch` labels such a response with).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
struct Key {
    service: String,
    status: u16,
    generated_by: String,
    cause: String,
    owner: String,
}

impl Key {
    fn new(service: &str, status: u16, cause: &str) -> Key {
        let card = culprit_kb::kb().cause(cause).unwrap_or_else(|| panic!("{cause} is not in the knowledge base"));
        Key {
            service: service.into(),
            status,
            generated_by: card.generated_by.id().into(),
            cause: cause.into(),
            owner: card.owner.id().into(),
        }
    }

    /// The series as the text exposition writes it.
    fn series(&self) -> String {
        format!(
            "culprit_http_responses_total{{service=\"{}\",status=\"{}\",generated_by=\"{}\",cause=\"{}\",owner=\"{}\"}}",
            self.service, self.status, self.generated_by, self.cause, self.owner
        )
    }
}

#[derive(Debug, Default)]
struct Series {
    per_second: f64,
    total: f64,
    /// Requests already written to the log (the `culprit watch` source).
    logged: u64,
}

#[derive(Debug)]
struct Model {
    at: Instant,
    series: BTreeMap<Key, Series>,
}

impl Model {
    fn advance(&mut self) {
        let now = Instant::now();
        let elapsed = now.duration_since(self.at).as_secs_f64();
        for s in self.series.values_mut() {
            s.total += s.per_second * elapsed;
        }
        self.at = now;
    }
}

#[derive(Debug, Clone)]
struct Traffic(Arc<Mutex<Model>>);

impl Traffic {
    fn new() -> Traffic {
        Traffic(Arc::new(Mutex::new(Model { at: Instant::now(), series: BTreeMap::new() })))
    }

    /// From now on, `per_second` requests of this kind.
    fn set(&self, key: &Key, per_second: f64) {
        let mut m = self.0.lock().unwrap();
        m.advance();
        m.series.entry(key.clone()).or_default().per_second = per_second;
    }

    /// An OpenMetrics text of [`HISTORY`] of the current rates, ending now, for `promtool tsdb
    /// create-blocks-from openmetrics`; the live counters continue from where it ends.
    fn history(&self) -> String {
        let mut m = self.0.lock().unwrap();
        m.advance();
        let end = unix_now().as_secs();
        let steps = HISTORY.as_secs() / HISTORY_STEP.as_secs();
        let mut out = String::new();
        for (key, s) in &mut m.series {
            for i in 0..=steps {
                let t = end - HISTORY.as_secs() + i * HISTORY_STEP.as_secs();
                let value = s.per_second * (i * HISTORY_STEP.as_secs()) as f64;
                let _ = writeln!(out, "{} {value} {t}", key.series());
            }
            s.total = s.per_second * HISTORY.as_secs_f64();
            s.logged = s.total as u64;
        }
        out.push_str("# EOF\n");
        out
    }

    /// The text exposition of the counters now.
    fn exposition(&self) -> String {
        let mut m = self.0.lock().unwrap();
        m.advance();
        let mut out = String::from(
            "# HELP culprit_http_responses_total HTTP responses read from the proxy logs.\n\
             # TYPE culprit_http_responses_total counter\n",
        );
        for (key, s) in &m.series {
            let _ = writeln!(out, "{} {}", key.series(), s.total.floor());
        }
        out
    }

    /// The requests made since the last call, to be written to the log.
    fn take_requests(&self) -> Vec<(Key, u64)> {
        let mut m = self.0.lock().unwrap();
        m.advance();
        let mut out = Vec::new();
        for (key, s) in &mut m.series {
            let due = s.total as u64;
            if due > s.logged {
                out.push((key.clone(), due - s.logged));
                s.logged = due;
            }
        }
        out
    }
}

fn unix_now() -> Duration {
    SystemTime::now().duration_since(UNIX_EPOCH).expect("the clock is after 1970")
}

// ---------------------------------------------------------------------------------------------
// Loopback HTTP: a request reader, a GET client, the exposition endpoint and the webhook receivers.

/// Reads one request: its request line and its body (per Content-Length).
fn read_request(stream: &TcpStream) -> std::io::Result<(String, Vec<u8>)> {
    stream.set_read_timeout(Some(Duration::from_secs(5)))?;
    let mut reader = BufReader::new(stream);
    let mut request_line = String::new();
    reader.read_line(&mut request_line)?;
    let mut length = 0;
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line)? == 0 || line == "\r\n" || line == "\n" {
            break;
        }
        if let Some((name, value)) = line.split_once(':')
            && name.eq_ignore_ascii_case("content-length")
        {
            length = value.trim().parse().unwrap_or(0);
        }
    }
    let mut body = vec![0; length];
    reader.read_exact(&mut body)?;
    Ok((request_line.trim_end().to_string(), body))
}

/// GET `path` on loopback `port`: the status code and the body, or None if nothing answered.
fn get(port: u16, path: &str) -> Option<(u16, String)> {
    let addr = SocketAddr::from(([127, 0, 0, 1], port));
    let mut stream = TcpStream::connect_timeout(&addr, Duration::from_secs(2)).ok()?;
    stream.set_read_timeout(Some(Duration::from_secs(10))).ok()?;
    // HTTP/1.0: the server closes the connection after the answer and sends no chunked body.
    write!(stream, "GET {path} HTTP/1.0\r\nHost: 127.0.0.1:{port}\r\n\r\n").ok()?;
    let mut answer = String::new();
    stream.read_to_string(&mut answer).ok()?;
    let (head, body) = answer.split_once("\r\n\r\n")?;
    let code = head.split_whitespace().nth(1)?.parse().ok()?;
    Some((code, body.to_string()))
}

fn get_json(port: u16, path: &str) -> Option<Value> {
    match get(port, path)? {
        (200, body) => serde_json::from_str(&body).ok(),
        _ => None,
    }
}

fn encode(query: &str) -> String {
    url::form_urlencoded::byte_serialize(query.as_bytes()).collect()
}

/// A port nothing listens on now, for a server started next.
fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0").and_then(|l| l.local_addr()).expect("a loopback port").port()
}

/// Serves the traffic's counters as `culprit watch` would on /metrics; returns the port.
fn serve_exposition(traffic: Traffic) -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").expect("a loopback port");
    let port = listener.local_addr().unwrap().port();
    std::thread::spawn(move || {
        for mut stream in listener.incoming().flatten() {
            if read_request(&stream).is_err() {
                continue;
            }
            let body = traffic.exposition();
            // Prometheus 3 refuses a scrape without a Content-Type; 2.x falls back to text.
            let _ = write!(
                stream,
                "HTTP/1.1 200 OK\r\nContent-Type: text/plain; version=0.0.4; charset=utf-8\r\n\
                 Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
                body.len()
            );
        }
    });
    port
}

/// What Alertmanager posted to the webhook receivers: (path, payload).
#[derive(Debug, Clone)]
struct Hooks {
    port: u16,
    received: Arc<Mutex<Vec<(String, Value)>>>,
}

impl Hooks {
    fn serve() -> Hooks {
        let listener = TcpListener::bind("127.0.0.1:0").expect("a loopback port");
        let hooks = Hooks { port: listener.local_addr().unwrap().port(), received: Arc::default() };
        let received = Arc::clone(&hooks.received);
        std::thread::spawn(move || {
            for mut stream in listener.incoming().flatten() {
                let Ok((request_line, body)) = read_request(&stream) else { continue };
                let path = request_line.split_whitespace().nth(1).unwrap_or_default().to_string();
                let payload = serde_json::from_slice(&body)
                    .unwrap_or_else(|e| Value::String(format!("not JSON ({e}): {}", String::from_utf8_lossy(&body))));
                received.lock().unwrap().push((path, payload));
                let _ = stream.write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
            }
        });
        hooks
    }

    fn url(&self, receiver: &str) -> String {
        format!("http://127.0.0.1:{}/{receiver}", self.port)
    }

    /// Every alert posted to `receiver`, as posted (each with its `status`, `labels`, …).
    fn alerts(&self, receiver: &str) -> Vec<Value> {
        let path = format!("/{receiver}");
        self.received
            .lock()
            .unwrap()
            .iter()
            .filter(|(p, _)| *p == path)
            .flat_map(|(_, payload)| payload["alerts"].as_array().cloned().unwrap_or_default())
            .collect()
    }

    /// The first alert posted to `receiver` with this status and these labels.
    fn find(&self, receiver: &str, status: &str, labels: &[(&str, &str)]) -> Option<Value> {
        self.alerts(receiver).into_iter().find(|a| a["status"] == status && has_labels(a, labels))
    }

    fn dump(&self) -> String {
        let received = self.received.lock().unwrap();
        let mut out = format!("{} notifications:\n", received.len());
        for (path, payload) in received.iter() {
            for alert in payload["alerts"].as_array().into_iter().flatten() {
                let _ = writeln!(out, "  {path}: {} {}", alert["status"], alert["labels"]);
            }
        }
        out
    }
}

fn has_labels(alert: &Value, labels: &[(&str, &str)]) -> bool {
    labels.iter().all(|(k, v)| alert["labels"][*k] == *v)
}

// ---------------------------------------------------------------------------------------------
// Prometheus and Alertmanager.

/// A program of the Prometheus packages, found on PATH (or under /usr/bin).
fn tool(name: &str) -> PathBuf {
    std::env::var_os("PATH")
        .into_iter()
        .flat_map(|p| std::env::split_paths(&p).collect::<Vec<_>>())
        .chain([PathBuf::from("/usr/bin")])
        .map(|dir| dir.join(name))
        .find(|p| p.is_file())
        .unwrap_or_else(|| {
            panic!(
                "{name} not found: install it with `apt-get install prometheus prometheus-alertmanager` \
                 (scripts/test does)"
            )
        })
}

/// A server this test started: killed (by its own pid) when dropped; its output in a file.
#[derive(Debug)]
struct Server {
    name: &'static str,
    child: Child,
    log: PathBuf,
}

impl Server {
    fn start(name: &'static str, program: &Path, args: &[String], log: PathBuf) -> Server {
        let file = std::fs::File::create(&log).expect("a log file");
        let child = Command::new(program)
            .args(args)
            .stdin(Stdio::null())
            .stdout(file.try_clone().unwrap())
            .stderr(file)
            .spawn()
            .unwrap_or_else(|e| panic!("starting {}: {e}", program.display()));
        Server { name, child, log }
    }

    /// The end of its output.
    fn tail(&self) -> String {
        let text = std::fs::read_to_string(&self.log).unwrap_or_default();
        let lines: Vec<&str> = text.lines().collect();
        lines[lines.len().saturating_sub(15)..].join("\n")
    }

    /// Waits until GET `path` on `port` answers 200; panics if the server exits or takes longer
    /// than `within`.
    fn wait_ready(&mut self, port: u16, path: &str, within: Duration) {
        let deadline = Instant::now() + within;
        loop {
            if let Ok(Some(status)) = self.child.try_wait() {
                panic!("{} exited ({status}) before it was ready:\n{}", self.name, self.tail());
            }
            if matches!(get(port, path), Some((200, _))) {
                return;
            }
            assert!(
                Instant::now() < deadline,
                "{} not ready on port {port} after {within:?}:\n{}",
                self.name,
                self.tail()
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Prometheus and Alertmanager configured by `culprit rules`, Prometheus scraping `target`.
#[derive(Debug)]
struct Engine {
    prometheus_port: u16,
    alertmanager_port: u16,
    // Dropped in this order: Prometheus stops sending before Alertmanager stops, and both before
    // their directory goes.
    prometheus: Server,
    alertmanager: Server,
    dir: tempfile::TempDir,
}

impl Engine {
    fn start(hooks: &Hooks, target: u16, history: &str) -> Engine {
        let dir = tempfile::tempdir().expect("temp dir");
        let config = dir.path().join("config");
        let mut args: Vec<String> = vec!["rules".into(), "-o".into(), config.display().to_string()];
        args.extend(RULE_FLAGS.iter().map(|s| (*s).to_string()));
        args.extend(["--platform-webhook".into(), hooks.url("platform")]);
        args.extend(["--app-webhook".into(), hooks.url("app-team")]);
        let out = Command::new(env!("CARGO_BIN_EXE_culprit")).args(&args).output().expect("run culprit rules");
        assert!(out.status.success(), "culprit {args:?}: {}", String::from_utf8_lossy(&out.stderr));

        // An hour of history, as blocks Prometheus opens at start.
        let data = dir.path().join("data");
        let history_file = dir.path().join("history.om");
        std::fs::write(&history_file, history).unwrap();
        let out = Command::new(tool("promtool"))
            .args(["tsdb", "create-blocks-from", "openmetrics"])
            .arg(&history_file)
            .arg(&data)
            .output()
            .expect("run promtool");
        assert!(
            out.status.success(),
            "promtool tsdb create-blocks-from openmetrics: {}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );

        let alertmanager_port = free_port();
        let mut alertmanager = Server::start(
            "Alertmanager",
            &tool("prometheus-alertmanager"),
            &[
                format!("--config.file={}", config.join("alertmanager.yml").display()),
                format!("--storage.path={}", dir.path().join("alertmanager").display()),
                format!("--web.listen-address=127.0.0.1:{alertmanager_port}"),
                // No gossip port on every interface: a single Alertmanager.
                "--cluster.listen-address=".into(),
            ],
            dir.path().join("alertmanager.log"),
        );
        alertmanager.wait_ready(alertmanager_port, "/-/ready", Duration::from_secs(30));

        let prometheus_config = format!(
            "global:\n  scrape_interval: 1s\n  evaluation_interval: 1s\n\
             rule_files: [{rules}]\n\
             alerting:\n  alertmanagers:\n  - static_configs:\n    - targets: ['127.0.0.1:{alertmanager_port}']\n\
             scrape_configs:\n- job_name: culprit\n  honor_labels: true\n  static_configs:\n  - targets: ['127.0.0.1:{target}']\n",
            rules = config.join("culprit.rules.yml").display(),
        );
        let prometheus_yml = dir.path().join("prometheus.yml");
        std::fs::write(&prometheus_yml, prometheus_config).unwrap();
        let prometheus_port = free_port();
        let mut prometheus = Server::start(
            "Prometheus",
            &tool("prometheus"),
            &[
                format!("--config.file={}", prometheus_yml.display()),
                format!("--storage.tsdb.path={}", data.display()),
                format!("--web.listen-address=127.0.0.1:{prometheus_port}"),
                // A firing alert is sent again every second, not every minute: Alertmanager
                // learns of it as soon as it fires and of its end as soon as it resolves.
                "--rules.alert.resend-delay=1s".into(),
            ],
            dir.path().join("prometheus.log"),
        );
        prometheus.wait_ready(prometheus_port, "/-/ready", Duration::from_secs(60));
        Engine { prometheus_port, alertmanager_port, prometheus, alertmanager, dir }
    }

    /// The result of an instant query (empty if the query failed).
    fn query(&self, promql: &str) -> Vec<Value> {
        get_json(self.prometheus_port, &format!("/api/v1/query?query={}", encode(promql)))
            .and_then(|v| v["data"]["result"].as_array().cloned())
            .unwrap_or_default()
    }

    /// Prometheus's pending and firing alerts.
    fn prometheus_alerts(&self) -> Vec<Value> {
        get_json(self.prometheus_port, "/api/v1/alerts")
            .and_then(|v| v["data"]["alerts"].as_array().cloned())
            .unwrap_or_default()
    }

    /// Alertmanager's alerts (active, silenced and inhibited), each with its `status`.
    fn alertmanager_alerts(&self) -> Vec<Value> {
        get_json(self.alertmanager_port, "/api/v2/alerts").and_then(|v| v.as_array().cloned()).unwrap_or_default()
    }

    /// What both engines and the receivers hold, for a failure message.
    fn dump(&self, hooks: &Hooks) -> String {
        let brief = |alerts: Vec<Value>, state: &dyn Fn(&Value) -> Value| {
            alerts.iter().fold(String::new(), |mut out, a| {
                let _ = writeln!(out, "  {} {}", state(a), a["labels"]);
                out
            })
        };
        format!(
            "Prometheus alerts:\n{}Alertmanager alerts:\n{}Webhooks: {}\nPrometheus log:\n{}\nAlertmanager log:\n{}\n\
             (configuration in {})",
            brief(self.prometheus_alerts(), &|a| a["state"].clone()),
            brief(self.alertmanager_alerts(), &|a| a["status"]["state"].clone()),
            hooks.dump(),
            self.prometheus.tail(),
            self.alertmanager.tail(),
            self.dir.path().display(),
        )
    }

    /// Polls `check` until it gives a value, at most `within`; panics saying what it waited for.
    fn wait_for<T>(&self, hooks: &Hooks, what: &str, within: Duration, mut check: impl FnMut() -> Option<T>) -> T {
        let deadline = Instant::now() + within;
        loop {
            if let Some(found) = check() {
                return found;
            }
            assert!(Instant::now() < deadline, "{what}: not within {within:?}\n{}", self.dump(hooks));
            std::thread::sleep(Duration::from_millis(250));
        }
    }

    /// Waits until Prometheus has scraped `service`'s responses and recorded its request rate.
    fn wait_for_recording(&self, hooks: &Hooks, service: &str) {
        let query = format!("service:culprit_http_responses:rate10s{{service=\"{service}\"}} > 0");
        self.wait_for(hooks, &format!("the recorded request rate of {service}"), Duration::from_secs(30), || {
            (!self.query(&query).is_empty()).then_some(())
        });
    }
}

// ---------------------------------------------------------------------------------------------
// The metrics source.

/// Where Prometheus scrapes the counters from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Source {
    /// A loopback endpoint serving the exposition `culprit watch` serves.
    Exposition,
    /// `culprit watch` following an ingress-nginx log the test writes.
    Watch,
}

/// `culprit watch` and the writer of its log; both stop when dropped.
#[derive(Debug)]
struct Watch {
    stop: Arc<AtomicBool>,
    // Stopped before its directory goes.
    _server: Server,
    _dir: tempfile::TempDir,
}

impl Drop for Watch {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
    }
}

/// The culprit binary with `watch`: this build's, or `CULPRIT_BIN` (to try one built from another
/// branch).
fn culprit_bin() -> PathBuf {
    std::env::var_os("CULPRIT_BIN").map_or_else(|| PathBuf::from(env!("CARGO_BIN_EXE_culprit")), PathBuf::from)
}

/// Starts `culprit watch` on a log that a thread appends the traffic's requests to, ten times a
/// second, as ingress-nginx writes them (the upstreaminfo format); returns it and its metrics port.
fn start_watch(traffic: &Traffic) -> (Watch, u16) {
    let dir = tempfile::tempdir().expect("temp dir");
    let log = dir.path().join("ingress-nginx-controller.log");
    std::fs::write(&log, "").unwrap();
    let port = free_port();
    let mut server = Server::start(
        "culprit watch",
        &culprit_bin(),
        &[
            "watch".into(),
            log.display().to_string(),
            "--from=beginning".into(),
            format!("--state={}", dir.path().join("state").display()),
            format!("--metrics-listen=127.0.0.1:{port}"),
        ],
        dir.path().join("watch.log"),
    );
    server.wait_ready(port, "/metrics", Duration::from_secs(30));
    let stop = Arc::new(AtomicBool::new(false));
    let (traffic, stopped) = (traffic.clone(), Arc::clone(&stop));
    std::thread::spawn(move || {
        let mut file = std::fs::OpenOptions::new().append(true).open(&log).expect("the log");
        let mut id = 0u64;
        while !stopped.load(Ordering::Relaxed) {
            let mut lines = String::new();
            for (key, count) in traffic.take_requests() {
                for _ in 0..count {
                    id += 1;
                    lines.push_str(&upstreaminfo(&key, id));
                }
            }
            file.write_all(lines.as_bytes()).expect("writing the log");
            std::thread::sleep(Duration::from_millis(100));
        }
    });
    (Watch { stop, _server: server, _dir: dir }, port)
}

/// One ingress-nginx access line (log-format-upstream, the controller's default) for a request of
/// this kind, at the current time.
fn upstreaminfo(key: &Key, id: u64) -> String {
    // (status, body bytes, request time, upstream response length, upstream time, upstream status)
    let (status, bytes, time, up_len, up_time, up_status) = match key.cause.as_str() {
        "ok" => (200, 512, "0.004", "512", "0.004", "200"),
        // Nothing listens behind the Service: nginx writes the 502, no byte comes back.
        "upstream_connection_refused" => (502, 150, "0.000", "0", "0.000", "502"),
        other => panic!("no ingress-nginx line for {other} in this test"),
    };
    assert_eq!(status, key.status, "{key:?}");
    format!(
        "10.0.3.{} - - [{}] \"GET /checkout/{id} HTTP/1.1\" {status} {bytes} \"-\" \"e2e/1.0\" 92 {time} \
         [{}] [] 10.244.1.7:8080 {up_len} {up_time} {up_status} {id:032x}\n",
        id % 200 + 1,
        nginx_time(unix_now().as_secs()),
        key.service,
    )
}

/// `$time_local` in UTC: 29/Nov/2026:15:04:05 +0000.
fn nginx_time(unix: u64) -> String {
    const MONTHS: [&str; 12] = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];
    // Days to a civil date (Howard Hinnant's algorithm; all terms are non-negative after 1970).
    let days = unix / 86_400;
    let secs = unix % 86_400;
    let z = days + 719_468;
    let era = z / 146_097;
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + u64::from(month <= 2);
    format!(
        "{day:02}/{}/{year}:{:02}:{:02}:{:02} +0000",
        MONTHS[(month - 1) as usize],
        secs / 3600,
        secs % 3600 / 60,
        secs % 60
    )
}

// ---------------------------------------------------------------------------------------------
// The scenarios.

/// checkout's pods crash: every request behind the ingress is refused, then they come back.
fn a_crash_pages_the_platform_team_then_resolves(source: Source) {
    let ok = Key::new(CHECKOUT, 200, "ok");
    let refused = Key::new(CHECKOUT, 502, "upstream_connection_refused");
    let traffic = Traffic::new();
    traffic.set(&ok, 20.0);
    let history = traffic.history();
    let hooks = Hooks::serve();
    let (_watch, target) = match source {
        Source::Exposition => (None, serve_exposition(traffic.clone())),
        Source::Watch => {
            let (watch, port) = start_watch(&traffic);
            (Some(watch), port)
        }
    };
    let engine = Engine::start(&hooks, target, &history);
    engine.wait_for_recording(&hooks, CHECKOUT);

    // The healthy baseline pages no one, and nothing is even pending.
    std::thread::sleep(Duration::from_secs(5));
    assert!(engine.prometheus_alerts().is_empty(), "an alert on the baseline:\n{}", engine.dump(&hooks));
    assert!(hooks.alerts("platform").is_empty() && hooks.alerts("app-team").is_empty(), "{}", engine.dump(&hooks));

    // The crash: nothing listens behind the Service; nginx answers 502 to every request.
    traffic.set(&ok, 0.0);
    traffic.set(&refused, 20.0);
    let crashed = Instant::now();
    let labels = [
        ("alertname", "CulpritErrorRise"),
        ("service", CHECKOUT),
        ("cause", "upstream_connection_refused"),
        ("owner", "devops"),
    ];
    let alert = engine.wait_for(
        &hooks,
        "the platform team paged for checkout's refused connections",
        Duration::from_secs(45),
        || hooks.find("platform", "firing", &labels),
    );
    let paged_after = crashed.elapsed();
    assert_eq!(alert["labels"]["layer"], "service", "{alert:#}");
    assert_eq!(alert["labels"]["generated_by"], "proxy", "{alert:#}");
    assert_eq!(alert["labels"]["severity"], "critical", "{alert:#}");
    assert_eq!(alert["annotations"]["explain"], "culprit explain upstream_connection_refused", "{alert:#}");
    let summary = alert["annotations"]["summary"].as_str().unwrap_or_default();
    assert!(
        summary.starts_with("upstream_connection_refused on shop-checkout-8080 rose from ")
            && summary.contains("% of its requests (last 10s against the last 1h), generated by the proxy: ")
            && summary.ends_with("DevOps / platform looks first."),
        "{summary}"
    );
    assert!(alert["annotations"]["first_checks"].as_str().unwrap_or_default().starts_with("1. "), "{alert:#}");

    // The pods are back.
    traffic.set(&refused, 0.0);
    traffic.set(&ok, 20.0);
    let recovered = Instant::now();
    engine.wait_for(
        &hooks,
        "the resolution of checkout's alert sent to the platform team",
        Duration::from_secs(60),
        || hooks.find("platform", "resolved", &labels),
    );
    let resolved_after = recovered.elapsed();

    // Everything that reached anyone was this incident, and only the platform team was paged.
    for alert in hooks.alerts("platform") {
        assert!(has_labels(&alert, &labels[1..]), "an unexpected alert: {alert:#}");
    }
    assert!(hooks.alerts("app-team").is_empty(), "the app team was paged:\n{}", hooks.dump());
    eprintln!("{source:?}: paged {paged_after:.1?} after the crash, resolved {resolved_after:.1?} after the recovery");
}

#[test]
fn a_crash_behind_the_ingress_pages_the_platform_team_and_resolves_after_recovery() {
    a_crash_pages_the_platform_team_then_resolves(Source::Exposition);
}

/// The same incident through `culprit watch` reading the ingress's log. Run it with
/// `cargo test --test alerting -- --ignored`, or against a binary built elsewhere with
/// `CULPRIT_BIN=path/to/culprit`.
#[test]
#[ignore = "needs `culprit watch` (branch wt-watch): remove this line when it is merged"]
fn culprit_watch_reading_the_ingress_log_pages_the_platform_team_and_resolves() {
    a_crash_pages_the_platform_team_then_resolves(Source::Watch);
}

/// The ingress itself fails (TLS to web's backends): its alert goes to the platform team, and the
/// application team's alerts on the same service are inhibited while it fires; the app team is
/// still paged for another service.
#[test]
fn a_failing_ingress_inhibits_the_app_teams_alerts_on_the_same_service_only() {
    let (web_ok, cart_ok) = (Key::new(WEB, 200, "ok"), Key::new(CART, 200, "ok"));
    let web_tls = Key::new(WEB, 502, "upstream_tls_failed");
    let (web_app, cart_app) = (Key::new(WEB, 500, "app_error"), Key::new(CART, 500, "app_error"));
    let traffic = Traffic::new();
    traffic.set(&web_ok, 20.0);
    traffic.set(&cart_ok, 20.0);
    let history = traffic.history();
    let hooks = Hooks::serve();
    let engine = Engine::start(&hooks, serve_exposition(traffic.clone()), &history);
    engine.wait_for_recording(&hooks, WEB);
    engine.wait_for_recording(&hooks, CART);

    traffic.set(&web_tls, 10.0);
    let ingress = [("alertname", "CulpritErrorRise"), ("service", WEB), ("cause", "upstream_tls_failed")];
    let alert = engine.wait_for(
        &hooks,
        "the platform team paged for the ingress's TLS failures",
        Duration::from_secs(45),
        || hooks.find("platform", "firing", &ingress),
    );
    assert_eq!(alert["labels"]["layer"], "ingress", "{alert:#}");
    assert_eq!(alert["labels"]["generated_by"], "proxy", "{alert:#}");

    // Now the application errors too, on web (behind the failing ingress) and on cart.
    traffic.set(&web_app, 5.0);
    traffic.set(&cart_app, 5.0);
    let cart = [("alertname", "CulpritErrorRise"), ("service", CART), ("cause", "app_error"), ("owner", "developer")];
    engine.wait_for(&hooks, "the app team paged for cart's errors", Duration::from_secs(45), || {
        hooks.find("app-team", "firing", &cart)
    });
    let web = [("alertname", "CulpritErrorRise"), ("service", WEB), ("cause", "app_error")];
    let held = engine.wait_for(
        &hooks,
        "Alertmanager holding web's app_error alert as inhibited",
        Duration::from_secs(15),
        || {
            engine
                .alertmanager_alerts()
                .into_iter()
                .find(|a| has_labels(a, &web) && a["status"]["state"] == "suppressed")
        },
    );
    assert!(!held["status"]["inhibitedBy"].as_array().is_none_or(Vec::is_empty), "{held:#}");
    // Web's alert fired with cart's: a few group waits later it still has reached no one.
    std::thread::sleep(Duration::from_secs(3));
    assert!(hooks.alerts("app-team").iter().all(|a| !has_labels(a, &web)), "inhibited, yet sent:\n{}", hooks.dump());
    assert!(hooks.alerts("platform").iter().all(|a| a["labels"]["cause"] != "app_error"), "{}", hooks.dump());
}

#[test]
fn nginx_time_is_utc() {
    assert_eq!(nginx_time(0), "01/Jan/1970:00:00:00 +0000");
    assert_eq!(nginx_time(1_795_964_645), "29/Nov/2026:15:04:05 +0000");
    assert_eq!(nginx_time(951_782_400), "29/Feb/2000:00:00:00 +0000");
}
