// @ts-check
'use strict';
// Organization discovery for Auth0 Actions, shared by the post-user-registration
// and post-login shims (`require('actionguard/orgs')`). The decision is the core's;
// this file only fetches what it needs and carries it out through the Management API.
//
// The `auth0` SDK is passed in, not required here: it is the Action's own dependency.

const crypto = require('node:crypto');
const { load, orThrow, auditLine, failureLine } = require('./runtime.js');
const { decideEscalating } = require('./llm.js');
const webhook = require('./webhook.js');
const { instanceValue } = require('./instance-value.js');

/** @typedef {import('./actionguard.js').Engine} Engine */
/** @typedef {import('./actionguard.js').OrgIndex} OrgIndex */
/** @typedef {import('./actionguard.js').OrgRecord} OrgRecord */
/** @typedef {import('./actionguard.js').OrganizationSuccess} OrganizationSuccess */
/**
 * @template T
 * @typedef {import('./actionguard.js').Success<T>} Success
 */
/** @typedef {import('./runtime.js').Secrets} Secrets */
/** @typedef {'requested' | 'already_requested' | 'already_invited' | 'roles_completed'} Effect What carrying out a decision did, besides the decision itself. */
/** @typedef {{ decision: OrganizationSuccess, effect: Effect | undefined }} Discovered What `discover` resolves to. */
/**
 * @typedef {object} DiscoverArgs
 * @property {any} auth0 The Action's `auth0` SDK module.
 * @property {Engine} engine
 * @property {any} event The Action's `event`.
 * @property {any} api The Action's `api`.
 * @property {boolean} [memberships] Also look up the user's organizations (post-login).
 * @property {boolean} [completeJoin] The post-login answer's `discovery.complete_join`.
 * @property {Map<string, number>} [approvals] Approval requests this instance sent (`createDiscovery` keeps it).
 */
/**
 * @typedef {object} RunArgs `DiscoverArgs`, and where and how to audit.
 * @property {import('./runtime.js').Trigger} trigger The trigger the audit lines name.
 * @property {import('./runtime.js').AuditTrail} audit The shim's audit trail.
 * @property {Record<string, unknown>} failure Fields of a failure's audit line.
 * @property {number} [budgetMs] How long the shim waits for it.
 * @property {boolean} [remember] Write the answer's `marker` to `app_metadata.actionguard_org` (post-login).
 */
/** @typedef {{ run(args: DiscoverArgs & RunArgs): Promise<OrganizationSuccess | undefined> }} Discovery What `createDiscovery` returns. */
/** @typedef {{ index: OrgIndex, ageMs: number }} IndexView An index and how old its data is. */
/**
 * @typedef {object} IndexPolicy How an index is kept.
 * @property {boolean} refresh Rebuild it every INDEX_TTL_MS (false for a pinned snapshot, which cannot change).
 * @property {number} maxAgeMs Past this age an execution waits for the refresh rather than decide on it.
 */
/**
 * @typedef {(source: string, build: () => Promise<OrgIndex>, policy: IndexPolicy) => Promise<IndexView>} GetIndex
 * `source` names what the index is built from.
 */
/**
 * @typedef {object} Tokens The Management API token of one Action instance.
 * @property {(secrets: Secrets) => Promise<string>} get A live token, requested when none is (one request at a time).
 * @property {(token: string) => void} drop Forget `token` (the API refused it).
 */
/**
 * @template T
 * @typedef {{ data: T[], hasNextPage(): boolean, getNextPage(): Promise<Page<T>> }} Page A page of an `auth0` SDK list.
 */

// An instance rebuilds its index at most this often, in the background (and, after a failed
// build, not before its backoff ends: a live build is a request per organization).
const INDEX_TTL_MS = 5 * 60 * 1000;
// A token is used until this long before it expires (at most half its life).
const TOKEN_MARGIN_S = 300;
const HTTP_TIMEOUT_MS = 5000;
const APPROVAL_TIMEOUT_MS = 2000;

/**
 * @param {string} code
 * @param {string} message
 * @param {number} [statusCode]
 */
function fail(code, message, statusCode) {
  return Object.assign(new Error(message), { code, statusCode });
}

