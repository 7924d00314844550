//! `ketqua pki check-path`: the verifier's own RFC 5280 path validation of one certificate, as
//! an operator (why is this official's certificate refused?) and as NIST PKITS use it. A thin
//! interface over `ketqua::verify::check_path_with`, never a second validator.

use std::path::{Path, PathBuf};

use anyhow::{bail, Context};
use serde::Serialize;

use ketqua::verify::{
    self, ChainReport, PathRequest, PolicySettings, Purpose, RevocationSource, Severity, Verdict,
};

#[derive(Debug, Clone, Copy, clap::ValueEnum)]
pub enum PurposeArg {
    /// No requirement on the certificate's key usage.
    Any,
    /// An official's or a seal's: digitalSignature or nonRepudiation, documentSigning EKU if any.
    DocumentSigning,
    /// A timestamp authority's: the timeStamping EKU.
    Timestamping,
}

#[derive(Debug, clap::Args)]
pub struct CheckPathArgs {
    /// The certificate to check (PEM or DER).
    pub cert: PathBuf,
    /// A certificate the path may go through (PEM, several per file allowed, or DER).
    #[arg(long = "intermediate", value_name = "FILE")]
    pub intermediates: Vec<PathBuf>,
    /// A trust anchor (PEM or DER); at least one.
    #[arg(long = "trust", value_name = "FILE", required = true)]
    pub trust: Vec<PathBuf>,
    /// A CRL (PEM or DER) for any certificate of the path.
    #[arg(long = "crl", value_name = "FILE")]
    pub crls: Vec<PathBuf>,
    /// The validation time, RFC 3339 [default: now].
    #[arg(long, value_name = "RFC3339")]
    pub at: Option<String>,
    /// What the certificate must be good for.
    #[arg(long, value_enum, default_value = "any")]
    pub purpose: PurposeArg,
    /// An acceptable certificate policy (dotted OID; repeatable) [default: any policy].
    #[arg(long = "policy", value_name = "OID")]
    pub policies: Vec<String>,
    /// Require a valid policy for the whole path (RFC 5280 initial-explicit-policy).
    #[arg(long)]
    pub require_explicit_policy: bool,
    /// Do not follow policy mappings (initial-policy-mapping-inhibit).
    #[arg(long)]
    pub inhibit_policy_mapping: bool,
    /// Do not let anyPolicy stand for every policy (initial-any-policy-inhibit).
    #[arg(long)]
    pub inhibit_any_policy: bool,
    /// Print the result as JSON.
    #[arg(long)]
    pub json: bool,
}

/// DER items of a PEM file (blocks labelled `label`) or the file itself as DER.
fn read_der(path: &Path, label: &str) -> anyhow::Result<Vec<Vec<u8>>> {
    let data = std::fs::read(path).with_context(|| format!("reading {}", path.display()))?;
    if !data.starts_with(b"-----") && !data.windows(11).any(|w| w == b"-----BEGIN ") {
        return Ok(vec![data]);
    }
    let mut items = Vec::new();
    for pem in x509_parser::pem::Pem::iter_from_buffer(&data) {
        let pem = pem.with_context(|| format!("{}: invalid PEM", path.display()))?;
        if pem.label == label {
            items.push(pem.contents);
        }
    }
    if items.is_empty() {
        bail!("{}: no {label} block", path.display());
    }
    Ok(items)
}

fn read_certificates(path: &Path) -> anyhow::Result<Vec<Vec<u8>>> {
    let certs = read_der(path, "CERTIFICATE")?;
    for der in &certs {
        x509_parser::parse_x509_certificate(der)
            .map_err(|e| anyhow::anyhow!("{}: not a certificate: {e}", path.display()))?;
    }
    Ok(certs)
}

#[derive(Serialize)]
struct Output<'a> {
    verdict: Verdict,
    reason: &'a str,
    reason_vi: &'a str,
    #[serde(with = "time::serde::rfc3339")]
    at: time::OffsetDateTime,
    findings: Vec<FindingOut<'a>>,
    #[serde(flatten)]
    chain: &'a ChainReport,
}

#[derive(Serialize)]
struct FindingOut<'a> {
    severity: Severity,
    code: &'a str,
    message: &'a str,
    message_vi: &'a str,
}

