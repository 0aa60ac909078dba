'use strict';
// `actionguard logs pull`: the tenant's logs from the Management API (GET /api/v2/logs)
// into the store, by checkpoint, through the official `auth0` SDK. Auth0 keeps logs
// 5-30 days by plan; pulled regularly, this store is where history lives.
//
// Auth0's checkpoint paging (auth0.com/docs/deploy-monitor/logs/retrieve-log-events-using-mgmt-api):
// `from=<log_id>&take=<n ≤ 100>` answers the logs after that log_id in log_id order
// (every other parameter is ignored), a `Link` header's `next` names the next request,
// and an empty array means nothing newer yet. The first request needs a log_id: with no
// checkpoint stored, the oldest log still available is found by search (sort=date:1,
// per_page=1), stored, and paging starts after it.
//
// Each page is committed (ingestBody: one transaction) before the checkpoint moves past
// it, so a pull stopped anywhere (a crash, a 5xx that outlasts the retries) resumes
// from the last committed page; a page read twice stores nothing twice (log_id is the
// store's unique key).
//
// Retries are retry.js's (every request is sent with maxRetries 0): a 429 waits until
// its x-ratelimit-reset, a 5xx or a network failure is retried a few times with a
// growing backoff; a pull that gives up fails with the checkpoint where it was.

const { ingestBody } = require('./ingest.js');
const retry = require('./retry.js');

const DEFAULT_CHECKPOINT = 'auth0-logs';
const MAX_TAKE = 100;
const { MAX_SERVER_RETRIES } = retry;

/**
 * @typedef {{ pages: number, logs: number, stored: number, duplicates: number, rejected: number, retries: number,
 *   checkpoint: string | null, done: boolean }} PullTotals
 *  logs: entries the API returned; done: the last page was empty (caught up), false
 *  when maxPages stopped it first.
 */

/**
 * The SDK's Management API client for pulling logs (client credentials; needs read:logs).
 * @param {{ domain: string, clientId: string, clientSecret: string, fetch?: typeof fetch, timeoutInSeconds?: number }} options
 */
function managementClient({ domain, clientId, clientSecret, fetch, timeoutInSeconds = 30 }) {
  const { ManagementClient } = require('auth0');
  return new ManagementClient({ domain, clientId, clientSecret, maxRetries: 0, timeoutInSeconds, ...(fetch ? { fetch } : {}) });
}

/**
 * @param {import('./store/index.js').Store} store
 * @param {any} mgmt the SDK's ManagementClient (its `logs.list` is used)
 * @param {{ checkpointName?: string, take?: number, maxPages?: number, sleep?: (ms: number) => Promise<void>,
 *   onPage?: (p: PullTotals & { page: { logs: number, stored: number, duplicates: number, rejected: number } }) => void | Promise<void>,
 *   nowMs?: () => number, maxServerRetries?: number, live?: { feed: (body: string) => void } | null }} [options]
 *   live: detection fed each committed page
 * @returns {Promise<PullTotals>}
 */
async function pullLogs(store, mgmt, options = {}) {
  const {
    checkpointName = DEFAULT_CHECKPOINT,
    take = MAX_TAKE,
    maxPages = Infinity,
    sleep = defaultSleep,
    onPage,
    nowMs = Date.now,
    maxServerRetries = MAX_SERVER_RETRIES,
    live = null,
  } = options;
  if (!Number.isInteger(take) || take < 1 || take > MAX_TAKE) throw new TypeError(`pullLogs: take must be an integer from 1 to ${MAX_TAKE}`);
  /** @type {PullTotals} */
  const totals = { pages: 0, logs: 0, stored: 0, duplicates: 0, rejected: 0, retries: 0, checkpoint: await store.getCheckpoint(checkpointName), done: false };

  /** @param {object} request @param {object} [queryParams] @returns {Promise<{ logs: any[], next: string | null }>} */
  const list = async (request, queryParams) => {
    const page = await withRetries(() => mgmt.logs.list(request, { maxRetries: 0, ...(queryParams ? { queryParams } : {}) }), {
      sleep,
      nowMs,
      maxServerRetries,
      onRetry: () => {
        totals.retries += 1;
      },
      checkpoint: () => totals.checkpoint,
    });
    return { logs: logsOf(page.response), next: nextFrom(page.rawResponse?.headers) };
  };

  /** @param {any[]} logs @param {string | null} next */
  const commit = async (logs, next) => {
    const r = await ingestBody(store, JSON.stringify(logs), { source: 'pull', nowMs: nowMs(), live });
    // Auth0's next link, else the page's last log_id; never the same checkpoint again
    // after a page that held logs (a loop on one page would never end).
    const checkpoint = (next && next !== totals.checkpoint ? next : null) || lastLogId(logs);
    if (!checkpoint) throw pullError('pull_no_checkpoint', 'a page of logs had no log_id to continue from', totals.checkpoint);
    await store.setCheckpoint(checkpointName, checkpoint);
    totals.checkpoint = checkpoint;
    totals.pages += 1;
    totals.logs += logs.length;
    totals.stored += r.stored;
    totals.duplicates += r.duplicates;
    totals.rejected += r.rejected;
    await onPage?.({ ...totals, page: { logs: logs.length, stored: r.stored, duplicates: r.duplicates, rejected: r.rejected } });
  };

  if (!totals.checkpoint) {
    // No checkpoint: the oldest log still available, by search; paging starts after it.
    const { logs } = await list({ sort: 'date:1', per_page: 1, page: 0, include_totals: false });
    if (logs.length === 0) {
      totals.done = true;
      return totals;
    }
    await commit(logs, null);
  }
  while (totals.pages < maxPages) {
    // Only from and take: the SDK's own paging parameters (page, per_page, include_totals) are left out.
    const { logs, next } = await list({ page: null, per_page: null, include_totals: null }, { from: totals.checkpoint, take });
    if (logs.length === 0) {
      totals.done = true;
      break;
    }
    await commit(logs, next);
  }
  return totals;
}

