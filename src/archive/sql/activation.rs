//! Activation failures and credential locks in SQL: a failure and the lock it may trigger are
//! one write transaction, so two replicas counting at once lock once.

use super::{
    archive::SqlArchive,
    backend::{fetch_one, fetch_optional, params, Column, Dialect},
    queries as q,
};
use crate::archive::{contracts::ActivationStore, error::Result};

impl<D: Dialect> ActivationStore for SqlArchive<D> {
    async fn credential_lock(&self, credential_id: &str) -> Result<Option<i64>> {
        let mut conn = self.connection().await?;
        let id = params![credential_id];
        match fetch_optional::<D>(&mut conn, q::CREDENTIAL_LOCK, &id).await? {
            Some(row) => Ok(Some(row.first()?)),
            None => Ok(None),
        }
    }

    async fn record_activation_failure(
        &self,
        credential_id: &str,
        at_ms: i64,
        window_ms: i64,
        limit: u32,
    ) -> Result<bool> {
        let mut tx = D::begin_write(&self.pool).await?;
        let since = at_ms.saturating_sub(window_ms);
        D::execute(
            &mut tx,
            q::DELETE_OLD_ACTIVATION_FAILURES,
            &params![credential_id, since],
        )
        .await?;
        D::execute(
            &mut tx,
            q::INSERT_ACTIVATION_FAILURE,
            &params![credential_id, at_ms],
        )
        .await?;
        let row = fetch_one::<D>(
            &mut tx,
            q::COUNT_ACTIVATION_FAILURES,
            &params![credential_id, since],
        )
        .await?;
        let failures: i64 = row.first()?;
        let locked = failures >= i64::from(limit);
        if locked {
            D::execute(
                &mut tx,
                q::LOCK_CREDENTIAL,
                &params![credential_id, at_ms, failures],
            )
            .await?;
        }
        tx.commit().await?;
        Ok(locked)
    }

    async fn use_totp_step(&self, credential_id: &str, time_step: i64) -> Result<bool> {
        let mut tx = D::begin_write(&self.pool).await?;
        let used = D::execute(
            &mut tx,
            q::USE_TOTP_STEP,
            &params![credential_id, time_step],
        )
        .await?;
        tx.commit().await?;
        Ok(used > 0)
    }

    async fn unlock_credential(&self, credential_id: &str) -> Result<bool> {
        let mut tx = D::begin_write(&self.pool).await?;
        let id = params![credential_id];
        let was_locked = D::execute(&mut tx, q::UNLOCK_CREDENTIAL, &id).await? > 0;
        D::execute(&mut tx, q::DELETE_ACTIVATION_FAILURES, &id).await?;
        tx.commit().await?;
        Ok(was_locked)
    }
}
