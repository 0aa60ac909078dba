// The typed contract of the npm package `actionguard`: every call and every answer of
// the WebAssembly facade (wasm/src/lib.rs). Hand-written, because wasm-bindgen types
// every JavaScript value as `any`; scripts/build ships it as pkg/actionguard.d.ts in
// place of the generated file. Each type mirrors a Rust type of the core (named in its
// comment) and its serde attributes: a field the Rust side skips when empty is optional
// (`?`), an `Option` it always writes is `T | null`. actions-js/test/contract.test.js
// type-checks real answers against this file, so a change on either side that the other
// does not follow fails there. The functions and classes here are the Actions' module's;
// the control plane's module adds its own in control-plane.d.ts, with these types.
//
// Inputs (contexts, records, policies) are JSON text or plain objects: every field is
// optional, as the Rust side defaults it, and an input it cannot read is a failure
// answer, never a throw. Only misuse (a value JSON cannot represent as a policy) throws,
// an `Error` with a stable `code`.

// ---------------------------------------------------------------------------------------
// Answers (src/answer.rs)
// ---------------------------------------------------------------------------------------

/** A problem with an input (`Issue`). */
export interface Issue {
  /** A stable machine code (`invalid_context`, `policy_rejected`, `ignored_field`...). */
  code: string;
  /** The dotted path of the offending field, when there is one. */
  path?: string;
  /** A lowercase sentence for people. */
  message: string;
}

/** The success of an answer: its payload's fields beside `type` and `warnings`. */
export type Success<T> = { type: "success" } & T & {
  /** What was ignored or fell back on the way (ignored fields, a rejected policy). */
  warnings: Issue[];
};

/** The failure of an answer: the input could not be used. */
export interface Failure {
  type: "failure";
  /** Why, one issue per problem found. */
  errors: Issue[];
}

/** Every call's answer (`Answer<T>`): `{ type: "success", ...payload, warnings } | { type: "failure", errors }`. */
export type Answer<T> = Success<T> | Failure;

// ---------------------------------------------------------------------------------------
// Shared vocabulary (src/decision.rs, src/policy.rs, src/domains.rs, src/llm.rs, src/cache.rs)
// ---------------------------------------------------------------------------------------

/** What the Action must do (`Outcome`), from least to most strict. */
export type Outcome = "allow" | "challenge" | "deny";

/** The login's risk level (`RiskLevel`), as the `risk_level` claim carries it. */
export type RiskLevel = "low" | "medium" | "high";

/** What to do when a decision cannot be made (`FailMode`). */
export type FailMode = "challenge" | "allow" | "deny";

/** Auth0's factor names, as `challengeWithAny` and `enrolledFactors` spell them (`Factor`). */
export type Factor = "otp" | "webauthn-platform" | "webauthn-roaming" | "push-notification" | "phone" | "email" | "recovery-code";

/** The kind of a mail domain, never the domain (`DomainClass`). */
export type DomainClass = "disposable" | "free_mail" | "other";

/**
 * How an LLM escalation ended (`AuditLlm::result`): `answered`, `low_confidence`,
 * `invalid_answer`, `out_of_options`, `refused`, `invalid_model`, a shim failure, or
 * `failed` for a failure the shim named with a code the core does not know.
 */
export type LlmResult =
  | "answered"
  | "low_confidence"
  | "invalid_answer"
  | "out_of_options"
  | "refused"
  | "invalid_model"
  | "failed"
  /** Classification's step two: no answer came back for the organization (never sent). */
  | "not_asked"
  | LlmFailure;

/**
 * Why an escalation has no response (`SHIM_FAILURES`): the shim reports the last six; the core
 * decides `circuit_open` and `rate_limited` itself, and still reads them. `budget_unavailable`:
 * the budgets' cache write was refused or did not read back, so nothing was sent (fail closed).
 */
export type LlmFailure =
  | "circuit_open"
  | "rate_limited"
  | "budget_unavailable"
  | "timeout"
  | "unreachable"
  | "http_429"
  | "http_5xx"
  | "http_error";

/** Whether decisions of a kind are applied or only watched (`EnforcementMode`). */
export type EnforcementMode = "enforce" | "monitor";

/**
 * How a decision was treated (`enforcement::Applied`): the policy's rollout for its kind and
 * whether this one was applied. Not enforced: the answer applies nothing (`outcome` allow, a
 * suggestion at most for discovery) and `would_outcome` / `would_action` say what was decided.
 */
export interface AppliedEnforcement {
  /** The policy's mode for this kind of decision. */
  mode: EnforcementMode;
  /** The policy's percentage of subjects enforced, 0 to 100. */
  percent: number;
  /** Whether this decision was applied. */
  enforced: boolean;
}

/** Why (`Reason`): a stable machine code; the sentences go to the audit line. */
export interface Reason {
  /** A stable machine code (docs/reasons.md lists them). */
  code: string;
  /** The signal's own strength when the reason is evidence, absent for policy. */
  weight?: number;
}

/** `api.cache.set(key, value, { ttl: ttl_ms })`; without `ttl_ms`, Auth0's default lifetime (`cache::CacheWrite`). */
export interface CacheWrite {
  /** One of `Engine.cacheKeys`. */
  key: string;
  /** The value to store, as it is. */
  value: string;
  /** The lifetime, in milliseconds. */
  ttl_ms?: number;
}

/** The `api.cache` keys the core reads and writes, by role (`cache::KEYS`). */
export interface CacheKeys {
  /** Sign-up counters per address, network and domain (keyed hashes; pre-user-registration). */
  signup_counters: string;
  /** The LLM's rate limit and circuit breaker, one entry: `<minute>:<calls in it>:<failures in a row>:<open until, ms>`. */
  llm_budget: string;
}

/** A request for the shim to send, within its timeout (`llm::Escalation`). */
export interface Escalation {
  /** The exact JSON body to POST to `{LLM_BASE_URL}/chat/completions`: what leaves the Action is this string and nothing else. */
  body: string;
  /** The only answers the LLM may give. */
  options: string[];
  /** The whole call's budget, answer read included. */
  timeout_ms: number;
}

// ---------------------------------------------------------------------------------------
// Post-login (src/context.rs, src/llm.rs, src/decision.rs, src/risk/history.rs, src/login.rs)
// ---------------------------------------------------------------------------------------

/** `event.tenant` (`Tenant`). */
export interface Tenant {
  /** The tenant id: pseudonyms in audit records are keyed by it. */
  id?: string | null;
}

/** `event.user`, the parts post-login uses (`User`). */
export interface LoginUser {
  /** The user id; the audit line carries only its pseudonym. */
  user_id?: string | null;
  /** Only for an organization's domain restriction; never logged. */
  email?: string | null;
  /** Whether the address is verified: a domain restriction admits only verified ones. */
  email_verified?: boolean | null;
  /** The factors the user has enrolled. */
  enrolledFactors?: EnrolledFactor[] | null;
}

/** One of `event.user.enrolledFactors` (`EnrolledFactor`). */
export interface EnrolledFactor {
  /** The factor's name, as Auth0 spells it (see `Factor`). */
  type?: string | null;
}

/** `event.stats` (`Stats`). */
export interface LoginStats {
  /** Logins so far, this one included. */
  logins_count?: number | null;
}

/** `event.request`, the parts the core uses (`Request`). */
export interface RequestInfo {
  /** The client's IP address. */
  ip?: string | null;
  /** The network's autonomous system number, as Auth0 gives it. */
  asn?: string | null;
  /** Cut to 512 bytes. */
  user_agent?: string | null;
  /** Where the IP address is. */
  geoip?: GeoIp | null;
}

/** `event.request.geoip`, the parts the core uses (`GeoIp`). */
export interface GeoIp {
  /** ISO 3166-1 alpha-2. */
  countryCode?: string | null;
  /** Degrees, -90..90. */
  latitude?: number | null;
  /** Degrees, -180..180. */
  longitude?: number | null;
}

/** `event.authentication` (`Authentication`). */
export interface Authentication {
  /** Auth0's own adaptive-MFA signals. */
  riskAssessment?: Auth0RiskAssessment | null;
  /** Methods completed in this session; an `mfa` entry confirms what a previous challenge was about. */
  methods?: AuthMethod[] | null;
}

/** One of `event.authentication.methods` (`AuthMethod`). */
export interface AuthMethod {
  /** `mfa`, `pwd`, `federated`... */
  name?: string | null;
  /** When it completed (RFC 3339). */
  timestamp?: string | null;
}

/** `event.authentication.riskAssessment`, Auth0's own adaptive-MFA signals (`Auth0RiskAssessment`). */
export interface Auth0RiskAssessment {
  /** Auth0's overall confidence: `low`, `medium`, `high` or `neutral`. */
  confidence?: string | null;
  /** Auth0's assessments, by name. */
  assessments?: Auth0Assessments | null;
}

/** `riskAssessment.assessments`, the ones the core reads (`Assessments`). */
export interface Auth0Assessments {
  /** Travel from the last login. */
  ImpossibleTravel?: Auth0Assessment | null;
  /** Whether the device was seen before. */
  NewDevice?: Auth0Assessment | null;
  /** The IP address's reputation. */
  UntrustedIP?: Auth0Assessment | null;
}

/** One of Auth0's assessments (`Assessment`). */
export interface Auth0Assessment {
  /** Auth0's code (`impossible_travel_from_last_login`, `no_match`...). */
  code?: string | null;
  /** Auth0's confidence in it. */
  confidence?: string | null;
}

/** `event.organization`, on an organization login (`Organization`). */
export interface LoginOrganization {
  /** The organization id. */
  id?: string | null;
  /** The organization name. */
  name?: string | null;
  /** String pairs in Auth0 (`ag_tier`, `ag_policy`...); anything else in a value is ignored, not an error. */
  metadata?: Record<string, unknown> | null;
}

/** What the host tells post-login about organization discovery (`DiscoveryContext`). */
export interface DiscoveryContext {
  /** The host can run discovery (the `auth0` SDK and the Management API secrets are there). */
  available?: boolean;
  /** The JSON text (`JSON.stringify`) of `app_metadata.actionguard_org`, the marker a previous discovery left; read leniently, never a failed context. */
  marker?: string | null;
}

