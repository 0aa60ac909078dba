// What Auth0 hands an Action: the `event` and `api` of each trigger ActionGuard
// ships a shim for, as Auth0's Actions reference describes them and as the harness
// (harness/events.js, harness/api.js) reproduces them. Only what the shims, the
// harness and the tests touch is spelled out; objects Auth0 documents as open
// (metadata, query, body) stay open. The shims still read every field defensively:
// these types say what Auth0 sends, and a malformed event is a case they handle.
//
// Ambient (a global namespace, no import needed): JSDoc refers to these as
// `Auth0Actions.PostLoginEvent`, `Auth0Actions.PostLoginApi`, and so on.

declare namespace Auth0Actions {
  type Trigger = 'post-login' | 'pre-user-registration' | 'post-user-registration' | 'credentials-exchange';

  /** Action secrets: always strings. */
  type Secrets = Record<string, string>;
  /** Client, connection and organization metadata: string values only. */
  type StringMetadata = Record<string, string>;

  // ---- event ----

  interface GeoIp {
    cityName?: string;
    continentCode?: string;
    countryCode?: string;
    countryCode3?: string;
    countryName?: string;
    latitude?: number;
    longitude?: number;
    subdivisionCode?: string;
    subdivisionName?: string;
    timeZone?: string;
  }

  interface Request {
    ip: string;
    asn?: string;
    method?: string;
    hostname?: string;
    language?: string;
    user_agent?: string;
    query?: Record<string, unknown>;
    body?: Record<string, unknown>;
    geoip?: GeoIp;
  }

  interface Client {
    client_id: string;
    name?: string;
    metadata?: StringMetadata;
  }

  interface Connection {
    id: string;
    name: string;
    strategy: string;
    metadata?: StringMetadata;
  }

  interface Tenant {
    id: string;
  }

  interface Organization {
    id: string;
    name: string;
    display_name?: string;
    metadata?: StringMetadata;
  }

  interface Identity {
    connection: string;
    isSocial: boolean;
    provider: string;
    user_id: string;
    userId?: string;
  }

  interface EnrolledFactor {
    type: string;
    options?: Record<string, unknown>;
  }

  interface User {
    user_id: string;
    email?: string;
    email_verified?: boolean;
    name?: string;
    given_name?: string;
    family_name?: string;
    nickname?: string;
    username?: string;
    picture?: string;
    phone_number?: string;
    phone_verified?: boolean;
    created_at?: string;
    updated_at?: string;
    last_password_reset?: string;
    identities?: Identity[];
    app_metadata: Record<string, unknown>;
    user_metadata: Record<string, unknown>;
    multifactor?: string[];
    enrolledFactors?: EnrolledFactor[];
  }

  /** The user of a pre-user-registration: not created yet, so no id. */
  interface NewUser {
    email?: string;
    name?: string;
    username?: string;
    phone_number?: string;
    app_metadata?: Record<string, unknown>;
    user_metadata?: Record<string, unknown>;
  }

  type Confidence = 'low' | 'medium' | 'high' | 'neutral';

  interface Assessment {
    confidence: Confidence;
    code: string;
    details?: Record<string, unknown>;
  }

  interface RiskAssessment {
    confidence: Confidence;
    version: string;
    assessments: {
      UntrustedIP?: Assessment;
      NewDevice?: Assessment;
      ImpossibleTravel?: Assessment;
      [name: string]: Assessment | undefined;
    };
  }

  interface AuthenticationMethod {
    name: string;
    timestamp: string;
    type?: string;
  }

  interface Transaction {
    id?: string;
    locale?: string;
    protocol?: string;
    requested_scopes?: string[];
    redirect_uri?: string;
    response_mode?: string;
    response_type?: string[];
    state?: string;
    ui_locales?: string[];
    acr_values?: string[];
    prompt?: string[];
    metadata?: Record<string, string>;
  }

  interface Session {
    id: string;
    device?: Record<string, string>;
  }

  interface PostLoginEvent {
    transaction?: Transaction;
    authentication?: { methods: AuthenticationMethod[]; riskAssessment?: RiskAssessment };
    authorization?: { roles: string[] };
    client: Client;
    connection: Connection;
    organization?: Organization;
    request: Request;
    resource_server?: { identifier: string };
    session?: Session;
    stats: { logins_count: number };
    tenant: Tenant;
    secrets: Secrets;
    configuration?: Record<string, string>;
    user: User;
  }

  interface PreUserRegistrationEvent {
    transaction?: Transaction;
    client?: Client;
    connection: Connection;
    request: Request;
    tenant: Tenant;
    secrets: Secrets;
    user: NewUser;
  }

  interface PostUserRegistrationEvent {
    connection: Connection;
    request?: Request;
    tenant: Tenant;
    secrets: Secrets;
    user: User;
  }

