//! One call, one answer: every entry point returns a tagged [`Answer`], so a
//! failure on bad input is data the caller can act on, never an exception.

use serde::Serialize;

/// `{ "type": "success", ...payload, "warnings": [] } | { "type": "failure", "errors": [] }`
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Answer<T> {
    Success {
        #[serde(flatten)]
        payload: T,
        warnings: Vec<Issue>,
    },
    Failure {
        errors: Vec<Issue>,
    },
}

impl<T> Answer<T> {
    pub fn success(payload: T, warnings: Vec<Issue>) -> Self {
        Answer::Success { payload, warnings }
    }

    pub fn failure(error: Issue) -> Self {
        Answer::Failure { errors: vec![error] }
    }
}

/// A problem with an input: a stable machine `code`, the dotted `path` of the
/// offending field when there is one, and a lowercase message for people.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Issue {
    pub code: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub path: Option<String>,
    pub message: String,
}

impl Issue {
    pub fn new(code: &'static str, path: Option<String>, message: impl Into<String>) -> Self {
        Issue {
            code,
            path,
            message: message.into(),
        }
    }
}

/// Parses JSON into `T`, naming the path of the first offending field.
///
/// serde's own messages mention Rust types (`u64`, `struct LoginContext`); the
/// path and our wording are what reach an operator, so both are rewritten.
pub fn parse_json<'a, T: serde::Deserialize<'a>>(json: &'a str, code: &'static str) -> Result<T, Issue> {
    // Path tracking costs on every field; inputs are almost always valid, so
    // only a failed parse is repeated with tracking to locate the problem.
    if let Ok(value) = serde_json::from_str(json) {
        return Ok(value);
    }
    let de = &mut serde_json::Deserializer::from_str(json);
    match serde_path_to_error::deserialize::<_, T>(de) {
        Ok(value) => Ok(value),
        Err(err) => {
            let path = err.path().to_string();
            // "." is the root and "?" an unknown place (a syntax error at the end).
            let path = if path == "." || path == "?" { None } else { Some(path) };
            let message = humanize_serde_error(&err.inner().to_string());
            let message = match &path {
                Some(p) => format!("`{p}`: {message}"),
                None => message,
            };
            Err(Issue::new(code, path, message))
        }
    }
}

/// JSON text with every unpaired UTF-16 surrogate escape (`\ud800` alone) made
/// U+FFFD. `JSON.stringify` writes a lone surrogate in a JS string that way, and
/// serde_json refuses it, which would fail a whole login over one stray character
/// anyone with Management API access could leave in the user's metadata. A raw
/// lone surrogate becomes U+FFFD on its way into memory; this treats the escaped
/// form alike. Text without `\u` is returned as it is.
pub fn without_lone_surrogates(json: String) -> String {
    if !json.contains("\\u") {
        return json;
    }
    let bytes = json.as_bytes();
    let unit = |at: usize| -> Option<u16> {
        let hex = bytes.get(at..at + 6)?;
        if hex.first() != Some(&b'\\') || hex.get(1) != Some(&b'u') {
            return None;
        }
        u16::from_str_radix(std::str::from_utf8(hex.get(2..)?).ok()?, 16).ok()
    };
    // Allocates only once something is replaced.
    let mut out = String::new();
    let (mut i, mut copied) = (0, 0);
    while i < bytes.len() {
        if bytes.get(i) != Some(&b'\\') {
            i += 1;
            continue;
        }
        match unit(i) {
            Some(0xD800..=0xDBFF) if matches!(unit(i + 6), Some(0xDC00..=0xDFFF)) => i += 12, // a valid pair
            Some(0xD800..=0xDFFF) => {
                out.push_str(json.get(copied..i).unwrap_or_default());
                out.push_str("\\ufffd");
                i += 6;
                copied = i;
            }
            _ => i += 2, // any other escape, `\\` included
        }
    }
    if copied == 0 {
        return json;
    }
    out.push_str(json.get(copied..).unwrap_or_default());
    out
}

fn humanize_serde_error(raw: &str) -> String {
    // serde_json appends " at line L column C"; the path already locates the field.
    let base = raw.split(" at line ").next().unwrap_or(raw);
    let replacements = [
        ("u64", "a whole number >= 0"),
        ("u32", "a whole number >= 0"),
        ("f64", "a number"),
        ("struct ", "an object "),
        ("a sequence", "a list"),
        ("a map", "an object"),
    ];
    let mut out = base.to_string();
    for (from, to) in replacements {
        out = out.replace(from, to);
    }
    // "an object LoginContext": keep the shape, drop the Rust type name.
    if let Some((head, rest)) = out.split_once("an object ") {
        let tail = rest.trim_start_matches(|c: char| c.is_alphanumeric() || c == '_');
        out = format!("{head}an object{tail}");
    }
    // Lowercase a leading word ("Invalid type"), not an acronym ("EOF").
    let mut chars = out.chars();
    match (chars.next(), chars.next()) {
        (Some(first), Some(second)) if !second.is_uppercase() => {
            first.to_lowercase().collect::<String>() + out.get(first.len_utf8()..).unwrap_or("")
        }
        (None, _) => "invalid input".to_string(),
        _ => out,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lone_surrogate_escapes_become_replacement_characters() {
        let fix = |s: &str| without_lone_surrogates(s.to_string());
        assert_eq!(fix(r#"{"a":"x\ud800y"}"#), r#"{"a":"x\ufffdy"}"#);
        assert_eq!(fix(r#"{"a":"\udc00\ud800"}"#), r#"{"a":"\ufffd\ufffd"}"#);
        assert_eq!(fix(r#"{"a":"\ud800"}"#), r#"{"a":"\ufffd"}"#, "at the end of a string");
        // Left alone: a valid pair, an escaped backslash before "ud800", other escapes, plain text.
        for kept in [r#"{"a":"\ud83d\ude00"}"#, r#"{"a":"\\ud800"}"#, r#"{"a":"\n\u00e9\"x"}"#, r#"{"a":"\ud8"}"#, "{}"] {
            assert_eq!(fix(kept), kept);
        }
        let parsed: serde_json::Value = serde_json::from_str(&fix(r#"{"a":"x\ud800y"}"#)).unwrap();
        assert_eq!(parsed["a"], "x\u{fffd}y");
    }

    #[derive(Debug, serde::Deserialize)]
    #[allow(dead_code)]
    struct Inner {
        count: u64,
    }
    #[derive(Debug, serde::Deserialize)]
    #[allow(dead_code)]
    struct Outer {
        inner: Option<Inner>,
    }

    #[test]
    fn errors_name_the_path_and_no_rust_types() {
        let err = parse_json::<Outer>(r#"{"inner":{"count":"7"}}"#, "invalid_context").unwrap_err();
        assert_eq!(err.path.as_deref(), Some("inner.count"));
        assert_eq!(
            err.message,
            "`inner.count`: invalid type: string \"7\", expected a whole number >= 0"
        );
        let err = parse_json::<Outer>("true", "invalid_context").unwrap_err();
        assert_eq!(err.path, None);
        assert_eq!(err.message, "invalid type: boolean `true`, expected an object");
    }

    #[test]
    fn syntax_errors_are_issues() {
        let err = parse_json::<Outer>("{", "invalid_context").unwrap_err();
        assert_eq!(err.code, "invalid_context");
        assert_eq!(err.path, None);
        assert_eq!(err.message, "EOF while parsing an object");
    }
}
