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
//! The metrics come from one of two sources:
//! - a loopback endpoint serving the text exposition `culprit watch` serves (the same metric name
//!   and labels, crates/culprit-watch/src/metrics.rs on the watch branch), its counters following
//!   rates the test sets;
//! - the lab's real nginx (ingress-nginx's upstreaminfo log format) in front of its checkout
//!   backend, which crashes and recovers, and `culprit watch` reading nginx's access log.
//!
//! A missing program fails the test (scripts/test installs both packages); every wait is bounded
//! in time and says what it waited for, with what Prometheus and Alertmanager held, when it gives
//! up.

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
// The checkout service and where Prometheus reads its counters.

/// Requests per second to checkout.
const CHECKOUT_RATE: f64 = 20.0;

/// The checkout service behind the ingress, able to crash and recover, and the port Prometheus
/// scrapes its counters on.
#[derive(Debug)]
enum Checkout {
    /// The exposition endpoint: the test sets the rates of the series.
    Modelled { traffic: Traffic, ok: Key, refused: Key, port: u16 },
    /// The lab: real nginx (ingress-nginx's upstreaminfo log format) in front of the checkout
    /// backend, a thread sending it requests, `culprit watch` reading nginx's access log.
    Lab { lab: Box<culprit_lab::lab::Lab>, stop: Arc<AtomicBool>, watch: Server, port: u16, _dir: tempfile::TempDir },
}

impl Checkout {
    /// The exposition endpoint, with its hour of history.
    fn modelled() -> (Checkout, String) {
        let ok = Key::new(CHECKOUT, 200, "ok");
        let refused = Key::new(CHECKOUT, 502, "upstream_connection_refused");
        let traffic = Traffic::new();
        traffic.set(&ok, CHECKOUT_RATE);
        let history = traffic.history();
        let port = serve_exposition(traffic.clone());
        (Checkout::Modelled { traffic, ok, refused, port }, history)
    }

    /// The lab's nginx and `culprit watch`, with an hour of history of the series culprit watch
    /// gives checkout's healthy responses.
    fn lab() -> (Checkout, String) {
        let dir = tempfile::tempdir().expect("temp dir");
        let lab =
            culprit_lab::lab::Lab::start(culprit_lab::proxy::ProxyKind::Nginx, dir.path()).expect("the lab's nginx");
        let port = free_port();
        let mut watch = Server::start(
            "culprit watch",
            &culprit_bin(),
            &[
                "watch".into(),
                lab.proxy.logs().access.display().to_string(),
                "--from=beginning".into(),
                format!("--state={}", dir.path().join("state").display()),
                format!("--metrics-listen=127.0.0.1:{port}"),
            ],
            dir.path().join("watch.log"),
        );
        watch.wait_ready(port, "/metrics", Duration::from_secs(30));
        let stop = Arc::new(AtomicBool::new(false));
        let (addr, stopped) = (lab.proxy.addr(), Arc::clone(&stop));
        std::thread::spawn(move || {
            let start = Instant::now();
            let mut n = 0u64;
            while !stopped.load(Ordering::Relaxed) {
                n += 1;
                let id = format!("e2e{n:029x}");
                let (method, path) = culprit_lab::scenario::Scenario::Checkout.target(n, &id);
                let planned = culprit_lab::driver::Planned {
                    id,
                    scenario: culprit_lab::scenario::Scenario::Checkout,
                    phase: culprit_lab::driver::Phase::Baseline,
                    at: Duration::ZERO,
                    method,
                    path,
                };
                culprit_lab::driver::send(addr, &planned);
                // A steady CHECKOUT_RATE, whatever each request took.
                let next = start + Duration::from_secs_f64(n as f64 / CHECKOUT_RATE);
                std::thread::sleep(next.saturating_duration_since(Instant::now()));
            }
        });
        let history = Traffic::new();
        history.set(&Key::new(culprit_lab::lab::INCIDENT_SERVICE, 200, "ok"), CHECKOUT_RATE);
        (Checkout::Lab { lab: Box::new(lab), stop, watch, port, _dir: dir }, history.history())
    }

