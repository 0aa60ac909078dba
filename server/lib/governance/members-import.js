'use strict';
// Bulk membership (`actionguard members import <employees.csv> --org <id>`), the host
// side. Read-only by default (a dry run): it gathers the organization, its discovery
// domains, the tenant's roles, the organization's invitations and members, and the
// users of the list's addresses; the core checks every row, maps departments to roles
// and plans; this prints the plan. `--propose` puts the plan into the approval queue as
// one `import_members` request (the same list proposed again is the same request).
// Only `execute`, for an approved request, writes: invitations, or member additions
// and role assignments, idempotent, 429-aware, resumable, capped per run, behind a
// circuit breaker, each write with its audit record.
//
// Scopes. Dry run and propose: read:organizations, read:organization_discovery_domains,
// read:organization_connections, read:organization_members, read:organization_invitations, read:roles, read:users
// (users by email). Executing: read:organization_members, read:organization_invitations,
// create:organization_invitations, create:organization_members,
// create:organization_member_roles. Invitations need ACTIONGUARD_INVITE_CLIENT_ID (the
// application the invitation link logs into) and ACTIONGUARD_INVITER_NAME (else the
// organization's name).

const actionguard = require('actionguard/control-plane');
const core = require('../core.js');
const common = require('./common.js');

/** The most users-by-email lookups one plan makes: past it, rows are invited (always safe). */
const DEFAULT_MAX_LOOKUPS = 1000;

/** @param {any} v an SDK answer: the object itself, or a response holding it in `data` */
const dataOf = (v) => (v && typeof v.id === 'string' ? v : v?.data);

/**
 * @typedef {{ sleep?: (ms: number) => Promise<void>, nowMs?: () => number, onRetry?: (status: number | undefined) => void }} RetryOptions
 */

/**
 * The store checkpoint of one row's progress in an approval (`writing`, `done`,
 * `skipped`, `failed`): one small entry a row, so a run writes O(rows), never the whole
 * progress again at every row.
 */
const checkpointName = (/** @type {string} */ key, /** @type {string} */ email) => `members-import:${key}:${email}`;

/**
 * The organization's invited addresses and members (user id and address), every page.
 * @param {any} mgmt
 * @param {string} orgId
 * @param {RetryOptions} retry
 */
async function listExisting(mgmt, orgId, retry) {
  const invitations = await common.listAll((p) => mgmt.organizations.invitations.list(orgId, p), 'invitations', {
    ...retry,
    what: `GET organizations/${orgId}/invitations`,
  });
  const members = await common.listAll((p) => mgmt.organizations.members.list(orgId, p), 'members', { ...retry, what: `GET organizations/${orgId}/members` });
  return {
    invited: invitations.map((i) => i?.invitee?.email).filter((e) => typeof e === 'string'),
    members: members.filter((m) => typeof m?.user_id === 'string').map((m) => ({ user_id: m.user_id, email: typeof m.email === 'string' ? m.email : null })),
  };
}

/**
 * What the core needs besides the list and the users (looked up once the rows are known).
 * @param {any} mgmt
 * @param {string} orgId
 * @param {RetryOptions} retry
 */
