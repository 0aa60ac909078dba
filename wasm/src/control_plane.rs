//! The control plane's exports (`--features control-plane`, the module
//! `actionguard/control-plane` beside the Actions' `actionguard`): log-stream
//! reading and analysis, the health report, audit and approval intake, governance
//! and policy tooling. The Actions never call these, and a cold Action instance
//! validates and compiles every byte of its module, so they are built into a
//! module of their own (docs/benchmarks.md, "Module size and cold start").

use actionguard::Answer;
use wasm_bindgen::prelude::*;

use crate::boundary::{self, answer_to_js, failure_to_js, into_error, to_json, with_json};

/// The threat feed's payload from alerts (the control plane's, in the `logs analyze` shape,
/// with optional `targets` and `until`): input `{ tenant, issued_at, ttl_seconds, alerts }`;
/// `{ type: "success", payload, networks, accounts, expires_at, warnings } | { type: "failure",
/// errors }`. `payload` is the text to sign and serve as it is.
#[wasm_bindgen(js_name = buildThreatFeed)]
pub fn build_threat_feed(input: JsValue) -> Result<JsValue, JsValue> {
    with_json(&input, "the threat feed input", "threat_feed_malformed", |json| match actionguard::threat::build_json(json) {
        Ok((built, warnings)) => answer_to_js(&Answer::success(built, warnings)),
        Err(err) => answer_to_js::<()>(&Answer::failure(err.to_issue())),
    })
}

/// Lints a policy document: `{ type: "success", digest, policy } | { type: "failure", errors }`.
#[wasm_bindgen(js_name = validatePolicy)]
pub fn validate_policy(policy: JsValue) -> Result<JsValue, JsValue> {
    with_json(&policy, "the policy", "invalid_policy", |json| answer_to_js(&actionguard::validate_policy_json(json)))
}

/// The policy an organization gets from its metadata: `{ type: "success", layers, digest, policy, rejected }`.
/// Its id and the `ORG_LAYERS_KEY` secret (strings; anything else is none) say whether
/// its layers are signed, when the policy sets `organizations.unsigned_tier`.
#[wasm_bindgen(js_name = effectivePolicy)]
pub fn effective_policy(policy: JsValue, metadata: JsValue, organization_id: JsValue, layers_key: JsValue) -> Result<JsValue, JsValue> {
    let (id, key) = (organization_id.as_string(), layers_key.as_string());
    with_json(&policy, "the policy", "invalid_policy", |p| {
        with_json(&metadata, "the organization metadata", "invalid_metadata", |m| {
            answer_to_js(&actionguard::effective_policy_json(p, m, id.as_deref(), key.as_deref()))
        })
    })
}

/// The signature of an organization's layers (`ag_tier`, `ag_policy`...) under the
/// `ORG_LAYERS_KEY` secret: `{ type: "success", ag_sig }`, for its metadata.
#[wasm_bindgen(js_name = signOrganizationLayers)]
pub fn sign_organization_layers(organization_id: JsValue, metadata: JsValue, layers_key: JsValue) -> Result<JsValue, JsValue> {
    let (Some(id), Some(key)) = (organization_id.as_string(), layers_key.as_string()) else {
        return failure_to_js("invalid_arguments", "the organization id and the key must be strings".to_string());
    };
    with_json(&metadata, "the organization metadata", "invalid_metadata", |m| answer_to_js(&actionguard::sign_layers_json(&id, m, &key)))
}

/// A batch of Auth0's log stream (JSON lines or a JSON array, the body as received):
/// `{ type: "success", events, rejects, duplicates, warnings }`. Never a failure for
/// what the body holds: unreadable lines are `rejects`; only a missing body fails.
#[wasm_bindgen(js_name = parseLogBatch)]
pub fn parse_log_batch(body: JsValue) -> Result<JsValue, JsValue> {
    with_json(&body, "the body", "invalid_body", |b| answer_to_js(&actionguard::logs::parse_log_batch_json(b)))
}

