//! One module per subcommand: arguments → library call → report → output.

mod cluster;
mod explain;
mod logs;
mod probe;
mod rules;
mod serve;
mod watch;

use crate::cli::{Command, OutputArgs};
use crate::output::Format;
use anyhow::Result;
use clap::CommandFactory;

/// How a command ended, as the process exit status.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    /// Answered.
    Success = 0,
    /// Something failed while running.
    Failure = 1,
    /// The input is not something culprit can use.
    Unusable = 2,
    /// `probe --check-status`: the final status was 3xx, 4xx or 5xx.
    Redirection = 3,
    ClientError = 4,
    ServerError = 5,
}

impl From<Status> for std::process::ExitCode {
    fn from(s: Status) -> Self {
        std::process::ExitCode::from(s as u8)
    }
}

pub fn run(command: Command) -> Result<Status> {
    match command {
        Command::Explain(args) => explain::run(&args),
        Command::Logs(args) => logs::run(&args),
        Command::Probe(args) => probe::run(&args),
        Command::Watch(args) => watch::run(&args),
        Command::Cluster(command) => cluster::run(&command),
        Command::Serve(args) => serve::run(&args),
        Command::Rules(args) => rules::run(&args),
        Command::Completions { shell } => {
            // Generated into memory: clap_complete panics on a write error (a closed pipe).
            let mut script = Vec::new();
            clap_complete::generate(shell, &mut crate::cli::Cli::command(), "culprit", &mut script);
            crate::output::emit_raw(&script)?;
            Ok(Status::Success)
        }
        Command::Man { dir } => man(dir.as_deref()),
    }
}

/// `culprit man`: the manual page generated from the same definitions as `--help`; with a
/// directory, one page per command (`man culprit-logs`).
fn man(dir: Option<&std::path::Path>) -> Result<Status> {
    let command = crate::cli::Cli::command().disable_help_subcommand(true);
    let Some(dir) = dir else {
        let mut page = Vec::new();
        clap_mangen::Man::new(command).render(&mut page)?;
        crate::output::emit_raw(&page)?;
        return Ok(Status::Success);
    };
    if let Err(e) = std::fs::create_dir_all(dir).and_then(|()| clap_mangen::generate_to(command, dir)) {
        eprintln!("culprit: man --dir {}: {e}", dir.display());
        return Ok(Status::Failure);
    }
    let mut pages: Vec<String> = std::fs::read_dir(dir)?
        .filter_map(|e| e.ok()?.file_name().into_string().ok())
        .filter(|n| n.starts_with("culprit") && n.ends_with(".1"))
        .collect();
    pages.sort();
    eprintln!("culprit: wrote {} pages to {}: {}", pages.len(), dir.display(), pages.join(", "));
    Ok(Status::Success)
}

impl OutputArgs {
    pub fn format(&self) -> Format {
        if self.json {
            Format::Json
        } else if self.markdown {
            Format::Markdown
        } else {
            Format::Terminal
        }
    }
}
