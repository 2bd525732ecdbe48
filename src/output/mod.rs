//! Rendering: one document model (`doc`) shown as a terminal report or Markdown, and JSON straight
//! from the serializable reports. Commands build a `Doc`; they never format text themselves.

pub mod doc;
mod markdown;
mod terminal;

use anyhow::Result;
use serde::Serialize;
use std::io::Write;

/// Reports fit this many columns.
pub const WIDTH: usize = 100;

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
            // Serialize first, then write: a write error (a closed pipe) then reaches the caller as
            // the `io::Error` it is, not wrapped in a serde_json error that hides its kind.
            let mut text = serde_json::to_string_pretty(report)?;
            text.push('\n');
            out.write_all(text.as_bytes())?;
        }
        Format::Terminal => out.write_all(terminal::render(&doc(), WIDTH).as_bytes())?,
        Format::Markdown => out.write_all(markdown::render(&doc()).as_bytes())?,
    }
    out.flush()?;
    Ok(())
}
