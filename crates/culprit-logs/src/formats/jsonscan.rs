//! A JSON object scanner for log lines: one pass over the bytes, no allocation, every key with
//! its raw value handed to a visitor. Faster than deserialising when a format reads a handful of
//! keys out of many (Cloudflare's Logpush lines carry ~70), and indifferent to key order, to keys
//! it does not know, and to numbers written as strings.
//!
//! Strings are given as written between their quotes (escapes left in place): the values formats
//! read (statuses, names, addresses, paths) rarely hold escapes, and borrowing keeps the
//! observation allocation-free. Nested objects are descended into (their keys come with a depth);
//! arrays are handed over whole, unparsed past their brackets.

/// One value, borrowed from the line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Value<'a> {
    /// A string's bytes between its quotes, escapes as written.
    Str(&'a [u8]),
    /// A number as written.
    Num(&'a [u8]),
    Bool(bool),
    Null,
    /// An array, brackets included.
    Array(&'a [u8]),
    /// An object: its keys follow, one level deeper.
    Object,
}

impl<'a> Value<'a> {
    /// The text of a string or a number (`"503"` and `503` alike); empty for anything else.
    pub fn text(self) -> &'a [u8] {
        match self {
            Value::Str(s) | Value::Num(s) => s,
            _ => b"",
        }
    }

    /// A status or count written as a number or a string of digits.
    pub fn as_u64(self) -> Option<u64> {
        crate::observation::parse_u64(self.text())
    }
}

/// Nesting deeper than this is refused (a line is not a document).
const MAX_DEPTH: u32 = 16;

/// Calls `visit(depth, key, value)` for every member of the object `line` holds (depth 0 for the
/// top level). `false` when the line is not one well-formed JSON object (what was visited before
/// the fault stays visited).
pub fn scan<'a>(line: &'a [u8], mut visit: impl FnMut(u32, &'a [u8], Value<'a>)) -> bool {
    let mut p = Parser { s: line, i: 0 };
    p.ws();
    if p.peek() != Some(b'{') {
        return false;
    }
    p.i += 1;
    if p.object(0, &mut visit).is_none() {
        return false;
    }
    p.ws();
    p.i == line.len()
}

struct Parser<'a> {
    s: &'a [u8],
    i: usize,
}

impl<'a> Parser<'a> {
    #[inline]
    fn peek(&self) -> Option<u8> {
        self.s.get(self.i).copied()
    }

    #[inline]
    fn ws(&mut self) {
        while let Some(b' ' | b'\t' | b'\n' | b'\r') = self.peek() {
            self.i += 1;
        }
    }