/// A streaming analysis of Auth0 logs (`detect::Analyzer`): feed log-stream bodies,
/// then `finish()` for the analysis (`actionguard logs analyze`'s contract). Each
/// `log_id` is read once across feeds.
#[wasm_bindgen]
pub struct LogAnalyzer {
    inner: Option<actionguard::detect::Analyzer>,
    /// The file being read by `feedFile`, between its bytes.
    file: Option<actionguard::logs::LineFile>,
}

/// What one feed added: distinct new events, duplicates, rejected entries.
#[derive(serde::Serialize)]
struct Fed {
    events: u64,
    duplicates: u64,
    rejected: u64,
}

#[wasm_bindgen]
impl LogAnalyzer {
    /// `config`: undefined/null for the defaults, or a subset of `DetectConfig` as JSON
    /// text or object. One that cannot be read throws `invalid_config` (the host's mistake).
    #[wasm_bindgen(constructor)]
    pub fn new(config: JsValue) -> Result<LogAnalyzer, JsValue> {
        let json = to_json(&config, "the configuration").map_err(|m| into_error("invalid_config", &m))?;
        let config = actionguard::detect::DetectConfig::from_json(json.as_deref()).map_err(|i| {
            let at = i.path.map(|p| format!(" at `{p}`")).unwrap_or_default();
            into_error("invalid_config", &format!("{}{at}", i.message))
        })?;
        Ok(LogAnalyzer { inner: Some(actionguard::detect::Analyzer::new(config)), file: None })
    }

    /// Feeds a log-stream body (JSON lines, a JSON array, one object: as `parseLogBatch`
    /// reads it): `{ type: "success", events, duplicates, rejected, warnings }`, the counts
    /// of this body. A failure `finished` after `finish()`, `invalid_body` without a body.
    pub fn feed(&mut self, body: JsValue) -> Result<JsValue, JsValue> {
        self.feed_with(&body, actionguard::logs::parse_batch)
    }

    /// As `feed`, for a chunk of a file of JSON lines: each line is one entry, even one
    /// that is a JSON array (`feed` would read a body starting with `[` as an array).
    #[wasm_bindgen(js_name = feedLines)]
    pub fn feed_lines(&mut self, lines: JsValue) -> Result<JsValue, JsValue> {
        self.feed_with(&lines, actionguard::logs::parse_lines)
    }

    fn feed_with(&mut self, body: &JsValue, parse: fn(&str) -> actionguard::logs::Batch) -> Result<JsValue, JsValue> {
        let Some(analyzer) = self.inner.as_mut() else {
            return failure_to_js("finished", "this analyzer has finished; make a new one".to_string());
        };
        with_json(body, "the body", "invalid_body", |b| {
            let before = analyzer.counts();
            analyzer.feed_batch(&parse(b));
            answer_to_js(&Answer::success(fed_since(analyzer, before), Vec::new()))
        })
    }

    /// Feeds the next bytes of a file of JSON lines as they come off the disk (a
    /// `Uint8Array` cut anywhere), read as `logs import` reads a file (`logs::LineFile`:
    /// bodies of 5,000 lines, a line holding a JSON array alone, invalid UTF-8 as
    /// U+FFFD) with no JavaScript string made of them: `{ type: "success", events,
    /// duplicates, rejected }`, the counts of the bodies these bytes completed
    /// (`finish()` reads the rest). A failure `finished` after `finish()`, `invalid_body`
    /// for anything but a `Uint8Array` (a `Buffer` is one).
    #[wasm_bindgen(js_name = feedFile)]
    pub fn feed_file(&mut self, bytes: JsValue) -> Result<JsValue, JsValue> {
        let Some(analyzer) = self.inner.as_mut() else {
            return failure_to_js("finished", "this analyzer has finished; make a new one".to_string());
        };
        let Some(bytes) = bytes.dyn_ref::<js_sys::Uint8Array>() else {
            return failure_to_js("invalid_body", "the file's bytes are not a Uint8Array".to_string());
        };
        // One copy into this module's memory, as a `&[u8]` argument would make.
        let bytes = bytes.to_vec();
        let before = analyzer.counts();
        self.file.get_or_insert_with(actionguard::logs::LineFile::new).push(&bytes, &mut |body| feed_file_body(analyzer, body));
        answer_to_js(&Answer::success(fed_since(analyzer, before), Vec::new()))
    }

