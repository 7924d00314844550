//! A lazy PDF reader for incremental updates and for extracting signatures.
//!
//! It never walks the whole file: it reads the cross-reference chain from `startxref`
//! backwards (classic tables, xref streams with PNG predictors, hybrid files), then resolves
//! only the objects asked for (the catalog, one path down the page tree, the form fields).
//! A document may be given as two segments, the original bytes and an appendix written after
//! it, so a signer can read its own earlier revisions without concatenating a 100 MB input.

use std::{
    cell::RefCell,
    collections::{HashMap, HashSet},
    rc::Rc,
};

use super::object::{is_delimiter, is_whitespace, Dict, ObjRef, Object};
use super::PdfError;

/// Nesting bound for arrays and dictionaries: real documents stay under ten.
const MAX_DEPTH: usize = 64;
/// Bound on the xref sections followed through `/Prev`.
const MAX_XREF_SECTIONS: usize = 10_000;
/// Bound on decoded xref and object streams.
const MAX_DECODED: usize = 256 * 1024 * 1024;
/// Bound on page-tree depth.
const MAX_TREE_DEPTH: usize = 64;

fn malformed(reason: impl Into<String>) -> PdfError {
    PdfError::Malformed(reason.into())
}

/// Where an object lives.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum XrefEntry {
    Free,
    Offset(usize, u16),
    InStream { stream: u32, index: u32 },
}

/// The kind of the newest cross-reference section; an update writes the same kind so that
/// readers which only understand one of them (old tools, or strict ones) keep working.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum XrefKind {
    Table,
    Stream,
}

/// A PDF opened for reading: the cross-reference chain and the newest trailer.
pub struct Document<'a> {
    base: &'a [u8],
    tail: &'a [u8],
    xref: HashMap<u32, XrefEntry>,
    trailer: Dict,
    startxref: usize,
    xref_kind: XrefKind,
    /// Offsets of every xref section, newest first: one per revision.
    sections: Vec<usize>,
    objstm_cache: RefCell<HashMap<u32, Rc<ObjectStream>>>,
}

struct ObjectStream {
    data: Vec<u8>,
    first: usize,
    offsets: Vec<(u32, usize)>,
}

impl<'a> Document<'a> {
    /// Opens `data`, checking the header, the xref chain, encryption and the catalog.
    pub fn open(data: &'a [u8]) -> Result<Self, PdfError> {
        Self::open_with_appendix(data, &[])
    }

    /// Opens `base ‖ appendix` without concatenating them.
    pub fn open_with_appendix(base: &'a [u8], appendix: &'a [u8]) -> Result<Self, PdfError> {
        if base.is_empty() {
            return Err(malformed("the file is empty"));
        }
        // The header may be preceded by junk (ISO 32000-1 allows readers to look in the first
        // 1024 bytes), but offsets then become ambiguous: we accept only a header at 0.
        if !base.starts_with(b"%PDF-") {
            return Err(malformed(
                "not a PDF: the file does not start with the %PDF- header",
            ));
        }
        let mut doc = Document {
            base,
            tail: appendix,
            xref: HashMap::new(),
            trailer: Dict::new(),
            startxref: 0,
            xref_kind: XrefKind::Table,
            sections: Vec::new(),
            objstm_cache: RefCell::new(HashMap::new()),
        };
        doc.startxref = doc.find_startxref()?;
        doc.read_xref_chain()?;
        if doc.trailer.get("Encrypt").is_some() {
            return Err(PdfError::Encrypted);
        }
        let root = doc.root_ref()?;
        let catalog = doc.resolve(root).map_err(|e| {
            malformed(format!(
                "the document catalog (/Root {} {} R) cannot be read: {e}",
                root.num, root.generation
            ))
        })?;
        if catalog.as_dict().is_none() {
            return Err(malformed(
                "the document catalog (/Root) is not a dictionary",
            ));
        }
        Ok(doc)
    }

    /// Total length of the bytes this document spans.
    pub fn len(&self) -> usize {
        self.base.len() + self.tail.len()
    }
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
    pub fn trailer(&self) -> &Dict {
        &self.trailer
    }
    pub fn startxref(&self) -> usize {
        self.startxref
    }
    pub fn xref_kind(&self) -> XrefKind {
        self.xref_kind
    }
    /// Offsets of the xref sections, oldest first: revision boundaries for a verifier.
    pub fn revision_xref_offsets(&self) -> Vec<usize> {
        let mut v = self.sections.clone();
        v.reverse();
        v
    }
    /// Where object `num` lives in the newest revision: a verifier compares two revisions
    /// object by object with this.
    pub fn xref_entry(&self, num: u32) -> Option<XrefEntry> {
        self.xref.get(&num).copied()
    }
    /// Every object number the cross-reference chain lists, ascending.
    pub fn object_numbers(&self) -> Vec<u32> {
        let mut v: Vec<u32> = self.xref.keys().copied().collect();
        v.sort_unstable();
        v
    }
    /// The trailer's /Size: the next free object number.
    pub fn size(&self) -> u32 {
        let declared = self
            .trailer
            .int("Size")
            .and_then(|s| u32::try_from(s).ok())
            .unwrap_or(0);
        let highest = self.xref.keys().max().map_or(0, |m| m.saturating_add(1));
        declared.max(highest)
    }
    pub fn root_ref(&self) -> Result<ObjRef, PdfError> {
        self.trailer
            .get("Root")
            .and_then(Object::as_ref)
            .ok_or_else(|| malformed("the trailer has no /Root reference to the catalog"))
    }
    pub fn catalog(&self) -> Result<Dict, PdfError> {
        let root = self.root_ref()?;
        self.resolve_dict(root)
    }

