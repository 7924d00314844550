//! The Signing service over gRPC: any PDF signed with a named credential at each PAdES level,
//! large documents streamed both ways, external signing in two steps, timestamps, and the
//! errors a department system gets for bad input.

mod common;

use std::process::Command;

use common::*;
use ketqua::proto::v1::{self as pb, signing_client::SigningClient};
use tonic::{transport::Channel, Code};

async fn client(server: &Server) -> SigningClient<Channel> {
    SigningClient::new(server.channel().await)
        .max_decoding_message_size(16 * 1024 * 1024)
        .max_encoding_message_size(16 * 1024 * 1024)
}

fn upload(parameters: pb::SignatureParameters, document: &[u8]) -> Vec<pb::SignDocumentRequest> {
    use pb::sign_document_request::Part;
    let mut messages = vec![pb::SignDocumentRequest {
        part: Some(Part::Parameters(parameters)),
    }];
    messages.extend(
        document
            .chunks(1024 * 1024)
            .map(|c| pb::SignDocumentRequest {
                part: Some(Part::Chunk(c.to_vec())),
            }),
    );
    messages
}

/// Collects a streamed answer: the summary and the whole signed document.
async fn collect(
    mut stream: tonic::Streaming<pb::SignedDocumentPart>,
) -> (pb::SignedDocumentSummary, Vec<u8>) {
    let mut summary = None;
    let mut bytes = Vec::new();
    while let Some(part) = stream.message().await.expect("stream") {
        match part.part {
            Some(pb::signed_document_part::Part::Summary(s)) => summary = Some(s),
            Some(pb::signed_document_part::Part::Chunk(c)) => bytes.extend_from_slice(&c),
            None => {}
        }
    }
    let summary = summary.expect("a summary");
    assert_eq!(summary.size, bytes.len() as u64);
    (summary, bytes)
}

fn parameters(credential: &str, level: pb::PadesLevel) -> pb::SignatureParameters {
    pb::SignatureParameters {
        credential_id: credential.to_owned(),
        level: level as i32,
        visible: true,
        ..pb::SignatureParameters::default()
    }
}

async fn sign(
    server: &Server,
    parameters: pb::SignatureParameters,
    document: &[u8],
) -> tonic::Result<(pb::SignedDocumentSummary, Vec<u8>)> {
    let answer = client(server)
        .await
        .sign_document(tokio_stream::iter(upload(parameters, document)))
        .await?;
    Ok(collect(answer.into_inner()).await)
}

#[tokio::test]
async fn any_pdf_is_signed_at_each_level_and_pdfsig_agrees() {
    let server = Server::start();
    let input = ketqua::pdf::text_document("Cong van so 12", &["Noi dung cong van"]);
    let dir = tempfile::tempdir().unwrap();
    for level in [
        pb::PadesLevel::BB,
        pb::PadesLevel::BT,
        pb::PadesLevel::BLt,
        pb::PadesLevel::BLta,
    ] {
        let (summary, signed) = sign(&server, parameters("stp-approver", level), &input)
            .await
            .unwrap_or_else(|s| panic!("{level:?}: {s:?}"));
        assert_eq!(summary.level, level as i32);
        assert_eq!(
            &signed[..input.len()],
            &input[..],
            "earlier bytes never change"
        );
        assert_eq!(summary.appended as usize, signed.len() - input.len());
        assert!(summary.signer.contains("CN="), "{}", summary.signer);
        let path = dir.path().join(format!("{level:?}.pdf"));
        std::fs::write(&path, &signed).unwrap();
        if let Some(report) = pdfsig(&path) {
            assert!(
                report.contains("Signature is Valid."),
                "{level:?}: {report}"
            );
        }
    }
}

#[tokio::test]
async fn a_large_document_streams_through_in_bounded_chunks() {
    let server = Server::start();
    let input = ketqua::pdf::image_document(24 * 1024 * 1024, |image| {
        ring::rand::SecureRandom::fill(&ring::rand::SystemRandom::new(), image)
    })
    .expect("a 24 MB PDF");
    let (summary, signed) = sign(&server, parameters("stp-seal", pb::PadesLevel::BT), &input)
        .await
        .expect("sign 24 MB");
    assert_eq!(summary.size as usize, signed.len());
    assert_eq!(&signed[..input.len()], &input[..]);
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("large.pdf");
    std::fs::write(&path, &signed).unwrap();
    if let Some(report) = pdfsig(&path) {
        assert!(report.contains("Signature is Valid."), "{report}");
        assert!(report.contains("Total document signed"), "{report}");
    }
}

