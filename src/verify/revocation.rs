//! The revocation status of one certificate at one time, from the CRLs and OCSP responses a
//! document carries (DSS, CMS) and the configured ones.
//!
//! - A CRL counts when the certificate's issuer signed it; an OCSP response when the issuer
//!   signed it or a delegated responder did — a certificate the issuer issued with
//!   id-kp-OCSPSigning, valid when the response was produced, and either marked
//!   id-pkix-ocsp-nocheck or shown good by the issuer's CRL (RFC 6960 §4.2.2.2).
//! - A revocation any counted source proves is final, whatever its age: the earliest wins.
//! - "Good" needs information current at the validation time: nextUpdate at or after it (or,
//!   without nextUpdate, issued at or after it). Information that had already lapsed says
//!   "stale", which the path check reports as INDETERMINATE, never VALID.

#![deny(
    clippy::indexing_slicing,
    clippy::arithmetic_side_effects,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic
)]

use ring::digest::{digest, SHA1_FOR_LEGACY_USE_ONLY};
use time::OffsetDateTime;
use x509_parser::certificate::X509Certificate;

use super::crl::{crl_status, CrlSet, OfferedCrl, Signers};
use super::report::RevocationStatus;
use super::signed_by::{issued_by, signed_by};
use crate::crypto::oid;
use crate::pki::{self, CertStatus, ResponderId};

/// What kind of revocation information a source holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RevocationFormat {
    /// A DER CertificateList (RFC 5280 §5).
    Crl,
    /// A DER OCSPResponse (RFC 6960 §4.2.1).
    Ocsp,
}

/// One piece of revocation information, with where it came from.
#[derive(Debug, Clone, Copy)]
pub struct RevocationSource<'a> {
    pub der: &'a [u8],
    pub format: RevocationFormat,
    /// From the document (DSS, CMS) rather than the verifier's configuration: what B-LT needs.
    pub from_document: bool,
}

impl<'a> RevocationSource<'a> {
    pub fn crl(der: &'a [u8], from_document: bool) -> Self {
        RevocationSource {
            der,
            format: RevocationFormat::Crl,
            from_document,
        }
    }

    pub fn ocsp(der: &'a [u8], from_document: bool) -> Self {
        RevocationSource {
            der,
            format: RevocationFormat::Ocsp,
            from_document,
        }
    }
}

/// What one source says about the certificate.
struct Answer {
    revoked_at: Option<OffsetDateTime>,
    next_update: Option<OffsetDateTime>,
    current: bool,
}

/// The revocation data of one verification: the sources, with their CRLs parsed once.
pub(super) struct Revocation<'a> {
    sources: &'a [RevocationSource<'a>],
    crls: CrlSet<'a>,
}

impl<'a> Revocation<'a> {
    pub(super) fn new(sources: &'a [RevocationSource<'a>]) -> Revocation<'a> {
        let crls = CrlSet::parse(
            sources
                .iter()
                .filter(|s| s.format == RevocationFormat::Crl)
                .map(|s| OfferedCrl {
                    der: s.der,
                    from_document: s.from_document,
                }),
        );
        Revocation { sources, crls }
    }
}

/// The status of `cert`, issued by `issuer`, at `at`, by every source that counts.
pub(super) fn status_at(
    cert: &X509Certificate<'_>,
    issuer: &X509Certificate<'_>,
    revocation: &Revocation<'_>,
    signers: &Signers<'_>,
    at: OffsetDateTime,
) -> RevocationStatus {
    status_with(cert, issuer, revocation, signers, at, true)
}

