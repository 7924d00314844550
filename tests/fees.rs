//! Fees (national status 6, *chờ thanh toán*): a procedure whose fee falls due at receipt
//! waits before processing, one whose fee falls due after approval waits before signing;
//! `RecordPayment` takes exactly the fee, by cash, bank transfer or QR payment, signs the
//! record and a sealed fee receipt, and the dossier moves on. Bad payments are refused with
//! nothing written but the audit line.

mod common;

use common::*;
use ketqua::proto::v1 as pb;
use tonic::Code;

/// Đăng ký thành lập công ty TNHH một thành viên: 50.000 đồng, due at receipt.
const COMPANY: &str = "2.002034";
/// Đăng ký hoạt động của tổ chức hành nghề luật sư: 100.000 đồng, due after approval.
const LAW_FIRM: &str = "1.008725";

fn payment(
    code: &str,
    amount: u64,
    method: pb::PaymentMethod,
    reference: &str,
) -> pb::RecordPaymentRequest {
    pb::RecordPaymentRequest {
        request_id: request_id("pay"),
        credential_id: "skhdt-receiver".to_owned(),
        dossier_code: code.to_owned(),
        amount_vnd: amount,
        method: method as i32,
        reference: reference.to_owned(),
        note: String::new(),
    }
}

async fn a_fee_due_at_receipt_holds_processing_until_paid(backend: Backend) {
    let Some(server) = Server::start_on(backend, &[]).await else {
        return;
    };
    let mut client = server.dossiers().await;
    let received = client
        .receive(receive_request(COMPANY, "skhdt-receiver"))
        .await
        .unwrap()
        .into_inner();
    let code = received.dossier_code.clone();
    assert_eq!(received.state(), pb::DossierState::FeesDue);
    let dossier = get_dossier(&mut client, &code).await;
    assert_eq!(dossier.national_status, 6);
    assert_eq!(dossier.timeliness(), pb::Timeliness::AwaitingApplicant);
    let fee = dossier.fee.clone().unwrap();
    assert_eq!(
        (fee.amount_vnd, fee.due.as_str(), fee.paid),
        (50_000, "at_receipt", false)
    );
    assert!(dossier
        .allowed_steps
        .contains(&(pb::Step::RecordPayment as i32)));
    assert!(!dossier.allowed_steps.contains(&(pb::Step::Appraise as i32)));

    let status = refused_without_trace!(
        server,
        "appraising an unpaid dossier",
        Code::FailedPrecondition,
        client.appraise(step_request(&code, "skhdt-appraiser", "Đủ"))
    );
    assert!(status.message().contains("fees_due"), "{status:?}");
    let status = refused_without_trace!(
        server,
        "the wrong amount",
        Code::InvalidArgument,
        client.record_payment(payment(&code, 40_000, pb::PaymentMethod::Cash, ""))
    );
    assert!(status.message().contains("50.000 đồng"), "{status:?}");
    refused_without_trace!(
        server,
        "a transfer without its reference",
        Code::InvalidArgument,
        client.record_payment(payment(&code, 50_000, pb::PaymentMethod::BankTransfer, ""))
    );
    refused_without_trace!(
        server,
        "no method",
        Code::InvalidArgument,
        client.record_payment(payment(&code, 50_000, pb::PaymentMethod::Unspecified, ""))
    );
    refused_without_trace!(
        server,
        "an appraiser taking the money",
        Code::PermissionDenied,
        client.record_payment(pb::RecordPaymentRequest {
            credential_id: "skhdt-appraiser".to_owned(),
            ..payment(&code, 50_000, pb::PaymentMethod::Cash, "")
        })
    );

    let request = payment(
        &code,
        50_000,
        pb::PaymentMethod::QrPayment,
        "VQR-261205-000123",
    );
    let paid = client
        .record_payment(request.clone())
        .await
        .unwrap()
        .into_inner();
    assert_eq!(
        paid.state(),
        pb::DossierState::Received,
        "processing starts"
    );
    let record = paid.record.clone().unwrap().decoded.unwrap();
    assert_eq!(record.step(), pb::Step::RecordPayment);
    assert_eq!(record.decision, "paid");
    let recorded = record.payment.clone().unwrap();
    assert_eq!(recorded.amount_vnd, 50_000);
    assert_eq!(recorded.method(), pb::PaymentMethod::QrPayment);
    assert_eq!(recorded.reference, "VQR-261205-000123");
    assert_eq!(recorded.fee_name, "Lệ phí đăng ký doanh nghiệp");
    // The sealed fee receipt, named in the record.
    assert_eq!(paid.forms.len(), 1);
    let receipt = &paid.forms[0];
    assert_eq!(receipt.form, "BL");
    let sha = receipt.digest.clone().unwrap().sha256;
    assert!(record.documents.iter().any(|d| d.sha256 == sha));
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("bien-lai.pdf");
    std::fs::write(&file, &receipt.content).unwrap();
    if let Some((valid, report)) = pyhanko_judge(&server.root_pem(), &file) {
        assert!(valid, "pyHanko on the fee receipt: {report}");
    }
    if let Some(report) = pdfsig(&file) {
        assert_eq!(report.matches("Signature is Valid.").count(), 2, "{report}");
    }
    if let Some(text) = pdf_text(&file) {
        for expected in [
            "BIÊN LAI THU PHÍ, LỆ PHÍ",
            "50.000 đồng",
            "thanh toán qua mã QR",
            "VQR-261205-000123",
            code.as_str(),
        ] {
            assert!(
                text.contains(expected),
                "{expected:?} not on the receipt: {text}"
            );
        }
    }
    // A retry answers the first receipt; a second payment finds nothing owed.
    let again = client.record_payment(request).await.unwrap().into_inner();
    assert_eq!(again.record, paid.record);
    assert_eq!(again.forms, paid.forms);
    refused_without_trace!(
        server,
        "paying twice",
        Code::FailedPrecondition,
        client.record_payment(payment(&code, 50_000, pb::PaymentMethod::Cash, ""))
    );
    let dossier = get_dossier(&mut client, &code).await;
    assert!(dossier.fee.clone().unwrap().paid);
    assert_eq!(dossier.timeliness(), pb::Timeliness::OnTime);
    // The public sees that it is paid, not the payment's reference.
    let progress = client
        .track(pb::TrackRequest {
            dossier_code: code.clone(),
            applicant_id: String::new(),
        })
        .await
        .unwrap()
        .into_inner();
    let fee = progress.fee.unwrap();
    assert!(fee.paid);
    assert!(fee.payment.unwrap().reference.is_empty());
    client
        .appraise(step_request(&code, "skhdt-appraiser", "Đủ điều kiện"))
        .await
        .expect("processing goes on once paid");

    // A dossier that owes nothing; an unpaid one may be withdrawn or refused.
    let free = client
        .receive(receive_request(ENTERPRISE, "skhdt-receiver"))
        .await
        .unwrap()
        .into_inner()
        .dossier_code;
    let status = refused_without_trace!(
        server,
        "paying for a procedure without a fee",
        Code::FailedPrecondition,
        client.record_payment(payment(&free, 50_000, pb::PaymentMethod::Cash, ""))
    );
    assert!(status.message().contains("owes nothing"), "{status:?}");
    let unpaid = client
        .receive(receive_request(COMPANY, "skhdt-receiver"))
        .await
        .unwrap()
        .into_inner()
        .dossier_code;
    let withdrawn = client
        .withdraw(step_request(
            &unpaid,
            "skhdt-receiver",
            "Công dân xin rút hồ sơ",
        ))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(withdrawn.state(), pb::DossierState::Withdrawn);
    let refused = client
        .receive(receive_request(COMPANY, "skhdt-receiver"))
        .await
        .unwrap()
        .into_inner()
        .dossier_code;
    let refusal = client
        .refuse(step_request(
            &refused,
            "skhdt-receiver",
            "Không nộp lệ phí trong thời hạn",
        ))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(refusal.state(), pb::DossierState::Refused);
}

