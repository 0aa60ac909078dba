//! The tenant policy document. We own this format, so it is strict: an unknown
//! key is an error naming the key, and every value is range-checked with a
//! message naming the key, the value and the reason.
//!
//! A rejected baseline falls back to the embedded default rather than failing
//! open; layering (baseline -> tier -> organization) is in `layers`, and which
//! way each key tightens, for organization overrides, in `direction`.

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::answer::{parse_json, Issue};

pub mod direction;

pub const POLICY_VERSION: u32 = 1;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Policy {
    pub version: u32,
    #[serde(default)]
    pub thresholds: Thresholds,
    #[serde(default)]
    pub ambiguous: AmbiguousBand,
    #[serde(default)]
    pub mfa: MfaPolicy,
    #[serde(default)]
    pub fail_mode: FailMode,
    #[serde(default)]
    pub claims: Claims,
    #[serde(default)]
    pub networks: Networks,
    #[serde(default)]
    pub countries: Countries,
    #[serde(default)]
    pub signup: Signup,
    #[serde(default)]
    pub m2m: M2m,
    #[serde(default)]
    pub organizations: Organizations,
    #[serde(default)]
    pub llm: Llm,
    /// Per decision kind, whether decisions are applied or only watched (`enforcement`).
    #[serde(default)]
    pub enforcement: Enforcement,
    /// The control plane's threat feed: how much its listings weigh, and how it is kept.
    #[serde(default)]
    pub threat_feed: ThreatFeed,
    /// The control plane's governance jobs (access reviews, organization
    /// classification, bulk membership): tenant-wide, read from the baseline only.
    #[serde(default)]
    pub governance: Governance,
    /// Named partial documents an organization can be put on (`ag_tier`), each
    /// merged onto this one (see `layers`).
    #[serde(default, skip_serializing_if = "std::collections::BTreeMap::is_empty")]
    pub tiers: std::collections::BTreeMap<String, serde_json::Value>,
}

/// Tenant network lists, as CIDRs or single addresses. `deny` is a floor no
/// score can lower; `allow` marks trusted networks (offices, VPN egress of the
/// customer), where network and location novelty are not held against a login.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Networks {
    pub deny: Vec<String>,
    pub allow: Vec<String>,
}

/// ISO 3166-1 alpha-2 country codes logins are refused from.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Countries {
    pub deny: Vec<String>,
}

/// Sign-up rules (pre-user-registration). Domains are compared after IDNA
/// normalization, and a listed domain covers its subdomains.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Signup {
    /// Refuse addresses at disposable (throwaway) mail services.
    pub block_disposable: bool,
    /// Refuse addresses at free webmail services (work email only).
    pub block_free_mail: bool,
    pub blocked_domains: Vec<String>,
    /// When not empty, only these domains may sign up.
    pub allowed_domains: Vec<String>,
    pub velocity: Velocity,
    /// Soft evidence (hosting network, automation client, headless browser)
    /// combined at or above this refuses the sign-up; no single such signal does.
    pub deny_score: f64,
}

impl Default for Signup {
    fn default() -> Self {
        Signup {
            block_disposable: true,
            block_free_mail: false,
            blocked_domains: Vec::new(),
            allowed_domains: Vec::new(),
            velocity: Velocity::default(),
            deny_score: 0.7,
        }
    }
}

/// Sign-up attempts allowed per sliding window, per source; 0 turns a limit
/// off. Addresses in `networks.allow` (a backend that proxies sign-ups) are
/// not counted.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Velocity {
    pub window_minutes: u32,
    /// Per IPv4 address or IPv6 /64.
    pub per_ip: u32,
    /// Per IPv4 /24 or IPv6 /48.
    pub per_network: u32,
    /// Per email domain (not counted for free-mail domains, shared by millions).
    pub per_domain: u32,
}

impl Default for Velocity {
    fn default() -> Self {
        Velocity { window_minutes: 10, per_ip: 5, per_network: 20, per_domain: 0 }
    }
}

/// Organization discovery: which organization an email domain maps to and
/// what may happen automatically. An organization's own metadata
/// (`ag_auto_join`, `ag_roles`, `ag_role_map`) overrides `auto_join` and roles.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Organizations {
    /// Join a verified address to the one organization that verified its domain.
    pub auto_join: bool,
    /// Invite an unverified address instead (the invitation proves it).
    pub invite_unverified: bool,
    /// Propose a new organization, for a person to approve, for a work domain no one claims.
    pub self_serve: bool,
    /// Connections (by name) the tenant vouches for in every organization: every
    /// address they assert counts as verified (`orgmap::Engine::address_trust`).
    /// Any other enterprise or social connection counts only for an organization
    /// that enabled it.
    pub trusted_connections: Vec<String>,
    /// Domains never mapped to an organization.
    pub blocked_domains: Vec<String>,
    /// Treat domains listed in organization metadata (`ag_domains`) like verified ones.
    /// Off by default: nobody proved the organization owns them.
    pub trust_metadata_domains: bool,
    /// The `app_metadata` attribute an organization's `ag_role_map` is keyed by.
    pub role_attribute: String,
    /// Roles given on join when the organization names none.
    pub default_roles: Vec<String>,
    /// When not empty, the only roles an organization's metadata (`ag_roles`,
    /// `ag_role_map`) may give: its admin writes that metadata.
    pub assignable_roles: Vec<String>,
    /// Keys (`mfa.mode`) or sections (`signup`) an organization's own override
    /// may loosen; every other key it may only tighten (see `policy::direction`).
    pub overridable: Vec<String>,
    /// The most organizations an Action instance pages through the Management API
    /// to build its index (a request per organization): above it the build is
    /// refused (`snapshot_required`) and a snapshot (`scripts/sync-orgs`) is needed.
    pub live_index_max: u32,
    /// An index older than this (its refreshes failed) only suggests: a domain
    /// removed from an organization stops joining within this time.
    pub index_max_age_seconds: u32,
    /// Signed organization layers, off while empty: when it names a tier, an
    /// organization's `ag_tier` and `ag_policy` apply only when its `ag_sig`
    /// signs them under the `ORG_LAYERS_KEY` secret; an organization without a
    /// valid one gets this tier and nothing of its own metadata (`layers`).
    pub unsigned_tier: String,
}

