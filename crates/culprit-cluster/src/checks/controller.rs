//! The ingress-nginx controller's own settings (its ConfigMap and its pods): global limits and
//! timeouts every Ingress inherits, values the controller cannot read, and a shutdown that the
//! kubelet cuts short.

use culprit_kb::{Finding, Severity};

use crate::query::nginx::{ValueKind, invalid_value};
use crate::query::object;
use crate::snapshot::Snapshot;

/// Findings about the controller's ConfigMap(s) and pods.
pub fn controller_checks(snapshot: &Snapshot, out: &mut Vec<Finding>) {
    for cm in &snapshot.controller_configs {
        let obj = object("ConfigMap", cm.metadata.namespace.as_deref(), cm.metadata.name.as_deref());
        let data = cm.data.clone().unwrap_or_default();
        for (key, value) in &data {
            if let Some((cause, code, expected)) = invalid_value(key, value) {
                out.push(
                    Finding::from_kb_because(
                        match expected {
                            ValueKind::Seconds => "controller_value_not_seconds",
                            ValueKind::Size => "controller_value_not_size",
                        },
                        cause,
                        Severity::Warning,
                        &[code],
                        obj.clone(),
                        &[("key", key), ("value", value)],
                    )
                    .with(format!("data.{key}"), value.clone()),
                );
            }
        }
        if let Some(v) = data.get("upstream-keepalive-timeout") {
            out.push(
                Finding::from_kb("controller_keepalive_note", Severity::Info, &[502], obj.clone(), &[("seconds", v)])
                    .with("data.upstream-keepalive-timeout", v.clone()),
            );
        }
        for key in ["client-header-buffer-size", "large-client-header-buffers"] {
            if let Some(v) = data.get(key) {
                out.push(
                    Finding::from_kb(
                        "controller_header_buffers_note",
                        Severity::Info,
                        &[400, 414],
                        obj.clone(),
                        &[("key", key), ("value", v)],
                    )
                    .with(format!("data.{key}"), v.clone()),
                );
            }
        }
        for key in ["client-header-timeout", "client-body-timeout"] {
            if let Some(v) = data.get(key) {
                out.push(
                    Finding::from_kb(
                        "controller_client_timeout_note",
                        Severity::Info,
                        &[408],
                        obj.clone(),
                        &[("key", key), ("value", v)],
                    )
                    .with(format!("data.{key}"), v.clone()),
                );
            }
        }
        // nginx drains connections for worker-shutdown-timeout; the kubelet kills the pod at its
        // grace period: shorter, and in-flight requests die with it on every controller rollout.
        let shutdown = data
            .get("worker-shutdown-timeout")
            .and_then(|v| v.trim().trim_end_matches('s').parse::<i64>().ok())
            .unwrap_or(240);
        let ns = cm.metadata.namespace.as_deref();
        let controller_pod = snapshot.pods.iter().find(|p| {
            p.metadata.namespace.as_deref() == ns
                && p.metadata.labels.as_ref().and_then(|l| l.get("app.kubernetes.io/component")).map(String::as_str)
                    == Some("controller")
        });
        if let Some(grace) =
            controller_pod.and_then(|p| p.spec.as_ref()).and_then(|s| s.termination_grace_period_seconds)
            && grace < shutdown
        {
            out.push(
                Finding::from_kb(
                    "controller_grace_shorter_than_drain",
                    Severity::Warning,
                    &[502, 503],
                    obj.clone(),
                    &[
                        ("grace", &grace.to_string()),
                        ("shutdown", &shutdown.to_string()),
                        ("enough", &(shutdown + 60).to_string()),
                    ],
                )
                .with("worker-shutdown-timeout", format!("{shutdown} s"))
                .with("controller terminationGracePeriodSeconds", grace.to_string()),
            );
        }
    }
}
