//! nginx access logs in any `log_format`, compiled once into a list of literals and variables.
//!
//! One mechanism covers ingress-nginx's `upstreaminfo` (current and older defaults), plain nginx
//! `combined`, JSON templates written with `escape=json`, and whatever a user passes with
//! `--nginx-format`. For example the ingress-nginx default
//!
//! ```text
//! $remote_addr - $remote_user [$time_local] "$request" $status $body_bytes_sent "$http_referer"
//! "$http_user_agent" $request_length $request_time [$proxy_upstream_name]
//! [$proxy_alternative_upstream_name] $upstream_addr $upstream_response_length
//! $upstream_response_time $upstream_status $req_id
//! ```
//!
//! compiles to `Var(remote_addr) Lit(" - ") Var(remote_user) Lit(" [") Var(time_local) …`.
//! A variable's value runs to the first byte of the literal after it, except that upstream lists
//! (`10.0.0.1:80, 10.0.0.2:80 : 10.0.1.1:80`) continue across `", "` and `" : "`, and quoted values
//! skip JSON-escaped quotes (`\"`).

use crate::observation::{Observation, is_dash, parse_f64, parse_u16, parse_u64};
use crate::time;

/// The ingress-nginx default `log-format-upstream` since 2019 (canary name added).
pub const UPSTREAMINFO: &str = r#"$remote_addr - $remote_user [$time_local] "$request" $status $body_bytes_sent "$http_referer" "$http_user_agent" $request_length $request_time [$proxy_upstream_name] [$proxy_alternative_upstream_name] $upstream_addr $upstream_response_length $upstream_response_time $upstream_status $req_id"#;
/// 2018–2019: `$req_id` present, no canary field.
pub const UPSTREAMINFO_2018: &str = r#"$remote_addr - $remote_user [$time_local] "$request" $status $body_bytes_sent "$http_referer" "$http_user_agent" $request_length $request_time [$proxy_upstream_name] $upstream_addr $upstream_response_length $upstream_response_time $upstream_status $req_id"#;
/// ingress-nginx ≤ 0.25: leading `%v - [$the_real_ip] - `.
pub const UPSTREAMINFO_LEGACY: &str = r#"$remote_addr - [$the_real_ip] - $remote_user [$time_local] "$request" $status $body_bytes_sent "$http_referer" "$http_user_agent" $request_length $request_time [$proxy_upstream_name] $upstream_addr $upstream_response_length $upstream_response_time $upstream_status $req_id"#;
/// Before `$req_id` was appended (2018).
pub const UPSTREAMINFO_LEGACY_NO_ID: &str = r#"$remote_addr - [$the_real_ip] - $remote_user [$time_local] "$request" $status $body_bytes_sent "$http_referer" "$http_user_agent" $request_length $request_time [$proxy_upstream_name] $upstream_addr $upstream_response_length $upstream_response_time $upstream_status"#;
/// nginx's predefined `combined`.
pub const COMBINED: &str = r#"$remote_addr - $remote_user [$time_local] "$request" $status $body_bytes_sent "$http_referer" "$http_user_agent""#;
/// The `main` format of nginx's own packages (nginx.org and Debian/Alpine images): combined plus
/// the X-Forwarded-For header.
pub const MAIN: &str = r#"$remote_addr - $remote_user [$time_local] "$request" $status $body_bytes_sent "$http_referer" "$http_user_agent" "$http_x_forwarded_for""#;
/// Kong's proxy access log since 3.5 (`kong_log_format` in kong/templates/nginx_kong.lua): combined
/// plus the request id Kong also writes into its error log. Before 3.5 Kong wrote `combined`.
pub const KONG: &str = r#"$remote_addr - $remote_user [$time_local] "$request" $status $body_bytes_sent "$http_referer" "$http_user_agent" kong_request_id: "$kong_request_id""#;
/// Apache APISIX's default `access_log_format` (conf/config-default.yaml), its last field
/// `"$upstream_scheme://$upstream_host$upstream_uri"` as one value; plugins' variables (request
/// id, ai-proxy's) are appended after it.
pub const APISIX: &str = r#"$remote_addr - $remote_user [$time_local] $http_host "$request" $status $body_bytes_sent $request_time "$http_referer" "$http_user_agent" $upstream_addr $upstream_status $upstream_response_time "$apisix_upstream_url""#;
/// APISIX's format before the upstream URL was added (and lines whose upstream fields are
/// followed by plugin fields in another order).
pub const APISIX_SHORT: &str = r#"$remote_addr - $remote_user [$time_local] $http_host "$request" $status $body_bytes_sent $request_time "$http_referer" "$http_user_agent" $upstream_addr $upstream_status $upstream_response_time"#;
/// Apache's `vhost_combined` (Debian's other-vhosts-access-log): `%v:%p %h %l %u %t "%r" %>s %O
/// "%{Referer}i" "%{User-Agent}i"`.
pub const VHOST_COMBINED: &str = r#"$server_name:$server_port $remote_addr $remote_ident [$time_local] "$request" $status $body_bytes_sent "$http_referer" "$http_user_agent""#;
/// `combined` with anything between the client and the time: Apache's `%l` (identd, or a port
/// some formats log there) and `%u`, or a forwarded-for list in their place.
pub const COMBINED_ANY_IDENT: &str = r#"$remote_addr $remote_ident [$time_local] "$request" $status $body_bytes_sent "$http_referer" "$http_user_agent""#;
/// The common log format (nginx, Apache `common`).
pub const COMMON: &str = r#"$remote_addr - $remote_user [$time_local] "$request" $status $body_bytes_sent"#;

