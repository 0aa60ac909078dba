//! The feed's checks, one failure at a time, on envelopes signed here with a
//! fixed seed (the fixtures signed by node:crypto are in `tests/threat/`).

use super::*;
use serde_json::json;

const SEED: [u8; 32] = [7; 32];
const OTHER_SEED: [u8; 32] = [9; 32];
/// 2026-11-03T02:30:00Z
const NOW_MS: f64 = 1_793_673_000_000.0;

fn keypair(seed: [u8; 32]) -> ed25519_compact::KeyPair {
    ed25519_compact::KeyPair::from_seed(ed25519_compact::Seed::new(seed))
}

fn b64(bytes: &[u8]) -> String {
    const A: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut s = String::new();
    for chunk in bytes.chunks(3) {
        let n = chunk.iter().enumerate().fold(0u32, |n, (i, b)| n | (u32::from(*b) << (16 - 8 * i)));
        for i in 0..4 {
            if i <= chunk.len() {
                s.push(A[((n >> (18 - 6 * i)) & 63) as usize] as char);
            } else {
                s.push('=');
            }
        }
    }
    s
}

fn public_key(seed: [u8; 32]) -> String {
    b64(keypair(seed).pk.as_ref())
}

fn envelope_of(payload: &str, seed: [u8; 32]) -> Vec<u8> {
    let signature = keypair(seed).sk.sign(payload.as_bytes(), None);
    json!({"format": FORMAT, "payload": payload, "signature": b64(signature.as_ref())}).to_string().into_bytes()
}

fn payload() -> serde_json::Value {
    json!({
        "version": 1, "tenant": "acme-prod",
        "issued_at": "2026-11-03T02:00:00.000Z", "expires_at": "2026-11-03T03:00:00.000Z",
        "networks": [
            {"cidr": "203.0.113.0/24", "kinds": ["credential_stuffing"], "severity": "high", "until": "2026-11-03T03:00:00.000Z"},
            {"cidr": "198.51.100.7/32", "kinds": ["signup_wave"], "severity": "low", "until": "2026-11-03T02:20:00.000Z"},
            {"cidr": "2001:db8:abcd::/48", "kinds": ["credential_stuffing"], "severity": "medium", "until": "2026-11-03T03:00:00.000Z"}
        ],
        "accounts": [
            {"user": crate::audit::pseudonymize_user(Some("acme-prod"), "auth0|victim"), "kinds": ["mfa_fatigue"], "severity": "medium", "until": "2026-11-03T03:00:00.000Z"}
        ]
    })
}

fn verify(envelope: &[u8]) -> Result<Feed, FeedError> {
    Feed::verify(envelope, &public_key(SEED), NOW_MS)
}

fn code_of(result: Result<Feed, FeedError>) -> &'static str {
    match result {
        Ok(_) => "ok",
        Err(e) => e.code(),
    }
}

#[test]
fn a_signed_feed_answers_for_networks_and_accounts() {
    let feed = verify(&envelope_of(&payload().to_string(), SEED)).unwrap();
    let now_s = (NOW_MS / 1000.0) as i64;
    let ip = |s: &str| s.parse::<IpAddr>().unwrap();
    let hit = feed.network_under_attack(ip("203.0.113.250"), now_s).unwrap();
    assert_eq!((hit.kinds.as_slice(), hit.severity), (&["credential_stuffing".to_string()][..], Severity::High));
    assert!(feed.network_under_attack(ip("203.0.114.1"), now_s).is_none());
    // Listed until 02:20: over at 02:30.
    assert!(feed.network_under_attack(ip("198.51.100.7"), now_s).is_none());
    assert!(feed.network_under_attack(ip("198.51.100.7"), now_s - 1200).is_some());
    assert!(feed.network_under_attack(ip("2001:db8:abcd:1::9"), now_s).is_some());
    // An IPv4 address written as IPv6 is the same address.
    assert!(feed.network_under_attack(ip("::ffff:203.0.113.9"), now_s).is_some());
    assert!(feed.account_of_user("auth0|victim", now_s).is_some());
    assert!(feed.account_of_user("auth0|someone-else", now_s).is_none());
    assert_eq!((feed.network_count(), feed.account_count()), (3, 1));
    assert_eq!(feed.check(Some("acme-prod"), now_s), Ok(()));
    assert_eq!(feed.check(Some("globex"), now_s), Err(FeedError::TenantMismatch));
    assert_eq!(feed.check(None, now_s), Err(FeedError::TenantMismatch));
    assert_eq!(feed.check(Some("acme-prod"), now_s + 1800), Err(FeedError::Expired));
}

