//! Log formats: each turns one line into an [`Observation`](crate::Observation). A file's format is
//! sniffed from its first lines, then locked.

pub mod alb;
pub mod apache;
pub mod apache_error;
pub mod azure;
pub mod caddy;
pub mod cloudflare;
pub mod cloudfront;
pub mod envoy;
pub mod envoy_json;
pub mod errors;
pub mod generic;
pub mod haproxy;
pub mod haproxy_format;
pub mod hubble;
pub mod json;
pub mod json_keys;
pub mod jsonscan;
pub mod kong;
pub mod nginx;
pub mod nginx_error;
pub mod npm;
pub mod traefik;
pub(crate) mod upstreaminfo;
pub mod varnish;

use crate::attribute::{Context, TimeoutOverride};
use crate::observation::Observation;
use culprit_kb::GeneratedBy;
use culprit_kb::context::ProxyTimeouts;
use nginx::NginxFormat;
use std::sync::LazyLock;

/// Reads one line into an observation.
pub type ParseFn = for<'a> fn(&'a [u8], &mut Observation<'a>) -> Result<(), BadLine>;

/// How a registered format reads its lines.
#[derive(Debug, Clone, Copy)]
pub enum Reader {
    /// An nginx `log_format` template.
    Nginx(&'static str),
    /// An nginx template that lines may extend with more fields (skipped).
    NginxExtended(&'static str),
    /// An Envoy access-log format template.
    Envoy(&'static str),
    /// A hand-written reader.
    Fn(ParseFn),
}

/// What a proxy writing this format does, for attribution: who it is, what its upstream fields
/// mean, its default timeouts.
#[derive(Debug, Clone, Copy)]
pub struct ProxyTraits {
    /// Who "the proxy" writing the log is: an ingress/proxy or a cloud load balancer.
    pub writer: GeneratedBy,
    /// nginx writes a 502/504 into `$upstream_status` after a transport failure; others log an
    /// upstream status only when the upstream answered.
    pub synthesises_upstream_status: bool,
    /// The format carries upstream fields (for templates: whether the template has them).
    pub upstream_fields: bool,
    /// The proxy's default connect and read timeouts.
    pub timeouts: ProxyTimeouts,
    /// The error logs (names in `errors::ERROR_LOGS`) this proxy writes, that its access lines
    /// may be joined with; never another proxy's.
    pub error_logs: &'static [&'static str],
    /// Statuses the proxy always logs an error for when it makes them itself (nginx: upstream
    /// failures, limits, missing files): without an entry, in an error log that covers the time,
    /// the upstream made them.
    pub logs_errors_for: &'static [u16],
    /// The knowledge base's responder id for the proxy (its own checks: its error log, its view
    /// of the backends), for next steps that fit it.
    pub responder: Option<&'static str>,
    /// Its error log is better evidence than its access log's upstream fields: an answer it makes
    /// itself always has an entry, even after it chose a backend (Apache's mod_proxy).
    pub silence_beats_fields: bool,
    /// Who writes the log is known. The generic fallback reads logs of any writer (a proxy, an
    /// application server, a CDN export): its attributions stay below high confidence unless the
    /// line's own upstream fields show who answered.
    pub writer_known: bool,
}

/// nginx's and ingress-nginx's defaults (`proxy_connect_timeout` 5 s as ingress-nginx sets it,
/// `proxy_read_timeout` 60 s): the one place they are written.
pub const NGINX_TIMEOUTS: ProxyTimeouts = ProxyTimeouts { connect: 5.0, read: 60.0 };

const NGINX: ProxyTraits = ProxyTraits {
    writer: GeneratedBy::Proxy,
    synthesises_upstream_status: true,
    upstream_fields: true,
    timeouts: NGINX_TIMEOUTS,
    // The combined format is Apache's too.
    error_logs: &["nginx error log", "Apache error log"],
    // At the default level (error): upstream failures, limit_req/limit_conn, a body too large,
    // `open() failed` for a missing file (log_not_found), `access forbidden by rule`.
    logs_errors_for: &[403, 404, 413, 429, 500, 502, 503, 504],
    responder: Some("nginx"),
    silence_beats_fields: false,
    writer_known: true,
};
const INGRESS_NGINX: ProxyTraits = ProxyTraits { responder: Some("ingress_nginx"), ..NGINX };
/// Proxies that log an upstream status only when the upstream answered.
const PROXY: ProxyTraits =
    ProxyTraits { synthesises_upstream_status: false, error_logs: &[], logs_errors_for: &[], responder: None, ..NGINX };
const HAPROXY: ProxyTraits = ProxyTraits { responder: Some("haproxy"), ..PROXY };
const TRAEFIK: ProxyTraits = ProxyTraits { responder: Some("traefik"), ..PROXY };
// Envoy: 15 s route timeout by default; the connect timeout is set per cluster (5 s in Istio).
const ENVOY: ProxyTraits =
    ProxyTraits { timeouts: ProxyTimeouts { connect: 5.0, read: 15.0 }, responder: Some("envoy"), ..PROXY };
const CADDY: ProxyTraits = ProxyTraits {
    upstream_fields: false,
    // Caddy: 3 s dial timeout; no response timeout unless configured.
    timeouts: ProxyTimeouts { connect: 3.0, read: f64::INFINITY },
    error_logs: &["Caddy error log"],
    // Caddy logs its own 5xx at error level (4xx only at debug).
    logs_errors_for: &[500, 502, 503, 504],
    responder: Some("caddy"),
    ..PROXY
};
/// Cilium's Envoy seen through Hubble: no upstream fields; the responding endpoint is read as
/// evidence where it names a pod.
const HUBBLE: ProxyTraits = ProxyTraits { upstream_fields: false, ..ENVOY };
const ALB: ProxyTraits =
    ProxyTraits { writer: GeneratedBy::LoadBalancer, timeouts: ProxyTimeouts { connect: 10.0, read: 60.0 }, ..PROXY };
/// Apache httpd with mod_proxy: its error log has an entry for every status mod_proxy makes
/// itself; `ProxyTimeout` defaults to `Timeout`, 60 s.
const APACHE: ProxyTraits = ProxyTraits {
    synthesises_upstream_status: false,
    timeouts: ProxyTimeouts { connect: 60.0, read: 60.0 },
    error_logs: &["Apache error log"],
    logs_errors_for: &[500, 502, 503, 504],
    silence_beats_fields: true,
    responder: Some("apache"),
    ..NGINX
};
/// Varnish: no upstream fields; 3.5 s connect and 60 s first-byte timeouts by default.
const VARNISH: ProxyTraits = ProxyTraits {
    upstream_fields: false,
    synthesises_upstream_status: false,
    timeouts: ProxyTimeouts { connect: 3.5, read: 60.0 },
    error_logs: &[],
    logs_errors_for: &[],
    responder: Some("varnish"),
    ..NGINX
};
/// Kong: nginx inside, without upstream fields in its log; a Service's connect and read timeouts
/// default to 60 s.
const KONG: ProxyTraits = ProxyTraits {
    upstream_fields: false,
    timeouts: ProxyTimeouts { connect: 60.0, read: 60.0 },
    error_logs: &["nginx error log"],
    responder: Some("kong"),
    ..NGINX
};
/// A CDN: its own answers are the CDN's; no upstream lists, the origin's answers are flagged.
const CDN: ProxyTraits = ProxyTraits {
    writer: GeneratedBy::Cdn,
    upstream_fields: false,
    // CloudFront: 10 s connect timeout, 30 s origin response timeout; Cloudflare: 100 s.
    timeouts: ProxyTimeouts { connect: 10.0, read: 30.0 },
    ..PROXY
};
/// Application Gateway: no upstream lists (its backend fields are flagged by the reader); 20 s
/// backend request timeout by default.
const APPGW: ProxyTraits = ProxyTraits {
    writer: GeneratedBy::LoadBalancer,
    upstream_fields: false,
    timeouts: ProxyTimeouts { connect: 10.0, read: 20.0 },
    ..PROXY
};
/// The generic fallback: whoever wrote the log, with no upstream fields the attribution may rely
/// on (the readers turn the upstream fields a line has into `upstream_answered`/`proxy_answered`).
const GENERIC: ProxyTraits = ProxyTraits { upstream_fields: false, writer_known: false, ..PROXY };
const GCP: ProxyTraits =
    ProxyTraits { writer: GeneratedBy::LoadBalancer, timeouts: ProxyTimeouts { connect: 5.0, read: 30.0 }, ..PROXY };

/// The format that reads Caddy's error entries as requests.
const CADDY_ERRORS: &str = "caddy error log (entries as requests)";

/// One registered format: everything culprit knows about reading it. A new format is a file in
/// this folder and one entry in [`REGISTRY`].
#[derive(Debug, Clone, Copy)]
pub struct Spec {
    /// The name reports show: `nginx combined`.
    pub name: &'static str,
    /// What `--format` takes (`None`: found by sniffing only, e.g. an older variant).
    pub flag: Option<&'static str>,
    pub aliases: &'static [&'static str],
    pub reader: Reader,
    pub traits: ProxyTraits,
    /// What its reading is checked against: a real proxy in the lab, or public lines.
    pub checked_against: &'static str,
}

/// Every format, in the order sniffing tries them: most specific first (a format that extends
/// another comes before it; the catch-alls come last).
pub const REGISTRY: &[Spec] = &[
    Spec {
        name: "ingress-nginx upstreaminfo",
        flag: Some("upstreaminfo"),
        aliases: &["ingress-nginx"],
        reader: Reader::Nginx(nginx::UPSTREAMINFO),
        traits: INGRESS_NGINX,
        checked_against: "real nginx in the lab (configured like ingress-nginx); public lines",
    },
    // Istio's layouts before the other Envoy text lines: both read them, the more specific name
    // wins the tie.
    Spec {
        name: "istio",
        flag: Some("istio"),
        aliases: &[],
        reader: Reader::Fn(envoy::istio),
        traits: ENVOY,
        checked_against: "public lines (Istio 0.8 to 1.2x, sidecars and gateways)",
    },
    Spec {
        name: "envoy",
        flag: Some("envoy"),
        aliases: &["contour", "emissary"],
        reader: Reader::Fn(envoy::envoy),
        traits: ENVOY,
        checked_against: "public lines (Envoy's default and custom text formats, Contour, Emissary)",
    },
    Spec {
        name: "ingress-nginx upstreaminfo (2018)",
        flag: None,
        aliases: &[],
        reader: Reader::Nginx(nginx::UPSTREAMINFO_2018),
        traits: INGRESS_NGINX,
        checked_against: "public lines",
    },
    Spec {
        name: "ingress-nginx upstreaminfo (legacy the_real_ip)",
        flag: None,
        aliases: &[],
        reader: Reader::Nginx(nginx::UPSTREAMINFO_LEGACY),
        traits: INGRESS_NGINX,
        checked_against: "public lines",
    },
    Spec {
        name: "ingress-nginx upstreaminfo (legacy, no req_id)",
        flag: None,
        aliases: &[],
        reader: Reader::Nginx(nginx::UPSTREAMINFO_LEGACY_NO_ID),
        traits: INGRESS_NGINX,
        checked_against: "public lines",
    },
    Spec {
        name: "haproxy httplog",
        flag: Some("haproxy"),
        aliases: &["httplog", "httpslog"],
        reader: Reader::Fn(|l, o| haproxy::parse(l, o).map_err(|_| BadLine::Mismatch)),
        traits: HAPROXY,
        checked_against: "real HAProxy 2.6 in the lab; public lines",
    },
    Spec {
        name: "haproxy httplog clf",
        flag: Some("haproxy-clf"),
        aliases: &["httplog-clf"],
        reader: Reader::Fn(|l, o| haproxy::parse_clf(l, o).map_err(|_| BadLine::Mismatch)),
        traits: PROXY,
        checked_against: "HAProxy's documentation and public lines",
    },
    // A custom HAProxy log-format, read by its termination state and timers wherever they are:
    // it names no server address, so whether a server answered comes from those alone.
    Spec {
        name: "haproxy (custom log-format)",
        flag: None,
        aliases: &[],
        reader: Reader::Fn(|l, o| haproxy::parse_loose(l, o).map_err(|_| BadLine::Mismatch)),
        traits: ProxyTraits { upstream_fields: false, ..PROXY },
        checked_against: "public lines",
    },
    Spec {
        name: "haproxy json (custom log-format)",
        flag: None,
        aliases: &[],
        reader: Reader::Fn(|l, o| haproxy::parse_json(l, o).map_err(|_| BadLine::Mismatch)),
        traits: ProxyTraits { upstream_fields: false, ..PROXY },
        checked_against: "public lines",
    },
    Spec {
        name: "aws alb",
        flag: Some("alb"),
        aliases: &["aws-alb"],
        reader: Reader::Fn(|l, o| alb::parse(l, o).map_err(|_| BadLine::Mismatch)),
        traits: ALB,
        checked_against: "AWS documentation and public lines",
    },
    // Envoy Gateway's key names before the other Envoy JSON lines: both read them, the more
    // specific name wins the tie.
    Spec {
        name: "envoy gateway json",
        flag: Some("envoy-gateway"),
        aliases: &[],
        reader: Reader::Fn(envoy_json::envoy_gateway),
        traits: ENVOY,
        checked_against: "public lines (Envoy Gateway 1.x default JSON)",
    },
    Spec {
        name: "envoy json",
        flag: Some("envoy-json"),
        aliases: &["istio-json", "contour-json"],
        reader: Reader::Fn(envoy_json::parse),
        traits: ENVOY,
        checked_against: "public lines (Istio 1.3 to 1.2x, Envoy Gateway, Contour, Cilium Gateway API)",
    },
    Spec {
        name: "cilium hubble",
        flag: Some("hubble"),
        aliases: &["cilium"],
        reader: Reader::Fn(hubble::compact),
        traits: HUBBLE,
        checked_against: "public lines (hubble observe output)",
    },
    Spec {
        name: "cilium hubble json",
        flag: Some("hubble-json"),
        aliases: &[],
        reader: Reader::Fn(hubble::json),
        traits: HUBBLE,
        checked_against: "Cilium's flow API (flow.proto) and Hubble's printer",
    },
    Spec {
        name: "aws classic elb",
        flag: Some("elb"),
        aliases: &["aws-elb", "classic-elb"],
        reader: Reader::Fn(|l, o| alb::parse_classic(l, o).map_err(|_| BadLine::Mismatch)),
        traits: ALB,
        checked_against: "AWS documentation and public lines",
    },
    Spec {
        name: "cloudfront",
        flag: Some("cloudfront"),
        aliases: &["aws-cloudfront"],
        reader: Reader::Fn(|l, o| cloudfront::parse(l, o).map_err(|_| BadLine::Mismatch)),
        traits: CDN,
        checked_against: "AWS documentation and public lines",
    },
    Spec {
        name: "cloudflare logpush",
        flag: Some("cloudflare"),
        aliases: &["logpush"],
        reader: Reader::Fn(|l, o| cloudflare::parse(l, o).map_err(|_| BadLine::Mismatch)),
        traits: CDN,
        checked_against: "Cloudflare's field reference and public lines",
    },
    Spec {
        name: "azure application gateway",
        flag: Some("azure-appgw"),
        aliases: &["appgw", "application-gateway"],
        reader: Reader::Fn(|l, o| azure::parse_gateway(l, o).map_err(|_| BadLine::Mismatch)),
        traits: APPGW,
        checked_against: "Microsoft's log reference and public lines",
    },
    Spec {
        name: "azure front door",
        flag: Some("azure-frontdoor"),
        aliases: &["frontdoor", "afd"],
        reader: Reader::Fn(|l, o| azure::parse_front_door(l, o).map_err(|_| BadLine::Mismatch)),
        traits: ProxyTraits { timeouts: ProxyTimeouts { connect: 10.0, read: 30.0 }, ..CDN },
        checked_against: "Microsoft's log reference and public lines",
    },
    Spec {
        name: "traefik json",
        flag: Some("traefik"),
        aliases: &["traefik-json"],
        reader: Reader::Fn(|l, o| json::traefik(l, o).map_err(|_| BadLine::Mismatch)),
        traits: TRAEFIK,
        checked_against: "public lines",
    },
    // nginx's JSON lines before Google's load balancer: ingress-nginx users nest an `httpRequest`
    // object for Cloud Logging, which that reader would take.
    Spec {
        name: "ingress-nginx json",
        flag: Some("ingress-nginx-json"),
        aliases: &[],
        reader: Reader::Fn(json_keys::ingress_nginx),
        traits: INGRESS_NGINX,
        checked_against: "public log-format-upstream configurations and lines (ingress-nginx issues, blogs)",
    },
    Spec {
        name: "nginx json",
        flag: Some("nginx-json"),
        aliases: &[],
        reader: Reader::Fn(json_keys::nginx),
        traits: NGINX,
        checked_against: "public escape=json log_formats and lines",
    },
    Spec {
        name: "google cloud lb json",
        flag: Some("gcp"),
        aliases: &["gclb", "google"],
        reader: Reader::Fn(|l, o| json::gcp(l, o).map_err(|_| BadLine::Mismatch)),
        traits: GCP,
        checked_against: "Google documentation and public lines",
    },
    Spec {
        name: "caddy json",
        flag: Some("caddy"),
        aliases: &[],
        reader: Reader::Fn(|l, o| json::caddy(l, o).map_err(|_| BadLine::Mismatch)),
        traits: CADDY,
        checked_against: "real Caddy 2.6 in the lab; public lines",
    },
    Spec {
        name: "caddy console",
        flag: Some("caddy-console"),
        aliases: &[],
        reader: Reader::Fn(|l, o| caddy::console_access(l, o).map_err(|_| BadLine::Mismatch)),
        traits: CADDY,
        checked_against: "public lines",
    },
    // After the access formats: an input with access entries is read by them (its error entries
    // are joined); one with error entries only is read here, each entry a request Caddy answered.
    Spec {
        name: CADDY_ERRORS,
        flag: Some("caddy-errors"),
        aliases: &["caddy-v1"],
        reader: Reader::Fn(|l, o| caddy::error_request(l, o).map_err(|_| BadLine::Mismatch)),
        traits: ProxyTraits { error_logs: &[], logs_errors_for: &[], ..CADDY },
        checked_against: "public lines",
    },
    Spec {
        name: "traefik common",
        flag: Some("traefik-common"),
        aliases: &["traefik-clf"],
        reader: Reader::Fn(|l, o| traefik::common(l, o).map_err(|_| BadLine::Mismatch)),
        traits: TRAEFIK,
        checked_against: "public lines",
    },
    Spec {
        name: "kong",
        flag: Some("kong"),
        aliases: &[],
        reader: Reader::Fn(kong::parse),
        traits: KONG,
        checked_against: "public lines (Kong's documentation and issues)",
    },
    Spec {
        name: "apisix",
        flag: Some("apisix"),
        aliases: &[],
        reader: Reader::NginxExtended(nginx::APISIX),
        traits: NGINX,
        checked_against: "public lines (APISIX's documentation and issues)",
    },
    Spec {
        name: "apisix (before the upstream URL)",
        flag: None,
        aliases: &[],
        reader: Reader::Nginx(nginx::APISIX_SHORT),
        traits: NGINX,
        checked_against: "public lines",
    },
    Spec {
        name: "varnishncsa",
        flag: Some("varnishncsa"),
        aliases: &["varnish"],
        reader: Reader::Fn(varnish::parse),
        traits: VARNISH,
        checked_against: "real Varnish 7.1 in the lab (in front of nginx); public lines",
    },
    Spec {
        name: "nginx proxy manager (proxy)",
        flag: Some("npm-proxy"),
        aliases: &["nginx-proxy-manager"],
        reader: Reader::Nginx(npm::PROXY),
        traits: NGINX,
        checked_against: "NPM's log-proxy.conf and public lines",
    },
    Spec {
        name: "nginx proxy manager (standard)",
        flag: Some("npm-standard"),
        aliases: &[],
        reader: Reader::Fn(npm::standard),
        traits: ProxyTraits { upstream_fields: false, ..NGINX },
        checked_against: "NPM's log-proxy.conf and public lines",
    },
    Spec {
        name: "nginx main",
        flag: Some("main"),
        aliases: &["nginx-main"],
        reader: Reader::Nginx(nginx::MAIN),
        traits: NGINX,
        checked_against: "real nginx 1.22 (tests/lab_everyday.rs)",
    },
    Spec {
        name: "nginx combined",
        flag: Some("combined"),
        aliases: &[],
        reader: Reader::Nginx(nginx::COMBINED),
        traits: NGINX,
        checked_against: "real nginx 1.22 (tests/lab_everyday.rs); public lines",
    },
    Spec {
        name: "common log format",
        flag: Some("common"),
        aliases: &["clf"],
        reader: Reader::Nginx(nginx::COMMON),
        traits: NGINX,
        checked_against: "real nginx 1.22 (tests/lab_everyday.rs)",
    },
    Spec {
        name: "apache vhost_combined",
        flag: Some("vhost_combined"),
        aliases: &["vhost-combined"],
        reader: Reader::Nginx(nginx::VHOST_COMBINED),
        traits: NGINX,
        checked_against: "public lines",
    },
    Spec {
        name: "combined (any ident and user fields)",
        flag: None,
        aliases: &[],
        reader: Reader::Nginx(nginx::COMBINED_ANY_IDENT),
        traits: NGINX,
        checked_against: "public lines",
    },
    // Last: it also reads every format above that extends combined.
    Spec {
        name: "nginx combined + extra fields",
        flag: Some("combined+"),
        aliases: &["combined-extra"],
        reader: Reader::NginxExtended(nginx::COMBINED),
        traits: NGINX,
        checked_against: "real nginx 1.22 (tests/lab_everyday.rs)",
    },
    // The fallbacks, after every real format: chosen for an input only when none of those reads
    // any of its first lines, and tried for a line no other format reads.
    Spec {
        name: generic::TEXT,
        flag: Some("generic-text"),
        aliases: &[],
        reader: Reader::Fn(generic::text),
        traits: GENERIC,
        checked_against: "public lines (tests/corpus/generic.jsonl and nginx.jsonl)",
    },
    Spec {
        name: generic::JSON,
        flag: Some("generic-json"),
        aliases: &[],
        reader: Reader::Fn(json_keys::generic),
        traits: GENERIC,
        checked_against: "public lines and request-logger formats",
    },
];

/// A locked format for one input.
#[derive(Debug, Clone)]
pub struct Format {
    pub name: String,
    parser: Parser,
    traits: ProxyTraits,
    /// Its place in [`REGISTRY`] (`None` for a user's own format and the error-log reader).
    index: Option<usize>,
}

#[derive(Debug, Clone)]
enum Parser {
    Template(NginxFormat),
    /// A user-supplied HAProxy `log-format`.
    Haproxy(haproxy_format::HaproxyFormat),
    Fn(ParseFn),
    /// A file of error-log lines only (nginx's error log, Caddy's error entries): read for the
    /// join, not as requests.
    ErrorLog,
}

/// Why a line was not read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum BadLine {
    /// It does not match the file's format.
    Mismatch,
    /// Longer than the line-length cap.
    TooLong,
    /// The status field is not a number.
    BadStatus,
}

