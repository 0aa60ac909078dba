//! Whether an address or an account is listed: the feed's entries indexed once
//! at load, so that a decision's lookups cost a few hash probes, not a walk
//! through 10,000 ranges.
//!
//! Networks are grouped by family and prefix length: an address is truncated to
//! each length the feed uses (at most 33 for IPv4, 129 for IPv6, in practice a
//! handful) and looked up exactly. Entries for the same range or account are
//! merged (kinds joined, the highest severity, the latest `until`); when ranges
//! overlap, the most severe entry still in force is the answer.

use std::collections::HashMap;
use std::net::IpAddr;

use ipnet::IpNet;

use super::payload::{AccountEntry, NetworkEntry, Severity};
use crate::risk::network::parse_cidr;

/// What the feed says about one network or account.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Listing {
    /// The detectors' codes (`credential_stuffing`...), sorted, once each.
    pub kinds: Vec<String>,
    pub severity: Severity,
    /// Until when the entry holds, in seconds since the epoch.
    pub until_s: i64,
}

impl Listing {
    fn merge(&mut self, other: Listing) {
        for kind in other.kinds {
            if !self.kinds.contains(&kind) {
                self.kinds.push(kind);
            }
        }
        self.kinds.sort_unstable();
        self.severity = self.severity.max(other.severity);
        self.until_s = self.until_s.max(other.until_s);
    }

    fn in_force(&self, now_s: i64) -> bool {
        now_s < self.until_s
    }
}

fn listing(kinds: &[String], severity: Severity, until: &str) -> Listing {
    let mut kinds = kinds.to_vec();
    kinds.sort_unstable();
    kinds.dedup();
    Listing { kinds, severity, until_s: crate::clock::parse_rfc3339(until).unwrap_or(i64::MIN) }
}

/// Ranges by (is IPv6, prefix length), longest prefixes first.
#[derive(Debug, Default)]
pub struct Networks {
    groups: Vec<((bool, u8), HashMap<IpNet, Listing>)>,
}

impl Networks {
    /// Entries already checked by `Payload::check`; one that does not parse is skipped.
    pub fn index(entries: &[NetworkEntry]) -> Networks {
        let mut by_len: HashMap<(bool, u8), HashMap<IpNet, Listing>> = HashMap::new();
        for e in entries {
            let Some(net) = parse_cidr(&e.cidr).map(|n| n.trunc()) else { continue };
            let group = by_len.entry((matches!(net, IpNet::V6(_)), net.prefix_len())).or_default();
            let new = listing(&e.kinds, e.severity, &e.until);
            match group.get_mut(&net) {
                Some(held) => held.merge(new),
                None => {
                    group.insert(net, new);
                }
            }
        }
        let mut groups: Vec<_> = by_len.into_iter().collect();
        groups.sort_by_key(|g| std::cmp::Reverse(g.0));
        Networks { groups }
    }

    /// The most severe entry in force that covers `ip` (the most specific among equals).
    pub fn find(&self, ip: IpAddr, now_s: i64) -> Option<&Listing> {
        // An IPv4 address written as IPv6 (`::ffff:203.0.113.7`) is the IPv4 one.
        let ip = match ip {
            IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(ip, IpAddr::V4),
            v4 => v4,
        };
        let mut best: Option<&Listing> = None;
        for ((v6, len), group) in &self.groups {
            if *v6 != ip.is_ipv6() {
                continue;
            }
            let Some(net) = IpNet::new(ip, *len).ok().map(|n| n.trunc()) else { continue };
            if let Some(hit) = group.get(&net).filter(|l| l.in_force(now_s)) {
                if best.map_or(true, |b| hit.severity > b.severity) {
                    best = Some(hit);
                }
            }
        }
        best
    }

    pub fn len(&self) -> usize {
        self.groups.iter().map(|(_, g)| g.len()).sum()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// Accounts by pseudonym.
#[derive(Debug, Default)]
pub struct Accounts {
    by_user: HashMap<String, Listing>,
}

impl Accounts {
    pub fn index(entries: &[AccountEntry]) -> Accounts {
        let mut by_user: HashMap<String, Listing> = HashMap::with_capacity(entries.len());
        for e in entries {
            let new = listing(&e.kinds, e.severity, &e.until);
            match by_user.get_mut(&e.user) {
                Some(held) => held.merge(new),
                None => {
                    by_user.insert(e.user.clone(), new);
                }
            }
        }
        Accounts { by_user }
    }

    pub fn find(&self, pseudonym: &str, now_s: i64) -> Option<&Listing> {
        self.by_user.get(pseudonym).filter(|l| l.in_force(now_s))
    }

    pub fn len(&self) -> usize {
        self.by_user.len()
    }

    pub fn is_empty(&self) -> bool {
        self.by_user.is_empty()
    }
}