/** What the shim tells the core about the LLM, on the decision's context (`llm::Exchange`). */
export interface LlmExchange {
  /** `LLM_BASE_URL` is set: the core may ask for an escalation. */
  available?: boolean;
  /** `LLM_MODEL`, written into the request body. */
  model?: string | null;
  /** The HTTP response body of the call, as received. */
  response?: string | null;
  /** Why there is no response: one of `LlmFailure`; anything else is recorded as `failed`. */
  failure?: string | null;
  /** The budgets' value (rate limit and breaker) as the host read it from `api.cache` (`CacheKeys.llm_budget`): any value, read leniently. */
  state?: unknown;
  /** `LLM_BASE_URL`: plain `http://` is asked only on this machine (loopback); anything else is not asked (warning `llm_endpoint_insecure`). */
  base_url?: string | null;
}

/** The input of `decideLogin` and `explainLogin`: slices of the post-login `event` (`LoginContext`). */
export interface LoginContext {
  /** `event.tenant`. */
  tenant?: Tenant | null;
  /** `event.user`, the parts used. */
  user?: LoginUser | null;
  /** `event.stats`. */
  stats?: LoginStats | null;
  /** `event.request`, the parts used. */
  request?: RequestInfo | null;
  /** `event.authentication`. */
  authentication?: Authentication | null;
  /** `event.organization`. */
  organization?: LoginOrganization | null;
  /** `event.user.app_metadata.actionguard`, as found: others may have written anything there, so it is parsed leniently. */
  history?: unknown;
  /** The Action's clock (`Date.now()`), so replays keep their own timing. */
  now_ms?: number | null;
  /** The LLM escalation: whether one is possible, then its response. */
  llm?: LlmExchange | null;
  /** Organization discovery from post-login. */
  discovery?: DiscoveryContext | null;
  /** `event.transaction`: its `protocol` tells a refresh-token exchange (never challenged, never learned) from a login. */
  transaction?: { protocol?: string | null } | null;
  /** `event.session`: a challenged login is learned only when its own session later shows the MFA. */
  session?: { id?: string | null } | null;
  /** The `ORG_LAYERS_KEY` secret (16+ characters): it verifies organizations' `ag_sig` when the policy sets `organizations.unsigned_tier`. Never logged nor audited. */
  organization_layers_key?: string | null;
  /** What the host says of the threat feed: why it has none, or holds only an older one (the decision warns with the code). */
  threat_feed?: ThreatFeedNote | null;
}

/** The host's word on the threat feed in a decision's context (`threat::HostNote`). */
export interface ThreatFeedNote {
  /** Why the last fetch or verification failed; an unknown code is warned as `threat_feed_unavailable`. */
  error?: ThreatFeedErrorCode | null;
}

/** How a challenge is carried out, so the shim only translates it to `api` (`MfaStep`). */
export type MfaStep =
  /** `api.authentication.challengeWithAny` with these factor types. */
  | { kind: "challenge"; factors: Factor[] }
  /** No usable factor enrolled: `api.multifactor.enable('any')` enrols one. */
  | { kind: "enroll" };

/** A custom claim for `api.idToken.setCustomClaim(name, value)` (`TokenClaim`). */
export interface TokenClaim {
  /** The claim's name, under the policy's namespace. */
  name: string;
  /** The claim's value. */
  value: string;
}

/** Organization discovery from post-login, as `Decision.discovery` asks it (`DiscoveryStep`). */
export interface DiscoveryStep {
  /** Pass on to the organization decision's context: an existing member of the organization the domain maps to gets the roles a join gives. */
  complete_join: boolean;
}

/** A stored history entry (`Item`): `[key, times seen, last seen (s)]`. */
export type HistoryItem = [key: string, seen: number, last_seen_s: number];

/** Where and when the last login was (`Place`), rounded to 0.1 degree. */
export interface HistoryPlace {
  /** When (s). */
  t: number;
  /** Latitude, degrees. */
  lat: number;
  /** Longitude, degrees. */
  lon: number;
}

/** One login's observations, in stored form, hashed where needed (`Observation`). */
export interface HistoryObservation {
  /** When (s). */
  t: number;
  /** Country code. */
  cc?: string;
  /** ASN. */
  asn?: string;
  /** The network, hashed. */
  net?: string;
  /** The device, hashed. */
  dev?: string;
  /** Latitude, rounded. */
  lat?: number;
  /** Longitude, rounded. */
  lon?: number;
  /** Solar local hour. */
  hour?: number;
}

/**
 * A user's own login history (`History`), for `api.user.setAppMetadata("actionguard", history)`:
 * store it as it is, it is read back leniently and rebuilt when it does not parse.
 */
export interface History {
  /** The format's version. */
  v: number;
  /** Logins learned so far (saturating). */
  n: number;
  /** The last known location. */
  last?: HistoryPlace;
  /** Countries seen. */
  cc: HistoryItem[];
  /** ASNs seen. */
  asn: HistoryItem[];
  /** Networks seen, hashed. */
  net: HistoryItem[];
  /** Devices seen, hashed. */
  dev: HistoryItem[];
  /** Recent login times (s), oldest first. */
  t: number[];
  /** Logins per solar local hour. */
  h: number[];
  /** A challenged login, learned once a later login shows its MFA completed. */
  pending?: HistoryObservation;
}

/** The decision proper: what the Action must do, and why (`Decision`). */
export interface Decision {
  /** What the Action must do: `allow` when the decision is only watched (`enforcement`). */
  outcome: Outcome;
  /** What the engine decided; differs from `outcome` only when watched, and then `mfa`, `deny_reason` and `claims` are absent or empty. */
  would_outcome: Outcome;
  /** Whether the decision is applied (policy `enforcement.login`). */
  enforcement: AppliedEnforcement;
  /** The score the policy was applied to: the higher of the rules' and the model's. */
  score: number;
  /** The rules' score. */
  rule_score: number;
  /** The model's score; null without a model. */
  model_score: number | null;
  /** The score's level, as the `risk_level` claim carries it. */
  risk_level: RiskLevel;
  /** The score fell in the policy's ambiguous band; `outcome` is the band's fallback. */
  ambiguous: boolean;
  /** Why, evidence first. */
  reasons: Reason[];
  /** How to carry out a challenge; present when `outcome` is `challenge`. */
  mfa?: MfaStep;
  /** For `api.access.deny`: `<stable code>: <text>`, no user data in it. */
  deny_reason?: string;
  /** Custom claims to set on the ID token. */
  claims: TokenClaim[];
  /** The user's updated history, for `api.user.setAppMetadata("actionguard", history)`; absent when there is nothing to write. */
  history?: History;
  /** Present when the policy asks an LLM about this ambiguous login: send it and decide again with the response (or the failure). */
  escalation?: Escalation;
  /** How the escalation ended (`answered`, or why not). */
  llm_result?: LlmResult;
  /** `api.cache` writes that keep the LLM's budgets (breaker, rate limit). */
  cache?: CacheWrite[];
  /** Present when the host should run organization discovery for this login (`decideOrganization` with `complete_join` as given here). */
  discovery?: DiscoveryStep;
}

/** A login decision and its audit record (`LoginDecision`). */
export interface LoginDecision extends Decision {
  /** The full audit record on one line, for the audit webhook (`AuditRecord` once parsed). */
  audit: string;
  /** Its console line: at most 255 characters (256 with its newline, all Auth0 keeps of the console; `AuditLine` once parsed). */
  audit_line: string;
}

/** What `decideLogin` answers. */
export type LoginAnswer = Answer<LoginDecision>;
/** A successful `decideLogin` answer. */
export type LoginSuccess = Success<LoginDecision>;

/** The model's inputs, in order (`FEATURE_NAMES`). */
export type FeatureName =
  | "auth0_confidence"
  | "auth0_impossible_travel"
  | "auth0_substantial_travel"
  | "auth0_anonymous_proxy"
  | "auth0_new_device"
  | "auth0_deny_list"
  | "log_speed"
  | "new_country"
  | "new_asn"
  | "new_network"
  | "new_device"
  | "hosting_network"
  | "automated_agent"
  | "burst"
  | "unusual_hour"
  | "history_depth";

/** What the risk engine saw in a login: for training, evaluation and support (`Explanation`). */
export interface Explanation {
  /** The model's inputs, by name. */
  features: Record<FeatureName, number>;
  /** The same, in the model's order. */
  vector: number[];
  /** The rules' score. */
  rule_score: number;
  /** The model's score; null without a model. */
  model_score: number | null;
  /** The least the login gets, whatever its score; null without hard evidence. */
  floor: "challenge" | "deny" | null;
  /** Codes of the signals found. */
  signals: string[];
}

/** What `explainLogin` answers. */
export type ExplanationAnswer = Answer<Explanation>;

// ---------------------------------------------------------------------------------------
// Pre-user-registration (src/signup/mod.rs)
// ---------------------------------------------------------------------------------------

/** `event.user` of pre-user-registration (`SignupUser`). */
export interface SignupUser {
  /** The address signing up; the audit line carries only its pseudonym. */
  email?: string | null;
}

/** `event.connection` (`Connection`). */
export interface SignupConnection {
  /** The connection's name. */
  name?: string | null;
}

/** The input of `decideSignup`: `event` of pre-user-registration, the parts used, plus the counters and the clock (`SignupContext`). */
export interface SignupContext {
  /** `event.tenant`. */
  tenant?: Tenant | null;
  /** `event.user`. */
  user?: SignupUser | null;
  /** `event.connection`. */
  connection?: SignupConnection | null;
  /** `event.request`, the parts used. */
  request?: RequestInfo | null;
  /** The value the shim keeps under its cache key (`CacheKeys.signup_counters`), as read. */
  counters?: string | null;
  /** What the counters' keys are made with (never stored, never audited); without any, nothing is counted. */
  counter_secrets?: CounterSecrets | null;
  /** The Action's clock (`Date.now()`). */
  now_ms?: number | null;
  /** What the host says of the threat feed: why it has none, or holds only an older one. */
  threat_feed?: ThreatFeedNote | null;
}

