//! Apache httpd's error log, as its default `ErrorLogFormat` writes it (2.4):
//!
//! ```text
//! [Sun Nov 29 14:16:47.970070 2026] [proxy_http:error] [pid 22816:tid 22838] [client 127.0.0.1:37400] AH01114: HTTP: failed to make connection to backend: 127.0.0.1
//! [Sun Nov 29 14:16:49.113899 2026] [proxy_http:error] [pid 22820:tid 22871] (104)Connection reset by peer: [client 127.0.0.1:37480] AH01102: error reading status line from remote server 127.0.0.1:18601
//! ```
//!
//! and 2.2's (`[Wed Dec 04 17:14:32 2019] [error] [client 10.0.0.1] …`, no `AH` codes). Times are
//! the server's local time, without a zone. A request's entries name the client's address and
//! port, not the request line; `AH00898 … returned by /path` names the path. mod_proxy writes an
//! entry at level `error` for every status it makes itself after a backend failure (checked
//! against Apache 2.4 in the lab, `lab/README.md`), so a 5xx without one was the backend's.
//!
//! Messages and their meaning: /work/notes/research/error-messages.md §3 (httpd 2.4.62 source) and
//! the lab.

use crate::observation::Signal;
use crate::time;

/// `[Www Mmm dd hh:mm:ss[.uuuuuu] yyyy] [`
pub fn is_error_line(line: &[u8]) -> bool {
    line.len() > 30
        && line[0] == b'['
        && line[4] == b' '
        && line[8] == b' '
        && line[11] == b' '
        && line[14] == b':'
        && line[17] == b':'
        && line[1..4].iter().all(u8::is_ascii_alphabetic)
        && memchr::memmem::find(&line[20..line.len().min(40)], b"] [").is_some()
}

/// The time at the start of the line: `[Sun Nov 29 14:16:47.970070 2026]`.
fn timestamp(line: &[u8]) -> Option<(i64, usize)> {
    let close = memchr::memchr(b']', &line[..line.len().min(40)])?;
    let inner = &line[1..close];
    // "Sun Nov 29 14:16:47.970070 2026": month at 4, day at 8, clock at 11, year last.
    let year = inner.rsplit(|&b| b == b' ').next()?;
    let clock_end = memchr::memrchr(b' ', inner)?;
    let clock = &inner[11..clock_end];
    let month = &inner[4..7];
    let day = inner[8..10].trim_ascii();
    // Reuse the CLF parser: "29/Nov/2026:14:16:47.970070" (no zone: local time, kept as written).
    let mut clf = [0u8; 40];
    let mut n = 0;
    for part in [day, b"/", month, b"/", year, b":", clock] {
        let end = n + part.len();
        clf.get_mut(n..end)?.copy_from_slice(part);
        n = end;
    }
    let day_padded;
    let text = if day.len() == 1 {
        day_padded = [&b"0"[..], &clf[..n]].concat();
        &day_padded[..]
    } else {
        &clf[..n]
    };
    Some((time::parse_clf(text)?, close + 1))
}

/// One entry, borrowed from its line.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Entry<'a> {
    pub time_ms: i64,
    /// `proxy_http:error` (2.4) or `error` (2.2).
    pub module_level: &'a [u8],
    /// The `(111)Connection refused` prefix's number, when there is one.
    pub errno: Option<i64>,
    pub client: &'a [u8],
    pub client_port: &'a [u8],
    /// The path an `AH00898 … returned by /path` names.
    pub path: &'a [u8],
    /// The backend a message names (`127.0.0.1:18601`).
    pub upstream: &'a [u8],
    /// `pid 22816:tid 22838`.
    pub thread: &'a [u8],
    /// From the `AHnnnnn:` code (or the text, on 2.2) to the end, without `, referer: …`.
    pub message: &'a [u8],
}

