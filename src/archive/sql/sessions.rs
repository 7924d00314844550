//! Signing sessions in SQL: stored when a signature is prepared (sweeping expired ones), taken
//! (read and deleted in one transaction) when it completes, so it completes at most once.

use super::{
    archive::SqlArchive,
    backend::{fetch_optional, params, Dialect},
    mappers, queries as q,
};
use crate::archive::{contracts::SessionStore, error::Result, rows::SigningSession};

impl<D: Dialect> SessionStore for SqlArchive<D> {
    async fn put_signing_session(&self, session: &SigningSession) -> Result<()> {
        let mut tx = D::begin_write(&self.pool).await?;
        // Expired sessions are swept whenever a new one is stored.
        let now = params![session.created_at_ms];
        D::execute(&mut tx, q::DELETE_EXPIRED_SESSIONS, &now).await?;
        let row = params![
            &session.session_id,
            &session.input_sha256,
            &session.prepared,
            session.created_at_ms,
            session.expires_at_ms,
        ];
        D::execute(&mut tx, q::INSERT_SESSION, &row).await?;
        tx.commit().await?;
        Ok(())
    }

    async fn take_signing_session(&self, session_id: &str) -> Result<Option<SigningSession>> {
        let mut tx = D::begin_write(&self.pool).await?;
        let id = params![session_id];
        let Some(row) = fetch_optional::<D>(&mut tx, q::SESSION, &id).await? else {
            return Ok(None);
        };
        D::execute(&mut tx, q::DELETE_SESSION, &id).await?;
        tx.commit().await?;
        Ok(Some(mappers::session(&row)?))
    }
}
