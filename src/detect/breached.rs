//! `breached_password`: Auth0's breached-password detection found a leaked
//! password in a login (`pwd_leak`), a sign-up (`signup_pwd_leak`) or a password
//! reset (`reset_pwd_leak`). One alert per user (its `user_id`, else its user
//! name); `low` for a sign-up (no account at risk yet), `medium` otherwise, and
//! `high` when the account then logs in successfully from the address the
//! leaked password was tried from (`login_succeeded`).

use std::collections::HashMap;

use super::{canonical_ip, hash_of, user_key, Hasher, Severity, Shared, Subject};
use crate::logs::LogEvent;

pub const KIND: &str = "breached_password";

/// Users with a leak alert whose follow-up logins are watched, at most.
const MAX_WATCHED: usize = 100_000;

#[derive(Debug, Default)]
pub struct Detector {
    /// User key -> addresses the leaked password was tried from (a few). Looked up
    /// for every login: the detectors' fast hasher.
    watched: HashMap<String, Vec<String>, Hasher>,
}

impl Detector {
    pub(crate) fn observe(&mut self, e: &LogEvent, shared: &mut Shared) {
        let (code, severity) = match e.event_type.as_str() {
            "pwd_leak" => ("leaked_password_login", Severity::Medium),
            "reset_pwd_leak" => ("leaked_password_reset", Severity::Medium),
            "signup_pwd_leak" => ("leaked_password_signup", Severity::Low),
            "s" => {
                self.login(e, shared);
                return;
            }
            _ => return,
        };
        let Some(user) = user_key(e) else { return };
        let subject = Subject { kind: "user", value: user.clone() };
        if let Some(alert) = shared.alerts.raise(KIND, subject, severity, e.date_ms) {
            alert.event(e.date_ms).user(Some(hash_of(&user))).org(e.organization_id.as_deref()).reason(code);
        }
        if let Some(ip) = e.ip.as_deref().and_then(canonical_ip) {
            if self.watched.len() < MAX_WATCHED || self.watched.contains_key(&user) {
                let ips = self.watched.entry(user).or_default();
                if ips.len() < 8 && !ips.contains(&ip) {
                    ips.push(ip);
                }
            }
        }
    }

    fn login(&mut self, e: &LogEvent, shared: &mut Shared) {
        // The user first: most logins are of users no leak was seen for, and their
        // address is then not worth reading.
        let Some(user) = e.user_id.as_deref() else { return };
        let Some(ips) = self.watched.get(user) else { return };
        if !e.ip.as_deref().and_then(canonical_ip).is_some_and(|ip| ips.contains(&ip)) {
            return;
        }
        let subject = Subject { kind: "user", value: user.to_string() };
        if let Some(alert) = shared.alerts.get(KIND, &subject) {
            alert.event(e.date_ms).org(e.organization_id.as_deref()).reason("login_succeeded").severity(Severity::High);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::testing::*;
    use super::*;

    #[test]
    fn each_variant_alerts_on_its_user() {
        let mut a = ev("1", "pwd_leak", 0);
        a.user_id = Some("auth0|a".into());
        a.ip = Some("203.0.113.5".into());
        let mut b = ev("2", "signup_pwd_leak", 10);
        b.user_name = Some("New@Example.com".into());
        let mut c = ev("3", "reset_pwd_leak", 20);
        c.user_id = Some("auth0|c".into());
        let mut d = ev("4", "pwd_leak", 30);
        d.user_id = Some("auth0|a".into());
        let out = analyze(&[a, b, c, d]);
        let got: Vec<_> = out.alerts.iter().map(|x| (x.subject.value.as_str(), x.severity, x.events, codes(x))).collect();
        assert_eq!(
            got,
            vec![
                ("auth0|a", Severity::Medium, 2, vec!["leaked_password_login"]),
                ("auth0|c", Severity::Medium, 1, vec!["leaked_password_reset"]),
                ("new@example.com", Severity::Low, 1, vec!["leaked_password_signup"]),
            ]
        );
    }

    #[test]
    fn a_login_from_the_leak_s_address_is_high_and_one_from_elsewhere_is_not() {
        let mut leak = ev("1", "pwd_leak", 0);
        leak.user_id = Some("auth0|a".into());
        leak.ip = Some("203.0.113.5".into());
        let mut home = ev("2", "s", 100);
        home.user_id = Some("auth0|a".into());
        home.ip = Some("198.51.100.1".into());
        assert_eq!(analyze(&[leak.clone(), home]).alerts[0].severity, Severity::Medium);
        let mut there = ev("3", "s", 100);
        there.user_id = Some("auth0|a".into());
        there.ip = Some("203.0.113.5".into());
        there.organization_id = Some("org_a".into());
        let out = analyze(&[leak, there]);
        assert_eq!(out.alerts[0].severity, Severity::High);
        assert_eq!(codes(&out.alerts[0]), ["leaked_password_login", "login_succeeded"]);
        assert_eq!(out.alerts[0].organizations, ["org_a"]);
    }
}
