//! B-LT: the document security store (ETSI EN 319 142-1 §5.4), a revision holding the
//! certificates, CRLs and OCSP responses a verifier needs as streams, referenced from `/DSS` in
//! the catalog. An existing DSS is extended, not replaced. No `/VRI`: it is optional in PAdES
//! baseline, and verifiers (ours, pyHanko, Acrobat) search the whole store.

use std::collections::HashSet;

use crate::pdf::syntax::{flate, flate_repeated, Dict, Document, Object, Writer};

use super::error::PdfError;
use super::request::Validation;
use super::session::Session;

/// Appends the DSS revision: the signers' certificates and chains, then `validation`'s
/// certificates, CRLs and OCSP responses.
pub(super) fn append_dss(
    s: &mut Session<'_>,
    signer_certs: &[&[u8]],
    chains: &[&[Vec<u8>]],
    validation: &Validation<'_>,
) -> Result<(), PdfError> {
    let mut certs: Vec<&[u8]> = Vec::new();
    for (c, chain) in signer_certs.iter().zip(chains) {
        certs.push(c);
        certs.extend(chain.iter().map(Vec::as_slice));
    }
    certs.extend(validation.certificates.iter().map(Vec::as_slice));
    let crls: Vec<&[u8]> = validation.crls.iter().map(Vec::as_slice).collect();
    let ocsps: Vec<&[u8]> = validation.ocsps.iter().map(Vec::as_slice).collect();
    let doc = s.doc()?;
    let rev = dss_revision(&doc, s.ends_with_eol(), &certs, &crls, &ocsps)?;
    drop(doc);
    s.appendix.extend_from_slice(&rev);
    Ok(())
}

/// The DSS revision after `doc`: each distinct certificate, CRL and response once.
fn dss_revision(
    doc: &Document<'_>,
    ends_with_eol: bool,
    certs: &[&[u8]],
    crls: &[&[u8]],
    ocsps: &[&[u8]],
) -> Result<Vec<u8>, PdfError> {
    let mut up = Writer::update(doc, ends_with_eol);
    let root = doc.root_ref()?;
    let mut catalog = doc.catalog()?;
    let (mut dss, dss_ref) = match catalog.get("DSS").cloned() {
        Some(Object::Ref(r)) => (doc.resolve_dict(r)?, Some(r)),
        Some(Object::Dict(d)) => (d, None),
        _ => (Dict::new().with("Type", Object::name("DSS")), None),
    };
    for (key, items) in [("Certs", certs), ("CRLs", crls), ("OCSPs", ocsps)] {
        let mut arr = doc.get_array(&dss, key)?.unwrap_or_default();
        let mut seen = HashSet::new();
        for der in items {
            if !seen.insert(*der) {
                continue;
            }
            // Certificates and CRLs recur in every signature's DSS; OCSP responses are new.
            let stream = match key {
                "OCSPs" => flate(Dict::new(), der),
                _ => flate_repeated(Dict::new(), der),
            };
            let r = up.add(&stream);
            arr.push(Object::Ref(r));
        }
        if !arr.is_empty() {
            dss.set(key, Object::Array(arr));
        }
    }
    match dss_ref {
        Some(r) => up.write(r, &Object::Dict(dss)),
        None => {
            let r = up.add(&Object::Dict(dss));
            catalog.set("DSS", Object::Ref(r));
            up.write(root, &Object::Dict(catalog));
        }
    }
    Ok(up.finish())
}