  interface CredentialsExchangeEvent {
    transaction?: { requested_scopes: string[] };
    client: Client;
    request: Request;
    resource_server?: { identifier: string };
    accessToken: { scope: string[]; customClaims: Record<string, unknown> };
    tenant: Tenant;
    secrets: Secrets;
  }

  interface EventByTrigger {
    'post-login': PostLoginEvent;
    'pre-user-registration': PreUserRegistrationEvent;
    'post-user-registration': PostUserRegistrationEvent;
    'credentials-exchange': CredentialsExchangeEvent;
  }

  type Event = EventByTrigger[Trigger];

  // ---- api ----

  interface CacheRecord {
    value: string;
    /** Epoch milliseconds. */
    expires_at: number;
  }

  interface CacheSetOptions {
    /** Milliseconds from now. */
    ttl?: number;
    /** Epoch milliseconds; the earlier of the two wins when both are given. */
    expires_at?: number;
  }

  type CacheErrorCode =
    | 'InvalidArgument'
    | 'CacheKeySizeExceeded'
    | 'CacheValueSizeExceeded'
    | 'CacheSizeExceeded'
    | 'InvalidExpiry'
    | 'ItemAlreadyExpired'
    | 'CacheKeyDoesNotExist';

  // Discriminated by `type`; the other variant's field is declared absent, so that
  // `result.code` reads as `undefined` on a success without narrowing first.
  interface CacheError {
    type: 'error';
    code: CacheErrorCode;
    record?: undefined;
  }

  type CacheSetResult = { type: 'success'; record: CacheRecord; code?: undefined } | CacheError;
  type CacheDeleteResult = { type: 'success'; code?: undefined } | CacheError;

  interface ApiCache {
    get(key: string): CacheRecord | undefined;
    set(key: string, value: string, options?: CacheSetOptions): CacheSetResult;
    delete(key: string): CacheDeleteResult;
  }

  type FactorType = 'otp' | 'webauthn-platform' | 'webauthn-roaming' | 'push-notification' | 'phone' | 'email' | 'recovery-code';

  interface Factor {
    type: FactorType;
    options?: Record<string, unknown>;
  }

  interface PostLoginApi {
    access: { deny(reason: string): PostLoginApi };
    accessToken: {
      setCustomClaim(name: string, value: unknown): PostLoginApi;
      addScope(scope: string): void;
      removeScope(scope: string): void;
    };
    authentication: {
      challengeWith(factor: Factor, options?: { additionalFactors?: Factor[] }): void;
      challengeWithAny(factors: Factor[]): void;
      enrollWith(factor: Factor, options?: { additionalFactors?: Factor[] }): void;
      enrollWithAny(factors: Factor[]): void;
      recordMethod(providerUrl: string): PostLoginApi;
    };
    cache: ApiCache;
    idToken: { setCustomClaim(name: string, value: unknown): PostLoginApi };
    multifactor: {
      enable(provider: string, options?: { allowRememberBrowser?: boolean; providerOptions?: Record<string, unknown> }): PostLoginApi;
    };
    redirect: {
      sendUserTo(url: string, options?: { query?: Record<string, string> }): PostLoginApi;
      encodeToken(options: { secret: string; payload: Record<string, unknown>; expiresInSeconds?: number }): string;
      validateToken(options: { secret: string; tokenParameterName?: string }): Record<string, unknown>;
    };
    session: { revoke(reason?: string): void };
    user: {
      setAppMetadata(key: string, value: unknown): PostLoginApi;
      setUserMetadata(key: string, value: unknown): PostLoginApi;
    };
  }

  interface PreUserRegistrationApi {
    /** `internalReason` goes to the logs, `userMessage` to the user. */
    access: { deny(internalReason: string, userMessage?: string): PreUserRegistrationApi };
    cache: ApiCache;
    validation: { error(errorCode: string, userMessage: string): PreUserRegistrationApi };
    user: {
      setAppMetadata(key: string, value: unknown): PreUserRegistrationApi;
      setUserMetadata(key: string, value: unknown): PreUserRegistrationApi;
    };
  }

  /** Post-user-registration is non-blocking: the cache is all it gets. */
  interface PostUserRegistrationApi {
    cache: ApiCache;
  }

  type CredentialsExchangeDenyCode = 'invalid_scope' | 'invalid_request' | 'server_error';

  interface CredentialsExchangeApi {
    access: { deny(code: CredentialsExchangeDenyCode, reason: string): CredentialsExchangeApi };
    accessToken: { setCustomClaim(name: string, value: unknown): CredentialsExchangeApi };
    cache: ApiCache;
  }

  interface ApiByTrigger {
    'post-login': PostLoginApi;
    'pre-user-registration': PreUserRegistrationApi;
    'post-user-registration': PostUserRegistrationApi;
    'credentials-exchange': CredentialsExchangeApi;
  }

  type Api = ApiByTrigger[Trigger];
}
