//! What a citizen and a department see of a dossier's deadlines: `Extend` (a later due date
//! with the apology's reason, signed into the chain), the waits for missing papers that do not
//! count as processing time, and the public `Track` — dates and departments, never officials,
//! documents or notes, the applicant's name only with their identifier.

mod common;

use common::*;
use ketqua::proto::v1::{self as pb, dossiers_client::DossiersClient};
use tonic::{transport::Channel, Code};

const RECEIVER: &str = "stp-receiver";
const APPRAISER: &str = "stp-appraiser";
const APPROVER: &str = "stp-approver";
const APPLICANT_ID: &str = "001099012345";
const APPLICANT_NAME: &str = "Nguyễn Văn An";

type Client = DossiersClient<Channel>;

fn extend_request(code: &str, credential: &str, days: u32) -> pb::ExtendRequest {
    pb::ExtendRequest {
        request_id: request_id("extend"),
        credential_id: credential.to_owned(),
        dossier_code: code.to_owned(),
        reason: "Cần xác minh thêm thông tin tại cơ quan công an; xin lỗi ông/bà vì sự chậm trễ"
            .to_owned(),
        new_due_date: String::new(),
        working_days: days,
        documents: Vec::new(),
    }
}

async fn track(client: &mut Client, code: &str, applicant_id: &str) -> pb::Progress {
    client
        .track(pb::TrackRequest {
            dossier_code: code.to_owned(),
            applicant_id: applicant_id.to_owned(),
        })
        .await
        .expect("track")
        .into_inner()
}

async fn receive(client: &mut Client) -> String {
    client
        .receive(receive_request(JUDICIAL_RECORD, RECEIVER))
        .await
        .expect("receive")
        .into_inner()
        .dossier_code
}

async fn an_extension_moves_the_due_date_and_keeps_the_state(backend: Backend) {
    let Some(server) = Server::start_on(backend, &[]).await else {
        return;
    };
    let mut client = server.dossiers().await;
    let code = receive(&mut client).await;
    client
        .appraise(step_request(&code, APPRAISER, "Đủ điều kiện"))
        .await
        .unwrap();
    let before = get_dossier(&mut client, &code).await;

    // 60 working days from today is later than any due date the catalog gives.
    let request = extend_request(&code, APPROVER, 60);
    let receipt = client.extend(request.clone()).await.unwrap().into_inner();
    assert_eq!(
        receipt.state(),
        pb::DossierState::Appraised,
        "the state stays"
    );
    assert!(
        receipt.due_date > before.due_date,
        "{} after {}",
        receipt.due_date,
        before.due_date
    );
    let record = receipt.record.clone().unwrap().decoded.unwrap();
    assert_eq!(record.step(), pb::Step::Extend);
    assert_eq!(record.decision, "extended");
    assert_eq!(record.previous_due_date, before.due_date);
    assert_eq!(record.due_date, receipt.due_date);
    assert_eq!(record.note, request.reason);

    // A retry answers the first receipt, though the date is no longer "later" than the current.
    let again = client.extend(request.clone()).await.unwrap().into_inner();
    assert_eq!(again.record, receipt.record);

    let dossier = get_dossier(&mut client, &code).await;
    assert_eq!(dossier.due_date, receipt.due_date);
    assert_eq!(dossier.timeliness(), pb::Timeliness::OnTime);
    assert_eq!(dossier.state(), pb::DossierState::Appraised);
    assert_eq!(dossier.records.len(), 3);
    assert_eq!(
        dossier.extensions,
        vec![pb::Extension {
            extended_on: dossier.extensions[0].extended_on.clone(),
            previous_due_date: before.due_date.clone(),
            new_due_date: receipt.due_date.clone(),
            reason: request.reason.clone(),
            record_sequence: 3,
        }]
    );
    // The allowed steps are the appraised dossier's, Extend among them.
    assert!(dossier.allowed_steps.contains(&(pb::Step::Extend as i32)));
    assert_chain(&code, &dossier);

    // The flow goes on under the new date, and the dossier finishes on time by it.
    client
        .approve(step_request(&code, APPROVER, "Đồng ý"))
        .await
        .unwrap();
    let dated = pb::ExtendRequest {
        new_due_date: "2099-01-01".to_owned(),
        working_days: 0,
        ..extend_request(&code, APPRAISER, 0)
    };
    let status = client.extend(dated).await.unwrap_err();
    assert_eq!(status.code(), Code::InvalidArgument, "{status:?}");
    assert!(status.message().contains("working days"), "{status:?}");
    client.sign(sign_request(&code, APPROVER)).await.unwrap();
    client
        .r#return(step_request(&code, RECEIVER, "Đã trả"))
        .await
        .unwrap();
    let done = get_dossier(&mut client, &code).await;
    assert_eq!(done.timeliness(), pb::Timeliness::FinishedOnTime);
    assert_eq!(done.extensions.len(), 1);
}

