//! Reading Auth0 log-stream batches (the first slice of the control plane):
//! the body Auth0's custom-webhook log stream POSTs, as JSON lines (one log a
//! line, blank lines ignored) or as a JSON array, each log either Auth0's log
//! object itself, the custom webhook's wrapper `{ "log_id", "data": {...} }`, or
//! the EventBridge event `{ "detail": { "data": {...} } }`; or one log object,
//! however it is printed (the stream's "JSON Object" format).
//!
//! Each valid log becomes a [`LogEvent`] holding only what detection needs,
//! every optional string cut to a bound; everything else is dropped (the raw
//! line is the host's to keep). A line that cannot be read becomes a
//! [`Reject`] with a stable `reason_code` and never costs the other lines.
//! Within a batch a repeated `log_id` is kept once and counted
//! (`duplicates`); across batches, de-duplication is the store's (the
//! `log_id` is its unique key). The host does I/O only.

use std::collections::HashSet;

use serde::Serialize;
use serde_json::{Map, Value};

use crate::{clock, Answer, Issue};

/// Logs kept from one batch; further valid logs are rejected (`too_many_logs`).
pub const MAX_LOGS: usize = 10_000;
/// Entries (non-blank lines, array elements) read from one batch; the rest are
/// not read and reported by one reject (`too_many_entries`).
pub const MAX_ENTRIES: usize = 2 * MAX_LOGS;
/// A longer line (or array element) is rejected unread (`line_too_long`).
pub const MAX_LINE_BYTES: usize = 64 * 1024;
/// A longer `log_id` is rejected (`bad_log_id`): cutting a key would merge logs.
pub const MAX_LOG_ID_BYTES: usize = 128;
/// A longer `type` is rejected (`bad_type`): Auth0's codes are a few letters.
pub const MAX_TYPE_BYTES: usize = 32;

/// Bounds of the optional fields, in bytes (cut at a character boundary).
const SHORT: usize = 128;
const LONG: usize = 256;
const USER_AGENT: usize = 512;
const COUNTRY: usize = 8;

/// One Auth0 log, normalized: what later detection reads, nothing more.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct LogEvent {
    /// Auth0's id of the log: the de-duplication key.
    pub log_id: String,
    /// Where in the batch it was, as a [`Reject`]'s `index`.
    pub index: usize,
    /// Its text in the body, as UTF-8 byte offsets (`body[start..end]`): the host
    /// keeps the raw entry (the store holds the tenant's logs whole) without reading
    /// the body again. See [`Reject::start`].
    pub start: usize,
    pub end: usize,
    /// Auth0's event type code (`s`, `f`, `fp`, `fu`, `ss`, `gd_send_pn`, ...).
    #[serde(rename = "type")]
    pub event_type: String,
    /// The log's `date`, in ms since the epoch.
    pub date_ms: i64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ip: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub user_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub user_name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub client_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub connection: Option<String>,
    /// `organization_id`, or else `details.organization.id`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub organization_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub hostname: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub user_agent: Option<String>,
    /// `location_info.country_code`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub country_code: Option<String>,
    /// `location_info.latitude` and `.longitude` (degrees), both or neither: a
    /// pair out of range or not a number is dropped, never a reject.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub latitude: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub longitude: Option<f64>,
    /// Some `details.prompts[].performed_amr` includes `mfa`.
    pub mfa: bool,
}

/// A line (or array element) that was not read, and why. The message names
/// fields, never their values. Audit bodies' rejects are these too.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Reject {
    /// 0-based: the line of a JSON-lines body (blank lines count), the element of an array.
    pub index: usize,
    /// The entry's text in the body, as UTF-8 byte offsets (`body[start..end]`): a
    /// line without its `\n` or trailing `\r`, an array element's JSON text (no
    /// surrounding spaces), or a whole one-object body's. A JS host's body crosses
    /// the boundary as UTF-8 as `Buffer.from(body, 'utf8')` makes it (a lone
    /// surrogate is U+FFFD either way, and its `\uD800` escape is rewritten to the
    /// same length, `\uFFFD`), so the offsets index that buffer.
    pub start: usize,
    pub end: usize,
    pub reason_code: &'static str,
    pub message: String,
}

/// What a batch held: its distinct valid logs in order, the entries rejected,
/// and how many entries repeated a `log_id` already read in this batch.
#[derive(Debug, Clone, PartialEq, Serialize, Default)]
pub struct Batch {
    pub events: Vec<LogEvent>,
    pub rejects: Vec<Reject>,
    pub duplicates: usize,
}

