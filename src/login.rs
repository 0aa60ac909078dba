//! The post-login decision: the login's risk (rules, Auth0's `riskAssessment`,
//! the user's history, the embedded model) under the organization's layers,
//! the policy's thresholds and floors, an LLM escalation for an ambiguous score,
//! the history to write back, and the audit record.

use std::collections::BTreeMap;

use serde::Serialize;

use crate::answer::{Answer, Issue};
use crate::audit::{self, AuditLlm};
use crate::context::{self, LoginContext};
use crate::decision::{self, Decision, LoginDecision, Outcome, TokenClaim};
use crate::signals::Floor;
use crate::{clock, enforcement, llm, orgmap, risk, threat, Engine, Policy};

impl Engine {
    /// The user's history as this login finds it (a pending observation
    /// confirmed by its MFA is learned first), and the login's risk. The flag
    /// says the history already differs from what is stored (confirmed, or
    /// rebuilt from garbage, which must not stay) and must be written back.
    fn assess(
        &self,
        ctx: &LoginContext,
        feed: Option<&threat::Feed>,
        warnings: &mut Vec<Issue>,
    ) -> (risk::History, bool, risk::RiskAssessment) {
        let (mut history, history_warning) = risk::History::from_stored(ctx.history.as_ref().map(|h| h.text()));
        let reset = history_warning.is_some();
        warnings.extend(history_warning);
        let changed = history.confirm_pending(ctx.mfa_completed_at(), ctx.session_key().as_deref()) || reset;
        let ip = ctx.request().and_then(|r| r.ip.as_deref()).and_then(risk::network::parse_ip);
        let query = threat::Query { tenant: ctx.tenant_id(), ip, user_id: ctx.user_id(), now_ms: ctx.now_ms };
        let threat = self.threat_evidence(feed, ctx.threat_feed.as_ref(), query, warnings);
        let env = risk::Environment {
            hosting_asns: self.hosting_asns,
            deny_networks: &self.deny_networks,
            allow_networks: &self.allow_networks,
            deny_countries: &self.policy.countries.deny,
            threat: &threat,
        };
        let risk = risk::assess(ctx, &history, &env, risk::model::embedded());
        (history, changed, risk)
    }

    /// The post-login decision for a context given as JSON text.
    pub fn decide_login_json(&self, context_json: &str) -> Answer<LoginDecision> {
        self.decide_login_json_with_feed(context_json, None)
    }

    /// The post-login decision for a context given as JSON text, consulting a verified threat feed.
    pub fn decide_login_json_with_feed(&self, context_json: &str, feed: Option<&threat::Feed>) -> Answer<LoginDecision> {
        match LoginContext::from_json(context_json) {
            Ok((ctx, warnings)) => self.decide_login_with_feed(&ctx, warnings, feed),
            Err(err) => Answer::failure(err),
        }
    }

    pub fn decide_login(&self, ctx: &LoginContext, warnings: Vec<Issue>) -> Answer<LoginDecision> {
        self.decide_login_with_feed(ctx, warnings, None)
    }

    /// The post-login decision; `feed`, when the host holds one, adds what it lists for the
    /// login's address and user (`threat::evidence`), weighed by the organization's layers.
    pub fn decide_login_with_feed(
        &self,
        ctx: &LoginContext,
        mut warnings: Vec<Issue>,
        feed: Option<&threat::Feed>,
    ) -> Answer<LoginDecision> {
        let meta = ctx.organization.as_ref().and_then(|o| o.metadata.as_ref());
        let key = ctx.organization_layers_key.as_ref().map(context::Secret::expose);
        if let Some((engine, rejected)) = self.layered_for(ctx.organization_id(), meta, key) {
            warnings.extend(rejected);
            return engine.decide_login_on_layers(ctx, warnings, feed);
        }
        self.decide_login_on_layers(ctx, warnings, feed)
    }

