//! Email addresses as policy compares them. Two spellings of one mailbox's
//! domain must compare equal (`Bücher.example.` and `xn--bcher-kva.example`),
//! and anything a mail server would not accept is refused with a reason
//! instead of being guessed at: a domain decides which organization a person
//! lands in.

use idna::uts46::{AsciiDenyList, DnsLength, Hyphens, Uts46};

/// RFC 5321: 64 bytes of local part, 254 of path.
const MAX_LOCAL: usize = 64;
const MAX_ADDRESS: usize = 254;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Email {
    /// The local part as given (case may matter to the mail server).
    pub local: String,
    /// The domain in lowercase ASCII (punycode), no trailing dot.
    pub domain: String,
}

impl Email {
    /// The local part without a `+tag` and in lowercase: `Sam.Lee+test` and
    /// `sam.lee` are one person for counting sign-ups.
    pub fn base_local(&self) -> String {
        let base = self.local.split_once('+').map_or(self.local.as_str(), |(b, _)| b);
        base.to_lowercase()
    }
}

/// Why an address was refused; the text names the rule, never the address.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EmailError {
    Empty,
    TooLong,
    NoAt,
    EmptyLocal,
    LocalTooLong,
    LocalCharacters,
    AddressLiteral,
    BadDomain,
    SingleLabel,
}

impl EmailError {
    pub fn message(self) -> &'static str {
        match self {
            EmailError::Empty => "the email address is empty",
            EmailError::TooLong => "the email address is longer than 254 bytes",
            EmailError::NoAt => "the email address has no `@`",
            EmailError::EmptyLocal => "the email address has nothing before the `@`",
            EmailError::LocalTooLong => "the part before the `@` is longer than 64 bytes",
            EmailError::LocalCharacters => "the part before the `@` has spaces, control characters or quotes",
            EmailError::AddressLiteral => "the domain is an IP address literal, not a name",
            EmailError::BadDomain => "the domain is not a valid internationalized domain name",
            EmailError::SingleLabel => "the domain has a single label (no dot)",
        }
    }
}

/// Parses and normalizes an address: surrounding whitespace and a trailing
/// dot go, the domain is mapped by UTS-46 (IDNA 2008 with compatibility
/// mapping, STD3 rules, DNS lengths) to lowercase ASCII.
pub fn parse(input: &str) -> Result<Email, EmailError> {
    let s = input.trim();
    if s.is_empty() {
        return Err(EmailError::Empty);
    }
    if s.len() > MAX_ADDRESS {
        return Err(EmailError::TooLong);
    }
    // The last `@`: a quoted local part may contain one, a domain never does.
    let (local, domain) = s.rsplit_once('@').ok_or(EmailError::NoAt)?;
    if local.is_empty() {
        return Err(EmailError::EmptyLocal);
    }
    if local.len() > MAX_LOCAL {
        return Err(EmailError::LocalTooLong);
    }
    // Quoted local parts are legal and used by nobody but attackers probing parsers.
    if local.chars().any(|c| c.is_whitespace() || c.is_control() || c == '"' || c == '@') {
        return Err(EmailError::LocalCharacters);
    }
    Ok(Email { local: local.to_string(), domain: normalize_domain(domain)? })
}

/// A domain in the one form policy compares: lowercase ASCII, no trailing dot.
pub fn normalize_domain(input: &str) -> Result<String, EmailError> {
    let d = input.trim();
    let d = d.strip_suffix('.').unwrap_or(d);
    if d.starts_with('[') {
        return Err(EmailError::AddressLiteral);
    }
    if d.is_empty() {
        return Err(EmailError::BadDomain);
    }
    let ascii = Uts46::new()
        .to_ascii(d.as_bytes(), AsciiDenyList::STD3, Hyphens::CheckFirstLast, DnsLength::Verify)
        .map_err(|_| EmailError::BadDomain)?;
    if !ascii.contains('.') {
        return Err(EmailError::SingleLabel);
    }
    // All-numeric last label: a bare IPv4 address written without brackets.
    if ascii.rsplit('.').next().is_some_and(|tld| tld.bytes().all(|b| b.is_ascii_digit())) {
        return Err(EmailError::AddressLiteral);
    }
    Ok(ascii.into_owned())
}

/// `domain` is `listed` or a subdomain of it (both normalized).
pub fn within(domain: &str, listed: &str) -> bool {
    domain == listed
        || (domain.len() > listed.len()
            && domain.ends_with(listed)
            && domain.as_bytes().get(domain.len() - listed.len() - 1) == Some(&b'.'))
}

/// The domain and each parent above it, longest first, stopping before the
/// last label (`a.b.example.com`, `b.example.com`, `example.com`).
pub fn self_and_parents(domain: &str) -> impl Iterator<Item = &str> {
    let mut rest = Some(domain);
    std::iter::from_fn(move || {
        let current = rest?;
        rest = current.split_once('.').map(|(_, parent)| parent).filter(|p| p.contains('.'));
        Some(current)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn case_whitespace_trailing_dot_and_unicode_compare_equal() {
        let a = parse("  Sam.Lee+test@ACME-Industries.COM. ").unwrap();
        assert_eq!(a.domain, "acme-industries.com");
        assert_eq!(a.local, "Sam.Lee+test");
        assert_eq!(a.base_local(), "sam.lee");
        assert_eq!(parse("x@Bücher.Example").unwrap().domain, "xn--bcher-kva.example");
        assert_eq!(parse("x@xn--bcher-kva.example").unwrap().domain, "xn--bcher-kva.example");
        // Full-width letters and the ideographic full stop map to their ASCII forms.
        assert_eq!(parse("x@ｅｘａｍｐｌｅ。com").unwrap().domain, "example.com");
    }

    #[test]
    fn malformed_addresses_are_refused_with_a_reason() {
        for (input, why) in [
            ("", EmailError::Empty),
            ("sam.example.com", EmailError::NoAt),
            ("@example.com", EmailError::EmptyLocal),
            ("sam@localhost", EmailError::SingleLabel),
            ("sam@[192.0.2.1]", EmailError::AddressLiteral),
            ("sam@192.0.2.1", EmailError::AddressLiteral),
            ("sam@exa mple.com", EmailError::BadDomain),
            ("sam@-example.com", EmailError::BadDomain),
            ("sam@example..com", EmailError::BadDomain),
            ("sam@ex_ample.com", EmailError::BadDomain),
            ("\"sam\"@example.com", EmailError::LocalCharacters),
            ("sa\u{0}m@example.com", EmailError::LocalCharacters),
        ] {
            assert_eq!(parse(input), Err(why), "{input:?}");
        }
        assert_eq!(parse(&format!("{}@example.com", "a".repeat(65))), Err(EmailError::LocalTooLong));
        assert_eq!(parse(&format!("a@{}.com", "b".repeat(300))), Err(EmailError::TooLong));
        assert_eq!(parse(&format!("a@{}.com", "b".repeat(64))), Err(EmailError::BadDomain), "label over 63");
    }

    #[test]
    fn subdomains_and_parents() {
        assert!(within("mail.acme.com", "acme.com"));
        assert!(within("acme.com", "acme.com"));
        assert!(!within("notacme.com", "acme.com"));
        assert!(!within("com", "acme.com"));
        let parents: Vec<_> = self_and_parents("a.b.example.com").collect();
        assert_eq!(parents, ["a.b.example.com", "b.example.com", "example.com"]);
        assert_eq!(self_and_parents("example.com").collect::<Vec<_>>(), ["example.com"]);
    }
}
