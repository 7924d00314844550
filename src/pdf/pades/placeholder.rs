//! The signature's place in its revision (ISO 32000-1 §12.8.1): the signature dictionary is
//! written with a fixed-width /ByteRange and a zero-filled /Contents, the revision is
//! finished, and only then are the byte range and the signature written in, without moving a
//! byte. A placeholder may come back from another replica (external signing), so its offsets
//! are checked and this file is held to the lints of the syntax layer.

#![deny(
    clippy::indexing_slicing,
    clippy::arithmetic_side_effects,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic
)]

use crate::pdf::syntax::{Dict, Object};

use super::error::PdfError;

/// Width of the ByteRange numbers field: three 10-digit numbers and two spaces (files up to
/// 9.9 GB), padded with spaces, so the dictionary does not move when the values are known.
const BYTE_RANGE_FIELD: usize = 32;

/// A signature dictionary serialized with room for its byte range and its signature.
pub(super) struct SigDictBody {
    pub bytes: Vec<u8>,
    /// Offsets within `bytes`: the byte-range numbers field, and the `<` opening /Contents.
    byte_range_at: usize,
    contents_at: usize,
    /// Length of `<…>` including the brackets.
    contents_len: usize,
}

impl SigDictBody {
    /// `dict` followed by `/ByteRange [0 …]` and `/Contents <00…>` with room for `reserve`
    /// bytes of DER.
    pub fn new(dict: Dict, reserve: usize) -> Result<Self, PdfError> {
        let hex_len = reserve
            .checked_mul(2)
            .ok_or_else(|| PdfError::malformed("the signature reservation is too large"))?;
        let mut out = Object::Dict(dict).to_bytes();
        // Reopen the dictionary: drop its `>>`.
        if !out.ends_with(b">>") {
            return Err(PdfError::malformed(
                "a signature dictionary is not a dictionary",
            ));
        }
        out.truncate(out.len().saturating_sub(2));
        out.reserve(hex_len.saturating_add(64));
        out.extend_from_slice(b"/ByteRange [0 ");
        let byte_range_at = out.len();
        out.extend_from_slice(&[b' '; BYTE_RANGE_FIELD]);
        out.extend_from_slice(b"]/Contents ");
        let contents_at = out.len();
        out.push(b'<');
        out.resize(out.len().saturating_add(hex_len), b'0');
        out.push(b'>');
        let contents_len = out.len().saturating_sub(contents_at);
        out.extend_from_slice(b">>");
        Ok(SigDictBody {
            bytes: out,
            byte_range_at,
            contents_at,
            contents_len,
        })
    }
}

/// A finished revision whose /Contents is still zeros.
#[derive(Debug, Clone)]
pub(super) struct Placeholder {
    bytes: Vec<u8>,
    /// Absolute offset of the first byte of `bytes`.
    start: usize,
    /// Absolute offset of the `<` that opens /Contents.
    contents_at: usize,
    /// Length of `<…>` including the brackets.
    contents_len: usize,
}

fn out_of_range() -> PdfError {
    PdfError::BadPrepared("placeholder out of range".into())
}

impl Placeholder {
    /// A revision starting at absolute offset `start` whose /Contents is the `contents_len`
    /// bytes at absolute offset `contents_at`; refused unless that lies inside it.
    pub fn new(
        bytes: Vec<u8>,
        start: usize,
        contents_at: usize,
        contents_len: usize,
    ) -> Result<Self, PdfError> {
        let end = contents_at
            .checked_add(contents_len)
            .ok_or_else(out_of_range)?;
        let revision_end = start.checked_add(bytes.len()).ok_or_else(out_of_range)?;
        if contents_len < 2 || contents_at < start || end > revision_end {
            return Err(out_of_range());
        }
        Ok(Placeholder {
            bytes,
            start,
            contents_at,
            contents_len,
        })
    }

