//! The public suffix list as data: where a registrable domain begins.
//!
//! The rules are the `psl` crate's (the version in Cargo.lock, which republishes
//! publicsuffix.org's list, private section included), written to
//! `data/public-suffix-list.txt` one per line with the labels from the top level
//! down (`uk.co`, `jp.kawasaki.*`, `jp.kawasaki.!city`), sorted, internationalized
//! labels in their ASCII (`xn--`) form, the form `email::normalize_domain` gives.
//! A lookup is a few binary searches in that text, with nothing to build at start:
//! `psl` compiled the list into code (0.9 MB of the module, and more of its data),
//! which V8 validated at every cold start (docs/benchmarks.md, "Module size").
//! The tests check the file against `psl`'s list and every answer against
//! `psl::domain_str`; `scripts/refresh-lists` rewrites the file after `cargo update -p psl`.

const LIST: &str = include_str!("../data/public-suffix-list.txt");

/// The first line of the list at or after `key` in byte order (the list is sorted).
fn lower_bound(key: &str) -> Option<&'static str> {
    let text = LIST.as_bytes();
    let (mut lo, mut hi) = (0, text.len());
    let mut found = None;
    // `lo` is always a line's start; the answer, if any, starts in [lo, hi).
    while lo < hi {
        let mid = lo + (hi - lo) / 2;
        let start = text.get(..mid).and_then(|t| t.iter().rposition(|&b| b == b'\n')).map_or(0, |p| p + 1).max(lo);
        let end = text.get(start..).and_then(|t| t.iter().position(|&b| b == b'\n')).map_or(text.len(), |p| start + p);
        let line = LIST.get(start..end).unwrap_or_default();
        if line < key {
            lo = end + 1;
        } else {
            found = Some(line);
            hi = start;
        }
    }
    found
}

fn has_line(line: &str) -> bool {
    lower_bound(line) == Some(line)
}

/// Whether a rule lies below `path` (labels from the top level down, dotted).
fn has_below(path: &str, scratch: &mut String) -> bool {
    scratch.clear();
    scratch.push_str(path);
    scratch.push('.');
    lower_bound(scratch).is_some_and(|l| l.starts_with(scratch.as_str()))
}

/// The length in bytes of the public suffix of `labels` (from the top level
/// down), walking the rules as `psl`'s generated code does: a listed label
/// is followed before a wildcard (so `*.futurecms.at` does not make
/// `ex.futurecms.at` a suffix, there being rules below `ex`), an exception
/// (`!`) stops at its parent, and an unlisted top-level label is a suffix.
fn suffix_len<'a>(mut labels: impl Iterator<Item = &'a str>) -> usize {
    let Some(top) = labels.next() else { return 0 };
    let mut len = top.len();
    // The path walked so far (`jp.kawasaki`) and its length in the name (`kawasaki.jp`).
    let mut path = top.to_string();
    let mut path_len = top.len();
    let (mut probe, mut scratch) = (String::new(), String::new());
    if !has_line(&path) && !has_below(&path, &mut scratch) {
        return len;
    }
    for label in labels {
        let node_len = path_len + 1 + label.len();
        probe.clear();
        probe.push_str(&path);
        probe.push_str(".!");
        probe.push_str(label);
        if has_line(&probe) {
            // An exception: the suffix is its parent.
            return path_len;
        }
        probe.clear();
        probe.push_str(&path);
        probe.push('.');
        probe.push_str(label);
        let listed = has_line(&probe);
        if !listed && !has_below(&probe, &mut scratch) {
            // No rule names this label: a wildcard may, and the walk ends.
            probe.clear();
            probe.push_str(&path);
            probe.push_str(".*");
            if has_line(&probe) {
                len = node_len;
            }
            return len;
        }
        if listed {
            len = node_len;
        }
        path.push('.');
        path.push_str(label);
        path_len = node_len;
    }
    len
}

