//! The rules on object graphs built here (no bytes), and the two readers on bytes that read
//! two ways.

use std::collections::HashSet;

use lopdf::{dictionary, Dictionary, Object, Stream};

use super::graph::graph;
use super::readers::{self, Unreadable};
use super::rules::{judge, Judgement, Level, Revision};
use crate::pdf::Document;

/// A one-page document: catalog 1, pages 2, page 3 with content 4, a text field 5 (widget
/// merged, on the page), an empty signature field 6 and a signed one 7 (value 8, appearance 9).
fn base() -> lopdf::Document {
    let mut doc = lopdf::Document::with_version("1.7");
    let put = |doc: &mut lopdf::Document, num: u32, obj: Object| {
        doc.objects.insert((num, 0), obj);
    };
    put(
        &mut doc,
        1,
        Object::Dictionary(dictionary! {
            "Type" => "Catalog",
            "Pages" => Object::Reference((2, 0)),
            "AcroForm" => dictionary! { "Fields" => vec![Object::Reference((5, 0)), Object::Reference((6, 0)), Object::Reference((7, 0))] },
        }),
    );
    put(
        &mut doc,
        2,
        Object::Dictionary(dictionary! {
            "Type" => "Pages", "Kids" => vec![Object::Reference((3, 0))], "Count" => 1,
        }),
    );
    put(
        &mut doc,
        3,
        Object::Dictionary(dictionary! {
            "Type" => "Page", "Parent" => Object::Reference((2, 0)),
            "Contents" => Object::Reference((4, 0)),
            "Annots" => vec![Object::Reference((5, 0)), Object::Reference((6, 0)), Object::Reference((7, 0))],
        }),
    );
    put(
        &mut doc,
        4,
        Object::Stream(Stream::new(
            Dictionary::new(),
            b"BT (Khong co an tich) Tj ET".to_vec(),
        )),
    );
    put(
        &mut doc,
        5,
        Object::Dictionary(dictionary! {
            "FT" => "Tx", "T" => Object::string_literal("ghi_chu"), "Subtype" => "Widget",
            "Rect" => vec![10.into(), 10.into(), 100.into(), 30.into()],
        }),
    );
    put(
        &mut doc,
        6,
        Object::Dictionary(dictionary! {
            "FT" => "Sig", "T" => Object::string_literal("Empty"), "Subtype" => "Widget",
            "Rect" => vec![0.into(), 0.into(), 0.into(), 0.into()],
        }),
    );
    put(
        &mut doc,
        7,
        Object::Dictionary(dictionary! {
            "FT" => "Sig", "T" => Object::string_literal("Signed"), "Subtype" => "Widget",
            "V" => Object::Reference((8, 0)),
            "AP" => dictionary! { "N" => Object::Reference((9, 0)) },
            "Rect" => vec![200.into(), 10.into(), 300.into(), 60.into()],
        }),
    );
    put(
        &mut doc,
        8,
        Object::Dictionary(
            dictionary! { "Type" => "Sig", "Contents" => Object::string_literal("…") },
        ),
    );
    put(
        &mut doc,
        9,
        Object::Stream(Stream::new(
            dictionary! { "Subtype" => "Form" },
            b"q 1 0 0 RG Q".to_vec(),
        )),
    );
    doc.trailer.set("Root", Object::Reference((1, 0)));
    doc
}

fn judged(
    old: &lopdf::Document,
    new: &lopdf::Document,
    level: u8,
    dts_fields: &[u32],
) -> Judgement {
    let dts: HashSet<u32> = dts_fields.iter().copied().collect();
    let (g_old, g_new) = (graph(old, &dts), graph(new, &dts));
    judge(
        &Revision {
            doc: old,
            graph: &g_old,
        },
        &Revision {
            doc: new,
            graph: &g_new,
        },
        Level(level),
    )
}

