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
        Issue { code, path, message: message.into() }
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
        assert_eq!(err.message, "`inner.count`: invalid type: string \"7\", expected a whole number >= 0");
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
