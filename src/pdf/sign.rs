//! The revisions a PAdES signer appends: a signature (with placeholder), the DSS, a document
//! timestamp, and the QR mark. Each builder reads only what it must from the document and
//! returns the bytes of exactly one incremental update.

use std::collections::HashSet;

use time::{OffsetDateTime, UtcOffset};

use super::object::{fmt_real, text_string, Dict, ObjRef, Object};
use super::parse::{Document, Page};
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
    /// Appearance content stream (Form XObject content, in a box `[0 0 w h]`) and its resources.
    pub appearance: Option<(Vec<u8>, Dict)>,
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
                    set_appearance(&mut up, &mut wd, plan, rect);
                    up.write(wr, &Object::Dict(wd));
                }
                None => {
                    let rect = read_rect(&fd).unwrap_or(plan.rect);
                    set_appearance(&mut up, &mut fd, plan, rect);
                    up.write(field.reference, &Object::Dict(fd));
                }
            }
        }
        None => {
            let page = doc.page(plan.page)?;
            let r = up.alloc();
            let mut fd = widget_dict(&plan.name, plan.rect, page.reference);
            fd.set("V", Object::Ref(sig_ref));
            set_appearance(&mut up, &mut fd, plan, plan.rect);
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

fn set_appearance(up: &mut Update, widget: &mut Dict, plan: &FieldPlan, rect: [f64; 4]) {
    let w = rect[2] - rect[0];
    let h = rect[3] - rect[1];
    let Some((content, resources)) = &plan.appearance else {
        return;
    };
    if w <= 0.0 || h <= 0.0 {
        return;
    }
    let dict = Dict::new()
        .with("Type", Object::name("XObject"))
        .with("Subtype", Object::name("Form"))
        .with("BBox", rect_object([0.0, 0.0, w, h]))
        .with("Resources", Object::Dict(resources.clone()));
    let (dict, data) = compress(dict, content);
    let ap = up.alloc();
    up.write(ap, &Object::Stream(dict, data));
    widget.set("AP", Object::Dict(Dict::new().with("N", Object::Ref(ap))));
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
    let [x0, y0, x1, y1] = page.visible_box();
    // Map the upright visual frame to user space for /Rotate (clockwise, §8.3.2.3 / Table 30).
    let (m, vis_h) = match page.rotation() {
        90 => ([0.0, 1.0, -1.0, 0.0, x1, y0], x1 - x0),
        180 => ([-1.0, 0.0, 0.0, -1.0, x1, y1], y1 - y0),
        270 => ([0.0, -1.0, 1.0, 0.0, x0, y1], x1 - x0),
        _ => ([1.0, 0.0, 0.0, 1.0, x0, y0], y1 - y0),
    };
    let ops = draw(margin, vis_h - margin - size, size)?;
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

/// Default placement: bottom right of the page's visible box, above the footer margin.
pub fn default_signer_rect(page: &Page) -> [f64; 4] {
    let [_, y0, x1, _] = page.visible_box();
    let (w, h) = (SIGNER_W, SIGNER_H);
    [x1 - 40.0 - w, y0 + 90.0, x1 - 40.0, y0 + 90.0 + h]
}

pub const SIGNER_W: f64 = 210.0;
pub const SIGNER_H: f64 = 80.0;
/// About 36 mm, a department seal's real diameter.
pub const SEAL_D: f64 = 102.0;

/// The seal overlaps the left third of the signer's stamp (Decree 30/2020, appendix I).
pub fn seal_rect_for(signer: [f64; 4]) -> [f64; 4] {
    let w = signer[2] - signer[0];
    let cy = (signer[1] + signer[3]) / 2.0;
    let right = signer[0] + w / 3.0;
    [right - SEAL_D, cy - SEAL_D / 2.0, right, cy + SEAL_D / 2.0]
}

/// A bordered box with the signer's lines, in Helvetica (diacritics folded) until the
/// embedded Vietnamese font is available.
pub fn signer_box(lines: &[String], w: f64, h: f64) -> (Vec<u8>, Dict) {
    let mut c = String::new();
    c.push_str(&format!(
        "q 0.75 0.1 0.1 RG 1.2 w 0.6 0.6 {} {} re S Q\n",
        fmt_real(w - 1.2),
        fmt_real(h - 1.2)
    ));
    let size = 8.5;
    c.push_str(&format!(
        "BT /F1 {size} Tf 0.1 0.1 0.1 rg {} TL 6 {} Td\n",
        fmt_real(size + 2.5),
        fmt_real(h - 6.0 - size)
    ));
    for l in lines {
        c.push_str(&format!("({}) Tj T*\n", winansi(l)));
    }
    c.push_str("ET\n");
    (c.into_bytes(), helvetica_resources())
}

/// A red double ring with a star and the organisation, in a square of side `d`.
pub fn seal_disc(org: &str, when: &str, d: f64) -> (Vec<u8>, Dict) {
    let r = d / 2.0;
    let mut c = String::from("q 0.85 0.1 0.1 RG 0.85 0.1 0.1 rg\n");
    c.push_str(&circle(r, r, r - 1.5, 2.2));
    c.push_str(&circle(r, r, r - 7.0, 0.8));
    // Five-pointed star in the centre.
    let mut star = String::new();
    for i in 0..10 {
        let a = std::f64::consts::FRAC_PI_2 + f64::from(i) * std::f64::consts::PI / 5.0;
        let rr = if i % 2 == 0 { r * 0.22 } else { r * 0.09 };
        let op = if i == 0 { "m" } else { "l" };
        star.push_str(&format!(
            "{} {} {op} ",
            fmt_real(r + rr * a.cos()),
            fmt_real(r + 4.0 + rr * a.sin())
        ));
    }
    c.push_str(&star);
    c.push_str("h f\n");
    let size = 5.5;
    let est = |s: &str| s.chars().count() as f64 * size * 0.5;
    for (i, line) in [org, when].iter().enumerate() {
        let txt = winansi(line);
        let x = (r - est(line) / 2.0).max(8.0);
        let y = r - 16.0 - i as f64 * 8.0;
        c.push_str(&format!(
            "BT /F1 {size} Tf {} {} Td ({txt}) Tj ET\n",
            fmt_real(x),
            fmt_real(y)
        ));
    }
    c.push_str("Q\n");
    (c.into_bytes(), helvetica_resources())
}

fn circle(cx: f64, cy: f64, r: f64, width: f64) -> String {
    // Four Bézier arcs; k is the usual 0.5523 control-point factor.
    let k = 0.552_284_75 * r;
    let f = fmt_real;
    format!(
        "{w} w {} {} m {} {} {} {} {} {} c {} {} {} {} {} {} c {} {} {} {} {} {} c {} {} {} {} {} {} c S\n",
        f(cx + r), f(cy),
        f(cx + r), f(cy + k), f(cx + k), f(cy + r), f(cx), f(cy + r),
        f(cx - k), f(cy + r), f(cx - r), f(cy + k), f(cx - r), f(cy),
        f(cx - r), f(cy - k), f(cx - k), f(cy - r), f(cx), f(cy - r),
        f(cx + k), f(cy - r), f(cx + r), f(cy - k), f(cx + r), f(cy),
        w = f(width)
    )
}

fn helvetica_resources() -> Dict {
    let font = Dict::new()
        .with("Type", Object::name("Font"))
        .with("Subtype", Object::name("Type1"))
        .with("BaseFont", Object::name("Helvetica"))
        .with("Encoding", Object::name("WinAnsiEncoding"));
    Dict::new().with(
        "Font",
        Object::Dict(Dict::new().with("F1", Object::Dict(font))),
    )
}

/// A literal-string body in WinAnsi: Vietnamese letters folded to their base letter.
fn winansi(text: &str) -> String {
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
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        let c = GROUPS
            .iter()
            .find(|(g, _)| g.contains(c))
            .map_or(c, |(_, b)| *b);
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

/// Vietnam time for the stamps: `dd/mm/yyyy hh:mm:ss +07:00`.
pub fn vietnam_time(t: OffsetDateTime) -> String {
    let off = UtcOffset::from_hms(7, 0, 0).unwrap_or(UtcOffset::UTC);
    let t = t.to_offset(off);
    format!(
        "{:02}/{:02}/{:04} {:02}:{:02}:{:02} +07:00",
        t.day(),
        u8::from(t.month()),
        t.year(),
        t.hour(),
        t.minute(),
        t.second()
    )
}
