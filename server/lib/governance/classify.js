'use strict';
// Organization classification (`actionguard orgs classify`), the host side: gathers
// each organization's facts (metadata, discovery domains, enabled connections, a member
// count from the Management API; logins from the stored logs), has the core classify
// them, sends the escalations the core wrote to the LLM (LLM_BASE_URL, LLM_API_KEY,
// LLM_MODEL) and gives the answers back to it, then prints a report and, with
// --propose, puts each proposed tier into the approval queue. Nothing is written to
// Auth0 here except by `execute`, for an approved `set_tier` request.
//
// Read-only phase scopes: read:organizations, read:organization_members,
// read:organization_discovery_domains, read:organization_connections. Executing an
// approved tier: read:organizations and update:organizations.
//
// The LLM's budgets (calls a minute, the breaker) are the store's checkpoint
// `llm-budget:governance`: the core takes a call's rate token and the host stores it
// before the call goes out (failing closed: no stored token, no call).

const actionguard = require('actionguard/control-plane');
const core = require('../core.js');
const common = require('./common.js');

const DAY_MS = 86_400_000;
/** Members are counted up to this many (two pages): the rules look at 5 or fewer and 50 or more. */
const MEMBER_COUNT_CAP = 100;

/** @param {any} v an SDK answer: the object itself, or a response holding it in `data` */
const dataOf = (v) => (v && typeof v.id === 'string' ? v : v?.data);

/**
 * @typedef {{ sleep?: (ms: number) => Promise<void>, nowMs?: () => number, onRetry?: (status: number | undefined) => void }} RetryOptions
 */

/**
 * How many members an organization has, up to MEMBER_COUNT_CAP.
 * @param {any} mgmt
 * @param {string} id
 * @param {RetryOptions} retry
 */
async function countMembers(mgmt, id, retry) {
  // The SDK's Page, followed only as far as the cap (members are paged by checkpoint:
  // `page` would be ignored and the first page read again).
  const what = `GET organizations/${id}/members`;
  const page = await common.withRetries(() => mgmt.organizations.members.list(id, { take: common.PER_PAGE }), { ...retry, what });
  let n = common.itemsOf(page, 'members').length;
  for (let i = 1; n < MEMBER_COUNT_CAP && typeof page?.hasNextPage === 'function' && page.hasNextPage(); i++) {
    await common.withRetries(() => page.getNextPage(), { ...retry, what: `${what} (page ${i})` });
    n += common.itemsOf(page, 'members').length;
  }
  return Math.min(n, MEMBER_COUNT_CAP);
}

/**
 * An organization's first stored log, remembered past the logs' retention
 * (`org-first-seen:<id>`): the earliest ever seen, or null before its first log (a run
 * that merely lists it says nothing of its age).
 * @param {import('../store/index.js').Store} store
 * @param {string} id
 * @param {number | null} firstLogMs
 */
async function firstSeen(store, id, firstLogMs) {
  const name = `org-first-seen:${id}`;
  const stored = Number(await store.getCheckpoint(name));
  const known = Number.isFinite(stored) && stored > 0 ? stored : null;
  const log = firstLogMs != null && Number.isFinite(firstLogMs) ? firstLogMs : null;
  if (log === null) return known;
  if (known === null || log < known) {
    await store.setCheckpoint(name, String(log));
    return log;
  }
  return known;
}

/**
 * The facts of every organization (or one), as the core reads them.
 * @param {any} mgmt
 * @param {import('../store/index.js').Store} store
 * @param {{ orgId?: string, at: number } & RetryOptions} options
 * @returns {Promise<{ organizations: import('actionguard').ClassifyOrganization[], names: Map<string, string> }>}
 */
