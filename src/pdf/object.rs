//! The PDF object model (ISO 32000-1 §7.3) and its serialization. Only what the incremental
//! signer needs to read (catalog, page tree, forms, signature dictionaries) and to write back
//! (the few dictionaries an update replaces): values are owned, dictionaries keep key order so
//! a rewritten dictionary differs from the original only where we changed it.

use std::fmt::Write as _;

/// An object number and generation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ObjRef {
    pub num: u32,
    pub generation: u16,
}

impl ObjRef {
    pub const fn new(num: u32, generation: u16) -> Self {
        ObjRef { num, generation }
    }
}

/// A dictionary: ordered key/value pairs, keys without the leading slash.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Dict(pub Vec<(Vec<u8>, Object)>);

impl Dict {
    pub fn new() -> Self {
        Dict(Vec::new())
    }
    pub fn get(&self, key: &str) -> Option<&Object> {
        self.0
            .iter()
            .find(|(k, _)| k.as_slice() == key.as_bytes())
            .map(|(_, v)| v)
    }
    /// Sets `key`, replacing an existing entry in place (keeps key order).
    pub fn set(&mut self, key: &str, value: Object) {
        if let Some(slot) = self
            .0
            .iter_mut()
            .find(|(k, _)| k.as_slice() == key.as_bytes())
        {
            slot.1 = value;
        } else {
            self.0.push((key.as_bytes().to_vec(), value));
        }
    }
    pub fn remove(&mut self, key: &str) {
        self.0.retain(|(k, _)| k.as_slice() != key.as_bytes());
    }
    /// `/Type` or similar name-valued entry.
    pub fn name(&self, key: &str) -> Option<&[u8]> {
        match self.get(key) {
            Some(Object::Name(n)) => Some(n),
            _ => None,
        }
    }
    pub fn int(&self, key: &str) -> Option<i64> {
        self.get(key).and_then(Object::as_int)
    }
    pub fn with(mut self, key: &str, value: Object) -> Self {
        self.set(key, value);
        self
    }
}

/// A PDF value. Streams carry their raw (still encoded) bytes.
#[derive(Debug, Clone, PartialEq)]
pub enum Object {
    Null,
    Bool(bool),
    Int(i64),
    Real(f64),
    Name(Vec<u8>),
    String(Vec<u8>),
    /// A string that was written (or must be written) in hex form, e.g. `/ID` or `/Contents`.
    HexString(Vec<u8>),
    Array(Vec<Object>),
    Dict(Dict),
    Stream(Dict, Vec<u8>),
    Ref(ObjRef),
}

impl Object {
    pub fn name(n: &str) -> Object {
        Object::Name(n.as_bytes().to_vec())
    }
    pub fn string(s: &str) -> Object {
        Object::String(s.as_bytes().to_vec())
    }
    pub fn as_int(&self) -> Option<i64> {
        match self {
            Object::Int(i) => Some(*i),
            Object::Real(r) if r.fract() == 0.0 && r.abs() < 1e15 => Some(*r as i64),
            _ => None,
        }
    }
    pub fn as_f64(&self) -> Option<f64> {
        match self {
            Object::Int(i) => Some(*i as f64),
            Object::Real(r) => Some(*r),
            _ => None,
        }
    }
    pub fn as_dict(&self) -> Option<&Dict> {
        match self {
            Object::Dict(d) | Object::Stream(d, _) => Some(d),
            _ => None,
        }
    }
    pub fn as_array(&self) -> Option<&[Object]> {
        match self {
            Object::Array(a) => Some(a),
            _ => None,
        }
    }
    pub fn as_ref(&self) -> Option<ObjRef> {
        match self {
            Object::Ref(r) => Some(*r),
            _ => None,
        }
    }
    pub fn as_name(&self) -> Option<&[u8]> {
        match self {
            Object::Name(n) => Some(n),
            _ => None,
        }
    }
    /// The bytes of a literal or hex string.
    pub fn as_bytes(&self) -> Option<&[u8]> {
        match self {
            Object::String(s) | Object::HexString(s) => Some(s),
            _ => None,
        }
    }

    /// Appends the serialization of this object to `out`.
    pub fn write_to(&self, out: &mut Vec<u8>) {
        match self {
            Object::Null => out.extend_from_slice(b"null"),
            Object::Bool(b) => out.extend_from_slice(if *b { b"true" } else { b"false" }),
            Object::Int(i) => out.extend_from_slice(i.to_string().as_bytes()),
            Object::Real(r) => out.extend_from_slice(fmt_real(*r).as_bytes()),
            Object::Name(n) => write_name(n, out),
            Object::String(s) => write_literal(s, out),
            Object::HexString(s) => {
                out.push(b'<');
                out.extend_from_slice(hex::encode_upper(s).as_bytes());
                out.push(b'>');
            }
            Object::Array(items) => {
                out.push(b'[');
                for (i, item) in items.iter().enumerate() {
                    if i > 0 {
                        out.push(b' ');
                    }
                    item.write_to(out);
                }
                out.push(b']');
            }
            Object::Dict(d) => write_dict(d, out),
            Object::Stream(d, data) => {
                let mut d = d.clone();
                d.set("Length", Object::Int(data.len() as i64));
                write_dict(&d, out);
                out.extend_from_slice(b"\nstream\n");
                out.extend_from_slice(data);
                out.extend_from_slice(b"\nendstream");
            }
            Object::Ref(r) => {
                let _ = write!(Wrap(out), "{} {} R", r.num, r.generation);
            }
        }
    }

    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = Vec::new();
        self.write_to(&mut out);
        out
    }
}

