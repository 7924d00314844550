//! A dossier with two results (a licence and its decision): `Sign` signs and seals both under
//! `-KQ1` and `-KQ2`, `Return` issues both, and `Get`, `Track`, the verification service, the
//! export package, revocation and fsck handle each one.

mod common;

use common::*;
use ketqua::proto::v1::{
    self as pb, archive_client::ArchiveClient, verification_client::VerificationClient,
};
use tonic::Code;

async fn a_two_result_dossier_issues_verifies_exports_and_revokes_each(backend: Backend) {
    let Some(server) = Server::start_on(backend, &[]).await else {
        return;
    };
    let mut client = server.dossiers().await;
    let code = client
        .receive(receive_request(JUDICIAL_RECORD, "stp-receiver"))
        .await
        .unwrap()
        .into_inner()
        .dossier_code;
    let step = |c: &str, note: &str| step_request(&code, c, note);
    client.appraise(step("stp-appraiser", "Đủ")).await.unwrap();
    client
        .approve(step("stp-approver", "Đồng ý"))
        .await
        .unwrap();

    // The first result rendered from its content, the second a PDF the department made.
    let mut sign = sign_rendered_request(&code, "stp-approver");
    sign.more_results = vec![pb::ResultItem {
        result: sign_request(&code, "stp-approver").result,
        content: None,
        metadata: Some(pb::ResultMetadata {
            document_type: "Quyết định".to_owned(),
            subject: "Quyết định cấp Phiếu lý lịch tư pháp".to_owned(),
            ..pb::ResultMetadata::default()
        }),
    }];
    // Bad input first: an item with neither a PDF nor content, nothing written.
    let mut empty = sign.clone();
    empty.request_id = request_id("sign");
    empty.more_results.push(pb::ResultItem::default());
    let status = refused_without_trace!(
        server,
        "a further result without a document",
        Code::InvalidArgument,
        client.sign(empty)
    );
    assert!(status.message().contains("result document 3"), "{status:?}");

    let signed = client.sign(sign.clone()).await.unwrap().into_inner();
    let record = signed.record.clone().unwrap().decoded.unwrap();
    assert_eq!(
        record.documents.len(),
        2,
        "the Sign record names both results"
    );
    let again = client.sign(sign).await.unwrap().into_inner();
    assert_eq!(
        again.record, signed.record,
        "a retry answers the first receipt"
    );

    let returned = client
        .r#return(step("stp-receiver", "Đã trả"))
        .await
        .unwrap()
        .into_inner();
    let first = format!("{code}-KQ1");
    let second = format!("{code}-KQ2");
    assert_eq!(returned.result_code, first);
    assert_eq!(returned.result_codes, vec![first.clone(), second.clone()]);
    let record = returned.record.clone().unwrap().decoded.unwrap();
    assert_eq!(record.result_codes, vec![first.clone(), second.clone()]);

    let dossier = client
        .get(pb::GetRequest {
            dossier_code: code.clone(),
            include_result_content: true,
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(dossier.results.len(), 2);
    assert_eq!(dossier.result.clone().unwrap().result_code, first);
    let dir = tempfile::tempdir().unwrap();
    for (result, expected_type) in dossier.results.iter().zip(["Phiếu", "Quyết định"]) {
        assert!(result.issued, "{}", result.result_code);
        assert_eq!(result.pades_level, "B-LT");
        assert_eq!(
            result.metadata.clone().unwrap().document_type,
            expected_type
        );
        let file = dir.path().join(format!("{}.pdf", result.result_code));
        std::fs::write(&file, &result.content).unwrap();
        if let Some((valid, report)) = pyhanko_judge(&server.root_pem(), &file) {
            assert!(valid, "{}: {report}", result.result_code);
        }
    }
    // Each result's QR code leads to its own verification page.
    for result in &dossier.results {
        let file = dir.path().join(format!("{}.pdf", result.result_code));
        if let Some(qr) = qr_of_first_page(&file) {
            assert!(
                qr.contains(&format!("/v/{}", result.result_code)),
                "{}: {qr}",
                result.result_code
            );
        }
    }

    let progress = client
        .track(pb::TrackRequest {
            dossier_code: code.clone(),
            applicant_id: String::new(),
        })
        .await
        .unwrap()
        .into_inner();
    let issued: Vec<&str> = progress
        .results
        .iter()
        .map(|r| r.result_code.as_str())
        .collect();
    assert_eq!(issued, [first.as_str(), second.as_str()]);

    let mut verification = VerificationClient::new(server.channel().await);
    for result_code in [&first, &second] {
        let found = verification
            .lookup_result(pb::LookupResultRequest {
                result_code: result_code.clone(),
            })
            .await
            .unwrap()
            .into_inner();
        assert_eq!(found.status, "valid", "{result_code}");
    }

    // The package holds both and verifies offline.
    let pkg = dir.path().join("p.zip");
    let (ok, out) = run_ketqua(&[
        "archive",
        "export",
        "--server",
        &server.grpc,
        "--dossier",
        &code,
        "--out",
        pkg.to_str().unwrap(),
    ]);
    assert!(ok, "{out}");
    let (ok, out) = run_ketqua(&[
        "archive",
        "verify-package",
        pkg.to_str().unwrap(),
        "--trust",
        server.root_pem().to_str().unwrap(),
        "--log-key",
        server.pki_dir().join("log.pub").to_str().unwrap(),
    ]);
    assert!(ok, "{out}");
    let names: Vec<String> = ketqua::package::read_all(&std::fs::read(&pkg).unwrap())
        .unwrap()
        .into_iter()
        .map(|(n, _)| n)
        .collect();
    for result_code in [&first, &second] {
        assert!(
            names
                .iter()
                .any(|n| n.ends_with(&format!("result/{result_code}.pdf"))),
            "{result_code} not in {names:?}"
        );
    }

    // Revoking the decision leaves the licence valid.
    let mut archive = ArchiveClient::new(server.channel().await);
    archive
        .revoke_result(pb::RevokeResultRequest {
            request_id: request_id("revoke"),
            credential_id: "stp-approver".to_owned(),
            result_code: second.clone(),
            reason: "Quyết định ban hành nhầm".to_owned(),
            replacement_code: String::new(),
        })
        .await
        .unwrap();
    for (result_code, status) in [(&first, "valid"), (&second, "revoked")] {
        let found = verification
            .lookup_result(pb::LookupResultRequest {
                result_code: result_code.clone(),
            })
            .await
            .unwrap()
            .into_inner();
        assert_eq!(found.status, status, "{result_code}");
    }
    let (ok, out) = run_ketqua(&[
        "archive",
        "fsck",
        "--database",
        &server.database_url(),
        "--pki-dir",
        server.pki_dir().to_str().unwrap(),
        "--data-dir",
        server.data_dir().to_str().unwrap(),
    ]);
    assert!(ok, "fsck: {out}");
}

on_both_backends!(a_two_result_dossier_issues_verifies_exports_and_revokes_each);
