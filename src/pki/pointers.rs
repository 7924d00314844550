//! Where a certificate's revocation status is found: the CRL distribution point and the
//! authority information access (OCSP responder, issuer certificate) every certificate of the
//! development hierarchy names. Validators that insist on revocation data (pyHanko's
//! `--force-revinfo`, Adobe's LTV check) tie CRLs and OCSP responses to a certificate through
//! these pointers; without them the DSS's CRLs are "not applicable".
//!
//! The URLs live under the service's public HTTP base, in the layout of the PKI directory:
//! `<public>/pki/<file>` for a CRL file `<file>` named in credentials.toml and for a CA
//! certificate `<file>.pem` as DER `<file>.cer`, and `<public>/ocsp` for the OCSP responder of
//! every CA the store knows (RFC 6960 tells the CAs apart by the request's issuer hashes).

use rcgen::{CertificateParams, CrlDistributionPoint, CustomExtension};

use super::error::PkiError;
use crate::crypto::{der, oid};

/// The public HTTP base the development hierarchy's pointers use when none is given: the
/// address `serve` publishes by default.
pub const DEFAULT_PUBLIC_URL: &str = "http://127.0.0.1:8080";

/// The path under the public base where the PKI's files are published.
pub const PUBLISHED_PREFIX: &str = "/pki/";

/// The path of the OCSP responder under the public base.
pub const OCSP_PATH: &str = "/ocsp";

/// The pointers of one certificate: the issuer's CRL file and certificate file (paths relative
/// to the PKI directory) under a public base.
pub(super) struct Pointers<'a> {
    pub base: &'a str,
    /// e.g. `stp/ca.crl`.
    pub crl_file: &'a str,
    /// e.g. `stp/ca.pem` (published as `stp/ca.cer`).
    pub issuer_file: &'a str,
}

/// The URL a file of the PKI directory is published at.
pub fn published_url(base: &str, rel: &str) -> String {
    format!("{}{PUBLISHED_PREFIX}{rel}", base.trim_end_matches('/'))
}

/// The published name of a certificate file: DER, `.cer` (RFC 5280 §4.2.2.1 asks for a DER
/// certificate or a certs-only CMS at a caIssuers URL, not PEM).
pub fn cer_name(pem_rel: &str) -> String {
    let stem = pem_rel.strip_suffix(".pem").unwrap_or(pem_rel);
    format!("{stem}.cer")
}

impl Pointers<'_> {
    /// Adds the CRL distribution point and the AIA extension to `params`.
    pub(super) fn apply(&self, params: &mut CertificateParams) -> Result<(), PkiError> {
        params.crl_distribution_points = vec![CrlDistributionPoint {
            uris: vec![published_url(self.base, self.crl_file)],
        }];
        let ocsp = format!("{}{OCSP_PATH}", self.base.trim_end_matches('/'));
        let issuer = published_url(self.base, &cer_name(self.issuer_file));
        params
            .custom_extensions
            .push(authority_info_access(&ocsp, &issuer)?);
        Ok(())
    }
}

/// AuthorityInfoAccessSyntax ::= SEQUENCE OF AccessDescription, with the OCSP responder first
/// (RFC 5280 §4.2.2.1). Written by hand: rcgen has no AIA support.
fn authority_info_access(ocsp: &str, ca_issuers: &str) -> Result<CustomExtension, PkiError> {
    // GeneralName uniformResourceIdentifier: [6] IMPLICIT IA5String.
    const URI: u8 = 0x86;
    let mut w = der::Writer::with_capacity(128);
    w.sequence(|w| {
        for (method, url) in [(oid::AD_OCSP, ocsp), (oid::AD_CA_ISSUERS, ca_issuers)] {
            w.sequence(|w| {
                w.oid(method);
                w.element(URI, url.as_bytes());
            });
        }
    });
    let arcs = der::oid_to_arcs(oid::AUTHORITY_INFO_ACCESS).map_err(|e| PkiError::Generate {
        what: "authority information access".into(),
        reason: e.to_string(),
    })?;
    Ok(CustomExtension::from_oid_content(&arcs, w.into_vec()))
}

/// Checks that a public base is an absolute http(s) URL an IA5String can hold, so a typo does
/// not end up in certificates that live for years.
pub fn check_public_url(base: &str) -> Result<(), PkiError> {
    let ok = (base.starts_with("http://") || base.starts_with("https://"))
        && base.is_ascii()
        && !base.bytes().any(|b| b.is_ascii_control() || b == b' ');
    if ok {
        Ok(())
    } else {
        Err(PkiError::Generate {
            what: "revocation pointers".into(),
            reason: format!(
                "the public URL `{base}` must be an absolute http:// or https:// URL in ASCII"
            ),
        })
    }
}