pub fn parse(line: &[u8]) -> Option<Entry<'_>> {
    if !is_error_line(line) {
        return None;
    }
    let (time_ms, mut at) = timestamp(line)?;
    let mut e = Entry {
        time_ms,
        module_level: b"",
        errno: None,
        client: b"",
        client_port: b"",
        path: b"",
        upstream: b"",
        thread: b"",
        message: b"",
    };
    // Bracketed fields: [module:level] [pid …] [client ip:port]; the errno prefix may sit between.
    loop {
        let rest = line[at..].trim_ascii_start();
        at = line.len() - rest.len();
        if rest.first() == Some(&b'[') {
            let close = memchr::memchr(b']', rest)?;
            let inner = &rest[1..close];
            if let Some(addr) = inner.strip_prefix(b"client ") {
                let (ip, port) = split_port(addr);
                (e.client, e.client_port) = (ip, port);
            } else if inner.starts_with(b"pid ") {
                e.thread = inner;
            } else if inner.starts_with(b"remote ") {
            } else if e.module_level.is_empty() {
                e.module_level = inner;
            } else {
                break;
            }
            at += close + 1;
        } else if rest.first() == Some(&b'(') {
            // `(104)Connection reset by peer: ` — the APR status behind the message.
            let close = memchr::memchr(b')', rest)?;
            e.errno = std::str::from_utf8(&rest[1..close]).ok().and_then(|n| n.parse().ok());
            let colon = memchr::memmem::find(rest, b": ").map_or(rest.len(), |i| i + 2);
            at += colon;
        } else {
            break;
        }
    }
    let mut message = line[at..].trim_ascii();
    if let Some(i) = memchr::memmem::rfind(message, b", referer: ") {
        message = &message[..i];
    }
    e.message = message;
    if let Some(i) = memchr::memmem::find(message, b" returned by /") {
        let path = &message[i + 13..];
        e.path = path.split(|&b| b == b' ' || b == b',').next().unwrap_or_default();
    }
    e.upstream = upstream(message);
    Some(e)
}

/// `127.0.0.1:37400` → (`127.0.0.1`, `37400`); `[::1]:80` → (`::1`, `80`); a bare address stays.
fn split_port(addr: &[u8]) -> (&[u8], &[u8]) {
    if let Some(rest) = addr.strip_prefix(b"[") {
        let close = memchr::memchr(b']', rest).unwrap_or(rest.len());
        let port = rest.get(close + 2..).unwrap_or_default();
        return (&rest[..close], port);
    }
    match memchr::memrchr(b':', addr) {
        Some(i) if memchr::memchr(b':', &addr[..i]).is_none() => (&addr[..i], &addr[i + 1..]),
        _ => (addr, b""),
    }
}

/// The backend address a message names: after `remote server `, `connect to ` or ` failed to `.
fn upstream(message: &[u8]) -> &[u8] {
    for key in [&b"remote server "[..], b"attempt to connect to ", b" failed to "] {
        if let Some(i) = memchr::memmem::find(message, key) {
            let rest = &message[i + key.len()..];
            let end = rest.iter().position(|&b| matches!(b, b' ' | b',' | b'(')).unwrap_or(rest.len());
            let addr = &rest[..end];
            if addr.contains(&b':') && addr.first().is_some_and(u8::is_ascii_alphanumeric) {
                return addr;
            }
        }
    }
    b""
}