// fetch, with a network failure or a timeout turned into an error with a code
// (`<what>_timeout`, `<what>_unreachable`) for the audit line.
/**
 * @param {string} what
 * @param {string} url
 * @param {RequestInit} init
 * @returns {Promise<Response>}
 */
async function fetchOr(what, url, init) {
  try {
    return await fetch(url, init);
  } catch (err) {
    throw fail(err?.name === 'TimeoutError' ? `${what}_timeout` : `${what}_unreachable`, `the ${what} request failed`);
  }
}

// The Management API token lives in this Action instance's memory (module scope),
// never in api.cache: Auth0 shares api.cache with every Action bound to the trigger,
// and this token can add any user to any organization. One request at a time: the
// executions that need a token while it is requested wait for that one.
/** @returns {Tokens} */
function tokenSource() {
  /** @type {{ key: string, token: string, until: number } | undefined} */
  let held;
  /** @type {{ key: string, promise: Promise<string> } | undefined} */
  let pending;
  return {
    get(secrets) {
      const key = `${secrets.AUTH0_DOMAIN}\0${secrets.AUTH0_CLIENT_ID}`;
      if (held && held.key === key && Date.now() < held.until) return Promise.resolve(held.token);
      if (!pending || pending.key !== key) {
        const promise = requestToken(secrets)
          .then(({ token, until }) => {
            held = { key, token, until };
            return token;
          })
          .finally(() => {
            if (pending?.promise === promise) pending = undefined;
          });
        pending = { key, promise };
      }
      return pending.promise;
    },
    drop(token) {
      if (held?.token === token) held = undefined;
    },
  };
}

/**
 * @param {Secrets} secrets
 * @returns {Promise<{ token: string, until: number }>} the token and until when to use it (epoch ms)
 */
async function requestToken(secrets) {
  const domain = secrets.AUTH0_DOMAIN;
  const asked = Date.now();
  const res = await fetchOr('token', `https://${domain}/oauth/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({
      grant_type: 'client_credentials',
      client_id: secrets.AUTH0_CLIENT_ID,
      client_secret: secrets.AUTH0_CLIENT_SECRET,
      audience: `https://${domain}/api/v2/`,
    }),
    signal: AbortSignal.timeout(HTTP_TIMEOUT_MS),
  });
  if (!res.ok) throw fail('token_failed', 'the token endpoint refused', res.status);
  const grant = /** @type {{ access_token?: unknown, expires_in?: unknown }} */ (await res.json());
  if (typeof grant.access_token !== 'string' || !grant.access_token) throw fail('token_failed', 'the token endpoint gave no token', res.status);
  // Counted from when it was asked for, so the margin covers the request's own time.
  const life = typeof grant.expires_in === 'number' && grant.expires_in > 0 ? grant.expires_in : 3600;
  return { token: grant.access_token, until: asked + (life - Math.min(TOKEN_MARGIN_S, life / 2)) * 1000 };
}

/**
 * The SDK's client on the instance's token. A request the API refuses with 401 (the
 * token was revoked, or its signing key rotated) drops the token and is sent once
 * more with a new one.
 * @param {any} auth0
 * @param {Secrets} secrets
 * @param {Tokens} tokens
 * @returns {any} The SDK's `ManagementClient`.
 */
function managementClient(auth0, secrets, tokens) {
  /** @type {typeof fetch} */
  const retrying401 = async (input, init) => {
    const res = await fetch(input, init);
    if (res.status !== 401) return res;
    const headers = new Headers(init?.headers);
    const used = (headers.get('authorization') || '').replace(/^Bearer /i, '');
    tokens.drop(used);
    /** @type {string} */
    let fresh;
    try {
      fresh = await tokens.get(secrets);
    } catch {
      return res; // audited as the 401 it was; the next execution asks for a token again
    }
    if (!used || fresh === used) return res;
    headers.set('authorization', `Bearer ${fresh}`);
    return fetch(input, { ...init, headers });
  };
  // The SDK retries 408, 429 (as x-ratelimit-reset says) and 5xx twice; a request that
  // hangs gives up after HTTP_TIMEOUT_MS.
  return new auth0.ManagementClient({
    domain: secrets.AUTH0_DOMAIN,
    token: () => tokens.get(secrets),
    fetch: retrying401,
    timeoutInSeconds: HTTP_TIMEOUT_MS / 1000,
  });
}