impl Default for Organizations {
    fn default() -> Self {
        Organizations {
            auto_join: true,
            invite_unverified: true,
            self_serve: false,
            trusted_connections: Vec::new(),
            blocked_domains: Vec::new(),
            trust_metadata_domains: false,
            role_attribute: "department".to_string(),
            default_roles: Vec::new(),
            assignable_roles: Vec::new(),
            overridable: Vec::new(),
            live_index_max: 1000,
            index_max_age_seconds: 3600,
            unsigned_tier: String::new(),
        }
    }
}

/// Escalation of ambiguous decisions to an external LLM. Off unless a tenant
/// turns it on (and the Action has `LLM_BASE_URL`); while off, or when the call
/// fails, the ambiguous band's `fallback` applies. The LLM never goes below the
/// policy's floors.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Llm {
    pub enabled: bool,
    /// The whole call, answer read included, well inside Auth0's 20 s flow.
    pub timeout_ms: u32,
    /// Calls per minute per tenant (per Action trigger); more take the fallback.
    pub max_per_minute: u32,
    pub breaker: Breaker,
    /// Answers less sure than this are ignored and the fallback applies.
    pub min_confidence: f64,
    /// Offer `deny` among the band's options (only ever stricter than allowing).
    pub may_deny: bool,
    /// Also escalate organization suggestions (choose among the candidates found).
    pub organizations: bool,
    /// Send the email domain and candidate organization names with an
    /// organization escalation; without it only claim kinds are sent.
    pub share_domain: bool,
}

impl Default for Llm {
    fn default() -> Self {
        Llm {
            enabled: false,
            timeout_ms: 1500,
            max_per_minute: 30,
            breaker: Breaker::default(),
            min_confidence: 0.7,
            may_deny: false,
            organizations: false,
            share_domain: false,
        }
    }
}

/// After `failures` failed calls in a row, no call for `cooldown_seconds`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Breaker {
    pub failures: u32,
    pub cooldown_seconds: u32,
}

impl Default for Breaker {
    fn default() -> Self {
        Breaker { failures: 3, cooldown_seconds: 60 }
    }
}

/// Safe rollout: per decision kind, whether its decisions are applied (`enforce`) or only
/// watched (`monitor`: decided and audited as `would_outcome`, nothing applied), and the
/// share of subjects enforced. Who is enforced, and why a user never flips, is in
/// `enforcement`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Enforcement {
    /// Post-login.
    pub login: Rollout,
    /// Pre-user-registration.
    pub signup: Rollout,
    /// Credentials-exchange (machine-to-machine tokens).
    pub m2m: Rollout,
    /// Organization discovery (post-user-registration, and post-login for existing users).
    pub organizations: Rollout,
}

/// One decision kind's rollout: `mode`, and under `enforce` the percentage of subjects
/// (users, addresses, clients) enforced; the rest are watched.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Rollout {
    pub mode: EnforcementMode,
    /// 0 to 100; raising it only adds subjects (`enforcement::bucket`).
    pub percent: u32,
}

impl Default for Rollout {
    fn default() -> Self {
        Rollout { mode: EnforcementMode::Enforce, percent: 100 }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EnforcementMode {
    #[default]
    Enforce,
    Monitor,
}

/// Machine-to-machine tokens (credentials-exchange).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct M2m {
    /// Refuse tokens to clients not listed in `clients`.
    pub require_listed: bool,
    /// Rules per Auth0 client id.
    pub clients: std::collections::BTreeMap<String, ClientRule>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ClientRule {
    /// Addresses the client may ask from (CIDRs); empty: anywhere.
    pub networks: Vec<String>,
    /// The most a token may carry; a token with any other scope is refused.
    pub scopes: Option<Vec<String>>,
    /// APIs (audiences) the client may get tokens for.
    pub audiences: Option<Vec<String>>,
}

impl Default for Policy {
    fn default() -> Self {
        Policy {
            version: POLICY_VERSION,
            thresholds: Thresholds::default(),
            ambiguous: AmbiguousBand::default(),
            mfa: MfaPolicy::default(),
            fail_mode: FailMode::default(),
            claims: Claims::default(),
            networks: Networks::default(),
            countries: Countries::default(),
            signup: Signup::default(),
            m2m: M2m::default(),
            organizations: Organizations::default(),
            llm: Llm::default(),
            enforcement: Enforcement::default(),
            threat_feed: ThreatFeed::default(),
            governance: Governance::default(),
            tiers: std::collections::BTreeMap::new(),
        }
    }
}

/// The governance jobs (`governance`), each read-only first, then proposing
/// approval requests a person decides, then executing approved ones behind caps
/// and a circuit breaker. Nothing here is read by a login.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Governance {
    /// `actionguard review members`.
    pub review: Review,
    /// `actionguard orgs classify`.
    pub classify: Classify,
    /// `actionguard members import`.
    pub members_import: MembersImport,
}

/// The access review's thresholds.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Review {
    /// A member with no successful login in this many days is stale.
    pub stale_days: u32,
    /// A discovery domain still pending this many days after it was first seen is flagged.
    pub pending_domain_days: u32,
    /// The tier proposed for an organization whose members are largely outside its
    /// domains or in unrelated organizations; empty: none proposed.
    pub stricter_tier: String,
    /// The share of such members (0 to 1) from which `stricter_tier` is proposed.
    pub stricter_share: f64,
}

