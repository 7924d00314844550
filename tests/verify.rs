//! The verification engine against a tamper corpus made from fresh results of the real server,
//! and pyHanko as the judge: for every file, VALID from us iff VALID from pyHanko.

mod common;

use std::{path::Path, process::Command};

use common::*;
use ketqua::{
    cms::tsp::LocalTsa,
    pdf::{self, Dict, Document, ObjRef, Object, PadesLevel, SignatureRequest, Validation, Writer},
    pki::KeyStore,
    proto::v1 as pb,
    verify::{self, ArchiveView, ArchivedResult, Report, TrustConfig, Verdict},
};
use time::OffsetDateTime;

const RECEIVER: &str = "stp-receiver";
const APPRAISER: &str = "stp-appraiser";
const APPROVER: &str = "stp-approver";

/// Runs a dossier through the five steps; returns the result code and the issued PDF.
async fn issued_result(server: &Server) -> (String, Vec<u8>) {
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
    client.sign(sign_request(&code, APPROVER)).await.unwrap();
    client.r#return(step(RECEIVER, "Đã trả")).await.unwrap();
    let dossier = client
        .get(pb::GetRequest {
            dossier_code: code.clone(),
            include_result_content: true,
        })
        .await
        .unwrap()
        .into_inner();
    let result = dossier.result.expect("a result");
    (result.result_code, result.content)
}

fn trust_of(keys: &KeyStore) -> TrustConfig {
    TrustConfig {
        anchors_der: vec![keys.root_der().to_vec()],
        crls_der: keys.crls_der(),
    }
}

