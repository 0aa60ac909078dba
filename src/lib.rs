//! ActionGuard: adaptive identity policy for Auth0 Actions.
//!
//! A pure Rust core (no JavaScript types below [`wasm`]) that turns a compact
//! context built from an Auth0 event into a decision with reasons and an audit
//! record. Every entry point takes JSON text and returns a tagged [`Answer`],
//! so the same contract is exercised by `cargo test` and from JavaScript.

#![cfg_attr(
    test,
    allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)
)]

pub mod answer;
pub mod audit;
pub mod clock;
pub mod context;
pub mod credentials;
pub mod decision;
pub mod domains;
pub mod email;
#[doc(hidden)]
pub mod fuzzing;
pub mod hex;
pub mod layers;
pub mod llm;
pub mod orgmap;
pub mod policy;
pub mod risk;
pub mod signup;

#[cfg(target_arch = "wasm32")]
mod wasm;

#[cfg(test)]
mod golden;

use serde::Serialize;

pub use answer::{Answer, Issue};
pub use context::LoginContext;
pub use decision::{Decision, LoginDecision, Outcome};
pub use policy::{FailMode, Policy, PolicySource};

use audit::{AuditLlm, AuditPolicy, AuditReason, AuditRecord, AUDIT_SCHEMA};
use decision::Claim;

pub const VERSION: &str = env!("CARGO_PKG_VERSION");

/// A loaded policy, ready to decide. Build once per Action instance and reuse:
/// parsing and validating the policy is the expensive part.
#[derive(Debug)]
pub struct Engine {
    policy: Policy,
    source: PolicySource,
    digest: String,
    policy_errors: Vec<Issue>,
    /// The layers this engine's policy was made of, bottom first (`baseline`,
    /// `tier:<name>`, `organization`).
    layers: Vec<String>,
    /// Engines for organizations' layers, by tier and override text. Bounded:
    /// emptied when full (rebuilding one costs a policy parse).
    layered: std::sync::Mutex<std::collections::HashMap<String, Layered>>,
    hosting_asns: &'static std::collections::HashSet<u32>,
    deny_networks: Vec<ipnet::IpNet>,
    allow_networks: Vec<ipnet::IpNet>,
    /// Normalized once here: policy documents spell domains any way.
    signup_blocked_domains: Vec<String>,
    signup_allowed_domains: Vec<String>,
    org_blocked_domains: Vec<String>,
    m2m_networks: std::collections::BTreeMap<String, Vec<ipnet::IpNet>>,
}

/// An organization's engine and the errors of its layers that were rejected.
type Layered = (std::sync::Arc<Engine>, Vec<Issue>);

/// What validating a policy document tells its author.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PolicySummary {
    pub digest: String,
    pub policy: Policy,
}

impl Engine {
    /// Loads the baseline policy. A missing document means the embedded
    /// default; an invalid one is rejected, its errors kept for every decision
    /// to report, and the embedded default enforced instead: never fail open.
    pub fn new(policy_json: Option<&str>) -> Engine {
        let (policy, source, policy_errors) = match policy_json.map(str::trim) {
            None | Some("") => (Policy::default(), PolicySource::Embedded, Vec::new()),
            Some(json) => match policy::parse_policy(json) {
                Ok(p) => (p, PolicySource::Secret, Vec::new()),
                Err(errors) => (Policy::default(), PolicySource::Embedded, errors),
            },
        };
        Engine::from_policy(policy, source, policy_errors, vec!["baseline".to_string()])
    }

    fn from_policy(policy: Policy, source: PolicySource, policy_errors: Vec<Issue>, layers: Vec<String>) -> Engine {
        let digest = policy::digest(&policy);
        let cidrs = |list: &[String]| list.iter().filter_map(|c| risk::network::parse_cidr(c)).collect();
        let domains = |list: &[String]| list.iter().filter_map(|d| email::normalize_domain(d).ok()).collect();
        Engine {
            deny_networks: cidrs(&policy.networks.deny),
            allow_networks: cidrs(&policy.networks.allow),
            signup_blocked_domains: domains(&policy.signup.blocked_domains),
            signup_allowed_domains: domains(&policy.signup.allowed_domains),
            org_blocked_domains: domains(&policy.organizations.blocked_domains),
            m2m_networks: policy.m2m.clients.iter().map(|(id, rule)| (id.clone(), cidrs(&rule.networks))).collect(),
            hosting_asns: risk::network::hosting_asns(),
            policy,
            source,
            digest,
            policy_errors,
            layers,
            layered: std::sync::Mutex::new(std::collections::HashMap::new()),
        }
    }

