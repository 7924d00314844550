//! Text strings (ISO 32000-1 §7.9.2): the one encoder of human-readable strings (titles,
//! reasons, field names) and its decoder.

use super::object::Object;

/// A text string: PDFDocEncoding when ASCII, else UTF-16BE with a byte order mark, so that
/// Vietnamese names show correctly in viewers.
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

/// Decodes a text string (UTF-16BE with BOM, UTF-8 with BOM, or PDFDocEncoding read as
/// Latin-1). A trailing odd byte of UTF-16 is dropped.
pub fn decode_text(b: &[u8]) -> String {
    if let Some(rest) = b.strip_prefix(&[0xFE, 0xFF]) {
        let units: Vec<u16> = rest
            .chunks_exact(2)
            .filter_map(|c| match c {
                [hi, lo] => Some(u16::from_be_bytes([*hi, *lo])),
                _ => None,
            })
            .collect();
        String::from_utf16_lossy(&units)
    } else if let Some(rest) = b.strip_prefix(&[0xEF, 0xBB, 0xBF]) {
        String::from_utf8_lossy(rest).into_owned()
    } else {
        b.iter().map(|&c| c as char).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ascii_stays_ascii_and_vietnamese_is_utf16() {
        assert_eq!(text_string("Seal"), Object::String(b"Seal".to_vec()));
        assert_eq!(
            text_string("Ký"),
            Object::String(vec![0xFE, 0xFF, 0x00, 0x4B, 0x00, 0xFD])
        );
        for s in ["Seal", "Ký bởi: Nguyễn Văn An"] {
            assert_eq!(
                text_string(s).as_bytes().map(decode_text).as_deref(),
                Some(s)
            );
        }
        assert_eq!(decode_text(&[0xFE, 0xFF, 0x00, 0x4B, 0x00]), "K");
    }
}
