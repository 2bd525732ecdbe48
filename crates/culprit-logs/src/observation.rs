//! The normalized view of one log line, borrowed from the line's bytes (no allocation per line).
//!
//! Parsers fill what their format offers and leave the rest empty; attribution reads only this type,
//! so it knows nothing about formats.

/// What one log line says about one request.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Observation<'a> {
    /// Unix time in milliseconds (UTC).
    pub time_ms: Option<i64>,
    /// The timestamp as written (its zone offset lets a join compare with an error log written in
    /// the server's local time, without one).
    pub time_raw: &'a [u8],
    pub method: &'a [u8],
    /// Request target as logged (path and query).
    pub target: &'a [u8],
    pub host: &'a [u8],
    /// The `Location` of a redirect, where the format logs it.
    pub location: &'a [u8],
    /// The status the client received, as logged; `None` when the field was `-` or unparsable.
    /// Pseudo-statuses are kept as numbers: nginx 009 is 9, Caddy 0 is 0, HAProxy -1 becomes 0.
    pub status: Option<u16>,
    /// Service / backend name: ingress-nginx `$proxy_upstream_name`, ALB target group, Envoy cluster.
    pub service: &'a [u8],
    pub request_id: &'a [u8],
    pub client: &'a [u8],
    /// The client's port, where the format logs it apart from the address (Apache
    /// `%{remote}p`): the error-log join then pairs the request with its own connection's entries.
    pub client_port: &'a [u8],
    /// Seconds the proxy spent on the request.
    pub request_time: Option<f64>,
    /// Bytes sent to the client (body), if logged.
    pub bytes_sent: Option<u64>,
    /// Upstream attempts as raw nginx-style lists (`a, b : c`); see [`attempts`].
    pub upstream: UpstreamLists<'a>,
    /// Facts translated from the format's own flags and messages.
    pub signals: Signals,
    /// The format's own decisive field, kept for evidence (Envoy flags, HAProxy termination state,
    /// ALB error_reason, GCP statusDetails, a joined error-log message…).
    pub detail: &'a [u8],
    /// Where `detail` comes from, as a person would name it.
    pub detail_source: &'static str,
    /// The format says the upstream produced the status (Envoy `via_upstream`, an HAProxy server
    /// that sent response headers, an ALB target status), even without upstream fields.
    pub upstream_answered: bool,
    /// The format says the proxy answered by itself, without an upstream (a Caddy response whose
    /// logged headers carry no upstream `Date`).
    pub proxy_answered: bool,
    /// The edge served the response from its cache without asking the origin (a CDN hit): the
    /// CDN answered, with the status the origin once gave.
    pub cache_hit: bool,
    /// How sure the error-log join is, when one decided `detail`.
    pub join: JoinQuality,
    /// The proxy's error log covers this request's time and has no entry for it: a proxy that
    /// logs its own failures did not fail here.
    pub error_log_silent: bool,
}

/// What the error-log join could not pin down.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum JoinQuality {
    /// No join, or one entry that fits in every respect.
    #[default]
    Exact,
    /// This many entries with different messages fit the request; the closest in time was used.
    Ambiguous(u8),
}

/// The per-attempt upstream fields, each a list separated by `", "` (retries) or `" : "` (internal
/// redirect to another upstream group).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct UpstreamLists<'a> {
    pub addr: &'a [u8],
    pub status: &'a [u8],
    pub response_time: &'a [u8],
    pub length: &'a [u8],
    /// Set by a parser that saw no separator in any list: one attempt, each field its own item
    /// (the common case, read without searching for separators).
    pub single: bool,
}

impl UpstreamLists<'_> {
    /// Number of items in the address list.
    pub fn item_count(&self) -> usize {
        list_items(self.addr).count()
    }

    /// True when no upstream was contacted (every field empty or `-`).
    pub fn is_empty(&self) -> bool {
        [self.addr, self.status, self.response_time, self.length].iter().all(|f| is_dash(f))
    }
}

/// One attempt to reach an upstream. Its time and length are parsed only when asked for: every
/// line needs the address and status, few need the rest.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Attempt<'a> {
    pub addr: &'a [u8],
    pub status: Option<u16>,
    /// The attempt's response-time and length items, or the whole lists when `whole_lists` (the
    /// last item is then taken on demand).
    time: &'a [u8],
    length: &'a [u8],
    whole_lists: bool,
}

impl Attempt<'_> {
    pub fn response_time(&self) -> Option<f64> {
        parse_f64(if self.whole_lists { last_item(self.time) } else { self.time })
    }

    pub fn length(&self) -> Option<u64> {
        parse_u64(if self.whole_lists { last_item(self.length) } else { self.length })
    }
}

