// @ts-check
'use strict';
// Recording `api` objects that behave like Auth0's: every call is kept in
// order with a JSON copy of its arguments; methods return what Auth0's return
// (the api itself where Auth0 allows chaining); the cache enforces Auth0's
// limits and answers in its shapes; metadata writes are batched and applied
// after the execution, as Auth0 applies them at the end of the flow.

// Auth0's api.cache limits as documented (https://auth0.com/docs/customize/actions/limitations,
// "Cached data"): "A maximum of 20 entries can be cached per Trigger", "Cache keys have a
// maximum size of 64 bytes and values have a maximum size of 4kB", "The cumulative size of
// cached keys and their values must not exceed 8kB", "Cached items persist for a maximum of
// 24 hours". `set` answers a CacheWriteResult, `{ type: 'error', code }` on failure, never
// throws (the api object reference). Auth0 documents no eviction: a write that does not fit
// is refused, as Auth0's own test loader refuses it (auth0/auth0-actions, `canSetNewCacheRecord`:
// `CacheSizeExceeded`; that loader allows 16 kB + 256 B and any number of entries, looser than
// the documentation, which is what we model). The documentation names no code for the 21st
// entry: it is refused with the same one. Expired entries are gone and count for nothing;
// an update is measured with its new value in place of the old.
const MAX_KEY_BYTES = 64;
const MAX_VALUE_BYTES = 4096;
const MAX_TOTAL_CACHE_BYTES = 8 * 1024;
const MAX_CACHE_ENTRIES = 20;
const MAX_CACHE_TTL_MS = 24 * 60 * 60 * 1000;
const DEFAULT_CACHE_TTL_MS = 15 * 60 * 1000;

// Claims Auth0 refuses to let an Action overwrite.
const RESERVED_CLAIMS = new Set([
  'acr',
  'amr',
  'aud',
  'auth_time',
  'azp',
  'cnf',
  'exp',
  'gty',
  'iat',
  'iss',
  'jti',
  'nbf',
  'nonce',
  'org_id',
  'org_name',
  'permissions',
  'scope',
  'sid',
  'sub',
]);

/** @type {Set<unknown>} */
const MFA_FACTORS = new Set(['otp', 'webauthn-platform', 'webauthn-roaming', 'push-notification', 'phone', 'email', 'recovery-code']);

/**
 * @param {unknown[]} args
 * @returns {unknown[]}
 */
function jsonCopy(args) {
  try {
    return JSON.parse(JSON.stringify(args));
  } catch {
    // A BigInt (or a cycle): the replacer is slow, so only on this path.
    try {
      return JSON.parse(JSON.stringify(args, (_k, v) => (typeof v === 'bigint' ? `${v}n` : v)));
    } catch {
      return args.map((a) => `[unserializable ${typeof a}]`);
    }
  }
}

/** Auth0's `api.cache`, shared between the executions of one Action instance. */
class Cache {
  /**
   * A seed that Auth0 could not hold (over 20 entries or 8 kB, a key or value over its
   * limit) throws: a test cannot start from a cache that cannot exist.
   * @param {Record<string, string | Auth0Actions.CacheRecord>} [initial] values (with the default TTL) or whole records
   * @param {() => number} [clock] epoch milliseconds
   */
  constructor(initial = {}, clock = () => Date.now()) {
    this.clock = clock;
    /** @type {Map<string, Auth0Actions.CacheRecord>} */
    this.data = new Map();
    for (const [k, v] of Object.entries(initial)) {
      const record = typeof v === 'object' && v !== null ? v : { value: String(v), expires_at: clock() + DEFAULT_CACHE_TTL_MS };
      const refused = this.#refuses(k, record.value);
      if (refused) throw new Error(`the cache seed does not fit Auth0's limits at ${JSON.stringify(k)}: ${refused}`);
      this.data.set(k, record);
    }
  }

