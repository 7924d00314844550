//! What each object of a revision is, read from lopdf's object graph: the catalog, the page
//! tree, what a page shows (content streams, resources, everything they reach), annotations,
//! form fields and their widgets and appearances, signature fields and values, the DSS,
//! metadata. An object reached in several ways has every role it is reached by, so a font
//! shared by a page and a signature appearance is still page content.

use std::collections::{HashMap, HashSet};

use lopdf::{Dictionary, Object, ObjectId};

/// Bounds every walk: a hostile graph cannot make one run long.
const MAX_NODES: usize = 200_000;
/// Nesting of page trees and field trees.
const MAX_DEPTH: usize = 64;

/// The roles an object plays, as bits.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(super) struct Roles(u32);

impl Roles {
    pub const CATALOG: Roles = Roles(1);
    pub const PAGE_TREE: Roles = Roles(1 << 1);
    pub const PAGE: Roles = Roles(1 << 2);
    /// What a page shows: content streams, resources, and everything they reach.
    pub const CONTENT: Roles = Roles(1 << 3);
    /// An annotation other than a widget, and its appearance.
    pub const ANNOTATION: Roles = Roles(1 << 4);
    /// A form field other than a signature field (or one of its kids).
    pub const FORM_FIELD: Roles = Roles(1 << 5);
    /// A widget of such a field, and what its appearance reaches.
    pub const FORM_APPEARANCE: Roles = Roles(1 << 6);
    pub const SIG_FIELD: Roles = Roles(1 << 7);
    /// The appearance of a signature field that holds a signature in this revision.
    pub const SIGNED_APPEARANCE: Roles = Roles(1 << 8);
    /// The appearance of a signature field still empty in this revision.
    pub const EMPTY_SIG_APPEARANCE: Roles = Roles(1 << 9);
    pub const SIG_VALUE: Roles = Roles(1 << 10);
    pub const DTS_VALUE: Roles = Roles(1 << 11);
    /// The field of a document timestamp (allowed where signing is not).
    pub const DTS_FIELD: Roles = Roles(1 << 12);
    pub const ACROFORM: Roles = Roles(1 << 13);
    pub const DSS: Roles = Roles(1 << 14);
    /// The catalog's XMP metadata and the trailer's document information.
    pub const METADATA: Roles = Roles(1 << 15);
    /// Cross-reference and object streams: how objects are stored, not what they are.
    pub const STRUCTURAL: Roles = Roles(1 << 16);
    /// Reached from the catalog some other way (names, outlines, actions, structure…).
    pub const OTHER: Roles = Roles(1 << 17);
    /// A page's /Annots array kept as an object of its own: judged as the page's list.
    pub const ANNOTATION_LIST: Roles = Roles(1 << 18);

    pub fn contains(self, other: Roles) -> bool {
        self.0 & other.0 != 0
    }
    pub fn is_empty(self) -> bool {
        self.0 == 0
    }
    pub fn union(self, other: Roles) -> Roles {
        Roles(self.0 | other.0)
    }

    /// The most telling role, for messages.
    pub fn describe(self) -> &'static str {
        const ORDER: [(Roles, &str); 19] = [
            (Roles::ANNOTATION_LIST, "a page's list of annotations"),
            (Roles::CATALOG, "the document catalog"),
            (Roles::PAGE_TREE, "the page tree"),
            (Roles::PAGE, "a page"),
            (Roles::CONTENT, "page content"),
            (Roles::SIG_VALUE, "a signature value"),
            (Roles::DTS_VALUE, "a document timestamp"),
            (
                Roles::SIGNED_APPEARANCE,
                "the appearance of a signed signature",
            ),
            (Roles::SIG_FIELD, "a signature field"),
            (Roles::DTS_FIELD, "a document timestamp field"),
            (Roles::EMPTY_SIG_APPEARANCE, "a signature appearance"),
            (Roles::FORM_FIELD, "a form field"),
            (Roles::FORM_APPEARANCE, "a form field's appearance"),
            (Roles::ANNOTATION, "an annotation"),
            (Roles::ACROFORM, "the interactive form"),
            (Roles::DSS, "validation data (DSS)"),
            (Roles::METADATA, "metadata"),
            (Roles::STRUCTURAL, "a cross-reference or object stream"),
            (Roles::OTHER, "document-level data"),
        ];
        ORDER
            .iter()
            .find(|(role, _)| self.contains(*role))
            .map_or("an unreferenced object", |(_, name)| name)
    }
}

