//! Every key of the policy, tightened and loosened by an organization's override.

use serde_json::{json, Value};

use super::{entry, DIRECTIONS};
use crate::policy::Policy;

/// `(pair path, what the layers below set (compact form, as a tier), the
/// override's value, whether it applies)`. A refused value leaves the key as
/// the layers below set it.
const CASES: &[(&str, &str, &str, bool)] = &[
    ("thresholds.challenge", "", "0.4", true),
    ("thresholds.challenge", "", "0.6", false),
    ("thresholds.deny", "", "0.8", true),
    ("thresholds.deny", "", "0.95", false),
    // The band [0.4, 0.5) below the challenge threshold 0.5 falls back to challenge.
    ("ambiguous.from", "", "0.3", true),
    ("ambiguous.from", "", "0.45", false),
    ("ambiguous.to", "", "0.6", true),
    ("ambiguous.to", "", "0.45", false),
    // With the LLM on, a band reaching over the challenge threshold lets it allow challenged scores.
    ("ambiguous.to", "llm.enabled=true", "0.6", false),
    // Security review: with the LLM on, a band under a challenge fallback still challenges
    // whenever the LLM does not answer; moving the band away loses that challenge.
    ("ambiguous.from", "llm.enabled=true;thresholds.challenge=0.6;ambiguous.from=0.05;ambiguous.to=0.6", "0.6", false),
    ("ambiguous.to", "llm.enabled=true;thresholds.challenge=0.6;ambiguous.from=0.05;ambiguous.to=0.6", "0.06", false),
    ("ambiguous.from", "llm.enabled=true", "0.5", false),
    ("ambiguous.fallback", "ambiguous.fallback=allow", "challenge", true),
    ("ambiguous.fallback", "", "allow", false),
    ("mfa.mode", "", "always", true),
    ("mfa.mode", "", "never", false),
    ("mfa.mode", "mfa.mode=always", "risk_based", false),
    ("mfa.factors", "", "[otp]", true),
    ("mfa.factors", "mfa.factors=[otp]", "[otp,email]", false),
    ("mfa.unenrolled", "", "deny", true),
    ("mfa.unenrolled", "mfa.unenrolled=deny", "enroll", false),
    ("mfa.non_interactive", "mfa.non_interactive=allow", "deny", true),
    ("mfa.non_interactive", "", "allow", false),
    ("fail_mode", "", "deny", true),
    ("fail_mode", "", "allow", false),
    ("fail_mode", "fail_mode=deny", "challenge", false),
    ("claims.namespace", "", "https://actionguard.dev/", true),
    ("claims.namespace", "", "https://other.example/", false),
    ("claims.risk_level", "claims.risk_level=false", "true", true),
    ("claims.risk_level", "", "false", false),
    ("networks.deny", "networks.deny=[203.0.113.0/24]", "[203.0.113.0/24,192.0.2.7]", true),
    ("networks.deny", "networks.deny=[203.0.113.0/24]", "[203.0.0.0/16]", true),
    ("networks.deny", "networks.deny=[203.0.113.0/24]", "[203.0.113.0/25]", false),
    ("networks.deny", "networks.deny=[203.0.113.0/24]", "[]", false),
    ("networks.allow", "networks.allow=[198.51.100.0/24]", "[198.51.100.0/26]", true),
    ("networks.allow", "networks.allow=[198.51.100.0/24]", "[198.51.100.0/24,10.0.0.0/8]", false),
    ("networks.allow", "", "[10.0.0.0/8]", false),
    ("countries.deny", "countries.deny=[KP]", "[KP,IR]", true),
    ("countries.deny", "countries.deny=[KP]", "[]", false),
    ("countries.deny", "countries.deny=[KP,IR]", "[IR]", false),
    ("signup.block_disposable", "signup.block_disposable=false", "true", false),
    ("signup.block_disposable", "", "false", false),
    ("signup.block_free_mail", "", "true", false),
    ("signup.block_free_mail", "signup.block_free_mail=true", "false", false),
    ("signup.blocked_domains", "signup.blocked_domains=[spam.example]", "[spam.example,junk.example]", false),
    ("signup.blocked_domains", "signup.blocked_domains=[mail.spam.example]", "[spam.example]", false),
    ("signup.blocked_domains", "signup.blocked_domains=[spam.example]", "[junk.example]", false),
    ("signup.allowed_domains", "", "[acme.example]", false),
    ("signup.allowed_domains", "signup.allowed_domains=[acme.example]", "[eu.acme.example]", false),
    ("signup.allowed_domains", "signup.allowed_domains=[acme.example]", "[]", false),
    ("signup.allowed_domains", "signup.allowed_domains=[acme.example]", "[acme.example,evil.example]", false),
    ("signup.velocity.window_minutes", "", "60", false),
    ("signup.velocity.window_minutes", "", "5", false),
    ("signup.velocity.per_ip", "", "3", false),
    ("signup.velocity.per_ip", "", "10", false),
    ("signup.velocity.per_ip", "", "0", false),
    ("signup.velocity.per_network", "", "10", false),
    ("signup.velocity.per_network", "", "0", false),
    ("signup.velocity.per_domain", "", "50", false),
    ("signup.velocity.per_domain", "signup.velocity.per_domain=50", "0", false),
    ("signup.deny_score", "", "0.5", false),
    ("signup.deny_score", "", "0.9", false),
    ("m2m.require_listed", "", "true", false),
    ("m2m.require_listed", "m2m.require_listed=true", "false", false),
    ("m2m.clients.svc.networks", "m2m.clients.svc.networks=[10.0.0.0/8]", "[10.0.0.0/8]", true),
    ("m2m.clients.svc.scopes", "", "[read:x]", false),
    ("m2m.clients.svc.networks", "m2m.clients.svc.networks=[10.0.0.0/8]", "[10.0.0.0/16]", false),
    ("organizations.auto_join", "", "false", false),
    ("organizations.auto_join", "organizations.auto_join=false", "true", false),
    ("organizations.invite_unverified", "", "false", false),
    ("organizations.invite_unverified", "organizations.invite_unverified=false", "true", false),
    ("organizations.self_serve", "organizations.self_serve=true", "false", false),
    ("organizations.self_serve", "", "true", false),
    ("organizations.trusted_connections", "organizations.trusted_connections=[okta-a,okta-b]", "[okta-a]", false),
    ("organizations.trusted_connections", "organizations.trusted_connections=[okta-a]", "[okta-a,customer-x-sso]", false),
    ("organizations.blocked_domains", "", "[gmail.com]", false),
    ("organizations.blocked_domains", "organizations.blocked_domains=[gmail.com]", "[]", false),
    ("organizations.trust_metadata_domains", "organizations.trust_metadata_domains=true", "false", false),
    ("organizations.trust_metadata_domains", "", "true", false),
    ("organizations.role_attribute", "", "department", true),
    ("organizations.role_attribute", "", "team", false),
    ("organizations.default_roles", "organizations.default_roles=[rol_a,rol_b]", "[rol_a]", false),
    ("organizations.default_roles", "organizations.default_roles=[rol_a]", "[rol_a,rol_admin]", false),
    ("organizations.assignable_roles", "", "[rol_member]", false),
    ("organizations.overridable", "organizations.overridable=[mfa.mode,fail_mode]", "[fail_mode]", true),
    ("organizations.overridable", "", "[countries]", false),
    // The instance's one index: the tenant's to set (the same value is no change).
    ("organizations.live_index_max", "", "1000", true),
    ("organizations.live_index_max", "", "10", false),
    ("organizations.index_max_age_seconds", "", "3600", true),
    ("organizations.index_max_age_seconds", "", "300", false),
    ("organizations.unsigned_tier", "", "t", false),
    ("organizations.unsigned_tier", "organizations.unsigned_tier=t", "t", true),
    // Security review: under an `allow` fallback the LLM is what denies; switching it
    // off, or trusting it less, loosens (the score ladder's strict end).
    ("llm.enabled", "llm.enabled=true;llm.may_deny=true;ambiguous.from=0.2;ambiguous.fallback=allow", "false", false),
    ("llm.min_confidence", "llm.enabled=true;llm.may_deny=true;ambiguous.from=0.2;ambiguous.fallback=allow", "0.99", false),
    ("llm.timeout_ms", "llm.may_deny=true", "1000", false),
    ("llm.enabled", "llm.enabled=true", "false", true),
    ("llm.enabled", "", "true", false),
    ("llm.timeout_ms", "", "1000", true),
    ("llm.timeout_ms", "", "3000", false),
    ("llm.max_per_minute", "", "10", true),
    ("llm.max_per_minute", "", "100", false),
    ("llm.breaker.failures", "", "2", true),
    ("llm.breaker.failures", "", "5", false),
    ("llm.breaker.cooldown_seconds", "", "120", true),
    ("llm.breaker.cooldown_seconds", "", "30", false),
    ("llm.min_confidence", "", "0.9", true),
    ("llm.min_confidence", "", "0.5", false),
    ("llm.may_deny", "", "true", true),
    ("llm.may_deny", "llm.may_deny=true", "false", false),
    ("llm.organizations", "llm.organizations=true", "false", false),
    ("llm.organizations", "", "true", false),
    ("llm.share_domain", "llm.share_domain=true", "false", false),
    ("llm.share_domain", "", "true", false),
    // A tier may watch while the baseline enforces; an organization only moves toward enforcement.
    ("enforcement.login.mode", "enforcement.login.mode=monitor", "enforce", true),
    ("enforcement.login.mode", "", "monitor", false),
    ("enforcement.login.percent", "enforcement.login.percent=10", "50", true),
    ("enforcement.login.percent", "", "50", false),
    // Read on the baseline only: refused even toward enforcement, which would not happen.
    ("enforcement.signup.mode", "enforcement.signup.mode=monitor", "enforce", false),
    ("enforcement.signup.mode", "", "monitor", false),
    ("enforcement.signup.percent", "enforcement.signup.percent=0", "100", false),
    ("enforcement.m2m.mode", "enforcement.m2m.mode=monitor", "enforce", false),
    ("enforcement.m2m.percent", "enforcement.m2m.percent=25", "24", false),
    ("enforcement.organizations.mode", "enforcement.organizations.mode=enforce", "monitor", false),
    ("enforcement.organizations.percent", "enforcement.organizations.percent=5", "100", false),
    ("threat_feed.enabled", "threat_feed.enabled=false", "true", true),
    ("threat_feed.enabled", "", "false", false),
    ("threat_feed.weights.network_under_attack", "", "0.9", true),
    ("threat_feed.weights.network_under_attack", "", "0.1", false),
    ("threat_feed.weights.account_under_attack", "", "0.7", true),
    ("threat_feed.weights.account_under_attack", "", "0.2", false),
    ("threat_feed.floors.network_under_attack", "", "deny", true),
    ("threat_feed.floors.network_under_attack", "", "none", false),
    ("threat_feed.floors.account_under_attack", "threat_feed.floors.account_under_attack=none", "challenge", true),
    ("threat_feed.floors.account_under_attack", "threat_feed.floors.account_under_attack=deny", "challenge", false),
    ("threat_feed.max_age_seconds", "", "300", true),
    ("threat_feed.max_age_seconds", "", "60", false),
    ("threat_feed.budget_ms", "", "500", true),
    ("threat_feed.budget_ms", "", "2000", false),
    ("governance.review.stale_days", "", "30", false),
    ("governance.members_import.max_per_run", "", "1", false),
];

