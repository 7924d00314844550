//! Two readers, one verdict. The lazy byte-exact reader (`pdf::Document`) finds signatures and
//! what they cover; lopdf reads each revision whole, as an object graph, for the difference
//! analysis. Where they disagree about what a revision holds — which objects, which pages,
//! which content streams — the file is built to be read two ways, and no verdict can be
//! VALID: that is a parser differential, the ground shadow and incremental-saving attacks
//! stand on.
//!
//! lopdf is not bounded the way our reader is, so it only reads a revision after our reader
//! has resolved every object of it within the budget (object streams inflated included), and
//! it may inflate only the object streams ours inflated: the same bytes, the same budget.

use std::cell::RefCell;
use std::collections::BTreeSet;
use std::panic::{catch_unwind, AssertUnwindSafe};

use crate::pdf::{Document, ObjRef, Object, SyntaxError, XrefEntry};

use super::graph::object;

/// Why a revision could not be compared.
#[derive(Debug)]
pub(crate) enum Unreadable {
    /// Reading it would exceed the budget.
    TooCostly(String),
    /// The two readers disagree, or lopdf cannot read what ours can.
    Disagree(String),
}

/// Reads `bytes` (a whole revision) with lopdf after checking, with our reader `lazy` over the
/// same bytes, that every object can be resolved within the budget; then compares the two.
pub(crate) fn load(
    lazy: &Document<'_>,
    bytes: &[u8],
    gaps: &[(usize, usize)],
    what: &str,
) -> Result<lopdf::Document, Unreadable> {
    let ours = resolvable(lazy, bytes)?;
    let bytes = &without_signature_values(bytes, gaps);
    let containers: BTreeSet<u32> = ours
        .iter()
        .filter_map(|num| match lazy.xref_entry(*num) {
            Some(XrefEntry::InStream { stream, .. }) => Some(stream),
            _ => None,
        })
        .collect();
    INFLATABLE.with(|cell| *cell.borrow_mut() = Some(containers));
    let options = lopdf::LoadOptions {
        filter: Some(only_known_object_streams),
        ..lopdf::LoadOptions::default()
    };
    // lopdf is third-party code over hostile bytes: a panic in it is a disagreement, never a
    // crash of the verification.
    let loaded = catch_unwind(AssertUnwindSafe(|| {
        lopdf::Document::load_mem_with_options(bytes, options)
    }));
    INFLATABLE.with(|cell| *cell.borrow_mut() = None);
    let loaded = loaded
        .map_err(|_| Unreadable::Disagree(format!("the second PDF reader failed on {what}")))?
        .map_err(|e| {
            Unreadable::Disagree(format!("the second PDF reader cannot read {what} ({e})"))
        })?;
    compare(lazy, &ours, &loaded, what)?;
    Ok(loaded)
}

/// A copy of `bytes` whose signature `/Contents` strings read as empty (`<>` then spaces, the
/// same length, so no offset moves). They are tens of kilobytes of hex that lopdf would parse
/// a digit at a time, three times per signature, for nothing: the signatures are checked on
/// the real bytes by our reader, and an empty string in both revisions still differs from any
/// value put anywhere else.
fn without_signature_values(bytes: &[u8], gaps: &[(usize, usize)]) -> Vec<u8> {
    let mut copy = bytes.to_vec();
    for &(start, end) in gaps {
        let Some(gap) = copy.get_mut(start..end) else {
            continue;
        };
        if gap.len() < 2 || gap.first() != Some(&b'<') || gap.last() != Some(&b'>') {
            continue;
        }
        gap.fill(b' ');
        if let Some(open) = gap.first_mut() {
            *open = b'<';
        }
        if let Some(close) = gap.get_mut(1) {
            *close = b'>';
        }
    }
    copy
}

thread_local! {
    /// The object streams lopdf may inflate while it loads on this thread: those our reader
    /// inflated within its budget. lopdf's load filter is a plain function, hence the cell.
    static INFLATABLE: RefCell<Option<BTreeSet<u32>>> = const { RefCell::new(None) };
}

