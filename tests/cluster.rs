//! `culprit cluster` through the binary: exit codes, the JSON contracts, and bad dumps.

use std::process::Command;

fn culprit(args: &[&str]) -> (String, String, i32) {
    let out =
        Command::new(env!("CARGO_BIN_EXE_culprit")).args(args).env_remove("COLUMNS").output().expect("run culprit");
    (
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
        out.status.code().unwrap_or(-1),
    )
}

const SCENARIOS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/crates/culprit-cluster/tests/scenarios");

#[test]
fn route_json_and_exit_codes() {
    let dir = format!("{SCENARIOS}/no-ready-endpoints");
    let (out, _, code) =
        culprit(&["cluster", "route", "https://shop.example.com/api/cart/42", "--from", &dir, "--json"]);
    assert_eq!(code, 1, "a broken route exits 1");
    let r: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(r["schema"], "culprit.cluster.route/1");
    assert_eq!(r["findings"][0]["cause"], "no_ready_endpoints");
    assert_eq!(r["findings"][0]["codes"][0], 503);
    assert_eq!(r["links"][2]["step"], "endpoints");
    assert_eq!(r["links"][2]["ok"], false);
    let healthy = format!("{SCENARIOS}/healthy");
    let (_, _, code) = culprit(&["cluster", "route", "https://shop.example.com/api/cart/42", "--from", &healthy]);
    assert_eq!(code, 0);
}

#[test]
fn check_fail_on_levels() {
    let dir = format!("{SCENARIOS}/fragile-rollouts");
    let (out, _, code) = culprit(&["cluster", "check", "--from", &dir, "--json"]);
    assert_eq!(code, 0, "warnings only, --fail-on error");
    let r: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(r["schema"], "culprit.cluster.check/1");
    assert_eq!(r["findings"].as_array().unwrap().len(), 2);
    let (_, _, code) = culprit(&["cluster", "check", "--from", &dir, "--fail-on", "warning"]);
    assert_eq!(code, 1);
    let (md, _, _) = culprit(&["cluster", "check", "--from", &dir, "--markdown"]);
    assert!(md.contains("```yaml"), "{md}");
    let (_, _, code) = culprit(&["cluster", "check", "--from", &dir, "-n", "elsewhere", "--fail-on", "info"]);
    assert_eq!(code, 0, "nothing in another namespace");
}

#[test]
fn bad_dumps_are_named_and_skipped() {
    let tmp = tempfile::tempdir().unwrap();
    std::fs::copy(format!("{SCENARIOS}/crash-loop/pods.json"), tmp.path().join("pods.json")).unwrap();
    std::fs::copy(format!("{SCENARIOS}/crash-loop/services.json"), tmp.path().join("services.json")).unwrap();
    std::fs::write(
        tmp.path().join("broken.json"),
        "{\"kind\": \"Service\", \"metadata\": {\"name\": \"x\"}, \"spec\": {\"ports\": 7}}",
    )
    .unwrap();
    std::fs::write(tmp.path().join("truncated.json"), "{\"apiVersion\": \"v1\", \"kind\": \"List\", \"items\": [")
        .unwrap();
    let dir = tmp.path().to_str().unwrap();
    let (out, err, code) = culprit(&["cluster", "check", "--from", dir, "--json"]);
    assert!(err.contains("broken.json: Service x skipped"), "{err}");
    assert!(err.contains("truncated.json: document 1 is not valid JSON"), "{err}");
    assert_eq!(code, 1, "the crash loop is still found: {out}");
    let r: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(r["source"]["problems"].as_array().unwrap().len(), 2);
    let empty = tempfile::tempdir().unwrap();
    let (_, err, code) = culprit(&["cluster", "check", "--from", empty.path().to_str().unwrap()]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("no .json or .yaml files"), "{err}");
}

#[test]
fn live_mode_names_the_kubeconfig_problem() {
    let (_, err, code) = culprit(&["cluster", "check", "--kubeconfig", "/nonexistent/kubeconfig"]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("no kubeconfig at /nonexistent/kubeconfig"), "{err}");
    // Without --kubeconfig or $KUBECONFIG: the default path, said once (not quoted twice), and the
    // way to read a dump instead.
    let home = tempfile::tempdir().unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_culprit"))
        .args(["cluster", "check"])
        .env("HOME", home.path())
        .env_remove("KUBECONFIG")
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    let default = home.path().join(".kube/config");
    assert!(err.contains(&format!("no kubeconfig at {} (the default)", default.display())), "{err}");
    assert!(!err.contains("'\""), "the path quoted twice: {err}");
    assert!(err.contains("--from"), "{err}");
    for line in culprit_cluster::DUMP_COMMAND.lines() {
        assert!(err.contains(line), "the command to make a dump: {err}");
    }
}

#[test]
fn a_dump_without_ingress_or_httproute_says_so() {
    let tmp = tempfile::tempdir().unwrap();
    for file in ["pods.json", "services.json", "endpointslices.json"] {
        std::fs::copy(format!("{SCENARIOS}/crash-loop/{file}"), tmp.path().join(file)).unwrap();
    }
    let dir = tmp.path().to_str().unwrap();
    let (out, err, code) = culprit(&["cluster", "route", "https://shop.example.com/api/cart/42", "--from", dir]);
    assert_eq!(code, 2, "no verdict without routes: {out}{err}");
    assert!(!out.contains("clients get 404") && !err.contains("clients get 404"), "{out}{err}");
    assert!(err.contains("has no Ingress or HTTPRoute"), "{err}");
    assert!(
        err.contains("6 Pods") && err.contains("2 Services") && err.contains("2 EndpointSlices"),
        "the kinds read: {err}"
    );
}
