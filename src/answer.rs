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
    match serde_json::from_str(json) {
        Ok(value) => Ok(value),
        Err(err) => {
            let path = error_path(json, &err);
            // "." is the root and "?" an unknown place (a syntax error at the end).
            let path = if path == "." || path == "?" { None } else { Some(path) };
            let message = humanize_serde_error(&err.to_string());
            let message = match &path {
                Some(p) => format!("`{p}`: {message}"),
                None => message,
            };
            Err(Issue::new(code, path, message))
        }
    }
}

/// The path of the field a failed parse of `json` stopped at, written as
/// `serde_path_to_error` writes it (`a.b[2].c`; `.` the root, `?` a place with
/// no name, such as a key still being read).
///
/// Found from the error's line and column, not by parsing again with path
/// tracking: tracking is generic code instantiated for every parsed type (0.59 MB
/// of the module when it was used, docs/benchmarks.md "Module size"), this is one
/// function. serde_json reports a type or value error just after the value it
/// read (before it, for an object or a list that was not read), and a syntax error
/// just after the byte it did not expect; the walk replays the text up to there.
pub fn error_path(json: &str, err: &serde_json::Error) -> String {
    let (line, column) = (err.line(), err.column());
    if line == 0 {
        return ".".to_string();
    }
    // serde_json counts lines from 1 and columns in bytes from the line's start.
    let mut start = 0;
    for _ in 1..line {
        match json.get(start..).and_then(|rest| rest.find('\n')) {
            Some(at) => start += at + 1,
            None => break,
        }
    }
    let offset = (start + column).min(json.len());
    let message = err.to_string();
    let syntax = err.is_syntax() || err.is_eof();
    // A syntax error's column includes the byte it rejected (at the end of the text,
    // there is none): the walk stops before it.
    let end = if syntax && offset > 0 && !(err.is_eof() && offset == json.len()) { offset - 1 } else { offset };
    // An enum written as `{"variant": ...}` is read by its key as a value: an error
    // there (an unknown variant, no key at all) is the enum's, not a field's.
    let enum_key = if message.starts_with("unknown variant") {
        EnumKey::Read
    } else if message.starts_with("expected value") {
        EnumKey::Missing
    } else {
        EnumKey::No
    };
    let value_due = message.starts_with("expected value");
    // A malformed number is the value's own, never the next one's.
    let in_number = message.starts_with("invalid number") || message.starts_with("number out of range");
    walk_path(json.as_bytes(), end, syntax && !in_number, enum_key, value_due, &message)
}

/// Whether the error is in an enum's key: read (an unknown variant) or missing.
#[derive(PartialEq)]
enum EnumKey {
    No,
    Read,
    Missing,
}

enum Frame {
    /// `key`: the key whose value comes or came, until the next comma.
    Object { key: Option<String>, colon: bool, started: bool, done: bool },
    /// `index`: the element being read; `started`: it has begun.
    Array { index: usize, started: bool, done: bool },
}

