// @ts-check
'use strict';
// An emulated Auth0 Management API on 127.0.0.1, serving a tenant fixture
// (design.md section 5) on the real paths, so shims and tests use the real
// `auth0` SDK against it. It keeps Auth0's rules that matter to callers:
// pages of at most 50, offset (`page`/`per_page`) and checkpoint (`from`/`take`)
// pagination (offset only where Auth0 has only that: enabled connections), 10 members per add, bearer tokens from /oauth/token, and 429s
// with `x-ratelimit-reset` (or 5xx) injected on demand for fault tests.
// Tenant logs (`GET /api/v2/logs`) are served from the logs it is given, by checkpoint
// (`from`/`take`, at most 100, in log_id order, with Auth0's `Link` header) or by
// search (`page`/`per_page`/`sort` by date).

const http = require('node:http');
const crypto = require('node:crypto');
const fs = require('node:fs');

const MAX_PAGE = 50;
const MAX_MEMBERS_PER_ADD = 10;
// Tenant logs: at most 100 a request, and a search reaches only its first 1,000 results.
const MAX_LOGS_PAGE = 100;
const MAX_LOG_SEARCH_RESULTS = 1000;

/** An error answer: Auth0's status, message and `errorCode`. */
class HttpError extends Error {
  /**
   * @param {number} status
   * @param {string} message
   * @param {string} errorCode
   */
  constructor(status, message, errorCode) {
    super(message);
    this.status = status;
    this.errorCode = errorCode;
  }
}

/**
 * @template T
 * @param {T} v
 * @returns {T}
 */
function clone(v) {
  return v === undefined ? undefined : JSON.parse(JSON.stringify(v));
}

/**
 * @param {unknown} body
 * @returns {unknown}
 */
function redact(body) {
  if (!body || typeof body !== 'object') return body;
  const out = { ...body };
  for (const key of ['client_secret', 'client_assertion', 'password']) {
    if (key in out) out[key] = '[redacted]';
  }
  if (Array.isArray(out.secrets)) out.secrets = out.secrets.map((x) => ({ name: x?.name, value: '[redacted]' }));
  return out;
}

// Trigger versions the emulator accepts, as Auth0 lists them for current Actions.
/** @type {Record<string, string>} */
const TRIGGER_VERSIONS = { 'post-login': 'v3', 'pre-user-registration': 'v2', 'post-user-registration': 'v2', 'credentials-exchange': 'v2' };
/** @type {Record<string, string>} */
const HANDLERS = {
  'post-login': 'onExecutePostLogin',
  'pre-user-registration': 'onExecutePreUserRegistration',
  'post-user-registration': 'onExecutePostUserRegistration',
  'credentials-exchange': 'onExecuteCredentialsExchange',
};
// GETs of a new version before its build finishes (Auth0 builds in the background).
const BUILD_POLLS = 2;

/**
 * @param {URLSearchParams} query
 * @param {string} name
 * @param {number} fallback
 * @param {{ min?: number, max?: number }} [bounds]
 * @returns {number}
 */
function intParam(query, name, fallback, { min = 0, max = Infinity } = {}) {
  const raw = query.get(name);
  if (raw === null) return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < min || n > max) {
    throw new HttpError(400, `Query validation error: '${name}' must be an integer between ${min} and ${max}`, 'invalid_query_string');
  }
  return n;
}

/**
 * Offset or checkpoint pagination over `items`, shaped like Auth0's answers.
 * @param {unknown[]} items
 * @param {URLSearchParams} query
 * @param {string} key the list's name in a paged body
 * @returns {unknown[] | Record<string, unknown>}
 */
function paginate(items, query, key) {
  if (query.has('from') || query.has('take')) {
    const take = intParam(query, 'take', MAX_PAGE, { min: 1, max: MAX_PAGE });
    let start = 0;
    if (query.get('from')) {
      start = Number(Buffer.from(query.get('from'), 'base64url').toString('utf8'));
      if (!Number.isInteger(start) || start < 0) throw new HttpError(400, "Query validation error: invalid 'from'", 'invalid_query_string');
    }
    const slice = items.slice(start, start + take);
    /** @type {Record<string, unknown>} */
    const body = { [key]: slice };
    if (start + take < items.length) body.next = Buffer.from(String(start + take)).toString('base64url');
    return body;
  }
  const perPage = intParam(query, 'per_page', MAX_PAGE, { min: 1, max: MAX_PAGE });
  const page = intParam(query, 'page', 0, { min: 0 });
  const slice = items.slice(page * perPage, (page + 1) * perPage);
  if (query.get('include_totals') === 'true') {
    return { [key]: slice, start: page * perPage, limit: perPage, total: items.length };
  }
  return slice;
}

