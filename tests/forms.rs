//! The procedure's papers from outside: the five steps with a supplement and an extension
//! (forms 01, 02, 01 again, 04, 05), and a refusal (03), each form in its step's receipt — signed (pyHanko judges it), readable
//! (`pdftotext` gives the Vietnamese back), its QR code leading to the progress page (zbarimg)
//! — archived with its step, named in the record where the record came after it, fetched
//! again by `GetDocument` and answered again on a retry.

mod common;

use std::path::Path;

use common::*;
use ketqua::proto::v1 as pb;
use tonic::Code;

const RECEIVER: &str = "stp-receiver";
const APPRAISER: &str = "stp-appraiser";
const APPROVER: &str = "stp-approver";

/// A directory for one test's files, named like `tempfile::TempDir`'s.
struct Dir(std::path::PathBuf);

impl Dir {
    fn path(&self) -> &Path {
        &self.0
    }
}

/// Checks one form from outside and returns its text.
fn judge_form(server: &Server, dir: &Path, form: &pb::FormDocument, name: &str) -> String {
    let number = &name[..2];
    assert_eq!(form.form, number);
    let digest = form.digest.clone().unwrap();
    assert!(
        digest.name.starts_with(&format!("Mẫu số {number} - ")),
        "{}",
        digest.name
    );
    assert_eq!(
        digest.sha256,
        ketqua::crypto::sha256(&form.content).to_vec()
    );
    let file = dir.join(format!("form-{name}.pdf"));
    std::fs::write(&file, &form.content).unwrap();
    if let Some((valid, report)) = pyhanko_judge(&server.root_pem(), &file) {
        assert!(valid, "pyHanko on form {number}: {report}");
    }
    let text = pdf_text(&file).unwrap_or_default();
    if let Some(qr) = qr_of_first_page(&file) {
        assert!(
            qr.contains("/d/"),
            "form {number}'s QR code leads to the progress page: {qr}"
        );
    }
    text
}

