//! A deterministic generator of ingress-nginx `upstreaminfo` logs (and the matching error-log lines),
//! for culprit's shipped example incident and its benchmarks.
//!
//! The traffic: six services with three pods each, paths with ids and query strings, browser and
//! client-library user agents, a realistic status mix (404s, 401s, redirects, uploads rejected with
//! 413, client hang-ups, an occasional retried 502), and an incident: between 35% and 65% of the
//! time span, `default-checkout-8080`'s pod 10.244.1.5 crash-loops, and 502s (connection refused,
//! premature closes) rise from ~0.01% to ~15% of that service's requests.
//!
//! Randomness comes from SplitMix64 seeded explicitly: the same seed gives the same bytes on every
//! platform, which a benchmark and a committed example need (a general-purpose RNG crate does not
//! promise stable streams across versions).

use std::fmt::Write as _;
use std::io::{self, Write};

/// SplitMix64: tiny, fast, and stable forever.
#[derive(Debug, Clone)]
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Self {
        Rng(seed)
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in `0..n`.
    pub fn below(&mut self, n: u64) -> u64 {
        self.next_u64() % n.max(1)
    }

    /// Uniform in [0, 1).
    pub fn unit(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }

    /// An item chosen with probability proportional to its weight.
    pub fn weighted<'a, T>(&mut self, items: &'a [T], weight: impl Fn(&T) -> u64) -> &'a T {
        let mut w = self.below(items.iter().map(&weight).sum());
        for item in items {
            if w < weight(item) {
                return item;
            }
            w -= weight(item);
        }
        &items[0]
    }

    pub fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[usize::try_from(self.below(items.len() as u64)).unwrap_or(0)]
    }
}

/// What to generate.
#[derive(Debug, Clone)]
pub struct Config {
    pub lines: u64,
    pub seed: u64,
    /// Unix seconds of the first request.
    pub start: i64,
    /// Span of the traffic in seconds.
    pub span: i64,
    /// Interleave nginx error-log lines, as `kubectl logs` of the controller shows them.
    pub error_log: bool,
    /// Include the incident.
    pub incident: bool,
    /// The log format the same traffic is written in.
    pub format: Format,
}

/// The formats the generator writes: the same requests, statuses and failures in each proxy's own
/// words, so `scripts/bench` measures every parser on comparable traffic.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// ingress-nginx `upstreaminfo` (the shipped example), with nginx error-log lines.
    Upstreaminfo,
    /// nginx `combined`, with nginx error-log lines.
    Combined,
    /// HAProxy `option httplog`, as written to stdout (no syslog header).
    Haproxy,
    /// Istio 1.9+ / Envoy default text access log.
    Envoy,
    /// Caddy's JSON access log (`http.log.access`).
    CaddyJson,
    /// Traefik v2/v3 JSON access log.
    TraefikJson,
    /// AWS Application Load Balancer access log.
    AwsAlb,
    /// A JSON object with the usual key names (what the generic JSON reader takes).
    GenericJson,
}

