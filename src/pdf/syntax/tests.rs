//! The syntax layer end to end: what the writer writes the reader reads, an update is read as
//! a new revision, and damaged files are errors, never panics.

#![allow(
    clippy::unwrap_used,
    clippy::indexing_slicing,
    clippy::arithmetic_side_effects
)]

use super::document::Document;
use super::error::SyntaxError;
use super::object::{Dict, Object};
use super::resolve::XrefEntry;
use super::write::Writer;

/// A one-page document: catalog 1, pages 2, page 3, contents 4.
fn one_page() -> Vec<u8> {
    let mut w = Writer::new();
    let catalog = w.alloc();
    let pages = w.alloc();
    let page = w.alloc();
    let contents = w.add(&Object::Stream(Dict::new(), b"0 0 m 10 10 l S".to_vec()));
    w.write(
        page,
        &Object::Dict(
            Dict::new()
                .with("Type", Object::name("Page"))
                .with("Parent", Object::Ref(pages))
                .with("MediaBox", Object::reals(&[0.0, 0.0, 595.0, 842.0]))
                .with("Contents", Object::Ref(contents)),
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
        catalog,
        &Object::Dict(
            Dict::new()
                .with("Type", Object::name("Catalog"))
                .with("Pages", Object::Ref(pages)),
        ),
    );
    w.set_root(catalog);
    w.finish()
}

#[test]
fn reads_what_the_writer_wrote() {
    let pdf = one_page();
    let doc = Document::open(&pdf).unwrap();
    assert_eq!(doc.page_count().unwrap(), 1);
    let page = doc.page(0).unwrap();
    assert_eq!(page.reference.num, 3);
    assert_eq!(page.visible_box(), [0.0, 0.0, 595.0, 842.0]);
    assert!(matches!(doc.page(1), Err(SyntaxError::Malformed(_))));
    assert!(doc.fields().unwrap().is_empty());
    assert_eq!(doc.size(), 5);
    assert_eq!(doc.revision_xref_offsets().len(), 1);
    let Object::Stream(_, data) = doc
        .resolve(page.dict.get("Contents").unwrap().as_ref().unwrap())
        .unwrap()
    else {
        unreachable!()
    };
    assert_eq!(data, b"0 0 m 10 10 l S");
}

#[test]
fn an_update_is_read_as_a_new_revision() {
    let base = one_page();
    let doc = Document::open(&base).unwrap();
    let page = doc.page(0).unwrap();
    let mut up = Writer::update(&doc, base.ends_with(b"\n"));
    let mut dict = page.dict.clone();
    dict.set("Rotate", Object::Int(90));
    up.write(page.reference, &Object::Dict(dict));
    let note = up.add(&Object::string("added"));
    let appendix = up.finish();
    assert!(appendix.ends_with(b"%%EOF\n"));

    let doc = Document::open_with_appendix(&base, &appendix).unwrap();
    assert_eq!(doc.revision_xref_offsets().len(), 2);
    assert_eq!(doc.page(0).unwrap().rotation(), 90);
    assert_eq!(doc.resolve(note).unwrap(), Object::string("added"));
    assert!(matches!(doc.xref_entry(note.num), Some(XrefEntry::Offset(at, 0)) if at > base.len()));
    assert_eq!(
        doc.trailer().int("Prev"),
        Some(Document::open(&base).unwrap().startxref() as i64)
    );
    // The same bytes concatenated read the same.
    let mut all = base.clone();
    all.extend_from_slice(&appendix);
    assert_eq!(
        Document::open(&all).unwrap().page(0).unwrap().rotation(),
        90
    );
}

#[test]
fn rejects_garbage() {
    assert!(matches!(
        Document::open(b"hello"),
        Err(SyntaxError::Malformed(_))
    ));
    assert!(matches!(
        Document::open(b""),
        Err(SyntaxError::Malformed(_))
    ));
    let pdf = one_page();
    assert!(Document::open(&pdf[..pdf.len() / 2]).is_err());
    // The trailer follows the objects: inserting there moves no offset.
    let at = pdf.windows(5).rposition(|w| w == b"/Root").unwrap();
    let mut encrypted = pdf[..at].to_vec();
    encrypted.extend_from_slice(b"/Encrypt 1 0 R");
    encrypted.extend_from_slice(&pdf[at..]);
    assert!(matches!(
        Document::open(&encrypted),
        Err(SyntaxError::Encrypted)
    ));
}

#[test]
fn damaged_files_are_errors_not_panics() {
    let pdf = one_page();
    let read = |bytes: &[u8]| {
        if let Ok(doc) = Document::open(bytes) {
            let _ = doc.page(0).map(|p| p.visible_box());
            let _ = doc.fields();
        }
    };
    for cut in 0..pdf.len() {
        read(&pdf[..cut]);
    }
    for at in 0..pdf.len() {
        for byte in [b'0', b'9', b'(', b'<', b'[', b' ', 0xFF] {
            let mut damaged = pdf.clone();
            damaged[at] = byte;
            read(&damaged);
        }
    }
}
