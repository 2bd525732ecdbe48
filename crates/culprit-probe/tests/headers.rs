//! The headers the knowledge base's own text names are recognised where a person pastes or meets
//! them: by `culprit explain '<header>'` (the knowledge base's search) and by the probe's
//! fingerprinting of a response that carries them.

use std::collections::BTreeSet;

use culprit_kb::{EvidenceKind, MarkerKind, kb};
use culprit_probe::exchange::Response;
use culprit_probe::fingerprint::identify;

/// Headers the knowledge base names that are protocol or request headers, not fingerprints of a
/// component: recognising them is the job of the rate-limit decoder, the hygiene checks or the
/// text around them.
const NOT_FINGERPRINTS: &[(&str, &str)] = &[
    ("location", "redirect target, judged by the redirect checks"),
    ("allow", "405 hygiene"),
    ("retry-after", "decoded as a rate limit"),
    ("www-authenticate", "401 hygiene"),
    ("x-forwarded-for", "a request header the proxies append to"),
    ("x-forwarded-proto", "a request header the proxies set"),
    ("x-azure-debuginfo", "a request header that asks Front Door for X-Azure-OriginStatusCode"),
    ("x-ratelimit-remaining", "decoded as a rate limit"),
    ("x-ratelimit-reset", "decoded as a rate limit"),
    ("x-ratelimit-limit", "decoded as a rate limit"),
    ("x-request-id", "a correlation id any layer may set"),
    ("content-type", "protocol"),
    ("content-length", "protocol"),
    ("accept", "protocol"),
    ("expect", "protocol"),
    ("set-cookie", "protocol"),
    ("x-cache-hits", "a counter next to X-Served-By"),
    ("x-ratelimit", "the X-RateLimit-* family, decoded as rate limits"),
    ("transfer-encoding", "protocol"),
    ("non-authoritative-reason", "Chrome's own marker of an HSTS redirect, seen only in browser tools"),
    ("cf-error-details", "a class in Cloudflare's error page (a body marker), not a header"),
];

/// Header names in a piece of knowledge-base text: `Name:` before a value, and the `X-…`/`CF-…`
/// names it mentions in prose.
fn header_names(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let chars: Vec<char> = text.chars().collect();
    let mut i = 0;
    while i < chars.len() {
        let start_ok = i == 0 || !(chars[i - 1].is_ascii_alphanumeric() || chars[i - 1] == '-' || chars[i - 1] == '$');
        if !start_ok || !chars[i].is_ascii_alphabetic() {
            i += 1;
            continue;
        }
        let mut j = i;
        while j < chars.len() && (chars[j].is_ascii_alphanumeric() || chars[j] == '-') {
            j += 1;
        }
        let word: String = chars[i..j].iter().collect();
        let lower = word.to_ascii_lowercase();
        let colon_value = chars.get(j) == Some(&':') && chars.get(j + 1) == Some(&' ');
        let prefixed = (lower.starts_with("x-") || lower.starts_with("cf-")) && lower.len() > 3;
        let fingerprint_word = matches!(lower.as_str(), "server" | "via");
        // `Transfer-Encoding:` is a header; `ingress-nginx:` or `mid-request:` is prose.
        let header_case =
            word.contains('-') && word.split('-').all(|p| p.starts_with(|c: char| c.is_ascii_uppercase()));
        if prefixed || (colon_value && (header_case || fingerprint_word)) {
            out.push(lower.trim_end_matches('-').to_owned());
        }
        i = j.max(i + 1);
    }
    out
}

/// Every piece of knowledge-base text that can name a header.
fn kb_texts() -> Vec<(String, String)> {
    let kb = kb();
    let mut texts = Vec::new();
    for r in &kb.responders {
        texts.push((format!("responder {} note", r.id), r.note.clone()));
    }
    for c in &kb.causes {
        texts.push((format!("cause {}", c.id), format!("{} {} {}", c.title, c.summary, c.explanation)));
        for e in &c.evidence {
            texts.push((format!("cause {} evidence", c.id), e.text.clone()));
        }
    }
    for c in &kb.checks {
        texts.push((format!("check {}", c.id), c.look_for.clone()));
    }
    for c in &kb.codes {
        if let Some(d) = &c.detail {
            let text = format!("{} {} {} {}", d.meaning, d.infra_side, d.app_side, d.where_to_look.join(" "));
            texts.push((format!("code {}", c.code), text));
        }
    }
    texts
}

fn response(headers: &[(&str, &str)]) -> Response {
    Response {
        status: 503,
        reason: None,
        version: "HTTP/1.1".into(),
        headers: headers.iter().map(|(n, v)| ((*n).to_owned(), (*v).to_owned())).collect(),
        body: bytes::Bytes::new(),
        body_bytes: 0,
        capped: false,
    }
}

/// Whether the probe sees `responder` in a response carrying `header: value` (as the one who
/// answered, as one of the two readings of an answer the header alone does not settle, or on the
/// path).
fn probe_sees(header: &str, value: &str, responder: &str) -> bool {
    let name = kb().responder(responder).map_or(responder, |r| r.name.as_str());
    let who = identify(&response(&[(header, value)]));
    who.id == responder
        || who.alternative.as_ref().is_some_and(|a| a.id == responder)
        || who.on_path.iter().any(|p| p.starts_with(name))
}

