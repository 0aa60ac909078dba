//! Reading a customer's employee list: CSV with a header, as spreadsheets write
//! it (quoted fields, CRLF, a byte-order mark, `,` or `;` or tab). The `csv`
//! crate splits records and tells where each starts; it is lenient about quotes
//! by design (`a"b` and `"a"b` are read as text), so every record's raw bytes are
//! checked here too: a quote out of place usually means a cell was cut or pasted
//! wrong, and a row whose fields may have shifted is reported, never guessed at.

use crate::Issue;

/// The most of a list one import reads (a plan of this many rows still fits in a
/// stored request, [`super::MAX_ROWS`]).
pub const MAX_CSV_BYTES: usize = 2 * 1024 * 1024;

/// Header names each column is known by, compared lowercase with `_`, `-` and
/// spaces removed. The department column is `organizations.role_attribute`'s
/// name, else one of these.
const EMAIL_NAMES: [&str; 4] = ["email", "emailaddress", "mail", "workemail"];
const NAME_NAMES: [&str; 4] = ["name", "fullname", "displayname", "employeename"];
const DEPARTMENT_NAMES: [&str; 3] = ["department", "dept", "team"];

/// Where each column of interest is in a record.
#[derive(Debug, Clone, Copy)]
pub struct Columns {
    pub email: usize,
    pub name: Option<usize>,
    pub department: usize,
    /// The header's number of fields: every record must have as many.
    pub width: usize,
}

/// One record after the header, by its first line (1-based, as an editor shows it).
#[derive(Debug, Clone)]
pub enum Record {
    Fields {
        line: u64,
        fields: Vec<String>,
    },
    /// Not read as fields: `detail` says why, for people.
    Malformed {
        line: u64,
        detail: String,
    },
}

/// The list read: its columns and records, or a whole-file problem.
#[derive(Debug)]
pub struct Table {
    pub columns: Columns,
    pub records: Vec<Record>,
}

fn fail(code: &'static str, message: impl Into<String>) -> Issue {
    Issue::new(code, Some("csv".into()), message)
}

fn header_key(s: &str) -> String {
    s.trim().chars().filter(|c| !matches!(c, '_' | '-' | ' ' | '.')).flat_map(char::to_lowercase).collect()
}

/// `,`, `;` or tab: the one the header line uses most outside quotes (`,` when
/// none), as European spreadsheets export with `;`.
fn sniff_delimiter(text: &str) -> u8 {
    let mut counts = [(b',', 0usize), (b';', 0), (b'\t', 0)];
    let mut quoted = false;
    for b in text.bytes() {
        match b {
            b'"' => quoted = !quoted,
            b'\n' if !quoted => break,
            _ if !quoted => {
                for (d, n) in counts.iter_mut() {
                    if *d == b {
                        *n += 1;
                    }
                }
            }
            _ => {}
        }
    }
    // Ties go to the first (`,`): max_by_key keeps the last of equals, so reverse.
    counts.iter().rev().max_by_key(|(_, n)| *n).filter(|(_, n)| *n > 0).map_or(b',', |(d, _)| *d)
}

/// RFC 4180 quoting of one record's raw bytes (its line terminator excluded):
/// a field is either unquoted and free of `"`, or wholly quoted with `""` for a
/// quote inside and nothing between its closing quote and the next delimiter.
fn quoting_ok(raw: &[u8], delimiter: u8) -> Result<(), &'static str> {
    let mut i = 0;
    loop {
        if raw.get(i) == Some(&b'"') {
            i += 1;
            loop {
                match raw.get(i) {
                    None => return Err("a quoted field is never closed: the lines after it were read into it"),
                    Some(b'"') if raw.get(i + 1) == Some(&b'"') => i += 2,
                    Some(b'"') => {
                        i += 1;
                        break;
                    }
                    Some(_) => i += 1,
                }
            }
            match raw.get(i) {
                None => return Ok(()),
                Some(&c) if c == delimiter => i += 1,
                Some(_) => return Err("text follows a quoted field's closing quote"),
            }
        } else {
            loop {
                match raw.get(i) {
                    None => return Ok(()),
                    Some(&c) if c == delimiter => {
                        i += 1;
                        break;
                    }
                    Some(b'"') => return Err("a quote inside an unquoted field"),
                    Some(_) => i += 1,
                }
            }
        }
    }
}