impl BadLine {
    pub fn describe(self) -> &'static str {
        match self {
            BadLine::Mismatch => "not in the input's format",
            BadLine::TooLong => "over the line-length cap",
            BadLine::BadStatus => "with a status that is not a number",
        }
    }
}

/// The registry, compiled once.
static COMPILED: LazyLock<Vec<Format>> = LazyLock::new(|| {
    REGISTRY.iter().enumerate().map(|(i, spec)| Format { index: Some(i), ..Format::from_spec(spec) }).collect()
});

impl Format {
    fn from_spec(spec: &Spec) -> Format {
        let compiled = |f: Result<NginxFormat, nginx::FormatError>| {
            Parser::Template(f.unwrap_or_else(|e| panic!("built-in format {} does not compile: {e}", spec.name)))
        };
        let parser = match spec.reader {
            Reader::Nginx(f) => compiled(NginxFormat::compile(f)),
            Reader::NginxExtended(f) => compiled(NginxFormat::compile_with_trailing(f)),
            Reader::Envoy(f) => compiled(NginxFormat::compile_envoy(f)),
            Reader::Fn(f) => Parser::Fn(f),
        };
        Format::new(spec.name.into(), parser, spec.traits)
    }

    fn new(name: String, parser: Parser, mut traits: ProxyTraits) -> Format {
        if let Parser::Template(t) = &parser {
            traits.upstream_fields = t.has_upstream_status;
        }
        Format { name, parser, traits, index: None }
    }