fn explain_sees(line: &str, responder: &str) -> bool {
    kb().search(line).responders.iter().any(|h| h.id == responder)
}

/// Every header name the knowledge base's text mentions is a fingerprint some responder's markers
/// (or a cause's header evidence) know, or a protocol header listed with its reason.
#[test]
fn every_header_the_knowledge_base_names_is_known() {
    let kb = kb();
    let mut known: BTreeSet<String> = kb
        .responders
        .iter()
        .flat_map(|r| r.markers.iter())
        .filter(|m| m.kind == MarkerKind::Header)
        .filter_map(|m| m.name.clone())
        .collect();
    for c in &kb.causes {
        for e in c.evidence.iter().filter(|e| e.kind == EvidenceKind::Header) {
            known.insert(e.text.split(':').next().unwrap_or("").trim().to_ascii_lowercase());
        }
    }
    known.extend(NOT_FINGERPRINTS.iter().map(|(n, _)| (*n).to_owned()));
    let mut unknown = Vec::new();
    let mut seen = BTreeSet::new();
    for (where_, text) in kb_texts() {
        for name in header_names(&text) {
            seen.insert(name.clone());
            if !known.contains(&name) {
                unknown.push(format!("{name} (in {where_})"));
            }
        }
    }
    assert!(unknown.is_empty(), "headers the knowledge base names but nothing recognises:\n{unknown:#?}");
    // The walk finds what it should (guards the scanner itself).
    for name in ["x-cache", "via", "server", "x-varnish", "x-envoy-upstream-service-time", "cf-ray"] {
        assert!(seen.contains(name), "{name} not found in the knowledge base text: {seen:?}");
    }
}

/// Every header marker, written as a header line, is recognised by both faces: explain's search
/// and the probe's fingerprinting.
#[test]
fn every_header_marker_is_recognised_by_explain_and_probe() {
    for r in &kb().responders {
        for m in r.markers.iter().filter(|m| m.kind == MarkerKind::Header) {
            let name = m.name.as_deref().unwrap();
            let value = if m.text.is_empty() { "1".to_owned() } else { format!("1.1 {}", m.text) };
            let line = format!("{name}: {value}");
            assert!(explain_sees(&line, &r.id), "explain does not recognise {line:?} as {}", r.id);
            assert!(probe_sees(name, &value, &r.id), "probe does not recognise {line:?} as {}", r.id);
        }
    }
}

/// The header lines the knowledge base's notes describe, as they appear in real responses.
#[test]
fn real_header_lines() {
    let lines = [
        ("x-cache", "Error from cloudfront", "cloudfront"),
        ("x-cache", "Hit from cloudfront", "cloudfront"),
        ("via", "1.1 abcdef0123456789.cloudfront.net (CloudFront)", "cloudfront"),
        ("x-amz-cf-pop", "IAD79-C3", "cloudfront"),
        ("server", "CloudFront", "cloudfront"),
        ("Via", "1.1 varnish (Varnish/7.1)", "varnish"),
        ("X-Varnish", "32770 3", "varnish"),
        ("Server", "Varnish", "varnish"),
        ("server", "Apache/2.4.57 (Debian)", "apache"),
        ("Server", "nginx/1.22.1", "nginx"),
        ("server", "envoy", "envoy"),
        ("server", "istio-envoy", "envoy"),
        ("x-envoy-upstream-service-time", "12", "envoy"),
        ("x-envoy-overloaded", "true", "envoy"),
        ("Server", "Caddy", "caddy"),
        ("Via", "1.1 Caddy", "caddy"),
        ("Server", "kong/3.9.0", "kong"),
        ("X-Kong-Response-Latency", "1", "kong"),
        ("X-Kong-Upstream-Latency", "13", "kong"),
        ("Server", "awselb/2.0", "aws_alb"),
        ("x-amzn-waf-action", "captcha", "aws_alb"),
        ("via", "1.1 google", "google_lb"),
        ("server", "Google Frontend", "google_lb"),
        ("Server", "Microsoft-Azure-Application-Gateway/v2", "azure_appgw"),
        ("X-Azure-Ref", "0zxV1ZAAAAAC", "azure_front_door"),
        ("X-Azure-OriginStatusCode", "503", "azure_front_door"),
        ("server", "cloudflare", "cloudflare"),
        ("cf-ray", "8a1b2c3d4e5f6a7b-AMS", "cloudflare"),
        ("cf-mitigated", "challenge", "cloudflare"),
        ("Server", "AkamaiGHost", "akamai"),
        ("X-Served-By", "cache-ams4449-AMS", "fastly"),
        ("X-Timer", "S1494539468.150815,VS0,VE1", "fastly"),
    ];
    for (name, value, responder) in lines {
        let line = format!("{name}: {value}");
        assert!(explain_sees(&line, responder), "explain does not recognise {line:?} as {responder}");
        assert!(probe_sees(name, value, responder), "probe does not recognise {line:?} as {responder}");
    }
}

#[test]
fn the_scanner_finds_header_names() {
    assert_eq!(
        header_names("Server: CloudFront and X-Cache: Error from cloudfront; via: 1.1 google, cf-ray, $upstream_addr"),
        ["server", "x-cache", "via", "cf-ray"]
    );
    assert!(header_names("the server: it answered").contains(&"server".to_owned()));
}
