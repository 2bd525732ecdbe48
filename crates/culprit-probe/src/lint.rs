//! API hygiene: what RFC 9110 requires with a status, and the seeds' common mistakes, checked on
//! one response. Each rule is the check for a knowledge-base mistake and reports its id; the
//! conditions are here, the words in the knowledge base (`data/probe.toml`, `[[lint]]`).

use culprit_kb::{Worded, kb};

use crate::exchange::Response;
use crate::fingerprint::Responder;

#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Lint {
    /// The rule's id (`missing_location_on_201`, `body_on_no_content`…): the knowledge base's
    /// mistake it checks, so `culprit explain <id>` tells the whole story.
    pub id: &'static str,
    pub message: String,
}

/// Every rule this module checks, by the id the knowledge base gives it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Rule {
    StatusInBody,
    MissingLocationOn201,
    BodyOnNoContent,
    RedirectWithoutLocation,
    Confuse401403,
    MissingAllowOn405,
    MissingRetryAfter,
    RedirectPostWith301302,
    MissingProxyBodySize,
}

impl Rule {
    pub const ALL: [Rule; 9] = [
        Rule::StatusInBody,
        Rule::MissingLocationOn201,
        Rule::BodyOnNoContent,
        Rule::RedirectWithoutLocation,
        Rule::Confuse401403,
        Rule::MissingAllowOn405,
        Rule::MissingRetryAfter,
        Rule::RedirectPostWith301302,
        Rule::MissingProxyBodySize,
    ];

    /// The knowledge base's lint (and mistake) id.
    pub fn id(self) -> &'static str {
        match self {
            Rule::StatusInBody => "status_in_body",
            Rule::MissingLocationOn201 => "missing_location_on_201",
            Rule::BodyOnNoContent => "body_on_no_content",
            Rule::RedirectWithoutLocation => "redirect_without_location",
            Rule::Confuse401403 => "confuse_401_403",
            Rule::MissingAllowOn405 => "missing_allow_on_405",
            Rule::MissingRetryAfter => "missing_retry_after",
            Rule::RedirectPostWith301302 => "redirect_post_with_301_302",
            Rule::MissingProxyBodySize => "missing_proxy_body_size",
        }
    }

    /// The wordings other than the main one that the checks below pick.
    pub fn variants(self) -> &'static [&'static str] {
        match self {
            Rule::MissingProxyBodySize => &[APPLICATION],
            _ => &[],
        }
    }
}

/// The 413's wording when the application wrote it.
const APPLICATION: &str = "application";

/// The finding for `rule`, in the knowledge base's words (`variant` picks another wording).
fn lint(rule: Rule, variant: Option<&str>, values: &[(&str, &str)]) -> Lint {
    let words = kb().lint(rule.id()).unwrap_or_else(|| panic!("probe.toml has no lint {}", rule.id()));
    Lint { id: rule.id(), message: words.render(variant, values) }
}

/// Checks one response to a request sent with `method`.
pub fn check(method: &http::Method, response: &Response, responder: &Responder) -> Vec<Lint> {
    let mut out = Vec::new();
    let status = response.status;
    let code = status.to_string();
    let has = |name: &str| response.header(name).is_some();
    if status == 200 && error_shaped(response) {
        out.push(lint(Rule::StatusInBody, None, &[]));
    }
    if status == 201 && !has("location") {
        out.push(lint(Rule::MissingLocationOn201, None, &[]));
    }
    if matches!(status, 204 | 304) && response.body_bytes > 0 {
        let bytes = response.body_bytes.to_string();
        out.push(lint(Rule::BodyOnNoContent, None, &[("status", &code), ("bytes", &bytes)]));
    }
    if matches!(status, 301 | 302 | 303 | 307 | 308) && !has("location") {
        out.push(lint(Rule::RedirectWithoutLocation, None, &[("status", &code)]));
    }
    if status == 401 && !has("www-authenticate") {
        out.push(lint(Rule::Confuse401403, None, &[]));
    }
    if status == 405 && !has("allow") {
        out.push(lint(Rule::MissingAllowOn405, None, &[]));
    }
    if matches!(status, 429 | 503) && !has("retry-after") {
        out.push(lint(Rule::MissingRetryAfter, None, &[("status", &code)]));
    }
    if matches!(status, 301 | 302) && !matches!(*method, http::Method::GET | http::Method::HEAD) {
        out.push(lint(Rule::RedirectPostWith301302, None, &[("status", &code), ("method", method.as_str())]));
    }
    if status == 413 {
        // Whose 413 it is: a proxy's limit (the application never saw the body) or the app's own.
        let variant = (responder.id == crate::fingerprint::APPLICATION).then_some(APPLICATION);
        out.push(lint(Rule::MissingProxyBodySize, variant, &[("responder", &responder.name)]));
    }
    // A proxy's own default error page is not an API's answer: only the limits it enforces on
    // purpose (the knowledge base's `proxy_statuses`) are judged there. When the writer is not
    // settled (an alternative reading), the application's reading keeps every rule.
    let proxy_own = responder.id != crate::fingerprint::APPLICATION && responder.alternative.is_none();
    if proxy_own {
        out.retain(|l| kb().lint(l.id).is_some_and(|rule| rule.proxy_statuses.contains(&status)));
    }
    out
}

