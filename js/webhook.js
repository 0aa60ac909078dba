// @ts-check
'use strict';
// Signed webhooks (`require('actionguard/webhook')`): the audit copy and approval
// requests the Actions send, and what their receiver (the control plane, server/)
// checks. One header, Stripe's shape:
//
//   x-actionguard-signature: t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<body>">
//
// The timestamp is inside the MAC, so a captured request cannot be re-dated: a
// receiver refuses one older or newer than its tolerance (300 s by default), and with
// a replay guard also a second delivery of one signature inside that window.

const crypto = require('node:crypto');

const SIGNATURE_HEADER = 'x-actionguard-signature';
const DEFAULT_TOLERANCE_S = 300;
// A header is a timestamp and one or two signatures (two while a secret is rotated).
const MAX_HEADER = 512;
const MAX_SIGNATURES = 4;

/**
 * @param {string} secret
 * @param {number} t Unix seconds.
 * @param {string | Buffer} body
 */
function mac(secret, t, body) {
  return crypto.createHmac('sha256', secret).update(`${t}.`).update(body).digest();
}

/**
 * The header value for `body`, signed at `nowMs` (default: now).
 * @param {string} secret
 * @param {string | Buffer} body
 * @param {number} [nowMs]
 * @returns {string}
 */
function sign(secret, body, nowMs = Date.now()) {
  const t = Math.floor(nowMs / 1000);
  return `t=${t},v1=${mac(secret, t, body).toString('hex')}`;
}

/**
 * Remembers the signatures accepted within the tolerance, so that one is accepted
 * once. In memory, per receiving process; at most `max` at a time (beyond that,
 * verification refuses with `replay_guard_full` rather than forget one).
 * @param {{ max?: number }} [options]
 */
function createReplayGuard({ max = 10_000 } = {}) {
  /** @type {Map<string, number>} signature hex -> when it may be forgotten (ms) */
  const seen = new Map();
  return {
    /**
     * @param {string} signature
     * @param {number} forgetAtMs
     * @param {number} nowMs
     * @returns {'fresh' | 'replayed' | 'full'}
     */
    check(signature, forgetAtMs, nowMs) {
      if (seen.has(signature)) return 'replayed';
      if (seen.size >= max) {
        for (const [s, at] of seen) if (at <= nowMs) seen.delete(s);
        if (seen.size >= max) return 'full';
      }
      seen.set(signature, forgetAtMs);
      return 'fresh';
    },
    get size() {
      return seen.size;
    },
  };
}

/** @typedef {ReturnType<typeof createReplayGuard>} ReplayGuard */
/**
 * @typedef {{ ok: true, timestamp: number }
 *   | { ok: false, error: 'missing_signature' | 'malformed_signature' | 'bad_signature' | 'signature_expired' | 'signature_in_future' | 'signature_replayed' | 'replay_guard_full' }} Verified
 */

/**
 * Checks a signature header against `body` (the raw bytes received): a `v1` equal
 * (constant time) to the HMAC of `"<t>.<body>"`, and `t` within `toleranceS` of now
 * either way; with `guard`, a signature seen before is refused too. Never throws.
 * @param {string} secret
 * @param {string | Buffer} body
 * @param {string | string[] | undefined} header
 * @param {{ toleranceS?: number, nowMs?: number, guard?: ReplayGuard }} [options]
 * @returns {Verified}
 */
function verify(secret, body, header, { toleranceS = DEFAULT_TOLERANCE_S, nowMs = Date.now(), guard } = {}) {
  const value = Array.isArray(header) ? header.join(',') : header;
  if (typeof value !== 'string' || value === '') return { ok: false, error: 'missing_signature' };
  if (value.length > MAX_HEADER) return { ok: false, error: 'malformed_signature' };
  let t = Number.NaN;
  /** @type {Buffer[]} */
  const given = [];
  for (const part of value.split(',')) {
    const [key, v, extra] = part.trim().split('=');
    if (extra !== undefined) return { ok: false, error: 'malformed_signature' };
    if (key === 't' && /^\d{1,12}$/.test(v ?? '') && Number.isNaN(t)) t = Number(v);
    else if (key === 'v1' && /^[0-9a-f]{64}$/.test(v ?? '') && given.length < MAX_SIGNATURES) given.push(Buffer.from(v, 'hex'));
    else if (key === 't' || key === 'v1') return { ok: false, error: 'malformed_signature' };
    // Other schemes (a later v2) are skipped, as Stripe's receivers do.
  }
  if (Number.isNaN(t) || given.length === 0) return { ok: false, error: 'malformed_signature' };
  const expected = mac(secret, t, body);
  // Every candidate compared, in constant time each (all are 32 bytes).
  let match = false;
  for (const g of given) match = crypto.timingSafeEqual(g, expected) || match;
  if (!match) return { ok: false, error: 'bad_signature' };
  const age = nowMs / 1000 - t;
  if (age > toleranceS) return { ok: false, error: 'signature_expired' };
  if (age < -toleranceS) return { ok: false, error: 'signature_in_future' };
  if (guard) {
    const seen = guard.check(expected.toString('hex'), (t + toleranceS + 1) * 1000, nowMs);
    if (seen === 'replayed') return { ok: false, error: 'signature_replayed' };
    if (seen === 'full') return { ok: false, error: 'replay_guard_full' };
  }
  return { ok: true, timestamp: t };
}

module.exports = { SIGNATURE_HEADER, DEFAULT_TOLERANCE_S, sign, verify, createReplayGuard };
