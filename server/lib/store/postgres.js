'use strict';
// The PostgreSQL store, for several instances behind a load balancer: a small
// pg.Pool per instance; every write that must be all-or-nothing runs in one
// BEGIN/COMMIT on one pooled connection; races between instances are settled by
// conditional UPDATEs (row locks: of two updates of one row, the second waits,
// re-checks its WHERE against the committed row and matches nothing).
//
// A database that is down or drops the connection never crashes the process:
// the pool's and each checked-out client's 'error' events are handled, and every
// call rejects with code 'store_unavailable' (the HTTP layer answers 503, Auth0
// retries). Broken connections are discarded, so the next call reconnects.

const pg = require('pg');
const { mapError, isPgUnavailable } = require('./errors.js');
const { migratePostgres } = require('./migrations.js');
const contract = require('./index.js');

/** Rows per multi-row INSERT (each array parameter holds this many values). */
const CHUNK = 1000;
const SCHEMA_NAME = /^[a-z_][a-z0-9_]{0,62}$/;

// BIGINT (oid 20) as a JS number: every bigint here is a time in ms or a count,
// far below 2^53. Per pool, so other users of pg in the process are unaffected.
const parseBigint = (/** @type {string} */ v) => Number(v);
const types = {
  /** @param {number} oid @param {'text'|'binary'} [format] */
  getTypeParser(oid, format) {
    if (oid === 20 && format !== 'binary') return parseBigint;
    return pg.types.getTypeParser(oid, format);
  },
};

const APPROVAL_SELECT = `SELECT ${contract.APPROVAL_COLUMNS.join(', ')} FROM approvals`;
const ALERT_SELECT = `SELECT ${contract.ALERT_COLUMNS.join(', ')} FROM alerts`;
// The severity a notice was last sent at, as a rank (severityRank): a worse one is sent within the cooldown.
const NOTIFIED_RANK = "(CASE notified_severity WHEN 'low' THEN 1 WHEN 'medium' THEN 2 WHEN 'high' THEN 3 ELSE 0 END)";

// Named statements: parsed once per connection, then only bound and executed.
const Q = {
  insertLogs: {
    name: 'ag_insert_logs',
    text: `INSERT INTO logs (log_id, type, date_ms, organization_id, user_id, ip, client_id, connection, source, received_ms, raw)
      SELECT l, t, d, o, u, i, c, cn, $10, $11, r
      FROM unnest($1::text[], $2::text[], $3::bigint[], $4::text[], $5::text[], $6::text[], $7::text[], $8::text[], $9::text[])
        AS x(l, t, d, o, u, i, c, cn, r)
      ON CONFLICT (log_id) DO NOTHING`,
  },
  insertRejects: {
    name: 'ag_insert_rejects',
    text: `INSERT INTO log_rejects (received_ms, source, line_index, reason_code, message, excerpt)
      SELECT $5, $6, i, rc, m, e FROM unnest($1::int[], $2::text[], $3::text[], $4::text[]) WITH ORDINALITY AS x(i, rc, m, e, n) ORDER BY n`,
  },
  insertAudit: {
    name: 'ag_insert_audit',
    text: `INSERT INTO audit_records (id, at_ms, "trigger", outcome, organization_id, received_ms, raw)
      SELECT id, a, t, o, org, $7, r FROM unnest($1::text[], $2::bigint[], $3::text[], $4::text[], $5::text[], $6::text[]) AS x(id, a, t, o, org, r)
      ON CONFLICT (id) DO NOTHING`,
  },
};

/** @param {unknown} err */
function mapped(err) {
  return mapError(err, isPgUnavailable);
}

/** @param {unknown} v */
function orNull(v) {
  return v === undefined ? null : v;
}

/**
 * A copy of rows sorted by their unique key. Every transaction then takes its row
 * locks in the same order: two instances inserting overlapping batches (Auth0
 * retrying to another instance) wait for each other instead of deadlocking.
 * @template {Record<string, any>} R
 * @param {R[]} rows
 * @param {string} key
 * @returns {R[]}
 */
