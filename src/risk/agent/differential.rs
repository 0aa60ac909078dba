//! The port against woothee 0.13 itself (a dev-dependency): the same name, OS
//! and device class, and `None` where woothee finds nothing, on the corpus and
//! on systematic mutations of it (cuts, deleted and inserted tokens, case
//! changes, odd characters, splices), and on every pair of the tokens woothee
//! tests. Deterministic: the "random" choices come from a fixed LCG.

use super::device;
use super::labels;
use std::collections::HashSet;

const CORPUS: &str = include_str!(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/user-agents/classified.tsv"));

/// Strings woothee tests for or around (its substrings, the shapes of its
/// regular expressions, near misses of both), to insert and to pair.
const TOKENS: &[&str] = &[
    "(Nintendo WiiU)",
    "(Win98;",
    "(www.radian6.com/crawler)",
    "-",
    ";FOMA;",
    "ASP-Ranker Feed Crawler",
    "AdsBot-Google",
    "Android",
    "Android 4.4",
    "AppEngine-Google",
    "Apple-PubSub",
    "AppleSyndication/",
    "BB10",
    "Baidu",
    "Baiduspider+",
    "Baiduspider-image+",
    "BingPreview",
    "BlackBerry",
    "BlackBerry9700/5.0.0.1 ",
    "Browser/Obigo-Browser",
    "CFNetwork",
    "CFNetwork/",
    "Chrome",
    "Chrome/1",
    "Chrome/.",
    "Chrome/x",
    "CrMo/2",
    "CriOS/3",
    "DDIPOCKET",
    "DDIPOCKET;JRC/AH-J3001V",
    "DoCoMo",
    "DoCoMo/2.0 P903i",
    "Edg/1",
    "Edg/",
    "Edge/1",
    "EdgiOS/1",
    "EdgA/1",
    "EdgA/x",
    "Fastladder FeedFetcher",
    "FeedBurner/",
    "Feedfetcher-Google;",
    "Firefox/",
    "Firefox/18.0",
    "FxiOS/1",
    "FxiOS/",
    "GSA",
    "GSA/1",
    "GSA/",
    "Genieo/",
    "Google Web Preview",
    "Google Wireless Transcoder",
    "Google",
    "Googlebot-Image/",
    "Hatena Antenna",
    "Hatena Diary RSS",
    "Hatena Pagetitle Agent",
    "Hatena-Mobile-Gateway/",
    "IEMobile",
    "Indy Library",
    "InettvBrowser/",
    "J-PHONE",
    "Java(TM) 2 Runtime Environment,",
    "KDDI-",
    "KDDI-CA31",
    "KDDI-;",
    "KDDI-\"",
    "LWP ",
    "LWP::Simple",
    "Linux",
    "Mac OS X",
    "Mac_PowerPC",
    "Macintosh; U; PPC;",
    "Mediapartners-Google",
    "Naver Transcoder",
    "Nintendo 3DS;",
    "Nintendo DSi;",
    "Nintendo Wii;",
    "OPR/1",
    "OPR/",
    "OpenBrowser",
    "Opera",
    "PLAYSTATION 3 ",
    "PLAYSTATION 3;",
    "PSP (PlayStation Portable)",
    "PlayStation 4 ",
    "PlayStation Vita",
    "Python-urllib/",
    "Ruby",
    "Safari/",
    "SamsungBrowser/",
    "Sleipnir/",
    "SoftBank",
    "SymbianOS",
    "Trident/",
    "Twisted ",
    "Twitterbot/",
    "Typhoeus",
    "Vivaldi/1",
    "Vivaldi/",
    "Vodafone",
    "WILLCOM",
    "WILLCOM;KYOCERA/WX310K",
    "WILLCOM;/x",
    "WILLCOM;a/ ",
    "WWW-Mechanize",
    "Wget/",
    "Windows",
    "Windows NT 10.0;",
    "Windows NT 6.1)",
    "Windows NT 6.3\\",
    "Windows NT 6.2;",
    "Windows NT 6.0;",
    "Windows NT 5.1;",
    "Windows NT 5.0)",
    "Windows NT 4.0;",
    "Windows 98;",
    "Windows 95)",
    "Windows CE;",
    "Windows Phone 8.0;",
    "Windows Phone OS 7.5;",
    "Windows Phone OS;",
    "Windows Phone ;",
    "Windows ;",
    "Windows XP;",
    "Windows NT 10.0",
    "Windows-RSS-Platform",
    "X11; CrOS ",
    "X11; FreeBSD ",
    "Xbox",
    "Xbox; Xbox One)",
    "Y!J-BRY/YATSH crawler",
    "Y!J-BRZ/YATSHA crawler",
    "YaBrowser/",
    "YaBrowser/1.2.3.4",
    "YaBrowser/1.2.3",
    "YaBrowser/\u{663}.\u{1D7D9}.\u{FF13}.\u{1E950}",
    "Yahoo Pipes",
    "Yahoo",
    "YahooFeedSeekerBetaJp",
    "YahooFeedSeekerJp",
    "Yeti",
    "bingbot",
    "cococ/",
    "compatible; AdsBot-Google-Mobile;",
    "compatible; AhrefsBot/",
    "compatible; Baiduspider",
    "compatible; Google Desktop/",
    "compatible; Googlebot",
    "compatible; Googlebot-Mobile",
    "compatible; Indy Library",
    "compatible; MSIE",
    "compatible; Mediapartners-Google",
    "compatible; Yahoo! Slurp",
    "compatible; bingbot",
    "compatible; ichiro/mobile goo;",
    "crawler (http://help.yahoo.co.jp/help/jp/",
    "crawler (http://listing.yahoo.co.jp/support/faq/",
    "curl/",
    "emobile/",
    "facebookexternalhit",
    "feedzirra",
    "gooblogsearch/",
    "headline-reader",
    "HEADLINE-Reader",
    "help.yahoo.co.jp/help/jp/",
    "http://help.goo.ne.jp/door/crawler.html",
    "http://help.naver.com/robots",
    "http://help.naver.com/support/robots.html",
    "http://naver.me/bot",
    "iPad",
    "iPad;",
    "iPad; ",
    "iPhone",
    "iPhone;",
    "iPhone; ",
    "iPod",
    "iPod ",
    "ichiro",
    "jig browser",
    "labs.topsy.com/butterfly/",
    "libwww-perl",
    "like Mac OS X",
    "listing.yahoo.co.jp/support/faq/",
    "livedoor FeedFetcher",
    "livedoor-Mobile-Gateway/",
    "lwp-trivial",
    "mixi-check",
    "mixi-crawler",
    "mixi-news-crawler",
    "msnbot",
    "rogerbot/1.0 (http://www.seomoz.org/dp/rogerbot",
    "trendictionbot",
    "wv",
    "rss",
    "rss/",
    "RSS+ +/",
    "rss+x",
    "rss ",
    "rssreader",
    "RSSBar",
    "RsS(",
    "r\u{17F}s;",
    "bot",
    "Bot",
    "BOT.",
    "bot@",
    "robot)",
    "crawler",
    "Crawler-",
    "spider",
    "\u{17F}pider_",
    "feed parser",
    "FeedParser",
    "WebParser",
    "web  parser",
    "watch dog",
    "WATCHDOG",
    "watchdo",
    "Rome Client ",
    "UnwindFetchor/",
    "ia_archiver ",
    "Summify ",
    "PostRank/",
    "HttpClient",
    " HttpClient/",
    "-HttpClient",
    " HttpClient",
    "Apache-HttpClient/",
    "Jakarta Commons-HttpClient/",
    "Java/",
    "PHP",
    "PHP/",
    "PHP ",
    "WordPress ",
    "CakePHP",
    "PukiWiki/",
    "PECL::HTTP",
    "HTTP_Request class",
    "HTTP_Request2",
    "PEAR HTTP_Request class",
    "HTTP_Request",
    "\u{212A}",
    "\u{17F}",
    "\n",
    "\\",
    ";",
    ")",
    "(",
    "/",
    " ",
    "Mozilla/5.0 (Mobile; rv:18.0) Gecko/18.0 Firefox/18.0",
    "Mozilla/5.0 (Tablet; x; rv:26.0) Gecko/26.0 Firefox/26.0",
    "Mozilla/5.0 (Mobile; a\nb; rv:1) Gecko/1 Firefox/1",
    "Mozilla/5.0 (Mobile;",
    " rv:1.0) Gecko/1 Firefox/2",
    "(Tablet;",
    "Mozilla/1 (Mobile; rv:1) Gecko/1 Firefox/1",
];

/// User agents of each kind woothee tells apart, to insert tokens into.
const TEMPLATES: &[&str] = &[
    "Mozilla/5.0 (Mobile; rv:18.0) Gecko/18.0 Firefox/18.0",
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148",
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36",
    "Mozilla/5.0 (Linux; Android 14; wv) AppleWebKit/537.36 (KHTML, like Gecko) Version/4.0 Chrome/120.0 Mobile Safari/537.36",
    "DoCoMo/2.0 P903i(c100;TB;W24H12)",
    "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)",
    "Opera/9.80 (J2ME/MIDP; Opera Mini/9.80 (S60; SymbOS; Opera Mobi/23.348; U; en) Presto/2.5.25 Version/10.54",
];

/// Characters put in place of one of a user agent's.
const ODD: &[&str] = &[
    "/",
    ";",
    " ",
    ")",
    "(",
    "\n",
    "\\",
    ".",
    "1",
    "-",
    "_",
    "@",
    "+",
    "\"",
    "'",
    "é",
    "\u{17F}",
    "\u{212A}",
    "\u{663}",
    "\u{1F600}",
    "\u{0}",
];

/// Knuth's MMIX LCG: deterministic choices, no dependency.
struct Lcg(u64);
impl Lcg {
    fn below(&mut self, n: usize) -> usize {
        self.0 = self.0.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
        if n == 0 {
            0
        } else {
            ((self.0 >> 33) % n as u64) as usize
        }
    }
    fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
        items[self.below(items.len())]
    }
}

