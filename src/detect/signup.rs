//! `signup_wave`: sign-ups (`ss`, and failed ones `fs`) in bursts.
//! - From one network (/24, /48): at least `network_min_signups` within
//!   `window_s`, of at least `network_min_domains` email domains or mostly
//!   failing (`min_failed_share`): a company onboarding its staff from its office
//!   signs up one domain, and succeeds.
//! - Of one email domain (the user name's), by its class: a disposable domain at
//!   `disposable_min_signups`; a free-mail one at `free_mail_min_signups`, any
//!   other at `domain_min_signups`, both from at least `domain_min_networks`
//!   networks (bots rotate addresses; an onboarding comes from a few).

use std::collections::{HashSet, VecDeque};

use serde::{Deserialize, Serialize};

use super::{hash_of, hasher, network_of, prune, secs, user_hash, Idle, Keyed, Severity, Shared, Subject};
use crate::domains::{classify, DomainClass};
use crate::logs::LogEvent;

pub const KIND: &str = "signup_wave";

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Config {
    /// The window, in seconds (default 3600).
    pub window_s: u64,
    /// Sign-ups from one network within the window (default 10).
    pub network_min_signups: usize,
    /// ... of at least this many domains (default 3), unless mostly failing.
    pub network_min_domains: usize,
    /// Failed sign-ups' share that makes a network's burst a wave whatever its domains (default 0.5).
    pub min_failed_share: f64,
    /// Sign-ups of one ordinary domain within the window (default 20).
    pub domain_min_signups: usize,
    /// Sign-ups of one free-mail domain within the window (default 100).
    pub free_mail_min_signups: usize,
    /// Networks a domain's wave comes from, at least (default 5).
    pub domain_min_networks: usize,
    /// Sign-ups of one disposable domain within the window, from anywhere (default 5).
    pub disposable_min_signups: usize,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            window_s: 3600,
            network_min_signups: 10,
            network_min_domains: 3,
            min_failed_share: 0.5,
            domain_min_signups: 20,
            free_mail_min_signups: 100,
            domain_min_networks: 5,
            disposable_min_signups: 5,
        }
    }
}

#[derive(Debug, Clone)]
struct Signup {
    /// The other dimension: the domain (for a network), the network (for a domain).
    other: u64,
    failed: bool,
    user: Option<u64>,
    org: Option<String>,
}

#[derive(Debug, Default)]
struct Wave {
    signups: VecDeque<(i64, Signup)>,
    alerted: bool,
    last_ms: i64,
}

impl Idle for Wave {
    fn last_ms(&self) -> i64 {
        self.last_ms
    }
}

#[derive(Debug)]
pub struct Detector {
    config: Config,
    networks: Keyed<Wave>,
    domains: Keyed<Wave>,
}

impl Detector {
    pub(crate) fn new(config: &Config, max_keys: usize) -> Detector {
        let idle = secs(config.window_s);
        Detector { config: config.clone(), networks: Keyed::new(max_keys, idle), domains: Keyed::new(max_keys, idle) }
    }

    pub(crate) fn observe(&mut self, e: &LogEvent, shared: &mut Shared) {
        let failed = match e.event_type.as_str() {
            "ss" => false,
            "fs" => true,
            _ => return,
        };
        let network = e.ip.as_deref().and_then(network_of);
        let domain = e.user_name.as_deref().and_then(|n| n.rsplit_once('@')).and_then(|(_, d)| crate::email::normalize_domain(d).ok());
        let user = user_hash(e);
        let c = self.config.clone();
        let window = secs(c.window_s);
        if let Some(net) = &network {
            let other = domain.as_deref().map_or(0, hash_of);
            if let Some((wave, subject)) = self.wave(true, net, e, shared) {
                add(
                    wave,
                    subject,
                    Signup { other, failed, user, org: e.organization_id.clone() },
                    e,
                    shared,
                    window,
                    |n, others, failed_share| {
                        let mut codes = vec![];
                        if n < c.network_min_signups.max(1) {
                            return None;
                        }
                        if others >= c.network_min_domains.max(1) {
                            codes.push("many_domains");
                        }
                        if failed_share >= c.min_failed_share {
                            codes.push("failed_signups");
                        }
                        (!codes.is_empty()).then(|| {
                            codes.push("signup_burst_network");
                            codes
                        })
                    },
                );
            }
        }
        if let Some(dom) = &domain {
            let other = network.as_deref().map_or(0, hash_of);
            let class = classify(dom);
            if let Some((wave, subject)) = self.wave(false, dom, e, shared) {
                add(wave, subject, Signup { other, failed, user, org: e.organization_id.clone() }, e, shared, window, |n, others, _| {
                    let (min, networks, code) = match class {
                        DomainClass::Disposable => (c.disposable_min_signups, 0, "disposable_domain"),
                        DomainClass::FreeMail => (c.free_mail_min_signups, c.domain_min_networks, "free_mail_domain"),
                        DomainClass::Other => (c.domain_min_signups, c.domain_min_networks, "signup_burst_domain"),
                    };
                    (n >= min.max(1) && others >= networks).then(|| {
                        let mut codes = vec!["signup_burst_domain", code];
                        if networks > 0 {
                            codes.push("many_networks");
                        }
                        codes
                    })
                });
            }
        }
    }