function byKey(rows, key) {
  return [...rows].sort((a, b) => (a[key] < b[key] ? -1 : a[key] > b[key] ? 1 : 0));
}

/**
 * Splits the URL into pg's connection string and our `schema` parameter.
 * @param {string} url
 */
function parseUrl(url) {
  let u;
  try {
    u = new URL(url);
  } catch {
    throw new Error('DATABASE_URL is not a valid postgres:// URL');
  }
  const schema = u.searchParams.get('schema') || undefined;
  u.searchParams.delete('schema');
  // Startup options from the URL are merged with ours (a connection string's
  // values would otherwise replace the pool config's `options`).
  const options = u.searchParams.get('options') || undefined;
  u.searchParams.delete('options');
  if (schema !== undefined && !SCHEMA_NAME.test(schema)) {
    throw new Error(`DATABASE_URL schema "${schema}" is not a plain lower-case identifier ([a-z_][a-z0-9_]*, at most 63 characters)`);
  }
  return { connectionString: u.toString(), schema, options };
}

/**
 * @param {string} url
 * @param {{ nowMs: () => number, pool?: { max?: number, connectionTimeoutMillis?: number, queryTimeoutMillis?: number } }} opts
 */
async function openPostgres(url, { nowMs, pool: poolOpts = {} }) {
  const { connectionString, schema, options } = parseUrl(url);
  const config = /** @type {import('pg').PoolConfig & { types: any }} */ ({
    connectionString,
    max: poolOpts.max ?? 4,
    // Fail a call quickly when the server does not answer (503), rather than hang.
    connectionTimeoutMillis: poolOpts.connectionTimeoutMillis ?? 5000,
    // A server that went silent (a partition: no reset, no answer) fails the query after
    // this long (503, the connection thrown away) instead of holding the request forever.
    query_timeout: poolOpts.queryTimeoutMillis ?? 10000,
    idleTimeoutMillis: 30000,
    keepAlive: true,
    types,
  });
  // A startup parameter, so every pooled connection (including reconnects) has it
  // before its first query.
  const startup = [options, schema && `-c search_path=${schema}`].filter(Boolean).join(' ');
  if (startup) config.options = startup;
  const pool = new pg.Pool(config);
  // An idle connection dropped by the server (restart, failover): the pool already
  // discards it; without a listener the 'error' event would crash the process.
  pool.on('error', () => {});
  const store = new PostgresStore(pool, { nowMs, schema });
  try {
    store.schemaVersion = await store.withClient((client) => migratePostgres(client, { schema, nowMs: nowMs() }));
  } catch (err) {
    await pool.end().catch(() => {});
    throw mapped(err);
  }
  return store;
}

class PostgresStore {
  /**
   * @param {import('pg').Pool} pool
   * @param {{ nowMs: () => number, schema?: string }} opts
   */
  constructor(pool, { nowMs, schema }) {
    this.dialect = 'postgres';
    this.schemaVersion = 0;
    this.schema = schema;
    this.pool = pool;
    this.nowMs = nowMs;
    this.closed = false;
  }

  /**
   * One statement on any pooled connection.
   * @param {string | import('pg').QueryConfig} text
   * @param {unknown[]} [values]
   */
  async query(text, values) {
    try {
      return await this.pool.query(text, values);
    } catch (err) {
      throw mapped(err);
    }
  }

  /**
   * Runs fn with one checked-out connection. While it is out, the pool listens
   * to none of its events: a socket error between two queries would be an
   * unhandled 'error' (a crash), hence the listener. A connection that failed
   * (or that fn marks broken) is destroyed on release, not returned to the pool.
   * @template T
   * @param {(client: import('pg').PoolClient, markBroken: (err: unknown) => void) => Promise<T>} fn
   * @returns {Promise<T>}
   */
  async withClient(fn) {
    let client;
    try {
      client = await this.pool.connect();
    } catch (err) {
      throw mapped(err);
    }
    /** @type {unknown} */
    let broken;
    const markBroken = (/** @type {unknown} */ err) => {
      broken = broken || err || new Error('connection marked broken');
    };
    client.on('error', markBroken);
    try {
      return await fn(client, markBroken);
    } catch (err) {
      if (isPgUnavailable(err)) markBroken(err);
      throw mapped(err);
    } finally {
      client.removeListener('error', markBroken);
      client.release(/** @type {Error | undefined} */ (broken));
    }
  }

