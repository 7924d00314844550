//! Revocation as validators expect it (issue 12, part 3): the certificates of the development
//! PKI name their CRL and OCSP responder under the service's public URL, the server publishes
//! them there, and pyHanko insisting on revocation data (`--force-revinfo`) judges the flow's
//! B-LT result and a B-LTA document from `SignDocument` VALID; the OCSP responder answers
//! `openssl ocsp`; with only OCSP responses in the DSS, our engine (no configured CRL), pdfsig and
//! pyHanko from the DSS alone (server stopped) judge both VALID.

mod common;

use std::{
    io::{Read, Write},
    net::{TcpListener, TcpStream},
    path::Path,
    process::Command,
};

use common::*;
use ketqua::proto::v1::{self as pb, signing_client::SigningClient};

const RECEIVER: &str = "stp-receiver";
const APPRAISER: &str = "stp-appraiser";
const APPROVER: &str = "stp-approver";

/// A server whose certificates point at its own HTTP side: a free port is picked first, the
/// PKI is made for it and the server listens there.
fn server_with_pointers(extra: &[&str]) -> Server {
    let port = TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port")
        .port();
    let addr = format!("127.0.0.1:{port}");
    let public = format!("http://{addr}");
    let mut args = vec!["--http-addr", &addr, "--public-url", &public];
    args.extend_from_slice(extra);
    Server::start_prepared(&args, |dir| {
        let output = Command::new(BIN)
            .args([
                "pki",
                "init",
                "--without-activation",
                "--public-url",
                &public,
            ])
            .arg("--out")
            .arg(dir.join("pki"))
            .env("KETQUA_LOG", "error")
            .output()
            .expect("run ketqua pki init");
        assert!(
            output.status.success(),
            "pki init: {}",
            String::from_utf8_lossy(&output.stderr)
        );
    })
}

/// Runs a dossier through the five steps; returns the issued PDF.
async fn issued_result(server: &Server) -> Vec<u8> {
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
            dossier_code: code,
            include_result_content: true,
        })
        .await
        .unwrap()
        .into_inner();
    dossier.result.expect("a result").content
}

/// `SignDocument` at `level` with `credential`: the signed PDF.
async fn sign_document(
    server: &Server,
    credential: &str,
    level: pb::PadesLevel,
    document: &[u8],
) -> Vec<u8> {
    use pb::sign_document_request::Part;
    let parameters = pb::SignatureParameters {
        credential_id: credential.to_owned(),
        level: level as i32,
        visible: true,
        ..pb::SignatureParameters::default()
    };
    let mut messages = vec![pb::SignDocumentRequest {
        part: Some(Part::Parameters(parameters)),
    }];
    messages.push(pb::SignDocumentRequest {
        part: Some(Part::Chunk(document.to_vec())),
    });
    let mut stream = SigningClient::new(server.channel().await)
        .sign_document(tokio_stream::iter(messages))
        .await
        .expect("SignDocument")
        .into_inner();
    let mut bytes = Vec::new();
    while let Some(part) = stream.message().await.expect("stream") {
        if let Some(pb::signed_document_part::Part::Chunk(c)) = part.part {
            bytes.extend_from_slice(&c);
        }
    }
    bytes
}

/// One plain HTTP/1.1 GET: (status, body).
fn http_get(server: &Server, path: &str) -> (u16, Vec<u8>) {
    let authority = server.http.trim_start_matches("http://");
    let mut stream = TcpStream::connect(authority).expect("connect");
    write!(
        stream,
        "GET {path} HTTP/1.1\r\nHost: {authority}\r\nConnection: close\r\n\r\n"
    )
    .expect("write");
    let mut raw = Vec::new();
    stream.read_to_end(&mut raw).expect("read");
    let split = raw
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .expect("end of headers");
    let status = String::from_utf8_lossy(&raw[..split])
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .expect("status");
    (status, raw[split + 4..].to_vec())
}

/// `pyhanko sign validate --force-revinfo`: revocation data is required for every certificate
/// of every path (signers, their CAs, the timestamp authority); pyHanko fetches what the
/// certificates point at.
fn pyhanko_force_revinfo(root: &Path, pdf: &Path) -> (bool, String) {
    let output = Command::new("pyhanko")
        .args([
            "sign",
            "validate",
            "--force-revinfo",
            "--trust-replace",
            "--trust",
        ])
        .arg(root)
        .arg(pdf)
        .output()
        .expect("run pyhanko");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    (output.status.success(), text)
}

