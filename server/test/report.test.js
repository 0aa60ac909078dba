'use strict';
// The health report on the control plane: the store's paged reads (SQLite, and
// PostgreSQL when it answers), the report from the store agreeing with the core's report
// of the same lines, the CLI (`report` on a database, `logs analyze --html` without
// one), GET /v1/report behind its token, and the page itself: self-contained (no
// script, nothing fetched), every chart an SVG with its title and axis titles, every
// hostile string escaped. The page in a real browser is report-browser.test.js.

const test = require('node:test');
const { describe, it, after } = test;
const assert = require('node:assert/strict');
const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const core = require('actionguard/control-plane');
const { openStore } = require('../lib/store/index.js');
const { createServer } = require('../lib/http.js');
const { importLogs } = require('../lib/import.js');
const { ingestAudit } = require('../lib/ingest.js');
const report = require('../lib/report/index.js');
const { periodOf, endOfDay } = require('../lib/report/period.js');
const { databases } = require('./helpers/databases.js');

const BIN = path.resolve(__dirname, '../bin/actionguard.js');
const SAMPLE = path.resolve(__dirname, '../../examples/logs/sample.ndjson');
const PERIOD = { since: '2026-11-03T00:00:00.000Z', until: '2026-11-06T00:00:00.000Z' };
const HOSTILE_ORG = 'org_<script>alert(1)</script>"\'&';

/** Audit records as the Actions post them (the fields the report reads). */
function auditBody() {
  const at = (/** @type {string} */ iso) => Date.parse(iso);
  const rec = (/** @type {number} */ i, /** @type {string} */ iso, /** @type {string} */ outcome, /** @type {string[]} */ codes, org = 'org_acme') =>
    JSON.stringify({
      actionguard_audit: 1,
      id: `rec${i}`,
      trigger: 'post-login',
      organization: org,
      outcome,
      would_outcome: outcome,
      reasons: codes.map((code) => ({ code, message: 'm' })),
      ts_ms: at(iso),
    });
  return [
    rec(1, '2026-11-03T09:00:00Z', 'challenge', ['new_device']),
    rec(2, '2026-11-04T09:00:00Z', 'deny', ['impossible_travel', 'new_device']),
    rec(3, '2026-11-01T09:00:00Z', 'allow', []),
    rec(4, '2026-11-04T10:00:00Z', 'deny', ['<img src=x onerror=alert(1)>'], HOSTILE_ORG),
  ].join('\n');
}

/**
 * The core's report of the sample's lines and the audit records, built directly. With
 * `storeView`, only what a store holds of the two periods is fed: its logs in range
 * (no rejects, each log once), as the store would hand them over.
 */
function coreReport(/** @type {string | null} */ organization, storeView = true) {
  const made = core.newReportBuilder({ ...PERIOD, organization });
  assert.equal(made.type, 'success');
  if (made.type !== 'success') throw new Error('unreachable');
  const text = fs.readFileSync(SAMPLE, 'utf8');
  if (storeView) {
    const parsed = core.parseLogBatch(text);
    if (parsed.type !== 'success') throw new Error('the sample reads');
    const bytes = Buffer.from(text, 'utf8');
    const fromMs = Date.parse(PERIOD.since) - (Date.parse(PERIOD.until) - Date.parse(PERIOD.since));
    const lines = parsed.events.filter((e) => e.date_ms >= fromMs && e.date_ms < Date.parse(PERIOD.until)).map((e) => bytes.subarray(e.start, e.end).toString('utf8'));
    made.builder.feedLines(lines.join('\n'));
  } else {
    made.builder.feedLines(text);
  }
  made.builder.feedAudit(auditBody());
  const done = made.builder.finish();
  if (done.type !== 'success') throw new Error(done.errors[0].message);
  return done;
}

/** A store holding the sample and the audit records. */
async function filledStore(/** @type {string} */ url) {
  const store = await openStore(url);
  await importLogs(store, SAMPLE, { batchLines: 37 });
  await ingestAudit(store, auditBody());
  return store;
}

test('periods: durations count back from until, dates are dates, and nonsense is refused', () => {
  const now = Date.parse('2026-11-16T12:00:00Z');
  assert.deepEqual(periodOf({ since: '7d' }, now), { since: '2026-11-09T12:00:00.000Z', until: '2026-11-16T12:00:00.000Z' });
  assert.deepEqual(periodOf({ since: '2w', until: '2026-11-16' }, now), { since: '2026-11-02T00:00:00.000Z', until: '2026-11-16T00:00:00.000Z' });
  assert.deepEqual(periodOf({ since: '2026-11-01T06:00:00Z', until: '24h' }, now), { since: '2026-11-01T06:00:00.000Z', until: '2026-11-15T12:00:00.000Z' });
  assert.equal(periodOf({}, now).since, '2026-11-09T12:00:00.000Z', '7 days by default');
  for (const since of ['7', 'yesterday', '7 d', '-7d', '2026-13-45', '2026-11-09 12:00']) {
    assert.throws(() => periodOf({ since }, now), { code: 'invalid_period' }, since);
  }
  assert.equal(endOfDay(Date.parse('2026-11-05T13:00:00Z')), Date.parse('2026-11-06T00:00:00Z'));
  assert.equal(endOfDay(Date.parse('2026-11-06T00:00:00Z')), Date.parse('2026-11-07T00:00:00Z'), 'a log at midnight is inside [since, until)');
});