#[tokio::test]
async fn the_cli_signs_a_file() {
    let server = Server::start();
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("in.pdf");
    let output = dir.path().join("out.pdf");
    std::fs::write(
        &input,
        ketqua::pdf::text_document("Giay moi", &["Hop luc 9 gio"]),
    )
    .unwrap();
    let status = Command::new(BIN)
        .args([
            "client",
            "sign-document",
            "--server",
            &server.grpc,
            "--credential",
            "stp-approver",
        ])
        .args(["--level", "B-T", "--visible"])
        .arg(&input)
        .arg(&output)
        .output()
        .unwrap();
    assert!(
        status.status.success(),
        "{}",
        String::from_utf8_lossy(&status.stderr)
    );
    assert!(String::from_utf8_lossy(&status.stdout).contains("signed"));
    if let Some(report) = pdfsig(&output) {
        assert!(report.contains("Signature is Valid."), "{report}");
    }
    // A bad level is refused before anything is sent.
    let bad = Command::new(BIN)
        .args([
            "client",
            "sign-document",
            "--server",
            &server.grpc,
            "--credential",
            "stp-approver",
        ])
        .args(["--level", "B-X"])
        .arg(&input)
        .arg(dir.path().join("never.pdf"))
        .output()
        .unwrap();
    assert!(!bad.status.success());
    assert!(!dir.path().join("never.pdf").exists());
}

#[tokio::test]
async fn an_official_signs_with_their_own_key_in_two_steps() {
    use pb::complete_signature_request::Part;
    let server = Server::start();
    let input = ketqua::pdf::text_document("To trinh", &["Kinh gui Giam doc"]);
    // The official's own token: here the dev key of stp-approver, used outside the service.
    let pkcs8 = std::fs::read(server.pki_dir().join("credentials/stp-approver/key.pk8")).unwrap();
    let key = ring::signature::EcdsaKeyPair::from_pkcs8(
        &ring::signature::ECDSA_P256_SHA256_ASN1_SIGNING,
        &pkcs8,
        &ring::rand::SystemRandom::new(),
    )
    .unwrap();
    let token_sign = |data: &[u8]| {
        key.sign(&ring::rand::SystemRandom::new(), data)
            .unwrap()
            .as_ref()
            .to_vec()
    };
    let complete = |session_id: &str, signature_value: Vec<u8>, document: Vec<u8>| {
        vec![
            pb::CompleteSignatureRequest {
                part: Some(Part::Parameters(pb::CompleteParameters {
                    session_id: session_id.to_owned(),
                    signature_value,
                })),
            },
            pb::CompleteSignatureRequest {
                part: Some(Part::Chunk(document)),
            },
        ]
    };
    let mut signing = client(&server).await;
    let preparer = signing.clone();
    let prepare = || {
        let messages = prepare_messages(&server, &input);
        let mut signing = preparer.clone();
        async move {
            signing
                .prepare_signature(tokio_stream::iter(messages))
                .await
                .expect("prepare")
                .into_inner()
        }
    };

    // Another document under the session is refused (and uses the session up).
    let prepared = prepare().await;
    assert_eq!(
        prepared.data_to_sign_sha256,
        ketqua::crypto::sha256(&prepared.data_to_sign).to_vec()
    );
    let other = ketqua::pdf::text_document("To trinh khac", &["x"]);
    let status = signing
        .complete_signature(tokio_stream::iter(complete(
            &prepared.session_id,
            token_sign(&prepared.data_to_sign),
            other,
        )))
        .await
        .unwrap_err();
    assert_eq!(status.code(), Code::InvalidArgument, "{status:?}");

    // A wrong signature value is refused before anything is produced.
    let prepared = prepare().await;
    let mut wrong = token_sign(&prepared.data_to_sign);
    let last = wrong.len() - 1;
    wrong[last] ^= 1;
    let status = signing
        .complete_signature(tokio_stream::iter(complete(
            &prepared.session_id,
            wrong,
            input.clone(),
        )))
        .await
        .unwrap_err();
    assert!(
        matches!(status.code(), Code::InvalidArgument | Code::Internal),
        "{status:?}"
    );

    // The right value: a signed PDF that pdfsig accepts.
    let prepared = prepare().await;
    let value = token_sign(&prepared.data_to_sign);
    let answer = signing
        .complete_signature(tokio_stream::iter(complete(
            &prepared.session_id,
            value.clone(),
            input.clone(),
        )))
        .await
        .expect("complete")
        .into_inner();
    let (_, signed) = collect(answer).await;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("external.pdf");
    std::fs::write(&path, &signed).unwrap();
    if let Some(report) = pdfsig(&path) {
        assert!(report.contains("Signature is Valid."), "{report}");
    }
    // The session is used up.
    let status = signing
        .complete_signature(tokio_stream::iter(complete(
            &prepared.session_id,
            value,
            input.clone(),
        )))
        .await
        .unwrap_err();
    assert_eq!(status.code(), Code::NotFound, "{status:?}");
}

#[tokio::test]
async fn timestamps_verify() {
    let server = Server::start();
    let digest = ketqua::crypto::sha256(b"noi dung can danh dau thoi gian");
    let token = client(&server)
        .await
        .timestamp(pb::TimestampRequest {
            sha256: digest.to_vec(),
        })
        .await
        .expect("timestamp")
        .into_inner()
        .token;
    let info = ketqua::cms::tsp::verify_token(&token, &digest).expect("a valid token");
    assert!(info.gen_time <= time::OffsetDateTime::now_utc());
    let status = client(&server)
        .await
        .timestamp(pb::TimestampRequest {
            sha256: vec![1, 2, 3],
        })
        .await
        .unwrap_err();
    assert_eq!(status.code(), Code::InvalidArgument);
}