/**
 * retry.js's withRetries, its failures said as pull's: with where a rerun continues.
 * @template T
 * @param {() => Promise<T>} request
 * @param {{ sleep: (ms: number) => Promise<void>, nowMs: () => number, maxServerRetries: number, onRetry: () => void, checkpoint: () => string | null }} o
 * @returns {Promise<T>}
 */
async function withRetries(request, { sleep, nowMs, maxServerRetries, onRetry, checkpoint }) {
  try {
    return await retry.withRetries(request, { what: 'GET /api/v2/logs', sleep, nowMs, maxServerRetries, onRetry });
  } catch (err) {
    const e = /** @type {any} */ (err);
    if (e?.code === 'rate_limited') throw pullError('pull_rate_limited', e.message, checkpoint(), e.cause);
    if (e?.code === 'unavailable') throw pullError('pull_failed', e.message, checkpoint(), e.cause);
    if (e?.code === 'refused') {
      const why = e.status === 401 || e.status === 403 ? ' (the client needs the read:logs scope on the Management API)' : '';
      throw pullError('pull_refused', `GET /api/v2/logs answered ${e.status}${why}`, checkpoint(), e.cause);
    }
    throw err;
  }
}

/**
 * An Error for the CLI to print; it says where a rerun continues. No token or body in it.
 * @param {string} code
 * @param {string} message
 * @param {string | null} checkpoint
 * @param {unknown} [cause]
 */
function pullError(code, message, checkpoint, cause) {
  const where = checkpoint ? `the checkpoint stays at ${checkpoint}; a rerun continues from there` : 'no checkpoint stored yet; a rerun starts from the oldest log';
  return Object.assign(new Error(`${message}: ${where}`, cause === undefined ? undefined : { cause }), { code, checkpoint });
}

/** @param {unknown} response a checkpoint page (an array) or a search page (an array, or { logs }) */
function logsOf(response) {
  if (Array.isArray(response)) return response;
  const logs = /** @type {{ logs?: unknown }} */ (response)?.logs;
  return Array.isArray(logs) ? logs : [];
}

/** @param {any[]} logs the last string log_id of a page (Auth0 orders a page by log_id) */
function lastLogId(logs) {
  for (let i = logs.length - 1; i >= 0; i--) {
    const id = logs[i]?.log_id;
    if (typeof id === 'string' && id) return id;
  }
  return null;
}

/**
 * The `from` of the Link header's rel="next" URL, as Auth0 asks callers to follow it.
 * @param {Headers | undefined} headers
 */
function nextFrom(headers) {
  const link = headers?.get?.('link');
  if (!link) return null;
  for (const part of link.split(',')) {
    const m = /<([^>]+)>\s*;\s*rel="?next"?/.exec(part);
    if (!m) continue;
    try {
      return new URL(m[1]).searchParams.get('from') || null;
    } catch {
      return null;
    }
  }
  return null;
}

/** @param {number} ms */
const defaultSleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

module.exports = { pullLogs, managementClient, DEFAULT_CHECKPOINT, MAX_TAKE };
