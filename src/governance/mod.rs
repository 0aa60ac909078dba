//! Governance: the control plane's tenant-wide jobs over the Management API,
//! each in three phases. Read-only first (a report with reasons a reviewer can
//! act on), then approval requests a person decides in the same queue as every
//! other write ([`crate::approvals`]), then the approved ones executed behind caps
//! and a circuit breaker, every write leaving an audit record with its reasoning.
//!
//! - [`review`]: access reviews (`actionguard review members`);
//! - [`classify`]: organization classification (`actionguard orgs classify`);
//! - [`roster`]: bulk membership from an employee list (`actionguard members import`).
//!
//! The host gathers facts (Management API pages, stored logs) and does the writes;
//! what is flagged, proposed, and whether a stored request may be executed is
//! decided here. This module holds what the three share: the request envelope,
//! its de-duplication key, the check an executor runs on a stored request, and
//! the audit record of a write.

use serde::{Deserialize, Serialize};
use serde_json::Value;
use sha2::{Digest, Sha256};

use crate::{Answer, Issue};

pub mod classify;
pub mod review;
pub mod roster;

/// Who proposes governance requests: a job, never a login.
pub const REQUESTED_BY: &str = "actionguard-governance";

/// Organization classes, in the order they are scored and reported.
pub const LABELS: [&str; 5] = ["trial", "enterprise", "partner", "internal", "unknown"];

/// Remove a user from an organization (`DELETE /api/v2/organizations/{id}/members`).
pub const KIND_REMOVE_MEMBERSHIP: &str = "remove_membership";
/// Put an organization on a policy tier (`ag_tier`, re-signed when layers are signed).
pub const KIND_SET_TIER: &str = "set_tier";
/// Verify a pending discovery domain (its DNS record checked by the executor).
pub const KIND_VERIFY_DOMAIN: &str = "verify_domain";
/// Invite or add the rows of an employee list, with the roles mapped from departments.
pub const KIND_IMPORT_MEMBERS: &str = "import_members";
/// Every governance kind.
pub const KINDS: [&str; 4] = [KIND_REMOVE_MEMBERSHIP, KIND_SET_TIER, KIND_VERIFY_DOMAIN, KIND_IMPORT_MEMBERS];

/// The longest text kept in a request or an audit record field.
pub(crate) const MAX_TEXT: usize = 256;
/// The largest stored request an executor reads (an import's plan holds its rows).
pub const MAX_REQUEST_BYTES: usize = 4 * 1024 * 1024;

/// One reason, as every report and request carries them: a code from the
/// catalogue ([`crate::signals`]) and a sentence for people.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Reason {
    pub code: String,
    pub message: String,
}

impl Reason {
    pub fn new(code: &str, message: impl Into<String>) -> Reason {
        Reason { code: code.to_string(), message: message.into() }
    }
}

/// The host's side of a governance job's LLM exchange (`llm` in its input), in two
/// steps as the Actions' escalation: a call without `answers` returns the request
/// bodies to send (their rate tokens taken in the budgets' state, which the host
/// stores in the `llm-budget:governance` checkpoint before it sends anything); the
/// same call with `answers` (by the key each escalation named) settles them.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct LlmInput {
    /// `LLM_BASE_URL` is set.
    pub available: bool,
    /// `LLM_MODEL`.
    pub model: Option<String>,
    /// `LLM_BASE_URL`, vetted (https, or http to this machine only).
    pub base_url: Option<String>,
    /// The `llm-budget:governance` checkpoint's value, as stored (any JSON).
    pub state: Option<Value>,
    /// Step two: what came back, by the key the escalation named (an organization
    /// id, a department key).
    pub answers: Option<std::collections::BTreeMap<String, Answered>>,
}

/// What came back for one escalation.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Answered {
    /// The HTTP response body, as received.
    pub response: Option<String>,
    /// Why there is none: one of `llm::SHIM_FAILURES`.
    pub failure: Option<String>,
}

/// A governance approval request, as the queue keeps it (the store's `request`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Request {
    pub kind: String,
    /// 32 hex digits ([`dedupe_key`]): one request per question, however many runs ask it.
    pub dedupe_key: String,
    #[serde(default)]
    pub tenant: Option<String>,
    /// `review`, `classify` or `members_import`.
    pub job: String,
    /// The kind's own fields (checked by its module).
    pub proposal: Value,
    pub reasons: Vec<Reason>,
    pub requested_by: String,
}

