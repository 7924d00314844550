//! Archivists' tools against the real server and binary: export packages and their offline
//! verification (and every kind of tampering named), fsck of clean and corrupted archives,
//! revocation of results, and the archive RPCs (search, get-record, reuse, proofs).

mod common;

use std::{path::Path, process::Command};

use common::*;
use ketqua::{
    package,
    proto::v1::{self as pb, archive_client::ArchiveClient, dossiers_client::DossiersClient},
};
use tonic::{transport::Channel, Code};

const RECEIVER: &str = "stp-receiver";
const APPRAISER: &str = "stp-appraiser";
const APPROVER: &str = "stp-approver";

type Client = DossiersClient<Channel>;

async fn archive_client(server: &Server) -> ArchiveClient<Channel> {
    ArchiveClient::new(server.channel().await).max_decoding_message_size(64 * 1024 * 1024)
}

/// Receives a dossier for `applicant` and takes it to Signed: the result exists, unissued.
async fn signed_dossier(client: &mut Client, applicant: &str) -> String {
    let mut receive = receive_request(JUDICIAL_RECORD, RECEIVER);
    receive.applicant.as_mut().unwrap().id = applicant.to_owned();
    let code = client
        .receive(receive)
        .await
        .unwrap()
        .into_inner()
        .dossier_code;
    client
        .appraise(step_request(&code, APPRAISER, "Đủ điều kiện"))
        .await
        .unwrap();
    client
        .approve(step_request(&code, APPROVER, "Đồng ý"))
        .await
        .unwrap();
    client.sign(sign_request(&code, APPROVER)).await.unwrap();
    code
}

/// Receives a dossier for `applicant` and takes it to Returned; returns (dossier, result) codes.
async fn returned_dossier(client: &mut Client, applicant: &str) -> (String, String) {
    let code = signed_dossier(client, applicant).await;
    let returned = client
        .r#return(step_request(&code, RECEIVER, "Đã trả"))
        .await
        .unwrap()
        .into_inner();
    (code, returned.result_code)
}

fn export(server: &Server, dossier: &str, out: &Path) -> (bool, String) {
    run_ketqua(&[
        "archive",
        "export",
        "--server",
        &server.grpc,
        "--dossier",
        dossier,
        "--out",
        out.to_str().unwrap(),
    ])
}

fn verify(server: &Server, package: &Path) -> (bool, String) {
    run_ketqua(&[
        "archive",
        "verify-package",
        package.to_str().unwrap(),
        "--trust",
        server.root_pem().to_str().unwrap(),
        "--log-key",
        server.pki_dir().join("log.pub").to_str().unwrap(),
    ])
}

/// Rewrites a package: `edit` may change any file; the manifest's hashes are recomputed when
/// `rehash` is set (a forger who knows the format), otherwise left as they were.
fn tamper(source: &Path, target: &Path, rehash: bool, edit: impl Fn(&str, &mut Vec<u8>)) {
    let data = std::fs::read(source).unwrap();
    let mut files: Vec<(String, Vec<u8>)> = package::read_all(&data)
        .unwrap()
        .into_iter()
        .map(|(n, d)| (n, d.to_vec()))
        .collect();
    for (name, content) in files.iter_mut() {
        edit(name, content);
    }
    if rehash {
        let hashes: std::collections::HashMap<String, (String, u64)> = files
            .iter()
            .map(|(n, d)| {
                (
                    n.clone(),
                    (hex::encode(ketqua::crypto::sha256(d)), d.len() as u64),
                )
            })
            .collect();
        let manifest = files
            .iter_mut()
            .find(|(n, _)| n == package::MANIFEST)
            .unwrap();
        let mut parsed: package::Manifest = serde_json::from_slice(&manifest.1).unwrap();
        for entry in parsed.files.iter_mut() {
            let (sha, size) = hashes[&entry.path].clone();
            entry.sha256 = sha;
            entry.size = size;
        }
        manifest.1 = serde_json::to_vec(&parsed).unwrap();
    }
    let zipped = package::write_all(files.iter().map(|(n, d)| (n.as_str(), d.as_slice()))).unwrap();
    std::fs::write(target, zipped).unwrap();
}

type Edit = dyn Fn(&str, &mut Vec<u8>);