/**
 * The Actions endpoints' page shape: always `{ <key>, total, page, per_page }`.
 * @param {unknown[]} items
 * @param {URLSearchParams} query
 * @param {string} key
 */
function pageOf(items, query, key) {
  const perPage = intParam(query, 'per_page', 20, { min: 1, max: MAX_PAGE });
  const page = intParam(query, 'page', 0, { min: 0 });
  return { [key]: items.slice(page * perPage, (page + 1) * perPage), total: items.length, page, per_page: perPage };
}

/** @typedef {{ status: number, body: unknown, headers?: Record<string, string> }} Answer */

class ManagementEmulator {
  /**
   * @param {Harness.TenantFixture} [tenant]
   * @param {object} [options]
   * @param {string} [options.domain] the AUTH0_DOMAIN it stands for
   * @param {string} [options.clientId] when set, /oauth/token requires it
   * @param {string} [options.clientSecret] when set, /oauth/token requires it
   * @param {object[]} [options.logs] tenant logs `GET /api/v2/logs` serves (see addLogs)
   * @param {string[]} [options.scopes] when set, the scopes the client was granted: routes
   *   that check theirs (logs: read:logs) answer 403 without them
   */
  constructor(tenant = {}, { domain = 'tenant.auth0.test', clientId, clientSecret, logs = [], scopes } = {}) {
    this.domain = domain;
    this.clientId = clientId;
    this.clientSecret = clientSecret;
    this.scopes = scopes;
    /** @type {Record<string, any>[]} tenant logs, in log_id order */
    this.logs = [];
    this.addLogs(logs);
    // Their members and discovery domains are filled in below.
    this.orgs = /** @type {Harness.Organization[]} */ (clone(tenant.organizations || []));
    this.roles = clone(tenant.roles || []);
    this.users = clone(tenant.users || []);
    /** @type {Harness.EmulatedAction[]} */
    this.actions = [];
    /** @type {Partial<Record<string, Harness.Binding[]>>} */
    this.bindings = {};
    /** @type {Harness.Invitation[]} */
    this.invitations = [];
    /** @type {Record<string, any>[]} Tenant ACL rules (POST /api/v2/network-acls) */
    this.networkAcls = [];
    /** @type {Harness.Fault[]} */
    this.faults = clone(tenant.faults || []);
    /** @type {Harness.ManagementCall[]} */
    this.calls = [];
    /** @type {Set<string>} */
    this.tokens = new Set();
    /** @type {import('node:http').Server | null} */
    this.server = null;
    /** @type {number | null} */
    this.port = null;
    this.clock = () => Date.now();
    for (const org of this.orgs) {
      org.members = org.members || [];
      org.discovery_domains = (org.discovery_domains || []).map((d, i) => ({
        id: d.id || `dd_${org.id}_${i}`,
        verification_txt: d.verification_txt || `auth0-domain-verification=${i}`,
        verification_host: d.verification_host || `_auth0-challenge.${d.domain}`,
        ...d,
      }));
      // As Auth0 lists them: a name (and strategy) in the fixture becomes a full entry.
      org.enabled_connections = (org.enabled_connections || []).map((c, i) => enabledConnection(org.id, c, i));
    }
  }

  /**
   * Answer the next `times` requests matching method and path with `status`.
   * @param {Harness.Fault} fault
   */
  injectFault({ method = '*', path = '', status = 429, times = 1, reset_in_s = 1, delay_ms = 0 }) {
    this.faults.push({ method, path, status, times, reset_in_s, delay_ms });
  }

  /**
   * Tenant logs for `GET /api/v2/logs`: Auth0 log objects, or the custom-webhook
   * stream's `{ log_id, data }` lines (unwrapped). Kept in log_id order, once per
   * log_id; an entry without a string log_id is skipped (Auth0 serves none).
   * @param {object[]} entries
   * @returns {number} how many were added
   */
  addLogs(entries) {
    const seen = new Set(this.logs.map((l) => l.log_id));
    let added = 0;
    for (const entry of entries) {
      const e = /** @type {Record<string, any>} */ (entry);
      const log = e && typeof e.data === 'object' && e.data && !('type' in e) ? { ...e.data, log_id: e.data.log_id ?? e.log_id } : { ...e };
      if (typeof log.log_id !== 'string' || !log.log_id || seen.has(log.log_id)) continue;
      seen.add(log.log_id);
      this.logs.push(log);
      added += 1;
    }
    this.logs.sort((a, b) => compareLogIds(a.log_id, b.log_id));
    return added;
  }

