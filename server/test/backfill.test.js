'use strict';
// Backfill into a real store (SQLite in a temporary file): `logs import` from files
// (the bundled sample, a directory with gzip, 100,000 lines with 1,000 bad ones, memory
// on 200,000 lines) and `logs pull` from the emulated Management API (checkpoint
// paging, a 429 with x-ratelimit-reset, 5xx retried or outlasting the retries, resume).

const test = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const zlib = require('node:zlib');
const { execFileSync, spawnSync } = require('node:child_process');
const { openStore } = require('../lib/store/index.js');
const { importLogs } = require('../lib/import.js');
const { pullLogs, managementClient } = require('../lib/pull.js');
const { ManagementEmulator } = require('../../actions-js/harness/management.js');

const ROOT = path.resolve(__dirname, '..', '..');
const SAMPLE = path.join(ROOT, 'examples', 'logs', 'sample.ndjson');
const GENERATOR = path.join(ROOT, 'scripts', 'sample-logs');

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'ag-backfill-'));
test.after(() => fs.rmSync(tmp, { recursive: true, force: true }));
let dbCount = 0;
/** A fresh store in its own SQLite file. */
const freshStore = () => openStore(`sqlite:${path.join(tmp, `store-${++dbCount}.db`)}`);

/**
 * @param {number} i
 * @param {string} [type]
 */
function logLine(i, type = 's') {
  const date = new Date(Date.parse('2026-11-02T00:00:00.000Z') + i * 1000).toISOString();
  return JSON.stringify({
    log_id: `90020261102${String(i).padStart(45, '0')}`,
    data: { date, type, ip: '198.51.100.7', user_id: `auth0|u${i % 97}`, organization_id: `org_${i % 5}` },
  });
}

test('the sample is the generator output, and imports as the generator says', async () => {
  const generated = execFileSync(process.execPath, [GENERATOR], { encoding: 'utf8', maxBuffer: 16 * 1024 * 1024 });
  assert.equal(generated, fs.readFileSync(SAMPLE, 'utf8'), 'examples/logs/sample.ndjson is `scripts/sample-logs` output');
  const summary = JSON.parse(execFileSync(process.execPath, [GENERATOR, '--summary'], { encoding: 'utf8' }));
  assert.deepEqual([summary.lines, summary.logs, summary.repeats, summary.malformed], [500, 480, 12, 8]);

  const store = await freshStore();
  try {
    const first = await importLogs(store, SAMPLE);
    assert.deepEqual(first, { files: 1, lines: 500, events: 492, stored: 480, duplicates: 12, rejected: 8 });
    const stats = await store.stats();
    assert.deepEqual([stats.logs, stats.rejects], [480, 8]);
    const reasons = (await store.listRejects({ limit: 100 })).map((r) => r.reason_code).sort();
    assert.deepEqual(reasons, summary.reject_reasons);

    // Again, in small chunks: nothing stored twice, the same totals otherwise.
    const again = await importLogs(store, SAMPLE, { batchLines: 7 });
    assert.deepEqual(again, { files: 1, lines: 500, events: 492, stored: 0, duplicates: 492, rejected: 8 });
    assert.equal((await store.stats()).logs, 480);
  } finally {
    await store.close();
  }
});

test('a directory: *.ndjson, *.jsonl, *.json and their .gz in name order, a JSON array whole, other files left alone', async () => {
  const dir = path.join(tmp, 'export');
  fs.mkdirSync(dir);
  const lines = fs.readFileSync(SAMPLE, 'utf8').trimEnd().split('\n');
  fs.writeFileSync(path.join(dir, 'a.ndjson.gz'), zlib.gzipSync(`${lines.slice(0, 200).join('\n')}\n`));
  fs.writeFileSync(path.join(dir, 'b.jsonl'), `${lines.slice(200, 350).join('\r\n')}\r\n\r\n`);
  // The Management API's form: one array of log objects, pretty-printed.
  const parsed = lines.slice(350).flatMap((l) => {
    try {
      return [JSON.parse(l)];
    } catch {
      return [];
    }
  });
  const arrayOf = parsed.map((e) => (e && typeof e.data === 'object' && e.data ? e.data : e));
  fs.writeFileSync(path.join(dir, 'c.json.gz'), zlib.gzipSync(JSON.stringify(arrayOf, null, 2)));
  fs.writeFileSync(path.join(dir, 'notes.txt'), 'not a log file\n');
  fs.writeFileSync(path.join(dir, 'd.csv'), 'log_id,type\n');

  const store = await freshStore();
  try {
    const seen = [];
    const totals = await importLogs(store, dir, { onProgress: (p) => seen.push(path.basename(p.file)) });
    assert.deepEqual([...new Set(seen)], ['a.ndjson.gz', 'b.jsonl', 'c.json.gz']);
    const notJson = lines.slice(350).length - parsed.length;
    assert.equal(totals.files, 3);
    assert.equal(totals.stored, 480, 'every distinct log of the sample, from the three files');
    assert.equal(totals.rejected, 8 - notJson);
    assert.equal(totals.lines, 500 - notJson);
    assert.equal((await store.stats()).logs, 480);
    // A log from the array keeps its fields (the raw log is what an investigation reads).
    const earlier = new Set(lines.slice(0, 350).map((l) => l.slice(0, 80)));
    const one = arrayOf.find((l) => l.type === 's' && !earlier.has(`{"log_id":"${l.log_id}"`.slice(0, 80)));
    const row = await store.getLog(one.log_id);
    assert.deepEqual(JSON.parse(row.raw), one);
    assert.equal(row.source, 'import');
  } finally {
    await store.close();
  }
});