fn strip_terminator(raw: &[u8]) -> &[u8] {
    let raw = raw.strip_suffix(b"\n").unwrap_or(raw);
    raw.strip_suffix(b"\r").unwrap_or(raw)
}

/// Finds the columns: `email` and the department (`role_attribute`'s name or
/// `department`) are required, and no column may be named twice.
fn columns(header: &[String], role_attribute: &str) -> Result<Columns, Issue> {
    let keys: Vec<String> = header.iter().map(|h| header_key(h)).collect();
    let attribute = header_key(role_attribute);
    let find = |names: &[&str]| -> Result<Option<usize>, Issue> {
        let found: Vec<usize> = keys.iter().enumerate().filter(|(_, k)| names.contains(&k.as_str())).map(|(i, _)| i).collect();
        match found.as_slice() {
            [] => Ok(None),
            [one] => Ok(Some(*one)),
            _ => Err(fail("duplicate_column", format!("the header names the column `{}` more than once", names.first().unwrap_or(&"")))),
        }
    };
    let email = find(&EMAIL_NAMES)?;
    let department = match find(&[attribute.as_str()])? {
        Some(i) => Some(i),
        None => find(&DEPARTMENT_NAMES)?,
    };
    let name = find(&NAME_NAMES)?;
    let missing: Vec<&str> =
        [("email", email.is_none()), ("department", department.is_none())].into_iter().filter(|(_, m)| *m).map(|(n, _)| n).collect();
    match (email, department) {
        (Some(email), Some(department)) => Ok(Columns { email, name, department, width: header.len() }),
        _ => {
            let named = if attribute == "department" { String::new() } else { format!(" (or `{role_attribute}`)") };
            Err(fail(
                "missing_columns",
                format!(
                    "the header (the first line) has no {} column: it needs `email` and `department`{named}, in any order and case",
                    missing.join(" or ")
                ),
            ))
        }
    }
}

