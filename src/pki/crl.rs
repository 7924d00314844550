//! CRL loading: each CRL must be signed by a CA the store knows, so a stale or foreign file
//! cannot quietly un-revoke a credential. CRL files are parsed with x509-parser and checked
//! against the policy's certificate signature algorithms, the same ones `verify` accepts.

#![deny(
    clippy::indexing_slicing,
    clippy::arithmetic_side_effects,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic
)]

use std::path::Path;

use time::OffsetDateTime;
use x509_parser::revocation_list::CertificateRevocationList;

use super::error::PkiError;
use super::files::{is_pem, read_file};
use super::names::dn_text;
use crate::crypto::{der::magnitude, CertificateSignatureAlgorithm};

/// One revoked certificate: issuer DN (raw DER), serial (magnitude bytes), revocation time.
pub(super) struct Revoked {
    pub issuer: Vec<u8>,
    pub serial: Vec<u8>,
    pub at: OffsetDateTime,
}

/// A CRL file's DER, from DER or PEM (`X509 CRL`).
pub(super) fn read_crl_file(path: &Path) -> Result<Vec<u8>, PkiError> {
    let data = read_file(path)?;
    let bad = |reason: String| PkiError::Crl {
        path: path.to_path_buf(),
        reason,
    };
    if !is_pem(&data) {
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

fn parse_crl<'a>(path: &Path, der: &'a [u8]) -> Result<CertificateRevocationList<'a>, PkiError> {
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
pub(super) fn check_and_list(
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

    let algorithm =
        CertificateSignatureAlgorithm::find(crl.signature_algorithm.algorithm.as_bytes())
            .ok_or_else(|| {
                bad(format!(
                    "signed with unsupported algorithm {}; use one of {}",
                    crl.signature_algorithm.algorithm.to_id_string(),
                    CertificateSignatureAlgorithm::accepted_names()
                ))
            })?;
    let verified = algorithm.verify(
        issuer.public_key().subject_public_key.data.as_ref(),
        crl.tbs_cert_list.as_ref(),
        crl.signature_value.data.as_ref(),
    );
    if !verified {
        return Err(bad(format!(
            "signature does not verify with the key of `{}`; the CRL was altered or comes from a different CA with the same name",
            dn_text(issuer.subject())
        )));
    }

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
pub(super) fn revocation_of(cert_der: &[u8], revoked: &[Revoked]) -> Option<OffsetDateTime> {
    let (_, cert) = x509_parser::parse_x509_certificate(cert_der).ok()?;
    let issuer = cert.issuer().as_raw();
    let serial = magnitude(cert.raw_serial());
    revoked
        .iter()
        .filter(|r| r.issuer == issuer && r.serial == serial)
        .map(|r| r.at)
        .min()
}
