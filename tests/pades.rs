//! PAdES signing judged by external validators: pyHanko, poppler's pdfsig and qpdf.
//! Under CI=true a missing tool fails the test; otherwise the test prints SKIPPED and returns.

use std::{
    path::{Path, PathBuf},
    process::Command,
};

use ketqua::{
    cms::{CmsError, Timestamper},
    pdf::{
        self, DocMdp, PadesLevel, PdfError, QrPayload, SignatureRequest, StampKind, StampTextInput,
        SyntaxError, Validation, VisibleSignature,
    },
    pki::{self, DevDepartment, KeyStore},
};
use time::OffsetDateTime;

const TOOLS: [&str; 4] = ["pyhanko", "pdfsig", "qpdf", "openssl"];

fn ci() -> bool {
    std::env::var("CI").is_ok_and(|v| v == "true" || v == "1")
}

/// True when every external judge is installed; under CI a missing one is a failure.
fn tools_available(test: &str) -> bool {
    TOOLS.iter().all(|t| {
        let found = tool(t);
        if !found {
            println!("SKIPPED {test}");
        }
        found
    })
}

struct Env {
    dir: tempfile::TempDir,
    store: KeyStore,
}

impl Env {
    fn pki(&self) -> PathBuf {
        self.dir.path().join("pki")
    }
    fn root_pem(&self) -> PathBuf {
        self.pki().join("root.pem")
    }
    fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }
    fn cred(&self, id: &str) -> &pki::Credential {
        self.store
            .get(id)
            .unwrap_or_else(|| panic!("credential {id}"))
    }
    fn extra_certs(&self) -> Vec<Vec<u8>> {
        let mut v = vec![self.store.root_der().to_vec()];
        if let Some(t) = self.store.tsa() {
            v.push(t.certificate_der().to_vec());
            v.extend(t.chain_der().iter().cloned());
        }
        v
    }
}

fn env() -> Env {
    let dir = tempfile::tempdir().expect("tempdir");
    let pki_dir = dir.path().join("pki");
    pki::init_dev_pki(
        &pki_dir,
        &[DevDepartment {
            id: "stp".into(),
            name: "Sở Tư pháp tỉnh Quảng Ninh".into(),
        }],
    )
    .expect("dev pki");
    let store = KeyStore::load(&pki_dir).expect("key store");
    Env { dir, store }
}

fn run(cmd: &mut Command) -> (bool, String) {
    let out = cmd.output().expect("spawn");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (out.status.success(), text)
}

/// An RFC 3161 TSA for tests, independent of our own code: `openssl ts -reply` with the dev
/// PKI's TSA key. It proves our B-T/B-LTA output works with a third-party token.
struct OpensslTsa {
    dir: PathBuf,
}

impl OpensslTsa {
    fn new(env: &Env) -> OpensslTsa {
        let dir = env.path("openssl-tsa");
        std::fs::create_dir_all(&dir).expect("tsa dir");
        let key = env.pki().join("tsa/key.pk8");
        let (ok, out) = run(Command::new("openssl").args([
            "pkey",
            "-inform",
            "DER",
            "-in",
            key.to_str().expect("path"),
            "-out",
            dir.join("key.pem").to_str().expect("path"),
        ]));
        assert!(ok, "{out}");
        std::fs::write(dir.join("serial"), "01\n").expect("serial");
        let conf = format!(
            "[ tsa ]\ndefault_tsa = t\n[ t ]\ndir = {d}\nserial = {d}/serial\nsigner_cert = {cert}\n\
             signer_key = {d}/key.pem\nsigner_digest = sha256\ndefault_policy = 1.2.3.4.1\n\
             digests = sha256\naccuracy = secs:1\nordering = no\ntsa_name = no\n\
             ess_cert_id_chain = no\ness_cert_id_alg = sha256\ncerts = {cert}\n",
            d = dir.display(),
            cert = env.pki().join("tsa/cert.pem").display()
        );
        std::fs::write(dir.join("tsa.cnf"), conf).expect("conf");
        OpensslTsa { dir }
    }
}

impl Timestamper for OpensslTsa {
    fn timestamp(&self, digest: &[u8; 32]) -> Result<Vec<u8>, CmsError> {
        let d = &self.dir;
        let q = d.join("q.tsq");
        let t = d.join("t.der");
        let (ok, out) = run(Command::new("openssl").args([
            "ts",
            "-query",
            "-sha256",
            "-digest",
            &hex::encode(digest),
            "-cert",
            "-out",
            q.to_str().unwrap_or_default(),
        ]));
        if !ok {
            return Err(CmsError::Timestamp(out));
        }
        let (ok, out) = run(Command::new("openssl").args([
            "ts",
            "-reply",
            "-config",
            d.join("tsa.cnf").to_str().unwrap_or_default(),
            "-queryfile",
            q.to_str().unwrap_or_default(),
            "-token_out",
            "-out",
            t.to_str().unwrap_or_default(),
        ]));
        if !ok {
            return Err(CmsError::Timestamp(out));
        }
        std::fs::read(&t).map_err(|e| CmsError::Timestamp(e.to_string()))
    }
}

/// Writes `input ‖ appendix`.
fn write_signed(path: &Path, input: &[u8], appendix: &[u8]) {
    let mut all = input.to_vec();
    all.extend_from_slice(appendix);
    std::fs::write(path, &all).expect("write");
    // For a human look at the outputs: KETQUA_KEEP_PDFS=/some/dir.
    if let Some(dir) = std::env::var_os("KETQUA_KEEP_PDFS") {
        if let Some(name) = path.file_name() {
            let _ = std::fs::write(Path::new(&dir).join(name), &all);
        }
    }
}