/// Reads a log-stream body. Never fails: what cannot be read is a reject.
pub fn parse_batch(body: &str) -> Batch {
    let mut reader = Reader { batch: Batch::default(), seen: HashSet::new(), entries: 0 };
    let trimmed = body.trim_start();
    if trimmed.starts_with('[') {
        // A JSON array body; one that does not parse is read as lines (where
        // each line is then rejected or read on its own).
        if let Ok(elements) = serde_json::from_str::<Vec<&serde_json::value::RawValue>>(body) {
            let total = elements.len();
            for (index, element) in elements.into_iter().enumerate() {
                if !reader.entry(index, offset_in(body, element.get()), element.get(), total) {
                    break;
                }
            }
            return reader.batch;
        }
    }
    // One log a request (the stream's "JSON Object" format), printed over several
    // lines: one entry, at index 0. A single-line object is read as a line anyway.
    if trimmed.starts_with('{') && body.trim().contains('\n') {
        if let Ok(whole) = serde_json::from_str::<&serde_json::value::RawValue>(body) {
            reader.entry(0, offset_in(body, whole.get()), whole.get(), 1);
            return reader.batch;
        }
    }
    reader.lines(body);
    reader.batch
}

/// Reads a body as JSON lines only, whatever its first character: what a host
/// reading a file of lines in chunks wants (a chunk that happens to start with
/// a line `[...]` is still one entry a line). Otherwise as [`parse_batch`].
pub fn parse_lines(body: &str) -> Batch {
    let mut reader = Reader { batch: Batch::default(), seen: HashSet::new(), entries: 0 };
    reader.lines(body);
    reader.batch
}

/// [`parse_batch`] as the tagged answer of the other entry points; a batch
/// with repeated `log_id`s carries a `duplicates_in_batch` warning.
pub fn parse_log_batch_json(body: &str) -> Answer<Batch> {
    let batch = parse_batch(body);
    let mut warnings = Vec::new();
    if batch.duplicates > 0 {
        warnings.push(Issue::new(
            "duplicates_in_batch",
            None,
            format!("{} entries repeated a log_id already read in this batch and were kept once", batch.duplicates),
        ));
    }
    Answer::success(batch, warnings)
}

struct Reader {
    batch: Batch,
    seen: HashSet<String>,
    entries: usize,
}

impl Reader {
    fn lines(&mut self, body: &str) {
        let total = body.split('\n').filter(|l| !l.trim().is_empty()).count();
        for_each_line(body, |index, start, line| self.entry(index, start, line, total));
    }

    /// Reads one entry, at `start` in the body; false once no more entries are to be read.
    fn entry(&mut self, index: usize, start: usize, text: &str, total: usize) -> bool {
        let end = start.saturating_add(text.len());
        if self.entries >= MAX_ENTRIES {
            let left = total.saturating_sub(self.entries);
            let message = format!("{left} entries beyond the first {MAX_ENTRIES} were not read");
            self.batch.rejects.push(Reject { index, start, end, reason_code: "too_many_entries", message });
            return false;
        }
        self.entries = self.entries.saturating_add(1);
        match read_entry(text) {
            Err((reason_code, message)) => self.batch.rejects.push(Reject { index, start, end, reason_code, message }),
            Ok(mut event) => {
                (event.index, event.start, event.end) = (index, start, end);
                if self.seen.contains(&event.log_id) {
                    self.batch.duplicates = self.batch.duplicates.saturating_add(1);
                } else if self.batch.events.len() >= MAX_LOGS {
                    let message = format!("a batch keeps at most {MAX_LOGS} logs");
                    self.batch.rejects.push(Reject { index, start, end, reason_code: "too_many_logs", message });
                } else {
                    self.seen.insert(event.log_id.clone());
                    self.batch.events.push(event);
                }
            }
        }
        true
    }
}

/// Calls `f(index, start, line)` for each non-blank line of `body`, in order, until
/// `f` answers false: `index` counts every line (blank ones too, from 0), `start` is
/// the line's UTF-8 byte offset in `body`, and `line` is the line without its `\n`
/// or a trailing `\r` (so `body[start..start + line.len()]` is `line`). The one
/// line walker of log and audit bodies.
pub fn for_each_line(body: &str, mut f: impl FnMut(usize, usize, &str) -> bool) {
    let mut start = 0usize;
    for (index, line) in body.split('\n').enumerate() {
        let at = start;
        start = start.saturating_add(line.len()).saturating_add(1);
        if line.trim().is_empty() {
            continue;
        }
        if !f(index, at, line.strip_suffix('\r').unwrap_or(line)) {
            break;
        }
    }
}

