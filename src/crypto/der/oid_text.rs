//! OBJECT IDENTIFIERs between their DER content bytes and the forms people and other libraries
//! use: dotted text (error messages, configuration) and arcs (rcgen). Dotted text can come from
//! configuration and content bytes from anyone, so both directions are checked, never trusted.

#![deny(
    clippy::indexing_slicing,
    clippy::arithmetic_side_effects,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic
)]

use super::error::DerError;

/// Checks OID content bytes: non-empty, every arc minimally encoded and terminated.
pub(super) fn validate_oid(content: &[u8]) -> Result<(), DerError> {
    if content.is_empty() || content.last().is_some_and(|b| b & 0x80 != 0) {
        return Err(DerError::BadOid);
    }
    let mut start_of_arc = true;
    for b in content {
        if start_of_arc && *b == 0x80 {
            return Err(DerError::BadOid);
        }
        start_of_arc = b & 0x80 == 0;
    }
    Ok(())
}

/// The arcs of OID content bytes, e.g. `[1, 2, 840, 113549, 1, 7, 2]` (arcs up to 64 bits).
pub fn oid_to_arcs(content: &[u8]) -> Result<Vec<u64>, DerError> {
    validate_oid(content)?;
    let mut subidentifiers: Vec<u64> = Vec::with_capacity(content.len());
    let mut value: u64 = 0;
    for b in content {
        value = value.checked_mul(128).ok_or(DerError::BadOid)? | u64::from(b & 0x7f);
        if b & 0x80 == 0 {
            subidentifiers.push(value);
            value = 0;
        }
    }
    let mut arcs = Vec::with_capacity(subidentifiers.len().saturating_add(1));
    let mut rest = subidentifiers.into_iter();
    // The first subidentifier packs two arcs: 40 * first + second (X.690 §8.19.4).
    match rest.next() {
        Some(a) if a < 40 => arcs.extend([0, a]),
        Some(a) if a < 80 => arcs.extend([1, a.saturating_sub(40)]),
        Some(a) => arcs.extend([2, a.saturating_sub(80)]),
        None => return Err(DerError::BadOid),
    }
    arcs.extend(rest);
    Ok(arcs)
}

/// Dotted text of OID content bytes, e.g. `1.2.840.113549.1.7.2`.
pub fn oid_to_string(content: &[u8]) -> Result<String, DerError> {
    let arcs = oid_to_arcs(content)?;
    Ok(arcs
        .iter()
        .map(u64::to_string)
        .collect::<Vec<_>>()
        .join("."))
}

/// OID content bytes of dotted text such as `1.3.6.1.4.1.32473.3161.1` (arcs up to 64 bits),
/// or `None` if the text is not an OID.
pub fn oid_from_string(dotted: &str) -> Option<Vec<u8>> {
    let arcs: Vec<u64> = dotted
        .split('.')
        .map(|a| {
            // Reject signs, spaces and leading zeros that `parse` would accept or ignore.
            let canonical = !a.is_empty()
                && a.bytes().all(|b| b.is_ascii_digit())
                && (a == "0" || !a.starts_with('0'));
            canonical.then(|| a.parse().ok()).flatten()
        })
        .collect::<Option<_>>()?;
    let (&first, &second) = (arcs.first()?, arcs.get(1)?);
    if first > 2 || (first < 2 && second >= 40) {
        return None;
    }
    let mut out = Vec::with_capacity(arcs.len().saturating_add(4));
    let head = first.checked_mul(40)?.checked_add(second)?;
    for arc in std::iter::once(head).chain(arcs.iter().skip(2).copied()) {
        push_base128(&mut out, arc);
    }
    Some(out)
}

/// Appends `value` in base 128, most significant group first, the high bit set on all groups
/// but the last.
fn push_base128(out: &mut Vec<u8>, value: u64) {
    let mut groups = Vec::with_capacity(10);
    let mut v = value;
    loop {
        groups.push((v % 128) as u8);
        v /= 128;
        if v == 0 {
            break;
        }
    }
    for (i, group) in groups.iter().enumerate().rev() {
        out.push(group | if i > 0 { 0x80 } else { 0 });
    }
}

/// Dotted text for a message; never fails (content that is not an OID is shown in hex).
pub fn oid_text(content: &[u8]) -> String {
    oid_to_string(content).unwrap_or_else(|_| format!("(invalid OID {})", hex::encode(content)))
}
