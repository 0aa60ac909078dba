// @ts-check
'use strict';
// The runtime every ActionGuard Action shim shares (`require('actionguard/runtime')`):
// load the WebAssembly once per Action instance, keep one engine, rebuilt only when the
// POLICY secret changes, apply the answers' cache writes, the fail mode of a decision
// that could not be made (one table for every trigger), and the audit trail.
// Plain JavaScript that loads the WebAssembly only when first asked, so that a module
// that fails to load becomes an error with a code (and the fail mode), not a broken Action.

const crypto = require('node:crypto');
const diagnostics = require('node:diagnostics_channel');
const zlib = require('node:zlib');
const webhook = require('./webhook.js');

const WASM_FETCH_TIMEOUT_MS = 5000;
const FAIL_MODES = new Set(['allow', 'challenge', 'deny']);

// Types (checked by `tsc --checkJs`): the module's own are in actionguard.d.ts beside this file.
/** @typedef {typeof import('./actionguard.js')} ActionGuard The module: `Engine`, `buildOrgIndex`... */
/** @typedef {import('./actionguard.js').Engine} Engine */
/** @typedef {import('./actionguard.js').FailMode} FailMode */
/** @typedef {import('./actionguard.js').Outcome} Outcome */
/** @typedef {import('./actionguard.js').CacheWrite} CacheWrite */
/**
 * @template T
 * @typedef {import('./actionguard.js').Answer<T>} Answer
 */
/**
 * @template T
 * @typedef {import('./actionguard.js').Success<T>} Success
 */
/** @typedef {Record<string, string>} Secrets `event.secrets`: the Action's secrets, by name. */
/** @typedef {'post-login' | 'pre-user-registration' | 'credentials-exchange' | 'post-user-registration'} Trigger */
/**
 * @typedef {{ audit: string, audit_line: string }} AuditEntry An audit record in its two forms: in full
 *   (`audit`, one JSON line for the webhook) and its console line (`audit_line`, at most 256 characters).
 *   Every decision's answer is one; `auditLine` and `failureLine` make the runtime's own.
 * @typedef {{ log(entry: AuditEntry): void, flush(): Promise<void> }} AuditTrail What `auditTrail` returns.
 */

/**
 * @param {string} code
 * @param {string} message
 * @param {unknown} [cause]
 */
function fail(code, message, cause) {
  return Object.assign(new Error(message), { code, cause });
}

// How the WebAssembly reaches the Action:
// - by default, wasm-pack's loader reads the package's .wasm beside it (the fastest
//   cold start); if the filesystem refuses (Auth0 documents nothing about file reads
//   inside an Action), the embedded form takes over;
// - ACTIONGUARD_WASM=embedded: the .wasm inside the package's JavaScript (gzip, base64),
//   no file read beyond `require` (a slower cold start: it is inflated first);
// - ACTIONGUARD_WASM_URL: fetched once per instance and instantiated only if its SHA-256
//   is ACTIONGUARD_WASM_SHA256 (the .wasm as published, raw or gzip).
/** @type {Map<string, Promise<ActionGuard>>} */
const loaded = new Map();
const FS_ERRORS = new Set(['ENOENT', 'EACCES', 'EPERM', 'EROFS', 'ENOTDIR', 'EISDIR']);

/**
 * @param {Secrets | undefined} secrets
 * @returns {ActionGuard | Promise<ActionGuard>}
 */
function loadForm(secrets) {
  const url = secrets?.ACTIONGUARD_WASM_URL;
  if (url) return fetchVerified(String(url), String(secrets.ACTIONGUARD_WASM_SHA256 || ''));
  // embedded.js and actionguard_factory.js are generated into pkg/ (scripts/package-forms.js).
  if (secrets?.ACTIONGUARD_WASM === 'embedded') return require('./embedded.js');
  try {
    return require('./actionguard.js');
  } catch (err) {
    if (FS_ERRORS.has(err?.code)) return require('./embedded.js');
    throw err;
  }
}

/**
 * @param {string} url
 * @param {string} sha256
 * @returns {Promise<ActionGuard>}
 */
