//! A lazy PDF reader for incremental updates and for extracting signatures.
//!
//! It never walks the whole file: it reads the cross-reference chain from `startxref`
//! backwards (`xref`), then resolves only the objects asked for (`resolve`): the catalog, one
//! path down the page tree (`pages`), the form fields (`fields`). A document may be given as
//! two segments, the original bytes and an appendix written after it, so a signer can read its
//! own earlier revisions without concatenating a 100 MB input.

use super::budget::{Budget, ReadLimits};
use super::error::{malformed, SyntaxError};
use super::filter::decode_within;
use super::object::{Dict, ObjRef, Object};
use super::resolve::{Objects, Source, XrefEntry};
use super::xref::{read_chain, Chain, XrefKind};

/// A PDF opened for reading: the cross-reference chain and the newest trailer.
pub struct Document<'a> {
    objects: Objects<'a>,
    chain: Chain,
}

impl<'a> Document<'a> {
    /// Opens `data`, checking the header, the xref chain, encryption and the catalog.
    pub fn open(data: &'a [u8]) -> Result<Self, SyntaxError> {
        Self::open_with_appendix(data, &[])
    }

    /// Opens `base ‖ appendix` without concatenating them.
    pub fn open_with_appendix(base: &'a [u8], appendix: &'a [u8]) -> Result<Self, SyntaxError> {
        Self::open_within(base, appendix, ReadLimits::default())
    }

    /// Opens `base ‖ appendix`, every later read of the document drawing on `limits`.
    pub fn open_within(
        base: &'a [u8],
        appendix: &'a [u8],
        limits: ReadLimits,
    ) -> Result<Self, SyntaxError> {
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
        let mut objects = Objects::new(Source::new(base, appendix), Budget::new(limits));
        let chain = read_chain(&mut objects)?;
        let doc = Document { objects, chain };
        if doc.chain.trailer.get("Encrypt").is_some() {
            return Err(SyntaxError::Encrypted);
        }
        let root = doc.root_ref()?;
        let catalog = doc.resolve(root).map_err(|e| match e {
            SyntaxError::Malformed(why) => malformed(format!(
                "the document catalog (/Root {} {} R) cannot be read: {why}",
                root.num, root.generation
            )),
            other => other,
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
        self.objects.src.len()
    }
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
    pub fn trailer(&self) -> &Dict {
        &self.chain.trailer
    }
    pub fn startxref(&self) -> usize {
        self.chain.startxref
    }
    pub fn xref_kind(&self) -> XrefKind {
        self.chain.kind
    }
    /// Offsets of the xref sections, oldest first: revision boundaries for a verifier.
    pub fn revision_xref_offsets(&self) -> Vec<usize> {
        let mut v = self.chain.sections.clone();
        v.reverse();
        v
    }
    /// Where object `num` lives in the newest revision: a verifier compares two revisions
    /// object by object with this.
    pub fn xref_entry(&self, num: u32) -> Option<XrefEntry> {
        self.objects.entries.get(&num).copied()
    }
    /// Every object number the cross-reference chain lists, ascending.
    pub fn object_numbers(&self) -> Vec<u32> {
        let mut v: Vec<u32> = self.objects.entries.keys().copied().collect();
        v.sort_unstable();
        v
    }
    /// The trailer's /Size: the next free object number.
    pub fn size(&self) -> u32 {
        let declared = self
            .chain
            .trailer
            .int("Size")
            .and_then(|s| u32::try_from(s).ok())
            .unwrap_or(0);
        let highest = self
            .objects
            .entries
            .keys()
            .max()
            .map_or(0, |m| m.saturating_add(1));
        declared.max(highest)
    }
    pub fn root_ref(&self) -> Result<ObjRef, SyntaxError> {
        self.chain
            .trailer
            .get("Root")
            .and_then(Object::as_ref)
            .ok_or_else(|| malformed("the trailer has no /Root reference to the catalog"))
    }
    pub fn catalog(&self) -> Result<Dict, SyntaxError> {
        let root = self.root_ref()?;
        self.resolve_dict(root)
    }

    /// Resolves an indirect reference. A missing or free object is `null` (§7.3.10).
    pub fn resolve(&self, r: ObjRef) -> Result<Object, SyntaxError> {
        self.objects.resolve(r)
    }

    /// Decodes the data of one of this document's streams, counted against its budget.
    pub fn decode(&self, dict: &Dict, raw: &[u8]) -> Result<Vec<u8>, SyntaxError> {
        decode_within(dict, raw, &self.objects.budget)
    }

    /// Fails once the document's deadline has passed: for loops of a caller (a verifier's
    /// comparison of revisions) that do their own work between reads.
    pub fn check_time(&self) -> Result<(), SyntaxError> {
        self.objects.budget.check_time()
    }

    /// Follows a reference (one level), cloning direct values.
    pub fn get(&self, obj: &Object) -> Result<Object, SyntaxError> {
        match obj {
            Object::Ref(r) => self.resolve(*r),
            o => Ok(o.clone()),
        }
    }

    pub fn resolve_dict(&self, r: ObjRef) -> Result<Dict, SyntaxError> {
        match self.resolve(r)? {
            Object::Dict(d) | Object::Stream(d, _) => Ok(d),
            _ => Err(malformed(format!(
                "object {} {} R should be a dictionary",
                r.num, r.generation
            ))),
        }
    }

    /// A dictionary entry, following a reference; `None` when absent or null.
    pub fn get_dict(&self, dict: &Dict, key: &str) -> Result<Option<Dict>, SyntaxError> {
        match dict.get(key) {
            None => Ok(None),
            Some(o) => match self.get(o)? {
                Object::Dict(d) | Object::Stream(d, _) => Ok(Some(d)),
                Object::Null => Ok(None),
                _ => Err(malformed(format!("/{key} should be a dictionary"))),
            },
        }
    }

    pub fn get_array(&self, dict: &Dict, key: &str) -> Result<Option<Vec<Object>>, SyntaxError> {
        match dict.get(key) {
            None => Ok(None),
            Some(o) => match self.get(o)? {
                Object::Array(a) => Ok(Some(a)),
                Object::Null => Ok(None),
                _ => Err(malformed(format!("/{key} should be an array"))),
            },
        }
    }
}
