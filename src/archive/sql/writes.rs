//! The statements of the flow's writes: the dossier row, a form's document, the result
//! changes, the request mark and the audit line. The writer (`writer.rs`) runs them in one
//! savepoint of a group commit each, and inserts the batch's records, their documents and
//! audit lines set-wise after; renewals reuse the blob and audit statements.

use super::{
    backend::{fetch_optional, params, Backend, Column},
    queries as q,
};
use crate::archive::{
    blobs::{BlobStore, IN_DATABASE},
    error::{ArchiveError, Result},
    rows::{AuditEntry, DossierChange, NewDocument, NewDossier, NewRecord, NewResult, RequestMark},
};

/// Marks `request` as answered by this record; `RequestRace` if another call committed it.
pub(super) async fn insert_request<D: Backend>(
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

/// Puts a document's bytes into `store`, durably, unless a row says they are kept elsewhere:
/// done before the write that names them is queued, so a commit never leaves a row without
/// its bytes (a rollback leaves an unreferenced blob, which fsck reports). Putting bytes that
/// are there already is a no-op, and restores a lost copy.
pub(super) async fn put_blob<D: Backend>(
    conn: &mut D::Connection,
    store: &dyn BlobStore,
    document: &NewDocument,
) -> Result<()> {
    let key = params![&document.sha256];
    if let Some(row) = fetch_optional::<D>(conn, q::BLOB_PLACEMENT, &key).await? {
        let stored_in: String = row.get("stored_in")?;
        if stored_in != store.name() {
            return Ok(());
        }
    }
    Ok(store.put(&document.sha256, &document.content).await?)
}

/// The blob row of a document, once (by hash): naming `stored_in`, the store its bytes were
/// put into by [`put_blob`], or for `None` holding the bytes itself. (The writer inserts a
/// batch's record documents set-wise, `writer::insert_records`.)
pub(super) async fn insert_blob_row<D: Backend>(
    tx: &mut D::Connection,
    stored_in: Option<&str>,
    document: &NewDocument,
) -> Result<()> {
    // A row already there is kept as it is (`ON CONFLICT DO NOTHING`): no lookup first, which
    // would be one more statement inside the writer for every document.
    let (content, stored_in) = blob_row_content(stored_in, document);
    let size = document.content.len() as i64;
    let row = params![&document.sha256, size, content, stored_in];
    D::execute(tx, q::INSERT_BLOB, &row).await?;
    Ok(())
}

/// What a blob row holds and names: the bytes and `database` for `None`, or no bytes and the
/// store `stored_in` that has them.
pub(super) fn blob_row_content<'a>(
    stored_in: Option<&'a str>,
    document: &'a NewDocument,
) -> (&'a [u8], &'a str) {
    match stored_in {
        None => (&document.content, IN_DATABASE),
        Some(name) => (b"", name),
    }
}

/// Stores a document's bytes once (by hash), in one transaction: put into the store first,
/// then the row.
pub(super) async fn insert_blob<D: Backend>(
    tx: &mut D::Connection,
    store: Option<&dyn BlobStore>,
    document: &NewDocument,
) -> Result<()> {
    if let Some(store) = store {
        put_blob::<D>(tx, store, document).await?;
    }
    insert_blob_row::<D>(tx, store.map(|s| s.name()), document).await
}

/// The row of a new dossier, numbered `code`, whose chain begins with `record`.
pub(super) async fn insert_dossier_row<D: Backend>(
    tx: &mut D::Connection,
    new: &NewDossier,
    code: &str,
    record: &NewRecord,
) -> Result<()> {
    let day = new.received_on.to_string();
    let dossier = params![
        code,
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
        &new.channel,
        &new.contact_phone,
        &new.contact_email,
    ];
    D::execute(tx, q::INSERT_DOSSIER, &dossier).await?;
    Ok(())
}

/// One document of record `sequence`, at `position` among its documents (bytes already put).
pub(super) async fn insert_document<D: Backend>(
    tx: &mut D::Connection,
    stored_in: Option<&str>,
    dossier_code: &str,
    sequence: i64,
    position: i64,
    document: &NewDocument,
) -> Result<()> {
    insert_blob_row::<D>(tx, stored_in, document).await?;
    let attached = params![
        dossier_code,
        sequence,
        position,
        &document.name,
        &document.media_type,
        &document.sha256,
        document.content.len() as i64,
    ];
    D::execute(tx, q::INSERT_DOCUMENT, &attached).await?;
    Ok(())
}

/// Stores the signed result of step 4, not yet issued.
async fn insert_result<D: Backend>(
    tx: &mut D::Connection,
    stored_in: Option<&str>,
    dossier_code: &str,
    result: &NewResult,
) -> Result<()> {
    insert_blob_row::<D>(tx, stored_in, &result.document).await?;
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
        result.index,
    ];
    D::execute(tx, q::INSERT_RESULT, &row).await?;
    Ok(())
}

/// Applies what a step does to the dossier's result: signed, issued or revoked.
pub(super) async fn change_result<D: Backend>(
    tx: &mut D::Connection,
    stored_in: Option<&str>,
    code: &str,
    expected_version: i64,
    change: &DossierChange,
) -> Result<()> {
    for result in &change.results {
        insert_result::<D>(tx, stored_in, code, result).await?;
    }
    for issued in &change.issue_results {
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
