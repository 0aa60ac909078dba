'use strict';
// The receivers. Each answers only after what it received is committed (Auth0's log
// stream and the Actions retry anything else), and maps a database that went away to
// 503, which both retry. What this service writes about a request is its route,
// status, counts and timing: never a header, a token or a body.

const crypto = require('node:crypto');
const http = require('node:http');
const webhook = require('actionguard/webhook.js');
const core = require('./core.js');
const { ingestBody, ingestAudit } = require('./ingest.js');
const { createMetrics } = require('./metrics.js');
const { createRateLimit } = require('./ratelimit.js');

/** Auth0 sends log stream batches of at most a few hundred logs; this leaves room. */
const DEFAULT_MAX_LOG_BODY = 8 * 1024 * 1024;
/** One Action execution's audit records. */
const MAX_AUDIT_BODY = 1024 * 1024;
/** The core reads at most this much of a request (`approvals::MAX_REQUEST_BYTES`). */
const MAX_APPROVAL_BODY = 16 * 1024;
const RETRY_AFTER_S = 5;
const DEFAULT_BODY_BYTES_IN_FLIGHT = 256 * 1024 * 1024;
/** Health reports being built at once by one instance (each reads two periods of the store). */
const MAX_REPORTS_IN_FLIGHT = 2;

class HttpError extends Error {
  /**
   * @param {number} status
   * @param {string} code
   * @param {Record<string, unknown>} [extra]
   * @param {{ bodyUnread?: boolean }} [options] bodyUnread: the rest of the body was not read, so the connection is closed
   */
  constructor(status, code, extra = {}, { bodyUnread = false } = {}) {
    super(code);
    this.status = status;
    this.code = code;
    this.extra = extra;
    this.bodyUnread = bodyUnread;
  }
}

/**
 * Equal strings, compared in constant time whatever their lengths (both are hashed
 * first, so neither a length nor a prefix leaks).
 * @param {string} given
 * @param {string} expected
 */
function sameSecret(given, expected) {
  const a = crypto.createHash('sha256').update(given).digest();
  const b = crypto.createHash('sha256').update(expected).digest();
  return crypto.timingSafeEqual(a, b) && given.length === expected.length;
}

/**
 * The body, up to `max` bytes; more is a 413 (the rest is not read).
 * @param {http.IncomingMessage} req
 * @param {number} max
 * @param {{ used: number, max: number }} budget bytes of bodies being read, by all requests
 * @returns {Promise<Buffer>}
 */
function readBody(req, max, budget) {
  return new Promise((resolve, reject) => {
    const declared = Number(req.headers['content-length']);
    if (Number.isFinite(declared) && declared > max) {
      reject(new HttpError(413, 'too_large', { max_bytes: max }, { bodyUnread: true }));
      return;
    }
    /** @type {Buffer[]} */
    const chunks = [];
    let size = 0;
    let settled = false;
    /** @param {() => void} settle */
    const finish = (settle) => {
      if (settled) return;
      settled = true;
      budget.used -= size;
      settle();
    };
    const stop = (/** @type {HttpError} */ err) => {
      req.removeAllListeners('data');
      req.pause();
      finish(() => reject(err));
    };
    req.on('data', (chunk) => {
      if (settled) return;
      size += chunk.length;
      budget.used += chunk.length;
      if (size > max) return stop(new HttpError(413, 'too_large', { max_bytes: max }, { bodyUnread: true }));
      // Slow senders together may not hold more than the budget in memory (bodies are
      // read before a signature can be checked): the rest are asked to come back.
      if (budget.used > budget.max) return stop(new HttpError(503, 'busy', { retry_after_s: RETRY_AFTER_S }, { bodyUnread: true }));
      chunks.push(chunk);
    });
    req.on('end', () => finish(() => resolve(Buffer.concat(chunks, size))));
    // The sender hung up mid-body (a flaky network, a timed-out retry): nothing was
    // stored, and it is not this service's failure (no 500, no error logged). 499 is
    // nginx's "client closed request"; nobody is left to read it.
    req.on('error', (err) => finish(() => reject(req.destroyed ? new HttpError(499, 'client_closed_request') : err)));
    req.on('close', () => finish(() => reject(new HttpError(499, 'client_closed_request'))));
  });
}

