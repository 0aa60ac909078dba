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
    /// Organization discovery: join, invite, suggest, create_for_approval or none.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub org_action: Option<crate::orgmap::OrgAction>,
    pub outcome: Outcome,
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
        AuditReason {
            code: r.code,
            message: r.message.clone(),
        }
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
}

pub use crate::llm::AuditLlm;

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
