//! Browsers, in woothee's order: the first that matches names the client.

use super::labels;
use super::scan::{self, Text};

/// The browser's name, if the user agent names one.
pub fn name(agent: &Text) -> Option<&'static str> {
    if agent.contains("compatible; MSIE") || agent.contains("Trident/") || agent.contains("IEMobile") {
        return Some(labels::INTERNET_EXPLORER);
    }
    // `(?:Edge|Edg|EdgiOS|EdgA)/([.0-9]+)`
    if agent.after("Edg").any(|rest| ["e/", "/", "iOS/", "A/"].iter().any(|s| rest.strip_prefix(s).is_some_and(scan::starts_with_version)))
    {
        return Some(labels::EDGE);
    }
    if agent.version_after("Vivaldi/") {
        return Some(labels::VIVALDI);
    }
    if agent.version_after("FxiOS/") {
        return Some(labels::FIREFOX);
    }
    if yandex(agent) {
        return Some(labels::YANDEX_BROWSER);
    }
    if agent.contains("SamsungBrowser/") {
        return Some(labels::SAMSUNG_BROWSER);
    }
    let android_webview = agent.contains("Chrome") && agent.contains("wv");
    if !android_webview && agent.contains("Safari/") {
        return Some(safari_or_chrome(agent));
    }
    if agent.contains("Firefox/") {
        return Some(labels::FIREFOX);
    }
    if agent.contains("Opera") {
        return Some(labels::OPERA);
    }
    if android_webview || (ios_webview(agent) && !agent.contains("Safari/")) {
        return Some(labels::WEBVIEW);
    }
    None
}

/// `YaBrowser/(\d+\.\d+\.\d+\.\d+)`
fn yandex(agent: &Text) -> bool {
    agent.after("YaBrowser/").any(|rest| {
        let mut rest = Some(rest);
        for _ in 0..3 {
            rest = rest.and_then(scan::strip_decimal_prefix).and_then(|r| r.strip_prefix('.'));
        }
        rest.and_then(scan::strip_decimal_prefix).is_some()
    })
}

/// A WebKit browser with `Safari/` in its user agent.
fn safari_or_chrome(agent: &Text) -> &'static str {
    // `(?:Chrome|CrMo|CriOS)/([.0-9]+)`
    if ["Chrome/", "CrMo/", "CriOS/"].iter().any(|t| agent.version_after(t)) {
        if agent.version_after("OPR/") {
            return labels::OPERA;
        }
        return labels::CHROME;
    }
    if agent.version_after("GSA/") {
        return labels::GOOGLE_SEARCH_APP;
    }
    labels::SAFARI
}

/// `iP(hone;|ad;|od) .*like Mac OS X`: an iOS device named before "like Mac
/// OS X", on the same line (`.` stops at a line feed).
fn ios_webview(agent: &Text) -> bool {
    agent.as_str().split('\n').any(|line| {
        ["iPhone; ", "iPad; ", "iPod "]
            .iter()
            .filter_map(|t| line.find(t).map(|at| at + t.len()))
            .min()
            .and_then(|end| line.get(end..))
            .is_some_and(|rest| rest.contains("like Mac OS X"))
    })
}