impl Format {
    pub const ALL: [(&'static str, Format); 8] = [
        ("upstreaminfo", Format::Upstreaminfo),
        ("combined", Format::Combined),
        ("haproxy", Format::Haproxy),
        ("envoy", Format::Envoy),
        ("caddy-json", Format::CaddyJson),
        ("traefik-json", Format::TraefikJson),
        ("aws-alb", Format::AwsAlb),
        ("generic-json", Format::GenericJson),
    ];

    pub fn from_name(name: &str) -> Option<Format> {
        Format::ALL.iter().find(|(n, _)| *n == name).map(|(_, f)| *f)
    }

    /// nginx formats carry the error log; the others record failures in the access line itself.
    fn has_error_log(self) -> bool {
        matches!(self, Format::Upstreaminfo | Format::Combined)
    }
}

impl Default for Config {
    fn default() -> Self {
        // 2026-03-08T13:30:00Z for an hour.
        Config {
            lines: 20_000,
            seed: 7,
            start: 1_772_976_600,
            span: 3600,
            error_log: true,
            incident: true,
            format: Format::Upstreaminfo,
        }
    }
}

struct Service {
    name: &'static str,
    weight: u64,
    pods: [&'static str; 3],
    routes: &'static [Route],
}

struct Route {
    method: &'static str,
    path: &'static str,
    weight: u64,
}

const fn r(method: &'static str, path: &'static str, weight: u64) -> Route {
    Route { method, path, weight }
}

const SERVICES: &[Service] = &[
    Service {
        name: "default-catalog-8080",
        weight: 30,
        pods: ["10.244.2.11:8080", "10.244.3.12:8080", "10.244.1.13:8080"],
        routes: &[
            r("GET", "/api/products/{n}", 50),
            r("GET", "/api/products?category={w}&page={s}", 25),
            r("GET", "/api/search?q={w}", 20),
            r("POST", "/api/uploads", 5),
        ],
    },
    Service {
        name: "default-checkout-8080",
        weight: 25,
        pods: ["10.244.1.5:8080", "10.244.2.7:8080", "10.244.3.9:8080"],
        routes: &[
            r("GET", "/api/cart/{n}", 45),
            r("POST", "/api/checkout/{n}", 25),
            r("POST", "/api/checkout/{n}/confirm", 15),
            r("GET", "/api/orders/{u}", 15),
        ],
    },
    Service {
        name: "default-users-8080",
        weight: 15,
        pods: ["10.244.2.21:8080", "10.244.3.22:8080", "10.244.1.23:8080"],
        routes: &[r("GET", "/api/users/{n}", 50), r("GET", "/api/users/{n}/orders", 20), r("POST", "/login", 30)],
    },
    Service {
        name: "payments-api-8443",
        weight: 10,
        pods: ["10.244.4.31:8443", "10.244.5.32:8443", "10.244.6.33:8443"],
        routes: &[r("POST", "/v1/charges", 60), r("GET", "/v1/charges/{h}", 40)],
    },
    Service {
        name: "default-frontend-80",
        weight: 19,
        pods: ["10.244.2.41:80", "10.244.3.42:80", "10.244.1.43:80"],
        routes: &[r("GET", "/", 30), r("GET", "/static/js/app.{h}.js", 35), r("GET", "/images/{n}.png", 35)],
    },
    Service {
        name: "upstream-default-backend",
        weight: 1,
        pods: ["127.0.0.1:8181", "127.0.0.1:8181", "127.0.0.1:8181"],
        routes: &[r("GET", "/wp-login.php", 50), r("GET", "/.env", 50)],
    },
];

const AGENTS: &[&str] = &[
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36",
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4 Safari/605.1.15",
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4 Mobile/15E148 Safari/604.1",
    "Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0",
    "okhttp/4.12.0",
    "axios/1.7.9",
    "python-requests/2.32.3",
    "Go-http-client/2.0",
];
const WORDS: &[&str] = &["shoes", "laptop", "coffee", "garden", "kids", "books", "phones", "camping"];
const MONTHS: [&str; 12] = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];

/// `(y, m, d)` for days since the epoch.
fn civil(z: i64) -> (i64, usize, i64) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    (yoe + era * 400 + i64::from(m <= 2), usize::try_from(m).unwrap_or(1), d)
}

fn clf_time(secs: i64) -> String {
    let (y, m, d) = civil(secs.div_euclid(86_400));
    let s = secs.rem_euclid(86_400);
    format!("{d:02}/{}/{y}:{:02}:{:02}:{:02} +0000", MONTHS[m - 1], s / 3600, s % 3600 / 60, s % 60)
}

fn err_time(secs: i64) -> String {
    let (y, m, d) = civil(secs.div_euclid(86_400));
    let s = secs.rem_euclid(86_400);
    format!("{y}/{m:02}/{d:02} {:02}:{:02}:{:02}", s / 3600, s % 3600 / 60, s % 60)
}

fn expand(template: &str, rng: &mut Rng) -> String {
    let mut out = String::with_capacity(template.len() + 24);
    let mut rest = template;
    while let Some(i) = rest.find('{') {
        out.push_str(&rest[..i]);
        let end = rest[i..].find('}').map_or(rest.len(), |e| i + e);
        match &rest[i + 1..end] {
            "n" => {
                let _ = write!(out, "{}", 1000 + rng.below(90_000));
            }
            "s" => {
                let _ = write!(out, "{}", 1 + rng.below(20));
            }
            "w" => out.push_str(rng.pick::<&str>(WORDS)),
            "h" => {
                let _ = write!(out, "{:012x}", rng.next_u64() >> 16);
            }
            "u" => {
                let v = rng.next_u64();
                let w = rng.next_u64();
                let _ = write!(
                    out,
                    "{:08x}-{:04x}-4{:03x}-a{:03x}-{:012x}",
                    v >> 32,
                    (v >> 16) & 0xffff,
                    v & 0xfff,
                    w >> 52,
                    w & 0xffff_ffff_ffff
                );
            }
            other => out.push_str(other),
        }
        rest = &rest[(end + 1).min(rest.len())..];
    }
    out.push_str(rest);
    out
}