    fn wave<'a>(&'a mut self, by_network: bool, key: &str, e: &LogEvent, shared: &mut Shared) -> Option<(&'a mut Wave, Subject)> {
        let map = if by_network { &mut self.networks } else { &mut self.domains };
        let wave = map.entry(key, e.date_ms, &mut shared.overflow, Wave::default)?;
        wave.last_ms = wave.last_ms.max(e.date_ms);
        Some((wave, Subject { kind: if by_network { "network" } else { "domain" }, value: key.to_string() }))
    }
}

/// Adds a sign-up to a wave; `verdict(signups, distinct others, failed share)`
/// gives the reasons when the window is a wave.
fn add(
    wave: &mut Wave,
    subject: Subject,
    signup: Signup,
    e: &LogEvent,
    shared: &mut Shared,
    window_ms: i64,
    verdict: impl Fn(usize, usize, f64) -> Option<Vec<&'static str>>,
) {
    let now = e.date_ms;
    // A live analyzer forgot the wave's idle alert: the wave starts over.
    if wave.alerted && shared.alerts.forgotten(KIND, &subject) {
        wave.alerted = false;
    }
    if wave.alerted {
        if let Some(alert) = shared.alerts.get(KIND, &subject) {
            alert.event(now).user(signup.user).org(signup.org.as_deref());
        }
        return;
    }
    wave.signups.push_back((now, signup));
    let horizon = now.saturating_sub(window_ms);
    prune(&mut wave.signups, horizon, shared.max_entries);
    let n = wave.signups.len();
    let others: HashSet<u64, super::Hasher> = {
        let mut s = HashSet::with_hasher(hasher());
        s.extend(wave.signups.iter().map(|(_, x)| x.other).filter(|o| *o != 0));
        s
    };
    let failed = wave.signups.iter().filter(|(_, x)| x.failed).count();
    let share = if n == 0 { 0.0 } else { failed as f64 / n as f64 };
    let Some(codes) = verdict(n, others.len(), share) else { return };
    let first = wave.signups.front().map_or(now, |(t, _)| *t);
    wave.alerted = true;
    let Some(alert) = shared.alerts.raise(KIND, subject, Severity::Medium, first) else { return };
    for (t, s) in &wave.signups {
        alert.event(*t).user(s.user).org(s.org.as_deref());
    }
    for code in codes {
        alert.reason(code);
    }
    wave.signups.clear();
}

#[cfg(test)]
mod tests {
    use super::super::testing::*;
    use super::*;

    fn signup(n: usize, t: &str, ip: &str, email: &str, at_s: i64) -> LogEvent {
        let mut e = ev(&format!("x{n}"), t, at_s);
        e.ip = Some(ip.into());
        e.user_name = Some(email.into());
        e.organization_id = Some("org_a".into());
        e
    }

    #[test]
    fn a_burst_of_many_domains_from_one_network_alerts() {
        let domains = ["a.example", "b.example", "c.example", "d.example"];
        let events: Vec<LogEvent> = (0..12)
            .map(|i| signup(i, "ss", &format!("203.0.113.{}", i % 3 + 1), &format!("bot{i}@{}", domains[i % 4]), i as i64 * 60))
            .collect();
        let out = analyze(&events);
        assert_eq!(kinds(&out), vec![(KIND, "203.0.113.0/24".to_string())]);
        assert_eq!(codes(&out.alerts[0]), ["many_domains", "signup_burst_network"]);
        assert_eq!((out.alerts[0].events, out.alerts[0].users), (12, 12));
    }

    #[test]
    fn a_disposable_domain_alerts_from_anywhere_and_failures_from_one_network_too() {
        let events: Vec<LogEvent> =
            (0..5).map(|i| signup(i, "ss", &format!("198.18.{i}.1"), &format!("t{i}@mailinator.com"), i as i64 * 60)).collect();
        let out = analyze(&events);
        assert_eq!(kinds(&out), vec![(KIND, "mailinator.com".to_string())]);
        assert_eq!(out.alerts[0].subject.kind, "domain");
        assert_eq!(codes(&out.alerts[0]), ["disposable_domain", "signup_burst_domain"]);
        let events: Vec<LogEvent> = (0..10).map(|i| signup(i, "fs", "192.0.2.9", &format!("w{i}@corp.example"), i as i64 * 60)).collect();
        assert_eq!(codes(&analyze(&events).alerts[0]), ["failed_signups", "signup_burst_network"]);
    }

    #[test]
    fn a_company_onboarding_from_its_office_does_not_alert() {
        // 40 employees of one domain from the office network in an hour, all succeeding.
        let events: Vec<LogEvent> = (0..40).map(|i| signup(i, "ss", "192.0.2.20", &format!("e{i}@newco.example"), i as i64 * 60)).collect();
        assert!(analyze(&events).alerts.is_empty());
        // Free-mail sign-ups from everywhere, as a consumer app sees all day.
        let events: Vec<LogEvent> =
            (0..60).map(|i| signup(i, "ss", &format!("198.18.{i}.1"), &format!("p{i}@gmail.com"), i as i64 * 50)).collect();
        assert!(analyze(&events).alerts.is_empty());
    }
}