    /// A user-supplied nginx `log_format`.
    pub fn nginx_custom(format: &str) -> Result<Format, nginx::FormatError> {
        Ok(Format::new("nginx (custom log_format)".into(), Parser::Template(NginxFormat::compile(format)?), NGINX))
    }

    /// A user-supplied HAProxy `log-format` (`--haproxy-format`).
    pub fn haproxy_custom(format: &str) -> Result<Format, nginx::FormatError> {
        let f = haproxy_format::HaproxyFormat::compile(format)?;
        let traits = ProxyTraits { upstream_fields: f.has_server, ..PROXY };
        Ok(Format::new("haproxy (custom log-format)".into(), Parser::Haproxy(f), traits))
    }

    /// A user-supplied Apache httpd `LogFormat` (or varnishncsa `-F`) string.
    pub fn apache_custom(format: &str) -> Result<Format, nginx::FormatError> {
        let template = apache::translate(format)?;
        Ok(Format::new("apache (custom LogFormat)".into(), Parser::Template(NginxFormat::compile(&template)?), APACHE))
    }

    /// A user-supplied Envoy access-log format.
    pub fn envoy_custom(format: &str) -> Result<Format, nginx::FormatError> {
        Ok(Format::new("envoy (custom format)".into(), Parser::Template(NginxFormat::compile_envoy(format)?), ENVOY))
    }

