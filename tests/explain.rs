//! `culprit explain` through the binary: output snapshots, the JSON contract, exit codes, colour and
//! width rules.

use culprit_kb::cards::{
    CAUSE_SCHEMA, CHECK_SCHEMA, CauseReport, CheckReport, FAILURE_SCHEMA, FailureReport, LAYER_SCHEMA, LayerReport,
    MISTAKE_SCHEMA, MistakeReport, REDIRECT_NOTE_SCHEMA, RESPONDER_SCHEMA, RedirectNoteReport, ResponderReport,
};
use culprit_kb::explain::{ChainReport, ClassReport, CodeReport, TreeReport};
use culprit_kb::search::SearchReport;
use culprit_kb::signals::{SIGNAL_SCHEMA, SignalReport};
use culprit_kb::{LogStatus, kb};
use std::process::{Command, Output, Stdio};

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
    assert!(stdout(&["explain", "-1"]).contains("status -1"), "a negative log value is a query, not an option");
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

// --- Every id culprit prints can be looked up (issue 11, item 1) ---

/// `explain <id> --json` answers with that id's own card: exit 0, the card's schema, the id inside.
fn assert_card(id: &str) {
    let out = culprit(&["explain", id, "--json"]);
    assert!(out.status.success(), "explain {id}: {}", String::from_utf8_lossy(&out.stderr));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    let schema = v["schema"].as_str().unwrap_or_default().to_string();
    let named = match schema.as_str() {
        CAUSE_SCHEMA => v["cause"]["id"].as_str(),
        CHECK_SCHEMA => v["check"]["id"].as_str(),
        LAYER_SCHEMA => v["layer"]["id"].as_str(),
        RESPONDER_SCHEMA => v["responder"]["id"].as_str(),
        MISTAKE_SCHEMA => v["mistake"]["id"].as_str(),
        FAILURE_SCHEMA => v["failure"]["id"].as_str(),
        REDIRECT_NOTE_SCHEMA => v["note"]["id"].as_str(),
        other => panic!("explain {id} answered {other}, not a card"),
    };
    assert_eq!(named, Some(id), "explain {id} answered another id's card");
}

#[test]
fn every_id_the_knowledge_base_defines_has_its_card() {
    let kb = kb();
    let ids: Vec<String> = kb
        .causes
        .iter()
        .map(|c| c.id.clone())
        .chain(kb.checks.iter().map(|c| c.id.clone()))
        .chain(kb.layers.iter().map(|l| l.id.id().to_string()))
        .chain(kb.responders.iter().map(|r| r.id.clone()))
        .chain(kb.mistakes.iter().map(|m| m.id.clone()))
        // What `culprit probe` prints: failure kinds, lint ids (mistakes'), redirect-note ids.
        .chain(kb.failures.iter().map(|f| f.id.clone()))
        .chain(kb.lints.iter().map(|l| l.id.clone()))
        .chain(kb.redirect_notes.iter().map(|n| n.id.clone()))
        .collect();
    for id in &ids {
        assert_card(id);
        // The human cards answer too, within the report width, compact and full.
        assert_fits(&stdout(&["explain", id]), id);
        assert_fits(&stdout(&["explain", id, "--full"]), id);
    }
    // The typed schema for causes, as documented.
    let r: CauseReport = serde_json::from_str(&stdout(&["explain", "app_unauthenticated", "--json"])).unwrap();
    assert_eq!(r.schema, CAUSE_SCHEMA);
    assert_eq!(r.codes, [401]);
    let _: CheckReport = serde_json::from_str(&stdout(&["explain", "service_ports", "--json"])).unwrap();
    let _: LayerReport = serde_json::from_str(&stdout(&["explain", "ingress", "--json"])).unwrap();
    let _: ResponderReport = serde_json::from_str(&stdout(&["explain", "envoy", "--json"])).unwrap();
    let _: MistakeReport = serde_json::from_str(&stdout(&["explain", "assume_502_means_down", "--json"])).unwrap();
    let r: MistakeReport = serde_json::from_str(&stdout(&["explain", "body_on_no_content", "--json"])).unwrap();
    assert_eq!(r.lint.map(|l| l.statuses), Some(vec![204, 304]), "a lint id's card is its mistake's, with the lint");
    let r: FailureReport = serde_json::from_str(&stdout(&["explain", "connect_refused", "--json"])).unwrap();
    assert_eq!(r.schema, FAILURE_SCHEMA);
    assert_eq!(r.causes[0].id, "server_not_listening");
    let r: RedirectNoteReport = serde_json::from_str(&stdout(&["explain", "method_changed", "--json"])).unwrap();
    assert_eq!(r.schema, REDIRECT_NOTE_SCHEMA);
    assert_eq!(r.mistakes[0].id, "redirect_post_with_301_302");
    let r: CauseReport = serde_json::from_str(&stdout(&["explain", "redirect_loop", "--json"])).unwrap();
    assert!(r.redirect_notes.iter().any(|n| n.id == "redirect_loop"), "the probe's loop note is the cause's");
}

