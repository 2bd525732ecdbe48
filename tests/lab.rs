//! End-to-end truth tests: real nginx, HAProxy, Caddy, Apache httpd and Varnish on loopback in front of the lab's faulty
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

fn culprit(args: &[std::ffi::OsString]) -> String {
    let out = Command::new(env!("CARGO_BIN_EXE_culprit")).args(args).output().expect("run culprit");
    assert!(out.status.success(), "culprit {args:?} failed: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout).expect("utf-8 output")
}

fn logs_args(run: &LabRun, error_log: Option<&Path>, mode: &str) -> Vec<std::ffi::OsString> {
    let mut args: Vec<std::ffi::OsString> = vec!["logs".into(), mode.into(), run.logs.access.clone().into()];
    if let Some(e) = error_log {
        args.extend(["--error-log".into(), e.into()]);
    }
    args.extend(run.proxy.culprit_format_args().into_iter().map(Into::into));
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

#[test]
fn apache_mod_proxy() {
    let (_dir, run) = run_lab(ProxyKind::Apache);
    let error_log = run.logs.error.clone().expect("apache error log");
    check_requests(&run, Some(&error_log));
    check_incident(&run, Some(&error_log), true);
}

#[test]
fn varnish_in_front_of_nginx() {
    let (_dir, run) = run_lab(ProxyKind::Varnish);
    // Varnish's log, from Varnish's side: what nginx answered came from its upstream.
    let score = check_requests(&run, None);
    let report: serde_json::Value =
        serde_json::from_str(&culprit(&logs_args(&run, None, "--json"))).expect("report JSON");
    // The checkout crash is an incident of 502s nginx sent (Varnish's log names no service: the
    // rate-limited API's 503s, also nginx's, may rank first in the same incident).
    let incidents = report["incidents"].as_array().cloned().unwrap_or_default();
    let crash = incidents.iter().flat_map(|i| i["causes"].as_array().cloned().unwrap_or_default()).find(|c| {
        c["status"] == 502 && c["cause"] == "app_bad_gateway" && c["errors"].as_u64().is_some_and(|n| n >= 100)
    });
    assert!(crash.is_some(), "varnish: no incident of the checkout 502s: {incidents:#?}");
    // The same requests in the nginx behind it: nginx made those 502s, because the checkout pod
    // refused — one request, two layers, each log read for its own.
    let (access, error) = run.logs.inner.clone().expect("the nginx behind Varnish");
    let inner = parse_diagnoses(&culprit(&[
        "logs".into(),
        "--per-request".into(),
        access.into(),
        "--error-log".into(),
        error.into(),
    ]))
    .expect("per-request NDJSON");
    let by_id: std::collections::HashMap<&str, &culprit_lab::score::Diagnosis> =
        inner.iter().filter_map(|d| Some((d.request_id.as_deref()?, d))).collect();
    let passed: Vec<_> = score
        .judged
        .iter()
        .filter_map(|j| j.got.as_ref())
        .filter(|g| g.generated_by == "upstream" && g.status >= 500)
        .collect();
    let followed = passed
        .iter()
        .filter(|g| by_id.get(g.request_id.as_deref().unwrap_or("")).is_some_and(|n| n.status == g.status))
        .count();
    assert!(
        passed.len() > 100 && followed == passed.len(),
        "{followed} of {} passed-through 5xx found in nginx's log",
        passed.len()
    );
    let checkout: Vec<_> =
        passed.iter().filter(|g| g.path.as_deref().is_some_and(|p| p.starts_with("/checkout/"))).collect();
    let refused = checkout
        .iter()
        .filter(|g| by_id[g.request_id.as_deref().unwrap_or("")].cause == "upstream_connection_refused")
        .count();
    assert!(
        !checkout.is_empty() && refused == checkout.len(),
        "{refused} of {} checkout 502s refused at nginx",
        checkout.len()
    );
}
