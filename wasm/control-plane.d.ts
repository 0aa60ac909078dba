// The control plane's module, `require('actionguard/control-plane')` (the facade built with
// `--features control-plane`, wasm/src/control_plane.rs): everything the Actions' module
// `actionguard` exports, and the control plane's own exports below (log analysis, the health
// report, audit and approval intake, governance, policy tooling). The types are the Actions'
// declarations' (./actionguard.d.ts), one place for each.

export * from "./actionguard.js";
import type {
  AlertNoticeAnswer,
  AnalysisAnswer,
  Answer,
  ApprovalAction,
  ApprovalRequestAnswer,
  ApprovalState,
  ApprovalStepAnswer,
  AuditRecordsAnswer,
  ClassificationAnswer,
  ClassifyInput,
  DetectConfig,
  EffectivePolicyAnswer,
  EncodedOverrideAnswer,
  GovernanceAuditRecordAnswer,
  GovernanceCheckAnswer,
  GovernanceRequest,
  GovernanceWrite,
  Issue,
  LiveAlert,
  LiveAlertsAnswer,
  LogBatchAnswer,
  LogFeedAnswer,
  LogSpanAnswer,
  MembersImportAnswer,
  MembersImportInput,
  PolicyDocument,
  PolicyLayer,
  PolicySummaryAnswer,
  ReportAnswer,
  ReportConfig,
  ResponseProposalsAnswer,
  ResponseRequest,
  ResponseRequestAnswer,
  ReviewAnswer,
  ReviewInput,
  SignedLayersAnswer,
  ThreatFeedBuildAnswer,
  ThreatFeedInput,
} from "./actionguard.js";

/** What `newReportBuilder` answers. */
export type ReportBuilderAnswer = Answer<{ builder: ReportBuilder }>;

/** A streaming analysis of Auth0 logs: feed log-stream bodies, then `finish()`. Each `log_id` is read once across feeds. */
export class LogAnalyzer {
  /** Throws an `Error` with code `invalid_config` for a configuration it cannot read. */
  constructor(config?: DetectConfig | string | null);
  /** Frees the WebAssembly memory it holds. */
  free(): void;
  /** A log-stream body, read as `parseLogBatch` reads it; a failure `finished` after `finish()`. */
  feed(body: string): LogFeedAnswer;
  /** A chunk of a JSON-lines file: every line one entry, even one holding an array. */
  feedLines(lines: string): LogFeedAnswer;
  /**
   * The next bytes of a JSON-lines file as read from the disk, cut anywhere (no string made of them): read as `logs import`
   * reads a file (bodies of 5,000 lines, a line holding a JSON array alone, invalid UTF-8 as U+FFFD). The counts of the
   * bodies these bytes completed; `finish()` reads the rest. A failure `finished` after `finish()`, `invalid_body` for
   * anything but a `Uint8Array` (a `Buffer` is one).
   */
  feedFile(bytes: Uint8Array): LogFeedAnswer;
  /**
   * The alerts raised or updated since the last call (all so far the first time), each whole with its counts so far, and the
   * analyzer's counts: for a live host, which replaces an alert's earlier version. A failure `finished` after `finish()`.
   */
  takeAlerts(): LiveAlertsAnswer;
  /** Forgets the alerts idle for over `idleMs` before the latest event read (room under `max_alerts` for a long-lived analyzer); how many. */
  forgetIdleAlerts(idleMs: number): number;
  /** The analysis of everything fed; a failure `finished` when called again. */
  finish(): AnalysisAnswer;
}

/** The health report (`report::ReportBuilder`), made by `newReportBuilder`: feed log and audit bodies in any order, then `finish()`. */
export class ReportBuilder {
  private constructor();
  /** Frees the WebAssembly memory it holds. */
  free(): void;
  /** A log-stream body, read as `parseLogBatch` reads it; a failure `finished` after `finish()`. */
  feed(body: string): LogFeedAnswer;
  /** A chunk of a JSON-lines file: every line one entry. */
  feedLines(lines: string): LogFeedAnswer;
  /** Audit records, one JSON object a line (`events`: records read). */
  feedAudit(body: string): LogFeedAnswer;
  /** The report and its Markdown (and `logs analyze`'s analysis of every log fed, `withAnalysis`); a failure `finished` when called again. */
  finish(withAnalysis?: boolean): ReportAnswer;
}

/** The threat feed's payload from alerts: which become network and account entries (accounts pseudonymized), merged and bounded. */
export function buildThreatFeed(input: ThreatFeedInput | string): ThreatFeedBuildAnswer;

