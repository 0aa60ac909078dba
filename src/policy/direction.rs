//! Which way each policy key tightens: the one place that says it.
//!
//! An organization's override (`ag_policy`) is written by whoever holds
//! `update:organizations` for it, often a customer's delegated admin, so it may
//! only make the policy below it (baseline, then tier) stricter, key by key. A
//! tenant may let organizations loosen named keys or sections with
//! `organizations.overridable`. Tiers are the tenant's own and are not checked.
//!
//! Every key of the policy document has an entry in [`DIRECTIONS`]; a test
//! walks the document and fails on a key without one, so a new key cannot be
//! added without saying which way it tightens.

use serde_json::Value;

use crate::decision::in_band;
use crate::policy::{truncate_for_message, BandFallback, Policy};
use crate::risk::network::parse_cidr;

/// How a key's values are ordered from looser to stricter.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Direction {
    /// A number that may only go down (a threshold, a budget).
    Lower,
    /// A number that may only go up (a window, a confidence bar).
    Raise,
    /// One of these values, loosest first; a value may only move right.
    Toward(&'static [&'static str]),
    /// A deny list: it may only grow (every item below stays covered).
    Grow(Items),
    /// An allow list: it may only shrink (every item is covered by one below).
    Shrink(Items),
    /// Part of the score ladder (the ambiguous band): checked on the outcomes each
    /// score can get, which may only become stricter.
    Ladder,
    /// How often the LLM's answer is taken rather than the band's fallback: the
    /// inner direction (less often) holds only while the LLM can only relax the
    /// fallback (fallback `challenge`, no `llm.may_deny`); otherwise the LLM is also
    /// a tightening and the key is the tenant's.
    LessLlm(&'static Direction),
    /// Read only where no organization is known yet (sign-ups, machine tokens,
    /// organization discovery), so on the tenant's policy: an override could not
    /// change what happens, and is refused rather than silently ignored.
    Unread,
    /// Set by the tenant only.
    Fixed,
}

/// How the items of a list cover one another.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Items {
    /// The same text (case-insensitive).
    Exact,
    /// CIDR ranges: a range covers its sub-ranges.
    Networks,
}

const LOOSE_TO_STRICT_BOOL: &[&str] = &["false", "true"];
const STRICT_WHEN_OFF: &[&str] = &["true", "false"];
/// Watching applies nothing: an organization may only move a kind toward enforcement.
const MONITOR_TO_ENFORCE: &[&str] = &["monitor", "enforce"];
const NO_FLOOR_TO_DENY: &[&str] = &["none", "challenge", "deny"];

