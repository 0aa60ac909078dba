'use strict';
// A token bucket per source address: a misbehaving or hostile sender is slowed down
// (429 with Retry-After) before it costs the database anything. Auth0's log stream
// sends from a few addresses and retries a 429, so the default is generous: 500
// requests a second (50,000 logs in batches of 100) from one address, bursts of 1,000;
// ACTIONGUARD_RATE_LIMIT sets the rate (the burst is twice it).

/**
 * @param {{ perSecond?: number, burst?: number, maxSources?: number, nowMs?: () => number }} [options]
 */
function createRateLimit({ perSecond = 500, burst = 2 * perSecond, maxSources = 10_000, nowMs = Date.now } = {}) {
  /** @type {Map<string, { tokens: number, at: number }>} */
  const buckets = new Map();
  return {
    /**
     * @param {string} source
     * @returns {{ ok: true } | { ok: false, retryAfterS: number }}
     */
    take(source) {
      const now = nowMs();
      let b = buckets.get(source);
      if (b) {
        b.tokens = Math.min(burst, b.tokens + ((now - b.at) / 1000) * perSecond);
        b.at = now;
        buckets.delete(source); // re-inserted last: the map stays in least-recently-used order
      } else {
        b = { tokens: burst, at: now };
      }
      buckets.set(source, b);
      for (const oldest of buckets.keys()) {
        if (buckets.size <= maxSources) break;
        buckets.delete(oldest);
      }
      if (b.tokens >= 1) {
        b.tokens -= 1;
        return { ok: true };
      }
      return { ok: false, retryAfterS: Math.max(1, Math.ceil((1 - b.tokens) / perSecond)) };
    },
  };
}

/**
 * The rate from ACTIONGUARD_RATE_LIMIT (requests a second per source), or the default.
 * @param {string | undefined} value
 * @returns {{ perSecond?: number }}
 */
function rateLimitFrom(value) {
  if (value === undefined || value === '') return {};
  const perSecond = Number(value);
  if (!Number.isFinite(perSecond) || perSecond < 1 || perSecond > 1_000_000) {
    throw Object.assign(new Error(`ACTIONGUARD_RATE_LIMIT must be a number of requests a second from 1 to 1000000, not ${JSON.stringify(value)}`), { exit: 2 });
  }
  return { perSecond };
}

module.exports = { createRateLimit, rateLimitFrom };
