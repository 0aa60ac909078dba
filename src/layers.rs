//! Which policy applies to a decision: the baseline (the `POLICY` secret or the
//! embedded default), then the tier an organization is on, then the
//! organization's own override. Each layer is a partial document merged onto
//! the effective policy below it (objects merge key by key; anything else,
//! lists included, replaces), and the result must validate as a whole. A layer
//! that does not is rejected with errors naming the layer, the key, the value
//! and the reason, and the decision runs on the last valid layer below it:
//! never fail open.
//!
//! Organization metadata is at most 25 string pairs of 255 characters, so an
//! organization carries its layers compactly:
//! - `ag_tier`: the name of a tier defined in the baseline's `tiers`;
//! - `ag_policy` (continued in `ag_policy_2`, `ag_policy_3` when longer):
//!   `path=value` pairs separated by `;`, where `path` is a dotted key of the
//!   policy document and `value` is a number, `true`, `false`, a bare word, or
//!   a list `[a,b]`. Example: `thresholds.challenge=0.3;mfa.mode=always;countries.deny=[KP,IR]`.
//! - `ag_sig`: with `organizations.unsigned_tier` set, the signature of the two
//!   above under the `ORG_LAYERS_KEY` secret ([`layers_signature`]): without a
//!   valid one the organization gets the unsigned tier and none of its own layers,
//!   since whoever writes organization metadata could otherwise leave a tier the
//!   tenant requires.

use std::sync::Arc;

use serde_json::{Map, Value};

use crate::answer::Issue;
use crate::policy::{self, direction, truncate_for_message, Policy};
use crate::{Engine, Layered};

pub const META_TIER: &str = "ag_tier";
pub const META_POLICY: [&str; 3] = ["ag_policy", "ag_policy_2", "ag_policy_3"];
/// Auth0's limit on one organization metadata value.
pub const META_VALUE_MAX: usize = 255;

/// Objects merge key by key; anything else in `overlay` replaces what is below.
pub fn merge(base: &mut Value, overlay: &Value) {
    match (base, overlay) {
        (Value::Object(b), Value::Object(o)) => {
            for (k, v) in o {
                match b.get_mut(k) {
                    Some(slot) => merge(slot, v),
                    None => {
                        b.insert(k.clone(), v.clone());
                    }
                }
            }
        }
        (slot, v) => *slot = v.clone(),
    }
}

fn layer_error(layer: &str, message: String) -> Issue {
    Issue::new("policy_layer_rejected", Some(layer.to_string()), format!("{layer}: {message}"))
}

