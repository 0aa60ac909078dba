//! Responses to detection's alerts: what the control plane may *propose* when an
//! alert is raised. A response writes to the tenant (blocks an address, blocks a
//! user, resets a password), so it is only ever an approval request in the same
//! queue and state machine as an organization's creation; an executor acts only
//! on one a person approved.
//!
//! The table, in [`propose`]:
//!
//! | alert | subject | proposals |
//! |---|---|---|
//! | `credential_stuffing` | `ip`, `network` | `block_ip` (the address as a /32 or /128, or the network) |
//! | `signup_wave` | `network` | `block_ip` |
//! | `breached_password` | `user` (a `user_id`) | `force_password_reset` |
//! | `mfa_fatigue` | `user` (a `user_id`) | `force_password_reset`; also `block_user` when `high` (an MFA was accepted after the rejections) |
//!
//! Nothing else proposes anything (impossible travel and M2M anomalies need a person
//! to look first), nor does a user subject that is a user name rather than a
//! `user_id` (a failed login for an unknown user: there is no account to act on).

use std::net::IpAddr;

use ipnet::IpNet;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::detect::notice::AlertIn;
use crate::{Answer, Issue};

pub const KIND_BLOCK_IP: &str = "block_ip";
pub const KIND_BLOCK_USER: &str = "block_user";
pub const KIND_FORCE_PASSWORD_RESET: &str = "force_password_reset";
/// Every kind of response, in the order they are proposed.
pub const KINDS: [&str; 3] = [KIND_BLOCK_IP, KIND_FORCE_PASSWORD_RESET, KIND_BLOCK_USER];
/// Who proposes them: detection, never a person or a login.
pub const REQUESTED_BY: &str = "actionguard-detection";
const MAX_USER_ID: usize = 256;
const MAX_TEXT: usize = 128;

/// What a response acts on: a `network` (a CIDR, a single address as /32 or /128) or a `user` (a `user_id`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Target {
    #[serde(rename = "type")]
    pub kind: String,
    pub value: String,
}

/// The alert a response answers, as a person deciding needs it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Because {
    pub kind: String,
    pub severity: String,
    pub subject: Target,
    pub reasons: Vec<String>,
    pub first_seen: String,
    pub last_seen: String,
    pub organizations: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ResponseProposal {
    pub target: Target,
    pub because: Because,
}

/// A response as the approval queue keeps it (the store's `request` column).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ResponseRequest {
    pub kind: String,
    /// 32 hex digits of SHA-256 over kind, tenant and target: one request per response,
    /// however often its alert is updated.
    pub dedupe_key: String,
    #[serde(default)]
    pub tenant: Option<String>,
    pub proposal: ResponseProposal,
    pub requested_by: String,
}

/// A CIDR in its canonical form (host bits cleared), or `None`.
fn network_target(value: &str) -> Option<String> {
    if let Ok(addr) = value.parse::<IpAddr>() {
        return Some(IpNet::from(addr).to_string());
    }
    value.parse::<IpNet>().ok().map(|n| n.trunc().to_string())
}

/// An Auth0 `user_id` (`<provider>|<id>`), not a user name or an email address.
fn is_user_id(value: &str) -> bool {
    let Some((provider, id)) = value.split_once('|') else { return false };
    !provider.is_empty()
        && !id.is_empty()
        && value.len() <= MAX_USER_ID
        && !value.contains('@')
        && value.chars().all(|c| !c.is_control() && !c.is_whitespace())
}

fn dedupe_key(kind: &str, tenant: Option<&str>, target: &Target) -> String {
    let mut h = Sha256::new();
    for part in [kind, tenant.unwrap_or(""), target.kind.as_str(), target.value.as_str()] {
        h.update(part.as_bytes());
        h.update([0]);
    }
    let mut out = String::with_capacity(32);
    crate::hex::push_hex(&mut out, h.finalize().get(..16).unwrap_or_default());
    out
}

fn cut(s: &str) -> String {
    s.chars().filter(|c| !c.is_control()).take(MAX_TEXT).collect()
}

