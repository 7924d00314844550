//! The revisions a PAdES signer appends: a signature (with placeholder), the DSS, a document
//! timestamp, and the QR mark. Each builder reads only what it must from the document and
//! returns the bytes of exactly one incremental update.

use std::collections::HashSet;

use time::OffsetDateTime;

use super::font::FontSubset;
use super::object::{fmt_real, text_string, Dict, ObjRef, Object};
use super::parse::{Document, Page};
use super::stamp::{self, StampText};
use super::write::Update;
use super::PdfError;

/// Width of the ByteRange numbers field: three 10-digit numbers and two spaces (files up to
/// 9.9 GB), padded with spaces, so the dictionary does not move when the values are known.
const BYTE_RANGE_FIELD: usize = 32;

/// Where a signature field goes and what it shows.
#[derive(Debug, Clone)]
pub struct FieldPlan {
    pub name: String,
    /// 0-based page index.
    pub page: usize,
    /// `[x0 y0 x1 y1]`; all zeros for an invisible signature.
    pub rect: [f64; 4],
    /// What the widget shows; drawn for the widget's actual size and the page's /Rotate.
    pub appearance: Option<Appearance>,
}

/// A visible signature's appearance (Decree 30/2020, appendix I), drawn by [`super::stamp`]
/// in the embedded DejaVu Serif subset, which is written into the same revision.
#[derive(Debug, Clone)]
pub enum Appearance {
    /// The competent signer's box: "Ký bởi", position, organisation, signing time. With
    /// `beside_seal` the text keeps clear of the left third, where the seal overlaps.
    Signer { text: StampText, beside_seal: bool },
    /// The organisation's red round seal.
    Seal {
        organisation: String,
        signing_time: OffsetDateTime,
    },
}

/// Shown first into every stamp's font, so that the subset's glyph order does not depend on
/// the order digits occur in the signing time: the same signer's stamps then have the same
/// glyph sequence, and the subset font comes from the cache in `pdf::font`.
const TIME_GLYPHS: &str = "0123456789/:+ ";

impl Appearance {
    /// The content stream for an upright box of `w` × `h` points, and the font it shows
    /// text in as `/F1`.
    pub fn draw(&self, w: f64, h: f64) -> (Vec<u8>, FontSubset) {
        match self {
            Appearance::Signer { text, beside_seal } => {
                let mut font = FontSubset::new();
                font.show(TIME_GLYPHS);
                let left = if *beside_seal { w / 3.0 } else { 0.0 };
                let content = stamp::signer_appearance_beside_seal(text, &mut font, w, h, left);
                (content, font)
            }
            Appearance::Seal {
                organisation,
                signing_time,
            } => {
                let mut font = FontSubset::bold();
                font.show(TIME_GLYPHS);
                let d = w.min(h);
                let seal = stamp::seal_appearance(organisation, *signing_time, &mut font, d);
                // Centred in a box that is not square.
                let mut content = format!(
                    "q 1 0 0 1 {} {} cm\n",
                    fmt_real((w - d) / 2.0),
                    fmt_real((h - d) / 2.0)
                )
                .into_bytes();
                content.extend_from_slice(&seal);
                content.extend_from_slice(b"Q\n");
                (content, font)
            }
        }
    }
}

/// What goes into the signature dictionary.
pub struct SigDictSpec<'a> {
    pub doc_timestamp: bool,
    pub signing_time: Option<OffsetDateTime>,
    pub reason: Option<&'a str>,
    pub location: Option<&'a str>,
    pub name: Option<&'a str>,
    /// DocMDP permission for a certification signature.
    pub certify: Option<u8>,
    /// Bytes reserved for the DER signature (the hex placeholder is twice this).
    pub reserve: usize,
}

/// A finished revision whose /Contents is still zeros.
#[derive(Debug, Clone)]
pub struct Placeholder {
    pub bytes: Vec<u8>,
    /// Absolute offset of the first byte of `bytes`.
    pub start: usize,
    /// Absolute offset of the `<` that opens /Contents.
    pub contents_at: usize,
    /// Length of `<…>` including the brackets.
    pub contents_len: usize,
}

