// The harness's own shapes (actions-js/harness/): what an execution records, the
// contract object `--json` prints (design.md section 5), tenant fixtures for the
// emulated Management API, and scenario files. Ambient, like auth0-actions.d.ts:
// JSDoc refers to these as `Harness.Result`, `Harness.TenantFixture`, and so on.

declare namespace Harness {
  type Trigger = Auth0Actions.Trigger;
  type Outcome = 'allow' | 'challenge' | 'deny' | 'error';

  // The harness's classes as types. `InstanceType<typeof ...>` because the modules
  // export them in a `module.exports = { ... }` object, whose members TypeScript 7
  // offers as values only (`import('../harness/api').Cache` is not a type there).
  type Cache = InstanceType<typeof import('../harness/api').Cache>;
  type ManagementEmulator = InstanceType<typeof import('../harness/management').ManagementEmulator>;
  type FakeLlm = InstanceType<typeof import('../harness/llm').FakeLlm>;

  /** One `api` call an Action made, with a JSON copy of its arguments. */
  interface RecordedCall {
    method: string;
    args: unknown[];
  }

  /** The batched `setAppMetadata` / `setUserMetadata` writes of one execution. */
  interface Metadata {
    app_metadata: Record<string, unknown>;
    user_metadata: Record<string, unknown>;
  }

  /** One request the emulated Management API answered; secrets in the body are redacted. */
  interface ManagementCall {
    method: string;
    path: string;
    /** The JSON (or form) body as sent. */
    body?: any;
    status?: number;
  }

  interface Reason {
    code: string;
    message: string;
  }

  /**
   * An audit record in full (a JSON object with `actionguard_audit`), as the Action's audit
   * trail kept it for the webhook. Its schema is the core's; the harness reads only the
   * fields named here.
   */
  interface AuditRecord {
    actionguard_audit: unknown;
    id?: string;
    trigger?: string;
    outcome?: string;
    score?: number;
    reasons?: Reason[];
    fail_mode?: boolean;
    error?: { code?: string; path?: string | null; status?: number | null };
    policy?: { layers?: string[]; digest?: string };
    llm?: { asked?: boolean; result?: string };
    [field: string]: any;
  }

  /** The contract object of one execution (`cli.js run --json`). */
  /** One execution's console: Auth0 keeps its first 256 characters, and never in tenant logs or log streams. */
  interface ConsoleView {
    /** Each line the Action wrote, in order. */
    lines: string[];
    /** The first 256 characters of the output: what Auth0 would keep. */
    persisted: string;
    /** Whether the output was longer, so Auth0 would cut it. */
    cut: boolean;
  }

  interface Result {
    trigger: Trigger;
    outcome: Outcome;
    api_calls: RecordedCall[];
    management_calls: ManagementCall[];
    llm_calls: number;
    /** The execution's audit records in full: what AUDIT_WEBHOOK_URL would receive. */
    audit: AuditRecord[];
    /** Its console output, and what Auth0 keeps of it. */
    console: ConsoleView;
    error?: string;
    /**
     * What the deciding audit record says the engine decided; differs from `outcome` when
     * the decision was only watched (policy `enforcement`). Absent without a decision.
     */
    would_outcome?: 'allow' | 'challenge' | 'deny';
    /** Organization discovery's decision, when it ran (`suggest` is then what was applied). */
    would_action?: string;
    /** Whether the deciding decision was applied (`enforcement.enforced` of its record). */
    enforced?: boolean;
  }

  interface RunOptions {
    trigger: Trigger;
    /** Merged over the trigger's default event unless `fillDefaults` is false. */
    event?: unknown;
    /** Default true. */
    fillDefaults?: boolean;
    /** Starts an emulated Management API for this run (or when secrets name AUTH0_DOMAIN). */
    tenant?: TenantFixture;
    secrets?: Auth0Actions.Secrets;
    /** ISO-8601: the Action's clock starts there. */
    now?: string;
    /** Default actions-js/<trigger>.js. */
    actionFile?: string;
    /** A harness Cache shared between runs. */
    cache?: Cache;
    /** What a new Cache starts with when `cache` is not given. */
    cacheSeed?: Record<string, string | Auth0Actions.CacheRecord>;
    /** A started emulator to reuse (its calls since this run began are reported). */
    emulator?: ManagementEmulator;
    budgetMs?: number;
    /** Load the Action file anew instead of reusing the loaded instance. */
    freshModule?: boolean;
    /**
     * Run on this instance (`loadAction`'s): executions started together on a new one
     * are concurrent executions on one cold Action instance.
     */
    instance?: import('../harness/loader').LoadedAction;
  }

  interface RunOutput {
    result: Result;
    logs: string;
    metadata: Metadata;
    cache: Cache;
  }

  // ---- tenant fixtures (the emulated Management API's state) ----

  interface Role {
    id: string;
    name: string;
    description?: string;
  }

  interface FixtureUser {
    user_id: string;
    email?: string;
    name?: string;
    picture?: string;
    app_metadata?: Record<string, unknown>;
    user_metadata?: Record<string, unknown>;
    [field: string]: unknown;
  }

  interface Member {
    user_id: string;
    /** Role ids. */
    roles?: string[];
  }

  interface DiscoveryDomain {
    id?: string;
    domain: string;
    status?: 'pending' | 'verified';
    use_for_organization_discovery?: boolean;
    verification_txt?: string;
    verification_host?: string;
  }

