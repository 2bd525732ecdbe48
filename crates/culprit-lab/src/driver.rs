//! The traffic driver: a deterministic plan of requests in three phases (baseline, incident,
//! recovery), sent by a few threads at their planned times over raw TCP — raw, because hanging up
//! mid-request and sending a broken request line are part of the plan.

use std::fmt::Write as _;
use std::io::{self, Read, Write};
use std::net::{Shutdown, SocketAddr, TcpStream};
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::thread;
use std::time::{Duration, Instant};

use culprit_gen::Rng;

use crate::scenario::{Observed, Scenario};

/// How long the client waits for a whole answer.
const CLIENT_TIMEOUT: Duration = Duration::from_secs(5);
/// When the hang-up scenario's client gives up (the backend answers after 900 ms).
const HANG_UP_AFTER: Duration = Duration::from_millis(250);
/// The most of an answer the client keeps.
const MAX_RESPONSE: usize = 1 << 20;

/// The three phases of a run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Phase {
    Baseline,
    Incident,
    Recovery,
}

/// One planned request.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Planned {
    pub id: String,
    pub scenario: Scenario,
    pub phase: Phase,
    /// When to send it, from the start of the run.
    #[serde(skip)]
    pub at: Duration,
    pub method: &'static str,
    pub path: String,
}

/// The shape of a run: how long each phase lasts and how many requests per second.
#[derive(Debug, Clone, Copy)]
pub struct Plan {
    pub baseline: Duration,
    pub incident: Duration,
    pub recovery: Duration,
    pub rate_per_sec: u32,
    pub seed: u64,
}

impl Default for Plan {
    fn default() -> Self {
        Plan {
            baseline: Duration::from_secs(8),
            incident: Duration::from_secs(6),
            recovery: Duration::from_secs(6),
            rate_per_sec: 80,
            seed: 7,
        }
    }
}

impl Plan {
    pub fn total(&self) -> Duration {
        self.baseline + self.incident + self.recovery
    }

    pub fn phase_at(&self, at: Duration) -> Phase {
        if at < self.baseline {
            Phase::Baseline
        } else if at < self.baseline + self.incident {
            Phase::Incident
        } else {
            Phase::Recovery
        }
    }

    /// Every request of the run, in time order. `tag` starts the request ids so runs of different
    /// proxies never share one.
    pub fn requests(&self, tag: u32) -> Vec<Planned> {
        let mut rng = Rng::new(self.seed);
        let mix = Scenario::mix();
        let count = u64::from(self.rate_per_sec) * u64::try_from(self.total().as_millis()).unwrap_or(u64::MAX) / 1000;
        let step = self.total().as_secs_f64() / count as f64;
        (0..count)
            .map(|i| {
                let at = Duration::from_secs_f64(step * i as f64);
                let scenario = rng.weighted(&mix, |(_, w)| *w).0;
                // 32 hex digits, like ingress-nginx's $req_id.
                let id = format!("{tag:08x}{:024x}", u128::from(rng.next_u64()) * 1_000_003 + u128::from(i));
                let (method, path) = scenario.target(rng.below(5000), &id);
                Planned { id, scenario, phase: self.phase_at(at), at, method, path }
            })
            .collect()
    }
}

/// Sends `plan` to `addr` with `threads` workers; `on_phase` runs once at the start of each phase
/// after the first (to crash and recover a backend). Returns what the client saw, by plan index.
pub fn drive(
    addr: SocketAddr,
    plan: &Plan,
    requests: &[Planned],
    threads: usize,
    on_phase: &(dyn Fn(Phase) + Sync),
) -> Vec<Observed> {
    let start = Instant::now();
    let next = AtomicUsize::new(0);
    let observed: Mutex<Vec<Observed>> = Mutex::new(vec![Observed::default(); requests.len()]);
    thread::scope(|scope| {
        // The phase switcher.
        scope.spawn(|| {
            for (phase, at) in [(Phase::Incident, plan.baseline), (Phase::Recovery, plan.baseline + plan.incident)] {
                if let Some(wait) = at.checked_sub(start.elapsed()) {
                    thread::sleep(wait);
                }
                on_phase(phase);
            }
        });
        for _ in 0..threads.max(1) {
            scope.spawn(|| {
                loop {
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    let Some(request) = requests.get(i) else { break };
                    if let Some(wait) = request.at.checked_sub(start.elapsed()) {
                        thread::sleep(wait);
                    }
                    let late = start.elapsed().saturating_sub(request.at);
                    let mut seen = send(addr, request);
                    seen.late_ms = u64::try_from(late.as_millis()).unwrap_or(u64::MAX);
                    observed.lock().expect("observed lock")[i] = seen;
                }
            });
        }
    });
    observed.into_inner().expect("observed lock")
}