/// Write the log to `out`. Lines come in time order; error-log lines precede the access line of the
/// request they explain, as nginx writes them.
pub fn generate(cfg: &Config, out: &mut impl Write) -> io::Result<()> {
    let mut rng = Rng::new(cfg.seed);
    let incident = (cfg.start + cfg.span * 35 / 100, cfg.start + cfg.span * 65 / 100);
    let mut line = String::with_capacity(512);
    let mut conn: u64 = 1000;
    for i in 0..cfg.lines {
        line.clear();
        #[allow(clippy::cast_possible_wrap)]
        let t = cfg.start + (i as i64 * cfg.span) / cfg.lines.max(1) as i64;
        let svc = rng.weighted(SERVICES, |s| s.weight);
        let route = rng.weighted(svc.routes, |r| r.weight);
        let path = expand(route.path, &mut rng);
        let client = format!("{}.{}.{}.{}", 10 + rng.below(200), rng.below(256), rng.below(256), 1 + rng.below(254));
        let agent = rng.pick(AGENTS);
        let pod = *rng.pick(&svc.pods);
        let req_id = format!("{:016x}{:016x}", rng.next_u64(), rng.next_u64());
        let request_length = 200 + rng.below(1200);
        let service_time = 0.004 + rng.unit() * rng.unit() * 0.4;
        let roll = rng.unit();
        let in_incident = cfg.incident && svc.name == "default-checkout-8080" && (incident.0..incident.1).contains(&t);
        // (status, body bytes, upstream addr, upstream length, upstream time, upstream status, error-log message)
        let (status, bytes, up_addr, up_len, up_time, up_status, error): (
            u16,
            u64,
            String,
            String,
            String,
            String,
            Option<&str>,
        ) = if svc.name == "upstream-default-backend" {
            (404, 146, pod.into(), "146".into(), "0.001".into(), "404".into(), None)
        } else if in_incident && roll < 0.15 {
            let target = if rng.unit() < 0.82 { "10.244.1.5:8080" } else { pod };
            if rng.unit() < 0.7 {
                (
                    502,
                    150,
                    target.into(),
                    "0".into(),
                    "0.000".into(),
                    "502".into(),
                    Some("connect() failed (111: Connection refused) while connecting to upstream"),
                )
            } else {
                let tt = format!("{:.3}", 0.005 + rng.unit() * 0.05);
                (
                    502,
                    150,
                    target.into(),
                    "0".into(),
                    tt,
                    "502".into(),
                    Some("upstream prematurely closed connection while reading response header from upstream"),
                )
            }
        } else if roll < 0.0001 && svc.name != "default-frontend-80" {
            // A rare transport failure, retried on another pod.
            let other = svc.pods[(svc.pods.iter().position(|p| *p == pod).unwrap_or(0) + 1) % 3];
            let len = 200 + rng.below(3000);
            (
                200,
                len,
                format!("{pod}, {other}"),
                format!("0, {len}"),
                format!("0.000, {service_time:.3}"),
                "502, 200".into(),
                Some("connect() failed (111: Connection refused) while connecting to upstream"),
            )
        } else if roll < 0.0006 {
            (499, 0, pod.into(), "0".into(), format!("{:.3}", 2.0 + rng.unit() * 8.0), "-".into(), None)
        } else if roll < 0.0011 {
            (500, 74, pod.into(), "74".into(), format!("{service_time:.3}"), "500".into(), None)
        } else if roll < 0.004 && route.path == "/api/uploads" {
            (
                413,
                176,
                "-".into(),
                "-".into(),
                "-".into(),
                "-".into(),
                Some("client intended to send too large body: 5242880 bytes"),
            )
        } else if roll < 0.02 && svc.name == "default-catalog-8080" {
            (404, 52, pod.into(), "52".into(), format!("{service_time:.3}"), "404".into(), None)
        } else if roll < 0.02 && route.path == "/login" {
            (401, 38, pod.into(), "38".into(), format!("{service_time:.3}"), "401".into(), None)
        } else if roll < 0.025 && svc.name == "default-frontend-80" {
            (308, 164, "-".into(), "-".into(), "-".into(), "-".into(), None)
        } else {
            let len = 200 + rng.below(12_000);
            let code = if route.method == "POST" && route.path.starts_with("/v1/charges") { 201 } else { 200 };
            (code, len, pod.into(), len.to_string(), format!("{service_time:.3}"), code.to_string(), None)
        };
        let request_time = match status {
            499 => up_time.clone(),
            _ if up_time == "-" => "0.000".into(),
            _ => {
                format!("{:.3}", up_time.rsplit(", ").next().and_then(|v| v.parse::<f64>().ok()).unwrap_or(0.0) + 0.001)
            }
        };
        let request = format!("{} {} HTTP/1.1", route.method, path);
        if let (Some(msg), true) = (error, cfg.error_log && cfg.format.has_error_log()) {
            conn += 1;
            let peer = up_addr.split(", ").next().unwrap_or("-");
            let upstream = if peer == "-" { String::new() } else { format!(", upstream: \"http://{peer}{path}\"") };
            writeln!(
                out,
                "{} [error] 31#31: *{conn} {msg}, client: {client}, server: shop.example.com, request: \"{request}\"{upstream}, host: \"shop.example.com\"",
                err_time(t)
            )?;
        }
        if cfg.format == Format::Upstreaminfo {
            let _ = write!(
                line,
                "{client} - - [{}] \"{request}\" {status} {bytes} \"-\" \"{agent}\" {request_length} {request_time} [{}] [] {up_addr} {up_len} {up_time} {up_status} {req_id}",
                clf_time(t),
                svc.name,
            );
        } else {
            let failure = match error {
                Some(m) if m.starts_with("connect()") && status == 502 => Failure::Refused,
                Some(m) if m.starts_with("upstream prematurely") => Failure::ClosedEarly,
                _ if status == 499 => Failure::ClientLeft,
                _ if status == 413 => Failure::TooLarge,
                _ if up_addr == "-" => Failure::ProxyAnswer,
                _ => Failure::None,
            };
            let seconds: f64 = request_time.parse().unwrap_or(0.0);
            #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
            let millis = (seconds * 1000.0).round() as u64;
            let req = Request {
                t,
                millis: (i % 1000) as u32,
                client: &client,
                port: 1024 + rng.below(60_000),
                method: route.method,
                path: &path,
                status,
                bytes,
                agent,
                service: svc.name,
                upstream: up_addr.split(", ").last().unwrap_or("-"),
                seconds,
                duration_ms: millis,
                req_id: &req_id,
                failure,
            };
            render(cfg.format, &req, &mut line);
        }
        line.push('\n');
        out.write_all(line.as_bytes())?;
    }
    Ok(())
}