    fn decide_login_on_layers(&self, ctx: &LoginContext, mut warnings: Vec<Issue>, feed: Option<&threat::Feed>) -> Answer<LoginDecision> {
        warnings.extend(self.policy_warnings());

        let (mut history, mut history_changed, risk) = self.assess(ctx, feed, &mut warnings);
        let refusal = orgmap::login_domain_refusal(ctx);
        let options = self.escalation_options(ctx, &risk, refusal.is_none(), &mut warnings);
        let names: Vec<&str> = options.iter().map(|o| o.as_str()).collect();
        let exchange = ctx.llm.as_ref().filter(|_| !options.is_empty());
        let budget = exchange.map(|e| llm::settle_within_budget(e, &names, &self.policy.llm, ctx.now_ms.unwrap_or(0.0)));
        let (settled, cache) = match budget {
            Some((settled, writes)) => (Some(settled), writes),
            None => (None, Vec::new()),
        };
        let choice = match &settled {
            Some(llm::Settled::Chosen { index, .. }) => options.get(*index).copied(),
            _ => None,
        };
        let mut verdict = decision::decide(&self.policy, &risk, ctx, choice);
        // The budgets fail closed: a rate token the host could not keep means no call.
        if matches!(settled, Some(llm::Settled::Failed { result: "budget_unavailable", .. })) {
            verdict.reasons.push(decision::Reason::of(&crate::signals::LLM_BUDGET_UNAVAILABLE));
        }
        if let Some(reason) = refusal {
            verdict.reasons.push(reason);
            verdict.outcome = Outcome::Deny;
            verdict.deny_code = Some("organization_domain_not_allowed");
            verdict.mfa = None;
        }

        // Learn from allowed logins; keep a challenged one pending until an MFA
        // confirms it; never learn from a denied one, nor from a refresh-token
        // exchange and its like (not a login: nobody was there).
        if let Some(observation) = risk.features.observation.clone().filter(|_| !ctx.non_interactive()) {
            match verdict.outcome {
                Outcome::Allow => {
                    history.learn(&observation);
                    history_changed = true;
                }
                Outcome::Challenge => {
                    history.pending = Some(risk::Observation { sid: ctx.session_key(), ..observation });
                    history_changed = true;
                }
                Outcome::Deny => {}
            }
        }

        // Watched or enforced, the history above and discovery below follow what the
        // engine decided: watching builds the baselines enforcement will need, and a
        // login it would not have allowed joins nothing.
        let subject = ctx.user_id().map(|id| audit::pseudonymize_user(ctx.tenant_id(), id));
        let applied = enforcement::applied(&self.policy.enforcement.login, subject.as_deref());
        let discovery =
            discovery_step(ctx, verdict.outcome, enforcement::applied(&self.policy.enforcement.organizations, subject.as_deref()).enforced);
        let would = verdict.outcome;
        verdict.reasons.extend(enforcement::reason(enforcement::Kind::Login, &applied));

        // A denied login issues no token, so it carries no claim; a watched one gets none
        // either (an application may act on it).
        let mut claims = Vec::new();
        if self.policy.claims.risk_level && verdict.outcome != Outcome::Deny && applied.enforced {
            claims.push(TokenClaim {
                name: format!("{}risk_level", self.policy.claims.namespace),
                value: verdict.risk_level.as_str().to_string(),
            });
        }
        if !applied.enforced {
            verdict.outcome = Outcome::Allow;
            verdict.mfa = None;
            verdict.deny_code = None;
        }

        let mut escalation = None;
        let mut llm_result = None;
        let mut audit_llm = AuditLlm::default();
        match (&settled, exchange) {
            (Some(llm::Settled::Pending), Some(e)) => {
                let facts = llm_login_facts(&self.policy, &risk);
                escalation = Some(llm::request(&self.policy.llm, e, "login_risk", &names, would.as_str(), facts));
            }
            (Some(s), _) => {
                audit_llm = AuditLlm::of(s, &names);
                llm_result = audit_llm.result;
            }
            _ => {}
        }
        let audit = self
            .audit("post-login", ctx.tenant_id(), ctx.now_ms)
            .organization(ctx.organization_id())
            .user(subject)
            .outcome(would)
            .enforcement(applied, verdict.outcome)
            .scores(risk.score, risk.rule_score, risk.model_score)
            .reasons(&verdict.reasons)
            .model(risk.model_score.map(|_| risk::model::MODEL_VERSION))
            .llm(audit_llm)
            .warnings(&warnings)
            .build();

        Answer::success(
            LoginDecision {
                decision: Decision {
                    outcome: verdict.outcome,
                    would_outcome: would,
                    enforcement: applied,
                    score: risk.score,
                    rule_score: risk.rule_score,
                    model_score: risk.model_score,
                    risk_level: verdict.risk_level,
                    ambiguous: verdict.ambiguous,
                    reasons: verdict.reasons,
                    mfa: verdict.mfa,
                    deny_reason: verdict.deny_code.map(decision::deny_reason),
                    claims,
                    history: history_changed.then_some(history),
                    escalation,
                    llm_result,
                    cache,
                    discovery,
                },
                audit,
            },
            warnings,
        )
    }
}