impl From<Dict> for Object {
    fn from(d: Dict) -> Self {
        Object::Dict(d)
    }
}
impl From<ObjRef> for Object {
    fn from(r: ObjRef) -> Self {
        Object::Ref(r)
    }
}

/// Real numbers without exponent (PDF has none), trimmed, at most 4 decimals: enough for
/// user-space coordinates.
pub fn fmt_real(r: f64) -> String {
    if !r.is_finite() {
        return "0".into();
    }
    let s = format!("{r:.4}");
    let s = s.trim_end_matches('0').trim_end_matches('.');
    if s == "-0" || s.is_empty() {
        "0".into()
    } else {
        s.to_owned()
    }
}

fn write_dict(d: &Dict, out: &mut Vec<u8>) {
    out.extend_from_slice(b"<<");
    for (k, v) in &d.0 {
        write_name(k, out);
        out.push(b' ');
        v.write_to(out);
    }
    out.extend_from_slice(b">>");
}

fn write_name(n: &[u8], out: &mut Vec<u8>) {
    out.push(b'/');
    for &c in n {
        if c.is_ascii_graphic() && !is_delimiter(c) && c != b'#' {
            out.push(c);
        } else {
            let _ = write!(Wrap(out), "#{c:02X}");
        }
    }
}

fn write_literal(s: &[u8], out: &mut Vec<u8>) {
    out.push(b'(');
    for &c in s {
        match c {
            b'(' | b')' | b'\\' => {
                out.push(b'\\');
                out.push(c);
            }
            b'\r' => out.extend_from_slice(b"\\r"),
            b'\n' => out.extend_from_slice(b"\\n"),
            _ => out.push(c),
        }
    }
    out.push(b')');
}

/// Text strings (titles, reasons, field names): PDFDocEncoding when ASCII, else UTF-16BE with
/// a BOM, so Vietnamese names show correctly in viewers.
pub fn text_string(s: &str) -> Object {
    if s.is_ascii() {
        Object::String(s.as_bytes().to_vec())
    } else {
        let mut v = vec![0xFE, 0xFF];
        for u in s.encode_utf16() {
            v.extend_from_slice(&u.to_be_bytes());
        }
        Object::String(v)
    }
}

/// Decodes a text string (UTF-16BE with BOM, UTF-8 with BOM, or PDFDocEncoding read as Latin-1).
pub fn decode_text(b: &[u8]) -> String {
    if let Some(rest) = b.strip_prefix(&[0xFE, 0xFF]) {
        let units: Vec<u16> = rest
            .chunks_exact(2)
            .map(|c| u16::from_be_bytes([c[0], c[1]]))
            .collect();
        String::from_utf16_lossy(&units)
    } else if let Some(rest) = b.strip_prefix(&[0xEF, 0xBB, 0xBF]) {
        String::from_utf8_lossy(rest).into_owned()
    } else {
        b.iter().map(|&c| c as char).collect()
    }
}

pub fn is_delimiter(c: u8) -> bool {
    matches!(
        c,
        b'(' | b')' | b'<' | b'>' | b'[' | b']' | b'{' | b'}' | b'/' | b'%'
    )
}

pub fn is_whitespace(c: u8) -> bool {
    matches!(c, b' ' | b'\t' | b'\r' | b'\n' | b'\x0c' | b'\0')
}

/// `fmt::Write` over a byte vector.
struct Wrap<'a>(&'a mut Vec<u8>);
impl std::fmt::Write for Wrap<'_> {
    fn write_str(&mut self, s: &str) -> std::fmt::Result {
        self.0.extend_from_slice(s.as_bytes());
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn serializes_nested_values() {
        let d = Dict::new()
            .with("Type", Object::name("Sig"))
            .with("Name", Object::String(b"a(b)".to_vec()))
            .with("R", Object::Ref(ObjRef::new(3, 0)))
            .with(
                "A",
                Object::Array(vec![Object::Int(1), Object::Real(2.5), Object::Null]),
            );
        assert_eq!(
            Object::Dict(d).to_bytes(),
            b"<</Type /Sig/Name (a\\(b\\))/R 3 0 R/A [1 2.5 null]>>".to_vec()
        );
        assert_eq!(fmt_real(-0.00001), "0");
        assert_eq!(Object::name("A B").to_bytes(), b"/A#20B".to_vec());
    }
}