/// One `path=value` pair of the compact override form, as a partial document,
/// or why it is not one.
pub fn parse_pair(pair: &str) -> Result<(String, Value), String> {
    let Some((path, raw)) = pair.split_once('=') else {
        return Err(format!("`{}` is not `path=value`", truncate_for_message(pair)));
    };
    let path = path.trim();
    if path.is_empty()
        || !path.split('.').all(|k| !k.is_empty() && k.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_'))
    {
        return Err(format!("`{}` is not a dotted policy key", truncate_for_message(path)));
    }
    if path == "version" || path == "tiers" || path.starts_with("tiers.") {
        return Err(format!("`{path}` cannot be overridden by an organization"));
    }
    let mut patch = parse_value(raw.trim());
    for key in path.rsplit('.') {
        let mut m = Map::new();
        m.insert(key.to_string(), patch);
        patch = Value::Object(m);
    }
    Ok((path.to_string(), patch))
}

fn pairs(text: &str) -> impl Iterator<Item = &str> {
    text.split(';').map(str::trim).filter(|p| !p.is_empty())
}

/// Parses the compact override form into a partial policy document; the first
/// malformed pair is the error.
pub fn parse_override(text: &str) -> Result<Value, String> {
    let mut out = Value::Object(Map::new());
    for pair in pairs(text) {
        merge(&mut out, &parse_pair(pair)?.1);
    }
    Ok(out)
}

/// An organization's override applied on `below`, pair by pair: a pair that is
/// malformed, makes the policy invalid, or loosens a key the tenant did not make
/// `overridable` is refused (an issue naming it, and its key in `refused`); the
/// others apply. Pairs are tried again while any applies, so that keys bound
/// together (`thresholds.challenge` below `thresholds.deny`) may come in any
/// order. `None` when no pair applied.
pub fn apply_override(below: &Policy, text: &str) -> (Option<Policy>, Vec<Issue>, Vec<String>) {
    let mut issues = Vec::new();
    let mut pending = Vec::new();
    for pair in pairs(text) {
        match parse_pair(pair) {
            Ok(parsed) => pending.push(parsed),
            Err(message) => {
                issues.push(Issue::new("policy_layer_rejected", Some(META_POLICY[0].to_string()), format!("{OVERRIDE}: {message}")))
            }
        }
    }
    let Ok(base) = strip_tiers(below) else {
        issues.push(Issue::new(
            "policy_layer_rejected",
            Some(META_POLICY[0].to_string()),
            format!("{OVERRIDE}: the layers below cannot be read"),
        ));
        return (None, issues, Vec::new());
    };
    let mut current: Option<(Value, Policy)> = None;
    loop {
        let mut refusals = Vec::new();
        let before = pending.len();
        for (path, patch) in std::mem::take(&mut pending) {
            let (doc, now) = current.as_ref().map_or((&base, below), |(d, p)| (d, p));
            match try_pair(below, &base, (doc, now), &path, &patch) {
                Ok(applied) => current = Some(applied),
                Err(why) => {
                    refusals.push(why);
                    pending.push((path, patch));
                }
            }
        }
        if pending.is_empty() || pending.len() == before {
            issues.extend(refusals.into_iter().flatten());
            break;
        }
    }
    (current.map(|(_, p)| p), issues, pending.into_iter().map(|(path, _)| path).collect())
}

const OVERRIDE: &str = "organization override (`ag_policy`)";

/// The override so far (`doc`, and the policy `now` it makes) with one pair merged
/// on, if that keeps the policy valid and no looser: its key than `below`, the
/// score ladder than `now` (so that a pair the tenant made `overridable` does
/// not count against the next one).
fn try_pair(below: &Policy, base: &Value, (doc, now): (&Value, &Policy), path: &str, patch: &Value) -> Result<(Value, Policy), Vec<Issue>> {
    let mut doc = doc.clone();
    merge(&mut doc, patch);
    let checked = !direction::overridable(&below.organizations.overridable, path);
    let loosens = |why: String| {
        vec![Issue::new(
            "policy_override_loosens",
            Some(path.to_string()),
            format!("{OVERRIDE}: `{path}` {why}; ignored (a tenant can allow it with `organizations.overridable`)"),
        )]
    };
    if let Some(why) = direction::loosening(path, base, &doc).filter(|_| checked) {
        return Err(loosens(why));
    }
    let candidate = policy::parse_layered_policy(&doc.to_string()).map_err(|errors| {
        errors
            .into_iter()
            .map(|e| Issue::new("policy_layer_rejected", Some(path.to_string()), format!("{OVERRIDE}: {}", e.message)))
            .collect::<Vec<_>>()
    })?;
    if let Some(why) = direction::ladder_loosening(now, &candidate).filter(|_| checked) {
        return Err(loosens(why));
    }
    Ok((doc, candidate))
}

fn strip_tiers(below: &Policy) -> Result<Value, serde_json::Error> {
    let mut doc = serde_json::to_value(below)?;
    // Tiers belong to the baseline; a layered policy does not carry them.
    if let Some(m) = doc.as_object_mut() {
        m.remove("tiers");
    }
    Ok(doc)
}

fn parse_value(raw: &str) -> Value {
    if let Some(inner) = raw.strip_prefix('[').and_then(|r| r.strip_suffix(']')) {
        return Value::Array(inner.split(',').map(str::trim).filter(|s| !s.is_empty()).map(parse_value).collect());
    }
    match raw {
        "true" => Value::Bool(true),
        "false" => Value::Bool(false),
        _ => raw
            .parse::<f64>()
            .ok()
            .filter(|f| f.is_finite())
            .and_then(|f| {
                serde_json::Number::from_f64(f).map(|n| {
                    // Whole numbers stay integers so that `version`-like and count keys parse.
                    if f.fract() == 0.0 && f.abs() < 1e15 {
                        Value::from(f as i64)
                    } else {
                        Value::Number(n)
                    }
                })
            })
            .unwrap_or_else(|| Value::String(raw.to_string())),
    }
}

/// The compact form of a partial policy document, for `ag_policy` (the CLI
/// prints it). Fails when a value cannot be written compactly.
pub fn encode_override(overlay: &Value) -> Result<String, String> {
    let mut pairs = Vec::new();
    flatten("", overlay, &mut pairs)?;
    Ok(pairs.join(";"))
}

fn flatten(prefix: &str, v: &Value, out: &mut Vec<String>) -> Result<(), String> {
    match v {
        Value::Object(m) => {
            for (k, v) in m {
                let path = if prefix.is_empty() { k.clone() } else { format!("{prefix}.{k}") };
                flatten(&path, v, out)?;
            }
            Ok(())
        }
        Value::Array(items) => {
            let words: Result<Vec<String>, String> = items.iter().map(|i| word(prefix, i)).collect();
            out.push(format!("{prefix}=[{}]", words?.join(",")));
            Ok(())
        }
        other => {
            out.push(format!("{prefix}={}", word(prefix, other)?));
            Ok(())
        }
    }
}

fn word(path: &str, v: &Value) -> Result<String, String> {
    let text = match v {
        Value::String(s) => s.clone(),
        Value::Number(n) => n.to_string(),
        Value::Bool(b) => b.to_string(),
        _ => return Err(format!("`{path}` holds a value the compact form cannot write")),
    };
    if text.is_empty() || text.contains([';', '=', '[', ']', ',']) || text != text.trim() {
        return Err(format!("`{path}`: `{}` cannot be written in the compact form", truncate_for_message(&text)));
    }
    Ok(text)
}

/// The override of an organization, from its metadata, as one string.
pub fn override_text(meta: &Map<String, Value>) -> Option<String> {
    let parts: Vec<&str> = META_POLICY.iter().filter_map(|k| meta.get(*k)?.as_str()).collect();
    (!parts.is_empty()).then(|| parts.concat())
}

/// `below` with `overlay` merged on and validated; errors are prefixed with the layer.
pub fn apply(below: &Policy, overlay: &Value, layer: &str) -> Result<Policy, Vec<Issue>> {
    let mut doc = strip_tiers(below).map_err(|e| vec![layer_error(layer, e.to_string())])?;
    merge(&mut doc, overlay);
    policy::parse_layered_policy(&doc.to_string()).map_err(|errors| errors.into_iter().map(|e| layer_error(layer, e.message)).collect())
}

/// Organization metadata: the signature of its layers (see [`layers_signature`]).
pub const META_SIG: &str = "ag_sig";
/// The shortest `ORG_LAYERS_KEY` that signs or verifies anything.
pub const LAYERS_KEY_MIN_CHARS: usize = 16;
const SIG_DOMAIN: &[u8] = b"actionguard/org-layers/v1\0";
/// Hex digits of the HMAC kept in `ag_sig` (128 bits).
const SIG_HEX_DIGITS: usize = 32;

/// The signature of an organization's layers, for its `ag_sig`: the first 32 hex
/// digits of HMAC-SHA256(key, "actionguard/org-layers/v1\0" + organization id +
/// "\0" + `ag_tier` + "\0" + the concatenated `ag_policy` text); `None` when the key
/// is shorter than [`LAYERS_KEY_MIN_CHARS`].
pub fn layers_signature(key: &str, organization_id: &str, meta: &Map<String, Value>) -> Option<String> {
    if key.chars().count() < LAYERS_KEY_MIN_CHARS {
        return None;
    }
    let tier = meta.get(META_TIER).and_then(Value::as_str).unwrap_or("");
    let text = override_text(meta).unwrap_or_default();
    let mac =
        crate::mac::hmac_sha256(key.as_bytes(), &[SIG_DOMAIN, organization_id.as_bytes(), b"\0", tier.as_bytes(), b"\0", text.as_bytes()]);
    let mut out = String::with_capacity(SIG_HEX_DIGITS);
    crate::hex::push_hex(&mut out, mac.get(..SIG_HEX_DIGITS / 2).unwrap_or_default());
    Some(out)
}

/// Equal strings, in a time that depends on their lengths only.
fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// Why an organization's layers are not to be trusted (`organizations.unsigned_tier`
/// is set), or `None` when its `ag_sig` signs them.
fn unsigned_because(organization_id: Option<&str>, meta: Option<&Map<String, Value>>, key: Option<&str>) -> Option<&'static str> {
    let Some(key) = key.filter(|k| k.chars().count() >= LAYERS_KEY_MIN_CHARS) else {
        return Some("the `ORG_LAYERS_KEY` secret is missing or shorter than 16 characters");
    };
    let Some(id) = organization_id.filter(|id| !id.is_empty()) else {
        return Some("the organization has no id");
    };
    let empty = Map::new();
    let meta = meta.unwrap_or(&empty);
    let Some(sig) = meta.get(META_SIG).and_then(Value::as_str).filter(|s| !s.is_empty()) else {
        return Some("its metadata has no `ag_sig`");
    };
    match layers_signature(key, id, meta) {
        Some(expected) if constant_time_eq(expected.as_bytes(), sig.as_bytes()) => None,
        _ => Some("its `ag_sig` does not sign its organization id, `ag_tier` and `ag_policy`"),
    }
}

