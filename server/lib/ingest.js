'use strict';
// One body of Auth0 logs (a stream batch, a chunk of an export) into the store: the
// core reads it (parseLogBatch: good lines, rejects with reasons, repeats within the
// batch), the store keeps each distinct log once by `log_id` and each reject with
// its reason, in one transaction, and only then is the batch acknowledged. With live
// detection (lib/live.js) the committed body then goes to the long-lived analyzer.

const core = require('./core.js');
const { MAX_EXCERPT } = require('./store/index.js');

/**
 * The text of an entry the core located (`start`..`end`, UTF-8 byte offsets into the
 * body): the store keeps each log and audit record whole, byte for byte (an
 * investigation needs every field; the core keeps only what detection reads).
 * @param {Buffer} bytes the body as UTF-8, as the core read it
 * @returns {(entry: { start: number, end: number }) => string}
 */
const textOf = (bytes) => (entry) => bytes.subarray(entry.start, entry.end).toString('utf8');

/**
 * The start of a rejected entry, enough for the store's excerpt (MAX_EXCERPT UTF-16
 * units take at most 3 bytes each) without decoding a long line whole.
 * @param {Buffer} bytes
 * @returns {(entry: { start: number, end: number }) => string}
 */
const headOf = (bytes) => (entry) => bytes.subarray(entry.start, Math.min(entry.end, entry.start + 4 * MAX_EXCERPT)).toString('utf8');

/**
 * @typedef {{ stored: number, duplicates: number, rejected: number, events: number }} IngestResult
 *  events: distinct valid logs in the body; duplicates: entries repeating a log_id of
 *  this body plus logs the store already had.
 */

/**
 * @param {import('./store/index.js').Store} store
 * @param {string} body
 * @param {{ source: 'stream' | 'import' | 'pull', nowMs?: number, live?: { feed: (body: string) => void } | null }} options
 *   live: fed the body once it is committed (never throws)
 * @returns {Promise<IngestResult>}
 */
async function ingestBody(store, body, { source, nowMs = Date.now(), live = null }) {
  const batch = core.orThrow(core.parseLogBatch(body));
  const bytes = Buffer.from(body, 'utf8');
  const raw = textOf(bytes);
  const head = headOf(bytes);
  const events = batch.events.map((e) => ({
    log_id: e.log_id,
    type: e.type,
    date_ms: e.date_ms,
    organization_id: e.organization_id ?? null,
    user_id: e.user_id ?? null,
    ip: e.ip ?? null,
    client_id: e.client_id ?? null,
    connection: e.connection ?? null,
    raw: raw(e),
  }));
  const rejects = batch.rejects.map((r) => ({ index: r.index, reason_code: r.reason_code, message: r.message, excerpt: head(r) }));
  const { stored, duplicates } = await store.ingestLogs({ events, rejects, source, receivedMs: nowMs });
  if (live && events.length > 0) live.feed(body);
  return { events: events.length, stored, duplicates: duplicates + batch.duplicates, rejected: rejects.length };
}

/**
 * The Actions' audit webhook body into the store, once per record id.
 * @param {import('./store/index.js').Store} store
 * @param {string} body
 * @param {{ nowMs?: number }} [options]
 * @returns {Promise<{ stored: number, duplicates: number, rejected: number, rejects: import("actionguard").AuditRecordReject[] }>}
 */
async function ingestAudit(store, body, { nowMs = Date.now() } = {}) {
  const read = core.orThrow(core.readAuditRecords(body));
  const raw = textOf(Buffer.from(body, 'utf8'));
  const records = read.records.map((r) => ({
    id: r.id,
    at_ms: r.at_ms ?? null,
    trigger: r.trigger ?? null,
    outcome: r.outcome ?? null,
    organization_id: r.organization_id ?? null,
    raw: raw(r),
  }));
  const { stored, duplicates } = records.length > 0 ? await store.putAuditRecords(records, { receivedMs: nowMs }) : { stored: 0, duplicates: 0 };
  return { stored, duplicates: duplicates + read.duplicates, rejected: read.rejects.length, rejects: read.rejects };
}

module.exports = { ingestBody, ingestAudit };
