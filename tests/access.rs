//! Who may call what, over real TLS handshakes on ephemeral ports: the server on its TLS
//! defaults (the development PKI's server certificate, client CA and callers table), clients
//! presenting the development client certificates, another PKI's certificate, or none.

mod common;

use std::process::Command;

use common::*;
use ketqua::proto::v1::{
    self as pb, archive_client::ArchiveClient, dossiers_client::DossiersClient,
    signing_client::SigningClient, verification_client::VerificationClient,
};
use tonic::{transport::Channel, Code};

async fn as_client(server: &Server, client: Option<&str>) -> Channel {
    server.channel_as(client).await.expect("TLS connection")
}

/// Runs one dossier of the judicial-record procedure (department stp) to its result.
async fn issue_one(server: &Server) -> (String, String) {
    let mut stp = DossiersClient::new(as_client(server, Some("stp")).await);
    let receipt = stp
        .receive(receive_request(JUDICIAL_RECORD, "stp-receiver"))
        .await
        .expect("the stp system receives for stp")
        .into_inner();
    let code = receipt.dossier_code.clone();
    stp.appraise(step_request(&code, "stp-appraiser", "Đủ điều kiện"))
        .await
        .unwrap();
    stp.approve(step_request(&code, "stp-approver", "Đồng ý"))
        .await
        .unwrap();
    stp.sign(sign_request(&code, "stp-approver")).await.unwrap();
    let returned = stp
        .r#return(step_request(&code, "stp-receiver", "Đã trả kết quả"))
        .await
        .unwrap()
        .into_inner();
    assert!(!returned.result_code.is_empty());
    (code, returned.result_code)
}

fn code_of<T: std::fmt::Debug>(answer: Result<T, tonic::Status>) -> Code {
    match answer {
        Ok(value) => panic!("expected a refusal, got {value:?}"),
        Err(status) => status.code(),
    }
}

fn search_all() -> pb::SearchRequest {
    pb::SearchRequest {
        applicant_id: "001099012345".to_owned(),
        ..pb::SearchRequest::default()
    }
}

async fn search_hits(channel: Channel) -> Result<Vec<pb::SearchHit>, tonic::Status> {
    let mut stream = ArchiveClient::new(channel)
        .search(search_all())
        .await?
        .into_inner();
    let mut hits = Vec::new();
    while let Some(hit) = stream.message().await? {
        hits.push(hit);
    }
    Ok(hits)
}

async fn audit_callers(server: &Server) -> Vec<(String, String, Option<String>)> {
    let pool = sqlx::SqlitePool::connect(&server.database_url())
        .await
        .unwrap();
    let rows: Vec<(String, String, Option<String>)> =
        sqlx::query_as("SELECT method, outcome, caller FROM audit_log ORDER BY rowid")
            .fetch_all(&pool)
            .await
            .unwrap();
    pool.close().await;
    rows
}

#[tokio::test]
async fn without_a_certificate_only_the_public_calls_answer() {
    let server = Server::start_secure(Backend::Sqlite, &[]).await.unwrap();
    let (code, result_code) = issue_one(&server).await;
    let before = server.row_counts().await;
    let anonymous = as_client(&server, None).await;

    let mut dossiers = DossiersClient::new(anonymous.clone());
    assert_eq!(
        code_of(
            dossiers
                .receive(receive_request(JUDICIAL_RECORD, "stp-receiver"))
                .await
        ),
        Code::Unauthenticated
    );
    assert_eq!(
        code_of(
            dossiers
                .appraise(step_request(&code, "stp-appraiser", "x"))
                .await
        ),
        Code::Unauthenticated
    );
    assert_eq!(
        code_of(
            dossiers
                .get(pb::GetRequest {
                    dossier_code: code.clone(),
                    include_result_content: false,
                })
                .await
        ),
        Code::Unauthenticated
    );
    assert_eq!(
        code_of(
            dossiers
                .extend(pb::ExtendRequest {
                    request_id: request_id("extend"),
                    credential_id: "stp-appraiser".to_owned(),
                    dossier_code: code.clone(),
                    reason: "x".to_owned(),
                    working_days: 5,
                    ..pb::ExtendRequest::default()
                })
                .await
        ),
        Code::Unauthenticated
    );
    // The citizens' progress view is public, without any personal data.
    let progress = dossiers
        .track(pb::TrackRequest {
            dossier_code: code.clone(),
            applicant_id: String::new(),
        })
        .await
        .expect("track is public")
        .into_inner();
    assert_eq!(progress.state(), pb::DossierState::Returned);
    assert!(progress.applicant_name.is_empty());
    let mut signing = SigningClient::new(anonymous.clone());
    assert_eq!(
        code_of(
            signing
                .list_credentials(pb::ListCredentialsRequest::default())
                .await
        ),
        Code::Unauthenticated
    );
    assert_eq!(
        code_of(
            signing
                .timestamp(pb::TimestampRequest {
                    sha256: vec![7; 32],
                })
                .await
        ),
        Code::Unauthenticated
    );
    assert_eq!(
        code_of(search_hits(anonymous.clone()).await),
        Code::Unauthenticated
    );
    let mut archive = ArchiveClient::new(anonymous.clone());
    assert_eq!(
        code_of(
            archive
                .get_record(pb::GetRecordRequest {
                    key: Some(pb::get_record_request::Key::ResultCode(result_code.clone())),
                    include_result_content: false,
                })
                .await
        ),
        Code::Unauthenticated
    );

    // The public calls answer without a certificate.
    let checkpoint = archive
        .get_checkpoint(pb::GetCheckpointRequest::default())
        .await
        .expect("checkpoints are public")
        .into_inner();
    assert!(checkpoint.size >= 5);
    let status = VerificationClient::new(anonymous.clone())
        .lookup_result(pb::LookupResultRequest {
            result_code: result_code.clone(),
        })
        .await
        .expect("verification is public")
        .into_inner();
    assert_eq!(status.result_code, result_code);
    let health = tonic_health::pb::health_client::HealthClient::new(anonymous)
        .check(tonic_health::pb::HealthCheckRequest::default())
        .await
        .expect("health is public");
    assert_eq!(health.into_inner().status, 1);

    // Nothing was written but audit lines, and those name the anonymous caller.
    let after = server.row_counts().await;
    for ((table, n), (_, m)) in before.iter().zip(&after) {
        if table != "audit_log" {
            assert_eq!(n, m, "{table} changed");
        }
    }
    let audit = audit_callers(&server).await;
    assert!(audit
        .iter()
        .any(|(method, outcome, caller)| method == "Receive"
            && outcome == "unauthenticated"
            && caller.as_deref() == Some("anonymous")));
}

