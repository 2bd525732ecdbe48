//! ingress-nginx's settings: the annotation prefix it reads, the annotations whose default produces
//! a status code, and the values it accepts; the effective value of a setting for an Ingress
//! (its annotation over the controller's ConfigMap over the default).

use k8s_openapi::api::networking::v1::Ingress;

use super::ingress::{class_of, default_class};
use super::{ingress_controller, object};
use crate::snapshot::Snapshot;

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

/// ingress-nginx's default `proxy-body-size` (`1m`): larger request bodies get 413.
pub const DEFAULT_BODY_LIMIT: u64 = 1024 * 1024;
/// ingress-nginx's default `proxy-connect-timeout` and `proxy-read-timeout`, in seconds.
pub const DEFAULT_CONNECT_TIMEOUT: f64 = 5.0;
pub const DEFAULT_READ_TIMEOUT: f64 = 60.0;

/// The bytes an nginx size stands for (`8k`, `50m`, `1g`: powers of 1024); `0` means no limit.
pub fn parse_nginx_size(value: &str) -> Option<u64> {
    if !is_nginx_size(value) {
        return None;
    }
    let v = value.trim();
    let (digits, unit) = match v.as_bytes().last()? {
        b'k' | b'K' => (&v[..v.len() - 1], 1024),
        b'm' | b'M' => (&v[..v.len() - 1], 1024 * 1024),
        b'g' | b'G' => (&v[..v.len() - 1], 1024 * 1024 * 1024),
        _ => (v, 1),
    };
    digits.parse::<u64>().ok()?.checked_mul(unit)
}

/// A number of seconds as ingress-nginx reads its timeouts (digits only; `120s` is not read).
pub fn parse_seconds(value: &str) -> Option<f64> {
    let v = value.trim();
    (!v.is_empty() && v.bytes().all(|b| b.is_ascii_digit())).then(|| v.parse().ok()).flatten()
}

/// Whether ingress-nginx serves `ing` on the snapshot's evidence, not just by a class name: its
/// IngressClass (or the default one) names the controller `k8s.io/ingress-nginx`, or — without
/// IngressClasses in the dump — its class says nginx (or it has none) and the controller's pods
/// or ConfigMap are there.
pub fn served_by_ingress_nginx(snapshot: &Snapshot, ing: &Ingress) -> bool {
    let class = class_of(ing).or_else(|| default_class(snapshot));
    if !snapshot.ingress_classes.is_empty() {
        return snapshot.ingress_classes.iter().any(|c| {
            c.metadata.name == class && c.spec.as_ref().and_then(|s| s.controller.as_deref()) == Some(INGRESS_NGINX)
        });
    }
    let controller_seen = !snapshot.controller_configs.is_empty() || !ingress_controller(snapshot).pods.is_empty();
    controller_seen && class.as_deref().is_none_or(|c| c.contains("nginx"))
}

/// The `spec.controller` of ingress-nginx's IngressClasses.
pub const INGRESS_NGINX: &str = "k8s.io/ingress-nginx";

/// The controller's ConfigMap: the one read, else the one its pods' `--configmap` flag names, else
/// the name ingress-nginx's Helm chart and manifests give it, in the controller's namespace.
pub fn controller_config_object(snapshot: &Snapshot) -> String {
    if let Some(cm) = snapshot.controller_configs.first() {
        return object("ConfigMap", cm.metadata.namespace.as_deref(), cm.metadata.name.as_deref());
    }
    let controller = ingress_controller(snapshot);
    let flagged = controller.pods.iter().find_map(|p| {
        let ns = p.metadata.namespace.as_deref().unwrap_or("default");
        p.spec.as_ref()?.containers.iter().flat_map(|c| c.args.iter().flatten()).find_map(|a| {
            let value = a.strip_prefix("--configmap=")?.replace("$(POD_NAMESPACE)", ns);
            let (cm_ns, name) = value.split_once('/')?;
            Some(object("ConfigMap", Some(cm_ns), Some(name)))
        })
    });
    flagged.unwrap_or_else(|| object("ConfigMap", Some(&controller.namespace), Some("ingress-nginx-controller")))
}

/// A valid value of a controller ConfigMap key, with where it was read.
pub fn controller_setting(snapshot: &Snapshot, key: &str) -> Option<(String, String)> {
    snapshot.controller_configs.iter().find_map(|cm| {
        let value = cm.data.as_ref()?.get(key)?;
        invalid_value(key, value).is_none().then(|| {
            let obj = object("ConfigMap", cm.metadata.namespace.as_deref(), cm.metadata.name.as_deref());
            (value.clone(), format!("{key} in {obj}"))
        })
    })
}

/// A valid value of an ingress-nginx annotation on `ing` (`key` without the prefix), with where
/// it was read.
pub fn annotation_setting(ing: &Ingress, key: &str) -> Option<(String, String)> {
    let annotation = format!("{NGINX_PREFIX}{key}");
    let value = ing.metadata.annotations.as_ref()?.get(&annotation)?;
    invalid_value(key, value).is_none().then(|| {
        let obj = object("Ingress", ing.metadata.namespace.as_deref(), ing.metadata.name.as_deref());
        (value.clone(), format!("annotation {annotation} on {obj}"))
    })
}

/// The Ingresses whose rules or defaultBackend send traffic to Service `ns`/`name`, with a class
/// that ingress-nginx may serve (nginx in its name, or none).
pub fn nginx_ingresses_of<'a>(snapshot: &'a Snapshot, ns: &str, name: &str) -> Vec<&'a Ingress> {
    snapshot
        .ingresses
        .iter()
        .filter(|ing| ing.metadata.namespace.as_deref() == Some(ns))
        .filter(|ing| class_of(ing).as_deref().is_none_or(|c| c.contains("nginx")))
        .filter(|ing| {
            ing.spec.iter().any(|s| {
                s.rules
                    .iter()
                    .flatten()
                    .flat_map(|r| r.http.iter().flat_map(|h| &h.paths))
                    .map(|p| &p.backend)
                    .chain(s.default_backend.as_ref())
                    .any(|b| b.service.as_ref().is_some_and(|svc| svc.name == name))
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_and_seconds_as_ingress_nginx_reads_them() {
        assert_eq!(parse_nginx_size("1m"), Some(DEFAULT_BODY_LIMIT));
        assert_eq!(parse_nginx_size("8k"), Some(8192));
        assert_eq!(parse_nginx_size("2G"), Some(2 * 1024 * 1024 * 1024));
        assert_eq!(parse_nginx_size("1024"), Some(1024));
        assert_eq!(parse_nginx_size("0"), Some(0));
        assert_eq!(parse_nginx_size("50MB"), None);
        assert_eq!(parse_seconds("120"), Some(120.0));
        assert_eq!(parse_seconds("120s"), None);
        assert_eq!(parse_seconds(""), None);
    }

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
