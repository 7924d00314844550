//! The five-step flow against the real server: every step signed, the history a verified hash
//! chain, forbidden transitions and permissions refused, retries idempotent, bad input
//! leaving the archive as it was, concurrency and restarts.

mod common;

use std::collections::BTreeSet;

use common::*;
use ketqua::proto::v1::{self as pb, dossiers_client::DossiersClient};
use tonic::{transport::Channel, Code};

const RECEIVER: &str = "stp-receiver";
const APPRAISER: &str = "stp-appraiser";
const APPROVER: &str = "stp-approver";
const SEAL: &str = "stp-seal";
const OTHER_RECEIVER: &str = "skhdt-receiver";
const OTHER_APPRAISER: &str = "skhdt-appraiser";

type Client = DossiersClient<Channel>;

async fn receive(client: &mut Client) -> pb::StepReceipt {
    client
        .receive(receive_request(JUDICIAL_RECORD, RECEIVER))
        .await
        .expect("receive")
        .into_inner()
}

/// Drives a fresh dossier to `target` along the shortest path and returns its code.
async fn dossier_in(client: &mut Client, target: pb::DossierState) -> String {
    use pb::DossierState as S;
    let code = receive(client).await.dossier_code;
    let step = |credential: &str, note: &str| step_request(&code, credential, note);
    match target {
        S::Received => {}
        S::SupplementRequested => {
            client
                .request_supplement(step(RECEIVER, "Thiếu bản chụp hộ chiếu"))
                .await
                .unwrap();
        }
        S::Refused => {
            client
                .refuse(step(RECEIVER, "Không thuộc thẩm quyền"))
                .await
                .unwrap();
        }
        S::Withdrawn => {
            client
                .withdraw(step(RECEIVER, "Công dân xin rút hồ sơ"))
                .await
                .unwrap();
        }
        S::Stopped => {
            client
                .stop(step(
                    APPROVER,
                    "Dừng theo yêu cầu của cơ quan có thẩm quyền",
                ))
                .await
                .unwrap();
        }
        S::Appraised | S::Approved | S::Signed | S::Returned => {
            client
                .appraise(step(APPRAISER, "Đủ điều kiện"))
                .await
                .unwrap();
            if target != S::Appraised {
                client.approve(step(APPROVER, "Đồng ý")).await.unwrap();
            }
            if matches!(target, S::Signed | S::Returned) {
                client.sign(sign_request(&code, APPROVER)).await.unwrap();
            }
            if target == S::Returned {
                client.r#return(step(RECEIVER, "Đã trả")).await.unwrap();
            }
        }
        // The judicial record has no fee: tests/fees.rs drives the fee states.
        S::Unspecified | S::FeesDue | S::FeesDueAfterApproval => unreachable!(),
    }
    code
}

async fn get(client: &mut Client, code: &str) -> pb::Dossier {
    client
        .get(pb::GetRequest {
            dossier_code: code.to_owned(),
            include_result_content: true,
        })
        .await
        .expect("get")
        .into_inner()
}

