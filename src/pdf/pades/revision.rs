//! The signature revision: one incremental update holding the signature dictionary (with its
//! placeholder), the signature field and its widget with the stamp's appearance, the page and
//! form entries that reference them, and the catalog's /Perms for a certification. It reads
//! only what it must from the document.

use std::collections::HashSet;

use time::OffsetDateTime;

use crate::pdf::syntax::{date, flate, text_string, Dict, Document, ObjRef, Object, Writer};

use super::appearance::Appearance;
use super::error::PdfError;
use super::placeholder::{Placeholder, SigDictBody};

/// Where a signature field goes and what it shows.
#[derive(Debug, Clone)]
pub(super) struct FieldPlan {
    pub name: String,
    /// 0-based page index.
    pub page: usize,
    /// `[x0 y0 x1 y1]`; all zeros for an invisible signature.
    pub rect: [f64; 4],
    /// What the widget shows; drawn for the widget's actual size and the page's /Rotate.
    pub appearance: Option<Appearance>,
}

/// What goes into the signature dictionary.
pub(super) struct SigDictSpec<'a> {
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

fn sig_dict(spec: &SigDictSpec<'_>) -> Dict {
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
        d.set("M", date(t));
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
    d
}

/// Which catalog entries the update rewrites.
struct Changes {
    catalog: Dict,
    catalog_dirty: bool,
}

/// Builds a signature revision (or a document-timestamp revision): fills the empty signature
/// field `plan.name` if it exists, or creates it; `extra_fields` are created empty in the same
/// revision (e.g. the seal's field, so that the later seal only fills it and stays within a
/// DocMDP P=2 certification).
pub(super) fn signature_revision(
    doc: &Document<'_>,
    ends_with_eol: bool,
    plan: &FieldPlan,
    extra_fields: &[FieldPlan],
    spec: &SigDictSpec<'_>,
) -> Result<Placeholder, PdfError> {
    let mut up = Writer::update(doc, ends_with_eol);
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
    let body = SigDictBody::new(sig_dict(spec), spec.reserve)?;
    let sig_at = up.write_raw(sig_ref, &body.bytes);

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

    add_widgets_to_pages(doc, &mut up, &new_widgets)?;
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
    Placeholder::with_byte_range(up.finish(), start, sig_at, &body)
}

fn widget_dict(name: &str, rect: [f64; 4], page: ObjRef) -> Dict {
    Dict::new()
        .with("Type", Object::name("Annot"))
        .with("Subtype", Object::name("Widget"))
        .with("FT", Object::name("Sig"))
        .with("T", text_string(name))
        .with("Rect", Object::reals(&rect))
        // Print (4) + Locked (128): shown when printed, not movable once signed.
        .with("F", Object::Int(132))
        .with("P", Object::Ref(page))
}

fn read_rect(d: &Dict) -> Option<[f64; 4]> {
    let v: Vec<f64> = d
        .get("Rect")?
        .as_array()?
        .iter()
        .filter_map(Object::as_f64)
        .collect();
    let &[a, b, c, e] = v.as_slice() else {
        return None;
    };
    Some([a.min(c), b.min(e), a.max(c), b.max(e)])
}

/// Writes the widget's normal appearance: a Form XObject drawn upright for the page's
/// /Rotate (its /Matrix turns it back, so it stands upright on screen), with the font subset
/// it uses as objects of the same revision.
fn set_appearance(
    up: &mut Writer,
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
    let first = up.next_number();
    let objects = font
        .objects(first)
        .map_err(|e| PdfError::Appearance(e.to_string()))?;
    for (num, object) in objects {
        up.write(ObjRef::new(num, 0), &object);
    }
    let resources = Dict::new().with(
        "Font",
        Object::Dict(Dict::new().with("F1", Object::Ref(ObjRef::new(first, 0)))),
    );
    let mut dict = Dict::new()
        .with("Type", Object::name("XObject"))
        .with("Subtype", Object::name("Form"))
        .with("BBox", Object::reals(&[0.0, 0.0, w, h]))
        .with("Resources", Object::Dict(resources));
    if rotation != 0 {
        dict.set("Matrix", Object::reals(&matrix));
    }
    let ap = up.add(&flate(dict, &content));
    widget.set("AP", Object::Dict(Dict::new().with("N", Object::Ref(ap))));
    Ok(())
}

fn add_widgets_to_pages(
    doc: &Document<'_>,
    up: &mut Writer,
    widgets: &[(usize, ObjRef)],
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
                    _ => return Err(PdfError::malformed("a page's /Annots is not an array")),
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
                up.write(page.reference, &Object::Dict(d));
            }
        }
    }
    Ok(())
}

fn update_acroform(
    doc: &Document<'_>,
    up: &mut Writer,
    new_fields: &[ObjRef],
    changes: &mut Changes,
) -> Result<(), PdfError> {
    let entry = changes.catalog.get("AcroForm").cloned();
    let (mut form, form_ref) = match entry {
        Some(Object::Ref(r)) => match doc.resolve(r)? {
            Object::Dict(d) => (d, Some(r)),
            Object::Null => (Dict::new(), None),
            _ => return Err(PdfError::malformed("/AcroForm is not a dictionary")),
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