async fn bad_extensions_are_refused_and_write_nothing_but_the_audit_line(backend: Backend) {
    let Some(server) = Server::start_on(backend, &[]).await else {
        return;
    };
    let mut client = server.dossiers().await;
    let code = receive(&mut client).await;
    let due = get_dossier(&mut client, &code).await.due_date;

    refused_without_trace!(
        server,
        "a receiver may not extend",
        Code::PermissionDenied,
        client.extend(extend_request(&code, RECEIVER, 30))
    );
    refused_without_trace!(
        server,
        "another department may not extend",
        Code::PermissionDenied,
        client.extend(extend_request(&code, "skhdt-appraiser", 30))
    );
    let status = refused_without_trace!(
        server,
        "the same due date",
        Code::InvalidArgument,
        client.extend(pb::ExtendRequest {
            new_due_date: due.clone(),
            working_days: 0,
            ..extend_request(&code, APPRAISER, 0)
        })
    );
    assert!(status.message().contains("not later"), "{status:?}");
    refused_without_trace!(
        server,
        "an earlier date",
        Code::InvalidArgument,
        client.extend(pb::ExtendRequest {
            new_due_date: "2020-01-01".to_owned(),
            working_days: 0,
            ..extend_request(&code, APPRAISER, 0)
        })
    );
    refused_without_trace!(
        server,
        "no new date",
        Code::InvalidArgument,
        client.extend(extend_request(&code, APPRAISER, 0))
    );
    refused_without_trace!(
        server,
        "both a date and working days",
        Code::InvalidArgument,
        client.extend(pb::ExtendRequest {
            new_due_date: "2099-01-01".to_owned(),
            ..extend_request(&code, APPRAISER, 30)
        })
    );
    refused_without_trace!(
        server,
        "a malformed date",
        Code::InvalidArgument,
        client.extend(pb::ExtendRequest {
            new_due_date: "31/12/2026".to_owned(),
            working_days: 0,
            ..extend_request(&code, APPRAISER, 0)
        })
    );
    refused_without_trace!(
        server,
        "no reason",
        Code::InvalidArgument,
        client.extend(pb::ExtendRequest {
            reason: "  ".to_owned(),
            ..extend_request(&code, APPRAISER, 30)
        })
    );
    refused_without_trace!(
        server,
        "a malformed dossier code",
        Code::InvalidArgument,
        client.extend(extend_request("not-a-code", APPRAISER, 30))
    );
    refused_without_trace!(
        server,
        "an unknown dossier",
        Code::NotFound,
        client.extend(extend_request("000.00.12.H47-261122-9999", APPRAISER, 30))
    );
    // Extend is not offered through PrepareStep: it has its own request.
    refused_without_trace!(
        server,
        "extend through PrepareStep",
        Code::InvalidArgument,
        client.prepare_step(pb::PrepareStepRequest {
            step: pb::Step::Extend as i32,
            request: Some(step_request(&code, APPRAISER, "Gia hạn")),
        })
    );

    client
        .request_supplement(step_request(&code, RECEIVER, "Thiếu bản chụp hộ chiếu"))
        .await
        .unwrap();
    let status = refused_without_trace!(
        server,
        "waiting for the applicant",
        Code::FailedPrecondition,
        client.extend(extend_request(&code, APPRAISER, 30))
    );
    assert!(
        status.message().contains("supplement_requested"),
        "{status:?}"
    );
    client
        .withdraw(step_request(&code, RECEIVER, "Công dân xin rút"))
        .await
        .unwrap();
    refused_without_trace!(
        server,
        "a finished dossier",
        Code::FailedPrecondition,
        client.extend(extend_request(&code, APPRAISER, 30))
    );
}