/// The attempts in order, the last one being what the client got.
pub fn attempts<'a>(u: &UpstreamLists<'a>) -> impl Iterator<Item = Attempt<'a>> {
    let mut addr = list_items(u.addr);
    let mut status = list_items(u.status);
    let mut time = list_items(u.response_time);
    let mut length = list_items(u.length);
    std::iter::from_fn(move || {
        let (a, s, t, l) = (addr.next(), status.next(), time.next(), length.next());
        if a.is_none() && s.is_none() && t.is_none() && l.is_none() {
            return None;
        }
        Some(Attempt {
            addr: a.unwrap_or(b"-"),
            status: s.and_then(parse_u16),
            time: t.unwrap_or_default(),
            length: l.unwrap_or_default(),
            whole_lists: false,
        })
    })
}

/// The last attempt (what the client saw), if any upstream was contacted. Runs on every line, so
/// it reads each list's last item directly instead of iterating over all of them.
pub fn last_attempt<'a>(u: &UpstreamLists<'a>) -> Option<Attempt<'a>> {
    // One attempt (the parser saw no separator): each field is its own item.
    let item = |f| if u.single { trim(f) } else { last_item(f) };
    let addr = item(u.addr);
    let status = item(u.status);
    // Every item blank (every field `-` or empty, or only separators): no upstream was contacted.
    // The address first: most lines have one, and then nothing else needs a look.
    if is_dash(addr) && is_dash(status) && is_dash(item(u.response_time)) && is_dash(item(u.length)) {
        return None;
    }
    Some(Attempt {
        addr: if addr.is_empty() { b"-" } else { addr },
        status: parse_u16(status),
        time: u.response_time,
        length: u.length,
        whole_lists: true,
    })
}

