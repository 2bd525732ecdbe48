//! The command-line interface, defined once; completions are generated from it.

use clap::{Args, Parser, Subcommand, ValueEnum};

/// The commands that dump the cluster's objects for `--from` and `logs --cluster`; the same text
/// as `culprit_cluster::DUMP_COMMAND` (a test holds them, `--help` and the README together).
macro_rules! dump_command {
    () => {
        "kubectl get ingress,ingressclass,svc,endpoints,endpointslices,pods -A -o json > snapshot.json
  kubectl get deploy,hpa,networkpolicies,nodes,events -A -o json >> snapshot.json"
    };
}

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
    /// Follow proxy logs live: attribute every response as it is written, report incidents as they
    /// open and close, expose Prometheus metrics labelled by layer, cause and owner.
    #[command(after_help = WATCH_EXAMPLES)]
    Watch(Box<WatchArgs>),
    /// Send one request like `curl -v` and say what the answer means: phase timings, the redirect
    /// chain, which layer answered, rate limits, API hygiene; bisect along the path with --via.
    #[command(after_help = PROBE_EXAMPLES)]
    Probe(Box<ProbeArgs>),
    /// Trace Ingress → Service → endpoints → Pods and flag the configuration behind specific
    /// status codes, from `kubectl get -o json|yaml` dumps or live through the kubeconfig
    /// (read-only).
    #[command(subcommand, after_help = CLUSTER_EXAMPLES)]
    Cluster(ClusterCommand),
    /// Serve the web UI: search, a page per code and cause, the decision trees as clickable
    /// flowcharts, log upload with charts, cluster route traces. Offline; loopback by default.
    #[command(after_help = SERVE_EXAMPLES)]
    Serve(ServeArgs),
    /// Print Prometheus recording and alerting rules for `culprit watch`'s metrics, generated from
    /// the knowledge base (--alertmanager: a routing tree on owner; --operator: a
    /// PrometheusRule; -o DIR: all three files).
    #[command(after_help = RULES_EXAMPLES)]
    Rules(Box<RulesArgs>),
    /// Print shell completions (bash, zsh, fish, elvish, powershell); the README says where each
    /// shell looks for them.
    Completions {
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
    /// Print the manual page (roff), or with --dir write one page per command into a directory.
    #[command(after_help = MAN_EXAMPLES)]
    Man {
        /// Write culprit.1 and a page per subcommand (culprit-logs.1, …) into this directory.
        #[arg(long, value_name = "DIR")]
        dir: Option<std::path::PathBuf>,
    },
}

const SERVE_EXAMPLES: &str = "\
Examples:
  culprit serve                                  http://127.0.0.1:8080/
  culprit serve --listen 127.0.0.1:9000 --max-upload 8GiB
  culprit serve --listen 0.0.0.0:8080            reachable from other machines (warns: no auth)

Every asset is compiled in: no CDN, no outbound request. Reports live in memory (--max-reports),
nothing is written to disk. Uploads over --max-upload get a 413 page that says the limit.";

#[derive(Debug, Args)]
pub struct ServeArgs {
    /// Address and port to listen on (localhost:9000 and a bare port mean 127.0.0.1). Anything but
    /// a loopback address makes the UI (and the reports uploaded to it) reachable from the
    /// network, without authentication.
    #[arg(long, value_name = "ADDR:PORT", default_value = "127.0.0.1:8080")]
    pub listen: String,

    /// Largest upload accepted, as sent (a .gz counts compressed): 500MiB, 2GiB, 1G, or bytes.
    #[arg(long, value_name = "SIZE", default_value = "2GiB")]
    pub max_upload: String,

    /// Reports kept in memory; the oldest is dropped when a new one comes.
    #[arg(long, value_name = "N", default_value_t = 16)]
    pub max_reports: usize,
}

