//! What the core keeps in Auth0's `api.cache` for its decisions: the keys (named
//! here, handed to the hosts as `cacheKeys`), and the writes a decision asks the
//! host to make. The host reads the values a decision needs into its context and
//! applies [`CacheWrite`]s from the answer, checks that each was stored and
//! reads back, and reports the ones that were not; what is stored, and what a
//! stored value means, is decided here. (`js/orgs.js` keeps one I/O entry there,
//! the de-duplication of approval requests; docs/operations.md lists every key
//! with its size and the worst case.)
//!
//! Auth0 documents the cache as best effort, per trigger, shared by every Action
//! bound to it: at most 20 entries and 8 kB of keys and values in all, keys of
//! at most 64 bytes and values of at most 4 kB, an entry kept at most 24 hours
//! (<https://auth0.com/docs/customize/actions/limitations>, "Cached data"). A
//! write to a full cache is refused (`{type: "error", code}`), not evicting.

use serde::Serialize;

/// Sign-up counters per address, network and domain (`signup::velocity`; at
/// most [`crate::signup::velocity::MAX_STORED_BYTES`], pre-user-registration).
pub const SIGNUP_COUNTERS: &str = "actionguard:signup:v1";
/// The LLM's rate limit and circuit breaker, in one entry: `<minute>:<calls in
/// it>:<failures in a row>:<open until, ms>` (`llm::admit`, `llm::record`;
/// post-login and post-user-registration).
pub const LLM_BUDGET: &str = "actionguard:llm";

/// Every key, by role, for the hosts (`cacheKeys()` in the npm package).
pub const KEYS: &[(&str, &str)] = &[("signup_counters", SIGNUP_COUNTERS), ("llm_budget", LLM_BUDGET)];

/// `api.cache.set(key, value, { ttl: ttl_ms })`; without `ttl_ms`, Auth0's default lifetime.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CacheWrite {
    pub key: &'static str,
    pub value: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ttl_ms: Option<f64>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_fit_auth0s_limit() {
        for (_, key) in KEYS {
            assert!(key.len() <= 64, "{key}");
        }
    }
}
