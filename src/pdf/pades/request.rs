//! What a caller asks of the signer: the PAdES baseline level, certification permissions, the
//! visible stamp, one signature with a key held by the service, and what B-T and above need
//! (a timestamp authority, validation data). Also the request with the key abstracted away,
//! shared by direct and external signing.

use std::{fmt, str::FromStr};

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use crate::cms::Timestamper;
use crate::{crypto::SignatureAlgorithm, pki::Credential};

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
    pub(super) fn p(self) -> u8 {
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
    /// the level. Too small gives `PdfError::ContentsTooSmall` with the needed size.
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
    /// OCSP responses (DER OCSPResponse) for the DSS (`KeyStore::ocsp_answers`).
    pub ocsps: &'a [Vec<u8>],
}

/// A request with the key abstracted away: shared by direct and external signing.
pub(super) struct SignatureRequestView<'r> {
    pub certificate_der: &'r [u8],
    pub chain_der: &'r [Vec<u8>],
    pub algorithm: SignatureAlgorithm,
    pub level: PadesLevel,
    pub field_name: Option<String>,
    pub certify: Option<DocMdp>,
    pub visible: Option<VisibleSignature>,
    /// Where the stamp goes when the caller decided already (the result's signer box).
    pub rect: Option<[f64; 4]>,
    pub page: Option<usize>,
    pub signing_time: OffsetDateTime,
    pub reason: Option<String>,
    pub location: Option<String>,
    pub reserve: Option<usize>,
    /// The organisation's seal will overlap this stamp's left third.
    pub seal_beside: bool,
}

impl<'r> SignatureRequestView<'r> {
    pub fn from(r: &'r SignatureRequest<'_>) -> Self {
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
    pub fn estimated_reserve(&self) -> usize {
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
