//! ingress-nginx's settings: the annotation prefix it reads, the annotations whose default produces
//! a status code, and the values it accepts.

/// ingress-nginx reads only annotations with this prefix (unless the controller is configured
/// with another `--annotations-prefix`).
pub const NGINX_PREFIX: &str = "nginx.ingress.kubernetes.io/";

/// Prefixes of other controllers' annotations, ignored by ingress-nginx.
pub const FOREIGN_PREFIXES: &[&str] = &["nginx.org/", "ingress.kubernetes.io/", "traefik.ingress.kubernetes.io/"];

/// ingress-nginx annotations whose default produces a status code: (suffix, cause, code).
pub const ANNOTATION_EFFECTS: &[(&str, &str, u16)] = &[
    ("proxy-body-size", "body_too_large", 413),
    ("proxy-read-timeout", "upstream_timeout", 504),
    ("proxy-send-timeout", "upstream_timeout", 504),
    ("proxy-connect-timeout", "upstream_connect_timeout", 504),
    ("proxy-buffer-size", "upstream_header_too_big", 502),
    ("backend-protocol", "upstream_invalid_response", 502),
    ("ssl-redirect", "redirect_loop", 308),
    ("force-ssl-redirect", "redirect_loop", 308),
    ("limit-rps", "proxy_rate_limited", 503),
    ("limit-connections", "proxy_rate_limited", 503),
];

/// What an ingress-nginx setting's value must be.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ValueKind {
    /// A number of seconds without a unit (`120`).
    Seconds,
    /// An nginx size: a number with an optional k, m or g (`50m`, `8k`, `0`).
    Size,
}

/// A value ingress-nginx cannot read for `setting` (annotation suffix or ConfigMap key): the cause
/// and code its default then gives, and what kind of value it expects.
pub fn invalid_value(setting: &str, value: &str) -> Option<(&'static str, u16, ValueKind)> {
    let (cause, code) = ANNOTATION_EFFECTS.iter().find(|(s, ..)| *s == setting).map(|(_, c, n)| (*c, *n))?;
    let expected = match setting {
        "proxy-read-timeout" | "proxy-send-timeout" | "proxy-connect-timeout" => {
            let v = value.trim();
            (v.is_empty() || !v.chars().all(|c| c.is_ascii_digit())).then_some(ValueKind::Seconds)
        }
        "proxy-body-size" | "proxy-buffer-size" => (!is_nginx_size(value)).then_some(ValueKind::Size),
        _ => None,
    }?;
    Some((cause, code, expected))
}

/// `50m`, `8k`, `1G`, `1024`, `0`.
pub fn is_nginx_size(value: &str) -> bool {
    let v = value.trim();
    let digits = v.trim_end_matches(['k', 'K', 'm', 'M', 'g', 'G']);
    !digits.is_empty() && v.len() - digits.len() <= 1 && digits.chars().all(|c| c.is_ascii_digit())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nginx_sizes() {
        for ok in ["50m", "8k", "1G", "1024", "0"] {
            assert!(is_nginx_size(ok), "{ok}");
        }
        for bad in ["50MB", "50Mi", "", "m", "1.5m", "10 m"] {
            assert!(!is_nginx_size(bad), "{bad}");
        }
    }
}