impl Engine {
    /// What an LLM may choose for this login, or nothing when it is not asked:
    /// a clear score, the LLM off or not configured, a refusal, or floors that
    /// leave a single option.
    fn escalation_options(
        &self,
        ctx: &LoginContext,
        risk: &risk::RiskAssessment,
        refusable: bool,
        warnings: &mut Vec<Issue>,
    ) -> Vec<Outcome> {
        let Some(exchange) = ctx.llm.as_ref().filter(|e| e.available) else {
            return Vec::new();
        };
        if !self.policy.llm.enabled || !refusable || !decision::in_band(&self.policy, risk.score) {
            if exchange.response.is_some() || exchange.failure.is_some() {
                warnings.push(Issue::new(
                    "llm_answer_ignored",
                    Some("llm".into()),
                    "an LLM answer was passed for a decision that does not escalate",
                ));
            }
            return Vec::new();
        }
        let options = decision::escalation_options(&self.policy, risk);
        if options.len() < 2 {
            return Vec::new();
        }
        options
    }
}

/// How often post-login looks again for the organization of a user it has
/// already looked for (new users get discovery at registration).
const DISCOVERY_RECHECK_MS: f64 = 30.0 * 24.0 * 3600.0 * 1000.0;

/// Whether post-login runs organization discovery, and how: when the host can,
/// outside an organization login, only for an allowed login, and at most once per
/// [`DISCOVERY_RECHECK_MS`] per user (by the marker the last run left). A first
/// login with no marker also completes a registration's join whose role
/// assignment failed; members from before ActionGuard keep the roles their
/// admins gave them. A marker a watched discovery left (`would_action`) does not
/// wait once organization discovery is enforced for the user (`orgs_enforced`):
/// what watching held back is then done at the next login, not a month later.
fn discovery_step(ctx: &LoginContext, outcome: Outcome, orgs_enforced: bool) -> Option<decision::DiscoveryStep> {
    let discovery = ctx.discovery.as_ref().filter(|d| d.available)?;
    // Never from a login the engine challenged or denied: a membership or role
    // must not be written before the person proved who they are.
    if ctx.organization.is_some() || outcome != Outcome::Allow || ctx.non_interactive() {
        return None;
    }
    // What JavaScript would call a marker: absent, null, false, 0 and "" are none;
    // text that does not parse (deeply nested, say) is a marker with no date.
    let marker =
        discovery.marker.as_deref().map(|text| serde_json::from_str::<serde_json::Value>(text).unwrap_or(serde_json::Value::Bool(true)));
    let marker = marker.filter(|m| match m {
        serde_json::Value::Null => false,
        serde_json::Value::Bool(b) => *b,
        serde_json::Value::Number(n) => n.as_f64() != Some(0.0),
        serde_json::Value::String(s) => !s.is_empty(),
        _ => true,
    });
    let watched = marker.as_ref().is_some_and(|m| m.get("would_action").is_some());
    let last = marker
        .as_ref()
        .filter(|_| !(watched && orgs_enforced))
        .and_then(|m| m.get("at"))
        .and_then(serde_json::Value::as_str)
        .and_then(clock::parse_date_time);
    match (last, ctx.now_ms) {
        (Some(last_s), Some(now)) if now - (last_s as f64) * 1000.0 < DISCOVERY_RECHECK_MS => return None,
        // A marker with a date but no clock to compare it with: not now.
        (Some(_), None) => return None,
        _ => {}
    }
    let logins = ctx.stats.as_ref().and_then(|s| s.logins_count).unwrap_or(0);
    Some(decision::DiscoveryStep { complete_join: marker.is_none() && logins <= 1 })
}

