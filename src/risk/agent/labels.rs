//! The words a fingerprint is made of: woothee 0.13's dataset (Apache-2.0),
//! reduced to the fields we read. They are stored in users' login histories, so
//! a changed byte is a "new device" for every user it touches.
//!
//! An empty field is woothee's "leave what is there" when a label is applied
//! whole ([`super::device::Device::apply`]).

/// What woothee answers for a field it could not decide.
pub const UNKNOWN: &str = "UNKNOWN";

pub const PC: &str = "pc";
pub const SMARTPHONE: &str = "smartphone";
pub const MOBILEPHONE: &str = "mobilephone";
pub const APPLIANCE: &str = "appliance";
pub const MISC: &str = "misc";
pub const CRAWLER: &str = "crawler";

/// A label naming the client, its OS and its device class.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Label {
    pub name: &'static str,
    pub category: &'static str,
    pub os: &'static str,
}

/// An operating system: its name (the fingerprint's OS) and device class.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct System {
    pub name: &'static str,
    pub category: &'static str,
}

const fn label(name: &'static str, category: &'static str, os: &'static str) -> Label {
    Label { name, category, os }
}
const fn system(name: &'static str, category: &'static str) -> System {
    System { name, category }
}

// Browsers: a name only (their OS is decided separately).
pub const INTERNET_EXPLORER: &str = "Internet Explorer";
pub const EDGE: &str = "Edge";
pub const CHROME: &str = "Chrome";
pub const SAFARI: &str = "Safari";
pub const FIREFOX: &str = "Firefox";
pub const OPERA: &str = "Opera";
pub const VIVALDI: &str = "Vivaldi";
pub const SLEIPNIR: &str = "Sleipnir";
pub const GOOGLE_SEARCH_APP: &str = "Google Search App";
pub const WEBVIEW: &str = "Webview";
pub const YANDEX_BROWSER: &str = "Yandex Browser";
pub const SAMSUNG_BROWSER: &str = "SamsungBrowser";

// Operating systems.
pub const WINDOWS_UNKNOWN: System = system("Windows UNKNOWN Ver", PC);
pub const WINDOWS_10: System = system("Windows 10", PC);
pub const WINDOWS_8_1: System = system("Windows 8.1", PC);
pub const WINDOWS_8: System = system("Windows 8", PC);
pub const WINDOWS_7: System = system("Windows 7", PC);
pub const WINDOWS_VISTA: System = system("Windows Vista", PC);
pub const WINDOWS_XP: System = system("Windows XP", PC);
pub const WINDOWS_2000: System = system("Windows 2000", PC);
pub const WINDOWS_NT_4: System = system("Windows NT 4.0", PC);
pub const WINDOWS_98: System = system("Windows 98", PC);
pub const WINDOWS_95: System = system("Windows 95", PC);
pub const WINDOWS_PHONE: System = system("Windows Phone OS", SMARTPHONE);
pub const WINDOWS_CE: System = system("Windows CE", SMARTPHONE);
pub const MAC_OSX: System = system("Mac OSX", PC);
pub const MAC_OS_CLASSIC: System = system("Mac OS Classic", PC);
pub const LINUX: System = system("Linux", PC);
pub const BSD: System = system("BSD", PC);
pub const CHROME_OS: System = system("ChromeOS", PC);
pub const ANDROID: System = system("Android", SMARTPHONE);
pub const IPHONE: System = system("iPhone", SMARTPHONE);
pub const IPAD: System = system("iPad", SMARTPHONE);
pub const IPOD: System = system("iPod", SMARTPHONE);
pub const IOS: System = system("iOS", SMARTPHONE);
pub const FIREFOX_OS: System = system("Firefox OS", SMARTPHONE);
pub const BLACKBERRY: System = system("BlackBerry", SMARTPHONE);
pub const BLACKBERRY_10: System = system("BlackBerry 10", SMARTPHONE);

// Feature phones (Japanese carriers and their gateways).
pub const DOCOMO: Label = label("docomo", MOBILEPHONE, "docomo");
pub const AU: Label = label("au by KDDI", MOBILEPHONE, "au");
pub const SOFTBANK: Label = label("SoftBank Mobile", MOBILEPHONE, "SoftBank");
pub const WILLCOM: Label = label("WILLCOM", MOBILEPHONE, "WILLCOM");
pub const JIG: Label = label("jig browser", MOBILEPHONE, "jig");
pub const EMOBILE: Label = label("emobile", MOBILEPHONE, "emobile");
pub const SYMBIAN: Label = label("SymbianOS", MOBILEPHONE, "SymbianOS");
pub const MOBILE_TRANSCODER: Label = label("Mobile Transcoder", MOBILEPHONE, "Mobile Transcoder");

