//! The syntax layer end to end: what the writer writes the reader reads, an update is read as
//! a new revision, and damaged files are errors, never panics.

#![allow(
    clippy::unwrap_used,
    clippy::indexing_slicing,
    clippy::arithmetic_side_effects,
    clippy::panic
)]

use super::budget::ReadLimits;
use super::document::Document;
use super::error::SyntaxError;
use super::object::{Dict, ObjRef, Object};
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

/// A file of indirect objects (number, what stands between `obj` and `endobj`), with an xref
/// stream that also lists `(object, object stream, index)` entries inside object streams.
fn assemble(objects: &[(u32, Vec<u8>)], in_streams: &[(u32, u32, u32)], root: u32) -> Vec<u8> {
    let mut out = b"%PDF-1.7\n".to_vec();
    let mut offsets = std::collections::BTreeMap::new();
    for (num, body) in objects {
        offsets.insert(*num, out.len());
        out.extend_from_slice(format!("{num} 0 obj\n").as_bytes());
        out.extend_from_slice(body);
        out.extend_from_slice(b"\nendobj\n");
    }
    let highest = objects
        .iter()
        .map(|(n, _)| *n)
        .chain(in_streams.iter().map(|(n, _, _)| *n))
        .max()
        .unwrap_or(0);
    let xref_num = highest + 1;
    let xref_at = out.len();
    offsets.insert(xref_num, xref_at);
    let mut rows = Vec::new();
    for num in 0..=xref_num {
        let (kind, f1, f2) = if let Some(off) = offsets.get(&num) {
            (1u8, *off as u32, 0u16)
        } else if let Some((_, stream, index)) = in_streams.iter().find(|(n, _, _)| *n == num) {
            (2u8, *stream, *index as u16)
        } else {
            (0u8, 0, 0)
        };
        rows.push(kind);
        rows.extend_from_slice(&f1.to_be_bytes());
        rows.extend_from_slice(&f2.to_be_bytes());
    }
    out.extend_from_slice(
        format!(
            "{xref_num} 0 obj\n<< /Type /XRef /Size {} /W [1 4 2] /Root {root} 0 R /Length {} >>\nstream\n",
            xref_num + 1,
            rows.len()
        )
        .as_bytes(),
    );
    out.extend_from_slice(&rows);
    out.extend_from_slice(format!("\nendstream\nendobj\nstartxref\n{xref_at}\n%%EOF\n").as_bytes());
    out
}

/// An object stream holding `objects` (number, text), with `extra` dictionary entries.
fn object_stream(objects: &[(u32, &str)], extra: &str, data: impl Fn(&[u8]) -> Vec<u8>) -> Vec<u8> {
    let mut header = String::new();
    let mut body = String::new();
    for (num, text) in objects {
        header.push_str(&format!("{num} {} ", body.len()));
        body.push_str(text);
        body.push(' ');
    }
    let decoded = format!("{header}{body}");
    let stored = data(decoded.as_bytes());
    let mut out = format!(
        "<< /Type /ObjStm /N {} /First {} {extra} >>\nstream\n",
        objects.len(),
        header.len()
    )
    .into_bytes();
    out.extend_from_slice(&stored);
    out.extend_from_slice(b"\nendstream");
    out
}

const PAGES: &str = "<< /Type /Pages /Kids [3 0 R] /Count 1 >>";
const PAGE: &str = "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] >>";

#[test]
fn an_object_stream_whose_length_is_inside_itself_does_not_recurse() {
    // Object 5, the /Length of object stream 4, is stored in object stream 4: reading the
    // stream needs its length, which needs the stream. The reader finds `endstream` instead.
    let stream = object_stream(
        &[(1, "<< /Type /Catalog /Pages 2 0 R >>"), (5, "99")],
        "/Length 5 0 R",
        <[u8]>::to_vec,
    );
    let pdf = assemble(
        &[
            (2, PAGES.as_bytes().to_vec()),
            (3, PAGE.as_bytes().to_vec()),
            (4, stream),
        ],
        &[(1, 4, 0), (5, 4, 1)],
        1,
    );
    let doc = Document::open(&pdf).unwrap();
    assert_eq!(doc.page_count().unwrap(), 1);
    assert_eq!(doc.resolve(ObjRef::new(5, 0)).unwrap(), Object::Int(99));
}

#[test]
fn an_object_stream_that_contains_itself_is_an_error() {
    // The xref says object stream 4 is itself inside object stream 4.
    let pdf = assemble(
        &[
            (2, PAGES.as_bytes().to_vec()),
            (3, PAGE.as_bytes().to_vec()),
        ],
        &[(1, 4, 0), (4, 4, 1)],
        1,
    );
    assert!(matches!(
        Document::open(&pdf),
        Err(SyntaxError::Malformed(_))
    ));
}

fn zlib(data: &[u8]) -> Vec<u8> {
    let mut encoder = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::best());
    std::io::Write::write_all(&mut encoder, data).unwrap();
    encoder.finish().unwrap()
}

fn small_limits() -> ReadLimits {
    ReadLimits {
        max_stream_bytes: 1 << 20,
        max_decoded_bytes: 1 << 20,
        ..ReadLimits::default()
    }
}

