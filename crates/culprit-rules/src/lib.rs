//! Prometheus and Alertmanager configuration generated from culprit's knowledge base, for the
//! metrics `culprit watch` exposes.
//!
//! `culprit watch` is an exporter: it counts every response by service, status, the layer that
//! generated it, its cause and who owns the fix. History, fleet-wide aggregation and paging belong
//! to Prometheus and Alertmanager; this crate writes their configuration so that the knowledge
//! (which causes exist, their layer, owner, title and first checks) stays in one place:
//!
//! - [`rules::rule_file`]: recording rules for error ratios per service, cause and owner over a
//!   short, a long and a baseline window, and per cause an alert for a rise over the service's own
//!   baseline and one for an absolute budget, labelled `owner`, `layer`, `cause` and annotated with
//!   a headline, the first checks and `culprit explain <cause>`;
//! - [`alertmanager::config`]: a routing tree on `owner` (devops → platform, developer → app team,
//!   both → both) with the app team's alerts inhibited while the ingress itself fails;
//! - [`operator::prometheus_rule`]: the rule groups wrapped in a Prometheus Operator
//!   `PrometheusRule`.
//!
//! A crate of its own rather than part of `culprit-kb`: it renders the knowledge into other tools'
//! configuration languages (a YAML writer the knowledge base does not need), and it needs the log
//! engine's list of the causes it can attribute — the values the `cause` label can take — which
//! `culprit-kb` cannot depend on (the log engine depends on it).

pub mod alertmanager;
pub mod duration;
pub mod operator;
pub mod rules;

pub use duration::PromDuration;

use culprit_kb::{Cause, Owner, kb};

/// The counter `culprit watch` exposes, the only input of the rules.
pub const RESPONSES_METRIC: &str = "culprit_http_responses_total";

/// The receiver names of the routing tree (what `amtool config routes test --verify.receivers`
/// names).
pub const PLATFORM_RECEIVER: &str = "platform";
pub const APP_RECEIVER: &str = "app-team";

/// What the generated files depend on: windows, thresholds, receivers. The defaults suit a busy
/// production ingress; the test and tuning flags of `culprit rules` change them.
#[derive(Debug, Clone, PartialEq)]
pub struct Options {
    /// The short window: how recent "now" is, for both kinds of alert.
    pub window: PromDuration,
    /// The long window of the budget alert (the ratio must be over budget there and in `window`).
    pub long_window: PromDuration,
    /// The window of the service's own baseline, against which a rise is measured.
    pub baseline_window: PromDuration,
    /// How long a condition must hold before the alert fires.
    pub for_: PromDuration,
    /// A rise is the short-window ratio above `rise_factor` times the baseline ratio.
    pub rise_factor: f64,
    /// …and at least this share of the service's requests (quiet blips do not page).
    pub min_ratio: f64,
    /// …and at least this many errors of the cause per second (quiet services do not page).
    pub min_rate: f64,
    /// The share of a service's requests one cause may fail before the budget alert fires; `None`
    /// leaves the budget alerts out.
    pub budget: Option<f64>,
    pub platform_webhook: String,
    pub app_webhook: String,
    pub group_wait: PromDuration,
    pub group_interval: PromDuration,
    pub repeat_interval: PromDuration,
    /// Namespace of the `PrometheusRule`.
    pub namespace: String,
    /// Extra labels of the `PrometheusRule` (a Prometheus Operator's `ruleSelector` may need one).
    pub operator_labels: Vec<(String, String)>,
}

/// Placeholders the user replaces (or sets with `--platform-webhook` / `--app-webhook`): valid
/// URLs, so the file passes `amtool check-config` as generated, on a reserved domain that never
/// resolves, so nothing is sent anywhere by accident.
pub const PLATFORM_WEBHOOK_PLACEHOLDER: &str = "https://platform-webhook.example.invalid/culprit";
pub const APP_WEBHOOK_PLACEHOLDER: &str = "https://app-team-webhook.example.invalid/culprit";

