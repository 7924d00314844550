//! The path check every signed thing gets: the RFC 5280 validator (`path`) over the
//! certificates a document carries (CMS, DSS) and the configured trust anchors, then what the
//! end certificate must be for its purpose (key usage, extended key usage).

use time::OffsetDateTime;
use x509_parser::certificate::X509Certificate;

use super::path::{validate, PathRequest, PolicySettings};
pub use super::report::certificate_summary;
use super::report::{ChainReport, Finding, Severity};
use super::revocation::RevocationSource;
use crate::crypto::oid;

/// What a path is for: decides the key usage and EKU required of the end certificate.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Purpose {
    DocumentSigning,
    Timestamping,
    /// No requirement on the end certificate (`ketqua pki check-path --purpose any`).
    Any,
}

pub(super) fn parse(der: &[u8]) -> Option<X509Certificate<'_>> {
    match x509_parser::parse_x509_certificate(der) {
        Ok((_, cert)) => Some(cert),
        Err(_) => None,
    }
}

/// Builds and checks the path of `leaf_der` at time `at`. `pool` holds every certificate the
/// document offers; `anchors` the configured trust anchors. `at_is_proven` says whether `at`
/// comes from a timestamp (an expired certificate is then INVALID, otherwise INDETERMINATE).
pub fn check_path(
    leaf_der: &[u8],
    pool: &[Vec<u8>],
    anchors: &[Vec<u8>],
    revocation: &[RevocationSource<'_>],
    at: OffsetDateTime,
    at_is_proven: bool,
    purpose: Purpose,
) -> ChainReport {
    check_path_with(
        &PathRequest {
            leaf: leaf_der,
            pool,
            anchors,
            revocation,
            at,
            at_is_proven,
            policies: &PolicySettings::default(),
        },
        purpose,
    )
}

/// [`check_path`] with every input of the validator, certificate policies included.
pub fn check_path_with(request: &PathRequest<'_>, purpose: Purpose) -> ChainReport {
    let mut report = validate(request);
    if let Some(leaf) = parse(request.leaf) {
        check_end_entity(&leaf, purpose, &mut report);
    }
    report
}

fn check_end_entity(leaf: &X509Certificate<'_>, purpose: Purpose, report: &mut ChainReport) {
    match leaf.key_usage() {
        Ok(Some(ku)) => {
            let ok = ku.value.digital_signature() || ku.value.non_repudiation();
            if !ok {
                report.findings.push(Finding::new(
                    Severity::Invalid,
                    "key_usage",
                    "the certificate's key usage allows neither digitalSignature nor nonRepudiation",
                    "mục đích sử dụng khóa của chứng thư số không cho phép ký số",
                ));
            }
        }
        Ok(None) => {}
        Err(_) => report.findings.push(Finding::new(
            Severity::Invalid,
            "key_usage",
            "the certificate's key usage extension is malformed",
            "phần mở rộng mục đích sử dụng khóa của chứng thư số bị lỗi",
        )),
    }
    let eku = leaf.extended_key_usage();
    match (purpose, eku) {
        (Purpose::DocumentSigning, Ok(Some(eku))) => {
            let ok = eku.value.any
                || eku
                    .value
                    .other
                    .iter()
                    .any(|o| o.as_bytes() == oid::KP_DOCUMENT_SIGNING);
            if !ok {
                report.findings.push(Finding::new(
                    Severity::Invalid,
                    "extended_key_usage",
                    "the certificate is not for signing documents: its extended key usage lacks documentSigning (1.3.6.1.5.5.7.3.36)",
                    "chứng thư số không dùng để ký văn bản: thiếu mục đích mở rộng documentSigning (1.3.6.1.5.5.7.3.36)",
                ));
            }
        }
        (Purpose::DocumentSigning, Ok(None)) | (Purpose::Any, Ok(_)) => {}
        (Purpose::Timestamping, Ok(Some(eku))) if eku.value.time_stamping => {}
        (Purpose::Timestamping, Ok(_)) => report.findings.push(Finding::new(
            Severity::Invalid,
            "extended_key_usage",
            "the timestamp's signer is not a timestamp authority (no timeStamping extended key usage)",
            "dấu thời gian không do đơn vị cấp dấu thời gian ký",
        )),
        (_, Err(_)) => report.findings.push(Finding::new(
            Severity::Invalid,
            "extended_key_usage",
            "the certificate's extended key usage extension is malformed",
            "phần mở rộng mục đích sử dụng khóa mở rộng của chứng thư số bị lỗi",
        )),
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::expect_used, clippy::indexing_slicing)]

    use time::Duration;

    use super::*;
    use crate::pki::testing::dev_store;

    #[test]
    fn the_path_check_calls_lapsed_information_indeterminate_with_the_reason() {
        let (_dir, _summary, store) = dev_store();
        let now = OffsetDateTime::now_utc();
        let credential = store
            .credentials()
            .find(|c| c.revoked_at().is_none() && !c.chain_der().is_empty())
            .expect("a credential");
        let crls = store.crls_der();
        let sources: Vec<_> = crls
            .iter()
            .map(|d| RevocationSource::crl(d, true))
            .collect();
        let anchors = vec![store.root_der().to_vec()];
        let check = |at| {
            check_path(
                credential.certificate_der(),
                credential.chain_der(),
                &anchors,
                &sources,
                at,
                true,
                Purpose::DocumentSigning,
            )
        };
        assert!(check(now).findings.is_empty(), "{:?}", check(now).findings);
        let report = check(now + Duration::days(40));
        let stale: Vec<_> = report
            .findings
            .iter()
            .filter(|f| f.code == "revocation_stale")
            .collect();
        assert!(!stale.is_empty(), "{:?}", report.findings);
        assert!(stale.iter().all(|f| f.severity == Severity::Indeterminate));
        assert!(
            stale[0].message.contains("nextUpdate"),
            "{}",
            stale[0].message
        );
    }
}