    /// The bytes from `pos` to the end of the segment containing it.
    fn from(&self, pos: usize) -> Option<&'a [u8]> {
        if pos < self.base.len() {
            self.base.get(pos..)
        } else {
            self.tail.get(pos - self.base.len()..)
        }
    }

    fn find_startxref(&self) -> Result<usize, PdfError> {
        let last = if self.tail.is_empty() {
            self.base
        } else {
            self.tail
        };
        let window = &last[last.len().saturating_sub(2048)..];
        let at = rfind(window, b"startxref").ok_or_else(|| {
            malformed("no startxref near the end of the file (truncated or not a PDF)")
        })?;
        let mut lx = Lexer::new(window, at + b"startxref".len());
        let value = match lx.object(0)? {
            Object::Int(n) if n >= 0 => n as usize,
            _ => return Err(malformed("startxref is not followed by an offset")),
        };
        if value >= self.len() {
            return Err(malformed(format!(
                "startxref points to offset {value}, beyond the end of the file (truncated?)"
            )));
        }
        Ok(value)
    }

    fn read_xref_chain(&mut self) -> Result<(), PdfError> {
        let mut next = Some(self.startxref);
        let mut seen = HashSet::new();
        let mut first = true;
        while let Some(offset) = next {
            if !seen.insert(offset) || seen.len() > MAX_XREF_SECTIONS {
                return Err(malformed("the cross-reference chain (/Prev) loops"));
            }
            self.sections.push(offset);
            let bytes = self.from(offset).ok_or_else(|| {
                malformed(format!(
                    "cross-reference offset {offset} is beyond the file"
                ))
            })?;
            let (trailer, kind) = if bytes.starts_with(b"xref") {
                let trailer = self.read_xref_table(bytes)?;
                // Hybrid files: the table's trailer points at an xref stream holding the
                // objects in object streams; its entries rank after the table's own.
                if let Some(stm) = trailer.int("XRefStm") {
                    let stm = usize::try_from(stm)
                        .map_err(|_| malformed("/XRefStm is not a valid offset"))?;
                    self.read_xref_stream(stm)?;
                }
                (trailer, XrefKind::Table)
            } else {
                (self.read_xref_stream(offset)?, XrefKind::Stream)
            };
            next = match trailer.int("Prev") {
                Some(p) => {
                    Some(usize::try_from(p).map_err(|_| malformed("/Prev is not a valid offset"))?)
                }
                None => None,
            };
            if first {
                self.trailer = trailer;
                self.xref_kind = kind;
                first = false;
            }
        }
        Ok(())
    }

    fn read_xref_table(&mut self, bytes: &'a [u8]) -> Result<Dict, PdfError> {
        let mut lx = Lexer::new(bytes, 4);
        loop {
            lx.skip_ws();
            if lx.rest().starts_with(b"trailer") {
                lx.pos += 7;
                return match lx.object(0)? {
                    Object::Dict(d) => Ok(d),
                    _ => Err(malformed("the trailer is not a dictionary")),
                };
            }
            let start = lx.unsigned()?;
            let count = lx.unsigned()?;
            if count > 10_000_000 {
                return Err(malformed("implausible xref subsection size"));
            }
            for i in 0..count {
                let offset = lx.unsigned()?;
                let generation = lx.unsigned()?;
                lx.skip_ws();
                let kind = lx.rest().first().copied();
                lx.pos += 1;
                let num = u32::try_from(start + i)
                    .map_err(|_| malformed("object number out of range"))?;
                let entry = match kind {
                    Some(b'n') => XrefEntry::Offset(offset as usize, generation as u16),
                    Some(b'f') => XrefEntry::Free,
                    _ => return Err(malformed("xref table entry is neither n nor f")),
                };
                self.xref.entry(num).or_insert(entry);
            }
        }
    }

    fn read_xref_stream(&mut self, offset: usize) -> Result<Dict, PdfError> {
        let (_, obj) = self.parse_indirect_at(offset)?;
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
        let data = decode_stream(&dict, &raw)?;
        let widths: Vec<usize> = dict
            .get("W")
            .and_then(Object::as_array)
            .ok_or_else(|| malformed("xref stream without /W"))?
            .iter()
            .map(|w| w.as_int().and_then(|w| usize::try_from(w).ok()))
            .collect::<Option<_>>()
            .ok_or_else(|| malformed("xref stream /W is not three integers"))?;
        let [w0, w1, w2] = widths[..] else {
            return Err(malformed("xref stream /W is not three integers"));
        };
        if w0 > 8 || w1 > 8 || w2 > 8 {
            return Err(malformed("xref stream /W field too wide"));
        }
        let row = w0 + w1 + w2;
        let size = dict.int("Size").unwrap_or(0);
        let index: Vec<i64> = match dict.get("Index").and_then(Object::as_array) {
            Some(a) => a.iter().filter_map(Object::as_int).collect(),
            None => vec![0, size],
        };
        let mut pos = 0;
        for pair in index.chunks_exact(2) {
            let (start, count) = (pair[0], pair[1]);
            if start < 0 || !(0..=10_000_000).contains(&count) {
                return Err(malformed("xref stream /Index out of range"));
            }
            for i in 0..count {
                let Some(r) = data.get(pos..pos + row) else {
                    return Err(malformed("xref stream shorter than its /Index says"));
                };
                pos += row;
                let field = |from: usize, width: usize, default: u64| -> u64 {
                    if width == 0 {
                        return default;
                    }
                    r[from..from + width]
                        .iter()
                        .fold(0u64, |acc, b| (acc << 8) | u64::from(*b))
                };
                let kind = field(0, w0, 1);
                let f1 = field(w0, w1, 0);
                let f2 = field(w0 + w1, w2, 0);
                let num = u32::try_from(start + i)
                    .map_err(|_| malformed("object number out of range"))?;
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
                self.xref.entry(num).or_insert(entry);
            }
        }
        Ok(dict)
    }

    /// Parses `N G obj <object> endobj` at `offset`.
    fn parse_indirect_at(&self, offset: usize) -> Result<(ObjRef, Object), PdfError> {
        let bytes = self
            .from(offset)
            .ok_or_else(|| malformed(format!("object offset {offset} is beyond the file")))?;
        let mut lx = Lexer::new(bytes, 0);
        let num = lx.unsigned()?;
        let generation = lx.unsigned()?;
        lx.skip_ws();
        if !lx.rest().starts_with(b"obj") {
            return Err(malformed(format!("no object header at offset {offset}")));
        }
        lx.pos += 3;
        let obj = lx.object(0)?;
        let r = ObjRef::new(
            u32::try_from(num).map_err(|_| malformed("object number out of range"))?,
            u16::try_from(generation).map_err(|_| malformed("generation out of range"))?,
        );
        lx.skip_ws();
        if let Object::Dict(dict) = &obj {
            if lx.rest().starts_with(b"stream") {
                lx.pos += 6;
                // The keyword is followed by CRLF or LF (§7.3.8.1); tolerate a lone CR.
                if lx.rest().starts_with(b"\r\n") {
                    lx.pos += 2;
                } else if lx.rest().starts_with(b"\n") || lx.rest().starts_with(b"\r") {
                    lx.pos += 1;
                }
                let start = lx.pos;
                let declared = match dict.get("Length") {
                    Some(Object::Ref(r)) => self.resolve_length(*r),
                    Some(o) => o.as_int().and_then(|l| usize::try_from(l).ok()),
                    None => None,
                };
                let rest = &bytes[start..];
                let len = match declared {
                    Some(l) if l <= rest.len() && ends_stream(&rest[l..]) => l,
                    // A wrong /Length is common in the wild; find the keyword instead.
                    _ => {
                        let end = find(rest, b"endstream")
                            .ok_or_else(|| malformed("a stream has no endstream (truncated?)"))?;
                        let mut l = end;
                        while l > 0 && (rest[l - 1] == b'\n' || rest[l - 1] == b'\r') {
                            l -= 1;
                        }
                        l
                    }
                };
                return Ok((r, Object::Stream(dict.clone(), rest[..len].to_vec())));
            }
        }
        Ok((r, obj))
    }

    fn resolve_length(&self, r: ObjRef) -> Option<usize> {
        match self.xref.get(&r.num) {
            Some(XrefEntry::Offset(off, _)) => {
                let bytes = self.from(*off)?;
                let mut lx = Lexer::new(bytes, 0);
                lx.unsigned().ok()?;
                lx.unsigned().ok()?;
                lx.skip_ws();
                lx.rest().starts_with(b"obj").then_some(())?;
                lx.pos += 3;
                lx.object(MAX_DEPTH - 1)
                    .ok()?
                    .as_int()
                    .and_then(|l| usize::try_from(l).ok())
            }
            Some(XrefEntry::InStream { stream, index }) => self
                .object_from_stream(*stream, *index, r.num)
                .ok()?
                .as_int()
                .and_then(|l| usize::try_from(l).ok()),
            _ => None,
        }
    }

    /// Resolves an indirect reference. A missing or free object is `null` (§7.3.10).
    pub fn resolve(&self, r: ObjRef) -> Result<Object, PdfError> {
        match self.xref.get(&r.num) {
            None | Some(XrefEntry::Free) => Ok(Object::Null),
            Some(XrefEntry::Offset(off, _)) => {
                let (found, obj) = self.parse_indirect_at(*off)?;
                if found.num != r.num {
                    return Err(malformed(format!(
                        "the xref entry of object {} points at object {} (damaged xref)",
                        r.num, found.num
                    )));
                }
                Ok(obj)
            }
            Some(XrefEntry::InStream { stream, index }) => {
                self.object_from_stream(*stream, *index, r.num)
            }
        }
    }

    fn object_from_stream(&self, stream: u32, index: u32, num: u32) -> Result<Object, PdfError> {
        let os = self.object_stream(stream)?;
        let offset = match os.offsets.get(index as usize) {
            Some((n, off)) if *n == num => *off,
            _ => os
                .offsets
                .iter()
                .find(|(n, _)| *n == num)
                .map(|(_, off)| *off)
                .ok_or_else(|| {
                    malformed(format!("object {num} is not in object stream {stream}"))
                })?,
        };
        let mut lx = Lexer::new(&os.data, os.first.saturating_add(offset));
        lx.object(0)
    }

    fn object_stream(&self, num: u32) -> Result<Rc<ObjectStream>, PdfError> {
        if let Some(os) = self.objstm_cache.borrow().get(&num) {
            return Ok(os.clone());
        }
        let Some(XrefEntry::Offset(off, _)) = self.xref.get(&num) else {
            return Err(malformed(format!("object stream {num} is missing")));
        };
        let Object::Stream(dict, raw) = self.parse_indirect_at(*off)?.1 else {
            return Err(malformed(format!("object {num} is not an object stream")));
        };
        let data = decode_stream(&dict, &raw)?;
        let n = dict.int("N").unwrap_or(0).clamp(0, 1_000_000) as usize;
        let first = dict
            .int("First")
            .and_then(|f| usize::try_from(f).ok())
            .ok_or_else(|| malformed("object stream without /First"))?;
        let mut lx = Lexer::new(&data, 0);
        let mut offsets = Vec::with_capacity(n.min(4096));
        for _ in 0..n {
            let obj = lx.unsigned()?;
            let rel = lx.unsigned()?;
            offsets.push((
                u32::try_from(obj).map_err(|_| malformed("object number out of range"))?,
                rel as usize,
            ));
        }
        let os = Rc::new(ObjectStream {
            data,
            first,
            offsets,
        });
        self.objstm_cache.borrow_mut().insert(num, os.clone());
        Ok(os)
    }

    /// Follows a reference (one level), cloning direct values.
    pub fn get(&self, obj: &Object) -> Result<Object, PdfError> {
        match obj {
            Object::Ref(r) => self.resolve(*r),
            o => Ok(o.clone()),
        }
    }

    pub fn resolve_dict(&self, r: ObjRef) -> Result<Dict, PdfError> {
        match self.resolve(r)? {
            Object::Dict(d) | Object::Stream(d, _) => Ok(d),
            _ => Err(malformed(format!(
                "object {} {} R should be a dictionary",
                r.num, r.generation
            ))),
        }
    }

    /// A dictionary entry, following a reference; `None` when absent or null.
    pub fn get_dict(&self, dict: &Dict, key: &str) -> Result<Option<Dict>, PdfError> {
        match dict.get(key) {
            None => Ok(None),
            Some(o) => match self.get(o)? {
                Object::Dict(d) | Object::Stream(d, _) => Ok(Some(d)),
                Object::Null => Ok(None),
                _ => Err(malformed(format!("/{key} should be a dictionary"))),
            },
        }
    }

    pub fn get_array(&self, dict: &Dict, key: &str) -> Result<Option<Vec<Object>>, PdfError> {
        match dict.get(key) {
            None => Ok(None),
            Some(o) => match self.get(o)? {
                Object::Array(a) => Ok(Some(a)),
                Object::Null => Ok(None),
                _ => Err(malformed(format!("/{key} should be an array"))),
            },
        }
    }

    /// Number of pages, from the root of the page tree.
    pub fn page_count(&self) -> Result<usize, PdfError> {
        let pages = self.pages_root()?;
        let d = self.resolve_dict(pages)?;
        Ok(d.int("Count").unwrap_or(0).max(0) as usize)
    }

    fn pages_root(&self) -> Result<ObjRef, PdfError> {
        self.catalog()?
            .get("Pages")
            .and_then(Object::as_ref)
            .ok_or_else(|| malformed("the catalog has no /Pages reference"))
    }

    /// The page at `index` (0-based), walking only the path to it and collecting the
    /// inheritable attributes (§7.7.3.4) on the way.
    pub fn page(&self, index: usize) -> Result<Page, PdfError> {
        let mut node = self.pages_root()?;
        let mut remaining = index;
        let mut inherited = Dict::new();
        let mut visited = HashSet::new();
        for _ in 0..MAX_TREE_DEPTH {
            if !visited.insert(node) {
                return Err(malformed("the page tree contains a cycle"));
            }
            let dict = self.resolve_dict(node)?;
            for key in ["MediaBox", "CropBox", "Rotate", "Resources"] {
                if let Some(v) = dict.get(key) {
                    inherited.set(key, v.clone());
                }
            }
            if dict.name("Type") == Some(b"Page") || dict.get("Kids").is_none() {
                if remaining == 0 {
                    return Ok(Page {
                        reference: node,
                        dict,
                        inherited,
                    });
                }
                return Err(PdfError::NoPages);
            }
            let kids = self.get_array(&dict, "Kids")?.unwrap_or_default();
            let mut next = None;
            for kid in kids {
                let Some(kr) = kid.as_ref() else { continue };
                let kd = self.resolve_dict(kr)?;
                let count = if kd.name("Type") == Some(b"Page") || kd.get("Kids").is_none() {
                    1
                } else {
                    kd.int("Count").unwrap_or(0).max(0) as usize
                };
                if remaining < count {
                    next = Some(kr);
                    break;
                }
                remaining -= count;
            }
            node = next
                .ok_or_else(|| malformed(format!("page {} is not in the page tree", index + 1)))?;
        }
        Err(malformed("the page tree is too deep"))
    }

    /// Every terminal field of the interactive form (walking /Kids), with its full name.
    pub fn fields(&self) -> Result<Vec<Field>, PdfError> {
        let catalog = self.catalog()?;
        let Some(acroform) = self.get_dict(&catalog, "AcroForm")? else {
            return Ok(Vec::new());
        };
        let roots = self.get_array(&acroform, "Fields")?.unwrap_or_default();
        let mut out = Vec::new();
        let mut visited = HashSet::new();
        for f in roots {
            self.walk_field(&f, String::new(), None, 0, &mut visited, &mut out)?;
        }
        Ok(out)
    }

    fn walk_field(
        &self,
        obj: &Object,
        prefix: String,
        inherited_ft: Option<Vec<u8>>,
        depth: usize,
        visited: &mut HashSet<ObjRef>,
        out: &mut Vec<Field>,
    ) -> Result<(), PdfError> {
        if depth > MAX_TREE_DEPTH {
            return Err(malformed("form fields nest too deeply"));
        }
        let Some(r) = obj.as_ref() else {
            return Ok(());
        };
        if !visited.insert(r) {
            return Ok(());
        }
        let dict = self.resolve_dict(r)?;
        let partial = dict
            .get("T")
            .and_then(Object::as_bytes)
            .map(super::object::decode_text);
        let name = match (&partial, prefix.is_empty()) {
            (Some(p), true) => p.clone(),
            (Some(p), false) => format!("{prefix}.{p}"),
            (None, _) => prefix.clone(),
        };
        let ft = dict.name("FT").map(<[u8]>::to_vec).or(inherited_ft);
        let kids = self.get_array(&dict, "Kids")?.unwrap_or_default();
        // Kids that have a /T are fields; kids without are widgets of this field.
        let mut field_kids = Vec::new();
        for k in &kids {
            if let Some(kr) = k.as_ref() {
                if self.resolve_dict(kr)?.get("T").is_some() {
                    field_kids.push(k.clone());
                }
            }
        }
        if field_kids.is_empty() {
            out.push(Field {
                reference: r,
                name,
                field_type: ft,
                dict,
            });
        } else {
            for k in field_kids {
                self.walk_field(&k, name.clone(), ft.clone(), depth + 1, visited, out)?;
            }
        }
        Ok(())
    }

    /// Every signed signature field with its signature dictionary: for a verifier.
    pub fn signatures(&self) -> Result<Vec<SignatureInfo>, PdfError> {
        let mut out = Vec::new();
        for field in self.fields()? {
            if field.field_type.as_deref() != Some(b"Sig") {
                continue;
            }
            let Some(v) = self.get_dict(&field.dict, "V")? else {
                continue;
            };
            let byte_range = v
                .get("ByteRange")
                .and_then(Object::as_array)
                .map(|a| a.iter().filter_map(Object::as_int).collect())
                .unwrap_or_default();
            let contents = v
                .get("Contents")
                .and_then(Object::as_bytes)
                .map(<[u8]>::to_vec)
                .unwrap_or_default();
            out.push(SignatureInfo {
                field_name: field.name,
                field: field.reference,
                sub_filter: v
                    .name("SubFilter")
                    .map(|n| String::from_utf8_lossy(n).into_owned()),
                kind: v
                    .name("Type")
                    .map(|n| String::from_utf8_lossy(n).into_owned()),
                byte_range,
                contents,
                signing_time: v
                    .get("M")
                    .and_then(Object::as_bytes)
                    .map(super::object::decode_text),
                dictionary: v,
            });
        }
        out.sort_by_key(|s| s.byte_range.get(2).copied().unwrap_or(0));
        Ok(out)
    }

    /// The DocMDP permission (1, 2 or 3) of a certified document, if it is certified.
    pub fn docmdp_permission(&self) -> Result<Option<i64>, PdfError> {
        let catalog = self.catalog()?;
        let Some(perms) = self.get_dict(&catalog, "Perms")? else {
            return Ok(None);
        };
        let Some(sig) = self.get_dict(&perms, "DocMDP")? else {
            return Ok(None);
        };
        for reference in self.get_array(&sig, "Reference")?.unwrap_or_default() {
            let Object::Dict(r) = self.get(&reference)? else {
                continue;
            };
            if r.name("TransformMethod") == Some(b"DocMDP") {
                let p = self
                    .get_dict(&r, "TransformParams")?
                    .and_then(|t| t.int("P"))
                    .unwrap_or(2);
                return Ok(Some(p));
            }
        }
        Ok(Some(2))
    }
}