async fn export_and_verify_packages(backend: Backend) {
    let Some(server) = Server::start_on(backend, &[]).await else {
        return;
    };
    let mut client = server.dossiers().await;
    let (code, result_code) = returned_dossier(&mut client, "001099000111").await;
    let (second, _) = returned_dossier(&mut client, "001099000111").await;
    let work = tempfile::tempdir().unwrap();
    let pkg = work.path().join("p.zip");

    let (ok, out) = export(&server, &code, &pkg);
    assert!(ok, "{out}");
    let (ok, out) = verify(&server, &pkg);
    assert!(ok, "{out}");
    assert!(out.contains("1 dossiers, 5 records"), "{out}");

    // Contents: manifest with Decree 30 metadata, the records, the result, the log key.
    let data = std::fs::read(&pkg).unwrap();
    let entries = package::read_all(&data).unwrap();
    let names: Vec<&str> = entries.iter().map(|(n, _)| n.as_str()).collect();
    for expected in [
        "manifest.json".to_owned(),
        "log.pub".to_owned(),
        format!("dossiers/{code}/records/01-receive.bin"),
        format!("dossiers/{code}/records/04-sign.p7s"),
        format!("dossiers/{code}/records/05-return.proof.json"),
        format!("dossiers/{code}/result/{result_code}.pdf"),
    ] {
        assert!(
            names.contains(&expected.as_str()),
            "{expected} in {names:?}"
        );
    }
    assert!(names.iter().any(|n| n.starts_with("crls/")), "{names:?}");
    assert!(names.iter().filter(|n| n.starts_with("certs/")).count() >= 3);
    let manifest: package::Manifest = serde_json::from_slice(
        entries
            .iter()
            .find(|(n, _)| n == "manifest.json")
            .unwrap()
            .1,
    )
    .unwrap();
    let result = manifest.dossiers[0].result.as_ref().unwrap();
    assert_eq!(result.result_code, result_code);
    assert!(result.metadata.page_count >= 1);
    assert!(!result.metadata.signer.is_empty());
    assert!(!result.metadata.issue_date.is_empty());
    assert_eq!(result.status, "valid");
    // Standard tools read our ZIPs.
    if tool_available("unzip") {
        let out = Command::new("unzip").arg("-t").arg(&pkg).output().unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stdout)
        );
    }

    // Every kind of tampering is named.
    let bad = work.path().join("bad.zip");
    let cases: Vec<(&str, bool, Box<Edit>, &str)> = vec![
        (
            "result replaced, manifest rehashed",
            true,
            Box::new(|n: &str, d: &mut Vec<u8>| {
                if n.ends_with(".pdf") {
                    d.extend_from_slice(b"\n% appended");
                }
            }),
            "the Sign record signed",
        ),
        (
            "result replaced, manifest untouched",
            false,
            Box::new(|n: &str, d: &mut Vec<u8>| {
                if n.ends_with(".pdf") {
                    d.extend_from_slice(b"\n% appended");
                }
            }),
            "the manifest says",
        ),
        (
            "record edited",
            true,
            Box::new(|n: &str, d: &mut Vec<u8>| {
                if n.ends_with("02-appraise.bin") {
                    let last = d.len() - 1;
                    d[last] ^= 1;
                }
            }),
            "record 2 (appraise): the CMS signature does not verify",
        ),
        (
            "proof edited",
            true,
            Box::new(|n: &str, d: &mut Vec<u8>| {
                if n.ends_with("03-approve.proof.json") {
                    let mut proof: package::ProofFile = serde_json::from_slice(d).unwrap();
                    proof.leaf_index += 1;
                    *d = serde_json::to_vec(&proof).unwrap();
                }
            }),
            "record 3 (approve): the inclusion proof does not lead to the signed checkpoint",
        ),
        (
            "record removed from the manifest's view",
            false,
            Box::new(|n: &str, d: &mut Vec<u8>| {
                if n == "manifest.json" {
                    let mut m: package::Manifest = serde_json::from_slice(d).unwrap();
                    m.dossiers[0].records.remove(1);
                    *d = serde_json::to_vec(&m).unwrap();
                }
            }),
            "the hash chain of records is broken",
        ),
    ];
    for (what, rehash, edit, expected) in cases {
        tamper(&pkg, &bad, rehash, edit);
        let (ok, out) = verify(&server, &bad);
        assert!(!ok, "{what}: {out}");
        assert!(
            out.contains(expected),
            "{what}: expected {expected:?} in {out}"
        );
    }
    // A damaged byte is caught by the ZIP's CRC.
    let mut damaged = data.clone();
    let at = data.windows(4).position(|w| w == b"%PDF").unwrap() + 100;
    damaged[at] ^= 0x55;
    std::fs::write(&bad, &damaged).unwrap();
    let (ok, out) = verify(&server, &bad);
    assert!(!ok && out.contains("CRC-32"), "{out}");

    // Another PKI's root and another log's key are not this package's trust.
    let other = work.path().join("other-pki");
    let (ok, out) = run_ketqua(&["pki", "init", "--out", other.to_str().unwrap()]);
    assert!(ok, "{out}");
    let (ok, out) = run_ketqua(&[
        "archive",
        "verify-package",
        pkg.to_str().unwrap(),
        "--trust",
        other.join("root.pem").to_str().unwrap(),
        "--log-key",
        server.pki_dir().join("log.pub").to_str().unwrap(),
    ]);
    assert!(
        !ok && out.contains("does not chain to the trust anchor"),
        "{out}"
    );
    let (key, _) = ketqua::ledger::LogKey::generate("other.example/log").unwrap();
    let other_log = work.path().join("other-log.pub");
    std::fs::write(&other_log, key.verifier().to_vkey()).unwrap();
    let (ok, out) = run_ketqua(&[
        "archive",
        "verify-package",
        pkg.to_str().unwrap(),
        "--trust",
        server.root_pem().to_str().unwrap(),
        "--log-key",
        other_log.to_str().unwrap(),
    ]);
    assert!(
        !ok && out.contains("the checkpoint is not signed by the log key"),
        "{out}"
    );

    // A search exports every match.
    let all = work.path().join("all.zip");
    let (ok, out) = run_ketqua(&[
        "archive",
        "export",
        "--server",
        &server.grpc,
        "--applicant",
        "001099000111",
        "--out",
        all.to_str().unwrap(),
    ]);
    assert!(ok, "{out}");
    let (ok, out) = verify(&server, &all);
    assert!(ok && out.contains("2 dossiers, 10 records"), "{out}");
    assert!(String::from_utf8_lossy(&std::fs::read(&all).unwrap()).contains(&second));

    // Bad selections get precise statuses and no stream.
    let mut archive = archive_client(&server).await;
    for (selection, code) in [
        (None, Code::InvalidArgument),
        (
            Some(pb::export_package_request::Selection::DossierCode(
                "nope".into(),
            )),
            Code::InvalidArgument,
        ),
        (
            Some(pb::export_package_request::Selection::DossierCode(
                "000.00.12.H47-200101-0001".into(),
            )),
            Code::NotFound,
        ),
        (
            Some(pb::export_package_request::Selection::Query(
                pb::SearchRequest {
                    applicant_id: "999999999999".into(),
                    ..Default::default()
                },
            )),
            Code::NotFound,
        ),
    ] {
        let status = archive
            .export_package(pb::ExportPackageRequest { selection })
            .await
            .unwrap_err();
        assert_eq!(status.code(), code, "{status:?}");
    }
    let (ok, _) = export(
        &server,
        "000.00.12.H47-200101-0001",
        &work.path().join("none.zip"),
    );
    assert!(!ok);
    assert!(!work.path().join("none.zip").exists());
    assert!(!work.path().join("none.zip.part").exists());
}

