//! The crypto policy applied to a credential's certificate: its key type and size must be
//! accepted, and the signature algorithm the manifest asks for must fit the key. Shared by the
//! key store and by moving a key onto a token, which must sign as the store will.

use std::path::Path;

use x509_parser::certificate::X509Certificate;

use super::error::PkiError;
use crate::crypto::{der, KeyAlgorithm, SignatureAlgorithm, MIN_RSA_BITS};

/// The signature algorithm of a credential: the certificate's key type and size must be
/// accepted, and a requested algorithm must fit the key.
pub(super) fn choose_algorithm(
    id: &str,
    cert: &X509Certificate<'_>,
    cert_path: &Path,
    requested: Option<SignatureAlgorithm>,
) -> Result<SignatureAlgorithm, PkiError> {
    let spki = cert.public_key();
    let cert_public = spki.subject_public_key.data.as_ref();
    let Some(key_algorithm) = KeyAlgorithm::from_oid(spki.algorithm.algorithm.as_bytes()) else {
        return Err(PkiError::Certificate {
            path: cert_path.to_path_buf(),
            reason: format!(
                "unsupported public key algorithm {}; use ECDSA P-256 or RSA (2048 bits or more)",
                spki.algorithm.algorithm.to_id_string()
            ),
        });
    };
    match key_algorithm {
        KeyAlgorithm::Ec => {
            let curve_ok = spki
                .algorithm
                .parameters
                .as_ref()
                .is_some_and(|p| KeyAlgorithm::accepts_curve(p.as_bytes()));
            if !curve_ok {
                return Err(PkiError::Certificate {
                    path: cert_path.to_path_buf(),
                    reason: "EC key on a curve other than P-256; only ECDSA P-256 is supported"
                        .into(),
                });
            }
        }
        KeyAlgorithm::Rsa => {
            let bits = rsa_modulus_bits(cert_public);
            if bits < MIN_RSA_BITS {
                return Err(PkiError::RsaKeyTooSmall {
                    path: cert_path.to_path_buf(),
                    bits,
                });
            }
        }
    }
    let algorithm = match requested {
        None => key_algorithm.default_signature_algorithm(),
        Some(a) if key_algorithm.signs_with(a) => a,
        Some(a) => {
            let reason = match key_algorithm {
                KeyAlgorithm::Ec => format!("signature_algorithm `{a}` does not fit an ECDSA P-256 key; remove it or set ecdsa-p256-sha256"),
                KeyAlgorithm::Rsa => format!("signature_algorithm `{a}` does not fit an RSA key; use rsa-pkcs1-sha256 or rsa-pss-sha256"),
            };
            return Err(PkiError::InvalidCredential {
                id: id.to_string(),
                reason,
            });
        }
    };
    Ok(algorithm)
}

/// Bit length of the modulus in a DER RSAPublicKey, 0 if unreadable (then ring rejects the key
/// with its own message).
fn rsa_modulus_bits(rsa_public_key: &[u8]) -> usize {
    use x509_parser::der_parser::asn1_rs::FromDer;
    use x509_parser::public_key::RSAPublicKey;
    let Ok((_, key)) = RSAPublicKey::from_der(rsa_public_key) else {
        return 0;
    };
    let significant = der::magnitude(key.modulus);
    match significant.first() {
        Some(first) => (significant.len() - 1) * 8 + (8 - first.leading_zeros() as usize),
        None => 0,
    }
}
