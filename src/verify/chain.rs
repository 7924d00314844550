//! Certificate paths: a small path builder (issuer by subject name, confirmed by the signature
//! with ring) over the certificates a document carries (CMS, DSS) and the configured trust
//! anchors; validity at one time; key usage and extended key usage; each certificate's
//! revocation status at that time (by `revocation`: CRLs and OCSP, embedded or configured).

use std::collections::HashSet;

use time::OffsetDateTime;
use x509_parser::certificate::X509Certificate;

use super::report::{CertSummary, ChainReport, Finding, Severity};
use super::revocation::{status_at, RevocationSource};
use super::signed_by::issued_by;
use crate::crypto::{oid, sha256};

/// The longest path tried: signer, intermediates, anchor.
const MAX_PATH: usize = 8;

/// What a path is for: decides the key usage and EKU required of the end certificate.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Purpose {
    DocumentSigning,
    Timestamping,
}

pub(super) fn parse(der: &[u8]) -> Option<X509Certificate<'_>> {
    match x509_parser::parse_x509_certificate(der) {
        Ok((_, cert)) => Some(cert),
        Err(_) => None,
    }
}

pub fn certificate_summary(der: &[u8]) -> Option<CertSummary> {
    let cert = parse(der)?;
    let common_name = first_str(cert.subject().iter_common_name());
    let organisation = first_str(cert.subject().iter_organization());
    Some(CertSummary {
        subject: cert.subject().to_string(),
        common_name,
        organisation,
        issuer: cert.issuer().to_string(),
        serial: hex::encode(cert.raw_serial()),
        not_before: cert.validity().not_before.to_datetime(),
        not_after: cert.validity().not_after.to_datetime(),
        sha256: hex::encode(sha256(der)),
    })
}

fn first_str<'a>(
    mut it: impl Iterator<Item = &'a x509_parser::x509::AttributeTypeAndValue<'a>>,
) -> String {
    it.next()
        .and_then(|a| a.as_str().ok())
        .unwrap_or_default()
        .to_owned()
}

