//! Fitting the lines of code blocks (shell commands, YAML, HTTP headers, bodies) to a narrow
//! terminal without changing what they mean when pasted.
//!
//! Shell: lines break between words with ` \` (a line continuation) and go on indented; a word
//! longer than a line is cut with a continuation too, and the piece after the cut starts at column
//! 0, because the shell removes backslash-newline but keeps the spaces after it, which would split
//! the word. Inside single quotes a backslash is literal, so the quote is closed before the cut and
//! opened again after it (`'abc'\` newline `'def'` is the word `abcdef`). A `# comment` goes on
//! lines of its own when it does not fit. A line whose quotes do not balance is prose (a fix
//! written in words), wrapped as text.

use textwrap::core::display_width;

/// Extra indentation of the lines that continue a command.
const CONTINUATION: &str = "    ";

/// A command's lines with its own ` \` continuations joined, so that it can be wrapped again as
/// one line for a narrower terminal (a line whose quotes do not balance is left as it is).
pub fn join_continuations(code: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    let mut open = false;
    for line in code.lines() {
        if open && let Some(last) = out.last_mut() {
            last.push(' ');
            last.push_str(line.trim_start());
        } else {
            out.push(line.to_owned());
        }
        let last = out.last().map_or("", String::as_str);
        open = last.ends_with(" \\") && shell_words(last).is_some();
        if open && let Some(last) = out.last_mut() {
            last.truncate(last.len() - 2);
        }
    }
    out
}

/// Text wrapped at spaces (words longer than `room` are cut), later lines indented four columns
/// more than the first.
pub fn wrap_text(line: &str, room: usize) -> Vec<(bool, String)> {
    let indent = leading_spaces(line);
    let rest = format!("{indent}{CONTINUATION}");
    let opts = textwrap::Options::new(room.max(1))
        .initial_indent(indent)
        .subsequent_indent(&rest)
        .word_separator(textwrap::WordSeparator::AsciiSpace)
        .word_splitter(textwrap::WordSplitter::NoHyphenation)
        .break_words(true);
    textwrap::wrap(line.trim_start(), opts).into_iter().map(|l| (true, l.trim_end().to_owned())).collect()
}

/// A YAML line: a trailing comment moves to comment lines of its own, and a value too long for
/// the line folds at spaces onto more-indented lines (YAML joins them with a space again).
pub fn wrap_yaml(line: &str, room: usize) -> Vec<(bool, String)> {
    let indent = leading_spaces(line);
    let (code, comment) = match comment_start(line) {
        Some(i) => (line[..i].trim_end(), Some(line[i..].trim())),
        None => (line.trim_end(), None),
    };
    let mut out = if display_width(code) <= room { vec![(true, code.to_owned())] } else { wrap_text(code, room) };
    if let Some(comment) = comment {
        let more = comment_lines(&mut out, comment, indent, room);
        out.extend(more);
    }
    out
}

/// A shell command line fitted to `room` columns after its indentation, pieces of cut words to
/// `width` columns from column 0.
pub fn wrap(line: &str, room: usize, width: usize) -> Vec<(bool, String)> {
    let indent = leading_spaces(line);
    let Some((words, comment)) = shell_words(line.trim_start()) else { return wrap_text(line, room) };
    let mut out: Vec<(bool, String)> = Vec::new();
    // The line being filled: whether it is indented, its text, and whether it holds a word yet.
    let mut cur = (true, indent.to_owned(), false);
    let limit = |indented: bool| if indented { room } else { width };
    for (i, word) in words.iter().enumerate() {
        let last = i + 1 == words.len();
        // Room for " \" after the word unless it ends the command.
        let reserve = if last { 0 } else { 2 };
        let needed = |cur: &(bool, String, bool)| {
            display_width(&cur.1) + usize::from(cur.2) + display_width(word) + reserve <= limit(cur.0)
        };
        if cur.2 && !needed(&cur) {
            out.push((cur.0, format!("{} \\", cur.1)));
            cur = (true, format!("{indent}{CONTINUATION}"), false);
        }
        if needed(&cur) {
            if cur.2 {
                cur.1.push(' ');
            }
            cur.1.push_str(word);
            cur.2 = true;
            continue;
        }
        // A word wider than a whole line: cut it.
        let first = limit(cur.0).saturating_sub(display_width(&cur.1));
        let pieces = cut_word(word, first, width, reserve);
        let n = pieces.len();
        for (k, piece) in pieces.into_iter().enumerate() {
            cur.1.push_str(&piece);
            cur.2 = true;
            if k + 1 < n {
                out.push((cur.0, std::mem::take(&mut cur.1)));
                cur = (false, String::new(), false);
            }
        }
    }
    if cur.2 || out.is_empty() {
        out.push((cur.0, cur.1));
    }
    if let Some(comment) = comment {
        let more = comment_lines(&mut out, comment, indent, room);
        out.extend(more);
    }
    out
}

