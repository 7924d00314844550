//! One CAdES signature in its own revision: the placeholder revision with the stamp, the
//! digest over the byte ranges, the signed attributes, the signature value (from a credential
//! here, or from an external signer through `external`), and for B-T and above the signature
//! timestamp. [`sign`] is the whole of it for one signature, up to the requested level.

use crate::cms::{self, CmsError, SignOptions, SignedAttributes, Timestamper};
use crate::pdf::render::StampText;
use crate::{crypto::SignatureAlgorithm, pki::Credential};

use super::appearance::Appearance;
use super::error::PdfError;
use super::inspect::signatures;
use super::placeholder::Placeholder;
use super::placement::{default_signer_rect, seal_rect_for, SEAL_D};
use super::request::{
    DocMdp, PadesLevel, SignatureRequest, SignatureRequestView, StampKind, Validation,
};
use super::revision::{signature_revision, FieldPlan, SigDictSpec};
use super::session::{resolve_page, unique_name, Session};
use super::timestamp::finish_levels;

/// Signs `input` at `request.level`; returns the bytes to append.
pub fn sign(
    input: &[u8],
    request: &SignatureRequest<'_>,
    validation: &Validation<'_>,
) -> Result<Vec<u8>, PdfError> {
    let mut s = Session::open(input)?;
    let view = SignatureRequestView::from(request);
    sign_view(&mut s, &view, request.credential, &[], validation)?;
    finish_levels(
        &mut s,
        request.level,
        &[request.credential.certificate_der()],
        &[request.credential.chain_der()],
        validation,
    )?;
    Ok(s.appendix)
}

/// Appends the signature `view` asks for, signed with `credential`; `extra` fields are
/// created empty in the same revision.
pub(super) fn sign_view(
    s: &mut Session<'_>,
    view: &SignatureRequestView<'_>,
    credential: &Credential,
    extra: &[FieldPlan],
    validation: &Validation<'_>,
) -> Result<(), PdfError> {
    let (mut ph, digest) = placeholder(s, view, extra)?;
    let attrs = SignedAttributes::new(
        &digest,
        view.certificate_der,
        &SignOptions { signing_time: None },
    )?;
    let value = credential
        .sign(attrs.bytes_to_sign())
        .map_err(CmsError::from)?;
    let der = build_cms(
        &attrs,
        &value,
        view.algorithm,
        view.certificate_der,
        view.chain_der,
        view.level,
        validation,
    )?;
    ph.fill(&der)?;
    s.appendix.extend_from_slice(ph.bytes());
    Ok(())
}

/// The signature revision with a zero-filled /Contents, and the SHA-256 over its byte ranges
/// (the message-digest attribute).
pub(super) fn placeholder(
    s: &mut Session<'_>,
    view: &SignatureRequestView<'_>,
    extra: &[FieldPlan],
) -> Result<(Placeholder, [u8; 32]), PdfError> {
    let doc = s.doc()?;
    if view.certify.is_some() && !signatures(&doc)?.is_empty() {
        return Err(PdfError::CertifyAfterSignature);
    }
    let existing = doc.fields()?;
    let field_name = match &view.field_name {
        Some(n) => n.clone(),
        None => unique_name(&existing, "Signature"),
    };
    let existing_field = existing.iter().find(|f| f.name == field_name);
    let page = match view.page {
        Some(p) => p,
        None => resolve_page(&doc, view.visible.as_ref().and_then(|v| v.page))?,
    };
    let rect = match (&view.visible, view.rect) {
        (None, _) => [0.0; 4],
        (Some(_), Some(r)) => r,
        (Some(v), None) => match (v.rect, existing_field) {
            (Some(r), _) => r,
            // Filling a pre-placed field: its widget decides.
            (None, Some(_)) => [0.0, 0.0, SEAL_D, SEAL_D],
            (None, None) => {
                let p = doc.page(page)?;
                let signer = default_signer_rect(&p);
                match v.kind {
                    StampKind::Signer => signer,
                    StampKind::Seal => seal_rect_for(&p, signer),
                }
            }
        },
    };
    let appearance = view.visible.as_ref().map(|v| match v.kind {
        StampKind::Signer => Appearance::Signer {
            text: StampText {
                signer_name: v.text.signer_name.clone(),
                position: v.text.position.clone(),
                organisation: v.text.organisation.clone(),
                signing_time: view.signing_time,
            },
            beside_seal: view.seal_beside,
        },
        StampKind::Seal => Appearance::Seal {
            organisation: v.text.organisation.clone(),
            signing_time: view.signing_time,
        },
    });
    // Drawn for the widget's real size: a pre-placed field's own rectangle decides.
    let plan = FieldPlan {
        name: field_name,
        page,
        rect,
        appearance,
    };
    let signer_name = view.visible.as_ref().map(|v| v.text.signer_name.clone());
    let spec = SigDictSpec {
        doc_timestamp: false,
        signing_time: Some(view.signing_time),
        reason: view.reason.as_deref(),
        location: view.location.as_deref(),
        name: signer_name.as_deref().filter(|n| !n.is_empty()),
        certify: view.certify.map(DocMdp::p),
        reserve: view.reserve.unwrap_or_else(|| view.estimated_reserve()),
    };
    let ph = signature_revision(&doc, s.ends_with_eol(), &plan, extra, &spec)?;
    drop(doc);
    let (a, b) = ph.covered_parts();
    let digest = s.digest(&[a, b]);
    Ok((ph, digest))
}

/// CMS with, for B-T and above, the signature timestamp (ETSI EN 319 122-1 §5.3) over the
/// SHA-256 of the signature value.
pub(super) fn build_cms(
    attrs: &SignedAttributes,
    value: &[u8],
    algorithm: SignatureAlgorithm,
    cert: &[u8],
    chain: &[Vec<u8>],
    level: PadesLevel,
    validation: &Validation<'_>,
) -> Result<Vec<u8>, PdfError> {
    let mut unsigned = Vec::new();
    if level >= PadesLevel::BT {
        let tsa: &dyn Timestamper = validation
            .timestamper
            .ok_or(PdfError::NoTimestamper(level))?;
        let token = tsa.timestamp(&crate::crypto::sha256(value))?;
        unsigned.push(signature_timestamp_attribute(&token));
    }
    Ok(cms::assemble(
        attrs, value, algorithm, cert, chain, &unsigned,
    )?)
}

/// `Attribute { id-aa-signatureTimeStampToken, SET { token } }`.
fn signature_timestamp_attribute(token: &[u8]) -> Vec<u8> {
    const ID_AA_SIGNATURE_TIME_STAMP_TOKEN: &[u8] = &[
        0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x09, 0x10, 0x02, 0x0e,
    ];
    let mut w = crate::crypto::der::Writer::with_capacity(token.len() + 32);
    w.sequence(|w| {
        w.oid(ID_AA_SIGNATURE_TIME_STAMP_TOKEN);
        w.constructed(crate::crypto::der::SET, |w| w.raw(token));
    });
    w.into_vec()
}