impl Default for Options {
    fn default() -> Self {
        Options {
            window: PromDuration::from_secs(5 * 60),
            long_window: PromDuration::from_secs(3600),
            baseline_window: PromDuration::from_secs(24 * 3600),
            for_: PromDuration::from_secs(5 * 60),
            rise_factor: 3.0,
            min_ratio: 0.02,
            min_rate: 0.1,
            budget: Some(0.05),
            platform_webhook: PLATFORM_WEBHOOK_PLACEHOLDER.into(),
            app_webhook: APP_WEBHOOK_PLACEHOLDER.into(),
            group_wait: PromDuration::from_secs(30),
            group_interval: PromDuration::from_secs(5 * 60),
            repeat_interval: PromDuration::from_secs(4 * 3600),
            namespace: "culprit".into(),
            operator_labels: Vec::new(),
        }
    }
}

impl Options {
    /// Refuses settings that give rules which can never fire or never stop, naming the flag.
    pub fn validate(&self) -> Result<(), String> {
        if self.window.millis() == 0 {
            return Err("--window must be longer than 0s".into());
        }
        if self.long_window <= self.window {
            return Err(format!(
                "--long-window {} must be longer than --window {}: the budget alert compares the two",
                self.long_window, self.window
            ));
        }
        if self.baseline_window <= self.window {
            return Err(format!(
                "--baseline-window {} must be longer than --window {}: a rise is measured against it",
                self.baseline_window, self.window
            ));
        }
        if !(self.rise_factor.is_finite() && self.rise_factor > 1.0) {
            return Err(format!("--rise-factor {} must be a number above 1", self.rise_factor));
        }
        if !(0.0..1.0).contains(&self.min_ratio) {
            return Err(format!("--min-ratio {} must be at least 0 and below 1 (100%)", self.min_ratio));
        }
        if !(self.min_rate.is_finite() && self.min_rate >= 0.0) {
            return Err(format!("--min-rate {} must be 0 or more errors per second", self.min_rate));
        }
        if let Some(b) = self.budget
            && !(b > 0.0 && b < 1.0)
        {
            return Err(format!("--budget {b} must be above 0 and below 1 (100%), or off"));
        }
        for (flag, url) in [("--platform-webhook", &self.platform_webhook), ("--app-webhook", &self.app_webhook)] {
            if !(url.starts_with("http://") || url.starts_with("https://")) || url.contains(char::is_whitespace) {
                return Err(format!("{flag} '{url}' is not an http:// or https:// URL"));
            }
        }
        if self.group_wait.millis() == 0 || self.group_interval.millis() == 0 || self.repeat_interval.millis() == 0 {
            return Err("--group-wait, --group-interval and --repeat-interval must be longer than 0s".into());
        }
        if !is_dns_label(&self.namespace) {
            return Err(format!("--namespace '{}' is not a Kubernetes namespace name", self.namespace));
        }
        for (key, _) in &self.operator_labels {
            if key.is_empty() || key.contains(char::is_whitespace) {
                return Err(format!("--operator-label '{key}' needs a KEY=VALUE"));
            }
        }
        Ok(())
    }

    /// The settings as the flags that give them, for the generated files' headers.
    pub fn flags(&self) -> Vec<String> {
        let mut flags = vec![
            format!("--window {}", self.window),
            format!("--long-window {}", self.long_window),
            format!("--baseline-window {}", self.baseline_window),
            format!("--for {}", self.for_),
            format!("--rise-factor {}", number(self.rise_factor)),
            format!("--min-ratio {}", percent(self.min_ratio)),
            format!("--min-rate {}", number(self.min_rate)),
            format!("--budget {}", self.budget.map_or_else(|| "off".to_string(), percent)),
        ];
        let defaults = Options::default();
        if (self.group_wait, self.group_interval, self.repeat_interval)
            != (defaults.group_wait, defaults.group_interval, defaults.repeat_interval)
        {
            flags.push(format!("--group-wait {}", self.group_wait));
            flags.push(format!("--group-interval {}", self.group_interval));
            flags.push(format!("--repeat-interval {}", self.repeat_interval));
        }
        flags
    }
}

/// `command` followed by `flags`, wrapped with ` \` continuations to fit a 100-column comment.
pub(crate) fn command_lines(command: &str, flags: &[String]) -> String {
    let mut out = format!("  {command}");
    let mut width = out.len();
    for flag in flags {
        if width + 1 + flag.len() > 94 {
            out.push_str(" \\\n     ");
            width = 5;
        } else {
            out.push(' ');
            width += 1;
        }
        out.push_str(flag);
        width += flag.len();
    }
    out
}

/// A Kubernetes namespace name (RFC 1123 label).
fn is_dns_label(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 63
        && s.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        && !s.starts_with('-')
        && !s.ends_with('-')
}