/**
 * @typedef {object} ServerOptions
 * @property {import('./store/index.js').Store} store
 * @property {string} [logToken] ACTIONGUARD_LOG_TOKEN: the stream's Authorization header value
 * @property {string} [reportToken] ACTIONGUARD_REPORT_TOKEN: GET /v1/report takes `Authorization: Bearer <it>`
 * @property {string} [auditSecret] AUDIT_WEBHOOK_SECRET, as the Actions hold it
 * @property {string} [approvalSecret] APPROVAL_WEBHOOK_SECRET, as the Actions hold it
 * @property {number} [maxLogBody]
 * @property {number} [toleranceS] signature age accepted either way
 * @property {{ perSecond?: number, burst?: number }} [rateLimit]
 * @property {number} [maxBodyBytesInFlight] all bodies being read at once (default 256 MiB); beyond, 503
 * @property {boolean} [trustProxy] rate-limit by the address a load balancer appended to X-Forwarded-For
 * @property {import('./live.js').LiveDetection | null} [live] live detection, fed every accepted log body
 * @property {ReturnType<typeof createMetrics>} [metrics] shared with live detection and the feed (made here when absent)
 * @property {ReturnType<import('./feed.js').createThreatFeed> | null} [threatFeed] GET /v1/threat-feed (503 without)
 * @property {(entry: Record<string, unknown>) => void} [log]
 */

/**
 * @param {ServerOptions} options
 */
