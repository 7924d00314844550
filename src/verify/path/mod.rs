//! Certificate path validation by RFC 5280 §6.1, the one validator every verification uses
//! (PDF signatures, timestamps, step records, packages, renewal, `ketqua pki check-path`).
//!
//! Paths are built from the leaf by issuer name (RFC 5280 §7.1 comparison) over the
//! certificates offered and the trust anchors, candidates whose key verifies first, and each
//! path that reaches an anchor is processed in full: signatures, validity at the validation
//! time, revocation (`revocation`: CRLs by §6.3 and OCSP), name chaining, name constraints,
//! certificate policies (`policy`), basic constraints and path length, key usage, and unknown
//! critical extensions. The first path without a finding wins; otherwise the first path's
//! findings are the answer. Tested against NIST PKITS (tests/pkits.rs, docs/verification.md).

mod policy;

use time::OffsetDateTime;
use x509_parser::certificate::X509Certificate;
use x509_parser::extensions::ParsedExtension;

pub use policy::PolicySettings;

use super::crl::Signers;
use super::names::{Constraints, Dn, SubjectNames};
use super::report::{certificate_summary, ChainReport, Finding, Severity};
use super::revocation::{status_at, Revocation, RevocationSource};
use super::signed_by::signed_by;
use policy::Policies;

/// The longest path tried: leaf, intermediates, anchor.
const MAX_PATH: usize = 8;
/// Paths tried before giving up: key rollover and cross-certificates make a few.
const MAX_CANDIDATE_PATHS: usize = 16;
/// How deep CRL signers' own paths are validated.
const MAX_SIGNER_DEPTH: u8 = 2;

thread_local! {
    /// The CRL signers whose own paths are being validated, innermost last.
    static SIGNERS_IN_PROGRESS: std::cell::RefCell<Vec<Vec<u8>>> = const { std::cell::RefCell::new(Vec::new()) };
}

/// What to validate, against what, when.
pub struct PathRequest<'a> {
    pub leaf: &'a [u8],
    /// Certificates offered to build the path from (document, CMS, `--intermediate`).
    pub pool: &'a [Vec<u8>],
    pub anchors: &'a [Vec<u8>],
    pub revocation: &'a [RevocationSource<'a>],
    pub at: OffsetDateTime,
    /// `at` is certain — proven by a timestamp, or the time a caller asks about — rather than
    /// the time of verification standing in for an unproven signing time: an expired
    /// certificate is then INVALID, otherwise INDETERMINATE.
    pub at_is_proven: bool,
    pub policies: &'a PolicySettings,
}

/// Builds and validates the path of `request.leaf`.
pub fn validate(request: &PathRequest<'_>) -> ChainReport {
    validate_at_depth(request, 0)
}

fn parse(der: &[u8]) -> Option<X509Certificate<'_>> {
    x509_parser::parse_x509_certificate(der)
        .ok()
        .map(|(_, c)| c)
}

fn validate_at_depth(request: &PathRequest<'_>, depth: u8) -> ChainReport {
    let mut report = ChainReport::default();
    if parse(request.leaf).is_none() {
        report.findings.push(malformed(
            "the certificate cannot be read",
            "không đọc được chứng thư số",
        ));
        return report;
    }
    let paths = candidate_paths(request);
    let mut first: Option<ChainReport> = None;
    for path in paths.iter().take(MAX_CANDIDATE_PATHS) {
        let trusted = path
            .last()
            .is_some_and(|top| request.anchors.iter().any(|a| a == top));
        let checked = process(request, path, trusted, depth);
        if trusted && checked.findings.is_empty() {
            return checked;
        }
        if first.is_none() || (trusted && !first.as_ref().is_some_and(|f| f.trusted)) {
            first = Some(checked);
        }
    }
    first.unwrap_or(report)
}

