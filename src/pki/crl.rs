//! CRL loading: each CRL must be signed by a CA the store knows, so a stale or foreign file
//! cannot quietly un-revoke a credential.

use std::path::Path;

use ring::signature::UnparsedPublicKey;
use time::OffsetDateTime;
use x509_parser::revocation_list::CertificateRevocationList;

use super::{keystore::dn_text, oid, PkiError};

/// One revoked certificate: issuer DN (raw DER), serial (magnitude bytes), revocation time.
pub(crate) struct Revoked {
    issuer: Vec<u8>,
    serial: Vec<u8>,
    at: OffsetDateTime,
}

pub(crate) fn read_crl_file(path: &Path) -> Result<Vec<u8>, PkiError> {
    let data = std::fs::read(path).map_err(|source| PkiError::Io {
        path: path.to_path_buf(),
        source,
    })?;
    let bad = |reason: String| PkiError::Crl {
        path: path.to_path_buf(),
        reason,
    };
    let starts_pem = data
        .iter()
        .position(|b| !b.is_ascii_whitespace())
        .is_some_and(|i| data[i..].starts_with(b"-----BEGIN"));
    if !starts_pem {
        return Ok(data);
    }
    let (_, pem) =
        x509_parser::pem::parse_x509_pem(&data).map_err(|e| bad(format!("invalid PEM ({e})")))?;
    if pem.label != "X509 CRL" {
        return Err(bad(format!(
            "PEM block `{}` found where an X509 CRL was expected",
            pem.label
        )));
    }
    Ok(pem.contents)
}

pub(crate) fn parse_crl<'a>(
    path: &Path,
    der: &'a [u8],
) -> Result<CertificateRevocationList<'a>, PkiError> {
    match x509_parser::parse_x509_crl(der) {
        Ok(([], crl)) => Ok(crl),
        Ok(_) => Err(PkiError::Crl {
            path: path.to_path_buf(),
            reason: "trailing bytes after the CRL".into(),
        }),
        Err(e) => Err(PkiError::Crl {
            path: path.to_path_buf(),
            reason: format!("not a valid X.509 CRL ({e})"),
        }),
    }
}

/// Verifies the CRL's signature with the CA among `cas` whose subject is its issuer and
/// returns the entries it lists.
pub(crate) fn check_and_list(
    path: &Path,
    der: &[u8],
    cas: &[&[u8]],
) -> Result<Vec<Revoked>, PkiError> {
    let bad = |reason: String| PkiError::Crl {
        path: path.to_path_buf(),
        reason,
    };
    let crl = parse_crl(path, der)?;
    let issuer_raw = crl.issuer().as_raw();
    let issuer = cas
        .iter()
        .filter_map(|ca| x509_parser::parse_x509_certificate(ca).ok())
        .map(|(_, ca)| ca)
        .find(|ca| ca.subject().as_raw() == issuer_raw)
        .ok_or_else(|| {
            bad(format!(
                "issued by `{}`, which is neither root.pem nor any chain certificate; add that CA to a chain or remove the CRL",
                dn_text(crl.issuer())
            ))
        })?;

    let alg = crl.signature_algorithm.algorithm.as_bytes();
    let verifier: &dyn ring::signature::VerificationAlgorithm = if alg == oid::ECDSA_WITH_SHA256 {
        &ring::signature::ECDSA_P256_SHA256_ASN1
    } else if alg == oid::SHA256_WITH_RSA {
        &ring::signature::RSA_PKCS1_2048_8192_SHA256
    } else {
        return Err(bad(format!(
            "signed with unsupported algorithm {}; use ecdsa-with-SHA256 or sha256WithRSAEncryption",
            crl.signature_algorithm.algorithm.to_id_string()
        )));
    };
    let key = UnparsedPublicKey::new(
        verifier,
        issuer.public_key().subject_public_key.data.as_ref(),
    );
    key.verify(
        crl.tbs_cert_list.as_ref(),
        crl.signature_value.data.as_ref(),
    )
    .map_err(|_| {
        bad(format!(
            "signature does not verify with the key of `{}`; the CRL was altered or comes from a different CA with the same name",
            dn_text(issuer.subject())
        ))
    })?;

    Ok(crl
        .iter_revoked_certificates()
        .map(|r| Revoked {
            issuer: issuer_raw.to_vec(),
            serial: magnitude(r.raw_serial()).to_vec(),
            at: r.revocation_date.to_datetime(),
        })
        .collect())
}

/// The earliest revocation of `cert_der` among `revoked`, if any.
pub(crate) fn revocation_of(cert_der: &[u8], revoked: &[Revoked]) -> Option<OffsetDateTime> {
    let (_, cert) = x509_parser::parse_x509_certificate(cert_der).ok()?;
    let issuer = cert.issuer().as_raw();
    let serial = magnitude(cert.raw_serial());
    revoked
        .iter()
        .filter(|r| r.issuer == issuer && r.serial == serial)
        .map(|r| r.at)
        .min()
}

/// Serials compare as numbers: drop DER sign padding so `00 ff` and `ff` match.
fn magnitude(raw: &[u8]) -> &[u8] {
    let start = raw.iter().position(|b| *b != 0).unwrap_or(raw.len());
    &raw[start..]
}
