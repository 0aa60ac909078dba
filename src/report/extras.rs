//! The few fields of a log the report reads beyond [`LogEvent`]: a failure's
//! `description` and `details.error` (what went wrong), and a token exchange's
//! `audience`. Read from the entry's own text (`body[start..end]`), only for the
//! types that need them, leniently: a field of an unexpected type is absent,
//! never a reason to drop the log (the log was already read and counted).

use std::borrow::Cow;

use serde::de::IgnoredAny;
use serde::Deserialize;

/// Longest text kept of each field (bytes, cut at a character boundary).
const MAX_TEXT: usize = 256;

#[derive(Debug, Default, PartialEq, Eq)]
pub struct Extras {
    /// `description`, `details.error.message`, `.oauthError` and `.type`, lowercased
    /// and joined by newlines: what a failure's cause is read from.
    pub failure_text: String,
    pub audience: Option<String>,
}

/// A field that is read when it has the expected type and ignored otherwise.
#[derive(Deserialize)]
#[serde(untagged)]
pub(super) enum Lenient<T> {
    Value(T),
    Other(IgnoredAny),
}

impl<T> Lenient<T> {
    pub(super) fn get(self) -> Option<T> {
        match self {
            Lenient::Value(v) => Some(v),
            Lenient::Other(_) => None,
        }
    }
}

pub(super) type Text<'a> = Option<Lenient<Cow<'a, str>>>;

#[derive(Deserialize, Default)]
struct Log<'a> {
    #[serde(borrow, default, rename = "type")]
    kind: Text<'a>,
    #[serde(borrow, default)]
    description: Text<'a>,
    #[serde(borrow, default)]
    audience: Text<'a>,
    #[serde(borrow, default)]
    details: Option<Lenient<Details<'a>>>,
    /// The custom webhook's `{ log_id, data }` and EventBridge's `{ detail: { data } }`
    /// (objects whenever the log was read at all: `logs::parse_batch` refuses others).
    #[serde(borrow, default)]
    data: Option<Box<Log<'a>>>,
    #[serde(borrow, default)]
    detail: Option<Box<Log<'a>>>,
}

#[derive(Deserialize, Default)]
struct Details<'a> {
    #[serde(borrow, default)]
    error: Option<Lenient<ErrorInfo<'a>>>,
}

#[derive(Deserialize, Default)]
struct ErrorInfo<'a> {
    #[serde(borrow, default)]
    message: Text<'a>,
    #[serde(borrow, default, rename = "oauthError")]
    oauth_error: Text<'a>,
    #[serde(borrow, default, rename = "type")]
    kind: Text<'a>,
}

fn text(t: Text<'_>) -> Option<String> {
    let mut s = t.and_then(Lenient::get)?.into_owned();
    crate::context::truncate_chars(&mut s, MAX_TEXT);
    (!s.is_empty()).then_some(s)
}

/// The log inside its envelopes (as `logs::parse_batch` unwraps them): the first
/// object with a `type`, from the outside in.
fn innermost(log: Log<'_>) -> Log<'_> {
    if log.kind.is_some() {
        return log;
    }
    if let Some(inner) = log.detail {
        return innermost(*inner);
    }
    match log.data {
        Some(inner) => *inner,
        None => Log::default(),
    }
}

/// The extra fields of one entry's text; empty when the text is not an object.
pub fn read(entry: &str) -> Extras {
    let Ok(outer) = serde_json::from_str::<Log<'_>>(entry.trim()) else {
        return Extras::default();
    };
    let log = innermost(outer);
    let audience = text(log.audience);
    let mut parts = vec![text(log.description)];
    if let Some(error) = log.details.and_then(Lenient::get).and_then(|d| d.error).and_then(Lenient::get) {
        parts.extend([text(error.message), text(error.oauth_error), text(error.kind)]);
    }
    let failure_text = parts.into_iter().flatten().collect::<Vec<_>>().join("\n").to_lowercase();
    Extras { failure_text, audience }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fields_are_read_in_any_envelope_and_leniently() {
        let bare =
            r#"{"type":"f","description":"Callback URL mismatch.","details":{"error":{"message":"X","oauthError":"invalid_request"}}}"#;
        assert_eq!(read(bare).failure_text, "callback url mismatch.\nx\ninvalid_request");
        let wrapped = format!(r#"{{"log_id":"1","data":{bare}}}"#);
        assert_eq!(read(&wrapped), read(bare));
        let bridge = format!(r#"{{"detail":{{"log_id":"1","data":{bare}}}}}"#);
        assert_eq!(read(&bridge), read(bare));
        let odd = r#"{"type":"seccft","description":7,"details":"text","audience":"https://api.example/"}"#;
        assert_eq!(read(odd), Extras { failure_text: String::new(), audience: Some("https://api.example/".into()) });
        assert_eq!(read("[1]"), Extras::default());
        let long = format!(r#"{{"type":"f","description":"{}é"}}"#, "a".repeat(255));
        assert_eq!(read(&long).failure_text.len(), 255);
    }
}
