//! Conversions between the wire messages of `proto/ketqua/v1` and the service's domain types.
//! Pure mapping: no business rule, no I/O. Shared by every service of this room.

use tonic::Status;

use crate::{
    archive::{LogReceipt, StoredCheckpoint, StoredEvent, StoredResult},
    flow::{Channel, FeeDue, State, Step, Timeliness},
    pdf::PadesLevel,
    pki::CredentialInfo,
    proto::v1 as pb,
    record,
    service::{
        DeadlineHistory, DocumentInput, DossierView, FeeStatus, IssuedForm, ProgressView, Receipt,
        RenewalAction, RenewalProgress, ResultMetadata, SearchInput, SearchPage, StatisticsView,
    },
};

pub(super) fn documents(documents: Vec<pb::Document>) -> Vec<DocumentInput> {
    documents.into_iter().map(document).collect()
}

pub(super) fn document(d: pb::Document) -> DocumentInput {
    DocumentInput {
        name: d.name,
        media_type: d.media_type,
        content: d.content,
    }
}

pub(super) fn receipt(r: Receipt) -> pb::StepReceipt {
    pb::StepReceipt {
        dossier_code: r.dossier_code.to_string(),
        state: record::state_to_proto(r.state) as i32,
        record: Some(pb::SignedStepRecord {
            record: r.record.record,
            signature: r.record.signature,
            record_sha256: r.record.record_sha256,
            decoded: Some(r.decoded),
        }),
        due_date: r.due_date,
        result_code: r.result_code.unwrap_or_default(),
        result_codes: r.result_codes,
        log: Some(log_receipt(r.log)),
        forms: r.forms.into_iter().map(form_document).collect(),
    }
}

pub(super) fn form_document(f: IssuedForm) -> pb::FormDocument {
    pb::FormDocument {
        form: f.form.number().to_owned(),
        record_sequence: u32::try_from(f.record_sequence).unwrap_or(0),
        digest: Some(pb::DocumentDigest {
            name: f.name,
            media_type: "application/pdf".to_owned(),
            sha256: f.sha256.to_vec(),
            size: f.content.len() as u64,
        }),
        content: f.content,
    }
}

pub(super) fn checkpoint(c: StoredCheckpoint) -> pb::Checkpoint {
    pb::Checkpoint {
        note: c.note,
        size: c.size,
        root_hash: c.root,
    }
}

pub(super) fn log_receipt(r: LogReceipt) -> pb::LogReceipt {
    pb::LogReceipt {
        leaf_index: r.leaf_index,
        leaf_hash: r.leaf_hash.to_vec(),
        path: r.path.iter().map(|h| h.to_vec()).collect(),
        checkpoint: Some(checkpoint(r.checkpoint)),
    }
}

pub(super) fn timeliness(t: Timeliness) -> pb::Timeliness {
    match t {
        Timeliness::OnTime => pb::Timeliness::OnTime,
        Timeliness::Overdue => pb::Timeliness::Overdue,
        Timeliness::FinishedOnTime => pb::Timeliness::FinishedOnTime,
        Timeliness::FinishedLate => pb::Timeliness::FinishedLate,
        Timeliness::AwaitingApplicant => pb::Timeliness::AwaitingApplicant,
    }
}

pub(super) fn dossier(view: DossierView) -> pb::Dossier {
    let row = view.row;
    let content = view.result_content.unwrap_or_default();
    let result = view.result.map(|r| result_document(r, content));
    pb::Dossier {
        code: row.code,
        state: record::state_to_proto(view.state) as i32,
        national_status: u32::from(view.state.national_status()),
        procedure_code: row.procedure_code,
        procedure_name: view.procedure_name,
        department: row.department,
        applicant: Some(pb::Applicant {
            id: row.applicant_id,
            name: row.applicant_name,
        }),
        received_on: row.received_on,
        due_date: row.due_date,
        channel: channel_to_proto(&row.channel),
        contact: contact(row.contact_phone, row.contact_email),
        timeliness: timeliness(view.timeliness) as i32,
        allowed_steps: view
            .allowed_steps
            .into_iter()
            .map(|s| record::step_to_proto(s) as i32)
            .collect(),
        documents: view
            .documents
            .into_iter()
            .map(|d| pb::StoredDocument {
                record_sequence: d.record_sequence as u32,
                digest: Some(pb::DocumentDigest {
                    name: d.name,
                    media_type: d.media_type,
                    sha256: d.sha256,
                    size: d.size as u64,
                }),
            })
            .collect(),
        records: view
            .records
            .into_iter()
            .map(|(stored, decoded)| pb::SignedStepRecord {
                record: stored.record,
                signature: stored.signature,
                record_sha256: stored.record_sha256,
                decoded: Some(decoded),
            })
            .collect(),
        result,
        version: row.version as u64,
        extensions: extensions(&view.history),
        supplement_waits: supplement_waits(&view.history),
        fee: view.fee.map(fee_status),
        results: view
            .results
            .into_iter()
            .map(|(r, content)| result_document(r, content))
            .collect(),
    }
}

