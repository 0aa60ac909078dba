//! The threat feed: what the control plane learned from the logs (networks
//! and accounts under attack), signed, and read back by the Actions, where
//! post-login and pre-user-registration cite it (`network_under_attack`,
//! `account_under_attack`, weighed and floored by the policy's `threat_feed`).
//!
//! - [`payload`]: the format and its bounds, one place for both sides;
//! - [`build`](build_json): which alerts become entries, accounts pseudonymized;
//! - [`envelope`]: the Ed25519 signature over the payload, and the key;
//! - [`lookup`]: networks (CIDR ranges) and accounts indexed for decisions;
//! - [`evidence`]: what a decision takes from a feed (the two signals, weighed
//!   by the policy), and when it takes nothing (switched off, expired, another
//!   tenant's, not fetched), with a warning code for the audit record.
//!
//! The feed only ever adds evidence. A feed that cannot be had or trusted is
//! decided without (fail open on the feed only): the policy's fail mode is for
//! the core failing, not for a control plane that is down.

pub mod envelope;
pub mod evidence;
pub mod lookup;
pub mod payload;

mod build;

use std::net::IpAddr;

pub use build::{build_json, Built, MAX_ALERTS, TTL_SECONDS};
pub use envelope::FORMAT;
pub use evidence::{HostNote, Query, Sightings};
pub use lookup::Listing;
pub use payload::{Severity, MAX_ACCOUNTS, MAX_NETWORKS, MAX_PAYLOAD_BYTES};

use crate::answer::Issue;

/// Why a feed was not taken. Each has a stable code, which is also the warning
/// a decision made without the feed carries in its audit record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FeedError {
    /// Too large to read (`what`: `envelope` or `payload`), before any parsing.
    Oversized { what: &'static str, limit: usize },
    /// Not JSON, or not the format (`path` names the field).
    Malformed { path: Option<String>, message: String },
    /// The envelope's `format` is not [`FORMAT`].
    Format,
    /// A payload version this core does not read.
    Version(u32),
    /// More entries than the bounds (`what`: `networks`, `accounts`, `alerts`).
    TooManyEntries { what: &'static str, limit: usize },
    /// `THREAT_FEED_PUBLIC_KEY` is not base64 of a 32-byte Ed25519 key.
    Key,
    /// The signature is missing, malformed, or not by the key (a wrong key included).
    Signature,
    /// Past its `expires_at`.
    Expired,
    /// Issued in the future, beyond [`CLOCK_SKEW_S`].
    NotYetValid,
    /// Issued for another tenant.
    TenantMismatch,
}

impl FeedError {
    pub fn code(&self) -> &'static str {
        match self {
            FeedError::Oversized { .. } => "threat_feed_oversized",
            FeedError::Malformed { .. } => "threat_feed_malformed",
            FeedError::Format => "threat_feed_format",
            FeedError::Version(_) => "threat_feed_version",
            FeedError::TooManyEntries { .. } => "threat_feed_too_many_entries",
            FeedError::Key => "threat_feed_key_invalid",
            FeedError::Signature => "threat_feed_signature",
            FeedError::Expired => "threat_feed_expired",
            FeedError::NotYetValid => "threat_feed_not_yet_valid",
            FeedError::TenantMismatch => "threat_feed_tenant_mismatch",
        }
    }

    pub fn message(&self) -> String {
        match self {
            FeedError::Oversized { what, limit } => format!("the threat feed's {what} is larger than {limit} bytes"),
            FeedError::Malformed { message, .. } => format!("the threat feed is malformed: {message}"),
            FeedError::Format => format!("the threat feed's envelope is not `{FORMAT}`"),
            FeedError::Version(v) => format!("the threat feed's payload version `{v}` is not supported (expected `1`)"),
            FeedError::TooManyEntries { what, limit } => format!("the threat feed has more than {limit} {what}"),
            FeedError::Key => "THREAT_FEED_PUBLIC_KEY is not base64 of a 32-byte Ed25519 public key".to_string(),
            FeedError::Signature => "the threat feed's signature does not verify with THREAT_FEED_PUBLIC_KEY".to_string(),
            FeedError::Expired => "the threat feed has expired".to_string(),
            FeedError::NotYetValid => "the threat feed was issued in the future (clocks apart?)".to_string(),
            FeedError::TenantMismatch => "the threat feed was issued for another tenant".to_string(),
        }
    }

    pub fn path(&self) -> Option<String> {
        match self {
            FeedError::Malformed { path, .. } => path.clone(),
            _ => None,
        }
    }

    pub fn to_issue(&self) -> Issue {
        Issue::new(self.code(), self.path(), self.message())
    }
}

