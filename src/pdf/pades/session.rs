//! The document being extended in one call: the input (never copied), the revisions appended
//! so far, and the SHA-256 state after the input, computed once and cloned for every later
//! digest, so a 100 MB input is hashed exactly once however many revisions follow.

use ring::digest::{Context, SHA256};

use crate::pdf::syntax::{Document, Field, SyntaxError};

use super::error::PdfError;
use super::inspect::docmdp_permission;

pub(super) struct Session<'a> {
    pub input: &'a [u8],
    /// SHA-256 state after the input: computed once, cloned for every digest.
    pub input_hash: Option<Context>,
    /// The revisions to append, in order.
    pub appendix: Vec<u8>,
}

impl<'a> Session<'a> {
    /// Opens `input`, refusing what cannot be signed at all.
    pub fn open(input: &'a [u8]) -> Result<Self, PdfError> {
        let doc = Document::open(input)?;
        if doc.page_count()? == 0 {
            return Err(SyntaxError::NoPages.into());
        }
        if docmdp_permission(&doc)? == Some(1) {
            return Err(PdfError::CertifiedNoChanges);
        }
        Ok(Session {
            input,
            input_hash: None,
            appendix: Vec::new(),
        })
    }

    /// The document as it stands: the input and everything appended so far.
    pub fn doc(&self) -> Result<Document<'_>, PdfError> {
        Ok(Document::open_with_appendix(self.input, &self.appendix)?)
    }

    /// Whether the document's last line is ended, so the next revision starts on a new one.
    pub fn ends_with_eol(&self) -> bool {
        let last = self.appendix.last().or(self.input.last());
        matches!(last, Some(b'\n') | Some(b'\r'))
    }

    /// SHA-256 of `input ‖ appendix ‖ parts…`, hashing the input only the first time.
    pub fn digest(&mut self, parts: &[&[u8]]) -> [u8; 32] {
        let base = self.input_hash.get_or_insert_with(|| {
            let mut c = Context::new(&SHA256);
            c.update(self.input);
            c
        });
        let mut c = base.clone();
        c.update(&self.appendix);
        for p in parts {
            c.update(p);
        }
        let mut out = [0u8; 32];
        out.copy_from_slice(c.finish().as_ref());
        out
    }
}

/// The 0-based page `page` names (`None` = the last page), checked against the document.
pub(super) fn resolve_page(doc: &Document<'_>, page: Option<usize>) -> Result<usize, PdfError> {
    let count = doc.page_count()?;
    if count == 0 {
        return Err(SyntaxError::NoPages.into());
    }
    match page {
        None => Ok(count - 1),
        Some(p) if p < count => Ok(p),
        Some(_) => Err(SyntaxError::NoPages.into()),
    }
}

/// `base1`, `base2`, … : the first name no field has.
pub(super) fn unique_name(fields: &[Field], base: &str) -> String {
    (1..)
        .map(|i| format!("{base}{i}"))
        .find(|n| fields.iter().all(|f| &f.name != n))
        .unwrap_or_else(|| base.to_owned())
}