/// [`status_at`], by CRLs alone unless `use_ocsp`.
fn status_with(
    cert: &X509Certificate<'_>,
    issuer: &X509Certificate<'_>,
    revocation: &Revocation<'_>,
    signers: &Signers<'_>,
    at: OffsetDateTime,
    use_ocsp: bool,
) -> RevocationStatus {
    let mut status = RevocationStatus {
        subject: cert.subject().to_string(),
        status: "unknown".into(),
        revoked_at: None,
        source: None,
        method: None,
        next_update: None,
    };
    // The document's CRLs alone first, so that a B-LT document that carries what it needs is
    // seen to, then together with the configured ones (a newer configured CRL may know a
    // revocation the document's did not).
    let mut passes = vec![true];
    if revocation.crls.has_configured() {
        passes.push(false);
    }
    for document_only in passes {
        if let Some(a) = crl_status(cert, issuer, &revocation.crls, document_only, signers, at) {
            let answer = Answer {
                revoked_at: a.revoked_at,
                next_update: a.next_update,
                current: a.current,
            };
            merge(&mut status, &answer, "CRL", a.from_document);
        }
    }
    for source in revocation
        .sources
        .iter()
        .filter(|s| use_ocsp && s.format == RevocationFormat::Ocsp)
    {
        // Once the status is good or revoked, a "good" response changes nothing: its signature
        // need not be checked (ECDSA dominates a verification's profile).
        let only_revocations = matches!(status.status.as_str(), "good" | "revoked");
        if let Some(answer) =
            ocsp_answer(cert, issuer, revocation, source.der, at, only_revocations)
        {
            merge(&mut status, &answer, "OCSP", source.from_document);
        }
    }
    status
}

/// Folds one answer into the status: the earliest revocation wins whatever its age; a current
/// "good" wins over none or a lapsed one; between lapsed ones, the one current the longest.
fn merge(status: &mut RevocationStatus, answer: &Answer, method: &str, from_document: bool) {
    let take = |status: &mut RevocationStatus, word: &str| {
        status.status = word.into();
        status.revoked_at = answer.revoked_at;
        status.source = Some(origin(from_document).into());
        status.method = Some(method.into());
        status.next_update = answer.next_update;
    };
    match (answer.revoked_at, status.status.as_str()) {
        (Some(r), _) if status.revoked_at.is_none_or(|prev| r < prev) => take(status, "revoked"),
        (Some(_), _) | (None, "revoked") | (None, "good") => {}
        (None, _) if answer.current => take(status, "good"),
        (None, "stale") if answer.next_update <= status.next_update => {}
        (None, _) => take(status, "stale"),
    }
}

fn origin(from_document: bool) -> &'static str {
    if from_document {
        "document"
    } else {
        "configuration"
    }
}

/// Whether information issued at `this_update`, current until `next_update`, speaks for `at`.
fn is_current(
    this_update: OffsetDateTime,
    next_update: Option<OffsetDateTime>,
    at: OffsetDateTime,
) -> bool {
    next_update.map_or(this_update >= at, |next| next >= at)
}

fn ocsp_answer(
    cert: &X509Certificate<'_>,
    issuer: &X509Certificate<'_>,
    revocation: &Revocation<'_>,
    der: &[u8],
    at: OffsetDateTime,
    only_revocations: bool,
) -> Option<Answer> {
    let response = pki::parse_ocsp_response(der).ok()?;
    let name = issuer.subject().as_raw();
    let key = issuer.public_key().subject_public_key.data.as_ref();
    let single = response
        .responses
        .iter()
        .find(|s| s.is_about(cert.raw_serial(), name, key))?;
    if only_revocations && !matches!(single.status, CertStatus::Revoked(_)) {
        return None;
    }
    if !responder_may_answer(&response, issuer, revocation) {
        return None;
    }
    let revoked_at = match single.status {
        CertStatus::Good => None,
        CertStatus::Revoked(r) => Some(r),
        CertStatus::Unknown => return None,
    };
    Some(Answer {
        revoked_at,
        next_update: single.next_update,
        current: is_current(single.this_update, single.next_update, at),
    })
}