/// How a request failed, as every format can say it.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Failure {
    None,
    /// The upstream refused the connection (the proxy answers 502, or 503 in Envoy and HAProxy).
    Refused,
    /// The upstream closed the connection before answering.
    ClosedEarly,
    /// The client went away before the answer.
    ClientLeft,
    /// The proxy refused the body as too large.
    TooLarge,
    /// The proxy answered without an upstream (redirects).
    ProxyAnswer,
}

/// One request, format-neutral.
struct Request<'a> {
    t: i64,
    millis: u32,
    client: &'a str,
    port: u64,
    method: &'a str,
    path: &'a str,
    status: u16,
    bytes: u64,
    agent: &'a str,
    service: &'a str,
    upstream: &'a str,
    seconds: f64,
    duration_ms: u64,
    req_id: &'a str,
    failure: Failure,
}

/// An HTTP `Date` header value.
fn http_date(secs: i64) -> String {
    const DAYS: [&str; 7] = ["Thu", "Fri", "Sat", "Sun", "Mon", "Tue", "Wed"];
    let days = secs.div_euclid(86_400);
    let (y, m, d) = civil(days);
    let s = secs.rem_euclid(86_400);
    #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
    let weekday = DAYS[days.rem_euclid(7) as usize];
    format!("{weekday}, {d:02} {} {y} {:02}:{:02}:{:02} GMT", MONTHS[m - 1], s / 3600, s % 3600 / 60, s % 60)
}

