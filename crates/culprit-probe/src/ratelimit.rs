//! Rate-limit headers decoded into human time: `Retry-After` (seconds or HTTP-date), the
//! `X-RateLimit-*` family (reset as epoch seconds, epoch milliseconds, seconds, or a date), and the
//! IETF `RateLimit`/`RateLimit-Policy` fields in all three draft generations.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use crate::exchange::Response;

/// One limit, as far as the headers tell.
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize)]
pub struct RateLimit {
    /// Which header(s) it came from.
    pub source: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub policy: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub limit: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub remaining: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub window_seconds: Option<u64>,
    /// Seconds until the limit resets or a retry is allowed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub resets_in_seconds: Option<f64>,
    /// The same moment as an RFC 3339 UTC time.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub resets_at: Option<String>,
    /// How a reset value was read (`epoch seconds`, `epoch milliseconds`, `seconds`, `HTTP-date`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub read_as: Option<String>,
}

impl RateLimit {
    /// "resets in 29 s, at 14:03:41 UTC".
    pub fn describe(&self) -> String {
        let mut parts = Vec::new();
        if let (Some(r), Some(l)) = (self.remaining, self.limit) {
            parts.push(format!("{r} of {l} left"));
        } else if let Some(r) = self.remaining {
            parts.push(format!("{r} left"));
        } else if let Some(l) = self.limit {
            parts.push(format!("limit {l}"));
        }
        if let Some(w) = self.window_seconds {
            parts.push(format!("per {}", human_seconds(w as f64)));
        }
        if let Some(s) = self.resets_in_seconds {
            let at = self.resets_at.as_deref().map(|t| format!(", at {} UTC", &t[11..19])).unwrap_or_default();
            let verb = if self.source == "Retry-After" { "retry" } else { "resets" };
            parts.push(format!("{verb} in {}{at}", human_seconds(s)));
        }
        parts.join(", ")
    }
}

fn human_seconds(s: f64) -> String {
    if s < 0.0 {
        return format!("{} ago (already past)", human_seconds(-s));
    }
    if s < 120.0 {
        format!("{s:.0} s")
    } else if s < 7200.0 {
        format!("{:.0} min", s / 60.0)
    } else if s < 172_800.0 {
        format!("{:.1} h", s / 3600.0)
    } else {
        format!("{:.1} days", s / 86400.0)
    }
}

pub(crate) fn rfc3339(t: SystemTime) -> String {
    httpdate_to_rfc3339(t)
}

/// RFC 3339 from a SystemTime, via the civil date (no extra crate).
fn httpdate_to_rfc3339(t: SystemTime) -> String {
    let secs = t.duration_since(UNIX_EPOCH).map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX));
    let (days, rem) = (secs.div_euclid(86400), secs.rem_euclid(86400));
    // Howard Hinnant's civil_from_days.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = if m <= 2 { y + 1 } else { y };
    format!("{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}Z", rem / 3600, rem % 3600 / 60, rem % 60)
}

/// Reads a reset value: a date, epoch milliseconds (> 1e12), epoch seconds (> 1e9), or seconds.
fn reset_value(v: &str, now: SystemTime) -> Option<(f64, &'static str)> {
    let v = v.trim();
    if let Ok(n) = v.parse::<f64>() {
        let now_s = now.duration_since(UNIX_EPOCH).ok()?.as_secs_f64();
        return Some(if n > 1e12 {
            (n / 1000.0 - now_s, "epoch milliseconds")
        } else if n > 1e9 {
            (n - now_s, "epoch seconds")
        } else {
            (n, "seconds")
        });
    }
    let t = httpdate::parse_http_date(v).ok()?;
    Some((signed_secs(t, now), "HTTP-date"))
}

fn signed_secs(t: SystemTime, now: SystemTime) -> f64 {
    match t.duration_since(now) {
        Ok(d) => d.as_secs_f64(),
        Err(e) => -e.duration().as_secs_f64(),
    }
}

fn at(now: SystemTime, secs: f64) -> Option<String> {
    let t = if secs >= 0.0 {
        now.checked_add(Duration::from_secs_f64(secs))
    } else {
        now.checked_sub(Duration::from_secs_f64(-secs))
    };
    t.map(rfc3339)
}

