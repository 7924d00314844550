//! A minimal DER writer and strict DER reader: just what CMS SignedData needs.
//!
//! The writer builds into one buffer, patching each length after its content is written, so
//! a whole SignedData costs one allocation (plus a small one to sort a SET OF). The reader is
//! strict DER (definite, minimal lengths; low tag numbers only) and never indexes past the
//! input, because it parses signatures from anyone on the internet.

use time::{Date, Month, OffsetDateTime, PrimitiveDateTime, Time};

pub const INTEGER: u8 = 0x02;
pub const BIT_STRING: u8 = 0x03;
pub const OCTET_STRING: u8 = 0x04;
pub const NULL: u8 = 0x05;
pub const OID: u8 = 0x06;
pub const UTC_TIME: u8 = 0x17;
pub const GENERALIZED_TIME: u8 = 0x18;
pub const SEQUENCE: u8 = 0x30;
pub const SET: u8 = 0x31;

/// Tag of `[n] IMPLICIT` or `[n] EXPLICIT` over a constructed type.
pub const fn context_constructed(n: u8) -> u8 {
    0xa0 | n
}

/// Tag of `[n] IMPLICIT` over a primitive type.
pub const fn context_primitive(n: u8) -> u8 {
    0x80 | n
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DerError {
    #[error("data ends in the middle of an element")]
    Truncated,
    #[error("indefinite length (BER) is not allowed in DER")]
    IndefiniteLength,
    #[error("length is not minimally encoded")]
    NonMinimalLength,
    #[error("length does not fit in 32 bits")]
    LengthTooLarge,
    #[error("multi-byte tag numbers are not supported")]
    HighTagNumber,
    #[error("expected tag 0x{expected:02x}, found 0x{found:02x}")]
    UnexpectedTag { expected: u8, found: u8 },
    #[error("expected tag 0x{expected:02x}, found end of data")]
    Missing { expected: u8 },
    #[error("unexpected data after the end of an element")]
    TrailingData,
    #[error("invalid INTEGER encoding")]
    BadInteger,
    #[error("INTEGER out of range")]
    IntegerRange,
    #[error("invalid OBJECT IDENTIFIER encoding")]
    BadOid,
    #[error("BIT STRING has unused bits where whole bytes are required")]
    BadBitString,
    #[error("invalid NULL")]
    BadNull,
    #[error("invalid time value `{0}`")]
    BadTime(String),
}

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
                .fold(0usize, |acc, b| (acc << 8) | usize::from(*b));
            if len < 0x80 {
                return Err(DerError::NonMinimalLength);
            }
            len
        };
        let content = after_len.get(..len).ok_or(DerError::Truncated)?;
        let header_len = input.len() - after_len.len();
        let raw = input.get(..header_len + len).ok_or(DerError::Truncated)?;
        self.rest = after_len.get(len..).ok_or(DerError::Truncated)?;
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
        Ok(magnitude
            .iter()
            .fold(0u64, |acc, b| (acc << 8) | u64::from(*b)))
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

fn validate_oid(content: &[u8]) -> Result<(), DerError> {
    if content.is_empty() || content.last().is_some_and(|b| b & 0x80 != 0) {
        return Err(DerError::BadOid);
    }
    let mut start_of_arc = true;
    for b in content {
        if start_of_arc && *b == 0x80 {
            return Err(DerError::BadOid);
        }
        start_of_arc = b & 0x80 == 0;
    }
    Ok(())
}

/// Dotted text of OID content bytes, e.g. `1.2.840.113549.1.7.2`.
pub fn oid_to_string(content: &[u8]) -> Result<String, DerError> {
    validate_oid(content)?;
    let mut arcs: Vec<u64> = Vec::with_capacity(content.len());
    let mut value: u64 = 0;
    for b in content {
        if value > (u64::MAX >> 7) {
            return Err(DerError::BadOid);
        }
        value = (value << 7) | u64::from(b & 0x7f);
        if b & 0x80 == 0 {
            arcs.push(value);
            value = 0;
        }
    }
    let mut out = String::new();
    for (i, arc) in arcs.iter().enumerate() {
        if i == 0 {
            let (first, second) = match *arc {
                a if a < 40 => (0, a),
                a if a < 80 => (1, a - 40),
                a => (2, a - 80),
            };
            out.push_str(&format!("{first}.{second}"));
        } else {
            out.push_str(&format!(".{arc}"));
        }
    }
    Ok(out)
}