/// What a variable fills in the observation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Field {
    Client,
    ForwardedFor,
    TimeLocal,
    TimeIso,
    TimeMsec,
    Request,
    Method,
    Uri,
    Host,
    Status,
    BodyBytes,
    RequestTime,
    Service,
    Namespace,
    ServiceName,
    ServicePort,
    UpstreamAddr,
    UpstreamStatus,
    UpstreamTime,
    UpstreamLength,
    RequestId,
    /// Known list variables we do not use (connect/header times): still parsed as lists.
    OtherList,
    /// Envoy `%RESPONSE_FLAGS%`.
    EnvoyFlags,
    /// Envoy `%RESPONSE_CODE_DETAILS%`.
    EnvoyDetails,
    /// Envoy `%UPSTREAM_TRANSPORT_FAILURE_REASON%`.
    EnvoyTransportFailure,
    /// Envoy `%DURATION%`, milliseconds.
    DurationMs,
    /// Envoy `%RESP(X-ENVOY-UPSTREAM-SERVICE-TIME)%`: present only when the next hop answered.
    UpstreamServiceTime,
    /// Apache `%D`: microseconds.
    RequestTimeUs,
    /// Apache `%{remote}p`: the client's port.
    ClientPort,
    /// Apache `%{BALANCER_WORKER_NAME}e`: the backend mod_proxy chose, as a URL (`-` when the
    /// request never reached mod_proxy).
    UpstreamUrl,
    /// Apache `%{BALANCER_NAME}e`: `balancer://name`, the service.
    BalancerName,
    /// varnishncsa `%{Varnish:handling}x` / `%{Varnish:hitmiss}x`: `hit`, `miss`, `pass`, `pipe`,
    /// `synth`.
    CacheHandling,
    Ignore,
}

impl Field {
    fn of(var: &str) -> Field {
        match var {
            "remote_addr" | "the_real_ip" | "proxy_protocol_addr" | "realip_remote_addr" => Field::Client,
            // The error log names the TCP peer: a forwarded-for chain is the client only when the
            // format has no peer address.
            "http_x_forwarded_for" => Field::ForwardedFor,
            "time_local" => Field::TimeLocal,
            "time_iso8601" => Field::TimeIso,
            "msec" => Field::TimeMsec,
            "request" => Field::Request,
            "request_method" => Field::Method,
            "request_uri" | "uri" => Field::Uri,
            "host" | "http_host" | "server_name" => Field::Host,
            "status" => Field::Status,
            "body_bytes_sent" | "bytes_sent" => Field::BodyBytes,
            "request_time" => Field::RequestTime,
            "proxy_upstream_name" => Field::Service,
            "namespace" => Field::Namespace,
            "service_name" => Field::ServiceName,
            "service_port" => Field::ServicePort,
            "upstream_addr" => Field::UpstreamAddr,
            "upstream_status" => Field::UpstreamStatus,
            "upstream_response_time" => Field::UpstreamTime,
            "upstream_response_length" | "upstream_bytes_received" => Field::UpstreamLength,
            "req_id" | "request_id" | "http_x_request_id" | "kong_request_id" => Field::RequestId,
            // Names given to Apache LogFormat directives by `formats::apache` (not nginx's).
            "apache_time_us" => Field::RequestTimeUs,
            "apache_client_port" => Field::ClientPort,
            "apache_balancer_worker" => Field::UpstreamUrl,
            "apache_balancer_name" => Field::BalancerName,
            "varnish_handling" => Field::CacheHandling,
            "upstream_connect_time"
            | "upstream_header_time"
            | "upstream_bytes_sent"
            | "upstream_queue_time"
            | "upstream_cache_status" => Field::OtherList,
            _ => Field::Ignore,
        }
    }

