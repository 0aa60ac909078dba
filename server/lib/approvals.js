'use strict';
// The person side of the approval protocol, on the store: a person approves or
// rejects a pending request; an executor claims approved ones and creates what was
// approved through the Management API. Which moves are legal is the core's
// (approvalStep); the store makes each one a conditional update, so two approvers or
// two executors, in any processes on any instances, never both act.
//
// Executing creates the organization, marked as this approval's
// (`ag_created_by_approval` in its metadata), with its domain as a *pending*
// discovery domain (DNS verification stays with Auth0). It never adds a domain to an
// organization it did not create: when the name is taken (409), it goes on only if
// that organization carries this approval's marker (a retry of its own half-done
// run); otherwise the approval fails with the reason, and nothing is added. The
// executing M2M application needs create:organizations, read:organizations and
// create:organization_discovery_domains; the Actions never hold those.
//
// Responses to detection's alerts (block_ip, force_password_reset, block_user: the
// core's approvals::responses) wait in the same queue and move by the same rules: the
// executor acts on one only once a person approved it, after the core checked the
// stored request again (an edited row fails, nothing is called). What each does:
// - block_ip: a Tenant Access Control List rule blocking the network at authentication
//   (POST /api/v2/network-acls, create:network_acls and read:network_acls; an
//   Enterprise add-on), its description carrying this approval's marker, so that a
//   retry finds the rule it made instead of adding a second;
// - block_user: PATCH /api/v2/users/{id} {blocked: true}, then the user's sessions
//   revoked (update:users, delete:sessions);
// - force_password_reset: the password of the user's database identity replaced by a
//   random one nobody knows (the leaked or guessed one stops working; the user sets a
//   new one through "forgot password"), then the sessions revoked (read:users,
//   update:users, delete:sessions). Users of social or enterprise connections have no
//   password here: that response fails with the reason.

const crypto = require('node:crypto');
const core = require('./core.js');

/** The response kinds (approvals::responses::KINDS). */
const RESPONSE_KINDS = new Set(['block_ip', 'force_password_reset', 'block_user']);
/**
 * The governance kinds (governance::KINDS) and the job module that executes each;
 * everything else creates an organization.
 */
const GOVERNANCE_EXECUTORS = Object.freeze({
  remove_membership: './governance/review.js',
  verify_domain: './governance/review.js',
  set_tier: './governance/classify.js',
  import_members: './governance/members-import.js',
});
/** @param {string} kind */
const isGovernance = (kind) => Object.hasOwn(GOVERNANCE_EXECUTORS, kind);
/** Where a block_ip rule goes among the tenant's ACL rules (1 is evaluated first, 100 last). */
const ACL_PRIORITY = 10;

// Organization metadata naming the approval that created it: `<dedupe_key>:<nonce>`, the
// nonce kept in the store before the organization is created, so that nobody who can
// compute a dedupe key can make an organization pass for this approval's.
const CREATED_BY = 'ag_created_by_approval';
/** An executor's claim lasts this long; a claim older than that is a dead executor's. */
const DEFAULT_LEASE_MS = 5 * 60 * 1000;

/**
 * Whether an executor's claim on the approval has run out (as the store's reclaim
 * condition reads it: `lease_until_ms < now`).
 * @param {{ lease_until_ms: number | null }} row
 * @param {number} nowMs
 */
const leaseExpired = (row, nowMs) => row.lease_until_ms != null && row.lease_until_ms < nowMs;

class ApprovalError extends Error {
  /** @param {string} code @param {string} message */
  constructor(code, message) {
    super(message);
    this.code = code;
  }
}

/**
 * One move on one approval, atomically; refused (ApprovalError) when the approval is
 * missing or the move is not legal from where it stands, including when another
 * approver or executor moved it first.
 * @param {import('./store/index.js').Store} store
 * @param {string} key
 * @param {import('actionguard').ApprovalAction} action
 * @param {{ fields?: Record<string, any>, nowMs?: number, holder?: string }} [options]
 *   holder: only while this executor holds the claim (the store's fence)
 */