async function gather(mgmt, store, { orgId, at, ...retry }) {
  const orgs = orgId
    ? [dataOf(await common.withRetries(() => mgmt.organizations.get(orgId), { ...retry, what: `GET organizations/${orgId}` }))]
    : await common.listAll((p) => mgmt.organizations.list(p), 'organizations', { ...retry, what: 'GET organizations' });
  const types = actionguard.classifyLogTypes();
  const rows = await store.organizationActivity({ fromMs: at - types.days * DAY_MS, untilMs: at + 1, successTypes: types.logins, failureTypes: types.failures });
  const activity = new Map(rows.map((r) => [r.organization_id, r]));
  /** @type {import('actionguard').ClassifyOrganization[]} */
  const organizations = [];
  const names = new Map();
  for (const org of orgs) {
    if (typeof org?.id !== 'string') continue;
    const id = org.id;
    const domains = await common.listAll((p) => mgmt.organizations.discoveryDomains.list(id, p), 'domains', { ...retry, what: `GET organizations/${id}/discovery-domains` });
    const connections = await common.listAll((p) => mgmt.organizations.enabledConnections.list(id, p), 'enabled_connections', {
      ...retry,
      what: `GET organizations/${id}/enabled_connections`,
    });
    const a = activity.get(id);
    names.set(id, String(org.display_name || org.name || ''));
    // Auth0 lists no creation date for an organization, and the logs go after their
    // retention: its first log is remembered, so that its age keeps growing.
    const firstSeenMs = await firstSeen(store, id, a?.first_seen_ms ?? null);
    organizations.push({
      id,
      name: typeof org.name === 'string' ? org.name : null,
      display_name: typeof org.display_name === 'string' ? org.display_name : null,
      metadata: org.metadata ?? {},
      domains: domains.filter((d) => typeof d?.domain === 'string').map((d) => ({ domain: d.domain, status: String(d.status ?? '') })),
      enabled_connections: connections
        .map((c) => c?.connection ?? c)
        .filter((c) => c && typeof c.strategy === 'string')
        .map((c) => ({ name: typeof c.name === 'string' ? c.name : null, strategy: c.strategy })),
      members: await countMembers(mgmt, id, retry),
      activity: a
        ? { logins_30d: a.logins, active_users_30d: a.active_users, failed_30d: a.failed, first_seen_ms: firstSeenMs, last_seen_ms: a.last_seen_ms }
        : firstSeenMs === null
          ? {}
          : { first_seen_ms: firstSeenMs },
    });
  }
  return { organizations, names };
}

/**
 * Classifies the tenant's organizations (or one) and, with `propose`, sends each proposed
 * tier to the approval queue (once per question across runs).
 * @param {{ store: import('../store/index.js').Store, mgmt: any, policy?: string | null, orgId?: string, propose?: boolean,
 *   tenant?: string | null, env?: NodeJS.ProcessEnv, log?: (entry: Record<string, unknown>) => void } & RetryOptions} options
 */
async function classify({ store, mgmt, policy = null, orgId, propose = false, tenant = null, env = process.env, nowMs = Date.now, sleep, onRetry, log = () => {} }) {
  const now = nowMs();
  const { organizations, names } = await gather(mgmt, store, { orgId, at: now, sleep, onRetry, nowMs });
  const input = { policy, tenant, now_ms: now, organizations };
  const { answer, sent } = await common.escalate(store, env, {
    run: (llm) => core.orThrow(actionguard.classifyOrganizations({ ...input, llm })),
    read: (a) => ({
      escalations: a.escalations.map((e) => ({ ...e, key: e.organization_id })),
      state: a.llm_state ?? null,
      heldBack: Object.fromEntries(a.results.filter((r) => r.llm?.result).map((r) => [r.organization_id, r.llm.result])),
    }),
    log,
    job: 'classify',
  });
  /** @type {{ organization_id: string, dedupe_key: string, status: string, requests_seen: number }[]} */
  const proposed = [];
  if (propose) {
    for (const r of answer.results) {
      if (!r.request) continue;
      const row = await common.propose(store, r.request);
      proposed.push({ organization_id: r.organization_id, dedupe_key: row.dedupe_key, status: row.status, requests_seen: row.requests_seen });
    }
  }
  return { results: answer.results, summary: answer.summary, warnings: answer.warnings ?? [], llm_sent: sent, proposed, names };
}

