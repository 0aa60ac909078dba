'use strict';
// Auth0 log-stream traffic for the reliability tests and scripts/bench-logs: realistic
// log lines (the custom webhook's `{ log_id, data }` wrapper around a log of the
// size and shape Auth0 sends, about 1.2 kB), malformed lines with the reason the core
// gives each, and a sender that posts batches the way Auth0's stream does: a few
// requests in flight, keep-alive, a retry of what was not acknowledged.

const http = require('node:http');

/** @type {[string, string, number][]} */
const TYPES = [
  ['s', 'Success Login', 70],
  ['f', 'Failed Login', 8],
  ['fp', 'Failed Login (Incorrect Password)', 8],
  ['fu', 'Failed Login (Invalid Email/Username)', 3],
  ['ssa', 'Success Silent Auth', 5],
  ['seacft', 'Success Exchange', 3],
  ['gd_send_pn', 'MFA push notification sent', 3],
];
const TYPE_TABLE = TYPES.flatMap(([code, description, weight]) => Array.from({ length: weight }, () => ({ code, description })));
const AGENTS = [
  'Chrome 131.0.0 / Mac OS X 10.15.7',
  'Safari 18.1.0 / iOS 18.1.0',
  'Firefox 133.0.0 / Windows 10.0.0',
  'Edge 131.0.0 / Windows 10.0.0',
  'Chrome Mobile 131.0.0 / Android 14.0.0',
];
const COUNTRIES = [
  ['NL', 'Netherlands', 'Amsterdam', 52.37, 4.89, 'Europe/Amsterdam'],
  ['US', 'United States', 'Seattle', 47.6, -122.33, 'America/Los_Angeles'],
  ['DE', 'Germany', 'Berlin', 52.52, 13.4, 'Europe/Berlin'],
  ['BR', 'Brazil', 'Sao Paulo', -23.55, -46.63, 'America/Sao_Paulo'],
  ['JP', 'Japan', 'Tokyo', 35.68, 139.69, 'Asia/Tokyo'],
];
const BASE_MS = Date.parse('2026-11-02T00:00:00.000Z');

/** Auth0's log ids are long digit strings; `prefix` keeps runs and tests apart. */
const logId = (/** @type {string} */ prefix, /** @type {number} */ i) => `90020261102${prefix}${String(i).padStart(12, '0')}`;

/**
 * One log line as Auth0's custom-webhook stream sends it (JSON lines format).
 * Deterministic in (prefix, i).
 * @param {string} prefix
 * @param {number} i
 */
function logLine(prefix, i) {
  const id = logId(prefix, i);
  const t = TYPE_TABLE[(i * 7919) % TYPE_TABLE.length];
  const user = (i * 2654435761) % 50_000;
  const org = user % 400;
  const [cc, country, city, lat, lon, tz] = COUNTRIES[user % COUNTRIES.length];
  const date = new Date(BASE_MS + i * 37).toISOString();
  const failed = t.code.startsWith('f');
  const data = {
    date,
    type: t.code,
    description: t.description,
    connection: 'Username-Password-Authentication',
    connection_id: 'con_3nRgWZtQm0pP6x2L',
    client_id: 'bq6gHq3tXo8cQ0SwCKm5zE4Y1aAqF3pD',
    client_name: 'Acme Portal',
    ip: `203.0.${(user >> 8) & 255}.${user & 255}`,
    user_agent: AGENTS[user % AGENTS.length],
    details: failed
      ? { error: { message: 'Wrong email or password.' } }
      : {
          prompts: [
            {
              name: 'login',
              completedAt: BASE_MS + i * 37 - 900,
              initiatedAt: BASE_MS + i * 37 - 4200,
              timers: { rules: 11 },
              strategy: 'auth0',
              identity: `${user}`,
              connection: 'Username-Password-Authentication',
              connection_id: 'con_3nRgWZtQm0pP6x2L',
              stats: { loginsCount: 40 + (user % 300) },
              elapsedTime: 3300,
            },
            ...(user % 3 === 0 ? [{ name: 'mfa', completedAt: BASE_MS + i * 37 - 300, initiatedAt: BASE_MS + i * 37 - 880, performed_amr: ['mfa'], elapsedTime: 580 }] : []),
          ],
          initiatedAt: BASE_MS + i * 37 - 4300,
          completedAt: BASE_MS + i * 37,
          elapsedTime: 4300,
          session_id: `sess_${(i * 40503).toString(36)}`,
          stats: { loginsCount: 40 + (user % 300) },
        },
    hostname: 'acme.eu.auth0.com',
    user_id: `auth0|${user.toString(16).padStart(24, '0')}`,
    user_name: `user${user}@corp${org}.example`,
    strategy: 'auth0',
    strategy_type: 'database',
    organization_id: `org_${org.toString(36).padStart(16, '0')}`,
    organization_name: `corp-${org}`,
    log_id: id,
    location_info: { country_code: cc, country_code3: `${cc}X`, country_name: country, city_name: city, latitude: lat, longitude: lon, time_zone: tz, continent_code: 'EU' },
    $event_schema: { version: '1.0.0' },
  };
  return JSON.stringify({ log_id: id, data });
}