/// The registrable domain of `name` (its public suffix and one label more), or
/// None when `name` is a public suffix or shorter: what `psl::domain_str` answers,
/// a trailing dot included (kept out of the answer).
pub fn registrable_domain(name: &str) -> Option<&str> {
    let (bare, fqdn) = match name.strip_suffix('.') {
        Some(bare) => (bare, true),
        None => (name, false),
    };
    let len = suffix_len(bare.rsplit('.')) + usize::from(fqdn);
    if len == 0 || name.len() < len + 2 {
        return None;
    }
    let subdomain = name.get(..name.len() - (1 + len))?;
    let root = subdomain.rsplit('.').next()?;
    let domain = name.get(name.len() - (root.len() + 1 + len)..)?;
    Some(if fqdn { domain.strip_suffix('.').unwrap_or(domain) } else { domain })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `psl`'s own copy of the list (data/rules.txt in its crate), found through
    /// `cargo metadata`: the version in Cargo.lock.
    fn psl_rules() -> String {
        let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
        let out = std::process::Command::new(cargo)
            .args(["metadata", "--format-version", "1", "--offline", "--manifest-path"])
            .arg(concat!(env!("CARGO_MANIFEST_DIR"), "/Cargo.toml"))
            .output()
            .unwrap();
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        let meta: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        let manifest = meta["packages"]
            .as_array()
            .unwrap()
            .iter()
            .find(|p| p["name"] == "psl")
            .and_then(|p| p["manifest_path"].as_str())
            .unwrap()
            .to_string();
        let dir = std::path::Path::new(&manifest).parent().unwrap();
        std::fs::read_to_string(dir.join("data/rules.txt")).unwrap()
    }

    fn ascii_rule(rule: &str) -> String {
        let (mark, rest) = match rule.strip_prefix('!') {
            Some(rest) => ("!", rest),
            None => ("", rule),
        };
        let labels: Vec<String> = rest
            .split('.')
            .map(|l| if l.is_ascii() { l.to_string() } else { format!("xn--{}", idna::punycode::encode_str(l).unwrap()) })
            .collect();
        // From the top level down, the mark on the last label: `jp.kawasaki.!city`.
        let mut labels = labels;
        labels.reverse();
        if let Some(last) = labels.last_mut() {
            last.insert_str(0, mark);
        }
        labels.join(".")
    }

    /// data/public-suffix-list.txt is psl's list in ASCII form, sorted. With
    /// ACTIONGUARD_WRITE_SUFFIX_LIST=1 this writes it (scripts/refresh-lists).
    #[test]
    fn the_file_is_psl_s_list() {
        let mut rules: Vec<String> =
            psl_rules().lines().map(str::trim).filter(|l| !l.is_empty() && !l.starts_with("//")).map(ascii_rule).collect();
        rules.sort();
        rules.dedup();
        let text = rules.join("\n") + "\n";
        if std::env::var_os("ACTIONGUARD_WRITE_SUFFIX_LIST").is_some() {
            std::fs::write(concat!(env!("CARGO_MANIFEST_DIR"), "/data/public-suffix-list.txt"), &text).unwrap();
            return;
        }
        assert!(text == LIST, "data/public-suffix-list.txt is not psl's list: run scripts/refresh-lists");
    }

    /// The same registrable domain as psl::domain_str, for names made from every
    /// rule (the rule, above it, below it, a wildcard's label, an exception).
    #[test]
    fn answers_as_psl_does() {
        let mut names: Vec<String> = Vec::new();
        for line in LIST.lines() {
            let mut labels: Vec<&str> = line.split('.').collect();
            labels.reverse();
            let plain = labels.join(".").trim_start_matches('!').replace('*', "w");
            names.push(plain.clone());
            names.push(format!("a.{plain}"));
            names.push(format!("b.a.{plain}"));
            names.push(format!("a.{plain}."));
            if let Some((_, parent)) = plain.split_once('.') {
                names.push(parent.to_string());
                names.push(format!("x.{parent}"));
                names.push(format!("y.x.{parent}"));
            }
        }
        for extra in [
            "",
            ".",
            "..",
            "com",
            "example.com",
            "a.b.example.com",
            "example.unknowntld",
            "unknowntld",
            "a..com",
            ".com",
            "example..",
            "www.ck",
            "a.www.ck",
            "b.ck",
            "a.b.ck",
            "city.kawasaki.jp",
            "a.city.kawasaki.jp",
            "x.kawasaki.jp",
            "a.x.kawasaki.jp",
            "co.uk",
            "bbc.co.uk",
            "news.bbc.co.uk",
            "github.io",
            "me.github.io",
            "a.me.github.io",
            "xn--85x722f.xn--55qx5d.cn",
            "a.xn--85x722f.xn--55qx5d.cn",
            "example.xn--fiqs8s",
        ] {
            names.push(extra.to_string());
        }
        let mut differ = Vec::new();
        for name in &names {
            let ours = registrable_domain(name);
            let theirs = psl::domain_str(name);
            if ours != theirs {
                differ.push(format!("{name:?}: ours {ours:?}, psl {theirs:?}"));
            }
        }
        assert!(names.len() > 50_000, "{}", names.len());
        assert!(
            differ.is_empty(),
            "{} of {}:\n{}",
            differ.len(),
            names.len(),
            differ.iter().take(30).cloned().collect::<Vec<_>>().join("\n")
        );
    }
}