/**
 * The secrets a sign-up counter's key may be made with, in this order (`CounterSecrets`):
 * `counter_key`; a key derived from `client_secret`; `instance_key` (counts per Action
 * instance only, warning `counters_per_instance`). Each needs at least 16 characters; a
 * shorter `counter_key` is skipped with warning `counter_key_weak`. Without any, nothing is
 * counted (warning `counters_unkeyed`).
 */
export interface CounterSecrets {
  /** The `COUNTER_KEY` secret. */
  counter_key?: string | null;
  /** `AUTH0_CLIENT_SECRET`, when the Action has it. */
  client_secret?: string | null;
  /** A random key of this Action instance (the runtime's `counterSecrets` makes one). */
  instance_key?: string | null;
}

/** A sign-up decision (`SignupDecision`). */
export interface SignupDecision {
  /** `allow` or `deny`: a sign-up has no second factor to fall back on; `allow` when only watched (`enforcement`). */
  outcome: Outcome;
  /** What the engine decided; differs from `outcome` only when watched, and then `deny_reason` and `user_message` are absent. */
  would_outcome: Outcome;
  /** Whether the decision is applied (policy `enforcement.signup`). */
  enforcement: AppliedEnforcement;
  /** Combined soft evidence in [0, 1] (hard rules deny whatever it is). */
  score: number;
  /** Why. */
  reasons: Reason[];
  /** For `api.access.deny(reason, userMessage)`: a stable code, no user data. */
  deny_reason?: string;
  /** The sentence the person signing up sees. */
  user_message?: string;
  /** `disposable`, `free_mail` or `other`; absent without a valid address. */
  domain_class?: DomainClass;
  /** The counters to write back. */
  /** The counters to write back to `api.cache` (under `CacheKeys.signup_counters`). */
  counters?: CacheWrite;
  /** The full audit record on one line, for the audit webhook (`AuditRecord` once parsed). */
  audit: string;
  /** Its console line: at most 255 characters (256 with its newline, all Auth0 keeps of the console; `AuditLine` once parsed). */
  audit_line: string;
}

/** What `decideSignup` answers. */
export type SignupAnswer = Answer<SignupDecision>;
/** A successful `decideSignup` answer. */
export type SignupSuccess = Success<SignupDecision>;

// ---------------------------------------------------------------------------------------
// Credentials-exchange (src/credentials.rs)
// ---------------------------------------------------------------------------------------

/** `event.client` (`Client`). */
export interface CredentialsClient {
  /** The Auth0 client (application) id: `m2m.clients` is keyed by it. */
  client_id?: string | null;
}

/** `event.accessToken`: the scopes the token is about to carry (`AccessToken`). */
export interface AccessToken {
  /** The scopes. */
  scope?: string[] | null;
}

/** `event.transaction` (`Transaction`). */
export interface CredentialsTransaction {
  /** The scopes asked for; used when `accessToken.scope` is absent. */
  requested_scopes?: string[] | null;
}

/** `event.resource_server` (`ResourceServer`). */
export interface ResourceServer {
  /** The API's identifier (audience). */
  identifier?: string | null;
}

/** The input of `decideCredentials`: `event` of credentials-exchange, the parts used (`CredentialsContext`). */
export interface CredentialsContext {
  /** `event.tenant`. */
  tenant?: Tenant | null;
  /** `event.client`. */
  client?: CredentialsClient | null;
  /** `event.request`, the parts used. */
  request?: RequestInfo | null;
  /** `event.accessToken`. */
  accessToken?: AccessToken | null;
  /** `event.transaction`. */
  transaction?: CredentialsTransaction | null;
  /** `event.resource_server`. */
  resource_server?: ResourceServer | null;
  /** The Action's clock (`Date.now()`). */
  now_ms?: number | null;
}

/** A machine-to-machine token decision (`CredentialsDecision`). */
export interface CredentialsDecision {
  /** `allow` or `deny`: a machine cannot answer a challenge; `allow` when only watched (`enforcement`). */
  outcome: Outcome;
  /** What the engine decided; differs from `outcome` only when watched, and then `deny_code` and `deny_reason` are absent. */
  would_outcome: Outcome;
  /** Whether the decision is applied (policy `enforcement.m2m`). */
  enforcement: AppliedEnforcement;
  /** Why. */
  reasons: Reason[];
  /** For `api.access.deny(code, reason)`: `invalid_request` or `invalid_scope`. */
  deny_code?: "invalid_request" | "invalid_scope";
  /** The human-readable explanation the client receives. */
  deny_reason?: string;
  /** The full audit record on one line, for the audit webhook (`AuditRecord` once parsed). */
  audit: string;
  /** Its console line: at most 255 characters (256 with its newline, all Auth0 keeps of the console; `AuditLine` once parsed). */
  audit_line: string;
}

/** What `decideCredentials` answers. */
export type CredentialsAnswer = Answer<CredentialsDecision>;
/** A successful `decideCredentials` answer. */
export type CredentialsSuccess = Success<CredentialsDecision>;

// ---------------------------------------------------------------------------------------
// Organization discovery (src/orgmap/mod.rs, src/orgmap/index.rs)
// ---------------------------------------------------------------------------------------

/** A discovery domain as the Management API returns it (`DiscoveryDomain`). */
export interface DiscoveryDomainRecord {
  /** The domain, any case or Unicode form. */
  domain?: string;
  /** `verified` or `pending`. */
  status?: string;
  /** Whether Auth0 uses it for organization discovery. */
  use_for_organization_discovery?: boolean | null;
}

/** A connection enabled for an organization: its name, or the entry as Auth0 lists it (`{ connection: { name } }`), or `{ name }`. */
export type EnabledConnectionRecord = string | { name?: string | null; connection?: { name?: string | null } | null };

/** An organization as the Management API returns it, plus its discovery domains and enabled connections (`OrgRecord`). */
export interface OrgRecord {
  /** The organization id (`org_...`). */
  id?: string;
  /** The organization's name. */
  name?: string;
  /** Its metadata: `ag_domains`, `ag_auto_join`, `ag_roles`, `ag_role_map`, `ag_allowed_domains`... */
  metadata?: Record<string, unknown> | null;
  /** `GET /api/v2/organizations/{id}/discovery-domains`. */
  discovery_domains?: DiscoveryDomainRecord[];
  /** The connections enabled for it (`GET /api/v2/organizations/{id}/enabled_connections`): names, or entries as Auth0 lists them (unusable ones skipped with a warning). An enterprise or social connection's `email_verified` counts for a join only where it is enabled. */
  enabled_connections?: EnabledConnectionRecord[];
}

/** The user an organization decision is for (`OrgUser`). */
export interface OrgUser {
  /** The user id; the audit line carries only its pseudonym. */
  user_id?: string | null;
  /** The address whose domain is mapped. */
  email?: string | null;
  /** Whether Auth0 verified the address. */
  email_verified?: boolean | null;
  /** Only `app_metadata` (written by admins and trusted rules, never by the user) feeds role mapping. */
  app_metadata?: Record<string, unknown> | null;
}

/** `event.connection` (`OrgConnection`). */
export interface OrgConnection {
  /** The connection's name: matched against `organizations.trusted_connections` and the organization's enabled connections. */
  name?: string | null;
  /** `event.connection.strategy`: `auth0` (database) and `email` (passwordless email) are verified by Auth0; any other, or none, counts only where the organization enabled the connection or the policy trusts it. */
  strategy?: string | null;
}

/** The input of `decideOrganization` (`OrgContext`). */
export interface OrgContext {
  /** `event.tenant`. */
  tenant?: Tenant | null;
  /** `event.user`, the parts used. */
  user?: OrgUser | null;
  /** `event.connection`. */
  connection?: OrgConnection | null;
  /** Organization ids the user already belongs to (`GET /api/v2/users/{id}/organizations`). */
  member_of?: string[] | null;
  /** The Action's clock (`Date.now()`). */
  now_ms?: number | null;
  /** The LLM escalation of a suggestion: whether one is possible, then its response. */
  llm?: LlmExchange | null;
  /** Post-login's first discovery for a new user (`DiscoveryStep.complete_join`): an existing member gets the roles a join gives. */
  complete_join?: boolean;
  /** How old the host's index is, in ms since its data was read: past `organizations.index_max_age_seconds` discovery only suggests. */
  index_age_ms?: number | null;
}

/** What to do about the user's organization (`OrgAction`). */
export type OrgAction =
  | "join"
  | "invite"
  | "suggest"
  | "create_for_approval"
  /** Assign `roles` in `organization` to a user who is already a member (a join completed). */
  | "complete_roles"
  | "none";

/** An organization (`OrgRef`). */
export interface OrgRef {
  /** The organization id. */
  id: string;
  /** The organization's name. */
  name: string;
}

/** A new organization for a person to approve; the name is Auth0-valid (`Proposal`). */
export interface Proposal {
  /** An Auth0-valid organization name. */
  name: string;
  /** The name to display. */
  display_name: string;
  /** The work domain it is for. */
  domain: string;
}

/** What post-login keeps in `app_metadata.actionguard_org` after a discovery, so the next one waits (`DiscoveryMarker`). */
export interface DiscoveryMarker {
  /** The action decided. */
  action: OrgAction;
  /** The suggested organizations' ids, for an application to offer. */
  suggested?: string[];
  /** When (RFC 3339), from the context's clock. */
  at?: string;
  /** What a watched discovery would have done: once discovery is enforced for the user, the next login does not wait. */
  would_action?: OrgAction;
}

