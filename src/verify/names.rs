//! Names as RFC 5280 compares them: distinguished names attribute by attribute (§7.1: string
//! values case-folded with their white space collapsed, RDNs as sets), and the name constraints
//! of §4.2.1.10 over directory names, e-mail addresses, DNS names and URIs.
//!
//! Permitted subtrees are kept as one set per constraining CA and a name must fall within every
//! set that constrains its type — the intersection RFC 5280 §6.1.4 (g) asks for, without
//! computing it. Excluded subtrees accumulate as their union.

use std::cell::OnceCell;
use x509_parser::asn1_rs::Tag;
use x509_parser::extensions::{GeneralName, NameConstraints};

use x509_parser::prelude::FromDer;
use x509_parser::x509::{RelativeDistinguishedName, X509Name};

use crate::crypto::oid;

/// One attribute of a distinguished name in comparable form.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
struct Attribute {
    oid: Vec<u8>,
    value: Value,
}

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
enum Value {
    /// A directory string, case-folded, its white space collapsed.
    Text(String),
    /// Anything else, compared as its encoding.
    Raw(u32, Vec<u8>),
}

/// Names normalised during the current verification (the same few names are compared again and
/// again while paths are built and CRLs matched); bounded, and cleared with the signature cache.
const MAX_REMEMBERED_NAMES: usize = 1024;

thread_local! {
    static NORMALISED: std::cell::RefCell<std::collections::HashMap<Vec<u8>, Vec<Vec<Attribute>>>> =
        std::cell::RefCell::new(std::collections::HashMap::new());
}

/// Forgets the names normalised so far.
pub(super) fn forget_names() {
    NORMALISED.with(|n| n.borrow_mut().clear());
}

/// A distinguished name in comparable form: its RDNs in order, each a sorted set. Names are
/// nearly always byte-identical where they should match, so the encoding is compared first and
/// the normalised form is made only when the bytes differ.
#[derive(Debug, Clone)]
pub(super) struct Dn {
    raw: Option<Vec<u8>>,
    rdns: OnceCell<Vec<Vec<Attribute>>>,
}

impl PartialEq for Dn {
    fn eq(&self, other: &Dn) -> bool {
        if let (Some(a), Some(b)) = (&self.raw, &other.raw) {
            if a == b {
                return true;
            }
        }
        self.rdns() == other.rdns()
    }
}

impl Eq for Dn {}

impl Dn {
    pub(super) fn of(name: &X509Name<'_>) -> Dn {
        Dn {
            raw: Some(name.as_raw().to_vec()),
            rdns: OnceCell::new(),
        }
    }

    fn rdns(&self) -> &Vec<Vec<Attribute>> {
        self.rdns.get_or_init(|| {
            let Some(raw) = self.raw.as_deref() else {
                return Vec::new();
            };
            if let Some(known) = NORMALISED.with(|n| n.borrow().get(raw).cloned()) {
                return known;
            }
            let rdns: Vec<Vec<Attribute>> = X509Name::from_der(raw)
                .map(|(_, name)| name.iter().map(rdn_of).collect())
                .unwrap_or_default();
            NORMALISED.with(|n| {
                let mut n = n.borrow_mut();
                if n.len() >= MAX_REMEMBERED_NAMES {
                    n.clear();
                }
                n.insert(raw.to_vec(), rdns.clone());
            });
            rdns
        })
    }

    /// This name with one more RDN: a distribution point named relative to its CRL issuer.
    pub(super) fn with_rdn(&self, rdn: &RelativeDistinguishedName<'_>) -> Dn {
        let mut names = self.rdns().clone();
        names.push(rdn_of(rdn));
        Dn {
            raw: None,
            rdns: OnceCell::from(names),
        }
    }

    pub(super) fn is_empty(&self) -> bool {
        self.rdns().is_empty()
    }

    /// Whether `self` lies in the subtree rooted at `base`: base's RDNs are its first RDNs.
    fn within(&self, base: &Dn) -> bool {
        let (name, base) = (self.rdns(), base.rdns());
        base.len() <= name.len() && name.iter().zip(base).all(|(a, b)| a == b)
    }

    /// The e-mail addresses of the legacy emailAddress attribute (RFC 5280 §4.2.1.10).
    fn email_addresses(&self) -> impl Iterator<Item = &str> {
        self.rdns().iter().flatten().filter_map(|a| match &a.value {
            Value::Text(t) if a.oid == oid::EMAIL_ADDRESS => Some(t.as_str()),
            _ => None,
        })
    }
}

fn rdn_of(rdn: &RelativeDistinguishedName<'_>) -> Vec<Attribute> {
    let mut set: Vec<Attribute> = rdn
        .iter()
        .map(|a| Attribute {
            oid: a.attr_type().as_bytes().to_vec(),
            value: value_of(a.attr_value().tag(), a.as_slice()),
        })
        .collect();
    set.sort();
    set
}

