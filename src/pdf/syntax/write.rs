//! The one writer of PDF files: numbered objects (serialized by `serialize`), then a
//! cross-reference section for them and a trailer.
//!
//! A fresh document ([`Writer::new`]) starts with the header, and its one section lists every
//! object from 0. An incremental update ([`Writer::update`], ISO 32000-1 §7.5.6) starts after
//! an existing document, lists only the objects it adds or replaces, in the kind of section
//! the document uses, and points back with /Prev; nothing before it is touched. Objects are
//! written as they come, so an update knows the offset of every byte it has written (the
//! signer needs the place of its /Contents placeholder).

use std::collections::HashSet;

use super::document::Document;
use super::object::{Dict, ObjRef, Object};
use super::xref::XrefKind;

/// The header of a fresh document; the comment of four high bytes tells transfer tools the
/// file is binary.
const HEADER: &[u8] = b"%PDF-1.7\n%\xE2\xE3\xCF\xD3\n";

/// The free entry that heads the section of a fresh document (§7.5.4).
const FREE_HEAD: ObjRef = ObjRef::new(0, 65535);

/// A document, or one revision of one, being written. Offsets are absolute: the base
/// document's length plus the position in what this writer wrote.
pub struct Writer {
    start: usize,
    buf: Vec<u8>,
    entries: Vec<(ObjRef, usize)>,
    /// The first number this writer hands out; those below belong to the base document.
    first_new: u32,
    next_num: u32,
    /// The previous section, for an update.
    prev: Option<usize>,
    kind: XrefKind,
    root: Option<Object>,
    info: Option<Object>,
    id0: Option<Vec<u8>>,
}

impl Default for Writer {
    fn default() -> Self {
        Self::new()
    }
}

impl Writer {
    /// A fresh document with a classic cross-reference table; name its catalog with
    /// [`Writer::set_root`] before [`Writer::finish`].
    pub fn new() -> Self {
        let mut buf = Vec::with_capacity(16 * 1024);
        buf.extend_from_slice(HEADER);
        Writer {
            start: 0,
            buf,
            entries: Vec::new(),
            first_new: 1,
            next_num: 1,
            prev: None,
            kind: XrefKind::Table,
            root: None,
            info: None,
            id0: None,
        }
    }

    /// Starts an update after `doc` (which may already include earlier appended revisions).
    pub fn update(doc: &Document<'_>, ends_with_eol: bool) -> Self {
        let trailer = doc.trailer();
        let id0 = trailer
            .get("ID")
            .and_then(Object::as_array)
            .and_then(|a| a.first())
            .and_then(Object::as_bytes)
            .map(<[u8]>::to_vec);
        let mut buf = Vec::with_capacity(16 * 1024);
        // The previous %%EOF must end its line, or our first object header would join it.
        if !ends_with_eol {
            buf.push(b'\n');
        }
        let first_new = doc.size().max(1);
        Writer {
            start: doc.len(),
            buf,
            entries: Vec::new(),
            first_new,
            next_num: first_new,
            prev: Some(doc.startxref()),
            kind: doc.xref_kind(),
            root: trailer.get("Root").cloned(),
            info: trailer.get("Info").cloned(),
            id0,
        }
    }

    /// Absolute offset of the next byte written.
    pub fn position(&self) -> usize {
        self.start.saturating_add(self.buf.len())
    }
    /// Absolute offset of the first byte this writer writes.
    pub fn start(&self) -> usize {
        self.start
    }
    /// The number [`Writer::alloc`] would return.
    pub fn next_number(&self) -> u32 {
        self.next_num
    }

    /// A fresh object number.
    pub fn alloc(&mut self) -> ObjRef {
        let r = ObjRef::new(self.next_num, 0);
        self.next_num = self.next_num.saturating_add(1);
        r
    }

    /// Writes object `r` (a new number or one of the base document's, which it replaces).
    pub fn write(&mut self, r: ObjRef, obj: &Object) {
        let mut body = Vec::new();
        obj.write_to(&mut body);
        self.write_raw(r, &body);
    }

    /// Allocates a number for `obj` and writes it.
    pub fn add(&mut self, obj: &Object) -> ObjRef {
        let r = self.alloc();
        self.write(r, obj);
        r
    }

