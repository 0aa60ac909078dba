//! What a decision takes from the threat feed: whether it may use it at all
//! (the policy's `threat_feed.enabled`, the feed's expiry and tenant, whether
//! the host could get it), what the feed lists for the decision's address and
//! account, and the signals that become of it, weighed and floored by the
//! policy. A feed that is off, missing or unusable adds nothing; when the host
//! tried and failed, or holds a feed that may not be used, a warning says why,
//! and its code reaches the audit record.

use std::net::IpAddr;

use serde::Deserialize;

use super::{now_s, Feed, Listing};
use crate::answer::Issue;
use crate::policy::ThreatFeed as ThreatPolicy;
use crate::signals::{self, Signal};

/// What a decision asks the feed.
#[derive(Debug, Clone, Copy, Default)]
pub struct Query<'q> {
    pub tenant: Option<&'q str>,
    /// None for an address on the tenant's trusted networks (`networks.allow`):
    /// the tenant's word on its own networks stands over the feed's.
    pub ip: Option<IpAddr>,
    pub user_id: Option<&'q str>,
    pub now_ms: Option<f64>,
}

/// What the feed says about one decision's address and account.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Sightings<'a> {
    pub network: Option<&'a Listing>,
    pub account: Option<&'a Listing>,
}

/// What the host says of the feed in a decision's context (`threat_feed`):
/// the code of why it has none, or holds only an older one (a fetch or a
/// verification failed). Never a reason to fail the decision.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(default)]
pub struct HostNote {
    pub error: Option<String>,
}

/// Warning codes of a feed the host could not get: those of
/// [`super::FeedError`] and the host's own (fetching, a feed older than the one
/// held). Any other code the host sends is `threat_feed_unavailable`.
pub const HOST_CODES: &[&str] = &[
    "threat_feed_unreachable",
    "threat_feed_url_insecure",
    "threat_feed_timeout",
    "threat_feed_http_error",
    "threat_feed_rollback",
    "threat_feed_oversized",
    "threat_feed_malformed",
    "threat_feed_format",
    "threat_feed_version",
    "threat_feed_too_many_entries",
    "threat_feed_key_invalid",
    "threat_feed_signature",
    "threat_feed_expired",
    "threat_feed_not_yet_valid",
    "threat_feed_tenant_mismatch",
];

fn host_code(code: &str) -> &'static str {
    HOST_CODES.iter().copied().find(|c| *c == code).unwrap_or("threat_feed_unavailable")
}

/// What the feed lists for `q`: nothing, with a warning, when the host could not get it (`note`) or it
/// may not be used (expired, another tenant's). A host that holds an older
/// feed while a refresh failed passes both: the feed is used, the failure warned.
pub fn consult<'a>(feed: Option<&'a Feed>, note: Option<&HostNote>, q: &Query<'_>, warnings: &mut Vec<Issue>) -> Sightings<'a> {
    let mut seen = Sightings::default();
    if let Some(code) = note.and_then(|n| n.error.as_deref()) {
        warnings.push(Issue::new(
            host_code(code),
            Some("threat_feed.error".into()),
            "the threat feed could not be fetched or verified: decided without a fresh one",
        ));
    }
    let (Some(feed), Some(now_s)) = (feed, q.now_ms.map(now_s)) else { return seen };
    if let Err(err) = feed.check(q.tenant, now_s) {
        warnings.push(Issue::new(err.code(), Some("threat_feed".into()), format!("{}: decided without it", err.message())));
        return seen;
    }
    seen.network = q.ip.and_then(|ip| feed.network_under_attack(ip, now_s));
    seen.account = q.user_id.and_then(|id| feed.account_of_user(id, now_s));
    seen
}

/// The signals of what was seen, with the policy's weights and floors.
pub fn signals(policy: &ThreatPolicy, seen: &Sightings<'_>) -> Vec<Signal> {
    let mut out = Vec::new();
    if seen.network.is_some() {
        out.push(Signal {
            weight: policy.weights.network_under_attack,
            floor: policy.floors.network_under_attack.floor(),
            ..signals::NETWORK_UNDER_ATTACK
        });
    }
    if seen.account.is_some() {
        out.push(Signal {
            weight: policy.weights.account_under_attack,
            floor: policy.floors.account_under_attack.floor(),
            ..signals::ACCOUNT_UNDER_ATTACK
        });
    }
    out
}

/// [`consult`], then [`signals`]: the evidence a decision adds from the feed;
/// none, and no warning, when the policy switched the feed off.
pub fn evidence(
    policy: &ThreatPolicy,
    feed: Option<&Feed>,
    note: Option<&HostNote>,
    q: &Query<'_>,
    warnings: &mut Vec<Issue>,
) -> Vec<Signal> {
    if !policy.enabled {
        return Vec::new();
    }
    signals(policy, &consult(feed, note, q, warnings))
}

impl crate::Engine {
    /// The evidence a decision on this engine's policy adds from the feed; an address
    /// on the tenant's trusted networks is not looked up.
    pub(crate) fn threat_evidence(
        &self,
        feed: Option<&Feed>,
        note: Option<&HostNote>,
        q: Query<'_>,
        warnings: &mut Vec<Issue>,
    ) -> Vec<Signal> {
        let ip = q.ip.filter(|ip| !crate::risk::network::contains(&self.allow_networks, *ip));
        evidence(&self.policy.threat_feed, feed, note, &Query { ip, ..q }, warnings)
    }
}
