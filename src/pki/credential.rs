//! A signing credential: a certificate with its chain and private key, and the public facts
//! about it that may be shown and sent over the API. The key never leaves as anything but
//! signatures.

use std::fmt;

use ring::{
    rand::SystemRandom,
    signature::{EcdsaKeyPair, RsaEncoding, RsaKeyPair},
};
use time::OffsetDateTime;
use x509_parser::certificate::X509Certificate;

use super::activation::Activation;
use super::error::{CredentialProblem, PkiError};
use super::names::{dn_text, first_attribute};
use super::token::key::TokenKey;
use crate::crypto::{oid, sha256, SignatureAlgorithm};
use crate::flow::Role;

/// SHA-256 of a DER certificate: how records and the API name a certificate.
pub fn fingerprint(cert_der: &[u8]) -> [u8; 32] {
    sha256(cert_der)
}

/// Public facts about a credential, safe to show and to send over the API.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CredentialInfo {
    pub id: String,
    pub role: Role,
    pub department: String,
    /// Subject DN in RFC 4514 order (most specific first), e.g. `CN=…,title=…,O=…,C=VN`.
    pub subject: String,
    pub common_name: String,
    /// The subject's title (2.5.4.12); empty when the certificate has none (e.g. a seal).
    pub position: String,
    pub organisation: String,
    pub not_before: OffsetDateTime,
    pub not_after: OffsetDateTime,
    pub fingerprint: [u8; 32],
}

/// The private key, ready to sign with the credential's algorithm.
pub(super) enum SigningKey {
    Ecdsa(EcdsaKeyPair),
    /// The key and the padding its signature algorithm uses.
    Rsa(RsaKeyPair, &'static dyn RsaEncoding),
    /// No key here: the official's own token signs (external signing of step records).
    HeldByOfficial,
    /// On a PKCS#11 token: every signature is the token's, with the credential's algorithm.
    Token(TokenKey),
}

/// A certificate with its chain and private key. The key never leaves this struct except as
/// signatures; `Debug` redacts it.
pub struct Credential {
    pub(super) info: CredentialInfo,
    pub(super) certificate_der: Vec<u8>,
    pub(super) chain_der: Vec<Vec<u8>>,
    pub(super) algorithm: SignatureAlgorithm,
    pub(super) key: SigningKey,
    pub(super) revoked_at: Option<OffsetDateTime>,
    pub(super) timestamp_authority: bool,
    pub(super) activation: Option<Activation>,
    pub(super) rng: SystemRandom,
}

impl fmt::Debug for Credential {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Credential")
            .field("info", &self.info)
            .field("algorithm", &self.algorithm)
            .field("certificate_der_len", &self.certificate_der.len())
            .field("chain_len", &self.chain_der.len())
            .field("revoked_at", &self.revoked_at)
            .field("timestamp_authority", &self.timestamp_authority)
            .field("key", &"<redacted>")
            .finish()
    }
}

impl Credential {
    pub fn info(&self) -> &CredentialInfo {
        &self.info
    }
    pub fn id(&self) -> &str {
        &self.info.id
    }
    /// For the timestamp authority this is `Role::Seal` only because the type has no "none":
    /// the TSA is reachable solely through `KeyStore::tsa`, never by role lookup.
    pub fn role(&self) -> Role {
        self.info.role
    }
    pub fn department(&self) -> &str {
        &self.info.department
    }
    pub fn certificate_der(&self) -> &[u8] {
        &self.certificate_der
    }
    /// Issuing CA(s), nearest first, up to but excluding the root.
    pub fn chain_der(&self) -> &[Vec<u8>] {
        &self.chain_der
    }
    pub fn signature_algorithm(&self) -> SignatureAlgorithm {
        self.algorithm
    }
    /// When the credential's CA revoked it, if a loaded CRL lists it.
    pub fn revoked_at(&self) -> Option<OffsetDateTime> {
        self.revoked_at
    }
    /// The factor the official must give before the service signs with this credential.
    pub fn activation(&self) -> Option<&Activation> {
        self.activation.as_ref()
    }

    /// Whether the service holds the key; if not, only the official's own token signs, through
    /// the two-step external signing of step records.
    pub fn holds_key(&self) -> bool {
        !matches!(self.key, SigningKey::HeldByOfficial)
    }

    pub fn is_timestamp_authority(&self) -> bool {
        self.timestamp_authority
    }

    /// Signs `message` (the hash is computed inside: SHA-256). ECDSA signatures are ASN.1 DER
    /// as CMS and X.509 expect. A key on a token that fails is `PkiError::TokenUnavailable`.
    pub fn sign(&self, message: &[u8]) -> Result<Vec<u8>, PkiError> {
        let failed = || PkiError::Sign {
            id: self.info.id.clone(),
        };
        match &self.key {
            SigningKey::Ecdsa(kp) => kp
                .sign(&self.rng, message)
                .map(|s| s.as_ref().to_vec())
                .map_err(|_| failed()),
            SigningKey::Rsa(kp, padding) => {
                let mut sig = vec![0u8; kp.public().modulus_len()];
                kp.sign(*padding, &self.rng, message, &mut sig)
                    .map_err(|_| failed())?;
                Ok(sig)
            }
            SigningKey::HeldByOfficial => Err(PkiError::KeyHeldByOfficial {
                id: self.info.id.clone(),
            }),
            SigningKey::Token(key) => key.sign(message).map_err(|failure| {
                tracing::error!(credential = %self.info.id, token = %failure.token, reason = %failure.reason, "token unavailable");
                PkiError::TokenUnavailable {
                    id: self.info.id.clone(),
                    token: failure.token,
                    reason: failure.reason,
                }
            }),
        }
    }

    /// The `pkcs11:` URI of the key when it is on a token (without its PIN).
    pub fn token_uri(&self) -> Option<String> {
        match &self.key {
            SigningKey::Token(key) => Some(key.uri().to_string()),
            _ => None,
        }
    }

    /// Err if `at` is outside the validity period or the certificate is on its CA's CRL
    /// (revoked at or before `at`). Revocation wins over expiry: it is the stronger statement.
    pub fn check_usable(&self, at: OffsetDateTime) -> Result<(), CredentialProblem> {
        if let Some(revoked_at) = self.revoked_at {
            if revoked_at <= at {
                return Err(CredentialProblem::Revoked {
                    id: self.info.id.clone(),
                    revoked_at,
                });
            }
        }
        if at < self.info.not_before {
            return Err(CredentialProblem::NotYetValid {
                id: self.info.id.clone(),
                not_before: self.info.not_before,
            });
        }
        if at > self.info.not_after {
            return Err(CredentialProblem::Expired {
                id: self.info.id.clone(),
                not_after: self.info.not_after,
            });
        }
        Ok(())
    }
}

/// The public facts of a credential with this certificate.
pub(super) fn credential_info(
    id: &str,
    role: Role,
    department: &str,
    cert: &X509Certificate<'_>,
    cert_der: &[u8],
) -> CredentialInfo {
    let subject = cert.subject();
    CredentialInfo {
        id: id.to_string(),
        role,
        department: department.to_string(),
        subject: dn_text(subject),
        common_name: first_attribute(subject, oid::COMMON_NAME),
        position: first_attribute(subject, oid::TITLE),
        organisation: first_attribute(subject, oid::ORGANIZATION_NAME),
        not_before: cert.validity().not_before.to_datetime(),
        not_after: cert.validity().not_after.to_datetime(),
        fingerprint: fingerprint(cert_der),
    }
}
