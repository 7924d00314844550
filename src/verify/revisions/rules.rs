//! The rules that judge each difference between the signed revision and the file as it is now,
//! by what the object is and the DocMDP level in force — with **default deny**: a difference
//! no rule allows is a change of the document, and the signature no longer vouches for what
//! is shown.
//!
//! - Every level: validation data (DSS), document timestamps and their fields, metadata (the
//!   catalog's XMP, /Version, /Extensions, the trailer's /Info), how objects are stored.
//! - P = 2 (and signatures without certification): also signing — new signature fields,
//!   filling empty ones — and filling existing form fields (values and their appearances).
//! - P = 3: also annotations.

use std::collections::BTreeSet;

use lopdf::{Dictionary, Object};

use super::graph::{object, rect, resolve_dict, Graph, Roles};

/// The DocMDP level a signature is judged under: the certification's /P, or 2 for a document
/// without certification (signing and form filling, as pyHanko assumes).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) struct Level(pub u8);

impl Level {
    pub fn of(docmdp: Option<i64>) -> Level {
        match docmdp {
            Some(1) => Level(1),
            Some(3) => Level(3),
            _ => Level(2),
        }
    }
}

/// What the comparison found: allowed updates (named by kind), changes (with the object and
/// why), and objects added after signing that overlap what was there.
#[derive(Debug, Default)]
pub(super) struct Judgement {
    pub allowed: BTreeSet<&'static str>,
    pub changes: BTreeSet<String>,
    pub flagged: BTreeSet<String>,
}

pub(super) struct Revision<'a> {
    pub doc: &'a lopdf::Document,
    pub graph: &'a Graph,
}

/// Judges every object that differs between `old` (the signed revision) and `new`.
pub(super) fn judge(old: &Revision<'_>, new: &Revision<'_>, level: Level) -> Judgement {
    let mut j = Judgement::default();
    let numbers: BTreeSet<u32> = old
        .doc
        .objects
        .keys()
        .chain(new.doc.objects.keys())
        .map(|(num, _)| *num)
        .collect();
    catalog(old, new, level, &mut j);
    trailer(old, new, &mut j);
    for num in numbers {
        let before = object(old.doc, num);
        let after = object(new.doc, num);
        let roles_old = old.graph.roles(num);
        let roles_new = new.graph.roles(num);
        let roles = roles_old.union(roles_new);
        if roles.contains(Roles::STRUCTURAL) || roles.contains(Roles::CATALOG) {
            // Storage is no content; the catalog is judged key by key above.
            continue;
        }
        match (before, after) {
            (Some(a), Some(b)) if same(a, b) => {}
            (None, Some(_)) => added(num, roles_new, level, new, &mut j),
            (Some(_), None) => {
                if !roles_old.is_empty() {
                    j.changes.insert(format!(
                        "object {num} ({}) was removed",
                        roles_old.describe()
                    ));
                }
            }
            (Some(a), Some(b)) => changed(num, roles, level, (a, b), old, new, &mut j),
            (None, None) => {}
        }
    }
    j
}

/// Equal as objects: for streams the dictionary and the bytes, not where they were read.
fn same(a: &Object, b: &Object) -> bool {
    match (a, b) {
        (Object::Stream(x), Object::Stream(y)) => x.dict == y.dict && x.content == y.content,
        _ => a == b,
    }
}

fn page_of(graph: &Graph, num: u32) -> String {
    match graph.pages.get(&num) {
        Some(page) => format!("page {page}"),
        None => format!("object {num}"),
    }
}