const RULES_EXAMPLES: &str = "\
Examples:
  culprit rules > culprit.rules.yml && promtool check rules culprit.rules.yml
  culprit rules --alertmanager --platform-webhook https://hooks.example.com/platform \\
    --app-webhook https://hooks.example.com/app > alertmanager.yml
  culprit rules --operator -n monitoring --operator-label release=prometheus | kubectl apply -f -
  culprit rules -o generated/        culprit.rules.yml, alertmanager.yml, prometheus-rule.yaml
  culprit rules --window 10s --baseline-window 10m --for 3s    short windows, for a test lab

Alerts: CulpritErrorRise when a cause's share of a service's requests over --window rises above
--rise-factor times its share over --baseline-window (and above --min-ratio and --min-rate);
CulpritErrorBudget when a server-error cause stays above --budget over --long-window and
--window. Each carries the labels service, cause, owner, layer, generated_by and severity.";

const MAN_EXAMPLES: &str = "\
Examples:
  culprit man | man -l -                               read it now
  culprit man --dir ~/.local/share/man/man1            install every page: man culprit-logs";

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

const LOGS_EXAMPLES: &str = concat!(
    "\
Examples:
  culprit logs access.log                          sniff the format, report incidents
  culprit logs /var/log/ingress/ --since '2026-03-08 14:00'
  kubectl logs -n ingress-nginx deploy/ingress-nginx-controller --since=1h | culprit logs -
  culprit logs access.log.gz --service checkout --status 5xx --markdown
  culprit logs access.log --per-request > requests.ndjson
  culprit logs app.log --nginx-format '$remote_addr \"$request\" $status $upstream_status'
  culprit logs haproxy.log --haproxy-format '%ci [%tr] %b/%s %Tr %ST %tsc %{+Q}r'
  culprit logs access.log --cluster snapshot.json  name the pods and Services, made with:
  ",
    dump_command!(),
    "

Exit status: 0 something was read; 1 nothing could be read; 2 unusable arguments or inputs."
);

const CLUSTER_EXAMPLES: &str = concat!(
    "\
Examples:
  ",
    dump_command!(),
    "
  culprit cluster route https://shop.example.com/api/cart --from snapshot.json
  culprit cluster check --from snapshot-dir/ -n shop --fail-on error
  culprit cluster check --context prod -n shop      live, read-only (RBAC in the README)

Exit status: 0 no finding at or above --fail-on; 1 findings at or above it; 2 unusable input."
);

#[derive(Debug, clap::Subcommand)]
pub enum ClusterCommand {
    /// Which Ingress rule, Service, endpoints and Pods serve a URL, each link judged.
    #[command(after_help = CLUSTER_EXAMPLES)]
    Route(ClusterRouteArgs),
    /// Every configuration or state in the snapshot that makes clients get a status code.
    #[command(after_help = CLUSTER_EXAMPLES)]
    Check(ClusterCheckArgs),
}

#[derive(Debug, Args)]
pub struct ClusterSourceArgs {
    /// `kubectl get … -o json` or `-o yaml` output: files or directories (read recursively); the
    /// examples below show the command that dumps every kind culprit reads. Without it, culprit
    /// reads the cluster live through the kubeconfig (list only).
    #[arg(long, value_name = "PATH", conflicts_with_all = ["kubeconfig", "context"])]
    pub from: Vec<std::path::PathBuf>,

    /// Live: the kubeconfig file (default: $KUBECONFIG, then ~/.kube/config).
    #[arg(long, value_name = "FILE")]
    pub kubeconfig: Option<std::path::PathBuf>,

    /// Live: the kubeconfig context (default: the current context).
    #[arg(long, value_name = "NAME")]
    pub context: Option<String>,

    /// Only this namespace.
    #[arg(short = 'n', long, value_name = "NAMESPACE")]
    pub namespace: Option<String>,
}

#[derive(Debug, Args)]
pub struct ClusterRouteArgs {
    /// The URL a client calls.
    #[arg(value_name = "URL")]
    pub url: String,

    /// Only Ingresses of this class.
    #[arg(long, value_name = "CLASS")]
    pub ingress_class: Option<String>,

