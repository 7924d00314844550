//! A certificate's status by CRLs, as RFC 5280 §6.3 decides it: which CRLs are in scope (the
//! certificate's distribution points against the CRL's issuing distribution point, indirect
//! CRLs and their certificateIssuer entries, user/CA-only CRLs, reason partitions), who may sign
//! them (the issuer, or a certificate of the CRL issuer's name with cRLSign whose own path is
//! valid), delta CRLs over their base, and which extensions forbid a CRL's use (any unknown
//! critical one, in the CRL or an entry).
//!
//! The answer is "good" only when current CRLs cover every revocation reason; a revocation
//! found in any CRL in scope is final.

use time::OffsetDateTime;
use x509_parser::certificate::X509Certificate;
use x509_parser::extensions::GeneralName;
use x509_parser::prelude::FromDer;
use x509_parser::revocation_list::CertificateRevocationList;

use super::names::Dn;
use super::signed_by::signed_by;

/// The revocation reasons a CRL can speak for (RFC 5280 §5.3.1, ReasonFlags bits 1–8).
const ALL_REASONS: u16 = 0x01fe;
/// removeFromCRL: an entry of a delta CRL that undoes a hold.
const REMOVE_FROM_CRL: u8 = 8;

/// deltaCRLIndicator, certificateIssuer, freshestCRL, authorityKeyIdentifier, issuerAltName,
/// cRLNumber, issuingDistributionPoint, reasonCode, invalidityDate, holdInstructionCode.
const DELTA_CRL_INDICATOR: &[u8] = &[0x55, 0x1d, 0x1b];
const CERTIFICATE_ISSUER: &[u8] = &[0x55, 0x1d, 0x1d];
const KNOWN_CRL_EXTENSIONS: &[&[u8]] = &[
    &[0x55, 0x1d, 0x23],
    &[0x55, 0x1d, 0x12],
    &[0x55, 0x1d, 0x14],
    &[0x55, 0x1d, 0x1c],
    DELTA_CRL_INDICATOR,
    &[0x55, 0x1d, 0x2e],
];
const KNOWN_ENTRY_EXTENSIONS: &[&[u8]] = &[
    &[0x55, 0x1d, 0x15],
    &[0x55, 0x1d, 0x18],
    &[0x55, 0x1d, 0x17],
    CERTIFICATE_ISSUER,
];

/// What the CRLs say about one certificate.
#[derive(Debug, Clone, Copy)]
pub(super) struct CrlAnswer {
    pub revoked_at: Option<OffsetDateTime>,
    pub next_update: Option<OffsetDateTime>,
    /// Current CRLs cover every reason (for a good answer) — false: only lapsed ones did.
    pub current: bool,
    pub from_document: bool,
}

/// One CRL offered for the check.
#[derive(Clone, Copy)]
pub(super) struct OfferedCrl<'a> {
    pub der: &'a [u8],
    pub from_document: bool,
}

/// Who else may have signed a CRL: a certificate of the CRL issuer's name, from the pool,
/// whose own path the caller validates (`valid_signer`).
pub(super) struct Signers<'s> {
    pub pool: &'s [Vec<u8>],
    pub valid_signer: &'s dyn Fn(&[u8]) -> bool,
}

struct Parsed<'a> {
    crl: CertificateRevocationList<'a>,
    from_document: bool,
    issuer: Dn,
    delta_base: Option<Vec<u8>>,
    idp_raw: Option<Vec<u8>>,
}

/// The offered CRLs, parsed once for every certificate of a path; those that do not parse,
/// or carry an unknown critical extension, are left out.
pub(super) struct CrlSet<'a> {
    parsed: Vec<Parsed<'a>>,
}

