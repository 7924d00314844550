//! Plain documents on the syntax layer's writer: the one-page Helvetica text the demo and the
//! tests sign, and the benchmark's page whose bulk is an image of bytes the caller provides.

use crate::pdf::syntax::{literal, Dict, ObjRef, Object, Writer};

/// A one-page A4 document with a title and lines of text in the standard Helvetica font.
/// Helvetica's WinAnsi encoding has no Vietnamese letters, so characters outside it are
/// written without their diacritics (the full renderer embeds a Unicode font instead).
pub fn text_document(title: &str, lines: &[&str]) -> Vec<u8> {
    let mut content = b"BT\n/F1 16 Tf\n56 780 Td\n".to_vec();
    content.extend_from_slice(&literal(&fold(title)));
    content.extend_from_slice(b" Tj\n/F1 11 Tf\n0 -28 Td\n14 TL\n");
    for line in lines {
        content.extend_from_slice(&literal(&fold(line)));
        content.extend_from_slice(b" Tj T*\n");
    }
    content.extend_from_slice(b"ET\n");

    let mut w = Writer::new();
    let [catalog, pages, page, font, contents, info] = [(); 6].map(|()| w.alloc());
    let helvetica = Dict::new()
        .with("Type", Object::name("Font"))
        .with("Subtype", Object::name("Type1"))
        .with("BaseFont", Object::name("Helvetica"))
        .with("Encoding", Object::name("WinAnsiEncoding"));
    one_page(
        &mut w,
        [catalog, pages, page],
        [0.0, 0.0, 595.28, 841.89],
        font_resources(font),
        contents,
    );
    w.write(font, &Object::Dict(helvetica));
    // Uncompressed, so that the text can be found in the file.
    w.write(contents, &Object::Stream(Dict::new(), content));
    w.write(
        info,
        &Object::Dict(
            Dict::new()
                .with("Title", Object::String(fold(title)))
                .with("Producer", Object::string("ketqua")),
        ),
    );
    w.set_info(info);
    w.finish()
}

/// A one-page document of about `size` bytes: a line of text and an image XObject of
/// `fill`ed bytes. With random bytes it is incompressible, so that no signer can shortcut
/// the hashing (the benchmark, and the tests of large inputs).
pub fn image_document<E>(
    size: usize,
    fill: impl FnOnce(&mut [u8]) -> Result<(), E>,
) -> Result<Vec<u8>, E> {
    let image_len = size.saturating_sub(1200).max(3);
    let side = ((image_len / 3) as f64).sqrt().floor().max(1.0) as usize;
    let mut image = vec![0u8; side * side * 3];
    fill(&mut image)?;
    let content = b"q 400 0 0 400 97 300 cm /Im1 Do Q BT /F1 18 Tf 72 760 Td (Benchmark) Tj ET";

    let mut w = Writer::new();
    let [catalog, pages, page, font, contents, im] = [(); 6].map(|()| w.alloc());
    let resources = font_resources(font).with(
        "XObject",
        Object::Dict(Dict::new().with("Im1", Object::Ref(im))),
    );
    one_page(
        &mut w,
        [catalog, pages, page],
        [0.0, 0.0, 595.0, 842.0],
        resources,
        contents,
    );
    w.write(
        font,
        &Object::Dict(
            Dict::new()
                .with("Type", Object::name("Font"))
                .with("Subtype", Object::name("Type1"))
                .with("BaseFont", Object::name("Helvetica")),
        ),
    );
    w.write(contents, &Object::Stream(Dict::new(), content.to_vec()));
    let side = i64::try_from(side).unwrap_or(i64::MAX);
    let image_dict = Dict::new()
        .with("Type", Object::name("XObject"))
        .with("Subtype", Object::name("Image"))
        .with("Width", Object::Int(side))
        .with("Height", Object::Int(side))
        .with("ColorSpace", Object::name("DeviceRGB"))
        .with("BitsPerComponent", Object::Int(8));
    w.write(im, &Object::Stream(image_dict, image));
    Ok(w.finish())
}

/// `/Font << /F1 font >>`.
fn font_resources(font: ObjRef) -> Dict {
    Dict::new().with(
        "Font",
        Object::Dict(Dict::new().with("F1", Object::Ref(font))),
    )
}

/// The catalog, the page tree and its one page, which shows `contents`.
fn one_page(
    w: &mut Writer,
    [catalog, pages, page]: [ObjRef; 3],
    media_box: [f64; 4],
    resources: Dict,
    contents: ObjRef,
) {
    w.write(
        catalog,
        &Object::Dict(
            Dict::new()
                .with("Type", Object::name("Catalog"))
                .with("Pages", Object::Ref(pages)),
        ),
    );
    w.write(
        pages,
        &Object::Dict(
            Dict::new()
                .with("Type", Object::name("Pages"))
                .with("Kids", Object::refs(&[page]))
                .with("Count", Object::Int(1)),
        ),
    );
    w.write(
        page,
        &Object::Dict(
            Dict::new()
                .with("Type", Object::name("Page"))
                .with("Parent", Object::Ref(pages))
                .with("MediaBox", Object::reals(&media_box))
                .with("Resources", Object::Dict(resources))
                .with("Contents", Object::Ref(contents)),
        ),
    );
    w.set_root(catalog);
}

/// Printable ASCII, with Vietnamese letters folded to their base letter and anything else a
/// question mark: what WinAnsi Helvetica can show.
fn fold(text: &str) -> Vec<u8> {
    text.chars()
        .map(|c| match fold_diacritics(c) {
            c @ ' '..='~' => c as u8,
            _ => b'?',
        })
        .collect()
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
    use crate::pdf::syntax::{Document, SyntaxError};

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

    #[test]
    fn opens_the_text_document() {
        let pdf = text_document("T", &["a"]);
        let doc = Document::open(&pdf).unwrap();
        assert_eq!(doc.page_count().unwrap(), 1);
        let page = doc.page(0).unwrap();
        assert_eq!(page.reference, ObjRef::new(3, 0));
        assert!(doc.page(1).is_err());
    }

    #[test]
    fn rejects_garbage() {
        assert!(matches!(
            Document::open(b"hello"),
            Err(SyntaxError::Malformed(_))
        ));
        let pdf = text_document("T", &["a"]);
        assert!(Document::open(&pdf[..pdf.len() / 2]).is_err());
    }

    #[test]
    fn image_document_has_about_the_size_asked_for() {
        for size in [0, 12 * 1024, 1024 * 1024] {
            let pdf = image_document(size, |image| {
                image.fill(0x5A);
                Ok::<(), ()>(())
            })
            .unwrap();
            assert!(
                pdf.len().abs_diff(size) < 12 * 1024,
                "{size}: {}",
                pdf.len()
            );
            let doc = Document::open(&pdf).unwrap();
            assert_eq!(doc.page_count().unwrap(), 1);
        }
        assert_eq!(
            image_document(1000, |_| Err("no randomness")),
            Err("no randomness")
        );
    }
}