fn fee_status(status: FeeStatus) -> pb::FeeStatus {
    pb::FeeStatus {
        name: status.fee.name,
        amount_vnd: status.fee.amount_vnd,
        due: match status.fee.due {
            FeeDue::AtReceipt => "at_receipt",
            FeeDue::AfterApproval => "after_approval",
        }
        .to_owned(),
        paid: status.payment.is_some(),
        payment: status.payment,
    }
}

fn extensions(history: &DeadlineHistory) -> Vec<pb::Extension> {
    history
        .extensions
        .iter()
        .map(|e| pb::Extension {
            extended_on: e.extended_on.to_string(),
            previous_due_date: e.previous_due_date.clone(),
            new_due_date: e.new_due_date.clone(),
            reason: e.reason.clone(),
            record_sequence: u32::try_from(e.record_sequence).unwrap_or(0),
        })
        .collect()
}

fn supplement_waits(history: &DeadlineHistory) -> Vec<pb::SupplementWait> {
    history
        .supplement_waits
        .iter()
        .map(|w| pb::SupplementWait {
            requested_on: w.requested_on.to_string(),
            received_on: w.received_on.map(|d| d.to_string()).unwrap_or_default(),
            days: w.days,
        })
        .collect()
}

pub(super) fn progress(view: ProgressView) -> pb::Progress {
    pb::Progress {
        dossier_code: view.dossier_code,
        state: record::state_to_proto(view.state) as i32,
        state_name: view.state.vietnamese().to_owned(),
        national_status: u32::from(view.state.national_status()),
        procedure_code: view.procedure_code,
        procedure_name: view.procedure_name,
        department: view.department,
        department_name: view.department_name,
        received_on: view.received_on,
        due_date: view.due_date,
        timeliness: timeliness(view.timeliness) as i32,
        extensions: extensions(&view.history),
        supplement_waits: supplement_waits(&view.history),
        steps: view
            .steps
            .into_iter()
            .map(|s| pb::ProgressStep {
                step: record::step_to_proto(s.step) as i32,
                step_name: s.step.vietnamese().to_owned(),
                at: rfc3339(s.at.to_offset(crate::flow::VIETNAM)),
                department: s.department,
                state_after: s
                    .state_after
                    .map_or(pb::DossierState::Unspecified, record::state_to_proto)
                    as i32,
                note: s.note.unwrap_or_default(),
            })
            .collect(),
        results: view
            .results
            .into_iter()
            .map(|r| pb::IssuedResultRef {
                verify_path: format!("/v/{}", r.result_code),
                result_code: r.result_code,
                status: r.status,
                issued_on: r.issued_on.to_string(),
            })
            .collect(),
        applicant_verified: view.applicant_verified,
        applicant_name: view.applicant_name.unwrap_or_default(),
        fee: view.fee.map(fee_status),
    }
}

/// Archival metadata has the same fields on the wire and in the domain; they are listed once.
macro_rules! metadata_fields {
    ($from:expr => $to:path) => {{
        let m = $from;
        $to {
            document_type: m.document_type,
            number_notation: m.number_notation,
            issue_date: m.issue_date,
            issuing_body: m.issuing_body,
            subject: m.subject,
            language: m.language,
            retention: m.retention,
        }
    }};
}

pub(super) fn metadata(m: ResultMetadata) -> pb::ResultMetadata {
    metadata_fields!(m => pb::ResultMetadata)
}

pub(super) fn metadata_input(m: Option<pb::ResultMetadata>) -> ResultMetadata {
    metadata_fields!(m.unwrap_or_default() => ResultMetadata)
}

