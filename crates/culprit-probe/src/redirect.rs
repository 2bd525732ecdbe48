//! Following a redirect the way curl and browsers do, and what the probe notes on the way: a
//! method turned into GET, an HTTPS → HTTP downgrade, credentials kept from another origin, a loop.
//! The conditions are here; the words are the knowledge base's (`data/probe.toml`,
//! `[[redirect_note]]`), keyed by [`NoteKind::id`].

use bytes::Bytes;
use culprit_kb::{Worded, kb};

use crate::exchange::{HopRequest, authority};
use crate::options::Options;
use crate::secrets::{self, is_secret_header};

/// A finding about the redirect chain.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Note {
    /// The knowledge base's redirect-note id (`culprit explain <id>`).
    pub id: &'static str,
    pub message: String,
}

/// Every note the probe can make about a redirect chain, by the id the knowledge base gives it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NoteKind {
    MethodChanged,
    HttpsDowngrade,
    HttpsUpgrade,
    CredentialsDropped,
    RedirectLoop,
    TooManyRedirects,
    BadLocation,
}

impl NoteKind {
    pub const ALL: [NoteKind; 7] = [
        NoteKind::MethodChanged,
        NoteKind::HttpsDowngrade,
        NoteKind::HttpsUpgrade,
        NoteKind::CredentialsDropped,
        NoteKind::RedirectLoop,
        NoteKind::TooManyRedirects,
        NoteKind::BadLocation,
    ];

    /// The knowledge base's redirect-note id.
    pub fn id(self) -> &'static str {
        match self {
            NoteKind::MethodChanged => "method_changed",
            NoteKind::HttpsDowngrade => "https_downgrade",
            NoteKind::HttpsUpgrade => "https_upgrade",
            NoteKind::CredentialsDropped => "credentials_dropped",
            NoteKind::RedirectLoop => "redirect_loop",
            NoteKind::TooManyRedirects => "too_many_redirects",
            NoteKind::BadLocation => "bad_location",
        }
    }

    /// The wordings other than the main one that this module picks.
    pub fn variants(self) -> &'static [&'static str] {
        match self {
            NoteKind::RedirectLoop => &[SCHEME_FLIP],
            _ => &[],
        }
    }
}

/// The loop's wording when it goes through both http:// and https://.
const SCHEME_FLIP: &str = "scheme_flip";

/// The note `kind`, in the knowledge base's words (`variant` picks another wording).
pub fn note(kind: NoteKind, variant: Option<&str>, values: &[(&str, &str)]) -> Note {
    let words =
        kb().redirect_note(kind.id()).unwrap_or_else(|| panic!("probe.toml has no redirect note {}", kind.id()));
    Note { id: kind.id(), message: words.render(variant, values) }
}

/// A URL as a loop detector compares it (no fragment).
pub fn normalise(url: &url::Url) -> String {
    let mut u = url.clone();
    u.set_fragment(None);
    u.to_string()
}

/// The loop `cycle` (its URLs in order, the first repeated at the end), naming the scheme flip
/// that is its usual cause.
pub fn loop_note(cycle: &[String]) -> Note {
    let scheme_flip = cycle.iter().any(|u| u.starts_with("https://")) && cycle.iter().any(|u| u.starts_with("http://"));
    let chain = cycle.join(" → ");
    note(NoteKind::RedirectLoop, scheme_flip.then_some(SCHEME_FLIP), &[("chain", &chain)])
}