fn openssl_text(pem: &Path) -> String {
    let output = Command::new("openssl")
        .args(["x509", "-noout", "-text", "-in"])
        .arg(pem)
        .output()
        .expect("run openssl");
    String::from_utf8_lossy(&output.stdout).into_owned()
}

#[tokio::test]
async fn certificates_name_their_crl_and_ocsp_and_the_server_publishes_the_crls() {
    if !tool_available("openssl") {
        return;
    }
    let server = server_with_pointers(&[]);
    let pki = server.pki_dir();
    let public = &server.http;
    for (cert, crl) in [
        ("credentials/stp-approver/cert.pem", "stp/ca.crl"),
        ("credentials/stp-seal/cert.pem", "stp/ca.crl"),
        ("stp/ca.pem", "root.crl"),
        ("tsa/cert.pem", "root.crl"),
    ] {
        let text = openssl_text(&pki.join(cert));
        assert!(
            text.contains(&format!("URI:{public}/pki/{crl}")),
            "{cert}: {text}"
        );
        assert!(
            text.contains(&format!("OCSP - URI:{public}/ocsp")),
            "{cert}: {text}"
        );
        let (status, body) = http_get(&server, &format!("/pki/{crl}"));
        assert_eq!(status, 200, "{crl}");
        assert_eq!(body, std::fs::read(pki.join(crl)).unwrap(), "{crl}");
    }
    let (status, body) = http_get(&server, "/pki/stp/ca.cer");
    assert_eq!(status, 200);
    let ca = std::fs::read_to_string(pki.join("stp/ca.pem")).unwrap();
    assert!(ca.contains(&data_encoding::BASE64.encode(&body[..48])));
    assert_eq!(http_get(&server, "/pki/nothing.crl").0, 404);
}

#[tokio::test]
async fn pyhanko_insisting_on_revocation_data_accepts_b_lt_results_and_b_lta_documents() {
    if !tool_available("pyhanko") {
        return;
    }
    let server = server_with_pointers(&[]);
    // Kept for inspection: `pyhanko sign validate --force-revinfo` needs the server running.
    let tmp = Path::new(env!("CARGO_TARGET_TMPDIR")).join("revocation");
    std::fs::create_dir_all(&tmp).unwrap();
    let result = tmp.join("result-b-lt.pdf");
    std::fs::write(&result, issued_result(&server).await).unwrap();
    let input = ketqua::pdf::text_document("Cong van so 12", &["Noi dung cong van"]);
    let lta = tmp.join("signed-b-lta.pdf");
    std::fs::write(
        &lta,
        sign_document(&server, "stp-seal", pb::PadesLevel::BLta, &input).await,
    )
    .unwrap();
    std::fs::copy(server.root_pem(), tmp.join("root.pem")).unwrap();
    for pdf in [&result, &lta] {
        let (ok, text) = pyhanko_force_revinfo(&server.root_pem(), pdf);
        eprintln!("pyhanko --force-revinfo {}: {text}", pdf.display());
        assert!(ok, "{}: {text}", pdf.display());
        assert!(!text.contains("INVALID"), "{}: {text}", pdf.display());
    }
}

/// `openssl ocsp` against the server's responder: (verified, the status line of `cert`).
fn openssl_ocsp(server: &Server, issuer: &str, cert: &str) -> (bool, String) {
    let pki = server.pki_dir();
    let output = Command::new("openssl")
        .args(["ocsp", "-issuer", issuer, "-cert", cert, "-url"])
        .arg(format!("{}/ocsp", server.http))
        .args(["-CAfile", "root.pem", "-resp_text"])
        .current_dir(&pki)
        .output()
        .expect("run openssl ocsp");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    let line = text
        .lines()
        .find(|l| l.starts_with(&format!("{cert}:")))
        .unwrap_or_default()
        .to_owned();
    (
        output.status.success() && text.contains("Response verify OK"),
        format!("{line}\n{text}"),
    )
}