/// 32 hex digits of SHA-256 over the kind, the tenant and the parts that make the
/// question (an organization and a user; an organization and a tier...), each
/// length-prefixed so that no two lists of parts collide.
pub fn dedupe_key(kind: &str, tenant: Option<&str>, parts: &[&str]) -> String {
    let mut h = Sha256::new();
    for part in [kind, tenant.unwrap_or("")].iter().chain(parts.iter()) {
        h.update((part.len() as u64).to_be_bytes());
        h.update(part.as_bytes());
    }
    {
        let mut out = String::with_capacity(32);
        crate::hex::push_hex(&mut out, h.finalize().get(..16).unwrap_or_default());
        out
    }
}

/// The key of a request: its kind's parts (an organization and a user...) and a digest
/// of the whole proposal, so that no field of a stored proposal can be edited without
/// the key telling (a changed fact, such as an organization's current tier, is another
/// question: another request).
fn request_key(kind: &str, tenant: Option<&str>, key_parts: &[&str], proposal: &Value) -> String {
    // serde_json's maps are sorted: the same proposal, stored and read back, writes the same text.
    let text = serde_json::to_string(proposal).unwrap_or_default();
    let mut h = Sha256::new();
    h.update(text.as_bytes());
    let mut digest = String::with_capacity(64);
    crate::hex::push_hex(&mut digest, &h.finalize());
    let mut parts: Vec<&str> = key_parts.to_vec();
    parts.push(&digest);
    dedupe_key(kind, tenant, &parts)
}

/// Builds a request; the module of its kind made the proposal.
pub fn request(kind: &str, job: &str, tenant: Option<&str>, key_parts: &[&str], proposal: Value, reasons: Vec<Reason>) -> Request {
    Request {
        kind: kind.to_string(),
        dedupe_key: request_key(kind, tenant, key_parts, &proposal),
        tenant: tenant.map(str::to_string),
        job: job.to_string(),
        proposal,
        reasons,
        requested_by: REQUESTED_BY.to_string(),
    }
}

fn bad(path: &str, message: impl Into<String>) -> Issue {
    Issue::new("not_a_governance_request", Some(path.to_string()), message.into())
}

/// A short text without control characters.
pub(crate) fn plain(s: &str) -> bool {
    s.len() <= MAX_TEXT && !s.chars().any(char::is_control)
}

/// An Auth0 id (`org_...`, `auth0|...`, `rol_...`): 1 to 256 bytes, no control
/// characters or whitespace.
pub(crate) fn is_id(s: &str) -> bool {
    !s.is_empty() && s.len() <= MAX_TEXT && !s.chars().any(|c| c.is_control() || c.is_whitespace())
}

/// Checks a stored request before an executor acts on it: the envelope, the key
/// it must have been made with, and the kind's proposal. An edited or foreign
/// row is refused and nothing is called.
pub fn check_request(stored: &str) -> Result<Request, Issue> {
    if stored.len() > MAX_REQUEST_BYTES {
        return Err(Issue::new("too_large", None, format!("over {MAX_REQUEST_BYTES} bytes")));
    }
    let r: Request = crate::answer::parse_json(stored, "not_a_governance_request")?;
    if r.requested_by != REQUESTED_BY {
        return Err(bad("requested_by", format!("only `{REQUESTED_BY}` requests are taken")));
    }
    if !matches!(r.job.as_str(), "review" | "classify" | "members_import") {
        return Err(bad("job", "one of `review`, `classify`, `members_import`"));
    }
    if r.tenant.as_deref().is_some_and(|t| !plain(t)) {
        return Err(bad("tenant", "at most 256 bytes, no control characters"));
    }
    let parts = match r.kind.as_str() {
        KIND_REMOVE_MEMBERSHIP | KIND_VERIFY_DOMAIN => review::check_proposal(&r.kind, &r.proposal)?,
        KIND_SET_TIER => classify::check_proposal(&r.proposal)?,
        KIND_IMPORT_MEMBERS => roster::check_proposal(&r.proposal)?,
        _ => return Err(bad("kind", format!("one of {}", KINDS.join(", ")))),
    };
    let parts: Vec<&str> = parts.iter().map(String::as_str).collect();
    if request_key(&r.kind, r.tenant.as_deref(), &parts, &r.proposal) != r.dedupe_key {
        return Err(bad("dedupe_key", "does not match the request's kind, tenant and proposal: the row was edited"));
    }
    Ok(r)
}

