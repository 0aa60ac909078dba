'use strict';
// The feed loop, end to end: a credential-stuffing campaign streamed into a running
// control plane (its log-stream receiver, as Auth0 posts) -> live detection -> the signed
// threat feed at /v1/threat-feed -> the real post-login Action, run by the harness with
// THREAT_FEED_URL and THREAT_FEED_PUBLIC_KEY pointing at it: a login from the attacking
// network is challenged, one of an account the campaign went after is too, and one from
// elsewhere is not.

const test = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { startServer } = require('./helpers/spawn.js');
const { postBody } = require('./helpers/log-stream.js');
const { generateKeys } = require('../lib/feed.js');
const { runAction } = require('../../actions-js/harness/run');

const LOG_TOKEN = 'Bearer e2e-stream-token-0123456789';
const FEED_TOKEN = 'e2e-feed-token-0123456789';
// The harness's events are this tenant's (actions-js/harness/events.js): the feed is issued for it.
const TENANT = 'actionguard-demo';
const NETWORK = '192.0.2.0/24';

/**
 * The campaign, in Auth0's custom-webhook stream form: 48 accounts of four organizations,
 * each failing once (under Auth0's per-account limits) from one of four addresses of
 * 192.0.2.0/24, over the last quarter of an hour; among ordinary logins from elsewhere.
 * @param {number} nowMs
 */
function traffic(nowMs) {
  const start = nowMs - 15 * 60_000;
  const lines = [];
  for (let i = 0; i < 48; i++) {
    const at = new Date(start + i * 15_000).toISOString();
    lines.push(
      JSON.stringify({
        log_id: `90020261102e2e${String(i).padStart(8, '0')}`,
        data: {
          date: at,
          type: i % 3 === 0 ? 'fu' : 'fp',
          description: 'Wrong email or password.',
          ip: `192.0.2.${10 + (i % 4)}`,
          user_id: i % 3 === 0 ? undefined : `auth0|target${i}`,
          user_name: `target${i}@corp${i % 4}.example`,
          organization_id: `org_${i % 4}`,
          connection: 'Username-Password-Authentication',
          client_id: 'vJ2nA7hQ3tT9cK1mP6rX0sW4yZ8bD5eF',
        },
      }),
    );
    lines.push(
      JSON.stringify({
        log_id: `90020261102ok${String(i).padStart(9, '0')}`,
        data: { date: at, type: 's', ip: `198.51.100.${i + 1}`, user_id: `auth0|person${i}`, organization_id: `org_${i % 4}` },
      }),
    );
  }
  return lines;
}

test('a stuffing campaign streamed in -> live detection -> the signed feed -> post-login challenges that network only', { timeout: 120_000 }, async () => {
  const keys = generateKeys();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ag-e2e-feed-'));
  const server = await startServer({
    databaseUrl: `sqlite:${path.join(dir, 'ag.db')}`,
    env: {
      ACTIONGUARD_LOG_TOKEN: LOG_TOKEN,
      THREAT_FEED_SIGNING_KEY: keys.signingKey,
      THREAT_FEED_TOKEN: FEED_TOKEN,
      ACTIONGUARD_TENANT: TENANT,
    },
  });
  try {
    // Streamed as Auth0 does: batches of 24 lines, each acknowledged after its commit.
    const lines = traffic(Date.now());
    for (let i = 0; i < lines.length; i += 24) {
      const r = await postBody(`${server.url}v1/auth0/logs`, LOG_TOKEN, lines.slice(i, i + 24).join('\n'));
      assert.ok('status' in r && r.status === 200, JSON.stringify(r));
    }

    // The alerts are stored after the batches were acknowledged: the feed lists the network shortly.
    const feedUrl = `${server.url}v1/threat-feed`;
    /** @type {any} */
    let payload = null;
    for (let waited = 0; waited < 10_000; waited += 100) {
      const res = await fetch(feedUrl, { headers: { authorization: `Bearer ${FEED_TOKEN}` } });
      assert.equal(res.status, 200);
      payload = JSON.parse((await res.json()).payload);
      // Every batch was acknowledged; their alerts are stored a moment later.
      if (payload.networks.some((/** @type {any} */ n) => n.cidr === NETWORK) && payload.accounts.length >= 32) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    assert.ok(
      payload.networks.some((/** @type {any} */ n) => n.cidr === NETWORK && n.kinds.includes('credential_stuffing')),
      JSON.stringify(payload),
    );
    assert.equal(payload.tenant, TENANT);
    assert.equal(payload.accounts.length, 32, 'the accounts it failed against by user_id, pseudonymized');
    assert.doesNotMatch(JSON.stringify(payload), /auth0\||target\d/);
    assert.equal((await fetch(feedUrl)).status, 401, 'the token is required');

    const secrets = { THREAT_FEED_URL: feedUrl, THREAT_FEED_PUBLIC_KEY: keys.publicKey, THREAT_FEED_TOKEN: FEED_TOKEN };
    /** @param {Record<string, any>} event */
    const login = async (event) => (await runAction({ trigger: 'post-login', secrets, event, freshModule: true })).result;
    const codes = (/** @type {any} */ r) => (r.audit[0]?.reasons ?? []).map((/** @type {any} */ x) => x.code);

    // From the attacking network (another address of it), an account it did not target.
    const attacked = await login({ request: { ip: '192.0.2.77' }, user: { user_id: 'auth0|bystander1' } });
    assert.equal(attacked.outcome, 'challenge', JSON.stringify(attacked.audit));
    assert.ok(codes(attacked).includes('network_under_attack'), JSON.stringify(attacked.audit));

    // One of the accounts it went after, from elsewhere.
    const targeted = await login({ request: { ip: '198.51.100.200' }, user: { user_id: 'auth0|target1' } });
    assert.equal(targeted.outcome, 'challenge', JSON.stringify(targeted.audit));
    assert.ok(codes(targeted).includes('account_under_attack'), JSON.stringify(targeted.audit));

    // Anyone else, from anywhere else: as without the feed.
    const elsewhere = await login({ request: { ip: '198.51.100.7' }, user: { user_id: 'auth0|bystander2' } });
    assert.equal(elsewhere.outcome, 'allow', JSON.stringify(elsewhere.audit));
    assert.ok(!codes(elsewhere).includes('network_under_attack') && !codes(elsewhere).includes('account_under_attack'));

    // The same login, with a public key that is not the feed's: the feed is refused, nothing is held against it.
    const wrongKey = await runAction({
      trigger: 'post-login',
      secrets: { ...secrets, THREAT_FEED_PUBLIC_KEY: generateKeys().publicKey },
      event: { request: { ip: '192.0.2.77' } },
      freshModule: true,
    });
    assert.ok(!codes(wrongKey.result).includes('network_under_attack'), JSON.stringify(wrongKey.result.audit));
    assert.ok((wrongKey.result.audit[0]?.warnings ?? []).includes('threat_feed_signature'), JSON.stringify(wrongKey.result.audit));
  } finally {
    await server.stop();
  }
});
