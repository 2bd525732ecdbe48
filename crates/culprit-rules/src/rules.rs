//! The Prometheus rule file: recording rules for error ratios, and per cause an alert for a rise
//! over the service's own baseline and one for an absolute budget.
//!
//! Recording rules (names follow Prometheus's `level:metric:operations` convention), for each of
//! the short, long and baseline windows `W`:
//! - `service_cause:culprit_http_responses:rateW` — responses per second by service, cause, owner;
//! - `service:culprit_http_responses:rateW` — all responses per second by service;
//! - `service_cause:culprit_http_responses:ratio_rateW` — the share of a service's responses that
//!   had this cause;
//! - `service_owner:culprit_http_responses:ratio_rateW` — the share whose fix each owner holds.
//!
//! Alerts, one rule of each kind per cause (so that each carries its own layer, headline and first
//! checks from the knowledge base):
//! - `CulpritErrorRise` — the cause's short-window ratio is above `rise_factor` × its
//!   baseline-window ratio, above `min_ratio`, and at least `min_rate` errors per second. Written as
//!   `A unless (ratio <= factor × baseline)` rather than `ratio > factor × baseline`: a cause the
//!   service never had has no baseline series at all, and a comparison with a missing series is
//!   empty — the most important rise (from nothing) would never fire.
//! - `CulpritErrorBudget` (server-error causes only) — the ratio is over the budget in both the
//!   long and the short window (the long one says it lasts, the short one that it still happens, so
//!   the alert resolves soon after the fix), with the same minimum rate.
//!
//! A chronic error — present all along at a steady share — matches its own baseline and never
//! rises; it alerts through the budget only when its share is above it.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use culprit_kb::{Cause, GeneratedBy, kb};
use serde::{Deserialize, Serialize};

use crate::{Options, PromDuration, RESPONSES_METRIC, alerting_causes, makes_server_errors, number, percent};

/// A Prometheus rule file (`rule_files:`), and the `spec` of a `PrometheusRule`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RuleFile {
    pub groups: Vec<RuleGroup>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RuleGroup {
    pub name: String,
    pub rules: Vec<Rule>,
}

/// A recording rule (`record`) or an alerting rule (`alert`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Rule {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub record: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub alert: Option<String>,
    pub expr: String,
    #[serde(default, rename = "for", skip_serializing_if = "Option::is_none")]
    pub for_: Option<String>,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub labels: BTreeMap<String, String>,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub annotations: BTreeMap<String, String>,
}

/// One group for the recording rules and the alerts: Prometheus evaluates the rules of a group in
/// order, so each alert reads the ratios recorded at the same evaluation. In two groups (each on
/// its own schedule; promtool evaluates them in name order) an alert could read the ratios of the
/// previous evaluation, one interval late.
pub const GROUP: &str = "culprit";
pub const RISE_ALERT: &str = "CulpritErrorRise";
pub const BUDGET_ALERT: &str = "CulpritErrorBudget";
/// How many of a cause's checks the alert carries (the card has them all).
const FIRST_CHECKS: usize = 3;

/// `service_cause:culprit_http_responses:rate5m` and its siblings.
pub fn cause_rate(window: PromDuration) -> String {
    format!("service_cause:{}:rate{window}", base_name())
}

pub fn service_rate(window: PromDuration) -> String {
    format!("service:{}:rate{window}", base_name())
}

pub fn cause_ratio(window: PromDuration) -> String {
    format!("service_cause:{}:ratio_rate{window}", base_name())
}

pub fn owner_ratio(window: PromDuration) -> String {
    format!("service_owner:{}:ratio_rate{window}", base_name())
}

/// The counter's name without `_total`, as recording-rule names use it.
fn base_name() -> &'static str {
    RESPONSES_METRIC.strip_suffix("_total").unwrap_or(RESPONSES_METRIC)
}

/// The whole rule file for `opts`.
pub fn rule_file(opts: &Options) -> RuleFile {
    let mut windows = vec![opts.window, opts.long_window, opts.baseline_window];
    windows.dedup();
    let mut recording = Vec::new();
    for w in windows {
        recording
            .push(record(cause_rate(w), format!("sum by (service, cause, owner) (rate({RESPONSES_METRIC}[{w}]))")));
        recording.push(record(service_rate(w), format!("sum by (service) (rate({RESPONSES_METRIC}[{w}]))")));
        // A service without traffic in the window divides 0 by 0: NaN, which no threshold passes.
        recording.push(record(
            cause_ratio(w),
            format!("{}\n  / ignoring (cause, owner) group_left\n{}", cause_rate(w), service_rate(w)),
        ));
        recording.push(record(owner_ratio(w), format!("sum by (service, owner) ({})", cause_ratio(w))));
    }
    let mut alerts = Vec::new();
    for cause in alerting_causes() {
        alerts.push(rise_alert(cause, opts));
    }
    if let Some(budget) = opts.budget {
        for cause in alerting_causes().into_iter().filter(|c| makes_server_errors(c)) {
            alerts.push(budget_alert(cause, budget, opts));
        }
    }
    RuleFile { groups: vec![RuleGroup { name: GROUP.into(), rules: recording.into_iter().chain(alerts).collect() }] }
}

