//! Officials who sign step records with their own token: the service never sees the key.
//! The appraiser's and the approver's keys are taken out of the store before the server
//! starts (their `credentials.toml` entries keep only the certificate) and `openssl` signs what
//! `Dossiers.PrepareStep` returns, as the official's token would; `CompleteStep` commits it.

mod common;

use std::{
    path::{Path, PathBuf},
    process::Command,
};

use common::*;
use ketqua::proto::v1::{self as pb, dossiers_client::DossiersClient};
use tonic::{transport::Channel, Code};

const OFFICIALS: [&str; 2] = ["stp-appraiser", "stp-approver"];

/// Moves each official's key out of the store into `hands` and drops its `key` line, so that
/// the service knows the certificate only.
fn hand_keys_to_officials(dir: &Path, hands: &Path) {
    init_pki_without_activation(dir);
    let pki = dir.join("pki");
    let manifest_path = pki.join("credentials.toml");
    let mut manifest = std::fs::read_to_string(&manifest_path).unwrap();
    for id in OFFICIALS {
        let line = format!("key = \"credentials/{id}/key.pk8\"\n");
        assert!(
            manifest.contains(&line),
            "the dev PKI names {id}'s key file"
        );
        manifest = manifest.replace(&line, "");
        std::fs::rename(
            pki.join(format!("credentials/{id}/key.pk8")),
            hands.join(format!("{id}.pk8")),
        )
        .unwrap();
    }
    std::fs::write(&manifest_path, manifest).unwrap();
}