    /// The alerts raised or updated since the last call (all so far the first time),
    /// each whole, with `targets` on stuffing alerts that have some: `{ type: "success",
    /// alerts, events, duplicates, rejected, state_overflow, alerts_dropped, warnings }`
    /// (the counts so far); a failure `finished` after `finish()`. For a live host.
    #[wasm_bindgen(js_name = takeAlerts)]
    pub fn take_alerts(&mut self) -> Result<JsValue, JsValue> {
        let Some(analyzer) = self.inner.as_mut() else {
            return failure_to_js("finished", "this analyzer has finished; make a new one".to_string());
        };
        let alerts = analyzer.take_alerts();
        let (events, duplicates, rejected) = analyzer.counts();
        let (state_overflow, alerts_dropped) = analyzer.bounds_reached();
        let live = actionguard::detect::LiveAlerts {
            alerts: alerts.iter().map(|a| actionguard::detect::LiveAlert { alert: a, targets: &a.targets }).collect(),
            events,
            duplicates,
            rejected,
            state_overflow,
            alerts_dropped,
        };
        answer_to_js(&Answer::success(live, Vec::new()))
    }

    /// Forgets the alerts idle for over `idleMs` before the latest event read (a live
    /// analyzer's room under `max_alerts`); how many. 0 after `finish()`.
    #[wasm_bindgen(js_name = forgetIdleAlerts)]
    pub fn forget_idle_alerts(&mut self, idle_ms: f64) -> f64 {
        let idle = if idle_ms.is_finite() && idle_ms > 0.0 { idle_ms.min(i64::MAX as f64) as i64 } else { 0 };
        self.inner.as_mut().map_or(0.0, |a| a.forget_idle_alerts(idle) as f64)
    }

    /// The analysis of everything fed: `{ type: "success", events, duplicates, rejected,
    /// alerts, organizations, state_overflow, alerts_dropped, warnings }`; a failure
    /// `finished` when called again.
    pub fn finish(&mut self) -> Result<JsValue, JsValue> {
        match self.inner.take() {
            Some(mut analyzer) => {
                // The end of a file fed by `feedFile`: its last line and body.
                if let Some(mut file) = self.file.take() {
                    file.finish(&mut |body| feed_file_body(&mut analyzer, body));
                }
                answer_to_js(&Answer::success(analyzer.finish(), Vec::new()))
            }
            None => failure_to_js("finished", "this analyzer has finished already".to_string()),
        }
    }
}

/// What the analyzer read since its counts were `before`.
fn fed_since(analyzer: &actionguard::detect::Analyzer, before: (u64, u64, u64)) -> Fed {
    let after = analyzer.counts();
    Fed {
        events: after.0.saturating_sub(before.0),
        duplicates: after.1.saturating_sub(before.1),
        rejected: after.2.saturating_sub(before.2),
    }
}

/// A body of a file read by `feedFile`, read as `feed` reads the same body passed as a
/// string, whose lone-surrogate escapes become U+FFFD's on the way in: here only an
/// entry that cannot be read is rewritten and read again (`logs::parse_batch_with`; the
/// rewrite keeps lengths and leaves any text serde_json accepts as it is), rather than
/// every body copied and scanned.
fn feed_file_body(analyzer: &mut actionguard::detect::Analyzer, body: &str) {
    let rewrite = |text: &str| Some(boundary::without_lone_surrogates(text.to_string())).filter(|rewritten| rewritten != text);
    analyzer.feed_batch(&actionguard::logs::parse_batch_with(body, Some(&rewrite)));
}

/// The per-organization health report (`report::ReportBuilder`): made by
/// `newReportBuilder(config)`, fed log bodies (`feed`, `feedLines`) and audit bodies
/// (`feedAudit`) in any order, then `finish()`. Each `log_id` and record `id` is read once.
#[wasm_bindgen]
pub struct ReportBuilder {
    pub(crate) inner: Option<actionguard::report::ReportBuilder>,
}

