//! A hand-written reader for ingress-nginx's default `upstreaminfo` line — the format most users
//! have — that skips the compiled template's per-field interpretation. It accepts only lines it
//! reads exactly as the template would (one upstream attempt, every separator where the format puts
//! it, no escaped quotes); anything else returns `false` and goes to the template parser. The two
//! are compared on generated and fuzzed lines (`tests` below, `fuzzing::access_line`).

use super::nginx::{find_byte, find_either, split_request, starts_with};
use crate::observation::{Observation, is_dash, parse_f64, parse_u16, parse_u64};
use crate::time;

struct Cursor<'a> {
    line: &'a [u8],
    pos: usize,
}

impl<'a> Cursor<'a> {
    /// The value up to the first `stop`, which must begin `literal`; the cursor moves past both.
    /// `None` when the template might split differently (no stop, a different literal, `\"`).
    #[inline]
    fn value(&mut self, literal: &[u8]) -> Option<&'a [u8]> {
        let rest = &self.line[self.pos..];
        let at = find_byte(literal[0], rest)?;
        // Compared inline (`starts_with` of the template): a call into memcmp for two bytes cost
        // 50 ns a line.
        if !starts_with(&rest[at..], literal) || (literal[0] == b'"' && at > 0 && rest[at - 1] == b'\\') {
            return None;
        }
        self.pos += at + literal.len();
        Some(&rest[..at])
    }

    /// One upstream list item followed by a space: a single attempt only (no `,`, no ` : `).
    /// The comma is looked for in the same pass as the space (a separate search of each item
    /// cost 4% of a run).
    #[inline]
    fn single_item(&mut self) -> Option<&'a [u8]> {
        let rest = &self.line[self.pos..];
        let at = find_either(b' ', b',', rest)?;
        if rest[at] == b',' || rest[at + 1..].starts_with(b": ") {
            return None;
        }
        self.pos += at + 1;
        Some(&rest[..at])
    }
}

/// Reads `line` into `obs`; `false` (with `obs` partly written) sends it to the template parser.
pub fn parse<'a>(line: &'a [u8], obs: &mut Observation<'a>) -> bool {
    read(line, obs).is_some()
}

fn read<'a>(line: &'a [u8], obs: &mut Observation<'a>) -> Option<()> {
    let mut c = Cursor { line, pos: 0 };
    obs.client = c.value(b" - ")?;
    c.value(b" [")?; // $remote_user
    obs.time_raw = c.value(b"] \"")?;
    obs.time_ms = time::parse_clf_cached(obs.time_raw);
    split_request(c.value(b"\" ")?, obs);
    let status = c.value(b" ")?;
    obs.status = parse_u16(status);
    if obs.status.is_none() && !is_dash(status) {
        return None; // the template reports the bad status
    }
    obs.bytes_sent = parse_u64(c.value(b" \"")?);
    c.value(b"\" \"")?; // $http_referer
    c.value(b"\" ")?; // $http_user_agent
    c.value(b" ")?; // $request_length
    obs.request_time = parse_f64(c.value(b" [")?);
    obs.service = c.value(b"] [")?;
    c.value(b"] ")?; // $proxy_alternative_upstream_name
    obs.upstream.addr = c.single_item()?;
    obs.upstream.length = c.single_item()?;
    obs.upstream.response_time = c.single_item()?;
    obs.upstream.status = c.single_item()?;
    // $req_id runs to the end of the line, as in the template.
    obs.request_id = &line[c.pos..];
    obs.upstream.single = true;
    Some(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::formats::nginx::{NginxFormat, UPSTREAMINFO};
    use proptest::prelude::*;

    fn template(line: &[u8]) -> Option<Observation<'_>> {
        let f = NginxFormat::compile(UPSTREAMINFO).unwrap();
        let mut obs = Observation::default();
        f.parse_template(line, &mut obs).ok().map(|()| obs)
    }

    /// Wherever the fast reader accepts a line, it reads what the template reads.
    fn agrees(line: &[u8]) -> Result<bool, TestCaseError> {
        let mut fast = Observation::default();
        if !parse(line, &mut fast) {
            return Ok(false);
        }
        let slow = template(line);
        prop_assert_eq!(Some(fast), slow, "{}", String::from_utf8_lossy(line));
        Ok(true)
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]
        #[test]
        fn reads_what_the_template_reads(
            status in prop_oneof![Just("200".to_owned()), Just("-".to_owned()), "[0-9]{1,4}"],
            attempts in prop_oneof![Just("10.0.1.5:8080 512 0.004 200".to_owned()), Just("- - - -".to_owned()),
                Just("10.0.1.5:8080, 10.0.2.7:8080 0, 512 0.001, 0.004 502, 200".to_owned()),
                Just("a:1 : b:2 - - -".to_owned())],
            ua in "[ -~]{0,60}",
            path in "/[a-zA-Z0-9/_.?=&-]{0,40}",
            service in "[a-z0-9-]{0,20}",
            id in prop_oneof![Just(String::new()), "[0-9a-f]{32}", Just("x y".to_owned())],
            cut in 0usize..400,
            flip in proptest::option::of((0usize..400, any::<u8>())),
        ) {
            let line = format!(
                "1.2.3.4 - - [08/Mar/2026:13:30:00 +0000] \"GET {path} HTTP/1.1\" {status} 10 \"-\" \"{ua}\" 100 0.5 [{service}] [] {attempts} {id}"
            );
            let mut bytes = line.into_bytes();
            // The whole line, then damaged: cut short, one byte changed. A well-formed line with one
            // attempt must take the fast path, so the comparison is not vacuous (a user agent ending
            // in a backslash looks like an escaped quote: it goes to the template on purpose).
            let accepted = agrees(&bytes)?;
            let plain = !attempts.contains(',') && !attempts.contains(" : ") && status.parse::<u16>().is_ok()
                && !ua.contains('"') && !ua.ends_with('\\') && !id.contains(' ');
            if plain {
                prop_assert!(accepted, "a well-formed one-attempt line went to the template");
            }
            if let Some((at, b)) = flip {
                let at = at % bytes.len();
                bytes[at] = b;
                agrees(&bytes)?;
            }
            bytes.truncate(cut.min(bytes.len()));
            agrees(&bytes)?;
        }
    }

    #[test]
    fn common_lines_take_the_fast_path() {
        let line = br#"156.203.218.216 - - [08/Mar/2026:13:30:00 +0000] "GET /api/cart/26272?x=1 HTTP/1.1" 502 150 "-" "python-requests/2.32.3" 483 0.357 [default-checkout-8080] [] 10.244.2.41:8080 0 0.001 502 225ec07a9950676169c3a27688795369"#;
        assert!(agrees(line).unwrap());
        let retried = br#"1.2.3.4 - - [08/Mar/2026:13:30:00 +0000] "GET / HTTP/1.1" 200 5 "-" "ua" 1 0.1 [svc] [] 10.0.0.1:80, 10.0.0.2:80 0, 5 0.001, 0.002 502, 200 id"#;
        assert!(!agrees(retried).unwrap(), "several attempts go to the template");
    }
}
