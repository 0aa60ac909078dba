//! The facade: the only JavaScript-facing code. It converts values in and out
//! ([`boundary`]) and calls the core; it decides nothing. Every export takes
//! one input and returns one tagged answer (`wasm/actionguard.d.ts` types them).
//!
//! Domain failures are returned as `{ type: "failure", errors }`. Only misuse
//! throws, and then always a real `Error` with a stable `code`.

#![cfg_attr(test, allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing))]

mod boundary;
#[cfg(feature = "control-plane")]
mod control_plane;
#[cfg(feature = "control-plane")]
pub use control_plane::*;

use actionguard::Answer;
use boundary::{answer_to_js, failure_to_js, into_error, to_json, with_json};
use wasm_bindgen::prelude::*;

#[cfg(target_arch = "wasm32")]
extern "C" {
    /// The linker's static constructors (tract registers its kernels with
    /// `inventory`). When nothing calls this explicitly, wasm-ld wraps every
    /// export in a call to it, which re-runs all constructors on every call;
    /// calling it once here stops that.
    fn __wasm_call_ctors();
}

#[wasm_bindgen(start)]
fn start() {
    // The one unsafe call in the workspace.
    // SAFETY: called once, at instantiation, before any other export runs.
    #[cfg(target_arch = "wasm32")]
    #[allow(unsafe_code)]
    unsafe {
        __wasm_call_ctors()
    };
    // Anything missed by the no-panic lints is at least readable in the logs.
    console_error_panic_hook::set_once();
}

/// A loaded policy. Create one per Action instance (module scope) and reuse it.
#[wasm_bindgen]
pub struct Engine {
    inner: actionguard::Engine,
}

#[wasm_bindgen]
impl Engine {
    /// `policy`: undefined/null for the embedded default, or a policy document
    /// as JSON text or object. An invalid document never throws: it is
    /// reported by `policyErrors` and in every answer's warnings, and the
    /// embedded default is enforced.
    ///
    /// `recordNonce`: 24 hex digits the host drew at random for this engine, from which
    /// the audit records' ids are made (the core has no random source); without it,
    /// ids are unique per engine only. Anything else throws `invalid_argument`.
    #[wasm_bindgen(constructor)]
    pub fn new(policy: JsValue, record_nonce: Option<String>) -> Result<Engine, JsValue> {
        let json = to_json(&policy, "the policy").map_err(|m| into_error("invalid_argument", &m))?;
        let mut inner = actionguard::Engine::new(json.as_deref());
        if let Some(nonce) = record_nonce {
            inner.set_record_nonce(&nonce).map_err(|m| into_error("invalid_argument", &m))?;
        }
        Ok(Engine { inner })
    }

    /// The post-login decision: `{ type: "success", outcome, score, ..., audit, audit_line } | { type: "failure", errors }`,
    /// `audit` being the full record's JSON line and `audit_line` its console line.
    #[wasm_bindgen(js_name = decideLogin)]
    pub fn decide_login(&self, context: JsValue) -> Result<JsValue, JsValue> {
        self.login(&context, None)
    }

    /// `decideLogin`, consulting a verified threat feed (`loadThreatFeed`). A separate
    /// method because wasm-bindgen cannot borrow an optional handle (`Option<&T>`).
    #[wasm_bindgen(js_name = decideLoginWithFeed)]
    pub fn decide_login_with_feed(&self, context: JsValue, feed: &ThreatFeed) -> Result<JsValue, JsValue> {
        self.login(&context, Some(&feed.inner))
    }

    fn login(&self, context: &JsValue, feed: Option<&actionguard::threat::Feed>) -> Result<JsValue, JsValue> {
        with_json(context, "the context", "invalid_context", |json| match self.inner.decide_login_json_with_feed(json, feed) {
            // Same shape as the JSON twin, but the audit lines are handed over as
            // their own strings instead of being escaped into the answer and parsed back.
            Answer::Success { payload, warnings } => {
                let record = serde_json::to_string(&payload.audit).map_err(|e| into_error("internal", &e.to_string()))?;
                let line = actionguard::audit::console_line(&payload.audit);
                let answer = answer_to_js(&Answer::success(&payload.decision, warnings))?;
                js_sys::Reflect::set(&answer, &JsValue::from_str("audit"), &JsValue::from_str(&record))?;
                js_sys::Reflect::set(&answer, &JsValue::from_str("audit_line"), &JsValue::from_str(&line))?;
                Ok(answer)
            }
            Answer::Failure { errors } => answer_to_js::<()>(&Answer::Failure { errors }),
        })
    }

    /// The pre-user-registration decision: `{ type: "success", outcome, score, reasons, deny_reason?,
    /// user_message?, domain_class?, counters?: { value, ttl_ms }, audit } | { type: "failure", errors }`.
    #[wasm_bindgen(js_name = decideSignup)]
    pub fn decide_signup(&self, context: JsValue) -> Result<JsValue, JsValue> {
        with_json(&context, "the context", "invalid_context", |json| answer_to_js(&self.inner.decide_signup_json(json)))
    }

    /// `decideSignup`, consulting a verified threat feed (`loadThreatFeed`).
    #[wasm_bindgen(js_name = decideSignupWithFeed)]
    pub fn decide_signup_with_feed(&self, context: JsValue, feed: &ThreatFeed) -> Result<JsValue, JsValue> {
        with_json(&context, "the context", "invalid_context", |json| {
            answer_to_js(&self.inner.decide_signup_json_with_feed(json, Some(&feed.inner)))
        })
    }

    /// The credentials-exchange decision: `{ type: "success", outcome, reasons, deny_code?,
    /// deny_reason?, audit } | { type: "failure", errors }`.
    #[wasm_bindgen(js_name = decideCredentials)]
    pub fn decide_credentials(&self, context: JsValue) -> Result<JsValue, JsValue> {
        with_json(&context, "the context", "invalid_context", |json| answer_to_js(&self.inner.decide_credentials_json(json)))
    }

