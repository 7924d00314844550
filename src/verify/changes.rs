//! What was appended after a signature, object by object: the signed revision (the file up to
//! the end of the byte range) is compared with the whole file. Allowed: validation data (DSS),
//! document timestamps, later signatures filling or adding signature fields (with their
//! appearances). Everything else that changes an object of the signed revision is a change of
//! content: page content, annotations, form values, the catalog.

use std::collections::{HashMap, HashSet};

use crate::pdf::{Dict, Document, ObjRef, Object, ReadLimits, SyntaxError, XrefEntry};

use super::report::Coverage;

/// Bounds the walk over appended objects: a hostile file cannot make it run for long.
const MAX_WALK: usize = 20_000;

/// Objects reachable from `roots` in `doc`, at most `MAX_WALK`.
fn reachable(doc: &Document<'_>, roots: impl IntoIterator<Item = ObjRef>) -> HashSet<u32> {
    let mut seen = HashSet::new();
    let mut stack: Vec<ObjRef> = roots.into_iter().collect();
    while let Some(r) = stack.pop() {
        if seen.len() >= MAX_WALK || !seen.insert(r.num) {
            continue;
        }
        if let Ok(obj) = doc.resolve(r) {
            collect_refs(&obj, &mut stack, 0);
        }
    }
    seen
}

fn collect_refs(obj: &Object, out: &mut Vec<ObjRef>, depth: usize) {
    if depth > 64 {
        return;
    }
    match obj {
        Object::Ref(r) => out.push(*r),
        Object::Array(a) => a.iter().for_each(|o| collect_refs(o, out, depth + 1)),
        Object::Dict(d) | Object::Stream(d, _) => {
            d.0.iter()
                .for_each(|(_, o)| collect_refs(o, out, depth + 1))
        }
        _ => {}
    }
}

fn refs_in(obj: Option<&Object>) -> Vec<ObjRef> {
    let mut v = Vec::new();
    if let Some(o) = obj {
        collect_refs(o, &mut v, 0);
    }
    v
}

fn dict_of(obj: &Object) -> Option<&Dict> {
    match obj {
        Object::Dict(d) | Object::Stream(d, _) => Some(d),
        _ => None,
    }
}

/// Keys whose values differ between two dictionaries.
fn changed_keys(old: &Dict, new: &Dict) -> Vec<String> {
    let mut keys: Vec<&Vec<u8>> = old.0.iter().map(|(k, _)| k).collect();
    keys.extend(new.0.iter().map(|(k, _)| k));
    let mut out: Vec<String> = keys
        .into_iter()
        .filter(|k| {
            let key = String::from_utf8_lossy(k);
            old.get(&key) != new.get(&key)
        })
        .map(|k| String::from_utf8_lossy(k).into_owned())
        .collect();
    out.sort();
    out.dedup();
    out
}

/// What the whole file says about its objects: computed once per document.
pub struct Context {
    /// DSS dictionary and everything under it.
    dss: HashSet<u32>,
    /// Signature fields, their widgets and signature dictionaries.
    sig_fields: HashSet<u32>,
    sig_values: HashMap<u32, bool>, // sig dict -> is document timestamp
    /// Appearance streams of signature widgets and what they use.
    appearances: HashSet<u32>,
    /// Other (non-signature) form fields.
    form_fields: HashMap<u32, String>,
}

/// `signatures`: the document's signatures (their field and whether each is a document
/// timestamp), so that signature dictionaries need not be parsed again.
pub fn context(doc: &Document<'_>, signatures: &[(ObjRef, bool)]) -> Context {
    let mut c = Context {
        dss: HashSet::new(),
        sig_fields: HashSet::new(),
        sig_values: HashMap::new(),
        appearances: HashSet::new(),
        form_fields: HashMap::new(),
    };
    if let Ok(catalog) = doc.catalog() {
        if let Some(dss) = catalog.get("DSS") {
            let mut roots = refs_in(Some(dss));
            if let Ok(Object::Dict(d)) = doc.get(dss) {
                roots.extend(refs_in(Some(&Object::Dict(d))));
            }
            c.dss = reachable(doc, roots);
        }
    }
    let mut ap_roots = Vec::new();
    for field in doc.fields().unwrap_or_default() {
        if field.field_type.as_deref() == Some(b"Sig") {
            c.sig_fields.insert(field.reference.num);
            if let Some(v) = field.dict.get("V").and_then(Object::as_ref) {
                let is_dts = signatures
                    .iter()
                    .any(|(f, dts)| *dts && f.num == field.reference.num);
                c.sig_values.insert(v.num, is_dts);
            }
            for kid in refs_in(field.dict.get("Kids")) {
                c.sig_fields.insert(kid.num);
                if let Ok(d) = doc.resolve_dict(kid) {
                    ap_roots.extend(refs_in(d.get("AP")));
                }
            }
            ap_roots.extend(refs_in(field.dict.get("AP")));
            if let Some(ap) = field.dict.get("AP") {
                if let Ok(Object::Dict(d)) = doc.get(ap) {
                    ap_roots.extend(refs_in(Some(&Object::Dict(d))));
                }
            }
        } else {
            c.form_fields
                .insert(field.reference.num, field.name.clone());
        }
    }
    c.appearances = reachable(doc, ap_roots);
    c
}