/// Every object's roles in one revision, and where its pages and annotations are.
#[derive(Debug, Default)]
pub(super) struct Graph {
    roles: HashMap<u32, Roles>,
    /// Page object number → page number (1-based).
    pub pages: HashMap<u32, usize>,
    /// The catalog's object number.
    pub root: Option<u32>,
    /// Annotations (widgets included) by page number, with their rectangles.
    pub annotations: HashMap<u32, (usize, Option<[f64; 4]>)>,
    /// Indirect /Annots arrays → their page number.
    pub annotation_lists: HashMap<u32, usize>,
}

impl Graph {
    pub fn roles(&self, num: u32) -> Roles {
        self.roles.get(&num).copied().unwrap_or_default()
    }

    fn add(&mut self, num: u32, role: Roles) {
        let entry = self.roles.entry(num).or_default();
        *entry = entry.union(role);
    }
}

/// An object by number, whatever its generation (a revision holds one of each number).
pub(super) fn object(doc: &lopdf::Document, num: u32) -> Option<&Object> {
    doc.objects
        .range((num, 0)..=(num, u16::MAX))
        .next()
        .map(|(_, o)| o)
}

fn dict_of(obj: &Object) -> Option<&Dictionary> {
    match obj {
        Object::Dictionary(d) => Some(d),
        Object::Stream(s) => Some(&s.dict),
        _ => None,
    }
}

/// The dictionary `obj` is or refers to.
pub(super) fn resolve_dict<'a>(
    doc: &'a lopdf::Document,
    obj: &'a Object,
) -> Option<&'a Dictionary> {
    match obj {
        Object::Reference((num, _)) => object(doc, *num).and_then(dict_of),
        other => dict_of(other),
    }
}

fn name<'a>(dict: &'a Dictionary, key: &[u8]) -> Option<&'a [u8]> {
    match dict.get(key).ok()? {
        Object::Name(n) => Some(n.as_slice()),
        _ => None,
    }
}

/// References directly inside `obj` (not through other objects).
fn refs_in(obj: &Object, skip: &[&[u8]], out: &mut Vec<ObjectId>, depth: usize) {
    if depth > MAX_DEPTH {
        return;
    }
    match obj {
        Object::Reference(id) => out.push(*id),
        Object::Array(items) => items.iter().for_each(|o| refs_in(o, skip, out, depth + 1)),
        Object::Dictionary(d) => refs_in_dict(d, skip, out, depth),
        Object::Stream(s) => refs_in_dict(&s.dict, skip, out, depth),
        _ => {}
    }
}

fn refs_in_dict(d: &Dictionary, skip: &[&[u8]], out: &mut Vec<ObjectId>, depth: usize) {
    for (key, value) in d.iter() {
        if !skip.contains(&key.as_slice()) {
            refs_in(value, skip, out, depth + 1);
        }
    }
}

/// Back-references that would climb from a part to its whole (a page to its tree, an
/// annotation to its page, a field to its parent) are not followed.
const UPWARD: &[&[u8]] = &[b"Parent", b"P"];

/// Gives `role` to everything reachable from `start` (itself included), not climbing up.
fn mark_reachable(
    doc: &lopdf::Document,
    graph: &mut Graph,
    start: &Object,
    role: Roles,
    budget: &mut usize,
) {
    let mut stack = Vec::new();
    refs_in(start, UPWARD, &mut stack, 0);
    let mut seen = HashSet::new();
    while let Some((num, _)) = stack.pop() {
        if *budget == 0 || !seen.insert(num) {
            continue;
        }
        *budget -= 1;
        graph.add(num, role);
        if let Some(obj) = object(doc, num) {
            refs_in(obj, UPWARD, &mut stack, 0);
        }
    }
}