/// lopdf's load filter: drops an object stream our reader did not inflate (lopdf would
/// inflate it without a bound; without it, the objects inside are missing and the readers
/// disagree). lopdf keeps the returned object for objects inside object streams (never
/// streams themselves), and ignores it for the others.
fn only_known_object_streams(
    id: (u32, u16),
    object: &mut lopdf::Object,
) -> Option<((u32, u16), lopdf::Object)> {
    if let lopdf::Object::Stream(stream) = object {
        if stream.dict.has_type(b"ObjStm") {
            let known = INFLATABLE.with(|cell| {
                cell.borrow()
                    .as_ref()
                    .is_some_and(|set| set.contains(&id.0))
            });
            if !known {
                return None;
            }
        }
        // Streams are never inside object streams, so lopdf ignores what is returned for
        // them: no need to copy their data.
        return Some((id, lopdf::Object::Null));
    }
    Some((id, object.clone()))
}

/// The numbers of the objects our reader finds in `doc` (`bytes`, its data): an object the
/// xref places in the file counts when its `N G obj` header is where the xref says (parsing
/// every object again, signature values and all, would double the cost of a verification);
/// an object in an object stream counts when it resolves, which inflates every object stream
/// within the budget before lopdf may inflate it. An object that cannot be read is left out,
/// as a lenient reader leaves it out.
fn resolvable(doc: &Document<'_>, bytes: &[u8]) -> Result<BTreeSet<u32>, Unreadable> {
    let mut out = BTreeSet::new();
    for num in doc.object_numbers() {
        let generation = match doc.xref_entry(num) {
            Some(XrefEntry::Offset(offset, g)) => {
                if header_at(bytes, offset, num, g) {
                    out.insert(num);
                }
                continue;
            }
            Some(XrefEntry::InStream { .. }) => 0,
            _ => continue,
        };
        match doc.resolve(ObjRef::new(num, generation)) {
            Ok(_) => {
                out.insert(num);
            }
            Err(SyntaxError::Limit(why)) => return Err(Unreadable::TooCostly(why)),
            Err(_) => {}
        }
    }
    Ok(out)
}

/// Whether `N G obj` starts at `offset` (after optional white space).
fn header_at(bytes: &[u8], offset: usize, num: u32, generation: u16) -> bool {
    let Some(rest) = bytes.get(offset..) else {
        return false;
    };
    let text = rest.get(..rest.len().min(48)).unwrap_or_default();
    let mut words = text
        .split(|b| matches!(b, b' ' | b'\t' | b'\r' | b'\n' | b'\x0c' | 0))
        .filter(|w| !w.is_empty());
    let number = words
        .next()
        .and_then(|w| std::str::from_utf8(w).ok()?.parse::<u32>().ok());
    let gen = words
        .next()
        .and_then(|w| std::str::from_utf8(w).ok()?.parse::<u16>().ok());
    let keyword = words.next();
    number == Some(num)
        && gen == Some(generation)
        && keyword.is_some_and(|k| k == b"obj" || k.starts_with(b"obj<") || k.starts_with(b"obj["))
}

fn compare(
    lazy: &Document<'_>,
    ours: &BTreeSet<u32>,
    theirs: &lopdf::Document,
    what: &str,
) -> Result<(), Unreadable> {
    let disagree = |detail: String| {
        Unreadable::Disagree(format!(
            "the two PDF readers disagree about {what}: {detail}"
        ))
    };
    let their_numbers: BTreeSet<u32> = theirs.objects.keys().map(|(num, _)| *num).collect();
    if *ours != their_numbers {
        let only_ours: Vec<u32> = ours.difference(&their_numbers).take(5).copied().collect();
        let only_theirs: Vec<u32> = their_numbers.difference(ours).take(5).copied().collect();
        return Err(disagree(format!(
            "objects only one of them reads (ours {only_ours:?}, lopdf {only_theirs:?})"
        )));
    }
    let our_root = lazy.root_ref().ok().map(|r| r.num);
    let their_root = match theirs.trailer.get(b"Root") {
        Ok(lopdf::Object::Reference((num, _))) => Some(*num),
        _ => None,
    };
    if our_root != their_root {
        return Err(disagree("the document catalog".to_owned()));
    }
    let pages = match lazy.pages() {
        Ok(pages) => pages,
        Err(SyntaxError::Limit(why)) => return Err(Unreadable::TooCostly(why)),
        Err(e) => return Err(disagree(format!("the page tree ({e})"))),
    };
    let their_pages = page_numbers(theirs);
    let our_pages: Vec<u32> = pages.iter().map(|p| p.reference.num).collect();
    if our_pages != their_pages {
        return Err(disagree(format!(
            "the pages ({} against {})",
            our_pages.len(),
            their_pages.len()
        )));
    }
    for (index, page) in pages.iter().enumerate() {
        let ours = content_streams(lazy, page.dict.get("Contents"))?;
        let theirs = their_content_streams(theirs, page.reference.num);
        if ours != theirs {
            return Err(disagree(format!("the content of page {}", index + 1)));
        }
    }
    Ok(())
}