/// Every path from the leaf, the ones reaching an anchor first, candidates whose key verifies
/// the certificate before those that merely carry the right name.
fn candidate_paths(request: &PathRequest<'_>) -> Vec<Vec<Vec<u8>>> {
    // Every certificate that may issue another, parsed once: (is an anchor, DER, parsed,
    // subject).
    let issuers: Vec<(bool, &Vec<u8>, X509Certificate<'_>, Dn)> = request
        .anchors
        .iter()
        .map(|a| (true, a))
        .chain(request.pool.iter().map(|c| (false, c)))
        .filter_map(|(anchor, der)| {
            let cert = parse(der)?;
            let subject = Dn::of(cert.subject());
            Some((anchor, der, cert, subject))
        })
        .collect();
    let mut complete = Vec::new();
    let mut partial: Vec<Vec<Vec<u8>>> = Vec::new();
    let mut stack: Vec<Vec<Vec<u8>>> = vec![vec![request.leaf.to_vec()]];
    while let Some(path) = stack.pop() {
        if complete.len() >= MAX_CANDIDATE_PATHS {
            break;
        }
        let Some(current_der) = path.last() else {
            continue;
        };
        if request.anchors.iter().any(|a| a == current_der) {
            complete.push(path);
            continue;
        }
        let Some(current) = parse(current_der) else {
            continue;
        };
        let issuer_name = Dn::of(current.issuer());
        let mut next: Vec<(bool, bool, &Vec<u8>)> = issuers
            .iter()
            .filter(|(_, der, _, subject)| *subject == issuer_name && !path.contains(der))
            .map(|(anchor, der, candidate, _)| {
                let verifies = signed_by(
                    candidate,
                    current.signature_algorithm.algorithm.as_bytes(),
                    current.tbs_certificate.as_ref(),
                    current.signature_value.data.as_ref(),
                );
                (verifies, *anchor, *der)
            })
            .collect();
        if next.is_empty() || path.len() >= MAX_PATH {
            partial.push(path);
            continue;
        }
        // Popped last first: the best candidate goes on the stack last.
        next.sort_by_key(|(verifies, anchor, _)| (*verifies, *anchor));
        for (_, _, c) in next {
            let mut longer = path.clone();
            longer.push(c.clone());
            stack.push(longer);
        }
    }
    partial.sort_by_key(|p| std::cmp::Reverse(p.len()));
    complete.extend(partial);
    complete
}

fn name_of(cert: &X509Certificate<'_>) -> String {
    cert.subject()
        .iter_common_name()
        .next()
        .and_then(|a| a.as_str().ok())
        .map(str::to_owned)
        .unwrap_or_else(|| cert.subject().to_string())
}

fn fmt_time(t: OffsetDateTime) -> String {
    crate::pki::rfc3339(t)
}

fn is_self_issued(cert: &X509Certificate<'_>) -> bool {
    Dn::of(cert.subject()) == Dn::of(cert.issuer())
}

/// RFC 5280 §6.1.2–§6.1.5 along `path` (leaf first; the anchor last when `trusted`).
fn process(request: &PathRequest<'_>, path: &[Vec<u8>], trusted: bool, depth: u8) -> ChainReport {
    let mut report = ChainReport {
        trusted,
        path: path.iter().filter_map(|d| certificate_summary(d)).collect(),
        path_der: path.to_vec(),
        ..ChainReport::default()
    };
    let certs: Vec<X509Certificate<'_>> = path.iter().filter_map(|d| parse(d)).collect();
    if certs.len() != path.len() {
        report.findings.push(malformed(
            "a certificate of the path cannot be read",
            "không đọc được một chứng thư số của chuỗi",
        ));
        return report;
    }
    if !trusted {
        report.findings.push(untrusted(certs.last()));
    }
    // The certificates processed: all but the anchor; all of them on an untrusted path.
    let n = if trusted {
        certs.len() - 1
    } else {
        certs.len()
    };
    let mut policies = Policies::new(request.policies, n);
    let mut constraints = Constraints::default();
    let mut max_path_length = n;
    let mut statuses = Vec::new();
    let revocation = Revocation::new(request.revocation);
    // Who may have signed a CRL besides the issuer: any certificate offered, or an anchor.
    let crl_signers: Vec<Vec<u8>> = request
        .pool
        .iter()
        .chain(request.anchors.iter())
        .cloned()
        .collect();
    let fail = |report: &mut ChainReport, code: &'static str, en: String, vi: String| {
        report
            .findings
            .push(Finding::new(Severity::Invalid, code, en, vi));
    };
    if trusted {
        if let Some(anchor) = certs.last() {
            check_validity(request, anchor, &mut report);
        }
    }
    for k in (0..n).rev() {
        let cert = &certs[k];
        let issuer = certs.get(k + 1);
        let name = name_of(cert);
        let i = n - k;
        let self_issued = is_self_issued(cert);
        if let Some(issuer) = issuer {
            let verifies = signed_by(
                issuer,
                cert.signature_algorithm.algorithm.as_bytes(),
                cert.tbs_certificate.as_ref(),
                cert.signature_value.data.as_ref(),
            );
            let algorithm = cert.signature_algorithm.algorithm.as_bytes();
            if !verifies && crate::crypto::CertificateSignatureAlgorithm::find(algorithm).is_none()
            {
                let oid = cert.signature_algorithm.algorithm.to_id_string();
                report.findings.push(Finding::new(
                    Severity::Indeterminate,
                    "signature_algorithm",
                    format!("certificate `{name}` is signed with an algorithm this verifier does not accept ({oid}); its signature cannot be checked"),
                    format!("chứng thư số “{name}” được ký bằng thuật toán không được hỗ trợ ({oid}); không kiểm tra được chữ ký"),
                ));
            } else if !verifies {
                fail(
                    &mut report,
                    "certificate_signature",
                    format!("the signature on certificate `{name}` does not verify with its issuer's key (or uses an algorithm this verifier does not accept)"),
                    format!("chữ ký trên chứng thư số “{name}” không khớp với khóa của tổ chức cấp"),
                );
            }
        }
        check_validity(request, cert, &mut report);
        if let Some(issuer) = issuer {
            let status = revocation_of(request, cert, issuer, &revocation, &crl_signers, depth);
            check_revocation(&status, &name, request.at, trusted, &mut report);
            statuses.push((k, status));
        }
        if !(constraints.is_empty() || self_issued && k > 0) {
            let names = SubjectNames {
                dn: Dn::of(cert.subject()),
                alt: subject_alt_names(cert),
            };
            if let Some(why) = constraints.violation(&names) {
                fail(
                    &mut report,
                    "name_constraints",
                    format!(
                        "certificate `{name}` breaks the name constraints of its issuers: {why}"
                    ),
                    format!("chứng thư số “{name}” vi phạm ràng buộc tên của tổ chức cấp"),
                );
            }
        }
        if let Err(why) = policies.process(cert, i, n, self_issued) {
            fail(
                &mut report,
                "certificate_policy",
                format!("certificate `{name}`: {why}"),
                format!("chứng thư số “{name}”: không có chính sách chứng thư hợp lệ cho cả chuỗi"),
            );
        }
        if k > 0 {
            if let Err(why) = policies.prepare_next(cert, self_issued) {
                fail(
                    &mut report,
                    "certificate_policy",
                    format!("certificate `{name}`: {why}"),
                    format!("chứng thư số “{name}”: ánh xạ chính sách không hợp lệ"),
                );
            }
            check_ca(cert, &name, self_issued, &mut max_path_length, &mut report);
            for ext in cert.extensions() {
                if let ParsedExtension::NameConstraints(nc) = ext.parsed_extension() {
                    constraints.add(nc);
                }
            }
        } else if let Err(why) = policies.wrap_up(cert, request.policies) {
            fail(
                &mut report,
                "certificate_policy",
                format!("certificate `{name}`: {why}"),
                format!(
                    "chứng thư số “{name}”: không có chính sách chứng thư được chấp nhận cho chuỗi"
                ),
            );
        }
        if let Some(oid) = unknown_critical_extension(cert) {
            fail(
                &mut report,
                "critical_extension",
                format!("certificate `{name}` carries a critical extension this verifier does not know ({oid})"),
                format!("chứng thư số “{name}” có phần mở rộng bắt buộc không được hỗ trợ ({oid})"),
            );
        }
    }
    statuses.sort_by_key(|(k, _)| *k);
    report.revocation = statuses.into_iter().map(|(_, s)| s).collect();
    report
}

