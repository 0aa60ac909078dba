'use strict';
// What the governance jobs (review, classify, members import) share on the host side:
// Management API calls that wait out rate limits, every page of a listing, proposals
// into the approval queue, the audit record of every write, a circuit breaker, and
// the tenant policy. What is flagged, proposed or allowed is the core's.

const fs = require('node:fs');
const llmShim = require('actionguard/llm');
const core = require('../core.js');
const { withRetries, requestError: governanceError } = require('../retry.js');

/** Auth0's Management API pages hold at most 50 of most resources (100 for some). */
const PER_PAGE = 50;
/** A listing longer than this is refused rather than read into memory unbounded. */
const MAX_PAGES = 2_000;

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

/** The store checkpoint of the governance jobs' LLM budgets (rate limit and breaker). */
const LLM_CHECKPOINT = 'llm-budget:governance';
/** A real answer is a few hundred bytes; the core refuses more than 32 KiB. */
const MAX_LLM_BODY = 64 * 1024;
/** The failures the core decides itself before anything is sent (llm::SHIM_FAILURES' first three). */
const HELD_BACK = new Set(['circuit_open', 'rate_limited', 'budget_unavailable']);

/**
 * The body of a response, at most `max` bytes (more: null).
 * @param {Response} res
 * @param {number} max
 */
async function readCapped(res, max) {
  if (!res.body) return '';
  const chunks = [];
  let size = 0;
  for await (const chunk of /** @type {any} */ (res.body)) {
    size += chunk.length;
    if (size > max) return null;
    chunks.push(Buffer.from(chunk));
  }
  return Buffer.concat(chunks).toString('utf8');
}

/**
 * Sends one escalation the core wrote, as the Actions' shim does (js/llm.js): once,
 * within its timeout for the whole exchange; never throws.
 * @param {{ body: string, timeout_ms: number }} escalation
 * @param {NodeJS.ProcessEnv} env
 * @returns {Promise<{ response: string } | { failure: string }>}
 */
async function sendEscalation(escalation, env) {
  try {
    const url = llmShim.endpoint(/** @type {string} */ (env.LLM_BASE_URL));
    const res = await fetch(url, { method: 'POST', headers: llmShim.headersFor(url, env.LLM_API_KEY), body: escalation.body, signal: AbortSignal.timeout(escalation.timeout_ms) });
    if (res.status === 429) return { failure: 'http_429' };
    if (res.status >= 500) return { failure: 'http_5xx' };
    if (!res.ok) return { failure: 'http_error' };
    const text = await readCapped(res, MAX_LLM_BODY);
    return text === null ? { failure: 'http_error' } : { response: text };
  } catch (err) {
    return { failure: /** @type {any} */ (err)?.name === 'TimeoutError' || /** @type {any} */ (err)?.name === 'AbortError' ? 'timeout' : 'unreachable' };
  }
}

/**
 * A governance job's two-step LLM exchange with the core (governance::LlmInput): the first
 * call answers the escalations to send and the budgets' new state, which is stored before
 * anything leaves (no stored token, no call); the second call, with what came back (and
 * the reasons of what the budgets held back), settles them, and its state is stored.
 * @template A
 * @param {import('../store/index.js').Store} store
 * @param {NodeJS.ProcessEnv} env LLM_BASE_URL, LLM_API_KEY, LLM_MODEL
 * @param {{ run: (llm: Record<string, unknown>) => A,
 *   read: (answer: A) => { escalations: { key: string, body: string, timeout_ms: number }[], state: string | null, heldBack: Record<string, string> },
 *   log: (entry: Record<string, unknown>) => void, job: string }} o
 *   run: the core's call with its `llm` part; read: the answer's escalations (by the key the
 *   answers go under), budget state and held-back results (by key)
 * @returns {Promise<{ answer: A, sent: number }>}
 */
async function escalate(store, env, { run, read, log, job }) {
  const llm = { available: Boolean(env.LLM_BASE_URL), model: env.LLM_MODEL || null, base_url: env.LLM_BASE_URL || null };
  let answer = run({ ...llm, state: await store.getCheckpoint(LLM_CHECKPOINT) });
  const first = read(answer);
  if (first.escalations.length === 0) return { answer, sent: 0 };
  let stored = true;
  try {
    if (first.state != null) await store.setCheckpoint(LLM_CHECKPOINT, first.state);
  } catch (err) {
    stored = false;
    log({ msg: `${job}: the LLM budgets could not be stored; nothing is sent`, error: String(/** @type {any} */ (err)?.message ?? err) });
  }
  /** @type {Record<string, { response?: string, failure?: string }>} */
  const answers = {};
  for (const [key, result] of Object.entries(first.heldBack)) if (HELD_BACK.has(result)) answers[key] = { failure: result };
  let sent = 0;
  for (const e of first.escalations) {
    answers[e.key] = stored ? await sendEscalation(e, env) : { failure: 'budget_unavailable' };
    sent += stored ? 1 : 0;
  }
  answer = run({ ...llm, state: stored ? await store.getCheckpoint(LLM_CHECKPOINT) : null, answers });
  const second = read(answer);
  if (stored && second.state != null) await store.setCheckpoint(LLM_CHECKPOINT, second.state);
  return { answer, sent };
}

module.exports = {
  withRetries,
  listAll,
  itemsOf,
  propose,
  recordWrite,
  Breaker,
  loadPolicy,
  governanceError,
  escalate,
  sendEscalation,
  PER_PAGE,
  LLM_CHECKPOINT,
};