async function fetchVerified(url, sha256) {
  if (!/^[0-9a-f]{64}$/i.test(sha256)) throw fail('wasm_integrity', 'ACTIONGUARD_WASM_SHA256 must be the hex SHA-256 of the published .wasm');
  if (!/^https:\/\//.test(url) && !/^http:\/\/(127\.0\.0\.1|localhost)[:/]/.test(url)) throw fail('wasm_integrity', 'ACTIONGUARD_WASM_URL must be https');
  let res;
  try {
    res = await fetch(url, { signal: AbortSignal.timeout(WASM_FETCH_TIMEOUT_MS) });
  } catch (cause) {
    throw fail('wasm_unavailable', 'the WebAssembly could not be fetched', cause);
  }
  if (!res.ok) throw Object.assign(fail('wasm_unavailable', 'the WebAssembly could not be fetched'), { statusCode: res.status });
  const body = Buffer.from(await res.arrayBuffer());
  if (crypto.createHash('sha256').update(body).digest('hex') !== sha256.toLowerCase()) {
    throw fail('wasm_integrity', 'the fetched WebAssembly does not match ACTIONGUARD_WASM_SHA256');
  }
  const bytes = body[0] === 0x1f && body[1] === 0x8b ? zlib.gunzipSync(body) : body;
  return require('./actionguard_factory.js')(bytes);
}

/**
 * The ActionGuard module (Engine, buildOrgIndex, ...) for these secrets, loaded once per
 * instance and form. Resolves, or rejects with `code` load_failed, wasm_unavailable or
 * wasm_integrity; a failed load is tried again by the next execution.
 * @param {Secrets | undefined} secrets
 * @returns {Promise<ActionGuard>}
 */
function load(secrets) {
  const key = secrets?.ACTIONGUARD_WASM_URL
    ? `url:${secrets.ACTIONGUARD_WASM_URL}:${secrets.ACTIONGUARD_WASM_SHA256}`
    : secrets?.ACTIONGUARD_WASM === 'embedded'
      ? 'embedded'
      : 'file';
  let pending = loaded.get(key);
  if (!pending) {
    pending = (async () => loadForm(secrets))().catch((cause) => {
      loaded.delete(key);
      throw cause?.code ? cause : fail('load_failed', 'actionguard failed to load', cause);
    });
    loaded.set(key, pending);
  }
  return pending;
}

/**
 * A response's body, at most `maxBytes` of it: past that the rest is not read (the
 * connection is cancelled) and `over` is set. Reads nothing more than it keeps.
 * @param {Response} res
 * @param {number} maxBytes
 * @returns {Promise<{ bytes: Buffer, over: boolean }>}
 */
async function readCapped(res, maxBytes) {
  const reader = res.body?.getReader();
  if (!reader) return { bytes: Buffer.alloc(0), over: false };
  /** @type {Uint8Array[]} */
  const chunks = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) return { bytes: Buffer.concat(chunks), over: false };
    size += value.byteLength;
    if (size > maxBytes) {
      await reader.cancel();
      return { bytes: Buffer.concat(chunks), over: true };
    }
    chunks.push(value);
  }
}

/**
 * Auth0 always passes an object; anything else is refused as a classified input error.
 * @param {any} event
 * @returns {any}
 */
function eventOrThrow(event) {
  if (event === null || event === undefined) throw Object.assign(new Error('the Action was given no event'), { code: 'invalid_event' });
  return event;
}

/**
 * A function `async (secrets) => Engine` that reuses the engine while POLICY is unchanged.
 * @returns {(secrets: Secrets | undefined) => Promise<Engine>}
 */
function engineCache() {
  /** @type {Engine | undefined} */
  let engine;
  /** @type {string | undefined} */
  let builtFor;
  /** @type {ActionGuard | undefined} */
  let builtWith;
  return async (secrets) => {
    const core = await load(secrets);
    const policy = secrets?.POLICY;
    if (!engine || builtFor !== policy || builtWith !== core) {
      engine = new core.Engine(policy, recordId());
      builtFor = policy;
      builtWith = core;
    }
    return engine;
  };
}

/**
 * The fail mode to apply before an engine exists (the WebAssembly did not load): the
 * POLICY secret's `fail_mode` when it says one, else `challenge`. Never throws, whatever
 * the event is. Every execution asks, so the answer is kept per POLICY text rather than
 * parsing a large policy (or throwing on an absent one) on every login.
 */