#[tokio::test]
async fn openssl_accepts_the_ocsp_responders_answers_good_and_revoked() {
    if !tool_available("openssl") {
        return;
    }
    let server = server_with_pointers(&[]);
    for (issuer, cert, status) in [
        ("stp/ca.pem", "credentials/stp-approver/cert.pem", "good"),
        (
            "stp/ca.pem",
            "credentials/stp-approver-revoked/cert.pem",
            "revoked",
        ),
        ("root.pem", "stp/ca.pem", "good"),
        ("root.pem", "tsa/cert.pem", "good"),
    ] {
        let (verified, text) = openssl_ocsp(&server, issuer, cert);
        assert!(verified, "{cert}: {text}");
        assert_eq!(
            text.lines().next(),
            Some(format!("{cert}: {status}").as_str()),
            "{text}"
        );
        if status == "revoked" {
            assert!(text.contains("Revocation Time"), "{text}");
        }
    }
    // A CA the responder does not serve: `unauthorized` (6), unsigned.
    let client_ca = server.pki_dir().join(ketqua::pki::CLIENT_CA_FILE);
    if client_ca.exists() {
        let (verified, text) = openssl_ocsp(&server, ketqua::pki::CLIENT_CA_FILE, "stp/ca.pem");
        assert!(!verified && text.contains("unauthorized"), "{text}");
    }
}

#[tokio::test]
async fn the_get_form_answers_like_post_and_garbage_is_malformed_request() {
    if !tool_available("openssl") {
        return;
    }
    let server = server_with_pointers(&[]);
    let pki = server.pki_dir();
    let request = pki.join("request.der");
    let made = Command::new("openssl")
        .args(["ocsp", "-issuer", "stp/ca.pem", "-cert"])
        .arg("credentials/stp-seal/cert.pem")
        .args(["-no_nonce", "-reqout"])
        .arg(&request)
        .current_dir(&pki)
        .output()
        .expect("openssl ocsp -reqout");
    assert!(made.status.success());
    let der = std::fs::read(&request).unwrap();
    let encoded = data_encoding::BASE64
        .encode(&der)
        .replace('+', "%2B")
        .replace('/', "%2F")
        .replace('=', "%3D");
    let (status, body) = http_get(&server, &format!("/ocsp/{encoded}"));
    assert_eq!(status, 200);
    let response = pki.join("response.der");
    std::fs::write(&response, body).unwrap();
    let checked = Command::new("openssl")
        .args(["ocsp", "-issuer", "stp/ca.pem", "-cert"])
        .arg("credentials/stp-seal/cert.pem")
        .args(["-no_nonce", "-respin"])
        .arg(&response)
        .args(["-CAfile", "root.pem"])
        .current_dir(&pki)
        .output()
        .expect("openssl ocsp -respin");
    let text = String::from_utf8_lossy(&checked.stdout).into_owned()
        + &String::from_utf8_lossy(&checked.stderr);
    assert!(text.contains("Response verify OK"), "{text}");
    assert!(
        text.contains("credentials/stp-seal/cert.pem: good"),
        "{text}"
    );
    // Not a request: OCSPResponse { malformedRequest }.
    let (status, body) = http_get(&server, "/ocsp/AAAA");
    assert_eq!(status, 200);
    assert_eq!(body, [0x30, 0x03, 0x0a, 0x01, 0x01]);
}

/// The report of our engine trusting only the server's root: no configured CRL, so every
/// revocation status must come from the document itself.
fn verify_with_root_only(server: &Server, pdf: &[u8]) -> ketqua::verify::Report {
    let mut trust = ketqua::verify::TrustConfig::default();
    trust
        .add_anchor_file_bytes(&std::fs::read(server.root_pem()).unwrap())
        .expect("the root");
    ketqua::verify::verify(pdf, &trust, None, time::OffsetDateTime::now_utc())
}

/// The /Type /DSS dictionary's keys, as qpdf reads them.
fn dss_keys(pdf: &Path) -> Vec<String> {
    let output = Command::new("qpdf")
        .args(["--json=2", "--json-key=qpdf"])
        .arg(pdf)
        .output()
        .expect("run qpdf");
    let json: serde_json::Value = serde_json::from_slice(&output.stdout).expect("qpdf JSON");
    let objects = json["qpdf"][1].as_object().expect("the objects");
    let mut keys: Vec<String> = objects
        .values()
        .filter_map(|o| o.get("value").and_then(|v| v.as_object()))
        .filter(|d| d.get("/Type").and_then(|t| t.as_str()) == Some("/DSS"))
        .flat_map(|d| d.keys().cloned())
        .collect();
    keys.sort();
    keys.dedup();
    keys
}