    /// The engine for an organization's layers (its `ag_tier`, then its
    /// `ag_policy` override) and the errors of layers that were rejected; `None`
    /// when the organization sets neither. A rejected layer is skipped: the
    /// decision runs on the last valid layer below it.
    fn layered_for(&self, meta: Option<&serde_json::Map<String, serde_json::Value>>) -> Option<Layered> {
        let meta = meta?;
        let tier = meta.get(layers::META_TIER).and_then(|v| v.as_str());
        let text = layers::override_text(meta);
        if tier.is_none() && text.is_none() {
            return None;
        }
        let key = format!("{}\0{}", tier.unwrap_or(""), text.as_deref().unwrap_or(""));
        if let Some(hit) = self.layered.lock().ok().and_then(|c| c.get(&key).cloned()) {
            return Some(hit);
        }
        let mut policy = self.policy.clone();
        policy.tiers.clear();
        let mut names = self.layers.clone();
        let mut rejected = Vec::new();
        if let Some(t) = tier {
            match self.policy.tiers.get(t) {
                Some(overlay) => match layers::apply(&policy, overlay, &format!("tier `{t}`")) {
                    Ok(p) => {
                        policy = p;
                        names.push(format!("tier:{t}"));
                    }
                    Err(errors) => rejected.extend(errors),
                },
                None => rejected.push(Issue::new(
                    "policy_layer_rejected",
                    Some(layers::META_TIER.to_string()),
                    "organization metadata `ag_tier` names a tier the policy does not define",
                )),
            }
        }
        if let Some(text) = text {
            let layer = "organization override (`ag_policy`)";
            match layers::parse_override(&text) {
                Ok(overlay) => match layers::apply(&policy, &overlay, layer) {
                    Ok(p) => {
                        policy = p;
                        names.push("organization".to_string());
                    }
                    Err(errors) => rejected.extend(errors),
                },
                Err(message) => rejected.push(Issue::new("policy_layer_rejected", Some(layers::META_POLICY[0].to_string()), format!("{layer}: {message}"))),
            }
        }
        let engine = std::sync::Arc::new(Engine::from_policy(policy, self.source, self.policy_errors.clone(), names));
        let entry = (engine, rejected);
        if let Ok(mut cache) = self.layered.lock() {
            if cache.len() >= 256 {
                cache.clear();
            }
            cache.insert(key, entry.clone());
        }
        Some(entry)
    }

    pub fn policy(&self) -> &Policy {
        &self.policy
    }

    pub fn policy_source(&self) -> PolicySource {
        self.source
    }

    /// Errors of a rejected policy document; empty when it was accepted.
    pub fn policy_errors(&self) -> &[Issue] {
        &self.policy_errors
    }

    pub fn fail_mode(&self) -> FailMode {
        self.policy.fail_mode
    }

    /// The user's history as this login finds it (a pending observation
    /// confirmed by its MFA is learned first), and the login's risk. The flag
    /// says the history already differs from what is stored (confirmed, or
    /// rebuilt from garbage, which must not stay) and must be written back.
    fn assess(&self, ctx: &LoginContext, warnings: &mut Vec<Issue>) -> (risk::History, bool, risk::RiskAssessment) {
        let (mut history, history_warning) = risk::History::from_stored(ctx.history.as_ref().map(|h| h.text()));
        let reset = history_warning.is_some();
        warnings.extend(history_warning);
        let changed = history.confirm_pending(ctx.mfa_completed_at()) || reset;
        let env = risk::Environment {
            hosting_asns: self.hosting_asns,
            deny_networks: &self.deny_networks,
            allow_networks: &self.allow_networks,
            deny_countries: &self.policy.countries.deny,
        };
        let risk = risk::assess(ctx, &history, &env, risk::model::embedded());
        (history, changed, risk)
    }

    /// The post-login decision for a context given as JSON text.
    pub fn decide_login_json(&self, context_json: &str) -> Answer<LoginDecision> {
        match LoginContext::from_json(context_json) {
            Ok((ctx, warnings)) => self.decide_login(&ctx, warnings),
            Err(err) => Answer::failure(err),
        }
    }

