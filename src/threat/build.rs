//! Which alerts become feed entries, and how (the control plane calls this
//! with the alerts it holds, then signs the payload text it gets):
//!
//! | alert | subject | entry |
//! | --- | --- | --- |
//! | `credential_stuffing` | `ip`, `network` | the network |
//! | `credential_stuffing` | its `targets` (user ids) | each account |
//! | `signup_wave` | `ip`, `network` | the network (a `domain` wave is not a network) |
//! | `mfa_fatigue`, `breached_password` | `user` | the account |
//!
//! Other kinds (`impossible_travel`, `m2m_anomaly`) say nothing a login from
//! elsewhere should be held to. Accounts are pseudonymized here, with
//! `audit::pseudonymize_user` under the feed's tenant, so no user id leaves the
//! control plane. An entry holds until the alert's `until`, or the feed's
//! expiry, whichever is first. Entries for the same network or account are
//! merged. When they do not fit the feed's bounds, the most severe and longest
//! lasting are kept, half the size for each list (the rest to the other), and
//! a warning says how many were left out.

use std::collections::BTreeMap;

use serde::Deserialize;

use super::payload::{is_code, malformed, parse_strict, time_at};
use super::payload::{AccountEntry, NetworkEntry, Payload, Severity, MAX_ACCOUNTS, MAX_NETWORKS, MAX_PAYLOAD_BYTES, PAYLOAD_VERSION};
use super::FeedError;
use crate::answer::Issue;
use crate::{audit, clock};

/// Alerts one build reads.
pub const MAX_ALERTS: usize = 100_000;
/// Targets of one alert read (the detectors list at most 1,000).
pub const MAX_TARGETS: usize = 1_000;
/// A feed lives at least a minute and at most a week.
pub const TTL_SECONDS: std::ops::RangeInclusive<u64> = 60..=7 * 86_400;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Input {
    tenant: Option<String>,
    issued_at: String,
    ttl_seconds: u64,
    alerts: Vec<AlertIn>,
}

/// An alert in the `logs analyze` contract's shape; its other fields are not read.
#[derive(Debug, Deserialize)]
struct AlertIn {
    kind: String,
    severity: Severity,
    subject: SubjectIn,
    #[serde(default)]
    targets: Vec<String>,
    #[serde(default)]
    until: Option<String>,
}

#[derive(Debug, Deserialize)]
struct SubjectIn {
    #[serde(rename = "type")]
    kind: String,
    value: String,
}

/// A built payload: its JSON text (what the server signs), what it holds, and
/// what was left out.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Built {
    pub payload: String,
    pub networks: usize,
    pub accounts: usize,
    pub expires_at: String,
}

/// Merged entries by key: kinds, severity, until (seconds).
type Merged = BTreeMap<String, (Vec<String>, Severity, i64)>;

pub fn build_json(input: &str) -> Result<(Built, Vec<Issue>), FeedError> {
    let input: Input = parse_strict(input)?;
    if input.tenant.as_ref().is_some_and(|t| t.is_empty() || t.chars().count() > 256) {
        return Err(malformed("tenant", "a tenant id is 1 to 256 characters, or null"));
    }
    if !TTL_SECONDS.contains(&input.ttl_seconds) {
        return Err(malformed("ttl_seconds", "must be between 60 and 604800 (a week)"));
    }
    if input.alerts.len() > MAX_ALERTS {
        return Err(FeedError::TooManyEntries { what: "alerts", limit: MAX_ALERTS });
    }
    let issued_s = time_at("issued_at", &input.issued_at)?;
    let ttl = i64::try_from(input.ttl_seconds).unwrap_or(i64::MAX);
    let expires_s = issued_s.saturating_add(ttl);
    let stamp = |s: i64| clock::rfc3339_of_ms(s as f64 * 1000.0);
    let (Some(issued_at), Some(expires_at)) = (stamp(issued_s), stamp(expires_s)) else {
        return Err(malformed("issued_at", "outside the years 0 to 9999"));
    };

    let mut warnings = Vec::new();
    let (mut networks, mut accounts) = (Merged::new(), Merged::new());
    for (i, alert) in input.alerts.iter().enumerate() {
        if !is_code(&alert.kind) {
            warnings.push(skipped(i, "kind", "not a detector's code"));
            continue;
        }
        let until = match alert.until.as_deref().map(clock::parse_rfc3339) {
            None => expires_s,
            Some(Some(s)) => s.min(expires_s),
            Some(None) => {
                warnings.push(skipped(i, "until", "not an RFC 3339 time"));
                continue;
            }
        };
        if until <= issued_s {
            continue; // over already
        }
        let entry = (alert.kind.clone(), alert.severity, until);
        let network_kind = matches!(alert.kind.as_str(), "credential_stuffing" | "signup_wave");
        let subject = alert.subject.kind.as_str();
        if network_kind && (subject == "ip" || subject == "network") {
            match crate::risk::network::parse_cidr(&alert.subject.value) {
                Some(net) => merge(&mut networks, net.trunc().to_string(), &entry),
                None => warnings.push(skipped(i, "subject.value", "not an IP address or CIDR range")),
            }
        }
        let account_kind = matches!(alert.kind.as_str(), "mfa_fatigue" | "breached_password");
        if account_kind && subject == "user" && !alert.subject.value.is_empty() {
            merge(&mut accounts, audit::pseudonymize_user(input.tenant.as_deref(), &alert.subject.value), &entry);
        }
        if alert.kind == "credential_stuffing" {
            if alert.targets.len() > MAX_TARGETS {
                warnings.push(skipped(i, "targets", "more than 1000 targets: the first 1000 are listed"));
            }
            for user in alert.targets.iter().take(MAX_TARGETS).filter(|u| !u.is_empty()) {
                merge(&mut accounts, audit::pseudonymize_user(input.tenant.as_deref(), user), &entry);
            }
        }
    }

    let stamp_until = |s: i64| stamp(s).unwrap_or_else(|| expires_at.clone());
    let networks: Vec<NetworkEntry> = networks
        .into_iter()
        .map(|(cidr, (kinds, severity, until))| NetworkEntry { cidr, kinds, severity, until: stamp_until(until) })
        .collect();
    let accounts: Vec<AccountEntry> = accounts
        .into_iter()
        .map(|(user, (kinds, severity, until))| AccountEntry { user, kinds, severity, until: stamp_until(until) })
        .collect();
    let (networks, accounts, left_out) = fit(networks, accounts);
    if left_out > 0 {
        warnings.push(Issue::new(
            "feed_truncated",
            None,
            format!("{left_out} entries did not fit the feed's bounds (10,000 of each kind, 1 MiB): the least severe and shortest were left out"),
        ));
    }
    let payload = Payload { version: PAYLOAD_VERSION, tenant: input.tenant, issued_at, expires_at: expires_at.clone(), networks, accounts };
    let text = serde_json::to_string(&payload).map_err(|e| FeedError::Malformed { path: None, message: e.to_string() })?;
    Ok((Built { payload: text, networks: payload.networks.len(), accounts: payload.accounts.len(), expires_at }, warnings))
}

