//! `credential_stuffing`: failed logins (`f`, `fp`, `fu`) from one address, or
//! from one network (/24, /48) of at least two addresses, against many distinct
//! users of several organizations.
//!
//! Two windows per source: a burst (`burst_window_s`, an hour) with at least
//! `burst_min_users` distinct users failing a password (`fp`, `fu`: what guessing
//! meets; a plain failure, `f`, is an identity provider's error, a blocked user or
//! an Action's denial, and counts in the source's failure share only: an identity
//! provider's outage fails every login behind an organization's office NAT at
//! once), and a low-and-slow one
//! (`slow_window_s`, a day) with at least `slow_min_users`; in both, the users
//! must span `min_organizations` organizations (or be `single_organization_factor`
//! times as many in one), and the source's logins must mostly fail
//! (`min_failure_share` of its failed and successful logins, `s` and `ssa`): an
//! office NAT carries many users of one organization whose logins mostly succeed,
//! and never alerts. An alert met in the burst window says `failure_burst`, one
//! met only over the long window `low_and_slow`; when no account saw more than
//! `max_failures_per_user` failures it says `under_account_thresholds` (a
//! campaign under Auth0's per-account limits). A successful login from the source after it alerted makes it
//! `high` (`login_succeeded`); Auth0's own blocks (`limit_wc`, `limit_mu`) and
//! leaked passwords (`pwd_leak`) from it add their reasons.

use std::collections::{HashMap, HashSet, VecDeque};

use serde::{Deserialize, Serialize};

use super::{canonical_ip, hash_of, hasher, is_failed_login, network_of, prune, secs, user_hash, Idle, Keyed, Severity, Shared, Subject};
use crate::logs::LogEvent;

pub const KIND: &str = "credential_stuffing";

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Config {
    /// The burst window, in seconds (default 3600).
    pub burst_window_s: u64,
    /// Distinct users failing within a burst window (default 10).
    pub burst_min_users: usize,
    /// The low-and-slow window, in seconds (default 86400).
    pub slow_window_s: u64,
    /// Distinct users failing within a low-and-slow window (default 20).
    pub slow_min_users: usize,
    /// Organizations the failing users belong to (default 2).
    pub min_organizations: usize,
    /// With fewer organizations, this many times the users are needed (default 3).
    pub single_organization_factor: usize,
    /// Failed logins' share of the source's logins in the window (default 0.8).
    pub min_failure_share: f64,
    /// When no account saw more failures than this, the alert says
    /// `under_account_thresholds` (default 2).
    pub max_failures_per_user: u32,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            burst_window_s: 3600,
            burst_min_users: 10,
            slow_window_s: 86_400,
            slow_min_users: 20,
            min_organizations: 2,
            single_organization_factor: 3,
            min_failure_share: 0.8,
            max_failures_per_user: 2,
        }
    }
}

/// Successes are counted in buckets of this many ms (only non-empty ones kept).
const BUCKET_MS: i64 = 600_000;
/// Addresses a network remembers (two are enough to tell one from several).
const MAX_IPS: usize = 16;

#[derive(Debug, Clone)]
struct Failure {
    user: Option<u64>,
    org: Option<u64>,
    /// A wrong password or an unknown user (`fp`, `fu`), not a plain failure (`f`).
    guess: bool,
}

#[derive(Debug, Default)]
struct Source {
    failures: VecDeque<(i64, Failure)>,
    /// (bucket start, successes in it), oldest first.
    successes: VecDeque<(i64, u32)>,
    /// Distinct addresses seen failing (networks only).
    ips: Vec<u64>,
    /// Organizations by hash, for the alert (the window keeps hashes only).
    org_names: HashMap<u64, String>,
    since_eval: usize,
    alerted: bool,
    blocked: bool,
    leak: bool,
    last_ms: i64,
}

impl Idle for Source {
    fn last_ms(&self) -> i64 {
        self.last_ms
    }
}

#[derive(Debug)]
pub struct Detector {
    config: Config,
    ips: Keyed<Source>,
    networks: Keyed<Source>,
    names: Names,
}

