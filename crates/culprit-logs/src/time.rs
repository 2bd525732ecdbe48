//! Timestamp parsing for the formats we read, by hand: it runs on every line, and the shapes are
//! fixed. Everything becomes Unix milliseconds, UTC.

/// Days since 1970-01-01 for a proleptic Gregorian date (Howard Hinnant's `days_from_civil`).
pub fn days_from_civil(y: i64, m: u32, d: u32) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = if y >= 0 { y } else { y - 399 } / 400;
    let yoe = y - era * 400;
    let m = i64::from(m);
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + i64::from(d) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

fn digits(s: &[u8]) -> Option<u32> {
    if s.is_empty() || !s.iter().all(u8::is_ascii_digit) {
        return None;
    }
    s.iter().try_fold(0u32, |n, &d| n.checked_mul(10)?.checked_add(u32::from(d - b'0')))
}

fn month(s: &[u8]) -> Option<u32> {
    const NAMES: [&[u8; 3]; 12] =
        [b"Jan", b"Feb", b"Mar", b"Apr", b"May", b"Jun", b"Jul", b"Aug", b"Sep", b"Oct", b"Nov", b"Dec"];
    let s: &[u8; 3] = s.get(..3)?.try_into().ok()?;
    NAMES.iter().position(|n| *n == s).and_then(|i| u32::try_from(i + 1).ok())
}

/// `(year, month, day)` and `(hour, minute, second)` to Unix milliseconds.
fn to_ms((y, mo, d): (u32, u32, u32), (h, mi, s): (u32, u32, u32), frac_ms: u32, offset_s: i64) -> Option<i64> {
    if !(1..=12).contains(&mo) || !(1..=31).contains(&d) || h > 23 || mi > 59 || s > 60 {
        return None;
    }
    let days = days_from_civil(i64::from(y), mo, d);
    let secs = days * 86_400 + i64::from(h) * 3600 + i64::from(mi) * 60 + i64::from(s) - offset_s;
    Some(secs * 1000 + i64::from(frac_ms))
}

/// Milliseconds from a fraction's digits (`.655`, `.186641`).
fn fraction_ms(s: &[u8]) -> u32 {
    let mut ms = 0;
    for i in 0..3 {
        ms = ms * 10 + s.get(i).filter(|b| b.is_ascii_digit()).map_or(0, |b| u32::from(b - b'0'));
    }
    ms
}

/// An optional `.123` (or `alt`, e.g. `,123`) fraction at the start of `rest`: its milliseconds and
/// what follows it.
fn fraction(rest: &[u8], alt: u8) -> (u32, &[u8]) {
    match rest.first() {
        Some(&b) if b == b'.' || b == alt => {
            let end = rest[1..].iter().position(|b| !b.is_ascii_digit()).map_or(rest.len(), |p| p + 1);
            (fraction_ms(&rest[1..end]), &rest[end..])
        }
        _ => (0, rest),
    }
}

/// `+0000`, `-0700`, `+05:30`, `Z`.
fn tz_offset(s: &[u8]) -> Option<i64> {
    match s.first()? {
        b'Z' | b'z' => Some(0),
        sign @ (b'+' | b'-') => {
            let rest: Vec<u8> = s[1..].iter().copied().filter(|b| *b != b':').collect();
            let h = digits(rest.get(..2)?)?;
            let m = digits(rest.get(2..4)?)?;
            let v = i64::from(h * 3600 + m * 60);
            Some(if *sign == b'-' { -v } else { v })
        }
        _ => None,
    }
}

thread_local! {
    /// The last `$time_local` parsed on this thread: consecutive lines usually share the second.
    static LAST_CLF: std::cell::RefCell<(Vec<u8>, Option<i64>)> = const { std::cell::RefCell::new((Vec::new(), None)) };
}

