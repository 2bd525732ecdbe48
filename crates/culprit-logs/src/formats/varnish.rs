//! varnishncsa's log: by default Apache's `combined` (`%h %l %u %t "%r" %s %b "%{Referer}i"
//! "%{User-agent}i"`, bin/varnishncsa/varnishncsa.c), told apart from a web server's by `%r`,
//! which holds the whole URL (`GET http://host/path HTTP/1.1`). Admins often append
//! `%{Varnish:handling}x` (`hit`, `miss`, `pass`, `pipe`, `synth`) and a request id.
//!
//! Who answered: a `hit` came from Varnish's cache; `synth` is a response VCL made
//! (`return (synth(…))`); Varnish's own failure to fetch from its backend is a 503 with its
//! built-in error page ("Backend fetch failed", whose size depends only on the transaction id's
//! digits: builtin.vcl `vcl_builtin_backend_error`). Everything else was the backend's. Varnish
//! makes no 502 or 504 of its own.

use super::nginx::{COMBINED, NginxFormat};
use crate::observation::{Observation, Signal};
use std::sync::LazyLock;

static TEMPLATE: LazyLock<NginxFormat> =
    LazyLock::new(|| NginxFormat::compile_with_trailing(COMBINED).expect("combined compiles"));

/// The size of Varnish's built-in error page (builtin.vcl, Varnish 6–7) for `status`, `reason`,
/// with an id of `digits` digits.
pub fn builtin_page_size(status: u16, reason: &str, digits: usize) -> u64 {
    const PAGE: &str = "<!DOCTYPE html>\n<html>\n  <head>\n    <title>S R</title>\n  </head>\n  <body>\n    <h1>Error S R</h1>\n    <p>R</p>\n    <h3>Guru Meditation:</h3>\n    <p>XID: X</p>\n    <hr>\n    <p>Varnish cache server</p>\n  </body>\n</html>\n";
    let fixed = PAGE.len() - 6; // S, R twice each, R once more, X
    let status_len = status.to_string().len();
    (fixed + 2 * status_len + 3 * reason.len() + digits) as u64
}

/// Whether `bytes` is the built-in page's size for `status`/`reason` with some transaction id.
fn is_builtin_page(bytes: u64, status: u16, reason: &str) -> bool {
    (1..=12).any(|d| builtin_page_size(status, reason, d) == bytes)
}

pub fn parse<'a>(line: &'a [u8], obs: &mut Observation<'a>) -> Result<(), super::BadLine> {
    let rest = TEMPLATE.parse_with_rest(line, obs).map_err(|e| match e {
        super::nginx::LineError::Status => super::BadLine::BadStatus,
        _ => super::BadLine::Mismatch,
    })?;
    // varnishncsa writes the whole URL in %r; a web server writes the path.
    let url = obs.target;
    let Some(after) = url.strip_prefix(b"http://").or_else(|| url.strip_prefix(b"https://")) else {
        return Err(super::BadLine::Mismatch);
    };
    let slash = memchr::memchr(b'/', after).unwrap_or(after.len());
    obs.host = &after[..slash];
    obs.target = if slash < after.len() { &after[slash..] } else { b"/" };
    let handling = rest.split(|&b| b == b' ').find(|f| !f.is_empty()).unwrap_or_default();
    let handling = match handling {
        b"hit" | b"miss" | b"pass" | b"pipe" | b"synth" | b"hitmiss" | b"hitpass" | b"error" => handling,
        _ => b"",
    };
    let status = obs.status.unwrap_or(0);
    let bytes = obs.bytes_sent.unwrap_or(0);
    obs.detail_source = "varnishncsa Varnish:handling";
    obs.detail = handling;
    let fetch_failed = status == 503
        && (is_builtin_page(bytes, 503, "Backend fetch failed") || is_builtin_page(bytes, 503, "Service Unavailable"));
    match handling {
        b"hit" => obs.cache_hit = true,
        _ if fetch_failed => {
            // The fetch from the backend failed (refused, timed out, reset, cut short…: the
            // client's line does not say which; varnishlog's FetchError does). Varnish answers
            // with its built-in page: from the backend side ("Backend fetch failed"), or from
            // the client side ("Service Unavailable") when the fetch failed under a waiting
            // client.
            obs.signals.set(Signal::UpstreamConnectFailed);
            obs.detail = b"503 with Varnish's built-in error page: its fetch from the backend failed";
            obs.detail_source = "varnishncsa (response size)";
        }
        b"synth" => obs.proxy_answered = true,
        // The HTTP/1 parser's refusals of a client request come before any backend.
        b"" if matches!(status, 400 | 413 | 414 | 417 | 431) => {}
        b"" | b"miss" | b"pass" | b"pipe" | b"hitmiss" | b"hitpass" if status >= 300 => {
            obs.upstream_answered = true;
        }
        _ => {}
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::attribute::Cause;
    use culprit_kb::GeneratedBy;

    fn judge(line: &str) -> (Cause, GeneratedBy) {
        crate::formats::judged("varnishncsa", line)
    }

    #[test]
    fn builtin_page() {
        // varnish/docker-varnish #86: Content-Length 282 for bereq 32777.
        assert_eq!(builtin_page_size(503, "Backend fetch failed", 5), 282);
        // Varnish 7.1 in the lab: `synth(404, "Not Found")` pages of 249 and 250 bytes (5- and
        // 6-digit transaction ids), and a client-side 503 of 280.
        assert_eq!(builtin_page_size(404, "Not Found", 5), 249);
        assert!(is_builtin_page(280, 503, "Service Unavailable"));
    }

    #[test]
    fn lines() {
        // goaccess #953's varnishncsa line shape (the whole URL in %r).
        let ok = r#"68.53.71.200 - - [24/Nov/2017:11:20:17 -0600] "GET http://websales.example.com/sales/sale/index HTTP/1.1" 200 153 "-" "Mozilla/5.0""#;
        assert_eq!(judge(ok), (Cause::Ok, GeneratedBy::Upstream));
        let mut obs = Observation::default();
        parse(ok.as_bytes(), &mut obs).unwrap();
        assert_eq!((obs.host, obs.target), (&b"websales.example.com"[..], &b"/sales/sale/index"[..]));
        let failed = ok.replace(" 200 153 ", " 503 282 ");
        assert_eq!(judge(&failed).1, GeneratedBy::Proxy);
        let passed = ok.replace(" 200 153 ", " 502 157 ") + " miss";
        assert_eq!(judge(&passed), (Cause::AppBadGateway, GeneratedBy::Upstream));
        let hit = ok.replace(" 200 153 ", " 404 10 ") + " hit \"00000005000b79dade6d4b07b445d996\"";
        assert_eq!(judge(&hit), (Cause::AppNotFound, GeneratedBy::Proxy));
        let mut obs = Observation::default();
        parse(hit.as_bytes(), &mut obs).unwrap();
        assert_eq!(obs.request_id, b"00000005000b79dade6d4b07b445d996");
        let synth = ok.replace(" 200 153 ", " 404 250 ") + " synth";
        assert_eq!(judge(&synth), (Cause::NoRoute, GeneratedBy::Proxy));
        // A web server's combined line (a path in %r) is not varnishncsa's.
        let nginx = r#"1.2.3.4 - - [08/Mar/2023:16:02:45 +0000] "GET / HTTP/1.1" 200 615 "-" "curl/8""#;
        assert!(parse(nginx.as_bytes(), &mut Observation::default()).is_err());
    }
}