/// A page and the attributes it inherits from its ancestors.
#[derive(Debug, Clone)]
pub struct Page {
    pub reference: ObjRef,
    pub dict: Dict,
    pub inherited: Dict,
}

impl Page {
    /// The visible box: CropBox clipped to MediaBox, normalised so x0 < x1, y0 < y1.
    pub fn visible_box(&self) -> [f64; 4] {
        let read = |key: &str| -> Option<[f64; 4]> {
            let a = self.inherited.get(key)?.as_array()?;
            let v: Vec<f64> = a.iter().filter_map(Object::as_f64).collect();
            let [x0, y0, x1, y1] = v[..] else { return None };
            Some([x0.min(x1), y0.min(y1), x0.max(x1), y0.max(y1)])
        };
        let media = read("MediaBox").unwrap_or([0.0, 0.0, 595.28, 841.89]);
        match read("CropBox") {
            Some(c) => [
                c[0].max(media[0]),
                c[1].max(media[1]),
                c[2].min(media[2]),
                c[3].min(media[3]),
            ],
            None => media,
        }
    }
    /// /Rotate normalised to 0, 90, 180 or 270.
    pub fn rotation(&self) -> i64 {
        self.inherited
            .int("Rotate")
            .map_or(0, |r| r.rem_euclid(360) / 90 * 90)
    }
}