    /// A rejected policy, as a warning on every answer until it is fixed.
    fn policy_warnings(&self) -> impl Iterator<Item = Issue> + '_ {
        self.policy_errors.iter().map(|e| Issue {
            code: "policy_rejected",
            path: e.path.clone(),
            message: format!("policy rejected, embedded default enforced: {}", e.message),
        })
    }

    /// An audit record with what every trigger shares filled in.
    fn audit_record(&self, trigger: &'static str, tenant: Option<&str>, now_ms: Option<f64>) -> AuditRecord {
        AuditRecord {
            actionguard_audit: AUDIT_SCHEMA,
            trigger,
            tenant: tenant.map(str::to_string),
            organization: None,
            user: None,
            client: None,
            domain_class: None,
            org_action: None,
            outcome: Outcome::Allow,
            score: 0.0,
            rule_score: 0.0,
            model_score: None,
            reasons: Vec::new(),
            policy: AuditPolicy {
                source: self.source,
                version: self.policy.version,
                digest: self.digest.clone(),
                layers: self.layers.clone(),
            },
            model: None,
            llm: AuditLlm::default(),
            warnings: Vec::new(),
            ts_ms: now_ms,
        }
    }

    pub fn decide_login(&self, ctx: &LoginContext, mut warnings: Vec<Issue>) -> Answer<LoginDecision> {
        let meta = ctx.organization.as_ref().and_then(|o| o.metadata.as_ref());
        if let Some((engine, rejected)) = self.layered_for(meta) {
            warnings.extend(rejected);
            return engine.decide_login_on_layers(ctx, warnings);
        }
        self.decide_login_on_layers(ctx, warnings)
    }

    fn decide_login_on_layers(&self, ctx: &LoginContext, mut warnings: Vec<Issue>) -> Answer<LoginDecision> {
        warnings.extend(self.policy_warnings());

        let (mut history, mut history_changed, risk) = self.assess(ctx, &mut warnings);
        let refusal = orgmap::login_domain_refusal(ctx);
        let options = self.escalation_options(ctx, &risk, refusal.is_none(), &mut warnings);
        let names: Vec<&str> = options.iter().map(|o| o.as_str()).collect();
        let exchange = ctx.llm.as_ref().filter(|_| !options.is_empty());
        let settled = exchange.map(|e| llm::settle(e, &names, self.policy.llm.min_confidence));
        let choice = match &settled {
            Some(llm::Settled::Chosen { index, .. }) => options.get(*index).copied(),
            _ => None,
        };
        let mut verdict = decision::decide(&self.policy, &risk, ctx, choice);
        if let Some(reason) = refusal {
            verdict.reasons.push(reason);
            verdict.outcome = Outcome::Deny;
            verdict.deny_code = Some("organization_domain_not_allowed");
            verdict.mfa = None;
        }

        // Learn from allowed logins; keep a challenged one pending until an MFA
        // confirms it; never learn from a denied one.
        if let Some(observation) = risk.features.observation.clone() {
            match verdict.outcome {
                Outcome::Allow => {
                    history.learn(&observation);
                    history_changed = true;
                }
                Outcome::Challenge => {
                    history.pending = Some(observation);
                    history_changed = true;
                }
                Outcome::Deny => {}
            }
        }

        let mut claims = Vec::new();
        if self.policy.claims.risk_level {
            claims.push(Claim {
                name: format!("{}risk_level", self.policy.claims.namespace),
                value: verdict.risk_level.as_str().to_string(),
            });
        }

        let mut audit = self.audit_record("post-login", ctx.tenant_id(), ctx.now_ms);
        audit.organization = ctx.organization_id().map(str::to_string);
        audit.user = ctx.user_id().map(|id| audit::pseudonymize_user(ctx.tenant_id(), id));
        audit.outcome = verdict.outcome;
        audit.score = risk.score;
        audit.rule_score = risk.rule_score;
        audit.model_score = risk.model_score;
        audit.reasons = verdict.reasons.iter().map(AuditReason::from).collect();
        audit.model = risk.model_score.map(|_| risk::model::MODEL_VERSION.to_string());
        audit.warnings = warnings.iter().map(|w| w.code).collect();
        let mut escalation = None;
        let mut llm_result = None;
        match (&settled, exchange) {
            (Some(llm::Settled::Pending), Some(e)) => {
                let facts = llm_login_facts(&self.policy, &risk);
                escalation = Some(llm::request(&self.policy.llm, e, "login_risk", &names, verdict.outcome.as_str(), facts));
            }
            (Some(s), _) => {
                audit.llm = AuditLlm::of(s, &names);
                llm_result = audit.llm.result;
            }
            _ => {}
        }

        Answer::success(
            LoginDecision {
                decision: Decision {
                    outcome: verdict.outcome,
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
    fn escalation_options(&self, ctx: &LoginContext, risk: &risk::RiskAssessment, refusable: bool, warnings: &mut Vec<Issue>) -> Vec<Outcome> {
        let Some(exchange) = ctx.llm.as_ref().filter(|e| e.available) else {
            return Vec::new();
        };
        if !self.policy.llm.enabled || !refusable || !decision::in_band(&self.policy, risk.score) {
            if exchange.response.is_some() || exchange.failure.is_some() {
                warnings.push(Issue::new("llm_answer_ignored", Some("llm".into()), "an LLM answer was passed for a decision that does not escalate"));
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
    pub features: std::collections::BTreeMap<&'static str, f32>,
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
        let (_, _, risk) = self.assess(&ctx, &mut warnings);
        let vector = risk.features.vector();
        Answer::success(
            Explanation {
                features: risk::features::FEATURE_NAMES.iter().copied().zip(vector).collect(),
                vector: vector.to_vec(),
                rule_score: risk.rule_score,
                model_score: risk.model_score,
                floor: risk.floor.map(|f| match f {
                    risk::Floor::Challenge => "challenge",
                    risk::Floor::Deny => "deny",
                }),
                signals: risk.signals.iter().map(|s| s.code).collect(),
            },
            warnings,
        )
    }
}

/// The policy an organization gets: its layers, the effective document and
/// digest, and the errors of the layers that were rejected.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct EffectivePolicy {
    pub layers: Vec<String>,
    pub digest: String,
    pub policy: Policy,
    pub rejected: Vec<Issue>,
}

/// Effective policy for an organization's metadata (`ag_tier`, `ag_policy`...),
/// on a baseline document; a rejected baseline is a failure.
pub fn effective_policy_json(policy_json: &str, metadata_json: &str) -> Answer<EffectivePolicy> {
    let engine = Engine::new(Some(policy_json));
    if !engine.policy_errors.is_empty() {
        return Answer::Failure { errors: engine.policy_errors.clone() };
    }
    let meta: serde_json::Map<String, serde_json::Value> = match answer::parse_json(metadata_json, "invalid_metadata") {
        Ok(m) => m,
        Err(e) => return Answer::failure(e),
    };
    let layered = engine.layered_for(Some(&meta));
    let (chosen, rejected) = match &layered {
        Some((layered, rejected)) => (layered.as_ref(), rejected.clone()),
        None => (&engine, Vec::new()),
    };
    Answer::success(
        EffectivePolicy {
            layers: chosen.layers.clone(),
            digest: chosen.digest.clone(),
            policy: chosen.policy.clone(),
            rejected,
        },
        Vec::new(),
    )
}

/// The organization-metadata form of an override (a partial policy document):
/// `{ "ag_policy": "...", "ag_policy_2": "..." }`, each value within Auth0's 255
/// characters; or why it cannot be written.
pub fn encode_override_json(overlay_json: &str) -> Answer<std::collections::BTreeMap<String, String>> {
    let overlay: serde_json::Value = match answer::parse_json(overlay_json, "invalid_override") {
        Ok(v) => v,
        Err(e) => return Answer::failure(e),
    };
    // It must be a valid layer on the embedded default to be worth writing.
    if let Err(errors) = layers::apply(&Policy::default(), &overlay, "override") {
        return Answer::Failure { errors };
    }
    let text = match layers::encode_override(&overlay) {
        Ok(t) => t,
        Err(message) => return Answer::failure(Issue::new("invalid_override", None, message)),
    };
    // The values are read back concatenated, so the text splits anywhere.
    let chars: Vec<char> = text.chars().collect();
    let chunks: Vec<String> = chars.chunks(layers::META_VALUE_MAX).map(|c| c.iter().collect()).collect();
    if chunks.len() > layers::META_POLICY.len() {
        return Answer::failure(Issue::new(
            "override_too_long",
            None,
            format!(
                "the override is {} characters; organization metadata holds {} values of {} for it",
                chars.len(),
                layers::META_POLICY.len(),
                layers::META_VALUE_MAX
            ),
        ));
    }
    let out = layers::META_POLICY.iter().map(|k| k.to_string()).zip(chunks).collect();
    Answer::success(out, Vec::new())
}

/// Lints a policy document: its effective form and digest, or every error.
pub fn validate_policy_json(json: &str) -> Answer<PolicySummary> {
    match policy::parse_policy(json) {
        Ok(policy) => Answer::success(
            PolicySummary {
                digest: policy::digest(&policy),
                policy,
            },
            Vec::new(),
        ),
        Err(errors) => Answer::Failure { errors },
    }
}
