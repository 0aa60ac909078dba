//! `m2m_anomaly`: a machine-to-machine client's token requests (`seccft`
//! succeeded, `feccft` failed). A client learns its baseline networks (/24,
//! /48) from its successful exchanges until it has `baseline_min_exchanges` of
//! them over at least `baseline_min_span_s`; after that, an exchange from a
//! network outside the baseline is `new_network` (a success from there is
//! `high`: the secret works from somewhere new). Failures, `failure_min` of them
//! within `failure_window_s`, are a `failure_burst` (a rotated-away or guessed
//! secret) when they are `failure_min_share` of the client's exchanges since the
//! first of them, or come from networks outside its baseline: a rotated-away
//! secret fails every exchange, and a guesser fails from elsewhere, while a
//! nightly batch of thousands of exchanges from its usual network meets a few
//! transient failures (a handful within a quarter of an hour, a fraction of a
//! percent of its exchanges). A client seen on more than `max_networks` networks
//! has no baseline worth the name and is not judged on networks.

use std::collections::VecDeque;

use serde::{Deserialize, Serialize};

use super::{network_of, prune, secs, Idle, Keyed, Severity, Shared, Subject};
use crate::logs::LogEvent;

pub const KIND: &str = "m2m_anomaly";

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Config {
    /// Successful exchanges before the baseline is set (default 5).
    pub baseline_min_exchanges: u64,
    /// ... over at least this many seconds since the first (default 21600).
    pub baseline_min_span_s: u64,
    /// Networks a baseline holds at most (default 16).
    pub max_networks: usize,
    /// The failure window, in seconds (default 900).
    pub failure_window_s: u64,
    /// Failures within the window that are a burst (default 5).
    pub failure_min: usize,
    /// ... when they are at least this share of the client's exchanges since the
    /// first of them (default 0.5), unless they come from networks outside its baseline.
    pub failure_min_share: f64,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            baseline_min_exchanges: 5,
            baseline_min_span_s: 21_600,
            max_networks: 16,
            failure_window_s: 900,
            failure_min: 5,
            failure_min_share: 0.5,
        }
    }
}

/// Successes are counted per minute over the failure window.
const BUCKET_MS: i64 = 60_000;

#[derive(Debug, Default)]
struct Client {
    networks: Vec<String>,
    /// More networks than a baseline holds: not judged on networks.
    roaming: bool,
    successes: u64,
    first_ms: Option<i64>,
    failures: VecDeque<(i64, bool)>,
    /// (minute, successful exchanges in it) over the failure window, oldest first.
    recent_successes: VecDeque<(i64, u32)>,
    alerted: bool,
    last_ms: i64,
}

impl Idle for Client {
    fn last_ms(&self) -> i64 {
        self.last_ms
    }
}

#[derive(Debug)]
pub struct Detector {
    config: Config,
    clients: Keyed<Client>,
}

impl Detector {
    pub(crate) fn new(config: &Config, max_keys: usize) -> Detector {
        // A client's baseline is its history: kept for as long as a key can be (30 days idle).
        Detector { config: config.clone(), clients: Keyed::new(max_keys, secs(30 * 86_400)) }
    }

    pub(crate) fn observe(&mut self, e: &LogEvent, shared: &mut Shared) {
        let succeeded = match e.event_type.as_str() {
            "seccft" => true,
            "feccft" => false,
            _ => return,
        };
        let Some(client_id) = e.client_id.as_deref() else { return };
        let now = e.date_ms;
        let c = &self.config;
        let max_entries = shared.max_entries;
        let Some(client) = self.clients.entry(client_id, now, &mut shared.overflow, Client::default) else { return };
        client.last_ms = client.last_ms.max(now);
        let network = e.ip.as_deref().and_then(network_of);
        let learning = client.successes < c.baseline_min_exchanges
            || client.first_ms.map_or(true, |first| now.saturating_sub(first) < secs(c.baseline_min_span_s));
        let known = network.as_ref().map_or(true, |n| client.networks.contains(n));
        let new_network = !learning && !client.roaming && !known;
        let subject = Subject { kind: "client", value: client_id.to_string() };
        let window = secs(c.failure_window_s);
        if succeeded {
            client.successes = client.successes.saturating_add(1);
            client.first_ms.get_or_insert(now);
            let minute = now - now.rem_euclid(BUCKET_MS);
            match client.recent_successes.back_mut() {
                Some((m, n)) if *m >= minute => *n = n.saturating_add(1),
                _ => client.recent_successes.push_back((minute, 1)),
            }
            let buckets = usize::try_from(window / BUCKET_MS).unwrap_or(usize::MAX).saturating_add(2);
            prune(&mut client.recent_successes, now.saturating_sub(window).saturating_sub(BUCKET_MS), buckets);
            if new_network {
                if let Some(alert) = shared.alerts.raise(KIND, subject.clone(), Severity::High, now) {
                    alert.event(now).org(e.organization_id.as_deref()).reason("new_network");
                }
                client.alerted = true;
            }
            if let Some(net) = network {
                if !known {
                    if client.networks.len() < c.max_networks.max(1) {
                        client.networks.push(net);
                    } else {
                        client.roaming = true;
                    }
                }
            }
            return;
        }
        client.failures.push_back((now, new_network));
        prune(&mut client.failures, now.saturating_sub(window), max_entries);
        let failures = client.failures.len();
        let from_new = client.failures.iter().filter(|(_, n)| *n).count();
        // Successes since the window's first failure (from its minute): a secret rotated
        // away mid-batch fails every exchange from then on, whatever succeeded before.
        let from = client.failures.front().map_or(now, |(t, _)| *t);
        let successes: u64 =
            client.recent_successes.iter().filter(|(m, _)| *m + BUCKET_MS > from && *m <= now).map(|(_, n)| u64::from(*n)).sum();
        let share = failures as f64 / (failures as f64 + successes as f64);
        let min = c.failure_min.max(1);
        let burst = failures >= min && (share >= c.failure_min_share || from_new >= min);
        // A live analyzer forgot the client's idle alert: the client starts over.
        if client.alerted && shared.alerts.forgotten(KIND, &subject) {
            client.alerted = false;
        }
        if client.alerted {
            if let Some(alert) = shared.alerts.get(KIND, &subject) {
                alert.event(now).org(e.organization_id.as_deref());
                if new_network {
                    alert.reason("new_network");
                }
                if burst {
                    alert.reason("failure_burst");
                }
            }
            return;
        }
        if !burst {
            return;
        }
        let first = client.failures.front().map_or(now, |(t, _)| *t);
        client.alerted = true;
        let Some(alert) = shared.alerts.raise(KIND, subject, Severity::Medium, first) else { return };
        for (t, _) in &client.failures {
            alert.event(*t);
        }
        alert.org(e.organization_id.as_deref()).reason("failure_burst");
        if client.failures.iter().any(|(_, n)| *n) {
            alert.reason("new_network");
        }
        client.failures.clear();
    }
}