/// OID content bytes of dotted text such as `1.3.6.1.4.1.32473.3161.1` (arcs up to 64 bits),
/// or `None` if the text is not an OID.
pub fn oid_from_string(dotted: &str) -> Option<Vec<u8>> {
    let arcs: Vec<u64> = dotted
        .split('.')
        .map(|a| {
            // Reject signs, spaces and leading zeros that `parse` would accept or ignore.
            let canonical = !a.is_empty()
                && a.bytes().all(|b| b.is_ascii_digit())
                && (a == "0" || !a.starts_with('0'));
            canonical.then(|| a.parse().ok()).flatten()
        })
        .collect::<Option<_>>()?;
    let (&first, &second) = (arcs.first()?, arcs.get(1)?);
    if first > 2 || (first < 2 && second >= 40) {
        return None;
    }
    let mut out = Vec::with_capacity(arcs.len() + 4);
    let head = first.checked_mul(40)?.checked_add(second)?;
    for arc in std::iter::once(head).chain(arcs[2..].iter().copied()) {
        let mut groups = [0u8; 10];
        let mut n = 0;
        let mut v = arc;
        loop {
            groups[n] = (v & 0x7f) as u8;
            n += 1;
            v >>= 7;
            if v == 0 {
                break;
            }
        }
        for i in (0..n).rev() {
            out.push(groups[i] | if i > 0 { 0x80 } else { 0 });
        }
    }
    Some(out)
}

/// A UTCTime or GeneralizedTime in its DER form (UTC, `Z`, whole seconds or a fraction with
/// no trailing zero).
pub fn parse_time(tlv: &Tlv<'_>) -> Result<OffsetDateTime, DerError> {
    let text =
        std::str::from_utf8(tlv.content).map_err(|_| DerError::BadTime("not ASCII".into()))?;
    let bad = || DerError::BadTime(text.chars().take(32).collect());
    let body = text.strip_suffix('Z').ok_or_else(bad)?;
    let (year, rest, fraction) = match tlv.tag {
        UTC_TIME => {
            if body.len() != 12 {
                return Err(bad());
            }
            let yy = digits(body, 0, 2).ok_or_else(bad)?;
            let year = if yy < 50 { 2000 + yy } else { 1900 + yy };
            (year, body.get(2..).ok_or_else(bad)?, None)
        }
        GENERALIZED_TIME => {
            let (main, fraction) = match body.split_once('.') {
                Some((m, f)) => (m, Some(f)),
                None => (body, None),
            };
            if main.len() != 14 {
                return Err(bad());
            }
            if let Some(f) = fraction {
                let ok = !f.is_empty()
                    && f.len() <= 9
                    && f.bytes().all(|b| b.is_ascii_digit())
                    && !f.ends_with('0');
                if !ok {
                    return Err(bad());
                }
            }
            (
                digits(main, 0, 4).ok_or_else(bad)?,
                main.get(4..).ok_or_else(bad)?,
                fraction,
            )
        }
        found => {
            return Err(DerError::UnexpectedTag {
                expected: UTC_TIME,
                found,
            })
        }
    };
    let field = |at: usize| digits(rest, at, 2).ok_or_else(bad);
    let month = Month::try_from(u8::try_from(field(0)?).map_err(|_| bad())?).map_err(|_| bad())?;
    let date = Date::from_calendar_date(
        i32::try_from(year).map_err(|_| bad())?,
        month,
        u8::try_from(field(2)?).map_err(|_| bad())?,
    )
    .map_err(|_| bad())?;
    let nanos = match fraction {
        Some(f) => {
            let n: u32 = f.parse().map_err(|_| bad())?;
            n * 10u32.pow(9 - f.len() as u32)
        }
        None => 0,
    };
    let time = Time::from_hms_nano(
        u8::try_from(field(4)?).map_err(|_| bad())?,
        u8::try_from(field(6)?).map_err(|_| bad())?,
        u8::try_from(field(8)?).map_err(|_| bad())?,
        nanos,
    )
    .map_err(|_| bad())?;
    Ok(PrimitiveDateTime::new(date, time).assume_utc())
}

