//! Log formats: each turns one line into an [`Observation`](crate::Observation). A file's format is
//! sniffed from its first lines, then locked.

pub mod alb;
pub mod envoy;
pub mod haproxy;
pub mod json;
pub mod nginx;
pub mod nginx_error;
pub(crate) mod upstreaminfo;

use crate::attribute::Context;
use crate::observation::Observation;
use nginx::NginxFormat;

/// A locked format for one input.
#[derive(Debug, Clone)]
pub struct Format {
    pub name: String,
    kind: Kind,
}

#[derive(Debug, Clone)]
enum Kind {
    Nginx(NginxFormat),
    /// Envoy/Istio templates (same machinery, Envoy syntax and semantics).
    Envoy(NginxFormat),
    Haproxy,
    Alb,
    Traefik,
    Gcp,
    Caddy,
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
            BadLine::Mismatch => "does not match the format",
            BadLine::TooLong => "longer than the line-length cap",
            BadLine::BadStatus => "status is not a number",
        }
    }
}

/// `--format` names: (name, aliases, the format's own name). No plain `nginx`: both nginx's
/// `combined` and ingress-nginx's `upstreaminfo` are nginx logs, and forcing the wrong one makes
/// every line unreadable. No `elb`: Classic Load Balancer logs have another layout than ALB's.
pub const NAMES: &[(&str, &[&str], &str)] = &[
    ("upstreaminfo", &["ingress-nginx"], "ingress-nginx upstreaminfo"),
    ("combined", &[], "nginx combined"),
    ("main", &["nginx-main"], "nginx main"),
    ("common", &["clf"], "common log format"),
    ("combined+", &["combined-extra"], "nginx combined + extra fields"),
    ("envoy", &[], "envoy"),
    ("istio", &[], "istio"),
    ("haproxy", &["httplog"], "haproxy httplog"),
    ("alb", &["aws-alb"], "aws alb"),
    ("traefik", &["traefik-json"], "traefik json"),
    ("traefik-common", &["traefik-clf"], "traefik common"),
    ("gcp", &["gclb", "google"], "google cloud lb json"),
    ("caddy", &[], "caddy json"),
];

impl Format {
    /// A user-supplied nginx `log_format`.
    pub fn nginx_custom(format: &str) -> Result<Format, nginx::FormatError> {
        Ok(Format { name: "nginx (custom log_format)".into(), kind: Kind::Nginx(NginxFormat::compile(format)?) })
    }

    /// A user-supplied Envoy access-log format.
    pub fn envoy_custom(format: &str) -> Result<Format, nginx::FormatError> {
        Ok(Format { name: "envoy (custom format)".into(), kind: Kind::Envoy(NginxFormat::compile_envoy(format)?) })
    }

    /// The formats sniffing tries, most specific first.
    pub fn candidates() -> Vec<Format> {
        let nginx = |name: &str, f: &str| Format {
            name: name.into(),
            kind: Kind::Nginx(NginxFormat::compile(f).expect("built-in formats compile")),
        };
        let envoy = |name: &str, f: &str| Format {
            name: name.into(),
            kind: Kind::Envoy(NginxFormat::compile_envoy(f).expect("built-in formats compile")),
        };
        vec![
            nginx("ingress-nginx upstreaminfo", nginx::UPSTREAMINFO),
            envoy("istio", envoy::ISTIO_DEFAULT),
            envoy("envoy", envoy::ENVOY_DEFAULT),
            nginx("ingress-nginx upstreaminfo (2018)", nginx::UPSTREAMINFO_2018),
            nginx("ingress-nginx upstreaminfo (legacy the_real_ip)", nginx::UPSTREAMINFO_LEGACY),
            nginx("ingress-nginx upstreaminfo (legacy, no req_id)", nginx::UPSTREAMINFO_LEGACY_NO_ID),
            Format { name: "haproxy httplog".into(), kind: Kind::Haproxy },
            Format { name: "aws alb".into(), kind: Kind::Alb },
            Format { name: "traefik json".into(), kind: Kind::Traefik },
            Format { name: "google cloud lb json".into(), kind: Kind::Gcp },
            Format { name: "caddy json".into(), kind: Kind::Caddy },
            nginx("traefik common", nginx::TRAEFIK_COMMON),
            nginx("nginx main", nginx::MAIN),
            nginx("nginx combined", nginx::COMBINED),
            nginx("common log format", nginx::COMMON),
            // Last: it also reads every format above that extends combined.
            Format {
                name: "nginx combined + extra fields".into(),
                kind: Kind::Nginx(
                    NginxFormat::compile_with_trailing(nginx::COMBINED).expect("built-in formats compile"),
                ),
            },
        ]
    }

    /// Pick a name given on the command line (`--format upstreaminfo`): a name or an alias from
    /// [`NAMES`], or a format's own name (`nginx combined`).
    pub fn by_name(name: &str) -> Option<Format> {
        let want = name.to_ascii_lowercase();
        let key = NAMES
            .iter()
            .find(|(n, aliases, _)| *n == want || aliases.contains(&want.as_str()))
            .map_or(want.as_str(), |(_, _, key)| key);
        Format::candidates().into_iter().find(|f| f.name == key)
    }

