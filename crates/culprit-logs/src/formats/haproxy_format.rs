//! HAProxy custom `log-format` strings (`--haproxy-format`), compiled once into literals and
//! items, as HAProxy defines them (`doc/configuration.txt` §8.2.6):
//!
//! ```text
//! log-format "%ci:%cp [%tr] %ft %b/%s %TR/%Tw/%Tc/%Tr/%Ta %ST %B %CC %CS %tsc %ac/%fc/%bc/%sc/%rc %sq/%bq %hr %hs %{+Q}r"
//! ```
//!
//! Items are aliases (`%ST`, `%tsc`…) or sample fetches (`%[res.timer.hdr]`), with optional flags
//! (`%{+Q}r` quotes, `%{+Q}o` quotes every item after it) and names (`%(status)ST`). Runs of spaces
//! are one separator, and HAProxy drops the separator of an item that wrote nothing (no captured
//! headers): a separator here matches any run of spaces, none included. `${HAPROXY_HTTP_LOG_FMT}`
//! and its siblings stand for the built-in layouts. A line read with the format becomes a
//! [`Session`], translated exactly as `option httplog` lines are.

use super::haproxy::{self, NotHttplog, Session};
use super::nginx::FormatError;
use crate::observation::Observation;

/// What an item fills.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Item {
    ClientIp,
    ClientPort,
    /// `%t`, `%tr` (no zone), `%T`, `%trg`, `%trl`, `%Tl` (with a zone after a space).
    Date {
        zone: bool,
    },
    /// `%Ts`: epoch seconds.
    Epoch,
    Frontend,
    Backend,
    Server,
    TimerRequest,
    TimerQueue,
    TimerConnect,
    TimerResponse,
    TimerTotal,
    /// `%Tt`: the total time when `%Ta` is not logged.
    TimerSession,
    Status,
    Bytes,
    State,
    Request,
    Method,
    Target,
    Host,
    RequestId,
    /// `%hr`, `%hs`: `{…}`, or nothing when no header is captured.
    Captures,
    /// Anything else: read and dropped.
    Other,
}

impl Item {
    /// An alias (`ST`, `tsc`, `Ta`…). `None` for one HAProxy does not define.
    fn alias(name: &str) -> Option<Item> {
        Some(match name {
            "ci" => Item::ClientIp,
            "cp" => Item::ClientPort,
            "t" | "tr" => Item::Date { zone: false },
            "T" | "Tl" | "trg" | "trl" => Item::Date { zone: true },
            "Ts" => Item::Epoch,
            "f" | "ft" => Item::Frontend,
            "b" => Item::Backend,
            "s" => Item::Server,
            "TR" | "Tq" => Item::TimerRequest,
            "Tw" => Item::TimerQueue,
            "Tc" => Item::TimerConnect,
            "Tr" => Item::TimerResponse,
            "Ta" => Item::TimerTotal,
            "Tt" => Item::TimerSession,
            "ST" | "st" => Item::Status,
            "B" => Item::Bytes,
            "ts" | "tsc" => Item::State,
            "r" => Item::Request,
            "HM" => Item::Method,
            "HU" | "HP" | "HPO" => Item::Target,
            "ID" => Item::RequestId,
            "hr" | "hs" => Item::Captures,
            "ms" | "Th" | "Ti" | "Td" | "Tu" | "U" | "CC" | "CS" | "H" | "HQ" | "HV" | "ac" | "fc" | "bc" | "sc"
            | "rc" | "sq" | "bq" | "lc" | "pid" | "rt" | "bi" | "bp" | "fi" | "fp" | "si" | "sp" | "sslc" | "sslv"
            | "OG" | "hrl" | "hsl" => Item::Other,
            _ => return None,
        })
    }

