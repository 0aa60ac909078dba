'use strict';
// The store: one interface over SQLite (embedded default) and PostgreSQL (several
// instances behind a load balancer), chosen by DATABASE_URL. Both dialects give
// the same results for the same calls (test/store.test.js runs one contract suite
// against each). This module holds what the dialects share: the URL, the approval
// states, the checks on arguments and the shape of an approval row.
//
// Store (all methods async):
//   dialect, schemaVersion
//   ingestLogs({ events, rejects, source, receivedMs }) -> { stored, duplicates, rejected }
//     (source defaults to 'unknown', receivedMs to the store's clock)
//   getLog(logId) -> row | null;  listRejects({ limit? }) -> rows, oldest first
//   putAuditRecords(records, { receivedMs }) -> { stored, duplicates }
//   receiveApproval({ dedupe_key, kind, request, receivedMs }) -> { dedupe_key, status, requests_seen }
//   getApproval(key) -> row | null;  listApprovals({ status? }) -> rows by received_ms
//   transitionApproval(key, { from, to, fields, nowMs, reclaim? }) -> row | null (lost the race / wrong state)
//   setCreationMarker(key, marker) -> the marker stored (first wins) | null (no such approval)
//   getCheckpoint(name) -> string | null;  setCheckpoint(name, value)
//   upsertAlerts(alerts, { nowMs }) -> [{ row, created, changed, escalated }] (alerts as the core's
//     takeAlerts gives them; each merged into its row, see mergeAlert)
//   getAlert(key) -> row | null;  listAlerts({ sinceMs?, limit? }) -> rows, latest last_seen first
//   claimAlertNotice(key, { nowMs, cooldownMs, severity }) -> boolean (this caller sends the notice)
//   alertsFingerprint({ sinceMs }) -> string (changes when an alert seen since then changes)
//   purge({ beforeMs }) -> { logs, rejects, audit, alerts };  stats();  approvalStats();  ping();  close()
//   userActivity({ successTypes, mfaTypes, userId? }) -> { oldest_ms, users: [{ user_id, last_success_ms, mfa_seen }] }
//     (per user over every stored log, or that one user: what an access review reads)
//   readLogs({ fromMs, untilMs, after?, limit? }) -> [{ log_id, date_ms, raw }] (a page, by date_ms then log_id)
//   organizationActivity({ fromMs, untilMs, successTypes, failureTypes }) -> [{ organization_id, logins,
//     active_users, failed, first_seen_ms, last_seen_ms }] per organization with stored logs: logins (of
//     successTypes), distinct users among them, and failures (of failureTypes) in [fromMs, untilMs);
//     first and last seen over every stored log before untilMs (what classification reads)
//   readAuditRecords({ fromMs, untilMs, after?, limit? }) -> [{ id, at, raw }] (a page, by ts_ms, else
//     received_ms, then id); after: the previous page's last { ms, key } (what the health report reads)
// Unreachable database: rejects with an Error whose code is 'store_unavailable'.

const crypto = require('node:crypto');
const { StoreUnavailableError, SchemaTooNewError } = require('./errors.js');

/**
 * The approval states, as the core lists them (approvals::State::ALL, the facade's
 * approvalStates(): store.test.js checks they agree); which moves between them are
 * legal is the core's (approvalStep). Kept here so the store does not load the core.
 */
const STATES = Object.freeze(['pending', 'approved', 'rejected', 'executing', 'done', 'failed']);
const STATE_SET = new Set(STATES);

/** Columns a transition may set besides status (version and updated_ms are the store's). */
const TRANSITION_FIELDS = Object.freeze(['decided_ms', 'decided_by', 'executor', 'lease_until_ms', 'organization_id', 'error']);
const TRANSITION_FIELD_SET = new Set(TRANSITION_FIELDS);