    /// The revision `bytes`, written from absolute offset `start`, whose signature dictionary
    /// `body` begins at absolute offset `body_at`: writes in the byte range, which covers the
    /// whole file but the /Contents string.
    pub fn with_byte_range(
        mut bytes: Vec<u8>,
        start: usize,
        body_at: usize,
        body: &SigDictBody,
    ) -> Result<Self, PdfError> {
        let too_large = || PdfError::malformed("the document is too large to sign");
        let end = start.checked_add(bytes.len()).ok_or_else(too_large)?;
        let contents_at = body_at
            .checked_add(body.contents_at)
            .ok_or_else(too_large)?;
        let after = contents_at
            .checked_add(body.contents_len)
            .ok_or_else(too_large)?;
        let rest = end.checked_sub(after).ok_or_else(out_of_range)?;
        let numbers = format!("{contents_at} {after} {rest}");
        if numbers.len() > BYTE_RANGE_FIELD {
            return Err(too_large());
        }
        let field = body_at
            .checked_add(body.byte_range_at)
            .and_then(|at| at.checked_sub(start))
            .ok_or_else(out_of_range)?;
        bytes
            .get_mut(field..)
            .and_then(|b| b.get_mut(..numbers.len()))
            .ok_or_else(out_of_range)?
            .copy_from_slice(numbers.as_bytes());
        Placeholder::new(bytes, start, contents_at, body.contents_len)
    }

    pub fn bytes(&self) -> &[u8] {
        &self.bytes
    }
    pub fn into_bytes(self) -> Vec<u8> {
        self.bytes
    }
    pub fn contents_at(&self) -> usize {
        self.contents_at
    }
    pub fn contents_len(&self) -> usize {
        self.contents_len
    }

    /// `<…>` within `bytes`: (offset, length), checked by [`Placeholder::new`].
    fn contents_range(&self) -> (usize, usize) {
        (
            self.contents_at.saturating_sub(self.start),
            self.contents_len,
        )
    }

    /// The bytes of this revision that the signature covers, in order.
    pub fn covered_parts(&self) -> (&[u8], &[u8]) {
        let (at, len) = self.contents_range();
        let (before, rest) = self
            .bytes
            .split_at_checked(at)
            .unwrap_or((&self.bytes, &[]));
        (before, rest.get(len..).unwrap_or(&[]))
    }

    /// Writes the DER signature into the placeholder.
    pub fn fill(&mut self, der: &[u8]) -> Result<(), PdfError> {
        let (at, len) = self.contents_range();
        let capacity = len.saturating_sub(2) / 2;
        if der.len() > capacity {
            return Err(PdfError::ContentsTooSmall {
                needed: der.len(),
                reserved: capacity,
            });
        }
        let hex = hex::encode_upper(der);
        self.bytes
            .get_mut(at.saturating_add(1)..)
            .and_then(|b| b.get_mut(..hex.len()))
            .ok_or_else(out_of_range)?
            .copy_from_slice(hex.as_bytes());
        Ok(())
    }
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
    fn byte_range_covers_all_but_the_contents() {
        let body = SigDictBody::new(Dict::new().with("Type", Object::name("Sig")), 4).unwrap();
        let mut revision = b"1 0 obj\n".to_vec();
        let body_at = 1000 + revision.len();
        revision.extend_from_slice(&body.bytes);
        revision.extend_from_slice(b"\nendobj\n");
        let mut ph = Placeholder::with_byte_range(revision, 1000, body_at, &body).unwrap();
        let text = String::from_utf8_lossy(ph.bytes()).into_owned();
        let after = ph.contents_at() + ph.contents_len();
        let expected = format!(
            "/ByteRange [0 {} {} {}",
            ph.contents_at(),
            after,
            1000 + ph.bytes().len() - after
        );
        assert!(text.contains(&expected), "{text}");
        assert!(text.contains("/Contents <00000000>"), "{text}");
        let (a, b) = ph.covered_parts();
        assert_eq!(a.len() + b.len() + ph.contents_len(), ph.bytes().len());
        ph.fill(&[0xAB, 0xCD]).unwrap();
        assert!(String::from_utf8_lossy(ph.bytes()).contains("/Contents <ABCD0000>"));
        assert!(matches!(
            ph.fill(&[0; 5]),
            Err(PdfError::ContentsTooSmall {
                needed: 5,
                reserved: 4
            })
        ));
    }

    #[test]
    fn a_tampered_placeholder_is_refused() {
        let bytes = vec![b'0'; 10];
        for (at, len) in [
            (99, 2),
            (100, 1),
            (100, 11),
            (105, 6),
            (usize::MAX, 2),
            (100, usize::MAX),
        ] {
            assert!(
                Placeholder::new(bytes.clone(), 100, at, len).is_err(),
                "{at} {len}"
            );
        }
        let mut ok = Placeholder::new(bytes, 100, 102, 8).unwrap();
        assert!(ok.fill(&[1, 2, 3]).is_ok());
    }
}
