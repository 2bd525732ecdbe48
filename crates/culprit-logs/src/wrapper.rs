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

/// An error-log line out of its wrapper and prefixes (error logs are read line by line, without
/// a plan): the line as it is when it already reads as an error-log entry.
pub fn error_payload(line: &[u8]) -> Cow<'_, [u8]> {
    let inner = unwrap_any(line);
    if crate::formats::errors::is_error_line(&inner) {
        return inner;
    }
    match inner {
        Cow::Borrowed(l) => strip_prefixes(l),
        Cow::Owned(l) => Cow::Owned(strip_prefixes(&l).into_owned()),
    }
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
    let parsed: DockerLine<'_> = crate::formats::json::from_line(line).ok()?;
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

// ───────────────────────── prefixes people paste in front of a log line ─────────────────────────
//
// Logs reach people through collectors and terminals that add their own prefix: `docker compose
// logs` (`svc-1  | …`), journald and syslog (`Mar  8 13:50:01 host nginx[812]: …`), `docker logs
// -t` (`2024-07-20T07:05:58.670998585Z …`), kail (`ns/pod[container]: …`), `kubectl logs
// --prefix` (`[pod/name/container] …`), the Cloud Logging console (`INFO 2025-10-19T00:12:04Z
// [resource.labels.containerName: nginx] …`), grep over several files (`access.log:…`), a logger
// tag (`ACCESS […]`), and JSON envelopes with the line in `message`, `log`, `line`, `textPayload`
// or `MESSAGE` (Fluent Bit, Vector, Loki, CloudWatch and Cloud Logging exports, journalctl -o json).
// They stack (journald around compose around CRI). `strip_prefixes` takes them off one by one.

/// The line without the prefixes in front of it (at most a few stacked), or the line itself.
pub fn strip_prefixes(line: &[u8]) -> Cow<'_, [u8]> {
    strip_named(line, |_| {})
}

/// The prefixes in front of a line, outermost first (`docker compose logs + syslog`), for an
/// input's summary; empty when it has none.
pub fn prefix_names(line: &[u8]) -> Vec<&'static str> {
    let mut names = Vec::new();
    strip_named(line, |n| names.push(n));
    names
}

/// A line with some of its prefixes off, and the name of the last one taken off.
pub type Level<'l> = (Option<&'static str>, Cow<'l, [u8]>);