fn dict_mut(doc: &mut lopdf::Document, num: u32) -> &mut Dictionary {
    match doc.objects.get_mut(&(num, 0)) {
        Some(Object::Dictionary(d)) => d,
        Some(Object::Stream(s)) => &mut s.dict,
        _ => panic!("object {num} is no dictionary"),
    }
}

/// A new signature field 10 with value 11, on the page and in the form.
fn add_signature(doc: &mut lopdf::Document) {
    doc.objects.insert((10, 0), Object::Dictionary(dictionary! {
        "FT" => "Sig", "T" => Object::string_literal("Later"), "Subtype" => "Widget",
        "V" => Object::Reference((11, 0)), "Rect" => vec![0.into(), 0.into(), 0.into(), 0.into()],
    }));
    doc.objects
        .insert((11, 0), Object::Dictionary(dictionary! { "Type" => "Sig" }));
    let fields = vec![5, 6, 7, 10]
        .into_iter()
        .map(|n| Object::Reference((n, 0)))
        .collect::<Vec<_>>();
    dict_mut(doc, 1).set("AcroForm", dictionary! { "Fields" => fields.clone() });
    dict_mut(doc, 3).set("Annots", fields);
}

#[test]
fn nothing_changed_is_nothing_to_judge() {
    let j = judged(&base(), &base(), 2, &[]);
    assert!(j.changes.is_empty() && j.allowed.is_empty(), "{j:?}");
}

#[test]
fn a_later_signature_is_allowed_at_p2_and_not_at_p1() {
    let mut new = base();
    add_signature(&mut new);
    // Signing tools also touch the catalog's version and metadata.
    dict_mut(&mut new, 1).set("Version", "2.0");
    dict_mut(&mut new, 1).set("Extensions", dictionary! {});
    let j = judged(&base(), &new, 2, &[]);
    assert!(j.changes.is_empty(), "{j:?}");
    assert!(j.allowed.contains("later signature") && j.allowed.contains("metadata"));
    let j = judged(&base(), &new, 1, &[]);
    assert!(j.changes.iter().any(|c| c.contains("P=1")), "{j:?}");
    // A document timestamp is allowed at P=1.
    let j = judged(&base(), &new, 1, &[10]);
    assert!(j.changes.is_empty(), "{j:?}");
    assert!(j.allowed.contains("document timestamp"));
}

#[test]
fn filling_a_field_is_allowed_at_p2_moving_it_is_not() {
    let mut filled = base();
    dict_mut(&mut filled, 5).set("V", Object::string_literal("đã điền"));
    let j = judged(&base(), &filled, 2, &[]);
    assert!(
        j.changes.is_empty() && j.allowed.contains("form filling"),
        "{j:?}"
    );
    assert!(!judged(&base(), &filled, 1, &[]).changes.is_empty());
    let mut moved = base();
    dict_mut(&mut moved, 5).set("Rect", vec![0.into(), 0.into(), 600.into(), 800.into()]);
    let j = judged(&base(), &moved, 2, &[]);
    assert!(
        j.changes.iter().any(|c| c.contains("beyond its value")),
        "{j:?}"
    );
}

#[test]
fn annotations_need_p3() {
    let mut new = base();
    new.objects.insert(
        (12, 0),
        Object::Dictionary(dictionary! {
            "Type" => "Annot", "Subtype" => "FreeText",
            "Rect" => vec![10.into(), 10.into(), 100.into(), 30.into()],
            "Contents" => Object::string_literal("ĐÃ DUYỆT"),
        }),
    );
    let annots = vec![5, 6, 7, 12]
        .into_iter()
        .map(|n| Object::Reference((n, 0)))
        .collect::<Vec<_>>();
    dict_mut(&mut new, 3).set("Annots", annots);
    let j = judged(&base(), &new, 2, &[]);
    assert!(j.changes.iter().any(|c| c.contains("annotation")), "{j:?}");
    let j = judged(&base(), &new, 3, &[]);
    assert!(
        j.changes.is_empty() && j.allowed.contains("annotation"),
        "{j:?}"
    );
    // Over the text field that was there: flagged.
    assert!(!j.flagged.is_empty(), "{j:?}");
}

