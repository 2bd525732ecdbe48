//! One module per subcommand: arguments → library call → report → output.

mod cluster;
mod explain;
mod logs;
mod probe;

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
        Command::Cluster(command) => cluster::run(&command),
        Command::Completions { shell } => {
            clap_complete::generate(shell, &mut crate::cli::Cli::command(), "culprit", &mut std::io::stdout());
            Ok(Status::Success)
        }
    }
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
