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
pub mod context;
pub mod decision;
pub mod policy;
pub mod risk;
pub mod clock;

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
#[derive(Debug, Clone)]
pub struct Engine {
    policy: Policy,
    source: PolicySource,
    digest: String,
    policy_errors: Vec<Issue>,
    hosting_asns: std::collections::HashSet<u32>,
    deny_networks: Vec<ipnet::IpNet>,
    allow_networks: Vec<ipnet::IpNet>,
}

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
        let digest = policy::digest(&policy);
        let cidrs = |list: &[String]| list.iter().filter_map(|c| risk::network::parse_cidr(c)).collect();
        Engine {
            deny_networks: cidrs(&policy.networks.deny),
            allow_networks: cidrs(&policy.networks.allow),
            hosting_asns: risk::network::hosting_asns(),
            policy,
            source,
            digest,
            policy_errors,
        }
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
        let (mut history, history_warning) = risk::History::from_stored(ctx.history.as_ref());
        let reset = history_warning.is_some();
        warnings.extend(history_warning);
        let changed = history.confirm_pending(ctx.mfa_completed_at()) || reset;
        let env = risk::Environment {
            hosting_asns: &self.hosting_asns,
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

    pub fn decide_login(&self, ctx: &LoginContext, mut warnings: Vec<Issue>) -> Answer<LoginDecision> {
        warnings.extend(self.policy_errors.iter().map(|e| Issue {
            code: "policy_rejected",
            path: e.path.clone(),
            message: format!("policy rejected, embedded default enforced: {}", e.message),
        }));

        let (mut history, mut history_changed, risk) = self.assess(ctx, &mut warnings);
        let verdict = decision::decide(&self.policy, &risk, ctx);

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

        let audit = AuditRecord {
            actionguard_audit: AUDIT_SCHEMA,
            trigger: "post-login",
            tenant: ctx.tenant_id().map(str::to_string),
            organization: ctx.organization_id().map(str::to_string),
            user: ctx
                .user_id()
                .map(|id| audit::pseudonymize_user(ctx.tenant_id(), id)),
            outcome: verdict.outcome,
            score: risk.score,
            rule_score: risk.rule_score,
            model_score: risk.model_score,
            reasons: verdict.reasons.iter().map(AuditReason::from).collect(),
            policy: AuditPolicy {
                source: self.source,
                version: self.policy.version,
                digest: self.digest.clone(),
            },
            model: risk.model_score.map(|_| risk::model::MODEL_VERSION.to_string()),
            llm: AuditLlm { asked: false },
            warnings: warnings.iter().map(|w| w.code).collect(),
            ts_ms: ctx.now_ms,
        };

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
                },
                audit,
            },
            warnings,
        )
    }
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