/// Byte offsets of `s`'s character boundaries, both ends included.
fn boundaries(s: &str) -> Vec<usize> {
    s.char_indices().map(|(i, _)| i).chain([s.len()]).collect()
}

fn flip_case(s: &str) -> String {
    s.chars().map(|c| if c.is_ascii_uppercase() { c.to_ascii_lowercase() } else { c.to_ascii_uppercase() }).collect()
}

pub fn corpus() -> Vec<&'static str> {
    CORPUS.lines().filter_map(|l| l.splitn(4, '\t').nth(3)).collect()
}

/// The corpus and its mutations.
fn corpus_variants() -> Vec<String> {
    let corpus = corpus();
    let mut rng = Lcg(0x5eed_a9e7);
    let mut out: Vec<String> = Vec::new();
    for (k, &ua) in corpus.iter().enumerate() {
        out.push(ua.to_string());
        let cuts = boundaries(ua);
        // Cut at random places, from the end and from the start.
        for _ in 0..6 {
            out.push(ua[..cuts[rng.below(cuts.len())]].to_string());
        }
        for _ in 0..2 {
            out.push(ua[cuts[rng.below(cuts.len())]..].to_string());
        }
        // Cut just after, before and inside each token woothee looks for.
        for t in TOKENS.iter().filter(|t| t.len() > 1) {
            if let Some(at) = ua.find(t) {
                let end = at + t.len();
                out.push(ua[..end].to_string());
                for d in [end + 1, end.saturating_sub(1), at] {
                    if let Some(s) = ua.get(..d) {
                        out.push(s.to_string());
                    }
                }
            }
        }
        // Delete each space-separated token in turn.
        let words: Vec<&str> = ua.split(' ').collect();
        for i in 0..words.len().min(24) {
            let kept: Vec<&str> = words.iter().enumerate().filter(|&(j, _)| j != i).map(|(_, w)| *w).collect();
            out.push(kept.join(" "));
        }
        // Case: all upper, all lower, one span flipped.
        out.push(ua.to_ascii_uppercase());
        out.push(ua.to_ascii_lowercase());
        for _ in 0..2 {
            let (a, b) = (cuts[rng.below(cuts.len())], cuts[rng.below(cuts.len())]);
            let (a, b) = (a.min(b), a.max(b));
            out.push(format!("{}{}{}", &ua[..a], flip_case(&ua[a..b]), &ua[b..]));
        }
        // A stray token: at the start, at the end, at random places.
        out.push(format!("{}{ua}", rng.pick(TOKENS)));
        out.push(format!("{ua}{}", rng.pick(TOKENS)));
        for _ in 0..6 {
            let at = cuts[rng.below(cuts.len())];
            out.push(format!("{}{}{}", &ua[..at], rng.pick(TOKENS), &ua[at..]));
        }
        // An odd character in place of one.
        for _ in 0..3 {
            let i = rng.below(cuts.len().saturating_sub(1));
            if let (Some(&a), Some(&b)) = (cuts.get(i), cuts.get(i + 1)) {
                out.push(format!("{}{}{}", &ua[..a], rng.pick(ODD), &ua[b..]));
            }
        }
        // Spliced with another user agent.
        let other = corpus[(k + 1 + rng.below(corpus.len() - 1)) % corpus.len()];
        let (oc, at) = (boundaries(other), cuts[rng.below(cuts.len())]);
        out.push(format!("{}{}", &ua[..at], &other[oc[rng.below(oc.len())]..]));
    }
    out
}

