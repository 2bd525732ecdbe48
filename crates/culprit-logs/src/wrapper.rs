//! Container-runtime wrappers around log lines, stripped transparently: logs copied from nodes (or
//! `/var/log/pods`) come wrapped.
//!
//! - CRI (containerd, CRI-O): `2026-03-08T16:02:45.123456789Z stdout F <line>`, the regex
//!   `^(\S+) (stdout|stderr) ([FP]) (.*)$` (`P` marks a partial line, continued by the next).
//! - Docker json-file: `{"log":"<line>\n","stream":"stdout","time":"2026-03-08T16:02:45.1Z"}`.

use serde::Deserialize;
use std::borrow::Cow;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Wrapper {
    None,
    Cri,
    Docker,
}

impl Wrapper {
    /// The name inputs report (`None` for bare lines).
    pub fn name(self) -> Option<&'static str> {
        match self {
            Wrapper::None => None,
            Wrapper::Cri => Some("cri"),
            Wrapper::Docker => Some("docker"),
        }
    }

    /// The payload of a line in this wrapper; the line itself when it is not wrapped so.
    pub fn unwrap(self, line: &[u8]) -> Cow<'_, [u8]> {
        match self {
            Wrapper::None => Cow::Borrowed(line),
            Wrapper::Cri => Cow::Borrowed(cri(line).unwrap_or(line)),
            Wrapper::Docker => docker(line).unwrap_or(Cow::Borrowed(line)),
        }
    }
}

/// The payload of a line in whatever wrapper it has (for lines read before a wrapper is locked).
pub fn unwrap_any(line: &[u8]) -> Cow<'_, [u8]> {
    detect(line).unwrap(line)
}

/// The wrapper of one line, if any.
pub fn detect(line: &[u8]) -> Wrapper {
    if cri(line).is_some() {
        Wrapper::Cri
    } else if line.starts_with(b"{\"log\":") && docker(line).is_some() {
        Wrapper::Docker
    } else {
        Wrapper::None
    }
}

/// The payload of a CRI line.
pub fn cri(line: &[u8]) -> Option<&[u8]> {
    let sp = memchr::memchr(b' ', line)?;
    let ts = &line[..sp];
    if ts.len() < 20 || ts[4] != b'-' || ts[10] != b'T' {
        return None;
    }
    let rest = &line[sp + 1..];
    let rest = rest.strip_prefix(b"stdout ").or_else(|| rest.strip_prefix(b"stderr "))?;
    match rest {
        [b'F' | b'P', b' ', payload @ ..] => Some(payload),
        [b'F' | b'P'] => Some(b""),
        _ => None,
    }
}

#[derive(Deserialize)]
struct DockerLine<'a> {
    #[serde(borrow)]
    log: Cow<'a, str>,
}

/// The payload of a Docker json-file line (unescaped, trailing newline removed).
pub fn docker(line: &[u8]) -> Option<Cow<'_, [u8]>> {
    let parsed: DockerLine<'_> = serde_json::from_slice(line).ok()?;
    Some(match parsed.log {
        Cow::Borrowed(s) => Cow::Borrowed(s.trim_end_matches(['\n', '\r']).as_bytes()),
        Cow::Owned(s) => Cow::Owned(s.trim_end_matches(['\n', '\r']).as_bytes().to_vec()),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unwraps() {
        let l = b"2026-03-08T16:02:45.123456789Z stdout F 10.0.0.1 - - [x]";
        assert_eq!(detect(l), Wrapper::Cri);
        assert_eq!(cri(l), Some(&b"10.0.0.1 - - [x]"[..]));
        let d = br#"{"log":"10.0.0.1 - - \"GET / HTTP/1.1\" 200\n","stream":"stdout","time":"2026-03-08T16:02:45.1Z"}"#;
        assert_eq!(detect(d), Wrapper::Docker);
        assert_eq!(docker(d).unwrap().as_ref(), br#"10.0.0.1 - - "GET / HTTP/1.1" 200"#);
        assert_eq!(detect(b"10.0.0.1 - - [08/Mar/2023:16:02:45 +0000]"), Wrapper::None);
        assert_eq!(cri(b"2026-03-08T16:02:45Z stdin F x"), None);
    }
}
