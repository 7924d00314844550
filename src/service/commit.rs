//! The end every step shares: the step record built from the dossier's stored state (sequence,
//! the previous record's hash), signed, and committed with the dossier's change, its documents,
//! the request mark and the audit line in one transaction guarded by the dossier's version.

use super::{
    answers::Receipt,
    audit::{unix_millis, Call},
    core::Service,
    error::{signing_error, Error},
    forms::IssuedForm,
};
use crate::{
    archive::{
        Archive, ArchiveError, DossierChange, DossierRow, LogReceipt, NewDocument, NewEvent,
        NewRecord, RequestMark, StoredRecord,
    },
    flow::{DossierCode, Form, State, Step},
    pki::Credential,
    proto::v1 as pb,
    record,
};

/// A step on an existing dossier, checked and prepared by its use case, ready to be signed
/// and committed.
pub(super) struct StepWrite<'a> {
    pub code: &'a DossierCode,
    /// The dossier as it was read: the version the commit is guarded by, the chain's head.
    pub row: &'a DossierRow,
    pub step: Step,
    pub state: State,
    pub credential: &'a Credential,
    pub note: &'a str,
    /// Documents attached to the step, stored with it and named in the record.
    pub documents: Vec<NewDocument>,
    /// Documents the record names that are stored elsewhere (the signed result).
    pub named_only: Vec<pb::DocumentDigest>,
    pub cited_results: Vec<pb::CitedResult>,
    pub change: DossierChange,
    pub fingerprint: [u8; 32],
    pub due_date: String,
    /// Set by an extension: the due date the record replaces.
    pub previous_due_date: String,
    /// Set by a payment.
    pub payment: Option<pb::Payment>,
    pub result_code: String,
    /// Every result code a `Return` issues; the record lists them when there is more than one.
    pub result_codes: Vec<String>,
    /// The official's own token's signature over the record's signed attributes; `None`: the
    /// service signs with the credential's key.
    pub external_signature: Option<&'a [u8]>,
    /// The forms the step issues, stored and named in the record after `documents`.
    pub forms: Vec<(Form, NewDocument)>,
}

impl StepWrite<'_> {
    /// The record this write commits, as of `at`.
    pub(super) fn draft(&self, at: time::OffsetDateTime) -> Result<record::Draft<'_>, Error> {
        let sequence = self.row.record_count + 1;
        Ok(record::Draft {
            dossier_code: self.code.to_string(),
            sequence: u32::try_from(sequence).map_err(|_| {
                Error::Internal(format!("dossier {} has too many records", self.code))
            })?,
            step: self.step,
            state_after: self.state,
            note: self.note,
            actor: self.credential,
            documents: self
                .documents
                .iter()
                .chain(self.forms.iter().map(|(_, document)| document))
                .map(digest_of)
                .chain(self.named_only.iter().cloned())
                .collect(),
            time_unix_millis: unix_millis(at),
            previous_record_sha256: self.row.last_record_sha256.clone(),
            procedure_code: self.row.procedure_code.clone(),
            applicant_id: self.row.applicant_id.clone(),
            due_date: self.due_date.clone(),
            result_code: self.result_code.clone(),
            result_codes: if self.result_codes.len() > 1 {
                self.result_codes.clone()
            } else {
                Vec::new()
            },
            cited_results: self.cited_results.clone(),
            previous_due_date: self.previous_due_date.clone(),
            payment: self.payment.clone(),
        })
    }
}

impl<A: Archive> Service<A> {
    pub(super) async fn commit_step(
        &self,
        call: &Call<'_>,
        write: StepWrite<'_>,
    ) -> Result<Receipt, Error> {
        let signed = {
            let draft = write.draft(call.at)?;
            match write.external_signature {
                None => record::sign(&draft),
                Some(signature) => record::complete(&draft, signature),
            }
            .map_err(|e| signing_error("signing the step record", &e))?
        };
        let StepWrite {
            code,
            row,
            state,
            credential,
            mut documents,
            mut change,
            fingerprint,
            due_date,
            result_code,
            result_codes,
            forms,
            ..
        } = write;
        change.event = NewEvent {
            department: row.department.clone(),
            procedure_code: row.procedure_code.clone(),
            national_status: i64::from(state.national_status()),
        };
        let sequence = row.record_count + 1;
        let issued: Vec<IssuedForm> = forms
            .iter()
            .map(|(form, document)| IssuedForm::of(*form, sequence, document))
            .collect();
        documents.extend(forms.into_iter().map(|(_, document)| document));
        let new = NewRecord {
            sequence,
            step: write.step.as_str().to_owned(),
            record: signed.bytes,
            signature: signed.signature,
            record_sha256: signed.sha256,
            credential_id: credential.id().to_owned(),
            time_ms: unix_millis(call.at),
            documents,
        };
        let request = RequestMark {
            request_id: call.request_id.to_owned(),
            method: call.method.to_owned(),
            fingerprint,
            at_ms: unix_millis(call.at),
        };
        let audit = call.audit("ok", format!("{} -> {}", row.state, state));
        match self
            .archive
            .append_step(code, row.version, change, new, request, audit)
            .await
        {
            Ok((new, log)) => {
                let mut receipt = receipt_from_new(
                    code.clone(),
                    state,
                    &new,
                    due_date,
                    (!result_code.is_empty()).then_some(result_code),
                    log,
                )?;
                receipt.forms = issued;
                receipt.result_codes = result_codes;
                Ok(receipt)
            }
            Err(ArchiveError::RequestRace(_)) => {
                self.replay_after_race(call, call.request_id, &fingerprint)
                    .await
            }
            Err(error) => Err(error.into()),
        }
    }
}

pub(super) fn digest_of(document: &NewDocument) -> pb::DocumentDigest {
    digest_of_sized(document, document.content.len())
}

pub(super) fn digest_of_sized(document: &NewDocument, size: usize) -> pb::DocumentDigest {
    pb::DocumentDigest {
        name: document.name.clone(),
        media_type: document.media_type.clone(),
        sha256: document.sha256.to_vec(),
        size: size as u64,
    }
}

pub(super) fn new_record(
    draft: &record::Draft<'_>,
    sequence: i64,
    documents: Vec<NewDocument>,
) -> Result<NewRecord, Error> {
    let signed = record::sign(draft).map_err(|e| signing_error("signing the step record", &e))?;
    Ok(NewRecord {
        sequence,
        step: draft.step.as_str().to_owned(),
        record: signed.bytes,
        signature: signed.signature,
        record_sha256: signed.sha256,
        credential_id: draft.actor.id().to_owned(),
        time_ms: draft.time_unix_millis,
        documents,
    })
}

pub(super) fn receipt_from_new(
    code: DossierCode,
    state: State,
    new: &NewRecord,
    due_date: String,
    result_code: Option<String>,
    log: LogReceipt,
) -> Result<Receipt, Error> {
    let decoded = record::decode(&new.record)
        .map_err(|e| Error::Internal(format!("the record just signed does not decode: {e}")))?;
    Ok(Receipt {
        dossier_code: code,
        state,
        record: StoredRecord {
            sequence: new.sequence,
            step: new.step.clone(),
            record: new.record.clone(),
            signature: new.signature.clone(),
            record_sha256: new.record_sha256.to_vec(),
        },
        decoded,
        due_date,
        result_code,
        log,
        forms: Vec::new(),
        result_codes: Vec::new(),
    })
}
