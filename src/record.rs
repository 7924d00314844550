//! Signed step records: the bytes every step signs, and the checks anyone can run on them.
//!
//! A record is a `ketqua.v1.StepRecord` protobuf message. It is encoded once, signed as a
//! detached CAdES signature over exactly those bytes, and stored as bytes; checking a record
//! never re-encodes it. The records of one dossier form a hash chain: each holds the SHA-256 of
//! the previous record's bytes.

use prost::Message;

use crate::{
    cms, crypto,
    flow::{Role, State, Step},
    pki,
    proto::v1 as pb,
};

/// The record format this code writes.
pub const FORMAT: u32 = 1;

/// The decision a step records, in words a reader of the record understands.
pub fn decision(step: Step) -> &'static str {
    match step {
        Step::Receive => "accepted",
        Step::Appraise => "pass",
        Step::Approve => "approved",
        Step::Sign => "signed",
        Step::Return => "returned",
        Step::RequestSupplement => "supplement_needed",
        Step::Refuse => "refused",
        Step::Withdraw => "withdrawn",
        Step::Stop => "stopped",
        Step::Revoke => "revoked",
        Step::Extend => "extended",
        Step::RecordPayment => "paid",
    }
}

pub fn step_to_proto(step: Step) -> pb::Step {
    match step {
        Step::Receive => pb::Step::Receive,
        Step::Appraise => pb::Step::Appraise,
        Step::Approve => pb::Step::Approve,
        Step::Sign => pb::Step::Sign,
        Step::Return => pb::Step::Return,
        Step::RequestSupplement => pb::Step::RequestSupplement,
        Step::Refuse => pb::Step::Refuse,
        Step::Withdraw => pb::Step::Withdraw,
        Step::Stop => pb::Step::Stop,
        Step::Revoke => pb::Step::Revoke,
        Step::Extend => pb::Step::Extend,
        Step::RecordPayment => pb::Step::RecordPayment,
    }
}

pub fn step_from_proto(step: pb::Step) -> Option<Step> {
    Some(match step {
        pb::Step::Unspecified => return None,
        pb::Step::Receive => Step::Receive,
        pb::Step::Appraise => Step::Appraise,
        pb::Step::Approve => Step::Approve,
        pb::Step::Sign => Step::Sign,
        pb::Step::Return => Step::Return,
        pb::Step::RequestSupplement => Step::RequestSupplement,
        pb::Step::Refuse => Step::Refuse,
        pb::Step::Withdraw => Step::Withdraw,
        pb::Step::Stop => Step::Stop,
        pb::Step::Revoke => Step::Revoke,
        pb::Step::Extend => Step::Extend,
        pb::Step::RecordPayment => Step::RecordPayment,
    })
}

pub fn state_to_proto(state: State) -> pb::DossierState {
    match state {
        State::Received => pb::DossierState::Received,
        State::Appraised => pb::DossierState::Appraised,
        State::Approved => pb::DossierState::Approved,
        State::Signed => pb::DossierState::Signed,
        State::Returned => pb::DossierState::Returned,
        State::SupplementRequested => pb::DossierState::SupplementRequested,
        State::Refused => pb::DossierState::Refused,
        State::Withdrawn => pb::DossierState::Withdrawn,
        State::Stopped => pb::DossierState::Stopped,
        State::FeesDue => pb::DossierState::FeesDue,
        State::FeesDueAfterApproval => pb::DossierState::FeesDueAfterApproval,
    }
}

pub fn state_from_proto(state: pb::DossierState) -> Option<State> {
    Some(match state {
        pb::DossierState::Unspecified => return None,
        pb::DossierState::Received => State::Received,
        pb::DossierState::Appraised => State::Appraised,
        pb::DossierState::Approved => State::Approved,
        pb::DossierState::Signed => State::Signed,
        pb::DossierState::Returned => State::Returned,
        pb::DossierState::SupplementRequested => State::SupplementRequested,
        pb::DossierState::Refused => State::Refused,
        pb::DossierState::Withdrawn => State::Withdrawn,
        pb::DossierState::Stopped => State::Stopped,
        pb::DossierState::FeesDue => State::FeesDue,
        pb::DossierState::FeesDueAfterApproval => State::FeesDueAfterApproval,
    })
}

