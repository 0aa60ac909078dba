//! Clients that are not browsers: desktop feed readers, HTTP libraries, RSS
//! readers.

use super::device::Device;
use super::labels::{self, Label};
use super::scan::{self, Text};

/// Desktop tools, checked before an OS alone (woothee's `try_misc`).
const DESKTOP: &[(&str, Label)] = &[
    ("AppleSyndication/", labels::SAFARI_RSS_READER),
    ("compatible; Google Desktop/", labels::GOOGLE_DESKTOP),
    ("Windows-RSS-Platform", labels::WINDOWS_RSS_READER),
];

pub fn desktop(agent: &Text, device: &mut Device) -> bool {
    match DESKTOP.iter().find(|(token, _)| agent.contains(token)) {
        Some((_, label)) => {
            device.apply(label);
            true
        }
        None => false,
    }
}

/// How HTTP libraries' user agents start.
const LIBRARY_STARTS: &[&str] = &[
    "Apache-HttpClient/",
    "Jakarta Commons-HttpClient/",
    "Java/",
    "Wget/",
    "libwww-perl",
    "WWW-Mechanize",
    "LWP::Simple",
    "LWP ",
    "lwp-trivial",
    "Ruby",
    "feedzirra",
    "Typhoeus",
    "Python-urllib/",
    "Twisted ",
    "curl/",
];
/// PHP's, followed by `/`, a space or nothing.
const PHP_STARTS: &[&str] = &["PHP", "WordPress", "CakePHP", "PukiWiki", "PECL::HTTP"];

pub fn http_library(agent: &Text) -> bool {
    LIBRARY_STARTS.iter().any(|s| agent.as_str().starts_with(s))
        // `[- ]HttpClient(/|$)`
        || ["-HttpClient", " HttpClient"].iter().any(|t| agent.after(t).any(|rest| rest.is_empty() || rest.starts_with('/')))
        || agent.contains("Java(TM) 2 Runtime Environment,")
        || PHP_STARTS.iter().any(|s| agent.as_str().strip_prefix(s).is_some_and(|rest| rest.is_empty() || rest.starts_with(['/', ' '])))
        // `(?:PEAR HTTP_Request|HTTP_Request)(?: class|2)`
        || agent.contains("HTTP_Request class")
        || agent.contains("HTTP_Request2")
}

/// `(?i)rss(?:reader|bar|[-_ /;()]|[ +]*/)`, "headline-reader" in any case, or
/// "cococ/".
pub fn rss_reader(agent: &Text) -> bool {
    scan::after_ignoring_case(agent.as_str(), "rss").any(|rest| {
        scan::strip_prefix_ignoring_case(rest, "reader").is_some()
            || scan::strip_prefix_ignoring_case(rest, "bar").is_some()
            || rest.starts_with(['-', '_', ' ', '/', ';', '(', ')'])
            || rest.trim_start_matches([' ', '+']).starts_with('/')
    }) || scan::contains_ignoring_ascii_case(agent.as_str(), "headline-reader")
        || agent.contains("cococ/")
}