    /// An Envoy command operator (`START_TIME`, `REQ(:METHOD)`, `RESPONSE_FLAGS`…).
    fn of_envoy(op: &str) -> Field {
        // `%REQ(X)%` and `%REQUEST_HEADER(X)%` are the same; an optional `:len` suffix is dropped.
        let op = op.split_once(':').filter(|(a, _)| !a.contains('(')).map_or(op, |(a, _)| a);
        let header = op
            .strip_prefix("REQ(")
            .or_else(|| op.strip_prefix("REQUEST_HEADER("))
            .and_then(|h| h.strip_suffix(')'))
            .map(str::to_ascii_uppercase);
        if let Some(h) = header {
            return match h.as_str() {
                ":METHOD" => Field::Method,
                ":AUTHORITY" | "HOST" => Field::Host,
                "X-REQUEST-ID" => Field::RequestId,
                h if h.ends_with(":PATH") || h == ":PATH" => Field::Uri,
                _ => Field::Ignore,
            };
        }
        match op {
            "START_TIME" => Field::TimeIso,
            "RESPONSE_CODE" => Field::Status,
            "RESPONSE_FLAGS" => Field::EnvoyFlags,
            "RESPONSE_CODE_DETAILS" => Field::EnvoyDetails,
            "UPSTREAM_TRANSPORT_FAILURE_REASON" => Field::EnvoyTransportFailure,
            "BYTES_SENT" => Field::BodyBytes,
            "DURATION" => Field::DurationMs,
            "RESP(X-ENVOY-UPSTREAM-SERVICE-TIME)" | "RESPONSE_HEADER(X-ENVOY-UPSTREAM-SERVICE-TIME)" => {
                Field::UpstreamServiceTime
            }
            "UPSTREAM_HOST" => Field::UpstreamAddr,
            "UPSTREAM_CLUSTER" | "UPSTREAM_CLUSTER_RAW" => Field::Service,
            "DOWNSTREAM_REMOTE_ADDRESS" | "DOWNSTREAM_REMOTE_ADDRESS_WITHOUT_PORT" => Field::Client,
            _ => Field::Ignore,
        }
    }

    /// Values that never hold a space (numbers, times in seconds, ids).
    fn is_token(self) -> bool {
        matches!(
            self,
            Field::Status
                | Field::BodyBytes
                | Field::RequestTime
                | Field::DurationMs
                | Field::TimeMsec
                | Field::Client
                | Field::RequestTimeUs
                | Field::ClientPort
                | Field::UpstreamUrl
                | Field::BalancerName
                | Field::CacheHandling
        )
    }

    fn is_list(self) -> bool {
        matches!(
            self,
            Field::UpstreamAddr
                | Field::UpstreamStatus
                | Field::UpstreamTime
                | Field::UpstreamLength
                | Field::OtherList
        )
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Token {
    Lit(Vec<u8>),
    Var(Field),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Syntax {
    /// `$variable` / `${variable}`.
    Nginx,
    /// `%OPERATOR%`.
    Envoy,
}

/// One step of the compiled parser: a literal to match, or a variable with its terminator.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Step {
    Lit(Vec<u8>),
    Var {
        field: Field,
        /// The literal that follows (`None`: the value runs to the end of the line).
        next: Option<Vec<u8>>,
    },
}

/// A compiled `log_format`.
#[derive(Debug, Clone)]
pub struct NginxFormat {
    steps: Vec<Step>,
    /// Envoy syntax: flags and details become signals after the line is read.
    envoy: bool,
    /// Variables that decide attribution and were present in the format string.
    pub has_upstream_status: bool,
    /// The format is ingress-nginx's default `upstreaminfo`: lines are tried with the hand-written
    /// reader first ([`super::upstreaminfo`]).
    upstreaminfo: bool,
    /// Lines may carry more fields after the format's last one (`combined` plus whatever an admin
    /// appended: `$request_time`, `$upstream_response_time`…); they are skipped.
    allow_trailing: bool,
    /// `$http_x_forwarded_for` stands for the client (the format has no peer address).
    forwarded_is_client: bool,
}

/// Why a format string could not be compiled.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FormatError(pub String);

impl std::fmt::Display for FormatError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// Why a line did not match the format.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LineError {
    /// A literal part of the format was not where it should be.
    Literal,
    /// The status field is not a number.
    Status,
    /// Bytes left over after the last field.
    Trailing,
}

impl NginxFormat {
    /// Compile a `log_format` string: `$name` or `${name}` variables, everything else literal.
    /// Quotes as used in nginx.conf (`'…' '…'` concatenation) are accepted and removed.
    pub fn compile(format: &str) -> Result<NginxFormat, FormatError> {
        let format = strip_conf_quoting(format);
        let mut compiled = Self::compile_tokens(&format, Syntax::Nginx)?;
        compiled.upstreaminfo = format == UPSTREAMINFO;
        Ok(compiled)
    }

    /// [`Self::compile`], accepting extra fields after the format's last one.
    pub fn compile_with_trailing(format: &str) -> Result<NginxFormat, FormatError> {
        Ok(NginxFormat { allow_trailing: true, ..Self::compile(format)? })
    }

    /// Compile an Envoy access-log format (`[%START_TIME%] "%REQ(:METHOD)% …"`).
    pub fn compile_envoy(format: &str) -> Result<NginxFormat, FormatError> {
        Self::compile_tokens(format.trim_end_matches('\n'), Syntax::Envoy)
    }

