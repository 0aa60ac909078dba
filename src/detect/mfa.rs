//! `mfa_fatigue`: push or SMS bombing of one user. Guardian's sends
//! (`gd_send_pn`, `gd_send_sms`, `gd_send_voice`, `gd_send_email`) to one user,
//! at least `min_sends` within `window_s`, with at least `min_rejections`
//! rejections or failures (`gd_auth_rejected`, `gd_auth_failed`) in the same
//! window; or `min_sends_alone` sends with none answered; or `min_sends_accepted`
//! sends and then a login that performed MFA (`high`, `mfa_accepted_after_burst`:
//! pushes ignored until one was accepted). A successful login
//! with MFA (`s` whose prompts performed `mfa`) of that user within the window
//! after the alert makes it `high` (`mfa_accepted_after_rejections`: the user
//! gave in, or logged in during the bombing). One push before each MFA login, or
//! a rejection by mistake, is not a burst; nor are two such logins minutes apart:
//! a login that performed MFA from
//! the address the last push was sent for completes the attempt the pushes were
//! for, and the next login counts afresh (an attacker's pushes are sent for the
//! attacker's address, so the victim's own logins meanwhile do not close them).

use std::collections::VecDeque;

use serde::{Deserialize, Serialize};

use super::{canonical_ip, hash_of, prune, secs, Idle, Keyed, Severity, Shared, Subject};
use crate::logs::LogEvent;

pub const KIND: &str = "mfa_fatigue";

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Config {
    /// The window, in seconds (default 900).
    pub window_s: u64,
    /// Sends to one user within the window (default 4).
    pub min_sends: usize,
    /// Rejections or failed MFA within the window (default 2).
    pub min_rejections: usize,
    /// Sends alone, without rejections, that are a burst (default 8): more than
    /// anyone retrying a login whose push does not arrive sends in a quarter hour.
    pub min_sends_alone: usize,
    /// Sends within the window before an MFA login that are a burst given in to,
    /// answered or not (default 6): a login needs one push, a slow phone two or
    /// three; six before one is accepted is someone worn down.
    pub min_sends_accepted: usize,
}