/** @type {{ policy: string | undefined, mode: FailMode }} */
let failModeFor = { policy: undefined, mode: 'challenge' };
/**
 * @param {any} event
 * @returns {FailMode}
 */
function failModeOf(event) {
  try {
    const policy = event.secrets.POLICY;
    if (typeof policy !== 'string') return 'challenge';
    if (policy !== failModeFor.policy) failModeFor = { policy, mode: failModeIn(policy) };
    return failModeFor.mode;
  } catch {
    return 'challenge';
  }
}

/**
 * @param {string} policy
 * @returns {FailMode}
 */
function failModeIn(policy) {
  try {
    const mode = JSON.parse(policy).fail_mode;
    return FAIL_MODES.has(mode) ? mode : 'challenge';
  } catch {
    return 'challenge';
  }
}

/** @typedef {{ key: string, code: string }} UnstoredWrite A cache write that did not hold, and why. */

/**
 * Applies an answer's `api.cache` writes (the core names the keys and the values) and
 * checks each: Auth0's `set` answers `{ type: 'error', code }` when the write does not fit
 * (20 entries and 8 kB per trigger, shared with every Action bound to it) rather than
 * throwing, and the cache is best effort, so a write counts only once it reads back.
 * Returns the writes that did not hold (`code`: Auth0's, or `not_read_back`); never throws.
 * @param {any} api
 * @param {CacheWrite[] | undefined} writes
 * @returns {UnstoredWrite[]}
 */
function applyCache(api, writes) {
  /** @type {UnstoredWrite[]} */
  const unstored = [];
  for (const write of writes ?? []) {
    try {
      const result = api.cache.set(write.key, write.value, write.ttl_ms === undefined ? undefined : { ttl: write.ttl_ms });
      if (result?.type !== 'success') unstored.push({ key: write.key, code: String(result?.code ?? 'not_stored').slice(0, 64) });
      else if (api.cache.get(write.key)?.value !== write.value) unstored.push({ key: write.key, code: 'not_read_back' });
    } catch (err) {
      unstored.push({ key: write.key, code: String(err?.code ?? 'cache_error').slice(0, 64) });
    }
  }
  return unstored;
}

/**
 * Writes a shim audit line naming the cache writes that did not hold (nothing when all did).
 * @param {Trigger} trigger
 * @param {any} event
 * @param {AuditTrail} audit
 * @param {UnstoredWrite[]} unstored
 */
function reportUnstored(trigger, event, audit, unstored) {
  if (unstored.length) audit.log(auditLine(trigger, event, { cache_unstored: unstored }));
}

// A random key of this Action instance: the sign-up counters' last resort when the Action
// has neither a COUNTER_KEY nor an AUTH0_CLIENT_SECRET secret (counts per instance only).
const INSTANCE_KEY = crypto.randomBytes(32).toString('hex');

/**
 * The secrets the core may key the sign-up counters with (`counter_secrets` of the
 * sign-up context); which one it uses, and what it warns, is the core's to decide.
 * @param {Secrets | undefined} secrets
 * @returns {{ counter_key?: string, client_secret?: string, instance_key: string }}
 */
function counterSecrets(secrets) {
  const text = (/** @type {unknown} */ v) => (typeof v === 'string' ? v : undefined);
  return { counter_key: text(secrets?.COUNTER_KEY), client_secret: text(secrets?.AUTH0_CLIENT_SECRET), instance_key: INSTANCE_KEY };
}

const SIGNUP_UNAVAILABLE = 'We could not complete your sign-up right now. Please try again in a few minutes.';
const M2M_UNAVAILABLE = 'The token service is temporarily unavailable. Retry later.';