    #[command(flatten)]
    pub source: ClusterSourceArgs,

    #[command(flatten)]
    pub output: OutputArgs,
}

#[derive(Debug, Args)]
pub struct ClusterCheckArgs {
    /// Exit 1 when a finding is at least this severe.
    #[arg(long, value_enum, default_value_t = FailOn::Error)]
    pub fail_on: FailOn,

    #[command(flatten)]
    pub source: ClusterSourceArgs,

    #[command(flatten)]
    pub output: OutputArgs,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum FailOn {
    Info,
    Warning,
    Error,
    Never,
}

const PROBE_EXAMPLES: &str = "\
Examples:
  culprit probe https://shop.example.com/api/cart         who answered, how long each phase took
  culprit probe -X POST --json-data '{\"id\":1}' https://api.example.com/orders
  culprit probe https://api.example.com/ --resolve api.example.com:443:10.0.0.7
  culprit probe https://shop.example.com/api/cart --via ingress=http://127.0.0.1:8443 \\
      --via pod=http://127.0.0.1:8080                     where along the path it goes wrong
  culprit probe http://shop.example.com/ --check-status   exit 3/4/5 by the final status class

--json writes the report (schema culprit.probe.report/1 in docs/json.md); to send a JSON body use
--json-data. Authorization and cookies are redacted in every output.

Exit status: 0 answered (any status, unless --check-status); 1 no answer (DNS, connect, TLS,
timeout, reset); 2 unusable arguments; with --check-status 3, 4 or 5 for a final 3xx, 4xx or 5xx.";

#[derive(Debug, Args)]
pub struct ProbeArgs {
    /// The URL (http:// is assumed when no scheme is given).
    #[arg(value_name = "URL")]
    pub url: String,

    /// Request method.
    #[arg(short = 'X', long, value_name = "METHOD", default_value = "GET")]
    pub method: String,

    /// A request header, "Name: value" (repeatable).
    #[arg(short = 'H', long = "header", value_name = "HEADER")]
    pub headers: Vec<String>,

    /// Request body; @FILE reads it from a file, @- from stdin. Implies POST unless -X is given.
    #[arg(short = 'd', long, value_name = "DATA", conflicts_with = "json_data")]
    pub data: Option<String>,

    /// A JSON request body (or @FILE), with Content-Type and Accept set to application/json.
    #[arg(long, value_name = "DATA")]
    pub json_data: Option<String>,

    /// Connect to ADDR for HOST:PORT instead of resolving it (curl's --resolve HOST:PORT:ADDR).
    #[arg(long, value_name = "HOST:PORT:ADDR")]
    pub resolve: Vec<String>,

    /// Connect to ADDR:PORT2 for HOST:PORT (curl's --connect-to, host and port given).
    #[arg(long, value_name = "HOST:PORT:ADDR:PORT2")]
    pub connect_to: Vec<String>,

    /// Total time allowed per request, in seconds.
    #[arg(long, value_name = "SECONDS", default_value_t = 30.0)]
    pub timeout: f64,

    /// Time allowed for the TCP connection, in seconds.
    #[arg(long, value_name = "SECONDS", default_value_t = 10.0)]
    pub connect_timeout: f64,

    /// Use HTTP/1.1 only.
    #[arg(long = "http1.1", conflicts_with = "http2")]
    pub http1: bool,

    /// Use HTTP/2 (ALPN on https://, prior knowledge on http://).
    #[arg(long)]
    pub http2: bool,

    /// Do not check the server's certificate (said loudly in the output).
    #[arg(short = 'k', long)]
    pub insecure: bool,

    /// Trust the CA certificates in this PEM file too.
    #[arg(long, value_name = "FILE")]
    pub cacert: Option<std::path::PathBuf>,

    /// Follow at most this many redirects.
    #[arg(long, value_name = "N", default_value_t = 10)]
    pub max_redirects: usize,

    /// Do not follow redirects.
    #[arg(long)]
    pub no_follow: bool,