/// Every token at every word boundary of typical user agents.
fn template_variants() -> Vec<String> {
    let mut out = Vec::new();
    for template in TEMPLATES {
        let starts = boundaries(template).into_iter().filter(|&i| i == 0 || template[..i].ends_with([' ', ';', '(']));
        for at in starts.chain([template.len()]) {
            for t in TOKENS {
                out.push(format!("{}{t}{}", &template[..at], &template[at..]));
                out.push(format!("{}{t}; {}", &template[..at], &template[at..]));
            }
        }
    }
    out
}

/// Each token alone and every pair of them (joined, with a space, with a line
/// feed), and woothee's own edge cases.
fn token_pairs() -> Vec<String> {
    let mut out = Vec::new();
    for a in TOKENS {
        out.push(a.to_string());
        for b in TOKENS {
            out.push(format!("{a}{b}"));
            out.push(format!("{a} {b}"));
            out.push(format!("{a}\n{b}"));
        }
    }
    out.extend(["", "-", " ", "--", " -"].map(String::from));
    out
}

type Answer = Option<(&'static str, &'static str, &'static str)>;

fn port(ua: &str) -> Answer {
    device::of(ua).map(|d| (d.name, d.os, d.category))
}

fn woothee(ua: &str) -> Option<(String, String, String)> {
    woothee::parser::Parser::new().parse(ua).map(|r| (r.name.to_string(), r.os.to_string(), r.category.to_string()))
}

fn same(ua: &str) -> bool {
    let ours = port(ua).map(|(n, o, c)| (n.to_string(), o.to_string(), c.to_string()));
    ours == woothee(ua)
}

/// The strings (each once) on which the port and woothee differ, reported.
fn compare(kind: &str, mut variants: Vec<String>) {
    let mut seen = HashSet::new();
    variants.retain(|s| seen.insert(s.clone()));
    let differ: Vec<String> =
        variants.iter().filter(|ua| !same(ua)).map(|ua| format!("{ua:?}: woothee {:?}, port {:?}", woothee(ua), port(ua))).collect();
    eprintln!("differential, {kind}: {} strings, {} differences", variants.len(), differ.len());
    assert!(differ.is_empty(), "{kind}: {} of {}:\n{}", differ.len(), variants.len(), differ[..differ.len().min(30)].join("\n"));
}

#[test]
fn the_corpus_and_its_mutations_are_classified_as_woothee_does() {
    compare("corpus and mutations", corpus_variants());
}

#[test]
fn tokens_in_typical_user_agents_are_classified_as_woothee_does() {
    compare("tokens in templates", template_variants());
}

#[test]
fn token_pairs_are_classified_as_woothee_does() {
    compare("token pairs", token_pairs());
}

/// The labels are woothee's dataset, byte for byte.
#[test]
fn the_labels_are_woothee_s() {
    use woothee::dataset::DATASET;
    let name = |key: &str| DATASET[key].name;
    let label = |key: &str, l: &labels::Label| {
        let d = &DATASET[key];
        assert_eq!((d.name, d.category, d.os), (l.name, l.category, l.os), "{key}");
    };
    let system = |key: &str, s: &labels::System| {
        let d = &DATASET[key];
        assert_eq!((d.name, d.category), (s.name, s.category), "{key}");
    };
    for (key, n) in [
        ("MSIE", labels::INTERNET_EXPLORER),
        ("Edge", labels::EDGE),
        ("Chrome", labels::CHROME),
        ("Safari", labels::SAFARI),
        ("Firefox", labels::FIREFOX),
        ("Opera", labels::OPERA),
        ("Vivaldi", labels::VIVALDI),
        ("Sleipnir", labels::SLEIPNIR),
        ("GSA", labels::GOOGLE_SEARCH_APP),
        ("Webview", labels::WEBVIEW),
        ("YaBrowser", labels::YANDEX_BROWSER),
        ("SamsungBrowser", labels::SAMSUNG_BROWSER),
    ] {
        assert_eq!(name(key), n, "{key}");
        assert_eq!((DATASET[key].category, DATASET[key].os), ("", ""), "{key}");
    }
    for (key, s) in [
        ("Win", labels::WINDOWS_UNKNOWN),
        ("Win10", labels::WINDOWS_10),
        ("Win8.1", labels::WINDOWS_8_1),
        ("Win8", labels::WINDOWS_8),
        ("Win7", labels::WINDOWS_7),
        ("WinVista", labels::WINDOWS_VISTA),
        ("WinXP", labels::WINDOWS_XP),
        ("Win2000", labels::WINDOWS_2000),
        ("WinNT4", labels::WINDOWS_NT_4),
        ("Win98", labels::WINDOWS_98),
        ("Win95", labels::WINDOWS_95),
        ("WinPhone", labels::WINDOWS_PHONE),
        ("WinCE", labels::WINDOWS_CE),
        ("OSX", labels::MAC_OSX),
        ("MacOS", labels::MAC_OS_CLASSIC),
        ("Linux", labels::LINUX),
        ("BSD", labels::BSD),
        ("ChromeOS", labels::CHROME_OS),
        ("Android", labels::ANDROID),
        ("iPhone", labels::IPHONE),
        ("iPad", labels::IPAD),
        ("iPod", labels::IPOD),
        ("iOS", labels::IOS),
        ("FirefoxOS", labels::FIREFOX_OS),
        ("BlackBerry", labels::BLACKBERRY),
        ("BlackBerry10", labels::BLACKBERRY_10),
    ] {
        system(key, &s);
    }
    for (key, l) in [
        ("docomo", labels::DOCOMO),
        ("au", labels::AU),
        ("SoftBank", labels::SOFTBANK),
        ("willcom", labels::WILLCOM),
        ("jig", labels::JIG),
        ("emobile", labels::EMOBILE),
        ("SymbianOS", labels::SYMBIAN),
        ("MobileTranscoder", labels::MOBILE_TRANSCODER),
        ("Nintendo3DS", labels::NINTENDO_3DS),
        ("NintendoDSi", labels::NINTENDO_DSI),
        ("NintendoWii", labels::NINTENDO_WII),
        ("NintendoWiiU", labels::NINTENDO_WII_U),
        ("PSP", labels::PSP),
        ("PSVita", labels::PS_VITA),
        ("PS3", labels::PS3),
        ("PS4", labels::PS4),
        ("Xbox360", labels::XBOX_360),
        ("XboxOne", labels::XBOX_ONE),
        ("DigitalTV", labels::DIGITAL_TV),
        ("SafariRSSReader", labels::SAFARI_RSS_READER),
        ("GoogleDesktop", labels::GOOGLE_DESKTOP),
        ("WindowsRSSReader", labels::WINDOWS_RSS_READER),
        ("VariousRSSReader", labels::RSS_READER),
        ("HTTPLibrary", labels::HTTP_LIBRARY),
        ("GoogleBot", labels::GOOGLEBOT),
        ("GoogleBotMobile", labels::GOOGLEBOT_MOBILE),
        ("GoogleMediaPartners", labels::GOOGLE_MEDIAPARTNERS),
        ("GoogleFeedFetcher", labels::GOOGLE_FEEDFETCHER),
        ("GoogleAppEngine", labels::GOOGLE_APPENGINE),
        ("GoogleWebPreview", labels::GOOGLE_WEB_PREVIEW),
        ("AdsBotGoogleMobile", labels::ADSBOT_GOOGLE_MOBILE),
        ("AdsBotGoogle", labels::ADSBOT_GOOGLE),
        ("YahooSlurp", labels::YAHOO_SLURP),
        ("YahooJP", labels::YAHOO_JAPAN),
        ("YahooPipes", labels::YAHOO_PIPES),
        ("Baiduspider", labels::BAIDUSPIDER),
        ("msnbot", labels::MSNBOT),
        ("bingbot", labels::BINGBOT),
        ("BingPreview", labels::BING_PREVIEW),
        ("Yeti", labels::NAVER_YETI),
        ("FeedBurner", labels::FEEDBURNER),
        ("facebook", labels::FACEBOOK),
        ("twitter", labels::TWITTER),
        ("trendictionbot", labels::TRENDICTION),
        ("mixi", labels::MIXI),
        ("IndyLibrary", labels::INDY_LIBRARY),
        ("ApplePubSub", labels::APPLE_ICLOUD),
        ("Genieo", labels::GENIEO),
        ("topsyButterfly", labels::TOPSY_BUTTERFLY),
        ("rogerbot", labels::ROGERBOT),
        ("AhrefsBot", labels::AHREFSBOT),
        ("radian6", labels::RADIAN6),
        ("Hatena", labels::HATENA),
        ("goo", labels::GOO),
        ("livedoorFeedFetcher", labels::LIVEDOOR_FEEDFETCHER),
        ("VariousCrawler", labels::MISC_CRAWLER),
    ] {
        label(key, &l);
    }
}

/// Hostile strings: no panic, and still woothee's answers.
#[test]
fn hostile_strings_neither_panic_nor_differ() {
    let mut hostile: Vec<String> = Vec::new();
    // Every cut of multi-byte characters next to the tokens that end a scan.
    for t in TOKENS {
        for odd in ["é", "\u{17F}", "\u{212A}", "\u{663}", "\u{1F600}", "\u{FFFD}", "\u{0}", "\u{10FFFF}"] {
            hostile.push(format!("{t}{odd}"));
            hostile.push(format!("{odd}{t}"));
            hostile.push(format!("{t}{odd}{t}"));
        }
    }
    // Long strings: repeated tokens (each scan stays linear) and noise.
    for t in [
        "Windows ",
        "Windows Windows NT 6.1 ",
        "WILLCOM;",
        "DDIPOCKET;a",
        "KDDI-",
        "Edg",
        "rss+ ",
        "YaBrowser/1.",
        "iPhone; ",
        "bot",
        "\u{17F}",
        "é",
        "\n",
        "Mozilla/5.0 (Mobile; ",
    ] {
        hostile.push(t.repeat(100_000 / t.len() + 1));
        hostile.push(format!("{}Safari/", t.repeat(100_000 / t.len() + 1)));
    }
    let mut rng = Lcg(7);
    let noise: String = (0..100_000).map(|_| char::from_u32(rng.below(0x11_0000) as u32).unwrap_or('\u{FFFD}')).collect();
    hostile.push(noise);
    eprintln!("hostile: {} strings", hostile.len());
    for ua in &hostile {
        let agent = super::classify(Some(ua));
        assert!(agent.missing || agent.fingerprint.is_some());
        assert!(same(ua), "{:?}", ua.chars().take(80).collect::<String>());
    }
}