/** An organization decision (`OrgDecision`). */
export interface OrgDecision {
  /** What to do: `suggest` or `none` when the decision is only watched (`enforcement`). */
  action: OrgAction;
  /** What the engine decided; differs from `action` only when watched (a join or invitation is then suggested). */
  would_action: OrgAction;
  /** Whether the decision is applied (policy `enforcement.organizations`). */
  enforcement: AppliedEnforcement;
  /** The organization to join or invite to. */
  organization?: OrgRef;
  /** Organizations to suggest (never joined automatically). */
  candidates: OrgRef[];
  /** Role ids to assign on join or with the invitation (for an existing member, the roles a join would have given). */
  roles: string[];
  /** The organization to propose, for `create_for_approval`. */
  proposal?: Proposal;
  /** Why. */
  reasons: Reason[];
  /** Already a member of two or more organizations unrelated to the address's domain. */
  anomaly: boolean;
  /** Present when the policy asks an LLM to choose among the candidates: send it and decide again with the response (or the failure). */
  escalation?: Escalation;
  /** How the escalation ended (`answered`, or why not). */
  llm_result?: LlmResult;
  /** `api.cache` writes that keep the LLM's budgets (breaker, rate limit). */
  cache?: CacheWrite[];
  /** For post-login to write to `app_metadata.actionguard_org`. */
  marker: DiscoveryMarker;
  /** The full audit record on one line, for the audit webhook (`AuditRecord` once parsed). */
  audit: string;
  /** Its console line: at most 255 characters (256 with its newline, all Auth0 keeps of the console; `AuditLine` once parsed). */
  audit_line: string;
}

/** What `decideOrganization` answers. */
export type OrganizationAnswer = Answer<OrgDecision>;
/** A successful `decideOrganization` answer. */
export type OrganizationSuccess = Success<OrgDecision>;

/** What `buildOrgIndex` and `loadOrgSnapshot` answer: the index (unusable records skipped with a warning each). */
export type OrgIndexAnswer = Answer<{
  /** The index: keep it at module scope. */
  index: OrgIndex;
}>;

// ---------------------------------------------------------------------------------------
// The audit record (src/audit.rs): `JSON.parse(answer.audit)`
// ---------------------------------------------------------------------------------------

/** Which decision an audit record is for. */
export type AuditTrigger = "post-login" | "pre-user-registration" | "credentials-exchange" | "organization-discovery";

/** One reason, with its sentence (`AuditReason`). */
export interface AuditReason {
  /** The reason's stable code. */
  code: string;
  /** A sentence for a security team. */
  message: string;
}

/** Where the policy came from and what it was (`AuditPolicy`). */
export interface AuditPolicy {
  /** `embedded` (the default) or `secret` (the POLICY secret). */
  source: "embedded" | "secret";
  /** The document's version. */
  version: number;
  /** Of the effective policy, after its layers. */
  digest: string;
  /** The layers that made it, bottom first: `baseline`, `tier:<name>`, `organization`. */
  layers: string[];
  /** Keys of the organization's override that were refused (they would have loosened the layers below, or made the policy invalid); absent when none. */
  refused?: string[];
}

/** The audit record's view of an LLM exchange (`AuditLlm`). */
export interface AuditLlm {
  /** A request went out. */
  asked: boolean;
  /** `answered`, `low_confidence`, `invalid_answer`, `out_of_options`, `refused`, `invalid_model`, or a shim failure. */
  result?: LlmResult;
  /** The option chosen. */
  choice?: string;
  /** The LLM's confidence in it. */
  confidence?: number;
  /** Its rationale, on one line. */
  rationale?: string;
}

/** The audit record every decision carries, pseudonymized (`AuditRecord`): `JSON.parse(answer.audit)`. */
export interface AuditRecord {
  /** Schema version; also the marker log pipelines filter on. */
  actionguard_audit: number;
  /** Unique per record: 24 lowercase hex digits, from the engine's record nonce. Its console line (`AuditLine`) carries it too. */
  id: string;
  /** The decision it records. */
  trigger: AuditTrigger;
  /** The tenant id. */
  tenant: string | null;
  /** The organization id. */
  organization: string | null;
  /** Pseudonymous: `u_` for a user id, `e_` for an email address (sign-ups). */
  user: string | null;
  /** The Auth0 client (application) id, for machine-to-machine decisions. */
  client?: string;
  /** `disposable`, `free_mail` or `other`: the kind of mail domain, never the domain. */
  domain_class?: DomainClass;
  /** Organization discovery: what it decided. */
  org_action?: OrgAction;
  /** The outcome applied (`allow` for organization discovery, which never refuses, and for a watched decision). */
  outcome: Outcome;
  /** What the engine decided; differs from `outcome` only when the decision was watched. */
  would_outcome: Outcome;
  /** Organization discovery: what it decided, beside what it applied (`org_action`). */
  would_action?: OrgAction;
  /** Whether the decision was applied, and the policy's rollout that says so. */
  enforcement: AppliedEnforcement;
  /** The score the policy was applied to. */
  score: number;
  /** The rules' score. */
  rule_score: number;
  /** The model's score. */
  model_score: number | null;
  /** Why, with sentences. */
  reasons: AuditReason[];
  /** The policy applied. */
  policy: AuditPolicy;
  /** Version of the embedded risk model, when it scored. */
  model: string | null;
  /** The LLM exchange. */
  llm: AuditLlm;
  /** Codes of warnings raised on the way (ignored fields, a rejected policy). */
  warnings: string[];
  /** The Action's clock. */
  ts_ms: number | null;
}

/**
 * An audit record's console line (src/audit/line.rs): `JSON.parse(answer.audit_line)`. Auth0
 * keeps at most 256 characters of an Action's console output, and this line always fits,
 * with its newline (at most 255 characters). ASCII only. The runtime's own lines (a fail
 * mode, cache writes that did not hold) share the marker, `id`, `trigger` and `outcome`.
 */
export interface AuditLine {
  /** The line's format version; also its marker (a full record has `actionguard_audit`). */
  actionguard_line: number;
  /** The record's id: the full record (`AuditRecord.id`) sent to the audit webhook has it too. */
  id: string;
  /** The decision it records. */
  trigger: AuditTrigger;
  /** The outcome applied; absent for organization discovery (see `action`). */
  outcome?: Outcome;
  /** What the engine decided, when the decision was watched (monitor mode). */
  would_outcome?: Outcome;
  /** Organization discovery: what it did. */
  action?: OrgAction;
  /** Organization discovery, watched: what it would have done. */
  would_action?: OrgAction;
  /** The score, to two decimals; absent for organization discovery. */
  score?: number;
  /** The effective policy's digest (`AuditPolicy.digest`). */
  digest?: string;
  /** Reason codes, strongest first, as many as fit. */
  reasons?: string[];
  /** How many reasons were left out (the full record has them). */
  more?: number;
}

// ---------------------------------------------------------------------------------------
// The policy document (src/policy.rs) and its tooling (src/tooling.rs, src/layers.rs)
// ---------------------------------------------------------------------------------------

/** Scores at or above `challenge` ask for MFA; at or above `deny` are refused (`Thresholds`). */
export interface Thresholds {
  /** Ask for MFA at or above. */
  challenge: number;
  /** Refuse at or above. */
  deny: number;
}

/** Scores in `[from, to)` are too close to call from rules alone: they take `fallback` unless an escalation settles them (`AmbiguousBand`). */
export interface AmbiguousBand {
  /** Inclusive. */
  from: number;
  /** Exclusive. */
  to: number;
  /** What the band does without an escalation. */
  fallback: "allow" | "challenge";
}

/** When and how to ask for MFA (`MfaPolicy`). */
export interface MfaPolicy {
  /** `always`, `risk_based` or `never`. */
  mode: "always" | "risk_based" | "never";
  /** Factors we may challenge with, in order of preference. */
  factors: Factor[];
  /** What to do when a challenge is due but the user has no usable factor. */
  unenrolled: "enroll" | "deny";
  /** What to do when a challenge is due in a flow nobody can answer (a refresh-token exchange). */
  non_interactive: "deny" | "allow";
}

/** Custom claims (`Claims`). */
export interface ClaimsPolicy {
  /** Prefix of every custom claim; Auth0 reserves its own domains. */
  namespace: string;
  /** Whether to put `<namespace>risk_level` into the ID token. */
  risk_level: boolean;
}

/** Tenant network lists, as CIDRs or single addresses (`Networks`). */
export interface NetworksPolicy {
  /** A floor no score can lower. */
  deny: string[];
  /** Trusted networks, where network and location novelty are not held against a login. */
  allow: string[];
}

/** ISO 3166-1 alpha-2 country codes logins are refused from (`Countries`). */
export interface CountriesPolicy {
  /** Refused countries. */
  deny: string[];
}

/** Sign-up attempts allowed per sliding window, per source; 0 turns a limit off (`Velocity`). */
export interface VelocityPolicy {
  /** The window. */
  window_minutes: number;
  /** Per IPv4 address or IPv6 /64. */
  per_ip: number;
  /** Per IPv4 /24 or IPv6 /48. */
  per_network: number;
  /** Per email domain (not counted for free-mail domains, shared by millions). */
  per_domain: number;
}

/** Sign-up rules, pre-user-registration (`Signup`). */
export interface SignupPolicy {
  /** Refuse addresses at disposable (throwaway) mail services. */
  block_disposable: boolean;
  /** Refuse addresses at free webmail services (work email only). */
  block_free_mail: boolean;
  /** Domains refused (a listed domain covers its subdomains). */
  blocked_domains: string[];
  /** When not empty, only these domains may sign up. */
  allowed_domains: string[];
  /** Bursts of sign-ups. */
  velocity: VelocityPolicy;
  /** Soft evidence combined at or above this refuses the sign-up; no single such signal does. */
  deny_score: number;
}

/** Rules for one machine-to-machine client (`ClientRule`). */
export interface ClientRule {
  /** Addresses the client may ask from (CIDRs); empty: anywhere. */
  networks: string[];
  /** The most a token may carry; a token with any other scope is refused. */
  scopes: string[] | null;
  /** APIs (audiences) the client may get tokens for. */
  audiences: string[] | null;
}

/** Machine-to-machine tokens, credentials-exchange (`M2m`). */
export interface M2mPolicy {
  /** Refuse tokens to clients not listed in `clients`. */
  require_listed: boolean;
  /** Rules per Auth0 client id. */
  clients: Record<string, ClientRule>;
}

