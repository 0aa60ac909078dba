'use strict';
// AUDIT_WEBHOOK_URL: each execution's audit records in full, signed, posted within a small
// budget (one more try after a 5xx, a 429 or a network error); a slow or dead receiver
// costs the login at most that budget, and the console keeps a line per record with its id.

const test = require('node:test');
const assert = require('node:assert/strict');
const crypto = require('node:crypto');
const http = require('node:http');
const webhook = require('actionguard/webhook');
const { runAction } = require('../harness/run');

async function receiver(handler) {
  const server = http.createServer(handler);
  await /** @type {Promise<void>} */ (new Promise((r) => server.listen(0, '127.0.0.1', r)));
  return { server, url: `http://127.0.0.1:${/** @type {import('node:net').AddressInfo} */ (server.address()).port}/audit` };
}

test('every trigger posts its audit lines, signed, as newline-delimited JSON', async () => {
  const got = [];
  const { server, url } = await receiver((req, res) => {
    let body = '';
    req.on('data', (c) => {
      body += c;
    });
    req.on('end', () => {
      got.push({ body, signature: req.headers['x-actionguard-signature'], type: req.headers['content-type'], at: Date.now() });
      res.writeHead(204).end();
    });
  });
  const secrets = { AUDIT_WEBHOOK_URL: url, AUDIT_WEBHOOK_SECRET: 'audit-secret' };
  /** @type {string[][]} */
  const consoleIds = [];
  try {
    for (const trigger of /** @type {Auth0Actions.Trigger[]} */ (['post-login', 'pre-user-registration', 'credentials-exchange'])) {
      const { result } = await runAction({ trigger, event: {}, secrets });
      assert.ok(result.outcome !== 'error', result.error);
      consoleIds.push(result.console.lines.map((l) => JSON.parse(l).id));
    }
    assert.equal(got.length, 3);
    for (const g of got) {
      assert.equal(g.type, 'application/x-ndjson');
      // t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<body>">: the time is signed with the body.
      const m = /^t=(\d+),v1=([0-9a-f]{64})$/.exec(g.signature);
      assert.ok(m, g.signature);
      const t = Number(m[1]);
      assert.ok(Math.abs(t - g.at / 1000) <= 2, `signed at ${t}, received at ${g.at}`);
      assert.equal(m[2], crypto.createHmac('sha256', 'audit-secret').update(`${t}.${g.body}`).digest('hex'));
      // What a receiver runs: accepted now, refused once older than 300 s (a replay).
      assert.deepEqual(webhook.verify('audit-secret', g.body, g.signature, { nowMs: g.at }), { ok: true, timestamp: t });
      assert.deepEqual(webhook.verify('audit-secret', g.body, g.signature, { nowMs: (t + 301) * 1000 }), { ok: false, error: 'signature_expired' });
      assert.deepEqual(webhook.verify('other-secret', g.body, g.signature, { nowMs: g.at }), { ok: false, error: 'bad_signature' });
      const lines = g.body
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l));
      assert.ok(lines.every((l) => l.actionguard_audit === 1));
      // Full records (reasons with their sentences, the policy's layers), each with an id.
      assert.ok(lines.every((l) => /^[0-9a-f]{24}$/.test(l.id) && Array.isArray(l.policy?.layers)));
    }
    // The console line of each record carries the id of the record the webhook got.
    assert.deepEqual(
      got.map((g) =>
        g.body
          .trim()
          .split('\n')
          .map((l) => JSON.parse(l).id),
      ),
      consoleIds,
    );
    assert.deepEqual(
      got.map((g) => JSON.parse(g.body.split('\n')[0]).trigger),
      ['post-login', 'pre-user-registration', 'credentials-exchange'],
    );
  } finally {
    server.close();
  }
});

test('a receiver that hangs costs the login at most the budget and changes nothing', async () => {
  const { server, url } = await receiver(() => {
    /* never answers */
  });
  try {
    const t0 = performance.now();
    const { result } = await runAction({ trigger: 'post-login', event: {}, secrets: { AUDIT_WEBHOOK_URL: url } });
    const ms = performance.now() - t0;
    assert.equal(result.outcome, 'allow');
    assert.ok(ms < 2000, `took ${ms} ms`);
  } finally {
    server.closeAllConnections();
    server.close();
  }
});

test('a failed delivery is tried once more with the same records, which a receiver keeps once by id', async () => {
  let posts = 0;
  /** @type {Map<string, object>} */
  const stored = new Map();
  const { server, url } = await receiver((req, res) => {
    let body = '';
    req.on('data', (c) => {
      body += c;
    });
    req.on('end', () => {
      posts += 1;
      // What a receiver does: store by id (a repeat replaces nothing), then answer.
      for (const line of body.trim().split('\n')) {
        const record = JSON.parse(line);
        if (!stored.has(record.id)) stored.set(record.id, record);
      }
      // The first answer is lost (a 503 from a proxy after the receiver stored it).
      res.writeHead(posts === 1 ? 503 : 204).end();
    });
  });
  try {
    const { result } = await runAction({ trigger: 'pre-user-registration', event: { user: { email: 'x@mailinator.com' } }, secrets: { AUDIT_WEBHOOK_URL: url } });
    assert.equal(result.outcome, 'deny');
    assert.equal(posts, 2);
    assert.deepEqual(
      [...stored.keys()],
      result.audit.map((r) => r.id),
    );
    assert.equal(stored.size, 1);
  } finally {
    server.close();
  }
});

test('with the receiver down, the console line is what remains: id, outcome, reasons, digest', async () => {
  const { server, url } = await receiver(() => {});
  server.close(); // nothing listens at url now
  const { result } = await runAction({ trigger: 'pre-user-registration', event: { user: { email: 'x@mailinator.com' } }, secrets: { AUDIT_WEBHOOK_URL: url } });
  assert.equal(result.outcome, 'deny');
  assert.equal(result.console.lines.length, 1);
  const line = JSON.parse(result.console.persisted);
  const record = result.audit[0];
  assert.deepEqual(
    { id: line.id, trigger: line.trigger, outcome: line.outcome, reasons: line.reasons, digest: line.digest },
    { id: record.id, trigger: 'pre-user-registration', outcome: 'deny', reasons: ['disposable_email'], digest: record.policy.digest },
  );
  // Lost with the webhook: the sentences, the layers, the warnings, the pseudonym.
  assert.ok(!('user' in line) && !('policy' in line) && !('warnings' in line));
});