/// The line with none, one, two… of its prefixes taken off, in that order, each with the name of
/// the prefix taken off last (`None` for the line itself).
pub fn prefix_levels(line: Cow<'_, [u8]>) -> Vec<Level<'_>> {
    let mut levels = vec![(None, line)];
    for _ in 0..6 {
        let last = &levels[levels.len() - 1].1;
        let next = match last {
            Cow::Borrowed(l) => strip_one(l),
            Cow::Owned(l) => strip_one(l).map(|(n, c)| (n, Cow::Owned(c.into_owned()))),
        };
        match next {
            Some((name, n)) if n.len() < last.len() => levels.push((Some(name), n)),
            _ => break,
        }
    }
    levels
}

/// The line with at most `depth` prefixes taken off.
pub fn strip_up_to(line: Cow<'_, [u8]>, depth: usize) -> Cow<'_, [u8]> {
    let mut current = line;
    for _ in 0..depth {
        let next = match &current {
            Cow::Borrowed(l) => strip_one(l).map(|(_, c)| c),
            Cow::Owned(l) => strip_one(l).map(|(_, c)| Cow::Owned(c.into_owned())),
        };
        match next {
            Some(n) if n.len() < current.len() => current = n,
            _ => break,
        }
    }
    current
}

/// Whether a prefix could be a format's own first field (a time, a bracketed tag): taken off only
/// when that reads more lines, where the others are taken off when it reads as many.
pub fn prefix_is_weak(name: &str) -> bool {
    matches!(name, "timestamp (docker logs -t)" | "logger tag")
}

fn strip_named<'l>(line: &'l [u8], mut seen: impl FnMut(&'static str)) -> Cow<'l, [u8]> {
    let mut current: Cow<'l, [u8]> = Cow::Borrowed(line);
    for _ in 0..6 {
        let next = match &current {
            Cow::Borrowed(l) => strip_one(l),
            Cow::Owned(l) => strip_one(l).map(|(n, c)| (n, Cow::Owned(c.into_owned()))),
        };
        match next {
            Some((name, n)) if n.len() < current.len() => {
                seen(name);
                current = n;
            }
            _ => break,
        }
    }
    current
}

type PrefixFn = fn(&[u8]) -> Option<&[u8]>;

/// The prefixes, named as an input's summary shows them.
const PREFIXES: [(&str, PrefixFn); 10] = [
    ("docker compose logs", compose),
    ("syslog", syslog_bsd),
    ("syslog", syslog_5424),
    ("timestamp (docker logs -t)", timestamp_prefix),
    ("kail", kail),
    ("kubectl logs --prefix", kubectl_prefix),
    ("Cloud Logging console", console_severity),
    ("grep file name", file_prefix),
    ("logger tag", logger_tag),
    ("stern", stern),
];

/// One prefix taken off, if the line starts with one.
fn strip_one(line: &[u8]) -> Option<(&'static str, Cow<'_, [u8]>)> {
    if let Some(p) = cri(line) {
        return Some(("cri", Cow::Borrowed(p)));
    }
    if line.first() == Some(&b'{') {
        return envelope(line).map(|c| ("JSON envelope", c));
    }
    PREFIXES.iter().find_map(|(name, f)| f(line).map(|p| (*name, Cow::Borrowed(p))))
}

/// A JSON object carrying the line in one of the keys collectors use.
fn envelope(line: &[u8]) -> Option<Cow<'_, [u8]>> {
    #[derive(Deserialize)]
    struct Envelope<'a> {
        #[serde(borrow, alias = "message", alias = "line", alias = "textPayload", alias = "MESSAGE")]
        log: Option<Cow<'a, str>>,
    }
    let e: Envelope<'_> = crate::formats::json::from_line(line).ok()?;
    let text = e.log?;
    // A line, not a word: collectors also put short messages there. A compact JSON object (an
    // application's request log) has no space and is a line all the same.
    let object = text.starts_with('{') && text.trim_end().ends_with('}');
    if !(text.contains(' ') || object) || text.len() < 20 {
        return None;
    }
    Some(match text {
        Cow::Borrowed(s) => Cow::Borrowed(s.trim_end_matches(['\n', '\r']).as_bytes()),
        Cow::Owned(s) => Cow::Owned(s.trim_end_matches(['\n', '\r']).as_bytes().to_vec()),
    })
}

fn is_name_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-' | b'.')
}

/// `docker compose logs`: `web-1  | …` (the name padded with spaces). Process managers write the
/// same shape with a word or two more: supervisord's stdout listener `editor stderr | …`,
/// foreman/honcho `14:21:45 web.1  | …`, shoreman `2014-08-29T03:39:35+0000 web | …`; `docker
/// service logs` names the task and node: `app_traefik.1.of166iz3i553@swarm    | …`.
fn compose(line: &[u8]) -> Option<&[u8]> {
    let token = |b: u8| is_name_byte(b) || matches!(b, b':' | b'+' | b'@');
    let mut at = 0;
    for words in 1..=3 {
        let len = line[at..].iter().take_while(|&&b| token(b)).count();
        if len == 0 {
            return None;
        }
        at += len;
        let spaces = line[at..].iter().take_while(|&&b| b == b' ').count();
        if spaces == 0 {
            return None;
        }
        if line[at + spaces..].starts_with(b"| ") {
            return Some(&line[at + spaces + 2..]);
        }
        // Words are separated by one space; the name before the bar is padded with more.
        if spaces > 1 || words == 3 {
            return None;
        }
        at += spaces;
    }
    None
}