/** Organization discovery (`Organizations`). */
export interface OrganizationsPolicy {
  /** Join a verified address to the one organization that verified its domain. */
  auto_join: boolean;
  /** Invite an unverified address instead (the invitation proves it). */
  invite_unverified: boolean;
  /** Propose a new organization, for a person to approve, for a work domain no one claims. */
  self_serve: boolean;
  /** Connections (by name) the tenant vouches for in every organization: every address they assert counts as verified. A customer's own IdP belongs enabled on that customer's organization instead. */
  trusted_connections: string[];
  /** Domains never mapped to an organization. */
  blocked_domains: string[];
  /** Treat domains listed in organization metadata (`ag_domains`) like verified ones. */
  trust_metadata_domains: boolean;
  /** The `app_metadata` attribute an organization's `ag_role_map` is keyed by. */
  role_attribute: string;
  /** Roles given on join when the organization names none. */
  default_roles: string[];
  /** When not empty, the only roles an organization's metadata (`ag_roles`, `ag_role_map`) may give. */
  assignable_roles: string[];
  /** Keys (`mfa.mode`) or sections (`signup`) an organization's own override may loosen; every other key it may only tighten. */
  overridable: string[];
  /** The most organizations an Action instance pages through the Management API for its index (0 to 10,000; default 1,000): above it, `snapshot_required`. */
  live_index_max: number;
  /** An index older than this (its refreshes failed) only suggests (300 to 86,400; default 3,600). */
  index_max_age_seconds: number;
  /** Signed organization layers, off while empty: a tier of `tiers` that an organization whose `ag_sig` does not sign its `ag_tier` and `ag_policy` (under `ORG_LAYERS_KEY`) gets instead of them. */
  unsigned_tier: string;
}

/** After `failures` failed calls in a row, no call for `cooldown_seconds` (`Breaker`). */
export interface BreakerPolicy {
  /** Failed calls in a row that open the breaker. */
  failures: number;
  /** How long it stays open. */
  cooldown_seconds: number;
}

/** Escalation of ambiguous decisions to an external LLM (`Llm`). */
export interface LlmPolicy {
  /** Off unless a tenant turns it on (and the Action has `LLM_BASE_URL`). */
  enabled: boolean;
  /** The whole call, answer read included, well inside Auth0's 20 s flow. */
  timeout_ms: number;
  /** Calls per minute per tenant (per Action trigger); more take the fallback. */
  max_per_minute: number;
  /** The circuit breaker. */
  breaker: BreakerPolicy;
  /** Answers less sure than this are ignored and the fallback applies. */
  min_confidence: number;
  /** Offer `deny` among the band's options (only ever stricter than allowing). */
  may_deny: boolean;
  /** Also escalate organization suggestions (choose among the candidates found). */
  organizations: boolean;
  /** Send the email domain and candidate organization names with an organization escalation. */
  share_domain: boolean;
}

/** One decision kind's rollout (`Rollout`): watched, or enforced for `percent` of its subjects. */
export interface RolloutPolicy {
  /** `enforce` (default) or `monitor` (decided and audited, nothing applied). */
  mode: EnforcementMode;
  /** Under `enforce`, the share of subjects (users, addresses, clients) enforced, 0 to 100 (default 100); raising it only adds subjects. */
  percent: number;
}

/** Monitor mode and gradual enforcement, per decision kind (`Enforcement`). */
export interface EnforcementPolicy {
  /** Post-login. */
  login: RolloutPolicy;
  /** Pre-user-registration. */
  signup: RolloutPolicy;
  /** Credentials-exchange. */
  m2m: RolloutPolicy;
  /** Organization discovery. */
  organizations: RolloutPolicy;
}

/** A policy document once validated, every default filled in (`Policy`). */
/** The policy's `threat_feed` section (`policy::ThreatFeed`). */
/** `governance`: access reviews, organization classification, bulk membership (docs/policy.md). */
export interface GovernancePolicy {
  review: { stale_days: number; pending_domain_days: number; stricter_tier: string; stricter_share: number };
  classify: {
    internal_domains: string[];
    tiers: Record<string, string>;
    llm: boolean;
    share_name: boolean;
    min_score: number;
    margin: number;
  };
  members_import: { max_per_run: number; breaker_failures: number; llm: boolean; llm_max_departments: number };
}

export interface ThreatFeedPolicy {
  /** Off: the feed is neither fetched nor read. */
  enabled: boolean;
  /** Each signal's weight, 0 to 1 (defaults: the catalogue's, 0.6 and 0.5). */
  weights: { network_under_attack: number; account_under_attack: number };
  /** The least a login the feed lists gets. */
  floors: { network_under_attack: "none" | "challenge" | "deny"; account_under_attack: "none" | "challenge" | "deny" };
  /** Fetched again in the background once half this old; past it an execution waits for the new one (60 to 86,400). */
  max_age_seconds: number;
  /** The most an execution waits for the feed (50 to 5,000). */
  budget_ms: number;
}

export interface Policy {
  /** The format's version: 1. */
  version: number;
  /** Score thresholds. */
  thresholds: Thresholds;
  /** The ambiguous band. */
  ambiguous: AmbiguousBand;
  /** MFA. */
  mfa: MfaPolicy;
  /** The decision applied when ActionGuard itself cannot decide. */
  fail_mode: FailMode;
  /** Custom claims. */
  claims: ClaimsPolicy;
  /** Network lists. */
  networks: NetworksPolicy;
  /** Country lists. */
  countries: CountriesPolicy;
  /** Sign-up rules. */
  signup: SignupPolicy;
  /** Machine-to-machine rules. */
  m2m: M2mPolicy;
  /** Organization discovery. */
  organizations: OrganizationsPolicy;
  /** LLM escalation. */
  llm: LlmPolicy;
  /** Monitor mode and gradual enforcement. */
  enforcement: EnforcementPolicy;
  /** The control plane's threat feed: its signals' weights and floors, and how it is kept. */
  threat_feed: ThreatFeedPolicy;
  /** The control plane's governance jobs (read on the baseline only). */
  governance: GovernancePolicy;
  /** Named partial documents an organization can be put on (`ag_tier`), each merged onto this one; absent when none. */
  tiers?: Record<string, PolicyLayer>;
}

/** Every field of `T` optional, all the way down (lists excepted: a layer replaces them whole). */
export type DeepPartial<T> = T extends readonly unknown[] ? T : T extends object ? { [K in keyof T]?: DeepPartial<T[K]> } : T;

/** A partial policy document: a tier, an organization override (`encodeOverride`), merged key by key onto the policy below. */
export type PolicyLayer = DeepPartial<Policy>;

/** A policy document as written (the POLICY secret): `version` and any section; the rest takes its default. */
export type PolicyDocument = PolicyLayer & { version: number };

/** What validating a policy document tells its author (`PolicySummary`). */
export interface PolicySummary {
  /** The document's digest, as audit records carry it. */
  digest: string;
  /** The document with every default filled in. */
  policy: Policy;
  /** Its length in characters as given; an Auth0 secret (`POLICY`) holds at most 4,096, and a longer document is refused. */
  characters: number;
}

/** What `validatePolicy` answers. */
export type PolicySummaryAnswer = Answer<PolicySummary>;

/** The policy an organization gets (`EffectivePolicy`). */
export interface EffectivePolicy {
  /** The layers that made it, bottom first: `baseline`, `tier:<name>`, `organization`. */
  layers: string[];
  /** Its digest. */
  digest: string;
  /** The enforcement its decisions run under: `login` from its layers; sign-ups, tokens and discovery know no organization and take the baseline's. */
  enforcement: EnforcementPolicy;
  /** The effective document. */
  policy: Policy;
  /** The errors of the layers that were rejected (the decision runs on the last valid layer below). */
  rejected: Issue[];
}

/** What `effectivePolicy` answers. */
export type EffectivePolicyAnswer = Answer<EffectivePolicy>;

/** The organization-metadata form of an override, each value within Auth0's 255 characters, read back concatenated. */
export interface EncodedOverride {
  /** The override's first 255 characters (absent for an empty override). */
  ag_policy?: string;
  /** The next 255, when longer. */
  ag_policy_2?: string;
  /** The last 255, when longer still. */
  ag_policy_3?: string;
}

/** What `encodeOverride` answers. */
export type EncodedOverrideAnswer = Answer<EncodedOverride>;

/** The signature of an organization's layers, for its metadata. */
export interface SignedLayers {
  /** The first 32 hex digits of HMAC-SHA256(ORG_LAYERS_KEY, "actionguard/org-layers/v1\0" + id + "\0" + ag_tier + "\0" + ag_policy...). */
  ag_sig: string;
}

/** What `signOrganizationLayers` answers. */
export type SignedLayersAnswer = Answer<SignedLayers>;

/** An invitation the host is about to send (`orgmap::invitations::InvitationStep`). */
export interface InvitationStep {
  /** Invited within the last 7 days: send nothing. */
  already_invited: boolean;
  /** Write to `app_metadata.actionguard_invited` before sending: the remembered invitations with this one (at most 10, ISO dates). */
  record: Record<string, string>;
  /** Write back when the invitation fails: the remembered invitations without this one. */
  without: Record<string, string>;
}

/** What `invitationStep` answers. */
export type InvitationStepAnswer = Answer<InvitationStep>;

/** One Auth0 log, normalized (`logs::LogEvent`): what detection reads; optional strings are cut to their bounds. */
export interface LogEvent {
  /** Auth0's id of the log: the de-duplication key (at most 128 bytes). */
  log_id: string;
  /** Where in the batch it was (as a reject's `index`). */
  index: number;
  /** The entry's text in the body, as UTF-8 byte offsets: `Buffer.from(body, 'utf8').subarray(start, end)` (a line without its `\n` or a trailing `\r`, an array element's JSON text). */
  start: number;
  /** See `start`. */
  end: number;
  /** Auth0's event type code: `s`, `f`, `fp`, `fu`, `ss`, `gd_send_pn`, ... */
  type: string;
  /** The log's `date`, in ms since the epoch. */
  date_ms: number;
  ip?: string;
  user_id?: string;
  user_name?: string;
  client_id?: string;
  connection?: string;
  /** `organization_id`, or else `details.organization.id`, or else `details.body.organization.id` (a sign-up's, `ss`). */
  organization_id?: string;
  hostname?: string;
  user_agent?: string;
  /** `location_info.country_code`. */
  country_code?: string;
  /** `location_info.latitude` (degrees), with `longitude` or not at all (dropped when out of range or not a number). */
  latitude?: number;
  /** `location_info.longitude` (degrees). */
  longitude?: number;
  /** Some `details.prompts[].performed_amr` includes `mfa`. */
  mfa: boolean;
}