fn added(num: u32, roles: Roles, level: Level, new: &Revision<'_>, j: &mut Judgement) {
    if roles.is_empty() {
        // Not reachable from the document: shows nothing and changes nothing.
        return;
    }
    let signing_allowed = level >= Level(2);
    let allowed: Option<&'static str> = if roles.contains(Roles::CONTENT)
        || roles.contains(Roles::PAGE)
        || roles.contains(Roles::PAGE_TREE)
        || roles.contains(Roles::OTHER)
    {
        None
    } else if roles.contains(Roles::FORM_FIELD) {
        // A new form field is new content; filling an existing one is a change, not an add.
        None
    } else if roles.contains(Roles::ANNOTATION) {
        (level >= Level(3)).then_some("annotation")
    } else if roles.contains(Roles::SIG_VALUE)
        || roles.contains(Roles::SIG_FIELD)
        || roles.contains(Roles::EMPTY_SIG_APPEARANCE)
        || roles.contains(Roles::SIGNED_APPEARANCE)
    {
        if roles.contains(Roles::SIG_FIELD) && empty_but_visible(new, num) {
            (level >= Level(3)).then_some("annotation")
        } else if roles.contains(Roles::SIG_FIELD) && !roles.contains(Roles::DTS_FIELD) {
            signing_allowed.then_some("later signature")
        } else if roles.contains(Roles::DTS_FIELD) || roles.contains(Roles::DTS_VALUE) {
            Some("document timestamp")
        } else {
            signing_allowed.then_some("later signature")
        }
    } else if roles.contains(Roles::DTS_VALUE) || roles.contains(Roles::DTS_FIELD) {
        Some("document timestamp")
    } else if roles.contains(Roles::FORM_APPEARANCE) {
        signing_allowed.then_some("form filling")
    } else if roles.contains(Roles::DSS) {
        Some("DSS")
    } else if roles.contains(Roles::METADATA) {
        Some("metadata")
    } else if roles.contains(Roles::ACROFORM) {
        signing_allowed.then_some("later signature")
    } else {
        None
    };
    match allowed {
        Some(kind) => {
            j.allowed.insert(kind);
            if let Some((page, Some(rect))) = new.graph.annotations.get(&num) {
                overlap(num, *page, rect, new, j);
            }
        }
        None => {
            j.changes.insert(format!(
                "{} was added (object {num}){}",
                roles.describe(),
                at_level(level)
            ));
        }
    }
}

fn at_level(level: Level) -> &'static str {
    match level.0 {
        1 => ", which certification level P=1 does not allow",
        2 => ", which certification level P=2 does not allow",
        _ => "",
    }
}

/// An annotation or widget added after signing with an area that covers an annotation or
/// widget that was there: flagged, as DSS does, since it can hide what was signed.
fn overlap(num: u32, page: usize, rect: &[f64; 4], new: &Revision<'_>, j: &mut Judgement) {
    if area(rect) <= 0.0 {
        return;
    }
    for (other, (other_page, other_rect)) in &new.graph.annotations {
        let Some(other_rect) = other_rect else {
            continue;
        };
        if *other != num
            && *other_page == page
            && area(other_rect) > 0.0
            && intersects(rect, other_rect)
        {
            j.flagged.insert(format!(
                "object {num}, added after signing on page {page}, overlaps annotation {other}"
            ));
        }
    }
}

fn area(r: &[f64; 4]) -> f64 {
    (r[2] - r[0]).abs() * (r[3] - r[1]).abs()
}

fn intersects(a: &[f64; 4], b: &[f64; 4]) -> bool {
    let (ax0, ax1) = (a[0].min(a[2]), a[0].max(a[2]));
    let (ay0, ay1) = (a[1].min(a[3]), a[1].max(a[3]));
    let (bx0, bx1) = (b[0].min(b[2]), b[0].max(b[2]));
    let (by0, by1) = (b[1].min(b[3]), b[1].max(b[3]));
    ax0 < bx1 && bx0 < ax1 && ay0 < by1 && by0 < ay1
}

fn dict(obj: &Object) -> Option<&Dictionary> {
    match obj {
        Object::Dictionary(d) => Some(d),
        Object::Stream(s) => Some(&s.dict),
        _ => None,
    }
}

/// Keys whose values differ between two dictionaries.
fn changed_keys(a: &Dictionary, b: &Dictionary) -> BTreeSet<Vec<u8>> {
    a.iter()
        .map(|(k, _)| k)
        .chain(b.iter().map(|(k, _)| k))
        .filter(|k| a.get(k).ok() != b.get(k).ok())
        .cloned()
        .collect()
}

fn key_name(key: &[u8]) -> String {
    String::from_utf8_lossy(key).into_owned()
}