/// The ids `culprit probe` prints lead to cards that say what the probe saw and why it matters.
#[test]
fn the_ids_probe_prints_explain_themselves() {
    let out = stdout(&["explain", "connect_refused"]);
    for part in [
        "connect_refused — Connection refused",
        "Nothing accepted the connection to <addr>: no process listens on port <port>",
        "Fails in the connect phase",
        "server_not_listening",
        "nc -vz -w 5 <host> <host-port>",
    ] {
        assert!(out.contains(part), "missing {part:?}:\n{out}");
    }
    let out = stdout(&["explain", "missing_retry_after"]);
    for part in [
        "How culprit probe flags it",
        "flags a 429 or 503 without a Retry-After header",
        "prints: missing_retry_after: <status> without Retry-After",
    ] {
        assert!(out.contains(part), "missing {part:?}:\n{out}");
    }
    let out = stdout(&["explain", "credentials_dropped"]);
    for part in ["Credentials not sent to another origin", "Severity: warning", "<headers> not sent to <origin>"] {
        assert!(out.contains(part), "missing {part:?}:\n{out}");
    }
    let out = stdout(&["explain", "redirect_loop"]);
    assert!(out.contains("How culprit probe reports it") && out.contains("when the loop goes through both"), "{out}");
}

/// A client's own failure has no status code: its card says so instead of an empty code list, and
/// names how the probe reports it.
#[test]
fn causes_without_a_status_say_the_request_got_no_answer() {
    for id in ["certificate_untrusted", "dns_name_not_resolved", "server_not_listening", "network_path_blocked"] {
        let out = stdout(&["explain", id]);
        assert!(out.contains("No HTTP status: the request got no answer."), "{id}:\n{out}");
        assert!(!out.lines().any(|l| l.trim_end() == "Codes:"), "{id}: an empty Codes line:\n{out}");
        assert!(out.contains("How culprit probe reports it"), "{id}:\n{out}");
    }
    let out = stdout(&["explain", "SSL certificate problem: self-signed certificate"]);
    assert!(out.contains("no HTTP status: the request got no answer"), "{out}");
    assert!(!out.lines().any(|l| l.trim_end().ends_with("codes:")), "an empty codes list:\n{out}");
}