/// BSD syslog / journald's short format: `Mar  8 13:50:01 host tag[pid]: `.
fn syslog_bsd(line: &[u8]) -> Option<&[u8]> {
    const MONTHS: [&[u8; 3]; 12] =
        [b"Jan", b"Feb", b"Mar", b"Apr", b"May", b"Jun", b"Jul", b"Aug", b"Sep", b"Oct", b"Nov", b"Dec"];
    if line.len() < 20 || !MONTHS.iter().any(|m| line.starts_with(*m)) || line[3] != b' ' {
        return None;
    }
    let t = &line[4..];
    let day_len = if t[0] == b' ' { 2 } else { t.iter().take_while(|b| b.is_ascii_digit()).count() };
    let t = t.get(day_len..)?.strip_prefix(b" ")?;
    let is_clock =
        t.len() >= 8 && t[2] == b':' && t[5] == b':' && t[..8].iter().all(|b| b.is_ascii_digit() || *b == b':');
    if !is_clock {
        return None;
    }
    host_and_tag(t.get(8..)?.strip_prefix(b" ")?)
}

/// `host tag[pid]: rest` → rest (the tag may be a path, `tomcat.log`).
fn host_and_tag(rest: &[u8]) -> Option<&[u8]> {
    let host = memchr::memchr(b' ', rest)?;
    let after = &rest[host + 1..];
    let colon = memchr::memmem::find(after, b": ")?;
    let tag = &after[..colon];
    (!tag.is_empty() && !tag.contains(&b' ')).then(|| &after[colon + 2..])
}

/// RFC 5424: `<134>1 2026-03-08T13:50:01.123Z host app 812 - - `, and RFC 3339 syslog
/// (rsyslog's high-precision template): `2026-03-08T13:50:01.123+00:00 host tag[pid]: `.
fn syslog_5424(line: &[u8]) -> Option<&[u8]> {
    if line.first() == Some(&b'<') {
        let close = memchr::memchr(b'>', &line[..line.len().min(6)])?;
        let rest = line[close + 1..].strip_prefix(b"1 ")?;
        // TIMESTAMP HOST APP PROCID MSGID, then structured data (`-` or `[…]`).
        let mut fields = rest.splitn(6, |&b| b == b' ');
        for _ in 0..5 {
            fields.next()?;
        }
        let sd = fields.next()?;
        return Some(if let Some(r) = sd.strip_prefix(b"- ") {
            r
        } else {
            let end = memchr::memmem::find(sd, b"] ")?;
            &sd[end + 2..]
        });
    }
    let ts = rfc3339_len(line)?;
    host_and_tag(line[ts..].strip_prefix(b" ")?).filter(|r| !r.is_empty())
}

/// The length of an RFC 3339 timestamp at the start of the line (`2024-07-20T07:05:58.670998585Z`,
/// `…+00:00`).
fn rfc3339_len(line: &[u8]) -> Option<usize> {
    let d = |i: usize| line.get(i).is_some_and(u8::is_ascii_digit);
    let shape = (0..4).all(d)
        && line.get(4) == Some(&b'-')
        && d(5)
        && d(6)
        && line.get(7) == Some(&b'-')
        && d(8)
        && d(9)
        && line.get(10) == Some(&b'T')
        && line.get(13) == Some(&b':');
    if !shape {
        return None;
    }
    let end = line.iter().position(|&b| b == b' ')?;
    let ts = &line[..end];
    (ts.ends_with(b"Z") || ts[19..].iter().any(|&b| b == b'+' || b == b'-')).then_some(end)
}

/// `docker logs -t` / `docker compose logs -t`: an RFC 3339 timestamp and a space.
fn timestamp_prefix(line: &[u8]) -> Option<&[u8]> {
    let end = rfc3339_len(line)?;
    line.get(end + 1..).filter(|r| !r.is_empty())
}