  /** Drops expired records: Auth0 no longer holds them. */
  #purge() {
    const now = this.clock();
    for (const [k, v] of this.data) if (v.expires_at < now) this.data.delete(k);
  }

  /** Bytes of the live keys and values (UTF-8), what the 8 kB limit counts. */
  size() {
    this.#purge();
    let bytes = 0;
    for (const [k, v] of this.data) bytes += Buffer.byteLength(k, 'utf8') + Buffer.byteLength(v.value, 'utf8');
    return bytes;
  }

  /** Live entries, what the 20-entry limit counts. */
  entries() {
    this.#purge();
    return this.data.size;
  }

  /**
   * The error code a write of `key` = `value` gets from the limits, or undefined.
   * @param {string} key
   * @param {string} value
   * @returns {Auth0Actions.CacheErrorCode | undefined}
   */
  #refuses(key, value) {
    const keySize = Buffer.byteLength(key, 'utf8');
    const valueSize = Buffer.byteLength(value, 'utf8');
    if (keySize > MAX_KEY_BYTES) return 'CacheKeySizeExceeded';
    if (valueSize > MAX_VALUE_BYTES) return 'CacheValueSizeExceeded';
    const existing = this.data.get(key);
    if (!existing && this.entries() >= MAX_CACHE_ENTRIES) return 'CacheSizeExceeded';
    const current = this.size() - (existing ? keySize + Buffer.byteLength(existing.value, 'utf8') : 0);
    if (current + keySize + valueSize > MAX_TOTAL_CACHE_BYTES) return 'CacheSizeExceeded';
    return undefined;
  }

  /**
   * @param {string} key
   * @returns {Auth0Actions.CacheRecord | undefined}
   */
  get(key) {
    const record = this.data.get(key);
    if (!record || record.expires_at < this.clock()) return undefined;
    return record;
  }

  /**
   * @param {string} key
   * @param {string} value
   * @param {Auth0Actions.CacheSetOptions} [options]
   * @returns {Auth0Actions.CacheSetResult}
   */
  set(key, value, options) {
    if (typeof key !== 'string' || typeof value !== 'string') return { type: 'error', code: 'InvalidArgument' };
    const refused = this.#refuses(key, value);
    if (refused) return { type: 'error', code: refused };
    const now = this.clock();
    let expiresAt;
    if (options?.ttl !== undefined) {
      if (typeof options.ttl !== 'number' || !Number.isFinite(options.ttl)) return { type: 'error', code: 'InvalidExpiry' };
      expiresAt = now + Math.floor(options.ttl);
    }
    if (options?.expires_at !== undefined) {
      if (typeof options.expires_at !== 'number' || !Number.isFinite(options.expires_at)) return { type: 'error', code: 'InvalidExpiry' };
      expiresAt = expiresAt === undefined ? Math.floor(options.expires_at) : Math.min(expiresAt, Math.floor(options.expires_at));
    }
    if (expiresAt === undefined) expiresAt = now + DEFAULT_CACHE_TTL_MS;
    if (expiresAt <= now) return { type: 'error', code: 'ItemAlreadyExpired' };
    if (!Number.isSafeInteger(expiresAt)) return { type: 'error', code: 'InvalidExpiry' };
    // Kept at most 24 hours, whatever was asked.
    const record = { value, expires_at: Math.min(expiresAt, now + MAX_CACHE_TTL_MS) };
    this.data.set(key, record);
    return { type: 'success', record };
  }

  /**
   * @param {string} key
   * @returns {Auth0Actions.CacheDeleteResult}
   */
  delete(key) {
    if (!this.data.has(key)) return { type: 'error', code: 'CacheKeyDoesNotExist' };
    this.data.delete(key);
    return { type: 'success' };
  }

  toJSON() {
    return Object.fromEntries(this.data);
  }
}

/**
 * Builds the api for one execution. Returns `{ api, calls, cache, metadata }`:
 * `metadata` holds the batched `setAppMetadata` / `setUserMetadata` writes.
 * @template {Auth0Actions.Trigger} T
 * @param {T} trigger
 * @param {{ cache?: Cache }} [options]
 * @returns {{ api: Auth0Actions.ApiByTrigger[T], calls: Harness.RecordedCall[], cache: Cache, metadata: Harness.Metadata }}
 */
