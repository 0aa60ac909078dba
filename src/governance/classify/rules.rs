//! The rules of organization classification and their weights, in one place:
//! each rule that fires adds its weight to one label's score and cites its
//! reason (`signals::CLASSIFY_*`). Only evidence the control plane can see and
//! justify counts: the organization's domains against the tenant's own, the
//! connections enabled for it, the plan or contract its metadata states, its
//! size, activity and age.
//!
//! Metadata is written by whoever administers the organization (and by sales or
//! billing integrations), so it is read as hostile text: only the keys and the
//! values listed below count, compared after folding to ASCII lower case, and a
//! reason quotes the table's words, never the metadata's.

use serde_json::Value;

use crate::email;
use crate::governance::Reason;
use crate::signals::{self, PolicyReason};

/// One rule: the reason it cites, the label it scores, its weight.
pub struct Rule {
    pub reason: &'static PolicyReason,
    pub label: &'static str,
    pub weight: f64,
}

const fn rule(reason: &'static PolicyReason, label: &'static str, weight: f64) -> Rule {
    Rule { reason, label, weight }
}

/// Every rule's weight. Under the default `min_score` (2) and `margin` (1.5), one
/// strong signal (an enterprise connection, a plan in metadata) decides alone when
/// nothing contradicts it; the weak ones (size, age, a verified domain) decide only
/// two together, and two strong signals for different labels leave the
/// organization ambiguous for the LLM or a person. The defaults were set on the
/// simulator's organizations (docs/evaluation.md): 6% ambiguous.
pub const RULES: &[Rule] = &[
    // Hard evidence: decided by this rule alone, never escalated (see [`HARD`]).
    rule(&signals::CLASSIFY_DOMAINS_INTERNAL, "internal", 10.0),
    // Unproven claims on the tenant's domains, and metadata saying internal, never decide
    // alone: anyone who can add a pending domain or write metadata could claim them.
    rule(&signals::CLASSIFY_DOMAINS_INTERNAL_PENDING, "internal", 1.5),
    rule(&signals::CLASSIFY_DOMAINS_PARTLY_INTERNAL, "internal", 1.0),
    rule(&signals::CLASSIFY_DOMAIN_VERIFIED, "enterprise", 1.0),
    rule(&signals::CLASSIFY_ENTERPRISE_CONNECTION, "enterprise", 3.0),
    rule(&signals::CLASSIFY_METADATA_TRIAL, "trial", 3.0),
    rule(&signals::CLASSIFY_METADATA_ENTERPRISE, "enterprise", 3.0),
    // A partner programme's word is more specific than what size, age and a verified
    // domain say (any established customer), and as strong as a connection and a plan
    // together: a partner with its own single sign-on stays in contention.
    rule(&signals::CLASSIFY_METADATA_PARTNER, "partner", 5.0),
    rule(&signals::CLASSIFY_METADATA_INTERNAL, "internal", 1.5),
    rule(&signals::CLASSIFY_YOUNG, "trial", 1.0),
    // Few trials last six months: an organization that old is a customer (or one of
    // the labels its own rules name, which outweigh this).
    rule(&signals::CLASSIFY_ESTABLISHED, "enterprise", 1.0),
    rule(&signals::CLASSIFY_FEW_MEMBERS, "trial", 1.0),
    rule(&signals::CLASSIFY_MANY_MEMBERS, "enterprise", 1.5),
    rule(&signals::CLASSIFY_MANY_ACTIVE, "enterprise", 1.0),
];

/// The rule whose evidence no other rule or answer can outweigh.
pub const HARD: &PolicyReason = &signals::CLASSIFY_DOMAINS_INTERNAL;

/// The thresholds of the size, activity and age rules.
pub const FEW_MEMBERS: u64 = 5;
pub const MANY_MEMBERS: u64 = 50;
pub const MANY_ACTIVE: u64 = 20;
pub const YOUNG_DAYS: f64 = 30.0;
pub const ESTABLISHED_DAYS: f64 = 180.0;
const DAY_MS: f64 = 86_400_000.0;

/// Connection strategies of enterprise identity providers (Auth0's names).
pub const ENTERPRISE_STRATEGIES: &[&str] =
    &["samlp", "oidc", "okta", "waad", "adfs", "pingfederate", "google-apps", "ad", "auth0-adldap", "office365", "sharepoint"];

/// Metadata keys that state a plan, a contract or a kind of customer.
pub const PLAN_KEYS: &[&str] = &[
    "plan",
    "plan_name",
    "plan_type",
    "pricing_plan",
    "tier",
    "subscription",
    "subscription_plan",
    "subscription_tier",
    "subscription_type",
    "contract",
    "contract_type",
    "license",
    "license_type",
    "licence",
    "edition",
    "account_type",
    "customer_type",
    "org_type",
    "organization_type",
    "organisation_type",
    "type",
    "segment",
    "stage",
    "relationship",
    "category",
];