#[test]
fn what_a_signature_shows_and_what_a_page_shows_cannot_change() {
    let mut redrawn = base();
    if let Some(Object::Stream(s)) = redrawn.objects.get_mut(&(9, 0)) {
        s.content = b"q 0 0 1 RG Q".to_vec();
    }
    let j = judged(&base(), &redrawn, 3, &[]);
    assert!(
        j.changes.iter().any(|c| c.contains("signed signature")),
        "{j:?}"
    );

    let mut rewritten = base();
    if let Some(Object::Stream(s)) = rewritten.objects.get_mut(&(4, 0)) {
        s.content = b"BT (Co an tich) Tj ET".to_vec();
    }
    let j = judged(&base(), &rewritten, 3, &[]);
    assert!(
        j.changes.iter().any(|c| c.contains("page content")),
        "{j:?}"
    );

    // Hide-and-replace: the catalog points at another page tree.
    let mut repointed = base();
    repointed.objects.insert(
        (13, 0),
        Object::Dictionary(dictionary! {
            "Type" => "Pages", "Kids" => vec![], "Count" => 0,
        }),
    );
    dict_mut(&mut repointed, 1).set("Pages", Object::Reference((13, 0)));
    let j = judged(&base(), &repointed, 3, &[]);
    assert!(j.changes.iter().any(|c| c.contains("/Pages")), "{j:?}");

    // A signed field's value replaced.
    let mut replaced = base();
    replaced.objects.insert(
        (8, 0),
        Object::Dictionary(
            dictionary! { "Type" => "Sig", "Contents" => Object::string_literal("forged") },
        ),
    );
    let j = judged(&base(), &replaced, 3, &[]);
    assert!(
        j.changes.iter().any(|c| c.contains("signature value")),
        "{j:?}"
    );
}

/// A minimal file whose xref sends object 4 to bytes that say `5 0 obj`: our reader refuses
/// that object, lopdf reads it as object 5. Two readings: a disagreement.
#[test]
fn readers_that_read_two_ways_disagree() {
    let mut pdf = b"%PDF-1.7\n".to_vec();
    let mut offsets = Vec::new();
    for body in [
        "1 0 obj\n<< /Type /Catalog /Pages 2 0 R >>\nendobj\n",
        "2 0 obj\n<< /Type /Pages /Kids [3 0 R] /Count 1 >>\nendobj\n",
        "3 0 obj\n<< /Type /Page /Parent 2 0 R /MediaBox [0 0 10 10] >>\nendobj\n",
        "5 0 obj\n(hidden)\nendobj\n",
    ] {
        offsets.push(pdf.len());
        pdf.extend_from_slice(body.as_bytes());
    }
    let xref = pdf.len();
    pdf.extend_from_slice(b"xref\n0 5\n0000000000 65535 f \n");
    for offset in &offsets {
        pdf.extend_from_slice(format!("{offset:010} 00000 n \n").as_bytes());
    }
    pdf.extend_from_slice(
        format!("trailer\n<< /Size 5 /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n").as_bytes(),
    );
    let lazy = Document::open(&pdf).expect("our reader opens it");
    match readers::load(&lazy, &pdf, &[], "the file") {
        Err(Unreadable::Disagree(why)) => assert!(why.contains("objects"), "{why}"),
        Err(Unreadable::TooCostly(why)) => panic!("too costly: {why}"),
        Ok(_) => panic!("two readings were taken for one"),
    }
    // The same file with the xref right reads one way.
    let fixed = String::from_utf8(pdf.clone())
        .unwrap()
        .replace("5 0 obj\n(hidden)", "4 0 obj\n(hidden)");
    let lazy = Document::open(fixed.as_bytes()).unwrap();
    assert!(readers::load(&lazy, fixed.as_bytes(), &[], "the file").is_ok());
}