#[test]
fn every_cause_and_check_id_an_explain_report_prints_resolves() {
    let mut causes: Vec<String> = Vec::new();
    let mut checks: Vec<String> = Vec::new();
    for tree in ["5xx", "4xx"] {
        let r: TreeReport = serde_json::from_str(&stdout(&["explain", "--tree", tree, "--json"])).unwrap();
        for node in &r.tree.nodes {
            checks.extend(node.check.iter().cloned());
            causes.extend(node.answers.iter().flat_map(|a| a.causes.iter().cloned()));
        }
        causes.extend(r.causes.iter().map(|c| c.id.clone()));
    }
    let r: ChainReport = serde_json::from_str(&stdout(&["explain", "--chain", "--json"])).unwrap();
    for step in &r.chain.steps {
        checks.push(step.check.clone());
        causes.extend(step.outcomes.iter().flat_map(|o| o.causes.iter().cloned()));
    }
    for c in &kb().codes {
        let r: CodeReport = serde_json::from_str(&stdout(&["explain", &c.code.to_string(), "--json"])).unwrap();
        causes.extend(r.generated_at.iter().flat_map(|l| l.causes.iter().map(|c| c.cause.clone())));
        causes.extend(r.causes.iter().flat_map(|c| std::iter::once(c.id.clone())));
        checks.extend(r.causes.iter().flat_map(|c| c.checks.iter().cloned()));
        checks.extend(r.checks.iter().map(|c| c.id.clone()));
    }
    causes.sort();
    causes.dedup();
    checks.sort();
    checks.dedup();
    assert!(causes.len() > 40 && checks.len() > 30, "{} causes, {} checks", causes.len(), checks.len());
    for id in causes.iter().chain(&checks) {
        assert_card(id);
    }
    // The ids the issue found missing or answered with another cause.
    for id in
        ["rollout_drain_race", "keepalive_timeout_mismatch", "circuit_open", "app_not_found", "app_unauthenticated"]
    {
        assert_card(id);
    }
}

#[test]
fn the_next_steps_hint_of_a_logs_report_leads_to_the_card() {
    let report = stdout(&["logs", "examples/incident-502/ingress-nginx.log.gz"]);
    let hints: Vec<&str> = report
        .match_indices("culprit explain ")
        .filter_map(|(i, _)| report[i + 16..].split_whitespace().next())
        .filter(|id| !id.starts_with('<'))
        .collect();
    assert!(hints.contains(&"upstream_connection_refused"), "{report}");
    for id in hints {
        assert_card(id);
        let full = stdout(&["explain", id, "--full"]);
        assert!(full.starts_with(id), "explain {id} --full is that cause's card:\n{full}");
        assert!(full.contains("What happens"), "--full adds the explanation");
    }
}

#[test]
fn the_causes_cluster_check_prints_resolve() {
    // Exit status 1: the snapshot has an error-level finding.
    let out = culprit(&["cluster", "check", "--from", "examples/incident-502/cluster", "--json"]);
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let findings = v["findings"].as_array().unwrap();
    assert!(!findings.is_empty());
    for f in findings {
        assert_card(f["cause"].as_str().unwrap());
    }
}

#[test]
fn a_cause_card_says_everything_about_the_cause() {
    let out = stdout(&["explain", "upstream_connection_refused"]);
    for part in [
        "upstream_connection_refused — Connection refused by the upstream address",
        "Fault in: service",
        "status written by: proxy",
        "looks first: DevOps / platform",
        "Codes: 502 503 521",
        "nginx error log",
        "connect() failed (111: Connection refused) while connecting to upstream → 502",
        "Envoy response flag",
        "UF → 503",
        "HAProxy termination state",
        "SC → 503",
        "kubectl get svc <service>",
        "Fix",
        "More: culprit explain upstream_connection_refused --full",
    ] {
        assert!(out.contains(part), "missing {part:?}:\n{out}");
    }
    assert!(!out.contains("What happens"), "the compact card leaves the depth to --full");
    let full = stdout(&["explain", "upstream_connection_refused", "--full"]);
    for part in ["What happens", "Who emits which code", "Envoy UF", "targetPort: http"] {
        assert!(full.contains(part), "--full lacks {part:?}:\n{full}");
    }
    let md = stdout(&["explain", "upstream_connection_refused", "--markdown"]);
    assert!(md.contains("`upstream_connection_refused`"), "{md}");
    let check = stdout(&["explain", "service_ports"]);
    assert!(check.contains("What to look for") && check.contains("upstream_connection_refused"), "{check}");
}