    /// The formats sniffing tries, most specific first.
    pub fn candidates() -> &'static [Format] {
        &COMPILED
    }

    /// Pick a name given on the command line (`--format upstreaminfo`): a flag or an alias, or a
    /// format's own name (`nginx combined`).
    pub fn by_name(name: &str) -> Option<Format> {
        let want = name.to_ascii_lowercase();
        REGISTRY
            .iter()
            .position(|s| s.flag == Some(want.as_str()) || s.aliases.contains(&want.as_str()) || s.name == want)
            .map(|i| COMPILED[i].clone())
    }

    /// What `--format` takes.
    pub fn names() -> Vec<&'static str> {
        REGISTRY.iter().filter_map(|s| s.flag).collect()
    }

    /// The names with their aliases, for messages: `upstreaminfo (ingress-nginx), combined, …`.
    pub fn names_and_aliases() -> String {
        REGISTRY
            .iter()
            .filter_map(|s| {
                let n = s.flag?;
                Some(if s.aliases.is_empty() { n.to_owned() } else { format!("{n} ({})", s.aliases.join(", ")) })
            })
            .collect::<Vec<_>>()
            .join(", ")
    }

    pub fn parse<'a>(&self, line: &'a [u8], obs: &mut Observation<'a>) -> Result<(), BadLine> {
        match &self.parser {
            Parser::Template(f) => f.parse(line, obs).map_err(|e| match e {
                nginx::LineError::Status => BadLine::BadStatus,
                nginx::LineError::Literal | nginx::LineError::Trailing => BadLine::Mismatch,
            }),
            Parser::Haproxy(f) => f.parse(line, obs).map_err(|_| BadLine::Mismatch),
            Parser::Fn(f) => f(line, obs),
            Parser::ErrorLog => Err(BadLine::Mismatch),
        }
    }

    /// What its access lines may be joined with (see [`crate::join::JoinScope`]).
    pub fn join_scope(&self) -> crate::join::JoinScope {
        let sources = errors::ERROR_LOGS
            .iter()
            .enumerate()
            .filter(|(_, e)| self.traits.error_logs.contains(&e.name))
            .fold(0u8, |m, (i, _)| m | (1 << i));
        crate::join::JoinScope { sources, has_upstream_fields: self.traits.upstream_fields }
    }

    /// The knowledge base's responder id of the proxy that writes this format.
    pub fn responder(&self) -> Option<&'static str> {
        self.traits.responder
    }

    /// Who writes this format: a proxy, or a cloud load balancer.
    pub fn writer(&self) -> GeneratedBy {
        self.traits.writer
    }

    /// The registered format with this name (or the traits a custom format has), for what the
    /// report needs to know about an input's format after the run. A fallback's name says what
    /// its lines were read by (`generic JSON (keys status, …)`): its registered name begins it.
    pub fn named(name: &str) -> Option<Format> {
        let registered = |f: &&Format| {
            f.name == name
                || (f.is_fallback() && name.strip_prefix(f.name.as_str()).is_some_and(|r| r.starts_with(" (")))
        };
        Format::candidates().iter().find(registered).cloned().or_else(|| match name {
            "nginx (custom log_format)" => Format::nginx_custom("$status").ok(),
            "envoy (custom format)" => Format::envoy_custom("%RESPONSE_CODE%").ok(),
            _ => None,
        })
    }

    /// Whether the error log's silence outweighs the access log's upstream fields (see
    /// [`ProxyTraits::silence_beats_fields`]).
    pub fn silence_beats_fields(&self) -> bool {
        self.traits.silence_beats_fields
    }

    /// Whether the proxy logs an error when it makes `status` itself.
    pub fn logs_errors_for(&self, status: u16) -> bool {
        self.traits.logs_errors_for.contains(&status)
    }

    /// Its place in the registry (`None` for a user's own format).
    pub fn registry_index(&self) -> Option<usize> {
        self.index
    }

    /// A generic fallback (registered last): read when no real format reads a line.
    pub fn is_fallback(&self) -> bool {
        self.index.is_some_and(|i| !REGISTRY[i].traits.writer_known)
    }

    /// Whether a line this format read may stand for the next foreign line in a mixed input
    /// without asking the formats registered before it: not a fallback, and not a format that
    /// also reads lines of more specific ones (`combined` with any extra fields).
    pub fn specific(&self) -> bool {
        !self.is_fallback() && !matches!(&self.parser, Parser::Template(t) if t.allows_trailing())
    }

    /// The name an input read by this format gets from its sample: a fallback's says what the
    /// lines were read by (`generic text (quoted request line + status)`, `generic JSON (keys
    /// status, upstream_status, request_time)`); every other format keeps its name.
    #[must_use]
    pub fn described(mut self, sample: &[&[u8]]) -> Format {
        let what = match self.name.as_str() {
            generic::TEXT => generic::describe(sample),
            generic::JSON => json_keys::describe(sample).map(|keys| format!("{} (keys {keys})", generic::JSON)),
            _ => None,
        };
        if let Some(name) = what {
            self.name = name;
        }
        self
    }

    /// What attribution may rely on for this format, with the user's timeouts over the proxy's
    /// defaults (`--proxy-timeouts`).
    pub fn context(&self, timeouts: Option<TimeoutOverride>) -> Context {
        let t = self.traits.timeouts;
        let mut ctx = Context {
            has_upstream_fields: self.traits.upstream_fields,
            synthesises_upstream_status: self.traits.synthesises_upstream_status,
            writer: self.traits.writer,
            writer_known: self.traits.writer_known,
            connect_timeout: t.connect,
            read_timeout: t.read,
        };
        if let Some(o) = timeouts {
            o.apply(&mut ctx);
        }
        ctx
    }

    /// The error-log-only "format": its lines feed the join (they are not requests).
    pub fn error_log() -> Format {
        Format::new(
            "error log (joined to the access logs)".into(),
            Parser::ErrorLog,
            ProxyTraits { upstream_fields: false, ..PROXY },
        )
    }

    /// Whether this format reads error entries as the requests they stand for (Caddy's).
    pub fn reads_error_entries(&self) -> bool {
        self.name == CADDY_ERRORS
    }

    /// Whether this input holds only error-log lines.
    pub fn is_error_log(&self) -> bool {
        matches!(self.parser, Parser::ErrorLog)
    }

    /// Whether most of `sample` are error-log lines (nginx's error log, Caddy's error entries).
    pub fn looks_like_error_log(sample: &[&[u8]]) -> bool {
        let errors = sample.iter().filter(|l| errors::is_error_line(l)).count();
        !sample.is_empty() && errors * 2 > sample.len()
    }

    /// The candidate that parses the most of `sample`, if any parses at least one line.
    pub fn sniff(sample: &[&[u8]]) -> Option<Format> {
        Format::sniff_scored(sample).map(|(_, f)| f)
    }

    /// [`Format::sniff`] with the number of sample lines the chosen format reads.
    pub fn sniff_scored(sample: &[&[u8]]) -> Option<(usize, Format)> {
        Format::best_by(|f| f.reads(sample))
    }

    /// The candidate with the highest score, if one scores above zero (the first of equals). A
    /// fallback takes an input from the real formats only when it reads more than four times as
    /// many lines as the best of them: lines of another format in an input are read line by line
    /// (`pipeline::Core::line`), so a lenient fallback that reads a few more lines of a sample
    /// must not take an input from the format that reads its own lines best; but an input in a
    /// layout of its own, where a real format happens to read a line or two, is the fallback's
    /// (every one of its lines would otherwise ask every format in turn).
    pub fn best_by(score: impl Fn(&Format) -> usize) -> Option<(usize, Format)> {
        let pick = |fallback: bool| {
            let mut best: Option<(usize, &Format)> = None;
            for f in Format::candidates().iter().filter(|f| f.is_fallback() == fallback) {
                let ok = score(f);
                if ok > 0 && best.is_none_or(|(n, _)| ok > n) {
                    best = Some((ok, f));
                }
            }
            best
        };
        let best = match (pick(false), pick(true)) {
            (Some(real), Some(fallback)) if fallback.0 > 4 * real.0 => Some(fallback),
            (Some(real), _) => Some(real),
            (None, fallback) => fallback,
        };
        best.map(|(n, f)| (n, f.clone()))
    }

    /// How many lines of `sample` this format reads.
    pub fn reads(&self, sample: &[&[u8]]) -> usize {
        sample.iter().filter(|l| self.reads_line(l)).count()
    }

    /// Whether this format reads the line.
    pub fn reads_line(&self, line: &[u8]) -> bool {
        let mut o = Observation::default();
        self.parse(line, &mut o).is_ok()
    }
}