/// A terminal form field.
#[derive(Debug, Clone)]
pub struct Field {
    pub reference: ObjRef,
    pub name: String,
    pub field_type: Option<Vec<u8>>,
    pub dict: Dict,
}

/// A signature found in a document.
#[derive(Debug, Clone)]
pub struct SignatureInfo {
    pub field_name: String,
    pub field: ObjRef,
    /// `/Sig` or `/DocTimeStamp`.
    pub kind: Option<String>,
    pub sub_filter: Option<String>,
    pub byte_range: Vec<i64>,
    /// The /Contents bytes (DER, zero-padded).
    pub contents: Vec<u8>,
    pub signing_time: Option<String>,
    pub dictionary: Dict,
}

fn ends_stream(rest: &[u8]) -> bool {
    let mut i = 0;
    while i < rest.len() && is_whitespace(rest[i]) {
        i += 1;
    }
    rest[i..].starts_with(b"endstream")
}

pub(crate) fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

pub(crate) fn rfind(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).rposition(|w| w == needle)
}

/// Decodes a stream's data: no filter or FlateDecode, with PNG or TIFF-2-less predictors.
pub fn decode_stream(dict: &Dict, raw: &[u8]) -> Result<Vec<u8>, PdfError> {
    let filters: Vec<Vec<u8>> = match dict.get("Filter") {
        None => Vec::new(),
        Some(Object::Name(n)) => vec![n.clone()],
        Some(Object::Array(a)) => a
            .iter()
            .filter_map(|f| f.as_name().map(<[u8]>::to_vec))
            .collect(),
        Some(_) => return Err(malformed("a stream /Filter is neither a name nor an array")),
    };
    let mut data = raw.to_vec();
    for (i, f) in filters.iter().enumerate() {
        if f.as_slice() != b"FlateDecode" && f.as_slice() != b"Fl" {
            return Err(malformed(format!(
                "unsupported stream filter /{} in a structural stream",
                String::from_utf8_lossy(f)
            )));
        }
        data = miniz_oxide::inflate::decompress_to_vec_zlib_with_limit(&data, MAX_DECODED)
            .map_err(|e| malformed(format!("a compressed stream cannot be inflated: {e:?}")))?;
        let parms = match dict.get("DecodeParms") {
            Some(Object::Array(a)) => a.get(i).and_then(Object::as_dict).cloned(),
            Some(Object::Dict(d)) => Some(d.clone()),
            _ => None,
        };
        if let Some(p) = parms {
            data = unpredict(&p, data)?;
        }
    }
    Ok(data)
}