impl Default for Review {
    fn default() -> Self {
        Review { stale_days: 90, pending_domain_days: 14, stricter_tier: String::new(), stricter_share: 0.5 }
    }
}

/// Organization classification.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Classify {
    /// The tenant's own email domains: an organization whose domains are all among
    /// them is `internal`.
    pub internal_domains: Vec<String>,
    /// The tier (a name in `tiers`) each label proposes, e.g. `enterprise` ->
    /// `regulated`; a label without one proposes nothing.
    pub tiers: std::collections::BTreeMap<String, String>,
    /// Ask the LLM (the `llm` section's endpoint, budgets and breaker) when the
    /// rules leave the label ambiguous.
    pub llm: bool,
    /// Send the organization's name with an escalation; without it only derived
    /// facts (counts, booleans, codes) leave.
    pub share_name: bool,
    /// The least score (the sum of the label's rule weights) a label needs to be
    /// decided by the rules; below it the organization is ambiguous.
    pub min_score: f64,
    /// The least lead the top label needs over the second; closer, the
    /// organization is ambiguous between them.
    pub margin: f64,
}

impl Default for Classify {
    fn default() -> Self {
        Classify {
            internal_domains: Vec::new(),
            tiers: std::collections::BTreeMap::new(),
            llm: false,
            share_name: false,
            min_score: 2.0,
            margin: 1.5,
        }
    }
}

/// Bulk membership from a customer's employee list.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct MembersImport {
    /// The most invitations or additions one run makes; the rest wait for the next run.
    pub max_per_run: u32,
    /// Failed writes in a row after which a run stops (the circuit breaker).
    pub breaker_failures: u32,
    /// Ask the LLM to map department names the role map does not (department names
    /// only, the role names as the only answers).
    pub llm: bool,
    /// The most distinct department names one import asks the LLM about (one call
    /// each, within the `llm` section's budgets); the rest stay unmapped.
    pub llm_max_departments: u32,
}

impl Default for MembersImport {
    fn default() -> Self {
        MembersImport { max_per_run: 500, breaker_failures: 5, llm: false, llm_max_departments: 20 }
    }
}

/// The threat feed (`threat`): networks and accounts the control plane saw under
/// attack, signed, fetched by the Actions when they have `THREAT_FEED_URL` (without
/// it nothing here applies). Post-login cites both signals, sign-up screening the
/// network one (weights only, as every sign-up signal). A feed that cannot be had
/// or trusted is decided without, with a warning: never a reason to fail.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ThreatFeed {
    pub enabled: bool,
    /// Each signal's weight; defaults from the catalogue (`signals`).
    pub weights: ThreatWeights,
    /// The least a login the feed lists gets: `none`, `challenge` or `deny`.
    pub floors: ThreatFloors,
    /// An instance fetches the feed again once its copy is this old.
    pub max_age_seconds: u32,
    /// The most a login or sign-up waits for the feed (a cold instance's first fetch,
    /// or a refresh of a copy past its age); past it, it decides with what it holds.
    pub budget_ms: u32,
}