/// A report builder for `config` (`{ since, until, organization?, top?, max_keys?, max_users?,
/// detect? }`, JSON text or object): `{ type: "success", builder } | { type: "failure", errors }`
/// (`invalid_config`, `invalid_period`, with the field's path). Never throws: the configuration
/// comes from a person's request.
#[wasm_bindgen(js_name = newReportBuilder)]
pub fn new_report_builder(config: JsValue) -> Result<JsValue, JsValue> {
    with_json(&config, "the report configuration", "invalid_config", |json| match actionguard::report::ReportConfig::from_json(json) {
        Ok(config) => {
            let answer = answer_to_js(&Answer::success((), Vec::new()))?;
            let builder = ReportBuilder { inner: Some(actionguard::report::ReportBuilder::new(config)) };
            js_sys::Reflect::set(&answer, &JsValue::from_str("builder"), &JsValue::from(builder))?;
            Ok(answer)
        }
        Err(issue) => answer_to_js::<()>(&Answer::failure(issue)),
    })
}

#[wasm_bindgen]
impl ReportBuilder {
    /// Feeds a log-stream body (as `parseLogBatch` reads it): `{ type: "success", events,
    /// duplicates, rejected }`, this body's counts; a failure `finished` after `finish()`.
    pub fn feed(&mut self, body: JsValue) -> Result<JsValue, JsValue> {
        self.feed_with(&body, actionguard::logs::parse_batch)
    }

    /// As `feed`, for a chunk of a file of JSON lines (each line one entry).
    #[wasm_bindgen(js_name = feedLines)]
    pub fn feed_lines(&mut self, lines: JsValue) -> Result<JsValue, JsValue> {
        self.feed_with(&lines, actionguard::logs::parse_lines)
    }

    fn feed_with(&mut self, body: &JsValue, parse: fn(&str) -> actionguard::logs::Batch) -> Result<JsValue, JsValue> {
        let Some(builder) = self.inner.as_mut() else {
            return failure_to_js("finished", "this report builder has finished; make a new one".to_string());
        };
        with_json(body, "the body", "invalid_body", |b| answer_to_js(&Answer::success(builder.feed_batch(&parse(b), b), Vec::new())))
    }

    /// Feeds audit records, one JSON object a line (as the control plane stores them):
    /// `{ type: "success", events, duplicates, rejected }` (`events`: records read).
    #[wasm_bindgen(js_name = feedAudit)]
    pub fn feed_audit(&mut self, body: JsValue) -> Result<JsValue, JsValue> {
        let Some(builder) = self.inner.as_mut() else {
            return failure_to_js("finished", "this report builder has finished; make a new one".to_string());
        };
        with_json(&body, "the body", "invalid_body", |b| answer_to_js(&Answer::success(builder.feed_audit(b), Vec::new())))
    }

    /// The report: `{ type: "success", report, markdown, analysis? }` (`analysis`, `logs
    /// analyze`'s of every log fed, when `withAnalysis`); a failure `finished` when called again.
    pub fn finish(&mut self, with_analysis: Option<bool>) -> Result<JsValue, JsValue> {
        match self.inner.take() {
            Some(builder) => answer_to_js(&Answer::success(builder.finished(with_analysis.unwrap_or(false)), Vec::new())),
            None => failure_to_js("finished", "this report builder has finished already".to_string()),
        }
    }
}

/// The first and last dates of a log body's logs (read as `parseLogBatch` reads it):
/// `{ type: "success", events, first_ms, last_ms }` (null without logs). The offline
/// report's default period is the week up to the file's last day.
#[wasm_bindgen(js_name = logSpan)]
pub fn log_span(body: JsValue) -> Result<JsValue, JsValue> {
    with_json(&body, "the body", "invalid_body", |b| {
        answer_to_js(&Answer::success(actionguard::report::span_of(&actionguard::logs::parse_batch(b)), Vec::new()))
    })
}

