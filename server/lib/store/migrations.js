'use strict';
// Versioned schema migrations, one SQL text per dialect. Applied at open, in one
// transaction, and recorded in schema_migrations; a migration is never edited
// once released (add a new version instead), so every database with version N
// has the same tables. Times are ms since the epoch (INTEGER in SQLite, BIGINT
// in PostgreSQL); raw logs and requests are kept as received, as TEXT, so both
// dialects return the same bytes.

const { SchemaTooNewError } = require('./errors.js');

/** @typedef {{ version: number, name: string, sqlite: string, postgres: string }} Migration */

// The core's approval states (approvals::State::ALL, the facade's approvalStates()), as
// frozen in these migrations: store.test.js checks the schema and store STATES against
// the core, so a new state fails a test until a migration widens this check.
const STATUS_CHECK = `CHECK (status IN ('pending', 'approved', 'rejected', 'executing', 'done', 'failed'))`;

// The core's alert severities (detect::Severity).
const SEVERITY_CHECK = `CHECK (severity IN ('low', 'medium', 'high'))`;

/** @type {Migration[]} */
const MIGRATIONS = [
  {
    version: 1,
    name: 'logs, rejects, audit records, approvals, checkpoints',
    sqlite: `
      CREATE TABLE logs (
        log_id TEXT PRIMARY KEY NOT NULL,
        type TEXT NOT NULL,
        date_ms INTEGER NOT NULL,
        organization_id TEXT,
        user_id TEXT,
        ip TEXT,
        client_id TEXT,
        connection TEXT,
        source TEXT NOT NULL,
        received_ms INTEGER NOT NULL,
        raw TEXT NOT NULL
      );
      CREATE INDEX logs_date_ms ON logs (date_ms);
      CREATE INDEX logs_organization_date_ms ON logs (organization_id, date_ms);

      CREATE TABLE log_rejects (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        received_ms INTEGER NOT NULL,
        source TEXT NOT NULL,
        line_index INTEGER NOT NULL,
        reason_code TEXT NOT NULL,
        message TEXT NOT NULL,
        excerpt TEXT NOT NULL
      );
      CREATE INDEX log_rejects_received_ms ON log_rejects (received_ms);

      CREATE TABLE audit_records (
        id TEXT PRIMARY KEY NOT NULL,
        at_ms INTEGER,
        "trigger" TEXT,
        outcome TEXT,
        organization_id TEXT,
        received_ms INTEGER NOT NULL,
        raw TEXT NOT NULL
      );
      CREATE INDEX audit_records_age ON audit_records (COALESCE(at_ms, received_ms));
      CREATE INDEX audit_records_organization_at_ms ON audit_records (organization_id, at_ms);

      CREATE TABLE approvals (
        dedupe_key TEXT PRIMARY KEY NOT NULL,
        kind TEXT NOT NULL,
        status TEXT NOT NULL ${STATUS_CHECK},
        request TEXT NOT NULL,
        requests_seen INTEGER NOT NULL,
        received_ms INTEGER NOT NULL,
        updated_ms INTEGER NOT NULL,
        decided_ms INTEGER,
        decided_by TEXT,
        creation_marker TEXT,
        executor TEXT,
        lease_until_ms INTEGER,
        organization_id TEXT,
        error TEXT,
        version INTEGER NOT NULL
      );
      CREATE INDEX approvals_received_ms ON approvals (received_ms);
      CREATE INDEX approvals_status_received_ms ON approvals (status, received_ms);

      CREATE TABLE checkpoints (
        name TEXT PRIMARY KEY NOT NULL,
        value TEXT NOT NULL,
        updated_ms INTEGER NOT NULL
      );
    `,
    postgres: `
      CREATE TABLE logs (
        log_id TEXT PRIMARY KEY,
        type TEXT NOT NULL,
        date_ms BIGINT NOT NULL,
        organization_id TEXT,
        user_id TEXT,
        ip TEXT,
        client_id TEXT,
        connection TEXT,
        source TEXT NOT NULL,
        received_ms BIGINT NOT NULL,
        raw TEXT NOT NULL
      );
      CREATE INDEX logs_date_ms ON logs (date_ms);
      CREATE INDEX logs_organization_date_ms ON logs (organization_id, date_ms);

      CREATE TABLE log_rejects (
        id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        received_ms BIGINT NOT NULL,
        source TEXT NOT NULL,
        line_index INTEGER NOT NULL,
        reason_code TEXT NOT NULL,
        message TEXT NOT NULL,
        excerpt TEXT NOT NULL
      );
      CREATE INDEX log_rejects_received_ms ON log_rejects (received_ms);

      CREATE TABLE audit_records (
        id TEXT PRIMARY KEY,
        at_ms BIGINT,
        "trigger" TEXT,
        outcome TEXT,
        organization_id TEXT,
        received_ms BIGINT NOT NULL,
        raw TEXT NOT NULL
      );
      CREATE INDEX audit_records_age ON audit_records ((COALESCE(at_ms, received_ms)));
      CREATE INDEX audit_records_organization_at_ms ON audit_records (organization_id, at_ms);

      CREATE TABLE approvals (
        dedupe_key TEXT PRIMARY KEY,
        kind TEXT NOT NULL,
        status TEXT NOT NULL ${STATUS_CHECK},
        request TEXT NOT NULL,
        requests_seen INTEGER NOT NULL,
        received_ms BIGINT NOT NULL,
        updated_ms BIGINT NOT NULL,
        decided_ms BIGINT,
        decided_by TEXT,
        creation_marker TEXT,
        executor TEXT,
        lease_until_ms BIGINT,
        organization_id TEXT,
        error TEXT,
        version INTEGER NOT NULL
      );
      CREATE INDEX approvals_received_ms ON approvals (received_ms);
      CREATE INDEX approvals_status_received_ms ON approvals (status, received_ms);

      CREATE TABLE checkpoints (
        name TEXT PRIMARY KEY,
        value TEXT NOT NULL,
        updated_ms BIGINT NOT NULL
      );
    `,
  },
  {
    // Live detection's alerts, one row per kind and subject (alert_key: SHA-256 hex of
    // kind, subject type and value; the value itself may be long). organizations,
    // reasons and targets are JSON arrays as TEXT. Rows are merged, never added to
    // (index.js mergeAlert): each instance's analyzer sees its own share of the stream.
    // notified_*: the last webhook notice, for the cooldown shared by all instances.
    version: 2,
    name: 'alerts',
    sqlite: `
      CREATE TABLE alerts (
        alert_key TEXT PRIMARY KEY NOT NULL,
        kind TEXT NOT NULL,
        subject_type TEXT NOT NULL,
        subject_value TEXT NOT NULL,
        severity TEXT NOT NULL ${SEVERITY_CHECK},
        organizations TEXT NOT NULL,
        users INTEGER NOT NULL,
        events INTEGER NOT NULL,
        first_seen_ms INTEGER NOT NULL,
        last_seen_ms INTEGER NOT NULL,
        reasons TEXT NOT NULL,
        targets TEXT NOT NULL,
        created_ms INTEGER NOT NULL,
        updated_ms INTEGER NOT NULL,
        notified_ms INTEGER,
        notified_severity TEXT,
        version INTEGER NOT NULL
      );
      CREATE INDEX alerts_last_seen_ms ON alerts (last_seen_ms);
    `,
    postgres: `
      CREATE TABLE alerts (
        alert_key TEXT PRIMARY KEY,
        kind TEXT NOT NULL,
        subject_type TEXT NOT NULL,
        subject_value TEXT NOT NULL,
        severity TEXT NOT NULL ${SEVERITY_CHECK},
        organizations TEXT NOT NULL,
        users BIGINT NOT NULL,
        events BIGINT NOT NULL,
        first_seen_ms BIGINT NOT NULL,
        last_seen_ms BIGINT NOT NULL,
        reasons TEXT NOT NULL,
        targets TEXT NOT NULL,
        created_ms BIGINT NOT NULL,
        updated_ms BIGINT NOT NULL,
        notified_ms BIGINT,
        notified_severity TEXT,
        version INTEGER NOT NULL
      );
      CREATE INDEX alerts_last_seen_ms ON alerts (last_seen_ms);
    `,
  },
  {
    // Access reviews ask, per user, for the latest success and whether MFA was seen
    // (userActivity): by log type, then user, then time, so that the answer reads
    // only the rows of those types.
    version: 3,
    name: 'logs by type and user',
    sqlite: `CREATE INDEX logs_type_user_date_ms ON logs (type, user_id, date_ms);`,
    postgres: `CREATE INDEX logs_type_user_date_ms ON logs (type, user_id, date_ms);`,
  },
];