/** Lints a policy document: its effective form and digest, or every error. */
export function validatePolicy(policy: PolicyDocument | string): PolicySummaryAnswer;

/**
 * The policy an organization gets from its metadata (`ag_tier`, `ag_policy`...) on a baseline document; a rejected baseline is a
 * failure. With `organizations.unsigned_tier` set, its id and the `ORG_LAYERS_KEY` secret say whether its layers are signed.
 */
export function effectivePolicy(
  policy: PolicyDocument | string,
  metadata: Record<string, unknown> | string,
  organizationId?: string | null,
  layersKey?: string | null,
): EffectivePolicyAnswer;

/** The signature of an organization's layers (`ag_tier`, `ag_policy`...) under the `ORG_LAYERS_KEY` secret (16+ characters), for its metadata. */
export function signOrganizationLayers(organizationId: string, metadata: Record<string, unknown> | string, layersKey: string): SignedLayersAnswer;

/** The organization-metadata form of an override (a partial policy document), or why it cannot be written. */
export function encodeOverride(overlay: PolicyLayer | string): EncodedOverrideAnswer;

/** Reads a batch of Auth0's log stream (JSON lines or a JSON array, each log bare, in `{ log_id, data }` or in EventBridge's `detail`); a failure only when `body` is missing. */
export function parseLogBatch(body: string): LogBatchAnswer;

/** The Actions' audit webhook body, one record a line (`audit::intake`). */
export function readAuditRecords(body: string): AuditRecordsAnswer;

/** An approval request body as the Actions send it (`approvals::read_request`). */
export function readApprovalRequest(body: string): ApprovalRequestAnswer;

/** The responses an alert calls for, as approval requests (`approvals::responses::propose_json`); `tenant` keys their dedupe keys. */
export function proposeResponses(alert: LiveAlert | string, tenant?: string | null): ResponseProposalsAnswer;

/** A stored response request checked before execution (`approvals::responses::check`): an edited row is a failure `not_a_response`. */
export function checkResponseRequest(request: ResponseRequest | string): ResponseRequestAnswer;

export function governanceCheck(request: GovernanceRequest | string): GovernanceCheckAnswer;

export function reviewMembers(input: ReviewInput | string): ReviewAnswer;

export function applyTierChange(input: {
  policy?: string | null;
  layers_key?: string | null;
  proposal: { organization_id: string; organization_name?: string | null; from_tier?: string | null; to_tier: string; label?: string | null };
  metadata: Record<string, unknown>;
}): Answer<{ action: "skip" } | { action: "write"; metadata: Record<string, unknown>; signed: boolean }>;

export function reviewStillStale(input: {
  stale_days: number;
  now_ms: number;
  last_success_ms?: number | null;
  last_login_ms?: number | null;
}): Answer<{ still_stale: boolean }>;

export function reviewSuccessLogTypes(): string[];

export function reviewMfaLogTypes(): string[];

export function governanceAuditRecord(write: GovernanceWrite): GovernanceAuditRecordAnswer;

/** Bulk membership (`governance::roster`): rows checked, departments mapped, the plan and its `import_members` request. */
export function planMembersImport(input: MembersImportInput | string): MembersImportAnswer;

/** Organization classification (`governance::classify`): labels, reasons, proposed tiers; LLM escalations in two steps. */
export function classifyOrganizations(input: ClassifyInput | string): ClassificationAnswer;

/** The log types classification counts (logins, failures) and its window in days. */
export function classifyLogTypes(): { type: "success"; logins: string[]; failures: string[]; days: number; warnings: Issue[] };

/** The chat-webhook message for an alert (`detect::notice`): users as pseudonyms under `tenant`, targets only counted. */
export function alertNotice(alert: LiveAlert | string, tenant?: string | null): AlertNoticeAnswer;

/** The approval states, in the core's order (`approvals::State::ALL`). */
export function approvalStates(): ApprovalState[];

/** The approval state machine (`approvals::step_json`). */
export function approvalStep(input: { action: ApprovalAction; state?: ApprovalState; lease_expired?: boolean }): ApprovalStepAnswer;

/** A health report builder for `config`; a configuration it cannot use is a failure (`invalid_config`, `invalid_period`), never a throw. */
export function newReportBuilder(config: ReportConfig | string): ReportBuilderAnswer;

/** The first and last dates (ms) of a log body's logs (read as `parseLogBatch` reads it): the offline report's default period ends with the file's last day. */
export function logSpan(body: string): LogSpanAnswer;
