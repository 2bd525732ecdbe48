//! End-to-end truth tests: real nginx, HAProxy and Caddy on loopback in front of the lab's faulty
//! backends (crates/culprit-lab, configs in lab/). Each test drives the traffic plan through one
//! proxy, runs `culprit logs` on what the proxy really wrote, and holds every request's diagnosis
//! to the ground truth recorded by the driver and the backends.
//!
//! A proxy that is missing or cannot start fails the test: scripts/test installs them.

use std::path::Path;
use std::process::Command;

use culprit_lab::driver::Plan;
use culprit_lab::lab::{self, INCIDENT_SERVICE, LabRun};
use culprit_lab::proxy::ProxyKind;
use culprit_lab::score::{Score, parse_diagnoses};

fn culprit(args: &[&std::ffi::OsStr]) -> String {
    let out = Command::new(env!("CARGO_BIN_EXE_culprit")).args(args).output().expect("run culprit");
    assert!(out.status.success(), "culprit {args:?} failed: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout).expect("utf-8 output")
}

fn logs_args<'a>(run: &'a LabRun, error_log: Option<&'a Path>, mode: &'a str) -> Vec<&'a std::ffi::OsStr> {
    let mut args: Vec<&std::ffi::OsStr> = vec!["logs".as_ref(), mode.as_ref(), run.logs.access.as_os_str()];
    if let Some(e) = error_log {
        args.extend(["--error-log".as_ref(), e.as_os_str()]);
    }
    args
}

/// Per request: statuses, generated_by, cause and owner against the truth, at the thresholds.
fn check_requests(run: &LabRun, error_log: Option<&Path>) -> Score {
    let diagnoses = parse_diagnoses(&culprit(&logs_args(run, error_log, "--per-request"))).expect("per-request NDJSON");
    let score = Score::new(run, diagnoses);
    let summary = score.summary();
    println!("{} with error log {error_log:?}:\n{summary}", run.proxy.name());
    assert!(score.meets_thresholds(), "{} fell short of the truth:\n{summary}", run.proxy.name());
    assert!(score.strays.is_empty(), "log lines that match no request sent:\n{summary}");
    score
}

/// The top incident is the checkout crash: its service (or, where the log names no service, its
/// paths) and the cause, connection refused.
fn check_incident(run: &LabRun, error_log: Option<&Path>, service_in_log: bool) {
    let report: serde_json::Value =
        serde_json::from_str(&culprit(&logs_args(run, error_log, "--json"))).expect("report JSON");
    let top = &report["incidents"][0];
    assert!(!top.is_null(), "{}: no incident found in {report:#}", run.proxy.name());
    if service_in_log {
        assert_eq!(top["service"], INCIDENT_SERVICE, "{}: top incident {top:#}", run.proxy.name());
    } else {
        let path = top["paths"][0]["key"].as_str().unwrap_or_default();
        assert!(path.starts_with("/checkout/"), "{}: top incident's main path is {path}: {top:#}", run.proxy.name());
    }
    assert_eq!(top["causes"][0]["cause"], "upstream_connection_refused", "{}: {top:#}", run.proxy.name());
    assert!(
        top["baseline_rate"].as_f64().is_some(),
        "{}: the baseline phase should give a baseline: {top:#}",
        run.proxy.name()
    );
}

fn run_lab(kind: ProxyKind) -> (tempfile::TempDir, LabRun) {
    let dir = tempfile::tempdir().expect("temp dir");
    let run =
        lab::run(kind, &Plan::default(), dir.path()).unwrap_or_else(|e| panic!("lab run with {}: {e:#}", kind.name()));
    // The driver got an answer (or a deliberate non-answer) for every request.
    assert_eq!(run.observed.len(), run.requests.len());
    (dir, run)
}

#[test]
fn nginx_like_ingress_nginx() {
    let (_dir, run) = run_lab(ProxyKind::Nginx);
    let warn = run.logs.error.clone().expect("nginx error log");
    let info = run.logs.error_info.clone().expect("nginx info-level error log");
    let score = check_requests(&run, Some(&warn));
    // At warn, 499s carry no message; at info they do (client prematurely closed connection).
    check_requests(&run, Some(&info));
    // Without the error log, the same access log still gets every status right.
    let without = Score::new(&run, parse_diagnoses(&culprit(&logs_args(&run, None, "--per-request"))).unwrap());
    assert!(without.statuses() >= 1.0, "{}", without.summary());
    assert!(score.judged.len() > 1500);
    check_incident(&run, Some(&warn), true);
}

#[test]
fn haproxy_httplog() {
    let (_dir, run) = run_lab(ProxyKind::Haproxy);
    check_requests(&run, None);
    check_incident(&run, None, true);
}

#[test]
fn caddy_json_logs() {
    let (_dir, run) = run_lab(ProxyKind::Caddy);
    let error_log = run.logs.error.clone().expect("caddy log");
    check_requests(&run, Some(&error_log));
    check_incident(&run, Some(&error_log), false);
}
