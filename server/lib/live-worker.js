'use strict';
// The live analyzer's thread (lib/live.js): the core's LogAnalyzer, fed the bodies the
// main thread posts, in order, and asked for its changed alerts. Analysis costs about
// what reading a body costs; on its own thread it uses another core instead of the
// receivers' event loop.
//
// Messages in: { t: 'feed', body } | { t: 'take', id, idleMs }. Out, for a take:
// { t: 'taken', id, answer, bytes } (answer: takeAlerts(); bytes: body bytes read so far).

const { parentPort, workerData } = require('node:worker_threads');
const core = require('actionguard/control-plane');

const analyzer = new core.LogAnalyzer(workerData?.detectConfig ?? null);
let bytes = 0;
let failedFeeds = 0;

parentPort?.on('message', (m) => {
  if (m?.t === 'feed') {
    bytes += m.body.length;
    try {
      if (analyzer.feed(m.body).type !== 'success') failedFeeds += 1;
    } catch {
      failedFeeds += 1;
    }
    return;
  }
  if (m?.t === 'take') {
    /** @type {any} */
    let answer;
    try {
      answer = analyzer.takeAlerts();
      analyzer.forgetIdleAlerts(m.idleMs);
    } catch (err) {
      answer = { type: 'failure', errors: [{ code: String(/** @type {any} */ (err)?.code ?? 'internal'), message: 'takeAlerts threw' }] };
    }
    parentPort?.postMessage({ t: 'taken', id: m.id, answer, bytes, failedFeeds });
  }
});
