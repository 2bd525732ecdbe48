//! `lab/run`: start a real proxy in front of the faulty backends, drive the traffic plan through
//! it, and show what happened — per scenario, what the client saw and what the proxy logged — then
//! how culprit's diagnosis of those logs compares with the truth.

use std::path::PathBuf;
use std::process::Command;

use anyhow::{Context, bail};
use clap::Parser;
use culprit_lab::driver::Plan;
use culprit_lab::lab::{self, LabRun};
use culprit_lab::proxy::ProxyKind;
use culprit_lab::score::{Score, parse_diagnoses};

#[derive(Debug, Parser)]
#[command(
    name = "lab/run",
    about = "Watch real proxies turn backend faults into status codes, and check culprit's diagnosis"
)]
struct Args {
    /// nginx, haproxy, caddy, apache, varnish or all.
    #[arg(long, default_value = "all")]
    proxy: String,
    /// Keep the logs and configs here (default: a temporary directory, removed at the end).
    #[arg(long, value_name = "DIR")]
    keep: Option<PathBuf>,
    /// The culprit binary to check (default: next to this one).
    #[arg(long, value_name = "PATH")]
    culprit: Option<PathBuf>,
    /// Requests per second (the plan lasts 20 s).
    #[arg(long, default_value_t = 80)]
    rate: u32,
}

fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let kinds: Vec<ProxyKind> =
        if args.proxy == "all" {
            ProxyKind::ALL.to_vec()
        } else {
            vec![ProxyKind::parse(&args.proxy).with_context(|| {
                format!("--proxy {}: not nginx, haproxy, caddy, apache, varnish or all", args.proxy)
            })?]
        };
    let culprit = match args.culprit {
        Some(path) => path,
        None => std::env::current_exe()?.with_file_name("culprit"),
    };
    let plan = Plan { rate_per_sec: args.rate, ..Plan::default() };
    let temp = tempfile::tempdir()?;
    let root = args.keep.unwrap_or_else(|| temp.path().to_owned());
    let mut failed = false;
    for kind in kinds {
        let dir = root.join(kind.name());
        std::fs::create_dir_all(&dir)?;
        println!("== {} (files in {})", kind.name(), dir.display());
        let run = lab::run(kind, &plan, &dir)?;
        print_outcomes(&run);
        // nginx: once with the error log at warn (what ingress-nginx ships), once at info.
        for error_log in [&run.logs.error, &run.logs.error_info].into_iter().flatten() {
            println!("-- culprit logs {} --error-log {}", run.logs.access.display(), error_log.display());
            let score = check(&run, &culprit, Some(error_log))?;
            println!("{}", score.summary());
            failed |= !score.meets_thresholds();
        }
        if run.logs.error.is_none() {
            let score = check(&run, &culprit, None)?;
            println!("{}", score.summary());
            failed |= !score.meets_thresholds();
        }
    }
    if failed {
        bail!("culprit's diagnosis fell short of the truth on at least one proxy");
    }
    Ok(())
}

/// Per scenario: how many requests, the statuses the client saw, and what the backends did.
fn print_outcomes(run: &LabRun) {
    use std::collections::BTreeMap;
    let mut seen: BTreeMap<String, BTreeMap<String, usize>> = BTreeMap::new();
    for (request, observed) in run.requests.iter().zip(&run.observed) {
        let outcome = match (observed.status, &observed.error) {
            (Some(s), _) if observed.truncated => format!("{s} (body cut short)"),
            (Some(s), _) => s.to_string(),
            (None, Some(e)) => e.clone(),
            (None, None) => "nothing".into(),
        };
        *seen.entry(format!("{:?}", request.scenario)).or_default().entry(outcome).or_default() += 1;
    }
    let late = run.observed.iter().map(|o| o.late_ms).max().unwrap_or(0);
    println!(
        "  (requests sent at most {late} ms later than planned; the backends saw {} request ids)",
        run.records.len()
    );
    for (scenario, outcomes) in seen {
        let list: Vec<String> = outcomes.iter().map(|(o, n)| format!("{o} ×{n}")).collect();
        println!("  {scenario:<22} {}", list.join(", "));
    }
}

/// Runs culprit on the run's logs (with the error log joined where the proxy has one) and scores it.
fn check(run: &LabRun, culprit: &std::path::Path, error_log: Option<&PathBuf>) -> anyhow::Result<Score> {
    let mut command = Command::new(culprit);
    command.arg("logs").arg("--per-request").arg(&run.logs.access).args(run.proxy.culprit_format_args());
    if let Some(error) = error_log {
        command.arg("--error-log").arg(error);
    }
    let output = command.output().with_context(|| format!("running {}", culprit.display()))?;
    if !output.status.success() {
        bail!("culprit failed: {}", String::from_utf8_lossy(&output.stderr));
    }
    Ok(Score::new(run, parse_diagnoses(&String::from_utf8(output.stdout)?)?))
}
