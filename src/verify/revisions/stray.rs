//! Bytes no cross-reference section accounts for. Both readers go by the xref, so an object
//! appended without one, or defined twice within one revision, is invisible to them — and
//! visible to a viewer that repairs files by scanning for `N G obj`. Such bytes after a
//! signature are a change the signature does not cover.

/// Where a revision of the file ends: just after each `%%EOF` marker.
fn revision_ends(pdf: &[u8]) -> Vec<usize> {
    const EOF: &[u8] = b"%%EOF";
    let mut out = Vec::new();
    let mut at = 0;
    while let Some(found) = pdf
        .get(at..)
        .and_then(|rest| rest.windows(EOF.len()).position(|w| w == EOF))
    {
        at = at.saturating_add(found).saturating_add(EOF.len());
        out.push(at);
    }
    out
}

fn is_space(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\r' | b'\n' | b'\x0c' | 0)
}

/// Object definitions `N G obj` in `bytes`, as (offset, number). A lenient scanner's view:
/// inside stream data a match is possible only on purpose.
fn definitions(bytes: &[u8], base: usize) -> Vec<(usize, u32)> {
    let mut out = Vec::new();
    let mut i = 0usize;
    while let Some(found) = bytes
        .get(i..)
        .and_then(|rest| rest.windows(3).position(|w| w == b"obj"))
    {
        let at = i.saturating_add(found);
        i = at.saturating_add(3);
        if bytes.get(at + 3).is_some_and(|b| b.is_ascii_alphanumeric()) {
            continue;
        }
        // Backwards: spaces, the generation's digits, spaces, the number's digits.
        let mut j = at;
        let back_spaces = |j: &mut usize| {
            let start = *j;
            while *j > 0 && bytes.get(*j - 1).copied().is_some_and(is_space) {
                *j -= 1;
            }
            *j < start
        };
        let back_digits = |j: &mut usize| {
            let start = *j;
            while *j > 0 && bytes.get(*j - 1).is_some_and(u8::is_ascii_digit) {
                *j -= 1;
            }
            (*j < start).then_some((*j, start))
        };
        if !back_spaces(&mut j) || back_digits(&mut j).is_none() || !back_spaces(&mut j) {
            continue;
        }
        let Some((from, to)) = back_digits(&mut j) else {
            continue;
        };
        if j > 0 && !bytes.get(j - 1).copied().is_some_and(is_space) {
            continue;
        }
        let number = bytes
            .get(from..to)
            .and_then(|d| std::str::from_utf8(d).ok())
            .and_then(|d| d.parse::<u32>().ok());
        if let Some(number) = number {
            out.push((base.saturating_add(from), number));
        }
    }
    out
}

/// Everything in `pdf` no xref accounts for, as (offset, why): bytes after the last `%%EOF`,
/// and objects defined more than once within one revision.
pub(super) fn unaccounted(pdf: &[u8]) -> Vec<(usize, String)> {
    let ends = revision_ends(pdf);
    let mut out = Vec::new();
    let last = ends.last().copied().unwrap_or(0);
    if let Some(tail) = pdf.get(last..) {
        if let Some(offset) = tail.iter().position(|b| !is_space(*b)) {
            out.push((
                last.saturating_add(offset),
                format!(
                    "{} bytes were appended after the last revision without a cross-reference section",
                    tail.len().saturating_sub(offset)
                ),
            ));
        }
    }
    let mut start = 0usize;
    for end in ends {
        let Some(span) = pdf.get(start..end) else {
            break;
        };
        let mut seen = std::collections::HashMap::new();
        for (offset, number) in definitions(span, start) {
            if let Some(first) = seen.insert(number, offset) {
                out.push((
                    offset,
                    format!(
                        "object {number} is defined twice in one revision (at bytes {first} and {offset}), so readers may differ on which one counts"
                    ),
                ));
            }
        }
        start = end;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn definitions_are_found_and_doubles_and_tails_reported() {
        let pdf = b"%PDF-1.7\n1 0 obj\n<<>>\nendobj\n12 0 obj (x) endobj\nxref\n%%EOF\n";
        assert_eq!(definitions(pdf, 0), vec![(9, 1), (29, 12)]);
        assert!(unaccounted(pdf).is_empty());
        let mut doubled = pdf.to_vec();
        doubled.splice(29..29, b"1 0 obj (y) endobj\n".iter().copied());
        let found = unaccounted(&doubled);
        assert_eq!(found.len(), 1, "{found:?}");
        assert!(found[0].1.contains("object 1 is defined twice"));
        let mut tail = pdf.to_vec();
        tail.extend_from_slice(b"4 0 obj (shadow) endobj\n");
        let found = unaccounted(&tail);
        assert!(found
            .iter()
            .any(|(_, why)| why.contains("appended after the last revision")));
        // `endobj` and words ending in obj are not definitions.
        assert!(definitions(b"endobj nobj 1 0 objx", 0).is_empty());
    }
}