/// Whether `response` was signed by `issuer` itself or by a responder it delegated to.
fn responder_may_answer(
    response: &pki::OcspResponse<'_>,
    issuer: &X509Certificate<'_>,
    revocation: &Revocation<'_>,
) -> bool {
    let verifies = |signer: &X509Certificate<'_>| {
        signed_by(
            signer,
            response.signature_algorithm,
            response.signed,
            response.signature,
        )
    };
    if names(response.responder, issuer) {
        return verifies(issuer);
    }
    response.certificates.iter().any(|der| {
        let Ok((_, responder)) = x509_parser::parse_x509_certificate(der) else {
            return false;
        };
        names(response.responder, &responder)
            && issued_by(&responder, issuer)
            && is_delegated(&responder, response.produced_at)
            && responder_not_revoked(&responder, issuer, revocation, response.produced_at)
            && verifies(&responder)
    })
}

/// Whether the ResponderID designates `cert`.
fn names(id: ResponderId<'_>, cert: &X509Certificate<'_>) -> bool {
    match id {
        ResponderId::ByName(name) => name == cert.subject().as_raw(),
        ResponderId::ByKey(hash) => {
            let key = cert.public_key().subject_public_key.data.as_ref();
            digest(&SHA1_FOR_LEGACY_USE_ONLY, key).as_ref() == hash
        }
    }
}

/// A delegated responder: id-kp-OCSPSigning, within its validity when it answered.
fn is_delegated(responder: &X509Certificate<'_>, produced_at: OffsetDateTime) -> bool {
    let validity = responder.validity();
    let in_time = validity.not_before.to_datetime() <= produced_at
        && produced_at <= validity.not_after.to_datetime();
    let signs_ocsp = matches!(
        responder.extended_key_usage(),
        Ok(Some(eku)) if eku.value.ocsp_signing
    );
    in_time && signs_ocsp
}

/// A responder marked id-pkix-ocsp-nocheck needs no revocation check; any other must be shown
/// good by its issuer's CRL (not by OCSP: a responder cannot vouch for itself).
fn responder_not_revoked(
    responder: &X509Certificate<'_>,
    issuer: &X509Certificate<'_>,
    revocation: &Revocation<'_>,
    at: OffsetDateTime,
) -> bool {
    let nocheck = responder
        .extensions()
        .iter()
        .any(|e| e.oid.as_bytes() == oid::OCSP_NOCHECK);
    if nocheck {
        return true;
    }
    let no_other_signers = Signers {
        pool: &[],
        valid_signer: &|_| false,
    };
    status_with(responder, issuer, revocation, &no_other_signers, at, false).status == "good"
}