    /// Organization discovery for a user against an index: `{ type: "success", action: "join" | "invite" |
    /// "suggest" | "create_for_approval" | "complete_roles" | "none", organization?, candidates, roles,
    /// proposal?, reasons, anomaly, cache?, marker, audit } | { type: "failure", errors }`.
    #[wasm_bindgen(js_name = decideOrganization)]
    pub fn decide_organization(&self, index: &OrgIndex, context: JsValue) -> Result<JsValue, JsValue> {
        with_json(&context, "the context", "invalid_context", |json| answer_to_js(&self.inner.decide_organization_json(&index.inner, json)))
    }

    /// What the risk engine saw: `{ type: "success", features, vector, rule_score, model_score, floor, signals }`.
    #[wasm_bindgen(js_name = explainLogin)]
    pub fn explain_login(&self, context: JsValue) -> Result<JsValue, JsValue> {
        with_json(&context, "the context", "invalid_context", |json| answer_to_js(&self.inner.explain_login_json(json)))
    }

    /// Errors of a rejected policy document (empty when it was accepted).
    #[wasm_bindgen(getter, js_name = policyErrors)]
    pub fn policy_errors(&self) -> Result<JsValue, JsValue> {
        let text = serde_json::to_string(self.inner.policy_errors()).map_err(|e| into_error("internal", &e.to_string()))?;
        js_sys::JSON::parse(&text).map_err(|_| into_error("internal", "errors are not valid JSON"))
    }

    /// The `api.cache` keys the core reads and writes, by role:
    /// `{ signup_counters, llm_budget }`.
    #[wasm_bindgen(getter, js_name = cacheKeys)]
    pub fn cache_keys(&self) -> Result<JsValue, JsValue> {
        let keys: std::collections::BTreeMap<&str, &str> = actionguard::cache::KEYS.iter().copied().collect();
        let text = serde_json::to_string(&keys).map_err(|e| into_error("internal", &e.to_string()))?;
        js_sys::JSON::parse(&text).map_err(|_| into_error("internal", "keys are not valid JSON"))
    }

    /// The fail mode of an organization's effective policy, from its metadata
    /// (`event.organization.metadata`, any value), its id (`event.organization.id`)
    /// and the `ORG_LAYERS_KEY` secret, which say whether its layers are signed
    /// when the policy sets `organizations.unsigned_tier`: "challenge" | "allow" |
    /// "deny". Never throws: a metadata value that is not an object gets the
    /// baseline's (or the unsigned tier's), an id or key that is not a string none.
    #[wasm_bindgen(js_name = failModeFor)]
    pub fn fail_mode_for(&self, metadata: JsValue, organization_id: JsValue, layers_key: JsValue) -> String {
        let json = to_json(&metadata, "the organization metadata").ok().flatten();
        let (id, key) = (organization_id.as_string(), layers_key.as_string());
        fail_mode_name(self.inner.fail_mode_for_json(json.as_deref(), id.as_deref(), key.as_deref())).to_string()
    }

    /// The most organizations the host may page through the Management API to build
    /// an index (`organizations.live_index_max`): above it, a snapshot is required.
    #[wasm_bindgen(getter, js_name = liveIndexMax)]
    pub fn live_index_max(&self) -> u32 {
        self.inner.policy().organizations.live_index_max
    }

    /// How old an index may be before discovery only suggests
    /// (`organizations.index_max_age_seconds`, in ms): a host holding an older one
    /// waits for its refresh rather than have a join turned into a suggestion.
    #[wasm_bindgen(getter, js_name = indexMaxAgeMs)]
    pub fn index_max_age_ms(&self) -> f64 {
        f64::from(self.inner.policy().organizations.index_max_age_seconds) * 1000.0
    }

    /// Whether decisions consult the threat feed (`threat_feed.enabled`): when off, a host
    /// need not fetch it.
    #[wasm_bindgen(getter, js_name = threatFeedEnabled)]
    pub fn threat_feed_enabled(&self) -> bool {
        self.inner.policy().threat_feed.enabled
    }

    /// How old a held threat feed may be before it is fetched again
    /// (`threat_feed.max_age_seconds`, in ms).
    #[wasm_bindgen(getter, js_name = threatFeedMaxAgeMs)]
    pub fn threat_feed_max_age_ms(&self) -> f64 {
        f64::from(self.inner.policy().threat_feed.max_age_seconds) * 1000.0
    }

    /// The most an execution waits for the threat feed (`threat_feed.budget_ms`).
    #[wasm_bindgen(getter, js_name = threatFeedBudgetMs)]
    pub fn threat_feed_budget_ms(&self) -> f64 {
        f64::from(self.inner.policy().threat_feed.budget_ms)
    }

    /// What to do when a decision cannot be made: "challenge" | "allow" | "deny".
    #[wasm_bindgen(getter, js_name = failMode)]
    pub fn fail_mode(&self) -> String {
        fail_mode_name(self.inner.fail_mode()).to_string()
    }
}

fn fail_mode_name(mode: actionguard::FailMode) -> &'static str {
    match mode {
        actionguard::FailMode::Challenge => "challenge",
        actionguard::FailMode::Allow => "allow",
        actionguard::FailMode::Deny => "deny",
    }
}

/// The domain -> organization index. Build it with `buildOrgIndex` (from
/// Management API records) or `loadOrgSnapshot`; keep it at module scope.
#[wasm_bindgen]
pub struct OrgIndex {
    inner: actionguard::orgmap::OrgIndex,
}

#[wasm_bindgen]
impl OrgIndex {
    /// The compact snapshot text (`scripts/sync-orgs` writes it to a file).
    pub fn snapshot(&self) -> String {
        self.inner.to_snapshot().to_string()
    }

    /// Ids of the organizations that verified the address's exact domain and use it
    /// for discovery: the lookup alone, without policy (free-mail is not excluded
    /// here; `decideOrganization` is what decides).
    pub fn lookup(&self, email: &str) -> js_sys::Array {
        actionguard::orgmap::verified_organizations(&self.inner, email).into_iter().map(JsValue::from_str).collect()
    }

    #[wasm_bindgen(getter)]
    pub fn organizations(&self) -> u32 {
        self.inner.len() as u32
    }