/// pyHanko: every signature intact, valid and trusted. Revocation: our dev end-entity
/// certificates carry no CRL distribution point or OCSP URL, so online checking has nothing
/// to fetch; `--no-revocation-check` keeps the judgment on integrity and trust. For B-LT/B-LTA
/// the DSS content is checked separately (the CRLs and certificates we embedded).
fn pyhanko_ok(env: &Env, file: &Path) -> String {
    let (ok, out) = run(Command::new("pyhanko").args([
        "sign",
        "validate",
        "--trust",
        env.root_pem().to_str().expect("path"),
        "--trust-replace",
        "--no-revocation-check",
        "--pretty-print",
        file.to_str().expect("path"),
    ]));
    assert!(ok, "pyHanko rejects {}:\n{out}", file.display());
    assert!(
        !out.contains("INVALID") && !out.contains("UNTRUSTED"),
        "pyHanko: {}\n{out}",
        file.display()
    );
    out
}

/// pdfsig: every CAdES signature is valid; the last signature (a document timestamp for
/// B-LTA) covers the whole file unless a DSS revision follows it (B-LT, by design). Poppler
/// cannot validate ETSI.RFC3161 document timestamps ("Unimplemented Feature"), so those are
/// judged by pyHanko only.
fn pdfsig_ok(file: &Path, whole: bool) -> String {
    let (_, out) = run(Command::new("pdfsig").arg(file));
    let sigs: Vec<&str> = out.split("Signature #").skip(1).collect();
    assert!(
        !sigs.is_empty(),
        "pdfsig finds no signature in {}:\n{out}",
        file.display()
    );
    for s in &sigs {
        if s.contains("ETSI.CAdES.detached") {
            assert!(
                s.contains("Signature is Valid."),
                "pdfsig, {}:\n{out}",
                file.display()
            );
        }
    }
    let last = sigs.last().copied().unwrap_or_default();
    assert!(
        !whole || last.contains("Total document signed"),
        "pdfsig, the last signature must cover the whole file {}:\n{out}",
        file.display()
    );
    out
}

fn qpdf_ok(file: &Path) {
    let (ok, out) = run(Command::new("qpdf").arg("--check").arg(file));
    assert!(ok, "qpdf --check {}:\n{out}", file.display());
}

fn judge(env: &Env, file: &Path) -> String {
    judge_level(env, file, true)
}

fn judge_level(env: &Env, file: &Path, whole: bool) -> String {
    qpdf_ok(file);
    pdfsig_ok(file, whole);
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/support/pyhanko_judge.py");
    let (ok, api) = run(Command::new("python3")
        .arg(script)
        .arg(env.root_pem())
        .arg(file));
    assert!(
        ok && api.contains("ALL VALID"),
        "pyHanko API judge, {}:\n{api}",
        file.display()
    );
    format!("{}\n{api}", pyhanko_ok(env, file))
}

/// A minimal PDF from object bodies 1..n (classic xref), for hand-made corner cases.
fn build_pdf(objects: &[&str], trailer_extra: &str) -> Vec<u8> {
    let mut out = b"%PDF-1.7\n%\xE2\xE3\xCF\xD3\n".to_vec();
    let mut offsets = Vec::new();
    for (i, o) in objects.iter().enumerate() {
        offsets.push(out.len());
        out.extend_from_slice(format!("{} 0 obj\n{o}\nendobj\n", i + 1).as_bytes());
    }
    let x = out.len();
    let mut s = format!("xref\n0 {}\n0000000000 65535 f\r\n", objects.len() + 1);
    for o in offsets {
        s.push_str(&format!("{o:010} 00000 n\r\n"));
    }
    s.push_str(&format!(
        "trailer\n<< /Size {} /Root 1 0 R {trailer_extra} >>\nstartxref\n{x}\n%%EOF\n",
        objects.len() + 1
    ));
    out.extend_from_slice(s.as_bytes());
    out
}

fn text_pdf() -> Vec<u8> {
    pdf::text_document(
        "Giấy chứng nhận",
        &["Hồ sơ 000.00.12.H22-261122-0042", "Kết quả thử nghiệm"],
    )
}

fn form_pdf() -> Vec<u8> {
    build_pdf(
        &[
            "<< /Type /Catalog /Pages 2 0 R /AcroForm << /Fields [5 0 R] /DA (/Helv 0 Tf 0 g) >> >>",
            "<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
            "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R /Annots [5 0 R] /Resources << >> >>",
            "<< /Length 0 >>\nstream\n\nendstream",
            "<< /Type /Annot /Subtype /Widget /FT /Tx /T (applicant) /V (Nguyen Van A) /Rect [72 700 300 720] /P 3 0 R /F 4 >>",
        ],
        "",
    )
}