function createServer(options) {
  const { store, logToken, auditSecret, approvalSecret, maxLogBody = DEFAULT_MAX_LOG_BODY, toleranceS = webhook.DEFAULT_TOLERANCE_S } = options;
  const log = options.log ?? ((entry) => process.stderr.write(`${JSON.stringify(entry)}\n`));
  const metrics = options.metrics ?? createMetrics(store);
  const limiter = createRateLimit(options.rateLimit);
  const bodyBudget = { used: 0, max: options.maxBodyBytesInFlight ?? DEFAULT_BODY_BYTES_IN_FLIGHT };
  // Each approval signature once per instance, as scripts/approvals took them; a replay
  // elsewhere only counts as a repeat of a request already kept (one row per dedupe key).
  const approvalGuard = webhook.createReplayGuard();

  /** @param {http.IncomingMessage} req */
  const sourceOf = (req) => {
    const forwarded = options.trustProxy
      ? String(req.headers['x-forwarded-for'] ?? '')
          .split(',')
          .pop()
          ?.trim()
      : '';
    return forwarded || req.socket.remoteAddress || 'unknown';
  };

  // Reports read a period of the store whole: a few at a time per instance, others come back later.
  let reportsRunning = 0;

  /** @type {Record<string, (req: http.IncomingMessage) => Promise<[number, unknown] | [number, string, string] | [number, string, string, Record<string, string>]>>} */
  const routes = {
    // Prometheus text: [status, text, content type].
    'GET /metrics': async () => [200, await metrics.registry.metrics(), metrics.registry.contentType],

    'GET /healthz': async () => {
      try {
        await store.ping();
        return [200, { status: 'ok', store: store.dialect }];
      } catch {
        return [503, { status: 'unavailable', store: store.dialect }];
      }
    },

    // The health report (lib/report): ?org=<id>&since=7d&until=<date>&top=10&format=json|markdown|html.
    'GET /v1/report': async (req) => {
      if (!options.reportToken) throw new HttpError(503, 'report_not_configured');
      if (!sameSecret(String(req.headers.authorization ?? ''), `Bearer ${options.reportToken}`)) throw new HttpError(401, 'unauthorized');
      const limited = limiter.take(sourceOf(req));
      if (!limited.ok) throw new HttpError(429, 'too_many_requests', { retry_after_s: /** @type {any} */ (limited).retryAfterS });
      const report = require('./report/index.js');
      const q = new URL(req.url ?? '/', 'http://localhost').searchParams;
      const format = q.get('format') ?? 'json';
      if (!report.FORMATS.includes(format)) throw new HttpError(400, 'invalid_format', { formats: report.FORMATS });
      const top = Number(q.get('top') ?? 10);
      if (!Number.isInteger(top) || top < 1 || top > 100) throw new HttpError(400, 'invalid_top');
      /** @type {{ since: string, until: string }} */
      let period;
      try {
        period = report.periodOf({ since: q.get('since') ?? undefined, until: q.get('until') ?? undefined }, Date.now());
      } catch (err) {
        throw new HttpError(400, 'invalid_period', { message: /** @type {Error} */ (err).message });
      }
      if (reportsRunning >= MAX_REPORTS_IN_FLIGHT) throw new HttpError(503, 'busy', { retry_after_s: RETRY_AFTER_S });
      reportsRunning += 1;
      let built;
      try {
        built = await report.reportFromStore(store, { ...period, organization: q.get('org') || null, top });
      } catch (err) {
        const code = /** @type {any} */ (err)?.code;
        if (code === 'invalid_config' || code === 'invalid_period') throw new HttpError(400, code, { message: /** @type {Error} */ (err).message });
        throw err;
      } finally {
        reportsRunning -= 1;
      }
      const page = await report.renderAs(built, /** @type {'json'|'markdown'|'html'} */ (format), { version: core.version(), generatedAt: new Date().toISOString() });
      return [200, page.body, page.contentType, { 'content-security-policy': report.CSP, 'cache-control': 'no-store', 'x-content-type-options': 'nosniff' }];
    },

    'POST /v1/auth0/logs': async (req) => {
      if (!logToken) throw new HttpError(503, 'log_stream_not_configured');
      if (!sameSecret(String(req.headers.authorization ?? ''), logToken)) throw new HttpError(401, 'unauthorized');
      const body = (await readBody(req, maxLogBody, bodyBudget)).toString('utf8');
      const started = process.hrtime.bigint();
      const r = await ingestBody(store, body, { source: 'stream', live: options.live });
      metrics.ingestLatency.observe(Number(process.hrtime.bigint() - started) / 1e9);
      metrics.logsIngested.inc({ source: 'stream' }, r.stored);
      metrics.logsDuplicates.inc({ source: 'stream' }, r.duplicates);
      metrics.logsRejected.inc({ source: 'stream' }, r.rejected);
      return [200, r];
    },

    // The threat feed the Actions read (signed; ETag/304; Bearer THREAT_FEED_TOKEN when set).
    'GET /v1/threat-feed': async (req) => {
      if (!options.threatFeed) throw new HttpError(503, 'threat_feed_not_configured');
      return options.threatFeed.serve(req);
    },

    'POST /v1/audit': async (req) => {
      if (!auditSecret) throw new HttpError(503, 'audit_not_configured');
      const raw = await readBody(req, MAX_AUDIT_BODY, bodyBudget);
      // No single-use guard: a replay within the window stores nothing (one row per
      // record id), and the Actions' retry after a 5xx may carry the same signature.
      const signed = webhook.verify(auditSecret, raw, req.headers[webhook.SIGNATURE_HEADER], { toleranceS });
      if (!signed.ok) throw new HttpError(401, /** @type {any} */ (signed).error);
      const r = await ingestAudit(store, raw.toString('utf8'));
      metrics.auditStored.inc(r.stored);
      metrics.auditDuplicates.inc(r.duplicates);
      metrics.auditRejected.inc(r.rejected);
      return [200, { stored: r.stored, duplicates: r.duplicates, rejected: r.rejected, rejects: r.rejects.slice(0, 20) }];
    },

    'POST /v1/approvals': async (req) => {
      if (!approvalSecret) throw new HttpError(503, 'approvals_not_configured');
      const raw = await readBody(req, MAX_APPROVAL_BODY, bodyBudget);
      const signed = webhook.verify(approvalSecret, raw, req.headers[webhook.SIGNATURE_HEADER], { toleranceS, guard: approvalGuard });
      if (!signed.ok) {
        const { error } = /** @type {{ error: string }} */ (/** @type {unknown} */ (signed));
        throw new HttpError(error === 'replay_guard_full' ? 503 : 401, error);
      }
      const answer = core.readApprovalRequest(raw.toString('utf8'));
      if (answer.type !== 'success') throw new HttpError(400, 'not_a_request', { errors: answer.errors });
      const { type: _type, warnings: _warnings, ...request } = answer;
      const row = await store.receiveApproval({ dedupe_key: request.dedupe_key, kind: request.kind, request, receivedMs: Date.now() });
      metrics.approvalsReceived.inc();
      return [202, { dedupe_key: row.dedupe_key, status: row.status }];
    },
  };

  const paths = new Set(Object.keys(routes).map((k) => k.slice(k.indexOf(' ') + 1)));

  const server = http.createServer(async (req, res) => {
    const started = Date.now();
    const path = (req.url ?? '/').split('?')[0];
    const key = `${req.method} ${path}`;
    const known = paths.has(path);
    const route = known ? path : 'other';
    /** @type {number} */
    let status;
    /** @type {unknown} */
    let payload;
    /** @type {Record<string, string>} */
    const headers = { 'content-type': 'application/json' };
    let bodyUnread = false;
    try {
      const handler = routes[key];
      if (!handler) throw new HttpError(known ? 405 : 404, known ? 'method_not_allowed' : 'not_found');
      if (req.method === 'POST') {
        const limited = limiter.take(sourceOf(req));
        if (!limited.ok) throw new HttpError(429, 'too_many_requests', { retry_after_s: /** @type {any} */ (limited).retryAfterS });
      }
      const answer = await handler(req);
      [status, payload] = answer;
      if (answer.length >= 3) headers['content-type'] = answer[2];
      if (answer.length === 4) Object.assign(headers, answer[3]);
    } catch (err) {
      if (err instanceof HttpError) {
        status = err.status;
        payload = { error: err.code, ...err.extra };
        bodyUnread = err.bodyUnread;
        if (err.extra.retry_after_s !== undefined) headers['retry-after'] = String(err.extra.retry_after_s);
      } else if (/** @type {any} */ (err)?.code === 'store_unavailable') {
        status = 503;
        payload = { error: 'store_unavailable' };
        headers['retry-after'] = String(RETRY_AFTER_S);
      } else {
        status = 500;
        payload = { error: 'internal' };
        // The code and the error's class only: a database's message can quote a value.
        log({ level: 'error', route, error: String(/** @type {any} */ (err)?.code ?? 'internal'), kind: String(/** @type {any} */ (err)?.constructor?.name ?? typeof err) });
      }
    }
    // The rest of the body was not read: close the connection rather than read it.
    if (bodyUnread) headers.connection = 'close';
    res.writeHead(status, headers).end(typeof payload === 'string' ? payload : JSON.stringify(payload));
    if (bodyUnread) req.destroy();
    metrics.requests.inc({ route, status });
    if (route !== '/healthz' && route !== '/metrics') {
      const p = /** @type {any} */ (payload);
      log({
        level: status >= 500 ? 'warn' : 'info',
        route,
        status,
        ms: Date.now() - started,
        stored: p?.stored,
        duplicates: p?.duplicates,
        rejected: p?.rejected,
        error: p?.error,
      });
    }
  });
  server.requestTimeout = 60_000;
  server.headersTimeout = 10_000;
  return { server, metrics };
}

module.exports = { createServer, sameSecret, DEFAULT_MAX_LOG_BODY, MAX_AUDIT_BODY, MAX_APPROVAL_BODY };
