//! How risky a login is: independent signal sources, each producing weighted,
//! explained [`Signal`]s, combined into one score in [0, 1].
//!
//! Today the only source is Auth0's own `riskAssessment`. The feature-based
//! rules (geo velocity, novelty against per-user history, IP reputation, user
//! agent) and the embedded model are further sources added beside it; nothing
//! downstream of [`assess`] changes when they arrive.

mod auth0;

use crate::context::LoginContext;

/// One piece of evidence: a stable code, its weight in [0, 1] (the
/// probability-like strength of this evidence alone) and text for people.
#[derive(Debug, Clone, PartialEq)]
pub struct Signal {
    pub code: &'static str,
    pub weight: f64,
    pub message: &'static str,
}

#[derive(Debug, Clone, PartialEq)]
pub struct RiskAssessment {
    pub score: f64,
    pub signals: Vec<Signal>,
}

pub fn assess(ctx: &LoginContext) -> RiskAssessment {
    let mut signals = Vec::new();
    if let Some(ra) = ctx.risk_assessment() {
        signals.extend(auth0::signals(ra));
    }
    // Strongest evidence first: reasons read in order of importance.
    signals.sort_by(|a, b| b.weight.total_cmp(&a.weight));
    RiskAssessment {
        score: combine(&signals),
        signals,
    }
}

/// Noisy-OR: independent pieces of evidence each get a chance to be right, so
/// two medium signals outweigh either alone, and no pile of weak ones reaches 1.
pub fn combine(signals: &[Signal]) -> f64 {
    let clean = signals
        .iter()
        // A NaN weight (a broken model output, later) counts as certain risk: fail closed.
        .map(|s| if s.weight.is_nan() { 0.0 } else { 1.0 - s.weight.clamp(0.0, 1.0) })
        .product::<f64>();
    round4(1.0 - clean)
}

/// Scores are reported to 4 decimals so golden files and audit lines are stable.
pub fn round4(x: f64) -> f64 {
    (x * 10_000.0).round() / 10_000.0
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sig(weight: f64) -> Signal {
        Signal { code: "t", weight, message: "t" }
    }

    #[test]
    fn noisy_or_combines_and_stays_in_range() {
        assert_eq!(combine(&[]), 0.0);
        assert_eq!(combine(&[sig(0.3)]), 0.3);
        assert_eq!(combine(&[sig(0.5), sig(0.5)]), 0.75);
        assert_eq!(combine(&[sig(1.7), sig(-3.0)]), 1.0);
        assert_eq!(combine(&[sig(f64::NAN)]), 1.0);
        let many: Vec<_> = (0..50).map(|_| sig(0.01)).collect();
        assert!(combine(&many) < 0.5);
    }
}