/// The corpus: (name, bytes). Tools are used to produce some inputs.
fn corpus(env: &Env) -> Vec<(&'static str, Vec<u8>)> {
    let text = text_pdf();
    let text_path = env.path("text.pdf");
    std::fs::write(&text_path, &text).expect("write");

    let ph = env.path("pyhanko-writer.pdf");
    let (ok, out) = run(Command::new("python3").args([
        "-c",
        "import sys\n\
from pyhanko.pdf_utils.writer import PdfFileWriter, PageObject\n\
from pyhanko.pdf_utils import generic as g\n\
w = PdfFileWriter()\n\
c = g.StreamObject(stream_data=b'BT /F1 14 Tf 72 720 Td (Written by pyHanko) Tj ET')\n\
f = g.DictionaryObject({g.NameObject('/Type'): g.NameObject('/Font'), g.NameObject('/Subtype'): g.NameObject('/Type1'), g.NameObject('/BaseFont'): g.NameObject('/Helvetica')})\n\
r = g.DictionaryObject({g.NameObject('/Font'): g.DictionaryObject({g.NameObject('/F1'): f})})\n\
w.insert_page(PageObject(contents=w.add_object(c), media_box=(0,0,595,842), resources=r))\n\
w.write(open(sys.argv[1],'wb'))\n",
        ph.to_str().expect("path"),
    ]));
    assert!(ok, "pyHanko writer: {out}");

    let objstm = env.path("objstm.pdf");
    let (ok, out) = run(Command::new("qpdf").args([
        "--object-streams=generate",
        text_path.to_str().expect("path"),
        objstm.to_str().expect("path"),
    ]));
    assert!(ok, "qpdf: {out}");

    let twenty = env.path("twenty.pdf");
    let mut args = vec!["--empty".to_owned(), "--pages".to_owned()];
    for _ in 0..20 {
        args.push(text_path.to_str().expect("path").to_owned());
    }
    args.push("--".into());
    args.push(twenty.to_str().expect("path").to_owned());
    let (ok, out) = run(Command::new("qpdf").args(&args));
    assert!(ok, "qpdf pages: {out}");

    // Signed by pyHanko first (B-B, its own writer), then by us.
    let cred_dir = env.pki().join("credentials/stp-appraiser");
    let key_pem = env.path("appraiser-key.pem");
    let (ok, out) = run(Command::new("openssl").args([
        "pkey",
        "-inform",
        "DER",
        "-in",
        cred_dir.join("key.pk8").to_str().expect("path"),
        "-out",
        key_pem.to_str().expect("path"),
    ]));
    assert!(ok, "{out}");
    let presigned = env.path("presigned.pdf");
    let (ok, out) = run(Command::new("pyhanko").args([
        "sign",
        "addsig",
        "--field",
        "Earlier",
        "pemder",
        "--key",
        key_pem.to_str().expect("path"),
        "--cert",
        cred_dir.join("cert.pem").to_str().expect("path"),
        "--chain",
        env.pki().join("stp/ca.pem").to_str().expect("path"),
        "--no-pass",
        text_path.to_str().expect("path"),
        presigned.to_str().expect("path"),
    ]));
    assert!(ok, "pyHanko addsig: {out}");

    let read = |p: &Path| std::fs::read(p).expect("read");
    vec![
        ("text", text),
        ("pyhanko-writer", read(&ph)),
        ("objstm", read(&objstm)),
        ("twenty-pages", read(&twenty)),
        ("presigned", read(&presigned)),
        ("form", form_pdf()),
    ]
}

fn now() -> OffsetDateTime {
    OffsetDateTime::now_utc()
}

fn visible(kind: StampKind, env: &Env, id: &str) -> VisibleSignature {
    let info = env.cred(id).info();
    VisibleSignature {
        page: None,
        rect: None,
        kind,
        text: StampTextInput {
            signer_name: info.common_name.clone(),
            position: info.position.clone(),
            organisation: info.organisation.clone(),
        },
    }
}

#[test]
fn every_input_at_every_level_is_valid_for_pyhanko_pdfsig_and_qpdf() {
    if !tools_available("every_input_at_every_level") {
        return;
    }
    let env = env();
    let tsa = OpensslTsa::new(&env);
    let certs = env.extra_certs();
    let crls = env.store.crls_der();
    let validation = Validation {
        timestamper: Some(&tsa),
        certificates: &certs,
        crls: &crls,
        ocsps: &[],
    };
    for (name, input) in corpus(&env) {
        for level in [
            PadesLevel::BB,
            PadesLevel::BT,
            PadesLevel::BLT,
            PadesLevel::BLTA,
        ] {
            let mut req = SignatureRequest::new(env.cred("stp-approver"), level, now());
            req.visible = Some(visible(StampKind::Signer, &env, "stp-approver"));
            req.reason = Some("Phê duyệt kết quả".into());
            let appendix = pdf::sign(&input, &req, &validation)
                .unwrap_or_else(|e| panic!("{name} {level}: {e}"));
            let file = env.path(&format!("{name}-{level}.pdf"));
            write_signed(&file, &input, &appendix);
            let report = judge_level(&env, &file, level != PadesLevel::BLT);
            if level >= PadesLevel::BT {
                assert!(
                    report.to_lowercase().contains("timestamp"),
                    "{name} {level}: no timestamp reported\n{report}"
                );
            }
            if level >= PadesLevel::BLT {
                let bytes = std::fs::read(&file).expect("read");
                let doc = pdf::Document::open(&bytes).expect("reopen");
                let catalog = doc.catalog().expect("catalog");
                let dss = doc.get_dict(&catalog, "DSS").expect("dss").expect("a /DSS");
                assert!(dss.get("Certs").is_some() && dss.get("CRLs").is_some());
                // Only the DSS (and for B-LTA the document timestamp) follows the signature.
                let sigs = pdf::signatures(&doc).expect("signatures");
                let ours = sigs
                    .iter()
                    .rfind(|s| s.sub_filter.as_deref() == Some("ETSI.CAdES.detached"))
                    .expect("our signature");
                let covered_end = (ours.byte_range[2] + ours.byte_range[3]) as usize;
                let revisions = doc.revision_xref_offsets();
                let after = revisions.iter().filter(|o| **o >= covered_end).count();
                let expected = if level == PadesLevel::BLTA { 2 } else { 1 };
                assert_eq!(
                    after, expected,
                    "{name} {level}: revisions after the signature"
                );
            }
            if level == PadesLevel::BLTA {
                let bytes = std::fs::read(&file).expect("read");
                let doc = pdf::Document::open(&bytes).expect("reopen");
                let sigs = pdf::signatures(&doc).expect("signatures");
                assert_eq!(
                    sigs.last().and_then(|s| s.sub_filter.clone()).as_deref(),
                    Some("ETSI.RFC3161"),
                    "{name}: the last signature is the document timestamp"
                );
            }
            println!("ok {name} {level}");
        }
    }
}

