//! The nginx error log: `YYYY/MM/DD HH:MM:SS [level] PID#TID: *CONN message, client: …, server: …,
//! request: "…", upstream: "…", host: "…"`. Its messages say why a 502/504 happened; they are
//! joined to access-log lines by client, request line and upstream address.

use crate::observation::Signal;
use crate::time;

/// Whether the line has the error log's date-and-level prefix.
pub fn is_error_line(line: &[u8]) -> bool {
    line.len() > 22 && line[4] == b'/' && line[7] == b'/' && line[10] == b' ' && line[19] == b' ' && line[20] == b'['
}

/// One parsed error-log entry (fields borrowed from the line).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ErrorEntry<'a> {
    pub time_ms: Option<i64>,
    pub level: &'a [u8],
    pub message: &'a [u8],
    pub client: &'a [u8],
    /// The request line, e.g. `GET /x HTTP/1.1`.
    pub request: &'a [u8],
    /// The peer address from `upstream: "http://10.0.0.1:80/x"`, e.g. `10.0.0.1:80`.
    pub upstream: &'a [u8],
    pub host: &'a [u8],
}

pub fn parse(line: &[u8]) -> Option<ErrorEntry<'_>> {
    if !is_error_line(line) {
        return None;
    }
    let time_ms = time::parse_iso(&line[..19]);
    let close = memchr::memchr(b']', &line[21..])? + 21;
    let level = &line[21..close];
    // Skip "PID#TID: " and an optional "*CONN ".
    let mut rest = &line[close + 1..];
    rest = rest.trim_ascii_start();
    if let Some(colon) = memchr::memmem::find(rest, b": ") {
        if rest[..colon].contains(&b'#') {
            rest = &rest[colon + 2..];
        }
    }
    if rest.first() == Some(&b'*') {
        rest = rest.iter().position(|&b| b == b' ').map_or(rest, |i| &rest[i + 1..]);
    }
    let message_end = memchr::memmem::find(rest, b", client: ").unwrap_or(rest.len());
    let message = &rest[..message_end];
    let tail = &rest[message_end..];
    Some(ErrorEntry {
        time_ms,
        level,
        message,
        client: field(tail, b", client: ").unwrap_or_default(),
        request: quoted(tail, b", request: \"").unwrap_or_default(),
        upstream: quoted(tail, b", upstream: \"").map(crate::scan::authority).unwrap_or_default(),
        host: quoted(tail, b", host: \"").unwrap_or_default(),
    })
}

fn field<'a>(tail: &'a [u8], key: &[u8]) -> Option<&'a [u8]> {
    let start = memchr::memmem::find(tail, key)? + key.len();
    let end = memchr::memchr(b',', &tail[start..]).map_or(tail.len(), |i| start + i);
    Some(&tail[start..end])
}

fn quoted<'a>(tail: &'a [u8], key: &[u8]) -> Option<&'a [u8]> {
    let start = memchr::memmem::find(tail, key)? + key.len();
    let end = memchr::memchr(b'"', &tail[start..]).map_or(tail.len(), |i| start + i);
    Some(&tail[start..end])
}

/// The entry in the shape every error log shares (see [`super::errors`]).
pub fn entry(line: &[u8]) -> Option<super::errors::ErrorEntry<'_>> {
    let e = parse(line)?;
    let (method, target) = crate::scan::request_line(e.request);
    Some(super::errors::ErrorEntry {
        time_ms: e.time_ms?,
        local_time: true,
        client: e.client,
        client_port: b"",
        method,
        target,
        upstream: e.upstream,
        message: e.message,
        signal: signal(e.message),
        own_answers: false,
        thread: 0,
    })
}

