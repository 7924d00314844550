//! PDF documents: [`render`] lays out result documents (Vietnamese text in an embedded
//! [`font`] subset, the [`qr`] code at the top left, a box for the visible signature whose
//! appearances [`stamp`] draws), on the object [`writer`]. [`text_document`] is the older
//! one-page Helvetica writer the demo uses. The PAdES signer builds on these modules.

pub mod font;
pub mod qr;
pub mod render;
pub mod stamp;
pub mod writer;

use std::fmt::Write as _;

pub mod object;
pub mod pades;
pub mod parse;
pub mod sign;
pub mod write;

pub use pades::{
    complete, prepare, sign_result, DocMdp, PadesLevel, PdfError, PrepareRequest, Prepared,
    SignatureRequest, StampKind, StampTextInput, TopLeftMark, Validation, VisibleSignature,
};

/// A one-page A4 document with a title and lines of text in the standard Helvetica font.
/// Helvetica's WinAnsi encoding has no Vietnamese letters, so characters outside it are
/// written without their diacritics (the full renderer embeds a Unicode font instead).
pub fn text_document(title: &str, lines: &[&str]) -> Vec<u8> {
    let mut content = String::from("BT\n/F1 16 Tf\n56 780 Td\n");
    let _ = writeln!(content, "({}) Tj", escape(title));
    content.push_str("/F1 11 Tf\n0 -28 Td\n14 TL\n");
    for line in lines {
        let _ = writeln!(content, "({}) Tj T*", escape(line));
    }
    content.push_str("ET\n");

    let objects = [
        "<< /Type /Catalog /Pages 2 0 R >>".to_owned(),
        "<< /Type /Pages /Kids [3 0 R] /Count 1 >>".to_owned(),
        "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595.28 841.89] \
         /Resources << /Font << /F1 4 0 R >> >> /Contents 5 0 R >>"
            .to_owned(),
        "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>"
            .to_owned(),
        format!(
            "<< /Length {} >>\nstream\n{}endstream",
            content.len(),
            content
        ),
        format!("<< /Title ({}) /Producer (ketqua) >>", escape(title)),
    ];

    let mut out: Vec<u8> = b"%PDF-1.7\n%\xE2\xE3\xCF\xD3\n".to_vec();
    let mut offsets = Vec::with_capacity(objects.len());
    for (index, object) in objects.iter().enumerate() {
        offsets.push(out.len());
        out.extend_from_slice(format!("{} 0 obj\n{}\nendobj\n", index + 1, object).as_bytes());
    }
    let xref_offset = out.len();
    let mut xref = format!("xref\n0 {}\n0000000000 65535 f \n", objects.len() + 1);
    for offset in offsets {
        let _ = writeln!(xref, "{offset:010} 00000 n ");
    }
    let id = hex::encode(&crate::crypto::sha256(&out)[..16]);
    let _ = write!(
        xref,
        "trailer\n<< /Size {} /Root 1 0 R /Info 6 0 R /ID [<{id}> <{id}>] >>\nstartxref\n{xref_offset}\n%%EOF\n",
        objects.len() + 1
    );
    out.extend_from_slice(xref.as_bytes());
    out
}

/// Escapes a PDF literal string, keeping printable ASCII and folding Vietnamese letters to
/// their base letter.
fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        let c = fold_diacritics(c);
        match c {
            '(' | ')' | '\\' => {
                out.push('\\');
                out.push(c);
            }
            ' '..='~' => out.push(c),
            _ => out.push('?'),
        }
    }
    out
}

fn fold_diacritics(c: char) -> char {
    const GROUPS: &[(&str, char)] = &[
        ("àáảãạăằắẳẵặâầấẩẫậ", 'a'),
        ("ÀÁẢÃẠĂẰẮẲẴẶÂẦẤẨẪẬ", 'A'),
        ("èéẻẽẹêềếểễệ", 'e'),
        ("ÈÉẺẼẸÊỀẾỂỄỆ", 'E'),
        ("ìíỉĩị", 'i'),
        ("ÌÍỈĨỊ", 'I'),
        ("òóỏõọôồốổỗộơờớởỡợ", 'o'),
        ("ÒÓỎÕỌÔỒỐỔỖỘƠỜỚỞỠỢ", 'O'),
        ("ùúủũụưừứửữự", 'u'),
        ("ÙÚỦŨỤƯỪỨỬỮỰ", 'U'),
        ("ỳýỷỹỵ", 'y'),
        ("ỲÝỶỸỴ", 'Y'),
        ("đ", 'd'),
        ("Đ", 'D'),
    ];
    GROUPS
        .iter()
        .find(|(group, _)| group.contains(c))
        .map_or(c, |(_, base)| *base)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn xref_offsets_point_at_objects() {
        let pdf = text_document("Phiếu (thử)", &["Dòng một", "Line two"]);
        assert!(pdf.starts_with(b"%PDF-1.7"));
        assert!(pdf.ends_with(b"%%EOF\n"));
        let find = |needle: &[u8]| pdf.windows(needle.len()).rposition(|w| w == needle);
        assert!(find(b"(Phieu \\(thu\\)) Tj").is_some());
        let at = find(b"startxref\n").unwrap() + b"startxref\n".len();
        let startxref: usize = std::str::from_utf8(&pdf[at..])
            .unwrap()
            .lines()
            .next()
            .and_then(|n| n.parse().ok())
            .unwrap();
        assert!(pdf[startxref..].starts_with(b"xref\n0 7\n"));
        let table = std::str::from_utf8(&pdf[startxref..]).unwrap();
        for (index, line) in table.lines().skip(3).take(6).enumerate() {
            let offset: usize = line[..10].parse().unwrap();
            let header = format!("{} 0 obj", index + 1);
            assert!(
                pdf[offset..].starts_with(header.as_bytes()),
                "object {} not at {offset}",
                index + 1
            );
        }
    }
}