  /**
   * fn inside BEGIN/COMMIT; ROLLBACK on any error. When even the ROLLBACK fails
   * the connection's state is unknown, so it is destroyed rather than reused.
   * @template T
   * @param {(client: import('pg').PoolClient) => Promise<T>} fn
   * @returns {Promise<T>}
   */
  transaction(fn) {
    return this.withClient(async (client, markBroken) => {
      await client.query('BEGIN');
      try {
        const result = await fn(client);
        await client.query('COMMIT');
        return result;
      } catch (err) {
        // A connection that is gone (or silent) is thrown away, which ends the transaction
        // on the server: a ROLLBACK on it would only wait out another timeout.
        if (isPgUnavailable(err)) markBroken(err);
        else await client.query('ROLLBACK').catch(markBroken);
        throw err;
      }
    });
  }

  /**
   * @param {{ events?: import('./index.js').LogEvent[], rejects?: import('./index.js').LogReject[], source?: string, receivedMs?: number }} batch
   */
  async ingestLogs({ events = [], rejects = [], source = 'unknown', receivedMs = this.nowMs() }) {
    if (events.length === 0 && rejects.length === 0) return { stored: 0, duplicates: 0, rejected: 0 };
    const ordered = byKey(events, 'log_id');
    const stored = await this.transaction(async (client) => {
      let n = 0;
      for (let start = 0; start < ordered.length; start += CHUNK) {
        const chunk = ordered.slice(start, start + CHUNK);
        const cols = [[], [], [], [], [], [], [], [], []].map(() => new Array(chunk.length));
        for (let i = 0; i < chunk.length; i++) {
          const e = chunk[i];
          cols[0][i] = e.log_id;
          cols[1][i] = e.type;
          cols[2][i] = e.date_ms;
          cols[3][i] = orNull(e.organization_id);
          cols[4][i] = orNull(e.user_id);
          cols[5][i] = orNull(e.ip);
          cols[6][i] = orNull(e.client_id);
          cols[7][i] = orNull(e.connection);
          cols[8][i] = e.raw;
        }
        const res = await client.query({ ...Q.insertLogs, values: [...cols, source, receivedMs] });
        n += res.rowCount ?? 0;
      }
      for (let start = 0; start < rejects.length; start += CHUNK) {
        const rows = rejects.slice(start, start + CHUNK).map(contract.rejectRow);
        await client.query({
          ...Q.insertRejects,
          values: [rows.map((r) => r.line_index), rows.map((r) => r.reason_code), rows.map((r) => r.message), rows.map((r) => r.excerpt), receivedMs, source],
        });
      }
      return n;
    });
    return { stored, duplicates: events.length - stored, rejected: rejects.length };
  }

  /** @param {string} logId */
  async getLog(logId) {
    const { rows } = await this.query(`SELECT ${contract.LOG_COLUMNS.join(', ')} FROM logs WHERE log_id = $1`, [logId]);
    return rows.length ? contract.logRow(rows[0]) : null;
  }

  /** @param {{ limit?: number }} [opts] */
  async listRejects({ limit = 1000 } = {}) {
    const { rows } = await this.query('SELECT id, received_ms, source, line_index, reason_code, message, excerpt FROM log_rejects ORDER BY id LIMIT $1', [limit]);
    return rows;
  }

  /**
   * @param {import('./index.js').AuditRecord[]} records
   * @param {{ receivedMs?: number }} [opts]
   */
  async putAuditRecords(records, { receivedMs = this.nowMs() } = {}) {
    if (records.length === 0) return { stored: 0, duplicates: 0 };
    const ordered = byKey(records, 'id');
    const stored = await this.transaction(async (client) => {
      let n = 0;
      for (let start = 0; start < ordered.length; start += CHUNK) {
        const chunk = ordered.slice(start, start + CHUNK);
        const res = await client.query({
          ...Q.insertAudit,
          values: [
            chunk.map((r) => r.id),
            chunk.map((r) => orNull(r.at_ms)),
            chunk.map((r) => orNull(r.trigger)),
            chunk.map((r) => orNull(r.outcome)),
            chunk.map((r) => orNull(r.organization_id)),
            chunk.map((r) => r.raw),
            receivedMs,
          ],
        });
        n += res.rowCount ?? 0;
      }
      return n;
    });
    return { stored, duplicates: records.length - stored };
  }

