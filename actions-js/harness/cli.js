#!/usr/bin/env node
// @ts-check
'use strict';
// The harness CLI (design.md section 5):
//   cli.js run --trigger <trigger> --event <event.json> [--tenant <tenant.json>]
//              [--secrets <secrets.json>] [--now <ISO-8601>] [--json] [--no-defaults]
//   cli.js scenarios <dir> [--verbose]

const fs = require('node:fs');
const { runAction } = require('./run');
const { runScenarios } = require('./scenarios');
const { ENTRYPOINTS } = require('./loader');

const USAGE = `usage:
  cli.js run --trigger <${Object.keys(ENTRYPOINTS).join('|')}> --event <event.json>
             [--tenant <tenant.json>] [--secrets <secrets.json>] [--now <ISO-8601>] [--json] [--no-defaults]
  cli.js scenarios <dir> [--verbose]`;

/**
 * @param {string} message
 * @returns {never}
 */
function fail(message) {
  process.stderr.write(`${message}\n${USAGE}\n`);
  process.exit(2);
}

/**
 * @param {string[]} argv
 * @returns {{ _: string[], [option: string]: any }} `--flag` → true, `--name value` → 'value'
 */
function parseArgs(argv) {
  /** @type {{ _: string[], [option: string]: any }} */
  const opts = { _: [] };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--json' || a === '--verbose' || a === '--no-defaults') opts[a.slice(2)] = true;
    else if (a.startsWith('--')) {
      if (i + 1 >= argv.length) fail(`${a} needs a value`);
      opts[a.slice(2)] = argv[++i];
    } else opts._.push(a);
  }
  return opts;
}

/**
 * @param {string} file
 * @param {string} what
 * @returns {any}
 */
function readJson(file, what) {
  let text;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (err) {
    fail(`cannot read ${what} ${file}: ${err.message}`);
  }
  try {
    return JSON.parse(text);
  } catch (err) {
    fail(`${what} ${file} is not JSON: ${err.message}`);
  }
}

/** @returns {Promise<number>} the exit code */
async function main() {
  const [command, ...rest] = process.argv.slice(2);
  const opts = parseArgs(rest);
  if (command === 'run') {
    if (!ENTRYPOINTS[opts.trigger]) fail(`--trigger must be one of ${Object.keys(ENTRYPOINTS).join(', ')}`);
    if (!opts.event) fail('--event is required');
    if (opts.json) {
      // Exactly one JSON object on stdout: anything else the process logs goes to stderr.
      for (const m of ['log', 'info', 'debug']) console[m] = (...a) => console.error(...a);
    }
    const { result, logs } = await runAction({
      trigger: opts.trigger,
      event: readJson(opts.event, 'event'),
      tenant: opts.tenant ? readJson(opts.tenant, 'tenant') : undefined,
      secrets: opts.secrets ? readJson(opts.secrets, 'secrets') : undefined,
      now: opts.now,
      fillDefaults: !opts['no-defaults'],
    });
    if (opts.json) {
      process.stdout.write(`${JSON.stringify(result)}\n`);
    } else {
      process.stdout.write(`trigger   ${result.trigger}\noutcome   ${result.outcome}\n`);
      // What the engine decided, and whether it was applied (policy `enforcement`).
      if (result.would_outcome) process.stdout.write(`would     ${result.would_outcome}${result.enforced === false ? ' (watched: nothing applied)' : ''}\n`);
      if (result.would_action) process.stdout.write(`would org ${result.would_action}\n`);
      if (result.error) process.stdout.write(`error     ${result.error}\n`);
      for (const c of result.api_calls) process.stdout.write(`api       ${c.method}(${JSON.stringify(c.args).slice(1, -1)})\n`);
      for (const c of result.management_calls) process.stdout.write(`mgmt      ${c.method} ${c.path} -> ${c.status}\n`);
      for (const a of result.audit) {
        for (const r of a.reasons || []) process.stdout.write(`reason    ${r.code}: ${r.message}\n`);
      }
      // All Auth0 keeps of the console (its first 256 characters); the records above are the webhook's.
      const kept = result.console.persisted.replace(/\n$/, '').split('\n');
      process.stdout.write(`console   ${kept.join('\n          ')}${result.console.cut ? '  [Auth0 cuts the rest]' : ''}\n`);
      if (opts.verbose && logs) process.stdout.write(`logs\n${logs}`);
    }
    return 0;
  }
  if (command === 'scenarios') {
    const dir = opts._[0];
    if (!dir) fail('scenarios needs a directory');
    return (await runScenarios(dir, { verbose: !!opts.verbose })) > 0 ? 1 : 0;
  }
  fail(command ? `unknown command ${command}` : 'no command');
  return 2;
}

main().then(
  (code) => process.exit(code),
  (err) => {
    process.stderr.write(`harness error: ${err.stack || err}\n`);
    process.exit(2);
  },
);