/// kail: `namespace/pod[container]: `.
fn kail(line: &[u8]) -> Option<&[u8]> {
    // Each name is checked as soon as its end is found: most lines fail on the first one, before
    // any longer search (this runs on every sniffed line of every input).
    let slash = line.iter().take(120).position(|&b| !is_name_byte(b))?;
    if line[slash] != b'/' || slash == 0 {
        return None;
    }
    let rest = &line[slash + 1..];
    let open = rest.iter().take(160).position(|&b| !is_name_byte(b))?;
    if rest[open] != b'[' {
        return None;
    }
    let close = rest[open + 1..].iter().position(|&b| !is_name_byte(b))? + open + 1;
    rest[close..].starts_with(b"]: ").then(|| &rest[close + 3..])
}

/// `kubectl logs --prefix`: `[pod/name/container] `.
fn kubectl_prefix(line: &[u8]) -> Option<&[u8]> {
    let rest = line.strip_prefix(b"[pod/")?;
    let close = memchr::memmem::find(rest, b"] ")?;
    Some(&rest[close + 2..])
}

/// The Cloud Logging console: `INFO 2025-10-19T00:12:04.220541710Z [resource.labels…: nginx] `.
fn console_severity(line: &[u8]) -> Option<&[u8]> {
    const SEVERITIES: [&[u8]; 9] =
        [b"DEFAULT ", b"DEBUG ", b"INFO ", b"NOTICE ", b"WARNING ", b"ERROR ", b"CRITICAL ", b"ALERT ", b"EMERGENCY "];
    let sev = SEVERITIES.iter().find(|s| line.starts_with(s))?;
    let rest = &line[sev.len()..];
    let end = rfc3339_len(rest)?;
    let rest = rest.get(end + 1..)?;
    if let Some(label) = rest.strip_prefix(b"[") {
        let close = memchr::memmem::find(label, b"] ")?;
        return Some(&label[close + 2..]);
    }
    Some(rest)
}

/// `grep` over several files: `access.log:…`, `/var/log/nginx/access.log:12:…`.
fn file_prefix(line: &[u8]) -> Option<&[u8]> {
    let colon = memchr::memchr(b':', &line[..line.len().min(300)])?;
    let path = &line[..colon];
    let looks_like_file = !path.is_empty()
        && !path.contains(&b' ')
        && (path.ends_with(b".log") || path.ends_with(b".txt") || path.ends_with(b".gz") || path.contains(&b'/'))
        && !path.starts_with(b"http");
    if !looks_like_file {
        return None;
    }
    let rest = &line[colon + 1..];
    // `grep -n`: a line number and a colon.
    let digits = rest.iter().take_while(|b| b.is_ascii_digit()).count();
    Some(if digits > 0 && rest.get(digits) == Some(&b':') { &rest[digits + 1..] } else { rest })
}

