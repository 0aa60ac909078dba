use super::*;

#[test]
fn dedupe_keys_are_length_prefixed() {
    assert_ne!(dedupe_key("k", None, &["ab", "c"]), dedupe_key("k", None, &["a", "bc"]));
    assert_ne!(dedupe_key("k", Some("t"), &["a"]), dedupe_key("k", None, &["t", "a"]));
    assert_eq!(dedupe_key("k", None, &["a"]).len(), 32);
}