/// Reads the roles of every object of `doc`; `dts_fields` are the field object numbers whose
/// value is a document timestamp (known from the signatures already read).
pub(super) fn graph(doc: &lopdf::Document, dts_fields: &HashSet<u32>) -> Graph {
    let mut g = Graph::default();
    let mut budget = MAX_NODES;
    for ((num, _), obj) in &doc.objects {
        if let Some(d) = dict_of(obj) {
            if matches!(name(d, b"Type"), Some(b"XRef") | Some(b"ObjStm")) {
                g.add(*num, Roles::STRUCTURAL);
            }
        }
    }
    if let Ok(info) = doc.trailer.get(b"Info") {
        if let Object::Reference((num, _)) = info {
            g.add(*num, Roles::METADATA);
        }
        mark_reachable(doc, &mut g, info, Roles::METADATA, &mut budget);
    }
    let Ok(Object::Reference((root, _))) = doc.trailer.get(b"Root") else {
        return g;
    };
    let root = *root;
    g.root = Some(root);
    g.add(root, Roles::CATALOG);
    let Some(catalog) = object(doc, root).and_then(dict_of) else {
        return g;
    };
    if let Ok(pages) = catalog.get(b"Pages") {
        walk_pages(doc, &mut g, pages, &mut budget);
    }
    if let Ok(acroform) = catalog.get(b"AcroForm") {
        walk_form(doc, &mut g, acroform, dts_fields, &mut budget);
    }
    for (key, value) in catalog.iter() {
        let role = match key.as_slice() {
            b"Pages" | b"AcroForm" => continue,
            b"DSS" => Roles::DSS,
            b"Metadata" => Roles::METADATA,
            _ => Roles::OTHER,
        };
        mark_reachable(doc, &mut g, value, role, &mut budget);
    }
    g
}

fn walk_pages(doc: &lopdf::Document, g: &mut Graph, top: &Object, budget: &mut usize) {
    let mut stack: Vec<(Object, usize)> = vec![(top.clone(), 0)];
    let mut seen = HashSet::new();
    let mut next_page = 1usize;
    while let Some((node, depth)) = stack.pop() {
        let Object::Reference((num, _)) = node else {
            continue;
        };
        if depth > MAX_DEPTH || *budget == 0 || !seen.insert(num) {
            continue;
        }
        *budget -= 1;
        let Some(dict) = object(doc, num).and_then(dict_of) else {
            continue;
        };
        let is_tree = name(dict, b"Type") == Some(b"Pages") || dict.get(b"Kids").is_ok();
        if is_tree {
            g.add(num, Roles::PAGE_TREE);
            if let Ok(Object::Array(kids)) = dict.get(b"Kids") {
                // Reversed onto the stack so that pages are numbered in order.
                for kid in kids.iter().rev() {
                    stack.push((kid.clone(), depth + 1));
                }
            }
            // Inherited resources and the like: what the tree's pages show.
            for (key, value) in dict.iter() {
                if !matches!(key.as_slice(), b"Kids" | b"Parent") {
                    mark_reachable(doc, g, value, Roles::CONTENT, budget);
                }
            }
            continue;
        }
        g.add(num, Roles::PAGE);
        let page = next_page;
        next_page += 1;
        g.pages.insert(num, page);
        for (key, value) in dict.iter() {
            match key.as_slice() {
                b"Parent" => {}
                b"Annots" => annotations(doc, g, value, page, budget),
                _ => mark_reachable(doc, g, value, Roles::CONTENT, budget),
            }
        }
    }
}

