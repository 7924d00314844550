//! Finding an object by number: the bytes a document spans (the original file and what a
//! signer appended, never concatenated), the cross-reference entries, indirect objects at an
//! offset (with their stream data), and objects inside object streams (decoded once, cached).

use std::{
    cell::RefCell,
    collections::{HashMap, HashSet},
    rc::Rc,
};

use super::budget::Budget;
use super::error::{malformed, SyntaxError};
use super::lexer::{find, is_whitespace, Lexer, MAX_DEPTH};
use super::object::{ObjRef, Object};
use super::object_stream::ObjectStream;

/// Where an object lives.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum XrefEntry {
    Free,
    Offset(usize, u16),
    InStream { stream: u32, index: u32 },
}

/// The bytes a document spans: `base ‖ tail`, read without copying either.
#[derive(Debug, Clone, Copy)]
pub struct Source<'a> {
    base: &'a [u8],
    tail: &'a [u8],
}

impl<'a> Source<'a> {
    pub fn new(base: &'a [u8], tail: &'a [u8]) -> Self {
        Source { base, tail }
    }
    /// Total length.
    pub fn len(&self) -> usize {
        self.base.len().saturating_add(self.tail.len())
    }
    /// The segment holding the end of the file, where `startxref` is.
    pub fn last_segment(&self) -> &'a [u8] {
        if self.tail.is_empty() {
            self.base
        } else {
            self.tail
        }
    }
    /// The bytes from `pos` to the end of the segment containing it.
    pub fn from(&self, pos: usize) -> Option<&'a [u8]> {
        match pos.checked_sub(self.base.len()) {
            None => self.base.get(pos..),
            Some(in_tail) => self.tail.get(in_tail..),
        }
    }
}

/// The objects of a document, by number.
pub struct Objects<'a> {
    pub src: Source<'a>,
    /// Newest revision first: an entry is inserted only if no newer one exists.
    pub entries: HashMap<u32, XrefEntry>,
    object_streams: RefCell<HashMap<u32, Rc<ObjectStream>>>,
    /// Object streams being decoded: one whose /Length points into itself must not recurse.
    loading: RefCell<HashSet<u32>>,
    pub budget: Budget,
}

impl<'a> Objects<'a> {
    pub fn new(src: Source<'a>, budget: Budget) -> Self {
        Objects {
            src,
            entries: HashMap::new(),
            object_streams: RefCell::new(HashMap::new()),
            loading: RefCell::new(HashSet::new()),
            budget,
        }
    }

    /// Records where object `num` lives, unless a newer revision already said; fails once the
    /// chain lists more objects than the budget allows.
    pub fn insert_entry(&mut self, num: u32, entry: XrefEntry) -> Result<(), SyntaxError> {
        if self.entries.len() >= self.budget.limits().max_objects
            && !self.entries.contains_key(&num)
        {
            return Err(SyntaxError::Limit(format!(
                "its cross-reference tables list more than {} objects",
                self.budget.limits().max_objects
            )));
        }
        self.entries.entry(num).or_insert(entry);
        Ok(())
    }

