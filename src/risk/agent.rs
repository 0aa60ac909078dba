//! What the user agent says about the client: a coarse device fingerprint
//! (browser, OS, device class) and whether it is an automation client or a
//! headless browser, which people logging in are not.
//!
//! The fingerprint is woothee 0.13's answer (name, OS, category), by a port of
//! the branches of its parser that decide those three ([`device`]): substring
//! tests in woothee's order and small scanners where woothee has a regular
//! expression, with no regex engine in the module. Fingerprints are kept in
//! login histories, so the port must answer as woothee did, byte for byte: the
//! corpus test below holds the answers, and woothee (a dev-dependency) is the
//! reference the port is checked against (`differential`).

mod appliances;
mod browsers;
mod crawlers;
mod device;
#[cfg(test)]
mod differential;
mod labels;
mod phones;
mod scan;
mod systems;
mod tools;

/// Substrings (lowercase) of HTTP libraries and tools, not browsers.
const AUTOMATION: &[&str] = &[
    "curl/",
    "wget/",
    "python-requests",
    "python-urllib",
    "aiohttp",
    "httpx",
    "go-http-client",
    "okhttp",
    "java/",
    "apache-httpclient",
    "postmanruntime",
    "node-fetch",
    "axios/",
    "undici",
    "libwww-perl",
    "scrapy",
    "powershell",
    "httpie",
];
/// Substrings (lowercase) of browsers driven by programs.
const HEADLESS: &[&str] = &["headlesschrome", "phantomjs", "puppeteer", "playwright", "selenium", "webdriver"];

#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Agent {
    /// `browser/os/category`, stable across browser updates.
    pub fingerprint: Option<String>,
    pub automation: bool,
    pub headless: bool,
    pub missing: bool,
}

/// Distinct user agents kept per instance. A tenant's logins come from a few hundred
/// browser builds, and classifying a string (a few hundred substring tests, for
/// the fingerprint and the automation and headless tokens) still costs several
/// times a lookup, a noticeable part of a decision; a full cache is emptied, not
/// evicted entry by entry, which is cheap and bounds its memory.
const CACHE_ENTRIES: usize = 512;
/// Longer strings are classified every time, never kept.
const CACHE_MAX_UA: usize = 512;

pub fn classify(user_agent: Option<&str>) -> Agent {
    use std::collections::HashMap;
    use std::sync::{Mutex, OnceLock};
    static CACHE: OnceLock<Mutex<HashMap<String, Agent>>> = OnceLock::new();

    let Some(ua) = user_agent.map(str::trim).filter(|s| !s.is_empty()) else {
        return Agent { missing: true, ..Agent::default() };
    };
    if ua.len() > CACHE_MAX_UA {
        return classify_uncached(ua);
    }
    let cache = CACHE.get_or_init(|| Mutex::new(HashMap::with_capacity(CACHE_ENTRIES)));
    if let Some(hit) = cache.lock().ok().and_then(|c| c.get(ua).cloned()) {
        return hit;
    }
    let agent = classify_uncached(ua);
    if let Ok(mut c) = cache.lock() {
        if c.len() >= CACHE_ENTRIES {
            c.clear();
        }
        c.insert(ua.to_string(), agent.clone());
    }
    agent
}

fn classify_uncached(ua: &str) -> Agent {
    let lower = ua.to_ascii_lowercase();
    let tokens = scan::Text::new(&lower);
    let headless = HEADLESS.iter().any(|t| tokens.contains(t));
    let mut automation = AUTOMATION.iter().any(|t| tokens.contains(t));
    let fingerprint = device::of(ua).map(|d| {
        if d.category == labels::CRAWLER {
            automation = true;
        }
        format!("{}/{}/{}", d.name, d.os, d.category)
    });
    Agent {
        fingerprint: fingerprint.or_else(|| Some(format!("unknown/{}", lower.split('/').next().unwrap_or("")))),
        automation,
        headless,
        missing: false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn browsers_tools_and_headless() {
        let safari = classify(Some(
            "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_6) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.6 Safari/605.1.15",
        ));
        assert_eq!(safari.fingerprint.as_deref(), Some("Safari/Mac OSX/pc"));
        assert!(!safari.automation && !safari.headless);
        let newer = classify(Some(
            "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Safari/605.1.15",
        ));
        assert_eq!(newer.fingerprint, safari.fingerprint, "a browser update is the same device");
        assert!(classify(Some("python-requests/2.31.0")).automation);
        assert!(classify(Some("curl/8.4.0")).automation);
        assert!(classify(Some("Googlebot/2.1 (+http://www.google.com/bot.html)")).automation);
        let headless =
            classify(Some("Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) HeadlessChrome/120.0.0.0 Safari/537.36"));
        assert!(headless.headless);
        assert!(classify(None).missing && classify(Some("  ")).missing);
    }

    #[test]
    fn the_cache_answers_as_the_parser_does() {
        for i in 0..(CACHE_ENTRIES + 10) {
            let ua = format!("Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/{i}.0 Safari/537.36");
            assert_eq!(classify(Some(&ua)), classify_uncached(&ua));
            assert_eq!(classify(Some(&ua)), classify_uncached(&ua), "a cached answer");
        }
        let long = format!("curl/8.4.0 {}", "x".repeat(CACHE_MAX_UA));
        assert!(classify(Some(&long)).automation);
    }
}

/// The user-agent corpus (tests/user-agents/classified.tsv): real user agents
/// (uap-core's test cases as woothee 0.13 bundles them, Apache-2.0, woothee's own
/// test cases, and today's browsers and HTTP tools), each with what `classify`
/// answered when woothee decided the fingerprint. The port must give the same
/// answers (docs/benchmarks.md, "Module size and cold start"): a change here is a
/// "new device" for the users it touches. With ACTIONGUARD_WRITE_UA_CORPUS=1 the
/// file is rewritten from this classifier.
#[cfg(test)]
mod corpus {
    use super::*;

    const FILE: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/user-agents/classified.tsv");

    #[test]
    fn the_corpus_is_classified_as_it_was() {
        let text = std::fs::read_to_string(FILE).unwrap();
        let rows: Vec<Vec<&str>> = text.lines().map(|l| l.splitn(4, '\t').collect()).collect();
        assert!(rows.len() > 3000, "{}", rows.len());
        let answer = |ua: &str| {
            let a = classify_uncached(ua);
            format!("{}\t{}\t{}", a.fingerprint.unwrap_or_default(), a.automation, a.headless)
        };
        if std::env::var_os("ACTIONGUARD_WRITE_UA_CORPUS").is_some() {
            let out: String = rows.iter().map(|r| format!("{}\t{}\n", answer(r[3]), r[3])).collect();
            std::fs::write(FILE, out).unwrap();
            return;
        }
        let differ: Vec<String> = rows
            .iter()
            .filter(|r| answer(r[3]) != r[..3].join("\t"))
            .map(|r| format!("{}: was {}, now {}", r[3], r[..3].join(" "), answer(r[3])))
            .collect();
        assert!(differ.is_empty(), "{} of {}:\n{}", differ.len(), rows.len(), differ[..differ.len().min(20)].join("\n"));
    }
}