    fn compile_tokens(format: &str, syntax: Syntax) -> Result<NginxFormat, FormatError> {
        let bytes = format.as_bytes();
        let mut tokens = Vec::new();
        let mut lit = Vec::new();
        let mut i = 0;
        while i < bytes.len() {
            if syntax == Syntax::Envoy && bytes[i] == b'%' {
                let Some(len) = bytes[i + 1..].iter().position(|&b| b == b'%') else {
                    return Err(FormatError(format!("unclosed % at byte {i}")));
                };
                if len == 0 {
                    lit.push(b'%');
                    i += 2;
                    continue;
                }
                if !lit.is_empty() {
                    tokens.push(Token::Lit(std::mem::take(&mut lit)));
                }
                let op = &format[i + 1..i + 1 + len];
                if matches!(tokens.last(), Some(Token::Var(_))) {
                    return Err(FormatError(format!(
                        "%{op}% directly follows another operator: nothing separates them"
                    )));
                }
                tokens.push(Token::Var(Field::of_envoy(op)));
                i += len + 2;
            } else if syntax == Syntax::Nginx && bytes[i] == b'$' {
                let (name, next) = if bytes.get(i + 1) == Some(&b'{') {
                    let end = bytes[i + 2..]
                        .iter()
                        .position(|&b| b == b'}')
                        .ok_or_else(|| FormatError(format!("unclosed ${{ at byte {i}")))?;
                    (&format[i + 2..i + 2 + end], i + 3 + end)
                } else {
                    let len = bytes[i + 1..].iter().take_while(|b| b.is_ascii_alphanumeric() || **b == b'_').count();
                    (&format[i + 1..i + 1 + len], i + 1 + len)
                };
                if name.is_empty() {
                    lit.push(b'$');
                    i += 1;
                    continue;
                }
                if !lit.is_empty() {
                    tokens.push(Token::Lit(std::mem::take(&mut lit)));
                }
                if matches!(tokens.last(), Some(Token::Var(_))) {
                    return Err(FormatError(format!(
                        "${name} directly follows another variable: nothing separates them"
                    )));
                }
                tokens.push(Token::Var(Field::of(name)));
                i = next;
            } else {
                lit.push(bytes[i]);
                i += 1;
            }
        }
        if !lit.is_empty() {
            tokens.push(Token::Lit(lit));
        }
        if !tokens.contains(&Token::Var(Field::Status)) {
            return Err(FormatError("the format has no $status: culprit needs the status code".into()));
        }
        let has_upstream_status = tokens.contains(&Token::Var(Field::UpstreamStatus));
        let steps = tokens
            .iter()
            .enumerate()
            .map(|(i, t)| match t {
                Token::Lit(l) => Step::Lit(l.clone()),
                Token::Var(field) => {
                    let next = match tokens.get(i + 1) {
                        Some(Token::Lit(l)) => Some(l.clone()),
                        _ => None,
                    };
                    Step::Var { field: *field, next }
                }
            })
            .collect();
        let has_upstream_status = has_upstream_status || syntax == Syntax::Envoy;
        let forwarded_is_client = !tokens.contains(&Token::Var(Field::Client));
        Ok(NginxFormat {
            steps,
            envoy: syntax == Syntax::Envoy,
            has_upstream_status,
            upstreaminfo: false,
            allow_trailing: false,
            forwarded_is_client,
        })
    }

    /// Lines may carry more fields after the format's last one.
    pub fn allows_trailing(&self) -> bool {
        self.allow_trailing
    }

    /// Parse one line (without its newline) into `obs`.
    #[inline]
    pub fn parse<'a>(&self, line: &'a [u8], obs: &mut Observation<'a>) -> Result<(), LineError> {
        if self.upstreaminfo {
            if super::upstreaminfo::parse(line, obs) {
                return Ok(());
            }
            *obs = Observation::default();
        }
        self.parse_template(line, obs)
    }

