//! The operating system (and with it the device class), in woothee's order:
//! Windows, macOS and iOS, Linux and Android, other smartphones, feature
//! phones, appliances, the rest.

use super::device::Device;
use super::labels::{self, System};
use super::scan::{self, Text};

/// Sets the OS the user agent names, if any. A `false` may still have renamed
/// the client, as woothee's transcoder branch does.
pub fn decide(agent: &Text, device: &mut Device) -> bool {
    if agent.contains("Windows") && agent.contains("Xbox") {
        device.apply(if agent.contains("Xbox; Xbox One)") { &labels::XBOX_ONE } else { &labels::XBOX_360 });
        return true;
    }
    if let Some(system) = windows(agent).or_else(|| apple(agent)).or_else(|| linux(agent)).or_else(|| smartphone(agent, device)) {
        device.run_on(&system);
        return true;
    }
    phone(agent, device) || appliance(agent, device) || other(agent, device)
}

/// Windows (not an Xbox), unless its version is one woothee does not know:
/// then the next checks decide.
fn windows(agent: &Text) -> Option<System> {
    if !agent.contains("Windows") {
        return None;
    }
    let Some(version) = windows_version(agent.as_str()) else {
        return Some(labels::WINDOWS_UNKNOWN);
    };
    match version {
        "NT 10.0" => Some(labels::WINDOWS_10),
        "NT 6.3" => Some(labels::WINDOWS_8_1),
        "NT 6.2" => Some(labels::WINDOWS_8),
        "NT 6.1" => Some(labels::WINDOWS_7),
        "NT 6.0" => Some(labels::WINDOWS_VISTA),
        "NT 5.1" => Some(labels::WINDOWS_XP),
        "NT 5.0" => Some(labels::WINDOWS_2000),
        "NT 4.0" => Some(labels::WINDOWS_NT_4),
        "98" => Some(labels::WINDOWS_98),
        "95" => Some(labels::WINDOWS_95),
        "CE" => Some(labels::WINDOWS_CE),
        // `^Phone(?: OS)? ([.0-9]+)`
        _ => version
            .strip_prefix("Phone")
            .is_some_and(|rest| [" OS ", " "].iter().any(|s| rest.strip_prefix(s).is_some_and(scan::starts_with_version)))
            .then_some(labels::WINDOWS_PHONE),
    }
}

/// `Windows ([ .a-zA-Z0-9]+)[;\\)]`, leftmost: the run of letters, digits,
/// dots and spaces after the first "Windows " whose run ends with `;`, `\` or
/// `)`.
fn windows_version(agent: &str) -> Option<&str> {
    let is_word = |c: char| c == ' ' || c == '.' || c.is_ascii_alphanumeric();
    let mut rest = agent;
    loop {
        let (_, after) = rest.split_once("Windows ")?;
        let words = after.trim_start_matches(is_word);
        let version = after.strip_suffix(words)?;
        if !version.is_empty() && words.starts_with([';', '\\', ')']) {
            return Some(version);
        }
        // A later "Windows " inside these words ends where they end: it fails
        // too (a loop from each occurrence would be quadratic).
        rest = words;
    }
}

fn apple(agent: &Text) -> Option<System> {
    if !agent.contains("Mac OS X") {
        return None;
    }
    if !agent.contains("like Mac OS X") {
        return Some(labels::MAC_OSX);
    }
    Some(if agent.contains("iPhone;") {
        labels::IPHONE
    } else if agent.contains("iPad;") {
        labels::IPAD
    } else if agent.contains("iPod") {
        labels::IPOD
    } else {
        labels::MAC_OSX
    })
}

fn linux(agent: &Text) -> Option<System> {
    if !agent.contains("Linux") {
        return None;
    }
    Some(if agent.contains("Android") { labels::ANDROID } else { labels::LINUX })
}