/// Every key of the policy document an organization may name, with its
/// direction. A key under a listed prefix (`m2m.clients.<id>...`) takes the
/// prefix's entry.
pub const DIRECTIONS: &[(&str, Direction)] = &[
    ("thresholds.challenge", Direction::Lower),
    ("thresholds.deny", Direction::Lower),
    ("ambiguous.from", Direction::Ladder),
    ("ambiguous.to", Direction::Ladder),
    ("ambiguous.fallback", Direction::Toward(&["allow", "challenge"])),
    ("mfa.mode", Direction::Toward(&["never", "risk_based", "always"])),
    ("mfa.factors", Direction::Shrink(Items::Exact)),
    ("mfa.unenrolled", Direction::Toward(&["enroll", "deny"])),
    ("mfa.non_interactive", Direction::Toward(&["allow", "deny"])),
    ("fail_mode", Direction::Toward(&["allow", "challenge", "deny"])),
    // Applications may read the claims: another namespace would hide them.
    ("claims.namespace", Direction::Fixed),
    ("claims.risk_level", Direction::Toward(LOOSE_TO_STRICT_BOOL)),
    ("networks.deny", Direction::Grow(Items::Networks)),
    ("networks.allow", Direction::Shrink(Items::Networks)),
    ("countries.deny", Direction::Grow(Items::Exact)),
    ("signup.block_disposable", Direction::Unread),
    ("signup.block_free_mail", Direction::Unread),
    ("signup.blocked_domains", Direction::Unread),
    ("signup.allowed_domains", Direction::Unread),
    ("signup.velocity.window_minutes", Direction::Unread),
    ("signup.velocity.per_ip", Direction::Unread),
    ("signup.velocity.per_network", Direction::Unread),
    ("signup.velocity.per_domain", Direction::Unread),
    ("signup.deny_score", Direction::Unread),
    // Sign-ups and machine tokens are decided on the baseline (no organization there).
    ("m2m.require_listed", Direction::Unread),
    // Listing a client can let it through (`require_listed`) or widen its caps.
    ("m2m.clients", Direction::Fixed),
    // Discovery decides before any organization is known: the tenant's policy. An
    // organization's own switch is its `ag_auto_join`, which only tightens too.
    ("organizations.auto_join", Direction::Unread),
    ("organizations.invite_unverified", Direction::Unread),
    ("organizations.self_serve", Direction::Unread),
    ("organizations.trusted_connections", Direction::Unread),
    ("organizations.blocked_domains", Direction::Unread),
    ("organizations.trust_metadata_domains", Direction::Unread),
    // Another attribute maps users to other roles.
    ("organizations.role_attribute", Direction::Fixed),
    ("organizations.default_roles", Direction::Unread),
    ("organizations.assignable_roles", Direction::Unread),
    ("organizations.overridable", Direction::Shrink(Items::Exact)),
    // One index serves every organization of the instance: not an organization's to set.
    ("organizations.live_index_max", Direction::Fixed),
    ("organizations.index_max_age_seconds", Direction::Fixed),
    // What an organization gets when its own layers are not signed: never its own to set.
    ("organizations.unsigned_tier", Direction::Fixed),
    ("llm.enabled", Direction::Toward(STRICT_WHEN_OFF)),
    ("llm.timeout_ms", Direction::LessLlm(&Direction::Lower)),
    ("llm.max_per_minute", Direction::LessLlm(&Direction::Lower)),
    ("llm.breaker.failures", Direction::LessLlm(&Direction::Lower)),
    ("llm.breaker.cooldown_seconds", Direction::LessLlm(&Direction::Raise)),
    ("llm.min_confidence", Direction::LessLlm(&Direction::Raise)),
    ("llm.may_deny", Direction::Toward(LOOSE_TO_STRICT_BOOL)),
    ("llm.organizations", Direction::Unread),
    ("llm.share_domain", Direction::Unread),
    // A higher percentage only adds enforced subjects (`enforcement::bucket`).
    ("enforcement.login.mode", Direction::Toward(MONITOR_TO_ENFORCE)),
    ("enforcement.login.percent", Direction::Raise),
    // Sign-ups, machine tokens and discovery are decided on the baseline, like their sections.
    ("enforcement.signup.mode", Direction::Unread),
    ("enforcement.signup.percent", Direction::Unread),
    ("enforcement.m2m.mode", Direction::Unread),
    ("enforcement.m2m.percent", Direction::Unread),
    ("enforcement.organizations.mode", Direction::Unread),
    ("enforcement.organizations.percent", Direction::Unread),
    // The feed only adds evidence: on, heavier and higher floors are stricter.
    ("threat_feed.enabled", Direction::Toward(LOOSE_TO_STRICT_BOOL)),
    ("threat_feed.weights.network_under_attack", Direction::Raise),
    ("threat_feed.weights.account_under_attack", Direction::Raise),
    ("threat_feed.floors.network_under_attack", Direction::Toward(NO_FLOOR_TO_DENY)),
    ("threat_feed.floors.account_under_attack", Direction::Toward(NO_FLOOR_TO_DENY)),
    // One feed per instance serves every organization, kept as the baseline says.
    ("threat_feed.max_age_seconds", Direction::Fixed),
    ("threat_feed.budget_ms", Direction::Fixed),
    // The control plane's jobs read the baseline only, the whole section: no login reads it.
    ("governance", Direction::Unread),
];