/** Columns of an approval row, in the order rows are returned. */
const APPROVAL_COLUMNS = Object.freeze([
  'dedupe_key',
  'kind',
  'status',
  'request',
  'requests_seen',
  'received_ms',
  'updated_ms',
  'decided_ms',
  'decided_by',
  'creation_marker',
  'executor',
  'lease_until_ms',
  'organization_id',
  'error',
  'version',
]);

/** Columns of a stored log, in the order getLog returns them. */
const LOG_COLUMNS = Object.freeze(['log_id', 'type', 'date_ms', 'organization_id', 'user_id', 'ip', 'client_id', 'connection', 'source', 'received_ms', 'raw']);

/** Columns of an alert row, in the order rows are returned. */
const ALERT_COLUMNS = Object.freeze([
  'alert_key',
  'kind',
  'subject_type',
  'subject_value',
  'severity',
  'organizations',
  'users',
  'events',
  'first_seen_ms',
  'last_seen_ms',
  'reasons',
  'targets',
  'created_ms',
  'updated_ms',
  'notified_ms',
  'notified_severity',
  'version',
]);
/** The core's severities, least first (detect::Severity). */
const SEVERITIES = Object.freeze(['low', 'medium', 'high']);
/** As the core bounds them (detect::MAX_ALERT_ORGS, MAX_ALERT_TARGETS). */
const MAX_ALERT_ORGS = 64;
const MAX_ALERT_TARGETS = 1000;

/** Longest excerpt of a rejected line kept (characters). */
const MAX_EXCERPT = 512;
/** Rows deleted per statement by purge: short transactions, never a long lock. */
const PURGE_CHUNK = 5000;

/**
 * @typedef {{ log_id: string, type: string, date_ms: number, organization_id?: string|null, user_id?: string|null,
 *   ip?: string|null, client_id?: string|null, connection?: string|null, raw: string }} LogEvent
 * @typedef {{ index: number, reason_code: string, message: string, excerpt?: string }} LogReject
 * @typedef {{ id: string, at_ms?: number|null, trigger?: string|null, outcome?: string|null, organization_id?: string|null, raw: string }} AuditRecord
 * @typedef {'pending'|'approved'|'rejected'|'executing'|'done'|'failed'} ApprovalState
 * @typedef {{ dedupe_key: string, kind: string, status: ApprovalState, request: any, requests_seen: number, received_ms: number,
 *   updated_ms: number, decided_ms: number|null, decided_by: string|null, creation_marker: string|null, executor: string|null,
 *   lease_until_ms: number|null, organization_id: string|null, error: string|null, version: number }} ApprovalRow
 * @typedef {{ from: ApprovalState[], to: ApprovalState, fields?: Record<string, string|number|null>, nowMs?: number, reclaim?: boolean, holder?: string }} Transition
 *   reclaim: whether a claim whose lease ran out may be taken over (default false; the core's move says: approvalStep's `reclaim`)
 * @typedef {import('./sqlite.js').SqliteStore | import('./postgres.js').PostgresStore} Store
 */

/**
 * @typedef {{ fromMs: number, untilMs: number, after?: { ms: number, key: string } | null, limit?: number }} PageQuery
 */

/** Rows of one page the report reads at most. */
const MAX_PAGE = 10_000;

/**
 * Checks a page query of readLogs / readAuditRecords: a time range in ms, the previous
 * page's last row (or none: from the start of the range) and a page size.
 * @param {PageQuery} q
 */
function checkPage(q) {
  const finite = (/** @type {unknown} */ v) => typeof v === 'number' && Number.isFinite(v);
  if (!q || !finite(q.fromMs) || !finite(q.untilMs)) throw new TypeError('read: fromMs and untilMs must be numbers');
  const limit = q.limit ?? 5000;
  if (!Number.isInteger(limit) || limit < 1 || limit > MAX_PAGE) throw new TypeError(`read: limit must be an integer from 1 to ${MAX_PAGE}`);
  const after = q.after ?? null;
  if (after !== null && (!finite(after.ms) || typeof after.key !== 'string')) throw new TypeError('read: after must be { ms, key }');
  // Before the range: every row of it comes after this one.
  return { fromMs: q.fromMs, untilMs: q.untilMs, afterMs: after ? after.ms : q.fromMs - 1, afterKey: after ? after.key : '', limit };
}