#[test]
fn result_with_certification_and_seal_stays_valid_through_b_lta() {
    if !tools_available("result_with_certification_and_seal") {
        return;
    }
    let env = env();
    let tsa = OpensslTsa::new(&env);
    let certs = env.extra_certs();
    let crls = env.store.crls_der();
    let validation = Validation {
        timestamper: Some(&tsa),
        certificates: &certs,
        crls: &crls,
        ocsps: &[],
    };
    let input = text_pdf();
    for level in [PadesLevel::BB, PadesLevel::BLT, PadesLevel::BLTA] {
        let mut signer = SignatureRequest::new(env.cred("stp-approver"), level, now());
        signer.visible = Some(visible(StampKind::Signer, &env, "stp-approver"));
        let mut seal = SignatureRequest::new(env.cred("stp-seal"), level, now());
        seal.visible = Some(visible(StampKind::Seal, &env, "stp-seal"));
        let appendix = pdf::sign_result(&input, &signer, &seal, None, &validation)
            .unwrap_or_else(|e| panic!("{level}: {e}"));
        let file = env.path(&format!("result-{level}.pdf"));
        write_signed(&file, &input, &appendix);
        let report = judge_level(&env, &file, level != PadesLevel::BLT);
        assert!(
            report.to_lowercase().contains("certif"),
            "{level}: certification not recognised:\n{report}"
        );
        assert!(
            !report.contains("compromised") && !report.contains("illegitimate"),
            "{level}: DocMDP violated:\n{report}"
        );
        println!("ok result {level}\n{report}");
    }
}

#[test]
fn external_signing_prepare_then_complete() {
    if !tools_available("external_signing") {
        return;
    }
    let env = env();
    let cred = env.cred("stp-approver");
    let input = text_pdf();
    let req = pdf::PrepareRequest {
        certificate_der: cred.certificate_der().to_vec(),
        chain_der: cred.chain_der().to_vec(),
        signature_algorithm: cred.signature_algorithm(),
        level: PadesLevel::BB,
        field_name: Some("External".into()),
        certify: None,
        visible: Some(visible(StampKind::Signer, &env, "stp-approver")),
        signing_time: now(),
        reason: None,
        location: None,
        contents_reserve: None,
    };
    let prepared = pdf::prepare(&input, &req).expect("prepare");
    // Survives a round trip through storage.
    let json = serde_json::to_string(&prepared).expect("json");
    let prepared: pdf::Prepared = serde_json::from_str(&json).expect("json back");
    let value = cred.sign(&prepared.signed_attributes_der).expect("sign");
    // A wrong value is refused before anything is assembled.
    let other = env
        .cred("stp-seal")
        .sign(&prepared.signed_attributes_der)
        .expect("sign");
    assert!(matches!(
        pdf::complete(&input, &prepared, &other, &Validation::default()),
        Err(PdfError::Cms(_))
    ));
    let appendix =
        pdf::complete(&input, &prepared, &value, &Validation::default()).expect("complete");
    let file = env.path("external.pdf");
    write_signed(&file, &input, &appendix);
    judge(&env, &file);
}

