//! `culprit-gen`: write a deterministic ingress-nginx log with an incident to stdout or a file.
//!
//!   culprit-gen --lines 20000 --seed 7 > incident.log
//!   culprit-gen --lines 4000000 --no-error-log --out bench.log
//!   culprit-gen --lines 100000 --format haproxy > haproxy.log

use std::io::{BufWriter, Write};

fn main() -> std::io::Result<()> {
    let mut cfg = culprit_gen::Config::default();
    let mut out_path: Option<String> = None;
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        let mut value = |name: &str| args.next().unwrap_or_else(|| usage(&format!("{name} needs a value")));
        match a.as_str() {
            "--lines" => cfg.lines = value("--lines").parse().unwrap_or_else(|_| usage("--lines takes a number")),
            "--seed" => cfg.seed = value("--seed").parse().unwrap_or_else(|_| usage("--seed takes a number")),
            "--span" => cfg.span = value("--span").parse().unwrap_or_else(|_| usage("--span takes seconds")),
            "--start" => cfg.start = value("--start").parse().unwrap_or_else(|_| usage("--start takes unix seconds")),
            "--no-error-log" => cfg.error_log = false,
            "--no-incident" => cfg.incident = false,
            "--out" => out_path = Some(value("--out")),
            "--format" => {
                let name = value("--format");
                cfg.format = culprit_gen::Format::from_name(&name).unwrap_or_else(|| {
                    let names: Vec<&str> = culprit_gen::Format::ALL.iter().map(|(n, _)| *n).collect();
                    usage(&format!("unknown format {name}; one of {}", names.join(", ")))
                });
            }
            "-h" | "--help" => usage(""),
            other => usage(&format!("unknown argument {other}")),
        }
    }
    let sink: Box<dyn Write> = match &out_path {
        Some(p) => Box::new(std::fs::File::create(p)?),
        None => Box::new(std::io::stdout().lock()),
    };
    let mut w = BufWriter::with_capacity(1 << 20, sink);
    culprit_gen::generate(&cfg, &mut w)?;
    w.flush()
}

fn usage(problem: &str) -> ! {
    if !problem.is_empty() {
        eprintln!("culprit-gen: {problem}");
    }
    eprintln!(
        "usage: culprit-gen [--lines N] [--seed N] [--start UNIX] [--span SECONDS] [--no-error-log] [--no-incident] [--format NAME] [--out FILE]"
    );
    std::process::exit(2);
}
