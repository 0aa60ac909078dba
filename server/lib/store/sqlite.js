'use strict';
// The embedded store: one SQLite file through better-sqlite3 (synchronous; every
// call is short, and purge yields between chunks so a big delete never blocks
// the event loop for long).
//
// Durability: WAL with synchronous=NORMAL. A transaction is in the WAL, handed to
// the operating system, before commit returns, so it survives the process being
// killed (kill -9, a crash): an acknowledged batch is never lost that way. Only a
// power cut or OS crash can lose the last commits (never corrupt the file);
// FULL would fsync every commit for that case, at a large cost in throughput.

const fs = require('node:fs');
const path = require('node:path');
const Database = require('better-sqlite3');
const { mapError, isSqliteUnavailable } = require('./errors.js');
const { migrateSqlite } = require('./migrations.js');
const contract = require('./index.js');

const LOG_INSERT = `INSERT INTO logs (log_id, type, date_ms, organization_id, user_id, ip, client_id, connection, source, received_ms, raw)
  VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (log_id) DO NOTHING`;
const REJECT_INSERT = 'INSERT INTO log_rejects (received_ms, source, line_index, reason_code, message, excerpt) VALUES (?, ?, ?, ?, ?, ?)';
const AUDIT_INSERT = `INSERT INTO audit_records (id, at_ms, "trigger", outcome, organization_id, received_ms, raw)
  VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (id) DO NOTHING`;
const APPROVAL_SELECT = `SELECT ${contract.APPROVAL_COLUMNS.join(', ')} FROM approvals`;
const ALERT_SELECT = `SELECT ${contract.ALERT_COLUMNS.join(', ')} FROM alerts`;
// The severity a notice was last sent at, as a rank (severityRank): a worse one is sent within the cooldown.
const NOTIFIED_RANK = "(CASE notified_severity WHEN 'low' THEN 1 WHEN 'medium' THEN 2 WHEN 'high' THEN 3 ELSE 0 END)";

/** @param {unknown} err */
function mapped(err) {
  return mapError(err, isSqliteUnavailable);
}

/** @param {unknown} v */
function orNull(v) {
  return v === undefined ? null : v;
}

/**
 * @param {string} file a path or ':memory:'
 * @param {{ nowMs: () => number }} opts
 */
async function openSqlite(file, { nowMs }) {
  let db;
  try {
    if (file !== ':memory:') fs.mkdirSync(path.dirname(path.resolve(file)), { recursive: true });
    db = new Database(file);
    // Set first: journal_mode and the migrations wait on another process's lock.
    db.pragma('busy_timeout = 5000');
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = NORMAL');
    // SQLite checkpoints the WAL inside the commit that crosses this many pages, with its
    // disk syncs, on the event loop; every ~40 MB rather than every 4 MB keeps those
    // stalls rare under a stream of small batches (docs/benchmarks.md, control plane ingest).
    db.pragma('wal_autocheckpoint = 10000');
    const version = migrateSqlite(db, nowMs());
    return new SqliteStore(db, { nowMs, version });
  } catch (err) {
    if (db) db.close();
    throw mapped(err);
  }
}

