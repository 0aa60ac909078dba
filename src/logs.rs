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

use std::hash::BuildHasher;

use hashbrown::HashTable;

use serde::Serialize;

use crate::{Answer, Issue};

mod entry;
mod file;

#[cfg(test)]
use entry::cut;
pub use file::LineFile;

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
    /// `organization_id`, or else `details.organization.id`, or else
    /// `details.body.organization.id` (where a sign-up, `ss`, carries it).
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
    parse_batch_with(body, None)
}

/// An entry's text as a host would have rewritten it before the core read it, when
/// that differs (`None` otherwise): see [`parse_batch_with`].
pub type Rewrite<'r> = &'r dyn Fn(&str) -> Option<String>;

/// [`parse_batch`], where an entry that cannot be read is read again as `rewrite`
/// makes it, when it does. For a host that hands the core text it has not rewritten
/// (a file's bytes) where another would rewrite every body first (a JavaScript string
/// crossing the boundary, whose lone-surrogate escapes become U+FFFD's): when the
/// rewrite leaves every text the JSON parser accepts as it is and keeps every length,
/// rewriting the failures only reads each entry as rewriting the whole body would,
/// without a pass over every body that has nothing to rewrite.
pub fn parse_batch_with(body: &str, rewrite: Option<Rewrite<'_>>) -> Batch {
    let mut reader = Reader { rewrite, ..Reader::default() };
    let trimmed = body.trim_start();
    if trimmed.starts_with('[') {
        // A JSON array body; one that does not parse is read as lines (where
        // each line is then rejected or read on its own).
        if let Ok(elements) = serde_json::from_str::<Vec<&serde_json::value::RawValue>>(body) {
            let total = elements.len();
            for (index, element) in elements.into_iter().enumerate() {
                if !reader.entry(index, offset_in(body, element.get()), element.get(), || total.saturating_sub(index)) {
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
            reader.entry(0, offset_in(body, whole.get()), whole.get(), || 1);
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
    let mut reader = Reader::default();
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

#[derive(Default)]
struct Reader<'r> {
    batch: Batch,
    rewrite: Option<Rewrite<'r>>,
    /// The `log_id`s read, as indexes of `batch.events` (by their hash: no copy of the id).
    seen: HashTable<usize>,
    entries: usize,
}

/// The hasher of `log_id`s within a batch (fixed: a batch's reading is deterministic).
fn id_hash(id: &str) -> u64 {
    foldhash::fast::FixedState::with_seed(0x6c6f_675f_6964).hash_one(id)
}

impl Reader<'_> {
    fn lines(&mut self, body: &str) {
        for_each_line(body, |index, start, line| {
            // Entries left unread are counted only once there are some.
            let remaining = || body.get(start..).map_or(0, |rest| rest.split('\n').filter(|l| !l.trim().is_empty()).count());
            self.entry(index, start, line, remaining)
        });
    }

    /// Reads one entry, at `start` in the body; false once no more entries are to be read.
    /// `remaining()`: the entries from this one to the end of the body.
    fn entry(&mut self, index: usize, start: usize, text: &str, remaining: impl FnOnce() -> usize) -> bool {
        let end = start.saturating_add(text.len());
        if self.entries >= MAX_ENTRIES {
            let left = remaining();
            let message = format!("{left} entries beyond the first {MAX_ENTRIES} were not read");
            self.batch.rejects.push(Reject { index, start, end, reason_code: "too_many_entries", message });
            return false;
        }
        self.entries = self.entries.saturating_add(1);
        let read = match read_entry(text) {
            Err(refusal) => match self.rewrite.and_then(|rewrite| rewrite(text)) {
                Some(rewritten) => read_entry(&rewritten),
                None => Err(refusal),
            },
            read => read,
        };
        match read {
            Err((reason_code, message)) => self.batch.rejects.push(Reject { index, start, end, reason_code, message }),
            Ok(mut event) => {
                (event.index, event.start, event.end) = (index, start, end);
                let hash = id_hash(&event.log_id);
                let events = &self.batch.events;
                let seen = self.seen.find(hash, |&i| events.get(i).is_some_and(|e| e.log_id == event.log_id)).is_some();
                if seen {
                    self.batch.duplicates = self.batch.duplicates.saturating_add(1);
                } else if self.batch.events.len() >= MAX_LOGS {
                    let message = format!("a batch keeps at most {MAX_LOGS} logs");
                    self.batch.rejects.push(Reject { index, start, end, reason_code: "too_many_logs", message });
                } else {
                    let events = &self.batch.events;
                    self.seen.insert_unique(hash, events.len(), |&i| events.get(i).map_or(0, |e| id_hash(&e.log_id)));
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

/// Whether the fast reading of an entry gives what the reference reading (a whole
/// `serde_json::Value`) gives: for the fuzz targets, not an interface.
#[doc(hidden)]
pub fn readings_agree(text: &str) -> bool {
    entry::readings_agree(text)
}

fn read_entry(text: &str) -> Result<LogEvent, Refusal> {
    check_length(text)?;
    entry::read(text)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clock;

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
    fn a_rewrite_reads_again_only_the_entries_that_fail() {
        let good = r#"{"log_id":"a","type":"s","date":"2026-11-02T09:14:07Z"}"#;
        let fixable = r#"{"log_id":"b","type":"s","date":"2026-11-02T09:14:07Z","user_name":"x\ud800"}"#;
        let body = format!("{good}\n{fixable}\nnot json");
        let asked = std::cell::RefCell::new(Vec::new());
        let rewrite = |text: &str| {
            asked.borrow_mut().push(text.to_string());
            Some(text.replace("\\ud800", "\\ufffd")).filter(|t| t != text)
        };
        let batch = parse_batch_with(&body, Some(&rewrite));
        assert_eq!(asked.into_inner(), [fixable, "not json"], "the good entry is not rewritten");
        assert_eq!(batch.events.iter().map(|e| e.log_id.as_str()).collect::<Vec<_>>(), ["a", "b"]);
        assert_eq!(batch.events[1].user_name.as_deref(), Some("x\u{FFFD}"));
        let fixed = &body[batch.events[1].start..batch.events[1].end];
        assert_eq!(fixed, fixable, "the entry's place is the text's own");
        assert_eq!(batch.rejects.iter().map(|r| (r.index, r.reason_code)).collect::<Vec<_>>(), [(2, "not_json")]);
        assert_eq!(parse_batch(&body).rejects.len(), 2, "without the rewrite, the lone surrogate is not JSON");
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