/// The `user_id`s of recent failures by hash, for an alert's `targets` (the windows
/// keep hashes only): at most `max_keys`, those idle past the long window going first.
#[derive(Debug)]
struct Names {
    map: HashMap<u64, (i64, Box<str>), super::Hasher>,
    cap: usize,
    idle_ms: i64,
    last_sweep_ms: Option<i64>,
}

impl Names {
    fn note(&mut self, hash: u64, id: &str, now: i64) {
        if let Some(entry) = self.map.get_mut(&hash) {
            entry.0 = entry.0.max(now);
            return;
        }
        if id.len() > super::MAX_TARGET_LEN {
            return;
        }
        if self.map.len() >= self.cap {
            // As `Keyed` sweeps: at most every tenth of the idle time.
            if self.last_sweep_ms.map_or(true, |t| now.saturating_sub(t) >= self.idle_ms / 10) {
                let horizon = now.saturating_sub(self.idle_ms);
                self.map.retain(|_, (t, _)| *t >= horizon);
                self.last_sweep_ms = Some(now);
            }
            if self.map.len() >= self.cap {
                return;
            }
        }
        self.map.insert(hash, (now, id.into()));
    }

    fn get(&self, hash: u64) -> Option<&str> {
        self.map.get(&hash).map(|(_, id)| &**id)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Scope {
    Ip,
    Network,
}

impl Detector {
    pub(crate) fn new(config: &Config, max_keys: usize) -> Detector {
        let idle = secs(config.slow_window_s);
        Detector {
            config: config.clone(),
            ips: Keyed::new(max_keys, idle),
            networks: Keyed::new(max_keys, idle),
            names: Names { map: HashMap::with_hasher(hasher()), cap: max_keys.max(1), idle_ms: idle.max(1), last_sweep_ms: None },
        }
    }

    pub(crate) fn observe(&mut self, e: &LogEvent, shared: &mut Shared) {
        let t = e.event_type.as_str();
        let failed = is_failed_login(t);
        let succeeded = matches!(t, "s" | "ssa");
        let flag = matches!(t, "limit_wc" | "limit_mu" | "pwd_leak");
        if !(failed || succeeded || flag) {
            return;
        }
        let Some(ip) = e.ip.as_deref().and_then(canonical_ip) else { return };
        if failed {
            if let Some(id) = e.user_id.as_deref() {
                self.names.note(hash_of(id), id, e.date_ms);
            }
        }
        let network = network_of(&ip);
        let ip_hash = hash_of(&ip);
        self.source(Scope::Ip, &ip, ip_hash, e, shared);
        if let Some(net) = network {
            self.source(Scope::Network, &net, ip_hash, e, shared);
        }
    }

    fn source(&mut self, scope: Scope, key: &str, ip_hash: u64, e: &LogEvent, shared: &mut Shared) {
        let t = e.event_type.as_str();
        let now = e.date_ms;
        let failed = is_failed_login(t);
        let max_entries = shared.max_entries;
        let map = match scope {
            Scope::Ip => &mut self.ips,
            Scope::Network => &mut self.networks,
        };
        // Only failures open a source: successes alone are not worth a key.
        let state = if failed { map.entry(key, now, &mut shared.overflow, Source::default) } else { map.get_mut(key) };
        let Some(src) = state else { return };
        src.last_ms = src.last_ms.max(now);
        // Built only when the source is evaluated or has alerted, not for every login.
        let subject = || Subject { kind: if scope == Scope::Ip { "ip" } else { "network" }, value: key.to_string() };
        let user = user_hash(e);
        match t {
            "s" | "ssa" => {
                let bucket = now - now.rem_euclid(BUCKET_MS);
                match src.successes.back_mut() {
                    Some((b, n)) if *b == bucket => *n = n.saturating_add(1),
                    _ => src.successes.push_back((bucket, 1)),
                }
                let horizon = now.saturating_sub(secs(self.config.slow_window_s).saturating_add(BUCKET_MS));
                let buckets = usize::try_from(secs(self.config.slow_window_s) / BUCKET_MS).unwrap_or(usize::MAX).saturating_add(2);
                prune(&mut src.successes, horizon, buckets);
                if src.alerted && t == "s" {
                    if let Some(alert) = shared.alerts.get(KIND, &subject()) {
                        alert
                            .event(now)
                            .user(user)
                            .target(e.user_id.as_deref())
                            .org(e.organization_id.as_deref())
                            .reason("login_succeeded")
                            .severity(Severity::High);
                    }
                }
            }
            "limit_wc" | "limit_mu" | "pwd_leak" => {
                let code = if t == "pwd_leak" { "leaked_password_seen" } else { "auth0_blocked_source" };
                if t == "pwd_leak" {
                    src.leak = true;
                } else {
                    src.blocked = true;
                }
                if src.alerted {
                    if let Some(alert) = shared.alerts.get(KIND, &subject()) {
                        alert.event(now).user(user).reason(code);
                    }
                }
            }
            _ => {
                let org = e.organization_id.as_deref().map(|o| {
                    let h = hash_of(o);
                    if src.org_names.len() < 64 {
                        src.org_names.entry(h).or_insert_with(|| o.to_string());
                    }
                    h
                });
                if src.ips.len() < MAX_IPS && !src.ips.contains(&ip_hash) {
                    src.ips.push(ip_hash);
                }
                // A live analyzer forgot the source's idle alert: the source starts over.
                if src.alerted && shared.alerts.forgotten(KIND, &subject()) {
                    src.alerted = false;
                }
                if src.alerted {
                    if let Some(alert) = shared.alerts.get(KIND, &subject()) {
                        alert.event(now).user(user).target(e.user_id.as_deref()).org(e.organization_id.as_deref());
                    }
                    return;
                }
                src.failures.push_back((now, Failure { user, org, guess: t != "f" }));
                prune(&mut src.failures, now.saturating_sub(secs(self.config.slow_window_s)), max_entries);
                src.since_eval = src.since_eval.saturating_add(1);
                // Evaluate every failure while the window is small, every eighth of it
                // when large: amortized, a source costs O(1) a failure.
                if src.since_eval >= (src.failures.len() / 8).max(1) {
                    src.since_eval = 0;
                    evaluate(&self.config, scope, subject(), src, now, &self.names, shared);
                }
            }
        }
    }

    /// Evaluates the sources whose last failures were not evaluated.
    pub(crate) fn finish(&mut self, shared: &mut Shared) {
        for (scope, map) in [(Scope::Ip, &mut self.ips), (Scope::Network, &mut self.networks)] {
            let mut pending: Vec<(&String, &mut Source)> = map.iter_mut().filter(|(_, s)| !s.alerted && s.since_eval > 0).collect();
            // In key order: the alerts kept under `max_alerts` do not depend on the map's order.
            pending.sort_by(|a, b| a.0.cmp(b.0));
            for (key, src) in pending {
                let subject = Subject { kind: if scope == Scope::Ip { "ip" } else { "network" }, value: key.clone() };
                let now = src.failures.back().map_or(src.last_ms, |(t, _)| *t);
                evaluate(&self.config, scope, subject, src, now, &self.names, shared);
            }
        }
    }
}

struct Tally {
    failures: u64,
    users: HashMap<u64, u32, super::Hasher>,
    orgs: HashSet<u64, super::Hasher>,
    successes: u64,
}

fn tally(src: &Source, from: i64, to: i64) -> Tally {
    let mut out = Tally { failures: 0, users: HashMap::with_hasher(hasher()), orgs: HashSet::with_hasher(hasher()), successes: 0 };
    for (t, f) in src.failures.iter().rev() {
        if *t < from {
            break;
        }
        if *t > to {
            continue;
        }
        out.failures += 1;
        if !f.guess {
            continue;
        }
        if let Some(u) = f.user {
            *out.users.entry(u).or_insert(0) += 1;
        }
        if let Some(o) = f.org {
            out.orgs.insert(o);
        }
    }
    out.successes = src.successes.iter().filter(|(b, _)| *b + BUCKET_MS > from && *b <= to).map(|(_, n)| u64::from(*n)).sum();
    out
}

fn qualifies(config: &Config, tally: &Tally, min_users: usize) -> bool {
    let users = tally.users.len();
    let spread =
        tally.orgs.len() >= config.min_organizations.max(1) || users >= min_users.saturating_mul(config.single_organization_factor.max(1));
    let total = tally.failures + tally.successes;
    let share = if total == 0 { 0.0 } else { tally.failures as f64 / total as f64 };
    users >= min_users.max(1) && spread && share >= config.min_failure_share
}

fn evaluate(config: &Config, scope: Scope, subject: Subject, src: &mut Source, now: i64, names: &Names, shared: &mut Shared) {
    // A network alerts only for several addresses: one address is its own alert.
    if scope == Scope::Network && src.ips.len() < 2 {
        return;
    }
    let burst = tally(src, now.saturating_sub(secs(config.burst_window_s)), now);
    let (window, mut codes) = if qualifies(config, &burst, config.burst_min_users) {
        (burst, vec!["failure_burst"])
    } else {
        let slow = tally(src, now.saturating_sub(secs(config.slow_window_s)), now);
        if !qualifies(config, &slow, config.slow_min_users) {
            return;
        }
        (slow, vec!["low_and_slow"])
    };
    codes.push("many_users");
    if window.orgs.len() >= 2 {
        codes.push("many_organizations");
    }
    if window.users.values().all(|n| *n <= config.max_failures_per_user) {
        codes.push("under_account_thresholds");
    }
    if scope == Scope::Network {
        codes.push("many_addresses");
    }
    if src.blocked {
        codes.push("auth0_blocked_source");
    }
    if src.leak {
        codes.push("leaked_password_seen");
    }
    let from = now.saturating_sub(secs(config.slow_window_s));
    let first = src.failures.iter().find(|(t, _)| *t >= from).map_or(now, |(t, _)| *t);
    src.alerted = true;
    let Some(alert) = shared.alerts.raise(KIND, subject, Severity::Medium, first) else { return };
    for (t, f) in src.failures.iter().filter(|(t, _)| *t >= from && *t <= now) {
        alert.event(*t).user(f.user).target(f.user.and_then(|u| names.get(u)));
        if let Some(name) = f.org.and_then(|o| src.org_names.get(&o)) {
            alert.org(Some(name));
        }
    }
    for code in codes {
        alert.reason(code);
    }
    src.failures.clear();
}

#[cfg(test)]
mod tests {
    use super::super::testing::*;
    use super::*;

    fn failure(n: usize, ip: &str, user: &str, org: &str, at_s: i64) -> LogEvent {
        let mut e = ev(&format!("f{n}"), if n % 2 == 0 { "fp" } else { "fu" }, at_s);
        e.ip = Some(ip.into());
        e.user_name = Some(user.into());
        e.organization_id = Some(org.into());
        e
    }

    fn login(n: usize, ip: &str, user: &str, org: &str, at_s: i64) -> LogEvent {
        let mut e = ev(&format!("s{n}"), "s", at_s);
        e.ip = Some(ip.into());
        e.user_id = Some(user.into());
        e.organization_id = Some(org.into());
        e
    }

    #[test]
    fn a_burst_across_organizations_alerts_and_a_takeover_is_high() {
        let orgs = ["org_a", "org_b", "org_c"];
        let mut events: Vec<LogEvent> =
            (0..30).map(|i| failure(i, "203.0.113.77", &format!("u{i}@x.example"), orgs[i % 3], i as i64 * 30)).collect();
        events.push(login(1, "203.0.113.77", "auth0|victim", "org_b", 1000));
        let a = analyze(&events);
        assert_eq!(kinds(&a), vec![(KIND, "203.0.113.77".to_string())]);
        let alert = &a.alerts[0];
        assert_eq!(alert.severity, Severity::High);
        assert_eq!(alert.organizations, ["org_a", "org_b", "org_c"]);
        assert_eq!((alert.users, alert.events), (31, 31));
        assert_eq!(codes(alert), ["failure_burst", "login_succeeded", "many_organizations", "many_users", "under_account_thresholds"]);
    }

    #[test]
    fn low_and_slow_across_a_network_alerts_on_the_network() {
        // 40 users, one failure each, an address of a /24 each, over 20 hours.
        let orgs = ["org_a", "org_b"];
        let events: Vec<LogEvent> =
            (0..40).map(|i| failure(i, &format!("198.18.7.{}", i + 1), &format!("v{i}@y.example"), orgs[i % 2], i as i64 * 1800)).collect();
        let a = analyze(&events);
        assert_eq!(kinds(&a), vec![(KIND, "198.18.7.0/24".to_string())]);
        assert_eq!(codes(&a.alerts[0]), ["low_and_slow", "many_addresses", "many_organizations", "many_users", "under_account_thresholds"]);
        assert_eq!(a.alerts[0].severity, Severity::Medium);
    }

    #[test]
    fn an_office_nat_of_one_organization_does_not_alert() {
        // 60 employees behind one address: each logs in, 15 mistype once first.
        let mut events = Vec::new();
        for i in 0..60 {
            if i % 4 == 0 {
                events.push(failure(i, "192.0.2.1", &format!("e{i}@acme.example"), "org_acme", i as i64 * 20));
            }
            events.push(login(i, "192.0.2.1", &format!("auth0|e{i}"), "org_acme", i as i64 * 20 + 10));
        }
        assert!(analyze(&events).alerts.is_empty());
    }

    #[test]
    fn an_identity_provider_s_outage_behind_an_office_nat_does_not_alert() {
        // 60 employees of one organization fail twice each within an hour (`f`: the IdP errs),
        // no login succeeding: their failures are not guesses.
        let mut events = Vec::new();
        for i in 0..60 {
            for k in 0..2 {
                let mut e = failure(i * 2 + k, "192.0.2.1", &format!("e{i}@acme.example"), "org_acme", i as i64 * 50 + k as i64 * 20);
                e.event_type = "f".into();
                e.user_id = Some(format!("okta|acme|e{i}"));
                events.push(e);
            }
        }
        assert!(analyze(&events).alerts.is_empty());
        // The same failures as wrong passwords are guessing: 60 users, all failing.
        for e in &mut events {
            e.event_type = "fp".into();
        }
        assert_eq!(codes(&analyze(&events).alerts[0]), ["failure_burst", "many_users", "under_account_thresholds"]);
    }

    #[test]
    fn people_mistyping_twice_do_not_alert() {
        // Eight users of two organizations on their own addresses, two failures then a success each.
        let mut events = Vec::new();
        for i in 0..8 {
            let ip = format!("198.51.100.{}", 10 + i);
            let org = if i % 2 == 0 { "org_a" } else { "org_b" };
            events.push(failure(i * 3, &ip, &format!("p{i}@z.example"), org, i as i64 * 100));
            events.push(failure(i * 3 + 1, &ip, &format!("p{i}@z.example"), org, i as i64 * 100 + 10));
            events.push(login(i, &ip, &format!("auth0|p{i}"), org, i as i64 * 100 + 20));
        }
        assert!(analyze(&events).alerts.is_empty());
    }

    #[test]
    fn silent_auth_failures_are_not_failed_logins() {
        let events: Vec<LogEvent> = (0..50)
            .map(|i| {
                let mut e = failure(i, "203.0.113.9", &format!("q{i}@w.example"), ["org_a", "org_b"][i % 2], i as i64);
                e.event_type = "fsa".into();
                e
            })
            .collect();
        let a = analyze(&events);
        assert!(a.alerts.is_empty());
        assert_eq!(a.organizations.iter().map(|o| o.failed_logins).sum::<u64>(), 0);
        assert_eq!(a.organizations.iter().map(|o| o.silent_auth_failures).sum::<u64>(), 50);
    }
}