/// The responses an alert calls for (none for most).
pub fn propose(alert: &AlertIn, tenant: Option<&str>) -> Vec<ResponseRequest> {
    let subject = &alert.subject;
    let mut out: Vec<(&str, Target)> = Vec::new();
    match (alert.kind.as_str(), subject.kind.as_str()) {
        ("credential_stuffing", "ip" | "network") | ("signup_wave", "network") => {
            if let Some(cidr) = network_target(&subject.value) {
                out.push((KIND_BLOCK_IP, Target { kind: "network".into(), value: cidr }));
            }
        }
        ("breached_password" | "mfa_fatigue", "user") if is_user_id(&subject.value) => {
            let user = Target { kind: "user".into(), value: subject.value.clone() };
            out.push((KIND_FORCE_PASSWORD_RESET, user.clone()));
            if alert.kind == "mfa_fatigue" && alert.severity == "high" {
                out.push((KIND_BLOCK_USER, user));
            }
        }
        _ => {}
    }
    let because = Because {
        kind: cut(&alert.kind),
        severity: cut(&alert.severity),
        subject: Target { kind: cut(&subject.kind), value: subject.value.chars().take(MAX_USER_ID).collect() },
        reasons: alert.reasons.iter().take(32).map(|r| cut(&r.code)).collect(),
        first_seen: cut(&alert.first_seen),
        last_seen: cut(&alert.last_seen),
        organizations: alert.organizations.iter().take(64).map(|o| cut(o)).collect(),
    };
    out.into_iter()
        .map(|(kind, target)| ResponseRequest {
            kind: kind.to_string(),
            dedupe_key: dedupe_key(kind, tenant, &target),
            tenant: tenant.map(str::to_string),
            proposal: ResponseProposal { target, because: because.clone() },
            requested_by: REQUESTED_BY.to_string(),
        })
        .collect()
}

/// What [`propose_json`] answers.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Proposals {
    pub requests: Vec<ResponseRequest>,
}

/// The entry point: an alert (the `LiveAlert` JSON) and the tenant, `{ requests }`
/// (often none), or `invalid_alert` naming the field.
pub fn propose_json(alert: &str, tenant: Option<&str>) -> Answer<Proposals> {
    match crate::answer::parse_json::<AlertIn>(alert, "invalid_alert") {
        Ok(a) => Answer::success(Proposals { requests: propose(&a, tenant) }, Vec::new()),
        Err(issue) => Answer::failure(issue),
    }
}