// What each trigger does when ActionGuard cannot decide, by the fail mode in force.
// A sign-up and a machine-to-machine token have no second factor, so `challenge`
// refuses them; post-user-registration runs after the user exists and refuses nothing.
/** @type {Record<Trigger, Record<FailMode, { outcome: Outcome, apply?: (api: any) => void }>>} */
const FAIL_MODE_TABLE = {
  'post-login': {
    allow: { outcome: 'allow' },
    challenge: { outcome: 'challenge', apply: (api) => api.multifactor.enable('any', { allowRememberBrowser: false }) },
    deny: { outcome: 'deny', apply: (api) => api.access.deny('actionguard_unavailable: access denied by security policy') },
  },
  'pre-user-registration': {
    allow: { outcome: 'allow' },
    challenge: { outcome: 'deny', apply: (api) => api.access.deny('actionguard_unavailable', SIGNUP_UNAVAILABLE) },
    deny: { outcome: 'deny', apply: (api) => api.access.deny('actionguard_unavailable', SIGNUP_UNAVAILABLE) },
  },
  'credentials-exchange': {
    allow: { outcome: 'allow' },
    challenge: { outcome: 'deny', apply: (api) => api.access.deny('server_error', M2M_UNAVAILABLE) },
    deny: { outcome: 'deny', apply: (api) => api.access.deny('server_error', M2M_UNAVAILABLE) },
  },
  'post-user-registration': { allow: { outcome: 'allow' }, challenge: { outcome: 'allow' }, deny: { outcome: 'allow' } },
};

/**
 * An execution ActionGuard could not decide: audits the failure and applies the trigger's
 * row of the fail-mode table for `failMode` (an unknown mode is `challenge`).
 * @param {Trigger} trigger
 * @param {FailMode} failMode
 * @param {any} event
 * @param {any} api
 * @param {AuditTrail} audit
 * @param {unknown} err
 */
function applyFailMode(trigger, failMode, event, api, audit, err) {
  const row = FAIL_MODE_TABLE[trigger];
  const entry = row[FAIL_MODES.has(failMode) ? failMode : 'challenge'];
  audit.log(failureLine(trigger, event, err, { outcome: entry.outcome, fail_mode: true }));
  entry.apply?.(api);
}

/**
 * Throws a failure answer as an Error carrying its code and path; returns a success.
 * @template T
 * @param {Answer<T>} answer
 * @returns {Success<T>}
 */
function orThrow(answer) {
  if (answer.type !== 'success') throw Object.assign(new Error(answer.errors[0].message), answer.errors[0]);
  return answer;
}

// Audit records have a unique id (24 hex digits) that their console line repeats, so that
// the two join and a receiver drops a record it already has. The core makes its own from
// the engine's nonce (drawn here: it has no random source); the runtime's records draw one.
/** @returns {string} */
function recordId() {
  return crypto.randomBytes(12).toString('hex');
}

