// @ts-check
'use strict';
// The control plane's threat feed for the Actions (`require('actionguard/threat')`): what it
// saw under attack across tenants (networks, accounts), signed with Ed25519. Post-login and
// pre-user-registration decide with it; the core verifies it and weighs what it lists
// (`network_under_attack`, `account_under_attack`, the policy's `threat_feed`).
//
// Secrets: THREAT_FEED_URL and THREAT_FEED_PUBLIC_KEY (base64 of the raw 32-byte key), and
// THREAT_FEED_TOKEN when the control plane asks for one (sent as a bearer token). Without the
// URL or the key, nothing here runs and decisions are made as before.
//
// The feed lives in this instance's memory (js/instance-value.js), never in api.cache (20
// entries per trigger, shared with every Action bound to it): fetched once, whatever the
// number of executions waiting; again in the background once half `threat_feed.max_age_seconds`
// old; past that age an execution waits for the new one, at most `threat_feed.budget_ms`, as a
// cold instance waits for the first. A feed that cannot be had (unreachable, late, refused, a
// bad signature, expired, older than the one held) never fails an execution: the decision is
// made without it (or with the one held, while it has not expired) and its audit record carries
// the code as a warning.

const { load, readCapped } = require('./runtime.js');
const { instanceValue } = require('./instance-value.js');

/** @typedef {import('./actionguard.js').Engine} Engine */
/** @typedef {import('./actionguard.js').ThreatFeed} ThreatFeed */
/** @typedef {import('./actionguard.js').ThreatFeedNote} ThreatFeedNote */
/** @typedef {import('./actionguard.js').LoginContext} LoginContext */
/** @typedef {import('./actionguard.js').SignupContext} SignupContext */
/** @typedef {import('./actionguard.js').LoginAnswer} LoginAnswer */
/** @typedef {import('./actionguard.js').SignupAnswer} SignupAnswer */
/** @typedef {import('./runtime.js').Secrets} Secrets */
/**
 * @typedef {object} FeedDecisions An execution's decisions, with the feed the instance holds (if any).
 * @property {(context: LoginContext) => LoginAnswer} decideLogin
 * @property {(context: SignupContext) => SignupAnswer} decideSignup
 * @property {ThreatFeed | undefined} feed The feed decided with.
 * @property {ThreatFeedNote | undefined} note Why there is none, or only an older one.
 */
/** @typedef {{ forExecution(engine: Engine, event: any): Promise<FeedDecisions> }} ThreatFeedSource What `createThreatFeed` returns. */

// One request's time, wherever the executions' budgets stand: a fetch that outlives an
// execution's budget goes on for the next ones.
const FETCH_TIMEOUT_MS = 5000;
// The core's largest envelope (threat::envelope::MAX_ENVELOPE_BYTES): larger is not read.
const MAX_ENVELOPE_BYTES = 2 * 1024 * 1024 + 4096;

/**
 * @param {string} code
 * @param {string} message
 * @param {number} [statusCode]
 */
function fail(code, message, statusCode) {
  return Object.assign(new Error(message), { code, statusCode });
}

// The Bearer token goes only where it cannot be read on the way: https, or this machine.
/** @param {string} url */
function secureUrl(url) {
  return /^https:\/\//i.test(url) || /^http:\/\/(127\.0\.0\.1|localhost|\[::1\])(:\d+)?\//i.test(url);
}

/**
 * Fetches and verifies the feed; rejects with a `threat_feed_*` code.
 * @param {Secrets} secrets
 * @param {string | null} tenant
 * @param {number} newest The issue time of the newest feed this instance verified from the source.
 * @returns {Promise<ThreatFeed>}
 */
