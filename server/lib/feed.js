'use strict';
// The threat feed the Actions read (GET /v1/threat-feed): what live detection learned,
// as networks and accounts under attack. The payload is the core's (buildThreatFeed,
// src/threat/: which alerts become which entries, accounts pseudonymized, bounded);
// this host signs it with Ed25519 (node:crypto, THREAT_FEED_SIGNING_KEY) and serves
// the envelope `{ format, payload, signature }`, the Actions verifying it with the
// public key they hold as a secret.
//
// Built from the store's alerts seen within the hold (THREAT_FEED_HOLD_SECONDS, by the
// logs' own time), so every instance serves the same content; kept while nothing
// changes (a cheap fingerprint query, at most once a second) and re-signed before half
// its lifetime is gone; ETag / If-None-Match answer 304 without a body.

const crypto = require('node:crypto');
const core = require('actionguard/control-plane');
const { alertOf } = require('./store/index.js');

const FORMAT = 'actionguard-threat-feed/1';
const DEFAULT_TTL_S = 3600;
const DEFAULT_HOLD_S = 24 * 3600;
/** The fingerprint is read at most this often; within it, the cached feed is served. */
const FINGERPRINT_EVERY_MS = 1000;
/** Alerts read for one feed, at most (the core keeps at most 10,000 networks and 10,000 accounts). */
const MAX_ALERTS = 20_000;
// PKCS#8 DER of an Ed25519 private key, before its 32-byte seed (RFC 8410).
const PKCS8_ED25519_PREFIX = Buffer.from('302e020100300506032b657004220420', 'hex');

/**
 * The signing key from THREAT_FEED_SIGNING_KEY (base64 of the raw 32-byte seed), and
 * the public key the Actions need (base64 of the raw 32 bytes).
 * @param {string} seedB64
 * @returns {{ privateKey: crypto.KeyObject, publicKeyB64: string }}
 */
function signingKey(seedB64) {
  const seed = Buffer.from(String(seedB64).trim(), 'base64');
  if (seed.length !== 32 || seed.toString('base64').replace(/=+$/, '') !== String(seedB64).trim().replace(/=+$/, '')) {
    throw Object.assign(new Error('THREAT_FEED_SIGNING_KEY must be the base64 of a 32-byte Ed25519 seed (scripts/actionguard feed keygen)'), { exit: 2 });
  }
  const privateKey = crypto.createPrivateKey({ key: Buffer.concat([PKCS8_ED25519_PREFIX, seed]), format: 'der', type: 'pkcs8' });
  const spki = crypto.createPublicKey(privateKey).export({ format: 'der', type: 'spki' });
  return { privateKey, publicKeyB64: spki.subarray(spki.length - 32).toString('base64') };
}

/** A new key pair: the server's seed and the Actions' public key, both base64. */
function generateKeys() {
  const seed = crypto.randomBytes(32).toString('base64');
  return { signingKey: seed, publicKey: signingKey(seed).publicKeyB64 };
}

/**
 * @param {string | undefined} value
 * @param {string} name
 * @param {number} fallback
 * @param {number} min
 * @param {number} max
 */
function seconds(value, name, fallback, min, max) {
  if (value === undefined || value === '') return fallback;
  const s = Number(value);
  if (!Number.isInteger(s) || s < min || s > max)
    throw Object.assign(new Error(`${name} must be a whole number of seconds from ${min} to ${max}, not ${JSON.stringify(value)}`), { exit: 2 });
  return s;
}

/**
 * @typedef {object} FeedOptions
 * @property {import('./store/index.js').Store} store
 * @property {string} signingKeyB64 THREAT_FEED_SIGNING_KEY
 * @property {string} [token] THREAT_FEED_TOKEN: required as `Authorization: Bearer <token>` when set
 * @property {string | null} [tenant] ACTIONGUARD_TENANT
 * @property {number} [ttlS] THREAT_FEED_TTL_SECONDS: how long a feed is valid (default 3600)
 * @property {number} [holdS] THREAT_FEED_HOLD_SECONDS: an alert stays listed this long after it was last seen (default 86400)
 * @property {ReturnType<import('./metrics.js').createMetrics>} [metrics]
 * @property {() => number} [nowMs]
 */

