'use strict';
// Auth0 keeps logs 5 to 30 days by plan; the store is where history lives, for as
// long as the tenant says (ACTIONGUARD_RETENTION_DAYS, 90 by default; alerts by when
// they were last seen). The purge runs itself: once at start and then every hour, in
// the store's small chunks.

const DEFAULT_RETENTION_DAYS = 90;
const PURGE_EVERY_MS = 60 * 60 * 1000;
const DAY_MS = 24 * 60 * 60 * 1000;

/**
 * @param {string | undefined} value
 * @returns {number} days
 */
function retentionDays(value) {
  if (value === undefined || value === '') return DEFAULT_RETENTION_DAYS;
  const days = Number(value);
  if (!Number.isInteger(days) || days < 1 || days > 36_500) {
    throw Object.assign(new Error(`ACTIONGUARD_RETENTION_DAYS must be a whole number of days from 1 to 36500, not ${JSON.stringify(value)}`), { exit: 2 });
  }
  return days;
}

/**
 * @param {import('./store/index.js').Store} store
 * @param {number} days
 * @param {number} [nowMs]
 */
function purgeOlderThan(store, days, nowMs = Date.now()) {
  return store.purge({ beforeMs: nowMs - days * DAY_MS });
}

/**
 * @param {import('./store/index.js').Store} store
 * @param {{ days: number, everyMs?: number, log: (entry: Record<string, unknown>) => void }} options
 * @returns {() => void} stops it
 */
function startRetention(store, { days, everyMs = PURGE_EVERY_MS, log }) {
  let running = false;
  const run = async () => {
    if (running) return;
    running = true;
    try {
      const deleted = await purgeOlderThan(store, days);
      if (deleted.logs + deleted.rejects + deleted.audit + deleted.alerts > 0) log({ level: 'info', job: 'retention', days, deleted });
    } catch (err) {
      // The database may be away; the next round tries again.
      log({ level: 'warn', job: 'retention', error: String(/** @type {any} */ (err)?.code ?? 'failed') });
    } finally {
      running = false;
    }
  };
  const timer = setInterval(run, everyMs);
  timer.unref();
  setImmediate(run);
  return () => clearInterval(timer);
}

module.exports = { retentionDays, purgeOlderThan, startRetention, DEFAULT_RETENTION_DAYS };
