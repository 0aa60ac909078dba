#!/usr/bin/env node
'use strict';
// ActionGuard's control plane.
//
//   actionguard serve [--port 8080] [--host 127.0.0.1] [--trust-proxy]
//   actionguard migrate
//   actionguard logs import <file|dir>...
//   actionguard logs pull                 (AUTH0_DOMAIN, AUTH0_CLIENT_ID, AUTH0_CLIENT_SECRET)
//   actionguard logs purge [--days N]
//   actionguard logs analyze <file.ndjson> [--json]   (no database: reads the file only)
//   actionguard approvals list [--status S] [--json]
//   actionguard approvals approve|reject <dedupe_key> [--by "Sam (security)"]
//   actionguard approvals execute         (AUTH0_DOMAIN, AUTH0_CLIENT_ID, AUTH0_CLIENT_SECRET)
//
// DATABASE_URL chooses the store: `sqlite:<path>` (the default, sqlite:actionguard.db)
// or `postgres://...` for several instances. `serve` reads ACTIONGUARD_LOG_TOKEN (the
// log stream's Authorization header value), AUDIT_WEBHOOK_SECRET and
// APPROVAL_WEBHOOK_SECRET (the Actions' secrets of those names); a receiver whose
// secret is not set answers 503. ACTIONGUARD_RETENTION_DAYS: 90 by default.
// ACTIONGUARD_RATE_LIMIT: requests a second per source address, 500 by default.
// Exit codes: 0 done, 1 failed, 2 usage.
//
// `logs analyze` opens no store (whatever DATABASE_URL says): it streams the file
// through the core's detection (LogAnalyzer) a chunk of lines at a time and prints the
// analysis, as one JSON object on its last line with --json.

const { openStore, STATES } = require('../lib/store/index.js');
const { createServer } = require('../lib/http.js');
const approvals = require('../lib/approvals.js');
const { retentionDays, startRetention, purgeOlderThan } = require('../lib/retention.js');
const { rateLimitFrom } = require('../lib/ratelimit.js');

const DEFAULT_DATABASE_URL = 'sqlite:actionguard.db';
const USAGE = `usage: actionguard serve [--port N] [--host H] [--trust-proxy]
       actionguard migrate
       actionguard logs import <file|dir>... | logs pull | logs purge [--days N]
       actionguard logs analyze <file.ndjson> [--json]     (no database)
       actionguard approvals list [--status S] [--json] | approve <key> [--by WHO] | reject <key> [--by WHO] | execute
DATABASE_URL: sqlite:<path> (default ${DEFAULT_DATABASE_URL}) or postgres://...`;

/** @param {string} message */
const usage = (message) => Object.assign(new Error(`${message}\n${USAGE}`), { exit: 2 });

/** @param {string[]} args @param {string} name */
function option(args, name) {
  const i = args.indexOf(name);
  if (i < 0) return undefined;
  const value = args[i + 1];
  if (value === undefined || value.startsWith('--')) throw usage(`${name} needs a value`);
  return value;
}

/** @param {Record<string, unknown>} entry */
const log = (entry) => process.stderr.write(`${JSON.stringify({ at: new Date().toISOString(), ...entry })}\n`);

function managementClient() {
  const { AUTH0_DOMAIN: domain, AUTH0_CLIENT_ID: clientId, AUTH0_CLIENT_SECRET: clientSecret } = process.env;
  if (!domain || !clientId || !clientSecret) throw usage('AUTH0_DOMAIN, AUTH0_CLIENT_ID and AUTH0_CLIENT_SECRET are required');
  // The SDK's own retries are off: pull waits out a 429 until x-ratelimit-reset itself.
  return { mgmt: require('../lib/pull.js').managementClient({ domain, clientId, clientSecret }), domain };
}