/// Where `part`, a slice of `body` (a `RawValue` borrowed from it), starts in `body`;
/// 0 for a string that is not such a slice (never the case: serde_json borrows).
fn offset_in(body: &str, part: &str) -> usize {
    let at = (part.as_ptr() as usize).wrapping_sub(body.as_ptr() as usize);
    match at.checked_add(part.len()) {
        Some(end) if end <= body.len() => at,
        _ => 0,
    }
}

pub(crate) type Refusal = (&'static str, String);

/// The refusal of an entry over [`MAX_LINE_BYTES`], unread.
pub(crate) fn check_length(text: &str) -> Result<(), Refusal> {
    if text.len() > MAX_LINE_BYTES {
        return Err(("line_too_long", format!("{} bytes, over the limit of {MAX_LINE_BYTES}", text.len())));
    }
    Ok(())
}

fn read_entry(text: &str) -> Result<LogEvent, Refusal> {
    check_length(text)?;
    let value: Value = serde_json::from_str(text.trim()).map_err(|_| ("not_json", "not a JSON value".to_string()))?;
    let Value::Object(outer) = value else {
        return Err(("not_an_object", "not a JSON object".to_string()));
    };
    let (log, wrapper_id) = unwrap_log(&outer)?;
    read_log(log, wrapper_id)
}

/// The log inside its envelopes: EventBridge's `detail`, then the custom
/// webhook's `{ log_id, data }`. A log object has `type`; its envelopes do not.
fn unwrap_log(outer: &Map<String, Value>) -> Result<(&Map<String, Value>, Option<&Value>), Refusal> {
    let mut current = outer;
    if !current.contains_key("type") {
        if let Some(detail) = current.get("detail") {
            current = detail.as_object().ok_or_else(|| ("not_an_object", "`detail` is not an object".to_string()))?;
        }
    }
    if !current.contains_key("type") {
        if let Some(data) = current.get("data") {
            let log = data.as_object().ok_or_else(|| ("not_an_object", "`data` is not an object".to_string()))?;
            return Ok((log, current.get("log_id")));
        }
    }
    Ok((current, None))
}

fn read_log(log: &Map<String, Value>, wrapper_id: Option<&Value>) -> Result<LogEvent, Refusal> {
    let log_id = match log.get("log_id").filter(|v| !v.is_null()).or(wrapper_id.filter(|v| !v.is_null())) {
        None => return Err(("missing_log_id", "no `log_id`".to_string())),
        Some(Value::String(s)) if s.is_empty() => return Err(("missing_log_id", "`log_id` is empty".to_string())),
        Some(Value::String(s)) if s.len() > MAX_LOG_ID_BYTES => {
            return Err(("bad_log_id", format!("`log_id` is longer than {MAX_LOG_ID_BYTES} bytes")))
        }
        // A key is never altered (that could merge two logs), so one no database can
        // hold as text (PostgreSQL refuses NUL) is refused here rather than fail the batch.
        Some(Value::String(s)) if s.chars().any(char::is_control) => {
            return Err(("bad_log_id", "`log_id` holds a control character".to_string()))
        }
        Some(Value::String(s)) => s.clone(),
        Some(_) => return Err(("bad_log_id", "`log_id` is not a string".to_string())),
    };
    let event_type = match log.get("type") {
        None | Some(Value::Null) => return Err(("missing_type", "no `type`".to_string())),
        Some(Value::String(s)) if s.is_empty() => return Err(("missing_type", "`type` is empty".to_string())),
        Some(Value::String(s)) if s.len() > MAX_TYPE_BYTES => {
            return Err(("bad_type", format!("`type` is longer than {MAX_TYPE_BYTES} bytes")))
        }
        Some(Value::String(s)) if s.chars().any(char::is_control) => {
            return Err(("bad_type", "`type` holds a control character".to_string()))
        }
        Some(Value::String(s)) => s.clone(),
        Some(_) => return Err(("bad_type", "`type` is not a string".to_string())),
    };
    let date_ms = match log.get("date") {
        None | Some(Value::Null) => return Err(("missing_date", "no `date`".to_string())),
        Some(Value::String(s)) => clock::parse_rfc3339_ms(s).ok_or_else(|| ("bad_date", "`date` is not an RFC 3339 time".to_string()))?,
        Some(_) => return Err(("bad_date", "`date` is not a string".to_string())),
    };
    let details = log.get("details").and_then(Value::as_object);
    let organization_id = match optional(log, "organization_id", SHORT)? {
        Some(id) => Some(id),
        // Read leniently: `details` is free-form, and only this one value is wanted.
        None => details
            .and_then(|d| d.get("organization"))
            .and_then(|o| o.get("id"))
            .and_then(Value::as_str)
            .filter(|s| !s.is_empty())
            .map(|s| cut(s, SHORT)),
    };
    let location = log.get("location_info").and_then(Value::as_object);
    let (latitude, longitude) =
        match location.map(|l| (l.get("latitude").and_then(Value::as_f64), l.get("longitude").and_then(Value::as_f64))) {
            Some((Some(lat), Some(lon))) if (-90.0..=90.0).contains(&lat) && (-180.0..=180.0).contains(&lon) => (Some(lat), Some(lon)),
            _ => (None, None),
        };
    let country_code =
        location.and_then(|l| l.get("country_code")).and_then(Value::as_str).filter(|s| !s.is_empty()).map(|s| cut(s, COUNTRY));
    let mfa = details.and_then(|d| d.get("prompts")).and_then(Value::as_array).is_some_and(|prompts| prompts.iter().any(performed_mfa));
    Ok(LogEvent {
        index: 0,
        start: 0,
        end: 0,
        log_id,
        event_type,
        date_ms,
        ip: optional(log, "ip", SHORT)?,
        user_id: optional(log, "user_id", LONG)?,
        user_name: optional(log, "user_name", LONG)?,
        client_id: optional(log, "client_id", SHORT)?,
        connection: optional(log, "connection", LONG)?,
        organization_id,
        hostname: optional(log, "hostname", LONG)?,
        user_agent: optional(log, "user_agent", USER_AGENT)?,
        country_code,
        latitude,
        longitude,
        mfa,
    })
}

fn performed_mfa(prompt: &Value) -> bool {
    prompt.get("performed_amr").and_then(Value::as_array).is_some_and(|amr| amr.iter().any(|m| m.as_str() == Some("mfa")))
}

/// An optional top-level string: absent, null or empty is `None`; another type
/// rejects the log (`bad_field`); a long one is cut to `max` bytes.
fn optional(log: &Map<String, Value>, key: &str, max: usize) -> Result<Option<String>, Refusal> {
    match log.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) if s.is_empty() => Ok(None),
        Some(Value::String(s)) => Ok(Some(cut(s, max))),
        Some(_) => Err(("bad_field", format!("`{key}` is not a string"))),
    }
}