impl Default for Config {
    fn default() -> Self {
        Config { window_s: 900, min_sends: 4, min_rejections: 2, min_sends_alone: 8, min_sends_accepted: 6 }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Step {
    /// With the hash of the address it was sent for (0 when the log has none).
    Send(u64),
    Reject,
}

#[derive(Debug, Default)]
struct User {
    steps: VecDeque<(i64, Step)>,
    /// When it alerted last (then every further step joins the alert).
    alerted_ms: Option<i64>,
    /// The alert's burst had rejections (an acceptance after it is `..._after_rejections`).
    rejected: bool,
    last_ms: i64,
}

impl Idle for User {
    fn last_ms(&self) -> i64 {
        self.last_ms
    }
}

#[derive(Debug)]
pub struct Detector {
    config: Config,
    users: Keyed<User>,
}

fn step_of(t: &str, ip: u64) -> Option<Step> {
    match t {
        "gd_send_pn" | "gd_send_sms" | "gd_send_voice" | "gd_send_email" => Some(Step::Send(ip)),
        "gd_auth_rejected" | "gd_auth_failed" => Some(Step::Reject),
        _ => None,
    }
}

impl Detector {
    pub(crate) fn new(config: &Config, max_keys: usize) -> Detector {
        Detector { config: config.clone(), users: Keyed::new(max_keys, secs(config.window_s)) }
    }

    pub(crate) fn observe(&mut self, e: &LogEvent, shared: &mut Shared) {
        let Some(user_id) = e.user_id.as_deref() else { return };
        let window = secs(self.config.window_s);
        let now = e.date_ms;
        let subject = || Subject { kind: "user", value: user_id.to_string() };
        let ip = || e.ip.as_deref().and_then(canonical_ip).map_or(0, |ip| hash_of(&ip));
        if e.event_type == "s" {
            let Some(user) = self.users.get_mut(user_id) else { return };
            // An MFA login right after the burst: the user gave in, or logged in during the
            // bombing (from the logs alone, the victim's pushes and the attacker's interleave).
            let recent = user.alerted_ms.is_some_and(|t| now >= t && now - t <= window);
            if e.mfa && recent {
                let code = if user.rejected { "mfa_accepted_after_rejections" } else { "mfa_accepted_after_burst" };
                if let Some(alert) = shared.alerts.get(KIND, &subject()) {
                    alert.event(now).org(e.organization_id.as_deref()).reason(code).severity(Severity::High);
                }
            } else if e.mfa {
                prune(&mut user.steps, now.saturating_sub(window), usize::MAX);
                let sends = user.steps.iter().filter(|(_, s)| matches!(s, Step::Send(_))).count();
                if sends >= self.config.min_sends_accepted.max(1) {
                    // Worn down: many pushes, then one accepted (with or without rejections).
                    let first = user.steps.front().map_or(now, |(t, _)| *t);
                    let rejected = sends < user.steps.len();
                    if let Some(alert) = shared.alerts.raise(KIND, subject(), Severity::High, first) {
                        for (t, _) in &user.steps {
                            alert.event(*t);
                        }
                        alert.event(now).user(Some(hash_of(user_id))).org(e.organization_id.as_deref());
                        alert.reason("mfa_send_burst").reason("mfa_accepted_after_burst");
                        if rejected {
                            alert.reason("mfa_rejected");
                        }
                    }
                    user.steps.clear();
                    user.alerted_ms = Some(now);
                    user.rejected = rejected;
                    return;
                }
                // The attempt the pushes were for completed: the next login counts afresh.
                let last_send = user.steps.iter().rev().find_map(|(_, s)| match s {
                    Step::Send(h) => Some(*h),
                    Step::Reject => None,
                });
                if last_send.is_some_and(|h| h != 0 && h == ip()) {
                    user.steps.clear();
                }
            }
            return;
        }
        let Some(step) = step_of(&e.event_type, if e.event_type.starts_with("gd_send_") { ip() } else { 0 }) else { return };
        let max_entries = shared.max_entries;
        let Some(user) = self.users.entry(user_id, now, &mut shared.overflow, User::default) else { return };
        user.last_ms = user.last_ms.max(now);
        if user.alerted_ms.is_some_and(|t| now.saturating_sub(t) <= window) {
            user.alerted_ms = Some(now);
            user.rejected |= step == Step::Reject;
            if let Some(alert) = shared.alerts.get(KIND, &subject()) {
                alert.event(now).reason(if step == Step::Reject { "mfa_rejected" } else { "mfa_send_burst" });
            }
            return;
        }
        user.steps.push_back((now, step));
        prune(&mut user.steps, now.saturating_sub(window), max_entries);
        let sends = user.steps.iter().filter(|(_, s)| matches!(s, Step::Send(_))).count();
        let rejections = user.steps.len() - sends;
        let c = &self.config;
        let with_rejections = sends >= c.min_sends.max(1) && rejections >= c.min_rejections.max(1);
        if !(with_rejections || sends >= c.min_sends_alone.max(1)) {
            return;
        }
        let first = user.steps.front().map_or(now, |(t, _)| *t);
        let Some(alert) = shared.alerts.raise(KIND, subject(), Severity::Medium, first) else { return };
        alert.user(Some(hash_of(user_id))).org(e.organization_id.as_deref()).reason("mfa_send_burst");
        if rejections > 0 {
            alert.reason("mfa_rejected");
        }
        for (t, _) in &user.steps {
            alert.event(*t);
        }
        user.steps.clear();
        user.alerted_ms = Some(now);
        user.rejected = rejections > 0;
    }
}

#[cfg(test)]
mod tests {
    use super::super::testing::*;
    use super::*;

    fn step(n: usize, t: &str, at_s: i64) -> LogEvent {
        let mut e = ev(&format!("g{n}"), t, at_s);
        e.user_id = Some("auth0|target".into());
        e
    }

    #[test]
    fn a_push_burst_with_rejections_alerts_and_giving_in_is_high() {
        let mut events = Vec::new();
        for i in 0..6 {
            events.push(step(i * 2, "gd_send_pn", i as i64 * 60));
            if i < 5 {
                events.push(step(i * 2 + 1, "gd_auth_rejected", i as i64 * 60 + 10));
            }
        }
        let mut login = step(99, "s", 400);
        login.mfa = true;
        login.organization_id = Some("org_acme".into());
        events.push(login);
        let out = analyze(&events);
        assert_eq!(kinds(&out), vec![(KIND, "auth0|target".to_string())]);
        let alert = &out.alerts[0];
        assert_eq!((alert.severity, alert.events, alert.users), (Severity::High, 12, 1));
        assert_eq!(codes(alert), ["mfa_accepted_after_rejections", "mfa_rejected", "mfa_send_burst"]);
        assert_eq!(alert.organizations, ["org_acme"]);
    }

    #[test]
    fn pushes_ignored_until_one_is_accepted_alert_and_a_slow_phone_s_three_do_not() {
        let pushes = |n: usize| -> Vec<LogEvent> {
            let mut out: Vec<LogEvent> = (0..n)
                .map(|i| {
                    let mut e = step(i, "gd_send_pn", i as i64 * 60);
                    e.ip = Some("203.0.113.9".into());
                    e
                })
                .collect();
            let mut login = step(99, "s", n as i64 * 60 + 10);
            login.mfa = true;
            login.ip = Some("203.0.113.9".into());
            out.push(login);
            out
        };
        assert!(analyze(&pushes(3)).alerts.is_empty());
        assert!(analyze(&pushes(5)).alerts.is_empty());
        // Seven pushes, then the login: below `min_sends_alone`, alerted at the acceptance.
        let out = analyze(&pushes(7));
        assert_eq!(kinds(&out), vec![(KIND, "auth0|target".to_string())]);
        assert_eq!((out.alerts[0].severity, out.alerts[0].events), (Severity::High, 8));
        assert_eq!(codes(&out.alerts[0]), ["mfa_accepted_after_burst", "mfa_send_burst"]);
        // Nine: alerted at the eighth, high at the acceptance.
        let out = analyze(&pushes(9));
        assert_eq!((out.alerts[0].severity, out.alerts[0].events), (Severity::High, 10));
        assert_eq!(codes(&out.alerts[0]), ["mfa_accepted_after_burst", "mfa_send_burst"]);
    }

    #[test]
    fn sms_bombing_without_answers_alerts_at_eight() {
        let events: Vec<LogEvent> = (0..7).map(|i| step(i, "gd_send_sms", i as i64 * 30)).collect();
        assert!(analyze(&events).alerts.is_empty());
        let events: Vec<LogEvent> = (0..8).map(|i| step(i, "gd_send_sms", i as i64 * 30)).collect();
        assert_eq!(codes(&analyze(&events).alerts[0]), ["mfa_send_burst"]);
    }

    #[test]
    fn a_push_per_login_and_one_mistaken_rejection_do_not_alert() {
        let mut events = Vec::new();
        // Ten MFA logins a day apart, each after one push; one rejected by mistake, then a second push.
        for i in 0..10 {
            events.push(step(i * 3, "gd_send_pn", i as i64 * 86_400));
            if i == 4 {
                events.push(step(i * 3 + 1, "gd_auth_rejected", i as i64 * 86_400 + 5));
                events.push(step(i * 3 + 2, "gd_send_pn", i as i64 * 86_400 + 20));
            }
        }
        // A slow phone: three pushes in a minute, no rejection.
        events.extend((0..3).map(|i| step(100 + i, "gd_send_pn", 2_000_000 + i as i64 * 20)));
        assert!(analyze(&events).alerts.is_empty());
    }

    /// A login: a push, rejected by mistake, a second push, accepted, the MFA login;
    /// the pushes sent for `push_ip`, the login from `login_ip`.
    fn mistaken_login(events: &mut Vec<LogEvent>, at_s: i64, push_ip: &str, login_ip: &str) {
        let n = events.len();
        for (i, (t, dt)) in [("gd_send_pn", 0), ("gd_auth_rejected", 6), ("gd_send_pn", 20)].into_iter().enumerate() {
            let mut e = step(n + i, t, at_s + dt);
            e.ip = Some(push_ip.into());
            events.push(e);
        }
        let mut login = step(n + 3, "s", at_s + 28);
        login.mfa = true;
        login.ip = Some(login_ip.into());
        events.push(login);
    }

    #[test]
    fn two_logins_each_with_a_mistaken_rejection_do_not_alert_but_the_victim_s_own_login_closes_nothing() {
        // From home, then from the phone five minutes later: 4 pushes, 2 rejections, in 15 minutes.
        let mut events = Vec::new();
        mistaken_login(&mut events, 0, "198.51.100.7", "198.51.100.7");
        mistaken_login(&mut events, 300, "192.0.2.44", "192.0.2.44");
        assert!(analyze(&events).alerts.is_empty(), "each login completed the attempt its pushes were for");
        // An attacker's pushes, the victim logging in meanwhile from home (with a push of its own).
        let mut events = Vec::new();
        for i in 0..3 {
            let mut send = step(i * 2, "gd_send_pn", i as i64 * 60);
            send.ip = Some("203.0.113.9".into());
            let mut reject = step(i * 2 + 1, "gd_auth_rejected", i as i64 * 60 + 10);
            reject.ip = Some("198.51.100.7".into());
            events.extend([send, reject]);
        }
        let mut own = step(50, "s", 200);
        own.mfa = true;
        own.ip = Some("198.51.100.7".into());
        events.push(own);
        let mut send = step(51, "gd_send_pn", 240);
        send.ip = Some("203.0.113.9".into());
        events.push(send);
        assert_eq!(kinds(&analyze(&events)), vec![(KIND, "auth0|target".to_string())], "the attacker's pushes stay counted");
    }
}
