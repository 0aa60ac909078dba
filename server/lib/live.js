'use strict';
// Live detection: one long-lived analyzer (the core's LogAnalyzer, the same detectors
// as `logs analyze`) per process, fed every log body the store accepted, from the
// stream, `logs import` and `logs pull`. After each body its new and updated alerts
// are merged into the store's `alerts` table (idempotent: several instances each see
// part of the stream, and each stores its view), announced on the alert webhook (one
// notice per alert within the cooldown, shared by all instances through the store),
// and answered with write responses proposed as approval requests, never executed.
//
// Nothing here can fail or slow down ingestion: the analyzer runs on its own thread
// (lib/live-worker.js; another core, not the receivers' event loop), fed by a message
// per body; feed() only posts it (and drops it, counted, if the thread is more than
// MAX_BACKLOG_BYTES behind). Storing, notifying and proposing run after the batch was
// acknowledged, one flush at a time, and what a flush could not store (the database
// away) is kept, bounded, for the next. `thread: false` runs the analyzer in this
// thread instead (synchronously, after each commit).
//
// State is per process: a campaign spread by a load balancer over N instances is seen
// by each as a share of it, and detected later or not at all when each share stays
// under the thresholds. Run one instance for detection (or route the stream to one)
// when that matters; docs/control-plane.md says more.

const path = require('node:path');
const { Worker } = require('node:worker_threads');
const core = require('actionguard/control-plane');

const DEFAULT_COOLDOWN_S = 3600;
/** Alerts idle for longer than this (by the logs' own time) leave the analyzer; the store keeps them. */
const DEFAULT_ALERT_IDLE_MS = 2 * 24 * 3600 * 1000;
/** Alerts kept for the next flush when the store is away, at most. */
const MAX_PENDING = 10_000;
/** Body bytes posted to the analyzer's thread and not yet read, at most; beyond, bodies are dropped (counted). */
const MAX_BACKLOG_BYTES = 64 * 1024 * 1024;

/**
 * The analyzer, on its own thread: feed() posts, take() resolves once every body posted
 * before it was read.
 * @param {unknown} detectConfig
 * @param {(stage: string) => void} onError
 */
function threadAnalyzer(detectConfig, onError) {
  const worker = new Worker(path.join(__dirname, 'live-worker.js'), { workerData: { detectConfig } });
  // The process may exit with it running (a CLI that is done).
  worker.unref();
  let posted = 0;
  let read = 0;
  let next = 0;
  let dead = false;
  /** @type {Map<number, (m: any) => void>} */
  const waiting = new Map();
  const fail = () => {
    dead = true;
    onError('thread');
    for (const resolve of waiting.values()) resolve({ answer: { type: 'failure', errors: [] }, failedFeeds: 0 });
    waiting.clear();
  };
  worker.on('message', (m) => {
    if (m?.t !== 'taken') return;
    read = m.bytes;
    waiting.get(m.id)?.(m);
    waiting.delete(m.id);
  });
  worker.on('error', fail);
  worker.on('exit', () => {
    if (!dead) fail();
  });
  return {
    /** @param {string} body @returns {boolean} false when dropped */
    feed(body) {
      if (dead || posted - read > MAX_BACKLOG_BYTES) return false;
      posted += body.length;
      worker.postMessage({ t: 'feed', body });
      return true;
    },
    /** @param {number} idleMs @returns {Promise<{ answer: import('actionguard').LiveAlertsAnswer, failedFeeds: number }>} */
    take(idleMs) {
      if (dead) return Promise.resolve({ answer: /** @type {any} */ ({ type: 'failure', errors: [] }), failedFeeds: 0 });
      const id = ++next;
      return new Promise((resolve) => {
        waiting.set(id, resolve);
        worker.postMessage({ t: 'take', id, idleMs });
      });
    },
    close() {
      dead = true;
      void worker.terminate();
    },
  };
}

/**
 * The analyzer in this thread (tests, tools): the same interface, synchronous underneath.
 * @param {unknown} detectConfig
 */
function inlineAnalyzer(detectConfig) {
  const analyzer = new core.LogAnalyzer(/** @type {any} */ (detectConfig));
  let failedFeeds = 0;
  return {
    /** @param {string} body */
    feed(body) {
      try {
        if (analyzer.feed(body).type !== 'success') failedFeeds += 1;
      } catch {
        failedFeeds += 1;
      }
      return true;
    },
    /** @param {number} idleMs */
    async take(idleMs) {
      const answer = analyzer.takeAlerts();
      analyzer.forgetIdleAlerts(idleMs);
      return { answer, failedFeeds };
    },
    close() {},
  };
}

/**
 * @param {string | undefined} value ALERT_COOLDOWN_SECONDS
 * @returns {number} seconds
 */
function cooldownSeconds(value) {
  if (value === undefined || value === '') return DEFAULT_COOLDOWN_S;
  const s = Number(value);
  if (!Number.isInteger(s) || s < 0 || s > 30 * 86_400) {
    throw Object.assign(new Error(`ALERT_COOLDOWN_SECONDS must be a whole number of seconds from 0 to 2592000, not ${JSON.stringify(value)}`), { exit: 2 });
  }
  return s;
}

