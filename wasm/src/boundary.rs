//! The boundary: JavaScript values in as JSON text, answers out as plain objects.
//! Inputs cross as JSON text (one `JSON.stringify` call is cheaper than walking an
//! object field by field through the boundary), written into this module's memory
//! by one native `TextEncoder.encodeInto` call.

use actionguard::{Answer, Issue};
use wasm_bindgen::prelude::*;

/// Builds a JavaScript `Error` carrying a stable `code` property.
pub(crate) fn into_error(code: &str, message: &str) -> JsValue {
    let err = js_sys::Error::new(message);
    // Setting a property on a fresh Error cannot fail; ignore the Result anyway.
    let _ = js_sys::Reflect::set(&err, &JsValue::from_str("code"), &JsValue::from_str(code));
    err.into()
}

#[wasm_bindgen]
extern "C" {
    type TextEncoder;
    #[wasm_bindgen(constructor)]
    fn new() -> TextEncoder;
    /// Writes UTF-8 straight into a view of this module's memory.
    #[wasm_bindgen(method, js_name = encodeInto)]
    fn encode_into(this: &TextEncoder, text: &js_sys::JsString, into: &mut [u8]) -> EncodeIntoResult;
    type EncodeIntoResult;
    #[wasm_bindgen(method, getter)]
    fn written(this: &EncodeIntoResult) -> u32;
}

thread_local! {
    static ENCODER: TextEncoder = TextEncoder::new();
}

/// A JS string's text as UTF-8 in this module's memory. Not `as_string()`: its glue
/// copies ASCII one character at a time in JavaScript, on every decision's context;
/// `encodeInto` is one native call.
/// Lone surrogates become U+FFFD, as they do through `as_string()`.
fn utf8_of(text: &js_sys::JsString) -> Option<String> {
    // At most three bytes per UTF-16 code unit.
    let mut buf = vec![0u8; (text.length() as usize).checked_mul(3)?];
    let written = ENCODER.with(|encoder| encoder.encode_into(text, &mut buf).written()) as usize;
    buf.truncate(written);
    String::from_utf8(buf).ok()
}

/// JSON text for a JS value: strings pass as they are, objects are stringified.
/// `Err` carries a failure answer for values JSON cannot represent.
pub(crate) fn to_json(value: &JsValue, what: &str) -> Result<Option<String>, String> {
    if value.is_undefined() || value.is_null() {
        return Ok(None);
    }
    let text = |s: &js_sys::JsString| {
        utf8_of(s).map(|json| Some(without_lone_surrogates(json))).ok_or_else(|| format!("{what} is not valid text"))
    };
    if let Some(s) = value.dyn_ref::<js_sys::JsString>() {
        return text(s);
    }
    match js_sys::JSON::stringify(value) {
        // JSON.stringify returns undefined (not a string) for functions and symbols.
        Ok(s) => match s.dyn_ref::<js_sys::JsString>() {
            Some(s) => text(s),
            None => Err(format!("{what} is not representable as JSON")),
        },
        Err(_) => Err(format!("{what} is not representable as JSON (a cycle or a BigInt)")),
    }
}

pub(crate) fn answer_to_js<T: serde::Serialize>(answer: &Answer<T>) -> Result<JsValue, JsValue> {
    let text = serde_json::to_string(answer).map_err(|e| into_error("internal", &e.to_string()))?;
    js_sys::JSON::parse(&text).map_err(|_| into_error("internal", "answer is not valid JSON"))
}

pub(crate) fn failure_to_js(code: &'static str, message: String) -> Result<JsValue, JsValue> {
    answer_to_js::<()>(&Answer::failure(Issue::new(code, None, message)))
}

/// Runs `f` on the JSON text of a required input; a missing or unrepresentable
/// input is a failure answer with `code`, never a throw.
pub(crate) fn with_json(
    value: &JsValue,
    what: &str,
    code: &'static str,
    f: impl FnOnce(&str) -> Result<JsValue, JsValue>,
) -> Result<JsValue, JsValue> {
    match to_json(value, what) {
        Ok(Some(json)) => f(&json),
        Ok(None) => failure_to_js(code, format!("{what} is missing")),
        Err(message) => failure_to_js(code, message),
    }
}

/// JSON text with every unpaired UTF-16 surrogate escape (`\ud800` alone) made
/// U+FFFD. `JSON.stringify` writes a lone surrogate in a JS string that way, and
/// serde_json refuses it, which would fail a whole login over one stray character
/// anyone with Management API access could leave in the user's metadata. A raw
/// lone surrogate becomes U+FFFD on its way into memory; this treats the escaped
/// form alike. Text without `\u` is returned as it is.
pub(crate) fn without_lone_surrogates(json: String) -> String {
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
}
