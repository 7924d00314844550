//! B-LTA: document timestamps (ETSI EN 319 142-1 §5.5), a signature revision whose /Contents
//! is an RFC 3161 token over the whole file; what each level adds after a signature; and the
//! long-term renewal that extends an already signed result.

use crate::cms::Timestamper;

use super::dss::append_dss;
use super::error::PdfError;
use super::inspect::signatures;
use super::request::{PadesLevel, Validation};
use super::revision::{signature_revision, FieldPlan, SigDictSpec};
use super::session::{unique_name, Session};

/// Bytes reserved for a timestamp token: the token and the TSA's certificate.
const TOKEN_RESERVE: usize = 8192;

/// Long-term renewal (ETSI EN 319 142-1 §5.5, B-LTA): appends to an already signed `input` a
/// DSS revision with `validation`'s certificates and CRLs — the material that proves the
/// previous timestamps were valid while their TSA certificates still are — and then a fresh
/// document timestamp over the whole file. Returns the bytes to append; `input` is untouched.
/// The same operation repeated before each TSA certificate expires keeps a result provable
/// for as long as the archive keeps it.
pub fn add_document_timestamp(
    input: &[u8],
    validation: &Validation<'_>,
) -> Result<Vec<u8>, PdfError> {
    let tsa = validation
        .timestamper
        .ok_or(PdfError::NoTimestamper(PadesLevel::BLTA))?;
    let mut s = Session::open(input)?;
    if signatures(&s.doc()?)?.is_empty() {
        return Err(PdfError::malformed(
            "the PDF carries no signature to preserve; sign it before renewing",
        ));
    }
    finish_levels(&mut s, PadesLevel::BLT, &[], &[], validation)?;
    doc_timestamp(&mut s, tsa)?;
    Ok(s.appendix)
}

/// What follows the signatures at `level`: the DSS for B-LT and above, a document timestamp
/// for B-LTA.
pub(super) fn finish_levels(
    s: &mut Session<'_>,
    level: PadesLevel,
    signer_certs: &[&[u8]],
    chains: &[&[Vec<u8>]],
    validation: &Validation<'_>,
) -> Result<(), PdfError> {
    if level >= PadesLevel::BLT {
        append_dss(s, signer_certs, chains, validation)?;
    }
    if level >= PadesLevel::BLTA {
        let tsa = validation
            .timestamper
            .ok_or(PdfError::NoTimestamper(level))?;
        doc_timestamp(s, tsa)?;
    }
    Ok(())
}

/// Appends a document timestamp in a new invisible field on the last page.
fn doc_timestamp(s: &mut Session<'_>, tsa: &dyn Timestamper) -> Result<(), PdfError> {
    let doc = s.doc()?;
    let fields = doc.fields()?;
    let last = doc.page_count()?.saturating_sub(1);
    let plan = FieldPlan {
        name: unique_name(&fields, "DocTimeStamp"),
        page: last,
        rect: [0.0; 4],
        appearance: None,
    };
    let spec = SigDictSpec {
        doc_timestamp: true,
        signing_time: None,
        reason: None,
        location: None,
        name: None,
        certify: None,
        reserve: TOKEN_RESERVE,
    };
    let mut ph = signature_revision(&doc, s.ends_with_eol(), &plan, &[], &spec)?;
    drop(doc);
    let (a, b) = ph.covered_parts();
    let digest = s.digest(&[a, b]);
    let token = tsa.timestamp(&digest)?;
    ph.fill(&token)?;
    s.appendix.extend_from_slice(ph.bytes());
    Ok(())
}