fn effective(below: &str, overlay: &str) -> Value {
    let tier = crate::layers::parse_override(below).unwrap();
    let baseline = json!({"version": 1, "tiers": {"t": tier}}).to_string();
    let meta = json!({"ag_tier": "t", "ag_policy": overlay}).to_string();
    serde_json::to_value(crate::effective_policy_json(&baseline, &meta, None, None)).unwrap()
}

fn at<'a>(doc: &'a Value, path: &str) -> &'a Value {
    doc.pointer(&format!("/{}", path.replace('.', "/"))).unwrap_or(&Value::Null)
}

#[test]
fn every_key_only_tightens_unless_the_tenant_says_otherwise() {
    for (path, below, value, applies) in CASES {
        let overlay = format!("{path}={value}");
        let got = effective(below, &overlay);
        let expected = crate::layers::parse_override(&overlay).unwrap();
        let policy = &got["policy"];
        let refused: Vec<&str> = got["rejected"].as_array().unwrap().iter().filter_map(|w| w["code"].as_str()).collect();
        if *applies {
            assert!(refused.is_empty(), "{overlay} on `{below}` was refused: {got}");
            assert_eq!(at(policy, path), at(&expected, path), "{overlay} on `{below}`");
        } else {
            assert_eq!(refused, ["policy_override_loosens"], "{overlay} on `{below}`: {got}");
            let message = got["rejected"][0]["message"].as_str().unwrap();
            assert!(message.contains(&format!("`{path}`")), "{message}");
            let key = entry(path).unwrap().0;
            let below_doc = effective(below, "");
            assert_eq!(at(policy, key), at(&below_doc["policy"], key), "{overlay} on `{below}` changed the key");
            // A tenant may let organizations set it freely.
            let free = effective(&format!("{below};organizations.overridable=[{key}]"), &overlay);
            assert!(free["rejected"].as_array().unwrap().is_empty(), "{overlay} with `{key}` overridable: {free}");
            assert_eq!(at(&free["policy"], path), at(&expected, path));
        }
    }
}