impl Placeholder {
    pub fn byte_range(&self) -> [usize; 4] {
        let after = self.contents_at + self.contents_len;
        [
            0,
            self.contents_at,
            after,
            self.start + self.bytes.len() - after,
        ]
    }
    /// The bytes of this revision that the signature covers, in order.
    pub fn covered_parts(&self) -> (&[u8], &[u8]) {
        let a = self.contents_at - self.start;
        let b = a + self.contents_len;
        (&self.bytes[..a], &self.bytes[b..])
    }
    /// Writes the DER signature into the placeholder.
    pub fn fill(&mut self, der: &[u8]) -> Result<(), PdfError> {
        let capacity = (self.contents_len - 2) / 2;
        if der.len() > capacity {
            return Err(PdfError::ContentsTooSmall {
                needed: der.len(),
                reserved: capacity,
            });
        }
        let at = self.contents_at - self.start + 1;
        let hex = hex::encode_upper(der);
        self.bytes[at..at + hex.len()].copy_from_slice(hex.as_bytes());
        Ok(())
    }
}

/// `D:YYYYMMDDHHmmSS+HH'mm'`
pub fn pdf_date(t: OffsetDateTime) -> String {
    let off = t.offset();
    let (h, m, _) = off.as_hms();
    let sign = if off.is_negative() { '-' } else { '+' };
    format!(
        "D:{:04}{:02}{:02}{:02}{:02}{:02}{sign}{:02}'{:02}'",
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

fn sig_dict_bytes(spec: &SigDictSpec<'_>) -> (Vec<u8>, usize, usize, usize) {
    let mut d = Dict::new();
    if spec.doc_timestamp {
        d.set("Type", Object::name("DocTimeStamp"));
        d.set("Filter", Object::name("Adobe.PPKLite"));
        d.set("SubFilter", Object::name("ETSI.RFC3161"));
    } else {
        d.set("Type", Object::name("Sig"));
        d.set("Filter", Object::name("Adobe.PPKLite"));
        d.set("SubFilter", Object::name("ETSI.CAdES.detached"));
    }
    if let Some(t) = spec.signing_time {
        d.set("M", Object::String(pdf_date(t).into_bytes()));
    }
    if let Some(n) = spec.name {
        d.set("Name", text_string(n));
    }
    if let Some(r) = spec.reason {
        d.set("Reason", text_string(r));
    }
    if let Some(l) = spec.location {
        d.set("Location", text_string(l));
    }
    if let Some(p) = spec.certify {
        let params = Dict::new()
            .with("Type", Object::name("TransformParams"))
            .with("P", Object::Int(i64::from(p)))
            .with("V", Object::name("1.2"));
        let sigref = Dict::new()
            .with("Type", Object::name("SigRef"))
            .with("TransformMethod", Object::name("DocMDP"))
            .with("TransformParams", Object::Dict(params));
        d.set("Reference", Object::Array(vec![Object::Dict(sigref)]));
    }
    let mut out = Vec::with_capacity(spec.reserve * 2 + 512);
    Object::Dict(d).write_to(&mut out);
    out.truncate(out.len() - 2); // reopen the dictionary: `>>`
    out.extend_from_slice(b"/ByteRange [0 ");
    let br_at = out.len();
    out.extend_from_slice(&[b' '; BYTE_RANGE_FIELD]);
    out.extend_from_slice(b"]/Contents ");
    let contents_at = out.len();
    out.push(b'<');
    out.resize(out.len() + spec.reserve * 2, b'0');
    out.push(b'>');
    let contents_len = out.len() - contents_at;
    out.extend_from_slice(b">>");
    (out, br_at, contents_at, contents_len)
}

/// Which page objects, form objects and catalog entries the update rewrites.
struct Changes {
    catalog: Dict,
    catalog_dirty: bool,
}

/// Builds a signature revision (or a document-timestamp revision): fills the empty signature
/// field `plan.name` if it exists, or creates it; `extra_fields` are created empty in the same
/// revision (e.g. the seal's field, so that the later seal only fills it and stays within a
/// DocMDP P=2 certification).
pub fn signature_revision(
    doc: &Document<'_>,
    ends_with_eol: bool,
    plan: &FieldPlan,
    extra_fields: &[FieldPlan],
    spec: &SigDictSpec<'_>,
) -> Result<Placeholder, PdfError> {
    let mut up = Update::new(doc, ends_with_eol);
    let root = doc.root_ref()?;
    let mut changes = Changes {
        catalog: doc.catalog()?,
        catalog_dirty: false,
    };
    let existing = doc.fields()?;
    let names: HashSet<&str> = existing.iter().map(|f| f.name.as_str()).collect();
    for f in extra_fields {
        if names.contains(f.name.as_str()) || f.name == plan.name {
            return Err(PdfError::FieldExists(f.name.clone()));
        }
    }

    // The signature dictionary first, so its placeholder sits early in the revision.
    let sig_ref = up.alloc();
    let (sig_body, br_rel, contents_rel, contents_len) = sig_dict_bytes(spec);
    let sig_at = up.write_raw(sig_ref, &sig_body);

    let rotation = match &plan.appearance {
        Some(_) => doc.page(plan.page)?.rotation(),
        None => 0,
    };
    let mut new_widgets: Vec<(usize, ObjRef)> = Vec::new();
    let mut new_fields: Vec<ObjRef> = Vec::new();

    match existing.iter().find(|f| f.name == plan.name) {
        Some(field) => {
            if field.field_type.as_deref() != Some(b"Sig") {
                return Err(PdfError::FieldExists(plan.name.clone()));
            }
            if field.dict.get("V").is_some() {
                return Err(PdfError::FieldSigned(plan.name.clone()));
            }
            // A merged field/widget gets /V and its appearance; a field with a separate
            // widget kid gets /V, its first widget the appearance.
            let mut fd = field.dict.clone();
            fd.set("V", Object::Ref(sig_ref));
            let widget_kid = if fd.get("Rect").is_none() {
                doc.get_array(&fd, "Kids")?
                    .and_then(|k| k.first().and_then(Object::as_ref))
            } else {
                None
            };
            match widget_kid {
                Some(wr) => {
                    up.write(field.reference, &Object::Dict(fd));
                    let mut wd = doc.resolve_dict(wr)?;
                    let rect = read_rect(&wd).unwrap_or(plan.rect);
                    set_appearance(&mut up, &mut wd, plan, rect, rotation)?;
                    up.write(wr, &Object::Dict(wd));
                }
                None => {
                    let rect = read_rect(&fd).unwrap_or(plan.rect);
                    set_appearance(&mut up, &mut fd, plan, rect, rotation)?;
                    up.write(field.reference, &Object::Dict(fd));
                }
            }
        }
        None => {
            let page = doc.page(plan.page)?;
            let r = up.alloc();
            let mut fd = widget_dict(&plan.name, plan.rect, page.reference);
            fd.set("V", Object::Ref(sig_ref));
            set_appearance(&mut up, &mut fd, plan, plan.rect, rotation)?;
            up.write(r, &Object::Dict(fd));
            new_widgets.push((plan.page, r));
            new_fields.push(r);
        }
    }
    for extra in extra_fields {
        let page = doc.page(extra.page)?;
        let r = up.alloc();
        let fd = widget_dict(&extra.name, extra.rect, page.reference);
        up.write(r, &Object::Dict(fd));
        new_widgets.push((extra.page, r));
        new_fields.push(r);
    }

    add_widgets_to_pages(doc, &mut up, &new_widgets, &mut changes)?;
    update_acroform(doc, &mut up, &new_fields, &mut changes)?;
    if spec.certify.is_some() {
        let perms = Dict::new().with("DocMDP", Object::Ref(sig_ref));
        changes.catalog.set("Perms", Object::Dict(perms));
        changes.catalog_dirty = true;
    }
    if changes.catalog_dirty {
        up.write(root, &Object::Dict(changes.catalog));
    }

    let start = up.start();
    let mut bytes = up.finish();
    let end = start + bytes.len();
    let contents_at = sig_at + contents_rel;
    let after = contents_at + contents_len;
    let numbers = format!("{} {} {}", contents_at, after, end - after);
    if numbers.len() > BYTE_RANGE_FIELD {
        return Err(PdfError::Malformed(
            "the document is too large to sign".into(),
        ));
    }
    let br = sig_at + br_rel - start;
    bytes[br..br + numbers.len()].copy_from_slice(numbers.as_bytes());
    Ok(Placeholder {
        bytes,
        start,
        contents_at,
        contents_len,
    })
}

fn widget_dict(name: &str, rect: [f64; 4], page: ObjRef) -> Dict {
    Dict::new()
        .with("Type", Object::name("Annot"))
        .with("Subtype", Object::name("Widget"))
        .with("FT", Object::name("Sig"))
        .with("T", text_string(name))
        .with("Rect", rect_object(rect))
        // Print (4) + Locked (128): shown when printed, not movable once signed.
        .with("F", Object::Int(132))
        .with("P", Object::Ref(page))
}

fn rect_object(r: [f64; 4]) -> Object {
    Object::Array(r.iter().map(|v| Object::Real(*v)).collect())
}

fn read_rect(d: &Dict) -> Option<[f64; 4]> {
    let v: Vec<f64> = d
        .get("Rect")?
        .as_array()?
        .iter()
        .filter_map(Object::as_f64)
        .collect();
    let [a, b, c, e] = v[..] else { return None };
    Some([a.min(c), b.min(e), a.max(c), b.max(e)])
}

/// Writes the widget's normal appearance: a Form XObject drawn upright for the page's
/// /Rotate (its /Matrix turns it back, so it stands upright on screen), with the font subset
/// it uses as objects of the same revision.
fn set_appearance(
    up: &mut Update,
    widget: &mut Dict,
    plan: &FieldPlan,
    rect: [f64; 4],
    rotation: i64,
) -> Result<(), PdfError> {
    let Some(appearance) = &plan.appearance else {
        return Ok(());
    };
    let (uw, uh) = (rect[2] - rect[0], rect[3] - rect[1]);
    if !(uw > 0.0 && uh > 0.0) {
        return Ok(());
    }
    // The box as seen on screen, and the rotation (counter-clockwise in user space) that
    // undoes the page's clockwise /Rotate.
    let (w, h, matrix) = match rotation {
        90 => (uh, uw, [0.0, 1.0, -1.0, 0.0, 0.0, 0.0]),
        180 => (uw, uh, [-1.0, 0.0, 0.0, -1.0, 0.0, 0.0]),
        270 => (uh, uw, [0.0, -1.0, 1.0, 0.0, 0.0, 0.0]),
        _ => (uw, uh, [1.0, 0.0, 0.0, 1.0, 0.0, 0.0]),
    };
    let (content, font) = appearance.draw(w, h);
    let first = up.alloc();
    for _ in 1..FontSubset::OBJECT_COUNT {
        up.alloc();
    }
    let objects = font
        .objects(first.num)
        .map_err(|e| PdfError::Appearance(e.to_string()))?;
    for (num, body) in objects {
        up.write_raw(ObjRef::new(num, 0), &body);
    }
    let resources = Dict::new().with(
        "Font",
        Object::Dict(Dict::new().with("F1", Object::Ref(first))),
    );
    let mut dict = Dict::new()
        .with("Type", Object::name("XObject"))
        .with("Subtype", Object::name("Form"))
        .with("BBox", rect_object([0.0, 0.0, w, h]))
        .with("Resources", Object::Dict(resources));
    if rotation != 0 {
        dict.set(
            "Matrix",
            Object::Array(matrix.iter().map(|v| Object::Real(*v)).collect()),
        );
    }
    let (dict, data) = compress(dict, &content);
    let ap = up.alloc();
    up.write(ap, &Object::Stream(dict, data));
    widget.set("AP", Object::Dict(Dict::new().with("N", Object::Ref(ap))));
    Ok(())
}

/// Flate-compresses stream data when it pays.
pub fn compress(mut dict: Dict, data: &[u8]) -> (Dict, Vec<u8>) {
    if data.len() < 256 {
        return (dict, data.to_vec());
    }
    let z = miniz_oxide::deflate::compress_to_vec_zlib(data, 6);
    dict.set("Filter", Object::name("FlateDecode"));
    (dict, z)
}

fn add_widgets_to_pages(
    doc: &Document<'_>,
    up: &mut Update,
    widgets: &[(usize, ObjRef)],
    changes: &mut Changes,
) -> Result<(), PdfError> {
    let mut pages: Vec<usize> = widgets.iter().map(|(p, _)| *p).collect();
    pages.sort_unstable();
    pages.dedup();
    for p in pages {
        let page = doc.page(p)?;
        let mine: Vec<Object> = widgets
            .iter()
            .filter(|(wp, _)| *wp == p)
            .map(|(_, r)| Object::Ref(*r))
            .collect();
        match page.dict.get("Annots") {
            // Annots held in a separate array object: rewrite that small object only.
            Some(Object::Ref(ar)) => {
                let mut arr = match doc.resolve(*ar)? {
                    Object::Array(a) => a,
                    Object::Null => Vec::new(),
                    _ => {
                        return Err(PdfError::Malformed(
                            "a page's /Annots is not an array".into(),
                        ))
                    }
                };
                arr.extend(mine);
                up.write(*ar, &Object::Array(arr));
            }
            other => {
                let mut arr = match other {
                    Some(Object::Array(a)) => a.clone(),
                    _ => Vec::new(),
                };
                arr.extend(mine);
                let mut d = page.dict.clone();
                d.set("Annots", Object::Array(arr));
                write_page(up, &page, d, changes);
            }
        }
    }
    Ok(())
}

fn write_page(up: &mut Update, page: &Page, dict: Dict, _changes: &mut Changes) {
    up.write(page.reference, &Object::Dict(dict));
}

fn update_acroform(
    doc: &Document<'_>,
    up: &mut Update,
    new_fields: &[ObjRef],
    changes: &mut Changes,
) -> Result<(), PdfError> {
    let entry = changes.catalog.get("AcroForm").cloned();
    let (mut form, form_ref) = match entry {
        Some(Object::Ref(r)) => match doc.resolve(r)? {
            Object::Dict(d) => (d, Some(r)),
            Object::Null => (Dict::new(), None),
            _ => return Err(PdfError::Malformed("/AcroForm is not a dictionary".into())),
        },
        Some(Object::Dict(d)) => (d, None),
        _ => (Dict::new(), None),
    };
    let sigflags_ok = form.int("SigFlags") == Some(3);
    if new_fields.is_empty() && sigflags_ok {
        return Ok(());
    }
    let added: Vec<Object> = new_fields.iter().map(|r| Object::Ref(*r)).collect();
    match form.get("Fields").cloned() {
        Some(Object::Ref(fr)) if !added.is_empty() => {
            let mut arr = match doc.resolve(fr)? {
                Object::Array(a) => a,
                _ => Vec::new(),
            };
            arr.extend(added);
            up.write(fr, &Object::Array(arr));
        }
        Some(Object::Array(mut a)) => {
            a.extend(added);
            form.set("Fields", Object::Array(a));
        }
        Some(Object::Ref(_)) => {}
        _ => form.set("Fields", Object::Array(added)),
    }
    // SignaturesExist (1) + AppendOnly (2): viewers must save incrementally from now on.
    form.set("SigFlags", Object::Int(3));
    match form_ref {
        Some(r) => up.write(r, &Object::Dict(form)),
        None => {
            changes.catalog.set("AcroForm", Object::Dict(form));
            changes.catalog_dirty = true;
        }
    }
    Ok(())
}

/// The DSS revision (ETSI EN 319 142-1 §5.4): certificates and CRLs as streams, referenced
/// from `/DSS` in the catalog. An existing DSS is extended, not replaced.
pub fn dss_revision(
    doc: &Document<'_>,
    ends_with_eol: bool,
    certs: &[&[u8]],
    crls: &[&[u8]],
) -> Result<Vec<u8>, PdfError> {
    let mut up = Update::new(doc, ends_with_eol);
    let root = doc.root_ref()?;
    let mut catalog = doc.catalog()?;
    let (mut dss, dss_ref) = match catalog.get("DSS").cloned() {
        Some(Object::Ref(r)) => (doc.resolve_dict(r)?, Some(r)),
        Some(Object::Dict(d)) => (d, None),
        _ => (Dict::new().with("Type", Object::name("DSS")), None),
    };
    for (key, items) in [("Certs", certs), ("CRLs", crls)] {
        let mut arr = doc.get_array(&dss, key)?.unwrap_or_default();
        let mut seen = HashSet::new();
        for der in items {
            if !seen.insert(*der) {
                continue;
            }
            let r = up.alloc();
            let (d, data) = compress(Dict::new(), der);
            up.write(r, &Object::Stream(d, data));
            arr.push(Object::Ref(r));
        }
        if !arr.is_empty() {
            dss.set(key, Object::Array(arr));
        }
    }
    match dss_ref {
        Some(r) => up.write(r, &Object::Dict(dss)),
        None => {
            let r = up.alloc();
            up.write(r, &Object::Dict(dss));
            catalog.set("DSS", Object::Ref(r));
            up.write(root, &Object::Dict(catalog));
        }
    }
    Ok(up.finish())
}

/// A content revision before any signature: draws `content` (built by `draw(x, y, size)` in
/// an upright frame whose origin is the visual bottom-left of the page) at the visual top
/// left of page 1, wrapped so it cannot disturb or be disturbed by the page's own content.
pub fn top_left_revision(
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
            m.iter().map(|v| fmt_real(*v)).collect::<Vec<_>>().join(" ")
        )
        .as_bytes(),
    );
    after.extend_from_slice(&ops);
    after.extend_from_slice(b"\nQ\n");

    let mut up = Update::new(doc, ends_with_eol);
    let before = up.alloc();
    up.write(before, &Object::Stream(Dict::new(), b"q\n".to_vec()));
    let mark = up.alloc();
    let (d, data) = compress(Dict::new(), &after);
    up.write(mark, &Object::Stream(d, data));
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

/// A page as seen on screen: the matrix mapping the upright visual frame (origin at the
/// visual bottom left of the visible box) to user space for /Rotate (clockwise, ISO 32000-1
/// §8.3.2.3 / Table 30), and the visual width and height.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Frame {
    pub matrix: [f64; 6],
    pub width: f64,
    pub height: f64,
}

