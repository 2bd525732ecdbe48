//! The knowledge base's contract: complete, consistent, and answering the questions it exists for.

use culprit_kb::cards::{Card, IdKind};
use culprit_kb::explain::Query;
use culprit_kb::search::MatchHow;
use culprit_kb::{EvidenceKind, KnowledgeBase, Owner, kb};

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
    // Inside a pasted line, a flag or state still finds its causes, ranked as its entry ranks them.
    assert_eq!(top("UF"), "upstream_connection_refused");
    assert_eq!(top("UO"), "circuit_open");
    assert_eq!(top("UH"), "no_live_upstreams");
    assert_eq!(top("sH--"), "upstream_timeout");
    assert_eq!(top("SH--"), "upstream_closed_prematurely");
    assert_eq!(top("PH--"), "upstream_invalid_response");
    let r = kb().search("sH--");
    assert_eq!(r.causes[0].why[0].how, MatchHow::Exact);
    assert_eq!(r.causes[0].why[0].field, "haproxy_state");
    assert_eq!(r.causes[0].why[0].status, Some(504), "the status HAProxy answers with sH");
    let line = r#"[2024-05-01T10:00:00.000Z] "GET /api HTTP/1.1" 503 UF,URX 0 91 3 - "-" "curl/8" "id" "api" "10.244.1.5:8080""#;
    let r = kb().search(line);
    assert_eq!(r.causes[0].id, "upstream_connection_refused");
    assert_eq!(r.causes[0].why[0].status, Some(503));
}

