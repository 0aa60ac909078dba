//! ActionGuard: adaptive identity policy for Auth0 Actions.
//!
//! A pure Rust core, with no JavaScript type anywhere in its dependency tree
//! (the WebAssembly facade is the separate `actionguard-wasm` crate), that turns
//! a compact context built from an Auth0 event into a decision with reasons and
//! an audit record. Every entry point takes JSON text and returns a tagged
//! [`Answer`], so the same contract is exercised by `cargo test` and from
//! JavaScript. One module per decision: [`login`] (post-login), [`signup`]
//! (pre-user-registration), [`credentials`] (credentials-exchange), [`orgmap`]
//! (organization discovery); [`threat`] is the control plane's signed feed of
//! networks and accounts under attack that login and sign-up consult;
//! [`tooling`] serves the policy CLI.

#![forbid(unsafe_code)]
#![cfg_attr(test, allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing))]

pub mod answer;
pub mod approvals;
pub mod audit;
pub mod cache;
pub mod clock;
pub mod context;
pub mod credentials;
pub mod decision;
pub mod detect;
pub mod domains;
pub mod email;
pub mod enforcement;
pub mod governance;
pub mod hex;
pub mod layers;
pub mod llm;
pub mod login;
pub mod logs;
pub mod mac;
pub mod orgmap;
pub mod policy;
pub mod report;
pub mod risk;
pub mod signals;
pub mod signup;
pub mod suffix;
pub mod threat;
pub mod tooling;

use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::{Arc, Mutex};

pub use answer::{Answer, Issue};
pub use context::LoginContext;
pub use decision::{Decision, LoginDecision, Outcome};
pub use login::Explanation;
pub use policy::{FailMode, Policy, PolicySource};
pub use tooling::{effective_policy_json, encode_override_json, sign_layers_json, validate_policy_json, EffectivePolicy, PolicySummary};

use audit::{AuditBuilder, AuditPolicy};

pub const VERSION: &str = env!("CARGO_PKG_VERSION");

/// A loaded policy, ready to decide. Build once per Action instance and reuse:
/// parsing and validating the policy is the expensive part.
#[derive(Debug)]
pub struct Engine {
    policy: Policy,
    source: PolicySource,
    digest: String,
    policy_errors: Vec<Issue>,
    /// The layers this engine's policy was made of, bottom first (`baseline`,
    /// `tier:<name>`, `organization`).
    layers: Vec<String>,
    /// Keys of the organization's override that were refused (see `layers`).
    refused: Vec<String>,
    /// Engines for organizations' layers, by tier and override text
    /// ([`layers`]). Bounded: emptied when full (rebuilding one costs a policy parse).
    layered: Mutex<HashMap<String, Layered>>,
    /// Audit record ids, shared with the layered engines so that one sequence serves
    /// every record of this instance.
    record_ids: Arc<audit::RecordIds>,
    hosting_asns: &'static HashSet<u32>,
    deny_networks: Vec<ipnet::IpNet>,
    allow_networks: Vec<ipnet::IpNet>,
    /// Normalized once here: policy documents spell domains any way.
    signup_blocked_domains: Vec<String>,
    signup_allowed_domains: Vec<String>,
    org_blocked_domains: Vec<String>,
    m2m_networks: BTreeMap<String, Vec<ipnet::IpNet>>,
}

/// An organization's engine and the errors of its layers that were rejected.
type Layered = (Arc<Engine>, Vec<Issue>);

impl Engine {
    /// Loads the baseline policy. A missing document means the embedded
    /// default; an invalid one is rejected, its errors kept for every decision
    /// to report, and the embedded default enforced instead: never fail open.
    pub fn new(policy_json: Option<&str>) -> Engine {
        let (policy, source, policy_errors) = match policy_json.map(str::trim) {
            None | Some("") => (Policy::default(), PolicySource::Embedded, Vec::new()),
            Some(json) => match policy::parse_policy(json) {
                Ok(p) => (p, PolicySource::Secret, Vec::new()),
                Err(errors) => (Policy::default(), PolicySource::Embedded, errors),
            },
        };
        Engine::from_policy(policy, source, policy_errors, vec!["baseline".to_string()])
    }