/// What the LLM is told about a login: scores, buckets, booleans and our own
/// codes, never a value taken from the event as it is.
fn llm_login_facts(policy: &Policy, risk: &risk::RiskAssessment) -> serde_json::Value {
    let f = &risk.features;
    let round2 = |x: f64| (x * 100.0).round() / 100.0;
    let speed = match f.speed_kmh {
        None => "unknown",
        Some(s) if s < 120.0 => "under_120_kmh",
        Some(s) if s < 900.0 => "120_to_900_kmh",
        Some(_) => "over_900_kmh",
    };
    let auth0_confidence = match f.auth0_confidence {
        c if c >= 1.0 => "low",
        c if c >= 0.5 => "medium",
        _ => "high_or_unknown",
    };
    serde_json::json!({
        "score": round2(risk.score),
        "rule_score": round2(risk.rule_score),
        "model_score": risk.model_score.map(round2),
        "band": [policy.ambiguous.from, policy.ambiguous.to],
        "signals": risk.signals.iter().map(|s| serde_json::json!({"code": s.code, "weight": round2(s.weight)})).collect::<Vec<_>>(),
        "known_logins": llm::bucket(f.known_logins),
        "travel_speed": speed,
        "new_country": f.new_country,
        "new_network": f.new_network,
        "new_asn": f.new_asn,
        "new_device": f.new_device,
        "hosting_network": f.hosting_network,
        "automation": f.automation,
        "headless": f.headless,
        "user_agent_missing": f.ua_missing,
        "logins_last_10m": llm::bucket(u32::try_from(f.logins_last_10m).unwrap_or(u32::MAX)),
        "logins_last_day": llm::bucket(u32::try_from(f.logins_last_day).unwrap_or(u32::MAX)),
        "unusual_hour": f.unusual_hour,
        "auth0_confidence": auth0_confidence,
        "auth0_impossible_travel": f.auth0_impossible_travel,
        "auth0_anonymous_proxy": f.auth0_anonymous_proxy,
    })
}

/// What the risk engine saw in a login: for training, evaluation and support.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Explanation {
    pub features: BTreeMap<&'static str, f32>,
    pub vector: Vec<f32>,
    pub rule_score: f64,
    pub model_score: Option<f64>,
    pub floor: Option<&'static str>,
    pub signals: Vec<&'static str>,
}

