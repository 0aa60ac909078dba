/**
 * ActionGuard post-user-registration Action: put a new user in the Auth0 Organization
 * that verified their email domain (with the roles its policy maps), or invite an
 * unverified address, through the Management API. Suggestions and proposed new
 * organizations are only audited here: nothing is created without a person.
 *
 * Dependencies: actionguard, auth0 (npm). Secrets: AUTH0_DOMAIN, AUTH0_CLIENT_ID,
 * AUTH0_CLIENT_SECRET (M2M with read:organizations, read:organization_discovery_domains,
 * create:organization_members, create:organization_member_roles,
 * create:organization_invitations), INVITATION_CLIENT_ID (the application invitations
 * open; without it no invitation is sent), APPROVAL_WEBHOOK_URL and
 * APPROVAL_WEBHOOK_SECRET (where proposed organizations go, signed), POLICY (optional).
 * This trigger runs after the user exists and cannot block sign-up: failures are audited.
 */

const crypto = require('node:crypto');

let actionguard;
let auth0;
let loadError;
try {
  actionguard = require('actionguard');
  auth0 = require('auth0');
} catch (err) {
  loadError = err;
}

const TOKEN_KEY = 'actionguard:mgmt-token';
const APPROVAL_TIMEOUT_MS = 2000;
// The index is rebuilt from the Management API at most this often per instance.
const INDEX_TTL_MS = 5 * 60 * 1000;

let engine;
let engineFor;
let index;
let indexAt = 0;

function getEngine(policy) {
  if (!engine || engineFor !== policy) {
    engine = new actionguard.Engine(policy);
    engineFor = policy;
  }
  return engine;
}

// One M2M token for every instance of this trigger while it lasts: api.cache is shared
// by the trigger's instances, the SDK's own token cache is not.
async function managementClient(secrets, api) {
  const domain = secrets.AUTH0_DOMAIN;
  let token = api.cache.get(TOKEN_KEY)?.value;
  if (!token) {
    const res = await fetch(`https://${domain}/oauth/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({
        grant_type: 'client_credentials', client_id: secrets.AUTH0_CLIENT_ID, client_secret: secrets.AUTH0_CLIENT_SECRET, audience: `https://${domain}/api/v2/`,
      }),
      signal: AbortSignal.timeout(5000),
    });
    if (!res.ok) throw Object.assign(new Error('the token endpoint refused'), { code: 'token_failed', statusCode: res.status });
    const grant = await res.json();
    token = grant.access_token;
    api.cache.set(TOKEN_KEY, token, { ttl: Math.max(60, (grant.expires_in || 3600) - 300) * 1000 });
  }
  return new auth0.ManagementClient({ domain, token });
}

async function all(first) {
  const items = [];
  for (let page = await first; ; page = await page.getNextPage()) {
    items.push(...page.data);
    if (!page.hasNextPage()) return items;
  }
}

// Organizations with their discovery domains, in pages of at most 50 (the SDK
// waits out a 429 for as long as x-ratelimit-reset says). One request per
// organization: for large tenants load a snapshot made by scripts/sync-orgs instead.
async function loadIndex(mgmt) {
  if (index && Date.now() - indexAt < INDEX_TTL_MS) return index;
  const records = [];
  for (const org of await all(mgmt.organizations.list({ take: 50 }))) {
    const domains = await all(mgmt.organizations.discoveryDomains.list(org.id, { take: 50 }));
    records.push({ id: org.id, name: org.name, metadata: org.metadata, discovery_domains: domains });
  }
  const built = actionguard.buildOrgIndex(records);
  if (built.type !== 'success') throw Object.assign(new Error(built.errors[0].message), built.errors[0]);
  index = built.index;
  indexAt = Date.now();
  return index;
}

// A proposed organization goes to a person, signed (HMAC-SHA256 of the body) and keyed
// by tenant and domain, so every sign-up from one new domain asks the same question
// once: the cache skips repeats here, the key lets the approver drop the rest.
async function requestApproval(secrets, api, tenant, decision) {
  const dedupeKey = crypto.createHash('sha256').update(`create_organization\0${tenant}\0${decision.proposal.domain}`).digest('hex').slice(0, 32);
  const seenKey = `actionguard:approval:${dedupeKey}`;
  if (api.cache.get(seenKey)) return 'already_requested';
  const body = JSON.stringify({
    kind: 'create_organization', dedupe_key: dedupeKey, tenant, proposal: decision.proposal,
    requested_by: JSON.parse(decision.audit).user, requested_at: new Date().toISOString(),
  });
  const signature = crypto.createHmac('sha256', secrets.APPROVAL_WEBHOOK_SECRET).update(body).digest('hex');
  const res = await fetch(secrets.APPROVAL_WEBHOOK_URL, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-actionguard-signature': `sha256=${signature}`, 'idempotency-key': dedupeKey },
    body,
    signal: AbortSignal.timeout(APPROVAL_TIMEOUT_MS),
  });
  if (!res.ok) throw Object.assign(new Error('the approval webhook refused'), { code: 'approval_failed', statusCode: res.status });
  api.cache.set(seenKey, '1', { ttl: 24 * 3600 * 1000 });
  return 'requested';
}

exports.onExecutePostUserRegistration = async (event, api) => {
  const audit = (fields) => console.log(JSON.stringify({
    actionguard_audit: 1, trigger: 'post-user-registration', tenant: typeof event?.tenant?.id === 'string' ? event.tenant.id : null, ...fields,
  }));
  try {
    if (loadError) throw Object.assign(new Error('actionguard failed to load'), { code: 'load_failed' });
    const secrets = event.secrets || {};
    const guard = getEngine(secrets.POLICY);
    const mgmt = await managementClient(secrets, api);
    const decision = guard.decideOrganization(await loadIndex(mgmt), {
      tenant: event.tenant,
      user: { user_id: event.user?.user_id, email: event.user?.email, email_verified: event.user?.email_verified, app_metadata: event.user?.app_metadata },
      connection: { name: event.connection?.name },
      now_ms: Date.now(),
    });
    if (decision.type !== 'success') throw Object.assign(new Error(decision.errors[0].message), decision.errors[0]);
    console.log(decision.audit);

    const org = decision.organization;
    if (decision.action === 'join') {
      // Adding a member twice is a no-op on Auth0, so a retried execution is harmless.
      await mgmt.organizations.members.create(org.id, { members: [event.user.user_id] });
      if (decision.roles.length) await mgmt.organizations.members.roles.assign(org.id, event.user.user_id, { roles: decision.roles });
    } else if (decision.action === 'invite' && secrets.INVITATION_CLIENT_ID) {
      await mgmt.organizations.invitations.create(org.id, {
        inviter: { name: 'ActionGuard' }, invitee: { email: event.user.email }, client_id: secrets.INVITATION_CLIENT_ID, roles: decision.roles,
      });
    } else if (decision.action === 'create_for_approval' && secrets.APPROVAL_WEBHOOK_URL && secrets.APPROVAL_WEBHOOK_SECRET) {
      audit({ approval: await requestApproval(secrets, api, event.tenant?.id ?? null, decision) });
    }
  } catch (err) {
    // Error messages may quote input or the Management API's answer: code and status only.
    audit({ outcome: 'allow', fail_mode: true, error: { code: err?.code || 'internal', path: err?.path || null, status: err?.statusCode ?? null } });
  }
};
