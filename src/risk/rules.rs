//! Rules: facts about a login as weighted evidence, each a signal of the
//! catalogue ([`crate::signals`], where the weights and their rationale live).

use super::features::Features;
use crate::signals::{self, Signal};

pub use signals::NETWORK_ALLOWED;

pub fn signals(f: &Features) -> Vec<Signal> {
    let rules: [(bool, Signal); 15] = [
        (f.impossible_travel(), signals::IMPOSSIBLE_TRAVEL),
        (f.fast_travel(), signals::FAST_TRAVEL),
        (f.new_country, signals::NEW_COUNTRY),
        (f.new_asn, signals::NEW_ASN),
        (f.new_network, signals::NEW_NETWORK),
        (f.hosting_network, signals::HOSTING_NETWORK),
        (f.new_device, signals::NEW_DEVICE),
        (f.automation, signals::AUTOMATED_CLIENT),
        (f.headless, signals::HEADLESS_BROWSER),
        (f.ua_missing, signals::MISSING_USER_AGENT),
        (f.logins_last_10m >= 5 && f.logins_last_10m < 10, signals::LOGIN_BURST),
        (f.logins_last_10m >= 10, signals::LOGIN_BURST_HEAVY),
        (f.unusual_hour, signals::UNUSUAL_HOUR),
        (f.network_denied, signals::NETWORK_DENIED),
        (f.country_denied, signals::COUNTRY_DENIED),
    ];
    rules.into_iter().filter(|(hit, _)| *hit).map(|(_, sig)| sig).collect()
}
