#!/usr/bin/env node
// @ts-check
'use strict';
// Signs the threat feed's test cases (tests/threat/verify/*.json) with node:crypto, as the
// control plane signs the feed, so that the core's verification is tested against another
// implementation. The keys are made from fixed seeds (test keys: never use them elsewhere)
// and written to tests/threat/keys.json. Run after editing a case:
//
//   node scripts/sign-threat-cases.js && BLESS=1 cargo test --test threat   (then review the diff)
//
// A case's `sign` says how its `envelope` is made from its `payload` (an object, written
// with JSON.stringify, or a string, as it is):
//   "test" | "other": signed with that key; "as_is": `envelope` is left as written (garbage);
// then `tamper` ({from, to}) edits the payload after signing, and `envelope_fields` are
// merged into the envelope (a wrong format, a hostile signature).

const crypto = require('node:crypto');
const fs = require('node:fs');
const path = require('node:path');

const DIR = path.join(__dirname, '..', 'tests', 'threat');
// PKCS #8 DER of an Ed25519 private key, before its 32-byte seed.
const PKCS8_PREFIX = Buffer.from('302e020100300506032b657004220420', 'hex');

/** @param {string} label */
function keyPair(label) {
  const seed = crypto.createHash('sha256').update(`actionguard threat feed test key: ${label}`).digest();
  const privateKey = crypto.createPrivateKey({ key: Buffer.concat([PKCS8_PREFIX, seed]), format: 'der', type: 'pkcs8' });
  const spki = crypto.createPublicKey(privateKey).export({ format: 'der', type: 'spki' });
  return { seed, privateKey, publicKey: spki.subarray(spki.length - 32).toString('base64') };
}

const keys = { test: keyPair('test'), other: keyPair('other') };
fs.writeFileSync(
  path.join(DIR, 'keys.json'),
  `${JSON.stringify({ test: { seed: keys.test.seed.toString('hex'), public_key: keys.test.publicKey }, other: { seed: keys.other.seed.toString('hex'), public_key: keys.other.publicKey } }, null, 2)}\n`,
);

const casesDir = path.join(DIR, 'verify');
for (const name of fs.readdirSync(casesDir).filter((n) => n.endsWith('.json'))) {
  const file = path.join(casesDir, name);
  const testCase = JSON.parse(fs.readFileSync(file, 'utf8'));
  if (testCase.sign !== 'as_is') {
    const signer = keys[/** @type {'test' | 'other'} */ (testCase.sign)];
    if (!signer) throw new Error(`${name}: sign must be test, other or as_is`);
    const payload = typeof testCase.payload === 'string' ? testCase.payload : JSON.stringify(testCase.payload);
    const signature = crypto.sign(null, Buffer.from(payload), signer.privateKey).toString('base64');
    const sent = testCase.tamper ? payload.split(testCase.tamper.from).join(testCase.tamper.to) : payload;
    testCase.envelope = JSON.stringify({ format: 'actionguard-threat-feed/1', payload: sent, signature, ...testCase.envelope_fields });
  }
  fs.writeFileSync(file, `${JSON.stringify(testCase, null, 2)}\n`);
}
