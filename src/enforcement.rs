//! Monitor mode and gradual enforcement: whether a decision is applied or only
//! watched (policy `enforcement`, per decision kind).
//!
//! A watched decision is made exactly as an enforced one (same score, reasons,
//! history, counters); what differs is the answer's applied part: the shim is told
//! to allow, and the decision proper travels as `would_outcome` (`would_action` for
//! organizations) in the answer and its audit record. Security teams switch a risk
//! engine on in stages (watch, a share of users, everyone), and the stages must not
//! reshuffle users: a user enforced at 10 % stays enforced at 20 %, and is enforced
//! at every login in between. So the share is a stable hash of the subject's
//! pseudonym (the one the audit record carries), cut at `percent`: raising the
//! percentage only adds subjects, and nothing random or time-dependent enters.

use serde::Serialize;
use sha2::{Digest, Sha256};

use crate::decision::Reason;
use crate::policy::{Enforcement, EnforcementMode, Rollout};
use crate::signals;

/// The decision kinds a policy rolls out separately, as `enforcement` names them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Login,
    Signup,
    M2m,
    Organizations,
}

impl Kind {
    pub const ALL: [Kind; 4] = [Kind::Login, Kind::Signup, Kind::M2m, Kind::Organizations];

    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Login => "login",
            Kind::Signup => "signup",
            Kind::M2m => "m2m",
            Kind::Organizations => "organizations",
        }
    }
}

impl Enforcement {
    pub fn of(&self, kind: Kind) -> &Rollout {
        match kind {
            Kind::Login => &self.login,
            Kind::Signup => &self.signup,
            Kind::M2m => &self.m2m,
            Kind::Organizations => &self.organizations,
        }
    }

    /// Every kind's rollout, by the name the policy gives it.
    pub fn kinds(&self) -> impl Iterator<Item = (&'static str, &Rollout)> {
        Kind::ALL.into_iter().map(|k| (k.as_str(), self.of(k)))
    }
}

/// How one decision was treated, as the answer and the audit record carry it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Applied {
    /// The policy's mode for this kind of decision.
    pub mode: EnforcementMode,
    /// The policy's percentage for this kind of decision.
    pub percent: u32,
    /// Whether the decision was applied; false: watched, the answer applies nothing.
    pub enforced: bool,
}

impl Default for Applied {
    fn default() -> Self {
        let rollout = Rollout::default();
        Applied { mode: rollout.mode, percent: rollout.percent, enforced: true }
    }
}

/// A subject's place in the rollout, 0 to 99: the first 64 bits of SHA-256 of
/// the subject (an audit pseudonym, already keyed by the tenant), modulo 100. A
/// subject is enforced when its bucket is below the percentage.
pub fn bucket(subject: &str) -> u32 {
    let digest = Sha256::digest([b"actionguard/enforcement/v1\0".as_slice(), subject.as_bytes()].concat());
    let mut first = [0_u8; 8];
    for (to, from) in first.iter_mut().zip(digest.iter()) {
        *to = *from;
    }
    // Below 100, so the cast is exact.
    (u64::from_be_bytes(first) % 100) as u32
}

/// Whether a decision about `subject` is applied under `rollout`. A decision
/// with no subject to place (a sign-up without an address) is enforced as soon
/// as the percentage is above 0: there is nothing to keep stable, and a
/// rollout under way already enforces somewhere.
pub fn applied(rollout: &Rollout, subject: Option<&str>) -> Applied {
    let enforced = match rollout.mode {
        EnforcementMode::Monitor => false,
        EnforcementMode::Enforce if rollout.percent >= 100 => true,
        EnforcementMode::Enforce => match subject {
            Some(s) => bucket(s) < rollout.percent,
            None => rollout.percent > 0,
        },
    };
    Applied { mode: rollout.mode, percent: rollout.percent, enforced }
}