/**
 * Checks an organizationActivity query: a time range in ms and two lists of log types.
 * @param {{ fromMs: number, untilMs: number, successTypes: string[], failureTypes: string[] }} q
 */
function checkOrgActivity(q) {
  const finite = (/** @type {unknown} */ v) => typeof v === 'number' && Number.isFinite(v);
  if (!q || !finite(q.fromMs) || !finite(q.untilMs)) throw new TypeError('organizationActivity: fromMs and untilMs must be numbers');
  for (const k of /** @type {const} */ (['successTypes', 'failureTypes'])) {
    const v = q[k];
    if (!Array.isArray(v) || v.length > 100 || !v.every((t) => typeof t === 'string' && t.length > 0 && t.length <= 32)) {
      throw new TypeError(`organizationActivity: ${k} must be a list of log types`);
    }
  }
  return {
    fromMs: q.fromMs,
    untilMs: q.untilMs,
    success: JSON.stringify(q.successTypes),
    failure: JSON.stringify(q.failureTypes),
    successTypes: q.successTypes,
    failureTypes: q.failureTypes,
  };
}

/**
 * Checks a transition's arguments and returns the fields to set, in a stable
 * order (so a dialect can cache one statement per shape).
 * @param {string} key
 * @param {Transition} t
 * @returns {{ from: ApprovalState[], to: ApprovalState, reclaim: boolean, fields: [string, string|number|null][], holder: string | null }}
 */
function checkTransition(key, t) {
  if (typeof key !== 'string' || !key) throw new TypeError('transitionApproval: key must be a non-empty string');
  if (!t || !Array.isArray(t.from) || t.from.length === 0) throw new TypeError('transitionApproval: from must be a non-empty array of states');
  for (const s of t.from) if (!STATE_SET.has(s)) throw new TypeError(`transitionApproval: unknown state "${s}"`);
  if (!STATE_SET.has(t.to)) throw new TypeError(`transitionApproval: unknown state "${t.to}"`);
  /** @type {[string, string|number|null][]} */
  const fields = [];
  for (const [name, value] of Object.entries(t.fields || {})) {
    if (!TRANSITION_FIELD_SET.has(name)) throw new TypeError(`transitionApproval: field "${name}" cannot be set by a transition`);
    if (value === undefined) continue;
    fields.push([name, value]);
  }
  fields.sort((a, b) => TRANSITION_FIELDS.indexOf(a[0]) - TRANSITION_FIELDS.indexOf(b[0]));
  if (t.reclaim !== undefined && typeof t.reclaim !== 'boolean') throw new TypeError('transitionApproval: reclaim must be a boolean');
  // A fence: the move applies only while this executor still holds the claim, so one whose
  // lease ran out (and was taken over) cannot record an outcome over its successor's.
  if (t.holder !== undefined && (typeof t.holder !== 'string' || !t.holder)) throw new TypeError('transitionApproval: holder must be a non-empty string');
  return { from: [...new Set(t.from)], to: t.to, reclaim: t.reclaim ?? false, fields, holder: t.holder ?? null };
}

/**
 * An approval row as the dialects return it: request parsed, numbers as numbers,
 * keys in APPROVAL_COLUMNS order.
 * @param {Record<string, any>} r
 * @returns {ApprovalRow}
 */
function approvalRow(r) {
  /** @type {Record<string, any>} */
  const out = {};
  for (const c of APPROVAL_COLUMNS) out[c] = r[c] === undefined ? null : r[c];
  out.request = JSON.parse(r.request);
  return /** @type {ApprovalRow} */ (out);
}

