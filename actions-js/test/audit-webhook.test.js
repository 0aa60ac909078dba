'use strict';
// AUDIT_WEBHOOK_URL: a signed copy of each execution's audit lines, posted within
// a small budget; a slow or dead receiver costs the login at most that budget.

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
  try {
    for (const trigger of /** @type {Auth0Actions.Trigger[]} */ (['post-login', 'pre-user-registration', 'credentials-exchange'])) {
      const { result } = await runAction({ trigger, event: {}, secrets });
      assert.ok(result.outcome !== 'error', result.error);
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
    }
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