async fn the_public_sees_dates_and_departments_the_applicant_also_their_name(backend: Backend) {
    let Some(server) = Server::start_on(backend, &[]).await else {
        return;
    };
    let mut client = server.dossiers().await;
    let code = receive(&mut client).await;
    let missing = "Thiếu bản chụp hộ chiếu của người yêu cầu";
    client
        .request_supplement(step_request(&code, APPRAISER, missing))
        .await
        .unwrap();

    let waiting = track(&mut client, &code, "").await;
    assert_eq!(waiting.state(), pb::DossierState::SupplementRequested);
    assert_eq!(waiting.state_name, "chờ bổ sung hồ sơ");
    assert_eq!(waiting.national_status, 5);
    assert_eq!(
        waiting.timeliness(),
        pb::Timeliness::AwaitingApplicant,
        "waiting for papers is not overdue"
    );
    assert_eq!(waiting.supplement_waits.len(), 1);
    assert!(waiting.supplement_waits[0].received_on.is_empty());
    assert_eq!(waiting.department_name, "Sở Tư pháp tỉnh Quảng Ninh");
    assert!(!waiting.applicant_verified);
    assert!(waiting.applicant_name.is_empty());
    assert_eq!(waiting.steps.len(), 2);
    for step in &waiting.steps {
        assert!(step.note.is_empty(), "no notes without the identifier");
        assert_eq!(step.department, "Sở Tư pháp tỉnh Quảng Ninh");
    }
    // Nothing the public view carries names an official, a credential or a document.
    let encoded = format!("{waiting:?}");
    let officials: Vec<String> = get_dossier(&mut client, &code)
        .await
        .records
        .iter()
        .map(|r| r.decoded.clone().unwrap().actor.unwrap().name)
        .collect();
    let secrets = [APPLICANT_NAME, "hộ chiếu", "Tờ khai", APPLICANT_ID, "stp-"];
    for secret in officials.iter().map(String::as_str).chain(secrets) {
        assert!(!encoded.contains(secret), "{secret:?} in {encoded}");
    }

    let wrong = track(&mut client, &code, "079099000000").await;
    assert!(!wrong.applicant_verified);
    assert!(wrong.applicant_name.is_empty());
    let mine = track(&mut client, &code, &format!(" {APPLICANT_ID} ")).await;
    assert!(mine.applicant_verified);
    assert_eq!(mine.applicant_name, APPLICANT_NAME);
    assert_eq!(
        mine.steps[1].note, missing,
        "the applicant sees what is missing"
    );
    assert!(
        mine.steps[0].note.is_empty(),
        "the desk's own note stays internal"
    );

    // The papers arrive: the wait closes and the processing time restarts.
    let mut again = receive_request(JUDICIAL_RECORD, RECEIVER);
    again.supplement_of = code.clone();
    client.receive(again).await.unwrap();
    client
        .appraise(step_request(&code, APPRAISER, "Đủ điều kiện"))
        .await
        .unwrap();
    client
        .extend(extend_request(&code, APPRAISER, 60))
        .await
        .unwrap();
    client
        .approve(step_request(&code, APPROVER, "Đồng ý"))
        .await
        .unwrap();
    client.sign(sign_request(&code, APPROVER)).await.unwrap();
    client
        .r#return(step_request(&code, RECEIVER, "Đã trả"))
        .await
        .unwrap();
    let done = track(&mut client, &code, "").await;
    assert_eq!(done.state(), pb::DossierState::Returned);
    assert_eq!(done.timeliness(), pb::Timeliness::FinishedOnTime);
    assert_eq!(done.supplement_waits.len(), 1);
    assert!(!done.supplement_waits[0].received_on.is_empty());
    assert_eq!(done.extensions.len(), 1, "the public sees the extension");
    assert!(done.extensions[0].reason.contains("xin lỗi"));
    let steps: Vec<pb::Step> = done.steps.iter().map(|s| s.step()).collect();
    assert_eq!(
        steps,
        [
            pb::Step::Receive,
            pb::Step::RequestSupplement,
            pb::Step::Receive,
            pb::Step::Appraise,
            pb::Step::Extend,
            pb::Step::Approve,
            pb::Step::Sign,
            pb::Step::Return,
        ]
    );
    assert_eq!(done.results.len(), 1);
    let result = &done.results[0];
    assert!(result.result_code.starts_with(&code), "{result:?}");
    assert_eq!(result.status, "valid");
    assert_eq!(result.verify_path, format!("/v/{}", result.result_code));

    // Bad codes: a precise status, nothing written but the audit line.
    refused_without_trace!(
        server,
        "a malformed code",
        Code::InvalidArgument,
        client.track(pb::TrackRequest {
            dossier_code: "000.00.12.H47-261322-0001".to_owned(),
            applicant_id: String::new(),
        })
    );
    refused_without_trace!(
        server,
        "an unknown dossier",
        Code::NotFound,
        client.track(pb::TrackRequest {
            dossier_code: "000.00.12.H47-261122-9999".to_owned(),
            applicant_id: String::new(),
        })
    );
    refused_without_trace!(
        server,
        "an identifier longer than any",
        Code::InvalidArgument,
        client.track(pb::TrackRequest {
            dossier_code: code.clone(),
            applicant_id: "9".repeat(65),
        })
    );
}

on_both_backends!(
    an_extension_moves_the_due_date_and_keeps_the_state,
    bad_extensions_are_refused_and_write_nothing_but_the_audit_line,
    the_public_sees_dates_and_departments_the_applicant_also_their_name,
);