// Auth0 keeps at most 256 characters of an Action's console output (and never sends it to
// tenant logs or log streams): each record's console line fits, and the full record goes to
// AUDIT_WEBHOOK_URL. The core writes its decisions' lines (src/audit/line.rs); these are the
// runtime's own, sharing their marker, version, `id`, `trigger` and `outcome`.
const LINE_SCHEMA = 1;
// 256 characters with the newline console.log ends a line with.
const MAX_LINE_CHARS = 255;
// A code or other text in a console line: printable ASCII without quotes or backslashes,
// so that JSON escaping cannot lengthen it, and short.
const LINE_TEXT_MAX = 40;
/** @param {unknown} text */
const lineText = (text) =>
  String(text)
    .replace(/[^\x20-\x7e]|["\\]/g, '?')
    .slice(0, LINE_TEXT_MAX);

/**
 * The console line of a runtime record: booleans and numbers as they are, text cut to a
 * code's length, an error as its code, a list as its length; the full record has the rest.
 * @param {string} id
 * @param {string} trigger
 * @param {Record<string, unknown>} fields
 * @returns {string}
 */
function runtimeLine(id, trigger, fields) {
  /** @type {Record<string, unknown>} */
  const line = { actionguard_line: LINE_SCHEMA, id, trigger: lineText(trigger) };
  for (const [key, value] of Object.entries(fields)) {
    if (typeof value === 'boolean' || (typeof value === 'number' && Number.isFinite(value))) line[key] = value;
    else if (typeof value === 'string') line[key] = lineText(value);
    else if (Array.isArray(value)) line[key] = value.length;
    else if (key === 'error' && value && typeof value === 'object' && 'code' in value) line.error = lineText(value.code);
  }
  const text = JSON.stringify(line);
  // Only a caller with many fields gets here: what identifies the record, nothing else.
  return text.length <= MAX_LINE_CHARS ? text : JSON.stringify({ actionguard_line: LINE_SCHEMA, id, trigger: lineText(trigger) });
}

/**
 * An audit record written by the runtime or a shim (the core writes those of its
 * decisions), in full and as its console line.
 * @param {string} trigger
 * @param {any} event
 * @param {Record<string, unknown>} fields
 * @returns {AuditEntry}
 */
function auditLine(trigger, event, fields) {
  const id = recordId();
  const tenant = typeof event?.tenant?.id === 'string' ? event.tenant.id : null;
  return { audit: JSON.stringify({ actionguard_audit: 1, id, trigger, tenant, ...fields }), audit_line: runtimeLine(id, trigger, fields) };
}

/**
 * The audit record for an execution ActionGuard could not decide. Only the error's
 * code, field path and HTTP status are kept: messages may quote event values.
 * @param {string} trigger
 * @param {any} event
 * @param {any} err
 * @param {Record<string, unknown>} fields
 * @returns {AuditEntry}
 */
function failureLine(trigger, event, err, fields) {
  // A trap (a Rust panic, out of memory) is a defect to fix, whatever the input was.
  const code = err instanceof WebAssembly.RuntimeError ? 'trap' : err?.code || 'internal';
  return auditLine(trigger, event, {
    ...fields,
    error: {
      code: typeof code === 'string' ? code.slice(0, 64) : 'internal',
      path: typeof err?.path === 'string' ? err.path.slice(0, 128) : null,
      status: err?.statusCode ?? null,
    },
  });
}

// The audit webhook gets this much of an execution, in all (a second try included): the
// console line is kept whatever happens, so the full record is never worth a slow login.
const AUDIT_WEBHOOK_BUDGET_MS = 300;

// Every record of every execution, in full, for a host that runs Actions in its own process
// (the harness): it sees what AUDIT_WEBHOOK_URL would receive, configured or not. Without a
// subscriber (in Auth0) publishing costs one check.
const auditChannel = diagnostics.channel('actionguard:audit');

/**
 * The audit trail of one execution: `log(entry)` writes the record's console line (what
 * Auth0 keeps) and keeps the full record; `flush()` posts the full records (newline-delimited
 * JSON, signed with AUDIT_WEBHOOK_SECRET when set: js/webhook.js) to AUDIT_WEBHOOK_URL within
 * a small budget, trying once more after a network error, a 429 or a 5xx, and never throws.
 * A receiver drops a record whose `id` it has: a second try may repeat one it stored.
 * @param {any} event
 * @param {{ log(line: string): void }} actionConsole
 * @returns {AuditTrail}
 */
function auditTrail(event, actionConsole) {
  /** @type {string[]} */
  const records = [];
  const secrets = event?.secrets || {};
  return {
    log(entry) {
      actionConsole.log(entry.audit_line);
      records.push(entry.audit);
      if (auditChannel.hasSubscribers) auditChannel.publish({ audit: entry.audit, audit_line: entry.audit_line });
    },
    async flush() {
      const url = secrets.AUDIT_WEBHOOK_URL;
      if (!url || records.length === 0) return;
      const body = `${records.join('\n')}\n`;
      const deadline = AbortSignal.timeout(AUDIT_WEBHOOK_BUDGET_MS);
      for (let attempt = 0; attempt < 2 && !deadline.aborted; attempt += 1) {
        /** @type {Record<string, string>} */
        const headers = { 'content-type': 'application/x-ndjson' };
        // Signed at each try, so a receiver's clock window starts at the try it sees.
        if (secrets.AUDIT_WEBHOOK_SECRET) headers[webhook.SIGNATURE_HEADER] = webhook.sign(secrets.AUDIT_WEBHOOK_SECRET, body);
        try {
          const res = await fetch(url, { method: 'POST', headers, body, signal: deadline });
          await res.body?.cancel();
          // Stored, or refused for good (a bad signature is not cured by sending it again).
          if (res.status < 500 && res.status !== 429) return;
        } catch {
          // Unreachable, reset or out of time: once more while the budget lasts.
        }
      }
      // Late or down: the console line is what remains of these records.
    },
  };
}

module.exports = {
  load,
  readCapped,
  engineCache,
  eventOrThrow,
  failModeOf,
  orThrow,
  applyCache,
  reportUnstored,
  counterSecrets,
  applyFailMode,
  FAIL_MODE_TABLE,
  auditLine,
  failureLine,
  auditTrail,
  recordId,
  MAX_LINE_CHARS,
};
