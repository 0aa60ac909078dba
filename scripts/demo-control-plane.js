#!/usr/bin/env node
'use strict';
// The second half of scripts/demo: the control plane on the embedded default (SQLite in
// .demo/), fed what it is for: the bundled sample of Auth0's log stream, posted as the
// custom-webhook stream posts it (batches, Authorization header, one retried batch), and
// the audit records of every bundled scenario, signed as the Actions sign them.

const { spawn } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');
const readline = require('node:readline');

const root = path.resolve(__dirname, '..');
const webhook = require(path.join(root, 'js/webhook.js'));
const { runScenario, loadScenario, scenarioFiles } = require(path.join(root, 'actions-js/harness/scenarios.js'));

const DEMO_DIR = path.join(root, '.demo');
const DATABASE = path.join(DEMO_DIR, 'actionguard.db');
const LOG_TOKEN = 'Bearer demo-log-stream-token';
const AUDIT_SECRET = 'demo-audit-secret';
const SAMPLE = path.join(root, 'examples/logs/sample.ndjson');
const BATCH_LINES = 100;

/** Starts `actionguard serve` and waits for its listening line. */
async function startServer() {
  const child = spawn(process.execPath, [path.join(root, 'server/bin/actionguard.js'), 'serve', '--port', '0'], {
    env: {
      ...process.env,
      DATABASE_URL: `sqlite:${DATABASE}`,
      ACTIONGUARD_LOG_TOKEN: LOG_TOKEN,
      AUDIT_WEBHOOK_SECRET: AUDIT_SECRET,
      APPROVAL_WEBHOOK_SECRET: 'demo-approval-secret',
    },
    stdio: ['ignore', 'pipe', 'ignore'],
  });
  const url = await new Promise((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`the control plane exited (${code})`)));
    readline.createInterface({ input: child.stdout }).on('line', (line) => {
      const m = /listening on (http:\/\/\S+?)\/?$/.exec(line);
      if (m) resolve(m[1]);
    });
  });
  return { child, url };
}

async function main() {
  fs.mkdirSync(DEMO_DIR, { recursive: true });
  for (const suffix of ['', '-wal', '-shm']) fs.rmSync(`${DATABASE}${suffix}`, { force: true });
  const { child, url } = await startServer();
  try {
    // The log stream: batches of 100 lines; the second batch is sent twice, as Auth0 does
    // when it saw no answer (at least once).
    const lines = fs
      .readFileSync(SAMPLE, 'utf8')
      .split('\n')
      .filter((l) => l.trim() !== '');
    const totals = { batches: 0, events: 0, stored: 0, duplicates: 0, rejected: 0 };
    for (let i = 0; i < lines.length; i += BATCH_LINES) {
      const body = `${lines.slice(i, i + BATCH_LINES).join('\n')}\n`;
      for (let send = 0; send < (i === BATCH_LINES ? 2 : 1); send += 1) {
        const res = await fetch(`${url}/v1/auth0/logs`, { method: 'POST', headers: { authorization: LOG_TOKEN, 'content-type': 'application/x-ndjson' }, body });
        if (res.status !== 200) throw new Error(`the log stream receiver answered ${res.status}`);
        const r = await res.json();
        totals.batches += 1;
        for (const k of ['events', 'stored', 'duplicates', 'rejected']) totals[k] += r[k];
      }
    }
    console.log(`log stream: ${lines.length} lines of ${path.relative(root, SAMPLE)} in ${totals.batches} batches (one sent twice):`);
    console.log(`  ${totals.stored} logs stored, ${totals.duplicates} duplicates dropped, ${totals.rejected} malformed lines kept as rejects with their reason`);

    // The audit webhook: each scenario's records, as one execution posts them.
    const audit = { executions: 0, stored: 0, duplicates: 0 };
    for (const file of scenarioFiles(path.join(root, 'scenarios'))) {
      const { result } = await runScenario(loadScenario(file));
      const records = (result.audit || []).map((/** @type {unknown} */ r) => JSON.stringify(r));
      if (records.length === 0) continue;
      const body = `${records.join('\n')}\n`;
      const res = await fetch(`${url}/v1/audit`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-ndjson', [webhook.SIGNATURE_HEADER]: webhook.sign(AUDIT_SECRET, body) },
        body,
      });
      if (res.status !== 200) throw new Error(`the audit receiver answered ${res.status}`);
      const r = await res.json();
      audit.executions += 1;
      audit.stored += r.stored;
      audit.duplicates += r.duplicates;
    }
    console.log(`audit webhook: ${audit.executions} scenario executions posted their records: ${audit.stored} stored`);

    const metrics = await (await fetch(`${url}/metrics`)).text();
    const shown = metrics.split('\n').filter((l) => /^actionguard_(logs_(ingested|duplicates|rejected)_total|audit_records_stored_total|approvals)\b/.test(l));
    console.log(`\n${url}/metrics (excerpt):`);
    for (const l of shown) console.log(`  ${l}`);
    console.log(`\nThe store: ${path.relative(root, DATABASE)} (SQLite). Look into it with`);
    console.log(`  DATABASE_URL=sqlite:${path.relative(root, DATABASE)} scripts/actionguard approvals list`);
    console.log(`  DATABASE_URL=sqlite:${path.relative(root, DATABASE)} scripts/actionguard logs import <more.ndjson>`);
    console.log(`Detection over the same logs, with no database: scripts/actionguard logs analyze ${path.relative(root, SAMPLE)} [--json]`);
    console.log('The per-organization health report (HTML, charts) is the next step of the detection work (docs/control-plane.md).');
  } finally {
    child.kill('SIGTERM');
  }
}

main().catch((err) => {
  console.error(`demo: ${err.message}`);
  process.exit(1);
});
