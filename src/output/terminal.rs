//! The terminal renderer: ANSI styles (anstream strips them when stdout is not a terminal, NO_COLOR
//! is set or --color=never), every line fitted to the report width — paragraphs and table cells
//! wrapped at spaces, commands wrapped the way a shell reads them back — and control characters
//! from the inputs (log lines, headers, bodies) shown escaped, never sent raw to the terminal.

use super::doc::{Block, Doc, Line, Tone};
use anstyle::{AnsiColor, Style};
use std::borrow::Cow;
use std::fmt::Write;
use textwrap::core::display_width;

/// Columns between table cells.
const GAP: usize = 2;

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

/// Text from the inputs made safe to print: control characters (C0, DEL, C1) and the bidi
/// controls that reorder what a terminal shows are written as escapes (`\x1b`, `\t`, `\u{202e}`),
/// so a log line cannot move the cursor, change colours or hide text. Everything else, including
/// the replacement character the log reader puts for invalid UTF-8, is kept.
pub fn escape_controls(text: &str) -> Cow<'_, str> {
    let needs = |c: char| c.is_control() || matches!(c, '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}');
    if !text.chars().any(needs) {
        return Cow::Borrowed(text);
    }
    let mut s = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        match c {
            '\t' => s.push_str("\\t"),
            '\n' => s.push_str("\\n"),
            '\r' => s.push_str("\\r"),
            c if c < ' ' || c == '\u{7f}' => {
                let _ = write!(s, "\\x{:02x}", u32::from(c));
            }
            c if needs(c) => {
                let _ = write!(s, "\\u{{{:x}}}", u32::from(c));
            }
            c => s.push(c),
        }
    }
    Cow::Owned(s)
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
        let text = escape_controls(&span.text);
        if st == Style::new() {
            s.push_str(&text);
        } else {
            let _ = write!(s, "{st}{text}{st:#}");
        }
    }
    s
}

/// textwrap options shared by paragraphs and cells: break at spaces only (pod names, paths,
/// timestamps and flags stay whole and copyable), unless a single word is wider than the line.
fn wrap_options<'a>(width: usize) -> textwrap::Options<'a> {
    textwrap::Options::new(width.max(1))
        .wrap_algorithm(textwrap::WrapAlgorithm::FirstFit)
        .word_separator(textwrap::WordSeparator::AsciiSpace)
        .word_splitter(textwrap::WordSplitter::NoHyphenation)
        .break_words(true)
}

/// The `ESC [ … m` sequences in `line`, in order.
fn sgr_sequences(line: &str) -> impl Iterator<Item = &str> {
    let mut rest = line;
    std::iter::from_fn(move || {
        let start = rest.find("\x1b[")?;
        let len = rest[start..].find('m')? + 1;
        let seq = &rest[start..start + len];
        rest = &rest[start + len..];
        Some(seq)
    })
}

/// Wrapping cuts styled spans across lines; a terminal carries a style over the line break, into
/// the indentation and the next table cell. Close every style still open at the end of a line and
/// open it again after the next line's indentation.
fn balance_styles(lines: Vec<Cow<'_, str>>) -> Vec<String> {
    let mut open = String::new();
    lines
        .into_iter()
        .map(|line| {
            let line = line.trim_end();
            let indent = line.len() - line.trim_start_matches(' ').len();
            let mut out = String::with_capacity(line.len() + open.len() + 4);
            out.push_str(&line[..indent]);
            out.push_str(&open);
            out.push_str(&line[indent..]);
            for seq in sgr_sequences(line) {
                if seq == "\x1b[0m" {
                    open.clear();
                } else {
                    open.push_str(seq);
                }
            }
            if !open.is_empty() {
                out.push_str("\x1b[0m");
            }
            out
        })
        .collect()
}