/// The header of the rule file.
pub fn header(opts: &Options) -> String {
    format!(
        "Prometheus rules generated by `culprit rules` from culprit's knowledge base, for the metrics\n\
         `culprit watch` exposes, in one group: recording rules for error ratios per service, cause\n\
         and owner, then per cause a {RISE_ALERT} (a rise over the service's own baseline) and a\n\
         {BUDGET_ALERT} (an absolute budget) alert.\n\
         Regenerate rather than edit. Generated with:\n{}",
        crate::command_lines("culprit rules", &opts.flags())
    )
}

fn record(name: String, expr: String) -> Rule {
    Rule { record: Some(name), alert: None, expr, for_: None, labels: BTreeMap::new(), annotations: BTreeMap::new() }
}

fn selector(name: &str, cause: &Cause) -> String {
    format!("{name}{{cause=\"{}\"}}", cause.id)
}

fn rise_alert(cause: &Cause, opts: &Options) -> Rule {
    let now = selector(&cause_ratio(opts.window), cause);
    let rate = selector(&cause_rate(opts.window), cause);
    let baseline = selector(&cause_ratio(opts.baseline_window), cause);
    let expr = format!(
        "(\n  {now} >= {min_ratio}\n  and\n  {rate} >= {min_rate}\n)\nunless\n  {now}\n    <= {factor} * {baseline}",
        min_ratio = number(opts.min_ratio),
        min_rate = number(opts.min_rate),
        factor = number(opts.rise_factor),
    );
    // The baseline ratio, read when the alert is rendered; no series means the cause never
    // happened on the service within the baseline window.
    let baseline_value = format!(
        "{{{{ with printf \"{}{{service=%q,cause=%q}}\" $labels.service $labels.cause | query }}}}\
         {{{{ . | first | value | humanizePercentage }}}}{{{{ else }}}}0%{{{{ end }}}}",
        cause_ratio(opts.baseline_window)
    );
    let summary = format!(
        "{{{{ $labels.cause }}}} on {{{{ $labels.service }}}} rose from {baseline_value} to {{{{ $value | \
         humanizePercentage }}}} of its requests (last {} against the last {}), {}: {}. {} looks first.",
        opts.window,
        opts.baseline_window,
        generated_by_words(cause.generated_by),
        escape(&cause.title),
        cause.owner.label(),
    );
    alert(RISE_ALERT, cause, expr, "critical", summary, opts)
}

fn budget_alert(cause: &Cause, budget: f64, opts: &Options) -> Rule {
    let long = selector(&cause_ratio(opts.long_window), cause);
    let now = selector(&cause_ratio(opts.window), cause);
    let rate = selector(&cause_rate(opts.window), cause);
    let b = number(budget);
    let expr = format!("{long} > {b}\nand\n{now} > {b}\nand\n{rate} >= {min_rate}", min_rate = number(opts.min_rate));
    let summary = format!(
        "{{{{ $labels.cause }}}} on {{{{ $labels.service }}}} is {{{{ $value | humanizePercentage }}}} of its \
         requests over the last {}, above the {} budget (and still above it over the last {}), {}: {}. {} looks \
         first.",
        opts.long_window,
        percent(budget),
        opts.window,
        generated_by_words(cause.generated_by),
        escape(&cause.title),
        cause.owner.label(),
    );
    alert(BUDGET_ALERT, cause, expr, "warning", summary, opts)
}

fn alert(name: &str, cause: &Cause, expr: String, severity: &str, summary: String, opts: &Options) -> Rule {
    // `service` and `owner` come from the series; the rest from the knowledge base. `cause` is
    // also in the series, and set here too: each rule's labels must differ (promtool refuses
    // rules that differ only in their expression).
    let labels = BTreeMap::from([
        ("cause".to_string(), cause.id.clone()),
        ("severity".to_string(), severity.to_string()),
        ("layer".to_string(), cause.layer.id().to_string()),
        ("generated_by".to_string(), cause.generated_by.id().to_string()),
    ]);
    let mut annotations = BTreeMap::from([
        ("summary".to_string(), summary),
        ("description".to_string(), escape(&description(cause))),
        ("explain".to_string(), format!("culprit explain {}", cause.id)),
    ]);
    let checks = first_checks(cause);
    if !checks.is_empty() {
        annotations.insert("first_checks".into(), escape(&checks));
    }
    Rule { record: None, alert: Some(name.into()), expr, for_: Some(opts.for_.to_string()), labels, annotations }
}

