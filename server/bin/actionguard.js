#!/usr/bin/env node
'use strict';
// ActionGuard's control plane.
//
//   actionguard serve [--port 8080] [--host 127.0.0.1] [--trust-proxy]
//   actionguard migrate
//   actionguard logs import <file|dir>...
//   actionguard logs pull                 (AUTH0_DOMAIN, AUTH0_CLIENT_ID, AUTH0_CLIENT_SECRET)
//   actionguard logs purge [--days N]
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

const { openStore, STATES } = require('../lib/store/index.js');
const { createServer } = require('../lib/http.js');
const approvals = require('../lib/approvals.js');
const { retentionDays, startRetention, purgeOlderThan } = require('../lib/retention.js');
const { rateLimitFrom } = require('../lib/ratelimit.js');

const DEFAULT_DATABASE_URL = 'sqlite:actionguard.db';
const USAGE = `usage: actionguard serve [--port N] [--host H] [--trust-proxy]
       actionguard migrate
       actionguard logs import <file|dir>... | logs pull | logs purge [--days N]
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
