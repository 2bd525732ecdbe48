//! Secrets in a probe: credentials in the URL are sent as curl sends them (Basic auth, to that
//! origin only) and never printed; secret-bearing headers are redacted by name; and every string
//! of the finished report is scrubbed of the secret values sent, so an echoing server or an error
//! message cannot carry them into the terminal, Markdown or JSON.

use base64::Engine as _;
use percent_encoding::percent_decode_str;

/// Header names whose values are secrets (compared without case): credentials, cookies, API keys
/// and anything named like a token, secret or key.
pub fn is_secret_header(name: &str) -> bool {
    const EXACT: &[&str] = &[
        "authorization",
        "proxy-authorization",
        "cookie",
        "set-cookie",
        "x-auth-token",
        "x-api-key",
        "api-key",
        "apikey",
    ];
    let name = name.to_ascii_lowercase();
    EXACT.contains(&name.as_str())
        || name.ends_with("-token")
        || name.ends_with("-secret")
        || name.ends_with("-key")
        || name.ends_with("_token")
        || name.ends_with("_key")
}

/// What a secret header's value is shown as: the authentication scheme stays (Basic, Bearer…),
/// the rest is replaced.
pub fn redact_value(name: &str, value: &str) -> String {
    let auth = name.eq_ignore_ascii_case("authorization") || name.eq_ignore_ascii_case("proxy-authorization");
    if auth
        && let Some((scheme, rest)) = value.split_once(' ')
        && !scheme.is_empty()
        && scheme.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
    {
        return format!("{scheme} [redacted, {} bytes]", rest.trim().len());
    }
    format!("[redacted, {} bytes]", value.len())
}

/// Headers as shown: secret values redacted.
pub fn redact_headers(headers: &[(String, String)]) -> Vec<(String, String)> {
    headers.iter().map(|(n, v)| (n.clone(), if is_secret_header(n) { redact_value(n, v) } else { v.clone() })).collect()
}

/// A user name and password taken from a URL (`http://user:pass@host/`), percent-decoded.
#[derive(Clone, PartialEq, Eq)]
pub struct Credentials {
    pub user: String,
    pub password: String,
}

impl std::fmt::Debug for Credentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Credentials({}:***)", self.user)
    }
}

impl Credentials {
    /// The `Authorization` value curl sends for them: `Basic base64(user:password)`.
    pub fn basic(&self) -> String {
        let raw = format!("{}:{}", self.user, self.password);
        format!("Basic {}", base64::engine::general_purpose::STANDARD.encode(raw))
    }
}

/// Removes the userinfo from `url` and returns it (curl sends it as Basic auth; a user without a
/// password gets an empty one, as curl does for credentials in a URL).
pub fn take_credentials(url: &mut url::Url) -> Option<Credentials> {
    if url.username().is_empty() && url.password().is_none() {
        return None;
    }
    let decode = |s: &str| percent_decode_str(s).decode_utf8_lossy().into_owned();
    let credentials = Credentials { user: decode(url.username()), password: decode(url.password().unwrap_or("")) };
    // Both setters only fail on URLs that cannot have credentials (no host), which `parse_url`
    // already refused.
    let _ = url.set_username("");
    let _ = url.set_password(None);
    Some(credentials)
}

/// The URL as shown: `http://user:***@host/…` when it carried credentials.
pub fn display_url(url: &url::Url, credentials: Option<&Credentials>) -> String {
    let Some(c) = credentials else { return url.to_string() };
    let mut shown = url.clone();
    let _ = shown.set_username(&c.user);
    // "***" is a valid password; the URL crate keeps it as is.
    let _ = shown.set_password(Some("***"));
    shown.to_string()
}

/// The secret values that were sent, to be removed from anything the report shows.
#[derive(Default)]
pub struct Scrubber {
    secrets: Vec<String>,
}

impl std::fmt::Debug for Scrubber {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Scrubber({} secrets)", self.secrets.len())
    }
}

/// Shorter values are too likely to be ordinary text ("1", "on").
const MIN_SECRET: usize = 4;

impl Scrubber {
    fn add(&mut self, value: &str) {
        let value = value.trim();
        if value.chars().count() >= MIN_SECRET && !self.secrets.iter().any(|s| s == value) {
            self.secrets.push(value.to_owned());
        }
    }