/// The Actions' audit webhook body (one record a line): `{ type: "success", records,
/// rejects, duplicates, warnings }`; unreadable lines are `rejects`.
#[wasm_bindgen(js_name = readAuditRecords)]
pub fn read_audit_records(body: JsValue) -> Result<JsValue, JsValue> {
    with_json(&body, "the body", "invalid_body", |b| answer_to_js(&actionguard::audit::intake::read_records_json(b)))
}

/// An approval request as the Actions send it: `{ type: "success", kind, dedupe_key,
/// proposal, ... }` or a failure `not_a_request` naming the field.
#[wasm_bindgen(js_name = readApprovalRequest)]
pub fn read_approval_request(body: JsValue) -> Result<JsValue, JsValue> {
    with_json(&body, "the body", "not_a_request", |b| answer_to_js(&actionguard::approvals::read_request(b)))
}

/// The responses an alert (as `takeAlerts` gives it) calls for, as approval requests to
/// queue: `{ type: "success", requests }` (often none) or a failure `invalid_alert`.
/// `tenant` keys the dedupe keys.
#[wasm_bindgen(js_name = proposeResponses)]
pub fn propose_responses(alert: JsValue, tenant: Option<String>) -> Result<JsValue, JsValue> {
    with_json(&alert, "the alert", "invalid_alert", |a| {
        answer_to_js(&actionguard::approvals::responses::propose_json(a, tenant.as_deref()))
    })
}

/// A stored response request checked before it is executed: `{ type: "success", kind,
/// dedupe_key, proposal, ... }` or a failure `not_a_response` naming the field.
#[wasm_bindgen(js_name = checkResponseRequest)]
pub fn check_response_request(request: JsValue) -> Result<JsValue, JsValue> {
    with_json(&request, "the request", "not_a_response", |r| answer_to_js(&actionguard::approvals::responses::check(r)))
}

/// A stored governance request checked before it is executed (envelope, dedupe key,
/// the kind's proposal): `{ type: "success", kind, dedupe_key, job, proposal, ... }` or a
/// failure `not_a_governance_request` naming the field.
#[wasm_bindgen(js_name = governanceCheck)]
pub fn governance_check(request: JsValue) -> Result<JsValue, JsValue> {
    with_json(&request, "the request", "not_a_governance_request", |r| answer_to_js(&actionguard::governance::check_request_json(r)))
}

/// An access review (`governance::review`): per organization its findings with reasons,
/// the approval requests they propose, and with `markdown: true` the review in Markdown.
#[wasm_bindgen(js_name = reviewMembers)]
pub fn review_members(input: JsValue) -> Result<JsValue, JsValue> {
    with_json(&input, "the review input", "invalid_review_input", |i| answer_to_js(&actionguard::governance::review::review_json(i)))
}

/// An approved tier change on an organization's metadata as read now
/// (`governance::classify::apply`): `{ action: "skip" }`, `{ action: "write", metadata,
/// signed }`, or a failure naming why not (`unknown_tier`, `unsigned_tier`,
/// `tier_changed`, `override_unsigned`, `invalid_policy`).
#[wasm_bindgen(js_name = applyTierChange)]
pub fn apply_tier_change(input: JsValue) -> Result<JsValue, JsValue> {
    with_json(&input, "the input", "invalid_input", |i| answer_to_js(&actionguard::governance::classify::apply::apply_json(i)))
}

/// Whether a member proposed for removal as stale is stale still, at execution
/// (`governance::review::still_stale`): `{ type: "success", still_stale }`.
#[wasm_bindgen(js_name = reviewStillStale)]
pub fn review_still_stale(input: JsValue) -> Result<JsValue, JsValue> {
    with_json(&input, "the input", "invalid_input", |i| answer_to_js(&actionguard::governance::review::still_stale_json(i)))
}

/// The log types an access review reads for a member's last success
/// (`governance::review::SUCCESS_LOG_TYPES`).
#[wasm_bindgen(js_name = reviewSuccessLogTypes)]
pub fn review_success_log_types() -> js_sys::Array {
    actionguard::governance::review::SUCCESS_LOG_TYPES.iter().map(|t| JsValue::from_str(t)).collect()
}

