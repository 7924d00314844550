//! Reading the signatures a document carries: every signed signature field with its
//! signature dictionary (/ByteRange, /Contents, /SubFilter, /M), and the DocMDP permission of a
//! certified document. The dictionaries are untrusted (a verifier reads them from any file),
//! so this file is held to the same lints as the syntax layer: anything malformed is an error
//! or an empty value, never a panic.

#![deny(
    clippy::indexing_slicing,
    clippy::arithmetic_side_effects,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic
)]

use crate::pdf::syntax::{decode_text, Dict, Document, ObjRef, Object, SyntaxError};

/// A signature found in a document.
#[derive(Debug, Clone)]
pub struct SignatureInfo {
    pub field_name: String,
    pub field: ObjRef,
    /// `/Sig` or `/DocTimeStamp`.
    pub kind: Option<String>,
    pub sub_filter: Option<String>,
    /// The /ByteRange integers as written (a verifier checks their shape).
    pub byte_range: Vec<i64>,
    /// The /Contents bytes (DER, zero-padded).
    pub contents: Vec<u8>,
    pub signing_time: Option<String>,
    pub dictionary: Dict,
}

/// Every signed signature field with its signature dictionary, in the order of the bytes
/// they cover: for a verifier.
pub fn signatures(doc: &Document<'_>) -> Result<Vec<SignatureInfo>, SyntaxError> {
    let mut out = Vec::new();
    for field in doc.fields()? {
        if field.field_type.as_deref() != Some(b"Sig") {
            continue;
        }
        let Some(v) = doc.get_dict(&field.dict, "V")? else {
            continue;
        };
        let byte_range = v
            .get("ByteRange")
            .and_then(Object::as_array)
            .map(|a| a.iter().filter_map(Object::as_int).collect())
            .unwrap_or_default();
        let contents = v
            .get("Contents")
            .and_then(Object::as_bytes)
            .map(<[u8]>::to_vec)
            .unwrap_or_default();
        out.push(SignatureInfo {
            field_name: field.name,
            field: field.reference,
            sub_filter: v
                .name("SubFilter")
                .map(|n| String::from_utf8_lossy(n).into_owned()),
            kind: v
                .name("Type")
                .map(|n| String::from_utf8_lossy(n).into_owned()),
            byte_range,
            contents,
            signing_time: v.get("M").and_then(Object::as_bytes).map(decode_text),
            dictionary: v,
        });
    }
    out.sort_by_key(|s| s.byte_range.get(2).copied().unwrap_or(0));
    Ok(out)
}

/// The DocMDP permission (1, 2 or 3) of a certified document, if it is certified.
pub fn docmdp_permission(doc: &Document<'_>) -> Result<Option<i64>, SyntaxError> {
    let catalog = doc.catalog()?;
    let Some(perms) = doc.get_dict(&catalog, "Perms")? else {
        return Ok(None);
    };
    let Some(sig) = doc.get_dict(&perms, "DocMDP")? else {
        return Ok(None);
    };
    for reference in doc.get_array(&sig, "Reference")?.unwrap_or_default() {
        let Object::Dict(r) = doc.get(&reference)? else {
            continue;
        };
        if r.name("TransformMethod") == Some(b"DocMDP") {
            let p = doc
                .get_dict(&r, "TransformParams")?
                .and_then(|t| t.int("P"))
                .unwrap_or(2);
            return Ok(Some(p));
        }
    }
    Ok(Some(2))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    #[test]
    fn an_unsigned_document_has_no_signatures() {
        let pdf = crate::pdf::render::text_document("T", &["a"]);
        let doc = Document::open(&pdf).unwrap();
        assert!(signatures(&doc).unwrap().is_empty());
        assert_eq!(docmdp_permission(&doc).unwrap(), None);
    }
}