    /// Resolves an indirect reference. A missing or free object is `null` (§7.3.10).
    pub fn resolve(&self, r: ObjRef) -> Result<Object, SyntaxError> {
        self.budget.check_time()?;
        match self.entries.get(&r.num) {
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
                self.object_stream(*stream)?.object(*index, r.num, *stream)
            }
        }
    }

    /// Parses `N G obj <object> endobj` at `offset`, with the data of a stream.
    pub fn parse_indirect_at(&self, offset: usize) -> Result<(ObjRef, Object), SyntaxError> {
        let bytes = self
            .src
            .from(offset)
            .ok_or_else(|| malformed(format!("object offset {offset} is beyond the file")))?;
        let mut lx = Lexer::new(bytes, 0);
        let num = lx.unsigned()?;
        let generation = lx.unsigned()?;
        lx.skip_ws();
        if !lx.eat(b"obj") {
            return Err(malformed(format!("no object header at offset {offset}")));
        }
        let obj = lx.object(0)?;
        let r = ObjRef::new(
            u32::try_from(num).map_err(|_| malformed("object number out of range"))?,
            u16::try_from(generation).map_err(|_| malformed("generation out of range"))?,
        );
        lx.skip_ws();
        if let Object::Dict(dict) = &obj {
            if lx.eat(b"stream") {
                lx.skip_eol();
                let declared = match dict.get("Length") {
                    Some(Object::Ref(r)) => self.resolve_length(*r),
                    Some(o) => o.as_int().and_then(|l| usize::try_from(l).ok()),
                    None => None,
                };
                let rest = lx.rest();
                let len = match declared {
                    Some(l) if rest.get(l..).is_some_and(ends_stream) => l,
                    // A wrong /Length is common in the wild; find the keyword instead.
                    _ => {
                        let end = find(rest, b"endstream")
                            .ok_or_else(|| malformed("a stream has no endstream (truncated?)"))?;
                        let eol = rest
                            .get(..end)
                            .unwrap_or(&[])
                            .iter()
                            .rev()
                            .take_while(|c| matches!(c, b'\n' | b'\r'))
                            .count();
                        end.saturating_sub(eol)
                    }
                };
                let data = rest
                    .get(..len)
                    .ok_or_else(|| malformed("a stream is longer than the file"))?;
                return Ok((r, Object::Stream(dict.clone(), data.to_vec())));
            }
        }
        Ok((r, obj))
    }

    /// An indirect /Length: a direct integer object, or one in an object stream.
    fn resolve_length(&self, r: ObjRef) -> Option<usize> {
        let length = match self.entries.get(&r.num) {
            Some(XrefEntry::Offset(off, _)) => {
                let bytes = self.src.from(*off)?;
                let mut lx = Lexer::new(bytes, 0);
                lx.unsigned().ok()?;
                lx.unsigned().ok()?;
                lx.skip_ws();
                lx.eat(b"obj").then_some(())?;
                // A length is a number: anything nested is refused at once.
                lx.object(MAX_DEPTH.saturating_sub(1)).ok()?
            }
            // The /Length of an object stream stored inside that same stream cannot be known
            // before the stream is read: the keyword search below finds its end instead.
            Some(XrefEntry::InStream { stream, .. }) if self.loading.borrow().contains(stream) => {
                return None
            }
            Some(XrefEntry::InStream { stream, index }) => self
                .object_stream(*stream)
                .ok()?
                .object(*index, r.num, *stream)
                .ok()?,
            _ => return None,
        };
        length.as_int().and_then(|l| usize::try_from(l).ok())
    }

    fn object_stream(&self, num: u32) -> Result<Rc<ObjectStream>, SyntaxError> {
        if let Some(os) = self.object_streams.borrow().get(&num) {
            return Ok(os.clone());
        }
        let Some(XrefEntry::Offset(off, _)) = self.entries.get(&num) else {
            return Err(malformed(format!("object stream {num} is missing")));
        };
        if !self.loading.borrow_mut().insert(num) {
            return Err(malformed(format!(
                "object stream {num} refers to itself while it is read"
            )));
        }
        let parsed = self.parse_indirect_at(*off).and_then(|(_, obj)| match obj {
            Object::Stream(dict, raw) => ObjectStream::parse(&dict, &raw, &self.budget),
            _ => Err(malformed(format!("object {num} is not an object stream"))),
        });
        self.loading.borrow_mut().remove(&num);
        let os = Rc::new(parsed?);
        self.object_streams.borrow_mut().insert(num, os.clone());
        Ok(os)
    }
}

/// Whether `rest` is white space and then `endstream`.
fn ends_stream(rest: &[u8]) -> bool {
    let ws = rest.iter().take_while(|c| is_whitespace(**c)).count();
    rest.get(ws..).is_some_and(|r| r.starts_with(b"endstream"))
}