fn malformed(en: &str, vi: &str) -> Finding {
    Finding::new(Severity::Invalid, "certificate_malformed", en, vi)
}

fn untrusted(top: Option<&X509Certificate<'_>>) -> Finding {
    let self_signed = top.is_some_and(is_self_issued);
    let (en, vi) = if self_signed {
        (
            "the certificate chains to a root that is not trusted here",
            "chứng thư số thuộc một chứng thư gốc không được tin cậy",
        )
    } else {
        (
            "the certificate does not chain to a trusted root (an issuing certificate is missing, or the names do not chain)",
            "không xây dựng được chuỗi chứng thư số tới chứng thư gốc tin cậy",
        )
    };
    Finding::new(Severity::Indeterminate, "untrusted", en, vi)
}

fn check_validity(request: &PathRequest<'_>, cert: &X509Certificate<'_>, report: &mut ChainReport) {
    let name = name_of(cert);
    let at = request.at;
    let nb = cert.validity().not_before.to_datetime();
    let na = cert.validity().not_after.to_datetime();
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
        let finding = if request.at_is_proven {
            Finding::new(
                Severity::Invalid,
                "certificate_expired",
                format!("certificate `{name}` had expired ({}) before the validation time {} (proven by a timestamp, or given)", fmt_time(na), fmt_time(at)),
                format!("chứng thư số “{name}” đã hết hạn ({}) trước thời điểm kiểm tra {}", fmt_time(na), fmt_time(at)),
            )
        } else {
            Finding::new(
                Severity::Indeterminate,
                "certificate_expired",
                format!("certificate `{name}` expired at {} and no timestamp proves the signature was made before that", fmt_time(na)),
                format!("chứng thư số “{name}” đã hết hạn lúc {} và không có dấu thời gian chứng minh chữ ký được tạo trước đó", fmt_time(na)),
            )
        };
        report.findings.push(finding);
    }
}