/**
 * Malformed lines of each kind the core names, and the reason it gives.
 * @type {{ reason: string, line: (k: number) => string }[]}
 */
const MALFORMED = [
  { reason: 'not_json', line: (k) => `{"log_id":"broken-${k}","data":{"type":"s","date":"2026-11-02T09:00:00Z"` },
  { reason: 'not_an_object', line: (k) => JSON.stringify(`a string ${k}`) },
  { reason: 'not_an_object', line: (k) => JSON.stringify({ log_id: `wrapped-${k}`, data: 'not a log' }) },
  { reason: 'missing_log_id', line: () => JSON.stringify({ data: { type: 's', date: '2026-11-02T09:00:00Z', ip: '203.0.113.1' } }) },
  { reason: 'bad_log_id', line: (k) => JSON.stringify({ data: { log_id: k, type: 's', date: '2026-11-02T09:00:00Z' } }) },
  { reason: 'missing_type', line: (k) => JSON.stringify({ log_id: `nt-${k}`, data: { date: '2026-11-02T09:00:00Z' } }) },
  { reason: 'bad_type', line: (k) => JSON.stringify({ log_id: `bt-${k}`, data: { type: 7, date: '2026-11-02T09:00:00Z' } }) },
  { reason: 'missing_date', line: (k) => JSON.stringify({ log_id: `nd-${k}`, data: { type: 's' } }) },
  { reason: 'bad_date', line: (k) => JSON.stringify({ log_id: `bd-${k}`, data: { type: 's', date: 'yesterday' } }) },
  { reason: 'bad_field', line: (k) => JSON.stringify({ log_id: `bf-${k}`, data: { type: 's', date: '2026-11-02T09:00:00Z', ip: 12345 } }) },
];

/**
 * A seeded PRNG (mulberry32): a failing run is repeated with its seed.
 * @param {number} seed
 */
function random(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * @typedef {{ status: number, body: any, retryAfter: string | null } | { error: string }} PostResult
 */

/**
 * Keep-alive agents, one per source address (127.0.0.1, 127.0.0.2, ...): Auth0's
 * stream reaches a receiver from several addresses, and the receiver limits requests
 * per address.
 * @param {number} sources
 * @param {number} perSource sockets per address
 */
function agents(sources, perSource) {
  return Array.from({ length: sources }, (_, i) => new http.Agent({ keepAlive: true, maxSockets: perSource, localAddress: `127.0.0.${i + 1}` }));
}

/**
 * One POST; network errors are a result (`{ error }`), never thrown.
 * @param {string} url the receiver's full URL
 * @param {string} token the Authorization header value
 * @param {string} body
 * @param {http.Agent} [agent]
 * @param {number} [timeoutMs]
 * @returns {Promise<PostResult>}
 */
function postBody(url, token, body, agent, timeoutMs = 30_000) {
  return new Promise((resolve) => {
    const req = http.request(
      url,
      { method: 'POST', agent, headers: { authorization: token, 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) } },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (c) => (text += c));
        res.on('end', () => {
          let json;
          try {
            json = JSON.parse(text);
          } catch {
            json = text;
          }
          const retryAfter = res.headers['retry-after'];
          resolve({ status: /** @type {number} */ (res.statusCode), body: json, retryAfter: retryAfter === undefined ? null : String(retryAfter) });
        });
        res.on('error', (err) => resolve({ error: /** @type {any} */ (err).code ?? err.message }));
      },
    );
    req.setTimeout(timeoutMs, () => req.destroy(Object.assign(new Error('timeout'), { code: 'ETIMEDOUT' })));
    req.on('error', (err) => resolve({ error: /** @type {any} */ (err).code ?? err.message }));
    req.end(body);
  });
}

