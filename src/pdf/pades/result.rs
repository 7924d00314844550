//! The result of a procedure (Decree 30/2020): the optional QR mark, the competent signer's
//! certification signature, then the organisation's seal over the left third of the signer's
//! stamp, then what the level asks for.

use super::error::PdfError;
use super::mark::{add_top_left, TopLeftMark};
use super::placement::{default_signer_rect, seal_rect_for};
use super::request::{DocMdp, SignatureRequest, SignatureRequestView, Validation};
use super::revision::FieldPlan;
use super::session::{resolve_page, Session};
use super::signature::sign_view;
use super::timestamp::finish_levels;

/// The result of a procedure: the optional QR mark, the competent signer's certification
/// signature (DocMDP P=2; the seal's empty field is created in the same revision so the seal
/// only fills it), the seal's approval signature, then DSS and document timestamp as `level`
/// requires (the higher of the two requests' levels).
pub fn sign_result(
    input: &[u8],
    signer: &SignatureRequest<'_>,
    seal: &SignatureRequest<'_>,
    qr: Option<&dyn TopLeftMark>,
    validation: &Validation<'_>,
) -> Result<Vec<u8>, PdfError> {
    let mut s = Session::open(input)?;
    if let Some(mark) = qr {
        add_top_left(&mut s, mark)?;
    }
    let doc = s.doc()?;
    let page = resolve_page(&doc, signer.visible.as_ref().and_then(|v| v.page))?;
    let page_obj = doc.page(page)?;
    let signer_rect = signer
        .visible
        .as_ref()
        .and_then(|v| v.rect)
        .unwrap_or_else(|| default_signer_rect(&page_obj));
    let seal_page = match seal.visible.as_ref() {
        Some(v) => resolve_page(&doc, v.page.or(Some(page)))?,
        None => page,
    };
    let seal_rect = match seal.visible.as_ref() {
        Some(v) => v
            .rect
            .unwrap_or_else(|| seal_rect_for(&page_obj, signer_rect)),
        None => [0.0; 4],
    };
    drop(doc);
    let seal_name = seal.field_name.clone().unwrap_or_else(|| "Seal".into());
    let seal_field = FieldPlan {
        name: seal_name.clone(),
        page: seal_page,
        rect: seal_rect,
        appearance: None,
    };
    let mut signer_req = SignatureRequestView::from(signer);
    signer_req.certify = Some(signer.certify.unwrap_or(DocMdp::FormFilling));
    signer_req.rect = Some(signer_rect);
    signer_req.page = Some(page);
    // The seal's default place overlaps the stamp's left third.
    signer_req.seal_beside = seal.visible.as_ref().is_some_and(|v| v.rect.is_none());
    if signer_req.field_name.is_none() {
        signer_req.field_name = Some("Signature".into());
    }
    sign_view(
        &mut s,
        &signer_req,
        signer.credential,
        std::slice::from_ref(&seal_field),
        validation,
    )?;
    let mut seal_req = SignatureRequestView::from(seal);
    seal_req.field_name = Some(seal_name);
    seal_req.certify = None;
    sign_view(&mut s, &seal_req, seal.credential, &[], validation)?;
    let level = signer.level.max(seal.level);
    finish_levels(
        &mut s,
        level,
        &[
            signer.credential.certificate_der(),
            seal.credential.certificate_der(),
        ],
        &[signer.credential.chain_der(), seal.credential.chain_der()],
        validation,
    )?;
    Ok(s.appendix)
}
