//! The page tree (ISO 32000-1 §7.7.3): the page count, and one page found by walking only the
//! path to it, with the attributes it inherits. Cycles and depth are bounded.

use std::collections::HashSet;

use super::document::Document;
use super::error::{malformed, SyntaxError};
use super::object::{Dict, ObjRef, Object};

/// Bound on page-tree depth.
const MAX_TREE_DEPTH: usize = 64;
/// Bound on the pages one document may have.
pub const MAX_PAGES: usize = 100_000;

/// A4 in points, for a page that names no /MediaBox.
const DEFAULT_MEDIA_BOX: [f64; 4] = [0.0, 0.0, 595.28, 841.89];

/// A page and the attributes it inherits from its ancestors.
#[derive(Debug, Clone)]
pub struct Page {
    pub reference: ObjRef,
    pub dict: Dict,
    pub inherited: Dict,
}

impl Document<'_> {
    /// Number of pages, from the root of the page tree.
    pub fn page_count(&self) -> Result<usize, SyntaxError> {
        let pages = self.pages_root()?;
        let d = self.resolve_dict(pages)?;
        Ok(d.int("Count").unwrap_or(0).max(0) as usize)
    }

    fn pages_root(&self) -> Result<ObjRef, SyntaxError> {
        self.catalog()?
            .get("Pages")
            .and_then(Object::as_ref)
            .ok_or_else(|| malformed("the catalog has no /Pages reference"))
    }

    /// The page at `index` (0-based), walking only the path to it and collecting the
    /// inheritable attributes (§7.7.3.4) on the way.
    pub fn page(&self, index: usize) -> Result<Page, SyntaxError> {
        let mut node = self.pages_root()?;
        let mut remaining = index;
        let mut inherited = Dict::new();
        let mut visited = HashSet::new();
        for _ in 0..MAX_TREE_DEPTH {
            if !visited.insert(node) {
                return Err(malformed("the page tree contains a cycle"));
            }
            let dict = self.resolve_dict(node)?;
            inherit(&dict, &mut inherited);
            if is_leaf(&dict) {
                if remaining == 0 {
                    return Ok(Page {
                        reference: node,
                        dict,
                        inherited,
                    });
                }
                return Err(SyntaxError::NoPages);
            }
            let kids = self.get_array(&dict, "Kids")?.unwrap_or_default();
            let mut next = None;
            for kid in kids {
                let Some(kr) = kid.as_ref() else { continue };
                let kd = self.resolve_dict(kr)?;
                let count = if is_leaf(&kd) {
                    1
                } else {
                    kd.int("Count").unwrap_or(0).max(0) as usize
                };
                match remaining.checked_sub(count) {
                    None => {
                        next = Some(kr);
                        break;
                    }
                    Some(left) => remaining = left,
                }
            }
            node = next.ok_or_else(|| {
                malformed(format!(
                    "page {} is not in the page tree",
                    index.saturating_add(1)
                ))
            })?;
        }
        Err(malformed("the page tree is too deep"))
    }
}

impl Document<'_> {
    /// Every page in order, with what each inherits, walking the tree once: each node is read
    /// once, so the cost is linear in the size of the tree (asking [`Document::page`] for every
    /// index would read the kids of a flat tree once per page).
    pub fn pages(&self) -> Result<Vec<Page>, SyntaxError> {
        let mut pages = Vec::new();
        let mut visited = HashSet::new();
        // Depth-first, kids in order: (node, what it inherits, depth).
        let mut stack = vec![(self.pages_root()?, Dict::new(), 0usize)];
        while let Some((node, mut inherited, depth)) = stack.pop() {
            if depth >= MAX_TREE_DEPTH {
                return Err(malformed("the page tree is too deep"));
            }
            if !visited.insert(node) {
                return Err(malformed("the page tree contains a cycle"));
            }
            let dict = self.resolve_dict(node)?;
            inherit(&dict, &mut inherited);
            if is_leaf(&dict) {
                if pages.len() >= MAX_PAGES {
                    return Err(SyntaxError::Limit(format!(
                        "it has more than {MAX_PAGES} pages"
                    )));
                }
                pages.push(Page {
                    reference: node,
                    dict,
                    inherited,
                });
                continue;
            }
            let kids = self.get_array(&dict, "Kids")?.unwrap_or_default();
            let next_depth = depth.saturating_add(1);
            for kid in kids.iter().rev() {
                if let Some(kr) = kid.as_ref() {
                    stack.push((kr, inherited.clone(), next_depth));
                }
            }
            if stack.len() > MAX_PAGES.saturating_mul(2) {
                return Err(SyntaxError::Limit(format!(
                    "its page tree has more than {MAX_PAGES} pages"
                )));
            }
        }
        Ok(pages)
    }
}

/// Takes over the attributes a node passes down to its pages (§7.7.3.4).
fn inherit(node: &Dict, inherited: &mut Dict) {
    for key in ["MediaBox", "CropBox", "Rotate", "Resources"] {
        if let Some(v) = node.get(key) {
            inherited.set(key, v.clone());
        }
    }
}

/// A page, or a node of the tree that has no kids (treated as one page).
fn is_leaf(node: &Dict) -> bool {
    node.name("Type") == Some(b"Page") || node.get("Kids").is_none()
}

impl Page {
    /// The visible box: CropBox clipped to MediaBox, normalised so x0 < x1, y0 < y1.
    pub fn visible_box(&self) -> [f64; 4] {
        let read = |key: &str| -> Option<[f64; 4]> {
            let a = self.inherited.get(key)?.as_array()?;
            let v: Vec<f64> = a.iter().filter_map(Object::as_f64).collect();
            let &[x0, y0, x1, y1] = v.as_slice() else {
                return None;
            };
            Some([x0.min(x1), y0.min(y1), x0.max(x1), y0.max(y1)])
        };
        let media = read("MediaBox").unwrap_or(DEFAULT_MEDIA_BOX);
        let [mx0, my0, mx1, my1] = media;
        match read("CropBox") {
            Some([cx0, cy0, cx1, cy1]) => [cx0.max(mx0), cy0.max(my0), cx1.min(mx1), cy1.min(my1)],
            None => media,
        }
    }
    /// /Rotate normalised to 0, 90, 180 or 270.
    pub fn rotation(&self) -> i64 {
        let quarter_turns = self
            .inherited
            .int("Rotate")
            .map_or(0, |r| r.rem_euclid(360) / 90);
        quarter_turns.saturating_mul(90)
    }
}
