//! Auth0's adaptive-MFA `riskAssessment` as signals.
//!
//! Weights are set so that, under the default thresholds (challenge 0.5,
//! deny 0.9), impossible travel or a deny-listed IP alone asks for MFA, both
//! together deny, and a new device alone does not bother the user. Codes that
//! mean "no evidence" (`initial_login`, `assessment_not_available`, ...) add
//! nothing: on rollout day a clean first login is not risky. Impossible travel
//! and a deny-listed IP also set a challenge floor: no model score lowers them.

use super::{Floor, Signal};
use crate::context::RiskAssessment;

/// (assessment, code) -> signal. Unknown codes add nothing: Auth0 may add
/// codes, and guessing their meaning would be worse than ignoring them.
const TABLE: &[(&str, &str, Signal)] = &[
    ("ImpossibleTravel", "impossible_travel_from_last_login", Signal {
        code: "auth0_impossible_travel",
        group: "travel",
        floor: Some(Floor::Challenge),
        weight: 0.8,
        message: "Auth0 reports travel from the last login that is physically impossible",
    }),
    ("ImpossibleTravel", "substantial_travel_from_last_login", Signal {
        code: "auth0_substantial_travel",
        group: "travel",
        floor: None,
        weight: 0.25,
        message: "Auth0 reports substantial travel since the last login",
    }),
    ("ImpossibleTravel", "anonymous_proxy", Signal {
        code: "auth0_anonymous_proxy",
        group: "network",
        floor: None,
        weight: 0.4,
        message: "Auth0 reports the login comes through an anonymous proxy",
    }),
    ("ImpossibleTravel", "invalid_travel", Signal {
        code: "auth0_invalid_travel",
        group: "travel",
        floor: None,
        weight: 0.2,
        message: "Auth0 could not make sense of the travel since the last login",
    }),
    ("NewDevice", "no_match", Signal {
        code: "auth0_new_device",
        group: "device",
        floor: None,
        weight: 0.3,
        message: "Auth0 has not seen this device for this user",
    }),
    ("NewDevice", "partial_match", Signal {
        code: "auth0_device_partial_match",
        group: "device",
        floor: None,
        weight: 0.1,
        message: "Auth0 only partly recognises this device",
    }),
    ("UntrustedIP", "found_on_deny_list", Signal {
        code: "auth0_ip_on_deny_list",
        group: "reputation",
        floor: Some(Floor::Challenge),
        weight: 0.85,
        message: "Auth0 lists this IP address as low-reputation",
    }),
    ("UntrustedIP", "invalid_ip_address", Signal {
        code: "auth0_invalid_ip",
        group: "reputation",
        floor: None,
        weight: 0.2,
        message: "Auth0 could not read the IP address of the request",
    }),
];

/// Overall confidence corroborates the individual assessments; it is weighted
/// low because those assessments already carry the evidence it summarises.
const CONFIDENCE: &[(&str, Signal)] = &[
    ("low", Signal {
        code: "auth0_confidence_low",
        group: "confidence",
        floor: None,
        weight: 0.25,
        message: "Auth0's overall confidence that this is the user is low",
    }),
    ("medium", Signal {
        code: "auth0_confidence_medium",
        group: "confidence",
        floor: None,
        weight: 0.1,
        message: "Auth0's overall confidence that this is the user is medium",
    }),
];

pub fn signals(ra: &RiskAssessment) -> Vec<Signal> {
    let mut out = Vec::new();
    if let Some(a) = &ra.assessments {
        for (name, item) in [
            ("ImpossibleTravel", &a.impossible_travel),
            ("NewDevice", &a.new_device),
            ("UntrustedIP", &a.untrusted_ip),
        ] {
            let Some(code) = item.as_ref().and_then(|i| i.code.as_deref()) else {
                continue;
            };
            out.extend(
                TABLE
                    .iter()
                    .filter(|(n, c, _)| *n == name && *c == code)
                    .map(|(_, _, s)| s.clone()),
            );
        }
    }
    if let Some(conf) = ra.confidence.as_deref() {
        out.extend(CONFIDENCE.iter().filter(|(c, _)| *c == conf).map(|(_, s)| s.clone()));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::context::{Assessment, Assessments};

    fn ra(conf: &str, travel: &str, device: &str, ip: &str) -> RiskAssessment {
        let item = |code: &str| {
            Some(Assessment {
                code: Some(code.to_string()),
                confidence: None,
            })
        };
        RiskAssessment {
            confidence: Some(conf.to_string()),
            assessments: Some(Assessments {
                impossible_travel: item(travel),
                new_device: item(device),
                untrusted_ip: item(ip),
            }),
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
        assert_eq!(
            codes,
            ["auth0_impossible_travel", "auth0_new_device", "auth0_ip_on_deny_list", "auth0_confidence_low"]
        );
    }
}