describe('the store pages a period in order, every row once', async () => {
  for (const db of await databases()) {
    describe(db.dialect, { skip: db.skip }, () => {
      after(() => db.cleanup());
      it('readLogs and readAuditRecords walk [from, until) by (time, key)', async () => {
        const store = await filledStore(db.newUrl());
        try {
          const fromMs = Date.parse('2026-11-03T00:00:00Z');
          const untilMs = Date.parse('2026-11-05T00:00:00Z');
          /** @type {any[]} */
          const seen = [];
          let after = null;
          for (let pages = 0; pages < 1000; pages++) {
            const rows = await store.readLogs({ fromMs, untilMs, after, limit: 7 });
            if (rows.length === 0) break;
            seen.push(...rows);
            after = { ms: Number(rows[rows.length - 1].date_ms), key: rows[rows.length - 1].log_id };
          }
          const parsed = core.parseLogBatch(fs.readFileSync(SAMPLE, 'utf8'));
          if (parsed.type !== 'success') throw new Error('the sample reads');
          const expected = parsed.events.filter((e) => e.date_ms >= fromMs && e.date_ms < untilMs).map((e) => e.log_id);
          assert.deepEqual(seen.map((r) => r.log_id).sort(), [...new Set(expected)].sort());
          const keys = seen.map((r) => [Number(r.date_ms), r.log_id]);
          const sorted = [...keys].sort((a, b) => a[0] - b[0] || (a[1] < b[1] ? -1 : a[1] > b[1] ? 1 : 0));
          assert.deepEqual(keys, sorted, 'in (date_ms, log_id) order');
          assert.ok(seen.every((r) => typeof r.raw === 'string' && r.raw.includes(r.log_id)));
          const records = await store.readAuditRecords({ fromMs, untilMs, limit: 2 });
          assert.deepEqual(
            records.map((/** @type {any} */ r) => r.id),
            ['rec1', 'rec2'],
          );
          const rest = await store.readAuditRecords({ fromMs, untilMs, after: { ms: Number(records[1].at), key: records[1].id }, limit: 2 });
          assert.deepEqual(
            rest.map((/** @type {any} */ r) => r.id),
            ['rec4'],
          );
          await assert.rejects(store.readLogs({ fromMs, untilMs, limit: 0 }), TypeError);
          await assert.rejects(store.readLogs({ fromMs: Number.NaN, untilMs }), TypeError);
        } finally {
          await store.close();
        }
      });

      it('the report from the store is the core report of the same lines and records', async () => {
        const store = await filledStore(db.newUrl());
        try {
          for (const org of ['org_acme', null]) {
            const built = await report.reportFromStore(store, { ...PERIOD, organization: org });
            const direct = coreReport(org);
            assert.deepEqual(built.report, direct.report, String(org));
            assert.equal(built.markdown, direct.markdown);
          }
          const acme = (await report.reportFromStore(store, { ...PERIOD, organization: 'org_acme' })).report;
          assert.equal(acme.actionguard.records.current, 2, "acme's two records of the period, not the other organization's");
          assert.ok(acme.users.active.current > 0 && acme.users.active.previous > 0);
        } finally {
          await store.close();
        }
      });
    });
  }
});