/**
 * Posts every body, `inFlight` at a time, until each is acknowledged (200) or the
 * sender is stopped. `retryDelayMs(result, attempt)` says how long to wait before
 * sending a batch again (null: give up on it; the result stays as it is): Auth0
 * retries 5xx, 429 and network errors.
 * @param {string[]} bodies
 * @param {{
 *   url: string,
 *   token: string,
 *   inFlight?: number,
 *   sources?: number,
 *   order?: number[],
 *   retryDelayMs?: (result: PostResult, attempt: number) => number | null,
 *   onResult?: (index: number, result: PostResult, attempt: number) => void,
 * }} options
 */
function createSender(bodies, { url, token, inFlight = 4, sources = 1, order, retryDelayMs = () => null, onResult = () => {} }) {
  const pool = agents(sources, inFlight);
  const queue = order ? [...order] : bodies.map((_, i) => i);
  /** @type {(PostResult | undefined)[]} */
  const results = new Array(bodies.length);
  let stopped = false;
  let next = 0;
  let requests = 0;
  const worker = async () => {
    while (!stopped && next < queue.length) {
      const index = queue[next++];
      for (let attempt = 1; ; attempt += 1) {
        // Each request from the next address in turn, as a spread of senders would.
        const agent = pool[requests % pool.length];
        requests += 1;
        const r = await postBody(url, token, bodies[index], agent);
        results[index] = r;
        onResult(index, r, attempt);
        if ('status' in r && r.status === 200) break;
        const delay = stopped ? null : retryDelayMs(r, attempt);
        if (delay === null) break;
        await new Promise((resolve) => setTimeout(resolve, delay));
        if (stopped) break;
      }
    }
  };
  const done = Promise.all(Array.from({ length: inFlight }, () => worker())).then(() => {
    for (const a of pool) a.destroy();
    return results;
  });
  return {
    done,
    results,
    /** Sends nothing more (requests in flight finish or fail). */
    stop() {
      stopped = true;
    },
    requests: () => requests,
  };
}

/**
 * Auth0's retry as the tests play it: 5xx, 429 and network errors again, after a
 * short delay (Auth0 backs off for seconds; the tests cannot wait that long).
 * @param {number} [delayMs]
 * @param {number} [maxAttempts]
 */
const retryLikeAuth0 =
  (delayMs = 50, maxAttempts = 2000) =>
  (/** @type {PostResult} */ r, /** @type {number} */ attempt) => {
    if (attempt >= maxAttempts) return null;
    if ('error' in r) return delayMs;
    if (r.status === 429) return Math.min(1000, Number(r.retryAfter ?? 1) * 1000);
    if (r.status >= 500) return delayMs;
    return null;
  };

/**
 * Sums a Prometheus counter over its label sets.
 * @param {string} text the /metrics body
 * @param {string} name
 */
function metricSum(text, name) {
  let sum = 0;
  for (const line of text.split('\n')) {
    if (line.startsWith(`${name}{`) || line.startsWith(`${name} `)) sum += Number(line.slice(line.lastIndexOf(' ') + 1));
  }
  return sum;
}

module.exports = { logId, logLine, MALFORMED, random, postBody, createSender, retryLikeAuth0, metricSum, agents };