impl Engine {
    /// The engine for an organization's layers (its `ag_tier`, then its
    /// `ag_policy` override) and the errors of layers that were rejected; `None`
    /// when the organization sets neither. A rejected layer is skipped: the
    /// decision runs on the last valid layer below it.
    ///
    /// With `organizations.unsigned_tier` set, the layers apply only when the
    /// organization's `ag_sig` signs them under `key` (`ORG_LAYERS_KEY`, see
    /// [`layers_signature`]); otherwise the organization (any with an id or
    /// metadata) gets that tier alone, and a warning `organization_layers_unsigned`
    /// says why.
    pub(crate) fn layered_for(
        &self,
        organization_id: Option<&str>,
        meta: Option<&Map<String, Value>>,
        key: Option<&str>,
    ) -> Option<Layered> {
        let unsigned_tier = self.policy.organizations.unsigned_tier.as_str();
        if unsigned_tier.is_empty() {
            let meta = meta?;
            return self.layered_on(None, meta.get(META_TIER).and_then(Value::as_str), override_text(meta));
        }
        if organization_id.is_none() && meta.is_none() {
            return None;
        }
        match unsigned_because(organization_id, meta, key) {
            None => {
                let meta = meta?;
                self.layered_on(Some("signed"), meta.get(META_TIER).and_then(Value::as_str), override_text(meta))
            }
            Some(why) => {
                let (engine, mut rejected) = self.layered_on(Some("unsigned"), Some(unsigned_tier), None)?;
                rejected.push(Issue::new(
                    "organization_layers_unsigned",
                    Some(META_SIG.to_string()),
                    format!(
                        "organization layers not signed: {why}; tier `{}` applies and its own `ag_tier` and `ag_policy` are ignored",
                        truncate_for_message(unsigned_tier)
                    ),
                ));
                Some((engine, rejected))
            }
        }
    }