const LATEST_VERSION = MIGRATIONS.reduce((max, m) => Math.max(max, m.version), 0);

const CREATE_SCHEMA_MIGRATIONS = {
  sqlite: 'CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY NOT NULL, name TEXT NOT NULL, applied_ms INTEGER NOT NULL)',
  postgres: 'CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_ms BIGINT NOT NULL)',
};

/**
 * The migrations still to apply over `applied`, in order; throws when the
 * database knows a version this code does not (it was migrated by a newer release).
 * @param {number[]} applied
 * @returns {Migration[]}
 */
function pending(applied) {
  const newest = applied.reduce((max, v) => Math.max(max, v), 0);
  if (newest > LATEST_VERSION) throw new SchemaTooNewError(newest, LATEST_VERSION);
  const done = new Set(applied);
  return MIGRATIONS.filter((m) => !done.has(m.version)).sort((a, b) => a.version - b.version);
}

/**
 * Applies the pending migrations to a better-sqlite3 database, all in one
 * IMMEDIATE transaction: a second process opening the same file at the same
 * moment waits on the write lock (busy_timeout), then finds nothing left to do.
 * @param {import('better-sqlite3').Database} db
 * @param {number} nowMs
 * @returns {number} the schema version now
 */
function migrateSqlite(db, nowMs) {
  const run = db.transaction(() => {
    db.exec(CREATE_SCHEMA_MIGRATIONS.sqlite);
    const applied = db
      .prepare('SELECT version FROM schema_migrations')
      .pluck()
      .all()
      .map((v) => Number(v));
    const record = db.prepare('INSERT INTO schema_migrations (version, name, applied_ms) VALUES (?, ?, ?)');
    for (const m of pending(applied)) {
      db.exec(m.sqlite);
      record.run(m.version, m.name, nowMs);
    }
  });
  run.immediate();
  return LATEST_VERSION;
}

