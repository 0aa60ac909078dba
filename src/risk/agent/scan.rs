//! Small scanners in place of woothee's regular expressions, with the regex
//! crate's semantics where they decide an answer: case-sensitive unless
//! woothee says `(?i)`, `.` stops at a line feed, `\d` is any Unicode decimal
//! digit.

/// A text and the set of its adjacent byte pairs (hashed into 512 bits): a
/// token with a pair not in the set is not in the text. A user agent is tested
/// for a few hundred tokens, most of them absent: one pass over its bytes rules
/// most out without a search.
pub struct Text<'a> {
    text: &'a str,
    pairs: [u64; 8],
}

/// The bit of the pair `a`, `b` (multiplicative hashing: the top 9 bits).
fn pair_bit(a: u8, b: u8) -> (usize, u64) {
    let h = ((u32::from(a) << 8) | u32::from(b)).wrapping_mul(0x9E37_79B1) >> 23;
    ((h >> 6) as usize, 1 << (h & 63))
}

impl<'a> Text<'a> {
    pub fn new(text: &'a str) -> Self {
        let mut pairs = [0u64; 8];
        for w in text.as_bytes().windows(2) {
            if let [a, b] = *w {
                let (word, bit) = pair_bit(a, b);
                if let Some(p) = pairs.get_mut(word) {
                    *p |= bit;
                }
            }
        }
        Text { text, pairs }
    }

    pub fn as_str(&self) -> &'a str {
        self.text
    }

    /// `false` only if `needle` is certainly not in the text.
    fn may_contain(&self, needle: &str) -> bool {
        needle.as_bytes().windows(2).all(|w| match *w {
            [a, b] => {
                let (word, bit) = pair_bit(a, b);
                self.pairs.get(word).is_some_and(|p| p & bit != 0)
            }
            _ => true,
        })
    }

    pub fn contains(&self, needle: &str) -> bool {
        self.may_contain(needle) && self.text.contains(needle)
    }

    /// [`after`], for the whole text.
    pub fn after(&self, needle: &'a str) -> impl Iterator<Item = &'a str> + 'a {
        let text = if self.may_contain(needle) { self.text } else { "" };
        after(text, needle)
    }

    /// Whether `token` is followed by a version number somewhere (`token/([.0-9]+)`).
    pub fn version_after(&self, token: &'a str) -> bool {
        self.after(token).any(starts_with_version)
    }
}

/// The text after each occurrence of `needle`, overlapping ones included, in
/// order.
pub fn after<'a>(agent: &'a str, needle: &'a str) -> impl Iterator<Item = &'a str> + 'a {
    let step = needle.chars().next().map_or(1, char::len_utf8);
    let mut from = 0;
    std::iter::from_fn(move || {
        let at = from + agent.get(from..)?.find(needle)?;
        from = at + step;
        agent.get(at + needle.len()..)
    })
}

/// `[.0-9]`, the character of a version number.
fn is_version_char(c: char) -> bool {
    c == '.' || c.is_ascii_digit()
}

/// Whether a version number (`[.0-9]+`) starts `text`.
pub fn starts_with_version(text: &str) -> bool {
    text.starts_with(is_version_char)
}

/// `text` without the version number it starts with, if it starts with one.
pub fn strip_version_prefix(text: &str) -> Option<&str> {
    let rest = text.trim_start_matches(is_version_char);
    (rest.len() < text.len()).then_some(rest)
}

/// `text` without the version number it ends with, if it ends with one.
pub fn strip_version_suffix(text: &str) -> Option<&str> {
    let rest = text.trim_end_matches(is_version_char);
    (rest.len() < text.len()).then_some(rest)
}

/// Whether `text` contains `needle` (ASCII) in any ASCII case. Unicode
/// lowercasing (woothee's `to_lowercase`) turns no other character into one
/// of the needle's: the Kelvin sign becomes `k` and `İ` an `i` with a combining
/// dot, which no needle here has or can match.
pub fn contains_ignoring_ascii_case(text: &str, needle: &str) -> bool {
    text.as_bytes().windows(needle.len().max(1)).any(|w| w.eq_ignore_ascii_case(needle.as_bytes()))
}

/// Whether `c` is `n` (a lowercase ASCII letter, or another ASCII character)
/// under the regex crate's `(?i)`: Unicode simple case folding, which also
/// matches `ſ` (U+017F) with `s`. (It matches the Kelvin sign with `k` too, but
/// no word woothee matches in any case has a `k`.)
fn folds_to(c: char, n: char) -> bool {
    c.to_ascii_lowercase() == n || (n == 's' && c == '\u{17F}')
}

/// `text` without `needle` (lowercase ASCII) at its start, matched as `(?i)` does.
pub fn strip_prefix_ignoring_case<'a>(text: &'a str, needle: &str) -> Option<&'a str> {
    let mut chars = text.chars();
    for n in needle.chars() {
        if !chars.next().is_some_and(|c| folds_to(c, n)) {
            return None;
        }
    }
    Some(chars.as_str())
}