#[test]
fn qr_mark_goes_top_left_before_the_signatures() {
    if !tools_available("qr_mark") {
        return;
    }
    if !tool("pdftoppm") || !tool("zbarimg") {
        return;
    }
    /// The service's adapter (src/service/result.rs `QrMark`).
    struct QrMark(QrPayload);
    impl pdf::TopLeftMark for QrMark {
        fn content(&self, x: f64, y: f64, size: f64) -> Result<Vec<u8>, PdfError> {
            pdf::qr_content(&self.0, x, y, size)
                .map_err(|e| PdfError::malformed(format!("QR code: {e}")))
        }
    }
    let payload = QrPayload {
        dossier_code: "000.00.12.H22-261122-0042".into(),
        procedure_code: "2.000488".into(),
        applicant_id: "001234567890".into(),
        document_name: "Phiếu lý lịch tư pháp số 1".into(),
        verification_url: "https://ketqua.example.gov.vn/v/000.00.12.H22-261122-0042-KQ1".into(),
    };
    let mark = QrMark(payload.clone());
    let env = env();
    let input = text_pdf();
    let signer = SignatureRequest::new(env.cred("stp-approver"), PadesLevel::BB, now());
    let seal = SignatureRequest::new(env.cred("stp-seal"), PadesLevel::BB, now());
    let appendix = pdf::sign_result(&input, &signer, &seal, Some(&mark), &Validation::default())
        .expect("sign");
    let file = env.path("qr.pdf");
    write_signed(&file, &input, &appendix);
    judge(&env, &file);
    let text = String::from_utf8_lossy(&appendix);
    assert!(text.contains("/Contents ["), "page content became an array");
    // The first page at 200 dpi (qr.png in the test's directory); zbar reads exactly the payload.
    let raster = rasterize(&file, 1, 200, &env.path("qr"));
    // 72 pt at 18 pt from the top left corner: 50..250 px at 200 dpi.
    let dark = raster.count([50, 50, 250, 250], |p| p.iter().all(|c| *c < 80));
    assert!(
        dark > 40 * 200 / 2,
        "no QR code at the top left ({dark} dark pixels)"
    );
    let out = Command::new("zbarimg")
        .args(["--raw", "-q", "-Sbinary"])
        .arg(env.path("qr.png"))
        .output()
        .expect("zbarimg");
    assert!(
        out.status.success(),
        "zbarimg: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    // One symbol, its bytes exactly (zbar ends the output with a newline).
    let decoded = String::from_utf8(out.stdout).expect("UTF-8 payload");
    assert_eq!(
        decoded.strip_suffix('\n').unwrap_or(&decoded),
        pdf::qr_text(&payload)
    );
}

#[test]
fn bad_inputs_get_typed_errors() {
    let env = env();
    let cred = env.cred("stp-approver");
    let req = SignatureRequest::new(cred, PadesLevel::BB, now());
    let v = Validation::default();
    let text = text_pdf();

    assert!(matches!(
        pdf::sign(b"hello world", &req, &v),
        Err(PdfError::Syntax(SyntaxError::Malformed(_)))
    ));
    assert!(matches!(
        pdf::sign(&text[..text.len() - 40], &req, &v),
        Err(PdfError::Syntax(SyntaxError::Malformed(_)))
    ));
    assert!(pdf::sign(&text[..text.len() / 2], &req, &v).is_err());
    let mut bad_xref = text.clone();
    let n = bad_xref.len();
    bad_xref[n - 10..n - 6].copy_from_slice(b"9999");
    assert!(pdf::sign(&bad_xref, &req, &v).is_err());
    let no_root = build_pdf(&["<< /Type /Pages /Kids [] /Count 0 >>"], "").to_vec();
    let no_root = String::from_utf8_lossy(&no_root).replace("/Root 1 0 R", "/Root 9 0 R");
    assert!(matches!(
        pdf::sign(no_root.as_bytes(), &req, &v),
        Err(PdfError::Syntax(SyntaxError::Malformed(_)))
    ));
    let zero = build_pdf(
        &[
            "<< /Type /Catalog /Pages 2 0 R >>",
            "<< /Type /Pages /Kids [] /Count 0 >>",
        ],
        "",
    );
    assert!(matches!(
        pdf::sign(&zero, &req, &v),
        Err(PdfError::Syntax(SyntaxError::NoPages))
    ));
    let encrypted_marker = build_pdf(
        &[
            "<< /Type /Catalog /Pages 2 0 R >>",
            "<< /Type /Pages /Kids [] /Count 0 >>",
            "<< /Filter /Standard /V 5 /R 6 >>",
        ],
        "/Encrypt 3 0 R",
    );
    assert!(matches!(
        pdf::sign(&encrypted_marker, &req, &v),
        Err(PdfError::Syntax(SyntaxError::Encrypted))
    ));

    // Too small a reservation names the needed size.
    let mut small = SignatureRequest::new(cred, PadesLevel::BB, now());
    small.contents_reserve = Some(100);
    match pdf::sign(&text, &small, &v) {
        Err(PdfError::ContentsTooSmall { needed, reserved }) => {
            assert_eq!(reserved, 100);
            assert!(needed > 100);
        }
        other => panic!("expected ContentsTooSmall, got {other:?}"),
    }

    // Certified with P=1: refused.
    let mut certify = SignatureRequest::new(cred, PadesLevel::BB, now());
    certify.certify = Some(DocMdp::NoChanges);
    let appendix = pdf::sign(&text, &certify, &v).expect("certify");
    let mut certified = text.clone();
    certified.extend_from_slice(&appendix);
    assert!(matches!(
        pdf::sign(&certified, &req, &v),
        Err(PdfError::CertifiedNoChanges)
    ));

    // B-T without a timestamp authority.
    let bt = SignatureRequest::new(cred, PadesLevel::BT, now());
    assert!(matches!(
        pdf::sign(&text, &bt, &v),
        Err(PdfError::NoTimestamper(_))
    ));

    // Expired and revoked credentials are not usable (the service checks before signing).
    assert!(env
        .cred("stp-approver-expired")
        .check_usable(now())
        .is_err());
    assert!(env
        .cred("stp-approver-revoked")
        .check_usable(now())
        .is_err());
}

#[test]
fn encrypted_input_from_qpdf_is_refused() {
    if !tools_available("encrypted_input") {
        return;
    }
    let env = env();
    let plain = env.path("plain.pdf");
    std::fs::write(&plain, text_pdf()).expect("write");
    let enc = env.path("enc.pdf");
    let (ok, out) = run(Command::new("qpdf").args([
        "--encrypt",
        "u",
        "o",
        "256",
        "--",
        plain.to_str().expect("path"),
        enc.to_str().expect("path"),
    ]));
    assert!(ok, "{out}");
    let req = SignatureRequest::new(env.cred("stp-approver"), PadesLevel::BB, now());
    let input = std::fs::read(&enc).expect("read");
    assert!(matches!(
        pdf::sign(&input, &req, &Validation::default()),
        Err(PdfError::Syntax(SyntaxError::Encrypted))
    ));
}

#[test]
fn reader_lists_signatures_and_revisions() {
    let env = env();
    let text = text_pdf();
    let req = SignatureRequest::new(env.cred("stp-approver"), PadesLevel::BB, now());
    let appendix = pdf::sign(&text, &req, &Validation::default()).expect("sign");
    let mut all = text.clone();
    all.extend_from_slice(&appendix);
    let doc = pdf::Document::open(&all).expect("open");
    let sigs = pdf::signatures(&doc).expect("sigs");
    assert_eq!(sigs.len(), 1);
    let br = &sigs[0].byte_range;
    assert_eq!(br.len(), 4);
    assert_eq!(br[0], 0);
    assert_eq!((br[2] + br[3]) as usize, all.len());
    assert_eq!(sigs[0].sub_filter.as_deref(), Some("ETSI.CAdES.detached"));
    assert_eq!(doc.revision_xref_offsets().len(), 2);
    // The CMS verifies over the byte ranges with our own CMS code too.
    let mut covered = all[..br[1] as usize].to_vec();
    covered.extend_from_slice(&all[br[2] as usize..]);
    let der_len = {
        let c = &sigs[0].contents;
        // DER length of the outer SEQUENCE (0x30 0x82 hi lo).
        4 + ((c[2] as usize) << 8 | c[3] as usize)
    };
    ketqua::cms::verify_detached(&sigs[0].contents[..der_len], &covered).expect("cms");
}

#[test]
fn built_in_tsa_gives_b_lta_results_that_pyhanko_accepts() {
    if !tools_available("built_in_tsa") {
        return;
    }
    let env = env();
    let tsa =
        ketqua::cms::tsp::LocalTsa::from_key_store(&env.store).expect("the dev PKI has a TSA");
    let certs = env.extra_certs();
    let crls = env.store.crls_der();
    let validation = Validation {
        timestamper: Some(&tsa),
        certificates: &certs,
        crls: &crls,
        ocsps: &[],
    };
    let input = text_pdf();
    let mut signer = SignatureRequest::new(env.cred("stp-approver"), PadesLevel::BLTA, now());
    signer.visible = Some(visible(StampKind::Signer, &env, "stp-approver"));
    let mut seal = SignatureRequest::new(env.cred("stp-seal"), PadesLevel::BLTA, now());
    seal.visible = Some(visible(StampKind::Seal, &env, "stp-seal"));
    let appendix =
        pdf::sign_result(&input, &signer, &seal, None, &validation).expect("sign_result");
    let file = env.path("result-local-tsa.pdf");
    write_signed(&file, &input, &appendix);
    let report = judge(&env, &file);
    assert!(
        report.contains("document timestamp DocTimeStamp1: intact=True valid=True trusted=True"),
        "{report}"
    );
    assert!(report.contains("docmdp_ok=True"), "{report}");
}

fn tool(name: &str) -> bool {
    let found = Command::new("sh")
        .arg("-c")
        .arg(format!("command -v {name}"))
        .output()
        .is_ok_and(|o| o.status.success());
    assert!(found || !ci(), "`{name}` is required under CI=true");
    if !found {
        println!("SKIPPED: `{name}` is not installed");
    }
    found
}

/// `pdftotext` of a file, runs of spaces collapsed per line.
fn pdftotext(file: &Path) -> String {
    let out = Command::new("pdftotext")
        .arg(file)
        .arg("-")
        .output()
        .expect("pdftotext");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout)
        .expect("UTF-8")
        .lines()
        .map(|l| l.split_whitespace().collect::<Vec<_>>().join(" "))
        .collect::<Vec<_>>()
        .join("\n")
}

