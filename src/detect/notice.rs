//! The message an alert sends to a chat webhook (Slack's incoming-webhook JSON,
//! `{"text", "blocks"}`, which Mattermost and others read too): what the alert
//! carries and nothing more. A user subject is shown as its pseudonym
//! ([`crate::audit::pseudonymize_user`], the audit records' form, so a person can
//! match them), `targets` only as a count, and every value from a log is
//! escaped for Slack's markup and cut short (an address or a client id is
//! attacker-chosen text).

use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

use crate::Answer;

/// Organizations named in a message; the rest are counted.
const MAX_ORGS_SHOWN: usize = 10;
/// Characters of one value shown (Slack refuses a field over 2,000).
const MAX_VALUE_CHARS: usize = 120;
/// Reason codes shown.
const MAX_REASONS_SHOWN: usize = 16;

/// An alert as a host hands it over (the `LiveAlert` shape; unknown fields ignored).
#[derive(Debug, Deserialize)]
pub struct AlertIn {
    pub kind: String,
    pub severity: String,
    pub subject: SubjectIn,
    #[serde(default)]
    pub organizations: Vec<String>,
    #[serde(default)]
    pub users: u64,
    #[serde(default)]
    pub events: u64,
    #[serde(default)]
    pub first_seen: String,
    #[serde(default)]
    pub last_seen: String,
    #[serde(default)]
    pub reasons: Vec<ReasonIn>,
    #[serde(default)]
    pub targets: Vec<String>,
}

#[derive(Debug, Deserialize)]
pub struct SubjectIn {
    #[serde(rename = "type")]
    pub kind: String,
    pub value: String,
}

#[derive(Debug, Deserialize)]
pub struct ReasonIn {
    pub code: String,
}

/// The webhook body.
#[derive(Debug, Serialize, PartialEq)]
pub struct Notice {
    pub text: String,
    pub blocks: Vec<Value>,
}

/// The subject as a message shows it: a user's pseudonym, anything else as it is
/// (an address, a network, a client id, an email domain).
pub fn shown_subject(tenant: Option<&str>, kind: &str, value: &str) -> String {
    if kind == "user" {
        crate::audit::pseudonymize_user(tenant, value)
    } else {
        value.to_string()
    }
}

/// Slack's three markup characters escaped, control characters dropped, cut at `max` characters.
fn clean(s: &str, max: usize) -> String {
    let mut out = String::with_capacity(s.len().min(max * 2));
    for (n, c) in s.chars().filter(|c| !c.is_control()).enumerate() {
        if n >= max {
            out.push('…');
            break;
        }
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            // Backticks would end the code span the value is shown in.
            '`' => out.push('\''),
            _ => out.push(c),
        }
    }
    out
}

/// The message for one alert.
pub fn notice(alert: &AlertIn, tenant: Option<&str>) -> Notice {
    let severity = clean(&alert.severity, 16);
    let kind = clean(&alert.kind, 40);
    let subject_type = clean(&alert.subject.kind, 16);
    let subject = clean(&shown_subject(tenant, &alert.subject.kind, &alert.subject.value), MAX_VALUE_CHARS);
    let mut orgs: Vec<String> = alert.organizations.iter().take(MAX_ORGS_SHOWN).map(|o| clean(o, 64)).collect();
    if alert.organizations.len() > MAX_ORGS_SHOWN {
        orgs.push(format!("+{} more", alert.organizations.len() - MAX_ORGS_SHOWN));
    }
    let orgs = if orgs.is_empty() { "none named".to_string() } else { orgs.join(", ") };
    let reasons: Vec<String> = alert.reasons.iter().take(MAX_REASONS_SHOWN).map(|r| clean(&r.code, 48)).collect();
    let mut counts = format!("{} users, {} events", alert.users, alert.events);
    if !alert.targets.is_empty() {
        counts.push_str(&format!(", {} known accounts targeted", alert.targets.len()));
    }
    let first = clean(&alert.first_seen, 40);
    let last = clean(&alert.last_seen, 40);
    let text = format!("ActionGuard: {severity} {kind} on {subject_type} {subject} ({counts}; {first} .. {last})");
    let blocks = vec![
        json!({ "type": "header", "text": { "type": "plain_text", "text": format!("{severity} {kind}") } }),
        json!({
            "type": "section",
            "fields": [
                { "type": "mrkdwn", "text": format!("*Subject*\n{subject_type} `{subject}`") },
                { "type": "mrkdwn", "text": format!("*Organizations*\n{orgs}") },
                { "type": "mrkdwn", "text": format!("*Counts*\n{counts}") },
                { "type": "mrkdwn", "text": format!("*Seen*\n{first} .. {last}") },
            ],
        }),
        json!({ "type": "context", "elements": [{ "type": "mrkdwn", "text": format!("reasons: {}", if reasons.is_empty() { "none".to_string() } else { reasons.join(", ") }) }] }),
    ];
    Notice { text, blocks }
}