// --- Pasted status lines (item 2) ---

#[test]
fn pasted_status_lines_explain_the_code_with_proxy_causes_first() {
    for (input, code) in [
        (vec!["502", "Bad", "Gateway"], 502),
        (vec!["504 Gateway Timeout"], 504),
        (vec!["HTTP/1.1 502"], 502),
        (vec!["HTTP/2 503"], 503),
        (vec!["HTTP/1.0 404 Not Found"], 404),
        (vec!["status=502"], 502),
        (vec!["status: 502"], 502),
        (vec!["502 (Bad Gateway)"], 502),
        (vec!["\"status\":502"], 502),
        (vec!["Bad", "Gateway"], 502),
        (vec!["gateway timeout"], 504),
    ] {
        let mut args = vec!["explain"];
        args.extend(input.iter().copied());
        args.push("--json");
        let r: CodeReport = serde_json::from_str(&stdout(&args)).unwrap_or_else(|e| panic!("{input:?}: {e}"));
        assert_eq!(r.code, code, "{input:?}");
        assert_eq!(r, serde_json::from_str(&stdout(&["explain", &code.to_string(), "--json"])).unwrap());
    }
    let r: CodeReport = serde_json::from_str(&stdout(&["explain", "502 Bad Gateway", "--json"])).unwrap();
    assert_eq!(r.causes[0].id, "upstream_connection_refused", "the proxy's causes first, as for 502");
}

// --- Links to the right code for that layer (item 3) ---

/// The closing "More:" line of a human report.
fn more_line(args: &[&str]) -> String {
    let out = stdout(args);
    let at = out.rfind("More:").unwrap_or_else(|| panic!("no More: line in {args:?}:\n{out}"));
    out[at..].replace('\n', " ")
}

#[test]
fn flags_and_states_link_to_the_code_their_proxy_answers() {
    for (input, link) in [
        ("UF", "culprit explain 503 --full"),
        ("UH", "culprit explain 503 --full"),
        ("UO", "culprit explain 503 --full"),
        ("UT", "culprit explain 504 --full"),
        ("NR", "culprit explain 404 --full"),
        ("UPE", "culprit explain 502 --full"),
        ("SC--", "culprit explain 503 --full"),
        ("sC--", "culprit explain 503 --full"),
        ("SH--", "culprit explain 502 --full"),
        ("sH--", "culprit explain 504 --full"),
        ("CD--", "culprit explain client_closed_request --full"),
        ("CH--", "culprit explain client_closed_request --full"),
        ("CC--", "culprit explain -1"),
        ("DC", "culprit explain 0"),
    ] {
        let more = more_line(&["explain", input]);
        assert!(more.contains(link), "{input}: {more}");
        assert!(!more.contains("460") && !more.contains("499"), "{input}: {more}");
    }
    assert!(!more_line(&["explain", "UF"]).contains("502"), "Envoy answers 503 for UF, not 502");
}

#[test]
fn a_pasted_error_line_links_to_its_evidence_status_not_its_digits() {
    let line = r#"2024/05/01 10:00:00 [error] 31#31: *1 connect() failed (111: Connection refused) while connecting to upstream, client: 10.0.0.1, server: shop, request: "GET / HTTP/1.1", upstream: "http://10.244.1.5:8080/", host: "shop""#;
    let more = more_line(&["explain", line]);
    assert!(more.contains("culprit explain 502 --full"), "{more}");
    for digits in ["244", "111", "31 "] {
        assert!(!more.contains(&format!("explain {digits}")), "{more}");
    }
    let r: SearchReport = serde_json::from_str(&stdout(&["explain", line, "--json"])).unwrap();
    assert!(r.codes.is_empty(), "{:?}", r.codes);
    assert_eq!(r.causes[0].id, "upstream_connection_refused");
    // Without a status for the matched evidence, the link is the cause's card.
    let more = more_line(&["explain", "upstream prematurely closed connection while reading upstream"]);
    assert!(more.contains("culprit explain upstream_died_mid_response --full"), "{more}");
}