fn run(pdf: &[u8], trust: &TrustConfig) -> Report {
    verify::verify(pdf, trust, None, OffsetDateTime::now_utc())
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

/// The first signature's (byte range, contents DER length).
fn first_signature(pdf: &[u8]) -> (Vec<i64>, usize) {
    let doc = Document::open(pdf).unwrap();
    let sig = pdf::signatures(&doc).unwrap().remove(0);
    let der_len = {
        let c = &sig.contents;
        let n = (c[1] & 0x7f) as usize;
        let mut len = 0usize;
        for i in 0..n {
            len = (len << 8) | c[2 + i] as usize;
        }
        2 + n + len
    };
    (sig.byte_range, der_len)
}

/// An incremental update built with a closure over the document and the update.
fn append(pdf: &[u8], build: impl FnOnce(&Document<'_>, &mut Writer)) -> Vec<u8> {
    let doc = Document::open(pdf).unwrap();
    let mut update = Writer::update(&doc, pdf.ends_with(b"\n"));
    build(&doc, &mut update);
    let mut out = pdf.to_vec();
    out.extend(update.finish());
    out
}

fn content_changed(pdf: &[u8]) -> Vec<u8> {
    append(pdf, |doc, u| {
        let page = doc.page(0).unwrap();
        let stream = u.alloc();
        let text = b"BT /F1 24 Tf 100 500 Td (Co an tich) Tj ET".to_vec();
        u.write(
            stream,
            &Object::Stream(
                Dict::new().with("Length", Object::Int(text.len() as i64)),
                text,
            ),
        );
        let mut dict = page.dict.clone();
        let mut contents = match dict.get("Contents") {
            Some(Object::Array(a)) => a.clone(),
            Some(other) => vec![other.clone()],
            None => Vec::new(),
        };
        contents.push(Object::Ref(stream));
        dict.set("Contents", Object::Array(contents));
        u.write(page.reference, &Object::Dict(dict));
    })
}

fn annotation_added(pdf: &[u8]) -> Vec<u8> {
    append(pdf, |doc, u| {
        let page = doc.page(0).unwrap();
        let annot = u.alloc();
        u.write(
            annot,
            &Object::Dict(
                Dict::new()
                    .with("Type", Object::name("Annot"))
                    .with("Subtype", Object::name("FreeText"))
                    .with(
                        "Rect",
                        Object::Array(
                            [50, 600, 500, 760]
                                .iter()
                                .map(|v| Object::Int(*v))
                                .collect(),
                        ),
                    )
                    .with("Contents", Object::string("Co an tich"))
                    .with("DA", Object::string("/Helv 24 Tf 0 g")),
            ),
        );
        let mut dict = page.dict.clone();
        let mut annots = match dict.get("Annots") {
            Some(Object::Array(a)) => a.clone(),
            Some(Object::Ref(r)) => doc
                .resolve(*r)
                .ok()
                .and_then(|o| o.as_array().map(<[Object]>::to_vec))
                .unwrap_or_default(),
            _ => Vec::new(),
        };
        annots.push(Object::Ref(annot));
        dict.set("Annots", Object::Array(annots));
        u.write(page.reference, &Object::Dict(dict));
    })
}

/// pyHanko's verdict ("VALID" or "NOT_VALID"); None when pyHanko is missing outside CI.
fn pyhanko(root: &Path, pdf: &Path, crls: &[std::path::PathBuf]) -> Option<bool> {
    if !tool_available("pyhanko") {
        return None;
    }
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/support/pyhanko_verdict.py");
    let out = Command::new("python3")
        .arg(script)
        .arg(root)
        .arg(pdf)
        .args(crls)
        .output()
        .expect("run python3");
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    let last = text.lines().last().unwrap_or_default().trim().to_owned();
    assert!(
        last == "VALID" || last == "NOT_VALID",
        "pyhanko_verdict.py said: {text}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    Some(last == "VALID")
}

struct Case {
    name: &'static str,
    pdf: Vec<u8>,
    /// The root this case is judged with (the untrusted-root case uses another one).
    root: Option<Vec<u8>>,
    expect: Verdict,
    /// Words the reason must contain.
    reason: &'static str,
}

fn stranger_root() -> Vec<u8> {
    let key = rcgen::KeyPair::generate().unwrap();
    let mut params = rcgen::CertificateParams::new(Vec::<String>::new()).unwrap();
    params
        .distinguished_name
        .push(rcgen::DnType::CommonName, "Some Other Root CA");
    params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
    params.self_signed(&key).unwrap().der().to_vec()
}

/// A credential issued by the department CA without the document-signing EKU, added to the
/// PKI directory's manifest so `KeyStore::load` picks it up.
fn add_credential_without_eku(pki: &Path) {
    let ca_key = std::fs::read(pki.join("stp/ca.key")).unwrap();
    let ca_key = rcgen::KeyPair::try_from(ca_key.as_slice()).unwrap();
    let ca_pem = std::fs::read_to_string(pki.join("stp/ca.pem")).unwrap();
    let issuer = rcgen::Issuer::from_ca_cert_pem(&ca_pem, ca_key).unwrap();
    let key = rcgen::KeyPair::generate().unwrap();
    let mut params = rcgen::CertificateParams::new(Vec::<String>::new()).unwrap();
    params.distinguished_name.push(
        rcgen::DnType::OrganizationName,
        "Sở Tư pháp tỉnh Quảng Ninh",
    );
    params.distinguished_name.push(
        rcgen::DnType::CommonName,
        "Máy chủ web (không phải người ký)",
    );
    params.not_before = OffsetDateTime::now_utc() - time::Duration::hours(1);
    params.not_after = OffsetDateTime::now_utc() + time::Duration::days(30);
    params.key_usages = vec![rcgen::KeyUsagePurpose::DigitalSignature];
    params.extended_key_usages = vec![rcgen::ExtendedKeyUsagePurpose::ServerAuth];
    params.use_authority_key_identifier_extension = true;
    let cert = params.signed_by(&key, &issuer).unwrap();
    let dir = pki.join("credentials/stp-no-eku");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("cert.pem"), cert.pem()).unwrap();
    std::fs::write(dir.join("key.pk8"), key.serialize_der()).unwrap();
    let mut manifest = std::fs::read_to_string(pki.join("credentials.toml")).unwrap();
    manifest.push_str(
        "\n[[credential]]\nid = \"stp-no-eku\"\nrole = \"approver\"\ndepartment = \"stp\"\n\
         cert = \"credentials/stp-no-eku/cert.pem\"\nkey = \"credentials/stp-no-eku/key.pk8\"\n\
         chain = [\"stp/ca.pem\"]\n",
    );
    std::fs::write(pki.join("credentials.toml"), manifest).unwrap();
}

/// Signs `input` directly with a credential of the store (bypassing the service, which
/// refuses revoked and expired credentials).
fn sign_with(keys: &KeyStore, id: &str, level: PadesLevel, input: &[u8]) -> Vec<u8> {
    let credential = keys.get(id).unwrap_or_else(|| panic!("credential {id}"));
    let tsa = LocalTsa::from_key_store(keys).expect("a TSA");
    let mut certs = vec![keys.root_der().to_vec()];
    certs.push(tsa.certificate_der().to_vec());
    let crls = keys.crls_der();
    let validation = Validation {
        timestamper: Some(&tsa),
        certificates: &certs,
        crls: &crls,
        ocsps: &[],
    };
    let request = SignatureRequest::new(credential, level, OffsetDateTime::now_utc());
    let appendix = pdf::sign(input, &request, &validation).expect("sign");
    let mut out = input.to_vec();
    out.extend(appendix);
    out
}

#[tokio::test]
async fn tamper_corpus_agrees_with_pyhanko() {
    let server = Server::start();
    let (code, valid) = issued_result(&server).await;
    let (_, other) = issued_result(&server).await;
    add_credential_without_eku(&server.pki_dir());
    let keys = KeyStore::load(&server.pki_dir()).expect("load the PKI");
    let trust = trust_of(&keys);
    let plain = ketqua::pdf::text_document("Phieu ly lich tu phap", &["Khong co an tich"]);

    let mut cases = vec![Case {
        name: "valid",
        pdf: valid.clone(),
        root: None,
        expect: Verdict::Valid,
        reason: "all valid",
    }];

    // A byte flipped inside the signed range (a letter of the text).
    let mut flipped = valid.clone();
    let at = find(&flipped, b"Khong co an tich").expect("the text") + 1;
    flipped[at] ^= 0x20;
    cases.push(Case {
        name: "byte-in-signed-range",
        pdf: flipped,
        root: None,
        expect: Verdict::Invalid,
        reason: "changed after signing",
    });

    // A hex digit flipped inside the signature's DER in /Contents.
    let (br, der_len) = first_signature(&valid);
    let mut in_contents = valid.clone();
    let hex_at = br[1] as usize + 1 + der_len; // the middle of the DER, in hex digits
    in_contents[hex_at] = if in_contents[hex_at] == b'0' {
        b'1'
    } else {
        b'0'
    };
    cases.push(Case {
        name: "byte-in-contents",
        pdf: in_contents,
        root: None,
        expect: Verdict::Invalid,
        reason: "",
    });

    cases.push(Case {
        name: "page-content-update",
        pdf: content_changed(&valid),
        root: None,
        expect: Verdict::Invalid,
        reason: "content of page",
    });
    cases.push(Case {
        name: "annotation-update",
        pdf: annotation_added(&valid),
        root: None,
        expect: Verdict::Invalid,
        reason: "annotation was added",
    });

    // The first signature's /Contents replaced by the other document's.
    let (obr, _) = first_signature(&other);
    let theirs = &other[obr[1] as usize..obr[2] as usize];
    let mut swapped = valid.clone();
    let (a, b) = (br[1] as usize, br[2] as usize);
    assert_eq!(b - a, theirs.len(), "same reservation in both results");
    swapped[a..b].copy_from_slice(theirs);
    cases.push(Case {
        name: "signature-from-another-document",
        pdf: swapped,
        root: None,
        expect: Verdict::Invalid,
        reason: "changed after signing",
    });

    cases.push(Case {
        name: "revoked-before-signing",
        pdf: sign_with(&keys, "stp-approver-revoked", PadesLevel::BLT, &plain),
        root: None,
        expect: Verdict::Invalid,
        reason: "revoked",
    });
    cases.push(Case {
        name: "expired-no-timestamp",
        pdf: sign_with(&keys, "stp-approver-expired", PadesLevel::BB, &plain),
        root: None,
        expect: Verdict::Indeterminate,
        reason: "expired",
    });
    cases.push(Case {
        name: "untrusted-root",
        pdf: valid.clone(),
        root: Some(stranger_root()),
        expect: Verdict::Indeterminate,
        reason: "not trusted",
    });
    cases.push(Case {
        name: "no-document-signing-eku",
        pdf: sign_with(&keys, "stp-no-eku", PadesLevel::BLT, &plain),
        root: None,
        expect: Verdict::Invalid,
        reason: "documentSigning",
    });
    cases.push(Case {
        name: "truncated",
        pdf: valid[..valid.len() * 2 / 3].to_vec(),
        root: None,
        expect: Verdict::Invalid,
        reason: "not a readable PDF",
    });

    // Kept after the run (under target/tmp) so a disagreement can be examined by hand.
    let work = Path::new(env!("CARGO_TARGET_TMPDIR")).join("verify-corpus");
    std::fs::create_dir_all(&work).unwrap();
    let crls: Vec<_> = ["root.crl", "stp/ca.crl"]
        .iter()
        .map(|p| {
            let to = work.join(p.replace('/', "-"));
            std::fs::copy(server.pki_dir().join(p), &to).unwrap();
            to
        })
        .collect();
    let mut judged = 0;
    for case in &cases {
        let trust = match &case.root {
            Some(root) => TrustConfig {
                anchors_der: vec![root.clone()],
                crls_der: trust.crls_der.clone(),
            },
            None => trust.clone(),
        };
        let report = run(&case.pdf, &trust);
        assert_eq!(
            report.verdict,
            case.expect,
            "{}: {}\n{}",
            case.name,
            report.reason,
            report.human()
        );
        assert!(
            report.reason.contains(case.reason),
            "{}: reason `{}` lacks `{}`",
            case.name,
            report.reason,
            case.reason
        );
        let pdf_path = work.join(format!("{}.pdf", case.name));
        std::fs::write(&pdf_path, &case.pdf).unwrap();
        let root_path = work.join(format!("{}.root.der", case.name));
        std::fs::write(&root_path, case.root.as_deref().unwrap_or(keys.root_der())).unwrap();
        if let Some(pyhanko_valid) = pyhanko(&root_path, &pdf_path, &crls) {
            assert_eq!(
                pyhanko_valid,
                report.verdict == Verdict::Valid,
                "{}: pyHanko and ketqua disagree; ketqua: {} ({})",
                case.name,
                report.verdict.as_str(),
                report.reason
            );
            judged += 1;
        }
    }
    eprintln!("{judged} of {} files judged by pyHanko", cases.len());

    // The archive's view: the issued file under its code is VALID; revoked is INVALID; a
    // genuine signature on a file the archive never issued is INVALID.
    let issued = ArchivedResult {
        status: "valid".into(),
        status_reason: None,
        superseded_by: None,
        sha256: ketqua::crypto::sha256(&valid).to_vec(),
        renewed_sha256: Vec::new(),
        issuer: "Sở Tư pháp".into(),
        issued_at: None,
    };
    let view = |result: ArchivedResult| ArchiveView {
        result_code: code.clone(),
        result: Some(result),
    };
    let now = OffsetDateTime::now_utc();
    let r = verify::verify(&valid, &trust, Some(&view(issued.clone())), now);
    assert_eq!(r.verdict, Verdict::Valid, "{}", r.reason);
    assert!(r.archive.as_ref().unwrap().hash_matches);
    let revoked = ArchivedResult {
        status: "revoked".into(),
        status_reason: Some("cấp sai đối tượng".into()),
        ..issued.clone()
    };
    let r = verify::verify(&valid, &trust, Some(&view(revoked)), now);
    assert_eq!(r.verdict, Verdict::Invalid);
    assert!(r.reason.contains("revoked"), "{}", r.reason);
    let r = verify::verify(&other, &trust, Some(&view(issued)), now);
    assert_eq!(run(&other, &trust).verdict, Verdict::Valid);
    assert_eq!(r.verdict, Verdict::Invalid);
    assert!(
        r.reason.contains("not the document the archive issued"),
        "{}",
        r.reason
    );
    let r = verify::verify(
        &valid,
        &trust,
        Some(&ArchiveView {
            result_code: format!("{code}9"),
            result: None,
        }),
        now,
    );
    assert_eq!(r.verdict, Verdict::Invalid);
}

/// `ketqua verify` offline: exit 0 only for VALID, readable output, JSON on request.
#[tokio::test]
async fn the_cli_verifies_offline() {
    let server = Server::start();
    let (_, valid) = issued_result(&server).await;
    let dir = server.dir.path();
    let good = dir.join("good.pdf");
    let bad = dir.join("bad.pdf");
    std::fs::write(&good, &valid).unwrap();
    std::fs::write(&bad, content_changed(&valid)).unwrap();
    let root = server.root_pem();
    let out = Command::new(BIN)
        .arg("verify")
        .arg(&good)
        .arg("--trust")
        .arg(&root)
        .env_remove("KETQUA_PROFILE")
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{text}");
    assert!(text.starts_with("VALID"), "{text}");
    let out = Command::new(BIN)
        .arg("verify")
        .arg(&bad)
        .arg("--trust")
        .arg(&root)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stdout).starts_with("INVALID"));
    // Without a trust anchor nothing is trusted.
    let out = Command::new(BIN)
        .arg("verify")
        .arg(&good)
        .env_remove("KETQUA_PROFILE")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let out = Command::new(BIN)
        .args(["verify", "--json", "--trust"])
        .arg(&root)
        .arg(&good)
        .output()
        .unwrap();
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(json["verdict"], "VALID");
    assert_eq!(json["signatures"].as_array().unwrap().len(), 2);
    let _ = ObjRef::new(0, 0);
}