#[allow(clippy::too_many_arguments)]
fn changed(
    num: u32,
    roles: Roles,
    level: Level,
    (before, after): (&Object, &Object),
    old: &Revision<'_>,
    new: &Revision<'_>,
    j: &mut Judgement,
) {
    let signing_allowed = level >= Level(2);
    if roles.contains(Roles::CONTENT) || roles.contains(Roles::PAGE_TREE) {
        j.changes.insert(format!(
            "{} was changed (object {num}, {})",
            roles.describe(),
            content_place(num, old)
        ));
        return;
    }
    if roles.contains(Roles::PAGE) {
        page(num, level, (before, after), old, new, j);
        return;
    }
    if roles.contains(Roles::ANNOTATION_LIST) && !roles.contains(Roles::CONTENT) {
        let where_ = match old.graph.annotation_lists.get(&num) {
            Some(page) => format!("page {page}"),
            None => format!("the page of object {num}"),
        };
        let list = |o: &Object| match o {
            Object::Array(items) => numbers_in(items),
            _ => BTreeSet::new(),
        };
        annotation_changes(&where_, &list(before), &list(after), level, new, j);
        return;
    }
    if roles.contains(Roles::SIG_VALUE) || roles.contains(Roles::DTS_VALUE) {
        j.changes.insert(format!(
            "an existing signature value (object {num}) was replaced"
        ));
        return;
    }
    if roles.contains(Roles::SIGNED_APPEARANCE)
        && old.graph.roles(num).contains(Roles::SIGNED_APPEARANCE)
    {
        j.changes.insert(format!(
            "the appearance of a signed signature (object {num}) was changed"
        ));
        return;
    }
    if roles.contains(Roles::SIG_FIELD) || roles.contains(Roles::DTS_FIELD) {
        let (Some(a), Some(b)) = (dict(before), dict(after)) else {
            j.changes
                .insert(format!("a signature field (object {num}) was changed"));
            return;
        };
        if a.get(b"V").is_ok() {
            // Signed: nothing about it may change (its value, its rectangle, its look).
            j.changes.insert(format!(
                "a signed signature field (object {num}) was changed ({})",
                changed_keys(a, b)
                    .iter()
                    .map(|k| key_name(k))
                    .collect::<Vec<_>>()
                    .join(", ")
            ));
        } else if roles.contains(Roles::DTS_FIELD) {
            j.allowed.insert("document timestamp");
        } else if signing_allowed {
            j.allowed.insert("later signature");
        } else {
            j.changes.insert(format!(
                "an empty signature field (object {num}) was signed{}",
                at_level(level)
            ));
        }
        return;
    }
    if roles.contains(Roles::ANNOTATION) {
        if level >= Level(3) {
            j.allowed.insert("annotation");
        } else {
            j.changes.insert(format!(
                "an annotation (object {num}) was changed{}",
                at_level(level)
            ));
        }
        return;
    }
    if roles.contains(Roles::FORM_FIELD) {
        form_field(num, level, (before, after), j);
        return;
    }
    if roles.contains(Roles::FORM_APPEARANCE) || roles.contains(Roles::EMPTY_SIG_APPEARANCE) {
        if signing_allowed {
            j.allowed.insert(if roles.contains(Roles::FORM_APPEARANCE) {
                "form filling"
            } else {
                "later signature"
            });
        } else {
            j.changes.insert(format!(
                "{} (object {num}) was changed{}",
                roles.describe(),
                at_level(level)
            ));
        }
        return;
    }
    if roles.contains(Roles::ACROFORM) {
        acroform(num, level, (before, after), new, j);
        return;
    }
    if roles.contains(Roles::DSS) {
        j.allowed.insert("DSS");
        return;
    }
    if roles.contains(Roles::METADATA) {
        j.allowed.insert("metadata");
        return;
    }
    if roles.is_empty() {
        return;
    }
    j.changes.insert(format!(
        "{} (object {num}) of the signed revision was changed",
        roles.describe()
    ));
}

fn content_place(num: u32, old: &Revision<'_>) -> String {
    if let Some(page) = old.graph.pages.get(&num) {
        return format!("page {page}");
    }
    "the content of a page".to_owned()
}

fn page(
    num: u32,
    level: Level,
    (before, after): (&Object, &Object),
    old: &Revision<'_>,
    new: &Revision<'_>,
    j: &mut Judgement,
) {
    let where_ = page_of(old.graph, num);
    let (Some(a), Some(b)) = (dict(before), dict(after)) else {
        j.changes.insert(format!("{where_} was replaced"));
        return;
    };
    for key in changed_keys(a, b) {
        if matches!(key.as_slice(), b"Contents" | b"Resources") {
            j.changes.insert(format!(
                "the content of {where_} was changed (/{})",
                key_name(&key)
            ));
            continue;
        }
        if key.as_slice() != b"Annots" {
            j.changes
                .insert(format!("{where_} was changed (/{})", key_name(&key)));
            continue;
        }
        let before_annots = annotation_numbers(old.doc, a);
        let after_annots = annotation_numbers(new.doc, b);
        annotation_changes(&where_, &before_annots, &after_annots, level, new, j);
    }
}