    /// Response body bytes kept (and shown) per response.
    #[arg(long, value_name = "BYTES", default_value_t = 1 << 20)]
    pub max_body: usize,

    /// Bisect: send the same request (same Host) to each entry point, outermost first:
    /// --via lb=https://… --via ingress=http://127.0.0.1:8443 --via pod=http://127.0.0.1:8080.
    #[arg(long, value_name = "NAME=URL")]
    pub via: Vec<String>,

    /// Exit 3, 4 or 5 when the final status is 3xx, 4xx or 5xx.
    #[arg(long)]
    pub check_status: bool,

    #[command(flatten)]
    pub output: OutputArgs,
}

#[derive(Debug, Args)]
pub struct LogsArgs {
    /// Log files, directories (read recursively; .gz and rotated files included) or - for stdin
    /// (the default when stdin is a pipe: `kubectl logs … | culprit logs`).
    #[arg(value_name = "PATH")]
    pub paths: Vec<std::path::PathBuf>,

    /// Force a format instead of sniffing each file: upstreaminfo (ingress-nginx's default),
    /// combined (nginx's default), main, common, combined+, vhost_combined, envoy, istio,
    /// envoy-json, envoy-gateway, hubble, hubble-json, haproxy, haproxy-clf, alb, elb, cloudfront,
    /// cloudflare, azure-appgw, azure-frontdoor, traefik, traefik-common, gcp, caddy,
    /// caddy-console, caddy-errors (error entries read as requests), kong, apisix.
    #[arg(long, value_name = "NAME", conflicts_with = "nginx_format")]
    pub format: Option<String>,

    /// Parse with this nginx log_format string (variables such as $status, $upstream_status).
    #[arg(long, value_name = "LOG_FORMAT", conflicts_with = "envoy_format")]
    pub nginx_format: Option<String>,

    /// Parse with this Envoy access-log format (%START_TIME%, %RESPONSE_CODE%, %RESPONSE_FLAGS%…).
    #[arg(long, value_name = "FORMAT", conflicts_with = "format")]
    pub envoy_format: Option<String>,

    /// Parse with this HAProxy log-format string, as in haproxy.cfg (%ci, %ST, %tsc, %Tr,
    /// %{+Q}r, %[req.hdr(host)]…; ${HAPROXY_HTTP_LOG_FMT} and its siblings too).
    #[arg(long, value_name = "LOG_FORMAT", conflicts_with_all = ["format", "nginx_format", "envoy_format", "apache_format"])]
    pub haproxy_format: Option<String>,

    /// Parse with this Apache httpd LogFormat (or varnishncsa -F) string (%h %t "%r" %>s %b %D
    /// %{remote}p %{BALANCER_WORKER_NAME}e %{X-Request-ID}i…).
    #[arg(long, value_name = "LOG_FORMAT", conflicts_with_all = ["format", "nginx_format", "envoy_format"])]
    pub apache_format: Option<String>,

    /// An error log (nginx, Apache httpd, Caddy, Kong, APISIX) to join to the access logs, so each
    /// 502/504 gets the message that explains it (error lines interleaved in the inputs, as
    /// `kubectl logs` shows them, are
    /// joined without this). Repeatable.
    #[arg(long, value_name = "PATH")]
    pub error_log: Vec<std::path::PathBuf>,

    /// A dump of the cluster's objects (files or directories, JSON or YAML; the examples show how
    /// to make one): names the pod behind each upstream address of an incident (restarts, last
    /// termination reason), maps the service to its Service and adds what `culprit cluster check`
    /// finds about it.
    #[arg(long, value_name = "PATH")]
    pub cluster: Vec<std::path::PathBuf>,

    /// Only requests at or after this time: 2026-03-08T14:00:00Z (RFC 3339, any offset),
    /// '2026-03-08 14:00' (UTC), 2026-03-08 (midnight UTC), epoch seconds, or a duration back from
    /// now: 1h, 15m, 1h30m, 2d (as `kubectl logs --since`; -1h and '1h ago' too). For a log
    /// read later, give a time: a duration counts back from now, not from the log's end.
    #[arg(long, value_name = "TIME", allow_hyphen_values = true)]
    pub since: Option<String>,

