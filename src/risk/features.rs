//! From a login context and the user's history to the facts the rules and
//! the model weigh. Everything history-relative stays off until we have seen
//! the user a few times: on rollout day nobody is "new" to ActionGuard.

use std::collections::HashSet;

use ipnet::IpNet;

use super::agent;
use super::history::{coarse, short_hash, valid_coords, History, Observation};
use super::network;
use crate::clock::solar_hour;
use crate::context::LoginContext;

/// Logins we must have learned before novelty counts against a login.
pub const MIN_HISTORY: u32 = 3;
/// Logins we must have learned before an hour never seen before counts.
pub const MIN_HOURS_HISTORY: u32 = 20;
const IMPOSSIBLE_KMH: f64 = 900.0;
const FAST_KMH: f64 = 500.0;

/// What the tenant and the vendored lists say about networks.
pub struct Environment<'a> {
    pub hosting_asns: &'a HashSet<u32>,
    pub deny_networks: &'a [IpNet],
    pub allow_networks: &'a [IpNet],
    pub deny_countries: &'a [String],
    /// Evidence from the threat feed, already weighed by the policy (`threat::evidence`).
    pub threat: &'a [crate::signals::Signal],
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct Features {
    /// Auth0's overall confidence as risk: 0 high/neutral/absent, 0.5 medium, 1 low.
    pub auth0_confidence: f32,
    pub auth0_impossible_travel: bool,
    pub auth0_substantial_travel: bool,
    pub auth0_anonymous_proxy: bool,
    /// 1 no match, 0.5 partial match.
    pub auth0_new_device: f32,
    pub auth0_deny_list: bool,
    pub known_logins: u32,
    pub distance_km: Option<f64>,
    pub speed_kmh: Option<f64>,
    pub new_country: bool,
    pub new_asn: bool,
    pub new_network: bool,
    pub new_device: bool,
    pub hosting_network: bool,
    pub automation: bool,
    pub headless: bool,
    pub ua_missing: bool,
    pub logins_last_10m: usize,
    pub logins_last_day: usize,
    pub unusual_hour: bool,
    pub network_denied: bool,
    pub network_allowed: bool,
    pub country_denied: bool,
    /// What to learn from this login, in stored (hashed) form; None without a clock.
    pub observation: Option<Observation>,
}

/// The model's inputs, in order. Changing it means retraining the model.
pub const FEATURE_NAMES: [&str; 16] = [
    "auth0_confidence",
    "auth0_impossible_travel",
    "auth0_substantial_travel",
    "auth0_anonymous_proxy",
    "auth0_new_device",
    "auth0_deny_list",
    "log_speed",
    "new_country",
    "new_asn",
    "new_network",
    "new_device",
    "hosting_network",
    "automated_agent",
    "burst",
    "unusual_hour",
    "history_depth",
];

fn flag(b: bool) -> f32 {
    if b {
        1.0
    } else {
        0.0
    }
}

impl Features {
    pub fn vector(&self) -> [f32; 16] {
        let log_speed = self.speed_kmh.map(|s| ((1.0 + s).ln() / (1.0 + 20_000.0f64).ln()).min(1.0) as f32).unwrap_or(0.0);
        [
            self.auth0_confidence,
            flag(self.auth0_impossible_travel),
            flag(self.auth0_substantial_travel),
            flag(self.auth0_anonymous_proxy),
            self.auth0_new_device,
            flag(self.auth0_deny_list),
            log_speed,
            flag(self.new_country),
            flag(self.new_asn),
            flag(self.new_network),
            flag(self.new_device),
            flag(self.hosting_network),
            flag(self.automation || self.headless || self.ua_missing),
            (self.logins_last_10m as f32 / 10.0).min(1.0),
            flag(self.unusual_hour),
            (self.known_logins as f32 / 50.0).min(1.0),
        ]
    }
}

/// Great-circle distance in km (haversine, mean Earth radius).
pub fn haversine_km(lat1: f64, lon1: f64, lat2: f64, lon2: f64) -> f64 {
    let (p1, p2) = (lat1.to_radians(), lat2.to_radians());
    let dp = (lat2 - lat1).to_radians();
    let dl = (lon2 - lon1).to_radians();
    let a = (dp / 2.0).sin().powi(2) + p1.cos() * p2.cos() * (dl / 2.0).sin().powi(2);
    2.0 * 6371.0 * a.sqrt().min(1.0).asin()
}

