'use strict';
// Crashes and outages, against the real server process on real databases (SQLite
// always; PostgreSQL when 127.0.0.1:5432 answers, loudly skipped otherwise):
//
// - kill -9 in the middle of a stream: every acknowledged batch is in the store
//   before anything is resent; Auth0's retries (the unacknowledged batches and some
//   acknowledged ones) store nothing twice;
// - PostgreSQL away (through a TCP proxy that cuts every connection and refuses new
//   ones): 503 with Retry-After, /healthz 503, the process stays up, and the stream
//   completes without loss or repeat once it is back; on SQLite, the analogue is a
//   database another process keeps locked past busy_timeout; a silent partition
//   (nothing answers, nothing resets) is bounded by the store's query timeout (503);
// - 1,000 malformed lines among 100,000 good ones: every good one stored, every bad
//   one kept as a reject with its reason, and counted by the metrics.
//
// Two approvers or two executors at once are the store contract's (store.test.js).
// A failing run prints its seed; AG_RELIABILITY_SEED=<seed> repeats it.

const assert = require('node:assert/strict');
const crypto = require('node:crypto');
const { describe, it, after } = require('node:test');
const { databases, POSTGRES_URL } = require('./helpers/databases.js');
const { startServer } = require('./helpers/spawn.js');
const { startTcpProxy } = require('./helpers/tcp-proxy.js');
const { logId, logLine, MALFORMED, random, createSender, postBody, retryLikeAuth0, metricSum } = require('./helpers/log-stream.js');

const TOKEN = 'Bearer reliability-stream-token-7f3a9c';
const ENV = { ACTIONGUARD_LOG_TOKEN: TOKEN };
const SEED = Number(process.env.AG_RELIABILITY_SEED) || crypto.randomInt(1, 2 ** 31);

/**
 * Bodies of `batches` x `perBatch` log lines, ids `logId(prefix, 0..)`.
 * @param {string} prefix
 * @param {number} batches
 * @param {number} perBatch
 */
function batchesOf(prefix, batches, perBatch) {
  return Array.from({ length: batches }, (_, b) => Array.from({ length: perBatch }, (_, j) => logLine(prefix, b * perBatch + j)).join('\n'));
}

/**
 * Rows of one query straight from the database (not through the store under test).
 * @param {string} url a DATABASE_URL
 * @param {string} text SQL valid in both dialects
 * @returns {Promise<Record<string, any>[]>}
 */
async function sql(url, text) {
  if (url.startsWith('sqlite:')) {
    const Database = require('better-sqlite3');
    const db = new Database(url.slice('sqlite:'.length));
    try {
      db.pragma('busy_timeout = 5000');
      return db.prepare(text).all();
    } finally {
      db.close();
    }
  }
  const { Client } = require('pg');
  const u = new URL(url);
  const schema = u.searchParams.get('schema');
  u.searchParams.delete('schema');
  const client = new Client({ connectionString: u.toString(), options: schema ? `-c search_path=${schema}` : undefined });
  await client.connect();
  try {
    return (await client.query(text)).rows;
  } finally {
    await client.end();
  }
}

/** @param {string} url */
async function logCounts(url) {
  const [r] = await sql(url, 'SELECT count(*) AS n, count(DISTINCT log_id) AS d FROM logs');
  return { rows: Number(r.n), distinct: Number(r.d) };
}

/** @param {string} url */
async function storedIds(url) {
  return new Set((await sql(url, 'SELECT log_id FROM logs')).map((r) => r.log_id));
}

/** @param {import('./helpers/spawn.js').RunningServer} server */
async function metrics(server) {
  const res = await fetch(`${server.url}metrics`);
  assert.equal(res.status, 200);
  return res.text();
}

/** @param {import('./helpers/spawn.js').RunningServer} server */
function assertQuiet(server) {
  const stderr = server.stderr();
  assert.ok(!stderr.includes(TOKEN), 'the stream token never appears in the service log');
  assert.doesNotMatch(stderr, /uncaught|unhandled|TypeError|ReferenceError/i, 'no crash or unhandled error in the service log');
}