#[tokio::test]
async fn a_certificate_of_another_ca_fails_the_handshake() {
    let server = Server::start_secure(Backend::Sqlite, &[]).await.unwrap();
    let other = tempfile::tempdir().unwrap();
    let out = Command::new(BIN)
        .args(["pki", "init", "--out"])
        .arg(other.path())
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // Trusts our server, presents a client certificate our client CA never issued.
    use tonic::transport::{Certificate, ClientTlsConfig, Identity};
    let tls = ClientTlsConfig::new()
        .ca_certificate(Certificate::from_pem(
            std::fs::read(server.pki_dir().join("client-ca.pem")).unwrap(),
        ))
        .identity(Identity::from_pem(
            std::fs::read(other.path().join("clients/stp.pem")).unwrap(),
            std::fs::read(other.path().join("clients/stp.key")).unwrap(),
        ));
    let connected = Channel::from_shared(server.grpc.clone())
        .unwrap()
        .tls_config(tls)
        .unwrap()
        .connect()
        .await;
    // TLS 1.3 reports the refusal after the client's Finished: at connect or at first call,
    // never as an answer of the service.
    if let Ok(channel) = connected {
        let answer = SigningClient::new(channel)
            .list_credentials(pb::ListCredentialsRequest::default())
            .await;
        let status = answer.expect_err("a foreign client certificate must not be served");
        assert!(
            !matches!(
                status.code(),
                Code::Ok | Code::PermissionDenied | Code::Unauthenticated
            ),
            "refused by the handshake, not by a use case: {status:?}"
        );
    }
    // And the server still serves others.
    SigningClient::new(as_client(&server, Some("stp")).await)
        .list_credentials(pb::ListCredentialsRequest::default())
        .await
        .expect("the server keeps serving");
}

