//! The interactive form (ISO 32000-1 §12.7): every terminal field with its full name, found by
//! walking /Fields and /Kids. What a field means (a signature, a text box) is for the layers
//! above; cycles and depth are bounded.

use std::collections::HashSet;

use super::document::Document;
use super::error::{malformed, SyntaxError};
use super::object::{Dict, ObjRef, Object};
use super::text::decode_text;

/// Bound on field nesting.
const MAX_FIELD_DEPTH: usize = 64;

/// A terminal form field.
#[derive(Debug, Clone)]
pub struct Field {
    pub reference: ObjRef,
    pub name: String,
    pub field_type: Option<Vec<u8>>,
    pub dict: Dict,
}

impl Document<'_> {
    /// Every terminal field of the interactive form (walking /Kids), with its full name.
    pub fn fields(&self) -> Result<Vec<Field>, SyntaxError> {
        let catalog = self.catalog()?;
        let Some(acroform) = self.get_dict(&catalog, "AcroForm")? else {
            return Ok(Vec::new());
        };
        let roots = self.get_array(&acroform, "Fields")?.unwrap_or_default();
        let mut out = Vec::new();
        let mut visited = HashSet::new();
        for f in roots {
            self.walk_field(&f, String::new(), None, 0, &mut visited, &mut out)?;
        }
        Ok(out)
    }

    fn walk_field(
        &self,
        obj: &Object,
        prefix: String,
        inherited_ft: Option<Vec<u8>>,
        depth: usize,
        visited: &mut HashSet<ObjRef>,
        out: &mut Vec<Field>,
    ) -> Result<(), SyntaxError> {
        if depth > MAX_FIELD_DEPTH {
            return Err(malformed("form fields nest too deeply"));
        }
        let Some(r) = obj.as_ref() else {
            return Ok(());
        };
        if !visited.insert(r) {
            return Ok(());
        }
        let dict = self.resolve_dict(r)?;
        let partial = dict.get("T").and_then(Object::as_bytes).map(decode_text);
        let name = match (&partial, prefix.is_empty()) {
            (Some(p), true) => p.clone(),
            (Some(p), false) => format!("{prefix}.{p}"),
            (None, _) => prefix.clone(),
        };
        let ft = dict.name("FT").map(<[u8]>::to_vec).or(inherited_ft);
        let kids = self.get_array(&dict, "Kids")?.unwrap_or_default();
        // Kids that have a /T are fields; kids without are widgets of this field.
        let mut field_kids = Vec::new();
        for k in &kids {
            if let Some(kr) = k.as_ref() {
                if self.resolve_dict(kr)?.get("T").is_some() {
                    field_kids.push(k.clone());
                }
            }
        }
        if field_kids.is_empty() {
            out.push(Field {
                reference: r,
                name,
                field_type: ft,
                dict,
            });
        } else {
            for k in field_kids {
                self.walk_field(
                    &k,
                    name.clone(),
                    ft.clone(),
                    depth.saturating_add(1),
                    visited,
                    out,
                )?;
            }
        }
        Ok(())
    }
}