impl std::fmt::Display for FeedError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message())
    }
}

/// How far in the future a feed may say it was issued (the control plane's
/// clock and Auth0's differ a little).
pub const CLOCK_SKEW_S: i64 = 300;

/// A verified feed, indexed for decisions. Load once per Action instance.
#[derive(Debug)]
pub struct Feed {
    tenant: Option<String>,
    issued_at_s: i64,
    expires_at_s: i64,
    networks: lookup::Networks,
    accounts: lookup::Accounts,
}

impl Feed {
    /// Verifies an envelope as served (its bytes) with the `THREAT_FEED_PUBLIC_KEY`
    /// secret, at `now_ms` (the Action's clock): size, format, signature, then the
    /// payload's format and bounds, then its times. The tenant is checked by
    /// [`Feed::check`] (each decision knows its own) or [`Feed::verify_for_tenant`].
    pub fn verify(envelope: &[u8], public_key_b64: &str, now_ms: f64) -> Result<Feed, FeedError> {
        let key = envelope::public_key(public_key_b64)?;
        let text = envelope::open(envelope, &key)?;
        let (payload, validity) = payload::Payload::parse(&text)?;
        let feed = Feed {
            tenant: payload.tenant,
            issued_at_s: validity.issued_at_s,
            expires_at_s: validity.expires_at_s,
            networks: lookup::Networks::index(&payload.networks),
            accounts: lookup::Accounts::index(&payload.accounts),
        };
        feed.check_times(now_s(now_ms))?;
        Ok(feed)
    }

    /// [`Feed::verify`], and the feed is for `tenant` (or for any).
    pub fn verify_for_tenant(envelope: &[u8], public_key_b64: &str, now_ms: f64, tenant: Option<&str>) -> Result<Feed, FeedError> {
        let feed = Feed::verify(envelope, public_key_b64, now_ms)?;
        feed.check(tenant, now_s(now_ms))?;
        Ok(feed)
    }

    /// Whether a decision for `tenant` at `now_s` may use this feed: not expired,
    /// not issued in the future, and for this tenant (a feed for any tenant is
    /// `null`'s). A decision without a tenant only takes a feed for any.
    pub fn check(&self, tenant: Option<&str>, now_s: i64) -> Result<(), FeedError> {
        self.check_times(now_s)?;
        match &self.tenant {
            Some(t) if Some(t.as_str()) != tenant => Err(FeedError::TenantMismatch),
            _ => Ok(()),
        }
    }

    fn check_times(&self, now_s: i64) -> Result<(), FeedError> {
        if now_s >= self.expires_at_s {
            return Err(FeedError::Expired);
        }
        if self.issued_at_s > now_s.saturating_add(CLOCK_SKEW_S) {
            return Err(FeedError::NotYetValid);
        }
        Ok(())
    }

    /// The entry in force that lists a network covering `ip`.
    pub fn network_under_attack(&self, ip: IpAddr, now_s: i64) -> Option<&Listing> {
        self.networks.find(ip, now_s)
    }

    /// The entry in force for an account, by its pseudonym
    /// (`audit::pseudonymize_user` under the feed's tenant).
    pub fn account_under_attack(&self, pseudonym: &str, now_s: i64) -> Option<&Listing> {
        self.accounts.find(pseudonym, now_s)
    }

    /// The account entry for a user id, pseudonymized as the feed's builder did.
    pub fn account_of_user(&self, user_id: &str, now_s: i64) -> Option<&Listing> {
        self.account_under_attack(&crate::audit::pseudonymize_user(self.tenant.as_deref(), user_id), now_s)
    }

    pub fn tenant(&self) -> Option<&str> {
        self.tenant.as_deref()
    }

    pub fn issued_at_s(&self) -> i64 {
        self.issued_at_s
    }

    pub fn expires_at_s(&self) -> i64 {
        self.expires_at_s
    }

    pub fn network_count(&self) -> usize {
        self.networks.len()
    }

    pub fn account_count(&self) -> usize {
        self.accounts.len()
    }
}

pub(crate) fn now_s(now_ms: f64) -> i64 {
    if now_ms.is_finite() {
        (now_ms / 1000.0).floor() as i64
    } else {
        i64::MAX
    }
}

#[cfg(test)]
mod tests;