    #[wasm_bindgen(getter)]
    pub fn domains(&self) -> u32 {
        self.inner.domain_count() as u32
    }
}

fn index_answer(result: Result<(actionguard::orgmap::OrgIndex, Vec<actionguard::Issue>), actionguard::Issue>) -> Result<JsValue, JsValue> {
    match result {
        Ok((inner, warnings)) => {
            let answer = answer_to_js(&Answer::success((), warnings))?;
            js_sys::Reflect::set(&answer, &JsValue::from_str("index"), &JsValue::from(OrgIndex { inner }))?;
            Ok(answer)
        }
        Err(err) => answer_to_js::<()>(&Answer::failure(err)),
    }
}

/// Builds an index from organizations as the Management API returns them, each with its
/// `discovery_domains`: `{ type: "success", index, warnings } | { type: "failure", errors }`.
/// Unusable records are skipped with a warning each.
#[wasm_bindgen(js_name = buildOrgIndex)]
pub fn build_org_index(records: JsValue) -> Result<JsValue, JsValue> {
    with_json(&records, "the organizations", "invalid_organizations", |json| {
        index_answer(actionguard::orgmap::OrgIndex::from_records_json(json))
    })
}

/// Loads a snapshot made by `index.snapshot()`, as bytes (a `Buffer` or `Uint8Array`,
/// copied in one block) or as a string: `{ type: "success", index, warnings } | { type: "failure", errors }`.
#[wasm_bindgen(js_name = loadOrgSnapshot)]
pub fn load_org_snapshot(snapshot: JsValue) -> Result<JsValue, JsValue> {
    // wasm-bindgen copies strings into memory one char at a time in JS (slow for
    // a snapshot of megabytes); bytes go in with one memcpy.
    let bytes = if let Some(text) = snapshot.as_string() {
        text.into_bytes()
    } else if snapshot.is_instance_of::<js_sys::Uint8Array>() {
        js_sys::Uint8Array::from(snapshot).to_vec()
    } else {
        return failure_to_js("invalid_snapshot", "the snapshot is neither a string nor bytes".to_string());
    };
    match String::from_utf8(bytes) {
        Ok(text) => index_answer(actionguard::orgmap::OrgIndex::from_snapshot_string(text).map(|i| (i, Vec::new()))),
        Err(_) => failure_to_js("invalid_snapshot", "the snapshot is not UTF-8 text".to_string()),
    }
}

/// A verified threat feed (`loadThreatFeed`): keep it at module scope and pass it to
/// `decideLogin` and `decideSignup`, which consult it under the policy's `threat_feed`.
#[wasm_bindgen]
pub struct ThreatFeed {
    inner: actionguard::threat::Feed,
}

#[wasm_bindgen]
impl ThreatFeed {
    /// When the control plane issued it (ms since the epoch): a host keeps the newest.
    #[wasm_bindgen(getter, js_name = issuedAtMs)]
    pub fn issued_at_ms(&self) -> f64 {
        self.inner.issued_at_s() as f64 * 1000.0
    }

    /// When it stops being used (ms since the epoch).
    #[wasm_bindgen(getter, js_name = expiresAtMs)]
    pub fn expires_at_ms(&self) -> f64 {
        self.inner.expires_at_s() as f64 * 1000.0
    }

    /// The tenant it was issued for, or null for any.
    #[wasm_bindgen(getter)]
    pub fn tenant(&self) -> Option<String> {
        self.inner.tenant().map(str::to_string)
    }

    #[wasm_bindgen(getter)]
    pub fn networks(&self) -> u32 {
        u32::try_from(self.inner.network_count()).unwrap_or(u32::MAX)
    }

    #[wasm_bindgen(getter)]
    pub fn accounts(&self) -> u32 {
        u32::try_from(self.inner.account_count()).unwrap_or(u32::MAX)
    }

    /// The entry in force listing a network that covers `ip` at `nowMs`: `{ kinds, severity,
    /// until_s }`, or null (for an address that is not one, too). The lookup alone: the
    /// decisions are what weigh it.
    #[wasm_bindgen(js_name = networkUnderAttack)]
    pub fn network_under_attack(&self, ip: JsValue, now_ms: f64) -> Result<JsValue, JsValue> {
        let ip = ip.as_string().and_then(|s| actionguard::risk::network::parse_ip(&s));
        listing_to_js(ip.and_then(|ip| self.inner.network_under_attack(ip, (now_ms / 1000.0).floor() as i64)))
    }

    /// The entry in force for a user id (pseudonymized under the feed's tenant, as it was built) at `nowMs`, or null.
    #[wasm_bindgen(js_name = accountUnderAttack)]
    pub fn account_under_attack(&self, user_id: JsValue, now_ms: f64) -> Result<JsValue, JsValue> {
        let id = user_id.as_string();
        listing_to_js(id.and_then(|id| self.inner.account_of_user(&id, (now_ms / 1000.0).floor() as i64)))
    }
}

fn listing_to_js(listing: Option<&actionguard::threat::Listing>) -> Result<JsValue, JsValue> {
    match listing {
        None => Ok(JsValue::NULL),
        Some(l) => {
            let text = serde_json::to_string(l).map_err(|e| into_error("internal", &e.to_string()))?;
            js_sys::JSON::parse(&text).map_err(|_| into_error("internal", "a listing is not valid JSON"))
        }
    }
}