/**
 * @typedef {object} LiveOptions
 * @property {import('./store/index.js').Store} store
 * @property {string | null} [tenant] ACTIONGUARD_TENANT: pseudonyms and dedupe keys are keyed by it
 * @property {ReturnType<import('./notify.js').createNotifier> | null} [notifier] the alert webhook, if configured
 * @property {number} [cooldownS] ALERT_COOLDOWN_SECONDS
 * @property {boolean} [proposeResponses] queue write responses as approval requests (default true)
 * @property {unknown} [detectConfig] a subset of the core's DetectConfig
 * @property {boolean} [thread] run the analyzer on its own thread (default true)
 * @property {number} [alertIdleMs]
 * @property {ReturnType<import('./metrics.js').createMetrics>} [metrics]
 * @property {(entry: Record<string, unknown>) => void} [log]
 * @property {() => number} [nowMs]
 */

class LiveDetection {
  /** @param {LiveOptions} options */
  constructor(options) {
    this.store = options.store;
    this.tenant = options.tenant ?? null;
    this.notifier = options.notifier ?? null;
    this.cooldownMs = (options.cooldownS ?? DEFAULT_COOLDOWN_S) * 1000;
    this.proposeResponses = options.proposeResponses ?? true;
    this.alertIdleMs = options.alertIdleMs ?? DEFAULT_ALERT_IDLE_MS;
    this.metrics = options.metrics;
    this.log = options.log ?? (() => {});
    this.nowMs = options.nowMs ?? Date.now;
    // Checked here, in this thread: a configuration the core refuses throws invalid_config now.
    new core.LogAnalyzer(/** @type {any} */ (options.detectConfig ?? null)).free();
    const onError = (/** @type {string} */ stage) => {
      this.metrics?.detectionErrors.inc({ stage });
      this.log({ level: 'warn', job: 'live_detection', stage, error: 'analyzer_thread_stopped' });
    };
    this.analyzer = options.thread === false ? inlineAnalyzer(options.detectConfig ?? null) : threadAnalyzer(options.detectConfig ?? null, onError);
    /** @type {Map<string, import('actionguard').LiveAlert>} alerts taken but not stored yet, by kind and subject */
    this.pending = new Map();
    /** @type {Promise<void> | null} */
    this.flushing = null;
    this.again = false;
    this.closed = false;
    this.counts = { bodies: 0, events: 0, dropped: 0, alerts_stored: 0, notices: 0, responses: 0 };
    this.failedFeeds = 0;
  }

  /**
   * One body the store accepted (as the store read it: the same text). Never throws.
   * @param {string} body
   */
  feed(body) {
    if (this.closed) return;
    if (this.analyzer.feed(body)) {
      this.counts.bodies += 1;
    } else {
      // The analyzer's thread is far behind (or gone): this body is not analyzed.
      this.counts.dropped += 1;
      this.metrics?.detectionErrors.inc({ stage: 'backlog' });
    }
    this.schedule();
  }

  /** Starts a flush, or asks the running one to go again. */
  schedule() {
    if (this.flushing) {
      this.again = true;
      return;
    }
    this.flushing = (async () => {
      try {
        do {
          this.again = false;
          await this.flush();
        } while (this.again && !this.closed);
      } finally {
        this.flushing = null;
      }
    })();
  }

  /** Resolves when no flush runs and the webhook's queue is empty (tests, and the CLI before it exits). */
  async idle() {
    while (this.flushing) await this.flushing;
    if (this.notifier) await this.notifier.idle();
  }

  close() {
    this.closed = true;
    this.analyzer.close();
    this.notifier?.close();
  }

  /** @param {import('actionguard').LiveAlert} a */
  static keyOf(a) {
    return `${a.kind}\0${a.subject.type}\0${a.subject.value}`;
  }

