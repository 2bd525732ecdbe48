//! The knowledge base's contract: complete, consistent, and answering the questions it exists for.

use culprit_kb::explain::Query;
use culprit_kb::search::MatchHow;
use culprit_kb::{KnowledgeBase, Owner, kb};

/// The IANA HTTP Status Code Registry (last updated 2025-09-15), every assigned value.
const IANA: &[u16] = &[
    100, 101, 102, 103, 104, //
    200, 201, 202, 203, 204, 205, 206, 207, 208, 226, //
    300, 301, 302, 303, 304, 305, 306, 307, 308, //
    400, 401, 402, 403, 404, 405, 406, 407, 408, 409, 410, 411, 412, 413, 414, 415, 416, 417, 418, 421, 422, 423, 424,
    425, 426, 428, 429, 431, 451, //
    500, 501, 502, 503, 504, 505, 506, 507, 508, 510, 511,
];

/// Vendor codes met in production that the Foundation issue requires.
const VENDOR: &[u16] = &[444, 494, 495, 496, 497, 499, 460, 463, 464, 561, 520, 521, 522, 523, 524, 525, 526, 527, 530];

/// Codes in the seed documents' tables, plus 499.
const SEED: &[u16] = &[
    200, 201, 202, 204, 301, 302, 307, 308, 400, 401, 403, 404, 405, 408, 409, 413, 415, 422, 429, 500, 501, 502, 503,
    504, 499,
];

#[test]
fn loads_and_every_cross_reference_holds() {
    match KnowledgeBase::load() {
        Ok(kb) => assert!(kb.validate().is_empty()),
        Err(e) => panic!("{e}"),
    }
}

#[test]
fn every_iana_code_is_known_and_registered() {
    let kb = kb();
    let missing: Vec<u16> = IANA.iter().copied().filter(|&c| kb.code(c).is_none()).collect();
    assert!(missing.is_empty(), "IANA codes missing: {missing:?}");
    for &c in IANA {
        assert!(kb.code(c).unwrap().registered(), "{c} should be registered (no vendor)");
    }
    // And nothing claims to be registered that is not.
    for c in kb.codes.iter().filter(|c| c.registered()) {
        assert!(IANA.contains(&c.code), "{} is marked registered but is not in the IANA registry", c.code);
    }
}

#[test]
fn every_vendor_code_is_known_with_its_vendor() {
    let kb = kb();
    for &c in VENDOR {
        let entry = kb.code(c).unwrap_or_else(|| panic!("vendor code {c} missing"));
        assert!(entry.vendor.is_some(), "{c} must name its vendor");
    }
    for c in [444, 460, 499] {
        assert_eq!(kb.code(c).unwrap().client_sees, Some(0), "{c} never reaches the client");
    }
    for c in [494, 495, 496, 497] {
        assert_eq!(kb.code(c).unwrap().client_sees, Some(400), "nginx sends {c} as 400");
    }
}

#[test]
fn heuristic_cacheability_follows_rfc_9110() {
    let cacheable = [200, 203, 204, 206, 300, 301, 308, 404, 405, 410, 414, 451, 501];
    for c in &kb().codes {
        if c.registered() {
            assert_eq!(c.cacheable, cacheable.contains(&c.code), "cacheable flag of {}", c.code);
        }
    }
}

#[test]
fn redirect_method_semantics() {
    use culprit_kb::RedirectMethod as R;
    let kb = kb();
    assert_eq!(kb.code(301).unwrap().redirect, Some(R::MayChangeToGet));
    assert_eq!(kb.code(302).unwrap().redirect, Some(R::MayChangeToGet));
    assert_eq!(kb.code(303).unwrap().redirect, Some(R::ChangesToGet));
    assert_eq!(kb.code(307).unwrap().redirect, Some(R::Preserved));
    assert_eq!(kb.code(308).unwrap().redirect, Some(R::Preserved));
}

