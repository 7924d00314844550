//! The flow's writes in SQL. Each is one transaction: the dossier row (guarded by its
//! version), the record and its documents, the result changes, the log leaves, the request
//! mark and the audit line commit together or not at all.

use super::{
    archive::SqlArchive,
    backend::{fetch_one, fetch_optional, params, Backend, Column, Dialect},
    log, mappers, queries as q,
};
use crate::{
    archive::{
        blobs::{BlobStore, IN_DATABASE},
        contracts::FlowStore,
        error::{ArchiveError, Result},
        rows::{
            AuditEntry, DossierChange, LogKind, LogReceipt, NewDocument, NewDossier, NewRecord,
            NewResult, RequestMark, StoredRequest,
        },
    },
    flow::DossierCode,
};

/// Marks `request` as answered by this record; `RequestRace` if another call committed it.
async fn insert_request<D: Backend>(
    tx: &mut D::Connection,
    request: &RequestMark,
    dossier_code: &str,
    sequence: i64,
) -> Result<()> {
    let mark = params![
        &request.request_id,
        &request.method,
        &request.fingerprint,
        dossier_code,
        sequence,
        request.at_ms,
    ];
    if D::execute(tx, q::INSERT_REQUEST, &mark).await? == 0 {
        return Err(ArchiveError::RequestRace(request.request_id.clone()));
    }
    Ok(())
}

pub(super) async fn insert_audit<D: Backend>(
    tx: &mut D::Connection,
    entry: &AuditEntry,
) -> Result<()> {
    let line = params![
        entry.at_ms,
        &entry.method,
        &entry.request_id,
        &entry.credential_id,
        &entry.dossier_code,
        &entry.outcome,
        &entry.message,
        &entry.caller,
    ];
    D::execute(tx, q::INSERT_AUDIT, &line).await?;
    Ok(())
}

/// Stores a document's bytes once (by hash). With an external store the bytes are written,
/// durably, before the row that names the store: a rollback leaves an unreferenced blob, a
/// commit never a row without its bytes.
pub(super) async fn insert_blob<D: Backend>(
    tx: &mut D::Connection,
    store: Option<&dyn BlobStore>,
    document: &NewDocument,
) -> Result<()> {
    let key = params![&document.sha256];
    let existing: Option<String> = match fetch_optional::<D>(tx, q::BLOB_PLACEMENT, &key).await? {
        Some(row) => Some(row.get("stored_in")?),
        None => None,
    };
    // What the new row holds: the bytes themselves, or the name of the store that has them.
    let (content, stored_in): (&[u8], &str) = match (store, existing.as_deref()) {
        (None, Some(_)) => return Ok(()),
        (None, None) => (&document.content, IN_DATABASE),
        // Kept elsewhere already (in the database, say): nothing to write.
        (Some(store), Some(name)) if name != store.name() => return Ok(()),
        // Put again: a no-op if the bytes are there, and it restores a lost copy.
        (Some(store), Some(_)) => {
            store.put(&document.sha256, &document.content).await?;
            return Ok(());
        }
        (Some(store), None) => {
            store.put(&document.sha256, &document.content).await?;
            (b"", store.name())
        }
    };
    let size = document.content.len() as i64;
    let row = params![&document.sha256, size, content, stored_in];
    D::execute(tx, q::INSERT_BLOB, &row).await?;
    Ok(())
}

/// Stores a step record and the documents it attaches.
async fn insert_record<D: Backend>(
    tx: &mut D::Connection,
    store: Option<&dyn BlobStore>,
    dossier_code: &str,
    record: &NewRecord,
) -> Result<()> {
    let row = params![
        dossier_code,
        record.sequence,
        &record.step,
        &record.record,
        &record.signature,
        &record.record_sha256,
        &record.credential_id,
        record.time_ms,
    ];
    D::execute(tx, q::INSERT_RECORD, &row).await?;
    for (position, document) in record.documents.iter().enumerate() {
        insert_blob::<D>(tx, store, document).await?;
        let attached = params![
            dossier_code,
            record.sequence,
            position as i64,
            &document.name,
            &document.media_type,
            &document.sha256,
            document.content.len() as i64,
        ];
        D::execute(tx, q::INSERT_DOCUMENT, &attached).await?;
    }
    Ok(())
}

/// Stores the signed result of step 4, not yet issued.
async fn insert_result<D: Backend>(
    tx: &mut D::Connection,
    store: Option<&dyn BlobStore>,
    dossier_code: &str,
    result: &NewResult,
) -> Result<()> {
    insert_blob::<D>(tx, store, &result.document).await?;
    let row = params![
        dossier_code,
        &result.result_code,
        &result.document.name,
        &result.document.media_type,
        &result.document.sha256,
        result.document.content.len() as i64,
        &result.level,
        result.page_count,
        &result.signer,
        &result.applicant_id,
        &result.procedure_code,
        &result.metadata,
        result.signed_at_ms,
    ];
    D::execute(tx, q::INSERT_RESULT, &row).await?;
    Ok(())
}