/** @param {Record<string, any>} r */
function logRow(r) {
  /** @type {Record<string, any>} */
  const out = {};
  for (const c of LOG_COLUMNS) out[c] = r[c] === undefined ? null : r[c];
  return out;
}

/**
 * A reject as stored: the message and a bounded excerpt of the line (at most
 * MAX_EXCERPT characters, each NUL replaced by U+FFFD: a line the core could not read
 * may hold one, and PostgreSQL's text refuses it, so the whole batch would fail and
 * be retried forever). The one gate of both dialects.
 * @param {LogReject} r
 */
function rejectRow(r) {
  const text = typeof r.excerpt === 'string' ? r.excerpt : '';
  const cut = text.length > MAX_EXCERPT ? text.slice(0, MAX_EXCERPT) : text;
  return {
    line_index: r.index,
    reason_code: r.reason_code,
    message: r.message ?? '',
    excerpt: cut.includes('\u0000') ? cut.replaceAll('\u0000', '\ufffd') : cut,
  };
}

/**
 * An alert's key: SHA-256 (hex) of its kind, subject type and value (a value may be
 * long, a primary key should not be).
 * @param {string} kind
 * @param {string} type
 * @param {string} value
 */
function alertKey(kind, type, value) {
  return crypto.createHash('sha256').update(`${kind}\0${type}\0${value}`).digest('hex');
}

/**
 * @typedef {{ kind: string, severity: string, subject: { type: string, value: string }, organizations?: string[],
 *   users?: number, events?: number, first_seen: string, last_seen: string, reasons?: { code: string }[], targets?: string[] }} LiveAlert
 * @typedef {{ alert_key: string, kind: string, subject_type: string, subject_value: string, severity: string,
 *   organizations: string[], users: number, events: number, first_seen_ms: number, last_seen_ms: number,
 *   reasons: string[], targets: string[] }} AlertRecord
 * @typedef {AlertRecord & { created_ms: number, updated_ms: number, notified_ms: number | null,
 *   notified_severity: string | null, version: number }} AlertRow
 */

/**
 * An alert as the core hands it out, checked, in the store's form.
 * @param {LiveAlert} a
 * @returns {AlertRecord}
 */
function alertRecord(a) {
  if (!a || typeof a.kind !== 'string' || !a.kind) throw new TypeError('upsertAlerts: kind must be a non-empty string');
  if (!SEVERITIES.includes(a.severity)) throw new TypeError(`upsertAlerts: unknown severity "${a.severity}"`);
  if (!a.subject || typeof a.subject.type !== 'string' || typeof a.subject.value !== 'string') throw new TypeError('upsertAlerts: subject must be { type, value }');
  const first = Date.parse(a.first_seen);
  const last = Date.parse(a.last_seen);
  if (!Number.isFinite(first) || !Number.isFinite(last)) throw new TypeError('upsertAlerts: first_seen and last_seen must be RFC 3339 times');
  const strings = (/** @type {unknown} */ v) => (Array.isArray(v) ? v.filter((x) => typeof x === 'string') : []);
  return {
    alert_key: alertKey(a.kind, a.subject.type, a.subject.value),
    kind: a.kind,
    subject_type: a.subject.type,
    subject_value: a.subject.value,
    severity: a.severity,
    organizations: [...new Set(strings(a.organizations))].sort().slice(0, MAX_ALERT_ORGS),
    users: Number(a.users) || 0,
    events: Number(a.events) || 0,
    first_seen_ms: first,
    last_seen_ms: last,
    reasons: [...new Set(strings((a.reasons ?? []).map((r) => r?.code)))].sort(),
    targets: [...new Set(strings(a.targets))].sort().slice(0, MAX_ALERT_TARGETS),
  };
}