/**
 * Every item of a paginated SDK list, page after page (the SDK waits out 429s).
 * @template T
 * @param {Page<T> | Promise<Page<T>>} first
 * @returns {Promise<T[]>}
 */
async function all(first) {
  /** @type {T[]} */
  const items = [];
  for (let page = await first; ; page = await page.getNextPage()) {
    items.push(...page.data);
    if (!page.hasNextPage()) return items;
  }
}

// Every organization with its discovery domains and enabled connections, in pages of
// at most 50 (the SDK waits out a 429 as x-ratelimit-reset says): two requests per
// organization, so large tenants publish a snapshot instead (scripts/sync-orgs, which
// uses this too).
// Resolves to `{ index, warnings }` (records skipped, each with its reason).
/**
 * @param {any} mgmt
 * @param {Secrets} [secrets]
 * @param {{ maxOrganizations?: number }} [options] refuse a tenant with more organizations (`snapshot_required`)
 * @returns {Promise<Success<{ index: OrgIndex }>>}
 */
async function buildFromApi(mgmt, secrets, { maxOrganizations } = {}) {
  /** @type {OrgRecord[]} */
  const records = [];
  for (const org of await listOrganizations(mgmt, maxOrganizations)) {
    const domains = await all(mgmt.organizations.discoveryDomains.list(org.id, { take: 50 }));
    // The connections the organization enabled: an enterprise or social connection's
    // email_verified counts for a join only there (or when the policy trusts it). Offset
    // pages only; with per_page given, the SDK stops at a short page (one request).
    const enabled = await all(mgmt.organizations.enabledConnections.list(org.id, { per_page: 50 }));
    const connections = enabled.map((c) => c.connection?.name).filter((name) => typeof name === 'string');
    records.push({ id: org.id, name: org.name, metadata: org.metadata, discovery_domains: domains, enabled_connections: connections });
  }
  return orThrow((await load(secrets)).buildOrgIndex(records));
}

// The organizations, page by page. Past `max` the listing stops at once (a page over
// it, not the whole list) and the build is refused: at that size the per-organization
// requests belong in scripts/sync-orgs, not in every Action instance.
/**
 * @param {any} mgmt
 * @param {number} [max]
 * @returns {Promise<any[]>}
 */
async function listOrganizations(mgmt, max) {
  const orgs = [];
  for (let page = await mgmt.organizations.list({ take: 50 }); ; page = await page.getNextPage()) {
    orgs.push(...page.data);
    if (max !== undefined && orgs.length > max) {
      const refused = fail('snapshot_required', `more than ${max} organizations (organizations.live_index_max): publish a snapshot with scripts/sync-orgs`);
      throw Object.assign(refused, { path: 'organizations.live_index_max' });
    }
    if (!page.hasNextPage()) return orgs;
  }
}

// A snapshot is only trusted with the SHA-256 it was published with.
/**
 * @param {Secrets} secrets
 * @returns {Promise<OrgIndex>}
 */
async function indexFromSnapshot(secrets) {
  const res = await fetchOr('snapshot', secrets.ORGMAP_SNAPSHOT_URL, { signal: AbortSignal.timeout(HTTP_TIMEOUT_MS) });
  if (!res.ok) throw fail('snapshot_unavailable', 'the snapshot could not be fetched', res.status);
  const bytes = new Uint8Array(await res.arrayBuffer());
  const digest = crypto.createHash('sha256').update(bytes).digest('hex');
  if (digest !== String(secrets.ORGMAP_SNAPSHOT_SHA256).toLowerCase()) throw fail('snapshot_integrity', 'the snapshot does not match ORGMAP_SNAPSHOT_SHA256');
  return orThrow((await load(secrets)).loadOrgSnapshot(bytes)).index;
}