/// The signal an error message stands for. Matched on stable parts (errno numbers, not their text,
/// which differs between glibc and musl builds).
pub fn signal(message: &[u8]) -> Option<Signal> {
    let has = |needle: &[u8]| memchr::memmem::find(message, needle).is_some();
    Some(if has(b"(111: ") || has(b"Connection refused") {
        Signal::UpstreamConnectRefused
    } else if has(b"while connecting to upstream") && (has(b"(110: ") || has(b"timed out")) {
        Signal::UpstreamConnectTimeout
    } else if has(b"while reading upstream")
        && (has(b"prematurely closed") || has(b"(104: ") || has(b"reset by peer") || has(b"timed out"))
    {
        // "while reading upstream" (not "… response header from upstream"): the status line and
        // headers were already relayed, so the body was cut short. nginx 1.22 writes a reset here
        // as `readv() failed (104: Connection reset by peer) while reading upstream`.
        Signal::UpstreamDiedMidResponse
    } else if has(b"upstream timed out") {
        Signal::UpstreamReadTimeout
    } else if has(b"client prematurely closed") || has(b"client closed") {
        Signal::ClientAborted
    } else if has(b"upstream prematurely closed") {
        Signal::UpstreamClosedPrematurely
    } else if has(b"(104: ") || has(b"reset by peer") || has(b"(32: ") {
        Signal::UpstreamReset
    } else if has(b"upstream sent too big header") {
        Signal::UpstreamHeaderTooBig
    } else if has(b"upstream sent invalid") || has(b"upstream sent no valid") || has(b"upstream sent duplicate") {
        Signal::UpstreamInvalidResponse
    } else if has(b"SSL") && has(b"upstream") {
        Signal::UpstreamTlsFailed
    } else if has(b"could not be resolved") {
        Signal::UpstreamDnsFailed
    } else if has(b"no live upstreams") {
        Signal::NoLiveUpstreams
    } else if has(b"limiting requests") || has(b"limiting connections") {
        Signal::RateLimited
    } else if has(b"client intended to send too large body") {
        Signal::BodyTooLarge
    } else if has(b"client sent too large request") || has(b"too long header line") || has(b"too many header lines") {
        Signal::HeaderTooLarge
    } else if has(b"client sent invalid") {
        Signal::InvalidRequest
    } else if has(b"client timed out") {
        Signal::ClientTimeout
    } else if has(b"access forbidden by rule") {
        Signal::AccessDenied
    } else if has(b"auth request unexpected status") {
        Signal::AuthFailed
    } else {
        return None;
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_real_lines() {
        let l = br#"2023/03/08 16:02:40 [error] 31#31: *569 upstream timed out (110: Operation timed out) while connecting to upstream, client: 108.162.227.25, server: dev-aws.example.com, request: "GET / HTTP/1.1", upstream: "http://192.168.215.1:80/", host: "dev-aws.example.com""#;
        let e = parse(l).unwrap();
        assert_eq!(e.level, b"error");
        assert_eq!(e.client, b"108.162.227.25");
        assert_eq!(e.request, b"GET / HTTP/1.1");
        assert_eq!(e.upstream, b"192.168.215.1:80");
        assert_eq!(e.host, b"dev-aws.example.com");
        assert_eq!(signal(e.message), Some(Signal::UpstreamConnectTimeout));
        assert_eq!(e.time_ms, Some(1_678_291_360_000));
    }

    #[test]
    fn messages_to_signals() {
        let cases: &[(&[u8], Signal)] = &[
            (b"connect() failed (111: Connection refused) while connecting to upstream", Signal::UpstreamConnectRefused),
            (b"upstream timed out (110: Connection timed out) while reading response header from upstream", Signal::UpstreamReadTimeout),
            (b"upstream prematurely closed connection while reading response header from upstream", Signal::UpstreamClosedPrematurely),
            (b"upstream prematurely closed connection while reading upstream", Signal::UpstreamDiedMidResponse),
            (b"recv() failed (104: Connection reset by peer) while reading response header from upstream", Signal::UpstreamReset),
            (b"upstream sent too big header while reading response header from upstream", Signal::UpstreamHeaderTooBig),
            (b"upstream sent no valid HTTP/1.0 header while reading response header from upstream", Signal::UpstreamInvalidResponse),
            (b"SSL_do_handshake() failed (SSL: error:1408F10B:SSL routines:ssl3_get_record:wrong version number) while SSL handshaking to upstream", Signal::UpstreamTlsFailed),
            (b"no live upstreams while connecting to upstream", Signal::NoLiveUpstreams),
            (b"limiting requests, excess: 5.000 by zone \"z\"", Signal::RateLimited),
            (b"client intended to send too large body: 2097152 bytes", Signal::BodyTooLarge),
            (b"epoll_wait() reported that client prematurely closed connection, so upstream connection is closed too", Signal::ClientAborted),
            // Written by nginx 1.22 in the lab (lab/README.md).
            (b"readv() failed (104: Connection reset by peer) while reading upstream", Signal::UpstreamDiedMidResponse),
            (b"client sent invalid method while reading client request line", Signal::InvalidRequest),
            (b"client sent too long header line: \"Cookie: session=ccc...\" while reading client request headers", Signal::HeaderTooLarge),
            (b"epoll_wait() reported that client prematurely closed connection, so upstream connection is closed too while sending request to upstream", Signal::ClientAborted),
        ];
        for (m, s) in cases {
            assert_eq!(signal(m), Some(*s), "{}", String::from_utf8_lossy(m));
        }
    }
}
