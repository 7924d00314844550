//! The attack corpus (issue 12, part 2): the attack classes of the literature — universal
//! signature forgery (USF), incremental saving (ISA), signature wrapping (SWA), shadow attacks
//! (hide, replace, hide-and-replace) and certification attacks (EAA, SSA) — built by
//! `tests/support/attacks/make.py` against documents this server signed: a result issued
//! through the dossier flow, and third-party PDFs certified (DocMDP P=2) through
//! `Signing.SignDocument`. The shadow input is prepared before signing and revealed after.
//!
//! Every case is verified through `Verification.VerifyDocument`, as a citizen's upload is.
//! Every attack must be NOT VALID; every legitimate change (a countersignature, a DSS, a
//! document timestamp, filling an empty form field under P=2) must stay VALID. pyHanko's
//! verdict is recorded beside ours in the printed table; its disagreements are argued in
//! docs/verification.md ("The attack corpus"), not asserted here.

mod common;

use std::{
    path::{Path, PathBuf},
    process::Command,
};

use common::*;
use ketqua::proto::v1::{self as pb, verification_client::VerificationClient};

const RECEIVER: &str = "stp-receiver";
const APPRAISER: &str = "stp-appraiser";
const APPROVER: &str = "stp-approver";

fn script(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/support/attacks")
        .join(name)
}

fn python(args: &[&std::ffi::OsStr]) -> Vec<u8> {
    let out = Command::new("python3")
        .args(args)
        // make.py imports its neighbours; no __pycache__ in the source tree.
        .env("PYTHONDONTWRITEBYTECODE", "1")
        .output()
        .expect("run python3");
    assert!(
        out.status.success(),
        "python3 {args:?}:\n{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    out.stdout
}

/// A dossier through the five steps with `result` as the department's PDF; the issued file.
async fn issued(server: &Server, result: Vec<u8>) -> Vec<u8> {
    let mut client = server.dossiers().await;
    let code = client
        .receive(receive_request(JUDICIAL_RECORD, RECEIVER))
        .await
        .expect("receive")
        .into_inner()
        .dossier_code;
    let step = |c: &str, note: &str| step_request(&code, c, note);
    client
        .appraise(step(APPRAISER, "Đủ điều kiện"))
        .await
        .unwrap();
    client.approve(step(APPROVER, "Đồng ý")).await.unwrap();
    let mut sign = sign_request(&code, APPROVER);
    sign.result.as_mut().expect("a result document").content = result;
    client.sign(sign).await.expect("sign");
    client.r#return(step(RECEIVER, "Đã trả")).await.unwrap();
    let dossier = client
        .get(pb::GetRequest {
            dossier_code: code,
            include_result_content: true,
        })
        .await
        .unwrap()
        .into_inner();
    dossier.result.expect("a result").content
}

/// `Signing.SignDocument` at B-LT: a certification (P=2) or an approval signature.
async fn sign_document(
    server: &Server,
    credential: &str,
    certify: bool,
    visible: bool,
    pdf: &[u8],
) -> Vec<u8> {
    use pb::sign_document_request::Part;
    let mut messages = vec![pb::SignDocumentRequest {
        part: Some(Part::Parameters(pb::SignatureParameters {
            credential_id: credential.to_owned(),
            level: pb::PadesLevel::BLt as i32,
            visible,
            certify,
            ..pb::SignatureParameters::default()
        })),
    }];
    messages.extend(pdf.chunks(256 * 1024).map(|c| pb::SignDocumentRequest {
        part: Some(Part::Chunk(c.to_vec())),
    }));
    let mut answer = server
        .signing()
        .await
        .sign_document(tokio_stream::iter(messages))
        .await
        .expect("SignDocument")
        .into_inner();
    let mut signed = Vec::new();
    while let Some(part) = answer.message().await.expect("stream") {
        if let Some(pb::signed_document_part::Part::Chunk(c)) = part.part {
            signed.extend_from_slice(&c);
        }
    }
    signed
}

/// Our verdict and reason through gRPC, as a citizen's upload gets it.
async fn verify(server: &Server, pdf: &[u8]) -> (pb::Verdict, String) {
    let messages: Vec<pb::VerifyDocumentRequest> = pdf
        .chunks(64 * 1024)
        .map(|c| pb::VerifyDocumentRequest {
            result_code: String::new(),
            chunk: c.to_vec(),
        })
        .collect();
    let report = VerificationClient::new(server.channel().await)
        .verify_document(tokio_stream::iter(messages))
        .await
        .expect("VerifyDocument")
        .into_inner();
    (report.verdict(), report.reason)
}

struct Case {
    name: String,
    class: String,
    what: String,
    file: PathBuf,
    /// true: must stay VALID (a legitimate change); false: must not be VALID (an attack).
    legitimate: bool,
}

fn cases_of(manifest: &Path) -> Vec<Case> {
    let json: serde_json::Value =
        serde_json::from_slice(&std::fs::read(manifest).expect("cases.json")).unwrap();
    let text = |v: &serde_json::Value, k: &str| v[k].as_str().expect(k).to_owned();
    json.as_array()
        .expect("a list of cases")
        .iter()
        .map(|c| Case {
            name: text(c, "name"),
            class: text(c, "class"),
            what: text(c, "what"),
            file: PathBuf::from(text(c, "file")),
            legitimate: match text(c, "expect").as_str() {
                "VALID" => true,
                "NOT_VALID" => false,
                other => panic!("expect {other}?"),
            },
        })
        .collect()
}

fn verdict_word(v: pb::Verdict) -> &'static str {
    match v {
        pb::Verdict::Valid => "VALID",
        pb::Verdict::Invalid => "INVALID",
        pb::Verdict::Indeterminate => "INDETERMINATE",
        pb::Verdict::Unspecified => "UNSPECIFIED",
    }
}

