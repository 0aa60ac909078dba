// @ts-check
'use strict';
// Realistic default events, one per trigger. Absent fields of a given event are
// filled from these (deep, objects only: arrays, scalars and explicit nulls in
// the given event win). The post-login one follows Auth0's official sample v3
// event field by field, but describes an ordinary clean login: a returning user
// on a known device, whom Auth0's risk assessment trusts.

const TENANT = 'actionguard-demo';
const DATE = '2026-11-02T09:14:07.000Z';

const request = {
  ip: '203.0.113.24',
  asn: 'AS64500',
  method: 'POST',
  hostname: `${TENANT}.eu.auth0.com`,
  language: 'en',
  user_agent: 'Mozilla/5.0 (Macintosh; Intel Mac OS X 14_6) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.6 Safari/605.1.15',
  query: { protocol: 'oauth2', client_id: 'vJ2nA7hQ3tT9cK1mP6rX0sW4yZ8bD5eF', response_type: 'code', scope: 'openid profile email' },
  body: {},
  geoip: {
    cityName: 'Amsterdam',
    continentCode: 'EU',
    countryCode: 'NL',
    countryCode3: 'NLD',
    countryName: 'Netherlands',
    latitude: 52.3676,
    longitude: 4.9041,
    subdivisionCode: 'NH',
    subdivisionName: 'North Holland',
    timeZone: 'Europe/Amsterdam',
  },
};

const client = { client_id: 'vJ2nA7hQ3tT9cK1mP6rX0sW4yZ8bD5eF', name: 'Acme Dashboard', metadata: {} };
const connection = { id: 'con_fpe5kj482KO1eOzQ', name: 'Username-Password-Authentication', strategy: 'auth0', metadata: {} };

const user = {
  user_id: 'auth0|65f1c0ffee1234567890abcd',
  email: 'dana.kowalski@acme-industries.com',
  email_verified: true,
  name: 'Dana Kowalski',
  given_name: 'Dana',
  family_name: 'Kowalski',
  nickname: 'dana.kowalski',
  username: 'dkowalski',
  picture: 'https://s.gravatar.com/avatar/0000?s=480&d=identicon',
  phone_verified: false,
  created_at: '2025-03-13T08:01:55.000Z',
  updated_at: DATE,
  last_password_reset: '2026-01-20T10:00:00.000Z',
  identities: [{ connection: connection.name, isSocial: false, provider: 'auth0', user_id: '65f1c0ffee1234567890abcd', userId: '65f1c0ffee1234567890abcd' }],
  app_metadata: {},
  user_metadata: {},
  multifactor: ['guardian'],
  enrolledFactors: [{ type: 'otp' }],
};

/** @type {Auth0Actions.EventByTrigger} */
const DEFAULTS = {
  'post-login': {
    transaction: {
      id: 'nZniEmn3ejOpcV46_ac1CxJCuO_gAuwR',
      locale: 'en',
      protocol: 'oidc-basic-profile',
      requested_scopes: ['openid', 'profile', 'email'],
      redirect_uri: 'https://app.acme-industries.com/callback',
      response_mode: 'query',
      response_type: ['code'],
      state: 'AABBccddEEFFGGTTasrs',
      ui_locales: ['en'],
      acr_values: [],
      prompt: [],
      metadata: {},
    },
    authentication: {
      methods: [{ name: 'pwd', timestamp: DATE }],
      riskAssessment: {
        confidence: 'high',
        version: '1',
        assessments: {
          UntrustedIP: { confidence: 'high', code: 'not_found_on_deny_list' },
          NewDevice: { confidence: 'high', code: 'match', details: { device: 'known', useragent: 'known' } },
          ImpossibleTravel: { confidence: 'high', code: 'minimal_travel_from_last_login' },
        },
      },
    },
    authorization: { roles: [] },
    client,
    connection,
    request,
    resource_server: { identifier: 'https://api.acme-industries.com' },
    session: {
      id: 'sess_3fJ8kZ0aQ1',
      device: {
        initial_ip: request.ip,
        last_ip: request.ip,
        initial_asn: request.asn,
        last_asn: request.asn,
        initial_user_agent: request.user_agent,
        last_user_agent: request.user_agent,
      },
    },
    stats: { logins_count: 62 },
    tenant: { id: TENANT },
    secrets: {},
    configuration: {},
    user,
  },
  'pre-user-registration': {
    transaction: { id: 'c5v2HJpM1cT9', locale: 'en', protocol: 'oidc-basic-profile', requested_scopes: ['openid', 'profile'], ui_locales: ['en'] },
    client,
    connection,
    request,
    tenant: { id: TENANT },
    secrets: {},
    user: { email: 'sam.lee@acme-industries.com', name: 'Sam Lee', app_metadata: {}, user_metadata: {} },
  },
  'post-user-registration': {
    connection,
    request,
    tenant: { id: TENANT },
    secrets: {},
    user: {
      user_id: 'auth0|66aa00bb11cc22dd33ee44ff',
      email: 'sam.lee@acme-industries.com',
      email_verified: false,
      name: 'Sam Lee',
      created_at: DATE,
      app_metadata: {},
      user_metadata: {},
    },
  },
  'credentials-exchange': {
    transaction: { requested_scopes: ['read:reports'] },
    client: { client_id: 'm2mA7hQ3tT9cK1mP6rX0sW4yZ8bD5eF', name: 'Reporting Service', metadata: {} },
    request: { ip: '198.51.100.7', hostname: `${TENANT}.eu.auth0.com`, user_agent: 'node-fetch/1.0', geoip: request.geoip, body: {}, method: 'POST' },
    resource_server: { identifier: 'https://api.acme-industries.com' },
    accessToken: { scope: ['read:reports'], customClaims: {} },
    tenant: { id: TENANT },
    secrets: {},
  },
};

/**
 * @param {unknown} v
 * @returns {v is Record<string, unknown>}
 */
function isPlainObject(v) {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/**
 * @param {object} defaults
 * @param {unknown} given
 * @returns {any} what the Action gets as its event, however malformed `given` is
 */
function fillDefaults(defaults, given) {
  if (!isPlainObject(given)) return given;
  const out = { ...given };
  for (const [key, value] of Object.entries(defaults)) {
    if (!(key in given)) out[key] = structuredClone(value);
    else if (isPlainObject(value) && isPlainObject(given[key])) out[key] = fillDefaults(value, given[key]);
  }
  return out;
}

/**
 * @template {Auth0Actions.Trigger} T
 * @param {T} trigger
 * @returns {Auth0Actions.EventByTrigger[T]} a fresh copy
 */
function defaultEvent(trigger) {
  const event = DEFAULTS[trigger];
  if (!event) throw new Error(`Unknown trigger ${JSON.stringify(trigger)}`);
  return structuredClone(event);
}

module.exports = { defaultEvent, fillDefaults, TENANT };