/// §6.1.4 (k)–(n) for an intermediate certificate.
fn check_ca(
    cert: &X509Certificate<'_>,
    name: &str,
    self_issued: bool,
    max_path_length: &mut usize,
    report: &mut ChainReport,
) {
    let mut fail = |code: &'static str, en: String, vi: String| {
        report
            .findings
            .push(Finding::new(Severity::Invalid, code, en, vi));
    };
    let constraints = cert
        .basic_constraints()
        .ok()
        .flatten()
        .map(|b| (b.value.ca, b.value.path_len_constraint));
    let is_v3 = cert.version() == x509_parser::x509::X509Version::V3;
    if !is_v3 || !constraints.is_some_and(|(ca, _)| ca) {
        fail(
            "issuer_not_ca",
            format!("certificate `{name}` issues certificates but is not a CA (no basicConstraints cA=TRUE)"),
            format!("chứng thư số “{name}” không phải của tổ chức cung cấp dịch vụ chứng thực"),
        );
    }
    if !self_issued {
        if *max_path_length == 0 {
            fail(
                "path_length",
                format!("certificate `{name}` is beyond the path length its issuers allow"),
                format!("chứng thư số “{name}” vượt quá độ dài chuỗi cho phép"),
            );
        } else {
            *max_path_length -= 1;
        }
    }
    if let Some(len) = constraints.and_then(|(_, len)| len) {
        *max_path_length = (*max_path_length).min(len as usize);
    }
    match cert.key_usage() {
        Ok(Some(ku)) if !ku.value.key_cert_sign() => fail(
            "issuer_key_usage",
            format!("certificate `{name}` issues certificates but its key usage lacks keyCertSign"),
            format!("mục đích sử dụng khóa của chứng thư số “{name}” không cho phép ký chứng thư"),
        ),
        Err(_) => fail(
            "issuer_key_usage",
            format!("the key usage extension of certificate `{name}` is malformed"),
            format!("phần mở rộng mục đích sử dụng khóa của chứng thư số “{name}” bị lỗi"),
        ),
        _ => {}
    }
}

fn subject_alt_names<'a>(
    cert: &'a X509Certificate<'a>,
) -> Vec<x509_parser::extensions::GeneralName<'a>> {
    cert.extensions()
        .iter()
        .find_map(|e| match e.parsed_extension() {
            ParsedExtension::SubjectAlternativeName(san) => Some(san.general_names.clone()),
            _ => None,
        })
        .unwrap_or_default()
}