    /// Only requests before this time, same forms as --since.
    #[arg(long, value_name = "TIME", allow_hyphen_values = true)]
    pub until: Option<String>,

    /// Aggregation bucket: 30s, 1m, 5m, 1h (default: automatic, from 1 s up as the span grows).
    #[arg(long, value_name = "DURATION")]
    pub bucket: Option<String>,

    /// The proxy's timeouts, when they are not its defaults: connect=3s,read=120s (either or
    /// both). Attribution compares durations with them: a 504 after the read timeout is the proxy
    /// giving up on a slow upstream, after the connect timeout the connection never completed.
    /// With --cluster, ingress-nginx's proxy-connect-timeout and proxy-read-timeout (annotations,
    /// controller ConfigMap) are read per service.
    #[arg(long, value_name = "LIST")]
    pub proxy_timeouts: Option<String>,

    /// Only services whose name contains this text.
    #[arg(long, value_name = "TEXT")]
    pub service: Option<String>,

    /// Only these statuses: 502, 5xx, 4xx,5xx, 500-504 (codes 100–599; 0 and 009, the values
    /// proxies log when no HTTP status was sent or received, too).
    #[arg(long, value_name = "LIST")]
    pub status: Option<String>,

    /// Write one JSON object per request (NDJSON) instead of the report.
    #[arg(long, conflicts_with_all = ["json", "markdown"])]
    pub per_request: bool,

    /// Also write the report as one self-contained HTML file (charts, inline CSS and script, no
    /// server needed; aggregates only, so its size does not grow with the logs'). `-` writes it
    /// to stdout instead of the terminal report.
    #[arg(long, value_name = "FILE", conflicts_with = "per_request")]
    pub html: Option<std::path::PathBuf>,

    /// Worker threads (default: the number of cores).
    #[arg(long, value_name = "N")]
    pub threads: Option<usize>,

    /// Longest line read, in bytes; longer lines are counted and skipped.
    #[arg(long, value_name = "BYTES", default_value_t = 1 << 20)]
    pub max_line: usize,

    #[command(flatten)]
    pub output: OutputArgs,
}

const WATCH_EXAMPLES: &str = "\
Examples:
  culprit watch /var/log/nginx/access.log --state /var/lib/culprit
  culprit watch '/var/log/containers/*ingress-nginx*.log' --state /var/lib/culprit \\
      --metrics-listen 0.0.0.0:9464                 one per node (DaemonSet), scraped by Prometheus
  kubectl logs -f -n ingress-nginx deploy/ingress-nginx-controller | culprit watch -
  culprit watch access.log --json | jq .headline    NDJSON events (schema in docs/json.md)

Metrics on http://127.0.0.1:9464/metrics (culprit_http_responses_total{service, status,
generated_by, cause, owner}, culprit_incident_open, culprit_watch_* health); docs/watch.md lists
them. SIGTERM or Ctrl-C writes the checkpoint and stops.

Exit status: 0 stopped by a signal (or stdin ended); 2 unusable arguments.";

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum WatchFrom {
    /// Read files already there from their start.
    Beginning,
    /// Only what is written from now on.
    End,
}

#[derive(Debug, Args)]
pub struct WatchArgs {
    /// Log files, directories (followed recursively), glob patterns (quoted:
    /// '/var/log/containers/*ingress-nginx*.log'; wildcards in any component), or - for stdin.
    /// Paths that do not exist yet are looked for again every second.
    #[arg(value_name = "PATH", required = true)]
    pub paths: Vec<std::path::PathBuf>,

    /// Serve /metrics, /healthz and a landing page here (loopback by default; "none" serves
    /// nothing).
    #[arg(long, value_name = "ADDR", default_value = "127.0.0.1:9464")]
    pub metrics_listen: String,

