//! `culprit rules`: Prometheus rules, an Alertmanager configuration and a PrometheusRule for the
//! metrics of `culprit watch`, generated from the knowledge base (crates/culprit-rules).

use std::path::Path;

use anyhow::{Context, Result};
use culprit_rules::{Options, alertmanager, operator, rules, to_yaml};

use super::Status;
use crate::cli::RulesArgs;

/// The files `-o DIR` writes.
pub const RULES_FILE: &str = "culprit.rules.yml";
pub const ALERTMANAGER_FILE: &str = "alertmanager.yml";
pub const OPERATOR_FILE: &str = "prometheus-rule.yaml";

pub fn run(args: &RulesArgs) -> Result<Status> {
    let defaults = Options::default();
    let opts = Options {
        window: args.window,
        long_window: args.long_window,
        baseline_window: args.baseline_window,
        for_: args.for_,
        rise_factor: args.rise_factor,
        min_ratio: args.min_ratio,
        min_rate: args.min_rate,
        budget: args.budget.0,
        platform_webhook: args.platform_webhook.clone().unwrap_or(defaults.platform_webhook),
        app_webhook: args.app_webhook.clone().unwrap_or(defaults.app_webhook),
        group_wait: args.group_wait,
        group_interval: args.group_interval,
        repeat_interval: args.repeat_interval,
        namespace: args.namespace.clone(),
        operator_labels: args.operator_labels.clone(),
    };
    if let Err(e) = opts.validate() {
        eprintln!("culprit: rules: {e}");
        return Ok(Status::Unusable);
    }
    let rules_yaml = || to_yaml(&rules::header(&opts), &rules::rule_file(&opts));
    let alertmanager_yaml = || to_yaml(&alertmanager::header(&opts), &alertmanager::config(&opts));
    let operator_yaml = || to_yaml(&operator::header(&opts), &operator::prometheus_rule(&opts));
    if let Some(dir) = &args.output {
        let files =
            [(RULES_FILE, rules_yaml()), (ALERTMANAGER_FILE, alertmanager_yaml()), (OPERATOR_FILE, operator_yaml())];
        std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
        for (name, text) in &files {
            write(&dir.join(name), text)?;
        }
        let names: Vec<&str> = files.iter().map(|(n, _)| *n).collect();
        eprintln!("culprit: wrote {} into {}", names.join(", "), dir.display());
        return Ok(Status::Success);
    }
    let text = if args.alertmanager {
        alertmanager_yaml()
    } else if args.operator {
        operator_yaml()
    } else {
        rules_yaml()
    };
    crate::output::emit_raw(text.as_bytes())?;
    Ok(Status::Success)
}

fn write(path: &Path, text: &str) -> Result<()> {
    std::fs::write(path, text).with_context(|| format!("writing {}", path.display()))
}