/// [`parse_clf`] with a one-entry cache per thread. A time with milliseconds and no zone (HAProxy:
/// `06/Feb/2009:12:14:14.655`, different on every line) is cached by its second, the fraction added.
pub fn parse_clf_cached(s: &[u8]) -> Option<i64> {
    if s.get(20) == Some(&b'.') {
        let (frac, rest) = fraction(&s[20..], b'.');
        if rest.trim_ascii_start().is_empty() {
            return parse_clf_cached_whole(&s[..20]).map(|t| t + i64::from(frac));
        }
    }
    parse_clf_cached_whole(s)
}

fn parse_clf_cached_whole(s: &[u8]) -> Option<i64> {
    LAST_CLF.with(|c| {
        let mut c = c.borrow_mut();
        if c.0 == s {
            return c.1;
        }
        let v = parse_clf(s);
        c.0.clear();
        c.0.extend_from_slice(s);
        c.1 = v;
        v
    })
}

/// nginx `$time_local`: `08/Mar/2023:16:02:45 +0000`; HAProxy `06/Feb/2009:12:14:14.655` (no zone: UTC).
pub fn parse_clf(s: &[u8]) -> Option<i64> {
    if s.len() < 20 || s[2] != b'/' || s[6] != b'/' || s[11] != b':' {
        return None;
    }
    let d = digits(&s[0..2])?;
    let mo = month(&s[3..6])?;
    let y = digits(&s[7..11])?;
    let h = digits(&s[12..14])?;
    let mi = digits(&s[15..17])?;
    let sec = digits(&s[18..20])?;
    let (frac, rest) = fraction(&s[20..], b'.');
    let offset = match rest.trim_ascii_start() {
        [] => 0,
        z => tz_offset(z)?,
    };
    to_ms((y, mo, d), (h, mi, sec), frac, offset)
}

/// ISO 8601 / RFC 3339: `2023-03-08T16:02:45+00:00`, `2018-07-02T22:23:00.186641Z`, and the nginx
/// error-log shape `2023/03/08 16:02:40` (no zone: UTC).
pub fn parse_iso(s: &[u8]) -> Option<i64> {
    if s.len() < 19 || !matches!(s[4], b'-' | b'/') || !matches!(s[10], b'T' | b' ' | b't') {
        return None;
    }
    let y = digits(&s[0..4])?;
    let mo = digits(&s[5..7])?;
    let d = digits(&s[8..10])?;
    let h = digits(&s[11..13])?;
    let mi = digits(&s[14..16])?;
    let sec = digits(&s[17..19])?;
    let (frac, rest) = fraction(&s[19..], b',');
    let offset = if rest.is_empty() { 0 } else { tz_offset(rest)? };
    to_ms((y, mo, d), (h, mi, sec), frac, offset)
}

/// Epoch seconds with an optional fraction: nginx `$msec` `1646861401.524`, Caddy `ts`.
pub fn parse_epoch(s: &[u8]) -> Option<i64> {
    let (int, frac) = match memchr::memchr(b'.', s) {
        Some(i) => (&s[..i], &s[i + 1..]),
        None => (s, &b""[..]),
    };
    if int.len() < 9 || int.len() > 11 {
        return None; // not a plausible epoch in seconds
    }
    let secs = i64::from(digits(int)?);
    Some(secs * 1000 + i64::from(fraction_ms(frac)))
}

/// The zone offset written at the end of a timestamp (`… +0100`, `…+01:00`, `…Z`), in seconds east
/// of UTC; `None` when the timestamp carries no zone.
pub fn zone_offset_s(raw: &[u8]) -> Option<i64> {
    let raw = raw.trim_ascii_end();
    if raw.last().is_some_and(|b| matches!(b, b'Z' | b'z')) {
        return Some(0);
    }
    // `+hhmm` or `+hh:mm`: the sign is 5 or 6 bytes from the end.
    [5, 6].iter().find_map(|&n| {
        let at = raw.len().checked_sub(n)?;
        let z = &raw[at..];
        (matches!(z[0], b'+' | b'-') && (n == 5 || z[3] == b':')).then(|| tz_offset(z)).flatten()
    })
}

