'use strict';
// The alert webhook (ALERT_WEBHOOK_URL): Slack-compatible JSON (`{ text, blocks }`, the
// core's alertNotice) posted from a bounded queue by one sender, in order. It never
// blocks or fails ingestion: send() only queues (and drops the oldest when the queue is
// full, counted); a 429 or a 5xx is retried with backoff, honouring Retry-After, a
// bounded number of times; anything else is given up on and counted. The URL is a
// secret (a Slack webhook URL is its own credential): it is never logged.

const DEFAULTS = Object.freeze({
  maxQueue: 1000,
  maxAttempts: 5,
  baseDelayMs: 1000,
  maxDelayMs: 60_000,
  /** A Retry-After beyond this is cut to it: the queue behind must not wait for hours. */
  maxRetryAfterMs: 300_000,
  timeoutMs: 10_000,
});

/**
 * Retry-After as ms: delta-seconds or an HTTP date; null when absent or unreadable.
 * @param {string | null} value
 * @param {number} nowMs
 */
function retryAfterMs(value, nowMs) {
  if (value === null || value.trim() === '') return null;
  if (/^\d+$/.test(value.trim())) return Number(value.trim()) * 1000;
  const at = Date.parse(value);
  return Number.isFinite(at) ? Math.max(0, at - nowMs) : null;
}

/**
 * @typedef {object} NotifierOptions
 * @property {string} url ALERT_WEBHOOK_URL
 * @property {number} [maxQueue]
 * @property {number} [maxAttempts] requests per notice, the first included
 * @property {number} [baseDelayMs] the first retry's delay (doubled each time, with jitter)
 * @property {number} [maxDelayMs]
 * @property {number} [maxRetryAfterMs]
 * @property {number} [timeoutMs] per request
 * @property {ReturnType<import('./metrics.js').createMetrics>} [metrics]
 * @property {(entry: Record<string, unknown>) => void} [log]
 * @property {typeof fetch} [fetchImpl]
 */

/** @param {NotifierOptions} options */
function createNotifier(options) {
  /** @type {typeof DEFAULTS & NotifierOptions} */
  const o = { ...DEFAULTS, ...Object.fromEntries(Object.entries(options).filter(([, v]) => v !== undefined)), url: options.url };
  const log = options.log ?? (() => {});
  const fetchImpl = options.fetchImpl ?? fetch;
  const metrics = options.metrics;
  /** @type {string[]} */
  const queue = [];
  let running = false;
  let closed = false;
  /** @type {(() => void)[]} */
  let waiters = [];
  /** @type {{ timer: NodeJS.Timeout, resolve: () => void } | null} */
  let sleeping = null;

  const settle = () => {
    if (running || queue.length > 0) return;
    const w = waiters;
    waiters = [];
    for (const resolve of w) resolve();
  };

  /** @param {number} ms */
  const sleep = (ms) =>
    new Promise((resolve) => {
      const timer = setTimeout(() => {
        sleeping = null;
        resolve(undefined);
      }, ms);
      sleeping = { timer, resolve: () => resolve(undefined) };
    });

  /**
   * One notice, with its retries: 'sent' or 'failed'.
   * @param {string} body
   */
  async function deliver(body) {
    for (let attempt = 1; ; attempt += 1) {
      /** @type {string} */
      let result;
      /** @type {number | null} */
      let wait = null;
      try {
        const res = await fetchImpl(o.url, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body,
          signal: AbortSignal.timeout(o.timeoutMs),
        });
        await res.arrayBuffer().catch(() => undefined);
        if (res.ok) {
          metrics?.noticeAttempts.inc({ result: '2xx' });
          return 'sent';
        }
        result = res.status === 429 ? '429' : res.status >= 500 ? '5xx' : '4xx';
        metrics?.noticeAttempts.inc({ result });
        // Anything else is this request's fault (a revoked webhook, a bad payload): no retry.
        if (result === '4xx' && res.status !== 408) {
          log({ level: 'warn', job: 'alert_webhook', status: res.status, attempt });
          return 'failed';
        }
        wait = retryAfterMs(res.headers.get('retry-after'), Date.now());
        log({ level: 'warn', job: 'alert_webhook', status: res.status, attempt });
      } catch (err) {
        metrics?.noticeAttempts.inc({ result: 'network' });
        log({ level: 'warn', job: 'alert_webhook', error: String(/** @type {any} */ (err)?.cause?.code ?? /** @type {any} */ (err)?.name ?? 'network'), attempt });
      }
      if (attempt >= o.maxAttempts || closed) return 'failed';
      const backoff = Math.min(o.maxDelayMs, o.baseDelayMs * 2 ** (attempt - 1));
      // Full jitter on our own backoff; the server's Retry-After is honoured as given.
      const delay = wait !== null ? Math.min(wait, o.maxRetryAfterMs) : backoff / 2 + Math.random() * (backoff / 2);
      await sleep(delay);
      if (closed) return 'failed';
    }
  }

  async function run() {
    if (running) return;
    running = true;
    try {
      while (queue.length > 0 && !closed) {
        const body = /** @type {string} */ (queue.shift());
        const outcome = await deliver(body);
        metrics?.notices.inc({ outcome });
      }
    } finally {
      running = false;
      settle();
    }
  }

  return {
    /**
     * Queues one notice (the webhook's JSON body); never throws, never waits.
     * @param {unknown} notice
     * @returns {boolean} false when it pushed the oldest notice out (queue full)
     */
    send(notice) {
      if (closed) return false;
      let kept = true;
      if (queue.length >= o.maxQueue) {
        queue.shift();
        metrics?.notices.inc({ outcome: 'dropped' });
        kept = false;
      }
      queue.push(JSON.stringify(notice));
      void run();
      return kept;
    },
    /** Resolves once every queued notice was sent or given up on. */
    idle() {
      if (!running && queue.length === 0) return Promise.resolve();
      return new Promise((resolve) => waiters.push(() => resolve(undefined)));
    },
    /** Notices waiting (the one being sent excluded). */
    pending: () => queue.length,
    /** Stops: what is queued is dropped, a retry's wait ends now. */
    close() {
      closed = true;
      queue.length = 0;
      if (sleeping) {
        clearTimeout(sleeping.timer);
        sleeping.resolve();
      }
      settle();
    },
  };
}

module.exports = { createNotifier, retryAfterMs, DEFAULTS };