#[tokio::test]
async fn every_attack_is_not_valid_and_every_legitimate_change_stays_valid() {
    // Every tool the generator and the judge use; under CI a missing one fails the test.
    if !["python3", "pyhanko", "qpdf", "openssl"]
        .iter()
        .all(|t| tool_available(t))
    {
        return;
    }
    let server = Server::start();
    // Kept after the run (under target/tmp) so that a case can be examined by hand.
    let work = Path::new(env!("CARGO_TARGET_TMPDIR")).join("attack-corpus");
    let _ = std::fs::remove_dir_all(&work);
    std::fs::create_dir_all(&work).unwrap();
    python(&[
        script("make.py").as_os_str(),
        "inputs".as_ref(),
        work.as_os_str(),
    ]);
    let read = |name: &str| std::fs::read(work.join(name)).unwrap();
    let write = |name: &str, data: &[u8]| std::fs::write(work.join(name), data).unwrap();

    // The bases: a result of the dossier flow (our own text document as the department's
    // PDF), the shadow input issued the same way (a department that prepared its PDF), and
    // the third-party form and shadow inputs certified through SignDocument.
    let department_pdf = ketqua::pdf::text_document(
        "Phieu ly lich tu phap so 1",
        &["Tinh trang an tich: Khong co an tich"],
    );
    let result = issued(&server, department_pdf).await;
    write("issued.pdf", &result);
    write(
        "shadow-issued.pdf",
        &issued(&server, read("shadow.pdf")).await,
    );
    let form = sign_document(&server, APPROVER, true, false, &read("form.pdf")).await;
    write("form-signed.pdf", &form);
    let shadow = sign_document(&server, APPROVER, true, true, &read("shadow.pdf")).await;
    write("shadow-signed.pdf", &shadow);

    let http = server.http.clone();
    python(&[
        script("make.py").as_os_str(),
        "corpus".as_ref(),
        work.as_os_str(),
        format!("{http}/tsa").as_ref(),
        server.pki_dir().as_os_str(),
    ]);
    let mut cases = cases_of(&work.join("cases.json"));
    // A second signature through our own service (an approval, not a certification).
    let countersigned = sign_document(&server, APPRAISER, false, false, &result).await;
    let file = work.join("cases/countersign-service@issued.pdf");
    std::fs::write(&file, &countersigned).unwrap();
    cases.push(Case {
        name: "countersign-service@issued".into(),
        class: "legitimate".into(),
        what: "SignDocument adds an approval signature in a new invisible field".into(),
        file,
        legitimate: true,
    });
    let attacks = cases.iter().filter(|c| !c.legitimate).count();
    assert!(
        attacks >= 50 && cases.len() - attacks >= 10,
        "the corpus shrank: {attacks} attacks, {} legitimate",
        cases.len() - attacks
    );

    // pyHanko's verdicts, all in one process.
    let manifest: Vec<serde_json::Value> = cases
        .iter()
        .map(|c| serde_json::json!({"name": c.name, "file": c.file}))
        .collect();
    let all = work.join("all-cases.json");
    std::fs::write(&all, serde_json::to_vec(&manifest).unwrap()).unwrap();
    let pki = server.pki_dir();
    let judged: serde_json::Value = serde_json::from_slice(&python(&[
        script("judge.py").as_os_str(),
        all.as_os_str(),
        pki.join("root.pem").as_os_str(),
        pki.join("root.crl").as_os_str(),
        pki.join("stp/ca.crl").as_os_str(),
    ]))
    .expect("judge.py's JSON");
    let judged = judged.as_array().expect("verdicts");
    assert_eq!(judged.len(), cases.len(), "pyHanko judged every case");

    let mut table = String::from(
        "| case | class | what it does | ketqua | reason | pyHanko | pyHanko's findings |\n\
         |---|---|---|---|---|---|---|\n",
    );
    let mut wrong = Vec::new();
    let mut disagreements = 0;
    for (case, theirs) in cases.iter().zip(judged) {
        assert_eq!(theirs["name"].as_str(), Some(case.name.as_str()));
        let pdf = std::fs::read(&case.file).unwrap();
        let (verdict, reason) = verify(&server, &pdf).await;
        let ours_valid = verdict == pb::Verdict::Valid;
        let pyhanko_valid = theirs["valid"].as_bool().expect("a verdict");
        if ours_valid != case.legitimate {
            wrong.push(format!(
                "{} ({}): ketqua says {} — {}",
                case.name,
                if case.legitimate {
                    "legitimate"
                } else {
                    "attack"
                },
                verdict_word(verdict),
                reason
            ));
        }
        if pyhanko_valid != case.legitimate {
            disagreements += 1;
        }
        table.push_str(&format!(
            "| {} | {} | {} | {} | {} | {} | {} |\n",
            case.name,
            case.class,
            case.what,
            verdict_word(verdict),
            reason.replace('|', "/"),
            if pyhanko_valid { "VALID" } else { "NOT VALID" },
            theirs["summary"]
                .as_str()
                .unwrap_or_default()
                .replace('|', "/"),
        ));
    }
    std::fs::write(work.join("table.md"), &table).unwrap();
    eprintln!("{table}");
    eprintln!(
        "{} cases; pyHanko differs from the expectation on {disagreements} \
         (docs/verification.md, \"The attack corpus\"); table in {}",
        cases.len(),
        work.join("table.md").display()
    );
    assert!(
        wrong.is_empty(),
        "{} of {} cases judged wrongly by ketqua:\n{}",
        wrong.len(),
        cases.len(),
        wrong.join("\n")
    );
}