/// Runs SQL against the server's database directly, as an attacker or a failing disk would.
async fn corrupt(server: &Server, statements: &[(String, Vec<Vec<u8>>)]) {
    match server.backend {
        Backend::Sqlite => {
            let pool = sqlx::SqlitePool::connect(&server.database_url())
                .await
                .unwrap();
            for (sql, binds) in statements {
                let mut query = sqlx::query(sql);
                for bind in binds {
                    query = query.bind(bind.clone());
                }
                let done = query.execute(&pool).await.unwrap();
                assert_eq!(done.rows_affected(), 1, "{sql}");
            }
            pool.close().await;
        }
        Backend::Postgres => {
            let pool = sqlx::PgPool::connect(&server.database_url()).await.unwrap();
            for (sql, binds) in statements {
                let mut query = sqlx::query(sql);
                for bind in binds {
                    query = query.bind(bind.clone());
                }
                let done = query.execute(&pool).await.unwrap();
                assert_eq!(done.rows_affected(), 1, "{sql}");
            }
            pool.close().await;
        }
    }
}

/// The `blobs` row of a hash: (stored_in, content).
async fn blob_row(server: &Server, sha256: &[u8]) -> (String, Vec<u8>) {
    let sql = "SELECT stored_in, content FROM blobs WHERE sha256 = $1";
    match server.backend {
        Backend::Sqlite => {
            let pool = sqlx::SqlitePool::connect(&server.database_url())
                .await
                .unwrap();
            let row = sqlx::query_as(sql)
                .bind(sha256)
                .fetch_one(&pool)
                .await
                .unwrap();
            pool.close().await;
            row
        }
        Backend::Postgres => {
            let pool = sqlx::PgPool::connect(&server.database_url()).await.unwrap();
            let row = sqlx::query_as(sql)
                .bind(sha256)
                .fetch_one(&pool)
                .await
                .unwrap();
            pool.close().await;
            row
        }
    }
}

/// fsck of the server's archive: its database and its data directory (blobs in `<dir>/blobs`).
fn fsck(server: &Server) -> (bool, String) {
    run_ketqua(&[
        "archive",
        "fsck",
        "--database",
        &server.database_url(),
        "--data-dir",
        server.data_dir().to_str().unwrap(),
        "--pki-dir",
        server.pki_dir().to_str().unwrap(),
    ])
}

/// Where the server keeps document bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Placement {
    /// The default: files under `<data dir>/blobs`.
    Files,
    /// `--blob-store database`: the `blobs` table.
    Database,
}

impl Placement {
    fn args(self) -> &'static [&'static str] {
        match self {
            Placement::Files => &[],
            Placement::Database => &["--blob-store", "database"],
        }
    }
}

async fn fsck_names_each_corruption(backend: Backend) {
    fsck_names_corruption(backend, Placement::Files).await
}

async fn fsck_names_corruption_of_blobs_in_the_database(backend: Backend) {
    fsck_names_corruption(backend, Placement::Database).await
}

