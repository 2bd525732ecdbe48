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
        // A closed pipe (`culprit … | head`) is not a failure: end quietly.
        Err(err) if output::is_closed_stdout(&err) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("culprit: {err:#}");
            cmd::Status::Failure.into()
        }
    }
}