#[test]
fn every_seed_code_has_the_full_picture() {
    let kb = kb();
    for &c in SEED {
        let d = kb.code(c).unwrap().detail.as_ref().unwrap_or_else(|| panic!("{c} has no detail"));
        assert!(!d.meaning.is_empty() && !d.fix.is_empty(), "{c}");
        assert!(!d.owner_when.is_empty(), "{c}: say when the owner changes");
        assert!(!d.checks.is_empty() && !d.causes.is_empty(), "{c}");
        assert!(!d.where_to_look.is_empty(), "{c}");
    }
    // Where the seeds disagree on the owner, both views are explained.
    for c in [400, 403, 404, 502, 503, 504] {
        assert!(kb.code(c).unwrap().detail.as_ref().unwrap().seeds_disagree.is_some(), "{c}");
    }
}

#[test]
fn every_cause_has_a_check_and_a_fix_and_design_ids_exist() {
    let kb = kb();
    for c in &kb.causes {
        assert!(!c.checks.is_empty(), "{} has no check", c.id);
        assert!(!c.fix.is_empty(), "{} has no fix", c.id);
    }
    // The starting set named in DESIGN.md.
    for id in [
        "ok",
        "client_closed_request",
        "body_too_large",
        "header_too_large",
        "proxy_rate_limited",
        "no_route",
        "redirect_loop",
        "upstream_connection_refused",
        "upstream_connect_timeout",
        "upstream_closed_prematurely",
        "upstream_connection_reset",
        "upstream_invalid_response",
        "upstream_header_too_big",
        "upstream_tls_failed",
        "upstream_timeout",
        "no_live_upstreams",
        "no_ready_endpoints",
        "circuit_open",
        "app_error",
        "app_not_implemented",
        "app_bad_gateway",
        "app_unavailable",
        "app_gateway_timeout",
        "app_rate_limited",
        "app_not_found",
        "app_client_error",
    ] {
        assert!(kb.cause(id).is_some(), "DESIGN.md cause {id} missing");
    }
}

#[test]
fn every_code_in_range_gets_an_answer() {
    let kb = kb();
    for code in 100..=599 {
        let r = kb.explain_code(code).unwrap_or_else(|| panic!("no answer for {code}"));
        assert_eq!(r.code, code);
        if kb.code(code).is_none() {
            assert!(r.unassigned);
            assert_eq!(r.treat_as, Some(code / 100 * 100));
        }
    }
    assert!(kb.explain_code(99).is_none());
    assert!(kb.explain_code(600).is_none());
}

#[test]
fn explain_502_lists_each_layer_that_can_generate_it() {
    let r = kb().explain_code(502).unwrap();
    let layers: Vec<String> = r.generated_at.iter().map(|l| l.layer.to_string()).collect();
    // Not cdn: Cloudflare reports origin failures as 52x, not 502.
    for l in ["load_balancer", "ingress", "mesh", "app"] {
        assert!(layers.contains(&l.to_string()), "502 should be generated at {l}: {layers:?}");
    }
    assert_eq!(r.owner, Owner::Devops);
    assert_eq!(r.causes[0].id, "upstream_connection_refused");
}

#[test]
fn query_parsing() {
    let kb = kb();
    assert_eq!(Query::parse("502", kb), Query::Code(502));
    assert_eq!(Query::parse(" 5xx ", kb), Query::Class(5));
    assert_eq!(Query::parse("4XX", kb), Query::Class(4));
    assert_eq!(Query::parse("299", kb), Query::Code(299));
    assert_eq!(Query::parse("009", kb), Query::LogStatus("009".into()));
    assert_eq!(Query::parse("-1", kb), Query::LogStatus("-1".into()));
    assert_eq!(Query::parse("42", kb), Query::NotAStatus("42".into()));
    assert_eq!(Query::parse("600", kb), Query::NotAStatus("600".into()));
    assert_eq!(Query::parse("0502", kb), Query::NotAStatus("0502".into()));
    assert_eq!(Query::parse("abc", kb), Query::Text("abc".into()));
}