impl<'a> CrlSet<'a> {
    pub(super) fn parse(offered: impl IntoIterator<Item = OfferedCrl<'a>>) -> CrlSet<'a> {
        let parsed = offered
            .into_iter()
            .filter_map(|o| {
                let (_, crl) = x509_parser::parse_x509_crl(o.der).ok()?;
                usable(&crl).then_some(())?;
                let issuer = Dn::of(crl.issuer());
                let delta_base = crl
                    .extensions()
                    .iter()
                    .find(|e| e.oid.as_bytes() == DELTA_CRL_INDICATOR)
                    .map(|e| e.value.to_vec());
                let idp_raw = crl
                    .extensions()
                    .iter()
                    .find(|e| e.oid.as_bytes() == [0x55, 0x1d, 0x1c])
                    .map(|e| e.value.to_vec());
                Some(Parsed {
                    crl,
                    from_document: o.from_document,
                    issuer,
                    delta_base,
                    idp_raw,
                })
            })
            .collect();
        CrlSet { parsed }
    }

    /// Whether the set holds CRLs from the configuration as well as from the document.
    pub(super) fn has_configured(&self) -> bool {
        self.parsed.iter().any(|p| !p.from_document)
    }
}

/// The status of `cert`, issued by `issuer`, at `at`, by the CRLs of `set` (only the
/// document's with `document_only`); None when no CRL in scope says anything.
pub(super) fn crl_status(
    cert: &X509Certificate<'_>,
    issuer: &X509Certificate<'_>,
    set: &CrlSet<'_>,
    document_only: bool,
    signers: &Signers<'_>,
    at: OffsetDateTime,
) -> Option<CrlAnswer> {
    let parsed: Vec<&Parsed<'_>> = set
        .parsed
        .iter()
        .filter(|p| p.from_document || !document_only)
        .collect();
    let cert_issuer = Dn::of(cert.issuer());
    let mut covered_current: u16 = 0;
    let mut covered_any: u16 = 0;
    let mut revoked_at: Option<OffsetDateTime> = None;
    let mut next_update: Option<OffsetDateTime> = None;
    let mut from_document = true;
    let mut seen = false;
    for complete in parsed.iter().filter(|p| p.delta_base.is_none()) {
        let Some(reasons) = scope(cert, &cert_issuer, complete) else {
            continue;
        };
        if !signed_properly(&complete.crl, &complete.issuer, issuer, signers) {
            continue;
        }
        seen = true;
        from_document &= complete.from_document;
        let mut current = is_current(&complete.crl, at);
        // A delta CRL of the same scope and signer, based on this CRL or an earlier one.
        let deltas: Vec<&Parsed<'_>> = parsed
            .iter()
            .copied()
            .filter(|d| {
                d.delta_base.as_deref().is_some_and(|base| {
                    d.issuer == complete.issuer
                        && d.idp_raw == complete.idp_raw
                        && number_at_most(base, complete.crl.crl_number())
                })
            })
            .filter(|d| signed_properly(&d.crl, &d.issuer, issuer, signers))
            .collect();
        let mut status: Option<(OffsetDateTime, u8)> = None;
        for delta in &deltas {
            current &= is_current(&delta.crl, at);
            if let Some(entry) = listed(&delta.crl, &delta.issuer, cert, &cert_issuer) {
                status = Some(entry);
            }
        }
        if status.is_none() {
            status = listed(&complete.crl, &complete.issuer, cert, &cert_issuer);
        }
        if let Some((when, reason)) = status {
            if reason != REMOVE_FROM_CRL {
                revoked_at = Some(revoked_at.map_or(when, |r| r.min(when)));
            }
        }
        let lapse = complete.crl.next_update().map(|t| t.to_datetime());
        if current {
            covered_current |= reasons;
        } else if lapse > next_update {
            next_update = lapse;
        }
        covered_any |= reasons;
    }
    if !seen {
        return None;
    }
    if revoked_at.is_some() {
        return Some(CrlAnswer {
            revoked_at,
            next_update,
            current: true,
            from_document,
        });
    }
    if covered_any & ALL_REASONS != ALL_REASONS {
        // Only some reasons are spoken for: nothing is known of the others.
        return None;
    }
    Some(CrlAnswer {
        revoked_at: None,
        next_update,
        current: covered_current & ALL_REASONS == ALL_REASONS,
        from_document,
    })
}

/// No unknown critical extension in the CRL or any of its entries (§6.3.3 (f) and (i)).
fn usable(crl: &CertificateRevocationList<'_>) -> bool {
    let known = |list: &[&[u8]], oid: &[u8]| list.contains(&oid);
    crl.extensions()
        .iter()
        .all(|e| !e.critical || known(KNOWN_CRL_EXTENSIONS, e.oid.as_bytes()))
        && crl.iter_revoked_certificates().all(|r| {
            r.extensions()
                .iter()
                .all(|e| !e.critical || known(KNOWN_ENTRY_EXTENSIONS, e.oid.as_bytes()))
        })
}

fn is_current(crl: &CertificateRevocationList<'_>, at: OffsetDateTime) -> bool {
    match crl.next_update() {
        Some(next) => next.to_datetime() >= at,
        None => crl.last_update().to_datetime() >= at,
    }
}

/// Whether the delta's BaseCRLNumber (DER INTEGER) is at most the complete CRL's number.
fn number_at_most(base_der: &[u8], number: Option<&x509_parser::num_bigint::BigUint>) -> bool {
    let Some(number) = number else { return false };
    match crate::crypto::der::parse_single(base_der, crate::crypto::der::INTEGER) {
        Ok(base) if base.content.first().is_some_and(|b| b & 0x80 == 0) => {
            &x509_parser::num_bigint::BigUint::from_bytes_be(base.content) <= number
        }
        _ => false,
    }
}

/// A distribution point (RFC 5280 §4.2.1.13), read by our own DER reader: x509-parser 0.18
/// rejects a nameRelativeToCRLIssuer (it expects the RDN's SET tag inside the implicit [1]).
#[derive(Default)]
struct DistributionPoint {
    name: Option<Vec<Full>>,
    reasons: Option<u16>,
    crl_issuers: Option<Vec<Dn>>,
}

/// The issuing distribution point of a CRL (§5.2.5).
#[derive(Default)]
struct IssuingDistributionPoint {
    name: Option<Vec<Full>>,
    only_user: bool,
    only_ca: bool,
    only_some_reasons: Option<u16>,
    indirect: bool,
    only_attribute: bool,
}

use crate::crypto::der::{context_constructed, context_primitive, Reader, SEQUENCE};

/// ReasonFlags (a BIT STRING's content) as the 9 low bits, bit i for reason i.
fn reason_flags(content: &[u8]) -> u16 {
    let mut flags = 0u16;
    for (byte_index, byte) in content.iter().skip(1).take(2).enumerate() {
        for bit in 0..8 {
            if byte & (0x80 >> bit) != 0 {
                flags |= 1 << (byte_index * 8 + bit);
            }
        }
    }
    flags
}

/// A DistributionPointName, given the content of its [0] wrapper; `issuer` completes a name
/// relative to the CRL issuer.
fn dp_name(content: &[u8], issuer: &Dn) -> Option<Vec<Full>> {
    let tlv = Reader::new(content).read_any().ok()?;
    if tlv.tag == context_constructed(0) {
        let mut names = Vec::new();
        let mut r = Reader::new(tlv.content);
        while let Ok(item) = r.read_any() {
            let (_, name) = GeneralName::from_der(item.raw).ok()?;
            names.push(full_name(&name));
        }
        Some(names)
    } else if tlv.tag == context_constructed(1) {
        let mut set = tlv.raw.to_vec();
        *set.first_mut()? = crate::crypto::der::SET;
        let (_, rdn) = x509_parser::x509::RelativeDistinguishedName::from_der(&set).ok()?;
        Some(vec![Full::Dir(issuer.with_rdn(&rdn))])
    } else {
        None
    }
}

fn general_names_dns(content: &[u8]) -> Vec<Dn> {
    let mut out = Vec::new();
    let mut r = Reader::new(content);
    while let Ok(item) = r.read_any() {
        if let Ok((_, GeneralName::DirectoryName(d))) = GeneralName::from_der(item.raw) {
            out.push(Dn::of(&d));
        }
    }
    out
}

/// The certificate's CRL distribution points; None without the extension (or unreadable).
fn distribution_points(
    cert: &X509Certificate<'_>,
    cert_issuer: &Dn,
) -> Option<Vec<DistributionPoint>> {
    let ext = cert
        .extensions()
        .iter()
        .find(|e| e.oid.as_bytes() == [0x55, 0x1d, 0x1f])?;
    let mut points = Vec::new();
    let mut seq = Reader::new(ext.value).nested(SEQUENCE).ok()?;
    while let Ok(mut dp) = seq.nested(SEQUENCE) {
        let mut point = DistributionPoint::default();
        let mut raw_name = None;
        while let Ok(field) = dp.read_any() {
            if field.tag == context_constructed(0) {
                raw_name = Some(field.content);
            } else if field.tag == context_primitive(1) {
                point.reasons = Some(reason_flags(field.content));
            } else if field.tag == context_constructed(2) {
                point.crl_issuers = Some(general_names_dns(field.content));
            }
        }
        // A relative name is relative to the CRL issuer: the cRLIssuer, else the issuer.
        let relative_to = point
            .crl_issuers
            .as_ref()
            .and_then(|i| i.first().cloned())
            .unwrap_or_else(|| cert_issuer.clone());
        point.name = raw_name.and_then(|content| dp_name(content, &relative_to));
        points.push(point);
    }
    Some(points)
}

fn issuing_distribution_point(
    crl: &CertificateRevocationList<'_>,
    crl_issuer: &Dn,
) -> Option<IssuingDistributionPoint> {
    let ext = crl
        .extensions()
        .iter()
        .find(|e| e.oid.as_bytes() == [0x55, 0x1d, 0x1c])?;
    let mut idp = IssuingDistributionPoint::default();
    let mut r = Reader::new(ext.value).nested(SEQUENCE).ok()?;
    let flag = |content: &[u8]| content.first().is_some_and(|b| *b != 0);
    while let Ok(field) = r.read_any() {
        match field.tag {
            t if t == context_constructed(0) => idp.name = dp_name(field.content, crl_issuer),
            t if t == context_primitive(1) => idp.only_user = flag(field.content),
            t if t == context_primitive(2) => idp.only_ca = flag(field.content),
            t if t == context_primitive(3) => {
                idp.only_some_reasons = Some(reason_flags(field.content))
            }
            t if t == context_primitive(4) => idp.indirect = flag(field.content),
            t if t == context_primitive(5) => idp.only_attribute = flag(field.content),
            _ => {}
        }
    }
    Some(idp)
}

/// The reasons this CRL speaks for about `cert`, if it is in scope for it (§6.3.3 (b)–(d)).
fn scope(cert: &X509Certificate<'_>, cert_issuer: &Dn, crl: &Parsed<'_>) -> Option<u16> {
    let idp = issuing_distribution_point(&crl.crl, &crl.issuer);
    if let Some(idp) = &idp {
        let is_ca = cert.is_ca();
        if (idp.only_user && is_ca) || (idp.only_ca && !is_ca) || idp.only_attribute {
            return None;
        }
    }
    let idp_reasons = idp
        .as_ref()
        .and_then(|i| i.only_some_reasons)
        .unwrap_or(ALL_REASONS);
    let idp_names = idp.as_ref().and_then(|i| i.name.clone());
    let indirect = idp.as_ref().is_some_and(|i| i.indirect);
    let Some(points) = distribution_points(cert, cert_issuer) else {
        // A CRL for a named distribution point is not for certificates that name none.
        return (crl.issuer == *cert_issuer && idp_names.is_none()).then_some(idp_reasons);
    };
    let mut reasons = 0u16;
    for dp in &points {
        let issuer_ok = match &dp.crl_issuers {
            Some(issuers) => indirect && issuers.contains(&crl.issuer),
            None => crl.issuer == *cert_issuer,
        };
        let names_ok = match (&idp_names, &dp.name) {
            (None, _) => true,
            (Some(idp_names), Some(dp_names)) => idp_names.iter().any(|n| dp_names.contains(n)),
            (Some(idp_names), None) => dp.crl_issuers.as_ref().is_some_and(|issuers| {
                issuers
                    .iter()
                    .any(|i| idp_names.contains(&Full::Dir(i.clone())))
            }),
        };
        if issuer_ok && names_ok {
            reasons |= idp_reasons & dp.reasons.unwrap_or(ALL_REASONS);
        }
    }
    (reasons != 0).then_some(reasons)
}

/// A distribution point name in comparable form.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Full {
    Dir(Dn),
    Text(u8, String),
}

