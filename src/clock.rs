//! The little calendar arithmetic the core needs, on the `time` crate.

use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;

/// Seconds since the epoch of an RFC 3339 timestamp (`2026-11-02T09:14:07.000Z`).
pub fn parse_rfc3339(s: &str) -> Option<i64> {
    OffsetDateTime::parse(s, &Rfc3339).ok().map(|t| t.unix_timestamp())
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
