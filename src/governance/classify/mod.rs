//! Organization classification (`actionguard orgs classify`): which class each
//! organization is (trial, enterprise, partner, internal or unknown), and the
//! policy tier (`ag_tier`) it should be on, proposed through the approval queue.
//!
//! Rules first ([`rules`]): each label gets a score, the sum of the weights of
//! the rules that fired for it, each cited as a reason. The top label is decided
//! when it reaches `governance.classify.min_score` and leads the second by
//! `governance.classify.margin`; otherwise the organization is ambiguous, and
//! with `governance.classify.llm` (and `llm.enabled`) the LLM may choose among
//! the labels left in contention, or `unknown` ([`escalate`]). Hard evidence (every
//! domain verified inside the tenant's own) is decided by the rules and never
//! asked about. An ambiguity left unresolved is `unknown` and proposes nothing.
//!
//! The result is never written: a label whose tier (`governance.classify.tiers`)
//! differs from the organization's `ag_tier` gives a `set_tier` request for a
//! person to approve; the executor re-checks the stored request
//! ([`check_proposal`]) and that the tier exists in the policy it runs with.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::governance::{self, is_id, plain, Reason, Request, KIND_SET_TIER, LABELS};
use crate::llm::AuditLlm;
use crate::policy::Policy;
use crate::{signals, Answer, Issue};

pub mod apply;
pub mod escalate;
pub mod rules;

#[cfg(test)]
mod tests;

/// The log types that count as an organization's logins (the access review's) and as
/// its failed ones, for the host's query of the stored logs.
pub const SUCCESS_LOG_TYPES: &[&str] = &crate::governance::review::SUCCESS_LOG_TYPES;
/// Failed logins, as detection counts them (`detect`).
pub const FAILURE_LOG_TYPES: &[&str] = &["f", "fp", "fu"];
/// The window of the activity rules, in days.
pub const ACTIVITY_DAYS: u32 = 30;

/// The job name on requests and audit records.
pub const JOB: &str = "classify";
/// The most organizations one call classifies.
pub const MAX_ORGANIZATIONS: usize = 100_000;
/// The longest organization name kept in a proposal.
const MAX_NAME: usize = 256;

/// What the host gathered, and the LLM's exchange when there is one.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Input {
    /// The tenant policy document (absent: the embedded default).
    #[serde(default)]
    pub policy: Option<String>,
    #[serde(default)]
    pub tenant: Option<String>,
    pub now_ms: f64,
    pub organizations: Vec<Organization>,
    #[serde(default)]
    pub llm: Option<escalate::LlmInput>,
}

/// One organization as the Management API and the stored logs describe it.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Organization {
    pub id: String,
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub display_name: Option<String>,
    /// Anything: only string values under the rules' keys are read.
    #[serde(default)]
    pub metadata: Value,
    /// RFC 3339, when the host knows it (Auth0 does not list it for organizations).
    #[serde(default)]
    pub created_at: Option<Value>,
    #[serde(default)]
    pub domains: Vec<Domain>,
    #[serde(default)]
    pub enabled_connections: Vec<Connection>,
    /// How many members it has.
    #[serde(default)]
    pub members: u64,
    #[serde(default)]
    pub activity: Activity,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Domain {
    pub domain: String,
    /// `verified` or `pending`, as Auth0 lists discovery domains.
    #[serde(default)]
    pub status: String,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Connection {
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub strategy: String,
}

/// The organization's logins in the stored logs.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Activity {
    pub logins_30d: u64,
    pub active_users_30d: u64,
    pub failed_30d: u64,
    pub first_seen_ms: Option<f64>,
    pub last_seen_ms: Option<f64>,
}

/// One organization's classification.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct OrgResult {
    pub organization_id: String,
    pub label: &'static str,
    /// Every label's score (`unknown` scores nothing: it is what is left).
    pub scores: BTreeMap<&'static str, f64>,
    pub reasons: Vec<Reason>,
    /// Decided by hard evidence: never escalated, never overridden.
    pub hard_evidence: bool,
    /// The rules did not decide.
    pub ambiguous: bool,
    /// The labels the rules left in contention (the LLM's options, with `unknown`).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub contention: Vec<&'static str>,
    /// Sent, or to be sent, to the LLM.
    pub escalated: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub llm: Option<AuditLlm>,
    /// Its `ag_tier` now (clipped).
    pub current_tier: Option<String>,
    /// The tier its label proposes, when the label is decided and has one.
    pub proposed_tier: Option<String>,
    /// The approval request, when the proposed tier differs from the current one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub request: Option<Request>,
}