/// An RGB raster of one page (`pdftoppm -ppm`), for looking at pixels.
struct Raster {
    width: usize,
    height: usize,
    rgb: Vec<u8>,
}

impl Raster {
    fn read(path: &Path) -> Raster {
        let bytes = std::fs::read(path).expect("read ppm");
        // P6\n<w> <h>\n255\n<data>: four whitespace-separated header fields.
        let mut fields = Vec::new();
        let mut at = 0;
        while fields.len() < 4 {
            while bytes[at].is_ascii_whitespace() {
                at += 1;
            }
            let start = at;
            while !bytes[at].is_ascii_whitespace() {
                at += 1;
            }
            fields.push(String::from_utf8_lossy(&bytes[start..at]).into_owned());
        }
        assert_eq!(fields[0], "P6");
        Raster {
            width: fields[1].parse().expect("width"),
            height: fields[2].parse().expect("height"),
            rgb: bytes[at + 1..].to_vec(),
        }
    }
    /// The seal's and stamp's ink: clearly red.
    fn red(&self, x: usize, y: usize) -> bool {
        let p = &self.rgb[3 * (y * self.width + x)..][..3];
        p[0] > 150 && p[1] < 110 && p[2] < 110
    }
    /// Bounding box `[x0, y0, x1, y1]` (pixels, y down) of the red pixels.
    fn red_box(&self) -> Option<[usize; 4]> {
        let mut b: Option<[usize; 4]> = None;
        for y in 0..self.height {
            for x in 0..self.width {
                if self.red(x, y) {
                    let r = b.get_or_insert([x, y, x, y]);
                    r[0] = r[0].min(x);
                    r[1] = r[1].min(y);
                    r[2] = r[2].max(x);
                    r[3] = r[3].max(y);
                }
            }
        }
        b
    }
    fn red_count(&self, region: [usize; 4]) -> usize {
        self.count(region, |p| p[0] > 150 && p[1] < 110 && p[2] < 110)
    }
    fn count(&self, [x0, y0, x1, y1]: [usize; 4], f: impl Fn(&[u8]) -> bool) -> usize {
        (y0..y1.min(self.height))
            .flat_map(|y| (x0..x1.min(self.width)).map(move |x| (x, y)))
            .filter(|&(x, y)| f(&self.rgb[3 * (y * self.width + x)..][..3]))
            .count()
    }
}

