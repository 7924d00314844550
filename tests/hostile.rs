//! The hostile corpus (`tests/hostile/`): files built to break a reader (lying lengths and
//! counts, cycles, bombs, nesting, truncations, lying signature dictionaries) and every input a
//! fuzzer ever crashed. Each must get the verdict `EXPECTED.toml` names, with its reason,
//! from `ketqua verify`, from `Verification.VerifyDocument` and from the citizens' page, and
//! `Signing.SignDocument` must answer it with a status, not a dropped connection; the server
//! must still be serving afterwards. A server that loses a request to a panic, an abort or a
//! stack overflow fails here.

mod common;

use std::{collections::BTreeMap, path::PathBuf, process::Command};

use common::*;
use ketqua::proto::v1::{self as pb, verification_client::VerificationClient};
use serde::Deserialize;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

#[derive(Debug, Deserialize)]
struct Expected {
    /// VALID, INVALID or INDETERMINATE.
    verdict: String,
    /// Words the English reason must contain.
    reason: String,
}

fn corpus() -> (PathBuf, BTreeMap<String, Expected>) {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/hostile");
    let text = std::fs::read_to_string(dir.join("EXPECTED.toml")).expect("EXPECTED.toml");
    let expected: BTreeMap<String, Expected> = toml::from_str(&text).expect("EXPECTED.toml parses");
    // Every file of the corpus has its expectation, and every expectation its file.
    let mut files: Vec<String> = std::fs::read_dir(&dir)
        .expect("the corpus")
        .filter_map(|e| e.ok()?.file_name().into_string().ok())
        .filter(|name| name.ends_with(".pdf"))
        .collect();
    files.sort();
    let named: Vec<String> = expected.keys().cloned().collect();
    assert_eq!(files, named, "tests/hostile and EXPECTED.toml disagree");
    assert!(files.len() >= 15, "the corpus is too small: {files:?}");
    (dir, expected)
}

fn verdict_name(verdict: i32) -> &'static str {
    match pb::Verdict::try_from(verdict) {
        Ok(pb::Verdict::Valid) => "VALID",
        Ok(pb::Verdict::Invalid) => "INVALID",
        Ok(pb::Verdict::Indeterminate) => "INDETERMINATE",
        _ => "UNSPECIFIED",
    }
}

#[test]
fn the_command_line_gives_each_file_its_verdict() {
    let (dir, expected) = corpus();
    let pki = tempfile::tempdir().expect("temp dir");
    let init = Command::new(BIN)
        .args(["pki", "init", "--out"])
        .arg(pki.path().join("pki"))
        .env("KETQUA_LOG", "error")
        .output()
        .expect("pki init");
    assert!(init.status.success());
    let root = pki.path().join("pki/root.pem");
    for (name, want) in &expected {
        let output = Command::new(BIN)
            .arg("verify")
            .arg(dir.join(name))
            .arg("--trust")
            .arg(&root)
            .arg("--json")
            .env("KETQUA_LOG", "error")
            .output()
            .expect("run ketqua verify");
        let code = output.status.code();
        let report: serde_json::Value =
            serde_json::from_slice(&output.stdout).unwrap_or_else(|e| {
                panic!(
                    "{name}: no JSON report ({e}), exit {code:?}: {}",
                    String::from_utf8_lossy(&output.stderr)
                )
            });
        assert_eq!(report["verdict"], want.verdict.as_str(), "{name}: {report}");
        let reason = report["reason"].as_str().unwrap_or_default();
        assert!(reason.contains(&want.reason), "{name}: {reason}");
        let exit = match want.verdict.as_str() {
            "VALID" => 0,
            "INVALID" => 1,
            _ => 2,
        };
        assert_eq!(code, Some(exit), "{name}");
    }
}

/// POSTs `pdf` to the citizens' page as its form would, over a raw socket.
async fn upload_to_page(http: &str, pdf: &[u8]) -> String {
    let addr = http.trim_start_matches("http://");
    let mut body = b"--hostile\r\nContent-Disposition: form-data; name=\"file\"; filename=\"x.pdf\"\r\nContent-Type: application/pdf\r\n\r\n".to_vec();
    body.extend_from_slice(pdf);
    body.extend_from_slice(b"\r\n--hostile--\r\n");
    let mut stream = tokio::net::TcpStream::connect(addr).await.expect("connect");
    let head = format!(
        "POST /verify?lang=en HTTP/1.1\r\nHost: {addr}\r\nContent-Type: multipart/form-data; boundary=hostile\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    );
    stream.write_all(head.as_bytes()).await.expect("send");
    stream.write_all(&body).await.expect("send");
    let mut response = Vec::new();
    stream.read_to_end(&mut response).await.expect("an answer");
    String::from_utf8_lossy(&response).into_owned()
}

#[tokio::test]
async fn the_server_answers_every_file_and_keeps_serving() {
    let (dir, expected) = corpus();
    let server = Server::start();
    let mut verification = VerificationClient::new(server.channel().await);
    for (name, want) in &expected {
        let pdf = std::fs::read(dir.join(name)).expect("read");

        // The gRPC engine: the expected verdict and reason. An empty file is refused before.
        let chunks = vec![pb::VerifyDocumentRequest {
            result_code: String::new(),
            chunk: pdf.clone(),
        }];
        match verification
            .verify_document(tokio_stream::iter(chunks))
            .await
        {
            Ok(report) => {
                let report = report.into_inner();
                assert_eq!(
                    verdict_name(report.verdict),
                    want.verdict,
                    "{name}: {}",
                    report.reason
                );
                assert!(
                    report.reason.contains(&want.reason),
                    "{name}: {}",
                    report.reason
                );
            }
            Err(status) => {
                assert!(pdf.is_empty(), "{name}: {status:?}");
                assert_eq!(status.code(), tonic::Code::InvalidArgument, "{name}");
            }
        }

        // The page: a page with the verdict, or the error page for an empty upload.
        let page = upload_to_page(&server.http, &pdf).await;
        let status_line = page.lines().next().unwrap_or_default().to_owned();
        if pdf.is_empty() {
            assert!(status_line.contains(" 400 "), "{name}: {status_line}");
        } else {
            assert!(status_line.contains(" 200 "), "{name}: {status_line}");
            assert!(
                page.contains(&want.verdict),
                "{name}: the page does not say {}",
                want.verdict
            );
        }

        // The signer: a signed file or a refusal with a status, never a dropped call.
        let upload = vec![
            pb::SignDocumentRequest {
                part: Some(pb::sign_document_request::Part::Parameters(
                    pb::SignatureParameters {
                        credential_id: "stp-seal".to_owned(),
                        level: pb::PadesLevel::BB as i32,
                        ..pb::SignatureParameters::default()
                    },
                )),
            },
            pb::SignDocumentRequest {
                part: Some(pb::sign_document_request::Part::Chunk(pdf.clone())),
            },
        ];
        match server
            .signing()
            .await
            .sign_document(tokio_stream::iter(upload))
            .await
        {
            Ok(_) => {}
            Err(status) => assert_eq!(
                status.code(),
                tonic::Code::InvalidArgument,
                "{name}: {status:?}"
            ),
        }
    }
    // Still serving: the flow's own calls work after the whole corpus.
    let receipt = server
        .dossiers()
        .await
        .receive(receive_request(JUDICIAL_RECORD, "stp-receiver"))
        .await
        .expect("the flow still works after the hostile corpus");
    assert!(!receipt.into_inner().dossier_code.is_empty());
}