class SqliteStore {
  /**
   * @param {import('better-sqlite3').Database} db
   * @param {{ nowMs: () => number, version: number }} opts
   */
  constructor(db, { nowMs, version }) {
    this.dialect = 'sqlite';
    this.schemaVersion = version;
    this.db = db;
    this.nowMs = nowMs;
    /** @type {Map<string, import('better-sqlite3').Statement>} transition statements, one per shape */
    this.transitions = new Map();
    const s = {
      insertLog: db.prepare(LOG_INSERT),
      insertReject: db.prepare(REJECT_INSERT),
      insertAudit: db.prepare(AUDIT_INSERT),
      getLog: db.prepare(`SELECT ${contract.LOG_COLUMNS.join(', ')} FROM logs WHERE log_id = ?`),
      listRejects: db.prepare('SELECT id, received_ms, source, line_index, reason_code, message, excerpt FROM log_rejects ORDER BY id LIMIT ?'),
      receiveApproval: db.prepare(`INSERT INTO approvals (dedupe_key, kind, status, request, requests_seen, received_ms, updated_ms, version)
        VALUES (?, ?, 'pending', ?, 1, ?, ?, 1)
        ON CONFLICT (dedupe_key) DO UPDATE SET requests_seen = approvals.requests_seen + 1
        RETURNING dedupe_key, status, requests_seen`),
      getApproval: db.prepare(`${APPROVAL_SELECT} WHERE dedupe_key = ?`),
      listApprovals: db.prepare(`${APPROVAL_SELECT} ORDER BY received_ms, dedupe_key`),
      listApprovalsByStatus: db.prepare(`${APPROVAL_SELECT} WHERE status = ? ORDER BY received_ms, dedupe_key`),
      setMarker: db.prepare('UPDATE approvals SET creation_marker = ? WHERE dedupe_key = ? AND creation_marker IS NULL'),
      getMarker: db.prepare('SELECT creation_marker FROM approvals WHERE dedupe_key = ?').pluck(),
      getCheckpoint: db.prepare('SELECT value FROM checkpoints WHERE name = ?').pluck(),
      setCheckpoint: db.prepare(`INSERT INTO checkpoints (name, value, updated_ms) VALUES (?, ?, ?)
        ON CONFLICT (name) DO UPDATE SET value = excluded.value, updated_ms = excluded.updated_ms`),
      purgeLogs: db.prepare('DELETE FROM logs WHERE rowid IN (SELECT rowid FROM logs WHERE date_ms < ? LIMIT ?)'),
      purgeRejects: db.prepare('DELETE FROM log_rejects WHERE id IN (SELECT id FROM log_rejects WHERE received_ms < ? LIMIT ?)'),
      purgeAudit: db.prepare('DELETE FROM audit_records WHERE rowid IN (SELECT rowid FROM audit_records WHERE COALESCE(at_ms, received_ms) < ? LIMIT ?)'),
      counts: db.prepare('SELECT (SELECT count(*) FROM logs) AS logs, (SELECT count(*) FROM log_rejects) AS rejects, (SELECT count(*) FROM audit_records) AS audit'),
      approvalCounts: db.prepare('SELECT status, count(*) AS n FROM approvals GROUP BY status'),
      getAlert: db.prepare(`${ALERT_SELECT} WHERE alert_key = ?`),
      insertAlert: db.prepare(`INSERT INTO alerts (alert_key, kind, subject_type, subject_value, severity, organizations, users, events,
        first_seen_ms, last_seen_ms, reasons, targets, created_ms, updated_ms, version) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 1)`),
      updateAlert: db.prepare(`UPDATE alerts SET severity = ?, organizations = ?, users = ?, events = ?, first_seen_ms = ?, last_seen_ms = ?,
        reasons = ?, targets = ?, updated_ms = ?, version = version + 1 WHERE alert_key = ?`),
      listAlerts: db.prepare(`${ALERT_SELECT} WHERE last_seen_ms >= ? ORDER BY last_seen_ms DESC, alert_key LIMIT ?`),
      claimNotice: db.prepare(`UPDATE alerts SET notified_ms = ?, notified_severity = ?
        WHERE alert_key = ? AND (notified_ms IS NULL OR notified_ms <= ? OR ${NOTIFIED_RANK} < ?)`),
      alertsFingerprint: db.prepare('SELECT count(*) AS n, COALESCE(max(updated_ms), 0) AS u, COALESCE(sum(version), 0) AS v FROM alerts WHERE last_seen_ms >= ?'),
      purgeAlerts: db.prepare('DELETE FROM alerts WHERE alert_key IN (SELECT alert_key FROM alerts WHERE last_seen_ms < ? LIMIT ?)'),
      ping: db.prepare('SELECT 1').pluck(),
      // The report's reads: keyset pages in (time, key) order, raw lines only.
      readLogs: db.prepare(`SELECT log_id, date_ms, raw FROM logs
        WHERE date_ms >= ? AND date_ms < ? AND (date_ms > ? OR (date_ms = ? AND log_id > ?))
        ORDER BY date_ms, log_id LIMIT ?`),
      readAudit: db.prepare(`SELECT id, COALESCE(at_ms, received_ms) AS at, raw FROM audit_records
        WHERE COALESCE(at_ms, received_ms) >= ? AND COALESCE(at_ms, received_ms) < ? AND (COALESCE(at_ms, received_ms) > ? OR (COALESCE(at_ms, received_ms) = ? AND id > ?))
        ORDER BY COALESCE(at_ms, received_ms), id LIMIT ?`),
    };
    this.s = s;

    // All or nothing: one IMMEDIATE transaction (takes the write lock up front, so
    // a busy database waits busy_timeout instead of failing half-way).
    this.ingestTx = db.transaction((/** @type {import('./index.js').LogEvent[]} */ events, /** @type {import('./index.js').LogReject[]} */ rejects, source, receivedMs) => {
      let stored = 0;
      for (const e of events) {
        stored += s.insertLog.run(
          e.log_id,
          e.type,
          e.date_ms,
          orNull(e.organization_id),
          orNull(e.user_id),
          orNull(e.ip),
          orNull(e.client_id),
          orNull(e.connection),
          source,
          receivedMs,
          e.raw,
        ).changes;
      }
      for (const r of rejects) {
        const row = contract.rejectRow(r);
        s.insertReject.run(receivedMs, source, row.line_index, row.reason_code, row.message, row.excerpt);
      }
      return stored;
    });
    // Each alert merged into its row (contract.mergeAlert), all in one IMMEDIATE transaction.
    this.alertsTx = db.transaction((/** @type {import('./index.js').AlertRecord[]} */ records, /** @type {number} */ nowMs) => {
      const out = [];
      for (const rec of records) {
        const found = s.getAlert.get(rec.alert_key);
        if (!found) {
          s.insertAlert.run(
            rec.alert_key,
            rec.kind,
            rec.subject_type,
            rec.subject_value,
            rec.severity,
            JSON.stringify(rec.organizations),
            rec.users,
            rec.events,
            rec.first_seen_ms,
            rec.last_seen_ms,
            JSON.stringify(rec.reasons),
            JSON.stringify(rec.targets),
            nowMs,
            nowMs,
          );
          out.push({ row: contract.alertRow(s.getAlert.get(rec.alert_key)), created: true, changed: true, escalated: false });
          continue;
        }
        const prev = contract.alertRow(found);
        const merged = contract.mergeAlert(prev, rec);
        if (contract.alertContent(merged) === contract.alertContent(prev)) {
          out.push({ row: prev, created: false, changed: false, escalated: false });
          continue;
        }
        s.updateAlert.run(
          merged.severity,
          JSON.stringify(merged.organizations),
          merged.users,
          merged.events,
          merged.first_seen_ms,
          merged.last_seen_ms,
          JSON.stringify(merged.reasons),
          JSON.stringify(merged.targets),
          nowMs,
          rec.alert_key,
        );
        const row = contract.alertRow(s.getAlert.get(rec.alert_key));
        out.push({ row, created: false, changed: true, escalated: contract.severityRank(row.severity) > contract.severityRank(prev.severity) });
      }
      return out;
    });
    this.auditTx = db.transaction((/** @type {import('./index.js').AuditRecord[]} */ records, receivedMs) => {
      let stored = 0;
      for (const r of records) {
        stored += s.insertAudit.run(r.id, orNull(r.at_ms), orNull(r.trigger), orNull(r.outcome), orNull(r.organization_id), receivedMs, r.raw).changes;
      }
      return stored;
    });
  }

