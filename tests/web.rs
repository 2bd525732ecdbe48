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