/// Wrap `text` (which may contain ANSI styles; textwrap measures without them) with a first-line
/// prefix and an indent for the following lines.
fn wrapped(out: &mut String, text: &str, width: usize, first: &str, rest: &str) {
    let opts = wrap_options(width).initial_indent(first).subsequent_indent(rest);
    for line in balance_styles(textwrap::wrap(text, opts)) {
        out.push_str(&line);
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
            wrapped(out, &format!("{st}{}{st:#}", escape_controls(h)), width, &pad, &pad);
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
        Block::Code { lang, text: code } => {
            let st = AnsiColor::Green.on_default();
            let lead = format!("{pad}  ");
            let code = code.trim_end();
            let room = width.saturating_sub(lead.len());
            // A command too wide for this terminal is wrapped again from its logical lines.
            let lines: Vec<String> = if *lang == "sh" && code.lines().any(|l| display_width(l) > room) {
                super::shellwrap::join_continuations(code)
            } else {
                code.lines().map(str::to_owned).collect()
            };
            for line in &lines {
                let line = escape_controls(line);
                for (indented, piece) in code_lines(&line, lang, width, lead.len()) {
                    let lead = if indented { lead.as_str() } else { "" };
                    let _ = writeln!(out, "{lead}{st}{piece}{st:#}");
                }
            }
        }
        Block::Table { head, rows } => table(out, head, rows, width, &pad),
        Block::Note(line) => {
            let dim = line.iter().map(|s| super::doc::styled(s.text.clone(), Tone::Dim)).collect();
            wrapped(out, &line_text(&dim), width, &pad, &pad);
        }
    }
}

/// Column widths for a table: every column at its widest cell when that fits. Otherwise each
/// column gets at least its longest word, headers included (so ids and numbers stay whole); when
/// that is too wide, its longest word in the rows, then whole header words for the columns that
/// need the least to get them; the room left goes to the narrowest columns that want more first.
/// When even the rows' words do not fit, the room is shared the same way up to each column's
/// longest word: narrow columns keep theirs, the widest give way.
fn column_widths(natural: &[usize], words: &[usize], body_words: &[usize], room: usize) -> Vec<usize> {
    if natural.iter().sum::<usize>() <= room {
        return natural.to_vec();
    }
    let capped = |floor: &[usize]| floor.iter().zip(natural).map(|(w, n)| (*w).min(*n).max(1)).collect::<Vec<_>>();
    let (words, body_words) = (capped(words), capped(body_words));
    let mut widths = vec![0; natural.len()];
    let mut budget = if words.iter().sum::<usize>() <= room {
        fill(&mut widths, &words, room)
    } else {
        let mut budget = fill(&mut widths, &body_words, room);
        let mut by_need: Vec<usize> = (0..widths.len()).collect();
        by_need.sort_by_key(|&i| words[i].saturating_sub(widths[i]));
        for i in by_need {
            let need = words[i].saturating_sub(widths[i]);
            if need <= budget {
                widths[i] += need;
                budget -= need;
            }
        }
        budget
    };
    budget = fill(&mut widths, natural, budget);
    debug_assert!(budget == 0 || widths == natural);
    widths
}

/// Raise `widths` towards `caps` out of `budget`, one column at a time, always the narrowest that
/// wants more (max-min fair: short columns reach their width whole, the widest wraps); returns
/// what is left.
fn fill(widths: &mut [usize], caps: &[usize], mut budget: usize) -> usize {
    while budget > 0 {
        let Some(i) = (0..widths.len()).filter(|&i| widths[i] < caps[i]).min_by_key(|&i| widths[i]) else { break };
        widths[i] += 1;
        budget -= 1;
    }
    budget
}

/// A table, every cell wrapped within its column, no row wider than `width`.
fn table(out: &mut String, head: &[String], rows: &[Vec<Line>], width: usize, pad: &str) {
    let cols = head.len();
    if cols == 0 {
        return;
    }
    let bold = Style::new().bold();
    let header: Vec<String> = head
        .iter()
        .map(|h| if h.is_empty() { String::new() } else { format!("{bold}{}{bold:#}", escape_controls(h)) })
        .collect();
    let body: Vec<Vec<String>> =
        rows.iter().map(|row| (0..cols).map(|i| row.get(i).map(line_text).unwrap_or_default()).collect()).collect();
    let mut natural = vec![0; cols];
    let mut words = vec![0; cols];
    let mut body_words = vec![0; cols];
    for (r, row) in std::iter::once(&header).chain(&body).enumerate() {
        for (i, cell) in row.iter().enumerate() {
            natural[i] = natural[i].max(display_width(cell));
            let word = cell.split(' ').map(display_width).max().unwrap_or(0);
            words[i] = words[i].max(word);
            if r > 0 {
                body_words[i] = body_words[i].max(word);
            }
        }
    }
    let room = |gap: usize| width.saturating_sub(pad.len() + 2 + gap * (cols - 1));
    // Columns one space apart rather than words cut: when that keeps every word whole, or at
    // least every word of the rows.
    let fits = |w: &[usize], gap: usize| w.iter().sum::<usize>() <= room(gap);
    let gap = if !fits(&words, GAP) && (fits(&words, 1) || (!fits(&body_words, GAP) && fits(&body_words, 1))) {
        1
    } else {
        GAP
    };
    let widths = column_widths(&natural, &words, &body_words, room(gap));
    for row in std::iter::once(&header).chain(&body) {
        let cells: Vec<Vec<String>> = row
            .iter()
            .zip(&widths)
            .map(
                |(cell, &w)| {
                    if cell.is_empty() { Vec::new() } else { balance_styles(textwrap::wrap(cell, wrap_options(w))) }
                },
            )
            .collect();
        let height = cells.iter().map(Vec::len).max().unwrap_or(0).max(1);
        for k in 0..height {
            let mut line = format!("{pad}  ");
            for (i, cell) in cells.iter().enumerate() {
                let text = cell.get(k).map_or("", String::as_str);
                line.push_str(text);
                if i + 1 < cols {
                    line.push_str(&" ".repeat(widths[i].saturating_sub(display_width(text)) + gap));
                }
            }
            out.push_str(line.trim_end());
            out.push('\n');
        }
    }
}