/// The leaf keys of the policy document: every one needs a direction.
fn leaves(prefix: &str, v: &Value, out: &mut Vec<String>) {
    match v {
        Value::Object(m) if !m.is_empty() => {
            for (k, v) in m {
                leaves(&if prefix.is_empty() { k.clone() } else { format!("{prefix}.{k}") }, v, out);
            }
        }
        _ => out.push(prefix.to_string()),
    }
}

#[test]
fn every_key_has_a_direction_and_is_tested_both_ways() {
    let mut keys = Vec::new();
    leaves("", &serde_json::to_value(Policy::default()).unwrap(), &mut keys);
    keys.retain(|k| k != "version");
    for key in &keys {
        // Its own entry, or a whole section no layer above the baseline reads.
        let governed =
            entry(key).is_some_and(|(k, d)| k == key || matches!(d, super::Direction::Unread) && key.starts_with(&format!("{k}.")));
        assert!(governed, "`{key}` has no direction in policy::direction::DIRECTIONS");
    }
    for (key, direction) in DIRECTIONS {
        assert!(keys.iter().any(|k| k == key || k.starts_with(&format!("{key}."))), "`{key}` in DIRECTIONS is not a key of the policy");
        let cases = || CASES.iter().filter(|(path, ..)| entry(path).is_some_and(|(k, _)| k == *key));
        assert!(cases().any(|c| !c.3), "`{key}`: no case shows a loosening refused");
        if !matches!(direction, super::Direction::Unread) {
            assert!(cases().any(|c| c.3), "`{key}`: no case shows a value accepted");
        }
    }
}