impl Frame {
    pub fn of(page: &Page) -> Frame {
        let [x0, y0, x1, y1] = page.visible_box();
        let (matrix, width, height) = match page.rotation() {
            90 => ([0.0, 1.0, -1.0, 0.0, x1, y0], y1 - y0, x1 - x0),
            180 => ([-1.0, 0.0, 0.0, -1.0, x1, y1], x1 - x0, y1 - y0),
            270 => ([0.0, -1.0, 1.0, 0.0, x0, y1], y1 - y0, x1 - x0),
            _ => ([1.0, 0.0, 0.0, 1.0, x0, y0], x1 - x0, y1 - y0),
        };
        Frame {
            matrix,
            width,
            height,
        }
    }

    /// A visual rectangle in user space (normalised).
    pub fn to_user(&self, r: [f64; 4]) -> [f64; 4] {
        let [a, b, c, d, e, f] = self.matrix;
        let map = |x: f64, y: f64| (a * x + c * y + e, b * x + d * y + f);
        normalise(map(r[0], r[1]), map(r[2], r[3]))
    }

    /// A user-space rectangle as seen on screen (normalised).
    pub fn to_visual(&self, r: [f64; 4]) -> [f64; 4] {
        // The linear part is a rotation: its inverse is its transpose.
        let [a, b, c, d, e, f] = self.matrix;
        let map = |x: f64, y: f64| {
            let (x, y) = (x - e, y - f);
            (a * x + b * y, c * x + d * y)
        };
        normalise(map(r[0], r[1]), map(r[2], r[3]))
    }
}

