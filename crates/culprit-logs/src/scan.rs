//! Byte-scanning helpers every format shares: the request line, a URL's authority, a target's
//! path. Kept in one place so that a fix to how a request line is read reaches every format.

/// `GET /path?q=1 HTTP/1.1` → (`GET`, `/path?q=1`). A line without a space (a TLS handshake logged
/// as `\x16\x03\x01…`, an empty request) gives empty method and target; a line without a protocol
/// (`GET /x`, HTTP/0.9) keeps everything after the method as the target.
#[inline]
pub fn request_line(value: &[u8]) -> (&[u8], &[u8]) {
    let Some(sp) = crate::formats::nginx::find_byte(b' ', value) else { return (b"", b"") };
    let method = &value[..sp];
    let rest = &value[sp + 1..];
    // Most request lines end in ` HTTP/1.1`: check that before searching from the end.
    let n = rest.len();
    if n > 9
        && rest[n - 9..n - 3] == *b" HTTP/"
        && rest[n - 2] == b'.'
        && rest[n - 1].is_ascii_digit()
        && rest[n - 3].is_ascii_digit()
    {
        return (method, &rest[..n - 9]);
    }
    let target = match memchr::memrchr(b' ', rest) {
        Some(end) if rest[end + 1..].starts_with(b"HTTP/") => &rest[..end],
        _ => rest,
    };
    (method, target)
}

/// The authority of a URL: `http://10.0.0.1:80/x` → `10.0.0.1:80`; a bare `host:port` stays.
pub fn authority(url: &[u8]) -> &[u8] {
    let after = memchr::memmem::find(url, b"://").map_or(url, |i| &url[i + 3..]);
    let end = memchr::memchr(b'/', after).unwrap_or(after.len());
    &after[..end]
}

/// The path of a target without its query: a loop often adds a parameter on each hop.
pub fn path_of(target: &[u8]) -> &[u8] {
    memchr::memchr(b'?', target).map_or(target, |i| &target[..i])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn request_lines_urls_and_paths() {
        assert_eq!(request_line(b"GET /a?b=1 HTTP/1.1"), (&b"GET"[..], &b"/a?b=1"[..]));
        assert_eq!(request_line(b"GET /with space HTTP/2.0"), (&b"GET"[..], &b"/with space"[..]));
        assert_eq!(request_line(b"GET /x"), (&b"GET"[..], &b"/x"[..]));
        assert_eq!(request_line(b"\\x16\\x03\\x01"), (&b""[..], &b""[..]));
        assert_eq!(authority(b"http://10.0.0.1:80/x"), b"10.0.0.1:80");
        assert_eq!(authority(b"10.0.0.1:80"), b"10.0.0.1:80");
        assert_eq!(authority(b"https://[::1]:8443"), b"[::1]:8443");
        assert_eq!(path_of(b"/a?b=1"), b"/a");
    }
}