async fn fsck_names_corruption(backend: Backend, placement: Placement) {
    let Some(server) = Server::start_on(backend, placement.args()).await else {
        return;
    };
    let mut client = server.dossiers().await;
    let (code, _) = returned_dossier(&mut client, "001099000222").await;
    let (ok, out) = fsck(&server);
    assert!(ok, "{out}");
    assert!(out.contains("; 0 problems"), "{out}");
    // --data-dir works for the embedded archive.
    if backend == Backend::Sqlite {
        let (ok, out) = run_ketqua(&[
            "archive",
            "fsck",
            "--data-dir",
            server.data_dir().to_str().unwrap(),
            "--pki-dir",
            server.pki_dir().to_str().unwrap(),
        ]);
        assert!(ok, "{out}");
    }

    let dossier = client
        .get(pb::GetRequest {
            dossier_code: code.clone(),
            include_result_content: false,
        })
        .await
        .unwrap()
        .into_inner();
    let document_sha = dossier.documents[0].digest.as_ref().unwrap().sha256.clone();
    let mut statements = Vec::new();
    match placement {
        // A failing disk or an intruder changes the file.
        Placement::Files => {
            std::fs::write(server.blob_path(&document_sha), b"not the scan").unwrap()
        }
        Placement::Database => statements.push((
            "UPDATE blobs SET content = $1 WHERE sha256 = $2".to_owned(),
            vec![b"not the scan".to_vec(), document_sha.clone()],
        )),
    }
    statements.extend([
            (
                // The code is ours, not input: inlining it keeps every bind a byte string.
                format!("UPDATE step_records SET record = $1 WHERE dossier_code = '{code}' AND sequence = 2"),
                vec![b"\x08\x01".to_vec()],
            ),
            (
                "UPDATE ledger_nodes SET hash = $1 WHERE id = 2".to_owned(),
                vec![vec![7u8; 32]],
            ),
    ]);
    corrupt(&server, &statements).await;
    let (ok, out) = fsck(&server);
    assert!(!ok, "{out}");
    let sha = hex::encode(&document_sha);
    let content = match placement {
        Placement::Files => format!(
            "content in the files store at {} does not match its hash",
            server.blob_dir().display()
        ),
        Placement::Database => "content does not match its hash".to_owned(),
    };
    for expected in [
        format!("blobs[sha256={sha}]: {content}; expected {sha}"),
        format!("step_records[dossier_code={code}, sequence=2]: record bytes do not match record_sha256"),
        format!("step_records[dossier_code={code}, sequence=3]: does not link to the previous record"),
        "ledger_nodes[id=2 (".to_owned(),
        format!("found {}", hex::encode([7u8; 32])),
    ] {
        assert!(out.contains(&expected), "expected {expected:?} in\n{out}");
    }
}

fn revoke(
    credential: &str,
    result: &str,
    reason: &str,
    replacement: &str,
) -> pb::RevokeResultRequest {
    pb::RevokeResultRequest {
        request_id: request_id("revoke"),
        credential_id: credential.to_owned(),
        result_code: result.to_owned(),
        reason: reason.to_owned(),
        replacement_code: replacement.to_owned(),
    }
}

fn citing(applicant: &str, cited: &[&str]) -> pb::ReceiveRequest {
    let mut request = receive_request(JUDICIAL_RECORD, RECEIVER);
    request.applicant.as_mut().unwrap().id = applicant.to_owned();
    request.cited_results = cited.iter().map(|c| c.to_string()).collect();
    request
}

async fn reusable(archive: &mut ArchiveClient<Channel>, applicant: &str) -> Vec<String> {
    archive
        .find_reusable(pb::FindReusableRequest {
            applicant_id: applicant.to_owned(),
        })
        .await
        .unwrap()
        .into_inner()
        .results
        .into_iter()
        .map(|r| r.result_code)
        .collect()
}

