'use strict';
// The databases the store tests run against: a temporary SQLite file always, and
// PostgreSQL when 127.0.0.1:5432 answers (override with ACTIONGUARD_TEST_POSTGRES_URL).
// Each PostgreSQL URL names a fresh schema (`?schema=ag_test_<run>_<n>`), so test
// runs and parallel test files share the `test` database without seeing each other;
// cleanup() drops them. When PostgreSQL is not reachable this says so LOUDLY on
// stderr and the suite is skipped with that reason, unless
// ACTIONGUARD_REQUIRE_POSTGRES=1 (.ci/run sets it), where it fails instead.
//
//   const { databases } = require('./helpers/databases.js');
//   for (const db of await databases()) describe(db.dialect, { skip: db.skip }, () => {
//     after(() => db.cleanup());
//     it('...', async () => { const store = await openStore(db.newUrl()); ... });
//   });

const crypto = require('node:crypto');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');

const POSTGRES_URL = process.env.ACTIONGUARD_TEST_POSTGRES_URL || 'postgres://postgres@127.0.0.1:5432/test';
const UNREACHABLE = 'POSTGRESQL NOT REACHABLE at 127.0.0.1:5432: the PostgreSQL store suite did not run';

/**
 * @typedef {{
 *   dialect: 'sqlite' | 'postgres',
 *   skip?: string,
 *   url: string,
 *   newUrl: () => string,
 *   exec: (url: string, sql: string) => Promise<void>,
 *   cleanup: () => Promise<void>,
 * }} TestDatabase
 */

/** A fresh SQLite file per newUrl(), all under one temporary directory. */
function sqliteDatabase() {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ag-store-'));
  let n = 0;
  const newUrl = () => `sqlite:${path.join(dir, `db-${++n}.sqlite`)}`;
  return /** @type {TestDatabase} */ ({
    dialect: 'sqlite',
    url: newUrl(),
    newUrl,
    /** Raw SQL against a store's database (tests that tamper with it). */
    async exec(url, sql) {
      const Database = require('better-sqlite3');
      const db = new Database(url.slice('sqlite:'.length));
      try {
        db.pragma('busy_timeout = 5000');
        db.exec(sql);
      } finally {
        db.close();
      }
    },
    async cleanup() {
      fs.rmSync(dir, { recursive: true, force: true });
    },
  });
}

/**
 * Whether PostgreSQL answers a query within a couple of seconds.
 * @param {string} [url]
 */
async function postgresReachable(url = POSTGRES_URL) {
  const { Client } = require('pg');
  const client = new Client({ connectionString: url, connectionTimeoutMillis: 2000 });
  client.on('error', () => {});
  try {
    await client.connect();
    await client.query('SELECT 1');
    return true;
  } catch {
    return false;
  } finally {
    await client.end().catch(() => {});
  }
}

/** A fresh schema per newUrl(), dropped by cleanup(). */
function postgresDatabase() {
  const run = `ag_test_${crypto.randomBytes(4).toString('hex')}`;
  /** @type {string[]} */
  const schemas = [];
  const newUrl = () => {
    const schema = `${run}_${schemas.length + 1}`;
    schemas.push(schema);
    const u = new URL(POSTGRES_URL);
    u.searchParams.set('schema', schema);
    return u.toString();
  };
  /** @param {(client: import('pg').Client) => Promise<void>} fn */
  const withClient = async (fn) => {
    const { Client } = require('pg');
    const client = new Client({ connectionString: POSTGRES_URL, connectionTimeoutMillis: 5000 });
    client.on('error', () => {});
    await client.connect();
    try {
      await fn(client);
    } finally {
      await client.end().catch(() => {});
    }
  };
  return /** @type {TestDatabase} */ ({
    dialect: 'postgres',
    url: newUrl(),
    newUrl,
    async exec(url, sql) {
      const schema = new URL(url).searchParams.get('schema');
      await withClient(async (client) => {
        if (schema) await client.query(`SET search_path = "${schema}"`);
        await client.query(sql);
      });
    },
    async cleanup() {
      if (schemas.length === 0) return;
      await withClient(async (client) => {
        for (const schema of schemas.splice(0)) await client.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
      });
    },
  });
}

/**
 * The databases to run the store suites against. PostgreSQL comes back with
 * `skip` set (and a warning on stderr) when it is not reachable; with
 * ACTIONGUARD_REQUIRE_POSTGRES=1 that throws instead.
 * @returns {Promise<TestDatabase[]>}
 */
async function databases() {
  const out = [sqliteDatabase()];
  if (await postgresReachable()) {
    out.push(postgresDatabase());
  } else {
    const banner = '!'.repeat(UNREACHABLE.length + 8);
    process.stderr.write(`\n${banner}\n!!! ${UNREACHABLE} !!!\n${banner}\n\n`);
    if (process.env.ACTIONGUARD_REQUIRE_POSTGRES === '1') throw new Error(`${UNREACHABLE} (ACTIONGUARD_REQUIRE_POSTGRES=1)`);
    const noop = async () => {};
    out.push({
      dialect: 'postgres',
      skip: UNREACHABLE,
      url: '',
      newUrl: () => {
        throw new Error(UNREACHABLE);
      },
      exec: noop,
      cleanup: noop,
    });
  }
  return out;
}

module.exports = { databases, postgresReachable, sqliteDatabase, postgresDatabase, POSTGRES_URL, UNREACHABLE };