/// The request for the next hop, as browsers and curl build it, with what changed noted.
pub fn next_request(
    current: &HopRequest,
    next: url::Url,
    status: u16,
    options: &Options,
    notes: &mut Vec<Note>,
) -> HopRequest {
    let mut next = next;
    let mut method = current.method.clone();
    let mut body = current.body.clone();
    let mut headers = current.headers.clone();
    // Credentials in the Location are used for that hop, as curl does, and never shown.
    let location_credentials = secrets::take_credentials(&mut next);
    let to_get = status == 303 && method != http::Method::HEAD
        || matches!(status, 301 | 302) && method != http::Method::GET && method != http::Method::HEAD;
    if to_get {
        if matches!(status, 301 | 302) {
            let (code, target) = (status.to_string(), next.to_string());
            notes.push(note(
                NoteKind::MethodChanged,
                None,
                &[("status", &code), ("method", method.as_str()), ("url", &target)],
            ));
        }
        method = http::Method::GET;
        body = Bytes::new();
        headers.retain(|(n, _)| !n.to_ascii_lowercase().starts_with("content-"));
    }
    if current.url.scheme() == "https" && next.scheme() == "http" {
        notes.push(note(NoteKind::HttpsDowngrade, None, &[("url", next.as_str())]));
    } else if current.url.scheme() == "http" && next.scheme() == "https" && current.url.host_str() == next.host_str() {
        notes.push(note(NoteKind::HttpsUpgrade, None, &[("url", next.as_str())]));
    }
    let same_origin = current.url.scheme() == next.scheme()
        && current.url.host_str() == next.host_str()
        && current.url.port_or_known_default() == next.port_or_known_default();
    if !same_origin {
        let dropped: Vec<String> =
            headers.iter().filter(|(n, _)| is_secret_header(n)).map(|(n, _)| n.clone()).collect();
        if !dropped.is_empty() {
            headers.retain(|(n, _)| !is_secret_header(n));
            let (names, origin) = (dropped.join(", "), authority(&next));
            notes.push(note(NoteKind::CredentialsDropped, None, &[("headers", &names), ("origin", &origin)]));
        }
    }
    if let Some(c) = location_credentials {
        headers.retain(|(n, _)| !n.eq_ignore_ascii_case("authorization"));
        headers.push(("Authorization".into(), c.basic()));
    }
    HopRequest { method, connect_to: options.connect_to(&next), url: next, headers, body }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn credentials_in_a_location_replace_the_previous_ones() {
        let current = HopRequest {
            method: http::Method::GET,
            url: "https://a.example/".parse().unwrap(),
            headers: vec![("Authorization".into(), "Basic b2xkOm9sZA==".into())],
            body: Bytes::new(),
            connect_to: None,
        };
        let mut notes = Vec::new();
        let next =
            next_request(&current, "https://u:p@a.example/v2".parse().unwrap(), 302, &Options::default(), &mut notes);
        assert_eq!(next.url.as_str(), "https://a.example/v2");
        assert_eq!(next.headers, vec![("Authorization".to_owned(), "Basic dTpw".to_owned())]);
    }

    #[test]
    fn redirects_change_method_and_drop_credentials() {
        let current = HopRequest {
            method: http::Method::POST,
            url: "https://a.example/login".parse().unwrap(),
            headers: vec![
                ("Authorization".into(), "Bearer x".into()),
                ("Content-Type".into(), "application/json".into()),
            ],
            body: Bytes::from_static(b"{}"),
            connect_to: None,
        };
        let mut notes = Vec::new();
        let next =
            next_request(&current, "http://b.example/home".parse().unwrap(), 302, &Options::default(), &mut notes);
        assert_eq!(next.method, http::Method::GET);
        assert!(next.body.is_empty() && next.headers.is_empty());
        let ids: Vec<_> = notes.iter().map(|n| n.id).collect();
        assert_eq!(ids, ["method_changed", "https_downgrade", "credentials_dropped"]);
        assert_eq!(
            notes[0].message,
            "302 turned POST into GET for http://b.example/home (clients drop the body); answer 307 or 308 to keep the method"
        );
        assert!(notes[2].message.starts_with("Authorization not sent to b.example (a different origin)"), "{notes:#?}");
        let mut notes = Vec::new();
        let kept =
            next_request(&current, "https://a.example/v2/login".parse().unwrap(), 308, &Options::default(), &mut notes);
        assert_eq!((kept.method, kept.body.len(), notes.len()), (http::Method::POST, 2, 0));
        let plain = HopRequest { url: "http://a.example/".parse().unwrap(), headers: Vec::new(), ..current };
        let mut notes = Vec::new();
        next_request(&plain, "https://a.example/".parse().unwrap(), 308, &Options::default(), &mut notes);
        assert_eq!(notes, [Note { id: "https_upgrade", message: "HTTP → HTTPS upgrade to https://a.example/".into() }]);
    }

    #[test]
    fn loops_name_the_scheme_flip() {
        let m = loop_note(&["http://a/".into(), "https://a/".into(), "http://a/".into()]).message;
        assert!(m.contains("http://a/ → https://a/ → http://a/") && m.contains("X-Forwarded-Proto"), "{m}");
        let m = loop_note(&["http://a/x".into(), "http://a/y".into(), "http://a/x".into()]).message;
        assert!(m.ends_with("The same URLs redirect to each other (see: culprit explain redirect_loop)"), "{m}");
    }

    /// The ids and wordings the code uses are the knowledge base's, and it has no note the code
    /// never makes.
    #[test]
    fn every_note_is_in_the_knowledge_base() {
        let kb = kb();
        for kind in NoteKind::ALL {
            let words =
                kb.redirect_note(kind.id()).unwrap_or_else(|| panic!("probe.toml has no redirect note {}", kind.id()));
            let variants: Vec<&str> = words.variants.iter().map(|v| v.name.as_str()).collect();
            assert_eq!(variants, kind.variants(), "{}: the wordings the code picks", kind.id());
        }
        for n in &kb.redirect_notes {
            assert!(NoteKind::ALL.iter().any(|k| k.id() == n.id), "probe.toml's redirect note {} is never made", n.id);
        }
    }
}