  /** @param {{ dedupe_key: string, kind: string, request: any, receivedMs?: number }} a */
  async receiveApproval(a) {
    contract.checkApproval(a);
    const receivedMs = a.receivedMs ?? this.nowMs();
    const { rows } = await this.query(
      `INSERT INTO approvals (dedupe_key, kind, status, request, requests_seen, received_ms, updated_ms, version)
        VALUES ($1, $2, 'pending', $3, 1, $4, $4, 1)
        ON CONFLICT (dedupe_key) DO UPDATE SET requests_seen = approvals.requests_seen + 1
        RETURNING dedupe_key, status, requests_seen`,
      [a.dedupe_key, a.kind, JSON.stringify(a.request), receivedMs],
    );
    return rows[0];
  }

  /** @param {string} key */
  async getApproval(key) {
    const { rows } = await this.query(`${APPROVAL_SELECT} WHERE dedupe_key = $1`, [key]);
    return rows.length ? contract.approvalRow(rows[0]) : null;
  }

  /** @param {{ status?: import('./index.js').ApprovalState }} [opts] */
  async listApprovals({ status } = {}) {
    contract.checkStatus(status);
    const { rows } =
      status === undefined
        ? await this.query(`${APPROVAL_SELECT} ORDER BY received_ms, dedupe_key`)
        : await this.query(`${APPROVAL_SELECT} WHERE status = $1 ORDER BY received_ms, dedupe_key`, [status]);
    return rows.map(contract.approvalRow);
  }

  /**
   * One conditional UPDATE (see the header: the loser of a race matches nothing).
   * @param {string} key
   * @param {import('./index.js').Transition} t
   */
  async transitionApproval(key, t) {
    const { from, to, reclaim, fields, holder } = contract.checkTransition(key, t);
    const nowMs = t.nowMs ?? this.nowMs();
    const values = [to, nowMs, key, from];
    const sets = ['status = $1', 'version = version + 1', 'updated_ms = $2'];
    for (const [name, value] of fields) {
      values.push(value);
      sets.push(`${name} = $${values.length}`);
    }
    let where = 'status = ANY($4::text[])';
    // A claim whose lease has run out belongs to a dead executor: it may be taken over.
    if (reclaim) where = `(${where} OR (status = 'executing' AND lease_until_ms < $2))`;
    if (holder !== null) {
      values.push(holder);
      where = `${where} AND executor = $${values.length}`;
    }
    const { rows } = await this.query(`UPDATE approvals SET ${sets.join(', ')} WHERE dedupe_key = $3 AND ${where} RETURNING ${contract.APPROVAL_COLUMNS.join(', ')}`, values);
    return rows.length ? contract.approvalRow(rows[0]) : null;
  }

  /**
   * Two statements on purpose: the SELECT runs after the UPDATE committed or
   * waited for a concurrent one, so it reads the marker that won.
   * @param {string} key
   * @param {string} marker
   */
  async setCreationMarker(key, marker) {
    if (typeof marker !== 'string' || !marker) throw new TypeError('setCreationMarker: marker must be a non-empty string');
    await this.query('UPDATE approvals SET creation_marker = $1 WHERE dedupe_key = $2 AND creation_marker IS NULL', [marker, key]);
    const { rows } = await this.query('SELECT creation_marker FROM approvals WHERE dedupe_key = $1', [key]);
    return rows.length ? rows[0].creation_marker : null;
  }

  /** @param {string} name */
  async getCheckpoint(name) {
    const { rows } = await this.query('SELECT value FROM checkpoints WHERE name = $1', [name]);
    return rows.length ? rows[0].value : null;
  }