async fn a_fee_due_after_approval_holds_the_signature_until_paid(backend: Backend) {
    let Some(server) = Server::start_on(backend, &[]).await else {
        return;
    };
    let mut client = server.dossiers().await;
    let code = client
        .receive(receive_request(LAW_FIRM, "stp-receiver"))
        .await
        .unwrap()
        .into_inner()
        .dossier_code;
    let step = |credential: &str, note: &str| step_request(&code, credential, note);
    client.appraise(step("stp-appraiser", "Đủ")).await.unwrap();
    let approved = client
        .approve(step("stp-approver", "Đồng ý"))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(approved.state(), pb::DossierState::FeesDueAfterApproval);
    let status = client
        .sign(sign_request(&code, "stp-approver"))
        .await
        .unwrap_err();
    assert_eq!(status.code(), Code::FailedPrecondition, "{status:?}");
    let paid = client
        .record_payment(pb::RecordPaymentRequest {
            credential_id: "stp-receiver".to_owned(),
            ..payment(&code, 100_000, pb::PaymentMethod::Cash, "")
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(paid.state(), pb::DossierState::Approved);
    client
        .sign(sign_request(&code, "stp-approver"))
        .await
        .unwrap();
    let returned = client
        .r#return(step("stp-receiver", "Đã trả"))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(returned.state(), pb::DossierState::Returned);
    let dossier = get_dossier(&mut client, &code).await;
    assert!(dossier.fee.as_ref().unwrap().paid);
    assert_chain(&code, &dossier);
}

on_both_backends!(
    a_fee_due_at_receipt_holds_processing_until_paid,
    a_fee_due_after_approval_holds_the_signature_until_paid,
);
