//! PAdES signing (ETSI EN 319 142-1) by incremental update: B-B, B-T, B-LT, B-LTA; the
//! two-signature result (certification by the competent signer, then the organisation's seal);
//! and external signing in two steps. See docs/pades.md for the layout and the reasons.
//!
//! Every function takes the input as `&[u8]` and returns only the bytes to APPEND, so the
//! caller streams `input ‖ appendix` and a large input is never copied. The input is hashed
//! exactly once per call: the SHA-256 state after the input is cloned for every later digest.

use std::{fmt, str::FromStr};

use ring::digest::{Context, SHA256};
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use super::parse::Document;
use super::sign::{self, Appearance, FieldPlan, Placeholder, SigDictSpec};
use super::stamp::StampText;
use crate::cms::{self, CmsError, SignOptions, SignedAttributes, Timestamper};
use crate::crypto::{self, oid, SignatureAlgorithm};
use crate::pki::Credential;

/// Why a PDF cannot be signed. Messages are for an operator who will tell a citizen or a
/// department what to fix.
#[derive(Debug, thiserror::Error)]
pub enum PdfError {
    #[error("the PDF is encrypted or password-protected; send an unprotected PDF")]
    Encrypted,
    #[error("the PDF is damaged or not a PDF: {0}")]
    Malformed(String),
    #[error("the PDF has no pages (or the requested page does not exist)")]
    NoPages,
    #[error(
        "the PDF is certified with \"no changes allowed\" (DocMDP P=1); it cannot be signed again"
    )]
    CertifiedNoChanges,
    #[error(
        "a certification signature must be the first signature, but the PDF is already signed"
    )]
    CertifyAfterSignature,
    #[error("the signature needs {needed} bytes but only {reserved} were reserved in /Contents")]
    ContentsTooSmall { needed: usize, reserved: usize },
    #[error("a form field named `{0}` already exists and is not an empty signature field")]
    FieldExists(String),
    #[error("the signature field `{0}` is already signed")]
    FieldSigned(String),
    #[error("the document changed since the signature was prepared ({0}); prepare it again")]
    InputChanged(&'static str),
    #[error("level {0} needs a timestamp authority, and none is configured")]
    NoTimestamper(PadesLevel),
    #[error("invalid prepared signature: {0}")]
    BadPrepared(String),
    #[error("signature: {0}")]
    Cms(#[from] CmsError),
    #[error("the signature appearance cannot be drawn: {0}")]
    Appearance(String),
}

/// The PAdES baseline level.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum PadesLevel {
    BB,
    BT,
    BLT,
    BLTA,
}

impl fmt::Display for PadesLevel {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            PadesLevel::BB => "B-B",
            PadesLevel::BT => "B-T",
            PadesLevel::BLT => "B-LT",
            PadesLevel::BLTA => "B-LTA",
        })
    }
}

impl FromStr for PadesLevel {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s.trim().to_ascii_uppercase().replace('_', "-").as_str() {
            "B-B" | "BB" => Ok(PadesLevel::BB),
            "B-T" | "BT" => Ok(PadesLevel::BT),
            "B-LT" | "BLT" => Ok(PadesLevel::BLT),
            "B-LTA" | "BLTA" => Ok(PadesLevel::BLTA),
            _ => Err(format!(
                "unknown PAdES level `{s}`; use B-B, B-T, B-LT or B-LTA"
            )),
        }
    }
}

/// DocMDP permissions of a certification signature (ISO 32000-1 Table 254).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum DocMdp {
    /// P=1: no changes at all.
    NoChanges,
    /// P=2: filling forms and signing.
    FormFilling,
    /// P=3: as 2, plus annotations.
    Annotations,
}