async function gather(mgmt, orgId, retry) {
  const org = dataOf(await common.withRetries(() => mgmt.organizations.get(orgId), { ...retry, what: `GET organizations/${orgId}` }));
  if (typeof org?.id !== 'string') throw common.governanceError('not_found', `organization ${orgId} was not found`);
  const domains = await common.listAll((p) => mgmt.organizations.discoveryDomains.list(orgId, p), 'domains', { ...retry, what: `GET organizations/${orgId}/discovery-domains` });
  // The connections whose verified addresses the organization trusts (besides databases).
  const connections = await common.listAll((p) => mgmt.organizations.enabledConnections.list(orgId, p), 'enabled_connections', {
    ...retry,
    what: `GET organizations/${orgId}/enabled_connections`,
  });
  const roles = await common.listAll((p) => mgmt.roles.list(p), 'roles', { ...retry, what: 'GET roles' });
  const existing = await listExisting(mgmt, orgId, retry);
  return {
    organization: {
      id: org.id,
      name: typeof org.name === 'string' ? org.name : null,
      display_name: typeof org.display_name === 'string' ? org.display_name : null,
      metadata: org.metadata && typeof org.metadata === 'object' ? org.metadata : {},
      domains: domains.filter((d) => typeof d?.domain === 'string').map((d) => ({ domain: d.domain, status: String(d.status ?? '') })),
      enabled_connections: connections.map((c) => c?.connection?.name ?? c?.name).filter((n) => typeof n === 'string'),
    },
    roles: roles.filter((r) => typeof r?.id === 'string').map((r) => ({ id: r.id, name: typeof r.name === 'string' ? r.name : '' })),
    existing: { invited: existing.invited, members: existing.members.map((m) => m.email).filter((e) => typeof e === 'string') },
  };
}

/**
 * Plans an import: the core checks the list; the users of the addresses it would invite
 * are looked up (at most `maxLookups`) and the core plans again with them (an existing
 * user who verified the address is added instead); the LLM, when the policy lets it, maps
 * departments in two steps. With `propose`, the request goes into the approval queue.
 * @param {{ store: import('../store/index.js').Store, mgmt: any, orgId: string, csv: string, policy?: string | null,
 *   propose?: boolean, tenant?: string | null, env?: NodeJS.ProcessEnv, maxLookups?: number,
 *   log?: (entry: Record<string, unknown>) => void } & RetryOptions} options
 */
async function plan({
  store,
  mgmt,
  orgId,
  csv,
  policy = null,
  propose = false,
  tenant = null,
  env = process.env,
  maxLookups = DEFAULT_MAX_LOOKUPS,
  nowMs = Date.now,
  sleep,
  onRetry,
  log = () => {},
}) {
  const retry = { sleep, nowMs, onRetry };
  const gathered = await gather(mgmt, orgId, retry);
  const input = { policy, tenant, csv, now_ms: nowMs(), ...gathered };
  const run = (/** @type {any} */ extra) => core.orThrow(actionguard.planMembersImport({ ...input, ...extra }));
  // First the rows alone: which addresses need a user lookup.
  const first = run({});
  const wanted = [...new Set(first.rows.filter((r) => r.action !== 'skip_existing').map((r) => r.email.toLowerCase()))];
  const lookups = wanted.slice(0, Math.max(0, maxLookups));
  /** @type {{ email: string, user_id: string, email_verified: boolean, identities: { provider: string, connection: string }[] }[]} */
  const users = [];
  for (const email of lookups) {
    const found = await common.withRetries(() => mgmt.users.listUsersByEmail({ email }), { ...retry, what: 'GET users-by-email' });
    for (const u of common.itemsOf(found, 'users')) {
      if (typeof u?.user_id !== 'string' || typeof u?.email !== 'string') continue;
      // Where the verification came from (primary identity first): the core trusts a
      // database's, or one of a connection the organization enabled, and no other IdP's.
      // (Kept in order, a malformed one as blanks: never promoted to primary by a filter.)
      const identities = (Array.isArray(u.identities) ? u.identities : []).map((i) => ({
        provider: typeof i?.provider === 'string' ? i.provider : '',
        connection: typeof i?.connection === 'string' ? i.connection : '',
      }));
      users.push({ email: u.email, user_id: u.user_id, email_verified: u.email_verified === true, identities });
    }
  }
  if (wanted.length > lookups.length) log({ msg: 'members import: users not looked up past --max-lookups; those rows are invited', skipped: wanted.length - lookups.length });
  const { answer, sent } = await common.escalate(store, env, {
    run: (llm) => run({ users, llm }),
    read: (a) => ({
      escalations: a.llm.escalations.map((e) => ({ ...e, key: e.department })),
      state: a.llm.llm_state ?? null,
      heldBack: Object.fromEntries(a.mapping.filter((m) => m.llm?.result).map((m) => [m.key, m.llm.result])),
    }),
    log,
    job: 'members import',
  });
  /** @type {{ dedupe_key: string, status: string, requests_seen: number } | null} */
  let proposed = null;
  if (propose && answer.request) {
    const row = await common.propose(store, answer.request);
    proposed = { dedupe_key: row.dedupe_key, status: row.status, requests_seen: row.requests_seen };
  }
  const { type, warnings, ...result } = answer;
  return { ...result, warnings: warnings ?? [], llm_sent: sent, lookups: lookups.length, proposed };
}