#[test]
fn every_failure_is_a_typed_error_never_a_panic() {
    let good = payload().to_string();
    let with = |f: &dyn Fn(&mut serde_json::Value)| {
        let mut p = payload();
        f(&mut p);
        envelope_of(&p.to_string(), SEED)
    };
    let cases: Vec<(&str, Vec<u8>)> = vec![
        ("ok", envelope_of(&good, SEED)),
        ("threat_feed_signature", envelope_of(&good, OTHER_SEED)),
        // The payload changed after signing.
        ("threat_feed_signature", {
            let mut e: serde_json::Value = serde_json::from_slice(&envelope_of(&good, SEED)).unwrap();
            e["payload"] = json!(good.replace("high", "low!"));
            e.to_string().into_bytes()
        }),
        ("threat_feed_signature", json!({"format": FORMAT, "payload": good, "signature": "AAAA"}).to_string().into_bytes()),
        ("threat_feed_signature", json!({"format": FORMAT, "payload": good, "signature": "not base64"}).to_string().into_bytes()),
        ("threat_feed_format", json!({"format": "actionguard-threat-feed/2", "payload": good, "signature": ""}).to_string().into_bytes()),
        ("threat_feed_malformed", b"{\"format\":".to_vec()),
        ("threat_feed_malformed", b"[]".to_vec()),
        ("threat_feed_malformed", vec![0xff, 0xfe, 0x00]),
        ("threat_feed_malformed", json!({"format": FORMAT, "payload": 7, "signature": ""}).to_string().into_bytes()),
        ("threat_feed_oversized", vec![b' '; envelope::MAX_ENVELOPE_BYTES + 1]),
        (
            "threat_feed_oversized",
            json!({"format": FORMAT, "payload": " ".repeat(MAX_PAYLOAD_BYTES + 1), "signature": ""}).to_string().into_bytes(),
        ),
        // Signed, but not the format.
        ("threat_feed_malformed", envelope_of("not json", SEED)),
        ("threat_feed_malformed", envelope_of(&format!("{}1{}", "[".repeat(10_000), "]".repeat(10_000)), SEED)),
        ("threat_feed_version", with(&|p| p["version"] = json!(2))),
        ("threat_feed_malformed", with(&|p| p["extra"] = json!(true))),
        ("threat_feed_malformed", with(&|p| p["networks"][0]["cidr"] = json!("203.0.113.0/33"))),
        ("threat_feed_malformed", with(&|p| p["networks"][0]["kinds"] = json!(["Robert'); DROP TABLE--"]))),
        ("threat_feed_malformed", with(&|p| p["networks"][0]["kinds"] = json!([]))),
        ("threat_feed_malformed", with(&|p| p["networks"][0]["severity"] = json!("critical"))),
        ("threat_feed_malformed", with(&|p| p["networks"][0]["until"] = json!("soon"))),
        ("threat_feed_malformed", with(&|p| p["accounts"][0]["user"] = json!("auth0|victim"))),
        ("threat_feed_malformed", with(&|p| p["accounts"][0]["user"] = json!("u_\u{202e}0123456789abcdef0123"))),
        ("threat_feed_malformed", with(&|p| p["tenant"] = json!("\u{0}".repeat(300)))),
        ("threat_feed_malformed", with(&|p| p["expires_at"] = p["issued_at"].clone())),
        ("threat_feed_expired", with(&|p| p["expires_at"] = json!("2026-11-03T02:30:00Z"))),
        (
            "threat_feed_not_yet_valid",
            with(&|p| {
                p["issued_at"] = json!("2026-11-03T02:36:00Z");
                p["expires_at"] = json!("2026-11-03T04:00:00Z");
            }),
        ),
        (
            "threat_feed_too_many_entries",
            with(&|p| {
                // Small entries: 10,001 of them fit in 1 MiB.
                let entry = json!({"cidr": "10.0.0.0/8", "kinds": ["a"], "severity": "low", "until": "2027-01-01T00:00:00Z"});
                p["networks"] = json!(vec![entry; MAX_NETWORKS + 1]);
            }),
        ),
    ];
    for (i, (want, envelope)) in cases.into_iter().enumerate() {
        assert_eq!(code_of(verify(&envelope)), want, "case {i}");
    }
    // Keys: not base64, the wrong length, another key.
    for key in ["", "!!!!", "AAAA", &b64(&[1u8; 31])] {
        assert_eq!(code_of(Feed::verify(&envelope_of(&good, SEED), key, NOW_MS)), "threat_feed_key_invalid", "{key}");
    }
    assert_eq!(code_of(Feed::verify(&envelope_of(&good, SEED), &public_key(OTHER_SEED), NOW_MS)), "threat_feed_signature");
    assert_eq!(code_of(Feed::verify(&envelope_of(&good, SEED), &public_key(SEED), f64::NAN)), "threat_feed_expired");
    assert_eq!(
        Feed::verify_for_tenant(&envelope_of(&good, SEED), &public_key(SEED), NOW_MS, Some("globex")).err(),
        Some(FeedError::TenantMismatch)
    );
}

