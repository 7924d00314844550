//! The DER writer: builds into one buffer, patching each length after its content is written,
//! so a whole SignedData costs one allocation (plus a small one to sort a SET OF).
//!
//! It encodes only values this crate chose (never bytes it has not parsed first), so unlike the
//! reader it is not held to the parser lints: its arithmetic is over its own buffer's lengths.

use time::OffsetDateTime;

use super::reader::Reader;
use super::tag::{GENERALIZED_TIME, INTEGER, NULL, OCTET_STRING, OID, SEQUENCE, UTC_TIME};

/// Builds DER into a single growable buffer.
#[derive(Debug, Default)]
pub struct Writer {
    buf: Vec<u8>,
}

impl Writer {
    pub fn with_capacity(capacity: usize) -> Self {
        Writer {
            buf: Vec::with_capacity(capacity),
        }
    }

    pub fn into_vec(self) -> Vec<u8> {
        self.buf
    }

    pub fn as_slice(&self) -> &[u8] {
        &self.buf
    }

    /// Appends an already encoded element verbatim.
    pub fn raw(&mut self, der: &[u8]) {
        self.buf.extend_from_slice(der);
    }

    /// An element whose content is written verbatim: a primitive value, or the already encoded
    /// content of a constructed one (e.g. to re-tag a SET as `[0] IMPLICIT`).
    pub fn element(&mut self, tag: u8, content: &[u8]) {
        self.buf.push(tag);
        push_length(&mut self.buf, content.len());
        self.buf.extend_from_slice(content);
    }

    /// A constructed element whose content `f` writes.
    pub fn constructed<R>(&mut self, tag: u8, f: impl FnOnce(&mut Self) -> R) -> R {
        self.buf.push(tag);
        self.buf.push(0);
        let start = self.buf.len();
        let result = f(self);
        self.patch_length(start);
        result
    }

    pub fn sequence<R>(&mut self, f: impl FnOnce(&mut Self) -> R) -> R {
        self.constructed(SEQUENCE, f)
    }

    /// A SET OF whose elements `f` writes in any order; they are then sorted by encoding as
    /// DER requires (X.690 §11.6).
    pub fn set_of<R>(&mut self, tag: u8, f: impl FnOnce(&mut Self) -> R) -> R {
        self.buf.push(tag);
        self.buf.push(0);
        let start = self.buf.len();
        let result = f(self);
        self.sort_elements(start);
        self.patch_length(start);
        result
    }

    pub fn oid(&mut self, content: &[u8]) {
        self.element(OID, content);
    }

    pub fn octet_string(&mut self, content: &[u8]) {
        self.element(OCTET_STRING, content);
    }

    pub fn null(&mut self) {
        self.buf.extend_from_slice(&[NULL, 0]);
    }

    /// A non-negative INTEGER from big-endian magnitude bytes.
    pub fn unsigned_integer(&mut self, magnitude: &[u8]) {
        let start = magnitude
            .iter()
            .position(|b| *b != 0)
            .unwrap_or(magnitude.len());
        let digits = &magnitude[start..];
        let pad = digits.first().is_none_or(|b| b & 0x80 != 0);
        self.buf.push(INTEGER);
        push_length(&mut self.buf, digits.len() + usize::from(pad));
        if pad {
            self.buf.push(0);
        }
        self.buf.extend_from_slice(digits);
    }

    pub fn small_uint(&mut self, value: u64) {
        self.unsigned_integer(&value.to_be_bytes());
    }

    /// RFC 5280 Time rule: UTCTime for 1950–2049, GeneralizedTime otherwise; whole seconds, UTC.
    pub fn time(&mut self, t: OffsetDateTime) {
        let t = t.to_offset(time::UtcOffset::UTC);
        let (y, mo, d) = (t.year(), u8::from(t.month()), t.day());
        let (h, mi, s) = (t.hour(), t.minute(), t.second());
        if (1950..2050).contains(&y) {
            let text = format!("{:02}{mo:02}{d:02}{h:02}{mi:02}{s:02}Z", y % 100);
            self.element(UTC_TIME, text.as_bytes());
        } else {
            let text = format!("{y:04}{mo:02}{d:02}{h:02}{mi:02}{s:02}Z");
            self.element(GENERALIZED_TIME, text.as_bytes());
        }
    }

    fn patch_length(&mut self, start: usize) {
        let len = self.buf.len() - start;
        if len < 0x80 {
            self.buf[start - 1] = len as u8;
            return;
        }
        let be = (len as u64).to_be_bytes();
        let skip = be.iter().position(|b| *b != 0).unwrap_or(be.len() - 1);
        let len_bytes = &be[skip..];
        let extra = len_bytes.len();
        self.buf.resize(self.buf.len() + extra, 0);
        self.buf.copy_within(start..start + len, start + extra);
        self.buf[start - 1] = 0x80 | extra as u8;
        self.buf[start..start + extra].copy_from_slice(len_bytes);
    }

    fn sort_elements(&mut self, start: usize) {
        let content = &self.buf[start..];
        let mut spans = Vec::new();
        let mut reader = Reader::new(content);
        let mut offset = 0;
        while let Ok(tlv) = reader.read_any() {
            spans.push((offset, offset + tlv.raw.len()));
            offset += tlv.raw.len();
        }
        if spans.len() < 2 || offset != content.len() {
            return;
        }
        spans.sort_by(|a, b| content[a.0..a.1].cmp(&content[b.0..b.1]));
        let sorted: Vec<u8> = spans
            .iter()
            .flat_map(|(s, e)| content[*s..*e].iter().copied())
            .collect();
        self.buf[start..].copy_from_slice(&sorted);
    }
}

fn push_length(buf: &mut Vec<u8>, len: usize) {
    if len < 0x80 {
        buf.push(len as u8);
        return;
    }
    let be = (len as u64).to_be_bytes();
    let skip = be.iter().position(|b| *b != 0).unwrap_or(be.len() - 1);
    buf.push(0x80 | (be.len() - skip) as u8);
    buf.extend_from_slice(&be[skip..]);
}