  /**
   * @param {string} name
   * @param {string} value
   */
  async setCheckpoint(name, value) {
    if (typeof value !== 'string') throw new TypeError('setCheckpoint: value must be a string');
    await this.query(
      `INSERT INTO checkpoints (name, value, updated_ms) VALUES ($1, $2, $3)
        ON CONFLICT (name) DO UPDATE SET value = excluded.value, updated_ms = excluded.updated_ms`,
      [name, value, this.nowMs()],
    );
  }

  /**
   * Deletes in chunks of PURGE_CHUNK rows, each its own short transaction.
   * @param {{ beforeMs: number }} opts
   */
  async purge({ beforeMs }) {
    if (typeof beforeMs !== 'number' || !Number.isFinite(beforeMs)) throw new TypeError('purge: beforeMs must be a number');
    const out = { logs: 0, rejects: 0, audit: 0, alerts: 0 };
    /** @type {[keyof typeof out, string][]} */
    const tables = [
      ['logs', 'DELETE FROM logs WHERE log_id IN (SELECT log_id FROM logs WHERE date_ms < $1 LIMIT $2)'],
      ['rejects', 'DELETE FROM log_rejects WHERE id IN (SELECT id FROM log_rejects WHERE received_ms < $1 LIMIT $2)'],
      ['audit', 'DELETE FROM audit_records WHERE id IN (SELECT id FROM audit_records WHERE COALESCE(at_ms, received_ms) < $1 LIMIT $2)'],
      ['alerts', 'DELETE FROM alerts WHERE alert_key IN (SELECT alert_key FROM alerts WHERE last_seen_ms < $1 LIMIT $2)'],
    ];
    for (const [name, text] of tables) {
      for (;;) {
        const { rowCount } = await this.query(text, [beforeMs, contract.PURGE_CHUNK]);
        out[name] += rowCount ?? 0;
        if ((rowCount ?? 0) < contract.PURGE_CHUNK) break;
      }
    }
    return out;
  }

  /**
   * One page of the logs dated in [fromMs, untilMs), in (date_ms, log_id) order, after
   * `after` (the last row of the previous page): what the health report reads.
   * @param {import('./index.js').PageQuery} q
   * @returns {Promise<{ log_id: string, date_ms: number, raw: string }[]>}
   */
  /**
   * Per user, the latest log of `successTypes` and whether any of `mfaTypes` was
   * logged, over every stored log; and the oldest log's time (what the logs answer for).
   * @param {{ successTypes: string[], mfaTypes: string[], userId?: string }} q
   * @returns {Promise<{ oldest_ms: number | null, users: { user_id: string, last_success_ms: number | null, mfa_seen: boolean }[] }>}
   */
  async userActivity(q) {
    const { successTypes, mfaTypes, userId } = contract.checkActivity(q);
    const { rows } = await this.query(
      `SELECT user_id, MAX(CASE WHEN type = ANY($1::text[]) THEN date_ms END) AS last_success_ms,
         BOOL_OR(type = ANY($2::text[])) AS mfa
       FROM logs WHERE (type = ANY($1::text[]) OR type = ANY($2::text[])) AND user_id IS NOT NULL AND ($3::text IS NULL OR user_id = $3) GROUP BY user_id`,
      [successTypes, mfaTypes, userId],
    );
    const oldest = await this.query('SELECT MIN(date_ms) AS m FROM logs', []);
    const m = oldest.rows[0]?.m;
    return {
      oldest_ms: m == null ? null : Number(m),
      users: rows.map((r) => ({ user_id: r.user_id, last_success_ms: r.last_success_ms == null ? null : Number(r.last_success_ms), mfa_seen: r.mfa === true })),
    };
  }