/// Lines for a `# comment`: on the last line when it fits there, else on lines of its own at the
/// command's indentation, each starting with `#`.
fn comment_lines(out: &mut [(bool, String)], comment: &str, indent: &str, room: usize) -> Vec<(bool, String)> {
    if let Some(last) = out.last_mut() {
        let limit = room;
        if last.0 && display_width(&last.1) + 2 + display_width(comment) <= limit && !last.1.ends_with('\\') {
            last.1.push_str("  ");
            last.1.push_str(comment);
            return Vec::new();
        }
    }
    let text = comment.trim_start_matches('#').trim_start();
    let prefix = format!("{indent}# ");
    let opts = textwrap::Options::new(room.max(prefix.len() + 1))
        .initial_indent(&prefix)
        .subsequent_indent(&prefix)
        .word_separator(textwrap::WordSeparator::AsciiSpace)
        .word_splitter(textwrap::WordSplitter::NoHyphenation)
        .break_words(true);
    textwrap::wrap(text, opts).into_iter().map(|l| (true, l.trim_end().to_owned())).collect()
}

fn leading_spaces(line: &str) -> &str {
    &line[..line.len() - line.trim_start_matches(' ').len()]
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Quote {
    None,
    Single,
    Double,
}

/// The words of a shell line (quotes kept) and its trailing comment; `None` when a quote is left
/// open (prose with an apostrophe, or a quote continued on the next line).
fn shell_words(line: &str) -> Option<(Vec<&str>, Option<&str>)> {
    let mut words = Vec::new();
    let mut quote = Quote::None;
    let mut start: Option<usize> = None;
    let mut chars = line.char_indices().peekable();
    while let Some((i, c)) = chars.next() {
        match quote {
            Quote::Single => {
                if c == '\'' {
                    quote = Quote::None;
                }
            }
            Quote::Double => match c {
                '"' => quote = Quote::None,
                '\\' => {
                    chars.next();
                }
                _ => {}
            },
            Quote::None => match c {
                ' ' | '\t' => {
                    if let Some(s) = start.take() {
                        words.push(&line[s..i]);
                    }
                }
                '#' if start.is_none() => return Some((words, Some(&line[i..]))),
                _ => {
                    start.get_or_insert(i);
                    match c {
                        '\'' => quote = Quote::Single,
                        '"' => quote = Quote::Double,
                        '\\' => {
                            chars.next();
                        }
                        _ => {}
                    }
                }
            },
        }
    }
    if quote != Quote::None {
        return None;
    }
    if let Some(s) = start {
        words.push(&line[s..]);
    }
    Some((words, None))
}

/// Where a YAML line's trailing comment starts: a `#` after whitespace, outside quotes.
fn comment_start(line: &str) -> Option<usize> {
    let mut quote = Quote::None;
    let mut prev_space = true;
    for (i, c) in line.char_indices() {
        match (quote, c) {
            (Quote::None, '#') if prev_space => return Some(i),
            (Quote::None, '\'') => quote = Quote::Single,
            (Quote::None, '"') => quote = Quote::Double,
            (Quote::Single, '\'') | (Quote::Double, '"') => quote = Quote::None,
            _ => {}
        }
        prev_space = c == ' ' || c == '\t';
    }
    None
}

/// Cut `word` into pieces, the first at most `first` columns and the others at most `width`, each
/// but the last ending with a line continuation that the shell removes again, the last leaving
/// `tail` columns free. A cut goes after a
/// space inside quotes when there is one in the second half of the piece (easier to read), else
/// where the line is full, never right after an escaping backslash.
fn cut_word(word: &str, first: usize, width: usize, tail: usize) -> Vec<String> {
    // Before each char: its byte offset, the quote it is in, and whether a cut may go there.
    let mut at: Vec<(usize, Quote, bool)> = Vec::new();
    let mut quote = Quote::None;
    let mut escaped = false;
    for (i, c) in word.char_indices() {
        at.push((i, quote, !escaped));
        if escaped {
            escaped = false;
            continue;
        }
        match (quote, c) {
            (Quote::None, '\'') => quote = Quote::Single,
            (Quote::None, '"') => quote = Quote::Double,
            (Quote::Single, '\'') | (Quote::Double, '"') => quote = Quote::None,
            (Quote::None | Quote::Double, '\\') => escaped = true,
            _ => {}
        }
    }
    let mut pieces = Vec::new();
    let mut start = 0; // index into `at`
    let mut limit = first.max(8);
    loop {
        let reopen = usize::from(at.get(start).is_some_and(|a| a.1 == Quote::Single) && start > 0);
        let text_width = |end: usize| {
            let to = at.get(end).map_or(word.len(), |a| a.0);
            reopen + display_width(&word[at[start].0..to])
        };
        if text_width(at.len()) + tail <= limit {
            break;
        }
        // The farthest cut that fits with its continuation (`\`, or `'\` in single quotes).
        let mut cut = start + 1;
        for (end, &(_, quote, may_cut)) in at.iter().enumerate().skip(start + 1) {
            let cost = if quote == Quote::Single { 2 } else { 1 };
            if text_width(end) + cost > limit {
                break;
            }
            if may_cut {
                cut = end;
            }
        }
        let half = start + (cut - start) / 2;
        if let Some(space) = (half.max(start + 1)..=cut)
            .rev()
            .find(|&e| at[e].2 && at[e].1 != Quote::None && word[..at[e].0].ends_with(' '))
        {
            cut = space;
        }
        let mut piece = if reopen == 1 { "'".to_owned() } else { String::new() };
        piece.push_str(&word[at[start].0..at[cut].0]);
        piece.push_str(if at[cut].1 == Quote::Single { "'\\" } else { "\\" });
        pieces.push(piece);
        start = cut;
        limit = width.max(8);
    }
    let mut last = if start > 0 && at[start].1 == Quote::Single { "'".to_owned() } else { String::new() };
    last.push_str(&word[at.get(start).map_or(word.len(), |a| a.0)..]);
    pieces.push(last);
    pieces
}

#[cfg(test)]
mod tests {
    use super::*;

    fn joined(lines: &[(bool, String)], indent: usize) -> String {
        lines
            .iter()
            .map(|(ind, l)| if *ind { format!("{}{l}", " ".repeat(indent)) } else { l.clone() })
            .collect::<Vec<_>>()
            .join("\n")
    }

    /// What `sh` prints for a command: the words it parses, one per line.
    fn run_sh(script: &str) -> String {
        let out = std::process::Command::new("sh").arg("-c").arg(script).output().expect("sh");
        assert!(out.status.success(), "{script}\n{}", String::from_utf8_lossy(&out.stderr));
        String::from_utf8(out.stdout).unwrap()
    }

    #[test]
    fn wrapped_commands_parse_to_the_same_words() {
        let commands = [
            r#"printf '[%s]\n' kubectl get svc checkout -n shop -o jsonpath='{range .spec.ports[*]}{.name} {.port} -> {.targetPort}{"\n"}{end}' --context prod"#,
            r#"printf '[%s]\n' curl -sv -o /dev/null -w "connect %{time_connect}s  ttfb \"%{time_starttransfer}s\"  total %{time_total}s\n" http://x/"#,
            r"printf '[%s]\n' custom-columns=ADDR:.endpoints[*].addresses[0],READY:.endpoints[*].conditions.ready,NAME:.metadata.name a\ b",
            r"printf '[%s]\n' one two three four five six seven eight nine ten eleven twelve  # a comment that is rather long and wraps",
        ];
        for cmd in commands {
            let want = run_sh(cmd);
            for room in [20, 30, 45, 60] {
                let lines = wrap(cmd, room, room + 7);
                for (indented, l) in &lines {
                    let limit = if *indented { room } else { room + 7 };
                    assert!(display_width(l) <= limit, "{room}: {l:?} in {lines:#?}");
                }
                let text = joined(&lines, 7);
                assert_eq!(run_sh(&text), want, "{room}:\n{text}");
            }
        }
    }

    #[test]
    fn continuations_are_joined_before_wrapping_again() {
        let code = "kubectl logs -n x deploy/y | grep -E \\\n  'a|b' | grep c\nkubectl get pods";
        assert_eq!(
            join_continuations(code),
            ["kubectl logs -n x deploy/y | grep -E 'a|b' | grep c", "kubectl get pods"]
        );
    }

    #[test]
    fn unbalanced_quotes_are_prose() {
        let fix = "kubectl logs -n shop web --previous; raise memory limits if OOMKilled; check the liveness probe's timeouts";
        let lines = wrap(fix, 40, 47);
        assert!(lines.iter().all(|(i, l)| *i && display_width(l) <= 40 && !l.ends_with('\\')), "{lines:#?}");
    }

    #[test]
    fn yaml_comments_move_to_their_own_lines() {
        let line = "    nginx.ingress.kubernetes.io/proxy-read-timeout: \"120\"   # a number of seconds without a unit";
        let lines = wrap_yaml(line, 60);
        assert_eq!(lines[0].1, "    nginx.ingress.kubernetes.io/proxy-read-timeout: \"120\"");
        assert!(lines[1..].iter().all(|(_, l)| l.starts_with("    # ") && display_width(l) <= 60), "{lines:#?}");
    }
}