async fn the_whole_flow_signs_every_step_into_a_verified_chain(backend: Backend) {
    let Some(server) = Server::start_on(backend, &[]).await else {
        return;
    };
    let mut client = server.dossiers().await;

    let received = receive(&mut client).await;
    let code = received.dossier_code.clone();
    assert_eq!(received.state(), pb::DossierState::Received);
    assert!(code.starts_with("000.00.12.H47-"), "{code}");
    assert!(code.ends_with("-0001"), "first dossier of the day: {code}");
    assert!(!received.due_date.is_empty());

    let appraised = client
        .appraise(step_request(&code, APPRAISER, "Đủ điều kiện cấp"))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(appraised.state(), pb::DossierState::Appraised);
    let approved = client
        .approve(step_request(&code, APPROVER, "Đồng ý"))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(approved.state(), pb::DossierState::Approved);
    let sign = sign_request(&code, APPROVER);
    let result_pdf = sign.result.clone().unwrap().content;
    let signed = client.sign(sign).await.unwrap().into_inner();
    assert_eq!(signed.state(), pb::DossierState::Signed);
    let returned = client
        .r#return(step_request(&code, RECEIVER, "Đã trả kết quả"))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(returned.state(), pb::DossierState::Returned);
    assert_eq!(returned.result_code, format!("{code}-KQ1"));

    let dossier = get(&mut client, &code).await;
    assert_eq!(dossier.state(), pb::DossierState::Returned);
    assert_eq!(dossier.national_status, 10);
    assert_eq!(dossier.procedure_code, JUDICIAL_RECORD);
    assert_eq!(dossier.department, "stp");
    assert_eq!(dossier.due_date, received.due_date);
    assert_eq!(dossier.timeliness(), pb::Timeliness::FinishedOnTime);
    assert!(dossier.allowed_steps.is_empty());
    // The two papers received, the receipt slip (form 01) and the control sheet (form 05).
    assert_eq!(dossier.documents.len(), 4);
    assert_eq!(dossier.records.len(), 5);

    // Each record: the right step, actor and chain link; the receipts gave the same bytes.
    let receipts = [&received, &appraised, &approved, &signed, &returned];
    let steps = [
        pb::Step::Receive,
        pb::Step::Appraise,
        pb::Step::Approve,
        pb::Step::Sign,
        pb::Step::Return,
    ];
    let actors = [RECEIVER, APPRAISER, APPROVER, APPROVER, RECEIVER];
    let mut previous = Vec::new();
    for (index, record) in dossier.records.iter().enumerate() {
        let decoded = record.decoded.clone().unwrap();
        assert_eq!(decoded.sequence as usize, index + 1);
        assert_eq!(decoded.step(), steps[index]);
        assert_eq!(decoded.actor.clone().unwrap().credential_id, actors[index]);
        assert_eq!(decoded.dossier_code, code);
        assert_eq!(decoded.previous_record_sha256, previous);
        assert_eq!(
            record.record_sha256,
            ketqua::crypto::sha256(&record.record).to_vec()
        );
        assert_eq!(
            receipts[index].record.as_ref().unwrap().record,
            record.record
        );
        previous = record.record_sha256.clone();
    }
    let first = dossier.records[0].decoded.clone().unwrap();
    assert_eq!(first.documents.len(), 2);
    assert_eq!(first.due_date, received.due_date);
    let sign_record = dossier.records[3].decoded.clone().unwrap();
    assert_eq!(
        dossier.records[4].decoded.clone().unwrap().result_code,
        format!("{code}-KQ1")
    );

    let checked = ketqua::record::verify_chain(
        &code,
        dossier
            .records
            .iter()
            .map(|r| (r.record.as_slice(), r.signature.as_slice())),
    )
    .expect("the chain verifies");
    assert_eq!(checked, 5);

    // A tampered record or a reordered history is caught.
    let mut tampered: Vec<(Vec<u8>, Vec<u8>)> = dossier
        .records
        .iter()
        .map(|r| (r.record.clone(), r.signature.clone()))
        .collect();
    let last = tampered[2].0.len() - 1;
    tampered[2].0[last] ^= 1;
    assert!(ketqua::record::verify_chain(
        &code,
        tampered.iter().map(|(r, s)| (r.as_slice(), s.as_slice()))
    )
    .is_err());
    let mut reordered: Vec<_> = dossier
        .records
        .iter()
        .map(|r| (r.record.as_slice(), r.signature.as_slice()))
        .collect();
    reordered.swap(1, 2);
    assert!(ketqua::record::verify_chain(&code, reordered).is_err());

    // The result: the department's PDF, untouched, followed by incremental updates (QR code,
    // the signer's certification signature, the seal, the validation data): PAdES B-LT.
    let result = dossier.result.clone().unwrap();
    assert_eq!(result.result_code, format!("{code}-KQ1"));
    assert!(result.issued);
    assert_eq!(result.status, "valid");
    assert!(result.content.len() > result_pdf.len());
    assert_eq!(
        &result.content[..result_pdf.len()],
        &result_pdf[..],
        "earlier bytes never change"
    );
    assert_eq!(
        sign_record.documents[0].sha256,
        ketqua::crypto::sha256(&result.content).to_vec(),
        "the sign record names the signed result"
    );
    assert_eq!(result.page_count, 1);
    assert!(!result.signer.is_empty());

    // Every receipt proves its record's inclusion in the transparency log, under a checkpoint
    // signed with the key in <pki dir>/log.pub.
    let vkey = std::fs::read_to_string(server.pki_dir().join("log.pub")).unwrap();
    let verifier = ketqua::ledger::LogVerifier::from_vkey(vkey.trim()).unwrap();
    let mut last_size = 0;
    for receipt in receipts {
        let log = receipt.log.clone().expect("a log receipt");
        let checkpoint = log.checkpoint.clone().unwrap();
        let opened = ketqua::ledger::Checkpoint::open(&checkpoint.note, &verifier).unwrap();
        assert_eq!(opened.size, checkpoint.size);
        let record_hash = &receipt.record.as_ref().unwrap().record_sha256;
        let mut leaf_data = vec![0u8];
        leaf_data.extend_from_slice(record_hash);
        assert_eq!(
            log.leaf_hash,
            ketqua::ledger::leaf_hash(&leaf_data).to_vec()
        );
        let path: Vec<[u8; 32]> = log
            .path
            .iter()
            .map(|h| h.as_slice().try_into().unwrap())
            .collect();
        ketqua::ledger::verify_inclusion(
            log.leaf_index,
            opened.size,
            &ketqua::ledger::leaf_hash(&leaf_data),
            &path,
            &opened.root,
        )
        .expect("the inclusion proof verifies");
        assert!(opened.size > last_size, "the log only grows");
        last_size = opened.size;
    }

    // Independent judges: openssl verifies every record; pdfsig both result signatures.
    if tool_available("openssl") {
        let dir = tempfile::tempdir().unwrap();
        for record in &dossier.records {
            openssl_cms_verify(
                dir.path(),
                &server.root_pem(),
                &record.record,
                &record.signature,
            )
            .expect("openssl accepts the record signature");
        }
        let mut flipped = dossier.records[0].record.clone();
        flipped[5] ^= 0x20;
        assert!(openssl_cms_verify(
            dir.path(),
            &server.root_pem(),
            &flipped,
            &dossier.records[0].signature
        )
        .is_err());
    }
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("result.pdf");
    std::fs::write(&path, &result.content).unwrap();
    if let Some(report) = pdfsig(&path) {
        // Two signatures, both valid; the DSS revision appended after them is not signed.
        assert_eq!(report.matches("Signature is Valid.").count(), 2, "{report}");
    }
}