// The index of one Action instance (js/instance-value.js: one build at a time, refreshed
// in the background every INDEX_TTL_MS, waited for past the policy's maximum age, backing
// off after a failure), keyed by its source: a new snapshot pin is a new index. A warm
// instance whose refresh failed serves its old index, whose age keeps growing (reported to
// the core, which past the maximum only suggests).
/** @returns {GetIndex} */
function indexCache() {
  /** @type {import('./instance-value.js').GetValue<OrgIndex>} */
  const get = instanceValue();
  return async (source, build, { refresh, maxAgeMs }) => {
    const { value, ageMs } = await get(source, build, { refresh, ttlMs: INDEX_TTL_MS, maxAgeMs });
    return { index: value, ageMs };
  };
}

// A proposed organization goes to a person, signed (HMAC-SHA256 of the body) and keyed
// by tenant and domain, so every sign-up from one new domain asks the same question
// once: this instance skips repeats, the key lets the approver drop the rest.
/**
 * @param {Secrets} secrets
 * @param {string | null} tenant
 * @param {OrganizationSuccess} decision A `create_for_approval` one.
 * @param {Map<string, number>} approvalsSent this instance's requests
 * @returns {Promise<'requested' | 'already_requested'>}
 */
async function requestApproval(secrets, tenant, decision, approvalsSent) {
  const dedupeKey = crypto.createHash('sha256').update(`create_organization\0${tenant}\0${decision.proposal.domain}`).digest('hex').slice(0, 32);
  const seen = `${secrets.APPROVAL_WEBHOOK_URL}\0${dedupeKey}`;
  const sentAt = approvalsSent.get(seen);
  if (sentAt !== undefined && Date.now() - sentAt < APPROVAL_MEMORY_MS) return 'already_requested';
  // Marked while in flight (a concurrent execution does not ask too); a failure unmarks it.
  approvalsSent.delete(seen);
  approvalsSent.set(seen, Date.now());
  for (const oldest of approvalsSent.keys()) {
    if (approvalsSent.size <= APPROVAL_MEMORY_MAX) break;
    approvalsSent.delete(oldest);
  }
  try {
    return await postApproval(secrets, tenant, decision, dedupeKey);
  } catch (err) {
    approvalsSent.delete(seen);
    throw err;
  }
}

/**
 * @param {Secrets} secrets
 * @param {string | null} tenant
 * @param {OrganizationSuccess} decision
 * @param {string} dedupeKey
 * @returns {Promise<'requested'>}
 */
async function postApproval(secrets, tenant, decision, dedupeKey) {
  const body = JSON.stringify({
    kind: 'create_organization',
    dedupe_key: dedupeKey,
    tenant,
    proposal: decision.proposal,
    requested_by: JSON.parse(decision.audit).user,
    requested_at: new Date().toISOString(),
  });
  const res = await fetchOr('approval', secrets.APPROVAL_WEBHOOK_URL, {
    method: 'POST',
    headers: { 'content-type': 'application/json', [webhook.SIGNATURE_HEADER]: webhook.sign(secrets.APPROVAL_WEBHOOK_SECRET, body), 'idempotency-key': dedupeKey },
    body,
    signal: AbortSignal.timeout(APPROVAL_TIMEOUT_MS),
  });
  if (!res.ok) throw fail('approval_failed', 'the approval webhook refused', res.status);
  return 'requested';
}

// Approval requests an Action instance sent (or is sending), by receiver and dedupe key,
// for a day (`createDiscovery` keeps them): a repeat is not sent again from there, whatever
// api.cache holds. Across instances the `idempotency-key` lets the receiver drop repeats
// (the control plane keeps one row per dedupe key), so no api.cache entry is spent on
// them (Auth0 keeps 20 per trigger, for every Action bound to it, and a full cache must
// not turn the de-duplication off).
const APPROVAL_MEMORY_MS = 24 * 3600 * 1000;
const APPROVAL_MEMORY_MAX = 1000;

