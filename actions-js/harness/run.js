// @ts-check
'use strict';
// One Action execution, observed: the result object is exactly the `--json`
// contract of design.md section 5.

const path = require('node:path');
const { loadAction } = require('./loader');
const { createApi, outcomeOf, Cache } = require('./api');
const { defaultEvent, fillDefaults } = require('./events');
const { ManagementEmulator } = require('./management');

const ACTIONS_DIR = path.resolve(__dirname, '..');
// Auth0 gives a whole flow 20 seconds.
const FLOW_BUDGET_MS = 20_000;

/**
 * Makes the Action see `nowIso` as the current time, advancing in real time
 * from there, so a recorded stream can be replayed with its own timing.
 * @param {string | null} [nowIso]
 * @returns {() => void} restores the real clock
 */
function installClock(nowIso) {
  if (nowIso === undefined || nowIso === null) return () => {};
  const RealDate = globalThis.Date;
  const base = RealDate.parse(nowIso);
  if (Number.isNaN(base)) throw new Error(`--now is not an ISO-8601 date: ${JSON.stringify(nowIso)}`);
  const t0 = performance.now();
  const now = () => base + Math.floor(performance.now() - t0);
  /** @param {[] | [string | number | Date] | [number, number, ...number[]]} args as `Date` takes them */
  function HarnessDate(...args) {
    if (!new.target) return new RealDate(now()).toString();
    // @ts-expect-error: TypeScript's DateConstructor has no signature taking a spread of its overloads.
    return args.length === 0 ? new RealDate(now()) : new RealDate(...args);
  }
  HarnessDate.prototype = RealDate.prototype;
  HarnessDate.now = now;
  HarnessDate.parse = RealDate.parse;
  HarnessDate.UTC = RealDate.UTC;
  // A plain function in Date's place (without `new` it returns a string, as Date does),
  // which TypeScript cannot take for a DateConstructor.
  globalThis.Date = /** @type {DateConstructor} */ (/** @type {unknown} */ (HarnessDate));
  return () => {
    globalThis.Date = RealDate;
  };
}

/**
 * Routes the Action's `fetch` calls: `https://<AUTH0_DOMAIN>/...` goes to the
 * emulator (the `auth0` SDK resolves the global fetch per request), and
 * requests under `LLM_BASE_URL` are counted.
 * @param {object} routes
 * @param {string | null} [routes.domain] AUTH0_DOMAIN
 * @param {Harness.ManagementEmulator} [routes.emulator]
 * @param {string} [routes.llmBaseUrl] LLM_BASE_URL
 * @param {{ llm: number }} routes.counters
 * @returns {() => void} restores the real fetch
 */
function installFetch({ domain, emulator, llmBaseUrl, counters }) {
  const realFetch = globalThis.fetch;
  const auth0Prefix = domain ? `https://${domain}/` : null;
  globalThis.fetch = function harnessFetch(input, init) {
    const href = typeof input === 'string' ? input : input instanceof URL ? input.href : input.url;
    if (llmBaseUrl && href.startsWith(llmBaseUrl)) counters.llm += 1;
    if (auth0Prefix && emulator && href.startsWith(auth0Prefix)) {
      const target = `${emulator.origin}/${href.slice(auth0Prefix.length)}`;
      return realFetch(typeof input === 'string' || input instanceof URL ? target : new Request(target, input), init);
    }
    return realFetch(input, init);
  };
  return () => {
    globalThis.fetch = realFetch;
  };
}

/**
 * An execution's audit records, in full: what AUDIT_WEBHOOK_URL would receive (the
 * runtime publishes each one to the harness, js/runtime.js), whether or not it is set.
 * @param {string[]} texts
 * @returns {Harness.AuditRecord[]}
 */
function auditRecords(texts) {
  const out = [];
  for (const text of texts) {
    try {
      const record = JSON.parse(text);
      if (record && typeof record === 'object' && 'actionguard_audit' in record) out.push(record);
    } catch {
      // Not a record: nothing the runtime writes, but the harness runs any Action file.
    }
  }
  return out;
}

// Auth0 keeps at most 256 characters of an Action's console output, and never sends it
// to tenant logs or log streams: each execution's first 256 characters are what is left.
const PERSISTED_CONSOLE_CHARS = 256;

/**
 * What the console of one execution was, and what Auth0 would keep of it.
 * @param {string} logs
 * @returns {Harness.ConsoleView}
 */
function consoleView(logs) {
  const chars = Array.from(logs);
  return {
    lines: logs.split('\n').filter((line) => line !== ''),
    persisted: chars.slice(0, PERSISTED_CONSOLE_CHARS).join(''),
    cut: chars.length > PERSISTED_CONSOLE_CHARS,
  };
}

/**
 * @template T
 * @param {Promise<T>} promise
 * @param {number} ms
 * @returns {Promise<T>}
 */
