'use strict';
// `actionguard review members`: the access review. Read-only by default: it reads the
// organizations, their discovery domains and members from the Management API, each
// member's latest success and MFA use from the stored logs, and Auth0's last_login
// (and email_verified) only for the members the logs cannot answer for (bounded);
// the core decides what is flagged and why. With `propose`, the requests it makes
// (remove a membership, verify a domain, a stricter tier) go into the approval queue,
// de-duplicated across runs. Nothing is written to the tenant here: an approved request
// is executed by `approvals execute` (execute, below), which checks it again first.
//
// Scopes: read:organizations, read:organization_members, read:organization_discovery_domains
// and read:users to review; delete:organization_members (remove_membership) and
// update:organization_discovery_domains (verify_domain) to execute.

const dns = require('node:dns');
const core = require('actionguard/control-plane');
const { orThrow } = require('../core.js');
const common = require('./common.js');

/** Users looked up (last_login, email_verified) per review at most: a request each. */
const DEFAULT_MAX_LOOKUPS = 1_000;
/** Where a review remembers when it first saw a discovery domain pending. */
const pendingSince = (/** @type {string} */ orgId, /** @type {string} */ domain) => `review:pending:${orgId}:${domain}`;
/** The latest review, for the health report's section. */
const LATEST = 'review:latest';

/** @param {any} answer an SDK answer: the object, or a response holding it */
const dataOf = (answer) => (answer && typeof answer === 'object' && 'data' in answer && !('id' in answer) ? answer.data : answer);

/** @param {string[]} codes @returns {Record<string, number>} */
function countBy(codes) {
  /** @type {Record<string, number>} */
  const by = {};
  for (const c of codes) by[c] = (by[c] ?? 0) + 1;
  return by;
}

/** @param {unknown} v @returns {number | null} */
const msOf = (v) => {
  const ms = typeof v === 'string' ? Date.parse(v) : NaN;
  return Number.isFinite(ms) ? ms : null;
};

/**
 * Gathers what the core reviews.
 * @param {import('../store/index.js').Store} store
 * @param {any} mgmt
 * @param {{ org?: string, policy?: string | null, tenant?: string | null, layersKey?: string | null, nowMs?: () => number,
 *   sleep?: (ms: number) => Promise<void>, maxLookups?: number, log?: (e: Record<string, unknown>) => void }} options
 */
async function gather(store, mgmt, { org, policy = null, tenant = null, layersKey = null, nowMs = Date.now, sleep, maxLookups = DEFAULT_MAX_LOOKUPS, log = () => {} }) {
  const retry = { sleep, nowMs };
  const now = nowMs();
  const orgs = org
    ? [dataOf(await common.withRetries(() => mgmt.organizations.get(org), { ...retry, what: `GET organizations/${org}` }))]
    : await common.listAll((q) => mgmt.organizations.list(q), 'organizations', { ...retry, what: 'GET organizations' });
  const activity = await store.userActivity({ successTypes: core.reviewSuccessLogTypes(), mfaTypes: core.reviewMfaLogTypes() });
  const byUser = new Map(activity.users.map((u) => [u.user_id, u]));
  let lookups = 0;
  let skippedLookups = 0;
  const organizations = [];
  for (const o of orgs) {
    if (!o || typeof o.id !== 'string') continue;
    const domains = await common.listAll((q) => mgmt.organizations.discoveryDomains.list(o.id, q), 'domains', { ...retry, what: `GET organizations/${o.id}/discovery-domains` });
    const members = await common.listAll((q) => mgmt.organizations.members.list(o.id, q), 'members', { ...retry, what: `GET organizations/${o.id}/members` });
    const reviewed = [];
    for (const m of members) {
      if (!m || typeof m.user_id !== 'string') continue;
      const seen = byUser.get(m.user_id);
      /** @type {Record<string, unknown>} */
      const member = { user_id: m.user_id, email: typeof m.email === 'string' ? m.email : null, last_success_ms: seen?.last_success_ms ?? null, mfa_seen: seen?.mfa_seen === true };
      // The logs answer for most members; Auth0's profile (last_login, email_verified)
      // for those the logs have no success of, as many as the bound allows.
      if (seen?.last_success_ms == null) {
        if (lookups < maxLookups) {
          lookups += 1;
          const what = `GET users/${m.user_id}`;
          const user = dataOf(
            await common.withRetries(() => mgmt.users.get(m.user_id, { fields: 'user_id,last_login,created_at,email,email_verified', include_fields: true }), { ...retry, what }),
          );
          member.last_login_ms = msOf(user?.last_login);
          member.created_ms = msOf(user?.created_at);
          if (typeof user?.email_verified === 'boolean') member.email_verified = user.email_verified;
        } else skippedLookups += 1;
      }
      reviewed.push(member);
    }
    const reviewedDomains = [];
    for (const d of domains) {
      if (!d || typeof d.domain !== 'string') continue;
      /** @type {Record<string, unknown>} */
      const entry = { domain: d.domain, status: String(d.status ?? '') };
      const name = pendingSince(o.id, d.domain.toLowerCase());
      if (entry.status !== 'pending') {
        // Verified since: a later pending spell (removed and added again) starts afresh.
        if (await store.getCheckpoint(name)) await store.setCheckpoint(name, '');
      } else {
        let since = Number(await store.getCheckpoint(name));
        if (!Number.isFinite(since) || since <= 0) {
          since = now;
          await store.setCheckpoint(name, String(now));
        }
        entry.first_seen_pending_ms = since;
      }
      reviewedDomains.push(entry);
    }
    organizations.push({
      id: o.id,
      name: typeof o.name === 'string' ? o.name : '',
      metadata: o.metadata && typeof o.metadata === 'object' ? o.metadata : {},
      domains: reviewedDomains,
      members: reviewed,
    });
  }
  if (skippedLookups > 0) log({ msg: 'review: users not looked up (bound reached)', skipped: skippedLookups, bound: maxLookups });
  return { policy, tenant, layers_key: layersKey, now_ms: now, logs_from_ms: activity.oldest_ms, organizations, lookups, skippedLookups };
}