test('1,000 malformed lines among 100,000 good ones: every good one stored, every bad one a reject with its reason', async () => {
  const file = path.join(tmp, 'mixed.ndjson');
  /** @type {[string, (i: number) => string][]} */
  const bad = [
    ['not_json', () => 'garbage {'],
    ['missing_log_id', (i) => JSON.stringify({ data: { date: '2026-11-02T00:00:00Z', type: 's', ip: `x${i}` } })],
    ['missing_type', (i) => JSON.stringify({ log_id: `bad${i}`, data: { date: '2026-11-02T00:00:00Z' } })],
    ['bad_date', (i) => JSON.stringify({ log_id: `bad${i}`, data: { date: 'yesterday', type: 's' } })],
    ['not_an_object', () => '"just a string"'],
  ];
  const out = fs.openSync(file, 'w');
  let block = [];
  for (let i = 0; i < 100_000; i++) {
    block.push(logLine(i));
    if (i % 100 === 50) {
      const [, make] = bad[((i / 100) % bad.length) | 0];
      block.push(make(i));
    }
    if (block.length >= 10_000) {
      fs.writeSync(out, `${block.join('\n')}\n`);
      block = [];
    }
  }
  fs.writeSync(out, `${block.join('\n')}\n`);
  fs.closeSync(out);

  const store = await freshStore();
  try {
    const totals = await importLogs(store, file);
    assert.deepEqual(totals, { files: 1, lines: 101_000, events: 100_000, stored: 100_000, duplicates: 0, rejected: 1000 });
    const stats = await store.stats();
    assert.deepEqual([stats.logs, stats.rejects], [100_000, 1000]);
    const rejects = await store.listRejects({ limit: 5000 });
    assert.equal(rejects.length, 1000);
    /** @type {Record<string, number>} */
    const byReason = {};
    for (const r of rejects) {
      assert.ok(r.message, 'each reject says why');
      assert.ok(r.excerpt, 'and keeps an excerpt of the line');
      byReason[r.reason_code] = (byReason[r.reason_code] || 0) + 1;
    }
    assert.deepEqual(byReason, { not_json: 200, missing_log_id: 200, missing_type: 200, bad_date: 200, not_an_object: 200 });
  } finally {
    await store.close();
  }
});

test('an overlong line is one reject (line_too_long) and costs its neighbours nothing, a huge one no memory', async () => {
  const file = path.join(tmp, 'long.ndjson');
  const long = JSON.stringify({ log_id: 'long1', data: { date: '2026-11-02T00:00:00Z', type: 's', description: 'x'.repeat(100 * 1024) } });
  const huge = `{"log_id":"huge1","data":{"description":"${'y'.repeat(20 * 1024 * 1024)}"}}`;
  fs.writeFileSync(file, [logLine(1), long, logLine(2), huge, logLine(3)].join('\n'));
  const store = await freshStore();
  try {
    const totals = await importLogs(store, file);
    assert.deepEqual(totals, { files: 1, lines: 5, events: 3, stored: 3, duplicates: 0, rejected: 2 });
    const rejects = await store.listRejects({ limit: 10 });
    assert.deepEqual(
      rejects.map((r) => r.reason_code),
      ['line_too_long', 'line_too_long'],
    );
    assert.ok(rejects.every((r) => r.excerpt.length <= 512));
  } finally {
    await store.close();
  }
});