#[tokio::test]
async fn b_lt_with_only_ocsp_responses_in_the_dss_is_valid_for_us_pdfsig_and_pyhanko() {
    if !tool_available("pyhanko") || !tool_available("pdfsig") || !tool_available("qpdf") {
        return;
    }
    let mut server = server_with_pointers(&["--revocation-data", "ocsp"]);
    let tmp = Path::new(env!("CARGO_TARGET_TMPDIR")).join("revocation-ocsp");
    std::fs::create_dir_all(&tmp).unwrap();
    let result_bytes = issued_result(&server).await;
    let result = tmp.join("result-b-lt-ocsp.pdf");
    std::fs::write(&result, &result_bytes).unwrap();
    let input = ketqua::pdf::text_document("Cong van so 13", &["Noi dung cong van"]);
    let lta_bytes = sign_document(&server, "stp-seal", pb::PadesLevel::BLta, &input).await;
    let lta = tmp.join("signed-b-lta-ocsp.pdf");
    std::fs::write(&lta, &lta_bytes).unwrap();
    std::fs::copy(server.root_pem(), tmp.join("root.pem")).unwrap();

    for (path, bytes) in [(&result, &result_bytes), (&lta, &lta_bytes)] {
        let keys = dss_keys(path);
        assert!(keys.contains(&"/OCSPs".to_owned()), "{keys:?}");
        assert!(!keys.contains(&"/CRLs".to_owned()), "{keys:?}");
        let report = verify_with_root_only(&server, bytes);
        assert_eq!(
            report.verdict,
            ketqua::verify::Verdict::Valid,
            "{}: {}",
            path.display(),
            report.reason
        );
        for signature in report.signatures.iter().filter(|s| s.timestamp.is_some()) {
            let statuses = signature
                .chain
                .revocation
                .iter()
                .chain(signature.timestamp.iter().flat_map(|t| &t.chain.revocation));
            for status in statuses {
                assert_eq!(status.status, "good", "{status:?}");
                assert_eq!(status.method.as_deref(), Some("OCSP"), "{status:?}");
                assert_eq!(status.source.as_deref(), Some("document"), "{status:?}");
            }
        }
        let levels: Vec<&str> = report
            .signatures
            .iter()
            .filter(|s| s.kind != "document timestamp")
            .map(|s| s.pades_level.as_str())
            .collect();
        let expected = if *path == lta { "B-LTA" } else { "B-LT" };
        assert!(levels.iter().all(|l| *l == expected), "{levels:?}");
        let pdfsig = common::pdfsig(path).expect("pdfsig");
        assert!(
            pdfsig.contains("Signature Validation: Signature is Valid.")
                && !pdfsig.contains("Signature is Invalid"),
            "{pdfsig}"
        );
    }
    // pyHanko's CLI insisting on revocation data (it may fetch, the server is up) …
    for pdf in [&result, &lta] {
        let (ok, text) = pyhanko_force_revinfo(&tmp.join("root.pem"), pdf);
        assert!(ok && !text.contains("INVALID"), "{}: {text}", pdf.display());
    }
    // … and pyHanko from the DSS alone, hard-fail, with the server (and its responder) gone:
    // what it needs must be in the file. A B-T document, with no DSS, fails the same judge.
    let bt = tmp.join("signed-b-t.pdf");
    std::fs::write(
        &bt,
        sign_document(&server, "stp-seal", pb::PadesLevel::BT, &input).await,
    )
    .unwrap();
    server.stop();
    for pdf in [&result, &lta] {
        let (ok, text) = pyhanko_from_the_dss(&tmp.join("root.pem"), pdf);
        assert!(
            ok && text.contains("ALL VALID"),
            "{}: {text}",
            pdf.display()
        );
    }
    let (ok, text) = pyhanko_from_the_dss(&tmp.join("root.pem"), &bt);
    assert!(!ok, "{text}");
}

/// `tests/support/pyhanko_dss_judge.py`: pyHanko with only the root and the file's DSS.
fn pyhanko_from_the_dss(root: &Path, pdf: &Path) -> (bool, String) {
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/support/pyhanko_dss_judge.py");
    let output = Command::new("python3")
        .arg(script)
        .arg(root)
        .arg(pdf)
        .env("PYTHONDONTWRITEBYTECODE", "1")
        .output()
        .expect("run python3");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    (output.status.success(), text)
}