  /**
   * @param {{ events?: import('./index.js').LogEvent[], rejects?: import('./index.js').LogReject[], source?: string, receivedMs?: number }} batch
   */
  async ingestLogs({ events = [], rejects = [], source = 'unknown', receivedMs = this.nowMs() }) {
    try {
      const stored = this.ingestTx.immediate(events, rejects, source, receivedMs);
      return { stored, duplicates: events.length - stored, rejected: rejects.length };
    } catch (err) {
      throw mapped(err);
    }
  }

  /** @param {string} logId */
  async getLog(logId) {
    try {
      const r = this.s.getLog.get(logId);
      return r ? contract.logRow(r) : null;
    } catch (err) {
      throw mapped(err);
    }
  }

  /** @param {{ limit?: number }} [opts] */
  async listRejects({ limit = 1000 } = {}) {
    try {
      return this.s.listRejects.all(limit);
    } catch (err) {
      throw mapped(err);
    }
  }

  /**
   * @param {import('./index.js').AuditRecord[]} records
   * @param {{ receivedMs?: number }} [opts]
   */
  async putAuditRecords(records, { receivedMs = this.nowMs() } = {}) {
    try {
      const stored = this.auditTx.immediate(records, receivedMs);
      return { stored, duplicates: records.length - stored };
    } catch (err) {
      throw mapped(err);
    }
  }

