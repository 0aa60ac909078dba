// @ts-check
'use strict';
// The LLM call of an escalation, for the shims (`require('actionguard/llm')`). The core
// writes the request body, reads the answer, and keeps the circuit breaker and the
// per-tenant rate limit (it reads their `api.cache` values from the context and answers
// with the writes); this file only sends the body within the policy's budget, once (no
// retries inside a login), and only once the budgets' cache entry holds the call's rate
// token. Every failure becomes a code the core audits; the decision is then the policy's
// fallback, which was already safe to apply.

const { orThrow, applyCache, readCapped } = require('./runtime.js');

/** @typedef {import('./runtime.js').UnstoredWrite} UnstoredWrite */

/** @typedef {import('./actionguard.js').Engine} Engine */
/** @typedef {import('./actionguard.js').CacheKeys} CacheKeys */
/** @typedef {import('./actionguard.js').CacheWrite} CacheWrite */
/** @typedef {import('./actionguard.js').Escalation} Escalation */
/** @typedef {import('./actionguard.js').LlmExchange} LlmExchange */
/** @typedef {import('./actionguard.js').LlmFailure} LlmFailure */
/** @typedef {import('./runtime.js').Secrets} Secrets */
/**
 * @template T
 * @typedef {import('./actionguard.js').Answer<T>} Answer
 */
/**
 * @template T
 * @typedef {import('./actionguard.js').Success<T>} Success
 */
/** @typedef {{ escalation?: Escalation, cache?: CacheWrite[] }} Escalating A decision that may ask for an escalation. */
/** @typedef {{ cache_unstored?: UnstoredWrite[] }} Unstored The budgets' cache writes that did not hold, when any did not. */

// A real answer is a few hundred bytes; the core refuses anything over 32 KiB.
const MAX_BODY_BYTES = 64 * 1024;

/**
 * What the core needs to know before deciding: whether an LLM is configured, and then
 * its budgets' state, one `api.cache` entry (without an LLM the core never escalates:
 * nothing to read).
 * @param {Secrets | undefined} secrets
 * @param {any} api
 * @param {CacheKeys} keys
 * @returns {LlmExchange}
 */
function exchangeFor(secrets, api, keys) {
  const available = typeof secrets?.LLM_BASE_URL === 'string' && secrets.LLM_BASE_URL !== '';
  if (!available) return { available, model: secrets?.LLM_MODEL };
  return { available, model: secrets?.LLM_MODEL, base_url: secrets.LLM_BASE_URL, state: api.cache.get(keys.llm_budget)?.value };
}

// OpenAI, local servers: <base>/chat/completions with a bearer key. Azure OpenAI:
// LLM_BASE_URL is the deployment URL (its ?api-version= kept) and the key goes in `api-key`.
/**
 * @param {string} base
 * @returns {URL}
 */
function endpoint(base) {
  const url = new URL(base);
  url.pathname = `${url.pathname.replace(/\/+$/, '')}/chat/completions`;
  return url;
}

/**
 * @param {URL} url
 * @param {string | undefined} key
 * @returns {Record<string, string>}
 */
function headersFor(url, key) {
  /** @type {Record<string, string>} */
  const headers = { 'content-type': 'application/json', accept: 'application/json' };
  if (key && url.hostname.endsWith('.openai.azure.com')) headers['api-key'] = key;
  else if (key) headers.authorization = `Bearer ${key}`;
  return headers;
}

/**
 * Sends one escalation; resolves to `{ response }` or `{ failure: <code> }`, never throws.
 * @param {Escalation} escalation
 * @param {Secrets} secrets
 * @returns {Promise<{ response: string } | { failure: LlmFailure }>}
 */
async function send(escalation, secrets) {
  try {
    const url = endpoint(secrets.LLM_BASE_URL);
    // One signal for the whole exchange: a server that answers headers and then
    // trickles the body is as late as one that never answers.
    const res = await fetch(url, { method: 'POST', headers: headersFor(url, secrets.LLM_API_KEY), body: escalation.body, signal: AbortSignal.timeout(escalation.timeout_ms) });
    if (res.status === 429) return { failure: 'http_429' };
    if (res.status >= 500) return { failure: 'http_5xx' };
    if (!res.ok) return { failure: 'http_error' };
    return { response: (await readCapped(res, MAX_BODY_BYTES)).bytes.toString('utf8') };
  } catch (err) {
    return { failure: err?.name === 'TimeoutError' || err?.name === 'AbortError' ? 'timeout' : 'unreachable' };
  }
}

/**
 * Decides with `decide(context)` (an Engine method returning an answer); when the core
 * asks for an escalation, sends it and decides again with what came back. Applies each
 * answer's cache writes. The budgets fail closed: the request goes out only once the
 * rate token the core took is stored and reads back; otherwise nothing is sent and the
 * core decides again with `budget_unavailable` (its fallback, audited). `engine` names the
 * cache keys. Resolves to the success answer, with `cache_unstored` when a write did not
 * hold (for the shim's audit); throws only what `orThrow` throws for a failure answer.
 * @template {Escalating} T
 * @template C
 * @param {Engine} engine
 * @param {(context: C) => Answer<T>} decide `context` with its `llm` exchange.
 * @param {C} context
 * @param {Secrets} secrets
 * @param {any} api
 * @returns {Promise<Success<T> & Unstored>}
 */
async function decideEscalating(engine, decide, context, secrets, api) {
  const first = orThrow(decide({ ...context, llm: exchangeFor(secrets, api, engine.cacheKeys) }));
  const unstored = applyCache(api, first.cache);
  if (!first.escalation) return withUnstored(first, unstored);
  /** @type {{ response: string } | { failure: LlmFailure }} */
  const sent = unstored.length ? { failure: 'budget_unavailable' } : await send(first.escalation, secrets);
  // Read again: the breaker's next value builds on what is stored now (this call's token).
  const second = orThrow(decide({ ...context, llm: { ...exchangeFor(secrets, api, engine.cacheKeys), ...sent } }));
  return withUnstored(second, [...unstored, ...applyCache(api, second.cache)]);
}

/**
 * @template T
 * @param {T} answer
 * @param {UnstoredWrite[]} unstored
 * @returns {T & Unstored}
 */
function withUnstored(answer, unstored) {
  return unstored.length ? { ...answer, cache_unstored: unstored } : answer;
}

module.exports = { decideEscalating, exchangeFor, endpoint, headersFor };