/// The text after each occurrence of `needle` (lowercase ASCII) matched as
/// `(?i)` does, in order.
pub fn after_ignoring_case<'a>(agent: &'a str, needle: &'a str) -> impl Iterator<Item = &'a str> + 'a {
    agent.char_indices().filter_map(move |(at, _)| agent.get(at..).and_then(|rest| strip_prefix_ignoring_case(rest, needle)))
}

/// `text` without the run of Unicode decimal digits (`\d+`) it starts with, if
/// it starts with one.
pub fn strip_decimal_prefix(text: &str) -> Option<&str> {
    let rest = text.trim_start_matches(is_decimal);
    (rest.len() < text.len()).then_some(rest)
}

/// `\d` of the regex crate (Unicode mode, as woothee compiles it): the general
/// category Nd.
fn is_decimal(c: char) -> bool {
    let at = DECIMAL_NUMBER.partition_point(|&(_, last)| last < c);
    c.is_ascii_digit() || DECIMAL_NUMBER.get(at).is_some_and(|&(first, _)| first <= c)
}

/// Unicode 16.0's decimal digits (Nd) beyond ASCII, as regex-syntax 0.8
/// tabulates them (`unicode_tables/perl_decimal.rs`, generated by ucd-generate).
const DECIMAL_NUMBER: &[(char, char)] = &[
    ('\u{660}', '\u{669}'),
    ('\u{6F0}', '\u{6F9}'),
    ('\u{7C0}', '\u{7C9}'),
    ('\u{966}', '\u{96F}'),
    ('\u{9E6}', '\u{9EF}'),
    ('\u{A66}', '\u{A6F}'),
    ('\u{AE6}', '\u{AEF}'),
    ('\u{B66}', '\u{B6F}'),
    ('\u{BE6}', '\u{BEF}'),
    ('\u{C66}', '\u{C6F}'),
    ('\u{CE6}', '\u{CEF}'),
    ('\u{D66}', '\u{D6F}'),
    ('\u{DE6}', '\u{DEF}'),
    ('\u{E50}', '\u{E59}'),
    ('\u{ED0}', '\u{ED9}'),
    ('\u{F20}', '\u{F29}'),
    ('\u{1040}', '\u{1049}'),
    ('\u{1090}', '\u{1099}'),
    ('\u{17E0}', '\u{17E9}'),
    ('\u{1810}', '\u{1819}'),
    ('\u{1946}', '\u{194F}'),
    ('\u{19D0}', '\u{19D9}'),
    ('\u{1A80}', '\u{1A89}'),
    ('\u{1A90}', '\u{1A99}'),
    ('\u{1B50}', '\u{1B59}'),
    ('\u{1BB0}', '\u{1BB9}'),
    ('\u{1C40}', '\u{1C49}'),
    ('\u{1C50}', '\u{1C59}'),
    ('\u{A620}', '\u{A629}'),
    ('\u{A8D0}', '\u{A8D9}'),
    ('\u{A900}', '\u{A909}'),
    ('\u{A9D0}', '\u{A9D9}'),
    ('\u{A9F0}', '\u{A9F9}'),
    ('\u{AA50}', '\u{AA59}'),
    ('\u{ABF0}', '\u{ABF9}'),
    ('\u{FF10}', '\u{FF19}'),
    ('\u{104A0}', '\u{104A9}'),
    ('\u{10D30}', '\u{10D39}'),
    ('\u{10D40}', '\u{10D49}'),
    ('\u{11066}', '\u{1106F}'),
    ('\u{110F0}', '\u{110F9}'),
    ('\u{11136}', '\u{1113F}'),
    ('\u{111D0}', '\u{111D9}'),
    ('\u{112F0}', '\u{112F9}'),
    ('\u{11450}', '\u{11459}'),
    ('\u{114D0}', '\u{114D9}'),
    ('\u{11650}', '\u{11659}'),
    ('\u{116C0}', '\u{116C9}'),
    ('\u{116D0}', '\u{116E3}'),
    ('\u{11730}', '\u{11739}'),
    ('\u{118E0}', '\u{118E9}'),
    ('\u{11950}', '\u{11959}'),
    ('\u{11BF0}', '\u{11BF9}'),
    ('\u{11C50}', '\u{11C59}'),
    ('\u{11D50}', '\u{11D59}'),
    ('\u{11DA0}', '\u{11DA9}'),
    ('\u{11F50}', '\u{11F59}'),
    ('\u{16130}', '\u{16139}'),
    ('\u{16A60}', '\u{16A69}'),
    ('\u{16AC0}', '\u{16AC9}'),
    ('\u{16B50}', '\u{16B59}'),
    ('\u{16D70}', '\u{16D79}'),
    ('\u{1CCF0}', '\u{1CCF9}'),
    ('\u{1D7CE}', '\u{1D7FF}'),
    ('\u{1E140}', '\u{1E149}'),
    ('\u{1E2F0}', '\u{1E2F9}'),
    ('\u{1E4F0}', '\u{1E4F9}'),
    ('\u{1E5F1}', '\u{1E5FA}'),
    ('\u{1E950}', '\u{1E959}'),
    ('\u{1FBF0}', '\u{1FBF9}'),
];