async function move(store, key, action, { fields = {}, nowMs = Date.now(), holder } = {}) {
  const m = core.approvalMove(action);
  const row = await store.transitionApproval(key, { from: m.from, to: m.to, reclaim: m.reclaim, fields, nowMs, holder });
  if (row) return row;
  const current = await store.getApproval(key);
  if (!current) throw new ApprovalError('not_found', `no approval ${key}`);
  const refusal = core.approvalRefusal(current.status, action, leaseExpired(current, nowMs));
  throw new ApprovalError(refusal?.code ?? 'conflict', refusal?.message ?? `approval ${key} changed while this ran; try again`);
}

/**
 * A person's decision.
 * @param {import('./store/index.js').Store} store
 * @param {string} key
 * @param {'approve' | 'reject'} action
 * @param {string} [by]
 */
function decide(store, key, action, by) {
  const nowMs = Date.now();
  return move(store, key, action, { fields: { decided_ms: nowMs, decided_by: by || 'unknown', error: null }, nowMs });
}

/** @param {any} org an SDK answer: the organization, or a response holding it */
const orgData = (org) => (org && typeof org.id === 'string' ? org : org?.data);

/**
 * One line for people: what an approval asks.
 * @param {import('./store/index.js').ApprovalRow} row
 */
function describe(row) {
  const p = row.request?.proposal ?? {};
  if (isGovernance(row.kind)) return `${row.kind}: ${row.request?.reasons?.[0]?.message ?? JSON.stringify(p).slice(0, 120)}`;
  if (RESPONSE_KINDS.has(row.kind)) return `${row.kind} ${p.target?.value} (${p.because?.severity} ${p.because?.kind} on ${p.because?.subject?.type} ${p.because?.subject?.value})`;
  return `${p.name} (${p.domain})`;
}

/**
 * Creates what was approved: every approved request (and any whose executor's lease
 * expired) this executor manages to claim. Returns one entry per approval tried:
 * `{ key, organization_id }` (an organization) or `{ key, done }` (a response: what was
 * done) done, or `{ key, error }` failed (state `failed`, the
 * reason kept; a person may approve it again after a look). A request another
 * executor claimed first is skipped.
 *
 * A governance request (access reviews, classification, bulk membership) is checked by
 * the core again and executed by its job's module, which records an audit record per
 * write; a run that stops at its cap gives the approval back (`release`: approved
 * again, for the next run to continue from its checkpoint): `{ key, released }`.
 * @param {import('./store/index.js').Store} store
 * @param {any} mgmt an auth0 ManagementClient
 * @param {{ executor?: string, leaseMs?: number, policy?: string | null, sleep?: (ms: number) => Promise<void>,
 *   nowMs?: () => number, log?: (entry: Record<string, unknown>) => void, env?: NodeJS.ProcessEnv, [k: string]: unknown }} [options]
 *   policy: the tenant policy's text (governance requests are executed under it)
 */