async fn a_department_system_acts_only_for_its_department(backend: Backend) {
    let Some(server) = Server::start_secure(backend, &[]).await else {
        return;
    };
    let (code, _) = issue_one(&server).await;
    let before = server.row_counts().await;
    let stp = as_client(&server, Some("stp")).await;
    let skhdt = as_client(&server, Some("skhdt")).await;

    // The stp system names a credential of skhdt: refused, nothing written.
    let refused = DossiersClient::new(stp.clone())
        .receive(receive_request(ENTERPRISE, "skhdt-receiver"))
        .await
        .expect_err("stp does not act for skhdt");
    assert_eq!(refused.code(), Code::PermissionDenied);
    assert!(refused.message().contains("skhdt"), "{}", refused.message());
    // The skhdt system steps an stp dossier with an stp credential: refused.
    assert_eq!(
        code_of(
            DossiersClient::new(skhdt.clone())
                .appraise(step_request(&code, "stp-appraiser", "x"))
                .await
        ),
        Code::PermissionDenied
    );
    // Signing a document with another department's seal: refused before the upload is read.
    let pdf = ketqua::pdf::text_document("x", &["y"]);
    let upload = pb::SignDocumentRequest {
        part: Some(pb::sign_document_request::Part::Parameters(
            pb::SignatureParameters {
                credential_id: "stp-seal".to_owned(),
                level: pb::PadesLevel::BB as i32,
                ..pb::SignatureParameters::default()
            },
        )),
    };
    let chunk = pb::SignDocumentRequest {
        part: Some(pb::sign_document_request::Part::Chunk(pdf)),
    };
    let answer = SigningClient::new(skhdt.clone())
        .sign_document(tokio_stream::iter([upload, chunk]))
        .await;
    assert_eq!(code_of(answer), Code::PermissionDenied);

    // Reads: skhdt neither gets nor finds nor exports stp's dossier.
    assert_eq!(
        code_of(
            DossiersClient::new(skhdt.clone())
                .get(pb::GetRequest {
                    dossier_code: code.clone(),
                    include_result_content: false,
                })
                .await
        ),
        Code::PermissionDenied
    );
    assert!(search_hits(skhdt.clone()).await.unwrap().is_empty());
    assert_eq!(search_hits(stp.clone()).await.unwrap().len(), 1);
    let reusable = |channel: Channel| async move {
        ArchiveClient::new(channel)
            .find_reusable(pb::FindReusableRequest {
                applicant_id: "001099012345".to_owned(),
            })
            .await
            .unwrap()
            .into_inner()
            .results
            .len()
    };
    assert_eq!(reusable(skhdt.clone()).await, 0);
    assert_eq!(reusable(stp.clone()).await, 1);
    let export = ArchiveClient::new(skhdt.clone())
        .export_package(pb::ExportPackageRequest {
            selection: Some(pb::export_package_request::Selection::DossierCode(
                code.clone(),
            )),
        })
        .await;
    assert_eq!(code_of(export.map(|_| ())), Code::PermissionDenied);
    // The credentials list shows a system its own department's credentials only.
    let listed = SigningClient::new(skhdt)
        .list_credentials(pb::ListCredentialsRequest::default())
        .await
        .unwrap()
        .into_inner()
        .credentials;
    assert!(!listed.is_empty() && listed.iter().all(|c| c.department == "skhdt"));

    let after = server.row_counts().await;
    for ((table, n), (_, m)) in before.iter().zip(&after) {
        if table != "audit_log" {
            assert_eq!(n, m, "{table} changed");
        }
    }
}

on_both_backends!(a_department_system_acts_only_for_its_department);

/// A callers table by subject and issuer: the stp system may only run the flow, the archivist
/// only read.
const NARROW_CALLERS: &str = r#"
[[callers]]
name = "stp-flow-only"
subject = "C=VN, O=ketqua development PKI — not for production, CN=Sở Tư pháp tỉnh Quảng Ninh — hệ thống một cửa"
issuer = "C=VN, O=ketqua development PKI — not for production, CN=ketqua Development Client CA"
departments = ["stp"]
may = ["flow"]

[[callers]]
name = "archivist-read-only"
subject = "C=VN, O=ketqua development PKI — not for production, CN=Lưu trữ viên (archivist)"
issuer = "C=VN, O=ketqua development PKI — not for production, CN=ketqua Development Client CA"
departments = ["*"]
may = ["read"]
"#;

#[tokio::test]
async fn grants_are_per_kind_of_call() {
    let callers = tempfile::NamedTempFile::new().unwrap();
    std::fs::write(callers.path(), NARROW_CALLERS).unwrap();
    let file = callers.path().to_str().unwrap();
    let server = Server::start_secure(Backend::Sqlite, &["--callers-file", file])
        .await
        .unwrap();
    let (_, result_code) = issue_one(&server).await;
    let before = server.row_counts().await;

    // Flow without read: no search.
    let stp = as_client(&server, Some("stp")).await;
    let denied = search_hits(stp.clone()).await.expect_err("no read grant");
    assert_eq!(denied.code(), Code::PermissionDenied);
    assert!(denied.message().contains("read"), "{}", denied.message());
    // Nor signing documents.
    let upload = pb::SignDocumentRequest {
        part: Some(pb::sign_document_request::Part::Parameters(
            pb::SignatureParameters {
                credential_id: "stp-seal".to_owned(),
                ..pb::SignatureParameters::default()
            },
        )),
    };
    assert_eq!(
        code_of(
            SigningClient::new(stp)
                .sign_document(tokio_stream::iter([upload]))
                .await
        ),
        Code::PermissionDenied
    );

    // Read without admin: the archivist may search but not revoke or renew.
    let archivist = as_client(&server, Some("archivist")).await;
    assert_eq!(search_hits(archivist.clone()).await.unwrap().len(), 1);
    let revoke = ArchiveClient::new(archivist.clone())
        .revoke_result(pb::RevokeResultRequest {
            request_id: request_id("revoke"),
            credential_id: "stp-approver".to_owned(),
            result_code: result_code.clone(),
            reason: "Cấp nhầm".to_owned(),
            replacement_code: String::new(),
        })
        .await;
    assert_eq!(code_of(revoke), Code::PermissionDenied);
    let renew = ArchiveClient::new(archivist)
        .renew_timestamps(pb::RenewTimestampsRequest {
            window_days: 30,
            dry_run: true,
        })
        .await;
    assert_eq!(code_of(renew.map(|_| ())), Code::PermissionDenied);

    let after = server.row_counts().await;
    for ((table, n), (_, m)) in before.iter().zip(&after) {
        if table != "audit_log" {
            assert_eq!(n, m, "{table} changed");
        }
    }
    let audit = audit_callers(&server).await;
    let revoke_line = audit
        .iter()
        .find(|(method, _, _)| method == "RevokeResult")
        .expect("the refused revocation is audited");
    assert_eq!(revoke_line.1, "permission_denied");
    let caller = revoke_line.2.as_deref().unwrap_or_default();
    assert!(
        caller.starts_with("archivist-read-only: ") && caller.contains("sha256:"),
        "{caller}"
    );
}