/// [`check_request`] as a tagged answer.
pub fn check_request_json(stored: &str) -> Answer<Request> {
    match check_request(stored) {
        Ok(r) => Answer::success(r, Vec::new()),
        Err(issue) => Answer::failure(issue),
    }
}

/// One write an executor made (or tried), for its audit record.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Write {
    /// The approval it executes.
    pub approval: String,
    pub kind: String,
    pub job: String,
    /// What was called, for people: `DELETE organizations/org_1/members auth0|u1`.
    pub action: String,
    #[serde(default)]
    pub organization_id: Option<String>,
    /// `done`, `failed` or `skipped` (already there: nothing written twice).
    pub outcome: String,
    /// Who approved it.
    #[serde(default)]
    pub approved_by: Option<String>,
    pub reasons: Vec<Reason>,
    #[serde(default)]
    pub error: Option<String>,
    /// Distinguishes the writes of one approval (an import's row): the record id
    /// is a hash of the approval, this, the outcome and the error, so that a re-run
    /// after a crash records the same write once.
    #[serde(default)]
    pub item: Option<String>,
    pub ts_ms: i64,
}

/// The audit record of a governance write, in the Actions' record format
/// (`actionguard_audit`, `id`, `ts_ms`, `trigger`, `outcome`, `organization`), so
/// that the control plane stores and reports it with theirs.
pub fn audit_record(w: &Write) -> Result<Value, Issue> {
    if !matches!(w.outcome.as_str(), "done" | "failed" | "skipped") {
        return Err(Issue::new("invalid_write", Some("outcome".into()), "one of `done`, `failed`, `skipped`"));
    }
    if !KINDS.contains(&w.kind.as_str()) {
        return Err(Issue::new("invalid_write", Some("kind".into()), format!("one of {}", KINDS.join(", "))));
    }
    let clip = |s: &str| -> String { s.chars().filter(|c| !c.is_control()).take(500).collect() };
    let mut h = Sha256::new();
    // The error too: a re-run that fails again for another reason is another record.
    for part in [w.approval.as_str(), w.item.as_deref().unwrap_or(""), w.outcome.as_str(), w.error.as_deref().unwrap_or("")] {
        h.update((part.len() as u64).to_be_bytes());
        h.update(part.as_bytes());
    }
    let mut id = String::from("gov_");
    crate::hex::push_hex(&mut id, h.finalize().get(..12).unwrap_or_default());
    let at = crate::clock::rfc3339_of_ms(w.ts_ms as f64);
    Ok(serde_json::json!({
        "actionguard_audit": 1,
        "id": id,
        "ts_ms": w.ts_ms,
        "at": at,
        "trigger": "governance",
        "job": clip(&w.job),
        "kind": w.kind,
        "outcome": w.outcome,
        "organization": w.organization_id.as_deref().map(clip),
        "approval": clip(&w.approval),
        "approved_by": w.approved_by.as_deref().map(clip),
        "action": clip(&w.action),
        "item": w.item.as_deref().map(clip),
        "reasons": w.reasons.iter().take(20).map(|r| serde_json::json!({"code": clip(&r.code), "message": clip(&r.message)})).collect::<Vec<_>>(),
        "error": w.error.as_deref().map(clip),
    }))
}

/// [`audit_record`] from JSON: `{ record }`.
pub fn audit_record_json(input: &str) -> Answer<Value> {
    let w: Write = match crate::answer::parse_json(input, "invalid_write") {
        Ok(w) => w,
        Err(issue) => return Answer::failure(issue),
    };
    match audit_record(&w) {
        Ok(v) => Answer::success(serde_json::json!({ "record": v }), Vec::new()),
        Err(issue) => Answer::failure(issue),
    }
}

#[cfg(test)]
mod tests;
