//! The one catalogue of signals: every piece of weighted evidence a decision
//! can cite, with its code, group, weight, floor and message. Login risk
//! (`risk::rules`, `risk::auth0`) and sign-up screening (`signup`) take their
//! signals from here, and `docs/reasons.md` is generated from [`CATALOGUE`]
//! (a test fails when it is out of date), so a weight lives in one place.
//!
//! Weights are the strength of one piece of evidence alone, in [0, 1]. Within a
//! group the strongest signal counts; groups combine by noisy-OR
//! (`risk::combine`). Under the default thresholds (challenge 0.5, deny 0.9) a
//! typical account takeover (new country and new device, or a hosting network
//! with an automation client) is challenged, and one ordinary novelty (a new
//! phone, a new Wi-Fi) is not. A floor is the least a login gets whatever its
//! score; sign-up screening reads weights only (it refuses on combined
//! evidence, never on one soft signal).

/// The least a login gets, whatever its score.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Floor {
    Challenge,
    Deny,
}

impl Floor {
    pub fn as_str(self) -> &'static str {
        match self {
            Floor::Challenge => "challenge",
            Floor::Deny => "deny",
        }
    }
}

/// One piece of evidence: a stable code, its group, its weight in [0, 1] (the
/// strength of this evidence alone), an optional floor, and text for people.
#[derive(Debug, Clone, PartialEq)]
pub struct Signal {
    pub code: &'static str,
    pub group: &'static str,
    pub weight: f64,
    pub floor: Option<Floor>,
    pub message: &'static str,
}

const fn s(code: &'static str, group: &'static str, weight: f64, floor: Option<Floor>, message: &'static str) -> Signal {
    Signal { code, group, weight, floor, message }
}

// ---- Travel and location (post-login, from the user's history) ----
pub const IMPOSSIBLE_TRAVEL: Signal =
    s("impossible_travel", "travel", 0.8, Some(Floor::Challenge), "travel from the last login would need more than 900 km/h");
pub const FAST_TRAVEL: Signal = s("fast_travel", "travel", 0.3, None, "travel from the last login would need more than 500 km/h");
pub const NEW_COUNTRY: Signal = s("new_country", "location", 0.35, None, "first login from this country");

// ---- Network ----
pub const NEW_ASN: Signal = s("new_asn", "network", 0.15, None, "first login from this network operator");
pub const NEW_NETWORK: Signal = s("new_network", "network", 0.1, None, "first login from this network");
/// Shared by login and sign-up.
pub const HOSTING_NETWORK: Signal =
    s("hosting_network", "network", 0.35, None, "the request comes from a hosting or VPN provider's network");

// ---- Device and user agent ----
pub const NEW_DEVICE: Signal = s("new_device", "device", 0.25, None, "first login with this browser and operating system");
/// Shared by login and sign-up (sign-up reads no floor).
pub const AUTOMATED_CLIENT: Signal =
    s("automated_client", "agent", 0.6, Some(Floor::Challenge), "the user agent is an HTTP library or tool, not a browser");
/// Shared by login and sign-up (sign-up reads no floor).
pub const HEADLESS_BROWSER: Signal =
    s("headless_browser", "agent", 0.6, Some(Floor::Challenge), "the user agent is a browser driven by a program");
/// Shared by login and sign-up.
pub const MISSING_USER_AGENT: Signal = s("missing_user_agent", "agent", 0.3, None, "the request has no user agent");

// ---- Velocity and time (post-login, from the user's history) ----
pub const LOGIN_BURST: Signal = s("login_burst", "velocity", 0.3, None, "five or more logins in the last ten minutes");
pub const LOGIN_BURST_HEAVY: Signal = s("login_burst_heavy", "velocity", 0.5, None, "ten or more logins in the last ten minutes");
pub const UNUSUAL_HOUR: Signal = s("unusual_hour", "time", 0.1, None, "a local hour at which this user has not logged in before");

// ---- The tenant's policy ----
pub const NETWORK_DENIED: Signal =
    s("network_denied_by_policy", "policy", 1.0, Some(Floor::Deny), "the IP address is on the tenant's deny list");
pub const COUNTRY_DENIED: Signal =
    s("country_denied_by_policy", "policy", 1.0, Some(Floor::Deny), "the country is on the tenant's deny list");
pub const NETWORK_ALLOWED: Signal = s(
    "network_allowed_by_policy",
    "policy",
    0.0,
    None,
    "the IP address is on the tenant's trusted networks: network and location novelty ignored",
);

