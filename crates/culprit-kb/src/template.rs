//! Messages with `{placeholders}`: the knowledge base holds the words, the caller fills in what it
//! saw (a status, a URL, a header name). A placeholder is `{` + snake_case name + `}`; any other
//! brace is text.

/// The placeholder names in `template`, in order of appearance (`{status}` → `status`).
pub fn placeholders(template: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let mut rest = template;
    while let Some(open) = rest.find('{') {
        let after = &rest[open + 1..];
        match name_at(after) {
            Some(name) => {
                out.push(name);
                rest = &after[name.len() + 1..];
            }
            None => rest = after,
        }
    }
    out
}

/// `template` with each `{name}` replaced by its value. Values are inserted as they are: a value
/// that contains `{x}` is never filled in itself. A placeholder without a value stays as written.
pub fn fill(template: &str, values: &[(&str, &str)]) -> String {
    let mut out = String::with_capacity(template.len() + 64);
    let mut rest = template;
    while let Some(open) = rest.find('{') {
        out.push_str(&rest[..open]);
        let after = &rest[open + 1..];
        let value = name_at(after).and_then(|name| values.iter().find(|(n, _)| *n == name).map(|(_, v)| (name, v)));
        if let Some((name, v)) = value {
            out.push_str(v);
            rest = &after[name.len() + 1..];
        } else {
            out.push('{');
            rest = after;
        }
    }
    out.push_str(rest);
    out
}

/// `{name}` shown to a person as `<name>`, like the checks' placeholders.
pub fn show(template: &str) -> String {
    let names = placeholders(template);
    let shown: Vec<String> = names.iter().map(|n| format!("<{n}>")).collect();
    let values: Vec<(&str, &str)> = names.iter().copied().zip(shown.iter().map(String::as_str)).collect();
    fill(template, &values)
}

/// The snake_case name at the start of `text` when a `}` closes it.
fn name_at(text: &str) -> Option<&str> {
    let end = text.find('}')?;
    let name = &text[..end];
    let snake = name.starts_with(|c: char| c.is_ascii_lowercase())
        && name.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
    snake.then_some(name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn placeholders_and_other_braces() {
        assert_eq!(placeholders("{status} answering {method}"), ["status", "method"]);
        assert_eq!(placeholders(r#"a body like {"error": 1} or {} or {Bad}"#), Vec::<&str>::new());
        assert_eq!(placeholders("{a}{b_2}"), ["a", "b_2"]);
    }

    #[test]
    fn fill_inserts_values_once() {
        assert_eq!(fill("{status} for {url}", &[("status", "302"), ("url", "/x?{status}")]), "302 for /x?{status}");
        assert_eq!(fill("{missing} and {", &[]), "{missing} and {");
        assert_eq!(fill("é{a}ü", &[("a", "→")]), "é→ü");
        assert_eq!(show("{status} without Retry-After"), "<status> without Retry-After");
    }
}