    /// Keep checkpoints (offsets and counters) in this directory, so a restart resumes exactly
    /// where it stopped: no line lost, none counted twice.
    #[arg(long, value_name = "DIR")]
    pub state: Option<std::path::PathBuf>,

    /// Where to start files that have no checkpoint yet. Files created while culprit runs (or
    /// while it was stopped, with --state) are always read from their start.
    #[arg(long, value_enum, default_value_t = WatchFrom::End)]
    pub from: WatchFrom,

    /// Services counted under their own name; later ones are counted as service="other"
    /// (culprit_watch_services_folded_total says how many).
    #[arg(long, value_name = "N", default_value_t = 300)]
    pub max_services: usize,

    /// How far back incident detection looks (older aggregates are dropped): 30m, 3h, 1d.
    #[arg(long, value_name = "DURATION", default_value = "3h")]
    pub horizon: String,

    /// No file notifications (inotify): poll every 250 ms (network filesystems, watch limits).
    #[arg(long)]
    pub poll_only: bool,

    /// Write incident events as NDJSON (schema culprit.watch.event/1 in docs/json.md).
    #[arg(long)]
    pub json: bool,

    /// Force a format instead of sniffing each file (the names `culprit logs --format` takes).
    #[arg(long, value_name = "NAME", conflicts_with = "nginx_format")]
    pub format: Option<String>,

    /// Parse with this nginx log_format string.
    #[arg(long, value_name = "LOG_FORMAT", conflicts_with = "envoy_format")]
    pub nginx_format: Option<String>,

    /// Parse with this Envoy access-log format.
    #[arg(long, value_name = "FORMAT", conflicts_with = "format")]
    pub envoy_format: Option<String>,

    /// Parse with this HAProxy log-format string.
    #[arg(long, value_name = "LOG_FORMAT", conflicts_with_all = ["format", "nginx_format", "envoy_format", "apache_format"])]
    pub haproxy_format: Option<String>,

    /// Parse with this Apache httpd LogFormat (or varnishncsa -F) string.
    #[arg(long, value_name = "LOG_FORMAT", conflicts_with_all = ["format", "nginx_format", "envoy_format"])]
    pub apache_format: Option<String>,

    /// The proxy's timeouts, when they are not its defaults: connect=3s,read=120s.
    #[arg(long, value_name = "LIST")]
    pub proxy_timeouts: Option<String>,

    /// Longest line read, in bytes; longer lines are counted as unparsed and skipped.
    #[arg(long, value_name = "BYTES", default_value_t = 1 << 20)]
    pub max_line: usize,
}

#[derive(Debug, Args)]
pub struct ExplainArgs {
    /// A status code (502) or a pasted status line (HTTP/1.1 502, 502 Bad Gateway, status=502), a
    /// class (5xx), a value proxies log (009, -1), any id culprit prints (a cause, check, layer,
    /// responder), Envoy flags (UF, UF,URX), an HAProxy termination state (sH--), or free text: an
    /// error-log message, a header (server: awselb/2.0). Several words are joined with spaces.
    #[arg(value_name = "QUERY", required_unless_present_any = ["tree", "chain"], allow_negative_numbers = true)]
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

/// `culprit rules`: what the generated configuration says and where it goes.
#[derive(Debug, Args)]
pub struct RulesArgs {
    /// Print the Alertmanager configuration (routing on owner, inhibition) instead of the rules.
    #[arg(long, conflicts_with_all = ["operator", "output"])]
    pub alertmanager: bool,
    /// Print the rules wrapped in a Prometheus Operator PrometheusRule (monitoring.coreos.com/v1).
    #[arg(long, conflicts_with = "output")]
    pub operator: bool,
    /// Write all three files into DIR (created if missing): culprit.rules.yml, alertmanager.yml,
    /// prometheus-rule.yaml.
    #[arg(short = 'o', long = "output", value_name = "DIR")]
    pub output: Option<std::path::PathBuf>,