/// gRPC: VerifyDocument streams the file in chunks; LookupResult answers by code; a result the
/// archive marks revoked verifies INVALID through the service.
#[tokio::test]
async fn the_grpc_service_verifies_and_looks_up() {
    use ketqua::proto::v1::verification_client::VerificationClient;
    let server = Server::start();
    let (code, valid) = issued_result(&server).await;
    let mut client = VerificationClient::new(server.channel().await);
    let chunks = |code: &str, pdf: &[u8]| {
        let messages: Vec<pb::VerifyDocumentRequest> = pdf
            .chunks(16 * 1024)
            .enumerate()
            .map(|(i, c)| pb::VerifyDocumentRequest {
                result_code: if i == 0 {
                    code.to_owned()
                } else {
                    String::new()
                },
                chunk: c.to_vec(),
            })
            .collect();
        tokio_stream::iter(messages)
    };
    let report = client
        .verify_document(chunks(&code, &valid))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(report.verdict(), pb::Verdict::Valid, "{}", report.reason);
    assert_eq!(report.signatures.len(), 2);
    assert_eq!(report.signatures[0].kind, "certification");
    assert_eq!(report.signatures[0].pades_level, "B-LT");
    let archive = report.archive.unwrap();
    assert!(archive.found && archive.hash_matches);
    assert_eq!(archive.status, "valid");

    let looked = client
        .lookup_result(pb::LookupResultRequest {
            result_code: code.clone(),
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(looked.status, "valid");
    assert_eq!(looked.sha256, ketqua::crypto::sha256(&valid).to_vec());
    assert!(!looked.issuer.is_empty() && !looked.issued_at.is_empty());
    let missing = client
        .lookup_result(pb::LookupResultRequest {
            result_code: format!("{code}9"),
        })
        .await
        .unwrap_err();
    assert_eq!(missing.code(), tonic::Code::NotFound);
    let bad = client
        .lookup_result(pb::LookupResultRequest {
            result_code: "not a code".into(),
        })
        .await
        .unwrap_err();
    assert_eq!(bad.code(), tonic::Code::InvalidArgument);

    // The agency revokes the result (no RPC for that yet: straight in the database).
    let pool = sqlx::SqlitePool::connect(&server.database_url())
        .await
        .unwrap();
    sqlx::query(
        "UPDATE results SET status = 'revoked', status_reason = 'cấp nhầm' WHERE result_code = $1",
    )
    .bind(&code)
    .execute(&pool)
    .await
    .unwrap();
    pool.close().await;
    let report = client
        .verify_document(chunks(&code, &valid))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(report.verdict(), pb::Verdict::Invalid);
    assert!(report.reason.contains("revoked"), "{}", report.reason);
    let looked = client
        .lookup_result(pb::LookupResultRequest { result_code: code })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(looked.status, "revoked");
}