fn normalise((x0, y0): (f64, f64), (x1, y1): (f64, f64)) -> [f64; 4] {
    [x0.min(x1), y0.min(y1), x0.max(x1), y0.max(y1)]
}

/// Default placement: bottom right of the page as seen on screen, above the footer margin.
pub fn default_signer_rect(page: &Page) -> [f64; 4] {
    let frame = Frame::of(page);
    let (w, h) = (SIGNER_W, SIGNER_H);
    let x1 = frame.width - 40.0;
    frame.to_user([x1 - w, 90.0, x1, 90.0 + h])
}

pub const SIGNER_W: f64 = 210.0;
pub const SIGNER_H: f64 = 80.0;
/// About 36 mm, a department seal's real diameter.
pub const SEAL_D: f64 = 102.0;

/// The seal overlaps the left third of the signer's stamp as seen on screen (Decree 30/2020,
/// appendix I); `signer` and the result are in user space.
pub fn seal_rect_for(page: &Page, signer: [f64; 4]) -> [f64; 4] {
    let frame = Frame::of(page);
    let v = frame.to_visual(signer);
    let w = v[2] - v[0];
    let cy = (v[1] + v[3]) / 2.0;
    let right = v[0] + w / 3.0;
    frame.to_user([right - SEAL_D, cy - SEAL_D / 2.0, right, cy + SEAL_D / 2.0])
}
