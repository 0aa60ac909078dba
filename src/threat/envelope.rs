//! Whether a served feed is the control plane's: the envelope
//! `{"format":"actionguard-threat-feed/1","payload":"<JSON text>","signature":"<base64>"}`
//! and its Ed25519 signature over the payload's UTF-8 bytes, checked against
//! the `THREAT_FEED_PUBLIC_KEY` secret (base64 of the raw 32-byte key).
//!
//! The signature is checked before the payload is parsed: an unsigned payload
//! is never read beyond its size. Fields of the envelope other than these three
//! are ignored (they are not signed, so nothing may depend on them).

use serde::Deserialize;

use super::payload::{parse_strict, MAX_PAYLOAD_BYTES};
use super::FeedError;

pub const FORMAT: &str = "actionguard-threat-feed/1";
/// The largest envelope: the largest payload, escaped as a JSON string (a
/// payload is mostly letters, but every quote doubles), and the rest.
pub const MAX_ENVELOPE_BYTES: usize = 2 * MAX_PAYLOAD_BYTES + 4096;

#[derive(Debug, Deserialize)]
struct Envelope {
    format: String,
    payload: String,
    signature: String,
}

/// The payload text of an envelope whose signature `key` verifies.
pub fn open(envelope: &[u8], key: &ed25519_compact::PublicKey) -> Result<String, FeedError> {
    if envelope.len() > MAX_ENVELOPE_BYTES {
        return Err(FeedError::Oversized { what: "envelope", limit: MAX_ENVELOPE_BYTES });
    }
    let text = std::str::from_utf8(envelope)
        .map_err(|_| FeedError::Malformed { path: None, message: "the envelope is not UTF-8 text".to_string() })?;
    let envelope: Envelope = parse_strict(text)?;
    if envelope.format != FORMAT {
        return Err(FeedError::Format);
    }
    if envelope.payload.len() > MAX_PAYLOAD_BYTES {
        return Err(FeedError::Oversized { what: "payload", limit: MAX_PAYLOAD_BYTES });
    }
    let signature = decode_base64(&envelope.signature)
        .and_then(|bytes| ed25519_compact::Signature::from_slice(&bytes).ok())
        .ok_or(FeedError::Signature)?;
    key.verify(envelope.payload.as_bytes(), &signature).map_err(|_| FeedError::Signature)?;
    Ok(envelope.payload)
}

/// The DER prefix of an Ed25519 public key in SubjectPublicKeyInfo form (what
/// `crypto.createPublicKey(...).export({format: 'der', type: 'spki'})` writes),
/// accepted too: it is the other form a key is commonly copied in.
const SPKI_PREFIX: [u8; 12] = [0x30, 0x2a, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x03, 0x21, 0x00];

/// The `THREAT_FEED_PUBLIC_KEY` secret: base64 of the raw 32-byte key (or of its SPKI DER).
pub fn public_key(b64: &str) -> Result<ed25519_compact::PublicKey, FeedError> {
    let bytes = decode_base64(b64).ok_or(FeedError::Key)?;
    let raw = match bytes.strip_prefix(&SPKI_PREFIX[..]) {
        Some(rest) if bytes.len() == SPKI_PREFIX.len() + 32 => rest,
        _ => bytes.as_slice(),
    };
    ed25519_compact::PublicKey::from_slice(raw).map_err(|_| FeedError::Key)
}

/// Standard base64 (RFC 4648, `+` and `/`), padded or not, surrounding white
/// space ignored (a secret pasted with a newline); anything else is `None`.
pub fn decode_base64(text: &str) -> Option<Vec<u8>> {
    let text = text.trim();
    // A key or a signature: nothing here is longer.
    if text.len() > 256 {
        return None;
    }
    let body = text.strip_suffix("==").or_else(|| text.strip_suffix('=')).unwrap_or(text);
    if body.len() % 4 == 1 || (body.len() != text.len() && text.len() % 4 != 0) {
        return None;
    }
    let mut out = Vec::with_capacity(body.len() * 3 / 4);
    let (mut acc, mut bits) = (0u32, 0u32);
    for b in body.bytes() {
        let v = match b {
            b'A'..=b'Z' => b - b'A',
            b'a'..=b'z' => b - b'a' + 26,
            b'0'..=b'9' => b - b'0' + 52,
            b'+' => 62,
            b'/' => 63,
            _ => return None,
        };
        acc = (acc << 6) | u32::from(v);
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push(((acc >> bits) & 0xff) as u8);
        }
    }
    // Leftover bits must be zero: one text per byte string.
    if acc & ((1 << bits) - 1) != 0 {
        return None;
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64_is_strict_and_canonical() {
        assert_eq!(decode_base64("aGVsbG8="), Some(b"hello".to_vec()));
        assert_eq!(decode_base64("aGVsbG8"), Some(b"hello".to_vec()));
        assert_eq!(decode_base64(" aGk=\n"), Some(b"hi".to_vec()));
        assert_eq!(decode_base64(""), Some(Vec::new()));
        assert_eq!(decode_base64("+/+/"), Some(vec![0xfb, 0xff, 0xbf]));
        for bad in ["aGVsbG8=x", "a", "aGk==", "aGl=", "a-_b", "aGVsbG8==", "é", "aG k="] {
            assert_eq!(decode_base64(bad), None, "{bad}");
        }
        assert_eq!(decode_base64(&"A".repeat(300)), None);
    }

    #[test]
    fn a_key_is_32_bytes_raw_or_in_spki() {
        assert_eq!(public_key("AAAA").err(), Some(FeedError::Key));
        assert_eq!(public_key("not base64!").err(), Some(FeedError::Key));
        let raw = [7u8; 32];
        let b64 = |bytes: &[u8]| {
            const A: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
            let mut s = String::new();
            for chunk in bytes.chunks(3) {
                let n = chunk.iter().enumerate().fold(0u32, |n, (i, b)| n | (u32::from(*b) << (16 - 8 * i)));
                for i in 0..=chunk.len() {
                    s.push(A[((n >> (18 - 6 * i)) & 63) as usize] as char);
                }
            }
            s
        };
        assert!(public_key(&b64(&raw)).is_ok());
        let mut spki = SPKI_PREFIX.to_vec();
        spki.extend_from_slice(&raw);
        assert_eq!(public_key(&b64(&spki)).map(|k| *k), Ok(raw));
    }
}