pub fn role_to_proto(role: Role) -> pb::Role {
    match role {
        Role::Receiver => pb::Role::Receiver,
        Role::Appraiser => pb::Role::Appraiser,
        Role::Approver => pb::Role::Approver,
        Role::Seal => pb::Role::Seal,
    }
}

/// Everything a record says, before it is encoded.
#[derive(Debug, Clone)]
pub struct Draft<'a> {
    pub dossier_code: String,
    pub sequence: u32,
    pub step: Step,
    pub state_after: State,
    pub note: &'a str,
    pub actor: &'a pki::Credential,
    pub documents: Vec<pb::DocumentDigest>,
    pub time_unix_millis: i64,
    pub previous_record_sha256: Vec<u8>,
    pub procedure_code: String,
    pub applicant_id: String,
    pub due_date: String,
    pub result_code: String,
    pub cited_results: Vec<pb::CitedResult>,
    /// Set by extend: the due date the record replaces.
    pub previous_due_date: String,
    /// Set by record_payment.
    pub payment: Option<pb::Payment>,
    /// Set by return when it issues more than one result: every code, `-KQ1` first.
    pub result_codes: Vec<String>,
}

/// A record as signed: its bytes, their hash and the detached signature.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignedRecord {
    pub bytes: Vec<u8>,
    pub sha256: [u8; 32],
    pub signature: Vec<u8>,
}

/// Encodes the draft and signs it with the actor's credential. The signature carries
/// signing-time (a CAdES-B-B attribute that PAdES forbids but a detached record may hold).
pub fn sign(draft: &Draft<'_>) -> Result<SignedRecord, cms::CmsError> {
    let bytes = encode(draft);
    let attributes = signed_attributes(draft, &bytes)?;
    let signature = draft.actor.sign(attributes.bytes_to_sign())?;
    metrics::counter!(
        "ketqua_signatures_total",
        "document" => "step_record",
        "role" => draft.actor.role().as_str()
    )
    .increment(1);
    assemble(draft, bytes, &attributes, &signature)
}

/// The record as it will be signed: what an official signing with their own token is shown.
pub fn encode(draft: &Draft<'_>) -> Vec<u8> {
    let info = draft.actor.info();
    let record = pb::StepRecord {
        format: FORMAT,
        dossier_code: draft.dossier_code.clone(),
        sequence: draft.sequence,
        step: step_to_proto(draft.step) as i32,
        decision: decision(draft.step).to_owned(),
        note: draft.note.to_owned(),
        actor: Some(pb::Actor {
            credential_id: info.id.clone(),
            certificate_sha256: info.fingerprint.to_vec(),
            role: role_to_proto(info.role) as i32,
            department: info.department.clone(),
            name: info.common_name.clone(),
        }),
        documents: draft.documents.clone(),
        time_unix_millis: draft.time_unix_millis,
        previous_record_sha256: draft.previous_record_sha256.clone(),
        state_after: state_to_proto(draft.state_after) as i32,
        procedure_code: draft.procedure_code.clone(),
        applicant_id: draft.applicant_id.clone(),
        due_date: draft.due_date.clone(),
        result_code: draft.result_code.clone(),
        cited_results: draft.cited_results.clone(),
        previous_due_date: draft.previous_due_date.clone(),
        payment: draft.payment.clone(),
        result_codes: draft.result_codes.clone(),
    };
    record.encode_to_vec()
}

