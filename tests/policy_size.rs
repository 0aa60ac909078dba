//! The baseline policy is the `POLICY` secret, and Auth0 holds at most 4,096
//! characters in a secret: `validate_policy_json` (what `scripts/policy lint` and
//! `scripts/deploy` run) refuses a longer document, naming its size.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

use actionguard::{tooling::MAX_SECRET_CHARS, validate_policy_json, Answer};

/// A valid policy of exactly `chars` characters: the padding is whitespace, which a
/// JSON parser ignores and a secret does not.
fn policy_of(chars: usize) -> String {
    let body = r#"{"version":1,"fail_mode":"deny"}"#;
    format!("{}{body}", " ".repeat(chars - body.len()))
}

#[test]
fn a_policy_that_fits_a_secret_is_valid_and_says_its_size() {
    match validate_policy_json(&policy_of(MAX_SECRET_CHARS)) {
        Answer::Success { payload, .. } => assert_eq!(payload.characters, 4096),
        Answer::Failure { errors } => panic!("{errors:?}"),
    }
}

#[test]
fn one_character_more_is_refused_with_its_size_and_what_whitespace_costs() {
    let Answer::Failure { errors } = validate_policy_json(&policy_of(MAX_SECRET_CHARS + 1)) else { panic!("accepted") };
    assert_eq!(errors.len(), 1);
    assert_eq!(errors[0].code, "policy_too_long");
    assert_eq!(
        errors[0].message,
        "the policy is 4097 characters and an Auth0 secret holds at most 4096; without whitespace it is 32 characters"
    );
}

#[test]
fn characters_not_bytes_are_counted() {
    // 4,000 characters of which 1,000 take 3 bytes each in UTF-8: it fits.
    let name = "\u{2603}".repeat(1000);
    let policy = format!(r#"{{"version":1,"claims":{{"namespace":"https://{name}/"}}}}"#);
    let padded = format!("{}{policy}", " ".repeat(4000 - policy.chars().count()));
    assert!(padded.len() > MAX_SECRET_CHARS);
    if let Answer::Failure { errors } = validate_policy_json(&padded) {
        assert!(errors.iter().all(|e| e.code != "policy_too_long"), "{errors:?}");
    }
}

#[test]
fn a_long_invalid_policy_reports_both() {
    let text = format!(r#"{{"version":1,"fail_mode":"panic","tiers":{{}}}}{}"#, " ".repeat(5000));
    let Answer::Failure { errors } = validate_policy_json(&text) else { panic!("accepted") };
    let codes: Vec<&str> = errors.iter().map(|e| e.code).collect();
    assert!(codes.contains(&"policy_too_long"), "{codes:?}");
    assert!(codes.len() >= 2, "{codes:?}");
}