/** @param {FeedOptions} options */
function createThreatFeed(options) {
  const { store, tenant = null, metrics } = options;
  const ttlS = options.ttlS ?? DEFAULT_TTL_S;
  const holdS = options.holdS ?? DEFAULT_HOLD_S;
  const nowMs = options.nowMs ?? Date.now;
  const { privateKey, publicKeyB64 } = signingKey(options.signingKeyB64);
  const expectedAuth = options.token ? `Bearer ${options.token}` : null;
  /** @type {{ fingerprint: string, checkedMs: number, refreshMs: number, body: string, etag: string, networks: number, accounts: number } | null} */
  let cached = null;
  /** @type {Promise<NonNullable<typeof cached>> | null} */
  let building = null;

  /** @param {string} fingerprint @param {number} now */
  async function build(fingerprint, now) {
    const rows = await store.listAlerts({ sinceMs: now - holdS * 1000, limit: MAX_ALERTS });
    const alerts = rows.map((r) => ({ ...alertOf(r), until: new Date(r.last_seen_ms + holdS * 1000).toISOString() }));
    const answer = core.buildThreatFeed({ tenant, issued_at: new Date(now).toISOString(), ttl_seconds: ttlS, alerts });
    if (answer.type !== 'success') {
      const first = /** @type {any} */ (answer).errors?.[0];
      throw Object.assign(new Error(first?.message ?? 'the threat feed could not be built'), { code: first?.code ?? 'threat_feed_build' });
    }
    const signature = crypto.sign(null, Buffer.from(answer.payload, 'utf8'), privateKey).toString('base64');
    const body = JSON.stringify({ format: FORMAT, payload: answer.payload, signature });
    metrics?.feedBuilds.inc();
    return {
      fingerprint,
      checkedMs: now,
      // Re-signed before half its lifetime is gone: a client always gets at least half of it.
      refreshMs: now + (ttlS * 1000) / 2,
      body,
      etag: `"${crypto.createHash('sha256').update(body).digest('base64url').slice(0, 27)}"`,
      networks: answer.networks,
      accounts: answer.accounts,
    };
  }

  /** The current feed: the cached one while valid, else one build at a time. */
  async function current() {
    const now = nowMs();
    if (cached && now - cached.checkedMs < FINGERPRINT_EVERY_MS && now < cached.refreshMs) return cached;
    const fingerprint = await store.alertsFingerprint({ sinceMs: now - holdS * 1000 });
    if (cached && cached.fingerprint === fingerprint && now < cached.refreshMs) {
      cached.checkedMs = now;
      return cached;
    }
    if (!building) {
      building = build(fingerprint, now).finally(() => {
        building = null;
      });
      cached = await building;
      return cached;
    }
    return building;
  }

  return {
    publicKeyB64,
    current,
    /**
     * @param {import('node:http').IncomingMessage} req
     * @returns {Promise<[number, string, string, Record<string, string>]>}
     */
    async serve(req) {
      if (expectedAuth) {
        const given = String(req.headers.authorization ?? '');
        const a = crypto.createHash('sha256').update(given).digest();
        const b = crypto.createHash('sha256').update(expectedAuth).digest();
        if (!crypto.timingSafeEqual(a, b)) {
          return [401, JSON.stringify({ error: 'unauthorized' }), 'application/json', { 'www-authenticate': 'Bearer' }];
        }
      }
      const feed = await current();
      const headers = { etag: feed.etag, 'cache-control': 'no-cache', 'x-content-type-options': 'nosniff' };
      const match = String(req.headers['if-none-match'] ?? '')
        .split(',')
        .map((t) => t.trim());
      if (match.includes(feed.etag) || match.includes('*')) return [304, '', 'application/json', headers];
      return [200, feed.body, 'application/json', headers];
    },
  };
}

/**
 * The feed as the environment configures it, or null without THREAT_FEED_SIGNING_KEY (then 503).
 * @param {import('./store/index.js').Store} store
 * @param {{ env?: NodeJS.ProcessEnv, metrics?: FeedOptions['metrics'] }} [opts]
 */
function feedFromEnv(store, { env = process.env, metrics } = {}) {
  if (!env.THREAT_FEED_SIGNING_KEY) return null;
  return createThreatFeed({
    store,
    signingKeyB64: env.THREAT_FEED_SIGNING_KEY,
    token: env.THREAT_FEED_TOKEN || undefined,
    tenant: env.ACTIONGUARD_TENANT || null,
    ttlS: seconds(env.THREAT_FEED_TTL_SECONDS, 'THREAT_FEED_TTL_SECONDS', DEFAULT_TTL_S, 60, 604_800),
    holdS: seconds(env.THREAT_FEED_HOLD_SECONDS, 'THREAT_FEED_HOLD_SECONDS', DEFAULT_HOLD_S, 60, 30 * 86_400),
    metrics,
  });
}

module.exports = { createThreatFeed, feedFromEnv, signingKey, generateKeys, seconds, FORMAT, DEFAULT_TTL_S, DEFAULT_HOLD_S };