async fn every_forbidden_transition_is_refused_with_the_state_and_the_allowed_steps(
    backend: Backend,
) {
    use pb::DossierState as S;
    let Some(server) = Server::start_on(backend, &[]).await else {
        return;
    };
    let mut client = server.dossiers().await;
    let states = [
        S::Received,
        S::Appraised,
        S::Approved,
        S::Signed,
        S::Returned,
        S::SupplementRequested,
        S::Refused,
        S::Withdrawn,
        S::Stopped,
    ];
    for state in states {
        let code = dossier_in(&mut client, state).await;
        let before = get(&mut client, &code).await;
        assert_eq!(before.state(), state);
        let allowed: BTreeSet<i32> = before.allowed_steps.iter().copied().collect();
        let state_name = state
            .as_str_name()
            .trim_start_matches("DOSSIER_STATE_")
            .to_lowercase();
        // Try every step that is not allowed, each with the credential that could do it.
        let steps = [
            pb::Step::Appraise,
            pb::Step::Approve,
            pb::Step::Sign,
            pb::Step::Return,
            pb::Step::RequestSupplement,
            pb::Step::Refuse,
            pb::Step::Withdraw,
            pb::Step::Stop,
        ];
        for step in steps {
            if allowed.contains(&(step as i32)) {
                continue;
            }
            let outcome = match step {
                pb::Step::Appraise => client.appraise(step_request(&code, APPRAISER, "x")).await,
                pb::Step::Approve => client.approve(step_request(&code, APPROVER, "x")).await,
                pb::Step::Sign => client.sign(sign_request(&code, APPROVER)).await,
                pb::Step::Return => client.r#return(step_request(&code, RECEIVER, "x")).await,
                pb::Step::RequestSupplement => {
                    client
                        .request_supplement(step_request(&code, APPRAISER, "x"))
                        .await
                }
                pb::Step::Refuse => client.refuse(step_request(&code, APPROVER, "x")).await,
                pb::Step::Withdraw => client.withdraw(step_request(&code, RECEIVER, "x")).await,
                pb::Step::Stop => client.stop(step_request(&code, APPROVER, "x")).await,
                _ => unreachable!(),
            };
            let status = outcome.expect_err(&format!("{step:?} from {state:?} must be refused"));
            assert_eq!(
                status.code(),
                Code::FailedPrecondition,
                "{step:?} from {state:?}: {status:?}"
            );
            assert!(
                status.message().contains(&state_name),
                "the message names the current state {state_name}: {}",
                status.message()
            );
        }
        // Nothing changed.
        let after = get(&mut client, &code).await;
        assert_eq!(after.records.len(), before.records.len());
        assert_eq!(after.version, before.version);
    }
    // The message lists the allowed steps.
    let code = dossier_in(&mut client, S::SupplementRequested).await;
    let status = client
        .appraise(step_request(&code, APPRAISER, "x"))
        .await
        .unwrap_err();
    assert!(
        status.message().contains("receive") && status.message().contains("withdraw"),
        "{}",
        status.message()
    );
}