  async flush() {
    const { answer: taken, failedFeeds } = await this.analyzer.take(this.alertIdleMs);
    if (failedFeeds > this.failedFeeds) this.metrics?.detectionErrors.inc({ stage: 'feed' }, failedFeeds - this.failedFeeds);
    this.failedFeeds = failedFeeds;
    if (taken.type !== 'success') this.metrics?.detectionErrors.inc({ stage: 'take' });
    if (taken.type === 'success') {
      this.counts.events = taken.events;
      // A later version of an alert replaces a pending one (each is whole).
      for (const a of taken.alerts) {
        this.pending.delete(LiveDetection.keyOf(a));
        this.pending.set(LiveDetection.keyOf(a), a);
      }
      while (this.pending.size > MAX_PENDING) this.pending.delete(/** @type {string} */ (this.pending.keys().next().value));
    }
    if (this.pending.size === 0) return;
    const alerts = [...this.pending.values()];
    let stored;
    try {
      stored = await this.store.upsertAlerts(alerts, { nowMs: this.nowMs() });
    } catch (err) {
      // The database is away: kept for the next flush (the next body, or the next one after it).
      this.metrics?.detectionErrors.inc({ stage: 'store' });
      this.log({ level: 'warn', job: 'live_detection', stage: 'store', error: String(/** @type {any} */ (err)?.code ?? 'failed'), pending: this.pending.size });
      return;
    }
    for (const a of alerts) this.pending.delete(LiveDetection.keyOf(a));
    for (let i = 0; i < stored.length; i++) {
      const { row, created, changed, escalated } = stored[i];
      if (!changed) continue;
      this.counts.alerts_stored += 1;
      this.metrics?.alertsChanged.inc({ kind: row.kind, change: created ? 'new' : 'updated' });
      try {
        if (this.proposeResponses && (created || escalated)) await this.propose(alerts[i]);
        if (this.notifier) await this.announce(row);
      } catch (err) {
        this.metrics?.detectionErrors.inc({ stage: 'respond' });
        this.log({ level: 'warn', job: 'live_detection', stage: 'respond', error: String(/** @type {any} */ (err)?.code ?? 'failed') });
      }
    }
  }

  /**
   * The webhook notice, once per alert within the cooldown (across instances: the store's claim).
   * @param {import('./store/index.js').AlertRow} row
   */
  async announce(row) {
    const claimed = await this.store.claimAlertNotice(row.alert_key, { nowMs: this.nowMs(), cooldownMs: this.cooldownMs, severity: row.severity });
    if (!claimed) return;
    const { alertOf } = require('./store/index.js');
    const notice = core.alertNotice(/** @type {import('actionguard').LiveAlert} */ (alertOf(row)), this.tenant);
    if (notice.type !== 'success') {
      this.metrics?.detectionErrors.inc({ stage: 'notice' });
      return;
    }
    const { type: _t, warnings: _w, ...body } = notice;
    /** @type {NonNullable<typeof this.notifier>} */ (this.notifier).send(body);
    this.counts.notices += 1;
  }

  /**
   * Write responses the alert calls for, as approval requests (pending until a person approves).
   * @param {import('actionguard').LiveAlert} alert
   */
  async propose(alert) {
    const answer = core.proposeResponses(alert, this.tenant);
    if (answer.type !== 'success') return;
    for (const request of answer.requests) {
      await this.store.receiveApproval({ dedupe_key: request.dedupe_key, kind: request.kind, request, receivedMs: this.nowMs() });
      this.metrics?.responsesProposed.inc({ kind: request.kind });
      this.counts.responses += 1;
    }
  }
}

/**
 * Live detection as the environment configures it (`serve`, `logs import`, `logs pull`):
 * on unless ACTIONGUARD_LIVE_DETECTION=0 (then null: say, every instance but one behind a
 * load balancer); the webhook with ALERT_WEBHOOK_URL; responses unless
 * ACTIONGUARD_PROPOSE_RESPONSES=0; ACTIONGUARD_DETECT_CONFIG a subset of DetectConfig (JSON).
 * @param {import('./store/index.js').Store} store
 * @param {{ env?: NodeJS.ProcessEnv, metrics?: LiveOptions['metrics'], log?: LiveOptions['log'] }} [opts]
 */
function liveFromEnv(store, { env = process.env, metrics, log } = {}) {
  if (env.ACTIONGUARD_LIVE_DETECTION === '0') return null;
  const { createNotifier } = require('./notify.js');
  const cooldownS = cooldownSeconds(env.ALERT_COOLDOWN_SECONDS);
  const url = env.ALERT_WEBHOOK_URL;
  if (url !== undefined && url !== '' && !/^https?:\/\//.test(url)) {
    throw Object.assign(new Error('ALERT_WEBHOOK_URL must be an http(s) URL'), { exit: 2 });
  }
  let detectConfig = null;
  if (env.ACTIONGUARD_DETECT_CONFIG) {
    try {
      detectConfig = JSON.parse(env.ACTIONGUARD_DETECT_CONFIG);
    } catch {
      throw Object.assign(new Error('ACTIONGUARD_DETECT_CONFIG must be JSON (a subset of DetectConfig)'), { exit: 2 });
    }
  }
  const make = () =>
    new LiveDetection({
      store,
      tenant: env.ACTIONGUARD_TENANT || null,
      notifier: url ? createNotifier({ url, metrics, log }) : null,
      cooldownS,
      proposeResponses: env.ACTIONGUARD_PROPOSE_RESPONSES !== '0',
      detectConfig,
      metrics,
      log,
    });
  try {
    return make();
  } catch (err) {
    if (/** @type {any} */ (err)?.code === 'invalid_config') throw Object.assign(new Error(`ACTIONGUARD_DETECT_CONFIG: ${/** @type {Error} */ (err).message}`), { exit: 2 });
    throw err;
  }
}

module.exports = { LiveDetection, liveFromEnv, cooldownSeconds, DEFAULT_COOLDOWN_S, DEFAULT_ALERT_IDLE_MS };