fn annotations(
    doc: &lopdf::Document,
    g: &mut Graph,
    annots: &Object,
    page: usize,
    budget: &mut usize,
) {
    let list = match annots {
        Object::Reference((num, _)) => {
            // An indirect /Annots array is the page's list, whatever object holds it.
            g.add(*num, Roles::ANNOTATION_LIST);
            g.annotation_lists.insert(*num, page);
            match object(doc, *num) {
                Some(Object::Array(items)) => items.clone(),
                _ => return,
            }
        }
        Object::Array(items) => items.clone(),
        _ => return,
    };
    for annot in &list {
        let Object::Reference((num, _)) = annot else {
            continue;
        };
        let Some(dict) = object(doc, *num).and_then(dict_of) else {
            continue;
        };
        g.annotations.insert(*num, (page, rect(dict)));
        if name(dict, b"Subtype") != Some(b"Widget") {
            g.add(*num, Roles::ANNOTATION);
            mark_reachable(doc, g, annot, Roles::ANNOTATION, budget);
        }
        // Widgets get their roles from the form's fields.
    }
}

pub(super) fn rect(dict: &Dictionary) -> Option<[f64; 4]> {
    let Ok(Object::Array(items)) = dict.get(b"Rect") else {
        return None;
    };
    let mut out = [0.0; 4];
    if items.len() != 4 {
        return None;
    }
    for (slot, item) in out.iter_mut().zip(items) {
        *slot = match item {
            Object::Integer(i) => *i as f64,
            Object::Real(r) => f64::from(*r),
            _ => return None,
        };
    }
    Some(out)
}

fn walk_form(
    doc: &lopdf::Document,
    g: &mut Graph,
    acroform: &Object,
    dts_fields: &HashSet<u32>,
    budget: &mut usize,
) {
    if let Object::Reference((num, _)) = acroform {
        g.add(*num, Roles::ACROFORM);
    }
    let Some(form) = resolve_dict(doc, acroform) else {
        return;
    };
    for (key, value) in form.iter() {
        if key.as_slice() != b"Fields" {
            mark_reachable(doc, g, value, Roles::ACROFORM, budget);
        }
    }
    let Ok(Object::Array(fields)) = form.get(b"Fields") else {
        return;
    };
    let mut stack: Vec<(Object, Option<Vec<u8>>, usize)> =
        fields.iter().map(|f| (f.clone(), None, 0)).collect();
    let mut seen = HashSet::new();
    while let Some((node, inherited_type, depth)) = stack.pop() {
        let Object::Reference((num, _)) = node else {
            continue;
        };
        if depth > MAX_DEPTH || *budget == 0 || !seen.insert(num) {
            continue;
        }
        *budget -= 1;
        let Some(dict) = object(doc, num).and_then(dict_of) else {
            continue;
        };
        let field_type = name(dict, b"FT").map(<[u8]>::to_vec).or(inherited_type);
        let is_sig = field_type.as_deref() == Some(b"Sig");
        let signed = dict.get(b"V").is_ok();
        if is_sig {
            let is_dts = dts_fields.contains(&num);
            g.add(
                num,
                if is_dts {
                    Roles::DTS_FIELD
                } else {
                    Roles::SIG_FIELD
                },
            );
            if let Ok(Object::Reference((v, _))) = dict.get(b"V") {
                let role = if is_dts {
                    Roles::DTS_VALUE
                } else {
                    Roles::SIG_VALUE
                };
                g.add(*v, role);
            }
        } else {
            g.add(num, Roles::FORM_FIELD);
        }
        let appearance_role = match (is_sig, signed) {
            (true, true) => Roles::SIGNED_APPEARANCE,
            (true, false) => Roles::EMPTY_SIG_APPEARANCE,
            (false, _) => Roles::FORM_APPEARANCE,
        };
        if let Ok(ap) = dict.get(b"AP") {
            mark_reachable(doc, g, ap, appearance_role, budget);
        }
        if let Ok(Object::Array(kids)) = dict.get(b"Kids") {
            for kid in kids {
                stack.push((kid.clone(), field_type.clone(), depth + 1));
            }
        }
    }
}
