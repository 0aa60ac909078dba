// @ts-check
'use strict';
// One value an Action instance keeps at module scope and rebuilds from a source it fetches
// (the organization index, the threat feed): one build at a time, whatever the number of
// executions asking, refreshed in the background, waited for when too old, and not asked
// again for a while after a failure. `require('actionguard/instance-value')`.
//
// - the first executions (a cold instance) all wait for the one build;
// - afterwards the value serves while a new one is built in the background, once it is
//   `ttlMs` old (`refresh`; a value that cannot change, a snapshot pinned by its SHA-256:
//   never);
// - a value past `maxAgeMs` (an instance idle that long) is not used while a refresh may
//   replace it: the execution waits for that refresh (at most `waitMs` when given);
// - after a failed build, no other until the backoff ends (10 s, doubling with each
//   failure in a row up to 10 minutes): a source that is down or rate limited is not asked
//   again by every execution. Until then a cold instance fails at once with that build's
//   error, and a warm one serves its old value, whose age keeps growing, with the error;
// - another source (a new snapshot pin, another feed URL) is a new value, built the same way.
// One value is kept: a replaced one is left to the garbage collector.

const BACKOFF_FIRST_MS = 10 * 1000;
const BACKOFF_MAX_MS = 10 * 60 * 1000;

/**
 * @typedef {object} Keeping How a value is kept.
 * @property {boolean} refresh Rebuild it once `ttlMs` old (false for a value that cannot change).
 * @property {number} ttlMs The age from which it is rebuilt in the background.
 * @property {number} maxAgeMs Past this age an execution waits for the refresh rather than use it.
 * @property {number} [waitMs] The most an execution waits for a build; past it, a cold instance
 *   fails with code `timeout` and a warm one uses what it holds (with that error). The build goes on.
 */
/**
 * @template T
 * @typedef {{ value: T, ageMs: number, error?: unknown }} View A value, how old its data is, and,
 *   when an older value serves because its refresh failed or is late, why.
 */
/**
 * @template T
 * @typedef {(source: string, build: () => Promise<T>, keeping: Keeping) => Promise<View<T>>} GetValue
 */

/**
 * @param {string} code
 * @param {string} message
 */
function fail(code, message) {
  return Object.assign(new Error(message), { code });
}

/**
 * `promise`, or a rejection with code `timeout` after `ms` (none when `ms` is undefined).
 * @template T
 * @param {Promise<T>} promise
 * @param {number | undefined} ms
 * @returns {Promise<T>}
 */
function within(promise, ms) {
  if (ms === undefined) return promise;
  let timer;
  /** @type {Promise<never>} */
  const late = new Promise((_, reject) => {
    timer = setTimeout(() => reject(fail('timeout', 'the build did not finish within its wait')), ms);
  });
  return Promise.race([promise, late]).finally(() => clearTimeout(timer));
}

/**
 * A value kept by one Action instance: `get(source, build, keeping)` per execution.
 * @template T
 * @returns {GetValue<T>}
 */
function instanceValue() {
  /** @type {{ source: string, value: T, readAt: number } | undefined} */
  let current;
  /** @type {{ source: string, promise: Promise<T> } | undefined} */
  let building;
  /** @type {{ source: string, error: unknown, until: number, failures: number } | undefined} */
  let failed;

  /**
   * @param {string} source
   * @param {() => Promise<T>} build
   * @returns {Promise<T>}
   */
  function start(source, build) {
    // The data is as old as the build's first request.
    const readAt = Date.now();
    const promise = build().then(
      (value) => {
        current = { source, value, readAt };
        failed = undefined;
        return value;
      },
      (error) => {
        const failures = failed?.source === source ? failed.failures + 1 : 1;
        failed = { source, error, failures, until: Date.now() + Math.min(BACKOFF_MAX_MS, BACKOFF_FIRST_MS * 2 ** (failures - 1)) };
        throw error;
      },
    );
    building = { source, promise };
    promise
      .finally(() => {
        if (building?.promise === promise) building = undefined;
      })
      .catch(() => {}); // the callers see the rejection
    return promise;
  }

  return async function get(source, build, { refresh, ttlMs, maxAgeMs, waitMs }) {
    for (;;) {
      const now = Date.now();
      const backingOff = failed?.source === source && now < failed.until;
      if (current?.source === source) {
        const held = current;
        if (!refresh) return { value: held.value, ageMs: 0 };
        const ageMs = now - held.readAt;
        if (ageMs > ttlMs && !building && !backingOff) start(source, build).catch(() => {});
        const lastError = failed?.source === source ? failed.error : undefined;
        if (ageMs > maxAgeMs && building?.source === source) {
          // Too old to use as it is: the refresh decides, or, when it fails or is late,
          // the old value with its age and why.
          try {
            const value = await within(building.promise, waitMs);
            return { value, ageMs: Date.now() - (current?.readAt ?? now) };
          } catch (error) {
            return { value: held.value, ageMs: Date.now() - held.readAt, error };
          }
        }
        return { value: held.value, ageMs, error: lastError };
      }
      if (building?.source === source) return { value: await within(building.promise, waitMs), ageMs: 0 };
      // One build at a time, even across sources: wait for the other one first.
      if (building) {
        await within(
          building.promise.catch(() => {}),
          waitMs,
        );
        continue;
      }
      if (backingOff) throw failed?.error;
      return { value: await within(start(source, build), waitMs), ageMs: 0 };
    }
  };
}

module.exports = { instanceValue, within };