  /**
   * addLogs from a JSON-lines file (or a JSON-array file), such as examples/logs/sample.ndjson;
   * lines that are not JSON are skipped.
   * @param {string} file
   * @returns {number} how many were added
   */
  loadLogs(file) {
    const text = fs.readFileSync(file, 'utf8');
    const whole = /^\s*\[/.test(text) ? safeJson(text) : undefined;
    if (Array.isArray(whole)) return this.addLogs(whole);
    const entries = text
      .split('\n')
      .map((line) => (line.trim() ? safeJson(line) : undefined))
      .filter((v) => v && v !== SYNTAX_ERROR && typeof v === 'object');
    return this.addLogs(entries);
  }

  /** @returns {Promise<this>} */
  async start() {
    this.server = http.createServer((req, res) => this.#handle(req, res));
    await /** @type {Promise<void>} */ (new Promise((resolve) => this.server.listen(0, '127.0.0.1', resolve)));
    this.port = /** @type {import('node:net').AddressInfo} */ (this.server.address()).port;
    return this;
  }

  async stop() {
    if (!this.server) return;
    this.server.closeAllConnections?.();
    await new Promise((resolve) => this.server.close(resolve));
    this.server = null;
  }

  get origin() {
    return `http://127.0.0.1:${this.port}`;
  }

  /**
   * @param {import('node:http').IncomingMessage} req
   * @param {import('node:http').ServerResponse} res
   */
  async #handle(req, res) {
    const url = new URL(req.url, this.origin);
    let raw = '';
    for await (const chunk of req) raw += chunk;
    let body;
    if (raw) {
      const type = req.headers['content-type'] || '';
      body = type.includes('application/x-www-form-urlencoded') ? Object.fromEntries(new URLSearchParams(raw)) : safeJson(raw);
    }
    /** @type {Harness.ManagementCall} */
    const call = { method: req.method, path: url.pathname + url.search };
    if (body !== undefined) call.body = redact(body);
    this.calls.push(call);

    /** @type {(status: number, payload: unknown, headers?: Record<string, string>) => void} */
    const send = (status, payload, headers = {}) => {
      call.status = status;
      const text = payload === undefined ? '' : JSON.stringify(payload);
      res.writeHead(status, { 'content-type': 'application/json', ...headers });
      res.end(text);
    };

    const fault = this.faults.find((f) => f.times > 0 && (f.method === '*' || f.method === req.method) && url.pathname.startsWith(f.path));
    if (fault) {
      fault.times -= 1;
      if (fault.delay_ms) await new Promise((r) => setTimeout(r, fault.delay_ms));
      /** @type {Record<string, string>} */
      const headers = {};
      if (fault.status === 429) {
        headers['x-ratelimit-limit'] = '10';
        headers['x-ratelimit-remaining'] = '0';
        headers['x-ratelimit-reset'] = String(Math.ceil(this.clock() / 1000) + fault.reset_in_s);
      }
      return send(
        fault.status,
        { statusCode: fault.status, error: http.STATUS_CODES[fault.status], message: 'injected fault', errorCode: fault.status === 429 ? 'too_many_requests' : 'server_error' },
        headers,
      );
    }

    try {
      if (body === SYNTAX_ERROR) throw new HttpError(400, 'Payload validation error: invalid JSON', 'invalid_body');
      const result = this.#route(req.method, url, body, req.headers.authorization);
      send(result.status, result.body, result.headers);
    } catch (err) {
      const status = err instanceof HttpError ? err.status : 500;
      send(status, { statusCode: status, error: http.STATUS_CODES[status], message: err.message, errorCode: err.errorCode || 'internal' });
    }
  }

  /**
   * @param {string} method
   * @param {URL} url
   * @param {any} body the parsed JSON or form body, as the caller sent it
   * @param {string | undefined} authorization
   * @returns {Answer}
   */
  #route(method, url, body, authorization) {
    const p = url.pathname;
    const q = url.searchParams;
    if (p === '/oauth/token' && method === 'POST') return this.#token(body || {});

    if (!p.startsWith('/api/v2/')) throw new HttpError(404, 'Not Found', 'not_found');
    const token = (authorization || '').replace(/^Bearer /, '');
    if (!this.tokens.has(token)) throw new HttpError(401, 'Missing or invalid bearer token', 'invalid_token');

    const parts = p.slice('/api/v2/'.length).split('/').map(decodeURIComponent);
    const [resource, id, sub, subId, subSub] = parts;
    /** @type {(b: unknown, status?: number) => Answer} */
    const ok = (b, status = 200) => ({ status, body: b });

    if (resource === 'organizations') {
      if (!id) {
        if (method === 'GET') return ok(paginate(this.orgs.map(publicOrg), q, 'organizations'));
        if (method === 'POST') return ok(this.#createOrg(body || {}), 201);
      }
      if (id === 'name' && sub && method === 'GET') return ok(publicOrg(this.#org((o) => o.name === sub)));
      const org = this.#org((o) => o.id === id);
      if (!sub) {
        if (method === 'GET') return ok(publicOrg(org));
        if (method === 'PATCH') {
          Object.assign(org, pick(body || {}, ['name', 'display_name', 'metadata', 'branding']));
          return ok(publicOrg(org));
        }
      }
      if (sub === 'discovery-domains' && !subId && method === 'GET') {
        return ok(paginate(org.discovery_domains, q, 'domains'));
      }
      if (sub === 'discovery-domains' && !subId && method === 'POST') {
        const domain = typeof body?.domain === 'string' ? body.domain.trim().toLowerCase() : '';
        if (!domain) throw new HttpError(400, 'Payload validation error: domain is required', 'invalid_body');
        if (org.discovery_domains.some((d) => d.domain === domain)) throw new HttpError(409, 'The discovery domain already exists', 'conflict');
        // A new domain is pending until its DNS record is verified, whatever the caller says.
        /** @type {Harness.StoredDiscoveryDomain} */
        const created = {
          id: `dd_${crypto.randomBytes(8).toString('hex')}`,
          domain,
          status: 'pending',
          use_for_organization_discovery: body.use_for_organization_discovery === true,
          verification_txt: `auth0-domain-verification=${crypto.randomBytes(8).toString('hex')}`,
          verification_host: `_auth0-challenge.${domain}`,
        };
        org.discovery_domains.push(created);
        return ok(created, 201);
      }
      if (sub === 'discovery-domains' && subId && method === 'PATCH') {
        // Auth0 takes the status from the caller (an administrator asserting the DNS proof).
        const domain = org.discovery_domains.find((d) => d.id === subId);
        if (!domain) throw new HttpError(404, 'The discovery domain does not exist', 'not_found');
        const b = body || {};
        if (b.status !== undefined && b.status !== 'pending' && b.status !== 'verified') throw new HttpError(400, 'Payload validation error: status', 'invalid_body');
        if (b.status !== undefined) domain.status = b.status;
        if (typeof b.use_for_organization_discovery === 'boolean') domain.use_for_organization_discovery = b.use_for_organization_discovery;
        return ok(domain);
      }
      if (sub === 'enabled_connections' && !subId && method === 'GET') {
        // Offset pagination only (`page`, `per_page`, `include_totals`), as on Auth0.
        for (const key of ['from', 'take']) {
          if (q.has(key)) throw new HttpError(400, `Query validation error: Additional properties not allowed: ${key}`, 'invalid_query_string');
        }
        return ok(paginate(org.enabled_connections, q, 'enabled_connections'));
      }
      if (sub === 'members' && !subId) {
        if (method === 'GET') {
          return ok(
            paginate(
              org.members.map((m) => this.#memberView(m)),
              q,
              'members',
            ),
          );
        }
        if (method === 'POST') return ok(this.#addMembers(org, body), 204);
        if (method === 'DELETE') {
          const ids = body?.members || [];
          org.members = org.members.filter((m) => !ids.includes(m.user_id));
          return ok(undefined, 204);
        }
      }
      if (sub === 'members' && subId && subSub === 'roles') {
        const member = org.members.find((m) => m.user_id === subId);
        if (!member) throw new HttpError(404, 'The user is not a member of the organization', 'not_found');
        if (method === 'GET') {
          return ok(
            paginate(
              (member.roles || []).map((r) => this.#role(r)),
              q,
              'roles',
            ),
          );
        }
        if (method === 'POST') {
          const roles = body?.roles || [];
          if (!Array.isArray(roles) || roles.length === 0) throw new HttpError(400, 'Payload validation error: roles must be a non-empty array', 'invalid_body');
          for (const r of roles) this.#role(r);
          member.roles = [...new Set([...(member.roles || []), ...roles])];
          return ok(undefined, 204);
        }
      }
      if (sub === 'invitations') {
        if (method === 'GET')
          return ok(
            paginate(
              this.invitations.filter((i) => i.organization_id === org.id),
              q,
              'invitations',
            ),
          );
        if (method === 'POST') {
          const b = body || {};
          if (!b.invitee?.email || !b.inviter?.name || !b.client_id) {
            throw new HttpError(400, 'Payload validation error: invitee.email, inviter.name and client_id are required', 'invalid_body');
          }
          const inv = { id: `uinv_${crypto.randomBytes(8).toString('hex')}`, organization_id: org.id, created_at: new Date(this.clock()).toISOString(), ...b };
          this.invitations.push(inv);
          return ok(inv, 201);
        }
      }
    }

    if (resource === 'users' && id) {
      const user = this.users.find((u) => u.user_id === id);
      if (!user) throw new HttpError(404, 'The user does not exist.', 'inexistent_user');
      if (!sub && method === 'GET') return ok(user);
      if (!sub && method === 'PATCH') {
        if (body?.app_metadata) user.app_metadata = { ...(user.app_metadata || {}), ...body.app_metadata };
        if (body?.user_metadata) user.user_metadata = { ...(user.user_metadata || {}), ...body.user_metadata };
        if (typeof body?.blocked === 'boolean') user.blocked = body.blocked;
        if (body?.password !== undefined) {
          // As Auth0: a password is set on a database connection the user belongs to, named.
          const identities = /** @type {any[]} */ (Array.isArray(user.identities) ? user.identities : []);
          const identity = identities.find((i) => i.connection === body.connection);
          if (typeof body.password !== 'string' || !body.connection || !identity || identity.provider !== 'auth0') {
            throw new HttpError(400, 'Payload validation error: a password needs the connection of a database identity', 'invalid_body');
          }
          // Never kept: when it changed is all a test needs.
          user.password_set_at = new Date(this.clock()).toISOString();
        }
        return ok(user);
      }
      if (sub === 'sessions' && method === 'DELETE') {
        user.sessions_revoked_at = new Date(this.clock()).toISOString();
        return ok(undefined, 204);
      }
      if (sub === 'organizations' && method === 'GET') {
        const orgs = this.orgs.filter((o) => o.members.some((m) => m.user_id === id)).map(publicOrg);
        return ok(paginate(orgs, q, 'organizations'));
      }
    }

    // As Auth0: the users whose email is exactly this one (case-sensitive), every connection's.
    if (resource === 'users-by-email' && !id && method === 'GET') {
      const email = q.get('email');
      if (!email) throw new HttpError(400, 'Query validation error: email is required', 'invalid_query_string');
      return ok(clone(this.users.filter((u) => u.email === email)));
    }
    if (resource === 'logs' && !id && method === 'GET') return this.#logs(q);
    // Tenant Access Control List rules (an Enterprise add-on): listed with totals, created whole.
    if (resource === 'network-acls' && !id && method === 'GET') {
      const perPage = intParam(q, 'per_page', MAX_PAGE, { min: 1, max: 100 });
      const page = intParam(q, 'page', 0, { min: 0 });
      return ok({ network_acls: this.networkAcls.slice(page * perPage, (page + 1) * perPage), start: page * perPage, limit: perPage, total: this.networkAcls.length });
    }
    if (resource === 'network-acls' && !id && method === 'POST') {
      const b = body || {};
      if (typeof b.description !== 'string' || b.description.length > 255 || typeof b.active !== 'boolean' || !b.rule || typeof b.rule !== 'object') {
        throw new HttpError(400, 'Payload validation error: description, active and rule are required', 'invalid_body');
      }
      const acl = { id: `acl_${crypto.randomBytes(8).toString('hex')}`, priority: 50, ...clone(b), created_at: new Date(this.clock()).toISOString() };
      this.networkAcls.push(acl);
      return ok(undefined, 201);
    }
    if (resource === 'roles' && !id && method === 'GET') return ok(paginate(this.roles, q, 'roles'));
    if (resource === 'actions') return this.#actions(method, parts.slice(1), q, body || {});

    throw new HttpError(404, `No emulated route for ${method} ${p}`, 'not_found');
  }

  // Tenant logs, as Auth0 serves them. By checkpoint (`from` and/or `take`; every other
  // parameter ignored): the logs after `from` in log_id order (all of them without
  // `from`), `take` at most 100 (default 50), a plain array and a `Link` header whose
  // `next` carries the last log_id (an empty page's `next` is the same request). By
  // search: `page`/`per_page` (at most 100) over the logs sorted by `sort` (`date:1` or
  // `date:-1`, the default), the first 1,000 results only; `include_totals` wraps the
  // page. Log search queries (`q`, `search`) are not emulated: 400.
  /**
   * @param {URLSearchParams} q
   * @returns {Answer}
   */
  #logs(q) {
    if (this.scopes && !this.scopes.includes('read:logs')) throw new HttpError(403, 'Insufficient scope, expected any of: read:logs', 'insufficient_scope');
    if (q.has('from') || q.has('take')) {
      const take = intParam(q, 'take', MAX_PAGE, { min: 1, max: MAX_LOGS_PAGE });
      const from = q.get('from') || '';
      const page = this.logs.filter((l) => !from || compareLogIds(l.log_id, from) > 0).slice(0, take);
      const last = page.length > 0 ? page[page.length - 1].log_id : from;
      const next = new URLSearchParams(last ? { from: last, take: String(take) } : { take: String(take) });
      return { status: 200, body: clone(page), headers: { link: `<https://${this.domain}/api/v2/logs?${next}>; rel="next"` } };
    }
    for (const key of ['q', 'search']) {
      if (q.has(key)) throw new HttpError(400, `The emulator does not implement log search queries (${key})`, 'invalid_query_string');
    }
    const perPage = intParam(q, 'per_page', MAX_PAGE, { min: 1, max: MAX_LOGS_PAGE });
    const page = intParam(q, 'page', 0, { min: 0 });
    const sort = q.get('sort') || 'date:-1';
    if (sort !== 'date:1' && sort !== 'date:-1') throw new HttpError(400, "Query validation error: 'sort' is emulated for date:1 and date:-1 only", 'invalid_query_string');
    const dir = sort === 'date:1' ? 1 : -1;
    // A log without a date (Auth0 has none) is not found by a search.
    const sorted = this.logs
      .map((l, i) => ({ l, i, t: Date.parse(l.date) }))
      .filter((x) => Number.isFinite(x.t))
      .sort((a, b) => dir * (a.t - b.t || a.i - b.i))
      .map((x) => x.l)
      .slice(0, MAX_LOG_SEARCH_RESULTS);
    const logs = clone(sorted.slice(page * perPage, (page + 1) * perPage));
    if (q.get('include_totals') === 'true') {
      return { status: 200, body: { logs, start: page * perPage, limit: perPage, length: logs.length, total: sorted.length } };
    }
    return { status: 200, body: logs };
  }

  // Actions: create or update, a background build (a syntax and handler check, as
  // Auth0's build refuses code it cannot load), deploy, and trigger bindings.
  /**
   * @param {string} method
   * @param {string[]} path what follows /api/v2/actions/
   * @param {URLSearchParams} q
   * @param {any} body
   * @returns {Answer}
   */
  #actions(method, [kind, id, verb], q, body) {
    /** @type {(b: unknown, status?: number) => Answer} */
    const ok = (b, status = 200) => ({ status, body: b });
    /** @type {(a: Harness.EmulatedAction) => object} */
    const view = (a) => ({ ...a, secrets: a.secrets.map((x) => ({ name: x.name, updated_at: a.updated_at })), polls: undefined, version_count: undefined });
    if (kind === 'actions' && !id && method === 'GET') {
      const name = q.get('actionName');
      return ok(pageOf(this.actions.filter((a) => !name || a.name === name).map(view), q, 'actions'));
    }
    if (kind === 'actions' && !id && method === 'POST') {
      this.#checkAction(body, true);
      if (this.actions.some((a) => a.name === body.name)) throw new HttpError(409, 'An action with this name already exists', 'conflict');
      const now = new Date(this.clock()).toISOString();
      /** @type {Harness.EmulatedAction} */
      const action = { id: crypto.randomUUID(), name: body.name, supported_triggers: body.supported_triggers, created_at: now, updated_at: now, version_count: 0 };
      this.#applyAction(action, body);
      this.actions.push(action);
      return ok(view(action), 201);
    }
    if (kind === 'actions' && id) {
      const action = this.actions.find((a) => a.id === id);
      if (!action) throw new HttpError(404, 'Action not found', 'not_found');
      if (!verb && method === 'GET') {
        if (action.status !== 'built' && action.status !== 'failed') {
          action.polls += 1;
          if (action.polls >= BUILD_POLLS) this.#build(action);
          else action.status = 'building';
        }
        return ok(view(action));
      }
      if (!verb && method === 'PATCH') {
        this.#checkAction(body, false);
        this.#applyAction(action, body);
        return ok(view(action));
      }
      if (verb === 'deploy' && method === 'POST') {
        if (action.status !== 'built') throw new HttpError(400, `The action cannot be deployed: its status is ${action.status}`, 'invalid_body');
        action.version_count += 1;
        action.deployed_version = {
          id: crypto.randomUUID(),
          action_id: action.id,
          number: action.version_count,
          deployed: true,
          status: 'built',
          code: action.code,
          dependencies: action.dependencies,
          runtime: action.runtime,
        };
        action.all_changes_deployed = true;
        return ok(action.deployed_version, 200);
      }
    }
    if (kind === 'triggers' && id && verb === 'bindings') {
      if (!TRIGGER_VERSIONS[id]) throw new HttpError(404, `Unknown trigger ${id}`, 'not_found');
      this.bindings[id] ||= [];
      if (method === 'GET') return ok(pageOf(this.bindings[id], q, 'bindings'));
      if (method === 'PATCH') {
        if (!Array.isArray(body.bindings)) throw new HttpError(400, 'Payload validation error: bindings must be an array', 'invalid_body');
        const next = body.bindings.map((b) => {
          const ref = b?.ref || {};
          const action = this.actions.find((a) => (ref.type === 'action_name' ? a.name === ref.value : ref.type === 'action_id' ? a.id === ref.value : false));
          if (!action) throw new HttpError(400, `No action for binding ref ${JSON.stringify(ref)}`, 'invalid_body');
          if (!action.deployed_version) throw new HttpError(400, `The action ${action.name} has never been deployed`, 'invalid_body');
          if (!action.supported_triggers.some((t) => t.id === id)) throw new HttpError(400, `The action ${action.name} does not support ${id}`, 'invalid_body');
          return { id: crypto.randomUUID(), trigger_id: id, display_name: b.display_name || action.name, action: { id: action.id, name: action.name } };
        });
        this.bindings[id] = next;
        return ok({ bindings: next });
      }
    }
    throw new HttpError(404, `No emulated route for ${method} actions/${[kind, id, verb].filter(Boolean).join('/')}`, 'not_found');
  }

  /**
   * @param {any} body
   * @param {boolean} creating
   */
  #checkAction(body, creating) {
    if (creating && (typeof body.name !== 'string' || body.name.length === 0)) throw new HttpError(400, 'Payload validation error: name is required', 'invalid_body');
    const triggers = body.supported_triggers;
    if (creating || triggers) {
      if (!Array.isArray(triggers) || triggers.length !== 1 || TRIGGER_VERSIONS[triggers[0]?.id] !== triggers[0]?.version) {
        throw new HttpError(400, 'Payload validation error: supported_triggers must name one trigger at a supported version', 'invalid_body');
      }
    }
    if (body.code !== undefined && (typeof body.code !== 'string' || Buffer.byteLength(body.code) > 100 * 1024))
      throw new HttpError(400, 'Payload validation error: code must be a string of at most 100 kB', 'invalid_body');
    if (body.dependencies !== undefined && (!Array.isArray(body.dependencies) || body.dependencies.length > 10))
      throw new HttpError(400, 'Payload validation error: at most 10 dependencies', 'invalid_body');
  }

  /**
   * @param {Harness.EmulatedAction} action
   * @param {any} body
   */
  #applyAction(action, body) {
    if (body.supported_triggers) action.supported_triggers = body.supported_triggers;
    if (body.code !== undefined) action.code = body.code;
    action.dependencies = body.dependencies ?? action.dependencies ?? [];
    action.runtime = body.runtime ?? action.runtime ?? 'node22';
    action.secrets = body.secrets ?? action.secrets ?? [];
    action.status = 'pending';
    action.polls = 0;
    action.all_changes_deployed = false;
    action.updated_at = new Date(this.clock()).toISOString();
  }

  /** @param {Harness.EmulatedAction} action */
  #build(action) {
    const handler = HANDLERS[action.supported_triggers[0].id];
    try {
      /** @type {Record<string, unknown>} */
      const exports = {};
      const fn = new Function('exports', 'require', 'module', `${action.code}\n//# sourceURL=action.js`);
      // Dependencies are installed by Auth0 at build; here only their names are checked.
      const names = new Set(action.dependencies.map((d) => d.name));
      fn(
        exports,
        (m) => {
          if (!names.has(m.split('/')[0]) && !m.startsWith('node:')) throw new Error(`Cannot find module '${m}'`);
          return new Proxy({}, { get: () => () => ({}) });
        },
        { exports },
      );
      if (typeof exports[handler] !== 'function' || exports[handler].constructor.name !== 'AsyncFunction') throw new Error(`exports.${handler} must be an async function`);
      action.status = 'built';
      action.built_at = new Date(this.clock()).toISOString();
      action.errors = [];
    } catch (err) {
      action.status = 'failed';
      action.errors = [{ id: 'build_failed', msg: String(err.message).slice(0, 200) }];
    }
  }

  /**
   * @param {any} body
   * @returns {Answer}
   */
  #token(body) {
    if (body.grant_type !== 'client_credentials') throw new HttpError(400, 'Unsupported grant type', 'unsupported_grant_type');
    const idOk = !this.clientId || body.client_id === this.clientId;
    const secretOk = !this.clientSecret || body.client_secret === this.clientSecret;
    if (!idOk || !secretOk) throw new HttpError(401, 'Unauthorized', 'access_denied');
    const token = `emu_${crypto.randomBytes(16).toString('hex')}`;
    this.tokens.add(token);
    return { status: 200, body: { access_token: token, token_type: 'Bearer', expires_in: 86400, scope: 'read:organizations create:organization_members' } };
  }