    /// [`Self::parse`] by the compiled template alone.
    pub(crate) fn parse_template<'a>(&self, line: &'a [u8], obs: &mut Observation<'a>) -> Result<(), LineError> {
        self.parse_with_rest(line, obs).map(|_| ())
    }

    /// [`Self::parse_template`], giving back what follows the format's last field (empty unless
    /// the format accepts extra fields).
    pub(crate) fn parse_with_rest<'a>(&self, line: &'a [u8], obs: &mut Observation<'a>) -> Result<&'a [u8], LineError> {
        let mut pos = 0;
        let (mut ns, mut svc, mut port): (&[u8], &[u8], &[u8]) = (b"", b"", b"");
        let mut envoy = super::envoy::Fields::default();
        let mut several_attempts = false;
        let mut worker: Option<&'a [u8]> = None;
        let mut handling: &'a [u8] = b"";
        for step in &self.steps {
            match step {
                Step::Lit(l) => {
                    if !starts_with(&line[pos..], l) {
                        return Err(LineError::Literal);
                    }
                    pos += l.len();
                }
                Step::Var { field, next } => {
                    let end = if field.is_list() {
                        let (end, several) = list_end(line, pos, next.as_deref());
                        several_attempts |= several;
                        end
                    } else if next.is_none() && field.is_token() {
                        // The last field of the format, a number or an address: it ends at the
                        // first space, so that extra fields after it are seen as such.
                        find_byte(b' ', &line[pos..]).map_or(line.len(), |i| pos + i)
                    } else {
                        value_end(line, pos, next.as_deref())
                    };
                    let value = &line[pos..end];
                    pos = end;
                    match field {
                        Field::Client => obs.client = value,
                        Field::ForwardedFor if self.forwarded_is_client => obs.client = value,
                        Field::TimeLocal => {
                            obs.time_ms = time::parse_clf_cached(value);
                            obs.time_raw = value;
                        }
                        Field::TimeIso => {
                            obs.time_ms = time::parse_iso(value);
                            obs.time_raw = value;
                        }
                        Field::TimeMsec => obs.time_ms = time::parse_epoch(value),
                        Field::Request => split_request(value, obs),
                        Field::Method => obs.method = value,
                        Field::Uri => obs.target = value,
                        Field::Host => obs.host = value,
                        Field::Status => {
                            obs.status = parse_u16(value);
                            if obs.status.is_none() && !is_dash(value) {
                                return Err(LineError::Status);
                            }
                        }
                        Field::BodyBytes => obs.bytes_sent = parse_u64(value),
                        Field::RequestTime => obs.request_time = parse_f64(value),
                        Field::Service => obs.service = value,
                        Field::Namespace => ns = value,
                        Field::ServiceName => svc = value,
                        Field::ServicePort => port = value,
                        Field::UpstreamAddr => obs.upstream.addr = value,
                        Field::UpstreamStatus => obs.upstream.status = value,
                        Field::UpstreamTime => obs.upstream.response_time = value,
                        Field::UpstreamLength => obs.upstream.length = value,
                        Field::RequestId => obs.request_id = value,
                        Field::EnvoyFlags => envoy.flags = value,
                        Field::EnvoyDetails => envoy.details = value,
                        Field::EnvoyTransportFailure => envoy.transport = value,
                        Field::UpstreamServiceTime => envoy.upstream_time = Some(value),
                        Field::DurationMs => obs.request_time = parse_u64(value).map(|ms| ms as f64 / 1000.0),
                        Field::RequestTimeUs => obs.request_time = parse_u64(value).map(|us| us as f64 / 1e6),
                        Field::ClientPort => obs.client_port = value,
                        Field::UpstreamUrl => worker = Some(value),
                        Field::BalancerName if !is_dash(value) => {
                            obs.service = value.strip_prefix(b"balancer://").unwrap_or(value);
                        }
                        Field::CacheHandling => handling = value,
                        Field::OtherList | Field::Ignore | Field::ForwardedFor | Field::BalancerName => {}
                    }
                }
            }
        }
        let rest = &line[pos..];
        if !(rest.trim_ascii().is_empty() || self.allow_trailing && rest[0] == b' ') {
            return Err(LineError::Trailing);
        }
        if self.allow_trailing && obs.request_id.is_empty() {
            obs.request_id = trailing_request_id(rest);
        }
        if self.envoy {
            envoy.apply(obs);
        } else {
            obs.upstream.single = !several_attempts;
        }
        if self.allow_trailing && !self.has_upstream_status && rest.len() > 1 {
            // `combined` plus fields an admin labelled (`us="-" ua="-"`, `urt=0.004`): what they
            // say of the upstream, as the generic fallback reads them.
            super::generic::trailing_fields(rest, obs);
        }
        if let Some(w) = worker {
            apply_worker(w, obs);
        }
        match handling {
            // varnishncsa: served from the cache, or a response VCL made itself.
            b"hit" => obs.cache_hit = true,
            b"synth" => obs.proxy_answered = true,
            _ => {}
        }
        if obs.service.is_empty() && !svc.is_empty() {
            // Without $proxy_upstream_name, $service_name is the best service label we have; the
            // namespace and port only qualify it.
            let _ = (ns, port);
            obs.service = svc;
        }
        Ok(rest)
    }
}

/// A request id an admin appended after the format's fields (`$request_id`, `"%{X-Request-ID}i"`,
/// APISIX's request-id plugin): the last extra field, when it looks like one — 16 to 64 hex digits,
/// or a UUID.
fn trailing_request_id(rest: &[u8]) -> &[u8] {
    let last = rest.trim_ascii_end().rsplit(|&b| b == b' ').next().unwrap_or_default();
    let id = last.strip_prefix(b"\"").and_then(|l| l.strip_suffix(b"\"")).unwrap_or(last);
    let hex = id.iter().filter(|b| b.is_ascii_hexdigit()).count();
    let dashes = memchr::memchr_iter(b'-', id).count();
    let shaped =
        (16..=64).contains(&id.len()) && hex + dashes == id.len() && (dashes == 0 || (dashes == 4 && id.len() == 36));
    if shaped { id } else { b"" }
}