fn top(query: &str) -> String {
    let r = kb().search(query);
    r.causes.first().map_or_else(|| panic!("no cause for {query:?}"), |h| h.id.clone())
}

#[test]
fn search_error_log_messages() {
    assert_eq!(top("upstream prematurely closed connection"), "upstream_closed_prematurely");
    assert_eq!(top("connect() failed (111: Connection refused)"), "upstream_connection_refused");
    assert_eq!(top("upstream sent too big header"), "upstream_header_too_big");
    assert_eq!(top("client intended to send too large body"), "body_too_large");
    assert_eq!(top("no live upstreams"), "no_live_upstreams");
    assert_eq!(
        top("2023/04/17 20:24:55 [error] 397#397: *56382572 upstream prematurely closed connection while reading \
             response header from upstream, client: 10.0.0.1, server: api, request: \"POST /token HTTP/1.1\""),
        "upstream_closed_prematurely"
    );
    assert_eq!(
        top("upstream timed out (110: Connection timed out) while reading response header from upstream"),
        "upstream_timeout"
    );
    assert_eq!(
        top("upstream timed out (110: Operation timed out) while connecting to upstream"),
        "upstream_connect_timeout"
    );
}

#[test]
fn search_flags_and_termination_states() {
    assert_eq!(top("UF"), "upstream_connection_refused");
    assert_eq!(top("UO"), "circuit_open");
    assert_eq!(top("UH"), "no_live_upstreams");
    assert_eq!(top("sH--"), "upstream_timeout");
    assert_eq!(top("SC--"), "upstream_connection_refused");
    assert_eq!(top("SH--"), "upstream_closed_prematurely");
    assert_eq!(top("PH--"), "upstream_invalid_response");
    let r = kb().search("sH--");
    assert_eq!(r.causes[0].why[0].how, MatchHow::Exact);
    assert_eq!(r.causes[0].why[0].field, "haproxy_state");
}

#[test]
fn search_headers_and_bodies() {
    let r = kb().search("server: awselb/2.0");
    assert_eq!(r.responders.first().map(|h| h.id.as_str()), Some("aws_alb"));
    assert!(!r.causes.is_empty(), "an ALB fingerprint should suggest causes");
    let r = kb().search("no healthy upstream");
    assert_eq!(r.causes[0].id, "no_live_upstreams");
    assert!(r.responders.iter().any(|h| h.id == "envoy"));
    assert_eq!(top("RBAC: access denied"), "proxy_access_denied");
}

#[test]
fn search_with_nothing_to_find_is_empty() {
    assert!(kb().search("abc").causes.is_empty());
    assert!(kb().search("").causes.is_empty());
    assert!(kb().search("xyzzy plugh").causes.is_empty());
}

#[test]
fn trees_and_chain() {
    let kb = kb();
    let t = kb.explain_tree("5xx").unwrap();
    assert_eq!(t.order[0], "in_ingress_log");
    assert_eq!(t.order.len(), t.tree.nodes.len(), "every node is reachable");
    assert!(kb.explain_tree("4XX").is_some());
    assert!(kb.explain_tree("3xx").is_none());
    let c = kb.explain_chain();
    assert_eq!(c.chain.steps.len(), 5);
    assert_eq!(c.chain.steps[1].check, "port_forward_bypass");
}

mod properties {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #[test]
        fn search_never_panics_and_is_sorted(q in ".{0,300}") {
            let r = kb().search(&q);
            prop_assert!(r.causes.windows(2).all(|w| w[0].score >= w[1].score));
            prop_assert!(r.causes.len() <= 10);
        }

        #[test]
        fn query_parse_total(q in ".{0,40}") {
            let _ = Query::parse(&q, kb());
        }

        #[test]
        fn any_three_digit_code_parses_as_code(n in 100u16..=599) {
            prop_assert_eq!(Query::parse(&n.to_string(), kb()), Query::Code(n));
        }
    }
}