/// The entry that governs `path`: its own, or its prefix's.
pub fn entry(path: &str) -> Option<(&'static str, Direction)> {
    DIRECTIONS.iter().copied().find(|(key, _)| path == *key || path.strip_prefix(key).is_some_and(|rest| rest.starts_with('.')))
}

/// Whether `path` names a key or a section (`thresholds`) of the document.
pub fn is_known(path: &str) -> bool {
    DIRECTIONS.iter().any(|(key, _)| *key == path || key.strip_prefix(path).is_some_and(|rest| rest.starts_with('.')))
        || entry(path).is_some()
}

/// Whether a tenant's `organizations.overridable` lets organizations set `path` freely.
pub fn overridable(list: &[String], path: &str) -> bool {
    list.iter().any(|o| path == o || path.strip_prefix(o.as_str()).is_some_and(|rest| rest.starts_with('.')))
}

/// Why setting `path` loosens the policy: `below` and `after` are the policy
/// documents before and after (JSON, as serialized), or `None` when it does
/// not. A `path` without an entry loosens (nothing says it may be set). The
/// ambiguous band is judged on whole policies, by [`ladder_loosening`].
pub fn loosening(path: &str, below: &Value, after: &Value) -> Option<String> {
    let Some((key, direction)) = entry(path) else {
        return Some("is not a key an organization may set".to_string());
    };
    let pointer = format!("/{}", key.replace('.', "/"));
    let old = below.pointer(&pointer).unwrap_or(&Value::Null);
    let new = after.pointer(&pointer).unwrap_or(&Value::Null);
    if old == new {
        return None;
    }
    judge(direction, old, new, below)
}

fn judge(direction: Direction, old: &Value, new: &Value, below: &Value) -> Option<String> {
    // A value of the wrong kind (a word for a number, an unknown mode) is left to
    // validation, which refuses it with a better message than a direction could.
    let (Some(o), Some(n)) = (comparable(old, direction), comparable(new, direction)) else {
        return None;
    };
    match direction {
        Direction::Lower if n > o => Some(format!("may only be lowered (below: {})", word(old))),
        Direction::Raise if n < o => Some(format!("may only be raised (below: {})", word(old))),
        Direction::Toward(order) if n < o => {
            Some(format!("may only move toward `{}` (below: `{}`)", order.last().copied().unwrap_or(""), word(old)))
        }
        Direction::Grow(items) => {
            let (old, new) = (strings(old), strings(new));
            old.iter()
                .find(|o| !new.iter().any(|n| covers(items, n, o)))
                .map(|dropped| format!("is a deny list, which may only grow: it drops `{}`", truncate_for_message(dropped)))
        }
        Direction::Shrink(items) => {
            let (old, new) = (strings(old), strings(new));
            new.iter()
                .find(|n| !old.iter().any(|o| covers(items, o, n)))
                .map(|added| format!("is an allow list, which may only shrink: it adds `{}`", truncate_for_message(added)))
        }
        Direction::LessLlm(inner) => {
            let relaxes_only = below.pointer("/ambiguous/fallback").and_then(Value::as_str) == Some("challenge")
                && below.pointer("/llm/may_deny").and_then(Value::as_bool) == Some(false);
            if relaxes_only {
                judge(*inner, old, new, below)
            } else {
                Some(
                    "changes how often the LLM's answer is taken over the band's fallback, and here the LLM can also tighten \
                     (fallback `allow`, or `llm.may_deny`): the tenant's to set"
                        .to_string(),
                )
            }
        }
        Direction::Unread => Some(
            "is read only where no organization is known yet (sign-ups, machine tokens, organization discovery), on the \
             tenant's policy: an override cannot change it"
                .to_string(),
        ),
        Direction::Fixed => Some("is set by the tenant only".to_string()),
        _ => None,
    }
}