fn unpredict(parms: &Dict, data: Vec<u8>) -> Result<Vec<u8>, PdfError> {
    let predictor = parms.int("Predictor").unwrap_or(1);
    if predictor < 10 {
        return if predictor == 1 {
            Ok(data)
        } else {
            Err(malformed(
                "TIFF predictor in a structural stream is not supported",
            ))
        };
    }
    let colors = parms.int("Colors").unwrap_or(1).clamp(1, 32) as usize;
    let bpc = parms.int("BitsPerComponent").unwrap_or(8).clamp(1, 16) as usize;
    let columns = parms.int("Columns").unwrap_or(1).clamp(1, 1 << 20) as usize;
    let bpp = (colors * bpc).div_ceil(8).max(1);
    let row = (colors * bpc * columns).div_ceil(8);
    let mut out = Vec::with_capacity(data.len());
    let mut prev = vec![0u8; row];
    for chunk in data.chunks(row + 1) {
        let Some((&ty, src)) = chunk.split_first() else {
            break;
        };
        let mut cur = vec![0u8; row];
        for i in 0..src.len().min(row) {
            let a = if i >= bpp { cur[i - bpp] } else { 0 };
            let b = prev[i];
            let c = if i >= bpp { prev[i - bpp] } else { 0 };
            let x = src[i];
            cur[i] = match ty {
                0 => x,
                1 => x.wrapping_add(a),
                2 => x.wrapping_add(b),
                3 => x.wrapping_add(((u16::from(a) + u16::from(b)) / 2) as u8),
                4 => x.wrapping_add(paeth(a, b, c)),
                _ => return Err(malformed("unknown PNG predictor row type")),
            };
        }
        out.extend_from_slice(&cur);
        prev = cur;
    }
    Ok(out)
}