  /**
   * @param {(org: Harness.Organization) => boolean} pred
   * @returns {Harness.Organization}
   */
  #org(pred) {
    const org = this.orgs.find(pred);
    if (!org) throw new HttpError(404, 'No organization found by that id or name', 'not_found');
    return org;
  }

  /**
   * @param {string} id
   * @returns {Harness.Role}
   */
  #role(id) {
    const role = this.roles.find((r) => r.id === id);
    if (!role) throw new HttpError(404, `The role \`${id}\` does not exist`, 'not_found');
    return role;
  }

  /** @param {Harness.Member} m */
  #memberView(m) {
    /** @type {Partial<Harness.FixtureUser>} */
    const u = this.users.find((x) => x.user_id === m.user_id) || {};
    return { user_id: m.user_id, email: u.email, name: u.name || u.email, picture: u.picture };
  }

  /**
   * @param {Harness.Organization} org
   * @param {any} body
   */
  #addMembers(org, body) {
    const ids = body?.members;
    if (!Array.isArray(ids) || ids.length === 0) throw new HttpError(400, 'Payload validation error: members must be a non-empty array', 'invalid_body');
    if (ids.length > MAX_MEMBERS_PER_ADD) throw new HttpError(400, `Payload validation error: at most ${MAX_MEMBERS_PER_ADD} members per request`, 'invalid_body');
    for (const id of ids) {
      if (!this.users.some((u) => u.user_id === id)) throw new HttpError(400, `The user \`${id}\` does not exist`, 'invalid_body');
      // Adding an existing member is a no-op, as on Auth0.
      if (!org.members.some((m) => m.user_id === id)) org.members.push({ user_id: id, roles: [] });
    }
    return undefined;
  }

  /** @param {any} body */
  #createOrg(body) {
    if (typeof body.name !== 'string' || !/^[a-z0-9_-]{1,50}$/.test(body.name)) {
      throw new HttpError(400, 'Payload validation error: name must match ^[a-z0-9_-]{1,50}$', 'invalid_body');
    }
    if (this.orgs.some((o) => o.name === body.name)) throw new HttpError(409, 'An organization with this name already exists', 'conflict');
    const org = /** @type {Harness.Organization} */ ({
      id: `org_${crypto.randomBytes(8).toString('hex')}`,
      members: [],
      discovery_domains: [],
      enabled_connections: [],
      ...pick(body, ['name', 'display_name', 'metadata', 'branding']),
    });
    this.orgs.push(org);
    return publicOrg(org);
  }
}