/// The entry point: an alert as JSON (and the tenant pseudonyms are keyed by), the
/// message or `invalid_alert` naming the field.
pub fn notice_json(alert: &str, tenant: Option<&str>) -> Answer<Notice> {
    match crate::answer::parse_json::<AlertIn>(alert, "invalid_alert") {
        Ok(a) => Answer::success(notice(&a, tenant), Vec::new()),
        Err(issue) => Answer::failure(issue),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn stuffing() -> String {
        r#"{"kind":"credential_stuffing","severity":"high","subject":{"type":"ip","value":"203.0.113.77"},
            "organizations":["org_a","org_b"],"users":31,"events":40,"first_seen":"2026-11-03T02:00:00.000Z",
            "last_seen":"2026-11-03T02:30:00.000Z","reasons":[{"code":"failure_burst"},{"code":"login_succeeded"}],
            "targets":["auth0|victim1","auth0|victim2"]}"#
            .to_string()
    }

    fn success(a: Answer<Notice>) -> Notice {
        match a {
            Answer::Success { payload, .. } => payload,
            Answer::Failure { errors } => panic!("{errors:?}"),
        }
    }

    #[test]
    fn a_stuffing_alert_reads_whole_and_lists_no_target() {
        let n = success(notice_json(&stuffing(), Some("tenant-1")));
        assert_eq!(
            n.text,
            "ActionGuard: high credential_stuffing on ip 203.0.113.77 (31 users, 40 events, 2 known accounts targeted; 2026-11-03T02:00:00.000Z .. 2026-11-03T02:30:00.000Z)"
        );
        let all = serde_json::to_string(&n).unwrap();
        assert!(!all.contains("victim"), "targets are counted, never listed: {all}");
        assert!(all.contains("failure_burst, login_succeeded"));
        assert!(all.contains("org_a, org_b"));
        assert_eq!(n.blocks.len(), 3);
    }

    #[test]
    fn a_user_is_shown_as_its_pseudonym_and_values_are_escaped() {
        let alert = r#"{"kind":"mfa_fatigue","severity":"medium","subject":{"type":"user","value":"auth0|sam"},"reasons":[]}"#;
        let n = success(notice_json(alert, Some("t")));
        let all = serde_json::to_string(&n).unwrap();
        assert!(!all.contains("sam"), "{all}");
        assert!(all.contains(&crate::audit::pseudonymize_user(Some("t"), "auth0|sam")));
        let hostile = r#"{"kind":"m2m_anomaly","severity":"medium","subject":{"type":"client","value":"<!channel> `x` & more"}}"#;
        let n = success(notice_json(hostile, None));
        assert!(n.text.contains("&lt;!channel&gt; 'x' &amp; more"), "{}", n.text);
        let long = format!(r#"{{"kind":"m2m_anomaly","severity":"low","subject":{{"type":"client","value":"{}"}}}}"#, "a".repeat(5000));
        assert!(success(notice_json(&long, None)).text.len() < 400);
    }

    #[test]
    fn an_unreadable_alert_is_a_failure_naming_the_field() {
        match notice_json(r#"{"kind":"x","severity":"low","subject":{"type":"ip"}}"#, None) {
            Answer::Failure { errors } => {
                assert_eq!(errors[0].code, "invalid_alert");
                assert_eq!(errors[0].path.as_deref(), Some("subject"));
            }
            Answer::Success { .. } => panic!("read an alert without a subject value"),
        }
    }
}
