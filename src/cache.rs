//! What the core keeps in Auth0's `api.cache` for its decisions: the keys (named
//! here, handed to the hosts as `cacheKeys`), and the writes a decision asks the
//! host to make. The host reads the values a decision needs into its context and
//! applies [`CacheWrite`]s from the answer; what is stored, and what a stored
//! value means, is decided here. (`js/orgs.js` keeps its own I/O entries there:
//! the Management API token and the de-duplication of invitations and approval
//! requests; docs/operations.md lists every key.)
//!
//! Auth0 documents the cache as best effort, per trigger, shared by every Action
//! bound to it, with keys of at most 64 bytes and values of at most 4 kB.

use serde::Serialize;

/// Sign-up counters per address, network and domain (`signup::velocity`).
pub const SIGNUP_COUNTERS: &str = "actionguard:signup:v1";
/// The LLM circuit breaker: `<failures in a row>:<open until, ms>` (`llm::admit`, `llm::record`).
pub const LLM_BREAKER: &str = "actionguard:llm:breaker";
/// The LLM rate limit: `<minute>:<calls in it>` (`llm::admit`).
pub const LLM_RATE: &str = "actionguard:llm:rate";

/// Every key, by role, for the hosts (`cacheKeys()` in the npm package).
pub const KEYS: &[(&str, &str)] = &[("signup_counters", SIGNUP_COUNTERS), ("llm_breaker", LLM_BREAKER), ("llm_rate", LLM_RATE)];

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