/** @param {unknown} s text from the list: one line, no table breaks @param {number} [max] */
const cell = (s, max = 80) =>
  String(s ?? '')
    .replace(/[\p{Cc}\u2028\u2029\u202a-\u202e\u2066-\u2069]/gu, ' ')
    .replace(/([\\|`*_[\]<>])/g, '\\$1')
    .slice(0, max);

/**
 * The plan for people: the mapping, the rejected rows with their lines, the writes.
 * @param {Awaited<ReturnType<typeof plan>>} report
 */
function text(report) {
  const s = report.summary;
  const out = [
    `# Members import into ${cell(report.organization_id)}${report.proposed ? '' : ' (dry run: nothing written, nothing proposed)'}`,
    '',
    `${s.rows} rows: invite ${s.invite}, add ${s.add}, already there ${s.skip_existing}, rejected ${s.rejected}. ${s.departments} departments, ${s.unmapped_departments} unmapped.`,
    '',
    '## Departments -> roles',
    '',
    '| department | rows | roles | source | why |',
    '| --- | --- | --- | --- | --- |',
  ];
  for (const m of report.mapping) {
    const also = m.also?.length ? ` (also ${m.also.map(cell).join(', ')})` : '';
    const llm = m.llm && m.llm.result !== 'not_asked' ? ` LLM: ${m.llm.result}${m.llm.choice ? ` (${cell(m.llm.choice)})` : ''}` : '';
    out.push(`| ${cell(m.department)}${also} | ${m.rows} | ${m.roles.map(cell).join(', ') || '(none)'} | ${m.source} | ${m.reasons.map((r) => `\`${r.code}\``).join(' ')}${llm} |`);
  }
  if (report.rejected.length > 0) {
    out.push('', '## Rejected rows (not imported)', '', '| line | address | reason |', '| --- | --- | --- |');
    for (const r of report.rejected) out.push(`| ${r.line} | ${cell(r.email ?? '')} | \`${r.code}\`: ${cell(r.message, 300)} |`);
  }
  out.push('', '## Plan', '', '| line | address | action | roles | why |', '| --- | --- | --- | --- | --- |');
  for (const r of report.rows)
    out.push(`| ${r.line} | ${cell(r.email)} | ${r.action}${r.user_id ? ` ${cell(r.user_id)}` : ''} | ${r.roles.map(cell).join(', ')} | \`${r.reason.code}\` |`);
  if (report.proposed)
    out.push(
      '',
      `Proposed for approval: ${report.proposed.dedupe_key} (${report.proposed.status}${report.proposed.requests_seen > 1 ? `, proposed ${report.proposed.requests_seen} times` : ''}).`,
    );
  else if (report.request) out.push('', 'Nothing was written. Run again with --propose to send this plan for approval.');
  else out.push('', 'Nothing to write.');
  return `${out.join('\n')}\n`;
}

/**
 * The members_import section of the policy, with the core's defaults.
 * @param {string | null} policy
 * @returns {{ max_per_run: number, breaker_failures: number }}
 */
function limits(policy) {
  const answer = /** @type {any} */ (actionguard.effectivePolicy(policy ?? '{"version":1}', {}, null, null));
  if (answer.type !== 'success') throw Object.assign(new Error(`the policy is not valid: ${answer.errors?.[0]?.message ?? 'refused'}`), { code: 'invalid_policy' });
  return answer.policy.governance.members_import;
}