    /// A secret header's value, and its parts that travel on their own: the credential after
    /// an authentication scheme, each cookie's value.
    pub fn add_header(&mut self, name: &str, value: &str) {
        if !is_secret_header(name) {
            return;
        }
        self.add(value);
        if let Some((_, credential)) = value.split_once(' ') {
            self.add(credential);
            // Basic credentials decode to user:password; the password alone is a secret too.
            if let Ok(raw) = base64::engine::general_purpose::STANDARD.decode(credential.trim())
                && let Ok(text) = String::from_utf8(raw)
                && let Some((_, password)) = text.split_once(':')
            {
                self.add(&text);
                self.add(password);
            }
        }
        if name.eq_ignore_ascii_case("cookie") || name.eq_ignore_ascii_case("set-cookie") {
            for pair in value.split(';') {
                if let Some((_, v)) = pair.split_once('=') {
                    self.add(v);
                }
            }
        }
    }

    pub fn add_credentials(&mut self, c: &Credentials) {
        self.add(&c.password);
        self.add(&percent_encoding::utf8_percent_encode(&c.password, percent_encoding::NON_ALPHANUMERIC).to_string());
        self.add(&format!("{}:{}", c.user, c.password));
        self.add_header("authorization", &c.basic());
    }

    /// `text` with every secret replaced by `***`; longer secrets first, so a secret that
    /// contains another is replaced whole.
    pub fn scrub(&self, text: &str) -> String {
        if self.secrets.is_empty() {
            return text.to_owned();
        }
        let mut sorted: Vec<&String> = self.secrets.iter().collect();
        sorted.sort_by_key(|s| std::cmp::Reverse(s.len()));
        let mut out = text.to_owned();
        for s in sorted {
            if out.contains(s.as_str()) {
                out = out.replace(s.as_str(), "***");
            }
        }
        out
    }

    pub fn scrub_in_place(&self, text: &mut String) {
        if self.secrets.iter().any(|s| text.contains(s.as_str())) {
            *text = self.scrub(text);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secret_header_names() {
        for n in
            ["Authorization", "proxy-authorization", "Cookie", "SET-COOKIE", "X-Auth-Token", "X-Api-Key", "Api-Key"]
        {
            assert!(is_secret_header(n), "{n}");
        }
        for n in ["X-CSRF-Token", "X-Client-Secret", "Ocp-Apim-Subscription-Key", "x-amz-security-token"] {
            assert!(is_secret_header(n), "{n}");
        }
        for n in ["Content-Type", "Host", "X-Request-Id", "Keep-Alive", "Accept"] {
            assert!(!is_secret_header(n), "{n}");
        }
        assert_eq!(redact_value("Authorization", "Bearer abc.def"), "Bearer [redacted, 7 bytes]");
        assert_eq!(redact_value("X-Api-Key", "k1234"), "[redacted, 5 bytes]");
    }

    #[test]
    fn credentials_from_a_url_like_curl() {
        let mut url = url::Url::parse("http://al%40ice:p%3Ass@example.com:8080/x").unwrap();
        let c = take_credentials(&mut url).unwrap();
        assert_eq!((c.user.as_str(), c.password.as_str()), ("al@ice", "p:ss"));
        assert_eq!(url.as_str(), "http://example.com:8080/x");
        // curl -u 'al@ice:p:ss' sends the same header.
        assert_eq!(c.basic(), "Basic YWxAaWNlOnA6c3M=");
        assert_eq!(display_url(&url, Some(&c)), "http://al%40ice:***@example.com:8080/x");
        let mut bare = url::Url::parse("http://bob@example.com/").unwrap();
        assert_eq!(take_credentials(&mut bare).unwrap().basic(), "Basic Ym9iOg==");
        assert!(take_credentials(&mut url::Url::parse("http://example.com/").unwrap()).is_none());
        assert!(!format!("{c:?}").contains("p:ss"));
    }

    #[test]
    fn scrubbing() {
        let mut s = Scrubber::default();
        s.add_header("X-Auth-Token", "s3cr3t-token-value");
        s.add_header("Cookie", "session=abcd1234; theme=x");
        s.add_header("Content-Type", "application/json");
        s.add_credentials(&Credentials { user: "u".into(), password: "hunter22".into() });
        let text = "echo: s3cr3t-token-value abcd1234 hunter22 dTpodW50ZXIyMg== application/json x";
        assert_eq!(s.scrub(text), "echo: *** *** *** *** application/json x");
    }
}