/// Lines that are not access-log lines but are expected in the same stream (`kubectl logs` of an
/// ingress controller interleaves the nginx error log and the controller's own klog lines).
pub fn is_known_other(line: &[u8]) -> bool {
    errors::is_error_line(line)
        // W3C extended log headers (CloudFront's standard logs start each file with two).
        || line.starts_with(b"#Version:")
        || line.starts_with(b"#Fields:")
        || is_klog(line)
        || envoy::is_app_log(line)
        || hubble::is_flow(line)
        || haproxy::is_message(line)
        || caddy::is_console_line(line)
        || is_zap_log(line)
}

/// A zap JSON log message (Caddy's own, with a logger, or without one: `using provided
/// configuration`, `autosaved config` at startup) — but not an access entry that failed to read,
/// which stays a bad line, nor an application's request log written with zap (a status beside a
/// request's fields), which another format or the generic fallback reads.
fn is_zap_log(line: &[u8]) -> bool {
    let with_logger = line.starts_with(b"{") && memchr::memmem::find(line, b"\"logger\":\"").is_some();
    let zap = with_logger || is_zap_message(line);
    zap && json_keys::generic(line, &mut Observation::default()).is_err()
}

/// A zap JSON log message without a logger (Caddy's `using provided configuration`, `autosaved
/// config` at startup) — but not an access entry that failed to read, which stays a bad line.
fn is_zap_message(line: &[u8]) -> bool {
    let has = |m: &[u8]| memchr::memmem::find(line, m).is_some();
    line.starts_with(b"{\"level\":\"") && has(b"\"msg\":\"") && !has(b"\"handled request\"") && !has(b"\"request\":{")
}

