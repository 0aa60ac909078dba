//! Applying an approved `set_tier` to an organization's metadata, as it is when the
//! executor reads it: what to write, that nothing is to be done, or why not. The
//! executor (server/lib/governance/classify.js) only reads, writes and records.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::Proposal;
use crate::layers::{self, META_POLICY, META_SIG, META_TIER};
use crate::{Answer, Issue};

/// The executor's facts.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Input {
    /// The tenant policy the executor runs with (absent: the default).
    #[serde(default)]
    pub policy: Option<String>,
    /// `ORG_LAYERS_KEY`, when the policy signs organization layers.
    #[serde(default)]
    pub layers_key: Option<String>,
    /// The approved proposal (checked by `governance::check_request`).
    pub proposal: Proposal,
    /// The organization's metadata, as read just now.
    #[serde(default)]
    pub metadata: Map<String, Value>,
}

/// What the executor does.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "action", rename_all = "snake_case")]
pub enum Apply {
    /// Already on the tier (and signed, where layers are): nothing to write.
    Skip,
    /// PATCH the organization's metadata with this (every other key kept).
    Write { metadata: Map<String, Value>, signed: bool },
}

fn refuse(code: &'static str, message: String) -> Answer<Apply> {
    Answer::failure(Issue::new(code, None, message))
}

/// Decides an approved tier change on the metadata as it is now. Refused: a tier the
/// policy does not define; signed layers without a usable key; a tier someone set since
/// the proposal (the approver saw "from -> to"); an override (`ag_policy`) written since
/// and unsigned, which signing the new tier would sign too.
pub fn apply(input: &Input) -> Answer<Apply> {
    let policy = match input.policy.as_deref() {
        None => crate::Policy::default(),
        Some(text) => match crate::policy::parse_policy(text) {
            Ok(p) => p,
            Err(errors) => return Answer::Failure { errors },
        },
    };
    let p = &input.proposal;
    let to = p.to_tier.as_str();
    if !policy.tiers.contains_key(to) {
        return refuse("unknown_tier", format!("tier `{to}` is not defined in the policy this executor runs with"));
    }
    let signing = !policy.organizations.unsigned_tier.is_empty();
    let key = input.layers_key.as_deref().filter(|k| k.chars().count() >= layers::LAYERS_KEY_MIN_CHARS);
    if signing && key.is_none() {
        return refuse(
            "unsigned_tier",
            "the policy signs organization layers (organizations.unsigned_tier) and ORG_LAYERS_KEY is missing or short: an unsigned tier is not written".into(),
        );
    }
    let meta = &input.metadata;
    let sign = |m: &Map<String, Value>| key.and_then(|k| layers::layers_signature(k, &p.organization_id, m));
    let signed_now = signing && sign(meta).is_some_and(|s| meta.get(META_SIG).and_then(Value::as_str) == Some(s.as_str()));
    let current = meta.get(META_TIER).and_then(Value::as_str);
    if current == Some(to) && (!signing || signed_now) {
        return Answer::success(Apply::Skip, Vec::new());
    }
    if current != Some(to) && current != p.from_tier.as_deref() {
        let now: String = current.unwrap_or("none").chars().take(64).collect();
        return refuse(
            "tier_changed",
            format!(
                "{} is on tier `{now}` now, not `{}` as proposed: not changed",
                p.organization_id,
                p.from_tier.as_deref().unwrap_or("none")
            ),
        );
    }
    let overrides: Vec<&str> = META_POLICY.iter().copied().filter(|k| meta.contains_key(*k)).collect();
    if signing && !overrides.is_empty() && !signed_now {
        return refuse(
            "override_unsigned",
            format!(
                "{}'s {} is not signed now: a tier change would sign it; review it and sign it (scripts/policy sign) or remove it first",
                p.organization_id,
                overrides.join(", ")
            ),
        );
    }
    let mut next = meta.clone();
    next.insert(META_TIER.to_string(), Value::String(to.to_string()));
    if signing {
        match sign(&next) {
            Some(sig) => {
                next.insert(META_SIG.to_string(), Value::String(sig));
            }
            None => return refuse("unsigned_tier", "the organization's layers could not be signed".into()),
        }
    }
    Answer::success(Apply::Write { metadata: next, signed: signing }, Vec::new())
}

/// [`apply`] from JSON.
pub fn apply_json(input: &str) -> Answer<Apply> {
    match crate::answer::parse_json::<Input>(input, "invalid_input") {
        Ok(i) => apply(&i),
        Err(issue) => Answer::failure(issue),
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    const KEY: &str = "a-key-of-sixteen-chars";

    fn run(policy: Value, key: Option<&str>, proposal: Value, metadata: Value) -> Result<Apply, String> {
        let input = json!({ "policy": policy.to_string(), "layers_key": key, "proposal": proposal, "metadata": metadata });
        match apply_json(&input.to_string()) {
            Answer::Success { payload, .. } => Ok(payload),
            Answer::Failure { errors } => Err(errors[0].code.to_string()),
        }
    }

    #[test]
    fn writes_skips_or_refuses() {
        let plain = json!({"version": 1, "tiers": {"regulated": {}, "trial": {}}});
        let signed = json!({"version": 1, "tiers": {"regulated": {}, "trial": {}}, "organizations": {"unsigned_tier": "trial"}});
        let prop = json!({"organization_id": "org_1", "from_tier": null, "to_tier": "regulated", "label": "enterprise"});
        let Ok(Apply::Write { metadata, signed: false }) = run(plain.clone(), None, prop.clone(), json!({"plan": "x"})) else { panic!() };
        assert_eq!(metadata, json!({"plan": "x", "ag_tier": "regulated"}).as_object().unwrap().clone());
        assert_eq!(run(plain.clone(), None, prop.clone(), json!({"ag_tier": "regulated"})), Ok(Apply::Skip));
        assert_eq!(run(plain.clone(), None, prop.clone(), json!({"ag_tier": "trial"})).unwrap_err(), "tier_changed");
        let unknown = json!({"organization_id": "org_1", "to_tier": "gold"});
        assert_eq!(run(plain.clone(), None, unknown, json!({})).unwrap_err(), "unknown_tier");
        assert_eq!(run(signed.clone(), None, prop.clone(), json!({})).unwrap_err(), "unsigned_tier");
        assert_eq!(run(signed.clone(), Some("short"), prop.clone(), json!({})).unwrap_err(), "unsigned_tier");
        // Signed: the new metadata verifies; an unsigned override is not signed along.
        let Ok(Apply::Write { metadata, signed: true }) = run(signed.clone(), Some(KEY), prop.clone(), json!({})) else { panic!() };
        assert_eq!(layers::layers_signature(KEY, "org_1", &metadata).as_deref(), metadata.get("ag_sig").and_then(Value::as_str));
        assert_eq!(run(signed.clone(), Some(KEY), prop.clone(), json!({"ag_policy": "mfa.mode=never"})).unwrap_err(), "override_unsigned");
        // On the tier but unsigned: signed now.
        assert!(matches!(run(signed, Some(KEY), prop, json!({"ag_tier": "regulated"})), Ok(Apply::Write { signed: true, .. })));
        assert_eq!(
            run(json!("not a policy"), None, json!({"organization_id": "o", "to_tier": "t"}), json!({})).unwrap_err(),
            "invalid_policy"
        );
    }
}
