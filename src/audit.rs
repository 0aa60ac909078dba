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
//!
//! Each record has an `id` ([`RecordIds`]) and two forms: the full record, which goes
//! to the audit webhook, and its console line ([`line`]), which is all Auth0 keeps of
//! an Action's console. The id joins the two and lets a receiver drop a repeat.

pub mod intake;
mod line;

use std::sync::atomic::{AtomicU64, Ordering};

use serde::Serialize;
use sha2::{Digest, Sha256};

pub use line::{console_line, CONSOLE_KEPT_CHARS, LINE_SCHEMA, MAX_LINE_CHARS};

use crate::decision::{Outcome, Reason};
use crate::policy::PolicySource;

pub const AUDIT_SCHEMA: u32 = 1;

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AuditRecord {
    /// Schema version; also the marker log pipelines filter on.
    pub actionguard_audit: u32,
    /// Unique per record (24 hex digits, [`RecordIds`]): the console line carries it too.
    pub id: String,
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
    pub(crate) fn new(id: String, trigger: &'static str, tenant: Option<&str>, now_ms: Option<f64>, policy: AuditPolicy) -> AuditBuilder {
        AuditBuilder(AuditRecord {
            actionguard_audit: AUDIT_SCHEMA,
            id,
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

/// Serializes a record (a flattened field of an answer) as two strings: `audit`, the
/// record's own JSON on one line (for the webhook), and `audit_line`, its console line.
/// Both are text so that neither is parsed again on its way out of the Action.
pub fn as_json_lines<S: serde::Serializer>(record: &AuditRecord, s: S) -> Result<S::Ok, S::Error> {
    use serde::ser::SerializeMap;
    let full = serde_json::to_string(record).map_err(serde::ser::Error::custom)?;
    let mut map = s.serialize_map(Some(2))?;
    map.serialize_entry("audit", &full)?;
    map.serialize_entry("audit_line", &console_line(record))?;
    map.end()
}

/// Where record ids come from. The core has no clock or random source of its own, so
/// the host draws a nonce once per engine (`Engine::set_record_nonce`: 96 random bits
/// from the Action instance) and each record takes the next number: its id is 24 hex
/// digits of SHA-256(purpose, nonce, number), which says nothing of the user, the
/// instance or how many decisions it made. Two instances collide only if their nonces
/// do; without a nonce (tools, tests) ids are unique per engine only.
#[derive(Debug, Default)]
pub struct RecordIds {
    nonce: [u8; 12],
    next: AtomicU64,
}

impl RecordIds {
    /// From the host's nonce: exactly 24 hex digits, else `None`.
    pub fn from_hex(nonce: &str) -> Option<RecordIds> {
        let digits = nonce.as_bytes();
        // Checked first: `from_str_radix` would take a sign (`+f`) for a digit.
        if digits.len() != 24 || !digits.iter().all(u8::is_ascii_hexdigit) {
            return None;
        }
        let mut bytes = [0u8; 12];
        for (byte, pair) in bytes.iter_mut().zip(digits.chunks_exact(2)) {
            let text = std::str::from_utf8(pair).ok()?;
            *byte = u8::from_str_radix(text, 16).ok()?;
        }
        Some(RecordIds { nonce: bytes, next: AtomicU64::new(0) })
    }

    /// The next record's id.
    pub(crate) fn next_id(&self) -> String {
        let n = self.next.fetch_add(1, Ordering::Relaxed);
        let mut h = Sha256::new();
        h.update(b"actionguard/record/v1\0");
        h.update(self.nonce);
        h.update(n.to_le_bytes());
        let digest = h.finalize();
        let mut out = String::with_capacity(24);
        crate::hex::push_hex(&mut out, digest.get(..12).unwrap_or_default());
        out
    }
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
    fn record_ids_are_unique_hex_and_depend_on_the_nonce() {
        let a = RecordIds::from_hex("00112233445566778899aabb").unwrap();
        let b = RecordIds::from_hex("00112233445566778899AABC").unwrap();
        let ids: Vec<String> = (0..1000).map(|_| a.next_id()).chain((0..1000).map(|_| b.next_id())).collect();
        let distinct: std::collections::HashSet<&String> = ids.iter().collect();
        assert_eq!(distinct.len(), 2000);
        assert!(ids.iter().all(|id| id.len() == 24 && id.bytes().all(|c| c.is_ascii_hexdigit() && !c.is_ascii_uppercase())));
        // The same nonce gives the same sequence: the nonce is all that keeps instances apart.
        let again = RecordIds::from_hex("00112233445566778899aabb").unwrap();
        assert_eq!(again.next_id(), ids[0]);
        for bad in [
            "",
            "00112233445566778899aab",
            "00112233445566778899aabbc",
            "+0112233445566778899aabb",
            "0011223344556677889 aabb",
            "00112233445566778899aabé",
        ] {
            assert!(RecordIds::from_hex(bad).is_none(), "{bad:?}");
        }
    }

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