/** @param {string[]} args */
async function serve(store, args) {
  const port = Number(option(args, '--port') ?? process.env.PORT ?? 8080);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw usage('--port must be a port number');
  const host = option(args, '--host') ?? '127.0.0.1';
  const days = retentionDays(process.env.ACTIONGUARD_RETENTION_DAYS);
  const { server } = createServer({
    store,
    logToken: process.env.ACTIONGUARD_LOG_TOKEN,
    auditSecret: process.env.AUDIT_WEBHOOK_SECRET,
    approvalSecret: process.env.APPROVAL_WEBHOOK_SECRET,
    trustProxy: args.includes('--trust-proxy'),
    rateLimit: rateLimitFrom(process.env.ACTIONGUARD_RATE_LIMIT),
    log,
  });
  const stopRetention = startRetention(store, { days, log });
  await new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve(undefined));
  });
  const address = /** @type {import('node:net').AddressInfo} */ (server.address());
  const missing = ['ACTIONGUARD_LOG_TOKEN', 'AUDIT_WEBHOOK_SECRET', 'APPROVAL_WEBHOOK_SECRET'].filter((n) => !process.env[n]);
  log({ level: 'info', listening: `http://${address.address}:${address.port}/`, store: store.dialect, retention_days: days, not_configured: missing });
  // The test harness and scripts wait for this line.
  process.stdout.write(`actionguard: listening on http://${address.address}:${address.port}/\n`);
  await new Promise((resolve) => {
    const stop = () => {
      stopRetention();
      server.close(() => resolve(undefined));
      server.closeIdleConnections?.();
    };
    process.once('SIGTERM', stop);
    process.once('SIGINT', stop);
  });
}

/** @param {any} store @param {string[]} args */
async function logsCommand(store, [sub, ...args]) {
  if (sub === 'import') {
    const paths = args.filter((a) => !a.startsWith('--'));
    if (paths.length === 0) throw usage('logs import needs a file or a directory');
    const { importLogs } = require('../lib/import.js');
    const totals = await importLogs(store, paths);
    process.stdout.write(`${JSON.stringify(totals)}\n`);
  } else if (sub === 'pull') {
    const { pullLogs } = require('../lib/pull.js');
    const { mgmt, domain } = managementClient();
    const totals = await pullLogs(store, mgmt, { checkpointName: `logs_pull:${domain}` });
    process.stdout.write(`${JSON.stringify(totals)}\n`);
  } else if (sub === 'purge') {
    const days = retentionDays(option(args, '--days') ?? process.env.ACTIONGUARD_RETENTION_DAYS);
    process.stdout.write(`${JSON.stringify({ days, deleted: await purgeOlderThan(store, days) })}\n`);
  } else {
    throw usage(`unknown logs command ${JSON.stringify(sub)}`);
  }
}

/** Lines handed to the core at once: under its 10,000 logs a body (logs::MAX_LOGS). */
const ANALYZE_CHUNK_LINES = 5000;

/**
 * `logs analyze <file>`: the file read as `logs import` reads it (JSON lines, a JSON
 * array, .gz; the same bodies), streamed a body at a time through the core's
 * LogAnalyzer; no store is opened.
 * @param {string[]} args
 */
async function analyzeCommand(args) {
  if (args.includes('--html')) throw Object.assign(new Error('logs analyze --html: not yet (the report comes in a later release)'), { exit: 2 });
  const unknown = args.filter((a) => a.startsWith('--') && a !== '--json');
  if (unknown.length > 0) throw usage(`unknown option ${unknown[0]}`);
  const files = args.filter((a) => !a.startsWith('--'));
  if (files.length !== 1) throw usage('logs analyze needs one file');
  const [file] = files;
  const core = require('actionguard');
  const { bodiesOf } = require('../lib/import.js');
  const analyzer = new core.LogAnalyzer();
  for await (const { body } of bodiesOf(file, ANALYZE_CHUNK_LINES)) {
    const fed = analyzer.feed(body);
    if (fed.type !== 'success') throw new Error(fed.errors[0]?.message ?? 'the core refused a body');
  }
  const answer = analyzer.finish();
  if (answer.type !== 'success') throw new Error(answer.errors[0]?.message ?? 'no analysis');
  const { type, warnings, ...analysis } = answer;
  if (args.includes('--json')) {
    process.stdout.write(`${JSON.stringify(analysis)}\n`);
    return;
  }
  process.stdout.write(summaryText(file, analysis));
}

/**
 * The analysis for people.
 * @param {string} file
 * @param {Omit<import('actionguard').Analysis, never>} a
 */