/// The dotted OID of the first critical extension no step of the validation processes.
fn unknown_critical_extension(cert: &X509Certificate<'_>) -> Option<String> {
    cert.extensions().iter().find_map(|e| {
        let known = matches!(
            e.parsed_extension(),
            ParsedExtension::KeyUsage(_)
                | ParsedExtension::BasicConstraints(_)
                | ParsedExtension::CertificatePolicies(_)
                | ParsedExtension::PolicyMappings(_)
                | ParsedExtension::SubjectAlternativeName(_)
                | ParsedExtension::NameConstraints(_)
                | ParsedExtension::PolicyConstraints(_)
                | ParsedExtension::ExtendedKeyUsage(_)
                | ParsedExtension::InhibitAnyPolicy(_)
                | ParsedExtension::CRLDistributionPoints(_)
                | ParsedExtension::AuthorityKeyIdentifier(_)
                | ParsedExtension::SubjectKeyIdentifier(_)
                | ParsedExtension::IssuerAlternativeName(_)
        );
        (e.critical && !known).then(|| e.oid.to_id_string())
    })
}

fn revocation_of(
    request: &PathRequest<'_>,
    cert: &X509Certificate<'_>,
    issuer: &X509Certificate<'_>,
    revocation: &Revocation<'_>,
    crl_signers: &[Vec<u8>],
    depth: u8,
) -> super::report::RevocationStatus {
    let valid_signer = |der: &[u8]| {
        // A CRL issuer's certificate may be covered by the very CRL it signs (an indirect CRL
        // naming its own issuer): while it is being validated, its signature counts.
        if SIGNERS_IN_PROGRESS.with(|s| s.borrow().iter().any(|d| d == der)) {
            return true;
        }
        if depth >= MAX_SIGNER_DEPTH {
            return false;
        }
        let signer = PathRequest {
            leaf: der,
            policies: &PolicySettings::default(),
            ..*request
        };
        SIGNERS_IN_PROGRESS.with(|s| s.borrow_mut().push(der.to_vec()));
        let report = validate_at_depth(&signer, depth + 1);
        SIGNERS_IN_PROGRESS.with(|s| s.borrow_mut().pop());
        report.trusted && report.findings.is_empty()
    };
    let signers = Signers {
        pool: crl_signers,
        valid_signer: &valid_signer,
    };
    status_at(cert, issuer, revocation, &signers, request.at)
}

fn check_revocation(
    status: &super::report::RevocationStatus,
    name: &str,
    at: OffsetDateTime,
    trusted: bool,
    report: &mut ChainReport,
) {
    if let Some(r) = status.revoked_at {
        if r <= at {
            report.findings.push(Finding::new(
                Severity::Invalid,
                "revoked",
                format!(
                    "certificate `{name}` was revoked at {}, before the validation time {}",
                    fmt_time(r),
                    fmt_time(at)
                ),
                format!(
                    "chứng thư số “{name}” đã bị thu hồi lúc {}, trước thời điểm kiểm tra {}",
                    fmt_time(r),
                    fmt_time(at)
                ),
            ));
        }
    }
    if !trusted {
        return;
    }
    match status.status.as_str() {
        "unknown" => report.findings.push(Finding::new(
            Severity::Indeterminate,
            "revocation_unknown",
            format!("no revocation information (CRL or OCSP) for certificate `{name}`"),
            format!("không có thông tin thu hồi (CRL hoặc OCSP) cho chứng thư số “{name}”"),
        )),
        "stale" => {
            let until = status.next_update.map(fmt_time).unwrap_or_default();
            report.findings.push(Finding::new(
                Severity::Indeterminate,
                "revocation_stale",
                format!("the revocation information for certificate `{name}` was current only until {until} (its nextUpdate), before the validation time {}", fmt_time(at)),
                format!("thông tin thu hồi của chứng thư số “{name}” chỉ có giá trị đến {until}, trước thời điểm kiểm tra {}", fmt_time(at)),
            ));
        }
        _ => {}
    }
}