async fn supplement_then_re_receipt_continues_the_chain(backend: Backend) {
    let Some(server) = Server::start_on(backend, &[]).await else {
        return;
    };
    let mut client = server.dossiers().await;
    let code = dossier_in(&mut client, pb::DossierState::SupplementRequested).await;
    let mut again = receive_request(JUDICIAL_RECORD, RECEIVER);
    again.supplement_of = code.clone();
    again.documents = vec![pdf_document("Bản chụp hộ chiếu", "ho chieu")];
    let receipt = client.receive(again).await.unwrap().into_inner();
    assert_eq!(
        receipt.dossier_code, code,
        "a re-receipt keeps the dossier code"
    );
    assert_eq!(receipt.state(), pb::DossierState::Received);
    client
        .appraise(step_request(&code, APPRAISER, "Đủ"))
        .await
        .unwrap();
    let dossier = get(&mut client, &code).await;
    assert_eq!(dossier.records.len(), 4);
    // Two papers and a slip, the supplement request (form 02), the paper supplemented and
    // its slip.
    assert_eq!(dossier.documents.len(), 6);
    ketqua::record::verify_chain(
        &code,
        dossier
            .records
            .iter()
            .map(|r| (r.record.as_slice(), r.signature.as_slice())),
    )
    .unwrap();
}

async fn officials_act_only_in_their_role_and_department(backend: Backend) {
    let Some(server) = Server::start_on(backend, &[]).await else {
        return;
    };
    let mut client = server.dossiers().await;
    let code = receive(&mut client).await.dossier_code;

    let cases = [
        (APPROVER, "approver", Code::PermissionDenied), // wrong role for appraise
        (RECEIVER, "receiver", Code::PermissionDenied), // wrong role for appraise
        (SEAL, "seal", Code::PermissionDenied),         // a seal performs no step
        (OTHER_APPRAISER, "skhdt", Code::PermissionDenied), // right role, other department
        ("nobody", "nobody", Code::NotFound),
        ("stp-approver-expired", "expired", Code::FailedPrecondition),
        ("stp-approver-revoked", "revoked", Code::FailedPrecondition),
    ];
    for (credential, needle, code_expected) in cases {
        let status = client
            .appraise(step_request(&code, credential, "x"))
            .await
            .expect_err(credential);
        assert_eq!(status.code(), code_expected, "{credential}: {status:?}");
        assert!(
            status.message().to_lowercase().contains(needle),
            "{credential}: {}",
            status.message()
        );
    }
    // Another department's desk cannot receive this department's procedure.
    let status = client
        .receive(receive_request(JUDICIAL_RECORD, OTHER_RECEIVER))
        .await
        .unwrap_err();
    assert_eq!(status.code(), Code::PermissionDenied, "{status:?}");
    // But can receive its own.
    let own = client
        .receive(receive_request(ENTERPRISE, OTHER_RECEIVER))
        .await
        .unwrap()
        .into_inner();
    assert!(
        own.dossier_code.starts_with("000.00.21.H47-"),
        "{}",
        own.dossier_code
    );
    assert_eq!(get(&mut client, &code).await.records.len(), 1);
}