/// Why a watched decision applies nothing, with the policy's figures; `None`
/// for an enforced one.
pub(crate) fn reason(kind: Kind, applied: &Applied) -> Option<Reason> {
    if applied.enforced {
        return None;
    }
    let kind = kind.as_str();
    Some(match applied.mode {
        EnforcementMode::Monitor => Reason::with(
            &signals::ENFORCEMENT_MONITOR,
            format!("the policy watches {kind} decisions (enforcement.{kind}.mode is monitor): the decision is recorded as would_outcome, nothing is applied"),
        ),
        EnforcementMode::Enforce => Reason::with(
            &signals::ENFORCEMENT_OUTSIDE_PERCENT,
            format!(
                "the subject is outside the {}% of subjects enforcement.{kind}.percent enforces: the decision is recorded as would_outcome, nothing is applied",
                applied.percent
            ),
        ),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::audit::pseudonymize_user;

    fn rollout(mode: EnforcementMode, percent: u32) -> Rollout {
        Rollout { mode, percent }
    }

    /// The issue's acceptance test: over 10,000 pseudonyms, raising the percentage
    /// one point at a time never drops a subject (a user never flips back), and
    /// each share is close to its percentage.
    #[test]
    fn raising_the_percentage_only_adds_subjects_and_shares_match() {
        let subjects: Vec<String> = (0..10_000).map(|i| pseudonymize_user(Some("tenant-1"), &format!("auth0|user{i}"))).collect();
        let mut before: Vec<bool> = vec![false; subjects.len()];
        for percent in 0..=100 {
            let now: Vec<bool> = subjects.iter().map(|s| applied(&rollout(EnforcementMode::Enforce, percent), Some(s)).enforced).collect();
            for (i, (was, is)) in before.iter().zip(&now).enumerate() {
                assert!(!was || *is, "{} left enforcement when the percentage rose to {percent}", subjects[i]);
            }
            let share = now.iter().filter(|e| **e).count() as f64 / subjects.len() as f64 * 100.0;
            // The binomial spread at 10,000 is at most 0.5 points; 2 points is four of it.
            assert!((share - f64::from(percent)).abs() <= 2.0, "{percent}%: {share}% enforced");
            before = now;
        }
        assert!(before.iter().all(|e| *e), "100% enforces everyone");
    }

    #[test]
    fn a_subject_is_placed_the_same_way_every_time() {
        let s = pseudonymize_user(Some("t"), "auth0|1");
        assert_eq!(bucket(&s), bucket(&s));
        assert!(bucket(&s) < 100);
        let at = |p| applied(&rollout(EnforcementMode::Enforce, p), Some(&s)).enforced;
        assert!(!at(bucket(&s)) && at(bucket(&s) + 1));
    }

    #[test]
    fn monitor_applies_nothing_whatever_the_percentage_and_no_subject_is_enforced_from_1() {
        for p in [0, 50, 100] {
            let a = applied(&rollout(EnforcementMode::Monitor, p), Some("u_1"));
            assert_eq!(a, Applied { mode: EnforcementMode::Monitor, percent: p, enforced: false });
            assert_eq!(reason(Kind::Login, &a).map(|r| r.code), Some("enforcement_monitor"));
        }
        assert!(!applied(&rollout(EnforcementMode::Enforce, 0), None).enforced);
        assert!(applied(&rollout(EnforcementMode::Enforce, 1), None).enforced);
        assert!(applied(&Rollout::default(), None).enforced);
        assert_eq!(reason(Kind::Login, &Applied::default()), None);
        let outside = applied(&rollout(EnforcementMode::Enforce, 0), Some("u_1"));
        let why = reason(Kind::M2m, &outside).unwrap();
        assert_eq!(why.code, "enforcement_outside_percent");
        assert!(why.message.contains("0% of subjects enforcement.m2m.percent"), "{}", why.message);
    }

    // ---- The decisions, watched ----

    use serde_json::{json, Value};

    use crate::Engine;

    fn audit_of(answer: &Value) -> Value {
        serde_json::from_str(answer["audit"].as_str().unwrap()).unwrap()
    }

    fn codes(answer: &Value) -> Vec<&str> {
        answer["reasons"].as_array().unwrap().iter().filter_map(|r| r["code"].as_str()).collect()
    }

    /// Impossible travel for a user with OTP: a challenge when enforced.
    fn risky_login(user: &str) -> Value {
        json!({
            "tenant": {"id": "tenant-1"},
            "user": {"user_id": user, "email": "sam@acme.com", "email_verified": true, "enrolledFactors": [{"type": "otp"}]},
            "stats": {"logins_count": 9},
            "request": {"ip": "198.51.100.20", "geoip": {"countryCode": "BR"}},
            "authentication": {"riskAssessment": {"assessments": {"ImpossibleTravel": {"code": "impossible_travel_from_last_login"}}}},
            "discovery": {"available": true},
            "now_ms": 1_800_000_000_000.0_f64,
        })
    }

    fn login(engine: &Engine, ctx: &Value) -> Value {
        serde_json::to_value(engine.decide_login_json(&ctx.to_string())).unwrap()
    }

    #[test]
    fn a_watched_login_applies_nothing_and_learns_what_would_have_happened() {
        let engine = Engine::new(Some(r#"{"version":1,"enforcement":{"login":{"mode":"monitor"}}}"#));
        let a = login(&engine, &risky_login("auth0|1"));
        assert_eq!((a["outcome"].as_str(), a["would_outcome"].as_str()), (Some("allow"), Some("challenge")), "{a}");
        assert!(a.get("mfa").is_none() && a.get("deny_reason").is_none() && a["claims"] == json!([]), "{a}");
        assert_eq!(a["enforcement"], json!({"mode": "monitor", "percent": 100, "enforced": false}));
        assert_eq!(codes(&a).last(), Some(&"enforcement_monitor"));
        // The would-be challenge stays pending; a login the engine would not allow starts no discovery.
        assert!(a["history"]["pending"].is_object(), "{a}");
        assert!(a.get("discovery").is_none(), "{a}");
        let record = audit_of(&a);
        assert_eq!((record["outcome"].as_str(), record["would_outcome"].as_str()), (Some("allow"), Some("challenge")));
        assert_eq!(record["enforcement"]["enforced"], false);
        assert_eq!(record["reasons"].as_array().unwrap().last().unwrap()["code"], "enforcement_monitor");

        // The same login enforced: the answer the watched one recorded.
        let enforced = login(&Engine::new(None), &risky_login("auth0|1"));
        assert_eq!((enforced["outcome"].as_str(), enforced["would_outcome"].as_str()), (Some("challenge"), Some("challenge")));
        assert_eq!(enforced["enforcement"], json!({"mode": "enforce", "percent": 100, "enforced": true}));
        assert_eq!(audit_of(&enforced)["enforcement"]["enforced"], true);

        // A login it would allow is learned and starts discovery, watched or not.
        let mut clean = risky_login("auth0|1");
        clean["authentication"] = json!({});
        let a = login(&engine, &clean);
        assert_eq!((a["outcome"].as_str(), a["would_outcome"].as_str()), (Some("allow"), Some("allow")));
        assert!(a["discovery"].is_object() && a["history"]["n"] == 1, "{a}");
        assert_eq!(a["claims"], json!([]), "a watched login sets no claim");
    }

    #[test]
    fn a_percentage_enforces_the_same_users_at_every_login_and_a_tier_may_watch() {
        let engine = Engine::new(Some(r#"{"version":1,"enforcement":{"login":{"percent":50}}}"#));
        let mut seen = [false, false];
        for user in ["auth0|1", "auth0|2", "auth0|3", "auth0|4", "auth0|5", "auth0|6"] {
            let expected = bucket(&pseudonymize_user(Some("tenant-1"), user)) < 50;
            seen[usize::from(expected)] = true;
            for _ in 0..3 {
                let a = login(&engine, &risky_login(user));
                assert_eq!(a["enforcement"]["enforced"], expected, "{user}: {a}");
                assert_eq!(a["outcome"], if expected { "challenge" } else { "allow" }, "{user}");
                assert_eq!(a["would_outcome"], "challenge");
            }
        }
        assert_eq!(seen, [true, true], "the users span both sides of 50%");

        // A tier watches while the baseline enforces; an organization cannot watch on its own.
        let layered = Engine::new(Some(r#"{"version":1,"tiers":{"pilot":{"enforcement":{"login":{"mode":"monitor"}}}}}"#));
        let mut ctx = risky_login("auth0|1");
        ctx["organization"] = json!({"id": "org_1", "metadata": {"ag_tier": "pilot"}});
        let a = login(&layered, &ctx);
        assert_eq!((a["outcome"].as_str(), a["would_outcome"].as_str()), (Some("allow"), Some("challenge")), "{a}");
        ctx["organization"] =
            json!({"id": "org_2", "metadata": {"ag_policy": "enforcement.login.mode=monitor;enforcement.login.percent=10"}});
        let a = login(&layered, &ctx);
        assert_eq!(a["outcome"], "challenge", "{a}");
        let refused: Vec<&str> = a["warnings"].as_array().unwrap().iter().filter_map(|w| w["path"].as_str()).collect();
        assert_eq!(refused, ["enforcement.login.mode", "enforcement.login.percent"], "{a}");
        // Toward enforcement it may: its own users are enforced while the tier watches.
        ctx["organization"] = json!({"id": "org_3", "metadata": {"ag_tier": "pilot", "ag_policy": "enforcement.login.mode=enforce"}});
        assert_eq!(login(&layered, &ctx)["outcome"], "challenge");
    }

    #[test]
    fn a_watched_sign_up_is_counted_and_refuses_no_one() {
        let engine = Engine::new(Some(r#"{"version":1,"enforcement":{"signup":{"mode":"monitor"}}}"#));
        let ctx = json!({"tenant": {"id": "t"}, "user": {"email": "promo@mailinator.com"},
            "request": {"ip": "203.0.113.9", "user_agent": "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0 Safari/537.36"},
            "counter_secrets": {"counter_key": "0123456789abcdef0123"}, "now_ms": 1_800_000_000_000.0_f64});
        let a = serde_json::to_value(engine.decide_signup_json(&ctx.to_string())).unwrap();
        assert_eq!((a["outcome"].as_str(), a["would_outcome"].as_str()), (Some("allow"), Some("deny")), "{a}");
        assert!(a.get("deny_reason").is_none() && a.get("user_message").is_none(), "{a}");
        assert!(a["counters"]["value"].is_string(), "counted like any other: {a}");
        assert_eq!(codes(&a), ["disposable_email", "enforcement_monitor"]);
        assert_eq!(audit_of(&a)["would_outcome"], "deny");
    }

    #[test]
    fn a_token_outside_the_percentage_is_issued() {
        let ctx = json!({"client": {"client_id": "cli_1"}, "request": {"ip": "203.0.113.9"}});
        let policy = |p: u32| format!(r#"{{"version":1,"m2m":{{"require_listed":true}},"enforcement":{{"m2m":{{"percent":{p}}}}}}}"#);
        let none = serde_json::to_value(Engine::new(Some(&policy(0))).decide_credentials_json(&ctx.to_string())).unwrap();
        assert_eq!((none["outcome"].as_str(), none["would_outcome"].as_str()), (Some("allow"), Some("deny")), "{none}");
        assert!(none.get("deny_code").is_none() && none.get("deny_reason").is_none());
        assert_eq!(codes(&none), ["client_not_listed", "enforcement_outside_percent"]);
        let all = serde_json::to_value(Engine::new(Some(&policy(100))).decide_credentials_json(&ctx.to_string())).unwrap();
        assert_eq!((all["outcome"].as_str(), all["deny_code"].as_str()), (Some("deny"), Some("invalid_request")));
    }

    #[test]
    fn watched_discovery_only_suggests_and_its_marker_does_not_hold_back_enforcement() {
        let records = r#"[{"id":"org_acme","name":"acme","metadata":{"ag_roles":"rol_member"},
            "discovery_domains":[{"domain":"acme.com","status":"verified","use_for_organization_discovery":true}]}]"#;
        let (index, _) = crate::orgmap::OrgIndex::from_records_json(records).unwrap();
        let policy = r#"{"version":1,"organizations":{"self_serve":true},"enforcement":{"organizations":{"mode":"monitor"}}}"#;
        let engine = Engine::new(Some(policy));
        let decide = |email: &str, extra: Value| {
            let mut ctx = json!({"tenant": {"id": "t"}, "user": {"user_id": "auth0|1", "email": email, "email_verified": true},
                "connection": {"name": "db", "strategy": "auth0"}, "now_ms": 1_800_000_000_000.0_f64});
            ctx.as_object_mut().unwrap().extend(extra.as_object().unwrap().clone());
            serde_json::to_value(engine.decide_organization_json(&index, &ctx.to_string())).unwrap()
        };
        let join = decide("sam@acme.com", json!({}));
        assert_eq!((join["action"].as_str(), join["would_action"].as_str()), (Some("suggest"), Some("join")), "{join}");
        assert_eq!(join["candidates"][0]["id"], "org_acme");
        assert!(join.get("organization").is_none() && join["roles"] == json!([]), "{join}");
        assert_eq!(join["marker"]["would_action"], "join");
        let record = audit_of(&join);
        assert_eq!((record["org_action"].as_str(), record["would_action"].as_str()), (Some("suggest"), Some("join")));
        assert_eq!(record["organization"], "org_acme");
        let proposal = decide("founder@newco.example", json!({}));
        assert_eq!((proposal["action"].as_str(), proposal["would_action"].as_str()), (Some("none"), Some("create_for_approval")));
        assert!(proposal.get("proposal").is_none(), "{proposal}");
        let roles = decide("sam@acme.com", json!({"member_of": ["org_acme"], "complete_join": true}));
        assert_eq!((roles["action"].as_str(), roles["would_action"].as_str()), (Some("none"), Some("complete_roles")), "{roles}");

        // Post-login: a watched marker waits while discovery is watched, not once it is enforced.
        let marker = join["marker"].to_string();
        let ctx = json!({"tenant": {"id": "t"}, "user": {"user_id": "auth0|1"}, "now_ms": 1_800_000_100_000.0_f64,
            "discovery": {"available": true, "marker": marker}});
        assert!(login(&engine, &ctx).get("discovery").is_none());
        let enforcing = Engine::new(Some(r#"{"version":1,"organizations":{"self_serve":true}}"#));
        assert_eq!(login(&enforcing, &ctx)["discovery"], json!({"complete_join": false}));
        let mut settled = join["marker"].clone();
        settled.as_object_mut().unwrap().remove("would_action");
        let ctx = json!({"tenant": {"id": "t"}, "user": {"user_id": "auth0|1"}, "now_ms": 1_800_000_100_000.0_f64,
            "discovery": {"available": true, "marker": settled.to_string()}});
        assert!(login(&enforcing, &ctx).get("discovery").is_none(), "an enforced marker waits as before");
    }
}