pub fn extract(ctx: &LoginContext, history: &History, env: &Environment) -> Features {
    let mut f = Features { known_logins: history.n, ..Features::default() };

    if let Some(ra) = ctx.risk_assessment() {
        f.auth0_confidence = match ra.confidence.as_deref() {
            Some("low") => 1.0,
            Some("medium") => 0.5,
            _ => 0.0,
        };
        if let Some(a) = &ra.assessments {
            let code = |x: &Option<crate::context::Assessment>| x.as_ref().and_then(|i| i.code.clone());
            match code(&a.impossible_travel).as_deref() {
                Some("impossible_travel_from_last_login") => f.auth0_impossible_travel = true,
                Some("substantial_travel_from_last_login") => f.auth0_substantial_travel = true,
                Some("anonymous_proxy") => f.auth0_anonymous_proxy = true,
                _ => {}
            }
            f.auth0_new_device = match code(&a.new_device).as_deref() {
                Some("no_match") => 1.0,
                Some("partial_match") => 0.5,
                _ => 0.0,
            };
            f.auth0_deny_list = code(&a.untrusted_ip).as_deref() == Some("found_on_deny_list");
        }
    }

    let request = ctx.request();
    let ip = request.and_then(|r| r.ip.as_deref()).and_then(network::parse_ip);
    let asn = request.and_then(|r| r.asn.as_deref()).and_then(network::parse_asn);
    let geo = ctx.geo();
    let country = geo.and_then(|g| g.country_code.as_deref()).map(str::to_ascii_uppercase);
    let coords = geo.and_then(|g| Some((g.latitude?, g.longitude?))).filter(|(lat, lon)| valid_coords(*lat, *lon));
    let agent = agent::classify(request.and_then(|r| r.user_agent.as_deref()));

    f.hosting_network = asn.is_some_and(|a| env.hosting_asns.contains(&a));
    f.automation = agent.automation;
    f.headless = agent.headless;
    // A request without a user agent is odd; no request at all is just no evidence.
    f.ua_missing = agent.missing && request.is_some();
    if let Some(ip) = ip {
        f.network_denied = network::contains(env.deny_networks, ip);
        f.network_allowed = network::contains(env.allow_networks, ip);
    }
    f.country_denied = country.as_ref().is_some_and(|c| env.deny_countries.contains(c));

    let salt = ctx.user_id().unwrap_or("");
    let net_key = ip.and_then(network::home_prefix).map(|n| short_hash("net", salt, &n.to_string()));
    let dev_key = agent.fingerprint.as_deref().map(|fp| short_hash("dev", salt, fp));
    let asn_key = asn.map(|a| format!("AS{a}"));

    if history.n >= MIN_HISTORY {
        f.new_country = country.as_deref().is_some_and(|c| !History::knows(&history.cc, c));
        f.new_asn = asn_key.as_deref().is_some_and(|a| !History::knows(&history.asn, a));
        f.new_network = net_key.as_deref().is_some_and(|n| !History::knows(&history.net, n));
        f.new_device = dev_key.as_deref().is_some_and(|d| !History::knows(&history.dev, d));
    }

    if f.network_allowed {
        // A network the tenant trusts: whose it is and where it is are not
        // evidence, for the rules and the model alike.
        f.hosting_network = false;
        f.new_asn = false;
        f.new_network = false;
        f.new_country = false;
    }

    let now = ctx.now_ms.map(|ms| (ms / 1000.0).floor() as i64);
    if let Some(now) = now {
        if let (Some(last), Some((lat, lon))) = (&history.last, coords) {
            let km = haversine_km(last.lat, last.lon, lat, lon);
            // Within a minute is "at once"; clocks and geo-IP are not precise enough for less.
            let hours = (now.saturating_sub(last.t).max(60) as f64) / 3600.0;
            f.distance_km = Some(km);
            f.speed_kmh = Some(km / hours);
        }
        f.logins_last_10m = history.logins_within(now, 600);
        f.logins_last_day = history.logins_within(now, 86_400);
        let hour = coords.map(|(_, lon)| solar_hour(now, lon));
        if let Some(h) = hour {
            if history.n >= MIN_HOURS_HISTORY {
                let near = [(h + 23) % 24, h, (h + 1) % 24];
                f.unusual_hour = near.iter().all(|&x| history.hour_count(x) == 0);
            }
        }
        f.observation = Some(Observation {
            t: now,
            cc: country,
            asn: asn_key,
            net: net_key,
            dev: dev_key,
            lat: coords.map(|(lat, _)| coarse(lat)),
            lon: coords.map(|(_, lon)| coarse(lon)),
            hour,
            sid: None,
        });
    }
    f
}

impl Features {
    pub fn impossible_travel(&self) -> bool {
        self.speed_kmh.is_some_and(|s| s > IMPOSSIBLE_KMH) && self.distance_km.is_some_and(|d| d > 500.0)
    }

    pub fn fast_travel(&self) -> bool {
        !self.impossible_travel() && self.speed_kmh.is_some_and(|s| s > FAST_KMH) && self.distance_km.is_some_and(|d| d > 200.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn haversine_matches_known_distances() {
        let ams_nyc = haversine_km(52.3676, 4.9041, 40.7128, -74.0060);
        assert!((ams_nyc - 5860.0).abs() < 30.0, "{ams_nyc}");
        assert_eq!(haversine_km(10.0, 10.0, 10.0, 10.0), 0.0);
        let antipodes = haversine_km(0.0, 0.0, 0.0, 180.0);
        assert!((antipodes - 20015.0).abs() < 5.0);
    }
}
