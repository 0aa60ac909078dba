//! `impossible_travel`: one user's successful logins (`s`) from places too far
//! apart for the time between them: at least `min_distance_km` apart (closer is
//! within geolocation's error) at a speed over `max_speed_kmh` (an airliner's,
//! about 900 km/h, and some margin). Each login is compared with the user's
//! previous one that had a location; the logs' `location_info.latitude` and
//! `.longitude` are where Auth0 placed the address. The alert says
//! `country_changed` when the countries differ and `organizations_differ` when
//! the two logins were to different organizations' applications.

use serde::{Deserialize, Serialize};

use super::{hash_of, secs, Idle, Keyed, Severity, Shared, Subject};
use crate::logs::LogEvent;
use crate::risk::features::haversine_km;

pub const KIND: &str = "impossible_travel";

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Config {
    /// The fastest plausible travel, in km/h (default 1000).
    pub max_speed_kmh: f64,
    /// Closer than this (km) is never travel (default 500).
    pub min_distance_km: f64,
}

impl Default for Config {
    fn default() -> Self {
        Config { max_speed_kmh: 1000.0, min_distance_km: 500.0 }
    }
}

#[derive(Debug, Clone)]
struct Place {
    at_ms: i64,
    lat: f64,
    lon: f64,
    country: Option<String>,
    org: Option<String>,
}

impl Idle for Place {
    fn last_ms(&self) -> i64 {
        self.at_ms
    }
}

#[derive(Debug)]
pub struct Detector {
    config: Config,
    last: Keyed<Place>,
}

impl Detector {
    pub(crate) fn new(config: &Config, max_keys: usize) -> Detector {
        // A login older than a day's travel at the maximum speed can be compared with
        // nothing impossible: a key idle for that long may go.
        let idle = secs((40_000.0 / config.max_speed_kmh.max(1.0) * 3600.0) as u64);
        Detector { config: config.clone(), last: Keyed::new(max_keys, idle) }
    }

    pub(crate) fn observe(&mut self, e: &LogEvent, shared: &mut Shared) {
        if e.event_type != "s" {
            return;
        }
        let (Some(user), Some(lat), Some(lon)) = (e.user_id.as_deref(), e.latitude, e.longitude) else { return };
        // Built only for a new user or an alert: most logins update the last place in place.
        let here = || Place { at_ms: e.date_ms, lat, lon, country: e.country_code.clone(), org: e.organization_id.clone() };
        let Some(last) = self.last.entry(user, e.date_ms, &mut shared.overflow, here) else { return };
        let km = haversine_km(last.lat, last.lon, lat, lon);
        let hours = (e.date_ms - last.at_ms).unsigned_abs() as f64 / 3_600_000.0;
        let impossible = km >= self.config.min_distance_km && km > self.config.max_speed_kmh * hours;
        if impossible {
            let (first, second) = if last.at_ms <= e.date_ms { (last.clone(), here()) } else { (here(), last.clone()) };
            let subject = Subject { kind: "user", value: user.to_string() };
            if let Some(alert) = shared.alerts.raise(KIND, subject, Severity::Medium, first.at_ms) {
                let fresh = alert_is_fresh(alert);
                if fresh {
                    alert.event(first.at_ms);
                }
                alert
                    .event(second.at_ms)
                    .user(Some(hash_of(user)))
                    .org(first.org.as_deref())
                    .org(second.org.as_deref())
                    .reason("implausible_speed");
                if first.country.is_some() && second.country.is_some() && first.country != second.country {
                    alert.reason("country_changed");
                }
                if first.org.is_some() && second.org.is_some() && first.org != second.org {
                    alert.reason("organizations_differ");
                }
            }
        }
        if e.date_ms >= last.at_ms {
            // `*last = here()`, reusing the strings' room.
            (last.at_ms, last.lat, last.lon) = (e.date_ms, lat, lon);
            last.country.clone_from(&e.country_code);
            last.org.clone_from(&e.organization_id);
        }
    }
}

/// A just-raised alert has counted no event yet.
fn alert_is_fresh(alert: &mut super::AlertAcc) -> bool {
    alert.events_so_far() == 0
}

#[cfg(test)]
mod tests {
    use super::super::testing::*;
    use super::*;

    fn login(n: usize, user: &str, at_s: i64, (lat, lon): (f64, f64), country: &str, org: &str) -> LogEvent {
        let mut e = ev(&format!("s{n}"), "s", at_s);
        e.user_id = Some(user.into());
        e.latitude = Some(lat);
        e.longitude = Some(lon);
        e.country_code = Some(country.into());
        e.organization_id = Some(org.into());
        e
    }

    const BERLIN: (f64, f64) = (52.52, 13.405);
    const SAO_PAULO: (f64, f64) = (-23.5505, -46.6333);
    const MUNICH: (f64, f64) = (48.1351, 11.582);

    #[test]
    fn berlin_then_sao_paulo_in_41_minutes_alerts() {
        let out = analyze(&[login(1, "u", 0, BERLIN, "DE", "org_x"), login(2, "u", 41 * 60, SAO_PAULO, "BR", "org_y")]);
        assert_eq!(kinds(&out), vec![(KIND, "u".to_string())]);
        let alert = &out.alerts[0];
        assert_eq!((alert.events, alert.users, alert.severity), (2, 1, Severity::Medium));
        assert_eq!(codes(alert), ["country_changed", "implausible_speed", "organizations_differ"]);
        assert_eq!(alert.organizations, ["org_x", "org_y"]);
        assert_eq!(alert.first_seen, "2026-11-02T00:00:00.000Z");
    }

    #[test]
    fn a_flight_a_nearby_city_and_another_user_do_not_alert() {
        let out = analyze(&[
            login(1, "u", 0, BERLIN, "DE", "org_x"),
            // Munich an hour later: 504 km at 504 km/h, a fast train.
            login(2, "u", 3600, MUNICH, "DE", "org_x"),
            // Sao Paulo 14 hours after Munich: a flight.
            login(3, "u", 15 * 3600, SAO_PAULO, "BR", "org_x"),
            // Someone else in Berlin meanwhile.
            login(4, "v", 15 * 3600 + 60, BERLIN, "DE", "org_x"),
        ]);
        assert!(out.alerts.is_empty(), "{:?}", out.alerts);
    }

    #[test]
    fn logins_read_out_of_order_are_compared_all_the_same() {
        let out = analyze(&[login(2, "u", 41 * 60, SAO_PAULO, "BR", "org_x"), login(1, "u", 0, BERLIN, "DE", "org_x")]);
        assert_eq!(out.alerts.len(), 1);
        assert_eq!(out.alerts[0].first_seen, "2026-11-02T00:00:00.000Z");
        assert_eq!(out.alerts[0].last_seen, "2026-11-02T00:41:00.000Z");
    }
}
