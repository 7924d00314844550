//! What PAdES B-LT needs besides the signing keys, and which revocation data it carries.

use crate::pdf;

/// Which revocation data B-LT documents carry in their security store.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum RevocationData {
    /// The CAs' CRLs: small for a small PKI, current until their nextUpdate.
    Crl,
    /// An OCSP response per certificate, made at signing: always current, one per path link.
    Ocsp,
    /// Both, as validators that prefer either find what they look for.
    #[default]
    Both,
}

impl std::str::FromStr for RevocationData {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "crl" => Ok(Self::Crl),
            "ocsp" => Ok(Self::Ocsp),
            "both" => Ok(Self::Both),
            other => Err(format!("{other:?}: use crl, ocsp or both")),
        }
    }
}

/// What the signer needs besides the signing keys: the TSA, the certificates, CRLs and OCSP
/// responses for the document security store.
pub(super) struct ValidationData {
    pub certificates: Vec<Vec<u8>>,
    pub crls: Vec<Vec<u8>>,
    pub ocsps: Vec<Vec<u8>>,
}

impl ValidationData {
    pub(super) fn as_validation<'a>(
        &'a self,
        timestamper: Option<&'a dyn crate::cms::Timestamper>,
    ) -> pdf::Validation<'a> {
        pdf::Validation {
            timestamper,
            certificates: &self.certificates,
            crls: &self.crls,
            ocsps: &self.ocsps,
        }
    }
}