fn paeth(a: u8, b: u8, c: u8) -> u8 {
    let p = i16::from(a) + i16::from(b) - i16::from(c);
    let (pa, pb, pc) = (
        (p - i16::from(a)).abs(),
        (p - i16::from(b)).abs(),
        (p - i16::from(c)).abs(),
    );
    if pa <= pb && pa <= pc {
        a
    } else if pb <= pc {
        b
    } else {
        c
    }
}

/// A tokenizer/parser over one contiguous slice.
pub struct Lexer<'b> {
    data: &'b [u8],
    pub pos: usize,
}

impl<'b> Lexer<'b> {
    pub fn new(data: &'b [u8], pos: usize) -> Self {
        Lexer { data, pos }
    }
    fn rest(&self) -> &'b [u8] {
        self.data.get(self.pos..).unwrap_or(&[])
    }
    fn peek(&self) -> Option<u8> {
        self.data.get(self.pos).copied()
    }
    pub fn skip_ws(&mut self) {
        while let Some(c) = self.peek() {
            if is_whitespace(c) {
                self.pos += 1;
            } else if c == b'%' {
                while let Some(c) = self.peek() {
                    if c == b'\n' || c == b'\r' {
                        break;
                    }
                    self.pos += 1;
                }
            } else {
                break;
            }
        }
    }

    fn unsigned(&mut self) -> Result<u64, PdfError> {
        self.skip_ws();
        let start = self.pos;
        while matches!(self.peek(), Some(b'0'..=b'9')) {
            self.pos += 1;
        }
        self.data
            .get(start..self.pos)
            .and_then(|d| std::str::from_utf8(d).ok())
            .and_then(|s| s.parse().ok())
            .ok_or_else(|| malformed(format!("expected a number at byte {start}")))
    }

    /// Parses one object (a reference `N G R` counts as one).
    pub fn object(&mut self, depth: usize) -> Result<Object, PdfError> {
        if depth > MAX_DEPTH {
            return Err(malformed("objects nest too deeply"));
        }
        self.skip_ws();
        let Some(c) = self.peek() else {
            return Err(malformed("unexpected end of data (truncated?)"));
        };
        match c {
            b'/' => {
                self.pos += 1;
                Ok(Object::Name(self.name_body()))
            }
            b'(' => self.literal(),
            b'<' if self.rest().starts_with(b"<<") => {
                self.pos += 2;
                let mut d = Dict::new();
                loop {
                    self.skip_ws();
                    if self.rest().starts_with(b">>") {
                        self.pos += 2;
                        return Ok(Object::Dict(d));
                    }
                    match self.object(depth + 1)? {
                        Object::Name(k) => {
                            let v = self.object(depth + 1)?;
                            // A null value is equivalent to an absent entry (§7.3.7).
                            if v != Object::Null {
                                d.0.retain(|(key, _)| *key != k);
                                d.0.push((k, v));
                            }
                        }
                        _ => return Err(malformed("a dictionary key is not a name")),
                    }
                }
            }
            b'<' => self.hex(),
            b'[' => {
                self.pos += 1;
                let mut items = Vec::new();
                loop {
                    self.skip_ws();
                    if self.peek() == Some(b']') {
                        self.pos += 1;
                        return Ok(Object::Array(items));
                    }
                    items.push(self.object(depth + 1)?);
                }
            }
            b'0'..=b'9' | b'+' | b'-' | b'.' => self.number(),
            _ => {
                let word = self.keyword();
                match word {
                    b"true" => Ok(Object::Bool(true)),
                    b"false" => Ok(Object::Bool(false)),
                    b"null" => Ok(Object::Null),
                    _ => Err(malformed(format!(
                        "unexpected `{}` at byte {}",
                        String::from_utf8_lossy(&word[..word.len().min(20)]),
                        self.pos
                    ))),
                }
            }
        }
    }

    fn keyword(&mut self) -> &'b [u8] {
        let start = self.pos;
        while let Some(c) = self.peek() {
            if is_whitespace(c) || is_delimiter(c) {
                break;
            }
            self.pos += 1;
        }
        if self.pos == start {
            self.pos += 1;
        }
        let end = self.pos.min(self.data.len());
        self.data.get(start.min(end)..end).unwrap_or(&[])
    }

    fn number(&mut self) -> Result<Object, PdfError> {
        let start = self.pos;
        let tok = self.keyword();
        let s = std::str::from_utf8(tok).map_err(|_| malformed("bad number"))?;
        if let Ok(i) = s.parse::<i64>() {
            // Look ahead for `G R`.
            if i >= 0 {
                let save = self.pos;
                self.skip_ws();
                let gstart = self.pos;
                while matches!(self.peek(), Some(b'0'..=b'9')) {
                    self.pos += 1;
                }
                if self.pos > gstart {
                    let generation = std::str::from_utf8(&self.data[gstart..self.pos])
                        .ok()
                        .and_then(|g| g.parse::<u16>().ok());
                    self.skip_ws();
                    let is_r = self.peek() == Some(b'R')
                        && self
                            .data
                            .get(self.pos + 1)
                            .is_none_or(|c| is_whitespace(*c) || is_delimiter(*c));
                    if let (true, Some(g), Ok(n)) = (is_r, generation, u32::try_from(i)) {
                        self.pos += 1;
                        return Ok(Object::Ref(ObjRef::new(n, g)));
                    }
                }
                self.pos = save;
            }
            return Ok(Object::Int(i));
        }
        // Reals like `-.5`, `3.`, and the odd `--1` some producers write.
        let t = s.trim_start_matches("--");
        t.parse::<f64>()
            .map(Object::Real)
            .map_err(|_| malformed(format!("bad number `{s}` at byte {start}")))
    }

    fn name_body(&mut self) -> Vec<u8> {
        let mut out = Vec::new();
        while let Some(c) = self.peek() {
            if is_whitespace(c) || is_delimiter(c) {
                break;
            }
            self.pos += 1;
            if c == b'#' {
                let hexd = self.data.get(self.pos..self.pos + 2);
                if let Some(b) = hexd
                    .and_then(|h| std::str::from_utf8(h).ok())
                    .and_then(|h| u8::from_str_radix(h, 16).ok())
                {
                    out.push(b);
                    self.pos += 2;
                    continue;
                }
            }
            out.push(c);
        }
        out
    }

    fn literal(&mut self) -> Result<Object, PdfError> {
        self.pos += 1;
        let mut out = Vec::new();
        let mut nesting = 1usize;
        loop {
            let Some(c) = self.peek() else {
                return Err(malformed("unterminated string (truncated?)"));
            };
            self.pos += 1;
            match c {
                b'(' => {
                    nesting += 1;
                    out.push(c);
                }
                b')' => {
                    nesting -= 1;
                    if nesting == 0 {
                        return Ok(Object::String(out));
                    }
                    out.push(c);
                }
                b'\\' => {
                    let Some(e) = self.peek() else { continue };
                    self.pos += 1;
                    match e {
                        b'n' => out.push(b'\n'),
                        b'r' => out.push(b'\r'),
                        b't' => out.push(b'\t'),
                        b'b' => out.push(8),
                        b'f' => out.push(12),
                        b'\r' => {
                            if self.peek() == Some(b'\n') {
                                self.pos += 1;
                            }
                        }
                        b'\n' => {}
                        b'0'..=b'7' => {
                            let mut v = u32::from(e - b'0');
                            for _ in 0..2 {
                                match self.peek() {
                                    Some(d @ b'0'..=b'7') => {
                                        v = v * 8 + u32::from(d - b'0');
                                        self.pos += 1;
                                    }
                                    _ => break,
                                }
                            }
                            out.push((v & 0xff) as u8);
                        }
                        other => out.push(other),
                    }
                }
                _ => out.push(c),
            }
        }
    }

    fn hex(&mut self) -> Result<Object, PdfError> {
        self.pos += 1;
        let mut digits = Vec::new();
        loop {
            let Some(c) = self.peek() else {
                return Err(malformed("unterminated hex string (truncated?)"));
            };
            self.pos += 1;
            match c {
                b'>' => break,
                c if c.is_ascii_hexdigit() => digits.push(c),
                c if is_whitespace(c) => {}
                _ => return Err(malformed("invalid character in a hex string")),
            }
        }
        if digits.len() % 2 == 1 {
            digits.push(b'0');
        }
        let bytes = digits
            .chunks_exact(2)
            .map(|p| {
                let h = |d: u8| (d as char).to_digit(16).unwrap_or(0) as u8;
                h(p[0]) << 4 | h(p[1])
            })
            .collect();
        Ok(Object::HexString(bytes))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_values_and_refs() {
        let mut lx = Lexer::new(
            b"<< /A 1 0 R /B [1 2 R] /C (x\\(y\\)) /D <41 42> /E -.5 /N#20x 3 >>",
            0,
        );
        let Object::Dict(d) = lx.object(0).unwrap() else {
            panic!()
        };
        assert_eq!(d.get("A"), Some(&Object::Ref(ObjRef::new(1, 0))));
        assert_eq!(
            d.get("B"),
            Some(&Object::Array(vec![Object::Ref(ObjRef::new(1, 2))]))
        );
        assert_eq!(d.get("C"), Some(&Object::String(b"x(y)".to_vec())));
        assert_eq!(d.get("D"), Some(&Object::HexString(b"AB".to_vec())));
        assert_eq!(d.get("E"), Some(&Object::Real(-0.5)));
        assert_eq!(d.get("N x"), Some(&Object::Int(3)));
    }

    #[test]
    fn deep_nesting_is_an_error_not_a_crash() {
        let input = vec![b'['; 100_000];
        assert!(Lexer::new(&input, 0).object(0).is_err());
    }

    #[test]
    fn opens_the_text_document() {
        let pdf = crate::pdf::text_document("T", &["a"]);
        let doc = Document::open(&pdf).unwrap();
        assert_eq!(doc.page_count().unwrap(), 1);
        let page = doc.page(0).unwrap();
        assert_eq!(page.reference, ObjRef::new(3, 0));
        assert!(doc.page(1).is_err());
        assert!(doc.signatures().unwrap().is_empty());
    }

    #[test]
    fn rejects_garbage() {
        assert!(matches!(
            Document::open(b"hello"),
            Err(PdfError::Malformed(_))
        ));
        let pdf = crate::pdf::text_document("T", &["a"]);
        assert!(Document::open(&pdf[..pdf.len() / 2]).is_err());
    }
}
