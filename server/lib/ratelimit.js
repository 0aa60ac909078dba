'use strict';
// A token bucket per source address: a misbehaving or hostile sender is slowed down
// (429 with Retry-After) before it costs the database anything. Auth0's log stream
// sends from a few addresses and retries a 429, so a generous default does not drop logs.

/**
 * @param {{ perSecond?: number, burst?: number, maxSources?: number, nowMs?: () => number }} [options]
 */
function createRateLimit({ perSecond = 50, burst = 200, maxSources = 10_000, nowMs = Date.now } = {}) {
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

module.exports = { createRateLimit };