fn iso_time(secs: i64, millis: u32) -> String {
    let (y, m, d) = civil(secs.div_euclid(86_400));
    let s = secs.rem_euclid(86_400);
    format!("{y}-{m:02}-{d:02}T{:02}:{:02}:{:02}.{millis:03}Z", s / 3600, s % 3600 / 60, s % 60)
}

/// The request in `format`'s own words (without the newline).
#[allow(clippy::too_many_lines)]
fn render(format: Format, r: &Request, line: &mut String) {
    let Request { client, method, path, status, bytes, agent, service, upstream, req_id, .. } = *r;
    let request = format!("{method} {path} HTTP/1.1");
    match format {
        Format::Upstreaminfo => unreachable!("written by generate"),
        Format::Combined => {
            let _ = write!(line, "{client} - - [{}] \"{request}\" {status} {bytes} \"-\" \"{agent}\"", clf_time(r.t));
        }
        Format::Haproxy => {
            let (d, _) = clf_time(r.t).split_once(' ').map(|(a, b)| (a.to_owned(), b.to_owned())).unwrap_or_default();
            let backend = format!("be_{}", service.replace('-', "_"));
            let (server, timers, status, state) = match r.failure {
                // HAProxy retries, then answers 503 with state SC-- (server refused).
                Failure::Refused => ("srv1".to_owned(), "0/0/-1/-1/3003".to_owned(), "503".to_owned(), "SC--"),
                Failure::ClosedEarly => {
                    ("srv1".to_owned(), format!("0/0/0/-1/{}", r.duration_ms), "502".to_owned(), "SH--")
                }
                Failure::ClientLeft => {
                    ("srv1".to_owned(), format!("0/0/0/-1/{}", r.duration_ms), "-1".to_owned(), "CD--")
                }
                Failure::TooLarge | Failure::ProxyAnswer => {
                    ("<NOSRV>".to_owned(), "0/-1/-1/-1/0".to_owned(), status.to_string(), "LR--")
                }
                Failure::None => {
                    ("srv1".to_owned(), format!("0/0/0/{0}/{0}", r.duration_ms), status.to_string(), "----")
                }
            };
            let _ = write!(
                line,
                "{client}:{} [{d}.{:03}] fe_http {backend}/{server} {timers} {status} {bytes} - - {state} 12/12/3/1/0 0/0 \"{request}\"",
                r.port, r.millis
            );
        }
        Format::Envoy => {
            let (code, flags, details, host) = match r.failure {
                Failure::Refused => {
                    ("503", "UF", "upstream_reset_before_response_started{connection_failure}", upstream)
                }
                Failure::ClosedEarly => {
                    ("503", "UC", "upstream_reset_before_response_started{connection_termination}", upstream)
                }
                Failure::ClientLeft => ("0", "DC", "downstream_remote_disconnect", upstream),
                Failure::TooLarge => ("413", "-", "request_payload_too_large", "-"),
                Failure::ProxyAnswer => ("", "-", "direct_response", "-"),
                Failure::None => ("", "-", "via_upstream", upstream),
            };
            let code = if code.is_empty() { status.to_string() } else { code.to_owned() };
            let svc_short = service.rsplit_once('-').map_or(service, |(a, _)| a);
            let _ = write!(
                line,
                "[{}] \"{request}\" {code} {flags} {details} - \"-\" 0 {bytes} {} {} \"-\" \"{agent}\" \"{req_id}\" \"shop.example.com\" \"{host}\" outbound|8080||{svc_short}.default.svc.cluster.local 10.244.9.9:{} 10.96.0.10:8080 {client}:{} - default",
                iso_time(r.t, r.millis),
                r.duration_ms,
                r.duration_ms.saturating_sub(1),
                r.port,
                r.port
            );
        }
        Format::CaddyJson => {
            let level = if status >= 500 { "error" } else { "info" };
            let status = if r.failure == Failure::ClientLeft { 0 } else { status };
            // Caddy passes the upstream's headers through: an answer from the app has its Date.
            let date =
                if r.failure == Failure::None { format!(r#","Date":["{}"]"#, http_date(r.t)) } else { String::new() };
            let _ = write!(
                line,
                r#"{{"level":"{level}","ts":{}.{:03}1153,"logger":"http.log.access.log0","msg":"handled request","request":{{"remote_ip":"{client}","remote_port":"{}","proto":"HTTP/1.1","method":"{method}","host":"shop.example.com","uri":"{}","headers":{{"User-Agent":["{agent}"],"Accept":["*/*"]}}}},"user_id":"","duration":{:.6},"size":{bytes},"status":{status},"resp_headers":{{"Server":["Caddy"],"Content-Type":["application/json"]{date}}}}}"#,
                r.t,
                r.millis,
                r.port,
                path.replace('"', "\\\""),
                r.seconds
            );
        }
        Format::TraefikJson => {
            let origin = match r.failure {
                Failure::Refused
                | Failure::ClosedEarly
                | Failure::ClientLeft
                | Failure::TooLarge
                | Failure::ProxyAnswer => 0,
                Failure::None => status,
            };
            let svc = format!("{service}@kubernetes");
            let _ = write!(
                line,
                r#"{{"ClientAddr":"{client}:{}","ClientHost":"{client}","ClientPort":"{}","ClientUsername":"-","DownstreamContentSize":{bytes},"DownstreamStatus":{status},"Duration":{},"OriginContentSize":{bytes},"OriginDuration":{},"OriginStatus":{origin},"Overhead":41000,"RequestAddr":"shop.example.com","RequestContentSize":0,"RequestCount":{},"RequestHost":"shop.example.com","RequestMethod":"{method}","RequestPath":"{path}","RequestPort":"-","RequestProtocol":"HTTP/1.1","RequestScheme":"https","RetryAttempts":0,"RouterName":"websecure-shop@kubernetes","ServiceAddr":"{upstream}","ServiceName":"{svc}","ServiceURL":"http://{upstream}","StartLocal":"{}","StartUTC":"{}","entryPointName":"websecure","level":"info","msg":"","time":"{}"}}"#,
                r.port,
                r.port,
                r.duration_ms * 1_000_000 + 41_000,
                r.duration_ms * 1_000_000,
                r.port,
                iso_time(r.t, r.millis),
                iso_time(r.t, r.millis),
                iso_time(r.t, 0).replace(".000Z", "Z"),
            );
        }
        Format::AwsAlb => {
            let (target, times, target_status) = match r.failure {
                Failure::Refused => (upstream.to_owned(), "-1 -1 -1".to_owned(), "-".to_owned()),
                Failure::ClosedEarly | Failure::ClientLeft => {
                    (upstream.to_owned(), format!("0.000 {:.3} -1", r.seconds), "-".to_owned())
                }
                Failure::TooLarge | Failure::ProxyAnswer => ("-".to_owned(), "-1 -1 -1".to_owned(), "-".to_owned()),
                Failure::None => (upstream.to_owned(), format!("0.000 {:.3} 0.000", r.seconds), status.to_string()),
            };
            let status = if r.failure == Failure::ClientLeft { 460 } else { status };
            let _ = write!(
                line,
                "https {} app/k8s-shop-ingress/50dc6c495c0c9188 {client}:{} {target} {times} {status} {target_status} 412 {bytes} \"{method} https://shop.example.com:443{path} HTTP/1.1\" \"{agent}\" ECDHE-RSA-AES128-GCM-SHA256 TLSv1.2 arn:aws:elasticloadbalancing:eu-west-1:123456789012:targetgroup/k8s-{service}/73e2d6bc24d8a067 \"Root=1-58337262-{}\" \"shop.example.com\" \"arn:aws:acm:eu-west-1:123456789012:certificate/12345678-1234-1234-1234-123456789012\" 0 {} \"forward\" \"-\" \"-\" \"{target}\" \"{target_status}\" \"-\" \"-\"",
                iso_time(r.t, r.millis).replace('Z', "641Z"),
                r.port,
                &req_id[..24],
                iso_time(r.t, r.millis).replace('Z', "000Z"),
            );
        }
        Format::GenericJson => {
            let upstream_status = match r.failure {
                Failure::None => status.to_string(),
                _ => "\"-\"".to_owned(),
            };
            let _ = write!(
                line,
                r#"{{"time":"{}","remote_addr":"{client}","method":"{method}","uri":"{path}","status":{status},"body_bytes_sent":{bytes},"request_time":{:.3},"upstream_addr":"{upstream}","upstream_status":{upstream_status},"service":"{service}","user_agent":"{agent}","request_id":"{req_id}"}}"#,
                iso_time(r.t, r.millis),
                r.seconds
            );
        }
    }
}