// --- Complete vocabularies (item 4) ---

#[test]
fn every_flag_and_state_is_explained() {
    let kb = kb();
    for f in &kb.envoy_flags {
        let r: SignalReport = serde_json::from_str(&stdout(&["explain", &f.short, "--json"])).unwrap();
        assert_eq!(r.schema, SIGNAL_SCHEMA);
        assert_eq!(r.envoy_flags[0].flag.short, f.short);
        assert_fits(&stdout(&["explain", &f.short]), &f.short);
    }
    for s in &kb.haproxy_states {
        let state = format!("{}--", s.state);
        // `--` first: a state such as `----` would read as an option.
        let r: SignalReport = serde_json::from_str(&stdout(&["explain", "--json", "--", &state])).unwrap();
        assert_eq!(r.haproxy_states[0].pair.as_ref().map(|p| p.state.as_str()), Some(s.state.as_str()));
        assert_fits(&stdout(&["explain", "--", &state]), &state);
    }
    let out = stdout(&["explain", "cD--"]);
    assert!(out.contains("the client-side timeout expired") && out.contains("transferring data"), "{out}");
    let out = stdout(&["explain", "UF"]);
    assert!(out.contains("one of these"), "UF is one of several causes:\n{out}");
    assert!(!out.contains("(exact)"));
    let r: SignalReport = serde_json::from_str(&stdout(&["explain", "UF,URX", "--json"])).unwrap();
    assert_eq!(r.envoy_flags.len(), 2, "each flag counts");
    let out = stdout(&["explain", "UF|URX"]);
    assert!(
        out.contains("UF · UpstreamConnectionFailure") && out.contains("URX · UpstreamRetryLimitExceeded"),
        "{out}"
    );
}

// --- Pipes (item 8) ---

/// Run culprit with stdout a pipe whose reading end is closed before culprit writes: the write
/// fails with EPIPE, which must end the run quietly with status 0.
fn with_closed_stdout(args: &[&str]) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_culprit"))
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run culprit");
    drop(child.stdout.take());
    child.wait_with_output().expect("wait")
}

#[test]
fn a_closed_pipe_ends_every_explain_mode_quietly() {
    for args in [
        &["explain", "502", "--json"][..],
        &["explain", "--tree", "5xx"],
        &["explain", "--tree", "5xx", "--json"],
        &["explain", "--chain"],
        &["explain", "502", "--markdown"],
        &["explain", "502", "--full"],
        &["explain", "upstream_connection_refused", "--json"],
        &["explain", "UF,URX"],
        &["explain", "no live upstreams", "--json"],
    ] {
        let out = with_closed_stdout(args);
        assert_eq!(out.status.code(), Some(0), "{args:?}: {}", String::from_utf8_lossy(&out.stderr));
        assert!(out.stderr.is_empty(), "{args:?}: {}", String::from_utf8_lossy(&out.stderr));
    }
    // And as a shell runs it, with head reading one line.
    let bin = env!("CARGO_BIN_EXE_culprit");
    for mode in ["explain 502 --json", "explain --tree 5xx", "explain --chain", "explain 502 --markdown"] {
        let script = format!("'{bin}' {mode} | head -1 >/dev/null; echo ${{PIPESTATUS[0]}}");
        let out = Command::new("bash").args(["-c", &script]).output().expect("bash");
        assert_eq!(String::from_utf8_lossy(&out.stdout).trim(), "0", "{mode}");
        assert!(out.stderr.is_empty(), "{mode}: {}", String::from_utf8_lossy(&out.stderr));
    }
}

// --- The stranger's findings (explain) ---