// ---- Auth0's adaptive-MFA `riskAssessment` (post-login) ----
// Impossible travel or a deny-listed IP alone asks for MFA, both together deny,
// and a new device alone does not bother the user. Both also set a challenge
// floor: no model score lowers them.
pub const AUTH0_IMPOSSIBLE_TRAVEL: Signal = s(
    "auth0_impossible_travel",
    "travel",
    0.8,
    Some(Floor::Challenge),
    "Auth0 reports travel from the last login that is physically impossible",
);
pub const AUTH0_SUBSTANTIAL_TRAVEL: Signal =
    s("auth0_substantial_travel", "travel", 0.25, None, "Auth0 reports substantial travel since the last login");
pub const AUTH0_ANONYMOUS_PROXY: Signal =
    s("auth0_anonymous_proxy", "network", 0.4, None, "Auth0 reports the login comes through an anonymous proxy");
pub const AUTH0_INVALID_TRAVEL: Signal =
    s("auth0_invalid_travel", "travel", 0.2, None, "Auth0 could not make sense of the travel since the last login");
pub const AUTH0_NEW_DEVICE: Signal = s("auth0_new_device", "device", 0.3, None, "Auth0 has not seen this device for this user");
pub const AUTH0_DEVICE_PARTIAL_MATCH: Signal =
    s("auth0_device_partial_match", "device", 0.1, None, "Auth0 only partly recognises this device");
pub const AUTH0_IP_ON_DENY_LIST: Signal =
    s("auth0_ip_on_deny_list", "reputation", 0.85, Some(Floor::Challenge), "Auth0 lists this IP address as low-reputation");
pub const AUTH0_INVALID_IP: Signal = s("auth0_invalid_ip", "reputation", 0.2, None, "Auth0 could not read the IP address of the request");
// Overall confidence corroborates the individual assessments; it is weighted
// low because those assessments already carry the evidence it summarises.
pub const AUTH0_CONFIDENCE_LOW: Signal =
    s("auth0_confidence_low", "confidence", 0.25, None, "Auth0's overall confidence that this is the user is low");
pub const AUTH0_CONFIDENCE_MEDIUM: Signal =
    s("auth0_confidence_medium", "confidence", 0.1, None, "Auth0's overall confidence that this is the user is medium");

/// Which decisions cite a signal.
pub const LOGIN: &[&str] = &["post-login"];
pub const LOGIN_AND_SIGNUP: &[&str] = &["post-login", "pre-user-registration"];

/// Every signal and the decisions that cite it: the source of `docs/reasons.md`.
pub const CATALOGUE: &[(&Signal, &[&str])] = &[
    (&IMPOSSIBLE_TRAVEL, LOGIN),
    (&FAST_TRAVEL, LOGIN),
    (&NEW_COUNTRY, LOGIN),
    (&NEW_ASN, LOGIN),
    (&NEW_NETWORK, LOGIN),
    (&HOSTING_NETWORK, LOGIN_AND_SIGNUP),
    (&NEW_DEVICE, LOGIN),
    (&AUTOMATED_CLIENT, LOGIN_AND_SIGNUP),
    (&HEADLESS_BROWSER, LOGIN_AND_SIGNUP),
    (&MISSING_USER_AGENT, LOGIN_AND_SIGNUP),
    (&LOGIN_BURST, LOGIN),
    (&LOGIN_BURST_HEAVY, LOGIN),
    (&UNUSUAL_HOUR, LOGIN),
    (&NETWORK_DENIED, LOGIN),
    (&COUNTRY_DENIED, LOGIN),
    (&NETWORK_ALLOWED, LOGIN),
    (&AUTH0_IMPOSSIBLE_TRAVEL, LOGIN),
    (&AUTH0_SUBSTANTIAL_TRAVEL, LOGIN),
    (&AUTH0_ANONYMOUS_PROXY, LOGIN),
    (&AUTH0_INVALID_TRAVEL, LOGIN),
    (&AUTH0_NEW_DEVICE, LOGIN),
    (&AUTH0_DEVICE_PARTIAL_MATCH, LOGIN),
    (&AUTH0_IP_ON_DENY_LIST, LOGIN),
    (&AUTH0_INVALID_IP, LOGIN),
    (&AUTH0_CONFIDENCE_LOW, LOGIN),
    (&AUTH0_CONFIDENCE_MEDIUM, LOGIN),
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_unique_and_weights_in_range() {
        let mut codes: Vec<&str> = CATALOGUE.iter().map(|(s, _)| s.code).collect();
        codes.sort_unstable();
        let before = codes.len();
        codes.dedup();
        assert_eq!(before, codes.len(), "a signal code is declared twice");
        for (signal, used_by) in CATALOGUE {
            assert!((0.0..=1.0).contains(&signal.weight), "{}", signal.code);
            assert!(!used_by.is_empty(), "{}", signal.code);
        }
    }
}