  /**
   * Per organization with stored logs: logins, distinct users and failures in
   * [fromMs, untilMs), first and last seen before untilMs (classification's activity).
   * @param {{ fromMs: number, untilMs: number, successTypes: string[], failureTypes: string[] }} q
   */
  async organizationActivity(q) {
    const { fromMs, untilMs, successTypes, failureTypes } = contract.checkOrgActivity(q);
    const { rows } = await this.query(
      `SELECT organization_id,
         COUNT(*) FILTER (WHERE date_ms >= $1 AND type = ANY($3::text[])) AS logins,
         COUNT(DISTINCT user_id) FILTER (WHERE date_ms >= $1 AND type = ANY($3::text[])) AS active_users,
         COUNT(*) FILTER (WHERE date_ms >= $1 AND type = ANY($4::text[])) AS failed,
         MIN(date_ms) AS first_seen_ms, MAX(date_ms) AS last_seen_ms
       FROM logs WHERE organization_id IS NOT NULL AND date_ms < $2 GROUP BY organization_id ORDER BY organization_id`,
      [fromMs, untilMs, successTypes, failureTypes],
    );
    return rows.map((r) => ({
      organization_id: r.organization_id,
      logins: Number(r.logins),
      active_users: Number(r.active_users),
      failed: Number(r.failed),
      first_seen_ms: Number(r.first_seen_ms),
      last_seen_ms: Number(r.last_seen_ms),
    }));
  }

  async readLogs(q) {
    const { fromMs, untilMs, afterMs, afterKey, limit } = contract.checkPage(q);
    const { rows } = await this.query(
      `SELECT log_id, date_ms, raw FROM logs
        WHERE date_ms >= $1 AND date_ms < $2 AND (date_ms, log_id) > ($3, $4)
        ORDER BY date_ms, log_id LIMIT $5`,
      [fromMs, untilMs, afterMs, afterKey, limit],
    );
    return rows;
  }

  /**
   * One page of the audit records timed in [fromMs, untilMs) (their ts_ms, else when
   * received), in (time, id) order, after `after`: what the health report reads.
   * @param {import('./index.js').PageQuery} q
   * @returns {Promise<{ id: string, at: number, raw: string }[]>}
   */
  async readAuditRecords(q) {
    const { fromMs, untilMs, afterMs, afterKey, limit } = contract.checkPage(q);
    const { rows } = await this.query(
      `SELECT id, COALESCE(at_ms, received_ms) AS at, raw FROM audit_records
        WHERE COALESCE(at_ms, received_ms) >= $1 AND COALESCE(at_ms, received_ms) < $2 AND (COALESCE(at_ms, received_ms), id) > ($3, $4)
        ORDER BY COALESCE(at_ms, received_ms), id LIMIT $5`,
      [fromMs, untilMs, afterMs, afterKey, limit],
    );
    return rows;
  }

  /**
   * Each alert merged into its row (contract.mergeAlert) in one transaction, in key
   * order (two instances updating the same alerts wait for each other, never deadlock):
   * an INSERT that does nothing on conflict, else the row locked, merged and updated.
   * @param {import('./index.js').LiveAlert[]} alerts
   * @param {{ nowMs?: number }} [opts]
   */
  async upsertAlerts(alerts, { nowMs = this.nowMs() } = {}) {
    const records = byKey(alerts.map(contract.alertRecord), 'alert_key');
    if (records.length === 0) return [];
    const out = await this.transaction(async (client) => {
      /** @type {{ row: import('./index.js').AlertRow, created: boolean, changed: boolean, escalated: boolean }[]} */
      const done = [];
      for (const rec of records) {
        const inserted = await client.query(
          `INSERT INTO alerts (alert_key, kind, subject_type, subject_value, severity, organizations, users, events,
            first_seen_ms, last_seen_ms, reasons, targets, created_ms, updated_ms, version)
            VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $13, 1)
            ON CONFLICT (alert_key) DO NOTHING RETURNING ${contract.ALERT_COLUMNS.join(', ')}`,
          [
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
          ],
        );
        if (inserted.rows.length > 0) {
          done.push({ row: contract.alertRow(inserted.rows[0]), created: true, changed: true, escalated: false });
          continue;
        }
        const { rows } = await client.query(`${ALERT_SELECT} WHERE alert_key = $1 FOR UPDATE`, [rec.alert_key]);
        const prev = contract.alertRow(rows[0]);
        const merged = contract.mergeAlert(prev, rec);
        if (contract.alertContent(merged) === contract.alertContent(prev)) {
          done.push({ row: prev, created: false, changed: false, escalated: false });
          continue;
        }
        const updated = await client.query(
          `UPDATE alerts SET severity = $2, organizations = $3, users = $4, events = $5, first_seen_ms = $6, last_seen_ms = $7,
            reasons = $8, targets = $9, updated_ms = $10, version = version + 1 WHERE alert_key = $1 RETURNING ${contract.ALERT_COLUMNS.join(', ')}`,
          [
            rec.alert_key,
            merged.severity,
            JSON.stringify(merged.organizations),
            merged.users,
            merged.events,
            merged.first_seen_ms,
            merged.last_seen_ms,
            JSON.stringify(merged.reasons),
            JSON.stringify(merged.targets),
            nowMs,
          ],
        );
        const row = contract.alertRow(updated.rows[0]);
        done.push({ row, created: false, changed: true, escalated: contract.severityRank(row.severity) > contract.severityRank(prev.severity) });
      }
      return done;
    });
    // In the caller's order, as SQLite answers.
    const byKeyOut = new Map(out.map((o) => [o.row.alert_key, o]));
    return alerts.map((a) => /** @type {(typeof out)[number]} */ (byKeyOut.get(contract.alertKey(a.kind, a.subject.type, a.subject.value))));
  }