/** @param {unknown} s text from an organization: one line, no table breaks */
const cell = (s) =>
  [...String(s ?? '')]
    .map((c) => (/\p{Cc}|[\u2028\u2029]/u.test(c) ? ' ' : c))
    .join('')
    .replace(/([\\|`*_[\]<>])/g, '\\$1')
    .slice(0, 80);

/**
 * The report as a Markdown table, one organization a row.
 * @param {Awaited<ReturnType<typeof classify>>} report
 */
function markdown(report) {
  const s = report.summary;
  const labels = Object.entries(s.labels)
    .map(([l, n]) => `${l} ${n}`)
    .join(', ');
  const out = [
    '# Organization classification',
    '',
    `${s.organizations} organizations: ${labels}. Ambiguous ${s.ambiguous} (${(s.ambiguous_share * 100).toFixed(1)}%), escalated ${s.escalated} (${(s.escalated_share * 100).toFixed(1)}%), proposals ${s.proposals}.`,
    '',
    '| organization | label | scores | reasons | LLM | tier |',
    '| --- | --- | --- | --- | --- | --- |',
  ];
  for (const r of report.results) {
    const scores = Object.entries(r.scores)
      .filter(([, v]) => v !== 0)
      .map(([l, v]) => `${l} ${v}`)
      .join(', ');
    const llm = r.llm ? `${r.llm.result ?? 'pending'}${r.llm.choice ? ` (${r.llm.choice})` : ''}` : r.ambiguous ? 'not asked' : '';
    const tier =
      r.proposed_tier == null ? (r.current_tier ?? '') : r.current_tier === r.proposed_tier ? `${r.current_tier} (kept)` : `${r.current_tier ?? 'none'} -> ${r.proposed_tier}`;
    const name = report.names.get(r.organization_id);
    out.push(
      `| ${cell(name)} (${cell(r.organization_id)}) | ${r.label}${r.ambiguous ? ' (ambiguous)' : ''}${r.hard_evidence ? ' (hard evidence)' : ''} | ${scores} | ${r.reasons.map((x) => `\`${x.code}\``).join(' ')} | ${llm} | ${cell(tier)} |`,
    );
  }
  if (report.proposed.length > 0) out.push('', `Proposed for approval: ${report.proposed.map((p) => `${p.dedupe_key} (${p.status})`).join(', ')}.`);
  return `${out.join('\n')}\n`;
}

/**
 * Executes an approved `set_tier` (the lead's approvals.execute calls this after the core
 * checked the stored request): reads the organization, writes `ag_tier` keeping every other
 * key (and `ag_sig`, recomputed, when the policy signs organization layers), once: an
 * organization already on the tier is `skipped`. Every outcome leaves an audit record.
 * @param {{ store: import('../store/index.js').Store, mgmt: any, row: import('../store/index.js').ApprovalRow,
 *   request: import('actionguard').GovernanceRequest, policy?: string | null, sleep?: (ms: number) => Promise<void>,
 *   nowMs?: () => number, log?: (entry: Record<string, unknown>) => void, env?: NodeJS.ProcessEnv }} options
 * @returns {Promise<{ done: string }>}
 */
async function execute({ store, mgmt, row, request, policy = null, sleep, nowMs = Date.now, env = process.env }) {
  const p = /** @type {{ organization_id: string, from_tier: string | null, to_tier: string, label: string }} */ (request.proposal);
  const id = p.organization_id;
  const to = p.to_tier;
  const action = `PATCH organizations/${id} metadata.ag_tier=${to}`;
  const write = (/** @type {'done' | 'failed' | 'skipped'} */ outcome, /** @type {string | null} */ error = null) =>
    common.recordWrite(store, {
      approval: row.dedupe_key,
      kind: 'set_tier',
      job: 'classify',
      action,
      organization_id: id,
      outcome,
      approved_by: row.decided_by,
      reasons: request.reasons,
      error,
      item: `${id}:${to}`,
      ts_ms: nowMs(),
    });
  const fail = async (/** @type {string} */ code, /** @type {string} */ message) => {
    await write('failed', message);
    return Object.assign(new Error(message), { code });
  };
  const retry = { sleep, nowMs };
  let org;
  try {
    org = dataOf(await common.withRetries(() => mgmt.organizations.get(id), { ...retry, what: `GET organizations/${id}` }));
  } catch (err) {
    throw await fail(err.code ?? 'unavailable', err.message);
  }
  // What to write, or why not, is the core's (the tier defined, the layers signed, the
  // tier unchanged since the proposal, no unsigned override signed along).
  const decided = /** @type {any} */ (
    actionguard.applyTierChange({ policy, layers_key: env.ORG_LAYERS_KEY ?? null, proposal: /** @type {any} */ (p), metadata: org?.metadata ?? {} })
  );
  if (decided.type !== 'success') {
    const first = decided.errors?.[0] ?? { code: 'refused', message: 'refused' };
    throw await fail(first.code, first.message);
  }
  if (decided.action === 'skip') {
    await write('skipped');
    return { done: `${id} is already on tier ${to}` };
  }
  const next = decided.metadata;
  const signing = decided.signed === true;
  try {
    await common.withRetries(() => mgmt.organizations.update(id, { metadata: next }), { ...retry, what: `PATCH organizations/${id}` });
  } catch (err) {
    throw await fail(err.code ?? 'unavailable', err.message);
  }
  await write('done');
  return { done: `${id}: ag_tier ${p.from_tier ?? 'none'} -> ${to}${signing ? ' (signed)' : ''}` };
}

module.exports = { classify, execute, gather, markdown, LLM_CHECKPOINT: common.LLM_CHECKPOINT, MEMBER_COUNT_CAP };