fn full_name(name: &GeneralName<'_>) -> Full {
    match name {
        GeneralName::DirectoryName(d) => Full::Dir(Dn::of(d)),
        GeneralName::URI(s) => Full::Text(6, s.to_ascii_lowercase()),
        GeneralName::DNSName(s) => Full::Text(2, s.to_ascii_lowercase()),
        GeneralName::RFC822Name(s) => Full::Text(1, s.to_ascii_lowercase()),
        other => Full::Text(255, format!("{other:?}")),
    }
}

/// Signed by the certificate's issuer, or by a valid certificate of the CRL issuer's name with
/// cRLSign (§6.3.3 (f)).
fn signed_properly(
    crl: &CertificateRevocationList<'_>,
    crl_issuer: &Dn,
    issuer: &X509Certificate<'_>,
    signers: &Signers<'_>,
) -> bool {
    let verifies = |signer: &X509Certificate<'_>| {
        may_sign_crls(signer)
            && signed_by(
                signer,
                crl.signature_algorithm.algorithm.as_bytes(),
                crl.tbs_cert_list.as_ref(),
                crl.signature_value.data.as_ref(),
            )
    };
    if Dn::of(issuer.subject()) == *crl_issuer && verifies(issuer) {
        return true;
    }
    signers.pool.iter().any(|der| {
        let Ok((_, candidate)) = x509_parser::parse_x509_certificate(der) else {
            return false;
        };
        Dn::of(candidate.subject()) == *crl_issuer
            && verifies(&candidate)
            && (signers.valid_signer)(der)
    })
}