/// Applies what a step does to the dossier's result: signed, issued or revoked.
async fn change_result<D: Backend>(
    tx: &mut D::Connection,
    store: Option<&dyn BlobStore>,
    code: &str,
    expected_version: i64,
    change: &DossierChange,
) -> Result<()> {
    if let Some(result) = &change.result {
        insert_result::<D>(tx, store, code, result).await?;
    }
    if let Some(issued) = &change.issue_result {
        let issue = params![&issued.result_code, issued.issued_at_ms, code];
        if D::execute(tx, q::ISSUE_RESULT, &issue).await? != 1 {
            return Err(ArchiveError::Corrupt(format!(
                "dossier {code} has no signed, unissued result to issue"
            )));
        }
    }
    if let Some(revocation) = &change.revoke_result {
        let revoke = params![
            &revocation.status,
            &revocation.reason,
            &revocation.superseded_by,
            &revocation.result_code,
            code,
        ];
        if D::execute(tx, q::REVOKE_RESULT, &revoke).await? != 1 {
            return Err(ArchiveError::Conflict {
                code: code.to_owned(),
                expected: expected_version,
            });
        }
    }
    Ok(())
}

impl<D: Dialect> FlowStore for SqlArchive<D> {
    async fn find_request(&self, request_id: &str) -> Result<Option<StoredRequest>> {
        let mut conn = self.connection().await?;
        let row = fetch_optional::<D>(&mut conn, q::FIND_REQUEST, &params![request_id]).await?;
        row.as_ref().map(mappers::request).transpose()
    }

    async fn create_dossier<F, E>(
        &self,
        new: NewDossier,
        request: RequestMark,
        mut audit: AuditEntry,
        build: F,
    ) -> Result<(DossierCode, NewRecord, LogReceipt), E>
    where
        F: FnOnce(&DossierCode) -> Result<NewRecord, E> + Send,
        E: From<ArchiveError> + Send,
    {
        let key = self.log_key()?;
        let mut tx = D::begin_write(&self.pool).await?;
        let day = new.received_on.to_string();
        let counter = params![new.agency.as_str(), &day];
        let number: i64 = fetch_one::<D>(&mut tx, q::NEXT_DOSSIER_NUMBER, &counter)
            .await?
            .get("last_number")?;
        let code = u32::try_from(number)
            .ok()
            .and_then(|n| DossierCode::new(new.agency.clone(), new.received_on, n).ok())
            .ok_or_else(|| ArchiveError::NumbersExhausted {
                agency: new.agency.as_str().to_owned(),
                day: day.clone(),
            })?;
        // Dropping `tx` on any error below rolls the counter back: the number is not used up.
        let record = build(&code)?;
        let code_text = code.to_string();
        let dossier = params![
            &code_text,
            new.agency.as_str(),
            &new.procedure_code,
            &new.department,
            &new.applicant_id,
            &new.applicant_name,
            &new.state,
            new.received_at_ms,
            &day,
            &new.due_date,
            &record.record_sha256,
        ];
        D::execute(&mut tx, q::INSERT_DOSSIER, &dossier).await?;
        insert_record::<D>(&mut tx, self.blobs.placement(), &code_text, &record).await?;
        insert_request::<D>(&mut tx, &request, &code_text, record.sequence).await?;
        let leaves = [(LogKind::StepRecord, record.record_sha256)];
        let receipt = log::append::<D>(&mut tx, &key, &leaves, &code_text, record.time_ms).await?;
        audit.dossier_code = Some(code_text);
        insert_audit::<D>(&mut tx, &audit).await?;
        tx.commit().await.map_err(ArchiveError::from)?;
        Ok((code, record, receipt))
    }

    async fn append_step(
        &self,
        code: &DossierCode,
        expected_version: i64,
        change: DossierChange,
        record: &NewRecord,
        request: &RequestMark,
        audit: &AuditEntry,
    ) -> Result<LogReceipt> {
        let key = self.log_key()?;
        let code_text = code.to_string();
        let mut tx = D::begin_write(&self.pool).await?;
        let issued_code = change.issue_result.as_ref().map(|r| r.result_code.as_str());
        let advance = params![
            &change.state,
            &change.due_date,
            &change.finished_on,
            &record.record_sha256,
            record.time_ms,
            issued_code,
            &code_text,
            expected_version,
        ];
        if D::execute(&mut tx, q::ADVANCE_DOSSIER, &advance).await? != 1 {
            return Err(ArchiveError::Conflict {
                code: code_text,
                expected: expected_version,
            });
        }
        let store = self.blobs.placement();
        insert_record::<D>(&mut tx, store, &code_text, record).await?;
        change_result::<D>(&mut tx, store, &code_text, expected_version, &change).await?;
        let mut leaves = vec![(LogKind::StepRecord, record.record_sha256)];
        if let Some(issued) = &change.issue_result {
            leaves.push((LogKind::IssuedResult, issued.sha256));
        }
        let receipt = log::append::<D>(&mut tx, &key, &leaves, &code_text, record.time_ms).await?;
        insert_request::<D>(&mut tx, request, &code_text, record.sequence).await?;
        insert_audit::<D>(&mut tx, audit).await?;
        tx.commit().await?;
        Ok(receipt)
    }

    async fn record_audit(&self, entry: &AuditEntry) -> Result<()> {
        let mut tx = D::begin_write(&self.pool).await?;
        insert_audit::<D>(&mut tx, entry).await?;
        tx.commit().await?;
        Ok(())
    }
}
