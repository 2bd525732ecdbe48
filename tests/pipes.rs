//! A closed stdout (`culprit … | head -1`) ends quietly with exit 0 in every output mode of every
//! command. Rust ignores SIGPIPE, so every write returns EPIPE instead of ending the process; each
//! write path must take that as the reader having had enough, not as a failure.
//!
//! Two shapes per command: the reader closes the pipe before culprit writes anything (every write
//! fails, whatever the output's size), and the reader takes one line and closes (as `head -1`),
//! for outputs bigger than a pipe's buffer, so culprit is still writing when it happens.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;
use std::process::{Command, Stdio};

const EXAMPLE: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/examples/incident-502/ingress-nginx.log.gz");
const SCENARIOS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/crates/culprit-cluster/tests/scenarios");

/// Bigger than a Linux pipe's default buffer (64 KiB).
const PIPE_BUFFER: usize = 64 << 10;

/// Runs culprit with stdout on a pipe that is closed after `lines` lines (0: at once); returns
/// the exit code, stderr, and how many bytes the reader saw.
fn closed_after(args: &[&str], lines: usize) -> (i32, String, usize) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_culprit"))
        .args(args)
        .env_remove("COLUMNS")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run culprit");
    let mut stdout = BufReader::new(child.stdout.take().expect("stdout"));
    let mut seen = 0;
    for _ in 0..lines {
        let mut line = String::new();
        seen += stdout.read_line(&mut line).unwrap_or(0);
    }
    drop(stdout);
    let mut stderr = String::new();
    child.stderr.take().expect("stderr").read_to_string(&mut stderr).unwrap();
    let status = child.wait().expect("wait");
    (status.code().unwrap_or(-1), stderr, seen)
}

/// Everything the command writes when nothing closes its stdout.
fn full_output(args: &[&str]) -> Vec<u8> {
    Command::new(env!("CARGO_BIN_EXE_culprit")).args(args).env_remove("COLUMNS").output().expect("run culprit").stdout
}

fn assert_quiet(args: &[&str]) {
    for lines in [0, 1] {
        let (code, stderr, _) = closed_after(args, lines);
        assert_eq!(code, 0, "culprit {args:?} with stdout closed after {lines} line(s): exit {code}\n{stderr}");
        assert!(
            !stderr.contains("Broken pipe") && !stderr.contains("panicked") && !stderr.contains("os error"),
            "culprit {args:?}, closed after {lines} line(s):\n{stderr}"
        );
    }
}

/// The same, for an output known to overflow the pipe (so the close happens mid-write).
fn assert_quiet_big(args: &[&str]) {
    let size = full_output(args).len();
    assert!(size > PIPE_BUFFER, "culprit {args:?} writes only {size} bytes: not a mid-write test");
    assert_quiet(args);
}

#[test]
fn logs_in_every_output_mode() {
    assert_quiet_big(&["logs", EXAMPLE, "--per-request"]);
    assert_quiet(&["logs", EXAMPLE]);
    assert_quiet(&["logs", EXAMPLE, "--json"]);
    assert_quiet(&["logs", EXAMPLE, "--markdown"]);
    assert_quiet(&[
        "logs",
        EXAMPLE,
        "--cluster",
        concat!(env!("CARGO_MANIFEST_DIR"), "/examples/incident-502/cluster"),
    ]);
}

#[test]
fn explain_in_every_output_mode() {
    // The case the issue quotes: stdout is line-buffered, so `head -1` closes the pipe while
    // serde_json is still writing the document line by line.
    assert_quiet(&["explain", "502", "--json"]);
    assert_quiet(&["explain", "503", "--full", "--json"]);
    assert_quiet(&["explain", "502", "--full"]);
    assert_quiet(&["explain", "502", "--markdown"]);
    assert_quiet(&["explain", "5xx", "--json"]);
    assert_quiet(&["explain", "--tree", "5xx"]);
    assert_quiet(&["explain", "--tree", "5xx", "--json"]);
    assert_quiet(&["explain", "--chain"]);
    assert_quiet(&["explain", "--chain", "--json"]);
    assert_quiet(&["explain", "upstream", "prematurely", "closed", "--json"]);
    assert_quiet(&["explain", "009"]);
}

#[test]
fn cluster_in_every_output_mode() {
    let dir = format!("{SCENARIOS}/ingress-and-workload-lint");
    for format in [None, Some("--json"), Some("--markdown")] {
        let mut check = vec!["cluster", "check", "--from", &dir, "--fail-on", "never"];
        let mut route = vec!["cluster", "route", "https://shop.example.com/", "--from", &dir];
        if let Some(f) = format {
            check.push(f);
            route.push(f);
        }
        assert_quiet(&check);
        // A broken route exits 1 when its report is read; a closed pipe still ends with 0.
        assert_quiet(&route);
    }
}

#[test]
fn completions_and_the_man_page() {
    for shell in ["bash", "zsh", "fish", "elvish", "powershell"] {
        assert_quiet(&["completions", shell]);
    }
    assert_quiet(&["man"]);
}

/// A local server answering every request with nginx's 502 page and a body of `body_len` bytes.
fn nginx_502_server(body_len: usize) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    std::thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            let mut reader = BufReader::new(stream.try_clone().unwrap());
            let mut line = String::new();
            while reader.read_line(&mut line).unwrap_or(0) > 2 {
                line.clear();
            }
            let mut body = String::from("<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n");
            while body.len() < body_len {
                body.push_str("<center><h1>502 Bad Gateway</h1></center>\r\n");
            }
            body.push_str("<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n");
            let mut stream = stream;
            let _ = write!(
                stream,
                "HTTP/1.1 502 Bad Gateway\r\nServer: nginx\r\nContent-Type: text/html\r\nContent-Length: {}\r\n\
                 Connection: close\r\n\r\n{body}",
                body.len()
            );
        }
    });
    format!("http://{addr}/")
}

#[test]
fn probe_in_every_output_mode() {
    let url = nginx_502_server(200 << 10);
    assert_quiet(&["probe", &url]);
    assert_quiet(&["probe", &url, "--json"]);
    assert_quiet(&["probe", &url, "--markdown"]);
}
