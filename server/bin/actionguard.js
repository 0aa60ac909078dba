#!/usr/bin/env node
'use strict';
// ActionGuard's control plane.
//
//   actionguard serve [--port 8080] [--host 127.0.0.1] [--trust-proxy]
//   actionguard migrate
//   actionguard logs import <file|dir>...
//   actionguard logs pull                 (AUTH0_DOMAIN, AUTH0_CLIENT_ID, AUTH0_CLIENT_SECRET)
//   actionguard logs purge [--days N]
//   actionguard logs analyze <file.ndjson> [--json] [--html out.html [--org ID] [--since 7d] [--until DATE]]
//                                         (no database: reads the file only)
//   actionguard report [--org ID] [--since 7d] [--until DATE] [--top N] [--json | --markdown | --html out.html]
//   actionguard approvals list [--status S] [--json]
//   actionguard approvals approve|reject <dedupe_key> [--by "Sam (security)"]
//   actionguard approvals execute         (AUTH0_DOMAIN, AUTH0_CLIENT_ID, AUTH0_CLIENT_SECRET)
//   actionguard alerts list [--since 24h] [--json]
//   actionguard feed keygen               (prints THREAT_FEED_SIGNING_KEY and THREAT_FEED_PUBLIC_KEY)
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
// analysis, as one JSON object on its last line with --json; with --html it also writes
// the health report of the file (lib/report), by default over the 7 days up to the end
// of its last day. `report` reads the store: the health report of one organization
// (--org) or all, over --since (a duration before --until, or a date; 7d by default)
// to --until (now by default), and the period before it for the trend.

const { openStore, STATES } = require('../lib/store/index.js');
const { createServer } = require('../lib/http.js');
const approvals = require('../lib/approvals.js');
const { retentionDays, startRetention, purgeOlderThan } = require('../lib/retention.js');
const { rateLimitFrom } = require('../lib/ratelimit.js');