// Appliances.
pub const NINTENDO_3DS: Label = label("Nintendo 3DS", APPLIANCE, "Nintendo 3DS");
pub const NINTENDO_DSI: Label = label("Nintendo DSi", APPLIANCE, "Nintendo DSi");
pub const NINTENDO_WII: Label = label("Nintendo Wii", APPLIANCE, "Nintendo Wii");
pub const NINTENDO_WII_U: Label = label("Nintendo Wii U", APPLIANCE, "Nintendo Wii U");
pub const PSP: Label = label("PlayStation Portable", APPLIANCE, "PlayStation Portable");
pub const PS_VITA: Label = label("PlayStation Vita", APPLIANCE, "PlayStation Vita");
pub const PS3: Label = label("PlayStation 3", APPLIANCE, "PlayStation 3");
pub const PS4: Label = label("PlayStation 4", APPLIANCE, "PlayStation 4");
pub const XBOX_360: Label = label("Xbox 360", APPLIANCE, "Xbox 360");
pub const XBOX_ONE: Label = label("Xbox One", APPLIANCE, "Xbox One");
pub const DIGITAL_TV: Label = label("InternetTVBrowser", APPLIANCE, "DigitalTV");

// Tools that are not browsers (no OS of their own).
pub const SAFARI_RSS_READER: Label = label("Safari RSSReader", MISC, "");
pub const GOOGLE_DESKTOP: Label = label("Google Desktop", MISC, "");
pub const WINDOWS_RSS_READER: Label = label("Windows RSSReader", MISC, "");
pub const RSS_READER: Label = label("RSSReader", MISC, "");
pub const HTTP_LIBRARY: Label = label("HTTP Library", MISC, "");

// Crawlers (no OS of their own).
pub const GOOGLEBOT: Label = label("Googlebot", CRAWLER, "");
pub const GOOGLEBOT_MOBILE: Label = label("Googlebot Mobile", CRAWLER, "");
pub const GOOGLE_MEDIAPARTNERS: Label = label("Google Mediapartners", CRAWLER, "");
pub const GOOGLE_FEEDFETCHER: Label = label("Google Feedfetcher", CRAWLER, "");
pub const GOOGLE_APPENGINE: Label = label("Google AppEngine", CRAWLER, "");
pub const GOOGLE_WEB_PREVIEW: Label = label("Google Web Preview", CRAWLER, "");
pub const ADSBOT_GOOGLE_MOBILE: Label = label("AdsBot-Google-Mobile", CRAWLER, "");
pub const ADSBOT_GOOGLE: Label = label("AdsBot-Google", CRAWLER, "");
pub const YAHOO_SLURP: Label = label("Yahoo! Slurp", CRAWLER, "");
pub const YAHOO_JAPAN: Label = label("Yahoo! Japan", CRAWLER, "");
pub const YAHOO_PIPES: Label = label("Yahoo! Pipes", CRAWLER, "");
pub const BAIDUSPIDER: Label = label("Baiduspider", CRAWLER, "");
pub const MSNBOT: Label = label("msnbot", CRAWLER, "");
pub const BINGBOT: Label = label("bingbot", CRAWLER, "");
pub const BING_PREVIEW: Label = label("BingPreview", CRAWLER, "");
pub const NAVER_YETI: Label = label("Naver Yeti", CRAWLER, "");
pub const FEEDBURNER: Label = label("Google FeedBurner", CRAWLER, "");
pub const FACEBOOK: Label = label("facebook", CRAWLER, "");
pub const TWITTER: Label = label("twitter", CRAWLER, "");
pub const TRENDICTION: Label = label("trendiction", CRAWLER, "");
pub const MIXI: Label = label("mixi", CRAWLER, "");
pub const INDY_LIBRARY: Label = label("Indy Library", CRAWLER, "");
pub const APPLE_ICLOUD: Label = label("Apple iCloud", CRAWLER, "");
pub const GENIEO: Label = label("Genieo Web Filter", CRAWLER, "");
pub const TOPSY_BUTTERFLY: Label = label("topsy Butterfly", CRAWLER, "");
pub const ROGERBOT: Label = label("SeoMoz rogerbot", CRAWLER, "");
pub const AHREFSBOT: Label = label("ahref AhrefsBot", CRAWLER, "");
pub const RADIAN6: Label = label("salesforce radian6", CRAWLER, "");
pub const HATENA: Label = label("Hatena", CRAWLER, "");
pub const GOO: Label = label("goo", CRAWLER, "");
pub const LIVEDOOR_FEEDFETCHER: Label = label("livedoor FeedFetcher", CRAWLER, "");
pub const MISC_CRAWLER: Label = label("misc crawler", CRAWLER, "");
