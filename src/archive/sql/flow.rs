//! The flow's writes in SQL, as callers see them: document bytes put first, then the write
//! queued for the group commit (`writer.rs`), whose statements are in `writes.rs`.

use std::sync::{Arc, Mutex};

use super::{
    archive::SqlArchive,
    backend::{fetch_optional, params, Dialect},
    mappers, queries as q,
    writer::{BuildRecord, Write, WriterSetup, Written},
    writes::{insert_audit, put_blob},
};
use crate::{
    archive::{
        contracts::FlowStore,
        error::{ArchiveError, Result},
        rows::{
            AuditEntry, DossierChange, LogReceipt, NewDocument, NewDossier, NewRecord, RequestMark,
            StoredRequest,
        },
    },
    flow::DossierCode,
};

impl<D: Dialect> SqlArchive<D> {
    /// Puts the bytes of `documents` into the blob store, if new blobs go to one, before the
    /// write naming them is queued: in parallel with other callers, outside the writer.
    async fn put_blobs(&self, documents: impl Iterator<Item = &NewDocument>) -> Result<()> {
        let Some(store) = self.blobs.placement() else {
            return Ok(());
        };
        let mut conn = self.connection().await?;
        for document in documents {
            put_blob::<D>(&mut conn, store, document).await?;
        }
        Ok(())
    }

    /// Queues a write for the group commit and waits for it.
    async fn write(&self, write: Write) -> Result<Written> {
        let setup = || {
            Ok(WriterSetup {
                pool: self.pool.clone(),
                key: self.log_key()?,
                stored_in: self.blobs.placement().map(|s| s.name().to_owned()),
                events: self.events.clone(),
            })
        };
        self.writer.submit(setup, write).await
    }
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
        documents: Vec<NewDocument>,
        request: RequestMark,
        audit: AuditEntry,
        build: F,
    ) -> Result<(DossierCode, NewRecord, LogReceipt), E>
    where
        F: FnOnce(&DossierCode) -> Result<NewRecord, E> + Send + 'static,
        E: From<ArchiveError> + Send + 'static,
    {
        self.put_blobs(documents.iter()).await?;
        // The builder's own error travels beside the archive's.
        let failure: Arc<Mutex<Option<E>>> = Arc::new(Mutex::new(None));
        let slot = failure.clone();
        let build: BuildRecord = Box::new(move |code| {
            let mut record = build(code).map_err(|error| {
                *slot.lock().unwrap_or_else(|e| e.into_inner()) = Some(error);
                ArchiveError::RecordNotBuilt
            })?;
            record.documents = documents;
            Ok(record)
        });
        let write = Write::Create {
            new,
            request,
            audit,
            build,
        };
        match self.write(write).await {
            Ok(Written {
                code,
                record: Some(record),
                log,
            }) => Ok((code, record, log)),
            Ok(_) => Err(ArchiveError::RecordNotBuilt.into()),
            Err(ArchiveError::RecordNotBuilt) => {
                let error = failure.lock().unwrap_or_else(|e| e.into_inner()).take();
                Err(error.unwrap_or_else(|| ArchiveError::RecordNotBuilt.into()))
            }
            Err(error) => Err(error.into()),
        }
    }

    async fn append_step(
        &self,
        code: &DossierCode,
        expected_version: i64,
        change: DossierChange,
        record: NewRecord,
        request: RequestMark,
        audit: AuditEntry,
    ) -> Result<(NewRecord, LogReceipt)> {
        let results = change.results.iter().map(|r| &r.document);
        self.put_blobs(record.documents.iter().chain(results))
            .await?;
        let write = Write::Append {
            code: code.clone(),
            expected_version,
            change: Box::new(change),
            record,
            request,
            audit,
        };
        let written = self.write(write).await?;
        let record = written.record.ok_or(ArchiveError::RecordNotBuilt)?;
        Ok((record, written.log))
    }

    async fn attach_form(
        &self,
        code: &DossierCode,
        sequence: i64,
        document: NewDocument,
        at_ms: i64,
    ) -> Result<LogReceipt> {
        self.put_blobs(std::iter::once(&document)).await?;
        let write = Write::Attach {
            code: code.clone(),
            sequence,
            document,
            at_ms,
        };
        Ok(self.write(write).await?.log)
    }

    async fn record_audit(&self, entry: &AuditEntry) -> Result<()> {
        let mut tx = D::begin_write(&self.pool).await?;
        insert_audit::<D>(&mut tx, entry).await?;
        tx.commit().await?;
        Ok(())
    }
}