const DEFAULT_DATABASE_URL = 'sqlite:actionguard.db';
const USAGE = `usage: actionguard serve [--port N] [--host H] [--trust-proxy]
       actionguard migrate
       actionguard logs import <file|dir>... | logs pull | logs purge [--days N]
       actionguard logs analyze <file.ndjson> [--json] [--html out.html [--org ID] [--since 7d] [--until DATE]]   (no database)
       actionguard report [--org ID] [--since 7d] [--until DATE] [--top N] [--json | --markdown | --html out.html]
       actionguard approvals list [--status S] [--json] | approve <key> [--by WHO] | reject <key> [--by WHO] | execute [--policy FILE]
       actionguard alerts list [--since 24h] [--json] | feed keygen
       actionguard review members [--org ID] [--propose] [--json | --markdown] [--policy FILE] [--max-lookups N]
       actionguard orgs classify [--org ID] [--propose] [--json | --markdown] [--policy FILE]   (LLM_BASE_URL, LLM_API_KEY, LLM_MODEL)
       actionguard members import <employees.csv> --org ID [--propose] [--json] [--policy FILE] [--max-lookups N]   (dry run by default)
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
  // Live detection (alerts, the webhook, responses) and the threat feed share the server's metrics.
  const metrics = require('../lib/metrics.js').createMetrics(store);
  const live = require('../lib/live.js').liveFromEnv(store, { metrics, log });
  const threatFeed = require('../lib/feed.js').feedFromEnv(store, { metrics });
  const { server } = createServer({
    store,
    logToken: process.env.ACTIONGUARD_LOG_TOKEN,
    reportToken: process.env.ACTIONGUARD_REPORT_TOKEN,
    auditSecret: process.env.AUDIT_WEBHOOK_SECRET,
    approvalSecret: process.env.APPROVAL_WEBHOOK_SECRET,
    trustProxy: args.includes('--trust-proxy'),
    rateLimit: rateLimitFrom(process.env.ACTIONGUARD_RATE_LIMIT),
    log,
    metrics,
    live,
    threatFeed,
  });
  const stopRetention = startRetention(store, { days, log });
  await new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve(undefined));
  });
  const address = /** @type {import('node:net').AddressInfo} */ (server.address());
  const missing = ['ACTIONGUARD_LOG_TOKEN', 'AUDIT_WEBHOOK_SECRET', 'APPROVAL_WEBHOOK_SECRET', 'ACTIONGUARD_REPORT_TOKEN'].filter((n) => !process.env[n]);
  log({
    level: 'info',
    listening: `http://${address.address}:${address.port}/`,
    store: store.dialect,
    retention_days: days,
    not_configured: missing,
    live_detection: Boolean(live),
    alert_webhook: Boolean(live && process.env.ALERT_WEBHOOK_URL),
    threat_feed: Boolean(threatFeed),
  });
  // The test harness and scripts wait for this line.
  process.stdout.write(`actionguard: listening on http://${address.address}:${address.port}/\n`);
  await new Promise((resolve) => {
    const stop = () => {
      stopRetention();
      live?.close();
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
    const live = require('../lib/live.js').liveFromEnv(store, { log });
    const totals = await importLogs(store, paths, { live });
    await live?.idle();
    live?.close();
    process.stdout.write(`${JSON.stringify(totals)}\n`);
  } else if (sub === 'pull') {
    const { pullLogs } = require('../lib/pull.js');
    const { mgmt, domain } = managementClient();
    const live = require('../lib/live.js').liveFromEnv(store, { log });
    const totals = await pullLogs(store, mgmt, { checkpointName: `logs_pull:${domain}`, live });
    await live?.idle();
    live?.close();
    process.stdout.write(`${JSON.stringify(totals)}\n`);
  } else if (sub === 'purge') {
    const days = retentionDays(option(args, '--days') ?? process.env.ACTIONGUARD_RETENTION_DAYS);
    process.stdout.write(`${JSON.stringify({ days, deleted: await purgeOlderThan(store, days) })}\n`);
  } else {
    throw usage(`unknown logs command ${JSON.stringify(sub)}`);
  }
}

/**
 * `logs analyze <file>`: the file read as `logs import` reads it (JSON lines, a JSON
 * array, .gz; the same bodies), streamed through the core's LogAnalyzer (lib/analyze.js:
 * a file of lines crosses as its bytes); no store is opened.
 * @param {string[]} args
 */
async function analyzeCommand(args) {
  const { values, rest } = options(args, ['--html', '--org', '--since', '--until'], ['--json']);
  const unknown = rest.filter((a) => a.startsWith('--'));
  if (unknown.length > 0) throw usage(`unknown option ${unknown[0]}`);
  if (values['--html'] === undefined && (values['--org'] ?? values['--since'] ?? values['--until']) !== undefined) throw usage('--org, --since and --until go with --html');
  const files = rest;
  if (files.length !== 1) throw usage('logs analyze needs one file');
  const [file] = files;
  /** @type {Omit<import('actionguard').Analysis, never>} */
  let analysis;
  if (values['--html'] !== undefined) {
    // The report's builder runs the same analysis over every log of the file.
    const report = require('../lib/report/index.js');
    const built = await report.reportFromFile(file, { organization: values['--org'], since: values['--since'], until: values['--until'] });
    const page = await report.renderAs(built, 'html', { version: require('actionguard/control-plane').version(), generatedAt: new Date().toISOString() });
    require('node:fs').writeFileSync(values['--html'], page.body);
    process.stderr.write(`actionguard: report written to ${values['--html']} (${built.report.period.since} to ${built.report.period.until})\n`);
    analysis = built.analysis;
  } else {
    analysis = await require('../lib/analyze.js').analyzeFile(file);
  }
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

/**
 * Options with a value (`--org ID`) and flags (`--json`) out of `args`; `rest` is the
 * other arguments, in order.
 * @param {string[]} args
 * @param {string[]} withValue
 * @param {string[]} flags
 */
function options(args, withValue, flags) {
  /** @type {Record<string, string | undefined>} */
  const values = {};
  /** @type {Record<string, boolean>} */
  const set = {};
  /** @type {string[]} */
  const rest = [];
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    if (withValue.includes(a)) {
      const v = args[i + 1];
      if (v === undefined || v.startsWith('--')) throw usage(`${a} needs a value`);
      values[a] = v;
      i += 1;
    } else if (flags.includes(a)) {
      set[a] = true;
    } else {
      rest.push(a);
    }
  }
  return { values, set, rest };
}

/**
 * `report`: the health report from the store, as Markdown on stdout (by default), JSON
 * (--json, one line) or an HTML page written to a file (--html out.html).
 * @param {any} store
 * @param {string[]} args
 */
async function reportCommand(store, args) {
  const { values, set, rest } = options(args, ['--org', '--since', '--until', '--top', '--html'], ['--json', '--markdown']);
  if (rest.length > 0) throw usage(`unknown argument ${JSON.stringify(rest[0])}`);
  const formats = [set['--json'], set['--markdown'], values['--html'] !== undefined].filter(Boolean).length;
  if (formats > 1) throw usage('one of --json, --markdown and --html');
  const top = values['--top'] === undefined ? 10 : Number(values['--top']);
  if (!Number.isInteger(top) || top < 1 || top > 100) throw usage('--top is from 1 to 100');
  const report = require('../lib/report/index.js');
  const period = report.periodOf({ since: values['--since'], until: values['--until'] }, Date.now());
  const built = await report.reportFromStore(store, { ...period, organization: values['--org'] ?? null, top });
  if (values['--html'] !== undefined) {
    const page = await report.renderAs(built, 'html', { version: require('actionguard/control-plane').version(), generatedAt: new Date().toISOString() });
    require('node:fs').writeFileSync(values['--html'], page.body);
    process.stdout.write(`${values['--html']}\n`);
  } else {
    process.stdout.write((await report.renderAs(built, set['--json'] ? 'json' : 'markdown')).body);
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
      process.stdout.write(`${r.dedupe_key}  ${r.status.padEnd(9)}  ${approvals.describe(r)}  seen ${r.requests_seen}x${org}${error}\n`);
    }
  } else if (sub === 'approve' || sub === 'reject') {
    const key = args[0];
    if (!key || key.startsWith('--')) throw usage('a dedupe key is required');
    const row = await approvals.decide(store, key, sub, option(args, '--by'));
    process.stdout.write(`${key} ${row.status}\n`);
  } else if (sub === 'execute') {
    const { mgmt } = managementClient();
    let failed = 0;
    const policy = require('../lib/governance/common.js').loadPolicy(option(args, '--policy'));
    for (const d of await approvals.execute(store, mgmt, { policy, log })) {
      if (d.error) {
        failed += 1;
        process.stderr.write(`actionguard: ${d.key} failed: ${d.error}\n`);
      } else {
        process.stdout.write(d.released === undefined ? `${d.key} done: ${d.organization_id ?? d.done}\n` : `${d.key} continues next run: ${d.released}\n`);
      }
    }
    if (failed > 0) process.exitCode = 1;
  } else {
    throw usage(`unknown approvals command ${JSON.stringify(sub)}`);
  }
}