fn value_of(tag: Tag, data: &[u8]) -> Value {
    let text = match tag {
        Tag::PrintableString | Tag::Utf8String | Tag::Ia5String | Tag::NumericString => {
            std::str::from_utf8(data).ok().map(str::to_owned)
        }
        Tag::T61String => Some(data.iter().map(|b| char::from(*b)).collect()),
        Tag::BmpString => {
            let units: Vec<u16> = data
                .chunks_exact(2)
                .map(|c| u16::from_be_bytes([c[0], c[1]]))
                .collect();
            String::from_utf16(&units).ok()
        }
        Tag::UniversalString => data
            .chunks_exact(4)
            .map(|c| char::from_u32(u32::from_be_bytes([c[0], c[1], c[2], c[3]])))
            .collect(),
        _ => None,
    };
    match text {
        Some(t) => Value::Text(
            t.split_whitespace()
                .collect::<Vec<_>>()
                .join(" ")
                .to_lowercase(),
        ),
        None => Value::Raw(tag.0, data.to_vec()),
    }
}

/// The names of one certificate that name constraints apply to.
pub(super) struct SubjectNames<'a> {
    pub(super) dn: Dn,
    pub(super) alt: Vec<GeneralName<'a>>,
}

/// What the constraints of the path so far allow.
#[derive(Default)]
pub(super) struct Constraints {
    /// One entry per CA that set permitted subtrees: its bases.
    permitted: Vec<Vec<Base>>,
    excluded: Vec<Base>,
}

#[derive(Debug, Clone)]
enum Base {
    Directory(Dn),
    Email(String),
    Dns(String),
    Uri(String),
    /// A form this validator cannot judge: names of its kind are refused.
    Other(u8),
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Kind {
    Directory,
    Email,
    Dns,
    Uri,
    Other(u8),
}

impl Base {
    fn of(name: &GeneralName<'_>) -> Base {
        match name {
            GeneralName::DirectoryName(n) => Base::Directory(Dn::of(n)),
            GeneralName::RFC822Name(s) => Base::Email(s.to_ascii_lowercase()),
            GeneralName::DNSName(s) => Base::Dns(s.to_ascii_lowercase()),
            GeneralName::URI(s) => Base::Uri(s.to_ascii_lowercase()),
            other => Base::Other(kind_number(other)),
        }
    }

    fn kind(&self) -> Kind {
        match self {
            Base::Directory(_) => Kind::Directory,
            Base::Email(_) => Kind::Email,
            Base::Dns(_) => Kind::Dns,
            Base::Uri(_) => Kind::Uri,
            Base::Other(n) => Kind::Other(*n),
        }
    }

    fn covers(&self, name: &Name<'_>) -> bool {
        match (self, name) {
            (Base::Directory(base), Name::Directory(dn)) => dn.within(base),
            (Base::Email(base), Name::Email(address)) => email_within(address, base),
            (Base::Dns(base), Name::Dns(host)) => dns_within(host, base),
            (Base::Uri(base), Name::Uri(uri)) => {
                uri_host(uri).is_some_and(|host| host_within(&host, base))
            }
            _ => false,
        }
    }
}

fn kind_number(name: &GeneralName<'_>) -> u8 {
    match name {
        GeneralName::OtherName(..) => 0,
        GeneralName::RFC822Name(_) => 1,
        GeneralName::DNSName(_) => 2,
        GeneralName::X400Address(_) => 3,
        GeneralName::DirectoryName(_) => 4,
        GeneralName::EDIPartyName(_) => 5,
        GeneralName::URI(_) => 6,
        GeneralName::IPAddress(_) => 7,
        GeneralName::RegisteredID(_) => 8,
        GeneralName::Invalid(..) => 255,
    }
}

/// A name of the certificate, as constraints see it.
enum Name<'n> {
    Directory(&'n Dn),
    Email(String),
    Dns(String),
    Uri(String),
    Other(u8),
}

impl Name<'_> {
    fn kind(&self) -> Kind {
        match self {
            Name::Directory(_) => Kind::Directory,
            Name::Email(_) => Kind::Email,
            Name::Dns(_) => Kind::Dns,
            Name::Uri(_) => Kind::Uri,
            Name::Other(n) => Kind::Other(*n),
        }
    }

    fn describe(&self) -> String {
        match self {
            Name::Directory(_) => "its subject name".into(),
            Name::Email(e) => format!("e-mail address {e}"),
            Name::Dns(d) => format!("DNS name {d}"),
            Name::Uri(u) => format!("URI {u}"),
            Name::Other(n) => format!("a name of form [{n}]"),
        }
    }
}

