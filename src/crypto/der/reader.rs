//! The strict DER reader: definite, minimal lengths, low tag numbers only, and never an index
//! past the input, because it parses signatures and requests from anyone on the internet.

#![deny(
    clippy::indexing_slicing,
    clippy::arithmetic_side_effects,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic
)]

use super::error::DerError;
use super::oid_text::validate_oid;
use super::tag::{INTEGER, OID};

/// One element: its tag, its content, and its complete encoding.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Tlv<'a> {
    pub tag: u8,
    pub content: &'a [u8],
    pub raw: &'a [u8],
}

/// Reads consecutive elements from a slice.
#[derive(Debug, Clone)]
pub struct Reader<'a> {
    rest: &'a [u8],
}

impl<'a> Reader<'a> {
    pub fn new(input: &'a [u8]) -> Self {
        Reader { rest: input }
    }

    pub fn is_empty(&self) -> bool {
        self.rest.is_empty()
    }

    pub fn peek_tag(&self) -> Option<u8> {
        self.rest.first().copied()
    }

    /// The next element, whatever its tag.
    pub fn read_any(&mut self) -> Result<Tlv<'a>, DerError> {
        let input = self.rest;
        let (&tag, after_tag) = input.split_first().ok_or(DerError::Truncated)?;
        if tag & 0x1f == 0x1f {
            return Err(DerError::HighTagNumber);
        }
        let (&first, mut after_len) = after_tag.split_first().ok_or(DerError::Truncated)?;
        let len = if first < 0x80 {
            usize::from(first)
        } else if first == 0x80 {
            return Err(DerError::IndefiniteLength);
        } else {
            let n = usize::from(first & 0x7f);
            if n > 4 {
                return Err(DerError::LengthTooLarge);
            }
            let bytes = after_len.get(..n).ok_or(DerError::Truncated)?;
            after_len = after_len.get(n..).ok_or(DerError::Truncated)?;
            if bytes.first() == Some(&0) {
                return Err(DerError::NonMinimalLength);
            }
            let len = bytes
                .iter()
                .try_fold(0usize, |acc, b| {
                    acc.checked_mul(256)?.checked_add(usize::from(*b))
                })
                .ok_or(DerError::LengthTooLarge)?;
            if len < 0x80 {
                return Err(DerError::NonMinimalLength);
            }
            len
        };
        let content = after_len.get(..len).ok_or(DerError::Truncated)?;
        let rest = after_len.get(len..).ok_or(DerError::Truncated)?;
        let raw_len = input
            .len()
            .checked_sub(rest.len())
            .ok_or(DerError::Truncated)?;
        let raw = input.get(..raw_len).ok_or(DerError::Truncated)?;
        self.rest = rest;
        Ok(Tlv { tag, content, raw })
    }

    /// The next element, which must have `tag`.
    pub fn read_tlv(&mut self, tag: u8) -> Result<Tlv<'a>, DerError> {
        match self.peek_tag() {
            None => Err(DerError::Missing { expected: tag }),
            Some(found) if found != tag => Err(DerError::UnexpectedTag {
                expected: tag,
                found,
            }),
            Some(_) => self.read_any(),
        }
    }

    /// The content of the next element, which must have `tag`.
    pub fn read(&mut self, tag: u8) -> Result<&'a [u8], DerError> {
        self.read_tlv(tag).map(|t| t.content)
    }

    /// The next element if it has `tag`, else nothing consumed.
    pub fn read_optional(&mut self, tag: u8) -> Result<Option<Tlv<'a>>, DerError> {
        if self.peek_tag() == Some(tag) {
            self.read_any().map(Some)
        } else {
            Ok(None)
        }
    }

    /// A nested reader over the content of the next element, which must have `tag`.
    pub fn nested(&mut self, tag: u8) -> Result<Reader<'a>, DerError> {
        self.read(tag).map(Reader::new)
    }

    /// OBJECT IDENTIFIER content bytes, validated.
    pub fn read_oid(&mut self) -> Result<&'a [u8], DerError> {
        let content = self.read(OID)?;
        validate_oid(content)?;
        Ok(content)
    }

    /// A non-negative INTEGER that fits in a u64.
    pub fn read_small_uint(&mut self) -> Result<u64, DerError> {
        let content = self.read(INTEGER)?;
        validate_integer(content)?;
        if content.first().is_some_and(|b| b & 0x80 != 0) {
            return Err(DerError::IntegerRange);
        }
        let magnitude = match content {
            [0, rest @ ..] => rest,
            all => all,
        };
        if magnitude.len() > 8 {
            return Err(DerError::IntegerRange);
        }
        magnitude
            .iter()
            .try_fold(0u64, |acc, b| {
                acc.checked_mul(256)?.checked_add(u64::from(*b))
            })
            .ok_or(DerError::IntegerRange)
    }

    /// INTEGER content bytes (two's complement), validated as minimal.
    pub fn read_integer_bytes(&mut self) -> Result<&'a [u8], DerError> {
        let content = self.read(INTEGER)?;
        validate_integer(content)?;
        Ok(content)
    }

    /// Fails unless every byte has been consumed.
    pub fn finish(&self) -> Result<(), DerError> {
        if self.rest.is_empty() {
            Ok(())
        } else {
            Err(DerError::TrailingData)
        }
    }
}

/// Parses `input` as exactly one element with `tag`.
pub fn parse_single(input: &[u8], tag: u8) -> Result<Tlv<'_>, DerError> {
    let mut r = Reader::new(input);
    let tlv = r.read_tlv(tag)?;
    r.finish()?;
    Ok(tlv)
}

fn validate_integer(content: &[u8]) -> Result<(), DerError> {
    match content {
        [] => Err(DerError::BadInteger),
        [0x00, next, ..] if next & 0x80 == 0 => Err(DerError::BadInteger),
        [0xff, next, ..] if next & 0x80 != 0 => Err(DerError::BadInteger),
        _ => Ok(()),
    }
}

/// Big-endian bytes without their leading zero bytes: INTEGERs such as serial numbers compare
/// as numbers this way, whether or not their encoder added a sign byte (`00 ff` and `ff`).
pub fn magnitude(bytes: &[u8]) -> &[u8] {
    let start = bytes.iter().position(|b| *b != 0).unwrap_or(bytes.len());
    bytes.get(start..).unwrap_or_default()
}
