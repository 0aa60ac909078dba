//! Rules: facts about a login as weighted evidence. The weights put a typical
//! account takeover (new country and new device, or a hosting network with
//! an automation client) above the default challenge threshold, and keep one
//! ordinary novelty (a new phone, a new Wi-Fi) below it.

use super::features::Features;
use super::{Floor, Signal};

const fn s(code: &'static str, group: &'static str, weight: f64, floor: Option<Floor>, message: &'static str) -> Signal {
    Signal { code, group, weight, floor, message }
}

const IMPOSSIBLE_TRAVEL: Signal = s("impossible_travel", "travel", 0.8, Some(Floor::Challenge),
    "travel from the last login would need more than 900 km/h");
const FAST_TRAVEL: Signal = s("fast_travel", "travel", 0.3, None,
    "travel from the last login would need more than 500 km/h");
const NEW_COUNTRY: Signal = s("new_country", "location", 0.35, None,
    "first login from this country");
const NEW_ASN: Signal = s("new_asn", "network", 0.15, None,
    "first login from this network operator");
const NEW_NETWORK: Signal = s("new_network", "network", 0.1, None,
    "first login from this network");
const HOSTING_NETWORK: Signal = s("hosting_network", "network", 0.35, None,
    "the login comes from a hosting or VPN provider's network");
const NEW_DEVICE: Signal = s("new_device", "device", 0.25, None,
    "first login with this browser and operating system");
const AUTOMATION: Signal = s("automated_client", "agent", 0.6, Some(Floor::Challenge),
    "the user agent is an HTTP library or tool, not a browser");
const HEADLESS: Signal = s("headless_browser", "agent", 0.6, Some(Floor::Challenge),
    "the user agent is a browser driven by a program");
const NO_AGENT: Signal = s("missing_user_agent", "agent", 0.3, None,
    "the request has no user agent");
const BURST: Signal = s("login_burst", "velocity", 0.3, None,
    "five or more logins in the last ten minutes");
const HEAVY_BURST: Signal = s("login_burst_heavy", "velocity", 0.5, None,
    "ten or more logins in the last ten minutes");
const UNUSUAL_HOUR: Signal = s("unusual_hour", "time", 0.1, None,
    "a local hour at which this user has not logged in before");
const NETWORK_DENIED: Signal = s("network_denied_by_policy", "policy", 1.0, Some(Floor::Deny),
    "the IP address is on the tenant's deny list");
const COUNTRY_DENIED: Signal = s("country_denied_by_policy", "policy", 1.0, Some(Floor::Deny),
    "the country is on the tenant's deny list");
pub const NETWORK_ALLOWED: Signal = s("network_allowed_by_policy", "policy", 0.0, None,
    "the IP address is on the tenant's trusted networks: network and location novelty ignored");

pub fn signals(f: &Features) -> Vec<Signal> {
    let rules: [(bool, Signal); 15] = [
        (f.impossible_travel(), IMPOSSIBLE_TRAVEL),
        (f.fast_travel(), FAST_TRAVEL),
        (f.new_country, NEW_COUNTRY),
        (f.new_asn, NEW_ASN),
        (f.new_network, NEW_NETWORK),
        (f.hosting_network, HOSTING_NETWORK),
        (f.new_device, NEW_DEVICE),
        (f.automation, AUTOMATION),
        (f.headless, HEADLESS),
        (f.ua_missing, NO_AGENT),
        (f.logins_last_10m >= 5 && f.logins_last_10m < 10, BURST),
        (f.logins_last_10m >= 10, HEAVY_BURST),
        (f.unusual_hour, UNUSUAL_HOUR),
        (f.network_denied, NETWORK_DENIED),
        (f.country_denied, COUNTRY_DENIED),
    ];
    rules.into_iter().filter(|(hit, _)| *hit).map(|(_, sig)| sig).collect()
}
