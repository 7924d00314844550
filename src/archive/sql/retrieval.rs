//! Reading in SQL: dossiers, records, documents, results and blobs (whose bytes in an
//! external store are checked against the row before they are handed out), the archivist's
//! search and the reuse of results.

use super::{
    archive::SqlArchive,
    backend::{
        fetch_all_as, fetch_one, fetch_optional, fetch_optional_as, params, Column, Dialect,
    },
    mappers, queries as q,
};
use crate::{
    archive::{
        blobs::IN_DATABASE,
        contracts::RetrievalStore,
        error::{ArchiveError, Result},
        rows::{
            DossierCounts, DossierRow, SearchQuery, StatisticsQuery, StoredDocument, StoredRecord,
            StoredResult,
        },
    },
    crypto::sha256,
    flow::DossierCode,
};

impl<D: Dialect> RetrievalStore for SqlArchive<D> {
    async fn dossier(&self, code: &DossierCode) -> Result<Option<DossierRow>> {
        let code = code.to_string();
        let mut conn = self.connection().await?;
        fetch_optional_as::<D, _>(&mut conn, q::DOSSIER, &params![&code], mappers::dossier).await
    }

    async fn records(&self, code: &DossierCode) -> Result<Vec<StoredRecord>> {
        let code = code.to_string();
        let mut conn = self.connection().await?;
        fetch_all_as::<D, _>(&mut conn, q::RECORDS, &params![&code], mappers::record).await
    }

    async fn record(&self, code: &DossierCode, sequence: i64) -> Result<Option<StoredRecord>> {
        let code = code.to_string();
        let key = params![&code, sequence];
        let mut conn = self.connection().await?;
        fetch_optional_as::<D, _>(&mut conn, q::RECORD, &key, mappers::record).await
    }

    async fn documents(&self, code: &DossierCode) -> Result<Vec<StoredDocument>> {
        let code = code.to_string();
        let mut conn = self.connection().await?;
        fetch_all_as::<D, _>(&mut conn, q::DOCUMENTS, &params![&code], mappers::document).await
    }

    async fn result(&self, code: &DossierCode) -> Result<Option<StoredResult>> {
        let code = code.to_string();
        let mut conn = self.connection().await?;
        let key = params![&code];
        fetch_optional_as::<D, _>(&mut conn, q::RESULT_OF_DOSSIER, &key, mappers::result).await
    }

    async fn results(&self, code: &DossierCode) -> Result<Vec<StoredResult>> {
        let code = code.to_string();
        let mut conn = self.connection().await?;
        fetch_all_as::<D, _>(
            &mut conn,
            q::RESULTS_OF_DOSSIER,
            &params![&code],
            mappers::result,
        )
        .await
    }

    async fn blob(&self, key: &[u8]) -> Result<Option<Vec<u8>>> {
        let mut conn = self.connection().await?;
        let Some(row) = fetch_optional::<D>(&mut conn, q::BLOB, &params![key]).await? else {
            return Ok(None);
        };
        drop(conn);
        let stored_in: String = row.get("stored_in")?;
        if stored_in == IN_DATABASE {
            return Ok(Some(row.get("content")?));
        }
        let size: i64 = row.get("size")?;
        let Some(store) = self.blobs.named(&stored_in) else {
            return Err(ArchiveError::BlobMissing {
                sha256: hex::encode(key),
                location: format!("the {stored_in:?} store, which this archive was not given"),
            });
        };
        let Some(content) = store.get(key).await? else {
            return Err(ArchiveError::BlobMissing {
                sha256: hex::encode(key),
                location: store.describe(),
            });
        };
        // The bytes come from outside the database: check them before use.
        let problem = if content.len() as i64 != size {
            Some(format!(
                "{} bytes where the archive stored {size}",
                content.len()
            ))
        } else if sha256(&content)[..] != key[..] {
            Some("its content does not match its hash".to_owned())
        } else {
            None
        };
        if let Some(problem) = problem {
            return Err(ArchiveError::BlobDamaged {
                sha256: hex::encode(key),
                location: store.describe(),
                problem,
            });
        }
        Ok(Some(content))
    }

    async fn result_by_code(&self, result_code: &str) -> Result<Option<StoredResult>> {
        let code = params![result_code];
        let mut conn = self.connection().await?;
        fetch_optional_as::<D, _>(&mut conn, q::RESULT_BY_CODE, &code, mappers::result).await
    }

    async fn dossier_of_record(&self, record_sha256: &[u8]) -> Result<Option<String>> {
        let key = params![record_sha256];
        let mut conn = self.connection().await?;
        fetch_optional_as::<D, _>(&mut conn, q::DOSSIER_OF_RECORD, &key, |row| {
            row.get("dossier_code")
        })
        .await
    }

    async fn search(
        &self,
        query: &SearchQuery,
        limit: i64,
    ) -> Result<Vec<(DossierRow, Option<StoredResult>)>> {
        let criteria = params![
            &query.applicant_id,
            &query.procedure_code,
            &query.department,
            &query.state,
            &query.received_from,
            &query.received_to,
            query.after.as_ref().map(|(ms, _)| *ms),
            query.after.as_ref().map(|(_, code)| code.as_str()),
            limit,
        ];
        let mut conn = self.connection().await?;
        let codes = D::fetch_all(&mut conn, q::SEARCH, &criteria).await?;
        let mut hits = Vec::with_capacity(codes.len());
        for row in codes {
            let code: String = row.get("code")?;
            let code = params![&code];
            let dossier = fetch_one::<D>(&mut conn, q::DOSSIER, &code).await?;
            let result = fetch_optional::<D>(&mut conn, q::RESULT_OF_DOSSIER, &code).await?;
            hits.push((
                mappers::dossier(&dossier)?,
                result.as_ref().map(mappers::result).transpose()?,
            ));
        }
        Ok(hits)
    }

    async fn count_dossiers(&self, query: &StatisticsQuery) -> Result<DossierCounts> {
        let mut conn = self.connection().await?;
        let criteria = params![
            &query.from,
            &query.to,
            &query.as_of,
            &query.department,
            &query.procedure_code,
            query.end_ms,
        ];
        let row = fetch_one::<D>(&mut conn, q::COUNT_DOSSIERS, &criteria).await?;
        Ok(DossierCounts {
            carried_over: row.get("carried_over")?,
            received_new: row.get("received_new")?,
            received_online: row.get("received_online")?,
            received_by_post: row.get("received_by_post")?,
            resolved_early: row.get("resolved_early")?,
            resolved_on_time: row.get("resolved_on_time")?,
            resolved_late: row.get("resolved_late")?,
            electronic_results: row.get("electronic_results")?,
            refused: row.get("refused")?,
            withdrawn: row.get("withdrawn")?,
            stopped: row.get("stopped")?,
            in_progress_on_time: row.get("in_progress_on_time")?,
            in_progress_overdue: row.get("in_progress_overdue")?,
            extended: row.get("extended")?,
        })
    }

    async fn reusable_results(&self, applicant_id: &str) -> Result<Vec<StoredResult>> {
        let applicant = params![applicant_id];
        let mut conn = self.connection().await?;
        fetch_all_as::<D, _>(&mut conn, q::REUSABLE_RESULTS, &applicant, mappers::result).await
    }
}
