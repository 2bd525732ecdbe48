//! The command-line interface, defined once; completions are generated from it.

use clap::{Args, Parser, Subcommand, ValueEnum};

#[derive(Debug, Parser)]
#[command(
    name = "culprit",
    version,
    about = "Which layer generated this HTTP status code, why, and which team owns the fix.",
    long_about = "culprit turns evidence into a diagnosis: a status code or an error message \
                  (explain), proxy and load-balancer logs (logs), a live request (probe) or the \
                  cluster (cluster) — answered with the layer that generated the code, the likely \
                  cause, who looks first and the commands to run next."
)]
pub struct Cli {
    /// When to use colour: auto uses it only on a terminal and honours NO_COLOR.
    #[arg(long, value_enum, default_value_t = ColorWhen::Auto, global = true)]
    pub color: ColorWhen,

    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ColorWhen {
    Auto,
    Always,
    Never,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Explain a status code, a class, an error message, a flag or a header.
    #[command(after_help = EXPLAIN_EXAMPLES)]
    Explain(ExplainArgs),
    /// Attribute every error in proxy and load-balancer logs to a layer, cause and owner; find the
    /// incidents.
    #[command(after_help = LOGS_EXAMPLES)]
    Logs(Box<LogsArgs>),
    /// Print shell completions.
    Completions {
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
}

const EXPLAIN_EXAMPLES: &str = "\
Examples:
  culprit explain 502                       who generates a 502, why, who looks first, what to run
  culprit explain 502 --full                the same with every cause's evidence and fix
  culprit explain 5xx                       the class at a glance
  culprit explain upstream prematurely closed connection
  culprit explain UF                        an Envoy response flag
  culprit explain sH--                      an HAProxy termination state
  culprit explain 'server: awselb/2.0'      a response header
  culprit explain --tree 5xx                the 502/503/504 decision tree
  culprit explain --chain                   the debugging chain, step by step

Exit status: 0 answered; 2 the input is not something culprit can explain.";

const LOGS_EXAMPLES: &str = "\
Examples:
  culprit logs access.log                          sniff the format, report incidents
  culprit logs /var/log/ingress/ --since '2026-03-08 14:00'
  kubectl logs -n ingress-nginx deploy/ingress-nginx-controller --since=1h | culprit logs -
  culprit logs access.log.gz --service checkout --status 5xx --markdown
  culprit logs access.log --per-request > requests.ndjson
  culprit logs app.log --nginx-format '$remote_addr \"$request\" $status $upstream_status'

Exit status: 0 something was read; 1 nothing could be read; 2 unusable arguments or inputs.";

#[derive(Debug, Args)]
pub struct LogsArgs {
    /// Log files, directories (read recursively; .gz and rotated files included) or - for stdin.
    #[arg(value_name = "PATH", required = true)]
    pub paths: Vec<std::path::PathBuf>,

    /// Force a format instead of sniffing each file: upstreaminfo (ingress-nginx), combined, envoy,
    /// istio, haproxy, alb, traefik, traefik-common, gcp, caddy.
    #[arg(long, value_name = "NAME", conflicts_with = "nginx_format")]
    pub format: Option<String>,

    /// Parse with this nginx log_format string (variables such as $status, $upstream_status).
    #[arg(long, value_name = "LOG_FORMAT", conflicts_with = "envoy_format")]
    pub nginx_format: Option<String>,

    /// Parse with this Envoy access-log format (%START_TIME%, %RESPONSE_CODE%, %RESPONSE_FLAGS%…).
    #[arg(long, value_name = "FORMAT", conflicts_with = "format")]
    pub envoy_format: Option<String>,

    /// An nginx error log to join to the access logs, so each 502/504 gets the message that
    /// explains it (error lines interleaved in the inputs, as `kubectl logs` shows them, are
    /// joined without this). Repeatable.
    #[arg(long, value_name = "PATH")]
    pub error_log: Vec<std::path::PathBuf>,

    /// Only requests at or after this time (UTC): 2026-03-08T14:00:00Z, '2026-03-08 14:00', epoch.
    #[arg(long, value_name = "TIME")]
    pub since: Option<String>,

    /// Only requests before this time (UTC), same forms as --since.
    #[arg(long, value_name = "TIME")]
    pub until: Option<String>,

    /// Aggregation bucket: 30s, 1m, 5m, 1h (default: automatic, from 1 s up as the span grows).
    #[arg(long, value_name = "DURATION")]
    pub bucket: Option<String>,

    /// Only services whose name contains this text.
    #[arg(long, value_name = "TEXT")]
    pub service: Option<String>,

    /// Only these statuses: 502, 5xx, 4xx,5xx, 500-504.
    #[arg(long, value_name = "LIST")]
    pub status: Option<String>,

    /// Write one JSON object per request (NDJSON) instead of the report.
    #[arg(long, conflicts_with_all = ["json", "markdown"])]
    pub per_request: bool,

    /// Worker threads (default: the number of cores).
    #[arg(long, value_name = "N")]
    pub threads: Option<usize>,

    /// Longest line read, in bytes; longer lines are counted and skipped.
    #[arg(long, value_name = "BYTES", default_value_t = 1 << 20)]
    pub max_line: usize,

    #[command(flatten)]
    pub output: OutputArgs,
}

#[derive(Debug, Args)]
pub struct ExplainArgs {
    /// A status code (502), a class (5xx), or free text: an error-log message, an Envoy flag (UF),
    /// an HAProxy termination state (sH--), a header (server: awselb/2.0). Several words are
    /// joined with spaces.
    #[arg(value_name = "QUERY", required_unless_present_any = ["tree", "chain"])]
    pub query: Vec<String>,

    /// Show everything: meaning in depth, both sides, every cause's evidence, checks and fix.
    #[arg(long)]
    pub full: bool,

    /// Print a decision tree (5xx or 4xx) as steps to follow.
    #[arg(long, value_name = "CLASS", conflicts_with_all = ["query", "chain"])]
    pub tree: Option<String>,

    /// Print the debugging chain: the request path and the five steps that bisect it.
    #[arg(long, conflicts_with = "query")]
    pub chain: bool,

    #[command(flatten)]
    pub output: OutputArgs,
}

/// Output format flags shared by every command.
#[derive(Debug, Args)]
pub struct OutputArgs {
    /// Write the report as JSON (schema in docs/json.md).
    #[arg(long, conflicts_with = "markdown")]
    pub json: bool,

    /// Write the report as Markdown, for pasting into an incident channel.
    #[arg(long)]
    pub markdown: bool,
}
