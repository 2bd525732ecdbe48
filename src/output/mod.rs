//! Rendering: one document model (`doc`) shown as a terminal report or Markdown, and JSON straight
//! from the serializable reports. Commands build a `Doc`; they never format text themselves.

pub mod doc;
pub mod markdown;
mod shellwrap;
mod terminal;

pub use terminal::escape_controls;

use anyhow::Result;
use serde::Serialize;
use std::io::Write;

/// Reports are never wider than this, however wide the terminal.
pub const MAX_WIDTH: usize = 100;

/// Narrower than this, tables and indented commands stop making sense: the floor of `width()`.
const MIN_WIDTH: usize = 40;

/// How many columns terminal output may use: `COLUMNS` when set (the user's or a script's
/// choice), else the width of the terminal stdout is, else (a pipe or a file) `MAX_WIDTH`; never
/// more than `MAX_WIDTH`, never less than `MIN_WIDTH`.
pub fn width() -> usize {
    let columns = std::env::var("COLUMNS").ok().and_then(|c| c.trim().parse::<usize>().ok()).filter(|&c| c > 0);
    let tty = || terminal_size::terminal_size_of(std::io::stdout()).map(|(w, _)| usize::from(w.0));
    columns.or_else(tty).unwrap_or(MAX_WIDTH).clamp(MIN_WIDTH, MAX_WIDTH)
}

/// How a command's answer is written to stdout.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// Human-first; colour only when stdout is a terminal and NO_COLOR is unset.
    Terminal,
    /// The report's documented JSON schema (docs/json.md).
    Json,
    /// GitHub-flavoured Markdown, for pasting into an incident channel.
    Markdown,
}

/// Write `report` in `format`; `doc` builds the human document only when it is needed.
pub fn emit<T: Serialize>(format: Format, report: &T, doc: impl FnOnce() -> doc::Doc) -> Result<()> {
    let mut out = anstream::stdout().lock();
    match format {
        Format::Json => {
            // serde_json wraps write errors in its own type, whose `source()` skips the
            // io::Error: unwrap it so a closed pipe is recognised (`is_closed_stdout`).
            serde_json::to_writer_pretty(&mut out, report).map_err(std::io::Error::from)?;
            writeln!(out)?;
        }
        Format::Terminal => out.write_all(terminal::render(&doc(), width()).as_bytes())?,
        Format::Markdown => out.write_all(markdown::render(&doc()).as_bytes())?,
    }
    out.flush()?;
    Ok(())
}

/// Write bytes that are not a report (completions, the man page) to stdout as they are.
pub fn emit_raw(bytes: &[u8]) -> Result<()> {
    let mut out = std::io::stdout().lock();
    out.write_all(bytes)?;
    out.flush()?;
    Ok(())
}

/// Whether an error is stdout closed by its reader (`culprit … | head`). Rust ignores SIGPIPE, so
/// a write to a closed pipe returns EPIPE instead of ending the process: the reader wanted no
/// more, which is not a failure.
pub fn is_closed_stdout(err: &anyhow::Error) -> bool {
    err.chain().any(|e| {
        let kind = e
            .downcast_ref::<std::io::Error>()
            .map(std::io::Error::kind)
            .or_else(|| e.downcast_ref::<serde_json::Error>().and_then(serde_json::Error::io_error_kind));
        kind == Some(std::io::ErrorKind::BrokenPipe)
    })
}
