//! The tokenizer and object parser (ISO 32000-1 §7.2, §7.3) over one contiguous slice of
//! untrusted bytes. Every step is bounded: nesting by [`MAX_DEPTH`], positions by the slice;
//! malformed input is an error, never a panic.

use super::error::{malformed, SyntaxError};
use super::object::{Dict, ObjRef, Object};

/// Nesting bound for arrays and dictionaries: real documents stay under ten.
pub const MAX_DEPTH: usize = 64;

pub fn is_delimiter(c: u8) -> bool {
    matches!(
        c,
        b'(' | b')' | b'<' | b'>' | b'[' | b']' | b'{' | b'}' | b'/' | b'%'
    )
}

pub fn is_whitespace(c: u8) -> bool {
    matches!(c, b' ' | b'\t' | b'\r' | b'\n' | b'\x0c' | b'\0')
}

pub fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

pub fn rfind(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).rposition(|w| w == needle)
}

/// A tokenizer/parser over one contiguous slice.
pub struct Lexer<'b> {
    data: &'b [u8],
    pub pos: usize,
}

impl<'b> Lexer<'b> {
    pub fn new(data: &'b [u8], pos: usize) -> Self {
        Lexer { data, pos }
    }
    /// The bytes from the current position on (empty past the end).
    pub fn rest(&self) -> &'b [u8] {
        self.data.get(self.pos..).unwrap_or(&[])
    }
    fn peek(&self) -> Option<u8> {
        self.data.get(self.pos).copied()
    }
    fn advance(&mut self, n: usize) {
        self.pos = self.pos.saturating_add(n);
    }
    /// Consumes `keyword` if the input continues with it.
    pub fn eat(&mut self, keyword: &[u8]) -> bool {
        let found = self.rest().starts_with(keyword);
        if found {
            self.advance(keyword.len());
        }
        found
    }
    pub fn skip_ws(&mut self) {
        while let Some(c) = self.peek() {
            if is_whitespace(c) {
                self.advance(1);
            } else if c == b'%' {
                while let Some(c) = self.peek() {
                    if c == b'\n' || c == b'\r' {
                        break;
                    }
                    self.advance(1);
                }
            } else {
                break;
            }
        }
    }

    /// Skips the end of line after the `stream` keyword: CRLF or LF (§7.3.8.1), or a lone CR.
    pub fn skip_eol(&mut self) {
        if !self.eat(b"\r\n") && !self.eat(b"\n") {
            self.eat(b"\r");
        }
    }

    /// An unsigned decimal integer, after optional white space.
    pub fn unsigned(&mut self) -> Result<u64, SyntaxError> {
        self.skip_ws();
        let start = self.pos;
        while matches!(self.peek(), Some(b'0'..=b'9')) {
            self.advance(1);
        }
        self.data
            .get(start..self.pos)
            .and_then(|d| std::str::from_utf8(d).ok())
            .and_then(|s| s.parse().ok())
            .ok_or_else(|| malformed(format!("expected a number at byte {start}")))
    }

    /// Parses one object (a reference `N G R` counts as one).
    pub fn object(&mut self, depth: usize) -> Result<Object, SyntaxError> {
        if depth > MAX_DEPTH {
            return Err(malformed("objects nest too deeply"));
        }
        let inner = depth.saturating_add(1);
        self.skip_ws();
        let Some(c) = self.peek() else {
            return Err(malformed("unexpected end of data (truncated?)"));
        };
        match c {
            b'/' => {
                self.advance(1);
                Ok(Object::Name(self.name_body()))
            }
            b'(' => self.literal(),
            b'<' if self.eat(b"<<") => {
                let mut d = Dict::new();
                loop {
                    self.skip_ws();
                    if self.eat(b">>") {
                        return Ok(Object::Dict(d));
                    }
                    match self.object(inner)? {
                        Object::Name(k) => {
                            let v = self.object(inner)?;
                            // A null value is equivalent to an absent entry (§7.3.7).
                            if v != Object::Null {
                                d.0.retain(|(key, _)| *key != k);
                                d.0.push((k, v));
                            }
                        }
                        _ => return Err(malformed("a dictionary key is not a name")),
                    }
                }
            }
            b'<' => self.hex(),
            b'[' => {
                self.advance(1);
                let mut items = Vec::new();
                loop {
                    self.skip_ws();
                    if self.eat(b"]") {
                        return Ok(Object::Array(items));
                    }
                    items.push(self.object(inner)?);
                }
            }
            b'0'..=b'9' | b'+' | b'-' | b'.' => self.number(),
            _ => {
                let word = self.keyword();
                match word {
                    b"true" => Ok(Object::Bool(true)),
                    b"false" => Ok(Object::Bool(false)),
                    b"null" => Ok(Object::Null),
                    _ => Err(malformed(format!(
                        "unexpected `{}` at byte {}",
                        String::from_utf8_lossy(word.get(..20).unwrap_or(word)),
                        self.pos
                    ))),
                }
            }
        }
    }

    fn keyword(&mut self) -> &'b [u8] {
        let start = self.pos;
        while let Some(c) = self.peek() {
            if is_whitespace(c) || is_delimiter(c) {
                break;
            }
            self.advance(1);
        }
        if self.pos == start {
            self.advance(1);
        }
        let end = self.pos.min(self.data.len());
        self.data.get(start.min(end)..end).unwrap_or(&[])
    }

    fn number(&mut self) -> Result<Object, SyntaxError> {
        let start = self.pos;
        let tok = self.keyword();
        let s = std::str::from_utf8(tok).map_err(|_| malformed("bad number"))?;
        if let Ok(i) = s.parse::<i64>() {
            // Look ahead for `G R`.
            if i >= 0 {
                let save = self.pos;
                self.skip_ws();
                let gstart = self.pos;
                while matches!(self.peek(), Some(b'0'..=b'9')) {
                    self.advance(1);
                }
                if self.pos > gstart {
                    let generation = self
                        .data
                        .get(gstart..self.pos)
                        .and_then(|g| std::str::from_utf8(g).ok())
                        .and_then(|g| g.parse::<u16>().ok());
                    self.skip_ws();
                    let is_r = self.peek() == Some(b'R')
                        && self
                            .data
                            .get(self.pos.saturating_add(1))
                            .is_none_or(|c| is_whitespace(*c) || is_delimiter(*c));
                    if let (true, Some(g), Ok(n)) = (is_r, generation, u32::try_from(i)) {
                        self.advance(1);
                        return Ok(Object::Ref(ObjRef::new(n, g)));
                    }
                }
                self.pos = save;
            }
            return Ok(Object::Int(i));
        }
        // Reals like `-.5`, `3.`, and the odd `--1` some producers write.
        let t = s.trim_start_matches("--");
        t.parse::<f64>()
            .map(Object::Real)
            .map_err(|_| malformed(format!("bad number `{s}` at byte {start}")))
    }

    fn name_body(&mut self) -> Vec<u8> {
        let mut out = Vec::new();
        while let Some(c) = self.peek() {
            if is_whitespace(c) || is_delimiter(c) {
                break;
            }
            self.advance(1);
            if c == b'#' {
                let hexd = self.data.get(self.pos..self.pos.saturating_add(2));
                if let Some(b) = hexd
                    .and_then(|h| std::str::from_utf8(h).ok())
                    .and_then(|h| u8::from_str_radix(h, 16).ok())
                {
                    out.push(b);
                    self.advance(2);
                    continue;
                }
            }
            out.push(c);
        }
        out
    }

    fn literal(&mut self) -> Result<Object, SyntaxError> {
        self.advance(1);
        let mut out = Vec::new();
        let mut nesting = 1usize;
        loop {
            let Some(c) = self.peek() else {
                return Err(malformed("unterminated string (truncated?)"));
            };
            self.advance(1);
            match c {
                b'(' => {
                    nesting = nesting.saturating_add(1);
                    out.push(c);
                }
                b')' => {
                    nesting = nesting.saturating_sub(1);
                    if nesting == 0 {
                        return Ok(Object::String(out));
                    }
                    out.push(c);
                }
                b'\\' => {
                    let Some(e) = self.peek() else { continue };
                    self.advance(1);
                    match e {
                        b'n' => out.push(b'\n'),
                        b'r' => out.push(b'\r'),
                        b't' => out.push(b'\t'),
                        b'b' => out.push(8),
                        b'f' => out.push(12),
                        b'\r' => {
                            self.eat(b"\n");
                        }
                        b'\n' => {}
                        b'0'..=b'7' => {
                            // Up to three octal digits; the high bits of `\777` are dropped.
                            let mut v = u32::from(e & 7);
                            for _ in 0..2 {
                                match self.peek() {
                                    Some(d @ b'0'..=b'7') => {
                                        v = (v << 3) | u32::from(d & 7);
                                        self.advance(1);
                                    }
                                    _ => break,
                                }
                            }
                            out.push((v & 0xff) as u8);
                        }
                        other => out.push(other),
                    }
                }
                _ => out.push(c),
            }
        }
    }

    fn hex(&mut self) -> Result<Object, SyntaxError> {
        self.advance(1);
        let mut digits = Vec::new();
        loop {
            let Some(c) = self.peek() else {
                return Err(malformed("unterminated hex string (truncated?)"));
            };
            self.advance(1);
            match c {
                b'>' => break,
                c if c.is_ascii_hexdigit() => digits.push(c),
                c if is_whitespace(c) => {}
                _ => return Err(malformed("invalid character in a hex string")),
            }
        }
        if digits.len() % 2 == 1 {
            digits.push(b'0');
        }
        let nibble = |d: u8| (d as char).to_digit(16).unwrap_or(0) as u8;
        let bytes = digits
            .chunks_exact(2)
            .filter_map(|p| match p {
                [hi, lo] => Some((nibble(*hi) << 4) | nibble(*lo)),
                _ => None,
            })
            .collect();
        Ok(Object::HexString(bytes))
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::panic)]

    use super::*;

    #[test]
    fn parses_values_and_refs() {
        let mut lx = Lexer::new(
            b"<< /A 1 0 R /B [1 2 R] /C (x\\(y\\)) /D <41 42> /E -.5 /N#20x 3 >>",
            0,
        );
        let Object::Dict(d) = lx.object(0).unwrap() else {
            panic!()
        };
        assert_eq!(d.get("A"), Some(&Object::Ref(ObjRef::new(1, 0))));
        assert_eq!(
            d.get("B"),
            Some(&Object::Array(vec![Object::Ref(ObjRef::new(1, 2))]))
        );
        assert_eq!(d.get("C"), Some(&Object::String(b"x(y)".to_vec())));
        assert_eq!(d.get("D"), Some(&Object::HexString(b"AB".to_vec())));
        assert_eq!(d.get("E"), Some(&Object::Real(-0.5)));
        assert_eq!(d.get("N x"), Some(&Object::Int(3)));
    }

    #[test]
    fn deep_nesting_is_an_error_not_a_crash() {
        let input = vec![b'['; 100_000];
        assert!(Lexer::new(&input, 0).object(0).is_err());
    }

    #[test]
    fn escapes_and_truncations() {
        let mut lx = Lexer::new(b"(a\\101\\7\\777\\\r\nb\\n) <4>", 0);
        assert_eq!(
            lx.object(0).unwrap(),
            Object::String(b"aA\x07\xffb\n".to_vec())
        );
        assert_eq!(lx.object(0).unwrap(), Object::HexString(vec![0x40]));
        for truncated in [
            &b"("[..],
            b"<41",
            b"<<",
            b"[1 2",
            b"/",
            b"1 0",
            b"-",
            b"<zz>",
        ] {
            let _ = Lexer::new(truncated, 0).object(0);
        }
        assert!(Lexer::new(b"(abc", 0).object(0).is_err());
        assert!(Lexer::new(b"<41", 0).object(0).is_err());
    }
}