/**
 * Executes an approved `import_members` request (approvals.execute calls this after the
 * core checked the stored request again). Row by row, in file order:
 * - a row the checkpoint says is done is passed over (a re-run writes nothing twice);
 * - before a write, the listing read at the start of this run decides: an address
 *   already invited, or a user already a member, is `skipped` (recorded once) unless
 *   this approval's own earlier attempt may have put it there (the checkpoint marks a
 *   row `writing` before its write, `failed` after an error), in which case the
 *   invitation is taken as done, and an added member's roles are assigned again
 *   (idempotent: a failed role assignment is retried by the next approved run);
 * - every write renews this executor's claim right before it is sent, and on each
 *   retry wait: a renewal refused (another executor took the approval over) stops the
 *   run at once, nothing more written;
 * - each write goes through withRetries (429s wait, 5xx retried; an invitation is
 *   never retried after a 5xx or no answer, as it may exist: the row fails, and the
 *   next approved run's listing finds it if it was created); a failed row is
 *   recorded and the run goes on, until `breaker_failures` failures in a row stop it
 *   (the approval fails with the reason); a run that wrote `max_per_run` rows with
 *   rows left gives the approval back (`release`) for the next run.
 * Rows that failed (the breaker still closed) fail the approval at the end, with their
 * count: a person approves it again after a look, and the next run retries only them.
 * @param {{ store: import('../store/index.js').Store, mgmt: any, row: import('../store/index.js').ApprovalRow,
 *   request: import('actionguard').GovernanceRequest, policy?: string | null, sleep?: (ms: number) => Promise<void>,
 *   nowMs?: () => number, log?: (entry: Record<string, unknown>) => void, env?: NodeJS.ProcessEnv,
 *   renew?: () => Promise<void>, leaseMs?: number }} options
 *   renew: extends this executor's claim (approvals.execute gives it)
 * @returns {Promise<{ done: string } | { release: string }>}
 */
