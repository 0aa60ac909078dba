//! Auth0's adaptive-MFA `riskAssessment` as signals.
//!
//! The signals and their weights are in the catalogue ([`crate::signals`]).
//! Codes that mean "no evidence" (`initial_login`, `assessment_not_available`,
//! ...) add nothing: on rollout day a clean first login is not risky.

use crate::context::Auth0RiskAssessment;
use crate::signals::{self, Signal};

/// (assessment, code) -> signal. Unknown codes add nothing: Auth0 may add
/// codes, and guessing their meaning would be worse than ignoring them.
const TABLE: &[(&str, &str, &Signal)] = &[
    ("ImpossibleTravel", "impossible_travel_from_last_login", &signals::AUTH0_IMPOSSIBLE_TRAVEL),
    ("ImpossibleTravel", "substantial_travel_from_last_login", &signals::AUTH0_SUBSTANTIAL_TRAVEL),
    ("ImpossibleTravel", "anonymous_proxy", &signals::AUTH0_ANONYMOUS_PROXY),
    ("ImpossibleTravel", "invalid_travel", &signals::AUTH0_INVALID_TRAVEL),
    ("NewDevice", "no_match", &signals::AUTH0_NEW_DEVICE),
    ("NewDevice", "partial_match", &signals::AUTH0_DEVICE_PARTIAL_MATCH),
    ("UntrustedIP", "found_on_deny_list", &signals::AUTH0_IP_ON_DENY_LIST),
    ("UntrustedIP", "invalid_ip_address", &signals::AUTH0_INVALID_IP),
];

/// Overall confidence, which corroborates the individual assessments.
const CONFIDENCE: &[(&str, &Signal)] = &[("low", &signals::AUTH0_CONFIDENCE_LOW), ("medium", &signals::AUTH0_CONFIDENCE_MEDIUM)];

pub fn signals(ra: &Auth0RiskAssessment) -> Vec<Signal> {
    let mut out = Vec::new();
    if let Some(a) = &ra.assessments {
        for (name, item) in [("ImpossibleTravel", &a.impossible_travel), ("NewDevice", &a.new_device), ("UntrustedIP", &a.untrusted_ip)] {
            let Some(code) = item.as_ref().and_then(|i| i.code.as_deref()) else {
                continue;
            };
            out.extend(TABLE.iter().filter(|(n, c, _)| *n == name && *c == code).map(|(_, _, s)| (*s).clone()));
        }
    }
    if let Some(conf) = ra.confidence.as_deref() {
        out.extend(CONFIDENCE.iter().filter(|(c, _)| *c == conf).map(|(_, s)| (*s).clone()));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::context::{Assessment, Assessments};

    fn ra(conf: &str, travel: &str, device: &str, ip: &str) -> Auth0RiskAssessment {
        let item = |code: &str| Some(Assessment { code: Some(code.to_string()), confidence: None });
        Auth0RiskAssessment {
            confidence: Some(conf.to_string()),
            assessments: Some(Assessments { impossible_travel: item(travel), new_device: item(device), untrusted_ip: item(ip) }),
        }
    }

    #[test]
    fn clean_and_first_logins_carry_no_evidence() {
        assert!(signals(&ra("high", "minimal_travel_from_last_login", "match", "not_found_on_deny_list")).is_empty());
        assert!(signals(&ra("neutral", "initial_login", "initial_login", "assessment_not_available")).is_empty());
    }

    #[test]
    fn unknown_codes_add_nothing() {
        assert!(signals(&ra("ultra", "teleported", "quantum", "maybe")).is_empty());
    }

    #[test]
    fn every_bad_code_is_mapped() {
        let codes: Vec<_> = signals(&ra("low", "impossible_travel_from_last_login", "no_match", "found_on_deny_list"))
            .into_iter()
            .map(|s| s.code)
            .collect();
        assert_eq!(codes, ["auth0_impossible_travel", "auth0_new_device", "auth0_ip_on_deny_list", "auth0_confidence_low"]);
    }
}
