//! What the data-driven case files share (`tests/logs.rs`, `tests/detect.rs`):
//! lines written as a body, and the loop that reads every case of a folder,
//! compares its answer with `expected`, or writes it there under `BLESS=1`.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing, dead_code)]

use serde_json::Value;

/// JSON lines from a list: a string is a raw line, anything else is written as JSON.
pub fn lines_body(lines: &Value) -> String {
    let lines = lines.as_array().expect("`lines` is a list");
    lines.iter().map(|l| l.as_str().map(str::to_string).unwrap_or_else(|| l.to_string())).collect::<Vec<_>>().join("\n")
}

/// Every `tests/<folder>/*.json` case, in name order: `answer(case)` must equal its
/// `expected` (or is written there with `BLESS=1`); at least `min` cases.
pub fn check_cases(folder: &str, min: usize, answer: impl Fn(&Value) -> Value) {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests").join(folder);
    let bless = std::env::var_os("BLESS").is_some();
    let mut paths: Vec<_> = std::fs::read_dir(&dir).unwrap().flatten().map(|e| e.path()).collect();
    paths.sort();
    let mut n = 0;
    for path in paths.iter().filter(|p| p.extension().is_some_and(|e| e == "json")) {
        let mut case: Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
        let got = answer(&case);
        if bless {
            case["expected"] = got;
            std::fs::write(path, serde_json::to_string_pretty(&case).unwrap() + "\n").unwrap();
        } else {
            assert_eq!(got, case["expected"], "{}", path.display());
        }
        n += 1;
    }
    assert!(n >= min, "only {n} cases under {}", dir.display());
}