    /// Writes `N G obj body endobj` with an already serialized body; returns the absolute
    /// offset of `body`'s first byte. For the signer, whose placeholder must be located.
    pub(crate) fn write_raw(&mut self, r: ObjRef, body: &[u8]) -> usize {
        self.entries.push((r, self.position()));
        if r.num >= self.next_num {
            self.next_num = r.num.saturating_add(1);
        }
        self.buf
            .extend_from_slice(format!("{} {} obj\n", r.num, r.generation).as_bytes());
        let at = self.position();
        self.buf.extend_from_slice(body);
        self.buf.extend_from_slice(b"\nendobj\n");
        at
    }

    /// Names the catalog in the trailer (an update keeps the document's unless told).
    pub fn set_root(&mut self, root: ObjRef) {
        self.root = Some(Object::Ref(root));
    }
    /// Names the document information dictionary in the trailer.
    pub fn set_info(&mut self, info: ObjRef) {
        self.info = Some(Object::Ref(info));
    }

    /// Writes the xref section and trailer; returns the bytes written (for an update, the
    /// revision to append).
    pub fn finish(mut self) -> Vec<u8> {
        // Every number handed out gets an object, so the section has no holes.
        let written: HashSet<u32> = self.entries.iter().map(|(r, _)| r.num).collect();
        for num in self.first_new..self.next_num {
            if !written.contains(&num) {
                self.write(ObjRef::new(num, 0), &Object::Null);
            }
        }
        let size = self.next_num;
        let mut second_id = crate::crypto::sha256(&self.buf).to_vec();
        second_id.truncate(16);
        let id0 = self.id0.take().unwrap_or_else(|| second_id.clone());
        let mut trailer = Dict::new();
        trailer.set("Size", Object::Int(i64::from(size)));
        if let Some(root) = self.root.take() {
            trailer.set("Root", root);
        }
        if let Some(info) = self.info.take() {
            trailer.set("Info", info);
        }
        trailer.set(
            "ID",
            Object::Array(vec![Object::HexString(id0), Object::HexString(second_id)]),
        );
        if let Some(prev) = self.prev {
            trailer.set("Prev", Object::Int(offset_int(prev)));
        }
        self.entries.sort_by_key(|(r, _)| r.num);
        self.entries.dedup_by_key(|(r, _)| r.num);
        if self.prev.is_none() {
            self.entries.insert(0, (FREE_HEAD, 0));
        }
        let xref_at = self.position();
        match self.kind {
            XrefKind::Table => self.table(trailer),
            XrefKind::Stream => self.stream(trailer, size, xref_at),
        }
        self.buf
            .extend_from_slice(format!("startxref\n{xref_at}\n%%EOF\n").as_bytes());
        self.buf
    }

    fn table(&mut self, trailer: Dict) {
        let mut x = String::from("xref\n");
        for group in groups(&self.entries) {
            let first = group.first().map_or(0, |(r, _)| r.num);
            x.push_str(&format!("{first} {}\n", group.len()));
            for (r, off) in group {
                let kind = if *r == FREE_HEAD { 'f' } else { 'n' };
                // Exactly 20 bytes per entry (§7.5.4).
                x.push_str(&format!("{off:010} {:05} {kind}\r\n", r.generation));
            }
        }
        self.buf.extend_from_slice(x.as_bytes());
        self.buf.extend_from_slice(b"trailer\n");
        Object::Dict(trailer).write_to(&mut self.buf);
        self.buf.push(b'\n');
    }

