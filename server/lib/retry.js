'use strict';
// Management API requests retried as Auth0 asks: a 429 waits until its
// x-ratelimit-reset (then Retry-After, else a growing backoff), several times while the
// limit keeps answering; a 5xx or a request that got no answer is retried a few times
// with a growing backoff; then, or on another 4xx, it throws. Retries are ours, not the
// SDK's (every client is made with maxRetries 0): the SDK would sleep on its own timers,
// twice at most, for 5xx and 429 alike. `sleep` is injected so that tests do not wait.
// Used by `logs pull` and the governance jobs.

/** 429s in a row before giving up: the limit resets every few seconds, so this is minutes. */
const MAX_RATE_LIMITED = 30;
/** Retries of a 5xx (or a request that got no answer) before failing. */
const MAX_SERVER_RETRIES = 4;
const BACKOFF_MS = 1000;
const MAX_WAIT_MS = 60_000;
const defaultSleep = (/** @type {number} */ ms) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * An Error with a `code` (and the HTTP `status` when there was one) for callers to tell apart.
 * @param {string} code
 * @param {string} message
 * @param {{ status?: number, cause?: unknown }} [extra]
 */
function requestError(code, message, { status, cause } = {}) {
  return Object.assign(new Error(message, cause === undefined ? undefined : { cause }), { code, ...(status === undefined ? {} : { status }) });
}

/**
 * One Management API request, retried as Auth0 asks: a 429 waits until its
 * x-ratelimit-reset (several times while the limit keeps answering), a 5xx or no answer
 * is retried a few times with a growing backoff; then, or on another 4xx, it throws
 * (code `rate_limited`, `unavailable` or `refused`, with `status`).
 * @template T
 * @param {() => Promise<T>} request
 * @param {{ what: string, sleep?: (ms: number) => Promise<void>, nowMs?: () => number, maxServerRetries?: number,
 *   onRetry?: (status: number | undefined) => void | Promise<void> }} options
 *   onRetry: awaited before each wait (a long write renews its claim there)
 * @returns {Promise<T>}
 */
async function withRetries(request, { what, sleep = defaultSleep, nowMs = Date.now, maxServerRetries = MAX_SERVER_RETRIES, onRetry = () => {} }) {
  let limited = 0;
  let failed = 0;
  for (;;) {
    try {
      return await request();
    } catch (err) {
      const status = statusOf(err);
      if (status === 429) {
        limited += 1;
        if (limited > MAX_RATE_LIMITED) throw requestError('rate_limited', `${what} was rate limited ${limited} times in a row`, { status, cause: err });
        await onRetry(status);
        await sleep(rateLimitWait(err, limited, nowMs));
        continue;
      }
      if (status === undefined || status >= 500) {
        failed += 1;
        const how = status === undefined ? `got no answer (${/** @type {any} */ (err)?.name || 'error'})` : `answered ${status}`;
        if (failed > maxServerRetries) throw requestError('unavailable', `${what} ${how}, ${failed} times`, { status, cause: err });
        await onRetry(status);
        await sleep(Math.min(BACKOFF_MS * 2 ** (failed - 1), MAX_WAIT_MS));
        continue;
      }
      const why = status === 401 || status === 403 ? " (check the client's Management API scopes: docs/operations.md)" : '';
      throw requestError('refused', `${what} answered ${status}${why}: ${String(/** @type {any} */ (err)?.message ?? '').slice(0, 200)}`, { status, cause: err });
    }
  }
}

/**
 * How long to wait after a 429: until x-ratelimit-reset (epoch seconds), else a backoff.
 * @param {any} err
 * @param {number} attempt
 * @param {() => number} nowMs
 */
function rateLimitWait(err, attempt, nowMs) {
  const headers = err?.rawResponse?.headers;
  const reset = Number(headers?.get?.('x-ratelimit-reset'));
  if (Number.isFinite(reset) && reset > 0) return Math.min(Math.max(reset * 1000 - nowMs(), 0) + 100, MAX_WAIT_MS);
  const retryAfter = Number(headers?.get?.('retry-after'));
  if (Number.isFinite(retryAfter) && retryAfter > 0) return Math.min(retryAfter * 1000, MAX_WAIT_MS);
  return Math.min(BACKOFF_MS * 2 ** (attempt - 1), MAX_WAIT_MS);
}

/** @param {any} err the SDK's error (ManagementError: statusCode), or a network one (none) */
function statusOf(err) {
  const s = err?.statusCode;
  return typeof s === 'number' && s > 0 ? s : undefined;
}

module.exports = { withRetries, rateLimitWait, statusOf, requestError, MAX_RATE_LIMITED, MAX_SERVER_RETRIES };