/// Apache's `%{BALANCER_WORKER_NAME}e`: `-` when mod_proxy never chose a backend (Apache answered
/// itself: a 404 outside every proxied path, a header too large); the backend's address
/// otherwise — and a status below 400 with one chosen is the backend's (Apache makes no redirect
/// or success of its own after choosing).
fn apply_worker<'a>(worker: &'a [u8], obs: &mut Observation<'a>) {
    let status = obs.status.unwrap_or(0);
    if is_dash(worker) {
        obs.upstream.addr = b"-";
        obs.proxy_answered = status >= 200;
        return;
    }
    obs.upstream.addr = crate::scan::authority(worker);
    obs.upstream.single = true;
    if (200..400).contains(&status) {
        obs.upstream_answered = true;
    }
}

/// Where the value starting at `pos` ends.
fn value_end(line: &[u8], pos: usize, next: Option<&[u8]>) -> usize {
    let Some(next) = next else { return line.len() };
    let stop = next[0];
    let mut from = pos;
    loop {
        let found = find_byte(stop, &line[from..]);
        match found {
            None => return line.len(),
            Some(i) => {
                let at = from + i;
                // JSON-escaped formats write a quote inside a value as \" — not the end.
                if stop == b'"' && is_escaped(line, pos, at) {
                    from = at + 1;
                    continue;
                }
                // The value ends where the whole literal follows, not just its first byte.
                if starts_with(&line[at..], next) || at + next.len() > line.len() && next.starts_with(&line[at..]) {
                    return at;
                }
                from = at + 1;
            }
        }
    }
}

/// Where an upstream list starting at `pos` ends, and whether it has more than one item. Items
/// never contain spaces or commas; the list continues across `", "` and `" : "`.
fn list_end(line: &[u8], pos: usize, next: Option<&[u8]>) -> (usize, bool) {
    let stop = next.map_or(b'\n', |n| n[0]);
    let mut p = pos;
    let mut several = false;
    loop {
        let item_end =
            line[p..].iter().position(|&b| b == b',' || b == b' ' || b == stop).map_or(line.len(), |i| p + i);
        let rest = &line[item_end..];
        if rest.starts_with(b", ") {
            p = item_end + 2;
        } else if rest.starts_with(b" : ") {
            p = item_end + 3;
        } else if rest.starts_with(b",") {
            p = item_end + 1;
        } else {
            return (if next.is_some() { item_end } else { line.len() }, several);
        }
        several = true;
    }
}

/// Most values are a few dozen bytes long: eight bytes at a time in a register (SWAR) find their
/// end sooner than a call into memchr (measured: 3% of a run), which takes over past 32 bytes.
#[inline]
pub(crate) fn find_byte(needle: u8, hay: &[u8]) -> Option<usize> {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGHS: u64 = 0x8080_8080_8080_8080;
    const SWAR_BYTES: usize = 32;
    let pattern = ONES * u64::from(needle);
    let mut i = 0;
    while i + 8 <= hay.len() && i < SWAR_BYTES {
        let word = u64::from_le_bytes(hay[i..i + 8].try_into().expect("eight bytes"));
        let x = word ^ pattern;
        // High bit set in each byte of x that is zero; borrows can only mark bytes above the first
        // zero byte, so the lowest mark is exact.
        let zero = x.wrapping_sub(ONES) & !x & HIGHS;
        if zero != 0 {
            return Some(i + (zero.trailing_zeros() / 8) as usize);
        }
        i += 8;
    }
    if i < SWAR_BYTES {
        return hay[i..].iter().position(|&b| b == needle).map(|p| p + i);
    }
    memchr::memchr(needle, &hay[i..]).map(|p| p + i)
}

/// [`find_byte`] for either of two bytes: the first `a` or `b`.
#[inline]
pub(crate) fn find_either(a: u8, b: u8, hay: &[u8]) -> Option<usize> {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGHS: u64 = 0x8080_8080_8080_8080;
    const SWAR_BYTES: usize = 32;
    let (pa, pb) = (ONES * u64::from(a), ONES * u64::from(b));
    let zeros = |x: u64| x.wrapping_sub(ONES) & !x & HIGHS;
    let mut i = 0;
    while i + 8 <= hay.len() && i < SWAR_BYTES {
        let word = u64::from_le_bytes(hay[i..i + 8].try_into().expect("eight bytes"));
        // Each mask's lowest mark is exact (see find_byte), so the lower of the two is the first.
        let (za, zb) = (zeros(word ^ pa), zeros(word ^ pb));
        if za | zb != 0 {
            return Some(i + (za.trailing_zeros().min(zb.trailing_zeros()) / 8) as usize);
        }
        i += 8;
    }
    if i < SWAR_BYTES {
        return hay[i..].iter().position(|&c| c == a || c == b).map(|p| p + i);
    }
    memchr::memchr2(a, b, &hay[i..]).map(|p| p + i)
}

/// `starts_with` for the short literals of a format, without a call into memcmp.
#[inline]
pub(super) fn starts_with(hay: &[u8], lit: &[u8]) -> bool {
    hay.len() >= lit.len() && hay.iter().zip(lit).all(|(a, b)| a == b)
}

/// Whether the byte at `at` is preceded by an odd number of backslashes (within the value).
fn is_escaped(line: &[u8], start: usize, at: usize) -> bool {
    line[start..at].iter().rev().take_while(|&&b| b == b'\\').count() % 2 == 1
}

