//! The one serializer of PDF objects (ISO 32000-1 §7.3): every dictionary, array, string and
//! stream this crate writes, in a fresh document or an incremental update, goes through
//! [`Object::write_to`]. Numbers have one formatter, [`num`], shared with content streams.

use std::fmt::Write as _;

use super::lexer::is_delimiter;
use super::object::{Dict, Object};

impl Object {
    /// Appends the serialization of this object to `out`.
    pub fn write_to(&self, out: &mut Vec<u8>) {
        match self {
            Object::Null => out.extend_from_slice(b"null"),
            Object::Bool(b) => out.extend_from_slice(if *b { b"true" } else { b"false" }),
            Object::Int(i) => out.extend_from_slice(i.to_string().as_bytes()),
            Object::Real(r) => out.extend_from_slice(num(*r).as_bytes()),
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
                d.set(
                    "Length",
                    Object::Int(i64::try_from(data.len()).unwrap_or(i64::MAX)),
                );
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

/// A number for a PDF object or a content stream: no exponent (PDF has none), at most three
/// decimals (a thousandth of a point is far below what a printer or a screen shows), no
/// trailing zeros, never `-0`; a value that is not finite is written as 0.
pub fn num(v: f64) -> String {
    if !v.is_finite() {
        return "0".into();
    }
    let s = format!("{v:.3}");
    let s = s.trim_end_matches('0').trim_end_matches('.');
    if s == "-0" || s.is_empty() {
        "0".into()
    } else {
        s.to_owned()
    }
}

/// `value` as PDF literal-string syntax, `(…)` with the delimiters escaped: for text shown by
/// content-stream operators.
pub fn literal(value: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(value.len().saturating_add(2));
    write_literal(value, &mut out);
    out
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
    #![allow(clippy::unwrap_used, clippy::indexing_slicing)]

    use super::super::object::ObjRef;
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
        assert_eq!(num(-0.00001), "0");
        assert_eq!(Object::name("A B").to_bytes(), b"/A#20B".to_vec());
    }

    #[test]
    fn numbers() {
        assert_eq!(num(1.0), "1");
        assert_eq!(num(-0.0001), "0");
        assert_eq!(num(2.54321), "2.543");
        assert_eq!(num(f64::NAN), "0");
    }
}