function summaryText(file, a) {
  const out = [`${file}: ${a.events} events, ${a.duplicates} duplicates, ${a.rejected} rejected`];
  out.push(a.alerts.length === 0 ? 'no alerts' : `${a.alerts.length} alert${a.alerts.length === 1 ? '' : 's'}:`);
  for (const x of a.alerts) {
    const orgs = x.organizations.length > 0 ? ` in ${x.organizations.join(', ')}` : '';
    out.push(`  ${x.severity.padEnd(6)} ${x.kind.padEnd(19)} ${x.subject.type} ${x.subject.value}${orgs}`);
    out.push(`         ${x.events} events, ${x.users} users, ${x.first_seen} .. ${x.last_seen}: ${x.reasons.map((r) => r.code).join(', ')}`);
  }
  if (a.organizations.length > 0) out.push('organizations:');
  for (const o of a.organizations) {
    const share = o.active_users > 0 ? ` (${Math.round((100 * o.mfa_users) / o.active_users)}%)` : '';
    out.push(
      `  ${o.id}: ${o.active_users} active users, ${o.mfa_users} with MFA${share}; ${o.logins} logins, ${o.failed_logins} failed, ${o.silent_auth_failures} silent-auth failures; ${o.signups} sign-ups; ${o.m2m_tokens} M2M tokens, ${o.m2m_failures} failed`,
    );
  }
  if (a.state_overflow > 0 || a.alerts_dropped > 0) out.push(`bounds reached: ${a.state_overflow} events not tracked, ${a.alerts_dropped} alerts dropped`);
  return `${out.join('\n')}\n`;
}

/** @param {any} store @param {string[]} args */
async function approvalsCommand(store, [sub, ...args]) {
  if (sub === 'list') {
    const status = option(args, '--status');
    if (status !== undefined && !STATES.includes(status)) throw usage(`--status is one of ${STATES.join(', ')}`);
    const rows = await store.listApprovals({ status });
    if (args.includes('--json')) {
      process.stdout.write(`${JSON.stringify(rows)}\n`);
      return;
    }
    for (const r of rows) {
      const error = r.error ? `  failed: ${r.error}` : '';
      const org = r.organization_id ? `  -> ${r.organization_id}` : '';
      process.stdout.write(`${r.dedupe_key}  ${r.status.padEnd(9)}  ${r.request.proposal.name} (${r.request.proposal.domain})  seen ${r.requests_seen}x${org}${error}\n`);
    }
  } else if (sub === 'approve' || sub === 'reject') {
    const key = args[0];
    if (!key || key.startsWith('--')) throw usage('a dedupe key is required');
    const row = await approvals.decide(store, key, sub, option(args, '--by'));
    process.stdout.write(`${key} ${row.status}\n`);
  } else if (sub === 'execute') {
    const { mgmt } = managementClient();
    let failed = 0;
    for (const d of await approvals.execute(store, mgmt)) {
      if (d.error) {
        failed += 1;
        process.stderr.write(`actionguard: ${d.key} failed: ${d.error}\n`);
      } else {
        process.stdout.write(`${d.key} done: ${d.organization_id}\n`);
      }
    }
    if (failed > 0) process.exitCode = 1;
  } else {
    throw usage(`unknown approvals command ${JSON.stringify(sub)}`);
  }
}

async function main(argv) {
  const [command, ...rest] = argv;
  if (!command || command === '--help' || command === 'help') {
    process.stdout.write(`${USAGE}\n`);
    return;
  }
  if (!['serve', 'migrate', 'logs', 'approvals'].includes(command)) throw usage(`unknown command ${JSON.stringify(command)}`);
  // Before any store is opened: analysis needs none.
  if (command === 'logs' && rest[0] === 'analyze') {
    await analyzeCommand(rest.slice(1));
    return;
  }
  const store = await openStore(process.env.DATABASE_URL || DEFAULT_DATABASE_URL);
  try {
    if (command === 'serve') await serve(store, rest);
    else if (command === 'migrate') process.stdout.write(`migrated (${store.dialect})\n`);
    else if (command === 'logs') await logsCommand(store, rest);
    else await approvalsCommand(store, rest);
  } finally {
    await store.close();
  }
}

if (require.main === module) {
  main(process.argv.slice(2)).catch((err) => {
    process.stderr.write(`actionguard: ${err?.message ?? err}\n`);
    process.exit(err?.exit ?? 1);
  });
}

module.exports = { main };