/**
 * Organization discovery for one Action: create it at module scope (it keeps the
 * index), then `run(...)` per execution. `run` decides and carries out the decision
 * for `event.user` and writes its audit lines to `audit` (the shim's audit trail):
 * the decision's, its effect's (`requested`, `already_requested`, `already_invited`,
 * `roles_completed`), or a failure's, with `failure`'s fields (only the error's
 * code, path and HTTP status are kept). Resolves to the decision, or undefined when
 * none was carried out (failed, or not within `budgetMs`: its writes are idempotent,
 * so one that finishes later does no harm). Never rejects. `remember`: write the
 * decision's marker to `app_metadata.actionguard_org`. `memberships`: also look
 * up the user's organizations (post-login); `completeJoin`: the post-login answer's
 * `discovery.complete_join`, passed to the core (which may then answer `complete_roles`).
 * @returns {Discovery}
 */
function createDiscovery() {
  const getIndex = indexCache();
  const tokens = tokenSource();
  /** @type {Map<string, number>} */
  const approvals = new Map();
  return { run: (args) => run(getIndex, tokens, { ...args, approvals }) };
}

/**
 * @param {GetIndex} getIndex
 * @param {Tokens} tokens
 * @param {DiscoverArgs & RunArgs} args
 * @returns {Promise<OrganizationSuccess | undefined>}
 */
async function run(getIndex, tokens, { trigger, audit, failure, budgetMs, remember = false, ...args }) {
  let timer;
  /** @type {Promise<never>} */
  const budget = new Promise((_, reject) => {
    if (budgetMs) timer = setTimeout(() => reject(fail('budget_exceeded', 'organization discovery exceeded its budget')), budgetMs);
  });
  try {
    const work = discover(getIndex, tokens, args);
    work.catch(() => {}); // settled later when the budget wins
    const { decision, effect } = await Promise.race([work, budget]);
    audit.log(decision);
    if (effect) audit.log(auditLine(trigger, args.event, { effect }));
    if (remember) args.api.user.setAppMetadata('actionguard_org', decision.marker);
    return decision;
  } catch (err) {
    if (err?.decision) audit.log(err.decision);
    audit.log(failureLine(trigger, args.event, err, failure));
    return undefined;
  } finally {
    clearTimeout(timer);
  }
}

/**
 * @param {GetIndex} getIndex
 * @param {Tokens} tokens
 * @param {DiscoverArgs} args
 * @returns {Promise<Discovered>}
 */
async function discover(getIndex, tokens, { auth0, engine, event, api, memberships = false, completeJoin = false, approvals = new Map() }) {
  const secrets = event.secrets || {};
  const user = event.user || {};
  if (!secrets.AUTH0_DOMAIN || !secrets.AUTH0_CLIENT_ID || !secrets.AUTH0_CLIENT_SECRET) {
    throw fail('not_configured', 'AUTH0_DOMAIN, AUTH0_CLIENT_ID and AUTH0_CLIENT_SECRET are needed for organization discovery');
  }
  // A token first: a token endpoint that refuses is audited as such (token_failed).
  await tokens.get(secrets);
  const mgmt = managementClient(auth0, secrets, tokens);
  const kept = { refresh: !secrets.ORGMAP_SNAPSHOT_URL, maxAgeMs: engine.indexMaxAgeMs };
  const { index: orgIndex, ageMs } = secrets.ORGMAP_SNAPSHOT_URL
    ? await getIndex(`snapshot\0${secrets.ORGMAP_SNAPSHOT_URL}\0${String(secrets.ORGMAP_SNAPSHOT_SHA256).toLowerCase()}`, () => indexFromSnapshot(secrets), kept)
    : await getIndex(`api\0${secrets.AUTH0_DOMAIN}`, () => buildFromApi(mgmt, secrets, { maxOrganizations: engine.liveIndexMax }).then((built) => built.index), kept);
  const memberOf = memberships && user.user_id ? (await all(mgmt.users.organizations.list(user.user_id, {}))).map((o) => o.id) : undefined;
  const decision = await decideEscalating(
    engine,
    (context) => engine.decideOrganization(orgIndex, context),
    {
      tenant: event.tenant,
      user: { user_id: user.user_id, email: user.email, email_verified: user.email_verified, app_metadata: user.app_metadata },
      // The strategy says whose word email_verified is (Auth0's for database and passwordless email).
      connection: { name: event.connection?.name, strategy: event.connection?.strategy },
      member_of: memberOf,
      complete_join: completeJoin,
      // Its age only: whether it is too old to join on is the core's call.
      index_age_ms: ageMs,
      now_ms: Date.now(),
    },
    secrets,
    api,
  );
  try {
    return { decision, effect: await carryOut(mgmt, decision, event, api, approvals) };
  } catch (err) {
    err.decision = decision;
    throw err;
  }
}