/// Reads the list: the header's columns and every record after it with its line
/// number. Whole-file problems (too large, too many rows, no header, missing
/// columns) are errors; a bad record is a [`Record::Malformed`].
pub fn read(text: &str, role_attribute: &str, max_rows: usize) -> Result<Table, Issue> {
    if text.len() > MAX_CSV_BYTES {
        return Err(fail("too_large", format!("the list is over {MAX_CSV_BYTES} bytes: split it")));
    }
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let delimiter = sniff_delimiter(text);
    let mut reader =
        csv::ReaderBuilder::new().has_headers(false).flexible(true).delimiter(delimiter).trim(csv::Trim::None).from_reader(text.as_bytes());
    let bytes = text.as_bytes();
    let mut record = csv::ByteRecord::new();
    let mut header: Option<(Vec<String>, u64)> = None;
    let mut records = Vec::new();
    // Lines counted up to byte `counted`.
    let (mut line, mut counted) = (1u64, 0usize);
    loop {
        let start = reader.position().clone();
        match reader.read_byte_record(&mut record) {
            Ok(false) => break,
            Ok(true) => {}
            // Flexible and reading bytes, the reader has no error left but I/O on a
            // slice: report the place and stop rather than loop.
            Err(_) => return Err(fail("unreadable", format!("after line {line}: the list cannot be read as CSV"))),
        }
        // The record's own start: the reader's position may still be on the last
        // record's terminator (the `\n` of a CRLF) or blank lines, so its line
        // number is counted here from the bytes (as an editor counts them).
        let from = record.position().map_or(start.byte(), csv::Position::byte);
        let end = usize::try_from(reader.position().byte()).unwrap_or(usize::MAX).min(bytes.len());
        let mut first = usize::try_from(from).unwrap_or(usize::MAX).min(end);
        while matches!(bytes.get(first), Some(b'\r' | b'\n')) && first < end {
            first += 1;
        }
        line += bytes.get(counted..first).map_or(0, |b| b.iter().filter(|c| **c == b'\n').count() as u64);
        counted = counted.max(first);
        let raw = bytes.get(first..end).map(strip_terminator).unwrap_or_default();
        let quoting = quoting_ok(raw, delimiter);
        let fields: Vec<String> = record.iter().map(|f| String::from_utf8_lossy(f).into_owned()).collect();
        // A row of empty cells (`,,,`, as spreadsheets export trailing rows) is no one.
        if header.is_some() && quoting.is_ok() && fields.iter().all(|f| f.trim().is_empty()) {
            continue;
        }
        let Some((header_fields, _)) = &header else {
            if let Err(why) = quoting {
                return Err(fail("missing_columns", format!("the header (line {line}) is not well-formed CSV: {why}")));
            }
            header = Some((fields, line));
            continue;
        };
        if records.len() >= max_rows {
            return Err(fail("too_many_rows", format!("the list has more than {max_rows} rows: split it")));
        }
        let width = header_fields.len();
        records.push(match quoting {
            Err(why) => Record::Malformed { line, detail: why.to_string() },
            Ok(()) if fields.len() != width => {
                Record::Malformed { line, detail: format!("{} fields where the header has {width}", fields.len()) }
            }
            Ok(()) => Record::Fields { line, fields },
        });
    }
    let Some((header_fields, _)) = header else {
        return Err(fail("missing_columns", "the list is empty: its first line must be a header naming `email` and `department`"));
    };
    Ok(Table { columns: columns(&header_fields, role_attribute)?, records })
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing, clippy::panic)]
    use super::*;

    fn lines(t: &Table) -> Vec<(u64, Result<Vec<String>, String>)> {
        t.records
            .iter()
            .map(|r| match r {
                Record::Fields { line, fields } => (*line, Ok(fields.clone())),
                Record::Malformed { line, detail } => (*line, Err(detail.clone())),
            })
            .collect()
    }

    #[test]
    fn quoted_fields_crlf_bom_and_semicolons() {
        let t = read("\u{feff}Department;E-Mail;Name\r\n\"R&D; Labs\";a@x.example;\"Lee, \"\"Sam\"\"\"\r\n\r\nSales;b@x.example;\"two\r\nlines\"\r\nOps;c@x.example;c\r\n", "department", 10).unwrap();
        assert_eq!((t.columns.email, t.columns.department, t.columns.name), (1, 0, Some(2)));
        let got = lines(&t);
        assert_eq!(got[0], (2, Ok(vec!["R&D; Labs".into(), "a@x.example".into(), "Lee, \"Sam\"".into()])));
        // A blank line is skipped; a quoted newline keeps the next record's line right.
        assert_eq!(got[1].0, 4);
        assert_eq!(got[2], (6, Ok(vec!["Ops".into(), "c@x.example".into(), "c".into()])));
    }

    #[test]
    fn bad_quoting_and_field_counts_are_malformed_rows() {
        let t = read(
            "email,department\na@x.example,Sales,extra\nb@x\"y.example,Ops\n\"c@x.example\"z,Ops\nd@x.example\ne@x.example,\"Eng\n",
            "department",
            10,
        )
        .unwrap();
        let got = lines(&t);
        assert_eq!(got[0], (2, Err("3 fields where the header has 2".into())));
        assert_eq!(got[1], (3, Err("a quote inside an unquoted field".into())));
        assert_eq!(got[2], (4, Err("text follows a quoted field's closing quote".into())));
        assert_eq!(got[3], (5, Err("1 fields where the header has 2".into())));
        assert_eq!(got[4].0, 6);
        assert!(got[4].1.as_ref().unwrap_err().contains("never closed"));
    }

    #[test]
    fn whole_file_problems() {
        let code = |text: &str| read(text, "department", 3).unwrap_err().code;
        assert_eq!(code(""), "missing_columns");
        assert_eq!(code("name,department\nx,y"), "missing_columns");
        assert_eq!(code("email,Email,department\n"), "duplicate_column");
        assert_eq!(code("email,department\na,b\na,b\na,b\na,b\n"), "too_many_rows");
        assert_eq!(code(&"x".repeat(MAX_CSV_BYTES + 1)), "too_large");
        // The policy's attribute names the department column.
        let t = read("Email,Cost Center\na@x.example,42\n", "cost_center", 3).unwrap();
        assert_eq!(t.columns.department, 1);
    }

    #[test]
    fn delimiters_are_sniffed_from_the_header() {
        assert_eq!(sniff_delimiter("a;b;c\n1,2,3"), b';');
        assert_eq!(sniff_delimiter("a\tb\n"), b'\t');
        assert_eq!(sniff_delimiter("\"a;b\",c\n"), b',');
        assert_eq!(sniff_delimiter("abc"), b',');
    }
}