describe('reliability', async () => {
  const dbs = await databases();
  process.stderr.write(`reliability: seed ${SEED} (AG_RELIABILITY_SEED=${SEED} repeats this run)\n`);

  /** @type {(() => Promise<unknown>)[]} */
  const cleanups = [];
  after(async () => {
    for (const c of cleanups.reverse()) await c().catch(() => {});
    for (const db of dbs) await db.cleanup();
  });
  /** @param {Parameters<typeof startServer>[0]} options */
  const start = async (options) => {
    const server = await startServer(options);
    cleanups.push(() => server.stop());
    return server;
  };

  for (const db of dbs) {
    describe(db.dialect, { skip: db.skip }, () => {
      it('kill -9 mid-stream: every acknowledged batch is stored, and retries store nothing twice', async (t) => {
        const BATCHES = 200;
        const PER_BATCH = 100;
        const rnd = random(SEED);
        const bodies = batchesOf('k', BATCHES, PER_BATCH);
        const url = db.newUrl();
        // Killed after a random number of acknowledgements, with more requests in flight.
        const killAfter = 20 + Math.floor(rnd() * (BATCHES - 60));
        let server = await start({ databaseUrl: url, env: ENV });

        /** @type {Set<number>} */
        const acked = new Set();
        /** @type {number[]} in the order the answers came */
        const ackOrder = [];
        let killed = false;
        const sender = createSender(bodies, {
          url: `${server.url}v1/auth0/logs`,
          token: TOKEN,
          inFlight: 4,
          onResult(index, r) {
            if (!('status' in r) || r.status !== 200) return;
            assert.equal(r.body.stored + r.body.duplicates, PER_BATCH);
            acked.add(index);
            ackOrder.push(index);
            if (!killed && acked.size >= killAfter) {
              killed = true;
              server.kill('SIGKILL');
              sender.stop();
            }
          },
        });
        const results = await sender.done;
        const exit = await server.exited;
        assert.equal(exit.signal, 'SIGKILL');
        let failedInFlight = 0;
        let neverSent = 0;
        for (let b = 0; b < BATCHES; b++) {
          if (results[b] === undefined) neverSent += 1;
          else if (!acked.has(b)) failedInFlight += 1;
        }

        // Before anything is resent: the acknowledged batches are all there.
        const afterKill = await storedIds(url);
        for (const b of acked) {
          for (let j = 0; j < PER_BATCH; j++) assert.ok(afterKill.has(logId('k', b * PER_BATCH + j)), `acknowledged batch ${b} is stored after kill -9 (seed ${SEED})`);
        }
        // Nothing else half-stored: a batch is all or nothing.
        for (let b = 0; b < BATCHES; b++) {
          let n = 0;
          for (let j = 0; j < PER_BATCH; j++) if (afterKill.has(logId('k', b * PER_BATCH + j))) n += 1;
          assert.ok(n === 0 || n === PER_BATCH, `batch ${b} is stored whole or not at all (${n} of ${PER_BATCH}, seed ${SEED})`);
        }
        const committedUnacked = [...Array(BATCHES).keys()].filter((b) => !acked.has(b) && afterKill.has(logId('k', b * PER_BATCH))).length;

        // Auth0 resends what it saw no answer to, and, at least once, some it did.
        server = await start({ databaseUrl: url, env: ENV });
        const unacked = [...Array(BATCHES).keys()].filter((b) => !acked.has(b));
        const again = new Set(ackOrder.slice(-4)); // the last ones answered before the kill
        while (again.size < Math.min(24, ackOrder.length)) again.add(ackOrder[Math.floor(rnd() * ackOrder.length)]);
        const resend = createSender(bodies, { url: `${server.url}v1/auth0/logs`, token: TOKEN, inFlight: 4, order: [...unacked, ...again], retryDelayMs: retryLikeAuth0() });
        const answers = await resend.done;
        for (const b of [...unacked, ...again]) {
          const r = answers[b];
          assert.ok(r && 'status' in r && r.status === 200, `batch ${b} acknowledged on resend: ${JSON.stringify(r)}`);
        }
        for (const b of again) {
          const body = /** @type {any} */ (answers[b]).body;
          assert.deepEqual([body.stored, body.duplicates], [0, PER_BATCH], `acknowledged batch ${b} resent: nothing stored twice`);
        }

        const counts = await logCounts(url);
        assert.deepEqual(counts, { rows: BATCHES * PER_BATCH, distinct: BATCHES * PER_BATCH });
        const m = await metrics(server);
        assert.equal(metricSum(m, 'actionguard_logs_ingested_total'), BATCHES * PER_BATCH - afterKill.size, 'the restarted server stored exactly what was missing');
        assertQuiet(server);
        await server.stop();
        t.diagnostic(
          `seed ${SEED}: killed after ${acked.size} acknowledged batches (aimed at ${killAfter}); ${failedInFlight} in flight failed, ${neverSent} never sent; ` +
            `${committedUnacked} unacknowledged batches had been committed (their resend counted as duplicates); ${again.size} acknowledged batches resent`,
        );
      });

      it('1,000 malformed lines among 100,000 good ones: all good stored, each bad one a reject with its reason', async (t) => {
        const GOOD = 100_000;
        const BAD = 1_000;
        const LINES_PER_BATCH = 100;
        const rnd = random(SEED + 1);
        // Where the bad lines go: 1,000 distinct positions among 101,000.
        const total = GOOD + BAD;
        const badAt = new Set();
        while (badAt.size < BAD) badAt.add(Math.floor(rnd() * total));
        /** @type {string[]} */
        const lines = [];
        /** @type {Map<string, number>} reason \t excerpt -> count */
        const expected = new Map();
        for (let pos = 0, good = 0, bad = 0; pos < total; pos++) {
          if (badAt.has(pos)) {
            const kind = MALFORMED[bad % MALFORMED.length];
            const line = kind.line(bad);
            lines.push(line);
            const key = `${kind.reason}\t${line}`;
            expected.set(key, (expected.get(key) ?? 0) + 1);
            bad += 1;
          } else {
            lines.push(logLine('m', good));
            good += 1;
          }
        }
        const bodies = [];
        for (let i = 0; i < lines.length; i += LINES_PER_BATCH) bodies.push(lines.slice(i, i + LINES_PER_BATCH).join('\n'));

        const url = db.newUrl();
        const server = await start({ databaseUrl: url, env: ENV });
        const started = performance.now();
        // Eight source addresses, as Auth0's stream may use several (each has its own limit).
        const sender = createSender(bodies, { url: `${server.url}v1/auth0/logs`, token: TOKEN, inFlight: 4, sources: 8, retryDelayMs: retryLikeAuth0() });
        const results = await sender.done;
        const seconds = (performance.now() - started) / 1000;
        let events = 0;
        let rejected = 0;
        for (const [i, r] of results.entries()) {
          assert.ok(r && 'status' in r && r.status === 200, `batch ${i}: ${JSON.stringify(r)}`);
          events += r.body.events;
          rejected += r.body.rejected;
        }
        assert.deepEqual({ events, rejected }, { events: GOOD, rejected: BAD });
        assert.deepEqual(await logCounts(url), { rows: GOOD, distinct: GOOD });

        const rejects = await sql(url, 'SELECT reason_code, excerpt FROM log_rejects');
        /** @type {Map<string, number>} */
        const got = new Map();
        for (const r of rejects) got.set(`${r.reason_code}\t${r.excerpt}`, (got.get(`${r.reason_code}\t${r.excerpt}`) ?? 0) + 1);
        assert.equal(rejects.length, BAD);
        assert.deepEqual(got, expected, 'each bad line stored once, with the reason the core gives it');
        const byReason = await sql(url, 'SELECT reason_code, count(*) AS n FROM log_rejects GROUP BY reason_code ORDER BY reason_code');

        const m = await metrics(server);
        assert.equal(metricSum(m, 'actionguard_logs_rejected_total'), BAD);
        assert.equal(metricSum(m, 'actionguard_logs_ingested_total'), GOOD);
        assert.equal(metricSum(m, 'actionguard_logs_duplicates_total'), 0);
        assertQuiet(server);
        await server.stop();
        t.diagnostic(
          `${GOOD + BAD} lines in ${bodies.length} batches in ${seconds.toFixed(1)} s (${Math.round(GOOD / seconds)} logs/s, ${sender.requests()} requests); rejects: ${byReason.map((r) => `${r.reason_code} ${r.n}`).join(', ')}`,
        );
      });

      if (db.dialect === 'postgres') {
        it('PostgreSQL away mid-stream: 503 with Retry-After, the process stays up, nothing lost or repeated', async (t) => {
          const BATCHES = 100;
          const PER_BATCH = 100;
          const target = new URL(POSTGRES_URL);
          const proxy = await startTcpProxy({ port: Number(target.port || 5432), host: target.hostname });
          cleanups.push(() => proxy.close());
          const direct = db.newUrl();
          const proxied = new URL(direct);
          proxied.host = `127.0.0.1:${proxy.port}`;
          const server = await start({ databaseUrl: proxied.toString(), env: ENV });
          const bodies = batchesOf('p', BATCHES, PER_BATCH);

          let acked = 0;
          let down = false;
          /** @type {string[]} */
          const whileDown = [];
          /** @type {() => void} */
          let cutPoint = () => {};
          const reachedCut = new Promise((resolve) => (cutPoint = () => resolve(undefined)));
          const sender = createSender(bodies, {
            url: `${server.url}v1/auth0/logs`,
            token: TOKEN,
            inFlight: 2,
            sources: 2,
            retryDelayMs: retryLikeAuth0(50),
            onResult(_i, r) {
              if (down && !('status' in r && r.status === 200)) whileDown.push('status' in r ? `${r.status} ${r.body?.error ?? ''} retry-after=${r.retryAfter}` : r.error);
              if ('status' in r && r.status === 200 && ++acked === 30) cutPoint();
            },
          });
          await reachedCut;
          await proxy.cut();
          down = true;
          const outageStarted = performance.now();
          // The sender keeps retrying while the database is away; meanwhile:
          const probe = await postBody(`${server.url}v1/auth0/logs`, TOKEN, logLine('p-probe', 0));
          assert.ok('status' in probe, `the receiver answers while the database is away: ${JSON.stringify(probe)}`);
          assert.equal(probe.status, 503);
          assert.equal(probe.body.error, 'store_unavailable');
          assert.match(String(probe.retryAfter), /^\d+$/, 'a 503 carries Retry-After');
          const health = await fetch(`${server.url}healthz`);
          assert.equal(health.status, 503);
          await new Promise((r) => setTimeout(r, 1500));
          assert.ok(server.alive(), 'the server process is still up');
          const ackedBeforeReopen = acked;
          down = false;
          await proxy.reopen();
          const outageMs = performance.now() - outageStarted;

          const results = await sender.done;
          for (const [i, r] of results.entries()) assert.ok(r && 'status' in r && r.status === 200, `batch ${i}: ${JSON.stringify(r)}`);
          assert.equal((await fetch(`${server.url}healthz`)).status, 200);
          const answered503 = whileDown.filter((s) => s.startsWith('503 store_unavailable'));
          assert.ok(answered503.length > 0, `the sender saw 503s while the database was away: ${whileDown.slice(0, 5).join('; ')}`);
          for (const s of whileDown.filter((x) => x.startsWith('503'))) assert.match(s, /retry-after=\d+$/);
          // Nothing lost, nothing stored twice (the probe, answered 503, is not stored).
          assert.deepEqual(await logCounts(direct), { rows: BATCHES * PER_BATCH, distinct: BATCHES * PER_BATCH });
          assert.ok(server.alive());
          assertQuiet(server);
          await server.stop();
          t.diagnostic(
            `outage ${Math.round(outageMs)} ms after 30 acknowledged batches: ${acked - ackedBeforeReopen} acknowledged after it; while away the sender saw ` +
              `${answered503.length} x 503 store_unavailable, ${whileDown.filter((s) => !s.startsWith('503')).length} other (${[...new Set(whileDown.filter((s) => !s.startsWith('503')))].join(', ') || 'none'}); ` +
              `${sender.requests()} requests for ${BATCHES} batches; proxy connections accepted: ${proxy.accepted()}`,
          );
        });

        // A silent partition (packets dropped, no reset): the pool's connections stay
        // open and a query on one waits for an answer that never comes. The store's
        // query timeout (pg's query_timeout, 10 s) fails it as store_unavailable and
        // throws the connection away, so the receiver answers 503 instead of hanging.
        it('PostgreSQL silently unreachable (a partition): 503 within seconds, then stored once', async () => {
          const target = new URL(POSTGRES_URL);
          const proxy = await startTcpProxy({ port: Number(target.port || 5432), host: target.hostname });
          cleanups.push(() => proxy.close());
          const direct = db.newUrl();
          const proxied = new URL(direct);
          proxied.host = `127.0.0.1:${proxy.port}`;
          const server = await start({ databaseUrl: proxied.toString(), env: ENV });
          const [first, second] = batchesOf('s', 2, 100);
          const ok = await postBody(`${server.url}v1/auth0/logs`, TOKEN, first);
          assert.ok('status' in ok && ok.status === 200, JSON.stringify(ok));
          proxy.stall();
          try {
            const r = await postBody(`${server.url}v1/auth0/logs`, TOKEN, second, undefined, 15_000);
            assert.ok('status' in r, `the receiver answers within 15 s while the database is unreachable: ${JSON.stringify(r)}`);
            assert.equal(r.status, 503);
            assert.match(String(r.retryAfter), /^\d+$/);
          } finally {
            await proxy.reopen();
          }
          // Once the network is back, connections the partition left dead fail as they are
          // used (503 each, thrown away) until the pool holds live ones: Auth0 retries.
          let again;
          for (let attempt = 0; attempt < 40; attempt += 1) {
            again = await postBody(`${server.url}v1/auth0/logs`, TOKEN, second);
            if (!('status' in again) || again.status !== 503) break;
            await new Promise((r) => setTimeout(r, 250));
          }
          assert.ok(again && 'status' in again && again.status === 200, JSON.stringify(again));
          assert.deepEqual(await logCounts(direct), { rows: 200, distinct: 200 });
          await server.stop();
        });
      } else {
        it('SQLite locked by another process past busy_timeout: 503 with Retry-After, then the batch is stored once', async (t) => {
          // SQLite's analogue of a database that went away: the file is in-process and
          // opened once, so removing or chmod-ing it changes nothing for the open handle
          // (and root ignores modes); what a writer can meet is another process holding
          // the write lock (a CLI, a backup) for longer than busy_timeout (5 s).
          const url = db.newUrl();
          const server = await start({ databaseUrl: url, env: ENV });
          const body = batchesOf('l', 1, 100)[0];
          // The purge the server runs at start goes first (one round trip through its
          // event loop): better-sqlite3 is synchronous, so a purge that met the lock
          // would hold every request behind its own 5 s wait.
          assert.equal((await fetch(`${server.url}healthz`)).status, 200);
          const Database = require('better-sqlite3');
          const holder = new Database(url.slice('sqlite:'.length));
          holder.exec('BEGIN IMMEDIATE');
          const t0 = performance.now();
          let r;
          try {
            r = await postBody(`${server.url}v1/auth0/logs`, TOKEN, body);
          } finally {
            holder.exec('ROLLBACK');
            holder.close();
          }
          const waitedMs = performance.now() - t0;
          assert.ok('status' in r, JSON.stringify(r));
          assert.equal(r.status, 503);
          assert.equal(r.body.error, 'store_unavailable');
          assert.match(String(r.retryAfter), /^\d+$/);
          assert.ok(server.alive());
          const again = await postBody(`${server.url}v1/auth0/logs`, TOKEN, body);
          assert.ok('status' in again && again.status === 200, JSON.stringify(again));
          assert.deepEqual([again.body.stored, again.body.duplicates], [100, 0]);
          assert.deepEqual(await logCounts(url), { rows: 100, distinct: 100 });
          assertQuiet(server);
          await server.stop();
          t.diagnostic(`503 after ${Math.round(waitedMs)} ms waiting on the lock; stored once on retry`);
        });
      }
    });
  }
});
