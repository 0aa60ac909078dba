//! `signup_wave`: sign-ups (`ss`, and failed ones `fs`) in bursts.
//! - From one network (/24, /48): at least `network_min_signups` within
//!   `window_s`, of at least `network_min_domains` email domains or mostly
//!   failing (`min_failed_share`): a company onboarding its staff from its office
//!   signs up one domain, and succeeds. And they are `network_min_share` of all
//!   the window's sign-ups: during a launch a mobile carrier's or a university's
//!   CGNAT carries its share of the public, dozens of sign-ups of many domains.
//! - Of one email domain (the user name's), of sign-ups outside any organization
//!   (an organization's invitations are its own doing: a remote-first company
//!   onboards one domain from as many homes): a free-mail one at
//!   `free_mail_min_signups` that are `free_mail_min_share` of all the window's
//!   sign-ups, any other (a catch-all domain bots own) at `domain_min_signups`,
//!   both from at least `domain_min_networks` networks (bots rotate addresses). A
//!   product launch brings thousands of sign-ups an hour from everywhere, most of
//!   them free mail: a provider's count alone says nothing then, its share does
//!   (one provider is not most of a launch).
//! - Of the disposable class, whatever the domain (subject `domain_class`
//!   `disposable`): at least `disposable_min_signups` with throwaway domains whose
//!   share of all the window's sign-ups is `disposable_baseline_factor` times
//!   their share in the baseline (the week before the window), or
//!   `disposable_min_share` before there is a baseline. Bots rotate among dozens of
//!   throwaway domains, a few sign-ups each, so counting one domain misses them;
//!   a few genuine people use throwaway inboxes (a percent or two of sign-ups), so
//!   a count alone alerts on every busy hour; and a launch multiplies sign-ups but
//!   keeps that share, so a wave inside it still shows.

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
    /// A network's share of all the window's sign-ups, at least (default 0.05). Out of
    /// a launch, `network_min_signups` from one network are most of an hour's; in one
    /// of thousands an hour from everywhere, no network the public uses carries one
    /// in twenty, while a bots' network keeps its pace (a wave slower than one in
    /// twenty of a launch's sign-ups hides in it).
    pub network_min_share: f64,
    /// Sign-ups of one ordinary domain within the window (default 20).
    pub domain_min_signups: usize,
    /// Sign-ups of one free-mail domain within the window (default 100).
    pub free_mail_min_signups: usize,
    /// ... that are at least this share of all the window's sign-ups (default 0.8).
    /// The largest providers are a third to a half of a consumer application's
    /// sign-ups; four in five from one is not people choosing their provider.
    pub free_mail_min_share: f64,
    /// Networks a domain's wave comes from, at least (default 5).
    pub domain_min_networks: usize,
    /// Sign-ups with disposable domains (any of them) within the window, from
    /// anywhere (default 10).
    pub disposable_min_signups: usize,
    /// ... that are at least this many times their share of sign-ups in the
    /// baseline (default 4): the share of genuine people using throwaway inboxes is
    /// the application's audience's (a percent or a few), and a launch's thousands of
    /// sign-ups keep it; bots bring their own.
    pub disposable_baseline_factor: f64,
    /// ... and at least this share of the window's sign-ups whatever the baseline
    /// (default 0.05).
    pub disposable_share_floor: f64,
    /// ... or, before there is a baseline, this share (default 0.25: some ten times
    /// the share of genuine people using throwaway inboxes).
    pub disposable_min_share: f64,
    /// The baseline: the sign-ups before the window, over this many seconds
    /// (default 604800, a week), throwaway ones of alerted waves left out.
    pub baseline_s: u64,
    /// Sign-ups the baseline needs to be one (default 200).
    pub baseline_min_signups: usize,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            window_s: 3600,
            network_min_signups: 10,
            network_min_domains: 3,
            min_failed_share: 0.5,
            network_min_share: 0.05,
            domain_min_signups: 20,
            free_mail_min_signups: 100,
            free_mail_min_share: 0.8,
            domain_min_networks: 5,
            disposable_min_signups: 10,
            disposable_baseline_factor: 4.0,
            disposable_share_floor: 0.05,
            disposable_min_share: 0.25,
            baseline_s: 604_800,
            baseline_min_signups: 200,
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