    pub fn names() -> Vec<&'static str> {
        NAMES.iter().map(|(n, _, _)| *n).collect()
    }

    /// The names with their aliases, for messages: `upstreaminfo (ingress-nginx), combined, …`.
    pub fn names_and_aliases() -> String {
        NAMES
            .iter()
            .map(
                |(n, aliases, _)| {
                    if aliases.is_empty() { (*n).to_owned() } else { format!("{n} ({})", aliases.join(", ")) }
                },
            )
            .collect::<Vec<_>>()
            .join(", ")
    }

    pub fn parse<'a>(&self, line: &'a [u8], obs: &mut Observation<'a>) -> Result<(), BadLine> {
        match &self.kind {
            Kind::Nginx(f) | Kind::Envoy(f) => f.parse(line, obs).map_err(|e| match e {
                nginx::LineError::Status => BadLine::BadStatus,
                nginx::LineError::Literal | nginx::LineError::Trailing => BadLine::Mismatch,
            }),
            Kind::Haproxy => haproxy::parse(line, obs).map_err(|_| BadLine::Mismatch),
            Kind::Alb => alb::parse(line, obs).map_err(|_| BadLine::Mismatch),
            Kind::Traefik => json::traefik(line, obs).map_err(|_| BadLine::Mismatch),
            Kind::Gcp => json::gcp(line, obs).map_err(|_| BadLine::Mismatch),
            Kind::Caddy => json::caddy(line, obs).map_err(|_| BadLine::Mismatch),
            Kind::ErrorLog => Err(BadLine::Mismatch),
        }
    }

    /// Caddy: a 5xx with no matching error-log entry was produced by the upstream (Caddy logs an
    /// error entry for every response it generates itself).
    pub fn errors_are_logged_separately(&self) -> bool {
        matches!(self.kind, Kind::Caddy)
    }

    /// What attribution may rely on for this format.
    pub fn context(&self) -> Context {
        match &self.kind {
            Kind::Nginx(f) => Context { has_upstream_fields: f.has_upstream_status, ..Context::default() },
            // Envoy's defaults: 15 s route timeout; connect timeout set per cluster.
            Kind::Envoy(_) => Context { synthesises_upstream_status: false, read_timeout: 15.0, ..Context::default() },
            Kind::Haproxy | Kind::Traefik => Context { synthesises_upstream_status: false, ..Context::default() },
            Kind::Caddy | Kind::ErrorLog => {
                Context { synthesises_upstream_status: false, has_upstream_fields: false, ..Context::default() }
            }
            Kind::Gcp => Context {
                synthesises_upstream_status: false,
                writer: culprit_kb::GeneratedBy::LoadBalancer,
                read_timeout: 30.0,
                ..Context::default()
            },
            Kind::Alb => Context {
                synthesises_upstream_status: false,
                writer: culprit_kb::GeneratedBy::LoadBalancer,
                connect_timeout: 10.0,
                ..Context::default()
            },
        }
    }

    /// The error-log-only "format": its lines feed the join (they are not requests).
    pub fn error_log() -> Format {
        Format { name: "error log (joined to the access logs)".into(), kind: Kind::ErrorLog }
    }

    /// Whether this input holds only error-log lines.
    pub fn is_error_log(&self) -> bool {
        matches!(self.kind, Kind::ErrorLog)
    }

    /// Whether most of `sample` are error-log lines (nginx's error log, Caddy's error entries).
    pub fn looks_like_error_log(sample: &[&[u8]]) -> bool {
        let errors = sample
            .iter()
            .filter(|l| nginx_error::is_error_line(l) || memchr::memmem::find(l, b"\"http.log.error").is_some())
            .count();
        !sample.is_empty() && errors * 2 > sample.len()
    }

    /// The candidate that parses the most of `sample`, if any parses at least one line.
    pub fn sniff(sample: &[&[u8]]) -> Option<Format> {
        let mut best: Option<(usize, Format)> = None;
        for f in Format::candidates() {
            let ok = sample
                .iter()
                .filter(|l| {
                    let mut o = Observation::default();
                    f.parse(l, &mut o).is_ok()
                })
                .count();
            if ok > 0 && best.as_ref().is_none_or(|(n, _)| ok > *n) {
                best = Some((ok, f));
            }
        }
        best.map(|(_, f)| f)
    }
}

/// Lines that are not access-log lines but are expected in the same stream (`kubectl logs` of an
/// ingress controller interleaves the nginx error log and the controller's own klog lines).
pub fn is_known_other(line: &[u8]) -> bool {
    nginx_error::is_error_line(line)
        || is_klog(line)
        || haproxy::is_message(line)
        || (line.starts_with(b"{") && memchr::memmem::find(line, b"\"logger\":\"").is_some())
}

/// klog: `I0308 16:02:45.123456       7 controller.go:190] "…"`.
fn is_klog(line: &[u8]) -> bool {
    line.len() > 22
        && matches!(line[0], b'I' | b'W' | b'E' | b'F')
        && line[1..5].iter().all(u8::is_ascii_digit)
        && line[5] == b' '
        && line[8] == b':'
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_format_name_and_alias_resolves_and_ambiguous_ones_do_not() {
        for (name, aliases, key) in NAMES {
            for n in std::iter::once(name).chain(aliases.iter()) {
                assert_eq!(Format::by_name(n).map(|f| f.name), Some((*key).to_owned()), "{n}");
            }
        }
        assert!(Format::by_name("nginx").is_none(), "nginx is ambiguous: combined or upstreaminfo");
        assert!(Format::by_name("elb").is_none(), "Classic ELB logs are not ALB logs");
    }
}