/// Runs `ketqua pki check-path`; returns the exit status (0 valid, 1 invalid, 2 indeterminate).
pub fn run(args: &CheckPathArgs) -> anyhow::Result<u8> {
    let leaf = read_certificates(&args.cert)?
        .into_iter()
        .next()
        .context("no certificate")?;
    let mut pool = Vec::new();
    for path in &args.intermediates {
        pool.extend(read_certificates(path)?);
    }
    let mut anchors = Vec::new();
    for path in &args.trust {
        anchors.extend(read_certificates(path)?);
    }
    let mut crls = Vec::new();
    for path in &args.crls {
        for der in read_der(path, "X509 CRL")? {
            x509_parser::parse_x509_crl(&der)
                .map_err(|e| anyhow::anyhow!("{}: not a CRL: {e}", path.display()))?;
            crls.push(der);
        }
    }
    let at = match &args.at {
        Some(text) => {
            time::OffsetDateTime::parse(text, &time::format_description::well_known::Rfc3339)
                .with_context(|| {
                    format!("--at {text:?}: use RFC 3339, e.g. 2026-12-03T08:00:00Z")
                })?
        }
        None => time::OffsetDateTime::now_utc(),
    };
    let mut initial_policies = Vec::new();
    for text in &args.policies {
        initial_policies.push(
            ketqua::crypto::der::oid_from_string(text)
                .with_context(|| format!("--policy {text:?} is not a dotted OID"))?,
        );
    }
    let policies = PolicySettings {
        initial_policies,
        require_explicit_policy: args.require_explicit_policy,
        inhibit_policy_mapping: args.inhibit_policy_mapping,
        inhibit_any_policy: args.inhibit_any_policy,
    };
    let revocation: Vec<RevocationSource<'_>> = crls
        .iter()
        .map(|c| RevocationSource::crl(c, false))
        .collect();
    verify::reset_cache();
    let report = verify::check_path_with(
        &PathRequest {
            leaf: &leaf,
            pool: &pool,
            anchors: &anchors,
            revocation: &revocation,
            at,
            // The question is the path at this time, not a signature's: expiry is final.
            at_is_proven: true,
            policies: &policies,
        },
        match args.purpose {
            PurposeArg::Any => Purpose::Any,
            PurposeArg::DocumentSigning => Purpose::DocumentSigning,
            PurposeArg::Timestamping => Purpose::Timestamping,
        },
    );
    let verdict = report.verdict();
    let worst = report.findings.iter().find(|f| {
        matches!(
            (f.severity, verdict),
            (Severity::Invalid, Verdict::Invalid)
                | (Severity::Indeterminate, Verdict::Indeterminate)
        )
    });
    let (reason, reason_vi) = match worst {
        Some(f) => (f.message.as_str(), f.message_vi.as_str()),
        None => (
            "the path is valid: every certificate verified, in force and unrevoked, up to a trusted anchor",
            "chuỗi chứng thư số hợp lệ tới chứng thư gốc tin cậy",
        ),
    };
    if args.json {
        let output = Output {
            verdict,
            reason,
            reason_vi,
            at,
            findings: report
                .findings
                .iter()
                .map(|f| FindingOut {
                    severity: f.severity,
                    code: f.code,
                    message: &f.message,
                    message_vi: &f.message_vi,
                })
                .collect(),
            chain: &report,
        };
        println!("{}", serde_json::to_string_pretty(&output)?);
    } else {
        let word = match verdict {
            Verdict::Valid => "VALID (HỢP LỆ)",
            Verdict::Invalid => "INVALID (KHÔNG HỢP LỆ)",
            Verdict::Indeterminate => "INDETERMINATE (CHƯA XÁC ĐỊNH)",
        };
        println!("{word}: {reason}");
        println!("  {reason_vi}");
        for (i, cert) in report.path.iter().enumerate() {
            let status = report
                .revocation
                .get(i)
                .map(|r| format!(", revocation: {}", r.status))
                .unwrap_or_default();
            println!("  [{i}] {} (serial {}{status})", cert.subject, cert.serial);
        }
        let others = report
            .findings
            .iter()
            .filter(|f| !worst.is_some_and(|w| std::ptr::eq(*f, w)));
        for f in others {
            println!("  also: {}", f.message);
        }
    }
    Ok(match verdict {
        Verdict::Valid => 0,
        Verdict::Invalid => 1,
        Verdict::Indeterminate => 2,
    })
}
