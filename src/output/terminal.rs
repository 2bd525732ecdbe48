//! The terminal renderer: ANSI styles (anstream strips them when stdout is not a terminal, NO_COLOR
//! is set or --color=never), text wrapped to the report width.

use super::doc::{Block, Doc, Line, Tone};
use anstyle::{AnsiColor, Style};
use std::fmt::Write;

pub fn render(doc: &Doc, width: usize) -> String {
    let mut out = String::new();
    for (i, block) in doc.blocks.iter().enumerate() {
        if i > 0 && matches!(block, Block::Heading(_) | Block::Title(_) | Block::Note(_)) {
            out.push('\n');
        }
        block_into(&mut out, block, width, 0);
    }
    out
}

fn style(tone: Tone) -> Style {
    match tone {
        Tone::Plain => Style::new(),
        Tone::Strong => Style::new().bold(),
        Tone::Dim => Style::new().dimmed(),
        Tone::Code => AnsiColor::Cyan.on_default(),
        Tone::Owner => AnsiColor::Magenta.on_default().bold(),
        Tone::Good => AnsiColor::Green.on_default().bold(),
        Tone::Warn => AnsiColor::Yellow.on_default().bold(),
        Tone::Bad => AnsiColor::Red.on_default().bold(),
    }
}

fn line_text(line: &Line) -> String {
    let mut s = String::new();
    for span in line {
        let st = style(span.tone);
        if st == Style::new() {
            s.push_str(&span.text);
        } else {
            let _ = write!(s, "{st}{}{st:#}", span.text);
        }
    }
    s
}

/// Wrap `text` (which may contain ANSI styles; textwrap measures without them) with a first-line
/// prefix and an indent for the following lines.
fn wrapped(out: &mut String, text: &str, width: usize, first: &str, rest: &str) {
    let opts = textwrap::Options::new(width.max(20))
        .initial_indent(first)
        .subsequent_indent(rest)
        .wrap_algorithm(textwrap::WrapAlgorithm::FirstFit)
        // Pod names, paths, timestamps and flags stay whole (copyable), even if a line runs short:
        // break at spaces only, never inside a word.
        .word_separator(textwrap::WordSeparator::AsciiSpace)
        .word_splitter(textwrap::WordSplitter::NoHyphenation);
    for line in textwrap::wrap(text, opts) {
        out.push_str(line.trim_end());
        out.push('\n');
    }
}

fn block_into(out: &mut String, block: &Block, width: usize, indent: usize) {
    let pad = " ".repeat(indent);
    match block {
        Block::Title(line) => {
            let text = line_text(line);
            wrapped(out, &text, width, &pad, &pad);
        }
        Block::Heading(h) => {
            let st = Style::new().bold().underline();
            let _ = writeln!(out, "{pad}{st}{h}{st:#}");
        }
        Block::Para(line) => wrapped(out, &line_text(line), width, &pad, &pad),
        Block::Bullets(items) => {
            for item in items {
                wrapped(out, &line_text(item), width, &format!("{pad}  • "), &format!("{pad}    "));
            }
        }
        Block::Numbered(items) => {
            for (n, (head, nested)) in items.iter().enumerate() {
                let marker = format!("{pad}{:>3}. ", n + 1);
                let hang = " ".repeat(marker.len());
                wrapped(out, &line_text(head), width, &marker, &hang);
                for b in nested {
                    block_into(out, b, width, hang.len());
                }
            }
        }
        Block::Code { text: code, .. } => {
            let st = AnsiColor::Green.on_default();
            for line in code.trim_end().lines() {
                let _ = writeln!(out, "{pad}  {st}{line}{st:#}");
            }
        }
        Block::Table { head, rows } => table(out, head, rows, width, &pad),
        Block::Note(line) => {
            let dim = line.iter().map(|s| super::doc::styled(s.text.clone(), Tone::Dim)).collect();
            wrapped(out, &line_text(&dim), width, &pad, &pad);
        }
    }
}

/// Columns sized to their widest cell; the last column takes the rest and wraps.
fn table(out: &mut String, head: &[String], rows: &[Vec<Line>], width: usize, pad: &str) {
    let cols = head.len();
    let plain = |l: &Line| l.iter().map(|s| s.text.as_str()).collect::<String>();
    let mut widths: Vec<usize> = head.iter().map(|h| textwrap::core::display_width(h)).collect();
    for row in rows {
        for (i, cell) in row.iter().enumerate().take(cols.saturating_sub(1)) {
            widths[i] = widths[i].max(textwrap::core::display_width(&plain(cell)));
        }
    }
    let fixed: usize = pad.len() + 2 + widths[..cols - 1].iter().map(|w| w + 2).sum::<usize>();
    let last = width.saturating_sub(fixed).max(20);
    let bold = Style::new().bold();
    let mut header = format!("{pad}  ");
    for (i, h) in head.iter().enumerate() {
        if i + 1 < cols {
            let _ = write!(header, "{bold}{h:<w$}{bold:#}  ", w = widths[i]);
        } else {
            let _ = write!(header, "{bold}{h}{bold:#}");
        }
    }
    out.push_str(header.trim_end());
    out.push('\n');
    for row in rows {
        let mut lead = format!("{pad}  ");
        for (i, cell) in row.iter().enumerate().take(cols - 1) {
            let shown = line_text(cell);
            let w = textwrap::core::display_width(&plain(cell));
            lead.push_str(&shown);
            lead.push_str(&" ".repeat(widths[i] - w + 2));
        }
        let hang = " ".repeat(fixed);
        let last_text = row.get(cols - 1).map(line_text).unwrap_or_default();
        let lines = textwrap::wrap(
            &last_text,
            textwrap::Options::new(last)
                .wrap_algorithm(textwrap::WrapAlgorithm::FirstFit)
                .word_separator(textwrap::WordSeparator::AsciiSpace)
                .word_splitter(textwrap::WordSplitter::NoHyphenation),
        );
        if lines.is_empty() {
            out.push_str(lead.trim_end());
            out.push('\n');
        }
        for (i, l) in lines.iter().enumerate() {
            let prefix = if i == 0 { &lead } else { &hang };
            out.push_str(format!("{prefix}{l}").trim_end());
            out.push('\n');
        }
    }
}