/** A line (or array element) that was not read; the message names fields, never their values. */
export interface LogReject {
  /** 0-based: the line of a JSON-lines body (blank lines count), the element of an array body. */
  index: number;
  /** The entry's text in the body, as UTF-8 byte offsets: `Buffer.from(body, 'utf8').subarray(start, end)` (a line without its `\n` or a trailing `\r`, an array element's JSON text). */
  start: number;
  /** See `start`. */
  end: number;
  reason_code:
    | 'not_json'
    | 'not_an_object'
    | 'missing_log_id'
    | 'bad_log_id'
    | 'missing_type'
    | 'bad_type'
    | 'missing_date'
    | 'bad_date'
    | 'bad_field'
    | 'line_too_long'
    | 'too_many_logs'
    | 'too_many_entries';
  message: string;
}

/** A log-stream batch (`logs::Batch`): distinct valid logs in order, rejects, and entries that repeated a `log_id` of this batch. */
export interface LogBatch {
  events: LogEvent[];
  rejects: LogReject[];
  duplicates: number;
}

/** What `parseLogBatch` answers; repeated `log_id`s add a `duplicates_in_batch` warning. */
export type LogBatchAnswer = Answer<LogBatch>;

/**
 * Detection's thresholds (`detect::DetectConfig`): any subset, the rest defaulted; an unknown field throws `invalid_config`
 * from `new LogAnalyzer`. Windows in seconds. docs/control-plane.md ("Detection and `logs analyze`") gives the defaults.
 */
export interface DetectConfig {
  max_keys?: number;
  max_entries_per_key?: number;
  max_log_ids?: number;
  max_alerts?: number;
  max_organizations?: number;
  credential_stuffing?: {
    burst_window_s?: number;
    burst_min_users?: number;
    slow_window_s?: number;
    slow_min_users?: number;
    min_organizations?: number;
    single_organization_factor?: number;
    min_failure_share?: number;
    max_failures_per_user?: number;
  };
  mfa_fatigue?: { window_s?: number; min_sends?: number; min_rejections?: number; min_sends_alone?: number; min_sends_accepted?: number };
  impossible_travel?: { max_speed_kmh?: number; min_distance_km?: number };
  signup_wave?: {
    window_s?: number;
    network_min_signups?: number;
    network_min_domains?: number;
    min_failed_share?: number;
    network_min_share?: number;
    domain_min_signups?: number;
    free_mail_min_signups?: number;
    free_mail_min_share?: number;
    domain_min_networks?: number;
    disposable_min_signups?: number;
    disposable_baseline_factor?: number;
    disposable_share_floor?: number;
    disposable_min_share?: number;
    baseline_s?: number;
    baseline_min_signups?: number;
  };
  m2m_anomaly?: {
    baseline_min_exchanges?: number;
    baseline_min_span_s?: number;
    max_networks?: number;
    failure_window_s?: number;
    failure_min?: number;
    failure_min_share?: number;
  };
}

/** The kinds of alert (`detect::*::KIND`). */
export type AlertKind = "credential_stuffing" | "breached_password" | "mfa_fatigue" | "impossible_travel" | "signup_wave" | "m2m_anomaly";

/** One alert (`detect::Alert`): one per kind and subject over the analysis. */
export interface DetectionAlert {
  kind: AlertKind;
  severity: "low" | "medium" | "high";
  /** An address, a network (CIDR /24 or /48), a user (`user_id`, else the user name), a client (`client_id`), an email domain, or a domain class (`disposable`: a wave of throwaway domains). */
  subject: { type: "ip" | "network" | "user" | "client" | "domain" | "domain_class"; value: string };
  /** Organizations involved, sorted (at most 64). */
  organizations: string[];
  /** Distinct users involved. */
  users: number;
  /** Events attributed to the alert. */
  events: number;
  /** ISO times (`2026-11-03T02:10:25.659Z`). */
  first_seen: string;
  last_seen: string;
  /** Stable snake_case codes, sorted (`failure_burst`, `low_and_slow`, `login_succeeded`, `new_network`...). */
  reasons: { code: string }[];
}

/** Counts of one organization (`detect::summary::OrganizationSummary`). */
export interface OrganizationSummary {
  id: string;
  /** Distinct `user_id`s with a successful login (`s`) carrying this organization. */
  active_users: number;
  /** Those with at least one such login whose prompts performed `mfa`. */
  mfa_users: number;
  logins: number;
  /** `f`, `fp`, `fu`. */
  failed_logins: number;
  /** `fsa`: never counted as failed logins. */
  silent_auth_failures: number;
  signups: number;
  failed_signups: number;
  m2m_tokens: number;
  m2m_failures: number;
}

/** An analysis (`detect::Analysis`): `actionguard logs analyze --json`'s object. */
export interface Analysis {
  /** Distinct valid events. */
  events: number;
  /** Entries whose `log_id` was already read. */
  duplicates: number;
  /** Entries that could not be read. */
  rejected: number;
  /** Most severe first, then by first seen. */
  alerts: DetectionAlert[];
  /** Sorted by id. */
  organizations: OrganizationSummary[];
  /** Events some detector could not track because a bound was reached. */
  state_overflow: number;
  /** Alerts not kept beyond `max_alerts`. */
  alerts_dropped: number;
}

/** What one `feed` added. */
export type LogFeedAnswer = Answer<{ events: number; duplicates: number; rejected: number }>;
/** What `finish` answers. */
export type AnalysisAnswer = Answer<Analysis>;

/** An alert as `takeAlerts` hands it out: `targets` (sorted `user_id`s, at most 1,000) on a `credential_stuffing` alert that failed against known users; never in `logs analyze`'s output. */
export interface LiveAlert extends DetectionAlert {
  targets?: string[];
}

export type LiveAlertsAnswer = Answer<{
  alerts: LiveAlert[];
  events: number;
  duplicates: number;
  rejected: number;
  state_overflow: number;
  alerts_dropped: number;
}>;

/** An audit record as the control plane indexes it (`audit::intake::Record`); the line is kept whole by the host. */
export interface AuditRecordIndex {
  /** The line it was on (0-based, blank lines count). */
  index: number;
  /** The line's text in the body, as UTF-8 byte offsets: `Buffer.from(body, 'utf8').subarray(start, end)` (without its `\n` or a trailing `\r`). */
  start: number;
  /** See `start`. */
  end: number;
  id: string;
  trigger?: string;
  outcome?: string;
  organization_id?: string;
  /** The record's `ts_ms`. */
  at_ms?: number;
}

export interface AuditRecordReject {
  index: number;
  /** The line's text in the body, as UTF-8 byte offsets: `Buffer.from(body, 'utf8').subarray(start, end)` (without its `\n` or a trailing `\r`). */
  start: number;
  /** See `start`. */
  end: number;
  reason_code: "not_json" | "not_an_audit_record" | "bad_id" | "bad_field" | "line_too_long" | "too_many_records";
  message: string;
}

export type AuditRecordsAnswer = Answer<{ records: AuditRecordIndex[]; rejects: AuditRecordReject[]; duplicates: number }>;

export type ApprovalState = "pending" | "approved" | "rejected" | "executing" | "done" | "failed";
export type ApprovalAction = "approve" | "reject" | "claim" | "succeed" | "fail" | "release" | "renew";

/** A legal move: from any of `from` to `to`; `reclaim`: also from `to` once the holder's lease expired. */
export interface ApprovalMove {
  action: ApprovalAction;
  from: ApprovalState[];
  to: ApprovalState;
  reclaim: boolean;
}

export type ApprovalStepAnswer = Answer<{ move: ApprovalMove; state?: ApprovalState }>;

/** An approval request (`approvals::Request`). */
export interface ApprovalRequest {
  kind: "create_organization";
  dedupe_key: string;
  tenant?: string | null;
  proposal: { name: string; display_name: string; domain: string };
  requested_by?: string | null;
  requested_at?: string | null;
}

export type ApprovalRequestAnswer = Answer<ApprovalRequest>;

/** The responses detection proposes (`approvals::responses`): each only ever an approval request. */
export type ResponseKind = "block_ip" | "force_password_reset" | "block_user";

/** A response request (`approvals::responses::ResponseRequest`), as the control plane queues it. */
export interface ResponseRequest {
  kind: ResponseKind;
  /** 32 hex digits of SHA-256 over kind, tenant and target. */
  dedupe_key: string;
  tenant?: string | null;
  proposal: {
    /** A network (canonical CIDR; one address as /32 or /128) for `block_ip`, a `user_id` for the others. */
    target: { type: "network" | "user"; value: string };
    /** The alert it answers. */
    because: {
      kind: AlertKind;
      severity: "low" | "medium" | "high";
      subject: { type: string; value: string };
      reasons: string[];
      first_seen: string;
      last_seen: string;
      organizations: string[];
    };
  };
  requested_by: "actionguard-detection";
}

export type ResponseProposalsAnswer = Answer<{ requests: ResponseRequest[] }>;
export type ResponseRequestAnswer = Answer<ResponseRequest>;

// ---- Governance (the control plane's jobs: src/governance) ----
export type GovernanceKind = "remove_membership" | "set_tier" | "verify_domain" | "import_members";
export type GovernanceJob = "review" | "classify" | "members_import";
export interface GovernanceReason {
  code: string;
  message: string;
}
/** A governance approval request, as the queue keeps it. */
export interface GovernanceRequest {
  kind: GovernanceKind;
  dedupe_key: string;
  tenant?: string | null;
  job: GovernanceJob;
  /** The kind's own fields. */
  proposal: any;
  reasons: GovernanceReason[];
  requested_by: string;
}
export type GovernanceCheckAnswer = Answer<GovernanceRequest>;
/** A governance job's LLM exchange (governance::LlmInput): without `answers` the core
 * answers the escalations to send; with them (by the key each escalation named) it settles. */
