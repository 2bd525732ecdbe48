//! API hygiene: what RFC 9110 requires with a status, and the seeds' common mistakes, checked on
//! one response. Each finding names the knowledge base's mistake where there is one.

use crate::exchange::Response;
use crate::fingerprint::Responder;

#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Lint {
    /// Stable id (`missing_location_on_201`, `body_on_204`…); the knowledge base's mistake id when
    /// it has one.
    pub id: &'static str,
    pub message: String,
}

fn lint(id: &'static str, message: impl Into<String>) -> Lint {
    Lint { id, message: message.into() }
}

/// Checks one response to a request sent with `method`.
pub fn check(method: &http::Method, response: &Response, responder: &Responder) -> Vec<Lint> {
    let mut out = Vec::new();
    let status = response.status;
    let has = |name: &str| response.header(name).is_some();
    if status == 200 && error_shaped(response) {
        out.push(lint("status_in_body", "200 OK with an error in the body: clients, caches and monitors count it as a success; answer with the 4xx/5xx it describes"));
    }
    if status == 201 && !has("location") {
        out.push(lint("missing_location_on_201", "201 Created without a Location header naming the new resource"));
    }
    if matches!(status, 204 | 304) && response.body_bytes > 0 {
        out.push(lint(
            "body_on_no_content",
            format!("{status} must not carry a body, yet {} bytes came", response.body_bytes),
        ));
    }
    if matches!(status, 301 | 302 | 303 | 307 | 308) && !has("location") {
        out.push(lint(
            "redirect_without_location",
            format!("{status} without a Location header: there is nowhere to go"),
        ));
    }
    if status == 401 && !has("www-authenticate") {
        out.push(lint(
            "confuse_401_403",
            "401 without WWW-Authenticate (RFC 9110 requires it); if the caller is known but not allowed, that is 403",
        ));
    }
    if status == 405 && !has("allow") {
        out.push(lint("missing_allow_on_405", "405 without an Allow header listing the methods that work"));
    }
    if matches!(status, 429 | 503) && !has("retry-after") {
        out.push(lint(
            "missing_retry_after",
            format!("{status} without Retry-After: clients retry at once, making the overload worse"),
        ));
    }
    if matches!(status, 301 | 302) && !matches!(*method, http::Method::GET | http::Method::HEAD) {
        out.push(lint(
            "redirect_post_with_301_302",
            format!("{status} answering {method}: clients re-send it as GET without the body; use 307 or 308 to keep the method"),
        ));
    }
    if status == 413 {
        let who = if responder.id == "application" {
            "the application refused the body itself (its own upload limit)".to_owned()
        } else {
            format!(
                "{} refused the body before the application saw it: raise its limit (ingress-nginx: nginx.ingress.kubernetes.io/proxy-body-size)",
                responder.name
            )
        };
        out.push(lint("missing_proxy_body_size", format!("413: {who}")));
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
    }
}