function withBudget(promise, ms) {
  let timer;
  const timeout = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error(`the Action did not finish within ${ms} ms (Auth0 flow budget)`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/** @type {Map<string, import('./loader').LoadedAction>} */
const loaded = new Map();

/**
 * Runs one execution. Options:
 *   trigger, event, tenant, secrets, now (ISO string), fillDefaults (default true),
 *   actionFile (default actions-js/<trigger>.js), cache (a harness Cache to share
 *   between runs), emulator (a started ManagementEmulator to reuse),
 *   budgetMs, freshModule (load the Action file anew instead of reusing the instance),
 *   instance (run on this loaded Action, e.g. several executions at once on one cold instance).
 * Resolves to `{ result, logs, metadata, cache }`; `result` is the contract object.
 * @param {Harness.RunOptions} opts
 * @returns {Promise<Harness.RunOutput>}
 */
async function runAction(opts) {
  const trigger = opts.trigger;
  const secrets = opts.secrets || {};
  let event = opts.fillDefaults === false ? opts.event : fillDefaults(defaultEvent(trigger), opts.event || {});
  if (event && typeof event === 'object' && opts.secrets) event = { ...event, secrets };

  const counters = { llm: 0 };
  const domain = typeof secrets.AUTH0_DOMAIN === 'string' ? secrets.AUTH0_DOMAIN : null;
  let emulator = opts.emulator;
  const ownEmulator = !emulator && (opts.tenant || domain);
  if (ownEmulator) {
    emulator = await new ManagementEmulator(opts.tenant || {}, {
      domain: domain || undefined,
      clientId: secrets.AUTH0_CLIENT_ID,
      clientSecret: secrets.AUTH0_CLIENT_SECRET,
    }).start();
  }
  const callsBefore = emulator ? emulator.calls.length : 0;
  const cache = opts.cache || new Cache(opts.cacheSeed || {});
  const { api, calls, metadata } = createApi(trigger, { cache });

  const file = opts.actionFile || path.join(ACTIONS_DIR, `${trigger}.js`);
  let logs = '';
  /** @type {string[]} */
  let records = [];
  /** @type {import('./loader').ExecutionError | undefined} */
  let error;
  const restoreClock = installClock(opts.now);
  const restoreFetch = installFetch({ domain, emulator, llmBaseUrl: secrets.LLM_BASE_URL, counters });
  try {
    let action = opts.instance || (opts.freshModule ? undefined : loaded.get(`${trigger}\0${file}`));
    if (!action) {
      action = await loadAction(file, trigger);
      if (!opts.freshModule) loaded.set(`${trigger}\0${file}`, action);
    }
    ({ logs, audit: records } = await withBudget(action.execute([event, api]), opts.budgetMs || FLOW_BUDGET_MS));
  } catch (err) {
    error = err instanceof Error ? err : new Error(String(err));
    logs = error.logs || logs;
    records = error.audit || records;
  } finally {
    restoreFetch();
    restoreClock();
    if (ownEmulator) await emulator.stop();
  }

  /** @type {Harness.Result} */
  const result = {
    trigger,
    outcome: outcomeOf(calls, error),
    api_calls: calls,
    management_calls: emulator ? emulator.calls.slice(callsBefore) : [],
    llm_calls: counters.llm,
    audit: auditRecords(records),
    console: consoleView(logs),
  };
  if (error) result.error = error.message;
  Object.assign(result, wouldBe(result.audit));
  return { result, logs, metadata, cache };
}

/**
 * What the execution's decision would have done, beside what was applied (`outcome`): the
 * deciding audit record's `would_outcome` and whether it was enforced (a watched decision
 * applies nothing), and organization discovery's `would_action`. Read from a full record
 * (`would_outcome`, `enforcement`) or a console line (which names `would_outcome` or
 * `would_action` only for a watched decision). Empty without a decision (fail mode).
 * @param {Partial<Harness.AuditRecord>[]} records
 * @returns {Pick<Harness.Result, 'would_outcome' | 'would_action' | 'enforced'>}
 */
function wouldBe(records) {
  const decided = records.filter((r) => !r.fail_mode && typeof r.outcome === 'string');
  // Post-login's own record before the discovery it started; post-user-registration has only the latter.
  const decision = decided.find((r) => r.trigger !== 'organization-discovery') || decided[0];
  const discovery = decided.find((r) => r.trigger === 'organization-discovery');
  /** @param {Partial<Harness.AuditRecord>} r */
  const enforced = (r) => (typeof r.enforcement?.enforced === 'boolean' ? r.enforcement.enforced : !('would_outcome' in r || 'would_action' in r));
  /** @type {Pick<Harness.Result, 'would_outcome' | 'would_action' | 'enforced'>} */
  const out = {};
  if (decision) {
    out.would_outcome = decision.would_outcome ?? decision.outcome;
    out.enforced = enforced(decision);
  }
  const action = discovery && (discovery.would_action ?? discovery.org_action ?? discovery.action);
  if (typeof action === 'string') out.would_action = action;
  return out;
}

module.exports = { runAction, installClock, installFetch, auditRecords, consoleView, PERSISTED_CONSOLE_CHARS, wouldBe, ACTIONS_DIR };