/// Metadata keys that are a yes/no flag for a label (`true`, `yes`, `1`).
pub const FLAG_KEYS: &[(&str, &str)] = &[
    ("is_trial", "trial"),
    ("trial", "trial"),
    ("is_partner", "partner"),
    ("partner", "partner"),
    ("is_reseller", "partner"),
    ("reseller", "partner"),
    ("is_internal", "internal"),
    ("internal", "internal"),
];

/// Metadata keys whose mere presence (any non-empty value) says trial.
pub const TRIAL_END_KEYS: &[&str] = &["trial_ends_at", "trial_end", "trial_ends", "trial_expires_at", "trial_expiry", "trial_end_date"];

/// Values of a plan key and the label each says. A value matches when it is one
/// of these, or one followed by more words (`enterprise_annual`).
pub const PLAN_VALUES: &[(&str, &str)] = &[
    ("trial", "trial"),
    ("free", "trial"),
    ("freemium", "trial"),
    ("poc", "trial"),
    ("pilot", "trial"),
    ("evaluation", "trial"),
    ("eval", "trial"),
    ("demo", "trial"),
    ("prospect", "trial"),
    ("enterprise", "enterprise"),
    ("business", "enterprise"),
    ("paid", "enterprise"),
    ("premium", "enterprise"),
    ("professional", "enterprise"),
    ("corporate", "enterprise"),
    ("customer", "enterprise"),
    ("annual", "enterprise"),
    ("committed", "enterprise"),
    ("partner", "partner"),
    ("reseller", "partner"),
    ("msp", "partner"),
    ("distributor", "partner"),
    ("var", "partner"),
    ("agency", "partner"),
    ("integrator", "partner"),
    ("channel", "partner"),
    ("oem", "partner"),
    ("in_house", "internal"),
    ("internal", "internal"),
    ("employee", "internal"),
    ("employees", "internal"),
    ("staff", "internal"),
    ("dogfood", "internal"),
];

/// Words anywhere in a value that make it a trial whatever else it says
/// (`enterprise_trial` is a trial of the enterprise plan).
const TRIAL_WORDS: &[&str] = &["trial", "poc", "pilot", "evaluation", "eval"];
/// Words that negate a value (`non_partner`, `ex_customer`): such a value says nothing.
const NEGATIONS: &[&str] = &["not", "no", "non", "ex", "former", "expired", "cancelled", "canceled", "churned"];
/// Longer keys or values are nobody's plan name: ignored.
const MAX_WORD: usize = 64;

/// A key or value folded for comparison: ASCII lower case, every run of other
/// characters one `_`, none at the ends. Non-ASCII letters are "other", so a
/// look-alike (`trіal` with a Cyrillic і) matches nothing.
fn fold(s: &str) -> Option<String> {
    if s.len() > MAX_WORD * 4 {
        return None;
    }
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        if c.is_ascii_alphanumeric() {
            out.push(c.to_ascii_lowercase());
        } else if !out.is_empty() && !out.ends_with('_') {
            out.push('_');
        }
    }
    while out.ends_with('_') {
        out.pop();
    }
    (!out.is_empty() && out.len() <= MAX_WORD).then_some(out)
}

/// The label a plan value says, and the table's word for it.
fn plan_label(value: &str) -> Option<(&'static str, &'static str)> {
    let words: Vec<&str> = value.split('_').collect();
    if words.iter().any(|w| NEGATIONS.contains(w)) {
        return None;
    }
    if let Some(w) = TRIAL_WORDS.iter().find(|t| words.contains(t)) {
        return Some(("trial", w));
    }
    PLAN_VALUES
        .iter()
        .find(|(v, _)| value == *v || value.strip_prefix(v).is_some_and(|rest| rest.starts_with('_')))
        .map(|(v, label)| (*label, *v))
}

