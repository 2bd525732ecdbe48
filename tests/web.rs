//! The web UI in a real browser: runs tests/web/browser.py (Playwright for Python driving Debian's
//! headless Chromium) against this build's binary. Playwright rather than a Rust WebDriver client:
//! waiting assertions (`expect(...).to_contain_text`) make the checks of a page that changes
//! after a click or an upload reliable without hand-written polling, it reports dialogs and console
//! errors as events (the `<script>` test needs both), and it adds no crate to the build. Missing
//! Python, Playwright or Chromium fails this test: scripts/test installs them.

use std::process::Command;

#[test]
fn browser_suite() {
    let root = env!("CARGO_MANIFEST_DIR");
    let out = Command::new("python3")
        .arg(format!("{root}/tests/web/browser.py"))
        .env("CULPRIT_BIN", env!("CARGO_BIN_EXE_culprit"))
        .current_dir(root)
        .output()
        .expect("python3 runs (scripts/test installs it with Playwright and Chromium)");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "the browser suite failed:\n{stderr}");
    eprintln!("{stderr}");
}

/// `logs --html`: one file, nothing loaded from elsewhere, its inline script and stylesheet allowed
/// by hash, the terminal's headline.
#[test]
fn html_report_is_one_self_contained_file() {
    let root = env!("CARGO_MANIFEST_DIR");
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("report.html");
    let run = Command::new(env!("CARGO_BIN_EXE_culprit"))
        .args(["logs", "examples/incident-502/ingress-nginx.log.gz", "--html"])
        .arg(&out)
        .current_dir(root)
        .output()
        .unwrap();
    assert!(run.status.success(), "{}", String::from_utf8_lossy(&run.stderr));
    let terminal = String::from_utf8_lossy(&run.stdout);
    assert!(terminal.contains("502s on default-checkout-8080 rose"), "the terminal report still prints");
    let html = std::fs::read_to_string(&out).unwrap();
    assert!(html.contains("502s on default-checkout-8080 rose from 0% to 15%"));
    for external in [" src=", "href=\"http", "href=\"/", "@import", "url("] {
        assert!(!html.contains(external), "{external} in the standalone report");
    }
    assert!(html.contains(&culprit_web::assets::csp_hash(culprit_web::assets::JS)));
    assert!(html.contains(&culprit_web::assets::csp_hash(culprit_web::assets::CSS)));
    assert!(html.len() < 200 << 10, "{} bytes", html.len());
}

/// `logs --html -`: the page on stdout in place of the terminal report (no file named `-`).
#[test]
fn html_report_to_stdout() {
    let root = env!("CARGO_MANIFEST_DIR");
    let dir = tempfile::tempdir().unwrap();
    let run = Command::new(env!("CARGO_BIN_EXE_culprit"))
        .args(["logs", &format!("{root}/examples/incident-502/ingress-nginx.log.gz"), "--html", "-"])
        .current_dir(dir.path())
        .output()
        .unwrap();
    assert!(run.status.success(), "{}", String::from_utf8_lossy(&run.stderr));
    let out = String::from_utf8_lossy(&run.stdout);
    assert!(out.starts_with("<!DOCTYPE html>") && out.contains("502s on default-checkout-8080 rose"));
    assert!(!out.contains("culprit logs — "), "no terminal report mixed in");
    assert!(!dir.path().join("-").exists());
    let both = Command::new(env!("CARGO_BIN_EXE_culprit"))
        .args(["logs", &format!("{root}/examples/incident-502/ingress-nginx.log.gz"), "--html", "-", "--json"])
        .output()
        .unwrap();
    assert!(!both.status.success());
    assert!(String::from_utf8_lossy(&both.stderr).contains("cannot share it with --json"));
}
