//! The threat feed's payload: its format, one place for both sides (the control
//! plane writes it with [`super::build`], the Actions read it with
//! [`super::Feed::verify`]), and its bounds.
//!
//! ```json
//! {"version":1,"tenant":"acme-prod","issued_at":"2026-11-03T02:00:00.000Z","expires_at":"2026-11-03T03:00:00.000Z",
//!  "networks":[{"cidr":"203.0.113.0/24","kinds":["credential_stuffing"],"severity":"high","until":"2026-11-03T03:00:00.000Z"}],
//!  "accounts":[{"user":"u_0123456789abcdef01234567","kinds":["mfa_fatigue"],"severity":"medium","until":"2026-11-03T03:00:00.000Z"}]}
//! ```
//!
//! Strict, as every format we own: an unknown field, a value of the wrong
//! kind or out of its bounds is an error naming its path. The bounds keep one
//! feed's cost in an Action instance small and known whatever the control
//! plane (or whoever holds its key) sends.

use serde::{Deserialize, Serialize};

use super::FeedError;
use crate::clock;

pub const PAYLOAD_VERSION: u32 = 1;
/// The most network entries a feed holds.
pub const MAX_NETWORKS: usize = 10_000;
/// The most account entries a feed holds.
pub const MAX_ACCOUNTS: usize = 10_000;
/// The largest payload, in bytes of its JSON text.
pub const MAX_PAYLOAD_BYTES: usize = 1024 * 1024;
/// Kinds of one entry (the detectors are six; room for more).
pub const MAX_KINDS: usize = 8;
const MAX_KIND_CHARS: usize = 64;
const MAX_TENANT_CHARS: usize = 256;

/// How urgent an entry is, as the alerts it came from said.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Low,
    Medium,
    High,
}

impl Severity {
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Low => "low",
            Severity::Medium => "medium",
            Severity::High => "high",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Payload {
    pub version: u32,
    /// The Auth0 tenant the feed is for, whose id keys the accounts' pseudonyms;
    /// `null`: any tenant (and pseudonyms keyed by no tenant).
    pub tenant: Option<String>,
    pub issued_at: String,
    pub expires_at: String,
    pub networks: Vec<NetworkEntry>,
    pub accounts: Vec<AccountEntry>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NetworkEntry {
    /// A CIDR range, or an address as `/32` or `/128`.
    pub cidr: String,
    pub kinds: Vec<String>,
    pub severity: Severity,
    pub until: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AccountEntry {
    /// `audit::pseudonymize_user(tenant, user_id)`: `u_` and 24 hex digits.
    pub user: String,
    pub kinds: Vec<String>,
    pub severity: Severity,
    pub until: String,
}

/// A payload's times, read once it is known valid.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Validity {
    pub issued_at_s: i64,
    pub expires_at_s: i64,
}

impl Payload {
    /// Reads payload text: size first (before any parsing), then the format,
    /// then the bounds and every value.
    pub fn parse(text: &str) -> Result<(Payload, Validity), FeedError> {
        if text.len() > MAX_PAYLOAD_BYTES {
            return Err(FeedError::Oversized { what: "payload", limit: MAX_PAYLOAD_BYTES });
        }
        let payload: Payload = parse_strict(text)?;
        let validity = payload.check()?;
        Ok((payload, validity))
    }

    /// Every bound and value of a parsed payload; its times.
    pub fn check(&self) -> Result<Validity, FeedError> {
        if self.version != PAYLOAD_VERSION {
            return Err(FeedError::Version(self.version));
        }
        if self.tenant.as_ref().is_some_and(|t| t.is_empty() || t.chars().count() > MAX_TENANT_CHARS) {
            return Err(malformed("tenant", "a tenant id is 1 to 256 characters, or null"));
        }
        let issued_at_s = time_at("issued_at", &self.issued_at)?;
        let expires_at_s = time_at("expires_at", &self.expires_at)?;
        if expires_at_s <= issued_at_s {
            return Err(malformed("expires_at", "the feed must expire after it was issued"));
        }
        if self.networks.len() > MAX_NETWORKS {
            return Err(FeedError::TooManyEntries { what: "networks", limit: MAX_NETWORKS });
        }
        if self.accounts.len() > MAX_ACCOUNTS {
            return Err(FeedError::TooManyEntries { what: "accounts", limit: MAX_ACCOUNTS });
        }
        for (i, n) in self.networks.iter().enumerate() {
            if crate::risk::network::parse_cidr(&n.cidr).is_none() {
                return Err(malformed(&format!("networks[{i}].cidr"), "not an IP address or CIDR range"));
            }
            check_kinds(&format!("networks[{i}].kinds"), &n.kinds)?;
            time_at(&format!("networks[{i}].until"), &n.until)?;
        }
        for (i, a) in self.accounts.iter().enumerate() {
            if !is_pseudonym(&a.user) {
                return Err(malformed(&format!("accounts[{i}].user"), "not a user pseudonym (`u_` and 24 hex digits)"));
            }
            check_kinds(&format!("accounts[{i}].kinds"), &a.kinds)?;
            time_at(&format!("accounts[{i}].until"), &a.until)?;
        }
        Ok(Validity { issued_at_s, expires_at_s })
    }
}

/// JSON into `T`, an error naming the path (the feed's own codes, not the
/// context's).
pub(crate) fn parse_strict<'a, T: Deserialize<'a>>(text: &'a str) -> Result<T, FeedError> {
    crate::answer::parse_json(text, "threat_feed_malformed")
        .map_err(|issue| FeedError::Malformed { path: issue.path, message: issue.message })
}

pub(crate) fn malformed(path: &str, message: &str) -> FeedError {
    FeedError::Malformed { path: Some(path.to_string()), message: format!("`{path}`: {message}") }
}

/// Seconds since the epoch of an RFC 3339 time, or an error naming `path`.
pub(crate) fn time_at(path: &str, text: &str) -> Result<i64, FeedError> {
    clock::parse_rfc3339(text).ok_or_else(|| malformed(path, "not an RFC 3339 time"))
}

/// A kind is a detector's code: 1 to 64 of `a-z`, `0-9`, `_`; 1 to 8 of them.
fn check_kinds(path: &str, kinds: &[String]) -> Result<(), FeedError> {
    if kinds.is_empty() || kinds.len() > MAX_KINDS {
        return Err(malformed(path, "an entry has 1 to 8 kinds"));
    }
    for kind in kinds {
        if !is_code(kind) {
            return Err(malformed(path, "a kind is 1 to 64 of `a-z`, `0-9` and `_`"));
        }
    }
    Ok(())
}

pub(crate) fn is_code(s: &str) -> bool {
    !s.is_empty() && s.len() <= MAX_KIND_CHARS && s.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
}

/// What `audit::pseudonymize_user` writes: `u_` and 24 lowercase hex digits.
pub(crate) fn is_pseudonym(s: &str) -> bool {
    s.len() == 26 && s.strip_prefix("u_").is_some_and(|h| h.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b)))
}