    /// The engine for a tier and an override text, cached by them and by the
    /// signature verdict they were read under (`None`: signing is off).
    fn layered_on(&self, verdict: Option<&str>, tier: Option<&str>, text: Option<String>) -> Option<Layered> {
        if tier.is_none() && text.is_none() {
            return None;
        }
        let key = format!("{}\0{}\0{}", verdict.unwrap_or("off"), tier.unwrap_or(""), text.as_deref().unwrap_or(""));
        if let Some(hit) = self.layered.lock().ok().and_then(|c| c.get(&key).cloned()) {
            return Some(hit);
        }
        let mut policy = self.policy.clone();
        policy.tiers.clear();
        let mut names = self.layers.clone();
        let mut rejected = Vec::new();
        if let Some(t) = tier {
            match self.policy.tiers.get(t) {
                Some(overlay) => match apply(&policy, overlay, &format!("tier `{t}`")) {
                    Ok(p) => {
                        policy = p;
                        names.push(format!("tier:{t}"));
                    }
                    Err(errors) => rejected.extend(errors),
                },
                None => rejected.push(Issue::new(
                    "policy_layer_rejected",
                    Some(META_TIER.to_string()),
                    "organization metadata `ag_tier` names a tier the policy does not define",
                )),
            }
        }
        let mut refused = Vec::new();
        if let Some(text) = text {
            let (applied, issues, keys) = apply_override(&policy, &text);
            rejected.extend(issues);
            refused = keys;
            if let Some(p) = applied {
                policy = p;
                names.push("organization".to_string());
            }
        }
        let mut engine = Engine::from_policy(policy, self.source, self.policy_errors.clone(), names);
        engine.refused = refused;
        // One id sequence per instance, whichever layers decide.
        engine.record_ids = Arc::clone(&self.record_ids);
        let engine = Arc::new(engine);
        let entry = (engine, rejected);
        if let Ok(mut cache) = self.layered.lock() {
            if cache.len() >= 256 {
                cache.clear();
            }
            cache.insert(key, entry.clone());
        }
        Some(entry)
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    /// Security review (issue 16), item 6: the fail mode an organization's layers
    /// set is the one that applies to its undecidable events.
    #[test]
    fn an_organizations_layers_set_its_fail_mode() {
        let engine = Engine::new(Some(r#"{"version":1,"fail_mode":"allow","tiers":{"regulated":{"fail_mode":"deny"}}}"#));
        assert_eq!(engine.fail_mode_for_json(Some(r#"{"ag_tier":"regulated"}"#), Some("org_1"), None), crate::FailMode::Deny);
        assert_eq!(
            engine.fail_mode_for_json(Some(r#"{"ag_policy":"fail_mode=challenge"}"#), Some("org_1"), None),
            crate::FailMode::Challenge
        );
        for baseline in [None, Some("{}"), Some("not json"), Some("[1]"), Some(r#"{"ag_tier":"unknown"}"#)] {
            assert_eq!(engine.fail_mode_for_json(baseline, Some("org_1"), None), crate::FailMode::Allow, "{baseline:?}");
        }
    }
    use crate::Engine;

    const BASELINE: &str = r#"{"version":1,"tiers":{
        "regulated":{"mfa":{"mode":"always","unenrolled":"deny"},"fail_mode":"deny","thresholds":{"challenge":0.3,"deny":0.8},"ambiguous":{"from":0.2,"to":0.3}},
        "trial":{"signup":{"block_free_mail":true}}}}"#;

    #[test]
    fn the_compact_form_round_trips_and_fits_organization_metadata() {
        let overlay = json!({"thresholds": {"challenge": 0.3}, "mfa": {"mode": "always", "factors": ["webauthn-roaming", "otp"]}, "countries": {"deny": ["KP", "IR"]}});
        let text = encode_override(&overlay).unwrap();
        assert_eq!(text, "countries.deny=[KP,IR];mfa.factors=[webauthn-roaming,otp];mfa.mode=always;thresholds.challenge=0.3");
        assert!(text.len() <= META_VALUE_MAX);
        assert_eq!(parse_override(&text).unwrap(), overlay);
        assert_eq!(
            parse_override("signup.velocity.per_ip=3;signup.block_free_mail=true").unwrap(),
            json!({"signup": {"velocity": {"per_ip": 3}, "block_free_mail": true}})
        );
    }

    #[test]
    fn malformed_overrides_are_refused_with_the_reason() {
        assert_eq!(parse_override("thresholds.challenge").unwrap_err(), "`thresholds.challenge` is not `path=value`");
        assert_eq!(parse_override("Thresholds..x=1").unwrap_err(), "`Thresholds..x` is not a dotted policy key");
        assert_eq!(parse_override("version=2").unwrap_err(), "`version` cannot be overridden by an organization");
        assert!(encode_override(&json!({"x": {"y": "a;b"}})).is_err());
    }

    fn decide(engine: &Engine, meta: serde_json::Value) -> serde_json::Value {
        let ctx = json!({"user": {"user_id": "auth0|1", "enrolledFactors": [{"type": "otp"}]},
            "organization": {"id": "org_1", "metadata": meta},
            "authentication": {"riskAssessment": {"assessments": {"NewDevice": {"code": "no_match"}}}}});
        serde_json::to_value(engine.decide_login_json(&ctx.to_string())).unwrap()
    }

    fn audit(answer: &serde_json::Value) -> serde_json::Value {
        serde_json::from_str(answer["audit"].as_str().unwrap()).unwrap()
    }

    #[test]
    fn the_same_login_is_allowed_on_one_organizations_policy_and_challenged_on_anothers() {
        let engine = Engine::new(Some(BASELINE));
        assert!(engine.policy_errors().is_empty(), "{:?}", engine.policy_errors());
        let plain = decide(&engine, json!({}));
        assert_eq!(plain["outcome"], "allow");
        assert_eq!(audit(&plain)["policy"]["layers"], json!(["baseline"]));
        let regulated = decide(&engine, json!({"ag_tier": "regulated"}));
        assert_eq!(regulated["outcome"], "challenge");
        assert_eq!(audit(&regulated)["policy"]["layers"], json!(["baseline", "tier:regulated"]));
        assert_ne!(audit(&regulated)["policy"]["digest"], audit(&plain)["policy"]["digest"]);
        // An organization's own override on top of its tier, split over two metadata
        // values, loosening keys the tenant lets organizations set.
        let flexible =
            Engine::new(Some(&BASELINE.replacen('{', r#"{"organizations":{"overridable":["mfa","thresholds","ambiguous"]},"#, 1)));
        let own = decide(
            &flexible,
            json!({"ag_tier": "regulated", "ag_policy": "mfa.mode=risk_", "ag_policy_2": "based;thresholds.challenge=0.9;ambiguous.from=0.85;ambiguous.to=0.9;thresholds.deny=0.95"}),
        );
        assert_eq!(own["outcome"], "allow", "{own}");
        assert_eq!(audit(&own)["policy"]["layers"], json!(["baseline", "tier:regulated", "organization"]));
    }

    #[test]
    fn a_rejected_layer_is_skipped_and_named_never_failing_open() {
        let engine = Engine::new(Some(BASELINE));
        // An override that breaks validation: the tier below still applies.
        let bad = decide(&engine, json!({"ag_tier": "regulated", "ag_policy": "thresholds.challenge=-1"}));
        assert_eq!(bad["outcome"], "challenge");
        assert_eq!(bad["warnings"][0]["code"], "policy_layer_rejected");
        assert_eq!(
            bad["warnings"][0]["message"],
            "organization override (`ag_policy`): `thresholds.challenge`: `-1` must be between 0 and 1"
        );
        assert_eq!(audit(&bad)["policy"]["layers"], json!(["baseline", "tier:regulated"]));
        let unknown = decide(&engine, json!({"ag_tier": "platinum", "ag_policy": "mfa.mode=sometimes"}));
        let messages: Vec<&str> = unknown["warnings"].as_array().unwrap().iter().map(|w| w["message"].as_str().unwrap()).collect();
        assert_eq!(
            messages,
            [
                "organization metadata `ag_tier` names a tier the policy does not define",
                "organization override (`ag_policy`): `mfa.mode`: unknown variant `sometimes`, expected one of `always`, `risk_based`, `never`",
            ]
        );
        assert_eq!(unknown["outcome"], "allow");
    }

    #[test]
    fn the_cli_entry_points_show_effective_policies_and_split_long_overrides() {
        let effective =
            serde_json::to_value(crate::effective_policy_json(BASELINE, r#"{"ag_tier":"regulated","other":"x"}"#, None, None)).unwrap();
        assert_eq!(effective["layers"], json!(["baseline", "tier:regulated"]));
        assert_eq!(effective["policy"]["mfa"]["mode"], "always");
        assert!(effective["policy"].get("tiers").is_none());
        let nets: Vec<String> = (0..20).map(|i| format!("198.51.{i}.0/24")).collect();
        let long = json!({"networks": {"deny": nets}, "mfa": {"mode": "always"}});
        let encoded = serde_json::to_value(crate::encode_override_json(&long.to_string())).unwrap();
        let first = encoded["ag_policy"].as_str().unwrap();
        let second = encoded["ag_policy_2"].as_str().unwrap();
        assert!(first.len() <= META_VALUE_MAX && second.len() <= META_VALUE_MAX);
        assert_eq!(parse_override(&format!("{first}{second}")).unwrap(), long);
        let meta = json!({"ag_policy": first, "ag_policy_2": second});
        assert_eq!(override_text(meta.as_object().unwrap()).unwrap(), format!("{first}{second}"));
        let invalid = serde_json::to_value(crate::encode_override_json(r#"{"thresholds":{"challenge":7}}"#)).unwrap();
        assert_eq!(invalid["errors"][0]["message"], "override: `thresholds.challenge`: `7` must be between 0 and 1");
    }

    const SIGNED: &str = r#"{"version":1,"organizations":{"unsigned_tier":"regulated"},"tiers":{
        "regulated":{"mfa":{"mode":"always","unenrolled":"deny"},"fail_mode":"deny","thresholds":{"challenge":0.3,"deny":0.8},"ambiguous":{"from":0.2,"to":0.3}},
        "standard":{"fail_mode":"allow"}}}"#;
    const KEY: &str = "0123456789abcdef-org-layers";

    fn signed_decide(engine: &Engine, id: &str, meta: &serde_json::Value, key: Option<&str>) -> serde_json::Value {
        let ctx = json!({"user": {"user_id": "auth0|1", "enrolledFactors": [{"type": "otp"}]},
            "organization": {"id": id, "metadata": meta},
            "organization_layers_key": key,
            "authentication": {"riskAssessment": {"assessments": {"NewDevice": {"code": "no_match"}}}}});
        serde_json::to_value(engine.decide_login_json(&ctx.to_string())).unwrap()
    }

    fn with_sig(id: &str, meta: serde_json::Value) -> serde_json::Value {
        let mut meta = meta;
        let sig = layers_signature(KEY, id, meta.as_object().unwrap()).unwrap();
        meta["ag_sig"] = json!(sig);
        meta
    }

    fn unsigned_warning(answer: &serde_json::Value) -> Option<String> {
        answer["warnings"]
            .as_array()?
            .iter()
            .find(|w| w["code"] == "organization_layers_unsigned")
            .map(|w| w["message"].as_str().unwrap().to_string())
    }

    /// Security review (issue 16): whoever writes organization metadata cannot take
    /// an organization off the tier the tenant requires once layers are signed.
    #[test]
    fn signed_layers_apply_and_unsigned_ones_give_the_unsigned_tier() {
        let engine = Engine::new(Some(SIGNED));
        assert!(engine.policy_errors().is_empty(), "{:?}", engine.policy_errors());
        // A valid signature: the organization's tier and its own override.
        let meta = with_sig("org_std", json!({"ag_tier": "standard", "ag_policy": "countries.deny=[KP]"}));
        let ok = signed_decide(&engine, "org_std", &meta, Some(KEY));
        assert_eq!(ok["outcome"], "allow", "{ok}");
        assert_eq!(unsigned_warning(&ok), None);
        assert_eq!(audit(&ok)["policy"]["layers"], json!(["baseline", "tier:standard", "organization"]));
        assert_eq!(engine.fail_mode_for_json(Some(&meta.to_string()), Some("org_std"), Some(KEY)), crate::FailMode::Allow);

        let regulated = with_sig("org_reg", json!({"ag_tier": "regulated"}));
        let mut deleted = regulated.clone();
        deleted.as_object_mut().unwrap().remove("ag_tier");
        let mut switched = regulated.clone();
        switched["ag_tier"] = json!("standard");
        let mut forged = json!({"ag_tier": "standard"});
        forged["ag_sig"] = json!(layers_signature("another-key-of-16-chars", "org_reg", forged.as_object().unwrap()).unwrap());
        let cases = [
            ("deleted ag_tier", "org_reg", deleted.clone(), Some(KEY), "does not sign"),
            ("deleted ag_tier and ag_sig", "org_reg", json!({}), Some(KEY), "no `ag_sig`"),
            ("switched ag_tier", "org_reg", switched, Some(KEY), "does not sign"),
            ("forged ag_sig", "org_reg", forged, Some(KEY), "does not sign"),
            ("ag_sig copied from another organization", "org_reg", meta.clone(), Some(KEY), "does not sign"),
            ("no key", "org_std", meta.clone(), None, "ORG_LAYERS_KEY"),
            ("short key", "org_std", meta.clone(), Some("short"), "ORG_LAYERS_KEY"),
        ];
        for (name, id, meta, key, why) in cases {
            let got = signed_decide(&engine, id, &meta, key);
            assert_eq!(got["outcome"], "challenge", "{name}: {got}");
            assert_eq!(audit(&got)["policy"]["layers"], json!(["baseline", "tier:regulated"]), "{name}");
            let warning = unsigned_warning(&got).unwrap_or_else(|| panic!("{name}: no warning: {got}"));
            assert!(warning.contains(why) && warning.contains("tier `regulated` applies"), "{name}: {warning}");
            // Audited through the warnings, the key nowhere.
            let line = audit(&got).to_string();
            assert!(line.contains("organization_layers_unsigned"), "{name}: {line}");
            assert!(!got.to_string().contains(KEY), "{name}: the key leaked");
            assert_eq!(engine.fail_mode_for_json(Some(&meta.to_string()), Some(id), key), crate::FailMode::Deny, "{name}");
        }
        // The signed regulated organization, and an organization without metadata.
        assert_eq!(
            audit(&signed_decide(&engine, "org_reg", &regulated, Some(KEY)))["policy"]["layers"],
            json!(["baseline", "tier:regulated"])
        );
        assert_eq!(unsigned_warning(&signed_decide(&engine, "org_reg", &regulated, Some(KEY))), None);
        let bare = json!({"user": {"user_id": "auth0|1"}, "organization": {"id": "org_new"}, "organization_layers_key": KEY});
        let bare = serde_json::to_value(engine.decide_login_json(&bare.to_string())).unwrap();
        assert_eq!(audit(&bare)["policy"]["layers"], json!(["baseline", "tier:regulated"]), "{bare}");
        // No organization: the baseline.
        let none = serde_json::to_value(engine.decide_login_json(r#"{"user":{"user_id":"auth0|1"}}"#)).unwrap();
        assert_eq!(audit(&none)["policy"]["layers"], json!(["baseline"]));
        assert_eq!(engine.fail_mode_for_json(None, None, None), crate::FailMode::Challenge);
        assert_eq!(engine.fail_mode_for_json(Some("not json"), Some("org_x"), Some(KEY)), crate::FailMode::Deny);
    }

    #[test]
    fn with_unsigned_tier_empty_layers_read_as_before() {
        let engine = Engine::new(Some(&SIGNED.replace(r#""unsigned_tier":"regulated""#, r#""unsigned_tier":"""#)));
        assert!(engine.policy_errors().is_empty());
        let got = signed_decide(&engine, "org_std", &json!({"ag_tier": "standard"}), None);
        assert_eq!(audit(&got)["policy"]["layers"], json!(["baseline", "tier:standard"]));
        assert_eq!(unsigned_warning(&got), None);
        let bare = signed_decide(&engine, "org_std", &json!({}), Some(KEY));
        assert_eq!(audit(&bare)["policy"]["layers"], json!(["baseline"]));
        assert_eq!(engine.fail_mode_for_json(Some(r#"{"ag_tier":"standard"}"#), None, None), crate::FailMode::Allow);
    }

    #[test]
    fn the_unsigned_tier_must_be_a_tier_and_signatures_come_from_the_cli() {
        let errors = crate::policy::parse_policy(r#"{"version":1,"organizations":{"unsigned_tier":"platinum"}}"#).unwrap_err();
        assert_eq!(
            errors[0].message,
            "`organizations.unsigned_tier`: `platinum` must name a tier defined in `tiers` (the tier of an organization whose layers are not signed)"
        );
        // The signature is the documented HMAC, truncated to 32 hex digits.
        let meta = json!({"ag_tier": "regulated", "ag_policy": "mfa.mode=", "ag_policy_2": "always"});
        let mac = crate::mac::hmac_sha256(KEY.as_bytes(), &[b"actionguard/org-layers/v1\0org_1\0regulated\0mfa.mode=always"]);
        let mut hex = String::new();
        crate::hex::push_hex(&mut hex, &mac[..16]);
        let signed = serde_json::to_value(crate::sign_layers_json("org_1", &meta.to_string(), KEY)).unwrap();
        assert_eq!(signed["ag_sig"], json!(hex));
        let short = serde_json::to_value(crate::sign_layers_json("org_1", &meta.to_string(), "short")).unwrap();
        assert_eq!(short["errors"][0]["message"], "`ORG_LAYERS_KEY` must be at least 16 characters");
        // The effective policy of a signed organization, and of an unsigned one.
        let mut with = meta.clone();
        with["ag_sig"] = signed["ag_sig"].clone();
        let ok = serde_json::to_value(crate::effective_policy_json(SIGNED, &with.to_string(), Some("org_1"), Some(KEY))).unwrap();
        assert_eq!(ok["layers"], json!(["baseline", "tier:regulated", "organization"]), "{ok}");
        let other = serde_json::to_value(crate::effective_policy_json(SIGNED, &with.to_string(), Some("org_2"), Some(KEY))).unwrap();
        assert_eq!(other["layers"], json!(["baseline", "tier:regulated"]));
        assert_eq!(other["rejected"][0]["code"], "organization_layers_unsigned");
    }

    #[test]
    fn tiers_are_validated_with_the_document() {
        let errors =
            crate::policy::parse_policy(r#"{"version":1,"tiers":{"strict":{"mfa":{"mode":"sometimes"}},"bad name":{},"v":{"version":2}}}"#)
                .unwrap_err();
        let messages: Vec<&str> = errors.iter().map(|e| e.message.as_str()).collect();
        assert_eq!(
            messages,
            [
                "`tiers.bad name`: a tier name is 1 to 64 letters, digits, `_` or `-`",
                "`tiers.strict`: `mfa.mode`: unknown variant `sometimes`, expected one of `always`, `risk_based`, `never`",
                "`tiers.v`: a tier cannot set `tiers` or `version`",
            ]
        );
    }
}