const SYNTAX_ERROR = Symbol('syntax error');

/**
 * Auth0's log_ids are decimal strings that grow with time: compared as numbers
 * (a shorter one is smaller), then as text.
 * @param {string} a
 * @param {string} b
 */
function compareLogIds(a, b) {
  return a.length - b.length || (a < b ? -1 : a > b ? 1 : 0);
}
/**
 * @param {string} text
 * @returns {any} the JSON value, or SYNTAX_ERROR
 */
function safeJson(text) {
  try {
    return JSON.parse(text);
  } catch {
    return SYNTAX_ERROR;
  }
}

/**
 * @param {Record<string, any>} obj
 * @param {string[]} keys
 * @returns {Record<string, any>}
 */
function pick(obj, keys) {
  return Object.fromEntries(keys.filter((k) => k in obj).map((k) => [k, obj[k]]));
}

/**
 * An enabled connection as `GET /api/v2/organizations/{id}/enabled_connections` lists it.
 * @param {string} orgId
 * @param {Harness.FixtureEnabledConnection} c a connection name, or its parts
 * @param {number} i
 * @returns {Harness.StoredEnabledConnection}
 */
function enabledConnection(orgId, c, i) {
  if (typeof c === 'object' && 'connection' in c) return { ...c, connection: { ...c.connection } };
  const e = typeof c === 'string' ? { name: c } : c;
  return {
    connection_id: e.connection_id || `con_${crypto.createHash('sha256').update(`${orgId}\0${e.name}\0${i}`).digest('hex').slice(0, 16)}`,
    assign_membership_on_login: e.assign_membership_on_login ?? false,
    show_as_button: e.show_as_button ?? true,
    is_signup_enabled: e.is_signup_enabled ?? false,
    connection: { name: e.name, strategy: e.strategy || 'oidc' },
  };
}

/** @param {Harness.FixtureOrganization} o */
function publicOrg(o) {
  return pick(o, ['id', 'name', 'display_name', 'metadata', 'branding']);
}

module.exports = { ManagementEmulator, MAX_PAGE };