/// Every limit the response's headers describe.
pub fn decode(response: &Response, now: SystemTime) -> Vec<RateLimit> {
    let mut out = Vec::new();
    if let Some(v) = response.header("retry-after") {
        let parsed = v
            .trim()
            .parse::<u64>()
            .map(|s| (s as f64, "seconds"))
            .ok()
            .or_else(|| httpdate::parse_http_date(v.trim()).ok().map(|t| (signed_secs(t, now), "HTTP-date")));
        let mut r = RateLimit { source: "Retry-After".into(), ..RateLimit::default() };
        if let Some((s, how)) = parsed {
            r.resets_in_seconds = Some(s);
            r.resets_at = at(now, s);
            r.read_as = Some(how.into());
        } else {
            r.read_as = Some(format!("unreadable value '{v}' (neither seconds nor an HTTP-date)"));
        }
        out.push(r);
    }
    // X-RateLimit-* and X-Rate-Limit-*, with optional per-window suffixes (-minute, -hour…).
    let mut x: std::collections::BTreeMap<String, RateLimit> = std::collections::BTreeMap::new();
    for (name, value) in &response.headers {
        let lower = name.to_ascii_lowercase();
        let Some(rest) = lower.strip_prefix("x-ratelimit-").or_else(|| lower.strip_prefix("x-rate-limit-")) else {
            continue;
        };
        let (field, window) = rest.split_once('-').map_or((rest, ""), |(f, w)| (f, w));
        let entry = x.entry(window.to_owned()).or_insert_with(|| RateLimit {
            source: if window.is_empty() { "X-RateLimit-*".into() } else { format!("X-RateLimit-*-{window}") },
            ..RateLimit::default()
        });
        let n = value.trim().parse::<u64>().ok();
        match field {
            "limit" => entry.limit = n,
            "remaining" => entry.remaining = n,
            "reset" => {
                if let Some((s, how)) = reset_value(value, now) {
                    entry.resets_in_seconds = Some(s);
                    entry.resets_at = at(now, s);
                    entry.read_as = Some(how.into());
                }
            }
            _ => {}
        }
        entry.window_seconds = match window {
            "second" => Some(1),
            "minute" => Some(60),
            "hour" => Some(3600),
            "day" => Some(86400),
            _ => entry.window_seconds,
        };
    }
    out.extend(x.into_values());
    out.extend(ietf(response, now));
    out
}

/// The IETF fields: ≤ -06 (`RateLimit-Limit/-Remaining/-Reset`, `RateLimit-Policy: 100;w=10`),
/// -07 (`RateLimit: limit=100, remaining=50, reset=5`), -08+ (`RateLimit: "p";r=50;t=30` with
/// `RateLimit-Policy: "p";q=100;w=60`).
fn ietf(response: &Response, now: SystemTime) -> Vec<RateLimit> {
    let mut out = Vec::new();
    let policies: Vec<Item> = response.headers_named("ratelimit-policy").flat_map(split_list).collect();
    let policy_of =
        |name: &Option<String>| policies.iter().find(|(n, _)| n == name || (n.is_none() && policies.len() == 1));
    let add_window = |r: &mut RateLimit| {
        if let Some((_, params)) = policy_of(&r.policy) {
            for (k, v) in params {
                match k.as_str() {
                    "q" => r.limit = r.limit.or(v.parse().ok()),
                    "w" => r.window_seconds = v.parse().ok(),
                    _ => {}
                }
            }
        }
    };
    for value in response.headers_named("ratelimit") {
        let items = split_list(value);
        // -07: a dictionary of limit/remaining/reset.
        if items.iter().any(|(n, _)| matches!(n.as_deref(), Some("limit" | "remaining" | "reset")))
            || value.contains('=') && !value.contains(';')
        {
            let mut r = RateLimit { source: "RateLimit (draft-07)".into(), ..RateLimit::default() };
            for part in value.split(',') {
                if let Some((k, v)) = part.trim().split_once('=') {
                    match k.trim() {
                        "limit" => r.limit = v.trim().parse().ok(),
                        "remaining" => r.remaining = v.trim().parse().ok(),
                        "reset" => {
                            r.resets_in_seconds = v.trim().parse().ok();
                            r.resets_at = r.resets_in_seconds.and_then(|s| at(now, s));
                        }
                        _ => {}
                    }
                }
            }
            out.push(r);
            continue;
        }
        for (name, params) in items {
            let mut r = RateLimit { source: "RateLimit".into(), policy: name, ..RateLimit::default() };
            for (k, v) in params {
                match k.as_str() {
                    "r" => r.remaining = v.parse().ok(),
                    "t" => {
                        r.resets_in_seconds = v.parse().ok();
                        r.resets_at = r.resets_in_seconds.and_then(|s| at(now, s));
                    }
                    _ => {}
                }
            }
            add_window(&mut r);
            out.push(r);
        }
    }
    // ≤ -06: three separate fields.
    let (l, rem, reset) = (
        response.header("ratelimit-limit"),
        response.header("ratelimit-remaining"),
        response.header("ratelimit-reset"),
    );
    if l.is_some() || rem.is_some() || reset.is_some() {
        let mut r =
            RateLimit { source: "RateLimit-Limit/-Remaining/-Reset (draft ≤ 06)".into(), ..RateLimit::default() };
        r.limit = l.and_then(|v| v.split([',', ';']).next()?.trim().parse().ok());
        r.remaining = rem.and_then(|v| v.trim().parse().ok());
        r.resets_in_seconds = reset.and_then(|v| v.trim().parse().ok());
        r.resets_at = r.resets_in_seconds.and_then(|s| at(now, s));
        r.read_as = r.resets_in_seconds.map(|_| "seconds".into());
        add_window(&mut r);
        out.push(r);
    }
    out
}