#[test]
fn search_headers_and_bodies() {
    // A header without a status says who answered, not why: the causes per status it generates,
    // not a ranking of them all.
    let r = kb().search("server: awselb/2.0");
    assert_eq!(r.responders.first().map(|h| h.id.as_str()), Some("aws_alb"));
    assert!(r.causes.is_empty(), "no arbitrary ranking: {:?}", r.causes.iter().map(|c| &c.id).collect::<Vec<_>>());
    let by_status = &r.responders[0].by_status;
    let at = |code: u16| by_status.iter().find(|m| m.code == code).map(|m| m.causes[0].as_str());
    assert_eq!(
        (at(502), at(503), at(504)),
        (Some("keepalive_timeout_mismatch"), Some("no_ready_endpoints"), Some("upstream_timeout"))
    );
    // With the status, that status's causes there, ranked.
    let r = kb().search("server: awselb/2.0 503");
    assert_eq!(r.causes.first().map(|c| c.id.as_str()), Some("no_ready_endpoints"));
    assert!(r.responders[0].by_status.is_empty());
    // A passthrough marker or a component's page gets the same per-status reading; a CDN's is not
    // the Kubernetes words of a connection refused.
    let r = kb().search("cf-ray: 8abc-FRA");
    assert!(r.causes.is_empty() && r.responders[0].by_status.iter().any(|m| m.code == 521));
    let r = kb().search("Backend fetch failed");
    assert!(r.causes.is_empty(), "{:?}", r.causes.iter().map(|c| &c.id).collect::<Vec<_>>());
    assert_eq!(r.responders[0].by_status[0].code, 503);
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

/// Every flag in Envoy's access-log documentation (usage.rst, `%RESPONSE_FLAGS%`) and in
/// source/common/stream_info/utility.h (CORE_RESPONSE_FLAGS), short and long names.
const ENVOY_FLAGS: &[(&str, &str)] = &[
    ("UH", "NoHealthyUpstream"),
    ("UF", "UpstreamConnectionFailure"),
    ("UO", "UpstreamOverflow"),
    ("NR", "NoRouteFound"),
    ("URX", "UpstreamRetryLimitExceeded"),
    ("NC", "NoClusterFound"),
    ("DT", "DurationTimeout"),
    ("DC", "DownstreamConnectionTermination"),
    ("LH", "FailedLocalHealthCheck"),
    ("UT", "UpstreamRequestTimeout"),
    ("LR", "LocalReset"),
    ("UR", "UpstreamRemoteReset"),
    ("UC", "UpstreamConnectionTermination"),
    ("DI", "DelayInjected"),
    ("FI", "FaultInjected"),
    ("RL", "RateLimited"),
    ("UAEX", "UnauthorizedExternalService"),
    ("RLSE", "RateLimitServiceError"),
    ("SI", "StreamIdleTimeout"),
    ("IH", "InvalidEnvoyRequestHeaders"),
    ("DPE", "DownstreamProtocolError"),
    ("UPE", "UpstreamProtocolError"),
    ("UMSDR", "UpstreamMaxStreamDurationReached"),
    ("RFCF", "ResponseFromCacheFilter"),
    ("NFCF", "NoFilterConfigFound"),
    ("OM", "OverloadManagerTerminated"),
    ("DF", "DnsResolutionFailed"),
    ("DO", "DropOverload"),
    ("DR", "DownstreamRemoteReset"),
    ("UDO", "UnconditionalDropOverload"),
];

#[test]
fn every_envoy_flag_is_known_with_its_long_name() {
    let kb = kb();
    for &(short, long) in ENVOY_FLAGS {
        let flag = kb.envoy_flag(short).unwrap_or_else(|| panic!("Envoy flag {short} missing"));
        assert_eq!(flag.long, long, "{short}");
    }
    for f in &kb.envoy_flags {
        assert!(ENVOY_FLAGS.iter().any(|&(s, _)| s == f.short), "{} is not an Envoy flag", f.short);
    }
    // Only flags that mark no fault may name no cause.
    let causeless: Vec<&str> =
        kb.envoy_flags.iter().filter(|f| f.causes.is_empty()).map(|f| f.short.as_str()).collect();
    assert_eq!(causeless, ["DT"]);
}

#[test]
fn envoy_flags_carry_the_status_envoy_answers() {
    let kb = kb();
    let statuses = |f: &str| kb.envoy_flag(f).unwrap().statuses.clone();
    for f in ["UH", "UF", "UO", "NC", "LH", "LR", "UR", "UC", "OM", "DF", "DO", "UDO"] {
        assert_eq!(statuses(f), [503], "{f}");
    }
    assert_eq!(statuses("NR"), [404]);
    assert_eq!(statuses("UT"), [504]);
    assert_eq!(statuses("RL"), [429]);
    assert_eq!(statuses("UPE"), [502]);
    assert_eq!(statuses("NFCF"), [500]);
    assert_eq!(statuses("SI"), [504, 408]);
    assert_eq!(statuses("UMSDR"), [504, 408]);
    assert!(statuses("URX").is_empty() && statuses("FI").is_empty() && statuses("DC").is_empty());
    assert_eq!(kb.envoy_flag("DC").unwrap().logged.as_deref(), Some("0"));
    // UF is a connection failure: refused, timed out or TLS, not "refused" alone.
    assert_eq!(
        kb.envoy_flag("UF").unwrap().causes,
        ["upstream_connection_refused", "upstream_connect_timeout", "upstream_tls_failed"]
    );
}

/// The characters HAProxy's manual defines for each position of a termination state.
const HAPROXY_CHARS: [&str; 4] = ["CSPLRIDUKcs-", "RQCHDLT-", "NIDVEOU-", "NIUPRD-"];

#[test]
fn every_termination_state_character_is_known() {
    let kb = kb();
    for (i, chars) in HAPROXY_CHARS.iter().enumerate() {
        let position = u8::try_from(i + 1).unwrap();
        for ch in chars.chars() {
            let c = kb.haproxy_char(position, ch).unwrap_or_else(|| panic!("'{ch}' at position {position} missing"));
            assert!(!c.meaning.is_empty());
        }
        let known = kb.haproxy_chars.iter().filter(|c| c.position == position).count();
        assert_eq!(known, chars.chars().count(), "position {position} has characters HAProxy does not define");
    }
}

#[test]
fn every_pair_of_state_characters_is_explained() {
    let kb = kb();
    for first in HAPROXY_CHARS[0].chars() {
        for second in HAPROXY_CHARS[1].chars() {
            for state in [format!("{first}{second}"), format!("{first}{second}--")] {
                let r = kb.explain_signal(&state).unwrap_or_else(|| panic!("{state} not read"));
                // Two characters that are also an Envoy flag (`UH`, `RL`) and not a pair HAProxy
                // commonly writes read as Envoy's; the four-character form reads as HAProxy's.
                if r.haproxy_states.is_empty() {
                    assert!(!r.envoy_flags.is_empty() && state.len() == 2, "{state} not read as HAProxy");
                    assert_eq!(r.unlikely_haproxy_state.as_deref(), Some(format!("{state}--").as_str()));
                    continue;
                }
                let a = &r.haproxy_states[0];
                assert_eq!(a.characters.len(), state.chars().count(), "{state}");
                assert_eq!(a.characters[0].ch, first.to_string());
                assert_eq!(a.characters[1].ch, second.to_string());
                if let Some(pair) = &a.pair {
                    assert!(!pair.statuses.is_empty() || pair.status_note.is_some(), "{state}: say the status");
                }
            }
        }
    }
}

#[test]
fn termination_states_carry_the_status_haproxy_answers() {
    let kb = kb();
    let state = |s: &str| kb.explain_signal(s).unwrap().haproxy_states.remove(0);
    assert_eq!(state("SC--").statuses, [503], "HAProxy answers 503 when the server refuses");
    assert_eq!(state("sC--").statuses, [503]);
    assert_eq!(state("SH--").statuses, [502]);
    assert_eq!(state("sH--").statuses, [504]);
    assert_eq!(state("cR--").statuses, [408]);
    assert_eq!(state("CC--").logged.as_deref(), Some("-1"));
    for s in ["CD--", "CH--", "cD--"] {
        let a = state(s);
        assert!(!a.statuses.contains(&460) && !a.statuses.contains(&499), "{s}: not an ALB or nginx code");
        assert_eq!(a.causes[0].id, "client_closed_request", "{s}");
    }
    let pr = state("PR--");
    assert!(pr.statuses.contains(&400) && pr.statuses.contains(&403));
    assert_eq!(state("SC").characters.len(), 2, "TCP logs write two characters");
    // A pair the data does not list is read from its characters; its first decides the causes.
    let kd = state("KD--");
    assert!(kd.pair.is_none() && kd.causes.is_empty());
    assert_eq!(state("sL--").causes[0].id, "upstream_timeout");
}

#[test]
fn flag_combinations_count_each_flag() {
    let kb = kb();
    for input in ["UF,URX", "UF|URX", "UF URX", "UpstreamConnectionFailure,UpstreamRetryLimitExceeded"] {
        let r = kb.explain_signal(input).unwrap_or_else(|| panic!("{input}"));
        let shorts: Vec<&str> = r.envoy_flags.iter().map(|f| f.flag.short.as_str()).collect();
        assert_eq!(shorts, ["UF", "URX"], "{input}");
    }
    assert!(kb.explain_signal("uf").is_some(), "a lone flag in any case");
    assert!(kb.explain_signal("UF,XX").is_none(), "every part must be a flag");
    // Two letters can be both an Envoy flag and an HAProxy state: both readings are given.
    let r = kb.explain_signal("LR").unwrap();
    assert_eq!(r.envoy_flags.len(), 1);
    assert_eq!(r.haproxy_states.len(), 1);
}

#[test]
fn pasted_status_lines_are_the_code() {
    let kb = kb();
    for (input, code) in [
        ("502 Bad Gateway", 502),
        ("504 Gateway Timeout", 504),
        ("504 Gateway Time-out", 504),
        ("HTTP/1.1 502", 502),
        ("HTTP/2 503", 503),
        ("HTTP/1.0 404 Not Found", 404),
        ("HTTP/1.1 503 Service Temporarily Unavailable", 503),
        ("http 502", 502),
        ("status=502", 502),
        ("status: 502", 502),
        ("\"status\":502", 502),
        ("{\"status\": 502}", 502),
        ("status_code=429", 429),
        ("502 (Bad Gateway)", 502),
        ("Bad Gateway", 502),
        ("gateway timeout", 504),
        ("BAD GATEWAY", 502),
        ("Request Entity Too Large", 413),
        ("499 Client Closed Request", 499),
    ] {
        assert_eq!(Query::parse(input, kb), Query::Code(code), "{input}");
    }
    assert_eq!(Query::parse("HTTP/1.1 600", kb), Query::NotAStatus("600".into()));
    assert_eq!(Query::parse("status=42", kb), Query::NotAStatus("42".into()));
    // A code followed by anything but its reason phrase is text, and so are error messages whose
    // digits are an address or an errno, and vendor names that read like messages.
    for text in [
        "502 upstream prematurely closed connection",
        r#"connect() failed (111: Connection refused) while connecting to upstream, client: 10.0.0.1, upstream: "http://10.244.1.5:8080/""#,
        "upstream timed out (110: Connection timed out)",
        "Connection Timed Out",
        "404 page not found",
    ] {
        assert!(matches!(Query::parse(text, kb), Query::Text(_)), "{text}: {:?}", Query::parse(text, kb));
    }
}

#[test]
fn ids_flags_and_states_are_recognised() {
    let kb = kb();
    assert_eq!(
        Query::parse("upstream_connection_refused", kb),
        Query::Id("upstream_connection_refused".into(), IdKind::Cause)
    );
    assert_eq!(Query::parse("service_ports", kb), Query::Id("service_ports".into(), IdKind::Check));
    assert_eq!(Query::parse("ingress", kb), Query::Id("ingress".into(), IdKind::Layer));
    assert_eq!(Query::parse("envoy", kb), Query::Id("envoy".into(), IdKind::Responder));
    assert_eq!(Query::parse("assume_502_means_down", kb), Query::Id("assume_502_means_down".into(), IdKind::Mistake));
    assert_eq!(Query::parse("connect_refused", kb), Query::Id("connect_refused".into(), IdKind::Failure));
    assert_eq!(Query::parse("method_changed", kb), Query::Id("method_changed".into(), IdKind::RedirectNote));
    assert_eq!(Query::parse("body_on_no_content", kb), Query::Id("body_on_no_content".into(), IdKind::Mistake));
    assert_eq!(Query::parse("ok", kb), Query::Id("ok".into(), IdKind::Cause), "an exact id wins over a reason phrase");
    assert_eq!(Query::parse("OK", kb), Query::Code(200));
    assert_eq!(Query::parse("UF,URX", kb), Query::Signal("UF,URX".into()));
    assert_eq!(Query::parse("cD--", kb), Query::Signal("cD--".into()));
    assert!(matches!(Query::parse("sc--", kb), Query::Text(_)), "state characters are case-sensitive");
}

#[test]
fn every_id_has_its_own_card() {
    let kb = kb();
    let ids = kb
        .causes
        .iter()
        .map(|c| (c.id.clone(), IdKind::Cause))
        .chain(kb.checks.iter().map(|c| (c.id.clone(), IdKind::Check)))
        .chain(kb.layers.iter().map(|l| (l.id.id().to_string(), IdKind::Layer)))
        .chain(kb.responders.iter().map(|r| (r.id.clone(), IdKind::Responder)))
        .chain(kb.mistakes.iter().map(|m| (m.id.clone(), IdKind::Mistake)))
        .chain(kb.failures.iter().map(|f| (f.id.clone(), IdKind::Failure)))
        // A lint is its mistake's check: the mistake's card shows it.
        .chain(kb.lints.iter().map(|l| (l.id.clone(), IdKind::Mistake)))
        // A note named like the cause it points to is that cause's card.
        .chain(kb.redirect_notes.iter().map(|n| {
            let kind = if n.causes.contains(&n.id) { IdKind::Cause } else { IdKind::RedirectNote };
            (n.id.clone(), kind)
        }));
    for (id, kind) in ids {
        let card = kb.explain_id(&id).unwrap_or_else(|| panic!("no card for {id}"));
        assert_eq!(card.kind(), kind, "{id}");
        let named = match &card {
            Card::Cause(r) => r.cause.id.clone(),
            Card::Check(r) => r.check.id.clone(),
            Card::Layer(r) => r.layer.id.id().to_string(),
            Card::Responder(r) => r.responder.id.clone(),
            Card::Mistake(r) => r.mistake.id.clone(),
            Card::Failure(r) => r.failure.id.clone(),
            Card::RedirectNote(r) => r.note.id.clone(),
        };
        assert_eq!(named, id, "the card of {id} is about {named}");
    }
    // The cards carry the probe's words: a lint in its mistake's card, a note in its cause's.
    let Some(Card::Mistake(m)) = kb.explain_id("missing_retry_after") else { panic!("a mistake card") };
    assert_eq!(m.lint.as_ref().map(|l| l.statuses.as_slice()), Some([429, 503].as_slice()));
    let Some(Card::Cause(c)) = kb.explain_id("redirect_loop") else { panic!("a cause card") };
    assert!(c.redirect_notes.iter().any(|n| n.id == "redirect_loop"), "{c:#?}");
    let Some(Card::Cause(c)) = kb.explain_id("server_not_listening") else { panic!("a cause card") };
    assert!(c.failures.iter().any(|f| f.id == "connect_refused"), "{c:#?}");
}

/// The probe's lints and redirect notes: words with declared placeholders, filled in once, and
/// validation that names what drifted.
#[test]
fn probe_messages_are_data_with_declared_placeholders() {
    use culprit_kb::Worded;
    let kb = kb();
    let l = kb.lint("missing_retry_after").unwrap();
    assert_eq!(
        l.render(None, &[("status", "429")]),
        "429 without Retry-After: clients retry at once, making the overload worse"
    );
    let n = kb.redirect_note("redirect_loop").unwrap();
    let flip = n.render(Some("scheme_flip"), &[("chain", "http://a/ → https://a/ → http://a/")]);
    assert!(
        flip.starts_with("redirect loop: http://a/ → https://a/ → http://a/. One layer")
            && flip.contains("X-Forwarded-Proto")
    );

    let mut bad = KnowledgeBase::load().unwrap();
    bad.lints[0].message.push_str(" {undeclared}");
    bad.lints[1].fills.push("unused".into());
    bad.lints[2].id = "not_a_mistake".into();
    let note = bad.redirect_notes.iter_mut().find(|n| n.id == "method_changed").unwrap();
    note.causes.push("no_such_cause".into());
    note.statuses.push(404);
    bad.failures[0].says.push_str(" {path}");
    let problems = bad.validate();
    for expected in [
        "{undeclared} is not declared in fills",
        "fills declares unused, which no message uses",
        "lint not_a_mistake: not a mistake id",
        "redirect note method_changed: unknown cause no_such_cause",
        "redirect note method_changed: 404 is not a known redirect status",
        "says uses {path}",
    ] {
        assert!(problems.iter().any(|p| p.contains(expected)), "{expected}: {problems:#?}");
    }
    // A note may share its id only with a cause it names.
    let mut bad = KnowledgeBase::load().unwrap();
    bad.redirect_notes.iter_mut().find(|n| n.id == "redirect_loop").unwrap().causes.clear();
    assert!(bad.validate().iter().any(|p| p.contains("id redirect_loop names both")), "{:#?}", bad.validate());
}

#[test]
fn flags_and_states_become_evidence_of_their_causes() {
    let kb = kb();
    let refused = kb.cause("upstream_connection_refused").unwrap();
    let uf = refused.evidence.iter().find(|e| e.kind == EvidenceKind::EnvoyFlag && e.text == "UF").unwrap();
    assert_eq!(uf.status, Some(503));
    let sc = refused.evidence.iter().find(|e| e.kind == EvidenceKind::HaproxyState && e.text == "SC").unwrap();
    assert_eq!(sc.status, Some(503));
    // A state with several statuses gives each cause the one it produces.
    let body = kb.cause("body_too_large").unwrap();
    assert_eq!(body.evidence.iter().find(|e| e.text == "PR").and_then(|e| e.status), Some(413));
}

#[test]
fn search_reads_codes_only_from_tokens_that_state_them() {
    let line = r#"2024/05/01 10:00:00 [error] 31#31: *1 connect() failed (111: Connection refused) while connecting to upstream, client: 10.0.0.1, server: shop, request: "GET / HTTP/1.1", upstream: "http://10.244.1.5:8080/", host: "shop""#;
    let r = kb().search(line);
    assert!(r.codes.is_empty(), "no code in an error line: {:?}", r.codes);
    assert_eq!(r.causes[0].id, "upstream_connection_refused");
    assert_eq!(r.causes[0].why[0].status, Some(502), "nginx answers 502 for that message");
    let access = r#"10.0.0.1 - - [01/May/2024:10:00:00 +0000] "GET / HTTP/1.1" 502 157 "-" "curl/8""#;
    assert_eq!(kb().search(access).codes, [502], "157 bytes is not a code the knowledge base knows");
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

/// A Kubernetes reason the cluster checks read leads to its cause; an event reason with several
/// meanings is told apart by its message.
#[test]
fn kubernetes_reasons_lead_to_their_causes() {
    let kb = kb();
    assert_eq!(Query::parse("ImagePullBackOff", kb), Query::KubernetesReason("ImagePullBackOff".into()));
    assert_eq!(Query::parse("oomkilled", kb), Query::KubernetesReason("oomkilled".into()));
    let r = kb.explain_kubernetes_reason("ImagePullBackOff").unwrap();
    assert_eq!(r.schema, culprit_kb::explain::KUBERNETES_REASON_SCHEMA);
    assert_eq!(r.reasons[0].card.cause.id, "no_ready_endpoints");
    assert_eq!(kb.explain_kubernetes_reason("CrashLoopBackOff").unwrap().reasons[0].card.cause.id, "pod_crash_looping");
    assert_eq!(kb.explain_kubernetes_reason("Unhealthy").unwrap().reasons.len(), 2);
    let line = "Warning  Unhealthy  pod/shop-1  Liveness probe failed: Get \"http://10.0.0.1:8080/healthz\": timeout";
    let r = kb.explain_kubernetes_reason(line).unwrap();
    assert_eq!((r.reasons.len(), r.reasons[0].card.cause.id.as_str()), (1, "pod_crash_looping"));
    // Free text that merely contains the word in another case is not a reason.
    assert!(matches!(Query::parse("the pod is unhealthy today", kb), Query::Text(_)));
}

/// A code only some components answer for a cause says which, and is backed by evidence with that
/// status: Caddy's body limit is a 502, nginx's a 413.
#[test]
fn component_only_productions_say_which_component() {
    let kb = kb();
    let r = kb.explain_code(502).unwrap();
    let ingress = r.generated_at.iter().find(|l| l.layer == culprit_kb::Layer::Ingress).unwrap();
    let body = ingress.causes.iter().find(|c| c.cause == "body_too_large").unwrap();
    assert_eq!(body.only, ["caddy"]);
    let evidence = &kb.cause("body_too_large").unwrap().evidence;
    assert!(evidence.iter().any(|e| e.status == Some(502) && e.kind == culprit_kb::EvidenceKind::CaddyLog));
    // The status is known: the checks' `<status>` is filled in.
    let r = kb.explain_code(504).unwrap();
    assert!(r.checks.iter().all(|c| !c.command.contains("<status>")), "{:?}", r.checks[0].command);
    assert!(r.checks[0].command.contains("'\" 504 '"), "{}", r.checks[0].command);
}

#[test]
fn finding_texts_render_and_are_validated() {
    use culprit_kb::{fill_template, template_placeholders};
    let kb = kb();
    assert!(kb.findings.len() >= 60, "the cluster checks' findings are in findings.toml");
    for f in &kb.findings {
        let values: Vec<(&str, String)> = f.params.iter().map(|p| (p.as_str(), format!("<{p}>"))).collect();
        let values: Vec<(&str, &str)> = values.iter().map(|(k, v)| (*k, v.as_str())).collect();
        for (field, template) in [("title", Some(&f.title)), ("fix", f.fix.as_ref())] {
            let Some(template) = template else { continue };
            let rendered = fill_template(template, &values);
            assert!(template_placeholders(template).is_ok(), "{} {field}", f.id);
            for p in &f.params {
                assert!(!rendered.contains(&format!("{{{p}}}")), "{} {field}: {{{p}}} left in {rendered}", f.id);
            }
            assert!(!rendered.starts_with('\n') && !rendered.ends_with('\n'), "{} {field}: {rendered:?}", f.id);
        }
        assert!(f.params.iter().all(|p| values.iter().any(|(k, _)| k == p)));
        if let Some(cause) = &f.cause {
            assert!(kb.cause(cause).is_some(), "{}: {cause}", f.id);
        }
    }
    let f = kb.finding("rule_without_paths").unwrap();
    let fix = fill_template(f.fix.as_deref().unwrap(), &[("host", "x")]);
    assert!(fix.ends_with("service: {name: …, port: {number: 80}}"), "literal braces: {fix}");
    assert_eq!(
        fill_template(&kb.finding("route_no_ready_endpoints").unwrap().title, &[("service", "checkout")]),
        "Service checkout has no ready endpoints"
    );
    assert_eq!(template_placeholders("a {b} {{c}} {d_2}"), Ok(vec!["b", "d_2"]));
    for bad in ["a {b", "a }", "{B}", "{}", "{a b}"] {
        assert!(template_placeholders(bad).is_err(), "{bad}");
    }

    let mut bad = KnowledgeBase::load().unwrap();
    let f = bad.findings.iter_mut().find(|f| f.id == "route_no_ready_endpoints").unwrap();
    f.cause = Some("no_such_cause".into());
    f.title = "Service {service} on {port} has {{no}} ready endpoints".into();
    f.params.push("unused".into());
    bad.findings.iter_mut().find(|f| f.id == "no_pre_stop_hook").unwrap().fix = Some("lifecycle: { preStop".into());
    let problems = bad.validate();
    for want in [
        "unknown cause no_such_cause",
        "uses {port}, which is not in params",
        "param unused is used by neither",
        "finding no_pre_stop_hook: fix: a '{' that is never closed",
    ] {
        assert!(problems.iter().any(|p| p.contains(want)), "{want}: {problems:#?}");
    }
}