#[tokio::test]
async fn bad_input_gets_a_precise_status() {
    let server = Server::start_with(&["--max-document-bytes", "100000"]);
    let pdf = ketqua::pdf::text_document("Van ban", &["x"]);
    let cases: Vec<(&str, pb::SignatureParameters, Vec<u8>, Code)> = vec![
        (
            "not a PDF",
            parameters("stp-approver", pb::PadesLevel::BB),
            b"GIF89a......".to_vec(),
            Code::InvalidArgument,
        ),
        (
            "truncated PDF",
            parameters("stp-approver", pb::PadesLevel::BB),
            pdf[..pdf.len() / 2].to_vec(),
            Code::InvalidArgument,
        ),
        (
            "unknown credential",
            parameters("nobody", pb::PadesLevel::BB),
            pdf.clone(),
            Code::NotFound,
        ),
        (
            "expired credential",
            parameters("stp-approver-expired", pb::PadesLevel::BB),
            pdf.clone(),
            Code::FailedPrecondition,
        ),
        (
            "revoked credential",
            parameters("stp-approver-revoked", pb::PadesLevel::BB),
            pdf.clone(),
            Code::FailedPrecondition,
        ),
        (
            "oversized",
            parameters("stp-approver", pb::PadesLevel::BB),
            vec![b'%'; 200_000],
            Code::ResourceExhausted,
        ),
        (
            "wrong announced size",
            pb::SignatureParameters {
                size: 7,
                ..parameters("stp-approver", pb::PadesLevel::BB)
            },
            pdf.clone(),
            Code::InvalidArgument,
        ),
    ];
    for (what, parameters, document, code) in cases {
        let status = sign(&server, parameters, &document).await.expect_err(what);
        assert_eq!(status.code(), code, "{what}: {status:?}");
        assert!(!status.message().is_empty());
    }
    // An encrypted PDF, made by qpdf.
    if tool_available("qpdf") {
        let dir = tempfile::tempdir().unwrap();
        let plain = dir.path().join("plain.pdf");
        let locked = dir.path().join("locked.pdf");
        std::fs::write(&plain, &pdf).unwrap();
        let made = Command::new("qpdf")
            .args(["--encrypt", "u", "o", "256", "--"])
            .arg(&plain)
            .arg(&locked)
            .status()
            .unwrap();
        assert!(made.success());
        let status = sign(
            &server,
            parameters("stp-approver", pb::PadesLevel::BB),
            &std::fs::read(&locked).unwrap(),
        )
        .await
        .unwrap_err();
        assert_eq!(status.code(), Code::InvalidArgument);
        assert!(
            status.message().contains("encrypted"),
            "{}",
            status.message()
        );
    }
    // The first message must carry the parameters.
    let only_chunk = vec![pb::SignDocumentRequest {
        part: Some(pb::sign_document_request::Part::Chunk(pdf.clone())),
    }];
    let status = client(&server)
        .await
        .sign_document(tokio_stream::iter(only_chunk))
        .await
        .unwrap_err();
    assert_eq!(status.code(), Code::InvalidArgument);
}

/// PrepareSignature for the dev credential `stp-approver`'s certificate at B-T.
fn prepare_messages(server: &Server, input: &[u8]) -> Vec<pb::PrepareSignatureRequest> {
    use pb::prepare_signature_request::Part;
    let cert_pem =
        std::fs::read_to_string(server.pki_dir().join("credentials/stp-approver/cert.pem"))
            .unwrap();
    let chain_pem = std::fs::read_to_string(server.pki_dir().join("stp/ca.pem")).unwrap();
    vec![
        pb::PrepareSignatureRequest {
            part: Some(Part::Parameters(pb::PrepareParameters {
                signer: Some(pb::ExternalSigner {
                    certificate: pem_body(&cert_pem),
                    chain: vec![pem_body(&chain_pem)],
                }),
                level: pb::PadesLevel::BT as i32,
                visible: true,
                signer_name: "Lê Quang Hùng".to_owned(),
                position: "Giám đốc".to_owned(),
                organisation: "Sở Tư pháp tỉnh Quảng Ninh".to_owned(),
                ..pb::PrepareParameters::default()
            })),
        },
        pb::PrepareSignatureRequest {
            part: Some(Part::Chunk(input.to_vec())),
        },
    ]
}

/// The DER inside a single-certificate PEM.
fn pem_body(pem: &str) -> Vec<u8> {
    use base64::Engine as _;
    let body: String = pem
        .lines()
        .skip_while(|l| !l.starts_with("-----BEGIN"))
        .skip(1)
        .take_while(|l| !l.starts_with("-----END"))
        .collect();
    base64::engine::general_purpose::STANDARD
        .decode(body)
        .expect("PEM")
}