test('memory: importing 200,000 lines keeps RSS growth bounded', (t) => {
  // Its own process, so that what the other tests left in this heap does not count.
  const file = path.join(tmp, 'big.ndjson');
  const out = fs.openSync(file, 'w');
  for (let start = 0; start < 200_000; start += 10_000) {
    const block = [];
    for (let i = start; i < start + 10_000; i++) block.push(logLine(i, i % 9 ? 's' : 'fp'));
    fs.writeSync(out, `${block.join('\n')}\n`);
  }
  fs.closeSync(out);
  const script = `
    const { openStore } = require(${JSON.stringify(path.join(__dirname, '..', 'lib', 'store', 'index.js'))});
    const { importLogs } = require(${JSON.stringify(path.join(__dirname, '..', 'lib', 'import.js'))});
    (async () => {
      const store = await openStore(${JSON.stringify(`sqlite:${path.join(tmp, 'big.db')}`)});
      const before = process.memoryUsage().rss;
      let peak = before;
      const totals = await importLogs(store, ${JSON.stringify(file)}, { onProgress: () => { peak = Math.max(peak, process.memoryUsage().rss); } });
      peak = Math.max(peak, process.memoryUsage().rss);
      await store.close();
      console.log(JSON.stringify({ before, peak, totals, size: require('node:fs').statSync(${JSON.stringify(file)}).size }));
    })().catch((e) => { console.error(e); process.exit(1); });`;
  const run = spawnSync(process.execPath, ['-e', script], { encoding: 'utf8', cwd: path.join(__dirname, '..') });
  assert.equal(run.status, 0, run.stderr);
  const { before, peak, totals, size } = JSON.parse(run.stdout);
  assert.equal(totals.stored, 200_000);
  const growthMb = (peak - before) / 1024 / 1024;
  t.diagnostic(
    `200,000 lines (${(size / 1024 / 1024).toFixed(1)} MiB): RSS ${(before / 1024 / 1024).toFixed(0)} MiB before, peak ${(peak / 1024 / 1024).toFixed(0)} MiB (+${growthMb.toFixed(0)} MiB)`,
  );
  assert.ok(growthMb < 200, `RSS grew ${growthMb.toFixed(0)} MiB importing ${(size / 1024 / 1024).toFixed(0)} MiB`);
});

// ---- pull ----

const DOMAIN = 'backfill.eu.auth0.test';
const CLIENT = { clientId: 'pull-client', clientSecret: 'pull-secret-value' };

/**
 * The emulated Management API serving the sample's logs, and the SDK client pointed
 * at it (its fetch rewrites https://DOMAIN/ to the emulator).
 * @param {{ scopes?: string[] }} [o]
 */
async function emulated(o = {}) {
  const emu = await new ManagementEmulator({}, { domain: DOMAIN, ...CLIENT, ...o }).start();
  emu.loadLogs(SAMPLE);
  const prefix = `https://${DOMAIN}/`;
  /** @type {typeof fetch} */
  const redirect = (input, init) => {
    const href = typeof input === 'string' ? input : input instanceof URL ? input.href : input.url;
    if (!href.startsWith(prefix)) return fetch(input, init);
    const target = `${emu.origin}/${href.slice(prefix.length)}`;
    return fetch(typeof input === 'string' || input instanceof URL ? target : new Request(target, input), init);
  };
  return { emu, mgmt: managementClient({ domain: DOMAIN, ...CLIENT, fetch: redirect }) };
}
const logCalls = (emu) => emu.calls.filter((c) => c.path.startsWith('/api/v2/logs'));

