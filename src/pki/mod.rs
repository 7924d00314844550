//! Certificates and keys: the development hierarchy, the key store of signing credentials and
//! their revocation status from CRLs.
//!
//! Chain validation against trust anchors is deliberately not here: `verify` owns it, so that
//! signing and verifying never share a shortcut that could hide a broken chain.

mod crl;
mod dev;
mod keystore;

use std::{fmt, path::PathBuf};

use time::{format_description::well_known::Rfc3339, OffsetDateTime};

pub use dev::{
    default_dev_departments, dev_pki_exists, init_dev_pki, rotate_dev_tsa, DevDepartment,
    DevPkiSummary,
};
pub use keystore::{Credential, CredentialInfo, KeyStore, MANIFEST_FILE};

/// SHA-256 of `data`.
pub fn sha256(data: &[u8]) -> [u8; 32] {
    let digest = ring::digest::digest(&ring::digest::SHA256, data);
    let mut out = [0u8; 32];
    out.copy_from_slice(digest.as_ref());
    out
}

/// SHA-256 of a DER certificate: how records and the API name a certificate.
pub fn fingerprint(cert_der: &[u8]) -> [u8; 32] {
    sha256(cert_der)
}

/// Everything that can go wrong creating or loading key material. Each message names the file
/// or credential involved so an operator can fix it without reading the code.
#[derive(Debug, thiserror::Error)]
pub enum PkiError {
    #[error("cannot access {}: {source}", path.display())]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error(
        "a PKI already exists at {}: refusing to overwrite it; use it as is or move it away first",
        path.display()
    )]
    AlreadyExists { path: PathBuf },
    #[error("invalid development department `{id}`: {reason}")]
    InvalidDepartment { id: String, reason: String },
    #[error("could not generate the development {what}: {reason}")]
    Generate { what: String, reason: String },
    #[error("{}: {reason}", path.display())]
    Manifest { path: PathBuf, reason: String },
    #[error("certificate {}: {reason}", path.display())]
    Certificate { path: PathBuf, reason: String },
    #[error("private key {}: {reason}", path.display())]
    Key { path: PathBuf, reason: String },
    #[error(
        "private key {} is RSA-{bits}; RSA keys must be at least 2048 bits: issue a new key and certificate",
        path.display()
    )]
    RsaKeyTooSmall { path: PathBuf, bits: usize },
    #[error(
        "credential `{id}`: private key {} does not match certificate {} (different public key); check the `cert` and `key` entries",
        key.display(),
        cert.display()
    )]
    KeyMismatch {
        id: String,
        cert: PathBuf,
        key: PathBuf,
    },
    #[error("credential `{id}`: {reason}")]
    InvalidCredential { id: String, reason: String },
    #[error("CRL {}: {reason}", path.display())]
    Crl { path: PathBuf, reason: String },
    #[error("credential `{id}`: signing failed in the crypto library")]
    Sign { id: String },
}

/// Why a credential must not sign at a given time.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CredentialProblem {
    #[error("credential `{id}` is not valid before {}", rfc3339(*.not_before))]
    NotYetValid {
        id: String,
        not_before: OffsetDateTime,
    },
    #[error("credential `{id}` expired at {}; issue a new certificate", rfc3339(*.not_after))]
    Expired {
        id: String,
        not_after: OffsetDateTime,
    },
    #[error("credential `{id}` was revoked at {} (listed on its CA's CRL)", rfc3339(*.revoked_at))]
    Revoked {
        id: String,
        revoked_at: OffsetDateTime,
    },
}

pub(crate) fn rfc3339(t: OffsetDateTime) -> String {
    t.format(&Rfc3339).unwrap_or_else(|_| t.to_string())
}

/// The signature algorithms a credential can sign with; SHA-256 is the only digest.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SignatureAlgorithm {
    EcdsaP256Sha256,
    RsaPkcs1Sha256,
    /// RSASSA-PSS, MGF1-SHA-256, 32-byte salt (what ring produces and verifies).
    RsaPssSha256,
}