/// Security review (issue 16), item 1, with its input.
#[test]
fn an_override_cannot_switch_off_the_baseline_and_tier_controls() {
    let baseline = json!({"version": 1, "countries": {"deny": ["KP"]}, "tiers": {"regulated": {
        "mfa": {"mode": "always"}, "thresholds": {"challenge": 0.3, "deny": 0.8}, "ambiguous": {"from": 0.2, "to": 0.3}}}})
    .to_string();
    let attack = "countries.deny=[];mfa.mode=never;thresholds.challenge=1;thresholds.deny=1;ambiguous.from=1;ambiguous.to=1";
    let got = serde_json::to_value(crate::effective_policy_json(
        &baseline,
        &json!({"ag_tier": "regulated", "ag_policy": attack}).to_string(),
        None,
        None,
    ))
    .unwrap();
    assert_eq!(got["layers"], json!(["baseline", "tier:regulated"]), "{got}");
    assert_eq!(got["policy"]["countries"]["deny"], json!(["KP"]));
    assert_eq!(got["policy"]["mfa"]["mode"], "always");
    assert_eq!(got["policy"]["thresholds"], json!({"challenge": 0.3, "deny": 0.8}));
    let rejected: Vec<(&str, &str)> =
        got["rejected"].as_array().unwrap().iter().map(|w| (w["code"].as_str().unwrap(), w["path"].as_str().unwrap_or(""))).collect();
    assert_eq!(rejected.len(), 6, "{got}");
    assert!(rejected.contains(&("policy_override_loosens", "countries.deny")));
    assert!(rejected.contains(&("policy_override_loosens", "mfa.mode")));

    // One bad pair no longer voids the others: the tightening stays.
    let mixed = serde_json::to_value(crate::effective_policy_json(
        r#"{"version":1,"countries":{"deny":["KP"]}}"#,
        &json!({"ag_policy": "mfa.mode=always;countries.deny=[kp]"}).to_string(),
        None,
        None,
    ))
    .unwrap();
    assert_eq!(mixed["layers"], json!(["baseline", "organization"]));
    assert_eq!(mixed["policy"]["mfa"]["mode"], "always");
    assert_eq!(mixed["policy"]["countries"]["deny"], json!(["KP"]));
    assert_eq!(mixed["rejected"][0]["code"], "policy_layer_rejected");
}