/// A JSON body that reports an error (`{"error": …}`, `{"errors": […]}`, `"success": false`,
/// `"status": "error"`).
fn error_shaped(response: &Response) -> bool {
    let Ok(value) = serde_json::from_slice::<serde_json::Value>(&response.body) else { return false };
    let Some(obj) = value.as_object() else { return false };
    obj.get("error").is_some_and(|e| !e.is_null() && e != false)
        || obj.get("errors").is_some_and(|e| e.as_array().is_some_and(|a| !a.is_empty()))
        || obj.get("success") == Some(&serde_json::Value::Bool(false))
        || obj.get("ok") == Some(&serde_json::Value::Bool(false))
        || obj
            .get("status")
            .and_then(|s| s.as_str())
            .is_some_and(|s| s.eq_ignore_ascii_case("error") || s.eq_ignore_ascii_case("fail"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn response(status: u16, headers: &[(&str, &str)], body: &str) -> Response {
        Response {
            reason: None,
            status,
            version: "HTTP/1.1".into(),
            headers: headers.iter().map(|(n, v)| ((*n).to_owned(), (*v).to_owned())).collect(),
            body: bytes::Bytes::from(body.to_owned()),
            body_bytes: body.len() as u64,
            capped: false,
        }
    }

    fn ids(method: &http::Method, r: &Response) -> Vec<&'static str> {
        check(method, r, &crate::fingerprint::identify(r)).into_iter().map(|l| l.id).collect()
    }

    #[test]
    fn rules() {
        use http::Method;
        assert_eq!(
            ids(&Method::GET, &response(200, &[("content-type", "application/json")], r#"{"error":"not found"}"#)),
            ["status_in_body"]
        );
        assert!(ids(&Method::GET, &response(200, &[], r#"{"error":null,"data":1}"#)).is_empty());
        assert_eq!(ids(&Method::POST, &response(201, &[], "")), ["missing_location_on_201"]);
        assert_eq!(ids(&Method::DELETE, &response(204, &[], "x")), ["body_on_no_content"]);
        assert_eq!(ids(&Method::GET, &response(401, &[], "")), ["confuse_401_403"]);
        assert_eq!(ids(&Method::PUT, &response(405, &[], "")), ["missing_allow_on_405"]);
        assert_eq!(ids(&Method::GET, &response(429, &[], "")), ["missing_retry_after"]);
        assert!(ids(&Method::GET, &response(429, &[("retry-after", "3")], "")).is_empty());
        assert_eq!(ids(&Method::POST, &response(302, &[("location", "/x")], "")), ["redirect_post_with_301_302"]);
        assert_eq!(ids(&Method::GET, &response(301, &[], "")), ["redirect_without_location"]);
        let l = check(
            &Method::POST,
            &response(413, &[], "<hr><center>nginx</center>"),
            &crate::fingerprint::identify(&response(413, &[], "<hr><center>nginx</center>")),
        );
        assert!(l[0].message.contains("proxy-body-size"), "{l:?}");
        let app = response(413, &[("content-type", "application/json")], r#"{"message":"too large"}"#);
        let l = check(&Method::POST, &app, &crate::fingerprint::identify(&app));
        assert_eq!(l[0].message, "413: the application refused the body itself (its own upload limit)");
        let empty = response(204, &[], "xy");
        assert_eq!(
            check(&Method::DELETE, &empty, &crate::fingerprint::identify(&empty))[0].message,
            "204 must not carry a body, yet 2 bytes came"
        );
    }

    /// The ids and wordings the code uses are the knowledge base's, and it has no lint the code
    /// never reports.
    #[test]
    fn every_rule_is_in_the_knowledge_base() {
        let kb = kb();
        for rule in Rule::ALL {
            let words = kb.lint(rule.id()).unwrap_or_else(|| panic!("probe.toml has no lint {}", rule.id()));
            let variants: Vec<&str> = words.variants.iter().map(|v| v.name.as_str()).collect();
            assert_eq!(variants, rule.variants(), "{}: the wordings the code picks", rule.id());
        }
        for l in &kb.lints {
            assert!(Rule::ALL.iter().any(|r| r.id() == l.id), "probe.toml's lint {} is never reported", l.id);
        }
    }
}