/// An escalation for the host to send (step one of the exchange).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct OrgEscalation {
    pub organization_id: String,
    #[serde(flatten)]
    pub escalation: crate::llm::Escalation,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Summary {
    pub organizations: usize,
    pub labels: BTreeMap<&'static str, usize>,
    pub ambiguous: usize,
    pub escalated: usize,
    /// `escalated` / `organizations` (0 without organizations).
    pub escalated_share: f64,
    pub ambiguous_share: f64,
    pub proposals: usize,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Classification {
    pub results: Vec<OrgResult>,
    /// Requests the host sends to the LLM, then calls again with the answers.
    pub escalations: Vec<OrgEscalation>,
    /// The LLM budgets' new value, for the host's `llm-budget:governance` checkpoint.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub llm_state: Option<String>,
    pub summary: Summary,
}

/// What the rules make of one organization.
struct Scored {
    scores: BTreeMap<&'static str, f64>,
    reasons: Vec<Reason>,
    hard: bool,
    /// The label when the rules decide it.
    decided: Option<&'static str>,
    contention: Vec<&'static str>,
    facts: escalate::LlmFacts,
}

fn clip(s: &str, max: usize) -> String {
    s.chars().filter(|c| !c.is_control()).take(max).collect()
}

fn score(org: &Organization, policy: &Policy, now_ms: f64) -> Scored {
    let classify = &policy.governance.classify;
    let domains: Vec<(String, bool)> = org
        .domains
        .iter()
        .map(|d| {
            // A domain that does not normalize is nobody's: it counts as one of theirs, unverified.
            let name = crate::email::normalize_domain(&d.domain).unwrap_or_else(|_| String::from("invalid."));
            (name, d.status.eq_ignore_ascii_case("verified"))
        })
        .collect();
    let created = match &org.created_at {
        Some(Value::String(s)) => crate::clock::parse_rfc3339_ms(s).map(|ms| ms as f64),
        _ => None,
    };
    let facts = rules::Facts {
        domains: &domains,
        strategies: rules::enterprise_strategies(org.enabled_connections.iter().map(|c| c.strategy.as_str())),
        metadata: rules::metadata_labels(&org.metadata),
        members: org.members,
        active_users_30d: org.activity.active_users_30d,
        age_days: rules::age_days(now_ms, created.or(org.activity.first_seen_ms)),
    };
    let fired = rules::fire(&facts, &classify.internal_domains);
    let mut scores: BTreeMap<&'static str, f64> = LABELS.iter().map(|l| (*l, 0.0)).collect();
    for f in &fired {
        if let Some(s) = scores.get_mut(f.rule.label) {
            *s += f.rule.weight;
        }
    }
    let hard = fired.iter().any(|f| f.rule.reason.code == rules::HARD.code);
    let mut reasons: Vec<Reason> = fired.iter().map(rules::reason).collect();
    let fired_codes: Vec<&'static str> = fired.iter().map(|f| f.rule.reason.code).collect();
    // The scored labels, best first (ties in LABELS order).
    let mut ranked: Vec<(&'static str, f64)> =
        LABELS.iter().filter(|l| **l != "unknown").map(|l| (*l, scores.get(l).copied().unwrap_or(0.0))).collect();
    ranked.sort_by(|a, b| b.1.total_cmp(&a.1));
    let (top, second) = (ranked.first().copied().unwrap_or(("unknown", 0.0)), ranked.get(1).map_or(0.0, |s| s.1));
    let (decided, contention) = if hard {
        (Some("internal"), Vec::new())
    } else if top.1 <= 0.0 {
        // No evidence for any label: unknown, and nothing for the LLM to weigh.
        reasons.push(reason_of(&signals::CLASSIFY_NO_SIGNALS));
        (Some("unknown"), Vec::new())
    } else if top.1 >= classify.min_score && top.1 - second >= classify.margin {
        (Some(top.0), Vec::new())
    } else {
        let floor = if top.1 < classify.min_score { 0.0 } else { top.1 - classify.margin };
        // In LABELS order, not by score: the LLM's options carry no ranking to lean on.
        let contention: Vec<&'static str> =
            LABELS.iter().filter(|l| ranked.iter().any(|(r, s)| r == *l && *s > 0.0 && *s >= floor)).copied().collect();
        reasons.push(Reason::new(
            signals::CLASSIFY_AMBIGUOUS.code,
            format!("{} (in contention: {})", signals::CLASSIFY_AMBIGUOUS.message, contention.join(", ")),
        ));
        (None, contention)
    };
    let llm_facts = escalate::LlmFacts::new(org, &domains, facts.strategies.len(), &facts.metadata, facts.age_days, &scores, &fired_codes);
    Scored { scores, reasons, hard, decided, contention, facts: llm_facts }
}

/// A catalogue reason with its own message.
fn reason_of(r: &signals::PolicyReason) -> Reason {
    Reason::new(r.code, r.message)
}

/// The proposal of a `set_tier` request, as stored and checked.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Proposal {
    pub organization_id: String,
    #[serde(default)]
    pub organization_name: Option<String>,
    #[serde(default)]
    pub from_tier: Option<String>,
    pub to_tier: String,
    /// The label that proposed it; `None` when an access review proposed the tier
    /// (`governance.review.stricter_tier`).
    #[serde(default)]
    pub label: Option<String>,
}

fn tier_request(tenant: Option<&str>, org: &Organization, from: Option<&str>, to: &str, label: &str, reasons: &[Reason]) -> Request {
    let name = org.display_name.as_deref().or(org.name.as_deref()).map(|n| clip(n, MAX_NAME));
    let proposal = Proposal {
        organization_id: org.id.clone(),
        organization_name: name,
        from_tier: from.map(str::to_string),
        to_tier: to.to_string(),
        label: Some(label.to_string()),
    };
    let value = serde_json::to_value(&proposal).unwrap_or(Value::Null);
    governance::request(KIND_SET_TIER, JOB, tenant, &[org.id.as_str(), to], value, reasons.to_vec())
}

/// Classifies every organization of the input: the first call of an exchange
/// (no `llm.answers`) returns the escalations to send; the second (with the
/// answers by organization id) settles them.
pub fn classify(input: Input) -> Answer<Classification> {
    let policy = match input.policy.as_deref() {
        None => Policy::default(),
        Some(text) => match crate::policy::parse_policy(text) {
            Ok(p) => p,
            Err(errors) => return Answer::Failure { errors },
        },
    };
    if !input.now_ms.is_finite() || input.now_ms <= 0.0 {
        return Answer::failure(Issue::new("invalid_classification", Some("now_ms".into()), "must be a positive number of milliseconds"));
    }
    if input.organizations.len() > MAX_ORGANIZATIONS {
        return Answer::failure(Issue::new(
            "too_many_organizations",
            Some("organizations".into()),
            format!("at most {MAX_ORGANIZATIONS} per call"),
        ));
    }
    if input.tenant.as_deref().is_some_and(|t| !plain(t)) {
        return Answer::failure(Issue::new("invalid_classification", Some("tenant".into()), "at most 256 bytes, no control characters"));
    }
    let mut warnings = Vec::new();
    let mut llm = escalate::Session::new(&policy, input.llm, input.now_ms, &mut warnings);
    let tenant = input.tenant.as_deref();
    let mut seen = std::collections::BTreeSet::new();
    let mut results = Vec::with_capacity(input.organizations.len());
    let mut escalations = Vec::new();
    for (i, org) in input.organizations.iter().enumerate() {
        if !is_id(&org.id) {
            warnings.push(Issue::new("invalid_organization", Some(format!("organizations.{i}.id")), "not an organization id: skipped"));
            continue;
        }
        if !seen.insert(org.id.as_str()) {
            warnings.push(Issue::new(
                "duplicate_organization",
                Some(format!("organizations.{i}.id")),
                "listed twice: the first is classified",
            ));
            continue;
        }
        let mut scored = score(org, &policy, input.now_ms);
        let mut result = OrgResult {
            organization_id: org.id.clone(),
            label: scored.decided.unwrap_or("unknown"),
            scores: std::mem::take(&mut scored.scores),
            reasons: std::mem::take(&mut scored.reasons),
            hard_evidence: scored.hard,
            ambiguous: scored.decided.is_none(),
            contention: scored.contention.clone(),
            escalated: false,
            llm: None,
            current_tier: org.metadata.get(crate::layers::META_TIER).and_then(Value::as_str).map(|t| clip(t, MAX_NAME)),
            proposed_tier: None,
            request: None,
        };
        let mut decided = scored.decided;
        if decided.is_none() {
            let name = org.display_name.as_deref().or(org.name.as_deref());
            if let Some(outcome) = llm.resolve(&org.id, &scored, name) {
                result.escalated = true;
                if let Some(e) = outcome.escalation {
                    escalations.push(OrgEscalation { organization_id: org.id.clone(), escalation: e });
                }
                if let Some(chosen) = outcome.chosen {
                    decided = Some(chosen);
                    result.label = chosen;
                    result.reasons.push(Reason::new(
                        signals::CLASSIFY_LLM_CHOICE.code,
                        format!("{} (`{chosen}`)", signals::CLASSIFY_LLM_CHOICE.message),
                    ));
                } else if outcome.audit.result.is_some() {
                    result.reasons.push(reason_of(&signals::CLASSIFY_LLM_NO_ANSWER));
                }
                result.llm = Some(outcome.audit);
            }
        }
        // Only a decided label proposes; `unknown` chosen by the LLM decides nothing.
        let proposes = match decided {
            Some("unknown") => result.reasons.iter().any(|r| r.code == signals::CLASSIFY_NO_SIGNALS.code),
            Some(_) => true,
            None => false,
        };
        if proposes {
            if let Some(tier) = policy.governance.classify.tiers.get(result.label) {
                result.proposed_tier = Some(tier.clone());
                if result.current_tier.as_deref() != Some(tier.as_str()) {
                    result.request = Some(tier_request(tenant, org, result.current_tier.as_deref(), tier, result.label, &result.reasons));
                }
            }
        }
        results.push(result);
    }
    let summary = summarize(&results);
    Answer::success(Classification { results, escalations, llm_state: llm.state_changed(), summary }, warnings)
}

fn summarize(results: &[OrgResult]) -> Summary {
    let mut labels: BTreeMap<&'static str, usize> = LABELS.iter().map(|l| (*l, 0)).collect();
    for r in results {
        *labels.entry(r.label).or_insert(0) += 1;
    }
    let n = results.len();
    let share = |k: usize| if n == 0 { 0.0 } else { (k as f64 / n as f64 * 10_000.0).round() / 10_000.0 };
    let ambiguous = results.iter().filter(|r| r.ambiguous).count();
    let escalated = results.iter().filter(|r| r.escalated).count();
    Summary {
        organizations: n,
        labels,
        ambiguous,
        escalated,
        escalated_share: share(escalated),
        ambiguous_share: share(ambiguous),
        proposals: results.iter().filter(|r| r.request.is_some()).count(),
    }
}

/// [`classify`] from JSON.
pub fn classify_json(input: &str) -> Answer<Classification> {
    match crate::answer::parse_json::<Input>(input, "invalid_classification") {
        Ok(i) => classify(i),
        Err(issue) => Answer::failure(issue),
    }
}

fn bad(path: &str, message: &str) -> Issue {
    Issue::new("not_a_governance_request", Some(format!("proposal.{path}")), message.to_string())
}

/// Checks a stored proposal of this module's kind; the parts its dedupe key is made of.
pub fn check_proposal(proposal: &Value) -> Result<Vec<String>, Issue> {
    let p: Proposal = serde_json::from_value(proposal.clone()).map_err(|e| {
        Issue::new("not_a_governance_request", Some("proposal".into()), format!("not a set_tier proposal: {}", clip(&e.to_string(), 200)))
    })?;
    if !is_id(&p.organization_id) {
        return Err(bad("organization_id", "not an organization id"));
    }
    if !is_id(&p.to_tier) || p.to_tier.len() > 64 {
        return Err(bad("to_tier", "a tier name: 1 to 64 bytes, no spaces or control characters"));
    }
    if p.from_tier.as_deref().is_some_and(|t| !plain(t)) {
        return Err(bad("from_tier", "at most 256 bytes, no control characters"));
    }
    if p.organization_name.as_deref().is_some_and(|t| !plain(t)) {
        return Err(bad("organization_name", "at most 256 bytes, no control characters"));
    }
    if p.label.as_deref().is_some_and(|l| !LABELS.contains(&l)) {
        return Err(bad("label", "one of the labels"));
    }
    if p.from_tier.as_deref() == Some(p.to_tier.as_str()) {
        return Err(bad("to_tier", "the same as from_tier: nothing to change"));
    }
    Ok(vec![p.organization_id, p.to_tier])
}

/// The facts of a proposal, for the executor (after [`check_proposal`]).
pub fn proposal_of(request: &Request) -> Option<Proposal> {
    serde_json::from_value(request.proposal.clone()).ok()
}