    /// The short window: "now" for both alerts (tuning and tests).
    #[arg(long, value_name = "DURATION", default_value = "5m", help_heading = "Windows and thresholds")]
    pub window: culprit_rules::PromDuration,
    /// The budget alert's long window: the share must be over budget here and in --window.
    #[arg(long, value_name = "DURATION", default_value = "1h", help_heading = "Windows and thresholds")]
    pub long_window: culprit_rules::PromDuration,
    /// The service's own baseline: a rise is measured against the cause's share over this window.
    #[arg(long, value_name = "DURATION", default_value = "1d", help_heading = "Windows and thresholds")]
    pub baseline_window: culprit_rules::PromDuration,
    /// How long a condition holds before its alert fires.
    #[arg(long = "for", value_name = "DURATION", default_value = "5m", help_heading = "Windows and thresholds")]
    pub for_: culprit_rules::PromDuration,
    /// A rise: the share over --window above this many times the baseline share.
    #[arg(long, value_name = "FACTOR", default_value_t = 3.0, help_heading = "Windows and thresholds")]
    pub rise_factor: f64,
    /// A rise must also reach this share of the service's requests (0.02 or 2%).
    #[arg(long, value_name = "RATIO", default_value = "2%", value_parser = culprit_rules::parse_ratio,
          help_heading = "Windows and thresholds")]
    pub min_ratio: f64,
    /// Both alerts need at least this many errors of the cause per second over --window, so quiet
    /// services do not page.
    #[arg(long, value_name = "PER_SECOND", default_value_t = 0.1, help_heading = "Windows and thresholds")]
    pub min_rate: f64,
    /// The share of a service's requests one server-error cause may fail (0.05 or 5%); off leaves
    /// the budget alerts out.
    #[arg(long, value_name = "RATIO|off", default_value = "5%", value_parser = parse_budget,
          help_heading = "Windows and thresholds")]
    pub budget: Budget,

    /// The platform team's webhook (Alertmanager webhook_configs url); a placeholder otherwise.
    #[arg(long, value_name = "URL", help_heading = "Alertmanager")]
    pub platform_webhook: Option<String>,
    /// The application team's webhook; a placeholder otherwise.
    #[arg(long, value_name = "URL", help_heading = "Alertmanager")]
    pub app_webhook: Option<String>,
    /// How long Alertmanager waits to group a new alert with others.
    #[arg(long, value_name = "DURATION", default_value = "30s", help_heading = "Alertmanager")]
    pub group_wait: culprit_rules::PromDuration,
    /// How long before a group's changes (new or resolved alerts) are sent.
    #[arg(long, value_name = "DURATION", default_value = "5m", help_heading = "Alertmanager")]
    pub group_interval: culprit_rules::PromDuration,
    /// How long before a still-firing alert is sent again.
    #[arg(long, value_name = "DURATION", default_value = "4h", help_heading = "Alertmanager")]
    pub repeat_interval: culprit_rules::PromDuration,

    /// The PrometheusRule's namespace.
    #[arg(short = 'n', long, value_name = "NAMESPACE", default_value = "culprit", help_heading = "PrometheusRule")]
    pub namespace: String,
    /// A label on the PrometheusRule, for the Prometheus Operator's ruleSelector (repeatable).
    #[arg(long = "operator-label", value_name = "KEY=VALUE", value_parser = parse_label,
          help_heading = "PrometheusRule")]
    pub operator_labels: Vec<(String, String)>,
}

/// `--budget`: a ratio, or `off`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Budget(pub Option<f64>);

fn parse_budget(text: &str) -> Result<Budget, String> {
    if text.eq_ignore_ascii_case("off") {
        return Ok(Budget(None));
    }
    culprit_rules::parse_ratio(text).map(|r| Budget(Some(r))).map_err(|e| format!("{e}, or off"))
}

fn parse_label(text: &str) -> Result<(String, String), String> {
    match text.split_once('=') {
        Some((k, v)) if !k.is_empty() => Ok((k.to_string(), v.to_string())),
        _ => Err(format!("'{text}' is not KEY=VALUE")),
    }
}