impl DocMdp {
    fn p(self) -> u8 {
        match self {
            DocMdp::NoChanges => 1,
            DocMdp::FormFilling => 2,
            DocMdp::Annotations => 3,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum StampKind {
    Signer,
    Seal,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct StampTextInput {
    pub signer_name: String,
    pub position: String,
    pub organisation: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct VisibleSignature {
    /// 0-based; `None` = the last page.
    pub page: Option<usize>,
    /// `[x0 y0 x1 y1]` in default user space; `None` = bottom right (seal: over the signer's
    /// stamp's left third).
    pub rect: Option<[f64; 4]>,
    pub kind: StampKind,
    pub text: StampTextInput,
}

/// One signature with a key held by the service.
pub struct SignatureRequest<'a> {
    pub credential: &'a Credential,
    pub level: PadesLevel,
    /// An existing empty signature field to fill, or the name of the new field.
    pub field_name: Option<String>,
    /// Makes this a certification signature.
    pub certify: Option<DocMdp>,
    pub visible: Option<VisibleSignature>,
    /// Written to /M and shown on the stamp (PAdES has no signing-time attribute).
    pub signing_time: OffsetDateTime,
    pub reason: Option<String>,
    pub location: Option<String>,
    /// Bytes reserved for the CMS in /Contents; `None` = estimated from the certificates and
    /// the level. Too small gives [`PdfError::ContentsTooSmall`] with the needed size.
    pub contents_reserve: Option<usize>,
}

impl<'a> SignatureRequest<'a> {
    /// An invisible signature at `level`, everything else default.
    pub fn new(
        credential: &'a Credential,
        level: PadesLevel,
        signing_time: OffsetDateTime,
    ) -> Self {
        SignatureRequest {
            credential,
            level,
            field_name: None,
            certify: None,
            visible: None,
            signing_time,
            reason: None,
            location: None,
            contents_reserve: None,
        }
    }
}

/// What B-T and above need besides the signer.
#[derive(Clone, Copy, Default)]
pub struct Validation<'a> {
    pub timestamper: Option<&'a dyn Timestamper>,
    /// Extra certificates for the DSS: the root, the TSA's certificate and chain.
    pub certificates: &'a [Vec<u8>],
    /// CRLs for the DSS (`KeyStore::crls_der`).
    pub crls: &'a [Vec<u8>],
}

/// Something drawn at the top left of the first page before signing (the QR code).
pub trait TopLeftMark {
    /// Content-stream operators drawing the mark in the square `(x, y, size)`; no resources.
    fn content(&self, x: f64, y: f64, size: f64) -> Result<Vec<u8>, PdfError>;
}

/// The QR side, about 25 mm: readable by phones from a printout.
pub const QR_SIZE: f64 = 72.0;
pub const QR_MARGIN: f64 = 18.0;

/// Signs `input` at `request.level`; returns the bytes to append.
pub fn sign(
    input: &[u8],
    request: &SignatureRequest<'_>,
    validation: &Validation<'_>,
) -> Result<Vec<u8>, PdfError> {
    let mut s = Session::open(input)?;
    s.sign_one(request, &[], validation)?;
    s.finish_levels(
        request.level,
        &[request.credential.certificate_der()],
        &[request.credential.chain_der()],
        validation,
    )?;
    Ok(s.appendix)
}

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
        s.add_top_left(mark)?;
    }
    let doc = s.doc()?;
    let page = resolve_page(&doc, signer.visible.as_ref().and_then(|v| v.page))?;
    let page_obj = doc.page(page)?;
    let signer_rect = signer
        .visible
        .as_ref()
        .and_then(|v| v.rect)
        .unwrap_or_else(|| sign::default_signer_rect(&page_obj));
    let seal_page = match seal.visible.as_ref() {
        Some(v) => resolve_page(&doc, v.page.or(Some(page)))?,
        None => page,
    };
    let seal_rect = match seal.visible.as_ref() {
        Some(v) => v
            .rect
            .unwrap_or_else(|| sign::seal_rect_for(&page_obj, signer_rect)),
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
    s.sign_view(
        &signer_req,
        signer.credential,
        std::slice::from_ref(&seal_field),
        validation,
    )?;
    let mut seal_req = SignatureRequestView::from(seal);
    seal_req.field_name = Some(seal_name);
    seal_req.certify = None;
    s.sign_view(&seal_req, seal.credential, &[], validation)?;
    let level = signer.level.max(seal.level);
    s.finish_levels(
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
    if s.doc()?.signatures()?.is_empty() {
        return Err(PdfError::Malformed(
            "the PDF carries no signature to preserve; sign it before renewing".into(),
        ));
    }
    s.finish_levels(PadesLevel::BLT, &[], &[], validation)?;
    s.doc_timestamp(tsa)?;
    Ok(s.appendix)
}

/// External signing, first step: the inputs of [`prepare`].
#[derive(Debug, Clone)]
pub struct PrepareRequest {
    pub certificate_der: Vec<u8>,
    pub chain_der: Vec<Vec<u8>>,
    pub signature_algorithm: SignatureAlgorithm,
    pub level: PadesLevel,
    pub field_name: Option<String>,
    pub certify: Option<DocMdp>,
    pub visible: Option<VisibleSignature>,
    pub signing_time: OffsetDateTime,
    pub reason: Option<String>,
    pub location: Option<String>,
    pub contents_reserve: Option<usize>,
}

/// Everything but the signature value; serializable so another replica can complete it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Prepared {
    /// The signature revision with a zero-filled /Contents.
    #[serde(with = "b64")]
    pub appendix_with_placeholder: Vec<u8>,
    /// DER SET OF signed attributes: what the external signer signs (hash with SHA-256).
    #[serde(with = "b64")]
    pub signed_attributes_der: Vec<u8>,
    /// SHA-256 over the byte ranges (the message-digest attribute).
    pub digest: [u8; 32],
    /// SHA-256 of `signed_attributes_der`, for signers that take a pre-hashed input.
    pub to_be_signed_digest: [u8; 32],
    pub input_len: usize,
    pub contents_at: usize,
    pub contents_len: usize,
    pub level: PadesLevel,
    #[serde(with = "b64")]
    pub certificate_der: Vec<u8>,
    pub chain_der: Vec<Vec<u8>>,
    pub signature_algorithm: String,
}

mod b64 {
    use base64::Engine as _;
    use serde::{Deserialize, Deserializer, Serializer};
    pub fn serialize<S: Serializer>(v: &[u8], s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&base64::engine::general_purpose::STANDARD.encode(v))
    }
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<u8>, D::Error> {
        let s = String::deserialize(d)?;
        base64::engine::general_purpose::STANDARD
            .decode(s)
            .map_err(serde::de::Error::custom)
    }
}

pub fn prepare(input: &[u8], request: &PrepareRequest) -> Result<Prepared, PdfError> {
    let mut s = Session::open(input)?;
    let view = SignatureRequestView {
        certificate_der: &request.certificate_der,
        chain_der: &request.chain_der,
        algorithm: request.signature_algorithm,
        level: request.level,
        field_name: request.field_name.clone(),
        certify: request.certify,
        visible: request.visible.clone(),
        rect: None,
        page: None,
        signing_time: request.signing_time,
        reason: request.reason.clone(),
        location: request.location.clone(),
        reserve: request.contents_reserve,
        seal_beside: false,
    };
    let (ph, digest) = s.placeholder(&view, &[])?;
    let attrs = SignedAttributes::new(
        &digest,
        &request.certificate_der,
        &SignOptions { signing_time: None },
    )?;
    Ok(Prepared {
        to_be_signed_digest: crypto::sha256(attrs.bytes_to_sign()),
        signed_attributes_der: attrs.bytes_to_sign().to_vec(),
        digest,
        input_len: input.len(),
        contents_at: ph.contents_at,
        contents_len: ph.contents_len,
        appendix_with_placeholder: ph.bytes,
        level: request.level,
        certificate_der: request.certificate_der.clone(),
        chain_der: request.chain_der.clone(),
        signature_algorithm: request.signature_algorithm.name().to_owned(),
    })
}

/// External signing, second step: checks `signature_value` against the certificate, embeds
/// the CMS, then appends DSS and document timestamp as the level requires.
pub fn complete(
    input: &[u8],
    prepared: &Prepared,
    signature_value: &[u8],
    validation: &Validation<'_>,
) -> Result<Vec<u8>, PdfError> {
    if input.len() != prepared.input_len {
        return Err(PdfError::InputChanged("its length differs"));
    }
    let algorithm: SignatureAlgorithm = prepared
        .signature_algorithm
        .parse()
        .map_err(PdfError::BadPrepared)?;
    let attrs = SignedAttributes::from_der(&prepared.signed_attributes_der)?;
    attrs.check_signature(signature_value, algorithm, &prepared.certificate_der)?;
    let end = prepared
        .contents_at
        .checked_add(prepared.contents_len)
        .ok_or_else(|| PdfError::BadPrepared("placeholder out of range".into()))?;
    if prepared.contents_len < 2
        || prepared.contents_at < input.len()
        || end > input.len() + prepared.appendix_with_placeholder.len()
    {
        return Err(PdfError::BadPrepared("placeholder out of range".into()));
    }
    let mut ph = Placeholder {
        bytes: prepared.appendix_with_placeholder.clone(),
        start: input.len(),
        contents_at: prepared.contents_at,
        contents_len: prepared.contents_len,
    };
    let der = build_cms(
        &attrs,
        signature_value,
        algorithm,
        &prepared.certificate_der,
        &prepared.chain_der,
        prepared.level,
        validation,
    )?;
    ph.fill(&der)?;
    // Later revisions need the input's digest again only for B-LTA: across two calls the
    // hash state cannot be kept, so that one level hashes the input a second time.
    let mut s = Session {
        input,
        input_hash: None,
        appendix: ph.bytes,
    };
    s.finish_levels(
        prepared.level,
        &[&prepared.certificate_der],
        &[&prepared.chain_der],
        validation,
    )?;
    Ok(s.appendix)
}

/// A request with the key abstracted away: shared by direct and external signing.
struct SignatureRequestView<'r> {
    certificate_der: &'r [u8],
    chain_der: &'r [Vec<u8>],
    algorithm: SignatureAlgorithm,
    level: PadesLevel,
    field_name: Option<String>,
    certify: Option<DocMdp>,
    visible: Option<VisibleSignature>,
    rect: Option<[f64; 4]>,
    page: Option<usize>,
    signing_time: OffsetDateTime,
    reason: Option<String>,
    location: Option<String>,
    reserve: Option<usize>,
    /// The organisation's seal will overlap this stamp's left third.
    seal_beside: bool,
}

