//! The period a report covers, `[since, until)`, and the one before it of the
//! same length (the trend compares the two): which of them an instant falls in,
//! and which day of the period.

use serde::{Deserialize, Serialize};

use crate::{clock, Issue};

pub const DAY_MS: i64 = 86_400_000;
/// The longest period a report covers: a year (and a day, for a leap year).
/// Its daily series is one row a day, so this bounds the report's size too.
pub const MAX_DAYS: i64 = 366;

/// Which of the two periods an instant is in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Which {
    Current = 0,
    Previous = 1,
}

impl Which {
    pub fn index(self) -> usize {
        self as usize
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Period {
    pub since_ms: i64,
    pub until_ms: i64,
}

/// A period as a report writes it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PeriodOut {
    pub since: String,
    pub until: String,
    /// Days it covers, a part of a day counting as one.
    pub days: u32,
}

impl Period {
    /// From RFC 3339 times (or dates, midnight UTC): `until` after `since`, at most
    /// [`MAX_DAYS`] apart, both within years 1..9999 with the previous period too.
    pub fn parse(since: &str, until: &str) -> Result<Period, Issue> {
        let at = |s: &str, field: &'static str| {
            clock::parse_rfc3339_ms(s).or_else(|| clock::parse_date_time(s).and_then(|secs| secs.checked_mul(1000))).ok_or_else(|| {
                Issue::new("invalid_period", Some(field.to_string()), format!("`{field}` is not an RFC 3339 time or a date"))
            })
        };
        Period::new(at(since, "since")?, at(until, "until")?)
    }

    pub fn new(since_ms: i64, until_ms: i64) -> Result<Period, Issue> {
        let bad = |message: &str| Err(Issue::new("invalid_period", None, message.to_string()));
        if until_ms <= since_ms {
            return bad("`until` must be after `since`");
        }
        if until_ms.saturating_sub(since_ms) > MAX_DAYS.saturating_mul(DAY_MS) {
            return bad("a report covers at most 366 days");
        }
        let period = Period { since_ms, until_ms };
        // Both periods must be writable as RFC 3339 (years 0..9999).
        let start = period.previous().since_ms;
        if clock::rfc3339_of_ms(start as f64).is_none() || clock::rfc3339_of_ms(until_ms as f64).is_none() {
            return bad("the period (and the one before it) must fall within years 0 to 9999");
        }
        Ok(period)
    }

    pub fn len_ms(&self) -> i64 {
        self.until_ms.saturating_sub(self.since_ms)
    }

    /// The period of the same length just before this one.
    pub fn previous(&self) -> Period {
        Period { since_ms: self.since_ms.saturating_sub(self.len_ms()), until_ms: self.since_ms }
    }

    /// The period an instant is in, if either.
    pub fn which(&self, at_ms: i64) -> Option<Which> {
        if (self.since_ms..self.until_ms).contains(&at_ms) {
            Some(Which::Current)
        } else if (self.previous().since_ms..self.since_ms).contains(&at_ms) {
            Some(Which::Previous)
        } else {
            None
        }
    }

    /// Whether `[first, last]` overlaps the current or previous period.
    pub fn overlaps(&self, which: Which, first_ms: i64, last_ms: i64) -> bool {
        let p = match which {
            Which::Current => *self,
            Which::Previous => self.previous(),
        };
        first_ms < p.until_ms && last_ms >= p.since_ms
    }

    /// Days of the period, a part of a day counting as one.
    pub fn days(&self) -> usize {
        let whole = self.len_ms() / DAY_MS;
        let part = i64::from(self.len_ms() % DAY_MS != 0);
        usize::try_from(whole.saturating_add(part)).unwrap_or(0)
    }

    /// The day (0-based, from `since`) of an instant of the current period.
    pub fn day_of(&self, at_ms: i64) -> Option<usize> {
        if !(self.since_ms..self.until_ms).contains(&at_ms) {
            return None;
        }
        usize::try_from(at_ms.saturating_sub(self.since_ms) / DAY_MS).ok()
    }

    pub fn out(&self) -> PeriodOut {
        let iso = |ms: i64| clock::rfc3339_of_ms(ms as f64).unwrap_or_default();
        PeriodOut { since: iso(self.since_ms), until: iso(self.until_ms), days: u32::try_from(self.days()).unwrap_or(u32::MAX) }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_week_and_the_week_before() {
        let p = Period::parse("2026-11-09", "2026-11-16T00:00:00Z").unwrap();
        assert_eq!(p.days(), 7);
        let prev = p.previous().out();
        assert_eq!((prev.since.as_str(), prev.until.as_str()), ("2026-11-02T00:00:00.000Z", "2026-11-09T00:00:00.000Z"));
        assert_eq!(p.which(p.since_ms), Some(Which::Current));
        assert_eq!(p.which(p.since_ms - 1), Some(Which::Previous));
        assert_eq!(p.which(p.until_ms), None);
        assert_eq!(p.which(p.previous().since_ms - 1), None);
        assert_eq!(p.day_of(p.until_ms - 1), Some(6));
        assert!(p.overlaps(Which::Current, p.since_ms - 5, p.since_ms));
        assert!(!p.overlaps(Which::Current, p.since_ms - 5, p.since_ms - 1));
    }

    #[test]
    fn bad_periods_are_typed_errors() {
        for (since, until) in
            [("2026-11-09", "2026-11-09"), ("2026-11-10", "2026-11-09"), ("2025-01-01", "2026-11-09"), ("nope", "2026-11-09")]
        {
            assert_eq!(Period::parse(since, until).unwrap_err().code, "invalid_period", "{since} {until}");
        }
        assert_eq!(Period::parse("yesterday", "2026-11-09").unwrap_err().path.as_deref(), Some("since"));
        assert!(Period::new(i64::MIN, i64::MIN + 5).is_err());
        assert_eq!(Period::new(0, DAY_MS + 1).unwrap().days(), 2);
    }
}