/// `GET /path?q=1 HTTP/1.1` into method and target; anything else (e.g. a TLS handshake logged as
/// `\x16\x03\x01…`) leaves them empty.
pub(super) fn split_request<'a>(value: &'a [u8], obs: &mut Observation<'a>) {
    (obs.method, obs.target) = crate::scan::request_line(value);
}

/// nginx.conf quoting: `'$a - $b ' '"$c"'` → `$a - $b "$c"`. A string without leading quote is
/// taken as is.
fn strip_conf_quoting(format: &str) -> String {
    let t = format.trim();
    let t = t.strip_prefix("log_format").map_or(t, |rest| {
        // `log_format name [escape=…] '…'`: drop the directive, name and escape parameter.
        let rest = rest.trim_start();
        let after_name = rest.find(char::is_whitespace).map_or("", |i| &rest[i..]).trim_start();
        after_name.strip_prefix("escape=").map_or(after_name, |e| e.find(char::is_whitespace).map_or("", |i| &e[i..]))
    });
    let t = t.trim().trim_end_matches(';').trim();
    if !t.starts_with('\'') {
        return t.to_string();
    }
    let mut out = String::new();
    let mut in_quote = false;
    for c in t.chars() {
        match c {
            '\'' => in_quote = !in_quote,
            c if in_quote => out.push(c),
            _ => {}
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::observation::{attempts, last_attempt};

    fn parse<'a>(format: &str, line: &'a str) -> Result<Observation<'a>, LineError> {
        let f = NginxFormat::compile(format).unwrap();
        let mut obs = Observation::default();
        f.parse(line.as_bytes(), &mut obs).map(|()| obs)
    }

    proptest::proptest! {
        #[test]
        fn find_byte_agrees_with_a_plain_search(hay in proptest::collection::vec(proptest::sample::select(b" \"]x\x80\xff\x00a".to_vec()), 0..80), needle in proptest::sample::select(b" \"]\x80\xff\x00".to_vec())) {
            proptest::prop_assert_eq!(find_byte(needle, &hay), hay.iter().position(|&b| b == needle));
        }

        #[test]
        fn find_either_agrees_with_a_plain_search(hay in proptest::collection::vec(proptest::sample::select(b" ,\"]x\x80\xff\x00a".to_vec()), 0..80), a in proptest::sample::select(b" ,\"]\x80\xff\x00".to_vec()), b in proptest::sample::select(b" ,\"]\x80\xff\x00".to_vec())) {
            proptest::prop_assert_eq!(find_either(a, b, &hay), hay.iter().position(|&c| c == a || c == b));
        }
    }

    #[test]
    fn ingress_nginx_504_after_three_connect_timeouts() {
        // kubernetes/ingress-nginx issue #9443
        let line = r#"108.162.227.25 - - [08/Mar/2023:16:02:45 +0000] "GET / HTTP/1.1" 504 562 "-" "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/109.0.0.0 Safari/537.36" 1100 14.998 [pc-dev-example-web-service-80] [] 192.168.215.1:80, 192.168.215.1:80, 192.168.215.1:80 0, 0, 0 5.000, 5.000, 5.000 504, 504, 504 a7c98d98ac870f64981a997cd2f373a1"#;
        let o = parse(UPSTREAMINFO, line).unwrap();
        assert_eq!(o.status, Some(504));
        assert_eq!(o.service, b"pc-dev-example-web-service-80");
        assert_eq!(o.request_id, b"a7c98d98ac870f64981a997cd2f373a1");
        assert_eq!(o.request_time, Some(14.998));
        assert_eq!(o.method, b"GET");
        assert_eq!(o.target, b"/");
        assert_eq!(o.time_ms, Some(1_678_291_365_000));
        let a: Vec<_> = attempts(&o.upstream).collect();
        assert_eq!(a.len(), 3);
        assert!(a.iter().all(|a| a.status == Some(504) && a.length() == Some(0) && a.response_time() == Some(5.0)));
        assert_eq!(a[0].addr, b"192.168.215.1:80");
    }

    #[test]
    fn retried_502_then_200() {
        let line = r#"192.168.64.1 - - [05/Jan/2021:19:22:13 +0000] "POST /auth/login HTTP/1.1" 200 9 "-" "PostmanRuntime/7.26.5" 379 0.294 [default-backend-auth-service-80] [] 172.17.0.10:8080, 172.17.0.11:8080 0, 9 0.001, 0.293 502, 200 006cc2f6e7e6c96f4be2ec611848d00b"#;
        let o = parse(UPSTREAMINFO, line).unwrap();
        let a: Vec<_> = attempts(&o.upstream).collect();
        assert_eq!(a[0].status, Some(502));
        assert_eq!(a[1].status, Some(200));
        assert_eq!(last_attempt(&o.upstream).unwrap().addr, b"172.17.0.11:8080");
    }

    #[test]
    fn no_upstream_and_499() {
        let line = r#"192.198.123.115 - - [23/Jun/2022:15:14:50 +0000] "GET /bpi/weatherforecast HTTP/1.1" 308 164 "-" "Thunder Client (https://www.thunderclient.com)" 196 0.000 [labs-registrations-clusterip-80] [] - - - - fad39893c39b03d026ce9eed6d0f5b1a"#;
        let o = parse(UPSTREAMINFO, line).unwrap();
        assert!(o.upstream.is_empty());
        let line = r#"172.21.0.224 - user [29/Apr/2024:13:21:41 +0000] "POST /execute HTTP/1.1" 499 0 "-" "Apache-HttpClient/4.5.12 (Java/1.8.0_382)" 409 2.702 [service-8080] [] 172.21.72.106:8080 0 2.702 - da6c85d6276498086c97ccb1380ed096"#;
        let o = parse(UPSTREAMINFO, line).unwrap();
        assert_eq!(o.status, Some(499));
        assert_eq!(last_attempt(&o.upstream).unwrap().status, None);
    }

    #[test]
    fn legacy_formats() {
        let line = r#"223.65.108.109 - [223.65.108.109] - - [29/Dec/2018:16:02:02 +0000] "GET /actuator/health HTTP/1.1" 502 157 "-" "PostmanRuntime/7.4.0" 240 0.002 [dop-gateway-server-14523] 10.36.0.1:8888, 10.36.0.1:8888, 10.36.0.1:8888 0, 0, 0 0.000, 0.001, 0.000 502, 502, 502 d22a768555620d053d72cfc24178e3b4"#;
        let o = parse(UPSTREAMINFO_LEGACY, line).unwrap();
        assert_eq!(o.status, Some(502));
        assert_eq!(o.service, b"dop-gateway-server-14523");
        assert!(parse(UPSTREAMINFO, line).is_err());
    }

    #[test]
    fn internal_redirect_groups() {
        let line = r#"1.2.3.4 - - [08/Mar/2023:16:02:45 +0000] "GET /x HTTP/1.1" 404 10 "-" "curl/8" 90 0.010 [ns-app-80] [] 10.0.0.1:80 : 127.0.0.1:8181 0 : 10 0.004 : 0.001 404 : 404 abc"#;
        let o = parse(UPSTREAMINFO, line).unwrap();
        let a: Vec<_> = attempts(&o.upstream).collect();
        assert_eq!(a.len(), 2);
        assert_eq!(a[1].addr, b"127.0.0.1:8181");
    }

    #[test]
    fn combined_and_custom_json() {
        let o =
            parse(COMBINED, r#"10.0.0.1 - - [08/Mar/2023:16:02:45 +0000] "GET /a?b=1 HTTP/2.0" 200 5 "-" "curl/8""#)
                .unwrap();
        assert_eq!(o.target, b"/a?b=1");
        let json = r#"{"time": "$time_iso8601", "status": $status, "uri": "$request_uri", "ua": "$http_user_agent", "upstream": "$upstream_addr", "us": "$upstream_status", "id": "$req_id"}"#;
        let line = r#"{"time": "2023-03-08T16:02:45+00:00", "status": 502, "uri": "/q", "ua": "say \"hi\"", "upstream": "10.0.0.1:80, 10.0.0.2:80", "us": "502, 502", "id": "r1"}"#;
        let o = parse(json, line).unwrap();
        assert_eq!(o.status, Some(502));
        assert_eq!(o.request_id, b"r1");
        assert_eq!(attempts(&o.upstream).count(), 2);
    }

    #[test]
    fn conf_quoting_and_errors() {
        let f = NginxFormat::compile(
            "log_format main escape=json '$remote_addr [$time_local] '\n  '\"$request\" $status';",
        )
        .unwrap();
        let mut o = Observation::default();
        f.parse(br#"1.1.1.1 [08/Mar/2023:16:02:45 +0000] "GET / HTTP/1.1" 204"#, &mut o).unwrap();
        assert_eq!(o.status, Some(204));
        assert!(NginxFormat::compile("$remote_addr $request").is_err(), "no $status");
        assert!(NginxFormat::compile("$status$body_bytes_sent").is_err(), "adjacent variables");
        assert_eq!(parse(COMBINED, "garbage").unwrap_err(), LineError::Literal);
    }

    #[test]
    fn non_http_request_line_and_status_009() {
        let line =
            r#"1.2.3.4 - - [08/Mar/2023:16:02:45 +0000] "\x16\x03\x01\x00" 400 150 "-" "-" 0 0.001 [] [] - - - - 1a"#;
        let o = parse(UPSTREAMINFO, line).unwrap();
        assert_eq!(o.status, Some(400));
        assert!(o.method.is_empty());
        let line = r#"1.2.3.4 - - [08/Mar/2023:16:02:45 +0000] "GET / HTTP/1.1" 009 20 "-" "-" 70 0.002 [a-b-80] [] 10.0.0.1:80 20 0.002 009 2b"#;
        assert_eq!(parse(UPSTREAMINFO, line).unwrap().status, Some(9));
    }
}