/// A page's annotations before and after: none may leave; new signature widgets may join at
/// P ≥ 2 (document timestamps at every level), other annotations at P = 3.
fn annotation_changes(
    where_: &str,
    before: &BTreeSet<u32>,
    after: &BTreeSet<u32>,
    level: Level,
    new: &Revision<'_>,
    j: &mut Judgement,
) {
    if before.iter().any(|n| !after.contains(n)) {
        j.changes
            .insert(format!("an annotation was removed from {where_}"));
    }
    for added in after.iter().filter(|n| !before.contains(n)) {
        let roles = new.graph.roles(*added);
        let kind = if roles.contains(Roles::DTS_FIELD) {
            Some("document timestamp")
        } else if roles.contains(Roles::SIG_FIELD) {
            if empty_but_visible(new, *added) {
                (level >= Level(3)).then_some("annotation")
            } else {
                (level >= Level(2)).then_some("later signature")
            }
        } else if roles.contains(Roles::ANNOTATION) {
            (level >= Level(3)).then_some("annotation")
        } else {
            None
        };
        match kind {
            Some(kind) => {
                j.allowed.insert(kind);
            }
            None => {
                j.changes.insert(format!(
                    "{} was added on {where_} (object {added}){}",
                    if roles.is_empty() {
                        "an annotation"
                    } else if roles.contains(Roles::SIG_FIELD) {
                        "an empty signature field that shows something"
                    } else {
                        roles.describe()
                    },
                    at_level(level)
                ));
            }
        }
    }
}

/// A signature field added without a signature but with an area on the page: it signs
/// nothing and shows whatever its appearance draws — an annotation in disguise (the SSA
/// attack), allowed only where annotations are.
fn empty_but_visible(new: &Revision<'_>, num: u32) -> bool {
    let Some(field) = object(new.doc, num).and_then(dict) else {
        return false;
    };
    field.get(b"V").is_err() && rect(field).is_some_and(|r| area(&r) > 0.0)
}

fn numbers_in(items: &[Object]) -> BTreeSet<u32> {
    items
        .iter()
        .filter_map(|o| match o {
            Object::Reference((num, _)) => Some(*num),
            _ => None,
        })
        .collect()
}

fn annotation_numbers(doc: &lopdf::Document, page: &Dictionary) -> BTreeSet<u32> {
    let list = match page.get(b"Annots") {
        Ok(Object::Reference((num, _))) => match object(doc, *num) {
            Some(Object::Array(items)) => items.as_slice(),
            _ => &[],
        },
        Ok(Object::Array(items)) => items.as_slice(),
        _ => &[],
    };
    numbers_in(list)
}

fn is_empty_value(value: &Object) -> bool {
    match value {
        Object::Null => true,
        Object::String(s, _) => s.is_empty(),
        Object::Name(n) => n.as_slice() == b"Off",
        Object::Array(items) => items.is_empty(),
        _ => false,
    }
}

/// Filling a field changes its value and its look, nothing else: not where it is, what kind
/// it is, or its options.
fn form_field(num: u32, level: Level, (before, after): (&Object, &Object), j: &mut Judgement) {
    let (Some(a), Some(b)) = (dict(before), dict(after)) else {
        j.changes
            .insert(format!("a form field (object {num}) was replaced"));
        return;
    };
    let keys = changed_keys(a, b);
    let fill_only = keys
        .iter()
        .all(|k| matches!(k.as_slice(), b"V" | b"AS" | b"AP"));
    let name = match b.get(b"T") {
        Ok(Object::String(t, _)) => String::from_utf8_lossy(t).into_owned(),
        _ => format!("object {num}"),
    };
    let certified_value = a.get(b"V").is_ok_and(|v| !is_empty_value(v));
    if fill_only && certified_value && a.get(b"V").ok() != b.get(b"V").ok() {
        // P=2 lets a field be filled, not a value the signer saw be replaced (the shadow
        // "replace" attack): stricter than pyHanko, on purpose.
        j.changes.insert(format!(
            "the value of form field `{name}`, filled when it was signed, was changed"
        ));
    } else if fill_only && level >= Level(2) {
        j.allowed.insert("form filling");
    } else if fill_only {
        j.changes.insert(format!(
            "the value of form field `{name}` was changed{}",
            at_level(level)
        ));
    } else {
        j.changes.insert(format!(
            "form field `{name}` was changed beyond its value (/{})",
            keys.iter()
                .map(|k| key_name(k))
                .collect::<Vec<_>>()
                .join(", /")
        ));
    }
}

