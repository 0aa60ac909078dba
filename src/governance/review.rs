//! (in progress)

use serde_json::Value;

use crate::Issue;

/// Checks a stored proposal of a review kind; the parts its dedupe key is made of.
pub fn check_proposal(_kind: &str, _proposal: &Value) -> Result<Vec<String>, Issue> {
    Err(Issue::new("not_a_governance_request", Some("kind".into()), "not implemented yet"))
}