/// A structured-field list `"name";k=v;k=v, …` (also bare `100;w=10`): (name, params) per item.
/// One structured-field list item: its name (a quoted string) and its parameters.
type Item = (Option<String>, Vec<(String, String)>);

fn split_list(value: &str) -> Vec<Item> {
    value
        .split(',')
        .filter(|i| !i.trim().is_empty())
        .map(|item| {
            let mut parts = item.split(';').map(str::trim);
            let head = parts.next().unwrap_or("");
            let name = head.strip_prefix('"').and_then(|h| h.strip_suffix('"')).map(str::to_owned);
            let mut params: Vec<(String, String)> = parts
                .filter_map(|p| {
                    p.split_once('=').map(|(k, v)| (k.trim().to_owned(), v.trim().trim_matches('"').to_owned()))
                })
                .collect();
            if name.is_none() && head.parse::<u64>().is_ok() {
                params.insert(0, ("q".into(), head.to_owned()));
            }
            (name, params)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn response(headers: &[(&str, &str)]) -> Response {
        Response {
            reason: None,
            status: 429,
            version: "HTTP/1.1".into(),
            headers: headers.iter().map(|(n, v)| ((*n).to_owned(), (*v).to_owned())).collect(),
            body: bytes::Bytes::new(),
            body_bytes: 0,
            capped: false,
        }
    }

    const NOW: u64 = 1_795_329_000;

    fn now() -> SystemTime {
        UNIX_EPOCH + Duration::from_secs(NOW)
    }

    #[test]
    fn retry_after_seconds_and_dates() {
        let r = decode(&response(&[("Retry-After", "30")]), now());
        assert_eq!(r[0].resets_in_seconds, Some(30.0));
        assert_eq!(r[0].resets_at.as_deref(), Some("2026-11-22T06:30:30Z"));
        assert!(r[0].describe().contains("retry in 30 s, at 06:30:30 UTC"), "{}", r[0].describe());
        let r = decode(&response(&[("Retry-After", "Sun, 22 Nov 2026 06:32:00 GMT")]), now());
        assert_eq!((r[0].resets_in_seconds, r[0].read_as.as_deref()), (Some(120.0), Some("HTTP-date")));
        let r = decode(&response(&[("Retry-After", "soon")]), now());
        assert!(r[0].read_as.as_deref().unwrap().contains("unreadable"));
    }

    #[test]
    fn x_ratelimit_reset_is_disambiguated() {
        let epoch = (NOW + 29).to_string();
        let r = decode(
            &response(&[("X-RateLimit-Limit", "60"), ("X-RateLimit-Remaining", "0"), ("X-RateLimit-Reset", &epoch)]),
            now(),
        );
        assert_eq!((r[0].limit, r[0].remaining, r[0].resets_in_seconds), (Some(60), Some(0), Some(29.0)));
        assert_eq!(r[0].read_as.as_deref(), Some("epoch seconds"));
        let ms = ((NOW + 10) * 1000).to_string();
        let r = decode(&response(&[("x-ratelimit-reset", &ms)]), now());
        assert_eq!((r[0].resets_in_seconds, r[0].read_as.as_deref()), (Some(10.0), Some("epoch milliseconds")));
        let r = decode(&response(&[("X-RateLimit-Reset", "42")]), now());
        assert_eq!(r[0].read_as.as_deref(), Some("seconds"));
        let r = decode(&response(&[("X-RateLimit-Limit-Minute", "20"), ("X-RateLimit-Remaining-Minute", "19")]), now());
        assert_eq!((r[0].limit, r[0].remaining, r[0].window_seconds), (Some(20), Some(19), Some(60)));
    }

    #[test]
    fn ietf_generations() {
        let r = decode(
            &response(&[("RateLimit", "\"default\";r=0;t=30"), ("RateLimit-Policy", "\"default\";q=100;w=60")]),
            now(),
        );
        assert_eq!(
            (r[0].policy.as_deref(), r[0].limit, r[0].remaining, r[0].window_seconds, r[0].resets_in_seconds),
            (Some("default"), Some(100), Some(0), Some(60), Some(30.0))
        );
        let r = decode(&response(&[("RateLimit", "limit=100, remaining=50, reset=5")]), now());
        assert_eq!((r[0].limit, r[0].remaining, r[0].resets_in_seconds), (Some(100), Some(50), Some(5.0)));
        let r = decode(
            &response(&[
                ("RateLimit-Limit", "100"),
                ("RateLimit-Remaining", "7"),
                ("RateLimit-Reset", "12"),
                ("RateLimit-Policy", "100;w=10"),
            ]),
            now(),
        );
        assert_eq!(
            (r[0].limit, r[0].remaining, r[0].resets_in_seconds, r[0].window_seconds),
            (Some(100), Some(7), Some(12.0), Some(10))
        );
    }
}