/// At most `max` bytes of `s`, cut at a character boundary, each NUL replaced by
/// U+FFFD: an attacker can put one in a failed login's values (`\u0000` escaped in
/// the JSON), and PostgreSQL's text refuses it, which would fail the whole batch.
fn cut(s: &str, max: usize) -> String {
    let mut out = if s.contains('\0') { s.replace('\0', "\u{FFFD}") } else { s.to_string() };
    crate::context::truncate_chars(&mut out, max);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn line(id: usize) -> String {
        format!(r#"{{"log_id":"9000{id}","type":"s","date":"2026-11-02T09:14:07.123Z","ip":"203.0.113.9","user_id":"auth0|u{id}"}}"#)
    }

    #[test]
    fn a_thousand_malformed_lines_cost_none_of_ten_thousand_good_ones() {
        let bad = [
            "not json",
            "[1,2]",
            r#"{"type":"s","date":"2026-11-02T09:14:07Z"}"#,
            r#"{"log_id":"x","date":"2026-11-02T09:14:07Z"}"#,
            r#"{"log_id":"y","type":"s","date":"yesterday"}"#,
        ];
        let codes = ["not_json", "not_an_object", "missing_log_id", "missing_type", "bad_date"];
        let mut lines = Vec::new();
        let mut expected = Vec::new();
        for i in 0..10_000 {
            lines.push(line(i));
            if i % 10 == 5 {
                let k = i / 10 % bad.len();
                expected.push((lines.len(), codes[k]));
                lines.push(bad[k].to_string());
            }
        }
        let batch = parse_batch(&lines.join("\n"));
        assert_eq!(batch.events.len(), 10_000);
        assert_eq!(batch.rejects.len(), 1_000);
        assert_eq!(batch.duplicates, 0);
        for (reject, (index, code)) in batch.rejects.iter().zip(&expected) {
            assert_eq!((reject.index, reject.reason_code), (*index, *code));
        }
        assert!(batch.events.iter().enumerate().all(|(i, e)| e.log_id == format!("9000{i}")));
    }

    #[test]
    fn logs_beyond_the_bound_are_rejected_and_entries_beyond_theirs_are_not_read() {
        let body: Vec<String> = (0..MAX_LOGS + 3).map(line).collect();
        let batch = parse_batch(&body.join("\n"));
        assert_eq!(batch.events.len(), MAX_LOGS);
        assert_eq!(batch.rejects.iter().filter(|r| r.reason_code == "too_many_logs").count(), 3);
        let body = "x\n".repeat(MAX_ENTRIES + 5);
        let batch = parse_batch(&body);
        assert_eq!(batch.rejects.len(), MAX_ENTRIES + 1);
        let last = batch.rejects.last().unwrap();
        assert_eq!((last.reason_code, last.index), ("too_many_entries", MAX_ENTRIES));
        assert!(last.message.starts_with("5 entries"), "{}", last.message);
    }

    #[test]
    fn a_nul_is_replaced_in_values_and_refused_in_keys() {
        let body = [
            r#"{"log_id":"a","type":"f","date":"2026-11-02T09:14:07Z","client_id":"x\u0000y","details":{"organization":{"id":"o\u0000"}}}"#,
            r#"{"log_id":"b\u0000","type":"f","date":"2026-11-02T09:14:07Z"}"#,
            r#"{"log_id":"c","type":"f\u0000","date":"2026-11-02T09:14:07Z"}"#,
        ]
        .join("\n");
        let batch = parse_batch(&body);
        assert_eq!(batch.events.len(), 1);
        assert_eq!(batch.events[0].client_id.as_deref(), Some("x\u{FFFD}y"));
        assert_eq!(batch.events[0].organization_id.as_deref(), Some("o\u{FFFD}"));
        let codes: Vec<_> = batch.rejects.iter().map(|r| (r.index, r.reason_code)).collect();
        assert_eq!(codes, vec![(1, "bad_log_id"), (2, "bad_type")]);
    }

    #[test]
    fn each_entry_says_where_its_text_is() {
        let at = |body: &str, start: usize, end: usize| body.get(start..end).unwrap().to_string();
        let a = r#"{"log_id":"é1","type":"s","date":"2026-11-02T09:14:07Z","n":12345678901234567890123}"#;
        let lines = format!("\r\n  {a}  \r\n\nnot json\r\n{a}");
        let batch = parse_batch(&lines);
        let e = &batch.events[0];
        assert_eq!((e.index, at(&lines, e.start, e.end)), (1, format!("  {a}  ")));
        let r: Vec<_> = batch.rejects.iter().map(|r| (r.index, at(&lines, r.start, r.end))).collect();
        assert_eq!(r, [(3, "not json".to_string())]);
        assert_eq!(batch.duplicates, 1);
        let array = format!(" [ {a} ,\n\t7, {{ }} ]\n");
        let batch = parse_batch(&array);
        assert_eq!(at(&array, batch.events[0].start, batch.events[0].end), a);
        let r: Vec<_> = batch.rejects.iter().map(|r| (r.index, at(&array, r.start, r.end))).collect();
        assert_eq!(r, [(1, "7".to_string()), (2, "{ }".to_string())]);
        let object = "\n{\n \"log_id\": \"😀\",\n \"type\": \"s\", \"date\": \"2026-11-02T09:14:07Z\"\n}\n\n";
        let batch = parse_batch(object);
        assert_eq!(at(object, batch.events[0].start, batch.events[0].end), object.trim());
    }

    #[test]
    fn long_values_are_cut_at_a_character_boundary() {
        assert_eq!(cut("ab\u{e9}", 3), "ab");
        assert_eq!(cut("\u{1f600}\u{1f600}", 5), "\u{1f600}");
        assert_eq!(cut("abc", 3), "abc");
    }

    #[test]
    fn dates_are_read_to_the_millisecond() {
        assert_eq!(clock::parse_rfc3339_ms("1970-01-01T00:00:01.5Z"), Some(1_500));
        assert_eq!(clock::parse_rfc3339_ms("1969-12-31T23:59:59.999Z"), Some(-1));
        assert_eq!(clock::parse_rfc3339_ms("2026-11-02T10:14:07.000+01:00"), clock::parse_rfc3339_ms("2026-11-02T09:14:07Z"));
        assert_eq!(clock::parse_rfc3339_ms("2026-11-02"), None);
    }
}