/** @param {any} store @param {string[]} args */
async function alertsCommand(store, [sub, ...args]) {
  if (sub !== 'list') throw usage(`unknown alerts command ${JSON.stringify(sub)}`);
  const since = option(args, '--since') ?? '24h';
  const m = /^(\d+)([mhd])$/.exec(since);
  if (!m) throw usage('--since is a duration: 30m, 24h, 7d');
  const ms = Number(m[1]) * { m: 60_000, h: 3_600_000, d: 86_400_000 }[/** @type {'m'|'h'|'d'} */ (m[2])];
  const rows = await store.listAlerts({ sinceMs: Date.now() - ms });
  if (args.includes('--json')) {
    process.stdout.write(`${JSON.stringify(rows)}\n`);
    return;
  }
  for (const r of rows) {
    const iso = (/** @type {number} */ t) => new Date(t).toISOString();
    process.stdout.write(
      `${r.severity.padEnd(6)} ${r.kind.padEnd(19)} ${r.subject_type} ${r.subject_value}  ${r.users} users, ${r.events} events, ${iso(r.first_seen_ms)} .. ${iso(r.last_seen_ms)}: ${r.reasons.join(', ')}\n`,
    );
  }
}

/**
 * `review members`: the access review (read-only; `--propose` queues its requests).
 * @param {any} store @param {string[]} args
 */
async function reviewCommand(store, [sub, ...args]) {
  if (sub !== 'members') throw usage(`unknown review command ${JSON.stringify(sub)}`);
  const maxLookups = option(args, '--max-lookups');
  if (maxLookups !== undefined && !/^\d{1,6}$/.test(maxLookups)) throw usage('--max-lookups is a number');
  const { mgmt } = managementClient();
  const result = await require('../lib/governance/review.js').review(store, mgmt, {
    org: option(args, '--org'),
    propose: args.includes('--propose'),
    policy: require('../lib/governance/common.js').loadPolicy(option(args, '--policy')),
    tenant: process.env.ACTIONGUARD_TENANT ?? null,
    layersKey: process.env.ORG_LAYERS_KEY ?? null,
    ...(maxLookups === undefined ? {} : { maxLookups: Number(maxLookups) }),
    log,
  });
  for (const w of result.warnings) log({ msg: 'review warning', code: w.code, path: w.path, message: w.message });
  if (args.includes('--json')) {
    const { markdown, ...json } = result;
    process.stdout.write(`${JSON.stringify(json)}\n`);
    return;
  }
  process.stdout.write(result.markdown ?? '');
  if (args.includes('--propose')) {
    const fresh = result.proposed.filter((p) => p.requests_seen === 1).length;
    process.stdout.write(`\n${result.proposed.length} approval requests (${fresh} new); decide them with \`actionguard approvals list\`.\n`);
  } else if (result.proposals.length > 0) {
    process.stdout.write(`\n${result.proposals.length} approval requests would be proposed: run again with --propose.\n`);
  }
}