  /** @param {string} key */
  async getAlert(key) {
    const { rows } = await this.query(`${ALERT_SELECT} WHERE alert_key = $1`, [key]);
    return rows.length ? contract.alertRow(rows[0]) : null;
  }

  /** @param {{ sinceMs?: number, limit?: number }} [opts] */
  async listAlerts({ sinceMs = 0, limit = 10_000 } = {}) {
    const { rows } = await this.query(`${ALERT_SELECT} WHERE last_seen_ms >= $1 ORDER BY last_seen_ms DESC, alert_key LIMIT $2`, [sinceMs, limit]);
    return rows.map(contract.alertRow);
  }

  /**
   * See the SQLite store: one conditional UPDATE, so exactly one instance sends a notice.
   * @param {string} key
   * @param {{ nowMs?: number, cooldownMs: number, severity: string }} opts
   */
  async claimAlertNotice(key, { nowMs = this.nowMs(), cooldownMs, severity }) {
    const { rowCount } = await this.query(
      `UPDATE alerts SET notified_ms = $1, notified_severity = $2
        WHERE alert_key = $3 AND (notified_ms IS NULL OR notified_ms <= $4 OR ${NOTIFIED_RANK} < $5)`,
      [nowMs, severity, key, nowMs - cooldownMs, contract.severityRank(severity)],
    );
    return rowCount === 1;
  }

  /** @param {{ sinceMs?: number }} [opts] */
  async alertsFingerprint({ sinceMs = 0 } = {}) {
    const { rows } = await this.query('SELECT count(*) AS n, COALESCE(max(updated_ms), 0) AS u, COALESCE(sum(version), 0) AS v FROM alerts WHERE last_seen_ms >= $1', [sinceMs]);
    return `${Number(rows[0].n)}:${Number(rows[0].u)}:${Number(rows[0].v)}`;
  }

  /** Approvals by state alone: what /metrics reads at every scrape (a small table). */
  async approvalStats() {
    const { rows } = await this.query('SELECT status, count(*) AS n FROM approvals GROUP BY status');
    return contract.approvalCounts(rows);
  }

  async stats() {
    const [{ rows: counts }, { rows: byStatus }] = await Promise.all([
      this.query('SELECT (SELECT count(*) FROM logs) AS logs, (SELECT count(*) FROM log_rejects) AS rejects, (SELECT count(*) FROM audit_records) AS audit'),
      this.query('SELECT status, count(*) AS n FROM approvals GROUP BY status'),
    ]);
    const c = counts[0];
    return { logs: c.logs, rejects: c.rejects, audit: c.audit, approvals: contract.approvalCounts(byStatus) };
  }

  async ping() {
    await this.query('SELECT 1');
  }

  async close() {
    if (this.closed) return;
    this.closed = true;
    await this.pool.end();
  }
}

module.exports = { openPostgres, PostgresStore, parseUrl };
