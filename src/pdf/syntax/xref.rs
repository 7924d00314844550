//! Reading the cross-reference chain (ISO 32000-1 §7.5.4, §7.5.8): from `startxref` backwards
//! through /Prev, classic tables, xref streams (with PNG predictors) and hybrid files. The
//! chain, its sections and their entries are bounded, so a hostile file cannot loop or make
//! the reader allocate without end.

use std::collections::HashSet;

use super::error::{malformed, SyntaxError};
use super::filter::decode_within;
use super::lexer::{rfind, Lexer};
use super::object::{Dict, Object};
use super::resolve::{Objects, XrefEntry};

/// Bound on the xref sections followed through `/Prev`.
const MAX_XREF_SECTIONS: usize = 10_000;
/// Bound on the entries of one xref subsection.
const MAX_SUBSECTION: i64 = 10_000_000;
/// How far from the end `startxref` is looked for.
const STARTXREF_WINDOW: usize = 2048;

/// The kind of the newest cross-reference section; an update writes the same kind so that
/// readers which only understand one of them (old tools, or strict ones) keep working.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum XrefKind {
    Table,
    Stream,
}

/// What the chain says besides its entries.
pub struct Chain {
    /// The newest trailer (or xref stream dictionary).
    pub trailer: Dict,
    pub startxref: usize,
    pub kind: XrefKind,
    /// Offsets of every xref section, newest first: one per revision.
    pub sections: Vec<usize>,
}

/// Reads the whole chain into `objects.entries` (newer entries win).
pub fn read_chain(objects: &mut Objects<'_>) -> Result<Chain, SyntaxError> {
    let startxref = find_startxref(objects)?;
    let mut chain = Chain {
        trailer: Dict::new(),
        startxref,
        kind: XrefKind::Table,
        sections: Vec::new(),
    };
    let mut next = Some(startxref);
    let mut seen = HashSet::new();
    let mut first = true;
    while let Some(offset) = next {
        if !seen.insert(offset) || seen.len() > MAX_XREF_SECTIONS {
            return Err(malformed("the cross-reference chain (/Prev) loops"));
        }
        chain.sections.push(offset);
        let bytes = objects.src.from(offset).ok_or_else(|| {
            malformed(format!(
                "cross-reference offset {offset} is beyond the file"
            ))
        })?;
        let (trailer, kind) = if bytes.starts_with(b"xref") {
            let trailer = read_table(objects, bytes)?;
            // Hybrid files: the table's trailer points at an xref stream holding the
            // objects in object streams; its entries rank after the table's own.
            if let Some(stm) = trailer.int("XRefStm") {
                let stm = usize::try_from(stm)
                    .map_err(|_| malformed("/XRefStm is not a valid offset"))?;
                read_stream(objects, stm)?;
            }
            (trailer, XrefKind::Table)
        } else {
            (read_stream(objects, offset)?, XrefKind::Stream)
        };
        next = match trailer.int("Prev") {
            Some(p) => {
                Some(usize::try_from(p).map_err(|_| malformed("/Prev is not a valid offset"))?)
            }
            None => None,
        };
        if first {
            chain.trailer = trailer;
            chain.kind = kind;
            first = false;
        }
    }
    Ok(chain)
}

fn find_startxref(objects: &Objects<'_>) -> Result<usize, SyntaxError> {
    let last = objects.src.last_segment();
    let window = last
        .get(last.len().saturating_sub(STARTXREF_WINDOW)..)
        .unwrap_or(last);
    let at = rfind(window, b"startxref").ok_or_else(|| {
        malformed("no startxref near the end of the file (truncated or not a PDF)")
    })?;
    let mut lx = Lexer::new(window, at.saturating_add(b"startxref".len()));
    let value = match lx.object(0)? {
        Object::Int(n) => {
            usize::try_from(n).map_err(|_| malformed("startxref is not followed by an offset"))?
        }
        _ => return Err(malformed("startxref is not followed by an offset")),
    };
    if value >= objects.src.len() {
        return Err(malformed(format!(
            "startxref points to offset {value}, beyond the end of the file (truncated?)"
        )));
    }
    Ok(value)
}