/// What an organization's metadata says: per label, the first key (the table's
/// word) and value (the table's word) that said it.
pub fn metadata_labels(meta: &Value) -> Vec<(&'static str, &'static str, &'static str)> {
    let mut out: Vec<(&'static str, &'static str, &'static str)> = Vec::new();
    let Some(map) = meta.as_object() else { return out };
    for (raw_key, raw_value) in map {
        let (Some(key), Some(text)) = (fold(raw_key), raw_value.as_str()) else { continue };
        // Our own keys (`ag_tier`...) are what this job writes: reading them would be circular.
        if key.starts_with("ag_") {
            continue;
        }
        let value = fold(text);
        let found = if let Some(k) = PLAN_KEYS.iter().find(|k| **k == key) {
            value.as_deref().and_then(plan_label).map(|(label, word)| (label, *k, word))
        } else if let Some((k, label)) = FLAG_KEYS.iter().find(|(k, _)| *k == key) {
            matches!(value.as_deref(), Some("true" | "yes" | "y" | "1")).then_some((*label, *k, "true"))
        } else if let Some(k) = TRIAL_END_KEYS.iter().find(|k| **k == key) {
            value.is_some().then_some(("trial", *k, "a date"))
        } else {
            None
        };
        if let Some(hit) = found {
            if !out.iter().any(|(label, _, _)| *label == hit.0) {
                out.push(hit);
            }
        }
    }
    out
}

/// The facts the rules read, as the host gathered them (see `Organization`).
pub struct Facts<'a> {
    pub domains: &'a [(String, bool)],
    pub strategies: Vec<&'static str>,
    pub metadata: Vec<(&'static str, &'static str, &'static str)>,
    pub members: u64,
    pub active_users_30d: u64,
    pub age_days: Option<f64>,
}

/// A rule that fired, with the words its reason is told in.
pub struct Fired {
    pub rule: &'static Rule,
    pub detail: String,
}

fn find(reason: &'static PolicyReason) -> Option<&'static Rule> {
    RULES.iter().find(|r| std::ptr::eq(r.reason, reason) || r.reason.code == reason.code)
}

/// Every rule that fires for these facts, in the table's order.
pub fn fire(f: &Facts<'_>, internal_domains: &[String]) -> Vec<Fired> {
    let mut out = Vec::new();
    let mut push = |reason: &'static PolicyReason, detail: String| {
        if let Some(rule) = find(reason) {
            out.push(Fired { rule, detail });
        }
    };
    let internal = |d: &str| internal_domains.iter().any(|i| email::within(d, i));
    let inside = f.domains.iter().filter(|(d, _)| internal(d)).count();
    let inside_verified = f.domains.iter().filter(|(d, v)| *v && internal(d)).count();
    let n = f.domains.len();
    if n > 0 && inside == n && inside_verified == n {
        push(&signals::CLASSIFY_DOMAINS_INTERNAL, format!("{n} of {n} domains verified inside the tenant's domains"));
    } else if n > 0 && inside == n {
        push(&signals::CLASSIFY_DOMAINS_INTERNAL_PENDING, format!("{inside_verified} of {n} domains verified"));
    } else if inside > 0 {
        push(&signals::CLASSIFY_DOMAINS_PARTLY_INTERNAL, format!("{inside} of {n} domains"));
    }
    let own_verified = f.domains.iter().filter(|(d, v)| *v && !internal(d)).count();
    if own_verified > 0 {
        push(&signals::CLASSIFY_DOMAIN_VERIFIED, format!("{own_verified} verified"));
    }
    if !f.strategies.is_empty() {
        push(&signals::CLASSIFY_ENTERPRISE_CONNECTION, f.strategies.join(", "));
    }
    for (label, key, word) in &f.metadata {
        let reason = match *label {
            "trial" => &signals::CLASSIFY_METADATA_TRIAL,
            "enterprise" => &signals::CLASSIFY_METADATA_ENTERPRISE,
            "partner" => &signals::CLASSIFY_METADATA_PARTNER,
            _ => &signals::CLASSIFY_METADATA_INTERNAL,
        };
        push(reason, format!("`{key}` says `{word}`"));
    }
    if let Some(days) = f.age_days {
        if days < YOUNG_DAYS {
            push(&signals::CLASSIFY_YOUNG, format!("{} days", days.floor()));
        } else if days > ESTABLISHED_DAYS {
            push(&signals::CLASSIFY_ESTABLISHED, format!("{} days", days.floor()));
        }
    }
    if (1..=FEW_MEMBERS).contains(&f.members) {
        push(&signals::CLASSIFY_FEW_MEMBERS, format!("{} members", f.members));
    } else if f.members >= MANY_MEMBERS {
        push(&signals::CLASSIFY_MANY_MEMBERS, format!("{} members", f.members));
    }
    if f.active_users_30d >= MANY_ACTIVE {
        push(&signals::CLASSIFY_MANY_ACTIVE, format!("{} active users", f.active_users_30d));
    }
    out
}

/// A fired rule as a reason: its message, the detail and the weight it added.
pub fn reason(f: &Fired) -> Reason {
    let sign = if f.rule.weight < 0.0 { "" } else { "+" };
    Reason::new(f.rule.reason.code, format!("{} ({}; {sign}{} {})", f.rule.reason.message, f.detail, f.rule.weight, f.rule.label))
}

/// The enterprise strategies among an organization's enabled connections (the table's words).
pub fn enterprise_strategies<'a>(strategies: impl Iterator<Item = &'a str>) -> Vec<&'static str> {
    let mut out: Vec<&'static str> = Vec::new();
    for s in strategies {
        let s = s.trim().to_ascii_lowercase();
        if let Some(found) = ENTERPRISE_STRATEGIES.iter().find(|e| **e == s) {
            if !out.contains(found) {
                out.push(found);
            }
        }
    }
    out
}

/// Days between a moment and now; `None` when unknown or in the future.
pub fn age_days(now_ms: f64, since_ms: Option<f64>) -> Option<f64> {
    let since = since_ms.filter(|s| s.is_finite() && *s > 0.0)?;
    let days = (now_ms - since) / DAY_MS;
    (days.is_finite() && days >= 0.0).then_some(days)
}