/// The CMS signed attributes over the encoded record `bytes`: the exact bytes the actor's key
/// signs, whether the service holds it or the official's own token does. Deterministic, so a
/// replica that did not prepare them rebuilds the same bytes from the same draft.
pub fn signed_attributes(
    draft: &Draft<'_>,
    bytes: &[u8],
) -> Result<cms::SignedAttributes, cms::CmsError> {
    let signing_time = time::OffsetDateTime::from_unix_timestamp_nanos(
        i128::from(draft.time_unix_millis) * 1_000_000,
    )
    .ok();
    cms::SignedAttributes::new(
        &crypto::sha256(bytes),
        draft.actor.certificate_der(),
        &cms::SignOptions { signing_time },
    )
}

/// The record signed by an official's own token: `signature` over `signed_attributes`, checked
/// against the actor's certificate before anything is assembled.
pub fn complete(draft: &Draft<'_>, signature: &[u8]) -> Result<SignedRecord, cms::CmsError> {
    let bytes = encode(draft);
    let attributes = signed_attributes(draft, &bytes)?;
    attributes.check_signature(
        signature,
        draft.actor.signature_algorithm(),
        draft.actor.certificate_der(),
    )?;
    assemble(draft, bytes, &attributes, signature)
}

fn assemble(
    draft: &Draft<'_>,
    bytes: Vec<u8>,
    attributes: &cms::SignedAttributes,
    signature: &[u8],
) -> Result<SignedRecord, cms::CmsError> {
    let signature = cms::assemble(
        attributes,
        signature,
        draft.actor.signature_algorithm(),
        draft.actor.certificate_der(),
        draft.actor.chain_der(),
        &[],
    )?;
    Ok(SignedRecord {
        sha256: crypto::sha256(&bytes),
        bytes,
        signature,
    })
}

pub fn decode(bytes: &[u8]) -> Result<pb::StepRecord, prost::DecodeError> {
    pb::StepRecord::decode(bytes)
}

/// Why a dossier's history does not check out.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ChainError {
    #[error("record {sequence} cannot be decoded: {reason}")]
    Undecodable { sequence: usize, reason: String },
    #[error("record {sequence}: {reason}")]
    Broken { sequence: usize, reason: String },
    #[error("record {sequence}: signature does not verify: {reason}")]
    BadSignature { sequence: usize, reason: String },
}

/// Checks a dossier's records in order: each decodes, names the dossier and its position,
/// links to the previous record's hash, and carries a valid signature by the certificate the
/// record names as its actor. It does not validate certificate chains (the `verify` engine and
/// `openssl cms -verify` do that against the configured trust anchors).
pub fn verify_chain<'a>(
    dossier_code: &str,
    records: impl IntoIterator<Item = (&'a [u8], &'a [u8])>,
) -> Result<usize, ChainError> {
    let mut previous: Vec<u8> = Vec::new();
    let mut count = 0;
    for (index, (bytes, signature)) in records.into_iter().enumerate() {
        let sequence = index + 1;
        let broken = |reason: String| ChainError::Broken { sequence, reason };
        let record = decode(bytes).map_err(|e| ChainError::Undecodable {
            sequence,
            reason: e.to_string(),
        })?;
        if record.dossier_code != dossier_code {
            return Err(broken(format!(
                "names dossier {} instead of {dossier_code}",
                record.dossier_code
            )));
        }
        if record.sequence as usize != sequence {
            return Err(broken(format!(
                "says it is record {} of the dossier",
                record.sequence
            )));
        }
        if record.previous_record_sha256 != previous {
            return Err(broken(
                "does not link to the previous record's hash".to_owned(),
            ));
        }
        let verified =
            cms::verify_detached(signature, bytes).map_err(|e| ChainError::BadSignature {
                sequence,
                reason: e.to_string(),
            })?;
        let actor_fingerprint = record
            .actor
            .as_ref()
            .map(|a| a.certificate_sha256.as_slice())
            .unwrap_or_default();
        if pki::fingerprint(&verified.signer_certificate_der) != actor_fingerprint {
            return Err(ChainError::BadSignature {
                sequence,
                reason: "signed by a certificate other than the record's actor".to_owned(),
            });
        }
        previous = crypto::sha256(bytes).to_vec();
        count += 1;
    }
    Ok(count)
}
