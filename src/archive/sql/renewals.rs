//! Renewals in SQL: the sweep's candidates page by page, the expiry it notes, and storing a
//! renewed version (blob, version guard, renewal row, log leaf, audit line) in one transaction.

use super::{
    archive::SqlArchive,
    backend::{fetch_all_as, fetch_one, params, Column, Dialect},
    mappers, queries as q, tree,
    writes::{insert_audit, insert_blob},
};
use crate::archive::{
    contracts::RenewalStore,
    error::{ArchiveError, Result},
    rows::{AuditEntry, LogKind, LogReceipt, NewRenewal, RenewalCandidate, StoredRenewal},
};

impl<D: Dialect> RenewalStore for SqlArchive<D> {
    async fn count_renewal_candidates(&self, horizon_ms: i64) -> Result<u64> {
        let mut conn = self.connection().await?;
        let horizon = params![horizon_ms];
        let row = fetch_one::<D>(&mut conn, q::COUNT_RENEWAL_CANDIDATES, &horizon).await?;
        let count: i64 = row.first()?;
        Ok(u64::try_from(count).unwrap_or(0))
    }

    async fn renewal_candidates(
        &self,
        horizon_ms: i64,
        after: Option<&str>,
        limit: i64,
    ) -> Result<Vec<RenewalCandidate>> {
        let page = params![horizon_ms, after, limit];
        let mut conn = self.connection().await?;
        fetch_all_as::<D, _>(
            &mut conn,
            q::RENEWAL_CANDIDATES,
            &page,
            mappers::renewal_candidate,
        )
        .await
    }

    async fn note_timestamp_expiry(
        &self,
        result_code: &str,
        current_sha256: &[u8],
        expires_at_ms: i64,
    ) -> Result<()> {
        let note = params![expires_at_ms, result_code, current_sha256];
        let mut conn = self.connection().await?;
        D::execute(&mut conn, q::NOTE_TIMESTAMP_EXPIRY, &note).await?;
        Ok(())
    }

    async fn renew_result(&self, renewal: &NewRenewal, audit: &AuditEntry) -> Result<LogReceipt> {
        let key = self.log_key()?;
        let mut tx = D::begin_write(&self.pool).await?;
        let document = &renewal.document;
        insert_blob::<D>(&mut tx, self.blobs.placement(), document).await?;
        let size = document.content.len() as i64;
        let version = params![
            &document.sha256,
            size,
            &renewal.level,
            renewal.renewed_at_ms,
            renewal.timestamp_expires_at_ms,
            &renewal.result_code,
            &renewal.previous_sha256,
        ];
        if D::execute(&mut tx, q::RENEW_RESULT, &version).await? != 1 {
            return Err(ArchiveError::Conflict {
                code: format!("result {}", renewal.result_code),
                expected: 0,
            });
        }
        let row = params![
            &renewal.result_code,
            &document.sha256,
            &renewal.previous_sha256,
            size,
            renewal.renewed_at_ms,
            renewal.timestamp_expires_at_ms,
        ];
        D::execute(&mut tx, q::INSERT_RENEWAL, &row).await?;
        let leaf = [(LogKind::RenewedResult, document.sha256)];
        let dossier = &renewal.dossier_code;
        let receipt =
            tree::append::<D>(&mut tx, &key, &leaf, dossier, renewal.renewed_at_ms).await?;
        insert_audit::<D>(&mut tx, audit).await?;
        tx.commit().await?;
        Ok(receipt)
    }

    async fn renewals(&self, result_code: &str) -> Result<Vec<StoredRenewal>> {
        let code = params![result_code];
        let mut conn = self.connection().await?;
        fetch_all_as::<D, _>(&mut conn, q::RENEWALS, &code, mappers::renewal).await
    }
}