#[test]
fn a_decompression_bomb_is_refused_within_the_stream_budget() {
    // 8 MiB of spaces after the objects: a few kilobytes on disk.
    let bomb = object_stream(
        &[(1, "<< /Type /Catalog /Pages 2 0 R >>")],
        "/Filter /FlateDecode",
        |decoded| {
            let mut inflated = decoded.to_vec();
            inflated.resize(8 << 20, b' ');
            zlib(&inflated)
        },
    );
    let pdf = assemble(
        &[
            (2, PAGES.as_bytes().to_vec()),
            (3, PAGE.as_bytes().to_vec()),
            (4, bomb),
        ],
        &[(1, 4, 0)],
        1,
    );
    assert!(pdf.len() < 64 * 1024, "the bomb is small: {}", pdf.len());
    match Document::open_within(&pdf, &[], small_limits()) {
        Err(SyntaxError::Limit(why)) => assert!(why.contains("bomb"), "{why}"),
        Err(other) => panic!("expected a budget error, got {other}"),
        Ok(_) => panic!("expected a budget error, the bomb was read"),
    }
    // Within the default budget it is read.
    assert!(Document::open(&pdf).is_ok());
}

#[test]
fn the_document_budget_counts_every_stream() {
    // Two object streams of 600 KiB each: each fits the 1 MiB stream allowance, together they
    // pass the 1 MiB document budget.
    let padded = |objects: &[(u32, &str)]| {
        object_stream(objects, "/Filter /FlateDecode", |decoded| {
            let mut inflated = decoded.to_vec();
            inflated.resize(600 << 10, b' ');
            zlib(&inflated)
        })
    };
    let pdf = assemble(
        &[
            (3, PAGE.as_bytes().to_vec()),
            (4, padded(&[(1, "<< /Type /Catalog /Pages 2 0 R >>")])),
            (5, padded(&[(2, PAGES)])),
        ],
        &[(1, 4, 0), (2, 5, 0)],
        1,
    );
    let doc = Document::open_within(&pdf, &[], small_limits()).unwrap();
    match doc.page_count() {
        Err(SyntaxError::Limit(why)) => assert!(why.contains("in all"), "{why}"),
        other => panic!("expected the document budget to run out, got {other:?}"),
    }
}

#[test]
fn an_xref_stream_of_empty_rows_is_refused() {
    let mut pdf = b"%PDF-1.7\n".to_vec();
    let at = pdf.len();
    pdf.extend_from_slice(
        b"1 0 obj\n<< /Type /XRef /Size 9 /W [0 0 0] /Index [0 4000000000 0 4000000000] /Root 1 0 R /Length 0 >>\nstream\n\nendstream\nendobj\n",
    );
    pdf.extend_from_slice(format!("startxref\n{at}\n%%EOF\n").as_bytes());
    assert!(matches!(
        Document::open(&pdf),
        Err(SyntaxError::Malformed(_))
    ));
}

#[test]
fn too_many_objects_and_a_passed_deadline_are_budget_errors() {
    let pdf = one_page();
    let few = ReadLimits {
        max_objects: 2,
        ..ReadLimits::default()
    };
    assert!(matches!(
        Document::open_within(&pdf, &[], few),
        Err(SyntaxError::Limit(_))
    ));
    let late = ReadLimits {
        deadline: Some(std::time::Instant::now()),
        ..ReadLimits::default()
    };
    assert!(matches!(
        Document::open_within(&pdf, &[], late),
        Err(SyntaxError::Limit(_))
    ));
}

#[test]
fn every_page_in_one_walk() {
    // A flat tree of 2,000 pages and a nested one give the same pages in the same order.
    let mut w = Writer::new();
    let catalog = w.alloc();
    let root = w.alloc();
    let middle = w.alloc();
    let mut kids = Vec::new();
    for i in 0..2000 {
        let parent = if i < 1000 { middle } else { root };
        kids.push((
            parent,
            w.add(&Object::Dict(
                Dict::new()
                    .with("Type", Object::name("Page"))
                    .with("Parent", Object::Ref(parent))
                    .with("Rotate", Object::Int(i % 4 * 90)),
            )),
        ));
    }
    let of = |parent| {
        kids.iter()
            .filter(|(p, _)| *p == parent)
            .map(|(_, k)| *k)
            .collect::<Vec<_>>()
    };
    w.write(
        middle,
        &Object::Dict(
            Dict::new()
                .with("Type", Object::name("Pages"))
                .with("Parent", Object::Ref(root))
                .with("Kids", Object::refs(&of(middle)))
                .with("Count", Object::Int(1000)),
        ),
    );
    let mut top = vec![middle];
    top.extend(of(root));
    w.write(
        root,
        &Object::Dict(
            Dict::new()
                .with("Type", Object::name("Pages"))
                .with("Kids", Object::refs(&top))
                .with("Count", Object::Int(2000))
                .with("MediaBox", Object::reals(&[0.0, 0.0, 100.0, 100.0])),
        ),
    );
    w.write(
        catalog,
        &Object::Dict(
            Dict::new()
                .with("Type", Object::name("Catalog"))
                .with("Pages", Object::Ref(root)),
        ),
    );
    w.set_root(catalog);
    let pdf = w.finish();
    let doc = Document::open(&pdf).unwrap();
    let pages = doc.pages().unwrap();
    assert_eq!(pages.len(), 2000);
    for index in [0, 1, 999, 1000, 1999] {
        let one = doc.page(index).unwrap();
        assert_eq!(pages[index].reference, one.reference, "page {index}");
        assert_eq!(pages[index].rotation(), one.rotation());
        assert_eq!(pages[index].visible_box(), [0.0, 0.0, 100.0, 100.0]);
    }
}