/** HTML text as the browser reads it (the entities the page and vega write). */
function decode(/** @type {string} */ text) {
  return text.replace(/&(amp|lt|gt|quot|#39|#x27);/g, (_, e) => ({ amp: '&', lt: '<', gt: '>', quot: '"', '#39': "'", '#x27': "'" })[/** @type {string} */ (e)] ?? '');
}

/** The page's promises: self-contained, charts drawn, strings escaped. */
function assertSelfContained(/** @type {string} */ html) {
  assert.ok(html.startsWith('<!doctype html>'));
  assert.doesNotMatch(html, /<script/i, 'no script, and no hostile one');
  // Attribute names of every tag (values blanked: escaped text in an aria-label is text).
  const tags = html.match(/<[a-zA-Z][^>]*>/g) ?? [];
  const loading = tags.filter((t) => /\s(src|href|xlink:href|action|formaction|srcset|poster|data|background|ping)\s*=/i.test(t.replace(/"[^"]*"|'[^']*'/g, '""')));
  assert.deepEqual(loading, [], 'no element that loads or links');
  // A URL in an attribute is an XML namespace, never a resource (text, and the text of an
  // aria-label, may show an audience's URL).
  const urls = tags.flatMap((t) => [...t.matchAll(/([a-zA-Z:-]+)="([^"]*:\/\/[^"]*)"/g)].filter((m) => !/^(aria-[a-z]+|title)$/.test(m[1])).map((m) => `${m[1]}=${m[2]}`));
  assert.deepEqual([...new Set(urls)].sort(), ['xmlns:xlink=http://www.w3.org/1999/xlink', 'xmlns=http://www.w3.org/2000/svg']);
  assert.match(html, /<meta http-equiv="Content-Security-Policy" content="default-src &#39;none&#39;/);
  const charts = [...html.matchAll(/<figure class="chart" data-chart="([a-z0-9-]+)" aria-label="([^"]+)"><svg[\s\S]*?<\/svg><\/figure>/g)];
  assert.deepEqual(
    charts.map((c) => c[1]),
    ['activity', 'mfa', 'failures', 'attacks', 'signups', 'm2m', 'decisions'],
  );
  for (const [svg, , title] of charts) {
    const texts = [...svg.matchAll(/<text[^>]*>([^<]*)<\/text>/g)].map((t) => decode(t[1]));
    assert.ok(texts.includes(decode(title)), `${decode(title)}: its title, in ${JSON.stringify(texts.slice(0, 5))}`);
  }
}

test('the page: self-contained, seven charts with titles and axis titles, hostile strings escaped', async () => {
  const built = coreReport(HOSTILE_ORG);
  const html = await report.renderHtml(built.report, { version: 'test' });
  assertSelfContained(html);
  assert.ok(html.includes('org_&lt;script&gt;alert(1)&lt;/script&gt;&quot;&#39;&amp;'), 'the organization id, escaped');
  assert.ok(html.includes('&lt;img src=x onerror=alert(1)&gt;'), 'the reason code, escaped');
  assert.ok(!html.includes('<img'), 'never as markup');
  // Axis titles of every chart, in the SVG text.
  for (const label of [
    'Day (UTC)',
    'Events',
    'Measure',
    'Users or enrolments',
    'Cause',
    'Failed logins',
    'Alert kind',
    'Alerts',
    'Domain class',
    'Sign-ups',
    'Tokens issued',
    'Client',
    'Decisions',
    'Reason',
  ]) {
    assert.ok(decode(html).includes(`>${label}</text>`), label);
  }
  // The same report, all organizations: the organizations table is there.
  const all = await report.renderHtml(coreReport(null).report);
  assertSelfContained(all);
  assert.match(all, /<section id="organizations">[\s\S]*org_acme/);
});

/** Runs the CLI in a fresh directory. */
function run(/** @type {string[]} */ args, /** @type {Record<string, string>} */ env = {}, cwd = fs.mkdtempSync(path.join(os.tmpdir(), 'ag-report-'))) {
  const { DATABASE_URL, ...rest } = process.env;
  return { ...spawnSync(process.execPath, [BIN, ...args], { cwd, env: { ...rest, ...env }, encoding: 'utf8' }), cwd };
}

test('actionguard report: JSON, Markdown and HTML from the database', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ag-report-cli-'));
  const url = `sqlite:${path.join(dir, 'ag.db')}`;
  const store = await filledStore(url);
  await store.close();
  const env = { DATABASE_URL: url };
  const period = ['--since', PERIOD.since, '--until', PERIOD.until];
  const json = run(['report', '--org', 'org_acme', ...period, '--json'], env);
  assert.equal(json.status, 0, json.stderr);
  assert.deepEqual(JSON.parse(json.stdout), coreReport('org_acme').report);
  const md = run(['report', '--org', 'org_acme', ...period], env);
  assert.equal(md.status, 0, md.stderr);
  assert.equal(md.stdout, `${coreReport('org_acme').markdown}\n`);
  const out = path.join(dir, 'out.html');
  const html = run(['report', '--since', '3d', '--until', PERIOD.until, '--html', out], env);
  assert.equal(html.status, 0, html.stderr);
  assertSelfContained(fs.readFileSync(out, 'utf8'));
  for (const [args, message] of [
    [['report', '--since', 'yesterday'], /--since is a duration/],
    [['report', '--json', '--markdown'], /one of --json/],
    [['report', '--top', '0'], /--top is from 1 to 100/],
    [['report', '--since', '400d'], /at most 366 days/],
  ]) {
    const r = run(/** @type {string[]} */ (args), env);
    assert.equal(r.status, 2, `${args.join(' ')}: ${r.stderr}`);
    assert.match(r.stderr, /** @type {RegExp} */ (message));
  }
});

test('logs analyze --html writes the report of the file, with no database, and still prints the analysis', () => {
  const r = run(['logs', 'analyze', SAMPLE, '--json', '--html', 'report.html'], { DATABASE_URL: 'postgres://nobody@127.0.0.1:1/none' });
  assert.equal(r.status, 0, r.stderr);
  assert.deepEqual(fs.readdirSync(r.cwd), ['report.html'], 'the page and nothing else: no database file');
  const html = fs.readFileSync(path.join(r.cwd, 'report.html'), 'utf8');
  assertSelfContained(html);
  // By default the 7 days up to the end of the file's last day (2026-11-06).
  assert.match(html, /2026-10-31 to 2026-11-07 UTC \(7 days\)/);
  const lines = r.stdout.trim().split('\n');
  const analysis = JSON.parse(lines[lines.length - 1]);
  assert.deepEqual([analysis.events, analysis.duplicates, analysis.rejected], [480, 12, 8], 'the same analysis as without --html');
  const plain = run(['logs', 'analyze', SAMPLE, '--json']);
  assert.deepEqual(analysis, JSON.parse(plain.stdout.trim().split('\n').pop() ?? ''));
  const one = run(['logs', 'analyze', SAMPLE, '--html', 'acme.html', '--org', 'org_acme', '--since', '2026-11-03', '--until', '2026-11-06']);
  assert.equal(one.status, 0, one.stderr);
  assert.match(fs.readFileSync(path.join(one.cwd, 'acme.html'), 'utf8'), /Organization org_acme/);
  const bad = run(['logs', 'analyze', SAMPLE, '--org', 'org_acme']);
  assert.equal(bad.status, 2, 'options of the report go with --html');
});

test('GET /v1/report: behind its token, in three formats', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ag-report-http-'));
  const store = await filledStore(`sqlite:${path.join(dir, 'ag.db')}`);
  const token = 'report-token-0123456789abcdef';
  const serve = async (/** @type {string | undefined} */ reportToken) => {
    const { server } = createServer({ store, reportToken, log: () => {} });
    await new Promise((r) => server.listen(0, '127.0.0.1', () => r(undefined)));
    return { server, url: `http://127.0.0.1:${/** @type {any} */ (server.address()).port}` };
  };
  const off = await serve(undefined);
  assert.equal((await fetch(`${off.url}/v1/report`)).status, 503, 'not configured');
  off.server.close();
  const { server, url } = await serve(token);
  try {
    const q = `since=${PERIOD.since}&until=${PERIOD.until}&org=org_acme`;
    const get = (/** @type {string} */ query, /** @type {string} */ auth = `Bearer ${token}`) => fetch(`${url}/v1/report?${query}`, { headers: { authorization: auth } });
    for (const auth of ['', token, `Bearer ${token}x`, `bearer ${token}`, 'Bearer ']) {
      assert.equal((await get(q, auth)).status, 401, JSON.stringify(auth));
    }
    const json = await get(q);
    assert.equal(json.status, 200);
    assert.equal(json.headers.get('content-type'), 'application/json');
    assert.deepEqual(await json.json(), coreReport('org_acme').report);
    const md = await get(`${q}&format=markdown`);
    assert.equal(md.headers.get('content-type'), 'text/markdown; charset=utf-8');
    assert.equal(await md.text(), `${coreReport('org_acme').markdown}\n`);
    const html = await get(`since=${PERIOD.since}&until=${PERIOD.until}&org=${encodeURIComponent(HOSTILE_ORG)}&format=html`);
    assert.equal(html.status, 200);
    assert.equal(html.headers.get('content-type'), 'text/html; charset=utf-8');
    assert.match(html.headers.get('content-security-policy') ?? '', /^default-src 'none'/);
    assert.equal(html.headers.get('cache-control'), 'no-store');
    const page = await html.text();
    assertSelfContained(page);
    assert.ok(page.includes('&lt;img src=x onerror=alert(1)&gt;'));
    for (const [query, code] of [
      [`${q}&format=pdf`, 'invalid_format'],
      ['since=yesterday', 'invalid_period'],
      ['since=400d', 'invalid_period'],
      [`${q}&top=1000`, 'invalid_top'],
    ]) {
      const res = await get(query);
      assert.equal(res.status, 400, query);
      assert.equal((await res.json()).error, code, query);
    }
    assert.equal((await fetch(`${url}/v1/report`, { method: 'POST', headers: { authorization: `Bearer ${token}` } })).status, 405);
  } finally {
    server.close();
    await store.close();
  }
});