export interface GovernanceLlmInput {
  available?: boolean;
  model?: string | null;
  base_url?: string | null;
  /** The `llm-budget:governance` checkpoint's value. */
  state?: unknown;
  answers?: Record<string, { response?: string; failure?: LlmFailure | string }>;
}
/** One write an executor made, tried, or found already done, for its audit record. */
export interface GovernanceWrite {
  approval: string;
  kind: GovernanceKind;
  job: GovernanceJob;
  action: string;
  organization_id?: string | null;
  outcome: "done" | "failed" | "skipped";
  approved_by?: string | null;
  reasons: GovernanceReason[];
  error?: string | null;
  item?: string | null;
  ts_ms: number;
}
/** What an access review reads (the host gathers it). */
export interface ReviewInput {
  policy?: string | null;
  tenant?: string | null;
  layers_key?: string | null;
  now_ms: number;
  logs_from_ms?: number | null;
  markdown?: boolean;
  organizations: {
    id: string;
    name?: string;
    metadata?: Record<string, unknown>;
    domains?: { domain: string; status: string; first_seen_pending_ms?: number | null }[];
    members?: {
      user_id: string;
      email?: string | null;
      email_verified?: boolean | null;
      last_success_ms?: number | null;
      last_login_ms?: number | null;
      mfa_seen?: boolean;
    }[];
  }[];
}
export interface ReviewFinding {
  code: string;
  subject_type: "user" | "domain" | "organization";
  subject: string;
  message: string;
  /** The dedupe key of the approval request it proposes. */
  proposal?: string;
}
export interface Review {
  generated_ms: number;
  stale_days: number;
  pending_domain_days: number;
  logs_from_ms: number | null;
  summary: { organizations: number; members: number; organizations_flagged: number; findings: Record<string, number>; proposals: number };
  organizations: {
    id: string;
    name: string;
    tier: string | null;
    members: number;
    claimed_domains: string[];
    findings: ReviewFinding[];
    findings_omitted: number;
  }[];
  proposals: GovernanceRequest[];
  markdown?: string;
}
export type ReviewAnswer = Answer<Review>;
export type GovernanceAuditRecordAnswer = Answer<{ record: Record<string, unknown> & { id: string; trigger: "governance" } }>;

// ---- Bulk membership (governance::roster) ----
export interface MembersImportInput {
  /** The tenant policy document (absent: the embedded default). */
  policy?: string | null;
  tenant?: string | null;
  /** The organization as the Management API returns it, with its discovery domains and its enabled connections (names, or entries as listed). */
  organization: {
    id: string;
    name?: string | null;
    display_name?: string | null;
    metadata?: Record<string, unknown> | null;
    domains?: { domain: string; status: string }[];
    enabled_connections?: (string | { name?: string; connection?: { name?: string } })[];
  };
  /** The list, as read from the file (at most 2 MiB, 5,000 rows). */
  csv: string;
  /** The tenant's roles. */
  roles?: { id: string; name?: string }[];
  /** The organization's invited addresses and its members' addresses. */
  existing?: { invited?: string[]; members?: string[] };
  /** Users found by the list's addresses (`GET /api/v2/users-by-email`), with their identities (primary first): a verified address adds the user only through a database identity or a connection the organization enabled. */
  users?: { email: string; user_id: string; email_verified?: boolean; identities?: { provider: string; connection: string }[] }[];
  /** Step one: without `answers`; step two: the responses (or failure codes) by department key. */
  llm?: GovernanceLlmInput;
  now_ms?: number;
}
export type MembersImportAction = "invite" | "add" | "skip_existing";
export interface MembersImportRow {
  /** The row's first line in the file (the header is line 1). */
  line: number;
  email: string;
  name?: string;
  department?: string;
  /** The key of its department's mapping (`MembersImportMapping.key`). */
  department_key?: string;
  roles: string[];
  action: MembersImportAction;
  /** `add` only. */
  user_id?: string;
  reason: GovernanceReason;
}
export interface MembersImportMapping {
  department: string;
  also?: string[];
  key: string;
  roles: string[];
  source: "role_map" | "normalized" | "llm" | "unmapped";
  rows: number;
  reasons: GovernanceReason[];
  llm?: { asked: boolean; result: string; choice?: string; confidence?: number; rationale?: string };
}
export interface MembersImportPlan {
  organization_id: string;
  summary: { rows: number; invite: number; add: number; skip_existing: number; rejected: number; departments: number; unmapped_departments: number; complete: boolean };
  mapping: MembersImportMapping[];
  rows: MembersImportRow[];
  rejected: { line: number; code: string; message: string; first_line?: number; email?: string }[];
  llm: { escalations: (Escalation & { department: string })[]; llm_state?: string; answered: number; not_asked: number };
  /** The `import_members` request: absent with nothing to write or while escalations are outstanding. */
  request?: GovernanceRequest;
}
export type MembersImportAnswer = Answer<MembersImportPlan>;
/** An `import_members` request's proposal, as stored. */
export interface MembersImportProposal {
  organization_id: string;
  organization_name?: string;
  rows: MembersImportRow[];
  mapping: MembersImportMapping[];
  skipped_existing: number;
  rejected: number;
  digest: string;
}

// ---- Organization classification (governance::classify) ----
export type OrganizationLabel = "trial" | "enterprise" | "partner" | "internal" | "unknown";
/** One organization as the host gathered it (Management API and stored logs). Unknown fields are failures. */
export interface ClassifyOrganization {
  id: string;
  name?: string | null;
  display_name?: string | null;
  /** Anything: only string values under the rules' keys are read. */
  metadata?: unknown;
  /** RFC 3339, when known. */
  created_at?: string | null;
  domains?: { domain: string; status: string }[];
  enabled_connections?: { name?: string | null; strategy: string }[];
  members?: number;
  activity?: { logins_30d?: number; active_users_30d?: number; failed_30d?: number; first_seen_ms?: number | null; last_seen_ms?: number | null };
}
export interface ClassifyInput {
  /** The tenant policy document (absent: the embedded default). */
  policy?: string | null;
  tenant?: string | null;
  now_ms: number;
  organizations: ClassifyOrganization[];
  /** Step one: without `answers`; step two: the responses (or failure codes) by organization id. */
  llm?: GovernanceLlmInput;
}
export interface ClassifyResult {
  organization_id: string;
  label: OrganizationLabel;
  scores: Record<OrganizationLabel, number>;
  reasons: GovernanceReason[];
  hard_evidence: boolean;
  ambiguous: boolean;
  contention?: OrganizationLabel[];
  escalated: boolean;
  llm?: AuditLlm;
  current_tier: string | null;
  proposed_tier: string | null;
  /** A `set_tier` request, when the proposed tier differs from the current one. */
  request?: GovernanceRequest;
}
export interface Classification {
  results: ClassifyResult[];
  /** Requests to POST to `{LLM_BASE_URL}/chat/completions`, then call again with the answers. */
  escalations: (Escalation & { organization_id: string })[];
  /** The budgets' new value, for the `llm-budget:governance` checkpoint. */
  llm_state?: string;
  summary: {
    organizations: number;
    labels: Record<OrganizationLabel, number>;
    ambiguous: number;
    escalated: number;
    escalated_share: number;
    ambiguous_share: number;
    proposals: number;
  };
}
export type ClassificationAnswer = Answer<Classification>;

/** A chat webhook's body for an alert (Slack's incoming-webhook JSON). */
export type AlertNoticeAnswer = Answer<{ text: string; blocks: Record<string, unknown>[] }>;

/** What a health report is of (`report::ReportConfig`): a period, and an organization or all. Unknown fields are failures. */
export interface ReportConfig {
  /** RFC 3339 times or dates (midnight UTC); `until` after `since`, at most 366 days apart. */
  since: string;
  until: string;
  /** An organization id; absent, null or empty for all organizations. */
  organization?: string | null;
  /** Rows shown in each list (1 to 100, default 10). */
  top?: number;
  /** Keys each list tracks (default 10,000); events of keys beyond are counted in `bounds.keys_untracked`. */
  max_keys?: number;
  /** Users tracked (default 2,000,000); logins of users beyond are counted in `bounds.users_untracked`. */
  max_users?: number;
  detect?: DetectConfig;
}

/** A count in the report's period and in the period of the same length before it. */
export interface Trend {
  current: number;
  previous: number;
}

/** A share (0 to 1, four decimals) in each period; null when there was nothing to share. */
export interface Ratio {
  current: number | null;
  previous: number | null;
}

/** Why a login failed (`report::failures::Cause`). */
export type FailureCause = "user_error" | "integration_error" | "denied" | "other";

/** The per-organization health report (`report::Report`); `format` is `actionguard-report/1`. */
export interface Report {
  format: "actionguard-report/1";
  /** null: all organizations. */
  organization: string | null;
  /** ISO times; `days` counts a part of a day as one. */
  period: { since: string; until: string; days: number };
  previous: { since: string; until: string; days: number };
  input: {
    events: number;
    duplicates: number;
    rejected: number;
    in_period: number;
    in_previous: number;
    outside_periods: number;
    not_this_organization: number;
    audit_records: number;
    audit_duplicates: number;
    audit_rejected: number;
    audit_undated: number;
  };
  users: { active: Trend; mfa: Trend; mfa_coverage: Ratio };
  enrolment: { started: Trend; completed: Trend; failed: Trend; completion: Ratio };
  logins: {
    succeeded: Trend;
    failed: Trend;
    /** All four causes, always, in this order: user_error, integration_error, denied, other. */
    by_cause: ({ cause: FailureCause } & Trend)[];
    silent_auth_failures: Trend;
    reasons: ({ cause: FailureCause; reason: string } & Trend)[];
  };
  /** The period day by day (24 hours from `since` each). */
  daily: { start: string; logins: number; failed_logins: number; silent_auth_failures: number; signups: number; m2m_tokens: number }[];
  attacks: {
    /** Every alert kind, always (then any other), alerts active in each period. */
    by_kind: ({ kind: string } & Trend)[];
    alerts: {
      kind: string;
      severity: string;
      subject_type: string;
      subject: string;
      organizations: string[];
      users: number;
      events: number;
      first_seen: string;
      last_seen: string;
      reasons: string[];
    }[];
    alerts_not_listed: number;
  };
  signups: {
    succeeded: Trend;
    failed: Trend;
    /** disposable, free_mail, other: always all three. */
    by_class: { class: string; succeeded: Trend; failed: Trend }[];
    domains: { domain: string; class: string; succeeded: Trend; failed: Trend }[];
    other_domains: Trend;
    without_domain: Trend;
  };
  m2m: { tokens: Trend; failures: Trend; clients: { client_id: string; audience: string; tokens: Trend; failures: Trend }[]; other_clients: Trend };
  actionguard: {
    records: Trend;
    watched: Trend;
    outcomes: ({ trigger: string; outcome: string } & Trend)[];
    reasons: ({ trigger: string; code: string } & Trend)[];
    other_reasons: Trend;
  };
  /** A report of all organizations: those with the most active users this period. */
  organizations: { id: string; active_users: number; mfa_users: number; logins: number; failed_logins: number; signups: number; m2m_tokens: number }[];
  bounds: { users_untracked: number; keys_untracked: number; detection_state_overflow: number; detection_alerts_dropped: number };
}