/**
 * Two views of one alert merged: the worse severity, the union of organizations, reasons
 * and targets (bounded as the core bounds them), the larger counts, the earlier first and
 * later last seen. Idempotent, and the same whatever the order: instances each see part
 * of the stream, each stores what it saw, and the row ends the same.
 * @param {AlertRecord} a
 * @param {AlertRecord} b
 * @returns {AlertRecord}
 */
function mergeAlert(a, b) {
  const union = (/** @type {string[]} */ x, /** @type {string[]} */ y, /** @type {number} */ max) => [...new Set([...x, ...y])].sort().slice(0, max);
  return {
    alert_key: a.alert_key,
    kind: a.kind,
    subject_type: a.subject_type,
    subject_value: a.subject_value,
    severity: SEVERITIES[Math.max(SEVERITIES.indexOf(a.severity), SEVERITIES.indexOf(b.severity))],
    organizations: union(a.organizations, b.organizations, MAX_ALERT_ORGS),
    users: Math.max(a.users, b.users),
    events: Math.max(a.events, b.events),
    first_seen_ms: Math.min(a.first_seen_ms, b.first_seen_ms),
    last_seen_ms: Math.max(a.last_seen_ms, b.last_seen_ms),
    reasons: union(a.reasons, b.reasons, Infinity),
    targets: union(a.targets, b.targets, MAX_ALERT_TARGETS),
  };
}

/** The fields mergeAlert decides, as one comparable string. @param {AlertRecord} r */
const alertContent = (r) => JSON.stringify([r.severity, r.organizations, r.users, r.events, r.first_seen_ms, r.last_seen_ms, r.reasons, r.targets]);

/**
 * An alert row as the dialects return it: arrays parsed, numbers as numbers.
 * @param {Record<string, any>} r
 * @returns {AlertRow}
 */
function alertRow(r) {
  /** @type {Record<string, any>} */
  const out = {};
  for (const c of ALERT_COLUMNS) out[c] = r[c] === undefined ? null : r[c];
  for (const c of ['organizations', 'reasons', 'targets']) out[c] = JSON.parse(r[c]);
  for (const c of ['users', 'events', 'first_seen_ms', 'last_seen_ms', 'created_ms', 'updated_ms', 'version']) out[c] = Number(r[c]);
  if (out.notified_ms !== null) out.notified_ms = Number(out.notified_ms);
  return /** @type {AlertRow} */ (out);
}

/**
 * A stored alert in the core's shape again (what the threat feed and the webhook read).
 * @param {AlertRow | AlertRecord} r
 * @returns {LiveAlert & { organizations: string[], users: number, events: number, reasons: { code: string }[], targets: string[] }}
 */
function alertOf(r) {
  return {
    kind: r.kind,
    severity: r.severity,
    subject: { type: r.subject_type, value: r.subject_value },
    organizations: r.organizations,
    users: r.users,
    events: r.events,
    first_seen: new Date(r.first_seen_ms).toISOString(),
    last_seen: new Date(r.last_seen_ms).toISOString(),
    reasons: r.reasons.map((code) => ({ code })),
    targets: r.targets,
  };
}

/** @param {string} severity */
const severityRank = (severity) => SEVERITIES.indexOf(severity) + 1;

/**
 * userActivity's argument: two non-empty lists of log types (the core's).
 * @param {any} q
 * @returns {{ successTypes: string[], mfaTypes: string[], userId: string | null }}
 */
function checkActivity(q) {
  for (const name of ['successTypes', 'mfaTypes']) {
    const list = q?.[name];
    if (!Array.isArray(list) || list.length === 0 || list.length > 100 || !list.every((t) => typeof t === 'string' && t.length > 0 && t.length <= 64)) {
      throw new TypeError(`userActivity: ${name} must be 1 to 100 log types`);
    }
  }
  if (q.userId !== undefined && (typeof q.userId !== 'string' || !q.userId)) throw new TypeError('userActivity: userId must be a non-empty string');
  return { successTypes: q.successTypes, mfaTypes: q.mfaTypes, userId: q.userId ?? null };
}