async function execute({ store, mgmt, row, request, policy = null, sleep, nowMs = Date.now, log = () => {}, env = process.env, renew }) {
  const p = /** @type {import('actionguard').MembersImportProposal} */ (/** @type {unknown} */ (request.proposal));
  const orgId = p.organization_id;
  const approval = row.dedupe_key;
  const { max_per_run: maxPerRun, breaker_failures: breakerFailures } = limits(policy);
  const clientId = env.ACTIONGUARD_INVITE_CLIENT_ID;
  const inviter = env.ACTIONGUARD_INVITER_NAME || p.organization_name || 'Your organization';
  if (!clientId && p.rows.some((r) => r.action === 'invite')) {
    throw common.governanceError('not_configured', 'invitations need ACTIONGUARD_INVITE_CLIENT_ID (the application the invitation logs into): nothing was written');
  }
  const stateOf = async (/** @type {string} */ email) => (await store.getCheckpoint(checkpointName(approval, email))) ?? undefined;
  const save = (/** @type {string} */ email, /** @type {string} */ state) => store.setCheckpoint(checkpointName(approval, email), state);
  // The claim is renewed right before every write and on every retry wait: the lease
  // covers the next request (a wait is at most a minute, the lease minutes), and a
  // renewal the fence refuses (another executor took the approval over while this one
  // waited) stops the run before anything more is written. Once lost, always lost.
  /** @type {Error | undefined} */
  let lost;
  const keepClaim = async () => {
    if (lost) throw lost;
    if (!renew) return;
    try {
      await renew();
    } catch (err) {
      lost = Object.assign(new Error(`the claim on this approval was lost (${failure(err)}): the run stopped, nothing more written`), {
        code: 'claim_lost',
        cause: err,
      });
      throw lost;
    }
  };
  /**
   * One write request: the claim renewed before it is sent (and before each retry wait).
   * @template T
   * @param {() => Promise<T>} send
   * @param {string} what
   * @param {{ maxServerRetries?: number }} [extra]
   */
  const sendFenced = (send, what, extra = {}) =>
    common.withRetries(
      async () => {
        await keepClaim();
        return send();
      },
      { sleep, nowMs, what, ...extra, onRetry: () => keepClaim() },
    );
  const retry = { sleep, nowMs, onRetry: () => keepClaim() };
  const existing = await listExisting(mgmt, orgId, retry);
  const invited = new Set(existing.invited.map((e) => e.toLowerCase()));
  const memberIds = new Set(existing.members.map((m) => m.user_id));
  const memberEmails = new Set(existing.members.map((m) => (m.email ?? '').toLowerCase()).filter(Boolean));
  const byKey = new Map(p.mapping.map((m) => [m.key, m]));
  const breaker = new common.Breaker(breakerFailures);
  const counts = { done: 0, skipped: 0, failed: 0, passed: 0 };
  /** @type {string | undefined} */
  let lastError;

  /**
   * @param {import('actionguard').MembersImportRow} r
   * @param {'done' | 'failed' | 'skipped'} outcome
   * @param {string} action
   * @param {{ error?: string, why?: import('actionguard').GovernanceReason }} [extra]
   */
  const audit = (r, outcome, action, { error, why } = {}) => {
    const mapping = r.department_key ? byKey.get(r.department_key) : undefined;
    const reasons = [why ?? r.reason, ...(mapping?.reasons ?? [])];
    return common.recordWrite(store, {
      approval,
      kind: request.kind,
      job: request.job,
      action,
      organization_id: orgId,
      outcome,
      approved_by: row.decided_by ?? null,
      reasons,
      error: error ?? null,
      item: `${r.line}:${r.email.toLowerCase()}`,
      ts_ms: nowMs(),
    });
  };

  /**
   * One row's write between its checkpoints: `writing` before (a crash after the write
   * is then found by the listing of the next run, never written twice), `done` or
   * `failed` after, each with its audit record; the breaker counts failures in a row.
   * @param {import('actionguard').MembersImportRow} r
   * @param {string} email
   * @param {string} action
   * @param {() => Promise<unknown>} call
   * @param {import('actionguard').GovernanceReason} [why] the done record's reason, when not the row's
   * @returns {Promise<boolean>} whether it was written
   */
  const write = async (r, email, action, call, why) => {
    await keepClaim();
    await save(email, 'writing');
    try {
      await call();
    } catch (err) {
      if (/** @type {any} */ (err)?.code === 'store_unavailable') throw err;
      // The claim passed to another executor: stop here, the row is that executor's.
      if (lost) throw lost;
      lastError = failure(err);
      await audit(r, 'failed', action, { error: lastError });
      await save(email, 'failed');
      counts.failed += 1;
      log({ msg: 'members import: a row failed', line: r.line, error: lastError });
      if (breaker.fail()) throw stop(breakerFailures, counts, p.rows.length, lastError);
      return false;
    }
    breaker.ok();
    await audit(r, 'done', action, { why });
    await save(email, 'done');
    counts.done += 1;
    return true;
  };

  // At the cap, the approval goes back for the next run, unless rows failed in this one:
  // those wait for a person's look (the approval fails), as at the end of a run.
  const capped = () => {
    if (counts.failed > 0) {
      throw common.governanceError(
        'rows_failed',
        `${summary(counts, p.rows.length, `stopped at governance.members_import.max_per_run (${maxPerRun})`)}: approve again to go on and retry the failed rows (last error: ${lastError})`,
      );
    }
    return { release: summary(counts, p.rows.length, `stopped at governance.members_import.max_per_run (${maxPerRun}); the next run continues`) };
  };

  for (const r of p.rows) {
    const email = r.email.toLowerCase();
    const state = await stateOf(email);
    if (state === 'done' || state === 'skipped') {
      counts.passed += 1;
      continue;
    }
    // This approval's earlier attempt may have written it: a run that stopped after the
    // write (`writing`), or a write whose answer was lost or whose second half failed.
    const mine = state === 'writing' || state === 'failed';
    if (r.action === 'invite') {
      const action = `POST organizations/${orgId}/invitations ${r.email}${r.roles.length ? ` roles ${r.roles.join(',')}` : ''}`;
      if (invited.has(email) || memberEmails.has(email)) {
        // This approval's own invitation (a run that stopped after the write) or someone else's.
        const outcome = mine && invited.has(email) ? 'done' : 'skipped';
        const why =
          outcome === 'skipped'
            ? { code: invited.has(email) ? 'import_already_invited' : 'import_already_member', message: 'already there when the import ran: nothing written' }
            : undefined;
        await audit(r, outcome, action, { why });
        await save(email, outcome);
        counts[outcome] += 1;
        continue;
      }
      if (counts.done >= maxPerRun) return capped();
      // Never retried after a 5xx or no answer: the invitation may exist (a second one
      // would be a second email); the row fails and the next run's listing tells.
      const written = await write(r, email, action, () =>
        sendFenced(
          () =>
            mgmt.organizations.invitations.create(orgId, {
              inviter: { name: inviter },
              invitee: { email: r.email },
              client_id: clientId,
              send_invitation_email: true,
              ...(r.roles.length ? { roles: r.roles } : {}),
            }),
          `POST organizations/${orgId}/invitations`,
          { maxServerRetries: 0 },
        ),
      );
      if (written) invited.add(email);
      continue;
    }
    // add: the membership, then the roles (the checkpoint between them).
    const userId = /** @type {string} */ (r.user_id);
    const action = `POST organizations/${orgId}/members ${userId}${r.roles.length ? ` + roles ${r.roles.join(',')}` : ''}`;
    if (memberIds.has(userId) && !mine) {
      await audit(r, 'skipped', action, { why: { code: 'import_already_member', message: 'already a member when the import ran: nothing written' } });
      await save(email, 'skipped');
      counts.skipped += 1;
      continue;
    }
    if (counts.done >= maxPerRun) return capped();
    // A member already there by this approval's earlier attempt: only its roles again.
    const reassigned = mine && memberIds.has(userId) && r.roles.length > 0;
    await write(
      r,
      email,
      reassigned ? `POST organizations/${orgId}/members/${userId}/roles ${r.roles.join(',')} (again)` : action,
      async () => {
        if (!memberIds.has(userId)) {
          await sendFenced(() => mgmt.organizations.members.create(orgId, { members: [userId] }), `POST organizations/${orgId}/members`);
          memberIds.add(userId);
        }
        if (r.roles.length) {
          await sendFenced(() => mgmt.organizations.members.roles.assign(orgId, userId, { roles: r.roles }), `POST organizations/${orgId}/members/${userId}/roles`);
        }
      },
      reassigned ? { code: 'import_roles_reassigned', message: REASSIGNED } : undefined,
    );
  }
  if (counts.failed > 0) {
    throw common.governanceError('rows_failed', `${summary(counts, p.rows.length, '')}: approve again to retry the failed rows only (last error: ${lastError})`);
  }
  return { done: summary(counts, p.rows.length, 'complete') };
}

/** The reason of a re-assignment's record (signals::IMPORT_ROLES_REASSIGNED). */
const REASSIGNED = "this approval's earlier attempt left the member without its roles (interrupted or failed): the roles were assigned again";

/** @param {any} err */
const failure = (err) => String(err?.message ?? err).slice(0, 300);

/**
 * @param {{ done: number, skipped: number, failed: number, passed: number }} c
 * @param {number} total
 * @param {string} tail
 */
const summary = (c, total, tail) => `${total} rows: ${c.done} written, ${c.skipped} already there, ${c.failed} failed, ${c.passed} done by earlier runs${tail ? `; ${tail}` : ''}`;

/**
 * @param {number} limit
 * @param {{ done: number, skipped: number, failed: number, passed: number }} counts
 * @param {number} total
 * @param {string | undefined} last
 */
const stop = (limit, counts, total, last) =>
  common.governanceError('breaker_open', `circuit breaker: ${limit} failed writes in a row (${summary(counts, total, '')}); last error: ${last}`);

module.exports = { plan, gather, text, execute, checkpointName, DEFAULT_MAX_LOOKUPS };
