//! How risky a login is: facts about it ([`features`]), evidence weighed by
//! rules ([`rules`], [`auth0`]) and by the embedded model ([`model`]), combined
//! into one score in [0, 1], plus floors that no score can lower.
//!
//! The score is the higher of the rules' and the model's: the model adds
//! detection, it never lowers what the rules found.
//!
//! Evidence comes in groups of correlated signals (two detectors of travel are
//! one piece of evidence, not two): within a group the strongest signal
//! counts, across groups signals combine by noisy-OR.

pub mod agent;
mod auth0;
pub mod features;
pub mod history;
pub mod model;
pub mod network;
mod rules;

pub use features::{Environment, Features};
pub use history::{History, Observation};

use crate::context::LoginContext;
pub use crate::signals::{Floor, Signal};

#[derive(Debug, Clone, PartialEq)]
pub struct RiskAssessment {
    /// The score the decision uses: the higher of the model's and the rules'.
    pub score: f64,
    pub rule_score: f64,
    pub model_score: Option<f64>,
    pub floor: Option<Floor>,
    pub signals: Vec<Signal>,
    pub features: Features,
}

pub fn assess(ctx: &LoginContext, history: &History, env: &Environment, model: Option<&model::Model>) -> RiskAssessment {
    let features = features::extract(ctx, history, env);
    let mut signals = rules::signals(&features);
    if let Some(ra) = ctx.risk_assessment() {
        signals.extend(auth0::signals(ra));
    }
    // The feed's groups (`threat_network`, `threat_account`) are their own: a trusted
    // network was already left out of its query.
    signals.extend(env.threat.iter().cloned());
    if features.network_allowed {
        // The features already set network facts aside; Auth0's proxy verdict too.
        signals.retain(|s| s.group != "network" && s.group != "location");
        signals.push(rules::NETWORK_ALLOWED);
    }
    // Strongest evidence first: reasons read in order of importance.
    signals.sort_by(|a, b| b.weight.total_cmp(&a.weight));
    let rule_score = combine(&signals);
    let model_score = model.and_then(|m| m.score(&features.vector())).map(round4);
    RiskAssessment {
        // The model adds what the rules miss; it never cancels their evidence.
        // Outside its training data (no history, no request) it can be
        // confidently wrong: it rated Auth0's own deny-listed sample login 0.0001.
        score: model_score.map_or(rule_score, |m| m.max(rule_score)),
        rule_score,
        model_score,
        floor: signals.iter().filter_map(|s| s.floor).max(),
        signals,
        features,
    }
}

/// Max within each group, then noisy-OR across groups: independent pieces of
/// evidence each get a chance to be right, and no pile of weak ones reaches 1.
pub fn combine(signals: &[Signal]) -> f64 {
    let mut groups: Vec<(&str, f64)> = Vec::new();
    for s in signals {
        // A NaN weight (a broken input, later a broken model) counts as certain risk: fail closed.
        let w = if s.weight.is_nan() { 1.0 } else { s.weight.clamp(0.0, 1.0) };
        match groups.iter_mut().find(|(g, _)| *g == s.group) {
            Some((_, best)) => *best = best.max(w),
            None => groups.push((s.group, w)),
        }
    }
    round4(1.0 - groups.iter().map(|(_, w)| 1.0 - w).product::<f64>())
}

/// Scores are reported to 4 decimals so golden files and audit lines are stable.
pub fn round4(x: f64) -> f64 {
    (x * 10_000.0).round() / 10_000.0
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sig(group: &'static str, weight: f64) -> Signal {
        Signal { code: "t", group, weight, floor: None, message: "t" }
    }

    #[test]
    fn groups_count_once_and_combine_by_noisy_or() {
        assert_eq!(combine(&[]), 0.0);
        assert_eq!(combine(&[sig("a", 0.3)]), 0.3);
        assert_eq!(combine(&[sig("a", 0.5), sig("b", 0.5)]), 0.75);
        assert_eq!(combine(&[sig("a", 0.5), sig("a", 0.8)]), 0.8, "same group: the strongest only");
        assert_eq!(combine(&[sig("a", 1.7), sig("b", -3.0)]), 1.0);
        assert_eq!(combine(&[sig("a", f64::NAN)]), 1.0);
        let many: Vec<_> = (0..50).map(|_| sig("a", 0.01)).collect();
        assert!(combine(&many) < 0.5);
    }
}