function createApi(trigger, { cache = new Cache() } = {}) {
  /** @type {Harness.RecordedCall[]} */
  const calls = [];
  /** @type {Harness.Metadata} */
  const metadata = { app_metadata: {}, user_metadata: {} };
  // Built namespace by namespace for the trigger (the typed view is the return value's).
  /** @type {Record<string, Record<string, (...args: any[]) => unknown>>} */
  const api = {};

  /**
   * Records the call, runs `check` (which may throw like Auth0 does), returns `ret`.
   * @param {string} name
   * @param {((...args: any[]) => void) | null} [check]
   * @param {(...args: any[]) => any} [ret]
   * @returns {(...args: any[]) => any}
   */
  const method = (name, check, ret = () => api) =>
    function recorded(...args) {
      calls.push({ method: name, args: jsonCopy(args) });
      if (check) check(...args);
      return ret(...args);
    };
  const none = () => undefined;

  /** @param {unknown} key */
  const claim = (key) => {
    if (typeof key !== 'string' || key.length === 0) throw new Error('The custom claim key must be a non-empty string');
    if (RESERVED_CLAIMS.has(key)) throw new Error(`The custom claim "${key}" is reserved and cannot be set`);
  };
  /** @param {keyof Harness.Metadata} bucket */
  const metadataWriter = (bucket) => (/** @type {unknown} */ key, /** @type {unknown} */ value) => {
    if (typeof key !== 'string' || key.length === 0) throw new Error('Metadata key must be a non-empty string');
    if (value === undefined) throw new Error('Metadata value must not be undefined (use null to remove a key)');
    metadata[bucket][key] = jsonCopy([value])[0];
  };
  /** @param {unknown} list */
  const factors = (list) => {
    if (!Array.isArray(list) || list.length === 0) throw new Error('factors must be a non-empty array');
    for (const f of list) {
      if (!f || !MFA_FACTORS.has(f.type)) throw new Error(`Unsupported factor ${JSON.stringify(f)}`);
    }
  };
  /** @param {unknown} f */
  const factor = (f) => {
    if (!MFA_FACTORS.has(f)) throw new Error(`Unsupported factor ${JSON.stringify(f)}`);
  };

  api.cache = {
    get: method('cache.get', null, (key) => cache.get(key)),
    set: method('cache.set', null, (key, value, options) => cache.set(key, value, options)),
    delete: method('cache.delete', null, (key) => cache.delete(key)),
  };

  if (trigger === 'post-login') {
    api.access = {
      deny: method('access.deny', (reason) => {
        if (typeof reason !== 'string') throw new Error('The deny reason must be a string');
      }),
    };
    api.authentication = {
      challengeWith: method('authentication.challengeWith', factor, none),
      challengeWithAny: method('authentication.challengeWithAny', factors, none),
      enrollWith: method('authentication.enrollWith', factor, none),
      enrollWithAny: method('authentication.enrollWithAny', factors, none),
      recordMethod: method('authentication.recordMethod'),
    };
    api.multifactor = {
      enable: method('multifactor.enable', (provider) => {
        if (typeof provider !== 'string') throw new Error('The multifactor provider must be a string');
      }),
    };
    api.idToken = { setCustomClaim: method('idToken.setCustomClaim', claim) };
    api.accessToken = {
      setCustomClaim: method('accessToken.setCustomClaim', claim),
      addScope: method('accessToken.addScope', null, none),
      removeScope: method('accessToken.removeScope', null, none),
    };
    api.user = {
      setAppMetadata: method('user.setAppMetadata', metadataWriter('app_metadata')),
      setUserMetadata: method('user.setUserMetadata', metadataWriter('user_metadata')),
    };
    api.redirect = {
      sendUserTo: method('redirect.sendUserTo'),
      encodeToken: method('redirect.encodeToken', null, () => 'harness.token'),
      validateToken: method('redirect.validateToken', null, () => ({})),
    };
    api.session = { revoke: method('session.revoke', null, none) };
  } else if (trigger === 'pre-user-registration') {
    api.access = {
      deny: method('access.deny', (reason) => {
        if (typeof reason !== 'string') throw new Error('The deny reason must be a string');
      }),
    };
    api.validation = { error: method('validation.error') };
    api.user = {
      setAppMetadata: method('user.setAppMetadata', metadataWriter('app_metadata')),
      setUserMetadata: method('user.setUserMetadata', metadataWriter('user_metadata')),
    };
  } else if (trigger === 'credentials-exchange') {
    api.access = {
      deny: method('access.deny', (code) => {
        if (!['invalid_scope', 'invalid_request', 'server_error'].includes(code)) {
          throw new Error(`The deny code must be invalid_scope, invalid_request or server_error, got ${JSON.stringify(code)}`);
        }
      }),
    };
    api.accessToken = { setCustomClaim: method('accessToken.setCustomClaim', claim) };
  }
  // post-user-registration is non-blocking: the cache is all it gets.

  // The members set above are exactly the trigger's api; TypeScript cannot follow the branches.
  return { api: /** @type {Auth0Actions.ApiByTrigger[T]} */ (/** @type {unknown} */ (api)), calls, cache, metadata };
}

/**
 * The contract's outcome, from the calls an execution made.
 * @param {Pick<Harness.RecordedCall, 'method'>[]} calls
 * @param {unknown} [error]
 * @returns {Harness.Outcome}
 */
function outcomeOf(calls, error) {
  if (error) return 'error';
  const names = new Set(calls.map((c) => c.method));
  if (names.has('access.deny') || names.has('validation.error')) return 'deny';
  for (const n of ['authentication.challengeWith', 'authentication.challengeWithAny', 'authentication.enrollWith', 'authentication.enrollWithAny', 'multifactor.enable']) {
    if (names.has(n)) return 'challenge';
  }
  return 'allow';
}

module.exports = { createApi, outcomeOf, Cache, MAX_KEY_BYTES, MAX_VALUE_BYTES, MAX_TOTAL_CACHE_BYTES, MAX_CACHE_ENTRIES, MAX_CACHE_TTL_MS };
