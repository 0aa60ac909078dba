'use strict';
// The health report in a real browser: Debian's Chromium, driven by playwright-core,
// loads the page as the control plane serves it (GET /v1/report, behind its token) and
// must render it with every chart an SVG carrying its title and its axis titles, while
// no request leaves the page (the page's own document is the only one). A screenshot is
// kept at test/artifacts/report.png (gitignored; the path is printed).
//
// Chromium is /usr/bin/chromium (`apt-get install chromium`; scripts/setup installs it
// when it runs as root), or CHROMIUM_PATH. Without it this test FAILS, loudly, unless
// ACTIONGUARD_SKIP_BROWSER=1 says to skip it.

const test = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { openStore } = require('../lib/store/index.js');
const { createServer } = require('../lib/http.js');
const { importLogs } = require('../lib/import.js');
const { ingestAudit } = require('../lib/ingest.js');

const SAMPLE = path.resolve(__dirname, '../../examples/logs/sample.ndjson');
const CHROMIUM = process.env.CHROMIUM_PATH || '/usr/bin/chromium';
const SCREENSHOT = path.join(__dirname, 'artifacts', 'report.png');
const TOKEN = 'browser-report-token-0123456789';

/** Each chart's title and axis titles, as charts.js draws them. */
const CHARTS = {
  activity: ['Logins per day', 'Day (UTC)', 'Events'],
  mfa: ['Users, MFA and enrolment', 'Measure', 'Users or enrolments'],
  failures: ['Failed logins by cause', 'Cause', 'Failed logins'],
  attacks: ['Attack indicators', 'Alert kind', 'Alerts'],
  signups: ['Sign-ups by domain class', 'Domain class', 'Sign-ups'],
  m2m: ['Machine-to-machine tokens by client', 'Tokens issued', 'Client'],
  decisions: ["ActionGuard's decisions by reason", 'Decisions', 'Reason'],
};

const skip = process.env.ACTIONGUARD_SKIP_BROWSER === '1' ? 'ACTIONGUARD_SKIP_BROWSER=1' : false;

test('the report page renders in Chromium, every chart drawn and labelled, nothing fetched', { skip, timeout: 120_000 }, async () => {
  if (!fs.existsSync(CHROMIUM)) {
    const banner = `!!! NO CHROMIUM AT ${CHROMIUM}: apt-get install chromium (scripts/setup does as root), or ACTIONGUARD_SKIP_BROWSER=1 to skip !!!`;
    process.stderr.write(`\n${banner}\n\n`);
    assert.fail(banner);
  }
  const { chromium } = require('playwright-core');
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ag-report-browser-'));
  const store = await openStore(`sqlite:${path.join(dir, 'ag.db')}`);
  await importLogs(store, SAMPLE);
  const audit = ['new_device', 'impossible_travel', 'new_device', 'disposable_email'].map((code, i) =>
    JSON.stringify({
      actionguard_audit: 1,
      id: `b${i}`,
      trigger: i === 3 ? 'pre-user-registration' : 'post-login',
      organization: 'org_acme',
      outcome: i === 3 ? 'deny' : 'challenge',
      reasons: [{ code }],
      ts_ms: Date.parse(`2026-11-0${3 + (i % 3)}T10:00:00Z`),
    }),
  );
  await ingestAudit(store, audit.join('\n'));
  const { server } = createServer({ store, reportToken: TOKEN, log: () => {} });
  await new Promise((r) => server.listen(0, '127.0.0.1', () => r(undefined)));
  const origin = `http://127.0.0.1:${/** @type {any} */ (server.address()).port}`;
  const pageUrl = `${origin}/v1/report?org=org_acme&since=2026-11-03&until=2026-11-06&format=html`;
  const browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] });
  try {
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 }, extraHTTPHeaders: { authorization: `Bearer ${TOKEN}` } });
    const page = await context.newPage();
    /** @type {string[]} */
    const requests = [];
    page.on('request', (req) => requests.push(req.url()));
    /** @type {string[]} */
    const problems = [];
    page.on('console', (m) => {
      if (m.type() === 'error' || m.type() === 'warning') problems.push(m.text());
    });
    page.on('pageerror', (e) => problems.push(String(e)));
    const response = await page.goto(pageUrl, { waitUntil: 'load' });
    assert.equal(response?.status(), 200);
    await page.waitForLoadState('networkidle');
    assert.deepEqual(requests, [pageUrl], 'the document, and not one request more');
    assert.deepEqual(problems, [], 'no console error, no CSP violation');
    assert.equal(await page.title(), 'ActionGuard health report: Organization org_acme');
    const charts = await page.$$eval('figure.chart', (figures) =>
      figures.map((f) => {
        const svg = f.querySelector('svg');
        const box = svg?.getBoundingClientRect();
        return {
          id: f.getAttribute('data-chart'),
          svg: Boolean(svg),
          width: box?.width ?? 0,
          height: box?.height ?? 0,
          marks: svg ? svg.querySelectorAll('path, rect, line').length : 0,
          texts: svg ? [...svg.querySelectorAll('text')].map((t) => t.textContent) : [],
        };
      }),
    );
    assert.deepEqual(
      charts.map((c) => c.id),
      Object.keys(CHARTS),
    );
    for (const c of charts) {
      assert.ok(c.svg && c.width > 100 && c.height > 50, `${c.id}: an SVG laid out on the page (${c.width}x${c.height})`);
      assert.ok(c.marks > 5, `${c.id}: drawn`);
      for (const label of CHARTS[/** @type {keyof typeof CHARTS} */ (c.id)]) assert.ok(c.texts.includes(label), `${c.id}: "${label}" in ${JSON.stringify(c.texts.slice(0, 12))}`);
    }
    // The numbers are there for people too: the cards and the tables.
    const cards = await page.$$eval('.card .label', (els) => els.map((e) => e.textContent));
    assert.deepEqual(cards, ['Active users', 'MFA coverage', 'Failed logins', 'Attack indicators']);
    assert.ok((await page.$$('table')).length >= 10);
    fs.mkdirSync(path.dirname(SCREENSHOT), { recursive: true });
    await page.screenshot({ path: SCREENSHOT, fullPage: true });
    assert.ok(fs.statSync(SCREENSHOT).size > 50_000, 'a screenshot with something in it');
    process.stdout.write(`# report screenshot: ${SCREENSHOT}\n`);
  } finally {
    await browser.close();
    server.close();
    await store.close();
  }
});
