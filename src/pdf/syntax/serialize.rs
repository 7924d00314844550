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
    // Content streams are mostly numbers (a result's QR code alone is ~1,500 rectangles), and
    // float formatting was 5 % of the Sign step: thousandths as an integer are exact whenever
    // the value is not within a hair of a rounding tie, which goes the exact way below.
    let scaled = v * 1000.0;
    let rounded = scaled.round();
    if scaled.abs() < 1e9 && ((scaled - rounded).abs() - 0.5).abs() > 1e-6 {
        return thousandths(rounded as i64);
    }
    num_exact(v)
}

/// `m` thousandths, as [`num`] writes them.
fn thousandths(m: i64) -> String {
    use std::fmt::Write as _;
    let mut out = String::with_capacity(16);
    if m < 0 {
        out.push('-');
    }
    let (whole, fraction) = (m.unsigned_abs() / 1000, m.unsigned_abs() % 1000);
    let _ = write!(out, "{whole}");
    if fraction != 0 {
        // Three decimals without their trailing zeros: 500 is ".5", 50 is ".05".
        let (mut digits, mut width) = (fraction, 3usize);
        while digits % 10 == 0 {
            digits /= 10;
            width = width.saturating_sub(1);
        }
        let _ = write!(out, ".{digits:0width$}");
    }
    out
}

/// [`num`] by the standard library's exact decimal formatting.
fn num_exact(v: f64) -> String {
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
    fn numbers_are_written_as_exact_formatting_writes_them() {
        let mut values = vec![
            0.0,
            -0.0,
            1.0,
            -1.0,
            0.5,
            0.0005,
            0.0015,
            -0.0005,
            1.0005,
            2.675,
            595.276,
            841.89,
            1e-9,
            -1e-9,
            123456.789,
            999999.9995,
            1e7,
            1e12,
            -4.2e15,
            f64::NAN,
            f64::INFINITY,
        ];
        let mut x: u64 = 0x9E37_79B9_7F4A_7C15;
        for _ in 0..100_000 {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            let unit = (x >> 11) as f64 / (1u64 << 53) as f64;
            values.push((unit - 0.5) * 2000.0);
            values.push(((unit * 1e6).round() / 2000.0) - 250.0);
        }
        for v in values {
            assert_eq!(num(v), num_exact(v), "{v:e}");
        }
    }

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
