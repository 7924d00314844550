//! Offline certificate path validation for archive packages: from a signer's certificate,
//! through the certificates the package carries, to the trust anchor the verifier supplies —
//! each signature checked with ring, each certificate valid at the signing time, issuers marked
//! as CAs, and none revoked before the signing time by a CRL (whose own signature is checked).
//!
//! Deliberately small: it answers "was this chain good when this record was signed", which is
//! what an archivist asks of a decades-old record; it is not a general RFC 5280 engine (no name
//! constraints or policy mapping: the development and government hierarchies use neither).

use ring::signature::{self, UnparsedPublicKey, VerificationAlgorithm};
use time::OffsetDateTime;
use x509_parser::{
    certificate::X509Certificate, revocation_list::CertificateRevocationList, time::ASN1Time,
};

const MAX_DEPTH: usize = 8;

fn algorithm(oid: &[u8]) -> Option<&'static dyn VerificationAlgorithm> {
    // ecdsa-with-SHA256, sha256WithRSAEncryption, ecdsa-with-SHA384.
    match oid {
        [0x2a, 0x86, 0x48, 0xce, 0x3d, 0x04, 0x03, 0x02] => {
            Some(&signature::ECDSA_P256_SHA256_ASN1)
        }
        [0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x0b] => {
            Some(&signature::RSA_PKCS1_2048_8192_SHA256)
        }
        [0x2a, 0x86, 0x48, 0xce, 0x3d, 0x04, 0x03, 0x03] => {
            Some(&signature::ECDSA_P384_SHA384_ASN1)
        }
        _ => None,
    }
}

fn subject(cert: &X509Certificate<'_>) -> String {
    cert.subject().to_string()
}

fn signed_by(cert: &X509Certificate<'_>, issuer: &X509Certificate<'_>) -> bool {
    let Some(alg) = algorithm(cert.signature_algorithm.algorithm.as_bytes()) else {
        return false;
    };
    cert.issuer().as_raw() == issuer.subject().as_raw()
        && UnparsedPublicKey::new(alg, issuer.public_key().subject_public_key.data.as_ref())
            .verify(
                cert.tbs_certificate.as_ref(),
                cert.signature_value.data.as_ref(),
            )
            .is_ok()
}

fn asn1_time(at: OffsetDateTime) -> Option<ASN1Time> {
    ASN1Time::from_timestamp(at.unix_timestamp()).ok()
}

fn parse(der: &[u8]) -> Option<X509Certificate<'_>> {
    x509_parser::parse_x509_certificate(der)
        .ok()
        .map(|(_, c)| c)
}

/// Validates `leaf_der` at `at` to `anchor_der` through `pool` (any order, duplicates fine),
/// checking `crls`. Returns the subjects of the path, leaf first, or what is wrong.
pub fn validate(
    leaf_der: &[u8],
    pool: &[Vec<u8>],
    anchor_der: &[u8],
    crls: &[Vec<u8>],
    at: OffsetDateTime,
) -> Result<Vec<String>, String> {
    let anchor = parse(anchor_der).ok_or("the trust anchor is not a certificate")?;
    let leaf = parse(leaf_der).ok_or("the signer's certificate does not parse")?;
    let candidates: Vec<X509Certificate<'_>> = pool.iter().filter_map(|d| parse(d)).collect();
    let parsed_crls: Vec<CertificateRevocationList<'_>> = crls
        .iter()
        .filter_map(|d| x509_parser::parse_x509_crl(d).ok().map(|(_, c)| c))
        .collect();
    let when = asn1_time(at).ok_or("the signing time is out of range")?;

    let mut path = vec![subject(&leaf)];
    let mut current = leaf;
    for _ in 0..MAX_DEPTH {
        if !current.validity().is_valid_at(when) {
            return Err(format!(
                "certificate {} was not valid at {at} (valid {} .. {})",
                subject(&current),
                current.validity().not_before,
                current.validity().not_after
            ));
        }
        if current.tbs_certificate.as_ref() == anchor.tbs_certificate.as_ref() {
            return Ok(path);
        }
        let issuer = if signed_by(&current, &anchor) {
            &anchor
        } else {
            candidates
                .iter()
                .find(|c| c.is_ca() && signed_by(&current, c))
                .ok_or_else(|| {
                    format!(
                        "no certificate in the package issued {} (issuer {}), and the trust anchor {} did not",
                        subject(&current),
                        current.issuer(),
                        subject(&anchor)
                    )
                })?
        };
        check_revocation(&current, issuer, &parsed_crls, at)?;
        if issuer.tbs_certificate.as_ref() == anchor.tbs_certificate.as_ref() {
            path.push(subject(&anchor));
            if !anchor.validity().is_valid_at(when) {
                return Err(format!("the trust anchor was not valid at {at}"));
            }
            return Ok(path);
        }
        path.push(subject(issuer));
        current = issuer.clone();
    }
    Err(format!(
        "no path to the trust anchor within {MAX_DEPTH} certificates"
    ))
}

/// Revoked before `at` by a CRL its issuer signed? A CRL signed by someone else is ignored
/// (it proves nothing), so a forged CRL cannot revoke, nor hide a revocation.
fn check_revocation(
    cert: &X509Certificate<'_>,
    issuer: &X509Certificate<'_>,
    crls: &[CertificateRevocationList<'_>],
    at: OffsetDateTime,
) -> Result<(), String> {
    for crl in crls {
        if crl.issuer().as_raw() != issuer.subject().as_raw() {
            continue;
        }
        let Some(alg) = algorithm(crl.signature_algorithm.algorithm.as_bytes()) else {
            continue;
        };
        let genuine =
            UnparsedPublicKey::new(alg, issuer.public_key().subject_public_key.data.as_ref())
                .verify(
                    crl.tbs_cert_list.as_ref(),
                    crl.signature_value.data.as_ref(),
                )
                .is_ok();
        if !genuine {
            continue;
        }
        for revoked in crl.iter_revoked_certificates() {
            if revoked.raw_serial() == cert.raw_serial()
                && revoked.revocation_date.timestamp() <= at.unix_timestamp()
            {
                return Err(format!(
                    "certificate {} was revoked at {} by {}, before the signing time {at}",
                    subject(cert),
                    revoked.revocation_date,
                    crl.issuer()
                ));
            }
        }
    }
    Ok(())
}