    fn from_policy(policy: Policy, source: PolicySource, policy_errors: Vec<Issue>, layers: Vec<String>) -> Engine {
        let digest = policy::digest(&policy);
        let cidrs = |list: &[String]| list.iter().filter_map(|c| risk::network::parse_cidr(c)).collect();
        let domains = |list: &[String]| list.iter().filter_map(|d| email::normalize_domain(d).ok()).collect();
        Engine {
            deny_networks: cidrs(&policy.networks.deny),
            allow_networks: cidrs(&policy.networks.allow),
            signup_blocked_domains: domains(&policy.signup.blocked_domains),
            signup_allowed_domains: domains(&policy.signup.allowed_domains),
            org_blocked_domains: domains(&policy.organizations.blocked_domains),
            m2m_networks: policy.m2m.clients.iter().map(|(id, rule)| (id.clone(), cidrs(&rule.networks))).collect(),
            hosting_asns: risk::network::hosting_asns(),
            policy,
            source,
            digest,
            policy_errors,
            layers,
            refused: Vec::new(),
            layered: Mutex::new(HashMap::new()),
            record_ids: Arc::default(),
        }
    }

    /// Seeds this engine's audit record ids with the host's nonce (24 hex digits,
    /// [`audit::RecordIds`]): the core has no random source of its own. Set once, before
    /// the first decision; engines of organizations' layers built earlier are dropped.
    pub fn set_record_nonce(&mut self, nonce_hex: &str) -> Result<(), String> {
        let ids = audit::RecordIds::from_hex(nonce_hex).ok_or_else(|| "the record nonce must be 24 hex digits".to_string())?;
        self.record_ids = Arc::new(ids);
        if let Ok(layered) = self.layered.get_mut() {
            layered.clear();
        }
        Ok(())
    }

    pub fn policy(&self) -> &Policy {
        &self.policy
    }

    pub fn policy_source(&self) -> PolicySource {
        self.source
    }

    /// Errors of a rejected policy document; empty when it was accepted.
    pub fn policy_errors(&self) -> &[Issue] {
        &self.policy_errors
    }

    pub fn fail_mode(&self) -> FailMode {
        self.policy.fail_mode
    }

    /// The fail mode of an organization's effective policy (its tier, then its
    /// override), from its metadata as JSON text, its id and the `ORG_LAYERS_KEY`
    /// secret (which sign its layers when `organizations.unsigned_tier` is set):
    /// what applies when its event cannot be decided. Whatever the text is
    /// (absent, not JSON, not an object), the answer is a fail mode, the
    /// baseline's (or the unsigned tier's) at the least.
    pub fn fail_mode_for_json(&self, metadata_json: Option<&str>, organization_id: Option<&str>, layers_key: Option<&str>) -> FailMode {
        let meta = metadata_json.and_then(|text| serde_json::from_str::<serde_json::Map<String, serde_json::Value>>(text).ok());
        match self.layered_for(organization_id, meta.as_ref(), layers_key) {
            Some((engine, _)) => engine.fail_mode(),
            None => self.fail_mode(),
        }
    }

    /// A rejected policy, as a warning on every answer until it is fixed.
    fn policy_warnings(&self) -> impl Iterator<Item = Issue> + '_ {
        self.policy_errors.iter().map(|e| Issue {
            code: "policy_rejected",
            path: e.path.clone(),
            message: format!("policy rejected, embedded default enforced: {}", e.message),
        })
    }

    /// The audit record of a decision on this engine's policy, started with
    /// what every trigger shares.
    fn audit(&self, trigger: &'static str, tenant: Option<&str>, now_ms: Option<f64>) -> AuditBuilder {
        let policy = AuditPolicy {
            source: self.source,
            version: self.policy.version,
            digest: self.digest.clone(),
            layers: self.layers.clone(),
            refused: self.refused.clone(),
        };
        AuditBuilder::new(self.record_ids.next_id(), trigger, tenant, now_ms, policy)
    }
}
