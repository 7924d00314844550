//! `ketqua bench sign`: our PAdES B-B signer against pyHanko and `sha256sum`.
//!
//! The claim to check is "signing costs about as much as hashing the file". For each size we
//! build a document whose bulk is an incompressible image stream, then measure, single
//! threaded: our in-process signatures per second, pyHanko in-process (a Python loop over
//! `sign_pdf`, the fair comparison), pyHanko's CLI (one process per signature, which is how
//! scripts use it, and includes interpreter start-up), and `sha256sum` over the file.

use std::{
    fmt::Write as _,
    path::{Path, PathBuf},
    process::Command,
    time::{Duration, Instant},
};

use anyhow::{bail, Context};
use base64::Engine as _;
use time::OffsetDateTime;

use ketqua::pdf::{self, PadesLevel, SignatureRequest, Validation};
use ketqua::pki::{self, KeyStore};
use ring::rand::{SecureRandom, SystemRandom};

/// The default sizes: a typical result (12 KB), a scanned page (1 MB), a large dossier (50 MB).
pub const DEFAULT_SIZES: [usize; 3] = [12 * 1024, 1024 * 1024, 50 * 1024 * 1024];

/// Time spent per measurement: enough for stable figures, short enough to run in CI.
const BUDGET: Duration = Duration::from_secs(3);

struct Row {
    size: usize,
    ours_per_s: f64,
    pyhanko_inproc_per_s: Option<f64>,
    pyhanko_cli_per_s: Option<f64>,
    sha256sum_s: Option<f64>,
    ours_s: f64,
}

/// Runs the benchmark; returns a Markdown table and notes. `pki_dir` gets a development PKI
/// if it has none; `work_dir` receives the generated documents.
pub fn sign_benchmark(pki_dir: &Path, work_dir: &Path, sizes: &[usize]) -> anyhow::Result<String> {
    if !pki::dev_pki_exists(pki_dir) {
        pki::init_dev_pki(pki_dir, &pki::default_dev_departments())
            .context("creating a development PKI for the benchmark")?;
    }
    let store = KeyStore::load(pki_dir).context("loading the PKI")?;
    let cred = store
        .credentials()
        .find(|c| {
            c.role() == ketqua::flow::Role::Approver
                && c.check_usable(OffsetDateTime::now_utc()).is_ok()
        })
        .context("the PKI has no usable approver credential")?;
    std::fs::create_dir_all(work_dir)?;
    let cred_dir = pki_dir.join("credentials").join(cred.id());
    let key_pem = work_dir.join("bench-key.pem");
    let key_der = std::fs::read(cred_dir.join("key.pk8")).context("reading the key")?;
    std::fs::write(&key_pem, pem("PRIVATE KEY", &key_der))?;
    let cert_pem = cred_dir.join("cert.pem");
    let have_pyhanko = tool_exists("pyhanko");
    let have_python_pyhanko = Command::new("python3")
        .args(["-c", "import pyhanko.sign"])
        .output()
        .is_ok_and(|o| o.status.success());
    let have_sha256sum = tool_exists("sha256sum");

    let mut rows = Vec::new();
    for &size in sizes {
        let doc = random_document(size)?;
        let path = work_dir.join(format!("bench-{size}.pdf"));
        std::fs::write(&path, &doc)?;

        let mut req = SignatureRequest::new(cred, PadesLevel::BB, OffsetDateTime::now_utc());
        req.field_name = Some("Sig".into());
        let validation = Validation::default();
        // Warm-up, and a check that the output is sane.
        let appendix = pdf::sign(&doc, &req, &validation)?;
        if appendix.is_empty() {
            bail!("the signer returned nothing");
        }
        let (n, elapsed) = repeat(|| Ok(pdf::sign(&doc, &req, &validation).map(drop)?))?;
        let ours_per_s = n as f64 / elapsed.as_secs_f64();

        let pyhanko_inproc_per_s = if have_python_pyhanko {
            pyhanko_in_process(&path, &key_pem, &cert_pem).ok()
        } else {
            None
        };
        let pyhanko_cli_per_s = if have_pyhanko {
            let out = work_dir.join("bench-out.pdf");
            repeat(|| {
                let status = Command::new("pyhanko")
                    .args(["sign", "addsig", "--field", "Sig", "pemder", "--key"])
                    .arg(&key_pem)
                    .arg("--cert")
                    .arg(&cert_pem)
                    .arg("--no-pass")
                    .arg(&path)
                    .arg(&out)
                    .output()?;
                if !status.status.success() {
                    bail!(
                        "pyhanko failed: {}",
                        String::from_utf8_lossy(&status.stderr)
                    );
                }
                Ok(())
            })
            .ok()
            .map(|(n, e)| n as f64 / e.as_secs_f64())
        } else {
            None
        };
        let sha256sum_s = if have_sha256sum {
            let mut best = f64::MAX;
            for _ in 0..5 {
                let t = Instant::now();
                let o = Command::new("sha256sum").arg(&path).output()?;
                if !o.status.success() {
                    bail!("sha256sum failed");
                }
                best = best.min(t.elapsed().as_secs_f64());
            }
            Some(best)
        } else {
            None
        };
        rows.push(Row {
            size,
            ours_per_s,
            pyhanko_inproc_per_s,
            pyhanko_cli_per_s,
            sha256sum_s,
            ours_s: 1.0 / ours_per_s,
        });
        let _ = std::fs::remove_file(&path);
    }
    Ok(report(&rows))
}

