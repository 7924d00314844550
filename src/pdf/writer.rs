//! Writing PDF objects: a classic cross-reference table over numbered object bodies, streams
//! (Flate-compressed when it pays), text strings and dates. Shared by the renderer and by
//! whoever builds test pages from the stamp appearances.

use std::fmt::Write as _;

use time::OffsetDateTime;

/// A document being assembled: object bodies by number (1-based), written in order.
#[derive(Debug, Default)]
pub struct PdfWriter {
    objects: Vec<Option<Vec<u8>>>,
}

impl PdfWriter {
    pub fn new() -> Self {
        Self::default()
    }

    /// Reserves the next object number, for a body set later (forward references).
    pub fn reserve(&mut self) -> u32 {
        self.objects.push(None);
        self.objects.len() as u32
    }

    /// Sets the body of a reserved object; numbers that were never reserved are reserved now.
    pub fn set(&mut self, number: u32, body: Vec<u8>) {
        let index = number.saturating_sub(1) as usize;
        if self.objects.len() <= index {
            self.objects.resize(index + 1, None);
        }
        self.objects[index] = Some(body);
    }

    /// Adds an object and returns its number.
    pub fn add(&mut self, body: Vec<u8>) -> u32 {
        let n = self.reserve();
        self.set(n, body);
        n
    }

    /// The next number `reserve` would return.
    pub fn next_number(&self) -> u32 {
        self.objects.len() as u32 + 1
    }

    /// The complete file: header, objects, xref, trailer naming `root` and `info`. An object
    /// reserved but never set is written as `null` so the file stays well-formed.
    pub fn finish(self, root: u32, info: Option<u32>) -> Vec<u8> {
        let total: usize = self.objects.iter().flatten().map(|o| o.len() + 32).sum();
        let mut out: Vec<u8> = Vec::with_capacity(total + 64 + 20 * self.objects.len());
        // The comment of four high bytes tells transfer tools the file is binary.
        out.extend_from_slice(b"%PDF-1.7\n%\xE2\xE3\xCF\xD3\n");
        let mut offsets = Vec::with_capacity(self.objects.len());
        for (index, body) in self.objects.iter().enumerate() {
            offsets.push(out.len());
            out.extend_from_slice(format!("{} 0 obj\n", index + 1).as_bytes());
            out.extend_from_slice(body.as_deref().unwrap_or(b"null"));
            out.extend_from_slice(b"\nendobj\n");
        }
        let xref_offset = out.len();
        let mut xref = format!("xref\n0 {}\n0000000000 65535 f \n", offsets.len() + 1);
        for offset in offsets {
            let _ = writeln!(xref, "{offset:010} 00000 n ");
        }
        let id = hex::encode(&crate::crypto::sha256(&out)[..16]);
        let info = info.map(|i| format!(" /Info {i} 0 R")).unwrap_or_default();
        let _ = write!(
            xref,
            "trailer\n<< /Size {} /Root {root} 0 R{info} /ID [<{id}> <{id}>] >>\nstartxref\n{xref_offset}\n%%EOF\n",
            self.objects.len() + 1
        );
        out.extend_from_slice(xref.as_bytes());
        out
    }
}

/// A stream object body: `<< extra /Length n [/Filter /FlateDecode] >> stream … endstream`.
/// `extra` is dictionary content without the brackets (may be empty).
pub fn stream(extra: &str, data: &[u8], compress: bool) -> Vec<u8> {
    let compressed;
    let (data, filter) = if compress {
        compressed = miniz_oxide::deflate::compress_to_vec_zlib(data, 6);
        (compressed.as_slice(), " /Filter /FlateDecode")
    } else {
        (data, "")
    };
    let sep = if extra.is_empty() { "" } else { " " };
    let mut out = Vec::with_capacity(data.len() + extra.len() + 64);
    out.extend_from_slice(
        format!("<< {extra}{sep}/Length {}{filter} >>\nstream\n", data.len()).as_bytes(),
    );
    out.extend_from_slice(data);
    out.extend_from_slice(b"\nendstream");
    out
}

/// A PDF text string for any Unicode text: UTF-16BE with a byte order mark, as hex.
pub fn text_string(text: &str) -> String {
    let mut out = String::with_capacity(6 + 4 * text.len());
    out.push_str("<FEFF");
    for unit in text.encode_utf16() {
        let _ = write!(out, "{unit:04X}");
    }
    out.push('>');
    out
}

/// A PDF date string `(D:YYYYMMDDHHmmSS+HH'mm')` in the time's own offset.
pub fn date(t: OffsetDateTime) -> String {
    let offset = t.offset();
    let (h, m, _) = offset.as_hms();
    let sign = if offset.is_negative() { '-' } else { '+' };
    format!(
        "(D:{:04}{:02}{:02}{:02}{:02}{:02}{sign}{:02}'{:02}')",
        t.year(),
        u8::from(t.month()),
        t.day(),
        t.hour(),
        t.minute(),
        t.second(),
        h.unsigned_abs(),
        m.unsigned_abs()
    )
}

/// A number for a content stream: at most 3 decimals, no trailing zeros, never `-0`.
pub fn num(v: f64) -> String {
    if !v.is_finite() {
        return "0".into();
    }
    let s = format!("{:.3}", v);
    let s = s.trim_end_matches('0').trim_end_matches('.');
    if s == "-0" || s.is_empty() {
        "0".into()
    } else {
        s.to_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_strings_and_dates() {
        assert_eq!(num(1.0), "1");
        assert_eq!(num(-0.0001), "0");
        assert_eq!(num(2.54321), "2.543");
        assert_eq!(num(f64::NAN), "0");
        assert_eq!(text_string("Ký"), "<FEFF004B00FD>");
        let t = time::macros::datetime!(2026-05-04 10:02:01 +07:00);
        assert_eq!(date(t), "(D:20260504100201+07'00')");
    }

    #[test]
    fn xref_points_at_objects() {
        let mut w = PdfWriter::new();
        let root = w.reserve();
        let pages = w.add(b"<< /Type /Pages /Kids [] /Count 0 >>".to_vec());
        w.set(
            root,
            format!("<< /Type /Catalog /Pages {pages} 0 R >>").into_bytes(),
        );
        let pdf = w.finish(root, None);
        // The header's binary comment is not UTF-8: read the tail (all ASCII) on its own.
        let tail_start = pdf.windows(6).rposition(|w| w == b"\nxref\n").unwrap() + 1;
        let tail = std::str::from_utf8(&pdf[tail_start..]).unwrap();
        let at: usize = tail
            .rsplit("startxref\n")
            .next()
            .unwrap()
            .lines()
            .next()
            .unwrap()
            .parse()
            .unwrap();
        assert_eq!(at, tail_start);
        assert!(tail.starts_with("xref\n0 3\n"));
        let first: usize = tail.lines().nth(3).unwrap()[..10].parse().unwrap();
        assert!(pdf[first..].starts_with(b"1 0 obj\n<< /Type /Catalog"));
    }
}
