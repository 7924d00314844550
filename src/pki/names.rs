//! Distinguished names as people read them: RFC 4514 text for messages, logs and the API, and
//! the first value of one attribute (a subject's common name, title or organisation).

use x509_parser::x509::X509Name;

use crate::crypto::oid;

/// RFC 4514's short names for the attribute types it names, plus the `title` we use for an
/// official's position.
const SHORT_NAMES: &[(&[u8], &str)] = &[
    (oid::COMMON_NAME, "CN"),
    (oid::COUNTRY_NAME, "C"),
    (oid::ORGANIZATION_NAME, "O"),
    (oid::ORGANIZATIONAL_UNIT_NAME, "OU"),
    (oid::LOCALITY_NAME, "L"),
    (oid::STATE_OR_PROVINCE_NAME, "ST"),
    (oid::STREET_ADDRESS, "STREET"),
    (oid::TITLE, "title"),
    (oid::SERIAL_NUMBER, "serialNumber"),
    (oid::SURNAME, "SN"),
    (oid::GIVEN_NAME, "GN"),
    (oid::USER_ID, "UID"),
    (oid::DOMAIN_COMPONENT, "DC"),
    (oid::EMAIL_ADDRESS, "emailAddress"),
];

/// RFC 4514-style text: RDNs most specific first, special characters escaped, values that are
/// not strings as `#hex`.
pub(super) fn dn_text(name: &X509Name<'_>) -> String {
    let rdns: Vec<String> = name
        .iter_rdn()
        .map(|rdn| {
            rdn.iter()
                .map(|atv| {
                    let attr_type = atv.attr_type();
                    let key = SHORT_NAMES
                        .iter()
                        .find(|(oid, _)| *oid == attr_type.as_bytes())
                        .map_or_else(|| attr_type.to_id_string(), |(_, k)| (*k).to_owned());
                    let value = match atv.as_str() {
                        Ok(s) => escape_dn_value(s),
                        Err(_) => format!("#{}", hex::encode(atv.attr_value().as_bytes())),
                    };
                    format!("{key}={value}")
                })
                .collect::<Vec<_>>()
                .join("+")
        })
        .collect();
    rdns.into_iter().rev().collect::<Vec<_>>().join(",")
}

/// The first `attribute` (OID content bytes) of `name` as text; empty when there is none or it
/// is not a string.
pub(super) fn first_attribute(name: &X509Name<'_>, attribute: &[u8]) -> String {
    name.iter_attributes()
        .find(|a| a.attr_type().as_bytes() == attribute)
        .and_then(|a| a.as_str().ok())
        .unwrap_or_default()
        .to_string()
}

fn escape_dn_value(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let last = s.chars().count().saturating_sub(1);
    for (i, c) in s.chars().enumerate() {
        let edge_special = (i == 0 && (c == '#' || c == ' ')) || (i == last && c == ' ');
        if edge_special || matches!(c, ',' | '+' | '"' | '\\' | '<' | '>' | ';' | '=') {
            out.push('\\');
        }
        out.push(c);
    }
    out
}