pub(super) fn result_document(r: StoredResult, content: Vec<u8>) -> pb::ResultDocument {
    pb::ResultDocument {
        metadata: Some(metadata(ResultMetadata::from_json(&r.metadata))),
        issued: r.issued_at_ms.is_some(),
        page_count: u32::try_from(r.page_count).unwrap_or(0),
        digest: Some(pb::DocumentDigest {
            name: r.name,
            media_type: r.media_type,
            sha256: r.current_sha256,
            size: r.current_size as u64,
        }),
        issued_sha256: r.sha256,
        pades_level: r.level,
        result_code: r.result_code,
        status: r.status,
        signer: r.signer,
        content,
    }
}

pub(super) fn renewal_progress(p: RenewalProgress, tsa_expires_at: &str) -> pb::RenewalProgress {
    use pb::renewal_outcome::Action;
    let o = p.outcome;
    let action = match o.action {
        RenewalAction::Renewed => Action::Renewed,
        RenewalAction::NotDue => Action::NotDue,
        RenewalAction::WouldRenew => Action::WouldRenew,
        RenewalAction::Skipped => Action::Skipped,
        RenewalAction::Failed => Action::Failed,
    };
    pb::RenewalProgress {
        candidates: p.candidates,
        done: p.done,
        tsa_expires_at: tsa_expires_at.to_owned(),
        outcome: Some(pb::RenewalOutcome {
            result_code: o.result_code,
            action: action as i32,
            detail: o.detail,
            previous_sha256: o.previous_sha256,
            sha256: o.sha256,
            timestamp_expires_at: o.timestamp_expires_at.map(rfc3339).unwrap_or_default(),
            leaf_index: o.leaf_index.unwrap_or_default(),
        }),
    }
}

pub(super) fn rfc3339(t: time::OffsetDateTime) -> String {
    t.format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_default()
}

pub(super) fn credential(info: &CredentialInfo, certificate: &[u8]) -> pb::Credential {
    pb::Credential {
        id: info.id.clone(),
        role: record::role_to_proto(info.role) as i32,
        department: info.department.clone(),
        subject: info.subject.clone(),
        common_name: info.common_name.clone(),
        position: info.position.clone(),
        organisation: info.organisation.clone(),
        not_before: rfc3339(info.not_before),
        not_after: rfc3339(info.not_after),
        certificate_sha256: info.fingerprint.to_vec(),
        certificate: certificate.to_vec(),
    }
}

pub(super) fn level_from_proto(level: i32) -> Result<PadesLevel, Status> {
    match pb::PadesLevel::try_from(level) {
        Ok(pb::PadesLevel::Unspecified) | Ok(pb::PadesLevel::BT) => Ok(PadesLevel::BT),
        Ok(pb::PadesLevel::BB) => Ok(PadesLevel::BB),
        Ok(pb::PadesLevel::BLt) => Ok(PadesLevel::BLT),
        Ok(pb::PadesLevel::BLta) => Ok(PadesLevel::BLTA),
        Err(_) => Err(Status::invalid_argument(format!(
            "level {level} is not a PAdES level"
        ))),
    }
}

pub(super) fn level_to_proto(level: PadesLevel) -> pb::PadesLevel {
    match level {
        PadesLevel::BB => pb::PadesLevel::BB,
        PadesLevel::BT => pb::PadesLevel::BT,
        PadesLevel::BLT => pb::PadesLevel::BLt,
        PadesLevel::BLTA => pb::PadesLevel::BLta,
    }
}
pub(super) fn search_input(request: pb::SearchRequest) -> Result<SearchInput, Status> {
    let state = match pb::DossierState::try_from(request.state) {
        Ok(pb::DossierState::Unspecified) => None,
        Ok(state) => record::state_from_proto(state),
        Err(_) => {
            return Err(Status::invalid_argument(format!(
                "state {} is not a dossier state",
                request.state
            )))
        }
    };
    Ok(SearchInput {
        applicant_id: request.applicant_id,
        procedure_code: request.procedure_code,
        department: request.department,
        state,
        received_from: request.received_from,
        received_to: request.received_to,
        page_size: request.page_size,
        cursor: request.cursor,
    })
}