fn smartphone(agent: &Text, device: &Device) -> Option<System> {
    if device.name == labels::FIREFOX && firefox_os(agent.as_str()) {
        return Some(labels::FIREFOX_OS);
    }
    [
        ("iPhone", labels::IPHONE),
        ("iPad", labels::IPAD),
        ("iPod", labels::IPOD),
        ("Android", labels::ANDROID),
        ("CFNetwork", labels::IOS),
        ("BB10", labels::BLACKBERRY_10),
        ("BlackBerry", labels::BLACKBERRY),
    ]
    .into_iter()
    .find_map(|(token, system)| agent.contains(token).then_some(system))
}

/// Firefox OS's user agent, whole:
/// `^Mozilla/[.0-9]+ \((?:Mobile|Tablet);(?:.*;)? rv:([.0-9]+)\) Gecko/[.0-9]+ Firefox/[.0-9]+$`.
fn firefox_os(agent: &str) -> bool {
    // Read from the end: each version is bounded by characters it cannot hold.
    let Some(head) = scan::strip_version_suffix(agent)
        .and_then(|s| s.strip_suffix(" Firefox/"))
        .and_then(scan::strip_version_suffix)
        .and_then(|s| s.strip_suffix(") Gecko/"))
        .and_then(scan::strip_version_suffix)
        .and_then(|s| s.strip_suffix(" rv:"))
    else {
        return false;
    };
    let Some(middle) = head
        .strip_prefix("Mozilla/")
        .and_then(scan::strip_version_prefix)
        .and_then(|s| s.strip_prefix(" ("))
        .and_then(|s| s.strip_prefix("Mobile;").or_else(|| s.strip_prefix("Tablet;")))
    else {
        return false;
    };
    middle.is_empty() || (middle.ends_with(';') && !middle.contains('\n'))
}

/// Feature phones seen through a browser's user agent.
fn phone(agent: &Text, device: &mut Device) -> bool {
    // `KDDI-([^- /;()"']+)`
    let au = agent.after("KDDI-").any(|rest| rest.starts_with(|c: char| !"- /;()\"'".contains(c)));
    let willcom = ["WILLCOM;", "DDIPOCKET;"].iter().any(|t| agent.contains(t) && willcom_model(agent.as_str(), t));
    let label = if au {
        labels::AU
    } else if willcom {
        labels::WILLCOM
    } else if agent.contains("SymbianOS") {
        labels::SYMBIAN
    } else {
        // woothee renames the client here but answers that it found nothing:
        // the name stays if a later check finds the OS.
        if agent.contains("Google Wireless Transcoder") || agent.contains("Naver Transcoder") {
            device.apply(&labels::MOBILE_TRANSCODER);
        }
        return false;
    };
    device.os = label.os;
    device.category = label.category;
    true
}

/// `(?:WILLCOM|DDIPOCKET);[^/]+/([^ /;()]+)` for one of the two carriers'
/// tokens: a model name after the token, up to its first `/`.
fn willcom_model(agent: &str, token: &str) -> bool {
    let mut rest = agent;
    while let Some((_, after)) = rest.split_once(token) {
        let Some((model, version)) = after.split_once('/') else {
            return false;
        };
        if !model.is_empty() && version.starts_with(|c: char| !" /;()".contains(c)) {
            return true;
        }
        // A later token before this `/` reads the same `/` and fails the same
        // way, unless its model is empty, which fails too.
        rest = version;
    }
    false
}

fn appliance(agent: &Text, device: &mut Device) -> bool {
    let label = if agent.contains("Nintendo DSi;") {
        labels::NINTENDO_DSI
    } else if agent.contains("Nintendo Wii;") {
        labels::NINTENDO_WII
    } else {
        return false;
    };
    device.os = label.os;
    device.category = label.category;
    true
}

fn other(agent: &Text, device: &mut Device) -> bool {
    let system = if agent.contains("(Win98;") {
        labels::WINDOWS_98
    } else if agent.contains("Macintosh; U; PPC;") || agent.contains("Mac_PowerPC") {
        labels::MAC_OS_CLASSIC
    } else if agent.contains("X11; FreeBSD ") {
        labels::BSD
    } else if agent.contains("X11; CrOS ") {
        labels::CHROME_OS
    } else {
        return false;
    };
    device.run_on(&system);
    true
}