/// Sends one request and reads the whole answer (the connection is closed after each).
pub fn send(addr: SocketAddr, request: &Planned) -> Observed {
    match exchange(addr, request) {
        Ok(observed) => observed,
        Err(e) => Observed { error: Some(e.to_string()), ..Observed::default() },
    }
}

fn exchange(addr: SocketAddr, request: &Planned) -> io::Result<Observed> {
    let mut stream = TcpStream::connect_timeout(&addr, Duration::from_secs(2))?;
    stream.set_read_timeout(Some(CLIENT_TIMEOUT))?;
    stream.set_write_timeout(Some(CLIENT_TIMEOUT))?;
    let body_len = request.scenario.body_len();
    let mut head = format!(
        "{} {} HTTP/1.1\r\nHost: shop.lab.test\r\nX-Request-ID: {}\r\nUser-Agent: culprit-lab/1\r\n",
        request.method, request.path, request.id
    );
    if request.scenario == Scenario::HugeHeader {
        let _ = write!(head, "Cookie: session={}\r\n", "c".repeat(20 * 1024));
    }
    if body_len > 0 {
        let kind = if body_len > 1024 { "application/octet-stream" } else { "application/json" };
        let _ = write!(head, "Content-Type: {kind}\r\nContent-Length: {body_len}\r\n");
    }
    head.push_str("Connection: close\r\n\r\n");
    stream.write_all(head.as_bytes())?;

    if request.scenario == Scenario::HangUp {
        thread::sleep(HANG_UP_AFTER);
        stream.shutdown(Shutdown::Both)?;
        return Ok(Observed { error: Some("client hung up".into()), ..Observed::default() });
    }

    let mut response = Vec::new();
    let read_result = thread::scope(|scope| {
        if body_len > 0 {
            // Write the body while reading: a proxy may refuse after the headers and close.
            let mut writer = stream.try_clone()?;
            scope.spawn(move || {
                let chunk = vec![b'b'; 64 * 1024];
                let mut left = body_len;
                while left > 0 {
                    let n = left.min(chunk.len());
                    if writer.write_all(&chunk[..n]).is_err() {
                        break;
                    }
                    left -= n;
                }
            });
        }
        (&stream).take(MAX_RESPONSE as u64).read_to_end(&mut response)
    });
    let error = read_result.err().map(|e| e.to_string());
    Ok(parse_response(&response, error))
}

/// What the client can tell from the bytes it got.
fn parse_response(bytes: &[u8], error: Option<String>) -> Observed {
    let mut headers = [httparse::EMPTY_HEADER; 64];
    let mut parsed = httparse::Response::new(&mut headers);
    match parsed.parse(bytes) {
        Ok(httparse::Status::Complete(head_len)) => {
            let body_bytes = bytes.len() - head_len;
            let declared = parsed
                .headers
                .iter()
                .find(|h| h.name.eq_ignore_ascii_case("content-length"))
                .and_then(|h| std::str::from_utf8(h.value).ok()?.trim().parse::<usize>().ok());
            Observed {
                status: parsed.code,
                body_bytes,
                truncated: declared.is_some_and(|d| body_bytes < d),
                error,
                late_ms: 0,
            }
        }
        _ => Observed {
            status: None,
            body_bytes: bytes.len(),
            error: Some(error.unwrap_or_else(|| format!("no HTTP response ({} bytes)", bytes.len()))),
            ..Observed::default()
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plan_is_deterministic_and_covers_every_scenario() {
        let plan = Plan::default();
        let a = plan.requests(1);
        let b = plan.requests(1);
        assert_eq!(a.len(), 1600);
        assert!(a.iter().zip(&b).all(|(x, y)| x.id == y.id && x.scenario == y.scenario));
        for (scenario, _) in Scenario::mix() {
            assert!(a.iter().any(|r| r.scenario == scenario), "{scenario:?} never planned");
        }
        let ids: std::collections::HashSet<_> = a.iter().map(|r| &r.id).collect();
        assert_eq!(ids.len(), a.len(), "request ids are unique");
        assert!(a.iter().all(|r| r.id.len() == 32));
    }

    #[test]
    fn truncated_bodies_and_non_http_answers_are_told_apart() {
        let ok = parse_response(b"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n12345", None);
        assert_eq!((ok.status, ok.truncated, ok.body_bytes), (Some(200), true, 5));
        let garbage = parse_response(b"SSH-2.0-OpenSSH_9.2p1\r\n", None);
        assert_eq!(garbage.status, None);
    }
}