fn walk_path(text: &[u8], end: usize, syntax: bool, enum_key: EnumKey, value_due: bool, message: &str) -> String {
    let mut drop_key = false;
    let mut stack: Vec<Frame> = Vec::new();
    let at = |i: usize| text.get(i).copied();
    let begin_value = |stack: &mut Vec<Frame>| {
        if let Some(Frame::Array { started, .. } | Frame::Object { started, .. }) = stack.last_mut() {
            *started = true;
        }
    };
    let finish_value = |stack: &mut Vec<Frame>| match stack.last_mut() {
        Some(Frame::Array { done, .. } | Frame::Object { done, .. }) => *done = true,
        None => {}
    };
    let mut i = 0;
    while i < end {
        let Some(b) = at(i) else { break };
        match b {
            b' ' | b'\t' | b'\n' | b'\r' => i += 1,
            b':' => {
                if let Some(Frame::Object { colon, .. }) = stack.last_mut() {
                    *colon = true;
                }
                i += 1;
            }
            b'{' | b'[' => {
                begin_value(&mut stack);
                stack.push(if b == b'{' {
                    Frame::Object { key: None, colon: false, started: false, done: false }
                } else {
                    Frame::Array { index: 0, started: false, done: false }
                });
                i += 1;
            }
            b'}' | b']' => {
                stack.pop();
                finish_value(&mut stack);
                i += 1;
            }
            b',' => {
                match stack.last_mut() {
                    Some(Frame::Object { key, colon, started, done }) => {
                        *key = None;
                        *colon = false;
                        *started = false;
                        *done = false;
                    }
                    Some(Frame::Array { index, started, done }) => {
                        if *started {
                            *index += 1;
                        }
                        *started = false;
                        *done = false;
                    }
                    None => {}
                }
                i += 1;
            }
            b'"' => {
                // The closing quote, past escapes; none before `end`: the string is unfinished.
                let mut j = i + 1;
                let mut close = None;
                while j < end {
                    match at(j) {
                        Some(b'\\') => j += 2,
                        Some(b'"') => {
                            close = Some(j);
                            break;
                        }
                        _ => j += 1,
                    }
                }
                let is_key = matches!(stack.last(), Some(Frame::Object { key: None, .. }));
                match (close, stack.last_mut()) {
                    (Some(c), Some(Frame::Object { key, .. })) if is_key => {
                        let raw = text.get(i..=c).unwrap_or_default();
                        *key = Some(serde_json::from_slice::<String>(raw).unwrap_or_default());
                    }
                    (_, _) if is_key => {}
                    (Some(_), _) => {
                        begin_value(&mut stack);
                        finish_value(&mut stack);
                    }
                    (None, _) => begin_value(&mut stack),
                }
                i = close.map_or(end, |c| c + 1);
            }
            _ => {
                // A number or a literal: finished if something follows it before `end`.
                let mut j = i;
                while j < end && at(j).is_some_and(|c| !b" \t\n\r,:[]{}\"".contains(&c)) {
                    j += 1;
                }
                begin_value(&mut stack);
                // A whole number or literal cut by the end of the text is finished all
                // the same (`tru` is not).
                let scalar = text.get(i..j).unwrap_or_default();
                let whole = matches!(scalar, b"true" | b"false" | b"null")
                    || (scalar.first().is_some_and(|c| c.is_ascii_digit() || *c == b'-') && scalar.last().is_some_and(u8::is_ascii_digit));
                if j < end || whole {
                    finish_value(&mut stack);
                }
                i = j;
            }
        }
    }
    // No value where one was due: in a list, that element has begun.
    if let (true, Some(Frame::Array { started: started @ false, .. })) = (value_due, stack.last_mut()) {
        *started = true;
    }
    // A duplicate field is found by the object once it has read the key: the
    // object's own error.
    if message.starts_with("duplicate field") {
        if let Some(Frame::Object { key: key @ Some(_), started: false, .. }) = stack.last_mut() {
            *key = None;
            drop_key = true;
        }
    }
    let in_enum_key = match stack.last() {
        Some(Frame::Object { key, started: false, .. }) => match enum_key {
            EnumKey::Read => key.is_some(),
            EnumKey::Missing => key.is_none(),
            EnumKey::No => false,
        },
        _ => false,
    };
    if in_enum_key {
        stack.pop();
    }
    let mut path = String::new();
    let mut segments = 0;
    let last = stack.len().saturating_sub(1);
    for (n, frame) in stack.iter().enumerate() {
        // A syntax error after a finished value is in what comes next: the next
        // element, or a key not yet read.
        let next = syntax && n == last;
        match frame {
            // A syntax error between elements is the list's own.
            Frame::Array { started, done, .. } if next && (!*started || *done) => {}
            Frame::Array { index, .. } => {
                segments += 1;
                path.push_str(&format!("[{index}]"));
            }
            // A syntax error between a key and its value (no colon, the end of the
            // text) is the object's own.
            Frame::Object { key: Some(_), colon: false, .. } if next => {}
            Frame::Object { key: None, .. } if drop_key && n == last => {}
            Frame::Object { key, done, .. } => {
                segments += 1;
                if segments > 1 {
                    path.push('.');
                }
                match key {
                    Some(k) if !(next && *done) => path.push_str(k),
                    _ => path.push('?'),
                }
            }
        }
    }
    if segments == 0 {
        path.push('.');
    }
    path
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

    /// What `parse_json` answered when it parsed a second time with
    /// `serde_path_to_error` (before the walk in `error_path`): the reference.
    fn tracked<'a, T: serde::Deserialize<'a>>(json: &'a str) -> (String, String) {
        let de = &mut serde_json::Deserializer::from_str(json);
        match serde_path_to_error::deserialize::<_, T>(de) {
            Ok(_) => (String::new(), String::new()),
            Err(err) => (err.path().to_string(), err.inner().to_string()),
        }
    }

    fn walked<'a, T: serde::Deserialize<'a>>(json: &'a str) -> (String, String) {
        match serde_json::from_str::<T>(json) {
            Ok(_) => (String::new(), String::new()),
            Err(err) => (error_path(json, &err), err.to_string()),
        }
    }

    /// Every variant of a valid document that breaks it in one place: each value
    /// replaced by each JSON type, each key removed, an unknown key added.
    fn broken_variants(doc: &serde_json::Value) -> Vec<serde_json::Value> {
        use serde_json::{json, Value};
        let replacements = [
            json!("x"),
            json!(""),
            json!(7),
            json!(-1),
            json!(1.5),
            json!(true),
            json!(null),
            json!({}),
            json!([]),
            json!([1]),
            json!({"k": 1}),
        ];
        let mut out = Vec::new();
        match doc {
            Value::Object(map) => {
                for (k, v) in map {
                    let mut without = map.clone();
                    without.remove(k);
                    out.push(Value::Object(without));
                    for r in &replacements {
                        let mut m = map.clone();
                        m.insert(k.clone(), r.clone());
                        out.push(Value::Object(m));
                    }
                    for inner in broken_variants(v) {
                        let mut m = map.clone();
                        m.insert(k.clone(), inner);
                        out.push(Value::Object(m));
                    }
                }
                let mut extra = map.clone();
                extra.insert("zz_unknown".into(), json!(1));
                out.push(Value::Object(extra));
            }
            Value::Array(items) => {
                for (i, v) in items.iter().enumerate() {
                    for r in replacements.iter().cloned().chain(broken_variants(v)) {
                        let mut a = items.clone();
                        if let Some(slot) = a.get_mut(i) {
                            *slot = r;
                        }
                        out.push(Value::Array(a));
                    }
                }
            }
            _ => {}
        }
        out
    }

    /// The documents parse_json reads, from the golden cases and the examples.
    fn documents() -> Vec<(&'static str, serde_json::Value)> {
        let mut docs = Vec::new();
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
        let mut files: Vec<_> = std::fs::read_dir(root.join("tests/golden")).unwrap().map(|e| e.unwrap().path()).collect();
        files.sort();
        for f in files {
            let case: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(&f).unwrap()).unwrap();
            let trigger = case.get("trigger").and_then(|t| t.as_str()).unwrap_or("post-login");
            let kind = match trigger {
                "pre-user-registration" => "signup",
                "credentials-exchange" => "credentials",
                "organization-discovery" => "org",
                _ => "login",
            };
            if let Some(ctx) = case.get("context").filter(|c| c.is_object()) {
                docs.push((kind, ctx.clone()));
            }
            if let Some(policy) = case.get("policy").filter(|p| p.is_object()) {
                docs.push(("policy", policy.clone()));
            }
            if let Some(orgs) = case.get("organizations").filter(|o| o.is_array()) {
                docs.push(("orgs", orgs.clone()));
            }
        }
        let policy = std::fs::read_to_string(root.join("examples/policy.json")).unwrap();
        docs.push(("policy", serde_json::from_str(&policy).unwrap()));
        docs
    }

    fn compare(kind: &str, text: &str) -> ((String, String), (String, String)) {
        match kind {
            "login" => (tracked::<crate::context::LoginContext>(text), walked::<crate::context::LoginContext>(text)),
            "signup" => (tracked::<crate::signup::SignupContext>(text), walked::<crate::signup::SignupContext>(text)),
            "credentials" => {
                (tracked::<crate::credentials::CredentialsContext>(text), walked::<crate::credentials::CredentialsContext>(text))
            }
            "org" => (tracked::<crate::orgmap::OrgContext>(text), walked::<crate::orgmap::OrgContext>(text)),
            "orgs" => (tracked::<Vec<crate::orgmap::index::OrgRecord>>(text), walked::<Vec<crate::orgmap::index::OrgRecord>>(text)),
            _ => (tracked::<crate::policy::Policy>(text), walked::<crate::policy::Policy>(text)),
        }
    }

    /// The walk names the place serde_path_to_error named, for every type error,
    /// missing field and unknown field in the documents (compact and indented).
    #[test]
    fn the_walk_finds_the_path_tracking_found_on_type_errors() {
        let mut checked = 0;
        let mut failures = Vec::new();
        for (kind, doc) in documents() {
            for variant in broken_variants(&doc) {
                for text in [variant.to_string(), serde_json::to_string_pretty(&variant).unwrap()] {
                    let (want, got) = compare(kind, &text);
                    checked += 1;
                    if want != got && failures.len() < 20 {
                        failures.push(format!("{kind}: {text}\n  tracked {want:?}\n  walked  {got:?}"));
                    }
                }
            }
        }
        assert!(checked > 1000, "{checked}");
        assert!(failures.is_empty(), "{} of {checked}:\n{}", failures.len(), failures.join("\n"));
    }

    /// And on syntax errors: the documents cut at every byte, and with a stray
    /// byte inserted at every place.
    #[test]
    fn the_walk_finds_the_path_tracking_found_on_syntax_errors() {
        let mut checked = 0;
        let mut failures = Vec::new();
        for (kind, doc) in documents().into_iter().step_by(3) {
            for text in [doc.to_string(), serde_json::to_string_pretty(&doc).unwrap()] {
                let mut broken = Vec::new();
                for cut in 0..text.len() {
                    if let Some(head) = text.get(..cut) {
                        broken.push(head.to_string());
                        for stray in ["x", ",", "}", "]", "\"", ":", "{", "[", "1", "\\"] {
                            broken.push(format!("{head}{stray}{}", text.get(cut..).unwrap_or_default()));
                        }
                    }
                }
                for b in broken {
                    let (want, got) = compare(kind, &b);
                    checked += 1;
                    // Tracking did not check for trailing characters: a document with
                    // some after its end was accepted on the second parse.
                    if want.1.is_empty() && got.1.starts_with("trailing characters") {
                        continue;
                    }
                    // An invalid escape is reported after the hex digits it read, which
                    // may be past the string's end: the walk names the key after it.
                    if got.1.starts_with("invalid escape") || got.1.starts_with("invalid unicode") {
                        continue;
                    }
                    // Tracking did not see inside a value read raw (the stored history)
                    // or skipped (an unknown field, an assessment not read): the walk
                    // names the place in it.
                    if want.1 == got.1 && (got.0.starts_with(&format!("{}.", want.0)) || got.0.starts_with(&format!("{}[", want.0))) {
                        continue;
                    }
                    if want != got && failures.len() < 20 {
                        failures.push(format!("{kind}: {b}\n  tracked {want:?}\n  walked  {got:?}"));
                    }
                }
            }
        }
        assert!(failures.is_empty(), "{} of {checked}:\n{}", failures.len(), failures.join("\n"));
    }

    #[test]
    fn syntax_errors_are_issues() {
        let err = parse_json::<Outer>("{", "invalid_context").unwrap_err();
        assert_eq!(err.code, "invalid_context");
        assert_eq!(err.path, None);
        assert_eq!(err.message, "EOF while parsing an object");
    }
}