async function execute(store, mgmt, options = {}) {
  const { executor = `${process.pid}:${crypto.randomBytes(4).toString('hex')}`, leaseMs = DEFAULT_LEASE_MS } = options;
  const now = Date.now();
  const candidates = [...(await store.listApprovals({ status: 'approved' })), ...(await store.listApprovals({ status: 'executing' })).filter((r) => leaseExpired(r, now))];
  /** @type {{ key: string, organization_id?: string, done?: string, released?: string, error?: string }[]} */
  const done = [];
  for (const candidate of candidates) {
    const key = candidate.dedupe_key;
    let claimed;
    try {
      claimed = await move(store, key, 'claim', { fields: { executor, lease_until_ms: Date.now() + leaseMs } });
    } catch (err) {
      if (err instanceof ApprovalError) continue; // another executor has it
      throw err;
    }
    // Kept before the organization exists: a run that dies after the create finds it again.
    const marker = await store.setCreationMarker(key, `${key}:${crypto.randomBytes(16).toString('hex')}`);
    /** @type {string | undefined} */
    let orgId;
    /** @type {string | undefined} */
    let did;
    /** @type {string | undefined} */
    let error;
    /** @type {string | undefined} */
    let released;
    try {
      if (RESPONSE_KINDS.has(claimed.kind)) did = await respond(mgmt, claimed.request, marker);
      else if (isGovernance(claimed.kind)) {
        // A long run (an import at Auth0's rate limits) extends its claim while it works;
        // one whose claim passed to another executor stops (the fence refuses the renewal).
        const renew = async () => {
          await move(store, key, 'renew', { fields: { lease_until_ms: Date.now() + leaseMs }, holder: executor });
        };
        const outcome = await executeGovernance(store, mgmt, claimed, executor, { ...options, renew, leaseMs });
        if ('release' in outcome) released = outcome.release;
        else did = outcome.done;
      } else orgId = await create(mgmt, claimed.request.proposal, marker);
    } catch (err) {
      // A database gone away cannot record anything: the claim expires and a later run
      // takes it again. Anything else (a name taken by another organization, a Management
      // API refusal or outage) is recorded as the failure, for a person to look at and
      // approve again.
      if (err?.code === 'store_unavailable') throw err;
      error = String(err?.message ?? err).slice(0, 500);
    }
    // This executor's lease may have run out while it worked, and another executor
    // taken the approval over (same marker: never a second organization). Then the
    // outcome is the other's to record: the store's fence (`holder`) refuses this one's,
    // which neither overwrites it nor stops the run.
    const lost = `the claim passed to another executor while this one worked; its outcome is that executor's to record`;
    try {
      if (released !== undefined) await move(store, key, 'release', { fields: { lease_until_ms: null, error: null }, holder: executor });
      else if (error === undefined) await move(store, key, 'succeed', { fields: { organization_id: orgId ?? null, error: null, lease_until_ms: null }, holder: executor });
      else await move(store, key, 'fail', { fields: { error, lease_until_ms: null }, holder: executor });
    } catch (err) {
      if (!(err instanceof ApprovalError)) throw err;
      done.push({ key, error: error ? `${error} (${lost})` : lost });
      continue;
    }
    if (error !== undefined) done.push({ key, error });
    else if (released !== undefined) done.push({ key, released });
    else if (did !== undefined) done.push({ key, done: did });
    else done.push({ key, organization_id: /** @type {string} */ (orgId) });
  }
  return done;
}

/**
 * Executes an approved governance request by its job's module, after the core checked
 * the stored request again (an edited row fails, nothing is called).
 * @param {import('./store/index.js').Store} store
 * @param {any} mgmt
 * @param {import('./store/index.js').ApprovalRow} row
 * @param {string} executor
 * @param {{ policy?: string | null, sleep?: (ms: number) => Promise<void>, nowMs?: () => number, log?: (entry: Record<string, unknown>) => void,
 *   env?: NodeJS.ProcessEnv, [k: string]: unknown }} options
 * @returns {Promise<{ done: string } | { release: string }>}
 */
async function executeGovernance(store, mgmt, row, executor, options) {
  const checked = core.governanceCheck(JSON.stringify(row.request));
  if (checked.type !== 'success') {
    const first = /** @type {any} */ (checked).errors?.[0];
    throw Object.assign(new Error(`the stored request is not a governance request this executor takes (${first?.path ?? ''}: ${first?.message ?? 'refused'})`), {
      code: 'not_a_governance_request',
    });
  }
  // The row's key is the one a person approved: a request moved into another row (another
  // approval's) is refused, whatever it says of itself.
  if (checked.kind !== row.kind || checked.dedupe_key !== row.dedupe_key) {
    throw Object.assign(new Error(`the stored request (${checked.kind} ${checked.dedupe_key}) is not the row's (${row.kind} ${row.dedupe_key})`), {
      code: 'not_a_governance_request',
    });
  }
  const { warnings, type, ...request } = checked;
  const job = require(GOVERNANCE_EXECUTORS[/** @type {keyof typeof GOVERNANCE_EXECUTORS} */ (row.kind)]);
  // The run's options (policy, sleep, nowMs, log, env, and a job's own such as resolveTxt) pass through.
  const { policy = null, nowMs = Date.now, log = () => {}, env = process.env } = options;
  return job.execute({ ...options, policy, nowMs, log, env, store, mgmt, row, request, executor });
}