impl<'r> SignatureRequestView<'r> {
    fn from(r: &'r SignatureRequest<'_>) -> Self {
        SignatureRequestView {
            certificate_der: r.credential.certificate_der(),
            chain_der: r.credential.chain_der(),
            algorithm: r.credential.signature_algorithm(),
            level: r.level,
            field_name: r.field_name.clone(),
            certify: r.certify,
            visible: r.visible.clone(),
            rect: None,
            page: None,
            signing_time: r.signing_time,
            reason: r.reason.clone(),
            location: r.location.clone(),
            reserve: r.contents_reserve,
            seal_beside: false,
        }
    }

    /// DER bytes to reserve: the certificates, the signed attributes and value, and for B-T
    /// room for a timestamp token (which carries the TSA certificate).
    fn estimated_reserve(&self) -> usize {
        let certs: usize =
            self.certificate_der.len() + self.chain_der.iter().map(Vec::len).sum::<usize>();
        let value = if self.algorithm.is_rsa() { 1024 } else { 80 };
        let ts = if self.level >= PadesLevel::BT {
            6144
        } else {
            0
        };
        let total = certs + value + 1536 + ts;
        total.div_ceil(1024) * 1024
    }
}

/// The document being extended in this call.
struct Session<'a> {
    input: &'a [u8],
    /// SHA-256 state after the input: computed once, cloned for every digest.
    input_hash: Option<Context>,
    appendix: Vec<u8>,
}