#[cfg(test)]
mod tests {
    #![allow(
        clippy::unwrap_used,
        clippy::expect_used,
        clippy::indexing_slicing,
        clippy::panic,
        clippy::arithmetic_side_effects
    )]
    use time::Duration;

    use super::*;
    use crate::pki::testing::dev_store;

    const NO_SIGNERS: Signers<'static> = Signers {
        pool: &[],
        valid_signer: &|_| false,
    };

    struct Case {
        _dir: tempfile::TempDir,
        store: crate::pki::KeyStore,
        good: String,
        revoked: String,
    }

    fn case() -> Case {
        let (dir, _summary, store) = dev_store();
        let pick = |revoked: bool| {
            store
                .credentials()
                .find(|c| c.revoked_at().is_some() == revoked && !c.chain_der().is_empty())
                .expect("a credential")
                .id()
                .to_owned()
        };
        let (good, revoked) = (pick(false), pick(true));
        Case {
            _dir: dir,
            store,
            good,
            revoked,
        }
    }

    impl Case {
        /// The credential's certificate and its issuer's, DER.
        fn pair(&self, id: &str) -> (&[u8], &[u8]) {
            let c = self.store.get(id).expect("credential");
            (c.certificate_der(), c.chain_der().first().expect("issuer"))
        }

        fn status(
            &self,
            id: &str,
            sources: &[RevocationSource<'_>],
            at: OffsetDateTime,
        ) -> RevocationStatus {
            let (cert, issuer) = self.pair(id);
            let (_, cert) = x509_parser::parse_x509_certificate(cert).expect("cert");
            let (_, issuer) = x509_parser::parse_x509_certificate(issuer).expect("issuer");
            status_at(&cert, &issuer, &Revocation::new(sources), &NO_SIGNERS, at)
        }
    }

    #[test]
    fn crls_and_ocsp_say_good_while_current_and_stale_after_next_update() {
        let c = case();
        let now = OffsetDateTime::now_utc();
        let crls = c.store.crls_der();
        let crl_sources: Vec<_> = crls
            .iter()
            .map(|d| RevocationSource::crl(d, true))
            .collect();
        let s = c.status(&c.good, &crl_sources, now);
        assert_eq!(
            (s.status.as_str(), s.method.as_deref()),
            ("good", Some("CRL"))
        );
        let s = c.status(&c.good, &crl_sources, now + Duration::days(40));
        assert_eq!(
            s.status, "stale",
            "the development CRLs are current for 30 days"
        );
        assert!(s.next_update.is_some_and(|n| n < now + Duration::days(40)));

        let (cert, _) = c.pair(&c.good);
        let answers = c.store.ocsp_answers(&[cert], now);
        let ocsp: Vec<_> = answers
            .iter()
            .map(|d| RevocationSource::ocsp(d, true))
            .collect();
        let s = c.status(&c.good, &ocsp, now);
        assert_eq!(
            (s.status.as_str(), s.method.as_deref()),
            ("good", Some("OCSP"))
        );
        assert_eq!(
            c.status(&c.good, &ocsp, now + Duration::days(2)).status,
            "stale"
        );

        // A current source wins over a lapsed one, whichever comes first.
        let mut both = crl_sources.clone();
        both.extend(ocsp.iter().copied());
        let later = now + Duration::hours(12);
        let s = c.status(&c.good, &both, later);
        assert_eq!(
            (s.status.as_str(), s.method.as_deref()),
            ("good", Some("CRL"))
        );
        let s = c.status(&c.good, &both, now + Duration::days(31));
        assert_eq!(s.status, "stale");
        assert_eq!(c.status(&c.good, &[], now).status, "unknown");
    }

    #[test]
    fn a_revocation_is_final_whatever_its_age_and_only_the_issuer_speaks() {
        let c = case();
        let now = OffsetDateTime::now_utc();
        let crls = c.store.crls_der();
        let crl_sources: Vec<_> = crls
            .iter()
            .map(|d| RevocationSource::crl(d, false))
            .collect();
        let s = c.status(&c.revoked, &crl_sources, now + Duration::days(400));
        assert_eq!(s.status, "revoked");
        assert!(s.revoked_at.is_some());
        assert_eq!(s.source.as_deref(), Some("configuration"));
        let (cert, _) = c.pair(&c.revoked);
        let answers = c.store.ocsp_answers(&[cert], now);
        let ocsp: Vec<_> = answers
            .iter()
            .map(|d| RevocationSource::ocsp(d, true))
            .collect();
        let s = c.status(&c.revoked, &ocsp, now + Duration::days(400));
        assert_eq!(
            (s.status.as_str(), s.method.as_deref()),
            ("revoked", Some("OCSP"))
        );

        // The same answers checked against another issuer (the root) count for nothing.
        let (good_cert, _) = c.pair(&c.good);
        let answers = c.store.ocsp_answers(&[good_cert], now);
        let (_, cert) = x509_parser::parse_x509_certificate(good_cert).expect("cert");
        let (_, root) = x509_parser::parse_x509_certificate(c.store.root_der()).expect("root");
        let sources: Vec<_> = answers
            .iter()
            .map(|d| RevocationSource::ocsp(d, true))
            .collect();
        assert_eq!(
            status_at(&cert, &root, &Revocation::new(&sources), &NO_SIGNERS, now).status,
            "unknown"
        );
        // Garbage in a source is no answer, never a panic.
        let junk = [RevocationSource::ocsp(
            &[0x30, 0x03, 0x0a, 0x01, 0x00],
            true,
        )];
        assert_eq!(c.status(&c.good, &junk, now).status, "unknown");
    }
}