/// A scalar key's value as a number to compare (a rank for `Toward`); lists
/// and the other kinds compare as `0.0`, their own way.
fn comparable(v: &Value, direction: Direction) -> Option<f64> {
    match direction {
        Direction::Lower | Direction::Raise => v.as_f64(),
        #[allow(clippy::cast_precision_loss)] // a handful of ranks
        Direction::Toward(order) => rank(v, order).map(|r| r as f64),
        Direction::LessLlm(inner) => comparable(v, *inner),
        _ => Some(0.0),
    }
}

/// Why the valid policy `after` gives some risk score a more lenient outcome
/// than `below` on the score ladder (thresholds, the ambiguous band, its
/// fallback and the LLM's options), or `None`. Every pair of an override is
/// checked: keys of different directions meet on the ladder.
pub fn ladder_loosening(below: &Policy, after: &Policy) -> Option<String> {
    ladder_loosens(below, after).map(|score| {
        format!(
            "would give a risk score of {score} a more lenient outcome than the layers below (the score ladder: thresholds, \
             the ambiguous band, its fallback and the LLM's options, may only become stricter)"
        )
    })
}

fn rank(v: &Value, order: &[&str]) -> Option<usize> {
    let text = match v {
        Value::String(s) => s.clone(),
        Value::Bool(b) => b.to_string(),
        _ => return None,
    };
    order.iter().position(|o| *o == text)
}

fn word(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

fn strings(v: &Value) -> Vec<String> {
    v.as_array().map(|a| a.iter().map(word).collect()).unwrap_or_default()
}

/// Whether list item `wide` covers `narrow`.
fn covers(items: Items, wide: &str, narrow: &str) -> bool {
    if wide.eq_ignore_ascii_case(narrow) {
        return true;
    }
    match items {
        Items::Exact => false,
        Items::Networks => {
            // Parsed as the engine parses the lists it matches on.
            match (parse_cidr(wide), parse_cidr(narrow)) {
                (Some(w), Some(n)) => w.contains(&n),
                _ => false,
            }
        }
    }
}

/// The outcomes a score can get from the score ladder alone, as (most lenient,
/// strictest), 0 allow, 1 challenge, 2 deny. In the ambiguous band with the LLM
/// on, the LLM may answer allow, or deny when `llm.may_deny`; the fallback
/// applies when it does not answer. Both ends must hold: a band removed under a
/// challenge fallback loses a challenge, an LLM turned off under an `allow`
/// fallback loses a deny.
fn outcomes(p: &Policy, score: f64) -> (u8, u8) {
    if score >= p.thresholds.deny {
        (2, 2)
    } else if in_band(p, score) {
        let fallback = match p.ambiguous.fallback {
            BandFallback::Allow => 0,
            BandFallback::Challenge => 1,
        };
        if p.llm.enabled {
            (0, fallback.max(if p.llm.may_deny { 2 } else { 1 }))
        } else {
            (fallback, fallback)
        }
    } else if score >= p.thresholds.challenge {
        (1, 1)
    } else {
        (0, 0)
    }
}

/// A score that `after` treats more leniently than `below`, if any. The ladder
/// is constant between the policies' cut points, so checking each cut point
/// (and 0) checks every score.
fn ladder_loosens(below: &Policy, after: &Policy) -> Option<f64> {
    let cuts = |p: &Policy| [p.thresholds.challenge, p.thresholds.deny, p.ambiguous.from, p.ambiguous.to];
    let mut points: Vec<f64> = [0.0, 1.0].into_iter().chain(cuts(below)).chain(cuts(after)).collect();
    points.sort_by(f64::total_cmp);
    points.into_iter().find(|s| {
        let ((after_low, after_high), (below_low, below_high)) = (outcomes(after, *s), outcomes(below, *s));
        after_low < below_low || after_high < below_high
    })
}

#[cfg(test)]
mod tests;
