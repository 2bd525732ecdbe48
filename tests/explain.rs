//! `culprit explain` through the binary: output snapshots, the JSON contract, exit codes, colour and
//! width rules.

use culprit_kb::explain::{ChainReport, ClassReport, CodeReport, TreeReport};
use culprit_kb::search::SearchReport;
use culprit_kb::{LogStatus, kb};
use std::process::{Command, Output};

fn culprit(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_culprit"))
        .args(args)
        .env_remove("NO_COLOR")
        .env_remove("CLICOLOR_FORCE")
        .env_remove("COLUMNS")
        .output()
        .expect("run culprit")
}

fn stdout(args: &[&str]) -> String {
    let out = culprit(args);
    assert!(out.status.success(), "culprit {args:?} failed: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout).expect("utf-8 output")
}

fn assert_fits(text: &str, what: &str) {
    for line in text.lines() {
        let width = textwrap::core::display_width(line);
        assert!(width <= 100, "{what}: line of {width} columns:\n{line}");
    }
}

#[test]
fn snapshot_explain_502() {
    insta::assert_snapshot!("explain_502", stdout(&["explain", "502"]));
}

#[test]
fn snapshot_explain_502_full() {
    insta::assert_snapshot!("explain_502_full", stdout(&["explain", "502", "--full"]));
}

#[test]
fn snapshot_explain_5xx() {
    insta::assert_snapshot!("explain_5xx", stdout(&["explain", "5xx"]));
}

#[test]
fn snapshot_explain_tree_5xx() {
    insta::assert_snapshot!("explain_tree_5xx", stdout(&["explain", "--tree", "5xx"]));
}

#[test]
fn snapshot_explain_chain() {
    insta::assert_snapshot!("explain_chain", stdout(&["explain", "--chain"]));
}

#[test]
fn snapshot_free_text_query() {
    insta::assert_snapshot!(
        "explain_upstream_prematurely_closed",
        stdout(&["explain", "upstream prematurely closed connection"])
    );
}

#[test]
fn snapshot_markdown() {
    insta::assert_snapshot!("explain_504_markdown", stdout(&["explain", "504", "--markdown"]));
}

#[test]
fn words_are_joined_into_one_query() {
    assert_eq!(
        stdout(&["explain", "upstream", "prematurely", "closed", "connection"]),
        stdout(&["explain", "upstream prematurely closed connection"])
    );
}

#[test]
fn flags_states_and_headers() {
    assert!(stdout(&["explain", "UF"]).contains("upstream_connection_refused"));
    assert!(stdout(&["explain", "sH--"]).contains("upstream_timeout"));
    let alb = stdout(&["explain", "server: awselb/2.0"]);
    assert!(alb.contains("AWS Application Load Balancer"), "{alb}");
}

#[test]
fn json_code_report_matches_the_schema() {
    for code in ["502", "200", "499", "418", "299", "521"] {
        let r: CodeReport = serde_json::from_str(&stdout(&["explain", code, "--json"])).expect(code);
        assert_eq!(r.schema, culprit_kb::explain::CODE_SCHEMA);
        assert_eq!(r.code.to_string(), code);
    }
    let r: CodeReport = serde_json::from_str(&stdout(&["explain", "502", "--json"])).unwrap();
    assert!(r.detail.is_some());
    assert!(r.causes.iter().any(|c| c.id == "upstream_connection_refused"));
    assert!(!r.checks.is_empty());
}

#[test]
fn json_other_reports_match_their_schemas() {
    let r: ClassReport = serde_json::from_str(&stdout(&["explain", "4xx", "--json"])).unwrap();
    assert!(r.codes.iter().any(|c| c.code == 404));
    let r: TreeReport = serde_json::from_str(&stdout(&["explain", "--tree", "5xx", "--json"])).unwrap();
    assert_eq!(r.order.len(), r.tree.nodes.len());
    let r: ChainReport = serde_json::from_str(&stdout(&["explain", "--chain", "--json"])).unwrap();
    assert_eq!(r.chain.steps.len(), 5);
    let r: SearchReport = serde_json::from_str(&stdout(&["explain", "no live upstreams", "--json"])).unwrap();
    assert_eq!(r.causes[0].id, "no_live_upstreams");
    let r: LogStatus = serde_json::from_str(&stdout(&["explain", "009", "--json"])).unwrap();
    assert_eq!(r.cause, "upstream_invalid_response");
}

#[test]
fn unassigned_code_is_read_as_its_class() {
    let out = stdout(&["explain", "299"]);
    assert!(out.contains("not assigned"), "{out}");
    assert!(out.contains("read it as 200"), "{out}");
}

#[test]
fn unusable_input_exits_2_with_a_clear_message() {
    for (input, says) in
        [("42", "not an HTTP status code"), ("600", "not an HTTP status code"), ("abc", "not a status code")]
    {
        let out = culprit(&["explain", input]);
        assert_eq!(out.status.code(), Some(2), "{input}");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains(says) && err.contains(input), "{input}: {err}");
        assert!(out.stdout.is_empty());
    }
    // JSON users still get the (empty) search report, and the exit status.
    let out = culprit(&["explain", "abc", "--json"]);
    assert_eq!(out.status.code(), Some(2));
    let r: SearchReport = serde_json::from_slice(&out.stdout).unwrap();
    assert!(r.causes.is_empty());
    let out = culprit(&["explain", "--tree", "2xx"]);
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(culprit(&["explain"]).status.code(), Some(2), "a query is required");
}

#[test]
fn colour_only_when_asked_or_on_a_terminal() {
    assert!(!stdout(&["explain", "502"]).contains('\x1b'), "piped output has no colour");
    assert!(stdout(&["--color", "always", "explain", "502"]).contains("\x1b["));
    let out =
        Command::new(env!("CARGO_BIN_EXE_culprit")).args(["explain", "502"]).env("NO_COLOR", "1").output().unwrap();
    assert!(!String::from_utf8_lossy(&out.stdout).contains('\x1b'));
}

#[test]
fn every_known_code_fits_100_columns_in_full() {
    for c in &kb().codes {
        let code = c.code.to_string();
        assert_fits(&stdout(&["explain", &code, "--full"]), &code);
    }
    for q in ["1xx", "2xx", "3xx", "4xx", "5xx"] {
        assert_fits(&stdout(&["explain", q]), q);
    }
    assert_fits(&stdout(&["explain", "--tree", "5xx"]), "tree 5xx");
    assert_fits(&stdout(&["explain", "--tree", "4xx"]), "tree 4xx");
    assert_fits(&stdout(&["explain", "--chain"]), "chain");
}

#[test]
fn completions_are_generated() {
    assert!(stdout(&["completions", "bash"]).contains("culprit"));
}