/// Verifies a served threat feed (the envelope's bytes, a `Buffer` or `Uint8Array`, or its
/// text) with the `THREAT_FEED_PUBLIC_KEY` secret at `nowMs`, and for `tenant` when one is
/// given: `{ type: "success", feed, issued_at_ms, expires_at_ms, networks, accounts, warnings }`
/// | `{ type: "failure", errors }`, the error's code one of the core's `threat_feed_*`.
#[wasm_bindgen(js_name = loadThreatFeed)]
pub fn load_threat_feed(envelope: JsValue, public_key: JsValue, now_ms: f64, tenant: JsValue) -> Result<JsValue, JsValue> {
    let bytes = if let Some(text) = envelope.as_string() {
        text.into_bytes()
    } else if envelope.is_instance_of::<js_sys::Uint8Array>() {
        let array = js_sys::Uint8Array::from(envelope);
        // Refused before it is copied in: the core would refuse it anyway.
        if array.length() as usize > actionguard::threat::envelope::MAX_ENVELOPE_BYTES {
            let err =
                actionguard::threat::FeedError::Oversized { what: "envelope", limit: actionguard::threat::envelope::MAX_ENVELOPE_BYTES };
            return answer_to_js::<()>(&Answer::failure(err.to_issue()));
        }
        array.to_vec()
    } else {
        return failure_to_js("threat_feed_malformed", "the threat feed is neither bytes nor a string".to_string());
    };
    let key = public_key.as_string().unwrap_or_default();
    let verified = match tenant.as_string() {
        Some(t) => actionguard::threat::Feed::verify_for_tenant(&bytes, &key, now_ms, Some(&t)),
        None => actionguard::threat::Feed::verify(&bytes, &key, now_ms),
    };
    match verified {
        Ok(inner) => {
            let facts = serde_json::json!({
                "issued_at_ms": inner.issued_at_s() as f64 * 1000.0,
                "expires_at_ms": inner.expires_at_s() as f64 * 1000.0,
                "networks": inner.network_count(),
                "accounts": inner.account_count(),
            });
            let answer = answer_to_js(&Answer::success(facts, Vec::new()))?;
            js_sys::Reflect::set(&answer, &JsValue::from_str("feed"), &JsValue::from(ThreatFeed { inner }))?;
            Ok(answer)
        }
        Err(err) => answer_to_js::<()>(&Answer::failure(err.to_issue())),
    }
}

/// Bytes of WebAssembly memory in use (it only grows): for benchmarks and capacity planning.
#[wasm_bindgen(js_name = memoryBytes)]
pub fn memory_bytes() -> f64 {
    #[cfg(target_arch = "wasm32")]
    let pages = core::arch::wasm32::memory_size(0);
    #[cfg(not(target_arch = "wasm32"))]
    let pages = 0;
    (pages * 65536) as f64
}

/// Whether the user was already invited to an organization, and what to remember in
/// `app_metadata.actionguard_invited` (`stored`: what it holds, anything at all):
/// `{ type: "success", already_invited, record, without }`.
#[wasm_bindgen(js_name = invitationStep)]
pub fn invitation_step(stored: JsValue, organization_id: JsValue, now_ms: f64) -> Result<JsValue, JsValue> {
    let Some(id) = organization_id.as_string() else {
        return failure_to_js("invalid_arguments", "the organization id must be a string".to_string());
    };
    let stored = to_json(&stored, "the invitation record").ok().flatten();
    answer_to_js(&actionguard::orgmap::invitations::step_json(stored.as_deref(), &id, now_ms))
}

/// The crate version, for audit records and support.
#[wasm_bindgen]
pub fn version() -> String {
    actionguard::VERSION.to_string()
}

#[cfg(all(test, target_arch = "wasm32", feature = "control-plane"))]
mod tests {
    use super::*;
    use wasm_bindgen_test::*;

    fn get(v: &JsValue, key: &str) -> JsValue {
        js_sys::Reflect::get(v, &JsValue::from_str(key)).unwrap()
    }