/// What the official's token does: SHA-256 and ECDSA over `data`, DER signature (openssl).
fn token_sign(key: &Path, data: &[u8], scratch: &Path) -> Vec<u8> {
    let input = scratch.join("to-sign.bin");
    std::fs::write(&input, data).unwrap();
    let output = Command::new("openssl")
        .args(["dgst", "-sha256", "-keyform", "DER", "-sign"])
        .arg(key)
        .arg(&input)
        .output()
        .expect("openssl signs as the official's token (CI installs it)");
    assert!(
        output.status.success(),
        "openssl dgst -sign: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    output.stdout
}

struct Officials {
    hands: tempfile::TempDir,
}

impl Officials {
    fn key(&self, id: &str) -> PathBuf {
        self.hands.path().join(format!("{id}.pk8"))
    }
}

async fn prepare(
    client: &mut DossiersClient<Channel>,
    step: pb::Step,
    request: &pb::StepRequest,
) -> Result<pb::PreparedStep, tonic::Status> {
    client
        .prepare_step(pb::PrepareStepRequest {
            step: step as i32,
            request: Some(request.clone()),
        })
        .await
        .map(tonic::Response::into_inner)
}

async fn complete(
    client: &mut DossiersClient<Channel>,
    prepared: &pb::PreparedStep,
    signature: Vec<u8>,
    step: pb::Step,
    request: &pb::StepRequest,
) -> Result<pb::StepReceipt, tonic::Status> {
    client
        .complete_step(pb::CompleteStepRequest {
            session_id: prepared.session_id.clone(),
            signature_value: signature,
            step: step as i32,
            request: Some(request.clone()),
        })
        .await
        .map(tonic::Response::into_inner)
}

#[tokio::test(flavor = "multi_thread")]
async fn officials_sign_step_records_with_keys_the_service_never_sees() {
    assert!(
        tool_available("openssl"),
        "openssl is needed (CI installs it)"
    );
    let officials = Officials {
        hands: tempfile::tempdir().unwrap(),
    };
    let server = Server::start_prepared(&[], |dir| {
        hand_keys_to_officials(dir, officials.hands.path())
    });
    let scratch = tempfile::tempdir().unwrap();
    let mut client = server.dossiers().await;

    let received = client
        .receive(receive_request(JUDICIAL_RECORD, "stp-receiver"))
        .await
        .unwrap()
        .into_inner();
    let code = received.dossier_code.clone();

    // The service cannot sign for an official whose key it does not hold.
    let before = server.row_counts().await;
    let direct = client
        .appraise(step_request(&code, "stp-appraiser", ""))
        .await
        .unwrap_err();
    assert_eq!(direct.code(), Code::FailedPrecondition, "{direct:?}");
    assert!(direct.message().contains("PrepareStep"), "{direct:?}");

    // Prepare: the record to be committed and the bytes to sign; nothing written but a session.
    let appraise = step_request(&code, "stp-appraiser", "đủ điều kiện");
    let prepared = prepare(&mut client, pb::Step::Appraise, &appraise)
        .await
        .unwrap();
    assert_eq!(prepared.signature_algorithm, "ecdsa-p256-sha256");
    assert_eq!(
        prepared.data_to_sign_sha256,
        ring::digest::digest(&ring::digest::SHA256, &prepared.data_to_sign).as_ref()
    );
    let record = ketqua::record::decode(&prepared.record).unwrap();
    assert_eq!(record.dossier_code, code);
    assert_eq!(record.sequence, 2);
    assert_eq!(
        record.actor.as_ref().unwrap().credential_id,
        "stp-appraiser"
    );
    assert_eq!(
        record.previous_record_sha256,
        received.record.as_ref().unwrap().record_sha256
    );
    let counts_after_prepare = server.row_counts().await;
    assert_eq!(
        without(&counts_after_prepare, &["audit_log", "signing_sessions"]),
        without(&before, &["audit_log", "signing_sessions"]),
        "preparing writes nothing but the session and the audit line"
    );

    // A signature by another key is refused, and nothing is written.
    let wrong = token_sign(
        &officials.key("stp-approver"),
        &prepared.data_to_sign,
        scratch.path(),
    );
    let refused = complete(&mut client, &prepared, wrong, pb::Step::Appraise, &appraise)
        .await
        .unwrap_err();
    assert_eq!(refused.code(), Code::InvalidArgument, "{refused:?}");
    assert_eq!(
        without(
            &server.row_counts().await,
            &["audit_log", "signing_sessions"]
        ),
        without(&before, &["audit_log", "signing_sessions"])
    );
    // The session was spent by that attempt: the official prepares again.
    let prepared = prepare(&mut client, pb::Step::Appraise, &appraise)
        .await
        .unwrap();
    let signature = token_sign(
        &officials.key("stp-appraiser"),
        &prepared.data_to_sign,
        scratch.path(),
    );

    // A different request than the one prepared is refused.
    let mut altered = appraise.clone();
    altered.note = "không đủ điều kiện".to_owned();
    let refused = complete(
        &mut client,
        &prepared,
        signature.clone(),
        pb::Step::Appraise,
        &altered,
    )
    .await
    .unwrap_err();
    assert_eq!(refused.code(), Code::InvalidArgument, "{refused:?}");
    let prepared = prepare(&mut client, pb::Step::Appraise, &appraise)
        .await
        .unwrap();
    let signature = token_sign(
        &officials.key("stp-appraiser"),
        &prepared.data_to_sign,
        scratch.path(),
    );

    // Completed on another replica: sessions live in the database.
    let replica = Replica::start(&server);
    let mut other = replica.dossiers().await;
    let appraised = complete(
        &mut other,
        &prepared,
        signature.clone(),
        pb::Step::Appraise,
        &appraise,
    )
    .await
    .unwrap();
    assert_eq!(appraised.state, pb::DossierState::Appraised as i32);
    let stored = appraised.record.as_ref().unwrap();
    assert_eq!(
        stored.record, prepared.record,
        "the record committed is the one prepared"
    );
    openssl_cms_verify(
        scratch.path(),
        &server.root_pem(),
        &stored.record,
        &stored.signature,
    )
    .expect("openssl verifies the record's signature by the official's own key");

    // Retries answer with the first receipt: CompleteStep again, and the step's own method.
    let again = complete(
        &mut client,
        &prepared,
        signature,
        pb::Step::Appraise,
        &appraise,
    )
    .await
    .unwrap();
    assert_eq!(again.record, appraised.record);
    let replayed = client
        .appraise(appraise.clone())
        .await
        .unwrap()
        .into_inner();
    assert_eq!(replayed.record, appraised.record);

    // Two approvals prepared on the same version: the first to complete wins, the other is
    // stale and refused without writing anything.
    let approve_a = step_request(&code, "stp-approver", "");
    let approve_b = step_request(&code, "stp-approver", "");
    let first = prepare(&mut client, pb::Step::Approve, &approve_a)
        .await
        .unwrap();
    let second = prepare(&mut client, pb::Step::Approve, &approve_b)
        .await
        .unwrap();
    let approver = officials.key("stp-approver");
    let signature_a = token_sign(&approver, &first.data_to_sign, scratch.path());
    let signature_b = token_sign(&approver, &second.data_to_sign, scratch.path());
    let approved = complete(
        &mut client,
        &first,
        signature_a,
        pb::Step::Approve,
        &approve_a,
    )
    .await
    .unwrap();
    assert_eq!(approved.state, pb::DossierState::Approved as i32);
    let settled = server.row_counts().await;
    let stale = complete(
        &mut client,
        &second,
        signature_b,
        pb::Step::Approve,
        &approve_b,
    )
    .await
    .unwrap_err();
    assert_eq!(stale.code(), Code::FailedPrecondition, "{stale:?}");
    assert!(
        stale.message().contains("prepare the step again"),
        "{stale:?}"
    );
    assert_eq!(
        without(
            &server.row_counts().await,
            &["audit_log", "signing_sessions"]
        ),
        without(&settled, &["audit_log", "signing_sessions"])
    );

    // The history checks out end to end: each record links and verifies.
    let dossier = client
        .get(pb::GetRequest {
            dossier_code: code.clone(),
            include_result_content: false,
        })
        .await
        .unwrap()
        .into_inner();
    let records: Vec<(&[u8], &[u8])> = dossier
        .records
        .iter()
        .map(|r| (r.record.as_slice(), r.signature.as_slice()))
        .collect();
    assert_eq!(ketqua::record::verify_chain(&code, records).unwrap(), 3);
}

#[tokio::test(flavor = "multi_thread")]
async fn step_sessions_are_not_document_sessions_and_receive_is_not_offered() {
    let officials = Officials {
        hands: tempfile::tempdir().unwrap(),
    };
    let server = Server::start_prepared(&[], |dir| {
        hand_keys_to_officials(dir, officials.hands.path())
    });
    let mut client = server.dossiers().await;
    let code = client
        .receive(receive_request(JUDICIAL_RECORD, "stp-receiver"))
        .await
        .unwrap()
        .into_inner()
        .dossier_code;

    let receive = prepare(
        &mut client,
        pb::Step::Receive,
        &step_request(&code, "stp-receiver", ""),
    )
    .await
    .unwrap_err();
    assert_eq!(receive.code(), Code::InvalidArgument, "{receive:?}");

    let appraise = step_request(&code, "stp-appraiser", "");
    let prepared = prepare(&mut client, pb::Step::Appraise, &appraise)
        .await
        .unwrap();
    let mut signing = server.signing().await;
    let document_completion = signing
        .complete_signature(tokio_stream::iter(vec![
            pb::CompleteSignatureRequest {
                part: Some(pb::complete_signature_request::Part::Parameters(
                    pb::CompleteParameters {
                        session_id: prepared.session_id.clone(),
                        signature_value: vec![1, 2, 3],
                    },
                )),
            },
            pb::CompleteSignatureRequest {
                part: Some(pb::complete_signature_request::Part::Chunk(
                    b"%PDF-1.7".to_vec(),
                )),
            },
        ]))
        .await;
    let status = match document_completion {
        Ok(response) => {
            let mut stream = response.into_inner();
            stream.message().await.unwrap_err()
        }
        Err(status) => status,
    };
    assert_eq!(status.code(), Code::InvalidArgument, "{status:?}");
    assert!(status.message().contains("CompleteStep"), "{status:?}");

    // A document session id is not a step session either.
    let refused = complete(
        &mut client,
        &pb::PreparedStep {
            session_id: "0123456789abcdef".to_owned(),
            ..prepared.clone()
        },
        vec![1],
        pb::Step::Appraise,
        &appraise,
    )
    .await
    .unwrap_err();
    assert_eq!(refused.code(), Code::InvalidArgument, "{refused:?}");
}

fn without(counts: &[(String, i64)], tables: &[&str]) -> Vec<(String, i64)> {
    counts
        .iter()
        .filter(|(table, _)| !tables.contains(&table.as_str()))
        .cloned()
        .collect()
}