    /// An xref stream, which lists itself too. Uncompressed: it is a few hundred bytes.
    fn stream(&mut self, mut trailer: Dict, size: u32, xref_at: usize) {
        let me = ObjRef::new(size, 0);
        trailer.set("Size", Object::Int(i64::from(size).saturating_add(1)));
        self.entries.push((me, xref_at));
        let width = if u32::try_from(xref_at).is_ok() { 4 } else { 8 };
        let mut data = Vec::new();
        let mut index = Vec::new();
        for group in groups(&self.entries) {
            index.push(Object::Int(i64::from(
                group.first().map_or(0, |(r, _)| r.num),
            )));
            index.push(Object::Int(offset_int(group.len())));
            for (r, off) in group {
                let be = (*off as u64).to_be_bytes();
                data.push(1u8);
                data.extend_from_slice(be.get(be.len().saturating_sub(width)..).unwrap_or(&be));
                data.extend_from_slice(&r.generation.to_be_bytes());
            }
        }
        trailer.set("Type", Object::name("XRef"));
        trailer.set(
            "W",
            Object::Array(vec![
                Object::Int(1),
                Object::Int(offset_int(width)),
                Object::Int(2),
            ]),
        );
        trailer.set("Index", Object::Array(index));
        let mut body = Vec::new();
        Object::Stream(trailer, data).write_to(&mut body);
        self.buf
            .extend_from_slice(format!("{} 0 obj\n", me.num).as_bytes());
        self.buf.extend_from_slice(&body);
        self.buf.extend_from_slice(b"\nendobj\n");
    }
}

/// An offset or a count as a PDF integer.
fn offset_int(v: usize) -> i64 {
    i64::try_from(v).unwrap_or(i64::MAX)
}

/// Runs of consecutive object numbers, for xref subsections.
fn groups(entries: &[(ObjRef, usize)]) -> Vec<&[(ObjRef, usize)]> {
    let mut out = Vec::new();
    let mut rest = entries;
    while !rest.is_empty() {
        let run = rest
            .windows(2)
            .take_while(|w| matches!(w, [a, b] if a.0.num.checked_add(1) == Some(b.0.num)))
            .count()
            .saturating_add(1);
        let (group, tail) = rest.split_at_checked(run).unwrap_or((rest, &[]));
        out.push(group);
        rest = tail;
    }
    out
}

#[cfg(test)]
mod tests {
    #![allow(
        clippy::unwrap_used,
        clippy::indexing_slicing,
        clippy::arithmetic_side_effects
    )]

    use super::*;

    #[test]
    fn xref_points_at_objects() {
        let mut w = Writer::new();
        let root = w.alloc();
        let pages = w.alloc();
        w.write_raw(pages, b"<< /Type /Pages /Kids [] /Count 0 >>");
        w.write_raw(
            root,
            format!("<< /Type /Catalog /Pages {} 0 R >>", pages.num).as_bytes(),
        );
        w.set_root(root);
        let pdf = w.finish();
        // The header's binary comment is not UTF-8: read the tail (all ASCII) on its own.
        let tail_start = pdf.windows(6).rposition(|w| w == b"\nxref\n").unwrap() + 1;
        let tail = std::str::from_utf8(&pdf[tail_start..]).unwrap();
        let at: usize = tail
            .rsplit("startxref\n")
            .next()
            .unwrap()
            .lines()
            .next()
            .unwrap()
            .parse()
            .unwrap();
        assert_eq!(at, tail_start);
        assert!(tail.starts_with("xref\n0 3\n"));
        let first: usize = tail.lines().nth(3).unwrap()[..10].parse().unwrap();
        assert!(pdf[first..].starts_with(b"1 0 obj\n<< /Type /Catalog"));
    }

    #[test]
    fn numbers_never_written_become_null() {
        let mut w = Writer::new();
        let root = w.alloc();
        let _forgotten = w.alloc();
        w.write(
            root,
            &Object::Dict(Dict::new().with("Type", Object::name("Catalog"))),
        );
        w.set_root(root);
        let pdf = w.finish();
        let text = String::from_utf8_lossy(&pdf);
        assert!(text.contains("2 0 obj\nnull\nendobj\n"), "{text}");
        assert!(text.contains("xref\n0 3\n0000000000 65535 f\r\n"), "{text}");
    }

    #[test]
    fn groups_are_runs_of_numbers() {
        let e = |n| (ObjRef::new(n, 0), 0usize);
        let entries = [e(1), e(2), e(5), e(6), e(7), e(9)];
        let lens: Vec<usize> = groups(&entries).iter().map(|g| g.len()).collect();
        assert_eq!(lens, [2, 3, 1]);
        assert!(groups(&[]).is_empty());
    }
}
