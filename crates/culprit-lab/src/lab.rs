//! One lab run: backends and a proxy up, the traffic plan driven through it, everything stopped, and
//! the expected diagnosis of every request worked out from what the client and backends saw.

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Mutex;
use std::thread;
use std::time::Duration;

use anyhow::Context;

use crate::backend::{Backend, Behaviour, Records};
use crate::driver::{self, Phase, Plan, Planned};
use crate::proxy::{Proxy, ProxyKind, ProxyLogs, free_port};
use crate::scenario::{Expected, Observed, expect};

/// Everything a run leaves behind for the checks.
#[derive(Debug)]
pub struct LabRun {
    pub proxy: ProxyKind,
    pub logs: ProxyLogs,
    pub requests: Vec<Planned>,
    pub observed: Vec<Observed>,
    pub records: Records,
    /// The expected diagnosis per request (same order as `requests`); `None` where the outcome is
    /// not a fact of the setup.
    pub expected: Vec<Option<Expected>>,
}

/// The service the incident hits.
pub const INCIDENT_SERVICE: &str = "lab-checkout-8080";
/// Driver threads: enough that requests stuck in slow answers or in HAProxy's 1 s retry delay never
/// hold up the plan (the plan's phases are wall-clock times).
const DRIVER_THREADS: usize = 48;

/// The backends and one proxy in front of them, running. Dropping it stops everything.
#[derive(Debug)]
pub struct Lab {
    pub records: Records,
    pub proxy: Proxy,
    /// The backends by name (`shop`, `cart`, `reports`, `legacy`, `api`, `default-backend`).
    pub backends: Vec<Backend>,
    /// The backend the incident crashes.
    pub checkout: Mutex<Backend>,
}

impl Lab {
    /// Starts the backends and `kind` in front of them, with every file in `dir`.
    pub fn start(kind: ProxyKind, dir: &Path) -> anyhow::Result<Lab> {
        let records = Records::default();
        let backend = |name: &str| Backend::start(name, &records).with_context(|| format!("starting backend {name}"));
        let mut backends = Vec::new();
        for name in ["shop", "cart", "reports", "legacy", "api"] {
            backends.push(backend(name)?);
        }
        backends.push(Backend::start_fixed("default-backend", &records, Some(Behaviour::Status(404)))?);
        let checkout = backend("checkout")?;
        let mut vars: BTreeMap<&str, String> = BTreeMap::new();
        for (var, b) in ["SHOP", "CART", "REPORTS", "LEGACY", "API", "DEFAULT"].into_iter().zip(&backends) {
            vars.insert(var, b.addr().port().to_string());
        }
        vars.insert("CHECKOUT", checkout.addr().port().to_string());
        // Ports nothing listens on: pods that are gone, a targetPort nobody serves.
        for name in ["DEAD1", "DEAD2", "DEAD3", "DEAD4"] {
            vars.insert(name, free_port()?.to_string());
        }
        let proxy = Proxy::start(kind, dir, &vars)?;
        Ok(Lab { records, proxy, backends, checkout: Mutex::new(checkout) })
    }

    /// A backend by name.
    pub fn backend(&self, name: &str) -> Option<&Backend> {
        self.backends.iter().find(|b| b.name() == name)
    }
}

/// Runs the lab once for `kind`, with every file in `dir`.
pub fn run(kind: ProxyKind, plan: &Plan, dir: &Path) -> anyhow::Result<LabRun> {
    let lab = Lab::start(kind, dir)?;
    // The backends must outlive the traffic: keep them bound to the end of the run.
    let Lab { records, checkout, mut proxy, backends: _backends } = lab;
    let tag = match kind {
        ProxyKind::Nginx => 1,
        ProxyKind::Haproxy => 2,
        ProxyKind::Caddy => 3,
        ProxyKind::Apache => 4,
        ProxyKind::Varnish => 5,
    };
    let requests = plan.requests(tag);
    let on_phase = |phase: Phase| {
        let mut checkout = checkout.lock().expect("lock");
        match phase {
            Phase::Incident => checkout.crash(),
            Phase::Recovery => {
                if let Err(e) = checkout.recover() {
                    eprintln!("lab: checkout backend could not listen again: {e}");
                }
            }
            Phase::Baseline => {}
        }
    };
    let observed = driver::drive(proxy.addr(), plan, &requests, DRIVER_THREADS, &on_phase);
    // Hung-up requests are logged when the proxy gives up on them; let every in-flight one finish.
    thread::sleep(Duration::from_millis(1200));
    proxy.stop();

    let expected: Vec<Option<Expected>> =
        requests.iter().zip(&observed).map(|(r, o)| expect(kind, r.scenario, o, records.get(&r.id).as_ref())).collect();
    write_truth(&dir.join("truth.ndjson"), &requests, &observed, &records, &expected)?;
    Ok(LabRun { proxy: kind, logs: proxy.logs().clone(), requests, observed, records, expected })
}

/// One JSON object per request: what was sent, what the client saw, what the backend did, and the
/// diagnosis culprit must give — for people reading a kept lab directory.
fn write_truth(
    path: &Path,
    requests: &[Planned],
    observed: &[Observed],
    records: &Records,
    expected: &[Option<Expected>],
) -> anyhow::Result<()> {
    use std::io::Write;
    let mut out = std::io::BufWriter::new(std::fs::File::create(path)?);
    for ((request, observed), expected) in requests.iter().zip(observed).zip(expected) {
        let line = serde_json::json!({
            "request": request,
            "observed": observed,
            "backend": records.get(&request.id),
            "expected": expected,
        });
        writeln!(out, "{line}")?;
    }
    out.flush()?;
    Ok(())
}