/// Whichever of the shapes above fits.
pub fn parse_any(s: &[u8]) -> Option<i64> {
    parse_clf(s).or_else(|| parse_iso(s)).or_else(|| parse_epoch(s))
}

/// `YYYY-MM-DD HH:MM:SS` (UTC) for reports.
pub fn format_utc(ms: i64) -> String {
    let secs = ms.div_euclid(1000);
    let days = secs.div_euclid(86_400);
    let sod = secs.rem_euclid(86_400);
    let (y, m, d) = civil_from_days(days);
    format!("{y:04}-{m:02}-{d:02} {:02}:{:02}:{:02}", sod / 3600, sod % 3600 / 60, sod % 60)
}

/// Inverse of [`days_from_civil`].
pub fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = if z >= 0 { z } else { z - 146_096 } / 146_097;
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = u32::try_from(doy - (153 * mp + 2) / 5 + 1).unwrap_or(1);
    let m = u32::try_from(if mp < 10 { mp + 3 } else { mp - 9 }).unwrap_or(1);
    (if m <= 2 { y + 1 } else { y }, m, d)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn zone_offsets() {
        assert_eq!(zone_offset_s(b"08/Mar/2023:16:02:45 +0100"), Some(3600));
        assert_eq!(zone_offset_s(b"2023-03-08T16:02:45-05:30"), Some(-19800));
        assert_eq!(zone_offset_s(b"2023-03-08T16:02:45.123Z"), Some(0));
        assert_eq!(zone_offset_s(b"2023/03/08 16:02:45"), None);
        assert_eq!(zone_offset_s(b"1646861401.524"), None);
    }

    #[test]
    fn formats() {
        // 2023-03-08T16:02:45Z = 1678291365
        assert_eq!(parse_clf(b"08/Mar/2023:16:02:45 +0000"), Some(1_678_291_365_000));
        assert_eq!(parse_clf(b"08/Mar/2023:17:02:45 +0100"), Some(1_678_291_365_000));
        assert_eq!(parse_clf(b"08/Mar/2023:16:02:45.655"), Some(1_678_291_365_655));
        assert_eq!(parse_iso(b"2023-03-08T16:02:45+00:00"), Some(1_678_291_365_000));
        assert_eq!(parse_iso(b"2023-03-08T16:02:45.186641Z"), Some(1_678_291_365_186));
        assert_eq!(parse_iso(b"2023/03/08 16:02:45"), Some(1_678_291_365_000));
        assert_eq!(parse_epoch(b"1678291365.5"), Some(1_678_291_365_500));
        assert_eq!(parse_clf(b"08/Foo/2023:16:02:45 +0000"), None);
        assert_eq!(parse_iso(b"2023-13-08T16:02:45Z"), None);
        assert_eq!(format_utc(1_678_291_365_000), "2023-03-08 16:02:45");
    }

    proptest::proptest! {
        /// The cache (by the second, the fraction added) gives what parsing each time gives,
        /// whatever came before on the thread.
        #[test]
        fn the_cached_clf_time_is_the_parsed_one(
            stamps in proptest::collection::vec(
                ("[0-3][0-9]", proptest::sample::select(vec!["Mar", "Feb", "Foo"]), "[0-2][0-9]:[0-5][0-9]:[0-6][0-9]",
                 proptest::sample::select(vec!["", ".655", ".1", ".186641", ". ", ".9 +0100", " +0000", " -0530", ".x"])),
                1..20,
            )
        ) {
            for (d, m, hms, tail) in stamps {
                let s = format!("{d}/{m}/2023:{hms}{tail}");
                proptest::prop_assert_eq!(parse_clf_cached(s.as_bytes()), parse_clf(s.as_bytes()), "{}", s);
            }
        }
    }

    #[test]
    fn civil_round_trip() {
        for days in (-1000..40_000).step_by(37) {
            let (y, m, d) = civil_from_days(days);
            assert_eq!(days_from_civil(y, m, d), days);
        }
    }
}