#[test]
fn a_decision_consults_the_feed_only_when_it_may() {
    use crate::policy::{FloorSetting, ThreatFeed as Policy};
    let feed = verify(&envelope_of(&payload().to_string(), SEED)).unwrap();
    let ip = "203.0.113.9".parse().ok();
    let q = Query { tenant: Some("acme-prod"), ip, user_id: Some("auth0|victim"), now_ms: Some(NOW_MS) };
    let mut warnings = Vec::new();
    let codes = |signals: Vec<crate::signals::Signal>| signals.iter().map(|s| (s.code, s.weight, s.floor)).collect::<Vec<_>>();
    let policy = Policy::default();
    let both = evidence::evidence(&policy, Some(&feed), None, &q, &mut warnings);
    let challenge = Some(crate::signals::Floor::Challenge);
    assert_eq!(codes(both), [("network_under_attack", 0.6, challenge), ("account_under_attack", 0.5, challenge)]);
    assert!(warnings.is_empty());
    // The policy's weights and floors; switched off, nothing and no warning.
    let mut tuned = Policy::default();
    tuned.weights.account_under_attack = 0.9;
    tuned.floors.network_under_attack = FloorSetting::None;
    let got = codes(evidence::evidence(&tuned, Some(&feed), None, &q, &mut warnings));
    assert_eq!(got, [("network_under_attack", 0.6, None), ("account_under_attack", 0.9, challenge)]);
    let off = Policy { enabled: false, ..Policy::default() };
    let note = HostNote { error: Some("threat_feed_signature".into()) };
    assert!(evidence::evidence(&off, Some(&feed), Some(&note), &q, &mut warnings).is_empty() && warnings.is_empty());
    let other = evidence::consult(Some(&feed), None, &Query { tenant: Some("globex"), ..q }, &mut warnings);
    assert_eq!(other, Sightings::default());
    assert_eq!(warnings.pop().map(|w| w.code), Some("threat_feed_tenant_mismatch"));
    // A refresh that failed while an older feed is held: used, and the failure warned.
    let note = HostNote { error: Some("threat_feed_timeout".into()) };
    let held = evidence::consult(Some(&feed), Some(&note), &q, &mut warnings);
    assert!(held.network.is_some());
    assert_eq!(warnings.pop().map(|w| w.code), Some("threat_feed_timeout"));
    let hostile = HostNote { error: Some("\u{202e}<script>".repeat(1000)) };
    assert_eq!(evidence::consult(None, Some(&hostile), &q, &mut warnings), Sightings::default());
    assert_eq!(warnings.pop().map(|w| w.code), Some("threat_feed_unavailable"));
}