  /** @param {{ dedupe_key: string, kind: string, request: any, receivedMs?: number }} a */
  async receiveApproval(a) {
    contract.checkApproval(a);
    const receivedMs = a.receivedMs ?? this.nowMs();
    try {
      return this.s.receiveApproval.get(a.dedupe_key, a.kind, JSON.stringify(a.request), receivedMs, receivedMs);
    } catch (err) {
      throw mapped(err);
    }
  }

  /** @param {string} key */
  async getApproval(key) {
    try {
      const r = this.s.getApproval.get(key);
      return r ? contract.approvalRow(r) : null;
    } catch (err) {
      throw mapped(err);
    }
  }

  /** @param {{ status?: import('./index.js').ApprovalState }} [opts] */
  async listApprovals({ status } = {}) {
    contract.checkStatus(status);
    try {
      const rows = status === undefined ? this.s.listApprovals.all() : this.s.listApprovalsByStatus.all(status);
      return rows.map(contract.approvalRow);
    } catch (err) {
      throw mapped(err);
    }
  }

  /**
   * One conditional UPDATE: SQLite serializes writers, so of two callers moving
   * the same row from the same state, the second finds the state changed and
   * matches nothing (null).
   * @param {string} key
   * @param {import('./index.js').Transition} t
   */
  async transitionApproval(key, t) {
    const { from, to, reclaim, fields, holder } = contract.checkTransition(key, t);
    const nowMs = t.nowMs ?? this.nowMs();
    const shape = `${from.length}|${reclaim}|${holder !== null}|${fields.map((f) => f[0]).join(',')}`;
    let stmt = this.transitions.get(shape);
    try {
      if (!stmt) {
        const sets = ['status = ?', 'version = version + 1', 'updated_ms = ?', ...fields.map(([name]) => `${name} = ?`)];
        let where = `status IN (${from.map(() => '?').join(', ')})`;
        // A claim whose lease has run out belongs to a dead executor: it may be taken over.
        if (reclaim) where = `(${where} OR (status = 'executing' AND lease_until_ms < ?))`;
        if (holder !== null) where = `${where} AND executor = ?`;
        stmt = this.db.prepare(`UPDATE approvals SET ${sets.join(', ')} WHERE dedupe_key = ? AND ${where} RETURNING ${contract.APPROVAL_COLUMNS.join(', ')}`);
        this.transitions.set(shape, stmt);
      }
      const params = [to, nowMs, ...fields.map((f) => f[1]), key, ...from];
      if (reclaim) params.push(nowMs);
      if (holder !== null) params.push(holder);
      const r = stmt.get(...params);
      return r ? contract.approvalRow(r) : null;
    } catch (err) {
      throw mapped(err);
    }
  }

  /**
   * @param {string} key
   * @param {string} marker
   */
  async setCreationMarker(key, marker) {
    if (typeof marker !== 'string' || !marker) throw new TypeError('setCreationMarker: marker must be a non-empty string');
    try {
      this.s.setMarker.run(marker, key);
      return this.s.getMarker.get(key) ?? null;
    } catch (err) {
      throw mapped(err);
    }
  }

  /** @param {string} name */
  async getCheckpoint(name) {
    try {
      return this.s.getCheckpoint.get(name) ?? null;
    } catch (err) {
      throw mapped(err);
    }
  }

  /**
   * @param {string} name
   * @param {string} value
   */
  async setCheckpoint(name, value) {
    if (typeof value !== 'string') throw new TypeError('setCheckpoint: value must be a string');
    try {
      this.s.setCheckpoint.run(name, value, this.nowMs());
    } catch (err) {
      throw mapped(err);
    }
  }

