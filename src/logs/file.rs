//! A file of JSON lines read as bodies, from its bytes, as the control plane's
//! `logs import` and `logs analyze` read one (`bodiesOf` and `linesOf` in
//! server/lib/import.js): what a host hands over is the file's bytes as they come
//! off the disk, never a JavaScript string of them. Each body is then read by
//! [`super::parse_batch`], as the host would read the body it built.
//!
//! The JavaScript reading it reproduces: the bytes are decoded as UTF-8 (each
//! invalid sequence becomes U+FFFD, as Node's `StringDecoder` makes it) and cut
//! into lines at `\n`; a line loses one trailing `\r` (not the file's last line,
//! which has no `\n`) and is cut to [`MAX_LINE_UNITS`] UTF-16 code units; a line
//! that is blank as JavaScript's `trim()` sees it is skipped; one that starts with
//! `[` (after JavaScript's `trimStart()`) is a body alone (a stream body saved in
//! Auth0's JSON-array form); the others are joined with `\n` into bodies of
//! [`BATCH_LINES`] lines.
//!
//! Memory is bounded by a body and one line: a longer line keeps its first
//! [`MAX_LINE_UNITS`] code units (at most three bytes each), the rest is dropped
//! as it comes.

/// Lines of a body (`ANALYZE_CHUNK_LINES` in server/bin/actionguard.js, under the
/// core's 10,000 logs a body).
pub const BATCH_LINES: usize = 5_000;
/// A line is cut to this many UTF-16 code units (`MAX_LINE_CHARS` in import.js).
pub const MAX_LINE_UNITS: usize = 8 * 1024 * 1024;
/// The bytes of a line kept to cut it there: a UTF-16 code unit is at most three
/// bytes of UTF-8 (an invalid byte, one U+FFFD, is one).
const MAX_LINE_HELD: usize = 3 * MAX_LINE_UNITS;

/// The reading of one file: [`LineFile::push`] its bytes in order, then
/// [`LineFile::finish`]; each gives the bodies completed to `body`.
#[derive(Debug, Default)]
pub struct LineFile {
    /// The bytes of the line being read (the file's bytes since the last `\n`).
    pending: Vec<u8>,
    /// The line being read is longer than is kept: its further bytes are dropped.
    overlong: bool,
    /// The body being built, and its lines.
    chunk: String,
    lines: usize,
}

impl LineFile {
    pub fn new() -> LineFile {
        LineFile::default()
    }

    /// Reads the next bytes of the file.
    pub fn push(&mut self, mut bytes: &[u8], body: &mut impl FnMut(&str)) {
        while let Some(nl) = find_newline(bytes) {
            let (line, rest) = bytes.split_at(nl);
            bytes = rest.get(1..).unwrap_or_default();
            if self.pending.is_empty() && !self.overlong {
                // The common case: the whole line is in this push, read in place.
                self.line(line, true, body);
            } else {
                self.hold(line);
                let held = std::mem::take(&mut self.pending);
                self.overlong = false;
                self.line(&held, true, body);
                self.pending = held;
                self.pending.clear();
            }
        }
        self.hold(bytes);
    }

    /// The end of the file: its last line (if it did not end in `\n`) and the last body.
    pub fn finish(&mut self, body: &mut impl FnMut(&str)) {
        if !self.pending.is_empty() {
            let held = std::mem::take(&mut self.pending);
            self.overlong = false;
            self.line(&held, false, body);
        }
        self.flush(body);
    }

    fn hold(&mut self, bytes: &[u8]) {
        let room = MAX_LINE_HELD.saturating_sub(self.pending.len());
        self.pending.extend_from_slice(bytes.get(..room.min(bytes.len())).unwrap_or_default());
        if bytes.len() > room {
            self.overlong = true;
        }
    }

    /// One line of the file (without its `\n`); `ended`: it had one.
    fn line(&mut self, bytes: &[u8], ended: bool, body: &mut impl FnMut(&str)) {
        // Valid UTF-8 (the common case) is checked by the fast validator, borrowed.
        let text = match std::str::from_utf8(bytes) {
            Ok(text) => std::borrow::Cow::Borrowed(text),
            Err(_) => String::from_utf8_lossy(bytes),
        };
        let mut text = cut_to_units(&text, MAX_LINE_UNITS);
        if ended && text.ends_with('\r') {
            text.to_mut().pop();
        }
        let Some(first) = text.chars().find(|c| !is_js_space(*c)) else { return };
        if first == '[' {
            self.flush(body);
            body(&text);
            return;
        }
        if self.lines > 0 {
            self.chunk.push('\n');
        }
        self.chunk.push_str(&text);
        self.lines = self.lines.saturating_add(1);
        if self.lines >= BATCH_LINES {
            self.flush(body);
        }
    }

    fn flush(&mut self, body: &mut impl FnMut(&str)) {
        if self.lines > 0 {
            body(&self.chunk);
        }
        self.chunk.clear();
        self.lines = 0;
    }
}

