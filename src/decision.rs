//! From a risk score and a policy to what the Action must do, with reasons.

use serde::Serialize;

use crate::audit::AuditRecord;
use crate::context::LoginContext;
use crate::policy::{BandFallback, MfaMode, NonInteractive, Policy, Unenrolled};
use crate::risk::{Floor, RiskAssessment};
use crate::signals::{self, PolicyReason, Signal};

/// Ordered from least to most strict.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    Allow,
    Challenge,
    Deny,
}

impl Outcome {
    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Allow => "allow",
            Outcome::Challenge => "challenge",
            Outcome::Deny => "deny",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum RiskLevel {
    Low,
    Medium,
    High,
}

impl RiskLevel {
    pub fn as_str(self) -> &'static str {
        match self {
            RiskLevel::Low => "low",
            RiskLevel::Medium => "medium",
            RiskLevel::High => "high",
        }
    }
}

/// Why: a stable machine code and a sentence for a security team. `weight` is
/// the signal's own strength when the reason is evidence, absent for policy.
/// The decision carries codes and weights; the sentences go to the audit line,
/// so they cross the WebAssembly boundary once.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Reason {
    pub code: &'static str,
    #[serde(skip)]
    pub message: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub weight: Option<f64>,
}

impl Reason {
    /// A rule of the catalogue, with its own sentence.
    pub(crate) fn of(rule: &PolicyReason) -> Self {
        Reason { code: rule.code, message: rule.message.to_string(), weight: None }
    }

    /// A rule of the catalogue, with the figures the decision compared in the sentence.
    pub(crate) fn with(rule: &PolicyReason, message: String) -> Self {
        Reason { code: rule.code, message, weight: None }
    }

    /// A signal of the catalogue, as evidence with its weight.
    pub(crate) fn evidence(signal: &Signal) -> Self {
        Reason { code: signal.code, message: signal.message.to_string(), weight: Some(signal.weight) }
    }
}

/// How a challenge is carried out, so the shim only translates it to `api`.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum MfaStep {
    /// `api.authentication.challengeWithAny` with these factor types.
    Challenge { factors: Vec<&'static str> },
    /// No usable factor enrolled: `api.multifactor.enable('any')` enrols one.
    Enroll,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TokenClaim {
    pub name: String,
    pub value: String,
}

/// The decision proper: what the Action must do, and why (codes and weights).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Decision {
    /// What the Action must do: `allow` when the decision is only watched (`enforcement`).
    pub outcome: Outcome,
    /// What the engine decided; differs from `outcome` only when the decision is watched,
    /// and then `mfa`, `deny_reason` and `claims` are absent too.
    pub would_outcome: Outcome,
    /// Whether the decision is applied (policy `enforcement.login`).
    pub enforcement: crate::enforcement::Applied,
    /// The score the policy was applied to: the higher of the rules' and the model's.
    pub score: f64,
    pub rule_score: f64,
    pub model_score: Option<f64>,
    pub risk_level: RiskLevel,
    /// The score fell in the policy's ambiguous band; `outcome` is the band's fallback.
    pub ambiguous: bool,
    pub reasons: Vec<Reason>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub mfa: Option<MfaStep>,
    /// For `api.access.deny`: `<stable code>: <text>`, no user data in it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub deny_reason: Option<String>,
    pub claims: Vec<TokenClaim>,
    /// The user's updated history, for `api.user.setAppMetadata("actionguard", history)`;
    /// absent when there is nothing to write.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub history: Option<crate::risk::History>,
    /// Present when the policy asks an LLM about this ambiguous login: the shim
    /// sends it and decides again with the response (or the failure). The
    /// decision around it is the fallback, safe to apply as it is.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub escalation: Option<crate::llm::Escalation>,
    /// How the escalation ended (`answered`, or why not).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub llm_result: Option<&'static str>,
    /// `api.cache` writes that keep the LLM's budgets (breaker, rate limit).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub cache: Vec<crate::cache::CacheWrite>,
    /// Present when the host should run organization discovery for this login
    /// (`decideOrganization` with `complete_join` as given here).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub discovery: Option<DiscoveryStep>,
}

/// Organization discovery from post-login, as [`Decision::discovery`] asks it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct DiscoveryStep {
    /// Pass on to the organization decision's context: an existing member of
    /// the organization the domain maps to gets the roles a join gives.
    pub complete_join: bool,
}

/// A decision and its audit record. In JSON the record is two strings: the full
/// record's JSON line for the webhook (`audit`) and its console line (`audit_line`),
/// so it is serialized once and never parsed again on its way out.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct LoginDecision {
    #[serde(flatten)]
    pub decision: Decision,
    #[serde(flatten, serialize_with = "crate::audit::as_json_lines")]
    pub audit: AuditRecord,
}

/// What the policy says for this score, before MFA details are worked out.
pub(crate) struct Verdict {
    pub outcome: Outcome,
    pub risk_level: RiskLevel,
    pub ambiguous: bool,
    pub reasons: Vec<Reason>,
    pub mfa: Option<MfaStep>,
    pub deny_code: Option<&'static str>,
}

/// The score is too close to call from rules alone.
pub(crate) fn in_band(policy: &Policy, score: f64) -> bool {
    score < policy.thresholds.deny && score >= policy.ambiguous.from && score < policy.ambiguous.to
}

