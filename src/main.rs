//! culprit: which layer generated this HTTP status code, why, and who owns the fix.
//!
//! The binary is glue: parse arguments, dispatch to a command, map errors to exit codes.

mod cli;
mod cmd;
mod output;

use clap::Parser;
use std::process::ExitCode;

fn main() -> ExitCode {
    let cli = cli::Cli::parse();
    anstream::ColorChoice::write_global(match cli.color {
        cli::ColorWhen::Auto => anstream::ColorChoice::Auto,
        cli::ColorWhen::Always => anstream::ColorChoice::Always,
        cli::ColorWhen::Never => anstream::ColorChoice::Never,
    });
    match cmd::run(cli.command) {
        Ok(status) => status.into(),
        Err(err) => {
            // A closed pipe (`culprit … | head`) is not a failure.
            if err.chain().any(|e| {
                e.downcast_ref::<std::io::Error>().is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe)
            }) {
                return ExitCode::SUCCESS;
            }
            eprintln!("culprit: {err:#}");
            cmd::Status::Failure.into()
        }
    }
}
