//! Lowercase hex of digest prefixes: pseudonyms, history hashes, counter keys and
//! policy digests each show a few bytes of a SHA-256. Written digit by digit rather
//! than with `format!` per byte, whose machinery is costly on every decision's path.

/// Appends the hex of `bytes` to `out`.
pub fn push_hex(out: &mut String, bytes: &[u8]) {
    out.reserve(bytes.len() * 2);
    for b in bytes {
        // Both nibbles are below 16, so from_digit always answers.
        out.push(char::from_digit(u32::from(b >> 4), 16).unwrap_or('0'));
        out.push(char::from_digit(u32::from(b & 0x0f), 16).unwrap_or('0'));
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn as_format_writes_it() {
        let bytes: Vec<u8> = (0..=255).collect();
        let mut ours = String::from("x_");
        super::push_hex(&mut ours, &bytes);
        let theirs: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
        assert_eq!(ours, format!("x_{theirs}"));
    }
}
