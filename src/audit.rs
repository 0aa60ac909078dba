//! The audit record every decision carries: enough to explain and replay the
//! decision, nothing that identifies a person without the tenant's own data.
//!
//! Pseudonymized: the user id becomes `u_` + 24 hex digits of
//! SHA-256("actionguard/user/v1" NUL tenant NUL user_id); a sign-up's address
//! `e_` + 24 hex digits of SHA-256("actionguard/email/v1" NUL tenant NUL
//! base-local@domain). Unsalted hashes of guessable values are not anonymous:
//! they let the tenant correlate records, not hide a known address from it.
//! Left out entirely: email, name, IP address, user agent, secrets. Tenant and organization ids
//! are the customer's own identifiers, not personal data, and are kept.

use serde::Serialize;
use sha2::{Digest, Sha256};

use crate::decision::{Outcome, Reason};
use crate::policy::PolicySource;

pub const AUDIT_SCHEMA: u32 = 1;

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AuditRecord {
    /// Schema version; also the marker log pipelines filter on.
    pub actionguard_audit: u32,
    pub trigger: &'static str,
    pub tenant: Option<String>,
    pub organization: Option<String>,
    /// Pseudonymous: `u_` for a user id, `e_` for an email address (sign-ups).
    pub user: Option<String>,
    /// The Auth0 client (application) id, for machine-to-machine decisions.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub client: Option<String>,
    /// `disposable`, `free_mail` or `other`: the kind of mail domain, never the domain.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub domain_class: Option<&'static str>,
    /// Organization discovery: join, invite, suggest, create_for_approval, complete_roles or none.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub org_action: Option<crate::orgmap::OrgAction>,
    /// What was applied: `allow` (and for discovery a suggestion at most) when watched.
    pub outcome: Outcome,
    /// What the engine decided; differs from `outcome` only when the decision was watched.
    pub would_outcome: Outcome,
    /// Organization discovery: what it decided, when watching applied less (`org_action`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub would_action: Option<crate::orgmap::OrgAction>,
    /// Whether the decision was applied, and the policy's rollout that says so.
    pub enforcement: crate::enforcement::Applied,
    pub score: f64,
    pub rule_score: f64,
    pub model_score: Option<f64>,
    pub reasons: Vec<AuditReason>,
    pub policy: AuditPolicy,
    /// Version of the embedded risk model, once there is one.
    pub model: Option<String>,
    pub llm: AuditLlm,
    /// Codes of warnings raised on the way (ignored fields, a rejected policy).
    pub warnings: Vec<&'static str>,
    pub ts_ms: Option<f64>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AuditReason {
    pub code: &'static str,
    pub message: String,
}

impl From<&Reason> for AuditReason {
    fn from(r: &Reason) -> Self {
        AuditReason { code: r.code, message: r.message.clone() }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AuditPolicy {
    pub source: PolicySource,
    pub version: u32,
    /// Of the effective policy, after its layers.
    pub digest: String,
    /// The layers that made it, bottom first: `baseline`, `tier:<name>`, `organization`.
    pub layers: Vec<String>,
    /// Keys of the organization's override that were refused: they would have
    /// loosened the layers below, or made the policy invalid.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub refused: Vec<String>,
}

pub use crate::llm::AuditLlm;

/// The one way to make an audit record: the engine starts it with what every
/// trigger shares (trigger, tenant, clock, the effective policy), each decision
/// adds what it knows, and `build` ends it.
#[must_use]
#[derive(Debug, Clone)]
pub struct AuditBuilder(AuditRecord);

impl AuditBuilder {
    pub(crate) fn new(trigger: &'static str, tenant: Option<&str>, now_ms: Option<f64>, policy: AuditPolicy) -> AuditBuilder {
        AuditBuilder(AuditRecord {
            actionguard_audit: AUDIT_SCHEMA,
            trigger,
            tenant: tenant.map(str::to_string),
            organization: None,
            user: None,
            client: None,
            domain_class: None,
            org_action: None,
            outcome: Outcome::Allow,
            would_outcome: Outcome::Allow,
            would_action: None,
            enforcement: crate::enforcement::Applied::default(),
            score: 0.0,
            rule_score: 0.0,
            model_score: None,
            reasons: Vec::new(),
            policy,
            model: None,
            llm: AuditLlm::default(),
            warnings: Vec::new(),
            ts_ms: now_ms,
        })
    }

    /// The tenant the record is for: pseudonyms are keyed by it.
    pub fn tenant(&self) -> Option<&str> {
        self.0.tenant.as_deref()
    }

    pub fn organization(mut self, id: Option<&str>) -> Self {
        self.0.organization = id.map(str::to_string);
        self
    }

    /// A pseudonym (`pseudonymize_user`, `pseudonymize_email`), never an identifier.
    pub fn user(mut self, pseudonym: Option<String>) -> Self {
        self.0.user = pseudonym;
        self
    }

    pub fn client(mut self, id: Option<&str>) -> Self {
        self.0.client = id.map(str::to_string);
        self
    }

    pub fn domain_class(mut self, class: Option<&'static str>) -> Self {
        self.0.domain_class = class;
        self
    }

    pub fn org_action(mut self, action: crate::orgmap::OrgAction) -> Self {
        self.0.org_action = Some(action);
        self
    }

    /// What the engine decided: applied as well, unless [`Self::enforcement`] says otherwise.
    pub fn outcome(mut self, outcome: Outcome) -> Self {
        self.0.outcome = outcome;
        self.0.would_outcome = outcome;
        self
    }

    /// How the decision was treated, and what was applied when it was only watched.
    pub fn enforcement(mut self, applied: crate::enforcement::Applied, outcome: Outcome) -> Self {
        self.0.enforcement = applied;
        self.0.outcome = outcome;
        self
    }

    /// What organization discovery decided, beside what it applied (`org_action`).
    pub fn would_action(mut self, action: crate::orgmap::OrgAction) -> Self {
        self.0.would_action = Some(action);
        self
    }

    pub fn scores(mut self, score: f64, rule_score: f64, model_score: Option<f64>) -> Self {
        self.0.score = score;
        self.0.rule_score = rule_score;
        self.0.model_score = model_score;
        self
    }

    pub fn model(mut self, version: Option<&str>) -> Self {
        self.0.model = version.map(str::to_string);
        self
    }

    pub fn reasons(mut self, reasons: &[Reason]) -> Self {
        self.0.reasons = reasons.iter().map(AuditReason::from).collect();
        self
    }

    pub fn llm(mut self, llm: AuditLlm) -> Self {
        self.0.llm = llm;
        self
    }

    pub fn warnings(mut self, warnings: &[crate::Issue]) -> Self {
        self.0.warnings = warnings.iter().map(|w| w.code).collect();
        self
    }

    pub fn build(self) -> AuditRecord {
        self.0
    }
}

/// Serializes a record as a string holding its own JSON, one line.
pub fn as_json_line<S: serde::Serializer>(record: &AuditRecord, s: S) -> Result<S::Ok, S::Error> {
    let line = serde_json::to_string(record).map_err(serde::ser::Error::custom)?;
    s.serialize_str(&line)
}

pub fn pseudonymize_user(tenant: Option<&str>, user_id: &str) -> String {
    pseudonym("u_", b"actionguard/user/v1\0", tenant, user_id)
}

/// An address as `local@domain`, the local part already without its `+tag`
/// and lowercased, so retries with tags correlate.
pub fn pseudonymize_email(tenant: Option<&str>, base_local: &str, domain: &str) -> String {
    pseudonym("e_", b"actionguard/email/v1\0", tenant, &format!("{base_local}@{domain}"))
}

fn pseudonym(prefix: &str, purpose: &[u8], tenant: Option<&str>, value: &str) -> String {
    let mut h = Sha256::new();
    h.update(purpose);
    h.update(tenant.unwrap_or("").as_bytes());
    h.update(b"\0");
    h.update(value.as_bytes());
    let digest = h.finalize();
    let mut out = String::from(prefix);
    crate::hex::push_hex(&mut out, digest.get(..12).unwrap_or_default());
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pseudonyms_are_stable_per_tenant_and_hide_the_id() {
        let a = pseudonymize_user(Some("t1"), "auth0|abc");
        assert_eq!(a, pseudonymize_user(Some("t1"), "auth0|abc"));
        assert_ne!(a, pseudonymize_user(Some("t2"), "auth0|abc"));
        assert_ne!(a, pseudonymize_user(Some("t1"), "auth0|abd"));
        assert!(!a.contains("abc") && a.len() == 26);
        let e = pseudonymize_email(Some("t1"), "sam", "example.com");
        assert!(e.starts_with("e_") && e.len() == 26 && !e.contains("sam"));
        assert_ne!(e, pseudonymize_user(Some("t1"), "sam@example.com"));
    }
}