async fn every_step_that_owes_a_paper_signs_it(backend: Backend) {
    let Some(server) = Server::start_on(backend, &[]).await else {
        return;
    };
    // Kept for a look (with the first pages as PNG): target/tmp/forms/<backend>/.
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR"))
        .join("forms")
        .join(format!("{backend:?}").to_lowercase());
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let dir = Dir(dir);
    let mut client = server.dossiers().await;

    // 01 at Receive: the papers received, the due date, the QR code of the progress page.
    let request = receive_request(JUDICIAL_RECORD, RECEIVER);
    let received = client.receive(request.clone()).await.unwrap().into_inner();
    let code = received.dossier_code.clone();
    assert_eq!(received.forms.len(), 1, "{:?}", received.forms);
    let slip = &received.forms[0];
    assert_eq!(slip.record_sequence, 1);
    let text = judge_form(&server, dir.path(), slip, "01");
    if !text.is_empty() {
        for expected in [
            "GIẤY TIẾP NHẬN HỒ SƠ VÀ HẸN TRẢ KẾT QUẢ",
            code.as_str(),
            "Nguyễn Văn An",
            "Tờ khai yêu cầu cấp Phiếu lý lịch tư pháp",
            "Bản chụp Căn cước công dân",
            "Thời gian trả kết quả",
        ] {
            assert!(
                text.contains(expected),
                "{expected:?} not in form 01: {text}"
            );
        }
        let (y, m, d) = {
            let p: Vec<&str> = received.due_date.split('-').collect();
            (p[0].to_owned(), p[1].to_owned(), p[2].to_owned())
        };
        assert!(
            text.contains(&format!("{d}/{m}/{y}")),
            "the due date on form 01: {text}"
        );
    }
    // A retry answers the same slip; GetDocument and Get find it with the first record.
    let again = client.receive(request).await.unwrap().into_inner();
    assert_eq!(again.forms, received.forms);
    let fetched = client
        .get_document(pb::GetDocumentRequest {
            dossier_code: code.clone(),
            sha256: slip.digest.clone().unwrap().sha256,
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(fetched.content, slip.content);
    assert_eq!(fetched.media_type, "application/pdf");
    let listed = get_dossier(&mut client, &code).await;
    assert!(listed.documents.iter().any(|d| {
        d.record_sequence == 1
            && d.digest.as_ref().unwrap().sha256 == slip.digest.clone().unwrap().sha256
    }));

    // 02 at RequestSupplement: what is missing; named in the step's signed record.
    let missing = "Bản sao hộ chiếu còn hạn của người yêu cầu";
    let supplement = client
        .request_supplement(step_request(&code, APPRAISER, missing))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(supplement.forms.len(), 1);
    let text = judge_form(&server, dir.path(), &supplement.forms[0], "02");
    if !text.is_empty() {
        assert!(
            text.contains("PHIẾU YÊU CẦU BỔ SUNG, HOÀN THIỆN HỒ SƠ"),
            "{text}"
        );
        assert!(text.contains(missing), "{text}");
    }
    let record = supplement.record.clone().unwrap().decoded.unwrap();
    assert!(
        record
            .documents
            .iter()
            .any(|d| d.sha256 == supplement.forms[0].digest.clone().unwrap().sha256),
        "the record names form 02"
    );

    // The papers arrive: a new slip for the re-receipt.
    let mut again = receive_request(JUDICIAL_RECORD, RECEIVER);
    again.supplement_of = code.clone();
    again.documents = vec![pdf_document("Bản sao hộ chiếu", "ho chieu")];
    let re_received = client.receive(again).await.unwrap().into_inner();
    assert_eq!(re_received.forms.len(), 1);
    assert_eq!(re_received.forms[0].record_sequence, 3);
    let text = judge_form(&server, dir.path(), &re_received.forms[0], "01-again");
    if !text.is_empty() {
        assert!(text.contains("Bản sao hộ chiếu"), "{text}");
    }

    // 04 at Extend: the apology, signed by the official and sealed, with both dates.
    client
        .appraise(step_request(&code, APPRAISER, "Đủ điều kiện"))
        .await
        .unwrap();
    let reason = "Cần xác minh thêm thông tin tại cơ quan công an";
    let extended = client
        .extend(pb::ExtendRequest {
            request_id: request_id("extend"),
            credential_id: APPROVER.to_owned(),
            dossier_code: code.clone(),
            reason: reason.to_owned(),
            working_days: 30,
            ..pb::ExtendRequest::default()
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(extended.forms.len(), 1);
    let apology = &extended.forms[0];
    let text = judge_form(&server, dir.path(), apology, "04");
    if !text.is_empty() {
        assert!(
            text.contains("PHIẾU XIN LỖI VÀ HẸN LẠI NGÀY TRẢ KẾT QUẢ"),
            "{text}"
        );
        assert!(text.contains(reason), "{text}");
        assert!(text.contains("xin lỗi"), "{text}");
    }
    if let Some(report) = pdfsig(&dir.path().join("form-04.pdf")) {
        assert_eq!(
            report.matches("Signature is Valid.").count(),
            2,
            "the official and the seal: {report}"
        );
    }

    // Forms are fetched again by number; the control sheet so far comes under the seal.
    let form = |number: &str| pb::GetFormRequest {
        dossier_code: code.clone(),
        form: number.to_owned(),
    };
    let again = client.get_form(form("04")).await.unwrap().into_inner();
    assert_eq!(again, extended.forms[0]);
    let sheet = client.get_form(form("5")).await.unwrap().into_inner();
    assert_eq!(sheet.form, "05");
    let sheet_file = dir.path().join("form-05-so-far.pdf");
    std::fs::write(&sheet_file, &sheet.content).unwrap();
    if let Some(report) = pdfsig(&sheet_file) {
        assert_eq!(
            report.matches("Signature is Valid.").count(),
            1,
            "the seal: {report}"
        );
    }
    if let Some(text) = pdf_text(&sheet_file) {
        assert!(text.contains("5. gia hạn"), "{text}");
        assert!(text.contains("THỦ TRƯỞNG CƠ QUAN"), "{text}");
    }
    for (number, expected) in [
        ("03", Code::NotFound),
        ("06", Code::InvalidArgument),
        ("9", Code::InvalidArgument),
    ] {
        let status = client.get_form(form(number)).await.unwrap_err();
        assert_eq!(status.code(), expected, "{number}: {status:?}");
    }
    // The verification service judges a form as it judges a result.
    let mut verification =
        ketqua::proto::v1::verification_client::VerificationClient::new(server.channel().await);
    let report = verification
        .verify_document(tokio_stream::iter(vec![pb::VerifyDocumentRequest {
            result_code: String::new(),
            chunk: apology.content.clone(),
        }]))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(report.verdict(), pb::Verdict::Valid, "{report:?}");

    // The rest of the flow issues no form of these four; the dossier's chain stays whole.
    client
        .approve(step_request(&code, APPROVER, "Đồng ý"))
        .await
        .unwrap();
    let signed = client
        .sign(sign_request(&code, APPROVER))
        .await
        .unwrap()
        .into_inner();
    assert!(signed.forms.is_empty());
    // 05 at Return: every step, when the dossier came to it and was handed on, the due date
    // then in force, and whether it was on time.
    let returned = client
        .r#return(step_request(&code, RECEIVER, "Đã trả kết quả"))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(returned.forms.len(), 1);
    let archived = client.get_form(form("05")).await.unwrap().into_inner();
    assert_eq!(
        archived, returned.forms[0],
        "once returned, the archived sheet"
    );
    let text = judge_form(&server, dir.path(), &returned.forms[0], "05");
    if !text.is_empty() {
        assert!(
            text.contains("PHIẾU KIỂM SOÁT QUÁ TRÌNH GIẢI QUYẾT HỒ SƠ"),
            "{text}"
        );
        for step in [
            "1. tiếp nhận",
            "2. yêu cầu bổ sung",
            "3. tiếp nhận",
            "4. thẩm định",
            "5. gia hạn",
            "6. phê duyệt",
            "7. ký số",
            "8. trả kết quả",
        ] {
            assert!(text.contains(step), "{step:?} not on form 05: {text}");
        }
        assert!(text.contains("trước hạn"), "{text}");
        assert!(!text.contains("quá hạn"), "{text}");
    }
    let dossier = get_dossier(&mut client, &code).await;
    assert_chain(&code, &dossier);
}

async fn a_refusal_gives_its_reasons_on_form_03(backend: Backend) {
    let Some(server) = Server::start_on(backend, &[]).await else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let mut client = server.dossiers().await;
    let code = client
        .receive(receive_request(JUDICIAL_RECORD, RECEIVER))
        .await
        .unwrap()
        .into_inner()
        .dossier_code;
    let reasons = "Hồ sơ không thuộc thẩm quyền giải quyết của Sở Tư pháp";
    let refused = client
        .refuse(step_request(&code, RECEIVER, reasons))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(refused.forms.len(), 1);
    let text = judge_form(&server, dir.path(), &refused.forms[0], "03");
    if !text.is_empty() {
        assert!(
            text.contains("PHIẾU TỪ CHỐI TIẾP NHẬN, GIẢI QUYẾT HỒ SƠ"),
            "{text}"
        );
        assert!(text.contains(reasons), "{text}");
    }
    let status = client
        .get_document(pb::GetDocumentRequest {
            dossier_code: code.clone(),
            sha256: vec![0; 32],
        })
        .await
        .unwrap_err();
    assert_eq!(status.code(), Code::NotFound, "{status:?}");
    let status = client
        .get_document(pb::GetDocumentRequest {
            dossier_code: code.clone(),
            sha256: vec![0; 5],
        })
        .await
        .unwrap_err();
    assert_eq!(status.code(), Code::InvalidArgument, "{status:?}");
}

on_both_backends!(
    every_step_that_owes_a_paper_signs_it,
    a_refusal_gives_its_reasons_on_form_03,
);

/// The default catalog with `extra` after the judicial record's result_document line.
fn catalog_with(extra: &str) -> String {
    let base = include_str!("../src/flow/default_catalog.toml");
    let line = "result_document = \"Phiếu lý lịch tư pháp số 1\"\n";
    assert!(base.contains(line));
    base.replacen(line, &format!("{line}{extra}\n"), 1)
}

#[tokio::test]
async fn a_procedure_may_word_its_forms_and_a_broken_template_stops_serve() {
    let dir = tempfile::tempdir().unwrap();
    let custom = dir.path().join("catalog.toml");
    std::fs::write(
        &custom,
        catalog_with(
            "forms.\"02\" = { title = \"THÔNG BÁO BỔ SUNG HỒ SƠ\", body = [\"Kính gửi ông/bà {applicant_name}: xin bổ sung {missing}\", \"Hỏi tại {desk}.\"] }",
        ),
    )
    .unwrap();
    let server = Server::start_with(&["--catalog", custom.to_str().unwrap()]);
    let mut client = server.dossiers().await;
    let code = client
        .receive(receive_request(JUDICIAL_RECORD, RECEIVER))
        .await
        .unwrap()
        .into_inner()
        .dossier_code;
    let supplement = client
        .request_supplement(step_request(&code, RECEIVER, "ảnh chân dung 4x6"))
        .await
        .unwrap()
        .into_inner();
    let file = dir.path().join("form-02.pdf");
    std::fs::write(&file, &supplement.forms[0].content).unwrap();
    if let Some(text) = pdf_text(&file) {
        assert!(text.contains("THÔNG BÁO BỔ SUNG HỒ SƠ"), "{text}");
        assert!(
            text.contains("Kính gửi ông/bà Nguyễn Văn An: xin bổ sung ảnh chân dung 4x6."),
            "{text}"
        );
        assert!(
            !text.contains("Sau khi xem xét"),
            "the default words are replaced: {text}"
        );
    }

    // A template without what its form needs: serve refuses to start, naming it.
    let broken = dir.path().join("broken.toml");
    std::fs::write(
        &broken,
        catalog_with("forms.\"03\" = { body = [\"Không tiếp nhận.\"] }"),
    )
    .unwrap();
    let output = std::process::Command::new(BIN)
        .args(["serve", "--insecure", "--catalog"])
        .arg(&broken)
        .arg("--data-dir")
        .arg(dir.path().join("data"))
        .arg("--pki-dir")
        .arg(dir.path().join("pki"))
        .args(["--grpc-addr", "127.0.0.1:0", "--http-addr", "127.0.0.1:0"])
        .env("KETQUA_LOG", "error")
        .output()
        .unwrap();
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("procedure 2.000488: form 03") && stderr.contains("{reasons}"),
        "{stderr}"
    );
}

async fn the_tracking_register_lists_a_departments_dossiers_under_its_seal(backend: Backend) {
    let Some(server) = Server::start_on(backend, &[]).await else {
        return;
    };
    let mut client = server.dossiers().await;
    let mut codes = Vec::new();
    for _ in 0..3 {
        let received = client
            .receive(receive_request(JUDICIAL_RECORD, RECEIVER))
            .await
            .unwrap()
            .into_inner();
        codes.push(received.dossier_code);
    }
    let elsewhere = client
        .receive(receive_request(ENTERPRISE, "skhdt-receiver"))
        .await
        .unwrap()
        .into_inner()
        .dossier_code;
    client
        .refuse(step_request(&codes[0], RECEIVER, "Không thuộc thẩm quyền"))
        .await
        .unwrap();
    let day = get_dossier(&mut client, &codes[0]).await.received_on;
    let mut archive = ketqua::proto::v1::archive_client::ArchiveClient::new(server.channel().await);
    let register = archive
        .get_tracking_log(pb::GetTrackingLogRequest {
            department: "stp".to_owned(),
            from: day.clone(),
            to: day.clone(),
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(register.form, "06");
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("form-06.pdf");
    std::fs::write(&file, &register.content).unwrap();
    if let Some((valid, report)) = pyhanko_judge(&server.root_pem(), &file) {
        assert!(valid, "pyHanko on form 06: {report}");
    }
    if let Some(report) = pdfsig(&file) {
        assert_eq!(
            report.matches("Signature is Valid.").count(),
            1,
            "the seal alone: {report}"
        );
    }
    if let Some(text) = pdf_text(&file) {
        assert!(text.contains("SỔ THEO DÕI HỒ SƠ"), "{text}");
        assert!(text.contains("3 hồ sơ tiếp nhận"), "{text}");
        for code in &codes {
            assert!(
                text.contains(code.as_str()),
                "{code} not in the register: {text}"
            );
        }
        assert!(
            !text.contains(elsewhere.as_str()),
            "another department's dossier: {text}"
        );
        assert!(text.contains("đã từ chối"), "{text}");
    }
    for (department, from, to, expected) in [
        ("nowhere", day.as_str(), day.as_str(), Code::NotFound),
        ("stp", "2026-12-31", "2026-01-01", Code::InvalidArgument),
        ("stp", "01/12/2026", day.as_str(), Code::InvalidArgument),
        ("stp", "2025-01-01", "2026-12-31", Code::InvalidArgument),
    ] {
        let status = archive
            .get_tracking_log(pb::GetTrackingLogRequest {
                department: department.to_owned(),
                from: from.to_owned(),
                to: to.to_owned(),
            })
            .await
            .unwrap_err();
        assert_eq!(
            status.code(),
            expected,
            "{department} {from} {to}: {status:?}"
        );
    }
}

on_both_backends!(the_tracking_register_lists_a_departments_dossiers_under_its_seal);