/// One line of a code block fitted to `width` when printed after `indent` columns: `(indented,
/// text)` pairs, where a piece that continues a word mid-way starts at column 0 (indentation there
/// would split the word when the command is pasted into a shell).
fn code_lines(line: &str, lang: &str, width: usize, indent: usize) -> Vec<(bool, String)> {
    let room = width.saturating_sub(indent).max(20);
    if display_width(line) <= room {
        return vec![(true, line.to_owned())];
    }
    match lang {
        "sh" => super::shellwrap::wrap(line, room, width),
        "yaml" => super::shellwrap::wrap_yaml(line, room),
        _ => super::shellwrap::wrap_text(line, room),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::output::doc::{plain, styled};

    fn strip(s: &str) -> String {
        let mut out = String::new();
        let mut rest = s;
        while let Some(i) = rest.find('\x1b') {
            out.push_str(&rest[..i]);
            rest = rest[i..].find('m').map_or("", |j| &rest[i + j + 1..]);
        }
        out.push_str(rest);
        out
    }

    #[test]
    fn control_characters_are_escaped() {
        assert_eq!(escape_controls("a\x1b[31mb\0c\u{9b}d\u{202e}e\tf"), "a\\x1b[31mb\\x00c\\u{9b}d\\u{202e}e\\tf");
        assert!(matches!(escape_controls("plain — ü �"), Cow::Borrowed(_)));
    }

    #[test]
    fn tables_wrap_cell_by_cell_within_the_width() {
        let long = "The upstream closed the connection before a complete response was sent";
        let rows = vec![
            vec![
                vec![styled("upstream_closed_prematurely", Tone::Code)],
                vec![plain(long)],
                vec![plain("Both (platform + app team)")],
            ],
            vec![vec![plain("x")], vec![plain("short")], vec![plain("DevOps / platform")]],
        ];
        let doc =
            Doc { blocks: vec![Block::Table { head: vec!["Cause".into(), "What".into(), "Owner".into()], rows }] };
        for width in [40, 60, 70, 100] {
            let text = strip(&render(&doc, width));
            for l in text.lines() {
                assert!(display_width(l) <= width, "{width}: {l:?}\n{text}");
            }
            if width >= 60 {
                assert!(text.contains("upstream_closed_prematurely"), "ids stay whole at {width}:\n{text}");
            }
            let owner_col = text.lines().nth(1).unwrap().find("Both").unwrap();
            assert!(text.lines().skip(1).all(|l| l.len() <= owner_col || l[..owner_col].ends_with(' ')), "{text}");
        }
    }

    #[test]
    fn styles_are_closed_at_line_ends_and_reopened() {
        let lines = balance_styles(vec!["  \x1b[1mbold and".into(), "  still bold\x1b[0m plain".into()]);
        assert_eq!(lines, ["  \x1b[1mbold and\x1b[0m", "  \x1b[1mstill bold\x1b[0m plain"]);
    }

    #[test]
    fn column_widths_keep_words_whole_and_share_the_rest() {
        assert_eq!(column_widths(&[5, 10], &[5, 4], &[5, 4], 20), [5, 10]);
        assert_eq!(column_widths(&[27, 70, 25], &[27, 10, 9], &[27, 10, 9], 60), [27, 17, 16]);
        // Header words give way before the rows' words do.
        assert_eq!(column_widths(&[10, 27, 8], &[10, 27, 8], &[4, 27, 4], 40), [5, 27, 8]);
        // Words that cannot all fit: the narrow columns keep theirs, the widest gives way.
        assert_eq!(column_widths(&[30, 4, 30], &[30, 4, 30], &[30, 4, 30], 30), [13, 4, 13]);
    }
}