/// The log types that show a member completing MFA (`governance::review::MFA_LOG_TYPES`).
#[wasm_bindgen(js_name = reviewMfaLogTypes)]
pub fn review_mfa_log_types() -> js_sys::Array {
    actionguard::governance::review::MFA_LOG_TYPES.iter().map(|t| JsValue::from_str(t)).collect()
}

/// Organization classification (`governance::classify`): per organization its label,
/// scores, reasons and proposed tier (a `set_tier` request), the LLM escalations to send
/// (step one) or settled (step two, `llm.answers`), and a summary.
#[wasm_bindgen(js_name = classifyOrganizations)]
pub fn classify_organizations(input: JsValue) -> Result<JsValue, JsValue> {
    with_json(&input, "the classification input", "invalid_classification", |i| {
        answer_to_js(&actionguard::governance::classify::classify_json(i))
    })
}

/// What classification reads from the stored logs: `{ type: "success", logins, failures, days }`
/// (the log types of a login and of a failed one, and the window in days).
#[wasm_bindgen(js_name = classifyLogTypes)]
pub fn classify_log_types() -> Result<JsValue, JsValue> {
    use actionguard::governance::classify::{ACTIVITY_DAYS, FAILURE_LOG_TYPES, SUCCESS_LOG_TYPES};
    let value = serde_json::json!({ "logins": SUCCESS_LOG_TYPES, "failures": FAILURE_LOG_TYPES, "days": ACTIVITY_DAYS });
    answer_to_js(&actionguard::Answer::success(value, Vec::new()))
}

/// Bulk membership (`governance::roster`): an employee list's rows checked (bad rows with
/// their line numbers), departments mapped to roles with their sources, the plan and its
/// `import_members` request; LLM escalations in two steps (`llm.answers`). Whole-file
/// problems are failures (`missing_columns`, `too_many_rows`, `too_large`...).
#[wasm_bindgen(js_name = planMembersImport)]
pub fn plan_members_import(input: JsValue) -> Result<JsValue, JsValue> {
    with_json(&input, "the import input", "invalid_members_import", |i| answer_to_js(&actionguard::governance::roster::plan_json(i)))
}

/// The audit record of a governance write: `{ type: "success", record }` or a failure `invalid_write`.
#[wasm_bindgen(js_name = governanceAuditRecord)]
pub fn governance_audit_record(write: JsValue) -> Result<JsValue, JsValue> {
    with_json(&write, "the write", "invalid_write", |w| answer_to_js(&actionguard::governance::audit_record_json(w)))
}

/// The chat-webhook message (Slack's `{ text, blocks }`) for an alert: users as their
/// pseudonyms under `tenant`, targets counted, values escaped. A failure `invalid_alert`.
#[wasm_bindgen(js_name = alertNotice)]
pub fn alert_notice(alert: JsValue, tenant: Option<String>) -> Result<JsValue, JsValue> {
    with_json(&alert, "the alert", "invalid_alert", |a| answer_to_js(&actionguard::detect::notice::notice_json(a, tenant.as_deref())))
}

/// The approval state machine: `{ action }` answers the `move` (from, to, reclaim) for the
/// store's conditional update; with `state` (and `lease_expired`), the next `state` or a
/// failure `illegal_transition`.
#[wasm_bindgen(js_name = approvalStep)]
pub fn approval_step(input: JsValue) -> Result<JsValue, JsValue> {
    with_json(&input, "the step", "invalid_step", |i| answer_to_js(&actionguard::approvals::step_json(i)))
}

/// The approval states, in the core's order (`approvals::State::ALL`): what the
/// store's `status` column may hold.
#[wasm_bindgen(js_name = approvalStates)]
pub fn approval_states() -> js_sys::Array {
    actionguard::approvals::State::ALL.iter().map(|s| JsValue::from_str(s.as_str())).collect()
}

/// The organization-metadata form of an override: `{ type: "success", ag_policy, ag_policy_2? }`.
#[wasm_bindgen(js_name = encodeOverride)]
pub fn encode_override(overlay: JsValue) -> Result<JsValue, JsValue> {
    with_json(&overlay, "the override", "invalid_override", |o| answer_to_js(&actionguard::encode_override_json(o)))
}