async fn retries_return_the_first_answer_and_reused_ids_are_refused(backend: Backend) {
    let Some(server) = Server::start_on(backend, &[]).await else {
        return;
    };
    let mut client = server.dossiers().await;
    let request = receive_request(JUDICIAL_RECORD, RECEIVER);
    let first = client.receive(request.clone()).await.unwrap().into_inner();
    let counts = server.row_counts().await;
    let retry = client.receive(request.clone()).await.unwrap().into_inner();
    assert_eq!(
        first, retry,
        "a retry returns the first answer, byte for byte"
    );

    let step = step_request(&first.dossier_code, APPRAISER, "Đủ");
    let appraised = client.appraise(step.clone()).await.unwrap().into_inner();
    // Retried after the dossier moved on: still the first answer, not a precondition failure.
    client
        .approve(step_request(&first.dossier_code, APPROVER, "Đồng ý"))
        .await
        .unwrap();
    assert_eq!(
        client.appraise(step.clone()).await.unwrap().into_inner(),
        appraised
    );

    // Same id, different payload or different call: ALREADY_EXISTS.
    let mut changed = request.clone();
    changed.note = "khác".to_owned();
    let status = client.receive(changed).await.unwrap_err();
    assert_eq!(status.code(), Code::AlreadyExists, "{status:?}");
    let status = client
        .withdraw(pb::StepRequest {
            request_id: request.request_id.clone(),
            ..step_request(&first.dossier_code, RECEIVER, "x")
        })
        .await
        .unwrap_err();
    assert_eq!(status.code(), Code::AlreadyExists, "{status:?}");

    let dossier = get(&mut client, &first.dossier_code).await;
    assert_eq!(dossier.records.len(), 3);
    let after = server.row_counts().await;
    let dossiers =
        |counts: &[(String, i64)]| counts.iter().find(|(t, _)| t == "dossiers").unwrap().1;
    assert_eq!(
        dossiers(&counts),
        dossiers(&after),
        "retries created no dossier"
    );
}

async fn fifty_concurrent_receives_get_fifty_distinct_codes(backend: Backend) {
    let Some(server) = Server::start_on(backend, &[]).await else {
        return;
    };
    let channel = server.channel().await;
    let mut tasks = Vec::new();
    for _ in 0..50 {
        let mut client = DossiersClient::new(channel.clone());
        tasks.push(tokio::spawn(async move {
            client
                .receive(receive_request(JUDICIAL_RECORD, RECEIVER))
                .await
                .map(|r| r.into_inner().dossier_code)
        }));
    }
    let mut codes = BTreeSet::new();
    for task in tasks {
        codes.insert(task.await.unwrap().expect("receive"));
    }
    assert_eq!(codes.len(), 50);
    // Running numbers 1..=50 with no gap (one agency, one day).
    let numbers: BTreeSet<u32> = codes
        .iter()
        .map(|c| c.rsplit('-').next().unwrap().parse().unwrap())
        .collect();
    assert_eq!(numbers, (1..=50).collect());
}

async fn a_restart_keeps_everything(backend: Backend) {
    let Some(mut server) = Server::start_on(backend, &[]).await else {
        return;
    };
    let mut client = server.dossiers().await;
    let code = receive(&mut client).await.dossier_code;
    client
        .appraise(step_request(&code, APPRAISER, "Đủ"))
        .await
        .unwrap();
    let before = get(&mut client, &code).await;
    let root_before = std::fs::read(server.root_pem()).unwrap();

    server.restart();
    let mut client = server.dossiers().await;
    let after = get(&mut client, &code).await;
    assert_eq!(before, after);
    assert_eq!(
        std::fs::read(server.root_pem()).unwrap(),
        root_before,
        "the PKI is kept"
    );
    // The flow goes on, and the next dossier of the day gets the next number.
    client
        .approve(step_request(&code, APPROVER, "Đồng ý"))
        .await
        .unwrap();
    let next = receive(&mut client).await.dossier_code;
    assert!(next.ends_with("-0002"), "{next}");
    let dossier = get(&mut client, &code).await;
    ketqua::record::verify_chain(
        &code,
        dossier
            .records
            .iter()
            .map(|r| (r.record.as_slice(), r.signature.as_slice())),
    )
    .unwrap();
}

