//! The LLM's part in classification, for the organizations the rules leave
//! ambiguous, as a two-step exchange with the host (the Actions' escalation,
//! batched):
//! 1. a call without `llm.answers`: each ambiguous organization the budgets admit
//!    gets an escalation (the exact request body); the budgets' state after the
//!    rate tokens were taken is `llm_state`, which the host stores (the
//!    `llm-budget:governance` checkpoint) before it sends anything;
//! 2. the same call with `llm.answers` (by organization id: the response body, or
//!    the failure code) and the stored state: each answer is read strictly, the
//!    breaker moved, and the label chosen among the options, if any.
//!
//! What leaves is derived facts only: scores, the rules' reason codes, bucketed
//! counts, an age bracket; the organization's name only with
//! `governance.classify.share_name`. The options are the labels in contention and
//! `unknown`; hard evidence is never in contention, so no answer overrides it.

use std::collections::BTreeMap;

use serde_json::{json, Value};

use super::{rules, Organization, Scored};
pub use crate::governance::{Answered, LlmInput};
use crate::llm::{self, AuditLlm, Escalation, Exchange, Settled};
use crate::policy::Policy;
use crate::Issue;

/// The task the request names, and what applies without an answer.
const TASK: &str = "organization_classification";
const FALLBACK: &str = "unknown";
/// The longest name sent with `share_name`.
const MAX_SHARED_NAME: usize = 100;

/// The derived facts an escalation carries: nothing a person typed, except the
/// name when the policy shares it.
#[derive(Debug, Clone)]
pub struct LlmFacts {
    facts: Value,
}

fn count(n: u64) -> &'static str {
    llm::bucket(u32::try_from(n).unwrap_or(u32::MAX))
}