/// What the cause is, and when the owner is someone else.
pub fn description(cause: &Cause) -> String {
    match &cause.owner_note {
        Some(note) => format!("{} {note}", cause.summary),
        None => cause.summary.clone(),
    }
}

/// The cause's first checks, numbered, each command under its title.
pub fn first_checks(cause: &Cause) -> String {
    let mut out = String::new();
    for (i, check) in cause.checks.iter().filter_map(|id| kb().check(id)).take(FIRST_CHECKS).enumerate() {
        let _ = writeln!(out, "{}. {}", i + 1, check.title);
        for line in check.command.lines() {
            out.push_str("   ");
            out.push_str(line);
            out.push('\n');
        }
    }
    out.trim_end().to_string()
}

/// The headline's words for who wrote the status (as `culprit logs` says them).
fn generated_by_words(g: GeneratedBy) -> &'static str {
    match g {
        GeneratedBy::Client => "the client hung up",
        GeneratedBy::Upstream => "passed through from the application",
        GeneratedBy::Proxy => "generated by the proxy",
        GeneratedBy::LoadBalancer => "generated by the load balancer",
        GeneratedBy::Cdn => "generated by the CDN",
    }
}

/// Knowledge-base text inside an annotation is a Go template: a literal `{{` must be written as an
/// action that prints it.
pub fn escape(text: &str) -> String {
    text.replace("{{", "{{ \"{{\" }}")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rules(opts: &Options) -> Vec<Rule> {
        rule_file(opts).groups.into_iter().flat_map(|g| g.rules).collect()
    }

    fn find<'a>(rules: &'a [Rule], alert: &str, cause: &str) -> &'a Rule {
        rules
            .iter()
            .find(|r| r.alert.as_deref() == Some(alert) && r.expr.contains(&format!("cause=\"{cause}\"")))
            .unwrap_or_else(|| panic!("no {alert} for {cause}"))
    }

    #[test]
    fn each_alerting_cause_has_a_rise_alert_with_its_knowledge() {
        let all = rules(&Options::default());
        for cause in alerting_causes() {
            let rule = find(&all, RISE_ALERT, &cause.id);
            assert_eq!(rule.labels["layer"], cause.layer.id());
            assert_eq!(rule.annotations["explain"], format!("culprit explain {}", cause.id));
            assert!(rule.annotations["summary"].contains(&cause.title), "{}", cause.id);
        }
        let refused = find(&all, RISE_ALERT, "upstream_connection_refused");
        assert_eq!(refused.labels["generated_by"], "proxy");
        assert_eq!(refused.labels["layer"], "service");
        assert_eq!(refused.for_.as_deref(), Some("5m"));
        assert!(refused.annotations["first_checks"].starts_with("1. Read the ingress controller's error messages\n"));
        assert!(refused.annotations["first_checks"].contains("   kubectl logs -n ingress-nginx"));
        assert!(refused.annotations["summary"].contains("DevOps / platform looks first."));
        assert!(refused.expr.contains(
            "<= 3 * service_cause:culprit_http_responses:ratio_rate1d{cause=\"upstream_connection_refused\"}"
        ));
    }

    #[test]
    fn budgets_only_for_server_errors_and_only_when_set() {
        let all = rules(&Options::default());
        find(&all, BUDGET_ALERT, "app_error");
        assert!(!all.iter().any(|r| r.alert.as_deref() == Some(BUDGET_ALERT) && r.expr.contains("\"app_not_found\"")));
        let off = rules(&Options { budget: None, ..Options::default() });
        assert!(!off.iter().any(|r| r.alert.as_deref() == Some(BUDGET_ALERT)));
    }

    #[test]
    fn recording_rules_per_window_and_no_duplicates() {
        let opts = Options {
            window: "30s".parse().unwrap(),
            long_window: "2m".parse().unwrap(),
            baseline_window: "2m".parse().unwrap(),
            ..Options::default()
        };
        let file = rule_file(&opts);
        let names: Vec<&str> = file.groups[0].rules.iter().filter_map(|r| r.record.as_deref()).collect();
        assert_eq!(names.len(), 8, "{names:?}");
        assert!(names.contains(&"service_cause:culprit_http_responses:ratio_rate30s"));
    }

    #[test]
    fn template_braces_in_knowledge_are_escaped() {
        assert_eq!(escape("a {{b}} c"), "a {{ \"{{\" }}b}} c");
    }
}