/// Every sign-up is counted in a bucket of this many ms (the window's share of a
/// domain or class is over these: a launch's thousands cost a few dozen buckets).
const BUCKET_MS: i64 = 60_000;
/// Sign-ups older than the window are kept as counts per hour, for the baseline.
const HOUR_MS: i64 = 3_600_000;

/// One minute's sign-ups in the window.
#[derive(Debug, Clone, Copy)]
struct Minute {
    at: i64,
    total: u32,
    disposable: u32,
    /// Within a disposable wave's alert: its throwaway sign-ups stay out of the baseline.
    wave: bool,
}

/// All sign-ups and those with disposable domains: per minute over the window, and
/// per hour before it over the baseline's span (`baseline_s`).
#[derive(Debug, Default)]
struct Volume {
    minutes: VecDeque<Minute>,
    /// (hour start, sign-ups, disposable ones), oldest first; waves left out.
    hours: VecDeque<(i64, u64, u64)>,
}

impl Volume {
    fn add(&mut self, now: i64, disposable: bool, wave: bool, window_ms: i64, baseline_ms: i64) {
        let at = now - now.rem_euclid(BUCKET_MS);
        let d = u32::from(disposable);
        // Logs come in time order, but not strictly: a late one joins its own minute.
        match self.minutes.iter().rposition(|m| m.at <= at) {
            Some(i) if self.minutes.get(i).is_some_and(|m| m.at == at) => {
                if let Some(m) = self.minutes.get_mut(i) {
                    m.total = m.total.saturating_add(1);
                    m.disposable = m.disposable.saturating_add(d);
                    m.wave |= wave;
                }
            }
            Some(i) => self.minutes.insert(i.saturating_add(1), Minute { at, total: 1, disposable: d, wave }),
            None => self.minutes.push_front(Minute { at, total: 1, disposable: d, wave }),
        }
        let horizon = self.minutes.back().map_or(now, |m| m.at).saturating_sub(window_ms);
        let cap = usize::try_from(window_ms / BUCKET_MS).unwrap_or(usize::MAX).saturating_add(2);
        while self.minutes.front().is_some_and(|m| m.at + BUCKET_MS <= horizon) || self.minutes.len() > cap {
            let Some(m) = self.minutes.pop_front() else { break };
            self.settle(m);
        }
        let oldest = horizon.saturating_sub(baseline_ms);
        let hours = usize::try_from(baseline_ms / HOUR_MS).unwrap_or(usize::MAX).saturating_add(2);
        while self.hours.front().is_some_and(|(h, _, _)| *h + HOUR_MS <= oldest) || self.hours.len() > hours {
            self.hours.pop_front();
        }
    }

    /// A minute leaving the window joins its hour of the baseline; a wave's throwaway
    /// sign-ups do not (the baseline is what the application's audience does).
    fn settle(&mut self, m: Minute) {
        let (total, disposable) = if m.wave { (m.total.saturating_sub(m.disposable), 0) } else { (m.total, m.disposable) };
        let hour = m.at - m.at.rem_euclid(HOUR_MS);
        match self.hours.back_mut() {
            Some((h, n, k)) if *h >= hour => {
                *n = n.saturating_add(u64::from(total));
                *k = k.saturating_add(u64::from(disposable));
            }
            _ => self.hours.push_back((hour, u64::from(total), u64::from(disposable))),
        }
    }

    /// Sign-ups and disposable ones in the window ending at `now`.
    fn in_window(&self, now: i64, window_ms: i64) -> (u64, u64) {
        let from = now.saturating_sub(window_ms);
        self.minutes
            .iter()
            .filter(|m| m.at + BUCKET_MS > from && m.at <= now)
            .fold((0, 0), |(n, k), m| (n + u64::from(m.total), k + u64::from(m.disposable)))
    }

    /// Sign-ups and disposable ones before the window, over the baseline's span.
    fn baseline(&self) -> (u64, u64) {
        self.hours.iter().fold((0, 0), |(n, k), (_, a, b)| (n.saturating_add(*a), k.saturating_add(*b)))
    }

    /// The window's minutes are a wave's.
    fn mark_wave(&mut self) {
        for m in &mut self.minutes {
            m.wave = true;
        }
    }
}

