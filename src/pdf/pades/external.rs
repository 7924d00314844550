//! External signing in two steps, for keys the service does not hold: [`prepare`] returns the
//! signature revision with a zero-filled /Contents and what the signer must sign;
//! [`complete`] checks the value against the certificate, embeds the CMS and appends what the
//! level asks for. A [`Prepared`] is serializable, so another replica can complete it.

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use crate::cms::{SignOptions, SignedAttributes};
use crate::crypto::SignatureAlgorithm;

use super::error::PdfError;
use super::placeholder::Placeholder;
use super::request::{DocMdp, PadesLevel, SignatureRequestView, Validation, VisibleSignature};
use super::session::Session;
use super::signature::{build_cms, placeholder};
use super::timestamp::finish_levels;

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

/// External signing, first step: the signature revision with its placeholder, and the signed
/// attributes the external signer must sign.
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
    let (ph, digest) = placeholder(&mut s, &view, &[])?;
    let attrs = SignedAttributes::new(
        &digest,
        &request.certificate_der,
        &SignOptions { signing_time: None },
    )?;
    Ok(Prepared {
        to_be_signed_digest: crate::crypto::sha256(attrs.bytes_to_sign()),
        signed_attributes_der: attrs.bytes_to_sign().to_vec(),
        digest,
        input_len: input.len(),
        contents_at: ph.contents_at(),
        contents_len: ph.contents_len(),
        appendix_with_placeholder: ph.into_bytes(),
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
    let mut ph = Placeholder::new(
        prepared.appendix_with_placeholder.clone(),
        input.len(),
        prepared.contents_at,
        prepared.contents_len,
    )?;
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
        appendix: ph.into_bytes(),
    };
    finish_levels(
        &mut s,
        prepared.level,
        &[&prepared.certificate_der],
        &[&prepared.chain_der],
        validation,
    )?;
    Ok(s.appendix)
}
