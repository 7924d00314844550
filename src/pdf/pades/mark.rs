//! A mark drawn at the top left of the first page before any signature (the result's QR
//! code), in a content revision wrapped so it cannot disturb or be disturbed by the page's
//! own content.

use crate::pdf::syntax::{flate, num, Dict, Document, Object, Writer};

use super::error::PdfError;
use super::inspect::signatures;
use super::placement::Frame;
use super::session::Session;

/// Something drawn at the top left of the first page before signing (the QR code).
pub trait TopLeftMark {
    /// Content-stream operators drawing the mark in the square `(x, y, size)`; no resources.
    fn content(&self, x: f64, y: f64, size: f64) -> Result<Vec<u8>, PdfError>;
}

/// The QR side, about 25 mm: readable by phones from a printout.
const QR_SIZE: f64 = 72.0;
const QR_MARGIN: f64 = 18.0;

/// Appends the revision drawing `mark`; refused once the document is signed, since content
/// changes after a signature would invalidate it (or its certification).
pub(super) fn add_top_left(s: &mut Session<'_>, mark: &dyn TopLeftMark) -> Result<(), PdfError> {
    let doc = s.doc()?;
    if !signatures(&doc)?.is_empty() {
        return Err(PdfError::malformed(
            "the QR code must be added before the first signature, but the PDF is already signed",
        ));
    }
    let rev = top_left_revision(
        &doc,
        s.ends_with_eol(),
        QR_SIZE,
        QR_MARGIN,
        &|x, y, size| mark.content(x, y, size),
    )?;
    drop(doc);
    s.appendix.extend_from_slice(&rev);
    Ok(())
}

/// A content revision before any signature: draws `content` (built by `draw(x, y, size)` in
/// an upright frame whose origin is the visual bottom-left of the page) at the visual top
/// left of page 1, wrapped so it cannot disturb or be disturbed by the page's own content.
fn top_left_revision(
    doc: &Document<'_>,
    ends_with_eol: bool,
    size: f64,
    margin: f64,
    draw: &dyn Fn(f64, f64, f64) -> Result<Vec<u8>, PdfError>,
) -> Result<Vec<u8>, PdfError> {
    let page = doc.page(0)?;
    let frame = Frame::of(&page);
    let m = frame.matrix;
    let ops = draw(margin, frame.height - margin - size, size)?;
    let mut after = b"Q\nq\n".to_vec();
    after.extend_from_slice(
        format!(
            "{} cm\n",
            m.iter().map(|v| num(*v)).collect::<Vec<_>>().join(" ")
        )
        .as_bytes(),
    );
    after.extend_from_slice(&ops);
    after.extend_from_slice(b"\nQ\n");

    let mut up = Writer::update(doc, ends_with_eol);
    let before = up.add(&Object::Stream(Dict::new(), b"q\n".to_vec()));
    let mark = up.add(&flate(Dict::new(), &after));
    let mut contents = vec![Object::Ref(before)];
    match page.dict.get("Contents") {
        Some(Object::Ref(r)) => match doc.resolve(*r)? {
            Object::Array(a) => contents.extend(a),
            _ => contents.push(Object::Ref(*r)),
        },
        Some(Object::Array(a)) => contents.extend(a.iter().cloned()),
        _ => {}
    }
    contents.push(Object::Ref(mark));
    let mut pd = page.dict.clone();
    pd.set("Contents", Object::Array(contents));
    up.write(page.reference, &Object::Dict(pd));
    Ok(up.finish())
}