fn may_sign_crls(cert: &X509Certificate<'_>) -> bool {
    match cert.key_usage() {
        Ok(Some(ku)) => ku.value.crl_sign(),
        Ok(None) => true,
        Err(_) => false,
    }
}

/// The entry for `cert` on `crl`: (revocation time, reason code; 0 when none). Entries of an
/// indirect CRL belong to the issuer their certificateIssuer names, the last one named.
fn listed(
    crl: &CertificateRevocationList<'_>,
    crl_issuer: &Dn,
    cert: &X509Certificate<'_>,
    cert_issuer: &Dn,
) -> Option<(OffsetDateTime, u8)> {
    let mut entry_issuer = crl_issuer.clone();
    for entry in crl.iter_revoked_certificates() {
        if let Some(ext) = entry
            .extensions()
            .iter()
            .find(|e| e.oid.as_bytes() == CERTIFICATE_ISSUER)
        {
            if let Some(dn) = first_directory_name(ext.value) {
                entry_issuer = dn;
            }
        }
        if entry_issuer == *cert_issuer && entry.raw_serial() == cert.raw_serial() {
            let reason = entry.reason_code().map_or(0, |(_, r)| r.0);
            return Some((entry.revocation_date.to_datetime(), reason));
        }
    }
    None
}

/// The first directoryName of a DER GeneralNames.
fn first_directory_name(der: &[u8]) -> Option<Dn> {
    let mut reader = crate::crypto::der::Reader::new(der)
        .nested(crate::crypto::der::SEQUENCE)
        .ok()?;
    while let Ok(tlv) = reader.read_any() {
        if let Ok((_, GeneralName::DirectoryName(name))) = GeneralName::from_der(tlv.raw) {
            return Some(Dn::of(&name));
        }
    }
    None
}