/// A sign-up with a disposable domain, for the class's wave.
#[derive(Debug, Clone)]
struct Throwaway {
    domain: u64,
    network: u64,
    user: Option<u64>,
    org: Option<String>,
}

/// The disposable class's wave: its recent sign-ups, and until when an alert stays
/// open (a window after the last time the window was a wave).
#[derive(Debug, Default)]
struct ClassWave {
    recent: VecDeque<(i64, Throwaway)>,
    alerted_until: Option<i64>,
}

#[derive(Debug)]
pub struct Detector {
    config: Config,
    networks: Keyed<Wave>,
    domains: Keyed<Wave>,
    volume: Volume,
    disposable: ClassWave,
}

impl Detector {
    pub(crate) fn new(config: &Config, max_keys: usize) -> Detector {
        let idle = secs(config.window_s);
        Detector {
            config: config.clone(),
            networks: Keyed::new(max_keys, idle),
            domains: Keyed::new(max_keys, idle),
            volume: Volume::default(),
            disposable: ClassWave::default(),
        }
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
        let class = domain.as_deref().map(classify);
        let throwaway = class == Some(DomainClass::Disposable);
        let in_wave = throwaway && self.disposable.alerted_until.is_some_and(|until| e.date_ms <= until);
        self.volume.add(e.date_ms, throwaway, in_wave, window, secs(c.baseline_s));
        let (total, disposable) = self.volume.in_window(e.date_ms, window);
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
                        if n < c.network_min_signups.max(1) || (n as f64) < c.network_min_share * total as f64 {
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
        let Some((dom, class)) = domain.as_deref().zip(class) else { return };
        let other = network.as_deref().map_or(0, hash_of);
        if class == DomainClass::Disposable {
            let entry = Throwaway { domain: hash_of(dom), network: other, user, org: e.organization_id.clone() };
            let wave = disposable >= c.disposable_min_signups.max(1) as u64 && disposable as f64 >= self.disposable_share() * total as f64;
            if self.disposable_wave(entry, wave, e.date_ms, shared) {
                self.volume.mark_wave();
            }
            return;
        }
        // A sign-up in an organization's context (an invitation, or membership by the
        // organization's verified domain) is the organization's doing: a remote-first
        // company onboarding its staff is one domain from as many homes.
        if e.organization_id.is_some() {
            return;
        }
        if let Some((wave, subject)) = self.wave(false, dom, e, shared) {
            add(wave, subject, Signup { other, failed, user, org: None }, e, shared, window, |n, others, _| {
                let (min, share, code) = match class {
                    DomainClass::FreeMail => (c.free_mail_min_signups, c.free_mail_min_share, "free_mail_domain"),
                    _ => (c.domain_min_signups, 0.0, "signup_burst_domain"),
                };
                let dominant = n as f64 >= share * total as f64;
                (n >= min.max(1) && others >= c.domain_min_networks && dominant).then(|| vec!["signup_burst_domain", code, "many_networks"])
            });
        }
    }

    /// The share of the window's sign-ups throwaway ones must reach to be a wave:
    /// `disposable_baseline_factor` times their share in the baseline (at least
    /// `disposable_share_floor`), or `disposable_min_share` without a baseline.
    fn disposable_share(&self) -> f64 {
        let c = &self.config;
        let (total, disposable) = self.volume.baseline();
        if total < c.baseline_min_signups.max(1) as u64 {
            return c.disposable_min_share;
        }
        (c.disposable_baseline_factor * disposable as f64 / total as f64).max(c.disposable_share_floor)
    }

    /// A sign-up with a disposable domain; `wave` when the window's disposable
    /// sign-ups are a wave (with this one). True when it raised the alert.
    fn disposable_wave(&mut self, entry: Throwaway, wave: bool, now: i64, shared: &mut Shared) -> bool {
        let c = &self.config;
        let window = secs(c.window_s);
        let class = &mut self.disposable;
        let subject = Subject { kind: "domain_class", value: "disposable".to_string() };
        // A live analyzer forgot the class's idle alert: the class starts over.
        if class.alerted_until.is_some() && shared.alerts.forgotten(KIND, &subject) {
            class.alerted_until = None;
        }
        if class.alerted_until.is_some_and(|until| now <= until) {
            if let Some(alert) = shared.alerts.get(KIND, &subject) {
                alert.event(now).user(entry.user).org(entry.org.as_deref());
            }
            if wave {
                class.alerted_until = Some(now.saturating_add(window));
            }
            return false;
        }
        class.recent.push_back((now, entry));
        prune(&mut class.recent, now.saturating_sub(window), shared.max_entries);
        if !wave {
            return false;
        }
        let mut domains = HashSet::with_hasher(hasher());
        let mut networks = HashSet::with_hasher(hasher());
        for (_, x) in &class.recent {
            domains.insert(x.domain);
            if x.network != 0 {
                networks.insert(x.network);
            }
        }
        let first = class.recent.front().map_or(now, |(t, _)| *t);
        class.alerted_until = Some(now.saturating_add(window));
        let Some(alert) = shared.alerts.raise(KIND, subject, Severity::Medium, first) else { return true };
        for (t, x) in class.recent.drain(..) {
            alert.event(t).user(x.user).org(x.org.as_deref());
        }
        alert.reason("disposable_domain").reason("disposable_share").reason("signup_burst_domain");
        if domains.len() >= c.network_min_domains.max(1) {
            alert.reason("many_domains");
        }
        if networks.len() >= c.domain_min_networks.max(1) {
            alert.reason("many_networks");
        }
        true
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
    fn disposable_domains_alert_as_a_class_from_anywhere_and_failures_from_one_network_too() {
        // Ten sign-ups from ten networks, rotating over four throwaway domains.
        let domains = ["mailinator.com", "yopmail.com", "sharklasers.com", "trashmail.com"];
        let wave = |n: usize| -> Vec<LogEvent> {
            (0..n).map(|i| signup(i, "ss", &format!("198.18.{i}.1"), &format!("t{i}@{}", domains[i % 4]), i as i64 * 60)).collect()
        };
        assert!(analyze(&wave(9)).alerts.is_empty(), "nine are not a wave");
        let out = analyze(&wave(12));
        assert_eq!(kinds(&out), vec![(KIND, "disposable".to_string())]);
        assert_eq!(out.alerts[0].subject.kind, "domain_class");
        assert_eq!(
            codes(&out.alerts[0]),
            ["disposable_domain", "disposable_share", "many_domains", "many_networks", "signup_burst_domain"]
        );
        assert_eq!((out.alerts[0].events, out.alerts[0].users), (12, 12));
        let events: Vec<LogEvent> = (0..10).map(|i| signup(i, "fs", "192.0.2.9", &format!("w{i}@corp.example"), i as i64 * 60)).collect();
        assert_eq!(codes(&analyze(&events).alerts[0]), ["failed_signups", "signup_burst_network"]);
    }

    #[test]
    fn a_launch_s_free_mail_and_throwaway_inboxes_do_not_alert_and_one_provider_s_wave_does() {
        // One sign-up every 9 s from a network of its own; `domain(i)` its email's domain.
        let hour = |n: usize, domain: &dyn Fn(usize) -> String| -> Vec<LogEvent> {
            (0..n)
                .map(|i| signup(i, "ss", &format!("198.{}.{}.1", 18 + i / 250, i % 250), &format!("p{i}@{}", domain(i)), i as i64 * 9))
                .collect()
        };
        // A launch hour: 400 sign-ups, 160 with Gmail, 8 with a throwaway inbox (2%).
        let launch = hour(400, &|i| match i % 50 {
            7 => "mailinator.com".into(),
            _ if i % 5 < 2 => "gmail.com".into(),
            _ => format!("home{i}.example"),
        });
        assert!(analyze(&launch).alerts.is_empty());
        // Gmail is 110 of 125 sign-ups (88%): not people choosing their provider.
        let wave = hour(125, &|i| if i % 8 == 3 { format!("home{i}.example") } else { "gmail.com".into() });
        let out = analyze(&wave);
        assert_eq!(kinds(&out), vec![(KIND, "gmail.com".to_string())]);
        assert_eq!(codes(&out.alerts[0]), ["free_mail_domain", "many_networks", "signup_burst_domain"]);
    }

    #[test]
    fn a_throwaway_wave_inside_a_launch_shows_against_the_baseline_and_waves_stay_out_of_it() {
        let mut n = 0;
        let mut at = |events: &mut Vec<LogEvent>, t: i64, domain: &str| {
            n += 1;
            // People's own domains ("home": one each), or the throwaway one given.
            let domain = if domain == "home" { format!("home{n}.example") } else { domain.to_string() };
            events.push(signup(n, "ss", &format!("198.{}.{}.1", 18 + (n / 250) % 200, n % 250), &format!("p{n}@{domain}"), t));
        };
        // Three days of an audience signing up ten an hour, one in fifty with a throwaway inbox.
        let mut events = Vec::new();
        for i in 0..720 {
            at(&mut events, i * 360, if i % 50 == 0 { "yopmail.com" } else { "home" });
        }
        let day3 = 3 * 86_400;
        // A launch hour: 600 sign-ups, the same one in fifty: 12 throwaway, 2%.
        let launch: Vec<i64> = (0..600).map(|i| day3 + i * 6).collect();
        let mut quiet = events.clone();
        for (i, t) in launch.iter().enumerate() {
            at(&mut quiet, *t, if i % 50 == 0 { "mailinator.com" } else { "home" });
        }
        assert!(analyze(&quiet).alerts.is_empty(), "a launch keeps its audience's share");
        // The same launch with 60 bots' sign-ups inside it (72 of 660, 11% > 4 x 2%),
        // then a smaller wave the next day: 30 among 180 in an hour (17%). Had the
        // first wave joined the baseline (87 of 1380, 6.3%), 25% would be needed.
        for (i, t) in launch.iter().enumerate() {
            at(&mut events, *t, if i % 50 == 0 { "mailinator.com" } else { "home" });
            if i % 10 == 5 {
                at(&mut events, *t + 1, ["sharklasers.com", "trashmail.com", "yopmail.com"][i % 3]);
            }
        }
        let day4 = day3 + 86_400;
        for i in 0..180 {
            at(&mut events, day4 + i * 20, if i % 6 == 0 { "trashmail.com" } else { "home" });
        }
        let out = analyze(&events);
        assert_eq!(kinds(&out), vec![(KIND, "disposable".to_string())]);
        assert!(out.alerts[0].events >= 60 + 30, "both waves: {}", out.alerts[0].events);
        assert_eq!(out.alerts[0].last_seen, "2026-11-06T00:58:00.000Z", "the second wave too: the first is not its baseline");
    }

    #[test]
    fn a_cgnat_carrying_its_share_of_a_launch_does_not_alert_and_out_of_one_it_does() {
        // 15 sign-ups of 15 domains in an hour through a carrier's four CGNAT addresses.
        let cgnat: Vec<LogEvent> = (0..15)
            .map(|i| signup(1000 + i, "ss", &format!("192.0.2.{}", 10 + i % 4), &format!("m{i}@home{i}.example"), i as i64 * 200))
            .collect();
        // ... among a launch's 600 from everywhere else (2.5% of the hour's sign-ups).
        let mut launch: Vec<LogEvent> = (0..600)
            .map(|i| signup(i, "ss", &format!("198.{}.{}.1", 18 + i / 250, i % 250), &format!("p{i}@own{i}.example"), i as i64 * 6))
            .collect();
        launch.extend(cgnat.iter().cloned());
        launch.sort_by_key(|e| e.date_ms);
        assert!(analyze(&launch).alerts.is_empty());
        assert_eq!(kinds(&analyze(&cgnat)), vec![(KIND, "192.0.2.0/24".to_string())], "out of a launch, 15 from one network are a wave");
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

    #[test]
    fn a_remote_company_s_invitations_do_not_alert_and_a_catch_all_domain_s_bots_do() {
        // 40 sign-ups of one domain in an hour from 40 homes, each in the organization's context.
        let mut events: Vec<LogEvent> = (0..40)
            .map(|i| {
                let mut e = signup(i, "ss", &format!("198.18.{i}.1"), &format!("e{i}@remoteco.example"), i as i64 * 90);
                e.organization_id = Some("org_remoteco".into());
                e
            })
            .collect();
        assert!(analyze(&events).alerts.is_empty());
        // The same to the public application: bots with a catch-all domain of their own.
        for e in &mut events {
            e.organization_id = None;
        }
        let out = analyze(&events);
        assert_eq!(kinds(&out), vec![(KIND, "remoteco.example".to_string())]);
        assert_eq!(codes(&out.alerts[0]), ["many_networks", "signup_burst_domain"]);
    }
}