#[cfg(test)]
mod tests {
    use super::super::testing::*;
    use super::*;

    fn exchange(n: usize, t: &str, ip: &str, at_s: i64) -> LogEvent {
        let mut e = ev(&format!("m{n}"), t, at_s);
        e.client_id = Some("m2m_etl".into());
        e.ip = Some(ip.into());
        e.organization_id = Some("org_g".into());
        e
    }

    /// A nightly batch: 200 exchanges in ten minutes each night for three nights, two failing.
    fn nights() -> Vec<LogEvent> {
        let mut out = Vec::new();
        for night in 0..3 {
            for i in 0..200 {
                let t = if i % 100 == 7 { "feccft" } else { "seccft" };
                out.push(exchange(night * 1000 + i, t, "192.0.2.12", night as i64 * 86_400 + i as i64 * 3));
            }
        }
        out
    }

    #[test]
    fn a_nightly_batch_from_its_usual_network_does_not_alert() {
        assert!(analyze(&nights()).alerts.is_empty());
    }

    #[test]
    fn a_success_from_a_new_network_after_the_baseline_is_high() {
        let mut events = nights();
        events.push(exchange(9001, "seccft", "2001:db8:85a3::1", 3 * 86_400));
        let out = analyze(&events);
        assert_eq!(kinds(&out), vec![(KIND, "m2m_etl".to_string())]);
        assert_eq!((out.alerts[0].severity, out.alerts[0].events), (Severity::High, 1));
        assert_eq!(codes(&out.alerts[0]), ["new_network"]);
        assert_eq!(out.alerts[0].subject.kind, "client");
    }

    #[test]
    fn a_new_network_during_learning_is_learned() {
        let events = vec![exchange(1, "seccft", "192.0.2.12", 0), exchange(2, "seccft", "198.51.100.3", 60)];
        assert!(analyze(&events).alerts.is_empty());
    }

    #[test]
    fn a_failure_burst_alerts_and_says_where_from() {
        let mut events = nights();
        events.extend((0..10).map(|i| exchange(9000 + i, "feccft", "2001:db8:85a3::8a2e:370:7334", 4 * 86_400 + i as i64 * 60)));
        let out = analyze(&events);
        assert_eq!(out.alerts.len(), 1);
        let alert = &out.alerts[0];
        assert_eq!((alert.severity, alert.events), (Severity::Medium, 10));
        assert_eq!(codes(alert), ["failure_burst", "new_network"]);
        // Four failures in the window are not a burst.
        let mut events = nights();
        events.extend((0..4).map(|i| exchange(9000 + i, "feccft", "192.0.2.12", 4 * 86_400 + i as i64 * 60)));
        assert!(analyze(&events).alerts.is_empty());
    }

    #[test]
    fn a_batch_s_transient_failures_are_no_burst_but_a_rotated_secret_s_are() {
        // 2,000 exchanges in ten minutes, seven of them failing (0.35%).
        let batch =
            |failing: &dyn Fn(usize) -> bool| -> Vec<LogEvent> {
                let mut out = nights();
                out.extend((0..2000).map(|i| {
                    exchange(10_000 + i, if failing(i) { "feccft" } else { "seccft" }, "192.0.2.12", 3 * 86_400 + i as i64 * 3 / 10)
                }));
                out
            };
        assert!(analyze(&batch(&|i| i % 290 == 11)).alerts.is_empty());
        // The secret rotated away mid-batch: every exchange fails from then on.
        let out = analyze(&batch(&|i| i >= 1500));
        assert_eq!(codes(&out.alerts[0]), ["failure_burst"]);
        assert_eq!(out.alerts[0].events, 500);
    }
}
