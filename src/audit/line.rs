//! The console line of an audit record: all of the record that survives in Auth0.
//!
//! Auth0 keeps at most 256 characters of an Action's console output (Actions
//! limitations: "each Action can only persist a maximum of 256 characters of
//! console.log()"), and console output never reaches tenant logs or log streams. A
//! full record (reasons with their messages, layers, the LLM exchange) is often
//! 1 kB, so it goes to the audit webhook and the console gets this line: enough to
//! know what happened and why when the webhook is down, and the record's `id` to find
//! the rest.
//!
//! ```json
//! {"actionguard_line":1,"id":"5f0c2a9e81d4b7c3a6e9f012","trigger":"post-login","outcome":"challenge",
//!  "score":0.82,"digest":"sha256:21704f2851211974","reasons":["auth0_impossible_travel","new_country"],"more":1}
//! ```
//!
//! Every field is ASCII (ids, codes and digests are, and the rest are numbers), so
//! characters and bytes agree. Reasons are the record's, strongest first, as many
//! whole codes as fit; `more` counts those left out. Watched decisions (monitor
//! mode) add `would_outcome`. Organization discovery, which refuses nothing and is
//! not scored, has `action` (and, watched, `would_action`) in place of `outcome`
//! and `score`.

use serde::Serialize;

use super::AuditRecord;
use crate::decision::Outcome;
use crate::orgmap::OrgAction;

/// The line's own format version, and the marker that tells it from a full record
/// (`actionguard_audit`).
pub const LINE_SCHEMA: u32 = 1;

/// What Auth0 keeps of an Action's console output.
pub const CONSOLE_KEPT_CHARS: usize = 256;

/// The longest line: with the newline `console.log` ends it with, it is all Auth0 keeps.
pub const MAX_LINE_CHARS: usize = CONSOLE_KEPT_CHARS - 1;

#[derive(Serialize)]
struct Line<'a> {
    actionguard_line: u32,
    id: &'a str,
    trigger: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    outcome: Option<Outcome>,
    #[serde(skip_serializing_if = "Option::is_none")]
    would_outcome: Option<Outcome>,
    #[serde(skip_serializing_if = "Option::is_none")]
    action: Option<OrgAction>,
    #[serde(skip_serializing_if = "Option::is_none")]
    would_action: Option<OrgAction>,
    #[serde(skip_serializing_if = "Option::is_none")]
    score: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    digest: Option<&'a str>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    reasons: Vec<&'static str>,
    #[serde(skip_serializing_if = "is_zero")]
    more: usize,
}

fn is_zero(n: &usize) -> bool {
    *n == 0
}

/// The record's console line: at most [`MAX_LINE_CHARS`] characters, whatever the record.
pub fn console_line(record: &AuditRecord) -> String {
    let watched = !record.enforcement.enforced;
    // Organization discovery never refuses anything (its outcome is always `allow`) and
    // is not scored: its line says what it did, `action`, instead.
    let decision = record.org_action.is_none();
    let mut line = Line {
        actionguard_line: LINE_SCHEMA,
        id: &record.id,
        trigger: record.trigger,
        outcome: Some(record.outcome).filter(|_| decision),
        would_outcome: Some(record.would_outcome).filter(|w| decision && (watched || *w != record.outcome)),
        action: record.org_action,
        would_action: record.would_action.filter(|w| watched || Some(*w) != record.org_action),
        // Two decimals: the full record keeps the rest.
        score: Some((record.score * 100.0).round() / 100.0).filter(|s| decision && s.is_finite()),
        digest: Some(record.policy.digest.as_str()),
        reasons: record.reasons.iter().map(|r| r.code).collect(),
        more: 0,
    };
    // Nearly always one pass; a long list loses its weakest codes first.
    loop {
        match serde_json::to_string(&line) {
            Ok(text) if text.len() <= MAX_LINE_CHARS => return text,
            Ok(_) if line.reasons.pop().is_some() => line.more += 1,
            // Still too long with no reason left (fields no decision fills at once, or a
            // digest or id longer than ours): what identifies the record, and nothing else.
            _ => return minimal(record),
        }
    }
}

/// Marker, id, trigger and outcome: always within the limit, since the id and the
/// trigger are ours (an id is 24 characters; a longer one is cut). A discovery
/// record's outcome is `allow`, which is true, if less than its action says.
fn minimal(record: &AuditRecord) -> String {
    let id: String = record.id.chars().filter(char::is_ascii_alphanumeric).take(24).collect();
    format!(
        r#"{{"actionguard_line":{LINE_SCHEMA},"id":"{id}","trigger":"{}","outcome":"{}"}}"#,
        record.trigger.escape_default(),
        record.outcome.as_str()
    )
}

#[cfg(test)]
mod tests;