async fn bad_input_gets_a_precise_status_and_changes_nothing(backend: Backend) {
    let Some(server) = Server::start_on(backend, &["--max-document-bytes", "2048"]).await else {
        return;
    };
    let mut client = server.dossiers().await;
    let code = receive(&mut client).await.dossier_code;
    let used = receive_request(JUDICIAL_RECORD, RECEIVER);
    client.receive(used.clone()).await.unwrap();
    let oversized = {
        let mut r = receive_request(JUDICIAL_RECORD, RECEIVER);
        r.documents[1].content = vec![b'x'; 4096];
        r
    };

    refused_without_trace!(
        server,
        "empty dossier code",
        Code::InvalidArgument,
        client.appraise(step_request("", APPRAISER, ""))
    );
    let status = refused_without_trace!(
        server,
        "malformed dossier code",
        Code::InvalidArgument,
        client.appraise(step_request("000.00.12.H47-261322-0001", APPRAISER, ""))
    );
    assert!(
        status.message().contains("YYMMDD") || status.message().contains("date"),
        "{}",
        status.message()
    );
    refused_without_trace!(
        server,
        "unknown dossier",
        Code::NotFound,
        client.appraise(step_request("000.00.12.H47-261122-9999", APPRAISER, ""))
    );
    refused_without_trace!(
        server,
        "unknown credential",
        Code::NotFound,
        client.appraise(step_request(&code, "nobody", ""))
    );
    refused_without_trace!(
        server,
        "empty credential",
        Code::InvalidArgument,
        client.appraise(step_request(&code, "", ""))
    );
    refused_without_trace!(
        server,
        "step out of order",
        Code::FailedPrecondition,
        client.approve(step_request(&code, APPROVER, ""))
    );
    refused_without_trace!(
        server,
        "wrong role",
        Code::PermissionDenied,
        client.appraise(step_request(&code, RECEIVER, ""))
    );
    refused_without_trace!(
        server,
        "wrong department",
        Code::PermissionDenied,
        client.appraise(step_request(&code, OTHER_APPRAISER, ""))
    );
    let status = refused_without_trace!(
        server,
        "document over the limit",
        Code::ResourceExhausted,
        client.receive(oversized)
    );
    assert!(status.message().contains("2048"), "{}", status.message());
    refused_without_trace!(
        server,
        "unknown procedure",
        Code::NotFound,
        client.receive(receive_request("9.999999", RECEIVER))
    );
    refused_without_trace!(
        server,
        "malformed procedure",
        Code::InvalidArgument,
        client.receive(receive_request("judicial", RECEIVER))
    );
    refused_without_trace!(
        server,
        "missing request id",
        Code::InvalidArgument,
        client.appraise(pb::StepRequest {
            request_id: String::new(),
            ..step_request(&code, APPRAISER, "")
        })
    );
    refused_without_trace!(
        server,
        "reused request id",
        Code::AlreadyExists,
        client.receive(pb::ReceiveRequest {
            note: "other".into(),
            ..used.clone()
        })
    );
    refused_without_trace!(
        server,
        "refusal without reason",
        Code::InvalidArgument,
        client.refuse(step_request(&code, RECEIVER, " "))
    );
    refused_without_trace!(
        server,
        "no documents",
        Code::InvalidArgument,
        client.receive(pb::ReceiveRequest {
            documents: vec![],
            ..receive_request(JUDICIAL_RECORD, RECEIVER)
        })
    );
    refused_without_trace!(
        server,
        "malformed applicant",
        Code::InvalidArgument,
        client.receive(pb::ReceiveRequest {
            applicant: Some(pb::Applicant {
                id: "a b".into(),
                name: "X".into()
            }),
            ..receive_request(JUDICIAL_RECORD, RECEIVER)
        })
    );
    let mut not_pdf = sign_request(&code, APPROVER);
    not_pdf.result.as_mut().unwrap().content = b"GIF89a".to_vec();
    refused_without_trace!(
        server,
        "result that is not a PDF",
        Code::InvalidArgument,
        client.sign(not_pdf)
    );
}

on_both_backends!(
    the_whole_flow_signs_every_step_into_a_verified_chain,
    every_forbidden_transition_is_refused_with_the_state_and_the_allowed_steps,
    supplement_then_re_receipt_continues_the_chain,
    officials_act_only_in_their_role_and_department,
    retries_return_the_first_answer_and_reused_ids_are_refused,
    fifty_concurrent_receives_get_fifty_distinct_codes,
    a_restart_keeps_everything,
    bad_input_gets_a_precise_status_and_changes_nothing,
);