export type ReportAnswer = Answer<{ report: Report; markdown: string; analysis?: Analysis }>;
export type LogSpanAnswer = Answer<{ events: number; first_ms: number | null; last_ms: number | null }>;

// ---------------------------------------------------------------------------------------
// The module (wasm/src/lib.rs)
// ---------------------------------------------------------------------------------------

/** A loaded policy. Create one per Action instance (module scope) and reuse it. */
export class Engine {
  /**
   * `policy`: undefined/null for the embedded default, or a policy document as JSON text
   * or object. An invalid document never throws: it is reported by `policyErrors` and in
   * every answer's warnings, and the embedded default is enforced.
   * `recordNonce`: 24 hex digits drawn at random by the host, from which audit record ids
   * are made (the core has no random source); without it ids are unique per engine only.
   * Anything else throws `invalid_argument`.
   */
  constructor(policy?: PolicyDocument | string | null, recordNonce?: string | null);
  /** Frees the WebAssembly memory it holds; the engine is unusable afterwards. */
  free(): void;
  /** The post-login decision; `audit_line` is the line to log, `audit` the record for the webhook. */
  decideLogin(context: LoginContext | string): LoginAnswer;
  /** `decideLogin`, consulting a verified threat feed (`network_under_attack`, `account_under_attack`, as the policy's `threat_feed` weighs them). */
  decideLoginWithFeed(context: LoginContext | string, feed: ThreatFeed): LoginAnswer;
  /** The pre-user-registration decision. */
  decideSignup(context: SignupContext | string): SignupAnswer;
  /** `decideSignup`, consulting a verified threat feed (`network_under_attack`, as soft evidence). */
  decideSignupWithFeed(context: SignupContext | string, feed: ThreatFeed): SignupAnswer;
  /** The credentials-exchange decision. */
  decideCredentials(context: CredentialsContext | string): CredentialsAnswer;
  /** Organization discovery for a user against an index. */
  decideOrganization(index: OrgIndex, context: OrgContext | string): OrganizationAnswer;
  /** What the risk engine saw, without deciding. */
  explainLogin(context: LoginContext | string): ExplanationAnswer;
  /** Errors of a rejected policy document (empty when it was accepted). */
  readonly policyErrors: Issue[];
  /** The `api.cache` keys the core reads and writes, by role. */
  readonly cacheKeys: CacheKeys;
  /** The most organizations a host may page through the Management API for an index (`organizations.live_index_max`); above it a snapshot is required. */
  readonly liveIndexMax: number;
  /** How old an index may be, in ms, before discovery only suggests (`organizations.index_max_age_seconds`): a host holding an older one waits for its refresh. */
  readonly indexMaxAgeMs: number;
  /** Whether decisions consult the threat feed (`threat_feed.enabled`): off, a host need not fetch it. */
  readonly threatFeedEnabled: boolean;
  /** How old a held threat feed may be, in ms, before it is fetched again (`threat_feed.max_age_seconds`). */
  readonly threatFeedMaxAgeMs: number;
  /** The most an execution waits for the threat feed, in ms (`threat_feed.budget_ms`). */
  readonly threatFeedBudgetMs: number;
  /** What to do when a decision cannot be made. */
  readonly failMode: FailMode;
  /**
   * The fail mode of an organization's effective policy, from its metadata (any value; the baseline's when it is not an object),
   * its id and the `ORG_LAYERS_KEY` secret (which verify its `ag_sig` when the policy sets `organizations.unsigned_tier`; not a
   * string: none). Never throws.
   */
  failModeFor(metadata: unknown, organizationId?: unknown, layersKey?: unknown): FailMode;
}

/** The domain -> organization index. Build it with `buildOrgIndex` or `loadOrgSnapshot`; keep it at module scope. */
export class OrgIndex {
  private constructor();
  /** Frees the WebAssembly memory it holds; the index is unusable afterwards. */
  free(): void;
  /** The compact snapshot text (`scripts/sync-orgs` writes it to a file). */
  snapshot(): string;
  /**
   * Ids of the organizations that verified the address's exact domain and use it for
   * discovery: the lookup alone, without policy (`decideOrganization` is what decides).
   */
  lookup(email: string): string[];
  /** How many organizations it holds. */
  readonly organizations: number;
  /** How many domains it holds. */
  readonly domains: number;
}

/** Builds an index from organizations as the Management API returns them, each with its `discovery_domains` (JSON text or objects). */
export function buildOrgIndex(records: OrgRecord[] | string): OrgIndexAnswer;

/** Loads a snapshot made by `index.snapshot()`, as bytes (a `Buffer` or `Uint8Array`) or as a string. */
export function loadOrgSnapshot(snapshot: Uint8Array | string): OrgIndexAnswer;

/**
 * A verified threat feed (`loadThreatFeed`): keep it at module scope and pass it to `decideLogin` and `decideSignup`, which
 * consult it under the policy's `threat_feed`.
 */
export class ThreatFeed {
  private constructor();
  /** Frees the WebAssembly memory it holds; the feed is unusable afterwards. */
  free(): void;
  /** When the control plane issued it (ms since the epoch): a host keeps the newest. */
  readonly issuedAtMs: number;
  /** When it stops being used (ms since the epoch). */
  readonly expiresAtMs: number;
  /** The tenant it was issued for, or null for any. */
  readonly tenant: string | null;
  /** How many network entries it holds. */
  readonly networks: number;
  /** How many account entries it holds. */
  readonly accounts: number;
  /** The entry in force listing a network that covers `ip` at `nowMs`, or null (for anything that is not an address too). */
  networkUnderAttack(ip: unknown, nowMs: number): ThreatListing | null;
  /** The entry in force for a user id (pseudonymized under the feed's tenant, as it was built) at `nowMs`, or null. */
  accountUnderAttack(userId: unknown, nowMs: number): ThreatListing | null;
}

/** What a threat feed says about one network or account (`threat::Listing`). */
export interface ThreatListing {
  /** The detectors' codes (`credential_stuffing`, `signup_wave`, `mfa_fatigue`, `breached_password`), sorted. */
  kinds: string[];
  severity: "low" | "medium" | "high";
  /** Until when the entry holds, in seconds since the epoch. */
  until_s: number;
}

/**
 * Why a threat feed was not taken (`threat::FeedError`, and the host's own fetch failures): a decision made without it
 * carries the code as a warning.
 */
export type ThreatFeedErrorCode =
  | "threat_feed_unreachable"
  | "threat_feed_url_insecure"
  | "threat_feed_timeout"
  | "threat_feed_http_error"
  | "threat_feed_rollback"
  | "threat_feed_oversized"
  | "threat_feed_malformed"
  | "threat_feed_format"
  | "threat_feed_version"
  | "threat_feed_too_many_entries"
  | "threat_feed_key_invalid"
  | "threat_feed_signature"
  | "threat_feed_expired"
  | "threat_feed_not_yet_valid"
  | "threat_feed_tenant_mismatch";

/** What `loadThreatFeed` answers. */
export type ThreatFeedAnswer = Answer<{ feed: ThreatFeed; issued_at_ms: number; expires_at_ms: number; networks: number; accounts: number }>;

/** The input of `buildThreatFeed`: the alerts to publish, for `tenant` (null: any), from `issued_at` for `ttl_seconds` (60 to 604800). */
export interface ThreatFeedInput {
  tenant: string | null;
  /** RFC 3339. */
  issued_at: string;
  ttl_seconds: number;
  /** Alerts in the `logs analyze` shape (other fields ignored), with the `targets` of live alerts, and an optional `until` (RFC 3339). */
  alerts: Array<{ kind: string; severity: "low" | "medium" | "high"; subject: { type: string; value: string }; targets?: string[]; until?: string }>;
}

/** What `buildThreatFeed` answers: `payload` is the text to sign (Ed25519 over its UTF-8 bytes) and serve as it is. */
export type ThreatFeedBuildAnswer = Answer<{ payload: string; networks: number; accounts: number; expires_at: string }>;

/**
 * Verifies a served threat feed (the envelope `{format, payload, signature}` as bytes or text) with the `THREAT_FEED_PUBLIC_KEY`
 * secret (base64 of the raw 32-byte Ed25519 key) at `nowMs`, and for `tenant` when given. Never throws.
 */
export function loadThreatFeed(envelope: Uint8Array | string, publicKey: string, nowMs: number, tenant?: string | null): ThreatFeedAnswer;

/** Bytes of WebAssembly memory in use (it only grows): for benchmarks and capacity planning. */
export function memoryBytes(): number;

/** Whether the user was already invited to the organization, and what to remember; `stored` is what `app_metadata.actionguard_invited` holds, anything at all. */
export function invitationStep(stored: unknown, organizationId: string, nowMs: number): InvitationStepAnswer;

/** The crate version, for audit records and support. */
export function version(): string;