/// Compares the signed revision (`data[..signed_end]`) with the whole file.
pub fn analyse(
    ctx: &Context,
    full: &Document<'_>,
    data: &[u8],
    signed_end: usize,
    limits: ReadLimits,
) -> Coverage {
    let mut cov = Coverage {
        whole_file: signed_end == data.len(),
        signed_bytes: signed_end as u64,
        appended_bytes: data.len().saturating_sub(signed_end) as u64,
        ..Coverage::default()
    };
    if cov.whole_file {
        return cov;
    }
    let Some(prefix) = data.get(..signed_end) else {
        cov.content_changes
            .push("the signed range runs past the end of the file".into());
        return cov;
    };
    let old = match Document::open_within(prefix, &[], limits) {
        Ok(d) => d,
        Err(SyntaxError::Limit(why)) => {
            cov.incomplete = Some(why);
            return cov;
        }
        Err(e) => {
            cov.content_changes.push(format!(
                "the signed range does not end a complete revision of the PDF ({e})"
            ));
            return cov;
        }
    };
    let old_root = old.root_ref().ok();
    let old_acroform = old
        .catalog()
        .ok()
        .and_then(|c| c.get("AcroForm").and_then(Object::as_ref));
    let new_acroform = full
        .catalog()
        .ok()
        .and_then(|c| c.get("AcroForm").and_then(Object::as_ref));
    let mut pages: HashMap<u32, usize> = HashMap::new();
    let mut page_contents: HashMap<u32, usize> = HashMap::new();
    let mut annots: HashSet<u32> = HashSet::new();
    // One walk of the page tree: asking for each page by number would read the tree again
    // for every page, quadratic in a flat tree of thousands.
    let old_pages = match old.pages() {
        Ok(p) => p,
        Err(SyntaxError::Limit(why)) => {
            cov.incomplete = Some(why);
            return cov;
        }
        Err(_) => Vec::new(),
    };
    for (i, p) in old_pages.iter().enumerate().take(MAX_WALK) {
        pages.insert(p.reference.num, i + 1);
        for r in refs_in(p.dict.get("Contents")) {
            page_contents.insert(r.num, i + 1);
        }
        if let Some(a) = p.dict.get("Annots") {
            for r in refs_in(Some(a)) {
                annots.insert(r.num);
            }
            if let Ok(Object::Array(arr)) = old.get(a) {
                for r in refs_in(Some(&Object::Array(arr))) {
                    annots.insert(r.num);
                }
            }
        }
    }

    let mut allowed: Vec<String> = Vec::new();
    let mut changes: Vec<String> = Vec::new();
    for num in full.object_numbers() {
        if let Err(SyntaxError::Limit(why)) = full.check_time() {
            cov.incomplete = Some(why);
            return cov;
        }
        let new_entry = full.xref_entry(num);
        let old_entry = old.xref_entry(num);
        if new_entry == old_entry {
            continue;
        }
        let generation = match new_entry {
            Some(XrefEntry::Offset(_, g)) => g,
            _ => 0,
        };
        let r = ObjRef::new(num, generation);
        let existed = matches!(
            old_entry,
            Some(XrefEntry::Offset(..)) | Some(XrefEntry::InStream { .. })
        );
        // New objects of the allowed kinds need not be parsed (signature values are large).
        if !existed {
            if ctx.dss.contains(&num) {
                allowed.push("DSS".into());
                continue;
            }
            if let Some(is_dts) = ctx.sig_values.get(&num) {
                allowed.push(if *is_dts {
                    "document timestamp".into()
                } else {
                    "later signature".into()
                });
                continue;
            }
        }
        let new_obj = full.resolve(r).unwrap_or(Object::Null);
        let old_obj = if existed {
            old.resolve(r).unwrap_or(Object::Null)
        } else {
            Object::Null
        };
        if existed && new_obj == old_obj {
            continue;
        }
        if let Some(d) = dict_of(&new_obj) {
            if matches!(d.name("Type"), Some(b"XRef") | Some(b"ObjStm")) {
                continue;
            }
        }
        let protected = existed
            && (pages.contains_key(&num)
                || page_contents.contains_key(&num)
                || (annots.contains(&num) && !ctx.sig_fields.contains(&num))
                || ctx.form_fields.contains_key(&num)
                || Some(num) == old_root.map(|o| o.num));
        if protected {
            // Checked below, whatever else refers to them.
        } else if ctx.dss.contains(&num) {
            allowed.push("DSS".into());
            continue;
        } else if let Some(is_dts) = ctx.sig_values.get(&num) {
            if existed {
                changes.push(format!(
                    "an existing signature value (object {num}) was replaced"
                ));
            } else {
                allowed.push(if *is_dts {
                    "document timestamp".into()
                } else {
                    "later signature".into()
                });
            }
            continue;
        } else if ctx.sig_fields.contains(&num) {
            let old_v = dict_of(&old_obj).and_then(|d| d.get("V")).cloned();
            let new_v = dict_of(&new_obj).and_then(|d| d.get("V")).cloned();
            if old_v.is_some() && old_v != new_v {
                changes.push(format!(
                    "a signed signature field (object {num}) was changed"
                ));
            } else {
                allowed.push("later signature".into());
            }
            continue;
        } else if !existed {
            // New objects act only through the objects that reference them, which are
            // checked below; appearances of signature fields are the common case.
            if !ctx.appearances.contains(&num) {
                continue;
            }
            allowed.push("signature appearance".into());
            continue;
        } else if ctx.appearances.contains(&num) {
            allowed.push("signature appearance".into());
            continue;
        }
        let (Some(old_d), Some(new_d)) = (dict_of(&old_obj), dict_of(&new_obj)) else {
            changes.push(match page_contents.get(&num) {
                Some(p) => format!("the content of page {p} was changed"),
                None => format!("object {num} was changed or deleted"),
            });
            continue;
        };
        if Some(r.num) == old_root.map(|o| o.num) {
            for key in changed_keys(old_d, new_d) {
                match key.as_str() {
                    "DSS" => allowed.push("DSS".into()),
                    "AcroForm" => allowed.push("later signature".into()),
                    other => changes.push(format!("the document catalog's /{other} was changed")),
                }
            }
            continue;
        }
        if Some(num) == old_acroform.map(|o| o.num) || Some(num) == new_acroform.map(|o| o.num) {
            for key in changed_keys(old_d, new_d) {
                match key.as_str() {
                    "Fields" => {
                        let old_fields: HashSet<u32> =
                            refs_in(old_d.get("Fields")).iter().map(|r| r.num).collect();
                        let new_fields: Vec<u32> =
                            refs_in(new_d.get("Fields")).iter().map(|r| r.num).collect();
                        if old_fields.iter().any(|f| !new_fields.contains(f)) {
                            changes.push("a form field was removed".into());
                        }
                        for f in new_fields.iter().filter(|f| !old_fields.contains(f)) {
                            if ctx.sig_fields.contains(f) {
                                allowed.push("later signature".into());
                            } else {
                                changes.push("a form field was added".into());
                            }
                        }
                    }
                    "SigFlags" | "DR" | "DA" => allowed.push("later signature".into()),
                    other => changes.push(format!("the form's /{other} was changed")),
                }
            }
            continue;
        }
        if let Some(page) = pages.get(&num) {
            for key in changed_keys(old_d, new_d) {
                if key == "Annots" {
                    let old_a: HashSet<u32> = annots_of(&old, old_d);
                    let new_a: HashSet<u32> = annots_of(full, new_d);
                    if old_a.iter().any(|a| !new_a.contains(a)) {
                        changes.push(format!("an annotation was removed from page {page}"));
                    }
                    for a in new_a.iter().filter(|a| !old_a.contains(a)) {
                        if ctx.sig_fields.contains(a) {
                            allowed.push("later signature".into());
                        } else {
                            changes.push(format!("an annotation was added on page {page}"));
                        }
                    }
                } else if key == "Contents" || key == "Resources" {
                    changes.push(format!("the content of page {page} was changed (/{key})"));
                } else {
                    changes.push(format!("page {page} was changed (/{key})"));
                }
            }
            continue;
        }
        if let Some(page) = page_contents.get(&num) {
            changes.push(format!("the content of page {page} was changed"));
            continue;
        }
        if annots.contains(&num) {
            changes.push(format!("an annotation (object {num}) was changed"));
            continue;
        }
        if let Some(name) = ctx.form_fields.get(&num) {
            if old_d.get("V") != new_d.get("V") {
                changes.push(format!("the value of form field `{name}` was changed"));
                continue;
            }
        }
        changes.push(format!("object {num} of the signed revision was changed"));
    }
    // Objects of the signed revision that the update freed.
    for num in old.object_numbers() {
        if matches!(full.xref_entry(num), Some(XrefEntry::Free))
            && !matches!(old.xref_entry(num), Some(XrefEntry::Free))
        {
            changes.push(format!("object {num} of the signed revision was deleted"));
        }
    }
    allowed.sort();
    allowed.dedup();
    changes.sort();
    changes.dedup();
    cov.allowed_updates = allowed;
    cov.content_changes = changes;
    cov
}

fn annots_of(doc: &Document<'_>, page: &Dict) -> HashSet<u32> {
    match page.get("Annots") {
        Some(Object::Ref(r)) => match doc.resolve(*r) {
            Ok(o) => refs_in(Some(&o)).iter().map(|r| r.num).collect(),
            Err(_) => HashSet::new(),
        },
        other => refs_in(other).iter().map(|r| r.num).collect(),
    }
}