/// Renders `page` (1-based) of `file` at `dpi` as `<stem>.png` (kept for a human look) and
/// `<stem>.ppm` (for the assertions).
fn rasterize(file: &Path, page: usize, dpi: u32, stem: &Path) -> Raster {
    for format in ["-png", ""] {
        let p = page.to_string();
        let mut args = vec!["-r".to_owned(), dpi.to_string(), "-f".into(), p.clone()];
        args.extend(["-l".into(), p, "-singlefile".into()]);
        if !format.is_empty() {
            args.push(format.into());
        }
        let (ok, out) = run(Command::new("pdftoppm").args(&args).arg(file).arg(stem));
        assert!(ok && !out.contains("Error"), "pdftoppm: {out}");
    }
    Raster::read(&stem.with_extension("ppm"))
}

fn rendered_result() -> ketqua::pdf::Rendered {
    ketqua::pdf::render(&ketqua::pdf::ResultDocument {
        issuing_body: "UBND TỈNH QUẢNG NINH\nSỞ TƯ PHÁP".into(),
        number_notation: "Số: 123/PLLTP-STP".into(),
        place_and_date: "Quảng Ninh, ngày 04 tháng 5 năm 2026".into(),
        title: "PHIẾU LÝ LỊCH TƯ PHÁP SỐ 1".into(),
        subtitle: None,
        body: vec![
            "Họ và tên: Nguyễn Thị Hương".into(),
            "Tình trạng án tích: Không có án tích".into(),
        ],
        signer_position: "KT. GIÁM ĐỐC\nPHÓ GIÁM ĐỐC".into(),
        signer_name: "Trần Văn Đức".into(),
        qr: None,
        archival: None,
    })
    .expect("render")
}

#[test]
fn stamps_are_vietnamese_text_and_the_seal_overlaps_the_left_third() {
    if !tools_available("stamps") || !tool("pdftotext") || !tool("pdftoppm") {
        return;
    }
    let env = env();
    let rendered = rendered_result();
    let input = rendered.pdf.clone();
    let rect = rendered.signature_rect;
    let mut signer = SignatureRequest::new(
        env.cred("stp-approver"),
        PadesLevel::BB,
        time::macros::datetime!(2026-05-04 03:02:01 UTC),
    );
    let mut stamp = visible(StampKind::Signer, &env, "stp-approver");
    stamp.text.signer_name = "Trần Văn Đức".into();
    stamp.text.position = "Phó Giám đốc".into();
    stamp.rect = Some(rect);
    signer.visible = Some(stamp);
    let mut seal = SignatureRequest::new(env.cred("stp-seal"), PadesLevel::BB, now());
    seal.visible = Some(visible(StampKind::Seal, &env, "stp-seal"));
    let appendix = pdf::sign_result(&input, &signer, &seal, None, &Validation::default())
        .expect("sign_result");
    let unsigned = env.path("unsigned.pdf");
    std::fs::write(&unsigned, &input).expect("write");
    let file = env.path("stamped.pdf");
    write_signed(&file, &input, &appendix);
    let report = judge(&env, &file);
    assert!(report.contains("docmdp_ok=True"), "{report}");

    // Text: every line of the body is still a line, and the stamp's text is there with its
    // diacritics (poppler draws widget appearances when extracting text).
    let before = pdftotext(&unsigned);
    let after = pdftotext(&file);
    for line in before.lines().filter(|l| !l.is_empty()) {
        assert!(
            after.lines().any(|l| l == line),
            "{line:?} lost by the stamps:\n{after}"
        );
    }
    assert!(after.contains("Ký bởi: Trần Văn Đức"), "{after}");
    assert!(
        after.contains("Thời gian ký: 04/05/2026 10:02:01 +07:00"),
        "{after}"
    );
    assert!(after.contains("Phó Giám đốc"), "{after}");

    // Pixels: the last page at 100 dpi (kept as last-page.png in the test's directory).
    let raster = rasterize(&file, rendered.page_count, 100, &env.path("last-page"));
    if let Some(dir) = std::env::var_os("KETQUA_KEEP_PDFS") {
        let _ = std::fs::copy(
            env.path("last-page.png"),
            Path::new(&dir).join("last-page.png"),
        );
    }
    let scale = 100.0 / 72.0;
    let px = |x: f64| (x * scale).round() as usize;
    let page_h = raster.height as f64 / scale;
    // User space (y up) → pixels (y down), for an unrotated page.
    let to_px = |r: [f64; 4]| [px(r[0]), px(page_h - r[3]), px(r[2]), px(page_h - r[1])];
    let signer_px = to_px(rect);
    let third = (signer_px[2] - signer_px[0]) / 3;
    let red = raster.red_box().expect("red ink on the last page");
    // The seal sticks out to the left of the signer's box by its diameter minus a third of
    // the box, and the ink ends at the box's right edge.
    let seal_left = rect[0] + (rect[2] - rect[0]) / 3.0 - 102.0;
    assert!(
        red[0].abs_diff(px(seal_left)) <= 4 && red[2].abs_diff(signer_px[2]) <= 3,
        "red ink {red:?}, signer box {signer_px:?}"
    );
    // Seal ink in the box's left third, stamp text in its right two thirds.
    let left_third = [
        signer_px[0],
        signer_px[1],
        signer_px[0] + third,
        signer_px[3],
    ];
    let right = [
        signer_px[0] + third,
        signer_px[1],
        signer_px[2],
        signer_px[3],
    ];
    assert!(
        raster.red_count(left_third) > 200,
        "no seal over the left third"
    );
    assert!(raster.red_count(right) > 200, "no stamp text");
}