/**
 * `orgs classify`: organization classification (read-only; `--propose` queues the tiers).
 * @param {any} store @param {string[]} args
 */
async function orgsCommand(store, [sub, ...args]) {
  if (sub !== 'classify') throw usage(`unknown orgs command ${JSON.stringify(sub)}`);
  const classify = require('../lib/governance/classify.js');
  const { mgmt } = managementClient();
  const propose = args.includes('--propose');
  const report = await classify.classify({
    store,
    mgmt,
    orgId: option(args, '--org'),
    propose,
    policy: require('../lib/governance/common.js').loadPolicy(option(args, '--policy')),
    tenant: process.env.ACTIONGUARD_TENANT ?? null,
    log,
  });
  for (const w of report.warnings) log({ msg: 'classify warning', code: w.code, path: w.path, message: w.message });
  if (args.includes('--json')) {
    const { names, ...json } = report;
    process.stdout.write(`${JSON.stringify(json)}\n`);
    return;
  }
  process.stdout.write(classify.markdown(report));
  if (!propose && report.summary.proposals > 0) process.stdout.write(`\n${report.summary.proposals} tier changes would be proposed: run again with --propose.\n`);
}

/**
 * `members import <file.csv> --org ID`: bulk membership. A dry run by default (the plan:
 * departments -> roles, rejected rows with their lines, the writes); `--propose` queues
 * the plan as one approval request; `approvals execute` writes it once approved.
 * @param {any} store @param {string[]} args
 */
async function membersCommand(store, [sub, file, ...args]) {
  if (sub !== 'import') throw usage(`unknown members command ${JSON.stringify(sub)}`);
  if (!file || file.startsWith('--')) throw usage('members import needs the list: members import <employees.csv> --org ID');
  const orgId = option(args, '--org');
  if (!orgId) throw usage('members import needs --org ID');
  const maxLookups = option(args, '--max-lookups');
  if (maxLookups !== undefined && !/^\d{1,6}$/.test(maxLookups)) throw usage('--max-lookups is a number');
  const fs = require('node:fs');
  // The core refuses a list over 2 MiB whole; a file far larger is not even read.
  const size = fs.statSync(file).size;
  if (size > 8 * 1024 * 1024) throw usage(`${file} is ${size} bytes: an import list is at most 2 MiB (split it)`);
  const csv = fs.readFileSync(file, 'utf8');
  const imports = require('../lib/governance/members-import.js');
  const { mgmt } = managementClient();
  const report = await imports.plan({
    store,
    mgmt,
    orgId,
    csv,
    propose: args.includes('--propose'),
    policy: require('../lib/governance/common.js').loadPolicy(option(args, '--policy')),
    tenant: process.env.ACTIONGUARD_TENANT ?? null,
    ...(maxLookups === undefined ? {} : { maxLookups: Number(maxLookups) }),
    log,
  });
  for (const w of report.warnings) log({ msg: 'members import warning', code: w.code, path: w.path, message: w.message });
  if (args.includes('--json')) {
    process.stdout.write(`${JSON.stringify(report)}\n`);
    return;
  }
  process.stdout.write(imports.text(report));
}

/** `feed keygen`: a new Ed25519 key pair for the threat feed (no store). */
function feedCommand([sub]) {
  if (sub !== 'keygen') throw usage(`unknown feed command ${JSON.stringify(sub)}`);
  const { signingKey, publicKey } = require('../lib/feed.js').generateKeys();
  process.stdout.write(
    `# The control plane's environment (keep it secret):\nTHREAT_FEED_SIGNING_KEY=${signingKey}\n` +
      `# The Actions' secret (with THREAT_FEED_URL=https://<host>/v1/threat-feed):\nTHREAT_FEED_PUBLIC_KEY=${publicKey}\n`,
  );
}

async function main(argv) {
  const [command, ...rest] = argv;
  if (!command || command === '--help' || command === 'help') {
    process.stdout.write(`${USAGE}\n`);
    return;
  }
  if (!['serve', 'migrate', 'logs', 'approvals', 'report', 'alerts', 'feed', 'review', 'orgs', 'members'].includes(command))
    throw usage(`unknown command ${JSON.stringify(command)}`);
  if (command === 'feed') {
    feedCommand(rest);
    return;
  }
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
    else if (command === 'report') await reportCommand(store, rest);
    else if (command === 'alerts') await alertsCommand(store, rest);
    else if (command === 'review') await reviewCommand(store, rest);
    else if (command === 'orgs') await orgsCommand(store, rest);
    else if (command === 'members') await membersCommand(store, rest);
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