/// The raw bytes of each content stream of a page, in order.
fn content_streams(
    doc: &Document<'_>,
    contents: Option<&Object>,
) -> Result<Vec<Vec<u8>>, Unreadable> {
    let refs: Vec<ObjRef> = match contents {
        Some(Object::Ref(r)) => match doc.resolve(*r) {
            Ok(Object::Array(items)) => items.iter().filter_map(Object::as_ref).collect(),
            Ok(_) => vec![*r],
            Err(SyntaxError::Limit(why)) => return Err(Unreadable::TooCostly(why)),
            Err(_) => Vec::new(),
        },
        Some(Object::Array(items)) => items.iter().filter_map(Object::as_ref).collect(),
        _ => Vec::new(),
    };
    let mut out = Vec::with_capacity(refs.len());
    for r in refs {
        match doc.resolve(r) {
            Ok(Object::Stream(_, data)) => out.push(data),
            Ok(_) => out.push(Vec::new()),
            Err(SyntaxError::Limit(why)) => return Err(Unreadable::TooCostly(why)),
            Err(_) => out.push(Vec::new()),
        }
    }
    Ok(out)
}

fn their_content_streams(doc: &lopdf::Document, page: u32) -> Vec<Vec<u8>> {
    let Some(dict) = object(doc, page).and_then(|o| o.as_dict().ok()) else {
        return Vec::new();
    };
    let items: Vec<lopdf::Object> = match dict.get(b"Contents") {
        Ok(lopdf::Object::Reference((num, _))) => match object(doc, *num) {
            Some(lopdf::Object::Array(items)) => items.clone(),
            Some(_) => vec![lopdf::Object::Reference((*num, 0))],
            None => Vec::new(),
        },
        Ok(lopdf::Object::Array(items)) => items.clone(),
        _ => Vec::new(),
    };
    items
        .iter()
        .filter_map(|o| match o {
            lopdf::Object::Reference((num, _)) => Some(match object(doc, *num) {
                Some(lopdf::Object::Stream(s)) => s.content.clone(),
                _ => Vec::new(),
            }),
            _ => None,
        })
        .collect()
}

/// lopdf's pages in order, walked here with a visited set (its own iterator trusts the tree).
fn page_numbers(doc: &lopdf::Document) -> Vec<u32> {
    let mut out = Vec::new();
    let Ok(lopdf::Object::Reference((root, _))) = doc.trailer.get(b"Root") else {
        return out;
    };
    let Some(pages) = object(doc, *root)
        .and_then(|o| o.as_dict().ok())
        .and_then(|c| c.get(b"Pages").ok())
        .and_then(|p| p.as_reference().ok())
    else {
        return out;
    };
    let mut stack = vec![(pages.0, 0usize)];
    let mut seen = BTreeSet::new();
    while let Some((num, depth)) = stack.pop() {
        if depth > 64 || out.len() > 200_000 || !seen.insert(num) {
            continue;
        }
        let Some(dict) = object(doc, num).and_then(|o| o.as_dict().ok()) else {
            continue;
        };
        match dict.get(b"Kids") {
            Ok(lopdf::Object::Array(kids)) => {
                for kid in kids.iter().rev() {
                    if let lopdf::Object::Reference((k, _)) = kid {
                        stack.push((*k, depth + 1));
                    }
                }
            }
            _ => out.push(num),
        }
    }
    out
}