/// A pasted access-log line, in any format culprit reads, is read by the log engine as `culprit
/// logs` reads it: what it says about that request, then the cause's card — instead of exit 2.
#[test]
fn a_pasted_access_log_line_is_read_by_the_log_engine() {
    let lines = [
        // nginx combined, as the stranger pasted it.
        (
            r#"127.0.0.1 - - [29/Nov/2026:13:43:02 +0000] "GET /dead/1 HTTP/1.1" 502 157 "-" "curl/7.88.1""#,
            "nginx combined",
            502,
        ),
        // ingress-nginx upstreaminfo with a 60 s read timeout.
        (
            r#"156.203.218.216 - - [08/Mar/2026:13:30:00 +0000] "GET /api/cart/1 HTTP/1.1" 504 160 "-" "curl/8.5.0" 483 60.001 [default-checkout-8080] [] 10.244.2.41:8080 0 60.001 504 225ec07a9950676169c3a27688795369"#,
            "ingress-nginx",
            504,
        ),
        (
            r#"Dec 10 12:01:46 voyager haproxy[19312]: 127.0.0.1:35982 [10/Dec/2018:12:01:46.395] fe be/srv1 0/0/-1/-1/0 503 213 - - SC-- 1/1/0/0/0 0/0 "GET / HTTP/1.1""#,
            "haproxy",
            503,
        ),
        (
            r#"[2024-09-26T22:50:30.159Z] "POST /v1/chat HTTP/1.1" 503 UF 98 173 3 - "-" "OpenAI/Python 1.46.1" "30dee192-a123-46e0-8236-a45417eaf02d" "bolt:10000" "10.0.0.7:443""#,
            "envoy",
            503,
        ),
    ];
    for (line, format, status) in lines {
        let out = culprit(&["explain", line, "--json"]);
        assert!(out.status.success(), "{line}: {}", String::from_utf8_lossy(&out.stderr));
        let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        assert_eq!(v["schema"], "culprit.explain.access_line/1", "{v:#}");
        assert!(v["format"].as_str().unwrap().starts_with(format), "{v:#}");
        assert_eq!(v["status"], status, "{v:#}");
        let cause = v["cause"].as_str().unwrap();
        assert_eq!(v["card"]["cause"]["id"], cause, "the card is the cause's: {v:#}");
        for field in ["generated_by", "owner", "confidence"] {
            assert!(v[field].is_string(), "{field}: {v:#}");
        }
        let text = stdout(&["explain", line]);
        assert!(text.starts_with("Access-log line — read as"), "{text}");
        assert!(text.contains(&format!("cause: {cause}")) && text.contains("First checks"), "{text}");
        assert_fits(&text, line);
    }
    // The ingress-nginx line: the engine's verdict with its evidence; Kubernetes steps fit it.
    let v: serde_json::Value = serde_json::from_str(&stdout(&["explain", lines[1].0, "--json"])).unwrap();
    assert_eq!((v["cause"].as_str(), v["owner"].as_str()), (Some("upstream_timeout"), Some("both")), "{v:#}");
    assert!(v["kubernetes"].is_string(), "{v:#}");
    // The bare nginx line: nothing points at Kubernetes, so no kubectl step; `<status>` is filled.
    let v: serde_json::Value = serde_json::from_str(&stdout(&["explain", lines[0].0, "--json"])).unwrap();
    let commands: Vec<&str> = v["checks"].as_array().unwrap().iter().map(|c| c["command"].as_str().unwrap()).collect();
    assert!(!commands.is_empty() && commands.iter().all(|c| !c.contains("kubectl")), "{commands:?}");
    // Free text and error-log messages are still searched.
    assert!(stdout(&["explain", "upstream prematurely closed connection"]).starts_with("Matches for"));
}