/**
 * @param {any} mgmt
 * @param {{ name: string, display_name: string, domain: string }} proposal
 * @param {string} marker
 * @returns {Promise<string>} the organization's id
 */
async function create(mgmt, { name, display_name: displayName, domain }, marker) {
  let org;
  try {
    org = orgData(await mgmt.organizations.create({ name, display_name: displayName, metadata: { [CREATED_BY]: marker } }));
  } catch (err) {
    if (err.statusCode !== 409) throw err;
    org = orgData(await mgmt.organizations.getByName(name));
    const found = org?.metadata?.[CREATED_BY];
    if (found !== marker) {
      throw Object.assign(
        new Error(
          `organization \`${name}\` (${org?.id ?? 'unknown id'}) already exists and was not created by this approval` +
            `${found === undefined ? '' : ' (its marker names another)'}: \`${domain}\` was not added to it`,
        ),
        { code: 'name_taken' },
      );
    }
  }
  try {
    await mgmt.organizations.discoveryDomains.create(org.id, { domain, use_for_organization_discovery: true });
  } catch (err) {
    if (err.statusCode !== 409) throw err;
  }
  return org.id;
}

/**
 * Does an approved response, after the core checked the stored request again.
 * @param {any} mgmt
 * @param {unknown} request the stored request
 * @param {string} marker this approval's creation marker (kept before anything is done)
 * @returns {Promise<string>} what was done, for people
 */
async function respond(mgmt, request, marker) {
  const checked = core.checkResponseRequest(/** @type {any} */ (request));
  if (checked.type !== 'success') {
    const first = /** @type {any} */ (checked).errors?.[0];
    throw Object.assign(new Error(`the stored request is not a response this executor takes (${first?.path ?? ''}: ${first?.message ?? 'refused'})`), {
      code: 'not_a_response',
    });
  }
  const target = checked.proposal.target.value;
  if (checked.kind === 'block_ip') {
    const description = `ActionGuard ${marker}`.slice(0, 255);
    for await (const acl of await mgmt.networkAcls.list({ per_page: 100 })) {
      if (acl?.description === description) return `network ACL ${acl.id} already blocks ${target}`;
    }
    const v6 = target.includes(':');
    await mgmt.networkAcls.create({
      description,
      active: true,
      priority: ACL_PRIORITY,
      rule: { action: { block: true }, scope: 'authentication', match: v6 ? { ipv6_cidrs: [target] } : { ipv4_cidrs: [target] } },
    });
    return `network ACL blocks ${target} at authentication`;
  }
  if (checked.kind === 'block_user') {
    await mgmt.users.update(target, { blocked: true });
    await mgmt.users.sessions.delete(target);
    return `${target} blocked, sessions revoked`;
  }
  // force_password_reset: a password nobody knows on the user's database identity.
  const got = /** @type {any} */ (await mgmt.users.get(target));
  const user = got && typeof got.user_id === 'string' ? got : got?.data;
  const identity = (user?.identities ?? []).find((/** @type {any} */ i) => i?.provider === 'auth0');
  if (!identity?.connection) throw Object.assign(new Error(`${target} has no database identity: its password is its identity provider's`), { code: 'not_a_database_user' });
  // Random, and of every character class a password policy may ask for.
  const password = `${crypto.randomBytes(24).toString('base64url')}aA1!`;
  await mgmt.users.update(target, { password, connection: identity.connection });
  await mgmt.users.sessions.delete(target);
  return `${target}: password replaced (${identity.connection}), sessions revoked`;
}

module.exports = { decide, execute, move, describe, respond, isGovernance, ApprovalError, CREATED_BY, DEFAULT_LEASE_MS, RESPONSE_KINDS, GOVERNANCE_EXECUTORS };