    fn service(&self) -> &'static str {
        match self {
            Checkout::Modelled { .. } => CHECKOUT,
            Checkout::Lab { .. } => culprit_lab::lab::INCIDENT_SERVICE,
        }
    }

    fn port(&self) -> u16 {
        match self {
            Checkout::Modelled { port, .. } | Checkout::Lab { port, .. } => *port,
        }
    }

    /// Its pods crash: nothing listens behind the Service; nginx answers 502 to every request.
    fn crash(&self) {
        match self {
            Checkout::Modelled { traffic, ok, refused, .. } => {
                traffic.set(ok, 0.0);
                traffic.set(refused, CHECKOUT_RATE);
            }
            Checkout::Lab { lab, .. } => lab.checkout.lock().unwrap().crash(),
        }
    }

    /// Its pods are back.
    fn recover(&self) {
        match self {
            Checkout::Modelled { traffic, ok, refused, .. } => {
                traffic.set(refused, 0.0);
                traffic.set(ok, CHECKOUT_RATE);
            }
            Checkout::Lab { lab, .. } => lab.checkout.lock().unwrap().recover().expect("checkout listening again"),
        }
    }

    /// What culprit watch said, if it runs.
    fn watch_log(&self) -> String {
        match self {
            Checkout::Modelled { .. } => String::new(),
            Checkout::Lab { watch, .. } => format!("culprit watch:\n{}", watch.tail()),
        }
    }
}

impl Drop for Checkout {
    fn drop(&mut self) {
        if let Checkout::Lab { stop, .. } = self {
            stop.store(true, Ordering::Relaxed);
        }
    }
}

/// The culprit binary with `watch`: this build's, or `CULPRIT_BIN` (to try one built from another
/// branch).
fn culprit_bin() -> PathBuf {
    std::env::var_os("CULPRIT_BIN").map_or_else(|| PathBuf::from(env!("CARGO_BIN_EXE_culprit")), PathBuf::from)
}

// ---------------------------------------------------------------------------------------------
// The scenarios.

/// checkout's pods crash: every request behind the ingress is refused, then they come back.
fn a_crash_pages_the_platform_team_then_resolves(checkout: &Checkout, history: &str) {
    let service = checkout.service();
    let hooks = Hooks::serve();
    let engine = Engine::start(&hooks, checkout.port(), history);
    engine.wait_for_recording(&hooks, service);

    // The healthy baseline pages no one, and nothing is even pending.
    std::thread::sleep(Duration::from_secs(5));
    let quiet = |what: &str| format!("{what}:\n{}{}", engine.dump(&hooks), checkout.watch_log());
    assert!(engine.prometheus_alerts().is_empty(), "{}", quiet("an alert on the baseline"));
    assert!(hooks.alerts("platform").is_empty() && hooks.alerts("app-team").is_empty(), "{}", quiet("a page"));

    checkout.crash();
    let crashed = Instant::now();
    let labels = [
        ("alertname", "CulpritErrorRise"),
        ("service", service),
        ("cause", "upstream_connection_refused"),
        ("owner", "devops"),
    ];
    let alert = engine.wait_for(
        &hooks,
        &format!("the platform team paged for {service}'s refused connections"),
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
        summary.starts_with(&format!("upstream_connection_refused on {service} rose from "))
            && summary.contains("% of its requests (last 10s against the last 1h), generated by the proxy: ")
            && summary.ends_with("DevOps / platform looks first."),
        "{summary}"
    );
    assert!(alert["annotations"]["first_checks"].as_str().unwrap_or_default().starts_with("1. "), "{alert:#}");

    checkout.recover();
    let recovered = Instant::now();
    engine.wait_for(
        &hooks,
        &format!("the resolution of {service}'s alert sent to the platform team"),
        Duration::from_secs(60),
        || hooks.find("platform", "resolved", &labels),
    );
    let resolved_after = recovered.elapsed();

    // Everything that reached anyone was this incident, and only the platform team was paged.
    for alert in hooks.alerts("platform") {
        assert!(has_labels(&alert, &labels[1..]), "an unexpected alert: {alert:#}");
    }
    assert!(hooks.alerts("app-team").is_empty(), "the app team was paged:\n{}", hooks.dump());
    eprintln!("{service}: paged {paged_after:.1?} after the crash, resolved {resolved_after:.1?} after the recovery");
}

#[test]
fn a_crash_behind_the_ingress_pages_the_platform_team_and_resolves_after_recovery() {
    let (checkout, history) = Checkout::modelled();
    a_crash_pages_the_platform_team_then_resolves(&checkout, &history);
}

/// The same incident with the lab's real nginx and `culprit watch` reading its log (against a binary
/// built elsewhere with `CULPRIT_BIN=path/to/culprit`).
#[test]
fn the_labs_checkout_crash_through_nginx_and_culprit_watch_pages_the_platform_team_and_resolves() {
    let (checkout, history) = Checkout::lab();
    a_crash_pages_the_platform_team_then_resolves(&checkout, &history);
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
