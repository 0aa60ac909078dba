#!/usr/bin/env node
'use strict';
// Replays simulated sign-up attempts through the real engine (pkg/) in time
// order, carrying the sign-up counters from one decision to the next as the
// pre-user-registration Action carries them in api.cache (one cache, no races).
// Writes one JSON line per attempt: kind, label, outcome, reason codes.
//
//   signup-replay.js <signups.jsonl> <out.jsonl> [policy.json]

const fs = require('node:fs');
const path = require('node:path');
const readline = require('node:readline');

const { Engine } = require(path.resolve(__dirname, '../../pkg'));

async function main() {
  const [input, output, policyFile] = process.argv.slice(2);
  if (!input || !output) {
    process.stderr.write('usage: signup-replay.js <signups.jsonl> <out.jsonl> [policy.json]\n');
    process.exit(2);
  }
  const engine = new Engine(policyFile ? fs.readFileSync(policyFile, 'utf8') : undefined);
  const out = fs.createWriteStream(output);
  let counters;
  let n = 0;
  for await (const line of readline.createInterface({ input: fs.createReadStream(input) })) {
    if (!line) continue;
    const e = JSON.parse(line);
    const d = engine.decideSignup({ ...e.context, counters });
    if (d.type !== 'success') throw new Error(`engine failure on ${line}: ${JSON.stringify(d.errors)}`);
    if (d.counters) counters = d.counters.value;
    out.write(`${JSON.stringify({ kind: e.kind, label: e.label, outcome: d.outcome, reasons: d.reasons.map((r) => r.code) })}\n`);
    n += 1;
  }
  await new Promise((r) => out.end(r));
  process.stderr.write(`replayed ${n} sign-ups\n`);
}

main().catch((err) => {
  process.stderr.write(`${err.stack || err}\n`);
  process.exit(1);
});
