//! The Markdown renderer: GitHub-flavoured, for pasting into an incident channel or a ticket.

use super::doc::{Block, Doc, Line, Tone};
use super::terminal::escape_controls;
use std::fmt::Write;

pub fn render(doc: &Doc) -> String {
    let mut out = String::new();
    for block in &doc.blocks {
        block_into(&mut out, block, "");
        out.push('\n');
    }
    out.trim_end().to_string() + "\n"
}

/// Markdown's special characters escaped, and control characters from the inputs shown as escapes.
fn escape(text: &str) -> String {
    let text = escape_controls(text);
    let mut s = String::with_capacity(text.len());
    for c in text.chars() {
        if matches!(c, '*' | '_' | '`' | '|' | '<' | '>' | '[' | ']' | '\\') {
            s.push('\\');
        }
        s.push(c);
    }
    s
}

fn inline(line: &Line) -> String {
    let mut s = String::new();
    for span in line {
        match span.tone {
            Tone::Plain | Tone::Dim => s.push_str(&escape(&span.text)),
            Tone::Code => {
                let text = escape_controls(&span.text);
                let ticks = if text.contains('`') { "``" } else { "`" };
                let _ = write!(s, "{ticks}{text}{ticks}");
            }
            Tone::Strong | Tone::Owner | Tone::Good | Tone::Warn | Tone::Bad => {
                // CommonMark ends emphasis only at a non-space: keep spaces outside the markers.
                let text = escape(&span.text);
                let inner = text.trim();
                if inner.is_empty() {
                    s.push_str(&text);
                } else {
                    let lead = &text[..text.len() - text.trim_start().len()];
                    let trail = &text[text.trim_end().len()..];
                    let _ = write!(s, "{lead}**{inner}**{trail}");
                }
            }
        }
    }
    s
}

fn block_into(out: &mut String, block: &Block, indent: &str) {
    match block {
        Block::Title(line) => {
            let _ = writeln!(out, "### {}", inline(line));
        }
        Block::Heading(h) => {
            let _ = writeln!(out, "{indent}**{}**", escape(h));
        }
        Block::Para(line) => {
            let _ = writeln!(out, "{indent}{}", inline(line));
        }
        Block::Bullets(items) => {
            for item in items {
                let _ = writeln!(out, "{indent}- {}", inline(item));
            }
        }
        Block::Numbered(items) => {
            for (n, (head, nested)) in items.iter().enumerate() {
                let _ = writeln!(out, "{indent}{}. {}", n + 1, inline(head));
                let inner = format!("{indent}   ");
                for b in nested {
                    out.push('\n');
                    block_into(out, b, &inner);
                }
            }
        }
        Block::Code { lang, text: code } => {
            let _ = writeln!(out, "{indent}```{lang}");
            for line in code.trim_end().lines() {
                let _ = writeln!(out, "{indent}{}", escape_controls(line));
            }
            let _ = writeln!(out, "{indent}```");
        }
        Block::Note(line) => {
            let _ = writeln!(out, "{indent}_{}_", inline(line));
        }
        Block::Table { head, rows } => {
            let _ = writeln!(out, "{indent}| {} |", head.iter().map(|h| escape(h)).collect::<Vec<_>>().join(" | "));
            let _ = writeln!(out, "{indent}|{}", "---|".repeat(head.len()));
            for row in rows {
                let cells: Vec<String> = row.iter().map(inline).collect();
                let _ = writeln!(out, "{indent}| {} |", cells.join(" | "));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::output::doc::{plain, styled};

    #[test]
    fn emphasis_keeps_spaces_outside_its_markers() {
        let line = vec![styled("upstreams: ", Tone::Strong), plain("a"), styled("  ", Tone::Strong)];
        assert_eq!(inline(&line), "**upstreams:** a  ");
    }
}