/// A one-page document shown rotated by `/Rotate`.
fn rotated_pdf(rotate: u32) -> Vec<u8> {
    let content = "BT /F1 14 Tf 72 760 Td (Rotated page) Tj ET";
    build_pdf(
        &[
            "<< /Type /Catalog /Pages 2 0 R >>",
            &format!("<< /Type /Pages /Kids [3 0 R] /Count 1 /Rotate {rotate} >>"),
            "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R \
             /Resources << /Font << /F1 << /Type /Font /Subtype /Type1 /BaseFont /Helvetica >> >> >> >>",
            &format!("<< /Length {} >>\nstream\n{content}\nendstream", content.len() + 1),
        ],
        "",
    )
}

#[test]
fn stamps_are_upright_and_bottom_right_on_rotated_pages() {
    if !tools_available("rotated") || !tool("pdftoppm") || !tool("pdftotext") {
        return;
    }
    let env = env();
    for rotate in [0, 90, 180, 270] {
        // /Rotate inherited from the page tree node.
        let input = rotated_pdf(rotate);
        let mut signer = SignatureRequest::new(env.cred("stp-approver"), PadesLevel::BB, now());
        signer.visible = Some(visible(StampKind::Signer, &env, "stp-approver"));
        let mut seal = SignatureRequest::new(env.cred("stp-seal"), PadesLevel::BB, now());
        seal.visible = Some(visible(StampKind::Seal, &env, "stp-seal"));
        let appendix = pdf::sign_result(&input, &signer, &seal, None, &Validation::default())
            .unwrap_or_else(|e| panic!("/Rotate {rotate}: {e}"));
        let file = env.path(&format!("rotate-{rotate}.pdf"));
        write_signed(&file, &input, &appendix);
        judge(&env, &file);
        assert!(pdftotext(&file).contains("Ký bởi: "), "/Rotate {rotate}");

        // As shown on screen (pdftoppm applies /Rotate), rotate-N.png in the test's directory.
        let r = rasterize(&file, 1, 72, &env.path(&format!("rotate-{rotate}")));
        let (portrait, landscape) = (r.height > r.width, r.width > r.height);
        assert!(
            if rotate % 180 == 0 {
                portrait
            } else {
                landscape
            },
            "/Rotate {rotate}: {}x{}",
            r.width,
            r.height
        );
        let [x0, y0, x1, y1] = r.red_box().expect("red ink");
        // Bottom right, and wider than tall: stamp (210 × 80) plus seal (102) side by side.
        assert!(
            x0 > r.width / 2 && y0 > r.height / 2,
            "/Rotate {rotate}: stamps at {:?} on {}x{}",
            [x0, y0, x1, y1],
            r.width,
            r.height
        );
        assert!(x1 - x0 > 2 * (y1 - y0), "/Rotate {rotate}: not upright");
        // The seal on the left: its thick rings, star and bold letters carry far more ink
        // than the stamp's thin text on the right.
        let third = (x1 - x0) / 3;
        let left = r.red_count([x0, y0, x0 + third, y1 + 1]);
        let right = r.red_count([x1 - third, y0, x1 + 1, y1 + 1]);
        assert!(
            left > 2 * right,
            "/Rotate {rotate}: seal not on the left ({left} vs {right} red pixels)"
        );
    }
}

/// pyHanko's API judge: (exit status, report).
fn pyhanko_api(env: &Env, file: &Path) -> (bool, String) {
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/support/pyhanko_judge.py");
    run(Command::new("python3")
        .arg(script)
        .arg(env.root_pem())
        .arg(file))
}

#[test]
fn new_signature_field_after_certification_p2() {
    if !tools_available("new_field_after_p2") {
        return;
    }
    let env = env();
    let v = Validation::default();
    let text = text_pdf();
    let mut certify = SignatureRequest::new(env.cred("stp-approver"), PadesLevel::BB, now());
    certify.certify = Some(DocMdp::FormFilling);
    certify.visible = Some(visible(StampKind::Signer, &env, "stp-approver"));
    let mut certified = text.clone();
    certified.extend_from_slice(&pdf::sign(&text, &certify, &v).expect("certify"));

    for visible_field in [false, true] {
        let mut later = SignatureRequest::new(env.cred("stp-seal"), PadesLevel::BB, now());
        later.field_name = Some("Later".into());
        if visible_field {
            later.visible = Some(visible(StampKind::Seal, &env, "stp-seal"));
        }
        // P=2 permits signing; we do not refuse a new field.
        let appendix = pdf::sign(&certified, &later, &v).expect("a new field after P=2");
        let file = env.path(&format!("p2-new-field-visible-{visible_field}.pdf"));
        write_signed(&file, &certified, &appendix);
        qpdf_ok(&file);
        pdfsig_ok(&file, true);
        let (ok, report) = pyhanko_api(&env, &file);
        println!("new field, visible={visible_field}:\n{report}");
        assert!(
            report.contains("signature Later: intact=True valid=True trusted=True"),
            "{report}"
        );
        if visible_field {
            // pyHanko is stricter than ISO 32000 and Acrobat here: a NEW visible signature
            // field after a certification signature is not a permitted change for it
            // (SigFieldCreationRule, allow_new_visible_after_certify=False). That is why the
            // result flow creates the seal's field in the certification revision.
            // The later signature itself stays valid; the certification is what it flags.
            assert!(
                !ok && report.contains("modifications=OTHER docmdp_ok=False")
                    && report.contains("only allowed after an approval signature"),
                "pyHanko's verdict changed:\n{report}"
            );
        } else {
            assert!(ok && report.contains("ALL VALID"), "{report}");
            assert!(!report.contains("docmdp_ok=False"), "{report}");
        }
    }
}