/// stern (`stern <pod-query>`): `pod container message`, or `namespace pod container message` with
/// `--all-namespaces`. Names are Kubernetes ones (lowercase, the pod's with a `-`; no dots, so a
/// host name opening a line is not one); the message must start as a proxy line does (`{`, `[`, a
/// client address) so a line's own first words stay put.
fn stern(line: &[u8]) -> Option<&[u8]> {
    let dns = |w: &[u8]| {
        !w.is_empty()
            && w[0].is_ascii_alphanumeric()
            && w.iter().all(|&b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
    };
    let mut words = line.splitn(4, |&b| b == b' ');
    let (a, b) = (words.next()?, words.next()?);
    let (c, d) = (words.next()?, words.next());
    // Two names then the message, or three names (namespace first) then the message.
    let (pod, container, message) = match d {
        Some(m) if dns(a) && dns(b) && dns(c) && b.contains(&b'-') => (b, c, m),
        _ => {
            let message = &line[a.len() + b.len() + 2..];
            (a, b, message)
        }
    };
    let starts_like_a_line = message.first().is_some_and(|&f| f == b'{' || f == b'[' || f.is_ascii_digit());
    (pod.len() >= 3 && pod.contains(&b'-') && dns(pod) && dns(container) && starts_like_a_line).then_some(message)
}

/// A logger's tag in front of the line: `ACCESS [2019-02-12T18:37:42.921Z] …`.
fn logger_tag(line: &[u8]) -> Option<&[u8]> {
    let word = line.iter().take_while(|b| b.is_ascii_uppercase()).count();
    ((3..=10).contains(&word) && line.get(word) == Some(&b' ') && line.get(word + 1) == Some(&b'['))
        .then(|| &line[word + 1..])
}

#[cfg(test)]
mod prefix_tests {
    use super::*;

    #[test]
    fn stacked_prefixes_come_off() {
        let cases: &[(&str, &str)] = &[
            (
                "balancer-5 | Aug 15 14:04:06 localhost haproxy[463]: 54.194.0.202:36122 [15/Aug/2016:14:04:01.875] x",
                "54.194.0.202:36122 [15/Aug/2016:14:04:01.875] x",
            ),
            (
                "envoy-1         | 2024-07-20T07:05:58.670998585Z [2024-07-20T07:05:54.173Z] \"GET / HTTP/1.1\" 504",
                "[2024-07-20T07:05:54.173Z] \"GET / HTTP/1.1\" 504",
            ),
            ("Apr 03 23:40:56 terve sh[22948]: caddy      | {\"level\":\"error\"}", "{\"level\":\"error\"}"),
            (
                "contour-external/envoy-2qphz[envoy]: [2020-08-16T11:02:25.650Z] \"GET / HTTP/1.1\" 200",
                "[2020-08-16T11:02:25.650Z] \"GET / HTTP/1.1\" 200",
            ),
            (
                "INFO 2025-10-19T00:12:04.220541710Z [resource.labels.containerName: nginx] 10.154.15.240 - - [19/Oct/2025:00:12:04 +0000] \"GET /coffee HTTP/1.1\" 502 150 \"-\" \"-\"",
                "10.154.15.240 - - [19/Oct/2025:00:12:04 +0000] \"GET /coffee HTTP/1.1\" 502 150 \"-\" \"-\"",
            ),
            (
                "[pod/web-7d9/nginx] 10.0.0.1 - - [x] \"GET / HTTP/1.1\" 200 1",
                "10.0.0.1 - - [x] \"GET / HTTP/1.1\" 200 1",
            ),
            ("/var/log/nginx/access.log:12:10.0.0.1 - - [x]", "10.0.0.1 - - [x]"),
            (
                "<134>1 2026-03-08T13:50:01.123Z lb1 haproxy 812 - - 10.0.0.1:5000 [08/Mar/2026:13:50:01.123] fe be/s1",
                "10.0.0.1:5000 [08/Mar/2026:13:50:01.123] fe be/s1",
            ),
            (
                r#"{"message":"ACCESS [2019-02-12T18:37:42.921Z] \"GET /httpbin/ip HTTP/1.1\" 200 - 0 43"}"#,
                "[2019-02-12T18:37:42.921Z] \"GET /httpbin/ip HTTP/1.1\" 200 - 0 43",
            ),
            (
                r#"{"@timestamp":"2026-03-08T14:00:06.2Z","message":"{\"method\":\"GET\",\"path\":\"/x\",\"status\":503}"}"#,
                r#"{"method":"GET","path":"/x","status":503}"#,
            ),
            // stern: pod and container (and the namespace with --all-namespaces).
            (
                r#"envoy-private-gateway-0260282e-68656f54c-8xf8q envoy {":authority":"kan-test.kube.pinax.io","response_code":200}"#,
                r#"{":authority":"kan-test.kube.pinax.io","response_code":200}"#,
            ),
            (
                "ingress-nginx ingress-nginx-controller-7d9f8b-x2x9q controller 10.0.0.1 - - [x] \"GET / HTTP/1.1\" 502",
                "10.0.0.1 - - [x] \"GET / HTTP/1.1\" 502",
            ),
            ("traefik-secure-687cf57f46-dx6v7 traefik-secure {\"DownstreamStatus\":0}", "{\"DownstreamStatus\":0}"),
            // Process managers: supervisord's stdout listener, foreman.
            (r#"editor stderr | {"level":"debug","status":502}"#, r#"{"level":"debug","status":502}"#),
            ("14:21:45 web.1  | 10.0.0.1 - - [x]", "10.0.0.1 - - [x]"),
            ("myswarm_traefik.1.of166iz3i553@swarm    | 10.0.0.2 - - [x]", "10.0.0.2 - - [x]"),
        ];
        for (line, want) in cases {
            assert_eq!(String::from_utf8_lossy(&strip_prefixes(line.as_bytes())), *want, "{line}");
        }
    }

    proptest::proptest! {
        /// kail's prefix is `namespace/pod[container]: `, each name of name bytes (checked as soon
        /// as each ends, for speed): the same as finding the separators first, then the names.
        #[test]
        fn kail_reads_namespace_pod_container(
            line in proptest::collection::vec(proptest::sample::select(b"a-./[]: x".to_vec()), 0..40)
        ) {
            let slow = (|| {
                let slash = line.iter().take(120).position(|&b| b == b'/')?;
                let rest = &line[slash + 1..];
                let open = rest.iter().take(160).position(|&b| b == b'[')?;
                let close = rest[open..].windows(3).position(|w| w == b"]: ")? + open;
                let names = |s: &[u8]| s.iter().all(|&b| is_name_byte(b));
                (slash > 0 && names(&line[..slash]) && names(&rest[..open]) && names(&rest[open + 1..close]))
                    .then(|| &rest[close + 3..])
            })();
            proptest::prop_assert_eq!(kail(&line), slow);
        }
    }

    #[test]
    fn bare_lines_are_left_alone() {
        for line in [
            "10.0.0.1 - - [08/Mar/2023:16:02:45 +0000] \"GET / HTTP/1.1\" 200 5 \"-\" \"curl\"",
            "[2024-07-20T07:05:54.173Z] \"GET / HTTP/1.1\" 504 UT",
            "{\"level\":\"info\",\"ts\":1.5,\"logger\":\"http.log.access\",\"msg\":\"handled request\"}",
            "http 2018-07-02T22:23:00.186641Z app/my-loadbalancer/50dc6c495c0c9188 192.168.131.39:2817",
            // Lines whose first words look like names are not stern's.
            "www.example-site.com 1.2.3.4 - - [08/Jun/2020:08:04:43 +0000] \"GET / HTTP/1.1\" 500 803",
            "h2 2018-07-02T22:23:00.186641Z app/my-loadbalancer/50dc6c495c0c9188 192.168.1.252:48160",
            "[2024-07-20T07:05:54.173Z] \"GET / HTTP/1.1\" 504 UT response_timeout - \"-\" 0 24 60000 -",
        ] {
            assert_eq!(&*strip_prefixes(line.as_bytes()), line.as_bytes(), "{line}");
        }
        // A line opened by a host name and a word (`$host $server_name $remote_addr …`) is not stern's.
        assert_eq!(
            stern(b"shop-eu.example.com web 10.0.0.1 - - [08/Jun/2020:08:04:43 +0000] \"GET / HTTP/1.1\" 200"),
            None
        );
        // An ELB line once its leading time is off: a load balancer's name is not a pod's.
        assert_eq!(stern(b"my-loadbalancer 192.168.131.39:2817 10.0.0.1:80 0.000086 0.001048 0.001337 200"), None);
    }
}