/// The first `\n` in `bytes`, eight bytes a step (a byte at a time is most of the
/// reading's cost in WebAssembly, which has no `memchr`).
fn find_newline(bytes: &[u8]) -> Option<usize> {
    const LOW: u64 = 0x0101_0101_0101_0101;
    const HIGH: u64 = 0x8080_8080_8080_8080;
    const NEWLINES: u64 = 0x0a0a_0a0a_0a0a_0a0a;
    let mut words = bytes.chunks_exact(8);
    let mut at = 0usize;
    for word in &mut words {
        let mut eight = [0u8; 8];
        eight.copy_from_slice(word);
        let x = u64::from_le_bytes(eight) ^ NEWLINES;
        // A zero byte of x (a newline of the word) sets its high bit here.
        if x.wrapping_sub(LOW) & !x & HIGH != 0 {
            return word.iter().position(|b| *b == b'\n').map(|i| at + i);
        }
        at += 8;
    }
    words.remainder().iter().position(|b| *b == b'\n').map(|i| at + i)
}

/// JavaScript's white space and line terminators, what `trim()` removes (ECMAScript's
/// WhiteSpace and LineTerminator: U+FEFF is one, U+0085 is not).
fn is_js_space(c: char) -> bool {
    matches!(
        c,
        '\t' | '\n' | '\u{B}' | '\u{C}' | '\r' | ' ' | '\u{A0}' | '\u{1680}' | '\u{2000}'
            ..='\u{200A}' | '\u{2028}' | '\u{2029}' | '\u{202F}' | '\u{205F}' | '\u{3000}' | '\u{FEFF}'
    )
}

/// The first `max` UTF-16 code units of `text`, as JavaScript's `slice` keeps them:
/// a pair cut in half leaves its lone first half, which becomes U+FFFD in UTF-8.
fn cut_to_units<'a>(text: &std::borrow::Cow<'a, str>, max: usize) -> std::borrow::Cow<'a, str> {
    // Fewer bytes than units allowed: no cut (a unit is at least one byte).
    if text.len() <= max {
        return text.clone();
    }
    let mut units = 0usize;
    for (at, c) in text.char_indices() {
        let next = units.saturating_add(c.len_utf16());
        if next > max {
            let mut kept = text.get(..at).unwrap_or_default().to_string();
            if units < max {
                kept.push('\u{FFFD}');
            }
            return std::borrow::Cow::Owned(kept);
        }
        units = next;
    }
    text.clone()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bodies(chunks: &[&[u8]]) -> Vec<String> {
        let mut out = Vec::new();
        let mut file = LineFile::new();
        for chunk in chunks {
            file.push(chunk, &mut |b| out.push(b.to_string()));
        }
        file.finish(&mut |b| out.push(b.to_string()));
        out
    }

    #[test]
    fn lines_are_joined_into_bodies_and_arrays_go_alone() {
        let text = "a\r\n\n \t\n\u{FEFF}\nb\r\r\n  [1,2]\r\nc\n\u{85}\n\u{FEFF}[3]\nd\r";
        assert_eq!(bodies(&[text.as_bytes()]), ["a\nb\r", "  [1,2]", "c\n\u{85}", "\u{FEFF}[3]", "d\r"]);
        // The same, however the bytes are cut (inside a line, a character, a CRLF).
        for step in 1..8 {
            let chunks: Vec<&[u8]> = text.as_bytes().chunks(step).collect();
            assert_eq!(bodies(&chunks), bodies(&[text.as_bytes()]), "{step}");
        }
    }

    #[test]
    fn newlines_are_found_wherever_they_are() {
        for len in 0..40 {
            for nl in 0..=len {
                let mut bytes = vec![b'x'; len];
                if let Some(b) = bytes.get_mut(nl) {
                    *b = b'\n';
                }
                bytes.push(b'\n');
                assert_eq!(find_newline(&bytes), Some(nl.min(len)), "{len} {nl}");
                assert_eq!(find_newline(bytes.get(..nl.min(len)).unwrap()), None);
            }
        }
        assert_eq!(find_newline("\u{e9}\u{10a0a}\n".as_bytes()), Some(6), "bytes of other characters are not newlines");
    }

    #[test]
    fn bodies_hold_at_most_the_batch_s_lines() {
        let text = "{}\n".repeat(BATCH_LINES * 2 + 1);
        let got = bodies(&[text.as_bytes()]);
        assert_eq!(got.iter().map(|b| b.lines().count()).collect::<Vec<_>>(), [BATCH_LINES, BATCH_LINES, 1]);
    }

    #[test]
    fn invalid_utf8_is_replaced_and_long_lines_are_cut_in_code_units() {
        assert_eq!(bodies(&[b"a\xffb\n\xe2\x82\n"]), ["a\u{FFFD}b\n\u{FFFD}"]);
        let cut = |s: &str, max| cut_to_units(&std::borrow::Cow::Borrowed(s), max).into_owned();
        assert_eq!(cut("ab\u{1F600}c", 3), "ab\u{FFFD}", "half a pair");
        assert_eq!(cut("ab\u{1F600}c", 4), "ab\u{1F600}");
        assert_eq!(cut("\u{e9}\u{e9}\u{e9}", 2), "\u{e9}\u{e9}");
        assert_eq!(cut("abc", 3), "abc");
    }
}