    #[wasm_bindgen_test]
    fn an_invitation_step_reads_whatever_the_record_holds() {
        let stored = js_sys::JSON::parse(r#"{"org_a":"2027-01-15T08:00:00.000Z","junk":5}"#).unwrap();
        let now = 1_800_000_000_000.0; // 2027-01-15T08:00:00Z
        let a = invitation_step(stored.clone(), JsValue::from_str("org_a"), now).unwrap();
        assert_eq!(get(&a, "type").as_string().unwrap(), "success");
        assert_eq!(get(&a, "already_invited").as_bool(), Some(true));
        let b = invitation_step(JsValue::from_str("not json"), JsValue::from_str("org_b"), now).unwrap();
        assert_eq!(get(&b, "already_invited").as_bool(), Some(false));
        let bad = invitation_step(stored, JsValue::from_f64(1.0), now).unwrap();
        assert_eq!(get(&bad, "type").as_string().unwrap(), "failure");
    }

    #[wasm_bindgen_test]
    fn the_control_planes_readers_and_the_approval_moves_answer_tagged() {
        let records =
            read_audit_records(JsValue::from_str("{\"actionguard_audit\":1,\"id\":\"r1\",\"trigger\":\"post-login\"}\nnope")).unwrap();
        assert_eq!(get(&records, "type").as_string().unwrap(), "success");
        assert_eq!(js_sys::Array::from(&get(&records, "records")).length(), 1);
        assert_eq!(js_sys::Array::from(&get(&records, "rejects")).length(), 1);
        let request = read_approval_request(JsValue::from_str("{\"kind\":\"drop\"}")).unwrap();
        assert_eq!(get(&request, "type").as_string().unwrap(), "failure");
        let step: JsValue = js_sys::JSON::parse("{\"action\":\"claim\"}").unwrap();
        let m = approval_step(step).unwrap();
        assert_eq!(get(&get(&m, "move"), "to").as_string().unwrap(), "executing");
        let refused: JsValue = js_sys::JSON::parse("{\"action\":\"approve\",\"state\":\"done\"}").unwrap();
        let r = approval_step(refused).unwrap();
        assert_eq!(get(&r, "type").as_string().unwrap(), "failure");
        assert_eq!(get(&approval_step(JsValue::UNDEFINED).unwrap(), "type").as_string().unwrap(), "failure");
    }

    #[wasm_bindgen_test]
    fn a_log_batch_keeps_its_good_lines_and_names_its_bad_ones() {
        let body = "{\"log_id\":\"1\",\"type\":\"s\",\"date\":\"2026-11-02T09:14:07.123Z\",\"ip\":\"203.0.113.9\"}\nnot json\n\n{\"log_id\":\"1\",\"data\":{\"type\":\"s\",\"date\":\"2026-11-02T09:14:07Z\"}}";
        let a = parse_log_batch(JsValue::from_str(body)).unwrap();
        assert_eq!(get(&a, "type").as_string().unwrap(), "success");
        let events: js_sys::Array = get(&a, "events").into();
        assert_eq!(events.length(), 1);
        assert_eq!(get(&events.get(0), "date_ms").as_f64(), Some(1_793_610_847_123.0));
        let rejects: js_sys::Array = get(&a, "rejects").into();
        assert_eq!(get(&rejects.get(0), "reason_code").as_string().unwrap(), "not_json");
        assert_eq!(get(&rejects.get(0), "index").as_f64(), Some(1.0));
        assert_eq!(get(&a, "duplicates").as_f64(), Some(1.0));
        // A lone surrogate in the body is read as U+FFFD, not a failure.
        let lone: JsValue =
            js_sys::eval("'{\"log_id\":\"2\",\"type\":\"s\",\"date\":\"2026-11-02T09:14:07Z\",\"user_name\":\"\\ud800x\"}'").unwrap();
        let b = parse_log_batch(lone).unwrap();
        assert_eq!(js_sys::Array::from(&get(&b, "events")).length(), 1);
        let c = parse_log_batch(JsValue::UNDEFINED).unwrap();
        assert_eq!(get(&c, "type").as_string().unwrap(), "failure");
    }

    #[wasm_bindgen_test]
    fn objects_and_strings_are_both_accepted() {
        let engine = Engine::new(JsValue::UNDEFINED, None).unwrap();
        let obj = js_sys::JSON::parse(
            r#"{"authentication":{"riskAssessment":{"assessments":{"ImpossibleTravel":{"code":"impossible_travel_from_last_login"}}}}}"#,
        )
        .unwrap();
        let a = engine.decide_login(obj).unwrap();
        assert_eq!(get(&a, "type").as_string().unwrap(), "success");
        assert_eq!(get(&a, "outcome").as_string().unwrap(), "challenge");
        assert_eq!(get(&a, "score").as_f64().unwrap(), 0.8);
        let b = engine.decide_login(JsValue::from_str("{}")).unwrap();
        assert_eq!(get(&b, "outcome").as_string().unwrap(), "allow");
    }

    /// Text crosses as UTF-8 written by `encodeInto`: multi-byte characters arrive
    /// whole, and a lone surrogate arrives as U+FFFD instead of failing the decision.
    #[wasm_bindgen_test]
    fn non_ascii_and_lone_surrogates_cross_the_boundary() {
        let engine = Engine::new(JsValue::UNDEFINED, None).unwrap();
        let explain = |ctx: JsValue| engine.explain_login(ctx).unwrap();
        let ascii = explain(JsValue::from_str(r#"{"request":{"geoip":{"countryCode":"NL"}}}"#));
        assert_eq!(get(&ascii, "type").as_string().unwrap(), "success");
        // The same context with multi-byte text elsewhere: the same answer.
        let text = "{\"user\":{\"user_id\":\"auth0|\u{00e9}\u{4e2d}\u{1f600}\"},\"request\":{\"geoip\":{\"countryCode\":\"NL\"}}}";
        let wide = explain(JsValue::from_str(text));
        assert_eq!(get(&wide, "type").as_string().unwrap(), "success");
        assert_eq!(js_sys::JSON::stringify(&get(&wide, "vector")).unwrap(), js_sys::JSON::stringify(&get(&ascii, "vector")).unwrap());
        // An object whose string holds a lone surrogate: JSON.stringify escapes it as
        // `\ud800`, which serde_json refuses; it is read as U+FFFD instead, so one
        // stray character (in the stored history, say) does not fail the login.
        let lone: JsValue = js_sys::eval("({ user: { user_id: 'auth0|\\ud800x' }, history: { v: 1, cc: [['\\udc00', 1, 1]] } })").unwrap();
        let answer = engine.decide_login(lone).unwrap();
        assert_eq!(get(&answer, "type").as_string().unwrap(), "success");
        // A JSON text holding the lone surrogate itself, unescaped.
        let raw: JsValue = js_sys::eval("'{\"user\":{\"user_id\":\"auth0|\\ud800x\"}}'").unwrap();
        assert_eq!(get(&engine.decide_login(raw).unwrap(), "type").as_string().unwrap(), "success");
    }

    #[wasm_bindgen_test]
    fn unrepresentable_inputs_are_failures_not_throws() {
        let engine = Engine::new(JsValue::NULL, None).unwrap();
        // A cycle makes JSON.stringify throw.
        let cyclic = js_sys::Object::new();
        js_sys::Reflect::set(&cyclic, &"self".into(), &cyclic).unwrap();
        let a = engine.decide_login(cyclic.into()).unwrap();
        assert_eq!(get(&a, "type").as_string().unwrap(), "failure");
        let errors: js_sys::Array = get(&a, "errors").into();
        assert_eq!(get(&errors.get(0), "code").as_string().unwrap(), "invalid_context");
        // A BigInt too.
        let big = js_sys::BigInt::from(7u64);
        let obj = js_sys::Object::new();
        js_sys::Reflect::set(&obj, &"n".into(), &big).unwrap();
        assert_eq!(get(&engine.decide_login(obj.into()).unwrap(), "type").as_string().unwrap(), "failure");
        // undefined.
        assert_eq!(get(&engine.decide_login(JsValue::UNDEFINED).unwrap(), "type").as_string().unwrap(), "failure");
    }

    #[wasm_bindgen_test]
    fn signup_and_credentials_answer_with_the_audit_as_a_line() {
        let engine = Engine::new(JsValue::UNDEFINED, None).unwrap();
        let ctx = js_sys::JSON::parse(r#"{"user":{"email":"x@mailinator.com"}}"#).unwrap();
        let a = engine.decide_signup(ctx).unwrap();
        assert_eq!(get(&a, "deny_reason").as_string().unwrap(), "disposable_email");
        let record = get(&a, "audit").as_string().unwrap();
        assert!(record.starts_with("{\"actionguard_audit\":1,\"id\":\""));
        // The console line carries the same id, and fits what Auth0 keeps.
        let line = get(&a, "audit_line").as_string().unwrap();
        let id = get(&js_sys::JSON::parse(&record).unwrap(), "id").as_string().unwrap();
        assert!(line.starts_with(&format!("{{\"actionguard_line\":1,\"id\":\"{id}\",\"trigger\":\"pre-user-registration\"")));
        assert!(line.len() < 256, "with its newline, within what Auth0 keeps");
        let b = engine.decide_credentials(JsValue::from_str("{}")).unwrap();
        assert_eq!(get(&b, "outcome").as_string().unwrap(), "allow");
        let c = engine.decide_credentials(JsValue::from_str("[")).unwrap();
        assert_eq!(get(&c, "type").as_string().unwrap(), "failure");
    }

    #[wasm_bindgen_test]
    fn org_indexes_build_round_trip_and_decide() {
        let records = r#"[{"id":"org_acme","name":"acme","discovery_domains":[{"domain":"acme.com","status":"verified","use_for_organization_discovery":true}]}]"#;
        let built = build_org_index(JsValue::from_str(records)).unwrap();
        assert_eq!(get(&built, "type").as_string().unwrap(), "success");
        assert!(get(&built, "index").is_object());
        let index = OrgIndex { inner: actionguard::orgmap::OrgIndex::from_records_json(records).unwrap().0 };
        assert_eq!((index.organizations(), index.domains()), (1, 1));
        let loaded = load_org_snapshot(JsValue::from_str(&index.snapshot())).unwrap();
        assert_eq!(get(&loaded, "type").as_string().unwrap(), "success");
        let bytes = js_sys::Uint8Array::from(index.snapshot().as_bytes());
        let loaded = load_org_snapshot(bytes.into()).unwrap();
        assert_eq!(get(&loaded, "type").as_string().unwrap(), "success");
        let engine = Engine::new(JsValue::UNDEFINED, None).unwrap();
        let context = r#"{"user":{"email":"a@ACME.com","email_verified":true},"connection":{"name":"db","strategy":"auth0"}}"#;
        let a = engine.decide_organization(&index, JsValue::from_str(context)).unwrap();
        assert_eq!(get(&a, "action").as_string().unwrap(), "join");
        assert_eq!(index.lookup("x@Acme.COM").get(0).as_string().unwrap(), "org_acme");
        assert_eq!(index.lookup("not an address").length(), 0);
        let bad = load_org_snapshot(JsValue::from_str("nope")).unwrap();
        assert_eq!(get(&bad, "type").as_string().unwrap(), "failure");
    }

    #[wasm_bindgen_test]
    fn a_log_analyzer_feeds_bodies_and_finishes_once() {
        let mut a = LogAnalyzer::new(JsValue::UNDEFINED).unwrap();
        let line = |id: usize, ip: &str, user: &str, org: &str| {
            format!(
                r#"{{"log_id":"{id}","data":{{"type":"fp","date":"2026-11-03T02:{:02}:00Z","ip":"{ip}","user_name":"{user}","organization_id":"{org}"}}}}"#,
                id % 60
            )
        };
        let first: Vec<String> = (0..6).map(|i| line(i, "203.0.113.77", &format!("u{i}@x.example"), ["org_a", "org_b"][i % 2])).collect();
        let fed = a.feed(JsValue::from_str(&format!("{}\nnot json\n{}", first.join("\n"), first[0]))).unwrap();
        assert_eq!(get(&fed, "type").as_string().unwrap(), "success");
        assert_eq!(
            (get(&fed, "events").as_f64(), get(&fed, "duplicates").as_f64(), get(&fed, "rejected").as_f64()),
            (Some(6.0), Some(1.0), Some(1.0))
        );
        // A chunk of lines whose first line is an array: one reject, not two.
        let second: Vec<String> = (6..12).map(|i| line(i, "203.0.113.77", &format!("u{i}@x.example"), "org_c")).collect();
        let fed = a.feed_lines(JsValue::from_str(&format!("[1,2]\n{}\n{}", second.join("\n"), first[1]))).unwrap();
        assert_eq!(
            (get(&fed, "events").as_f64(), get(&fed, "duplicates").as_f64(), get(&fed, "rejected").as_f64()),
            (Some(6.0), Some(1.0), Some(1.0))
        );
        // Live: the alert so far, then nothing until something changes.
        let live = a.take_alerts().unwrap();
        let taken: js_sys::Array = get(&live, "alerts").into();
        assert_eq!(taken.length(), 1);
        assert_eq!(get(&live, "events").as_f64(), Some(12.0));
        assert!(get(&taken.get(0), "targets").is_undefined(), "no user_id failed: no targets");
        let taken: js_sys::Array = get(&a.take_alerts().unwrap(), "alerts").into();
        assert_eq!(taken.length(), 0);
        assert_eq!(a.forget_idle_alerts(86_400_000.0), 0.0);
        let done = a.finish().unwrap();
        assert_eq!(get(&done, "type").as_string().unwrap(), "success");
        assert_eq!(
            (get(&done, "events").as_f64(), get(&done, "duplicates").as_f64(), get(&done, "rejected").as_f64()),
            (Some(12.0), Some(2.0), Some(2.0))
        );
        let alerts: js_sys::Array = get(&done, "alerts").into();
        assert_eq!(alerts.length(), 1);
        assert_eq!(get(&alerts.get(0), "kind").as_string().unwrap(), "credential_stuffing");
        assert_eq!(get(&get(&alerts.get(0), "subject"), "value").as_string().unwrap(), "203.0.113.77");
        // Finished: further calls are failures, never a throw.
        assert_eq!(get(&a.finish().unwrap(), "type").as_string().unwrap(), "failure");
        assert_eq!(get(&a.feed(JsValue::from_str("")).unwrap(), "type").as_string().unwrap(), "failure");
        assert_eq!(get(&a.take_alerts().unwrap(), "type").as_string().unwrap(), "failure");
        // A configuration that cannot be read is the host's mistake: it throws, with a code.
        let err = LogAnalyzer::new(JsValue::from_str(r#"{"mfa_fatigue":{"nope":1}}"#)).err().unwrap();
        assert_eq!(get(&err, "code").as_string().unwrap(), "invalid_config");
        assert!(LogAnalyzer::new(JsValue::from_str(r#"{"mfa_fatigue":{"min_sends":6}}"#)).is_ok());
    }

    #[wasm_bindgen_test]
    fn a_file_fed_as_bytes_is_read_as_its_bodies_as_strings() {
        let line = |id: usize, user: &str| {
            format!(
                r#"{{"log_id":"{id}","data":{{"type":"fp","date":"2026-11-03T02:{:02}:00Z","ip":"203.0.113.77","user_name":"{user}","organization_id":"org_{}"}}}}"#,
                id % 60,
                id % 3
            )
        };
        let mut lines: Vec<String> = (0..12).map(|i| line(i, &format!("u{i}@x.example"))).collect();
        // A lone surrogate's escape (U+FFFD through a string), a blank line, a line holding
        // an array (read alone, element by element), a repeat, one that is not JSON.
        lines.push(line(12, "x\\ud800@x.example"));
        lines.push(" \u{feff} ".to_string());
        lines.push(format!("[{},{}]", line(13, "a@x.example"), line(14, "b@x.example")));
        lines.push(line(3, "u3@x.example"));
        lines.push("not json".to_string());
        let file = format!("{}\r\n", lines.join("\r\n"));
        let mut by_bytes = LogAnalyzer::new(JsValue::UNDEFINED).unwrap();
        for chunk in file.as_bytes().chunks(7) {
            let fed = by_bytes.feed_file(js_sys::Uint8Array::from(chunk).into()).unwrap();
            assert_eq!(get(&fed, "type").as_string().unwrap(), "success");
        }
        // Not bytes: a failure answer, the analysis unharmed.
        let wrong = by_bytes.feed_file(JsValue::from_str("{}")).unwrap();
        assert_eq!(get(&get(&get(&wrong, "errors"), "0"), "code").as_string().unwrap(), "invalid_body");
        let bytes = js_sys::JSON::stringify(&by_bytes.finish().unwrap()).unwrap().as_string().unwrap();
        // As `logs analyze` fed the same file before: non-blank lines, the array line alone.
        let mut by_strings = LogAnalyzer::new(JsValue::UNDEFINED).unwrap();
        let (before, after) = lines.split_at(14);
        by_strings
            .feed(JsValue::from_str(
                &before.iter().filter(|l| !l.trim().is_empty() && !l.contains('\u{feff}')).cloned().collect::<Vec<_>>().join("\n"),
            ))
            .unwrap();
        by_strings.feed(JsValue::from_str(&after[0])).unwrap();
        by_strings.feed(JsValue::from_str(&after[1..].join("\n"))).unwrap();
        let strings = js_sys::JSON::stringify(&by_strings.finish().unwrap()).unwrap().as_string().unwrap();
        assert_eq!(bytes, strings);
        let done: serde_json::Value = serde_json::from_str(&bytes).unwrap();
        assert_eq!(
            (&done["events"], &done["duplicates"], &done["rejected"]),
            (&serde_json::json!(15), &serde_json::json!(1), &serde_json::json!(1))
        );
        let late = by_bytes.feed_file(js_sys::Uint8Array::from(&b"{}"[..]).into()).unwrap();
        assert_eq!(get(&late, "type").as_string().unwrap(), "failure", "finished");
    }

    #[wasm_bindgen_test]
    fn a_threat_feed_builds_loads_and_answers_tagged() {
        let case: serde_json::Value =
            serde_json::from_str(include_str!("../../tests/threat/verify/01-listed-network-and-account.json")).unwrap();
        let keys: serde_json::Value = serde_json::from_str(include_str!("../../tests/threat/keys.json")).unwrap();
        let envelope = case["envelope"].as_str().unwrap();
        let key = JsValue::from_str(keys["test"]["public_key"].as_str().unwrap());
        let now = 1_793_673_000_000.0; // 2026-11-03T02:30:00Z
        let bytes = js_sys::Uint8Array::from(envelope.as_bytes());
        let loaded = load_threat_feed(bytes.into(), key.clone(), now, JsValue::from_str("acme-prod")).unwrap();
        assert_eq!(get(&loaded, "type").as_string().unwrap(), "success");
        assert_eq!(get(&loaded, "networks").as_f64(), Some(3.0));
        let feed: ThreatFeed =
            ThreatFeed { inner: actionguard::threat::Feed::verify(envelope.as_bytes(), &key.as_string().unwrap(), now).unwrap() };
        let hit = feed.network_under_attack(JsValue::from_str("203.0.113.77"), now).unwrap();
        assert_eq!(get(&hit, "severity").as_string().unwrap(), "high");
        assert!(feed.network_under_attack(JsValue::from_f64(7.0), now).unwrap().is_null());
        assert!(feed.account_under_attack(JsValue::from_str("auth0|victim"), now).unwrap().is_object());
        // Another tenant's Actions, another key, garbage: failures with the core's codes, never a throw.
        let code = |answer: JsValue| get(&js_sys::Array::from(&get(&answer, "errors")).get(0), "code").as_string().unwrap();
        assert_eq!(
            code(load_threat_feed(JsValue::from_str(envelope), key.clone(), now, JsValue::from_str("globex")).unwrap()),
            "threat_feed_tenant_mismatch"
        );
        let other = JsValue::from_str(keys["other"]["public_key"].as_str().unwrap());
        assert_eq!(code(load_threat_feed(JsValue::from_str(envelope), other, now, JsValue::NULL).unwrap()), "threat_feed_signature");
        assert_eq!(code(load_threat_feed(JsValue::from_f64(1.0), key.clone(), now, JsValue::NULL).unwrap()), "threat_feed_malformed");
        assert_eq!(
            code(load_threat_feed(JsValue::from_str(envelope), JsValue::UNDEFINED, now, JsValue::NULL).unwrap()),
            "threat_feed_key_invalid"
        );
        let built =
            build_threat_feed(JsValue::from_str(r#"{"tenant":null,"issued_at":"2026-11-03T02:00:00Z","ttl_seconds":600,"alerts":[]}"#))
                .unwrap();
        assert_eq!(get(&built, "type").as_string().unwrap(), "success");
        assert!(get(&built, "payload").as_string().unwrap().starts_with("{\"version\":1,"));
        assert_eq!(code(build_threat_feed(JsValue::UNDEFINED).unwrap()), "threat_feed_malformed");
        // The engine consults it: a login from the listed network is challenged, one from elsewhere is not.
        let engine = Engine::new(JsValue::UNDEFINED, None).unwrap();
        let login = |ip: &str| JsValue::from_str(&format!(r#"{{"tenant":{{"id":"acme-prod"}},"request":{{"ip":"{ip}"}},"now_ms":{now}}}"#));
        assert_eq!(get(&engine.decide_login_with_feed(login("203.0.113.77"), &feed).unwrap(), "outcome").as_string().unwrap(), "challenge");
        assert_eq!(get(&engine.decide_login_with_feed(login("192.0.2.1"), &feed).unwrap(), "outcome").as_string().unwrap(), "allow");
        assert_eq!(get(&engine.decide_login(login("203.0.113.77")).unwrap(), "outcome").as_string().unwrap(), "allow");
    }

    #[wasm_bindgen_test]
    fn a_report_builder_answers_tagged_and_never_throws() {
        let config = js_sys::JSON::parse(r#"{"organization":"org_a","since":"2026-11-09","until":"2026-11-16"}"#).unwrap();
        let made = new_report_builder(config).unwrap();
        assert_eq!(get(&made, "type").as_string().unwrap(), "success");
        let mut b = ReportBuilder {
            inner: Some(actionguard::report::ReportBuilder::new(
                actionguard::report::ReportConfig::from_json(r#"{"organization":"org_a","since":"2026-11-09","until":"2026-11-16"}"#)
                    .unwrap(),
            )),
        };
        let logs = "{\"log_id\":\"1\",\"data\":{\"type\":\"s\",\"date\":\"2026-11-10T09:00:00Z\",\"user_id\":\"u1\",\"organization_id\":\"org_a\"}}\nnot json";
        let fed = b.feed_lines(JsValue::from_str(logs)).unwrap();
        assert_eq!((get(&fed, "events").as_f64(), get(&fed, "rejected").as_f64()), (Some(1.0), Some(1.0)));
        let audit = "{\"actionguard_audit\":1,\"id\":\"r1\",\"trigger\":\"post-login\",\"outcome\":\"deny\",\"organization\":\"org_a\",\"ts_ms\":1794301200000}";
        let fed = b.feed_audit(JsValue::from_str(audit)).unwrap();
        assert_eq!(get(&fed, "events").as_f64(), Some(1.0));
        let done = b.finish(Some(true)).unwrap();
        assert_eq!(get(&done, "type").as_string().unwrap(), "success");
        let report = get(&done, "report");
        assert_eq!(get(&get(&get(&report, "users"), "active"), "current").as_f64(), Some(1.0));
        assert_eq!(get(&get(&get(&report, "actionguard"), "records"), "current").as_f64(), Some(1.0));
        assert!(get(&done, "markdown").as_string().unwrap().starts_with("# ActionGuard health report: organization org_a"));
        assert_eq!(get(&get(&done, "analysis"), "events").as_f64(), Some(1.0));
        assert_eq!(get(&b.finish(None).unwrap(), "type").as_string().unwrap(), "failure");
        assert_eq!(get(&b.feed(JsValue::from_str("")).unwrap(), "type").as_string().unwrap(), "failure");
        // Bad configurations are failures with a code, never a throw.
        for bad in [
            r#"{"since":"x","until":"2026-11-16"}"#,
            r#"{"until":"2026-11-16"}"#,
            "[",
            r#"{"since":"2026-11-09","until":"2026-11-16","top":0}"#,
        ] {
            let a = new_report_builder(JsValue::from_str(bad)).unwrap();
            assert_eq!(get(&a, "type").as_string().unwrap(), "failure", "{bad}");
        }
        assert_eq!(get(&new_report_builder(JsValue::UNDEFINED).unwrap(), "type").as_string().unwrap(), "failure");
        let span = log_span(JsValue::from_str(logs)).unwrap();
        assert_eq!((get(&span, "events").as_f64(), get(&span, "last_ms").as_f64()), (Some(1.0), Some(1_794_301_200_000.0)));
    }

    #[wasm_bindgen_test]
    fn misuse_throws_a_real_error_with_a_code() {
        let cyclic = js_sys::Object::new();
        js_sys::Reflect::set(&cyclic, &"self".into(), &cyclic).unwrap();
        let err = Engine::new(cyclic.into(), None).err().unwrap();
        assert!(err.is_instance_of::<js_sys::Error>());
        assert_eq!(get(&err, "code").as_string().unwrap(), "invalid_argument");
        // A record nonce that is not 24 hex digits is the host's mistake.
        let err = Engine::new(JsValue::UNDEFINED, Some("not hex".into())).err().unwrap();
        assert_eq!(get(&err, "code").as_string().unwrap(), "invalid_argument");
        assert!(Engine::new(JsValue::UNDEFINED, Some("00112233445566778899aabb".into())).is_ok());
    }

    #[wasm_bindgen_test]
    fn bad_policy_falls_back_and_reports() {
        let engine = Engine::new(JsValue::from_str(r#"{"version":1,"fail_mode":"panic"}"#), None).unwrap();
        let errors: js_sys::Array = engine.policy_errors().unwrap().into();
        assert_eq!(errors.length(), 1);
        assert_eq!(
            get(&errors.get(0), "message").as_string().unwrap(),
            "`fail_mode`: unknown variant `panic`, expected one of `challenge`, `allow`, `deny`"
        );
        assert_eq!(engine.fail_mode(), "challenge");
        let v = validate_policy(JsValue::from_str(r#"{"version":1}"#)).unwrap();
        assert_eq!(get(&v, "type").as_string().unwrap(), "success");
    }
}