  interface FixtureOrganization {
    id: string;
    name: string;
    display_name?: string;
    metadata?: Record<string, string>;
    branding?: unknown;
    members?: Member[];
    discovery_domains?: DiscoveryDomain[];
    /** Connections enabled for the organization: a name, or its parts (strategy defaults to `oidc`). */
    enabled_connections?: FixtureEnabledConnection[];
  }

  /** A connection name, its parts, or the entry as Auth0 lists it. */
  type FixtureEnabledConnection =
    | string
    | StoredEnabledConnection
    | {
        name: string;
        strategy?: string;
        connection_id?: string;
        assign_membership_on_login?: boolean;
        show_as_button?: boolean;
        is_signup_enabled?: boolean;
      };

  /** An enabled connection as Auth0 lists it (`GET /api/v2/organizations/{id}/enabled_connections`). */
  interface StoredEnabledConnection {
    connection_id: string;
    assign_membership_on_login: boolean;
    show_as_button: boolean;
    is_signup_enabled: boolean;
    connection: { name: string; strategy: string };
  }

  /** An injected failure: the next `times` requests matching method and path prefix get `status`. */
  interface Fault {
    method?: string;
    path?: string;
    status?: number;
    times?: number;
    reset_in_s?: number;
    delay_ms?: number;
  }

  interface TenantFixture {
    organizations?: FixtureOrganization[];
    roles?: Role[];
    users?: FixtureUser[];
    faults?: Fault[];
  }

  /** A discovery domain as the emulator keeps it: ids and verification records filled in. */
  interface StoredDiscoveryDomain extends DiscoveryDomain {
    id: string;
    verification_txt: string;
    verification_host: string;
  }

  /** An organization as the emulator keeps it: members and domains filled in. */
  interface Organization extends FixtureOrganization {
    members: Member[];
    discovery_domains: StoredDiscoveryDomain[];
    enabled_connections: StoredEnabledConnection[];
  }

  interface Invitation {
    id: string;
    organization_id: string;
    created_at: string;
    invitee: { email: string };
    inviter: { name: string };
    client_id: string;
    [field: string]: unknown;
  }

  interface SupportedTrigger {
    id: Trigger;
    version: string;
  }

  interface ActionSecret {
    name: string;
    value?: string;
  }

  interface ActionVersion {
    id: string;
    action_id: string;
    number: number;
    deployed: boolean;
    status: 'built';
    code: string;
    dependencies: { name: string; version?: string }[];
    runtime: string;
  }

  /** An Action as the emulated Actions API keeps it. */
  interface EmulatedAction {
    id: string;
    name: string;
    supported_triggers: SupportedTrigger[];
    created_at: string;
    updated_at: string;
    version_count: number;
    code?: string;
    dependencies?: { name: string; version?: string }[];
    runtime?: string;
    secrets?: ActionSecret[];
    status?: 'pending' | 'building' | 'built' | 'failed';
    /** GETs seen since the last change: the build finishes after a few. */
    polls?: number;
    all_changes_deployed?: boolean;
    deployed_version?: ActionVersion;
    built_at?: string;
    errors?: { id: string; msg: string }[];
  }

  interface Binding {
    id: string;
    trigger_id: Trigger;
    display_name: string;
    action: { id: string; name: string };
  }

  // ---- scenario files (scenarios/**/*.json) ----

  interface Expectation {
    outcome?: Outcome;
    /** Exact list of api methods, in call order. */
    api_methods?: string[];
    /** Appear in this order (others may interleave); partial objects. */
    api_calls?: Partial<RecordedCall>[];
    absent_methods?: string[];
    /** Exact reason codes of the deciding audit record. */
    reasons?: string[];
    /** One partial object per audit record. */
    audit?: Partial<AuditRecord>[];
    /** In order, partial. */
    management_calls?: Partial<ManagementCall>[];
    llm_calls?: number;
    error_contains?: string;
    /** Exact: what the decision would have done (policy `enforcement`). */
    would_outcome?: Result['would_outcome'];
    /** Exact: what organization discovery would have done. */
    would_action?: string;
    /** Exact: whether the decision was applied. */
    enforced?: boolean;
    /** Exactly the `cohort` subjects whose decision was enforced, in cohort order. */
    enforced_subjects?: string[];
  }

  interface Scenario {
    name: string;
    description?: string;
    trigger: Trigger;
    event?: unknown;
    fill_defaults?: boolean;
    secrets?: Auth0Actions.Secrets;
    now?: string;
    tenant?: TenantFixture;
    /** Relative to the scenario file; read into `tenant`. */
    tenant_file?: string;
    /** Relative to the scenario file when written, absolute once loaded. */
    action_file?: string;
    fresh_module?: boolean;
    /** Earlier executions of the same Action, sharing its cache; not checked. */
    preceded_by?: { event?: unknown; times?: number }[];
    /** Run the Action beside a copy of the package whose WebAssembly does not compile. */
    wasm?: 'corrupt';
    /** Start the harness's OpenAI-compatible server and point LLM_BASE_URL at it. */
    llm?: { reply?: LlmReply; delay_ms?: number };
    /**
     * Subjects (user ids; addresses for sign-ups; client ids for tokens) each run once more
     * with the scenario's event: who a percentage enforces (`expect.enforced_subjects`).
     */
    cohort?: string[];
    expect: Expectation;
  }

  // ---- the fake LLM (harness/llm.js) ----

  /** A decision to answer with, or one of the failure behaviours harness/llm.js lists. */
  type LlmReply = string;

  interface LlmRequest {
    path: string;
    headers: import('node:http').IncomingHttpHeaders;
    body: string;
    /** The body parsed, or null when it was not JSON. */
    json: any;
  }
}
