//! Writing one incremental update (ISO 32000-1 §7.5.6): new and replaced objects, then a
//! cross-reference section covering only them, then a trailer whose /Prev points at the
//! previous section. Nothing before the update is touched.

use super::object::{Dict, ObjRef, Object};
use super::parse::{Document, XrefKind};

/// One revision being written. Offsets are absolute (the base document's length plus the
/// position in the appendix).
pub struct Update {
    start: usize,
    buf: Vec<u8>,
    entries: Vec<(ObjRef, usize)>,
    next_num: u32,
    prev: usize,
    kind: XrefKind,
    root: Option<Object>,
    info: Option<Object>,
    id0: Option<Vec<u8>>,
}

impl Update {
    /// Starts an update after `doc` (which may already include earlier appended revisions).
    pub fn new(doc: &Document<'_>, ends_with_eol: bool) -> Self {
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
        Update {
            start: doc.len(),
            buf,
            entries: Vec::new(),
            next_num: doc.size().max(1),
            prev: doc.startxref(),
            kind: doc.xref_kind(),
            root: trailer.get("Root").cloned(),
            info: trailer.get("Info").cloned(),
            id0,
        }
    }

    /// Absolute offset of the next byte written.
    pub fn position(&self) -> usize {
        self.start + self.buf.len()
    }
    pub fn start(&self) -> usize {
        self.start
    }

    /// A fresh object number.
    pub fn alloc(&mut self) -> ObjRef {
        let r = ObjRef::new(self.next_num, 0);
        self.next_num = self.next_num.saturating_add(1);
        r
    }

    pub fn write(&mut self, r: ObjRef, obj: &Object) {
        let mut body = Vec::new();
        obj.write_to(&mut body);
        self.write_raw(r, &body);
    }

    /// Writes `N G obj body endobj`; returns the absolute offset of `body`'s first byte.
    pub fn write_raw(&mut self, r: ObjRef, body: &[u8]) -> usize {
        self.entries.push((r, self.position()));
        self.buf
            .extend_from_slice(format!("{} {} obj\n", r.num, r.generation).as_bytes());
        let at = self.position();
        self.buf.extend_from_slice(body);
        self.buf.extend_from_slice(b"\nendobj\n");
        at
    }

    /// Replaces the catalog reference in the trailer (normally unchanged).
    pub fn set_root(&mut self, root: ObjRef) {
        self.root = Some(Object::Ref(root));
    }

    /// Writes the xref section and trailer; returns the revision's bytes.
    pub fn finish(mut self) -> Vec<u8> {
        let size = self.next_num;
        let second_id = {
            let digest = crate::crypto::sha256(&self.buf);
            digest[..16].to_vec()
        };
        let id0 = self.id0.clone().unwrap_or_else(|| second_id.clone());
        let mut trailer = Dict::new();
        trailer.set("Size", Object::Int(i64::from(size)));
        if let Some(root) = self.root.clone() {
            trailer.set("Root", root);
        }
        if let Some(info) = self.info.clone() {
            trailer.set("Info", info);
        }
        trailer.set(
            "ID",
            Object::Array(vec![Object::HexString(id0), Object::HexString(second_id)]),
        );
        trailer.set("Prev", Object::Int(self.prev as i64));
        self.entries.sort_by_key(|(r, _)| r.num);
        self.entries.dedup_by_key(|(r, _)| r.num);
        let xref_at = self.position();
        match self.kind {
            XrefKind::Table => {
                let mut x = String::from("xref\n");
                for group in groups(&self.entries) {
                    x.push_str(&format!("{} {}\n", group[0].0.num, group.len()));
                    for (r, off) in group {
                        // Exactly 20 bytes per entry (§7.5.4).
                        x.push_str(&format!("{off:010} {:05} n\r\n", r.generation));
                    }
                }
                self.buf.extend_from_slice(x.as_bytes());
                self.buf.extend_from_slice(b"trailer\n");
                Object::Dict(trailer).write_to(&mut self.buf);
                self.buf.push(b'\n');
            }
            XrefKind::Stream => {
                // The xref stream lists itself too. Uncompressed: it is a few hundred bytes.
                let me = ObjRef::new(size, 0);
                trailer.set("Size", Object::Int(i64::from(size) + 1));
                self.entries.push((me, xref_at));
                let width = if xref_at > u32::MAX as usize { 8 } else { 4 };
                let mut data = Vec::new();
                let mut index = Vec::new();
                for group in groups(&self.entries) {
                    index.push(Object::Int(i64::from(group[0].0.num)));
                    index.push(Object::Int(group.len() as i64));
                    for (r, off) in group {
                        data.push(1u8);
                        data.extend_from_slice(&(*off as u64).to_be_bytes()[8 - width..]);
                        data.extend_from_slice(&r.generation.to_be_bytes());
                    }
                }
                trailer.set("Type", Object::name("XRef"));
                trailer.set(
                    "W",
                    Object::Array(vec![
                        Object::Int(1),
                        Object::Int(width as i64),
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
        self.buf
            .extend_from_slice(format!("startxref\n{xref_at}\n%%EOF\n").as_bytes());
        self.buf
    }
}

/// Runs of consecutive object numbers, for xref subsections.
fn groups(entries: &[(ObjRef, usize)]) -> Vec<&[(ObjRef, usize)]> {
    let mut out = Vec::new();
    let mut start = 0;
    for i in 1..=entries.len() {
        if i == entries.len() || entries[i].0.num != entries[i - 1].0.num + 1 {
            out.push(&entries[start..i]);
            start = i;
        }
    }
    out
}