/// What an escalation may choose for an ambiguous login: the band's outcomes
/// (deny only when the policy offers it) at or above every floor. Fewer than
/// two options leave nothing to ask.
pub(crate) fn escalation_options(policy: &Policy, risk: &RiskAssessment) -> Vec<Outcome> {
    let mut floor = match risk.floor {
        Some(Floor::Deny) => Outcome::Deny,
        Some(Floor::Challenge) => Outcome::Challenge,
        None => Outcome::Allow,
    };
    if policy.mfa.mode == MfaMode::Always {
        floor = floor.max(Outcome::Challenge);
    }
    [Outcome::Allow, Outcome::Challenge, Outcome::Deny]
        .into_iter()
        .filter(|o| *o >= floor)
        .filter(|o| *o != Outcome::Deny || policy.llm.may_deny)
        .filter(|o| !(*o == Outcome::Challenge && policy.mfa.mode == MfaMode::Never))
        .collect()
}

/// `choice`: an escalation's answer for an ambiguous score, already one of
/// [`escalation_options`]; the floors below apply to it like to any outcome.
pub(crate) fn decide(policy: &Policy, risk: &RiskAssessment, ctx: &LoginContext, choice: Option<Outcome>) -> Verdict {
    let t = &policy.thresholds;
    let band = &policy.ambiguous;
    let score = risk.score;

    let mut reasons: Vec<Reason> = risk.signals.iter().map(Reason::evidence).collect();
    if let Some(p) = risk.model_score {
        reasons.push(Reason {
            code: "risk_model",
            message: format!("the risk model rates this login {p} (rules alone: {})", risk.rule_score),
            weight: Some(p),
        });
    }

    let risk_level = if score >= t.challenge {
        RiskLevel::High
    } else if score >= band.from {
        RiskLevel::Medium
    } else {
        RiskLevel::Low
    };

    let ambiguous = in_band(policy, score);
    let mut deny_code = None;
    let mut outcome = if score >= t.deny {
        deny_code = Some("risk_too_high");
        reasons.push(Reason::with(&signals::RISK_SCORE_DENY, format!("risk score {score} is at or above the deny threshold {}", t.deny)));
        Outcome::Deny
    } else if ambiguous {
        reasons.push(Reason::with(
            &signals::RISK_SCORE_AMBIGUOUS,
            format!(
                "risk score {score} is in the ambiguous band [{}, {}); the policy falls back to {}",
                band.from,
                band.to,
                match band.fallback {
                    BandFallback::Allow => "allow",
                    BandFallback::Challenge => "challenge",
                }
            ),
        ));
        match (choice, band.fallback) {
            (Some(chosen), _) => {
                reasons.push(Reason::with(
                    &signals::LLM_DECISION,
                    format!("the LLM escalation chose {} among the band's options", chosen.as_str()),
                ));
                if chosen == Outcome::Deny {
                    deny_code = Some("risk_too_high");
                }
                chosen
            }
            (None, BandFallback::Allow) => Outcome::Allow,
            (None, BandFallback::Challenge) => Outcome::Challenge,
        }
    } else if score >= t.challenge {
        reasons.push(Reason::with(
            &signals::RISK_SCORE_CHALLENGE,
            format!("risk score {score} is at or above the challenge threshold {}", t.challenge),
        ));
        Outcome::Challenge
    } else {
        Outcome::Allow
    };

    // Hard evidence sets a floor that neither the score nor an escalation lowers.
    match risk.floor {
        Some(Floor::Deny) if outcome != Outcome::Deny => {
            reasons.push(Reason::of(&signals::FLOOR_DENY));
            deny_code = Some("denied_by_policy");
            outcome = Outcome::Deny;
        }
        Some(Floor::Challenge) if outcome == Outcome::Allow => {
            reasons.push(Reason::of(&signals::FLOOR_CHALLENGE));
            outcome = Outcome::Challenge;
        }
        _ => {}
    }

    match (policy.mfa.mode, outcome) {
        // Every interactive login: a refresh-token exchange follows one that did MFA.
        (MfaMode::Always, Outcome::Allow) if !ctx.non_interactive() => {
            reasons.push(Reason::of(&signals::MFA_REQUIRED_BY_POLICY));
            outcome = Outcome::Challenge;
        }
        (MfaMode::Never, Outcome::Challenge) => {
            reasons.push(Reason::of(&signals::MFA_DISABLED_BY_POLICY));
            outcome = Outcome::Allow;
        }
        _ => {}
    }

    // Nobody is there to answer a challenge (a refresh-token exchange): Auth0 would
    // fail the exchange, so the policy says what a risky one gets instead.
    if outcome == Outcome::Challenge && ctx.non_interactive() {
        match policy.mfa.non_interactive {
            NonInteractive::Deny => {
                reasons.push(Reason::of(&signals::NON_INTERACTIVE_DENIED));
                outcome = Outcome::Deny;
                deny_code = Some("reauthentication_required");
            }
            NonInteractive::Allow => {
                reasons.push(Reason::of(&signals::NON_INTERACTIVE_ALLOWED));
                outcome = Outcome::Allow;
            }
        }
    }

    let mut mfa = None;
    if outcome == Outcome::Challenge {
        let enrolled: Vec<&str> = ctx.enrolled_factors().collect();
        let factors: Vec<&'static str> = policy.mfa.factors.iter().map(|f| f.as_str()).filter(|f| enrolled.contains(f)).collect();
        if !factors.is_empty() {
            mfa = Some(MfaStep::Challenge { factors });
        } else {
            match policy.mfa.unenrolled {
                Unenrolled::Enroll => {
                    reasons.push(Reason::of(&signals::MFA_ENROLMENT_REQUIRED));
                    mfa = Some(MfaStep::Enroll);
                }
                Unenrolled::Deny => {
                    reasons.push(Reason::of(&signals::MFA_UNAVAILABLE));
                    outcome = Outcome::Deny;
                    deny_code = Some("mfa_unavailable");
                }
            }
        }
    }

    Verdict { outcome, risk_level, ambiguous, reasons, mfa, deny_code }
}

pub(crate) fn deny_reason(code: &str) -> String {
    format!("{code}: access denied by security policy")
}