fn acroform(
    num: u32,
    level: Level,
    (before, after): (&Object, &Object),
    new: &Revision<'_>,
    j: &mut Judgement,
) {
    let (Some(a), Some(b)) = (dict(before), dict(after)) else {
        j.changes
            .insert(format!("the interactive form (object {num}) was replaced"));
        return;
    };
    acroform_keys(a, b, level, new, j);
}

/// The form's dictionary, direct in the catalog or not: new signature fields may join
/// /Fields (document timestamps at every level), nothing may leave.
pub(super) fn acroform_keys(
    a: &Dictionary,
    b: &Dictionary,
    level: Level,
    new: &Revision<'_>,
    j: &mut Judgement,
) {
    for key in changed_keys(a, b) {
        match key.as_slice() {
            b"Fields" => {
                let before = refs(a.get(b"Fields").ok());
                let after = refs(b.get(b"Fields").ok());
                if before.iter().any(|f| !after.contains(f)) {
                    j.changes.insert("a form field was removed".to_owned());
                }
                for f in after.iter().filter(|f| !before.contains(f)) {
                    let roles = new.graph.roles(*f);
                    if roles.contains(Roles::DTS_FIELD) {
                        j.allowed.insert("document timestamp");
                    } else if roles.contains(Roles::SIG_FIELD) && level >= Level(2) {
                        j.allowed.insert("later signature");
                    } else {
                        j.changes.insert(format!(
                            "{} was added to the form (object {f}){}",
                            roles.describe(),
                            at_level(level)
                        ));
                    }
                }
            }
            // How new signature fields are flagged and drawn; no existing field changes.
            b"SigFlags" | b"DR" | b"DA" => {
                j.allowed.insert("later signature");
            }
            other => {
                j.changes
                    .insert(format!("the form's /{} was changed", key_name(other)));
            }
        }
    }
}

fn refs(obj: Option<&Object>) -> BTreeSet<u32> {
    match obj {
        Some(Object::Array(items)) => items
            .iter()
            .filter_map(|o| match o {
                Object::Reference((num, _)) => Some(*num),
                _ => None,
            })
            .collect(),
        _ => BTreeSet::new(),
    }
}

/// The catalog key by key, wherever the trailer's /Root points in each revision: a new
/// catalog object is judged by what it says, not by its number.
fn catalog(old: &Revision<'_>, new: &Revision<'_>, level: Level, j: &mut Judgement) {
    let (Some(a), Some(b)) = (root_of(old), root_of(new)) else {
        j.changes
            .insert("the document catalog cannot be read in both revisions".to_owned());
        return;
    };
    for key in changed_keys(a, b) {
        match key.as_slice() {
            b"DSS" => {
                j.allowed.insert("DSS");
            }
            // Signing tools update these when they sign; none is shown on a page.
            b"Version" | b"Extensions" | b"Metadata" => {
                j.allowed.insert("metadata");
            }
            b"AcroForm" => {
                let form = |d: &Dictionary, r: &Revision<'_>| {
                    d.get(b"AcroForm")
                        .ok()
                        .and_then(|f| resolve_dict(r.doc, f))
                        .cloned()
                };
                match (form(a, old), form(b, new)) {
                    (Some(fa), Some(fb)) => acroform_keys(&fa, &fb, level, new, j),
                    (None, Some(fb)) => acroform_keys(&Dictionary::new(), &fb, level, new, j),
                    _ => {
                        j.changes
                            .insert("the interactive form was removed".to_owned());
                    }
                }
            }
            other => {
                j.changes.insert(format!(
                    "the document catalog's /{} was changed",
                    key_name(other)
                ));
            }
        }
    }
}

fn root_of<'a>(r: &Revision<'a>) -> Option<&'a Dictionary> {
    r.graph.root.and_then(|n| object(r.doc, n)).and_then(dict)
}

/// The trailer: a new /Info is metadata; encryption added afterwards changes everything.
fn trailer(old: &Revision<'_>, new: &Revision<'_>, j: &mut Judgement) {
    for key in changed_keys(&old.doc.trailer, &new.doc.trailer) {
        match key.as_slice() {
            b"Info" => {
                j.allowed.insert("metadata");
            }
            b"Encrypt" => {
                j.changes
                    .insert("encryption was added or changed".to_owned());
            }
            // Storage bookkeeping; /Root is followed by `catalog`.
            _ => {}
        }
    }
}