async fn revocation_and_reuse(backend: Backend) {
    let Some(server) = Server::start_on(backend, &[]).await else {
        return;
    };
    let mut client = server.dossiers().await;
    let mut archive = archive_client(&server).await;
    let applicant = "001099000333";
    let (code1, r1) = returned_dossier(&mut client, applicant).await;
    let (_, r2) = returned_dossier(&mut client, applicant).await;
    // A signed but unissued result.
    let pending = signed_dossier(&mut client, applicant).await;
    let unissued = format!("{pending}-KQ1");

    let mut found = reusable(&mut archive, applicant).await;
    found.sort();
    let mut expected = vec![r1.clone(), r2.clone()];
    expected.sort();
    assert_eq!(found, expected);
    assert!(reusable(&mut archive, "001099999999").await.is_empty());
    let status = archive
        .find_reusable(pb::FindReusableRequest {
            applicant_id: String::new(),
        })
        .await
        .unwrap_err();
    assert_eq!(status.code(), Code::InvalidArgument);

    // Citations: own issued result ok; another applicant's, unissued, unknown, malformed refused.
    let cited = client
        .receive(citing(applicant, &[&r1]))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(
        cited.record.unwrap().decoded.unwrap().cited_results[0].result_code,
        r1
    );
    let before = server.row_counts().await;
    for (request, code, text) in [
        (
            citing("001099000444", &[&r1]),
            Code::FailedPrecondition,
            "another applicant",
        ),
        (
            citing(applicant, &[&unissued]),
            Code::FailedPrecondition,
            "not been issued",
        ),
        (
            citing(applicant, &["000.00.12.H47-200101-0001-KQ1"]),
            Code::NotFound,
            "does not exist",
        ),
        (citing(applicant, &["KQ1"]), Code::InvalidArgument, ""),
    ] {
        let status = client.receive(request).await.unwrap_err();
        assert_eq!(status.code(), code, "{status:?}");
        assert!(status.message().contains(text), "{status:?}");
    }

    // Bad revocations: precise status, nothing written but the audit line.
    for (request, code) in [
        (
            revoke("stp-receiver", &r1, "Sai thông tin", ""),
            Code::PermissionDenied,
        ),
        (
            revoke("skhdt-approver", &r1, "Sai thông tin", ""),
            Code::PermissionDenied,
        ),
        (revoke(APPROVER, &r1, "  ", ""), Code::InvalidArgument),
        (revoke(APPROVER, "nope", "Sai", ""), Code::InvalidArgument),
        (revoke(APPROVER, &r1, "Sai", &r1), Code::InvalidArgument),
        (
            revoke(APPROVER, "000.00.12.H47-200101-0001-KQ1", "Sai", ""),
            Code::NotFound,
        ),
        (
            revoke(APPROVER, &r1, "Sai", "000.00.12.H47-200101-0001-KQ1"),
            Code::NotFound,
        ),
        (
            revoke(APPROVER, &unissued, "Sai", ""),
            Code::FailedPrecondition,
        ),
        (
            revoke(APPROVER, &r1, "Sai", &unissued),
            Code::FailedPrecondition,
        ),
        (revoke("nobody", &r1, "Sai", ""), Code::NotFound),
    ] {
        let status = archive.revoke_result(request).await.unwrap_err();
        assert_eq!(status.code(), code, "{status:?}");
    }
    let after = server.row_counts().await;
    for ((table, b), (_, a)) in before.iter().zip(&after) {
        if table != "audit_log" {
            assert_eq!(b, a, "{table} changed after refused calls");
        }
    }

    // r1 superseded by r2: a signed Revoke record, the dossier stays Returned.
    let request = revoke(APPROVER, &r1, "Cấp lại do sai ngày sinh", &r2);
    let receipt = archive
        .revoke_result(request.clone())
        .await
        .unwrap()
        .into_inner();
    assert_eq!(receipt.state(), pb::DossierState::Returned);
    let record = receipt.record.clone().unwrap().decoded.unwrap();
    assert_eq!(record.step(), pb::Step::Revoke);
    assert_eq!(record.sequence, 6);
    assert_eq!(record.result_code, r1);
    assert_eq!(record.cited_results[0].result_code, r2);
    // A retry answers the same.
    let again = archive.revoke_result(request).await.unwrap().into_inner();
    assert_eq!(again.record, receipt.record);
    let dossier = client
        .get(pb::GetRequest {
            dossier_code: code1.clone(),
            include_result_content: false,
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(dossier.state(), pb::DossierState::Returned);
    assert_eq!(dossier.records.len(), 6);
    assert_eq!(dossier.result.unwrap().status, "superseded");
    assert_eq!(reusable(&mut archive, applicant).await, vec![r2.clone()]);
    let status = client.receive(citing(applicant, &[&r1])).await.unwrap_err();
    assert_eq!(status.code(), Code::FailedPrecondition);
    assert!(
        status.message().contains(&format!("superseded by {r2}")),
        "{status:?}"
    );
    let status = archive
        .revoke_result(revoke(APPROVER, &r1, "Lần nữa", ""))
        .await
        .unwrap_err();
    assert_eq!(status.code(), Code::FailedPrecondition);
    assert!(
        status.message().contains("already superseded"),
        "{status:?}"
    );

    // r2 revoked outright.
    archive
        .revoke_result(revoke(APPROVER, &r2, "Giả mạo giấy tờ", ""))
        .await
        .unwrap();
    assert!(reusable(&mut archive, applicant).await.is_empty());
    let status = client.receive(citing(applicant, &[&r2])).await.unwrap_err();
    assert_eq!(status.code(), Code::FailedPrecondition);
    assert!(
        status.message().contains("revoked: Giả mạo giấy tờ"),
        "{status:?}"
    );

    // The revocation record travels in the package and verifies; fsck stays clean.
    let work = tempfile::tempdir().unwrap();
    let pkg = work.path().join("r.zip");
    let (ok, out) = export(&server, &code1, &pkg);
    assert!(ok, "{out}");
    let (ok, out) = verify(&server, &pkg);
    assert!(ok && out.contains("6 records"), "{out}");
    let (ok, out) = fsck(&server);
    assert!(ok, "{out}");
}

/// Every file under `dir` (none if it does not exist).
fn files_under(dir: &Path) -> Vec<std::path::PathBuf> {
    let mut found = Vec::new();
    let mut stack = vec![dir.to_owned()];
    while let Some(next) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&next) else {
            continue;
        };
        for entry in entries {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path);
            } else {
                found.push(path);
            }
        }
    }
    found.sort();
    found
}

