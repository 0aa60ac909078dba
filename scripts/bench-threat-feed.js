#!/usr/bin/env node
// @ts-check
'use strict';
// Threat feed benchmarks (issue 19), against baselines in the same process. No figure is asserted.
//
//   node scripts/bench-threat-feed.js [--json]
//
// - load: `loadThreatFeed` (Ed25519 verification, strict parsing, indexing) of the largest
//   feed the bounds allow, against `JSON.parse` of the same envelope and of its payload (the
//   least any reader pays);
// - decide: `decideLoginWithFeed` against `decideLogin` on the same contexts (a listed
//   network, a listed account, neither), p50 and p99;
// - memory: in a fresh process, as an Action instance, the WebAssembly memory before and
//   after loading the feed.

const { execFileSync } = require('node:child_process');
const crypto = require('node:crypto');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');

const ag = require(path.join(__dirname, '..', 'pkg'));

// Child mode: an Action instance's first load, alone in a fresh process.
if (process.argv[2] === '--child-load') {
  const before = ag.memoryBytes();
  const envelope = fs.readFileSync(process.argv[3]);
  const t0 = performance.now();
  const loaded = ag.loadThreatFeed(envelope, process.argv[4], Number(process.argv[5]), 'bench');
  const ms = performance.now() - t0;
  process.stdout.write(JSON.stringify({ ok: loaded.type === 'success', ms, before, after: ag.memoryBytes() }));
  process.exit(0);
}

const json = process.argv.includes('--json');
const { privateKey, publicKey } = crypto.generateKeyPairSync('ed25519');
const key = publicKey.export({ format: 'der', type: 'spki' }).subarray(12).toString('base64');
const now = Date.now();

// As many entries as fit the bounds: /24 networks and accounts, half and half.
const alerts = [];
for (let i = 0; i < 10_000; i += 1) {
  alerts.push({ kind: 'credential_stuffing', severity: i % 3 ? 'medium' : 'high', subject: { type: 'network', value: `10.${i >> 8}.${i & 255}.0/24` } });
}
alerts.push({ kind: 'credential_stuffing', severity: 'high', subject: { type: 'ip', value: '203.0.113.77' }, targets: Array.from({ length: 1000 }, (_, i) => `auth0|t${i}`) });
for (let i = 0; i < 9_000; i += 1) alerts.push({ kind: 'mfa_fatigue', severity: 'medium', subject: { type: 'user', value: `auth0|m${i}` } });
// The feed is built by the control plane's module; the Actions' module loads and consults it.
const built = require(path.join(__dirname, '..', 'pkg', 'control-plane.js')).buildThreatFeed({
  tenant: 'bench',
  issued_at: new Date(now).toISOString(),
  ttl_seconds: 3600,
  alerts,
});
if (built.type !== 'success') throw new Error(JSON.stringify(built.errors));
const envelope = Buffer.from(
  JSON.stringify({ format: 'actionguard-threat-feed/1', payload: built.payload, signature: crypto.sign(null, Buffer.from(built.payload), privateKey).toString('base64') }),
);

/**
 * Median and 99th percentile of `n` runs of `f`, in ms.
 * @param {() => unknown} f
 * @param {number} n
 */
function time(f, n) {
  const t = [];
  for (let i = 0; i < n; i += 1) {
    const t0 = performance.now();
    f();
    t.push(performance.now() - t0);
  }
  t.sort((a, b) => a - b);
  return { p50: t[Math.floor(n / 2)], p99: t[Math.min(n - 1, Math.floor(n * 0.99))] };
}

const file = path.join(os.tmpdir(), `ag-threat-feed-${process.pid}.json`);
fs.writeFileSync(file, envelope);
const child = JSON.parse(execFileSync(process.execPath, [__filename, '--child-load', file, key, String(now)], { encoding: 'utf8' }));
fs.rmSync(file);
const loaded = ag.loadThreatFeed(envelope, key, now, 'bench');
if (loaded.type !== 'success') throw new Error(JSON.stringify(loaded.errors));
const feed = loaded.feed;
const load = time(() => ag.loadThreatFeed(envelope, key, now, 'bench').feed?.free(), 20);
const parseEnvelope = time(() => JSON.parse(JSON.parse(envelope.toString('utf8')).payload), 20);

const engine = new ag.Engine();
const ua = 'Mozilla/5.0 (Macintosh; Intel Mac OS X 14_6) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.6 Safari/605.1.15';
const contexts = [
  ['listed network', '10.0.0.9', 'auth0|someone'],
  ['listed account', '192.0.2.1', 'auth0|t17'],
  ['neither', '192.0.2.1', 'auth0|someone'],
].map(([name, ip, user]) => ({
  name,
  context: { tenant: { id: 'bench' }, user: { user_id: user, enrolledFactors: [{ type: 'otp' }] }, request: { ip, user_agent: ua }, now_ms: now },
}));
const decide = contexts.map(({ name, context }) => {
  const outcome = engine.decideLoginWithFeed(context, feed);
  return {
    name,
    outcome: outcome.type === 'success' ? outcome.outcome : 'failure',
    without: time(() => engine.decideLogin(context), 2000),
    with: time(() => engine.decideLoginWithFeed(context, feed), 2000),
  };
});

const figures = {
  feed: { networks: loaded.networks, accounts: loaded.accounts, envelope_bytes: envelope.length, payload_bytes: Buffer.byteLength(built.payload) },
  cold_load: child,
  load: load,
  baseline_json_parse: parseEnvelope,
  load_over_parse: load.p50 / parseEnvelope.p50,
  decide,
};
if (json) {
  process.stdout.write(`${JSON.stringify(figures)}\n`);
} else {
  const ms = (/** @type {number} */ x) => `${x.toFixed(3)} ms`;
  console.log(`feed: ${figures.feed.networks} networks, ${figures.feed.accounts} accounts, envelope ${envelope.length} bytes`);
  console.log(
    `loadThreatFeed: cold instance ${ms(child.ms)}, memory ${child.before} -> ${child.after} bytes; warm p50 ${ms(load.p50)} (JSON.parse of envelope and payload: ${ms(parseEnvelope.p50)}; x${figures.load_over_parse.toFixed(1)})`,
  );
  for (const d of decide) {
    console.log(`decideLogin, ${d.name} (${d.outcome}): p50 ${ms(d.without.p50)} without, ${ms(d.with.p50)} with the feed; p99 ${ms(d.without.p99)} / ${ms(d.with.p99)}`);
  }
}