/// What an entry stands for. Matched on the `AHnnnnn` code (stable across versions and
/// languages), narrowed by the APR status before it.
pub fn signal(e: &Entry<'_>) -> Option<Signal> {
    let m = e.message;
    let has = |needle: &[u8]| memchr::memmem::find(m, needle).is_some();
    let code = m.strip_prefix(b"AH").filter(|c| c.len() >= 6 && c[5] == b':').map(|c| &c[..5]);
    // APR statuses: 111 refused, 110/70007 timed out, 104 reset, 113 unreachable, 32 broken pipe,
    // 70014 end of file, 20014 "internal error" (a backend that closed without answering).
    let by_errno = |refused: Signal| match e.errno {
        Some(111) => Some(refused),
        Some(110 | 70007) => Some(Signal::UpstreamReadTimeout),
        Some(104) => Some(Signal::UpstreamReset),
        Some(32 | 70014 | 20014) => Some(Signal::UpstreamClosedPrematurely),
        _ => None,
    };
    Some(match code {
        // Connecting failed (AH00957 names the address and the errno; AH01114 follows it, for
        // the request, without the errno).
        Some(b"00957" | b"00939") => match e.errno {
            Some(111) => Signal::UpstreamConnectRefused,
            Some(110 | 70007) => Signal::UpstreamConnectTimeout,
            _ => Signal::UpstreamConnectFailed,
        },
        Some(b"01114") => Signal::UpstreamConnectFailed,
        // The worker is in its retry window after earlier failures, or every balancer member is.
        Some(b"00940" | b"01170" | b"01167") => Signal::NoLiveUpstreams,
        Some(b"00941" | b"00934") => Signal::Overloaded,
        // No status line: timed out, reset or closed, by the errno.
        Some(b"01102" | b"01084") => {
            by_errno(Signal::UpstreamConnectRefused).unwrap_or(Signal::UpstreamClosedPrematurely)
        }
        Some(b"00898") if has(b"DNS lookup failure") => Signal::UpstreamDnsFailed,
        Some(b"00898") if has(b"Corrupt status line") || has(b"interim responses") || has(b"Malformed") => {
            Signal::UpstreamInvalidResponse
        }
        Some(b"00898") if has(b"Timeout on 100-Continue") => Signal::UpstreamReadTimeout,
        Some(b"00898") if has(b"SSL Handshake") => Signal::UpstreamTlsFailed,
        // "Error reading from remote server returned by /path": the status is mod_proxy's; the
        // AH01102 just before it says why.
        Some(b"00898") => Signal::ProxyError,
        Some(b"10124" | b"01106") => Signal::UpstreamHeaderTooBig,
        Some(b"10404") => by_errno(Signal::UpstreamReset).unwrap_or(Signal::UpstreamClosedPrematurely),
        Some(b"01110") => Signal::UpstreamDiedMidResponse,
        // Reading the client's body for the backend failed: a client too slow (408) or gone.
        Some(b"02608" | b"01097" | b"01095") if e.errno == Some(70007) => Signal::ClientTimeout,
        Some(b"02608" | b"01097" | b"01095") => Signal::ClientAborted,
        Some(b"02039" | b"02003" | b"02004" | b"02005" | b"02411") => Signal::UpstreamTlsFailed,
        // The core refusing the client's request.
        Some(b"00126" | b"00135" | b"01587" | b"01593" | b"10156" | b"10157") => Signal::InvalidRequest,
        Some(b"00561" | b"00563" | b"00565") => Signal::HeaderTooLarge,
        Some(b"01588" | b"01591" | b"01590") => Signal::BodyTooLarge,
        // Apache 2.2: no codes, the text and the errno.
        None if has(b"attempt to connect to") => match e.errno {
            Some(111) => Signal::UpstreamConnectRefused,
            Some(110 | 70007) => Signal::UpstreamConnectTimeout,
            _ => Signal::UpstreamConnectFailed,
        },
        None if has(b"Premature end of script headers") => Signal::UpstreamInvalidResponse,
        None if has(b"error reading status line from remote server") => {
            by_errno(Signal::UpstreamConnectRefused).unwrap_or(Signal::UpstreamClosedPrematurely)
        }
        None if has(b"Invalid method in request") || has(b"Invalid URI in request") => Signal::InvalidRequest,
        // A code or a message culprit does not map.
        _ => return None,
    })
}

