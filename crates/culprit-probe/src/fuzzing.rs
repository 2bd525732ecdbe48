//! Entry points shared by the fuzz targets (`fuzz/`) and the property tests: everything the probe
//! does with bytes a server chose must return, never panic.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use crate::exchange::Response;

/// Reads `data` as `Name: value` header lines, a blank line, then a body, and runs every analysis
/// of a response on it: who answered, rate limits, API hygiene.
pub fn analyse_response(status: u16, data: &[u8]) -> usize {
    let text = String::from_utf8_lossy(data);
    let (head, body) = text.split_once("\n\n").unwrap_or((&text, ""));
    let headers = head
        .lines()
        .filter_map(|l| l.split_once(':'))
        .map(|(n, v)| (n.trim().to_owned(), v.trim().to_owned()))
        .collect();
    let response = Response {
        status,
        reason: None,
        version: "HTTP/1.1".into(),
        headers,
        body: bytes::Bytes::from(body.as_bytes().to_vec()),
        body_bytes: body.len() as u64,
        capped: false,
    };
    let responder = crate::fingerprint::identify(&response);
    let now = UNIX_EPOCH + Duration::from_secs(1_795_329_000);
    let limits = crate::ratelimit::decode(&response, now);
    for l in &limits {
        let _ = l.describe();
    }
    let _ = crate::ratelimit::decode(&response, SystemTime::now());
    let lints = crate::lint::check(&http::Method::POST, &response, &responder);
    let _ = crate::fingerprint::causes_at(status, &responder);
    let _ = crate::fingerprint::reading(status, &responder, false);
    let _ = crate::fingerprint::reading(status, &responder, true);
    let _ = crate::fingerprint::kubernetes_component(&response);
    limits.len() + lints.len()
}

/// The user-typed inputs: URLs, `--resolve` and `--connect-to` specs.
pub fn parse_inputs(text: &str) {
    let _ = crate::probe::parse_url(text);
    let _ = crate::options::parse_override(text, false);
    let _ = crate::options::parse_override(text, true);
}