#[test]
fn a_login_from_a_denied_country_stays_denied_and_the_audit_names_the_refused_keys() {
    let engine = crate::Engine::new(Some(
        r#"{"version":1,"countries":{"deny":["KP"]},"tiers":{"regulated":{"mfa":{"mode":"always"},"thresholds":{"challenge":0.3,"deny":0.8},"ambiguous":{"from":0.2,"to":0.3}}}}"#,
    ));
    let ctx = json!({
        "user": {"user_id": "auth0|1", "enrolledFactors": [{"type": "otp"}]},
        "request": {"ip": "175.45.176.1", "user_agent": "curl/8.4.0", "geoip": {"countryCode": "KP"}},
        "organization": {"id": "org_1", "metadata": {"ag_tier": "regulated",
            "ag_policy": "countries.deny=[];mfa.mode=never;thresholds.challenge=1;thresholds.deny=1;ambiguous.from=1;ambiguous.to=1"}},
        "authentication": {"riskAssessment": {"assessments": {
            "UntrustedIP": {"code": "found_on_deny_list"}, "ImpossibleTravel": {"code": "impossible_travel_from_last_login"}}}}});
    let answer = serde_json::to_value(engine.decide_login_json(&ctx.to_string())).unwrap();
    assert_eq!(answer["outcome"], "deny", "{answer}");
    let audit: Value = serde_json::from_str(answer["audit"].as_str().unwrap()).unwrap();
    let refused = audit["policy"]["refused"].as_array().unwrap();
    assert!(refused.contains(&json!("countries.deny")) && refused.contains(&json!("mfa.mode")), "{audit}");
    assert!(audit["warnings"].as_array().unwrap().contains(&json!("policy_override_loosens")));
}