fn report(rows: &[Row]) -> String {
    let fmt_opt = |v: Option<f64>, f: &dyn Fn(f64) -> String| v.map_or("n/a".into(), f);
    let mut s = String::from(
        "| size | ketqua B-B sig/s | ms/sig | pyHanko in-process sig/s | pyHanko CLI sig/s (process each) | ketqua ÷ pyHanko in-process | ketqua ÷ pyHanko CLI | sha256sum ms | ketqua time ÷ sha256sum |\n\
         |---:|---:|---:|---:|---:|---:|---:|---:|---:|\n",
    );
    for r in rows {
        let _ = writeln!(
            s,
            "| {} | {:.1} | {:.3} | {} | {} | {} | {} | {} | {} |",
            human(r.size),
            r.ours_per_s,
            r.ours_s * 1000.0,
            fmt_opt(r.pyhanko_inproc_per_s, &|v| format!("{v:.2}")),
            fmt_opt(r.pyhanko_cli_per_s, &|v| format!("{v:.2}")),
            fmt_opt(r.pyhanko_inproc_per_s, &|v| format!(
                "{:.0}×",
                r.ours_per_s / v
            )),
            fmt_opt(r.pyhanko_cli_per_s, &|v| format!(
                "{:.0}×",
                r.ours_per_s / v
            )),
            fmt_opt(r.sha256sum_s, &|v| format!("{:.1}", v * 1000.0)),
            fmt_opt(r.sha256sum_s, &|v| format!("{:.2}", r.ours_s / v)),
        );
    }
    s.push_str(
        "\nSingle-threaded. ketqua: in-process `pdf::sign` (input in memory, returns the \
         appendix). pyHanko in-process: a Python loop over `signers.sign_pdf` with the input in \
         memory. pyHanko CLI: `pyhanko sign addsig --field Sig pemder …` one process per \
         signature (includes interpreter start-up). sha256sum: best of 5 runs, process \
         included.\n",
    );
    s
}

fn human(n: usize) -> String {
    if n >= 1024 * 1024 {
        format!("{} MB", n / (1024 * 1024))
    } else {
        format!("{} KB", n / 1024)
    }
}

/// Runs `f` until the time budget is spent (at least twice); returns count and time.
fn repeat(mut f: impl FnMut() -> anyhow::Result<()>) -> anyhow::Result<(u64, Duration)> {
    let start = Instant::now();
    let mut n = 0u64;
    while n < 2 || start.elapsed() < BUDGET {
        f()?;
        n += 1;
    }
    Ok((n, start.elapsed()))
}

fn tool_exists(name: &str) -> bool {
    Command::new("sh")
        .arg("-c")
        .arg(format!("command -v {name}"))
        .output()
        .is_ok_and(|o| o.status.success())
}

fn pem(label: &str, der: &[u8]) -> String {
    let b64 = base64::engine::general_purpose::STANDARD.encode(der);
    let mut s = format!("-----BEGIN {label}-----\n");
    for chunk in b64.as_bytes().chunks(64) {
        s.push_str(&String::from_utf8_lossy(chunk));
        s.push('\n');
    }
    s.push_str(&format!("-----END {label}-----\n"));
    s
}

const PYHANKO_LOOP: &str = r#"
import io, sys, time
from pyhanko.sign import signers
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
path, key, cert, budget = sys.argv[1], sys.argv[2], sys.argv[3], float(sys.argv[4])
signer = signers.SimpleSigner.load(key, cert)
data = open(path, 'rb').read()
meta = signers.PdfSignatureMetadata(field_name='Sig')
def once():
    w = IncrementalPdfFileWriter(io.BytesIO(data))
    signers.sign_pdf(w, meta, signer=signer, output=io.BytesIO())
once()
n, start = 0, time.perf_counter()
while n < 2 or time.perf_counter() - start < budget:
    once(); n += 1
print(n / (time.perf_counter() - start))
"#;

fn pyhanko_in_process(pdf: &Path, key: &Path, cert: &Path) -> anyhow::Result<f64> {
    let out = Command::new("python3")
        .arg("-c")
        .arg(PYHANKO_LOOP)
        .arg(pdf)
        .arg(key)
        .arg(cert)
        .arg(BUDGET.as_secs_f64().to_string())
        .output()?;
    if !out.status.success() {
        bail!("pyHanko loop: {}", String::from_utf8_lossy(&out.stderr));
    }
    Ok(String::from_utf8_lossy(&out.stdout).trim().parse()?)
}

/// A one-page document of about `size` bytes whose bulk is random (incompressible) image
/// bytes, so neither signer can shortcut the hashing.
fn random_document(size: usize) -> anyhow::Result<Vec<u8>> {
    pdf::image_document(size, |image| SystemRandom::new().fill(image))
        .map_err(|_| anyhow::anyhow!("no randomness"))
}

/// Where `ketqua bench sign` works by default.
pub fn default_work_dir() -> PathBuf {
    std::env::temp_dir().join("ketqua-bench")
}