/// A bare header says which layer answered, not why: the reading per status, from the
/// responder's own data, instead of an arbitrary ranking of its causes.
#[test]
fn a_bare_header_asks_for_the_status() {
    let out = stdout(&["explain", "server: awselb/2.0"]);
    assert!(out.contains("AWS Application Load Balancer answered; what was the status?"), "{out}");
    for row in ["502 Bad Gateway ⇒ keepalive_timeout_mismatch", "503 Service Unavailable ⇒ no_ready_endpoints"] {
        assert!(out.contains(row), "missing {row:?}:\n{out}");
    }
    assert!(!out.contains("Likely causes"), "no ranking without a status:\n{out}");
    let out = stdout(&["explain", "server: awselb/2.0 503"]);
    assert!(out.contains("1. The Service has no ready endpoints [no_ready_endpoints]"), "{out}");
    let out = stdout(&["explain", "cf-ray: 8abc-FRA"]);
    assert!(out.contains("If Cloudflare wrote the answer itself") && out.contains("521 Web Server Is Down ⇒"), "{out}");
    assert!(!out.contains("wrong targetPort"), "no Kubernetes words for a CDN origin:\n{out}");
}

/// Placeholders the report knows are filled; `--tree` opens the tree of a code, or says which
/// trees exist; `UH` is read as Envoy's; a Kubernetes reason leads to its cause card; a cause that
/// gives a code only in some components is marked so.
#[test]
fn known_values_filled_and_ids_read_as_meant() {
    let out = stdout(&["explain", "504"]);
    assert!(out.contains("grep '\" 504 '") && !out.contains("<status>"), "{out}");

    let out = stdout(&["explain", "--tree", "502"]);
    assert!(out.starts_with("Decision tree 5xx"), "{out}");
    let out = culprit(&["explain", "--tree", "3xx"]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("--tree 5xx") && err.contains("--tree 4xx") && err.contains("culprit explain 3xx"), "{err}");

    let out = stdout(&["explain", "UH"]);
    assert!(out.starts_with("UH · NoHealthyUpstream — Envoy response flag"), "{out}");
    assert!(!out.contains("backup server") && out.contains("culprit explain -- UH--"), "{out}");
    assert!(stdout(&["explain", "--", "UH--"]).contains("backup server"), "the HAProxy reading on request");
    assert!(stdout(&["explain", "LR"]).contains("Read as an HAProxy termination state"), "a common pair keeps both");

    for (reason, cause) in [
        ("ImagePullBackOff", "no_ready_endpoints"),
        ("OOMKilled", "pod_crash_looping"),
        ("FailedScheduling", "no_ready_endpoints"),
    ] {
        let out = culprit(&["explain", reason, "--json"]);
        assert!(out.status.success(), "{reason}: {}", String::from_utf8_lossy(&out.stderr));
        let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        assert_eq!(v["schema"], culprit_kb::explain::KUBERNETES_REASON_SCHEMA);
        assert_eq!(v["reasons"][0]["card"]["cause"]["id"], cause, "{reason}");
        let text = stdout(&["explain", reason]);
        assert!(text.starts_with(reason) && text.contains(&format!("Leads to: {cause}")), "{text}");
        assert_fits(&text, reason);
    }

    let out = stdout(&["explain", "502"]);
    assert!(out.contains("body_too_large (caddy only)"), "{out}");
}

/// Every Kubernetes reason the knowledge base holds — the container waiting reasons the cluster
/// checks read from it, the event reasons they give a meaning, the states the route trace names —
/// can be explained.
#[test]
fn every_kubernetes_reason_the_cluster_checks_read_is_explained() {
    let mut reasons: Vec<String> = culprit_kb::kb().kubernetes_reasons.iter().map(|r| r.reason.clone()).collect();
    reasons.extend(["CrashLoopBackOff".to_owned(), "OOMKilled".to_owned(), "ImagePullBackOff".to_owned()]);
    assert!(reasons.len() >= 14, "{reasons:?}");
    for reason in &reasons {
        let out = culprit(&["explain", reason, "--json"]);
        assert!(out.status.success(), "explain {reason}: {}", String::from_utf8_lossy(&out.stderr));
        let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        assert_eq!(v["schema"], culprit_kb::explain::KUBERNETES_REASON_SCHEMA, "{reason}");
    }
}