impl Default for ThreatFeed {
    fn default() -> Self {
        ThreatFeed {
            enabled: true,
            weights: ThreatWeights::default(),
            floors: ThreatFloors::default(),
            max_age_seconds: 300,
            budget_ms: 500,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ThreatWeights {
    pub network_under_attack: f64,
    pub account_under_attack: f64,
}

impl Default for ThreatWeights {
    fn default() -> Self {
        ThreatWeights {
            network_under_attack: crate::signals::NETWORK_UNDER_ATTACK.weight,
            account_under_attack: crate::signals::ACCOUNT_UNDER_ATTACK.weight,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ThreatFloors {
    pub network_under_attack: FloorSetting,
    pub account_under_attack: FloorSetting,
}

impl Default for ThreatFloors {
    fn default() -> Self {
        ThreatFloors {
            network_under_attack: FloorSetting::of(crate::signals::NETWORK_UNDER_ATTACK.floor),
            account_under_attack: FloorSetting::of(crate::signals::ACCOUNT_UNDER_ATTACK.floor),
        }
    }
}

/// A signal's floor as a policy sets it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FloorSetting {
    None,
    Challenge,
    Deny,
}

impl FloorSetting {
    pub fn of(floor: Option<crate::signals::Floor>) -> FloorSetting {
        match floor {
            None => FloorSetting::None,
            Some(crate::signals::Floor::Challenge) => FloorSetting::Challenge,
            Some(crate::signals::Floor::Deny) => FloorSetting::Deny,
        }
    }

    pub fn floor(self) -> Option<crate::signals::Floor> {
        match self {
            FloorSetting::None => None,
            FloorSetting::Challenge => Some(crate::signals::Floor::Challenge),
            FloorSetting::Deny => Some(crate::signals::Floor::Deny),
        }
    }
}

/// Scores at or above `challenge` ask for MFA; at or above `deny` are refused.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Thresholds {
    pub challenge: f64,
    pub deny: f64,
}

impl Default for Thresholds {
    fn default() -> Self {
        Thresholds { challenge: 0.5, deny: 0.9 }
    }
}

/// Scores in `[from, to)` are too close to call from rules alone: they take
/// `fallback` unless an escalation (LLM, later) settles them within the floor.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct AmbiguousBand {
    pub from: f64,
    pub to: f64,
    pub fallback: BandFallback,
}

impl Default for AmbiguousBand {
    fn default() -> Self {
        AmbiguousBand { from: 0.4, to: 0.5, fallback: BandFallback::Challenge }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum BandFallback {
    Allow,
    Challenge,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct MfaPolicy {
    pub mode: MfaMode,
    /// Factors we may challenge with, in order of preference.
    pub factors: Vec<Factor>,
    /// What to do when a challenge is due but the user has no usable factor.
    pub unenrolled: Unenrolled,
    /// What to do when a challenge is due in a flow that cannot take one (a
    /// refresh-token exchange: Auth0 fails the exchange on a challenge).
    pub non_interactive: NonInteractive,
}

/// A risky non-interactive execution: deny it (the application must log the
/// user in again, interactively, where MFA can be asked) or let it through.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum NonInteractive {
    #[default]
    Deny,
    Allow,
}

impl Default for MfaPolicy {
    fn default() -> Self {
        MfaPolicy {
            mode: MfaMode::RiskBased,
            factors: vec![Factor::WebauthnPlatform, Factor::WebauthnRoaming, Factor::PushNotification, Factor::Otp],
            unenrolled: Unenrolled::Enroll,
            non_interactive: NonInteractive::Deny,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MfaMode {
    Always,
    RiskBased,
    Never,
}

/// Auth0's factor names, as `challengeWithAny` and `enrolledFactors` spell them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Factor {
    Otp,
    WebauthnPlatform,
    WebauthnRoaming,
    PushNotification,
    Phone,
    Email,
    RecoveryCode,
}

impl Factor {
    pub fn as_str(self) -> &'static str {
        match self {
            Factor::Otp => "otp",
            Factor::WebauthnPlatform => "webauthn-platform",
            Factor::WebauthnRoaming => "webauthn-roaming",
            Factor::PushNotification => "push-notification",
            Factor::Phone => "phone",
            Factor::Email => "email",
            Factor::RecoveryCode => "recovery-code",
        }
    }

    pub fn from_auth0(name: &str) -> Option<Factor> {
        [
            Factor::Otp,
            Factor::WebauthnPlatform,
            Factor::WebauthnRoaming,
            Factor::PushNotification,
            Factor::Phone,
            Factor::Email,
            Factor::RecoveryCode,
        ]
        .into_iter()
        .find(|f| f.as_str() == name)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Unenrolled {
    Enroll,
    Deny,
}

/// The decision applied when ActionGuard itself cannot decide (bad input,
/// internal error, the WebAssembly failing to load).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FailMode {
    #[default]
    Challenge,
    Allow,
    Deny,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Claims {
    /// Prefix of every custom claim; Auth0 reserves its own domains.
    pub namespace: String,
    /// Whether to put `<namespace>risk_level` into the ID token.
    pub risk_level: bool,
}

impl Default for Claims {
    fn default() -> Self {
        Claims { namespace: "https://actionguard.dev/".to_string(), risk_level: true }
    }
}

/// Where the policy an engine runs on came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum PolicySource {
    Embedded,
    Secret,
}

/// Parses and validates a policy document, reporting every problem found.
pub fn parse_policy(json: &str) -> Result<Policy, Vec<Issue>> {
    parse_checked(json, true)
}

/// A layered policy (a baseline with tiers and overrides merged on, which no
/// longer carries `tiers`): validated as a document, except what only a baseline
/// can say (that `organizations.unsigned_tier` names one of its tiers).
pub fn parse_layered_policy(json: &str) -> Result<Policy, Vec<Issue>> {
    parse_checked(json, false)
}

fn parse_checked(json: &str, baseline: bool) -> Result<Policy, Vec<Issue>> {
    let policy: Policy = parse_json(json, "invalid_policy").map_err(|e| vec![e])?;
    let mut errors = validate(&policy);
    let unsigned = &policy.organizations.unsigned_tier;
    if baseline && !unsigned.is_empty() && !policy.tiers.contains_key(unsigned) {
        errors.push(Issue::new(
            "invalid_policy",
            Some("organizations.unsigned_tier".to_string()),
            format!(
                "`organizations.unsigned_tier`: `{}` must name a tier defined in `tiers` (the tier of an organization whose layers are not signed)",
                truncate_for_message(unsigned)
            ),
        ));
    }
    if baseline {
        errors.extend(governance_tier_references(&policy));
    }
    if errors.is_empty() {
        Ok(policy)
    } else {
        Err(errors)
    }
}

/// The tiers the governance jobs name must be the baseline's (a tier or an
/// organization's override no longer carries `tiers`, so only a baseline is checked).
fn governance_tier_references(p: &Policy) -> Vec<Issue> {
    let g = &p.governance;
    let named = std::iter::once(("governance.review.stricter_tier".to_string(), &g.review.stricter_tier))
        .filter(|(_, t)| !t.is_empty())
        .chain(g.classify.tiers.iter().map(|(label, tier)| (format!("governance.classify.tiers.{}", truncate_for_message(label)), tier)));
    named
        .filter(|(_, tier)| !p.tiers.contains_key(*tier))
        .map(|(path, tier)| {
            Issue::new(
                "invalid_policy",
                Some(path.clone()),
                format!("`{path}`: `{}` is not a tier defined in `tiers`", truncate_for_message(tier)),
            )
        })
        .collect()
}

/// A short, stable fingerprint of the effective policy, for audit records.
pub fn digest(policy: &Policy) -> String {
    let canonical = serde_json::to_string(policy).unwrap_or_default();
    let hash = Sha256::digest(canonical.as_bytes());
    let mut out = String::from("sha256:");
    crate::hex::push_hex(&mut out, hash.get(..8).unwrap_or_default());
    out
}

fn validate(p: &Policy) -> Vec<Issue> {
    let mut errors = Vec::new();
    let mut fail = |path: &str, message: String| {
        errors.push(Issue::new("invalid_policy", Some(path.to_string()), format!("`{path}`: {message}")));
    };

    if p.version != POLICY_VERSION {
        fail("version", format!("unsupported version `{}`, expected `{POLICY_VERSION}`", p.version));
    }
    for (path, value) in [
        ("thresholds.challenge", p.thresholds.challenge),
        ("thresholds.deny", p.thresholds.deny),
        ("ambiguous.from", p.ambiguous.from),
        ("ambiguous.to", p.ambiguous.to),
    ] {
        if !(0.0..=1.0).contains(&value) {
            fail(path, format!("`{value}` must be between 0 and 1"));
        }
    }
    if p.thresholds.deny < p.thresholds.challenge {
        fail("thresholds.deny", format!("`{}` must not be below `thresholds.challenge` (`{}`)", p.thresholds.deny, p.thresholds.challenge));
    }
    if p.ambiguous.to < p.ambiguous.from {
        fail("ambiguous.to", format!("`{}` must not be below `ambiguous.from` (`{}`)", p.ambiguous.to, p.ambiguous.from));
    }
    if p.ambiguous.to > p.thresholds.deny {
        fail(
            "ambiguous.to",
            format!("`{}` must not be above `thresholds.deny` (`{}`): a deny is never ambiguous", p.ambiguous.to, p.thresholds.deny),
        );
    }
    for (path, value, range) in [
        ("llm.timeout_ms", p.llm.timeout_ms, 100..=5000),
        ("llm.max_per_minute", p.llm.max_per_minute, 1..=10_000),
        ("llm.breaker.failures", p.llm.breaker.failures, 1..=100),
        ("llm.breaker.cooldown_seconds", p.llm.breaker.cooldown_seconds, 1..=3600),
    ] {
        if !range.contains(&value) {
            fail(path, format!("`{value}` must be between {} and {}", range.start(), range.end()));
        }
    }
    if !(0.0..=1.0).contains(&p.llm.min_confidence) {
        fail("llm.min_confidence", format!("`{}` must be between 0 and 1", p.llm.min_confidence));
    }
    if p.mfa.factors.is_empty() && p.mfa.mode != MfaMode::Never {
        fail("mfa.factors", "must name at least one factor unless `mfa.mode` is `never`".to_string());
    }
    for (i, factor) in p.mfa.factors.iter().enumerate() {
        if p.mfa.factors.iter().take(i).any(|f| f == factor) {
            fail(&format!("mfa.factors.{i}"), format!("`{}` is listed twice", factor.as_str()));
        }
    }
    let ns = &p.claims.namespace;
    if !(ns.starts_with("https://") || ns.starts_with("http://")) || !ns.ends_with('/') || ns.len() > 200 {
        fail("claims.namespace", format!("`{}` must be an http(s) URL ending in `/`", truncate_for_message(ns)));
    } else if ["auth0.com", "webtask.io", "webtask.run"]
        .iter()
        .any(|reserved| host_of(ns).is_some_and(|h| h == *reserved || h.ends_with(&format!(".{reserved}"))))
    {
        fail("claims.namespace", format!("`{ns}` uses a domain Auth0 reserves for its own claims"));
    }
    for (list, name) in [(&p.networks.deny, "networks.deny"), (&p.networks.allow, "networks.allow")] {
        for (i, cidr) in list.iter().enumerate() {
            if crate::risk::network::parse_cidr(cidr).is_none() {
                fail(&format!("{name}.{i}"), format!("`{}` is not an IP address or CIDR range", truncate_for_message(cidr)));
            }
        }
    }
    for (i, cc) in p.countries.deny.iter().enumerate() {
        if cc.len() != 2 || !cc.bytes().all(|b| b.is_ascii_uppercase()) {
            fail(&format!("countries.deny.{i}"), format!("`{}` is not an upper-case two-letter country code", truncate_for_message(cc)));
        }
    }
    validate_signup(&p.signup, &mut fail);
    validate_m2m(&p.m2m, &mut fail);
    validate_organizations(&p.organizations, &mut fail);
    validate_threat_feed(&p.threat_feed, &mut fail);
    validate_governance(p, &mut fail);
    for (kind, rollout) in p.enforcement.kinds() {
        if rollout.percent > 100 {
            fail(&format!("enforcement.{kind}.percent"), format!("`{}` must be between 0 and 100", rollout.percent));
        }
    }
    for (name, overlay) in &p.tiers {
        let at = format!("tiers.{}", truncate_for_message(name));
        if name.is_empty() || name.len() > 64 || !name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-') {
            fail(&at, "a tier name is 1 to 64 letters, digits, `_` or `-`".to_string());
            continue;
        }
        match overlay.as_object() {
            None => fail(&at, "a tier is a partial policy document (an object)".to_string()),
            Some(o) if o.contains_key("tiers") || o.contains_key("version") => {
                fail(&at, "a tier cannot set `tiers` or `version`".to_string())
            }
            Some(_) => {
                // A tier must give a valid policy on top of this one; its errors name it.
                let mut base = p.clone();
                base.tiers.clear();
                if let Err(errors) = crate::layers::apply(&base, overlay, &at) {
                    for e in errors {
                        fail(&at, e.message.trim_start_matches(&format!("{at}: ")).to_string());
                    }
                }
            }
        }
    }
    errors
}

fn validate_signup(s: &Signup, fail: &mut impl FnMut(&str, String)) {
    for (list, name) in [(&s.blocked_domains, "signup.blocked_domains"), (&s.allowed_domains, "signup.allowed_domains")] {
        for (i, domain) in list.iter().enumerate() {
            if let Err(why) = crate::email::normalize_domain(domain) {
                fail(&format!("{name}.{i}"), format!("`{}` is not a domain: {}", truncate_for_message(domain), why.message()));
            }
        }
    }
    let v = &s.velocity;
    if !(1..=1440).contains(&v.window_minutes) {
        fail("signup.velocity.window_minutes", format!("`{}` must be between 1 and 1440 (a day)", v.window_minutes));
    }
    for (path, limit) in
        [("signup.velocity.per_ip", v.per_ip), ("signup.velocity.per_network", v.per_network), ("signup.velocity.per_domain", v.per_domain)]
    {
        if limit > 100_000 {
            fail(path, format!("`{limit}` must be at most 100000 (0 turns the limit off)"));
        }
    }
    if !(0.0..=1.0).contains(&s.deny_score) {
        fail("signup.deny_score", format!("`{}` must be between 0 and 1", s.deny_score));
    }
}

fn validate_organizations(o: &Organizations, fail: &mut impl FnMut(&str, String)) {
    for (i, domain) in o.blocked_domains.iter().enumerate() {
        if let Err(why) = crate::email::normalize_domain(domain) {
            fail(
                &format!("organizations.blocked_domains.{i}"),
                format!("`{}` is not a domain: {}", truncate_for_message(domain), why.message()),
            );
        }
    }
    let attr = &o.role_attribute;
    if attr.is_empty() || attr.len() > 64 || !attr.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_') {
        fail("organizations.role_attribute", format!("`{}` must be 1 to 64 letters, digits or `_`", truncate_for_message(attr)));
    }
    for (i, role) in o.assignable_roles.iter().enumerate() {
        if role.is_empty() || role.len() > 64 || !role.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-') {
            fail(&format!("organizations.assignable_roles.{i}"), format!("`{}` is not a role id", truncate_for_message(role)));
        }
    }
    for (i, role) in o.default_roles.iter().enumerate() {
        if role.is_empty() || role.len() > 64 || !role.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-') {
            fail(&format!("organizations.default_roles.{i}"), format!("`{}` is not a role id", truncate_for_message(role)));
        }
    }
    for (i, key) in o.overridable.iter().enumerate() {
        if !direction::is_known(key) {
            fail(
                &format!("organizations.overridable.{i}"),
                format!("`{}` is not a key or section of the policy", truncate_for_message(key)),
            );
        }
    }
    // Past 10,000 organizations a live build is over 10,000 requests against the
    // tenant's shared rate limit, from every instance: that is the snapshot's job.
    if o.live_index_max > LIVE_INDEX_MAX_CEILING {
        fail(
            "organizations.live_index_max",
            format!("`{}` must be at most {LIVE_INDEX_MAX_CEILING} (above that, publish a snapshot: scripts/sync-orgs)", o.live_index_max),
        );
    }
    // At least the index's refresh interval (5 minutes), at most a day.
    if !(300..=86_400).contains(&o.index_max_age_seconds) {
        fail("organizations.index_max_age_seconds", format!("`{}` must be between 300 and 86400 (a day)", o.index_max_age_seconds));
    }
}

fn validate_threat_feed(t: &ThreatFeed, fail: &mut impl FnMut(&str, String)) {
    for (path, weight) in [
        ("threat_feed.weights.network_under_attack", t.weights.network_under_attack),
        ("threat_feed.weights.account_under_attack", t.weights.account_under_attack),
    ] {
        if !(0.0..=1.0).contains(&weight) {
            fail(path, format!("`{weight}` must be between 0 and 1"));
        }
    }
    // At least the control plane's own refresh (a minute), at most a day.
    if !(60..=86_400).contains(&t.max_age_seconds) {
        fail("threat_feed.max_age_seconds", format!("`{}` must be between 60 and 86400 (a day)", t.max_age_seconds));
    }
    // A login waits for it: well inside Auth0's 20 s, and long enough for one request.
    if !(50..=5000).contains(&t.budget_ms) {
        fail("threat_feed.budget_ms", format!("`{}` must be between 50 and 5000", t.budget_ms));
    }
}

fn validate_governance(p: &Policy, fail: &mut impl FnMut(&str, String)) {
    let g = &p.governance;
    for (path, value, range) in [
        ("governance.review.stale_days", g.review.stale_days, 1..=3650),
        ("governance.review.pending_domain_days", g.review.pending_domain_days, 1..=365),
        ("governance.members_import.max_per_run", g.members_import.max_per_run, 1..=100_000),
        ("governance.members_import.breaker_failures", g.members_import.breaker_failures, 1..=100),
        ("governance.members_import.llm_max_departments", g.members_import.llm_max_departments, 1..=200),
    ] {
        if !range.contains(&value) {
            fail(path, format!("`{value}` must be between {} and {}", range.start(), range.end()));
        }
    }
    if !(g.review.stricter_share > 0.0 && g.review.stricter_share <= 1.0) {
        fail("governance.review.stricter_share", format!("`{}` must be above 0 and at most 1", g.review.stricter_share));
    }
    for (i, domain) in g.classify.internal_domains.iter().enumerate() {
        if crate::email::normalize_domain(domain).ok().as_deref() != Some(domain.as_str()) {
            fail(
                &format!("governance.classify.internal_domains.{i}"),
                format!("`{}` is not a lower-case domain name", truncate_for_message(domain)),
            );
        }
    }
    for (path, value) in [("governance.classify.min_score", g.classify.min_score), ("governance.classify.margin", g.classify.margin)] {
        if !value.is_finite() || !(0.0..=100.0).contains(&value) {
            fail(path, format!("`{value}` must be between 0 and 100"));
        }
    }
    // That each tier is defined is the baseline's check (`governance_tier_references`).
    for label in g.classify.tiers.keys() {
        if !crate::governance::LABELS.contains(&label.as_str()) {
            fail(
                &format!("governance.classify.tiers.{}", truncate_for_message(label)),
                format!("`{}` is not a label (one of {})", truncate_for_message(label), crate::governance::LABELS.join(", ")),
            );
        }
    }
}

/// The highest `organizations.live_index_max` a policy may set.
pub const LIVE_INDEX_MAX_CEILING: u32 = 10_000;

fn validate_m2m(m: &M2m, fail: &mut impl FnMut(&str, String)) {
    for (id, rule) in &m.clients {
        let at = format!("m2m.clients.{}", truncate_for_message(id));
        if id.is_empty() || id.len() > 128 || id.chars().any(|c| c.is_whitespace() || c.is_control()) {
            fail(&at, "a client id must be 1 to 128 characters without spaces".to_string());
        }
        for (i, cidr) in rule.networks.iter().enumerate() {
            if crate::risk::network::parse_cidr(cidr).is_none() {
                fail(&format!("{at}.networks.{i}"), format!("`{}` is not an IP address or CIDR range", truncate_for_message(cidr)));
            }
        }
        for (list, name) in [(&rule.scopes, "scopes"), (&rule.audiences, "audiences")] {
            for (i, item) in list.iter().flatten().enumerate() {
                if item.is_empty() || item.len() > 280 || item.chars().any(char::is_whitespace) {
                    fail(&format!("{at}.{name}.{i}"), format!("`{}` must be non-empty, without spaces", truncate_for_message(item)));
                }
            }
        }
    }
}

fn host_of(url: &str) -> Option<&str> {
    let rest = url.split_once("://")?.1;
    rest.split(['/', ':']).next()
}

pub(crate) fn truncate_for_message(s: &str) -> String {
    if s.chars().count() <= 60 {
        s.to_string()
    } else {
        s.chars().take(60).collect::<String>() + "…"
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn messages(json: &str) -> Vec<String> {
        parse_policy(json).unwrap_err().into_iter().map(|e| e.message).collect()
    }

    #[test]
    fn llm_budgets_are_bounded() {
        assert_eq!(
            messages(r#"{"version":1,"llm":{"enabled":true,"timeout_ms":30000,"breaker":{"failures":0},"min_confidence":2,"model":"x"}}"#),
            ["`llm.model`: unknown field `model`, expected one of `enabled`, `timeout_ms`, `max_per_minute`, `breaker`, `min_confidence`, `may_deny`, `organizations`, `share_domain`"]
        );
        assert_eq!(
            messages(r#"{"version":1,"llm":{"enabled":true,"timeout_ms":30000,"breaker":{"failures":0},"min_confidence":2}}"#),
            [
                "`llm.timeout_ms`: `30000` must be between 100 and 5000",
                "`llm.breaker.failures`: `0` must be between 1 and 100",
                "`llm.min_confidence`: `2` must be between 0 and 1",
            ]
        );
    }

    #[test]
    fn the_organization_index_limits_are_bounded() {
        assert_eq!(Policy::default().organizations.live_index_max, 1000);
        assert_eq!(
            messages(r#"{"version":1,"organizations":{"live_index_max":10001,"index_max_age_seconds":60}}"#),
            [
                "`organizations.live_index_max`: `10001` must be at most 10000 (above that, publish a snapshot: scripts/sync-orgs)",
                "`organizations.index_max_age_seconds`: `60` must be between 300 and 86400 (a day)",
            ]
        );
        // 0: never page live, a snapshot only.
        assert!(parse_policy(r#"{"version":1,"organizations":{"live_index_max":0,"index_max_age_seconds":86400}}"#).is_ok());
    }

    #[test]
    fn default_policy_is_valid_and_minimal_document_equals_it() {
        assert!(validate(&Policy::default()).is_empty());
        assert_eq!(parse_policy(r#"{"version":1}"#).unwrap(), Policy::default());
    }

    #[test]
    fn unknown_keys_are_named() {
        assert_eq!(
            messages(r#"{"version":1,"thresholds":{"challenge":0.5,"deny":0.9,"dney":1}}"#),
            vec!["`thresholds.dney`: unknown field `dney`, expected `challenge` or `deny`"]
        );
    }

    #[test]
    fn unknown_enum_values_are_named() {
        assert_eq!(
            messages(r#"{"version":1,"mfa":{"mode":"sometimes"}}"#),
            vec!["`mfa.mode`: unknown variant `sometimes`, expected one of `always`, `risk_based`, `never`"]
        );
    }

    #[test]
    fn ranges_and_orderings_are_checked_with_key_value_and_reason() {
        assert_eq!(
            messages(r#"{"version":2,"thresholds":{"challenge":0.8,"deny":0.6},"ambiguous":{"from":0.5,"to":1.5}}"#),
            vec![
                "`version`: unsupported version `2`, expected `1`",
                "`ambiguous.to`: `1.5` must be between 0 and 1",
                "`thresholds.deny`: `0.6` must not be below `thresholds.challenge` (`0.8`)",
                "`ambiguous.to`: `1.5` must not be above `thresholds.deny` (`0.6`): a deny is never ambiguous",
            ]
        );
    }

    #[test]
    fn factors_and_namespace_are_checked() {
        assert_eq!(
            messages(r#"{"version":1,"mfa":{"factors":["otp","otp"]},"claims":{"namespace":"https://tenant.auth0.com/"}}"#),
            vec![
                "`mfa.factors.1`: `otp` is listed twice",
                "`claims.namespace`: `https://tenant.auth0.com/` uses a domain Auth0 reserves for its own claims",
            ]
        );
        assert_eq!(
            messages(r#"{"version":1,"claims":{"namespace":"risk"}}"#),
            vec!["`claims.namespace`: `risk` must be an http(s) URL ending in `/`"]
        );
    }

    #[test]
    fn network_and_country_lists_are_checked() {
        assert_eq!(
            messages(r#"{"version":1,"networks":{"deny":["10.0.0.0/8","10.0.0.0/40"],"allow":["corp"]},"countries":{"deny":["KP","nk"]}}"#),
            vec![
                "`networks.deny.1`: `10.0.0.0/40` is not an IP address or CIDR range",
                "`networks.allow.0`: `corp` is not an IP address or CIDR range",
                "`countries.deny.1`: `nk` is not an upper-case two-letter country code",
            ]
        );
    }

    #[test]
    fn signup_and_m2m_sections_are_checked() {
        assert_eq!(
            messages(
                r#"{"version":1,"signup":{"blocked_domains":["ok.example","not a domain"],"velocity":{"window_minutes":0,"per_ip":1000000},"deny_score":2},
                    "m2m":{"clients":{"svc":{"networks":["10.0.0.0/33"],"scopes":["read:x",""]}}}}"#
            ),
            vec![
                "`signup.blocked_domains.1`: `not a domain` is not a domain: the domain is not a valid internationalized domain name",
                "`signup.velocity.window_minutes`: `0` must be between 1 and 1440 (a day)",
                "`signup.velocity.per_ip`: `1000000` must be at most 100000 (0 turns the limit off)",
                "`signup.deny_score`: `2` must be between 0 and 1",
                "`m2m.clients.svc.networks.0`: `10.0.0.0/33` is not an IP address or CIDR range",
                "`m2m.clients.svc.scopes.1`: `` must be non-empty, without spaces",
            ]
        );
        assert_eq!(
            messages(r#"{"version":1,"signup":{"velocty":{}}}"#),
            vec!["`signup.velocty`: unknown field `velocty`, expected one of `block_disposable`, `block_free_mail`, `blocked_domains`, `allowed_domains`, `velocity`, `deny_score`"]
        );
    }

    #[test]
    fn enforcement_is_checked_with_key_value_and_reason() {
        assert_eq!(
            messages(r#"{"version":1,"enforcement":{"login":{"mode":"watch"}}}"#),
            ["`enforcement.login.mode`: unknown variant `watch`, expected `enforce` or `monitor`"]
        );
        assert_eq!(
            messages(r#"{"version":1,"enforcement":{"sigup":{}}}"#),
            ["`enforcement.sigup`: unknown field `sigup`, expected one of `login`, `signup`, `m2m`, `organizations`"]
        );
        assert_eq!(
            messages(r#"{"version":1,"enforcement":{"m2m":{"percent":-1}}}"#),
            ["`enforcement.m2m.percent`: invalid value: integer `-1`, expected a whole number >= 0"]
        );
        assert_eq!(
            messages(r#"{"version":1,"enforcement":{"signup":{"percent":101},"organizations":{"mode":"monitor","percent":250}}}"#),
            [
                "`enforcement.signup.percent`: `101` must be between 0 and 100",
                "`enforcement.organizations.percent`: `250` must be between 0 and 100",
            ]
        );
        let p = parse_policy(r#"{"version":1,"enforcement":{"login":{"mode":"monitor"},"m2m":{"percent":0}}}"#).unwrap();
        assert_eq!(p.enforcement.login, Rollout { mode: EnforcementMode::Monitor, percent: 100 });
        assert_eq!(p.enforcement.m2m, Rollout { mode: EnforcementMode::Enforce, percent: 0 });
        assert_eq!(p.enforcement.signup, Rollout::default());
    }

    #[test]
    fn digest_is_stable_and_sensitive() {
        let a = digest(&Policy::default());
        assert_eq!(a, digest(&parse_policy(r#"{"version":1}"#).unwrap()));
        let mut p = Policy::default();
        p.thresholds.deny = 0.95;
        assert_ne!(a, digest(&p));
        assert!(a.starts_with("sha256:") && a.len() == 7 + 16);
    }
}