impl Engine {
    /// The features, scores and signals of a login, without deciding it.
    pub fn explain_login_json(&self, context_json: &str) -> Answer<Explanation> {
        let (ctx, mut warnings) = match LoginContext::from_json(context_json) {
            Ok(parsed) => parsed,
            Err(err) => return Answer::failure(err),
        };
        let (_, _, risk) = self.assess(&ctx, None, &mut warnings);
        let vector = risk.features.vector();
        Answer::success(
            Explanation {
                features: risk::features::FEATURE_NAMES.iter().copied().zip(vector).collect(),
                vector: vector.to_vec(),
                rule_score: risk.rule_score,
                model_score: risk.model_score,
                floor: risk.floor.map(Floor::as_str),
                signals: risk.signals.iter().map(|s| s.code).collect(),
            },
            warnings,
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const NOW: f64 = 1_800_000_000_000.0;

    fn step(discovery: serde_json::Value, extra: serde_json::Value, outcome: Outcome) -> Option<decision::DiscoveryStep> {
        let mut ctx = serde_json::json!({"now_ms": NOW, "stats": {"logins_count": 1}, "discovery": discovery});
        if let (Some(c), Some(e)) = (ctx.as_object_mut(), extra.as_object()) {
            c.extend(e.clone());
        }
        let (ctx, _) = LoginContext::from_json(&ctx.to_string()).unwrap();
        discovery_step(&ctx, outcome, true)
    }

    fn marker(at: &str) -> String {
        serde_json::json!({"action": "none", "at": at}).to_string()
    }

    /// Security review (issue 16): a challenged login is kept pending with its
    /// session, and only that session's MFA has it learned.
    #[test]
    fn a_challenged_login_is_learned_only_from_its_own_sessions_mfa() {
        let engine = Engine::new(None);
        let login = |session: &str, history: Option<&serde_json::Value>, mfa: bool| {
            let mut ctx = serde_json::json!({
                "user": {"user_id": "auth0|s1", "enrolledFactors": [{"type": "otp"}]},
                "session": {"id": session},
                "request": {"ip": "198.51.100.20", "geoip": {"countryCode": "BR"},
                    "user_agent": "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_6) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.6 Safari/605.1.15"},
                "authentication": {"riskAssessment": {"assessments": {
                    "ImpossibleTravel": {"code": "impossible_travel_from_last_login"}, "NewDevice": {"code": "no_match"}}}},
                "now_ms": 1_800_000_000_000.0_f64,
            });
            if let Some(h) = history {
                ctx["history"] = h.clone();
            }
            if mfa {
                ctx["authentication"]["methods"] = serde_json::json!([{"name": "mfa", "timestamp": "2027-01-15T08:01:00Z"}]);
                ctx["now_ms"] = serde_json::json!(1_800_000_100_000.0_f64);
            }
            serde_json::to_value(engine.decide_login_json(&ctx.to_string())).unwrap()
        };
        let challenged = login("sess_attacker", None, false);
        assert_eq!(challenged["outcome"], "challenge", "{challenged}");
        let stored = &challenged["history"];
        assert_eq!(stored["pending"]["sid"], risk::history::short_hash("sid", "auth0|s1", "sess_attacker"));
        let learned = |answer: &serde_json::Value| answer["history"]["cc"].as_array().is_some_and(|cc| cc.iter().any(|c| c[0] == "BR"));
        assert!(!learned(&login("sess_owner", Some(stored), true)), "another session's MFA vouched for it");
        assert!(learned(&login("sess_attacker", Some(stored), true)), "its own session's MFA did not");
    }

    #[test]
    fn discovery_runs_once_per_recheck_interval_and_completes_a_first_join() {
        let none = serde_json::json!({});
        let first = step(serde_json::json!({"available": true}), none.clone(), Outcome::Allow);
        assert_eq!(first, Some(decision::DiscoveryStep { complete_join: true }));
        // Falsy markers are no marker, as `!marker` was in JavaScript.
        for falsy in ["null", "false", "0", "\"\""] {
            let s = step(serde_json::json!({"available": true, "marker": falsy}), none.clone(), Outcome::Allow);
            assert_eq!(s, Some(decision::DiscoveryStep { complete_join: true }), "{falsy}");
        }
        let ten_days = clock::rfc3339_of_ms(NOW - 10.0 * 86_400_000.0).unwrap();
        assert_eq!(step(serde_json::json!({"available": true, "marker": marker(&ten_days)}), none.clone(), Outcome::Allow), None);
        let forty_days = clock::rfc3339_of_ms(NOW - 40.0 * 86_400_000.0).unwrap();
        let again = step(serde_json::json!({"available": true, "marker": marker(&forty_days)}), none.clone(), Outcome::Allow);
        assert_eq!(again, Some(decision::DiscoveryStep { complete_join: false }));
        // A date alone is read as Date.parse reads it.
        assert_eq!(step(serde_json::json!({"available": true, "marker": marker(&ten_days[..10])}), none.clone(), Outcome::Allow), None);
        // Whatever else is there: a marker without a date, never a failed context.
        let deep = format!("{}1{}", "[".repeat(300), "]".repeat(300));
        for garbage in [deep.as_str(), "{\"at\": 7}", "not json", "{\"at\": \"soon\"}"] {
            let s = step(serde_json::json!({"available": true, "marker": garbage}), none.clone(), Outcome::Allow);
            assert_eq!(s, Some(decision::DiscoveryStep { complete_join: false }), "{garbage}");
        }
    }

    #[test]
    fn discovery_never_runs_unavailable_in_an_organization_login_or_unless_allowed() {
        let none = serde_json::json!({});
        assert_eq!(step(serde_json::json!({"available": false}), none.clone(), Outcome::Allow), None);
        assert_eq!(step(serde_json::json!({"available": true}), none.clone(), Outcome::Deny), None);
        // A challenged login writes no membership before its MFA (security review, item 8).
        assert_eq!(step(serde_json::json!({"available": true}), none.clone(), Outcome::Challenge), None);
        assert_eq!(
            step(serde_json::json!({"available": true}), serde_json::json!({"organization": {"id": "org_1"}}), Outcome::Allow),
            None
        );
        // A dated marker and no clock: not now.
        let (ctx, _) = LoginContext::from_json(
            &serde_json::json!({"discovery": {"available": true, "marker": marker("2027-01-15T08:00:00.000Z")}}).to_string(),
        )
        .unwrap();
        assert_eq!(discovery_step(&ctx, Outcome::Allow, true), None);
    }
}