impl<'a> Session<'a> {
    fn open(input: &'a [u8]) -> Result<Self, PdfError> {
        let doc = Document::open(input)?;
        if doc.page_count()? == 0 {
            return Err(PdfError::NoPages);
        }
        if doc.docmdp_permission()? == Some(1) {
            return Err(PdfError::CertifiedNoChanges);
        }
        Ok(Session {
            input,
            input_hash: None,
            appendix: Vec::new(),
        })
    }

    fn doc(&self) -> Result<Document<'_>, PdfError> {
        Document::open_with_appendix(self.input, &self.appendix)
    }

    fn ends_with_eol(&self) -> bool {
        let last = self.appendix.last().or(self.input.last());
        matches!(last, Some(b'\n') | Some(b'\r'))
    }

    /// SHA-256 of `input ‖ appendix ‖ parts…`, hashing the input only the first time.
    fn digest(&mut self, parts: &[&[u8]]) -> [u8; 32] {
        let base = self.input_hash.get_or_insert_with(|| {
            let mut c = Context::new(&SHA256);
            c.update(self.input);
            c
        });
        let mut c = base.clone();
        c.update(&self.appendix);
        for p in parts {
            c.update(p);
        }
        let mut out = [0u8; 32];
        out.copy_from_slice(c.finish().as_ref());
        out
    }

    fn add_top_left(&mut self, mark: &dyn TopLeftMark) -> Result<(), PdfError> {
        let doc = self.doc()?;
        if !doc.signatures()?.is_empty() {
            // Content changes after a signature would invalidate it (or its certification).
            return Err(PdfError::Malformed(
                "the QR code must be added before the first signature, but the PDF is already signed".into(),
            ));
        }
        let rev = sign::top_left_revision(
            &doc,
            self.ends_with_eol(),
            QR_SIZE,
            QR_MARGIN,
            &|x, y, s| mark.content(x, y, s),
        )?;
        drop(doc);
        self.appendix.extend_from_slice(&rev);
        Ok(())
    }

    fn sign_one(
        &mut self,
        request: &SignatureRequest<'_>,
        extra: &[FieldPlan],
        validation: &Validation<'_>,
    ) -> Result<(), PdfError> {
        let view = SignatureRequestView::from(request);
        self.sign_view(&view, request.credential, extra, validation)
    }

    fn sign_view(
        &mut self,
        view: &SignatureRequestView<'_>,
        credential: &Credential,
        extra: &[FieldPlan],
        validation: &Validation<'_>,
    ) -> Result<(), PdfError> {
        self.sign_with(view, extra, validation, |tbs| {
            credential.sign(tbs).map_err(CmsError::from)
        })
    }

    fn placeholder(
        &mut self,
        view: &SignatureRequestView<'_>,
        extra: &[FieldPlan],
    ) -> Result<(Placeholder, [u8; 32]), PdfError> {
        let doc = self.doc()?;
        if view.certify.is_some() && !doc.signatures()?.is_empty() {
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
                (None, Some(_)) => [0.0, 0.0, sign::SEAL_D, sign::SEAL_D],
                (None, None) => {
                    let p = doc.page(page)?;
                    let signer = sign::default_signer_rect(&p);
                    match v.kind {
                        StampKind::Signer => signer,
                        StampKind::Seal => sign::seal_rect_for(&p, signer),
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
        let ph = sign::signature_revision(&doc, self.ends_with_eol(), &plan, extra, &spec)?;
        drop(doc);
        let (a, b) = ph.covered_parts();
        let digest = self.digest(&[a, b]);
        Ok((ph, digest))
    }

    fn sign_with(
        &mut self,
        view: &SignatureRequestView<'_>,
        extra: &[FieldPlan],
        validation: &Validation<'_>,
        sign_fn: impl FnOnce(&[u8]) -> Result<Vec<u8>, CmsError>,
    ) -> Result<(), PdfError> {
        let (mut ph, digest) = self.placeholder(view, extra)?;
        let attrs = SignedAttributes::new(
            &digest,
            view.certificate_der,
            &SignOptions { signing_time: None },
        )?;
        let value = sign_fn(attrs.bytes_to_sign())?;
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
        self.appendix.extend_from_slice(&ph.bytes);
        Ok(())
    }

    /// DSS for B-LT and above, document timestamp for B-LTA.
    fn finish_levels(
        &mut self,
        level: PadesLevel,
        signer_certs: &[&[u8]],
        chains: &[&[Vec<u8>]],
        validation: &Validation<'_>,
    ) -> Result<(), PdfError> {
        if level >= PadesLevel::BLT {
            let mut certs: Vec<&[u8]> = Vec::new();
            for (c, chain) in signer_certs.iter().zip(chains) {
                certs.push(c);
                certs.extend(chain.iter().map(Vec::as_slice));
            }
            certs.extend(validation.certificates.iter().map(Vec::as_slice));
            let crls: Vec<&[u8]> = validation.crls.iter().map(Vec::as_slice).collect();
            let doc = self.doc()?;
            let rev = sign::dss_revision(&doc, self.ends_with_eol(), &certs, &crls)?;
            drop(doc);
            self.appendix.extend_from_slice(&rev);
        }
        if level >= PadesLevel::BLTA {
            let tsa = validation
                .timestamper
                .ok_or(PdfError::NoTimestamper(level))?;
            self.doc_timestamp(tsa)?;
        }
        Ok(())
    }

    fn doc_timestamp(&mut self, tsa: &dyn Timestamper) -> Result<(), PdfError> {
        let doc = self.doc()?;
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
            reserve: 8192,
        };
        let mut ph = sign::signature_revision(&doc, self.ends_with_eol(), &plan, &[], &spec)?;
        drop(doc);
        let (a, b) = ph.covered_parts();
        let digest = self.digest(&[a, b]);
        let token = tsa.timestamp(&digest)?;
        ph.fill(&token)?;
        self.appendix.extend_from_slice(&ph.bytes);
        Ok(())
    }
}

/// CMS with, for B-T and above, the signature timestamp (ETSI EN 319 122-1 §5.3) over the
/// SHA-256 of the signature value.
fn build_cms(
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
        let tsa = validation
            .timestamper
            .ok_or(PdfError::NoTimestamper(level))?;
        let token = tsa.timestamp(&crypto::sha256(value))?;
        unsigned.push(signature_timestamp_attribute(&token));
    }
    Ok(cms::assemble(
        attrs, value, algorithm, cert, chain, &unsigned,
    )?)
}

/// `Attribute { id-aa-signatureTimeStampToken, SET { token } }`.
pub fn signature_timestamp_attribute(token: &[u8]) -> Vec<u8> {
    let mut w = crypto::der::Writer::with_capacity(token.len() + 32);
    w.sequence(|w| {
        w.oid(oid::SIGNATURE_TIME_STAMP_TOKEN);
        w.constructed(crypto::der::SET, |w| w.raw(token));
    });
    w.into_vec()
}

fn resolve_page(doc: &Document<'_>, page: Option<usize>) -> Result<usize, PdfError> {
    let count = doc.page_count()?;
    if count == 0 {
        return Err(PdfError::NoPages);
    }
    match page {
        None => Ok(count - 1),
        Some(p) if p < count => Ok(p),
        Some(_) => Err(PdfError::NoPages),
    }
}

fn unique_name(fields: &[super::parse::Field], base: &str) -> String {
    (1..)
        .map(|i| format!("{base}{i}"))
        .find(|n| fields.iter().all(|f| &f.name != n))
        .unwrap_or_else(|| base.to_owned())
}