async fn documents_are_files_by_default(backend: Backend) {
    let Some(server) = Server::start_on(backend, &[]).await else {
        return;
    };
    let mut client = server.dossiers().await;
    let (code, _) = returned_dossier(&mut client, "001099000555").await;
    let dossier = client
        .get(pb::GetRequest {
            dossier_code: code.clone(),
            include_result_content: true,
        })
        .await
        .unwrap()
        .into_inner();
    let result = dossier.result.unwrap();
    let result_sha = result.digest.as_ref().unwrap().sha256.clone();
    assert_eq!(ketqua::crypto::sha256(&result.content)[..], result_sha[..]);
    let mut expected = vec![server.blob_path(&result_sha)];
    // Each document and the result: a file under <data dir>/blobs named by its hash, and a
    // row naming the files store with no bytes in it.
    for sha in dossier
        .documents
        .iter()
        .map(|d| d.digest.as_ref().unwrap().sha256.clone())
        .chain([result_sha.clone()])
    {
        let path = server.blob_path(&sha);
        let bytes = std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        assert_eq!(
            ketqua::crypto::sha256(&bytes)[..],
            sha[..],
            "{}",
            path.display()
        );
        assert_eq!(
            blob_row(&server, &sha).await,
            ("files".to_owned(), Vec::new())
        );
        expected.push(path);
    }
    expected.sort();
    expected.dedup();
    assert_eq!(files_under(&server.blob_dir()), expected);
    let (ok, out) = fsck(&server);
    assert!(ok && out.contains("; 0 problems"), "{out}");
    assert!(
        out.contains(&format!(
            "fsck: 0 unreferenced blobs in the files store at {}",
            server.blob_dir().display()
        )),
        "{out}"
    );

    // A blob no row names (what a rolled-back transaction leaves) is reported, not a problem.
    let stray = ketqua::crypto::sha256(b"left by a rollback");
    std::fs::create_dir_all(server.blob_path(&stray).parent().unwrap()).unwrap();
    std::fs::write(server.blob_path(&stray), b"left by a rollback").unwrap();
    let (ok, out) = fsck(&server);
    assert!(ok && out.contains("; 0 problems"), "{out}");
    assert!(
        out.contains("fsck: 1 unreferenced blobs in the files store"),
        "{out}"
    );

    // fsck must be told where the files are.
    let (ok, out) = run_ketqua(&[
        "archive",
        "fsck",
        "--database",
        &server.database_url(),
        "--pki-dir",
        server.pki_dir().to_str().unwrap(),
    ]);
    assert!(!ok, "{out}");
    assert!(
        out.contains("blobs are kept in the files store, but no blob directory was given"),
        "{out}"
    );
    // --blob-dir names it as well as --data-dir.
    let (ok, out) = run_ketqua(&[
        "archive",
        "fsck",
        "--database",
        &server.database_url(),
        "--blob-dir",
        server.blob_dir().to_str().unwrap(),
        "--pki-dir",
        server.pki_dir().to_str().unwrap(),
    ]);
    assert!(ok, "{out}");

    // A lost file: fsck names it, and reading the result is DATA_LOSS naming the blob.
    std::fs::remove_file(server.blob_path(&result_sha)).unwrap();
    let sha = hex::encode(&result_sha);
    let (ok, out) = fsck(&server);
    assert!(!ok, "{out}");
    assert!(
        out.contains(&format!(
            "blobs[sha256={sha}]: missing from the files store at {}",
            server.blob_dir().display()
        )),
        "{out}"
    );
    assert!(out.contains("; 1 problems"), "{out}");
    let status = client
        .get(pb::GetRequest {
            dossier_code: code.clone(),
            include_result_content: true,
        })
        .await
        .unwrap_err();
    assert_eq!(status.code(), Code::DataLoss, "{status:?}");
    assert!(
        status
            .message()
            .contains(&format!("blob {sha} is missing from the files store")),
        "{status:?}"
    );
    // Without the content, the dossier still reads.
    client
        .get(pb::GetRequest {
            dossier_code: code,
            include_result_content: false,
        })
        .await
        .unwrap();
}

async fn documents_stay_in_the_database_when_configured(backend: Backend) {
    let Some(server) = Server::start_on(backend, Placement::Database.args()).await else {
        return;
    };
    let mut client = server.dossiers().await;
    let (code, _) = returned_dossier(&mut client, "001099000666").await;
    let dossier = client
        .get(pb::GetRequest {
            dossier_code: code,
            include_result_content: true,
        })
        .await
        .unwrap()
        .into_inner();
    let result = dossier.result.unwrap();
    let result_sha = result.digest.as_ref().unwrap().sha256.clone();
    assert_eq!(
        blob_row(&server, &result_sha).await,
        ("database".to_owned(), result.content)
    );
    let document = &dossier.documents[0];
    let (stored_in, content) = blob_row(&server, &document.digest.as_ref().unwrap().sha256).await;
    assert_eq!(stored_in, "database");
    assert_eq!(content.len() as u64, document.digest.as_ref().unwrap().size);
    assert!(files_under(&server.blob_dir()).is_empty());
    // Nothing outside the database: fsck needs no blob directory.
    let (ok, out) = run_ketqua(&[
        "archive",
        "fsck",
        "--database",
        &server.database_url(),
        "--pki-dir",
        server.pki_dir().to_str().unwrap(),
    ]);
    assert!(ok && out.contains("; 0 problems"), "{out}");
}