    /// A sample fetch expression (`src`, `res.timer.hdr`, `req.hdr(host),lower`…).
    fn fetch(expr: &str) -> Item {
        let fetch = expr.split(',').next().unwrap_or_default().trim().to_ascii_lowercase();
        match fetch.as_str() {
            "src" => Item::ClientIp,
            "src_port" => Item::ClientPort,
            "accept_date" | "request_date" => Item::Epoch,
            "fe_name" => Item::Frontend,
            "be_name" => Item::Backend,
            "srv_name" => Item::Server,
            "req.timer.hdr" | "req.timer.tq" => Item::TimerRequest,
            "req.timer.queue" => Item::TimerQueue,
            "bc.timer.connect" => Item::TimerConnect,
            "res.timer.hdr" => Item::TimerResponse,
            "txn.timer.total" => Item::TimerTotal,
            "fc.timer.total" => Item::TimerSession,
            "txn.status" | "status" => Item::Status,
            "res.bytes_in" => Item::Bytes,
            "txn.sess_term_state" => Item::State,
            "method" => Item::Method,
            "path" | "pathq" | "url" => Item::Target,
            "unique-id" | "req.hdr(x-request-id)" | "hdr(x-request-id)" => Item::RequestId,
            "req.hdr(host)" | "hdr(host)" | "req.fhdr(host)" | "base" => Item::Host,
            _ => Item::Other,
        }
    }