  /**
   * Deletes in chunks of PURGE_CHUNK rows, each its own short transaction, and
   * yields to the event loop between them.
   * @param {{ beforeMs: number }} opts
   */
  async purge({ beforeMs }) {
    if (typeof beforeMs !== 'number' || !Number.isFinite(beforeMs)) throw new TypeError('purge: beforeMs must be a number');
    const out = { logs: 0, rejects: 0, audit: 0, alerts: 0 };
    /** @type {[keyof typeof out, import('better-sqlite3').Statement][]} */
    const tables = [
      ['logs', this.s.purgeLogs],
      ['rejects', this.s.purgeRejects],
      ['audit', this.s.purgeAudit],
      ['alerts', this.s.purgeAlerts],
    ];
    try {
      for (const [name, stmt] of tables) {
        for (;;) {
          const { changes } = stmt.run(beforeMs, contract.PURGE_CHUNK);
          out[name] += changes;
          if (changes < contract.PURGE_CHUNK) break;
          await new Promise((resolve) => setImmediate(resolve));
        }
      }
      return out;
    } catch (err) {
      throw mapped(err);
    }
  }

  /**
   * One page of the logs dated in [fromMs, untilMs), in (date_ms, log_id) order, after
   * `after` (the last row of the previous page): what the health report reads.
   * @param {import('./index.js').PageQuery} q
   * @returns {Promise<{ log_id: string, date_ms: number, raw: string }[]>}
   */
  async readLogs(q) {
    const { fromMs, untilMs, afterMs, afterKey, limit } = contract.checkPage(q);
    try {
      return /** @type {any[]} */ (this.s.readLogs.all(fromMs, untilMs, afterMs, afterMs, afterKey, limit));
    } catch (err) {
      throw mapped(err);
    }
  }

  /**
   * One page of the audit records timed in [fromMs, untilMs) (their ts_ms, else when
   * received), in (time, id) order, after `after`: what the health report reads.
   * @param {import('./index.js').PageQuery} q
   * @returns {Promise<{ id: string, at: number, raw: string }[]>}
   */
  async readAuditRecords(q) {
    const { fromMs, untilMs, afterMs, afterKey, limit } = contract.checkPage(q);
    try {
      return /** @type {any[]} */ (this.s.readAudit.all(fromMs, untilMs, afterMs, afterMs, afterKey, limit));
    } catch (err) {
      throw mapped(err);
    }
  }

  /**
   * @param {import('./index.js').LiveAlert[]} alerts
   * @param {{ nowMs?: number }} [opts]
   */
  async upsertAlerts(alerts, { nowMs = this.nowMs() } = {}) {
    const records = alerts.map(contract.alertRecord);
    if (records.length === 0) return [];
    try {
      return this.alertsTx.immediate(records, nowMs);
    } catch (err) {
      throw mapped(err);
    }
  }

  /** @param {string} key */
  async getAlert(key) {
    try {
      const r = this.s.getAlert.get(key);
      return r ? contract.alertRow(r) : null;
    } catch (err) {
      throw mapped(err);
    }
  }

  /** @param {{ sinceMs?: number, limit?: number }} [opts] */
  async listAlerts({ sinceMs = 0, limit = 10_000 } = {}) {
    try {
      return this.s.listAlerts.all(sinceMs, limit).map(contract.alertRow);
    } catch (err) {
      throw mapped(err);
    }
  }

  /**
   * Takes the right to send the alert's notice now: true when none was sent within
   * `cooldownMs`, or the last was for a lesser severity. One conditional UPDATE, so of
   * several instances exactly one sends it.
   * @param {string} key
   * @param {{ nowMs?: number, cooldownMs: number, severity: string }} opts
   */
  async claimAlertNotice(key, { nowMs = this.nowMs(), cooldownMs, severity }) {
    try {
      return this.s.claimNotice.run(nowMs, severity, key, nowMs - cooldownMs, contract.severityRank(severity)).changes === 1;
    } catch (err) {
      throw mapped(err);
    }
  }

  /** @param {{ sinceMs?: number }} [opts] */
  async alertsFingerprint({ sinceMs = 0 } = {}) {
    try {
      const r = /** @type {{ n: number, u: number, v: number }} */ (this.s.alertsFingerprint.get(sinceMs));
      return `${r.n}:${r.u}:${r.v}`;
    } catch (err) {
      throw mapped(err);
    }
  }