fn renew(server: &Server, window_days: &str, extra: &[&str]) -> (bool, String) {
    let mut args = vec![
        "archive",
        "renew",
        "--server",
        &server.grpc,
        "--window-days",
        window_days,
    ];
    args.extend_from_slice(extra);
    run_ketqua(&args)
}

async fn verify_with_code(server: &Server, code: &str, pdf: &[u8]) -> pb::VerificationReport {
    use ketqua::proto::v1::verification_client::VerificationClient;
    let mut client =
        VerificationClient::new(server.channel().await).max_decoding_message_size(64 * 1024 * 1024);
    let request = pb::VerifyDocumentRequest {
        result_code: code.to_owned(),
        chunk: pdf.to_vec(),
    };
    client
        .verify_document(tokio_stream::iter(vec![request]))
        .await
        .unwrap()
        .into_inner()
}

async fn result_of(client: &mut Client, code: &str) -> pb::ResultDocument {
    client
        .get(pb::GetRequest {
            dossier_code: code.to_owned(),
            include_result_content: true,
        })
        .await
        .unwrap()
        .into_inner()
        .result
        .unwrap()
}

/// `archive renew`: nothing is due inside the TSA certificate's life; a due result is skipped
/// (not renewed in vain) while the TSA's certificate would not outlive it; after the TSA is
/// rotated the result gets a document timestamp (B-LTA) that pyHanko and our engine accept, the
/// issued file stays recognised, and package, log and fsck all account for the new version.
async fn renewal_keeps_results_provable(backend: Backend) {
    let Some(mut server) = Server::start_on(backend, &[]).await else {
        return;
    };
    let mut client = server.dossiers().await;
    let (code, result_code) = returned_dossier(&mut client, "001099000444").await;
    let issued = result_of(&mut client, &code).await;
    let issued_sha = issued.digest.as_ref().unwrap().sha256.clone();
    assert_eq!(issued.issued_sha256, issued_sha);

    // The development TSA certificate lasts ten years: nothing is due within 30 days.
    let (ok, out) = renew(&server, "30", &[]);
    assert!(ok, "{out}");
    assert!(out.contains("1 results examined: 1 not due"), "{out}");
    // Within 4,000 days it is due, but the only TSA expires at the same moment: renewing
    // would gain nothing, so the sweep says so and fails.
    let counts = server.row_counts().await;
    let (ok, out) = renew(&server, "4000", &[]);
    assert!(!ok, "{out}");
    assert!(
        out.contains(&format!("skipped     {result_code}"))
            && out.contains("renew the TSA certificate first"),
        "{out}"
    );
    let audit_only = |before: &[(String, i64)], after: &[(String, i64)]| {
        before
            .iter()
            .zip(after)
            .all(|(b, a)| b == a || (b.0 == "audit_log"))
    };
    assert!(audit_only(&counts, &server.row_counts().await));
    // Bad input is refused before anything runs.
    let (ok, out) = renew(&server, "99999", &[]);
    assert!(!ok && out.contains("window_days 99999"), "{out}");

    // A new TSA certificate, valid longer than the old one.
    let pki = server.pki_dir();
    let (ok, out) = run_ketqua(&[
        "pki",
        "rotate-tsa",
        "--dir",
        pki.to_str().unwrap(),
        "--valid-days",
        "5000",
    ]);
    assert!(ok, "{out}");
    server.restart();
    let mut client = server.dossiers().await;
    let (ok, out) = renew(&server, "4000", &["--dry-run"]);
    assert!(ok, "{out}");
    assert!(out.contains(&format!("would renew {result_code}")), "{out}");
    let counts = server.row_counts().await;
    let checkpoint_before = archive_client(&server)
        .await
        .get_checkpoint(pb::GetCheckpointRequest {})
        .await
        .unwrap()
        .into_inner()
        .size;

    let (ok, out) = renew(&server, "4000", &[]);
    assert!(ok, "{out}");
    assert!(out.contains(&format!("renewed     {result_code}")), "{out}");
    assert!(out.contains("1 renewed"), "{out}");
    let after = server.row_counts().await;
    let count =
        |rows: &[(String, i64)], table: &str| rows.iter().find(|(t, _)| t == table).unwrap().1;
    assert_eq!(
        count(&after, "result_renewals"),
        count(&counts, "result_renewals") + 1
    );
    assert_eq!(
        count(&after, "ledger_leaves"),
        count(&counts, "ledger_leaves") + 1
    );
    let checkpoint_after = archive_client(&server)
        .await
        .get_checkpoint(pb::GetCheckpointRequest {})
        .await
        .unwrap()
        .into_inner()
        .size;
    assert_eq!(checkpoint_after, checkpoint_before + 1);

    // The renewed version is what readers get; it extends the issued bytes.
    let renewed = result_of(&mut client, &code).await;
    let renewed_sha = renewed.digest.as_ref().unwrap().sha256.clone();
    assert_ne!(renewed_sha, issued_sha);
    assert_eq!(renewed.issued_sha256, issued_sha);
    assert_eq!(renewed.pades_level, "B-LTA");
    assert!(renewed.content.starts_with(&issued.content));
    assert!(renewed.content.len() > issued.content.len());

    // Judges: pyHanko (every signature and both timestamps), our engine via gRPC.
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("renewed.pdf");
    std::fs::write(&path, &renewed.content).unwrap();
    if let Some((ok, text)) = pyhanko_judge(&server.root_pem(), &path) {
        assert!(ok, "pyHanko rejects the renewed result:\n{text}");
        assert!(text.contains("document timestamp"), "{text}");
    }
    let report = verify_with_code(&server, &result_code, &renewed.content).await;
    assert_eq!(report.verdict(), pb::Verdict::Valid, "{}", report.reason);
    assert!(report
        .signatures
        .iter()
        .any(|s| s.kind == "document timestamp"));
    assert!(report
        .signatures
        .iter()
        .filter(|s| s.kind != "document timestamp")
        .all(|s| s.pades_level == "B-LTA"));
    assert!(report.archive.as_ref().unwrap().hash_matches);
    // The file the citizen was given is still the same result.
    let report = verify_with_code(&server, &result_code, &issued.content).await;
    assert_eq!(report.verdict(), pb::Verdict::Valid, "{}", report.reason);
    assert!(report.archive.as_ref().unwrap().hash_matches);
    // Ten years on, the first TSA's certificate has expired: the issued file's signature
    // timestamps prove nothing any more (INDETERMINATE, naming the lapse), while the renewed
    // file's document timestamp, by the newer TSA, proves they existed while it was sound.
    let mut trust = ketqua::verify::TrustConfig::default();
    trust
        .add_anchor_file_bytes(&std::fs::read(server.root_pem()).unwrap())
        .unwrap();
    let now = time::OffsetDateTime::now_utc();
    let report = ketqua::verify::verify(&issued.content, &trust, None, now);
    assert_eq!(
        report.verdict,
        ketqua::verify::Verdict::Valid,
        "{}",
        report.reason
    );
    let first_tsa_expiry = report
        .signatures
        .iter()
        .filter_map(|s| s.timestamp.as_ref())
        .filter_map(|t| t.chain.path.first())
        .map(|c| c.not_after)
        .min()
        .expect("signature timestamps");
    let later = first_tsa_expiry + time::Duration::days(1);
    let report = ketqua::verify::verify(&issued.content, &trust, None, later);
    assert_eq!(
        report.verdict,
        ketqua::verify::Verdict::Indeterminate,
        "{}",
        report.reason
    );
    assert!(
        report
            .signatures
            .iter()
            .flat_map(|s| &s.findings)
            .any(|f| f.code == "timestamp_lapsed"),
        "{}",
        report.reason
    );
    assert!(report.reason.contains("expired"), "{}", report.reason);
    let report = ketqua::verify::verify(&renewed.content, &trust, None, later);
    assert_eq!(
        report.verdict,
        ketqua::verify::Verdict::Valid,
        "{}",
        report.reason
    );
    let looked =
        ketqua::proto::v1::verification_client::VerificationClient::new(server.channel().await)
            .lookup_result(pb::LookupResultRequest {
                result_code: result_code.clone(),
            })
            .await
            .unwrap()
            .into_inner();
    assert_eq!(looked.sha256, issued_sha);
    assert_eq!(looked.renewed_sha256, vec![renewed_sha.clone()]);

    // Renewed until the new TSA certificate expires, and the sweep remembers it: the next one
    // with the same window does not even read the result again.
    let (ok, out) = renew(&server, "4000", &[]);
    assert!(ok && out.contains("renew: 0 results examined"), "{out}");

    // The package carries both versions with the renewal's log proof; fsck agrees.
    let pkg = dir.path().join("renewed.zip");
    let (ok, out) = export(&server, &code, &pkg);
    assert!(ok, "{out}");
    let (ok, out) = verify(&server, &pkg);
    assert!(ok, "{out}");
    let package_bytes = std::fs::read(&pkg).unwrap();
    let files = package::read_all(&package_bytes).unwrap();
    assert!(files
        .iter()
        .any(|(name, _)| name.ends_with(&format!("{result_code}.renewal-01.pdf"))));
    // A renewal that does not extend the issued file is named.
    let forged = dir.path().join("forged.zip");
    tamper(&pkg, &forged, true, |name, data| {
        if name.ends_with("renewal-01.pdf") {
            data[10] ^= 1;
        }
    });
    let (ok, out) = verify(&server, &forged);
    assert!(
        !ok && out.contains("does not extend the previous version"),
        "{out}"
    );
    let (ok, out) = fsck(&server);
    assert!(ok, "{out}");
}

on_both_backends!(
    export_and_verify_packages,
    fsck_names_each_corruption,
    fsck_names_corruption_of_blobs_in_the_database,
    documents_are_files_by_default,
    documents_stay_in_the_database_when_configured,
    revocation_and_reuse,
    renewal_keeps_results_provable
);