/// A number as PromQL reads it, without float noise (`0.1`, `3`).
pub(crate) fn number(v: f64) -> String {
    let s = format!("{v:.6}");
    let s = s.trim_end_matches('0').trim_end_matches('.');
    if s.is_empty() || s == "-" { "0".into() } else { s.to_string() }
}

/// A ratio as a percentage for people (`0.05` → `5%`, `0.025` → `2.5%`).
pub(crate) fn percent(v: f64) -> String {
    format!("{}%", number(v * 100.0))
}

/// Reads a ratio given as `0.05` or `5%`.
pub fn parse_ratio(text: &str) -> Result<f64, String> {
    let bad = || format!("'{text}' is not a ratio: write 0.05 or 5%");
    let value = match text.strip_suffix('%') {
        Some(p) => p.trim().parse::<f64>().map_err(|_| bad())? / 100.0,
        None => text.trim().parse::<f64>().map_err(|_| bad())?,
    };
    if value.is_finite() { Ok(value) } else { Err(bad()) }
}

/// The causes that get alerts: every cause the log engine can attribute (so every value the
/// `cause` label of `culprit_http_responses_total` can take) except those with nothing to fix
/// server-side (`ok`, `redirect`, a client that hung up…), in the log engine's order.
pub fn alerting_causes() -> Vec<&'static Cause> {
    culprit_logs::attribute::Cause::ALL
        .iter()
        .filter_map(|c| kb().cause(c.id()))
        .filter(|c| c.owner != Owner::None)
        .collect()
}

/// Whether a cause makes server errors (a 5xx at some layer): those get an absolute budget; a
/// client error such as a 404 or 401 can be a service's normal share and alerts only when it rises.
pub fn makes_server_errors(cause: &Cause) -> bool {
    cause.produces.iter().any(|p| (500..600).contains(&p.code))
}

/// Serializes a configuration as YAML after a comment header (each line of `header` becomes a
/// `# ` line).
pub fn to_yaml<T: serde::Serialize>(header: &str, value: &T) -> String {
    let mut out = String::new();
    for line in header.lines() {
        out.push_str(if line.is_empty() { "#" } else { "# " });
        out.push_str(line);
        out.push('\n');
    }
    out.push_str(&serde_yaml_ng::to_string(value).expect("the configuration types serialize"));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_and_ratios() {
        assert_eq!(number(3.0), "3");
        assert_eq!(number(0.1), "0.1");
        assert_eq!(number(0.05 * 100.0), "5");
        assert_eq!(percent(0.025), "2.5%");
        assert!((parse_ratio("5%").unwrap() - 0.05).abs() < 1e-12);
        assert!((parse_ratio("0.2").unwrap() - 0.2).abs() < 1e-12);
        assert!(parse_ratio("five").unwrap_err().contains("'five'"));
    }

    #[test]
    fn defaults_are_valid_and_bad_settings_name_their_flag() {
        Options::default().validate().unwrap();
        let bad = |f: fn(&mut Options)| {
            let mut o = Options::default();
            f(&mut o);
            o.validate().unwrap_err()
        };
        assert!(bad(|o| o.long_window = o.window).contains("--long-window"));
        assert!(bad(|o| o.baseline_window = PromDuration::from_secs(60)).contains("--baseline-window"));
        assert!(bad(|o| o.rise_factor = 1.0).contains("--rise-factor"));
        assert!(bad(|o| o.budget = Some(1.5)).contains("--budget"));
        assert!(bad(|o| o.platform_webhook = "slack".into()).contains("--platform-webhook"));
        assert!(bad(|o| o.namespace = "Culprit".into()).contains("--namespace"));
    }

    #[test]
    fn alerting_causes_come_from_the_log_engine_and_the_knowledge_base() {
        let causes = alerting_causes();
        let ids: Vec<&str> = causes.iter().map(|c| c.id.as_str()).collect();
        assert!(ids.contains(&"upstream_connection_refused") && ids.contains(&"app_error"), "{ids:?}");
        assert!(!ids.contains(&"ok") && !ids.contains(&"client_closed_request"), "{ids:?}");
        // Every cause the log engine attributes is in the knowledge base.
        assert_eq!(
            culprit_logs::attribute::Cause::ALL.iter().filter(|c| kb().cause(c.id()).is_some()).count(),
            culprit_logs::attribute::Cause::ALL.len()
        );
    }
}