fn digits(s: &str, at: usize, len: usize) -> Option<u32> {
    let part = s.get(at..at + len)?;
    if !part.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    part.parse().ok()
}

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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_and_long_lengths_round_trip() {
        for len in [0usize, 1, 127, 128, 255, 256, 65535, 65536, 70000] {
            let content = vec![0xab; len];
            let mut w = Writer::default();
            w.sequence(|w| w.octet_string(&content));
            let der = w.into_vec();
            let outer = parse_single(&der, SEQUENCE).expect("outer");
            let inner = parse_single(outer.content, OCTET_STRING).expect("inner");
            assert_eq!(inner.content, content.as_slice(), "len {len}");
        }
    }

    #[test]
    fn lengths_are_minimal() {
        let mut w = Writer::default();
        w.octet_string(&[0; 200]);
        assert_eq!(&w.as_slice()[..3], &[0x04, 0x81, 200]);
        let mut w = Writer::default();
        w.sequence(|w| w.raw(&[0; 300]));
        assert_eq!(&w.as_slice()[..4], &[0x30, 0x82, 0x01, 0x2c]);
    }

    #[test]
    fn nested_long_forms_shift_correctly() {
        let mut w = Writer::default();
        w.sequence(|w| {
            w.sequence(|w| w.octet_string(&[7; 150]));
            w.small_uint(5);
        });
        let der = w.into_vec();
        let mut r = parse_single(&der, SEQUENCE)
            .map(|t| Reader::new(t.content))
            .expect("seq");
        let mut inner = r.nested(SEQUENCE).expect("inner");
        assert_eq!(inner.read(OCTET_STRING).expect("os"), &[7; 150][..]);
        inner.finish().expect("inner end");
        assert_eq!(r.read_small_uint().expect("int"), 5);
        r.finish().expect("end");
    }

    #[test]
    fn integers_are_minimal_and_positive() {
        let cases: [(&[u8], &[u8]); 5] = [
            (&[0], &[0x02, 0x01, 0x00]),
            (&[0, 0, 5], &[0x02, 0x01, 0x05]),
            (&[0x80], &[0x02, 0x02, 0x00, 0x80]),
            (&[0x7f, 0xff], &[0x02, 0x02, 0x7f, 0xff]),
            (&[], &[0x02, 0x01, 0x00]),
        ];
        for (input, expected) in cases {
            let mut w = Writer::default();
            w.unsigned_integer(input);
            assert_eq!(w.as_slice(), expected);
        }
        assert_eq!(
            Reader::new(&[0x02, 0x02, 0x00, 0x05]).read_small_uint(),
            Err(DerError::BadInteger)
        );
        assert_eq!(
            Reader::new(&[0x02, 0x01, 0xff]).read_small_uint(),
            Err(DerError::IntegerRange)
        );
        assert_eq!(
            Reader::new(&[0x02, 0x00]).read_small_uint(),
            Err(DerError::BadInteger)
        );
    }

    #[test]
    fn set_of_is_sorted() {
        let mut w = Writer::default();
        w.set_of(SET, |w| {
            w.octet_string(&[3, 3, 3]);
            w.octet_string(&[9]);
            w.small_uint(1);
        });
        assert_eq!(
            w.as_slice(),
            &[0x31, 0x0b, 0x02, 0x01, 0x01, 0x04, 0x01, 0x09, 0x04, 0x03, 3, 3, 3]
        );
    }

    #[test]
    fn reader_rejects_non_der() {
        let bad: [(&[u8], DerError); 8] = [
            (&[], DerError::Truncated),
            (&[0x30], DerError::Truncated),
            (&[0x30, 0x80, 0x00, 0x00], DerError::IndefiniteLength),
            (
                &[0x04, 0x81, 0x05, 1, 2, 3, 4, 5],
                DerError::NonMinimalLength,
            ),
            (&[0x04, 0x82, 0x00, 0x81], DerError::NonMinimalLength),
            (&[0x04, 0x85, 1, 1, 1, 1, 1], DerError::LengthTooLarge),
            (&[0x1f, 0x01, 0x00], DerError::HighTagNumber),
            (&[0x04, 0x05, 1, 2], DerError::Truncated),
        ];
        for (input, err) in bad {
            assert_eq!(Reader::new(input).read_any(), Err(err), "{input:02x?}");
        }
        assert_eq!(
            parse_single(&[0x05, 0x00, 0x00], NULL),
            Err(DerError::TrailingData)
        );
        assert_eq!(
            Reader::new(&[0x31, 0x00]).read(SEQUENCE),
            Err(DerError::UnexpectedTag {
                expected: SEQUENCE,
                found: SET
            })
        );
        assert_eq!(
            Reader::new(&[0x30, 0x04, 0x0c, 0x82, 0xff]).read_any(),
            Err(DerError::Truncated)
        );
    }

    #[test]
    fn oids() {
        let signed_data = [0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x07, 0x02];
        assert_eq!(
            oid_to_string(&signed_data).expect("oid"),
            "1.2.840.113549.1.7.2"
        );
        assert_eq!(
            oid_to_string(&[0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x01]).expect("oid"),
            "2.16.840.1.101.3.4.2.1"
        );
        assert_eq!(oid_to_string(&[]), Err(DerError::BadOid));
        assert_eq!(oid_to_string(&[0x2a, 0x86]), Err(DerError::BadOid));
        assert_eq!(oid_to_string(&[0x2a, 0x80, 0x01]), Err(DerError::BadOid));
        assert_eq!(oid_to_string(&[0xff; 12]), Err(DerError::BadOid));
        let mut w = Writer::default();
        w.oid(&signed_data);
        assert_eq!(
            Reader::new(w.as_slice()).read_oid().expect("read"),
            &signed_data
        );
    }

    #[test]
    fn times_round_trip_and_reject_garbage() {
        let t = time::macros::datetime!(2026-03-05 07:08:09 UTC);
        let mut w = Writer::default();
        w.time(t);
        assert_eq!(w.as_slice(), b"\x17\x0d260305070809Z");
        let tlv = parse_single(w.as_slice(), UTC_TIME).expect("tlv");
        assert_eq!(parse_time(&tlv).expect("time"), t);

        let far = time::macros::datetime!(2051-01-02 03:04:05 UTC);
        let mut w = Writer::default();
        w.time(far);
        let tlv = parse_single(w.as_slice(), GENERALIZED_TIME).expect("tlv");
        assert_eq!(parse_time(&tlv).expect("time"), far);

        let frac = Tlv {
            tag: GENERALIZED_TIME,
            content: b"20260305070809.25Z",
            raw: b"",
        };
        assert_eq!(
            parse_time(&frac).expect("fraction"),
            time::macros::datetime!(2026-03-05 07:08:09.25 UTC)
        );
        for bad in [
            &b"260305070809"[..],
            b"261305070809Z",
            b"26030507080Z",
            b"2603050708a9Z",
            b"260230070809Z",
            b"260305250809Z",
        ] {
            let tlv = Tlv {
                tag: UTC_TIME,
                content: bad,
                raw: b"",
            };
            assert!(
                parse_time(&tlv).is_err(),
                "{}",
                String::from_utf8_lossy(bad)
            );
        }
        let trailing_zero = Tlv {
            tag: GENERALIZED_TIME,
            content: b"20260305070809.50Z",
            raw: b"",
        };
        assert!(parse_time(&trailing_zero).is_err());
    }

    #[test]
    fn reader_never_panics_on_arbitrary_bytes() {
        let mut state = 0x1234_5678_9abc_def0u64;
        for _ in 0..5000 {
            let mut buf = [0u8; 12];
            for b in &mut buf {
                state ^= state << 13;
                state ^= state >> 7;
                state ^= state << 17;
                *b = state as u8;
            }
            let mut r = Reader::new(&buf);
            while r.read_any().is_ok() {}
            let _ = oid_to_string(&buf);
        }
    }
}