    /// Values that hold no space unless quoted.
    fn is_token(self) -> bool {
        !matches!(self, Item::Date { zone: true } | Item::Request | Item::Captures | Item::Other)
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Step {
    Lit(Vec<u8>),
    Var {
        item: Item,
        /// The literal after it (`None`: the value runs to the end of the line).
        next: Option<Vec<u8>>,
    },
}

/// A compiled HAProxy `log-format`.
#[derive(Debug, Clone)]
pub struct HaproxyFormat {
    steps: Vec<Step>,
    /// The format names the server (`%s`): otherwise who answered comes from the termination
    /// state and the timers alone.
    pub has_server: bool,
}

/// The built-in layouts a format may name (`${HAPROXY_HTTP_LOG_FMT}`), from HAProxy's src/log.c.
const BUILT_INS: &[(&str, &str)] = &[
    (
        "HAPROXY_HTTP_LOG_FMT",
        "%ci:%cp [%tr] %ft %b/%s %TR/%Tw/%Tc/%Tr/%Ta %ST %B %CC %CS %tsc %ac/%fc/%bc/%sc/%rc %sq/%bq %hr %hs %{+Q}r",
    ),
    (
        "HAPROXY_HTTPS_LOG_FMT",
        "%ci:%cp [%tr] %ft %b/%s %TR/%Tw/%Tc/%Tr/%Ta %ST %B %CC %CS %tsc %ac/%fc/%bc/%sc/%rc %sq/%bq %hr %hs %{+Q}r \
         %[fc_err]/%[ssl_fc_err,hex]/%[ssl_c_err]/%[ssl_c_ca_err]/%[ssl_fc_is_resumed] %[ssl_fc_sni]/%sslv/%sslc",
    ),
    (
        "HAPROXY_HTTP_CLF_LOG_FMT",
        "%{+Q}o %{-Q}ci - - [%trg] %r %ST %B \"\" \"\" %cp %ms %ft %b %s %TR %Tw %Tc %Tr %Ta %tsc %ac %fc %bc %sc %rc \
         %sq %bq %CC %CS %hrl %hsl",
    ),
];

/// The format as HAProxy's configuration parser would pass it on: the `log-format` keyword and the
/// config quoting removed (`"…"` with `\"` inside, `'…'`, or backslash-escaped spaces), the
/// built-in layouts expanded.
fn unquote_config(format: &str) -> String {
    let f = format.trim();
    let f = f.strip_prefix("log-format").map_or(f, str::trim_start);
    let (body, quote) = match f.as_bytes() {
        [q @ (b'"' | b'\''), .., last] if last == q => (&f[1..f.len() - 1], Some(*q)),
        _ => (f, None),
    };
    let mut out = String::with_capacity(body.len());
    let mut chars = body.chars().peekable();
    while let Some(c) = chars.next() {
        match (c, chars.peek()) {
            ('\\', Some(&n)) if quote != Some(b'\'') && matches!(n, ' ' | '"' | '\\' | '#' | '\'') => {
                out.push(n);
                chars.next();
            }
            // A line continuation inside a pasted multi-line directive.
            ('\\', Some('\n')) => {
                chars.next();
            }
            _ => out.push(c),
        }
    }
    for (name, layout) in BUILT_INS {
        out = out.replace(&format!("${{{name}}}"), layout).replace(&format!("\"${{{name}}}\""), layout);
    }
    out
}

impl HaproxyFormat {
    /// Compile a `log-format` string.
    pub fn compile(format: &str) -> Result<HaproxyFormat, FormatError> {
        let format = unquote_config(format);
        if format.contains("+json") || format.contains("+cbor") {
            return Err(FormatError(
                "JSON- or CBOR-encoded log-formats (%{+json}o) are not supported: write the JSON keys in the \
                 format instead ('{\"status\":%ST,\"termination_state\":\"%tsc\"}')"
                    .into(),
            ));
        }
        let bytes = format.as_bytes();
        let mut tokens: Vec<Step> = Vec::new();
        let mut lit = Vec::new();
        let mut i = 0;
        while i < bytes.len() {
            match bytes[i] {
                b'%' if bytes.get(i + 1) == Some(&b'%') => {
                    lit.push(b'%');
                    i += 2;
                }
                b'%' => {
                    let start = i;
                    let (item, next) = item_at(&format, i)?;
                    i = next;
                    let Some(item) = item else { continue }; // `%o`: flags only
                    if !lit.is_empty() {
                        tokens.push(Step::Lit(std::mem::take(&mut lit)));
                    }
                    if matches!(tokens.last(), Some(Step::Var { .. })) {
                        return Err(FormatError(format!(
                            "{} directly follows another item: nothing separates them",
                            &format[start..next]
                        )));
                    }
                    tokens.push(Step::Var { item, next: None });
                }
                b' ' | b'\t' => {
                    // Runs of blanks are one separator.
                    if lit.last() != Some(&b' ') {
                        lit.push(b' ');
                    }
                    i += 1;
                }
                b => {
                    lit.push(b);
                    i += 1;
                }
            }
        }
        if !lit.is_empty() {
            tokens.push(Step::Lit(lit));
        }
        let has = |want: Item| tokens.iter().any(|t| matches!(t, Step::Var { item, .. } if *item == want));
        if !has(Item::Status) {
            return Err(FormatError("the format has no %ST: culprit needs the status code".into()));
        }
        if !has(Item::State) {
            return Err(FormatError(
                "the format has no %tsc (or %ts): the termination state is what tells who answered".into(),
            ));
        }
        let has_server = has(Item::Server);
        let steps = (0..tokens.len())
            .map(|i| match &tokens[i] {
                Step::Var { item, .. } => Step::Var {
                    item: *item,
                    next: match tokens.get(i + 1) {
                        Some(Step::Lit(l)) => Some(l.clone()),
                        _ => None,
                    },
                },
                lit @ Step::Lit(_) => lit.clone(),
            })
            .collect();
        Ok(HaproxyFormat { steps, has_server })
    }

    /// Read one line: the format's fields, after whatever syslog wrote in front of them.
    pub fn parse<'a>(&self, line: &'a [u8], obs: &mut Observation<'a>) -> Result<(), NotHttplog> {
        // Syslog headers end with `tag[pid]: ` (BSD, journald) or a run of space-separated fields
        // (RFC 5424): the format is tried at the start, then after each of those.
        let starts = std::iter::once(0)
            .chain(memchr::memmem::find_iter(&line[..line.len().min(320)], b": ").map(|i| i + 2).take(4))
            .chain(memchr::memchr_iter(b' ', &line[..line.len().min(320)]).map(|i| i + 1).take(12));
        for start in starts {
            let mut s = Session { server_unknown: !self.has_server, ..Session::default() };
            if self.read(&line[start..], &mut s).is_some() {
                return haproxy::apply(&s, obs);
            }
        }
        Err(NotHttplog)
    }

    fn read<'a>(&self, line: &'a [u8], s: &mut Session<'a>) -> Option<()> {
        let mut pos = 0;
        let mut session_time = None;
        for step in &self.steps {
            match step {
                Step::Lit(l) => pos = literal(line, pos, l)?,
                Step::Var { item, next } => {
                    let (value, end) = value(line, pos, *item, next.as_deref())?;
                    pos = end;
                    let timer = || haproxy_ms(value);
                    match item {
                        Item::ClientIp => s.client = value,
                        Item::ClientPort | Item::Other => {}
                        Item::Date { .. } => s.date = value,
                        Item::Epoch => (s.date, s.epoch) = (value, true),
                        Item::Frontend => s.frontend = value,
                        Item::Backend => s.backend = value,
                        Item::Server => s.server = value,
                        Item::TimerRequest => s.timers.request = Some(timer()?),
                        Item::TimerQueue => s.timers.queue = Some(timer()?),
                        Item::TimerConnect => s.timers.connect = Some(timer()?),
                        Item::TimerResponse => s.timers.response = Some(timer()?),
                        Item::TimerTotal => s.timers.total = Some(timer()?),
                        Item::TimerSession => session_time = Some(timer()?),
                        Item::Status => s.status = value,
                        Item::Bytes => s.bytes = value,
                        Item::State => s.state = value,
                        Item::Request => s.request = value,
                        Item::Method => s.method = value,
                        Item::Target => s.target = value,
                        Item::Host => s.host = value,
                        Item::RequestId => s.request_id = value,
                        Item::Captures => s.captures = value,
                    }
                }
            }
        }
        if !line[pos..].trim_ascii().is_empty() {
            return None;
        }
        if s.timers.total.is_none() {
            s.timers.total = session_time;
        }
        // A client logged as `%[src]` with its port elsewhere still reads as `ip:port` nowhere:
        // keep it as written.
        Some(())
    }
}

