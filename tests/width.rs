//! Terminal output follows the terminal's width, at most 100 columns: `COLUMNS` (or the tty's
//! size; a pipe gets 100). Every line of every report fits — paragraphs, table rows (cells wrapped
//! within their columns), commands (wrapped as the shell reads them back) — at 70 and at 100.

use std::io::{BufRead, BufReader, Write};
use std::net::TcpListener;
use std::process::Command;

const EXAMPLE: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/examples/incident-502/ingress-nginx.log.gz");
const SCENARIOS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/crates/culprit-cluster/tests/scenarios");

fn run(args: &[&str], columns: Option<&str>) -> String {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_culprit"));
    cmd.args(args).env_remove("NO_COLOR");
    match columns {
        Some(c) => cmd.env("COLUMNS", c),
        None => cmd.env_remove("COLUMNS"),
    };
    let out = cmd.output().expect("run culprit");
    String::from_utf8(out.stdout).expect("UTF-8 output")
}

/// The widest line, in terminal columns.
fn widest(text: &str) -> usize {
    text.lines().map(textwrap::core::display_width).max().unwrap_or(0)
}

/// At COLUMNS=70 every line fits 70; at 100 every line fits 100, and the report uses more than 70
/// somewhere (so the width really comes from COLUMNS).
fn assert_follows_the_width(args: &[&str]) {
    for width in [70, 100] {
        let text = run(args, Some(&width.to_string()));
        assert!(!text.is_empty(), "culprit {args:?} printed nothing");
        for line in text.lines() {
            let w = textwrap::core::display_width(line);
            assert!(w <= width, "culprit {args:?} at COLUMNS={width}: a line of {w} columns:\n{line}\n\n{text}");
        }
        if width == 100 {
            assert!(widest(&text) > 70, "culprit {args:?} at COLUMNS=100 never uses more than 70 columns:\n{text}");
        }
    }
}

#[test]
fn logs_report() {
    assert_follows_the_width(&["logs", EXAMPLE]);
    assert_follows_the_width(&[
        "logs",
        EXAMPLE,
        "--cluster",
        concat!(env!("CARGO_MANIFEST_DIR"), "/examples/incident-502/cluster"),
    ]);
}

#[test]
fn explain_reports() {
    for args in [
        &["explain", "502", "--full"][..],
        &["explain", "503", "--full"],
        &["explain", "5xx"],
        &["explain", "--tree", "5xx"],
        &["explain", "--chain"],
        &["explain", "upstream", "prematurely", "closed", "connection"],
    ] {
        assert_follows_the_width(args);
    }
}

#[test]
fn cluster_reports_on_every_scenario() {
    for entry in std::fs::read_dir(SCENARIOS).unwrap() {
        let dir = entry.unwrap().path();
        if !dir.is_dir() {
            continue;
        }
        let dir = dir.to_str().unwrap();
        for width in ["70", "100"] {
            for args in [
                vec!["cluster", "check", "--from", dir],
                vec!["cluster", "route", "https://shop.example.com/api/cart/42", "--from", dir],
            ] {
                let text = run(&args, Some(width));
                let limit: usize = width.parse().unwrap();
                assert!(widest(&text) <= limit, "{args:?} at COLUMNS={width}:\n{text}");
            }
        }
    }
    // The scenario whose fixes are the longest (137 columns before).
    assert_follows_the_width(&["cluster", "check", "--from", &format!("{SCENARIOS}/ingress-and-workload-lint")]);
}

/// Answers every request like nginx in front of a refusing pod, with a long header.
fn nginx_502_server() -> String {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    std::thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            let mut reader = BufReader::new(stream.try_clone().unwrap());
            let mut line = String::new();
            while reader.read_line(&mut line).unwrap_or(0) > 2 {
                line.clear();
            }
            let body = "<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n\
                        <center><h1>502 Bad Gateway</h1></center>\r\n<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n";
            let mut stream = stream;
            let _ = write!(
                stream,
                "HTTP/1.1 502 Bad Gateway\r\nServer: nginx\r\nContent-Type: text/html\r\n\
                 Content-Security-Policy: default-src 'self'; script-src 'self' https://cdn.example.com https://static.example.com; img-src *\r\n\
                 Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
                body.len()
            );
        }
    });
    format!("http://{addr}/")
}

#[test]
fn probe_report_with_its_cause_table() {
    let url = nginx_502_server();
    let text = run(&["probe", &url], Some("100"));
    assert!(text.contains("What a 502 from this layer means"), "the cause table is there:\n{text}");
    assert_follows_the_width(&["probe", &url]);
}

#[test]
fn a_pipe_gets_100_columns_and_never_more() {
    let text = run(&["explain", "502", "--full"], None);
    assert!(widest(&text) <= 100 && widest(&text) > 90, "{}", widest(&text));
    let wide = run(&["explain", "502", "--full"], Some("250"));
    assert_eq!(wide, text, "COLUMNS above 100 is capped at 100");
    let junk = run(&["explain", "502", "--full"], Some("wide"));
    assert_eq!(junk, text, "a COLUMNS that is not a number is ignored");
}