/// Random overrides from every key and a pool of values, on a baseline with
/// every section in use: the result is never looser than the baseline.
#[test]
fn no_combination_of_pairs_loosens_any_key() {
    let below = crate::policy::parse_policy(
        r#"{"version":1,"networks":{"deny":["192.0.2.0/24"],"allow":["198.51.100.0/24"]},"countries":{"deny":["KP"]},
        "llm":{"enabled":true,"may_deny":true},"signup":{"allowed_domains":["acme.example"],"velocity":{"per_domain":3}},
        "organizations":{"trusted_connections":["okta-a"],"default_roles":["rol_a"]},
        "thresholds":{"challenge":0.6,"deny":0.9},"ambiguous":{"from":0.4,"to":0.6}}"#,
    )
    .unwrap();
    let values = [
        "0",
        "0.2",
        "0.45",
        "0.5",
        "0.7",
        "0.95",
        "1",
        "-1",
        "3",
        "100",
        "true",
        "false",
        "always",
        "never",
        "risk_based",
        "deny",
        "allow",
        "challenge",
        "enroll",
        "[]",
        "[KP]",
        "[IR]",
        "[kp]",
        "[192.0.2.0/25]",
        "[10.0.0.0/8]",
        "[otp]",
        "[acme.example]",
        "[gmail.com]",
        "[okta-a,okta-b]",
        "[rol_a]",
        "[mfa]",
        "x",
    ];
    let mut keys: Vec<&str> = DIRECTIONS.iter().map(|(k, _)| *k).collect();
    keys.push("m2m.clients.svc.scopes");
    let mut state = 0x9E37_79B9_7F4A_7C15_u64;
    let mut next = |n: usize| {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        usize::try_from(state % n as u64).unwrap()
    };
    let b = serde_json::to_value(&below).unwrap();
    // And end to end: the same logins are decided no more leniently.
    let logins = [
        json!({"user": {"user_id": "auth0|1", "enrolledFactors": [{"type": "otp"}]}, "request": {"ip": "192.0.2.9", "geoip": {"countryCode": "KP"}}}),
        json!({"user": {"user_id": "auth0|1", "enrolledFactors": [{"type": "otp"}]},
            "authentication": {"riskAssessment": {"assessments": {"NewDevice": {"code": "no_match"}, "ImpossibleTravel": {"code": "impossible_travel_from_last_login"}}}}}),
        json!({"user": {"user_id": "auth0|1"}, "authentication": {"riskAssessment": {"assessments": {"NewDevice": {"code": "no_match"}}}}}),
    ];
    let rank = |answer: &Value| match (answer["outcome"].as_str(), answer["mfa"]["kind"].as_str()) {
        (Some("deny"), _) => 3,
        (Some("challenge"), _) => 2,
        (_, Some(_)) => 1,
        _ => 0,
    };
    let decided = |policy: &Policy| {
        let engine = crate::Engine::new(Some(&serde_json::to_string(policy).unwrap()));
        assert!(engine.policy_errors().is_empty());
        logins.iter().map(|ctx| rank(&serde_json::to_value(engine.decide_login_json(&ctx.to_string())).unwrap())).collect::<Vec<u8>>()
    };
    let floor = decided(&below);
    assert_eq!(floor, [3, 2, 0], "the logins should span the outcomes");
    for round in 0..3000 {
        let text: Vec<String> = (0..1 + next(6)).map(|_| format!("{}={}", keys[next(keys.len())], values[next(values.len())])).collect();
        let text = text.join(";");
        let (Some(after), _, _) = crate::layers::apply_override(&below, &text) else { continue };
        let a = serde_json::to_value(&after).unwrap();
        for (key, _) in DIRECTIONS {
            let why = super::loosening(key, &b, &a).or_else(|| super::ladder_loosening(&below, &after));
            assert!(why.is_none(), "`{text}` loosened `{key}`: {why:?}");
        }
        if round % 10 == 0 {
            let got = decided(&after);
            assert!(got.iter().zip(&floor).all(|(g, f)| g >= f), "`{text}`: {got:?} is more lenient than {floor:?}");
        }
    }
}
