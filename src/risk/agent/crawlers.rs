//! Crawlers: those woothee names by a token, checked before anything else, and
//! its last-resort guess that a client is one.

use super::labels::{self, Label};
use super::scan::{self, Text};

/// How a token must appear in the user agent.
#[derive(Clone, Copy)]
enum Token {
    Anywhere(&'static str),
    Start(&'static str),
    Whole(&'static str),
}
use Token::{Anywhere, Start, Whole};

impl Token {
    fn is_in(self, agent: &Text) -> bool {
        match self {
            Anywhere(t) => agent.contains(t),
            Start(t) => agent.as_str().starts_with(t),
            Whole(t) => agent.as_str() == t,
        }
    }
}

/// A crawler named when any of `tokens` is there and, if `given` is not empty,
/// any of `given` too.
struct Named {
    tokens: &'static [Token],
    given: &'static [&'static str],
    label: Label,
}

const fn by(tokens: &'static [Token], label: Label) -> Named {
    Named { tokens, given: &[], label }
}

/// In woothee's order: the first that matches names the crawler. Where woothee
/// tests a token that another of the rule's tokens contains (`bingbot` and
/// `compatible; bingbot`), only the longer is kept.
const NAMED: &[Named] = &[
    by(&[Anywhere("compatible; Googlebot-Mobile")], labels::GOOGLEBOT_MOBILE),
    by(&[Anywhere("compatible; Googlebot")], labels::GOOGLEBOT),
    by(&[Anywhere("compatible; AdsBot-Google-Mobile;")], labels::ADSBOT_GOOGLE_MOBILE),
    by(&[Start("AdsBot-Google")], labels::ADSBOT_GOOGLE),
    by(&[Anywhere("Googlebot-Image/")], labels::GOOGLEBOT),
    by(&[Anywhere("compatible; Mediapartners-Google"), Whole("Mediapartners-Google")], labels::GOOGLE_MEDIAPARTNERS),
    by(&[Anywhere("Feedfetcher-Google;")], labels::GOOGLE_FEEDFETCHER),
    by(&[Anywhere("AppEngine-Google")], labels::GOOGLE_APPENGINE),
    by(&[Anywhere("Google Web Preview")], labels::GOOGLE_WEB_PREVIEW),
    by(&[Anywhere("compatible; Yahoo! Slurp")], labels::YAHOO_SLURP),
    Named {
        tokens: &[
            Anywhere("YahooFeedSeekerJp"),
            Anywhere("YahooFeedSeekerBetaJp"),
            Anywhere("crawler (http://listing.yahoo.co.jp/support/faq/"),
            Anywhere("crawler (http://help.yahoo.co.jp/help/jp/"),
            Anywhere("Y!J-BRZ/YATSHA crawler"),
            Anywhere("Y!J-BRY/YATSH crawler"),
        ],
        given: &["Yahoo", "help.yahoo.co.jp/help/jp/", "listing.yahoo.co.jp/support/faq/"],
        label: labels::YAHOO_JAPAN,
    },
    by(&[Anywhere("Yahoo Pipes")], labels::YAHOO_PIPES),
    by(&[Anywhere("msnbot")], labels::MSNBOT),
    by(&[Anywhere("compatible; bingbot")], labels::BINGBOT),
    by(&[Anywhere("BingPreview")], labels::BING_PREVIEW),
    by(&[Anywhere("compatible; Baiduspider"), Anywhere("Baiduspider+"), Anywhere("Baiduspider-image+")], labels::BAIDUSPIDER),
    Named {
        tokens: &[
            Anywhere("http://help.naver.com/robots"),
            Anywhere("http://help.naver.com/support/robots.html"),
            Anywhere("http://naver.me/bot"),
        ],
        given: &["Yeti"],
        label: labels::NAVER_YETI,
    },
    by(&[Anywhere("FeedBurner/")], labels::FEEDBURNER),
    by(&[Anywhere("facebookexternalhit")], labels::FACEBOOK),
    by(&[Anywhere("Twitterbot/")], labels::TWITTER),
    by(&[Anywhere("compatible; ichiro/mobile goo;")], labels::GOO),
    Named { tokens: &[Anywhere("http://help.goo.ne.jp/door/crawler.html")], given: &["ichiro"], label: labels::GOO },
    by(&[Anywhere("gooblogsearch/")], labels::GOO),
    by(&[Anywhere("Apple-PubSub")], labels::APPLE_ICLOUD),
    by(&[Anywhere("(www.radian6.com/crawler)")], labels::RADIAN6),
    by(&[Anywhere("Genieo/")], labels::GENIEO),
    by(&[Anywhere("labs.topsy.com/butterfly/")], labels::TOPSY_BUTTERFLY),
    by(&[Anywhere("rogerbot/1.0 (http://www.seomoz.org/dp/rogerbot")], labels::ROGERBOT),
    by(&[Anywhere("compatible; AhrefsBot/")], labels::AHREFSBOT),
    by(&[Anywhere("livedoor FeedFetcher"), Anywhere("Fastladder FeedFetcher")], labels::LIVEDOOR_FEEDFETCHER),
    by(&[Anywhere("Hatena Antenna"), Anywhere("Hatena Pagetitle Agent"), Anywhere("Hatena Diary RSS")], labels::HATENA),
    by(&[Anywhere("mixi-check"), Anywhere("mixi-crawler"), Anywhere("mixi-news-crawler")], labels::MIXI),
    by(&[Anywhere("compatible; Indy Library")], labels::INDY_LIBRARY),
    by(&[Anywhere("trendictionbot")], labels::TRENDICTION),
];

/// The crawler a token names, if any.
pub fn named(agent: &Text) -> Option<&'static Label> {
    NAMED
        .iter()
        .find(|n| n.tokens.iter().any(|t| t.is_in(agent)) && (n.given.is_empty() || n.given.iter().any(|g| agent.contains(g))))
        .map(|n| &n.label)
}

/// What may follow "bot", "crawler" or "spider" (`[-_ ./;@()]`), besides the end.
const AFTER_CRAWLER_WORD: [char; 9] = ['-', '_', ' ', '.', '/', ';', '@', '(', ')'];
/// Tokens of crawlers woothee does not name.
const OTHER_CRAWLERS: &[&str] = &["Rome Client ", "UnwindFetchor/", "ia_archiver ", "Summify ", "PostRank/", "ASP-Ranker Feed Crawler"];

/// woothee's last guess (in any case: "bot", "crawler" or "spider" ending a
/// word, "feed parser", "web parser", "watchdog"), once nothing else named the
/// client.
pub fn looks_like_one(agent: &Text) -> bool {
    ["bot", "crawler", "spider"]
        .iter()
        .any(|word| scan::after_ignoring_case(agent.as_str(), word).any(|rest| rest.is_empty() || rest.starts_with(AFTER_CRAWLER_WORD)))
        || OTHER_CRAWLERS.iter().any(|t| agent.contains(t))
        || ["feed", "web"].iter().any(|word| {
            scan::after_ignoring_case(agent.as_str(), word)
                .any(|rest| scan::strip_prefix_ignoring_case(rest.strip_prefix(' ').unwrap_or(rest), "parser").is_some())
        })
        || scan::after_ignoring_case(agent.as_str(), "watch")
            .any(|rest| scan::strip_prefix_ignoring_case(rest.strip_prefix(' ').unwrap_or(rest), "dog").is_some())
}
