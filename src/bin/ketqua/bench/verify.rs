//! `ketqua bench verify`: verifications per second of our engine against pyHanko's
//! (in-process Python loop, same files, same trust anchor and CRLs, revocation required).
//!
//! The files are results as the service issues them: a one-page document, the competent
//! signer's certification signature and the organisation's seal, PAdES B-LT (timestamps from
//! the development TSA, certificates and CRLs in the DSS); and the same at B-B.

use std::{
    fmt::Write as _,
    path::Path,
    process::Command,
    time::{Duration, Instant},
};

use anyhow::{bail, Context};
use time::OffsetDateTime;

use ketqua::{
    cms::tsp::LocalTsa,
    flow::Role,
    pdf::{self, PadesLevel, SignatureRequest, Validation},
    pki::{self, KeyStore},
    verify::{self, TrustConfig, Verdict},
};

const BUDGET: Duration = Duration::from_secs(3);

const PYHANKO_LOOP: &str = r#"
import sys, time
from asn1crypto import crl as asn1_crl, pem, x509
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.validation import validate_pdf_signature
from pyhanko_certvalidator import ValidationContext

def der(p):
    d = open(p, "rb").read()
    if pem.detect(d):
        _, _, d = pem.unarmor(d)
    return d

root = x509.Certificate.load(der(sys.argv[1]))
pdf = sys.argv[2]
crls = [asn1_crl.CertificateList.load(der(p)) for p in sys.argv[4:]]
budget = float(sys.argv[3])
n, start = 0, time.perf_counter()
while True:
    with open(pdf, "rb") as f:
        r = PdfFileReader(f)
        ok = True
        for s in r.embedded_regular_signatures:
            vc = ValidationContext(trust_roots=[root], crls=crls, allow_fetching=False,
                                   revocation_mode="require")
            st = validate_pdf_signature(s, vc)
            ok = ok and st.bottom_line
    if not ok:
        print("NOT_VALID"); sys.exit(1)
    n += 1
    if time.perf_counter() - start > budget:
        break
print(n / (time.perf_counter() - start))
"#;

fn repeat(mut f: impl FnMut() -> anyhow::Result<()>) -> anyhow::Result<f64> {
    f()?;
    let start = Instant::now();
    let mut n = 0u64;
    while start.elapsed() < BUDGET {
        f()?;
        n += 1;
    }
    Ok(n as f64 / start.elapsed().as_secs_f64())
}

/// Runs the benchmark; returns a Markdown table.
pub fn verify_benchmark(pki_dir: &Path, work_dir: &Path) -> anyhow::Result<String> {
    if !pki::dev_pki_exists(pki_dir) {
        pki::init_dev_pki(pki_dir, &pki::default_dev_departments())
            .context("creating a development PKI for the benchmark")?;
    }
    let keys = KeyStore::load(pki_dir).context("loading the PKI")?;
    let now = OffsetDateTime::now_utc();
    let usable = |role: Role| {
        keys.credentials()
            .filter(|c| c.role() == role && c.check_usable(now).is_ok())
            .min_by_key(|c| c.id().len())
    };
    let signer = usable(Role::Approver).context("no usable approver credential")?;
    let seal = keys
        .credentials()
        .find(|c| c.role() == Role::Seal && c.department() == signer.department())
        .context("no seal credential")?;
    let tsa = LocalTsa::from_key_store(&keys).context("the PKI has no TSA")?;
    let certs = vec![keys.root_der().to_vec(), tsa.certificate_der().to_vec()];
    let crls = keys.crls_der();
    // The service's default: CRLs and an OCSP answer for every certificate of every path.
    let mut paths: Vec<&[u8]> = vec![tsa.certificate_der()];
    for credential in [signer, seal] {
        paths.push(credential.certificate_der());
        paths.extend(credential.chain_der().iter().map(Vec::as_slice));
    }
    let ocsps = keys.ocsp_answers(&paths, OffsetDateTime::now_utc());
    let validation = Validation {
        timestamper: Some(&tsa),
        certificates: &certs,
        crls: &crls,
        ocsps: &ocsps,
    };
    std::fs::create_dir_all(work_dir)?;
    let root_path = pki_dir.join("root.pem");
    let crl_paths: Vec<_> = std::fs::read_dir(pki_dir)?
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.is_dir())
        .map(|d| d.join("ca.crl"))
        .filter(|p| p.exists())
        .chain(std::iter::once(pki_dir.join("root.crl")))
        .collect();
    let trust = TrustConfig {
        anchors_der: vec![keys.root_der().to_vec()],
        crls_der: crls.clone(),
    };
    let have_pyhanko = Command::new("python3")
        .args(["-c", "import pyhanko.sign"])
        .output()
        .is_ok_and(|o| o.status.success());
    let script = work_dir.join("pyhanko_verify_loop.py");
    std::fs::write(&script, PYHANKO_LOOP)?;

    let mut table = String::from(
        "| file | size | ketqua verify/s | pyHanko verify/s | ratio |\n|---|---:|---:|---:|---:|\n",
    );
    let input = ketqua::pdf::text_document(
        "Phieu ly lich tu phap so 1",
        &["Ho va ten: Nguyen Thi Huong", "Khong co an tich"],
    );
    for level in [PadesLevel::BB, PadesLevel::BLT] {
        let validation = if level == PadesLevel::BB {
            Validation::default()
        } else {
            validation
        };
        let signer_req = SignatureRequest::new(signer, level, now);
        let seal_req = SignatureRequest::new(seal, level, now);
        let appendix = pdf::sign_result(&input, &signer_req, &seal_req, None, &validation)?;
        let mut pdf = input.clone();
        pdf.extend(appendix);
        let report = verify::verify(&pdf, &trust, None, OffsetDateTime::now_utc());
        if report.verdict != Verdict::Valid {
            bail!("the benchmark file does not verify: {}", report.reason);
        }
        let path = work_dir.join(format!("bench-verify-{level}.pdf"));
        std::fs::write(&path, &pdf)?;
        let ours = repeat(|| {
            let r = verify::verify(&pdf, &trust, None, OffsetDateTime::now_utc());
            if r.verdict != Verdict::Valid {
                bail!("verdict changed");
            }
            Ok(())
        })?;
        let theirs = if have_pyhanko {
            let out = Command::new("python3")
                .arg(&script)
                .arg(&root_path)
                .arg(&path)
                .arg(BUDGET.as_secs_f64().to_string())
                .args(&crl_paths)
                .output()?;
            String::from_utf8_lossy(&out.stdout)
                .trim()
                .parse::<f64>()
                .ok()
        } else {
            None
        };
        let _ = writeln!(
            table,
            "| result, 2 signatures, {level} | {} B | {ours:.0} | {} | {} |",
            pdf.len(),
            theirs.map_or("n/a".into(), |t| format!("{t:.1}")),
            theirs.map_or("n/a".into(), |t| format!("{:.0}×", ours / t)),
        );
    }
    table.push_str(
        "\nSingle thread, each verification complete: parse, both signatures (CMS, chain to the \
         anchor, CRLs, signature timestamps), changes after signing. pyHanko: validate_pdf_signature \
         for each signature with the same root and CRLs, revocation required, no fetching.\n",
    );
    Ok(table)
}