/**
 * The review: gathered, decided by the core; with `propose`, its requests queued.
 * @param {import('../store/index.js').Store} store
 * @param {any} mgmt
 * @param {Parameters<typeof gather>[2] & { propose?: boolean }} options
 */
async function review(store, mgmt, options = {}) {
  const { lookups: gathered, skippedLookups, ...input } = await gather(store, mgmt, options);
  let lookups = gathered;
  let answer = orThrow(core.reviewMembers(/** @type {import('actionguard').ReviewInput} */ (/** @type {unknown} */ (input))));
  // A member outside the organization's domains is proposed for removal only when the
  // address is verified: look up the ones the first pass could not tell, then decide again.
  const maxLookups = options.maxLookups ?? DEFAULT_MAX_LOOKUPS;
  const unknown = new Set();
  for (const o of answer.organizations) {
    for (const f of o.findings) if (f.code === 'member_domain_outside' && !f.proposal) unknown.add(f.subject);
  }
  const members = input.organizations.flatMap((o) => o.members).filter((m) => unknown.has(m.user_id) && m.email_verified === undefined);
  const verified = new Map();
  for (const m of members) {
    if (verified.has(m.user_id) || lookups >= maxLookups) continue;
    lookups += 1;
    const what = `GET users/${m.user_id}`;
    const user = dataOf(
      await common.withRetries(() => mgmt.users.get(/** @type {string} */ (m.user_id), { fields: 'user_id,email_verified', include_fields: true }), {
        sleep: options.sleep,
        nowMs: options.nowMs,
        what,
      }),
    );
    verified.set(m.user_id, user?.email_verified === true);
  }
  for (const m of members) if (verified.has(m.user_id)) m.email_verified = verified.get(m.user_id);
  answer = orThrow(core.reviewMembers(/** @type {import('actionguard').ReviewInput} */ (/** @type {unknown} */ ({ ...input, markdown: true }))));
  const { type, warnings, ...result } = answer;
  /** @type {{ dedupe_key: string, kind: string, status: string, requests_seen: number }[]} */
  const proposed = [];
  if (options.propose) {
    for (const request of result.proposals) {
      const r = await common.propose(store, request);
      proposed.push({ dedupe_key: r.dedupe_key, kind: request.kind, status: r.status, requests_seen: r.requests_seen });
    }
  }
  // Kept for the health report's access review section (the latest tenant-wide run: a
  // review of one organization does not replace it): per flagged organization, its
  // findings counted by code.
  const flagged = result.organizations
    .filter((o) => o.findings.length > 0)
    .map((o) => ({
      id: o.id,
      name: o.name,
      tier: o.tier,
      members: o.members,
      findings: countBy(o.findings.map((f) => f.code)),
    }));
  const { generated_ms, stale_days, pending_domain_days, summary } = result;
  if (!options.org) await store.setCheckpoint(LATEST, JSON.stringify({ generated_ms, stale_days, pending_domain_days, summary, organizations: flagged }));
  return { ...result, warnings, proposed, lookups, lookups_skipped: skippedLookups };
}

/**
 * Executes an approved remove_membership or verify_domain (approvals.execute calls it
 * after the core checked the stored request). Each write leaves an audit record.
 * @param {{ store: import('../store/index.js').Store, mgmt: any, row: import('../store/index.js').ApprovalRow, request: any,
 *   sleep?: (ms: number) => Promise<void>, nowMs?: () => number, resolveTxt?: (host: string) => Promise<string[][]> }} ctx
 * @returns {Promise<{ done: string }>}
 */