fn skipped(i: usize, field: &str, why: &str) -> Issue {
    let path = format!("alerts[{i}].{field}");
    Issue::new("alert_skipped", Some(path.clone()), format!("`{path}`: {why}; the alert is not in the feed"))
}

fn merge(into: &mut Merged, key: String, (kind, severity, until): &(String, Severity, i64)) {
    let held = into.entry(key).or_insert_with(|| (Vec::new(), *severity, *until));
    if !held.0.contains(kind) && held.0.len() < super::payload::MAX_KINDS {
        held.0.push(kind.clone());
        held.0.sort_unstable();
    }
    held.1 = held.1.max(*severity);
    held.2 = held.2.max(*until);
}

/// The entries that fit: at most 10,000 of each, and a payload within 1 MiB
/// (half for each list, and what the other does not use), the most severe and
/// longest lasting first; then in key order. Returns how many were left out.
fn fit(networks: Vec<NetworkEntry>, accounts: Vec<AccountEntry>) -> (Vec<NetworkEntry>, Vec<AccountEntry>, usize) {
    // Version, tenant and times take under 512 bytes.
    let half = (MAX_PAYLOAD_BYTES - 512) / 2;
    let (mut networks, n_cut) = rank(networks, |e| (e.severity, e.until.clone()), MAX_NETWORKS);
    let (mut accounts, a_cut) = rank(accounts, |e| (e.severity, e.until.clone()), MAX_ACCOUNTS);
    let n_sizes: Vec<usize> = networks.iter().map(json_len).collect();
    let a_sizes: Vec<usize> = accounts.iter().map(json_len).collect();
    let (n_need, a_need) = (n_sizes.iter().sum::<usize>(), a_sizes.iter().sum::<usize>());
    let n_keep = prefix_within(&n_sizes, half + half.saturating_sub(a_need));
    let a_keep = prefix_within(&a_sizes, half + half.saturating_sub(n_need));
    let left_out = n_cut + a_cut + (networks.len() - n_keep) + (accounts.len() - a_keep);
    networks.truncate(n_keep);
    networks.sort_by(|a, b| a.cidr.cmp(&b.cidr));
    accounts.truncate(a_keep);
    accounts.sort_by(|a, b| a.user.cmp(&b.user));
    (networks, accounts, left_out)
}

/// The entries most severe and longest lasting first, at most `max`; and how many were cut.
fn rank<T, K: Ord>(mut list: Vec<T>, key: impl Fn(&T) -> K, max: usize) -> (Vec<T>, usize) {
    // Stable: equal entries stay in key order.
    list.sort_by_key(|e| std::cmp::Reverse(key(e)));
    let cut = list.len().saturating_sub(max);
    list.truncate(max);
    (list, cut)
}

/// An entry's bytes in the payload, its comma included.
fn json_len<T: serde::Serialize>(entry: &T) -> usize {
    serde_json::to_string(entry).map_or(MAX_PAYLOAD_BYTES, |s| s.len() + 1)
}

/// How many of the first entries fit within `budget` bytes.
fn prefix_within(sizes: &[usize], budget: usize) -> usize {
    let mut used = 0usize;
    sizes
        .iter()
        .take_while(|size| {
            used = used.saturating_add(**size);
            used <= budget
        })
        .count()
}