/// klog: `I0308 16:02:45.123456       7 controller.go:190] "…"`.
fn is_klog(line: &[u8]) -> bool {
    line.len() > 22
        && matches!(line[0], b'I' | b'W' | b'E' | b'F')
        && line[1..5].iter().all(u8::is_ascii_digit)
        && line[5] == b' '
        && line[8] == b':'
}

/// For the readers' unit tests: `line` read by the registered format `name` (it must read it) and
/// attributed with that format's context.
#[cfg(test)]
pub(crate) fn judged(name: &str, line: &str) -> (crate::attribute::Cause, culprit_kb::GeneratedBy) {
    let format = Format::by_name(name).unwrap_or_else(|| panic!("no format {name}"));
    let mut obs = Observation::default();
    format.parse(line.as_bytes(), &mut obs).unwrap_or_else(|_| panic!("{name} does not read {line}"));
    let a = crate::attribute::attribute(&obs, &format.context(None)).unwrap_or_else(|| panic!("no status: {line}"));
    (a.cause, a.generated_by)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Caddy's own zap messages are expected lines; an application's request log written with
    /// zap is a request (read by another format in a mixed input, or the generic fallback).
    #[test]
    fn zap_messages_are_expected_but_zap_request_logs_are_read() {
        for own in [
            r#"{"level":"info","ts":1646861401.6,"msg":"using provided configuration","config_file":"/etc/caddy/Caddyfile"}"#,
            r#"{"level":"info","ts":1646861401.6,"logger":"tls.cache.maintenance","msg":"started background certificate maintenance"}"#,
        ] {
            assert!(is_known_other(own.as_bytes()), "{own}");
        }
        let request = r#"{"level":"info","ts":"2026-03-08T14:00:06.123Z","logger":"http","msg":"request","method":"GET","path":"/api/orders/42","status":"503","latency":"12.5ms"}"#;
        assert!(!is_known_other(request.as_bytes()));
        assert!(Format::by_name("generic-json").unwrap().reads_line(request.as_bytes()));
    }

    #[test]
    fn every_format_name_and_alias_resolves_and_ambiguous_ones_do_not() {
        for spec in REGISTRY {
            for n in spec.flag.iter().chain(spec.aliases.iter()) {
                assert_eq!(Format::by_name(n).map(|f| f.name), Some(spec.name.to_owned()), "{n}");
            }
            assert!(spec.flag.is_some() || spec.aliases.is_empty(), "{}: aliases without a flag", spec.name);
        }
        assert!(Format::by_name("nginx").is_none(), "nginx is ambiguous: combined or upstreaminfo");
        assert_eq!(
            Format::by_name("elb").map(|f| f.name),
            Some("aws classic elb".into()),
            "Classic ELB logs are not ALB logs"
        );
    }
}