#[tokio::test]
async fn a_revoked_client_certificate_is_refused_after_a_restart() {
    let mut server = Server::start_secure(Backend::Sqlite, &[]).await.unwrap();
    SigningClient::new(as_client(&server, Some("stp")).await)
        .list_credentials(pb::ListCredentialsRequest::default())
        .await
        .expect("served before the revocation");
    let out = Command::new(BIN)
        .args(["pki", "revoke-client", "stp", "--dir"])
        .arg(server.pki_dir())
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    server.restart();
    let refused = match server.channel_as(Some("stp")).await {
        Err(_) => true,
        Ok(channel) => SigningClient::new(channel)
            .list_credentials(pb::ListCredentialsRequest::default())
            .await
            .is_err(),
    };
    assert!(refused, "a revoked client certificate must not be served");
    SigningClient::new(as_client(&server, Some("skhdt")).await)
        .list_credentials(pb::ListCredentialsRequest::default())
        .await
        .expect("the other systems are still served");
}

#[test]
fn insecure_is_refused_under_the_production_profile() {
    let dir = tempfile::tempdir().unwrap();
    let init = Command::new(BIN)
        .args(["pki", "init", "--out"])
        .arg(dir.path().join("pki"))
        .output()
        .unwrap();
    assert!(init.status.success());
    let pki = dir.path().join("pki");
    let output = Command::new(BIN)
        .args(["serve", "--profile", "production", "--insecure"])
        .arg("--allow-unencrypted-keys")
        .args(["--grpc-addr", "127.0.0.1:0", "--http-addr", "127.0.0.1:0"])
        .arg("--trust")
        .arg(pki.join("root.pem"))
        .arg("--data-dir")
        .arg(dir.path().join("data"))
        .arg("--pki-dir")
        .arg(&pki)
        .env("KETQUA_LOG", "error")
        .output()
        .unwrap();
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("--insecure is refused"), "{stderr}");
}

/// What a department system in another language does: Python grpcio, stubs compiled from
/// `proto/` by grpcio-tools, a development client certificate over TLS, the five steps.
#[tokio::test]
async fn an_independent_python_client_runs_the_five_steps_over_tls() {
    let available = Command::new("python3")
        .args(["-c", "import grpc, grpc_tools"])
        .status()
        .is_ok_and(|s| s.success());
    if !available {
        assert!(
            std::env::var("CI").as_deref() != Ok("true"),
            "python3 with grpcio and grpcio-tools is required under CI=true (.ci/run installs them)"
        );
        eprintln!("skipped: python3 with grpcio and grpcio-tools is not installed");
        return;
    }
    let server = Server::start_secure(Backend::Sqlite, &[]).await.unwrap();
    let address = server.grpc.trim_start_matches("https://").to_owned();
    let output = Command::new("python3")
        .arg(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/tests/support/department_client.py"
        ))
        .arg(&address)
        .arg(server.pki_dir())
        .arg(concat!(env!("CARGO_MANIFEST_DIR"), "/proto"))
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "the Python client failed: {stdout}{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let code = stdout
        .lines()
        .find_map(|l| l.strip_prefix("dossier "))
        .expect("a dossier line")
        .to_owned();
    let result = stdout
        .lines()
        .find_map(|l| l.strip_prefix("result "))
        .expect("a result line");
    assert_eq!(result, format!("{code}-KQ1"));
    let dossier = DossiersClient::new(as_client(&server, Some("archivist")).await)
        .get(pb::GetRequest {
            dossier_code: code,
            include_result_content: false,
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(dossier.records.len(), 5);
}