fn read_table(objects: &mut Objects<'_>, bytes: &[u8]) -> Result<Dict, SyntaxError> {
    let mut lx = Lexer::new(bytes, b"xref".len());
    loop {
        lx.skip_ws();
        if lx.eat(b"trailer") {
            return match lx.object(0)? {
                Object::Dict(d) => Ok(d),
                _ => Err(malformed("the trailer is not a dictionary")),
            };
        }
        let start = lx.unsigned()?;
        let count = lx.unsigned()?;
        if count > MAX_SUBSECTION as u64 {
            return Err(malformed("implausible xref subsection size"));
        }
        for i in 0..count {
            let offset = lx.unsigned()?;
            let generation = lx.unsigned()?;
            lx.skip_ws();
            let kind = lx.rest().first().copied();
            lx.pos = lx.pos.saturating_add(1);
            let num = start
                .checked_add(i)
                .and_then(|n| u32::try_from(n).ok())
                .ok_or_else(|| malformed("object number out of range"))?;
            let entry = match kind {
                Some(b'n') => XrefEntry::Offset(offset as usize, generation as u16),
                Some(b'f') => XrefEntry::Free,
                _ => return Err(malformed("xref table entry is neither n nor f")),
            };
            objects.insert_entry(num, entry)?;
        }
    }
}

fn read_stream(objects: &mut Objects<'_>, offset: usize) -> Result<Dict, SyntaxError> {
    let (_, obj) = objects.parse_indirect_at(offset)?;
    let Object::Stream(dict, raw) = obj else {
        return Err(malformed(format!(
            "startxref/Prev offset {offset} points at neither an xref table nor an xref stream"
        )));
    };
    if dict.name("Type") != Some(b"XRef") {
        return Err(malformed(format!(
            "the object at xref offset {offset} is not an xref stream"
        )));
    }
    let data = decode_within(&dict, &raw, &objects.budget)?;
    let widths: Vec<usize> = dict
        .get("W")
        .and_then(Object::as_array)
        .ok_or_else(|| malformed("xref stream without /W"))?
        .iter()
        .map(|w| w.as_int().and_then(|w| usize::try_from(w).ok()))
        .collect::<Option<_>>()
        .ok_or_else(|| malformed("xref stream /W is not three integers"))?;
    let &[w0, w1, w2] = widths.as_slice() else {
        return Err(malformed("xref stream /W is not three integers"));
    };
    if w0 > 8 || w1 > 8 || w2 > 8 {
        return Err(malformed("xref stream /W field too wide"));
    }
    let row = w0.saturating_add(w1).saturating_add(w2);
    if row == 0 {
        // Rows of no bytes would all say "object at offset 0", and an /Index could ask for
        // billions of them without the stream holding a byte.
        return Err(malformed("xref stream /W gives its rows no bytes"));
    }
    let size = dict.int("Size").unwrap_or(0);
    let index: Vec<i64> = match dict.get("Index").and_then(Object::as_array) {
        Some(a) => a.iter().filter_map(Object::as_int).collect(),
        None => vec![0, size],
    };
    let mut rows = data.chunks_exact(row);
    for pair in index.chunks_exact(2) {
        let &[start, count] = pair else { continue };
        if start < 0 || !(0..=MAX_SUBSECTION).contains(&count) {
            return Err(malformed("xref stream /Index out of range"));
        }
        for i in 0..count {
            let r: &[u8] = rows
                .next()
                .ok_or_else(|| malformed("xref stream shorter than its /Index says"))?;
            let field = |from: usize, width: usize, default: u64| -> u64 {
                if width == 0 {
                    return default;
                }
                r.get(from..from.saturating_add(width))
                    .unwrap_or(&[])
                    .iter()
                    .fold(0u64, |acc, b| (acc << 8) | u64::from(*b))
            };
            let kind = field(0, w0, 1);
            let f1 = field(w0, w1, 0);
            let f2 = field(w0.saturating_add(w1), w2, 0);
            let num = start
                .checked_add(i)
                .and_then(|n| u32::try_from(n).ok())
                .ok_or_else(|| malformed("object number out of range"))?;
            let entry = match kind {
                0 => XrefEntry::Free,
                1 => XrefEntry::Offset(f1 as usize, f2 as u16),
                2 => XrefEntry::InStream {
                    stream: u32::try_from(f1)
                        .map_err(|_| malformed("object stream number out of range"))?,
                    index: u32::try_from(f2)
                        .map_err(|_| malformed("object stream index out of range"))?,
                },
                // Unknown types are to be ignored (ISO 32000-1 §7.5.8.3): treat as null.
                _ => XrefEntry::Free,
            };
            objects.insert_entry(num, entry)?;
        }
    }
    Ok(dict)
}