/// Commands and configuration are printed verbatim (wrapping a shell line can break its quoting),
/// so each line must fit a 100-column report with its indentation.
#[test]
fn commands_and_examples_fit_the_report_width() {
    let kb = kb();
    let mut texts: Vec<(String, &str)> =
        kb.checks.iter().map(|c| (format!("check {}", c.id), c.command.as_str())).collect();
    for c in &kb.causes {
        if let Some(e) = &c.fix_example {
            texts.push((format!("cause {}", c.id), e));
        }
    }
    for c in &kb.codes {
        if let Some(e) = c.detail.as_ref().and_then(|d| d.fix_example.as_deref()) {
            texts.push((format!("code {}", c.code), e));
        }
    }
    for (what, text) in texts {
        for line in text.lines() {
            assert!(line.chars().count() <= 92, "{what}: line too long for a report:\n{line}");
        }
    }
}

/// A proxy that also runs on a VM reads its own codes: Apache's and Varnish's 503 mean the origin
/// refused or could not be reached, with their own logs to read — not Kubernetes endpoints.
#[test]
fn responders_that_run_anywhere_read_their_own_codes() {
    use culprit_kb::{Meaning, Platform};
    let kb = kb();
    let apache = kb.responder("apache").unwrap();
    assert_eq!(apache.platform, Platform::Any);
    assert_eq!(apache.means_for(503).unwrap().causes[0], "upstream_connection_refused");
    assert_eq!(apache.checks[0], "apache_error_log");
    let varnish = kb.responder("varnish").unwrap();
    let v503 = &varnish.means_for(503).unwrap().causes;
    assert!(v503.contains(&"upstream_timeout".to_owned()), "first_byte_timeout is a 503 in Varnish: {v503:?}");
    assert!(varnish.checks.contains(&"varnish_backends".to_owned()));
    for r in kb.responders.iter().filter(|r| r.platform == Platform::Any) {
        for m in &r.means {
            assert!(!m.causes.iter().any(|c| c == "no_ready_endpoints" || c == "pod_crash_looping"), "{}: {m:?}", r.id);
        }
        assert!(r.checks.iter().all(|c| !kb.check(c).unwrap().needs_kubernetes()), "{}", r.id);
    }
    assert!(kb.check("endpoints").unwrap().needs_kubernetes());
    assert!(!kb.check("varnish_log").unwrap().needs_kubernetes());

    // Validation refuses a meaning the cause cannot produce and a kubectl check on such a responder.
    let mut bad = KnowledgeBase::load().unwrap();
    let r = bad.responders.iter_mut().find(|r| r.id == "apache").unwrap();
    r.means.push(Meaning { code: 503, causes: vec!["body_too_large".into()] });
    r.checks.push("endpoints".into());
    let problems = bad.validate();
    assert!(problems.iter().any(|p| p.contains("body_too_large does not produce 503")), "{problems:#?}");
    assert!(problems.iter().any(|p| p.contains("check endpoints needs kubectl")), "{problems:#?}");
}

/// Every failure mode the probe can name has words, causes and checks that run without a cluster;
/// the client's own causes have no status code and say so.
#[test]
fn failure_modes_have_causes_and_checks() {
    let kb = kb();
    for id in ["connect_refused", "connect_timeout", "dns_failed", "tls_unknown_ca", "tls_wrong_name", "tls_expired"] {
        let f = kb.failure(id).unwrap_or_else(|| panic!("failure {id} missing"));
        assert!(!f.says.is_empty() && !f.causes.is_empty(), "{id}");
        assert!(f.checks.iter().any(|c| !kb.check(c).unwrap().needs_kubernetes()), "{id}");
    }
    let c = kb.cause("certificate_untrusted").unwrap();
    assert!(c.produces.is_empty());
    assert_eq!(top("curl: (60) SSL certificate problem: self-signed certificate"), "certificate_untrusted");
    assert_eq!(top("curl: (6) Could not resolve host: api.example.com"), "dns_name_not_resolved");
}
