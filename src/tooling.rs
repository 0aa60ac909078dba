//! The policy tooling's entry points (`scripts/policy lint | effective | encode`):
//! what a policy document is once validated, what policy an organization gets
//! from its layers, and how an override is written into organization metadata.

use std::collections::BTreeMap;

use serde::Serialize;

use crate::answer::{parse_json, Answer, Issue};
use crate::{layers, policy, Engine, Policy};

/// What validating a policy document tells its author.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PolicySummary {
    pub digest: String,
    pub policy: Policy,
    /// The document's length as given, against [`MAX_SECRET_CHARS`].
    pub characters: usize,
}

/// Auth0 holds at most 4,096 characters in a secret's value, and the baseline policy
/// is the `POLICY` secret: a longer document cannot be deployed, however valid.
pub const MAX_SECRET_CHARS: usize = 4096;

/// The policy an organization gets: its layers, the effective document and
/// digest, and the errors of the layers that were rejected.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct EffectivePolicy {
    pub layers: Vec<String>,
    pub digest: String,
    /// The enforcement the organization's decisions run under: logins take it from
    /// the organization's layers; sign-ups, tokens and organization discovery know no
    /// organization and take the baseline's, whatever its tier says.
    pub enforcement: crate::policy::Enforcement,
    pub policy: Policy,
    pub rejected: Vec<Issue>,
}

/// Effective policy for an organization's metadata (`ag_tier`, `ag_policy`...),
/// on a baseline document; a rejected baseline is a failure. When the baseline
/// sets `organizations.unsigned_tier`, the organization's id and the
/// `ORG_LAYERS_KEY` secret say whether its layers are signed: unsigned ones give
/// that tier, and `rejected` says why.
pub fn effective_policy_json(
    policy_json: &str,
    metadata_json: &str,
    organization_id: Option<&str>,
    layers_key: Option<&str>,
) -> Answer<EffectivePolicy> {
    let engine = Engine::new(Some(policy_json));
    if !engine.policy_errors().is_empty() {
        return Answer::Failure { errors: engine.policy_errors().to_vec() };
    }
    let meta: serde_json::Map<String, serde_json::Value> = match parse_json(metadata_json, "invalid_metadata") {
        Ok(m) => m,
        Err(e) => return Answer::failure(e),
    };
    let layered = engine.layered_for(organization_id, Some(&meta), layers_key);
    let (chosen, rejected) = match &layered {
        Some((layered, rejected)) => (layered.as_ref(), rejected.clone()),
        None => (&engine, Vec::new()),
    };
    Answer::success(
        EffectivePolicy {
            layers: chosen.layers.clone(),
            digest: chosen.digest.clone(),
            enforcement: crate::policy::Enforcement { login: chosen.policy.enforcement.login, ..engine.policy.enforcement.clone() },
            policy: chosen.policy.clone(),
            rejected,
        },
        Vec::new(),
    )
}

/// The organization-metadata form of an override (a partial policy document):
/// `{ "ag_policy": "...", "ag_policy_2": "..." }`, each value within Auth0's 255
/// characters; or why it cannot be written.
pub fn encode_override_json(overlay_json: &str) -> Answer<BTreeMap<String, String>> {
    let overlay: serde_json::Value = match parse_json(overlay_json, "invalid_override") {
        Ok(v) => v,
        Err(e) => return Answer::failure(e),
    };
    // It must be a valid layer on the embedded default to be worth writing.
    if let Err(errors) = layers::apply(&Policy::default(), &overlay, "override") {
        return Answer::Failure { errors };
    }
    let text = match layers::encode_override(&overlay) {
        Ok(t) => t,
        Err(message) => return Answer::failure(Issue::new("invalid_override", None, message)),
    };
    // The values are read back concatenated, so the text splits anywhere.
    let chars: Vec<char> = text.chars().collect();
    let chunks: Vec<String> = chars.chunks(layers::META_VALUE_MAX).map(|c| c.iter().collect()).collect();
    if chunks.len() > layers::META_POLICY.len() {
        return Answer::failure(Issue::new(
            "override_too_long",
            None,
            format!(
                "the override is {} characters; organization metadata holds {} values of {} for it",
                chars.len(),
                layers::META_POLICY.len(),
                layers::META_VALUE_MAX
            ),
        ));
    }
    let out = layers::META_POLICY.iter().map(|k| k.to_string()).zip(chunks).collect();
    Answer::success(out, Vec::new())
}

/// The signature of an organization's layers, as its metadata holds it:
/// `{ "ag_sig": "..." }` for its id and the `ag_tier` and `ag_policy` values of
/// `metadata_json` under `layers_key` (`ORG_LAYERS_KEY`); or why not.
pub fn sign_layers_json(organization_id: &str, metadata_json: &str, layers_key: &str) -> Answer<BTreeMap<String, String>> {
    if organization_id.is_empty() {
        return Answer::failure(Issue::new("invalid_organization", None, "the organization id is empty"));
    }
    let meta: serde_json::Map<String, serde_json::Value> = match parse_json(metadata_json, "invalid_metadata") {
        Ok(m) => m,
        Err(e) => return Answer::failure(e),
    };
    let mut warnings = Vec::new();
    // What the organization's layers say is signed as it is; a malformed override
    // is worth knowing about before it is signed.
    if let Some(text) = layers::override_text(&meta) {
        if let Err(message) = layers::parse_override(&text) {
            warnings.push(Issue::new("invalid_override", Some(layers::META_POLICY[0].to_string()), message));
        }
    }
    match layers::layers_signature(layers_key, organization_id, &meta) {
        Some(sig) => Answer::success(BTreeMap::from([(layers::META_SIG.to_string(), sig)]), warnings),
        None => Answer::failure(Issue::new(
            "invalid_key",
            None,
            format!("`ORG_LAYERS_KEY` must be at least {} characters", layers::LAYERS_KEY_MIN_CHARS),
        )),
    }
}

/// Lints a policy document: its effective form, digest and size, or every error,
/// among them a document too long for the `POLICY` secret.
pub fn validate_policy_json(json: &str) -> Answer<PolicySummary> {
    let characters = json.chars().count();
    let too_long = (characters > MAX_SECRET_CHARS).then(|| {
        // Indentation is the usual excess, and the cheapest to shed: say what is left without it.
        let compact = serde_json::from_str::<serde_json::Value>(json).ok().and_then(|v| serde_json::to_string(&v).ok());
        let hint = compact.map(|c| format!("; without whitespace it is {} characters", c.chars().count())).unwrap_or_default();
        Issue::new(
            "policy_too_long",
            None,
            format!("the policy is {characters} characters and an Auth0 secret holds at most {MAX_SECRET_CHARS}{hint}"),
        )
    });
    match (policy::parse_policy(json), too_long) {
        (Ok(policy), None) => Answer::success(PolicySummary { digest: policy::digest(&policy), policy, characters }, Vec::new()),
        (Ok(_), Some(issue)) => Answer::failure(issue),
        (Err(mut errors), too_long) => {
            errors.extend(too_long);
            Answer::Failure { errors }
        }
    }
}
