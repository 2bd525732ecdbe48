//! Durations as Prometheus and Alertmanager write them (`30s`, `5m`, `1h30m`, `1d`), parsed from
//! flags and written back in the canonical form Prometheus itself prints — the form that ends up
//! in recording-rule names (`…:ratio_rate5m`), so `300s` and `5m` name the same series.

use std::fmt;
use std::str::FromStr;

/// A whole number of milliseconds, as Prometheus's `model.Duration`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct PromDuration(u64);

/// Units from the largest down, as Prometheus prints them (a year is 365 days, a week 7).
const UNITS: [(&str, u64); 7] = [
    ("y", 365 * 24 * 3_600_000),
    ("w", 7 * 24 * 3_600_000),
    ("d", 24 * 3_600_000),
    ("h", 3_600_000),
    ("m", 60_000),
    ("s", 1_000),
    ("ms", 1),
];

impl PromDuration {
    pub const fn from_secs(secs: u64) -> PromDuration {
        PromDuration(secs * 1000)
    }

    pub fn millis(self) -> u64 {
        self.0
    }

    pub fn as_secs_f64(self) -> f64 {
        self.0 as f64 / 1000.0
    }
}

impl FromStr for PromDuration {
    type Err = String;

    /// `1h30m`, `90s`, `500ms`, `1d`: digits followed by a unit, units from the largest down, each
    /// at most once (Prometheus's own rule).
    fn from_str(text: &str) -> Result<PromDuration, String> {
        let bad = || format!("'{text}' is not a duration: write it as Prometheus does, e.g. 30s, 5m, 1h30m, 1d");
        if text.is_empty() {
            return Err(bad());
        }
        let mut rest = text;
        let mut total: u64 = 0;
        let mut last_unit = None;
        while !rest.is_empty() {
            let digits = rest.bytes().take_while(u8::is_ascii_digit).count();
            if digits == 0 {
                return Err(bad());
            }
            let number: u64 = rest[..digits].parse().map_err(|_| bad())?;
            rest = &rest[digits..];
            // `ms` before `m`: the longest unit that matches.
            let (index, (unit, millis)) = UNITS
                .iter()
                .enumerate()
                .filter(|(_, (u, _))| rest.starts_with(u))
                .max_by_key(|(_, (u, _))| u.len())
                .ok_or_else(bad)?;
            if last_unit.is_some_and(|last| index <= last) {
                return Err(bad());
            }
            last_unit = Some(index);
            rest = &rest[unit.len()..];
            total = number.checked_mul(*millis).and_then(|n| total.checked_add(n)).ok_or_else(bad)?;
        }
        Ok(PromDuration(total))
    }
}

impl fmt::Display for PromDuration {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.0 == 0 {
            return f.write_str("0s");
        }
        let mut rest = self.0;
        for (unit, millis) in UNITS {
            if rest >= millis {
                write!(f, "{}{unit}", rest / millis)?;
                rest %= millis;
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(text: &str) -> PromDuration {
        text.parse().unwrap()
    }

    #[test]
    fn canonical_forms() {
        assert_eq!(d("300s").to_string(), "5m");
        assert_eq!(d("90m").to_string(), "1h30m");
        assert_eq!(d("1d").to_string(), "1d");
        assert_eq!(d("24h").to_string(), "1d");
        assert_eq!(d("1500ms").to_string(), "1s500ms");
        assert_eq!(d("0s").to_string(), "0s");
        assert_eq!(d("2w").millis(), 14 * 86_400_000);
    }

    #[test]
    fn refuses_what_prometheus_refuses() {
        for bad in ["", "5", "m", "5x", "1m1h", "1m1m", "-5m", "1.5h", "5 m"] {
            assert!(bad.parse::<PromDuration>().is_err(), "{bad:?} accepted");
        }
        let e = "5x".parse::<PromDuration>().unwrap_err();
        assert!(e.contains("'5x'") && e.contains("30s"), "{e}");
    }
}
