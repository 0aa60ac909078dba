'use strict';
// The LLM call of an escalation, for the shims (`require('actionguard/llm')`). The core
// writes the request body and reads the answer; this file only sends the body within the
// policy's budget, once (no retries inside a login), and keeps a circuit breaker and a
// per-tenant rate limit in api.cache, so a failing or flooded provider costs the next
// logins nothing. Every failure becomes a code the core audits; the decision is then the
// policy's fallback, which was already safe to apply.

const { orThrow } = require('./shim.js');

const BREAKER_KEY = 'actionguard:llm:breaker';
const RATE_KEY = 'actionguard:llm:rate';
// A real answer is a few hundred bytes; the core refuses anything over 32 KiB.
const MAX_BODY_BYTES = 64 * 1024;

/** What the core needs to know before deciding: whether an LLM is configured. */
function exchangeFor(secrets) {
  return { available: typeof secrets?.LLM_BASE_URL === 'string' && secrets.LLM_BASE_URL !== '', model: secrets?.LLM_MODEL };
}

// OpenAI, local servers: <base>/chat/completions with a bearer key. Azure OpenAI:
// LLM_BASE_URL is the deployment URL (its ?api-version= kept) and the key goes in `api-key`.
function endpoint(base) {
  const url = new URL(base);
  url.pathname = `${url.pathname.replace(/\/+$/, '')}/chat/completions`;
  return url;
}

function headersFor(url, key) {
  const headers = { 'content-type': 'application/json', accept: 'application/json' };
  if (key && url.hostname.endsWith('.openai.azure.com')) headers['api-key'] = key;
  else if (key) headers.authorization = `Bearer ${key}`;
  return headers;
}

function readPair(api, key) {
  const [a, b] = String(api.cache.get(key)?.value ?? '').split(':').map(Number);
  return [Number.isFinite(a) ? a : 0, Number.isFinite(b) ? b : 0];
}

// Open after `breaker_failures` failures in a row, for `breaker_cooldown_ms`; after that
// one call goes through, and one more failure opens it again.
function breakerOpen(api, now) {
  const [, openUntil] = readPair(api, BREAKER_KEY);
  return openUntil > now;
}

function recordResult(api, escalation, result, now) {
  if (result === 'circuit_open' || result === 'rate_limited') return;
  if (result === 'answered') {
    api.cache.set(BREAKER_KEY, '0:0');
    return;
  }
  const failures = readPair(api, BREAKER_KEY)[0] + 1;
  const openUntil = failures >= escalation.breaker_failures ? now + escalation.breaker_cooldown_ms : 0;
  api.cache.set(BREAKER_KEY, `${failures}:${openUntil}`);
}

// A fixed one-minute window per tenant, shared by the trigger's instances through
// api.cache: approximate under concurrency, which is enough to cap a flood.
function takeRateToken(api, escalation, now) {
  const minute = Math.floor(now / 60_000);
  const [window, count] = readPair(api, RATE_KEY);
  const used = window === minute ? count : 0;
  if (used >= escalation.max_per_minute) return false;
  api.cache.set(RATE_KEY, `${minute}:${used + 1}`, { ttl: 120_000 });
  return true;
}

async function readCapped(res) {
  const reader = res.body?.getReader();
  if (!reader) return '';
  const chunks = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > MAX_BODY_BYTES) {
      await reader.cancel();
      break;
    }
    chunks.push(value);
  }
  return Buffer.concat(chunks).toString('utf8');
}

/** Sends one escalation; resolves to `{ response }` or `{ failure: <code> }`, never throws. */
async function send(escalation, secrets, api) {
  const now = Date.now();
  if (breakerOpen(api, now)) return { failure: 'circuit_open' };
  if (!takeRateToken(api, escalation, now)) return { failure: 'rate_limited' };
  try {
    const url = endpoint(secrets.LLM_BASE_URL);
    // One signal for the whole exchange: a server that answers headers and then
    // trickles the body is as late as one that never answers.
    const res = await fetch(url, { method: 'POST', headers: headersFor(url, secrets.LLM_API_KEY), body: escalation.body, signal: AbortSignal.timeout(escalation.timeout_ms) });
    if (res.status === 429) return { failure: 'http_429' };
    if (res.status >= 500) return { failure: 'http_5xx' };
    if (!res.ok) return { failure: 'http_error' };
    return { response: await readCapped(res) };
  } catch (err) {
    return { failure: err?.name === 'TimeoutError' || err?.name === 'AbortError' ? 'timeout' : 'unreachable' };
  }
}

/**
 * Decides with `decide(context)` (an Engine method returning an answer); when the core
 * asks for an escalation, sends it and decides again with what came back. Resolves to
 * the success answer; throws only what `orThrow` throws for a failure answer.
 */
async function decideEscalating(decide, context, secrets, api) {
  const exchange = exchangeFor(secrets);
  const first = orThrow(decide({ ...context, llm: exchange }));
  if (!first.escalation) return first;
  const sent = await send(first.escalation, secrets, api);
  const second = orThrow(decide({ ...context, llm: { ...exchange, ...sent } }));
  recordResult(api, first.escalation, second.llm_result, Date.now());
  return second;
}

module.exports = { decideEscalating, exchangeFor, endpoint, headersFor };