/// `address` within `base`: a mailbox (exact), a host (every mailbox there), or `.domain`
/// (every host below it).
fn email_within(address: &str, base: &str) -> bool {
    let address = address.to_ascii_lowercase();
    let Some((_, host)) = address.rsplit_once('@') else {
        return false;
    };
    if base.contains('@') {
        address == base
    } else if base.starts_with('.') {
        host.ends_with(base)
    } else {
        host == base
    }
}

/// `host` within the DNS subtree `base`: the name itself or any name below it.
fn dns_within(host: &str, base: &str) -> bool {
    let host = host.to_ascii_lowercase();
    if base.is_empty() {
        return true;
    }
    let base = base.trim_start_matches('.');
    host == base
        || host
            .strip_suffix(base)
            .is_some_and(|rest| rest.ends_with('.'))
}

/// A URI's host within `base`: exact for a host, below it for `.domain`.
fn host_within(host: &str, base: &str) -> bool {
    if base.starts_with('.') {
        host.ends_with(base)
    } else {
        host == base
    }
}

fn uri_host(uri: &str) -> Option<String> {
    let (_, rest) = uri.split_once("://")?;
    let authority = rest.split(['/', '?', '#']).next()?;
    let host = authority.rsplit_once('@').map_or(authority, |(_, h)| h);
    let host = host.split(':').next()?;
    (!host.is_empty()).then(|| host.to_ascii_lowercase())
}

impl Constraints {
    /// Adds a CA's NameConstraints (RFC 5280 §6.1.4 (g)).
    pub(super) fn add(&mut self, nc: &NameConstraints<'_>) {
        if let Some(permitted) = &nc.permitted_subtrees {
            self.permitted
                .push(permitted.iter().map(|s| Base::of(&s.base)).collect());
        }
        if let Some(excluded) = &nc.excluded_subtrees {
            self.excluded
                .extend(excluded.iter().map(|s| Base::of(&s.base)));
        }
    }

    /// No CA of the path so far constrains names.
    pub(super) fn is_empty(&self) -> bool {
        self.permitted.is_empty() && self.excluded.is_empty()
    }

    /// Why the names of a certificate break the constraints, if they do (§6.1.3 (b), (c)).
    pub(super) fn violation(&self, names: &SubjectNames<'_>) -> Option<String> {
        if self.is_empty() {
            return None;
        }
        let mut all: Vec<Name<'_>> = Vec::new();
        if !names.dn.is_empty() {
            all.push(Name::Directory(&names.dn));
        }
        let has_email_alt = names
            .alt
            .iter()
            .any(|n| matches!(n, GeneralName::RFC822Name(_)));
        if !has_email_alt {
            all.extend(
                names
                    .dn
                    .email_addresses()
                    .map(|e| Name::Email(e.to_owned())),
            );
        }
        for alt in &names.alt {
            all.push(match alt {
                GeneralName::DirectoryName(_) => continue,
                GeneralName::RFC822Name(s) => Name::Email(s.to_string()),
                GeneralName::DNSName(s) => Name::Dns(s.to_string()),
                GeneralName::URI(s) => Name::Uri(s.to_string()),
                other => Name::Other(kind_number(other)),
            });
        }
        let alt_dns: Vec<Dn> = names
            .alt
            .iter()
            .filter_map(|n| match n {
                GeneralName::DirectoryName(d) => Some(Dn::of(d)),
                _ => None,
            })
            .collect();
        all.extend(alt_dns.iter().map(Name::Directory));
        for name in &all {
            for set in &self.permitted {
                let of_kind: Vec<&Base> = set.iter().filter(|b| b.kind() == name.kind()).collect();
                if !of_kind.is_empty() && !of_kind.iter().any(|b| b.covers(name)) {
                    return Some(format!(
                        "{} is outside the permitted subtrees",
                        name.describe()
                    ));
                }
            }
            for base in self.excluded.iter().filter(|b| b.kind() == name.kind()) {
                if matches!(base, Base::Other(_)) || base.covers(name) {
                    return Some(format!("{} is in an excluded subtree", name.describe()));
                }
            }
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hosts_mailboxes_and_domains() {
        assert!(email_within("a@Example.com", "example.com"));
        assert!(!email_within("a@sub.example.com", "example.com"));
        assert!(email_within("a@sub.example.com", ".example.com"));
        assert!(email_within("a@example.com", "a@example.com"));
        assert!(!email_within("b@example.com", "a@example.com"));
        assert!(dns_within("www.example.com", "example.com"));
        assert!(!dns_within("wwwexample.com", "example.com"));
        assert!(dns_within("example.com", "example.com"));
        assert_eq!(
            uri_host("http://u@Host.example:80/x").as_deref(),
            Some("host.example")
        );
        assert!(host_within("a.example.com", ".example.com"));
        assert!(!host_within("example.com", ".example.com"));
    }
}