impl LlmFacts {
    pub(super) fn new(
        org: &Organization,
        domains: &[(String, bool)],
        enterprise_connections: usize,
        metadata: &[(&'static str, &'static str, &'static str)],
        age_days: Option<f64>,
        scores: &BTreeMap<&'static str, f64>,
        codes: &[&'static str],
    ) -> LlmFacts {
        let verified = domains.iter().filter(|(_, v)| *v).count() as u64;
        let age = match age_days {
            None => "unknown",
            Some(d) if d < rules::YOUNG_DAYS => "under_30_days",
            Some(d) if d <= rules::ESTABLISHED_DAYS => "30_to_180_days",
            Some(_) => "over_180_days",
        };
        let a = &org.activity;
        LlmFacts {
            facts: json!({
                "scores": scores.iter().filter(|(l, _)| **l != "unknown").map(|(l, s)| (l.to_string(), json!(s))).collect::<serde_json::Map<_, _>>(),
                "reasons": codes,
                "members": count(org.members),
                "active_users_30d": count(a.active_users_30d),
                "logins_30d": count(a.logins_30d),
                "failed_logins_30d": count(a.failed_30d),
                "age": age,
                "verified_domains": count(verified),
                "pending_domains": count(domains.len() as u64 - verified),
                "enterprise_connections": count(enterprise_connections as u64),
                "metadata_says": metadata.iter().map(|(label, _, _)| *label).collect::<Vec<_>>(),
            }),
        }
    }

    fn with_name(&self, name: Option<&str>) -> Value {
        let mut facts = self.facts.clone();
        if let (Some(name), Some(map)) = (name, facts.as_object_mut()) {
            let clean: String = name.chars().filter(|c| !c.is_control()).take(MAX_SHARED_NAME).collect();
            map.insert("name".into(), Value::String(clean));
        }
        facts
    }
}

/// How one ambiguous organization's escalation stands.
pub struct Outcome {
    /// Step one: the request to send.
    pub escalation: Option<Escalation>,
    /// Step two: the label the LLM chose (`unknown` included).
    pub chosen: Option<&'static str>,
    pub audit: AuditLlm,
}

/// One call's escalations: the budgets' state threaded through them in order.
pub struct Session<'p> {
    policy: &'p Policy,
    on: bool,
    exchange: Exchange,
    state: Option<Value>,
    initial: Option<Value>,
    answers: Option<BTreeMap<String, Answered>>,
    now_ms: f64,
}

impl<'p> Session<'p> {
    pub fn new(policy: &'p Policy, input: Option<LlmInput>, now_ms: f64, warnings: &mut Vec<Issue>) -> Session<'p> {
        let input = input.unwrap_or_default();
        let mut exchange = Exchange { available: input.available, model: input.model, base_url: input.base_url, ..Exchange::default() };
        exchange.vet(warnings);
        let on = policy.governance.classify.llm && policy.llm.enabled && exchange.available;
        Session { policy, on, exchange, state: input.state.clone(), initial: input.state, answers: input.answers, now_ms }
    }

    fn with_state(&self) -> Exchange {
        Exchange { state: self.state.clone(), ..self.exchange.clone() }
    }

    /// The escalation of one ambiguous organization; `None` when the LLM is not
    /// to be asked (off, or nothing in contention).
    pub(super) fn resolve(&mut self, organization_id: &str, scored: &Scored, name: Option<&str>) -> Option<Outcome> {
        if !self.on || scored.contention.is_empty() {
            return None;
        }
        let mut options: Vec<&'static str> = scored.contention.clone();
        options.push(FALLBACK);
        let llm = &self.policy.llm;
        let Some(answers) = &self.answers else {
            // Step one: a request for each organization the budgets admit.
            return Some(match llm::settle(&self.exchange, &options, llm.min_confidence) {
                Settled::Pending => match llm::admit(&self.with_state(), llm, self.now_ms) {
                    Ok(token) => {
                        self.state = Some(Value::String(token.value));
                        let name = name.filter(|_| self.policy.governance.classify.share_name);
                        let facts = scored.facts.with_name(name);
                        let escalation = llm::request(llm, &self.exchange, TASK, &options, FALLBACK, facts);
                        Outcome { escalation: Some(escalation), chosen: None, audit: AuditLlm::default() }
                    }
                    Err(result) => held(result, &options),
                },
                settled => Outcome { escalation: None, chosen: None, audit: AuditLlm::of(&settled, &options) },
            });
        };
        // Step two: what came back, read strictly; the breaker moves for calls that went out.
        let settled = match answers.get(organization_id) {
            Some(a) => {
                let exchange = Exchange { response: a.response.clone(), failure: a.failure.clone(), ..self.exchange.clone() };
                match llm::settle(&exchange, &options, llm.min_confidence) {
                    Settled::Pending => Settled::Failed { asked: false, result: "not_asked" },
                    settled => settled,
                }
            }
            None => Settled::Failed { asked: false, result: "not_asked" },
        };
        let result = match &settled {
            Settled::Chosen { .. } => Some("answered"),
            Settled::Failed { asked: true, result } => Some(*result),
            _ => None,
        };
        if let Some(write) = result.and_then(|r| llm::record(&self.with_state(), llm, r, self.now_ms)) {
            self.state = Some(Value::String(write.value));
        }
        let chosen = match &settled {
            Settled::Chosen { index, .. } => options.get(*index).copied(),
            _ => None,
        };
        Some(Outcome { escalation: None, chosen, audit: AuditLlm::of(&settled, &options) })
    }

    /// The budgets' value to store, when this call changed it.
    pub fn state_changed(&self) -> Option<String> {
        if self.state == self.initial {
            return None;
        }
        match &self.state {
            Some(Value::String(s)) => Some(s.clone()),
            _ => None,
        }
    }
}

fn held(result: &'static str, options: &[&'static str]) -> Outcome {
    Outcome { escalation: None, chosen: None, audit: AuditLlm::of(&Settled::Failed { asked: false, result }, options) }
}
