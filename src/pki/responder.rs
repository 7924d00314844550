//! The development CAs' delegated OCSP responders (RFC 6960 §4.2.2.2): one certificate per CA,
//! issued by that CA, with id-kp-OCSPSigning and id-pkix-ocsp-nocheck (so validators need no
//! revocation data for the responder itself), short-lived enough to be replaced with the CA's
//! other development material.

use rcgen::{
    CertificateParams, CustomExtension, DistinguishedName, DnType, ExtendedKeyUsagePurpose, IsCa,
    Issuer, KeyIdMethod, KeyPair, KeyUsagePurpose, SerialNumber,
};
use time::OffsetDateTime;

use super::error::PkiError;
use crate::crypto::{der, oid};

/// A responder's certificate (PEM) and key (PKCS#8 DER).
pub(super) struct ResponderFiles {
    pub cert_pem: String,
    pub key_der: Vec<u8>,
}

/// Issues the responder certificate of the CA `issuer` (named `ca_name` in the subject).
pub(super) fn responder_certificate(
    issuer: &Issuer<'_, KeyPair>,
    ca_name: &str,
    organisation: &str,
    serial: SerialNumber,
    (not_before, not_after): (OffsetDateTime, OffsetDateTime),
) -> Result<ResponderFiles, PkiError> {
    let fail = |e: rcgen::Error| PkiError::Generate {
        what: "OCSP responder certificate".into(),
        reason: e.to_string(),
    };
    let key = KeyPair::generate().map_err(fail)?;
    let mut params = CertificateParams::default();
    let mut name = DistinguishedName::new();
    name.push(DnType::CountryName, "VN");
    name.push(DnType::OrganizationName, organisation);
    name.push(DnType::CommonName, format!("{ca_name} — OCSP"));
    params.distinguished_name = name;
    params.serial_number = Some(serial);
    params.not_before = not_before;
    params.not_after = not_after;
    params.key_identifier_method = KeyIdMethod::Sha256;
    params.is_ca = IsCa::ExplicitNoCa;
    params.use_authority_key_identifier_extension = true;
    params.key_usages = vec![KeyUsagePurpose::DigitalSignature];
    let arcs = |o: &[u8]| {
        der::oid_to_arcs(o).map_err(|e| PkiError::Generate {
            what: "object identifier".into(),
            reason: e.to_string(),
        })
    };
    params.extended_key_usages = vec![ExtendedKeyUsagePurpose::Other(arcs(oid::KP_OCSP_SIGNING)?)];
    // id-pkix-ocsp-nocheck: extnValue is NULL (RFC 6960 §4.2.2.2.1).
    params
        .custom_extensions
        .push(CustomExtension::from_oid_content(
            &arcs(oid::OCSP_NOCHECK)?,
            vec![der::NULL, 0],
        ));
    let cert = params.signed_by(&key, issuer).map_err(fail)?;
    Ok(ResponderFiles {
        cert_pem: cert.pem(),
        key_der: key.serialize_der(),
    })
}
