//! The device a user agent names, as woothee 0.13 decides it (its `Parser::parse`,
//! Apache-2.0), for the three fields a fingerprint keeps: client name, OS and
//! device class. The order of the checks is woothee's and decides the answer:
//! crawlers first, then browsers (with their OS), feature phones, appliances,
//! desktop tools, an OS alone, and last the rare cases (HTTP libraries, RSS
//! readers, what looks like a crawler).

use super::labels::{self, Label, System};
use super::scan::Text;
use super::{appliances, browsers, crawlers, phones, systems, tools};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Device {
    pub name: &'static str,
    pub os: &'static str,
    pub category: &'static str,
}

impl Device {
    const UNKNOWN: Device = Device { name: labels::UNKNOWN, os: labels::UNKNOWN, category: labels::UNKNOWN };

    /// Applies a label whole: its empty fields leave what is there (woothee's
    /// `populate_with`).
    pub fn apply(&mut self, label: &Label) {
        if !label.name.is_empty() {
            self.name = label.name;
        }
        if !label.category.is_empty() {
            self.category = label.category;
        }
        if !label.os.is_empty() {
            self.os = label.os;
        }
    }

    /// Sets the OS and the device class, keeping the client's name.
    pub fn run_on(&mut self, system: &System) {
        self.os = system.name;
        self.category = system.category;
    }
}

/// `None` where woothee finds nothing (the caller has its own fallback). The
/// `agent` is the user agent as the caller trimmed it.
pub fn of(agent: &str) -> Option<Device> {
    let mut device = Device::UNKNOWN;
    if agent.is_empty() || agent == "-" {
        return Some(device);
    }
    let agent = &Text::new(agent);
    if let Some(crawler) = crawlers::named(agent) {
        device.apply(crawler);
        return Some(device);
    }
    if let Some(browser) = browsers::name(agent) {
        device.name = browser;
        // The OS of a browser is decided as for any client; when none is found
        // the browser keeps UNKNOWN.
        systems::decide(agent, &mut device);
        return Some(device);
    }
    let found = phones::decide(agent, &mut device)
        || appliances::decide(agent, &mut device)
        || tools::desktop(agent, &mut device)
        || systems::decide(agent, &mut device)
        || rare_cases(agent, &mut device);
    found.then_some(device)
}

/// woothee's last resort, once nothing named the client.
fn rare_cases(agent: &Text, device: &mut Device) -> bool {
    if agent.contains("CFNetwork/") {
        device.run_on(&labels::IOS);
    } else if agent.contains("Sleipnir/") {
        device.name = labels::SLEIPNIR;
        device.run_on(&labels::WINDOWS_UNKNOWN);
    } else if tools::http_library(agent) {
        device.apply(&labels::HTTP_LIBRARY);
    } else if tools::rss_reader(agent) {
        device.apply(&labels::RSS_READER);
    } else if crawlers::looks_like_one(agent) {
        device.apply(&labels::MISC_CRAWLER);
    } else {
        return false;
    }
    true
}