// AlgorithmIdentifier encodings, fixed so the CMS encoder copies bytes instead of building them.
const ALG_ID_ECDSA_SHA256: &[u8] = &[
    0x30, 0x0a, 0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x04, 0x03, 0x02,
];
const ALG_ID_SHA256_WITH_RSA: &[u8] = &[
    0x30, 0x0d, 0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x0b, 0x05, 0x00,
];
// RSASSA-PSS-params { sha256, mgf1(sha256), saltLength 32 }; trailerField left at its default.
const ALG_ID_RSA_PSS_SHA256: &[u8] = &[
    0x30, 0x41, 0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x0a, 0x30, 0x34, 0xa0,
    0x0f, 0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x01, 0x05, 0x00,
    0xa1, 0x1c, 0x30, 0x1a, 0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x08, 0x30,
    0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x01, 0x05, 0x00, 0xa2, 0x03,
    0x02, 0x01, 0x20,
];

impl SignatureAlgorithm {
    /// Dotted OID of the signature algorithm.
    pub fn oid(self) -> &'static str {
        match self {
            SignatureAlgorithm::EcdsaP256Sha256 => "1.2.840.10045.4.3.2",
            SignatureAlgorithm::RsaPkcs1Sha256 => "1.2.840.113549.1.1.11",
            SignatureAlgorithm::RsaPssSha256 => "1.2.840.113549.1.1.10",
        }
    }

    /// The complete DER `AlgorithmIdentifier` (SEQUENCE) for a SignerInfo or certificate.
    pub fn algorithm_identifier_der(self) -> &'static [u8] {
        match self {
            SignatureAlgorithm::EcdsaP256Sha256 => ALG_ID_ECDSA_SHA256,
            SignatureAlgorithm::RsaPkcs1Sha256 => ALG_ID_SHA256_WITH_RSA,
            SignatureAlgorithm::RsaPssSha256 => ALG_ID_RSA_PSS_SHA256,
        }
    }

    /// Short stable name, also the value of `signature_algorithm` in credentials.toml.
    pub fn name(self) -> &'static str {
        match self {
            SignatureAlgorithm::EcdsaP256Sha256 => "ecdsa-p256-sha256",
            SignatureAlgorithm::RsaPkcs1Sha256 => "rsa-pkcs1-sha256",
            SignatureAlgorithm::RsaPssSha256 => "rsa-pss-sha256",
        }
    }

    pub fn is_rsa(self) -> bool {
        !matches!(self, SignatureAlgorithm::EcdsaP256Sha256)
    }

    /// ring's verifier for signatures made with this algorithm; the public key it expects is the
    /// content of the certificate's subjectPublicKey BIT STRING.
    pub fn verification_algorithm(self) -> &'static dyn ring::signature::VerificationAlgorithm {
        match self {
            SignatureAlgorithm::EcdsaP256Sha256 => &ring::signature::ECDSA_P256_SHA256_ASN1,
            SignatureAlgorithm::RsaPkcs1Sha256 => &ring::signature::RSA_PKCS1_2048_8192_SHA256,
            SignatureAlgorithm::RsaPssSha256 => &ring::signature::RSA_PSS_2048_8192_SHA256,
        }
    }
}

impl fmt::Display for SignatureAlgorithm {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl std::str::FromStr for SignatureAlgorithm {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        [
            SignatureAlgorithm::EcdsaP256Sha256,
            SignatureAlgorithm::RsaPkcs1Sha256,
            SignatureAlgorithm::RsaPssSha256,
        ]
        .into_iter()
        .find(|a| a.name() == s)
        .ok_or_else(|| {
            format!(
                "unknown signature algorithm `{s}`; use ecdsa-p256-sha256, rsa-pkcs1-sha256 or rsa-pss-sha256"
            )
        })
    }
}

/// OID contents (DER value bytes, no tag/length) the key store recognises.
pub(crate) mod oid {
    pub const EC_PUBLIC_KEY: &[u8] = &[0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02, 0x01];
    pub const PRIME256V1: &[u8] = &[0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07];
    pub const RSA_ENCRYPTION: &[u8] = &[0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x01];
    pub const ECDSA_WITH_SHA256: &[u8] = &[0x2a, 0x86, 0x48, 0xce, 0x3d, 0x04, 0x03, 0x02];
    pub const SHA256_WITH_RSA: &[u8] = &[0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x0b];
}

#[cfg(test)]
pub(crate) mod tests;