async function fetchFeed(secrets, tenant, newest) {
  const url = String(secrets.THREAT_FEED_URL);
  if (!secureUrl(url)) throw fail('threat_feed_url_insecure', 'THREAT_FEED_URL must be https');
  /** @type {Record<string, string>} */
  const headers = { accept: 'application/json' };
  if (secrets.THREAT_FEED_TOKEN) headers.authorization = `Bearer ${secrets.THREAT_FEED_TOKEN}`;
  /** @type {Response} */
  let res;
  try {
    res = await fetch(url, { headers, signal: AbortSignal.timeout(FETCH_TIMEOUT_MS) });
  } catch (err) {
    throw fail(err?.name === 'TimeoutError' ? 'threat_feed_timeout' : 'threat_feed_unreachable', 'the threat feed could not be fetched');
  }
  if (!res.ok) {
    await res.body?.cancel();
    throw fail('threat_feed_http_error', 'the threat feed endpoint refused', res.status);
  }
  const { bytes, over } = await readBody(res);
  if (over) throw fail('threat_feed_oversized', 'the threat feed is larger than the core reads');
  const answer = (await load(secrets)).loadThreatFeed(bytes, String(secrets.THREAT_FEED_PUBLIC_KEY), Date.now(), tenant);
  if (answer.type !== 'success') throw fail(answer.errors[0].code, answer.errors[0].message);
  // An older feed than one already verified (replayed, or a control plane's rollback) would
  // drop what the newer one lists: refused, the newer one kept.
  if (answer.feed.issuedAtMs < newest) {
    answer.feed.free();
    throw fail('threat_feed_rollback', 'the threat feed is older than the one held');
  }
  return answer.feed;
}

/** @param {Response} res */
async function readBody(res) {
  try {
    return await readCapped(res, MAX_ENVELOPE_BYTES);
  } catch {
    throw fail('threat_feed_unreachable', 'the threat feed could not be read');
  }
}

/**
 * The note a decision gets for an error: its `threat_feed_*` code (a wait that ran out is
 * `threat_feed_timeout`); the core warns any other code as `threat_feed_unavailable`.
 * @param {any} err
 * @returns {ThreatFeedNote}
 */
function noteOf(err) {
  const code = err?.code === 'timeout' ? 'threat_feed_timeout' : String(err?.code ?? 'threat_feed_unavailable');
  return { error: /** @type {any} */ (code.slice(0, 64)) };
}

/**
 * @param {Engine} engine
 * @param {ThreatFeed | undefined} feed
 * @param {ThreatFeedNote | undefined} note
 * @returns {FeedDecisions}
 */
function decisions(engine, feed, note) {
  const withNote = (/** @type {any} */ context) => (note ? { ...context, threat_feed: note } : context);
  return {
    feed,
    note,
    decideLogin: (context) => (feed ? engine.decideLoginWithFeed(withNote(context), feed) : engine.decideLogin(withNote(context))),
    decideSignup: (context) => (feed ? engine.decideSignupWithFeed(withNote(context), feed) : engine.decideSignup(withNote(context))),
  };
}

/**
 * The threat feed of one Action: create it at module scope (it keeps the feed), then
 * `forExecution(engine, event)` per execution, which resolves to the execution's decisions
 * (with the feed, or without and why) and never rejects.
 * @returns {ThreatFeedSource}
 */
function createThreatFeed() {
  /** @type {import('./instance-value.js').GetValue<ThreatFeed>} */
  const get = instanceValue();
  /** @type {Map<string, number>} */
  const newest = new Map();
  return {
    async forExecution(engine, event) {
      const secrets = event?.secrets || {};
      if (!secrets.THREAT_FEED_URL || !secrets.THREAT_FEED_PUBLIC_KEY || !engine.threatFeedEnabled) return decisions(engine, undefined, undefined);
      const tenant = typeof event.tenant?.id === 'string' ? event.tenant.id : null;
      const source = `${secrets.THREAT_FEED_URL}\0${secrets.THREAT_FEED_PUBLIC_KEY}\0${secrets.THREAT_FEED_TOKEN ?? ''}\0${tenant}`;
      const build = async () => {
        const feed = await fetchFeed(secrets, tenant, newest.get(source) ?? 0);
        newest.set(source, feed.issuedAtMs);
        return feed;
      };
      const maxAgeMs = engine.threatFeedMaxAgeMs;
      try {
        const { value, error } = await get(source, build, { refresh: true, ttlMs: maxAgeMs / 2, maxAgeMs, waitMs: engine.threatFeedBudgetMs });
        return decisions(engine, value, error ? noteOf(error) : undefined);
      } catch (err) {
        return decisions(engine, undefined, noteOf(err));
      }
    },
  };
}

module.exports = { createThreatFeed };