    /// After the opening quote: the string's bytes, the closing quote consumed.
    fn string(&mut self) -> Option<&'a [u8]> {
        let start = self.i;
        loop {
            let at = memchr::memchr2(b'"', b'\\', &self.s[self.i..])? + self.i;
            if self.s[at] == b'"' {
                self.i = at + 1;
                return Some(&self.s[start..at]);
            }
            // A backslash escapes the next byte (`\"`, `\\`, `\u0026`: the first byte is enough).
            self.i = at + 2;
            if self.i > self.s.len() {
                return None;
            }
        }
    }

    /// After `{`: the members up to and including `}`.
    fn object(&mut self, depth: u32, visit: &mut impl FnMut(u32, &'a [u8], Value<'a>)) -> Option<()> {
        self.ws();
        if self.peek() == Some(b'}') {
            self.i += 1;
            return Some(());
        }
        loop {
            self.ws();
            if self.peek()? != b'"' {
                return None;
            }
            self.i += 1;
            let key = self.string()?;
            self.ws();
            if self.peek()? != b':' {
                return None;
            }
            self.i += 1;
            self.ws();
            if self.peek()? == b'{' {
                if depth + 1 >= MAX_DEPTH {
                    return None;
                }
                self.i += 1;
                visit(depth, key, Value::Object);
                self.object(depth + 1, visit)?;
            } else {
                let v = self.value(depth)?;
                visit(depth, key, v);
            }
            self.ws();
            match self.peek()? {
                b',' => self.i += 1,
                b'}' => {
                    self.i += 1;
                    return Some(());
                }
                _ => return None,
            }
        }
    }

    /// A value other than an object member's object: scalars, and arrays skipped whole.
    fn value(&mut self, depth: u32) -> Option<Value<'a>> {
        let start = self.i;
        Some(match self.peek()? {
            b'"' => {
                self.i += 1;
                Value::Str(self.string()?)
            }
            b'[' | b'{' => {
                self.skip_nested(depth)?;
                let raw = &self.s[start..self.i];
                if raw[0] == b'[' { Value::Array(raw) } else { Value::Object }
            }
            b't' => self.literal(b"true", Value::Bool(true))?,
            b'f' => self.literal(b"false", Value::Bool(false))?,
            b'n' => self.literal(b"null", Value::Null)?,
            b'-' | b'0'..=b'9' => {
                while let Some(b'0'..=b'9' | b'-' | b'+' | b'.' | b'e' | b'E') = self.peek() {
                    self.i += 1;
                }
                Value::Num(&self.s[start..self.i])
            }
            _ => return None,
        })
    }

    fn literal(&mut self, word: &[u8], v: Value<'a>) -> Option<Value<'a>> {
        self.s[self.i..].starts_with(word).then(|| {
            self.i += word.len();
            v
        })
    }

    /// Skips an array or object (at `[`/`{`), strings inside included.
    fn skip_nested(&mut self, depth: u32) -> Option<()> {
        let mut level = 0u32;
        loop {
            let at = self.s[self.i..].iter().position(|&b| matches!(b, b'"' | b'[' | b']' | b'{' | b'}'))? + self.i;
            self.i = at + 1;
            match self.s[at] {
                b'"' => {
                    self.string()?;
                }
                b'[' | b'{' => {
                    level += 1;
                    if depth + level >= MAX_DEPTH * 2 {
                        return None;
                    }
                }
                _ => {
                    level = level.checked_sub(1)?;
                    if level == 0 {
                        return Some(());
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn all(line: &str) -> Option<Vec<(u32, String, Value<'_>)>> {
        let mut out = Vec::new();
        scan(line.as_bytes(), |d, k, v| out.push((d, String::from_utf8_lossy(k).into_owned(), v))).then_some(out)
    }

    #[test]
    fn keys_values_depths() {
        let v = all(r#"{"a":1,"b":"x\"y","c":{"d":[1,{"e":"]"}],"f":null},"g":true, "h" : -2.5e3 }"#).unwrap();
        assert_eq!(v[0], (0, "a".into(), Value::Num(b"1")));
        assert_eq!(v[1], (0, "b".into(), Value::Str(br#"x\"y"#)));
        assert_eq!(v[2], (0, "c".into(), Value::Object));
        assert_eq!(v[3], (1, "d".into(), Value::Array(br#"[1,{"e":"]"}]"#)));
        assert_eq!(v[4], (1, "f".into(), Value::Null));
        assert_eq!(v[5], (0, "g".into(), Value::Bool(true)));
        assert_eq!(v[6], (0, "h".into(), Value::Num(b"-2.5e3")));
        assert_eq!(Value::Str(b"503").as_u64(), Some(503));
    }

    #[test]
    fn malformed_lines_are_refused() {
        for bad in [
            r#"{"a":1"#,
            r#"{"a" 1}"#,
            r#"{"a":"x}"#,
            r#"["a"]"#,
            r#"{"a":1}x"#,
            r#"{"a":tru}"#,
            "",
            "{",
            r#"{"a":[1,2}"#,
        ] {
            assert!(all(bad).is_none(), "{bad}");
        }
        assert!(all("{}").unwrap().is_empty());
        let deep = format!("{}{}", r#"{"a":"#.repeat(40), "}".repeat(40));
        assert!(all(&deep).is_none());
    }
}