#[test]
fn build_lists_networks_and_pseudonymized_accounts_within_bounds() {
    let alert = |kind: &str, subject: (&str, &str), severity: &str| {
        json!({"kind": kind, "severity": severity, "subject": {"type": subject.0, "value": subject.1},
               "organizations": ["org_a"], "users": 3, "events": 40, "first_seen": "x", "last_seen": "y", "reasons": []})
    };
    let mut stuffing = alert("credential_stuffing", ("ip", "203.0.113.77"), "high");
    stuffing["targets"] = json!(["auth0|a", "auth0|b"]);
    let input = json!({"tenant": "acme-prod", "issued_at": "2026-11-03T02:00:00Z", "ttl_seconds": 3600, "alerts": [
        stuffing,
        alert("signup_wave", ("network", "198.51.100.0/24"), "medium"),
        alert("signup_wave", ("domain", "mailinator.com"), "medium"),
        alert("mfa_fatigue", ("user", "auth0|a"), "medium"),
        alert("impossible_travel", ("user", "auth0|c"), "medium"),
        alert("credential_stuffing", ("ip", "not an address"), "high"),
    ]});
    let (built, warnings) = build_json(&input.to_string()).unwrap();
    assert_eq!((built.networks, built.accounts), (2, 2));
    assert_eq!(warnings.iter().map(|w| w.path.as_deref().unwrap_or("")).collect::<Vec<_>>(), ["alerts[5].subject.value"]);
    assert!(!built.payload.contains("auth0|"), "no user id leaves the control plane");
    let (parsed, _) = payload::Payload::parse(&built.payload).unwrap();
    let a = parsed.accounts.iter().find(|e| e.user == crate::audit::pseudonymize_user(Some("acme-prod"), "auth0|a")).unwrap();
    assert_eq!(a.kinds, ["credential_stuffing", "mfa_fatigue"]);
    assert_eq!(a.severity, Severity::High);
    assert_eq!(parsed.networks[0].cidr, "198.51.100.0/24");
    assert_eq!(parsed.networks[1].cidr, "203.0.113.77/32");

    // 30,000 networks: 10,000 kept at most, within 1 MiB, the most severe first.
    let many: Vec<_> = (0..30_000u32)
        .map(|i| {
            alert(
                "credential_stuffing",
                ("ip", &format!("10.{}.{}.{}", i >> 16, (i >> 8) & 255, i & 255)),
                if i % 3 == 0 { "high" } else { "low" },
            )
        })
        .collect();
    let input = json!({"tenant": null, "issued_at": "2026-11-03T02:00:00Z", "ttl_seconds": 3600, "alerts": many});
    let (built, warnings) = build_json(&input.to_string()).unwrap();
    assert!(built.networks > 9_000 && built.payload.len() <= MAX_PAYLOAD_BYTES, "{} {}", built.networks, built.payload.len());
    assert_eq!(warnings.last().map(|w| w.code), Some("feed_truncated"));
    let (parsed, _) = payload::Payload::parse(&built.payload).unwrap();
    assert!(parsed.networks.iter().all(|n| n.severity == Severity::High));

    for (bad, want) in [
        (json!({"tenant": null, "issued_at": "2026-11-03T02:00:00Z", "ttl_seconds": 10, "alerts": []}), "ttl_seconds"),
        (json!({"tenant": null, "issued_at": "yesterday", "ttl_seconds": 3600, "alerts": []}), "issued_at"),
        (json!({"tenant": null, "issued_at": "2026-11-03T02:00:00Z", "ttl_seconds": 3600, "alerts": [{"kind": 1}]}), "alerts[0].kind"),
        (json!({"tenant": null, "issued_at": "2026-11-03T02:00:00Z", "ttl_seconds": 3600}), ""),
    ] {
        let err = build_json(&bad.to_string()).unwrap_err();
        assert_eq!((err.code(), err.path().unwrap_or_default()), ("threat_feed_malformed", want.to_string()), "{bad}");
    }
}