/// The entry in the shape every error log shares (see [`super::errors`]).
pub fn entry(line: &[u8]) -> Option<super::errors::ErrorEntry<'_>> {
    let e = parse(line)?;
    // mod_proxy writes an entry for every answer it makes itself; an unknown message of one of
    // its modules about a request still says Apache answered.
    let own_answers =
        e.module_level.starts_with(b"proxy") && e.module_level.ends_with(b":error") && !e.client.is_empty();
    Some(super::errors::ErrorEntry {
        time_ms: e.time_ms,
        local_time: true,
        client: e.client,
        client_port: e.client_port,
        method: b"",
        target: e.path,
        upstream: e.upstream,
        message: e.message,
        signal: signal(&e),
        own_answers,
        thread: if e.thread.is_empty() {
            0
        } else {
            use std::hash::{Hash, Hasher};
            let mut h = rustc_hash::FxHasher::default();
            e.thread.hash(&mut h);
            h.finish() | 1
        },
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Apache 2.4.71 in the lab (lab/README.md).
    const LAB: &[&str] = &[
        "[Sun Nov 29 14:16:47.970009 2026] [proxy:error] [pid 22816:tid 22838] (111)Connection refused: AH00957: http: attempt to connect to 127.0.0.1:18602 (127.0.0.1:18602) failed",
        "[Sun Nov 29 14:16:47.970070 2026] [proxy_http:error] [pid 22816:tid 22838] [client 127.0.0.1:37400] AH01114: HTTP: failed to make connection to backend: 127.0.0.1",
        "[Sun Nov 29 14:16:49.029512 2026] [proxy_http:error] [pid 22817:tid 22857] (70007)The timeout specified has expired: [client 127.0.0.1:37468] AH01102: error reading status line from remote server 127.0.0.1:18601",
        "[Sun Nov 29 14:16:49.029550 2026] [proxy:error] [pid 22817:tid 22857] [client 127.0.0.1:37468] AH00898: Error reading from remote server returned by /live/slow",
        "[Sun Nov 29 14:16:49.113899 2026] [proxy_http:error] [pid 22820:tid 22871] (104)Connection reset by peer: [client 127.0.0.1:37480] AH01102: error reading status line from remote server 127.0.0.1:18601",
        "[Sun Nov 29 14:16:49.131417 2026] [proxy_http:error] [pid 22816:tid 22846] (20014)Internal error (specific information not available): [client 127.0.0.1:37484] AH01102: error reading status line from remote server 127.0.0.1:18601",
    ];

    #[test]
    fn lab_lines() {
        let e: Vec<Entry<'_>> = LAB.iter().map(|l| parse(l.as_bytes()).unwrap()).collect();
        assert_eq!((e[0].errno, e[0].upstream, e[0].client), (Some(111), &b"127.0.0.1:18602"[..], &b""[..]));
        assert_eq!(signal(&e[0]), Some(Signal::UpstreamConnectRefused));
        assert_eq!((e[1].client, e[1].client_port), (&b"127.0.0.1"[..], &b"37400"[..]));
        assert_eq!(signal(&e[1]), Some(Signal::UpstreamConnectFailed));
        assert_eq!(signal(&e[2]), Some(Signal::UpstreamReadTimeout));
        assert_eq!(e[2].upstream, b"127.0.0.1:18601");
        assert_eq!((e[3].path, signal(&e[3])), (&b"/live/slow"[..], Some(Signal::ProxyError)));
        assert_eq!(signal(&e[4]), Some(Signal::UpstreamReset));
        assert_eq!(signal(&e[5]), Some(Signal::UpstreamClosedPrematurely));
        assert_eq!(Some(e[1].time_ms), time::parse_clf(b"29/Nov/2026:14:16:47.970"));
        assert!(!is_error_line(b"2023/03/08 16:02:40 [error] 31#31: *569 upstream timed out"));
    }

    /// Public lines (research notes §3: freedombox #895, nextcloud/all-in-one #175, etherpad
    /// #4125, zdavatz/oddb.org #92; logstash-patterns-core httpd_spec.rb; lnav error_log.json).
    #[test]
    fn public_lines() {
        let cases: &[(&str, Option<Signal>, &str)] = &[
            (
                "[Sat Jul 08 17:40:54.742228 2017] [proxy_http:error] [pid 1081] [client 10.0.2.2:53768] AH01114: HTTP: failed to make connection to backend: 127.0.0.1",
                Some(Signal::UpstreamConnectFailed),
                "10.0.2.2",
            ),
            (
                "[Fri Jan 28 14:18:33.838658 2022] [proxy_http:error] [pid 119] (70007)The timeout specified has expired: [client 10.6.0.2:52924] AH01102: error reading status line from remote server localhost:8000, referer: https://192.168.178.98:8080/containers",
                Some(Signal::UpstreamReadTimeout),
                "10.6.0.2",
            ),
            (
                "[Wed Jun 17 13:08:52.089762 2020] [proxy:error] [pid 12181:tid 140023206749952] [client x.x.x.x:39416] AH00898: Error reading from remote server returned by /api/1.1/createAuthorIfNotExistsFor",
                Some(Signal::ProxyError),
                "x.x.x.x",
            ),
            (
                "[Wed Dec 04 17:14:32 2019] [error] (111)Connection refused: proxy: HTTP: attempt to connect to 127.0.0.1:8212 (*) failed",
                Some(Signal::UpstreamConnectRefused),
                "",
            ),
            (
                "[Mon Aug 31 16:27:04 2015] [error] [client 10.17.42.3] Premature end of script headers: example.com",
                Some(Signal::UpstreamInvalidResponse),
                "10.17.42.3",
            ),
            (
                "[Tue Apr 04 06:28:08.605341 2017] [core:error] [pid 17962] [client 127.0.0.1:60444] AH00135: Invalid method in request FOO /",
                Some(Signal::InvalidRequest),
                "127.0.0.1",
            ),
            (
                "[Tue Apr 14 14:27:52.605084 2020] [:error] [pid 5688] [client 192.168.10.110:8196] script '/login/wp-login.php' not found or unable to stat",
                None,
                "192.168.10.110",
            ),
        ];
        for (line, want, client) in cases {
            let e = parse(line.as_bytes()).unwrap_or_else(|| panic!("{line}"));
            assert_eq!((signal(&e), e.client), (*want, client.as_bytes()), "{line}");
        }
        let e = parse(cases[2].0.as_bytes()).unwrap();
        assert_eq!(e.path, b"/api/1.1/createAuthorIfNotExistsFor");
        // A one-digit day is padded: `[Mon Aug  3 …]`.
        assert!(
            parse(b"[Mon Aug  3 16:27:04 2015] [error] [client 10.17.42.3] Premature end of script headers: x")
                .is_some()
        );
    }
}