fn fmt_time(t: OffsetDateTime) -> String {
    crate::pki::rfc3339(t)
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
    let mut report = ChainReport::default();
    let who = match purpose {
        Purpose::DocumentSigning => ("signer's", "người ký"),
        Purpose::Timestamping => ("timestamp authority's", "đơn vị cấp dấu thời gian"),
    };
    let Some(leaf) = parse(leaf_der) else {
        report.findings.push(Finding::new(
            Severity::Invalid,
            "certificate_malformed",
            format!("the {} certificate cannot be read", who.0),
            format!("không đọc được chứng thư số của {}", who.1),
        ));
        return report;
    };
    check_end_entity(&leaf, purpose, &mut report);

    // Build the path.
    let mut path: Vec<Vec<u8>> = vec![leaf_der.to_vec()];
    let mut seen: HashSet<Vec<u8>> = HashSet::new();
    seen.insert(leaf_der.to_vec());
    while let Some(current_der) = path.last().cloned() {
        let Some(current) = parse(&current_der) else {
            break;
        };
        if anchors.iter().any(|a| a == &current_der) {
            report.trusted = true;
            break;
        }
        if path.len() >= MAX_PATH {
            break;
        }
        let next = anchors
            .iter()
            .chain(pool.iter())
            .filter(|c| !seen.contains(*c))
            .find(|c| parse(c).is_some_and(|issuer| issued_by(&current, &issuer)));
        match next {
            Some(n) => {
                seen.insert(n.clone());
                path.push(n.clone());
            }
            None => break,
        }
    }
    report.path = path.iter().filter_map(|d| certificate_summary(d)).collect();
    if !report.trusted {
        let top = path.last().and_then(|d| parse(d));
        let self_signed = top
            .as_ref()
            .is_some_and(|c| c.subject().as_raw() == c.issuer().as_raw());
        let (en, vi) = if self_signed {
            (
                format!(
                    "the {} certificate chains to a root that is not trusted here",
                    who.0
                ),
                format!(
                    "chứng thư số của {} thuộc một chứng thư gốc không được tin cậy",
                    who.1
                ),
            )
        } else {
            (
                format!(
                    "the {} certificate does not chain to a trusted root (an issuing certificate is missing)",
                    who.0
                ),
                format!(
                    "không xây dựng được chuỗi chứng thư số của {} tới chứng thư gốc tin cậy",
                    who.1
                ),
            )
        };
        report
            .findings
            .push(Finding::new(Severity::Indeterminate, "untrusted", en, vi));
    }

    // Validity at `at`, CA constraints, revocation.
    for (i, der) in path.iter().enumerate() {
        let Some(cert) = parse(der) else { continue };
        let nb = cert.validity().not_before.to_datetime();
        let na = cert.validity().not_after.to_datetime();
        let name = cert
            .subject()
            .iter_common_name()
            .next()
            .and_then(|a| a.as_str().ok())
            .unwrap_or("?")
            .to_owned();
        if at < nb {
            report.findings.push(Finding::new(
                Severity::Invalid,
                "certificate_not_yet_valid",
                format!("certificate `{name}` was not yet valid at {}", fmt_time(at)),
                format!(
                    "chứng thư số “{name}” chưa có hiệu lực vào {}",
                    fmt_time(at)
                ),
            ));
        } else if at > na {
            let (sev, en, vi) = if at_is_proven {
                (
                    Severity::Invalid,
                    format!(
                        "certificate `{name}` had expired ({}) before the signing time proven by the timestamp",
                        fmt_time(na)
                    ),
                    format!(
                        "chứng thư số “{name}” đã hết hạn ({}) trước thời điểm ký được dấu thời gian xác nhận",
                        fmt_time(na)
                    ),
                )
            } else {
                (
                    Severity::Indeterminate,
                    format!(
                        "certificate `{name}` expired at {} and no timestamp proves the signature was made before that",
                        fmt_time(na)
                    ),
                    format!(
                        "chứng thư số “{name}” đã hết hạn lúc {} và không có dấu thời gian chứng minh chữ ký được tạo trước đó",
                        fmt_time(na)
                    ),
                )
            };
            report
                .findings
                .push(Finding::new(sev, "certificate_expired", en, vi));
        }
        if i > 0 {
            let is_anchor = anchors.iter().any(|a| a == der);
            if !is_anchor && !cert.is_ca() {
                report.findings.push(Finding::new(
                    Severity::Invalid,
                    "issuer_not_ca",
                    format!("certificate `{name}` issues certificates but is not a CA"),
                    format!(
                        "chứng thư số “{name}” không phải của tổ chức cung cấp dịch vụ chứng thực"
                    ),
                ));
            }
        }
        // Revocation of every certificate but the anchor, by its issuer's CRL.
        if let Some(issuer) = path.get(i + 1).and_then(|d| parse(d)) {
            let status = status_at(&cert, &issuer, revocation, at);
            match status.revoked_at {
                Some(r) if r <= at => {
                    report.findings.push(Finding::new(
                        Severity::Invalid,
                        "revoked",
                        format!(
                            "certificate `{name}` was revoked at {}, before the signing time {}",
                            fmt_time(r),
                            fmt_time(at)
                        ),
                        format!(
                            "chứng thư số “{name}” đã bị thu hồi lúc {}, trước thời điểm ký {}",
                            fmt_time(r),
                            fmt_time(at)
                        ),
                    ));
                }
                _ => {}
            }
            if report.trusted {
                if let Some(finding) = missing_revocation(&status, &name, at) {
                    report.findings.push(finding);
                }
            }
            report.revocation.push(status);
        }
    }
    report.path_der = path;
    report
}

/// INDETERMINATE when no revocation information covers the validation time: none at all, or
/// only information whose nextUpdate had passed (a stale "good" proves nothing about `at`).
fn missing_revocation(
    status: &super::report::RevocationStatus,
    name: &str,
    at: OffsetDateTime,
) -> Option<Finding> {
    match status.status.as_str() {
        "unknown" => Some(Finding::new(
            Severity::Indeterminate,
            "revocation_unknown",
            format!("no revocation information (CRL or OCSP) for certificate `{name}`"),
            format!("không có thông tin thu hồi (CRL hoặc OCSP) cho chứng thư số “{name}”"),
        )),
        "stale" => {
            let until = status.next_update.map(fmt_time).unwrap_or_default();
            Some(Finding::new(
                Severity::Indeterminate,
                "revocation_stale",
                format!(
                    "the revocation information for certificate `{name}` was current only until {until} (its nextUpdate), before the validation time {}",
                    fmt_time(at)
                ),
                format!(
                    "thông tin thu hồi của chứng thư số “{name}” chỉ có giá trị đến {until}, trước thời điểm kiểm tra {}",
                    fmt_time(at)
                ),
            ))
        }
        _ => None,
    }
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
        (Purpose::DocumentSigning, Ok(None)) => {}
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