async function execute({ store, mgmt, row, request, sleep, nowMs = Date.now, resolveTxt = dns.promises.resolveTxt }) {
  const p = request.proposal;
  const retry = { sleep, nowMs };
  const write = {
    approval: row.dedupe_key,
    kind: request.kind,
    job: request.job,
    organization_id: p.organization_id,
    approved_by: row.decided_by ?? null,
    reasons: request.reasons,
  };
  /** @param {string} action @param {'done' | 'failed' | 'skipped'} outcome @param {string | null} [error] */
  const record = (action, outcome, error = null) => common.recordWrite(store, { ...write, action, outcome, error, ts_ms: nowMs() });

  if (request.kind === 'remove_membership') {
    const action = `DELETE organizations/${p.organization_id}/members ${p.user_id}`;
    // Still a member? A re-run after a crash, or someone else removed them: nothing to do.
    const orgs = await common
      .listAll((q) => mgmt.users.organizations.list(p.user_id, q), 'organizations', { ...retry, what: `GET users/${p.user_id}/organizations` })
      .catch((err) => {
        if (err?.status === 404) return [];
        throw err;
      });
    if (!orgs.some((o) => o?.id === p.organization_id)) {
      await record(action, 'skipped');
      return { done: `${p.user_id} is no longer a member of ${p.organization_id}: nothing removed` };
    }
    // Stale still, or kept: a success within the window (the logs, pulled late or not,
    // and Auth0's last_login) means the finding no longer holds.
    if (p.finding === 'member_stale') {
      const [seen] = (await store.userActivity({ successTypes: core.reviewSuccessLogTypes(), mfaTypes: core.reviewMfaLogTypes(), userId: p.user_id })).users;
      const user = dataOf(
        await common.withRetries(() => mgmt.users.get(p.user_id, { fields: 'user_id,last_login', include_fields: true }), { ...retry, what: `GET users/${p.user_id}` }),
      );
      const stale = orThrow(
        core.reviewStillStale({ stale_days: p.stale_days, now_ms: nowMs(), last_success_ms: seen?.last_success_ms ?? null, last_login_ms: msOf(user?.last_login) }),
      );
      if (!stale.still_stale) {
        await record(action, 'skipped', 'signed in within the stale window');
        return { done: `${p.user_id} signed in within ${p.stale_days} days: membership kept` };
      }
    }
    try {
      await common.withRetries(() => mgmt.organizations.members.delete(p.organization_id, { members: [p.user_id] }), { ...retry, what: action });
    } catch (err) {
      await record(action, 'failed', String(/** @type {any} */ (err)?.message ?? err));
      throw err;
    }
    await record(action, 'done');
    return { done: `${p.user_id} removed from ${p.organization_id}` };
  }

  // verify_domain: only with the DNS proof Auth0 asks for, found by this executor.
  const action = `PATCH organizations/${p.organization_id}/discovery-domains ${p.domain} status=verified`;
  const domains = await common.listAll((q) => mgmt.organizations.discoveryDomains.list(p.organization_id, q), 'domains', {
    ...retry,
    what: `GET organizations/${p.organization_id}/discovery-domains`,
  });
  const d = domains.find((x) => typeof x?.domain === 'string' && x.domain.toLowerCase() === p.domain);
  if (!d) {
    await record(action, 'failed', 'the domain is no longer on the organization');
    throw common.governanceError('domain_gone', `${p.domain} is no longer a discovery domain of ${p.organization_id}`);
  }
  if (d.status === 'verified') {
    await record(action, 'skipped');
    return { done: `${p.domain} was already verified` };
  }
  /** @type {string[][]} */
  let records = [];
  try {
    records = await resolveTxt(d.verification_host);
  } catch {
    records = []; // no such record (ENODATA, ENOTFOUND...): not published
  }
  if (!records.some((chunks) => chunks.join('') === d.verification_txt)) {
    const why = `no TXT record ${d.verification_txt} at ${d.verification_host}: the customer must publish it first`;
    await record(action, 'failed', why);
    throw common.governanceError('dns_unverified', `${p.domain}: ${why}`);
  }
  try {
    await common.withRetries(() => mgmt.organizations.discoveryDomains.update(p.organization_id, d.id, { status: 'verified' }), { ...retry, what: action });
  } catch (err) {
    await record(action, 'failed', String(/** @type {any} */ (err)?.message ?? err));
    throw err;
  }
  await record(action, 'done');
  return { done: `${p.domain} verified (TXT record found at ${d.verification_host})` };
}

/**
 * The latest review's summary, as the health report shows it (null before the first).
 * @param {import('../store/index.js').Store} store
 */
async function latest(store) {
  const text = await store.getCheckpoint(LATEST);
  if (!text) return null;
  try {
    return JSON.parse(text);
  } catch {
    return null;
  }
}

module.exports = { review, gather, execute, latest, LATEST };
