//! The little calendar arithmetic the core needs, on the `time` crate.

use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;

/// Seconds since the epoch of an RFC 3339 timestamp (`2026-11-02T09:14:07.000Z`).
pub fn parse_rfc3339(s: &str) -> Option<i64> {
    OffsetDateTime::parse(s, &Rfc3339).ok().map(|t| t.unix_timestamp())
}

/// Milliseconds since the epoch of an RFC 3339 timestamp, as Auth0 dates its logs.
pub fn parse_rfc3339_ms(s: &str) -> Option<i64> {
    let t = OffsetDateTime::parse(s, &Rfc3339).ok()?;
    i64::try_from(t.unix_timestamp_nanos().div_euclid(1_000_000)).ok()
}

/// Seconds since the epoch of a timestamp as JavaScript's `toISOString` writes it
/// (RFC 3339), or of a date alone (`2027-01-15`, midnight UTC), as `Date.parse`
/// reads both.
pub fn parse_date_time(s: &str) -> Option<i64> {
    parse_rfc3339(s).or_else(|| {
        let date = time::Date::parse(s, &time::format_description::well_known::Iso8601::DEFAULT).ok()?;
        Some(date.midnight().assume_utc().unix_timestamp())
    })
}

/// An RFC 3339 timestamp in UTC with milliseconds (`2026-11-02T09:14:07.000Z`,
/// what JavaScript's `toISOString` writes) for a time in ms since the epoch.
pub fn rfc3339_of_ms(ms: f64) -> Option<String> {
    if !ms.is_finite() {
        return None;
    }
    let t = OffsetDateTime::from_unix_timestamp_nanos((ms as i128).checked_mul(1_000_000)?).ok()?;
    if !(0..=9999).contains(&t.year()) {
        return None;
    }
    Some(format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:03}Z",
        t.year(),
        u8::from(t.month()),
        t.day(),
        t.hour(),
        t.minute(),
        t.second(),
        t.millisecond()
    ))
}

/// The solar local hour (0..24) at a longitude: UTC shifted by 4 minutes per
/// degree. Good enough for "does this user log in at this hour", and needs no
/// time-zone database (which would add hundreds of kB to the WebAssembly).
pub fn solar_hour(unix_s: i64, longitude: f64) -> u8 {
    let shift = (longitude / 15.0 * 3600.0).round() as i64;
    let day_s = (unix_s + shift).rem_euclid(86_400);
    u8::try_from(day_s / 3600).unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timestamps_round_trip_as_javascript_writes_them() {
        assert_eq!(rfc3339_of_ms(1_800_000_000_123.0).as_deref(), Some("2027-01-15T08:00:00.123Z"));
        assert_eq!(parse_rfc3339("2027-01-15T08:00:00.123Z"), Some(1_800_000_000));
        assert_eq!(rfc3339_of_ms(f64::NAN), None);
        assert_eq!(rfc3339_of_ms(1e300), None);
        assert_eq!(rfc3339_of_ms(-1e18), None);
        assert_eq!(parse_date_time("2027-01-15T08:00:00.123Z"), Some(1_800_000_000));
        assert_eq!(parse_date_time("2027-01-15"), Some(1_800_000_000 - 8 * 3600));
        assert_eq!(parse_date_time("next tuesday"), None);
    }

    #[test]
    fn rfc3339_and_solar_hours() {
        assert_eq!(parse_rfc3339("1970-01-01T00:01:00Z"), Some(60));
        assert_eq!(parse_rfc3339("2026-11-02T09:14:07.000+01:00"), Some(1_793_607_247));
        assert_eq!(parse_rfc3339("yesterday"), None);
        assert_eq!(solar_hour(0, 0.0), 0);
        assert_eq!(solar_hour(0, 120.0), 8);
        assert_eq!(solar_hour(0, -75.0), 19);
        assert_eq!(solar_hour(12 * 3600, 180.0), 0);
    }
}