/// The last non-empty item of an upstream list: after the last `,` or ` : ` separator, trimmed
/// (the same item the iterator in [`attempts`] ends with).
fn last_item(field: &[u8]) -> &[u8] {
    let mut end = field.len();
    loop {
        let mut start = 0;
        let mut sep = None;
        let mut i = end;
        while i > 0 {
            i -= 1;
            let b = field[i];
            if b == b',' || (b == b':' && i > 0 && field[i - 1] == b' ' && field.get(i + 1) == Some(&b' ')) {
                start = i + 1;
                sep = Some(if b == b':' { i - 1 } else { i });
                break;
            }
        }
        let item = trim(&field[start..end]);
        match sep {
            Some(s) if item.is_empty() => end = s,
            _ => return item,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn last_item_and_attempts_agree() {
        for field in
            [&b"10.0.0.1:80, 10.0.0.2:80"[..], b"a:1 : b:2", b"x", b"-", b"", b"1.1.1.1:80, 2.2.2.2:80 : 3.3.3.3:80"]
        {
            let u = UpstreamLists { addr: field, status: b"502", response_time: b"0.001", length: b"0", single: false };
            let slow = attempts(&u).last().map(|a| a.addr);
            let fast = last_attempt(&u).map(|a| a.addr);
            assert_eq!(fast.filter(|a| *a != b"-"), slow.filter(|a| *a != b"-"), "{}", String::from_utf8_lossy(field));
        }
    }

    #[test]
    fn fast_decimal() {
        assert_eq!(parse_f64(b"0.016"), Some(0.016));
        assert_eq!(parse_f64(b"60.001"), Some(60.001));
        assert_eq!(parse_f64(b"5"), Some(5.0));
        assert_eq!(parse_f64(b"1e3"), Some(1000.0));
        assert_eq!(parse_f64(b"-"), None);
        assert_eq!(parse_f64(b".5"), Some(0.5));
        assert_eq!(parse_f64(b"abc"), None);
    }
}

/// Items of an nginx upstream list: separated by `,` or ` : `, blanks trimmed.
fn list_items(field: &[u8]) -> impl Iterator<Item = &[u8]> {
    let field = if is_dash(field) { &b""[..] } else { field };
    // `,` separates retries; ` : ` separates groups (a lone ':' is part of ip:port).
    field.split(|&b| b == b',').flat_map(split_group)
}

fn split_group(part: &[u8]) -> impl Iterator<Item = &[u8]> {
    let mut rest = Some(part);
    std::iter::from_fn(move || {
        let p = rest?;
        if let Some(i) = memchr::memmem::find(p, b" : ") {
            rest = Some(&p[i + 3..]);
            Some(trim(&p[..i]))
        } else {
            rest = None;
            Some(trim(p))
        }
    })
    .filter(|s| !s.is_empty())
}

/// `-` (or empty) means "no value" in nginx-style logs.
pub fn is_dash(f: &[u8]) -> bool {
    f.is_empty() || f == b"-"
}

pub fn trim(s: &[u8]) -> &[u8] {
    s.trim_ascii()
}

pub fn parse_u16(s: &[u8]) -> Option<u16> {
    if s.is_empty() || s.len() > 5 || !s.iter().all(u8::is_ascii_digit) {
        return None;
    }
    s.iter().try_fold(0u32, |n, &d| Some(n * 10 + u32::from(d - b'0'))).and_then(|n| u16::try_from(n).ok())
}

pub fn parse_u64(s: &[u8]) -> Option<u64> {
    if s.is_empty() || s.len() > 19 || !s.iter().all(u8::is_ascii_digit) {
        return None;
    }
    Some(s.iter().fold(0u64, |n, &d| n * 10 + u64::from(d - b'0')))
}

/// Decimal seconds such as `0.016` or `60.001`; `-` and garbage give `None`. The common shape
/// (digits, optional point, up to nine decimals) is parsed by hand: it is on every line.
pub fn parse_f64(s: &[u8]) -> Option<f64> {
    if s.is_empty() || s == b"-" {
        return None;
    }
    // One pass: digits, at most one point (no call into memchr for five bytes).
    let (mut whole, mut part, mut decimals, mut point) = (0u64, 0u64, 0usize, false);
    let simple = s.len() <= 19
        && s[0] != b'.'
        && s.iter().all(|&b| match b {
            b'0'..=b'9' if point => {
                part = part * 10 + u64::from(b - b'0');
                decimals += 1;
                decimals <= 9
            }
            b'0'..=b'9' => {
                whole = whole * 10 + u64::from(b - b'0');
                true
            }
            b'.' if !point => {
                point = true;
                true
            }
            _ => false,
        });
    if simple && whole < 1 << 53 {
        #[allow(clippy::cast_precision_loss)]
        return Some(whole as f64 + part as f64 / POW10[decimals]);
    }
    std::str::from_utf8(s).ok()?.parse::<f64>().ok().filter(|v| v.is_finite())
}

const POW10: [f64; 10] = [1.0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9];

/// Facts that decide attribution, translated from each format's vocabulary.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub struct Signals(u64);

/// One signal. The numeric values are bit positions in [`Signals`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[repr(u8)]
pub enum Signal {
    UpstreamConnectRefused,
    /// Connecting to (or exchanging with) the upstream failed, and the log does not say how:
    /// refused, timed out, reset or TLS (Envoy `UF` without details, Traefik's bare 502).
    UpstreamConnectFailed,
    UpstreamConnectTimeout,
    UpstreamReadTimeout,
    UpstreamClosedPrematurely,
    UpstreamReset,
    UpstreamInvalidResponse,
    UpstreamHeaderTooBig,
    UpstreamTlsFailed,
    UpstreamDnsFailed,
    NoLiveUpstreams,
    NoEndpoints,
    CircuitOpen,
    Overloaded,
    ClientAborted,
    ClientTimeout,
    RateLimited,
    BodyTooLarge,
    HeaderTooLarge,
    InvalidRequest,
    AccessDenied,
    AuthFailed,
    NoRoute,
    /// The route names a backend (cluster) that does not exist.
    NoCluster,
    /// A web application firewall blocked the request.
    WafBlocked,
    /// The upstream died after the response started (status kept, body truncated).
    UpstreamDiedMidResponse,
    /// The proxy logged an error for this request that culprit does not recognise: the proxy
    /// generated the status, for a reason only its message tells.
    ProxyError,
    /// The external authorization service failed (unreachable, error, invalid answer) and the
    /// proxy refused the request for want of an answer (Envoy `ext_authz_error`, Istio Mixer
    /// `UNAVAILABLE`), as opposed to the service denying it.
    AuthServiceError,
    /// The global rate-limit service failed and the proxy fails closed (Envoy `RLSE`).
    RateLimitServiceError,
    /// A fault-injection rule aborted the request on purpose (Envoy `FI`).
    FaultInjected,
    /// A filter never received its configuration from the control plane (Envoy `NFCF`).
    FilterConfigMissing,
    /// Nothing was written and next to no time spent: most likely no handler took the request
    /// (Caddy before 2.8 logs its empty 200 as status 0); a guess, unlike [`Signal::NoRoute`].
    NothingWritten,
}

impl Signals {
    pub fn set(&mut self, s: Signal) {
        self.0 |= 1 << s as u8;
    }
    pub fn has(self, s: Signal) -> bool {
        self.0 & (1 << s as u8) != 0
    }
    pub fn is_empty(self) -> bool {
        self.0 == 0
    }
}
