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
    /// The service whose pods crash during the incident phase, as the proxy names it.
    pub incident_service: &'static str,
}

/// The service the incident hits.
pub const INCIDENT_SERVICE: &str = "lab-checkout-8080";
/// Driver threads: enough that requests stuck in slow answers or in HAProxy's 1 s retry delay never
/// hold up the plan (the plan's phases are wall-clock times).
const DRIVER_THREADS: usize = 48;

/// Runs the lab once for `kind`, with every file in `dir`.
pub fn run(kind: ProxyKind, plan: &Plan, dir: &Path) -> anyhow::Result<LabRun> {
    let records = Records::default();
    let backend = |name: &str| Backend::start(name, &records).with_context(|| format!("starting backend {name}"));
    let shop = backend("shop")?;
    let checkout = Mutex::new(backend("checkout")?);
    let cart = backend("cart")?;
    let reports = backend("reports")?;
    let legacy = backend("legacy")?;
    let api = backend("api")?;
    let default_backend = Backend::start_fixed("default-backend", &records, Some(Behaviour::Status(404)))?;

    let mut vars: BTreeMap<&str, String> = BTreeMap::new();
    for (name, b) in [
        ("SHOP", &shop),
        ("CART", &cart),
        ("REPORTS", &reports),
        ("LEGACY", &legacy),
        ("API", &api),
        ("DEFAULT", &default_backend),
    ] {
        vars.insert(name, b.addr().port().to_string());
    }
    vars.insert("CHECKOUT", checkout.lock().expect("lock").addr().port().to_string());
    // Ports nothing listens on: pods that are gone, a targetPort nobody serves.
    for name in ["DEAD1", "DEAD2", "DEAD3", "DEAD4"] {
        vars.insert(name, free_port()?.to_string());
    }

    let mut proxy = Proxy::start(kind, dir, &vars)?;
    let tag = match kind {
        ProxyKind::Nginx => 1,
        ProxyKind::Haproxy => 2,
        ProxyKind::Caddy => 3,
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
    Ok(LabRun {
        proxy: kind,
        logs: proxy.logs().clone(),
        requests,
        observed,
        records,
        expected,
        incident_service: INCIDENT_SERVICE,
    })
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
