//! Whether a user was already invited to an organization, and what to remember.
//!
//! An invitation is not idempotent (Auth0 sends an email per call), so the host
//! keeps the invitations it sent with the user, in `app_metadata.actionguard_invited`
//! (`{ <organization id>: <ISO date> }`), where it scales with users rather than
//! filling the trigger's shared `api.cache`. The record is anyone's to write (the
//! Management API), so it is read leniently and kept small: the most recent
//! [`MAX_REMEMBERED`] invitations within [`REPEAT_AFTER_MS`] (an invitation's
//! default lifetime), dates no further than a minute ahead of the clock.

use serde::Serialize;
use serde_json::{Map, Value};

use crate::clock;

/// The `app_metadata` key the record lives under.
pub const APP_METADATA_KEY: &str = "actionguard_invited";
/// How many invitations the record remembers.
pub const MAX_REMEMBERED: usize = 10;
/// An invitation is sent again after this long (Auth0's default invitation lifetime, 7 days).
pub const REPEAT_AFTER_MS: f64 = 7.0 * 24.0 * 3600.0 * 1000.0;
/// Clock skew tolerated between the host that wrote a date and this one.
const SKEW_MS: f64 = 60_000.0;
/// Organization ids are short (`org_` and 16 characters); longer keys are not ours.
const MAX_ID: usize = 64;

/// What the host does about one invitation (`invitationStep`).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct InvitationStep {
    /// Invited within [`REPEAT_AFTER_MS`]: send nothing (`already_invited`).
    pub already_invited: bool,
    /// The record to write before sending: the remembered invitations with this one.
    pub record: Map<String, Value>,
    /// The record to write back when the invitation fails, so that a later
    /// execution sends it: the remembered invitations without this one.
    pub without: Map<String, Value>,
}

/// The invitations `stored` still remembers at `now_ms`, most recent first.
fn remembered(stored: Option<&Value>, now_ms: f64) -> Vec<(String, f64)> {
    let mut live: Vec<(String, f64)> = stored
        .and_then(Value::as_object)
        .into_iter()
        .flatten()
        .filter(|(org, _)| !org.is_empty() && org.len() <= MAX_ID)
        .filter_map(|(org, at)| {
            #[allow(clippy::cast_precision_loss)] // seconds since the epoch fit an f64 exactly
            let ms = clock::parse_date_time(at.as_str()?)? as f64 * 1000.0;
            (ms <= now_ms + SKEW_MS && now_ms - ms < REPEAT_AFTER_MS).then(|| (org.clone(), ms))
        })
        .collect();
    live.sort_by(|a, b| b.1.total_cmp(&a.1));
    live.truncate(MAX_REMEMBERED);
    live
}

fn record<'a>(items: impl Iterator<Item = &'a (String, f64)>) -> Map<String, Value> {
    items.filter_map(|(org, ms)| Some((org.clone(), Value::String(clock::rfc3339_of_ms(*ms)?)))).collect()
}

/// The step for inviting the user to `organization_id` at `now_ms`, given what
/// `app_metadata.actionguard_invited` holds (anything at all).
pub fn step(stored: Option<&Value>, organization_id: &str, now_ms: f64) -> InvitationStep {
    let live = remembered(stored, now_ms);
    let already_invited = live.iter().any(|(org, _)| org == organization_id);
    let without = record(live.iter().filter(|(org, _)| org != organization_id));
    let mut with: Vec<(String, f64)> = vec![(organization_id.to_string(), now_ms)];
    with.extend(live.iter().filter(|(org, _)| org != organization_id).cloned());
    with.truncate(MAX_REMEMBERED);
    InvitationStep { already_invited, record: record(with.iter()), without }
}

/// [`step`] for a host: `stored` is the JSON text of what the record holds (text
/// that does not parse is nothing remembered).
pub fn step_json(stored: Option<&str>, organization_id: &str, now_ms: f64) -> crate::Answer<InvitationStep> {
    let stored: Option<Value> = stored.and_then(|text| serde_json::from_str(text).ok());
    crate::Answer::success(step(stored.as_ref(), organization_id, now_ms), Vec::new())
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    const NOW: f64 = 1_800_000_000_000.0;

    fn iso(ms: f64) -> String {
        clock::rfc3339_of_ms(ms).unwrap()
    }

    #[test]
    fn an_invitation_within_the_week_is_not_sent_again() {
        let stored = json!({"org_a": iso(NOW - 3600e3)});
        let s = step(Some(&stored), "org_a", NOW);
        assert!(s.already_invited);
        let s = step(Some(&json!({"org_a": iso(NOW - REPEAT_AFTER_MS - 1000.0)})), "org_a", NOW);
        assert!(!s.already_invited, "a week later it is sent again");
        assert_eq!(s.record, json!({"org_a": iso(NOW)}).as_object().unwrap().clone());
        assert!(s.without.is_empty(), "the expired one is forgotten");
    }

    #[test]
    fn the_record_is_bounded_most_recent_first_and_keeps_the_others() {
        let stored: Map<String, Value> = (0..15).map(|i| (format!("org_{i}"), Value::String(iso(NOW - f64::from(i) * 60e3)))).collect();
        let s = step(Some(&Value::Object(stored)), "org_new", NOW);
        assert!(!s.already_invited);
        assert_eq!(s.record.len(), MAX_REMEMBERED);
        assert!(s.record.contains_key("org_new") && s.record.contains_key("org_0") && !s.record.contains_key("org_9"));
        assert_eq!(s.without.len(), MAX_REMEMBERED);
        assert!(!s.without.contains_key("org_new") && s.without.contains_key("org_9"));
    }

    #[test]
    fn anything_stored_there_is_read_leniently() {
        for stored in [
            json!(null),
            json!("x"),
            json!([1, 2]),
            json!({"org_a": 5}),
            json!({"org_a": "not a date"}),
            json!({"org_a": iso(NOW + 3_600_000.0)}),
            json!({"": iso(NOW)}),
            json!({"x".repeat(65): iso(NOW)}),
        ] {
            let s = step(Some(&stored), "org_a", NOW);
            assert!(!s.already_invited, "{stored}");
            assert_eq!(s.record.len(), 1, "{stored}");
        }
        assert!(!step(None, "org_a", f64::NAN).already_invited);
        // A date a little ahead (another host's clock) still counts.
        assert!(step(Some(&json!({"org_a": iso(NOW + 30_000.0)})), "org_a", NOW).already_invited);
    }
}