  /** Approvals by state alone: what /metrics reads at every scrape (a small table). */
  async approvalStats() {
    try {
      return contract.approvalCounts(this.s.approvalCounts.all());
    } catch (err) {
      throw mapped(err);
    }
  }

  /**
   * Per user, the latest log of `successTypes` and whether any of `mfaTypes` was
   * logged, over every stored log; and the oldest log's time (what the logs answer for).
   * @param {{ successTypes: string[], mfaTypes: string[], userId?: string }} q
   * @returns {Promise<{ oldest_ms: number | null, users: { user_id: string, last_success_ms: number | null, mfa_seen: boolean }[] }>}
   */
  async userActivity(q) {
    const { successTypes, mfaTypes, userId } = contract.checkActivity(q);
    const marks = (/** @type {string[]} */ list) => list.map(() => '?').join(',');
    try {
      const users = this.db
        .prepare(
          `SELECT user_id, MAX(CASE WHEN type IN (${marks(successTypes)}) THEN date_ms END) AS last_success_ms,
             MAX(CASE WHEN type IN (${marks(mfaTypes)}) THEN 1 ELSE 0 END) AS mfa
           FROM logs WHERE type IN (${marks([...successTypes, ...mfaTypes])}) AND user_id IS NOT NULL ${userId === null ? '' : 'AND user_id = ?'} GROUP BY user_id`,
        )
        .all(...successTypes, ...mfaTypes, ...successTypes, ...mfaTypes, ...(userId === null ? [] : [userId]))
        .map((/** @type {any} */ r) => ({ user_id: r.user_id, last_success_ms: r.last_success_ms ?? null, mfa_seen: r.mfa === 1 }));
      const oldest = /** @type {{ m: number | null }} */ (this.db.prepare('SELECT MIN(date_ms) AS m FROM logs').get());
      return { oldest_ms: oldest.m ?? null, users };
    } catch (err) {
      throw mapped(err);
    }
  }

  /**
   * Per organization with stored logs: logins, distinct users and failures in
   * [fromMs, untilMs), first and last seen before untilMs (classification's activity).
   * @param {{ fromMs: number, untilMs: number, successTypes: string[], failureTypes: string[] }} q
   * @returns {Promise<{ organization_id: string, logins: number, active_users: number, failed: number, first_seen_ms: number, last_seen_ms: number }[]>}
   */
  async organizationActivity(q) {
    const { fromMs, untilMs, success, failure } = contract.checkOrgActivity(q);
    const inWindow = 'date_ms >= @from';
    try {
      return /** @type {any[]} */ (
        this.db
          .prepare(
            `SELECT organization_id,
               SUM(CASE WHEN ${inWindow} AND type IN (SELECT value FROM json_each(@success)) THEN 1 ELSE 0 END) AS logins,
               COUNT(DISTINCT CASE WHEN ${inWindow} AND type IN (SELECT value FROM json_each(@success)) THEN user_id END) AS active_users,
               SUM(CASE WHEN ${inWindow} AND type IN (SELECT value FROM json_each(@failure)) THEN 1 ELSE 0 END) AS failed,
               MIN(date_ms) AS first_seen_ms, MAX(date_ms) AS last_seen_ms
             FROM logs WHERE organization_id IS NOT NULL AND date_ms < @until GROUP BY organization_id ORDER BY organization_id`,
          )
          .all({ from: fromMs, until: untilMs, success, failure })
      );
    } catch (err) {
      throw mapped(err);
    }
  }

  async stats() {
    try {
      const c = /** @type {{ logs: number, rejects: number, audit: number }} */ (this.s.counts.get());
      return { logs: c.logs, rejects: c.rejects, audit: c.audit, approvals: contract.approvalCounts(this.s.approvalCounts.all()) };
    } catch (err) {
      throw mapped(err);
    }
  }

  async ping() {
    try {
      this.s.ping.get();
    } catch (err) {
      throw mapped(err);
    }
  }

  async close() {
    if (this.db.open) this.db.close();
  }
}

module.exports = { openSqlite, SqliteStore };