/** @param {any} a receiveApproval's argument */
function checkApproval(a) {
  if (!a || typeof a.dedupe_key !== 'string' || !a.dedupe_key) throw new TypeError('receiveApproval: dedupe_key must be a non-empty string');
  if (typeof a.kind !== 'string' || !a.kind) throw new TypeError('receiveApproval: kind must be a non-empty string');
  if (a.request === undefined) throw new TypeError('receiveApproval: request is required');
}

/** @param {string|undefined} status */
function checkStatus(status) {
  if (status !== undefined && !STATE_SET.has(status)) throw new TypeError(`listApprovals: unknown state "${status}"`);
}

/**
 * `{ pending: n, ... }` with every state present.
 * @param {{ status: string, n: number }[]} rows
 */
function approvalCounts(rows) {
  /** @type {Record<string, number>} */
  const counts = {};
  for (const s of STATES) counts[s] = 0;
  for (const r of rows) counts[r.status] = Number(r.n);
  return counts;
}

/**
 * A clock: openStore's `nowMs` may be a function or a fixed number (tests).
 * @param {(() => number) | number | undefined} nowMs
 * @returns {() => number}
 */
function clock(nowMs) {
  if (typeof nowMs === 'function') return nowMs;
  if (typeof nowMs === 'number') return () => nowMs;
  return Date.now;
}

/**
 * Opens the store named by a DATABASE_URL, with migrations applied:
 * `sqlite:<path>` (a file, created with its directory if missing), `sqlite::memory:`,
 * or `postgres://...` / `postgresql://...` (optional `?schema=<name>`: tables live in
 * that schema, created if missing and set as search_path on every connection).
 * @param {string} url
 * @param {{ nowMs?: (() => number) | number, pool?: { max?: number, connectionTimeoutMillis?: number } }} [opts]
 */
async function openStore(url, opts = {}) {
  if (typeof url !== 'string' || url.trim() === '') {
    throw new Error('DATABASE_URL is not set: use sqlite:<path>, sqlite::memory: or postgres://user@host:port/database');
  }
  const now = clock(opts.nowMs);
  if (url.startsWith('sqlite:')) {
    let file = url.slice('sqlite:'.length);
    if (file.startsWith('//')) file = file.slice(2); // sqlite:///abs/path and sqlite://rel/path
    if (file === '') throw new Error('DATABASE_URL sqlite: needs a path (sqlite:<path>) or :memory: (sqlite::memory:)');
    return require('./sqlite.js').openSqlite(file, { nowMs: now });
  }
  if (url.startsWith('postgres://') || url.startsWith('postgresql://')) {
    return require('./postgres.js').openPostgres(url, { nowMs: now, pool: opts.pool });
  }
  // Never echo the URL itself: it may carry a password.
  const scheme = /^([A-Za-z][A-Za-z0-9+.-]*):/.exec(url);
  throw new Error(`DATABASE_URL scheme ${scheme ? `"${scheme[1]}:"` : '(none)'} is not supported: use sqlite:<path>, sqlite::memory: or postgres://...`);
}

module.exports = {
  openStore,
  STATES,
  TRANSITION_FIELDS,
  APPROVAL_COLUMNS,
  LOG_COLUMNS,
  MAX_EXCERPT,
  PURGE_CHUNK,
  StoreUnavailableError,
  SchemaTooNewError,
  checkTransition,
  checkApproval,
  checkActivity,
  checkOrgActivity,
  checkStatus,
  checkPage,
  approvalRow,
  logRow,
  rejectRow,
  approvalCounts,
  ALERT_COLUMNS,
  SEVERITIES,
  alertKey,
  alertRecord,
  mergeAlert,
  alertContent,
  alertRow,
  alertOf,
  severityRank,
};