/// `%…` at byte `at`: the item (`None` for `%o`, whose flags apply to what follows) and where the
/// text after it starts.
fn item_at(format: &str, at: usize) -> Result<(Option<Item>, usize), FormatError> {
    let bytes = format.as_bytes();
    let mut i = at + 1;
    // `%(name:type)`: the name is for encoded formats only.
    if bytes.get(i) == Some(&b'(') {
        let close = format[i..].find(')').ok_or_else(|| FormatError(format!("unclosed %( at byte {at}")))?;
        i += close + 1;
    }
    // `%{+Q,-X}`: flags; quoting is read from the line itself.
    if bytes.get(i) == Some(&b'{') {
        let close = format[i..].find('}').ok_or_else(|| FormatError(format!("unclosed %{{ at byte {at}")))?;
        i += close + 1;
    }
    if bytes.get(i) == Some(&b'[') {
        let close = format[i..].find(']').ok_or_else(|| FormatError(format!("unclosed %[ at byte {at}")))?;
        return Ok((Some(Item::fetch(&format[i + 1..i + close])), i + close + 1));
    }
    let len = bytes[i..].iter().take_while(|b| b.is_ascii_alphanumeric()).count();
    let name = &format[i..i + len];
    if name == "o" {
        return Ok((None, i + len));
    }
    match Item::alias(name) {
        Some(item) => Ok((Some(item), i + len)),
        None if name.is_empty() => Err(FormatError(format!("a lone % at byte {at} (write %% for a percent sign)"))),
        None => Err(FormatError(format!("%{name} is not an HAProxy log-format alias (doc/configuration.txt §8.2.6)"))),
    }
}

/// Match a literal at `pos`; a space in it matches any run of spaces (none included: HAProxy
/// drops the separator of an item that wrote nothing). Returns the position after it.
fn literal(line: &[u8], mut pos: usize, lit: &[u8]) -> Option<usize> {
    for &b in lit {
        if b == b' ' {
            while line.get(pos) == Some(&b' ') {
                pos += 1;
            }
        } else if line.get(pos) == Some(&b) {
            pos += 1;
        } else {
            return None;
        }
    }
    Some(pos)
}