/// Checks a stored response request before an executor acts on it: a known kind, a
/// target of the kind's type in its canonical form, the dedupe key its content gives
/// (a row edited in the database is refused, not executed). `not_a_response` names the field.
pub fn check(request: &str) -> Answer<ResponseRequest> {
    let r: ResponseRequest = match crate::answer::parse_json(request, "not_a_response") {
        Ok(r) => r,
        Err(issue) => return Answer::failure(issue),
    };
    let bad = |path: &str, message: &str| Answer::failure(Issue::new("not_a_response", Some(path.to_string()), message.to_string()));
    let target = &r.proposal.target;
    let ok_target = match r.kind.as_str() {
        KIND_BLOCK_IP => target.kind == "network" && network_target(&target.value).as_deref() == Some(target.value.as_str()),
        KIND_BLOCK_USER | KIND_FORCE_PASSWORD_RESET => target.kind == "user" && is_user_id(&target.value),
        _ => return bad("kind", "one of block_ip, force_password_reset, block_user"),
    };
    if !ok_target {
        return bad("proposal.target", "a network (canonical CIDR) for block_ip, a user_id for the others");
    }
    if r.dedupe_key != dedupe_key(&r.kind, r.tenant.as_deref(), target) {
        return bad("dedupe_key", "does not match the request's kind, tenant and target");
    }
    Answer::success(r, Vec::new())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn alert(kind: &str, severity: &str, subject_type: &str, value: &str) -> String {
        format!(
            r#"{{"kind":"{kind}","severity":"{severity}","subject":{{"type":"{subject_type}","value":"{value}"}},"organizations":["org_a"],
                "users":3,"events":9,"first_seen":"2026-11-03T02:00:00.000Z","last_seen":"2026-11-03T02:30:00.000Z","reasons":[{{"code":"failure_burst"}}]}}"#
        )
    }

    fn proposed(kind: &str, severity: &str, subject_type: &str, value: &str) -> Vec<(String, String)> {
        match propose_json(&alert(kind, severity, subject_type, value), Some("t")) {
            Answer::Success { payload, .. } => payload.requests.into_iter().map(|r| (r.kind, r.proposal.target.value)).collect(),
            Answer::Failure { errors } => panic!("{errors:?}"),
        }
    }

    #[test]
    fn the_table_of_proposals() {
        let s = |a: &str, b: &str| (a.to_string(), b.to_string());
        assert_eq!(proposed("credential_stuffing", "medium", "ip", "203.0.113.77"), [s("block_ip", "203.0.113.77/32")]);
        assert_eq!(proposed("credential_stuffing", "high", "ip", "2001:db8::1"), [s("block_ip", "2001:db8::1/128")]);
        assert_eq!(proposed("credential_stuffing", "medium", "network", "198.51.100.0/24"), [s("block_ip", "198.51.100.0/24")]);
        assert_eq!(proposed("signup_wave", "medium", "network", "198.51.100.0/24"), [s("block_ip", "198.51.100.0/24")]);
        assert_eq!(proposed("signup_wave", "medium", "domain", "mailinator.com"), []);
        assert_eq!(proposed("breached_password", "medium", "user", "auth0|abc"), [s("force_password_reset", "auth0|abc")]);
        assert_eq!(proposed("mfa_fatigue", "medium", "user", "auth0|abc"), [s("force_password_reset", "auth0|abc")]);
        assert_eq!(
            proposed("mfa_fatigue", "high", "user", "auth0|abc"),
            [s("force_password_reset", "auth0|abc"), s("block_user", "auth0|abc")]
        );
        // A user name is no account to act on; travel and M2M need a person first.
        assert_eq!(proposed("breached_password", "medium", "user", "sam@example.com"), []);
        assert_eq!(proposed("impossible_travel", "high", "user", "auth0|abc"), []);
        assert_eq!(proposed("m2m_anomaly", "high", "client", "abc"), []);
        assert_eq!(proposed("credential_stuffing", "high", "ip", "not an address"), []);
    }

    #[test]
    fn one_key_per_response_whatever_the_alert_s_counts() {
        let a = propose_json(&alert("credential_stuffing", "medium", "ip", "203.0.113.77"), Some("t"));
        let b = propose_json(&alert("credential_stuffing", "high", "ip", "203.0.113.77"), Some("t"));
        let c = propose_json(&alert("credential_stuffing", "high", "ip", "203.0.113.77"), Some("other"));
        let key = |x: Answer<Proposals>| match x {
            Answer::Success { payload, .. } => payload.requests[0].dedupe_key.clone(),
            Answer::Failure { .. } => String::new(),
        };
        let (a, b, c) = (key(a), key(b), key(c));
        assert_eq!(a, b);
        assert_ne!(a, c, "keyed by tenant");
        assert_eq!(a.len(), 32);
    }

    #[test]
    fn check_takes_what_propose_made_and_refuses_an_edited_row() {
        let Answer::Success { payload, .. } = propose_json(&alert("mfa_fatigue", "high", "user", "auth0|abc"), None) else { panic!() };
        let payload = payload.requests;
        for r in &payload {
            let json = serde_json::to_string(r).unwrap();
            assert!(matches!(check(&json), Answer::Success { .. }), "{json}");
        }
        let mut edited = payload[0].clone();
        edited.proposal.target.value = "auth0|someone-else".into();
        let Answer::Failure { errors } = check(&serde_json::to_string(&edited).unwrap()) else { panic!("took an edited target") };
        assert_eq!(errors[0].path.as_deref(), Some("dedupe_key"));
        let mut wrong = payload[0].clone();
        wrong.kind = "delete_tenant".into();
        let Answer::Failure { errors } = check(&serde_json::to_string(&wrong).unwrap()) else { panic!() };
        assert_eq!(errors[0].path.as_deref(), Some("kind"));
        let mut ip = payload[0].clone();
        ip.kind = KIND_BLOCK_IP.into();
        let Answer::Failure { errors } = check(&serde_json::to_string(&ip).unwrap()) else { panic!() };
        assert_eq!(errors[0].path.as_deref(), Some("proposal.target"));
        assert!(matches!(check("{}"), Answer::Failure { .. }));
    }
}