// Invitations sent to a user are kept with the user (`app_metadata.actionguard_invited`),
// not in api.cache, whose 20 entries per trigger are shared by every Action bound to it;
// which to send again and what to remember is the core's (`invitationStep`).
const INVITED_KEY = 'actionguard_invited';

/**
 * The user's invitation record as stored, and how to write one: post-login through
 * `api.user` (from the event); post-user-registration, which has no `api.user`, through
 * the Management API (read fresh: a repeated execution carries the same event), which
 * needs `read:users` and `update:users_app_metadata`.
 * @param {any} mgmt
 * @param {any} event
 * @param {any} api
 * @returns {Promise<{ stored: unknown, save(record: Record<string, string>): Promise<void> }>}
 */
async function invitations(mgmt, event, api) {
  const userId = event.user?.user_id;
  if (typeof api.user?.setAppMetadata === 'function') {
    return {
      stored: event.user?.app_metadata?.[INVITED_KEY],
      save: async (record) => {
        api.user.setAppMetadata(INVITED_KEY, record);
      },
    };
  }
  if (typeof userId !== 'string' || !userId) throw fail('invite_unrecorded', 'an invitation cannot be recorded for a user without an id');
  const user = await mgmt.users.get(userId, { fields: 'app_metadata', include_fields: true });
  return {
    stored: user?.app_metadata?.[INVITED_KEY],
    save: async (record) => {
      await mgmt.users.update(userId, { app_metadata: { [INVITED_KEY]: record } });
    },
  };
}

/**
 * @param {any} mgmt
 * @param {OrganizationSuccess} decision
 * @param {any} event
 * @param {any} api
 * @param {Map<string, number>} approvals this instance's approval requests
 * @returns {Promise<Effect | undefined>}
 */
async function carryOut(mgmt, decision, event, api, approvals) {
  const secrets = event.secrets || {};
  const user = event.user || {};
  const org = decision.organization;
  if (decision.action === 'join') {
    // Adding a member or a role twice is a no-op on Auth0: retries (the SDK's, on 429
    // and 5xx, or a later execution's) cannot duplicate anything.
    await mgmt.organizations.members.create(org.id, { members: [user.user_id] });
    if (decision.roles.length) await mgmt.organizations.members.roles.assign(org.id, user.user_id, { roles: decision.roles });
  } else if (decision.action === 'complete_roles') {
    await mgmt.organizations.members.roles.assign(org.id, user.user_id, { roles: decision.roles });
    return 'roles_completed';
  } else if (decision.action === 'invite' && secrets.INVITATION_CLIENT_ID) {
    // An invitation is not idempotent (a retry after a 5xx that was in fact processed
    // sends a second email): no retries, and one per user and organization while the
    // user's app_metadata remembers it. The mark is written first: a mark that cannot
    // be written means no invitation (never a repeat); a failed invitation takes its
    // mark back, and is sent again by the first login's discovery.
    const invited = await invitations(mgmt, event, api);
    const step = orThrow((await load(secrets)).invitationStep(invited.stored, org.id, Date.now()));
    if (step.already_invited) return 'already_invited';
    await invited.save(step.record);
    try {
      await mgmt.organizations.invitations.create(
        org.id,
        {
          inviter: { name: 'ActionGuard' },
          invitee: { email: user.email },
          client_id: secrets.INVITATION_CLIENT_ID,
          roles: decision.roles,
        },
        { maxRetries: 0 },
      );
    } catch (err) {
      await invited.save(step.without).catch(() => {});
      throw err;
    }
  } else if (decision.action === 'create_for_approval' && secrets.APPROVAL_WEBHOOK_URL && secrets.APPROVAL_WEBHOOK_SECRET) {
    return requestApproval(secrets, event.tenant?.id ?? null, decision, approvals);
  }
  return undefined;
}

module.exports = { createDiscovery, buildFromApi, allPages: all };