/// The value of `item` at `pos`, and where it ends.
fn value<'a>(line: &'a [u8], pos: usize, item: Item, next: Option<&[u8]>) -> Option<(&'a [u8], usize)> {
    let rest = &line[pos..];
    // The literal that ends the value, without the separator's flexible spaces.
    let stop = next.map(<[u8]>::trim_ascii_start).filter(|n| !n.is_empty());
    let space_next = next.is_some_and(|n| n.first() == Some(&b' '));
    match item {
        Item::Captures if rest.first() != Some(&b'{') => return Some((b"", pos)),
        Item::Captures => {
            let close = memchr::memchr(b'}', rest)?;
            return Some((&rest[..=close], pos + close + 1));
        }
        _ => {}
    }
    // `%{+Q}`: a quoted value runs to its closing quote (HAProxy encodes quotes inside as #22, or
    // escapes them as \" with +E).
    if rest.first() == Some(&b'"') {
        let mut i = 1;
        loop {
            let q = memchr::memchr(b'"', &rest[i..])? + i;
            if rest[q - 1] != b'\\' {
                return Some((&rest[1..q], pos + q + 1));
            }
            i = q + 1;
        }
    }
    let end = match item {
        // `10.0.0.1:443`, `[::1]:443`, `::1:443`: an IPv6 address holds colons too.
        Item::ClientIp if stop.is_some_and(|n| n[0] == b':') => {
            let token = memchr::memchr(b' ', rest).unwrap_or(rest.len());
            memchr::memrchr(b':', &rest[..token])?
        }
        // `06/Feb/2009:12:14:14 +0000`.
        Item::Date { zone: true } => {
            let first = memchr::memchr(b' ', rest)?;
            let zone = rest.get(first + 1..first + 6)?;
            if !matches!(zone[0], b'+' | b'-') || !zone[1..].iter().all(u8::is_ascii_digit) {
                return None;
            }
            first + 6
        }
        // An unquoted request line between separators holds spaces: it ends after `HTTP/x.y`.
        Item::Request if space_next || stop.is_none() => match memchr::memmem::find(rest, b" HTTP/") {
            Some(h) => h + 1 + memchr::memchr(b' ', &rest[h + 1..]).unwrap_or(rest.len() - h - 1),
            None => until(rest, stop, space_next)?,
        },
        _ if item.is_token() && (space_next || stop.is_none()) => memchr::memchr(b' ', rest).unwrap_or(rest.len()),
        _ => until(rest, stop, space_next)?,
    };
    Some((&rest[..end], pos + end))
}

/// Where a value ends: at the next literal (its text after the separator), else the line's end.
fn until(rest: &[u8], stop: Option<&[u8]>, space_next: bool) -> Option<usize> {
    match stop {
        None if space_next => Some(memchr::memchr(b' ', rest).unwrap_or(rest.len())),
        None => Some(rest.len()),
        Some(stop) => {
            let at = memchr::memmem::find(rest, stop)?;
            // The separator's spaces before the literal are not the value's.
            Some(if space_next { rest[..at].trim_ascii_end().len() } else { at })
        }
    }
}