/**
 * Applies the pending migrations with a pg client, in one transaction holding a
 * transaction-scoped advisory lock (per schema), so that two instances starting
 * together apply each migration once: the second waits, then finds nothing to do.
 * Creates `schema` first when one is named (under the same lock: CREATE SCHEMA IF
 * NOT EXISTS itself races).
 * @param {import('pg').ClientBase} client
 * @param {{ schema?: string, nowMs: number }} opts
 * @returns {Promise<number>} the schema version now
 */
async function migratePostgres(client, { schema, nowMs }) {
  await client.query('BEGIN');
  try {
    await client.query('SELECT pg_advisory_xact_lock(hashtext($1))', [`actionguard-migrations:${schema || ''}`]);
    if (schema) await client.query(`CREATE SCHEMA IF NOT EXISTS "${schema}"`);
    await client.query(CREATE_SCHEMA_MIGRATIONS.postgres);
    const { rows } = await client.query('SELECT version FROM schema_migrations');
    for (const m of pending(rows.map((r) => Number(r.version)))) {
      await client.query(m.postgres);
      await client.query('INSERT INTO schema_migrations (version, name, applied_ms) VALUES ($1, $2, $3)', [m.version, m.name, nowMs]);
    }
    await client.query('COMMIT');
  } catch (err) {
    await client.query('ROLLBACK').catch(() => {});
    throw err;
  }
  return LATEST_VERSION;
}

module.exports = { MIGRATIONS, LATEST_VERSION, pending, migrateSqlite, migratePostgres };