/// One page of search results, the cursor of the next page on its last hit.
pub(super) fn search_hits(page: SearchPage) -> Vec<pb::SearchHit> {
    let count = page.hits.len();
    page.hits
        .into_iter()
        .enumerate()
        .map(|(index, (row, result))| {
            let state = row
                .state
                .parse::<crate::flow::State>()
                .map(|s| record::state_to_proto(s) as i32)
                .unwrap_or_default();
            pb::SearchHit {
                dossier_code: row.code,
                state,
                procedure_code: row.procedure_code,
                department: row.department,
                applicant_id: row.applicant_id,
                received_on: row.received_on,
                due_date: row.due_date,
                finished_on: row.finished_on.unwrap_or_default(),
                channel: channel_to_proto(&row.channel),
                metadata: result
                    .as_ref()
                    .map(|r| metadata(ResultMetadata::from_json(&r.metadata))),
                result_code: result.map(|r| r.result_code).unwrap_or_default(),
                next_cursor: if index + 1 == count {
                    page.next_cursor.clone().unwrap_or_default()
                } else {
                    String::new()
                },
            }
        })
        .collect()
}

/// The wire's channel; unspecified is the desk, `None` a value this build does not know.
pub(super) fn channel_from_proto(channel: i32) -> Option<Channel> {
    match pb::Channel::try_from(channel) {
        Ok(pb::Channel::Unspecified | pb::Channel::Desk) => Some(Channel::Desk),
        Ok(pb::Channel::Online) => Some(Channel::Online),
        Ok(pb::Channel::Post) => Some(Channel::Post),
        Err(_) => None,
    }
}

pub(super) fn channel_to_proto(stored: &str) -> i32 {
    (match Channel::parse(stored) {
        Some(Channel::Desk) => pb::Channel::Desk,
        Some(Channel::Online) => pb::Channel::Online,
        Some(Channel::Post) => pb::Channel::Post,
        None => pb::Channel::Unspecified,
    }) as i32
}

fn contact(phone: Option<String>, email: Option<String>) -> Option<pb::Contact> {
    (phone.is_some() || email.is_some()).then(|| pb::Contact {
        phone: phone.unwrap_or_default(),
        email: email.unwrap_or_default(),
    })
}

pub(super) fn event(e: StoredEvent) -> pb::Event {
    pb::Event {
        sequence: e.sequence.max(0) as u64,
        dossier_code: e.dossier_code,
        record_sequence: u32::try_from(e.record_sequence).unwrap_or(u32::MAX),
        step: e
            .step
            .parse::<Step>()
            .map_or(pb::Step::Unspecified, record::step_to_proto) as i32,
        state: e
            .state
            .parse::<State>()
            .map_or(pb::DossierState::Unspecified, record::state_to_proto) as i32,
        national_status: u32::try_from(e.national_status).unwrap_or(0),
        department: e.department,
        procedure_code: e.procedure_code,
        time_unix_millis: e.at_ms,
        record_sha256: e.record_sha256,
        result_codes: e.result_codes,
        channel: channel_to_proto(&e.channel),
        contact: contact(e.contact_phone, e.contact_email),
    }
}

pub(super) fn statistics(view: StatisticsView) -> pb::StatisticsReport {
    let count = |n: i64| n.max(0) as u64;
    let c = view.counts;
    pb::StatisticsReport {
        from: view.from.to_string(),
        to: view.to.to_string(),
        as_of: view.as_of.to_string(),
        department: view.department.clone().unwrap_or_default(),
        procedure_code: view.procedure_code.clone().unwrap_or_default(),
        received: count(view.received()),
        carried_over: count(c.carried_over),
        received_new: count(c.received_new),
        received_at_desk: count(view.received_at_desk()),
        received_online: count(c.received_online),
        received_by_post: count(c.received_by_post),
        resolved: count(view.resolved()),
        resolved_early: count(c.resolved_early),
        resolved_on_time: count(c.resolved_on_time),
        resolved_late: count(c.resolved_late),
        in_progress: count(view.in_progress()),
        in_progress_on_time: count(c.in_progress_on_time),
        in_progress_overdue: count(c.in_progress_overdue),
        extended: count(c.extended),
        refused: count(c.refused),
        withdrawn: count(c.withdrawn),
        stopped: count(c.stopped),
        on_time_rate: view.on_time_rate(),
        online_share: view.online_share(),
        electronic_result_share: view.electronic_result_share(),
    }
}