fn haproxy_ms(v: &[u8]) -> Option<i64> {
    let v = v.strip_prefix(b"+").unwrap_or(v);
    if v == b"-1" {
        return Some(-1);
    }
    crate::observation::parse_u64(v).and_then(|n| i64::try_from(n).ok())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::attribute::{Cause, Context, attribute};
    use culprit_kb::GeneratedBy;

    fn judge(format: &str, line: &str) -> (u16, Cause, GeneratedBy, String) {
        let f = HaproxyFormat::compile(format).unwrap_or_else(|e| panic!("{format}: {e}"));
        let mut obs = Observation::default();
        f.parse(line.as_bytes(), &mut obs).unwrap_or_else(|_| panic!("{line}"));
        let ctx =
            Context { synthesises_upstream_status: false, has_upstream_fields: f.has_server, ..Context::default() };
        let a = attribute(&obs, &ctx).unwrap();
        (obs.status.unwrap(), a.cause, a.generated_by, String::from_utf8_lossy(obs.target).into_owned())
    }

    /// The built-in layouts, written out as their `log-format` equivalents, read HAProxy's
    /// documentation examples (§8.2.3, §8.2.4) as the hand-written readers do.
    #[test]
    fn built_in_layouts_as_log_formats() {
        let http = "%ci:%cp [%tr] %ft %b/%s %TR/%Tw/%Tc/%Tr/%Ta %ST %B %CC %CS %tsc %ac/%fc/%bc/%sc/%rc %sq/%bq %hr %hs %{+Q}r";
        let doc = r#"Feb  6 12:14:14 localhost haproxy[14389]: 10.0.1.2:33317 [06/Feb/2009:12:14:14.655] http-in static/srv1 10/0/30/69/109 200 2750 - - ---- 1/1/1/1/0 0/0 {1wt.eu} {} "GET /index.html HTTP/1.1""#;
        assert_eq!(judge(http, doc), (200, Cause::Ok, GeneratedBy::Upstream, "/index.html".into()));
        // Without captured headers HAProxy drops their separators.
        let bare = r#"127.0.0.1:33320 [15/Oct/2003:08:32:17.925] px-http px-http/srv1 9/0/7/14/30 502 243 - - PH-- 3/2/2/0/0 0/0 "GET /cgi-bin/bug.cgi? HTTP/1.0""#;
        assert_eq!(judge(http, bare).1, Cause::UpstreamInvalidResponse);
        assert_eq!(judge("log-format \"${HAPROXY_HTTP_LOG_FMT}\"", bare).1, Cause::UpstreamInvalidResponse);
        let https = r#"10.0.1.2:33317 [06/Feb/2009:12:14:14.655] https-in static/srv1 10/0/30/69/109 200 2750 - - ---- 1/1/1/1/0 0/0 {1wt.eu} {} "GET /index.html HTTP/1.1" 0/0/0/0/0 1wt.eu/TLSv1.3/TLS_AES_256_GCM_SHA384"#;
        assert_eq!(judge("${HAPROXY_HTTPS_LOG_FMT}", https).0, 200);
        let clf = r#"10.0.1.2 - - [06/Feb/2009:12:14:14 +0000] "GET /index.html HTTP/1.1" 502 243 "" "" 33317 655 "http-in" "static" "srv1" 10 0 30 -1 109 SH-- 1 1 1 1 0 0 0 "" "" "" """#;
        assert_eq!(judge("${HAPROXY_HTTP_CLF_LOG_FMT}", clf).1, Cause::UpstreamClosedPrematurely);
    }

    /// Formats as people write them in haproxy.cfg: quoted, with escaped spaces, with sample
    /// fetches and JSON keys typed in.
    #[test]
    fn custom_formats() {
        let f = r#"log-format "%ci:%cp [%tr] %ft %b/%s %TR/%Tw/%Tc/%Tr/%Ta %ST %B %tsc %ac/%fc/%bc/%sc/%rc %sq/%bq %[req.hdr(host)] %HM %HU %ID""#;
        let line = "<134>May 22 02:22:22 lb haproxy[5089]: 10.0.0.9:41000 [22/May/2021:02:22:22.222] www-https~ myapp/<NOSRV> 0/-1/-1/-1/0 503 217 SC-- 2/2/0/0/0 0/0 shop.example.com GET /cart?id=1 4f3c2d1e4b5a6f1c2a9e55e14c1b9a77";
        assert_eq!(judge(f, line), (503, Cause::NoLiveUpstreams, GeneratedBy::Proxy, "/cart?id=1".into()));
        let escaped = r"%ci:%cp\ [%t]\ %ft\ %b/%s\ %Tq/%Tw/%Tc/%Tr/%Tt\ %ST\ %B\ %tsc\ %{+Q}r";
        let line = r#"[::1]:5000 [22/May/2021:02:22:22.222] fe be/s1 0/0/1/-1/1000 504 198 sH-- "GET /slow HTTP/1.1""#;
        assert_eq!(judge(escaped, line).1, Cause::UpstreamTimeout);
        let json = r#"{"client":"%ci","status":%ST,"termination_state":"%tsc","tr":%Tr,"backend":"%b","server":"%s","request":"%r"}"#;
        let line = r#"{"client":"10.0.0.1","status":503,"termination_state":"sC--","tr":-1,"backend":"app","server":"app-1","request":"POST /garbage HTTP/1.1"}"#;
        assert_eq!(judge(json, line), (503, Cause::UpstreamConnectTimeout, GeneratedBy::Proxy, "/garbage".into()));
        let unquoted_request = "%ci [%T] %ST %tsc %Tr %r %B";
        let line = "10.0.0.1 [06/Feb/2009:12:14:14 +0000] 200 ---- 12 GET /a b HTTP/1.1 1234";
        assert_eq!(judge(unquoted_request, line), (200, Cause::Ok, GeneratedBy::Upstream, "/a b".into()));
    }

    #[test]
    fn errors_name_what_is_wrong() {
        let err = |f: &str| HaproxyFormat::compile(f).unwrap_err().0;
        assert!(err("%ci %tsc").contains("%ST"));
        assert!(err("%ci %ST").contains("%tsc"));
        assert!(err("%ci %ST %tsc %Zz").contains("%Zz"));
        assert!(err("%ci %ST%tsc").contains("directly follows"));
        assert!(err("%{+json}o %(status)ST %(tsc)tsc").contains("JSON"));
        assert!(err("%ci %ST %tsc %").contains("lone %"));
    }
}
