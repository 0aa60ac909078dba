'use strict';
// What the governance jobs (review, classify, members import) share on the host side:
// Management API calls that wait out rate limits, every page of a listing, proposals
// into the approval queue, the audit record of every write, a circuit breaker, and
// the tenant policy. What is flagged, proposed or allowed is the core's.

const fs = require('node:fs');
const core = require('../core.js');
const { rateLimitWait, statusOf } = require('../pull.js');

/** 429s in a row before giving up: the limit resets every few seconds, so this is minutes. */
const MAX_RATE_LIMITED = 30;
/** Retries of a 5xx (or a request that got no answer) before failing. */
const MAX_SERVER_RETRIES = 4;
const BACKOFF_MS = 1000;
const MAX_WAIT_MS = 60_000;
/** Auth0's Management API pages hold at most 50 of most resources (100 for some). */
const PER_PAGE = 50;
/** A listing longer than this is refused rather than read into memory unbounded. */
const MAX_PAGES = 2_000;

const defaultSleep = (/** @type {number} */ ms) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * @param {string} code
 * @param {string} message
 * @param {{ status?: number, cause?: unknown }} [extra]
 */
function governanceError(code, message, { status, cause } = {}) {
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
 *   onRetry?: (status: number | undefined) => void }} options
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
        if (limited > MAX_RATE_LIMITED) throw governanceError('rate_limited', `${what} was rate limited ${limited} times in a row`, { status, cause: err });
        onRetry(status);
        await sleep(rateLimitWait(err, limited, nowMs));
        continue;
      }
      if (status === undefined || status >= 500) {
        failed += 1;
        const how = status === undefined ? `got no answer (${/** @type {any} */ (err)?.name || 'error'})` : `answered ${status}`;
        if (failed > maxServerRetries) throw governanceError('unavailable', `${what} ${how}, ${failed} times`, { status, cause: err });
        onRetry(status);
        await sleep(Math.min(BACKOFF_MS * 2 ** (failed - 1), MAX_WAIT_MS));
        continue;
      }
      const why = status === 401 || status === 403 ? " (check the client's Management API scopes: docs/operations.md)" : '';
      throw governanceError('refused', `${what} answered ${status}${why}: ${String(/** @type {any} */ (err)?.message ?? '').slice(0, 200)}`, { status, cause: err });
    }
  }
}

/**
 * The items of an SDK answer: an array, `{ [key]: [...] }`, or either under `.data`.
 * @param {any} answer
 * @param {string} key
 * @returns {any[]}
 */
function itemsOf(answer, key) {
  for (const v of [answer, answer?.data]) {
    if (Array.isArray(v)) return v;
    if (Array.isArray(v?.[key])) return v[key];
  }
  return [];
}

/**
 * Every item of a listing, each page's request through withRetries. `fetchPage` is
 * called once with `{ page: 0, per_page, take }`: the SDK reads the parameters of the
 * endpoint's own paging (offset or checkpoint) and answers a Page, which is followed
 * (`hasNextPage`, `getNextPage`: a failed request leaves the Page as it was, so it is
 * retried as is). A plain answer (an array or `{ [key]: [...] }`) is paged by offset.
 * @param {(page: { page: number, per_page: number, take: number }) => Promise<any>} fetchPage
 * @param {string} key the listing's key in a plain answer (`organizations`, `members`...)
 * @param {{ what: string, sleep?: (ms: number) => Promise<void>, nowMs?: () => number, perPage?: number, onRetry?: (status: number | undefined) => void }} options
 * @returns {Promise<any[]>}
 */
async function listAll(fetchPage, key, { perPage = PER_PAGE, ...options }) {
  const first = await withRetries(() => fetchPage({ page: 0, per_page: perPage, take: perPage }), options);
  if (first && typeof first.hasNextPage === 'function' && typeof first.getNextPage === 'function') {
    const out = [...(Array.isArray(first.data) ? first.data : [])];
    for (let page = 1; first.hasNextPage(); page++) {
      if (page >= MAX_PAGES) throw governanceError('too_many_pages', `${options.what}: more than ${MAX_PAGES} pages`);
      await withRetries(() => first.getNextPage(), { ...options, what: `${options.what} (page ${page})` });
      out.push(...(Array.isArray(first.data) ? first.data : []));
    }
    return out;
  }
  const out = [...itemsOf(first, key)];
  if (out.length < perPage) return out;
  for (let page = 1; page < MAX_PAGES; page++) {
    const items = itemsOf(await withRetries(() => fetchPage({ page, per_page: perPage, take: perPage }), { ...options, what: `${options.what} (page ${page})` }), key);
    out.push(...items);
    if (items.length < perPage) return out;
  }
  throw governanceError('too_many_pages', `${options.what}: more than ${MAX_PAGES} pages`);
}

/**
 * A governance request into the approval queue, once per dedupe key across runs (a
 * re-run only counts it again). The core checks it first, as the executor will.
 * @param {import('../store/index.js').Store} store
 * @param {{ kind: string, dedupe_key: string }} request the core's governance request
 */
async function propose(store, request) {
  core.orThrow(core.governanceCheck(JSON.stringify(request)));
  return store.receiveApproval({ dedupe_key: request.dedupe_key, kind: request.kind, request });
}

/**
 * The audit record of one write (or one that failed, or was skipped as already done),
 * built by the core, stored with the Actions' records (trigger `governance`).
 * @param {import('../store/index.js').Store} store
 * @param {Omit<import('actionguard').GovernanceWrite, 'ts_ms'> & { ts_ms?: number }} write
 * @returns {Promise<any>} the record
 */
async function recordWrite(store, write) {
  const { record } = core.orThrow(core.governanceAuditRecord({ ...write, ts_ms: write.ts_ms ?? Date.now() }));
  const raw = JSON.stringify(record);
  const [row] = core.orThrow(core.readAuditRecords(raw)).records;
  await store.putAuditRecords([
    { id: row.id, at_ms: row.at_ms ?? null, trigger: row.trigger ?? null, outcome: row.outcome ?? null, organization_id: row.organization_id ?? null, raw },
  ]);
  return record;
}

/** Stops a run after `limit` failures in a row; a success closes it again. */
class Breaker {
  /** @param {number} limit */
  constructor(limit) {
    this.limit = Math.max(1, limit);
    this.failures = 0;
  }
  ok() {
    this.failures = 0;
  }
  /** @returns {boolean} whether it is now open */
  fail() {
    this.failures += 1;
    return this.open;
  }
  get open() {
    return this.failures >= this.limit;
  }
}

/**
 * The tenant policy's text: `--policy <file>`, else ACTIONGUARD_POLICY (the JSON
 * itself, or `@<file>`), else null (the core's default). The core validates it.
 * @param {string | undefined} file
 * @param {NodeJS.ProcessEnv} [env]
 * @returns {string | null}
 */
function loadPolicy(file, env = process.env) {
  if (file) return fs.readFileSync(file, 'utf8');
  const text = env.ACTIONGUARD_POLICY;
  if (!text) return null;
  return text.startsWith('@') ? fs.readFileSync(text.slice(1), 'utf8') : text;
}

module.exports = { withRetries, listAll, itemsOf, propose, recordWrite, Breaker, loadPolicy, governanceError, PER_PAGE };