test('pull: the oldest log by search, then checkpoint pages of 100 through a 429 and a 5xx, until an empty page', async () => {
  const { emu, mgmt } = await emulated();
  const store = await freshStore();
  try {
    assert.equal(emu.logs.length, 485, 'the sample: 480 logs and 5 malformed lines that carry a log_id');
    const waits = [];
    const checkpoints = [];
    const totals = await pullLogs(store, mgmt, {
      sleep: async (ms) => {
        waits.push(ms);
      },
      onPage: async (p) => {
        checkpoints.push(p.checkpoint);
        assert.equal(await store.getCheckpoint('auth0-logs'), p.checkpoint, 'the checkpoint is saved once its page is committed');
        if (p.pages === 2) emu.injectFault({ method: 'GET', path: '/api/v2/logs', status: 429, times: 1, reset_in_s: 2 });
        if (p.pages === 3) emu.injectFault({ method: 'GET', path: '/api/v2/logs', status: 503, times: 2 });
      },
    });
    assert.deepEqual({ ...totals, checkpoint: undefined }, { pages: 6, logs: 485, stored: 480, duplicates: 0, rejected: 5, retries: 3, checkpoint: undefined, done: true });
    assert.equal(totals.checkpoint, emu.logs[emu.logs.length - 1].log_id);
    assert.equal((await store.stats()).logs, 480);

    const calls = logCalls(emu);
    assert.match(calls[0].path, /[?&]sort=date(%3A|:)1(&|$)/, 'no checkpoint yet: the oldest log, by search');
    assert.match(calls[0].path, /[?&]per_page=1(&|$)/);
    assert.equal(checkpoints[0], emu.logs[0].log_id);
    const paged = calls.slice(1).map((c) => [c.path.replace(/from=\d+/, 'from=ID'), c.status]);
    assert.deepEqual(paged, [
      ['/api/v2/logs?from=ID&take=100', 200],
      ['/api/v2/logs?from=ID&take=100', 429],
      ['/api/v2/logs?from=ID&take=100', 200],
      ['/api/v2/logs?from=ID&take=100', 503],
      ['/api/v2/logs?from=ID&take=100', 503],
      ['/api/v2/logs?from=ID&take=100', 200],
      ['/api/v2/logs?from=ID&take=100', 200],
      ['/api/v2/logs?from=ID&take=100', 200],
      ['/api/v2/logs?from=ID&take=100', 200],
    ]);
    assert.ok(waits[0] > 0 && waits[0] <= 3100, `the 429 waits until x-ratelimit-reset (${waits[0]} ms)`);
    assert.deepEqual(waits.slice(1), [1000, 2000], 'the 5xx: a growing backoff');

    // Caught up: one request, an empty page, nothing stored.
    const before = logCalls(emu).length;
    const again = await pullLogs(store, mgmt, { sleep: async () => {} });
    assert.deepEqual([again.pages, again.stored, again.done, logCalls(emu).length - before], [0, 0, true, 1]);
  } finally {
    await store.close();
    await emu.stop();
  }
});

test('pull: a 5xx that outlasts the retries fails clearly at the last committed page; a rerun resumes and stores nothing twice', async () => {
  const { emu, mgmt } = await emulated();
  const store = await freshStore();
  try {
    /** @type {any} */
    let committed = null;
    const sleep = async () => {};
    await assert.rejects(
      pullLogs(store, mgmt, {
        sleep,
        onPage: (p) => {
          committed = p;
          if (p.pages === 3) emu.injectFault({ method: 'GET', path: '/api/v2/logs', status: 500, times: 1000 });
        },
      }),
      (/** @type {any} */ err) => {
        assert.equal(err.code, 'pull_failed');
        assert.match(err.message, /answered 500, 5 times/);
        assert.ok(err.message.includes(`the checkpoint stays at ${committed.checkpoint}`), err.message);
        return true;
      },
    );
    assert.equal(await store.getCheckpoint('auth0-logs'), committed.checkpoint);
    const storedBefore = (await store.stats()).logs;
    assert.deepEqual([committed.pages, committed.logs], [3, 201], 'the search page, then two pages of 100');
    assert.equal(storedBefore, committed.stored);
    assert.equal(committed.stored + committed.rejected, 201);

    emu.faults.length = 0;
    const resumed = await pullLogs(store, mgmt, { sleep });
    assert.equal(resumed.duplicates, 0, 'resumed after the checkpoint: no page read twice');
    assert.equal(storedBefore + resumed.stored, 480);
    assert.equal((await store.stats()).logs, 480);

    // A crash between a commit and its checkpoint means a page read again: stored once.
    const ids = emu.logs.map((l) => l.log_id);
    await store.setCheckpoint('auth0-logs', ids[ids.length - 101]);
    const replay = await pullLogs(store, mgmt, { sleep });
    assert.deepEqual([replay.logs, replay.stored, replay.duplicates + replay.rejected], [100, 0, 100]);
    assert.equal((await store.stats()).logs, 480);

    // maxPages stops early without being "done".
    await store.setCheckpoint('auth0-logs', ids[0]);
    const two = await pullLogs(store, mgmt, { sleep, maxPages: 2 });
    assert.deepEqual([two.pages, two.done, two.stored], [2, false, 0]);
  } finally {
    await store.close();
    await emu.stop();
  }
});

test('pull: without read:logs the error says so, and no checkpoint is written', async () => {
  const { emu, mgmt } = await emulated({ scopes: ['read:organizations'] });
  const store = await freshStore();
  try {
    await assert.rejects(pullLogs(store, mgmt, { sleep: async () => {} }), (/** @type {any} */ err) => err.code === 'pull_refused' && /403.*read:logs/.test(err.message));
    assert.equal(await store.getCheckpoint('auth0-logs'), null);
    assert.equal(logCalls(emu).length, 1, 'a 403 is not retried');
  } finally {
    await store.close();
    await emu.stop();
  }
});
